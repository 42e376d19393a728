/*
 * store - the process-wide key/value store behind pg.store and the host
 * table's store_* members (DESIGN section 10)
 *
 * One store per process, shared on purpose by every chain generation,
 * every interpreter and every C plugin. Its backend is in-process
 * (store_mem.c, the default) or Redis (store_redis.c, store = { redis =
 * ... }); store_apply() picks it from a configuration, so a reload that
 * changes the store section takes effect for the calls that follow.
 *
 * Values are struct pg_store_value (phasegate/plugin.h): integers,
 * numbers or byte strings, each key with an optional time to live in
 * seconds (0: none). incr sets the ttl only when it creates the key, so a
 * fixed-window rate limit is one call.
 *
 * Errors: -1 with errno: EINVAL (incr on a value that is not an integer,
 * or an overflow), E2BIG (key or value over the backend's limit: refused
 * before anything is sent), ENOSPC (in-process: store.memory_max reached
 * with nothing left to evict), ENOMEM, EIO (Redis down, an error reply,
 * Redis out of memory), ETIMEDOUT (store.timeout passed). A caller turns
 * them into a filter error (on_error); store_strerror() names them.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include <phasegate/plugin.h>

struct config;

/* one backend: the calls store_*() hand on */
struct store_backend {
	const char	*name;		/* "memory", "redis" */
	int		 (*incr)(void *ctx, const char *key, size_t klen,
			    int64_t n, double ttl, int64_t *result);
	int		 (*get)(void *ctx, const char *key, size_t klen,
			    struct pg_store_value *v);
	int		 (*set)(void *ctx, const char *key, size_t klen,
			    const struct pg_store_value *v, double ttl);
	int		 (*del)(void *ctx, const char *key, size_t klen);
	void		*ctx;
};

int		 store_incr(const char *key, size_t klen, int64_t n, double ttl,
		    int64_t *result);
/* store_get - into *v (v->type PG_STORE_NONE when absent; v->s malloc'd) */
int		 store_get(const char *key, size_t klen, struct pg_store_value *v);
/* store_set - v->s/len copied; PG_STORE_NONE deletes */
int		 store_set(const char *key, size_t klen,
		    const struct pg_store_value *v, double ttl);
/* store_delete - 1 when the key existed, 0 when not, -1 on error */
int		 store_delete(const char *key, size_t klen);
/* store_strerror - "key or value too long", ... for an errno of the above */
const char	*store_strerror(int err);

/*
 * store_apply - use the store section of cfg: memory_max for the
 * in-process store, and the Redis backend when cfg->store_redis is set
 * (its pool is kept when the settings did not change). 0, or -1 with the
 * reason in err (the store in use is left as it was).
 */
int		 store_apply(const struct config *cfg, char *err, size_t errlen);
/* store_use - put b in use (NULL: the in-process store); b must outlive it */
void		 store_use(const struct store_backend *b);
/* store_backend_name - the backend in use ("memory", "redis") */
const char	*store_backend_name(void);

#endif /* STORE_H */
