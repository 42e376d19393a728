/*
 * store - the process-wide key/value store behind pg.store
 *
 * One store per process, shared on purpose by every chain generation and
 * every interpreter. Thread-safe (one mutex). Keys are byte strings of at
 * most STORE_KEY_MAX bytes; values are integers, numbers or byte strings of
 * at most STORE_VALUE_MAX bytes. Every entry may carry a time to live in
 * seconds (0: none). The store holds at most store_max entries: when full,
 * expired entries go first, then the least recently written.
 *
 * The interface is small on purpose so that a networked backend (Redis)
 * can implement the same five functions later.
 *
 * Errors: functions return 0, or -1 with errno: EINVAL (key or value too
 * long, incr on a value that is not a number), ENOMEM.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_KEY_MAX		1024
#define STORE_VALUE_MAX		65536
#define STORE_MAX_DEFAULT	100000

enum store_type {
	STORE_NONE = 0,		/* no such key (get) */
	STORE_INT,
	STORE_NUM,
	STORE_STR
};

struct store_value {
	enum store_type	 type;
	int64_t		 i;
	double		 d;
	char		*s;		/* STORE_STR: malloc'd copy for the caller, free() it */
	size_t		 len;
};

/* store_set_max - bound the number of entries (default STORE_MAX_DEFAULT). */
void	store_set_max(size_t);
size_t	store_count(void);

/*
 * store_incr - add n to the integer at key (a missing or expired key counts
 * as 0); ttl (seconds, 0: none) is set only when the key is created, so a
 * fixed window rate limit is one call. *result gets the new value.
 */
int	store_incr(const char *key, size_t klen, int64_t n, double ttl,
	    int64_t *result);
/* store_get - copy the value into *v (v->type STORE_NONE when absent). */
int	store_get(const char *key, size_t klen, struct store_value *v);
/* store_set - set the value (v->s/len for strings, copied) and its ttl. */
int	store_set(const char *key, size_t klen, const struct store_value *v,
	    double ttl);
/* store_delete - 1 when the key existed, 0 when not. */
int	store_delete(const char *key, size_t klen);
/* store_clear - drop every entry (tests). */
void	store_clear(void);

#endif /* STORE_H */
