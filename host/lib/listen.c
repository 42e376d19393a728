/*
 * listen - listening sockets, accept fibers and the stop protocol
 * (listen.h)
 *
 * Public: listen_open(), listen_start(), listen_stop(),
 * listen_stop_begin(), listen_stop_wait(), listen_free(), listen_fd(),
 * listen_sessions(), listen_session_wait(), listen_session_evicted().
 *
 * The accept fiber keeps the socket in its epoll watch list (an edge per
 * new connection) and parks on it with no deadline: a stop wakes it with
 * fiber_kick_all(). When accept() fails for want of descriptors or memory
 * it parks for LISTEN_BACKOFF_MS rather than spin (the pending connection
 * makes no new edge); for want of descriptors it first gives up its spare
 * one to accept and refuse a client (shed()). Each connection gets a small
 * record (fd, peer, its own stop under the listener's) and a fiber that
 * runs the session callback; the count of running sessions is what
 * listen_stop() waits for, on a condition variable (no polling).
 *
 * Fair shares (listen.h) are decided in admit(), under the listener's
 * lock, which also guards the list of running sessions (scanned for the
 * longest-waiting one only when the listener is near full), the per-client
 * counts (a chained hash of addresses with sessions) and the burst
 * counters of the log. A session ended to make room is told the way a
 * stop tells every session (its own stop begins, with no grace) and woken
 * alone (fiber_kick()). The descriptor count is process-wide: the
 * descriptors open when the first listener started, plus what every
 * listener's running sessions may hold.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <pwd.h>
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
#define LISTEN_CLIENT_BUCKETS	1024

/* one client address's sessions (max_per_client) */
struct client {
	struct client		*next;
	unsigned		 n;
	int			 family;	/* AF_INET, AF_INET6 */
	unsigned char		 a[16];
};

/* a condition logged once per burst */
struct burst {
	uint64_t		 last;		/* when it last came; 0: never */
	unsigned long		 n;		/* times in this burst */
};

struct listen_conn;

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
	_Atomic size_t		 nsessions;	/* changed under lock */
	/* under lock: */
	struct listen_conn	*conns;		/* running sessions */
	size_t			 nevicted;	/* ended to make room, not gone yet */
	struct client		**clients;	/* max_per_client: by address */
	struct burst		 b_full, b_client, b_fds, b_evict;
	int			 reserve;	/* the spare descriptor, or -1 */
};

/* one session's record, from the accept to the session's end */
struct listen_conn {
	struct listener		*l;
	int			 fd;
	socklen_t		 peerlen;
	struct sockaddr_storage	 peer;
	struct conn_stop	*stop;		/* the session's, under l->stop */
	struct fiber		*fiber;		/* the session's, once it runs (lock) */
	struct client		*cl;		/* its address's count, or NULL */
	struct listen_conn	*prev, *next;	/* l->conns (lock) */
	_Atomic uint64_t	 since;		/* waits for its client since; 0 busy */
	_Atomic int		 evicted;
};

/* the process's descriptors (every listener's sessions count) */
static _Atomic size_t	 fds_committed;	/* what running sessions may hold */
static _Atomic size_t	 fds_base;	/* open when a listener started */
static _Atomic size_t	 fds_limit;	/* RLIMIT_NOFILE then; 0: unknown */

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

/*
 * sock_owner - resolve the owner (sock_user, as root only) and group of a
 * unix socket into *uid and *gid ((uid_t)-1, (gid_t)-1: unchanged); 0 or
 * -1 with the reason in err
 */
static int
sock_owner(const struct listen_opts *o, uid_t *uid, gid_t *gid, char *err,
    size_t errlen)
{
	struct passwd *pw;
	struct group *gr;
	char *end;
	unsigned long n;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (o->sock_user != NULL && geteuid() == 0) {
		if ((pw = getpwnam(o->sock_user)) == NULL) {
			snprintf(err, errlen, "user %s: no such user", o->sock_user);
			return -1;
		}
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	if (o->sock_group == NULL)
		return 0;
	if ((gr = getgrnam(o->sock_group)) != NULL)
		*gid = gr->gr_gid;
	else if ((n = strtoul(o->sock_group, &end, 10)) > 0 && *end == '\0')
		*gid = (gid_t)n;
	else {
		snprintf(err, errlen, "socket_group %s: no such group",
		    o->sock_group);
		return -1;
	}
	return 0;
}

/* sock_perms - socket_mode and socket_group (and the owner) of a new socket */
static int
sock_perms(const struct listener *l, char *err, size_t errlen)
{
	const char *path = l->addr.path;
	uid_t uid;
	gid_t gid;

	if (sock_owner(&l->o, &uid, &gid, err, errlen) == -1)
		return -1;
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) == -1) {
		snprintf(err, errlen, "cannot give the socket to %s%s%s: %s%s",
		    uid != (uid_t)-1 ? l->o.sock_user : "",
		    l->o.sock_group != NULL ? " group " : "",
		    l->o.sock_group != NULL ? l->o.sock_group : "", strerror(errno),
		    errno == EPERM ? " (socket_group takes root, or a user in "
		    "that group: systemd SupplementaryGroups=)" : "");
		return -1;
	}
	if (l->o.sock_mode != 0 && chmod(path, l->o.sock_mode) == -1) {
		snprintf(err, errlen, "cannot set the socket's mode %04o: %s",
		    l->o.sock_mode, strerror(errno));
		return -1;
	}
	return 0;
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
	if (sock_perms(l, err, errlen) == -1) {
		close(fd);
		return -1;	/* listen_open() unlinks it */
	}
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
	l->reserve = -1;
	addr_format(a, l->name, sizeof(l->name));
	if (o->max_per_client > 0 && (l->clients = calloc(LISTEN_CLIENT_BUCKETS,
	    sizeof(*l->clients))) == NULL) {
		snprintf(err, errlen, "out of memory");
		conn_stop_free(l->stop);
		free(l);
		return NULL;
	}
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
	/* the spare descriptor shed() gives up when there is no other */
	l->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return l;
}

/* --- bursts, descriptors, clients --- */

/*
 * burst_note - one more of a condition; 1 when it starts a burst (the
 * caller logs it), with what the log line ends with in tail: "(logged once
 * per burst; the last burst had N)"
 */
static int
burst_note(struct burst *b, char *tail, size_t len)
{
	uint64_t now = clock_ms();
	int start = b->last == 0 || now - b->last >= LISTEN_BURST_MS;

	if (start && b->n > 0)
		snprintf(tail, len, "(logged once per burst; the last burst had "
		    "%lu)", b->n);
	else if (start)
		snprintf(tail, len, "(logged once per burst)");
	if (start)
		b->n = 0;
	b->n++;
	b->last = now;
	return start;
}

/* count_fds - the descriptors open now (/proc/self/fd), 0 when unknown */
static size_t
count_fds(void)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 0 ? n - 1 : 0;	/* not the directory's own */
}

/* fd_room - the process has room for one more of l's sessions */
static int
fd_room(const struct listener *l)
{
	size_t limit = atomic_load(&fds_limit);

	if (l->o.fds_per_session == 0 || limit == 0)
		return 1;
	return atomic_load(&fds_base) + atomic_load(&fds_committed) +
	    l->o.fds_per_session + LISTEN_FD_SPARE <= limit;
}

/* peer_key - the address that counts for max_per_client; 0 or -1 (not counted) */
static int
peer_key(const struct sockaddr_storage *ss, int *family, unsigned char a[16])
{
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct sockaddr_in *s4 = (const void *)ss;

	memset(a, 0, 16);
	if (ss->ss_family == AF_INET) {
		*family = AF_INET;
		memcpy(a, &s4->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		*family = AF_INET;
		memcpy(a, s6->sin6_addr.s6_addr + 12, 4);
	} else if (ss->ss_family == AF_INET6) {
		*family = AF_INET6;
		memcpy(a, &s6->sin6_addr, 16);
	} else
		return -1;
	return 0;
}

/* client_bucket - the chain of an address */
static struct client **
client_bucket(struct listener *l, int family, const unsigned char a[16])
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ a[i]) * 16777619u;
	h ^= (uint32_t)family;
	return &l->clients[h % LISTEN_CLIENT_BUCKETS];
}

/* client_get - the count of an address (made at 0); NULL: no memory */
static struct client *
client_get(struct listener *l, const struct sockaddr_storage *ss)
{
	struct client **b, *c;
	unsigned char a[16];
	int family;

	if (peer_key(ss, &family, a) == -1)
		return NULL;
	b = client_bucket(l, family, a);
	for (c = *b; c != NULL; c = c->next)
		if (c->family == family && memcmp(c->a, a, 16) == 0)
			return c;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->family = family;
	memcpy(c->a, a, 16);
	c->next = *b;
	*b = c;
	return c;
}

/* client_put - one session of c fewer; the entry goes at 0 */
static void
client_put(struct listener *l, struct client *c)
{
	struct client **p;

	if (c == NULL || --c->n > 0)
		return;
	for (p = client_bucket(l, c->family, c->a); *p != NULL; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	free(c);
}

/* client_name - an address as text, for the log */
static const char *
client_name(const struct client *c, char *buf, size_t len)
{
	if (inet_ntop(c->family, c->a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

/* --- admission --- */

/* live - sessions that count against the limits (under lock) */
static size_t
live(const struct listener *l)
{
	return atomic_load(&l->nsessions) - l->nevicted;
}

/*
 * evict_one - end the session that has waited for its client the longest
 * (at least LISTEN_EVICT_MIN_MS), under lock; 1 when there was one
 */
static int
evict_one(struct listener *l)
{
	struct listen_conn *lc, *old = NULL;
	uint64_t now = clock_ms(), since, oldest = UINT64_MAX;
	char tail[80];

	for (lc = l->conns; lc != NULL; lc = lc->next) {
		since = atomic_load(&lc->since);
		if (since == 0 || atomic_load(&lc->evicted) || lc->fiber == NULL ||
		    now < since + LISTEN_EVICT_MIN_MS || since >= oldest)
			continue;
		oldest = since;
		old = lc;
	}
	if (old == NULL)
		return 0;
	atomic_store(&old->evicted, 1);
	l->nevicted++;
	conn_stop_set(old->stop, now);	/* every wait of it ends at once */
	fiber_kick(old->fiber);
	if (burst_note(&l->b_evict, tail, sizeof(tail)))
		log_warnx("%s: %zu sessions, near max_sessions (%u): the "
		    "sessions that waited the longest for their clients are "
		    "closed to make room %s", l->name,
		    atomic_load(&l->nsessions), l->o.max_sessions, tail);
	return 1;
}

/* refused_log - log a refusal once per burst (under lock) */
static void
refused_log(struct listener *l, enum listen_refusal why, const struct client *c)
{
	char a[INET6_ADDRSTRLEN], tail[80];

	switch (why) {
	case LISTEN_FULL:
		if (burst_note(&l->b_full, tail, sizeof(tail)))
			log_warnx("%s: max_sessions (%u) reached: new clients "
			    "get 421 %s", l->name, l->o.max_sessions, tail);
		break;
	case LISTEN_CLIENT_FULL:
		if (burst_note(&l->b_client, tail, sizeof(tail)))
			log_warnx("%s: client %s has %u sessions "
			    "(max_sessions_per_client): its new ones get 421 %s",
			    l->name, client_name(c, a, sizeof(a)), c->n, tail);
		break;
	case LISTEN_NO_FDS:
		if (burst_note(&l->b_fds, tail, sizeof(tail)))
			log_warnx("%s: no descriptors left for a new session "
			    "(%zu open or held by sessions, limit %zu): new "
			    "clients %s %s", l->name,
			    atomic_load(&fds_base) + atomic_load(&fds_committed),
			    atomic_load(&fds_limit), l->o.refuse != NULL ?
			    "get 421" : "are closed at once", tail);
		break;
	case LISTEN_NO_MEMORY:
		break;
	}
}

/*
 * admit - the fair shares for lc (under lock): 0 and lc is listed and
 * counted, or why it is refused (logged once per burst)
 */
static int
admit(struct listener *l, struct listen_conn *lc)
{
	enum listen_refusal why = 0;
	struct client *c = NULL;

	if (!fd_room(l))
		why = LISTEN_NO_FDS;
	else {
		if (l->o.evict_at > 0 && live(l) >= l->o.evict_at)
			(void)evict_one(l);
		if (l->o.max_sessions > 0 && live(l) >= l->o.max_sessions)
			why = LISTEN_FULL;
		else if (l->o.max_per_client > 0 && l->clients != NULL &&
		    (lc->peer.ss_family == AF_INET ||
		    lc->peer.ss_family == AF_INET6)) {
			if ((c = client_get(l, &lc->peer)) == NULL)
				why = LISTEN_NO_MEMORY;
			else if (c->n >= l->o.max_per_client)
				why = LISTEN_CLIENT_FULL;
		}
	}
	if (why != 0) {
		refused_log(l, why, c);
		if (c != NULL && c->n == 0) {
			c->n = 1;
			client_put(l, c);	/* made for nothing */
		}
		return why;
	}
	if ((lc->cl = c) != NULL)
		c->n++;
	lc->next = l->conns;
	if (l->conns != NULL)
		l->conns->prev = lc;
	l->conns = lc;
	atomic_fetch_add(&fds_committed, l->o.fds_per_session);
	atomic_fetch_add(&l->nsessions, 1);
	return 0;
}

/* session_end - one session fewer (lc freed); wakes listen_stop() at the last */
static void
session_end(struct listen_conn *lc)
{
	struct listener *l = lc->l;

	pthread_mutex_lock(&l->lock);
	if (lc->prev != NULL)
		lc->prev->next = lc->next;
	else
		l->conns = lc->next;
	if (lc->next != NULL)
		lc->next->prev = lc->prev;
	client_put(l, lc->cl);
	if (atomic_load(&lc->evicted))
		l->nevicted--;
	atomic_fetch_sub(&fds_committed, l->o.fds_per_session);
	if (atomic_fetch_sub(&l->nsessions, 1) == 1)
		pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
	conn_stop_free(lc->stop);
	free(lc);
}

/* session_fiber - one connection's fiber: the callback, then the count */
static void
session_fiber(void *arg)
{
	struct listen_conn *lc = arg;
	struct listener *l = lc->l;

	pthread_mutex_lock(&l->lock);
	lc->fiber = fiber_current();
	pthread_mutex_unlock(&l->lock);
	l->o.session(l->o.arg, lc->fd, (struct sockaddr *)&lc->peer,
	    lc->peerlen, lc->stop);
	session_end(lc);
}

/* refuse - no session for fd: the front end's reply, then close */
static void
refuse(struct listener *l, int fd, enum listen_refusal why)
{
	if (l->o.refuse != NULL)
		l->o.refuse(l->o.arg, fd, why);
	close(fd);
}

/* hand - a new connection: its session fiber, or a refusal */
static void
hand(struct listener *l, int fd, const struct sockaddr_storage *ss,
    socklen_t sl)
{
	struct listen_conn *lc;
	int on = 1, why;

	if ((lc = calloc(1, sizeof(*lc))) == NULL ||
	    (lc->stop = conn_stop_new_child(l->stop, lc)) == NULL) {
		log_warn("%s: new connection", l->name);
		free(lc);
		refuse(l, fd, LISTEN_NO_MEMORY);
		return;
	}
	lc->l = l;
	lc->fd = fd;
	lc->peer = *ss;
	lc->peerlen = sl;
	pthread_mutex_lock(&l->lock);
	why = admit(l, lc);
	pthread_mutex_unlock(&l->lock);
	if (why != 0) {
		conn_stop_free(lc->stop);
		free(lc);
		refuse(l, fd, (enum listen_refusal)why);
		return;
	}
	if (ss->ss_family != AF_UNIX)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (fiber_spawn(session_fiber, lc) == -1) {
		log_warn("%s: cannot start a session", l->name);
		session_end(lc);
		refuse(l, fd, LISTEN_NO_MEMORY);
	}
}

/*
 * shed - accept() found no descriptor: give up the spare one for one
 * accept and refuse that client, then take the spare again; 0 when a
 * client was answered, -1 when none could be (back off)
 */
static int
shed(struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd;

	if (l->reserve != -1) {
		close(l->reserve);
		l->reserve = -1;
	}
	fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd != -1) {
		pthread_mutex_lock(&l->lock);
		refused_log(l, LISTEN_NO_FDS, NULL);
		pthread_mutex_unlock(&l->lock);
		refuse(l, fd, LISTEN_NO_FDS);
	}
	l->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd != -1 ? 0 : -1;
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
		else if ((e == EMFILE || e == ENFILE) && shed(l) == 0)
			continue;
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

void
listen_session_wait(const struct conn_stop *stop, uint64_t since)
{
	struct listen_conn *lc = conn_stop_data(stop);

	if (lc != NULL)
		atomic_store(&lc->since, since);
}

int
listen_session_evicted(const struct conn_stop *stop)
{
	struct listen_conn *lc = conn_stop_data(stop);

	return lc != NULL && atomic_load(&lc->evicted);
}

int
listen_start(struct listener *l)
{
	struct rlimit rl;
	size_t n;

	if (l->started || l->stopped) {
		errno = EALREADY;
		return -1;
	}
	/* the process's descriptors: what is open now, and the limit */
	if ((n = count_fds()) > atomic_load(&fds_base))
		atomic_store(&fds_base, n);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		atomic_store(&fds_limit, (size_t)rl.rlim_cur);
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
	if (l->reserve != -1)
		close(l->reserve);
	free(l->clients);	/* empty: every session has ended */
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
