/*
 * test_conn - the buffered connection on the real fiber scheduler, over
 * socket pairs: the conn side runs in a fiber and records what it got; the
 * main thread plays the peer (slowly, in pieces, or not at all) and then
 * checks the record. Lines split over many writes, a peer closing between
 * lines and in the middle of one, a line over the maximum, blocks,
 * deadlines (one that fires, data just before one), writes larger than the
 * socket buffer to a slow reader and to one that never reads, flush, a
 * stop waking idle and busy readers, a byte layer under the calls,
 * connecting, and the same calls outside a fiber.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "clock.h"
#include "conn.h"
#include "fiber.h"

#define MAXLINES	8

/* run - one conn-side fiber and what it saw */
struct run {
	void		(*fn)(struct run *);
	int		 fd;		/* the conn's end */
	struct conn	*c;
	struct conn_stop *stop;
	size_t		 max;		/* line maximum */
	uint64_t	 deadline;
	unsigned	 flags;
	enum conn_status st[MAXLINES];
	char		 line[MAXLINES][128];
	size_t		 nst;
	uint64_t	 ms;		/* how long the last call took */
	size_t		 count;
	char		 rest[128];	/* conn_data() after the last call */
	_Atomic int	 ready;		/* the fiber is about to wait */
	_Atomic int	 done;
};

/* pair - a socket pair: sv[0] non-blocking for the conn, sv[1] blocking for the peer */
static void
pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
}

static void
run_fiber(void *arg)
{
	struct run *r = arg;

	r->fn(r);
	conn_free(r->c);	/* in the fiber that used it, as a session does */
	r->c = NULL;
	atomic_store(&r->done, 1);
}

/* start - r->fn in a fiber, over a new conn on fd */
static void
start(struct run *r, void (*fn)(struct run *), int fd)
{
	r->fn = fn;
	r->fd = fd;
	assert_non_null(r->c = conn_new(fd, 0, 0));
	if (r->stop != NULL)
		conn_set_stop(r->c, r->stop);
	assert_int_equal(fiber_spawn(run_fiber, r), 0);
}

/* finish - wait (10 s at most) for the fiber to end */
static void
finish(struct run *r)
{
	uint64_t end = clock_ms() + 10000;

	while (!atomic_load(&r->done) && clock_ms() < end)
		usleep(1000);
	assert_true(atomic_load(&r->done));
}

static void
put(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* note_rest - what is still buffered, as a string */
static void
note_rest(struct run *r)
{
	const char *p;
	size_t n;

	p = conn_data(r->c, &n);
	snprintf(r->rest, sizeof(r->rest), "%.*s", (int)n, p);
}

/* lines - read lines until a status other than OK, noting each */
static void
lines(struct run *r)
{
	const char *l;
	size_t len;
	uint64_t t0;

	while (r->nst < MAXLINES) {
		atomic_store(&r->ready, 1);
		t0 = clock_ms();
		r->st[r->nst] = conn_read_line(r->c, r->max, r->deadline, r->flags,
		    &l, &len);
		r->ms = clock_ms() - t0;
		if (r->st[r->nst] == CONN_OK) {
			if (strlen(l) != len)
				snprintf(r->line[r->nst], 128, "BAD LENGTH");
			else
				snprintf(r->line[r->nst], 128, "%s", l);
		}
		if (r->st[r->nst++] != CONN_OK)
			break;
	}
	note_rest(r);
}

/* test_partial - lines split over many small writes, CR stripped */
static void
test_partial(void **state)
{
	static const char *const pieces[] = { "HELO exa", "mple.org\r", "\nMAIL",
	    " FROM:<a@b>\r\nRC", "PT TO:<c@d>\r\n", "NOOP\n" };
	struct run r = { .flags = CONN_STRIP_CR };
	const char *p;
	int sv[2];
	size_t i;

	(void)state;
	pair(sv);
	r.deadline = clock_deadline(5000);
	start(&r, lines, sv[0]);
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		usleep(10000);
		put(sv[1], pieces[i]);
	}
	/* one byte at a time */
	for (p = "DATA\r\n"; *p != '\0'; p++) {
		usleep(2000);
		assert_int_equal(write(sv[1], p, 1), 1);
	}
	close(sv[1]);
	finish(&r);
	assert_int_equal(r.nst, 6);
	assert_string_equal(r.line[0], "HELO example.org");
	assert_string_equal(r.line[1], "MAIL FROM:<a@b>");
	assert_string_equal(r.line[2], "RCPT TO:<c@d>");
	assert_string_equal(r.line[3], "NOOP");	/* a bare LF ends a line too */
	assert_string_equal(r.line[4], "DATA");
	assert_int_equal(r.st[5], CONN_EOF);	/* closed between lines */
	assert_string_equal(r.rest, "");
}

/* test_keep_cr - without CONN_STRIP_CR the CR is the caller's to see */
static void
test_keep_cr(void **state)
{
	struct run r = { .flags = 0 };
	int sv[2];

	(void)state;
	pair(sv);
	put(sv[1], "a\r\nb\n");
	close(sv[1]);
	start(&r, lines, sv[0]);
	finish(&r);
	assert_int_equal(r.nst, 3);
	assert_string_equal(r.line[0], "a\r");
	assert_string_equal(r.line[1], "b");
	assert_int_equal(r.st[2], CONN_EOF);
}

/* test_eof_mid_line - the peer closes after half a line */
static void
test_eof_mid_line(void **state)
{
	struct run r = { .flags = CONN_STRIP_CR };
	int sv[2];

	(void)state;
	pair(sv);
	r.deadline = clock_deadline(5000);
	start(&r, lines, sv[0]);
	put(sv[1], "QUIT\r\nhal");
	usleep(20000);
	put(sv[1], "f a li");
	usleep(20000);
	close(sv[1]);
	finish(&r);
	assert_int_equal(r.nst, 2);
	assert_string_equal(r.line[0], "QUIT");
	assert_int_equal(r.st[1], CONN_SHORT);
	assert_string_equal(r.rest, "half a li");
}

/* test_toolong - a line over the maximum; then the rest, then a good line */
static void
toolong(struct run *r)
{
	const char *l;
	size_t len;

	r->st[0] = conn_read_line(r->c, 16, r->deadline, 0, &l, &len);
	note_rest(r);
	conn_consume(r->c, 16);	/* drop what was too long */
	r->st[1] = conn_read_line(r->c, 16, r->deadline, 0, &l, &len);
	snprintf(r->line[1], 128, "%s", l);
	r->st[2] = conn_read_line(r->c, 16, r->deadline, 0, &l, &len);	/* 15 + LF: fits */
	snprintf(r->line[2], 128, "%s", l);
	r->nst = 3;
}

static void
test_toolong(void **state)
{
	struct run r = { .flags = 0 };
	int sv[2];

	(void)state;
	pair(sv);
	r.deadline = clock_deadline(5000);
	start(&r, toolong, sv[0]);
	put(sv[1], "0123456789");
	usleep(20000);
	put(sv[1], "abcdefghij\n123456789012345\n");
	finish(&r);
	close(sv[1]);
	assert_int_equal(r.st[0], CONN_TOOLONG);
	assert_true(strncmp(r.rest, "0123456789abcdef", 16) == 0);
	assert_int_equal(r.st[1], CONN_OK);
	assert_string_equal(r.line[1], "ghij");
	assert_int_equal(r.st[2], CONN_OK);
	assert_string_equal(r.line[2], "123456789012345");
}

/* test_block - blocks over pieces; a block cut by the peer's close */
static void
blocks(struct run *r)
{
	const char *p;

	r->st[0] = conn_read_block(r->c, 10, r->deadline, 0, &p);
	memcpy(r->line[0], p, 10);
	r->st[1] = conn_read_block(r->c, 3, r->deadline, 0, &p);
	memcpy(r->line[1], p, 3);
	r->st[2] = conn_read_block(r->c, CONN_BUF_DEFAULT + 1, r->deadline, 0, &p);
	r->st[3] = conn_read_block(r->c, 8, r->deadline, 0, &p);
	note_rest(r);
	r->nst = 4;
}

static void
test_block(void **state)
{
	struct run r = { .flags = 0 };
	int sv[2];

	(void)state;
	pair(sv);
	r.deadline = clock_deadline(5000);
	start(&r, blocks, sv[0]);
	put(sv[1], "01234");
	usleep(10000);
	put(sv[1], "56789ab");
	usleep(10000);
	put(sv[1], "cxyz");
	usleep(10000);
	close(sv[1]);
	finish(&r);
	assert_int_equal(r.st[0], CONN_OK);
	assert_memory_equal(r.line[0], "0123456789", 10);
	assert_int_equal(r.st[1], CONN_OK);
	assert_memory_equal(r.line[1], "abc", 3);
	assert_int_equal(r.st[2], CONN_TOOLONG);
	assert_int_equal(r.st[3], CONN_SHORT);
	assert_string_equal(r.rest, "xyz");
}

/* test_deadline - a silent peer: the read ends at its deadline */
static void
test_deadline(void **state)
{
	struct run r = { .flags = 0 };
	int sv[2];

	(void)state;
	pair(sv);
	r.deadline = clock_deadline(150);
	start(&r, lines, sv[0]);
	finish(&r);
	close(sv[1]);
	assert_int_equal(r.nst, 1);
	assert_int_equal(r.st[0], CONN_TIMEOUT);
	assert_true(r.ms >= 140);
	assert_true(r.ms < 2000);
}

/* test_just_in_time - data 100 ms before the deadline is read */
static void
test_just_in_time(void **state)
{
	struct run r = { .flags = 0 };
	int sv[2];

	(void)state;
	pair(sv);
	r.deadline = clock_deadline(400);
	start(&r, lines, sv[0]);
	usleep(300000);
	put(sv[1], "late but fine\n");
	finish(&r);
	close(sv[1]);
	assert_int_equal(r.nst, 2);
	assert_int_equal(r.st[0], CONN_OK);
	assert_string_equal(r.line[0], "late but fine");
	assert_int_equal(r.st[1], CONN_TIMEOUT);	/* and then nothing */
}

/* test_past_deadline - a deadline already past still returns what is buffered */
static void
test_past_deadline(void **state)
{
	struct run r = { .flags = 0 };
	int sv[2];

	(void)state;
	pair(sv);
	put(sv[1], "here already\n");
	r.deadline = clock_ms() - 1;
	start(&r, lines, sv[0]);
	finish(&r);
	close(sv[1]);
	assert_int_equal(r.st[0], CONN_OK);
	assert_string_equal(r.line[0], "here already");
	assert_int_equal(r.st[1], CONN_TIMEOUT);
}

#define BIG	(4 * 1024 * 1024)

/* big_writer - BIG bytes in writes of 1000 (coalesced), then a flush */
static void
big_writer(struct run *r)
{
	char chunk[1000];
	size_t off, i;

	for (off = 0; off < BIG && r->st[0] == CONN_OK; off += sizeof(chunk)) {
		for (i = 0; i < sizeof(chunk); i++)
			chunk[i] = (char)((off + i) % 251);
		r->st[0] = conn_write(r->c, chunk, off + sizeof(chunk) <= BIG ?
		    sizeof(chunk) : BIG - off, r->deadline);
	}
	if (r->st[0] == CONN_OK)
		r->st[0] = conn_flush(r->c, r->deadline);
	r->count = conn_queued(r->c);
	r->nst = 1;
}

/* test_slow_reader - more than the socket buffer to a reader that takes its time */
static void
test_slow_reader(void **state)
{
	struct run r = { .flags = 0 };
	char buf[65536];
	size_t got = 0, i;
	ssize_t n;
	int sv[2], bad = 0, small = 16384;

	(void)state;
	pair(sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	r.deadline = clock_deadline(20000);
	start(&r, big_writer, sv[0]);
	while (got < BIG) {
		if ((got / sizeof(buf)) % 8 == 0)
			usleep(2000);
		n = read(sv[1], buf, sizeof(buf));
		assert_true(n > 0);
		for (i = 0; i < (size_t)n; i++)
			bad += buf[i] != (char)((got + i) % 251);
		got += (size_t)n;
	}
	finish(&r);
	assert_int_equal(bad, 0);
	assert_int_equal(r.st[0], CONN_OK);
	assert_int_equal(r.count, 0);
	/* nothing more than BIG came */
	close(sv[1]);
}

/* test_no_reader - a peer that never reads: the write times out, the rest stays queued */
static void
test_no_reader(void **state)
{
	struct run r = { .flags = 0 };
	int sv[2];

	(void)state;
	pair(sv);
	r.deadline = clock_deadline(200);
	start(&r, big_writer, sv[0]);
	finish(&r);
	close(sv[1]);
	assert_int_equal(r.st[0], CONN_TIMEOUT);
	assert_true(r.count > 0);
}

/* flusher - two replies queued; flushed only after the peer's "go" */
static void
flusher(struct run *r)
{
	const char *l;
	size_t len;

	r->st[0] = conn_write(r->c, "250 one\r\n", 9, r->deadline);
	r->st[1] = conn_printf(r->c, r->deadline, "250 %s\r\n", "two");
	r->count = conn_queued(r->c);
	atomic_store(&r->ready, 1);
	r->st[2] = conn_read_line(r->c, 0, r->deadline, 0, &l, &len);
	r->st[3] = conn_flush(r->c, r->deadline);
	r->st[4] = conn_flush(r->c, r->deadline);	/* nothing queued: ok */
	r->nst = 5;
}

static void
test_flush(void **state)
{
	struct run r = { .flags = 0 };
	struct pollfd pfd;
	char buf[64];
	ssize_t n;
	int sv[2];

	(void)state;
	pair(sv);
	r.deadline = clock_deadline(5000);
	start(&r, flusher, sv[0]);
	while (!atomic_load(&r.ready))
		usleep(1000);
	pfd.fd = sv[1];
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 50), 0);	/* queued, not sent */
	put(sv[1], "go\n");
	n = read(sv[1], buf, sizeof(buf));	/* both in one send */
	finish(&r);
	close(sv[1]);
	assert_int_equal(r.count, 18);
	assert_int_equal(n, 18);
	assert_memory_equal(buf, "250 one\r\n250 two\r\n", 18);
	assert_int_equal(r.st[3], CONN_OK);
	assert_int_equal(r.st[4], CONN_OK);
}

/* test_stop - idle readers end at once; busy ones at the end of the grace */
static void
test_stop(void **state)
{
	struct conn_stop *stop = conn_stop_new();
	struct run idle = { .flags = CONN_IDLE }, busy = { .flags = CONN_IDLE };
	struct run late = { .flags = CONN_IDLE };
	int a[2], b[2], c[2];
	uint64_t t0;

	(void)state;
	assert_non_null(stop);
	idle.stop = busy.stop = late.stop = stop;
	pair(a);
	pair(b);
	pair(c);
	idle.deadline = busy.deadline = late.deadline = clock_deadline(10000);
	start(&idle, lines, a[0]);
	start(&busy, lines, b[0]);
	start(&late, lines, c[0]);
	put(b[1], "half a comm");	/* busy: in the middle of a line */
	put(c[1], "MAIL FROM:<x>");	/* late: finishes within the grace */
	usleep(50000);
	assert_false(conn_stop_stopping(stop));
	t0 = clock_ms();
	conn_stop_begin(stop, t0 + 400);
	assert_true(conn_stop_stopping(stop));
	usleep(100000);
	assert_true(atomic_load(&idle.done));	/* at once */
	assert_false(atomic_load(&busy.done));	/* grace */
	put(c[1], "\r\n");
	finish(&idle);
	finish(&busy);
	finish(&late);
	assert_true(clock_ms() - t0 >= 390);
	assert_int_equal(idle.nst, 1);
	assert_int_equal(idle.st[0], CONN_STOPPING);
	assert_true(idle.ms < 300);
	assert_int_equal(busy.nst, 1);
	assert_int_equal(busy.st[0], CONN_STOPPING);
	assert_true(busy.ms >= 390);
	assert_string_equal(busy.rest, "half a comm");
	assert_int_equal(late.nst, 2);
	assert_string_equal(late.line[0], "MAIL FROM:<x>\r");
	assert_int_equal(late.st[1], CONN_STOPPING);	/* next command: idle, stopping */
	assert_true(late.ms < 100);
	close(a[1]);
	close(b[1]);
	close(c[1]);
	conn_stop_free(stop);
}

static int rot_calls, rot_reads;

/* rot - a toy byte layer (rot13 of letters), to show one sits under the calls */
static ssize_t
rot_read(void *ctx, int fd, void *buf, size_t len, unsigned *want)
{
	ssize_t n = read(fd, buf, len), i;
	char *p = buf;

	(void)ctx;
	rot_reads++;
	if (n == -1 && errno == EAGAIN)
		*want = FIBER_IN;
	for (i = 0; i < n; i++)
		if ((p[i] | 32) >= 'a' && (p[i] | 32) <= 'z')
			p[i] = (char)(((p[i] | 32) - 'a' + 13) % 26 + 'a' - (p[i] & 32 ? 0 : 32));
	return n;
}

static ssize_t
rot_write(void *ctx, int fd, const void *buf, size_t len, unsigned *want)
{
	char tmp[256];
	size_t i, n = len < sizeof(tmp) ? len : sizeof(tmp);
	const char *p = buf;
	ssize_t w;

	(*(int *)ctx)++;
	for (i = 0; i < n; i++)
		tmp[i] = (p[i] | 32) >= 'a' && (p[i] | 32) <= 'z' ?
		    (char)(((p[i] | 32) - 'a' + 13) % 26 + 'a' - (p[i] & 32 ? 0 : 32)) :
		    p[i];
	if ((w = write(fd, tmp, n)) == -1 && errno == EAGAIN)
		*want = FIBER_OUT;
	return w;
}

static int rot_closed;

static void
rot_close(void *ctx)
{
	(void)ctx;
	rot_closed++;
}

static const struct conn_ops rot_ops = { rot_read, rot_write, NULL, rot_close,
    NULL };

static void
layered(struct run *r)
{
	const char *l;
	size_t len;

	/* "STARTTLS": bytes sent with it must not be taken as protected */
	r->st[0] = conn_read_line(r->c, 0, r->deadline, 0, &l, &len);
	r->count = conn_set_ops(r->c, &rot_ops, &rot_calls) == -1 && errno == EBUSY;
	conn_consume(r->c, 100);
	r->count += conn_set_ops(r->c, &rot_ops, &rot_calls) == 0;
	r->st[1] = conn_read_line(r->c, 0, r->deadline, 0, &l, &len);
	snprintf(r->line[1], 128, "%s", l);
	r->st[2] = conn_write(r->c, "Hello\n", 6, r->deadline);
	r->st[3] = conn_flush(r->c, r->deadline);
	/* lines that come one at a time: one read each (a short read means
	 * wait before the next), at most one more for a spurious wake-up */
	rot_reads = 0;
	r->st[4] = conn_read_line(r->c, 0, r->deadline, 0, &l, &len);
	r->st[5] = conn_read_line(r->c, 0, r->deadline, 0, &l, &len);
	r->st[6] = conn_read_line(r->c, 0, r->deadline, 0, &l, &len);
	snprintf(r->line[6], 128, "%s", l);
	r->nst = 7;
}

static void
test_layer(void **state)
{
	struct run r = { .flags = 0 };
	char buf[16];
	int sv[2];

	(void)state;
	pair(sv);
	r.deadline = clock_deadline(5000);
	put(sv[1], "STARTTLS\ninjected\n");
	start(&r, layered, sv[0]);
	usleep(20000);
	put(sv[1], "Uryyb\n");
	assert_int_equal(read(sv[1], buf, sizeof(buf)), 6);
	usleep(20000);
	put(sv[1], "n\n");
	usleep(20000);
	put(sv[1], "o\n");
	usleep(20000);
	put(sv[1], "cnegvny ernqf\n");
	finish(&r);
	close(sv[1]);
	assert_int_equal(r.count, 2);	/* EBUSY with "injected" buffered, then set */
	assert_string_equal(r.line[1], "Hello");
	assert_memory_equal(buf, "Uryyb\n", 6);
	assert_string_equal(r.line[6], "partial reads");
	assert_true(rot_reads >= 3);
	assert_true(rot_reads <= 4);
	assert_true(rot_calls >= 1);
	assert_int_equal(rot_closed, 1);	/* conn_free() ended the layer */
}

/* dialer - conn_connect() to the address in r->line[0], then one exchange */
static void
dialer(struct run *r)
{
	struct addr a;
	char err[sizeof(r->rest)];
	const char *l;
	size_t len;

	if (addr_parse(r->line[0], ADDR_CONNECT, &a, err, sizeof(err)) == 0)
		r->c = conn_connect(&a, r->deadline, 0, 0, err, sizeof(err));
	snprintf(r->rest, sizeof(r->rest), "%s", r->c == NULL ? err : "");
	if (r->c == NULL)
		return;
	r->st[0] = conn_read_line(r->c, 0, r->deadline, 0, &l, &len);
	snprintf(r->line[1], 128, "%s", l);
	r->st[1] = conn_write(r->c, "EHLO x\r\n", 8, r->deadline);
	r->st[2] = conn_flush(r->c, r->deadline);
	r->nst = 3;
}

/* dial - run dialer against spec in a fiber; the conn is r->c */
static void
dial(struct run *r, const char *spec)
{
	snprintf(r->line[0], 128, "%s", spec);
	r->deadline = clock_deadline(5000);
	r->fn = dialer;
	assert_int_equal(fiber_spawn(run_fiber, r), 0);
}

/* serve_one - accept on lfd, greet, read the client's line */
static void
serve_one(int lfd, char *got, size_t len)
{
	int fd = accept(lfd, NULL, NULL);
	ssize_t n;

	assert_true(fd >= 0);
	put(fd, "220 hi\r\n");
	n = read(fd, got, len - 1);
	assert_true(n > 0);
	got[n] = '\0';
	close(fd);
}

static void
test_connect(void **state)
{
	struct sockaddr_in sin;
	struct sockaddr_un sun;
	socklen_t sl = sizeof(sin);
	struct run r = { .flags = 0 }, u = { .flags = 0 }, n = { .flags = 0 };
	struct run refused = { .flags = 0 };
	char spec[128], got[64], path[] = "/tmp/test_conn.XXXXXX";
	int lfd, ufd;

	(void)state;
	/* TCP, by address and by name (looked up on a helper thread) */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((lfd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", ntohs(sin.sin_port));
	dial(&r, spec);
	serve_one(lfd, got, sizeof(got));
	finish(&r);
	assert_string_equal(r.rest, "");
	assert_string_equal(r.line[1], "220 hi\r");
	assert_string_equal(got, "EHLO x\r\n");
	snprintf(spec, sizeof(spec), "inet:%u@localhost", ntohs(sin.sin_port));
	dial(&n, spec);
	serve_one(lfd, got, sizeof(got));
	finish(&n);
	assert_string_equal(n.rest, "");
	assert_string_equal(got, "EHLO x\r\n");
	close(lfd);
	/* nobody listens there now */
	dial(&refused, spec);
	finish(&refused);
	assert_int_equal(refused.nst, 0);
	assert_non_null(strstr(refused.rest, "refused"));
	/* a unix socket */
	assert_true(mkdtemp(path) != NULL);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s", path);
	assert_true((ufd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(ufd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(ufd, 8), 0);
	snprintf(spec, sizeof(spec), "unix:%s", sun.sun_path);
	dial(&u, spec);
	serve_one(ufd, got, sizeof(got));
	finish(&u);
	assert_string_equal(u.rest, "");
	assert_string_equal(got, "EHLO x\r\n");
	close(ufd);
	unlink(sun.sun_path);
	rmdir(path);
}

/* test_outside - the same calls from a plain thread (fiber_wait() polls) */
static void
test_outside(void **state)
{
	struct conn *c;
	const char *l;
	size_t len;
	char buf[8];
	int sv[2];

	(void)state;
	pair(sv);
	assert_non_null(c = conn_new(sv[0], 0, 0));
	put(sv[1], "one\ntw");
	assert_int_equal(conn_read_line(c, 0, clock_deadline(1000), 0, &l, &len),
	    CONN_OK);
	assert_string_equal(l, "one");
	assert_int_equal(conn_read_line(c, 0, clock_deadline(100), 0, &l, &len),
	    CONN_TIMEOUT);
	assert_int_equal(conn_write(c, "ok\n", 3, 0), CONN_OK);
	assert_int_equal(conn_flush(c, clock_deadline(1000)), CONN_OK);
	assert_int_equal(read(sv[1], buf, sizeof(buf)), 3);
	close(sv[1]);
	assert_int_equal(conn_read_line(c, 0, clock_deadline(1000), 0, &l, &len),
	    CONN_SHORT);
	assert_int_equal(conn_fill(c, 0, 0), CONN_SHORT);	/* sticky */
	assert_int_equal(conn_write(c, "x\n", 2, 0), CONN_OK);
	assert_int_equal(conn_flush(c, clock_deadline(1000)), CONN_ERROR);
	assert_non_null(strstr(conn_error(c), "pipe"));
	assert_int_equal(conn_write(c, "y", 1, 0), CONN_ERROR);	/* dead */
	assert_string_equal(conn_strstatus(CONN_TIMEOUT), "timed out");
	conn_free(c);
	conn_free(NULL);
}

static int
setup(void **state)
{
	char err[256];

	(void)state;
	return fiber_start(2, 256 * 1024, err, sizeof(err));
}

static int
teardown(void **state)
{
	(void)state;
	fiber_stop();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_keep_cr),
		cmocka_unit_test(test_eof_mid_line),
		cmocka_unit_test(test_toolong),
		cmocka_unit_test(test_block),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_just_in_time),
		cmocka_unit_test(test_past_deadline),
		cmocka_unit_test(test_slow_reader),
		cmocka_unit_test(test_no_reader),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_layer),
		cmocka_unit_test(test_connect),
		cmocka_unit_test(test_outside),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
