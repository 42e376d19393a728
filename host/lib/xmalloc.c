/*
 * xmalloc - allocation wrappers
 *
 * x*() exit through fatal() when memory runs out: for startup only.
 * pg_*() return NULL with errno ENOMEM; pg_alloc_fail_after(n) makes the
 * n-th pg_* allocation from then on fail, so tests can walk the
 * out-of-memory paths (Lua's ltests.c has the same switch).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

static atomic_ulong fail_countdown;

/* should_fail - count down to the allocation the test wants to fail */
static int
should_fail(void)
{
	unsigned long n = atomic_load(&fail_countdown);

	while (n != 0) {
		if (atomic_compare_exchange_weak(&fail_countdown, &n, n - 1))
			return n == 1;
	}
	return 0;
}

void
pg_alloc_fail_after(unsigned long n)
{
	atomic_store(&fail_countdown, n);
}

unsigned long
pg_alloc_fail_pending(void)
{
	return atomic_load(&fail_countdown);
}

void *
pg_malloc(size_t n)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return malloc(n == 0 ? 1 : n);
}

void *
pg_calloc(size_t n, size_t size)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
}

void *
pg_realloc(void *p, size_t n)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, n == 0 ? 1 : n);
}

char *
pg_strndup(const char *s, size_t n)
{
	char *p;

	if ((p = pg_malloc(n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
pg_strdup(const char *s)
{
	return pg_strndup(s, strlen(s));
}

void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		fatal("xmalloc");
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		fatal("xcalloc");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n == 0 ? 1 : n)) == NULL)
		fatal("xrealloc");
	return p;
}

char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		fatal("xstrdup");
	return p;
}
