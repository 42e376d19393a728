/*
 * test_map - host/lib/map.c: every kind (cidr longest prefix v4/v6 and
 * v4-mapped, domain and parents, set case-insensitive, regex first in
 * file order), comments and values, one map per path and kind, reload on
 * change (at most once a second), a bad line / a deleted file / a
 * directory in its place keep the old contents, a million-line map.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "clock.h"
#include "map.h"

static char dir[256];

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static const char *
write_file(const char *name, const char *text)
{
	static char path[512], tmp[520];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_non_null(f = fopen(tmp, "w"));
	fputs(text, f);
	fclose(f);
	assert_int_equal(rename(tmp, path), 0);
	return path;
}

/* look - the value for key ("-" when none) */
static const char *
look(struct map *m, const char *key)
{
	static char val[MAP_VALUE_MAX + 1];
	int rc = map_lookup(m, key, strlen(key), val, sizeof(val));

	assert_true(rc >= 0);
	return rc == 1 ? val : "-";
}

static struct map *
open_ok(const char *path, enum map_kind kind)
{
	char err[512];
	struct map *m = map_open(path, kind, err, sizeof(err));

	if (m == NULL)
		fail_msg("%s", err);
	return m;
}

static void
test_cidr(void **state)
{
	struct map *m;

	(void)state;
	m = open_ok(write_file("nets", "# networks\n"
	    "10.0.0.0/8 wide\n10.1.0.0/16 narrow\n  10.1.2.3   host one  \n"
	    "192.0.2.0/24\n2001:db8::/32 doc6\n2001:db8:1::/48 doc6-48\n"
	    "0.0.0.0/0 any4\n"), MAP_CIDR);
	assert_string_equal(look(m, "10.9.9.9"), "wide");
	assert_string_equal(look(m, "10.1.9.9"), "narrow");
	assert_string_equal(look(m, "10.1.2.3"), "host one");
	assert_string_equal(look(m, "192.0.2.77"), "");
	assert_string_equal(look(m, "::ffff:192.0.2.1"), "");
	assert_string_equal(look(m, "8.8.8.8"), "any4");
	assert_string_equal(look(m, "2001:db8:1:2::1"), "doc6-48");
	assert_string_equal(look(m, "2001:db8:2::1"), "doc6");
	assert_string_equal(look(m, "2001:db9::1"), "-");
	assert_string_equal(look(m, "not an address"), "-");
	assert_int_equal(map_count(m), 7);
	/* the same path and kind is the same map */
	assert_ptr_equal(open_ok(write_file("nets2", "1.2.3.4\n"), MAP_CIDR),
	    open_ok(write_file("nets2", "1.2.3.4\n"), MAP_CIDR));
}

static void
test_domain_set(void **state)
{
	struct map *d, *s;

	(void)state;
	d = open_ok(write_file("doms", "example.com blocked\n"
	    "Good.Example.COM. fine\n.dot.example.net\n"), MAP_DOMAIN);
	assert_string_equal(look(d, "example.com"), "blocked");
	assert_string_equal(look(d, "MX.EXAMPLE.COM"), "blocked");
	assert_string_equal(look(d, "a.good.example.com"), "fine");
	assert_string_equal(look(d, "x.dot.example.net"), "");
	assert_string_equal(look(d, "example.net"), "-");
	assert_string_equal(look(d, "notexample.com"), "-");
	s = open_ok(write_file("set", "VIP@Example.org yes\nboss@example.org\n"),
	    MAP_SET);
	assert_string_equal(look(s, "vip@example.ORG"), "yes");
	assert_string_equal(look(s, "boss@example.org"), "");
	assert_string_equal(look(s, "x.boss@example.org"), "-");
}

static void
test_regex(void **state)
{
	struct map *m;
	char err[512];

	(void)state;
	m = open_ok(write_file("re", "/^spam/i first\n/viagra/ second\n"
	    "\\d{5} digits\n"), MAP_REGEX);
	assert_string_equal(look(m, "SPAM viagra"), "first");
	assert_string_equal(look(m, "buy viagra"), "second");
	assert_string_equal(look(m, "call 12345"), "digits");
	assert_string_equal(look(m, "ham"), "-");
	assert_null(map_open(write_file("rebad", "ok\n/(/ bad\n"), MAP_REGEX,
	    err, sizeof(err)));
	assert_non_null(strstr(err, "rebad:2: "));
}

static void
test_bad(void **state)
{
	char err[512];
	enum map_kind k;

	(void)state;
	assert_null(map_open(write_file("bad1", "10.0.0.0/8\n300.1.2.3 x\n"),
	    MAP_CIDR, err, sizeof(err)));
	assert_non_null(strstr(err, "bad1:2: not an IPv4 or IPv6 address"));
	assert_null(map_open(write_file("bad2", "1.2.3.0/33\n"), MAP_CIDR, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "bad2:1: bad prefix length"));
	assert_null(map_open(write_file("bad3", "exa mple\nbad!name\n"),
	    MAP_DOMAIN, err, sizeof(err)));
	assert_non_null(strstr(err, "bad3:2: not a domain name"));
	assert_null(map_open("/nonexistent/map", MAP_SET, err, sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
	assert_null(map_open(dir, MAP_SET, err, sizeof(err)));
	assert_non_null(strstr(err, "Is a directory"));
	assert_int_equal(map_kind_parse("cidr", &k), 0);
	assert_int_equal(map_kind_parse("hash", &k), -1);
}

static void
test_reload(void **state)
{
	char path[512], sub[600];
	struct map *m;
	unsigned g;

	(void)state;
	snprintf(path, sizeof(path), "%s", write_file("live", "a 1\n"));
	m = open_ok(path, MAP_SET);
	g = map_generation(m);
	assert_string_equal(look(m, "a"), "1");
	write_file("live", "a 2\nb 3\n");
	/* looked at again at most once a second */
	sleep_ms(1100);
	assert_string_equal(look(m, "a"), "2");
	assert_string_equal(look(m, "b"), "3");
	assert_int_equal(map_generation(m), g + 1);
	/* a bad line keeps the old contents */
	write_file("live", "a 4\n" "x\001bad value\n" "b\n");
	{
		char big[MAP_VALUE_MAX + 16];

		memset(big, 'v', sizeof(big));
		big[sizeof(big) - 1] = '\0';
		FILE *f = fopen(path, "a");

		fprintf(f, "long %s\n", big);
		fclose(f);
	}
	sleep_ms(1100);
	assert_string_equal(look(m, "a"), "2");
	assert_int_equal(map_generation(m), g + 1);
	/* deleted: the old contents stay */
	unlink(path);
	sleep_ms(1100);
	assert_string_equal(look(m, "b"), "3");
	/* a directory in its place: the same */
	assert_int_equal(mkdir(path, 0700), 0);
	sleep_ms(1100);
	assert_string_equal(look(m, "b"), "3");
	rmdir(path);
	/* a good file again is taken */
	write_file("live", "c 5\n");
	sleep_ms(1100);
	assert_string_equal(look(m, "c"), "5");
	assert_string_equal(look(m, "a"), "-");
	snprintf(sub, sizeof(sub), "%s", path);
	unlink(sub);
}

static void
test_million(void **state)
{
	char path[512];
	struct map *m;
	uint64_t t0;
	FILE *f;
	int i;

	(void)state;
	snprintf(path, sizeof(path), "%s/million", dir);
	assert_non_null(f = fopen(path, "w"));
	for (i = 0; i < 1000000; i++)
		fprintf(f, "%d.%d.%d.0/24 n%d\n", i >> 16, (i >> 8) & 255,
		    i & 255, i);
	fclose(f);
	t0 = clock_ms();
	m = open_ok(path, MAP_CIDR);
	printf("# 1,000,000 cidr lines loaded in %llu ms\n",
	    (unsigned long long)(clock_ms() - t0));
	assert_int_equal(map_count(m), 1000000);
	assert_string_equal(look(m, "0.0.5.1"), "n5");
	assert_string_equal(look(m, "15.66.63.9"), "n999999");
	assert_string_equal(look(m, "16.0.0.1"), "-");
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_domain_set),
		cmocka_unit_test(test_regex),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_million),
	};
	int rc;

	snprintf(dir, sizeof(dir), "%s/test_map.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			rc = 1;
	}
	return rc;
}
