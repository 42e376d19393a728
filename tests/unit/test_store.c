/*
 * test_store - pg.store's C side (host/core/store*.c): one API table run
 * against the in-process backend, and against Redis when $PG_TEST_REDIS
 * names a server (tests/store/redis.sh starts one); then the in-process
 * store's memory bound (store.memory_max: soonest-expiring evicted first,
 * ENOSPC when nothing is left to evict) and many threads at once.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "host_api.h"
#include "store.h"
#include "store_mem.h"
#include "store_redis.h"

#define K(s)	s, strlen(s)

static struct store_redis *redis;

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
use_mem(void **state)
{
	(void)state;
	store_use(NULL);
	store_mem_clear();
	store_mem_set_max(STORE_MEM_MAX_DEFAULT);
	return 0;
}

static int
use_redis(void **state)
{
	(void)state;
	store_use(store_redis_backend(redis));
	return 0;
}

/* k - a key (the tests delete what they use first: Redis keeps keys) */
static const char *
k(const char *name)
{
	return name;
}

static void
test_api(void **state)
{
	struct pg_store_value v, sv;
	int64_t r;

	(void)state;
	store_delete(K(k("a")));
	store_delete(K(k("s")));
	store_delete(K(k("n")));
	assert_int_equal(store_get(K(k("a")), &v), 0);
	assert_int_equal(v.type, PG_STORE_NONE);
	assert_int_equal(store_incr(K(k("a")), 1, 0, &r), 0);
	assert_int_equal(r, 1);
	assert_int_equal(store_incr(K(k("a")), -5, 0, &r), 0);
	assert_int_equal(r, -4);
	assert_int_equal(store_get(K(k("a")), &v), 0);
	assert_int_equal(v.type, PG_STORE_INT);
	assert_int_equal(v.i, -4);

	memset(&sv, 0, sizeof(sv));
	sv.type = PG_STORE_STR;
	sv.s = "bin\0ary";
	sv.len = 7;
	assert_int_equal(store_set(K(k("s")), &sv, 0), 0);
	assert_int_equal(store_get(K(k("s")), &v), 0);
	assert_int_equal(v.type, PG_STORE_STR);
	assert_int_equal(v.len, 7);
	assert_memory_equal(v.s, "bin\0ary", 7);
	free(v.s);
	/* a string of digits stays a string */
	sv.s = "12";
	sv.len = 2;
	assert_int_equal(store_set(K(k("s")), &sv, 0), 0);
	assert_int_equal(store_get(K(k("s")), &v), 0);
	assert_int_equal(v.type, PG_STORE_STR);
	free(v.s);
	/* incr on a string is refused, the value stays */
	assert_int_equal(store_incr(K(k("s")), 1, 0, &r), -1);
	assert_int_equal(errno, EINVAL);

	sv.type = PG_STORE_NUM;
	sv.d = 2.5;
	assert_int_equal(store_set(K(k("n")), &sv, 0), 0);
	assert_int_equal(store_get(K(k("n")), &v), 0);
	assert_int_equal(v.type, PG_STORE_NUM);
	assert_true(v.d == 2.5);
	sv.type = PG_STORE_INT;
	sv.i = 40;
	assert_int_equal(store_set(K(k("n")), &sv, 0), 0);
	assert_int_equal(store_incr(K(k("n")), 2, 0, &r), 0);
	assert_int_equal(r, 42);

	assert_int_equal(store_delete(K(k("a"))), 1);
	assert_int_equal(store_delete(K(k("a"))), 0);
	/* PG_STORE_NONE deletes */
	sv.type = PG_STORE_NONE;
	assert_int_equal(store_set(K(k("n")), &sv, 0), 0);
	assert_int_equal(store_get(K(k("n")), &v), 0);
	assert_int_equal(v.type, PG_STORE_NONE);
}

static void
test_overflow(void **state)
{
	int64_t r;

	(void)state;
	store_delete(K(k("o")));
	assert_int_equal(store_incr(K(k("o")), INT64_MAX, 0, &r), 0);
	assert_int_equal(store_incr(K(k("o")), 1, 0, &r), -1);
	assert_int_equal(errno, EINVAL);
}

static void
test_ttl(void **state)
{
	struct pg_store_value v, sv;
	int64_t r;

	(void)state;
	store_delete(K(k("t")));
	store_delete(K(k("forever")));
	assert_int_equal(store_incr(K(k("t")), 1, 0.2, &r), 0);
	/* a later incr keeps the first expiry: a fixed window */
	assert_int_equal(store_incr(K(k("t")), 1, 10, &r), 0);
	assert_int_equal(r, 2);
	assert_int_equal(store_incr(K(k("forever")), 1, 0, &r), 0);
	memset(&sv, 0, sizeof(sv));
	sv.type = PG_STORE_INT;
	sv.i = 7;
	assert_int_equal(store_set(K(k("st")), &sv, 0.2), 0);
	sleep_ms(400);
	assert_int_equal(store_get(K(k("t")), &v), 0);
	assert_int_equal(v.type, PG_STORE_NONE);
	assert_int_equal(store_get(K(k("st")), &v), 0);
	assert_int_equal(v.type, PG_STORE_NONE);
	assert_int_equal(store_incr(K(k("t")), 1, 0, &r), 0);
	assert_int_equal(r, 1);
	assert_int_equal(store_get(K(k("forever")), &v), 0);
	assert_int_equal(v.type, PG_STORE_INT);
}

static void
test_too_long(void **state)
{
	struct pg_store_value v;
	int64_t r;
	char *big;
	size_t n = STORE_MEM_KEY_MAX + 1;

	(void)state;
	if (strcmp(store_backend_name(), "redis") == 0) {
		/* over 512 MB: refused before anything is sent (never allocated) */
		memset(&v, 0, sizeof(v));
		v.type = PG_STORE_STR;
		v.s = (char *)"x";
		v.len = (size_t)STORE_REDIS_MAX + 1;
		assert_int_equal(store_set(K("big"), &v, 0), -1);
		assert_int_equal(errno, E2BIG);
		assert_int_equal(store_incr("k", (size_t)STORE_REDIS_MAX + 1,
		    1, 0, &r), -1);
		assert_int_equal(errno, E2BIG);
		return;
	}
	big = calloc(1, STORE_MEM_VALUE_MAX + 2);
	memset(big, 'k', STORE_MEM_VALUE_MAX + 1);
	assert_int_equal(store_incr(big, n, 1, 0, &r), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(store_get(big, n, &v), -1);
	memset(&v, 0, sizeof(v));
	v.type = PG_STORE_STR;
	v.s = big;
	v.len = STORE_MEM_VALUE_MAX + 1;
	assert_int_equal(store_set(K("x"), &v, 0), -1);
	assert_int_equal(errno, E2BIG);
	free(big);
}

/* memory_max: a filler with a ttl is evicted, soonest expiry first */
static void
test_memory_max(void **state)
{
	struct pg_store_value v, sv;
	char key[32], val[1000];
	int64_t r;
	int i, refused = 0;

	(void)state;
	store_mem_set_max(64 * 1024);
	assert_int_equal(store_incr(K("keep"), 1, 0, &r), 0);
	assert_int_equal(store_incr(K("soon"), 1, 1, &r), 0);
	assert_int_equal(store_incr(K("late"), 1, 1000, &r), 0);
	memset(val, 'v', sizeof(val));
	memset(&sv, 0, sizeof(sv));
	sv.type = PG_STORE_STR;
	sv.s = val;
	sv.len = sizeof(val);
	/* 100 fillers with ttls between the two: "soon" goes first */
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "f%d", i);
		assert_int_equal(store_set(K(key), &sv, 10 + i), 0);
		assert_true(store_mem_used() <= 64 * 1024);
	}
	assert_int_equal(store_get(K("soon"), &v), 0);
	assert_int_equal(v.type, PG_STORE_NONE);
	assert_int_equal(store_get(K("late"), &v), 0);
	assert_int_equal(v.type, PG_STORE_INT);
	assert_int_equal(store_get(K("keep"), &v), 0);
	assert_int_equal(v.type, PG_STORE_INT);
	assert_int_equal(store_get(K("f0"), &v), 0);
	assert_int_equal(v.type, PG_STORE_NONE);
	assert_int_equal(store_get(K("f99"), &v), 0);
	assert_int_equal(v.type, PG_STORE_STR);
	free(v.s);
	/* without ttls nothing can be evicted: writes fail, the bound holds */
	store_mem_clear();
	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "n%d", i);
		if (store_set(K(key), &sv, 0) == -1) {
			assert_int_equal(errno, ENOSPC);
			refused++;
		}
		assert_true(store_mem_used() <= 64 * 1024);
	}
	assert_true(refused > 100);
	/* deleting makes room again */
	assert_int_equal(store_delete(K("n0")), 1);
	assert_int_equal(store_set(K("again"), &sv, 0), 0);
	/* lowering the bound evicts at once what it can */
	store_mem_clear();
	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "t%d", i);
		assert_int_equal(store_set(K(key), &sv, 100), 0);
	}
	store_mem_set_max(8 * 1024);
	assert_true(store_mem_used() <= 8 * 1024);
	assert_true(store_mem_count() < 10);
}

#define NTHREADS	8
#define NINCR		20000

static void *
hammer(void *arg)
{
	char key[32];
	int64_t r;
	int i;

	for (i = 0; i < NINCR; i++) {
		if (store_incr(K("shared"), 1, 0, &r) != 0)
			return arg;
		snprintf(key, sizeof(key), "t%p-%d", arg, i % 50);
		if (store_incr(K(key), 1, 0, &r) != 0)
			return arg;
	}
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t t[NTHREADS];
	static int ids[NTHREADS];
	struct pg_store_value v;
	int i;

	(void)state;
	for (i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, hammer, &ids[i]);
	for (i = 0; i < NTHREADS; i++) {
		void *ret;

		pthread_join(t[i], &ret);
		assert_null(ret);
	}
	assert_int_equal(store_get(K("shared"), &v), 0);
	assert_int_equal(v.i, NTHREADS * NINCR);
	assert_int_equal(store_mem_count(), 1 + NTHREADS * 50);
}

/* the host table: the store and maps for C plugins */
static void
test_host_table(void **state)
{
	const struct pg_host *h = host_api();
	char path[] = "/tmp/test_store_map.XXXXXX", err[256], val[64];
	struct pg_store_value v;
	struct pg_map *m;
	int64_t r;
	FILE *f;
	int fd;

	(void)state;
	assert_true(PG_SIZE_HAS(h, struct pg_host, map_match));
	assert_int_equal(h->store_incr(K("host:c"), 2, 0, &r), 0);
	assert_int_equal(r, 2);
	assert_int_equal(h->store_get(K("host:c"), &v), 0);
	assert_int_equal(v.i, 2);
	assert_int_equal(h->store_delete(K("host:c")), 1);
	assert_int_equal(h->store_incr(NULL, 0, 1, 0, &r), -1);
	assert_string_equal(h->store_strerror(ENOSPC), "store.memory_max reached");
	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(f = fdopen(fd, "w"));
	fputs("192.0.2.0/24 doc\n", f);
	fclose(f);
	assert_null(h->map_open(path, "hash", err, sizeof(err)));
	assert_non_null(strstr(err, "unknown map kind 'hash'"));
	assert_non_null(m = h->map_open(path, "cidr", err, sizeof(err)));
	assert_int_equal(h->map_match(m, K("192.0.2.9"), val, sizeof(val)), 1);
	assert_string_equal(val, "doc");
	assert_int_equal(h->map_match(m, K("192.0.3.9"), val, sizeof(val)), 0);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest mem[] = {
		cmocka_unit_test_setup(test_api, use_mem),
		cmocka_unit_test_setup(test_overflow, use_mem),
		cmocka_unit_test_setup(test_ttl, use_mem),
		cmocka_unit_test_setup(test_too_long, use_mem),
		cmocka_unit_test_setup(test_memory_max, use_mem),
		cmocka_unit_test_setup(test_threads, use_mem),
		cmocka_unit_test_setup(test_host_table, use_mem),
	};
	const struct CMUnitTest red[] = {
		cmocka_unit_test_setup(test_api, use_redis),
		cmocka_unit_test_setup(test_overflow, use_redis),
		cmocka_unit_test_setup(test_ttl, use_redis),
		cmocka_unit_test_setup(test_too_long, use_redis),
	};
	struct store_redis_opts o;
	const char *server = getenv("PG_TEST_REDIS");
	char err[256];
	int rc;

	rc = cmocka_run_group_tests_name("memory", mem, NULL, NULL);
	if (server == NULL || *server == '\0')
		return rc;
	memset(&o, 0, sizeof(o));
	o.server = server;
	o.prefix = "test_store:";
	o.password = getenv("PG_TEST_REDIS_PASSWORD");
	o.db = 3;
	o.timeout_ms = 2000;
	o.pool = 4;
	if ((redis = store_redis_new(&o, err, sizeof(err))) == NULL) {
		fprintf(stderr, "redis: %s\n", err);
		return 1;
	}
	return rc | cmocka_run_group_tests_name("redis", red, NULL, NULL);
}
