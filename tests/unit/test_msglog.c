/*
 * test_msglog - the summary line from a real session and transaction:
 * every field, escaping of what clients send, recipients past the list's
 * end, a cut line; the queue id in MTA replies (msglog_queue_id())
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "chain.h"
#include "decision.h"
#include "msglog.h"
#include "session.h"
#include "tx.h"

/* a chain of two filters, "rules" and "regex" (msglog reads their names) */
static char fake_chain;

size_t
chain_filter_count(const struct chain *c)
{
	return c != NULL ? 2 : 0;
}

const char *
chain_filter_name(const struct chain *c, size_t i)
{
	(void)c;
	return i == 0 ? "rules" : "regex";
}

static void
test_queue_id(void **unused)
{
	static const struct {
		const char *reply, *want;
	} rows[] = {
		{ "250 2.0.0 Ok: queued as 4XyZ1q2", "4XyZ1q2" },
		{ "250 2.0.0 Ok: queued as 3F2A1B0C9D", "3F2A1B0C9D" },
		{ "250-first\r\n250 2.0.0 Ok: queued as 4XyZ1q2", "4XyZ1q2" },
		{ "250 2.0.0 0B3KxA12345678 Message accepted for delivery",
		  "0B3KxA12345678" },
		{ "250 2.0.0 Ok", NULL },
		{ "250 2.0.0 Ok: queued as ab", NULL },		/* too short */
		{ "250 2.0.0 Ok: queued as 4XyZ-1q2", NULL },	/* not alnum */
		{ "550 5.7.1 queued as 4XyZ1q2", NULL },	/* not a 250 */
		{ "250 2.0.0 Ok: queued as "
		  "0123456789012345678901234567890123456789012345678901234567890123456789", NULL },
		{ "", NULL },
	};
	char buf[64];
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = msglog_queue_id(rows[i].reply, buf, sizeof(buf));

		if (rows[i].want == NULL) {
			if (rc != -1)
				fail_msg("row %zu: took %s", i, buf);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(buf, rows[i].want);
	}
	assert_int_equal(msglog_queue_id(NULL, buf, sizeof(buf)), -1);
}

static void
test_line(void **unused)
{
	struct pg_session *s;
	struct pg_tx *tx;
	struct decision d;
	struct msglog_info in;
	char line[4096], rcpt[32];
	uint64_t us[2] = { 1500, 0 };
	int i;

	(void)unused;
	assert_non_null(s = session_new("milter", "192.0.2.1", 4242,
	    "mx.example"));
	assert_int_equal(session_set_helo(s, "evil \"helo\"\x01"), 0);
	assert_non_null(tx = tx_new(s, NULL));
	assert_int_equal(tx_set_id(tx, "4XyZ1q2"), 0);
	assert_int_equal(tx_set_sender(tx, "<a@example.org>", NULL), 0);
	for (i = 0; i < 23; i++) {
		snprintf(rcpt, sizeof(rcpt), "r%d@example.net", i);
		assert_int_equal(tx_add_rcpt(tx, rcpt), 0);
	}
	assert_int_equal(tx_score_add(tx, 5, "BAYES", NULL, "rules"), 0);
	assert_int_equal(tx_score_add(tx, 7.5, "RBL", "x", "rules"), 0);
	decision_set(&d, PG_REJECT, "actions",
	    "550-5.7.1 Message rejected\\r\\n550 5.7.1 as spam");
	memcpy(d.reply, "550-5.7.1 Message rejected\r\n550 5.7.1 as spam",
	    sizeof("550-5.7.1 Message rejected\r\n550 5.7.1 as spam"));
	memset(&in, 0, sizeof(in));
	in.s = s;
	in.tx = tx;
	in.d = &d;
	in.result = "reject";
	in.phase = "eom";
	in.filter_us = us;
	in.chain = (const struct chain *)(void *)&fake_chain;
	in.total_us = 1500;
	in.lookups = 2;
	in.lookup_ms = 5;
	in.threshold = 12;
	msglog_format(&in, line, sizeof(line));
	assert_true(strncmp(line, "msg qid=4XyZ1q2 session=pg-", 27) == 0);
	assert_non_null(strstr(line, " frontend=milter client=mx.example"
	    "[192.0.2.1]:4242 helo=evil\\x20\\x22helo\\x22\\x01 "
	    "from=<a@example.org> rcpts=23 to=<r0@example.net>,"));
	assert_non_null(strstr(line, ",<r19@example.net>,+3 more size=0 "
	    "result=reject phase=eom by=actions reply=\"550-5.7.1 Message "
	    "rejected 550 5.7.1 as spam\" score=12.50/12.00 "
	    "symbols=BAYES(5.00),RBL(7.50) time=1.500ms filters=rules:1.500ms "
	    "lookups=2/5ms"));
	assert_null(strchr(line, '\n'));
	assert_null(strstr(line, "upstream"));
	/* no actions, the proxy's upstream, nothing decided */
	in.threshold = NAN;
	in.upstream = "250 2.0.0 Ok: queued as 4XyZ1q2";
	decision_clear(&d);
	in.result = "accept";
	msglog_format(&in, line, sizeof(line));
	assert_non_null(strstr(line, " by=- reply=- score=12.50 symbols="));
	assert_non_null(strstr(line, " upstream=\"250 2.0.0 Ok: queued as "
	    "4XyZ1q2\""));
	assert_null(strstr(line, " tls="));
	/* over TLS, authenticated: both at the end of the line */
	{
		struct pg_tls t = { "TLSv1.3", "TLS_AES_128_GCM_SHA256", 128,
		    NULL, 0 };

		assert_int_equal(session_set_tls_info(s, &t), 0);
		assert_int_equal(session_set_auth(s, "alice"), 0);
	}
	msglog_format(&in, line, sizeof(line));
	assert_non_null(strstr(line, "4XyZ1q2\" tls=TLSv1.3/"
	    "TLS_AES_128_GCM_SHA256 auth=alice"));
	assert_int_equal(line[strlen(line) - 1], 'e');
	/* a short buffer: cut, marked, terminated */
	msglog_format(&in, line, 40);
	assert_int_equal(strlen(line), 39);
	assert_string_equal(line + 36, "...");
	tx_free(tx);
	session_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_id),
		cmocka_unit_test(test_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
