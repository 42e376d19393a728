/*
 * test_addr - the one address parser: every form it accepts, with what it
 * makes of it, and every mistake it refuses, with the words the error must
 * contain (the helpful ones in full). Includes the cases that were in
 * test_milter_util's listen table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "addr.h"

#define C	ADDR_CONNECT
#define HP	ADDR_HOSTPORT

struct good {
	const char	*spec;
	unsigned	 flags;
	int		 family;
	const char	*host, *port, *path, *shown;
};

static const struct good goods[] = {
	/* HOST:PORT, [ADDRESS]:PORT */
	{ "127.0.0.1:25", C, AF_INET, "127.0.0.1", "25", "", "127.0.0.1:25" },
	{ "127.0.0.1:65535", HP, AF_INET, "127.0.0.1", "65535", "", "127.0.0.1:65535" },
	{ "mx.example.org:2525", C, AF_UNSPEC, "mx.example.org", "2525", "", "mx.example.org:2525" },
	{ "localhost:10025", 0, AF_UNSPEC, "localhost", "10025", "", "localhost:10025" },
	{ "my_host-1:1", 0, AF_UNSPEC, "my_host-1", "1", "", "my_host-1:1" },
	{ "[::1]:25", C, AF_INET6, "::1", "25", "", "[::1]:25" },
	{ "[2001:db8::1]:587", HP, AF_INET6, "2001:db8::1", "587", "", "[2001:db8::1]:587" },
	{ "[10.0.0.1]:25", 0, AF_INET, "10.0.0.1", "25", "", "10.0.0.1:25" },
	{ ":25", 0, AF_UNSPEC, "", "25", "", "*:25" },
	{ "0.0.0.0:25", 0, AF_INET, "0.0.0.0", "25", "", "0.0.0.0:25" },
	{ "127.0.0.1:0025", 0, AF_INET, "127.0.0.1", "25", "", "127.0.0.1:25" },
	/* unix sockets */
	{ "/run/pg/milter.sock", 0, AF_UNIX, "", "", "/run/pg/milter.sock", "unix:/run/pg/milter.sock" },
	{ "unix:/run/pg/milter.sock", 0, AF_UNIX, "", "", "/run/pg/milter.sock", "unix:/run/pg/milter.sock" },
	{ "local:/tmp/x", C, AF_UNIX, "", "", "/tmp/x", "unix:/tmp/x" },
	{ "UNIX:/tmp/y", 0, AF_UNIX, "", "", "/tmp/y", "unix:/tmp/y" },
	/* libmilter */
	{ "inet:8891@127.0.0.1", 0, AF_INET, "127.0.0.1", "8891", "", "127.0.0.1:8891" },
	{ "inet:8891@localhost", C, AF_INET, "localhost", "8891", "", "localhost:8891" },
	{ "INET:8891@[10.0.0.1]", 0, AF_INET, "10.0.0.1", "8891", "", "10.0.0.1:8891" },
	{ "inet:8891", 0, AF_INET, "", "8891", "", "0.0.0.0:8891" },
	{ "inet6:8891@[::1]", 0, AF_INET6, "::1", "8891", "", "[::1]:8891" },
	{ "inet6:8891@::1", C, AF_INET6, "::1", "8891", "", "[::1]:8891" },
	{ "inet6:8891@localhost", 0, AF_INET6, "localhost", "8891", "", "localhost:8891" },
	{ "inet6:8891", 0, AF_INET6, "", "8891", "", "[::]:8891" },
	/* a host named like a socket type: shown in a form that reads back */
	{ "inet:81@unix", 0, AF_INET, "unix", "81", "", "inet:81@unix" },
	{ "inet6:81@inet6", 0, AF_INET6, "inet6", "81", "", "inet6:81@inet6" },
	{ "inetx:25", 0, AF_UNSPEC, "inetx", "25", "", "inet:25@inetx" },
};

struct badcase {
	const char	*spec;
	unsigned	 flags;
	const char	*errpart;
};

static const struct badcase bads[] = {
	{ "", 0, "empty address" },
	{ "127.0.0.1", 0, "expected HOST:PORT" },
	{ "127.0.0.1:", 0, "no port" },
	{ "127.0.0.1:0", 0, "port 0 is out of range (1 to 65535)" },
	{ "127.0.0.1:65536", 0, "port 65536 is out of range" },
	{ "127.0.0.1:99999999999999999999", 0, "out of range" },
	{ "127.0.0.1:smtp", 0, "port 'smtp' is not a number from 1 to 65535 "
	  "(service names are not looked up)" },
	{ "127.0.0.1:25-30", 0, "a port range (25-30) is not an address: give one port" },
	{ "127.0.0.1:25-", 0, "is not a number" },
	{ "::1:25", 0, "an IPv6 address goes in brackets: [::1]:25" },
	{ "2001:db8::1", 0, "an IPv6 address goes in brackets, with a port: "
	  "[2001:db8::1]:PORT" },
	{ "[::1]25", 0, "expected [ADDRESS]:PORT" },
	{ "[::1:25", 0, "'[' without ']'" },
	{ "[::g]:25", 0, "bad IPv6 address '::g'" },
	{ "[localhost]:25", 0, "brackets hold an IP address" },
	{ "[]:25", 0, "brackets hold an IP address" },
	{ "999.1.1.1:25", 0, "bad IPv4 address '999.1.1.1'" },
	{ "a/b:25", 0, "bad host 'a/b'" },
	{ "a b:26", 0, "white space" },
	{ "unix:/tmp/a b", 0, "white space" },
	{ "127.0.0.1:25\n", 0, "control character" },
	{ ":25", C, "no host (one is needed to connect)" },
	{ "[::1]:25x", 0, "port '25x' is not a number" },
	/* unix sockets */
	{ "unix:", 0, "no socket path" },
	{ "unix:run/milter.sock", 0, "the socket path must be absolute" },
	{ "local:x", 0, "must be absolute" },
	{ "/0123456789012345678901234567890123456789012345678901234567890123456789"
	  "012345678901234567890123456789012345678901234567890123456789", 0,
	  "the socket path is longer than 107 bytes" },
	{ "/run/x.sock", HP, "not a unix socket" },
	{ "unix:/run/x.sock", HP, "not a unix socket" },
	/* libmilter */
	{ "inet:127.0.0.1:8891", 0, "that is Postfix's form (inet:HOST:PORT); "
	  "libmilter's is inet:PORT@HOST: write inet:8891@127.0.0.1" },
	{ "inet:localhost:8891", 0, "write inet:8891@localhost" },
	{ "inet:[::1]:8891", 0, "write inet6:8891@[::1]" },
	{ "inet:8891@[::1]", 0, "an IPv6 address needs inet6: write inet6:8891@[::1]" },
	{ "inet:8891@::1", 0, "an IPv6 address needs inet6: write inet6:8891@[::1]" },
	{ "inet6:8891@127.0.0.1", 0, "an IPv4 address needs inet: write "
	  "inet:8891@127.0.0.1" },
	{ "inet:smtp@localhost", 0, "port 'smtp' is not a number" },
	{ "inet:@127.0.0.1", 0, "no port" },
	{ "inet:0@127.0.0.1", 0, "port 0 is out of range" },
	{ "inet:70000@127.0.0.1", 0, "port 70000 is out of range" },
	{ "inet:12x@127.0.0.1", 0, "port '12x' is not a number" },
	{ "inet:8891-8893@127.0.0.1", 0, "a port range (8891-8893)" },
	{ "inet:8891@", 0, "no host after '@'" },
	{ "inet:8891@[::1", 0, "'[' without ']'" },
	{ "inet:8891@a/b", 0, "bad host 'a/b'" },
	{ "inet:8891@bad host", 0, "white space" },
	{ "inet6:8891@[::g]", 0, "bad IPv6 address '::g'" },
	{ "inet:8891", C, "no host (one is needed to connect): inet:8891@HOST" },
	{ "inet6:8891", C, "inet6:8891@HOST" },
	{ "inet:8891@127.0.0.1", HP, "not libmilter's inet:PORT@HOST" },
	{ "tcp:8891@127.0.0.1", 0, "unknown socket type 'tcp' (use HOST:PORT, "
	  "unix:/PATH, inet:PORT@HOST or inet6:PORT@HOST)" },
	{ ":/tmp/z", 0, "unknown socket type ''" },
};

/* test_good - every accepted form, and what it means */
static void
test_good(void **state)
{
	struct addr a;
	char err[256], shown[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *t = &goods[i];

		err[0] = '\0';
		if (addr_parse(t->spec, t->flags, &a, err, sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", t->spec, err);
		if (a.family != t->family)
			fail_msg("'%s': family %d, want %d", t->spec, a.family,
			    t->family);
		assert_string_equal(a.host, t->host);
		assert_string_equal(a.port, t->port);
		assert_string_equal(a.path, t->path);
		assert_string_equal(addr_format(&a, shown, sizeof(shown)), t->shown);
	}
}

/* test_bad - every refusal, with its reason */
static void
test_bad(void **state)
{
	struct addr a;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct badcase *t = &bads[i];

		err[0] = '\0';
		if (addr_parse(t->spec, t->flags, &a, err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", t->spec);
		if (strstr(err, t->errpart) == NULL)
			fail_msg("'%s': error \"%s\" lacks \"%s\"", t->spec, err,
			    t->errpart);
	}
}

/* test_edges - NULL, a small error buffer, the longest name */
static void
test_edges(void **state)
{
	struct addr a;
	char err[8], name[300];

	(void)state;
	assert_int_equal(addr_parse(NULL, 0, &a, err, sizeof(err)), -1);
	assert_string_equal(err, "empty a");	/* truncated, terminated */
	assert_int_equal(addr_parse("", 0, &a, NULL, 0), -1);
	memset(name, 'a', 253);
	memcpy(name + 253, ":25", 4);
	assert_int_equal(addr_parse(name, 0, &a, NULL, 0), 0);
	assert_int_equal(strlen(a.host), 253);
	memset(name, 'a', 254);
	memcpy(name + 254, ":25", 4);
	assert_int_equal(addr_parse(name, 0, &a, NULL, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
