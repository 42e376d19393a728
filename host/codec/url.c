/*
 * url - links in text, normalised (see url.h)
 *
 * Public: url_find(), url_may_have_host(), url_parse(), url_domain(),
 * url_cache_new(), url_cache_free().
 * Pure: libidn2 and libpsl's built-in list work in memory. Every scan is
 * bounded by its input; a link is cut at URL_MAX bytes. url_parse()
 * puts all the strings of a result in one allocation: from the caller's
 * arena, or pg_malloc()ed; the host is worked on in a stack buffer.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem() */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>
#include <libpsl.h>

#include "arena.h"
#include "url.h"
#include "xmalloc.h"

/* scopy - src into out (outlen > 0 bytes, cut, NUL-terminated): snprintf's "%s" without its cost */
static void
scopy(char *out, size_t outlen, const char *src)
{
	size_t n = strlen(src);

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, src, n);
	out[n] = '\0';
}

/* stop - the bytes that end a link in text: controls, space, <>"'`{}|\\^ and DEL */
static const unsigned char stop[256] = {
	[0] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x00 - 0x20 */
	['<'] = 1, ['>'] = 1, ['"'] = 1, ['\''] = 1, ['`'] = 1, ['{'] = 1,
	['}'] = 1, ['|'] = 1, ['\\'] = 1, ['^'] = 1, [0x7F] = 1,
};

/* host_char - a byte that may stand in an (obfuscated) host */
static int
host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c >= 0x80;
}

/* span_end - where a link starting at s ends: stop chars, trailing punctuation trimmed */
static const char *
span_end(const char *s, const char *end)
{
	const char *e = s;
	int paren = 0;

	while (e < end && !stop[(unsigned char)*e] && e - s < URL_MAX) {
		if (*e == '(')
			paren++;
		else if (*e == ')' && paren-- <= 0)
			break;
		e++;
	}
	while (e > s && strchr(".,;:!?*]'", e[-1]) != NULL &&
	    !(e - s >= 3 && strncmp(e - 3, "[.]", 3) == 0))
		e--;
	return e;
}

/* scheme_start - the start of the scheme before "://" at q (letters, x, *) */
static const char *
scheme_start(const char *text, const char *q)
{
	const char *s = q;

	while (s > text && q - s < 8 && (((s[-1] | 32) >= 'a' &&
	    (s[-1] | 32) <= 'z') || s[-1] == '*'))
		s--;
	return s;
}

/* word_start - whether p starts a word (not after a letter, digit, '.', '/', '@') */
static int
word_start(const char *text, const char *p)
{
	return p == text || !(host_char((unsigned char)p[-1]) || p[-1] == '/' ||
	    p[-1] == '@' || p[-1] == ':');
}

/*
 * The marks of a link, by index (link_start() tells them apart): 0 "://",
 * 1 "[:]//", 2 "www.", 3 "WWW.", 4 "[.]", 5 "(.)", 6 "[dot]".
 */

/* link_start - where a link marked by mark i at q starts, or NULL */
static const char *
link_start(const char *text, const char *p, const char *q, size_t i)
{
	const char *s;

	if (i < 2)
		s = scheme_start(text, q);
	else if (i < 4)
		s = q;
	else	/* an obfuscated dot: back over the host */
		for (s = q; s > text && host_char((unsigned char)s[-1]); )
			s--;
	if (s < p || (i < 2 && s == q) || (i >= 4 && s == q) ||
	    !word_start(text, s))
		return NULL;
	return s;
}

/* has - whether the n bytes of m stand at q */
#define HAS(q, end, m)	((size_t)((end) - (q)) >= sizeof(m) - 1 && \
			    memcmp((q), (m), sizeof(m) - 1) == 0)

/* mark_first - the bytes a mark starts with: one load per byte of text */
static const unsigned char mark_first[256] = {
	[':'] = 1, ['w'] = 1, ['W'] = 1, ['['] = 1, ['('] = 1,
};

/* mark_at - which mark of marks[] starts at q (its index), or -1 */
static int
mark_at(const char *q, const char *end)
{
	switch (*q) {
	case ':':
		return HAS(q, end, "://") ? 0 : -1;
	case 'w':
		return HAS(q, end, "www.") ? 2 : -1;
	case 'W':
		return HAS(q, end, "WWW.") ? 3 : -1;
	case '[':
		return HAS(q, end, "[:]//") ? 1 : HAS(q, end, "[.]") ? 4 :
		    HAS(q, end, "[dot]") ? 6 : -1;
	case '(':
		return HAS(q, end, "(.)") ? 5 : -1;
	}
	return -1;
}

/* a vector of 16 bytes (GCC and clang lower it to SSE2 or NEON) */
typedef unsigned char u8x16 __attribute__((vector_size(16)));

/*
 * marks16 - of the 16 text bytes at q (17 readable), which may start a
 * mark: "ww" (of "www."), ":/", '[' and "(." (either case of w); 0xFF
 * in their bytes of m[0] (bytes 0-7) and m[1] (8-15), 0 elsewhere. Two
 * bytes, not one: prose has a 'w' or a ':' in most lines, a "ww" or ":/"
 * in few.
 */
static inline void
marks16(const char *q, uint64_t m[2])
{
	u8x16 x, y, r;

	memcpy(&x, q, sizeof(x));
	memcpy(&y, q + 1, sizeof(y));	/* the byte after each */
	r = ((u8x16)((x | 0x20) == 'w') & (u8x16)((y | 0x20) == 'w')) |
	    ((u8x16)(x == ':') & (u8x16)(y == '/')) | (u8x16)(x == '[') |
	    ((u8x16)(x == '(') & (u8x16)(y == '.'));
	memcpy(m, &r, sizeof(r));
}

/* what url_find() carries from mark to mark */
struct finder {
	const char	*text, *end;
	int		(*cb)(void *, const char *, size_t);
	void		*ctx;
	size_t		 n;		/* spans reported */
	int		 stopped;	/* cb said -1 */
	const char	*last;		/* the last span, when a stop byte ended it */
	size_t		 lastn;		/* its length; 0: none */
};

/* at_mark - a link marked at q (not before p): reported; where text is taken up to */
static const char *
at_mark(struct finder *f, const char *p, const char *q)
{
	const char *s, *e;
	int mk;

	if ((mk = mark_at(q, f->end)) < 0 ||
	    (s = link_start(f->text, p, q, (size_t)mk)) == NULL)
		return p;
	/*
	 * The last link again (a signature, a footer), ended by a stop byte
	 * as it was: span_end() would stop at the same place (the same bytes
	 * scanned, nothing trimmed)
	 */
	if (f->lastn > 0 && (size_t)(f->end - s) >= f->lastn &&
	    memcmp(s, f->last, f->lastn) == 0 && (s + f->lastn == f->end ||
	    stop[(unsigned char)s[f->lastn]]))
		e = s + f->lastn;
	else
		e = span_end(s, f->end);
	if (e > s + 4) {
		f->n++;
		if (f->cb(f->ctx, s, (size_t)(e - s)) == -1)
			f->stopped = 1;
		f->last = s;
		f->lastn = e == f->end || stop[(unsigned char)*e] ?
		    (size_t)(e - s) : 0;
	}
	return e > s ? e : s + 1;
}

size_t
url_find(const char *text, size_t len, int (*cb)(void *, const char *, size_t),
    void *ctx)
{
	struct finder f = { text, text + len, cb, ctx, 0, 0, NULL, 0 };
	const char *p = text, *end = text + len, *b, *q;
	uint64_t m[2];
	int h;

	/*
	 * One pass: a mark starts with ':', 'w', 'W', '[' or '('. Sixteen
	 * bytes at a time say which of them may (marks16()), the tail is
	 * read a byte at a time. p: where the last link ended (no mark
	 * before it is looked at).
	 */
	for (b = text; end - b >= 17 && !f.stopped; b += 16) {
		if (b < p) {
			b = p - 16;	/* the next block starts at p */
			continue;
		}
		marks16(b, m);
		for (h = 0; h < 2 && !f.stopped; h++)
			while (m[h] != 0 && !f.stopped) {
				q = b + 8 * h + __builtin_ctzll(m[h]) / 8;
				m[h] &= ~(0xFFULL << (8 * (unsigned)((q - b) & 7)));
				if (q >= p)
					p = at_mark(&f, p, q);
			}
	}
	for (q = b > p ? b : p; q < end && !f.stopped; q++)
		if (mark_first[(unsigned char)*q] && q >= p)
			p = at_mark(&f, p, q);
	return f.n;
}

/* hexval - 0..15 or -1 */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 32;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* unreserved - RFC 3986 unreserved: %XX of these is undone in paths */
static int
unreserved(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

/* take_scheme - the scheme ("http"...) and where the authority starts */
static const char *
take_scheme(const char *s, const char *e, char *scheme, size_t sl)
{
	const char *p;
	char w[16];
	size_t i = 0;

	for (p = s; p < e && i < sizeof(w) - 1 && (((*p | 32) >= 'a' &&
	    (*p | 32) <= 'z') || *p == '*'); p++)
		w[i++] = (char)(*p == '*' ? 't' : *p | 32);
	w[i] = '\0';
	if (p < e && *p == '[' && e - p >= 3 && p[1] == ':' && p[2] == ']')
		p += 2;	/* [:] */
	if (p >= e || *p != ':') {
		/* no scheme: www. or an obfuscated host */
		scopy(scheme, sl, "http");
		return s;
	}
	p++;
	/* hxxp, hxxps (and h**p: '*' was read as 't') */
	if ((i == 4 || (i == 5 && w[4] == 's')) && w[0] == 'h' &&
	    w[1] == 'x' && w[2] == 'x' && w[3] == 'p')
		w[1] = w[2] = 't';
	if (!((i == 4 && memcmp(w, "http", 4) == 0) || (i == 5 &&
	    memcmp(w, "https", 5) == 0) || (i == 3 && memcmp(w, "ftp", 3) == 0)))
		return NULL;
	memcpy(scheme, w, i + 1);
	while (p < e && (*p == '/' || *p == '\\'))
		p++;
	return p;
}

/* deobfuscate - "[.]", "(.)", "{.}", "[dot]", "(dot)" at p: its length, or 0 */
static size_t
deobfuscate(const char *p, const char *e)
{
	static const char *const o[] = { "[.]", "(.)", "{.}", "[dot]",
	    "(dot)", NULL };
	size_t i, n;

	for (i = 0; o[i] != NULL; i++) {
		n = strlen(o[i]);
		if ((size_t)(e - p) >= n && strncasecmp(p, o[i], n) == 0)
			return n;
	}
	return 0;
}

/*
 * hclass - how take_host() copies a byte: H_PLAIN as it is (a-z, 0-9,
 * '-', '_'); H_UPPER lower-cased; H_DOT; H_LOOK looked at ('%', '[',
 * '(', '{', ':', '@'); 0 (the rest) as it is, but not a plain host byte
 */
enum { H_OTHER, H_PLAIN, H_UPPER, H_DOT, H_LOOK };
static const unsigned char hclass[256] = {
	['a' ... 'z'] = H_PLAIN, ['0' ... '9'] = H_PLAIN, ['-'] = H_PLAIN,
	['_'] = H_PLAIN, ['A' ... 'Z'] = H_UPPER, ['.'] = H_DOT,
	['%'] = H_LOOK, ['['] = H_LOOK, ['('] = H_LOOK, ['{'] = H_LOOK,
	[':'] = H_LOOK, ['@'] = H_LOOK,
};

/*
 * take_host - the host of authority [p, e) into h (at least e - p + 1
 * bytes; lower case, %XX and obfuscations undone): its length. *plain:
 * set when it is a plain host name as written (a-z, 0-9, '-', '_', dots
 * between labels, one dot at least), which needs no IDNA, no address
 * form and no host_ok()
 */
static size_t
take_host(const char *p, const char *e, char *h, const char **port,
    size_t *portlen, int *plain)
{
	const char *at, *q;
	size_t k, n = 0;
	int v1, v2, c, odd = 0, dots = 0;

	if ((at = memrchr(p, '@', (size_t)(e - p))) != NULL)
		p = at + 1;
	*port = NULL;
	*portlen = 0;
	for (q = p; q < e; q++) {
		switch (hclass[(unsigned char)*q]) {
		case H_PLAIN:
			h[n++] = *q;
			continue;
		case H_UPPER:
			h[n++] = (char)(*q + 32);
			continue;
		case H_DOT:
			if (n == 0 || h[n - 1] == '.')
				odd = 1;	/* a leading dot, or ".." */
			dots++;
			h[n++] = '.';
			continue;
		case H_OTHER:
			odd = 1;
			h[n++] = *q;
			continue;
		}
		odd = 1;	/* what follows may be undone: host_ok() decides */
		if (*q == '%' && e - q >= 3 && (v1 = hexval(q[1])) >= 0 &&
		    (v2 = hexval(q[2])) >= 0) {
			c = v1 << 4 | v2;
			h[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			q += 2;
		} else if ((*q == '[' || *q == '(' || *q == '{') &&
		    (k = deobfuscate(q, e)) > 0) {
			h[n++] = '.';
			q += k - 1;
		} else if (*q == ':' && n > 0 && h[0] != '[') {
			*port = q + 1;
			*portlen = (size_t)(e - q - 1);
			break;
		} else
			h[n++] = *q;
	}
	while (n > 0 && h[n - 1] == '.') {
		n--;
		dots--;
	}
	h[n] = '\0';
	*plain = !odd && dots > 0;
	return n;
}

/* host_ok - a host name, an IPv4 address or an [IPv6] literal */
static int
host_ok(const char *h)
{
	const char *p;
	int dot = 0;

	if (*h == '[')
		return strchr(h, ']') != NULL;
	if (*h == '.')
		return 0;
	for (p = h; *p; p++) {
		if (*p == '.') {
			if (p[1] == '.')
				return 0;
			dot = 1;
		} else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_'))
			return 0;
	}
	return dot;
}

/*
 * idna - a host with non-ASCII letters in its ASCII form: *ascii set
 * (idn2_free() it), or left NULL for an ASCII host; -1 when libidn2
 * cannot convert it
 */
static int
idna(const char *h, size_t len, char **ascii)
{
	size_t i;

	*ascii = NULL;
	for (i = 0; i < len && (unsigned char)h[i] < 0x80; i++)
		;
	if (i == len)
		return 0;
	if (idn2_to_ascii_8z(h, ascii, IDN2_NONTRANSITIONAL |
	    IDN2_NFC_INPUT) != IDN2_OK &&
	    idn2_to_ascii_8z(h, ascii, IDN2_TRANSITIONAL) != IDN2_OK) {
		*ascii = NULL;
		return -1;
	}
	return 0;
}

/* decimal_ip - a host of digits only as a dotted quad, in place (h has room for 16 bytes): its length */
static size_t
decimal_ip(char *h, size_t len)
{
	unsigned long long v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return len;
	for (i = 0; i < len; i++) {
		if (h[i] < '0' || h[i] > '9')
			return len;
		v = v * 10 + (unsigned)(h[i] - '0');
	}
	if (v > 0xFFFFFFFFULL)
		return len;
	return (size_t)snprintf(h, 16, "%llu.%llu.%llu.%llu", v >> 24,
	    (v >> 16) & 255, (v >> 8) & 255, v & 255);
}

void
url_domain(const char *host, char *out, size_t outlen)
{
	const psl_ctx_t *psl = psl_builtin();
	const char *d = NULL, *p;
	int ip = 1;

	for (p = host; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			ip = 0;
	if (!ip && *host != '[' && psl != NULL)
		d = psl_registrable_domain(psl, host);
	scopy(out, outlen, d != NULL ? d : host);
}

struct url_cache {
	struct {
		char	 host[128];
		char	 domain[128];
	}	 e[URL_CACHE_MAX];
	size_t	 n;
	size_t	 next;	/* the entry to replace next */
};

struct url_cache *
url_cache_new(void)
{
	struct url_cache *c = pg_malloc(sizeof(*c));	/* 16 KiB: not cleared */

	if (c != NULL)
		c->n = c->next = 0;
	return c;
}

void
url_cache_free(struct url_cache *c)
{
	free(c);
}

/* cached_domain - the registered domain of host, through the cache */
static void
cached_domain(struct url_cache *c, const char *host, char *out, size_t outlen)
{
	size_t i, hl = strlen(host);

	if (c == NULL || hl >= sizeof(c->e[0].host)) {
		url_domain(host, out, outlen);
		return;
	}
	for (i = 0; i < c->n; i++)
		if (strcmp(c->e[i].host, host) == 0) {
			scopy(out, outlen, c->e[i].domain);
			return;
		}
	url_domain(host, out, outlen);
	if (strlen(out) >= sizeof(c->e[0].domain))
		return;
	i = c->n < URL_CACHE_MAX ? c->n++ : c->next++ % URL_CACHE_MAX;
	memcpy(c->e[i].host, host, hl + 1);
	memcpy(c->e[i].domain, out, strlen(out) + 1);
}

/* path_add - the path (and query, fragment) at o with unreserved %XX undone: the end (at most e - p + 1 bytes written) */
static char *
path_add(char *o, const char *p, const char *e)
{
	int v1, v2;

	if (p == e || *p != '/')
		*o++ = '/';
	for (; p < e; p++) {
		if (*p == '%' && e - p >= 3 && (v1 = hexval(p[1])) >= 0 &&
		    (v2 = hexval(p[2])) >= 0 && unreserved(v1 << 4 | v2)) {
			*o++ = (char)(v1 << 4 | v2);
			p += 2;
		} else if (*p == '\\')
			*o++ = '/';
		else if ((unsigned char)*p > ' ')
			*o++ = *p;
	}
	return o;
}

/* put - n bytes of s at o and a NUL: where they start */
static char *
put(char **o, const char *s, size_t n)
{
	char *at = *o;

	memcpy(at, s, n);
	at[n] = '\0';
	*o += n + 1;
	return at;
}

/*
 * assemble - the strings of u in one allocation (from the arena, or
 * pg_malloc()ed into u->buf): url, scheme, host, domain, path
 */
static int
assemble(struct url *u, const char *scheme, const char *host, size_t hl,
    const char *port, size_t portlen, const char *rest, const char *e,
    struct url_cache *cache, struct arena **arena)
{
	char dom[256], *b, *o, *path, *pe;
	size_t sl = strlen(scheme), dl, plen, need;

	cached_domain(cache, host, dom, sizeof(dom));
	dl = strlen(dom);
	/* url and path twice at most; scheme, host, domain; the NULs */
	plen = (size_t)(e - rest) + 1;
	need = 2 * sl + 3 + 2 * hl + 1 + portlen + 2 * plen + dl + 5 + 8;
	b = arena != NULL ? arena_alloc(arena, need) : pg_malloc(need);
	if (b == NULL)
		return -2;
	o = b;
	memcpy(o, scheme, sl);
	memcpy(o + sl, "://", 3);
	memcpy(o + sl + 3, host, hl);
	o += sl + 3 + hl;
	if (port != NULL && portlen > 0) {
		*o++ = ':';
		memcpy(o, port, portlen);
		o += portlen;
	}
	path = o;
	o = path_add(o, rest, e);
	*o++ = '\0';
	plen = (size_t)(o - 1 - path);
	if ((pe = memchr(path, '?', plen)) != NULL ||
	    (pe = memchr(path, '#', plen)) != NULL)
		plen = (size_t)(pe - path);
	u->buf = arena != NULL ? NULL : b;
	u->url = b;
	/* the scheme is one of three: a constant (callers may compare pointers) */
	u->scheme = sl == 5 ? "https" : sl == 4 ? "http" : "ftp";
	u->host = put(&o, host, hl);
	u->domain = put(&o, dom, dl);
	u->path = put(&o, path, plen);
	return 0;
}

int
url_may_have_host(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p == '.' || *p >= 0x80 || ((*p | 32) == 'd' &&
		    (p[1] | 32) == 'o' && (p[2] | 32) == 't'))
			return 1;
	return 0;
}

int
url_parse(const char *s, size_t n, struct url *u, struct url_cache *cache,
    struct arena **arena)
{
	const char *e = s + (n > URL_MAX ? URL_MAX : n), *p, *ae, *port;
	char scheme[16], hbuf[256], *h = hbuf, *heap = NULL, *ascii = NULL;
	size_t portlen, hl;
	int r, plain;

	memset(u, 0, sizeof(*u));
	while (s < e && ((unsigned char)*s <= ' ' || *s == '<' || *s == '"'))
		s++;
	while (e > s && ((unsigned char)e[-1] <= ' ' || e[-1] == '>' ||
	    e[-1] == '"'))
		e--;
	if ((p = take_scheme(s, e, scheme, sizeof(scheme))) == NULL)
		return -1;
	for (ae = p; ae < e && *ae != '/' && *ae != '?' && *ae != '#' &&
	    *ae != '\\'; ae++)
		;
	/* the host on the stack unless it is long: room for a dotted quad too */
	if ((size_t)(ae - p) + 16 > sizeof(hbuf) &&
	    (h = heap = pg_malloc((size_t)(ae - p) + 16)) == NULL)
		return -2;
	hl = take_host(p, ae, h, &port, &portlen, &plain);
	r = -1;
	if (!plain) {
		if (hl == 0 || idna(h, hl, &ascii) == -1)
			goto out;
		if (ascii != NULL)
			hl = strlen(h = ascii);
		else
			hl = decimal_ip(h, hl);
	}
	if (plain || host_ok(h))
		r = assemble(u, scheme, h, hl, port, portlen, ae, e, cache,
		    arena);
out:
	if (ascii != NULL)
		idn2_free(ascii);
	free(heap);
	return r;
}
