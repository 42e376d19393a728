/*
 * proxy_tls - the SMTP proxy's TLS (DESIGN section 11): the client's side
 * (STARTTLS or implicit_tls: the handshake and what the session learns
 * from it) and the upstream's (upstream_tls: STARTTLS to the upstream
 * before the client's greeting). The layer itself is tls.h, under the
 * connections (conn.h).
 */
#ifndef PROXY_TLS_H
#define PROXY_TLS_H

#include <stdint.h>

#include "conn.h"
#include "proxy_upstream.h"
#include "smtp_reply.h"
#include "tls.h"

struct config_smtp;
struct pg_session;

/*
 * proxy_tls_client - the server side of a handshake with the client on c
 * (nothing of its may be buffered: the caller discards what came before),
 * done within timeout_ms; the outcome goes into s (session_set_tls_info()).
 * 0, or -1 when the session must end (logged with id and the client's
 * address; there is no way left to reply)
 */
int	proxy_tls_client(struct conn *c, struct tls_ctx *ctx, uint64_t timeout_ms,
	    const char *id, const char *addr, struct pg_session *s);
/* proxy_tls_starttls()'s outcome */
#define PROXY_TLS_REPLIED	0	/* refused with a reply queued on c */
#define PROXY_TLS_STARTED	1	/* TLS is up: the session starts again */
#define PROXY_TLS_CLOSE		(-1)	/* end the session (logged): c is dead */
#define PROXY_TLS_PLAIN		2	/* "may", the handshake failed: reconnect */

/*
 * proxy_tls_starttls - the client's STARTTLS with argument arg (RFC
 * 3207): with ctx NULL, with TLS already up (s has it) or an argument, a
 * reply queued on c; else 220 is sent (with any replies queued before it),
 * every byte the client sent after the command is discarded (logged), and
 * the handshake runs (proxy_tls_client()). deadline: for the 220's write.
 */
int	proxy_tls_starttls(struct conn *c, struct tls_ctx *ctx, const char *arg,
	    uint64_t deadline, const char *id, const char *name, const char *addr,
	    struct pg_session *s);
/*
 * proxy_tls_upstream - upstream_tls on up, right after its greeting: EHLO
 * with hostname, STARTTLS when the upstream offers it, the handshake with
 * ctx within timeout_ms (the name checked with "verify" is upstream_name, else the
 * upstream's host). 0 when the session goes on (TLS up; or not offered
 * with "may"), PROXY_TLS_PLAIN when the handshake failed with "may" (logged:
 * up is spent, the caller connects again and stays in plaintext, as
 * Postfix's smtp client does), -1 when it must not go on (logged: the
 * client gets 4xx; never a plaintext fallback with "encrypt" or "verify"). greeting: the
 * upstream's 2xx greeting (up's last reply), queued on client on success
 * (a copy is kept across the exchange, which reads over its bytes).
 */
int	proxy_tls_upstream(struct proxy_upstream *up, const struct config_smtp *sc,
	    struct tls_ctx *ctx, const struct smtp_reply *greeting,
	    struct conn *client, uint64_t client_deadline, const char *hostname,
	    uint64_t timeout_ms, const char *id);

#endif /* PROXY_TLS_H */
