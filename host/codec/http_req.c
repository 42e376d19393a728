/*
 * http_req - one HTTP/1.x request head (see http_req.h)
 *
 * Public: http_req_parse(), http_req_status_code().
 *
 * Hand-written rather than linked: what the stats listener needs is a
 * request line and a few fields of a request without a body, and the C
 * parsers Debian packages are either archived upstream (nodejs
 * http-parser, libhttp-parser2.9) or not packaged as a C library
 * (llhttp); see docs/metrics.md. Stateless: each call parses the buffer
 * from its start, so a caller that gets HTTP_REQ_MORE reads more and
 * calls again (heads are small; HTTP_REQ_HEAD_MAX bounds the rescans).
 *
 * Input is untrusted: every byte is checked against RFC 9112's grammar
 * (tokens, field values, the request target), nothing is copied past its
 * limit, and nothing is allocated.
 */
#include <string.h>

#include "http_req.h"

/* tchar - RFC 9110 section 5.6.2 */
static int
tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* vchar - a field value's byte: visible, obs-text, space or tab */
static int
vchar(unsigned char c)
{
	return c == ' ' || c == '\t' || (c > 0x20 && c != 0x7f);
}

/* ieq - s (n bytes) equals the lower-case word w, ignoring case */
static int
ieq(const char *s, size_t n, const char *w)
{
	size_t i;

	if (strlen(w) != n)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != w[i])
			return 0;
	}
	return 1;
}

/*
 * head_end - the length of the head (through its empty line) in buf, 0
 * when it has not all come; *lines the number of lines before the empty one
 */
static size_t
head_end(const char *buf, size_t len, size_t *lines)
{
	const char *nl;
	size_t at = 0, n = 0, ll;

	while (at < len && (nl = memchr(buf + at, '\n', len - at)) != NULL) {
		ll = (size_t)(nl - (buf + at));
		if (ll > 0 && buf[at + ll - 1] == '\r')
			ll--;
		at = (size_t)(nl - buf) + 1;
		if (ll == 0 && n > 0) {
			*lines = n;
			return at;
		}
		if (ll > 0)
			n++;
	}
	return 0;
}

/* struct line - one line of the head, without its line end */
struct line {
	const char	*p;
	size_t		 n;
};

/* next_line - the line at *at (past any line end); 0, or -1: a bare CR or a NUL */
static int
next_line(const char *buf, size_t *at, struct line *l)
{
	const char *s = buf + *at, *nl = strchr(s, '\n');
	size_t n = (size_t)(nl - s), i;

	*at += n + 1;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	for (i = 0; i < n; i++)
		if (s[i] == '\r' || s[i] == '\0')
			return -1;
	l->p = s;
	l->n = n;
	return 0;
}

/* target - the request target: origin-form, absolute-form or "*" */
static enum http_req_status
target(const char *p, size_t n, struct http_req *req)
{
	const char *path = p, *q, *slash;
	size_t i, pn;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return HTTP_REQ_ERR_SYNTAX;
	if (n >= HTTP_REQ_TARGET_MAX)
		return HTTP_REQ_ERR_TARGET;
	memcpy(req->target, p, n);
	req->target[n] = '\0';
	if (n == 1 && p[0] == '*') {
		strcpy(req->path, "*");
		return HTTP_REQ_OK;
	}
	if (n == 0)
		return HTTP_REQ_ERR_SYNTAX;
	if (p[0] != '/') {	/* absolute-form: scheme "://" authority path */
		if ((q = strstr(req->target, "://")) == NULL || q == req->target)
			return HTTP_REQ_ERR_SYNTAX;
		slash = strchr(q + 3, '/');
		path = slash != NULL ? p + (slash - req->target) : "/";
		n = slash != NULL ? n - (size_t)(slash - req->target) : 1;
	}
	for (pn = 0; pn < n && path[pn] != '?' && path[pn] != '#'; pn++)
		;
	memcpy(req->path, path, pn);
	req->path[pn] = '\0';
	return HTTP_REQ_OK;
}

/* request_line - METHOD SP target SP HTTP/1.x */
static enum http_req_status
request_line(const struct line *l, struct http_req *req)
{
	const char *sp1, *sp2, *v;
	size_t mn, vn;
	enum http_req_status st;

	if ((sp1 = memchr(l->p, ' ', l->n)) == NULL)
		return HTTP_REQ_ERR_SYNTAX;
	mn = (size_t)(sp1 - l->p);
	if (mn == 0 || mn >= HTTP_REQ_METHOD_MAX)
		return HTTP_REQ_ERR_SYNTAX;
	for (v = l->p; v < sp1; v++)
		if (!tchar((unsigned char)*v))
			return HTTP_REQ_ERR_SYNTAX;
	memcpy(req->method, l->p, mn);
	req->method[mn] = '\0';
	sp2 = memchr(sp1 + 1, ' ', l->n - mn - 1);
	if (sp2 == NULL)
		return HTTP_REQ_ERR_SYNTAX;
	if ((st = target(sp1 + 1, (size_t)(sp2 - sp1 - 1), req)) != HTTP_REQ_OK)
		return st;
	v = sp2 + 1;
	vn = l->n - (size_t)(v - l->p);
	if (vn == 8 && memcmp(v, "HTTP/1.", 7) == 0 && (v[7] == '0' ||
	    v[7] == '1')) {
		req->minor = v[7] - '0';
		return HTTP_REQ_OK;
	}
	if (vn == 8 && memcmp(v, "HTTP/", 5) == 0 && v[5] >= '0' &&
	    v[5] <= '9' && v[6] == '.' && v[7] >= '0' && v[7] <= '9')
		return HTTP_REQ_ERR_VERSION;
	return HTTP_REQ_ERR_SYNTAX;
}

/* what the fields said */
struct fields {
	unsigned	 hosts;
	int		 close, keep;
	int		 body;
};

/* connection - the Connection field's options */
static void
connection(const char *v, size_t n, struct fields *f)
{
	size_t i = 0, s;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		for (s = i; i < n && v[i] != ',' && v[i] != ' ' &&
		    v[i] != '\t'; i++)
			;
		if (ieq(v + s, i - s, "close"))
			f->close = 1;
		else if (ieq(v + s, i - s, "keep-alive"))
			f->keep = 1;
	}
}

/* field - one "name: value" line */
static enum http_req_status
field(const struct line *l, struct fields *f)
{
	const char *colon = memchr(l->p, ':', l->n), *v;
	size_t nn, vn, i;

	if (l->p[0] == ' ' || l->p[0] == '\t' || colon == NULL ||
	    colon == l->p)
		return HTTP_REQ_ERR_SYNTAX;	/* obs-fold, no name */
	nn = (size_t)(colon - l->p);
	for (i = 0; i < nn; i++)
		if (!tchar((unsigned char)l->p[i]))
			return HTTP_REQ_ERR_SYNTAX;
	v = colon + 1;
	vn = l->n - nn - 1;
	for (i = 0; i < vn; i++)
		if (!vchar((unsigned char)v[i]))
			return HTTP_REQ_ERR_SYNTAX;
	while (vn > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vn--;
	}
	while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
		vn--;
	if (ieq(l->p, nn, "host"))
		f->hosts++;
	else if (ieq(l->p, nn, "transfer-encoding"))
		f->body = 1;
	else if (ieq(l->p, nn, "content-length")) {
		if (vn == 0)
			return HTTP_REQ_ERR_SYNTAX;
		for (i = 0; i < vn; i++) {
			if (v[i] < '0' || v[i] > '9')
				return HTTP_REQ_ERR_SYNTAX;
			if (v[i] != '0')
				f->body = 1;
		}
	} else if (ieq(l->p, nn, "connection"))
		connection(v, vn, f);
	return HTTP_REQ_OK;
}

enum http_req_status
http_req_parse(const char *buf, size_t len, const struct http_req_limits *lim,
    struct http_req *req, size_t *used)
{
	size_t head_max = lim != NULL && lim->head_max ? lim->head_max :
	    HTTP_REQ_HEAD_MAX;
	unsigned fields_max = lim != NULL && lim->fields_max ?
	    lim->fields_max : HTTP_REQ_FIELDS_MAX;
	struct fields f = { 0, 0, 0, 0 };
	enum http_req_status st;
	size_t end, lines, at = 0, i;
	struct line l;

	memset(req, 0, sizeof(*req));
	if ((end = head_end(buf, len > head_max ? head_max : len,
	    &lines)) == 0)
		return len >= head_max ? HTTP_REQ_ERR_TOOLARGE : HTTP_REQ_MORE;
	if (memchr(buf, '\0', end) != NULL)
		return HTTP_REQ_ERR_SYNTAX;
	if (lines - 1 > fields_max)
		return HTTP_REQ_ERR_TOOLARGE;
	do {			/* empty lines before the request line */
		if (next_line(buf, &at, &l) == -1)
			return HTTP_REQ_ERR_SYNTAX;
	} while (l.n == 0);
	if ((st = request_line(&l, req)) != HTTP_REQ_OK)
		return st;
	for (i = 1; i < lines; i++) {
		if (next_line(buf, &at, &l) == -1 ||
		    (st = field(&l, &f)) != HTTP_REQ_OK)
			return st == HTTP_REQ_OK ? HTTP_REQ_ERR_SYNTAX : st;
		req->nfields++;
	}
	if (f.body)
		return HTTP_REQ_ERR_BODY;
	if (req->minor == 1 && f.hosts != 1)
		return HTTP_REQ_ERR_HOST;
	req->keep_alive = req->minor == 1 ? !f.close : f.keep && !f.close;
	*used = end;
	return HTTP_REQ_OK;
}

int
http_req_status_code(enum http_req_status st)
{
	switch (st) {
	case HTTP_REQ_OK:		return 200;
	case HTTP_REQ_ERR_TOOLARGE:	return 431;
	case HTTP_REQ_ERR_TARGET:	return 414;
	case HTTP_REQ_ERR_VERSION:	return 505;
	default:			return 400;
	}
}
