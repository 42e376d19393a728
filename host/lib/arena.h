/*
 * arena - many small allocations freed at once
 *
 * An arena is a list of chunks (16 KiB, or one of its own for a big
 * request): arena_alloc() bumps a pointer in the newest chunk; nothing is
 * freed until arena_free() frees the whole list. For what lives exactly
 * as long as its owner (a message's header fields, the links of a
 * message's content), it replaces a malloc() and a free() per object with
 * a pointer bump. The owner keeps a struct arena * set to NULL.
 */
#ifndef ARENA_H
#define ARENA_H

#include <stddef.h>

struct arena;

/* arena_alloc - n bytes (8-aligned) that live until arena_free(); NULL when out of memory */
void	*arena_alloc(struct arena **, size_t n);
/* arena_strndup - n bytes of s and a NUL; NULL when out of memory */
char	*arena_strndup(struct arena **, const char *s, size_t n);
/* arena_strdup - s copied (NULL stays NULL; *failed set when out of memory) */
char	*arena_strdup(struct arena **, const char *s, int *failed);
/*
 * arena_pop - give p back when it is the newest allocation of the newest
 * chunk (a big one-off is kept); p must be the newest allocation
 */
void	 arena_pop(struct arena **, void *p);
/* arena_free - every chunk; the arena is empty (NULL) again */
void	 arena_free(struct arena **);

#endif /* ARENA_H */
