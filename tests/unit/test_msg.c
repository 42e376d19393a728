/*
 * test_msg - the message model: byte-exact output without changes on many
 * kinds of input, header lookup, changes applied in order, bad changes
 * refused, body replacement, the milter's way in, a 10 MB body in little
 * memory, and out-of-memory paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "msg.h"
#include "xmalloc.h"

struct sink {
	char	*p;
	size_t	 n;
	int	 fail_at;	/* fail the n-th call (0: never) */
	int	 calls;
};

static int
sink_out(void *ctx, const void *p, size_t n)
{
	struct sink *s = ctx;

	if (++s->calls == s->fail_at)
		return -1;
	s->p = realloc(s->p, s->n + n + 1);
	assert_non_null(s->p);
	memcpy(s->p + s->n, p, n);
	s->n += n;
	s->p[s->n] = '\0';
	return 0;
}

/* load - a msg from in, written in pushes of chunk bytes */
static struct msg *
load(const struct msg_limits *lim, const char *in, size_t len, size_t chunk)
{
	struct msg *m;
	size_t off, k;

	assert_non_null(m = msg_new(lim));
	for (off = 0; off < len; off += k) {
		k = len - off < chunk ? len - off : chunk;
		assert_int_equal(msg_write(m, in + off, k), 0);
	}
	assert_int_equal(msg_write_end(m), 0);
	assert_true(msg_header_done(m));
	assert_int_equal(msg_size(m), (off_t)len);
	return m;
}

/* output - msg_output() into a fresh buffer */
static char *
output(const struct msg *m, size_t *len)
{
	struct sink s = { NULL, 0, 0, 0 };

	sink_out(&s, "", 0);
	assert_int_equal(msg_output(m, sink_out, &s), 0);
	*len = s.n;
	return s.p;
}

/* body - the body as a buffer */
static char *
body(const struct msg *m, size_t *len)
{
	off_t n = msg_body_size(m);
	char *p = malloc((size_t)n + 1);

	assert_int_equal(msg_body_read(m, 0, p, (size_t)n + 10), (ssize_t)n);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

static void
roundtrip(const struct msg_limits *lim, const char *in, size_t len)
{
	static const size_t chunks[] = { 1, 3, 7, 512, 1 << 30 };
	struct msg *m;
	size_t i, olen;
	char *out;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		if (chunks[i] < 8 && len > 100000)
			continue;	/* slow, and nothing new */
		m = load(lim, in, len, chunks[i]);
		out = output(m, &olen);
		assert_int_equal(olen, len);
		assert_memory_equal(out, in, len);
		assert_int_equal(msg_change_count(m), 0);
		assert_int_equal(msg_new_body_size(m), -1);
		free(out);
		msg_free(m);
	}
}

/*
 * rss_checked - memory numbers mean something: not under valgrind (its
 * preload library is in LD_PRELOAD) nor a sanitizer (shadow memory).
 */
static int
rss_checked(void)
{
	const char *pre = getenv("LD_PRELOAD");

#if defined(__SANITIZE_ADDRESS__)
	return 0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
	return 0;
#endif
#endif
	if (getenv("PG_NO_RSS_CHECK") != NULL)
		return 0;
	return pre == NULL || strstr(pre, "vgpreload") == NULL;
}

/* kib - a line of /proc/self/status, in KiB */
static long
kib(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

/* a sink that checks the output against the 10 MB test message */
struct cmp {
	const char	*hdr;
	size_t		 hlen;
	size_t		 off;
	int		 bad;
};

static char
big_byte(const struct cmp *c, size_t off)
{
	return off < c->hlen ? c->hdr[off] : (char)('a' + (off - c->hlen) % 26);
}

static int
cmp_out(void *ctx, const void *p, size_t n)
{
	struct cmp *c = ctx;
	const char *q = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (q[i] != big_byte(c, c->off + i))
			c->bad = 1;
	c->off += n;
	return 0;
}

/* a 10 MB body with 64 KiB in memory: RSS stays small, output is exact */
static void
test_big_body(void **state)
{
	struct msg_limits lim;
	struct cmp c = { "Subject: big\r\n\r\n", 16, 0, 0 };
	const size_t total = 16 + 10 * 1024 * 1024;
	long rss0, hwm0, rss1, hwm1;
	char buf[16384];
	struct msg *m;
	size_t off, k, i;

	(void)state;
	msg_limits_default(&lim);
	lim.memory_max = 64 * 1024;
	rss0 = kib("VmRSS:");
	hwm0 = kib("VmHWM:");
	assert_non_null(m = msg_new(&lim));
	for (off = 0; off < total; off += k) {
		k = total - off < sizeof(buf) ? total - off : sizeof(buf);
		for (i = 0; i < k; i++)
			buf[i] = big_byte(&c, off + i);
		assert_int_equal(msg_write(m, buf, k), 0);
	}
	assert_int_equal(msg_write_end(m), 0);
	assert_int_equal(msg_size(m), (off_t)total);
	assert_int_equal(msg_body_size(m), (off_t)(total - 16));
	assert_string_equal(msg_header(m, "subject", 1), "big");
	assert_int_equal(msg_output(m, cmp_out, &c), 0);
	assert_int_equal(c.off, total);
	assert_false(c.bad);
	rss1 = kib("VmRSS:");
	hwm1 = kib("VmHWM:");
	print_message("RSS %ld -> %ld KiB, peak %ld -> %ld KiB\n", rss0, rss1,
	    hwm0, hwm1);
	if (rss0 > 0 && rss_checked()) {
		assert_true(rss1 - rss0 < 2048);
		assert_true(hwm1 - hwm0 < 2048);
	}
	msg_free(m);
}

#define B(s)	{ s, sizeof(s) - 1 }

static const struct { const char *s; size_t len; } inputs[] = {
	B("Subject: hi\r\nFrom: a@b\r\n\r\nbody\r\n.\r\n"),
	B("Subject: hi\nFrom: a@b\n\nbody\n"),
	B("Subject: a\r\n b\r\n\tc\r\nX: y\r\n\r\n"),
	B("Subject: hi\r\nthis is not a header\r\nmore\r\n"),
	B("A: 1\r\nB: 2\r\n"),
	B("A: 1\r\nB: 2"),
	B("A: 1\nB: 2\n"),
	B(""),
	B("\r\n"),
	B("\n"),
	B("\r"),
	B("x"),
	B("\r\nbody only"),
	B("no header at all\r\n\r\nreally\r\n"),
	B("A: x\0y\r\n\0: z\r\n\r\nb\0dy\0"),
	B("\0\0\0"),
	B("Subject: \xc3\xa9t\xe9\r\n\r\n\xff\xfe\x80\r\n"),
	B("Mixed: crlf\r\nThen: lf\nAnd: cr\r\r\n\r\n"),
	B("Subject : spaced\r\n\r\n"),
	B(" leading\r\n"),
	B("From sender Mon Nov 23 12:00:00 2026\nSubject: mbox\n\nbody\n"),
};

static void
test_roundtrip(void **state)
{
	struct msg_limits lim, tiny;
	size_t i, n, len;
	char *big;

	(void)state;
	msg_limits_default(&lim);
	tiny = lim;
	tiny.memory_max = 5;
	tiny.field_max = 8;
	tiny.header_max = 20;
	tiny.count_max = 2;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		print_message("input %zu\n", i);
		roundtrip(&lim, inputs[i].s, inputs[i].len);
		roundtrip(&tiny, inputs[i].s, inputs[i].len);
	}

	/* a 2 MB header line */
	n = 2 * 1024 * 1024;
	big = malloc(n + 64);
	memcpy(big, "X-Long: ", 8);
	memset(big + 8, 'a', n - 8);
	len = n + (size_t)sprintf(big + n, "\r\nSubject: s\r\n\r\nbody\r\n");
	roundtrip(&lim, big, len);
	free(big);

	/* 100,000 header fields */
	big = malloc(100000 * 24 + 64);
	len = 0;
	for (i = 0; i < 100000; i++)
		len += (size_t)sprintf(big + len, "X-Header-%zu: %zu\n", i, i);
	len += (size_t)sprintf(big + len, "\nbody\n");
	roundtrip(&lim, big, len);
	free(big);
}

/* pseudo-random messages, random limits and pushes: always exact */
static void
test_random(void **state)
{
	static const char alpha[] = "A:b \t\r\n\n\nx:\0\xff";
	struct msg_limits lim;
	uint32_t seed = 777;
	char in[400];
	size_t i, k, len, chunk, olen;
	struct msg *m;
	char *out;

	(void)state;
	msg_limits_default(&lim);
	for (i = 0; i < 5000; i++) {
		len = (seed = seed * 1103515245 + 12345) % sizeof(in);
		for (k = 0; k < len; k++) {
			seed = seed * 1103515245 + 12345;
			in[k] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		lim.field_max = (seed >> 8) % 50;
		lim.header_max = (seed >> 4) % 300;
		lim.count_max = (seed >> 12) % 12;
		lim.memory_max = (seed >> 3) % 64;
		chunk = 1 + (seed >> 20) % 40;
		m = load(&lim, in, len, chunk);
		out = output(m, &olen);
		assert_int_equal(olen, len);
		assert_memory_equal(out, in, len);
		free(out);
		msg_free(m);
	}
}

static void
test_headers(void **state)
{
	static const char in[] =
	    "From: a@b\r\n"
	    "Subject:   hello\r\n  world  \r\n"
	    "To: c@d\r\n"
	    "SUBJECT: second\r\n"
	    "X-Empty:\r\n"
	    "\r\n"
	    "body\r\n";
	const char *name, *value, *raw;
	struct msg_limits lim;
	struct msg *m;
	size_t blen;
	char *b;

	(void)state;
	msg_limits_default(&lim);
	m = load(&lim, in, sizeof(in) - 1, 5);
	assert_int_equal(msg_header_count(m), 5);
	assert_string_equal(msg_eol(m), "\r\n");
	assert_string_equal(msg_header(m, "subject", 1), "hello  world");
	assert_string_equal(msg_header(m, "Subject", 2), "second");
	assert_string_equal(msg_header(m, "Subject", 0), "hello  world");
	assert_null(msg_header(m, "Subject", 3));
	assert_null(msg_header(m, "Nothing", 1));
	assert_null(msg_header(m, NULL, 1));
	assert_string_equal(msg_header_raw(m, "SUBJECT", 1),
	    "   hello\r\n  world  \r\n");
	assert_string_equal(msg_header(m, "x-empty", 1), "");
	assert_string_equal(msg_header_raw(m, "x-empty", 1), "\r\n");
	assert_int_equal(msg_header_at(m, 3, &name, &value, &raw), 0);
	assert_string_equal(name, "SUBJECT");
	assert_string_equal(value, "second");
	assert_string_equal(raw, " second\r\n");
	assert_int_equal(msg_header_at(m, 0, NULL, NULL, NULL), 0);
	errno = 0;
	assert_int_equal(msg_header_at(m, 5, &name, &value, &raw), -1);
	assert_int_equal(errno, EINVAL);
	b = body(m, &blen);
	assert_string_equal(b, "body\r\n");
	free(b);
	msg_free(m);

	/* line end from the first line */
	m = load(&lim, "A: 1\nB: 2\r\n\r\n", 13, 1);
	assert_string_equal(msg_eol(m), "\n");
	msg_free(m);
	m = load(&lim, "A: 1\r", 5, 1);
	assert_string_equal(msg_eol(m), "\r\n");
	assert_int_equal(msg_header_count(m), 1);
	msg_free(m);
	m = load(&lim, "A: 1\r\n", 6, 5);	/* CR and LF in different pushes */
	assert_string_equal(msg_eol(m), "\r\n");
	msg_free(m);
	m = load(&lim, "", 0, 1);
	assert_string_equal(msg_eol(m), "\r\n");
	assert_int_equal(msg_header_count(m), 0);
	assert_int_equal(msg_body_size(m), 0);
	msg_free(m);

	/* no separator: the line that is not a field starts the body */
	m = load(&lim, "A: 1\r\nnot a field\r\n", 19, 4);
	assert_int_equal(msg_header_count(m), 1);
	b = body(m, &blen);
	assert_string_equal(b, "not a field\r\n");
	free(b);
	msg_free(m);

	/* limits: the 3rd field and what follows are body */
	lim.count_max = 2;
	m = load(&lim, "A: 1\r\nB: 2\r\nC: 3\r\n\r\nx", 21, 64);
	assert_int_equal(msg_header_count(m), 2);
	assert_null(msg_header(m, "C", 1));
	b = body(m, &blen);
	assert_string_equal(b, "C: 3\r\n\r\nx");
	free(b);
	msg_free(m);
}

struct ccase {
	const char		*in;
	struct msg_change	 ch[4];
	size_t			 nch;
	const char		*out;
};

#define ADD(n, v)	{ MSG_ADD_HEADER, n, v, NULL, 0, "f" }
#define INS(i, n, v)	{ MSG_INSERT_HEADER, n, v, NULL, i, "f" }
#define CHG(n, i, v)	{ MSG_CHANGE_HEADER, n, v, NULL, i, "f" }
#define DEL(n, i)	{ MSG_DELETE_HEADER, n, NULL, NULL, i, "f" }

#define IN1	"From: a@b\r\nSubject: hi\r\nTo: c@d\r\nsubject: second\r\n\r\nbody\r\n"

static const struct ccase ccases[] = {
	{ IN1, { ADD("X-A", "1") }, 1,
	  "From: a@b\r\nSubject: hi\r\nTo: c@d\r\nsubject: second\r\nX-A: 1\r\n\r\nbody\r\n" },
	{ IN1, { INS(0, "X-T", "top") }, 1,
	  "X-T: top\r\nFrom: a@b\r\nSubject: hi\r\nTo: c@d\r\nsubject: second\r\n\r\nbody\r\n" },
	{ IN1, { INS(2, "X-T", "two") }, 1,
	  "From: a@b\r\nSubject: hi\r\nX-T: two\r\nTo: c@d\r\nsubject: second\r\n\r\nbody\r\n" },
	{ IN1, { INS(99, "X-T", "end") }, 1,
	  "From: a@b\r\nSubject: hi\r\nTo: c@d\r\nsubject: second\r\nX-T: end\r\n\r\nbody\r\n" },
	{ IN1, { CHG("subject", 1, "new") }, 1,
	  "From: a@b\r\nSubject: new\r\nTo: c@d\r\nsubject: second\r\n\r\nbody\r\n" },
	{ IN1, { CHG("SUBJECT", 2, "new2") }, 1,
	  "From: a@b\r\nSubject: hi\r\nTo: c@d\r\nsubject: new2\r\n\r\nbody\r\n" },
	{ IN1, { CHG("Subject", 3, "third") }, 1,
	  "From: a@b\r\nSubject: hi\r\nTo: c@d\r\nsubject: second\r\nSubject: third\r\n\r\nbody\r\n" },
	{ IN1, { CHG("Subject", 1, NULL) }, 1,
	  "From: a@b\r\nTo: c@d\r\nsubject: second\r\n\r\nbody\r\n" },
	{ IN1, { DEL("subject", 2) }, 1,
	  "From: a@b\r\nSubject: hi\r\nTo: c@d\r\n\r\nbody\r\n" },
	{ IN1, { DEL("X-None", 1), DEL("Subject", 3) }, 2, IN1 },
	/* later changes see the header as changed by earlier ones */
	{ IN1, { INS(0, "Subject", "top"), DEL("Subject", 2), CHG("subject", 1, "x") }, 3,
	  "Subject: x\r\nFrom: a@b\r\nTo: c@d\r\nsubject: second\r\n\r\nbody\r\n" },
	{ IN1, { ADD("Subject", "third"), DEL("Subject", 3) }, 2, IN1 },
	{ IN1, { DEL("From", 1), DEL("To", 1), DEL("Subject", 1), DEL("Subject", 1) }, 4,
	  "\r\nbody\r\n" },
	{ IN1, { DEL("From", 1), INS(1, "X", "1") }, 2,
	  "Subject: hi\r\nX: 1\r\nTo: c@d\r\nsubject: second\r\n\r\nbody\r\n" },
	/* folded values are written with the message's line end */
	{ IN1, { ADD("X-F", "a\n\tb\r\n c\r d") }, 1,
	  "From: a@b\r\nSubject: hi\r\nTo: c@d\r\nsubject: second\r\nX-F: a\r\n\tb\r\n c\r\n d\r\n\r\nbody\r\n" },
	{ "A: 1\nB: 2\n\nbody\n", { ADD("X-F", "a\r\n b"), CHG("a", 1, "x") }, 2,
	  "A: x\nB: 2\nX-F: a\n b\n\nbody\n" },
	{ "A: 1\nB: 2\n\nbody\n", { ADD("X-E", "") }, 1, "A: 1\nB: 2\nX-E: \n\nbody\n" },
	/* envelope changes and quarantine leave the bytes alone */
	{ IN1, { { MSG_ADD_RCPT, NULL, NULL, "x@y", 0, "f" },
	    { MSG_DEL_RCPT, NULL, NULL, "c@d", 0, NULL },
	    { MSG_CHANGE_SENDER, NULL, "SIZE=10", "s@t", 0, "f" },
	    { MSG_QUARANTINE, NULL, "why", NULL, 0, "f" } }, 4, IN1 },
	/* no separator, only headers, no line end, empty */
	{ "Subject: x\r\nnot a header\r\n", { ADD("X", "y") }, 1,
	  "Subject: x\r\nX: y\r\nnot a header\r\n" },
	{ "A: 1\r\nB: 2", { ADD("C", "3") }, 1, "A: 1\r\nB: 2\r\nC: 3\r\n" },
	{ "A: 1\r\nB: 2", { DEL("B", 1) }, 1, "A: 1\r\n" },
	{ "A: 1\r\nB: 2", { INS(1, "C", "3") }, 1, "A: 1\r\nC: 3\r\nB: 2" },
	{ "", { ADD("X", "y") }, 1, "X: y\r\n" },
	{ "\nbody", { ADD("X", "y") }, 1, "X: y\n\nbody" },
};

static void
test_changes(void **state)
{
	struct msg_limits lim;
	const struct ccase *c;
	struct msg *m;
	size_t i, j, olen, ilen;
	char *out;

	(void)state;
	msg_limits_default(&lim);
	for (i = 0; i < sizeof(ccases) / sizeof(ccases[0]); i++) {
		c = &ccases[i];
		print_message("change case %zu\n", i);
		m = load(&lim, c->in, strlen(c->in), 3);
		for (j = 0; j < c->nch; j++)
			assert_int_equal(msg_change_add(m, &c->ch[j]), 0);
		assert_int_equal(msg_change_count(m), c->nch);
		out = output(m, &olen);
		assert_string_equal(out, c->out);
		assert_int_equal(olen, strlen(c->out));
		/* the header as received is untouched */
		assert_int_equal(msg_size(m), (off_t)strlen(c->in));
		free(out);
		msg_free(m);
	}

	/* NUL and 8-bit bytes survive around a change */
	{
		static const char in[] = "A: \xe9\0x\r\n\r\n\xff\0z";
		static const char want[] = "A: \xe9\0x\r\nB: \xe9\r\n\r\n\xff\0z";
		struct msg_change ch = ADD("B", "\xe9");

		ilen = sizeof(in) - 1;
		m = load(&lim, in, ilen, 2);
		assert_string_equal(msg_header(m, "A", 1), "\xe9 x");
		assert_int_equal(msg_change_add(m, &ch), 0);
		out = output(m, &olen);
		assert_int_equal(olen, sizeof(want) - 1);
		assert_memory_equal(out, want, olen);
		free(out);
		msg_free(m);
	}
}

/*
 * Random header changes against a plain reference: a list of lines, each
 * lookup a scan from the top. Names differ in case only to test that
 * lookups ignore it; runs of changes to one name exercise the cursor.
 */
struct ref {
	char	*line[400];
	char	*nm[400];
	size_t	 n;
};

static ssize_t
ref_nth(const struct ref *r, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcasecmp(r->nm[i], name) == 0 && --n == 0)
			return (ssize_t)i;
	return -1;
}

static void
ref_put(struct ref *r, size_t at, const char *name, const char *value, int insert)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s: %s\r\n", name, value);
	if (insert) {
		memmove(&r->line[at + 1], &r->line[at], (r->n - at) * sizeof(char *));
		memmove(&r->nm[at + 1], &r->nm[at], (r->n - at) * sizeof(char *));
		r->n++;
		r->nm[at] = strdup(name);
	} else {
		free(r->line[at]);
	}
	r->line[at] = strdup(buf);
}

static void
ref_del(struct ref *r, size_t at)
{
	free(r->line[at]);
	free(r->nm[at]);
	memmove(&r->line[at], &r->line[at + 1], (r->n - at - 1) * sizeof(char *));
	memmove(&r->nm[at], &r->nm[at + 1], (r->n - at - 1) * sizeof(char *));
	r->n--;
}

static void
test_changes_random(void **state)
{
	static const char *names[] = { "A", "a", "B", "C", "X-Spam-Status" };
	struct msg_limits lim;
	struct msg_change ch;
	struct ref r;
	uint32_t seed = 4242;
	char in[8192], want[65536], val[32], *out;
	size_t iter, i, k, len, olen, nf, nch;
	ssize_t at;
	struct msg *m;

	(void)state;
	msg_limits_default(&lim);
#define RND()	(seed = seed * 1103515245 + 12345, (seed >> 16) & 0x7fff)
	for (iter = 0; iter < 400; iter++) {
		memset(&r, 0, sizeof(r));
		nf = RND() % 40;
		len = 0;
		for (i = 0; i < nf; i++) {
			const char *nm = names[RND() % 5];

			len += (size_t)sprintf(in + len, "%s: %zu\r\n", nm, i);
			snprintf(val, sizeof(val), "%zu", i);
			ref_put(&r, r.n, nm, val, 1);
		}
		len += (size_t)sprintf(in + len, "\r\nbody\r\n");
		m = load(&lim, in, len, 64);

		/* lookups, counting up as callers do, then at random */
		for (k = 0; k < 5; k++) {
			for (i = 1; i < 20; i++) {
				size_t n = k < 3 ? i : 1 + RND() % 20;
				const char *nm = names[RND() % 5];
				const char *got;

				if (k < 3)
					nm = names[k];
				at = ref_nth(&r, nm, n);
				got = msg_header_raw(m, nm, n);
				if (at == -1) {
					assert_null(got);
				} else {
					assert_non_null(got);
					assert_string_equal(got, strchr(r.line[at], ':') + 1);
				}
			}
		}

		nch = RND() % 30;
		for (i = 0; i < nch; i++) {
			memset(&ch, 0, sizeof(ch));
			ch.kind = (enum msg_change_kind)(RND() % 4);
			ch.name = names[RND() % 5];
			k = RND() % 2 ? 3 : 15;
			ch.index = 1 + RND() % k;
			snprintf(val, sizeof(val), "v%zu", i);
			ch.value = val;
			if (ch.kind == MSG_CHANGE_HEADER && RND() % 4 == 0)
				ch.value = NULL;
			/* runs of the same change, counting down */
			if (RND() % 3 == 0 && i > 0 && ch.kind >= MSG_CHANGE_HEADER) {
				ch.index = 6;
				for (k = 6; k >= 1; k--) {
					ch.index = k;
					assert_int_equal(msg_change_add(m, &ch), 0);
					if ((at = ref_nth(&r, ch.name, k)) != -1) {
						if (ch.kind == MSG_DELETE_HEADER || ch.value == NULL)
							ref_del(&r, (size_t)at);
						else
							ref_put(&r, (size_t)at, r.nm[at], ch.value, 0);
					} else if (ch.kind == MSG_CHANGE_HEADER && ch.value != NULL)
						ref_put(&r, r.n, ch.name, ch.value, 1);
				}
				continue;
			}
			assert_int_equal(msg_change_add(m, &ch), 0);
			switch (ch.kind) {
			case MSG_ADD_HEADER:
				ref_put(&r, r.n, ch.name, ch.value, 1);
				break;
			case MSG_INSERT_HEADER:
				ref_put(&r, ch.index < r.n ? ch.index : r.n, ch.name,
				    ch.value, 1);
				break;
			default:
				at = ref_nth(&r, ch.name, ch.index);
				if (at == -1) {
					if (ch.kind == MSG_CHANGE_HEADER && ch.value != NULL)
						ref_put(&r, r.n, ch.name, ch.value, 1);
				} else if (ch.kind == MSG_DELETE_HEADER || ch.value == NULL) {
					ref_del(&r, (size_t)at);
				} else {
					ref_put(&r, (size_t)at, r.nm[at], ch.value, 0);
				}
				break;
			}
		}
		want[0] = '\0';
		for (i = 0; i < r.n; i++)
			strcat(want, r.line[i]);
		strcat(want, "\r\nbody\r\n");
		out = output(m, &olen);
		assert_string_equal(out, want);
		free(out);
		msg_free(m);
		for (i = 0; i < r.n; i++) {
			free(r.line[i]);
			free(r.nm[i]);
		}
	}
#undef RND
}

static void
test_change_record(void **state)
{
	struct msg_change ch = CHG("Subject", 2, "v");
	const struct msg_change *got;
	struct msg_limits lim;
	char name[] = "Subject", value[] = "v";
	struct msg *m;

	(void)state;
	msg_limits_default(&lim);
	m = load(&lim, IN1, strlen(IN1), 1000);
	ch.name = name;
	ch.value = value;
	assert_int_equal(msg_change_add(m, &ch), 0);
	/* copies: the caller's strings may go away */
	name[0] = 'X';
	value[0] = 'w';
	assert_non_null(got = msg_change_at(m, 0));
	assert_int_equal(got->kind, MSG_CHANGE_HEADER);
	assert_string_equal(got->name, "Subject");
	assert_string_equal(got->value, "v");
	assert_int_equal(got->index, 2);
	assert_string_equal(got->filter, "f");
	assert_null(got->addr);
	assert_null(msg_change_at(m, 1));
	/* filters keep seeing the header as received */
	assert_string_equal(msg_header(m, "Subject", 2), "second");
	msg_free(m);
}

static void
test_change_invalid(void **state)
{
	static const struct msg_change bad[] = {
		ADD("Bad:Name", "v"), ADD("Bad Name", "v"), ADD("", "v"),
		ADD(NULL, "v"), ADD("Bad\x01", "v"), ADD("Bad\xe9", "v"),
		ADD("X", NULL), ADD("X", "a\nb"), ADD("X", "a\r"), ADD("X", "a\r\n"),
		ADD("X", "a\rb"), INS(0, "X:", "v"), INS(0, "X", "a\n"),
		CHG("X", 0, "v"), CHG("X", 1, "a\nb"), CHG("X Y", 1, "v"),
		DEL("X", 0), DEL("", 1), DEL(NULL, 1),
		{ MSG_ADD_RCPT, NULL, NULL, NULL, 0, NULL },
		{ MSG_ADD_RCPT, NULL, NULL, "a@b\r\nRCPT TO:<c@d>", 0, NULL },
		{ MSG_DEL_RCPT, NULL, NULL, "a\n", 0, NULL },
		{ MSG_CHANGE_SENDER, NULL, NULL, NULL, 0, NULL },
		{ MSG_CHANGE_SENDER, NULL, "A=B\r\n", "a@b", 0, NULL },
		{ MSG_QUARANTINE, NULL, "two\nlines", NULL, 0, NULL },
		{ MSG_REPLACE_BODY, NULL, NULL, NULL, 0, NULL },
		{ (enum msg_change_kind)99, "X", "v", "a", 1, NULL },
		{ (enum msg_change_kind)-1, "X", "v", "a", 1, NULL },
	};
	struct msg_limits lim;
	struct msg *m;
	size_t i;

	(void)state;
	msg_limits_default(&lim);
	m = load(&lim, IN1, strlen(IN1), 1000);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("bad change %zu\n", i);
		errno = 0;
		assert_int_equal(msg_change_add(m, &bad[i]), -1);
		assert_int_equal(errno, EINVAL);
	}
	errno = 0;
	assert_int_equal(msg_change_add(m, NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(msg_replace_body(m, NULL, 5, "f"), -1);
	assert_int_equal(msg_change_count(m), 0);
	msg_free(m);
}

static void
test_replace_body(void **state)
{
	struct msg_limits lim;
	struct msg_change ch = { MSG_REPLACE_BODY, NULL, "text body\r\n", NULL, 0, "g" };
	struct msg *m;
	char buf[64], *out, *big;
	size_t olen, i, n = 300000;

	(void)state;
	msg_limits_default(&lim);
	lim.memory_max = 1000;
	m = load(&lim, IN1, strlen(IN1), 1000);
	assert_int_equal(msg_new_body_size(m), -1);
	assert_int_equal(msg_new_body_read(m, 0, buf, sizeof(buf)), 0);
	assert_int_equal(msg_replace_body(m, "new\r\n", 5, "f"), 0);
	assert_int_equal(msg_new_body_size(m), 5);
	assert_int_equal(msg_new_body_read(m, 0, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "new\r\n", 5);
	/* the received body stays for filters */
	assert_int_equal(msg_body_size(m), 6);
	assert_int_equal(msg_change_at(m, 0)->kind, MSG_REPLACE_BODY);
	assert_string_equal(msg_change_at(m, 0)->filter, "f");
	out = output(m, &olen);
	assert_string_equal(out,
	    "From: a@b\r\nSubject: hi\r\nTo: c@d\r\nsubject: second\r\n\r\nnew\r\n");
	free(out);

	/* the last replacement wins; through msg_change_add too */
	assert_int_equal(msg_change_add(m, &ch), 0);
	assert_int_equal(msg_change_count(m), 2);
	assert_int_equal(msg_new_body_size(m), 11);
	out = output(m, &olen);
	assert_string_equal(out,
	    "From: a@b\r\nSubject: hi\r\nTo: c@d\r\nsubject: second\r\n\r\ntext body\r\n");
	free(out);

	/* a big one goes to its own spool file; empty is allowed */
	big = malloc(n);
	for (i = 0; i < n; i++)
		big[i] = (char)('A' + i % 23);
	assert_int_equal(msg_replace_body(m, big, n, NULL), 0);
	assert_int_equal(msg_new_body_size(m), (off_t)n);
	out = output(m, &olen);
	assert_int_equal(olen, strlen(IN1) - 6 + n);
	assert_memory_equal(out + olen - n, big, n);
	free(out);
	free(big);
	assert_int_equal(msg_replace_body(m, NULL, 0, NULL), 0);
	assert_int_equal(msg_new_body_size(m), 0);
	out = output(m, &olen);
	assert_string_equal(out,
	    "From: a@b\r\nSubject: hi\r\nTo: c@d\r\nsubject: second\r\n\r\n");
	free(out);
	msg_free(m);

	/* a message without separator gets one before its new body */
	m = load(&lim, "A: 1\nB: 2", 9, 1000);
	assert_int_equal(msg_replace_body(m, "b\n", 2, NULL), 0);
	out = output(m, &olen);
	assert_string_equal(out, "A: 1\nB: 2\n\nb\n");
	free(out);
	msg_free(m);
}

/* the milter's way in: fields apart, then the body */
static void
test_apart(void **state)
{
	struct msg_limits lim;
	const char *name, *value, *raw;
	struct msg *m;
	struct msg_change ch = ADD("X-New", "1");
	char *out, buf[16];
	size_t olen;

	(void)state;
	msg_limits_default(&lim);
	lim.count_max = 3;
	lim.field_max = 40;
	assert_non_null(m = msg_new(&lim));
	assert_false(msg_header_done(m));
	assert_int_equal(msg_add_field(m, "From", " a@b"), 0);
	assert_int_equal(msg_add_field(m, "Subject", " folded\n\tvalue "), 0);
	errno = 0;
	assert_int_equal(msg_add_field(m, "Bad Name", "x"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(msg_add_field(m, "X", NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(msg_header_count(m), 2);
	assert_string_equal(msg_header(m, "subject", 1), "folded\tvalue");
	assert_string_equal(msg_header_raw(m, "subject", 1), " folded\n\tvalue \r\n");
	assert_int_equal(msg_add_field(m, "To", "c@d"), 0);
	/* past a limit the header ends for the model: not kept, no error */
	assert_int_equal(msg_add_field(m, "X-Long",
	    " 0123456789012345678901234567890123456789"), 0);
	assert_int_equal(msg_add_field(m, "Cc", "e@f"), 0);
	assert_int_equal(msg_header_count(m), 3);
	assert_null(msg_header(m, "X-Long", 1));
	assert_null(msg_header(m, "Cc", 1));
	assert_int_equal(msg_end_header(m), 0);
	assert_true(msg_header_done(m));
	assert_int_equal(msg_add_field(m, "Late", "x"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(msg_body_write(m, "hello\r\n", 7), 0);
	assert_int_equal(msg_body_write(m, "world\r\n", 7), 0);
	assert_int_equal(msg_body_size(m), 14);
	assert_int_equal(msg_body_read(m, 7, buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "world\r\n", 7);
	assert_int_equal(msg_header_at(m, 2, &name, &value, &raw), 0);
	assert_string_equal(name, "To");
	assert_string_equal(value, "c@d");
	assert_string_equal(raw, "c@d\r\n");
	assert_int_equal(msg_change_add(m, &ch), 0);
	out = output(m, &olen);
	assert_string_equal(out, "From: a@b\r\nSubject: folded\n\tvalue \r\n"
	    "To:c@d\r\nX-New: 1\r\n\r\nhello\r\nworld\r\n");
	/* received: From, Subject, To, X-Long, Cc, the empty line, the body */
	assert_int_equal(msg_size(m), (off_t)(11 + 25 + 8 + 50 + 8 + 2 + 14));
	free(out);
	msg_free(m);

	/* a body without msg_end_header() ends the header */
	assert_non_null(m = msg_new(NULL));
	assert_int_equal(msg_add_field(m, "A", " 1"), 0);
	assert_int_equal(msg_body_write(m, "b", 1), 0);
	assert_true(msg_header_done(m));
	out = output(m, &olen);
	assert_string_equal(out, "A: 1\r\n\r\nb");
	free(out);
	msg_free(m);
}

static void
test_output_fails(void **state)
{
	struct msg_limits lim;
	struct sink s = { NULL, 0, 0, 0 };
	struct msg *m;
	int i;

	(void)state;
	msg_limits_default(&lim);
	lim.memory_max = 10;
	m = load(&lim, IN1, strlen(IN1), 1000);
	for (i = 1; i < 4; i++) {
		memset(&s, 0, sizeof(s));
		s.fail_at = i;
		/* the message is small: one call, or none after a failure */
		if (msg_output(m, sink_out, &s) == 0)
			assert_true(s.calls < i);
		free(s.p);
	}
	msg_free(m);

	/* not before the end of the message */
	assert_non_null(m = msg_new(NULL));
	assert_int_equal(msg_write(m, "A: 1\r\n", 6), 0);
	memset(&s, 0, sizeof(s));
	errno = 0;
	assert_int_equal(msg_output(m, sink_out, &s), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(msg_write_end(m), 0);
	assert_int_equal(msg_output(m, sink_out, &s), 0);
	assert_string_equal(s.p, "A: 1\r\n");
	free(s.p);
	msg_free(m);

	/* a spool that cannot grow: the error sticks, no output */
	lim.memory_max = 4;
	lim.spool_dir = "/nonexistent/phasegate";
	assert_non_null(m = msg_new(&lim));
	assert_int_equal(msg_write(m, "A: 1\r\n\r\nab", 10), 0);
	errno = 0;
	assert_int_equal(msg_write(m, "cdefgh", 6), -1);
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_int_equal(msg_write(m, "x", 1), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(msg_write_end(m), -1);
	memset(&s, 0, sizeof(s));
	assert_int_equal(msg_output(m, sink_out, &s), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(s.calls, 0);
	msg_free(m);
}

/* the changes one message may collect: a count and bytes of text */
static void
test_change_caps(void **state)
{
	static const char in[] = "A: a\r\n\r\nbody\r\n";
	struct msg_limits lim;
	struct msg_change ch = ADD("X-Loop", "v");
	struct msg *m;
	char *big;
	size_t i;

	(void)state;
	msg_limits_default(&lim);
	m = load(&lim, in, sizeof(in) - 1, 5);
	for (i = 0; i < MSG_CHANGES_MAX; i++)
		assert_int_equal(msg_change_add(m, &ch), 0);
	errno = 0;
	assert_int_equal(msg_change_add(m, &ch), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(msg_replace_body(m, "x", 1, "f"), -1);
	assert_int_equal(msg_change_count(m), MSG_CHANGES_MAX);
	msg_free(m);

	/* bytes: two values of nearly half the cap fit, then nothing of 32 */
	assert_non_null(big = malloc(MSG_CHANGE_BYTES_MAX / 2 + 1));
	memset(big, 'v', MSG_CHANGE_BYTES_MAX / 2 - 8);
	big[MSG_CHANGE_BYTES_MAX / 2 - 8] = '\0';
	m = load(&lim, in, sizeof(in) - 1, 5);
	ch.value = big;
	assert_int_equal(msg_change_add(m, &ch), 0);
	assert_int_equal(msg_change_add(m, &ch), 0);
	ch.value = "0123456789abcdef0123456789";
	errno = 0;
	assert_int_equal(msg_change_add(m, &ch), -1);
	assert_int_equal(errno, E2BIG);
	msg_free(m);
	free(big);
}

static void
test_limits_default(void **state)
{
	struct msg_limits lim;

	(void)state;
	memset(&lim, 0xff, sizeof(lim));
	msg_limits_default(&lim);
	assert_int_equal(lim.memory_max, 1024 * 1024);
	assert_string_equal(lim.spool_dir, "/tmp");
	assert_int_equal(lim.field_max, 64 * 1024);
	assert_int_equal(lim.header_max, 1024 * 1024);
	assert_int_equal(lim.count_max, 10000);
}

/*
 * Out of memory at every allocation in turn: each call says -1/ENOMEM or
 * works, nothing crashes, and a msg that came through whole still writes
 * out exact (leaks are checked by the sanitizer and valgrind runs).
 */
static void
test_nomem(void **state)
{
	static const char in[] =
	    "From: a@b\r\nSubject: hi\r\n there\r\nTo: c@d\r\n\r\nbody\r\nmore body\r\n";
	struct msg_change ch = ADD("X-A", "1");
	struct msg_limits lim;
	struct sink s;
	unsigned long n;
	struct msg *m;
	size_t off;
	int ok, failures = 0;

	(void)state;
	msg_limits_default(&lim);
	lim.memory_max = 16;	/* the body moves to a file: more allocations */
	for (n = 1; n < 60; n++) {
		pg_alloc_fail_after(n);
		errno = 0;
		ok = (m = msg_new(&lim)) != NULL;
		for (off = 0; ok && off < sizeof(in) - 1; off += 7)
			ok = msg_write(m, in + off, sizeof(in) - 1 - off < 7 ?
			    sizeof(in) - 1 - off : 7) == 0;
		ok = ok && msg_write_end(m) == 0;
		ok = ok && msg_change_add(m, &ch) == 0;
		ok = ok && msg_replace_body(m, "nb\r\n", 4, "f") == 0;
		memset(&s, 0, sizeof(s));
		ok = ok && msg_output(m, sink_out, &s) == 0;
		if (!ok) {
			assert_int_equal(errno, ENOMEM);
			failures++;
			/* a failed write stays failed */
			if (m != NULL && !msg_header_done(m))
				assert_int_equal(msg_write(m, "x", 1), -1);
		} else {
			assert_string_equal(s.p, "From: a@b\r\nSubject: hi\r\n there\r\n"
			    "To: c@d\r\nX-A: 1\r\n\r\nnb\r\n");
		}
		pg_alloc_fail_after(0);
		free(s.p);
		msg_free(m);
	}
	/* the walk did hit failures, and ended past the last allocation */
	assert_true(failures > 5);
	assert_true(ok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		/* first, while the process is still small */
		cmocka_unit_test(test_big_body),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_changes_random),
		cmocka_unit_test(test_change_record),
		cmocka_unit_test(test_change_invalid),
		cmocka_unit_test(test_replace_body),
		cmocka_unit_test(test_apart),
		cmocka_unit_test(test_output_fails),
		cmocka_unit_test(test_limits_default),
		cmocka_unit_test(test_change_caps),
		cmocka_unit_test(test_nomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
