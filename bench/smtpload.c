/*
 * smtpload - the SMTP client side of bench/lookups: CONC client threads,
 * each sending one message per connection, SESSIONS in all, to a proxy
 * listener with proxy_protocol, each session naming another client
 * address in its PROXY v1 header (10.x.y.z from a counter), so that the
 * proxy's client-name lookup and the DNS lists' lookups never come from
 * the cache.
 *
 *   smtpload PORT SESSIONS CONC [FIRST]
 *
 * Prints one line: seconds, sessions/s, ok, failed. A thread per client
 * session is the load generator's simplicity, not the proxy's design.
 * Blocking sockets with a 30 s receive timeout; a session that fails
 * (no 2xx/3xx where one is due) counts as failed, and the run goes on.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int port;
static long sessions;
static atomic_long next_session, ok_count, fail_count;
static long first;

/* reply - read one SMTP reply (all its lines); its code, or -1 */
static int
reply(int fd, char *buf, size_t len, size_t *have)
{
	char *line, *nl;
	ssize_t n;

	for (;;) {
		/* a complete last line: "DDD " then \n */
		line = buf;
		while ((nl = memchr(line, '\n', *have - (size_t)(line - buf)))
		    != NULL) {
			if (nl - line >= 4 && line[3] == ' ') {
				int code = atoi(line);
				size_t used = (size_t)(nl + 1 - buf);

				memmove(buf, nl + 1, *have - used);
				*have -= used;
				return code;
			}
			line = nl + 1;
		}
		if (*have == len)
			return -1;
		if ((n = recv(fd, buf + *have, len - *have, 0)) <= 0)
			return -1;
		*have += (size_t)n;
	}
}

/* say - send s, then read the reply; 1 when its code is want's class */
static int
say(int fd, const char *s, int want, char *buf, size_t len, size_t *have)
{
	size_t n = strlen(s);
	int code;

	if (n > 0 && send(fd, s, n, MSG_NOSIGNAL) != (ssize_t)n)
		return 0;
	code = reply(fd, buf, len, have);
	return code / 100 == want;
}

/* one_session - session number i; 1 delivered, 0 not */
static int
one_session(long i)
{
	struct sockaddr_in sa;
	struct timeval tv = { 30, 0 };
	char buf[4096], hdr[128];
	size_t have = 0;
	long a = first + i;
	int fd, good;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return 0;
	}
	snprintf(hdr, sizeof(hdr), "PROXY TCP4 10.%ld.%ld.%ld 127.0.0.1 %ld 25\r\n",
	    (a >> 16) & 255, (a >> 8) & 255, a & 255, 1024 + a % 60000);
	good = send(fd, hdr, strlen(hdr), MSG_NOSIGNAL) == (ssize_t)strlen(hdr) &&
	    say(fd, "", 2, buf, sizeof(buf), &have) &&
	    say(fd, "EHLO load.example\r\n", 2, buf, sizeof(buf), &have) &&
	    say(fd, "MAIL FROM:<a@load.example>\r\n", 2, buf, sizeof(buf), &have) &&
	    say(fd, "RCPT TO:<b@example.org>\r\n", 2, buf, sizeof(buf), &have) &&
	    say(fd, "DATA\r\n", 3, buf, sizeof(buf), &have) &&
	    say(fd, "Subject: load\r\nFrom: a@load.example\r\n\r\n"
	        "A small message.\r\n.\r\n", 2, buf, sizeof(buf), &have);
	if (good)
		(void)say(fd, "QUIT\r\n", 2, buf, sizeof(buf), &have);
	close(fd);
	return good;
}

static void *
client(void *arg)
{
	long i;

	(void)arg;
	while ((i = atomic_fetch_add(&next_session, 1)) < sessions) {
		if (one_session(i))
			atomic_fetch_add(&ok_count, 1);
		else
			atomic_fetch_add(&fail_count, 1);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	pthread_t *th;
	long conc, i;
	double s;

	if (argc < 4) {
		fprintf(stderr, "usage: smtpload PORT SESSIONS CONC [FIRST]\n");
		return 2;
	}
	port = atoi(argv[1]);
	sessions = atol(argv[2]);
	conc = atol(argv[3]);
	first = argc > 4 ? atol(argv[4]) : 1;
	if (port <= 0 || sessions <= 0 || conc <= 0 ||
	    (th = calloc((size_t)conc, sizeof(*th))) == NULL) {
		fprintf(stderr, "smtpload: bad arguments\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < conc; i++)
		if (pthread_create(&th[i], NULL, client, NULL) != 0) {
			fprintf(stderr, "smtpload: pthread_create failed\n");
			return 1;
		}
	for (i = 0; i < conc; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%.2f s  %.0f sessions/s  ok %ld  failed %ld\n", s,
	    (double)atomic_load(&ok_count) / s, atomic_load(&ok_count),
	    atomic_load(&fail_count));
	free(th);
	return atomic_load(&fail_count) ? 1 : 0;
}
