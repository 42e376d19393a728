/*
 * chain - the phase engine: one generation of loaded filters and the rules
 * of DESIGN section 3 that combine their verdicts.
 *
 * A chain is built from a configuration (plugins loaded, scripts compiled,
 * every init() run) and is refcounted: a session holds the generation it
 * started with, and a reload makes a new one that only new sessions see.
 *
 * The front ends call chain_<phase>() as the SMTP conversation goes. Each
 * returns the verdict and fills in a decision: its reply in normal form (see
 * reply.h) and which filter gave it. PG_ERROR never comes out: a filter
 * error becomes that filter's on_error verdict, logged. A filter's bad reply
 * (a reject without a 5xx code, CR inside a line) is a filter error too.
 *
 * - connect/HELO reject or tempfail sticks to the session: every later
 *   chain_*() of the session returns the same decision.
 * - accept at connect/HELO stops filtering for the whole session; accept
 *   later stops filtering for the transaction.
 * - reject at RCPT refuses that recipient only; chain_rcpt() adds passed
 *   recipients to the tx.
 * - discard marks the tx: the front end accepts and delivers nowhere.
 * - chain_eom() runs the filters, then holds the score against actions and
 *   records the X-Spam-* headers as changes by the filter "actions".
 */
#ifndef CHAIN_H
#define CHAIN_H

#include <stddef.h>
#include <stdint.h>
#include <phasegate/plugin.h>

struct config;

struct decision {
	enum pg_verdict	 verdict;
	int		 error;		/* 1: it is an on_error verdict */
	char		 by[256];	/* filter that decided, "actions", or "" */
	char		 reply[PG_REPLY_MAX];	/* normal form; "" for continue/accept/discard */
};

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
 * the phases it uses. When no filter wants a phase, chain_<phase>() is
 * still correct and still does the chain's own work (recipients into the
 * tx, sticky refusals, actions at eom); a front end may leave it out only
 * when it needs none of that. chain_wants_body: some filter reads the body
 * at eom. chain_phases: the union of the filters' PG_PHASE_* masks (bit
 * 1 << CHAIN_x for phase x, PG_PHASE_BODY for the body); chain_filter_phases:
 * filter i's mask.
 */
int		 chain_wants(const struct chain *, enum chain_phase);
int		 chain_wants_body(const struct chain *);
uint32_t	 chain_phases(const struct chain *);
uint32_t	 chain_filter_phases(const struct chain *, size_t);
int		 chain_may_change(const struct chain *);
const char	*chain_phase_name(enum chain_phase);

enum pg_verdict	 chain_connect(struct pg_session *, struct decision *);
enum pg_verdict	 chain_helo(struct pg_session *, const char *, struct decision *);
enum pg_verdict	 chain_mail(struct pg_tx *, const char *sender, struct decision *);
enum pg_verdict	 chain_rcpt(struct pg_tx *, const char *rcpt, struct decision *);
enum pg_verdict	 chain_data(struct pg_tx *, struct decision *);
/* value: as after the colon; it is unfolded here (line ends and outer white space dropped) */
enum pg_verdict	 chain_header(struct pg_tx *, const char *name,
		    const char *value, struct decision *);
/* chain_headers - chain_header() for every field of the tx's message, then chain_eoh() */
enum pg_verdict	 chain_headers(struct pg_tx *, struct decision *);
enum pg_verdict	 chain_eoh(struct pg_tx *, struct decision *);
enum pg_verdict	 chain_eom(struct pg_tx *, struct decision *);
void		 chain_close(struct pg_session *);	/* on_close hooks; does not free */

#endif /* CHAIN_H */
