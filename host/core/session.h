/*
 * session - one SMTP session (a client connection, a milter connection, or
 * one run of `phasegate check`), whatever the front end: the model only.
 *
 * The engine's state for the session (the filter being called, each
 * filter's data, sticky verdicts) is not here: the engine (run.h) keeps it
 * and hangs it on the session through an opaque pointer
 * (session_set_engine()), which the host table reads. Only one thread
 * works on a session at a time. Strings passed in are copied; strings
 * handed out stay valid until they are set again or session_free().
 */
#ifndef SESSION_H
#define SESSION_H

#include <stdint.h>
#include <phasegate/plugin.h>

typedef const char *(*session_macro_fn)(void *ctx, const char *name);

/*
 * session_new - addr and name NULL mean "unknown"; frontend is "smtp",
 * "milter" or "check". NULL with errno ENOMEM.
 */
struct pg_session *session_new(const char *frontend, const char *addr,
		    int port, const char *name);
void		 session_free(struct pg_session *);

/* Setters copy the string (NULL clears it); 0, or -1 (ENOMEM: unchanged). */
int		 session_set_helo(struct pg_session *, const char *);
int		 session_set_tls(struct pg_session *, const char *);
int		 session_set_auth(struct pg_session *, const char *);
/*
 * session_set_ptr - the client's PTR name, not verified ("unknown": none);
 * NULL: session_str(PG_S_CLIENT_PTR) asks the macros for {client_ptr}
 */
int		 session_set_ptr(struct pg_session *, const char *);
/*
 * session_set_tls_info - the whole of the session's TLS (t->version not
 * NULL; the strings are copied; PG_S_TLS is the version); 0 or -1
 * (ENOMEM, the session as it was). session_tls(): NULL without TLS.
 */
int		 session_set_tls_info(struct pg_session *, const struct pg_tls *t);
const struct pg_tls *session_tls(struct pg_session *);
/*
 * session_set_client - the client is another than the connection's (a
 * trusted XFORWARD told who): address, port (0 unknown) and name (NULL
 * "unknown"); 0, or -1 (ENOMEM: unchanged)
 */
int		 session_set_client(struct pg_session *, const char *addr,
		    int port, const char *name);
/* session_set_name - the client's verified name (NULL: "unknown"); 0 or -1 */
int		 session_set_name(struct pg_session *, const char *);
/*
 * session_set_name_wait - the client's names are still being looked up:
 * fn(ctx, s) waits for them and sets them (session_set_name(),
 * session_set_ptr()). It is called once, by session_name_join(), which
 * runs first thing in every reader and setter of the names
 * (session_str() of PG_S_CLIENT_NAME or PG_S_CLIENT_PTR,
 * session_set_name(), session_set_ptr(), session_set_client()); fn NULL
 * takes a pending one back. ctx is not owned.
 */
typedef void (*session_name_fn)(void *ctx, struct pg_session *);
void		 session_set_name_wait(struct pg_session *, session_name_fn,
		    void *ctx);
void		 session_name_join(struct pg_session *);
/* session_set_macro_fn - where session_macro() asks; ctx is not owned */
void		 session_set_macro_fn(struct pg_session *, session_macro_fn, void *ctx);

const char	*session_str(struct pg_session *, enum pg_session_str);
int		 session_client_port(struct pg_session *);
const char	*session_macro(struct pg_session *, const char *name);

/*
 * Time parked in DNS lookups during the current filter call, against
 * timeouts.lookups: the engine calls session_lookup_reset() as it calls a
 * filter.
 */
uint64_t	 session_lookup_ms(struct pg_session *);
void		 session_lookup_add(struct pg_session *, uint64_t ms);
void		 session_lookup_reset(struct pg_session *);
unsigned	 session_next_tx(struct pg_session *);	/* 1, 2, ... */

/* session_set_engine - the engine's record for this session; not owned */
void		 session_set_engine(struct pg_session *, void *);
void		*session_engine(struct pg_session *);

#endif /* SESSION_H */
