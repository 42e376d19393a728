/*
 * mbuf - a growable byte buffer with a ceiling, for the content codecs
 *
 * The caller keeps a struct mbuf (fields readable: p, len) and appends to
 * it; p is always NUL-terminated when not NULL. Appending past max keeps
 * the first max bytes and sets MBUF_FULL; a failed allocation sets
 * MBUF_NOMEM; both are sticky and make further appends no-ops that return
 * -1. mbuf_take() hands the bytes over to the caller (free() them).
 */
#ifndef MBUF_H
#define MBUF_H

#include <stddef.h>
#include <stdint.h>

#define MBUF_FULL	0x1
#define MBUF_NOMEM	0x2

struct mbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	size_t	 max;	/* 0: no ceiling */
	int	 err;	/* MBUF_* bits */
};

void	 mbuf_init(struct mbuf *, size_t max);
int	 mbuf_add(struct mbuf *, const void *, size_t);
/* mbuf_reserve - room for n more bytes at once (within max); -1 (MBUF_NOMEM) */
int	 mbuf_reserve(struct mbuf *, size_t n);
/* mbuf_addc - one byte; inline: the renderers add text a byte at a time */
static inline int
mbuf_addc(struct mbuf *b, int c)
{
	char ch = (char)c;

	if (b->err == 0 && b->len + 1 < b->cap &&
	    (b->max == 0 || b->len < b->max)) {
		b->p[b->len++] = ch;
		b->p[b->len] = '\0';
		return 0;
	}
	return mbuf_add(b, &ch, 1);
}
/* mbuf_add_cp - a Unicode code point as UTF-8 (bad ones as U+FFFD) */
int	 mbuf_add_cp(struct mbuf *, uint32_t cp);
/* mbuf_drop - every byte c out of the buffer (runs between them moved whole) */
void	 mbuf_drop(struct mbuf *, char c);
/* mbuf_take - the bytes (never NULL unless out of memory: "" when empty) */
char	*mbuf_take(struct mbuf *);
void	 mbuf_reset(struct mbuf *);	/* len 0, errors cleared, memory kept */
void	 mbuf_free(struct mbuf *);

#endif /* MBUF_H */
