/*
 * test_reply - reply_normalize(): table of filter replies and what they become
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "reply.h"

static const struct {
	const char		*in;
	enum pg_verdict		 v;
	enum reply_status	 st;
	const char		*out;	/* normal form, or a part of the error */
} cases[] = {
	{ "", PG_REJECT, REPLY_OK, "550 5.7.1 Message rejected" },
	{ NULL, PG_TEMPFAIL, REPLY_OK, "451 4.7.1 Try again later" },
	{ "550 5.1.1 no such user", PG_REJECT, REPLY_OK, "550 5.1.1 no such user" },
	{ "554 go away", PG_REJECT, REPLY_OK, "554 5.0.0 go away" },
	{ "550", PG_REJECT, REPLY_OK, "550 5.0.0 Message rejected" },
	{ "421 4.3.2 busy", PG_TEMPFAIL, REPLY_OK, "421 4.3.2 busy" },
	{ "550-5.7.1 first\r\n550 5.7.1 second", PG_REJECT, REPLY_OK,
	  "550-5.7.1 first\r\n550 5.7.1 second" },
	{ "550 5.7.1 first\nsecond\nthird\n", PG_REJECT, REPLY_OK,
	  "550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 third" },
	{ "550-5.7.1 a\n550 b", PG_REJECT, REPLY_OK,
	  "550-5.7.1 a\r\n550 5.7.1 b" },
	{ "550 5.7.1 tab\there", PG_REJECT, REPLY_OK, "550 5.7.1 tab\there" },
	/* wrong class */
	{ "451 4.7.1 later", PG_REJECT, REPLY_ERR_CLASS, "must have a 5xx" },
	{ "550 5.7.1 no", PG_TEMPFAIL, REPLY_ERR_CLASS, "must have a 4xx" },
	{ "250 ok", PG_REJECT, REPLY_ERR_CLASS, "5xx" },
	{ "550 4.7.1 mixed", PG_REJECT, REPLY_ERR_CLASS, "does not match" },
	/* syntax */
	{ "rejected", PG_REJECT, REPLY_ERR_SYNTAX, "three-digit code" },
	{ "55 5.7.1 short", PG_REJECT, REPLY_ERR_SYNTAX, "three-digit" },
	{ "650 bad", PG_REJECT, REPLY_ERR_SYNTAX, "three-digit" },
	{ "550 5.7.1 a\rb", PG_REJECT, REPLY_ERR_SYNTAX, "control character" },
	{ "550 5.7.1 a\x01", PG_REJECT, REPLY_ERR_SYNTAX, "control character" },
	{ "550-5.7.1 a\n554 b", PG_REJECT, REPLY_ERR_SYNTAX, "has code 554" },
	{ "5500 x", PG_REJECT, REPLY_ERR_SYNTAX, "three-digit" },
};

static void
test_table(void **unused)
{
	char out[PG_REPLY_MAX];
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum reply_status st = reply_normalize(cases[i].in, cases[i].v,
		    out, sizeof(out));

		if (st != cases[i].st || (st == REPLY_OK ?
		    strcmp(out, cases[i].out) != 0 :
		    strstr(out, cases[i].out) == NULL))
			fail_msg("case %zu \"%s\": status %d, got \"%s\", "
			    "want %d \"%s\"", i, cases[i].in ? cases[i].in : "(null)",
			    st, out, cases[i].st, cases[i].out);
	}
}

static void
test_limits(void **unused)
{
	char in[8192], out[PG_REPLY_MAX];
	size_t i;

	(void)unused;
	/* 32 lines pass, 33 do not */
	in[0] = '\0';
	strcat(in, "550 5.7.1 x");
	for (i = 1; i < 32; i++)
		strcat(in, "\nx");
	assert_int_equal(reply_normalize(in, PG_REJECT, out, sizeof(out)), REPLY_OK);
	strcat(in, "\nx");
	assert_int_equal(reply_normalize(in, PG_REJECT, out, sizeof(out)),
	    REPLY_ERR_TOOLONG);
	/* a line of 512 octets with CRLF passes, one more does not */
	memset(in, 'a', sizeof(in));
	memcpy(in, "550 5.7.1 ", 10);
	in[510] = '\0';
	assert_int_equal(reply_normalize(in, PG_REJECT, out, sizeof(out)), REPLY_OK);
	assert_int_equal(strlen(out), 510);
	memset(in, 'a', sizeof(in));
	memcpy(in, "550 5.7.1 ", 10);
	in[511] = '\0';
	assert_int_equal(reply_normalize(in, PG_REJECT, out, sizeof(out)),
	    REPLY_ERR_TOOLONG);
	assert_int_equal(reply_code("451 4.7.1 x"), 451);
	assert_int_equal(reply_code("x"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
