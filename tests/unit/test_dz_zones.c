/*
 * test_dz_zones - the dnsbl plugin's zones file: every kind of bad line
 * names its line and reason, codes and ranges match as documented, and
 * replies take the subject, zone, code and a cleaned TXT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dz_zones.h"

/* load_text - write text to a file and load it; the rc, err filled */
static int
load_text(struct dz_zones *zs, const char *text, char *err, size_t errlen)
{
	char path[] = "/tmp/test_dz.XXXXXX";
	int fd = mkstemp(path), rc;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	rc = dz_zones_load(zs, path, err, errlen);
	unlink(path);
	return rc;
}

static const struct {
	const char	*text;
	const char	*err;		/* after "FILE:" */
} bad[] = {
	{ "", "no rules" },
	{ "# only a comment\n\n", "no rules" },
	{ "url bl.test any SCORE 1 X\n", "1: unknown target 'url'" },
	{ "client\n", "1: bad or missing zone ''" },
	{ "client bl..test any SCORE 1 X\n", "1: bad or missing zone 'bl..test'" },
	{ "client bl.test\n", "1: no codes" },
	{ "client bl.test 127.0.0.2\n", "1: no action" },
	{ "client bl.test 10.0.0.2 SCORE 1 X\n", "1: code '10.0.0.2' is not in 127.0.0.0/8" },
	{ "client bl.test 127.0.0.9-127.0.0.2 SCORE 1 X\n", "1: bad codes '127.0.0.9'" },
	{ "client bl.test 127.0.0.x SCORE 1 X\n", "1: bad codes '127.0.0.x'" },
	{ "client bl.test &0 SCORE 1 X\n", "1: bad codes '&0'" },
	{ "client bl.test &256 SCORE 1 X\n", "1: bad codes '&256'" },
	{ "\n\nclient bl.test any SCORE x X\n", "3: bad score 'x'" },
	{ "client bl.test any SCORE 1\n", "1: SCORE needs points and a symbol" },
	{ "client bl.test any SCORE 1 A B\n", "1: SCORE needs points and a symbol" },
	{ "client bl.test any SCORE 1 A/B\n", "1: bad symbol 'A/B'" },
	{ "client bl.test any SCORE inf X\n", "1: bad score 'inf'" },
	{ "client bl.test any REJECT 451 no\n", "1: REJECT needs a 5xx code, not 451" },
	{ "client bl.test any TEMPFAIL 550 no\n", "1: TEMPFAIL needs a 4xx code, not 550" },
	{ "client bl.test any REJECT 550 4.7.1 no\n", "1: the enhanced code of a 5xx reply starts with 5" },
	{ "client bl.test any DISCARD\n", "1: unknown action 'DISCARD'" },
	{ "client bl.test any SCORE 1 X\x01\n", "1: control character in the line" },
};

static void
test_bad(void **state)
{
	struct dz_zones zs;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (load_text(&zs, bad[i].text, err, sizeof(err)) != -1)
			fail_msg("row %zu loaded", i);
		if (strstr(err, bad[i].err) == NULL)
			fail_msg("row %zu: '%s' lacks '%s'", i, err, bad[i].err);
	}
	assert_int_equal(dz_zones_load(&zs, "/nonexistent/x.zones", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
}

static const char good[] =
    "# comment\n"
    "client  zen.test   127.0.0.2,127.0.0.4-127.0.0.7  SCORE 3.5 ZEN\n"
    "client  Zen.Test.  127.0.0.10-127.0.0.11          SCORE -1 ZEN_PBL\n"
    "client  bl.test    any   REJECT\n"
    "helo    dbl.test   any   TEMPFAIL\n"
    "sender  dbl.test   127.0.1.2   REJECT 550 Sender $subject listed at $zone$txt\n"
    "body    multi.test &2,&4       SCORE 4 MULTI\n"
    "body    multi.test any         TEMPFAIL 421 4.3.0 Try later ($code)\n";

static void
test_good(void **state)
{
	struct dz_zones zs;
	char err[512], out[600];

	(void)state;
	assert_int_equal(load_text(&zs, good, err, sizeof(err)), 0);
	assert_int_equal(zs.nrules, 7);
	/* distinct zones per target, canonical */
	assert_int_equal(zs.nzones[DZ_CLIENT], 2);
	assert_string_equal(zs.zones[DZ_CLIENT][0], "zen.test");
	assert_string_equal(zs.zones[DZ_CLIENT][1], "bl.test");
	assert_int_equal(zs.nzones[DZ_HELO], 1);
	assert_int_equal(zs.nzones[DZ_SENDER], 1);
	assert_int_equal(zs.nzones[DZ_BODY], 1);
	assert_true(zs.rules[0].score == 3.5);
	assert_string_equal(zs.rules[1].symbol, "ZEN_PBL");
	/* default replies: Postfix's words */
	assert_string_equal(zs.rules[2].text, "554 5.7.1 Service unavailable; "
	    "Client host [$subject] blocked using $zone$txt");
	assert_string_equal(zs.rules[3].text, "451 4.7.1 Service unavailable; "
	    "Helo command [$subject] blocked using $zone$txt");
	assert_string_equal(zs.rules[4].text,
	    "550 5.7.1 Sender $subject listed at $zone$txt");
	assert_string_equal(zs.rules[6].text, "421 4.3.0 Try later ($code)");

	dz_reply(&zs.rules[4], "spam.example", "127.0.1.2",
	    "line one\r\nline\ttwo", out, sizeof(out));
	assert_string_equal(out, "550 5.7.1 Sender spam.example listed at "
	    "dbl.test; line one  line two");
	dz_reply(&zs.rules[2], "192.0.2.1", "127.0.0.2", NULL, out, sizeof(out));
	assert_string_equal(out, "554 5.7.1 Service unavailable; Client host "
	    "[192.0.2.1] blocked using bl.test");
	dz_reply(&zs.rules[2], "192.0.2.1", "127.0.0.2", NULL, out, 20);
	assert_int_equal(strlen(out), 19);	/* truncated, terminated */
	dz_zones_free(&zs);
}

static const struct {
	int		 rule;	/* in good[] */
	const char	*code;
	int		 match;
} codes[] = {
	{ 0, "127.0.0.2", 1 }, { 0, "127.0.0.3", 0 }, { 0, "127.0.0.4", 1 },
	{ 0, "127.0.0.7", 1 }, { 0, "127.0.0.8", 0 }, { 1, "127.0.0.10", 1 },
	{ 2, "127.0.0.2", 1 }, { 2, "127.1.2.3", 1 },
	/* never, whatever the rule: broken and error answers */
	{ 2, "127.0.0.1", 0 }, { 2, "127.0.0.0", 0 }, { 2, "127.255.255.254", 0 },
	{ 2, "127.255.255.252", 0 }, { 2, "192.0.2.1", 0 }, { 2, "not-an-ip", 0 },
	{ 5, "127.0.1.2", 1 }, { 5, "127.0.0.4", 1 }, { 5, "127.0.0.6", 1 },
	{ 5, "127.0.0.8", 0 }, { 5, "127.0.0.1", 0 },
};

static void
test_codes(void **state)
{
	struct dz_zones zs;
	char err[512];
	size_t i;

	(void)state;
	assert_int_equal(load_text(&zs, good, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (dz_code_match(&zs.rules[codes[i].rule], codes[i].code) !=
		    codes[i].match)
			fail_msg("rule %d, %s: want %d", codes[i].rule,
			    codes[i].code, codes[i].match);
	assert_int_equal(dz_code_valid(NULL), 0);
	dz_zones_free(&zs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
