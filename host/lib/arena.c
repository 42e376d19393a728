/*
 * arena - bump allocation in chunks, freed at once (see arena.h)
 *
 * Public: arena_alloc(), arena_strndup(), arena_strdup(), arena_pop(),
 * arena_free().
 * Chunks come from pg_malloc(): a failure is NULL, never an exit.
 */
#include <string.h>
#include <stdlib.h>

#include "arena.h"
#include "xmalloc.h"

struct arena {
	struct arena	*next;
	size_t		 used;
	size_t		 cap;
	char		 data[];
};

#define ARENA_CHUNK	(16 * 1024)

void *
arena_alloc(struct arena **head, size_t n)
{
	struct arena *a = *head;
	size_t cap;
	void *p;

	if (n > (size_t)-1 - 8 - sizeof(*a))
		return NULL;
	n = (n + 7) & ~(size_t)7;
	if (a == NULL || a->cap - a->used < n) {
		cap = n > ARENA_CHUNK - sizeof(*a) ? n : ARENA_CHUNK - sizeof(*a);
		if ((a = pg_malloc(sizeof(*a) + cap)) == NULL)
			return NULL;
		a->cap = cap;
		a->used = 0;
		if (*head != NULL && n > ARENA_CHUNK / 4) {
			/* a big one-off: keep the current chunk for small ones */
			a->next = (*head)->next;
			(*head)->next = a;
		} else {
			a->next = *head;
			*head = a;
		}
	}
	p = a->data + a->used;
	a->used += n;
	return p;
}

char *
arena_strndup(struct arena **head, const char *s, size_t n)
{
	char *p;

	if ((p = arena_alloc(head, n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena **head, const char *s, int *failed)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = arena_strndup(head, s, strlen(s))) == NULL)
		*failed = 1;
	return p;
}

void
arena_pop(struct arena **head, void *p)
{
	struct arena *a = *head;
	char *c = p;

	if (a != NULL && c >= a->data && c < a->data + a->used)
		a->used = (size_t)(c - a->data);
}

void
arena_free(struct arena **head)
{
	struct arena *a, *next;

	for (a = *head; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	*head = NULL;
}
