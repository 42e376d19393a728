/*
 * proxy_ident - the real client's identity in the SMTP proxy (proxy_ident.h)
 *
 * Public: proxy_ident_init(), proxy_ident_proxy_header(),
 * proxy_ident_defer_helo(), proxy_ident_ehlo_extra(),
 * proxy_ident_upstream_ehlo(), proxy_ident_xforward(),
 * proxy_ident_phases(), proxy_ident_upstream_header(), proxy_ident_peer(),
 * proxy_ident_session(), proxy_ident_name(), proxy_ident_warn_once().
 *
 * Trust is by address, never by what a peer says: a PROXY header is
 * read only from a connection whose own peer is in proxy_from (a
 * unix-socket peer is trusted: the socket's file mode decides who
 * connects); XFORWARD is taken only from a client in xforward_from (the
 * header's client when there is one: a balancer in front is not
 * trusted for XFORWARD by being trusted for the header). The header is parsed by the pure codec
 * proxyproto.c, XFORWARD's attributes by smtp_xattr.c (xtext decoded,
 * bounded, printable ASCII); here each must be one we know and fit its
 * field, ADDR a numeric address (an "IPv6:" prefix is dropped) and PORT
 * 0 to 65535. Anything else is refused with a reply
 * or, for the header, by closing the connection with a log line. The
 * state lives in the session; the client's name is looked up beside it
 * (proxy_name.c), and the session waits for it only where it reads it.
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
#include "proxy_ehlo.h"
#include "proxy_ident.h"
#include "proxy_name.h"
#include "proxyproto.h"
#include "run.h"
#include "session.h"
#include "smtp_xattr.h"

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
	if ((st = read_header(c, deadline, &r, &cs)) == PROXYPROTO_MORE &&
	    cs == CONN_EOF) {
		/* connected and left: a balancer's TCP health check, most likely */
		log_info("smtp %s: %s closed before a PROXY header",
		    pi->sc->listen, peer);
		return -1;
	}
	if (st == PROXYPROTO_MORE) {
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

/* the XFORWARD attributes: where each goes in struct proxy_ident_xf (PORT: parsed) */
static const struct { const char *k; size_t off, len; } xf_keys[] = {
	{ "NAME", offsetof(struct proxy_ident_xf, name), 256 },
	{ "ADDR", offsetof(struct proxy_ident_xf, addr), 64 },
	{ "HELO", offsetof(struct proxy_ident_xf, helo), 256 },
	{ "PROTO", offsetof(struct proxy_ident_xf, proto), 16 },
	{ "IDENT", offsetof(struct proxy_ident_xf, ident), 64 },
	{ "SOURCE", offsetof(struct proxy_ident_xf, source), 16 },
	{ "PORT", 0, 0 },
};
#define XF_NKEYS	(sizeof(xf_keys) / sizeof(xf_keys[0]))

/* xf_key - the index in xf_keys of the attribute name a (n bytes); XF_NKEYS: none */
static size_t
xf_key(const char *a, size_t n)
{
	size_t i;

	for (i = 0; i < XF_NKEYS; i++)
		if (strlen(xf_keys[i].k) == n && strncasecmp(a, xf_keys[i].k, n) == 0)
			break;
	return i;
}

/* xf_attr - one decoded attribute into xf; NULL, or what is wrong */
static const char *
xf_attr(struct proxy_ident_xf *xf, struct smtp_xattr *a)
{
	size_t i = xf_key(a->name, a->namelen);
	unsigned char bin[16];
	char *v = a->value, *end;
	long port;

	if (i == XF_NKEYS)
		return "5.5.4 Bad XFORWARD attribute name";
	if (xf_keys[i].len == 0) {
		port = strtol(v, &end, 10);
		if (v[0] != '\0' && (*end != '\0' || port < 0 || port > 65535))
			return "5.5.4 Bad XFORWARD PORT value";
		xf->port = v[0] ? (int)port : 0;
		return NULL;
	}
	if (i == 1 && v[0] != '\0') {		/* ADDR: numeric */
		if (strncasecmp(v, "IPV6:", 5) == 0)
			v += 5;
		if (inet_pton(strchr(v, ':') ? AF_INET6 : AF_INET, v, bin) != 1)
			return "5.5.4 Bad XFORWARD ADDR value";
	}
	if (strlen(v) >= xf_keys[i].len)
		return "5.5.4 Bad XFORWARD attribute value";
	memcpy((char *)xf + xf_keys[i].off, v, strlen(v) + 1);
	return NULL;
}

/* xf_parse - every attribute of args into xf (left as it was on error) */
static const char *
xf_parse(struct proxy_ident_xf *xf, const char *args)
{
	struct proxy_ident_xf nx = *xf;
	struct smtp_xattr a;
	enum smtp_xattr_status st;
	const char *p = args, *why;
	int n = 0;

	while ((st = smtp_xattr_next(&p, &a)) == SMTP_XATTR_OK) {
		if ((why = xf_attr(&nx, &a)) != NULL)
			return why;
		n++;
	}
	if (st == SMTP_XATTR_ERR_SYNTAX || n == 0)
		return "5.5.4 Syntax: XFORWARD attribute=value...";
	if (st == SMTP_XATTR_ERR_VALUE)
		return "5.5.4 Bad XFORWARD attribute value";
	*xf = nx;
	return NULL;
}

void
proxy_ident_upstream_ehlo(struct proxy_ident *pi, struct proxy_upstream *up,
    const struct smtp_reply *r)
{
	const char *l, *p, *e, *end;
	size_t i, n, k;

	pi->up_xforward = 0;
	for (i = 1; r->code / 100 == 2 && i < r->nlines; i++) {
		if ((l = proxy_upstream_line(up, i, &n)) == NULL ||
		    !smtp_reply_ehlo_keyword(l, n, "XFORWARD"))
			continue;
		for (p = l + 8, end = l + n; p < end; p = e) {
			while (p < end && *p == ' ')
				p++;
			for (e = p; e < end && *e != ' '; e++)
				;
			if ((k = xf_key(p, (size_t)(e - p))) < XF_NKEYS)
				pi->up_xforward |= 1u << k;
		}
	}
}

/*
 * xf_upstream - the client's attributes (already checked) that the
 * upstream takes, as they came, into line (len bytes): "XFORWARD A=v
 * ..."; its length, 0 for none
 */
static size_t
xf_upstream(const struct proxy_ident *pi, const char *args, char *line,
    size_t len)
{
	struct smtp_xattr a;
	const char *p = args;
	size_t o = 8, k;

	if (len <= o)
		return 0;
	memcpy(line, "XFORWARD", o);
	while (smtp_xattr_next(&p, &a) == SMTP_XATTR_OK) {
		if ((k = xf_key(a.name, a.namelen)) >= XF_NKEYS ||
		    !(pi->up_xforward & 1u << k))
			continue;
		if (o + 1 + a.rawlen >= len)
			return 0;
		line[o++] = ' ';
		memcpy(line + o, a.raw, a.rawlen);
		o += a.rawlen;
	}
	line[o] = '\0';
	return o > 8 ? o : 0;
}

int
proxy_ident_xforward(struct proxy_ident *pi, const char *id, const char *args,
    struct proxy_upstream *up, char *reply, size_t len)
{
	struct smtp_reply r;
	const char *why;
	char line[1024];
	size_t n;

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
	if (pi->up_xforward && up != NULL &&
	    (n = xf_upstream(pi, args, line, sizeof(line))) > 0) {
		if (proxy_upstream_cmd(up, line, n, &r) < 0)
			return -1;
		if (r.code / 100 != 2)
			log_warnx("session %s: upstream refused XFORWARD: %d", id,
			    r.code);
	}
	snprintf(reply, len, "250 2.0.0 Ok");
	return 0;
}

/*
 * late_xclient - with xclient, XCLIENT for a trusted XFORWARD client's
 * session now that its client is known (at the first MAIL; nothing is
 * open upstream): EHLO, XCLIENT with the client, EHLO. A refusal goes
 * into d; an upstream lost or not taking XCLIENT when it must is a 421
 * in d and pi->failed (the session ends).
 */
static void
late_xclient(struct proxy_ident *pi, struct proxy_upstream *up, const char *id,
    const struct proxy_ehlo_client *cl, const char *helo, struct decision *d)
{
	struct proxy_ehlo e;
	struct smtp_reply r;
	int rc;

	memset(&e, 0, sizeof(e));
	e.id = id;
	e.helo = helo[0] ? helo : pi->ehlo;
	e.esmtp = 1;
	e.xclient = cl;
	e.xclient_required = pi->sc->xclient == CONFIG_XCLIENT_REQUIRED;
	e.gen = pi->gen;
	rc = proxy_ehlo_upstream(up, &e, &r);
	pi->xclient_done = e.xclient_done;
	if (rc == 0 && r.code / 100 == 2)
		return;
	pi->failed = rc < 0;
	if (rc == PROXY_EHLO_NO_XCLIENT)
		decision_set(d, PG_TEMPFAIL, NULL, "421 4.7.0 Error: the upstream "
		    "server does not accept XCLIENT");
	else if (rc < 0) {
		log_warnx("session %s: upstream %s %s: %s", id, pi->sc->upstream,
		    e.when, proxy_upstream_error(up));
		decision_set(d, PG_TEMPFAIL, NULL, "421 4.4.2 Error: lost "
		    "connection to the upstream server");
	} else {
		log_warnx("session %s: the upstream answered %d to EHLO after "
		    "XCLIENT for the client", id, r.code);
		decision_set(d, r.code / 100 == 5 ? PG_REJECT : PG_TEMPFAIL, NULL,
		    r.code / 100 == 5 ? "554 5.7.1 Error: the upstream server "
		    "refused the client" : "451 4.7.1 Error: the upstream "
		    "server refused the client for now");
	}
}

int
proxy_ident_phases(struct proxy_ident *pi, struct run *run,
    struct proxy_upstream *up, char *addr, size_t alen, int *port, char *name,
    size_t nlen, struct decision *d)
{
	struct proxy_ehlo_client cl;
	struct pg_session *s = run_session(run);
	const char *helo;

	decision_clear(d);
	if (!pi->pending)
		return 0;
	if (pi->xf.addr[0] != '\0') {
		/*
		 * no memory: the phases stay pending, this MAIL is refused;
		 * XFORWARD names the verified name only: the PTR is taken as it
		 */
		if (session_set_client(s, pi->xf.addr, pi->xf.port,
		    pi->xf.name[0] ? pi->xf.name : "unknown") == -1 ||
		    session_set_ptr(s, pi->xf.name[0] ? pi->xf.name :
		    "unknown") == -1) {
			decision_set(d, PG_TEMPFAIL, NULL, "451 4.3.0 Error: "
			    "insufficient system resources");
			return 1;
		}
		snprintf(addr, alen, "%s", pi->xf.addr);
		*port = pi->xf.port;
		snprintf(name, nlen, "%s", pi->xf.name[0] ? pi->xf.name :
		    "unknown");
	}
	pi->pending = 0;
	log_info("session %s: client %s [%s]:%d (XFORWARD%s)", session_str(s,
	    PG_S_ID), name, addr, *port, pi->xf.addr[0] ? "" : ": none given");
	(void)run_connect(run, d);
	if (decision_refuses(d))
		return 1;
	/*
	 * The client's own HELO; none when XFORWARD named a client without
	 * one (the relay's EHLO name is not the client's, and a rule would
	 * take it for a forged HELO). A relay that said nothing is filtered
	 * as itself, with its own EHLO name.
	 */
	helo = pi->xf.addr[0] != '\0' || pi->xf.helo[0] != '\0' ? pi->xf.helo :
	    pi->ehlo;
	if (helo[0] != '\0')
		(void)run_helo(run, helo, d);
	if (!decision_refuses(d) && pi->sc->xclient && up != NULL) {
		cl.addr = addr;
		cl.port = *port;
		cl.name = name;
		late_xclient(pi, up, session_str(s, PG_S_ID), &cl, helo, d);
	}
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

/*
 * fcrdns - the client's verified name and PTR name (see proxy_ident_peer()):
 * started beside the session, or looked up now when it cannot be
 */
static void
fcrdns(struct proxy_ident *pi, const struct config *cfg, const char *addr,
    char *name, size_t nlen)
{
	struct lookup_conf lc;
	uint64_t deadline = clock_ms() + cfg->timeout_lookups_ms;

	memset(&lc, 0, sizeof(lc));
	lc.servers = (const char *const *)cfg->dns_servers;
	lc.nservers = cfg->ndns_servers;
	lc.timeout_ms = (unsigned)cfg->dns_timeout_ms;
	lc.attempts = cfg->dns_attempts;
	snprintf(name, nlen, "unknown");
	snprintf(pi->ptr, sizeof(pi->ptr), "unknown");
	if ((pi->lookup = proxy_name_start(&lc, addr, deadline)) != NULL)
		return;
	if (lookup_fcrdns(&lc, addr, deadline, name, nlen, pi->ptr,
	    sizeof(pi->ptr)) == -1)
		log_debug("client %s: reverse lookup failed for now", addr);
}

/* name_join - the session's hook: its first look at the names waits */
static void
name_join(void *ctx, struct pg_session *s)
{
	(void)s;
	(void)proxy_ident_name(ctx);
}

int
proxy_ident_session(struct proxy_ident *pi, struct pg_session *s)
{
	pi->s = s;
	if (pi->lookup == NULL)
		return session_set_ptr(s, pi->ptr);
	session_set_name_wait(s, name_join, pi);
	return 0;
}

const char *
proxy_ident_name(struct proxy_ident *pi)
{
	struct proxy_name *pn = pi->lookup;

	if (pn == NULL)
		return pi->name;
	pi->lookup = NULL;
	if (pi->s != NULL)
		session_set_name_wait(pi->s, NULL, NULL);
	proxy_name_wait(pn, pi->name, pi->namelen, pi->ptr, sizeof(pi->ptr));
	/* no memory: the session keeps "unknown", as a failed lookup */
	if (pi->s != NULL && (session_set_name(pi->s, pi->name) == -1 ||
	    session_set_ptr(pi->s, pi->ptr) == -1))
		log_warnx("session %s: the client's name: out of memory",
		    session_str(pi->s, PG_S_ID));
	return pi->name;
}

void
proxy_ident_peer(struct proxy_ident *pi, const struct config *cfg,
    const struct sockaddr *sa, socklen_t salen, char *addr, size_t alen,
    int *port, char *name, size_t nlen)
{
	pi->name = name;
	pi->namelen = nlen;
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
