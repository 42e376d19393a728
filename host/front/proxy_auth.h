/*
 * proxy_auth - the SMTP proxy's AUTH relay (DESIGN section 11): AUTH is
 * offered to the client only when the listener has auth = true, the
 * session is over TLS (or the client is on loopback and auth_loopback is
 * set) and the upstream offers AUTH; the SASL exchange is then relayed
 * line by line between the client and the upstream, which decides.
 */
#ifndef PROXY_AUTH_H
#define PROXY_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "proxy_upstream.h"
#include "smtp_reply.h"

struct config_smtp;
struct pg_session;

/* one session's AUTH state (in the session; zeroed at STARTTLS) */
struct proxy_auth {
	int		 offered;	/* in the client's last EHLO reply */
	int		 done;		/* the upstream said 235 */
};

/* proxy_auth_relay()'s outcomes besides 0 (replied) */
#define PROXY_AUTH_LOST		(-1)	/* the upstream is gone: the caller says 421 */
#define PROXY_AUTH_CLOSE	(-2)	/* the client is gone or stalled: end */

/*
 * proxy_auth_ehlo - at EHLO, after the upstream's 2xx EHLO reply r (its
 * last on up): the upstream's AUTH line ("AUTH PLAIN LOGIN", into buf) to
 * offer the client, or NULL; a->offered says which. tls: the session is
 * over TLS; addr: the client's address (loopback for auth_loopback).
 */
const char	*proxy_auth_ehlo(struct proxy_auth *a, const struct config_smtp *sc,
		    int tls, const char *addr, struct proxy_upstream *up,
		    const struct smtp_reply *r, char *buf, size_t len);
/*
 * proxy_auth_relay - the client's AUTH command (line, its argument arg):
 * refused with a reply queued on c (not offered: 530 without TLS when the
 * listener has tls, else 502; twice, or inside a transaction: 503), or
 * relayed: each 334 to the client, each answer line of the client's to
 * the upstream, until the upstream's final reply, queued on c. At 235 the
 * login name (from PLAIN or LOGIN; else "unknown") goes into s
 * (session_set_auth()). Credentials are never logged. 0,
 * PROXY_AUTH_LOST or PROXY_AUTH_CLOSE.
 */
int		 proxy_auth_relay(struct proxy_auth *a, const struct config_smtp *sc,
		    int tls, int in_tx, struct conn *c, struct proxy_upstream *up,
		    const char *line, size_t len, const char *arg,
		    uint64_t timeout_ms, const char *id, struct pg_session *s);

#endif /* PROXY_AUTH_H */
