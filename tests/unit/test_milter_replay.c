/*
 * test_milter_replay - a message's changes as milter reply packets: every
 * kind in order with its action negotiated, header values in the MTA's
 * form with and without the leading space, one replbody for many
 * replacements (an empty one for an empty body), and a replay that fails
 * (an action not negotiated, an index out of range) queues nothing.
 * Expected packets are built with milter_proto's own encoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "milter_proto.h"
#include "milter_replay.h"
#include "msg.h"

#define ALL	0x1FFUL		/* every action */

#define ADD(n, v)	{ MSG_ADD_HEADER, n, v, NULL, 0, "f" }
#define INS(i, n, v)	{ MSG_INSERT_HEADER, n, v, NULL, i, "f" }
#define CHG(n, i, v)	{ MSG_CHANGE_HEADER, n, v, NULL, i, "f" }
#define DEL(n, i)	{ MSG_DELETE_HEADER, n, NULL, NULL, i, "f" }
#define RCPT_ADD(a)	{ MSG_ADD_RCPT, NULL, NULL, a, 0, "f" }
#define RCPT_DEL(a)	{ MSG_DEL_RCPT, NULL, NULL, a, 0, "f" }
#define SENDER(a, p)	{ MSG_CHANGE_SENDER, NULL, p, a, 0, "f" }
#define BODY(b)		{ MSG_REPLACE_BODY, NULL, b, NULL, 0, "f" }
#define QUAR(r)		{ MSG_QUARANTINE, NULL, r, NULL, 0, "f" }

/* msg_with - a small message with the changes ch[0..n) */
static struct msg *
msg_with(const struct msg_change *ch, size_t n)
{
	static const char in[] = "Subject: a\r\nSubject: b\r\n\r\nbody\r\n";
	struct msg_limits lim;
	struct msg *m;
	size_t i;

	msg_limits_default(&lim);
	assert_non_null(m = msg_new(&lim));
	assert_int_equal(msg_write(m, in, sizeof(in) - 1), 0);
	assert_int_equal(msg_write_end(m), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(msg_change_add(m, &ch[i]), 0);
	return m;
}

/* same - out holds exactly want */
static void
same(const struct milter_proto_buf *out, const struct milter_proto_buf *want)
{
	assert_int_equal(out->len, want->len);
	assert_memory_equal(out->data, want->data, want->len);
}

static void
test_every_kind(void **state)
{
	const struct msg_change ch[] = {
		ADD("X-A", " one"),
		BODY("first body\r\n"),
		INS(0, "X-B", " two\r\n\tfolded"),
		CHG("Subject", 1, " new"),
		DEL("Subject", 2),
		RCPT_ADD("new@example.org"),
		RCPT_DEL("<old@example.org>"),
		SENDER("s@example.com", "SIZE=10"),
		BODY("second body\r\n"),
		QUAR(NULL),
	};
	struct milter_replay rp = { ALL, 0, "t1" };
	struct milter_proto_buf out = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	struct msg *m = msg_with(ch, sizeof(ch) / sizeof(ch[0]));

	(void)state;
	assert_int_equal(milter_replay(&rp, m, &out), 0);
	/* without LEADSPC one leading space is the MTA's; LF line ends */
	assert_int_equal(milter_proto_put_addheader(&want, "X-A", "one"), 0);
	assert_int_equal(milter_proto_put_insheader(&want, 0, "X-B",
	    "two\n\tfolded"), 0);
	assert_int_equal(milter_proto_put_chgheader(&want, 1, "Subject", "new"), 0);
	assert_int_equal(milter_proto_put_chgheader(&want, 2, "Subject", NULL), 0);
	assert_int_equal(milter_proto_put_addrcpt(&want, "<new@example.org>"), 0);
	assert_int_equal(milter_proto_put_delrcpt(&want, "<old@example.org>"), 0);
	assert_int_equal(milter_proto_put_chgfrom(&want, "<s@example.com>",
	    "SIZE=10"), 0);
	/* the msg keeps the last body: sent once, where the last replace was */
	assert_int_equal(milter_proto_put_replbody(&want, "second body\r\n", 13), 0);
	assert_int_equal(milter_proto_put_quarantine(&want, "phasegate"), 0);
	same(&out, &want);
	milter_proto_buf_free(&out);
	milter_proto_buf_free(&want);
	msg_free(m);
}

static void
test_leadspc_and_empty_body(void **state)
{
	const struct msg_change ch[] = { ADD("X-A", "one"), BODY(""),
	    QUAR("held for review") };
	struct milter_replay rp = { ALL, 1, "t2" };
	struct milter_proto_buf out = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	struct msg *m = msg_with(ch, sizeof(ch) / sizeof(ch[0]));

	(void)state;
	assert_int_equal(milter_replay(&rp, m, &out), 0);
	/* with LEADSPC the value carries its space */
	assert_int_equal(milter_proto_put_addheader(&want, "X-A", " one"), 0);
	assert_int_equal(milter_proto_put_replbody(&want, "", 0), 0);
	assert_int_equal(milter_proto_put_quarantine(&want, "held for review"), 0);
	same(&out, &want);
	milter_proto_buf_free(&out);
	milter_proto_buf_free(&want);
	msg_free(m);
}

/* a failing replay leaves what was queued before it, and nothing of its own */
static const struct fail_row {
	unsigned long		 act;
	struct msg_change	 ch[3];
	size_t			 n;
} fails[] = {
	/* change header without CHGHDRS, after an add that could go */
	{ ALL & ~0x10UL, { ADD("X-A", " one"), CHG("Subject", 1, " x") }, 2 },
	/* delete header without CHGHDRS */
	{ 0x01UL, { ADD("X-A", " one"), DEL("Subject", 1) }, 2 },
	/* recipients, sender, body, quarantine, each without its action */
	{ ALL & ~0x04UL, { RCPT_ADD("a@b.example") }, 1 },
	{ ALL & ~0x08UL, { RCPT_DEL("a@b.example") }, 1 },
	{ ALL & ~0x40UL, { SENDER("a@b.example", NULL) }, 1 },
	{ ALL & ~0x02UL, { ADD("X-A", " one"), BODY("x") }, 2 },
	{ ALL & ~0x20UL, { QUAR("why") }, 1 },
	/* an index the protocol cannot carry */
	{ ALL, { ADD("X-A", " one"), INS(0x80000000UL, "X-B", " two") }, 2 },
};

static void
test_failures(void **state)
{
	struct milter_proto_buf out = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	struct milter_replay rp = { 0, 0, "t3" };
	struct msg *m;
	size_t i;

	(void)state;
	assert_int_equal(milter_proto_put_simple(&want, 'c'), 0);
	for (i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
		print_message("row %zu\n", i);
		m = msg_with(fails[i].ch, fails[i].n);
		milter_proto_buf_reset(&out);
		assert_int_equal(milter_proto_put_simple(&out, 'c'), 0);
		rp.act = fails[i].act;
		assert_int_equal(milter_replay(&rp, m, &out), -1);
		same(&out, &want);
		msg_free(m);
	}
	milter_proto_buf_free(&out);
	milter_proto_buf_free(&want);
}

static void
test_no_changes(void **state)
{
	struct milter_proto_buf out = { NULL, 0, 0 };
	struct milter_replay rp = { 0, 0, "t4" };
	struct msg *m = msg_with(NULL, 0);

	(void)state;
	/* nothing to send needs no action at all */
	assert_int_equal(milter_replay(&rp, m, &out), 0);
	assert_int_equal(out.len, 0);
	milter_proto_buf_free(&out);
	msg_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_leadspc_and_empty_body),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_no_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
