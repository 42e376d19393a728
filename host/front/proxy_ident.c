/*
 * proxy_ident - the real client's identity in the SMTP proxy (proxy_ident.h)
 *
 * Public: proxy_ident_init(), proxy_ident_proxy_header(),
 * proxy_ident_defer_helo(), proxy_ident_ehlo_extra(), proxy_ident_xforward(),
 * proxy_ident_phases(), proxy_ident_upstream_header(), proxy_ident_peer(),
 * proxy_ident_warn_once().
 *
 * Trust is by the connection's own peer address, never by what it says:
 * a PROXY header is read only from proxy_from (a unix-socket peer is
 * trusted: the socket's file mode decides who connects), XFORWARD is
 * taken only from xforward_from. The header is parsed by the pure codec
 * proxyproto.c; XFORWARD's values are xtext (RFC 1891) decoded here,
 * bounded and must be printable ASCII; ADDR must be a numeric address
 * (an "IPv6:" prefix is dropped). Anything else is refused with a reply
 * or, for the header, by closing the connection with a log line. No
 * allocation; the state lives in the session.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "clock.h"
#include "log.h"
#include "lookup.h"
#include "netlist.h"
#include "proxy_ident.h"
#include "proxyproto.h"
#include "run.h"
#include "session.h"

#define XF_KEYWORDS	"XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE"

void
proxy_ident_init(struct proxy_ident *pi, const struct config_smtp *sc)
{
	memset(pi, 0, sizeof(*pi));
	pi->sc = sc;
}

/* trust - whether the client at sa may send XFORWARD; returns 0 */
static int
trust(struct proxy_ident *pi, const struct sockaddr *sa)
{
	pi->xf_trusted = netlist_match_sa(pi->sc->xforward_from, sa);
	pi->pending = pi->xf_trusted;
	return 0;
}

/* sa_text - a socket address as text for the log */
static void
sa_text(const struct sockaddr *sa, socklen_t salen, char *buf, size_t len)
{
	char host[64], serv[16];

	if (sa->sa_family == AF_UNIX)
		snprintf(buf, len, "a unix socket");
	else if (getnameinfo(sa, salen, host, sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(buf, len, "unknown");
	else
		snprintf(buf, len, "[%s]:%s", host, serv);
}

/* to_sa - the header's client as a socket address */
static int
to_sa(const struct proxyproto_result *r, struct sockaddr_storage *ss,
    socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (r->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)r->sport);
		*len = sizeof(*s4);
		return inet_pton(AF_INET, r->src, &s4->sin_addr) == 1 ? 0 : -1;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)r->sport);
		*len = sizeof(*s6);
		return inet_pton(AF_INET6, r->src, &s6->sin6_addr) == 1 ? 0 : -1;
	}
}

/* read_header - the header's bytes from c; the codec's last status */
static enum proxyproto_status
read_header(struct conn *c, uint64_t deadline, struct proxyproto_result *r,
    enum conn_status *cs)
{
	enum proxyproto_status st;
	const char *in;
	size_t n;

	*cs = CONN_OK;
	for (;;) {
		in = conn_data(c, &n);
		if (n > 0 && (st = proxyproto_parse(in, n, r)) != PROXYPROTO_MORE)
			return st;
		if ((*cs = conn_fill(c, deadline, 0)) != CONN_OK)
			return PROXYPROTO_MORE;
	}
}

int
proxy_ident_proxy_header(struct proxy_ident *pi, struct conn *c,
    uint64_t deadline, const struct sockaddr *sa, socklen_t salen,
    struct sockaddr_storage *real, socklen_t *reallen)
{
	struct proxyproto_result r;
	enum proxyproto_status st;
	enum conn_status cs;
	char peer[96];

	memcpy(real, sa, salen <= sizeof(*real) ? salen : sizeof(*real));
	*reallen = salen;
	if (!pi->sc->proxy_protocol)
		return trust(pi, sa);
	sa_text(sa, salen, peer, sizeof(peer));
	if (sa->sa_family != AF_UNIX &&
	    !netlist_match_sa(pi->sc->proxy_from, sa)) {
		log_warnx("smtp %s: connection from %s, which is not in "
		    "proxy_from: closed without reading", pi->sc->listen, peer);
		return -1;
	}
	if ((st = read_header(c, deadline, &r, &cs)) == PROXYPROTO_MORE) {
		log_warnx("smtp %s: no PROXY header from %s (%s): closed",
		    pi->sc->listen, peer, cs == CONN_TIMEOUT ? "timeout" :
		    cs == CONN_STOPPING ? "stopping" : "connection closed");
		return -1;
	}
	if (st == PROXYPROTO_ERR) {
		log_warnx("smtp %s: bad PROXY header from %s: %s: closed",
		    pi->sc->listen, peer, r.error);
		return -1;
	}
	conn_consume(c, r.len);
	if (r.local) {
		log_debug("smtp %s: PROXY v%d header from %s without a client "
		    "address: the connection's own is kept", pi->sc->listen,
		    r.version, peer);
		return trust(pi, sa);
	}
	if (to_sa(&r, real, reallen) == -1) {
		log_warnx("smtp %s: PROXY header from %s: bad address: closed",
		    pi->sc->listen, peer);
		return -1;
	}
	snprintf(pi->dst, sizeof(pi->dst), "%s", r.dst);
	pi->dport = r.dport;
	return trust(pi, (const struct sockaddr *)real);
}

int
proxy_ident_defer_helo(struct proxy_ident *pi, const char *name)
{
	if (!pi->pending)
		return 0;
	snprintf(pi->ehlo, sizeof(pi->ehlo), "%s", name);
	return 1;
}

const char *
proxy_ident_ehlo_extra(const struct proxy_ident *pi)
{
	return pi->xf_trusted ? XF_KEYWORDS : NULL;
}

/* hexval - a hex digit's value, -1 if not one */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* xtext_value - an xtext value (RFC 1891) of n bytes decoded into dst; -1 bad */
static int
xtext_value(const char *s, size_t n, char *dst, size_t dlen)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '+') {
			int hi, lo;

			if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				return -1;
			ch = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		/* printable ASCII only: nothing a log line or a header can be bent with */
		if (ch < 33 || ch > 126 || o + 1 >= dlen)
			return -1;
		dst[o++] = (char)ch;
	}
	dst[o] = '\0';
	return 0;
}

/* xf_attr - one NAME=value into xf; NULL, or what is wrong */
static const char *
xf_attr(struct proxy_ident_xf *xf, const char *a, size_t n)
{
	static const struct { const char *k; size_t off, len; } keys[] = {
		{ "NAME", offsetof(struct proxy_ident_xf, name), 256 },
		{ "ADDR", offsetof(struct proxy_ident_xf, addr), 64 },
		{ "HELO", offsetof(struct proxy_ident_xf, helo), 256 },
		{ "PROTO", offsetof(struct proxy_ident_xf, proto), 16 },
		{ "IDENT", offsetof(struct proxy_ident_xf, ident), 64 },
		{ "SOURCE", offsetof(struct proxy_ident_xf, source), 16 },
		{ "PORT", 0, 0 },
	};
	const char *eq = memchr(a, '=', n);
	char val[300], *dst = val;
	size_t i, k, vlen = sizeof(val);
	unsigned char bin[16];

	if (eq == NULL)
		return "5.5.4 Bad XFORWARD attribute syntax";
	k = (size_t)(eq - a);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].k) == k && strncasecmp(a, keys[i].k, k) == 0)
			break;
	if (i == sizeof(keys) / sizeof(keys[0]))
		return "5.5.4 Bad XFORWARD attribute name";
	if (keys[i].len) {
		dst = (char *)xf + keys[i].off;
		vlen = keys[i].len;
	}
	if (xtext_value(eq + 1, n - k - 1, dst, vlen) == -1)
		return "5.5.4 Bad XFORWARD attribute value";
	if (strcmp(dst, "[UNAVAILABLE]") == 0 || strcmp(dst, "[TEMPUNAVAIL]") == 0)
		dst[0] = '\0';
	if (keys[i].len == 0) {
		char *end;
		long p = strtol(val, &end, 10);

		if (val[0] != '\0' && (*end != '\0' || p < 0 || p > 65535))
			return "5.5.4 Bad XFORWARD PORT value";
		xf->port = val[0] ? (int)p : 0;
	} else if (strcmp(keys[i].k, "ADDR") == 0 && dst[0] != '\0') {
		if (strncasecmp(dst, "IPV6:", 5) == 0)
			memmove(dst, dst + 5, strlen(dst + 5) + 1);
		if (inet_pton(strchr(dst, ':') ? AF_INET6 : AF_INET, dst,
		    bin) != 1)
			return "5.5.4 Bad XFORWARD ADDR value";
	}
	return NULL;
}

/* xf_parse - every attribute of args into xf (a copy kept unchanged on error) */
static const char *
xf_parse(struct proxy_ident_xf *xf, const char *args)
{
	struct proxy_ident_xf nx = *xf;
	const char *p = args, *e, *why;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return "5.5.4 Syntax: XFORWARD attribute=value...";
	while (*p != '\0') {
		if ((e = strchr(p, ' ')) == NULL)
			e = p + strlen(p);
		if ((why = xf_attr(&nx, p, (size_t)(e - p))) != NULL)
			return why;
		for (p = e; *p == ' '; p++)
			;
	}
	*xf = nx;
	return NULL;
}

int
proxy_ident_xforward(struct proxy_ident *pi, const char *id, const char *line,
    size_t linelen, const char *args, struct proxy_upstream *up, char *reply,
    size_t len)
{
	struct smtp_reply r;
	const char *why;

	if (!pi->xf_trusted) {
		snprintf(reply, len, "550 5.7.0 Error: insufficient authorization");
		return 0;
	}
	if (!pi->pending) {
		snprintf(reply, len, "503 5.5.1 Error: XFORWARD after the "
		    "session's first MAIL");
		return 0;
	}
	if ((why = xf_parse(&pi->xf, args)) != NULL) {
		snprintf(reply, len, "501 %s", why);
		return 0;
	}
	if (pi->up_xforward && up != NULL) {
		if (proxy_upstream_cmd(up, line, linelen, &r) < 0)
			return -1;
		if (r.code / 100 != 2)
			log_warnx("session %s: upstream refused XFORWARD: %d", id,
			    r.code);
	}
	snprintf(reply, len, "250 2.0.0 Ok");
	return 0;
}

int
proxy_ident_phases(struct proxy_ident *pi, struct run *run, char *addr,
    size_t alen, int *port, char *name, size_t nlen, struct decision *d)
{
	struct pg_session *s = run_session(run);
	const char *helo;

	decision_clear(d);
	if (!pi->pending)
		return 0;
	pi->pending = 0;
	if (pi->xf.addr[0] != '\0') {
		snprintf(addr, alen, "%s", pi->xf.addr);
		*port = pi->xf.port;
		snprintf(name, nlen, "%s", pi->xf.name[0] ? pi->xf.name :
		    "unknown");
		/* XFORWARD names the verified name only: the PTR is taken as it */
		if (session_set_client(s, addr, *port, name) == -1 ||
		    session_set_ptr(s, name) == -1) {
			decision_set(d, PG_TEMPFAIL, NULL, "451 4.3.0 Error: "
			    "insufficient system resources");
			return 1;
		}
	}
	log_info("session %s: client %s [%s]:%d (XFORWARD%s)", session_str(s,
	    PG_S_ID), name, addr, *port, pi->xf.addr[0] ? "" : ": none given");
	(void)run_connect(run, d);
	if (decision_refuses(d))
		return 1;
	helo = pi->xf.helo[0] ? pi->xf.helo : pi->ehlo;
	if (helo[0] != '\0')
		(void)run_helo(run, helo, d);
	return 1;
}

/* local_dst - fd's local address as text and port; "127.0.0.1" when not IP */
static void
local_dst(int fd, char *dst, size_t len, unsigned *dport)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char serv[16];

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) &&
	    getnameinfo((struct sockaddr *)&ss, sl, dst, (socklen_t)len, serv,
	    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
		*dport = (unsigned)atoi(serv);
		return;
	}
	snprintf(dst, len, "127.0.0.1");
	*dport = 0;
}

int
proxy_ident_upstream_header(struct proxy_ident *pi, struct proxy_upstream *up,
    const char *addr, int port, int fd)
{
	unsigned char buf[128];
	char dst[64];
	unsigned dport = pi->dport;
	size_t n;

	if (pi->sc->upstream_proxy_protocol == 0)
		return 0;
	snprintf(dst, sizeof(dst), "%s", pi->dst);
	if (dst[0] == '\0')
		local_dst(fd, dst, sizeof(dst), &dport);
	n = proxyproto_format(pi->sc->upstream_proxy_protocol, addr,
	    (unsigned)port, dst, dport, buf, sizeof(buf));
	if (n == 0)	/* the families differ (a mapped address): say nothing */
		n = proxyproto_format(pi->sc->upstream_proxy_protocol, NULL, 0,
		    NULL, 0, buf, sizeof(buf));
	if (proxy_upstream_write(up, buf, n) < 0 || proxy_upstream_flush(up) < 0)
		return -1;
	return 0;
}

/* fcrdns - the client's verified name and PTR name (see proxy_ident_peer()) */
static void
fcrdns(struct proxy_ident *pi, const struct config *cfg, const char *addr,
    char *name, size_t nlen)
{
	struct lookup_conf lc;

	memset(&lc, 0, sizeof(lc));
	lc.servers = (const char *const *)cfg->dns_servers;
	lc.nservers = cfg->ndns_servers;
	lc.timeout_ms = (unsigned)cfg->dns_timeout_ms;
	lc.attempts = cfg->dns_attempts;
	if (lookup_fcrdns(&lc, addr, clock_ms() + cfg->timeout_lookups_ms, name,
	    nlen, pi->ptr, sizeof(pi->ptr)) == -1)
		log_debug("client %s: reverse lookup failed for now", addr);
}

void
proxy_ident_peer(struct proxy_ident *pi, const struct config *cfg,
    const struct sockaddr *sa, socklen_t salen, char *addr, size_t alen,
    int *port, char *name, size_t nlen)
{
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) {
		/* as Postfix's smtpd takes a client that is not on the Internet */
		snprintf(addr, alen, "127.0.0.1");
		snprintf(name, nlen, "localhost");
		snprintf(pi->ptr, sizeof(pi->ptr), "localhost");
		*port = 0;
		return;
	}
	if (getnameinfo(sa, salen, addr, (socklen_t)alen, NULL, 0,
	    NI_NUMERICHOST) != 0)
		snprintf(addr, alen, "unknown");
	*port = sa->sa_family == AF_INET6 ?
	    ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port) :
	    ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	fcrdns(pi, cfg, addr, name, nlen);
}

int
proxy_ident_warn_once(const void *gen)
{
	/*
	 * The generation last warned about. Compared by address only: a new
	 * generation allocated where a freed one was would miss its warning,
	 * which costs a log line, nothing else.
	 */
	static _Atomic(const void *) warned;
	const void *old = atomic_load(&warned);

	if (old == gen)
		return 0;
	return atomic_compare_exchange_strong(&warned, &old, gen);
}
