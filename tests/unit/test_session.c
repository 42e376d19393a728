/*
 * test_session - the session model on its own, without a chain: every
 * accessor, strings copied on the way in, defaults for unknown addresses
 * and names, macros through the front end's function, the engine pointer,
 * transaction numbers, ids unique and well formed (also when made from
 * several threads at once), and out-of-memory paths that leave the
 * session as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "session.h"
#include "xmalloc.h"

/* Constructor arguments and what the string fields say afterwards. */
static void
test_new(void **unused)
{
	static const struct {
		const char	*frontend, *addr, *name;
		int		 port;
		const char	*want_fe, *want_addr, *want_name;
	} t[] = {
		{ "smtp", "192.0.2.1", "mx.example.org", 25,
		  "smtp", "192.0.2.1", "mx.example.org" },
		{ "milter", "2001:db8::1", NULL, 0,
		  "milter", "2001:db8::1", "unknown" },
		{ "check", NULL, NULL, 65535, "check", "unknown", "unknown" },
		{ NULL, "", "", -1, NULL, "", "" },
	};
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct pg_session *s = session_new(t[i].frontend, t[i].addr,
		    t[i].port, t[i].name);

		assert_non_null(s);
		if (t[i].want_fe == NULL)
			assert_null(session_str(s, PG_S_FRONTEND));
		else
			assert_string_equal(session_str(s, PG_S_FRONTEND),
			    t[i].want_fe);
		assert_string_equal(session_str(s, PG_S_CLIENT_ADDR),
		    t[i].want_addr);
		assert_string_equal(session_str(s, PG_S_CLIENT_NAME),
		    t[i].want_name);
		assert_int_equal(session_client_port(s), t[i].port);
		/* nothing set yet */
		assert_null(session_str(s, PG_S_HELO));
		assert_null(session_str(s, PG_S_TLS));
		assert_null(session_str(s, PG_S_AUTH));
		assert_null(session_macro(s, "j"));
		assert_null(session_engine(s));
		assert_null(session_str(s, (enum pg_session_str)99));
		session_free(s);
	}
	session_free(NULL);
}

/* The strings are copies: the caller's buffers may change or go. */
static void
test_strings_copied(void **unused)
{
	char addr[32], name[32], fe[16], v[32];
	struct pg_session *s;

	(void)unused;
	snprintf(addr, sizeof(addr), "192.0.2.9");
	snprintf(name, sizeof(name), "client.example");
	snprintf(fe, sizeof(fe), "smtp");
	s = session_new(fe, addr, 2525, name);
	assert_non_null(s);
	memset(addr, 'x', sizeof(addr) - 1);
	memset(name, 'x', sizeof(name) - 1);
	memset(fe, 'x', sizeof(fe) - 1);
	assert_string_equal(session_str(s, PG_S_CLIENT_ADDR), "192.0.2.9");
	assert_string_equal(session_str(s, PG_S_CLIENT_NAME), "client.example");
	assert_string_equal(session_str(s, PG_S_FRONTEND), "smtp");

	snprintf(v, sizeof(v), "helo.example");
	assert_int_equal(session_set_helo(s, v), 0);
	snprintf(v, sizeof(v), "TLSv1.3");
	assert_int_equal(session_set_tls(s, v), 0);
	snprintf(v, sizeof(v), "alice");
	assert_int_equal(session_set_auth(s, v), 0);
	memset(v, 'y', sizeof(v) - 1);
	assert_string_equal(session_str(s, PG_S_HELO), "helo.example");
	assert_string_equal(session_str(s, PG_S_TLS), "TLSv1.3");
	assert_string_equal(session_str(s, PG_S_AUTH), "alice");
	session_free(s);
}

/* Setters replace, and NULL clears. */
static void
test_setters(void **unused)
{
	static const struct {
		int	(*set)(struct pg_session *, const char *);
		enum pg_session_str f;
	} t[] = {
		{ session_set_helo, PG_S_HELO },
		{ session_set_tls, PG_S_TLS },
		{ session_set_auth, PG_S_AUTH },
	};
	struct pg_session *s = session_new("smtp", "192.0.2.1", 25, "x");
	size_t i;

	(void)unused;
	assert_non_null(s);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(t[i].set(s, "first"), 0);
		assert_string_equal(session_str(s, t[i].f), "first");
		assert_int_equal(t[i].set(s, "second, longer"), 0);
		assert_string_equal(session_str(s, t[i].f), "second, longer");
		assert_int_equal(t[i].set(s, ""), 0);
		assert_string_equal(session_str(s, t[i].f), "");
		assert_int_equal(t[i].set(s, NULL), 0);
		assert_null(session_str(s, t[i].f));
		assert_int_equal(t[i].set(s, "last"), 0);
	}
	/* each field kept its own value */
	assert_string_equal(session_str(s, PG_S_HELO), "last");
	assert_string_equal(session_str(s, PG_S_TLS), "last");
	assert_string_equal(session_str(s, PG_S_AUTH), "last");
	session_free(s);	/* frees them (the sanitizer build checks) */
}

struct macros {
	int	 calls;
	char	 last[32];
};

/* macro_fn - "j" and "{i}" are set, everything else is not */
static const char *
macro_fn(void *ctx, const char *name)
{
	struct macros *m = ctx;

	m->calls++;
	snprintf(m->last, sizeof(m->last), "%s", name);
	if (strcmp(name, "j") == 0)
		return "mx.example.org";
	if (strcmp(name, "{i}") == 0)
		return "4AbCd";
	if (strcmp(name, "{client_ptr}") == 0)
		return "ptr.example";
	return NULL;
}

/* the PTR name: set (the proxy, check), else the MTA's {client_ptr} */
static void
test_client_ptr(void **unused)
{
	struct pg_session *s = session_new("milter", "192.0.2.1", 25, "x");
	struct macros m = { 0, "" };

	(void)unused;
	assert_non_null(s);
	assert_null(session_str(s, PG_S_CLIENT_PTR));
	session_set_macro_fn(s, macro_fn, &m);
	assert_string_equal(session_str(s, PG_S_CLIENT_PTR), "ptr.example");
	assert_int_equal(session_set_ptr(s, "liar.example"), 0);
	assert_string_equal(session_str(s, PG_S_CLIENT_PTR), "liar.example");
	assert_int_equal(session_set_ptr(s, NULL), 0);
	assert_string_equal(session_str(s, PG_S_CLIENT_PTR), "ptr.example");
	assert_int_equal(session_set_ptr(s, "unknown"), 0);
	session_free(s);	/* frees it (the sanitizer build checks) */
}

static void
test_macros(void **unused)
{
	struct pg_session *s = session_new("milter", "192.0.2.1", 25, "x");
	struct macros m = { 0, "" };

	(void)unused;
	assert_non_null(s);
	assert_null(session_macro(s, "j"));	/* no function: none */
	session_set_macro_fn(s, macro_fn, &m);
	assert_string_equal(session_macro(s, "j"), "mx.example.org");
	assert_string_equal(session_macro(s, "{i}"), "4AbCd");
	assert_string_equal(m.last, "{i}");
	assert_null(session_macro(s, "{daemon_name}"));
	assert_int_equal(m.calls, 3);
	assert_null(session_macro(s, NULL));	/* never reaches the function */
	assert_int_equal(m.calls, 3);
	session_set_macro_fn(s, NULL, NULL);
	assert_null(session_macro(s, "j"));
	session_free(s);
}

static void
test_engine_and_tx_numbers(void **unused)
{
	struct pg_session *s = session_new("check", NULL, 0, NULL);
	int engine;
	unsigned i;

	(void)unused;
	assert_non_null(s);
	session_set_engine(s, &engine);
	assert_ptr_equal(session_engine(s), &engine);
	for (i = 1; i <= 5; i++)
		assert_int_equal(session_next_tx(s), i);
	session_set_engine(s, NULL);
	assert_null(session_engine(s));
	session_free(s);	/* the engine is not the session's to free */
}

/* is_id - 11 upper-case hex digits */
static int
is_id(const char *id)
{
	size_t i;

	/* "pg-5f3a1-000002": no queue id has a '-' or a lower-case hex digit */
	if (strlen(id) != 15 || strncmp(id, "pg-", 3) != 0 || id[8] != '-')
		return 0;
	for (i = 3; i < 15; i++)
		if (i != 8 && (!isxdigit((unsigned char)id[i]) ||
		    isupper((unsigned char)id[i])))
			return 0;
	return 1;
}

/* Ids: one process stamp, then a counter: unique, in order. */
static void
test_ids(void **unused)
{
	struct pg_session *s[50];
	size_t i, j;

	(void)unused;
	for (i = 0; i < 50; i++) {
		assert_non_null(s[i] = session_new("smtp", NULL, 0, NULL));
		assert_true(is_id(session_str(s[i], PG_S_ID)));
	}
	for (i = 1; i < 50; i++) {
		/* the same stamp, a later counter */
		assert_memory_equal(session_str(s[i], PG_S_ID),
		    session_str(s[0], PG_S_ID), 8);
		assert_true(strtoul(session_str(s[i], PG_S_ID) + 9, NULL, 16) ==
		    strtoul(session_str(s[i - 1], PG_S_ID) + 9, NULL, 16) + 1);
		for (j = 0; j < i; j++)
			assert_string_not_equal(session_str(s[i], PG_S_ID),
			    session_str(s[j], PG_S_ID));
	}
	for (i = 0; i < 50; i++)
		session_free(s[i]);
}

#define THREADS	4
#define PER	200

struct idrun {
	char	 ids[PER][24];
	char	 stamp[6];
};

/* make_ids - a thread's sessions, ids kept */
static void *
make_ids(void *arg)
{
	struct idrun *r = arg;
	size_t i;

	for (i = 0; i < PER; i++) {
		struct pg_session *s = session_new("smtp", NULL, 0, NULL);

		if (s == NULL)
			return NULL;
		snprintf(r->ids[i], sizeof(r->ids[i]), "%s",
		    session_str(s, PG_S_ID));
		session_free(s);
	}
	return r;
}

/* cmp_id - qsort over ids */
static int
cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Sessions start on any worker thread: the ids stay unique, one stamp. */
static void
test_ids_threads(void **unused)
{
	static struct idrun runs[THREADS];
	static char all[THREADS * PER][24];
	pthread_t t[THREADS];
	void *ret;
	size_t i, k = 0;

	(void)unused;
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, make_ids, &runs[i]), 0);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_ptr_equal(ret, &runs[i]);
	}
	for (i = 0; i < THREADS; i++) {
		size_t j;

		for (j = 0; j < PER; j++) {
			assert_true(is_id(runs[i].ids[j]));
			assert_memory_equal(runs[i].ids[j], runs[0].ids[0], 8);
			memcpy(all[k++], runs[i].ids[j], 24);
		}
	}
	qsort(all, k, sizeof(all[0]), cmp_id);
	for (i = 1; i < k; i++)
		assert_string_not_equal(all[i], all[i - 1]);
}

/* Out of memory: the constructor says NULL, a setter leaves the old value. */
static void
test_out_of_memory(void **unused)
{
	struct pg_session *s;
	unsigned long n;
	int made = 0, failed = 0;

	(void)unused;
	/* session_new makes 4 allocations: every one may fail */
	for (n = 1; n <= 5; n++) {
		pg_alloc_fail_after(n);
		errno = 0;
		s = session_new("smtp", "192.0.2.1", 25, "client.example");
		pg_alloc_fail_after(0);
		if (s == NULL) {
			assert_int_equal(errno, ENOMEM);
			failed++;
			continue;
		}
		made++;
		assert_string_equal(session_str(s, PG_S_CLIENT_NAME),
		    "client.example");
		session_free(s);
	}
	assert_int_equal(failed, 4);
	assert_int_equal(made, 1);

	s = session_new("smtp", "192.0.2.1", 25, "client.example");
	assert_non_null(s);
	assert_int_equal(session_set_helo(s, "old.example"), 0);
	pg_alloc_fail_after(1);
	errno = 0;
	assert_int_equal(session_set_helo(s, "new.example"), -1);
	assert_int_equal(errno, ENOMEM);
	pg_alloc_fail_after(1);
	assert_int_equal(session_set_tls(s, "TLSv1.2"), -1);
	pg_alloc_fail_after(1);
	assert_int_equal(session_set_auth(s, "bob"), -1);
	pg_alloc_fail_after(0);
	assert_string_equal(session_str(s, PG_S_HELO), "old.example");
	assert_null(session_str(s, PG_S_TLS));
	assert_null(session_str(s, PG_S_AUTH));
	session_free(s);
}

/* test_set_client - XFORWARD's client replaces the connection's */
static void
test_set_client(void **state)
{
	struct pg_session *s = session_new("smtp", "127.0.0.1", 40000, "localhost");

	(void)state;
	assert_non_null(s);
	assert_int_equal(session_set_client(s, "192.0.2.7", 4711, "client.example"), 0);
	assert_string_equal(session_str(s, PG_S_CLIENT_ADDR), "192.0.2.7");
	assert_string_equal(session_str(s, PG_S_CLIENT_NAME), "client.example");
	assert_int_equal(session_client_port(s), 4711);
	assert_int_equal(session_set_client(s, NULL, 0, NULL), 0);
	assert_string_equal(session_str(s, PG_S_CLIENT_ADDR), "unknown");
	assert_string_equal(session_str(s, PG_S_CLIENT_NAME), "unknown");
	/* no memory: unchanged */
	assert_int_equal(session_set_client(s, "192.0.2.8", 1, "x.example"), 0);
	pg_alloc_fail_after(1);
	assert_int_equal(session_set_client(s, "192.0.2.9", 2, "y.example"), -1);
	pg_alloc_fail_after(2);		/* the name's copy: the address's is freed */
	assert_int_equal(session_set_client(s, "192.0.2.9", 2, "y.example"), -1);
	pg_alloc_fail_after(0);
	assert_string_equal(session_str(s, PG_S_CLIENT_ADDR), "192.0.2.8");
	assert_string_equal(session_str(s, PG_S_CLIENT_NAME), "x.example");
	assert_int_equal(session_client_port(s), 1);
	session_free(s);
}

/* a names' lookup: counts its calls, sets the names it "found" */
static void
name_wait(void *ctx, struct pg_session *s)
{
	int *calls = ctx;

	(*calls)++;
	assert_int_equal(session_set_name(s, "found.example"), 0);
	assert_int_equal(session_set_ptr(s, "ptr.found.example"), 0);
}

/* test_name_wait - the lookup is waited for once, where the names are read */
static void
test_name_wait(void **state)
{
	struct pg_session *s = session_new("smtp", "192.0.2.1", 25, "unknown");
	int calls = 0;

	(void)state;
	assert_non_null(s);
	session_set_name_wait(s, name_wait, &calls);
	assert_string_equal(session_str(s, PG_S_CLIENT_ADDR), "192.0.2.1");
	assert_non_null(session_str(s, PG_S_ID));
	assert_int_equal(session_set_helo(s, "h.example"), 0);
	assert_int_equal(calls, 0);	/* nothing asked for the names yet */
	assert_string_equal(session_str(s, PG_S_CLIENT_NAME), "found.example");
	assert_int_equal(calls, 1);
	assert_string_equal(session_str(s, PG_S_CLIENT_PTR), "ptr.found.example");
	assert_string_equal(session_str(s, PG_S_CLIENT_NAME), "found.example");
	assert_int_equal(calls, 1);
	/* a name set before anyone read them: the lookup's come first */
	session_set_name_wait(s, name_wait, &calls);
	assert_int_equal(session_set_client(s, "192.0.2.7", 1, "xf.example"), 0);
	assert_int_equal(calls, 2);
	assert_string_equal(session_str(s, PG_S_CLIENT_NAME), "xf.example");
	assert_string_equal(session_str(s, PG_S_CLIENT_PTR), "ptr.found.example");
	session_set_name_wait(s, name_wait, &calls);
	assert_int_equal(session_set_ptr(s, "mine.example"), 0);
	assert_string_equal(session_str(s, PG_S_CLIENT_PTR), "mine.example");
	assert_int_equal(calls, 3);
	assert_string_equal(session_str(s, PG_S_CLIENT_NAME), "found.example");
	/* taken back: never called */
	assert_int_equal(session_set_name(s, "set.example"), 0);
	session_set_name_wait(s, name_wait, &calls);
	session_set_name_wait(s, NULL, NULL);
	assert_string_equal(session_str(s, PG_S_CLIENT_NAME), "set.example");
	assert_int_equal(calls, 3);
	session_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new),
		cmocka_unit_test(test_strings_copied),
		cmocka_unit_test(test_setters),
		cmocka_unit_test(test_macros),
		cmocka_unit_test(test_client_ptr),
		cmocka_unit_test(test_engine_and_tx_numbers),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_ids_threads),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_set_client),
		cmocka_unit_test(test_name_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
