/*
 * test_listen - the listener on the real fiber scheduler: accepting and
 * handing each connection to a session fiber (TCP and a unix socket), the
 * session limit with its refusal, unix socket paths (stale, in use, not a
 * socket, removed at the stop), and the stop protocol: an idle session
 * ends at once, a busy one finishes within the grace, one still waiting
 * at the end of the grace is told to stop, one busy outside any wait
 * (a filter) is told at its next wait, and two listeners stopped together
 * (listen_stop_begin(), then the waits) share one grace. The fair shares:
 * sessions per client address, the longest-waiting session ended to make
 * room near the limit, a client refused when the process has no room for
 * its descriptors, and one beyond the descriptor limit answered with the
 * spare descriptor instead of left in the backlog.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#include "listen.h"

#define NSESS	8

/* what the sessions of one test saw, by the first byte of their first line */
static struct {
	_Atomic int	 started, ended;
	_Atomic int	 status[NSESS];	/* of the last read, +1 (0: none) */
	_Atomic int	 lines[NSESS];
	_Atomic int	 family;
	_Atomic uint64_t ended_ms[NSESS];
	_Atomic int	 block_ms;	/* a "filter" that blocks this long, once */
	_Atomic int	 report;	/* sessions call listen_session_wait() */
	_Atomic int	 age_ms[NSESS];	/* ... as if waiting this long, by arrival */
	_Atomic int	 evicted;	/* sessions told they were evicted */
} seen;

/* session - read lines "N..." (N: a digit, the session's slot), echo each */
static void
session(void *arg, int fd, const struct sockaddr *peer, socklen_t peerlen,
    const struct conn_stop *stop)
{
	struct conn *c = conn_new(fd, 4096, 4096);
	enum conn_status st;
	const char *l;
	size_t len;
	int slot = -1, b, n;

	(void)arg;
	(void)peerlen;
	atomic_store(&seen.family, peer->sa_family);
	n = atomic_fetch_add(&seen.started, 1);
	if (c == NULL) {
		close(fd);
		return;
	}
	conn_set_stop(c, stop);
	for (;;) {
		if (atomic_load(&seen.report))
			listen_session_wait(stop, clock_ms() -
			    (uint64_t)atomic_load(&seen.age_ms[n % NSESS]));
		st = conn_read_line(c, 0, clock_deadline(10000), CONN_IDLE, &l, &len);
		listen_session_wait(stop, 0);
		if (st != CONN_OK)
			break;
		if (slot == -1 && len > 0 && l[0] >= '0' && l[0] < '0' + NSESS)
			slot = l[0] - '0';
		if (slot >= 0)
			atomic_fetch_add(&seen.lines[slot], 1);
		if ((b = atomic_exchange(&seen.block_ms, 0)) > 0)
			usleep((useconds_t)b * 1000);	/* blocks its worker */
		if (conn_printf(c, 0, "ok %s\n", l) != CONN_OK ||
		    conn_flush(c, clock_deadline(1000)) != CONN_OK)
			break;
	}
	if (slot >= 0) {
		atomic_store(&seen.status[slot], (int)st + 1);
		atomic_store(&seen.ended_ms[slot], clock_ms());
	}
	if (st == CONN_STOPPING && listen_session_evicted(stop)) {
		atomic_fetch_add(&seen.evicted, 1);
		(void)conn_printf(c, 0, "evicted\n");
		(void)conn_flush(c, clock_deadline(1000));
	}
	conn_free(c);
	atomic_fetch_add(&seen.ended, 1);
}

static void
refuse(void *arg, int fd, enum listen_refusal why)
{
	char buf[32];
	int n;

	(void)arg;
	if (why == LISTEN_FULL)
		n = snprintf(buf, sizeof(buf), "421 busy\n");
	else
		n = snprintf(buf, sizeof(buf), "421 why=%d\n", (int)why);
	(void)send(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void
reset(void)
{
	memset(&seen, 0, sizeof(seen));
}

/* tcp_listener_opts - with o, on 127.0.0.1, a port the kernel picks; *port is it */
static struct listener *
tcp_listener_opts(struct listen_opts *o, int *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct listener *l;
	struct addr a;
	char err[256];

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	strcpy(a.host, "127.0.0.1");
	strcpy(a.port, "0");
	o->session = session;
	o->refuse = refuse;
	l = listen_open(&a, o, err, sizeof(err));
	if (l == NULL)
		fail_msg("listen_open: %s", err);
	assert_int_equal(getsockname(listen_fd(l), (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	assert_int_equal(listen_start(l), 0);
	return l;
}

/* tcp_listener - at most max sessions (0: no limit) */
static struct listener *
tcp_listener(unsigned max, int *port)
{
	struct listen_opts o;

	memset(&o, 0, sizeof(o));
	o.max_sessions = max;
	return tcp_listener_opts(&o, port);
}

/* dial_sock - connect fd (a TCP socket) to 127.0.0.1:port; fd or -1 */
static int
dial_sock(int fd, int port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* dial - a blocking client; -1 when refused */
static int
dial(int port)
{
	return dial_sock(socket(AF_INET, SOCK_STREAM, 0), port);
}

/* dial_from - a blocking client from the loopback address 127.0.0.src */
static int
dial_from(int port, int src)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK - 1 + (uint32_t)src);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return dial_sock(fd, port);
}

static void
say(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* hear - read what the server sends within a second into buf */
static void
hear(int fd, char *buf, size_t len)
{
	struct timeval tv = { 1, 0 };
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
}

/* wait_for - until *v >= n (5 s at most) */
static void
wait_for(_Atomic int *v, int n)
{
	uint64_t end = clock_ms() + 5000;

	while (atomic_load(v) < n && clock_ms() < end)
		usleep(1000);
	assert_true(atomic_load(v) >= n);
}

/* test_accept - connections become sessions, each in its fiber */
static void
test_accept(void **state)
{
	struct listener *l;
	char buf[64];
	int port, a, b;

	(void)state;
	reset();
	l = tcp_listener(0, &port);
	a = dial(port);
	b = dial(port);
	say(a, "0 hello\n");
	say(b, "1 there\n");
	hear(a, buf, sizeof(buf));
	assert_string_equal(buf, "ok 0 hello\n");
	hear(b, buf, sizeof(buf));
	assert_string_equal(buf, "ok 1 there\n");
	assert_int_equal(atomic_load(&seen.family), AF_INET);
	assert_int_equal(listen_sessions(l), 2);
	close(a);
	wait_for(&seen.ended, 1);
	assert_int_equal(atomic_load(&seen.status[0]), CONN_EOF + 1);
	assert_int_equal(listen_sessions(l), 1);
	close(b);
	wait_for(&seen.ended, 2);
	listen_stop(l, 1000);
	assert_int_equal(listen_fd(l), -1);
	assert_int_equal(dial(port), -1);	/* no longer accepting */
	listen_free(l);
}

/* test_max_sessions - over the limit: the refusal, and no session */
static void
test_max_sessions(void **state)
{
	struct listener *l;
	char buf[64];
	int port, a, b;

	(void)state;
	reset();
	l = tcp_listener(1, &port);
	a = dial(port);
	say(a, "0 first\n");
	hear(a, buf, sizeof(buf));
	assert_string_equal(buf, "ok 0 first\n");
	b = dial(port);
	hear(b, buf, sizeof(buf));
	assert_string_equal(buf, "421 busy\n");
	assert_int_equal(read(b, buf, sizeof(buf)), 0);	/* closed */
	assert_int_equal(atomic_load(&seen.started), 1);
	close(b);
	close(a);
	wait_for(&seen.ended, 1);
	listen_free(l);	/* stops too */
}

struct later {
	int		 fd;
	int		 ms;
	const char	*text;
};

/* later_main - write text on fd after ms (a peer that is slow) */
static void *
later_main(void *arg)
{
	struct later *w = arg;

	usleep((useconds_t)w->ms * 1000);
	(void)!write(w->fd, w->text, strlen(w->text));
	return NULL;
}

/*
 * test_stop - grace 400 ms: an idle session ends at once; one in mid-line
 * finishes when the rest comes 150 ms later; one in mid-line that never
 * gets the rest is stopped at the end of the grace
 */
static void
test_stop(void **state)
{
	struct later w;
	struct listener *l;
	pthread_t t;
	uint64_t t0, took;
	char buf[64];
	int port, idle, busy, stuck;

	(void)state;
	reset();
	l = tcp_listener(0, &port);
	idle = dial(port);
	busy = dial(port);
	stuck = dial(port);
	say(idle, "0 idle\n");
	hear(idle, buf, sizeof(buf));
	say(busy, "1 half a li");
	say(stuck, "2 start\n");
	hear(stuck, buf, sizeof(buf));
	say(stuck, "2 never ends");
	wait_for(&seen.started, 3);
	usleep(50000);
	w.fd = busy;
	w.ms = 150;
	w.text = "ne\n";
	assert_int_equal(pthread_create(&t, NULL, later_main, &w), 0);
	t0 = clock_ms();
	listen_stop(l, 400);
	took = clock_ms() - t0;
	pthread_join(t, NULL);
	assert_int_equal(listen_sessions(l), 0);
	assert_int_equal(atomic_load(&seen.ended), 3);
	assert_true(took >= 390);
	assert_true(took < 2000);
	/* idle: at once */
	assert_int_equal(atomic_load(&seen.status[0]), CONN_STOPPING + 1);
	assert_true(atomic_load(&seen.ended_ms[0]) - t0 < 150);
	/* busy: its line done, then stopped as idle (its slot: from that line) */
	assert_int_equal(atomic_load(&seen.lines[1]), 1);
	hear(busy, buf, sizeof(buf));
	assert_string_equal(buf, "ok 1 half a line\n");
	assert_int_equal(atomic_load(&seen.status[1]), CONN_STOPPING + 1);
	assert_true(atomic_load(&seen.ended_ms[1]) - t0 < 390);
	/* stuck: at the end of the grace */
	assert_int_equal(atomic_load(&seen.status[2]), CONN_STOPPING + 1);
	assert_true(atomic_load(&seen.ended_ms[2]) - t0 >= 390);
	close(idle);
	close(busy);
	close(stuck);
	listen_free(l);
}

/*
 * test_stop_busy_filter - a session busy in a blocking filter through the
 * whole grace: stopped at its next wait, listen_stop() returns when it did
 */
static void
test_stop_busy_filter(void **state)
{
	struct listener *l;
	uint64_t t0, took;
	int port, fd;

	(void)state;
	reset();
	l = tcp_listener(0, &port);
	fd = dial(port);
	atomic_store(&seen.block_ms, 600);
	say(fd, "0 slow\n");
	usleep(100000);		/* in the filter now */
	t0 = clock_ms();
	listen_stop(l, 200);
	took = clock_ms() - t0;
	assert_int_equal(atomic_load(&seen.ended), 1);
	assert_int_equal(atomic_load(&seen.status[0]), CONN_STOPPING + 1);
	assert_true(took >= 400);	/* the filter's 600 ms, less the 100 */
	assert_true(took < 1500);
	close(fd);
	listen_free(l);
}

/*
 * test_stop_together - two listeners, each with a session stuck in
 * mid-line: listen_stop_begin() on both stops both accepting at once,
 * and their graces run together (one grace, not two, before both waits
 * return); listen_free() after a begin waits as listen_stop_wait() does
 */
static void
test_stop_together(void **state)
{
	struct listener *l1, *l2;
	uint64_t t0, took;
	char buf[64];
	int p1, p2, a, b;

	(void)state;
	reset();
	l1 = tcp_listener(0, &p1);
	l2 = tcp_listener(0, &p2);
	a = dial(p1);
	b = dial(p2);
	say(a, "0 start\n");
	hear(a, buf, sizeof(buf));
	say(b, "1 start\n");
	hear(b, buf, sizeof(buf));
	say(a, "0 never");
	say(b, "1 ends");
	usleep(50000);
	t0 = clock_ms();
	listen_stop_begin(l1, 300);
	listen_stop_begin(l2, 300);
	assert_true(clock_ms() - t0 < 200);	/* the begins do not wait */
	assert_int_equal(listen_fd(l1), -1);
	assert_int_equal(listen_fd(l2), -1);
	assert_int_equal(dial(p1), -1);
	assert_int_equal(dial(p2), -1);
	listen_stop_wait(l1);
	listen_free(l2);
	took = clock_ms() - t0;
	assert_int_equal(atomic_load(&seen.ended), 2);
	assert_int_equal(atomic_load(&seen.status[0]), CONN_STOPPING + 1);
	assert_int_equal(atomic_load(&seen.status[1]), CONN_STOPPING + 1);
	assert_true(took >= 290);
	assert_true(took < 550);		/* one grace, not two */
	listen_stop_wait(l1);			/* again: nothing */
	close(a);
	close(b);
	listen_free(l1);
}

/* test_unix - a unix socket: sessions, a stale path, in use, not a socket */
static void
test_unix(void **state)
{
	struct listen_opts o = { .session = session };
	struct sockaddr_un sun;
	struct listener *l, *l2;
	struct addr a;
	struct stat st;
	char dir[] = "/tmp/test_listen.XXXXXX", spec[200], err[256], buf[64];
	int fd;

	(void)state;
	reset();
	assert_non_null(mkdtemp(dir));
	snprintf(spec, sizeof(spec), "unix:%s/m.sock", dir);
	assert_int_equal(addr_parse(spec, 0, &a, err, sizeof(err)), 0);
	/* a stale socket (bound, nobody listening) is replaced */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a.path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	if ((l = listen_open(&a, &o, err, sizeof(err))) == NULL)
		fail_msg("listen_open: %s", err);
	assert_int_equal(listen_start(l), 0);
	/* in use */
	assert_null(l2 = listen_open(&a, &o, err, sizeof(err)));
	assert_string_equal(err, "socket in use by another process");
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	say(fd, "0 local\n");
	hear(fd, buf, sizeof(buf));
	assert_string_equal(buf, "ok 0 local\n");
	assert_int_equal(atomic_load(&seen.family), AF_UNIX);
	close(fd);
	wait_for(&seen.ended, 1);
	listen_stop(l, 100);
	assert_int_equal(stat(a.path, &st), -1);	/* removed */
	listen_free(l);
	/* not a socket */
	fd = open(a.path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_null(listen_open(&a, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "exists and is not a socket"));
	assert_int_equal(stat(a.path, &st), 0);	/* left alone */
	unlink(a.path);
	rmdir(dir);
}

/* test_bind_error - a port in use */
static void
test_bind_error(void **state)
{
	struct listen_opts o = { .session = session };
	struct listener *l;
	struct addr a;
	char spec[64], err[256];
	int port;

	(void)state;
	reset();
	l = tcp_listener(0, &port);
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", port);
	assert_int_equal(addr_parse(spec, 0, &a, err, sizeof(err)), 0);
	assert_null(listen_open(&a, &o, err, sizeof(err)));
	assert_string_equal(err, "cannot bind: Address already in use");
	listen_free(l);
	o.session = NULL;
	assert_null(listen_open(&a, &o, err, sizeof(err)));
	listen_free(NULL);
}

/* test_per_client - max_per_client: per address, freed when one ends */
static void
test_per_client(void **state)
{
	struct listen_opts o;
	struct listener *l;
	char buf[64];
	int port, a, b, c, d, e;

	(void)state;
	reset();
	memset(&o, 0, sizeof(o));
	o.max_per_client = 2;
	l = tcp_listener_opts(&o, &port);
	a = dial_from(port, 1);
	b = dial_from(port, 1);
	say(a, "0 a\n");
	hear(a, buf, sizeof(buf));
	assert_string_equal(buf, "ok 0 a\n");
	say(b, "1 b\n");
	hear(b, buf, sizeof(buf));
	assert_string_equal(buf, "ok 1 b\n");
	c = dial_from(port, 1);		/* a third from 127.0.0.1 */
	hear(c, buf, sizeof(buf));
	assert_string_equal(buf, "421 why=2\n");	/* LISTEN_CLIENT_FULL */
	d = dial_from(port, 2);		/* 127.0.0.2 has its own count */
	say(d, "2 d\n");
	hear(d, buf, sizeof(buf));
	assert_string_equal(buf, "ok 2 d\n");
	close(a);
	wait_for(&seen.ended, 1);
	e = dial_from(port, 1);		/* one ended: room again */
	say(e, "3 e\n");
	hear(e, buf, sizeof(buf));
	assert_string_equal(buf, "ok 3 e\n");
	assert_int_equal(atomic_load(&seen.started), 4);
	close(b);
	close(c);
	close(d);
	close(e);
	wait_for(&seen.ended, 4);
	listen_free(l);
}

/*
 * test_evict - max 3, evict_at 3: a new client ends the session that has
 * waited longest (at least LISTEN_EVICT_MIN_MS), never a recent one;
 * with none to end, the client is refused
 */
static void
test_evict(void **state)
{
	struct listen_opts o;
	struct listener *l;
	char buf[64];
	int port, fd[6], i;

	(void)state;
	reset();
	atomic_store(&seen.report, 1);
	atomic_store(&seen.age_ms[0], 9000);	/* the oldest */
	atomic_store(&seen.age_ms[1], 5000);
	atomic_store(&seen.age_ms[2], 0);	/* just now: not ended */
	memset(&o, 0, sizeof(o));
	o.max_sessions = 3;
	o.evict_at = 3;
	l = tcp_listener_opts(&o, &port);
	for (i = 0; i < 3; i++) {
		fd[i] = dial(port);
		wait_for(&seen.started, i + 1);	/* arrival order = age order */
	}
	usleep(100000);		/* all three wait */
	fd[3] = dial(port);	/* ends session 0 */
	hear(fd[0], buf, sizeof(buf));
	assert_string_equal(buf, "evicted\n");
	say(fd[3], "3 new\n");
	hear(fd[3], buf, sizeof(buf));
	assert_string_equal(buf, "ok 3 new\n");
	fd[4] = dial(port);	/* ends session 1 */
	hear(fd[1], buf, sizeof(buf));
	assert_string_equal(buf, "evicted\n");
	say(fd[4], "4 new\n");
	hear(fd[4], buf, sizeof(buf));
	assert_string_equal(buf, "ok 4 new\n");
	fd[5] = dial(port);	/* 2, 3 and 4 are recent: refused */
	hear(fd[5], buf, sizeof(buf));
	assert_string_equal(buf, "421 busy\n");
	assert_int_equal(atomic_load(&seen.evicted), 2);
	say(fd[2], "2 still here\n");
	hear(fd[2], buf, sizeof(buf));
	assert_string_equal(buf, "ok 2 still here\n");
	for (i = 0; i < 6; i++)
		close(fd[i]);
	wait_for(&seen.ended, 5);
	listen_free(l);
}

/* test_fd_room - no room for a session's descriptors: refused, not let in */
static void
test_fd_room(void **state)
{
	struct listen_opts o;
	struct listener *l;
	char buf[64];
	int port, a;

	(void)state;
	reset();
	memset(&o, 0, sizeof(o));
	o.fds_per_session = 1u << 30;
	l = tcp_listener_opts(&o, &port);
	a = dial(port);
	hear(a, buf, sizeof(buf));
	assert_string_equal(buf, "421 why=3\n");	/* LISTEN_NO_FDS */
	assert_int_equal(atomic_load(&seen.started), 0);
	close(a);
	listen_free(l);
}

/* open_fds - descriptors open in this process */
static int
open_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

/*
 * test_shed - at the descriptor limit (EMFILE) a client is answered with
 * the spare descriptor and closed; once a session ends, clients get in
 */
static void
test_shed(void **state)
{
	struct listener *l;
	struct rlimit old, rl;
	char buf[64];
	int port, a, b, c, top = 0, fd, nholes = 0, i;
	static int holes[4096];

	(void)state;
	reset();
	l = tcp_listener(0, &port);
	a = socket(AF_INET, SOCK_STREAM, 0);
	b = socket(AF_INET, SOCK_STREAM, 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	for (fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			top = fd;
	/* fill the holes below top: descriptors are taken lowest first */
	while (nholes < 4096 && (fd = open("/dev/null", O_RDONLY)) < top)
		holes[nholes++] = fd;
	close(fd);
	assert_int_equal(open_fds(), top + 1);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	rl = old;
	/* room for one accepted descriptor above every one open now */
	rl.rlim_cur = (rlim_t)top + 2;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	a = dial_sock(a, port);
	say(a, "0 in\n");
	hear(a, buf, sizeof(buf));
	assert_string_equal(buf, "ok 0 in\n");
	b = dial_sock(b, port);		/* none left: the spare answers */
	hear(b, buf, sizeof(buf));
	assert_string_equal(buf, "421 why=3\n");
	assert_int_equal(read(b, buf, sizeof(buf)), 0);	/* and closed */
	close(a);
	wait_for(&seen.ended, 1);
	c = dial_sock(c, port);		/* recovered */
	say(c, "1 again\n");
	hear(c, buf, sizeof(buf));
	assert_string_equal(buf, "ok 1 again\n");
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	for (i = 0; i < nholes; i++)
		close(holes[i]);
	close(b);
	close(c);
	wait_for(&seen.ended, 2);
	listen_free(l);
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
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_max_sessions),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_stop_busy_filter),
		cmocka_unit_test(test_stop_together),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_bind_error),
		cmocka_unit_test(test_per_client),
		cmocka_unit_test(test_evict),
		cmocka_unit_test(test_fd_room),
		cmocka_unit_test(test_shed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
