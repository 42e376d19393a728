/*
 * dnsdelay - a UDP DNS forwarder that holds every query for DELAY_MS
 * before it passes it on: a resolver that answers after 50 ms, for the
 * lookup benchmarks (bench/lookups).
 *
 *	dnsdelay LISTEN_PORT UPSTREAM_PORT DELAY_MS
 *
 * Both on 127.0.0.1. One thread, one epoll loop: a query goes into a FIFO
 * with the time it is due (arrival + DELAY_MS), is sent upstream under a
 * new id when due, and the answer goes back to its client with the
 * client's id at once. At most UPSTREAM_MAX queries are out upstream at
 * a time (the rest wait their turn, as a resolver's outgoing queue does):
 * rbldnsd has one socket with the default receive buffer and drops a
 * burst of a few hundred queries. Up to 65536 queries held; older ones
 * are forgotten. Stops on SIGTERM or SIGINT (the default actions).
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define QMAX	65536
#define PKT	4096
#define UPSTREAM_MAX	64
#define UPSTREAM_MS	1000	/* an upstream query unanswered this long is given up */

struct q {
	uint64_t		 due;
	struct sockaddr_in	 from;
	uint16_t		 id;		/* the client's */
	uint16_t		 len;
	unsigned char		 pkt[512];
};

static struct q fifo[QMAX];
static size_t head, tail;	/* tail - head queries waiting */
static struct {
	struct sockaddr_in	 from;
	uint16_t		 id;
	int			 used;
	uint64_t		 sent;
} slot[QMAX];
static int out;		/* queries out upstream now */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
udp(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), big = 4 << 20;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (port != 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		perror("dnsdelay: bind");
		exit(1);
	}
	return fd;
}

/* take - read the client's queries into the FIFO */
static void
take(int lfd, uint64_t delay)
{
	struct q *x;
	socklen_t sl;
	ssize_t n;

	for (;;) {
		if (tail - head == QMAX)
			head++;		/* full: forget the oldest */
		x = &fifo[tail % QMAX];
		sl = sizeof(x->from);
		n = recvfrom(lfd, x->pkt, sizeof(x->pkt), 0,
		    (struct sockaddr *)&x->from, &sl);
		if (n < 12)
			return;
		x->len = (uint16_t)n;
		x->id = (uint16_t)(x->pkt[0] << 8 | x->pkt[1]);
		x->due = now_ms() + delay;
		tail++;
	}
}

/* send_due - pass on every query whose time has come */
static void
send_due(int ufd, struct sockaddr_in *up)
{
	static uint16_t next;
	uint64_t now = now_ms();
	struct q *x;

	while (head != tail && fifo[head % QMAX].due <= now) {
		if (out >= UPSTREAM_MAX) {
			/* give up on queries the upstream never answered */
			if (!slot[(uint16_t)(next - UPSTREAM_MAX)].used ||
			    now - slot[(uint16_t)(next - UPSTREAM_MAX)].sent <
			    UPSTREAM_MS)
				return;
			slot[(uint16_t)(next - UPSTREAM_MAX)].used = 0;
			out--;
		}
		x = &fifo[head++ % QMAX];
		if (slot[next].used)
			out--;	/* an old one never answered: forget it */
		slot[next].from = x->from;
		slot[next].id = x->id;
		slot[next].used = 1;
		slot[next].sent = now;
		out++;
		x->pkt[0] = (unsigned char)(next >> 8);
		x->pkt[1] = (unsigned char)next;
		next++;
		(void)sendto(ufd, x->pkt, x->len, 0, (struct sockaddr *)up,
		    sizeof(*up));
	}
}

/* relay - answers back to their clients, with the clients' ids */
static void
relay(int ufd, int lfd)
{
	unsigned char pkt[PKT];
	ssize_t n;
	uint16_t id;

	while ((n = recv(ufd, pkt, sizeof(pkt), 0)) >= 12) {
		id = (uint16_t)(pkt[0] << 8 | pkt[1]);
		if (!slot[id].used)
			continue;
		slot[id].used = 0;
		out--;
		pkt[0] = (unsigned char)(slot[id].id >> 8);
		pkt[1] = (unsigned char)slot[id].id;
		(void)sendto(lfd, pkt, (size_t)n, 0,
		    (struct sockaddr *)&slot[id].from, sizeof(slot[id].from));
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in up;
	struct epoll_event ev, evs[8];
	int lfd, ufd, ep, i, n, timeout;
	uint64_t delay, now;

	if (argc != 4) {
		fprintf(stderr, "usage: dnsdelay LISTEN_PORT UPSTREAM_PORT DELAY_MS\n");
		return 2;
	}
	delay = strtoull(argv[3], NULL, 10);
	lfd = udp(atoi(argv[1]));
	ufd = udp(0);
	memset(&up, 0, sizeof(up));
	up.sin_family = AF_INET;
	up.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	up.sin_port = htons((uint16_t)atoi(argv[2]));
	ep = epoll_create1(0);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.fd = ufd;
	epoll_ctl(ep, EPOLL_CTL_ADD, ufd, &ev);
	for (;;) {
		now = now_ms();
		timeout = head == tail ? -1 : fifo[head % QMAX].due <= now ? 0 :
		    (int)(fifo[head % QMAX].due - now);
		if (out >= UPSTREAM_MAX && timeout != 0)
			timeout = 10;	/* waiting for upstream answers: look again soon */
		n = epoll_wait(ep, evs, 8, timeout);
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == lfd)
				take(lfd, delay);
			else
				relay(ufd, lfd);
		}
		send_due(ufd, &up);
	}
}
