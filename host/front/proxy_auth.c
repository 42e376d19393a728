/*
 * proxy_auth - AUTH relayed to the upstream (proxy_auth.h)
 *
 * Public: proxy_auth_ehlo(), proxy_auth_relay().
 *
 * The upstream (Postfix with Dovecot SASL, or any server that offers
 * AUTH) checks the credentials; phasegate only moves the lines, so every
 * mechanism that is a sequence of 334 challenges and one-line answers
 * works (PLAIN, LOGIN, CRAM-MD5, SCRAM-*). The client's lines are bounded
 * by its connection's buffer and sent upstream as they came (a "*" too:
 * the upstream answers 501, RFC 4954). The login name is decoded from
 * PLAIN's or LOGIN's answer for session.auth; the decoded bytes are
 * wiped after use, and nothing of an answer line is ever logged.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "mime_dec.h"
#include "proxy_auth.h"
#include "session.h"

#define AUTH_USER_MAX	256

/* printable - non-printable bytes of s become '?' (for the log and session.auth) */
static void
printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 33 || (unsigned char)*s > 126)
			*s = '?';
}

/* loopback - a loopback address (auth_loopback) */
static int
loopback(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0;
}

const char *
proxy_auth_ehlo(struct proxy_auth *a, const struct config_smtp *sc, int tls,
    const char *addr, struct proxy_upstream *up, const struct smtp_reply *r,
    char *buf, size_t len)
{
	const char *l;
	size_t i, n;

	a->offered = 0;
	if (!sc->auth || a->done || !(tls || (sc->auth_loopback &&
	    loopback(addr))))
		return NULL;
	for (i = 1; i < r->nlines; i++)
		if ((l = proxy_upstream_line(up, i, &n)) != NULL &&
		    smtp_reply_ehlo_keyword(l, n, "AUTH") && n < len) {
			memcpy(buf, l, n);
			buf[n] = '\0';
			a->offered = 1;
			return buf;
		}
	return NULL;
}

/*
 * login_name - the login name in a PLAIN (authzid NUL authcid NUL
 * password) or LOGIN (the name) answer, base64; "" when it is not one
 */
static void
login_name(const char *mech, const char *b64, size_t len, char *user,
    size_t ulen)
{
	char dec[1024];
	const char *p, *end;
	size_t n;

	user[0] = '\0';
	n = mime_dec_b64(b64, len, dec, sizeof(dec), NULL, NULL);
	if (strcasecmp(mech, "PLAIN") == 0) {
		/* skip the authzid: the name is between the two NULs */
		if ((p = memchr(dec, '\0', n)) != NULL &&
		    (end = memchr(p + 1, '\0', n - (size_t)(p + 1 - dec))) != NULL)
			snprintf(user, ulen, "%.*s", (int)(end - p - 1), p + 1);
	} else if (strcasecmp(mech, "LOGIN") == 0 && memchr(dec, '\0', n) == NULL)
		snprintf(user, ulen, "%.*s", (int)n, dec);
	explicit_bzero(dec, sizeof(dec));
	printable(user);
}

/* refusal - the reply when AUTH is not possible now, or NULL */
static const char *
refusal(const struct proxy_auth *a, const struct config_smtp *sc, int tls,
    int in_tx)
{
	if (a->done)
		return "503 5.5.1 Error: already authenticated";
	if (!a->offered && sc->auth && sc->tls_cert != NULL && !tls)
		return "530 5.7.0 Must issue a STARTTLS command first";
	if (!a->offered)
		return "502 5.5.1 Error: command not implemented";
	if (in_tx)
		return "503 5.5.1 Error: MAIL transaction in progress";
	return NULL;
}

/*
 * exchange - 334 to the client, its answer upstream, until a final reply
 * (in r); the login name from the first answer when the command had none
 */
static int
exchange(struct conn *c, struct proxy_upstream *up, struct smtp_reply *r,
    const char *mech, int have_initial, uint64_t timeout_ms, char *user)
{
	const char *l;
	size_t n;
	int first = 1;

	while (r->code == 334) {
		if (conn_write(c, r->text, r->len, clock_deadline(timeout_ms)) !=
		    CONN_OK || conn_flush(c, clock_deadline(timeout_ms)) != CONN_OK)
			return PROXY_AUTH_CLOSE;
		if (conn_read_line(c, 0, clock_deadline(timeout_ms),
		    CONN_STRIP_CR, &l, &n) != CONN_OK)
			return PROXY_AUTH_CLOSE;
		if (first && !have_initial)
			login_name(mech, l, n, user, AUTH_USER_MAX);
		first = 0;
		if (proxy_upstream_cmd(up, l, n, r) < 0)
			return PROXY_AUTH_LOST;
	}
	return 0;
}

int
proxy_auth_relay(struct proxy_auth *a, const struct config_smtp *sc, int tls,
    int in_tx, struct conn *c, struct proxy_upstream *up, const char *line,
    size_t len, const char *arg, uint64_t timeout_ms, const char *id,
    struct pg_session *s)
{
	char mech[32], user[AUTH_USER_MAX] = "";
	const char *why, *ir;
	struct smtp_reply r;
	int rc;

	if ((why = refusal(a, sc, tls, in_tx)) != NULL)
		return conn_printf(c, clock_deadline(timeout_ms), "%s\r\n", why) ==
		    CONN_OK ? 0 : PROXY_AUTH_CLOSE;
	snprintf(mech, sizeof(mech), "%.*s", (int)strcspn(arg, " "), arg);
	printable(mech);
	ir = arg + strcspn(arg, " ");
	ir += strspn(ir, " ");
	if (*ir != '\0' && strcmp(ir, "=") != 0)
		login_name(mech, ir, strlen(ir), user, sizeof(user));
	if (proxy_upstream_cmd(up, line, len, &r) < 0)
		return PROXY_AUTH_LOST;
	if ((rc = exchange(c, up, &r, mech, *ir != '\0', timeout_ms, user)) != 0)
		return rc;
	if (r.code == 235) {
		a->done = 1;
		if (session_set_auth(s, user[0] ? user : "unknown") == -1)
			log_warnx("session %s: AUTH: out of memory", id);
		log_info("session %s: AUTH %s: authenticated as %s", id, mech,
		    user[0] ? user : "unknown");
	} else
		log_info("session %s: AUTH %s: the upstream said %d", id, mech,
		    r.code);
	return conn_write(c, r.text, r.len, clock_deadline(timeout_ms)) ==
	    CONN_OK ? 0 : PROXY_AUTH_CLOSE;
}
