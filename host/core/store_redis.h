/*
 * store_redis - the Redis backend of the store (store.h), for fleets
 *
 * Keys are the configured prefix plus the script's key. Values: an
 * integer is its decimal digits (so INCRBY works on it), a number is
 * "%.17g" made to show a '.' or an exponent, a string is "s:" and its
 * bytes; a value some other tool wrote that is none of these reads back
 * as a string. incr is one EVALSHA of a small script (EVAL when the
 * server does not know it yet): EXISTS, INCRBY, and PEXPIRE when the key
 * was created, atomic on the server, one round trip.
 *
 * Every failure (down, store.timeout, an error reply, OOM) is -1 with
 * errno EIO or ETIMEDOUT, logged once per burst (the first, then a count
 * of the ones after it at most every 10 s).
 */
#ifndef STORE_REDIS_H
#define STORE_REDIS_H

#include <stdint.h>

#define STORE_REDIS_MAX		(512 * 1024 * 1024)	/* Redis's own bulk limit */

struct store_redis;
struct store_backend;

struct store_redis_opts {
	const char	*server;	/* "host:port", "[ip6]:port", "unix:/path" */
	const char	*prefix;	/* prepended to every key */
	const char	*password;	/* NULL: no AUTH */
	int		 db;
	uint64_t	 timeout_ms;	/* a whole operation */
	unsigned	 pool;		/* connections at most */
};

/* store_redis_new - a backend (connects on first use); NULL with err */
struct store_redis *store_redis_new(const struct store_redis_opts *,
		    char *err, size_t errlen);
/* store_redis_backend - its calls, for store_use() */
const struct store_backend *store_redis_backend(struct store_redis *);
/* store_redis_same - whether o would make the same backend as sr */
int		 store_redis_same(const struct store_redis *,
		    const struct store_redis_opts *);

#endif /* STORE_REDIS_H */
