/*
 * relay - the least an SMTP proxy can do: copy bytes both ways, and nothing
 * else. bench/proxy runs it beside phasegate as the floor of what any proxy
 * costs on the machine: it parses nothing, filters nothing, spools nothing,
 * and forwards every segment the moment it arrives, so it makes exactly
 * the socket calls of a proxy that relays a non-pipelining client command
 * by command (one read and one write per segment each way). Its CPU per
 * message is what the kernel charges a process for that traffic.
 *
 * usage: relay LISTEN_PORT UPSTREAM_PORT [THREADS]
 *	Listens on 127.0.0.1:LISTEN_PORT; for each client, one connection to
 *	127.0.0.1:UPSTREAM_PORT. THREADS (default: the number of CPUs) threads,
 *	each with its own SO_REUSEPORT listener and epoll set.
 *
 * A benchmark tool: trusted peers on loopback, blocking connect and
 * blocking writes (the peers read as fast as we write), and a pair is
 * closed on the first EOF or error from either side.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define RELAY_EVENTS	64
#define RELAY_BUF	65536

struct end {
	int		 fd;
	struct end	*peer;
	struct end	*next;		/* on the closed list of a batch */
	int		 closed;
};

static unsigned short listen_port, upstream_port;

/* addr - 127.0.0.1:port */
static struct sockaddr_in
addr(unsigned short port)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(port);
	return sa;
}

/* pair - connect upstream for client fd and watch both; -1 on failure */
static int
pair(int ep, int fd)
{
	struct sockaddr_in sa = addr(upstream_port);
	struct epoll_event ev;
	struct end *a, *b;
	int u, one = 1;

	if ((u = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(u, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    (a = calloc(1, sizeof(*a))) == NULL) {
		close(u);
		return -1;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		free(a);
		close(u);
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	a->fd = fd;
	b->fd = u;
	a->peer = b;
	b->peer = a;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = a;
	(void)epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	ev.data.ptr = b;
	(void)epoll_ctl(ep, EPOLL_CTL_ADD, u, &ev);
	return 0;
}

/* copy - what e's socket has goes to its peer; -1 when the pair is done */
static int
copy(struct end *e, char *buf)
{
	ssize_t n, w, k;

	n = recv(e->fd, buf, RELAY_BUF, MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	for (w = 0; w < n; w += k)
		if ((k = send(e->peer->fd, buf + w, (size_t)(n - w),
		    MSG_NOSIGNAL)) == -1 && errno != EINTR)
			return -1;
		else if (k == -1)
			k = 0;
	return 0;
}

/* thread - one listener, one epoll set, its pairs */
static void *
thread(void *arg)
{
	struct sockaddr_in sa = addr(listen_port);
	struct epoll_event evs[RELAY_EVENTS], ev;
	struct end *e, *closed;
	char *buf;
	int l, ep, fd, i, n, one = 1;

	(void)arg;
	if ((buf = malloc(RELAY_BUF)) == NULL ||
	    (l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		perror("relay: socket");
		exit(1);
	}
	(void)setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	(void)setsockopt(l, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(l, 1024) == -1 || (ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		perror("relay: listen");
		exit(1);
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	(void)epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	for (;;) {
		if ((n = epoll_wait(ep, evs, RELAY_EVENTS, -1)) == -1)
			continue;
		closed = NULL;
		for (i = 0; i < n; i++) {
			if ((e = evs[i].data.ptr) == NULL) {
				while ((fd = accept4(l, NULL, NULL,
				    SOCK_CLOEXEC)) != -1)
					if (pair(ep, fd) == -1)
						close(fd);
				continue;
			}
			if (e->closed || copy(e, buf) == 0)
				continue;
			/* closing takes both out of the set; free after the
			 * batch, which may still name the peer */
			close(e->fd);
			close(e->peer->fd);
			e->closed = e->peer->closed = 1;
			e->next = e->peer;
			e->peer->next = closed;
			closed = e;
		}
		while ((e = closed) != NULL) {
			closed = e->next;
			free(e);
		}
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t t;
	long i, n;

	if (argc < 3) {
		fprintf(stderr, "usage: relay LISTEN_PORT UPSTREAM_PORT "
		    "[THREADS]\n");
		return 2;
	}
	listen_port = (unsigned short)atoi(argv[1]);
	upstream_port = (unsigned short)atoi(argv[2]);
	n = argc > 3 ? atol(argv[3]) : sysconf(_SC_NPROCESSORS_ONLN);
	/* the listen sockets (SO_REUSEPORT) are not blocking: accept4()
	 * loops until EAGAIN; the client sockets are, for plain writes */
	for (i = 1; i < n; i++)
		if (pthread_create(&t, NULL, thread, NULL) != 0) {
			perror("relay: pthread_create");
			return 1;
		}
	thread(NULL);
	return 0;
}
