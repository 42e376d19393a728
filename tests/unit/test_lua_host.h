/*
 * test_lua_host - a small host for the Lua bridge's tests and benchmark:
 * implements struct pg_host over plain structs, records changes, scores
 * and log lines, and runs a message through every phase of a plugin.
 */
#ifndef TEST_LUA_HOST_H
#define TEST_LUA_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <phasegate/plugin.h>

#define TH_MAX	256

struct pg_session {
	char		*str[7];		/* enum pg_session_str */
	int		 port;
	void		*data;
	void		(*data_free)(void *);
	uint64_t	 lookup_ms;	/* parked in lookups in this callback */
};

struct th_hdr {
	char	*name, *value, *raw;
};

struct pg_tx {
	struct pg_session *s;
	char		*id;
	char		*sender;
	char		*rcpt[TH_MAX];
	size_t		 nrcpt;
	struct th_hdr	 hdr[TH_MAX];
	size_t		 nhdr;
	char		*body;
	size_t		 bodylen;
	size_t		 size;
	void		*data;
	void		(*data_free)(void *);
	char		*changes;		/* "kind args\n"... */
	size_t		 changeslen;
	char		*symbols;		/* "SYM(points) ..." sorted by call order */
	double		 score;
};

/* The host table; logs go into th_log (and stderr when TH_VERBOSE is set). */
extern const struct pg_host th_host;
const char	*th_log(void);
void		 th_log_clear(void);

/* Options for init(): key/value pairs, NULL-terminated. */
struct pg_options *th_options(const char *const *kv);
void		 th_options_free(struct pg_options *);

struct pg_session *th_session_new(const char *addr, const char *name,
		    const char *helo);
void		 th_session_free(struct pg_session *);
struct pg_tx	*th_tx_new(struct pg_session *, const char *sender);
void		 th_tx_add_rcpt(struct pg_tx *, const char *);
/* th_tx_message - parse a raw message (header, empty line, body). */
void		 th_tx_message(struct pg_tx *, const char *, size_t);
void		 th_tx_free(struct pg_tx *);

/*
 * th_run - run one whole message through plugin p (state st): connect,
 * helo, mail, rcpt per recipient, data, header per field, eoh, eom,
 * close. Stops at the first verdict other than continue (a rejected
 * recipient only drops that recipient). The phase that decided goes into
 * *phase ("" when none), its reply into reply.
 */
enum pg_verdict	 th_run(const struct pg_plugin *p, void *st,
		    struct pg_session *s, struct pg_tx *tx,
		    const char *helo, char *phase, size_t phaselen,
		    struct pg_reply *reply);

/*
 * Lookups go to the real resolver (host/core/lookup.c): th_dns_server()
 * points it at a server ("127.0.0.1:PORT"; -1 on a bad one), and
 * th_lookup_budget_ms is the per-callback budget (timeouts.lookups),
 * default 5000. th_run() starts each callback's budget afresh.
 */
extern uint64_t	 th_lookup_budget_ms;
int		 th_dns_server(const char *server);

/* th_read_file - the whole file, NUL-terminated, malloc'd; NULL on error */
char		*th_read_file(const char *path, size_t *len);

#endif /* TEST_LUA_HOST_H */
