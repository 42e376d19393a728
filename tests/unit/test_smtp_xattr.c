/*
 * test_smtp_xattr - table-driven tests of the XFORWARD/XCLIENT attribute parser
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "smtp_xattr.h"

struct xattr_case {
	const char		*in;
	enum smtp_xattr_status	 last;		/* the status that ends the walk */
	const char		*want;		/* "name=value|..." of the OK ones */
};

static const struct xattr_case cases[] = {
	{ "NAME=mx.example ADDR=192.0.2.1", SMTP_XATTR_END,
	  "NAME=mx.example|ADDR=192.0.2.1|" },
	{ "  NAME=a   PORT=25  ", SMTP_XATTR_END, "NAME=a|PORT=25|" },
	{ "", SMTP_XATTR_END, "" },
	{ "NAME=client+2Eexample", SMTP_XATTR_END, "NAME=client.example|" },
	{ "HELO=a+2bb", SMTP_XATTR_END, "HELO=a+b|" },
	{ "NAME=[UNAVAILABLE] IDENT=[TEMPUNAVAIL]", SMTP_XATTR_END, "NAME=*|IDENT=*|" },
	{ "ADDR=IPv6:2001:db8::1", SMTP_XATTR_END, "ADDR=IPv6:2001:db8::1|" },
	{ "NAME=", SMTP_XATTR_END, "NAME=|" },
	{ "NAME", SMTP_XATTR_ERR_SYNTAX, "" },
	{ "=x", SMTP_XATTR_ERR_SYNTAX, "" },
	{ "NA-ME=x", SMTP_XATTR_ERR_SYNTAX, "" },
	{ "NAME=a BAD", SMTP_XATTR_ERR_SYNTAX, "NAME=a|" },
	{ "NAME=a+", SMTP_XATTR_ERR_VALUE, "" },
	{ "NAME=a+4", SMTP_XATTR_ERR_VALUE, "" },
	{ "NAME=a+4G", SMTP_XATTR_ERR_VALUE, "" },
	{ "NAME=a+20b", SMTP_XATTR_ERR_VALUE, "" },	/* a space */
	{ "NAME=a+0D+0Ab", SMTP_XATTR_ERR_VALUE, "" },	/* CR LF */
	{ "NAME=a+7F", SMTP_XATTR_ERR_VALUE, "" },
	{ "NAME=\x80", SMTP_XATTR_ERR_VALUE, "" },
	{ "NAME=a\tb", SMTP_XATTR_ERR_VALUE, "" },
};

/* test_cases - every case: the attributes, then the status that ends the walk */
static void
test_cases(void **state)
{
	struct smtp_xattr a;
	enum smtp_xattr_status st;
	char got[512];
	size_t i, o;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *p = cases[i].in;

		o = 0;
		got[0] = '\0';
		while ((st = smtp_xattr_next(&p, &a)) == SMTP_XATTR_OK) {
			o += (size_t)snprintf(got + o, sizeof(got) - o, "%.*s=%s|",
			    (int)a.namelen, a.name, a.unavailable ? "*" : a.value);
			assert_memory_equal(a.raw, a.name, a.namelen);
			assert_int_equal(a.raw[a.namelen], '=');
		}
		if (st != cases[i].last)
			fail_msg("case %zu (%s): ended with %d, want %d", i,
			    cases[i].in, st, cases[i].last);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu (%s): got %s, want %s", i, cases[i].in,
			    got, cases[i].want);
	}
}

/* test_limits - the longest value, one octet more, and smtp_xattr_is */
static void
test_limits(void **state)
{
	char in[600];
	struct smtp_xattr a;
	const char *p;

	(void)state;
	memcpy(in, "HELO=", 5);
	memset(in + 5, 'h', SMTP_XATTR_VALUE_MAX);
	in[5 + SMTP_XATTR_VALUE_MAX] = '\0';
	p = in;
	assert_int_equal(smtp_xattr_next(&p, &a), SMTP_XATTR_OK);
	assert_int_equal(strlen(a.value), SMTP_XATTR_VALUE_MAX);
	assert_true(smtp_xattr_is(&a, "helo"));
	assert_false(smtp_xattr_is(&a, "HEL"));
	in[5 + SMTP_XATTR_VALUE_MAX] = 'h';
	in[6 + SMTP_XATTR_VALUE_MAX] = '\0';
	p = in;
	assert_int_equal(smtp_xattr_next(&p, &a), SMTP_XATTR_ERR_VALUE);
	assert_ptr_equal(p, in);	/* not moved after an error */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
