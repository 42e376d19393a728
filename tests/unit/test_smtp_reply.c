/*
 * test_smtp_reply - table-driven tests of the SMTP reply parser
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "smtp_reply.h"

struct reply_case {
	const char		*in;
	enum smtp_reply_status	 st;
	int			 code;
	size_t			 nlines;
	const char		*text;		/* canonical form */
	const char		*enh;
};

static const struct reply_case cases[] = {
	{ "220 mx.example ESMTP\r\n", SMTP_REPLY_OK, 220, 1, "220 mx.example ESMTP\r\n", "" },
	{ "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n", SMTP_REPLY_OK, 250, 3,
	  "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n", "" },
	{ "550 5.7.1 no\n", SMTP_REPLY_OK, 550, 1, "550 5.7.1 no\r\n", "5.7.1" },
	{ "250\r\n", SMTP_REPLY_OK, 250, 1, "250 \r\n", "" },
	{ "451-4.3.0 a\r\n451 4.3.0 b\r\n", SMTP_REPLY_OK, 451, 2, "451-4.3.0 a\r\n451 4.3.0 b\r\n", "4.3.0" },
	{ "250 2.0.0 Ok: queued as ABC\r\n", SMTP_REPLY_OK, 250, 1, NULL, "2.0.0" },
	{ "250 2.10.100 x\r\n", SMTP_REPLY_OK, 250, 1, NULL, "2.10.100" },
	{ "250 2.0 x\r\n", SMTP_REPLY_OK, 250, 1, NULL, "" },
	{ "250-a\r\n354 b\r\n", SMTP_REPLY_ERR_SYNTAX, 0, 0, NULL, NULL },
	{ "25x ok\r\n", SMTP_REPLY_ERR_SYNTAX, 0, 0, NULL, NULL },
	{ "hello\r\n", SMTP_REPLY_ERR_SYNTAX, 0, 0, NULL, NULL },
	{ "2500 x\r\n", SMTP_REPLY_ERR_SYNTAX, 0, 0, NULL, NULL },
	{ "150 x\r\n", SMTP_REPLY_ERR_SYNTAX, 0, 0, NULL, NULL },
	{ "\r\n", SMTP_REPLY_ERR_SYNTAX, 0, 0, NULL, NULL },
	{ "354 go ahead\r\n", SMTP_REPLY_OK, 354, 1, NULL, "" },
};

static void
test_table(void **state)
{
	static const size_t steps[] = { 1, 2, 4096 };
	size_t i, s, off, k, n;
	struct smtp_reply_parser *p;
	struct smtp_reply r;
	enum smtp_reply_status st;

	(void)state;
	for (s = 0; s < 3; s++) {
		p = smtp_reply_parser_new(0, 0);
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const struct reply_case *c = &cases[i];
			n = strlen(c->in);
			off = 0;
			st = SMTP_REPLY_MORE;
			while (off < n && st == SMTP_REPLY_MORE) {
				k = n - off < steps[s] ? n - off : steps[s];
				off += smtp_reply_feed(p, c->in + off, k);
				st = smtp_reply_next(p, &r);
			}
			if (st != c->st)
				fail_msg("case %zu: status %d want %d", i, st, c->st);
			assert_int_equal(off, n);
			if (st != SMTP_REPLY_OK)
				continue;
			assert_int_equal(r.code, c->code);
			assert_int_equal(r.nlines, c->nlines);
			if (c->text) {
				assert_int_equal(r.len, strlen(c->text));
				assert_memory_equal(r.text, c->text, r.len);
			}
			assert_string_equal(r.enh, c->enh);
		}
		smtp_reply_parser_free(p);
	}
}

static void
test_lines_and_keywords(void **state)
{
	const char *ehlo = "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
	    "250-XCLIENT NAME ADDR\r\n250-AUTH=LOGIN\r\n250 CHUNKINGX\r\n";
	struct smtp_reply_parser *p = smtp_reply_parser_new(0, 0);
	struct smtp_reply r;
	const char *l;
	size_t len;

	(void)state;
	assert_int_equal(smtp_reply_feed(p, ehlo, strlen(ehlo)), strlen(ehlo));
	assert_int_equal(smtp_reply_next(p, &r), SMTP_REPLY_OK);
	assert_int_equal(r.nlines, 6);
	l = smtp_reply_line(p, 0, &len);
	assert_int_equal(len, 10);
	assert_memory_equal(l, "mx.example", 10);
	l = smtp_reply_line(p, 2, &len);
	assert_true(smtp_reply_ehlo_keyword(l, len, "size"));
	assert_false(smtp_reply_ehlo_keyword(l, len, "SIZ"));
	l = smtp_reply_line(p, 3, &len);
	assert_true(smtp_reply_ehlo_keyword(l, len, "XCLIENT"));
	l = smtp_reply_line(p, 4, &len);
	assert_true(smtp_reply_ehlo_keyword(l, len, "AUTH"));
	l = smtp_reply_line(p, 5, &len);
	assert_false(smtp_reply_ehlo_keyword(l, len, "CHUNKING"));
	assert_null(smtp_reply_line(p, 6, &len));
	/* two replies in one buffer: one at a time */
	const char *two = "250 a\r\n251 b\r\n";
	size_t used = smtp_reply_feed(p, two, strlen(two));
	assert_int_equal(used, 7);
	assert_int_equal(smtp_reply_next(p, &r), SMTP_REPLY_OK);
	assert_int_equal(r.code, 250);
	used += smtp_reply_feed(p, two + used, strlen(two) - used);
	assert_int_equal(smtp_reply_next(p, &r), SMTP_REPLY_OK);
	assert_int_equal(r.code, 251);
	smtp_reply_parser_free(p);
}

static void
test_limits(void **state)
{
	struct smtp_reply_parser *p = smtp_reply_parser_new(64, 4);
	struct smtp_reply r;
	char big[300];

	(void)state;
	memset(big, 'x', sizeof(big));
	memcpy(big, "250 ", 4);
	memcpy(big + 298, "\r\n", 2);
	assert_int_equal(smtp_reply_feed(p, big, sizeof(big)), sizeof(big));
	assert_int_equal(smtp_reply_next(p, &r), SMTP_REPLY_ERR_TOOLONG);
	const char *many = "250-a\r\n250-b\r\n250-c\r\n250-d\r\n250-e\r\n250 f\r\n";
	assert_int_equal(smtp_reply_feed(p, many, strlen(many)), strlen(many));
	assert_int_equal(smtp_reply_next(p, &r), SMTP_REPLY_ERR_TOOLONG);
	/* and the parser recovers */
	assert_int_equal(smtp_reply_feed(p, "221 bye\r\n", 9), 9);
	assert_int_equal(smtp_reply_next(p, &r), SMTP_REPLY_OK);
	assert_int_equal(r.code, 221);
	const char *four = "250-a\r\n250-b\r\n250-c\r\n250 d\r\n";
	assert_int_equal(smtp_reply_feed(p, four, strlen(four)), strlen(four));
	assert_int_equal(smtp_reply_next(p, &r), SMTP_REPLY_OK);
	assert_int_equal(r.nlines, 4);
	smtp_reply_parser_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_lines_and_keywords),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
