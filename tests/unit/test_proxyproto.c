/*
 * test_proxyproto - table-driven tests of the PROXY protocol codec
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "proxyproto.h"

struct v1_case {
	const char		*in;
	enum proxyproto_status	 st;
	int			 local;
	const char		*src;
	unsigned		 sport;
};

static const struct v1_case v1_cases[] = {
	{ "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\nEHLO", PROXYPROTO_OK, 0, "192.0.2.1", 56324 },
	{ "PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n", PROXYPROTO_OK, 0, "2001:db8::1", 1 },
	{ "PROXY UNKNOWN\r\n", PROXYPROTO_OK, 1, "", 0 },
	{ "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n", PROXYPROTO_OK, 1, "", 0 },
	{ "PROXY TCP4 192.0.2.1 198.51.100.2 0 25\r\n", PROXYPROTO_OK, 0, "192.0.2.1", 0 },
	{ "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25", PROXYPROTO_MORE, 0, NULL, 0 },
	{ "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r", PROXYPROTO_MORE, 0, NULL, 0 },
	{ "PROX", PROXYPROTO_MORE, 0, NULL, 0 },
	{ "", PROXYPROTO_MORE, 0, NULL, 0 },
	{ "EHLO x\r\n", PROXYPROTO_ERR, 0, NULL, 0 },
	{ "proxy TCP4 192.0.2.1 198.51.100.2 1 2\r\n", PROXYPROTO_ERR, 0, NULL, 0 },
	{ "PROXY TCP4 192.0.2.1 198.51.100.2 1 2\n", PROXYPROTO_ERR, 0, NULL, 0 },
	{ "PROXY TCP4 192.0.2.1 198.51.100.2 1 2\rX", PROXYPROTO_ERR, 0, NULL, 0 },
	{ "PROXY TCP4 2001:db8::1 198.51.100.2 1 2\r\n", PROXYPROTO_ERR, 0, NULL, 0 },
	{ "PROXY TCP6 192.0.2.1 2001:db8::2 1 2\r\n", PROXYPROTO_ERR, 0, NULL, 0 },
	{ "PROXY TCP4 192.0.2.1 198.51.100.2 01 2\r\n", PROXYPROTO_ERR, 0, NULL, 0 },
	{ "PROXY TCP4 192.0.2.1 198.51.100.2 65536 2\r\n", PROXYPROTO_ERR, 0, NULL, 0 },
	{ "PROXY TCP4 192.0.2.1 198.51.100.2 1 2 3\r\n", PROXYPROTO_ERR, 0, NULL, 0 },
	{ "PROXY TCP4 192.0.2.1 198.51.100.2 1\r\n", PROXYPROTO_ERR, 0, NULL, 0 },
	{ "PROXY TCP4 192.0.2.1  198.51.100.2 1 2\r\n", PROXYPROTO_ERR, 0, NULL, 0 },
	{ "PROXY TCP4 192.0.2.256 198.51.100.2 1 2\r\n", PROXYPROTO_ERR, 0, NULL, 0 },
	{ "PROXY UDP4 192.0.2.1 198.51.100.2 1 2\r\n", PROXYPROTO_ERR, 0, NULL, 0 },
	{ "PROXY TCP4 192.0.2.1 198.51.100.2 1 -2\r\n", PROXYPROTO_ERR, 0, NULL, 0 },
};

/* test_v1 - every v1 case */
static void
test_v1(void **state)
{
	struct proxyproto_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v1_cases) / sizeof(v1_cases[0]); i++) {
		const struct v1_case *c = &v1_cases[i];
		enum proxyproto_status st = proxyproto_parse(c->in, strlen(c->in), &r);

		if (st != c->st)
			fail_msg("case %zu (%s): status %d, want %d", i, c->in, st, c->st);
		if (st == PROXYPROTO_ERR)
			assert_non_null(r.error);
		if (st != PROXYPROTO_OK)
			continue;
		assert_int_equal(r.version, 1);
		assert_int_equal(r.local, c->local);
		assert_string_equal(r.src, c->src);
		assert_int_equal(r.sport, c->sport);
		assert_memory_equal(c->in + r.len - 2, "\r\n", 2);
	}
}

/* test_v1_toolong - no CRLF within 107 octets */
static void
test_v1_toolong(void **state)
{
	struct proxyproto_result r;
	char buf[200];

	(void)state;
	memset(buf, '1', sizeof(buf));
	memcpy(buf, "PROXY TCP4 ", 11);
	assert_int_equal(proxyproto_parse(buf, 106, &r), PROXYPROTO_MORE);
	assert_int_equal(proxyproto_parse(buf, 107, &r), PROXYPROTO_ERR);
	assert_int_equal(proxyproto_parse(buf, sizeof(buf), &r), PROXYPROTO_ERR);
}

/* test_v2_roundtrip - what proxyproto_format() writes parses back, byte by byte */
static void
test_v2_roundtrip(void **state)
{
	static const struct { int v; const char *s, *d; unsigned sp, dp; } rt[] = {
		{ 2, "192.0.2.7", "198.51.100.1", 40000, 25 },
		{ 2, "2001:db8::7", "2001:db8::1", 1, 587 },
		{ 1, "192.0.2.7", "198.51.100.1", 40000, 25 },
		{ 1, "2001:db8::7", "2001:db8::1", 65535, 0 },
	};
	struct proxyproto_result r;
	unsigned char buf[128];
	size_t i, n, k;

	(void)state;
	for (i = 0; i < sizeof(rt) / sizeof(rt[0]); i++) {
		n = proxyproto_format(rt[i].v, rt[i].s, rt[i].sp, rt[i].d,
		    rt[i].dp, buf, sizeof(buf));
		assert_true(n > 0);
		for (k = 0; k < n; k++)
			assert_int_equal(proxyproto_parse(buf, k, &r), PROXYPROTO_MORE);
		assert_int_equal(proxyproto_parse(buf, n, &r), PROXYPROTO_OK);
		assert_int_equal(r.version, rt[i].v);
		assert_int_equal(r.len, n);
		assert_int_equal(r.local, 0);
		assert_string_equal(r.src, rt[i].s);
		assert_string_equal(r.dst, rt[i].d);
		assert_int_equal(r.sport, rt[i].sp);
		assert_int_equal(r.dport, rt[i].dp);
	}
	/* LOCAL and UNKNOWN */
	n = proxyproto_format(2, NULL, 0, NULL, 0, buf, sizeof(buf));
	assert_int_equal(n, 16);
	assert_int_equal(proxyproto_parse(buf, n, &r), PROXYPROTO_OK);
	assert_int_equal(r.local, 1);
	n = proxyproto_format(1, NULL, 0, NULL, 0, buf, sizeof(buf));
	assert_int_equal(proxyproto_parse(buf, n, &r), PROXYPROTO_OK);
	assert_int_equal(r.local, 1);
	/* bad input to the encoder */
	assert_int_equal(proxyproto_format(2, "x", 1, "y", 2, buf, sizeof(buf)), 0);
	assert_int_equal(proxyproto_format(2, "192.0.2.1", 1, "2001:db8::1", 2, buf, sizeof(buf)), 0);
	assert_int_equal(proxyproto_format(1, "192.0.2.1", 1, "192.0.2.2", 2, buf, 10), 0);
	assert_int_equal(proxyproto_format(2, "192.0.2.1", 1, "192.0.2.2", 2, buf, 20), 0);
	assert_int_equal(proxyproto_format(3, NULL, 0, NULL, 0, buf, sizeof(buf)), 0);
}

/* v2hdr - a v2 header with the given bytes 12..13 and address block */
static size_t
v2hdr(unsigned char *b, unsigned vc, unsigned fam, const void *blk, size_t blen)
{
	static const unsigned char sig[12] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00,
	    0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };

	memcpy(b, sig, 12);
	b[12] = (unsigned char)vc;
	b[13] = (unsigned char)fam;
	b[14] = (unsigned char)(blen >> 8);
	b[15] = (unsigned char)blen;
	memcpy(b + 16, blk, blen);
	return 16 + blen;
}

/* test_v2_bad - the v2 header's checks */
static void
test_v2_bad(void **state)
{
	unsigned char b[4096], blk[64];
	struct proxyproto_result r;
	size_t n;

	(void)state;
	memset(blk, 7, sizeof(blk));
	n = v2hdr(b, 0x31, 0x11, blk, 12);	/* version 3 */
	assert_int_equal(proxyproto_parse(b, n, &r), PROXYPROTO_ERR);
	n = v2hdr(b, 0x22, 0x11, blk, 12);	/* command 2 */
	assert_int_equal(proxyproto_parse(b, n, &r), PROXYPROTO_ERR);
	n = v2hdr(b, 0x21, 0x11, blk, 8);	/* IPv4 block too short */
	assert_int_equal(proxyproto_parse(b, n, &r), PROXYPROTO_ERR);
	n = v2hdr(b, 0x21, 0x21, blk, 20);	/* IPv6 block too short */
	assert_int_equal(proxyproto_parse(b, n, &r), PROXYPROTO_ERR);
	n = v2hdr(b, 0x21, 0x12, blk, 12);	/* UDP */
	assert_int_equal(proxyproto_parse(b, n, &r), PROXYPROTO_ERR);
	n = v2hdr(b, 0x21, 0x41, blk, 12);	/* family 4 */
	assert_int_equal(proxyproto_parse(b, n, &r), PROXYPROTO_ERR);
	/* a length over our limit: refused before it is all read */
	n = v2hdr(b, 0x21, 0x11, blk, 12);
	b[14] = 0xff;
	assert_int_equal(proxyproto_parse(b, 16, &r), PROXYPROTO_ERR);
	/* TLVs after the addresses are skipped, the header's length consumed */
	n = v2hdr(b, 0x21, 0x11, blk, 40);
	assert_int_equal(proxyproto_parse(b, n + 5, &r), PROXYPROTO_OK);
	assert_int_equal(r.len, 56);
	assert_string_equal(r.src, "7.7.7.7");
	assert_int_equal(r.sport, 0x0707);
	/* unix and unspec: no address, local */
	n = v2hdr(b, 0x21, 0x31, blk, 64);
	assert_int_equal(proxyproto_parse(b, n, &r), PROXYPROTO_OK);
	assert_int_equal(r.local, 1);
	n = v2hdr(b, 0x21, 0x00, blk, 0);
	assert_int_equal(proxyproto_parse(b, n, &r), PROXYPROTO_OK);
	assert_int_equal(r.local, 1);
	/* a partial signature is MORE; a wrong byte in it is not a header */
	assert_int_equal(proxyproto_parse(b, 5, &r), PROXYPROTO_MORE);
	b[4] = 1;
	assert_int_equal(proxyproto_parse(b, n, &r), PROXYPROTO_ERR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1),
		cmocka_unit_test(test_v1_toolong),
		cmocka_unit_test(test_v2_roundtrip),
		cmocka_unit_test(test_v2_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
