/*
 * fiber - the front ends' sessions as fibers on a few worker threads (M:N)
 *
 * Public: fiber_start(), fiber_stop(), fiber_spawn(), fiber_self(),
 * fiber_count(), fiber_workers(); fiber_wait(), fiber_watch(),
 * fiber_unwatch(), fiber_forget(), fiber_kick_all(), fiber_kick(),
 * fiber_current(),
 * fiber_park(), fiber_unpark() are in fiber_wait.c,
 * fiber_offload() in fiber_offload.c (fiber_int.h: which file has what).
 * See fiber.h for the rules fiber code follows.
 *
 * Pieces:
 * - one epoll set shared by every worker; a parked fiber's descriptor is in
 *   it one-shot, with the fiber as its data. The worker that gets the event
 *   takes the fiber (state WAIT -> RUN by compare-and-swap) and resumes it
 *   (fiber_wait.c).
 * - a run queue (mutex) for new fibers and for fibers woken by a deadline
 *   or a kick; an eventfd in the epoll set (edge-triggered, never read)
 *   wakes one sleeping worker when something is queued (here).
 * - a monitor thread, every FIBER_TICK_MS: deadlines and kicks of parked
 *   fibers, and a new worker when every worker has been running the same
 *   fiber for FIBER_STUCK_MS (fiber_monitor.c). Extra workers end after
 *   FIBER_RETIRE_MS idle.
 * - the context switch: a few lines of assembly on x86_64 (callee-saved
 *   registers and the stack pointer: no system call), ucontext elsewhere.
 *   Under AddressSanitizer every switch is announced to it (here).
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
#include "fiber_int.h"
#include "log.h"

#ifdef FIBER_ASAN
void __sanitizer_start_switch_fiber(void **, const void *, size_t);
void __sanitizer_finish_switch_fiber(void *, const void **, size_t *);
#endif

struct fiber_sched fiber_sched = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.idle = PTHREAD_COND_INITIALIZER,
	.ep = -1,
	.evfd = -1,
};

char fiber_evfd_tag;

static __thread struct worker *tls_worker;

/* fiber_coarse_ms - a cheap clock for the stuck-worker watch */
uint64_t
fiber_coarse_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + 1;
}

/*
 * fiber_cur_worker - the worker of the calling thread. Not inlined, with a
 * compiler barrier: a fiber may resume on another thread, and the address
 * of a thread-local variable must not be kept across a switch.
 */
__attribute__((noinline)) struct worker *
fiber_cur_worker(void)
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
	f->uc.uc_stack.ss_size = fiber_sched.stack_size;
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

/* fiber_to_worker - from fiber f back to the context of the worker running it */
void
fiber_to_worker(struct fiber *f, int ending)
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
	w = fiber_cur_worker();
	__sanitizer_finish_switch_fiber(f->asan_fake, &w->asan_bottom,
	    &w->asan_size);
#endif
}

/* fiber_entry - where every fiber starts; it never returns */
static void
fiber_entry(void)
{
	struct worker *w = fiber_cur_worker();
	struct fiber *f = w->cur;

#ifdef FIBER_ASAN
	__sanitizer_finish_switch_fiber(NULL, &w->asan_bottom, &w->asan_size);
#endif
	f->fn(f->arg);
	f->op = OP_DONE;
	fiber_to_worker(f, 1);
	abort();	/* a finished fiber is never resumed */
}

/* --- queues --- */

/* fiber_fq_push - f at the end of q */
void
fiber_fq_push(struct fq *q, struct fiber *f)
{
	f->next = NULL;
	if (q->tail != NULL)
		q->tail->next = f;
	else
		q->head = f;
	q->tail = f;
}

/* fiber_fq_pop - the head of q, or NULL */
struct fiber *
fiber_fq_pop(struct fq *q)
{
	struct fiber *f = q->head;

	if (f != NULL && (q->head = f->next) == NULL)
		q->tail = NULL;
	return f;
}

/* fiber_wake - one sleeping worker, if there is one, to look at the run queue */
void
fiber_wake(void)
{
	uint64_t one = 1;

	if (atomic_load(&fiber_sched.nidle) > 0)
		(void)!write(fiber_sched.evfd, &one, sizeof(one));
}

/*
 * fiber_runq_push - queue f to run and wake a sleeping worker for it. With local,
 * the caller is a worker that looks at the queue next (it parks a fiber, or
 * runs one that is about to park): when f is alone in the queue, that
 * worker takes it itself, which saves waking a thread on another CPU (a
 * write, a context switch) and keeps f on the CPU whose cache holds it. If
 * the worker is held up instead, the monitor wakes a sleeper within a tick.
 */
void
fiber_runq_push(struct fiber *f, int local)
{
	size_t before;

	pthread_mutex_lock(&fiber_sched.lock);
	fiber_fq_push(&fiber_sched.runq, f);
	before = atomic_fetch_add(&fiber_sched.runq_len, 1);
	pthread_mutex_unlock(&fiber_sched.lock);
	if (!local || before > 0)
		fiber_wake();
}

/* runq_pop - the next fiber to run, or NULL */
static struct fiber *
runq_pop(void)
{
	struct fiber *f;

	if (atomic_load(&fiber_sched.runq_len) == 0)
		return NULL;
	pthread_mutex_lock(&fiber_sched.lock);
	if ((f = fiber_fq_pop(&fiber_sched.runq)) != NULL)
		atomic_fetch_sub(&fiber_sched.runq_len, 1);
	pthread_mutex_unlock(&fiber_sched.lock);
	return f;
}

/* fiber_done - f returned: recycle it */
static void
fiber_done(struct fiber *f)
{
	pthread_mutex_lock(&fiber_sched.lock);
	if (f->aprev != NULL)
		f->aprev->anext = f->anext;
	else
		fiber_sched.all = f->anext;
	if (f->anext != NULL)
		f->anext->aprev = f->aprev;
	atomic_store(&f->state, F_FREE);
	if (fiber_sched.nfree_stacks < FIBER_KEEP_STACKS) {
		f->next = fiber_sched.free_fibers;
		fiber_sched.free_fibers = f;
		fiber_sched.nfree_stacks++;
	} else {
		munmap(f->map, f->maplen);
		f->map = NULL;
		f->next = fiber_sched.free_bare;
		fiber_sched.free_bare = f;
	}
	if (atomic_fetch_sub(&fiber_sched.nfibers, 1) == 1)
		pthread_cond_broadcast(&fiber_sched.idle);
	pthread_mutex_unlock(&fiber_sched.lock);
}

/*
 * fiber_run - resume f on w, then do what it asked. The kick generation
 * is taken before the switch: a kick from now on ends f's next wait
 * (fiber_arm()), whatever f looked at in between.
 */
void
fiber_run(struct worker *w, struct fiber *f)
{
	if (f->woke == 0 && atomic_load(&f->waiting) == &f->oneshot)
		fiber_disarm(f);
	atomic_store(&f->state, F_RUN);
	atomic_store(&f->kick_seen, atomic_load(&fiber_sched.kick_gen));
	f->w = w;
	w->cur = f;
	atomic_store(&w->run_since, fiber_coarse_ms());
	f->op = OP_NONE;
	to_fiber(w, f);
	w->cur = NULL;
	atomic_store(&w->run_since, 0);
	switch (f->op) {
	case OP_WAIT:
		fiber_arm(f);
		break;
	case OP_DONE:
		fiber_done(f);
		break;
	case OP_OFFLOAD:
		fiber_offload_queue(f);
		break;
	default:
		abort();	/* a fiber only switches away to wait or to end */
	}
}

static void *worker_main(void *);

/* fiber_worker_add - one more worker thread; 0 or -1 */
int
fiber_worker_add(int extra)
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
	pthread_mutex_lock(&fiber_sched.lock);
	w->next = fiber_sched.workers;
	fiber_sched.workers = w;
	atomic_fetch_add(&fiber_sched.nworkers, 1);
	pthread_mutex_unlock(&fiber_sched.lock);
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
			fiber_run(w, f);
			continue;
		}
		if (atomic_load(&fiber_sched.quit))
			break;
		/* say we may sleep, then look once more (fiber_runq_push() reads
		 * nidle after it queued: one of us sees the other) */
		atomic_fetch_add(&fiber_sched.nidle, 1);
		if (atomic_load(&fiber_sched.runq_len) > 0) {
			atomic_fetch_sub(&fiber_sched.nidle, 1);
			continue;
		}
		timeout = w->extra ? FIBER_RETIRE_MS : -1;
		n = epoll_wait(fiber_sched.ep, evs, FIBER_NEVENTS, timeout);
		atomic_fetch_sub(&fiber_sched.nidle, 1);
		if (n == 0 && w->extra) {
			pthread_mutex_lock(&fiber_sched.lock);
			if (atomic_load(&fiber_sched.nworkers) > fiber_sched.base) {
				atomic_fetch_sub(&fiber_sched.nworkers, 1);
				atomic_store(&w->done, 1);
				pthread_mutex_unlock(&fiber_sched.lock);
				return NULL;	/* fiber_stop() joins it */
			}
			pthread_mutex_unlock(&fiber_sched.lock);
			continue;
		}
		for (i = 0; i < n; i++)
			fiber_event(w, evs[i].data.ptr, evs[i].events);
	}
	return NULL;
}

int
fiber_start(unsigned workers, size_t stack_size, char *err, size_t errlen)
{
	struct epoll_event ev;
	long ncpu;
	unsigned i;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	if (fiber_sched.running) {
		snprintf(err, errlen, "fiber scheduler already running");
		return -1;
	}
	if (workers == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		workers = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	fiber_sched.stack_size = (stack_size + pg - 1) / pg * pg;
	if ((fiber_sched.ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (fiber_sched.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		snprintf(err, errlen, "fiber scheduler: %s", strerror(errno));
		goto fail;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLET;
	ev.data.ptr = &fiber_evfd_tag;
	if (epoll_ctl(fiber_sched.ep, EPOLL_CTL_ADD, fiber_sched.evfd,
	    &ev) == -1) {
		snprintf(err, errlen, "fiber scheduler: %s", strerror(errno));
		goto fail;
	}
	atomic_store(&fiber_sched.quit, 0);
	fiber_sched.base = workers;
	fiber_sched.running = 1;
	for (i = 0; i < workers; i++)
		if (fiber_worker_add(0) == -1) {
			snprintf(err, errlen, "fiber scheduler: worker thread: %s",
			    strerror(errno));
			fiber_stop();
			return -1;
		}
	if (fiber_monitor_start() == -1) {
		snprintf(err, errlen, "fiber scheduler: monitor thread");
		fiber_stop();
		return -1;
	}
	return 0;
fail:
	if (fiber_sched.ep != -1)
		close(fiber_sched.ep);
	if (fiber_sched.evfd != -1)
		close(fiber_sched.evfd);
	fiber_sched.ep = fiber_sched.evfd = -1;
	return -1;
}

/* workers_end - wake every worker until each has seen quit, join, free */
static void
workers_end(void)
{
	struct worker *w;
	uint64_t one = 1;
	unsigned i, n = 0;

	for (w = fiber_sched.workers; w != NULL; w = w->next)
		n++;
	for (i = 0; i < n; i++)	/* each write wakes one sleeper */
		(void)!write(fiber_sched.evfd, &one, sizeof(one));
	while ((w = fiber_sched.workers) != NULL) {
		/* a worker may be asleep again after another took its wake-up */
		while (!atomic_load(&w->done) &&
		    pthread_tryjoin_np(w->thr, NULL) == EBUSY) {
			(void)!write(fiber_sched.evfd, &one, sizeof(one));
			usleep(1000);
		}
		if (atomic_load(&w->done))
			pthread_join(w->thr, NULL);
		fiber_sched.workers = w->next;
		free(w);
	}
	atomic_store(&fiber_sched.nworkers, 0);
}

/* free_lists - the kept fibers and their stacks */
static void
free_lists(void)
{
	struct fiber *f;

	while ((f = fiber_sched.free_fibers) != NULL) {
		fiber_sched.free_fibers = f->next;
		munmap(f->map, f->maplen);
		free(f);
	}
	while ((f = fiber_sched.free_bare) != NULL) {
		fiber_sched.free_bare = f->next;
		free(f);
	}
	fiber_sched.nfree_stacks = 0;
}

void
fiber_stop(void)
{
	struct timespec ts;

	if (!fiber_sched.running)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += FIBER_STOP_WAIT_S;
	pthread_mutex_lock(&fiber_sched.lock);
	while (atomic_load(&fiber_sched.nfibers) > 0)
		if (pthread_cond_timedwait(&fiber_sched.idle, &fiber_sched.lock,
		    &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&fiber_sched.lock);
	if (atomic_load(&fiber_sched.nfibers) > 0) {
		/* a session stuck in a filter: leave the workers to the exit */
		log_warnx("%zu sessions still running at stop: left to the exit",
		    atomic_load(&fiber_sched.nfibers));
		return;
	}
	atomic_store(&fiber_sched.quit, 1);
	fiber_offload_stop();
	fiber_monitor_stop();
	workers_end();
	free_lists();
	close(fiber_sched.ep);
	close(fiber_sched.evfd);
	fiber_sched.ep = fiber_sched.evfd = -1;
	fiber_sched.running = 0;
}

int
fiber_spawn(void (*fn)(void *), void *arg)
{
	struct fiber *f;
	int i;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	if (!fiber_sched.running) {
		errno = ESRCH;
		return -1;
	}
	pthread_mutex_lock(&fiber_sched.lock);
	if ((f = fiber_sched.free_fibers) != NULL) {
		fiber_sched.free_fibers = f->next;
		fiber_sched.nfree_stacks--;
	} else if ((f = fiber_sched.free_bare) != NULL)
		fiber_sched.free_bare = f->next;
	pthread_mutex_unlock(&fiber_sched.lock);
	if (f == NULL && (f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if (f->map == NULL) {
		f->maplen = fiber_sched.stack_size + pg;
		f->map = mmap(NULL, f->maplen, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
		if (f->map == MAP_FAILED) {
			f->map = NULL;
			pthread_mutex_lock(&fiber_sched.lock);
			f->next = fiber_sched.free_bare;
			fiber_sched.free_bare = f;
			pthread_mutex_unlock(&fiber_sched.lock);
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
	atomic_store(&f->kick_one, 0);
	frame_init(f);
	atomic_store(&f->state, F_QUEUED);
	pthread_mutex_lock(&fiber_sched.lock);
	f->aprev = NULL;
	f->anext = fiber_sched.all;
	if (fiber_sched.all != NULL)
		fiber_sched.all->aprev = f;
	fiber_sched.all = f;
	atomic_fetch_add(&fiber_sched.nfibers, 1);
	pthread_mutex_unlock(&fiber_sched.lock);
	fiber_runq_push(f, fiber_cur_worker() != NULL);
	return 0;
}

int
fiber_self(void)
{
	struct worker *w = fiber_cur_worker();

	return w != NULL && w->cur != NULL;
}

size_t
fiber_count(void)
{
	return atomic_load(&fiber_sched.nfibers);
}

unsigned
fiber_workers(void)
{
	return atomic_load(&fiber_sched.nworkers);
}

