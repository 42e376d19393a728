/*
 * tlsload - an SMTP STARTTLS load client for bench/tls
 *
 * usage: tlsload -p PORT [-n CONNS] [-c CONCURRENT] [-s SIZE] [-r] [-2]
 *
 * CONCURRENT threads (20) make CONNS connections (1000) in all to
 * 127.0.0.1:PORT, each: the greeting, EHLO, STARTTLS, the handshake, EHLO,
 * MAIL, RCPT, DATA with one SIZE-byte message (4096), QUIT. With -r each
 * thread offers the session of its previous connection (a TLS 1.3 ticket
 * or a TLS 1.2 session) for resumption; -2 caps the protocol at TLS 1.2.
 * Prints one line: conns, ok, failed, resumed, seconds, connections per
 * second. Blocking sockets, one thread per client: the client is not what
 * is measured (bench/tls reads the servers' CPU from /proc).
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static int port, total = 1000, conc = 20, size = 4096, resume, tls12;
static atomic_int next, ok, failed, resumed;
static SSL_CTX *ctx;
static char *body;

/* one connection's reader */
struct rd {
	int	 fd;
	SSL	*ssl;
	char	 buf[8192];
	size_t	 len;
};

/* rd_more - read more bytes; -1 at the end or on an error */
static int
rd_more(struct rd *r)
{
	int n;

	if (r->len == sizeof(r->buf))
		return -1;
	if (r->ssl != NULL)
		n = SSL_read(r->ssl, r->buf + r->len, (int)(sizeof(r->buf) - r->len));
	else
		n = (int)recv(r->fd, r->buf + r->len, sizeof(r->buf) - r->len, 0);
	if (n <= 0)
		return -1;
	r->len += (size_t)n;
	return 0;
}

/* reply - read one (multi-line) reply; its code, or -1 */
static int
reply(struct rd *r)
{
	char *nl;
	size_t l;
	int code;

	for (;;) {
		while ((nl = memchr(r->buf, '\n', r->len)) == NULL)
			if (rd_more(r) == -1)
				return -1;
		l = (size_t)(nl - r->buf) + 1;
		code = atoi(r->buf);
		if (l < 4 || r->buf[3] != '-') {
			memmove(r->buf, r->buf + l, r->len - l);
			r->len -= l;
			return code;
		}
		memmove(r->buf, r->buf + l, r->len - l);
		r->len -= l;
	}
}

/* say - send s; -1 on an error */
static int
say(struct rd *r, const char *s, size_t n)
{
	if (r->ssl != NULL)
		return SSL_write(r->ssl, s, (int)n) == (int)n ? 0 : -1;
	return send(r->fd, s, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

/* cmd - send a line, expect a reply class; 0 or -1 */
static int
cmd(struct rd *r, const char *line, int want)
{
	if (say(r, line, strlen(line)) == -1)
		return -1;
	return reply(r) / 100 == want ? 0 : -1;
}

/* one - one connection; 0 or -1 */
static int
one(SSL_SESSION **sess)
{
	struct sockaddr_in sin;
	struct rd r = { .fd = -1 };
	int rc = -1, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((r.fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(r.fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		goto out;
	(void)setsockopt(r.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (reply(&r) != 220 || cmd(&r, "EHLO load.example\r\n", 2) == -1 ||
	    cmd(&r, "STARTTLS\r\n", 2) == -1 || r.len != 0)
		goto out;
	if ((r.ssl = SSL_new(ctx)) == NULL)
		goto out;
	SSL_set_fd(r.ssl, r.fd);
	if (resume && *sess != NULL)
		SSL_set_session(r.ssl, *sess);
	if (SSL_connect(r.ssl) != 1)
		goto out;
	if (SSL_session_reused(r.ssl))
		atomic_fetch_add(&resumed, 1);
	if (cmd(&r, "EHLO load.example\r\n", 2) == -1 ||
	    cmd(&r, "MAIL FROM:<load@example.com>\r\n", 2) == -1 ||
	    cmd(&r, "RCPT TO:<sink@example.org>\r\n", 2) == -1 ||
	    cmd(&r, "DATA\r\n", 3) == -1 || cmd(&r, body, 2) == -1 ||
	    cmd(&r, "QUIT\r\n", 2) == -1)
		goto out;
	if (resume) {
		/* TLS 1.3 tickets come after the handshake: taken at the end */
		SSL_SESSION_free(*sess);
		*sess = SSL_get1_session(r.ssl);
	}
	rc = 0;
out:
	if (r.ssl != NULL) {
		(void)SSL_shutdown(r.ssl);
		SSL_free(r.ssl);
	}
	if (r.fd >= 0)
		close(r.fd);
	ERR_clear_error();
	return rc;
}

static void *
worker(void *arg)
{
	SSL_SESSION *sess = NULL;

	(void)arg;
	while (atomic_fetch_add(&next, 1) < total) {
		if (one(&sess) == 0)
			atomic_fetch_add(&ok, 1);
		else
			atomic_fetch_add(&failed, 1);
	}
	SSL_SESSION_free(sess);
	return NULL;
}

/* mkbody - a size-byte message with headers, dot-safe, and the final dot */
static void
mkbody(void)
{
	size_t o = 0, cap = (size_t)size + 200;
	int i;

	body = malloc(cap);
	o += (size_t)snprintf(body, cap, "Subject: tls load\r\nFrom: "
	    "<load@example.com>\r\n\r\n");
	for (i = 0; o + 80 < (size_t)size; i++)
		o += (size_t)snprintf(body + o, cap - o, "%-76d\r\n", i);
	snprintf(body + o, cap - o, ".\r\n");
}

int
main(int argc, char **argv)
{
	struct timeval t0, t1;
	pthread_t *th;
	double secs;
	int c, i;

	while ((c = getopt(argc, argv, "p:n:c:s:r2")) != -1)
		switch (c) {
		case 'p': port = atoi(optarg); break;
		case 'n': total = atoi(optarg); break;
		case 'c': conc = atoi(optarg); break;
		case 's': size = atoi(optarg); break;
		case 'r': resume = 1; break;
		case '2': tls12 = 1; break;
		default:
			fprintf(stderr, "usage: tlsload -p PORT [-n CONNS] "
			    "[-c CONCURRENT] [-s SIZE] [-r] [-2]\n");
			return 2;
		}
	if (port <= 0 || conc <= 0 || total <= 0)
		return 2;
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (tls12)
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	mkbody();
	th = calloc((size_t)conc, sizeof(*th));
	gettimeofday(&t0, NULL);
	for (i = 0; i < conc; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (i = 0; i < conc; i++)
		pthread_join(th[i], NULL);
	gettimeofday(&t1, NULL);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_usec -
	    t0.tv_usec) / 1e6;
	printf("conns=%d ok=%d failed=%d resumed=%d secs=%.3f conn_per_s=%.1f\n",
	    total, atomic_load(&ok), atomic_load(&failed),
	    atomic_load(&resumed), secs, atomic_load(&ok) / secs);
	SSL_CTX_free(ctx);
	free(body);
	free(th);
	return atomic_load(&failed) > 0;
}
