/*
 * proxy_session - one client session of the SMTP proxy (DESIGN section
 * 6): the client's commands read from its connection, each phase run
 * through the core (run.h) and relayed to the session's own upstream
 * connection (proxy_upstream.h); EHLO by proxy_ehlo.h, the message
 * received here and delivered by proxy_deliver.h.
 */
#ifndef PROXY_SESSION_H
#define PROXY_SESSION_H

#include <sys/socket.h>

#include "conn.h"

struct config;
struct config_smtp;
struct tls_ctx;

/* what every session of one listener shares: filled in by proxy_front */
struct proxy_session_conf {
	const struct config	*cfg;		/* timeouts */
	const struct config_smtp *sc;		/* the listener's settings */
	const char		*hostname;	/* ours, for replies */
	struct tls_ctx		*tls;		/* STARTTLS, implicit_tls; NULL: none */
	struct tls_ctx		*uptls;		/* upstream_tls; NULL: none */
};

/*
 * proxy_session_run - the session of the client on fd (non-blocking; it
 * is the session's and closed here), from peer (an AF_UNIX peer is taken
 * as a local client: 127.0.0.1, "localhost", as Postfix's smtpd does).
 * Its connections obey stop: between commands a stop ends the session
 * with 421 at once; a command or a message in progress may finish within
 * the stop's grace. Returns when the session has ended. pc, peer and stop
 * are not kept after the return.
 */
void		 proxy_session_run(const struct proxy_session_conf *pc, int fd,
		    const struct sockaddr *peer, socklen_t peerlen,
		    const struct conn_stop *stop);

#endif /* PROXY_SESSION_H */
