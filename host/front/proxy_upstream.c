/*
 * proxy_upstream - one SMTP client connection to the upstream server
 *
 * Public: proxy_upstream_connect(), proxy_upstream_free(),
 * proxy_upstream_set_stop(), proxy_upstream_reply(), proxy_upstream_line(),
 * proxy_upstream_cmd(), proxy_upstream_write(), proxy_upstream_flush(),
 * proxy_upstream_error(), proxy_upstream_conn(), proxy_upstream_quiet().
 *
 * The connection is a conn (conn.h): the address is parsed by addr (any
 * form with a host, or a unix socket), the connect and every later call
 * park the session's fiber and give up after the upstream timeout, each
 * call with its own deadline. Writes are collected in the conn's 64 KiB
 * buffer and sent in large send()s (a message goes out in 64 KiB pieces
 * with its final dot in the last one; TCP_NODELAY), so the upstream's
 * delayed ACK never adds latency. Replies are parsed by smtp_reply
 * (bounded lines and line count) straight from the conn's input buffer.
 * The connection obeys the session's stop once it is set
 * (proxy_upstream_set_stop(); never as idle): a call still waiting when
 * the grace ends fails with "stopping", like a timeout. The upstream
 * speaks only when spoken to: a reply that comes before the command or
 * the data it would answer (a second reply, 250 right after 354) is a
 * protocol error that kills the connection, so it can never be taken as
 * the answer to what we send next.
 * No logging here: errors are kept as text for the caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "clock.h"
#include "conn.h"
#include "proxy_upstream.h"

#define UP_WBUF	(64 * 1024)
#define UP_RBUF	4096

struct proxy_upstream {
	struct conn	*c;
	uint64_t	 timeout_ms;
	struct smtp_reply_parser *rp;
	int		 dead;
	char		 err[256];
};

struct proxy_upstream *
proxy_upstream_connect(const char *hostport, uint64_t timeout_ms, char *err,
    size_t errlen)
{
	struct proxy_upstream *u;
	struct addr a;
	struct conn *c;
	char why[200];

	if (addr_parse(hostport, ADDR_CONNECT, &a, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "bad upstream address %s: %s", hostport, why);
		return NULL;
	}
	c = conn_connect(&a, clock_deadline(timeout_ms), UP_RBUF, UP_WBUF, why,
	    sizeof(why));
	if (c == NULL) {
		snprintf(err, errlen, "upstream %s: %s", hostport, why);
		return NULL;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->rp = smtp_reply_parser_new(0, 0)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(u);
		conn_free(c);
		return NULL;
	}
	u->c = c;
	u->timeout_ms = timeout_ms;
	return u;
}

void
proxy_upstream_free(struct proxy_upstream *u)
{
	if (u == NULL)
		return;
	conn_free(u->c);
	smtp_reply_parser_free(u->rp);
	free(u);
}

void
proxy_upstream_set_stop(struct proxy_upstream *u, const struct conn_stop *stop)
{
	conn_set_stop(u->c, stop);
}

struct conn *
proxy_upstream_conn(struct proxy_upstream *u)
{
	return u->c;
}

const char *
proxy_upstream_error(const struct proxy_upstream *u)
{
	return u->err[0] ? u->err : "no error";
}

/* fail - mark the connection dead, for the reason st (timeout: "<what> timed out") */
static int
fail(struct proxy_upstream *u, enum conn_status st, const char *what)
{
	const char *why;

	switch (st) {
	case CONN_EOF:
	case CONN_SHORT:
		why = "connection closed";
		break;
	case CONN_ERROR:
		why = conn_error(u->c);
		break;
	default:
		why = conn_strstatus(st);
		break;
	}
	if (!u->dead)
		snprintf(u->err, sizeof(u->err), "%s%s%s", st == CONN_TIMEOUT ?
		    what : "", st == CONN_TIMEOUT && what[0] ? " " : "", why);
	u->dead = 1;
	return -1;
}

int
proxy_upstream_flush(struct proxy_upstream *u)
{
	enum conn_status st;

	if (u->dead)
		return -1;
	st = conn_flush(u->c, clock_deadline(u->timeout_ms));
	return st == CONN_OK ? 0 : fail(u, st, "write");
}

int
proxy_upstream_write(struct proxy_upstream *u, const void *p, size_t n)
{
	enum conn_status st;

	if (u->dead)
		return -1;
	st = conn_write(u->c, p, n, clock_deadline(u->timeout_ms));
	return st == CONN_OK ? 0 : fail(u, st, "write");
}

int
proxy_upstream_reply(struct proxy_upstream *u, struct smtp_reply *r)
{
	uint64_t deadline = clock_deadline(u->timeout_ms);
	enum smtp_reply_status rs;
	enum conn_status st;
	const char *p;
	size_t n;

	if (u->dead)
		return -1;
	for (;;) {
		p = conn_data(u->c, &n);
		if (n > 0) {
			/* the parser takes bytes up to one complete reply */
			conn_consume(u->c, smtp_reply_feed(u->rp, p, n));
			rs = smtp_reply_next(u->rp, r);
			if (rs == SMTP_REPLY_OK)
				return 0;
			if (rs != SMTP_REPLY_MORE) {
				u->dead = 1;
				snprintf(u->err, sizeof(u->err), "malformed reply");
				return -1;
			}
		}
		/* a reply takes a round trip: after a short read conn waits first */
		if ((st = conn_fill(u->c, deadline, 0)) != CONN_OK)
			return fail(u, st, "");
	}
}

const char *
proxy_upstream_line(struct proxy_upstream *u, size_t i, size_t *len)
{
	return smtp_reply_line(u->rp, i, len);
}

/* unasked - the upstream spoke out of turn: the connection is dead */
static int
unasked(struct proxy_upstream *u, const char *before)
{
	u->dead = 1;
	snprintf(u->err, sizeof(u->err), "protocol error: a reply came before "
	    "%s was sent", before);
	return -1;
}

int
proxy_upstream_quiet(struct proxy_upstream *u)
{
	enum conn_status st;
	size_t n;

	if (u->dead)
		return -1;
	(void)conn_data(u->c, &n);
	if (n > 0)
		return unasked(u, "the data it answers");
	st = conn_fill(u->c, 0, CONN_NOWAIT);
	if (st == CONN_OK)
		return unasked(u, "the data it answers");
	return st == CONN_TIMEOUT ? 0 : fail(u, st, "");
}

int
proxy_upstream_cmd(struct proxy_upstream *u, const char *line, size_t len,
    struct smtp_reply *r)
{
	size_t n;

	if (u->dead)
		return -1;
	(void)conn_data(u->c, &n);
	if (n > 0)
		return unasked(u, "the command it answers");
	if (proxy_upstream_write(u, line, len) < 0 ||
	    proxy_upstream_write(u, "\r\n", 2) < 0 ||
	    proxy_upstream_flush(u) < 0)
		return -1;
	return proxy_upstream_reply(u, r);
}
