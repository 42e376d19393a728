/*
 * test_units - units_parse_size() and units_parse_duration(), table-driven
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "units.h"

struct row {
	const char	*in;
	int		 err;		/* 0, EINVAL or ERANGE */
	uint64_t	 want;
};

static const struct row sizes[] = {
	{ "0", 0, 0 },
	{ "100", 0, 100 },
	{ "100B", 0, 100 },
	{ "100b", 0, 100 },
	{ "512k", 0, 512 * 1024 },
	{ "512K", 0, 512 * 1024 },
	{ "512KB", 0, 512 * 1024 },
	{ "50M", 0, 50ull * 1024 * 1024 },
	{ "50m", 0, 50ull * 1024 * 1024 },
	{ "50MB", 0, 50ull * 1024 * 1024 },
	{ "1G", 0, 1024ull * 1024 * 1024 },
	{ "1gb", 0, 1024ull * 1024 * 1024 },
	{ "007", 0, 7 },
	{ "18446744073709551615", 0, UINT64_MAX },
	{ "17179869183G", 0, 17179869183ull * 1024 * 1024 * 1024 },
	{ "18446744073709551616", ERANGE, 0 },
	{ "17179869184G", ERANGE, 0 },
	{ "99999999999999999999999M", ERANGE, 0 },
	{ "", EINVAL, 0 },
	{ "M", EINVAL, 0 },
	{ "-1", EINVAL, 0 },
	{ "+1", EINVAL, 0 },
	{ " 1", EINVAL, 0 },
	{ "1 ", EINVAL, 0 },
	{ "1.5M", EINVAL, 0 },
	{ "1T", EINVAL, 0 },
	{ "1MM", EINVAL, 0 },
	{ "1BB", EINVAL, 0 },
	{ "1Mx", EINVAL, 0 },
	{ "0x10", EINVAL, 0 },
	{ "99999999999999999999999x", EINVAL, 0 },
};

static const struct row durations[] = {
	{ "0", 0, 0 },
	{ "100", 0, 100000 },
	{ "200ms", 0, 200 },
	{ "30s", 0, 30000 },
	{ "5m", 0, 300000 },
	{ "1h", 0, 3600000 },
	{ "2d", 0, 2 * 86400000ull },
	{ "0ms", 0, 0 },
	{ "18446744073709551615ms", 0, UINT64_MAX },
	{ "18446744073709551615", ERANGE, 0 },
	{ "18446744073709551616ms", ERANGE, 0 },
	{ "213503982335d", ERANGE, 0 },
	{ "", EINVAL, 0 },
	{ "s", EINVAL, 0 },
	{ "5x", EINVAL, 0 },
	{ "5M", EINVAL, 0 },
	{ "5S", EINVAL, 0 },
	{ "5 s", EINVAL, 0 },
	{ "1.5s", EINVAL, 0 },
	{ "-5s", EINVAL, 0 },
	{ "5sec", EINVAL, 0 },
	{ "5mss", EINVAL, 0 },
	{ "5w", EINVAL, 0 },
	{ "99999999999999999999x", EINVAL, 0 },
};

/* run - one table against one parser */
static void
run(const struct row *rows, size_t n, int (*parse)(const char *, uint64_t *))
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t v = 12345;
		int rc;

		errno = 0;
		rc = parse(rows[i].in, &v);
		if (rows[i].err == 0) {
			if (rc != 0 || v != rows[i].want)
				fail_msg("'%s': rc %d errno %d value %llu, want %llu",
				    rows[i].in, rc, errno,
				    (unsigned long long)v,
				    (unsigned long long)rows[i].want);
		} else {
			if (rc != -1 || errno != rows[i].err || v != 12345)
				fail_msg("'%s': rc %d errno %d value %llu, want "
				    "errno %d", rows[i].in, rc, errno,
				    (unsigned long long)v, rows[i].err);
		}
	}
}

static void
test_sizes(void **state)
{
	(void)state;
	run(sizes, sizeof(sizes) / sizeof(sizes[0]), units_parse_size);
}

static void
test_durations(void **state)
{
	(void)state;
	run(durations, sizeof(durations) / sizeof(durations[0]),
	    units_parse_duration);
}

static void
test_null(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(units_parse_size(NULL, &v), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(units_parse_duration(NULL, &v), -1);
	assert_int_equal(errno, EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
