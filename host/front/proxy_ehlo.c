/*
 * proxy_ehlo - the proxy's HELO/EHLO exchange and reply (proxy_ehlo.h)
 *
 * Public: proxy_ehlo_upstream(), proxy_ehlo_reply().
 *
 * The client's own EHLO argument goes upstream as it came (the command
 * parser has bounded it); XCLIENT values are xtext-encoded (RFC 1891), so
 * nothing the client or the DNS sent can add an attribute. The upstream's
 * reply lines are passed on only for the extensions in passed[], each
 * whole; SIZE is rewritten. A refused XCLIENT is logged and the session
 * goes on without it. No allocation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proxy_ehlo.h"
#include "proxy_ident.h"

/* EHLO keywords passed on to the client */
static const char *const passed[] = { "PIPELINING", "SIZE", "8BITMIME",
    "SMTPUTF8", "ENHANCEDSTATUSCODES", "DSN" };

/* is_passed - an EHLO line the client gets */
static int
is_passed(const char *l, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
		if (smtp_reply_ehlo_keyword(l, n, passed[i]))
			return 1;
	return 0;
}

/* caps_of - what the upstream's EHLO reply r offers */
static int
caps_of(struct proxy_upstream *up, const struct smtp_reply *r)
{
	const char *l;
	size_t i, n;
	int caps = 0;

	for (i = 1; i < r->nlines; i++) {
		if ((l = proxy_upstream_line(up, i, &n)) == NULL)
			continue;
		if (smtp_reply_ehlo_keyword(l, n, "PIPELINING"))
			caps |= PROXY_EHLO_PIPELINING;
		if (smtp_reply_ehlo_keyword(l, n, "XCLIENT"))
			caps |= PROXY_EHLO_XCLIENT;
	}
	return caps;
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

/* cmd - one command line upstream; -1 (e->when set) when the upstream is lost */
static int
cmd(struct proxy_upstream *up, struct proxy_ehlo *e, const char *verb,
    const char *arg, struct smtp_reply *r, const char *when)
{
	char line[2600];
	int n;

	n = snprintf(line, sizeof(line), "%s%s%s", verb, arg ? " " : "",
	    arg ? arg : "");
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    proxy_upstream_cmd(up, line, (size_t)n, r) < 0) {
		e->when = when;
		return -1;
	}
	return 0;
}

/* xclient - XCLIENT with the real client, then EHLO again; 0 or -1 */
static int
xclient(struct proxy_upstream *up, struct proxy_ehlo *e, struct smtp_reply *r)
{
	const struct proxy_ehlo_client *cl = e->xclient;
	char a[300], n[800], h[1100], port[16], line[2500];

	xtext(a, sizeof(a), cl->addr);
	xtext(n, sizeof(n), cl->name);
	xtext(h, sizeof(h), e->helo);
	if (cl->port > 0)
		snprintf(port, sizeof(port), "%d", cl->port);
	else
		snprintf(port, sizeof(port), "[UNAVAILABLE]");
	snprintf(line, sizeof(line), "ADDR=%s PORT=%s NAME=%s HELO=%s PROTO=%s",
	    a, port, n, h, e->esmtp ? "ESMTP" : "SMTP");
	if (cmd(up, e, "XCLIENT", line, r, "at XCLIENT") < 0)
		return -1;
	if (r->code / 100 == 2) {
		e->xclient_done = 1;
		if (cmd(up, e, "EHLO", e->helo, r, "at EHLO after XCLIENT") < 0)
			return -1;
		if (r->code / 100 == 2)
			e->caps = caps_of(up, r);
		return 0;
	}
	log_warnx("session %s: upstream refused XCLIENT: %d%s", e->id, r->code,
	    e->xclient_required ? " (xclient = \"required\": 421 to the "
	    "client)" : "");
	if (e->xclient_required)
		return PROXY_EHLO_NO_XCLIENT;
	return cmd(up, e, "EHLO", e->helo, r, "at EHLO");
}

/* no_xclient - XCLIENT asked for, and the upstream does not offer it */
static int
no_xclient(struct proxy_ehlo *e)
{
	if (e->xclient_required) {
		log_warnx("session %s: the upstream does not offer XCLIENT "
		    "(xclient = \"required\": 421 to the client)", e->id);
		return PROXY_EHLO_NO_XCLIENT;
	}
	if (proxy_ident_warn_once(e->gen))
		log_warnx("session %s: xclient = true but the upstream does "
		    "not offer XCLIENT: it sees phasegate as the client (see "
		    "docs/proxy.md; this is logged once per configuration)",
		    e->id);
	return 0;
}

int
proxy_ehlo_upstream(struct proxy_upstream *up, struct proxy_ehlo *e,
    struct smtp_reply *r)
{
	e->caps = 0;
	e->when = NULL;
	if (cmd(up, e, "EHLO", e->helo, r, "at EHLO") < 0)
		return -1;
	/* an upstream without ESMTP: plain HELO */
	if (r->code / 100 == 5 && !e->esmtp &&
	    cmd(up, e, "HELO", e->helo, r, "at HELO") < 0)
		return -1;
	if (r->code / 100 != 2)
		return 0;
	e->caps = caps_of(up, r);
	if (e->xclient != NULL && !e->xclient_done)
		return (e->caps & PROXY_EHLO_XCLIENT) ? xclient(up, e, r) :
		    no_xclient(e);
	return 0;
}

/* size_line - "SIZE n": the smaller of the upstream's limit (line l) and max */
static int
size_line(const char *l, size_t n, uint64_t max, char *buf, size_t len)
{
	uint64_t usz = n > 5 ? strtoull(l + 5, NULL, 10) : 0;

	return snprintf(buf, len, "SIZE %llu", (unsigned long long)
	    (usz && usz < max ? usz : max));
}

enum conn_status
proxy_ehlo_reply(struct conn *c, uint64_t deadline, struct proxy_upstream *up,
    const struct smtp_reply *r, int helo, uint64_t max_size,
    const char *const *extra)
{
	const char *l, *lines[SMTP_REPLY_LINES_MAX];
	size_t lens[SMTP_REPLY_LINES_MAX], i, k = 0, n;
	enum conn_status st = CONN_OK;
	char buf[64];

	for (i = 0; i < r->nlines && k < SMTP_REPLY_LINES_MAX; i++) {
		if ((l = proxy_upstream_line(up, i, &n)) == NULL)
			continue;
		if (i == 0 || is_passed(l, n)) {
			lines[k] = l;
			lens[k++] = n;
		}
		if (helo)
			break;
	}
	/* our own keywords; the "250 " prefix goes by position */
	for (; extra != NULL && *extra != NULL && !helo && k > 0 &&
	    k < SMTP_REPLY_LINES_MAX; extra++) {
		lines[k] = *extra;
		lens[k++] = strlen(*extra);
	}
	for (i = 0; i < k && st == CONN_OK; i++) {
		st = conn_write(c, i + 1 == k ? "250 " : "250-", 4, deadline);
		if (st != CONN_OK)
			break;
		if (i > 0 && max_size &&
		    smtp_reply_ehlo_keyword(lines[i], lens[i], "SIZE"))
			st = conn_write(c, buf, (size_t)size_line(lines[i],
			    lens[i], max_size, buf, sizeof(buf)), deadline);
		else
			st = conn_write(c, lines[i], lens[i], deadline);
		if (st == CONN_OK)
			st = conn_write(c, "\r\n", 2, deadline);
	}
	return st;
}
