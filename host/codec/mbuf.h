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
int	 mbuf_addc(struct mbuf *, int c);
/* mbuf_add_cp - a Unicode code point as UTF-8 (bad ones as U+FFFD) */
int	 mbuf_add_cp(struct mbuf *, uint32_t cp);
/* mbuf_take - the bytes (never NULL unless out of memory: "" when empty) */
char	*mbuf_take(struct mbuf *);
void	 mbuf_reset(struct mbuf *);	/* len 0, errors cleared, memory kept */
void	 mbuf_free(struct mbuf *);

#endif /* MBUF_H */
