/*
 * fiber_wait - parking fibers on descriptors: the epoll set, fiber_wait(),
 * the watch slots, the events that resume fibers, and kicks (fiber_int.h
 * says how the scheduler's files share the work)
 *
 * Public: fiber_wait(), fiber_watch(), fiber_unwatch(), fiber_forget(),
 * fiber_kick_all(), fiber_kick().
 *
 * A fiber that waits switches to its worker, which parks it
 * (fiber_arm()): one-shot, its descriptor is (re)armed in the epoll set
 * with the fiber as its data; watched (fiber_watch()), the descriptor is
 * in the set for good, edge-triggered, and an edge that came while the
 * fiber looked elsewhere is kept in the slot's pending flag. Whoever wakes
 * the fiber (an event, its deadline, a kick) takes it by compare-and-swap
 * on its state, so it runs once.
 *
 * Kicks: fiber_kick_all() moves the kick generation on. A fiber notes the
 * generation when it is resumed (fiber_run()); a park that finds it moved
 * on since queues the fiber again at once (fiber_wait() returns 0), and
 * the monitor wakes every fiber parked before the kick. So a kick cannot
 * be lost between a fiber's look at a flag and its park: whoever sets a
 * flag and then kicks is seen, at the latest, at the fiber's next wait.
 * fiber_kick() does the same for one fiber: it sets the fiber's kick_one,
 * which a park looks at after the fiber is F_WAIT, and pokes the monitor,
 * which wakes the fiber if it is parked already.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/epoll.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "clock.h"
#include "fiber.h"
#include "fiber_int.h"

/*
 * kicked - a kick came since f was resumed. Read after f's state became
 * F_WAIT: a kick that this misses comes after, and the monitor, woken by
 * it, finds f parked.
 */
static int
kicked(struct fiber *f)
{
	return atomic_load(&f->kick_seen) != atomic_load(&fiber_sched.kick_gen) ||
	    atomic_exchange(&f->kick_one, 0);
}

/*
 * fiber_arm - after f switched away asking to wait: put its fd in the
 * epoll set; a kick since f was resumed queues it again at once
 */
void
fiber_arm(struct fiber *f)
{
	struct fiber_watch *wt = atomic_load(&f->waiting);
	struct epoll_event ev;
	int r, expect, woke;

	if (wt->et) {
		/* in the set already: an edge since the fiber looked wakes it */
		atomic_store(&f->state, F_WAIT);
		if (atomic_exchange(&wt->pending, 0) || atomic_load(&wt->hup))
			woke = 1;
		else if (kicked(f))
			woke = 0;
		else
			return;
		expect = F_WAIT;
		if (atomic_compare_exchange_strong(&f->state, &expect, F_QUEUED)) {
			f->woke = woke;
			fiber_runq_push(f, 1);
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
	r = epoll_ctl(fiber_sched.ep, EPOLL_CTL_MOD, f->wait_fd, &ev);
	if (r == -1 && errno == ENOENT)
		r = epoll_ctl(fiber_sched.ep, EPOLL_CTL_ADD, f->wait_fd, &ev);
	if (r == -1) {
		/* not pollable (a regular file) or closed: let the I/O say */
		expect = F_WAIT;
		if (atomic_compare_exchange_strong(&f->state, &expect, F_QUEUED)) {
			f->parked_fd = -1;
			f->woke = 1;
			fiber_runq_push(f, 1);
		}
		return;
	}
	/* a kick since the fiber was resumed must not be lost */
	if (kicked(f)) {
		expect = F_WAIT;
		if (atomic_compare_exchange_strong(&f->state, &expect, F_QUEUED)) {
			f->woke = 0;
			fiber_runq_push(f, 1);
		}
	}
}

/* fiber_disarm - f was woken by its deadline or a kick: take its fd out of the set */
void
fiber_disarm(struct fiber *f)
{
	if (f->parked_fd != -1) {
		(void)epoll_ctl(fiber_sched.ep, EPOLL_CTL_DEL, f->parked_fd,
		    NULL);
		f->parked_fd = -1;
	}
}

/* fiber_event - an epoll event (data, events): the fiber it names is ready */
void
fiber_event(struct worker *w, void *data, uint32_t events)
{
	struct fiber_watch *wt = data;
	struct fiber *f;
	int expect = F_WAIT;

	if (data == (void *)&fiber_evfd_tag)
		return;		/* only a wake-up: the run queue is looked at next */
	f = wt->f;
	if (wt->et) {
		/* fiber_arm() sets the state, then looks at pending; we the other
		 * way round: one of us sees the other */
		/* a FIN after data is one more read (it returns 0) but no
		 * more edges: keep it, so that a wait after a short read
		 * does not park on a closed socket */
		if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
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
	fiber_run(w, f);
}

int
fiber_wait(int fd, unsigned events, uint64_t deadline_ms)
{
	struct worker *w = fiber_cur_worker();
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
	f->op = OP_WAIT;
	fiber_to_worker(f, 0);
	return f->woke;
}


int
fiber_watch(int fd)
{
	struct worker *w = fiber_cur_worker();
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
	r = epoll_ctl(fiber_sched.ep, EPOLL_CTL_ADD, fd, &ev);
	if (r == -1 && errno == EEXIST)	/* left there by a one-shot wait */
		r = epoll_ctl(fiber_sched.ep, EPOLL_CTL_MOD, fd, &ev);
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
	struct worker *w = fiber_cur_worker();
	struct fiber *f = w != NULL ? w->cur : NULL;
	int i;

	if (f == NULL)
		return;
	for (i = 0; i < FIBER_WATCH_MAX; i++)
		if (f->watch[i].fd == fd) {
			if (del)
				(void)epoll_ctl(fiber_sched.ep, EPOLL_CTL_DEL, fd,
				    NULL);
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
	atomic_fetch_add(&fiber_sched.kick_gen, 1);
	fiber_monitor_poke();	/* it wakes the fibers parked before the kick */
}

void
fiber_kick(struct fiber *f)
{
	if (f == NULL)
		return;
	atomic_store(&f->kick_one, 1);
	fiber_monitor_poke();	/* it wakes f if f is parked already */
}

/* --- parking without a descriptor (fiber_park / fiber_unpark) --- */

/*
 * A parked fiber waits on its parkw watch: edge-triggered in fiber_arm()'s
 * sense (state F_WAIT, then a look at pending) but never in the epoll
 * set. fiber_unpark() sets pending, then takes the fiber if it is parked
 * on parkw: one of the two sees the other, as with an edge of a watched
 * descriptor. The monitor wakes it at its deadline or on a kick, as any
 * parked fiber.
 */

struct fiber *
fiber_current(void)
{
	struct worker *w = fiber_cur_worker();

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
	f->op = OP_WAIT;
	fiber_to_worker(f, 0);
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
	fiber_runq_push(f, fiber_cur_worker() != NULL);
}
