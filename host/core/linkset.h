/*
 * linkset - the links of one message, each once
 *
 * The links as tx_urls() hands them out (an array of struct pg_url, in
 * the order they were found), a hash set over (url, link text, part)
 * that keeps a link written twice in a part out, and the arena every
 * string lives in: url_parse() writes a link's strings there, and
 * linkset_add() takes them, or gives them back for a duplicate. Links
 * to one host share its host and domain strings (a Lua state's string
 * cache then finds them by address).
 */
#ifndef LINKSET_H
#define LINKSET_H

#include <stddef.h>
#include <phasegate/plugin.h>

struct arena;
struct url;

struct linkset {
	struct pg_url	*v;		/* the links (read them; n of them) */
	size_t		 n;
	size_t		 max;		/* more are dropped */
	struct arena	*arena;		/* where their strings are: parse into it */
	/* private */
	size_t		*hash;		/* of each link */
	size_t		 cap;		/* of v and hash */
	size_t		*set;		/* open addressing: index + 1, 0 empty */
	size_t		 setcap;	/* a power of 2, or 0 */
	const char	*mru_host[4];	/* the last hosts and domains: shared */
	const char	*mru_dom[4];
};

void	 linkset_init(struct linkset *, size_t max);
/*
 * linkset_add - link u, parsed into ls->arena (its newest allocation
 * there), with its HTML link text (or NULL) and part: 1 added, 0 not (the
 * same link is there, or max are), -1 out of memory; when not added u's
 * strings are given back to the arena
 */
int	 linkset_add(struct linkset *, const struct url *u, const char *text,
	    int part);
void	 linkset_free(struct linkset *);

#endif /* LINKSET_H */
