/*
 * milter_front - the milter front end (DESIGN section 6): phasegate as a
 * libmilter filter that Postfix and Sendmail attach to, feeding every
 * callback to the chain of the session's generation.
 *
 * libmilter keeps one filter per process in global state, so there is one
 * milter listener per process: milter_front_start() once, then
 * milter_front_stop() once. The listener runs in its own thread; libmilter's
 * own signal thread is not started (see docs/milter.md): signals belong to
 * serve's main thread.
 */
#ifndef MILTER_FRONT_H
#define MILTER_FRONT_H

#include <stddef.h>

struct config;

/*
 * milter_front_start - check cfg->milter_listen, register the filter, open
 * the socket (a bad spec or a socket in use is an error here, with the
 * reason in err) and start the listener thread. Does nothing and returns 0
 * when cfg->milter_listen is NULL. Returns 0 or -1.
 */
int	milter_front_start(const struct config *cfg, char *err, size_t errlen);

/* milter_front_stop - stop accepting, close the socket, join the thread. */
void	milter_front_stop(void);

#endif /* MILTER_FRONT_H */
