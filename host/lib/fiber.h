/*
 * fiber - the front ends' sessions as fibers on a few worker threads (M:N)
 *
 * A fiber is a function with its own stack that runs until it would block
 * on a socket: fiber_wait() then parks it (its descriptor goes into one
 * shared epoll set, one shot) and the worker thread runs the next ready
 * fiber. A session's code keeps the plain blocking shape (read, decide,
 * write) and a busy daemon does not pay a sleep and a wake-up of a thread
 * for every packet: with every worker busy, a worker takes the next ready
 * session without sleeping.
 *
 * Workers: one per CPU. A monitor thread adds a worker when every worker
 * has been running the same fiber for more than FIBER_STUCK_MS (a filter
 * that blocks: DNS, a slow script), so a blocking filter stalls its own
 * session only; extra workers retire when they have been idle for a while.
 *
 * Rules for fiber code:
 * - sockets are non-blocking; on EAGAIN call fiber_wait() and try again;
 * - a fiber may move to another worker thread at each fiber_wait(): keep
 *   no thread-local state across a wait (errno is read before it);
 * - no other blocking but disk I/O and the filters' own calls.
 *
 * There is one scheduler per process: fiber_start() once, fiber_stop() at
 * the end. Deadlines are clock_ms() values (clock.h: CLOCK_MONOTONIC, ms);
 * they are looked at every FIBER_TICK_MS.
 */
#ifndef FIBER_H
#define FIBER_H

#include <stddef.h>
#include <stdint.h>

#define FIBER_IN	0x1	/* readable, or the peer closed */
#define FIBER_OUT	0x2	/* writable */

#define FIBER_TICK_MS	20
#define FIBER_STUCK_MS	100

/*
 * fiber_start - start the process's scheduler: workers threads (0: one per
 * CPU), each fiber with a stack of stack_size bytes (reserved; only touched
 * pages count). 0, or -1 with the reason in err.
 */
int		 fiber_start(unsigned workers, size_t stack_size, char *err,
		    size_t errlen);
/*
 * fiber_stop - wait until every fiber has returned, then end the workers.
 * Fibers still running after a few seconds are left to the process's exit
 * (logged): the front ends have ended their sessions' grace by then.
 */
void		 fiber_stop(void);

/*
 * fiber_spawn - run fn(arg) in a new fiber, soon, on some worker. 0, or -1
 * with errno (ENOMEM; ESRCH when the scheduler is not running). fn owns arg.
 */
int		 fiber_spawn(void (*fn)(void *), void *arg);

/*
 * fiber_wait - from a fiber: park until fd is ready for events
 * (FIBER_IN|FIBER_OUT), the deadline passes (0: none) or fiber_kick_all().
 * Returns 1 when fd may be ready (a wake-up may be spurious: try the I/O
 * again), 0 when the deadline passed or the fiber was kicked. Called
 * outside a fiber it poll()s, so code shared with tests still works.
 */
int		 fiber_wait(int fd, unsigned events, uint64_t deadline_ms);

/*
 * fiber_watch - from a fiber: keep fd in the epoll set, edge-triggered,
 * for this fiber's later waits, so that parking on it costs no system
 * call (a session's long-lived sockets). Up to 4 per fiber; 0, or -1 with
 * errno (the waits then fall back to one-shot registration). The fiber
 * must call fiber_unwatch(fd) or fiber_forget(fd) before it closes fd.
 * After a read that filled the whole buffer, more may be waiting without
 * a new edge: read again before waiting (a read that came back short or
 * with EAGAIN lets the next call wait first).
 */
int		 fiber_watch(int fd);
void		 fiber_unwatch(int fd);
/*
 * fiber_forget - fiber_unwatch() without its system call, for a descriptor
 * the fiber closes right after (closing takes it out of the epoll set; the
 * descriptor must not have been duplicated)
 */
void		 fiber_forget(int fd);

/*
 * fiber_offload - from a fiber: run fn(arg), a call that may block for long
 * (a DNS lookup), on a helper thread while the fiber is parked; returns
 * when fn has returned. Outside a fiber it just calls fn(arg).
 */
void		 fiber_offload(void (*fn)(void *), void *arg);

/* fiber_kick_all - every parked fiber's fiber_wait() returns 0 soon */
void		 fiber_kick_all(void);
/*
 * fiber_kick - f's wait (fiber_wait(), fiber_park()) returns 0 soon, or its
 * next one at once when f is not parked now; from any thread. f must not
 * have returned (a stale handle at worst wakes another fiber spuriously).
 */
struct fiber;
void		 fiber_kick(struct fiber *f);

/* fiber_self - 1 when called from a fiber */
int		 fiber_self(void);
/* fiber_count - fibers alive now */
size_t		 fiber_count(void);
/* fiber_workers - worker threads now */
unsigned	 fiber_workers(void);

/*
 * Parking without a descriptor, for a fiber that waits for another party
 * (the resolver: a fiber waits for its answers while another one reads
 * the resolver's sockets).
 *
 * fiber_current - the calling fiber, or NULL outside a fiber. The handle
 * names the fiber until it returns; whoever keeps it must stop using it
 * before then (the waiter takes itself off the waker's list).
 *
 * fiber_park - from a fiber: park until fiber_unpark() names it, the
 * deadline passes (0: none) or fiber_kick_all(). Returns 1 when unparked,
 * 0 at the deadline or on a kick. An unpark that came before the park is
 * not lost: the park then returns 1 at once. A return may be spurious (a
 * late unpark meant for an earlier park): callers loop on their own
 * condition. Outside a fiber it returns 0 at once (the caller waits its
 * own way).
 *
 * fiber_unpark - wake f from fiber_park(); from any thread or fiber.
 */
struct fiber	*fiber_current(void);
int		 fiber_park(uint64_t deadline_ms);
void		 fiber_unpark(struct fiber *f);

#endif /* FIBER_H */
