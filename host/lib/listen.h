/*
 * listen - one listening socket for a front end: bind, accept on a fiber,
 * one fiber per connection, and one way to stop
 *
 * listen_open() binds (TCP or a unix socket, from a parsed struct addr);
 * listen_start() starts the accept fiber, which runs the session callback
 * in a new fiber for each connection. listen_stop(), from a plain thread
 * (serve's main thread), is the one stop protocol of every front end:
 *
 *	1. stop accepting: the accept fiber ends, the socket is closed (a
 *	   unix socket's path removed), new clients are refused by the kernel;
 *	2. the grace period: the sessions' struct conn_stop says stopping, so
 *	   a session waiting between requests (CONN_IDLE) ends at once, and
 *	   one in the middle of a request may finish it;
 *	3. at the end of the grace every wait of every session ends with
 *	   CONN_STOPPING (a session busy in a filter gets it at its next
 *	   wait); listen_stop() returns when the last session has returned,
 *	   or LISTEN_HARD_MS after the grace, leaving the stragglers (logged)
 *	   to the process's exit.
 */
#ifndef LISTEN_H
#define LISTEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"
#include "conn.h"

#define LISTEN_HARD_MS	5000

/*
 * A session: runs in its own fiber; fd (non-blocking, TCP_NODELAY on TCP)
 * is the session's to close; peer is valid during the call; the session's
 * connections obey stop (conn_set_stop()).
 */
typedef void	(*listen_session_fn)(void *arg, int fd,
		    const struct sockaddr *peer, socklen_t peerlen,
		    const struct conn_stop *stop);
/*
 * A connection that gets no session (max_sessions reached, no memory for
 * a fiber): called in the accept fiber, for a best-effort reply without
 * waiting (MSG_DONTWAIT); the listener closes fd afterwards.
 */
typedef void	(*listen_refuse_fn)(void *arg, int fd);

struct listen_opts {
	listen_session_fn session;	/* required */
	listen_refuse_fn refuse;	/* NULL: just close */
	void		*arg;		/* for both; not owned */
	unsigned	 max_sessions;	/* 0: no limit */
	int		 backlog;	/* 0: 128 */
};

struct listener;

/*
 * listen_open - bind and listen on a (a name is resolved here: startup).
 * A unix socket path left by a dead process is replaced; one that another
 * process listens on, or a file that is not a socket, is refused. NULL
 * with the reason in err ("cannot bind: Address already in use").
 */
struct listener	*listen_open(const struct addr *a, const struct listen_opts *o,
		    char *err, size_t errlen);
/* listen_start - start accepting (the fiber scheduler runs); 0 or -1 (errno) */
int		 listen_start(struct listener *);
/* listen_stop - the stop protocol above, with a grace of grace_ms */
void		 listen_stop(struct listener *, uint64_t grace_ms);
/*
 * listen_stop_begin - steps 1 and 2 only: stop accepting, start the
 * grace; returns at once, so that a daemon with many listeners stops
 * accepting on all of them at once and their graces run together
 */
void		 listen_stop_begin(struct listener *, uint64_t grace_ms);
/* listen_stop_wait - step 3, after listen_stop_begin(): the sessions' end */
void		 listen_stop_wait(struct listener *);
/*
 * listen_free - stop (no grace) if still running, or wait for the
 * sessions after a listen_stop_begin(); close, free. While sessions still
 * run (after the stop gave up on them) the listener is left to the
 * process's exit (logged).
 */
void		 listen_free(struct listener *);
/* listen_fd - the listening socket (getsockname() of a port 0), -1 after the stop */
int		 listen_fd(const struct listener *);
/* listen_sessions - sessions running now */
size_t		 listen_sessions(const struct listener *);

#endif /* LISTEN_H */
