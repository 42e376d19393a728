/*
 * fiber_int - what the files of the fiber scheduler share (fiber.h is the
 * API; nothing outside host/lib/fiber*.c includes this header)
 *
 * The scheduler is one module in four files, one concern each:
 *
 *	fiber.c		the state, the context switch, the run queue, the
 *			workers, start/stop/spawn
 *	fiber_wait.c	parking: the epoll set, fiber_wait(), the watch
 *			slots, events, kicks
 *	fiber_monitor.c	the monitor thread: deadlines, kicks of parked
 *			fibers, a worker more when all are stuck
 *	fiber_offload.c	helper threads for calls that block
 *
 * The functions declared here are the module's own (hidden from the
 * dynamic symbol table); each says which file has it.
 */
#ifndef FIBER_INT_H
#define FIBER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

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

#define FIBER_HIDDEN		__attribute__((visibility("hidden")))

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
	/*
	 * The kick generation when the fiber last resumed: a kick after
	 * that (kick_gen moved on) ends its next wait at once, so a kick
	 * that came between the fiber's look at a stop flag and its park
	 * is not lost (fiber_wait.c).
	 */
	_Atomic unsigned	 kick_seen;
	_Atomic int		 kick_one;	/* fiber_kick(): its next wait ends at once */
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

/* fq - a FIFO of fibers through their next pointers (under its lock) */
struct fq {
	struct fiber		*head, *tail;
};

/* the scheduler's state (fiber.c) */
struct fiber_sched {
	int			 running;
	int			 ep;		/* the epoll set */
	int			 evfd;		/* wakes a sleeping worker */
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
};

extern struct fiber_sched fiber_sched FIBER_HIDDEN;
/* the eventfd's epoll data: not a fiber (fiber.c) */
extern char fiber_evfd_tag FIBER_HIDDEN;

/* fiber.c */
struct worker	*fiber_cur_worker(void) FIBER_HIDDEN;
uint64_t	 fiber_coarse_ms(void) FIBER_HIDDEN;
void		 fiber_to_worker(struct fiber *, int ending) FIBER_HIDDEN;
void		 fiber_fq_push(struct fq *, struct fiber *) FIBER_HIDDEN;
struct fiber	*fiber_fq_pop(struct fq *) FIBER_HIDDEN;
void		 fiber_wake(void) FIBER_HIDDEN;
void		 fiber_runq_push(struct fiber *, int local) FIBER_HIDDEN;
void		 fiber_run(struct worker *, struct fiber *) FIBER_HIDDEN;
int		 fiber_worker_add(int extra) FIBER_HIDDEN;

/* fiber_wait.c */
void		 fiber_arm(struct fiber *) FIBER_HIDDEN;
void		 fiber_disarm(struct fiber *) FIBER_HIDDEN;
void		 fiber_event(struct worker *, void *data, uint32_t events)
		    FIBER_HIDDEN;

/* fiber_monitor.c */
int		 fiber_monitor_start(void) FIBER_HIDDEN;
void		 fiber_monitor_poke(void) FIBER_HIDDEN;
void		 fiber_monitor_stop(void) FIBER_HIDDEN;

/* fiber_offload.c */
void		 fiber_offload_queue(struct fiber *) FIBER_HIDDEN;
void		 fiber_offload_stop(void) FIBER_HIDDEN;

#endif /* FIBER_INT_H */
