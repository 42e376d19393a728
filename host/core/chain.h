/*
 * chain - one generation of loaded filters and how they are called: the
 * rules of DESIGN section 3 that turn the filters' verdicts at a phase
 * into one decision.
 *
 * A chain is built from a configuration (plugins loaded, scripts compiled,
 * every init() run) and is refcounted: a session's run (run.h) holds the
 * generation it started with, and a reload makes a new one that only new
 * sessions see. A generation is immutable once loaded: many sessions call
 * it at once. What a session keeps between phases (sticky refusals and
 * accepts, the filters' data) is the run's, passed in as a host_frame.
 *
 * chain_call() runs the filters of one phase and fills in a decision: the
 * verdict, its reply in normal form (see reply.h) and which filter gave
 * it. PG_ERROR never comes out: a filter error becomes that filter's
 * on_error verdict, logged. A filter's bad reply (a reject without a 5xx
 * code, CR inside a line) is a filter error too, and so is discard at
 * connect or HELO. chain_actions() holds a transaction's score against the
 * configured actions after the end-of-message filters.
 */
#ifndef CHAIN_H
#define CHAIN_H

#include <stddef.h>
#include <stdint.h>
#include <phasegate/plugin.h>

#include "decision.h"

struct config;
struct host_frame;
struct msg_limits;

enum chain_phase {
	CHAIN_CONNECT = 0,
	CHAIN_HELO,
	CHAIN_MAIL,
	CHAIN_RCPT,
	CHAIN_DATA,
	CHAIN_HEADER,
	CHAIN_EOH,
	CHAIN_EOM,
	CHAIN_CLOSE,
	CHAIN_NPHASES
};

/* chain_load - the chain takes cfg over (config_free() at the last unref) */
struct chain	*chain_load(struct config *cfg, char *err, size_t errlen);
void		 chain_ref(struct chain *);
void		 chain_unref(struct chain *);	/* fini()s and unloads at 0 */
const struct config *chain_config(const struct chain *);

size_t		 chain_filter_count(const struct chain *);
const char	*chain_filter_name(const struct chain *, size_t);
/*
 * chain_wants - 1 when some filter uses the phase: its phases() says so, or
 * (without phases()) it has a callback for it. A filter is called only at
 * the phases it uses. When no filter wants a phase, the run's phase
 * function (run.h) is still correct and still does the engine's own work
 * (recipients into the tx, sticky refusals, actions at eom); a front end
 * may leave it out only when it needs none of that. chain_wants_body: some
 * filter reads the body at eom. chain_phases: the union of the filters'
 * PG_PHASE_* masks (bit 1 << CHAIN_x for phase x, PG_PHASE_BODY for the
 * body); chain_filter_phases: filter i's mask.
 */
int		 chain_wants(const struct chain *, enum chain_phase);
int		 chain_wants_body(const struct chain *);
uint32_t	 chain_phases(const struct chain *);
uint32_t	 chain_filter_phases(const struct chain *, size_t);
int		 chain_may_change(const struct chain *);
const char	*chain_phase_name(enum chain_phase);

/*
 * chain_limits - the limits of a transaction's message under this
 * generation's configuration (spool size and directory); the one place
 * that maps the configuration to struct msg_limits
 */
void		 chain_limits(const struct chain *, struct msg_limits *);

/*
 * chain_call - call the filters that use phase ph, in order, until one
 * gives a verdict other than continue; that verdict, with d saying which
 * filter and what reply. tx is NULL at connect, HELO and close; a1, a2 are
 * the phase's arguments (HELO name; sender; recipient; header name and
 * value). fr->filter and fr->name say which filter is being called while
 * it runs. At CHAIN_CLOSE every on_close hook runs and the result is
 * continue.
 */
enum pg_verdict	 chain_call(const struct chain *, struct host_frame *fr,
		    enum chain_phase ph, struct pg_session *, struct pg_tx *tx,
		    const char *a1, const char *a2, struct decision *d);
/*
 * chain_actions - after the end-of-message filters let a message pass:
 * reject or tempfail it when its score reaches those actions, else record
 * the X-Spam-* headers as changes by the filter "actions"; continue when
 * the configuration has no actions
 */
enum pg_verdict	 chain_actions(const struct chain *, struct pg_tx *,
		    struct decision *);

#endif /* CHAIN_H */
