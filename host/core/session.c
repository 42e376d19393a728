/*
 * session - one SMTP session, whatever the front end
 *
 * Public: session_new(), session_free() and the accessors in session.h.
 * Owns copies of every string it is given; the engine pointer and the
 * macro context are not owned. Only one thread works on a session at a
 * time, so nothing here locks; the id counter and the process start stamp
 * in the ids are atomics, as sessions start on any worker thread.
 * session_new() and the setters fail with ENOMEM when memory runs out and
 * leave the session as it was.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "session.h"
#include "xmalloc.h"

struct pg_session {
	char		 id[24];
	char		*frontend;
	char		*addr;
	char		*name;
	char		*ptr;		/* NULL: ask the macros ({client_ptr}) */
	char		*helo;
	char		*tls;		/* the version (tlsinfo.version) */
	char		*cipher, *subject;
	struct pg_tls	 tlsinfo;
	char		*auth;
	int		 port;
	session_macro_fn macro_fn;
	void		*macro_ctx;
	session_name_fn	 name_fn;	/* the names' lookup, until joined */
	void		*name_ctx;
	void		*engine;
	unsigned	 ntx;
	uint64_t	 lookup_ms;	/* parked in lookups in this filter call */
};

static atomic_uint session_counter;
static atomic_uint session_start;	/* time of the first session, 0 before */

/* set_str - replace *dst by a copy of src (NULL allowed); 0 or -1 */
static int
set_str(char **dst, const char *src)
{
	char *p = NULL;

	if (src != NULL && (p = pg_strdup(src)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	free(*dst);
	*dst = p;
	return 0;
}

/* start_stamp - the process's first session time, the same for every id */
static unsigned
start_stamp(void)
{
	unsigned st = atomic_load(&session_start), now;

	if (st != 0)
		return st;
	now = (unsigned)time(NULL) | 1;	/* never 0 */
	/* the first thread to get here sets it; the others take its value */
	if (atomic_compare_exchange_strong(&session_start, &st, now))
		return now;
	return st;
}

struct pg_session *
session_new(const char *frontend, const char *addr, int port,
    const char *name)
{
	struct pg_session *s;
	unsigned n;

	if ((s = pg_calloc(1, sizeof(*s))) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	n = atomic_fetch_add(&session_counter, 1) + 1;
	/* "pg-" and lower case: never taken for a Postfix or Sendmail queue id */
	snprintf(s->id, sizeof(s->id), "pg-%05x-%06x", start_stamp() & 0xfffff,
	    n & 0xffffff);
	s->port = port;
	if (set_str(&s->frontend, frontend) == -1 ||
	    set_str(&s->addr, addr ? addr : "unknown") == -1 ||
	    set_str(&s->name, name ? name : "unknown") == -1) {
		session_free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void
session_free(struct pg_session *s)
{
	if (s == NULL)
		return;
	free(s->frontend);
	free(s->addr);
	free(s->name);
	free(s->ptr);
	free(s->helo);
	free(s->tls);
	free(s->cipher);
	free(s->subject);
	free(s->auth);
	free(s);
}

int
session_set_helo(struct pg_session *s, const char *v)
{
	return set_str(&s->helo, v);
}

int
session_set_tls(struct pg_session *s, const char *v)
{
	if (set_str(&s->tls, v) == -1)
		return -1;
	free(s->cipher);
	free(s->subject);
	s->cipher = s->subject = NULL;
	memset(&s->tlsinfo, 0, sizeof(s->tlsinfo));
	s->tlsinfo.version = s->tls;
	return 0;
}

int
session_set_tls_info(struct pg_session *s, const struct pg_tls *t)
{
	char *v = NULL, *c = NULL, *p = NULL;

	if ((v = pg_strdup(t->version)) == NULL ||
	    (t->cipher != NULL && (c = pg_strdup(t->cipher)) == NULL) ||
	    (t->peer_subject != NULL && (p = pg_strdup(t->peer_subject)) ==
	    NULL)) {
		free(v);
		free(c);
		errno = ENOMEM;
		return -1;
	}
	free(s->tls);
	free(s->cipher);
	free(s->subject);
	s->tls = v;
	s->cipher = c;
	s->subject = p;
	s->tlsinfo = *t;
	s->tlsinfo.version = v;
	s->tlsinfo.cipher = c;
	s->tlsinfo.peer_subject = p;
	return 0;
}

const struct pg_tls *
session_tls(struct pg_session *s)
{
	return s->tls != NULL ? &s->tlsinfo : NULL;
}

int
session_set_auth(struct pg_session *s, const char *v)
{
	return set_str(&s->auth, v);
}

int
session_set_ptr(struct pg_session *s, const char *v)
{
	session_name_join(s);
	return set_str(&s->ptr, v);
}

int
session_set_name(struct pg_session *s, const char *v)
{
	session_name_join(s);
	return set_str(&s->name, v != NULL ? v : "unknown");
}

void
session_set_name_wait(struct pg_session *s, session_name_fn fn, void *ctx)
{
	s->name_fn = fn;
	s->name_ctx = ctx;
}

void
session_name_join(struct pg_session *s)
{
	session_name_fn fn = s->name_fn;

	if (fn == NULL)
		return;
	s->name_fn = NULL;	/* fn sets the names: no second call */
	fn(s->name_ctx, s);
}

int
session_set_client(struct pg_session *s, const char *addr, int port,
    const char *name)
{
	char *a, *n;

	session_name_join(s);
	if ((a = pg_strdup(addr ? addr : "unknown")) == NULL ||
	    (n = pg_strdup(name ? name : "unknown")) == NULL) {
		free(a);
		errno = ENOMEM;
		return -1;
	}
	free(s->addr);
	free(s->name);
	s->addr = a;
	s->name = n;
	s->port = port;
	return 0;
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
		session_name_join(s);
		return s->name;
	case PG_S_HELO:
		return s->helo;
	case PG_S_TLS:
		return s->tls;
	case PG_S_AUTH:
		return s->auth;
	case PG_S_FRONTEND:
		return s->frontend;
	case PG_S_CLIENT_PTR:
		session_name_join(s);
		return s->ptr != NULL ? s->ptr : session_macro(s, "{client_ptr}");
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

unsigned
session_next_tx(struct pg_session *s)
{
	return ++s->ntx;
}

void
session_set_engine(struct pg_session *s, void *engine)
{
	s->engine = engine;
}

void *
session_engine(struct pg_session *s)
{
	return s->engine;
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

void
session_lookup_reset(struct pg_session *s)
{
	s->lookup_ms = 0;
}
