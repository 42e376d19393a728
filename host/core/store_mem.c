/*
 * store_mem - the in-process backend of the store
 *
 * Public: store_mem_backend, store_mem_set_max(), store_mem_used(),
 * store_mem_count(), store_mem_clear().
 *
 * A chained hash table (FNV-1a) plus a binary min-heap of the entries that
 * have a ttl, ordered by expiry: the heap's top is the entry to evict
 * first when a write would pass the memory bound (an expired entry is
 * always at the top before any live one). Expiry is lazy otherwise: an
 * expired entry is dropped when it is looked up or reaches the top of the
 * heap during an eviction. Times come from CLOCK_MONOTONIC. One mutex
 * guards everything; no call does more than O(log n) work under it,
 * except evictions, which free what they remove.
 *
 * Charging: each entry costs sizeof(struct entry) + its key + its string
 * value + ENTRY_OVERHEAD (what malloc keeps beside each block), and the
 * bucket and heap arrays are charged too, so the bound holds for the
 * memory the store really asks of malloc, within a few per cent.
 *
 * Input (keys, values) is untrusted script data: lengths are checked, bytes
 * may be anything. Failures return -1 with errno, never abort.
 */

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "store_mem.h"

#define ENTRY_OVERHEAD	32	/* two malloc blocks' headers, rounded up */
#define NO_HEAP		((size_t)-1)

struct entry {
	struct entry	*hnext;		/* hash chain */
	size_t		 heap;		/* index in the heap, NO_HEAP: no ttl */
	uint64_t	 hash;
	double		 expires;	/* monotonic seconds; 0: never */
	enum pg_store_type type;
	int64_t		 i;
	double		 d;
	char		*s;
	size_t		 slen;
	size_t		 klen;
	char		 key[];
};

static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry	**buckets;
static size_t		 nbuckets;
static struct entry	**heap;
static size_t		 nheap, heapcap;
static size_t		 count;
static size_t		 used;		/* bytes charged */
static size_t		 max_bytes = STORE_MEM_MAX_DEFAULT;

/* now - monotonic seconds */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* hash - FNV-1a */
static uint64_t
hash(const char *k, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)k[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* cost - what an entry with a key of klen and sbytes of string is charged */
static size_t
cost(size_t klen, size_t sbytes)
{
	return sizeof(struct entry) + klen + 1 + sbytes + ENTRY_OVERHEAD;
}

/*
 * The heap of entries with a ttl.
 */

static void
heap_put(size_t i, struct entry *e)
{
	heap[i] = e;
	e->heap = i;
}

static void
heap_up(size_t i)
{
	struct entry *e = heap[i];

	while (i > 0 && heap[(i - 1) / 2]->expires > e->expires) {
		heap_put(i, heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_put(i, e);
}

static void
heap_down(size_t i)
{
	struct entry *e = heap[i];
	size_t c;

	while ((c = 2 * i + 1) < nheap) {
		if (c + 1 < nheap && heap[c + 1]->expires < heap[c]->expires)
			c++;
		if (heap[c]->expires >= e->expires)
			break;
		heap_put(i, heap[c]);
		i = c;
	}
	heap_put(i, e);
}

/* heap_remove - take e out of the heap (when it is in it) */
static void
heap_remove(struct entry *e)
{
	size_t i = e->heap;

	if (i == NO_HEAP)
		return;
	e->heap = NO_HEAP;
	if (i == --nheap)
		return;
	heap_put(i, heap[nheap]);
	heap_up(i);
	heap_down(heap[i]->heap);
}

/* heap_add - put e (with a ttl) in the heap; -1 when it cannot grow */
static int
heap_add(struct entry *e)
{
	struct entry **nh;
	size_t n;

	if (nheap == heapcap) {
		n = heapcap ? heapcap * 2 : 64;
		if ((nh = realloc(heap, n * sizeof(*nh))) == NULL)
			return -1;
		used += (n - heapcap) * sizeof(*nh);
		heap = nh;
		heapcap = n;
	}
	heap_put(nheap++, e);
	heap_up(nheap - 1);
	return 0;
}

/* set_expiry - give e its expiry time (0: none), in the heap or out of it */
static int
set_expiry(struct entry *e, double expires)
{
	if (expires == 0) {
		heap_remove(e);
		e->expires = 0;
		return 0;
	}
	if (e->heap != NO_HEAP) {
		e->expires = expires;
		heap_up(e->heap);
		heap_down(e->heap);
		return 0;
	}
	e->expires = expires;
	return heap_add(e);
}

/* entry_remove - unlink e from the table and the heap and free it */
static void
entry_remove(struct entry *e)
{
	struct entry **pp = &buckets[e->hash % nbuckets];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	heap_remove(e);
	used -= cost(e->klen, e->s ? e->slen + 1 : 0);
	free(e->s);
	free(e);
	count--;
}

/* lookup - the live entry for key, dropping it when expired */
static struct entry *
lookup(const char *key, size_t klen, uint64_t h, double t)
{
	struct entry *e;

	if (nbuckets == 0)
		return NULL;
	for (e = buckets[h % nbuckets]; e; e = e->hnext)
		if (e->hash == h && e->klen == klen &&
		    memcmp(e->key, key, klen) == 0)
			break;
	if (e && e->expires != 0 && e->expires <= t) {
		entry_remove(e);
		return NULL;
	}
	return e;
}

/*
 * make_room - evict, soonest expiry first, until need more bytes fit
 * under the bound; keep is never evicted (the entry being written). -1
 * with ENOSPC when what is left has no ttl.
 */
static int
make_room(size_t need, const struct entry *keep)
{
	while (used + need > max_bytes) {
		if (nheap == 0 || (heap[0] == keep && nheap == 1)) {
			errno = ENOSPC;
			return -1;
		}
		if (heap[0] == keep) {
			/* evict the sooner of its two children instead */
			size_t c = 1;

			if (nheap > 2 && heap[2]->expires < heap[1]->expires)
				c = 2;
			entry_remove(heap[c]);
		} else
			entry_remove(heap[0]);
	}
	return 0;
}

/* grow - double the table when the load passes 1 */
static int
grow(void)
{
	struct entry **nb, *e, *next;
	size_t n, i;

	if (count < nbuckets)
		return 0;
	n = nbuckets ? nbuckets * 2 : 64;
	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return -1;
	for (i = 0; i < nbuckets; i++)
		for (e = buckets[i]; e; e = next) {
			next = e->hnext;
			e->hnext = nb[e->hash % n];
			nb[e->hash % n] = e;
		}
	free(buckets);
	used += (n - nbuckets) * sizeof(*nb);
	buckets = nb;
	nbuckets = n;
	return 0;
}

/* create - a new entry for key (no value yet), room made for slen more */
static struct entry *
create(const char *key, size_t klen, uint64_t h, size_t slen)
{
	struct entry *e;

	if (make_room(cost(klen, slen) + (count >= nbuckets ?
	    (nbuckets ? nbuckets : 64) * sizeof(*buckets) : 0), NULL) == -1)
		return NULL;
	if (grow() == -1 || (e = calloc(1, sizeof(*e) + klen + 1)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(e->key, key, klen);
	e->klen = klen;
	e->hash = h;
	e->heap = NO_HEAP;
	e->hnext = buckets[h % nbuckets];
	buckets[h % nbuckets] = e;
	count++;
	used += cost(klen, 0);
	return e;
}

/* check_key - validate a key's length */
static int
check_key(const char *key, size_t klen)
{
	if (key == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (klen > STORE_MEM_KEY_MAX) {
		errno = E2BIG;
		return -1;
	}
	return 0;
}

/* as_int - the integer an entry holds for incr; -1 when it holds none */
static int
as_int(const struct entry *e, int64_t *cur)
{
	switch (e->type) {
	case PG_STORE_INT:
		*cur = e->i;
		return 0;
	case PG_STORE_NUM:
		if (!(e->d >= -9.2e18 && e->d <= 9.2e18) || e->d != floor(e->d))
			return -1;
		*cur = (int64_t)e->d;
		return 0;
	default:
		return -1;
	}
}

static int
mem_incr(void *ctx, const char *key, size_t klen, int64_t n, double ttl,
    int64_t *result)
{
	struct entry *e;
	double t = now();
	uint64_t h;
	int64_t cur = 0;
	int rc = -1;

	(void)ctx;
	if (check_key(key, klen) == -1)
		return -1;
	h = hash(key, klen);
	pthread_mutex_lock(&lock);
	if ((e = lookup(key, klen, h, t)) != NULL) {
		if (as_int(e, &cur) == -1 || (n > 0 && cur > INT64_MAX - n) ||
		    (n < 0 && cur < INT64_MIN - n)) {
			errno = EINVAL;
			goto out;
		}
	} else {
		if ((e = create(key, klen, h, 0)) == NULL)
			goto out;
		if (ttl > 0 && set_expiry(e, t + ttl) == -1) {
			entry_remove(e);
			errno = ENOMEM;
			goto out;
		}
	}
	e->type = PG_STORE_INT;
	e->i = cur + n;
	*result = e->i;
	rc = 0;
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

static int
mem_get(void *ctx, const char *key, size_t klen, struct pg_store_value *v)
{
	struct entry *e;
	uint64_t h;
	int rc = 0;

	(void)ctx;
	memset(v, 0, sizeof(*v));
	if (check_key(key, klen) == -1)
		return -1;
	h = hash(key, klen);
	pthread_mutex_lock(&lock);
	if ((e = lookup(key, klen, h, now())) != NULL) {
		v->type = e->type;
		v->i = e->i;
		v->d = e->d;
		if (e->type == PG_STORE_STR) {
			if ((v->s = malloc(e->slen + 1)) == NULL) {
				v->type = PG_STORE_NONE;
				errno = ENOMEM;
				rc = -1;
			} else {
				memcpy(v->s, e->s, e->slen);
				v->s[e->slen] = '\0';
				v->len = e->slen;
			}
		}
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

static int
mem_del(void *ctx, const char *key, size_t klen)
{
	struct entry *e;
	int found = 0;

	(void)ctx;
	if (check_key(key, klen) == -1)
		return -1;
	pthread_mutex_lock(&lock);
	if ((e = lookup(key, klen, hash(key, klen), now())) != NULL) {
		entry_remove(e);
		found = 1;
	}
	pthread_mutex_unlock(&lock);
	return found;
}

/* replace - write v into e (s: the new string, owned), charging the change */
static int
replace(struct entry *e, const struct pg_store_value *v, char *s,
    double expires)
{
	size_t oldc = cost(e->klen, e->s ? e->slen + 1 : 0);
	size_t newc = cost(e->klen, s ? v->len + 1 : 0);

	if (newc > oldc && make_room(newc - oldc, e) == -1)
		return -1;
	if (set_expiry(e, expires) == -1) {
		errno = ENOMEM;
		return -1;
	}
	free(e->s);
	used = used - oldc + newc;
	e->s = s;
	e->slen = s ? v->len : 0;
	e->type = v->type;
	e->i = v->i;
	e->d = v->d;
	return 0;
}

static int
mem_set(void *ctx, const char *key, size_t klen,
    const struct pg_store_value *v, double ttl)
{
	struct entry *e;
	double t = now();
	uint64_t h;
	char *s = NULL;
	int rc = -1, created = 0;

	if (check_key(key, klen) == -1)
		return -1;
	h = hash(key, klen);
	if (v->type == PG_STORE_NONE)
		return mem_del(ctx, key, klen) == -1 ? -1 : 0;
	if (v->type == PG_STORE_STR) {
		if (v->s == NULL && v->len > 0) {
			errno = EINVAL;
			return -1;
		}
		if (v->len > STORE_MEM_VALUE_MAX) {
			errno = E2BIG;
			return -1;
		}
		if ((s = malloc(v->len + 1)) == NULL)
			return -1;
		memcpy(s, v->s, v->len);
		s[v->len] = '\0';
	}
	pthread_mutex_lock(&lock);
	if ((e = lookup(key, klen, h, t)) == NULL) {
		if ((e = create(key, klen, h, s ? v->len + 1 : 0)) == NULL)
			goto out;
		created = 1;
	}
	if (replace(e, v, s, ttl > 0 ? t + ttl : 0) == -1) {
		if (created)
			entry_remove(e);
		goto out;
	}
	s = NULL;
	rc = 0;
out:
	pthread_mutex_unlock(&lock);
	free(s);
	return rc;
}

const struct store_backend store_mem_backend = {
	.name = "memory",
	.incr = mem_incr,
	.get = mem_get,
	.set = mem_set,
	.del = mem_del,
	.ctx = NULL
};

void
store_mem_set_max(size_t bytes)
{
	pthread_mutex_lock(&lock);
	max_bytes = bytes ? bytes : 1;
	(void)make_room(0, NULL);
	pthread_mutex_unlock(&lock);
}

size_t
store_mem_used(void)
{
	size_t n;

	pthread_mutex_lock(&lock);
	n = used;
	pthread_mutex_unlock(&lock);
	return n;
}

size_t
store_mem_count(void)
{
	size_t n;

	pthread_mutex_lock(&lock);
	n = count;
	pthread_mutex_unlock(&lock);
	return n;
}

void
store_mem_clear(void)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nbuckets; i++)
		while (buckets[i])
			entry_remove(buckets[i]);
	pthread_mutex_unlock(&lock);
}
