/*
 * fiber_monitor - the scheduler's monitor thread (fiber_int.h)
 *
 * Every FIBER_TICK_MS, or at once when poked (fiber_kick_all(),
 * fiber_kick()): parked fibers whose deadline has passed, that were parked
 * before the last kick or that were kicked one by one, go to the run queue (fiber_wait() returns 0 to them); a fiber
 * queued by a worker that is still busy gets a sleeping worker woken; and
 * when every worker has been running the same fiber for FIBER_STUCK_MS (a
 * filter that blocks) a worker is added, up to FIBER_MAX_WORKERS.
 *
 * The scan holds the scheduler's lock (the list of fibers) and takes each
 * due fiber by compare-and-swap on its state, as an event would.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include "clock.h"
#include "fiber.h"
#include "fiber_int.h"

static pthread_mutex_t	 mlock = PTHREAD_MUTEX_INITIALIZER;	/* its sleep */
static pthread_cond_t	 mcond = PTHREAD_COND_INITIALIZER;
static pthread_t	 monitor;
static int		 started;

/* due_fibers - take the parked fibers whose deadline passed or that a kick missed */
static struct fiber *
due_fibers(uint64_t now, unsigned kick)
{
	struct fiber *f, *due = NULL;
	uint64_t dl;
	int expect;

	for (f = fiber_sched.all; f != NULL; f = f->anext) {
		if (atomic_load(&f->state) != F_WAIT)
			continue;
		dl = atomic_load(&f->deadline);
		if ((dl == 0 || now < dl) && atomic_load(&f->kick_seen) == kick &&
		    !atomic_load(&f->kick_one))
			continue;
		expect = F_WAIT;
		if (!atomic_compare_exchange_strong(&f->state, &expect, F_QUEUED))
			continue;
		atomic_store(&f->kick_one, 0);
		f->woke = 0;
		f->next = due;
		due = f;
	}
	return due;
}

/* all_stuck - every worker has been running one fiber for FIBER_STUCK_MS */
static int
all_stuck(void)
{
	struct worker *w;
	uint64_t since;
	unsigned busy = 0, total = 0;

	for (w = fiber_sched.workers; w != NULL; w = w->next) {
		if (atomic_load(&w->done))
			continue;
		total++;
		since = atomic_load(&w->run_since);
		if (since != 0 && fiber_coarse_ms() - since >= FIBER_STUCK_MS)
			busy++;
	}
	return total > 0 && busy == total && total < FIBER_MAX_WORKERS;
}

/* tick - one look at the fibers and the workers */
static void
tick(void)
{
	struct fiber *f, *due;
	uint64_t now = clock_ms();
	unsigned kick = atomic_load(&fiber_sched.kick_gen);
	int stuck;

	pthread_mutex_lock(&fiber_sched.lock);
	due = due_fibers(now, kick);
	stuck = all_stuck();
	pthread_mutex_unlock(&fiber_sched.lock);
	while (due != NULL) {
		f = due;
		due = f->next;
		fiber_runq_push(f, 0);
	}
	/* a fiber queued by a worker that is still busy (fiber_runq_push()) */
	if (atomic_load(&fiber_sched.runq_len) > 0)
		fiber_wake();
	if (stuck)
		(void)fiber_worker_add(1);
}

/* monitor_main - tick every FIBER_TICK_MS, or when poked, until quit */
static void *
monitor_main(void *arg)
{
	struct timespec ts;
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&mlock);
	while (!atomic_load(&fiber_sched.quit)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += FIBER_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&mcond, &mlock, &ts);
		if (atomic_load(&fiber_sched.quit))
			break;
		tick();
	}
	pthread_mutex_unlock(&mlock);
	return NULL;
}

int
fiber_monitor_start(void)
{
	if (pthread_create(&monitor, NULL, monitor_main, NULL) != 0)
		return -1;
	started = 1;
	return 0;
}

void
fiber_monitor_poke(void)
{
	pthread_mutex_lock(&mlock);
	pthread_cond_signal(&mcond);
	pthread_mutex_unlock(&mlock);
}

void
fiber_monitor_stop(void)
{
	/* fiber_sched.quit is set: the poke ends its loop */
	fiber_monitor_poke();
	if (started)
		pthread_join(monitor, NULL);
	started = 0;
}
