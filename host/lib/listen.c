/*
 * listen - listening sockets, accept fibers and the stop protocol
 * (listen.h)
 *
 * Public: listen_open(), listen_start(), listen_stop(),
 * listen_stop_begin(), listen_stop_wait(), listen_free(), listen_fd(),
 * listen_sessions().
 *
 * The accept fiber keeps the socket in its epoll watch list (an edge per
 * new connection) and parks on it with no deadline: a stop wakes it with
 * fiber_kick_all(). When accept() fails for want of descriptors or memory
 * it parks for LISTEN_BACKOFF_MS rather than spin (the pending connection
 * makes no new edge). Each connection gets a small record (fd, peer) and a
 * fiber that runs the session callback; the count of running sessions is
 * what listen_stop() waits for, on a condition variable (no polling).
 *
 * One kick is enough: conn_stop_begin() sets the stop, then kicks every
 * fiber, and a kick that comes between a fiber's look at the stop and its
 * park ends that park at once (fiber_wait.c). The end of the grace needs
 * no kick: every wait of a stopping connection has the grace's end as its
 * deadline (conn_wait()).
 *
 * Trust: peers are only accepted and handed over. Failures to accept or to
 * start a session are logged and cost that connection only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fiber.h"
#include "listen.h"
#include "log.h"

#define LISTEN_BACKLOG		128
#define LISTEN_BACKOFF_MS	100

struct listener {
	int			 fd;
	struct addr		 addr;
	char			 name[300];	/* addr_format(), for the log */
	struct listen_opts	 o;
	struct conn_stop	*stop;
	int			 unix_bound;	/* unlink addr.path at the stop */
	int			 started, stopped, waited;
	uint64_t		 grace_end;	/* set by the stop */
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;		/* accepting or nsessions changed */
	int			 accepting;	/* under lock */
	_Atomic size_t		 nsessions;
};

/* one accepted connection, on its way to its fiber */
struct listen_conn {
	struct listener		*l;
	int			 fd;
	socklen_t		 peerlen;
	struct sockaddr_storage	 peer;
};

/* in_use - a process listens on the unix socket path */
static int
in_use(const char *path)
{
	struct sockaddr_un sun;
	int fd, r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return r;
}

/* open_unix - the unix socket (a stale one replaced); fd or -1 */
static int
open_unix(struct listener *l, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	if (lstat(l->addr.path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket",
			    l->addr.path);
			return -1;
		}
		if (in_use(l->addr.path)) {
			snprintf(err, errlen, "socket in use by another process");
			return -1;
		}
		(void)unlink(l->addr.path);	/* stale */
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", l->addr.path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(err, errlen, "cannot bind: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	l->unix_bound = 1;
	return fd;
}

/* open_inet - a TCP socket on the first of the addresses that binds; fd or -1 */
static int
open_inet(struct listener *l, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, on = 1, e, saved = EADDRNOTAVAIL;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = l->addr.family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	e = getaddrinfo(l->addr.host[0] ? l->addr.host : NULL, l->addr.port,
	    &hints, &res);
	if (e != 0) {
		snprintf(err, errlen, "%s", gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		/* accepted sockets inherit it (Linux, the BSDs); set again there */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		snprintf(err, errlen, "cannot bind: %s", strerror(saved));
	return fd;
}

struct listener *
listen_open(const struct addr *a, const struct listen_opts *o, char *err,
    size_t errlen)
{
	struct listener *l;

	if (o->session == NULL) {
		snprintf(err, errlen, "no session function");
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->stop = conn_stop_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(l);
		return NULL;
	}
	l->addr = *a;
	l->o = *o;
	addr_format(a, l->name, sizeof(l->name));
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	l->fd = a->family == AF_UNIX ? open_unix(l, err, errlen) :
	    open_inet(l, err, errlen);
	if (l->fd != -1 && listen(l->fd, o->backlog > 0 ? o->backlog :
	    LISTEN_BACKLOG) == -1) {
		snprintf(err, errlen, "cannot listen: %s", strerror(errno));
		close(l->fd);
		l->fd = -1;
	}
	if (l->fd == -1) {
		if (l->unix_bound)
			(void)unlink(l->addr.path);
		l->unix_bound = 0;
		l->stopped = 1;
		listen_free(l);
		return NULL;
	}
	return l;
}

/* session_end - one session fewer; wakes listen_stop() at the last */
static void
session_end(struct listener *l)
{
	pthread_mutex_lock(&l->lock);
	if (atomic_fetch_sub(&l->nsessions, 1) == 1)
		pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

/* session_fiber - one connection's fiber: the callback, then the count */
static void
session_fiber(void *arg)
{
	struct listen_conn *lc = arg;
	struct listener *l = lc->l;

	l->o.session(l->o.arg, lc->fd, (struct sockaddr *)&lc->peer,
	    lc->peerlen, l->stop);
	free(lc);
	session_end(l);
}

/* refuse - no session for fd: the front end's reply, then close */
static void
refuse(struct listener *l, int fd)
{
	if (l->o.refuse != NULL)
		l->o.refuse(l->o.arg, fd);
	close(fd);
}

/* hand - a new connection: its session fiber, or a refusal */
static void
hand(struct listener *l, int fd, const struct sockaddr_storage *ss,
    socklen_t sl)
{
	struct listen_conn *lc;
	int on = 1;

	if (l->o.max_sessions > 0 &&
	    atomic_load(&l->nsessions) >= l->o.max_sessions) {
		refuse(l, fd);
		return;
	}
	if (ss->ss_family != AF_UNIX)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if ((lc = malloc(sizeof(*lc))) == NULL) {
		log_warn("%s: new connection", l->name);
		refuse(l, fd);
		return;
	}
	lc->l = l;
	lc->fd = fd;
	lc->peer = *ss;
	lc->peerlen = sl;
	atomic_fetch_add(&l->nsessions, 1);
	if (fiber_spawn(session_fiber, lc) == -1) {
		log_warn("%s: cannot start a session", l->name);
		free(lc);
		session_end(l);
		refuse(l, fd);
	}
}

/* accept_fiber - accept until the stop, each connection to hand() */
static void
accept_fiber(void *arg)
{
	struct listener *l = arg;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, e;

	(void)fiber_watch(l->fd);	/* an edge per new connection */
	while (!conn_stop_stopping(l->stop)) {
		sl = sizeof(ss);
		fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd != -1) {
			hand(l, fd, &ss, sl);
			continue;
		}
		e = errno;
		if (e == EAGAIN || e == EWOULDBLOCK)
			(void)fiber_wait(l->fd, FIBER_IN, 0);
		else if (e != EINTR && e != ECONNABORTED) {
			/* no descriptor or memory now: the connection waits
			 * in the backlog, and makes no new edge */
			if (e != EMFILE && e != ENFILE && e != ENOBUFS && e != ENOMEM)
				log_warnx("%s: accept: %s", l->name, strerror(e));
			(void)fiber_wait(l->fd, FIBER_IN,
			    clock_deadline(LISTEN_BACKOFF_MS));
		}
	}
	fiber_unwatch(l->fd);
	pthread_mutex_lock(&l->lock);
	l->accepting = 0;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

int
listen_start(struct listener *l)
{
	if (l->started || l->stopped) {
		errno = EALREADY;
		return -1;
	}
	l->accepting = 1;
	if (fiber_spawn(accept_fiber, l) == -1) {
		l->accepting = 0;
		return -1;
	}
	l->started = 1;
	return 0;
}

/* wait_until - cond wait on l (locked) until the clock_ms() time end */
static void
wait_until(struct listener *l, uint64_t end)
{
	struct timespec ts;
	uint64_t now = clock_ms(), ms = end > now ? end - now : 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	(void)pthread_cond_timedwait(&l->cond, &l->lock, &ts);
}

/* stop_accepting - (stop begun) wait for the accept fiber to end; close */
static void
stop_accepting(struct listener *l)
{
	pthread_mutex_lock(&l->lock);
	while (l->accepting)
		pthread_cond_wait(&l->cond, &l->lock);
	pthread_mutex_unlock(&l->lock);
	if (l->fd != -1)
		close(l->fd);
	l->fd = -1;
	if (l->unix_bound)
		(void)unlink(l->addr.path);
	l->unix_bound = 0;
}

void
listen_stop_begin(struct listener *l, uint64_t grace_ms)
{
	if (l == NULL || l->stopped)
		return;
	l->stopped = 1;
	l->grace_end = clock_ms() + grace_ms;
	conn_stop_begin(l->stop, l->grace_end);	/* and one kick */
	stop_accepting(l);
}

void
listen_stop_wait(struct listener *l)
{
	uint64_t hard;

	if (l == NULL || !l->stopped || l->waited)
		return;
	l->waited = 1;
	hard = l->grace_end + LISTEN_HARD_MS;
	pthread_mutex_lock(&l->lock);
	while (atomic_load(&l->nsessions) > 0 && clock_ms() < hard)
		wait_until(l, hard);
	pthread_mutex_unlock(&l->lock);
	if (atomic_load(&l->nsessions) > 0)
		log_warnx("%s: %zu sessions still running %d ms after the "
		    "grace: left to the exit", l->name,
		    atomic_load(&l->nsessions), LISTEN_HARD_MS);
}

void
listen_stop(struct listener *l, uint64_t grace_ms)
{
	listen_stop_begin(l, grace_ms);
	listen_stop_wait(l);
}

void
listen_free(struct listener *l)
{
	if (l == NULL)
		return;
	listen_stop(l, 0);	/* the wait only, after a listen_stop_begin() */
	if (atomic_load(&l->nsessions) > 0)
		return;		/* they hold l: leave it to the exit */
	if (l->fd != -1)
		close(l->fd);
	if (l->unix_bound)
		(void)unlink(l->addr.path);
	conn_stop_free(l->stop);
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

int
listen_fd(const struct listener *l)
{
	return l->fd;
}

size_t
listen_sessions(const struct listener *l)
{
	return atomic_load(&l->nsessions);
}
