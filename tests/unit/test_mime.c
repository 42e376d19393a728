/*
 * test_mime - the MIME codecs, table-driven with real-world shaped input:
 * the structure parser (mime), transfer decodings (mime_dec), header
 * values (mime_hdr: RFC 2047, RFC 2231, addresses), charsets, HTML to
 * text and links (html), links in text (url); and the bad input of issue
 * 12 (missing boundaries, 10,000 parts, nesting 1,000 deep, bad base64).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arena.h"
#include "charset.h"
#include "html.h"
#include "mbuf.h"
#include "mime.h"
#include "mime_dec.h"
#include "mime_hdr.h"
#include "url.h"

struct tree_case {
	const char	*ct;
	const char	*body;
	const char	*leaves;	/* leaf types, space-separated */
	unsigned	 flags;
};

static const struct tree_case trees[] = {
	{ NULL, "plain\r\n", "text/plain", 0 },
	{ "text/html; charset=UTF-8", "<p>x</p>", "text/html", 0 },
	{ "multipart/alternative; boundary=\"b1\"",
	  "preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
	  "--b1\r\nContent-Type: text/html\r\n\r\n<b>hi</b>\r\n--b1--\r\nepilogue\r\n",
	  "text/plain text/html", 0 },
	/* nested, with an attached message */
	{ "multipart/mixed; boundary=outer",
	  "--outer\nContent-Type: multipart/alternative; boundary=\"outer_inner\"\n\n"
	  "--outer_inner\nContent-Type: text/plain\n\na\n--outer_inner--\n"
	  "--outer\nContent-Type: message/rfc822\n\nSubject: x\nContent-Type: "
	  "application/pdf\n\n%PDF\n--outer\nContent-Type: image/png\n\nPNG\n--outer--\n",
	  "text/plain application/pdf image/png", 0 },
	/* no closing delimiter */
	{ "multipart/mixed; boundary=b", "--b\n\none\n--b\n\ntwo",
	  "text/plain text/plain", MIME_F_NOEND },
	/* the boundary never appears: one text part */
	{ "multipart/mixed; boundary=zzz", "just text\n", "text/plain",
	  MIME_F_NOBOUND },
	/* no boundary parameter at all */
	{ "multipart/mixed", "x\n", "text/plain", MIME_F_NOBOUND },
	/* digest: parts default to message/rfc822 */
	{ "multipart/digest; boundary=d", "--d\n\nSubject: a\n\nbody\n--d--\n",
	  "text/plain", 0 },
	/* a part without header lines, and a type without a slash */
	{ "multipart/mixed; boundary=b", "--b\nno header here\n--b\n"
	  "Content-Type: bogus\n\nx\n--b--\n", "text/plain text/plain", 0 },
};

static void
leaf_types(const struct mime_tree *t, char *buf, size_t len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < mime_count(t); i++) {
		const struct mime_node *n = mime_node(t, i);

		if (n->kind != MIME_LEAF)
			continue;
		if (buf[0])
			strncat(buf, " ", len - strlen(buf) - 1);
		strncat(buf, n->type, len - strlen(buf) - 1);
	}
}

static void
test_tree(void **state)
{
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		struct mime_tree *t = mime_parse(trees[i].ct, NULL, trees[i].body,
		    strlen(trees[i].body), NULL);

		assert_non_null(t);
		leaf_types(t, buf, sizeof(buf));
		if (strcmp(buf, trees[i].leaves) != 0)
			fail_msg("case %zu: leaves '%s', want '%s'", i, buf,
			    trees[i].leaves);
		assert_int_equal(mime_flags(t), trees[i].flags);
		mime_free(t);
	}
}

static void
test_tree_bodies(void **state)
{
	const char *b = "--b1\r\nContent-Type: text/plain; charset=\"ISO-8859-1\"\r\n"
	    "Content-Transfer-Encoding: Quoted-Printable\r\n\r\ncaf=E9\r\n--b1--\r\n";
	struct mime_tree *t = mime_parse("multipart/mixed; boundary=b1", NULL, b,
	    strlen(b), NULL);
	const struct mime_node *n;

	(void)state;
	assert_int_equal(mime_count(t), 2);
	n = mime_node(t, 1);
	assert_int_equal(n->bodylen, 6);
	assert_memory_equal(n->body, "caf=E9", 6);
	assert_string_equal(n->charset, "iso-8859-1");
	assert_int_equal(n->enc, MIME_ENC_QP);
	assert_int_equal(n->parent, 0);
	assert_int_equal(n->depth, 1);
	mime_free(t);
}

static void
test_limits(void **state)
{
	struct mime_limits lim = { 100, 20, 4096 };
	size_t i, n = 10000, len = 0, cap = n * 32 + 64;
	char *b = malloc(cap);
	struct mime_tree *t;

	(void)state;
	/* 10,000 parts: the first 99 kept */
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(b + len, cap - len, "--x\n\np%zu\n", i);
	t = mime_parse("multipart/mixed; boundary=x", NULL, b, len, &lim);
	assert_int_equal(mime_count(t), 100);
	assert_true(mime_flags(t) & MIME_F_PARTS);
	mime_free(t);
	free(b);
	/* nesting 1,000 deep: containers stop at max_depth */
	cap = 1000 * 64;
	b = malloc(cap);
	for (i = 0, len = 0; i < 1000; i++)
		len += (size_t)snprintf(b + len, cap - len, "--b%zu\nContent-Type: "
		    "multipart/mixed; boundary=b%zu\n\n", i, i + 1);
	t = mime_parse("multipart/mixed; boundary=b0", NULL, b, len, &lim);
	assert_int_equal(mime_count(t), 21);
	assert_true(mime_flags(t) & MIME_F_DEPTH);
	mime_free(t);
	free(b);
}

struct dec_case {
	enum mime_enc	 enc;
	const char	*in;
	const char	*out;
	size_t		 bad;
};

static const struct dec_case decs[] = {
	{ MIME_ENC_BASE64, "SGVsbG8g\r\nd29ybGQ=\r\n", "Hello world", 0 },
	{ MIME_ENC_BASE64, "SGk", "Hi", 0 },			/* no padding */
	{ MIME_ENC_BASE64, "SG!k=", "Hi", 1 },			/* junk skipped */
	{ MIME_ENC_BASE64, "SGk=SGk=", "HiHi", 0 },		/* joined blocks */
	{ MIME_ENC_QP, "caf=C3=A9 =\r\nau lait", "café au lait", 0 },
	{ MIME_ENC_QP, "soft =  \nbreak", "soft break", 0 },
	{ MIME_ENC_QP, "a=ZZb=", "a=ZZb", 1 },
	{ MIME_ENC_QP, "bit=\r\n.ly", "bit.ly", 0 },
	{ MIME_ENC_UU, "begin 644 x.txt\n%2&5L;&\\`\n`\nend\n", "Hello", 0 },
	{ MIME_ENC_NONE, "as is", "as is", 0 },
};

static void
test_decoders(void **state)
{
	char out[256];
	size_t i, n, bad;

	(void)state;
	for (i = 0; i < sizeof(decs) / sizeof(decs[0]); i++) {
		n = mime_dec(decs[i].enc, decs[i].in, strlen(decs[i].in), out,
		    sizeof(out), NULL, &bad);
		out[n] = '\0';
		if (strcmp(out, decs[i].out) != 0)
			fail_msg("case %zu: '%s', want '%s'", i, out, decs[i].out);
		assert_int_equal(bad, decs[i].bad);
	}
	/* out never passes cap */
	assert_int_equal(mime_dec_b64("SGVsbG8gd29ybGQ=", 16, out, 4, NULL, NULL), 3);
	assert_int_equal(mime_dec_enc(" Base64 ", 8), MIME_ENC_BASE64);
	assert_int_equal(mime_dec_enc("x-uue", 5), MIME_ENC_UU);
}

struct str_case {
	const char	*in;
	const char	*out;
};

static const struct str_case words[] = {
	{ "=?UTF-8?B?Q2hlYXAgVmlhZ3Jh?=", "Cheap Viagra" },
	{ "=?iso-8859-1?q?caf=E9?= =?iso-8859-1?q?_cr=E8me?=", "café crème" },
	{ "=?utf-8?q?V=C3?=\r\n =?utf-8?q?=ADagra?= now", "Víagra now" },	/* a character split across words */
	{ "Re: =?windows-1252?Q?=93quoted=94?=", "Re: \xe2\x80\x9cquoted\xe2\x80\x9d" },
	{ "=?KOI8-R?B?8NLJ18XU?=", "Привет" },
	{ "=?no-such-charset?Q?caf=E9?=", "café" },		/* unknown: fallback */
	{ "raw latin1 caf\xe9", "raw latin1 café" },
	{ "not =?an encoded word", "not =?an encoded word" },
	{ "  folded\r\n\tline  ", "folded line" },
};

static void
test_header_words(void **state)
{
	struct mbuf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		mbuf_init(&b, 0);
		assert_int_equal(mime_hdr_decode(words[i].in, strlen(words[i].in),
		    &b), 1);
		if (strcmp(b.p, words[i].out) != 0)
			fail_msg("case %zu: '%s', want '%s'", i, b.p, words[i].out);
		mbuf_free(&b);
	}
}

static const struct str_case params[] = {
	{ "attachment; filename=\"report.pdf\"", "report.pdf" },
	{ "attachment; filename=report.pdf ; size=3", "report.pdf" },
	{ "attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf", "€ rates.pdf" },
	{ "attachment; filename*0*=iso-8859-1'fr'caf%E9; filename*1=\".exe\"", "café.exe" },
	{ "attachment; filename*1=\"b.zip\"; filename*0=\"a\"", "ab.zip" },	/* out of order */
	{ "attachment; filename=\"=?UTF-8?B?0YTQsNC50Lsuemlw?=\"", "файл.zip" },
	{ "attachment; filename=\"a \\\"q\\\" b\"", "a \"q\" b" },
	{ "inline; (comment) filename=x.txt", "x.txt" },
};

static void
test_params(void **state)
{
	struct mbuf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		mbuf_init(&b, 0);
		assert_int_equal(mime_hdr_param(params[i].in, strlen(params[i].in),
		    "filename", &b), 1);
		if (strcmp(b.p, params[i].out) != 0)
			fail_msg("case %zu: '%s', want '%s'", i, b.p, params[i].out);
		mbuf_free(&b);
	}
	mbuf_init(&b, 0);
	assert_int_equal(mime_hdr_param("text/plain; charset=utf-8", 25, "name", &b), 0);
	assert_int_equal(mime_hdr_token(" Text/HTML (c); charset=x", 25, &b), 1);
	assert_string_equal(b.p, "text/html");
	mbuf_free(&b);
}

static int
collect_addr(void *ctx, const char *name, const char *addr)
{
	struct mbuf *b = ctx;

	mbuf_add(b, name, strlen(name));
	mbuf_addc(b, '|');
	mbuf_add(b, addr, strlen(addr));
	mbuf_addc(b, ';');
	return 0;
}

static const struct str_case addrs[] = {
	{ "=?UTF-8?B?UGF5UGFs?= Service <service@paypa1.example>",
	  "PayPal Service|service@paypa1.example;" },
	{ "\"Doe, John\" <jd@example.org>, ann@example.org (Ann B)",
	  "Doe, John|jd@example.org;Ann B|ann@example.org;" },
	{ "team: a@x.org, b@x.org;", "|a@x.org;|b@x.org;" },
	{ "<bare@x.org>", "|bare@x.org;" },
	{ "\"=?utf-8?q?S=C3=A9curit=C3=A9?=\" <s@bank.example>", "Sécurité|s@bank.example;" },
};

static void
test_addrs(void **state)
{
	struct mbuf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		mbuf_init(&b, 0);
		mime_hdr_addrs(addrs[i].in, strlen(addrs[i].in), collect_addr, &b);
		mbuf_add(&b, "", 0);
		if (strcmp(b.p, addrs[i].out) != 0)
			fail_msg("case %zu: '%s', want '%s'", i, b.p, addrs[i].out);
		mbuf_free(&b);
	}
}

static void
test_charset(void **state)
{
	struct mbuf b;

	(void)state;
	mbuf_init(&b, 0);
	assert_int_equal(charset_to_utf8("iso-8859-2", "\xb1", 1, &b), CHARSET_OK);
	assert_string_equal(b.p, "ą");
	mbuf_reset(&b);
	/* a lying charset: "utf-8" with Latin-1 bytes */
	assert_int_equal(charset_to_utf8("utf-8", "caf\xe9", 4, &b), CHARSET_FALLBACK);
	assert_string_equal(b.p, "café");
	mbuf_reset(&b);
	assert_int_equal(charset_to_utf8("x-no-such", "abc", 3, &b), CHARSET_FALLBACK);
	assert_string_equal(b.p, "abc");
	mbuf_reset(&b);
	assert_int_equal(charset_to_utf8("windows-1252", "\x80", 1, &b), CHARSET_OK);
	assert_string_equal(b.p, "€");
	mbuf_reset(&b);
	/* a ceiling is kept */
	mbuf_free(&b);
	mbuf_init(&b, 4);
	assert_int_equal(charset_to_utf8(NULL, "abcdefgh", 8, &b), CHARSET_NOMEM);
	assert_int_equal(b.len, 4);
	mbuf_free(&b);
	assert_true(charset_utf8_valid("\xc3\xa9", 2));
	assert_false(charset_utf8_valid("\xc3", 1));
}

static int
collect_link(void *ctx, const char *url, const char *text)
{
	struct mbuf *b = ctx;

	mbuf_add(b, url, strlen(url));
	mbuf_addc(b, '=');
	mbuf_add(b, text, strlen(text));
	mbuf_addc(b, ';');
	return 0;
}

struct html_case {
	const char	*in;
	const char	*text;
	const char	*links;
};

static const struct html_case htmls[] = {
	{ "<p>Buy V<b>i</b>a&#103;r&amp;a</p>", "Buy Viagr&a", "" },
	{ "<div>one</div><div>two</div>", "one\ntwo", "" },
	{ "a<span style=\"DISPLAY: none\">hidden<b>x</b></span>b", "ab", "" },
	{ "a<font style='font-size:0px'>zz</font>b<p hidden>h</p>c", "ab\nc", "" },
	{ "<style>p{color:red}</style><script>var x='<p>';</script>ok", "ok", "" },
	{ "<a href=\"http://evil.example/&amp;x\">https://paypal.com</a>",
	  "https://paypal.com", "http://evil.example/&x=https://paypal.com;" },
	{ "<img src=\"http://t.example/p.gif\" alt=x>see", "see", "http://t.example/p.gif=;" },
	{ "v&shy;i&zwnj;a\xe2\x80\x8bgra &nbsp; &unknown; &lt;b&gt;", "viagra &unknown; <b>", "" },
	{ "<!-- comment <p>x</p> -->shown<!doctype html>", "shown", "" },
	{ "text <b unclosed attr=\"never", "text", "" },
	{ "1 < 2 <3", "1 < 2 <3", "" },
};

static void
test_html(void **state)
{
	struct mbuf t, l;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(htmls) / sizeof(htmls[0]); i++) {
		mbuf_init(&t, 0);
		mbuf_init(&l, 0);
		assert_int_equal(html_render(htmls[i].in, strlen(htmls[i].in), &t,
		    collect_link, &l, NULL), 0);
		mbuf_add(&t, "", 0);
		mbuf_add(&l, "", 0);
		if (strcmp(t.p, htmls[i].text) != 0)
			fail_msg("case %zu: text '%s', want '%s'", i, t.p,
			    htmls[i].text);
		if (strcmp(l.p, htmls[i].links) != 0)
			fail_msg("case %zu: links '%s', want '%s'", i, l.p,
			    htmls[i].links);
		mbuf_free(&t);
		mbuf_free(&l);
	}
}

/* what url_find() reported, parsed: malloc()ed, or in an arena when there is one */
struct collected {
	struct mbuf	 b;
	struct arena	*arena;
	int		 use_arena;
};

static int
collect_url(void *ctx, const char *s, size_t n)
{
	struct collected *c = ctx;
	struct url u;

	if (url_parse(s, n, &u, NULL, c->use_arena ? &c->arena : NULL) != 0)
		return 0;
	if ((u.buf == NULL) != c->use_arena)
		fail_msg("'%.*s': buf %p with%s an arena", (int)n, s, u.buf,
		    c->use_arena ? "" : "out");
	mbuf_add(&c->b, u.url, strlen(u.url));
	mbuf_addc(&c->b, ' ');
	mbuf_add(&c->b, u.domain, strlen(u.domain));
	mbuf_addc(&c->b, ';');
	free(u.buf);
	return 0;
}

static const struct str_case texts[] = {
	{ "visit http://www.Example.COM/a.", "http://www.example.com/a example.com;" },
	{ "hxxps://evil[.]example[.]co.uk/x", "https://evil.example.co.uk/x example.co.uk;" },
	{ "go to www.shop.example.net now", "http://www.shop.example.net/ example.net;" },
	{ "(see https://a.b.example.org/p?q=1)", "https://a.b.example.org/p?q=1 example.org;" },
	{ "http://paypal.com@203.0.113.9/login", "http://203.0.113.9/login 203.0.113.9;" },
	{ "http://b\xc3\xbc" "cher.example/%7Euser", "http://xn--bcher-kva.example/~user xn--bcher-kva.example;" },
	{ "http://%77%77%77.example.org/", "http://www.example.org/ example.org;" },
	{ "http://3232235777/", "http://192.168.1.1/ 192.168.1.1;" },
	{ "mailto:a@b.example and javascript:x and http://nodot/", "" },
	{ "evil(.)example(.)ru/path", "http://evil.example.ru/path example.ru;" },
	/* one link again and again, ended alike and not (url_find() reuses the last span's end only when alike) */
	{ "go http://a.example.org/x http://a.example.org/x. (http://a.example.org/x) "
	  "http://a.example.org/xy http://a.example.org/x",
	  "http://a.example.org/x example.org;http://a.example.org/x example.org;"
	  "http://a.example.org/x example.org;http://a.example.org/xy example.org;"
	  "http://a.example.org/x example.org;" },
};

static void
test_urls(void **state)
{
	struct collected c;
	size_t i;
	int a;

	(void)state;
	for (a = 0; a < 2; a++)
		for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
			memset(&c, 0, sizeof(c));
			c.use_arena = a;
			mbuf_init(&c.b, 0);
			url_find(texts[i].in, strlen(texts[i].in), collect_url,
			    &c);
			mbuf_add(&c.b, "", 0);
			if (strcmp(c.b.p, texts[i].out) != 0)
				fail_msg("case %zu (arena %d): '%s', want '%s'",
				    i, a, c.b.p, texts[i].out);
			mbuf_free(&c.b);
			arena_free(&c.arena);
		}
}

/*
 * html_render() takes runs of words 16 bytes at a time and the tail a
 * byte at a time: white space of every kind collapses to one space, an
 * entity and a tag end a run, at every offset
 */
static void
test_html_runs(void **state)
{
	char in[512], want[512], pre[64];
	struct mbuf out;
	size_t k;

	(void)state;
	for (k = 0; k < 48; k++) {
		memset(pre, 'a', k);
		pre[k] = '\0';
		snprintf(in, sizeof(in), "<p>%s bb  cc\r\n\tdd&amp;ee ff<i>g</i> "
		    "hh \xc2\xa0ii jjjjjjjjjjjjjjjjjjjj kk</p>", pre);
		snprintf(want, sizeof(want), "%s%sbb cc dd&ee ffg hh \xc2\xa0ii "
		    "jjjjjjjjjjjjjjjjjjjj kk", pre, k > 0 ? " " : "");
		mbuf_init(&out, 0);
		html_render(in, strlen(in), &out, NULL, NULL, NULL);
		if (strcmp(out.p ? out.p : "", want) != 0)
			fail_msg("offset %zu: '%s', want '%s'", k, out.p, want);
		mbuf_free(&out);
	}
}

/* span - url_find()'s callback: the spans, space-separated */
static int
span(void *ctx, const char *s, size_t n)
{
	mbuf_add(ctx, s, n);
	mbuf_addc(ctx, ' ');
	return 0;
}

/*
 * url_find() reads 16 bytes at a time and the tail a byte at a time: each
 * kind of mark at every offset of a longer text, after prose with the
 * bytes that start none ("w", ":", "(" alone), is found once
 */
static void
test_url_find_offsets(void **state)
{
	static const char *const links[] = { "http://a.example/x",
	    "www.b.example", "WWW.C.EXAMPLE", "hxxp[:]//d.example",
	    "e[.]example", "f(.)example", "g[dot]example", "h**ps://i.example/" };
	char text[256];
	struct mbuf b;
	size_t i, off;

	(void)state;
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		for (off = 0; off < 40; off++) {
			memset(text, 0, sizeof(text));
			memcpy(text, "we saw two: (a) wow; [x]  we saw two: (a) "
			    "wow; [x]  ", off);
			text[off] = ' ';
			snprintf(text + off + 1, sizeof(text) - off - 1,
			    "%s and we go: (b) now, wow", links[i]);
			mbuf_init(&b, 0);
			url_find(text, strlen(text), span, &b);
			mbuf_add(&b, "", 0);
			if (strncmp(b.p, links[i], strlen(links[i])) != 0 ||
			    strlen(b.p) != strlen(links[i]) + 1)
				fail_msg("'%s' at %zu: found '%s'", links[i],
				    off + 1, b.p);
			mbuf_free(&b);
		}
}

/* the word-at-a-time ASCII scan of UTF-8 input: a NUL, a high byte, a bad byte at every offset */
static void
test_charset_runs(void **state)
{
	char in[40], want[48];
	struct mbuf b;
	size_t at;

	(void)state;
	for (at = 0; at < 23; at++) {
		memset(in, 'a', 24);
		memcpy(in + at, "\xc3\xa9", 2);	/* e acute, kept */
		mbuf_init(&b, 0);
		assert_int_equal(charset_to_utf8("utf-8", in, 24, &b), CHARSET_OK);
		assert_int_equal(b.len, 24);
		assert_memory_equal(b.p, in, 24);
		mbuf_free(&b);

		memset(in, 'a', 24);
		in[at] = '\0';			/* dropped */
		mbuf_init(&b, 0);
		assert_int_equal(charset_to_utf8("utf-8", in, 24, &b), CHARSET_OK);
		assert_int_equal(b.len, 23);
		mbuf_free(&b);

		memset(in, 'a', 24);
		in[at] = '\xe9';			/* Windows-1252 e acute */
		memset(want, 'a', 25);
		memcpy(want + at, "\xc3\xa9", 2);
		mbuf_init(&b, 0);
		assert_int_equal(charset_to_utf8("utf-8", in, 24, &b),
		    CHARSET_FALLBACK);
		assert_int_equal(b.len, 25);
		assert_memory_equal(b.p, want, 25);
		mbuf_free(&b);
	}
}

/* mbuf_drop, mbuf_reserve, mbuf_addc at the ceiling */
static void
test_mbuf(void **state)
{
	static const struct { const char *in, *out; } rows[] = {
		{ "", "" }, { "\r", "" }, { "a\r\nb\r\n", "a\nb\n" },
		{ "\r\r\rab\r\rc\r", "abc" }, { "no cr", "no cr" },
	};
	struct mbuf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		mbuf_init(&b, 0);
		mbuf_add(&b, rows[i].in, strlen(rows[i].in));
		mbuf_drop(&b, '\r');
		assert_int_equal(b.len, strlen(rows[i].out));
		if (b.p != NULL)
			assert_string_equal(b.p, rows[i].out);
		mbuf_free(&b);
	}
	mbuf_init(&b, 10);
	assert_int_equal(mbuf_reserve(&b, 1000), 0);
	assert_true(b.cap >= 11 && b.cap < 1000);	/* within max */
	for (i = 0; i < 10; i++)
		assert_int_equal(mbuf_addc(&b, 'x'), 0);
	assert_int_equal(mbuf_addc(&b, 'y'), -1);
	assert_true(b.err & MBUF_FULL);
	assert_string_equal(b.p, "xxxxxxxxxx");
	assert_int_equal(mbuf_reserve(&b, 1), -1);	/* sticky */
	mbuf_free(&b);
}

/* the cheap test before parsing a link's text as a host */
static void
test_url_may_have_host(void **state)
{
	static const struct { const char *in; int want; } rows[] = {
		{ "details", 0 }, { "click here", 0 }, { "", 0 },
		{ "www.paypal.com", 1 }, { "paypal[dot]com", 1 },
		{ "PAYPAL(DOT)COM", 1 }, { "b\xc3\xbc" "cher\xe3\x80\x82" "de", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (url_may_have_host(rows[i].in) != rows[i].want)
			fail_msg("'%s': want %d", rows[i].in, rows[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_tree_bodies),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_decoders),
		cmocka_unit_test(test_header_words),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_addrs),
		cmocka_unit_test(test_charset),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_url_find_offsets),
		cmocka_unit_test(test_html_runs),
		cmocka_unit_test(test_charset_runs),
		cmocka_unit_test(test_mbuf),
		cmocka_unit_test(test_url_may_have_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
