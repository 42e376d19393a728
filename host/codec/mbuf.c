/*
 * mbuf - growable byte buffer with a ceiling (see mbuf.h)
 *
 * Public: mbuf_init(), mbuf_reserve(), mbuf_add(), mbuf_addc() (inline in
 * mbuf.h), mbuf_add_cp(), mbuf_drop(), mbuf_take(),
 * mbuf_reset(), mbuf_free().
 * Allocates with pg_*() and never exits: a failure is MBUF_NOMEM.
 */
#include <stdlib.h>
#include <string.h>

#include "mbuf.h"
#include "xmalloc.h"

void
mbuf_init(struct mbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

/* grow - room for n more bytes and the NUL */
static int
grow(struct mbuf *b, size_t n)
{
	size_t want = b->len + n + 1, nc;
	char *np;

	if (want <= b->cap)
		return 0;
	nc = b->cap ? b->cap : 64;
	while (nc < want) {
		if (nc > SIZE_MAX / 2) {
			b->err |= MBUF_NOMEM;
			return -1;
		}
		nc *= 2;
	}
	if ((np = pg_realloc(b->p, nc)) == NULL) {
		b->err |= MBUF_NOMEM;
		return -1;
	}
	b->p = np;
	b->cap = nc;
	return 0;
}

int
mbuf_reserve(struct mbuf *b, size_t n)
{
	if (b->err)
		return -1;
	if (b->max != 0 && n > b->max - b->len)
		n = b->max - b->len;
	return grow(b, n);
}

int
mbuf_add(struct mbuf *b, const void *data, size_t n)
{
	int full = 0;

	if (b->err)
		return -1;
	if (b->max != 0 && n > b->max - b->len) {
		n = b->max - b->len;
		full = 1;
	}
	if (grow(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	if (full) {
		b->err |= MBUF_FULL;
		return -1;
	}
	return 0;
}

void
mbuf_drop(struct mbuf *b, char c)
{
	char *r, *w, *e, *hit;

	if (b->p == NULL || (hit = memchr(b->p, c, b->len)) == NULL)
		return;
	e = b->p + b->len;
	for (w = r = hit; r < e; ) {
		if (*r == c) {
			r++;
			continue;
		}
		if ((hit = memchr(r, c, (size_t)(e - r))) == NULL)
			hit = e;
		memmove(w, r, (size_t)(hit - r));
		w += hit - r;
		r = hit;
	}
	b->len = (size_t)(w - b->p);
	*w = '\0';
}

int
mbuf_add_cp(struct mbuf *b, uint32_t cp)
{
	unsigned char u[4];
	size_t n;

	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xF0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return mbuf_add(b, u, n);
}

char *
mbuf_take(struct mbuf *b)
{
	char *p;

	if (b->p == NULL && grow(b, 0) == -1)
		return NULL;
	if (b->err & MBUF_NOMEM) {
		mbuf_free(b);
		return NULL;
	}
	b->p[b->len] = '\0';
	p = b->p;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void
mbuf_reset(struct mbuf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
mbuf_free(struct mbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
