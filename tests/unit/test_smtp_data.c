/*
 * test_smtp_data - table-driven tests of the DATA decoder and encoder
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "smtp_data.h"

struct dec_case {
	const char	*in;
	int		 normalize;
	uint64_t	 max;
	int		 end;		/* end of data expected */
	const char	*out;		/* decoded message (up to the end) */
	const char	*rest;		/* input left after the end */
	unsigned	 flags;
};

static const struct dec_case dcases[] = {
	{ "a\r\n.\r\n", 0, 0, 1, "a\r\n", "", 0 },
	{ ".\r\n", 0, 0, 1, "", "", 0 },
	{ "..\r\n.\r\nQUIT\r\n", 0, 0, 1, ".\r\n", "QUIT\r\n", 0 },
	{ "a\r\n..b\r\n...\r\n.\r\n", 0, 0, 1, "a\r\n.b\r\n..\r\n", "", 0 },
	{ "a\r\nb.\r\n.\r\n", 0, 0, 1, "a\r\nb.\r\n", "", 0 },
	{ "a\r\n.\r\nMAIL FROM:<x>\r\n", 0, 0, 1, "a\r\n", "MAIL FROM:<x>\r\n", 0 },
	/* smuggling variants: none of them ends the data */
	{ "a\n.\nMAIL\r\n", 0, 0, 0, "a\n.\nMAIL\r\n", "", SMTP_DATA_F_BARENL },
	{ "a\n.\r\nMAIL\r\n", 0, 0, 0, "a\n.\r\nMAIL\r\n", "", SMTP_DATA_F_BARENL },
	{ "a\r\n.\nMAIL\r\n", 0, 0, 0, "a\r\n\nMAIL\r\n", "", SMTP_DATA_F_BARENL },
	{ "a\r.\rMAIL\r\n", 0, 0, 0, "a\r.\rMAIL\r\n", "", SMTP_DATA_F_BARENL },
	{ "a\r\n.\rMAIL\r\n", 0, 0, 0, "a\r\n\rMAIL\r\n", "", SMTP_DATA_F_BARENL },
	{ "a\n.\n", 0, 0, 0, "a\n.\n", "", SMTP_DATA_F_BARENL },
	/* ... and the real end after them still does */
	{ "a\n.\nb\r\n.\r\nQUIT\r\n", 0, 0, 1, "a\n.\nb\r\n", "QUIT\r\n", SMTP_DATA_F_BARENL },
	/* normalize: a bare LF is a line end, a bare CR stays an error */
	{ "a\nb\r\n.\n", 1, 0, 1, "a\r\nb\r\n", "", 0 },
	{ "a\n.\r\nX", 1, 0, 1, "a\r\n", "X", 0 },
	{ "a\rb\n.\n", 1, 0, 1, "a\rb\r\n", "", SMTP_DATA_F_BARENL },
	/* size: output stops, input is consumed to the end */
	{ "abcdef\r\n.\r\nQUIT\r\n", 0, 4, 1, "abcd", "QUIT\r\n", SMTP_DATA_F_TOOBIG },
	{ "ab\r\n.\r\n", 0, 4, 1, "ab\r\n", "", 0 },
	{ "a\0b\r\n.\r\n", 0, 0, 1, NULL, "", SMTP_DATA_F_NUL },
};

static void
run_case(const struct dec_case *c, size_t i, size_t step)
{
	struct smtp_data_limits lim = { c->max, c->normalize };
	struct smtp_data_decoder *d = smtp_data_decoder_new(&lim);
	size_t n = strlen(c->in), off = 0, used, olen, total = 0, k;
	char out[256];
	enum smtp_data_status st = SMTP_DATA_MORE;

	if (strncmp(c->in, "a\0", 2) == 0)
		n = 8;
	while (off < n && st == SMTP_DATA_MORE) {
		k = n - off < step ? n - off : step;
		st = smtp_data_decode(d, c->in + off, k, &used, out + total,
		    sizeof(out) - total, &olen);
		off += used;
		total += olen;
	}
	if ((st == SMTP_DATA_END) != c->end)
		fail_msg("case %zu step %zu: end %d", i, step, st == SMTP_DATA_END);
	if (c->out) {
		if (total != strlen(c->out) || memcmp(out, c->out, total) != 0)
			fail_msg("case %zu step %zu: output '%.*s'", i, step, (int)total, out);
	}
	assert_string_equal(c->in + off, c->rest);
	if (smtp_data_flags(d) != c->flags)
		fail_msg("case %zu: flags %u want %u", i, smtp_data_flags(d), c->flags);
	assert_int_equal(smtp_data_size(d), total);
	smtp_data_decoder_free(d);
}

static void
test_decode(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		run_case(&dcases[i], i, 1);
		run_case(&dcases[i], i, 2);
		run_case(&dcases[i], i, 1000);
	}
}

static void
test_decode_small_output(void **state)
{
	/* an output buffer of 2 bytes still gets everything, a bit at a time */
	const char *in = "ab\r\n..c\r\n.\r\n";
	struct smtp_data_decoder *d = smtp_data_decoder_new(NULL);
	char out[64], small[2];
	size_t off = 0, used, olen, total = 0, n = strlen(in);
	enum smtp_data_status st = SMTP_DATA_MORE;

	(void)state;
	while (st == SMTP_DATA_MORE && off < n) {
		st = smtp_data_decode(d, in + off, n - off, &used, small, sizeof(small), &olen);
		memcpy(out + total, small, olen);
		off += used;
		total += olen;
	}
	assert_int_equal(st, SMTP_DATA_END);
	assert_int_equal(total, 8);
	assert_memory_equal(out, "ab\r\n.c\r\n", 8);
	/* reset: a new message */
	smtp_data_decoder_reset(d);
	st = smtp_data_decode(d, ".\r\n", 3, &used, out, sizeof(out), &olen);
	assert_int_equal(st, SMTP_DATA_END);
	assert_int_equal(olen, 0);
	smtp_data_decoder_free(d);
}

struct enc_case {
	const char	*in;
	const char	*out;
};

static const struct enc_case ecases[] = {
	{ "", ".\r\n" },
	{ "a\r\n", "a\r\n.\r\n" },
	{ "a", "a\r\n.\r\n" },
	{ ".\r\n", "..\r\n.\r\n" },
	{ "a\r\n.b\r\n..\r\n", "a\r\n..b\r\n...\r\n.\r\n" },
	{ "a\nb\n.\n", "a\r\nb\r\n..\r\n.\r\n" },
	{ "a\r.\r", "a\r\n..\r\n.\r\n" },
	{ "x.\r\n", "x.\r\n.\r\n" },
};

static void
test_encode(void **state)
{
	struct smtp_data_encoder e;
	char out[128];
	size_t i, j, o;

	(void)state;
	for (i = 0; i < sizeof(ecases) / sizeof(ecases[0]); i++) {
		/* whole, then one byte at a time */
		for (j = 0; j < 2; j++) {
			const char *in = ecases[i].in;
			size_t n = strlen(in), k;
			smtp_data_encoder_init(&e);
			o = 0;
			if (j == 0)
				o = smtp_data_encode(&e, in, n, out, sizeof(out));
			else
				for (k = 0; k < n; k++)
					o += smtp_data_encode(&e, in + k, 1, out + o, 6);
			o += smtp_data_encode_end(&e, out + o);
			if (o != strlen(ecases[i].out) || memcmp(out, ecases[i].out, o) != 0)
				fail_msg("encode case %zu/%zu: '%.*s'", i, j, (int)o, out);
		}
	}
}

static void
test_roundtrip(void **state)
{
	/* decode(encode(x)) == x for canonical messages */
	static const char *msgs[] = {
		"Subject: x\r\n\r\n.\r\n..\r\n. \r\nbody\r\n",
		"",
		".",
		"a\r\n.",
	};
	struct smtp_data_encoder e;
	struct smtp_data_decoder *d = smtp_data_decoder_new(NULL);
	char enc[256], dec[256];
	size_t i, o, used, olen;

	(void)state;
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		smtp_data_encoder_init(&e);
		o = smtp_data_encode(&e, msgs[i], strlen(msgs[i]), enc, sizeof(enc));
		o += smtp_data_encode_end(&e, enc + o);
		smtp_data_decoder_reset(d);
		assert_int_equal(smtp_data_decode(d, enc, o, &used, dec, sizeof(dec), &olen),
		    SMTP_DATA_END);
		assert_int_equal(used, o);
		/* a last line without CRLF gets one */
		size_t n = strlen(msgs[i]);
		assert_memory_equal(dec, msgs[i], n);
		assert_true(olen == n || (olen == n + 2 && memcmp(dec + n, "\r\n", 2) == 0));
		assert_int_equal(smtp_data_flags(d), 0);
	}
	smtp_data_decoder_free(d);
}

/*
 * Random inputs rich in long plain runs and every byte the codecs look at:
 * decoding and encoding all at once (the fast paths over runs) must give
 * exactly what feeding one byte at a time (no run longer than a byte) gives.
 */
static size_t
random_input(char *buf, size_t cap, unsigned *seed)
{
	static const char special[] = { '\r', '\n', '.', '\0', '\t', 0x0b,
	    0x0d, 0x0e, (char)0x80, (char)0xff, 'x' };
	size_t n = (size_t)rand_r(seed) % cap, i, run;

	for (i = 0; i < n; ) {
		if (rand_r(seed) % 3 == 0) {
			run = (size_t)rand_r(seed) % 40;
			while (run-- > 0 && i < n)
				buf[i++] = (char)('A' + rand_r(seed) % 26);
		} else
			buf[i++] = special[rand_r(seed) % sizeof(special)];
	}
	return n;
}

static void
test_runs_random(void **state)
{
	struct smtp_data_limits lim;
	struct smtp_data_decoder *d1, *d2;
	struct smtp_data_encoder e1, e2;
	char in[512], o1[1400], o2[1400];
	size_t n, u1, u2, l1, l2, used, olen, k, cap;
	enum smtp_data_status s1, s2;
	unsigned seed = 5;
	int round;

	(void)state;
	for (round = 0; round < 20000; round++) {
		n = random_input(in, sizeof(in), &seed);
		lim.max_size = round % 4 == 0 ? (uint64_t)(rand_r(&seed) % 300) : 0;
		lim.normalize_lf = round % 3 == 0;
		cap = 3 + (size_t)rand_r(&seed) % 64;
		d1 = smtp_data_decoder_new(&lim);
		d2 = smtp_data_decoder_new(&lim);
		assert_non_null(d1);
		assert_non_null(d2);
		/* in chunks with a small output buffer, then a byte at a time */
		u1 = l1 = 0;
		do {
			s1 = smtp_data_decode(d1, in + u1, n - u1, &used, o1 + l1,
			    cap, &olen);
			u1 += used;
			l1 += olen;
		} while (s1 == SMTP_DATA_MORE && u1 < n);
		u2 = l2 = 0;
		s2 = SMTP_DATA_MORE;
		for (k = 0; k < n && s2 == SMTP_DATA_MORE; k++) {
			s2 = smtp_data_decode(d2, in + k, 1, &used, o2 + l2, 3,
			    &olen);
			assert_int_equal(used, 1);
			u2 += used;
			l2 += olen;
		}
		assert_int_equal(s1, s2);
		assert_int_equal(u1, u2);
		assert_int_equal(l1, l2);
		assert_memory_equal(o1, o2, l1);
		assert_int_equal(smtp_data_flags(d1), smtp_data_flags(d2));
		assert_int_equal(smtp_data_size(d1), smtp_data_size(d2));
		smtp_data_decoder_free(d1);
		smtp_data_decoder_free(d2);

		/* the encoder: all at once (room for every byte stuffed), then
		 * a byte at a time */
		smtp_data_encoder_init(&e1);
		smtp_data_encoder_init(&e2);
		l2 = 0;
		l1 = smtp_data_encode(&e1, in, n, o1, sizeof(o1) - 5);
		l1 += smtp_data_encode_end(&e1, o1 + l1);
		for (k = 0; k < n; k++)
			l2 += smtp_data_encode(&e2, in + k, 1, o2 + l2, 6);
		l2 += smtp_data_encode_end(&e2, o2 + l2);
		assert_int_equal(l1, l2);
		assert_memory_equal(o1, o2, l1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_small_output),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_runs_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
