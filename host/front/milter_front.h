/*
 * milter_front - the milter front end (DESIGN section 6): phasegate as a
 * milter that Postfix and Sendmail attach to, speaking the milter protocol
 * itself (milter_proto.h; see docs/milter.md for why not libmilter) and
 * feeding every command to the chain of the session's generation.
 *
 * One milter listener per process: milter_front_start() once, then
 * milter_front_stop() once. The listener and each MTA connection are
 * fibers (signals stay with serve's main thread), so fiber_start() comes
 * first and fiber_stop() after milter_front_stop().
 */
#ifndef MILTER_FRONT_H
#define MILTER_FRONT_H

#include <stddef.h>

struct config;

/*
 * milter_front_start - check cfg->milter_listen, open the socket (a bad
 * spec or a socket in use is an error here, with the reason in err) and
 * start the listener's fiber. Does nothing and returns 0
 * when cfg->milter_listen is NULL. Returns 0 or -1.
 */
int	milter_front_start(const struct config *cfg, char *err, size_t errlen);

/*
 * milter_front_stop - stop accepting, close the socket,
 * shut the open connections down and wait (at most 10 s) until their
 * fibers have returned.
 */
void	milter_front_stop(void);

#endif /* MILTER_FRONT_H */
