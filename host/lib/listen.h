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
 *
 * Fair shares (struct listen_opts), so that a few clients cannot take a
 * listener off the air (Postfix's anvil and postscreen in spirit):
 *
 *	- max_sessions: over it a client is refused (LISTEN_FULL);
 *	- max_per_client: sessions per client address (IPv4, or IPv6 as a
 *	  whole address, as anvil counts; unix socket peers are not
 *	  counted); over it a client is refused (LISTEN_CLIENT_FULL);
 *	- evict_at: with that many sessions running, each new client ends
 *	  the session that has waited for its own client the longest (at
 *	  least LISTEN_EVICT_MIN_MS; sessions say when they wait with
 *	  listen_session_wait()): its waits end with CONN_STOPPING at once
 *	  and listen_session_evicted() says why, so it can say 421 and go;
 *	- fds_per_session: the descriptors one session may come to hold; a
 *	  client the process has no room for (RLIMIT_NOFILE, counted over
 *	  every listener, less LISTEN_FD_SPARE) is refused (LISTEN_NO_FDS)
 *	  rather than let in to fail later. Each listener also keeps one
 *	  spare descriptor: when accept() finds none left (EMFILE), the
 *	  spare is given up for one accept, that client refused
 *	  (LISTEN_NO_FDS) and closed, the spare taken again, so that clients
 *	  beyond the limit get an answer instead of waiting in the backlog.
 *
 * Each condition is logged once per burst (the first time after
 * LISTEN_BURST_MS without it), with the count of the burst before.
 */
#ifndef LISTEN_H
#define LISTEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"
#include "conn.h"

#define LISTEN_HARD_MS		5000
#define LISTEN_EVICT_MIN_MS	2000	/* a session waiting less is not ended */
#define LISTEN_BURST_MS		10000	/* a condition's bursts: this long apart */
#define LISTEN_FD_SPARE		32	/* descriptors kept out of the count */

/*
 * A session: runs in its own fiber; fd (non-blocking, TCP_NODELAY on TCP)
 * is the session's to close; peer is valid during the call; the session's
 * connections obey stop (conn_set_stop()), the session's own stop under
 * the listener's: it is what listen_session_wait() and
 * listen_session_evicted() take.
 */
typedef void	(*listen_session_fn)(void *arg, int fd,
		    const struct sockaddr *peer, socklen_t peerlen,
		    const struct conn_stop *stop);
/* why a connection gets no session */
enum listen_refusal {
	LISTEN_FULL = 1,	/* max_sessions reached */
	LISTEN_CLIENT_FULL,	/* max_per_client reached for its address */
	LISTEN_NO_FDS,		/* no descriptors left for it */
	LISTEN_NO_MEMORY	/* no memory for its record or fiber */
};

/*
 * A connection that gets no session: called in the accept fiber, for a
 * best-effort reply without waiting (MSG_DONTWAIT); the listener closes
 * fd afterwards.
 */
typedef void	(*listen_refuse_fn)(void *arg, int fd, enum listen_refusal why);

struct listen_opts {
	listen_session_fn session;	/* required */
	listen_refuse_fn refuse;	/* NULL: just close */
	void		*arg;		/* for both; not owned */
	unsigned	 max_sessions;	/* 0: no limit */
	int		 backlog;	/* 0: 128 */
	unsigned	 max_per_client; /* sessions per client address; 0: no limit */
	unsigned	 evict_at;	/* sessions from which a new client ends the
					 * longest-waiting one; 0: never */
	unsigned	 fds_per_session; /* descriptors a session may hold; 0: no check */
	/* a unix socket, after the bind: */
	unsigned	 sock_mode;	/* chmod; 0: as the umask made it */
	const char	*sock_group;	/* chown to this group (name or number); NULL: no */
	const char	*sock_user;	/* owner when run as root (the user serve
					 * becomes, who removes it at stop); NULL: no */
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

/*
 * listen_session_wait - from a session (its stop): it waits for its
 * client since the clock_ms() time since (the start of the request it
 * waits for: a slow client's since stays old), or 0: it is busy (a
 * filter, the upstream) and must not be ended to make room. A stop that
 * is not a session's is ignored.
 */
void		 listen_session_wait(const struct conn_stop *stop, uint64_t since);
/* listen_session_evicted - 1 when the listener ended this session to make room */
int		 listen_session_evicted(const struct conn_stop *stop);

#endif /* LISTEN_H */
