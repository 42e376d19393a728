/*
 * proxy_session - one SMTP proxy client session (proxy_session.h)
 *
 * Public: proxy_session_run().
 *
 * The session runs in its own fiber (listen.h); its code reads like
 * blocking I/O, but a wait for the client or the upstream parks the fiber
 * (conn.h) and the worker threads go on with other sessions. Per session:
 * the client's connection (a 16 KiB input buffer, an 8 KiB reply buffer),
 * a command parser (smtp_cmd), a DATA decoder (smtp_data) while a message
 * comes, and one upstream connection (proxy_upstream).
 *
 * Each command's phase goes through the session's run (run.h), which
 * records the HELO name, the envelope and the transaction's limits and
 * asks the filters; this file moves the bytes and turns a refusing
 * decision into the client's reply (refuse()). What only a proxy does
 * stays here: RCPT goes upstream once the run passes it and leaves the
 * transaction again when the upstream refuses it (run_rcpt_drop()); a
 * discarded transaction is answered here and goes nowhere.
 *
 * The client's bytes are untrusted: every limit is enforced by the codecs
 * (command line length, message size) or here (recipients, hops). The
 * client gets 250 for end of data only after the upstream's 250 for that
 * message; an upstream failure ends the session with 421 (the client keeps
 * the message). Replies to pipelined commands are collected and sent when
 * the input holds no further complete command (RFC 2920).
 *
 * Stopping: both connections obey the listener's stop. Between commands
 * (nothing of a command buffered) the client's wait ends at once and the
 * client gets 421 4.3.2; a command or message in progress may go on for
 * the grace period. The upstream connection obeys the same stop (never as
 * idle): a delivery still running at the end of the grace is cut before
 * its final dot, so the upstream drops the message and the client gets
 * 421 and keeps it, rather than holding the daemon's exit for the
 * upstream's timeout.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain.h"
#include "clock.h"
#include "config.h"
#include "gen.h"
#include "listen.h"
#include "log.h"
#include "msg.h"
#include "proxy_auth.h"
#include "proxy_deliver.h"
#include "proxy_ehlo.h"
#include "proxy_ident.h"
#include "proxy_limits.h"
#include "proxy_session.h"
#include "proxy_tls.h"
#include "proxy_upstream.h"
#include "run.h"
#include "session.h"
#include "smtp_cmd.h"
#include "smtp_data.h"
#include "smtp_reply.h"
#include "tx.h"

#define PS_INBUF	(16 * 1024)	/* the client's input buffer */
#define PS_OUTBUF	(8 * 1024)	/* replies */
#define PS_EBUF		(32 * 1024)	/* DATA: encoder output */

struct psess {
	const struct proxy_session_conf *pc;
	const struct conn_stop	*stop;
	struct conn		*c;		/* the client */
	char			 addr[64];
	int			 port;		/* 0: none (a unix socket) */
	char			 name[256];
	char			 id[32];
	struct run		*run;		/* the session's run: session and tx */
	struct proxy_upstream	*up;
	struct smtp_cmd_parser	*cp;
	int			 close;		/* end the session after flushing */
	int			 wfail;		/* a write to the client failed: no more */
	int			 helo;		/* 0 none, 1 HELO, 2 EHLO */
	int			 xclient_done;
	struct proxy_ident	 ident;		/* PROXY header, XFORWARD (proxy_ident.h) */
	struct proxy_auth	 auth;		/* AUTH relay (proxy_auth.h) */
	uint64_t		 since;		/* the last command ended (listen_session_wait()) */
	uint64_t		 idle_dl;	/* the idle deadline since the last command (0: none yet) */
	uint64_t		 line_dl;	/* the deadline of the command line begun (0: none) */
	int			 code;		/* of the last reply queued */
	unsigned		 errors, junk;	/* hard_error_limit, junk_command_limit */
	/* the transaction (run_tx()) */
	int			 discard;	/* answered locally, delivered nowhere */
	int			 up_mail;	/* the upstream has MAIL open */
	char			**rcpts;	/* accepted by the upstream */
	size_t			 nrcpts;
	char			*mail_params;
	char			*dbuf;		/* DATA: decoder output (PS_INBUF + 16) */
	char			*ebuf;		/* DATA: encoder output (PS_EBUF) */
};

/* out_deadline - the deadline of a write to the client */
static uint64_t
out_deadline(const struct psess *ps)
{
	return clock_deadline(ps->pc->cfg->timeout_command_ms);
}

/* out_add - queue bytes for the client; a failure ends the session */
static void
out_add(struct psess *ps, const char *p, size_t n)
{
	if (!ps->wfail && conn_write(ps->c, p, n, out_deadline(ps)) != CONN_OK)
		ps->wfail = ps->close = 1;
}

/*
 * out_flush - send the queued replies; 0, or -1 when the client is gone,
 * stalled or the grace ended (once: later calls return -1 at once)
 */
static int
out_flush(struct psess *ps)
{
	if (!ps->wfail && conn_flush(ps->c, out_deadline(ps)) != CONN_OK)
		ps->wfail = 1;
	return ps->wfail ? -1 : 0;
}

/* reply - queue a reply line (CRLF added) */
static void
reply(struct psess *ps, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static void
reply(struct psess *ps, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 3)
		n = (int)sizeof(buf) - 3;
	memcpy(buf + n, "\r\n", 2);
	out_add(ps, buf, (size_t)n + 2);
	ps->code = atoi(buf);
}

/* refuse - queue the reply of a refusing decision; 1 when it refused */
static int
refuse(struct psess *ps, const struct decision *d)
{
	const char *r = decision_reply(d);

	if (r == NULL)
		return 0;
	ps->code = atoi(r);
	out_add(ps, r, strlen(r));
	out_add(ps, "\r\n", 2);
	return 1;
}

/* relay - queue the upstream's reply as it is */
static void
relay(struct psess *ps, const struct smtp_reply *r)
{
	out_add(ps, r->text, r->len);
	ps->code = r->code;
}

/* up_lost - the upstream failed: tell the client and end the session */
static void
up_lost(struct psess *ps, const char *when)
{
	log_warnx("session %s: upstream %s %s: %s", ps->id, ps->pc->sc->upstream,
	    when, ps->up ? proxy_upstream_error(ps->up) : "not connected");
	reply(ps, "421 4.4.2 %s Error: lost connection to the upstream server",
	    ps->pc->hostname);
	ps->close = 1;
}

/*
 * expired - a client's deadline passed (what: "idle", "command", "DATA"):
 * 421 4.4.2 queued, logged once with the client; the caller ends the
 * session
 */
static void
expired(struct psess *ps, const char *what, uint64_t ms)
{
	log_info("session %s: client %s [%s]: %s timeout (%llu ms): 421 "
	    "sent, closing", ps->id, proxy_ident_name(&ps->ident), ps->addr,
	    what, (unsigned long long)ms);
	reply(ps, "421 4.4.2 %s Error: timeout exceeded", ps->pc->hostname);
}

/*
 * stopped - a wait for the client ended with CONN_STOPPING: the daemon
 * stops, or the listener, near full, ended this session, the one that
 * waited longest for its client (421 either way)
 */
static void
stopped(struct psess *ps)
{
	if (listen_session_evicted(ps->stop)) {
		log_info("session %s: client %s [%s]: waited %llu ms for the "
		    "client with the listener near max_sessions: 421 sent, "
		    "closing", ps->id, proxy_ident_name(&ps->ident), ps->addr,
		    (unsigned long long)(clock_ms() - ps->since));
		reply(ps, "421 4.3.2 %s Error: too many sessions, idle "
		    "session closed", ps->pc->hostname);
	} else
		reply(ps, "421 4.3.2 %s Service shutting down",
		    ps->pc->hostname);
}

/* drop_tx - forget the transaction on our side */
static void
drop_tx(struct psess *ps)
{
	size_t i;

	if (ps->run != NULL)
		run_tx_end(ps->run);
	for (i = 0; i < ps->nrcpts; i++)
		free(ps->rcpts[i]);
	free(ps->rcpts);
	ps->rcpts = NULL;
	ps->nrcpts = 0;
	free(ps->mail_params);
	ps->mail_params = NULL;
	ps->discard = 0;
}

/* up_rset - end the upstream's transaction; -1 when the upstream is gone */
static int
up_rset(struct psess *ps)
{
	struct smtp_reply r;

	if (!ps->up_mail || ps->up == NULL)
		return 0;
	ps->up_mail = 0;
	if (proxy_upstream_cmd(ps->up, "RSET", 4, &r) < 0) {
		up_lost(ps, "at RSET");
		return -1;
	}
	return 0;
}

/* refused - a connect/HELO refusal answers every command but a few */
static int
refused(struct psess *ps, enum smtp_cmd_verb v)
{
	const struct decision *d = run_refusal(ps->run);

	if (d == NULL || v == SMTP_VERB_QUIT || v == SMTP_VERB_NOOP ||
	    v == SMTP_VERB_RSET)
		return 0;
	return refuse(ps, d);
}

/* do_helo - HELO/EHLO */
static void
do_helo(struct psess *ps, const struct smtp_cmd *cmd)
{
	struct proxy_ehlo_client cl = { ps->addr, ps->port,
	    proxy_ident_name(&ps->ident) };
	const char *ext[4] = { NULL };
	char abuf[256];
	struct proxy_ehlo e;
	struct decision d;
	struct smtp_reply r;
	int rc;

	if (proxy_ident_defer_helo(&ps->ident, cmd->arg))
		decision_clear(&d);	/* an XFORWARD client's: the phase waits for MAIL */
	else
		(void)run_helo(ps->run, cmd->arg, &d);
	if (refuse(ps, &d))
		return;
	/* a new EHLO resets the transaction on both sides */
	drop_tx(ps);
	ps->up_mail = 0;
	memset(&e, 0, sizeof(e));
	e.id = ps->id;
	e.helo = cmd->arg;
	e.esmtp = cmd->verb == SMTP_VERB_EHLO;
	e.xclient = ps->pc->sc->xclient && !ps->ident.pending ? &cl : NULL;
	e.xclient_done = ps->xclient_done;
	e.xclient_required = ps->pc->sc->xclient == CONFIG_XCLIENT_REQUIRED;
	e.gen = ps->ident.gen;
	if ((rc = proxy_ehlo_upstream(ps->up, &e, &r)) == PROXY_EHLO_NO_XCLIENT) {
		reply(ps, "421 4.7.0 %s Error: the upstream server does not "
		    "accept XCLIENT", ps->pc->hostname);
		ps->close = 1;
		return;
	}
	if (rc < 0) {
		up_lost(ps, e.when);
		return;
	}
	proxy_ident_upstream_ehlo(&ps->ident, ps->up, &r);
	ps->xclient_done = e.xclient_done;
	if (r.code / 100 != 2) {
		relay(ps, &r);
		return;
	}
	ps->helo = e.esmtp ? 2 : 1;
	/* our own keywords: XFORWARD, STARTTLS, AUTH (as the upstream offers it) */
	rc = (ext[0] = proxy_ident_ehlo_extra(&ps->ident)) != NULL;
	if (ps->pc->tls != NULL && session_tls(run_session(ps->run)) == NULL)
		ext[rc++] = "STARTTLS";
	ext[rc] = proxy_auth_ehlo(&ps->auth, ps->pc->sc, session_tls(
	    run_session(ps->run)) != NULL, ps->addr, ps->up, &r, abuf,
	    sizeof(abuf));
	if (!ps->wfail && proxy_ehlo_reply(ps->c, out_deadline(ps), ps->up, &r,
	    !e.esmtp, ps->pc->sc->max_message_size, ext) != CONN_OK)
		ps->wfail = ps->close = 1;
}

/* do_mail - MAIL FROM */
static void
do_mail(struct psess *ps, const struct smtp_cmd *cmd)
{
	const struct config_smtp *sc = ps->pc->sc;
	struct decision d;
	struct smtp_reply r;

	if (!ps->helo) {
		reply(ps, "503 5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (run_tx(ps->run) != NULL) {
		reply(ps, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (cmd->has_size && sc->max_message_size &&
	    cmd->size > sc->max_message_size) {
		reply(ps, "552 5.3.4 Message size exceeds fixed limit");
		return;
	}
	/* an XFORWARD client's connect and HELO phases, with the real client */
	if (proxy_ident_phases(&ps->ident, ps->run, ps->up, ps->addr,
	    sizeof(ps->addr), &ps->port, ps->name, sizeof(ps->name), &d) &&
	    refuse(ps, &d)) {
		ps->close = ps->ident.failed;
		return;
	}
	(void)run_mail(ps->run, cmd->addr, cmd->params, &d);
	if (refuse(ps, &d)) {
		drop_tx(ps);
		return;
	}
	ps->mail_params = strdup(cmd->params);
	if (run_discarded(ps->run)) {
		ps->discard = 1;
		reply(ps, "250 2.1.0 Ok");
		return;
	}
	if (proxy_upstream_cmd(ps->up, cmd->line, cmd->len, &r) < 0) {
		up_lost(ps, "at MAIL");
		return;
	}
	if (r.code / 100 == 2)
		ps->up_mail = 1;
	else
		drop_tx(ps);
	relay(ps, &r);
}

/* do_rcpt - RCPT TO */
static void
do_rcpt(struct psess *ps, const struct smtp_cmd *cmd)
{
	struct decision d;
	struct smtp_reply r;

	if (run_tx(ps->run) == NULL) {
		reply(ps, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (ps->pc->sc->max_recipients &&
	    ps->nrcpts >= ps->pc->sc->max_recipients) {
		reply(ps, "452 4.5.3 Error: too many recipients");
		return;
	}
	(void)run_rcpt(ps->run, cmd->addr, &d);
	if (refuse(ps, &d))
		return;
	if (run_discarded(ps->run))
		ps->discard = 1;
	if (ps->discard) {
		if (up_rset(ps) < 0)
			return;
		if (proxy_deliver_rcpt_add(&ps->rcpts, &ps->nrcpts, cmd->addr,
		    cmd->params) < 0) {
			reply(ps, "452 4.3.0 Error: insufficient system resources");
			return;
		}
		reply(ps, "250 2.1.5 Ok");
		return;
	}
	if (proxy_upstream_cmd(ps->up, cmd->line, cmd->len, &r) < 0) {
		up_lost(ps, "at RCPT");
		return;
	}
	/*
	 * The run has added the recipient to the tx already; one the
	 * upstream refuses leaves it again, so filters at end of data see
	 * only the recipients the message goes to.
	 */
	if (r.code / 100 != 2)
		(void)run_rcpt_drop(ps->run, cmd->addr);
	else if (proxy_deliver_rcpt_add(&ps->rcpts, &ps->nrcpts, cmd->addr,
		    cmd->params) < 0) {
		reply(ps, "452 4.3.0 Error: insufficient system resources");
		return;
	}
	relay(ps, &r);
}

/* deliver - the chain let the message pass: send it upstream, answer */
static void
deliver(struct psess *ps)
{
	const struct config_smtp *sc = ps->pc->sc;
	struct proxy_deliver d;
	struct smtp_reply r;

	if (ps->ebuf == NULL && (ps->ebuf = malloc(PS_EBUF)) == NULL) {
		/* cannot send the message: the upstream must not take a half one */
		up_lost(ps, "out of memory");
		return;
	}
	memset(&d, 0, sizeof(d));
	d.id = ps->id;
	d.up = ps->up;
	d.run = ps->run;
	d.rcpts = ps->rcpts;
	d.nrcpts = ps->nrcpts;
	d.mail_params = ps->mail_params;
	d.received = sc->received && !ps->xclient_done && !ps->ident.xclient_done;
	d.hostname = ps->pc->hostname;
	d.client_addr = ps->addr;
	d.client_name = proxy_ident_name(&ps->ident);
	d.esmtp = ps->helo == 2;
	d.buf = ps->ebuf;
	d.buflen = PS_EBUF;
	switch (proxy_deliver(&d, &r)) {
	case PROXY_DELIVER_DONE:
		ps->up_mail = 0;
		relay(ps, &r);
		break;
	case PROXY_DELIVER_REFUSED:
		relay(ps, &r);
		(void)up_rset(ps);
		break;
	case PROXY_DELIVER_DROPPED:
		reply(ps, "250 2.0.0 Ok: no recipient left, message dropped");
		(void)up_rset(ps);
		break;
	case PROXY_DELIVER_LOST:
		/*
		 * The upstream may hold part of the message: closing the
		 * connection without the final dot makes it drop it; the
		 * client gets 421.
		 */
		up_lost(ps, d.when);
		break;
	}
}

/*
 * data_receive - the message after 354, into the transaction's msg until
 * the final dot; 0, or -1 when the session ends (the client left, stalled
 * or the daemon stops: replied, and nothing goes upstream). *werr gets a
 * spool error (the rest of the message is read and dropped).
 */
static int
data_receive(struct psess *ps, struct smtp_data_decoder *dec, int *werr)
{
	struct msg *m = tx_msg(run_tx(ps->run));
	enum smtp_data_status st = SMTP_DATA_MORE;
	enum conn_status cs;
	const char *in;
	size_t n, used, olen;
	uint64_t start = clock_ms(), got = 0;

	for (;;) {
		in = conn_data(ps->c, &n);
		while (n > 0) {
			st = smtp_data_decode(dec, in, n, &used, ps->dbuf,
			    PS_INBUF + 16, &olen);
			conn_consume(ps->c, used);
			in += used;
			n -= used;
			got += used;
			if (olen > 0 && !*werr && msg_write(m, ps->dbuf, olen) < 0)
				*werr = errno ? errno : EIO;
			if (st == SMTP_DATA_END)
				return 0;
		}
		/* a client that keeps up with data_rate_min is not "waiting" */
		listen_session_wait(ps->stop, proxy_limits_data_since(ps->pc->cfg,
		    start, got));
		cs = conn_fill(ps->c, proxy_limits_data_deadline(ps->pc->cfg, start,
		    got), 0);
		listen_session_wait(ps->stop, 0);
		if (cs == CONN_OK)
			continue;
		if (cs == CONN_TIMEOUT)
			expired(ps, "DATA", clock_ms() - start);
		else if (cs == CONN_STOPPING)
			stopped(ps);
		ps->close = 1;
		return -1;
	}
}

/* data_refused - a received message the proxy refuses itself; 1 when it did */
static int
data_refused(struct psess *ps, unsigned flags, int werr)
{
	const char *text;

	if (flags & SMTP_DATA_F_BARENL)
		text = "550 5.5.2 Error: bare <CR> or <LF> received";
	else if (flags & SMTP_DATA_F_TOOBIG)
		text = "552 5.3.4 Error: message file too big";
	else if (werr) {
		log_warnx("session %s: spooling the message: %s", ps->id,
		    strerror(werr));
		text = "451 4.3.0 Error: queue file write error";
	} else if (ps->pc->sc->max_hops &&
	    proxy_limits_hops(tx_msg(run_tx(ps->run))) > ps->pc->sc->max_hops)
		text = "554 5.4.6 Error: too many hops (mail loop)";
	else
		return 0;
	run_refused(ps->run, text);
	reply(ps, "%s", text);
	return 1;
}

/* data_begin - DATA's checks and phase, then 354; the decoder, or NULL (replied) */
static struct smtp_data_decoder *
data_begin(struct psess *ps)
{
	const struct config_smtp *sc = ps->pc->sc;
	struct smtp_data_limits dl;
	struct smtp_data_decoder *dec;
	struct decision d;

	if (run_tx(ps->run) == NULL) {
		reply(ps, "503 5.5.1 Error: need RCPT command");
		return NULL;
	}
	if (ps->nrcpts == 0) {
		reply(ps, "554 5.5.1 Error: no valid recipients");
		return NULL;
	}
	(void)run_data(ps->run, &d);
	if (refuse(ps, &d))
		return NULL;
	if (run_discarded(ps->run))
		ps->discard = 1;
	dl.max_size = sc->max_message_size;
	dl.normalize_lf = sc->bare_newline == CONFIG_BARE_NL_NORMALIZE;
	if ((ps->dbuf == NULL && (ps->dbuf = malloc(PS_INBUF + 16)) == NULL) ||
	    (dec = smtp_data_decoder_new(&dl)) == NULL) {
		reply(ps, "451 4.3.0 Error: insufficient system resources");
		return NULL;
	}
	reply(ps, "354 End data with <CR><LF>.<CR><LF>");
	if (out_flush(ps) == -1) {
		ps->close = 1;
		smtp_data_decoder_free(dec);
		return NULL;
	}
	return dec;
}

/* do_data - DATA: take the message, run the chain, relay */
static void
do_data(struct psess *ps)
{
	struct smtp_data_decoder *dec;
	struct decision d;
	unsigned flags;
	int werr = 0;

	if ((dec = data_begin(ps)) == NULL)
		return;
	if (data_receive(ps, dec, &werr) == -1) {
		smtp_data_decoder_free(dec);
		return;
	}
	flags = smtp_data_flags(dec);
	smtp_data_decoder_free(dec);
	if (!werr && msg_write_end(tx_msg(run_tx(ps->run))) < 0)
		werr = errno ? errno : EIO;
	if (data_refused(ps, flags, werr))
		goto refused;
	(void)run_headers(ps->run, &d);
	if (!decision_refuses(&d))
		(void)run_eom(ps->run, &d);
	if (refuse(ps, &d))
		goto refused;
	if (ps->discard || run_discarded(ps->run)) {
		/* the message's summary line (msglog.h) says it at info */
		log_debug("session %s: message discarded by %s", ps->id,
		    d.by[0] ? d.by : "a filter");
		reply(ps, "250 2.0.0 Ok: discarded");
		goto refused;
	}
	deliver(ps);
	drop_tx(ps);
	return;
refused:
	drop_tx(ps);
	(void)up_rset(ps);
}

/* do_quit - QUIT: the upstream's goodbye when it gives one, else ours */
static void
do_quit(struct psess *ps)
{
	struct smtp_reply r;

	if (ps->up != NULL && proxy_upstream_cmd(ps->up, "QUIT", 4, &r) == 0 &&
	    r.code / 100 == 2)
		relay(ps, &r);
	else
		reply(ps, "221 2.0.0 Bye");
	ps->close = 1;
}

/* do_simple - RSET, NOOP, QUIT, HELP, VRFY and the rest */
static void
do_simple(struct psess *ps, const struct smtp_cmd *cmd)
{
	char buf[128];
	int n;

	switch (cmd->verb) {
	case SMTP_VERB_RSET:
		drop_tx(ps);
		if (up_rset(ps) == 0)
			reply(ps, "250 2.0.0 Ok");
		break;
	case SMTP_VERB_NOOP:
		reply(ps, "250 2.0.0 Ok");
		break;
	case SMTP_VERB_QUIT:
		do_quit(ps);
		break;
	case SMTP_VERB_HELP:
		reply(ps, "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT");
		break;
	case SMTP_VERB_VRFY:
	case SMTP_VERB_EXPN:
		reply(ps, "502 5.5.1 %s command is disabled",
		    smtp_cmd_verb_name(cmd->verb));
		break;
	case SMTP_VERB_XFORWARD:
		/* from xforward_from only (proxy_ident.c); else 550 */
		if (proxy_ident_xforward(&ps->ident, ps->id, cmd->arg, ps->up,
		    buf, sizeof(buf)) < 0)
			up_lost(ps, "at XFORWARD");
		else
			reply(ps, "%s", buf);
		break;
	case SMTP_VERB_XCLIENT:
		reply(ps, "550 5.7.0 Error: insufficient authorization");
		break;
	case SMTP_VERB_STARTTLS:
		/* RFC 3207: then the session starts again (no HELO, no tx) */
		if ((n = proxy_tls_starttls(ps->c, ps->pc->tls, cmd->arg,
		    out_deadline(ps), ps->id, proxy_ident_name(&ps->ident),
		    ps->addr, run_session(ps->run))) == PROXY_TLS_STARTED) {
			drop_tx(ps);
			(void)up_rset(ps);
			ps->helo = 0;
			memset(&ps->auth, 0, sizeof(ps->auth));
		} else if (n == PROXY_TLS_CLOSE)
			ps->wfail = ps->close = 1;
		break;
	case SMTP_VERB_AUTH:
		n = proxy_auth_relay(&ps->auth, ps->pc->sc, session_tls(
		    run_session(ps->run)) != NULL, run_tx(ps->run) != NULL,
		    ps->c, ps->up, cmd->line, cmd->len, cmd->arg,
		    ps->pc->cfg->timeout_command_ms, ps->id, run_session(ps->run));
		if (n == PROXY_AUTH_LOST)
			up_lost(ps, "at AUTH");
		else if (n == PROXY_AUTH_CLOSE)
			ps->wfail = ps->close = 1;
		break;
	case SMTP_VERB_BDAT:
	case SMTP_VERB_ETRN:
		reply(ps, "502 5.5.1 Error: command not implemented");
		break;
	default:
		reply(ps, "502 5.5.2 Error: command not recognized");
		break;
	}
}

/* bad_command - a line the parser refused; 1 when it was one */
static int
bad_command(struct psess *ps, enum smtp_cmd_status st,
    const struct smtp_cmd *cmd)
{
	switch (st) {
	case SMTP_CMD_ERR_TOOLONG:
		reply(ps, "500 5.5.2 Error: line too long");
		return 1;
	case SMTP_CMD_ERR_BARENL:
		reply(ps, "550 5.5.2 Error: bare <CR> or <LF> received");
		ps->close = 1;
		return 1;
	case SMTP_CMD_ERR_SYNTAX:
		if (refused(ps, cmd->verb))
			return 1;
		if (cmd->verb == SMTP_VERB_UNKNOWN)
			reply(ps, "500 5.5.2 Error: bad syntax");
		else
			reply(ps, "501 5.5.4 Syntax: %s%s%s",
			    smtp_cmd_verb_name(cmd->verb),
			    cmd->error ? ": " : "", cmd->error ? cmd->error : "");
		return 1;
	default:
		return 0;
	}
}

/* command - one parsed command line */
static void
command(struct psess *ps, enum smtp_cmd_status st, const struct smtp_cmd *cmd)
{
	if (bad_command(ps, st, cmd) || refused(ps, cmd->verb))
		return;
	if (ps->up == NULL && (cmd->verb == SMTP_VERB_HELO ||
	    cmd->verb == SMTP_VERB_EHLO || cmd->verb == SMTP_VERB_MAIL ||
	    cmd->verb == SMTP_VERB_RCPT || cmd->verb == SMTP_VERB_DATA)) {
		reply(ps, "451 4.3.0 Error: upstream not available");
		return;
	}
	switch (cmd->verb) {
	case SMTP_VERB_HELO:
	case SMTP_VERB_EHLO:
		do_helo(ps, cmd);
		break;
	case SMTP_VERB_MAIL:
		do_mail(ps, cmd);
		break;
	case SMTP_VERB_RCPT:
		do_rcpt(ps, cmd);
		break;
	case SMTP_VERB_DATA:
		do_data(ps);
		break;
	default:
		do_simple(ps, cmd);
		break;
	}
}

/*
 * start - connect phase: chain, upstream, greeting; 0 to go on. With
 * upstream_tls = "may", a failed handshake means a second connection, in
 * plaintext (PROXY_TLS_PLAIN).
 */
static int
start(struct psess *ps)
{
	const struct proxy_session_conf *pc = ps->pc;
	struct decision d;
	struct smtp_reply r;
	char err[512];
	int rc, plain = 0;

	if (ps->ident.pending)
		decision_clear(&d);	/* an XFORWARD client's: at MAIL */
	else
		(void)run_connect(ps->run, &d);
	if (decision_refuses(&d)) {
		/* as a milter would: a greeting, then every command gets the reply */
		reply(ps, "220 %s ESMTP", pc->hostname);
		return 0;
	}
again:
	ps->up = proxy_upstream_connect(pc->sc->upstream,
	    pc->cfg->timeout_upstream_ms, err, sizeof(err));
	if (ps->up == NULL && (errno == EMFILE || errno == ENFILE)) {
		/* our limit, not the upstream's fault: say so */
		log_warnx("session %s: %s: no descriptor left for the "
		    "upstream", ps->id, err);
		reply(ps, "421 4.3.2 %s Error: too busy, try again later",
		    pc->hostname);
		return -1;
	}
	if (ps->up == NULL) {
		log_warnx("session %s: %s", ps->id, err);
		reply(ps, "421 4.3.0 %s Service not available: upstream not "
		    "reachable", pc->hostname);
		return -1;
	}
	proxy_upstream_set_stop(ps->up, ps->stop);
	if (proxy_ident_upstream_header(&ps->ident, ps->up, ps->addr, ps->port,
	    conn_fd(ps->c)) < 0 || proxy_upstream_reply(ps->up, &r) < 0) {
		log_warnx("session %s: upstream greeting: %s", ps->id,
		    proxy_upstream_error(ps->up));
		reply(ps, "421 4.3.0 %s Service not available: upstream not "
		    "responding", pc->hostname);
		return -1;
	}
	/* upstream_tls: the exchange queues the greeting when it succeeds */
	if (r.code / 100 == 2 && pc->uptls != NULL && !plain) {
		if ((rc = proxy_tls_upstream(ps->up, pc->sc, pc->uptls, &r,
		    ps->c, out_deadline(ps), pc->hostname,
		    pc->cfg->timeout_upstream_ms, ps->id)) == 0)
			return 0;
		if (rc != PROXY_TLS_PLAIN) {
			reply(ps, "421 4.7.0 %s Service not available: no TLS "
			    "to the upstream server", pc->hostname);
			return -1;
		}
		proxy_upstream_free(ps->up);
		ps->up = NULL;
		plain = 1;
		goto again;
	}
	relay(ps, &r);
	if (r.code / 100 != 2)
		ps->close = r.code == 421;
	return 0;
}

/* commands - every complete command buffered, in order */
static void
commands(struct psess *ps)
{
	struct smtp_cmd cmd;
	enum smtp_cmd_status st;
	const char *in;
	size_t n;

	while (!ps->close) {
		in = conn_data(ps->c, &n);
		if (n == 0)
			return;
		conn_consume(ps->c, smtp_cmd_feed(ps->cp, in, n));
		if ((st = smtp_cmd_next(ps->cp, &cmd)) == SMTP_CMD_MORE)
			return;
		ps->code = 0;
		command(ps, st, &cmd);
		if (!ps->close && proxy_limits_errors(ps->pc->sc, cmd.verb,
		    ps->code, &ps->errors, &ps->junk)) {
			log_info("session %s: client %s [%s]: %u errors: 421 "
			    "sent, closing", ps->id,
			    proxy_ident_name(&ps->ident), ps->addr, ps->errors);
			reply(ps, "421 4.7.0 %s Error: too many errors",
			    ps->pc->hostname);
			ps->close = 1;
		}
		/* a whole command came: the next one's deadlines start afresh */
		ps->idle_dl = ps->line_dl = 0;
		ps->since = clock_ms();
	}
}

/* dialogue - commands and replies until the session ends */
static void
dialogue(struct psess *ps)
{
	enum conn_status st;
	const char *what;
	uint64_t dl, ms;
	unsigned flags;

	/* implicit_tls: a failed handshake has nobody to tell (logged) */
	if (ps->pc->sc->implicit_tls && proxy_tls_client(ps->c, ps->pc->tls,
	    ps->pc->cfg->timeout_command_ms, ps->id, ps->addr,
	    run_session(ps->run)) == -1)
		return;
	if (start(ps) < 0)
		ps->close = 1;
	ps->since = clock_ms();
	while (!ps->close) {
		/* every complete command in the buffer, then one flush */
		commands(ps);
		if (ps->close || out_flush(ps) == -1)
			break;
		dl = proxy_limits_client_deadline(ps->pc->cfg,
		    smtp_cmd_pending(ps->cp), &ps->idle_dl, &ps->line_dl, &flags,
		    &what, &ms);
		/* waiting for the client: the listener may end us to make room */
		listen_session_wait(ps->stop, ps->since);
		st = conn_fill(ps->c, dl, flags);
		listen_session_wait(ps->stop, 0);
		if (st == CONN_OK)
			continue;
		if (st == CONN_TIMEOUT)
			expired(ps, what, ms);
		else if (st == CONN_STOPPING)
			stopped(ps);
		else if (st == CONN_ERROR)
			log_info("session %s: client %s [%s]: %s", ps->id,
			    proxy_ident_name(&ps->ident), ps->addr,
			    conn_error(ps->c));
		break;
	}
	(void)out_flush(ps);
	if (ps->up != NULL && !ps->close) {
		/* the client went away: nothing it sent becomes a message */
		struct smtp_reply rr;
		(void)proxy_upstream_cmd(ps->up, "QUIT", 4, &rr);
	}
}

/* setup - the session's run and parser; 0, or -1 (no memory or stopping) */
static int
setup(struct psess *ps)
{
	struct smtp_cmd_limits cl;
	struct chain *chain;

	cl.line_max = SMTP_CMD_LINE_MAX;
	cl.normalize_lf = ps->pc->sc->bare_newline == CONFIG_BARE_NL_NORMALIZE;
	if ((chain = gen_acquire()) == NULL)
		return -1;
	ps->run = run_new(chain, "smtp", ps->addr, ps->port, ps->name);
	ps->ident.gen = chain;	/* a name only: never dereferenced */
	chain_unref(chain);	/* the run holds its own reference */
	if (ps->run == NULL || proxy_ident_session(&ps->ident,
	    run_session(ps->run)) == -1 || (ps->cp = smtp_cmd_parser_new(&cl)) == NULL)
		return -1;
	snprintf(ps->id, sizeof(ps->id), "%s",
	    session_str(run_session(ps->run), PG_S_ID));
	return 0;
}

/* teardown - everything the session holds, the client's socket too */
static void
teardown(struct psess *ps)
{
	drop_tx(ps);
	proxy_upstream_free(ps->up);
	smtp_cmd_parser_free(ps->cp);
	conn_free(ps->c);
	free(ps->dbuf);
	free(ps->ebuf);
	(void)proxy_ident_name(&ps->ident);	/* no lookup outlives us */
	run_free(ps->run);
}

void
proxy_session_run(const struct proxy_session_conf *pc, int fd,
    const struct sockaddr *sa, socklen_t salen, const struct conn_stop *stop)
{
	struct sockaddr_storage real;
	socklen_t reallen;
	struct psess ps;

	memset(&ps, 0, sizeof(ps));
	ps.pc = pc;
	ps.stop = stop;
	if ((ps.c = conn_new(fd, PS_INBUF, PS_OUTBUF)) == NULL) {
		log_warn("smtp session: new connection");
		close(fd);
		return;
	}
	conn_set_stop(ps.c, stop);
	proxy_ident_init(&ps.ident, pc->sc);
	/* a PROXY header (proxy_protocol) names the client; else the peer does */
	if (proxy_ident_proxy_header(&ps.ident, ps.c, clock_deadline(
	    pc->cfg->timeout_command_ms), sa, salen, &real, &reallen) < 0) {
		conn_free(ps.c);
		return;
	}
	proxy_ident_peer(&ps.ident, pc->cfg, (struct sockaddr *)&real, reallen,
	    ps.addr, sizeof(ps.addr), &ps.port, ps.name, sizeof(ps.name));
	if (setup(&ps) == -1) {
		reply(&ps, "421 4.3.0 %s Error: insufficient system resources",
		    pc->hostname);
		(void)out_flush(&ps);
	} else {
		log_debug("session %s: connect from [%s]:%d", ps.id, ps.addr,
		    ps.port);
		dialogue(&ps);
	}
	teardown(&ps);
}
