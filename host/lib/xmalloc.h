/*
 * xmalloc - allocators: x* exit on failure (startup only); pg_* return NULL
 * and can be made to fail on demand for out-of-memory tests.
 */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);

void	*pg_malloc(size_t);
void	*pg_calloc(size_t, size_t);
void	*pg_realloc(void *, size_t);
char	*pg_strdup(const char *);
char	*pg_strndup(const char *, size_t);

/* Tests: make the n-th pg_* allocation from now fail (0: never). */
void	 pg_alloc_fail_after(unsigned long n);
/*
 * Tests: pg_* allocations still to go before the injected failure; 0 when
 * none is pending (it happened, or none was asked for).
 */
unsigned long pg_alloc_fail_pending(void);

#endif /* XMALLOC_H */
