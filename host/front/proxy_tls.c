/*
 * proxy_tls - TLS on both sides of a proxy session (proxy_tls.h)
 *
 * Public: proxy_tls_client(), proxy_tls_starttls(), proxy_tls_upstream().
 *
 * The client's handshake runs on the session's fiber with the command
 * timeout as its deadline, so a client that stalls it is cut like one
 * that stalls a command line; garbage instead of a ClientHello, a
 * renegotiation or a close in the middle fail it. Either way the session
 * ends with a log line and nothing goes upstream.
 *
 * The upstream's STARTTLS happens before anything of the client's is
 * relayed: EHLO with our name, STARTTLS, 220, the handshake; the client's
 * own EHLO goes over TLS afterwards (RFC 3207 wants a new EHLO anyway).
 * A reply the upstream sends after its 220 in plaintext is buffered
 * before TLS and fails tls_start() (the injection class, upstream side).
 */
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "proxy_tls.h"
#include "session.h"
#include "smtp_reply.h"

int
proxy_tls_client(struct conn *c, struct tls_ctx *ctx, uint64_t timeout_ms,
    const char *id, const char *addr, struct pg_session *s)
{
	const struct tls_info *i;
	struct pg_tls pt;
	struct tls *t;
	char err[256];

	if ((t = tls_start(c, ctx, NULL, clock_deadline(timeout_ms), err,
	    sizeof(err))) == NULL) {
		log_info("session %s: client [%s]: TLS handshake failed: %s; "
		    "closing", id, addr, err);
		return -1;
	}
	i = tls_get_info(t);
	memset(&pt, 0, sizeof(pt));
	pt.version = i->version;
	pt.cipher = i->cipher;
	pt.bits = i->bits;
	pt.peer_subject = i->peer_subject[0] ? i->peer_subject : NULL;
	pt.verified = i->verified;
	if (session_set_tls_info(s, &pt) == -1) {
		log_warnx("session %s: TLS: out of memory; closing", id);
		return -1;
	}
	log_debug("session %s: client [%s]: TLS %s %s (%d bits)%s", id, addr,
	    i->version, i->cipher, i->bits, i->resumed ? ", resumed" : "");
	return 0;
}

int
proxy_tls_starttls(struct conn *c, struct tls_ctx *ctx, const char *arg,
    uint64_t deadline, const char *id, const char *name, const char *addr,
    struct pg_session *s)
{
	const char *r = NULL;
	uint64_t now = clock_ms(), ms = deadline > now ? deadline - now : 1;
	size_t n;

	if (ctx == NULL)
		r = "502 5.5.1 Error: command not implemented";
	else if (session_tls(s) != NULL)
		r = "554 5.5.1 Error: TLS already active";
	else if (arg[0] != '\0')
		r = "501 5.5.4 Syntax: STARTTLS";
	if (r != NULL)
		return conn_printf(c, deadline, "%s\r\n", r) == CONN_OK ?
		    PROXY_TLS_REPLIED : PROXY_TLS_CLOSE;
	if (conn_printf(c, deadline, "220 2.0.0 Ready to start TLS\r\n") !=
	    CONN_OK || conn_flush(c, deadline) != CONN_OK)
		return PROXY_TLS_CLOSE;
	/* the STARTTLS injection: nothing sent in plaintext is taken as protected */
	if ((n = conn_discard(c)) > 0)
		log_info("session %s: client %s [%s]: %zu bytes sent after "
		    "STARTTLS before TLS: discarded", id, name, addr, n);
	if (proxy_tls_client(c, ctx, ms, id, addr, s) == -1)
		return PROXY_TLS_CLOSE;
	return PROXY_TLS_STARTED;
}

/* offers - the upstream's last reply (an EHLO's) offers keyword */
static int
offers(struct proxy_upstream *up, const struct smtp_reply *r, const char *kw)
{
	const char *l;
	size_t i, n;

	for (i = 1; i < r->nlines; i++)
		if ((l = proxy_upstream_line(up, i, &n)) != NULL &&
		    smtp_reply_ehlo_keyword(l, n, kw))
			return 1;
	return 0;
}

/* up_name - the name to send and check: upstream_name, else the host */
static void
up_name(const struct config_smtp *sc, char *buf, size_t len)
{
	struct addr a;
	char why[128];

	buf[0] = '\0';
	if (sc->upstream_name != NULL)
		snprintf(buf, len, "%s", sc->upstream_name);
	else if (addr_parse(sc->upstream, ADDR_CONNECT, &a, why, sizeof(why)) ==
	    0 && a.family != AF_UNIX)
		snprintf(buf, len, "%s", a.host);
}

/* starttls - EHLO, STARTTLS; 1 when the upstream said 220, 0 not offered, -1 lost */
static int
starttls(struct proxy_upstream *up, const char *hostname, const char **why)
{
	struct smtp_reply r;
	char line[300];
	int n;

	n = snprintf(line, sizeof(line), "EHLO %s", hostname);
	if (proxy_upstream_cmd(up, line, (size_t)n, &r) < 0) {
		*why = proxy_upstream_error(up);
		return -1;
	}
	if (r.code / 100 != 2 || !offers(up, &r, "STARTTLS")) {
		*why = "the upstream does not offer STARTTLS";
		return 0;
	}
	if (proxy_upstream_cmd(up, "STARTTLS", 8, &r) < 0) {
		*why = proxy_upstream_error(up);
		return -1;
	}
	if (r.code != 220) {
		*why = "the upstream refused STARTTLS";
		return 0;
	}
	return 1;
}

/* exchange - STARTTLS and the handshake with up; 0, PROXY_TLS_PLAIN or -1 (logged) */
static int
exchange(struct proxy_upstream *up, const struct config_smtp *sc,
    struct tls_ctx *ctx, const char *hostname, uint64_t timeout_ms,
    const char *id)
{
	static const char *const modes[] = { "none", "may", "encrypt", "verify" };
	const char *why = NULL;
	char name[256], err[256];
	struct tls *t;
	int rc;

	if (sc->upstream_tls == CONFIG_UPTLS_NONE || ctx == NULL)
		return 0;
	if ((rc = starttls(up, hostname, &why)) == 0 &&
	    sc->upstream_tls == CONFIG_UPTLS_MAY) {
		log_debug("session %s: upstream %s: %s: plaintext "
		    "(upstream_tls = \"may\")", id, sc->upstream, why);
		return 0;
	}
	if (rc <= 0) {
		log_warnx("session %s: upstream %s: %s (upstream_tls = \"%s\"): "
		    "421 to the client", id, sc->upstream, why,
		    modes[sc->upstream_tls]);
		return -1;
	}
	up_name(sc, name, sizeof(name));
	if ((t = tls_start(proxy_upstream_conn(up), ctx, name[0] ? name : NULL,
	    clock_deadline(timeout_ms), err, sizeof(err))) == NULL &&
	    sc->upstream_tls == CONFIG_UPTLS_MAY) {
		log_warnx("session %s: upstream %s: TLS handshake failed "
		    "(upstream_tls = \"may\"): %s: plaintext on a new "
		    "connection", id, sc->upstream, err);
		return PROXY_TLS_PLAIN;
	}
	if (t == NULL) {
		log_warnx("session %s: upstream %s: TLS handshake failed "
		    "(upstream_tls = \"%s\"): %s: 421 to the client", id,
		    sc->upstream, modes[sc->upstream_tls], err);
		return -1;
	}
	log_debug("session %s: upstream %s: TLS %s %s%s", id, sc->upstream,
	    tls_get_info(t)->version, tls_get_info(t)->cipher,
	    tls_get_info(t)->verified ? ", verified" : "");
	return 0;
}

int
proxy_tls_upstream(struct proxy_upstream *up, const struct config_smtp *sc,
    struct tls_ctx *ctx, const struct smtp_reply *greeting,
    struct conn *client, uint64_t client_deadline, const char *hostname,
    uint64_t timeout_ms, const char *id)
{
	char *g;
	int rc;

	if ((g = malloc(greeting->len)) == NULL) {
		log_warnx("session %s: upstream TLS: out of memory", id);
		return -1;
	}
	memcpy(g, greeting->text, greeting->len);
	if ((rc = exchange(up, sc, ctx, hostname, timeout_ms, id)) == 0 &&
	    conn_write(client, g, greeting->len, client_deadline) != CONN_OK)
		rc = -1;
	free(g);
	return rc;
}
