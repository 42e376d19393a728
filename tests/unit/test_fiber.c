/*
 * test_fiber - the fiber scheduler: many fibers talking over socket pairs,
 * deadlines, kicks (and a kick that comes between a look at a flag and
 * the park), a fiber that blocks a worker without stalling others,
 * stack reuse, fiber_park()/fiber_unpark(), and fiber_wait() outside a
 * fiber.
 */
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "clock.h"
#include "fiber.h"

static void
nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* xread - read exactly n bytes in a fiber; 0 or -1 */
static int
xread(int fd, char *buf, size_t n)
{
	ssize_t r;
	size_t off = 0;

	while (off < n) {
		r = read(fd, buf + off, n - off);
		if (r > 0)
			off += (size_t)r;
		else if (r == 0)
			return -1;
		else if (errno == EAGAIN)
			fiber_wait(fd, FIBER_IN, clock_ms() + 10000);
		else
			return -1;
	}
	return 0;
}

static int
xwrite(int fd, const char *buf, size_t n)
{
	ssize_t r;
	size_t off = 0;

	while (off < n) {
		r = write(fd, buf + off, n - off);
		if (r > 0)
			off += (size_t)r;
		else if (r < 0 && errno == EAGAIN)
			fiber_wait(fd, FIBER_OUT, clock_ms() + 10000);
		else
			return -1;
	}
	return 0;
}

#define NPAIRS	200
#define ROUNDS	200

static atomic_int done_rounds, failures;

struct end {
	int	fd;
	int	ping;	/* 1: writes first */
};

/* pinger / ponger: ROUNDS exchanges of a counter; a big write every 50 */
static void
talker(void *arg)
{
	struct end *e = arg;
	static const size_t bigsz = 100000;
	char *big = malloc(bigsz);
	uint32_t v = 0, got;
	int i;

	memset(big, 'x', bigsz);
	/* half the fibers keep their socket in the set, edge-triggered */
	if (e->fd % 2 && fiber_watch(e->fd) != 0)
		atomic_fetch_add(&failures, 1);
	for (i = 0; i < ROUNDS; i++) {
		if (e->ping) {
			v = (uint32_t)i;
			if (xwrite(e->fd, (char *)&v, 4) || xread(e->fd, (char *)&got, 4) ||
			    got != v + 1)
				atomic_fetch_add(&failures, 1);
		} else {
			if (xread(e->fd, (char *)&got, 4))
				atomic_fetch_add(&failures, 1);
			got++;
			if (xwrite(e->fd, (char *)&got, 4))
				atomic_fetch_add(&failures, 1);
		}
		if (i % 50 == 0) {	/* more than a socket buffer: must park on OUT */
			if (e->ping ? xwrite(e->fd, big, bigsz) :
			    xread(e->fd, big, bigsz))
				atomic_fetch_add(&failures, 1);
		}
		if (fiber_self() != 1)
			atomic_fetch_add(&failures, 1);
	}
	if (e->ping)
		atomic_fetch_add(&done_rounds, ROUNDS);
	free(big);
	fiber_unwatch(e->fd);
	close(e->fd);
}

/* pingpong - npairs pairs of talkers on a fresh scheduler; all must finish */
static void
pingpong(unsigned workers, size_t stack, int npairs)
{
	static struct end ends[NPAIRS * 2];
	char err[256];
	int sv[2], i;

	atomic_store(&done_rounds, 0);
	assert_int_equal(fiber_start(workers, stack, err, sizeof(err)), 0);
	for (i = 0; i < npairs; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		nonblock(sv[0]);
		nonblock(sv[1]);
		ends[2 * i] = (struct end){ sv[0], 1 };
		ends[2 * i + 1] = (struct end){ sv[1], 0 };
		assert_int_equal(fiber_spawn(talker, &ends[2 * i]), 0);
		assert_int_equal(fiber_spawn(talker, &ends[2 * i + 1]), 0);
	}
	fiber_stop();
	assert_int_equal(atomic_load(&failures), 0);
	assert_int_equal(atomic_load(&done_rounds), npairs * ROUNDS);
	assert_int_equal(fiber_count(), 0);
}

static void
test_pingpong(void **state)
{
	(void)state;
	pingpong(2, 256 * 1024, NPAIRS);
	/* a second scheduler in the same process reuses nothing stale */
	pingpong(1, 64 * 1024, 10);
}

static atomic_int waited_ms, wait_result = -1;

static void
deadline_fiber(void *arg)
{
	int fd = *(int *)arg;
	uint64_t t0 = clock_ms();

	atomic_store(&wait_result, fiber_wait(fd, FIBER_IN, t0 + 150));
	atomic_store(&waited_ms, (int)(clock_ms() - t0));
}

static void
test_deadline(void **state)
{
	char err[256];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fiber_start(2, 64 * 1024, err, sizeof(err)), 0);
	assert_int_equal(fiber_spawn(deadline_fiber, &sv[0]), 0);
	fiber_stop();
	assert_int_equal(atomic_load(&wait_result), 0);
	assert_true(atomic_load(&waited_ms) >= 150);
	assert_true(atomic_load(&waited_ms) < 150 + 10 * FIBER_TICK_MS);
	/* the fd is usable afterwards and its late event harms nobody */
	assert_int_equal(write(sv[1], "x", 1), 1);
	close(sv[0]);
	close(sv[1]);
}

static atomic_int kicked;

static void
kick_fiber(void *arg)
{
	int fd = *(int *)arg;

	/* no deadline: only the kick ends this wait */
	if (fiber_wait(fd, FIBER_IN, 0) == 0)
		atomic_fetch_add(&kicked, 1);
}

static void
test_kick(void **state)
{
	char err[256];
	int sv[2], i;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fiber_start(2, 64 * 1024, err, sizeof(err)), 0);
	for (i = 0; i < 20; i++)
		assert_int_equal(fiber_spawn(kick_fiber, &sv[0]), 0);
	usleep(100 * 1000);
	assert_int_equal(fiber_count(), 20);
	fiber_kick_all();
	fiber_stop();
	assert_int_equal(atomic_load(&kicked), 20);
	close(sv[0]);
	close(sv[1]);
}

static atomic_int race_result[2] = { -1, -1 }, race_ms[2] = { -1, -1 };

/*
 * race_fiber - the lost-kick race, made to happen: the fiber looks at a
 * stop flag (clear), then, before it parks, the flag is set and every
 * fiber kicked (done here by the fiber itself, standing for the thread
 * that stops). Its wait must end at once, not at the deadline.
 */
static void
race_fiber(void *arg)
{
	int *fd = arg, watched = fd[2];
	static atomic_int flag[2];
	uint64_t t0;

	/* a new watch says "try the I/O" once: take that first */
	if (watched && (fiber_watch(fd[0]) == -1 ||
	    fiber_wait(fd[0], FIBER_IN, clock_ms() + 1000) != 1))
		return;
	if (atomic_load(&flag[watched]))	/* the look */
		return;
	atomic_store(&flag[watched], 1);	/* the stop ... */
	fiber_kick_all();			/* ... and its kick */
	t0 = clock_ms();
	atomic_store(&race_result[watched], fiber_wait(fd[0], FIBER_IN,
	    t0 + 3000));
	atomic_store(&race_ms[watched], (int)(clock_ms() - t0));
	if (watched)
		fiber_unwatch(fd[0]);
}

static void
test_kick_race(void **state)
{
	static int fds[2][3];
	char err[256];
	int i;

	(void)state;
	/*
	 * One-shot, then a watched descriptor, each alone in its scheduler
	 * (no other kick may end the wait): the read end of a pipe, which
	 * never polls writable, so that only the kick can end the wait early.
	 */
	for (i = 0; i < 2; i++) {
		assert_int_equal(pipe(fds[i]), 0);
		nonblock(fds[i][0]);
		fds[i][2] = i;
		assert_int_equal(fiber_start(1, 64 * 1024, err, sizeof(err)), 0);
		assert_int_equal(fiber_spawn(race_fiber, fds[i]), 0);
		fiber_stop();
		assert_int_equal(atomic_load(&race_result[i]), 0);
		assert_true(atomic_load(&race_ms[i]) >= 0);
		assert_true(atomic_load(&race_ms[i]) < 1000);
		close(fds[i][0]);
		close(fds[i][1]);
	}
}

static atomic_int quick_done_ms;

static void
blocker(void *arg)
{
	(void)arg;
	usleep(800 * 1000);	/* a filter stuck in a blocking call */
}

static void
quick(void *arg)
{
	uint64_t t0 = *(uint64_t *)arg;

	atomic_store(&quick_done_ms, (int)(clock_ms() - t0));
}

static void
test_blocking_filter(void **state)
{
	char err[256];
	static uint64_t t0;

	(void)state;
	assert_int_equal(fiber_start(1, 64 * 1024, err, sizeof(err)), 0);
	assert_int_equal(fiber_spawn(blocker, NULL), 0);
	usleep(20 * 1000);
	t0 = clock_ms();
	assert_int_equal(fiber_spawn(quick, &t0), 0);
	usleep(500 * 1000);
	/* the only worker is stuck: the monitor must have added one */
	assert_true(atomic_load(&quick_done_ms) > 0);
	assert_true(atomic_load(&quick_done_ms) < 500);
	assert_true(fiber_workers() >= 2);
	fiber_stop();
}

static atomic_int eof_ms = -1, eof_read = -1;

/* data then FIN arrive while the fiber looks elsewhere: a read takes the
 * data (short), and the wait after it must not park on the closed socket */
static void
fin_reader(void *arg)
{
	int *sv = arg;
	char buf[64];
	uint64_t t0;

	fiber_watch(sv[0]);
	fiber_wait(sv[2], FIBER_IN, clock_ms() + 100);	/* elsewhere */
	fiber_wait(sv[0], FIBER_IN, clock_ms() + 2000);
	if (read(sv[0], buf, sizeof(buf)) != 3)
		return;
	t0 = clock_ms();
	fiber_wait(sv[0], FIBER_IN, clock_ms() + 2000);	/* wait first */
	atomic_store(&eof_ms, (int)(clock_ms() - t0));
	atomic_store(&eof_read, (int)read(sv[0], buf, sizeof(buf)));
	fiber_unwatch(sv[0]);
}

static void
test_fin_after_data(void **state)
{
	static int sv[4];
	char err[256];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv + 2), 0);
	nonblock(sv[0]);
	assert_int_equal(fiber_start(1, 64 * 1024, err, sizeof(err)), 0);
	assert_int_equal(fiber_spawn(fin_reader, sv), 0);
	usleep(30 * 1000);
	assert_int_equal(write(sv[1], "abc", 3), 3);
	close(sv[1]);
	fiber_stop();
	assert_int_equal(atomic_load(&eof_read), 0);
	assert_true(atomic_load(&eof_ms) >= 0);
	assert_true(atomic_load(&eof_ms) < 500);
	close(sv[0]);
	close(sv[2]);
	close(sv[3]);
}

static atomic_int offload_ran, offload_back_ms;

static void
slow_call(void *arg)
{
	(void)arg;
	usleep(300 * 1000);	/* a DNS lookup that takes its time */
	atomic_fetch_add(&offload_ran, 1);
}

static void
offloader(void *arg)
{
	uint64_t t0 = clock_ms();

	(void)arg;
	fiber_offload(slow_call, NULL);
	if (atomic_load(&offload_ran) >= 1 && fiber_self())
		atomic_store(&offload_back_ms, (int)(clock_ms() - t0));
}

static void
test_offload(void **state)
{
	char err[256];
	static uint64_t t0;

	(void)state;
	/* one worker: while the call runs on a helper, others go on at once */
	assert_int_equal(fiber_start(1, 64 * 1024, err, sizeof(err)), 0);
	assert_int_equal(fiber_spawn(offloader, NULL), 0);
	assert_int_equal(fiber_spawn(offloader, NULL), 0);
	usleep(20 * 1000);
	t0 = clock_ms();
	atomic_store(&quick_done_ms, -1);
	assert_int_equal(fiber_spawn(quick, &t0), 0);
	usleep(60 * 1000);
	assert_true(atomic_load(&quick_done_ms) >= 0);
	assert_true(atomic_load(&quick_done_ms) < 50);
	assert_int_equal(fiber_workers(), 1);	/* nobody was stuck */
	fiber_stop();
	assert_int_equal(atomic_load(&offload_ran), 2);
	assert_true(atomic_load(&offload_back_ms) >= 300);
	fiber_offload(slow_call, NULL);	/* outside a fiber: a plain call */
	assert_int_equal(atomic_load(&offload_ran), 3);
}

/* --- fiber_park / fiber_unpark --- */

#define NPARK	100

static struct fiber *_Atomic parked[NPARK];
static atomic_int park_result[NPARK], park_ms[NPARK], parks_done;

static void
parker(void *arg)
{
	int i = (int)(intptr_t)arg;
	uint64_t t0 = clock_ms();

	atomic_store(&parked[i], fiber_current());
	/* even ones wait for an unpark, odd ones for their deadline */
	atomic_store(&park_result[i], fiber_park(i % 2 ? t0 + 100 : t0 + 5000));
	atomic_store(&park_ms[i], (int)(clock_ms() - t0));
	atomic_fetch_add(&parks_done, 1);
}

/* early - unparked by itself before it parks: the park returns at once */
static void
early(void *arg)
{
	(void)arg;
	fiber_unpark(fiber_current());
	atomic_store(&park_result[0], fiber_park(clock_ms() + 5000));
	atomic_fetch_add(&parks_done, 1);
}

static void
test_park(void **state)
{
	char err[256];
	int i;

	(void)state;
	assert_null(fiber_current());
	assert_int_equal(fiber_park(clock_ms() + 1000), 0);	/* outside */
	assert_int_equal(fiber_start(2, 64 * 1024, err, sizeof(err)), 0);
	for (i = 0; i < NPARK; i++)
		assert_int_equal(fiber_spawn(parker, (void *)(intptr_t)i), 0);
	for (i = 0; i < NPARK; i++)
		while (atomic_load(&parked[i]) == NULL)
			usleep(1000);
	usleep(20 * 1000);
	/* from this thread, which is not a worker */
	for (i = 0; i < NPARK; i += 2)
		fiber_unpark(atomic_load(&parked[i]));
	while (atomic_load(&parks_done) < NPARK)
		usleep(1000);
	for (i = 0; i < NPARK; i++) {
		if (i % 2 == 0) {
			assert_int_equal(atomic_load(&park_result[i]), 1);
			assert_true(atomic_load(&park_ms[i]) < 1000);
		} else {
			assert_int_equal(atomic_load(&park_result[i]), 0);
			assert_true(atomic_load(&park_ms[i]) >= 99);
			assert_true(atomic_load(&park_ms[i]) < 1000);
		}
	}
	atomic_store(&parks_done, 0);
	atomic_store(&park_result[0], -1);
	assert_int_equal(fiber_spawn(early, NULL), 0);
	while (atomic_load(&parks_done) < 1)
		usleep(1000);
	assert_int_equal(atomic_load(&park_result[0]), 1);
	assert_int_equal(fiber_workers(), 2);
	fiber_stop();
}

static void
test_outside(void **state)
{
	int sv[2];
	uint64_t t0;

	(void)state;
	assert_int_equal(fiber_self(), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	t0 = clock_ms();
	assert_int_equal(fiber_wait(sv[0], FIBER_IN, t0 + 50), 0);
	assert_true(clock_ms() - t0 >= 49);
	assert_int_equal(write(sv[1], "x", 1), 1);
	assert_int_equal(fiber_wait(sv[0], FIBER_IN, clock_ms() + 1000), 1);
	assert_int_equal(fiber_spawn(quick, &t0), -1);
	assert_int_equal(errno, ESRCH);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pingpong),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_kick),
		cmocka_unit_test(test_kick_race),
		cmocka_unit_test(test_blocking_filter),
		cmocka_unit_test(test_fin_after_data),
		cmocka_unit_test(test_offload),
		cmocka_unit_test(test_park),
		cmocka_unit_test(test_outside),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
