/*
 * dns - an asynchronous stub resolver on the fiber scheduler (c-ares),
 * with an answer cache shared by every session
 *
 * Public: dns_new(), dns_free(), dns_query(), dns_release(),
 * dns_status_name(), dns_stats(). See dns.h.
 *
 * Design. DNS_SHARDS c-ares channels per resolver (a query goes to the
 * least busy: more sockets, so more receive buffer for a burst of
 * answers), used under the resolver's mutex (c-ares 1.18 channels are
 * not thread-safe). c-ares tells us which of its sockets it wants
 * watched (ARES_OPT_SOCK_STATE_CB); they go into a private epoll set,
 * and that set's descriptor is what a fiber waits on, in the scheduler's
 * epoll set like any socket. There is no
 * resolver thread and no resolver fiber: the callers drive c-ares
 * themselves, one at a time (leader and followers).
 *
 * - A caller sends its queries (ares_query() writes them at once) and, if
 *   no one leads, becomes the leader: it parks in fiber_wait() on the
 *   private epoll set until a socket is readable or the next c-ares
 *   timeout (retransmission, next server) or its own deadline comes,
 *   then, under the mutex, lets c-ares read every ready socket and run
 *   its timeouts. Each answer's callback, run there, fills in the asking
 *   caller's query and unparks it when it has all its answers.
 * - Other callers are followers: they park (fiber_park()) until their
 *   answers are in, the leader hands over, or their deadline passes.
 * - A leader that leaves (its answers are in, or its deadline passed)
 *   hands over: it unparks the first follower, which leads next. A
 *   caller that is not a fiber polls the set itself in short slices.
 * So while anyone waits, exactly one fiber reads the sockets, and a
 * session whose deadline passes leaves at once: its queries stay with
 * c-ares (there is no per-query cancel in c-ares 1.18), their answers
 * go to the cache only, and DNS_INFLIGHT_MAX bounds how many there are.
 *
 * Cache: a hash table of answers with an LRU list, at most cache_max
 * answers and DNS_CACHE_BYTES bytes. An answer is one allocation
 * (records, their text, the key), immutable and refcounted: callers hold
 * it from dns_query() to dns_release(), the cache holds it until it
 * expires or is pushed out. Errors other than NXDOMAIN/NODATA are not
 * cached.
 *
 * Trust: answers are parsed by dnsmsg.c (untrusted input, bounded).
 * Names asked must pass dnsname_valid(). Failures: no memory for a query
 * makes that query DNS_NOMEM; nothing here stops the process after
 * dns_new().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/epoll.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ares.h>

#include "clock.h"
#include "dns.h"
#include "dnsmsg.h"
#include "dnsname.h"
#include "fiber.h"

#define DNS_SLICE_MS	10	/* a non-fiber caller's poll while a fiber leads */
#define DNS_POLL_MAX_MS	1000
#define DNS_NEVENTS	16
#define DNS_RCVBUF	(4 * 1024 * 1024)
#define DNS_SHARDS	4	/* c-ares channels: sockets per server */

struct dns_answer {
	_Atomic unsigned	 refs;
	int			 status;
	uint32_t		 ttl;		/* s it may be cached; 0: not */
	uint64_t		 expires;	/* ms, while cached */
	size_t			 nrr;
	struct dns_rr		*rr;
	size_t			 bytes;
	uint32_t		 hash;
	const char		*key;		/* "type/name" */
	struct dns_answer	*hnext;		/* hash chain */
	struct dns_answer	*prev, *next;	/* LRU, most recent first */
	int			 in_cache;
};

struct waiter;
struct dns;

/* shard - one c-ares channel of a resolver, with its own sockets */
struct shard {
	struct dns		*d;
	ares_channel		 ch;
	unsigned		 idx;
	size_t			 inflight;
};

/* pq - one query handed to c-ares */
struct pq {
	struct dns		*d;
	struct shard		*sh;
	struct waiter		*w;		/* NULL: the caller left */
	struct dns_query	*q;
	struct pq		*wprev, *wnext;	/* the waiter's queries */
	int			 type;
	char			 name[DNSNAME_MAX];
};

/* waiter - one dns_query() call */
struct waiter {
	struct fiber		*f;		/* NULL outside a fiber */
	size_t			 pending;
	int			 more;		/* queries not sent yet */
	int			 parked;	/* a follower, in the queue */
	struct pq		*pqs;
	struct waiter		*prev, *next;	/* the follower queue */
};

struct dns {
	pthread_mutex_t		 mu;		/* everything below */
	struct shard		 sh[DNS_SHARDS];
	int			 epfd;
	struct waiter		*leader;
	struct waiter		*fhead, *ftail;
	size_t			 inflight;
	struct dns_answer	**tab;
	size_t			 nbuckets;
	size_t			 ncached, cache_max, cache_bytes;
	struct dns_answer	*lru_head, *lru_tail;
	uint64_t		 sent, hits;
};

static const char *const status_names[DNS_NSTATUS] = {
	"ok", "nxdomain", "nodata", "timeout", "servfail", "refused",
	"badresp", "loop", "badname", "nomem", "busy", "unreachable", "error"
};

static pthread_once_t ares_once = PTHREAD_ONCE_INIT;
static int ares_init_rc;

const char *
dns_status_name(int status)
{
	if (status < 0 || status >= DNS_NSTATUS)
		return "error";
	return status_names[status];
}

static void
library_init(void)
{
	ares_init_rc = ares_library_init(ARES_LIB_INIT_ALL);
}

/* --- answers and the cache --- */

static void
answer_unref(struct dns_answer *a)
{
	if (a != NULL && atomic_fetch_sub(&a->refs, 1) == 1)
		free(a);
}

/* hash_key - FNV-1a */
static uint32_t
hash_key(const char *k)
{
	uint32_t h = 2166136261u;

	for (; *k != '\0'; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	return h;
}

static void
lru_unlink(struct dns *d, struct dns_answer *a)
{
	if (a->prev != NULL)
		a->prev->next = a->next;
	else
		d->lru_head = a->next;
	if (a->next != NULL)
		a->next->prev = a->prev;
	else
		d->lru_tail = a->prev;
	a->prev = a->next = NULL;
}

static void
lru_push(struct dns *d, struct dns_answer *a)
{
	a->prev = NULL;
	a->next = d->lru_head;
	if (d->lru_head != NULL)
		d->lru_head->prev = a;
	else
		d->lru_tail = a;
	d->lru_head = a;
}

/* cache_drop - take a out of the cache and drop the cache's reference */
static void
cache_drop(struct dns *d, struct dns_answer *a)
{
	struct dns_answer **pp = &d->tab[a->hash % d->nbuckets];

	while (*pp != a)
		pp = &(*pp)->hnext;
	*pp = a->hnext;
	lru_unlink(d, a);
	d->ncached--;
	d->cache_bytes -= a->bytes;
	a->in_cache = 0;
	answer_unref(a);
}

/* cache_get - a referenced live answer for key, or NULL */
static struct dns_answer *
cache_get(struct dns *d, const char *key, uint64_t now)
{
	uint32_t h = hash_key(key);
	struct dns_answer *a;

	for (a = d->tab[h % d->nbuckets]; a != NULL; a = a->hnext) {
		if (a->hash != h || strcmp(a->key, key) != 0)
			continue;
		if (a->expires <= now) {
			cache_drop(d, a);
			return NULL;
		}
		lru_unlink(d, a);
		lru_push(d, a);
		atomic_fetch_add(&a->refs, 1);
		return a;
	}
	return NULL;
}

/* cache_put - keep a (the cache takes its own reference) within the bounds */
static void
cache_put(struct dns *d, struct dns_answer *a, uint64_t now)
{
	struct dns_answer *old;

	if (a->ttl == 0 || d->cache_max == 0)
		return;
	while ((old = cache_get(d, a->key, now)) != NULL) {
		answer_unref(old);
		cache_drop(d, old);	/* a newer answer replaces it */
	}
	while (d->lru_tail != NULL && (d->ncached >= d->cache_max ||
	    d->cache_bytes + a->bytes > DNS_CACHE_BYTES))
		cache_drop(d, d->lru_tail);
	a->expires = now + (uint64_t)a->ttl * 1000;
	a->hash = hash_key(a->key);
	a->hnext = d->tab[a->hash % d->nbuckets];
	d->tab[a->hash % d->nbuckets] = a;
	lru_push(d, a);
	a->in_cache = 1;
	d->ncached++;
	d->cache_bytes += a->bytes;
	atomic_fetch_add(&a->refs, 1);
}

/* make_key - "type/name" */
static void
make_key(char *key, size_t len, int type, const char *name)
{
	snprintf(key, len, "%d/%s", type, name);
}

/* answer_new - one allocation: the struct, the records, their text, the key */
static struct dns_answer *
answer_new(int status, uint32_t ttl, const struct dnsmsg *m, const char *text,
    const char *key)
{
	size_t klen = strlen(key) + 1, tlen = m != NULL ? m->textlen : 0;
	size_t nrr = m != NULL ? m->nrr : 0, i, bytes;
	struct dns_answer *a;
	char *p;

	bytes = sizeof(*a) + nrr * sizeof(struct dns_rr) + tlen + klen;
	if ((a = calloc(1, bytes)) == NULL)
		return NULL;
	atomic_init(&a->refs, 1);
	a->status = status;
	a->ttl = ttl;
	a->bytes = bytes;
	a->nrr = nrr;
	a->rr = (struct dns_rr *)(a + 1);
	p = (char *)(a->rr + nrr);
	if (tlen > 0)
		memcpy(p, text, tlen);
	for (i = 0; i < nrr; i++) {
		a->rr[i].text = p + m->rr[i].off;
		a->rr[i].pref = m->rr[i].pref;
		a->rr[i].ttl = m->rr[i].ttl;
	}
	memcpy(p + tlen, key, klen);
	a->key = p + tlen;
	return a;
}

/* ares_status - what a c-ares status without an answer to read means */
static int
ares_status(int st)
{
	switch (st) {
	case ARES_ENODATA:	return DNS_NODATA;
	case ARES_ENOTFOUND:	return DNS_NXDOMAIN;
	case ARES_ESERVFAIL:	return DNS_SERVFAIL;
	case ARES_EREFUSED:	return DNS_REFUSED;
	case ARES_EFORMERR:
	case ARES_EBADRESP:	return DNS_BADRESP;
	case ARES_ETIMEOUT:	return DNS_TIMEOUT;
	case ARES_ECONNREFUSED:	return DNS_UNREACH;
	case ARES_ENOMEM:	return DNS_NOMEM;
	case ARES_EBADNAME:	return DNS_BADNAME;
	default:		return DNS_ERROR;
	}
}

/* answer_of - the answer for a c-ares callback; NULL: no memory */
static struct dns_answer *
answer_of(const struct pq *p, int st, const unsigned char *abuf, int alen)
{
	static const int map[] = {
		[DNSMSG_OK] = DNS_OK, [DNSMSG_NXDOMAIN] = DNS_NXDOMAIN,
		[DNSMSG_NODATA] = DNS_NODATA, [DNSMSG_SERVFAIL] = DNS_SERVFAIL,
		[DNSMSG_REFUSED] = DNS_REFUSED, [DNSMSG_BAD] = DNS_BADRESP,
		[DNSMSG_LOOP] = DNS_LOOP
	};
	char key[DNSNAME_MAX + 16];
	struct dnsmsg *m;
	struct dns_answer *a;
	char *text;
	int status;
	uint32_t ttl = 0;

	make_key(key, sizeof(key), p->type, p->name);
	if (abuf == NULL || alen <= 0 || (st != ARES_SUCCESS &&
	    st != ARES_ENODATA && st != ARES_ENOTFOUND))
		return answer_new(ares_status(st), 0, NULL, NULL, key);
	if ((m = malloc(sizeof(*m))) == NULL ||
	    (text = malloc(DNS_TEXT_MAX)) == NULL) {
		free(m);
		return NULL;
	}
	status = map[dnsmsg_parse(abuf, (size_t)alen, p->name, p->type, m,
	    text, DNS_TEXT_MAX)];
	if (status == DNS_OK)
		ttl = m->ttl > DNS_TTL_MAX ? DNS_TTL_MAX : m->ttl;
	else if (status == DNS_NXDOMAIN || status == DNS_NODATA)
		ttl = m->ttl > DNS_NEG_TTL_MAX ? DNS_NEG_TTL_MAX : m->ttl;
	a = answer_new(status, ttl, status == DNS_OK ? m : NULL, text, key);
	free(text);
	free(m);
	return a;
}

/* --- queries --- */

/* set_result - q gets answer a (and the reference the caller holds) */
static void
set_result(struct dns_query *q, struct dns_answer *a)
{
	q->ans = a;
	q->status = a->status;
	q->rr = a->nrr > 0 ? a->rr : NULL;
	q->nrr = a->nrr;
}

static void
pq_unlink(struct pq *p)
{
	struct waiter *w = p->w;

	if (p->wprev != NULL)
		p->wprev->wnext = p->wnext;
	else
		w->pqs = p->wnext;
	if (p->wnext != NULL)
		p->wnext->wprev = p->wprev;
	w->pending--;
	p->w = NULL;
}

/* on_answer - c-ares' callback, under the mutex */
static void
on_answer(void *arg, int st, int timeouts, unsigned char *abuf, int alen)
{
	struct pq *p = arg;
	struct dns *d = p->d;
	struct waiter *w = p->w;
	struct dns_answer *a = NULL;
	uint64_t now = clock_ms();

	(void)timeouts;
	if (st != ARES_EDESTRUCTION && (a = answer_of(p, st, abuf, alen)) != NULL)
		cache_put(d, a, now);
	if (w != NULL) {
		if (a != NULL)
			set_result(p->q, a);
		else
			p->q->status = st == ARES_EDESTRUCTION ? DNS_ERROR :
			    DNS_NOMEM;
		p->q->ms = (uint32_t)(now - p->q->start);
		pq_unlink(p);
		if (w->parked && (w->pending == 0 || w->more))
			fiber_unpark(w->f);
	} else
		answer_unref(a);
	d->inflight--;
	p->sh->inflight--;
	free(p);
}

/*
 * submit - answer q from the cache, or send it (with late, the caller's
 * deadline has passed already: the cache only); under the mutex
 */
static void
submit(struct dns *d, struct waiter *w, struct dns_query *q, int late)
{
	char name[DNSNAME_MAX], key[DNSNAME_MAX + 16];
	struct dns_answer *a;
	struct shard *sh;
	struct pq *p;
	unsigned i;

	q->start = clock_ms();
	switch (q->type) {
	case DNS_T_A: case DNS_T_AAAA: case DNS_T_MX: case DNS_T_TXT:
	case DNS_T_PTR: case DNS_T_NS: case DNS_T_CNAME:
		break;
	default:
		q->status = DNS_BADNAME;
		return;
	}
	if (dnsname_canon(q->name, name, sizeof(name)) == -1) {
		q->status = DNS_BADNAME;
		return;
	}
	make_key(key, sizeof(key), q->type, name);
	if ((a = cache_get(d, key, q->start)) != NULL) {
		set_result(q, a);
		q->cached = 1;
		d->hits++;
		return;
	}
	if (late) {
		q->status = DNS_TIMEOUT;
		return;
	}
	if (d->inflight >= DNS_INFLIGHT_MAX) {
		q->status = DNS_BUSY;
		return;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		q->status = DNS_NOMEM;
		return;
	}
	/* the channel with the fewest queries out: its socket's buffer */
	for (sh = &d->sh[0], i = 1; i < DNS_SHARDS; i++)
		if (d->sh[i].inflight < sh->inflight)
			sh = &d->sh[i];
	p->d = d;
	p->sh = sh;
	p->w = w;
	p->q = q;
	p->type = q->type;
	memcpy(p->name, name, sizeof(name));
	p->wnext = w->pqs;
	if (w->pqs != NULL)
		w->pqs->wprev = p;
	w->pqs = p;
	w->pending++;
	d->inflight++;
	sh->inflight++;
	d->sent++;
	/* may call on_answer() before it returns (a bad name, no memory) */
	ares_query(sh->ch, p->name, 1 /* IN */, p->type, on_answer, p);
}

/* process - let c-ares read what is ready and run its timeouts */
static void
process(struct dns *d)
{
	struct epoll_event ev[DNS_NEVENTS];
	int i, n, rounds = 0;

	do {
		n = epoll_wait(d->epfd, ev, DNS_NEVENTS, 0);
		for (i = 0; i < n; i++) {
			/* the data: the shard in the high half, the fd in the low */
			unsigned k = (unsigned)(ev[i].data.u64 >> 32) % DNS_SHARDS;
			int fd = (int)(uint32_t)ev[i].data.u64;

			ares_process_fd(d->sh[k].ch,
			    ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP) ?
			    fd : ARES_SOCKET_BAD,
			    ev[i].events & EPOLLOUT ? fd : ARES_SOCKET_BAD);
		}
	} while (n == DNS_NEVENTS && ++rounds < 8);
	for (i = 0; i < DNS_SHARDS; i++)	/* timeouts */
		ares_process_fd(d->sh[i].ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

/* next_timeout - when c-ares wants to run its timeouts (ms), 0: never */
static uint64_t
next_timeout(struct dns *d, uint64_t now)
{
	struct timeval tv, *t;
	uint64_t at, first = 0;
	int i;

	for (i = 0; i < DNS_SHARDS; i++) {
		if ((t = ares_timeout(d->sh[i].ch, NULL, &tv)) == NULL)
			continue;
		at = now + (uint64_t)t->tv_sec * 1000 +
		    (uint64_t)t->tv_usec / 1000 + 1;
		if (first == 0 || at < first)
			first = at;
	}
	return first;
}

/* earliest - the earlier of two deadlines, 0 being none */
static uint64_t
earliest(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

static void
follower_remove(struct dns *d, struct waiter *w)
{
	if (!w->parked)
		return;
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		d->fhead = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	else
		d->ftail = w->prev;
	w->prev = w->next = NULL;
	w->parked = 0;
}

/*
 * wait_step - wait once, as the leader, a follower, or (outside a fiber)
 * polling; returns with the mutex held again
 */
static void
wait_step(struct dns *d, struct waiter *w, uint64_t deadline)
{
	uint64_t now = clock_ms(), dl;
	struct pollfd pfd;
	int lead = d->leader == NULL, ms;

	if (w->f != NULL && !lead) {
		w->parked = 1;
		w->prev = d->ftail;
		w->next = NULL;
		if (d->ftail != NULL)
			d->ftail->next = w;
		else
			d->fhead = w;
		d->ftail = w;
		pthread_mutex_unlock(&d->mu);
		(void)fiber_park(deadline);
		pthread_mutex_lock(&d->mu);
		follower_remove(d, w);
		return;
	}
	dl = earliest(next_timeout(d, now), deadline);
	if (dl == 0)
		dl = now + DNS_POLL_MAX_MS;	/* c-ares always has a timeout; be sure */
	if (lead)
		d->leader = w;
	pthread_mutex_unlock(&d->mu);
	if (w->f != NULL)
		(void)fiber_wait(d->epfd, FIBER_IN, dl);
	else {
		ms = dl <= now ? 0 : dl - now > DNS_POLL_MAX_MS ?
		    DNS_POLL_MAX_MS : (int)(dl - now);
		if (!lead && ms > DNS_SLICE_MS)
			ms = DNS_SLICE_MS;	/* a fiber may read our answers */
		pfd.fd = d->epfd;
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, ms);
	}
	pthread_mutex_lock(&d->mu);
	process(d);
	if (lead)
		d->leader = NULL;
}

/* leave - the call is over: give up what is still out, hand the lead over */
static void
leave(struct dns *d, struct waiter *w)
{
	uint64_t now = clock_ms();
	struct pq *p;

	while ((p = w->pqs) != NULL) {
		p->q->status = DNS_TIMEOUT;
		p->q->ms = (uint32_t)(now - p->q->start);
		pq_unlink(p);	/* its answer goes to the cache only */
	}
	follower_remove(d, w);
	if (d->leader == w)
		d->leader = NULL;
	if (d->leader == NULL && d->fhead != NULL)
		fiber_unpark(d->fhead->f);
}

int
dns_query(struct dns *d, struct dns_query *q, size_t n, uint64_t deadline)
{
	struct waiter w;
	size_t i, next = 0;
	int late = deadline != 0 && clock_ms() >= deadline;

	if (d == NULL || (q == NULL && n > 0)) {
		errno = EINVAL;
		return -1;
	}
	memset(&w, 0, sizeof(w));
	w.f = fiber_current();
	for (i = 0; i < n; i++) {
		q[i].status = DNS_TIMEOUT;
		q[i].rr = NULL;
		q[i].nrr = 0;
		q[i].ms = 0;
		q[i].cached = 0;
		q[i].ans = NULL;
		q[i].start = 0;
	}
	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (next < n && w.pending < DNS_WINDOW)
			submit(d, &w, &q[next++], late);
		w.more = next < n;
		if (w.pending == 0 && !w.more)
			break;
		if (deadline != 0 && clock_ms() >= deadline)
			break;
		wait_step(d, &w, deadline);
	}
	leave(d, &w);
	pthread_mutex_unlock(&d->mu);
	return 0;
}

void
dns_release(struct dns_query *q, size_t n)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < n; i++) {
		answer_unref(q[i].ans);
		q[i].ans = NULL;
		q[i].rr = NULL;
		q[i].nrr = 0;
	}
}

/* --- the resolver --- */

/* sock_state - c-ares wants fd watched for reading/writing, or no more */
static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct shard *sh = data;
	struct dns *d = sh->d;
	struct epoll_event ev;

	if (!readable && !writable) {
		(void)epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);
	ev.data.u64 = (uint64_t)sh->idx << 32 | (uint32_t)fd;
	if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, fd, &ev) == -1 && errno == ENOENT)
		(void)epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* sock_created - c-ares opened a socket: not for exec'd children */
static int
sock_created(ares_socket_t fd, int type, void *data)
{
	(void)type;
	(void)data;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

/* server_csv - the servers as c-ares' "ip:port,[ip6]:port" list; -1 with err */
static int
server_csv(const struct dns_conf *c, char *csv, size_t len, char *err,
    size_t errlen)
{
	unsigned char a[16];
	char host[64], *colon;
	const char *s;
	size_t i, off = 0;
	unsigned long port;
	int n;

	csv[0] = '\0';
	for (i = 0; i < c->nservers; i++) {
		s = c->servers[i];
		port = 53;
		if (s[0] == '[') {
			const char *close = strchr(s, ']');

			if (close == NULL || (size_t)(close - s) >= sizeof(host))
				goto bad;
			memcpy(host, s + 1, (size_t)(close - s - 1));
			host[close - s - 1] = '\0';
			if (close[1] == ':')
				port = strtoul(close + 2, &colon, 10);
			else if (close[1] != '\0')
				goto bad;
		} else {
			snprintf(host, sizeof(host), "%s", s);
			if ((colon = strchr(host, ':')) != NULL &&
			    strchr(colon + 1, ':') == NULL) {
				*colon = '\0';	/* a.b.c.d:port */
				port = strtoul(colon + 1, &colon, 10);
			}
		}
		if (port == 0 || port > 65535)
			goto bad;
		if (inet_pton(AF_INET, host, a) == 1)
			n = snprintf(csv + off, len - off, "%s%s:%lu",
			    off ? "," : "", host, port);
		else if (inet_pton(AF_INET6, host, a) == 1)
			n = snprintf(csv + off, len - off, "%s[%s]:%lu",
			    off ? "," : "", host, port);
		else
			goto bad;
		if (n < 0 || (size_t)n >= len - off) {
			snprintf(err, errlen, "dns: too many servers");
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
bad:
	snprintf(err, errlen, "dns: bad server '%s' (an IP address, "
	    "with :port or [IPv6]:port)", s);
	return -1;
}

/* shard_init - one c-ares channel; 0, or -1 with err */
static int
shard_init(struct dns *d, struct shard *sh, unsigned idx,
    const struct dns_conf *c, const char *csv, char *err, size_t errlen)
{
	struct ares_options o;
	int rc;

	sh->d = d;
	sh->idx = idx;
	memset(&o, 0, sizeof(o));
	/* NOCHECKRESP: a SERVFAIL or REFUSED is the answer, not "try the next" */
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP;
	o.timeout = (int)(c->timeout_ms ? c->timeout_ms : 2000);
	o.tries = (int)(c->attempts ? c->attempts : 2);
	o.sock_state_cb = sock_state;
	o.sock_state_cb_data = sh;
	/*
	 * A channel's UDP socket to a server carries all its queries in
	 * flight: a burst of answers (hundreds of sessions asking at once)
	 * must fit in its receive buffer until the leader reads it. The
	 * kernel caps the size at net.core.rmem_max; DNS_SHARDS channels,
	 * queries going to the least busy, spread a burst over as many
	 * sockets.
	 */
	o.socket_receive_buffer_size = DNS_RCVBUF;
	rc = ares_init_options(&sh->ch, &o, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS |
	    ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB | ARES_OPT_SOCK_RCVBUF);
	if (rc != ARES_SUCCESS) {
		sh->ch = NULL;
		snprintf(err, errlen, "dns: c-ares: %s", ares_strerror(rc));
		return -1;
	}
	ares_set_socket_callback(sh->ch, sock_created, NULL);
	if (csv[0] != '\0' &&
	    (rc = ares_set_servers_ports_csv(sh->ch, csv)) != ARES_SUCCESS) {
		snprintf(err, errlen, "dns: servers '%s': %s", csv,
		    ares_strerror(rc));
		return -1;
	}
	return 0;
}

struct dns *
dns_new(const struct dns_conf *c, char *err, size_t errlen)
{
	static const struct dns_conf none;
	struct dns *d;
	char csv[2048];
	int i;

	if (c == NULL)
		c = &none;
	pthread_once(&ares_once, library_init);
	if (ares_init_rc != ARES_SUCCESS) {
		snprintf(err, errlen, "dns: c-ares: %s", ares_strerror(ares_init_rc));
		return NULL;
	}
	if (server_csv(c, csv, sizeof(csv), err, errlen) == -1)
		return NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		goto nomem;
	pthread_mutex_init(&d->mu, NULL);
	d->epfd = -1;
	d->cache_max = c->cache_max ? c->cache_max : DNS_CACHE_DEFAULT;
	d->nbuckets = d->cache_max < 64 ? 64 : d->cache_max;
	if ((d->tab = calloc(d->nbuckets, sizeof(*d->tab))) == NULL)
		goto nomem;
	if ((d->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		snprintf(err, errlen, "dns: epoll: %s", strerror(errno));
		goto fail;
	}
	for (i = 0; i < DNS_SHARDS; i++)
		if (shard_init(d, &d->sh[i], (unsigned)i, c, csv, err,
		    errlen) == -1)
			goto fail;
	return d;
nomem:
	snprintf(err, errlen, "dns: out of memory");
fail:
	dns_free(d);
	return NULL;
}

void
dns_free(struct dns *d)
{
	int i;

	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	for (i = 0; i < DNS_SHARDS; i++)
		if (d->sh[i].ch != NULL)
			ares_destroy(d->sh[i].ch);	/* calls back every query still out */
	pthread_mutex_unlock(&d->mu);
	while (d->lru_head != NULL)
		cache_drop(d, d->lru_head);
	if (d->epfd != -1)
		close(d->epfd);
	free(d->tab);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

void
dns_stats(struct dns *d, struct dns_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	st->inflight = d->inflight;
	st->cached = d->ncached;
	st->cache_bytes = d->cache_bytes;
	st->sent = d->sent;
	st->hits = d->hits;
	pthread_mutex_unlock(&d->mu);
}
