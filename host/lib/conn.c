/*
 * conn - buffered connections over parked fibers (conn.h)
 *
 * Public: conn_new(), conn_connect(), conn_free(), conn_fd(),
 * conn_set_ops(), conn_set_stop(), conn_fill(), conn_data(),
 * conn_consume(), conn_discard(), conn_read_line(), conn_read_block(),
 * conn_write(), conn_printf(), conn_flush(), conn_queued(), conn_wait(),
 * conn_error(),
 * conn_strstatus(), conn_stop_new(), conn_stop_new_child(),
 * conn_stop_free(), conn_stop_set(), conn_stop_begin(), conn_stop_stopping(),
 * conn_stop_data().
 *
 * Input buffer: [0, roff) used, [roff, rlen) unread, [rlen, rsize) free.
 * A fill moves the unread bytes to the front first (the same memmove the
 * front ends did by hand), then reads once into the free space. After a
 * read that came back short the socket is empty: the next fill parks first
 * rather than read into EAGAIN (one system call saved per wait). The
 * socket is put into the fiber's epoll watch list at the first wait, so
 * later waits cost no epoll_ctl().
 *
 * Output buffer: [0, wlen) queued. A write that does not fit sends the
 * queue first; one as large as the buffer goes out directly after it.
 *
 * Trust: the peer's bytes are only stored and handed back; lengths are
 * bounded by the buffers. An I/O error makes the connection dead: every
 * later call returns CONN_ERROR. Timeouts and stops are not errors: the
 * caller may still write a last reply.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "fiber.h"

struct conn_stop {
	_Atomic int		 stopping;
	_Atomic uint64_t	 grace_end;
	const struct conn_stop	*parent;	/* a session's stop: its listener's */
	void			*data;		/* the owner's (conn_stop_data()) */
};

struct conn {
	int			 fd;
	const struct conn_ops	*ops;
	void			*ctx;
	const struct conn_stop	*stop;
	char			*rbuf;
	size_t			 rsize, roff, rlen;
	char			*wbuf;
	size_t			 wsize, wlen;
	int			 watched;	/* in the fiber's epoll watch list */
	int			 shared;	/* passed between fibers: never watched */
	int			 drained;	/* the last read came back short */
	int			 eof;		/* the peer closed its side */
	int			 dead;		/* an I/O error: no more I/O */
	char			 err[128];
};

/* plain_read - recv(), the default byte layer */
static ssize_t
plain_read(void *ctx, int fd, void *buf, size_t len, unsigned *want)
{
	ssize_t n;

	(void)ctx;
	do
		n = recv(fd, buf, len, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		*want = FIBER_IN;
	return n;
}

/* plain_write - send() without SIGPIPE */
static ssize_t
plain_write(void *ctx, int fd, const void *buf, size_t len, unsigned *want)
{
	ssize_t n;

	(void)ctx;
	do
		n = send(fd, buf, len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		*want = FIBER_OUT;
	return n;
}

static const struct conn_ops plain_ops = { plain_read, plain_write, NULL, NULL,
    NULL };

/* fail - the connection is dead, for the reason given */
static enum conn_status
fail(struct conn *c, const char *why)
{
	if (!c->dead)
		snprintf(c->err, sizeof(c->err), "%s", why);
	c->dead = 1;
	return CONN_ERROR;
}

/* layer_fail - the layer's read or write failed: its reason, or errno's */
static enum conn_status
layer_fail(struct conn *c)
{
	if (c->ops->error != NULL && errno == EPROTO)
		return fail(c, c->ops->error(c->ctx));
	return fail(c, strerror(errno));
}

/* is_again - errno says "not now" */
static int
is_again(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK;
}

struct conn *
conn_new(int fd, size_t rsize, size_t wsize)
{
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->rsize = rsize ? rsize : CONN_BUF_DEFAULT;
	c->wsize = wsize ? wsize : CONN_BUF_DEFAULT;
	if ((c->rbuf = malloc(c->rsize)) == NULL) {
		free(c);
		return NULL;
	}
	c->fd = fd;
	c->ops = &plain_ops;
	return c;
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->ops->close != NULL)
		c->ops->close(c->ctx);
	if (c->watched)
		fiber_forget(c->fd);	/* the close takes it out of the set */
	if (c->fd >= 0)
		close(c->fd);
	free(c->rbuf);
	free(c->wbuf);
	free(c);
}

void
conn_set_shared(struct conn *c)
{
	if (c->watched)
		fiber_unwatch(c->fd);
	c->watched = 0;
	c->shared = 1;
}

int
conn_fd(const struct conn *c)
{
	return c->fd;
}

int
conn_set_ops(struct conn *c, const struct conn_ops *ops, void *ctx)
{
	if (c->rlen > c->roff || c->wlen > 0) {
		errno = EBUSY;
		return -1;
	}
	c->ops = ops != NULL ? ops : &plain_ops;
	c->ctx = ctx;
	c->drained = 0;
	return 0;
}

void
conn_set_stop(struct conn *c, const struct conn_stop *stop)
{
	c->stop = stop;
}

const char *
conn_error(const struct conn *c)
{
	return c->err;
}

const char *
conn_strstatus(enum conn_status st)
{
	switch (st) {
	case CONN_OK:		return "ok";
	case CONN_EOF:		return "connection closed";
	case CONN_SHORT:	return "connection closed in mid-line";
	case CONN_TIMEOUT:	return "timed out";
	case CONN_STOPPING:	return "stopping";
	case CONN_TOOLONG:	return "line too long";
	case CONN_ERROR:	return "I/O error";
	}
	return "?";
}

/* --- waiting --- */

/*
 * stopping - s or its parent stops; *grace: the earlier grace end of the
 * two that stop
 */
static int
stopping(const struct conn_stop *s, uint64_t *grace)
{
	uint64_t g;
	int on = 0;

	*grace = UINT64_MAX;
	for (; s != NULL; s = s->parent)
		if (atomic_load(&s->stopping)) {
			on = 1;
			if ((g = atomic_load(&s->grace_end)) < *grace)
				*grace = g;
		}
	return on;
}

enum conn_status
conn_wait(struct conn *c, unsigned events, uint64_t deadline, unsigned flags)
{
	uint64_t dl, grace;

	for (;;) {
		dl = deadline;
		if (stopping(c->stop, &grace)) {
			if (flags & CONN_IDLE)
				return CONN_STOPPING;
			if (clock_ms() >= grace)
				return CONN_STOPPING;
			if (dl == 0 || grace < dl)
				dl = grace;
		}
		if (deadline != 0 && clock_ms() >= deadline)
			return CONN_TIMEOUT;
		if (!c->watched && !c->shared)
			c->watched = fiber_self() && fiber_watch(c->fd) == 0;
		if (fiber_wait(c->fd, events, dl) == 1)
			return CONN_OK;
		/* the deadline, a kick, or a poll() slice outside a fiber: look again */
	}
}

/* --- input --- */

/* unread - bytes read and not consumed */
static size_t
unread(const struct conn *c)
{
	return c->rlen - c->roff;
}

/* closed - the status for the peer's end, given what is still unread */
static enum conn_status
closed(const struct conn *c)
{
	return unread(c) > 0 ? CONN_SHORT : CONN_EOF;
}

enum conn_status
conn_fill(struct conn *c, uint64_t deadline, unsigned flags)
{
	enum conn_status st;
	unsigned want = FIBER_IN;
	uint64_t grace;
	size_t room;
	ssize_t n;
	int wait_first;

	if (c->dead)
		return CONN_ERROR;
	if (c->roff > 0) {
		memmove(c->rbuf, c->rbuf + c->roff, unread(c));
		c->rlen -= c->roff;
		c->roff = 0;
	}
	if (c->rlen == c->rsize)
		return CONN_TOOLONG;
	if (c->eof)
		return closed(c);
	if ((flags & CONN_IDLE) && stopping(c->stop, &grace))
		return CONN_STOPPING;
	room = c->rsize - c->rlen;
	/* after a short read the peer has to send first (unless the layer holds bytes) */
	wait_first = c->drained && (c->ops->pending == NULL ||
	    c->ops->pending(c->ctx) == 0) && !(flags & CONN_NOWAIT);
	for (;;) {
		if (wait_first &&
		    (st = conn_wait(c, want, deadline, flags)) != CONN_OK)
			return st;
		c->drained = 0;
		n = c->ops->read(c->ctx, c->fd, c->rbuf + c->rlen, room, &want);
		if (n > 0) {
			c->drained = (size_t)n < room;
			c->rlen += (size_t)n;
			return CONN_OK;
		}
		if (n == 0) {
			c->eof = 1;
			return closed(c);
		}
		if (!is_again())
			return layer_fail(c);
		if (flags & CONN_NOWAIT) {
			c->drained = 1;
			return CONN_TIMEOUT;
		}
		wait_first = 1;		/* for want, before the next try */
	}
}

size_t
conn_discard(struct conn *c)
{
	size_t n = unread(c);

	c->roff = c->rlen = 0;
	return n;
}

const char *
conn_data(const struct conn *c, size_t *len)
{
	*len = unread(c);
	return c->rbuf + c->roff;
}

void
conn_consume(struct conn *c, size_t n)
{
	c->roff += n < unread(c) ? n : unread(c);
	if (c->roff == c->rlen)
		c->roff = c->rlen = 0;
}

enum conn_status
conn_read_line(struct conn *c, size_t max, uint64_t deadline, unsigned flags,
    const char **line, size_t *len)
{
	enum conn_status st;
	size_t scanned = 0, lim;
	char *p, *nl;

	if (max == 0 || max > c->rsize)
		max = c->rsize;
	for (;;) {
		p = c->rbuf + c->roff;
		lim = unread(c) < max ? unread(c) : max;
		if ((nl = memchr(p + scanned, '\n', lim - scanned)) != NULL) {
			*len = (size_t)(nl - p);
			c->roff += *len + 1;
			if ((flags & CONN_STRIP_CR) && *len > 0 && p[*len - 1] == '\r')
				(*len)--;
			p[*len] = '\0';
			*line = p;
			return CONN_OK;
		}
		scanned = lim;
		if (lim == max)
			return CONN_TOOLONG;
		/* a partial line is buffered: no longer idle */
		st = conn_fill(c, deadline, unread(c) > 0 ? flags & ~CONN_IDLE : flags);
		if (st != CONN_OK)
			return st;
	}
}

enum conn_status
conn_read_block(struct conn *c, size_t n, uint64_t deadline, unsigned flags,
    const char **p)
{
	enum conn_status st;

	if (n > c->rsize)
		return CONN_TOOLONG;
	while (unread(c) < n) {
		st = conn_fill(c, deadline, unread(c) > 0 ? flags & ~CONN_IDLE : flags);
		if (st != CONN_OK)
			return st;
	}
	*p = c->rbuf + c->roff;
	c->roff += n;
	return CONN_OK;
}

/* --- output --- */

/* send_all - p[0..n) out through the layer; *sent says how far it got */
static enum conn_status
send_all(struct conn *c, const char *p, size_t n, uint64_t deadline,
    size_t *sent)
{
	enum conn_status st;
	unsigned want = FIBER_OUT;
	ssize_t w;

	*sent = 0;
	while (*sent < n) {
		w = c->ops->write(c->ctx, c->fd, p + *sent, n - *sent, &want);
		if (w > 0) {
			*sent += (size_t)w;
			continue;
		}
		if (w == 0 || !is_again())
			return w == 0 ? fail(c, "write returned 0") : layer_fail(c);
		if ((st = conn_wait(c, want, deadline, 0)) != CONN_OK)
			return st;
	}
	return CONN_OK;
}

enum conn_status
conn_flush(struct conn *c, uint64_t deadline)
{
	enum conn_status st;
	size_t sent;

	if (c->dead)
		return CONN_ERROR;
	if (c->wlen == 0)
		return CONN_OK;
	st = send_all(c, c->wbuf, c->wlen, deadline, &sent);
	if (sent < c->wlen)
		memmove(c->wbuf, c->wbuf + sent, c->wlen - sent);
	c->wlen -= sent;
	return st;
}

/* wbuf_ready - the output buffer exists; 0 or -1 (dead: no memory) */
static int
wbuf_ready(struct conn *c)
{
	if (c->wbuf == NULL && (c->wbuf = malloc(c->wsize)) == NULL) {
		fail(c, "out of memory");
		return -1;
	}
	return 0;
}

enum conn_status
conn_write(struct conn *c, const void *p, size_t n, uint64_t deadline)
{
	enum conn_status st;
	size_t sent;

	if (c->dead || wbuf_ready(c) == -1)
		return CONN_ERROR;
	if (c->wlen + n > c->wsize && (st = conn_flush(c, deadline)) != CONN_OK)
		return st;
	if (n >= c->wsize)
		return send_all(c, p, n, deadline, &sent);
	memcpy(c->wbuf + c->wlen, p, n);
	c->wlen += n;
	return CONN_OK;
}

enum conn_status
conn_printf(struct conn *c, uint64_t deadline, const char *fmt, ...)
{
	enum conn_status st;
	va_list ap;
	int n, flushed = 0;

	if (c->dead || wbuf_ready(c) == -1)
		return CONN_ERROR;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(c->wbuf + c->wlen, c->wsize - c->wlen, fmt, ap);
		va_end(ap);
		if (n < 0)
			return fail(c, "bad format");
		if ((size_t)n < c->wsize - c->wlen) {
			c->wlen += (size_t)n;
			return CONN_OK;
		}
		/* vsnprintf needs room for its NUL: a line of wsize - 1 at most */
		if (flushed || (size_t)n >= c->wsize)
			return CONN_TOOLONG;
		if ((st = conn_flush(c, deadline)) != CONN_OK)
			return st;
		flushed = 1;
	}
}

size_t
conn_queued(const struct conn *c)
{
	return c->wlen;
}

/* --- connecting --- */

struct lookup {
	const struct addr	*a;
	struct addrinfo		*res;
	int			 r;
};

/* lookup - getaddrinfo() for a name (runs on a helper thread) */
static void
lookup(void *arg)
{
	struct lookup *lk = arg;
	struct addrinfo hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = lk->a->family == AF_UNIX ? AF_UNSPEC : lk->a->family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	lk->r = getaddrinfo(lk->a->host, lk->a->port, &hints, &lk->res);
}

/* resolve - a's addresses: a literal at once, a name on a helper thread */
static int
resolve(const struct addr *a, struct addrinfo **res, char *err, size_t errlen)
{
	struct addrinfo hints;
	struct lookup lk = { a, NULL, 0 };
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = a->family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
	r = getaddrinfo(a->host, a->port, &hints, res);
	if (r == EAI_NONAME) {
		fiber_offload(lookup, &lk);
		r = lk.r;
		*res = lk.res;
	}
	if (r != 0) {
		snprintf(err, errlen, "%s", gai_strerror(r));
		return -1;
	}
	return 0;
}

/*
 * connected - wait for a connect() in progress on c; CONN_OK when it is
 * up, else the reason in err (a wake-up may be spurious: connected when
 * SO_ERROR is clear and the socket has a peer)
 */
static enum conn_status
connected(struct conn *c, uint64_t deadline, char *err, size_t errlen)
{
	struct sockaddr_storage peer;
	socklen_t elen, plen;
	enum conn_status st;
	int e;

	for (;;) {
		if ((st = conn_wait(c, FIBER_OUT, deadline, 0)) != CONN_OK) {
			snprintf(err, errlen, "connect %s", conn_strstatus(st));
			return st;
		}
		e = 0;
		elen = sizeof(e);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1)
			e = errno;
		if (e == 0) {
			plen = sizeof(peer);
			if (getpeername(c->fd, (struct sockaddr *)&peer, &plen) == 0)
				return CONN_OK;
			if (errno == ENOTCONN)
				continue;
			e = errno;
		}
		snprintf(err, errlen, "%s", strerror(e));
		return CONN_ERROR;
	}
}

/*
 * dial - one address: a connected conn, or NULL with the reason in err and
 * errno (EMFILE: no descriptor) kept for the caller
 */
static struct conn *
dial(const struct sockaddr *sa, socklen_t salen, uint64_t deadline,
    size_t rsize, size_t wsize, char *err, size_t errlen)
{
	struct conn *c;
	int fd, one = 1, e;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		e = errno;
		snprintf(err, errlen, "%s", strerror(e));
		errno = e;
		return NULL;
	}
	if ((c = conn_new(fd, rsize, wsize)) == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	if (sa->sa_family != AF_UNIX)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, sa, salen) == 0)
		return c;
	/*
	 * Watched once connect() has started (an unconnected socket polls
	 * as hung up): this wait and every later one cost no epoll_ctl().
	 */
	e = errno;
	if (e != EINPROGRESS)
		snprintf(err, errlen, "%s", strerror(e));
	else if (connected(c, deadline, err, errlen) == CONN_OK)
		return c;
	else
		e = ETIMEDOUT;
	conn_free(c);
	errno = e;
	return NULL;
}

struct conn *
conn_connect(const struct addr *a, uint64_t deadline, size_t rsize,
    size_t wsize, char *err, size_t errlen)
{
	struct addrinfo *res = NULL, *ai;
	struct sockaddr_un sun;
	struct conn *c = NULL;
	int e;

	if (a->family == AF_UNIX) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a->path);
		return dial((struct sockaddr *)&sun, sizeof(sun), deadline, rsize,
		    wsize, err, errlen);
	}
	if (a->host[0] == '\0') {
		snprintf(err, errlen, "no host to connect to");
		return NULL;
	}
	if (resolve(a, &res, err, errlen) == -1)
		return NULL;
	snprintf(err, errlen, "no address");
	for (ai = res; ai != NULL && c == NULL; ai = ai->ai_next)
		c = dial(ai->ai_addr, ai->ai_addrlen, deadline, rsize, wsize, err,
		    errlen);
	e = errno;
	freeaddrinfo(res);
	errno = e;
	return c;
}

/* --- stopping --- */

struct conn_stop *
conn_stop_new(void)
{
	return calloc(1, sizeof(struct conn_stop));
}

struct conn_stop *
conn_stop_new_child(const struct conn_stop *parent, void *data)
{
	struct conn_stop *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->parent = parent;
	s->data = data;
	return s;
}

void *
conn_stop_data(const struct conn_stop *s)
{
	return s != NULL ? s->data : NULL;
}

void
conn_stop_set(struct conn_stop *s, uint64_t grace_end)
{
	/* grace_end first: a fiber that sees stopping sees it too */
	atomic_store(&s->grace_end, grace_end);
	atomic_store(&s->stopping, 1);
}

void
conn_stop_free(struct conn_stop *s)
{
	free(s);
}

void
conn_stop_begin(struct conn_stop *s, uint64_t grace_end)
{
	conn_stop_set(s, grace_end);
	fiber_kick_all();
}

int
conn_stop_stopping(const struct conn_stop *s)
{
	uint64_t grace;

	return stopping(s, &grace);
}
