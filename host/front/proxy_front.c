/*
 * proxy_front - the SMTP proxy front end
 *
 * Public: proxy_front_new(), proxy_front_start(), proxy_front_stop(),
 * proxy_front_free().
 *
 * The listener and every client session are fibers (fiber.h): the code
 * reads like blocking I/O, but a session that must wait for its client or
 * its upstream parks, and the worker threads go on with other sessions
 * (a filter that blocks stalls its own session only: the scheduler adds a
 * worker). Sockets do not block. Per session: a command parser (smtp_cmd), a DATA
 * decoder (smtp_data), a 16 KiB input buffer, a reply buffer, and one
 * upstream connection (proxy_upstream).
 *
 * Each command's phase goes through the session's run (run.h), which
 * records the HELO name, the envelope and the transaction's limits and
 * asks the filters; this file moves the bytes and turns a refusing
 * decision into the client's reply (refuse()). What only a proxy does
 * stays here: RCPT goes upstream once the run passes it and leaves the
 * transaction again when the upstream refuses it (run_rcpt_drop());
 * a discarded transaction is answered here and goes nowhere.
 *
 * The client's bytes are untrusted: every limit is enforced by the codecs
 * (command line length, message size) or here (recipients, hops). The
 * client gets 250 for end of data only after the upstream's 250 for that
 * message; an upstream failure ends the session with 421 (the client keeps
 * the message). Replies to pipelined commands are collected and sent when
 * the input holds no further complete command (RFC 2920).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "clock.h"
#include "config.h"
#include "fiber.h"
#include "log.h"
#include "msg.h"
#include "proxy_front.h"
#include "proxy_upstream.h"
#include "rdns.h"
#include "gen.h"
#include "run.h"
#include "session.h"
#include "smtp_cmd.h"
#include "smtp_data.h"
#include "smtp_reply.h"
#include "tx.h"

#define PF_INBUF	(16 * 1024)
#define PF_EBUF		(32 * 1024)
#define PF_GRACE_MS	10000

struct proxy_front {
	const struct config	*cfg;
	const struct config_smtp *sc;
	int			 lfd;
	atomic_int		 accepting;	/* the listener's fiber runs */
	atomic_int		 stop;
	atomic_int		 nsessions;
	uint64_t		 stop_deadline;
	char			 hostname[256];
};

/* upstream extensions we pass on */
#define CAP_PIPELINING	0x01
#define CAP_XCLIENT	0x02

struct psess {
	struct proxy_front	*pf;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 fd;
	char			 addr[64];
	int			 port;
	char			 name[256];
	char			 id[32];
	struct run		*run;		/* the session's run: session and tx */
	struct proxy_upstream	*up;
	struct smtp_cmd_parser	*cp;
	char			*in;
	size_t			 inoff, inlen;
	char			*out;
	size_t			 outlen, outcap;
	int			 close;		/* end the session after flushing */
	int			 drained;	/* the last read came back short */
	int			 helo;		/* 0 none, 1 HELO, 2 EHLO */
	int			 caps;
	int			 xclient_done;
	/* the transaction (run_tx()) */
	int			 discard;	/* answered locally, delivered nowhere */
	int			 up_mail;	/* the upstream has MAIL open */
	char			**rcpts;	/* accepted by the upstream */
	size_t			 nrcpts;
	char			*mail_params;
	char			*dbuf;		/* DATA: decoder output (PF_INBUF + 16) */
	char			*ebuf;		/* DATA: encoder output (PF_EBUF) */
};

/* reply - queue a reply line (CRLF added) */
static void
reply(struct psess *ps, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));

/* out_add - append bytes to the reply buffer */
static void
out_add(struct psess *ps, const char *p, size_t n)
{
	char *nb;
	size_t cap;

	if (ps->outlen + n > ps->outcap) {
		cap = ps->outcap ? ps->outcap : 1024;
		while (cap < ps->outlen + n)
			cap *= 2;
		if ((nb = realloc(ps->out, cap)) == NULL) {
			ps->close = 1;
			return;
		}
		ps->out = nb;
		ps->outcap = cap;
	}
	memcpy(ps->out + ps->outlen, p, n);
	ps->outlen += n;
}

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
}

/* refuse - queue the reply of a refusing decision; 1 when it refused */
static int
refuse(struct psess *ps, const struct decision *d)
{
	const char *r = decision_reply(d);

	if (r == NULL)
		return 0;
	out_add(ps, r, strlen(r));
	out_add(ps, "\r\n", 2);
	return 1;
}

/* reply_up - queue the upstream's reply as it is */
static void
reply_up(struct psess *ps, const struct smtp_reply *r)
{
	out_add(ps, r->text, r->len);
}

/*
 * The client socket does not block: a read or a write is one system call
 * when the peer is there; otherwise the fiber parks until the socket is
 * ready, its deadline passes, or proxy_front_stop() kicks it.
 */

/* wait_client - park for ev on the client; 0 go on, -2 timed out, -3 stopping */
static int
wait_client(struct psess *ps, unsigned ev, uint64_t deadline, int idle)
{
	struct proxy_front *pf = ps->pf;
	uint64_t dl = deadline, now;

	if (atomic_load(&pf->stop)) {
		if (idle)
			return -3;
		if (pf->stop_deadline < dl)
			dl = pf->stop_deadline;
	}
	if (fiber_wait(ps->fd, ev, dl) == 1)
		return 0;
	now = clock_ms();
	if (atomic_load(&pf->stop) && (idle || now >= pf->stop_deadline))
		return -3;
	if (now >= deadline)
		return -2;
	return 0;	/* a kick for someone else's stop: wait again */
}

/* flush - send the queued replies; -1 when the client is gone */
static int
flush(struct psess *ps)
{
	uint64_t deadline = 0;
	size_t off = 0;
	ssize_t n;

	while (off < ps->outlen) {
		n = send(ps->fd, ps->out + off, ps->outlen - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			break;
		if (deadline == 0)
			deadline = clock_ms() + ps->pf->cfg->timeout_command_ms;
		if (wait_client(ps, FIBER_OUT, deadline, 0) != 0)
			break;
	}
	n = off == ps->outlen ? 0 : -1;
	ps->outlen = 0;
	return (int)n;
}

/*
 * fill - read more client bytes into the input buffer (keeping what is
 * unread); >0 bytes, 0 EOF, -1 error, -2 timeout, -3 stopping
 */
static int
fill(struct psess *ps, uint64_t timeout_ms, int idle)
{
	uint64_t deadline = 0;
	ssize_t n;
	int w;

	if (ps->inoff > 0) {
		memmove(ps->in, ps->in + ps->inoff, ps->inlen - ps->inoff);
		ps->inlen -= ps->inoff;
		ps->inoff = 0;
	}
	if (ps->inlen == PF_INBUF)
		return -1;
	if (idle && atomic_load(&ps->pf->stop))
		return -3;
	for (;;) {
		/* after a short read the client has to send first: wait
		 * rather than read into an EAGAIN */
		if (ps->drained) {
			ps->drained = 0;
			if (deadline == 0)
				deadline = clock_ms() + timeout_ms;
			if ((w = wait_client(ps, FIBER_IN, deadline, idle)) != 0)
				return w;
		}
		n = recv(ps->fd, ps->in + ps->inlen, PF_INBUF - ps->inlen, 0);
		if (n > 0) {
			ps->drained = (size_t)n < PF_INBUF - ps->inlen;
			ps->inlen += (size_t)n;
			return (int)n;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (deadline == 0)
			deadline = clock_ms() + timeout_ms;
		if ((w = wait_client(ps, FIBER_IN, deadline, idle)) != 0)
			return w;
	}
}

/* up_lost - the upstream failed: tell the client and end the session */
static void
up_lost(struct psess *ps, const char *when)
{
	log_warnx("session %s: upstream %s %s: %s", ps->id, ps->pf->sc->upstream,
	    when, ps->up ? proxy_upstream_error(ps->up) : "not connected");
	reply(ps, "421 4.4.2 %s Error: lost connection to the upstream server",
	    ps->pf->hostname);
	ps->close = 1;
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

/* is_passed_cap - EHLO keywords passed on to the client */
static int
is_passed_cap(const char *l, size_t n)
{
	static const char *keep[] = { "PIPELINING", "SIZE", "8BITMIME",
	    "SMTPUTF8", "ENHANCEDSTATUSCODES", "DSN" };
	size_t i;

	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (smtp_reply_ehlo_keyword(l, n, keep[i]))
			return 1;
	return 0;
}

/* ehlo_caps - what the upstream offers */
static int
ehlo_caps(struct psess *ps, const struct smtp_reply *r)
{
	const char *l;
	size_t i, n;
	int caps = 0;

	for (i = 1; i < r->nlines; i++) {
		l = proxy_upstream_line(ps->up, i, &n);
		if (l == NULL)
			continue;
		if (smtp_reply_ehlo_keyword(l, n, "PIPELINING"))
			caps |= CAP_PIPELINING;
		if (smtp_reply_ehlo_keyword(l, n, "XCLIENT"))
			caps |= CAP_XCLIENT;
	}
	return caps;
}

/* reply_ehlo - the upstream's EHLO reply, capabilities filtered */
static void
reply_ehlo(struct psess *ps, const struct smtp_reply *r, int helo)
{
	const char *l, *lines[SMTP_REPLY_LINES_MAX];
	size_t lens[SMTP_REPLY_LINES_MAX], i, k = 0, n;
	uint64_t max = ps->pf->sc->max_message_size, usz;
	char buf[64];

	for (i = 0; i < r->nlines && k < SMTP_REPLY_LINES_MAX; i++) {
		l = proxy_upstream_line(ps->up, i, &n);
		if (l == NULL)
			continue;
		if (i == 0 || is_passed_cap(l, n)) {
			lines[k] = l;
			lens[k++] = n;
		}
		if (helo)
			break;
	}
	for (i = 0; i < k; i++) {
		out_add(ps, i + 1 == k ? "250 " : "250-", 4);
		if (i > 0 && smtp_reply_ehlo_keyword(lines[i], lens[i], "SIZE") && max) {
			/* the smaller of the two limits */
			usz = lens[i] > 5 ? strtoull(lines[i] + 5, NULL, 10) : 0;
			snprintf(buf, sizeof(buf), "SIZE %llu", (unsigned long long)
			    (usz && usz < max ? usz : max));
			out_add(ps, buf, strlen(buf));
		} else
			out_add(ps, lines[i], lens[i]);
		out_add(ps, "\r\n", 2);
	}
}

/* xtext - RFC 1891 xtext encoding for XCLIENT values */
static void
xtext(char *dst, size_t dlen, const char *s)
{
	size_t o = 0;

	for (; *s && o + 4 < dlen; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 33 || c > 126 || c == '+' || c == '=')
			o += (size_t)snprintf(dst + o, dlen - o, "+%02X", c);
		else
			dst[o++] = (char)c;
	}
	dst[o] = '\0';
}

/* do_helo - HELO/EHLO */
static void
do_helo(struct psess *ps, const struct smtp_cmd *cmd)
{
	struct decision d;
	struct smtp_reply r;
	char line[2400], a[300], n[600], h[1100];
	int is_ehlo = cmd->verb == SMTP_VERB_EHLO;

	(void)run_helo(ps->run, cmd->arg, &d);
	if (refuse(ps, &d))
		return;
	/* a new EHLO resets the transaction on both sides */
	drop_tx(ps);
	ps->up_mail = 0;
	snprintf(line, sizeof(line), "EHLO %s", cmd->arg);
	if (proxy_upstream_cmd(ps->up, line, strlen(line), &r) < 0) {
		up_lost(ps, "at EHLO");
		return;
	}
	if (r.code / 100 == 5 && !is_ehlo) {
		/* an upstream without ESMTP: plain HELO */
		snprintf(line, sizeof(line), "HELO %s", cmd->arg);
		if (proxy_upstream_cmd(ps->up, line, strlen(line), &r) < 0) {
			up_lost(ps, "at HELO");
			return;
		}
	}
	if (r.code / 100 == 2)
		ps->caps = ehlo_caps(ps, &r);
	if (r.code / 100 == 2 && (ps->caps & CAP_XCLIENT) && ps->pf->sc->xclient &&
	    !ps->xclient_done) {
		xtext(a, sizeof(a), ps->addr);
		xtext(n, sizeof(n), ps->name);
		xtext(h, sizeof(h), cmd->arg);
		snprintf(line, sizeof(line), "XCLIENT ADDR=%s PORT=%d NAME=%s "
		    "HELO=%s PROTO=%s", a, ps->port, n, h, is_ehlo ? "ESMTP" : "SMTP");
		if (proxy_upstream_cmd(ps->up, line, strlen(line), &r) < 0) {
			up_lost(ps, "at XCLIENT");
			return;
		}
		if (r.code / 100 == 2) {
			ps->xclient_done = 1;
			snprintf(line, sizeof(line), "EHLO %s", cmd->arg);
			if (proxy_upstream_cmd(ps->up, line, strlen(line), &r) < 0) {
				up_lost(ps, "at EHLO after XCLIENT");
				return;
			}
			if (r.code / 100 == 2)
				ps->caps = ehlo_caps(ps, &r);
		} else {
			log_warnx("session %s: upstream refused XCLIENT: %d",
			    ps->id, r.code);
			snprintf(line, sizeof(line), "EHLO %s", cmd->arg);
			if (proxy_upstream_cmd(ps->up, line, strlen(line), &r) < 0) {
				up_lost(ps, "at EHLO");
				return;
			}
		}
	}
	if (r.code / 100 != 2) {
		reply_up(ps, &r);
		return;
	}
	ps->helo = is_ehlo ? 2 : 1;
	reply_ehlo(ps, &r, !is_ehlo);
}

/* do_mail - MAIL FROM */
static void
do_mail(struct psess *ps, const struct smtp_cmd *cmd)
{
	const struct config_smtp *sc = ps->pf->sc;
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
	if (cmd->has_size && sc->max_message_size && cmd->size > sc->max_message_size) {
		reply(ps, "552 5.3.4 Message size exceeds fixed limit");
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
	reply_up(ps, &r);
}

/*
 * rcpt_keep - remember a recipient the upstream took, with its ESMTP
 * parameters (NOTIFY, ORCPT) right after the address's NUL, for a replay
 */
static int
rcpt_keep(struct psess *ps, const char *addr, const char *params)
{
	size_t a = strlen(addr) + 1, p = strlen(params) + 1;
	char **nr;

	if ((nr = realloc(ps->rcpts, (ps->nrcpts + 1) * sizeof(*nr))) == NULL)
		return -1;
	ps->rcpts = nr;
	if ((nr[ps->nrcpts] = malloc(a + p)) == NULL)
		return -1;
	memcpy(nr[ps->nrcpts], addr, a);
	memcpy(nr[ps->nrcpts] + a, params, p);
	ps->nrcpts++;
	return 0;
}

/* rcpt_params - the parameters kept with a recipient */
static const char *
rcpt_params(const char *kept)
{
	return kept + strlen(kept) + 1;
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
	if (ps->pf->sc->max_recipients && ps->nrcpts >= ps->pf->sc->max_recipients) {
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
		if (rcpt_keep(ps, cmd->addr, cmd->params) < 0) {
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
	else if (rcpt_keep(ps, cmd->addr, cmd->params) < 0) {
		reply(ps, "452 4.3.0 Error: insufficient system resources");
		return;
	}
	reply_up(ps, &r);
}

/* out_ctx - msg_output() sink: encode and send upstream */
struct out_ctx {
	struct psess		*ps;
	struct smtp_data_encoder enc;
	char			*buf;
	size_t			 cap;
};

/* out_cb - encode a piece of the message into the upstream buffer */
static int
out_cb(void *ctx, const void *p, size_t n)
{
	struct out_ctx *o = ctx;
	const char *s = p;
	size_t k, e;

	while (n > 0) {
		k = n > (o->cap - 4) / 2 ? (o->cap - 4) / 2 : n;
		e = smtp_data_encode(&o->enc, s, k, o->buf, o->cap);
		if (proxy_upstream_write(o->ps->up, o->buf, e) < 0)
			return -1;
		s += k;
		n -= k;
	}
	return 0;
}

/* received - our Received: line for the real client (RFC 5321 4.4) */
static void
received(struct psess *ps, char *buf, size_t len)
{
	char date[64], h[300], n[300], id[64];
	const char *helo = session_str(run_session(ps->run), PG_S_HELO);
	time_t t = time(NULL);
	struct tm tm;
	size_t o;

	localtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	log_escape(h, sizeof(h), helo ? helo : "unknown", helo ? strlen(helo) : 7);
	log_escape(n, sizeof(n), ps->name, strlen(ps->name));
	snprintf(id, sizeof(id), "%s", tx_id(run_tx(ps->run)) ?
	    tx_id(run_tx(ps->run)) : "");
	o = (size_t)snprintf(buf, len, "Received: from %s (%s [%s])\r\n"
	    "\tby %s (phasegate) with %s%s%s", h, n, ps->addr, ps->pf->hostname,
	    ps->helo == 2 ? "ESMTP" : "SMTP", id[0] ? " id " : "", id);
	if (o < len && ps->nrcpts == 1)
		o += (size_t)snprintf(buf + o, len - o, "\r\n\tfor <%s>", ps->rcpts[0]);
	if (o < len)
		snprintf(buf + o, len - o, "; %s\r\n", date);
}

/* envelope - apply sender/recipient changes: RSET upstream and replay */
static int
envelope(struct psess *ps, struct smtp_reply *r, int *ok)
{
	struct msg *m = tx_msg(run_tx(ps->run));
	const struct msg_change *ch;
	char **list = NULL, line[1200];
	const char *sender = NULL, *sargs = NULL, **rargs = NULL;
	size_t i, j, n = 0, nc = msg_change_count(m);
	int changed = 0, accepted = 0, rc = 0;

	*ok = 1;
	for (i = 0; i < nc; i++) {
		ch = msg_change_at(m, i);
		if (ch->kind == MSG_ADD_RCPT || ch->kind == MSG_DEL_RCPT ||
		    ch->kind == MSG_CHANGE_SENDER)
			changed = 1;
	}
	if (!changed)
		return 0;
	if ((list = calloc(ps->nrcpts + nc + 1, sizeof(*list))) == NULL ||
	    (rargs = calloc(ps->nrcpts + nc + 1, sizeof(*rargs))) == NULL) {
		free(list);
		return -1;
	}
	for (i = 0; i < ps->nrcpts; i++) {
		rargs[n] = rcpt_params(ps->rcpts[i]);
		list[n++] = ps->rcpts[i];
	}
	for (i = 0; i < nc; i++) {
		ch = msg_change_at(m, i);
		if (ch->kind == MSG_CHANGE_SENDER) {
			/* new parameters replace the client's; none keep them
			 * (as Postfix keeps RET, ENVID and BODY on a milter's
			 * sender change) */
			sender = ch->addr;
			sargs = ch->value && *ch->value ? ch->value : NULL;
		} else if (ch->kind == MSG_ADD_RCPT) {
			rargs[n] = ch->value;	/* add_rcpt's parameters, if any */
			list[n++] = (char *)(uintptr_t)ch->addr;
		} else if (ch->kind == MSG_DEL_RCPT) {
			for (j = 0; j < n; j++)
				if (strcasecmp(list[j], ch->addr) == 0) {
					memmove(list + j, list + j + 1,
					    (n - j - 1) * sizeof(*list));
					memmove(rargs + j, rargs + j + 1,
					    (n - j - 1) * sizeof(*rargs));
					n--;
					j--;
				}
		}
	}
	if (n == 0) {
		/* every recipient deleted: delivered nowhere, like a discard */
		*ok = 2;
		free(list);
		free(rargs);
		return 0;
	}
	if (sender == NULL)
		sender = tx_sender(run_tx(ps->run));
	if (sargs == NULL)
		sargs = ps->mail_params;
	if (proxy_upstream_cmd(ps->up, "RSET", 4, r) < 0)
		goto lost;
	snprintf(line, sizeof(line), "MAIL FROM:<%s>%s%s", sender,
	    sargs && *sargs ? " " : "", sargs ? sargs : "");
	if (proxy_upstream_cmd(ps->up, line, strlen(line), r) < 0)
		goto lost;
	if (r->code / 100 != 2) {
		*ok = 0;
		goto out;
	}
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "RCPT TO:<%s>%s%s", list[i],
		    rargs[i] && *rargs[i] ? " " : "", rargs[i] ? rargs[i] : "");
		if (proxy_upstream_cmd(ps->up, line, strlen(line), r) < 0)
			goto lost;
		if (r->code / 100 == 2)
			accepted++;
	}
	if (accepted == 0)
		*ok = 0;
	goto out;
lost:
	rc = -1;
out:
	free(list);
	free(rargs);
	return rc;
}

/* deliver - the chain let the message pass: send it upstream */
static void
deliver(struct psess *ps)
{
	struct out_ctx o;
	struct smtp_reply r;
	char rec[2048], end[8];
	size_t e;
	int ok;

	if (envelope(ps, &r, &ok) < 0) {
		up_lost(ps, "replaying the changed envelope");
		return;
	}
	if (ok == 0) {
		/* the upstream refused the changed envelope */
		reply_up(ps, &r);
		up_rset(ps);
		return;
	}
	if (ok == 2) {
		reply(ps, "250 2.0.0 Ok: no recipient left, message dropped");
		up_rset(ps);
		return;
	}
	if (proxy_upstream_cmd(ps->up, "DATA", 4, &r) < 0) {
		up_lost(ps, "at DATA");
		return;
	}
	if (r.code != 354) {
		reply_up(ps, &r);
		up_rset(ps);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.ps = ps;
	o.cap = PF_EBUF;
	if (ps->ebuf == NULL)
		ps->ebuf = malloc(PF_EBUF);
	if ((o.buf = ps->ebuf) == NULL) {
		/* cannot send the message: the upstream must not take a half one */
		up_lost(ps, "out of memory");
		return;
	}
	smtp_data_encoder_init(&o.enc);
	for (e = 0; e < msg_change_count(tx_msg(run_tx(ps->run))); e++) {
		const struct msg_change *ch = msg_change_at(tx_msg(run_tx(ps->run)), e);
		if (ch->kind == MSG_QUARANTINE)
			log_warnx("session %s: quarantine asked by %s (%s): a proxy "
			    "has no hold queue, delivering", ps->id,
			    ch->filter ? ch->filter : "?", ch->value ? ch->value : "");
	}
	if (ps->pf->sc->received && !ps->xclient_done) {
		received(ps, rec, sizeof(rec));
		if (proxy_upstream_write(ps->up, rec, strlen(rec)) < 0)
			goto lost;
	}
	if (msg_output(tx_msg(run_tx(ps->run)), out_cb, &o) < 0)
		goto lost;
	e = smtp_data_encode_end(&o.enc, end);
	if (proxy_upstream_write(ps->up, end, e) < 0 ||
	    proxy_upstream_flush(ps->up) < 0 ||
	    proxy_upstream_reply(ps->up, &r) < 0)
		goto lost;
	ps->up_mail = 0;
	reply_up(ps, &r);
	if (r.code / 100 == 2)
		log_info("session %s: delivered from <%s> to %zu recipient%s: %.*s",
		    ps->id, tx_sender(run_tx(ps->run)), ps->nrcpts, ps->nrcpts == 1 ? "" : "s",
		    (int)(r.len > 2 ? r.len - 2 : 0), r.text);
	return;
lost:
	/*
	 * The upstream may hold part of the message: closing the connection
	 * without the final dot makes it drop it; the client gets 421.
	 */
	up_lost(ps, "sending the message");
}

/* hops - count Received: fields */
static size_t
hops(struct msg *m)
{
	size_t n = 0;

	while (msg_header(m, "Received", n + 1) != NULL)
		n++;
	return n;
}

/* do_data - DATA: take the message, run the chain, relay */
static void
do_data(struct psess *ps)
{
	const struct config_smtp *sc = ps->pf->sc;
	struct smtp_data_limits dl;
	struct smtp_data_decoder *dec = NULL;
	struct decision d;
	enum smtp_data_status st = SMTP_DATA_MORE;
	struct msg *m;
	char *obuf;
	size_t used, olen;
	unsigned flags;
	int r, werr = 0;

	if (run_tx(ps->run) == NULL) {
		reply(ps, "503 5.5.1 Error: need RCPT command");
		return;
	}
	if (ps->nrcpts == 0) {
		reply(ps, "554 5.5.1 Error: no valid recipients");
		return;
	}
	(void)run_data(ps->run, &d);
	if (refuse(ps, &d))
		return;
	if (run_discarded(ps->run))
		ps->discard = 1;
	dl.max_size = sc->max_message_size;
	dl.normalize_lf = sc->bare_newline == CONFIG_BARE_NL_NORMALIZE;
	if (ps->dbuf == NULL)
		ps->dbuf = malloc(PF_INBUF + 16);
	if ((obuf = ps->dbuf) == NULL ||
	    (dec = smtp_data_decoder_new(&dl)) == NULL) {
		smtp_data_decoder_free(dec);
		reply(ps, "451 4.3.0 Error: insufficient system resources");
		return;
	}
	reply(ps, "354 End data with <CR><LF>.<CR><LF>");
	if (flush(ps) < 0) {
		ps->close = 1;
		goto out;
	}
	m = tx_msg(run_tx(ps->run));
	for (;;) {
		while (ps->inoff < ps->inlen) {
			st = smtp_data_decode(dec, ps->in + ps->inoff,
			    ps->inlen - ps->inoff, &used, obuf, PF_INBUF + 16, &olen);
			ps->inoff += used;
			if (olen > 0 && !werr && msg_write(m, obuf, olen) < 0)
				werr = errno ? errno : EIO;
			if (st == SMTP_DATA_END)
				break;
		}
		if (st == SMTP_DATA_END)
			break;
		r = fill(ps, ps->pf->cfg->timeout_data_ms, 0);
		if (r <= 0) {
			/* the client left or stalled before the final dot: nothing goes upstream */
			if (r == -2)
				reply(ps, "421 4.4.2 %s Error: timeout exceeded",
				    ps->pf->hostname);
			else if (r == -3)
				reply(ps, "421 4.3.2 %s Service shutting down",
				    ps->pf->hostname);
			ps->close = 1;
			goto out;
		}
	}
	flags = smtp_data_flags(dec);
	if (!werr && msg_write_end(m) < 0)
		werr = errno ? errno : EIO;
	if (flags & SMTP_DATA_F_BARENL) {
		reply(ps, "550 5.5.2 Error: bare <CR> or <LF> received");
		goto end_tx;
	}
	if (flags & SMTP_DATA_F_TOOBIG) {
		reply(ps, "552 5.3.4 Error: message file too big");
		goto end_tx;
	}
	if (werr) {
		log_warnx("session %s: spooling the message: %s", ps->id, strerror(werr));
		reply(ps, "451 4.3.0 Error: queue file write error");
		goto end_tx;
	}
	if (sc->max_hops && hops(m) > sc->max_hops) {
		reply(ps, "554 5.4.6 Error: too many hops (mail loop)");
		goto end_tx;
	}
	(void)run_headers(ps->run, &d);
	if (!decision_refuses(&d))
		(void)run_eom(ps->run, &d);
	if (refuse(ps, &d))
		goto end_tx;
	if (ps->discard || run_discarded(ps->run)) {
		log_info("session %s: message discarded by %s", ps->id,
		    d.by[0] ? d.by : "a filter");
		reply(ps, "250 2.0.0 Ok: discarded");
		goto end_tx;
	}
	deliver(ps);
	drop_tx(ps);
	goto out;
end_tx:
	drop_tx(ps);
	up_rset(ps);
out:
	smtp_data_decoder_free(dec);
}

/* do_simple - RSET, NOOP, QUIT, HELP, VRFY and the rest */
static void
do_simple(struct psess *ps, const struct smtp_cmd *cmd)
{
	struct smtp_reply r;

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
		if (ps->up != NULL && proxy_upstream_cmd(ps->up, "QUIT", 4, &r) == 0 &&
		    r.code / 100 == 2)
			reply_up(ps, &r);
		else
			reply(ps, "221 2.0.0 Bye");
		ps->close = 1;
		break;
	case SMTP_VERB_HELP:
		reply(ps, "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT");
		break;
	case SMTP_VERB_VRFY:
	case SMTP_VERB_EXPN:
		reply(ps, "502 5.5.1 %s command is disabled", smtp_cmd_verb_name(cmd->verb));
		break;
	case SMTP_VERB_XCLIENT:
	case SMTP_VERB_XFORWARD:
		reply(ps, "550 5.7.0 Error: insufficient authorization");
		break;
	case SMTP_VERB_STARTTLS:
	case SMTP_VERB_AUTH:
	case SMTP_VERB_BDAT:
	case SMTP_VERB_ETRN:
		reply(ps, "502 5.5.1 Error: command not implemented");
		break;
	default:
		reply(ps, "502 5.5.2 Error: command not recognized");
		break;
	}
}

/* command - one parsed command line */
static void
command(struct psess *ps, enum smtp_cmd_status st, const struct smtp_cmd *cmd)
{
	switch (st) {
	case SMTP_CMD_ERR_TOOLONG:
		reply(ps, "500 5.5.2 Error: line too long");
		return;
	case SMTP_CMD_ERR_BARENL:
		reply(ps, "550 5.5.2 Error: bare <CR> or <LF> received");
		ps->close = 1;
		return;
	case SMTP_CMD_ERR_SYNTAX:
		if (refused(ps, cmd->verb))
			return;
		if (cmd->verb == SMTP_VERB_UNKNOWN)
			reply(ps, "500 5.5.2 Error: bad syntax");
		else
			reply(ps, "501 5.5.4 Syntax: %s%s%s", smtp_cmd_verb_name(cmd->verb),
			    cmd->error ? ": " : "", cmd->error ? cmd->error : "");
		return;
	default:
		break;
	}
	if (refused(ps, cmd->verb))
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

/* start - connect phase: chain, upstream, greeting; 0 to go on */
static int
start(struct psess *ps)
{
	struct decision d;
	struct smtp_reply r;
	char err[512];

	(void)run_connect(ps->run, &d);
	if (decision_refuses(&d)) {
		/* as a milter would: a greeting, then every command gets the reply */
		reply(ps, "220 %s ESMTP", ps->pf->hostname);
		return 0;
	}
	ps->up = proxy_upstream_connect(ps->pf->sc->upstream,
	    ps->pf->cfg->timeout_upstream_ms, err, sizeof(err));
	if (ps->up == NULL) {
		log_warnx("session %s: %s", ps->id, err);
		reply(ps, "421 4.3.0 %s Service not available: upstream not reachable",
		    ps->pf->hostname);
		return -1;
	}
	if (proxy_upstream_reply(ps->up, &r) < 0) {
		log_warnx("session %s: upstream greeting: %s", ps->id,
		    proxy_upstream_error(ps->up));
		reply(ps, "421 4.3.0 %s Service not available: upstream not responding",
		    ps->pf->hostname);
		return -1;
	}
	reply_up(ps, &r);
	if (r.code / 100 != 2)
		ps->close = r.code == 421;
	return 0;
}

/* client_run - one client session, start to end; frees ps */
static void
client_run(struct psess *ps)
{
	struct proxy_front *pf = ps->pf;
	struct smtp_cmd_limits cl;
	struct smtp_cmd cmd;
	enum smtp_cmd_status st;
	struct chain *chain;
	int r;

	if (getnameinfo((struct sockaddr *)&ps->ss, ps->sslen, ps->addr,
	    sizeof(ps->addr), NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(ps->addr, sizeof(ps->addr), "unknown");
	ps->port = ps->ss.ss_family == AF_INET6 ?
	    ntohs(((struct sockaddr_in6 *)&ps->ss)->sin6_port) :
	    ntohs(((struct sockaddr_in *)&ps->ss)->sin_port);
	rdns_name((struct sockaddr *)&ps->ss, ps->sslen, ps->addr, ps->name,
	    sizeof(ps->name));
	cl.line_max = SMTP_CMD_LINE_MAX;
	cl.normalize_lf = pf->sc->bare_newline == CONFIG_BARE_NL_NORMALIZE;
	if ((chain = gen_acquire()) == NULL ||
	    (ps->run = run_new(chain, "smtp", ps->addr, ps->port, ps->name)) == NULL ||
	    (ps->cp = smtp_cmd_parser_new(&cl)) == NULL ||
	    (ps->in = malloc(PF_INBUF)) == NULL) {
		if (chain)
			chain_unref(chain);
		reply(ps, "421 4.3.0 %s Error: insufficient system resources",
		    pf->hostname);
		flush(ps);
		goto done;
	}
	chain_unref(chain);	/* the run holds its own reference */
	snprintf(ps->id, sizeof(ps->id), "%s",
	    session_str(run_session(ps->run), PG_S_ID));
	log_debug("session %s: connect from %s [%s]:%d", ps->id, ps->name,
	    ps->addr, ps->port);
	(void)fiber_watch(ps->fd);	/* parking on it costs no system call */
	if (start(ps) < 0)
		ps->close = 1;
	while (!ps->close) {
		/* every complete command in the buffer, then one flush */
		while (!ps->close && ps->inoff < ps->inlen) {
			ps->inoff += smtp_cmd_feed(ps->cp, ps->in + ps->inoff,
			    ps->inlen - ps->inoff);
			st = smtp_cmd_next(ps->cp, &cmd);
			if (st == SMTP_CMD_MORE)
				break;
			command(ps, st, &cmd);
		}
		if (ps->close)
			break;
		if (flush(ps) < 0)
			break;
		r = fill(ps, pf->cfg->timeout_command_ms, smtp_cmd_pending(ps->cp) == 0);
		if (r == 0 || r == -1)
			break;
		if (r == -2) {
			reply(ps, "421 4.4.2 %s Error: timeout exceeded", pf->hostname);
			break;
		}
		if (r == -3) {
			reply(ps, "421 4.3.2 %s Service shutting down", pf->hostname);
			break;
		}
	}
	flush(ps);
	if (ps->up != NULL && !ps->close) {
		/* the client went away: nothing it sent becomes a message */
		struct smtp_reply rr;
		(void)proxy_upstream_cmd(ps->up, "QUIT", 4, &rr);
	}
done:
	drop_tx(ps);
	run_free(ps->run);
	proxy_upstream_free(ps->up);
	smtp_cmd_parser_free(ps->cp);
	fiber_forget(ps->fd);	/* the close takes it out of the epoll set */
	close(ps->fd);
	free(ps->in);
	free(ps->out);
	free(ps->dbuf);
	free(ps->ebuf);
	free(ps);
	atomic_fetch_sub(&pf->nsessions, 1);
}

/* session_fiber - a client session's fiber */
static void
session_fiber(void *arg)
{
	client_run(arg);
}

/* turn_away - over max_sessions: 421 and close, without a session */
static void
turn_away(struct proxy_front *pf, int fd)
{
	char buf[300];
	int n;

	n = snprintf(buf, sizeof(buf), "421 4.3.2 %s Error: too many sessions, "
	    "try again later\r\n", pf->hostname);
	(void)send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/* accept_fiber - the listener: accept, then a fiber per session */
static void
accept_fiber(void *arg)
{
	struct proxy_front *pf = arg;
	struct sockaddr_storage ss;
	socklen_t sl;
	struct psess *ps;
	int fd, one = 1;

	(void)fiber_watch(pf->lfd);	/* an edge per new connection */
	while (!atomic_load(&pf->stop)) {
		sl = sizeof(ss);
		fd = accept4(pf->lfd, (struct sockaddr *)&ss, &sl,
		    SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				(void)fiber_wait(pf->lfd, FIBER_IN, 0);
			else if (errno == EMFILE || errno == ENFILE)
				usleep(100000);	/* rare: the worker may block */
			continue;
		}
		if (pf->sc->max_sessions &&
		    atomic_load(&pf->nsessions) >= (int)pf->sc->max_sessions) {
			turn_away(pf, fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if ((ps = calloc(1, sizeof(*ps))) == NULL) {
			turn_away(pf, fd);
			continue;
		}
		ps->pf = pf;
		ps->fd = fd;
		memcpy(&ps->ss, &ss, sizeof(ss));
		ps->sslen = sl;
		atomic_fetch_add(&pf->nsessions, 1);
		if (fiber_spawn(session_fiber, ps) != 0) {
			atomic_fetch_sub(&pf->nsessions, 1);
			log_warn("cannot start a session");
			free(ps);
			turn_away(pf, fd);
		}
	}
	fiber_unwatch(pf->lfd);
	atomic_store(&pf->accepting, 0);
}

struct proxy_front *
proxy_front_new(const struct config *cfg, const struct config_smtp *sc,
    char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct proxy_front *pf;
	char host[256], port[32];
	const char *hp = sc->listen, *c;
	size_t n;
	int fd = -1, one = 1, r;

	if (hp == NULL || sc->upstream == NULL) {
		snprintf(err, errlen, "%s:%d: smtp listener needs listen and upstream",
		    cfg->file ? cfg->file : "config", sc->line);
		return NULL;
	}
	if (hp[0] == '[') {
		c = strchr(hp, ']');
		if (c == NULL || c[1] != ':')
			goto bad;
		n = (size_t)(c - hp - 1);
		hp++;
		c++;
	} else {
		if ((c = strrchr(hp, ':')) == NULL)
			goto bad;
		n = (size_t)(c - hp);
	}
	if (n >= sizeof(host) || strlen(c + 1) == 0 || strlen(c + 1) >= sizeof(port))
		goto bad;
	memcpy(host, hp, n);
	host[n] = '\0';
	snprintf(port, sizeof(port), "%s", c + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((r = getaddrinfo(n ? host : NULL, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s:%d: listen %s: %s", cfg->file ? cfg->file :
		    "config", sc->line, sc->listen, gai_strerror(r));
		return NULL;
	}
	snprintf(err, errlen, "%s:%d: listen %s: no address", cfg->file ?
	    cfg->file : "config", sc->line, sc->listen);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol)) < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
			break;
		snprintf(err, errlen, "%s:%d: listen %s: %s", cfg->file ? cfg->file :
		    "config", sc->line, sc->listen, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return NULL;
	if ((pf = calloc(1, sizeof(*pf))) == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pf->cfg = cfg;
	pf->sc = sc;
	pf->lfd = fd;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (gethostname(pf->hostname, sizeof(pf->hostname) - 1) != 0 ||
	    pf->hostname[0] == '\0')
		snprintf(pf->hostname, sizeof(pf->hostname), "localhost");
	return pf;
bad:
	snprintf(err, errlen, "%s:%d: bad listen address %s (want host:port or "
	    "[v6]:port)", cfg->file ? cfg->file : "config", sc->line, sc->listen);
	return NULL;
}

int
proxy_front_start(struct proxy_front *pf)
{
	atomic_store(&pf->accepting, 1);
	if (fiber_spawn(accept_fiber, pf) != 0) {
		atomic_store(&pf->accepting, 0);
		return -1;
	}
	log_info("smtp proxy listening on %s, upstream %s", pf->sc->listen,
	    pf->sc->upstream);
	return 0;
}

void
proxy_front_stop(struct proxy_front *pf)
{
	uint64_t hard;
	int kicked_late = 0;

	if (pf == NULL)
		return;
	pf->stop_deadline = clock_ms() + PF_GRACE_MS;
	atomic_store(&pf->stop, 1);
	fiber_kick_all();
	while (atomic_load(&pf->accepting))
		usleep(5000);
	if (pf->lfd >= 0) {
		close(pf->lfd);
		pf->lfd = -1;
	}
	hard = pf->stop_deadline + 5000;
	while (atomic_load(&pf->nsessions) > 0 && clock_ms() < hard) {
		if (!kicked_late && clock_ms() >= pf->stop_deadline) {
			fiber_kick_all();	/* busy sessions: the grace is over */
			kicked_late = 1;
		}
		usleep(20000);
	}
}

void
proxy_front_free(struct proxy_front *pf)
{
	if (pf == NULL)
		return;
	if (atomic_load(&pf->nsessions) > 0) {
		/* sessions still hold pf: leave it (we are exiting anyway) */
		log_warnx("smtp proxy %s: %d sessions did not end", pf->sc->listen,
		    atomic_load(&pf->nsessions));
		return;
	}
	if (atomic_load(&pf->accepting))
		proxy_front_stop(pf);
	if (pf->lfd >= 0)
		close(pf->lfd);
	free(pf);
}
