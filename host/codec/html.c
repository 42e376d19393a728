/*
 * html - HTML to text (see html.h)
 *
 * Public: html_render().
 * One pass over the input with a small tokenizer (text, tags with quoted
 * attributes, comments, declarations); an element stack of at most
 * HTML_DEPTH_MAX names says when a hidden element ends. Input is
 * untrusted; every scan is bounded by its end. Allocation only in the
 * caller's mbuf and a scratch mbuf for attributes and link text, freed on
 * return.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"
#include "xmalloc.h"

struct ent {
	const char	*name;
	uint32_t	 cp;
};

/* named entities mail uses; 0 means "drop" (zero width) */
static const struct ent ents[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", ' ' }, { "ensp", ' ' }, { "emsp", ' ' },
	{ "thinsp", ' ' }, { "shy", 0 }, { "zwnj", 0 }, { "zwj", 0 },
	{ "lrm", 0 }, { "rlm", 0 }, { "copy", 0xA9 }, { "reg", 0xAE },
	{ "trade", 0x2122 }, { "euro", 0x20AC }, { "pound", 0xA3 },
	{ "yen", 0xA5 }, { "cent", 0xA2 }, { "sect", 0xA7 }, { "deg", 0xB0 },
	{ "middot", 0xB7 }, { "bull", 0x2022 }, { "hellip", 0x2026 },
	{ "ndash", 0x2013 }, { "mdash", 0x2014 }, { "lsquo", 0x2018 },
	{ "rsquo", 0x2019 }, { "sbquo", 0x201A }, { "ldquo", 0x201C },
	{ "rdquo", 0x201D }, { "bdquo", 0x201E }, { "laquo", 0xAB },
	{ "raquo", 0xBB }, { "times", 0xD7 }, { "divide", 0xF7 },
	{ "iexcl", 0xA1 }, { "iquest", 0xBF }, { "agrave", 0xE0 },
	{ "aacute", 0xE1 }, { "acirc", 0xE2 }, { "atilde", 0xE3 },
	{ "auml", 0xE4 }, { "aring", 0xE5 }, { "aelig", 0xE6 },
	{ "ccedil", 0xE7 }, { "egrave", 0xE8 }, { "eacute", 0xE9 },
	{ "ecirc", 0xEA }, { "euml", 0xEB }, { "igrave", 0xEC },
	{ "iacute", 0xED }, { "icirc", 0xEE }, { "iuml", 0xEF },
	{ "ntilde", 0xF1 }, { "ograve", 0xF2 }, { "oacute", 0xF3 },
	{ "ocirc", 0xF4 }, { "otilde", 0xF5 }, { "ouml", 0xF6 },
	{ "oslash", 0xF8 }, { "ugrave", 0xF9 }, { "uacute", 0xFA },
	{ "ucirc", 0xFB }, { "uuml", 0xFC }, { "yacute", 0xFD },
	{ "szlig", 0xDF }, { "Auml", 0xC4 }, { "Ouml", 0xD6 },
	{ "Uuml", 0xDC }, { "Eacute", 0xC9 }, { NULL, 0 }
};

/* what an element is, for the renderer */
#define EL_VOID		0x1	/* never has content or a closing tag */
#define EL_BLOCK	0x2	/* a line break before and after */
#define EL_RAW		0x4	/* its content is never text (script, style ...) */
#define EL_CELL		0x8	/* a space before */

struct el {
	const char	*name;
	unsigned	 flags;
};

/* sorted by name, for bsearch() */
static const struct el els[] = {
	{ "address", EL_BLOCK }, { "area", EL_VOID }, { "article", EL_BLOCK },
	{ "base", EL_VOID }, { "blockquote", EL_BLOCK }, { "br", EL_VOID | EL_BLOCK },
	{ "center", EL_BLOCK }, { "col", EL_VOID }, { "dd", EL_BLOCK },
	{ "div", EL_BLOCK }, { "dl", EL_BLOCK }, { "dt", EL_BLOCK },
	{ "embed", EL_VOID }, { "footer", EL_BLOCK }, { "form", EL_BLOCK },
	{ "h1", EL_BLOCK }, { "h2", EL_BLOCK }, { "h3", EL_BLOCK },
	{ "h4", EL_BLOCK }, { "h5", EL_BLOCK }, { "h6", EL_BLOCK },
	{ "head", EL_RAW }, { "header", EL_BLOCK }, { "hr", EL_VOID | EL_BLOCK },
	{ "img", EL_VOID }, { "input", EL_VOID }, { "li", EL_BLOCK },
	{ "link", EL_VOID }, { "meta", EL_VOID }, { "noscript", EL_RAW },
	{ "object", EL_RAW }, { "ol", EL_BLOCK }, { "p", EL_BLOCK },
	{ "param", EL_VOID }, { "pre", EL_BLOCK }, { "script", EL_RAW },
	{ "section", EL_BLOCK }, { "source", EL_VOID }, { "style", EL_RAW },
	{ "table", EL_BLOCK }, { "tbody", EL_BLOCK }, { "td", EL_CELL },
	{ "template", EL_RAW }, { "th", EL_CELL }, { "thead", EL_BLOCK },
	{ "title", EL_RAW }, { "tr", EL_BLOCK }, { "track", EL_VOID },
	{ "ul", EL_BLOCK }, { "wbr", EL_VOID }
};

#define MAX_ATTR	4096	/* an attribute value kept (longer: cut) */
#define MAX_LINKTEXT	1024

struct html {
	const char	*p;
	const char	*end;
	struct mbuf	*out;
	int		 space;		/* white space pending */
	char		 stack[HTML_DEPTH_MAX][12];
	size_t		 depth;
	size_t		 hide_at;	/* stack depth where hiding began; 0: not */
	int		 hiding;
	struct mbuf	 href;		/* the open <a>'s href */
	size_t		 link_at;	/* out->len at the <a> */
	int		 in_link;
	struct mbuf	 attr;
	struct mbuf	 style;
	int		 (*link)(void *, const char *, const char *);
	void		*ctx;
	struct html_result res;
	int		 stop;
};

/* by_name - bsearch order of els */
static int
by_name(const void *k, const void *e)
{
	return strcmp(k, ((const struct el *)e)->name);
}

/* is1 - the tag name is the one letter c (names are zero-padded: no strcmp per tag) */
#define is1(name, c)	((name)[0] == (c) && (name)[1] == '\0')

/* el_flags - EL_* of an element name (lower case) */
static unsigned
el_flags(const char *name)
{
	const struct el *e;

	/* the one-letter tags (a, b, i, p, s, u ...) are most of them */
	if (name[0] != '\0' && name[1] == '\0')
		return name[0] == 'p' ? EL_BLOCK : 0;
	e = bsearch(name, els, sizeof(els) / sizeof(els[0]),
	    sizeof(els[0]), by_name);

	return e != NULL ? e->flags : 0;
}

/* emit - visible bytes, with the pending space before them */
static void
emit(struct html *h, const char *s, size_t n)
{
	if (h->hiding) {
		h->res.hidden += n;
		return;
	}
	if (h->space && h->out->len > 0 && h->out->p[h->out->len - 1] != ' ' &&
	    h->out->p[h->out->len - 1] != '\n')
		mbuf_addc(h->out, ' ');
	h->space = 0;
	if (h->out->err == 0 && h->out->len + n < h->out->cap &&
	    (h->out->max == 0 || h->out->len + n <= h->out->max)) {
		/* the output is reserved ahead (content.c): a copy, no call */
		memcpy(h->out->p + h->out->len, s, n);
		h->out->len += n;
		h->out->p[h->out->len] = '\0';
	} else if (mbuf_add(h->out, s, n) == -1 && (h->out->err & MBUF_NOMEM))
		h->stop = 1;
}

/* emit_cp - one visible code point */
static void
emit_cp(struct html *h, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	emit(h, u, n);
}

/* emit_nl - a line break (blocks), not repeated */
static void
emit_nl(struct html *h)
{
	size_t n = h->out->len;

	h->space = 0;
	if (h->hiding || n == 0 || h->out->p[n - 1] == '\n')
		return;
	if (h->out->p[n - 1] == ' ')
		h->out->len--;
	mbuf_addc(h->out, '\n');
}

/* entity - decode the entity at p (after '&') into *cp; returns its length or 0 */
static size_t
entity(const char *p, const char *end, uint32_t *cp)
{
	const char *q = p;
	uint32_t v = 0;
	size_t i, n;
	int hex;

	if (q < end && *q == '#') {
		hex = ++q < end && (*q == 'x' || *q == 'X');
		q += hex;
		for (n = 0; q < end && n < 8; q++, n++) {
			int d = *q >= '0' && *q <= '9' ? *q - '0' : hex &&
			    ((*q | 32) >= 'a' && (*q | 32) <= 'f') ?
			    (*q | 32) - 'a' + 10 : -1;

			if (d < 0)
				break;
			v = v * (hex ? 16 : 10) + (uint32_t)d;
		}
		if (n == 0)
			return 0;
		if (q < end && *q == ';')
			q++;
		*cp = v == 0x200B || v == 0xFEFF || v == 0xAD ||
		    v == 0x200C || v == 0x200D ? 0 : v ? v : 0xFFFD;
		return (size_t)(q - p);
	}
	for (i = 0; ents[i].name != NULL; i++) {
		n = strlen(ents[i].name);
		if ((size_t)(end - p) >= n && strncmp(p, ents[i].name, n) == 0 &&
		    (p + n == end || p[n] == ';' || i < 6)) {
			*cp = ents[i].cp;
			return n + (p + n < end && p[n] == ';');
		}
	}
	return 0;
}

/* zero_width - length of a UTF-8 zero-width character at p, or 0 */
static size_t
zero_width(const unsigned char *p, const unsigned char *end)
{
	if (end - p >= 3 && p[0] == 0xE2 && p[1] == 0x80 &&
	    (p[2] >= 0x8B && p[2] <= 0x8D))
		return 3;
	if (end - p >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		return 3;
	if (end - p >= 2 && p[0] == 0xC2 && p[1] == 0xAD)
		return 2;
	return 0;
}

/* plain - a byte text() copies as it is (not markup, an entity, white space or a zero-width lead byte) */
static const unsigned char not_plain[256] = {
	[0] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x00 - 0x20 */
	['<'] = 1, ['&'] = 1, [0xC2] = 1, [0xE2] = 1, [0xEF] = 1,
};
#define plain(ch)	(!not_plain[(unsigned char)(ch)])

/* a vector of 16 bytes (GCC and clang lower it to SSE2 or NEON) */
typedef unsigned char u8x16 __attribute__((vector_size(16)));

/* not_plain16 - 0xFF in the bytes of x that are not plain() */
static inline u8x16
not_plain16(u8x16 x)
{
	return (u8x16)(x <= ' ') | (u8x16)(x == '<') | (u8x16)(x == '&') |
	    (u8x16)(x == 0xC2) | (u8x16)(x == 0xE2) | (u8x16)(x == 0xEF);
}

/*
 * run_end - where a run of plain bytes from run ends: at the first byte
 * that is not plain, unless it is a single space before a plain byte
 * (words and the single spaces between them are one run). Sixteen bytes
 * at a time while 17 are left, then a byte at a time.
 */
static const char *
run_end(const char *run, const char *end)
{
	u8x16 x, y, stop;
	uint64_t m[2];

	while (end - run >= 17) {
		memcpy(&x, run, sizeof(x));
		memcpy(&y, run + 1, sizeof(y));
		stop = not_plain16(x) & ~((u8x16)(x == ' ') & ~not_plain16(y));
		memcpy(m, &stop, sizeof(m));
		if (m[0] != 0)
			return run + __builtin_ctzll(m[0]) / 8;
		if (m[1] != 0)
			return run + 8 + __builtin_ctzll(m[1]) / 8;
		run += 16;
	}
	for (; run < end; run++) {
		if (plain(*run))
			continue;
		if (*run != ' ' || run + 1 >= end || !plain(run[1]))
			break;
		run++;
	}
	return run;
}

/* text - the text up to the next '<' */
static void
text(struct html *h)
{
	const char *p = h->p, *run;
	uint32_t cp;
	size_t n;

	while (p < h->end && *p != '<' && !h->stop) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ') {
			h->space = 1;
			p++;
		} else if (c == '&' && (n = entity(p + 1, h->end, &cp)) > 0) {
			if (cp == ' ')
				h->space = 1;
			else if (cp != 0)
				emit_cp(h, cp);
			p += n + 1;
		} else if (c >= 0x80 && (n = zero_width((const unsigned char *)p,
		    (const unsigned char *)h->end)) > 0) {
			p += n;
		} else {
			/*
			 * a run of plain bytes in one append, single spaces
			 * between words included (they collapse to themselves)
			 */
			run = run_end(p + 1, h->end);
			emit(h, p, (size_t)(run - p));
			p = run;
		}
	}
	h->p = p;
}

/* tag - what the tokenizer read of one tag */
struct tag {
	char		 name[12];
	int		 close;		/* </name> */
	int		 selfclose;	/* <name/> */
	int		 hidden;
	const char	*href, *src, *style;
	size_t		 hlen, slen, stlen;
};

/* attr_stop - the bytes attr_decode() does not copy as they are */
static const unsigned char attr_stop[256] = {
	['&'] = 1, ['\r'] = 1, ['\n'] = 1, ['\t'] = 1,
};

/* attr_decode - an attribute value with entities decoded, CR/LF/TAB dropped, trimmed */
static const char *
attr_decode(struct html *h, const char *v, size_t n)
{
	const char *e = v + n;
	uint32_t cp;
	size_t k;

	mbuf_reset(&h->attr);
	while (v < e && (unsigned char)*v <= ' ')
		v++;
	while (e > v && (unsigned char)e[-1] <= ' ')
		e--;
	while (v < e) {
		const char *run = v;

		while (run < e && !attr_stop[(unsigned char)*run])
			run++;
		if (run > v) {
			mbuf_add(&h->attr, v, (size_t)(run - v));
			v = run;
			continue;
		}
		if (*v == '&' && (k = entity(v + 1, e, &cp)) > 0) {
			if (cp != 0)
				mbuf_add_cp(&h->attr, cp);
			v += k + 1;
			continue;
		}
		if (*v == '&')
			mbuf_addc(&h->attr, '&');
		v++;
	}
	mbuf_add(&h->attr, "", 0);
	return h->attr.p != NULL ? h->attr.p : "";
}

/* style_hides - whether a style attribute makes the element invisible */
static int
style_hides(struct html *h, const char *v, size_t n)
{
	static const char *const keys[] = { "display:none",
	    "visibility:hidden", "font-size:0", "opacity:0", "max-height:0",
	    NULL };
	const char *p, *const *k;
	size_t i, kl;

	mbuf_reset(&h->style);
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] > ' ')
			mbuf_addc(&h->style, v[i] >= 'A' && v[i] <= 'Z' ?
			    v[i] + 32 : v[i]);
	if (h->style.p == NULL)
		return 0;
	for (k = keys; *k != NULL; k++) {
		kl = strlen(*k);
		for (p = h->style.p; (p = strstr(p, *k)) != NULL; p += kl) {
			char c = p[kl];

			/* "font-size:0" but not "font-size:0.9em" */
			if ((*k)[kl - 1] != '0' || c == '\0' || c == ';' ||
			    c == '!' || c == 'p' || c == 'e' || c == '%')
				return 1;
		}
	}
	return 0;
}

/* read_attr - one attribute at p; returns where the next starts */
static const char *
read_attr(const char *p, const char *end, struct tag *t)
{
	const char *n = p, *v = NULL;
	size_t nl, vl = 0;

	while (p < end && (unsigned char)*p > ' ' && *p != '=' && *p != '>' &&
	    *p != '/')
		p++;
	nl = (size_t)(p - n);
	while (p < end && (unsigned char)*p <= ' ')
		p++;
	if (p < end && *p == '=') {
		p++;
		while (p < end && (unsigned char)*p <= ' ')
			p++;
		if (p < end && (*p == '"' || *p == '\'')) {
			char q = *p++;

			v = p;
			if ((p = memchr(v, q, (size_t)(end - v))) == NULL)
				p = end;
			vl = (size_t)(p - v);
			if (p < end)
				p++;
		} else {
			for (v = p; p < end && (unsigned char)*p > ' ' && *p != '>'; p++)
				;
			vl = (size_t)(p - v);
		}
	}
	if (nl == 4 && strncasecmp(n, "href", 4) == 0 && v) {
		t->href = v;
		t->hlen = vl;
	} else if (nl == 3 && strncasecmp(n, "src", 3) == 0 && v) {
		t->src = v;
		t->slen = vl;
	} else if (nl == 5 && strncasecmp(n, "style", 5) == 0 && v) {
		t->style = v;
		t->stlen = vl;
	} else if (nl == 6 && strncasecmp(n, "hidden", 6) == 0)
		t->hidden = 1;
	return nl == 0 && v == NULL ? p + 1 : p;
}

/* read_tag - the tag at h->p ('<' and a letter or '/'); h->p moves past it */
static void
read_tag(struct html *h, struct tag *t)
{
	const char *p = h->p + 1, *end = h->end;
	size_t i = 0;

	memset(t, 0, sizeof(*t));
	if (p < end && *p == '/') {
		t->close = 1;
		p++;
	}
	for (; p < end && (((*p | 32) >= 'a' && (*p | 32) <= 'z') ||
	    (*p >= '0' && *p <= '9')); p++)
		if (i < sizeof(t->name) - 1)
			t->name[i++] = (char)(*p | 32);
	t->name[i] = '\0';
	while (p < end && *p != '>') {
		if ((unsigned char)*p <= ' ') {
			p++;
			continue;
		}
		if (*p == '/') {
			t->selfclose = p + 1 < end && p[1] == '>';
			p++;
			continue;
		}
		p = read_attr(p, end, t);
	}
	h->p = p < end ? p + 1 : end;
}

/* skip_raw - past the content of a raw element to its closing tag */
static void
skip_raw(struct html *h, const char *name)
{
	const char *p = h->p, *q;
	size_t n = strlen(name);

	while ((q = memchr(p, '<', (size_t)(h->end - p))) != NULL) {
		if (h->end - q > (long)n + 1 && q[1] == '/' &&
		    strncasecmp(q + 2, name, n) == 0) {
			h->p = q;
			return;
		}
		p = q + 1;
	}
	h->p = h->end;
}

/* link_end - the open <a> ends: report it */
static void
link_end(struct html *h)
{
	char txt[MAX_LINKTEXT + 1];
	size_t at = h->link_at < h->out->len ? h->link_at : h->out->len;
	size_t n = h->out->len - at;

	h->in_link = 0;
	if (h->link == NULL || h->href.p == NULL)
		return;
	while (n > 0 && (h->out->p[at] == ' ' || h->out->p[at] == '\n')) {
		at++;
		n--;
	}
	if (n > MAX_LINKTEXT)
		n = MAX_LINKTEXT;
	memcpy(txt, h->out->p ? h->out->p + at : "", n);
	while (n > 0 && (txt[n - 1] == ' ' || txt[n - 1] == '\n'))
		n--;
	txt[n] = '\0';
	h->res.links++;
	if (h->link(h->ctx, h->href.p, txt) == -1)
		h->stop = 1;
}

/* report - a link without text (img src, area href) */
static void
report(struct html *h, const char *v, size_t n)
{
	const char *url = attr_decode(h, v, n);

	h->res.links++;
	if (h->link != NULL && *url != '\0' && h->link(h->ctx, url, "") == -1)
		h->stop = 1;
}

/* open_tag - an opening tag: links, hiding, the stack */
static void
open_tag(struct html *h, struct tag *t)
{
	int hide = t->hidden || (t->style && style_hides(h, t->style, t->stlen));
	unsigned f = el_flags(t->name);
	const char *u;

	if (f & EL_BLOCK)
		emit_nl(h);
	else if (f & EL_CELL)
		h->space = 1;
	if (is1(t->name, 'a') && t->href != NULL) {
		if (h->in_link)
			link_end(h);
		u = attr_decode(h, t->href, t->hlen);
		mbuf_reset(&h->href);
		mbuf_add(&h->href, u, strlen(u));
		h->link_at = h->out->len;
		h->in_link = 1;
	} else if (t->src != NULL && strcmp(t->name, "img") == 0)
		report(h, t->src, t->slen);
	else if (t->href != NULL && strcmp(t->name, "area") == 0)
		report(h, t->href, t->hlen);
	if ((f & EL_VOID) || t->selfclose)
		return;
	if (f & EL_RAW) {
		skip_raw(h, t->name);
		return;
	}
	if (h->depth >= HTML_DEPTH_MAX)
		return;
	memcpy(h->stack[h->depth], t->name, sizeof(h->stack[0]));
	if (hide && !h->hiding) {
		h->hiding = 1;
		h->hide_at = h->depth;
	}
	h->depth++;
}

/* close_tag - a closing tag: pop to its element */
static void
close_tag(struct html *h, struct tag *t)
{
	size_t k;

	if (el_flags(t->name) & EL_BLOCK)
		emit_nl(h);
	if (is1(t->name, 'a') && h->in_link)
		link_end(h);
	/* names and the stack are zero-padded to their size: one memcmp */
	for (k = h->depth; k > 0; k--)
		if (memcmp(h->stack[k - 1], t->name, sizeof(t->name)) == 0)
			break;
	if (k == 0)
		return;	/* not open: ignore */
	h->depth = k - 1;
	if (h->hiding && h->depth <= h->hide_at)
		h->hiding = 0;
}

/* markup - what starts at '<' */
static void
markup(struct html *h)
{
	const char *p = h->p, *q;
	struct tag t;

	if (h->end - p >= 4 && p[1] == '!' && p[2] == '-' && p[3] == '-') {
		for (q = p + 4; q + 2 < h->end && strncmp(q, "-->", 3) != 0; q++)
			;
		h->p = q + 2 < h->end ? q + 3 : h->end;
		return;
	}
	if (h->end - p >= 2 && (p[1] == '!' || p[1] == '?')) {
		q = memchr(p, '>', (size_t)(h->end - p));
		h->p = q != NULL ? q + 1 : h->end;
		return;
	}
	if (h->end - p < 2 || !(((p[1] | 32) >= 'a' && (p[1] | 32) <= 'z') ||
	    p[1] == '/')) {
		emit(h, "<", 1);	/* a lone '<' is text */
		h->p = p + 1;
		return;
	}
	read_tag(h, &t);
	if (t.close)
		close_tag(h, &t);
	else
		open_tag(h, &t);
}

int
html_render(const char *in, size_t len, struct mbuf *out,
    int (*link)(void *, const char *, const char *), void *ctx,
    struct html_result *res)
{
	struct html *h;
	int r;

	if ((h = pg_calloc(1, sizeof(*h))) == NULL)
		return -1;
	h->p = in;
	h->end = in + len;
	h->out = out;
	h->link = link;
	h->ctx = ctx;
	mbuf_init(&h->href, MAX_ATTR);
	mbuf_init(&h->attr, MAX_ATTR);
	mbuf_init(&h->style, MAX_ATTR);
	while (h->p < h->end && !h->stop) {
		if (*h->p == '<')
			markup(h);
		else
			text(h);
		if (out->err & MBUF_NOMEM)
			h->stop = 1;
	}
	if (h->in_link && !h->stop)
		link_end(h);
	while (out->len > 0 && (out->p[out->len - 1] == ' ' ||
	    out->p[out->len - 1] == '\n'))
		out->p[--out->len] = '\0';
	r = h->stop ? -1 : 0;
	if (res != NULL)
		*res = h->res;
	mbuf_free(&h->href);
	mbuf_free(&h->attr);
	mbuf_free(&h->style);
	free(h);
	return r;
}
