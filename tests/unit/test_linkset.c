/*
 * test_linkset - host/core/linkset.c: links kept once per (url, text,
 * part), the strings of one not kept given back to the arena, the cap,
 * hosts shared, the set grown past its first size
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arena.h"
#include "linkset.h"
#include "url.h"

/* add - parse s into the set's arena and add it: linkset_add()'s result */
static int
add(struct linkset *ls, const char *s, const char *text, int part)
{
	struct url u;

	assert_int_equal(url_parse(s, strlen(s), &u, NULL, &ls->arena), 0);
	return linkset_add(ls, &u, text, part);
}

static void
test_once(void **state)
{
	struct linkset ls;
	struct url u;
	const char *s = "http://www.Example.org/a";
	char *before, *after;

	(void)state;
	linkset_init(&ls, 100);
	assert_int_equal(add(&ls, s, NULL, 0), 1);
	assert_int_equal(add(&ls, "http://www.example.org/a", NULL, 0), 0);
	assert_int_equal(add(&ls, s, "click", 0), 1);	/* another text */
	assert_int_equal(add(&ls, s, NULL, 1), 1);	/* another part */
	assert_int_equal(add(&ls, s, "click", 0), 0);
	assert_int_equal(ls.n, 3);
	assert_string_equal(ls.v[0].url, "http://www.example.org/a");
	assert_string_equal(ls.v[0].domain, "example.org");
	assert_null(ls.v[0].text);
	assert_string_equal(ls.v[1].text, "click");
	assert_int_equal(ls.v[2].part, 1);
	/* links to one host share its strings */
	assert_ptr_equal(ls.v[0].host, ls.v[2].host);
	assert_ptr_equal(ls.v[0].domain, ls.v[1].domain);
	/* a duplicate's strings are given back: the next parse reuses them */
	assert_int_equal(url_parse(s, strlen(s), &u, NULL, &ls.arena), 0);
	before = (char *)u.url;
	assert_int_equal(linkset_add(&ls, &u, NULL, 0), 0);
	assert_int_equal(url_parse(s, strlen(s), &u, NULL, &ls.arena), 0);
	after = (char *)u.url;
	assert_ptr_equal(before, after);
	assert_int_equal(linkset_add(&ls, &u, NULL, 0), 0);
	linkset_free(&ls);
	assert_int_equal(ls.n, 0);
}

static void
test_many(void **state)
{
	struct linkset ls;
	char s[64];
	size_t i;

	(void)state;
	/* past the set's first size (64) and the array's (16), up to the cap */
	linkset_init(&ls, 1000);
	for (i = 0; i < 1200; i++) {
		snprintf(s, sizeof(s), "https://h%zu.example.net/p/%zu", i % 7, i);
		assert_int_equal(add(&ls, s, NULL, 0), i < 1000 ? 1 : 0);
	}
	assert_int_equal(ls.n, 1000);
	for (i = 0; i < 1000; i++) {
		snprintf(s, sizeof(s), "https://h%zu.example.net/p/%zu", i % 7, i);
		assert_string_equal(ls.v[i].url, s);
		assert_int_equal(add(&ls, s, NULL, 0), 0);	/* all found again */
	}
	linkset_free(&ls);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_once),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
