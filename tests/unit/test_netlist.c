/*
 * test_netlist - IP network lists: parsing, both families, mapped IPv4
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "netlist.h"

/* test_match - networks of both families, hosts and prefixes */
static void
test_match(void **state)
{
	struct netlist *l = netlist_new();
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	char err[128];

	(void)state;
	assert_non_null(l);
	assert_int_equal(netlist_add(l, "127.0.0.0/8", err, sizeof(err)), 0);
	assert_int_equal(netlist_add(l, "192.0.2.7", err, sizeof(err)), 0);
	assert_int_equal(netlist_add(l, "2001:db8:1::/48", err, sizeof(err)), 0);
	assert_int_equal(netlist_add(l, "[::1]", err, sizeof(err)), 0);
	assert_int_equal(netlist_add(l, "10.0.0.0/9", err, sizeof(err)), 0);
	assert_int_equal(netlist_count(l), 5);
	assert_true(netlist_match(l, "127.0.0.1"));
	assert_true(netlist_match(l, "127.255.255.255"));
	assert_false(netlist_match(l, "128.0.0.1"));
	assert_true(netlist_match(l, "192.0.2.7"));
	assert_false(netlist_match(l, "192.0.2.8"));
	assert_true(netlist_match(l, "::ffff:127.0.0.1"));
	assert_true(netlist_match(l, "2001:db8:1:ffff::1"));
	assert_false(netlist_match(l, "2001:db8:2::1"));
	assert_true(netlist_match(l, "::1"));
	assert_false(netlist_match(l, "::2"));
	assert_true(netlist_match(l, "10.127.0.1"));
	assert_false(netlist_match(l, "10.128.0.1"));
	assert_false(netlist_match(l, "unknown"));
	assert_false(netlist_match(l, NULL));
	assert_false(netlist_match(NULL, "127.0.0.1"));
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	inet_pton(AF_INET, "127.1.2.3", &s4.sin_addr);
	assert_true(netlist_match_sa(l, (struct sockaddr *)&s4));
	inet_pton(AF_INET, "192.0.2.9", &s4.sin_addr);
	assert_false(netlist_match_sa(l, (struct sockaddr *)&s4));
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &s6.sin6_addr);
	assert_true(netlist_match_sa(l, (struct sockaddr *)&s6));
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	assert_false(netlist_match_sa(l, (struct sockaddr *)&s6));
	netlist_free(l);
	netlist_free(NULL);
}

/* test_bad - what is refused, with a message */
static void
test_bad(void **state)
{
	static const char *const bad[] = { "", "localhost", "127.0.0.1/33",
	    "::1/129", "10.0.0.1/8", "127.0.0.0/", "127.0.0.0/x", "1.2.3",
	    "[127.0.0.1", "2001:db8::/-1", "192.0.2.0/24/1" };
	struct netlist *l = netlist_new();
	char err[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (netlist_add(l, bad[i], err, sizeof(err)) != -1)
			fail_msg("'%s' was taken", bad[i]);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(netlist_count(l), 0);
	assert_int_equal(netlist_add(l, "0.0.0.0/0", err, sizeof(err)), 0);
	assert_true(netlist_match(l, "203.0.113.1"));
	assert_false(netlist_match(l, "2001:db8::1"));
	netlist_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
