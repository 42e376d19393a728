/*
 * test_dnsname - names for lookups: validity, canonical form, RFC 5782
 * reversed names (IPv4 octets, IPv6 nibbles), PTR names; tables of
 * inputs and expected results.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dnsname.h"

static const struct {
	const char	*name;
	int		 valid;
} valid_cases[] = {
	{ "example.org", 1 },
	{ "example.org.", 1 },
	{ "EXAMPLE.Org", 1 },
	{ "_dmarc.example.org", 1 },
	{ "*.example.org", 1 },
	{ "a", 1 },
	{ "xn--bcher-kva.example", 1 },
	{ "", 0 },
	{ ".", 0 },
	{ "a..b", 0 },
	{ ".a", 0 },
	{ "a b.example", 0 },
	{ "a\tb", 0 },
	{ "ex\xc3\xa4mple.org", 0 },	/* not IDNA-encoded */
	{ "a/b", 0 },
	{ "a:b", 0 },
	{ "example.org..", 0 },
	/* a 63-byte label is fine, a 64-byte one is not */
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x", 1 },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x", 0 },
};

static void
test_valid(void **state)
{
	char name[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
		if (dnsname_valid(valid_cases[i].name) != valid_cases[i].valid)
			fail_msg("dnsname_valid(\"%s\") != %d",
			    valid_cases[i].name, valid_cases[i].valid);
	}
	assert_int_equal(dnsname_valid(NULL), 0);
	/* 253 bytes is the most, 254 too many (a final dot is not counted) */
	memset(name, 'a', sizeof(name));
	for (i = 63; i < 253; i += 64)
		name[i] = '.';
	name[253] = '\0';
	assert_int_equal(dnsname_valid(name), 1);
	name[253] = '.';
	name[254] = '\0';
	assert_int_equal(dnsname_valid(name), 1);
	name[253] = 'a';
	assert_int_equal(dnsname_valid(name), 0);
}

static void
test_canon(void **state)
{
	char out[DNSNAME_MAX];

	(void)state;
	assert_int_equal(dnsname_canon("WWW.Example.ORG.", out, sizeof(out)), 0);
	assert_string_equal(out, "www.example.org");
	assert_int_equal(dnsname_canon("a..b", out, sizeof(out)), -1);
	assert_int_equal(dnsname_canon("example.org", out, 5), -1);
}

static const struct {
	const char	*subject;
	const char	*zone;
	const char	*want;		/* NULL: -1 */
} rev_cases[] = {
	/* RFC 5782 section 2.1 and 2.4 */
	{ "192.0.2.99", "bl.example", "99.2.0.192.bl.example" },
	{ "127.0.0.2", "zen.example.", "2.0.0.127.zen.example" },
	{ "2001:db8:1:2:3:4:567:89ab", "ugly.example",
	  "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example" },
	{ "[2001:db8::1]", "bl6.example",
	  "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl6.example" },
	{ "::1", NULL,
	  "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0" },
	/* an IPv4-mapped address counts as IPv4 */
	{ "::ffff:192.0.2.1", "bl.example", "1.2.0.192.bl.example" },
	/* names are asked as they are, in lower case */
	{ "Spam.Example", "dbl.example", "spam.example.dbl.example" },
	{ "spam.example.", "dbl.example", "spam.example.dbl.example" },
	{ "192.0.2.1", "", "1.2.0.192" },
	{ "not a name", "bl.example", NULL },
	{ "192.0.2.1", "bad zone", NULL },
	{ "", "bl.example", NULL },
	{ "1.2.3.4.5", "bl.example", "1.2.3.4.5.bl.example" },	/* a name */
	{ "300.1.1.1", "bl.example", "300.1.1.1.bl.example" },	/* a name too */
	{ "2001:db8::zz", "bl.example", NULL },
};

static void
test_reverse(void **state)
{
	char out[DNSNAME_MAX];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(rev_cases) / sizeof(rev_cases[0]); i++) {
		rc = dnsname_reverse(rev_cases[i].subject, rev_cases[i].zone,
		    out, sizeof(out));
		if (rev_cases[i].want == NULL) {
			if (rc != -1)
				fail_msg("\"%s\": got \"%s\", want an error",
				    rev_cases[i].subject, out);
			continue;
		}
		if (rc != 0 || strcmp(out, rev_cases[i].want) != 0)
			fail_msg("\"%s\" in \"%s\": got %d \"%s\", want \"%s\"",
			    rev_cases[i].subject, rev_cases[i].zone ?
			    rev_cases[i].zone : "(null)", rc, rc == 0 ? out : "",
			    rev_cases[i].want);
	}
}

static void
test_reverse_too_long(void **state)
{
	char zone[300], out[DNSNAME_MAX];
	size_t i;

	(void)state;
	/* a 200-byte zone: an IPv6 subject (64 bytes) makes the name too long */
	memset(zone, 'z', 200);
	for (i = 50; i < 200; i += 51)
		zone[i] = '.';
	zone[200] = '\0';
	assert_int_equal(dnsname_reverse("192.0.2.1", zone, out, sizeof(out)), 0);
	assert_int_equal(dnsname_reverse("2001:db8::1", zone, out, sizeof(out)), -1);
	/* a small buffer is an error, never an overflow */
	assert_int_equal(dnsname_reverse("192.0.2.1", "bl.example", out, 10), -1);
}

static const struct {
	const char	*addr;
	const char	*want;
	int		 family;
} ptr_cases[] = {
	{ "192.0.2.2", "2.2.0.192.in-addr.arpa", 4 },
	{ "2001:db8::1",
	  "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", 6 },
	{ "::ffff:10.0.0.1", "1.0.0.10.in-addr.arpa", 4 },
	{ "mail.example.org", NULL, 0 },
	{ "", NULL, 0 },
};

static void
test_ptr(void **state)
{
	char out[DNSNAME_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ptr_cases) / sizeof(ptr_cases[0]); i++) {
		assert_int_equal(dnsname_is_addr(ptr_cases[i].addr),
		    ptr_cases[i].family);
		if (ptr_cases[i].want == NULL) {
			assert_int_equal(dnsname_ptr(ptr_cases[i].addr, out,
			    sizeof(out)), -1);
			continue;
		}
		assert_int_equal(dnsname_ptr(ptr_cases[i].addr, out,
		    sizeof(out)), 0);
		assert_string_equal(out, ptr_cases[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_canon),
		cmocka_unit_test(test_reverse),
		cmocka_unit_test(test_reverse_too_long),
		cmocka_unit_test(test_ptr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
