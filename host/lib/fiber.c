/*
 * fiber - the front ends' sessions as fibers on a few worker threads (M:N)
 *
 * Public: fiber_start(), fiber_stop(), fiber_spawn(), fiber_wait(),
 * fiber_kick_all(), fiber_self(), fiber_count(), fiber_workers(),
 * fiber_current(), fiber_park(), fiber_unpark(). See fiber.h for the
 * rules fiber code follows.
 *
 * Pieces:
 * - one epoll set shared by every worker; a parked fiber's descriptor is in
 *   it one-shot, with the fiber as its data. The worker that gets the event
 *   takes the fiber (state WAIT -> RUN by compare-and-swap) and resumes it.
 * - a run queue (mutex) for new fibers and for fibers woken by a deadline
 *   or a kick; an eventfd in the epoll set (edge-triggered, never read)
 *   wakes one sleeping worker when something is queued.
 * - a monitor thread, every FIBER_TICK_MS: deadlines and kicks of parked
 *   fibers, and a new worker when every worker has been running the same
 *   fiber for FIBER_STUCK_MS. Extra workers end after FIBER_RETIRE_MS idle.
 * - the context switch: a few lines of assembly on x86_64 (callee-saved
 *   registers and the stack pointer: no system call), ucontext elsewhere.
 *   Under AddressSanitizer every switch is announced to it.
 *
 * The worker parks a fiber only after the switch away from it is complete
 * (the fiber says what it waits for, the worker calls epoll_ctl()), so
 * another worker can never resume a fiber that is still running.
 *
 * Fiber structs are never freed before fiber_stop(): a stale epoll event
 * (the fiber was woken by its deadline at the same moment) may still name
 * one, and then finds it running or parked on something else: the
 * compare-and-swap fails, or the wake-up is spurious, which fiber_wait()'s
 * callers allow. Stacks of ended fibers are kept for reuse, up to
 * FIBER_KEEP_STACKS.
 *
 * Failures: no memory for a fiber or a stack makes fiber_spawn() fail
 * (the caller refuses the session); nothing here stops the daemon after
 * fiber_start().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fiber.h"
#include "log.h"

#if !defined(__x86_64__)
#include <ucontext.h>
#define FIBER_UCONTEXT 1
#endif

#if defined(__SANITIZE_ADDRESS__)
#define FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIBER_ASAN 1
#endif
#endif
#ifdef FIBER_ASAN
void __sanitizer_start_switch_fiber(void **, const void *, size_t);
void __sanitizer_finish_switch_fiber(void *, const void **, size_t *);
#endif

#define FIBER_MAX_WORKERS	256
#define FIBER_RETIRE_MS		10000
#define FIBER_KEEP_STACKS	256
#define FIBER_NEVENTS		4
#define FIBER_WATCH_MAX		4
#define FIBER_STOP_WAIT_S	5
#define FIBER_MAX_HELPERS	16

enum { F_FREE, F_RUN, F_WAIT, F_QUEUED };
enum { OP_NONE, OP_WAIT, OP_DONE, OP_OFFLOAD };

struct worker;
struct fiber;

/*
 * fiber_watch - one descriptor of a fiber in the epoll set: one-shot (armed
 * by each wait), or, after fiber_watch(), edge-triggered and left there:
 * an edge sets pending, and a wait finds it or parks with no system call.
 */
struct fiber_watch {
	struct fiber		*f;
	int			 fd;		/* -1: free */
	int			 et;
	_Atomic int		 pending;	/* an edge since the fiber last looked */
	_Atomic int		 hup;		/* the peer closed or an error: sticky */
};

struct fiber {
	void			*sp;		/* saved stack pointer (x86_64) */
#ifdef FIBER_UCONTEXT
	ucontext_t		 uc;
#endif
	void			(*fn)(void *);
	void			*arg;
	char			*map;		/* the mapping: guard page + stack */
	size_t			 maplen;
	struct worker		*w;		/* the worker running it now */
	_Atomic int		 state;		/* F_* */
	int			 op;		/* what it asked the worker: OP_* */
	int			 wait_fd;
	unsigned		 wait_events;
	int			 woke;		/* fiber_wait()'s result */
	int			 parked_fd;	/* one-shot: in the set since its last wait, or -1 */
	struct fiber_watch	 oneshot;
	struct fiber_watch	 watch[FIBER_WATCH_MAX];
	struct fiber_watch	 parkw;		/* fiber_park(): no fd; pending = unparked */
	struct fiber_watch *_Atomic waiting;	/* what it is parked on */
	_Atomic uint64_t	 deadline;	/* 0: none */
	_Atomic unsigned	 kick_seen;	/* kick generation when it parked */
	void			(*off_fn)(void *);	/* fiber_offload() */
	void			*off_arg;
	struct fiber		*next;		/* run queue, offload queue or free list */
	struct fiber		*anext, *aprev;	/* every fiber: the monitor's list */
#ifdef FIBER_ASAN
	void			*asan_fake;
#endif
};

struct worker {
	void			*sp;		/* its own context while a fiber runs */
#ifdef FIBER_UCONTEXT
	ucontext_t		 uc;
#endif
	pthread_t		 thr;
	struct fiber		*cur;
	_Atomic uint64_t	 run_since;	/* ms when it resumed cur; 0 idle */
	int			 extra;		/* added by the monitor: may retire */
	_Atomic int		 done;		/* it has ended (extra workers) */
	struct worker		*next;
#ifdef FIBER_ASAN
	void			*asan_fake;
	const void		*asan_bottom;
	size_t			 asan_size;
#endif
};

/* fq - a FIFO of fibers through their next pointers (under S.lock) */
struct fq {
	struct fiber		*head, *tail;
};

static struct {
	int			 running;
	int			 ep;
	int			 evfd;
	size_t			 stack_size;
	unsigned		 base;		/* workers started by fiber_start() */
	pthread_mutex_t		 lock;		/* runq, free lists, fibers, workers */
	pthread_cond_t		 idle;		/* nfibers went to 0 */
	struct fq		 runq;
	_Atomic size_t		 runq_len;
	struct fiber		*free_fibers;	/* with a stack */
	struct fiber		*free_bare;	/* without */
	size_t			 nfree_stacks;
	struct fiber		*all;		/* live fibers */
	_Atomic size_t		 nfibers;
	struct worker		*workers;
	_Atomic unsigned	 nworkers;	/* running */
	_Atomic unsigned	 nidle;		/* in epoll_wait */
	_Atomic unsigned	 kick_gen;
	_Atomic int		 quit;
	pthread_t		 monitor;
	/* fiber_offload(): helper threads for calls that block */
	struct fq		 offq;
	pthread_cond_t		 off_cond;
	unsigned		 nhelpers, idle_helpers;
	pthread_mutex_t		 mlock;		/* the monitor's sleep */
	pthread_cond_t		 mcond;
} S = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.idle = PTHREAD_COND_INITIALIZER,
	.mlock = PTHREAD_MUTEX_INITIALIZER,
	.mcond = PTHREAD_COND_INITIALIZER,
	.off_cond = PTHREAD_COND_INITIALIZER,
	.ep = -1,
	.evfd = -1,
};

static __thread struct worker *tls_worker;

/* the eventfd's epoll data: not a fiber */
static char evfd_tag;

/* coarse_ms - a cheap clock for the stuck-worker watch */
static uint64_t
coarse_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + 1;
}

/*
 * cur_worker - the worker of the calling thread. Not inlined, with a
 * compiler barrier: a fiber may resume on another thread, and the address
 * of a thread-local variable must not be kept across a switch.
 */
static __attribute__((noinline)) struct worker *
cur_worker(void)
{
	struct worker *w;

	__asm__ __volatile__("" ::: "memory");
	w = tls_worker;
	__asm__ __volatile__("" ::: "memory");
	return w;
}

/* --- the context switch --- */

#ifndef FIBER_UCONTEXT
/* pg_fiber_switch(save, to) - save callee-saved registers and sp in *save, continue at to */
void pg_fiber_switch(void **save, void *to);
__asm__(
	".text\n"
	".globl pg_fiber_switch\n"
	".hidden pg_fiber_switch\n"
	".type pg_fiber_switch,@function\n"
	"pg_fiber_switch:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size pg_fiber_switch,.-pg_fiber_switch\n"
	".section .note.GNU-stack,\"\",@progbits\n"
	".text\n");
#endif

static void fiber_entry(void);

/* frame_init - make f start in fiber_entry() at its first resume */
static void
frame_init(struct fiber *f)
{
#ifdef FIBER_UCONTEXT
	getcontext(&f->uc);
	f->uc.uc_stack.ss_sp = f->map + (size_t)sysconf(_SC_PAGESIZE);
	f->uc.uc_stack.ss_size = S.stack_size;
	f->uc.uc_link = NULL;
	makecontext(&f->uc, fiber_entry, 0);
#else
	uintptr_t top = (uintptr_t)(f->map + f->maplen) & ~(uintptr_t)15;
	void **sp = (void **)(top - 64);

	/* six registers, then the "return address" fiber_entry; after the
	 * ret the stack pointer is 8 mod 16, as at any function's entry */
	memset(sp, 0, 64);
	sp[6] = (void *)fiber_entry;
	f->sp = sp;
#endif
}

/* to_fiber - from worker w's own context into f, until f switches back */
static void
to_fiber(struct worker *w, struct fiber *f)
{
#ifdef FIBER_ASAN
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	__sanitizer_start_switch_fiber(&w->asan_fake, f->map + pg, f->maplen - pg);
#endif
#ifdef FIBER_UCONTEXT
	swapcontext(&w->uc, &f->uc);
#else
	pg_fiber_switch(&w->sp, f->sp);
#endif
#ifdef FIBER_ASAN
	__sanitizer_finish_switch_fiber(w->asan_fake, NULL, NULL);
#endif
}

/* to_worker - from fiber f back to the context of the worker running it */
static void
to_worker(struct fiber *f, int ending)
{
	struct worker *w = f->w;

#ifdef FIBER_ASAN
	__sanitizer_start_switch_fiber(ending ? NULL : &f->asan_fake,
	    w->asan_bottom, w->asan_size);
#else
	(void)ending;
#endif
#ifdef FIBER_UCONTEXT
	swapcontext(&f->uc, &w->uc);
#else
	pg_fiber_switch(&f->sp, w->sp);
#endif
#ifdef FIBER_ASAN
	/* resumed, maybe by another worker: note that worker's stack */
	w = cur_worker();
	__sanitizer_finish_switch_fiber(f->asan_fake, &w->asan_bottom,
	    &w->asan_size);
#endif
}

/* fiber_entry - where every fiber starts; it never returns */
static void
fiber_entry(void)
{
	struct worker *w = cur_worker();
	struct fiber *f = w->cur;

#ifdef FIBER_ASAN
	__sanitizer_finish_switch_fiber(NULL, &w->asan_bottom, &w->asan_size);
#endif
	f->fn(f->arg);
	f->op = OP_DONE;
	to_worker(f, 1);
	abort();	/* a finished fiber is never resumed */
}

/* --- queues --- */

static void
fq_push(struct fq *q, struct fiber *f)
{
	f->next = NULL;
	if (q->tail != NULL)
		q->tail->next = f;
	else
		q->head = f;
	q->tail = f;
}

static struct fiber *
fq_pop(struct fq *q)
{
	struct fiber *f = q->head;

	if (f != NULL && (q->head = f->next) == NULL)
		q->tail = NULL;
	return f;
}

/* wake - one sleeping worker, if there is one, to look at the run queue */
static void
wake(void)
{
	uint64_t one = 1;

	if (atomic_load(&S.nidle) > 0)
		(void)!write(S.evfd, &one, sizeof(one));
}

/*
 * runq_push - queue f to run and wake a sleeping worker for it. With local,
 * the caller is a worker that looks at the queue next (it parks a fiber, or
 * runs one that is about to park): when f is alone in the queue, that
 * worker takes it itself, which saves waking a thread on another CPU (a
 * write, a context switch) and keeps f on the CPU whose cache holds it. If
 * the worker is held up instead, the monitor wakes a sleeper within a tick.
 */
static void
runq_push(struct fiber *f, int local)
{
	size_t before;

	pthread_mutex_lock(&S.lock);
	fq_push(&S.runq, f);
	before = atomic_fetch_add(&S.runq_len, 1);
	pthread_mutex_unlock(&S.lock);
	if (!local || before > 0)
		wake();
}

static struct fiber *
runq_pop(void)
{
	struct fiber *f;

	if (atomic_load(&S.runq_len) == 0)
		return NULL;
	pthread_mutex_lock(&S.lock);
	if ((f = fq_pop(&S.runq)) != NULL)
		atomic_fetch_sub(&S.runq_len, 1);
	pthread_mutex_unlock(&S.lock);
	return f;
}

/* --- parking --- */

/* park - after f switched away asking to wait: put its fd in the epoll set */
static void
park(struct fiber *f)
{
	struct fiber_watch *wt = atomic_load(&f->waiting);
	struct epoll_event ev;
	int r, expect;

	if (wt->et) {
		/* in the set already: an edge since the fiber looked wakes it */
		atomic_store(&f->state, F_WAIT);
		if (atomic_exchange(&wt->pending, 0) || atomic_load(&wt->hup) ||
		    atomic_load(&f->kick_seen) != atomic_load(&S.kick_gen)) {
			expect = F_WAIT;
			if (atomic_compare_exchange_strong(&f->state, &expect,
			    F_QUEUED)) {
				f->woke = 1;
				runq_push(f, 1);
			}
		}
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLONESHOT;
	if (f->wait_events & FIBER_IN)
		ev.events |= EPOLLIN | EPOLLRDHUP;
	if (f->wait_events & FIBER_OUT)
		ev.events |= EPOLLOUT;
	f->oneshot.fd = f->wait_fd;
	ev.data.ptr = &f->oneshot;
	/* everything the next resumer reads is written before the fiber is
	 * published: once in the set, another worker may take it at once */
	f->parked_fd = f->wait_fd;
	atomic_store(&f->state, F_WAIT);
	r = epoll_ctl(S.ep, EPOLL_CTL_MOD, f->wait_fd, &ev);
	if (r == -1 && errno == ENOENT)
		r = epoll_ctl(S.ep, EPOLL_CTL_ADD, f->wait_fd, &ev);
	if (r == -1) {
		/* not pollable (a regular file) or closed: let the I/O say */
		expect = F_WAIT;
		if (atomic_compare_exchange_strong(&f->state, &expect, F_QUEUED)) {
			f->parked_fd = -1;
			f->woke = 1;
			runq_push(f, 1);
		}
		return;
	}
	/* a kick between the fiber's wait and now must not be lost */
	if (atomic_load(&f->kick_seen) != atomic_load(&S.kick_gen)) {
		expect = F_WAIT;
		if (atomic_compare_exchange_strong(&f->state, &expect, F_QUEUED)) {
			f->woke = 0;
			runq_push(f, 1);
		}
	}
}

/* unpark - f was woken by its deadline or a kick: take its fd out of the set */
static void
unpark(struct fiber *f)
{
	if (f->parked_fd != -1) {
		(void)epoll_ctl(S.ep, EPOLL_CTL_DEL, f->parked_fd, NULL);
		f->parked_fd = -1;
	}
}

/* --- fibers --- */

/* fiber_done - f returned: recycle it */
static void
fiber_done(struct fiber *f)
{
	pthread_mutex_lock(&S.lock);
	if (f->aprev != NULL)
		f->aprev->anext = f->anext;
	else
		S.all = f->anext;
	if (f->anext != NULL)
		f->anext->aprev = f->aprev;
	atomic_store(&f->state, F_FREE);
	if (S.nfree_stacks < FIBER_KEEP_STACKS) {
		f->next = S.free_fibers;
		S.free_fibers = f;
		S.nfree_stacks++;
	} else {
		munmap(f->map, f->maplen);
		f->map = NULL;
		f->next = S.free_bare;
		S.free_bare = f;
	}
	if (atomic_fetch_sub(&S.nfibers, 1) == 1)
		pthread_cond_broadcast(&S.idle);
	pthread_mutex_unlock(&S.lock);
}

/* offload_run - run f's offloaded call, then queue f to go on */
static void
offload_run(struct fiber *f)
{
	f->off_fn(f->off_arg);
	f->woke = 1;
	atomic_store(&f->state, F_QUEUED);
	runq_push(f, 0);
}

/* helper_main - a helper thread: run offloaded calls, requeue their fibers */
static void *
helper_main(void *arg)
{
	struct timespec ts;
	struct fiber *f;
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&S.lock);
	for (;;) {
		while ((f = S.offq.head) == NULL && !atomic_load(&S.quit)) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += FIBER_RETIRE_MS / 1000;
			S.idle_helpers++;
			if (pthread_cond_timedwait(&S.off_cond, &S.lock, &ts) == ETIMEDOUT &&
			    S.offq.head == NULL) {
				S.idle_helpers--;
				S.nhelpers--;
				pthread_mutex_unlock(&S.lock);
				return NULL;
			}
			S.idle_helpers--;
		}
		if (f == NULL)
			break;
		(void)fq_pop(&S.offq);
		pthread_mutex_unlock(&S.lock);
		offload_run(f);
		pthread_mutex_lock(&S.lock);
	}
	S.nhelpers--;
	pthread_mutex_unlock(&S.lock);
	return NULL;
}

/* offload - f waits for a helper thread to run its call */
static void
offload(struct fiber *f)
{
	pthread_attr_t attr;
	pthread_t t;
	int start = 0;

	pthread_mutex_lock(&S.lock);
	fq_push(&S.offq, f);
	if (S.idle_helpers == 0 && S.nhelpers < FIBER_MAX_HELPERS) {
		S.nhelpers++;
		start = 1;
	}
	pthread_cond_signal(&S.off_cond);
	pthread_mutex_unlock(&S.lock);
	if (!start)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, helper_main, NULL) != 0) {
		pthread_mutex_lock(&S.lock);
		S.nhelpers--;
		/* no helper at all: the worker runs it (better late than never) */
		if (S.nhelpers == 0 && S.offq.head == f) {
			(void)fq_pop(&S.offq);
			pthread_mutex_unlock(&S.lock);
			offload_run(f);
		} else
			pthread_mutex_unlock(&S.lock);
	}
	pthread_attr_destroy(&attr);
}

/* run - resume f on w, then do what it asked */
static void
run(struct worker *w, struct fiber *f)
{
	if (f->woke == 0 && atomic_load(&f->waiting) == &f->oneshot)
		unpark(f);
	atomic_store(&f->state, F_RUN);
	f->w = w;
	w->cur = f;
	atomic_store(&w->run_since, coarse_ms());
	f->op = OP_NONE;
	to_fiber(w, f);
	w->cur = NULL;
	atomic_store(&w->run_since, 0);
	switch (f->op) {
	case OP_WAIT:
		park(f);
		break;
	case OP_DONE:
		fiber_done(f);
		break;
	case OP_OFFLOAD:
		offload(f);
		break;
	default:
		abort();	/* a fiber only switches away to wait or to end */
	}
}

/* event - an epoll event: the fiber it names is ready */
static void
event(struct worker *w, struct epoll_event *ev)
{
	struct fiber_watch *wt = ev->data.ptr;
	struct fiber *f;
	int expect = F_WAIT;

	if (ev->data.ptr == &evfd_tag)
		return;		/* only a wake-up: the run queue is looked at next */
	f = wt->f;
	if (wt->et) {
		/* park() sets the state, then looks at pending; we the other
		 * way round: one of us sees the other */
		/* a FIN after data is one more read (it returns 0) but no
		 * more edges: keep it, so that a wait after a short read
		 * does not park on a closed socket */
		if (ev->events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			atomic_store(&wt->hup, 1);
		atomic_store(&wt->pending, 1);
		if (atomic_load(&f->waiting) != wt)
			return;		/* it waits on something else, or runs */
		if (!atomic_compare_exchange_strong(&f->state, &expect, F_RUN))
			return;
		atomic_store(&wt->pending, 0);
	} else if (!atomic_compare_exchange_strong(&f->state, &expect, F_RUN))
		return;		/* stale: already woken by its deadline */
	f->woke = 1;
	run(w, f);
}

static void *worker_main(void *);

/* worker_add - one more worker thread; 0 or -1 */
static int
worker_add(int extra)
{
	struct worker *w;
	pthread_attr_t attr;
	sigset_t all, old;
	int r;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->extra = extra;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	/* workers take no asynchronous signal: serve's main thread has them */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&w->thr, &attr, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		free(w);
		errno = r;
		return -1;
	}
	pthread_mutex_lock(&S.lock);
	w->next = S.workers;
	S.workers = w;
	atomic_fetch_add(&S.nworkers, 1);
	pthread_mutex_unlock(&S.lock);
	return 0;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[FIBER_NEVENTS];
	struct fiber *f;
	int i, n, timeout;

	tls_worker = w;
	for (;;) {
		if ((f = runq_pop()) != NULL) {
			run(w, f);
			continue;
		}
		if (atomic_load(&S.quit))
			break;
		/* say we may sleep, then look once more (runq_push() reads
		 * nidle after it queued: one of us sees the other) */
		atomic_fetch_add(&S.nidle, 1);
		if (atomic_load(&S.runq_len) > 0) {
			atomic_fetch_sub(&S.nidle, 1);
			continue;
		}
		timeout = w->extra ? FIBER_RETIRE_MS : -1;
		n = epoll_wait(S.ep, evs, FIBER_NEVENTS, timeout);
		atomic_fetch_sub(&S.nidle, 1);
		if (n == 0 && w->extra) {
			pthread_mutex_lock(&S.lock);
			if (atomic_load(&S.nworkers) > S.base) {
				atomic_fetch_sub(&S.nworkers, 1);
				atomic_store(&w->done, 1);
				pthread_mutex_unlock(&S.lock);
				return NULL;	/* fiber_stop() joins it */
			}
			pthread_mutex_unlock(&S.lock);
			continue;
		}
		for (i = 0; i < n; i++)
			event(w, &evs[i]);
	}
	return NULL;
}

/* monitor_main - deadlines, kicks and stuck workers, every FIBER_TICK_MS */
static void *
monitor_main(void *arg)
{
	struct timespec ts;
	struct fiber *f, *due = NULL;
	struct worker *w;
	uint64_t now, dl, since;
	unsigned kick, busy, total;
	sigset_t all;
	int expect;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&S.mlock);
	while (!atomic_load(&S.quit)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += FIBER_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&S.mcond, &S.mlock, &ts);
		if (atomic_load(&S.quit))
			break;
		now = clock_ms();
		kick = atomic_load(&S.kick_gen);
		due = NULL;
		pthread_mutex_lock(&S.lock);
		for (f = S.all; f != NULL; f = f->anext) {
			if (atomic_load(&f->state) != F_WAIT)
				continue;
			dl = atomic_load(&f->deadline);
			if ((dl == 0 || now < dl) && atomic_load(&f->kick_seen) == kick)
				continue;
			expect = F_WAIT;
			if (!atomic_compare_exchange_strong(&f->state, &expect, F_QUEUED))
				continue;
			f->woke = 0;
			f->next = due;
			due = f;
		}
		/* every worker busy with one fiber for too long: add one */
		busy = total = 0;
		for (w = S.workers; w != NULL; w = w->next) {
			if (atomic_load(&w->done))
				continue;
			total++;
			since = atomic_load(&w->run_since);
			if (since != 0 && coarse_ms() - since >= FIBER_STUCK_MS)
				busy++;
		}
		pthread_mutex_unlock(&S.lock);
		while (due != NULL) {
			f = due;
			due = f->next;
			runq_push(f, 0);
		}
		/* a fiber queued by a worker that is still busy (runq_push) */
		if (atomic_load(&S.runq_len) > 0)
			wake();
		if (total > 0 && busy == total && total < FIBER_MAX_WORKERS)
			(void)worker_add(1);
	}
	pthread_mutex_unlock(&S.mlock);
	return NULL;
}

int
fiber_start(unsigned workers, size_t stack_size, char *err, size_t errlen)
{
	struct epoll_event ev;
	long ncpu;
	unsigned i;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	if (S.running) {
		snprintf(err, errlen, "fiber scheduler already running");
		return -1;
	}
	if (workers == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		workers = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	S.stack_size = (stack_size + pg - 1) / pg * pg;
	if ((S.ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (S.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		snprintf(err, errlen, "fiber scheduler: %s", strerror(errno));
		goto fail;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLET;
	ev.data.ptr = &evfd_tag;
	if (epoll_ctl(S.ep, EPOLL_CTL_ADD, S.evfd, &ev) == -1) {
		snprintf(err, errlen, "fiber scheduler: %s", strerror(errno));
		goto fail;
	}
	atomic_store(&S.quit, 0);
	S.base = workers;
	S.running = 1;
	for (i = 0; i < workers; i++)
		if (worker_add(0) == -1) {
			snprintf(err, errlen, "fiber scheduler: worker thread: %s",
			    strerror(errno));
			fiber_stop();
			return -1;
		}
	if (pthread_create(&S.monitor, NULL, monitor_main, NULL) != 0) {
		snprintf(err, errlen, "fiber scheduler: monitor thread");
		fiber_stop();
		return -1;
	}
	return 0;
fail:
	if (S.ep != -1)
		close(S.ep);
	if (S.evfd != -1)
		close(S.evfd);
	S.ep = S.evfd = -1;
	return -1;
}

void
fiber_stop(void)
{
	struct worker *w;
	struct fiber *f;
	struct timespec ts;
	uint64_t one = 1;
	unsigned i, n;

	if (!S.running)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += FIBER_STOP_WAIT_S;
	pthread_mutex_lock(&S.lock);
	while (atomic_load(&S.nfibers) > 0)
		if (pthread_cond_timedwait(&S.idle, &S.lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&S.lock);
	if (atomic_load(&S.nfibers) > 0) {
		/* a session stuck in a filter: leave the workers to the exit */
		log_warnx("%zu sessions still running at stop: left to the exit",
		    atomic_load(&S.nfibers));
		return;
	}

	atomic_store(&S.quit, 1);
	pthread_mutex_lock(&S.lock);
	pthread_cond_broadcast(&S.off_cond);
	while (S.nhelpers > 0) {
		pthread_mutex_unlock(&S.lock);
		usleep(1000);
		pthread_mutex_lock(&S.lock);
		pthread_cond_broadcast(&S.off_cond);
	}
	pthread_mutex_unlock(&S.lock);
	pthread_mutex_lock(&S.mlock);
	pthread_cond_signal(&S.mcond);
	pthread_mutex_unlock(&S.mlock);
	if (S.monitor)
		pthread_join(S.monitor, NULL);
	S.monitor = 0;
	n = 0;
	for (w = S.workers; w != NULL; w = w->next)
		n++;
	for (i = 0; i < n; i++)	/* each write wakes one sleeper */
		(void)!write(S.evfd, &one, sizeof(one));
	while ((w = S.workers) != NULL) {
		/* a worker may be asleep again after another took its wake-up */
		while (!atomic_load(&w->done) &&
		    pthread_tryjoin_np(w->thr, NULL) == EBUSY) {
			(void)!write(S.evfd, &one, sizeof(one));
			usleep(1000);
		}
		if (atomic_load(&w->done))
			pthread_join(w->thr, NULL);
		S.workers = w->next;
		free(w);
	}
	while ((f = S.free_fibers) != NULL) {
		S.free_fibers = f->next;
		munmap(f->map, f->maplen);
		free(f);
	}
	while ((f = S.free_bare) != NULL) {
		S.free_bare = f->next;
		free(f);
	}
	S.nfree_stacks = 0;
	atomic_store(&S.nworkers, 0);
	close(S.ep);
	close(S.evfd);
	S.ep = S.evfd = -1;
	S.running = 0;
}

int
fiber_spawn(void (*fn)(void *), void *arg)
{
	struct fiber *f;
	int i;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	if (!S.running) {
		errno = ESRCH;
		return -1;
	}
	pthread_mutex_lock(&S.lock);
	if ((f = S.free_fibers) != NULL) {
		S.free_fibers = f->next;
		S.nfree_stacks--;
	} else if ((f = S.free_bare) != NULL)
		S.free_bare = f->next;
	pthread_mutex_unlock(&S.lock);
	if (f == NULL && (f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if (f->map == NULL) {
		f->maplen = S.stack_size + pg;
		f->map = mmap(NULL, f->maplen, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
		if (f->map == MAP_FAILED) {
			f->map = NULL;
			pthread_mutex_lock(&S.lock);
			f->next = S.free_bare;
			S.free_bare = f;
			pthread_mutex_unlock(&S.lock);
			errno = ENOMEM;
			return -1;
		}
		(void)mprotect(f->map, pg, PROT_NONE);	/* the guard page */
	}
	f->fn = fn;
	f->arg = arg;
	f->w = NULL;
	f->op = OP_NONE;
	f->woke = 0;
	f->parked_fd = -1;
	f->oneshot.f = f;
	f->oneshot.fd = -1;
	f->oneshot.et = 0;
	for (i = 0; i < FIBER_WATCH_MAX; i++) {
		f->watch[i].f = f;
		f->watch[i].fd = -1;
		f->watch[i].et = 1;
		atomic_store(&f->watch[i].pending, 0);
		atomic_store(&f->watch[i].hup, 0);
	}
	f->parkw.f = f;
	f->parkw.fd = -1;
	f->parkw.et = 1;
	atomic_store(&f->parkw.pending, 0);
	atomic_store(&f->parkw.hup, 0);
	atomic_store(&f->waiting, &f->oneshot);
	atomic_store(&f->deadline, 0);
	frame_init(f);
	atomic_store(&f->state, F_QUEUED);
	pthread_mutex_lock(&S.lock);
	f->aprev = NULL;
	f->anext = S.all;
	if (S.all != NULL)
		S.all->aprev = f;
	S.all = f;
	atomic_fetch_add(&S.nfibers, 1);
	pthread_mutex_unlock(&S.lock);
	runq_push(f, cur_worker() != NULL);
	return 0;
}

int
fiber_wait(int fd, unsigned events, uint64_t deadline_ms)
{
	struct worker *w = cur_worker();
	struct fiber *f = w != NULL ? w->cur : NULL;
	struct pollfd pfd;
	uint64_t now;
	int ms, i;

	if (f == NULL) {
		/* not in a fiber: plain poll() */
		pfd.fd = fd;
		pfd.events = (short)(((events & FIBER_IN) ? POLLIN : 0) |
		    ((events & FIBER_OUT) ? POLLOUT : 0));
		now = clock_ms();
		if (deadline_ms != 0 && now >= deadline_ms)
			return 0;
		ms = deadline_ms == 0 ? 1000 : (int)(deadline_ms - now > 1000 ?
		    1000 : deadline_ms - now);
		return poll(&pfd, 1, ms) > 0 ? 1 : 0;
	}
	for (i = 0; i < FIBER_WATCH_MAX; i++)
		if (f->watch[i].fd == fd && fd != -1)
			break;
	if (i < FIBER_WATCH_MAX) {
		if (atomic_exchange(&f->watch[i].pending, 0) ||
		    atomic_load(&f->watch[i].hup))
			return 1;	/* an edge since the last look: try the I/O */
		atomic_store(&f->waiting, &f->watch[i]);
	} else
		atomic_store(&f->waiting, &f->oneshot);
	f->wait_fd = fd;
	f->wait_events = events;
	f->woke = 0;
	atomic_store(&f->deadline, deadline_ms);
	atomic_store(&f->kick_seen, atomic_load(&S.kick_gen));
	f->op = OP_WAIT;
	to_worker(f, 0);
	return f->woke;
}

void
fiber_offload(void (*fn)(void *), void *arg)
{
	struct worker *w = cur_worker();
	struct fiber *f = w != NULL ? w->cur : NULL;

	if (f == NULL) {
		fn(arg);
		return;
	}
	f->off_fn = fn;
	f->off_arg = arg;
	f->op = OP_OFFLOAD;
	to_worker(f, 0);
}

int
fiber_watch(int fd)
{
	struct worker *w = cur_worker();
	struct fiber *f = w != NULL ? w->cur : NULL;
	struct fiber_watch *wt = NULL;
	struct epoll_event ev;
	int i, r;

	if (f == NULL)
		return 0;	/* outside a fiber fiber_wait() polls anyway */
	for (i = 0; i < FIBER_WATCH_MAX; i++) {
		if (f->watch[i].fd == fd)
			return 0;
		if (f->watch[i].fd == -1 && wt == NULL)
			wt = &f->watch[i];
	}
	if (wt == NULL) {
		errno = ENOSPC;
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.ptr = wt;
	atomic_store(&wt->pending, 1);	/* the first wait tries the I/O */
	atomic_store(&wt->hup, 0);
	r = epoll_ctl(S.ep, EPOLL_CTL_ADD, fd, &ev);
	if (r == -1 && errno == EEXIST)	/* left there by a one-shot wait */
		r = epoll_ctl(S.ep, EPOLL_CTL_MOD, fd, &ev);
	if (r == -1)
		return -1;
	wt->fd = fd;
	if (f->parked_fd == fd)
		f->parked_fd = -1;
	return 0;
}

/* drop - give back fd's watch slot; with del, take fd out of the epoll set */
static void
drop(int fd, int del)
{
	struct worker *w = cur_worker();
	struct fiber *f = w != NULL ? w->cur : NULL;
	int i;

	if (f == NULL)
		return;
	for (i = 0; i < FIBER_WATCH_MAX; i++)
		if (f->watch[i].fd == fd) {
			if (del)
				(void)epoll_ctl(S.ep, EPOLL_CTL_DEL, fd, NULL);
			f->watch[i].fd = -1;
			atomic_store(&f->watch[i].pending, 0);
			atomic_store(&f->watch[i].hup, 0);
		}
}

void
fiber_unwatch(int fd)
{
	drop(fd, 1);
}

void
fiber_forget(int fd)
{
	drop(fd, 0);
}

void
fiber_kick_all(void)
{
	atomic_fetch_add(&S.kick_gen, 1);
	pthread_mutex_lock(&S.mlock);
	pthread_cond_signal(&S.mcond);
	pthread_mutex_unlock(&S.mlock);
}

int
fiber_self(void)
{
	struct worker *w = cur_worker();

	return w != NULL && w->cur != NULL;
}

size_t
fiber_count(void)
{
	return atomic_load(&S.nfibers);
}

unsigned
fiber_workers(void)
{
	return atomic_load(&S.nworkers);
}

/* --- parking without a descriptor (fiber_park / fiber_unpark) --- */

/*
 * A parked fiber waits on its parkw watch: edge-triggered in park()'s
 * sense (state F_WAIT, then a look at pending) but never in the epoll
 * set. fiber_unpark() sets pending, then takes the fiber if it is parked
 * on parkw: one of the two sees the other, as with an edge of a watched
 * descriptor. The monitor wakes it at its deadline or on a kick, as any
 * parked fiber.
 */

struct fiber *
fiber_current(void)
{
	struct worker *w = cur_worker();

	return w != NULL ? w->cur : NULL;
}

int
fiber_park(uint64_t deadline_ms)
{
	struct fiber *f = fiber_current();

	if (f == NULL)
		return 0;
	if (atomic_exchange(&f->parkw.pending, 0))
		return 1;	/* unparked before it parked */
	atomic_store(&f->waiting, &f->parkw);
	f->woke = 0;
	atomic_store(&f->deadline, deadline_ms);
	atomic_store(&f->kick_seen, atomic_load(&S.kick_gen));
	f->op = OP_WAIT;
	to_worker(f, 0);
	return f->woke;
}

void
fiber_unpark(struct fiber *f)
{
	int expect = F_WAIT;

	if (f == NULL)
		return;
	atomic_store(&f->parkw.pending, 1);
	if (atomic_load(&f->waiting) != &f->parkw)
		return;		/* not parked yet: its fiber_park() sees pending */
	if (!atomic_compare_exchange_strong(&f->state, &expect, F_QUEUED))
		return;		/* running, or already woken */
	atomic_store(&f->parkw.pending, 0);
	f->woke = 1;
	runq_push(f, cur_worker() != NULL);
}
