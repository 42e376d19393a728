/*
 * run - one session's run through its chain generation: the per-phase core
 * API that every driver (the proxy, the milter, `check`) calls, so that a
 * filter sees the same session and transaction whatever the front end.
 *
 * A driver makes a run when a session starts and calls one function per
 * SMTP phase, in SMTP order. Each records what its phase carries before a
 * filter sees it (the HELO name; a new transaction with the limits of the
 * configuration, the sender and its ESMTP parameters; a recipient once it
 * passes; the queue id once the session's macros carry one, "i"), runs the
 * filters (chain_call()) and fills in a decision. The
 * driver only moves bytes (the message into tx_msg(run_tx())) and puts
 * decision_reply() into its wire format.
 *
 * The rules of DESIGN section 3 that span phases are kept here:
 * - a reject or tempfail at connect or HELO sticks to the session: every
 *   later phase returns the same decision (run_refusal());
 * - accept at connect or HELO stops filtering for the session, accept at a
 *   later phase for the transaction;
 * - a reject at RCPT refuses that recipient only;
 * - discard marks the transaction (run_discarded()): the driver accepts
 *   and delivers nowhere; run_eom() then says PG_DISCARD;
 * - run_eom() runs the filters, then holds the score against the actions.
 *
 * The engine's own failures are decisions too, logged: an address that is
 * not one is a 501 reject, no memory a tempfail, a transaction phase
 * without a transaction a 503 reject. Nothing here ends the process. A run
 * is worked on by one thread at a time; many runs share a generation.
 */
#ifndef RUN_H
#define RUN_H

#include <phasegate/plugin.h>

#include "decision.h"

struct chain;

/*
 * run_new - a session (see session_new()) on generation c; the run takes
 * its own reference to c. NULL with errno ENOMEM.
 */
struct run	*run_new(struct chain *c, const char *frontend, const char *addr,
		    int port, const char *name);
/*
 * run_free - end the transaction, run the filters' close hooks, free their
 * data and the session, release the generation. run_free(NULL) does nothing.
 */
void		 run_free(struct run *);

/* The model: valid until run_free(); run_tx() NULL outside a transaction. */
struct pg_session *run_session(struct run *);
struct pg_tx	*run_tx(struct run *);

enum pg_verdict	 run_connect(struct run *, struct decision *);
/* run_helo - name becomes the session's HELO before the helo filters run */
enum pg_verdict	 run_helo(struct run *, const char *name, struct decision *);
/*
 * run_mail - end any transaction and start one: sender (with or without
 * brackets, "" or "<>" for the null sender) and its ESMTP parameters (NULL
 * or "" for none) are recorded, then the mail filters run. After a refusal
 * the transaction stays (the driver ends it, or the next run_mail()) but
 * for a sender that is not an address or no memory, where it is gone.
 */
enum pg_verdict	 run_mail(struct run *, const char *sender, const char *args,
		    struct decision *);
/* run_rcpt - the rcpt filters; a recipient that passes joins the tx */
enum pg_verdict	 run_rcpt(struct run *, const char *rcpt, struct decision *);
/*
 * run_rcpt_drop - a recipient that passed was refused after all (by the
 * proxy's upstream): it leaves the transaction again. 0, or -1 (ENOENT)
 */
int		 run_rcpt_drop(struct run *, const char *rcpt);
enum pg_verdict	 run_data(struct run *, struct decision *);
/*
 * run_header - the header filters for one field (the milter: as each
 * arrives); value is as after the colon and is unfolded here
 */
enum pg_verdict	 run_header(struct run *, const char *name, const char *value,
		    struct decision *);
enum pg_verdict	 run_eoh(struct run *, struct decision *);
/* run_headers - run_header() for every field of tx_msg(), then run_eoh() */
enum pg_verdict	 run_headers(struct run *, struct decision *);
enum pg_verdict	 run_eom(struct run *, struct decision *);
/*
 * run_upstream - the proxy: the upstream's final reply to the message
 * (normal form, lines joined by CRLF). The message's summary line
 * (msglog.h), held since run_eom() let it pass, goes out with it, and the
 * queue id of a reply "... queued as ID" becomes the transaction's. A
 * message that passed and gets no run_upstream() is logged at
 * run_tx_end(). Other front ends' lines go out at once.
 */
void		 run_upstream(struct run *, const char *reply);
/*
 * run_refused - the front end refused the received message itself (too
 * big, bare newlines, a write error, a mail loop) with reply (normal
 * form): its summary line (by=phasegate) and its counts
 */
void		 run_refused(struct run *, const char *reply);
/* run_tx_end - the transaction is over (end of data, RSET, abort): freed */
void		 run_tx_end(struct run *);

/* run_refusal - the sticky connect/HELO refusal, or NULL */
const struct decision *run_refusal(struct run *);
/* run_discarded - 1 when the transaction is to be delivered nowhere */
int		 run_discarded(struct run *);
/*
 * run_filtering - 1 while filters will still be called for the
 * transaction: no refusal, accept or discard has ended it (the milter
 * stops spooling the body then)
 */
int		 run_filtering(struct run *);

#endif /* RUN_H */
