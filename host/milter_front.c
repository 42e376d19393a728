/*
 * milter_front - phasegate as a milter (libmilter)
 *
 * Public: milter_front_start(), milter_front_stop().
 *
 * Each MTA connection gets a struct mf_conn (libmilter's private data): the
 * chain generation taken at negotiation, the session made at connect and
 * the transaction of MAIL .. end of message. Every callback feeds the chain
 * and answers at the stage where the chain decided:
 *
 *	continue -> SMFIS_CONTINUE (SMFIS_NOREPLY where negotiated away)
 *	accept   -> SMFIS_ACCEPT (but see mf_answer(): changes or scores
 *		    already recorded keep the message coming to end of data)
 *	reject   -> SMFIS_REJECT with the reply (smfi_setmlreply)
 *	tempfail -> SMFIS_TEMPFAIL with the reply
 *	discard  -> SMFIS_DISCARD
 *
 * At end of message the message's change list is replayed in order through
 * smfi_addheader(), smfi_insheader(), smfi_chgheader(), smfi_addrcpt(),
 * smfi_delrcpt(), smfi_chgfrom(), smfi_replacebody() and smfi_quarantine().
 * A change the MTA refuses makes the message tempfail (logged): the MTA
 * must not deliver something other than what the chain asked for.
 *
 * Trust: everything from the MTA is treated as untrusted text (logged
 * escaped). Failures (no memory, spool errors) tempfail the current stage
 * and never touch other sessions. libmilter calls the callbacks of one
 * connection from one thread at a time, so mf_conn needs no lock.
 *
 * Signals: smfi_main() starts a thread that sigwait()s SIGHUP, SIGTERM and
 * SIGINT and stops the listener on any of them (libmilter 8.17
 * signal.c). serve's main thread owns those signals, so we run libmilter's
 * listener (mi_listener(), exported by libmilter.so but not in mfapi.h)
 * ourselves and fall back to smfi_main() with a warning only if that
 * symbol is missing. The listener thread and every thread libmilter
 * creates from it block all asynchronous signals.
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
#include <dirent.h>
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "chain.h"
#include "config.h"
#include "log.h"
#include "milter_front.h"
#include "milter_util.h"
#include "msg.h"
#include "reply.h"
#include "serve.h"
#include "session.h"
#include "tx.h"

struct mf_conn {
	SMFICTX			*ctx;
	struct chain		*chain;
	struct pg_session	*s;
	struct pg_tx		*tx;
	unsigned long		 prot;		/* negotiated SMFIP_* */
	unsigned long		 act;		/* negotiated SMFIF_* */
	int			 eoh_done;	/* msg_end_header() called */
};

typedef int (*mf_listener_fn)(char *, int, smfiDesc_ptr, time_t, int);

static struct smfiDesc	 mf_desc;
static struct milter_listen mf_listen;
static char		*mf_spec;
static pthread_t	 mf_thread;
static int		 mf_started;
static atomic_int	 mf_stopping;
static atomic_int	 mf_done;
static mf_listener_fn	 mf_listener;

#define MF_TIMEOUT	7210	/* libmilter's default read timeout (s) */
#define MF_BACKLOG	128
#define MF_CHUNK	65535	/* smfi_replacebody() chunk */

/* macros asked of the MTA, per stage (smfi_setsymlist) */
static const char *mf_symlist[][2] = {
	{ "connect", "j _ {daemon_name} {daemon_addr} {daemon_port} "
	    "{client_addr} {client_port} {client_name} {client_ptr} "
	    "{client_resolve} {client_connections} {if_name} {if_addr} v" },
	{ "helo", "{tls_version} {cipher} {cipher_bits} {cert_subject} "
	    "{cert_issuer} {client_addr}" },
	{ "envfrom", "i {auth_type} {auth_authen} {auth_ssf} {auth_author} "
	    "{mail_mailer} {mail_host} {mail_addr} {tls_version}" },
	{ "envrcpt", "i {rcpt_mailer} {rcpt_host} {rcpt_addr}" },
	{ "data", "i" },
	{ "eom", "i {msg_id}" },
	{ "eoh", "i" },
};
static const int mf_symwhere[] = {
	SMFIM_CONNECT, SMFIM_HELO, SMFIM_ENVFROM, SMFIM_ENVRCPT, SMFIM_DATA,
	SMFIM_EOM, SMFIM_EOH
};

/* esc - escape untrusted text for the log (per-thread buffer) */
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
	const char *id = c && c->s ? session_str(c->s, PG_S_ID) : NULL;

	return id ? id : "-";
}

/* mf_macro - session_macro_fn: read a macro, "{name}" or "name" */
static const char *
mf_macro(void *ctx, const char *name)
{
	char buf[128];

	if (name == NULL || *name == '\0')
		return NULL;
	if (name[0] != '{' && name[1] != '\0') {
		if (snprintf(buf, sizeof(buf), "{%s}", name) >= (int)sizeof(buf))
			return NULL;
		return smfi_getsymval(ctx, buf);
	}
	if (strlen(name) >= sizeof(buf))
		return NULL;
	strcpy(buf, name);
	return smfi_getsymval(ctx, buf);
}

/* mf_conn_free - end the session and everything it holds */
static void
mf_conn_free(struct mf_conn *c)
{
	if (c == NULL)
		return;
	tx_free(c->tx);
	if (c->s != NULL) {
		chain_close(c->s);
		session_free(c->s);
	}
	if (c->chain != NULL)
		chain_unref(c->chain);
	free(c);
}

/* mf_get - the connection's state; NULL when there is none */
static struct mf_conn *
mf_get(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
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

/* mf_setreply - hand a normal-form reply to libmilter; 0 or -1 */
static int
mf_setreply(struct mf_conn *c, const char *normal)
{
	struct milter_reply *r;
	const char **l;
	int rc;

	if (normal == NULL || *normal == '\0')
		return 0;	/* the MTA's default reply */
	if ((r = malloc(sizeof(*r))) == NULL)
		return -1;
	if (milter_util_reply_split(normal, r) == -1) {
		log_warnx("milter: session %s: reply not usable by libmilter, "
		    "the MTA's default is used: %s", sid(c), esc(normal));
		free(r);
		return -1;
	}
	l = r->lines;
	/* smfi_setmlreply reads texts up to the first NULL: l[nlines] */
	rc = smfi_setmlreply(c->ctx, r->rcode, r->xcode, l[0], l[1], l[2],
	    l[3], l[4], l[5], l[6], l[7], l[8], l[9], l[10], l[11], l[12],
	    l[13], l[14], l[15], l[16], l[17], l[18], l[19], l[20], l[21],
	    l[22], l[23], l[24], l[25], l[26], l[27], l[28], l[29], l[30],
	    l[31], (char *)NULL);
	free(r);
	if (rc != MI_SUCCESS) {
		log_warnx("milter: session %s: smfi_setmlreply refused the "
		    "reply, the MTA's default is used: %s", sid(c), esc(normal));
		return -1;
	}
	return 0;
}

/*
 * mf_answer - turn the chain's verdict at a stage into libmilter's. bit is
 * the stage's SMFIP_NR_* flag (0 for none).
 */
static sfsistat
mf_answer(struct mf_conn *c, enum chain_phase ph, unsigned long bit,
    enum pg_verdict v, const struct decision *d)
{
	/* the chain logs its decisions; only what the milter adds is logged here */
	if (bit != 0 && nr(c, bit)) {
		if (v != PG_CONTINUE)
			log_warnx("milter: session %s: %s: the verdict cannot "
			    "be sent: this stage was negotiated without a "
			    "reply", sid(c), chain_phase_name(ph));
		return SMFIS_NOREPLY;
	}
	switch (v) {
	case PG_CONTINUE:
		return SMFIS_CONTINUE;
	case PG_ACCEPT:
		/*
		 * SMFIS_ACCEPT ends the milter's part in the message, so
		 * changes and scores recorded so far would never be applied
		 * at end of message: keep going then (the chain filters no
		 * more, the proxy gives the same result).
		 */
		if (ph != CHAIN_CONNECT && ph != CHAIN_HELO && ph != CHAIN_EOM &&
		    !tx_pristine(c->tx))
			return SMFIS_CONTINUE;
		return SMFIS_ACCEPT;
	case PG_REJECT:
	case PG_TEMPFAIL:
		if (ph == CHAIN_CONNECT && d->reply[0])
			log_info("milter: session %s: connect: the reply "
			    "goes to the MTA, but Postfix greets the client "
			    "with its own \"554 ... not accepting "
			    "connections\" (see docs/milter.md)", sid(c));
		(void)mf_setreply(c, d->reply);
		return v == PG_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
	case PG_DISCARD:
		return SMFIS_DISCARD;
	default:
		(void)mf_setreply(c, reply_default(PG_TEMPFAIL));
		return SMFIS_TEMPFAIL;
	}
}

/* mf_fail - log a local failure at a stage and tempfail it */
static sfsistat
mf_fail(struct mf_conn *c, const char *what)
{
	log_warn("milter: session %s: %s", sid(c), what);
	if (c != NULL)
		(void)mf_setreply(c, reply_default(PG_TEMPFAIL));
	return SMFIS_TEMPFAIL;
}

/* mf_session_macros - session fields that only macros carry */
static void
mf_session_macros(struct mf_conn *c)
{
	const char *m;

	if ((m = smfi_getsymval(c->ctx, "{auth_authen}")) != NULL && *m)
		session_set_auth(c->s, m);
	if ((m = smfi_getsymval(c->ctx, "{tls_version}")) != NULL && *m)
		session_set_tls(c->s, m);
}

/* mf_set_id - the queue id, once the MTA has one ({i}) */
static void
mf_set_id(struct mf_conn *c)
{
	const char *m;

	if (c->tx != NULL && tx_id(c->tx) == NULL &&
	    (m = smfi_getsymval(c->ctx, "i")) != NULL && *m)
		tx_set_id(c->tx, m);
}

/* mf_end_header - end the message header once (SMFIP_NOEOH may skip eoh) */
static int
mf_end_header(struct mf_conn *c)
{
	if (c->eoh_done)
		return 0;
	c->eoh_done = 1;
	return msg_end_header(tx_msg(c->tx));
}

static sfsistat
mf_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct mf_conn *c = mf_get(ctx);
	struct milter_wants w;
	const struct config *cfg;
	unsigned long missing;
	size_t i;

	if (c != NULL) {
		smfi_setpriv(ctx, NULL);
		mf_conn_free(c);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("milter: negotiation");
		return SMFIS_REJECT;	/* libmilter drops the connection */
	}
	c->ctx = ctx;
	if ((c->chain = serve_chain_acquire()) == NULL) {
		log_warnx("milter: no chain to run (stopping?): connection "
		    "refused");
		free(c);
		return SMFIS_REJECT;
	}
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
	missing = milter_util_flags(&w, f0, f1, &c->act, &c->prot);
	if (missing != 0)
		log_warnx("milter: the MTA does not offer the actions 0x%lx "
		    "that the chain may take; a message that needs one is "
		    "deferred", missing);
	*pf0 = c->act;
	*pf1 = c->prot;
	*pf2 = 0;
	*pf3 = 0;
	(void)f2;
	(void)f3;
	if (c->act & SMFIF_SETSYMLIST)
		for (i = 0; i < sizeof(mf_symwhere) / sizeof(mf_symwhere[0]); i++)
			if (smfi_setsymlist(ctx, mf_symwhere[i],
			    (char *)mf_symlist[i][1]) != MI_SUCCESS)
				log_debug("milter: smfi_setsymlist(%s) failed",
				    mf_symlist[i][0]);
	smfi_setpriv(ctx, c);
	log_debug("milter: negotiated actions 0x%lx protocol 0x%lx (MTA "
	    "offered 0x%lx 0x%lx)", c->act, c->prot, f0, f1);
	return SMFIS_CONTINUE;
}

static sfsistat
mf_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	struct mf_conn *c = mf_get(ctx);
	struct decision d;
	char addr[INET6_ADDRSTRLEN + 1];
	const char *name, *m;
	enum pg_verdict v;
	int port = 0;

	if (c == NULL) {
		/* a new SMTP session on the same milter connection (QUIT_NC) */
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return mf_fail(NULL, "connect");
		c->ctx = ctx;
		if ((c->chain = serve_chain_acquire()) == NULL) {
			free(c);
			return mf_fail(NULL, "connect: no chain (stopping?)");
		}
		c->act = ~0UL;
		smfi_setpriv(ctx, c);
	}
	if (c->s != NULL) {
		tx_free(c->tx);
		c->tx = NULL;
		chain_close(c->s);
		session_free(c->s);
		c->s = NULL;
	}
	addr[0] = '\0';
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
		port = ntohs(in->sin_port);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], addr,
			    sizeof(addr));
		else
			inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
		port = ntohs(in6->sin6_port);
	}
	if (addr[0] == '\0' &&
	    (m = smfi_getsymval(ctx, "{client_addr}")) != NULL && *m &&
	    strlen(m) < sizeof(addr))
		strcpy(addr, m);
	if (addr[0] == '\0')
		strcpy(addr, "unknown");
	/* an MTA passes "[192.0.2.1]" when the address has no name */
	name = hostname != NULL && hostname[0] != '\0' && hostname[0] != '[' ?
	    hostname : "unknown";
	if ((c->s = session_new(c->chain, "milter", addr, port, name)) == NULL)
		return mf_fail(c, "connect: session");
	session_set_macro_fn(c->s, mf_macro, ctx);
	log_debug("milter: session %s: connect from %s [%s]:%d", sid(c),
	    esc(name), addr, port);
	memset(&d, 0, sizeof(d));
	v = chain_connect(c->s, &d);
	return mf_answer(c, CHAIN_CONNECT, SMFIP_NR_CONN, v, &d);
}

static sfsistat
mf_helo(SMFICTX *ctx, char *helo)
{
	struct mf_conn *c = mf_get(ctx);
	struct decision d;
	enum pg_verdict v;

	if (c == NULL || c->s == NULL)
		return SMFIS_CONTINUE;
	session_set_helo(c->s, helo ? helo : "");
	mf_session_macros(c);
	memset(&d, 0, sizeof(d));
	v = chain_helo(c->s, helo ? helo : "", &d);
	return mf_answer(c, CHAIN_HELO, SMFIP_NR_HELO, v, &d);
}

static sfsistat
mf_envfrom(SMFICTX *ctx, char **argv)
{
	struct mf_conn *c = mf_get(ctx);
	const struct config *cfg;
	struct msg_limits lim;
	struct decision d;
	enum pg_verdict v;
	char *args = NULL;
	size_t i, n = 0;

	if (c == NULL || c->s == NULL || argv == NULL || argv[0] == NULL)
		return SMFIS_CONTINUE;
	tx_free(c->tx);
	c->tx = NULL;
	c->eoh_done = 0;
	mf_session_macros(c);
	msg_limits_default(&lim);
	if ((cfg = chain_config(c->chain)) != NULL) {
		if (cfg->spool_memory_max > 0)
			lim.memory_max = (size_t)cfg->spool_memory_max;
		if (cfg->spool_dir != NULL)
			lim.spool_dir = cfg->spool_dir;
	}
	if ((c->tx = tx_new(c->s, &lim)) == NULL)
		return mf_fail(c, "mail: transaction");
	for (i = 1; argv[i] != NULL; i++)
		n += strlen(argv[i]) + 1;
	if (n > 0) {
		if ((args = malloc(n)) == NULL)
			return mf_fail(c, "mail: arguments");
		args[0] = '\0';
		for (i = 1; argv[i] != NULL; i++) {
			if (i > 1)
				strcat(args, " ");
			strcat(args, argv[i]);
		}
	}
	if (tx_set_sender(c->tx, argv[0], args) == -1) {
		free(args);
		log_warnx("milter: session %s: mail: sender %s not usable",
		    sid(c), esc(argv[0]));
		(void)mf_setreply(c, reply_default(PG_TEMPFAIL));
		return SMFIS_TEMPFAIL;
	}
	free(args);
	mf_set_id(c);
	memset(&d, 0, sizeof(d));
	v = chain_mail(c->tx, tx_sender(c->tx), &d);
	return mf_answer(c, CHAIN_MAIL, SMFIP_NR_MAIL, v, &d);
}

static sfsistat
mf_envrcpt(SMFICTX *ctx, char **argv)
{
	struct mf_conn *c = mf_get(ctx);
	struct decision d;
	enum pg_verdict v;
	char bare[1024];

	if (c == NULL || c->tx == NULL || argv == NULL || argv[0] == NULL)
		return SMFIS_CONTINUE;
	if (tx_addr_strip(argv[0], bare, sizeof(bare)) == -1 ||
	    bare[0] == '\0') {
		log_warnx("milter: session %s: rcpt: recipient %s not usable",
		    sid(c), esc(argv[0]));
		(void)mf_setreply(c, reply_default(PG_TEMPFAIL));
		return SMFIS_TEMPFAIL;
	}
	mf_set_id(c);
	memset(&d, 0, sizeof(d));
	v = chain_rcpt(c->tx, bare, &d);
	return mf_answer(c, CHAIN_RCPT, SMFIP_NR_RCPT, v, &d);
}

static sfsistat
mf_data(SMFICTX *ctx)
{
	struct mf_conn *c = mf_get(ctx);
	struct decision d;
	enum pg_verdict v;

	if (c == NULL || c->tx == NULL)
		return SMFIS_CONTINUE;
	mf_set_id(c);
	memset(&d, 0, sizeof(d));
	v = chain_data(c->tx, &d);
	return mf_answer(c, CHAIN_DATA, SMFIP_NR_DATA, v, &d);
}

static sfsistat
mf_header(SMFICTX *ctx, char *name, char *value)
{
	struct mf_conn *c = mf_get(ctx);
	struct decision d;
	enum pg_verdict v;
	char *val;

	if (c == NULL)
		return SMFIS_CONTINUE;
	if (c->tx == NULL || name == NULL)
		return nr(c, SMFIP_NR_HDR) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
	if ((val = milter_util_header_value(value ? value : "",
	    (c->prot & SMFIP_HDR_LEADSPC) != 0)) == NULL)
		return mf_fail(c, "header");
	if (msg_add_field(tx_msg(c->tx), name, val) == -1) {
		if (errno != EINVAL) {
			free(val);
			return mf_fail(c, "header: message");
		}
		log_debug("milter: session %s: header %s not kept: not a "
		    "valid field", sid(c), esc(name));
	}
	memset(&d, 0, sizeof(d));
	v = chain_header(c->tx, name, val, &d);
	free(val);
	return mf_answer(c, CHAIN_HEADER, SMFIP_NR_HDR, v, &d);
}

static sfsistat
mf_eoh(SMFICTX *ctx)
{
	struct mf_conn *c = mf_get(ctx);
	struct decision d;
	enum pg_verdict v;

	if (c == NULL || c->tx == NULL)
		return SMFIS_CONTINUE;
	if (mf_end_header(c) == -1)
		return mf_fail(c, "end of header");
	memset(&d, 0, sizeof(d));
	v = chain_eoh(c->tx, &d);
	return mf_answer(c, CHAIN_EOH, SMFIP_NR_EOH, v, &d);
}

static sfsistat
mf_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
	struct mf_conn *c = mf_get(ctx);

	if (c == NULL || c->tx == NULL)
		return SMFIS_CONTINUE;
	if (mf_end_header(c) == -1 ||
	    msg_body_write(tx_msg(c->tx), buf, len) == -1)
		return mf_fail(c, "body: spool");
	/* no filter will run on this message any more: the rest can go */
	if ((c->prot & SMFIP_SKIP) && (tx_accepted(c->tx) ||
	    tx_discarded(c->tx) || session_accepted(c->s)))
		return SMFIS_SKIP;
	if (nr(c, SMFIP_NR_BODY))
		return SMFIS_NOREPLY;
	return SMFIS_CONTINUE;
}

/* mf_replace_body - send the replaced body in chunks; MI_SUCCESS or MI_FAILURE */
static int
mf_replace_body(struct mf_conn *c)
{
	const struct msg *m = tx_msg(c->tx);
	unsigned char *buf;
	off_t off = 0;
	ssize_t n;
	int rc = MI_SUCCESS;

	if ((buf = malloc(MF_CHUNK)) == NULL)
		return MI_FAILURE;
	while ((n = msg_new_body_read(m, off, buf, MF_CHUNK)) > 0) {
		if ((rc = smfi_replacebody(c->ctx, buf, (int)n)) != MI_SUCCESS)
			break;
		off += n;
	}
	if (n < 0)
		rc = MI_FAILURE;
	else if (rc == MI_SUCCESS && off == 0)
		/* an empty body: libmilter sends one empty chunk */
		rc = smfi_replacebody(c->ctx, (unsigned char *)"", 0);
	free(buf);
	return rc;
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

/* mf_replay - apply the change list through libmilter; 0 or -1 (logged) */
static int
mf_replay(struct mf_conn *c)
{
	const struct msg *m = tx_msg(c->tx);
	size_t i, n = msg_change_count(m), last_body = (size_t)-1;
	int leadspc = (c->prot & SMFIP_HDR_LEADSPC) != 0;
	char addr[1040];

	for (i = 0; i < n; i++)
		if (msg_change_at(m, i)->kind == MSG_REPLACE_BODY)
			last_body = i;
	for (i = 0; i < n; i++) {
		const struct msg_change *ch = msg_change_at(m, i);
		char *name = (char *)ch->name, *v = NULL;
		const char *what = "?";
		int rc = MI_SUCCESS;

		if (ch->value != NULL && (ch->kind == MSG_ADD_HEADER ||
		    ch->kind == MSG_INSERT_HEADER ||
		    ch->kind == MSG_CHANGE_HEADER) &&
		    (v = milter_util_header_out(ch->value, leadspc)) == NULL) {
			log_warn("milter: session %s: changes", sid(c));
			return -1;
		}
		if (ch->index > 0x7fffffff) {
			free(v);
			log_warnx("milter: session %s: header index %zu out of "
			    "range", sid(c), ch->index);
			return -1;
		}
		switch (ch->kind) {
		case MSG_ADD_HEADER:
			what = "add header";
			rc = smfi_addheader(c->ctx, name, v);
			break;
		case MSG_INSERT_HEADER:
			what = "insert header";
			rc = smfi_insheader(c->ctx, (int)ch->index, name, v);
			break;
		case MSG_CHANGE_HEADER:
			what = "change header";
			rc = smfi_chgheader(c->ctx, name, (int)ch->index, v);
			break;
		case MSG_DELETE_HEADER:
			what = "delete header";
			rc = smfi_chgheader(c->ctx, name, (int)ch->index, NULL);
			break;
		case MSG_ADD_RCPT:
			what = "add recipient";
			rc = smfi_addrcpt(c->ctx,
			    (char *)bracket(ch->addr, addr, sizeof(addr)));
			break;
		case MSG_DEL_RCPT:
			what = "delete recipient";
			rc = smfi_delrcpt(c->ctx,
			    (char *)bracket(ch->addr, addr, sizeof(addr)));
			break;
		case MSG_CHANGE_SENDER:
			what = "change sender";
			rc = smfi_chgfrom(c->ctx,
			    (char *)bracket(ch->addr, addr, sizeof(addr)),
			    (char *)ch->value);
			break;
		case MSG_REPLACE_BODY:
			what = "replace body";
			/* the msg keeps one new body: send it once */
			if (i == last_body)
				rc = mf_replace_body(c);
			break;
		case MSG_QUARANTINE:
			what = "quarantine";
			rc = smfi_quarantine(c->ctx, (char *)(ch->value &&
			    *ch->value ? ch->value : "phasegate"));
			break;
		}
		free(v);
		if (rc != MI_SUCCESS) {
			log_warnx("milter: session %s: %s (by %s) refused by "
			    "libmilter (action not negotiated with the MTA, or "
			    "the connection failed): message deferred", sid(c),
			    what, ch->filter ? esc(ch->filter) : "?");
			return -1;
		}
	}
	return 0;
}

static sfsistat
mf_eom(SMFICTX *ctx)
{
	struct mf_conn *c = mf_get(ctx);
	struct decision d;
	enum pg_verdict v;
	sfsistat r;

	if (c == NULL || c->tx == NULL)
		return SMFIS_CONTINUE;
	if (mf_end_header(c) == -1)
		return mf_fail(c, "end of message");
	mf_set_id(c);
	memset(&d, 0, sizeof(d));
	v = chain_eom(c->tx, &d);
	if ((v == PG_CONTINUE || v == PG_ACCEPT) && mf_replay(c) == -1) {
		v = PG_TEMPFAIL;
		snprintf(d.reply, sizeof(d.reply), "%s",
		    reply_default(PG_TEMPFAIL));
	}
	r = mf_answer(c, CHAIN_EOM, 0, v, &d);
	tx_free(c->tx);
	c->tx = NULL;
	c->eoh_done = 0;
	return r;
}

static sfsistat
mf_abort(SMFICTX *ctx)
{
	struct mf_conn *c = mf_get(ctx);

	if (c != NULL) {
		tx_free(c->tx);
		c->tx = NULL;
		c->eoh_done = 0;
	}
	return SMFIS_CONTINUE;
}

static sfsistat
mf_close(SMFICTX *ctx)
{
	struct mf_conn *c = mf_get(ctx);

	smfi_setpriv(ctx, NULL);
	mf_conn_free(c);
	return SMFIS_CONTINUE;
}

static sfsistat
mf_unknown(SMFICTX *ctx, const char *cmd)
{
	/* negotiated away (SMFIP_NOUNKNOWN): the chain has no such phase */
	(void)ctx;
	(void)cmd;
	return SMFIS_CONTINUE;
}

/* mf_main - the listener thread */
static void *
mf_main(void *arg)
{
	sigset_t set;
	int r;

	(void)arg;
	/* this thread and every thread libmilter starts from it: no signals */
	sigfillset(&set);
	sigdelset(&set, SIGSEGV);
	sigdelset(&set, SIGBUS);
	sigdelset(&set, SIGFPE);
	sigdelset(&set, SIGILL);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (mf_listener != NULL)
		r = mf_listener(mf_spec, 0, &mf_desc, MF_TIMEOUT, MF_BACKLOG);
	else
		r = smfi_main();
	atomic_store(&mf_done, 1);
	if (!atomic_load(&mf_stopping))
		log_warnx("milter: the listener on %s stopped (%s): the MTA "
		    "now applies its milter_default_action", mf_spec,
		    r == MI_SUCCESS ? "told to stop" : "libmilter failure");
	return NULL;
}

/* mf_connect_to - connect to the listen socket (to wake the listener); fd or -1 */
static int
mf_connect_to(void)
{
	struct addrinfo hints, *res = NULL, *ai;
	const char *host = mf_listen.host;
	int fd = -1;

	if (mf_listen.family == AF_UNIX) {
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
		    mf_listen.path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
			close(fd);
			return -1;
		}
		return fd;
	}
	if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0)
		host = mf_listen.family == AF_INET6 ? "::1" : "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "::1";
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = mf_listen.family;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, mf_listen.port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, SOCK_STREAM, 0)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* mf_bind_error - why the socket could not be opened, found by trying */
static void
mf_bind_error(char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	int fd, on = 1, e;

	if (mf_listen.family == AF_UNIX) {
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
		    mf_listen.path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd != -1 && bind(fd, (struct sockaddr *)&sun,
		    sizeof(sun)) == -1) {
			snprintf(err, errlen, "milter listen \"%s\": cannot "
			    "bind: %s", mf_spec, strerror(errno));
			close(fd);
			return;
		}
		if (fd != -1) {
			close(fd);
			unlink(mf_listen.path);
		}
	} else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = mf_listen.family;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE;
		e = getaddrinfo(mf_listen.host[0] ? mf_listen.host : NULL,
		    mf_listen.port, &hints, &res);
		if (e != 0) {
			snprintf(err, errlen, "milter listen \"%s\": %s",
			    mf_spec, gai_strerror(e));
			return;
		}
		fd = socket(res->ai_family, SOCK_STREAM, 0);
		if (fd != -1) {
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
			if (bind(fd, res->ai_addr, res->ai_addrlen) == -1) {
				snprintf(err, errlen, "milter listen \"%s\": "
				    "cannot bind: %s", mf_spec, strerror(errno));
				close(fd);
				freeaddrinfo(res);
				return;
			}
			close(fd);
		}
		freeaddrinfo(res);
	}
	snprintf(err, errlen, "milter listen \"%s\": libmilter could not open "
	    "the socket", mf_spec);
}

/* mf_unix_check - refuse a unix socket that another process listens on */
static int
mf_unix_check(char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (stat(mf_listen.path, &st) == -1)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "milter listen \"%s\": %s exists and is "
		    "not a socket", mf_spec, mf_listen.path);
		return -1;
	}
	if ((fd = mf_connect_to()) != -1) {
		close(fd);
		snprintf(err, errlen, "milter listen \"%s\": socket in use by "
		    "another process", mf_spec);
		return -1;
	}
	return 0;	/* stale: libmilter removes it */
}


/*
 * mf_nodelay - set TCP_NODELAY on libmilter's listening socket (accepted
 * sockets inherit it on Linux and the BSDs). At end of message a filter
 * writes several small packets (each change, then the verdict); with Nagle
 * the second waits for the MTA's delayed ACK, about 40 ms per message.
 * libmilter does not hand out its descriptor, so it is found by its
 * address among ours. Returns 0, or -1 when not found (logged).
 */
static int
mf_nodelay(void)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t len;
	DIR *d;
	struct dirent *de;
	int want_port = -1, on = 1, found = -1, fd, acc;

	if (mf_listen.family == AF_UNIX)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = mf_listen.family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (getaddrinfo(NULL, mf_listen.port, &hints, &res) == 0 && res != NULL) {
		if (res->ai_family == AF_INET)
			want_port = ntohs(((struct sockaddr_in *)(void *)res->ai_addr)->sin_port);
		else if (res->ai_family == AF_INET6)
			want_port = ntohs(((struct sockaddr_in6 *)(void *)res->ai_addr)->sin6_port);
		freeaddrinfo(res);
	}
	if (want_port < 0 || (d = opendir("/proc/self/fd")) == NULL)
		goto out;
	while (found == -1 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = atoi(de->d_name);
		len = sizeof(acc);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == -1 ||
		    !acc)
			continue;
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
			continue;
		if ((ss.ss_family == AF_INET && ntohs(((struct sockaddr_in *)
		    (void *)&ss)->sin_port) == want_port) ||
		    (ss.ss_family == AF_INET6 && ntohs(((struct sockaddr_in6 *)
		    (void *)&ss)->sin6_port) == want_port))
			if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
			    sizeof(on)) == 0)
				found = fd;
	}
	closedir(d);
out:
	if (found == -1) {
		log_warnx("milter: could not set TCP_NODELAY on the listening "
		    "socket: end of message may wait for delayed ACKs");
		return -1;
	}
	return 0;
}

int
milter_front_start(const struct config *cfg, char *err, size_t errlen)
{
	void *sym;
	int e;

	if (cfg == NULL || cfg->milter_listen == NULL)
		return 0;
	if (mf_started) {
		snprintf(err, errlen, "milter: the front end runs already (one "
		    "per process)");
		return -1;
	}
	if (milter_util_listen_parse(cfg->milter_listen, &mf_listen, err,
	    errlen) == -1)
		return -1;
	free(mf_spec);
	if ((mf_spec = strdup(cfg->milter_listen)) == NULL) {
		snprintf(err, errlen, "milter: %s", strerror(errno));
		return -1;
	}
	if (mf_listen.family == AF_UNIX && mf_unix_check(err, errlen) == -1)
		return -1;

	memset(&mf_desc, 0, sizeof(mf_desc));
	mf_desc.xxfi_name = "phasegate";
	mf_desc.xxfi_version = SMFI_VERSION;
	mf_desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT |
	    SMFIF_DELRCPT | SMFIF_CHGFROM | SMFIF_CHGBODY | SMFIF_QUARANTINE |
	    SMFIF_SETSYMLIST;
	mf_desc.xxfi_connect = mf_connect;
	mf_desc.xxfi_helo = mf_helo;
	mf_desc.xxfi_envfrom = mf_envfrom;
	mf_desc.xxfi_envrcpt = mf_envrcpt;
	mf_desc.xxfi_header = mf_header;
	mf_desc.xxfi_eoh = mf_eoh;
	mf_desc.xxfi_body = mf_body;
	mf_desc.xxfi_eom = mf_eom;
	mf_desc.xxfi_abort = mf_abort;
	mf_desc.xxfi_close = mf_close;
	mf_desc.xxfi_unknown = mf_unknown;
	mf_desc.xxfi_data = mf_data;
	mf_desc.xxfi_negotiate = mf_negotiate;

	if (smfi_register(mf_desc) == MI_FAILURE) {
		snprintf(err, errlen, "milter: smfi_register failed (libmilter "
		    "version mismatch?)");
		return -1;
	}
	if (smfi_setconn(mf_spec) == MI_FAILURE) {
		snprintf(err, errlen, "milter listen \"%s\": smfi_setconn "
		    "failed", mf_spec);
		return -1;
	}
	(void)smfi_setbacklog(MF_BACKLOG);
	(void)smfi_settimeout(MF_TIMEOUT);
	if (smfi_opensocket(true) == MI_FAILURE) {
		mf_bind_error(err, errlen);
		return -1;
	}
	(void)mf_nodelay();

	sym = dlsym(RTLD_DEFAULT, "mi_listener");
	memcpy(&mf_listener, &sym, sizeof(mf_listener));
	if (mf_listener == NULL)
		log_warnx("milter: libmilter has no mi_listener(): running "
		    "smfi_main(), whose own signal thread may take SIGHUP, "
		    "SIGTERM or SIGINT and stop the milter listener");
	signal(SIGPIPE, SIG_IGN);
	atomic_store(&mf_stopping, 0);
	atomic_store(&mf_done, 0);
	if ((e = pthread_create(&mf_thread, NULL, mf_main, NULL)) != 0) {
		snprintf(err, errlen, "milter: thread: %s", strerror(e));
		return -1;
	}
	mf_started = 1;
	log_info("milter: listening on %s", mf_spec);
	return 0;
}

/* mf_stopper - smfi_stop() may wait for the listener's poll(): own thread */
static void *
mf_stopper(void *arg)
{
	(void)arg;
	smfi_stop();
	return NULL;
}

void
milter_front_stop(void)
{
	pthread_t t;
	int have_t, i, fd;

	if (!mf_started)
		return;
	atomic_store(&mf_stopping, 1);
	have_t = pthread_create(&t, NULL, mf_stopper, NULL) == 0;
	if (!have_t)
		smfi_stop();
	/*
	 * libmilter's listener checks for the stop only when its poll()
	 * returns, every 5 seconds; a connection wakes it at once.
	 */
	for (i = 0; i < 500 && !atomic_load(&mf_done); i++) {
		if ((fd = mf_connect_to()) != -1)
			close(fd);
		usleep(10000);
	}
	pthread_join(mf_thread, NULL);
	if (have_t)
		pthread_join(t, NULL);
	mf_started = 0;
	log_info("milter: stopped listening on %s", mf_spec);
}
