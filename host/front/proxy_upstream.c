/*
 * proxy_upstream - one SMTP client connection to the upstream server
 *
 * Public: proxy_upstream_connect(), proxy_upstream_free(),
 * proxy_upstream_reply(), proxy_upstream_line(), proxy_upstream_cmd(),
 * proxy_upstream_write(), proxy_upstream_flush(), proxy_upstream_error().
 *
 * The socket does not block (TCP_NODELAY): a call that must wait parks
 * the session's fiber (fiber_wait()) and gives up after the upstream
 * timeout. Writes are collected in a buffer and
 * sent in large write()s (a message goes out in 64 KiB pieces with its
 * final dot in the last one), so the upstream's delayed ACK never adds
 * latency. Replies are parsed by smtp_reply (bounded lines and line count).
 * No logging here: errors are kept as text for the caller.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fiber.h"
#include "proxy_upstream.h"

#define UP_WBUF	(64 * 1024)
#define UP_RBUF	4096

struct proxy_upstream {
	int		 fd;
	uint64_t	 timeout_ms;
	struct smtp_reply_parser *rp;
	char		 rbuf[UP_RBUF];
	size_t		 roff, rlen;
	int		 drained;	/* the last read came back short: wait before reading */
	char		*wbuf;		/* allocated on first write */
	size_t		 wlen;
	int		 dead;
	char		 err[256];
};

/* wait_fd - park until fd is ready for ev or the deadline; 1 ready, 0 timeout */
static int
wait_fd(int fd, unsigned ev, uint64_t deadline)
{
	for (;;) {
		if (clock_ms() >= deadline)
			return 0;
		if (fiber_wait(fd, ev, deadline) == 1)
			return 1;
	}
}

/* split_hostport - "h:p" or "[h]:p" into host and port */
static int
split_hostport(const char *hp, char *host, size_t hlen, char *port, size_t plen)
{
	const char *c;
	size_t n;

	if (hp[0] == '[') {
		if ((c = strchr(hp, ']')) == NULL || c[1] != ':')
			return -1;
		n = (size_t)(c - hp - 1);
		c++;
		hp++;
	} else {
		if ((c = strrchr(hp, ':')) == NULL)
			return -1;
		n = (size_t)(c - hp);
	}
	if (n == 0 || n >= hlen || strlen(c + 1) == 0 || strlen(c + 1) >= plen)
		return -1;
	memcpy(host, hp, n);
	host[n] = '\0';
	snprintf(port, plen, "%s", c + 1);
	return 0;
}

struct lookup {
	const char	*host, *port;
	struct addrinfo	**res;
	int		 r;
};

/* lookup - getaddrinfo() for a name (runs on a helper thread) */
static void
lookup(void *arg)
{
	struct lookup *lk = arg;
	struct addrinfo hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	lk->r = getaddrinfo(lk->host, lk->port, &hints, lk->res);
}

struct proxy_upstream *
proxy_upstream_connect(const char *hostport, uint64_t timeout_ms, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct proxy_upstream *u;
	char host[256], port[32];
	int fd = -1, one = 1, e = 0, r;
	socklen_t elen, plen;
	struct sockaddr_storage peer;
	uint64_t deadline = clock_ms() + timeout_ms;

	if (split_hostport(hostport, host, sizeof(host), port, sizeof(port)) < 0) {
		snprintf(err, errlen, "bad upstream address %s", hostport);
		return NULL;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
	r = getaddrinfo(host, port, &hints, &res);
	if (r == EAI_NONAME) {
		/* a name: the lookup may block, so a helper thread does it */
		struct lookup lk = { host, port, &res, 0 };

		fiber_offload(lookup, &lk);
		r = lk.r;
	}
	if (r != 0) {
		snprintf(err, errlen, "upstream %s: %s", hostport, gai_strerror(r));
		return NULL;
	}
	snprintf(err, errlen, "upstream %s: no address", hostport);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		/*
		 * Watched once connect() has started (an unconnected socket
		 * polls as hung up): the wait for the connection, and every
		 * later one, cost no epoll_ctl().
		 */
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			(void)fiber_watch(fd);
			break;
		}
		if (errno == EINPROGRESS) {
			(void)fiber_watch(fd);
			/* a wake-up may be spurious: connected when SO_ERROR
			 * is clear and the socket has a peer */
			for (;;) {
				e = 0;
				r = wait_fd(fd, FIBER_OUT, deadline);
				elen = sizeof(e);
				if (r == 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR,
				    &e, &elen) == -1 || e != 0)
					break;
				plen = sizeof(peer);
				if (getpeername(fd, (struct sockaddr *)&peer, &plen) == 0)
					break;
				if (errno != ENOTCONN) {
					e = errno;
					break;
				}
			}
			if (r == 1 && e == 0)
				break;
			snprintf(err, errlen, "upstream %s: %s", hostport,
			    r == 0 ? "connect timed out" : strerror(e ? e : errno));
		} else
			snprintf(err, errlen, "upstream %s: %s", hostport, strerror(errno));
		fiber_forget(fd);
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return NULL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->rp = smtp_reply_parser_new(0, 0)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(u);
		fiber_forget(fd);
		close(fd);
		return NULL;
	}
	u->fd = fd;
	u->timeout_ms = timeout_ms;
	return u;
}

void
proxy_upstream_free(struct proxy_upstream *u)
{
	if (u == NULL)
		return;
	fiber_forget(u->fd);	/* the close takes it out of the epoll set */
	close(u->fd);
	smtp_reply_parser_free(u->rp);
	free(u->wbuf);
	free(u);
}

const char *
proxy_upstream_error(const struct proxy_upstream *u)
{
	return u->err[0] ? u->err : "no error";
}

/* fail - mark the connection dead */
static int
fail(struct proxy_upstream *u, const char *why)
{
	if (!u->dead)
		snprintf(u->err, sizeof(u->err), "%s", why);
	u->dead = 1;
	return -1;
}

/* send_all - write everything or fail */
static int
send_all(struct proxy_upstream *u, const char *p, size_t n)
{
	uint64_t deadline = clock_ms() + u->timeout_ms;
	ssize_t w;

	while (n > 0) {
		w = send(u->fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return fail(u, strerror(errno));
		if (w < 0 && errno == EINTR)
			continue;
		if (wait_fd(u->fd, FIBER_OUT, deadline) == 0)
			return fail(u, "write timed out");
	}
	return 0;
}

int
proxy_upstream_flush(struct proxy_upstream *u)
{
	int r;

	if (u->dead)
		return -1;
	if (u->wlen == 0)
		return 0;
	r = send_all(u, u->wbuf, u->wlen);
	u->wlen = 0;
	return r;
}

int
proxy_upstream_write(struct proxy_upstream *u, const void *p, size_t n)
{
	if (u->dead)
		return -1;
	if (u->wbuf == NULL && (u->wbuf = malloc(UP_WBUF)) == NULL)
		return fail(u, "out of memory");
	if (u->wlen + n > UP_WBUF && proxy_upstream_flush(u) < 0)
		return -1;
	if (n >= UP_WBUF)
		return send_all(u, p, n);
	memcpy(u->wbuf + u->wlen, p, n);
	u->wlen += n;
	return 0;
}

int
proxy_upstream_reply(struct proxy_upstream *u, struct smtp_reply *r)
{
	uint64_t deadline = clock_ms() + u->timeout_ms;
	enum smtp_reply_status st;
	ssize_t n;

	if (u->dead)
		return -1;
	for (;;) {
		if (u->roff < u->rlen) {
			u->roff += smtp_reply_feed(u->rp, u->rbuf + u->roff,
			    u->rlen - u->roff);
			st = smtp_reply_next(u->rp, r);
			if (st == SMTP_REPLY_OK)
				return 0;
			if (st != SMTP_REPLY_MORE)
				return fail(u, "malformed reply");
			continue;
		}
		/* a reply takes a round trip: after a short read, wait first
		 * rather than read into an EAGAIN */
		if (u->drained && wait_fd(u->fd, FIBER_IN, deadline) == 0)
			return fail(u, "timed out");
		u->drained = 0;
		n = recv(u->fd, u->rbuf, sizeof(u->rbuf), 0);
		if (n > 0) {
			u->roff = 0;
			u->rlen = (size_t)n;
			u->drained = (size_t)n < sizeof(u->rbuf);
			continue;
		}
		if (n == 0)
			return fail(u, "connection closed");
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return fail(u, strerror(errno));
		if (errno == EINTR)
			continue;
		if (wait_fd(u->fd, FIBER_IN, deadline) == 0)
			return fail(u, "timed out");
	}
}

const char *
proxy_upstream_line(struct proxy_upstream *u, size_t i, size_t *len)
{
	return smtp_reply_line(u->rp, i, len);
}

int
proxy_upstream_cmd(struct proxy_upstream *u, const char *line, size_t len,
    struct smtp_reply *r)
{
	if (proxy_upstream_write(u, line, len) < 0 ||
	    proxy_upstream_write(u, "\r\n", 2) < 0 ||
	    proxy_upstream_flush(u) < 0)
		return -1;
	return proxy_upstream_reply(u, r);
}
