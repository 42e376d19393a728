/*
 * mime_hdr - MIME header values: encoded words, parameters, addresses
 * (see mime_hdr.h)
 *
 * Public: mime_hdr_field(), mime_hdr_decode(), mime_hdr_token(),
 * mime_hdr_param(), mime_hdr_addrs().
 * Input is untrusted: every scan is bounded by len, quotes and comments
 * that never close end at len, at most MAX_SECTIONS RFC 2231 sections of
 * one parameter are joined. Allocation only through the caller's mbuf (and
 * scratch mbufs freed before returning).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "mime_dec.h"
#include "mime_hdr.h"

#define MAX_SECTIONS	64
#define IS_WS(c)	((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

/* lower - ASCII lower case */
static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int
mime_hdr_field(const char *hdr, size_t len, const char *name, size_t n,
    const char **v, size_t *vlen)
{
	const char *p = hdr, *end = hdr + len, *nl, *vs;
	size_t nlen = strlen(name), seen = 0;

	while (p < end) {
		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
			return 0;	/* the empty line: end of header */
		nl = memchr(p, '\n', (size_t)(end - p));
		if ((size_t)(end - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0 && ++seen == n) {
			vs = p + nlen + 1;
			/* the value runs over continuation lines */
			while (nl != NULL && nl + 1 < end &&
			    (nl[1] == ' ' || nl[1] == '\t'))
				nl = memchr(nl + 1, '\n', (size_t)(end - nl - 1));
			*v = vs;
			*vlen = (size_t)((nl != NULL ? nl : end) - vs);
			if (*vlen > 0 && vs[*vlen - 1] == '\r')
				(*vlen)--;
			return 1;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}

/* hexval - 0..15, or -1 */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ew - one parsed encoded word */
struct ew {
	char		 cs[48];
	int		 b64;
	const char	*text;
	size_t		 tlen;
	size_t		 total;	/* bytes of "=?...?=" */
};

/* parse_ew - an encoded word at p, or 0 */
static int
parse_ew(const char *p, const char *end, struct ew *w)
{
	const char *q = p + 2, *cs = q, *t;
	size_t i;

	if (end - p < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	while (q < end && *q != '?' && !IS_WS(*q) && q - cs < 47)
		q++;
	if (q >= end || *q != '?' || q == cs || end - q < 4)
		return 0;
	for (i = 0; cs + i < q && cs[i] != '*'; i++)
		w->cs[i] = (char)lower((unsigned char)cs[i]);
	w->cs[i] = '\0';
	q++;
	if (lower((unsigned char)*q) != 'b' && lower((unsigned char)*q) != 'q')
		return 0;
	w->b64 = lower((unsigned char)*q) == 'b';
	if (q[1] != '?')
		return 0;
	t = q + 2;
	for (q = t; q + 1 < end; q++) {
		if (q[0] == '?' && q[1] == '=')
			break;
		if (*q == '\r' || *q == '\n')
			return 0;
	}
	if (q + 1 >= end)
		return 0;
	w->text = t;
	w->tlen = (size_t)(q - t);
	w->total = (size_t)(q + 2 - p);
	return 1;
}

/* ew_bytes - the decoded bytes of an encoded word, appended to raw */
static int
ew_bytes(const struct ew *w, struct mbuf *raw)
{
	char buf[256];
	size_t i, n, used, off = 0;
	int h, l;

	if (w->b64) {
		while (off < w->tlen) {
			n = w->tlen - off < 300 ? w->tlen - off : 300;
			n -= n % 4 && off + n < w->tlen ? n % 4 : 0;
			used = mime_dec_b64(w->text + off, n, buf, sizeof(buf),
			    NULL, NULL);
			if (mbuf_add(raw, buf, used) == -1)
				return -1;
			off += n;
		}
		return 0;
	}
	for (i = 0; i < w->tlen; i++) {
		char c = w->text[i];

		if (c == '_')
			c = ' ';
		else if (c == '=' && i + 2 < w->tlen &&
		    (h = hexval(w->text[i + 1])) >= 0 &&
		    (l = hexval(w->text[i + 2])) >= 0) {
			c = (char)(h << 4 | l);
			i += 2;
		}
		if (mbuf_addc(raw, c) == -1)
			return -1;
	}
	return 0;
}

/* flush - convert what encoded words of one charset gave */
static int
flush(struct mbuf *raw, const char *cs, struct mbuf *out)
{
	int r = 0;

	if (raw->len > 0 && charset_to_utf8(cs, raw->p, raw->len, out) ==
	    CHARSET_NOMEM)
		r = -1;
	mbuf_reset(raw);
	return r;
}

/* plain_run - length of ordinary text at p: up to white space or "=?" */
static size_t
plain_run(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && !IS_WS(*q) && !(q[0] == '=' && q + 1 < end &&
	    q[1] == '?'))
		q++;
	return q == p ? 1 : (size_t)(q - p);
}

/* decode_words - the loop of mime_hdr_decode() */
static int
decode_words(const char *p, const char *end, struct mbuf *raw,
    struct mbuf *out)
{
	const char *ws = NULL;
	char cs[48] = "";
	int prev_ew = 0;
	struct ew w;
	size_t n;

	while (p < end) {
		if (IS_WS(*p)) {
			if (ws == NULL)
				ws = p;
			p++;
			continue;
		}
		if (parse_ew(p, end, &w)) {
			if (!prev_ew || strcmp(w.cs, cs) != 0) {
				if (flush(raw, cs, out) == -1)
					return -1;
				if (ws != NULL && mbuf_addc(out, ' ') == -1)
					return -1;
				memcpy(cs, w.cs, sizeof(cs));
			}
			if (ew_bytes(&w, raw) == -1)
				return -1;
			ws = NULL;
			prev_ew = 1;
			p += w.total;
			continue;
		}
		if (flush(raw, cs, out) == -1 ||
		    (ws != NULL && mbuf_addc(out, ' ') == -1))
			return -1;
		ws = NULL;
		prev_ew = 0;
		n = plain_run(p, end);
		if (charset_to_utf8(NULL, p, n, out) == CHARSET_NOMEM)
			return -1;
		p += n;
	}
	return flush(raw, cs, out);
}

int
mime_hdr_decode(const char *v, size_t len, struct mbuf *out)
{
	const char *p = v, *end = v + len;
	struct mbuf raw;
	size_t i;
	int r;

	while (p < end && IS_WS(*p))
		p++;
	while (end > p && IS_WS(end[-1]))
		end--;
	/* the common case: plain ASCII on one line */
	for (i = 0; p + i < end; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x80 || c == '\r' || c == '\n' || c == 0 ||
		    (c == '=' && p + i + 1 < end && p[i + 1] == '?'))
			break;
	}
	if (p + i == end)
		return mbuf_add(out, p, i) == -1 ? -1 : 1;
	mbuf_init(&raw, 0);
	r = decode_words(p, end, &raw, out);
	mbuf_free(&raw);
	return r == -1 ? -1 : 1;
}

/* skip_comment - past a (comment) starting at p (nesting, quoted pairs) */
static const char *
skip_comment(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
	}
	return end;
}

int
mime_hdr_token(const char *v, size_t len, struct mbuf *out)
{
	const char *p = v, *end = v + len;
	size_t start = out->len;

	while (p < end && *p != ';') {
		if (*p == '(') {
			p = skip_comment(p, end);
			continue;
		}
		if (!IS_WS(*p) && *p != '"' &&
		    mbuf_addc(out, lower((unsigned char)*p)) == -1)
			return -1;
		p++;
	}
	return out->len > start ? 1 : 0;
}

/* section - one name*N*= piece of a parameter */
struct section {
	int		 num;	/* -1: the plain name= */
	int		 ext;	/* charset'lang'%XX form */
	int		 quoted;
	const char	*v;
	size_t		 vlen;
};

/* param_value - the value at p (quoted or up to ';'); returns the end */
static const char *
param_value(const char *p, const char *end, struct section *s)
{
	const char *q;

	s->quoted = 0;
	if (p < end && *p == '"') {
		for (q = ++p; q < end && *q != '"'; q++)
			if (*q == '\\' && q + 1 < end)
				q++;
		s->v = p;
		s->vlen = (size_t)(q - p);
		s->quoted = 1;
		return q < end ? q + 1 : end;
	}
	for (q = p; q < end && *q != ';'; q++)
		;
	s->v = p;
	s->vlen = (size_t)(q - p);
	while (s->vlen > 0 && IS_WS(p[s->vlen - 1]))
		s->vlen--;
	return q;
}

/* match_attr - whether attr (alen bytes) names name; fills num and ext */
static int
match_attr(const char *a, size_t alen, const char *name, struct section *s)
{
	size_t nlen = strlen(name), i;

	if (alen < nlen || strncasecmp(a, name, nlen) != 0)
		return 0;
	s->num = -1;
	s->ext = 0;
	if (alen == nlen)
		return 1;
	if (a[nlen] != '*')
		return 0;
	if (alen == nlen + 1) {
		s->num = 0;
		s->ext = 1;
		return 1;
	}
	s->num = 0;
	for (i = nlen + 1; i < alen && a[i] >= '0' && a[i] <= '9'; i++)
		if ((s->num = s->num * 10 + (a[i] - '0')) > 10000)
			return 0;
	if (i == alen)
		return 1;
	if (i + 1 == alen && a[i] == '*') {
		s->ext = 1;
		return 1;
	}
	return 0;
}

/* collect - the sections of name in v; returns how many */
static size_t
collect(const char *v, size_t len, const char *name, struct section *sec)
{
	const char *p = v, *end = v + len, *a;
	size_t n = 0, alen;
	int inq = 0;

	/* past the main value */
	for (; p < end && (inq || *p != ';'); p++)
		if (*p == '"')
			inq = !inq;
	while (p < end) {
		while (p < end && (IS_WS(*p) || *p == ';'))
			p++;
		if (p < end && *p == '(') {
			p = skip_comment(p, end);
			continue;
		}
		for (a = p; p < end && *p != '=' && *p != ';'; p++)
			;
		alen = (size_t)(p - a);
		while (alen > 0 && IS_WS(a[alen - 1]))
			alen--;
		if (p >= end || *p != '=')
			continue;
		p++;
		while (p < end && IS_WS(*p))
			p++;
		if (n < MAX_SECTIONS && match_attr(a, alen, name, &sec[n])) {
			p = param_value(p, end, &sec[n]);
			n++;
		} else {
			struct section skip;

			p = param_value(p, end, &skip);
		}
	}
	return n;
}

/* by_num - qsort order of sections */
static int
by_num(const void *a, const void *b)
{
	const struct section *x = a, *y = b;

	return (x->num > y->num) - (x->num < y->num);
}

/* unquote - a section's bytes: quoted pairs undone, %XX for ext ones */
static int
unquote(const struct section *s, const char *from, struct mbuf *raw)
{
	const char *p = from, *end = s->v + s->vlen;
	int h, l;

	for (; p < end; p++) {
		if (s->quoted && *p == '\\' && p + 1 < end)
			p++;
		else if (s->ext && *p == '%' && end - p >= 3 &&
		    (h = hexval(p[1])) >= 0 && (l = hexval(p[2])) >= 0) {
			if (mbuf_addc(raw, h << 4 | l) == -1)
				return -1;
			p += 2;
			continue;
		}
		if (*p != '\r' && *p != '\n' && mbuf_addc(raw, *p) == -1)
			return -1;
	}
	return 0;
}

/* join_2231 - sections 0.. joined, the charset of the first applied */
static int
join_2231(struct section *sec, size_t n, struct mbuf *raw, char *cs,
    size_t cslen)
{
	const char *from, *q1, *q2, *end;
	size_t i;

	qsort(sec, n, sizeof(*sec), by_num);
	cs[0] = '\0';
	for (i = 0; i < n; i++) {
		if (sec[i].num < 0)
			continue;
		from = sec[i].v;
		end = sec[i].v + sec[i].vlen;
		if (sec[i].ext && sec[i].num == 0 &&
		    (q1 = memchr(from, '\'', sec[i].vlen)) != NULL &&
		    (q2 = memchr(q1 + 1, '\'', (size_t)(end - q1 - 1))) != NULL) {
			if ((size_t)(q1 - from) < cslen) {
				memcpy(cs, from, (size_t)(q1 - from));
				cs[q1 - from] = '\0';
			}
			from = q2 + 1;
		}
		if (unquote(&sec[i], from, raw) == -1)
			return -1;
	}
	return 0;
}

int
mime_hdr_param(const char *v, size_t len, const char *name, struct mbuf *out)
{
	struct section sec[MAX_SECTIONS];
	struct mbuf raw;
	size_t n, i;
	char cs[48];
	int r = 1, has2231 = 0;

	if ((n = collect(v, len, name, sec)) == 0)
		return 0;
	for (i = 0; i < n; i++)
		has2231 |= sec[i].num >= 0;
	mbuf_init(&raw, 0);
	if (has2231) {
		if (join_2231(sec, n, &raw, cs, sizeof(cs)) == -1 ||
		    charset_to_utf8(cs[0] ? cs : NULL, raw.p ? raw.p : "",
		    raw.len, out) == CHARSET_NOMEM)
			r = -1;
	} else if (unquote(&sec[0], sec[0].v, &raw) == -1 ||
	    mime_hdr_decode(raw.p ? raw.p : "", raw.len, out) == -1)
		r = -1;
	mbuf_free(&raw);
	return r;
}

/* mailbox - one item of an address list: split into name and address */
static int
mailbox(const char *s, const char *e, struct mbuf *nm, struct mbuf *ad)
{
	const char *p, *lt = NULL, *gt = NULL, *cm = NULL, *cme = NULL;
	int inq = 0;

	for (p = s; p < e; p++) {
		if (*p == '\\' && inq && p + 1 < e)
			p++;
		else if (*p == '"')
			inq = !inq;
		else if (!inq && *p == '(' && lt == NULL) {
			cm = p + 1;
			p = skip_comment(p, e) - 1;
			cme = p;
		} else if (!inq && *p == '<' && lt == NULL)
			lt = p;
		else if (!inq && *p == '>' && lt != NULL && gt == NULL)
			gt = p;
	}
	mbuf_reset(nm);
	mbuf_reset(ad);
	if (lt != NULL) {
		const char *ae = gt != NULL ? gt : e;

		for (p = lt + 1; p < ae; p++)
			if (!IS_WS(*p) && mbuf_addc(ad, *p) == -1)
				return -1;
		for (p = s, inq = 0; p < lt; p++) {
			if (*p == '"') {
				inq = !inq;
				continue;
			}
			if (*p == '\\' && inq && p + 1 < lt)
				p++;
			else if (*p == '(' && !inq) {
				p = skip_comment(p, lt) - 1;
				continue;
			}
			if (mbuf_addc(nm, *p) == -1)
				return -1;
		}
		return 0;
	}
	for (p = s; p < e; p++) {
		if (*p == '(') {
			p = skip_comment(p, e) - 1;
			continue;
		}
		if (!IS_WS(*p) && *p != '"' && mbuf_addc(ad, *p) == -1)
			return -1;
	}
	if (cm != NULL && cme != NULL && cme > cm &&
	    mbuf_add(nm, cm, (size_t)(cme - cm)) == -1)
		return -1;
	return 0;
}

/* emit - decode the name of one mailbox and hand it to cb */
static int
emit(struct mbuf *nm, struct mbuf *ad, struct mbuf *dec,
    int (*cb)(void *, const char *, const char *), void *ctx)
{
	mbuf_reset(dec);
	if (mime_hdr_decode(nm->p ? nm->p : "", nm->len, dec) == -1 ||
	    mbuf_add(dec, "", 0) == -1 || mbuf_add(ad, "", 0) == -1)
		return -1;
	if (ad->len == 0 && dec->len == 0)
		return 0;
	return cb(ctx, dec->p, ad->p) == -1 ? -2 : 1;
}

int
mime_hdr_addrs(const char *v, size_t len,
    int (*cb)(void *, const char *, const char *), void *ctx)
{
	const char *p, *s = v, *end = v + len;
	struct mbuf nm, ad, dec;
	int inq = 0, inang = 0, count = 0, r = 0;

	mbuf_init(&nm, 0);
	mbuf_init(&ad, 0);
	mbuf_init(&dec, 0);
	for (p = v; p <= end && r >= 0; p++) {
		if (p < end && *p == '\\' && inq && p + 1 < end) {
			p++;
			continue;
		}
		if (p < end && *p == '"')
			inq = !inq;
		else if (p < end && !inq && *p == '(')
			p = skip_comment(p, end) - 1;
		else if (p < end && !inq && *p == '<')
			inang = 1;
		else if (p < end && !inq && *p == '>')
			inang = 0;
		else if (p < end && !inq && !inang && *p == ':')
			s = p + 1;	/* a group's name */
		else if (p == end || (!inq && !inang && (*p == ',' ||
		    *p == ';'))) {
			if ((r = mailbox(s, p, &nm, &ad)) == 0 &&
			    (r = emit(&nm, &ad, &dec, cb, ctx)) == 1)
				count++;
			s = p + 1;
		}
	}
	mbuf_free(&nm);
	mbuf_free(&ad);
	mbuf_free(&dec);
	return r == -1 ? -1 : count;
}
