/*
 * msglog - the per-message summary line (see msglog.h)
 *
 * Public: msglog_format(), msglog_line(), msglog_queue_id().
 *
 * The line is built in one buffer of MSGLOG_MAX bytes and logged with one
 * log_info(): one record, one write. Recipients past MSGLOG_RCPTS are
 * counted ("+3 more"), not listed. A reply's lines are joined with a
 * space. Nothing here allocates.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "chain.h"
#include "decision.h"
#include "log.h"
#include "msg.h"
#include "msglog.h"
#include "session.h"
#include "tx.h"

#define MSGLOG_MAX	8000
#define MSGLOG_RCPTS	20

/* a line being built: o the length so far, capped at len - 1 */
struct line {
	char	*p;
	size_t	 len, o;
};

static void
put(struct line *l, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static void
put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n = 1;

	if (l->o + 1 < l->len) {
		va_start(ap, fmt);
		n = vsnprintf(l->p + l->o, l->len - l->o, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < l->len - l->o) {
			l->o += n;
			return;
		}
	}
	if (n > 0) {	/* cut: say so */
		l->o = l->len - 1;
		if (l->len > 4)
			memcpy(l->p + l->len - 4, "...", 4);
	}
}

/* esc - untrusted text for the line: escaped, '"' too, and ' ' unless quoted */
static const char *
esc(const char *s, char *buf, size_t len, int quoted)
{
	char tmp[1024];
	size_t i, o = 0;

	log_escape(tmp, sizeof(tmp), s != NULL ? s : "", s != NULL ?
	    strlen(s) : 0);
	for (i = 0; tmp[i] != '\0' && o + 5 < len; i++) {
		if (tmp[i] == '"' || (!quoted && tmp[i] == ' ')) {
			o += snprintf(buf + o, len - o, "\\x%02x",
			    (unsigned char)tmp[i]);
			continue;
		}
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

/* reply_line - a reply's lines (joined by CRLF) joined by a space */
static const char *
reply_line(const char *r, char *buf, size_t len)
{
	char joined[PG_REPLY_MAX];
	size_t o = 0;

	for (; *r != '\0' && o + 1 < sizeof(joined); r++) {
		if (*r == '\r')
			continue;
		joined[o++] = *r == '\n' ? ' ' : *r;
	}
	joined[o] = '\0';
	return esc(joined, buf, len, 1);
}

/* who - qid, session, client and HELO */
static void
who(struct line *l, const struct msglog_info *in)
{
	struct pg_session *s = in->s;
	const char *qid = in->tx != NULL ? tx_id(in->tx) : NULL;
	const char *helo = session_str(s, PG_S_HELO);
	char e1[512], e2[512], e3[512];

	put(l, "msg qid=%s session=%s", qid != NULL ?
	    esc(qid, e1, sizeof(e1), 0) : "-", session_str(s, PG_S_ID));
	put(l, " frontend=%s client=%s[%s]:%d helo=%s",
	    session_str(s, PG_S_FRONTEND),
	    esc(session_str(s, PG_S_CLIENT_NAME), e1, sizeof(e1), 0),
	    esc(session_str(s, PG_S_CLIENT_ADDR), e2, sizeof(e2), 0),
	    session_client_port(s), helo != NULL ?
	    esc(helo, e3, sizeof(e3), 0) : "-");
}

/* envelope - sender, recipients and size */
static void
envelope(struct line *l, struct pg_tx *tx)
{
	char e[600];
	size_t i, n;

	if (tx == NULL) {
		put(l, " from=- rcpts=0 to=- size=0");
		return;
	}
	n = tx_rcpt_count(tx);
	put(l, " from=<%s> rcpts=%zu to=", esc(tx_sender(tx), e, sizeof(e), 0),
	    n);
	for (i = 0; i < n && i < MSGLOG_RCPTS; i++)
		put(l, "%s<%s>", i ? "," : "", esc(tx_rcpt(tx, i), e,
		    sizeof(e), 0));
	if (n == 0)
		put(l, "-");
	else if (n > MSGLOG_RCPTS)
		put(l, ",+%zu more", n - MSGLOG_RCPTS);
	put(l, " size=%lld", tx_msg(tx) != NULL ?
	    (long long)msg_size(tx_msg(tx)) : 0LL);
}

/* scores - the score against the threshold and every symbol */
static void
scores(struct line *l, const struct msglog_info *in)
{
	const struct tx_score *sc;
	char e[300];
	size_t i, n = in->tx != NULL ? tx_score_count(in->tx) : 0;

	put(l, " score=%.2f", in->tx != NULL ? tx_score_total(in->tx) : 0.0);
	if (!isnan(in->threshold))
		put(l, "/%.2f", in->threshold);
	put(l, " symbols=");
	for (i = 0; i < n; i++) {
		sc = tx_score_at(in->tx, i);
		put(l, "%s%s(%.2f)", i ? "," : "",
		    esc(sc->symbol, e, sizeof(e), 0), sc->points);
	}
	if (n == 0)
		put(l, "-");
}

/* times - time in filters, each filter's, lookups */
static void
times(struct line *l, const struct msglog_info *in)
{
	size_t i, n = in->chain != NULL ? chain_filter_count(in->chain) : 0;
	int any = 0;

	put(l, " time=%.3fms filters=", in->total_us / 1000.0);
	for (i = 0; i < n && in->filter_us != NULL; i++) {
		if (in->filter_us[i] == 0)
			continue;
		put(l, "%s%s:%.3fms", any ? "," : "",
		    chain_filter_name(in->chain, i), in->filter_us[i] / 1000.0);
		any = 1;
	}
	if (!any)
		put(l, "-");
	put(l, " lookups=%u/%llums", in->lookups,
	    (unsigned long long)in->lookup_ms);
}

/*
 * secure - tls=VERSION/CIPHER and auth=LOGIN when the session has them
 * (last on the line: absent in plaintext sessions)
 */
static void
secure(struct line *l, struct pg_session *s)
{
	const struct pg_tls *t = session_tls(s);
	const char *auth = session_str(s, PG_S_AUTH);
	char e1[200], e2[200];

	if (t != NULL)
		put(l, " tls=%s/%s", esc(t->version, e1, sizeof(e1), 0),
		    t->cipher != NULL ? esc(t->cipher, e2, sizeof(e2), 0) : "-");
	if (auth != NULL)
		put(l, " auth=%s", esc(auth, e1, sizeof(e1), 0));
}

void
msglog_format(const struct msglog_info *in, char *buf, size_t len)
{
	struct line l = { buf, len, 0 };
	const struct decision *d = in->d;
	char e[PG_REPLY_MAX + 64];

	if (len == 0)
		return;
	buf[0] = '\0';
	who(&l, in);
	envelope(&l, in->tx);
	put(&l, " result=%s phase=%s by=%s", in->result, in->phase,
	    d != NULL && d->by[0] != '\0' ? esc(d->by, e, sizeof(e), 0) : "-");
	if (d != NULL && decision_refuses(d))
		put(&l, " reply=\"%s\"", reply_line(decision_reply(d), e,
		    sizeof(e)));
	else
		put(&l, " reply=-");
	scores(&l, in);
	times(&l, in);
	if (in->upstream != NULL && in->upstream[0] != '\0')
		put(&l, " upstream=\"%s\"", reply_line(in->upstream, e,
		    sizeof(e)));
	else if (in->upstream != NULL)
		put(&l, " upstream=-");
	secure(&l, in->s);
}

void
msglog_line(const struct msglog_info *in)
{
	char buf[MSGLOG_MAX];

	msglog_format(in, buf, sizeof(buf));
	log_info("%s", buf);
}

/* qid_char - a queue id's character (Postfix: hex or base 52; Sendmail: alnum) */
static int
qid_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z');
}

/* word - the [A-Za-z0-9] word at p, of 6 to len - 1 characters, into buf */
static int
word(const char *p, char *buf, size_t len)
{
	size_t n = 0;

	while (qid_char(p[n]))
		n++;
	if (n < 6 || n >= len || (p[n] != '\0' && p[n] != ' ' &&
	    p[n] != '\r' && p[n] != '\n'))
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 0;
}

int
msglog_queue_id(const char *reply, char *buf, size_t len)
{
	const char *p;

	if (reply == NULL || strncmp(reply, "250", 3) != 0)
		return -1;
	if ((p = strstr(reply, "queued as ")) != NULL)	/* Postfix */
		return word(p + 10, buf, len);
	/* Sendmail: "250 2.0.0 ID Message accepted for delivery" */
	if ((p = strstr(reply, " Message accepted for delivery")) == NULL)
		return -1;
	while (p > reply && p[-1] != ' ')
		p--;
	return word(p, buf, len);
}
