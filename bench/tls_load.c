/*
 * tls_load - an SMTP load client doing STARTTLS on every connection, for
 * bench/tls (issue 15): phasegate's proxy with STARTTLS against a Postfix
 * smtpd doing the same, with the same certificate.
 *
 * usage: tls_load [-c CONC] [-n TOTAL] [-s SIZE] [-t SECS] [-R | -P] [-2] [-v]
 *                 [-f FROM] [-r RCPT] HOST PORT
 *	CONC workers (20), one thread each, run TOTAL connections (2000) in
 *	all. Each connection: banner, EHLO, STARTTLS, the TLS handshake, EHLO
 *	again, MAIL, RCPT, DATA with a message of SIZE bytes (4096), QUIT.
 *	A worker offers a TLS session (ticket) of its earlier connections,
 *	so every connection but a worker's first may be resumed: a fresh
 *	ticket when it holds one (each used once, as RFC 8446 C.4 asks of
 *	TLS 1.3 clients; the newest first), else the one it offered last
 *	time again (a TLS 1.2 session resumes any number of times; a TLS 1.3
 *	ticket offered twice was never taken back in our runs). -R turns
 *	resumption off (every handshake full). -P: no STARTTLS at all (the
 *	same dialogue in plaintext, the base that tells TLS's cost). -2: TLS
 *	1.2 at most. -t: the timeout of every read and write (10 s). -v:
 *	every error on stderr (the first 5 otherwise).
 *
 * Output: a human summary, then one line for scripts:
 *	RESULT conns=N ok=N errors=N secs=S rate=R full=N resumed=N
 *	       hs_full_ms=M hs_resumed_ms=M client_ms=M
 * rate counts connections that completed (ok) per second of wall time;
 * hs_*_ms are the mean handshake times (SSL_connect) of each kind;
 * client_ms is this client's own CPU (user + system) per connection, what
 * the load takes from a machine it shares with the server.
 * Exit status 0 when every connection completed, 1 when some failed, 2 on
 * a usage or setup error.
 *
 * One thread per connection slot with blocking sockets (SO_RCVTIMEO and
 * SO_SNDTIMEO for the timeout) is the simplest client that is accurate
 * here: switching between 20 threads costs little next to the handshakes
 * they drive, and a thread never waits for another's work. Certificates
 * are not verified: the bench measures the server's handshake, not the
 * client's trust.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define LOAD_BUF	8192
#define LOAD_ERRORS_SHOWN 5
#define LOAD_TICKETS	4	/* fresh tickets a worker keeps */

struct opts {
	const char	*host;
	const char	*port;
	const char	*from;
	const char	*rcpt;
	int		 conc;
	long		 total;
	size_t		 size;
	int		 timeout;
	int		 resume;
	int		 plain;
	int		 tls12;
	int		 verbose;
};

/* one worker: its thread, its saved session and its counters */
struct worker {
	pthread_t	 thread;
	int		 id;
	SSL_SESSION	*fresh[LOAD_TICKETS];	/* unused tickets; owned */
	int		 nfresh;
	SSL_SESSION	*last;		/* the one offered last; owned */
	long		 ok, errors, full, resumed;
	double		 hs_full, hs_resumed;	/* seconds, summed */
};

/* a connection: the socket, TLS once started, and a read buffer */
struct io {
	int		 fd;
	SSL		*ssl;
	char		 buf[LOAD_BUF];
	size_t		 off, len;
};

static struct opts o;
static SSL_CTX *ctx;
static struct addrinfo *target;
static char *message;		/* the DATA body with its final dot */
static size_t message_len;
static atomic_long next_conn;
static atomic_int errors_shown;
static int worker_index;	/* SSL ex_data index of the struct worker */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((format(printf, 2, 3)))
static int
fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;
	unsigned long e;

	if (o.verbose || atomic_fetch_add(&errors_shown, 1) < LOAD_ERRORS_SHOWN) {
		fprintf(stderr, "tls_load: worker %d: ", w->id);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		while ((e = ERR_get_error()) != 0)
			fprintf(stderr, " [%s]", ERR_error_string(e, NULL));
		fputc('\n', stderr);
	}
	ERR_clear_error();
	return -1;
}

/* new_session - a ticket arrived: keep it among the fresh ones */
static int
new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct worker *w = SSL_get_ex_data(ssl, worker_index);

	if (w == NULL || !o.resume || !SSL_SESSION_is_resumable(sess))
		return 0;
	if (w->nfresh == LOAD_TICKETS) {	/* drop the oldest */
		SSL_SESSION_free(w->fresh[0]);
		memmove(w->fresh, w->fresh + 1, sizeof(w->fresh[0]) * (LOAD_TICKETS - 1));
		w->nfresh--;
	}
	w->fresh[w->nfresh++] = sess;
	return 1;		/* we keep the reference */
}

/* offer - the session to offer: the newest fresh ticket, else the last */
static SSL_SESSION *
offer(struct worker *w)
{
	if (w->nfresh > 0) {
		SSL_SESSION_free(w->last);
		w->last = w->fresh[--w->nfresh];
	}
	return w->last;
}

static int
io_write(struct io *io, const char *p, size_t n)
{
	size_t done;
	ssize_t r;

	while (n > 0) {
		if (io->ssl != NULL) {
			if (SSL_write_ex(io->ssl, p, n, &done) <= 0)
				return -1;
		} else {
			if ((r = write(io->fd, p, n)) < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			done = (size_t)r;
		}
		p += done;
		n -= done;
	}
	return 0;
}

static int
io_fill(struct io *io)
{
	size_t got;
	ssize_t r;

	if (io->off > 0) {
		memmove(io->buf, io->buf + io->off, io->len - io->off);
		io->len -= io->off;
		io->off = 0;
	}
	if (io->len == sizeof(io->buf))
		return -1;
	if (io->ssl != NULL) {
		if (SSL_read_ex(io->ssl, io->buf + io->len,
		    sizeof(io->buf) - io->len, &got) <= 0)
			return -1;
	} else {
		do
			r = read(io->fd, io->buf + io->len, sizeof(io->buf) - io->len);
		while (r < 0 && errno == EINTR);
		if (r <= 0)
			return -1;
		got = (size_t)r;
	}
	io->len += got;
	return 0;
}

/*
 * reply - read one whole (multi-line) reply; its code, or -1. With has,
 * *has_starttls is set when a line of it is "STARTTLS".
 */
static int
reply(struct io *io, int *has_starttls)
{
	char *line, *nl;
	int code;

	for (;;) {
		while ((nl = memchr(io->buf + io->off, '\n',
		    io->len - io->off)) == NULL)
			if (io_fill(io) < 0)
				return -1;
		line = io->buf + io->off;
		io->off = (size_t)(nl - io->buf) + 1;
		if (nl - line < 4)
			return -1;
		if (has_starttls != NULL && strncasecmp(line + 4, "STARTTLS", 8) == 0)
			*has_starttls = 1;
		if (line[3] == ' ' || line[3] == '\r') {
			code = atoi(line);
			return code >= 200 && code < 600 ? code : -1;
		}
	}
}

/* cmd - send a line, read its reply; 0 when the code is want */
static int
cmd(struct worker *w, struct io *io, const char *line, int want, int *has)
{
	int code;

	if (io_write(io, line, strlen(line)) < 0)
		return fail(w, "writing %.4s: %s", line, strerror(errno));
	if ((code = reply(io, has)) != want)
		return fail(w, "%.4s: reply %d, expected %d", line, code, want);
	return 0;
}

static int
dial(struct worker *w)
{
	struct timeval tv = { .tv_sec = o.timeout };
	int fd, one = 1;

	fd = socket(target->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(w, "socket: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, target->ai_addr, target->ai_addrlen) < 0) {
		fail(w, "connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* handshake - STARTTLS accepted: the TLS handshake, counted by kind */
static int
handshake(struct worker *w, struct io *io)
{
	double t0;

	if (io->off != io->len)
		return fail(w, "plaintext after the STARTTLS reply");
	io->off = io->len = 0;
	if ((io->ssl = SSL_new(ctx)) == NULL)
		return fail(w, "SSL_new");
	SSL_set_ex_data(io->ssl, worker_index, w);
	SSL_set_fd(io->ssl, io->fd);
	if (o.resume && offer(w) != NULL)
		SSL_set_session(io->ssl, w->last);
	t0 = now();
	if (SSL_connect(io->ssl) != 1)
		return fail(w, "TLS handshake failed");
	if (SSL_session_reused(io->ssl)) {
		w->resumed++;
		w->hs_resumed += now() - t0;
	} else {
		w->full++;
		w->hs_full += now() - t0;
	}
	return 0;
}

/* session - one connection, start to end; 0 when every step succeeded */
static int
session(struct worker *w, struct io *io)
{
	char line[512];
	int has = 0, code;

	if ((code = reply(io, NULL)) != 220)
		return fail(w, "banner: reply %d", code);
	if (cmd(w, io, "EHLO load.example\r\n", 250, &has) < 0)
		return -1;
	if (!o.plain) {
		if (!has)
			return fail(w, "no STARTTLS in the EHLO reply");
		if (cmd(w, io, "STARTTLS\r\n", 220, NULL) < 0 ||
		    handshake(w, io) < 0 ||
		    cmd(w, io, "EHLO load.example\r\n", 250, NULL) < 0)
			return -1;
	}
	snprintf(line, sizeof(line), "MAIL FROM:<%s>\r\n", o.from);
	if (cmd(w, io, line, 250, NULL) < 0)
		return -1;
	snprintf(line, sizeof(line), "RCPT TO:<%s>\r\n", o.rcpt);
	if (cmd(w, io, line, 250, NULL) < 0 || cmd(w, io, "DATA\r\n", 354, NULL) < 0)
		return -1;
	if (io_write(io, message, message_len) < 0)
		return fail(w, "writing the message");
	if ((code = reply(io, NULL)) != 250)
		return fail(w, "end of data: reply %d", code);
	if (cmd(w, io, "QUIT\r\n", 221, NULL) < 0)
		return -1;
	if (io->ssl != NULL)
		SSL_shutdown(io->ssl);	/* our close_notify; no wait for theirs */
	return 0;
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct io *io;

	if ((io = malloc(sizeof(*io))) == NULL)
		return NULL;
	while (atomic_fetch_add(&next_conn, 1) < o.total) {
		io->ssl = NULL;
		io->off = io->len = 0;
		if ((io->fd = dial(w)) < 0) {
			w->errors++;
			continue;
		}
		if (session(w, io) == 0)
			w->ok++;
		else
			w->errors++;
		SSL_free(io->ssl);
		close(io->fd);
	}
	free(io);
	return NULL;
}

/* make_message - SIZE bytes of headers and 76-column lines, then "." */
static int
make_message(void)
{
	size_t n;

	if ((message = malloc(o.size + 1024)) == NULL)
		return -1;
	n = (size_t)snprintf(message, 1024, "From: <%s>\r\nTo: <%s>\r\n"
	    "Subject: tls load\r\nMessage-ID: <tls-load@load.example>\r\n\r\n",
	    o.from, o.rcpt);
	while (n + 78 <= o.size) {
		memset(message + n, 'a' + (int)(n % 26), 76);
		memcpy(message + n + 76, "\r\n", 2);
		n += 78;
	}
	memcpy(message + n, ".\r\n", 3);
	message_len = n + 3;
	return 0;
}

static int
setup(void)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	int e;

	if ((e = getaddrinfo(o.host, o.port, &hints, &target)) != 0) {
		fprintf(stderr, "tls_load: %s:%s: %s\n", o.host, o.port, gai_strerror(e));
		return -1;
	}
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return -1;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (o.tls12)
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* the client side cache only hands tickets to new_session() */
	SSL_CTX_set_session_cache_mode(ctx,
	    SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, new_session);
	worker_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	return worker_index < 0 ? -1 : make_message();
}

static void
usage(void)
{
	fprintf(stderr, "usage: tls_load [-c CONC] [-n TOTAL] [-s SIZE] [-t SECS]"
	    " [-R | -P] [-2] [-v] [-f FROM] [-r RCPT] HOST PORT\n");
	exit(2);
}

static long
num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < min || v > max) {
		fprintf(stderr, "tls_load: bad number: %s\n", s);
		usage();
	}
	return v;
}

static void
parse(int argc, char **argv)
{
	int ch;

	o = (struct opts){ .from = "alice@example.com", .rcpt = "bob@example.org",
	    .conc = 20, .total = 2000, .size = 4096, .timeout = 10, .resume = 1 };
	while ((ch = getopt(argc, argv, "c:n:s:t:f:r:RP2v")) != -1) {
		switch (ch) {
		case 'c': o.conc = (int)num(optarg, 1, 10000); break;
		case 'n': o.total = num(optarg, 1, 1L << 40); break;
		case 's': o.size = (size_t)num(optarg, 0, 1L << 26); break;
		case 't': o.timeout = (int)num(optarg, 1, 3600); break;
		case 'f': o.from = optarg; break;
		case 'r': o.rcpt = optarg; break;
		case 'R': o.resume = 0; break;
		case 'P': o.plain = 1; o.resume = 0; break;
		case '2': o.tls12 = 1; break;
		case 'v': o.verbose = 1; break;
		default: usage();
		}
	}
	if (argc - optind != 2)
		usage();
	o.host = argv[optind];
	o.port = argv[optind + 1];
	if (strlen(o.from) > 400 || strlen(o.rcpt) > 400)
		usage();
}

/* report - the summary and the RESULT line; the exit status */
static int
report(struct worker *ws, double secs)
{
	struct worker t = { 0 };
	struct rusage ru;
	double cpu;
	int i;

	for (i = 0; i < o.conc; i++) {
		t.ok += ws[i].ok;
		t.errors += ws[i].errors;
		t.full += ws[i].full;
		t.resumed += ws[i].resumed;
		t.hs_full += ws[i].hs_full;
		t.hs_resumed += ws[i].hs_resumed;
	}
	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	printf("tls_load: %s:%s, %d workers, %ld connections in %.3f s: %.1f/s;"
	    " handshakes %ld full, %ld resumed; %ld errors\n", o.host, o.port,
	    o.conc, o.total, secs, t.ok / secs, t.full, t.resumed, t.errors);
	printf("RESULT conns=%ld ok=%ld errors=%ld secs=%.3f rate=%.1f full=%ld"
	    " resumed=%ld hs_full_ms=%.3f hs_resumed_ms=%.3f client_ms=%.3f\n",
	    o.total, t.ok,
	    t.errors, secs, t.ok / secs, t.full, t.resumed,
	    t.full ? t.hs_full * 1000 / t.full : 0.0,
	    t.resumed ? t.hs_resumed * 1000 / t.resumed : 0.0,
	    cpu * 1000 / (double)o.total);
	return t.errors == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct worker *ws;
	double t0;
	int i;

	parse(argc, argv);
	if (setup() < 0) {
		ERR_print_errors_fp(stderr);
		return 2;
	}
	if ((ws = calloc((size_t)o.conc, sizeof(*ws))) == NULL)
		return 2;
	t0 = now();
	for (i = 0; i < o.conc; i++) {
		ws[i].id = i;
		if (pthread_create(&ws[i].thread, NULL, worker_run, &ws[i]) != 0) {
			fprintf(stderr, "tls_load: pthread_create failed\n");
			return 2;
		}
	}
	for (i = 0; i < o.conc; i++)
		pthread_join(ws[i].thread, NULL);
	i = report(ws, now() - t0);
	for (int k = 0; k < o.conc; k++) {
		while (ws[k].nfresh > 0)
			SSL_SESSION_free(ws[k].fresh[--ws[k].nfresh]);
		SSL_SESSION_free(ws[k].last);
	}
	free(ws);
	free(message);
	SSL_CTX_free(ctx);
	freeaddrinfo(target);
	return i;
}
