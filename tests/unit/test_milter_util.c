/*
 * test_milter_util - the milter front end's pure parts: negotiation
 * flags, reply splitting, header value conversion (the listen spec's cases
 * are in test_addr).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>


#include "milter_proto.h"
#include "milter_util.h"

#define ALLPROT	(MILTER_PROTO_NOCONNECT | MILTER_PROTO_NOHELO | MILTER_PROTO_NOMAIL | MILTER_PROTO_NORCPT | \
	MILTER_PROTO_NOBODY | MILTER_PROTO_NOHDRS | MILTER_PROTO_NOEOH | MILTER_PROTO_NR_HDR | MILTER_PROTO_NOUNKNOWN | \
	MILTER_PROTO_NODATA | MILTER_PROTO_SKIP | MILTER_PROTO_RCPT_REJ | MILTER_PROTO_NR_CONN | MILTER_PROTO_NR_HELO | \
	MILTER_PROTO_NR_MAIL | MILTER_PROTO_NR_RCPT | MILTER_PROTO_NR_DATA | MILTER_PROTO_NR_UNKN | MILTER_PROTO_NR_EOH | \
	MILTER_PROTO_NR_BODY | MILTER_PROTO_HDR_LEADSPC)
#define ALLACT	(MILTER_PROTO_ACT_ADDHDRS | MILTER_PROTO_ACT_CHGBODY | MILTER_PROTO_ACT_ADDRCPT | MILTER_PROTO_ACT_DELRCPT | \
	MILTER_PROTO_ACT_CHGHDRS | MILTER_PROTO_ACT_QUARANTINE | MILTER_PROTO_ACT_CHGFROM | MILTER_PROTO_ACT_ADDRCPT_PAR | \
	MILTER_PROTO_ACT_SETSYMLIST)
#define CHANGES	(MILTER_PROTO_ACT_ADDHDRS | MILTER_PROTO_ACT_CHGHDRS | MILTER_PROTO_ACT_ADDRCPT | MILTER_PROTO_ACT_DELRCPT | \
	MILTER_PROTO_ACT_CHGFROM | MILTER_PROTO_ACT_CHGBODY | MILTER_PROTO_ACT_QUARANTINE)

/* no reply at connect, HELO, MAIL, DATA: events still sent (they carry macros) */
#define NR_ENV	(MILTER_PROTO_NR_CONN | MILTER_PROTO_NR_HELO | MILTER_PROTO_NR_MAIL | \
	MILTER_PROTO_NR_DATA)

static void
test_flags(void **state)
{
	static const struct {
		const char		*what;
		struct milter_wants	 w;
		unsigned long		 mta_act, mta_prot;
		unsigned long		 act, prot, missing;
	} t[] = {
		{ "nothing used", { 0 }, ALLACT, ALLPROT, MILTER_PROTO_ACT_SETSYMLIST,
		    NR_ENV | MILTER_PROTO_NR_RCPT | MILTER_PROTO_NOHDRS |
		    MILTER_PROTO_NOEOH | MILTER_PROTO_NOBODY | MILTER_PROTO_NOUNKNOWN, 0 },
		{ "rcpt only", { .rcpt = 1 }, ALLACT, ALLPROT, MILTER_PROTO_ACT_SETSYMLIST,
		    NR_ENV | MILTER_PROTO_NOHDRS | MILTER_PROTO_NOEOH |
		    MILTER_PROTO_NOBODY | MILTER_PROTO_NOUNKNOWN, 0 },
		{ "header only: no reply per header", { .header = 1 }, ALLACT, ALLPROT,
		    MILTER_PROTO_ACT_SETSYMLIST,
		    NR_ENV | MILTER_PROTO_NR_RCPT | MILTER_PROTO_NR_HDR |
		    MILTER_PROTO_HDR_LEADSPC | MILTER_PROTO_NOEOH | MILTER_PROTO_NOBODY |
		    MILTER_PROTO_NOUNKNOWN, 0 },
		{ "eom without body", { .eom = 1 }, ALLACT, ALLPROT, MILTER_PROTO_ACT_SETSYMLIST,
		    NR_ENV | MILTER_PROTO_NR_RCPT | MILTER_PROTO_NR_HDR |
		    MILTER_PROTO_HDR_LEADSPC | MILTER_PROTO_NOEOH | MILTER_PROTO_NOBODY |
		    MILTER_PROTO_NOUNKNOWN, 0 },
		{ "everything", { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, ALLACT, ALLPROT,
		    CHANGES | MILTER_PROTO_ACT_SETSYMLIST,
		    MILTER_PROTO_NR_HDR | MILTER_PROTO_HDR_LEADSPC | MILTER_PROTO_NR_BODY |
		    MILTER_PROTO_NOUNKNOWN, 0 },
		{ "body, MTA without NR_BODY: SKIP", { .eom = 1, .body = 1 }, ALLACT,
		    ALLPROT & ~MILTER_PROTO_NR_BODY, MILTER_PROTO_ACT_SETSYMLIST,
		    NR_ENV | MILTER_PROTO_NR_RCPT | MILTER_PROTO_NR_HDR |
		    MILTER_PROTO_HDR_LEADSPC | MILTER_PROTO_NOEOH | MILTER_PROTO_SKIP |
		    MILTER_PROTO_NOUNKNOWN, 0 },
		{ "actions only", { .eom = 1, .actions = 1 }, ALLACT, ALLPROT,
		    MILTER_PROTO_ACT_ADDHDRS | MILTER_PROTO_ACT_CHGHDRS | MILTER_PROTO_ACT_SETSYMLIST,
		    NR_ENV | MILTER_PROTO_NR_RCPT | MILTER_PROTO_NR_HDR |
		    MILTER_PROTO_HDR_LEADSPC | MILTER_PROTO_NOEOH | MILTER_PROTO_NOBODY |
		    MILTER_PROTO_NOUNKNOWN, 0 },
		{ "actions, no filter: the header still comes", { .actions = 1 }, ALLACT,
		    ALLPROT, MILTER_PROTO_ACT_ADDHDRS | MILTER_PROTO_ACT_CHGHDRS |
		    MILTER_PROTO_ACT_SETSYMLIST,
		    NR_ENV | MILTER_PROTO_NR_RCPT | MILTER_PROTO_NR_HDR |
		    MILTER_PROTO_HDR_LEADSPC | MILTER_PROTO_NOEOH | MILTER_PROTO_NOBODY |
		    MILTER_PROTO_NOUNKNOWN, 0 },
		{ "old MTA: no flags, few actions", { .change = 1, .header = 1 },
		    MILTER_PROTO_ACT_ADDHDRS | MILTER_PROTO_ACT_CHGBODY, 0, MILTER_PROTO_ACT_ADDHDRS | MILTER_PROTO_ACT_CHGBODY,
		    0, MILTER_PROTO_ACT_CHGHDRS | MILTER_PROTO_ACT_ADDRCPT | MILTER_PROTO_ACT_DELRCPT |
		    MILTER_PROTO_ACT_CHGFROM | MILTER_PROTO_ACT_QUARANTINE },
	};
	unsigned long act, prot, missing;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		missing = milter_util_flags(&t[i].w, t[i].mta_act,
		    t[i].mta_prot, &act, &prot);
		if (act != t[i].act || prot != t[i].prot ||
		    missing != t[i].missing)
			fail_msg("%s: act 0x%lx/0x%lx prot 0x%lx/0x%lx missing "
			    "0x%lx/0x%lx", t[i].what, act, t[i].act, prot,
			    t[i].prot, missing, t[i].missing);
		/* never a flag the MTA did not offer */
		assert_int_equal(prot & ~t[i].mta_prot, 0);
		assert_int_equal(act & ~t[i].mta_act, 0);
	}
}

static void
test_reply(void **state)
{
	static const struct {
		const char	*in;
		int		 ok;
		const char	*rcode, *xcode;
		const char	*lines[4];
	} t[] = {
		{ "550 5.7.1 Message rejected", 1, "550", "5.7.1",
		    { "Message rejected" } },
		{ "451 4.7.1 Try again later", 1, "451", "4.7.1",
		    { "Try again later" } },
		{ "550-5.7.1 a\r\n550 5.7.1 b", 1, "550", "5.7.1", { "a", "b" } },
		{ "550-5.1.1 a\r\n550-5.1.1 b\r\n550 5.1.1 c", 1, "550", "5.1.1",
		    { "a", "b", "c" } },
		{ "550 5.7.1 100% spam", 1, "550", "5.7.1", { "100%% spam" } },
		{ "550 5.7.1 %s%%", 1, "550", "5.7.1", { "%%s%%%%" } },
		{ "550 no enhanced code", 1, "550", "5.0.0", { "no enhanced code" } },
		{ "550 5.7.1", 1, "550", "5.7.1", { "" } },
		{ "550", 1, "550", "5.0.0", { "" } },
		{ "421 4.3.2 closing", 1, "421", "4.3.2", { "closing" } },
		{ "", 0, NULL, NULL, { NULL } },
		{ "250 2.0.0 ok", 0, NULL, NULL, { NULL } },
		{ "55 5.7.1 short", 0, NULL, NULL, { NULL } },
		{ "550x5.7.1 bad sep", 0, NULL, NULL, { NULL } },
		{ "550-5.7.1 a\r\n451 4.7.1 b", 0, NULL, NULL, { NULL } },
		{ "550 4.7.1 class mismatch", 0, NULL, NULL, { NULL } },
		{ "550 5.7.1 a\rb", 0, NULL, NULL, { NULL } },
	};
	struct milter_reply *r = malloc(sizeof(*r));
	char big[8192], *p;
	size_t i, j;

	(void)state;
	assert_non_null(r);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = milter_util_reply_split(t[i].in, r);

		if (!t[i].ok) {
			if (rc != -1)
				fail_msg("\"%s\": accepted", t[i].in);
			continue;
		}
		if (rc != 0)
			fail_msg("\"%s\": refused", t[i].in);
		assert_string_equal(r->rcode, t[i].rcode);
		assert_string_equal(r->xcode, t[i].xcode);
		for (j = 0; t[i].lines[j] != NULL; j++) {
			assert_non_null(r->lines[j]);
			assert_string_equal(r->lines[j], t[i].lines[j]);
		}
		assert_int_equal(r->nlines, j);
		assert_null(r->lines[j]);
	}

	/* 32 lines pass, 33 do not */
	for (j = 33; j >= 32; j--) {
		p = big;
		for (i = 0; i < j; i++)
			p += sprintf(p, "550%c5.7.1 line %zu\r\n",
			    i + 1 == j ? ' ' : '-', i);
		p[-2] = '\0';
		assert_int_equal(milter_util_reply_split(big, r),
		    j == 32 ? 0 : -1);
	}
	assert_int_equal(r->nlines, 32);
	assert_string_equal(r->lines[31], "line 31");
	assert_null(r->lines[32]);

	/* a text of 980 octets passes, 981 do not ('%' counts twice) */
	strcpy(big, "550 5.7.1 ");
	memset(big + 10, 'x', 980);
	big[990] = '\0';
	assert_int_equal(milter_util_reply_split(big, r), 0);
	big[10] = '%';
	assert_int_equal(milter_util_reply_split(big, r), -1);
	free(r);
}

static void
test_header_value(void **state)
{
	static const struct {
		const char	*in;
		int		 leadspc;
		const char	*value, *out;
	} t[] = {
		{ " hello", 1, " hello", " hello" },
		{ "hello", 0, " hello", "hello" },
		{ "a\n\tb", 0, " a\r\n\tb", "a\n\tb" },
		{ " a\r\n b", 1, " a\r\n b", " a\n b" },
		{ "", 0, "", "" },
		{ "\tx", 1, "\tx", "\tx" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *v = milter_util_header_value(t[i].in, t[i].leadspc);
		char *o;

		assert_non_null(v);
		assert_string_equal(v, t[i].value);
		o = milter_util_header_out(v, t[i].leadspc);
		assert_non_null(o);
		assert_string_equal(o, t[i].out);
		free(o);
		free(v);
	}
	{
		char *o = milter_util_header_out("YES", 1);

		assert_string_equal(o, " YES");
		free(o);
		o = milter_util_header_out("YES", 0);
		assert_string_equal(o, "YES");
		free(o);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_header_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
