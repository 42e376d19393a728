/*
 * test_arena - host/lib/arena.c: alignment, chunks, big one-offs,
 * arena_pop() and a failed allocation
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arena.h"
#include "xmalloc.h"

static void
test_alloc(void **state)
{
	struct arena *a = NULL;
	char *p[3000];
	size_t i;

	(void)state;
	/* many small ones over several chunks: aligned, distinct, intact */
	for (i = 0; i < 3000; i++) {
		p[i] = arena_alloc(&a, 1 + i % 23);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % 8, 0);
		memset(p[i], (int)(i & 0x7f), 1 + i % 23);
	}
	for (i = 0; i < 3000; i++)
		assert_int_equal(p[i][i % 23], (char)(i & 0x7f));
	/* a big one-off and a small one after it */
	p[0] = arena_alloc(&a, 100000);
	assert_non_null(p[0]);
	memset(p[0], 1, 100000);
	p[1] = arena_strndup(&a, "hello world", 5);
	assert_string_equal(p[1], "hello");
	arena_free(&a);
	assert_null(a);
}

static void
test_pop(void **state)
{
	struct arena *a = NULL;
	char *x, *y, *z;
	int failed = 0;

	(void)state;
	x = arena_strdup(&a, "first", &failed);
	y = arena_strdup(&a, "second", &failed);
	arena_pop(&a, y);
	z = arena_strdup(&a, "third", &failed);
	assert_ptr_equal(y, z);		/* the space given back is used again */
	assert_string_equal(x, "first");
	assert_string_equal(z, "third");
	assert_null(arena_strdup(&a, NULL, &failed));
	assert_int_equal(failed, 0);
	/* a big one-off is kept: popping it changes nothing */
	y = arena_alloc(&a, 50000);
	arena_pop(&a, y);
	z = arena_strdup(&a, "fourth", &failed);
	assert_ptr_not_equal(y, z);
	assert_string_equal(x, "first");
	arena_free(&a);
}

static void
test_nomem(void **state)
{
	struct arena *a = NULL;
	int failed = 0;

	(void)state;
	pg_alloc_fail_after(1);
	assert_null(arena_strdup(&a, "x", &failed));
	assert_int_equal(failed, 1);
	assert_null(a);
	assert_non_null(arena_alloc(&a, 10));	/* and it works again */
	assert_null(arena_alloc(&a, (size_t)-1));
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc),
		cmocka_unit_test(test_pop),
		cmocka_unit_test(test_nomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
