/*
 * test_lua_store - pg.store's C side: incr/get/set/delete, expiry,
 * eviction of the oldest entries, bad input, and many threads at once.
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
#include <cmocka.h>

#include "store.h"

#define K(s)	s, strlen(s)

static int
reset(void **state)
{
	(void)state;
	store_clear();
	store_set_max(STORE_MAX_DEFAULT);
	return 0;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void
test_basic(void **state)
{
	struct store_value v, sv;
	int64_t r;

	(void)state;
	assert_int_equal(store_get(K("a"), &v), 0);
	assert_int_equal(v.type, STORE_NONE);
	assert_int_equal(store_incr(K("a"), 1, 0, &r), 0);
	assert_int_equal(r, 1);
	assert_int_equal(store_incr(K("a"), -5, 0, &r), 0);
	assert_int_equal(r, -4);
	assert_int_equal(store_get(K("a"), &v), 0);
	assert_int_equal(v.type, STORE_INT);
	assert_int_equal(v.i, -4);

	memset(&sv, 0, sizeof(sv));
	sv.type = STORE_STR;
	sv.s = "bin\0ary";
	sv.len = 7;
	assert_int_equal(store_set(K("s"), &sv, 0), 0);
	assert_int_equal(store_get(K("s"), &v), 0);
	assert_int_equal(v.type, STORE_STR);
	assert_int_equal(v.len, 7);
	assert_memory_equal(v.s, "bin\0ary", 7);
	free(v.s);
	/* incr on a string is refused, the value stays */
	assert_int_equal(store_incr(K("s"), 1, 0, &r), -1);
	assert_int_equal(errno, EINVAL);

	sv.type = STORE_NUM;
	sv.d = 2.0;
	assert_int_equal(store_set(K("n"), &sv, 0), 0);
	assert_int_equal(store_incr(K("n"), 3, 0, &r), 0);
	assert_int_equal(r, 5);

	assert_int_equal(store_delete(K("a")), 1);
	assert_int_equal(store_delete(K("a")), 0);
	assert_int_equal(store_count(), 2);
}

static void
test_bad_input(void **state)
{
	static char big[STORE_KEY_MAX + 2];
	struct store_value v;
	int64_t r;

	(void)state;
	memset(big, 'k', sizeof(big) - 1);
	assert_int_equal(store_incr(big, STORE_KEY_MAX + 1, 1, 0, &r), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(store_get(big, STORE_KEY_MAX + 1, &v), -1);
	memset(&v, 0, sizeof(v));
	v.type = STORE_STR;
	v.s = big;
	v.len = STORE_VALUE_MAX + 1;
	assert_int_equal(store_set(K("x"), &v, 0), -1);
	assert_int_equal(errno, EINVAL);
	/* overflow */
	assert_int_equal(store_incr(K("o"), INT64_MAX, 0, &r), 0);
	assert_int_equal(store_incr(K("o"), 1, 0, &r), -1);
	assert_int_equal(errno, EINVAL);
}

static void
test_ttl(void **state)
{
	struct store_value v;
	int64_t r;

	(void)state;
	assert_int_equal(store_incr(K("t"), 1, 0.05, &r), 0);
	/* a later incr keeps the first expiry: a fixed window */
	assert_int_equal(store_incr(K("t"), 1, 10, &r), 0);
	assert_int_equal(r, 2);
	assert_int_equal(store_incr(K("forever"), 1, 0, &r), 0);
	sleep_ms(80);
	assert_int_equal(store_get(K("t"), &v), 0);
	assert_int_equal(v.type, STORE_NONE);
	assert_int_equal(store_incr(K("t"), 1, 0, &r), 0);
	assert_int_equal(r, 1);
	assert_int_equal(store_get(K("forever"), &v), 0);
	assert_int_equal(v.type, STORE_INT);
}

static void
test_evict(void **state)
{
	struct store_value v;
	int64_t r;
	char key[32];
	int i;

	(void)state;
	store_set_max(3);
	for (i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(store_incr(K(key), 1, 0, &r), 0);
	}
	/* writing k0 makes it the newest: k1 is the oldest now */
	assert_int_equal(store_incr(K("k0"), 1, 0, &r), 0);
	assert_int_equal(store_incr(K("k3"), 1, 0, &r), 0);
	assert_int_equal(store_count(), 3);
	assert_int_equal(store_get(K("k1"), &v), 0);
	assert_int_equal(v.type, STORE_NONE);
	assert_int_equal(store_get(K("k0"), &v), 0);
	assert_int_equal(v.i, 2);
	/* an expired entry goes before the oldest live one */
	store_clear();
	assert_int_equal(store_incr(K("old"), 1, 0, &r), 0);
	assert_int_equal(store_incr(K("short"), 1, 0.01, &r), 0);
	assert_int_equal(store_incr(K("new"), 1, 0, &r), 0);
	sleep_ms(30);
	assert_int_equal(store_incr(K("newer"), 1, 0, &r), 0);
	assert_int_equal(store_get(K("old"), &v), 0);
	assert_int_equal(v.type, STORE_INT);
	/* many keys through a small store stay bounded */
	store_set_max(100);
	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "many%d", i);
		assert_int_equal(store_incr(K(key), 1, 0, &r), 0);
	}
	assert_int_equal(store_count(), 100);
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
	struct store_value v;
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
	assert_int_equal(store_count(), 1 + NTHREADS * 50);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_basic, reset),
		cmocka_unit_test_setup(test_bad_input, reset),
		cmocka_unit_test_setup(test_ttl, reset),
		cmocka_unit_test_setup(test_evict, reset),
		cmocka_unit_test_setup(test_threads, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
