/*
 * session - one SMTP session (a client connection, a milter connection, or
 * one run of `phasegate check`), whatever the front end.
 *
 * A session holds a reference to the chain generation it started with, so a
 * reload never changes the filters under a running session. Only one thread
 * works on a session at a time. Strings passed in are copied.
 */
#ifndef SESSION_H
#define SESSION_H

#include <stdint.h>
#include <phasegate/plugin.h>

struct chain;

typedef const char *(*session_macro_fn)(void *ctx, const char *name);

struct pg_session *session_new(struct chain *, const char *frontend,
		    const char *addr, int port, const char *name);
void		 session_free(struct pg_session *);	/* frees filter data too */

struct chain	*session_chain(struct pg_session *);
void		 session_set_helo(struct pg_session *, const char *);
void		 session_set_tls(struct pg_session *, const char *);
void		 session_set_auth(struct pg_session *, const char *);
void		 session_set_macro_fn(struct pg_session *, session_macro_fn, void *ctx);

const char	*session_str(struct pg_session *, enum pg_session_str);
int		 session_client_port(struct pg_session *);
const char	*session_macro(struct pg_session *, const char *name);

/* The filter the chain is calling now (index into the chain), -1 for none. */
void		 session_set_filter(struct pg_session *, int);
int		 session_filter(struct pg_session *);
void		*session_data_get(struct pg_session *);
void		 session_data_set(struct pg_session *, void *, void (*)(void *));

/*
 * Time parked in DNS lookups during the current filter call, against
 * timeouts.lookups: session_set_filter(s, i >= 0) starts it at 0.
 */
uint64_t	 session_lookup_ms(struct pg_session *);
void		 session_lookup_add(struct pg_session *, uint64_t ms);

/* Sticky state set by the chain. */
struct decision;
int		 session_accepted(struct pg_session *);	/* accept at connect/helo */
void		 session_set_accepted(struct pg_session *);
/* a reject/tempfail at connect/HELO: every later command gets it */
const struct decision *session_refusal(struct pg_session *);
void		 session_set_refusal(struct pg_session *, const struct decision *);
unsigned	 session_next_tx(struct pg_session *);	/* 1, 2, ... */

#endif /* SESSION_H */
