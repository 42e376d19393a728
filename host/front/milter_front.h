/*
 * milter_front - the milter front end (DESIGN section 6): phasegate as a
 * milter that Postfix and Sendmail attach to, speaking the milter protocol
 * itself (milter_proto.h; see docs/milter.md for why not libmilter) and
 * feeding every command to the chain of the session's generation
 * (milter_stage.h).
 *
 * One listener (listen.h: a unix socket or TCP) and a fiber per MTA
 * connection, so fiber_start() comes first and fiber_stop() after
 * milter_front_stop().
 */
#ifndef MILTER_FRONT_H
#define MILTER_FRONT_H

#include <stddef.h>

struct config;
struct milter_front;

/*
 * The stop's grace: a connection in the middle of a message (MAIL to the
 * end of the message) may finish it for this long; one between messages
 * is closed at once. The MTA applies its milter_default_action to what
 * was cut (docs/milter.md).
 */
#define MILTER_FRONT_GRACE_MS	10000
/* what a connection may hold: the MTA's socket and a spool file */
#define MILTER_FRONT_FDS_PER_SESSION	2

/*
 * milter_front_new - parse cfg->milter_listen and bind it (a bad spec or
 * a socket in use is a configuration error: NULL with the reason in err).
 * cfg is not copied and must outlive the front end.
 */
struct milter_front *milter_front_new(const struct config *cfg, char *err,
		    size_t errlen);
/* milter_front_start - start accepting (the fiber scheduler runs); 0 or -1 */
int		 milter_front_start(struct milter_front *);
/*
 * milter_front_stop - stop accepting (a unix socket's path is removed),
 * close the connections between messages at once, let those in a message
 * go on for MILTER_FRONT_GRACE_MS, then close them. Returns at once:
 * milter_front_free() waits for the connections.
 */
void		 milter_front_stop(struct milter_front *);
/*
 * milter_front_free - stop (no grace) if not stopped; wait until every
 * connection has ended; free. A front end whose connections did not end
 * (5 s after the grace) is left to the process's exit (logged).
 */
void		 milter_front_free(struct milter_front *);

#endif /* MILTER_FRONT_H */
