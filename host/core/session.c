/*
 * session - one SMTP session, whatever the front end
 *
 * Public: session_new(), session_free() and the accessors in session.h.
 * Owns copies of every string it is given, one data slot per filter of its
 * chain generation, and a reference to that generation. Only one thread
 * works on a session at a time, so nothing here locks. session_new()
 * returns NULL with errno ENOMEM when memory runs out.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain.h"
#include "session.h"
#include "xmalloc.h"

struct slot {
	void	*data;
	void	(*free_fn)(void *);
};

struct pg_session {
	struct chain	*chain;
	char		 id[24];
	char		*frontend;
	char		*addr;
	char		*name;
	char		*helo;
	char		*tls;
	char		*auth;
	int		 port;
	session_macro_fn macro_fn;
	void		*macro_ctx;
	int		 filter;
	struct slot	*slots;
	size_t		 nslots;
	int		 accepted;
	struct decision	*refusal;
	int		 refusal_static;
	unsigned	 ntx;
	uint64_t	 lookup_ms;	/* parked in lookups in this filter call */
};

static atomic_uint session_counter;

/* set_str - replace *dst by a copy of src (NULL allowed); 0 or -1 */
static int
set_str(char **dst, const char *src)
{
	char *p = NULL;

	if (src != NULL && (p = pg_strdup(src)) == NULL)
		return -1;
	free(*dst);
	*dst = p;
	return 0;
}

struct pg_session *
session_new(struct chain *chain, const char *frontend, const char *addr,
    int port, const char *name)
{
	static unsigned start;
	struct pg_session *s;
	unsigned n;

	if ((s = pg_calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (start == 0)
		start = (unsigned)time(NULL);
	n = atomic_fetch_add(&session_counter, 1) + 1;
	snprintf(s->id, sizeof(s->id), "%05X%06X", start & 0xfffff, n & 0xffffff);
	s->filter = -1;
	s->port = port;
	s->nslots = chain_filter_count(chain);
	if (set_str(&s->frontend, frontend) == -1 ||
	    set_str(&s->addr, addr ? addr : "unknown") == -1 ||
	    set_str(&s->name, name ? name : "unknown") == -1 ||
	    (s->slots = pg_calloc(s->nslots, sizeof(*s->slots))) == NULL) {
		free(s->frontend);
		free(s->addr);
		free(s->name);
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	chain_ref(chain);
	s->chain = chain;
	return s;
}

void
session_free(struct pg_session *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nslots; i++)
		if (s->slots[i].free_fn != NULL && s->slots[i].data != NULL)
			s->slots[i].free_fn(s->slots[i].data);
	free(s->slots);
	free(s->frontend);
	free(s->addr);
	free(s->name);
	free(s->helo);
	free(s->tls);
	free(s->auth);
	if (!s->refusal_static)
		free(s->refusal);
	chain_unref(s->chain);
	free(s);
}

struct chain *
session_chain(struct pg_session *s)
{
	return s->chain;
}

void
session_set_helo(struct pg_session *s, const char *v)
{
	(void)set_str(&s->helo, v);
}

void
session_set_tls(struct pg_session *s, const char *v)
{
	(void)set_str(&s->tls, v);
}

void
session_set_auth(struct pg_session *s, const char *v)
{
	(void)set_str(&s->auth, v);
}

void
session_set_macro_fn(struct pg_session *s, session_macro_fn fn, void *ctx)
{
	s->macro_fn = fn;
	s->macro_ctx = ctx;
}

const char *
session_str(struct pg_session *s, enum pg_session_str f)
{
	switch (f) {
	case PG_S_ID:
		return s->id;
	case PG_S_CLIENT_ADDR:
		return s->addr;
	case PG_S_CLIENT_NAME:
		return s->name;
	case PG_S_HELO:
		return s->helo;
	case PG_S_TLS:
		return s->tls;
	case PG_S_AUTH:
		return s->auth;
	case PG_S_FRONTEND:
		return s->frontend;
	}
	return NULL;
}

int
session_client_port(struct pg_session *s)
{
	return s->port;
}

const char *
session_macro(struct pg_session *s, const char *name)
{
	if (s->macro_fn == NULL || name == NULL)
		return NULL;
	return s->macro_fn(s->macro_ctx, name);
}

void
session_set_filter(struct pg_session *s, int i)
{
	s->filter = i;
	if (i >= 0)
		s->lookup_ms = 0;	/* a new filter call: a new lookup budget */
}

int
session_filter(struct pg_session *s)
{
	return s->filter;
}

void *
session_data_get(struct pg_session *s)
{
	if (s->filter < 0 || (size_t)s->filter >= s->nslots)
		return NULL;
	return s->slots[s->filter].data;
}

void
session_data_set(struct pg_session *s, void *data, void (*free_fn)(void *))
{
	struct slot *sl;

	if (s->filter < 0 || (size_t)s->filter >= s->nslots)
		return;
	sl = &s->slots[s->filter];
	if (sl->free_fn != NULL && sl->data != NULL && sl->data != data)
		sl->free_fn(sl->data);
	sl->data = data;
	sl->free_fn = free_fn;
}

int
session_accepted(struct pg_session *s)
{
	return s->accepted;
}

void
session_set_accepted(struct pg_session *s)
{
	s->accepted = 1;
}

const struct decision *
session_refusal(struct pg_session *s)
{
	return s->refusal;
}

void
session_set_refusal(struct pg_session *s, const struct decision *d)
{
	/* Out of memory, the session is still refused: with a 421 that ends it. */
	static const struct decision oom = {
		.verdict = PG_TEMPFAIL,
		.by = "phasegate",
		.reply = "421 4.3.1 Insufficient system resources",
	};

	if (s->refusal == NULL && (s->refusal = pg_malloc(sizeof(*d))) == NULL) {
		s->refusal = (struct decision *)&oom;
		s->refusal_static = 1;
		return;
	}
	if (!s->refusal_static)
		memcpy(s->refusal, d, sizeof(*d));
}

unsigned
session_next_tx(struct pg_session *s)
{
	return ++s->ntx;
}

uint64_t
session_lookup_ms(struct pg_session *s)
{
	return s->lookup_ms;
}

void
session_lookup_add(struct pg_session *s, uint64_t ms)
{
	s->lookup_ms += ms;
}
