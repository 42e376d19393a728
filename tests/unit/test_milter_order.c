/*
 * test_milter_order - the order of milter commands, table-driven: each row
 * a sequence of command bytes (with '!' meaning "a final verdict went to
 * the MTA at the last command"), the protocol flags negotiated, and where
 * the first protocol error is (or none), with its reason
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "milter_order.h"
#include "milter_proto.h"

struct row {
	const char	*seq;		/* command bytes; '!': a verdict at the one before */
	unsigned long	 prot;
	int		 bad;		/* index in seq of the refused command; -1 none */
	const char	*why;		/* its reason (NULL: any) */
};

static const struct row rows[] = {
	/* what MTAs send */
	{ "DOCHMRRTLLLNBBEQ", 0, -1, NULL },		/* a whole message */
	{ "OCHMRTLNBEMRTLNBEQ", 0, -1, NULL },		/* two */
	{ "OCHMRLLNBEQ", 0, -1, NULL },			/* no DATA (v2) */
	{ "OCHMRLLBEQ", MILTER_PROTO_NOEOH, -1, NULL },
	{ "OCHMREQ", MILTER_PROTO_NOHDRS | MILTER_PROTO_NOBODY, -1, NULL },
	{ "OCHMRAMRTEQ", 0, -1, NULL },			/* ABORT, then again */
	{ "OCHMRLNBAMRTEQ", 0, -1, NULL },		/* ABORT in the body */
	{ "OCAHAQ", 0, -1, NULL },			/* ABORT with nothing to abort */
	{ "OCHMRLNBARQ", 0, 9, NULL },			/* RCPT after ABORT */
	{ "OCHMR!RRTEQ", 0, -1, NULL },			/* a refused recipient */
	{ "OCHM!MRTEQ", 0, -1, NULL },			/* a refused sender */
	{ "OCHMRT!AMRTEQ", 0, -1, NULL },		/* refused at DATA */
	{ "OCHMRMRTEQ", 0, -1, NULL },			/* MAIL with no ABORT */
	{ "OCHMRHMRTEQ", 0, -1, NULL },			/* EHLO resets */
	{ "OCHHMRTEKCHMRTEQ", 0, -1, NULL },		/* QUIT_NC, a new session */
	{ "OCUHUMURTEQ", 0, -1, NULL },			/* unknown commands */
	{ "DODCDHDMRQ", 0, -1, NULL },			/* macros anywhere */
	{ "OCHMRTLL!MRTEQ", 0, -1, NULL },		/* a header verdict */
	{ "Q", 0, -1, NULL },				/* at once */
	/* negotiated away, sent anyway */
	{ "OCHMRTLNBEQ", MILTER_PROTO_NOEOH, 7, "negotiated away (NOEOH)" },
	{ "OCHMRTLEQ", MILTER_PROTO_NOHDRS, 6, "negotiated away (NOHDRS)" },
	{ "OCHMRTBEQ", MILTER_PROTO_NOBODY, 6, "negotiated away (NOBODY)" },
	{ "OCHUQ", MILTER_PROTO_NOUNKNOWN, 3, "negotiated away (NOUNKNOWN)" },
	{ "OCHQ", MILTER_PROTO_NOHELO, 2, "negotiated away (NOHELO)" },
	{ "OCQ", MILTER_PROTO_NOCONNECT, 1, "negotiated away (NOCONNECT)" },
	/* out of order */
	{ "C", 0, 0, "before the negotiation" },
	{ "OO", 0, 1, "a second negotiation" },
	{ "OCHC", 0, 3, NULL },				/* CONNECT again */
	{ "OHQ", 0, 1, NULL },				/* HELO before CONNECT */
	{ "OCHRQ", 0, 3, NULL },			/* RCPT before MAIL */
	{ "OCHTQ", 0, 3, NULL },			/* DATA before MAIL */
	{ "OCHLQ", 0, 3, NULL },			/* a header before MAIL */
	{ "OCHEQ", 0, 3, NULL },			/* end of message, none begun */
	{ "OCHMRTRQ", 0, 6, NULL },			/* RCPT after DATA */
	{ "OCHMRTLNLQ", 0, 8, NULL },			/* a header after EOH */
	{ "OCHMRTBNQ", 0, 7, NULL },			/* EOH after the body */
	{ "OCHMRTLMQ", 0, 7, NULL },			/* MAIL inside a message */
	{ "OCHMRTLHQ", 0, 7, NULL },			/* HELO inside a message */
	{ "OCHMRTEBQ", 0, 7, NULL },			/* body after the end */
	{ "OCHMR!R!TEQ", 0, -1, NULL },			/* RCPT verdicts keep it open */
	{ "OCHMRT!LQ", 0, 7, NULL },			/* after a DATA verdict: over */
	{ "OCHM!RQ", 0, 5, NULL },			/* after a MAIL verdict: over */
	{ "OKCQ", 0, -1, NULL },			/* QUIT_NC before any session */
	{ "AO", 0, 0, "before the negotiation" },
};

/* test_rows - each row, command by command */
static void
test_rows(void **state)
{
	struct milter_order o;
	const char *why;
	size_t r, i;

	(void)state;
	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		milter_order_init(&o);
		why = NULL;
		for (i = 0; rows[r].seq[i] != '\0'; i++) {
			if (rows[r].seq[i] == '!') {
				milter_order_verdict(&o, rows[r].seq[i - 1]);
				continue;
			}
			why = milter_order_take(&o, rows[r].seq[i]);
			if (rows[r].seq[i] == MILTER_PROTO_CMD_OPTNEG && why == NULL)
				o.prot = rows[r].prot;
			if (why != NULL)
				break;
		}
		if (rows[r].bad == -1) {
			if (why != NULL)
				fail_msg("row %zu (%s): refused at %zu: %s", r,
				    rows[r].seq, i, why);
			continue;
		}
		if (why == NULL)
			fail_msg("row %zu (%s): no error", r, rows[r].seq);
		if ((int)i != rows[r].bad)
			fail_msg("row %zu (%s): refused at %zu, not %d: %s", r,
			    rows[r].seq, i, rows[r].bad, why);
		if (rows[r].why != NULL)
			assert_string_equal(why, rows[r].why);
	}
}

/* test_refused_keeps_state - a refused command changes nothing */
static void
test_refused_keeps_state(void **state)
{
	struct milter_order o;

	(void)state;
	milter_order_init(&o);
	assert_null(milter_order_take(&o, MILTER_PROTO_CMD_OPTNEG));
	o.prot = MILTER_PROTO_NOEOH;
	assert_null(milter_order_take(&o, MILTER_PROTO_CMD_CONNECT));
	assert_null(milter_order_take(&o, MILTER_PROTO_CMD_MAIL));
	assert_int_equal(o.state, MILTER_ORDER_ENVELOPE);
	assert_non_null(milter_order_take(&o, MILTER_PROTO_CMD_EOH));
	assert_int_equal(o.state, MILTER_ORDER_ENVELOPE);
	assert_null(milter_order_take(&o, MILTER_PROTO_CMD_RCPT));
	/* an unknown byte is the decoder's business */
	assert_null(milter_order_take(&o, 'z'));
	assert_int_equal(o.state, MILTER_ORDER_ENVELOPE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_refused_keeps_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
