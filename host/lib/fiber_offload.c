/*
 * fiber_offload - calls that block, run on helper threads while their
 * fiber is parked (fiber_int.h)
 *
 * Public: fiber_offload().
 *
 * The fiber switches to its worker asking for an offload; the worker
 * queues it here (fiber_offload_queue()) and goes on with other fibers. A
 * helper thread (started on demand, up to FIBER_MAX_HELPERS; idle ones
 * end after FIBER_RETIRE_MS) runs the call and puts the fiber back on the
 * run queue. The offload queue has its own lock. When no helper thread
 * can be started at all, the worker runs the call itself: late, but the
 * fiber goes on.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

#include "fiber.h"
#include "fiber_int.h"

static pthread_mutex_t	 olock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 ocond = PTHREAD_COND_INITIALIZER;
static struct fq	 offq;		/* under olock */
static unsigned		 nhelpers, idle_helpers;

/* offload_run - run f's offloaded call, then queue f to go on */
static void
offload_run(struct fiber *f)
{
	f->off_fn(f->off_arg);
	f->woke = 1;
	atomic_store(&f->state, F_QUEUED);
	fiber_runq_push(f, 0);
}

/* next_call - (olock held) the next queued fiber, or NULL: quit or idle too long */
static struct fiber *
next_call(void)
{
	struct timespec ts;
	struct fiber *f;

	while ((f = offq.head) == NULL && !atomic_load(&fiber_sched.quit)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += FIBER_RETIRE_MS / 1000;
		idle_helpers++;
		if (pthread_cond_timedwait(&ocond, &olock, &ts) == ETIMEDOUT &&
		    offq.head == NULL) {
			idle_helpers--;
			return NULL;
		}
		idle_helpers--;
	}
	if (f != NULL)
		(void)fiber_fq_pop(&offq);
	return f;
}

/* helper_main - a helper thread: run offloaded calls, requeue their fibers */
static void *
helper_main(void *arg)
{
	struct fiber *f;
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&olock);
	while ((f = next_call()) != NULL) {
		pthread_mutex_unlock(&olock);
		offload_run(f);
		pthread_mutex_lock(&olock);
	}
	nhelpers--;
	pthread_mutex_unlock(&olock);
	return NULL;
}

void
fiber_offload_queue(struct fiber *f)
{
	pthread_attr_t attr;
	pthread_t t;
	int start = 0;

	pthread_mutex_lock(&olock);
	fiber_fq_push(&offq, f);
	if (idle_helpers == 0 && nhelpers < FIBER_MAX_HELPERS) {
		nhelpers++;
		start = 1;
	}
	pthread_cond_signal(&ocond);
	pthread_mutex_unlock(&olock);
	if (!start)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, helper_main, NULL) != 0) {
		pthread_mutex_lock(&olock);
		nhelpers--;
		/* no helper at all: the worker runs it (better late than never) */
		if (nhelpers == 0 && offq.head == f) {
			(void)fiber_fq_pop(&offq);
			pthread_mutex_unlock(&olock);
			offload_run(f);
		} else
			pthread_mutex_unlock(&olock);
	}
	pthread_attr_destroy(&attr);
}

void
fiber_offload_stop(void)
{
	/* fiber_sched.quit is set: idle helpers end when woken */
	pthread_mutex_lock(&olock);
	pthread_cond_broadcast(&ocond);
	while (nhelpers > 0) {
		pthread_mutex_unlock(&olock);
		usleep(1000);
		pthread_mutex_lock(&olock);
		pthread_cond_broadcast(&ocond);
	}
	pthread_mutex_unlock(&olock);
}

void
fiber_offload(void (*fn)(void *), void *arg)
{
	struct worker *w = fiber_cur_worker();
	struct fiber *f = w != NULL ? w->cur : NULL;

	if (f == NULL) {
		fn(arg);
		return;
	}
	f->off_fn = fn;
	f->off_arg = arg;
	f->op = OP_OFFLOAD;
	fiber_to_worker(f, 0);
}
