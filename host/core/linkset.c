/*
 * linkset - a message's links, each once (see linkset.h)
 *
 * Public: linkset_init(), linkset_add(), linkset_free().
 * Allocation with pg_*(); a failure drops the link (-1), never the set.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "linkset.h"
#include "url.h"
#include "xmalloc.h"

void
linkset_init(struct linkset *ls, size_t max)
{
	memset(ls, 0, sizeof(*ls));
	ls->max = max;
}

void
linkset_free(struct linkset *ls)
{
	free(ls->v);
	free(ls->hash);
	free(ls->set);
	arena_free(&ls->arena);
	memset(ls, 0, sizeof(*ls));
}

/* hash8 - n bytes of s into h, eight at a time (a multiply and a fold per word) */
static uint64_t
hash8(uint64_t h, const char *s, size_t n)
{
	uint64_t w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
		h ^= h >> 29;
	}
	w = (uint64_t)n << 56;
	memcpy(&w, s, n);	/* the tail in the low bytes, its length on top */
	h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
	return h ^ (h >> 29);
}

/*
 * url_hash - a link's url, text and part (a set of at most max links: a
 * crafted collision costs a compare per link, no more)
 */
static size_t
url_hash(const char *url, const char *text, int part)
{
	uint64_t h = hash8((uint64_t)part + 1, url, strlen(url));

	if (text != NULL)
		h = hash8(h ^ 0xff, text, strlen(text));
	return (size_t)h;
}

/* same_url - link k is (url, text, part) */
static int
same_url(const struct linkset *ls, size_t k, const char *url, const char *text,
    int part)
{
	const struct pg_url *u = &ls->v[k];

	return u->part == part && strcmp(u->url, url) == 0 &&
	    ((text == NULL && u->text == NULL) || (text != NULL &&
	    u->text != NULL && strcmp(text, u->text) == 0));
}

/* set_grow - a set twice as large, the links so far in it; -1 */
static int
set_grow(struct linkset *ls)
{
	size_t nc = ls->setcap ? ls->setcap * 2 : 64, i, h, *ns;

	if ((ns = pg_calloc(nc, sizeof(*ns))) == NULL)
		return -1;
	for (i = 0; i < ls->n; i++) {
		h = ls->hash[i] & (nc - 1);
		while (ns[h] != 0)
			h = (h + 1) & (nc - 1);
		ns[h] = i + 1;
	}
	free(ls->set);
	ls->set = ns;
	ls->setcap = nc;
	return 0;
}

/* seen - 1 when the same link is there, else 0 and *slot is where it goes, *hash its hash; -1 */
static int
seen(struct linkset *ls, const char *url, const char *text, int part,
    size_t *slot, size_t *hash)
{
	size_t h;

	if ((ls->n + 1) * 2 > ls->setcap && set_grow(ls) == -1)
		return -1;
	*hash = url_hash(url, text, part);
	for (h = *hash & (ls->setcap - 1); ls->set[h] != 0;
	    h = (h + 1) & (ls->setcap - 1))
		if (ls->hash[ls->set[h] - 1] == *hash &&
		    same_url(ls, ls->set[h] - 1, url, text, part))
			return 1;
	*slot = h;
	return 0;
}

/*
 * shared - s, or the same string seen among the last few (mru, newest
 * first): links to one host then hand out one pointer, which a Lua
 * state's string cache finds without hashing it again
 */
static const char *
shared(const char **mru, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n && mru[i] != NULL; i++)
		if (mru[i] == s || strcmp(mru[i], s) == 0) {
			s = mru[i];
			break;
		}
	if (i == n)
		i = n - 1;
	memmove(mru + 1, mru, i * sizeof(*mru));
	mru[0] = s;
	return s;
}

/* give_back - a link not kept: its strings back to the arena (or its buffer freed) */
static void
give_back(struct linkset *ls, const struct url *u)
{
	if (u->buf != NULL)
		free(u->buf);
	else
		arena_pop(&ls->arena, (void *)u->url);
}

/* grow - room for twice as many links; -1 */
static int
grow(struct linkset *ls)
{
	size_t nc = ls->cap ? ls->cap * 2 : 16, *nh;
	struct pg_url *nv;

	if ((nv = pg_realloc(ls->v, nc * sizeof(*nv))) == NULL)
		return -1;
	ls->v = nv;
	if ((nh = pg_realloc(ls->hash, nc * sizeof(*nh))) == NULL)
		return -1;
	ls->hash = nh;
	ls->cap = nc;
	return 0;
}

int
linkset_add(struct linkset *ls, const struct url *u, const char *text,
    int part)
{
	size_t slot, hash;
	int dup;

	if (ls->n >= ls->max) {
		give_back(ls, u);
		return 0;
	}
	if ((dup = seen(ls, u->url, text, part, &slot, &hash)) != 0 ||
	    (ls->n == ls->cap && grow(ls) == -1)) {
		give_back(ls, u);
		return dup == 1 ? 0 : -1;
	}
	ls->v[ls->n] = (struct pg_url){ u->url, u->scheme,
	    shared(ls->mru_host, 4, u->host), shared(ls->mru_dom, 4, u->domain),
	    u->path, text, NULL, part };
	ls->hash[ls->n] = hash;
	ls->set[slot] = ++ls->n;
	return 1;
}
