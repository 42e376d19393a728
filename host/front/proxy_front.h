/*
 * proxy_front - the SMTP proxy front end (DESIGN section 6): one listener
 * of config->smtp[] (listen.h: TCP or a unix socket), a fiber per client
 * session (proxy_session.h), one upstream session per client session.
 */
#ifndef PROXY_FRONT_H
#define PROXY_FRONT_H

#include <stddef.h>

struct config;
struct config_smtp;
struct proxy_front;

#define PROXY_FRONT_GRACE_MS	10000	/* the stop's grace */
/* what a session may hold: the client, the upstream, a spool file */
#define PROXY_FRONT_FDS_PER_SESSION	3

/*
 * proxy_front_new - bind the listener (a bad address or a bind failure is
 * a configuration error: NULL with the reason in err). cfg and sc are not
 * copied and must outlive the front end.
 */
struct proxy_front *proxy_front_new(const struct config *cfg,
		    const struct config_smtp *sc, char *err, size_t errlen);
/* proxy_front_start - start accepting (the fiber scheduler runs); 0 or -1 */
int		 proxy_front_start(struct proxy_front *);
/*
 * proxy_front_stop - stop accepting (a unix socket's path is removed);
 * idle sessions get 421 at once, busy ones may finish for
 * PROXY_FRONT_GRACE_MS and then get 421. Returns at once:
 * proxy_front_free() waits for the sessions.
 */
void		 proxy_front_stop(struct proxy_front *);
/*
 * proxy_front_free - stop (no grace) if not stopped; wait until the
 * sessions have ended; free. A front end whose sessions did not end (5 s
 * after the grace) is left to the process's exit (logged).
 */
void		 proxy_front_free(struct proxy_front *);

/*
 * proxy_front_reload_tls - every listener with tls reads its certificate
 * and key again (SIGHUP); a failure is logged and keeps the running one
 */
void		 proxy_front_reload_tls(void);

#endif /* PROXY_FRONT_H */
