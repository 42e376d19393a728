/*
 * test_tx - the transaction model on its own, without a chain: the
 * envelope (sender with its ESMTP parameters, recipients added and
 * dropped), the queue id, scores, the message and its limits, strings
 * copied on the way in, tx_addr_strip() on edge cases, and out-of-memory
 * paths that leave the transaction as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "msg.h"
#include "session.h"
#include "tx.h"
#include "xmalloc.h"

static struct pg_session *sess;

static int
setup(void **unused)
{
	(void)unused;
	sess = session_new("check", "192.0.2.1", 25, "client.example");
	return sess == NULL ? -1 : 0;
}

static int
teardown(void **unused)
{
	(void)unused;
	session_free(sess);
	return 0;
}

/* A new transaction: empty envelope, a message, its session. */
static void
test_new(void **unused)
{
	struct pg_tx *tx = tx_new(sess, NULL);

	(void)unused;
	assert_non_null(tx);
	assert_ptr_equal(tx_session(tx), sess);
	assert_non_null(tx_msg(tx));
	assert_int_equal(msg_header_count(tx_msg(tx)), 0);
	assert_null(tx_id(tx));
	assert_string_equal(tx_sender(tx), "");
	assert_null(tx_sender_args(tx));
	assert_int_equal(tx_rcpt_count(tx), 0);
	assert_null(tx_rcpt(tx, 0));
	assert_int_equal(tx_score_count(tx), 0);
	assert_null(tx_score_at(tx, 0));
	assert_true(tx_score_total(tx) == 0.0);
	tx_free(tx);
	tx_free(NULL);
}

/* The limits reach the message: past count_max fields the header ends. */
static void
test_limits(void **unused)
{
	static const char m[] = "A: 1\r\nB: 2\r\nC: 3\r\n\r\nbody\r\n";
	struct msg_limits lim;
	struct pg_tx *tx;

	(void)unused;
	msg_limits_default(&lim);
	lim.count_max = 2;
	assert_non_null(tx = tx_new(sess, &lim));
	assert_int_equal(msg_write(tx_msg(tx), m, sizeof(m) - 1), 0);
	assert_int_equal(msg_write_end(tx_msg(tx)), 0);
	assert_int_equal(msg_header_count(tx_msg(tx)), 2);
	tx_free(tx);

	/* a spool that must go to a directory that is not there */
	msg_limits_default(&lim);
	lim.memory_max = 0;
	lim.spool_dir = "/nonexistent/phasegate-test";
	assert_non_null(tx = tx_new(sess, &lim));
	assert_int_equal(msg_write(tx_msg(tx), m, sizeof(m) - 1), -1);
	tx_free(tx);
}

static void
test_id(void **unused)
{
	struct pg_tx *tx = tx_new(sess, NULL);
	char id[16];

	(void)unused;
	assert_non_null(tx);
	snprintf(id, sizeof(id), "4XyZ12");
	assert_int_equal(tx_set_id(tx, id), 0);
	id[0] = 'Q';
	assert_string_equal(tx_id(tx), "4XyZ12");	/* a copy */
	assert_int_equal(tx_set_id(tx, "5AB"), 0);
	assert_string_equal(tx_id(tx), "5AB");
	assert_int_equal(tx_set_id(tx, NULL), 0);
	assert_null(tx_id(tx));
	tx_free(tx);
}

/* Senders: brackets dropped, the null sender, parameters kept apart. */
static void
test_sender(void **unused)
{
	static const struct {
		const char	*addr, *args;
		int		 rc;
		const char	*want, *want_args;	/* after the call */
	} t[] = {
		{ "<alice@example.com>", NULL, 0, "alice@example.com", NULL },
		{ "alice@example.com", "SIZE=100 BODY=8BITMIME", 0,
		  "alice@example.com", "SIZE=100 BODY=8BITMIME" },
		{ "<>", "", 0, "", NULL },
		{ "", NULL, 0, "", NULL },
		{ NULL, "RET=HDRS", 0, "", "RET=HDRS" },
		{ " <bob@example.org> ", NULL, 0, "bob@example.org", NULL },
		{ "<\"a b\"@example.org>", NULL, 0, "\"a b\"@example.org", NULL },
		/* not addresses: the sender stays as it was */
		{ "<a@b", "X=1", -1, "\"a b\"@example.org", NULL },
		{ "a b@c", NULL, -1, "\"a b\"@example.org", NULL },
		{ "a@b\r\nRCPT TO:<x@y>", NULL, -1, "\"a b\"@example.org", NULL },
	};
	struct pg_tx *tx = tx_new(sess, NULL);
	size_t i;

	(void)unused;
	assert_non_null(tx);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		errno = 0;
		if (tx_set_sender(tx, t[i].addr, t[i].args) != t[i].rc)
			fail_msg("row %zu: rc", i);
		if (t[i].rc == -1)
			assert_int_equal(errno, EINVAL);
		assert_string_equal(tx_sender(tx), t[i].want);
		if (t[i].want_args == NULL)
			assert_null(tx_sender_args(tx));
		else
			assert_string_equal(tx_sender_args(tx), t[i].want_args);
	}
	tx_free(tx);
}

/* Recipients: added in order, the last of equal ones dropped. */
static void
test_rcpts(void **unused)
{
	struct pg_tx *tx = tx_new(sess, NULL);
	char addr[64];
	size_t i;

	(void)unused;
	assert_non_null(tx);
	/* more than the first array holds */
	for (i = 0; i < 20; i++) {
		snprintf(addr, sizeof(addr), i % 2 ? "<r%zu@example.org>" :
		    "r%zu@example.org", i);
		assert_int_equal(tx_add_rcpt(tx, addr), 0);
		addr[0] = 'X';	/* copied */
	}
	assert_int_equal(tx_rcpt_count(tx), 20);
	for (i = 0; i < 20; i++) {
		snprintf(addr, sizeof(addr), "r%zu@example.org", i);
		assert_string_equal(tx_rcpt(tx, i), addr);
	}
	assert_null(tx_rcpt(tx, 20));

	/* refused: empty, the null address, not an address */
	errno = 0;
	assert_int_equal(tx_add_rcpt(tx, ""), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(tx_add_rcpt(tx, "<>"), -1);
	assert_int_equal(tx_add_rcpt(tx, "<a@b"), -1);
	assert_int_equal(tx_add_rcpt(tx, "a,b@c"), -1);
	assert_int_equal(tx_rcpt_count(tx), 20);

	/* duplicates are kept; a drop takes the last one of them */
	assert_int_equal(tx_add_rcpt(tx, "r3@example.org"), 0);
	assert_int_equal(tx_add_rcpt(tx, "last@example.org"), 0);
	assert_int_equal(tx_del_rcpt(tx, "<r3@example.org>"), 0);
	assert_int_equal(tx_rcpt_count(tx), 21);
	assert_string_equal(tx_rcpt(tx, 3), "r3@example.org");
	assert_string_equal(tx_rcpt(tx, 20), "last@example.org");
	assert_int_equal(tx_del_rcpt(tx, "r3@example.org"), 0);
	assert_string_equal(tx_rcpt(tx, 3), "r4@example.org");
	errno = 0;
	assert_int_equal(tx_del_rcpt(tx, "r3@example.org"), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(tx_del_rcpt(tx, "<broken"), -1);
	assert_int_equal(errno, EINVAL);
	/* the first and the last */
	assert_int_equal(tx_del_rcpt(tx, "r0@example.org"), 0);
	assert_int_equal(tx_del_rcpt(tx, "last@example.org"), 0);
	assert_int_equal(tx_rcpt_count(tx), 18);
	assert_string_equal(tx_rcpt(tx, 0), "r1@example.org");
	assert_string_equal(tx_rcpt(tx, 17), "r19@example.org");
	tx_free(tx);
}

/* Scores: good symbols counted and copied, bad ones and points refused. */
static void
test_scores(void **unused)
{
	static const struct {
		double		 points;
		const char	*symbol, *detail, *filter;
		int		 rc;
	} t[] = {
		{ 1.5, "BODY_DRUGS", "pills", "rules.lua", 0 },
		{ -0.5, "dkim.ok-2", NULL, NULL, 0 },
		{ 1e9, "MAX", NULL, "f", 0 },
		{ -1e9, "MIN", "", "f", 0 },
		{ 0, "ZERO", NULL, NULL, 0 },
		{ 1, "", NULL, NULL, -1 },
		{ 1, NULL, NULL, NULL, -1 },
		{ 1, "HAS SPACE", NULL, NULL, -1 },
		{ 1, "comma,", NULL, NULL, -1 },
		{ 1, "nl\n", NULL, NULL, -1 },
		{ 1e9 + 1, "BIG", NULL, NULL, -1 },
		{ -1e9 - 1, "SMALL", NULL, NULL, -1 },
		{ NAN, "NAN", NULL, NULL, -1 },
		{ INFINITY, "INF", NULL, NULL, -1 },
	};
	char sym[200];
	struct pg_tx *tx = tx_new(sess, NULL);
	const struct tx_score *sc;
	size_t i, n = 0;

	(void)unused;
	assert_non_null(tx);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		errno = 0;
		if (tx_score_add(tx, t[i].points, t[i].symbol, t[i].detail,
		    t[i].filter) != t[i].rc)
			fail_msg("row %zu (%s): rc", i, t[i].symbol ?
			    t[i].symbol : "NULL");
		if (t[i].rc == -1) {
			assert_int_equal(errno, EINVAL);
			continue;
		}
		sc = tx_score_at(tx, n++);
		assert_non_null(sc);
		assert_string_equal(sc->symbol, t[i].symbol);
		assert_true(sc->points == t[i].points);
		if (t[i].detail == NULL)
			assert_null(sc->detail);
		else
			assert_string_equal(sc->detail, t[i].detail);
		if (t[i].filter == NULL)
			assert_null(sc->filter);
		else
			assert_string_equal(sc->filter, t[i].filter);
	}
	assert_int_equal(tx_score_count(tx), n);
	assert_null(tx_score_at(tx, n));
	assert_true(tx_score_total(tx) == 1.0);

	/* 128 characters are a symbol, 129 are not; many scores grow */
	memset(sym, 'S', 128);
	sym[128] = '\0';
	assert_int_equal(tx_score_add(tx, 1, sym, NULL, NULL), 0);
	sym[128] = 'S';
	sym[129] = '\0';
	assert_int_equal(tx_score_add(tx, 1, sym, NULL, NULL), -1);
	for (i = 0; i < 30; i++) {
		snprintf(sym, sizeof(sym), "MANY%zu", i);
		assert_int_equal(tx_score_add(tx, 0.25, sym, NULL, NULL), 0);
	}
	assert_int_equal(tx_score_count(tx), n + 31);
	assert_true(fabs(tx_score_total(tx) - 9.5) < 1e-9);
	tx_free(tx);
}

/* A symbol scored twice counts once: farthest from zero wins, details kept. */
static void
test_scores_twice(void **unused)
{
	struct pg_tx *tx = tx_new(sess, NULL);
	const struct tx_score *sc;
	char big[TX_DETAIL_MAX];

	(void)unused;
	assert_non_null(tx);
	assert_int_equal(tx_score_add(tx, 8, "DRUGS", "viagra", "a.lua"), 0);
	assert_int_equal(tx_score_add(tx, 8, "DRUGS", "cialis", "b.lua"), 0);
	assert_int_equal(tx_score_add(tx, 2, "OTHER", NULL, NULL), 0);
	assert_int_equal(tx_score_count(tx), 2);
	assert_true(tx_score_total(tx) == 10.0);
	sc = tx_score_at(tx, 0);
	assert_true(sc->points == 8.0);
	assert_string_equal(sc->detail, "viagra; cialis");
	assert_string_equal(sc->filter, "a.lua");	/* a tie keeps the first */

	/* a higher score replaces the lower one, and its filter with it */
	assert_int_equal(tx_score_add(tx, 9, "DRUGS", "viagra", "c.lua"), 0);
	assert_true(tx_score_total(tx) == 11.0);
	assert_string_equal(sc->detail, "viagra; cialis");	/* not twice */
	assert_string_equal(sc->filter, "c.lua");
	assert_int_equal(tx_score_add(tx, 3, "DRUGS", NULL, NULL), 0);
	assert_true(tx_score_total(tx) == 11.0);

	/* negative: the stronger one wins */
	assert_int_equal(tx_score_add(tx, -1, "WL", NULL, NULL), 0);
	assert_int_equal(tx_score_add(tx, -5, "WL", "vip", NULL), 0);
	assert_int_equal(tx_score_add(tx, -2, "WL", NULL, NULL), 0);
	assert_true(tx_score_total(tx) == 6.0);
	assert_string_equal(tx_score_at(tx, 2)->detail, "vip");

	/* details are joined up to TX_DETAIL_MAX, then dropped */
	memset(big, 'd', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(tx_score_add(tx, 1, "OTHER", big + 2, NULL), 0);
	assert_int_equal(tx_score_add(tx, 1, "OTHER", "more", NULL), 0);
	assert_int_equal(strlen(tx_score_at(tx, 1)->detail), sizeof(big) - 3);
	assert_int_equal(tx_score_count(tx), 3);
	tx_free(tx);
}

/* tx_addr_strip: what is an address, and what it gives without brackets. */
static void
test_addr_strip(void **unused)
{
	static const struct {
		const char	*in;
		size_t		 len;	/* of dst; 0: 256 */
		const char	*out;	/* NULL: refused */
	} t[] = {
		{ "a@b", 0, "a@b" },
		{ "<a@b>", 0, "a@b" },
		{ "<>", 0, "" },
		{ "", 0, "" },
		{ "  <a@b>\t", 0, "a@b" },
		{ "\"a b\"@c", 0, "\"a b\"@c" },
		{ "<\"a\\\"b\"@c>", 0, "\"a\\\"b\"@c" },
		{ "<\"a,b\"@c>", 0, "\"a,b\"@c" },
		{ "postmaster", 0, "postmaster" },
		{ "<a@b", 0, NULL },
		{ "a@b>", 0, NULL },
		{ "<<a@b>>", 0, NULL },
		{ "a b@c", 0, NULL },
		{ "a,b@c", 0, NULL },
		{ "a\tb@c", 0, NULL },
		{ "\"a@c", 0, NULL },
		{ "a@b\r", 0, NULL },
		{ "a@b\nx", 0, NULL },
		{ "a\x7f@b", 0, NULL },
		{ "a<b@c", 0, NULL },
		/* the buffer: len - 1 characters fit, len do not */
		{ "<abcd>", 5, "abcd" },
		{ "<abcde>", 5, NULL },
		{ "abcd", 5, "abcd" },
		{ "abcde", 5, NULL },
	};
	char dst[256];
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len = t[i].len ? t[i].len : sizeof(dst);
		int rc;

		errno = 0;
		rc = tx_addr_strip(t[i].in, dst, len);
		if (t[i].out == NULL) {
			if (rc != -1 || errno != EINVAL)
				fail_msg("row %zu \"%s\": accepted as \"%s\"", i,
				    t[i].in, dst);
			continue;
		}
		if (rc != 0)
			fail_msg("row %zu \"%s\": refused", i, t[i].in);
		assert_string_equal(dst, t[i].out);
	}
}

/*
 * Out of memory: the n-th allocation of a whole transaction fails, for
 * every n; each call fails with ENOMEM and leaves what was there.
 */
static void
test_out_of_memory(void **unused)
{
	unsigned long n;
	int completed = 0, failures = 0;

	(void)unused;
	for (n = 1; n < 200 && !completed; n++) {
		struct pg_tx *tx;
		int ok;

		pg_alloc_fail_after(n);
		errno = 0;
		if ((tx = tx_new(sess, NULL)) == NULL) {
			pg_alloc_fail_after(0);
			assert_int_equal(errno, ENOMEM);
			failures++;
			continue;
		}
		ok = tx_set_sender(tx, "a@b", "SIZE=1") == 0;
		if (!ok)
			assert_string_equal(tx_sender(tx), "");
		ok = tx_set_id(tx, "Q1") == 0 && ok;
		if (tx_add_rcpt(tx, "r@x") == 0)
			assert_int_equal(tx_rcpt_count(tx), 1);
		else {
			assert_int_equal(tx_rcpt_count(tx), 0);
			ok = 0;
		}
		if (tx_score_add(tx, 2, "S", "d", "f") == 0)
			assert_int_equal(tx_score_count(tx), 1);
		else {
			assert_int_equal(tx_score_count(tx), 0);
			assert_true(tx_score_total(tx) == 0);
			ok = 0;
		}
		pg_alloc_fail_after(0);
		if (!ok) {
			assert_int_equal(errno, ENOMEM);
			failures++;
		}
		completed = ok;
		tx_free(tx);
	}
	assert_true(completed);
	assert_true(failures > 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_sender),
		cmocka_unit_test(test_rcpts),
		cmocka_unit_test(test_scores),
		cmocka_unit_test(test_scores_twice),
		cmocka_unit_test(test_addr_strip),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
