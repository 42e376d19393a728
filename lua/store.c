/*
 * store - the process-wide key/value store behind pg.store
 *
 * Public: store_incr(), store_get(), store_set(), store_delete(),
 * store_set_max(), store_count(), store_clear().
 *
 * A chained hash table (FNV-1a) plus a doubly linked list in write order:
 * the head is the least recently written entry, evicted first when the
 * store is full (after any expired entry found on the way). Expiry is
 * lazy: an expired entry is dropped when it is looked up or evicted.
 * Times come from CLOCK_MONOTONIC. One mutex guards everything; no call
 * does more than O(1) work on average under it.
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

struct entry {
	struct entry	*hnext;		/* hash chain */
	struct entry	*prev, *next;	/* write order */
	uint64_t	 hash;
	double		 expires;	/* monotonic seconds; 0: never */
	enum store_type	 type;
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
static size_t		 count;
static size_t		 max_entries = STORE_MAX_DEFAULT;
static struct entry	*oldest, *newest;

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

/* list_unlink - take e out of the write-order list */
static void
list_unlink(struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		oldest = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		newest = e->prev;
	e->prev = e->next = NULL;
}

/* list_append - make e the newest entry */
static void
list_append(struct entry *e)
{
	e->prev = newest;
	e->next = NULL;
	if (newest)
		newest->next = e;
	else
		oldest = e;
	newest = e;
}

/* entry_remove - unlink e from the table and the list and free it */
static void
entry_remove(struct entry *e)
{
	struct entry **pp = &buckets[e->hash % nbuckets];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	list_unlink(e);
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
	buckets = nb;
	nbuckets = n;
	return 0;
}

/* make_room - evict until one more entry fits */
static void
make_room(double t)
{
	struct entry *e, *next;
	int scanned = 0;

	/* Prefer expired entries near the old end; look at a few only. */
	for (e = oldest; e && count >= max_entries && scanned < 16;
	    e = next, scanned++) {
		next = e->next;
		if (e->expires != 0 && e->expires <= t)
			entry_remove(e);
	}
	while (count >= max_entries && oldest)
		entry_remove(oldest);
}

/* create - a new entry for key, newest in the list */
static struct entry *
create(const char *key, size_t klen, uint64_t h, double t)
{
	struct entry *e;

	make_room(t);
	if (grow() == -1)
		return NULL;
	if ((e = calloc(1, sizeof(*e) + klen + 1)) == NULL)
		return NULL;
	memcpy(e->key, key, klen);
	e->klen = klen;
	e->hash = h;
	e->hnext = buckets[h % nbuckets];
	buckets[h % nbuckets] = e;
	list_append(e);
	count++;
	return e;
}

/* check_key - validate a key's length */
static int
check_key(const char *key, size_t klen)
{
	if (key == NULL || klen > STORE_KEY_MAX) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

void
store_set_max(size_t n)
{
	pthread_mutex_lock(&lock);
	max_entries = n ? n : 1;
	while (count > max_entries && oldest)
		entry_remove(oldest);
	pthread_mutex_unlock(&lock);
}

size_t
store_count(void)
{
	size_t n;

	pthread_mutex_lock(&lock);
	n = count;
	pthread_mutex_unlock(&lock);
	return n;
}

int
store_incr(const char *key, size_t klen, int64_t n, double ttl,
    int64_t *result)
{
	struct entry *e;
	double t = now();
	uint64_t h = hash(key, klen);
	int64_t cur = 0;
	int rc = 0;

	if (check_key(key, klen) == -1)
		return -1;
	pthread_mutex_lock(&lock);
	if ((e = lookup(key, klen, h, t)) != NULL) {
		switch (e->type) {
		case STORE_INT:
			cur = e->i;
			break;
		case STORE_NUM:
			if (!(e->d >= -9.2e18 && e->d <= 9.2e18) ||
			    e->d != floor(e->d))
				goto bad;
			cur = (int64_t)e->d;
			break;
		default:
			goto bad;
		}
		if ((n > 0 && cur > INT64_MAX - n) ||
		    (n < 0 && cur < INT64_MIN - n))
			goto bad;
		list_unlink(e);
		list_append(e);
	} else {
		if ((e = create(key, klen, h, t)) == NULL) {
			errno = ENOMEM;
			rc = -1;
			goto out;
		}
		e->expires = ttl > 0 ? t + ttl : 0;
	}
	e->type = STORE_INT;
	e->i = cur + n;
	*result = e->i;
	goto out;
bad:
	errno = EINVAL;
	rc = -1;
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

int
store_get(const char *key, size_t klen, struct store_value *v)
{
	struct entry *e;
	uint64_t h = hash(key, klen);
	int rc = 0;

	memset(v, 0, sizeof(*v));
	if (check_key(key, klen) == -1)
		return -1;
	pthread_mutex_lock(&lock);
	if ((e = lookup(key, klen, h, now())) != NULL) {
		v->type = e->type;
		v->i = e->i;
		v->d = e->d;
		if (e->type == STORE_STR) {
			if ((v->s = malloc(e->slen + 1)) == NULL) {
				v->type = STORE_NONE;
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

int
store_set(const char *key, size_t klen, const struct store_value *v,
    double ttl)
{
	struct entry *e;
	double t = now();
	uint64_t h = hash(key, klen);
	char *s = NULL;
	int rc = 0;

	if (check_key(key, klen) == -1)
		return -1;
	if (v->type == STORE_STR) {
		if (v->len > STORE_VALUE_MAX) {
			errno = EINVAL;
			return -1;
		}
		if ((s = malloc(v->len + 1)) == NULL)
			return -1;
		memcpy(s, v->s, v->len);
		s[v->len] = '\0';
	} else if (v->type == STORE_NONE) {
		store_delete(key, klen);
		return 0;
	}
	pthread_mutex_lock(&lock);
	if ((e = lookup(key, klen, h, t)) != NULL) {
		list_unlink(e);
		list_append(e);
	} else if ((e = create(key, klen, h, t)) == NULL) {
		free(s);
		errno = ENOMEM;
		rc = -1;
		goto out;
	}
	free(e->s);
	e->s = s;
	e->slen = v->len;
	e->type = v->type;
	e->i = v->i;
	e->d = v->d;
	e->expires = ttl > 0 ? t + ttl : 0;
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

int
store_delete(const char *key, size_t klen)
{
	struct entry *e;
	int found = 0;

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

void
store_clear(void)
{
	pthread_mutex_lock(&lock);
	while (oldest)
		entry_remove(oldest);
	pthread_mutex_unlock(&lock);
}
