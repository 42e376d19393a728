/*
 * test_hdr - the header codec: fields, folding, line ends, the ways a
 * header ends, limits, and that fields + separator + body always give back
 * the input byte for byte, however the input is cut into pushes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hdr.h"
#include "xmalloc.h"

#define BIG	((size_t)1 << 40)

/* what one run of the parser gave */
struct run {
	size_t		 nfields;
	char		 names[512];	/* "Name|Name|" (first 512 bytes) */
	char		 values[512];	/* unfolded values, "v|v|" */
	enum hdr_end_reason reason;
	size_t		 sep_len;
	char		*out;		/* fields + sep + body */
	size_t		 out_len;
	size_t		 out_cap;
	size_t		 body_off;	/* where the body starts in out */
};

static void
cat(struct run *r, const void *p, size_t n)
{
	if (r->out_len + n + 1 > r->out_cap) {
		/* geometric: 100,000 fields must not mean 100,000 copies */
		r->out_cap = (r->out_len + n + 1) * 2;
		r->out = realloc(r->out, r->out_cap);
		assert_non_null(r->out);
	}
	memcpy(r->out + r->out_len, p, n);
	r->out_len += n;
	r->out[r->out_len] = '\0';
}

static void
addstr(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t l = strlen(dst);

	if (l + n + 2 > dstlen)
		return;
	memcpy(dst + l, s, n);
	dst[l + n] = '|';
	dst[l + n + 1] = '\0';
}

/* take - drain events into r; returns 1 once the header ended */
static int
take(struct hdr_parser *p, struct run *r)
{
	struct hdr_event ev;
	enum hdr_status st;
	char *v;
	size_t n;

	while ((st = hdr_next(p, &ev)) != HDR_MORE) {
		if (st == HDR_FIELD) {
			assert_true(ev.name_len > 0);
			assert_true(ev.value_off > ev.name_len);
			assert_int_equal(ev.raw[ev.value_off - 1], ':');
			assert_true(hdr_name_valid(ev.raw, ev.name_len));
			r->nfields++;
			addstr(r->names, sizeof(r->names), ev.raw, ev.name_len);
			v = malloc(ev.raw_len - ev.value_off + 1);
			n = hdr_unfold(v, ev.raw + ev.value_off, ev.raw_len - ev.value_off);
			addstr(r->values, sizeof(r->values), v, n);
			free(v);
			cat(r, ev.raw, ev.raw_len);
			continue;
		}
		assert_int_equal(st, HDR_END);
		r->reason = ev.reason;
		r->sep_len = ev.sep_len;
		cat(r, ev.sep, ev.sep_len);
		r->body_off = r->out_len;
		cat(r, ev.rest, ev.rest_len);
		assert_true(hdr_done(p));
		/* after the end: nothing more taken, nothing more said */
		assert_int_equal(hdr_push(p, "x", 1), 0);
		assert_int_equal(hdr_next(p, &ev), HDR_MORE);
		return 1;
	}
	return 0;
}

/* parse - run input through a parser in pushes of chunk bytes */
static void
parse(const struct hdr_limits *lim, const char *in, size_t len, size_t chunk,
    struct run *r)
{
	struct hdr_parser *p;
	size_t off = 0, n, k;
	int ended = 0;

	memset(r, 0, sizeof(*r));
	r->reason = (enum hdr_end_reason)-1;
	cat(r, "", 0);
	assert_non_null(p = hdr_parser_new(lim));
	while (off < len && !ended) {
		k = len - off < chunk ? len - off : chunk;
		n = hdr_push(p, in + off, k);
		off += n;
		ended = take(p, r);
		/* a push that takes nothing must come with the end of the header */
		if (n == 0)
			assert_true(ended);
	}
	if (!ended) {
		hdr_push_eof(p);
		assert_int_equal(hdr_push(p, "x", 1), 0);
		ended = take(p, r);
	}
	assert_true(ended);
	cat(r, in + off, len - off);
	hdr_parser_free(p);
	/* nothing lost, nothing added */
	assert_int_equal(r->out_len, len);
	assert_memory_equal(r->out, in, len);
}

struct hcase {
	const char	*in;
	size_t		 len;		/* 0: strlen */
	size_t		 field_max, header_max, count_max;	/* 0: big */
	size_t		 nfields;
	const char	*names;
	const char	*values;	/* NULL: don't check */
	enum hdr_end_reason reason;
	size_t		 sep_len;
	const char	*body;
	size_t		 body_len;	/* 0: strlen */
};

#define B(s)	s, sizeof(s) - 1

static const struct hcase hcases[] = {
	{ "Subject: hi\r\nFrom: a@b\r\n\r\nbody\r\n", 0, 0, 0, 0,
	  2, "Subject|From|", "hi|a@b|", HDR_END_BLANK, 2, "body\r\n", 0 },
	{ "Subject: hi\nFrom: a@b\n\nbody\n", 0, 0, 0, 0,
	  2, "Subject|From|", "hi|a@b|", HDR_END_BLANK, 1, "body\n", 0 },
	/* folded lines, both line ends, and a bare CR kept in a value */
	{ "Subject: a\r\n b\r\n\tc \r\nX: y\r\n\r\n", 0, 0, 0, 0,
	  2, "Subject|X|", "a b\tc|y|", HDR_END_BLANK, 2, "", 0 },
	{ "Subject:\n  folded\n  twice\nX:\n\nB", 0, 0, 0, 0,
	  2, "Subject|X|", "folded  twice||", HDR_END_BLANK, 1, "B", 0 },
	{ "A: x\ry\r\n\r\n", 0, 0, 0, 0,
	  1, "A|", "xy|", HDR_END_BLANK, 2, "", 0 },
	/* white space before the colon (obsolete syntax) */
	{ "Subject : hi\r\n\r\n", 0, 0, 0, 0,
	  1, "Subject|", "hi|", HDR_END_BLANK, 2, "", 0 },
	/* no separator: a line that is not a field ends the header */
	{ "Subject: hi\r\nthis is not a header\r\nmore\r\n", 0, 0, 0, 0,
	  1, "Subject|", "hi|", HDR_END_NOT_FIELD, 0,
	  "this is not a header\r\nmore\r\n", 0 },
	{ "Foo Bar: x\r\n\r\n", 0, 0, 0, 0,
	  0, "", NULL, HDR_END_NOT_FIELD, 0, "Foo Bar: x\r\n\r\n", 0 },
	{ ":x\r\n", 0, 0, 0, 0, 0, "", NULL, HDR_END_NOT_FIELD, 0, ":x\r\n", 0 },
	{ "From sender@x Mon Nov 23\nSubject: s\n\n", 0, 0, 0, 0,
	  0, "", NULL, HDR_END_NOT_FIELD, 0, "From sender@x Mon Nov 23\nSubject: s\n\n", 0 },
	{ " leading continuation\r\nA: b\r\n", 0, 0, 0, 0,
	  0, "", NULL, HDR_END_NOT_FIELD, 0, " leading continuation\r\nA: b\r\n", 0 },
	{ "A: 1\r\n\rX\r\n", 0, 0, 0, 0, 1, "A|", NULL, HDR_END_NOT_FIELD, 0, "\rX\r\n", 0 },
	{ "A: 1\r\n\r", 0, 0, 0, 0, 1, "A|", NULL, HDR_END_NOT_FIELD, 0, "\r", 0 },
	{ "A: 1\r\nSubject", 0, 0, 0, 0, 1, "A|", NULL, HDR_END_NOT_FIELD, 0, "Subject", 0 },
	{ "A\x01: 1\r\n\r\n", 0, 0, 0, 0, 0, "", NULL, HDR_END_NOT_FIELD, 0, "A\x01: 1\r\n\r\n", 0 },
	/* only headers; the last line with and without its line end */
	{ "A: 1\r\nB: 2\r\n", 0, 0, 0, 0, 2, "A|B|", "1|2|", HDR_END_EOF, 0, "", 0 },
	{ "A: 1\r\nB: 2", 0, 0, 0, 0, 2, "A|B|", "1|2|", HDR_END_EOF, 0, "", 0 },
	{ "A: 1\r\n b", 0, 0, 0, 0, 1, "A|", "1 b|", HDR_END_EOF, 0, "", 0 },
	{ "A: 1\r", 0, 0, 0, 0, 1, "A|", "1|", HDR_END_EOF, 0, "", 0 },
	/* empty input, an empty line only, body only */
	{ "", 0, 0, 0, 0, 0, "", NULL, HDR_END_EOF, 0, "", 0 },
	{ "\r\n", 0, 0, 0, 0, 0, "", NULL, HDR_END_BLANK, 2, "", 0 },
	{ "\nbody", 0, 0, 0, 0, 0, "", NULL, HDR_END_BLANK, 1, "body", 0 },
	/* NUL and 8-bit bytes */
	{ B("A: x\0y\r\n\r\nb\0dy\0"), 0, 0, 0, 1, "A|", NULL, HDR_END_BLANK, 2, "b\0dy\0", 5 },
	{ "Subject: \xc3\xa9t\xe9\r\n\r\n\xff\xfe", 0, 0, 0, 0,
	  1, "Subject|", "\xc3\xa9t\xe9|", HDR_END_BLANK, 2, "\xff\xfe", 0 },
	{ "Subj\xe9" "ct: x\r\n\r\n", 0, 0, 0, 0,
	  0, "", NULL, HDR_END_NOT_FIELD, 0, "Subj\xe9" "ct: x\r\n\r\n", 0 },
	/* limits: the field that breaks one becomes body */
	{ "A: 0123456789abc\r\n\r\n", 0, 10, 0, 0,
	  0, "", NULL, HDR_END_FIELD_MAX, 0, "A: 0123456789abc\r\n\r\n", 0 },
	{ "A: 1234\r\n\r\n", 0, 9, 0, 0, 1, "A|", NULL, HDR_END_BLANK, 2, "", 0 },
	{ "A: 12345\r\n\r\n", 0, 9, 0, 0,
	  0, "", NULL, HDR_END_FIELD_MAX, 0, "A: 12345\r\n\r\n", 0 },
	{ "A: 1\r\nB: 12\r\n 345\r\n\r\n", 0, 12, 0, 0,
	  1, "A|", NULL, HDR_END_FIELD_MAX, 0, "B: 12\r\n 345\r\n\r\n", 0 },
	{ "Averylongname", 0, 5, 0, 0,
	  0, "", NULL, HDR_END_FIELD_MAX, 0, "Averylongname", 0 },
	{ "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", 0, 0, 12, 0,
	  2, "A|B|", NULL, HDR_END_HEADER_MAX, 0, "C: 3\r\n\r\n", 0 },
	{ "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", 0, 0, 0, 2,
	  2, "A|B|", NULL, HDR_END_COUNT_MAX, 0, "C: 3\r\n\r\n", 0 },
	{ "A: 1\r\nB: 2\r\n\r\nC: 3\r\n", 0, 0, 12, 2,
	  2, "A|B|", NULL, HDR_END_BLANK, 2, "C: 3\r\n", 0 },
	{ "A: 1\r\n", 0, 0, 0, 0, 1, "A|", NULL, HDR_END_EOF, 0, "", 0 },
};

static void
test_cases(void **state)
{
	static const size_t chunks[] = { 1, 2, 3, 5, 7, 64, 100000 };
	struct hdr_limits lim;
	const struct hcase *c;
	struct run r;
	size_t i, j, len, blen;

	(void)state;
	for (i = 0; i < sizeof(hcases) / sizeof(hcases[0]); i++) {
		c = &hcases[i];
		len = c->len ? c->len : strlen(c->in);
		blen = c->body_len ? c->body_len : strlen(c->body);
		lim.field_max = c->field_max ? c->field_max : BIG;
		lim.header_max = c->header_max ? c->header_max : BIG;
		lim.count_max = c->count_max ? c->count_max : BIG;
		if (lim.field_max == BIG)
			lim.field_max = 4096;
		for (j = 0; j < sizeof(chunks) / sizeof(chunks[0]); j++) {
			print_message("case %zu chunk %zu\n", i, chunks[j]);
			parse(&lim, c->in, len, chunks[j], &r);
			assert_int_equal(r.nfields, c->nfields);
			assert_string_equal(r.names, c->names);
			if (c->values != NULL)
				assert_string_equal(r.values, c->values);
			assert_int_equal(r.reason, c->reason);
			assert_int_equal(r.sep_len, c->sep_len);
			assert_int_equal(r.out_len - r.body_off, blen);
			assert_memory_equal(r.out + r.body_off, c->body, blen);
			free(r.out);
		}
	}
}

/* a 2 MB header line: too long for the default field_max, fine with more */
static void
test_long_line(void **state)
{
	struct hdr_limits lim = { 64 * 1024, 1024 * 1024, 10000 };
	size_t n = 2 * 1024 * 1024, chunks[] = { 4096, 1 << 20, 3 * 1024 * 1024 };
	struct run r;
	char *in;
	size_t j;

	(void)state;
	in = malloc(n + 100);
	memcpy(in, "X-Long: ", 8);
	memset(in + 8, 'a', n - 8);
	strcpy(in + n, "\r\nSubject: after\r\n\r\nbody\r\n");
	for (j = 0; j < 3; j++) {
		parse(&lim, in, strlen(in), chunks[j], &r);
		assert_int_equal(r.nfields, 0);
		assert_int_equal(r.reason, HDR_END_FIELD_MAX);
		assert_int_equal(r.body_off, 0);
		free(r.out);
	}
	lim.field_max = 4 * 1024 * 1024;
	lim.header_max = 8 * 1024 * 1024;
	for (j = 0; j < 3; j++) {
		parse(&lim, in, strlen(in), chunks[j], &r);
		assert_int_equal(r.nfields, 2);
		assert_string_equal(r.names, "X-Long|Subject|");
		assert_int_equal(r.reason, HDR_END_BLANK);
		assert_string_equal(r.out + r.body_off, "body\r\n");
		free(r.out);
	}
	free(in);
}

/* 100,000 header fields: the count limit ends the header, nothing is lost */
static void
test_many_fields(void **state)
{
	struct hdr_limits lim = { 64 * 1024, 1024 * 1024, 10000 };
	size_t n = 100000, i, len = 0;
	struct run r;
	char *in;

	(void)state;
	in = malloc(n * 20 + 100);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(in + len, "X-H%zu: %zu\r\n", i, i);
	len += (size_t)sprintf(in + len, "\r\nbody\r\n");
	parse(&lim, in, len, 65536, &r);
	assert_int_equal(r.nfields, 10000);
	assert_int_equal(r.reason, HDR_END_COUNT_MAX);
	assert_memory_equal(r.out + r.body_off, "X-H10000: 10000\r\n", 17);
	free(r.out);

	/* the header limit comes first here (100,000 fields are ~1.4 MB) */
	lim.count_max = 1000000;
	parse(&lim, in, len, 65536, &r);
	assert_int_equal(r.reason, HDR_END_HEADER_MAX);
	assert_true(r.nfields > 60000 && r.nfields < 100000);
	free(r.out);

	lim.header_max = 16 * 1024 * 1024;
	parse(&lim, in, len, 65536, &r);
	assert_int_equal(r.nfields, n);
	assert_int_equal(r.reason, HDR_END_BLANK);
	assert_string_equal(r.out + r.body_off, "body\r\n");
	free(r.out);
	free(in);
}

/* pseudo-random input from a small alphabet: the round trip always holds */
static void
test_random(void **state)
{
	static const char alpha[] = "A:b \t\r\n\nx:\0\xff";
	struct hdr_limits lim;
	char in[300];
	uint32_t seed = 12345;
	size_t i, k, len;
	struct run r;

	(void)state;
	for (i = 0; i < 20000; i++) {
		len = (seed = seed * 1103515245 + 12345) % sizeof(in);
		for (k = 0; k < len; k++) {
			seed = seed * 1103515245 + 12345;
			in[k] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		lim.field_max = (seed >> 8) % 40;
		lim.header_max = (seed >> 4) % 200;
		lim.count_max = (seed >> 12) % 10;
		parse(&lim, in, len, 1 + (seed >> 20) % 17, &r);
		free(r.out);
	}
}

static void
test_name_valid(void **state)
{
	static const struct { const char *s; int ok; } t[] = {
		{ "Subject", 1 }, { "X-Spam-Status", 1 }, { "a", 1 },
		{ "!#$%&'*+-.^_`|~", 1 }, { "", 0 }, { "Sub ject", 0 },
		{ "Subject:", 0 }, { "Sub\tj", 0 }, { "Sub\r", 0 }, { "Sub\n", 0 },
		{ "\x7f", 0 }, { "\xc3\xa9", 0 }, { " X", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(hdr_name_valid(t[i].s, strlen(t[i].s)), t[i].ok);
	assert_int_equal(hdr_name_valid(NULL, 0), 0);
	assert_int_equal(hdr_name_valid("A\0B", 3), 0);
}

static void
test_value_valid(void **state)
{
	static const struct { const char *s; int ok; } t[] = {
		{ "", 1 }, { "plain", 1 }, { "a\r\n b", 1 }, { "a\n\tb", 1 },
		{ "a\r b", 1 }, { "a\r\n\r\n b", 0 }, { "a\nb", 0 }, { "a\rb", 0 },
		{ "a\r\nb", 0 }, { "a\r\n", 0 }, { "a\n", 0 }, { "\n x", 1 },
		{ "\xe9t\xe9", 1 }, { "a\n\n b", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		print_message("value %zu\n", i);
		assert_int_equal(hdr_value_valid(t[i].s), t[i].ok);
	}
	assert_int_equal(hdr_value_valid(NULL), 0);
}

static void
test_unfold(void **state)
{
	static const struct { const char *in, *out; } t[] = {
		{ " hi\r\n", "hi" }, { "hi", "hi" }, { "", "" }, { " \t \r\n", "" },
		{ " a\r\n b\r\n\tc\r\n", "a b\tc" }, { "\r\n  x  \r\n", "x" },
		{ " a\rb\n", "ab" }, { "a  b", "a  b" },
	};
	static const char nul[] = " a\0b\0\r\n";
	char buf[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = hdr_unfold(buf, t[i].in, strlen(t[i].in));
		assert_string_equal(buf, t[i].out);
		assert_int_equal(n, strlen(t[i].out));
	}
	/* NUL bytes become spaces: they must not hide the rest */
	n = hdr_unfold(buf, nul, sizeof(nul) - 1);
	assert_string_equal(buf, "a b");
	assert_int_equal(n, 3);
	/* in place */
	strcpy(buf, "  x\r\n y ");
	hdr_unfold(buf, buf, strlen(buf));
	assert_string_equal(buf, "x y");
}

static void
test_nomem(void **state)
{
	struct hdr_limits lim = { 100, 1000, 10 };
	struct hdr_parser *p;

	(void)state;
	pg_alloc_fail_after(1);
	errno = 0;
	assert_null(hdr_parser_new(&lim));
	assert_int_equal(errno, ENOMEM);
	pg_alloc_fail_after(2);
	errno = 0;
	assert_null(hdr_parser_new(&lim));
	assert_int_equal(errno, ENOMEM);
	pg_alloc_fail_after(0);
	assert_non_null(p = hdr_parser_new(&lim));
	hdr_parser_free(p);
	hdr_parser_free(NULL);
}

/* the buffer grows for a long field; when it cannot, the parser says so */
static void
test_grow_nomem(void **state)
{
	struct hdr_limits lim = { 100000, 1000000, 10 };
	struct hdr_event ev;
	struct hdr_parser *p;
	char line[20000];

	(void)state;
	memset(line, 'v', sizeof(line));
	memcpy(line, "X-Big: ", 7);
	assert_non_null(p = hdr_parser_new(&lim));
	assert_int_equal(hdr_push(p, line, sizeof(line)), 4096);
	assert_int_equal(hdr_next(p, &ev), HDR_MORE);
	pg_alloc_fail_after(1);
	assert_int_equal(hdr_push(p, line, sizeof(line) - 4096), 0);
	pg_alloc_fail_after(0);
	assert_int_equal(hdr_next(p, &ev), HDR_ERR_NOMEM);
	assert_int_equal(hdr_push(p, line, 10), 0);
	assert_int_equal(hdr_next(p, &ev), HDR_ERR_NOMEM);
	hdr_parser_free(p);

	/* and when it can, the field comes out whole */
	assert_non_null(p = hdr_parser_new(&lim));
	assert_int_equal(hdr_push(p, line, sizeof(line)), 4096);
	assert_int_equal(hdr_next(p, &ev), HDR_MORE);
	assert_int_equal(hdr_push(p, line + 4096, sizeof(line) - 4096), 4096);
	assert_int_equal(hdr_next(p, &ev), HDR_MORE);
	assert_int_equal(hdr_push(p, line + 8192, sizeof(line) - 8192), 16384 - 8192);
	assert_int_equal(hdr_next(p, &ev), HDR_MORE);
	assert_int_equal(hdr_push(p, line + 16384, sizeof(line) - 16384), sizeof(line) - 16384);
	assert_int_equal(hdr_push(p, "\r\n\r\n", 4), 4);
	assert_int_equal(hdr_next(p, &ev), HDR_FIELD);
	assert_int_equal(ev.raw_len, sizeof(line) + 2);
	assert_int_equal(ev.name_len, 5);
	assert_int_equal(hdr_next(p, &ev), HDR_END);
	assert_int_equal(ev.reason, HDR_END_BLANK);
	hdr_parser_free(p);
}

static void
test_reason_str(void **state)
{
	int i;

	(void)state;
	for (i = HDR_END_BLANK; i <= HDR_END_COUNT_MAX; i++)
		assert_string_not_equal(hdr_end_reason_str((enum hdr_end_reason)i), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_many_fields),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_value_valid),
		cmocka_unit_test(test_unfold),
		cmocka_unit_test(test_nomem),
		cmocka_unit_test(test_grow_nomem),
		cmocka_unit_test(test_reason_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
