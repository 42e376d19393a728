/*
 * host_api - the struct pg_host table handed to every plugin's init(), and
 * the struct pg_options built from a configuration entry.
 *
 * The table reaches what the engine keeps per session through struct
 * host_frame, which the engine (run.c) fills in and hangs on the session
 * (session_set_engine()), and which chain_call() updates as it calls
 * filters; this module only reads it and keeps the data slots. So the
 * dependencies run one way: chain -> host_api -> session, tx -> msg.
 */
#ifndef HOST_API_H
#define HOST_API_H

#include <stddef.h>
#include <phasegate/plugin.h>

struct config_filter;

/* one filter's data: session_data_set() / tx_data_set() */
struct host_slot {
	void	*data;
	void	(*free_fn)(void *);
};

/*
 * host_frame - the engine's side of a session as the host table sees it:
 * the filter being called (index and name; -1 and NULL between calls) and
 * n slots, one per filter, for the session and for the current
 * transaction. The slots are the engine's memory; host_slots_clear()
 * frees what filters left in them.
 */
struct config;

struct host_frame {
	const struct config	*cfg;		/* the generation's configuration */
	int			 filter;
	const char		*name;
	size_t			 n;
	struct host_slot	*session_slots;
	struct host_slot	*tx_slots;
	/* the transaction's times and lookups, for its summary (msglog.h) */
	uint64_t		*filter_us;	/* per filter; NULL: not kept */
	uint64_t		 tx_us;		/* in filters */
	unsigned		 tx_lookups;
	uint64_t		 tx_lookup_ms;
};

/* host_slots_clear - free the data in n slots (their free_fn) and empty them */
void		 host_slots_clear(struct host_slot *, size_t n);

const struct pg_host *host_api(void);

/*
 * host_api_set_trace - fn gets every lookup a filter makes as it ends
 * (one pg_dns_query, or one zone of a dnsbl_query with its subject), with
 * the filter's name; NULL: none. Process-wide: for phasegate check (one
 * session at a time), not for serve.
 */
typedef void	(*host_trace_fn)(void *ctx, const char *filter,
		    const struct pg_dns_query *q, const char *subject,
		    const struct pg_dnsbl_zone *z);
void		 host_api_set_trace(host_trace_fn fn, void *ctx);

/*
 * Options for one filter entry; extra key/values may be added by the host.
 * host_options_new() is NULL and host_options_add() -1 when out of memory
 * (the options are as before the call); the strings are copied.
 */
struct pg_options *host_options_new(const struct config_filter *);
int		 host_options_add(struct pg_options *, const char *key, const char *value);
void		 host_options_free(struct pg_options *);

/* Set the per-thread last_error() text. */
void		 host_set_error(const char *fmt, ...)
		    __attribute__((__format__(__printf__, 1, 2)));

#endif /* HOST_API_H */
