/*
 * store - the process-wide key/value store: the backend in use
 *
 * Public: store_incr(), store_get(), store_set(), store_delete(),
 * store_strerror(), store_apply(), store_use(), store_backend_name().
 *
 * The backend in use is one pointer, read and written atomically: a call
 * uses the backend it read at its start to its end, so a reload that
 * switches backends never pulls one from under a call. Redis backends are
 * never freed (see store_redis.c); the one last made is reused when a
 * reload keeps the same settings.
 */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "metrics.h"
#include "store.h"
#include "store_mem.h"
#include "store_redis.h"

static const struct store_backend *current = &store_mem_backend;
static pthread_mutex_t apply_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store_redis *last_redis;

static const struct store_backend *
backend(void)
{
	return __atomic_load_n(&current, __ATOMIC_ACQUIRE);
}

void
store_use(const struct store_backend *b)
{
	__atomic_store_n(&current, b ? b : &store_mem_backend,
	    __ATOMIC_RELEASE);
}

const char *
store_backend_name(void)
{
	return backend()->name;
}

/* counted - one call of op in phasegate_store_ops_total; returns rc */
static int
counted(const char *op, int rc, const char *ok)
{
	metrics_count(METRICS_STORE, op, rc == -1 ? "error" : ok, 1);
	return rc;
}

int
store_incr(const char *key, size_t klen, int64_t n, double ttl,
    int64_t *result)
{
	const struct store_backend *b = backend();

	return counted("incr", b->incr(b->ctx, key, klen, n, ttl, result),
	    "ok");
}

int
store_get(const char *key, size_t klen, struct pg_store_value *v)
{
	const struct store_backend *b = backend();
	int rc = b->get(b->ctx, key, klen, v);

	return counted("get", rc, v->type == PG_STORE_NONE ? "miss" : "ok");
}

int
store_set(const char *key, size_t klen, const struct pg_store_value *v,
    double ttl)
{
	const struct store_backend *b = backend();

	return counted("set", b->set(b->ctx, key, klen, v, ttl), "ok");
}

int
store_delete(const char *key, size_t klen)
{
	const struct store_backend *b = backend();
	int rc = b->del(b->ctx, key, klen);

	return counted("delete", rc, rc > 0 ? "ok" : "miss");
}

const char *
store_strerror(int err)
{
	switch (err) {
	case EINVAL:
		return "the value is not an integer (or would overflow)";
	case E2BIG:
		return "key or value too long";
	case ENOSPC:
		return "store.memory_max reached";
	case ETIMEDOUT:
		return "timed out (store.timeout)";
	case EIO:
		return "the store's server failed";
	case ENOMEM:
		return "out of memory";
	default:
		return strerror(err);
	}
}

int
store_apply(const struct config *cfg, char *err, size_t errlen)
{
	struct store_redis_opts o;
	struct store_redis *sr;
	char why[256];

	store_mem_set_max(cfg->store_memory_max);
	if (cfg->store_redis == NULL) {
		store_use(NULL);
		return 0;
	}
	memset(&o, 0, sizeof(o));
	o.server = cfg->store_redis;
	o.prefix = cfg->store_prefix;
	o.password = cfg->store_password;
	o.db = cfg->store_db;
	o.timeout_ms = cfg->store_timeout_ms;
	o.pool = cfg->store_pool;
	pthread_mutex_lock(&apply_lock);
	if (last_redis == NULL || !store_redis_same(last_redis, &o)) {
		if ((sr = store_redis_new(&o, why, sizeof(why))) == NULL) {
			pthread_mutex_unlock(&apply_lock);
			snprintf(err, errlen, "store.redis: %s", why);
			return -1;
		}
		last_redis = sr;
	}
	store_use(store_redis_backend(last_redis));
	pthread_mutex_unlock(&apply_lock);
	return 0;
}
