/*
 * milter_front - phasegate as a milter: its own protocol engine on fibers
 *
 * Public: milter_front_start(), milter_front_stop().
 *
 * The listener, a fiber itself, accepts MTA connections and spawns one
 * fiber per connection (fiber.h). A session fiber reads what the MTA sends into a
 * 64 KiB buffer, decodes every complete packet (milter_proto.h), feeds the
 * chain exactly at the stage the command stands for, queues the replies,
 * and writes them in one send() when no further complete packet is
 * buffered (the MTA waits for our reply, except at stages negotiated
 * without one). No thread hand-off per command, no poll thread: on a busy
 * daemon a worker goes from one session to the next without sleeping.
 *
 * Each connection has a struct mf_conn: the chain generation taken at
 * negotiation, the session's run (run.h) made at connect, which holds the
 * session and the transaction of MAIL .. end of message, and the macros
 * per stage. The run's verdict at a stage becomes the reply there:
 *
 *	continue -> continue (nothing where the stage has no reply)
 *	accept   -> accept (but see mf_answer(): changes or scores already
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
 * At end of message the message's change list is replayed in order as
 * addheader, insheader, chgheader, addrcpt, delrcpt, chgfrom, replbody and
 * quarantine packets, then the verdict. A change whose action was not
 * negotiated makes the message tempfail (logged), and none of its changes
 * are sent: the MTA must not deliver something other than what the chain
 * asked for.
 *
 * Trust: everything from the MTA is untrusted (the decoder checks every
 * packet; text is logged escaped). A malformed or oversized packet ends
 * that connection with a logged error. Failures (no memory, spool errors)
 * tempfail the current stage and never touch other sessions. One
 * connection is one fiber, so mf_conn needs no lock; the list of live
 * connections (for stopping) has one.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "chain.h"
#include "clock.h"
#include "config.h"
#include "fiber.h"
#include "log.h"
#include "milter_front.h"
#include "milter_proto.h"
#include "milter_util.h"
#include "msg.h"
#include "reply.h"
#include "gen.h"
#include "run.h"
#include "session.h"
#include "tx.h"

#define MF_READ		65536	/* one read */
#define MF_IDLE_MS	(7210ULL * 1000)	/* between commands: libmilter's default */
#define MF_BACKLOG	128
#define MF_CHUNK	65535	/* replbody chunk */
#define MF_CACHE	64	/* connection shells kept for reuse */
#define MF_KEEP		(256 * 1024)	/* buffers kept with a shell, at most */

/* the macros of one stage: a copy of the 'D' payload and pointers into it */
struct mf_macros {
	char		*buf;
	const char	**kv;	/* name, value, ... */
	size_t		 n;	/* pairs */
};

struct mf_conn {
	int			 fd;
	int			 tcp;		/* TCP (not a unix socket) */
	int			 unacked;	/* read since the last reply */
	char			 peer[80];	/* the MTA, for the log */
	struct milter_proto_dec	*dec;
	struct milter_proto_buf	 out;
	unsigned char		*rbuf;
	struct chain		*chain;
	struct run		*run;		/* connect .. close */
	unsigned long		 prot;		/* negotiated protocol flags */
	unsigned long		 act;		/* negotiated actions */
	int			 negotiated;
	int			 eoh_done;	/* msg_end_header() called */
	int			 held;		/* a header-stage verdict waits */
	enum pg_verdict		 held_v;
	struct decision		 held_d;
	struct mf_macros	 mac[MILTER_PROTO_MAC_N];
	struct mf_conn		*prev, *next;	/* live connections */
};

static struct addr	 mf_listen;
static char		*mf_spec;
static int		 mf_fd = -1;
static int		 mf_started;
static atomic_int	 mf_stopping;
static atomic_int	 mf_accepting;	/* the listener's fiber runs */
static uint64_t		 mf_write_ms = 300000;
static pthread_mutex_t	 mf_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 mf_cond = PTHREAD_COND_INITIALIZER;
static struct mf_conn	*mf_conns;
static size_t		 mf_nconns;
static struct mf_conn	*mf_cache[MF_CACHE];	/* under mf_lock */
static size_t		 mf_ncache;

/* macros asked of the MTA, per stage (the symbol lists of the negotiation) */
static const char *const mf_symlist[MILTER_PROTO_MAC_N] = {
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
sid(struct mf_conn *c)
{
	const char *id = c && c->run ? session_str(run_session(c->run), PG_S_ID) :
	    NULL;

	return id ? id : "-";
}

/* stage_of - the macro stage of a command byte; -1 for none */
static int
stage_of(int cmd)
{
	switch (cmd) {
	case MILTER_PROTO_CMD_CONNECT:	return MILTER_PROTO_MAC_CONNECT;
	case MILTER_PROTO_CMD_HELO:	return MILTER_PROTO_MAC_HELO;
	case MILTER_PROTO_CMD_MAIL:	return MILTER_PROTO_MAC_ENVFROM;
	case MILTER_PROTO_CMD_RCPT:	return MILTER_PROTO_MAC_ENVRCPT;
	case MILTER_PROTO_CMD_DATA:	return MILTER_PROTO_MAC_DATA;
	case MILTER_PROTO_CMD_BODYEOB:	return MILTER_PROTO_MAC_EOM;
	case MILTER_PROTO_CMD_EOH:	return MILTER_PROTO_MAC_EOH;
	default:			return -1;
	}
}

/* mac_clear - forget the macros of stages from..last */
static void
mac_clear(struct mf_conn *c, int from)
{
	int i;

	for (i = from; i < MILTER_PROTO_MAC_N; i++) {
		free(c->mac[i].buf);
		free(c->mac[i].kv);
		memset(&c->mac[i], 0, sizeof(c->mac[i]));
	}
}

/* mac_set - keep a 'D' packet's macros for its stage; 0 or -1 (ENOMEM) */
static int
mac_set(struct mf_conn *c, const struct milter_proto_cmd *cmd)
{
	struct mf_macros *m;
	size_t i, off;
	int st = stage_of(cmd->stage);

	if (st < 0)
		return 0;	/* macros for a command we do not read them at */
	if (st == MILTER_PROTO_MAC_CONNECT)
		mac_clear(c, 0);
	m = &c->mac[st];
	free(m->buf);
	free(m->kv);
	memset(m, 0, sizeof(*m));
	if (cmd->nmacros == 0)
		return 0;
	if ((m->buf = malloc(cmd->len)) == NULL ||
	    (m->kv = calloc(2 * cmd->nmacros, sizeof(*m->kv))) == NULL) {
		free(m->buf);
		m->buf = NULL;
		return -1;
	}
	memcpy(m->buf, cmd->data, cmd->len);
	for (i = 0; i < 2 * cmd->nmacros; i++) {
		off = (size_t)(cmd->macros[i] - cmd->data);
		m->kv[i] = m->buf + off;
	}
	m->n = cmd->nmacros;
	return 0;
}

/*
 * mac_get - a macro's value, "{name}" or "name" (one-letter names match
 * both ways, as libmilter's smfi_getsymval), the latest stage first
 */
static const char *
mac_get(struct mf_conn *c, const char *name)
{
	char alt[8];
	size_t len, i;
	int st;

	if (name == NULL || *name == '\0')
		return NULL;
	len = strlen(name);
	alt[0] = '\0';
	if (len == 1)
		snprintf(alt, sizeof(alt), "{%s}", name);
	else if (len == 3 && name[0] == '{' && name[2] == '}')
		snprintf(alt, sizeof(alt), "%c", name[1]);
	for (st = MILTER_PROTO_MAC_N - 1; st >= 0; st--)
		for (i = 0; i < c->mac[st].n; i++) {
			const char *k = c->mac[st].kv[2 * i];

			if (strcmp(k, name) == 0 ||
			    (alt[0] != '\0' && strcmp(k, alt) == 0))
				return c->mac[st].kv[2 * i + 1];
		}
	return NULL;
}

/* mf_macro - session_macro_fn: "{name}", or "name" meaning "{name}" too */
static const char *
mf_macro(void *ctx, const char *name)
{
	struct mf_conn *c = ctx;
	char buf[128];

	if (name == NULL || *name == '\0')
		return NULL;
	if (name[0] != '{' && name[1] != '\0') {
		if (snprintf(buf, sizeof(buf), "{%s}", name) >= (int)sizeof(buf))
			return NULL;
		return mac_get(c, buf);
	}
	return mac_get(c, name);
}

/* mf_tx - the transaction, or NULL */
static struct pg_tx *
mf_tx(struct mf_conn *c)
{
	return c->run != NULL ? run_tx(c->run) : NULL;
}

/* mf_tx_end - drop the transaction (abort, end of message, a new MAIL) */
static void
mf_tx_end(struct mf_conn *c)
{
	if (c->run != NULL)
		run_tx_end(c->run);
	c->eoh_done = 0;
	c->held = 0;
}

/* mf_session_end - on_close hooks, the session and its transaction go */
static void
mf_session_end(struct mf_conn *c)
{
	mf_tx_end(c);
	run_free(c->run);
	c->run = NULL;
}

/* mf_conn_destroy - free a connection shell and its buffers */
static void
mf_conn_destroy(struct mf_conn *c)
{
	milter_proto_dec_free(c->dec);
	milter_proto_buf_free(&c->out);
	free(c->rbuf);
	free(c);
}

/* mf_conn_end - end the session, release the chain and the macros */
static void
mf_conn_end(struct mf_conn *c)
{
	mf_session_end(c);
	if (c->chain != NULL) {
		chain_unref(c->chain);
		c->chain = NULL;
	}
	mac_clear(c, 0);
}

/*
 * mf_conn_recycle - keep a connection shell (ended, its socket closed)
 * with its buffers for the next connection: allocating and freeing 64 KiB
 * and more per connection made glibc trim its heaps, and every trim is a
 * TLB shootdown on every CPU
 */
static void
mf_conn_recycle(struct mf_conn *c)
{
	struct milter_proto_dec *dec;
	struct milter_proto_buf out;
	unsigned char *rbuf;

	dec = c->dec;
	out = c->out;
	rbuf = c->rbuf;
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->dec = dec;
	c->out = out;
	c->rbuf = rbuf;
	milter_proto_dec_reset(c->dec, MF_KEEP);
	milter_proto_buf_reset(&c->out);
	if (c->out.size > MF_KEEP)
		milter_proto_buf_free(&c->out);
	pthread_mutex_lock(&mf_lock);
	if (mf_ncache < MF_CACHE) {
		mf_cache[mf_ncache++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&mf_lock);
	if (c != NULL)
		mf_conn_destroy(c);
}

/* mf_conn_new - a connection shell, from the cache or new; NULL: ENOMEM */
static struct mf_conn *
mf_conn_new(void)
{
	struct mf_conn *c = NULL;

	pthread_mutex_lock(&mf_lock);
	if (mf_ncache > 0)
		c = mf_cache[--mf_ncache];
	pthread_mutex_unlock(&mf_lock);
	if (c != NULL)
		return c;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->fd = -1;
	if ((c->rbuf = malloc(MF_READ)) == NULL ||
	    (c->dec = milter_proto_dec_new(NULL)) == NULL) {
		mf_conn_destroy(c);
		return NULL;
	}
	return c;
}

/* nr - 1 when the MTA expects no reply at this stage */
static int
nr(struct mf_conn *c, unsigned long bit)
{
	return (c->prot & bit) != 0;
}

/* tx_pristine - 1 when the transaction has no changes and no scores yet */
static int
tx_pristine(struct pg_tx *tx)
{
	return tx == NULL || (msg_change_count(tx_msg(tx)) == 0 &&
	    tx_score_count(tx) == 0);
}

/* put - queue a reply; a failure (no memory) ends the connection later */
static int
put_simple(struct mf_conn *c, int code)
{
	if (milter_proto_put_simple(&c->out, code) == -1) {
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
put_reply(struct mf_conn *c, enum pg_verdict v, const char *normal)
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
	if (milter_proto_put_reply(&c->out, r->rcode, r->xcode,
	    (const char *const *)r->lines, r->nlines) == -1) {
		free(r);
		return put_simple(c, code);
	}
	free(r);
	return 0;
}

/*
 * mf_answer - queue the reply for verdict v at a stage; d is the decision
 * that gave v (its verdict is v) and says the reply (decision_reply()).
 * bit is the stage's no-reply flag (0 for none).
 */
static int
mf_answer(struct mf_conn *c, enum chain_phase ph, unsigned long bit,
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
		    !tx_pristine(mf_tx(c)))
			return put_simple(c, MILTER_PROTO_REP_CONTINUE);
		return put_simple(c, MILTER_PROTO_REP_ACCEPT);
	case PG_REJECT:
	case PG_TEMPFAIL:
		if (ph == CHAIN_CONNECT && d->reply[0])
			log_info("milter: session %s: connect: the reply "
			    "goes to the MTA, but Postfix greets the client "
			    "with its own \"554 ... not accepting "
			    "connections\" (see docs/milter.md)", sid(c));
		return put_reply(c, v, decision_reply(d));
	case PG_DISCARD:
		return put_simple(c, MILTER_PROTO_REP_DISCARD);
	default:
		return put_reply(c, PG_TEMPFAIL, reply_default(PG_TEMPFAIL));
	}
}

/* mf_fail - log a local failure at a stage and tempfail it (if answered) */
static int
mf_fail(struct mf_conn *c, unsigned long bit, const char *what)
{
	log_warn("milter: session %s: %s", sid(c), what);
	if (bit != 0 && nr(c, bit))
		return 0;
	return put_reply(c, PG_TEMPFAIL, reply_default(PG_TEMPFAIL));
}

/* mf_session_macros - session fields that only macros carry */
static void
mf_session_macros(struct mf_conn *c)
{
	const char *m;

	if ((m = mac_get(c, "{auth_authen}")) != NULL && *m &&
	    session_set_auth(run_session(c->run), m) == -1)
		log_warn("milter: session %s: auth", sid(c));
	if ((m = mac_get(c, "{tls_version}")) != NULL && *m &&
	    session_set_tls(run_session(c->run), m) == -1)
		log_warn("milter: session %s: tls", sid(c));
}

/* mf_end_header - end the message header once (eoh may be negotiated away) */
static int
mf_end_header(struct mf_conn *c)
{
	if (c->eoh_done)
		return 0;
	c->eoh_done = 1;
	return msg_end_header(tx_msg(mf_tx(c)));
}

/* mf_chain - the connection's chain generation; NULL when stopping */
static struct chain *
mf_chain(struct mf_conn *c)
{
	if (c->chain == NULL && (c->chain = gen_acquire()) == NULL)
		log_warnx("milter: no chain to run (stopping?): connection "
		    "from %s refused", c->peer);
	return c->chain;
}

/* do_optneg - answer the negotiation; -1 ends the connection */
static int
do_optneg(struct mf_conn *c, const struct milter_proto_cmd *cmd)
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
	if (mf_chain(c) == NULL)
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
	c->negotiated = 1;
	version = cmd->version < MILTER_PROTO_VERSION ? cmd->version :
	    MILTER_PROTO_VERSION;
	if (milter_proto_put_optneg(&c->out, version, (uint32_t)act,
	    (uint32_t)prot, (act & MILTER_PROTO_ACT_SETSYMLIST) ? mf_symlist :
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
do_connect(struct mf_conn *c, const struct milter_proto_cmd *cmd)
{
	struct decision d;
	char addr[INET6_ADDRSTRLEN + 1];
	const char *name, *m;
	enum pg_verdict v;
	int port = 0;

	/* a new SMTP session on the same connection (after QUIT_NC) */
	mf_session_end(c);
	if (mf_chain(c) == NULL)
		return -1;
	norm_addr(cmd, addr, sizeof(addr));
	if (addr[0] != '\0')
		port = (int)cmd->port;
	if (addr[0] == '\0' && (m = mac_get(c, "{client_addr}")) != NULL &&
	    *m && strlen(m) < sizeof(addr))
		strcpy(addr, m);
	if (addr[0] == '\0')
		strcpy(addr, "unknown");
	/* an MTA passes "[192.0.2.1]" when the address has no name */
	name = cmd->host[0] != '\0' && cmd->host[0] != '[' ? cmd->host :
	    "unknown";
	if ((c->run = run_new(c->chain, "milter", addr, port, name)) == NULL)
		return mf_fail(c, MILTER_PROTO_NR_CONN, "connect: session");
	session_set_macro_fn(run_session(c->run), mf_macro, c);
	log_debug("milter: session %s: connect from %s [%s]:%d", sid(c),
	    esc(name), addr, port);
	v = run_connect(c->run, &d);
	return mf_answer(c, CHAIN_CONNECT, MILTER_PROTO_NR_CONN, v, &d);
}

static int
do_helo(struct mf_conn *c, const struct milter_proto_cmd *cmd)
{
	struct decision d;
	enum pg_verdict v;

	if (c->run == NULL)
		return nr(c, MILTER_PROTO_NR_HELO) ? 0 :
		    put_simple(c, MILTER_PROTO_REP_CONTINUE);
	mf_session_macros(c);
	v = run_helo(c->run, cmd->str, &d);
	return mf_answer(c, CHAIN_HELO, MILTER_PROTO_NR_HELO, v, &d);
}

static int
do_mail(struct mf_conn *c, const struct milter_proto_cmd *cmd)
{
	struct decision d;
	enum pg_verdict v;
	char *args = NULL;
	size_t i, n = 0;

	if (c->run == NULL)
		return nr(c, MILTER_PROTO_NR_MAIL) ? 0 :
		    put_simple(c, MILTER_PROTO_REP_CONTINUE);
	mf_tx_end(c);
	mf_session_macros(c);
	/* the ESMTP parameters, one string as in the MAIL command */
	for (i = 1; i < cmd->argc; i++)
		n += strlen(cmd->argv[i]) + 1;
	if (n > 0) {
		char *o;

		if ((args = malloc(n)) == NULL)
			return mf_fail(c, MILTER_PROTO_NR_MAIL,
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
	return mf_answer(c, CHAIN_MAIL, MILTER_PROTO_NR_MAIL, v, &d);
}

static int
do_rcpt(struct mf_conn *c, const struct milter_proto_cmd *cmd)
{
	struct decision d;
	enum pg_verdict v;

	if (mf_tx(c) == NULL)
		return nr(c, MILTER_PROTO_NR_RCPT) ? 0 :
		    put_simple(c, MILTER_PROTO_REP_CONTINUE);
	v = run_rcpt(c->run, cmd->argv[0], &d);
	return mf_answer(c, CHAIN_RCPT, MILTER_PROTO_NR_RCPT, v, &d);
}

static int
do_data(struct mf_conn *c)
{
	struct decision d;
	enum pg_verdict v;

	if (mf_tx(c) == NULL)
		return nr(c, MILTER_PROTO_NR_DATA) ? 0 :
		    put_simple(c, MILTER_PROTO_REP_CONTINUE);
	v = run_data(c->run, &d);
	return mf_answer(c, CHAIN_DATA, MILTER_PROTO_NR_DATA, v, &d);
}

/* hold - keep a header-stage verdict for the next stage that is answered */
static void
hold(struct mf_conn *c, enum pg_verdict v, const struct decision *d)
{
	c->held = 1;
	c->held_v = v;
	c->held_d = *d;
}

/* hold_tempfail - no resources for a header: hold a tempfail; the header's answer */
static int
hold_tempfail(struct mf_conn *c, int reply)
{
	struct decision d;

	hold(c, decision_set(&d, PG_TEMPFAIL, NULL, NULL), &d);
	return reply ? put_simple(c, MILTER_PROTO_REP_CONTINUE) : 0;
}

static int
do_header(struct mf_conn *c, const struct milter_proto_cmd *cmd)
{
	struct decision d;
	enum pg_verdict v;
	char *val;
	int reply = !nr(c, MILTER_PROTO_NR_HDR);

	if (mf_tx(c) == NULL || c->held)
		return reply ? put_simple(c, MILTER_PROTO_REP_CONTINUE) : 0;
	if ((val = milter_util_header_value(cmd->value,
	    (c->prot & MILTER_PROTO_HDR_LEADSPC) != 0)) == NULL) {
		log_warn("milter: session %s: header", sid(c));
		return hold_tempfail(c, reply);
	}
	if (msg_add_field(tx_msg(mf_tx(c)), cmd->name, val) == -1) {
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
do_eoh(struct mf_conn *c)
{
	struct decision d;
	enum pg_verdict v;

	if (mf_tx(c) == NULL)
		return nr(c, MILTER_PROTO_NR_EOH) ? 0 :
		    put_simple(c, MILTER_PROTO_REP_CONTINUE);
	if (c->held) {
		if (nr(c, MILTER_PROTO_NR_EOH))
			return 0;	/* held until end of message */
		c->held = 0;
		return mf_answer(c, CHAIN_HEADER, 0, c->held_v, &c->held_d);
	}
	if (mf_end_header(c) == -1)
		return mf_fail(c, MILTER_PROTO_NR_EOH, "end of header");
	v = run_eoh(c->run, &d);
	return mf_answer(c, CHAIN_EOH, MILTER_PROTO_NR_EOH, v, &d);
}

/* do_body - a body chunk into the spool, unless nothing will read it */
static int
do_body(struct mf_conn *c, const char *p, size_t len, int reply)
{
	if (mf_tx(c) == NULL)
		return reply ? put_simple(c, MILTER_PROTO_REP_CONTINUE) : 0;
	if (!c->held && run_filtering(c->run) && (mf_end_header(c) == -1 ||
	    msg_body_write(tx_msg(mf_tx(c)), p, len) == -1)) {
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

/* need - 1 when the action was negotiated; logs when not */
static int
need(struct mf_conn *c, unsigned long act, const char *what,
    const struct msg_change *ch)
{
	if (c->act & act)
		return 1;
	log_warnx("milter: session %s: %s (by %s) cannot be sent: the action "
	    "was not negotiated with the MTA: message deferred", sid(c), what,
	    ch->filter ? esc(ch->filter) : "?");
	return 0;
}

/* bracket - "<addr>" for the MTA, from a bare or bracketed address */
static const char *
bracket(const char *addr, char *buf, size_t len)
{
	char bare[1024];

	if (addr == NULL)
		addr = "";
	if (tx_addr_strip(addr, bare, sizeof(bare)) == -1)
		snprintf(buf, len, "%s", addr);
	else
		snprintf(buf, len, "<%s>", bare);
	return buf;
}

/* put_body - the replaced body in 64 KiB chunks (one empty chunk for none) */
static int
put_body(struct mf_conn *c)
{
	const struct msg *m = tx_msg(mf_tx(c));
	unsigned char *buf;
	off_t off = 0;
	ssize_t n;
	int rc = 0;

	if ((buf = malloc(MF_CHUNK)) == NULL)
		return -1;
	while ((n = msg_new_body_read(m, off, buf, MF_CHUNK)) > 0) {
		if ((rc = milter_proto_put_replbody(&c->out, buf,
		    (size_t)n)) == -1)
			break;
		off += n;
	}
	if (n < 0)
		rc = -1;
	else if (rc == 0 && off == 0)
		rc = milter_proto_put_replbody(&c->out, "", 0);
	free(buf);
	return rc;
}

/*
 * mf_replay - queue the change list as reply packets; 0, or -1 (logged)
 * with nothing of it queued
 */
static int
mf_replay(struct mf_conn *c)
{
	const struct msg *m = tx_msg(mf_tx(c));
	size_t i, n = msg_change_count(m), last_body = (size_t)-1;
	size_t mark = c->out.len;
	int leadspc = (c->prot & MILTER_PROTO_HDR_LEADSPC) != 0;
	char addr[1040];

	for (i = 0; i < n; i++)
		if (msg_change_at(m, i)->kind == MSG_REPLACE_BODY)
			last_body = i;
	for (i = 0; i < n; i++) {
		const struct msg_change *ch = msg_change_at(m, i);
		const char *name = ch->name ? ch->name : "", *what = "?";
		char *v = NULL;
		int rc = 0;

		if (ch->value != NULL && (ch->kind == MSG_ADD_HEADER ||
		    ch->kind == MSG_INSERT_HEADER ||
		    ch->kind == MSG_CHANGE_HEADER) &&
		    (v = milter_util_header_out(ch->value, leadspc)) == NULL) {
			log_warn("milter: session %s: changes", sid(c));
			goto fail;
		}
		if (ch->index > 0x7fffffff) {
			free(v);
			log_warnx("milter: session %s: header index %zu out of "
			    "range", sid(c), ch->index);
			goto fail;
		}
		switch (ch->kind) {
		case MSG_ADD_HEADER:
			what = "add header";
			if (!need(c, MILTER_PROTO_ACT_ADDHDRS, what, ch))
				rc = -2;
			else
				rc = milter_proto_put_addheader(&c->out, name,
				    v ? v : "");
			break;
		case MSG_INSERT_HEADER:
			what = "insert header";
			if (!need(c, MILTER_PROTO_ACT_ADDHDRS, what, ch))
				rc = -2;
			else
				rc = milter_proto_put_insheader(&c->out,
				    (uint32_t)ch->index, name, v ? v : "");
			break;
		case MSG_CHANGE_HEADER:
			what = "change header";
			if (!need(c, MILTER_PROTO_ACT_CHGHDRS, what, ch))
				rc = -2;
			else
				rc = milter_proto_put_chgheader(&c->out,
				    (uint32_t)ch->index, name, v ? v : "");
			break;
		case MSG_DELETE_HEADER:
			what = "delete header";
			if (!need(c, MILTER_PROTO_ACT_CHGHDRS, what, ch))
				rc = -2;
			else
				rc = milter_proto_put_chgheader(&c->out,
				    (uint32_t)ch->index, name, NULL);
			break;
		case MSG_ADD_RCPT:
			what = "add recipient";
			if (!need(c, MILTER_PROTO_ACT_ADDRCPT, what, ch))
				rc = -2;
			else
				rc = milter_proto_put_addrcpt(&c->out,
				    bracket(ch->addr, addr, sizeof(addr)));
			break;
		case MSG_DEL_RCPT:
			what = "delete recipient";
			if (!need(c, MILTER_PROTO_ACT_DELRCPT, what, ch))
				rc = -2;
			else
				rc = milter_proto_put_delrcpt(&c->out,
				    bracket(ch->addr, addr, sizeof(addr)));
			break;
		case MSG_CHANGE_SENDER:
			what = "change sender";
			if (!need(c, MILTER_PROTO_ACT_CHGFROM, what, ch))
				rc = -2;
			else
				rc = milter_proto_put_chgfrom(&c->out,
				    bracket(ch->addr, addr, sizeof(addr)),
				    ch->value);
			break;
		case MSG_REPLACE_BODY:
			what = "replace body";
			if (!need(c, MILTER_PROTO_ACT_CHGBODY, what, ch))
				rc = -2;
			else if (i == last_body)
				/* the msg keeps one new body: send it once */
				rc = put_body(c);
			break;
		case MSG_QUARANTINE:
			what = "quarantine";
			if (!need(c, MILTER_PROTO_ACT_QUARANTINE, what, ch))
				rc = -2;
			else
				rc = milter_proto_put_quarantine(&c->out,
				    ch->value && *ch->value ? ch->value :
				    "phasegate");
			break;
		}
		free(v);
		if (rc == -1)
			log_warn("milter: session %s: %s (by %s): message "
			    "deferred", sid(c), what,
			    ch->filter ? esc(ch->filter) : "?");
		if (rc != 0)
			goto fail;
	}
	return 0;
fail:
	c->out.len = mark;
	return -1;
}

static int
do_eom(struct mf_conn *c, const struct milter_proto_cmd *cmd)
{
	struct decision d;
	enum pg_verdict v;
	int r;

	if (mf_tx(c) == NULL) {
		r = put_simple(c, MILTER_PROTO_REP_CONTINUE);
		goto out;
	}
	if (cmd->len > 0)	/* a last body chunk with the end */
		(void)do_body(c, cmd->data, cmd->len, 0);
	if (c->held && (c->held_v != PG_ACCEPT || tx_pristine(mf_tx(c)))) {
		r = mf_answer(c, CHAIN_HEADER, 0, c->held_v, &c->held_d);
		goto out;
	}
	if (mf_end_header(c) == -1) {
		r = mf_fail(c, 0, "end of message");
		goto out;
	}
	v = run_eom(c->run, &d);
	if ((v == PG_CONTINUE || v == PG_ACCEPT) && mf_replay(c) == -1)
		v = decision_set(&d, PG_TEMPFAIL, NULL, NULL);
	r = mf_answer(c, CHAIN_EOM, 0, v, &d);
out:
	mf_tx_end(c);
	mac_clear(c, MILTER_PROTO_MAC_ENVFROM);
	return r;
}

/* dispatch - one command; 0 to go on, -1 to end the connection, 1 on QUIT */
static int
dispatch(struct mf_conn *c, const struct milter_proto_cmd *cmd)
{
	if (!c->negotiated && cmd->cmd != MILTER_PROTO_CMD_OPTNEG &&
	    cmd->cmd != MILTER_PROTO_CMD_MACRO) {
		log_warnx("milter: connection from %s: command '%c' before "
		    "the negotiation: closed", c->peer, cmd->cmd);
		return -1;
	}
	/* a stage's command makes the macros of later stages stale (libmilter) */
	switch (cmd->cmd) {
	case MILTER_PROTO_CMD_CONNECT:
	case MILTER_PROTO_CMD_HELO:
	case MILTER_PROTO_CMD_MAIL:
	case MILTER_PROTO_CMD_RCPT:
	case MILTER_PROTO_CMD_DATA:
		mac_clear(c, stage_of(cmd->cmd) + 1);
		break;
	}
	switch (cmd->cmd) {
	case MILTER_PROTO_CMD_OPTNEG:
		return do_optneg(c, cmd);
	case MILTER_PROTO_CMD_MACRO:
		if (mac_set(c, cmd) == -1)
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
		mf_tx_end(c);
		mac_clear(c, MILTER_PROTO_MAC_ENVFROM);
		return 0;
	case MILTER_PROTO_CMD_QUIT_NC:
		/* the next SMTP session comes on this connection */
		mf_session_end(c);
		mac_clear(c, 0);
		if (c->chain != NULL) {
			chain_unref(c->chain);
			c->chain = NULL;
		}
		return 0;
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

/* flush - write the queued replies; 0 or -1 (logged) */
static int
flush(struct mf_conn *c)
{
	size_t off = 0;
	ssize_t n;
	uint64_t deadline = 0;

	while (off < c->out.len) {
		n = send(c->fd, c->out.data + off, c->out.len - off,
		    MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (deadline == 0)
				deadline = clock_ms() + mf_write_ms;
			if (fiber_wait(c->fd, FIBER_OUT, deadline) == 0 &&
			    (atomic_load(&mf_stopping) ||
			    clock_ms() >= deadline)) {
				log_warnx("milter: session %s: MTA %s: reply "
				    "not taken within %llu ms: connection "
				    "closed", sid(c), c->peer,
				    (unsigned long long)mf_write_ms);
				return -1;
			}
			continue;
		}
		log_warn("milter: session %s: MTA %s: write", sid(c), c->peer);
		return -1;
	}
	milter_proto_buf_reset(&c->out);
	return 0;
}

/* mf_register - add to or remove from the live list (removed: the socket is closed) */
static void
mf_register(struct mf_conn *c, int add)
{
	pthread_mutex_lock(&mf_lock);
	if (add) {
		c->next = mf_conns;
		if (mf_conns != NULL)
			mf_conns->prev = c;
		mf_conns = c;
		mf_nconns++;
	} else {
		if (c->prev != NULL)
			c->prev->next = c->next;
		else
			mf_conns = c->next;
		if (c->next != NULL)
			c->next->prev = c->prev;
		/* under the lock: milter_front_stop() shuts live sockets down */
		close(c->fd);
		c->fd = -1;
		mf_nconns--;
		pthread_cond_broadcast(&mf_cond);
	}
	pthread_mutex_unlock(&mf_lock);
}

/* wait_in - park until the MTA sends more; -1 when stopping or idle too long */
static int
wait_in(struct mf_conn *c, uint64_t *deadline)
{
	if (atomic_load(&mf_stopping))
		return -1;
	if (*deadline == 0)
		*deadline = clock_ms() + MF_IDLE_MS;
	if (fiber_wait(c->fd, FIBER_IN, *deadline) == 0) {
		if (atomic_load(&mf_stopping))
			return -1;
		if (clock_ms() >= *deadline) {
			log_warnx("milter: session %s: MTA %s: idle for %llu s: "
			    "connection closed", sid(c), c->peer,
			    MF_IDLE_MS / 1000);
			return -1;
		}
	}
	return 0;
}

/* mf_session - the fiber of one MTA connection */
static void
mf_session(void *arg)
{
	struct mf_conn *c = arg;
	struct milter_proto_cmd cmd;
	uint64_t deadline = 0;
	ssize_t n;
	int r, watched, wait_first = 0;

	/* the socket stays in the epoll set: parking costs no system call */
	watched = fiber_watch(c->fd) == 0;
	for (;;) {
		r = milter_proto_next(c->dec, &cmd);
		if (r == MILTER_PROTO_OK) {
			deadline = 0;
			if ((r = dispatch(c, &cmd)) != 0) {
				if (r == 1)
					(void)flush(c);
				break;
			}
			continue;
		}
		if (r != MILTER_PROTO_MORE) {
			log_warnx("milter: session %s: MTA %s: %s: connection "
			    "closed", sid(c), c->peer,
			    milter_proto_error(c->dec));
			break;
		}
		/* nothing complete left: the MTA waits for these replies */
		if (c->out.len > 0) {
			if (flush(c) == -1)
				break;
		} else if (c->tcp && c->unacked) {
			/*
			 * Nothing to answer (stages without a reply): ACK
			 * now. An MTA that writes packets without
			 * TCP_NODELAY (Postfix) holds the next one until
			 * this ACK, which a delayed ACK would postpone by
			 * 40 ms.
			 */
			int on = 1;

			(void)setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK,
			    &on, sizeof(on));
		}
		c->unacked = 0;
		/* the last read was short: nothing more is there yet, wait first */
		if (wait_first) {
			wait_first = 0;
			if (wait_in(c, &deadline) == -1)
				break;
		}
		n = recv(c->fd, c->rbuf, MF_READ, 0);
		if (n > 0) {
			c->unacked = 1;
			wait_first = watched && n < MF_READ;
			if (milter_proto_feed(c->dec, c->rbuf, (size_t)n) == -1) {
				log_warn("milter: session %s: MTA %s: input",
				    sid(c), c->peer);
				break;
			}
			continue;
		}
		if (n == 0)
			break;	/* the MTA closed */
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			if (errno != ECONNRESET)
				log_warn("milter: session %s: MTA %s: read",
				    sid(c), c->peer);
			break;
		}
		if (wait_in(c, &deadline) == -1)
			break;
	}
	if (watched)
		fiber_forget(c->fd);	/* closed next: that takes it out of the set */
	mf_conn_end(c);
	mf_register(c, 0);
	mf_conn_recycle(c);
}

/* peer_name - the MTA's address for the log */
static void
peer_name(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(in6->sin6_port));
	} else
		snprintf(buf, len, "%s", "local");
}

/*
 * mf_accept_one - a new MTA connection: its fiber. 0, or -1 with errno
 * when accept() has none (EAGAIN) or failed (logged)
 */
static int
mf_accept_one(void)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct mf_conn *c;
	int fd, on = 1, e;

	fd = accept4(mf_fd, (struct sockaddr *)&ss, &sl,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		e = errno;
		if (e == EINTR || e == ECONNABORTED)
			return 0;
		if (e != EAGAIN && e != EWOULDBLOCK)
			log_warn("milter: accept");
		errno = e;
		return -1;
	}
	if (ss.ss_family != AF_UNIX)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if ((c = mf_conn_new()) == NULL) {
		log_warn("milter: new connection");
		close(fd);
		return 0;
	}
	c->fd = fd;
	c->tcp = ss.ss_family != AF_UNIX;
	peer_name(&ss, c->peer, sizeof(c->peer));
	mf_register(c, 1);
	if (fiber_spawn(mf_session, c) == -1) {
		log_warn("milter: connection from %s: fiber", c->peer);
		mf_register(c, 0);
		mf_conn_recycle(c);
	}
	return 0;
}

/*
 * mf_accept_fiber - the listener, a fiber like the sessions: no thread to
 * wake for each new connection, and a busy worker accepts without sleeping
 */
static void
mf_accept_fiber(void *arg)
{
	(void)arg;
	(void)fiber_watch(mf_fd);	/* an edge per new connection */
	while (!atomic_load(&mf_stopping)) {
		if (mf_accept_one() == 0)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			(void)fiber_wait(mf_fd, FIBER_IN, 0);
		else if (errno == EMFILE || errno == ENFILE ||
		    errno == ENOBUFS || errno == ENOMEM)
			usleep(100000);	/* rare: the worker may block */
	}
	fiber_unwatch(mf_fd);
	atomic_store(&mf_accepting, 0);
}

/* mf_connect_to - connect to the listen socket (a unix socket in use?); fd or -1 */
static int
mf_connect_to(void)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", mf_listen.path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* mf_open_unix - the unix socket (a stale one is replaced); fd or -1 */
static int
mf_open_unix(char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	if (lstat(mf_listen.path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "milter listen \"%s\": %s exists "
			    "and is not a socket", mf_spec, mf_listen.path);
			return -1;
		}
		if ((fd = mf_connect_to()) != -1) {
			close(fd);
			snprintf(err, errlen, "milter listen \"%s\": socket in "
			    "use by another process", mf_spec);
			return -1;
		}
		(void)unlink(mf_listen.path);	/* stale */
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", mf_listen.path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, MF_BACKLOG) == -1) {
		snprintf(err, errlen, "milter listen \"%s\": cannot bind: %s",
		    mf_spec, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* mf_open_inet - the TCP socket; fd or -1 */
static int
mf_open_inet(char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, on = 1, e, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = mf_listen.family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	e = getaddrinfo(mf_listen.host[0] ? mf_listen.host : NULL,
	    mf_listen.port, &hints, &res);
	if (e != 0) {
		snprintf(err, errlen, "milter listen \"%s\": %s", mf_spec,
		    gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol)) == -1) {
			saved = errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		/* accepted sockets inherit it (Linux, the BSDs); set again there */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, MF_BACKLOG) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		snprintf(err, errlen, "milter listen \"%s\": cannot bind: %s",
		    mf_spec, strerror(saved));
	return fd;
}

int
milter_front_start(const struct config *cfg, char *err, size_t errlen)
{

	if (cfg == NULL || cfg->milter_listen == NULL)
		return 0;
	if (mf_started) {
		snprintf(err, errlen, "milter: the front end runs already (one "
		    "per process)");
		return -1;
	}
	if (addr_parse(cfg->milter_listen, 0, &mf_listen, err,
	    errlen) == -1)
		return -1;
	free(mf_spec);
	if ((mf_spec = strdup(cfg->milter_listen)) == NULL) {
		snprintf(err, errlen, "milter: %s", strerror(errno));
		return -1;
	}
	if (cfg->timeout_command_ms > 0)
		mf_write_ms = cfg->timeout_command_ms;
	mf_fd = mf_listen.family == AF_UNIX ? mf_open_unix(err, errlen) :
	    mf_open_inet(err, errlen);
	if (mf_fd == -1)
		return -1;
	if (fcntl(mf_fd, F_SETFL, fcntl(mf_fd, F_GETFL) | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "milter: %s", strerror(errno));
		close(mf_fd);
		mf_fd = -1;
		return -1;
	}
	atomic_store(&mf_stopping, 0);
	atomic_store(&mf_accepting, 1);
	if (fiber_spawn(mf_accept_fiber, NULL) == -1) {
		snprintf(err, errlen, "milter: listener fiber: %s",
		    strerror(errno));
		atomic_store(&mf_accepting, 0);
		close(mf_fd);
		mf_fd = -1;
		return -1;
	}
	mf_started = 1;
	log_info("milter: listening on %s", mf_spec);
	return 0;
}

void
milter_front_stop(void)
{
	struct mf_conn *c;
	struct timespec ts;

	if (!mf_started)
		return;
	atomic_store(&mf_stopping, 1);
	/* the listener's fiber waits with no deadline: a kick ends the wait */
	while (atomic_load(&mf_accepting)) {
		fiber_kick_all();
		usleep(5000);
	}
	close(mf_fd);
	mf_fd = -1;
	if (mf_listen.family == AF_UNIX)
		(void)unlink(mf_listen.path);
	/*
	 * Open connections: shut down, so that each fiber wakes up, sees
	 * the end and returns (a session busy in a filter finishes that
	 * call first). The MTA applies its milter_default_action to them.
	 */
	pthread_mutex_lock(&mf_lock);
	for (c = mf_conns; c != NULL; c = c->next)
		(void)shutdown(c->fd, SHUT_RDWR);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	while (mf_nconns > 0)
		if (pthread_cond_timedwait(&mf_cond, &mf_lock, &ts) != 0)
			break;
	if (mf_nconns > 0)
		log_warnx("milter: %zu connections still busy at stop",
		    mf_nconns);
	while (mf_nconns == 0 && mf_ncache > 0)
		mf_conn_destroy(mf_cache[--mf_ncache]);
	pthread_mutex_unlock(&mf_lock);
	mf_started = 0;
	log_info("milter: stopped listening on %s", mf_spec);
}
