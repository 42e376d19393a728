/*
 * proxy_deliver - a passed message to the upstream (proxy_deliver.h)
 *
 * Public: proxy_deliver(), proxy_deliver_rcpt_add().
 *
 * Envelope changes (add_rcpt, del_rcpt, change_sender) mean the upstream's
 * transaction is not the one the message needs any more: it is reset and
 * replayed with the changed sender and recipients, parameters kept (a
 * sender change with parameters replaces the client's, as Postfix does for
 * a milter's chgfrom). Then DATA, our Received: field (unless XCLIENT
 * told the upstream who the client is), and the message as changed,
 * dot-stuffed by smtp_data's encoder into the caller's buffer and written
 * through the upstream's 64 KiB output buffer; the final dot goes with the
 * last piece.
 *
 * Trust: the message and the changes come from the client and the
 * filters; the encoder makes any byte sequence safe on the wire (no line
 * can end the data early). The upstream must not speak between its 354
 * and our final dot: a reply there (right after 354, or while the message
 * goes out) is a protocol error, and the final dot is not sent. A failure
 * after DATA leaves the upstream
 * holding part of a message: the caller closes that connection without
 * the final dot, and the upstream drops it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "msg.h"
#include "proxy_deliver.h"
#include "session.h"
#include "smtp_data.h"
#include "tx.h"

/* the changed envelope: pointers into the caller's and the changes' strings */
struct envelope {
	const char	**rcpt, **rargs;	/* n recipients and their parameters */
	size_t		 n;
	const char	*sender, *sargs;	/* NULL: the client's */
};

/* changes_envelope - 1 when a change touches the envelope */
static int
changes_envelope(const struct msg *m)
{
	const struct msg_change *ch;
	size_t i, nc = msg_change_count(m);

	for (i = 0; i < nc; i++) {
		ch = msg_change_at(m, i);
		if (ch->kind == MSG_ADD_RCPT || ch->kind == MSG_DEL_RCPT ||
		    ch->kind == MSG_CHANGE_SENDER)
			return 1;
	}
	return 0;
}

/* drop_rcpt - every recipient equal to addr (case-insensitive) leaves e */
static void
drop_rcpt(struct envelope *e, const char *addr)
{
	size_t j;

	for (j = 0; j < e->n; j++)
		if (strcasecmp(e->rcpt[j], addr) == 0) {
			memmove(e->rcpt + j, e->rcpt + j + 1,
			    (e->n - j - 1) * sizeof(*e->rcpt));
			memmove(e->rargs + j, e->rargs + j + 1,
			    (e->n - j - 1) * sizeof(*e->rargs));
			e->n--;
			j--;
		}
}

/* envelope_build - the recipients taken, with the changes applied in order; 0 or -1 */
static int
envelope_build(const struct proxy_deliver *d, const struct msg *m,
    struct envelope *e)
{
	const struct msg_change *ch;
	size_t i, nc = msg_change_count(m);

	memset(e, 0, sizeof(*e));
	if ((e->rcpt = calloc(d->nrcpts + nc + 1, sizeof(*e->rcpt))) == NULL ||
	    (e->rargs = calloc(d->nrcpts + nc + 1, sizeof(*e->rargs))) == NULL) {
		free(e->rcpt);
		return -1;
	}
	for (i = 0; i < d->nrcpts; i++) {
		e->rargs[e->n] = d->rcpts[i] + strlen(d->rcpts[i]) + 1;
		e->rcpt[e->n++] = d->rcpts[i];
	}
	for (i = 0; i < nc; i++) {
		ch = msg_change_at(m, i);
		if (ch->kind == MSG_CHANGE_SENDER) {
			/* new parameters replace the client's; none keep them */
			e->sender = ch->addr;
			e->sargs = ch->value && *ch->value ? ch->value : NULL;
		} else if (ch->kind == MSG_ADD_RCPT) {
			e->rargs[e->n] = ch->value;	/* add_rcpt's parameters */
			e->rcpt[e->n++] = ch->addr;
		} else if (ch->kind == MSG_DEL_RCPT)
			drop_rcpt(e, ch->addr);
	}
	return 0;
}

/* path_cmd - "VERB:<addr> params" upstream; -1 when the upstream is lost */
static int
path_cmd(struct proxy_deliver *d, const char *verb, const char *addr,
    const char *args, struct smtp_reply *r)
{
	char line[1200];
	int n;

	n = snprintf(line, sizeof(line), "%s:<%s>%s%s", verb, addr,
	    args && *args ? " " : "", args ? args : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	if (proxy_upstream_cmd(d->up, line, (size_t)n, r) < 0) {
		d->when = "replaying the changed envelope";
		return -1;
	}
	return 0;
}

/* envelope_replay - RSET, MAIL and RCPT for e */
static enum proxy_deliver_status
envelope_replay(struct proxy_deliver *d, const struct envelope *e,
    struct smtp_reply *r)
{
	const char *sender = e->sender, *sargs = e->sargs;
	size_t i, accepted = 0;

	if (sender == NULL)
		sender = tx_sender(run_tx(d->run));
	if (sargs == NULL)
		sargs = d->mail_params;
	if (proxy_upstream_cmd(d->up, "RSET", 4, r) < 0) {
		d->when = "replaying the changed envelope";
		return PROXY_DELIVER_LOST;
	}
	if (path_cmd(d, "MAIL FROM", sender, sargs, r) < 0)
		return PROXY_DELIVER_LOST;
	if (r->code / 100 != 2)
		return PROXY_DELIVER_REFUSED;
	for (i = 0; i < e->n; i++) {
		if (path_cmd(d, "RCPT TO", e->rcpt[i], e->rargs[i], r) < 0)
			return PROXY_DELIVER_LOST;
		if (r->code / 100 == 2)
			accepted++;
	}
	/* r: the last refusal, when no recipient was taken */
	return accepted > 0 ? PROXY_DELIVER_DONE : PROXY_DELIVER_REFUSED;
}

/* envelope - apply the envelope changes upstream; DONE when there were none */
static enum proxy_deliver_status
envelope(struct proxy_deliver *d, struct smtp_reply *r)
{
	const struct msg *m = tx_msg(run_tx(d->run));
	enum proxy_deliver_status st;
	struct envelope e;

	if (!changes_envelope(m))
		return PROXY_DELIVER_DONE;
	if (envelope_build(d, m, &e) == -1) {
		d->when = "out of memory";
		return PROXY_DELIVER_LOST;
	}
	/* every recipient deleted: delivered nowhere, like a discard */
	st = e.n == 0 ? PROXY_DELIVER_DROPPED : envelope_replay(d, &e, r);
	free(e.rcpt);
	free(e.rargs);
	return st;
}

/*
 * received - our Received: field for the real client, into buf; over TLS
 * Postfix's "(using VERSION with cipher NAME (BITS/BITS bits))" and
 * "with ESMTPS" (ESMTPSA after AUTH, RFC 3848)
 */
static void
received(const struct proxy_deliver *d, char *buf, size_t len)
{
	char date[64], h[300], n[300], tls[200] = "";
	struct pg_session *s = run_session(d->run);
	const char *helo = session_str(s, PG_S_HELO);
	const char *id = tx_id(run_tx(d->run));
	const struct pg_tls *t = session_tls(s);
	time_t now = time(NULL);
	struct tm tm;
	size_t o;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	log_escape(h, sizeof(h), helo ? helo : "unknown", helo ? strlen(helo) : 7);
	log_escape(n, sizeof(n), d->client_name, strlen(d->client_name));
	if (t != NULL)
		snprintf(tls, sizeof(tls), "\r\n\t(using %s with cipher %s (%d/%d "
		    "bits))", t->version, t->cipher ? t->cipher : "unknown",
		    t->bits, t->bits);
	o = (size_t)snprintf(buf, len, "Received: from %s (%s [%s])%s\r\n"
	    "\tby %s (phasegate) with %s%s%s%s%s", h, n, d->client_addr, tls,
	    d->hostname, d->esmtp ? "ESMTP" : "SMTP", t != NULL ? "S" : "",
	    t != NULL && session_str(s, PG_S_AUTH) != NULL ? "A" : "",
	    id ? " id " : "", id ? id : "");
	if (o < len && d->nrcpts == 1)
		o += (size_t)snprintf(buf + o, len - o, "\r\n\tfor <%s>",
		    d->rcpts[0]);
	if (o < len)
		snprintf(buf + o, len - o, "; %s\r\n", date);
}

int
proxy_deliver_rcpt_add(char ***rcpts, size_t *nrcpts, const char *addr,
    const char *params)
{
	size_t a = strlen(addr) + 1, p = strlen(params) + 1;
	char **nr;

	if ((nr = realloc(*rcpts, (*nrcpts + 1) * sizeof(*nr))) == NULL)
		return -1;
	*rcpts = nr;
	if ((nr[*nrcpts] = malloc(a + p)) == NULL)
		return -1;
	memcpy(nr[*nrcpts], addr, a);
	memcpy(nr[*nrcpts] + a, params, p);
	(*nrcpts)++;
	return 0;
}

/* out_ctx - msg_output() sink: encode and send upstream */
struct out_ctx {
	struct proxy_deliver	*d;
	struct smtp_data_encoder enc;
};

/* encode_out - encode a piece of the message into the upstream's buffer */
static int
encode_out(void *ctx, const void *p, size_t n)
{
	struct out_ctx *o = ctx;
	struct proxy_deliver *d = o->d;
	const char *s = p;
	size_t k, e, step = (d->buflen - 4) / 2;

	while (n > 0) {
		k = n > step ? step : n;
		e = smtp_data_encode(&o->enc, s, k, d->buf, d->buflen);
		if (proxy_upstream_write(d->up, d->buf, e) < 0)
			return -1;
		s += k;
		n -= k;
	}
	return 0;
}

/* warn_quarantine - a proxy has no hold queue: say so for each quarantine asked */
static void
warn_quarantine(const struct proxy_deliver *d, const struct msg *m)
{
	const struct msg_change *ch;
	size_t i;

	for (i = 0; i < msg_change_count(m); i++) {
		ch = msg_change_at(m, i);
		if (ch->kind == MSG_QUARANTINE)
			log_warnx("session %s: quarantine asked by %s (%s): a "
			    "proxy has no hold queue, delivering", d->id,
			    ch->filter ? ch->filter : "?",
			    ch->value ? ch->value : "");
	}
}

/*
 * upstream_said - the upstream's reply to the message goes to the run: the
 * message's summary line (msglog.h) carries it and its queue id
 */
static void
upstream_said(struct proxy_deliver *d, const struct smtp_reply *r)
{
	char text[PG_REPLY_MAX];

	snprintf(text, sizeof(text), "%.*s", (int)(r->len > 2 ? r->len - 2 : 0),
	    r->text);
	run_upstream(d->run, text);
}

/* send_message - the message after the upstream's 354, and its final reply */
static enum proxy_deliver_status
send_message(struct proxy_deliver *d, struct smtp_reply *r)
{
	const struct msg *m = tx_msg(run_tx(d->run));
	struct out_ctx o;
	char rec[2048], end[8];
	size_t e;

	o.d = d;
	smtp_data_encoder_init(&o.enc);
	warn_quarantine(d, m);
	d->when = "sending the message";
	if (d->received) {
		received(d, rec, sizeof(rec));
		if (proxy_upstream_write(d->up, rec, strlen(rec)) < 0)
			return PROXY_DELIVER_LOST;
	}
	if (msg_output(m, encode_out, &o) < 0)
		return PROXY_DELIVER_LOST;
	e = smtp_data_encode_end(&o.enc, end);
	/* a reply before the final dot answers nothing we sent: no dot then */
	if (proxy_upstream_quiet(d->up) < 0)
		return PROXY_DELIVER_LOST;
	if (proxy_upstream_write(d->up, end, e) < 0 ||
	    proxy_upstream_flush(d->up) < 0 ||
	    proxy_upstream_reply(d->up, r) < 0)
		return PROXY_DELIVER_LOST;
	d->when = NULL;
	upstream_said(d, r);
	if (r->code / 100 == 2)
		log_debug("session %s: delivered from <%s> to %zu recipient%s: "
		    "%.*s", d->id, tx_sender(run_tx(d->run)), d->nrcpts,
		    d->nrcpts == 1 ? "" : "s",
		    (int)(r->len > 2 ? r->len - 2 : 0), r->text);
	return PROXY_DELIVER_DONE;
}

enum proxy_deliver_status
proxy_deliver(struct proxy_deliver *d, struct smtp_reply *r)
{
	enum proxy_deliver_status st;

	d->when = NULL;
	if ((st = envelope(d, r)) != PROXY_DELIVER_DONE)
		return st;
	if (proxy_upstream_cmd(d->up, "DATA", 4, r) < 0) {
		d->when = "at DATA";
		return PROXY_DELIVER_LOST;
	}
	if (r->code != 354)
		return PROXY_DELIVER_REFUSED;
	if (proxy_upstream_quiet(d->up) < 0) {
		/* 250 right after 354: whatever it answers, not our message */
		d->when = "after DATA";
		return PROXY_DELIVER_LOST;
	}
	return send_message(d, r);
}
