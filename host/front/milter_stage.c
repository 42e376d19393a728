/*
 * milter_stage - one MTA connection's stages (milter_stage.h)
 *
 * Public: milter_stage_new(), milter_stage_free(), milter_stage_begin(),
 * milter_stage_dispatch(), milter_stage_busy(), milter_stage_end(),
 * milter_stage_sid().
 *
 * Per connection: the chain generation taken at negotiation, the
 * session's run (run.h) made at connect, which holds the session and the
 * transaction of MAIL .. end of message, and the macros per stage
 * (milter_macro.h). The run's verdict at a stage becomes the reply there:
 *
 *	continue -> continue (nothing where the stage has no reply)
 *	accept   -> accept (but see answer(): changes or scores already
 *		    recorded keep the message coming to end of data)
 *	reject   -> replycode with the reply (reject without one)
 *	tempfail -> replycode with the reply (tempfail without one)
 *	discard  -> discard
 *
 * Headers are always negotiated without a reply (NR_HDR): the chain runs
 * per header as each arrives, and a verdict it gives there is held and
 * sent at the next stage that is answered (end of header, else end of
 * message); see docs/milter.md.
 *
 * At end of message the message's change list is replayed
 * (milter_replay.h), then the verdict; a replay that fails makes the
 * message tempfail.
 *
 * Trust: commands come from the decoder, which checked every packet, and
 * each must be one the order allows (milter_order.h: not negotiated away,
 * not out of order), else the connection ends; text from the MTA is
 * logged escaped. Failures (no memory, spool errors)
 * tempfail the current stage and never touch other sessions. A stage
 * object belongs to one fiber at a time: no lock.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chain.h"
#include "config.h"
#include "gen.h"
#include "log.h"
#include "milter_macro.h"
#include "milter_order.h"
#include "milter_replay.h"
#include "milter_stage.h"
#include "milter_util.h"
#include "msg.h"
#include "reply.h"
#include "run.h"
#include "session.h"
#include "tx.h"

struct milter_stage {
	struct milter_proto_buf	*out;		/* replies (the front's) */
	char			 peer[80];	/* the MTA, for the log */
	struct chain		*chain;
	struct run		*run;		/* connect .. close */
	unsigned long		 prot;		/* negotiated protocol flags */
	unsigned long		 act;		/* negotiated actions */
	struct milter_order	 order;		/* which command may come next */
	int			 eoh_done;	/* msg_end_header() called */
	int			 held;		/* a header-stage verdict waits */
	enum pg_verdict		 held_v;
	struct decision		 held_d;
	struct milter_macro	*mac;
	int			 rcpts_full;	/* MILTER_STAGE_RCPTS_MAX logged */
};

/* macros asked of the MTA, per stage (the symbol lists of the negotiation) */
static const char *const symlist[MILTER_PROTO_MAC_N] = {
	[MILTER_PROTO_MAC_CONNECT] = "j _ {daemon_name} {daemon_addr} "
	    "{daemon_port} {client_addr} {client_port} {client_name} "
	    "{client_ptr} {client_resolve} {client_connections} {if_name} "
	    "{if_addr} v",
	[MILTER_PROTO_MAC_HELO] = "{tls_version} {cipher} {cipher_bits} "
	    "{cert_subject} {cert_issuer} {client_addr}",
	[MILTER_PROTO_MAC_ENVFROM] = "i {auth_type} {auth_authen} {auth_ssf} "
	    "{auth_author} {mail_mailer} {mail_host} {mail_addr} "
	    "{tls_version}",
	[MILTER_PROTO_MAC_ENVRCPT] = "i {rcpt_mailer} {rcpt_host} {rcpt_addr}",
	[MILTER_PROTO_MAC_DATA] = "i",
	[MILTER_PROTO_MAC_EOM] = "i {msg_id}",
	[MILTER_PROTO_MAC_EOH] = "i",
};

/* esc - escape untrusted text for the log (per-thread buffer, no wait between) */
static const char *
esc(const char *s)
{
	static __thread char buf[512];

	if (s == NULL)
		return "(null)";
	return log_escape(buf, sizeof(buf), s, strlen(s));
}

/* sid - the session id for log lines */
static const char *
sid(const struct milter_stage *c)
{
	const char *id = c && c->run ? session_str(run_session(c->run), PG_S_ID) :
	    NULL;

	return id ? id : "-";
}

/* macro_fn - session_macro_fn: "{name}", or "name" meaning "{name}" too */
static const char *
macro_fn(void *ctx, const char *name)
{
	struct milter_stage *c = ctx;
	char buf[128];

	if (name == NULL || *name == '\0')
		return NULL;
	if (name[0] != '{' && name[1] != '\0') {
		if (snprintf(buf, sizeof(buf), "{%s}", name) >= (int)sizeof(buf))
			return NULL;
		return milter_macro_get(c->mac, buf);
	}
	return milter_macro_get(c->mac, name);
}

/* cur_tx - the transaction, or NULL */
static struct pg_tx *
cur_tx(struct milter_stage *c)
{
	return c->run != NULL ? run_tx(c->run) : NULL;
}

/* end_tx - drop the transaction (abort, end of message, a new MAIL) */
static void
end_tx(struct milter_stage *c)
{
	if (c->run != NULL)
		run_tx_end(c->run);
	c->eoh_done = 0;
	c->held = 0;
}

/* end_session - on_close hooks, the session and its transaction go */
static void
end_session(struct milter_stage *c)
{
	end_tx(c);
	run_free(c->run);
	c->run = NULL;
}

/* release - the end of an SMTP session: its run, macros and generation */
static void
release(struct milter_stage *c)
{
	end_session(c);
	milter_macro_clear(c->mac, 0);
	if (c->chain != NULL) {
		chain_unref(c->chain);
		c->chain = NULL;
	}
}

/* replay - the changes of the message as reply packets; 0 or -1 (logged) */
static int
replay(struct milter_stage *c)
{
	struct milter_replay rp;

	rp.act = c->act;
	rp.leadspc = (c->prot & MILTER_PROTO_HDR_LEADSPC) != 0;
	rp.sid = sid(c);
	return milter_replay(&rp, tx_msg(cur_tx(c)), c->out);
}

/* nr - 1 when the MTA expects no reply at this stage */
static int
nr(struct milter_stage *c, unsigned long bit)
{
	return (c->prot & bit) != 0;
}

/* pristine - 1 when the transaction has no changes and no scores yet */
static int
pristine(struct pg_tx *tx)
{
	return tx == NULL || (msg_change_count(tx_msg(tx)) == 0 &&
	    tx_score_count(tx) == 0);
}

/* put_simple - queue a reply; a failure (no memory) ends the connection later */
static int
put_simple(struct milter_stage *c, int code)
{
	if (milter_proto_put_simple(c->out, code) == -1) {
		log_warn("milter: session %s: reply", sid(c));
		return -1;
	}
	return 0;
}

/*
 * put_reply - a reject or tempfail with the reply in normal form (the bare
 * code when there is none, or when it does not fit the protocol's limits)
 */
static int
put_reply(struct milter_stage *c, enum pg_verdict v, const char *normal)
{
	struct milter_reply *r;
	int code = v == PG_REJECT ? MILTER_PROTO_REP_REJECT :
	    MILTER_PROTO_REP_TEMPFAIL;

	if (normal == NULL || *normal == '\0')
		return put_simple(c, code);	/* the MTA's default reply */
	if ((r = malloc(sizeof(*r))) == NULL)
		return put_simple(c, code);
	if (milter_util_reply_split(normal, r) == -1) {
		log_warnx("milter: session %s: reply not usable in the milter "
		    "protocol, the MTA's default is used: %s", sid(c),
		    esc(normal));
		free(r);
		return put_simple(c, code);
	}
	if ((r->rcode[0] == '5') != (v == PG_REJECT)) {
		free(r);
		return put_simple(c, code);
	}
	if (milter_proto_put_reply(c->out, r->rcode, r->xcode,
	    (const char *const *)r->lines, r->nlines) == -1) {
		free(r);
		return put_simple(c, code);
	}
	free(r);
	return 0;
}

/*
 * verdict_sent - a final reply goes to the MTA: its transaction is over
 * (a refused recipient: the envelope goes on)
 */
static void
verdict_sent(struct milter_stage *c, int rcpt)
{
	milter_order_verdict(&c->order, rcpt ? MILTER_PROTO_CMD_RCPT : 0);
}

/*
 * answer - queue the reply for verdict v at a stage; d is the decision
 * that gave v (its verdict is v) and says the reply (decision_reply()).
 * bit is the stage's no-reply flag (0 for none).
 */
static int
answer(struct milter_stage *c, enum chain_phase ph, unsigned long bit,
    enum pg_verdict v, const struct decision *d)
{
	/* the chain logs its decisions; only what the milter adds is logged here */
	if (bit != 0 && nr(c, bit)) {
		if (v != PG_CONTINUE)
			log_warnx("milter: session %s: %s: the verdict cannot "
			    "be sent: this stage was negotiated without a "
			    "reply", sid(c), chain_phase_name(ph));
		return 0;
	}
	switch (v) {
	case PG_CONTINUE:
		return put_simple(c, MILTER_PROTO_REP_CONTINUE);
	case PG_ACCEPT:
		/*
		 * accept ends the milter's part in the message, so changes
		 * and scores recorded so far would never be applied at end
		 * of message: keep going then (the chain filters no more,
		 * the proxy gives the same result).
		 */
		if (ph != CHAIN_CONNECT && ph != CHAIN_HELO && ph != CHAIN_EOM &&
		    !pristine(cur_tx(c)))
			return put_simple(c, MILTER_PROTO_REP_CONTINUE);
		verdict_sent(c, ph == CHAIN_RCPT);
		return put_simple(c, MILTER_PROTO_REP_ACCEPT);
	case PG_REJECT:
	case PG_TEMPFAIL:
		verdict_sent(c, ph == CHAIN_RCPT);
		if (ph == CHAIN_CONNECT && d->reply[0])
			log_info("milter: session %s: connect: the reply "
			    "goes to the MTA, but Postfix greets the client "
			    "with its own \"554 ... not accepting "
			    "connections\" (see docs/milter.md)", sid(c));
		return put_reply(c, v, decision_reply(d));
	case PG_DISCARD:
		verdict_sent(c, ph == CHAIN_RCPT);
		return put_simple(c, MILTER_PROTO_REP_DISCARD);
	default:
		verdict_sent(c, ph == CHAIN_RCPT);
		return put_reply(c, PG_TEMPFAIL, reply_default(PG_TEMPFAIL));
	}
}

/* stage_fail - log a local failure at a stage and tempfail it (if answered) */
static int
stage_fail(struct milter_stage *c, unsigned long bit, const char *what)
{
	log_warn("milter: session %s: %s", sid(c), what);
	if (bit != 0 && nr(c, bit))
		return 0;
	verdict_sent(c, bit == MILTER_PROTO_NR_RCPT);
	return put_reply(c, PG_TEMPFAIL, reply_default(PG_TEMPFAIL));
}

/* nonempty - a macro's value, NULL when absent or empty */
static const char *
nonempty(struct milter_stage *c, const char *name)
{
	const char *m = milter_macro_get(c->mac, name);

	return m != NULL && *m ? m : NULL;
}

/* tls_of - session.tls from the MTA's macros (version given) into *t */
static const struct pg_tls *
tls_of(struct milter_stage *c, const char *version, struct pg_tls *t)
{
	const char *v;

	t->version = version;
	t->cipher = nonempty(c, "{cipher}");
	t->bits = (v = nonempty(c, "{cipher_bits}")) != NULL ? atoi(v) : 0;
	t->peer_subject = nonempty(c, "{cert_subject}");
	t->verified = (v = nonempty(c, "{verify}")) != NULL &&
	    strcmp(v, "OK") == 0;
	return t;
}

/* auth_tls - session fields that only macros carry */
static void
auth_tls(struct milter_stage *c)
{
	struct pg_tls t;
	const char *m;

	if ((m = milter_macro_get(c->mac, "{auth_authen}")) != NULL && *m &&
	    session_set_auth(run_session(c->run), m) == -1)
		log_warn("milter: session %s: auth", sid(c));
	if ((m = milter_macro_get(c->mac, "{tls_version}")) != NULL && *m &&
	    session_set_tls_info(run_session(c->run), tls_of(c, m, &t)) == -1)
		log_warn("milter: session %s: tls", sid(c));
}

/* end_header - end the message header once (eoh may be negotiated away) */
static int
end_header(struct milter_stage *c)
{
	if (c->eoh_done)
		return 0;
	c->eoh_done = 1;
	return msg_end_header(tx_msg(cur_tx(c)));
}

/* get_chain - the connection's chain generation; NULL when stopping */
static struct chain *
get_chain(struct milter_stage *c)
{
	if (c->chain == NULL && (c->chain = gen_acquire()) == NULL)
		log_warnx("milter: no chain to run (stopping?): connection "
		    "from %s refused", c->peer);
	return c->chain;
}

/* do_optneg - answer the negotiation; -1 ends the connection */
static int
do_optneg(struct milter_stage *c, const struct milter_proto_cmd *cmd)
{
	struct milter_wants w;
	const struct config *cfg;
	unsigned long missing, act, prot;
	uint32_t version;

	if (cmd->version < 2) {
		log_warnx("milter: connection from %s: MTA speaks milter "
		    "protocol version %u (2 to 6 supported): closed", c->peer,
		    (unsigned)cmd->version);
		return -1;
	}
	if (get_chain(c) == NULL)
		return -1;
	memset(&w, 0, sizeof(w));
	w.connect = chain_wants(c->chain, CHAIN_CONNECT);
	w.helo = chain_wants(c->chain, CHAIN_HELO);
	w.mail = chain_wants(c->chain, CHAIN_MAIL);
	w.rcpt = chain_wants(c->chain, CHAIN_RCPT);
	w.data = chain_wants(c->chain, CHAIN_DATA);
	w.header = chain_wants(c->chain, CHAIN_HEADER);
	w.eoh = chain_wants(c->chain, CHAIN_EOH);
	w.eom = chain_wants(c->chain, CHAIN_EOM);
	w.body = chain_wants_body(c->chain);
	w.change = chain_may_change(c->chain);
	cfg = chain_config(c->chain);
	w.actions = cfg != NULL && cfg->has_actions;
	missing = milter_util_flags(&w, cmd->actions, cmd->protocol, &act,
	    &prot);
	if (missing != 0)
		log_warnx("milter: the MTA does not offer the actions 0x%lx "
		    "that the chain may take; a message that needs one is "
		    "deferred", missing);
	c->act = act;
	c->prot = prot;
	c->order.prot = prot;
	version = cmd->version < MILTER_PROTO_VERSION ? cmd->version :
	    MILTER_PROTO_VERSION;
	if (milter_proto_put_optneg(c->out, version, (uint32_t)act,
	    (uint32_t)prot, (act & MILTER_PROTO_ACT_SETSYMLIST) ? symlist :
	    NULL) == -1) {
		log_warn("milter: negotiation");
		return -1;
	}
	log_debug("milter: negotiated actions 0x%lx protocol 0x%lx (MTA "
	    "offered 0x%lx 0x%lx)", act, prot, (unsigned long)cmd->actions,
	    (unsigned long)cmd->protocol);
	return 0;
}

/* norm_addr - the client address as text: v4-mapped as v4, "IPv6:" dropped */
static void
norm_addr(const struct milter_proto_cmd *cmd, char *addr, size_t len)
{
	unsigned char a[16];
	const char *s = cmd->addr;

	addr[0] = '\0';
	if (cmd->family == MILTER_PROTO_FAM_INET) {
		if (inet_pton(AF_INET, s, a) == 1)
			inet_ntop(AF_INET, a, addr, (socklen_t)len);
	} else if (cmd->family == MILTER_PROTO_FAM_INET6) {
		if (strncasecmp(s, "IPv6:", 5) == 0)
			s += 5;
		if (inet_pton(AF_INET6, s, a) == 1) {
			if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)(void *)a))
				inet_ntop(AF_INET, a + 12, addr, (socklen_t)len);
			else
				inet_ntop(AF_INET6, a, addr, (socklen_t)len);
		}
	}
}

static int
do_connect(struct milter_stage *c, const struct milter_proto_cmd *cmd)
{
	struct decision d;
	char addr[INET6_ADDRSTRLEN + 1];
	const char *name, *m;
	enum pg_verdict v;
	int port = 0;

	/* a new SMTP session on the same connection (after QUIT_NC) */
	end_session(c);
	if (get_chain(c) == NULL)
		return -1;
	norm_addr(cmd, addr, sizeof(addr));
	if (addr[0] != '\0')
		port = (int)cmd->port;
	if (addr[0] == '\0' &&
	    (m = milter_macro_get(c->mac, "{client_addr}")) != NULL && *m &&
	    strlen(m) < sizeof(addr))
		strcpy(addr, m);
	if (addr[0] == '\0')
		strcpy(addr, "unknown");
	/* an MTA passes "[192.0.2.1]" when the address has no name */
	name = cmd->host[0] != '\0' && cmd->host[0] != '[' ? cmd->host :
	    "unknown";
	if ((c->run = run_new(c->chain, "milter", addr, port, name)) == NULL)
		return stage_fail(c, MILTER_PROTO_NR_CONN, "connect: session");
	session_set_macro_fn(run_session(c->run), macro_fn, c);
	log_debug("milter: session %s: connect from %s [%s]:%d", sid(c),
	    esc(name), addr, port);
	v = run_connect(c->run, &d);
	return answer(c, CHAIN_CONNECT, MILTER_PROTO_NR_CONN, v, &d);
}

static int
do_helo(struct milter_stage *c, const struct milter_proto_cmd *cmd)
{
	struct decision d;
	enum pg_verdict v;

	if (c->run == NULL)
		return nr(c, MILTER_PROTO_NR_HELO) ? 0 :
		    put_simple(c, MILTER_PROTO_REP_CONTINUE);
	auth_tls(c);
	v = run_helo(c->run, cmd->str, &d);
	return answer(c, CHAIN_HELO, MILTER_PROTO_NR_HELO, v, &d);
}

static int
do_mail(struct milter_stage *c, const struct milter_proto_cmd *cmd)
{
	struct decision d;
	enum pg_verdict v;
	char *args = NULL;
	size_t i, n = 0;

	if (c->run == NULL)
		return nr(c, MILTER_PROTO_NR_MAIL) ? 0 :
		    put_simple(c, MILTER_PROTO_REP_CONTINUE);
	end_tx(c);
	auth_tls(c);
	/* the ESMTP parameters, one string as in the MAIL command */
	for (i = 1; i < cmd->argc; i++)
		n += strlen(cmd->argv[i]) + 1;
	if (n > 0) {
		char *o;

		if ((args = malloc(n)) == NULL)
			return stage_fail(c, MILTER_PROTO_NR_MAIL,
			    "mail: arguments");
		o = args;
		for (i = 1; i < cmd->argc; i++) {
			size_t l = strlen(cmd->argv[i]);

			if (i > 1)
				*o++ = ' ';
			memcpy(o, cmd->argv[i], l);
			o += l;
		}
		*o = '\0';
	}
	v = run_mail(c->run, cmd->argv[0], args, &d);
	free(args);
	return answer(c, CHAIN_MAIL, MILTER_PROTO_NR_MAIL, v, &d);
}

/*
 * rcpts_full - a transaction at MILTER_STAGE_RCPTS_MAX recipients: the
 * next gets 452 4.5.3 (or, negotiated without a reply, is not recorded),
 * logged once per transaction; 1 then, with the reply queued
 */
static int
rcpts_full(struct milter_stage *c, int *rc)
{
	struct decision d;

	if (tx_rcpt_count(cur_tx(c)) < MILTER_STAGE_RCPTS_MAX) {
		c->rcpts_full = 0;
		return 0;
	}
	if (!c->rcpts_full)
		log_warnx("milter: session %s: MTA %s: more than %d recipients "
		    "in one transaction: the rest get 452 4.5.3", sid(c),
		    c->peer, MILTER_STAGE_RCPTS_MAX);
	c->rcpts_full = 1;
	(void)decision_set(&d, PG_TEMPFAIL, NULL, "452 4.5.3 Too many recipients");
	*rc = nr(c, MILTER_PROTO_NR_RCPT) ? 0 :
	    answer(c, CHAIN_RCPT, MILTER_PROTO_NR_RCPT, PG_TEMPFAIL, &d);
	return 1;
}

static int
do_rcpt(struct milter_stage *c, const struct milter_proto_cmd *cmd)
{
	struct decision d;
	enum pg_verdict v;
	int rc;

	if (cur_tx(c) == NULL)
		return nr(c, MILTER_PROTO_NR_RCPT) ? 0 :
		    put_simple(c, MILTER_PROTO_REP_CONTINUE);
	if (rcpts_full(c, &rc))
		return rc;
	v = run_rcpt(c->run, cmd->argv[0], &d);
	return answer(c, CHAIN_RCPT, MILTER_PROTO_NR_RCPT, v, &d);
}

static int
do_data(struct milter_stage *c)
{
	struct decision d;
	enum pg_verdict v;

	if (cur_tx(c) == NULL)
		return nr(c, MILTER_PROTO_NR_DATA) ? 0 :
		    put_simple(c, MILTER_PROTO_REP_CONTINUE);
	v = run_data(c->run, &d);
	return answer(c, CHAIN_DATA, MILTER_PROTO_NR_DATA, v, &d);
}

/* hold - keep a header-stage verdict for the next stage that is answered */
static void
hold(struct milter_stage *c, enum pg_verdict v, const struct decision *d)
{
	c->held = 1;
	c->held_v = v;
	c->held_d = *d;
}

/* hold_tempfail - no resources for a header: hold a tempfail; the header's answer */
static int
hold_tempfail(struct milter_stage *c, int reply)
{
	struct decision d;

	hold(c, decision_set(&d, PG_TEMPFAIL, NULL, NULL), &d);
	return reply ? put_simple(c, MILTER_PROTO_REP_CONTINUE) : 0;
}

static int
do_header(struct milter_stage *c, const struct milter_proto_cmd *cmd)
{
	struct decision d;
	enum pg_verdict v;
	char *val;
	int reply = !nr(c, MILTER_PROTO_NR_HDR);

	if (cur_tx(c) == NULL || c->held)
		return reply ? put_simple(c, MILTER_PROTO_REP_CONTINUE) : 0;
	if ((val = milter_util_header_value(cmd->value,
	    (c->prot & MILTER_PROTO_HDR_LEADSPC) != 0)) == NULL) {
		log_warn("milter: session %s: header", sid(c));
		return hold_tempfail(c, reply);
	}
	if (msg_add_field(tx_msg(cur_tx(c)), cmd->name, val) == -1) {
		if (errno != EINVAL) {
			free(val);
			log_warn("milter: session %s: header: message", sid(c));
			return hold_tempfail(c, reply);
		}
		log_debug("milter: session %s: header %s not kept: not a "
		    "valid field", sid(c), esc(cmd->name));
	}
	v = run_header(c->run, cmd->name, val, &d);
	free(val);
	if (v != PG_CONTINUE) {
		/* no reply per header: the verdict goes out at the next answered stage */
		hold(c, v, &d);
		log_debug("milter: session %s: header verdict held for the "
		    "next answered stage", sid(c));
	}
	return reply ? put_simple(c, MILTER_PROTO_REP_CONTINUE) : 0;
}

static int
do_eoh(struct milter_stage *c)
{
	struct decision d;
	enum pg_verdict v;

	if (cur_tx(c) == NULL)
		return nr(c, MILTER_PROTO_NR_EOH) ? 0 :
		    put_simple(c, MILTER_PROTO_REP_CONTINUE);
	if (c->held) {
		if (nr(c, MILTER_PROTO_NR_EOH))
			return 0;	/* held until end of message */
		c->held = 0;
		return answer(c, CHAIN_HEADER, 0, c->held_v, &c->held_d);
	}
	if (end_header(c) == -1)
		return stage_fail(c, MILTER_PROTO_NR_EOH, "end of header");
	v = run_eoh(c->run, &d);
	return answer(c, CHAIN_EOH, MILTER_PROTO_NR_EOH, v, &d);
}

/* do_body - a body chunk into the spool, unless nothing will read it */
static int
do_body(struct milter_stage *c, const char *p, size_t len, int reply)
{
	if (cur_tx(c) == NULL)
		return reply ? put_simple(c, MILTER_PROTO_REP_CONTINUE) : 0;
	if (!c->held && run_filtering(c->run) && (end_header(c) == -1 ||
	    msg_body_write(tx_msg(cur_tx(c)), p, len) == -1)) {
		struct decision d;

		log_warn("milter: session %s: body: spool", sid(c));
		hold(c, decision_set(&d, PG_TEMPFAIL, NULL, NULL), &d);
	}
	if (!reply)
		return 0;
	/* no filter will run on this message any more: the rest can go */
	if ((c->prot & MILTER_PROTO_SKIP) && (c->held ||
	    !run_filtering(c->run)))
		return put_simple(c, MILTER_PROTO_REP_SKIP);
	return put_simple(c, MILTER_PROTO_REP_CONTINUE);
}

static int
do_eom(struct milter_stage *c, const struct milter_proto_cmd *cmd)
{
	struct decision d;
	enum pg_verdict v;
	int r;

	if (cur_tx(c) == NULL) {
		r = put_simple(c, MILTER_PROTO_REP_CONTINUE);
		goto out;
	}
	if (cmd->len > 0)	/* a last body chunk with the end */
		(void)do_body(c, cmd->data, cmd->len, 0);
	if (c->held && (c->held_v != PG_ACCEPT || pristine(cur_tx(c)))) {
		r = answer(c, CHAIN_HEADER, 0, c->held_v, &c->held_d);
		goto out;
	}
	if (end_header(c) == -1) {
		r = stage_fail(c, 0, "end of message");
		goto out;
	}
	v = run_eom(c->run, &d);
	if ((v == PG_CONTINUE || v == PG_ACCEPT) && replay(c) == -1)
		v = decision_set(&d, PG_TEMPFAIL, NULL, NULL);
	r = answer(c, CHAIN_EOM, 0, v, &d);
out:
	end_tx(c);
	milter_macro_clear(c->mac, MILTER_PROTO_MAC_ENVFROM);
	return r;
}

/* dispatch - one command; 0 to go on, -1 to end the connection, 1 on QUIT */
static int
dispatch(struct milter_stage *c, const struct milter_proto_cmd *cmd)
{
	const char *why;

	/* negotiated away or out of order: any answer would desynchronise */
	if ((why = milter_order_take(&c->order, cmd->cmd)) != NULL) {
		log_warnx("milter: session %s: MTA %s: command '%c' %s: "
		    "protocol error, connection closed", sid(c), c->peer,
		    cmd->cmd, why);
		return -1;
	}
	/* a stage's command makes the macros of later stages stale (libmilter) */
	switch (cmd->cmd) {
	case MILTER_PROTO_CMD_CONNECT:
	case MILTER_PROTO_CMD_HELO:
	case MILTER_PROTO_CMD_MAIL:
	case MILTER_PROTO_CMD_RCPT:
	case MILTER_PROTO_CMD_DATA:
		milter_macro_clear(c->mac, milter_macro_stage(cmd->cmd) + 1);
		break;
	}
	switch (cmd->cmd) {
	case MILTER_PROTO_CMD_OPTNEG:
		return do_optneg(c, cmd);
	case MILTER_PROTO_CMD_MACRO:
		if (milter_macro_set(c->mac, cmd) == -1)
			log_warn("milter: session %s: macros", sid(c));
		return 0;
	case MILTER_PROTO_CMD_CONNECT:
		return do_connect(c, cmd);
	case MILTER_PROTO_CMD_HELO:
		return do_helo(c, cmd);
	case MILTER_PROTO_CMD_MAIL:
		return do_mail(c, cmd);
	case MILTER_PROTO_CMD_RCPT:
		return do_rcpt(c, cmd);
	case MILTER_PROTO_CMD_DATA:
		return do_data(c);
	case MILTER_PROTO_CMD_HEADER:
		return do_header(c, cmd);
	case MILTER_PROTO_CMD_EOH:
		return do_eoh(c);
	case MILTER_PROTO_CMD_BODY:
		return do_body(c, cmd->data, cmd->len,
		    !nr(c, MILTER_PROTO_NR_BODY));
	case MILTER_PROTO_CMD_BODYEOB:
		return do_eom(c, cmd);
	case MILTER_PROTO_CMD_ABORT:
		end_tx(c);
		milter_macro_clear(c->mac, MILTER_PROTO_MAC_ENVFROM);
		return 0;
	case MILTER_PROTO_CMD_QUIT_NC:
		/* the next SMTP session comes on this connection */
		release(c);
		return MILTER_STAGE_GO;
	case MILTER_PROTO_CMD_QUIT:
		return 1;
	case MILTER_PROTO_CMD_UNKNOWN:
		/* negotiated away (NOUNKNOWN): the chain has no such phase */
		return nr(c, MILTER_PROTO_NR_UNKN) ? 0 :
		    put_simple(c, MILTER_PROTO_REP_CONTINUE);
	default:
		return 0;
	}
}

struct milter_stage *
milter_stage_new(void)
{
	struct milter_stage *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->mac = milter_macro_new()) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void
milter_stage_free(struct milter_stage *c)
{
	if (c == NULL)
		return;
	release(c);
	milter_macro_free(c->mac);
	free(c);
}

void
milter_stage_begin(struct milter_stage *c, const char *peer,
    struct milter_proto_buf *out)
{
	struct milter_macro *mac = c->mac;

	release(c);
	memset(c, 0, sizeof(*c));
	milter_order_init(&c->order);
	c->mac = mac;
	c->out = out;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
}

int
milter_stage_dispatch(struct milter_stage *c, const struct milter_proto_cmd *cmd)
{
	return dispatch(c, cmd);
}

int
milter_stage_busy(const struct milter_stage *c)
{
	return c->run != NULL && run_tx(c->run) != NULL;
}

void
milter_stage_end(struct milter_stage *c)
{
	release(c);
}

const char *
milter_stage_sid(const struct milter_stage *c)
{
	return sid(c);
}
