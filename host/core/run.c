/*
 * run - one session's run through its chain generation (see run.h)
 *
 * Public: run_new(), run_free(), run_session(), run_tx(), run_connect(),
 * run_helo(), run_mail(), run_rcpt(), run_rcpt_drop(), run_data(),
 * run_header(), run_eoh(), run_headers(), run_eom(), run_tx_end(),
 * run_refusal(), run_discarded(), run_filtering(), run_upstream().
 *
 * A run owns its session, its transaction, a reference to the generation
 * and the engine's state of the session: the host_frame that the host
 * table reads (the filter being called, every filter's session and
 * transaction data) with its slots, in the same allocation as the run,
 * and the sticky verdicts. The limits of a transaction's message are
 * taken from the configuration once, at run_new(); nothing is allocated
 * per phase but what the model keeps (the tx, its strings) and the
 * unfolded copy of a header value over 1 KiB.
 *
 * Input (names, addresses, header values) comes from the network and is
 * checked by the model; text from it is logged escaped. Failures are
 * decisions (see run.h); a refusal that cannot be kept for lack of memory
 * becomes a static 421 that still refuses the session.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "config.h"
#include "decision.h"
#include "host_api.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "msglog.h"
#include "run.h"
#include "session.h"
#include "tx.h"
#include "xmalloc.h"

struct run {
	struct chain		*chain;
	struct pg_session	*s;
	struct pg_tx		*tx;
	struct msg_limits	 lim;
	int			 accepted;	/* at connect/HELO: the session */
	int			 tx_accepted;
	int			 tx_discarded;
	struct decision		*refusal;	/* connect/HELO reject or tempfail */
	int			 refusal_static;
	enum metrics_fe		 fe;
	int			 tx_logged;	/* its summary line is out */
	/* the proxy: the line waits for the upstream's reply (run_upstream()) */
	int			 pending;
	enum chain_phase	 pending_ph;
	struct decision		 pending_d;
	char			 upstream[PG_REPLY_MAX];
	char			 accept_by[256];	/* who accepted it, or "" */
	enum chain_phase	 accept_ph;	/* and at which phase */
	uint64_t		*filter_us;	/* n: the tx's time per filter */
	struct host_frame	 frame;
	struct host_slot	 slots[];	/* n for the session, n for the tx */
};

static const char reply_nomem[] =
    "451 4.3.0 Error: insufficient system resources";

/* a refusal kept without memory: a 421 that ends the session */
static const struct decision refusal_nomem = {
	.verdict = PG_TEMPFAIL,
	.by = "phasegate",
	.reply = "421 4.3.1 Insufficient system resources",
};

struct run *
run_new(struct chain *c, const char *frontend, const char *addr, int port,
    const char *name)
{
	size_t n = chain_filter_count(c);
	struct run *r;

	/* the run, its slots and the filters' times: one allocation */
	if ((r = pg_calloc(1, sizeof(*r) + 2 * n * sizeof(r->slots[0]) +
	    n * sizeof(uint64_t))) == NULL)
		return NULL;
	if ((r->s = session_new(frontend, addr, port, name)) == NULL) {
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	chain_ref(c);
	r->chain = c;
	chain_limits(c, &r->lim);
	r->frame.cfg = chain_config(c);
	r->frame.filter = -1;
	r->frame.n = n;
	r->frame.session_slots = r->slots;
	r->frame.tx_slots = r->slots + n;
	r->filter_us = (uint64_t *)(void *)(r->slots + 2 * n);
	r->frame.filter_us = r->filter_us;
	session_set_engine(r->s, &r->frame);
	r->fe = metrics_fe_of(frontend);
	metrics_session_open(r->fe);
	return r;
}

void
run_free(struct run *r)
{
	struct decision d;

	if (r == NULL)
		return;
	run_tx_end(r);
	(void)chain_call(r->chain, &r->frame, CHAIN_CLOSE, r->s, NULL, NULL,
	    NULL, &d);
	host_slots_clear(r->frame.session_slots, r->frame.n);
	session_free(r->s);
	if (!r->refusal_static)
		free(r->refusal);
	chain_unref(r->chain);
	metrics_session_close(r->fe);
	free(r);
}

struct pg_session *
run_session(struct run *r)
{
	return r->s;
}

struct pg_tx *
run_tx(struct run *r)
{
	return r->tx;
}

/* no_memory - the engine ran out of memory at a phase: a tempfail */
static enum pg_verdict
no_memory(struct run *r, const char *phase, const char *reply,
    struct decision *d)
{
	log_warnx("session %s: %s: out of memory", session_str(r->s, PG_S_ID),
	    phase);
	return decision_set(d, PG_TEMPFAIL, NULL, reply);
}

/* not_address - a sender or recipient that is not an address: a 501 */
static enum pg_verdict
not_address(struct run *r, const char *phase, const char *addr,
    const char *reply, struct decision *d)
{
	char esc[512];

	log_escape(esc, sizeof(esc), addr, strlen(addr));
	log_info("session %s: %s: not an address: %s",
	    session_str(r->s, PG_S_ID), phase, esc);
	return decision_set(d, PG_REJECT, NULL, reply);
}

/* set_refusal - keep a connect/HELO refusal for every later phase */
static void
set_refusal(struct run *r, const struct decision *d)
{
	if (r->refusal == NULL &&
	    (r->refusal = pg_malloc(sizeof(*r->refusal))) == NULL) {
		r->refusal = (struct decision *)&refusal_nomem;
		r->refusal_static = 1;
		return;
	}
	if (!r->refusal_static)
		memcpy(r->refusal, d, sizeof(*d));
}

/* refused - copy the sticky refusal into d, if any */
static int
refused(struct run *r, struct decision *d)
{
	if (r->refusal == NULL)
		return 0;
	memcpy(d, r->refusal, sizeof(*d));
	return 1;
}

/* blocked - a transaction phase cannot run: refused, or no transaction */
static int
blocked(struct run *r, struct decision *d)
{
	if (refused(r, d))
		return 1;
	if (r->tx == NULL) {
		decision_set(d, PG_REJECT, NULL,
		    "503 5.5.1 Error: need MAIL command");
		return 1;
	}
	return 0;
}

/* threshold - the score a message is held against: reject, tempfail, add_header */
static double
threshold(const struct config *c)
{
	if (c == NULL || !c->has_actions)
		return NAN;
	return !isnan(c->act_reject) ? c->act_reject :
	    !isnan(c->act_tempfail) ? c->act_tempfail : c->act_add_header;
}

/* result_of - the metrics' result of a message's verdict */
static enum metrics_result
result_of(enum pg_verdict v)
{
	switch (v) {
	case PG_REJECT:		return METRICS_R_REJECT;
	case PG_TEMPFAIL:	return METRICS_R_TEMPFAIL;
	case PG_DISCARD:	return METRICS_R_DISCARD;
	default:		return METRICS_R_ACCEPT;
	}
}

/*
 * tx_done - the message's result is known (phasegate's verdict at ph): its
 * summary line and its counts, once per transaction
 */
static void
tx_done(struct run *r, enum chain_phase ph, enum pg_verdict v,
    const struct decision *d)
{
	struct msglog_info in;
	struct decision acc;
	enum metrics_result res = result_of(v);
	size_t i, n;

	if (r->tx == NULL || r->tx_logged)
		return;
	r->tx_logged = 1;
	if (res == METRICS_R_ACCEPT && d->by[0] == '\0' && r->accept_by[0]) {
		decision_set(&acc, PG_ACCEPT, r->accept_by, NULL);
		d = &acc;
	}
	memset(&in, 0, sizeof(in));
	in.upstream = r->fe == METRICS_FE_SMTP ? r->upstream : NULL;
	in.s = r->s;
	in.tx = r->tx;
	in.d = d;
	in.result = metrics_result_name(res);
	in.phase = chain_phase_name(ph);
	in.chain = r->chain;
	in.filter_us = r->filter_us;
	in.total_us = r->frame.tx_us;
	in.lookups = r->frame.tx_lookups;
	in.lookup_ms = r->frame.tx_lookup_ms;
	in.threshold = threshold(chain_config(r->chain));
	msglog_line(&in);
	metrics_message(r->fe, res, r->frame.tx_us, tx_msg(r->tx) != NULL ?
	    (uint64_t)msg_size(tx_msg(r->tx)) : 0);
	n = tx_score_count(r->tx);
	for (i = 0; i < n; i++)
		metrics_count(METRICS_SYMBOL, tx_score_at(r->tx, i)->symbol,
		    NULL, 1);
}

/*
 * tx_passed - the message passed phasegate: its line now, or (the proxy)
 * once the upstream has answered (run_upstream(), else run_tx_end())
 */
static void
tx_passed(struct run *r, enum pg_verdict v, const struct decision *d)
{
	if (r->fe != METRICS_FE_SMTP || r->tx == NULL || r->tx_logged) {
		tx_done(r, CHAIN_EOM, v, d);
		return;
	}
	r->pending = 1;
	r->pending_ph = CHAIN_EOM;
	memcpy(&r->pending_d, d, sizeof(*d));
	r->pending_d.verdict = v;
}

/* flush - a line that waited for the upstream goes out */
static void
flush(struct run *r)
{
	if (!r->pending)
		return;
	r->pending = 0;
	tx_done(r, r->pending_ph, r->pending_d.verdict, &r->pending_d);
}

/* connection_phase - connect and HELO: refusals and accepts stick */
static enum pg_verdict
connection_phase(struct run *r, enum chain_phase ph, const char *arg,
    struct decision *d)
{
	enum pg_verdict v;

	if (refused(r, d))
		return d->verdict;
	decision_clear(d);
	if (r->accepted)
		return PG_CONTINUE;
	v = chain_call(r->chain, &r->frame, ph, r->s, NULL, arg, NULL, d);
	if (v == PG_REJECT || v == PG_TEMPFAIL)
		set_refusal(r, d);
	else if (v == PG_ACCEPT) {
		r->accepted = 1;
		snprintf(r->accept_by, sizeof(r->accept_by), "%s", d->by);
	}
	return v;
}

/*
 * take_id - the transaction's queue id, once the MTA has one (the milter's
 * macro "i"; the proxy and check have none)
 */
static void
take_id(struct run *r)
{
	const char *id;

	if (tx_id(r->tx) == NULL && (id = session_macro(r->s, "i")) != NULL &&
	    *id != '\0' && tx_set_id(r->tx, id) == -1)
		log_warn("session %s: queue id", session_str(r->s, PG_S_ID));
}

/* transaction_phase - a phase of the transaction: accept and discard stick */
static enum pg_verdict
transaction_phase(struct run *r, enum chain_phase ph, const char *a1,
    const char *a2, struct decision *d)
{
	enum pg_verdict v;

	if (blocked(r, d))
		return d->verdict;
	if (ph != CHAIN_HEADER)	/* not once per field: no lookup per header */
		take_id(r);
	decision_clear(d);
	if (r->accepted || r->tx_accepted || r->tx_discarded)
		return PG_CONTINUE;
	v = chain_call(r->chain, &r->frame, ph, r->s, r->tx, a1, a2, d);
	if (v == PG_ACCEPT) {
		r->tx_accepted = 1;
		r->accept_ph = ph;
		snprintf(r->accept_by, sizeof(r->accept_by), "%s", d->by);
	} else if (v == PG_DISCARD)
		tx_done(r, ph, v, d);	/* the MTA may send no more of it */
	if (v == PG_DISCARD)
		r->tx_discarded = 1;
	else if ((v == PG_REJECT || v == PG_TEMPFAIL) && ph != CHAIN_RCPT)
		tx_done(r, ph, v, d);	/* the message is refused */
	return v;
}

enum pg_verdict
run_connect(struct run *r, struct decision *d)
{
	return connection_phase(r, CHAIN_CONNECT, NULL, d);
}

enum pg_verdict
run_helo(struct run *r, const char *name, struct decision *d)
{
	if (session_set_helo(r->s, name) == -1)
		return no_memory(r, "helo", reply_nomem, d);
	return connection_phase(r, CHAIN_HELO, name, d);
}

enum pg_verdict
run_mail(struct run *r, const char *sender, const char *args,
    struct decision *d)
{
	enum pg_verdict v;

	run_tx_end(r);
	if ((r->tx = tx_new(r->s, &r->lim)) == NULL)
		return no_memory(r, "mail", reply_nomem, d);
	if (tx_set_sender(r->tx, sender ? sender : "", args) == -1) {
		if (errno == EINVAL)
			v = not_address(r, "mail", sender ? sender : "",
			    "501 5.1.7 Bad sender address syntax", d);
		else
			v = no_memory(r, "mail", reply_nomem, d);
		run_tx_end(r);
		return v;
	}
	return transaction_phase(r, CHAIN_MAIL, tx_sender(r->tx), NULL, d);
}

enum pg_verdict
run_rcpt(struct run *r, const char *rcpt, struct decision *d)
{
	char bare[1024];
	enum pg_verdict v;

	if (blocked(r, d))
		return d->verdict;
	if (rcpt == NULL || tx_addr_strip(rcpt, bare, sizeof(bare)) == -1 ||
	    bare[0] == '\0')
		return not_address(r, "rcpt", rcpt ? rcpt : "",
		    "501 5.1.3 Bad recipient address syntax", d);
	v = transaction_phase(r, CHAIN_RCPT, bare, NULL, d);
	if (v != PG_REJECT && v != PG_TEMPFAIL && tx_add_rcpt(r->tx, bare) == -1)
		return no_memory(r, "rcpt",
		    "452 4.3.1 Insufficient system resources", d);
	return v;
}

int
run_rcpt_drop(struct run *r, const char *rcpt)
{
	if (r->tx == NULL || rcpt == NULL) {
		errno = ENOENT;
		return -1;
	}
	return tx_del_rcpt(r->tx, rcpt);
}

enum pg_verdict
run_data(struct run *r, struct decision *d)
{
	return transaction_phase(r, CHAIN_DATA, NULL, NULL, d);
}

/* unfold - a header value without line ends and outer white space */
static char *
unfold(const char *v, char *buf, size_t len)
{
	size_t o = 0;

	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	for (; *v != '\0' && o + 1 < len; v++)
		if (*v != '\r' && *v != '\n')
			buf[o++] = *v;
	while (o > 0 && (buf[o - 1] == ' ' || buf[o - 1] == '\t'))
		o--;
	buf[o] = '\0';
	return buf;
}

enum pg_verdict
run_header(struct run *r, const char *name, const char *value,
    struct decision *d)
{
	char small[1024], *buf = small;
	size_t len = strlen(value ? value : "") + 1;
	enum pg_verdict v;

	if (len > sizeof(small) && (buf = pg_malloc(len)) == NULL)
		return no_memory(r, "header", reply_nomem, d);
	if (len <= sizeof(small))
		len = sizeof(small);
	v = transaction_phase(r, CHAIN_HEADER, name,
	    unfold(value ? value : "", buf, len), d);
	if (buf != small)
		free(buf);
	return v;
}

enum pg_verdict
run_eoh(struct run *r, struct decision *d)
{
	return transaction_phase(r, CHAIN_EOH, NULL, NULL, d);
}

enum pg_verdict
run_headers(struct run *r, struct decision *d)
{
	const char *name, *value, *raw;
	enum pg_verdict v;
	struct msg *m;
	size_t i, n;

	if (r->tx != NULL && chain_wants(r->chain, CHAIN_HEADER)) {
		m = tx_msg(r->tx);
		n = msg_header_count(m);
		for (i = 0; i < n; i++) {
			if (msg_header_at(m, i, &name, &value, &raw) == -1)
				continue;
			v = transaction_phase(r, CHAIN_HEADER, name, value, d);
			if (v != PG_CONTINUE)
				return v;
		}
	}
	return run_eoh(r, d);
}

enum pg_verdict
run_eom(struct run *r, struct decision *d)
{
	enum pg_verdict v;

	if (blocked(r, d))
		return d->verdict;
	if (r->tx_discarded)
		return decision_set(d, PG_DISCARD, NULL, NULL);
	v = transaction_phase(r, CHAIN_EOM, NULL, NULL, d);
	if (v == PG_CONTINUE && !r->accepted && !r->tx_accepted)
		v = chain_actions(r->chain, r->tx, d);
	if (v == PG_CONTINUE || v == PG_ACCEPT)
		tx_passed(r, v, d);
	else
		tx_done(r, CHAIN_EOM, v, d);
	return v;
}

void
run_refused(struct run *r, const char *reply)
{
	struct decision d;
	enum pg_verdict v = reply[0] == '4' ? PG_TEMPFAIL : PG_REJECT;

	decision_set(&d, v, "phasegate", reply);
	tx_done(r, CHAIN_EOM, v, &d);
}

void
run_upstream(struct run *r, const char *reply)
{
	char qid[64];

	if (r->tx == NULL || reply == NULL)
		return;
	snprintf(r->upstream, sizeof(r->upstream), "%s", reply);
	if (tx_id(r->tx) == NULL &&
	    msglog_queue_id(reply, qid, sizeof(qid)) == 0 &&
	    tx_set_id(r->tx, qid) == -1)
		log_warn("session %s: queue id", session_str(r->s, PG_S_ID));
	flush(r);
}

/*
 * accepted_early - the milter: a message accepted before its end, which
 * the MTA then delivers without sending us the rest, is logged and
 * counted when its transaction ends
 */
static void
accepted_early(struct run *r)
{
	struct decision acc;

	if (r->fe != METRICS_FE_MILTER || r->tx == NULL || !r->tx_accepted ||
	    r->tx_logged)
		return;
	decision_set(&acc, PG_ACCEPT, r->accept_by, NULL);
	tx_done(r, r->accept_ph, PG_ACCEPT, &acc);
}

void
run_tx_end(struct run *r)
{
	int had_tx = r->tx != NULL;

	accepted_early(r);
	flush(r);	/* the upstream never answered: the line all the same */
	r->upstream[0] = '\0';
	host_slots_clear(r->frame.tx_slots, r->frame.n);
	tx_free(r->tx);
	r->tx = NULL;
	r->tx_accepted = 0;
	r->tx_discarded = 0;
	r->tx_logged = 0;
	if (!r->accepted)
		r->accept_by[0] = '\0';
	memset(r->filter_us, 0, r->frame.n * sizeof(*r->filter_us));
	r->frame.tx_us = 0;
	/*
	 * lookups made before the first MAIL (a DNS list at connect) count in
	 * the session's first message's summary: kept until a transaction ends
	 */
	if (had_tx) {
		r->frame.tx_lookups = 0;
		r->frame.tx_lookup_ms = 0;
	}
}

const struct decision *
run_refusal(struct run *r)
{
	return r->refusal;
}

int
run_discarded(struct run *r)
{
	return r->tx != NULL && r->tx_discarded;
}

int
run_filtering(struct run *r)
{
	return r->tx != NULL && r->refusal == NULL && !r->accepted &&
	    !r->tx_accepted && !r->tx_discarded;
}
