/*
 * nullmilter - the least a milter can do: answer the MTA at the stages
 * where phasegate answers with the example rules (connect, HELO, MAIL,
 * RCPT, end of message), negotiate no reply for the others (DATA, header,
 * end of header, body, unknown), and optionally add one header at end of
 * message, as phasegate's `actions` do. No filter, no parsing beyond the
 * packet frame, blocking I/O on a pool of threads that each take one
 * connection at a time: bench/milter runs it beside phasegate as the floor
 * of what a milter that decides at every stage costs the MTA and itself.
 *
 * usage: nullmilter PORT [HEADER_NAME HEADER_VALUE]
 *	Listens on 127.0.0.1:PORT (Postfix: smtpd_milters = inet:127.0.0.1:PORT).
 *
 * A benchmark tool: it trusts its MTA (packets up to 1 MiB, else the
 * connection is closed) and logs nothing.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NM_THREADS	64
#define NM_PACKET_MAX	(1024 * 1024)

/* SMFIP_* and SMFIF_* (libmilter's mfdef.h) */
#define NM_NR_HDR	0x00000080UL
#define NM_NR_DATA	0x00010000UL
#define NM_NR_UNKN	0x00020000UL
#define NM_NR_EOH	0x00040000UL
#define NM_NR_BODY	0x00080000UL
#define NM_ADDHDRS	0x00000001UL
#define NM_NOREPLY	(NM_NR_HDR | NM_NR_DATA | NM_NR_UNKN | NM_NR_EOH | NM_NR_BODY)

static int lfd;
static const char *hname, *hvalue;

/* full - read or write exactly n bytes; -1 on EOF or error */
static int
full(int fd, void *p, size_t n, int wr)
{
	char *b = p;
	ssize_t k;

	while (n > 0) {
		k = wr ? send(fd, b, n, MSG_NOSIGNAL) : recv(fd, b, n, 0);
		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* put - append one packet (command c, payload p of n bytes) to out */
static size_t
put(char *out, size_t at, char c, const void *p, size_t n)
{
	uint32_t len = htonl((uint32_t)(n + 1));

	memcpy(out + at, &len, 4);
	out[at + 4] = c;
	if (n > 0)
		memcpy(out + at + 5, p, n);
	return at + 5 + n;
}

/* serve - one MTA connection, until it quits or goes away */
static void
serve(int fd, char *buf)
{
	char out[1024];
	uint32_t len, v[3];
	size_t o, hn, vn;
	int one = 1;

	for (;;) {
		if (full(fd, &len, 4, 0) == -1)
			return;
		len = ntohl(len);
		if (len == 0 || len > NM_PACKET_MAX || full(fd, buf, len, 0) == -1)
			return;
		o = 0;
		switch (buf[0]) {
		case 'O':	/* version, actions, protocol offered */
			if (len < 13)
				return;
			memcpy(v, buf + 1, 12);
			v[0] = htonl(6);
			v[1] = htonl(hname != NULL ? NM_ADDHDRS : 0);
			v[2] = htonl(ntohl(v[2]) & NM_NOREPLY);
			o = put(out, o, 'O', v, 12);
			break;
		case 'C': case 'H': case 'M': case 'R':
			o = put(out, o, 'c', NULL, 0);
			break;
		case 'E':
			if (hname != NULL) {
				hn = strlen(hname) + 1;
				vn = strlen(hvalue) + 1;
				if (hn + vn + 10 > sizeof(out))
					return;
				memcpy(buf, hname, hn);
				memcpy(buf + hn, hvalue, vn);
				o = put(out, o, 'h', buf, hn + vn);
			}
			o = put(out, o, 'c', NULL, 0);
			break;
		case 'Q':
			return;
		default:	/* macros, abort, and the stages without a reply */
			break;
		}
		if (o > 0 && full(fd, out, o, 1) == -1)
			return;
		/* no reply: ACK at once, or an MTA that writes without
		 * TCP_NODELAY (Postfix) waits 40 ms for a delayed ACK */
		if (o == 0)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one,
			    sizeof(one));
	}
}

/* thread - take connections one at a time */
static void *
thread(void *arg)
{
	char *buf;
	int fd, one = 1;

	(void)arg;
	if ((buf = malloc(NM_PACKET_MAX)) == NULL) {
		perror("nullmilter: malloc");
		exit(1);
	}
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		serve(fd, buf);
		close(fd);
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sa;
	pthread_t t;
	int i, one = 1;

	if (argc != 2 && argc != 4) {
		fprintf(stderr, "usage: nullmilter PORT [HEADER_NAME "
		    "HEADER_VALUE]\n");
		return 2;
	}
	if (argc == 4) {
		hname = argv[2];
		hvalue = argv[3];
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(lfd, 256) == -1) {
		perror("nullmilter: listen");
		return 1;
	}
	for (i = 1; i < NM_THREADS; i++)
		if (pthread_create(&t, NULL, thread, NULL) != 0) {
			perror("nullmilter: pthread_create");
			return 1;
		}
	thread(NULL);
	return 0;
}
