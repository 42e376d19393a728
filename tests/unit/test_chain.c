/*
 * test_chain - the phase engine with real configurations and the test
 * plugin (tests/plugins/pg_test_all): every verdict at every phase, sticky
 * session refusals, per-recipient rejects, bad replies and filter errors
 * with on_error, scores against actions, generations held by sessions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chain.h"
#include "config.h"
#include "log.h"
#include "msg.h"
#include "session.h"
#include "tx.h"
#include "xmalloc.h"

static char plugin[1024];

/* one whole SMTP flow; what each phase returned */
struct flow {
	enum pg_verdict	 v[CHAIN_NPHASES + 1];
	struct decision	 d[CHAIN_NPHASES + 1];
	enum pg_verdict	 rcpt2;		/* the second recipient */
	size_t		 nrcpt;
	size_t		 nchanges;
	double		 score;
	char		 out[8192];
};

static const char message[] =
    "From: a@example.com\r\nTo: b@example.org\r\nSubject: hello\r\n"
    "X-Spam-Flag: YES\r\n\r\nbody line\r\n";

static int
out_buf(void *ctx, const void *buf, size_t len)
{
	char *o = ctx;
	size_t have = strlen(o);

	if (have + len >= 8192)
		return -1;
	memcpy(o + have, buf, len);
	o[have + len] = '\0';
	return 0;
}

static struct chain *
load(const char *entry, const char *extra)
{
	char text[4096], err[1024];
	struct config *cfg;
	struct chain *c;

	snprintf(text, sizeof(text), "filters = { { plugin = \"%s\", %s } }\n%s\n",
	    plugin, entry, extra ? extra : "");
	cfg = config_load_string("test.conf", text, err, sizeof(err));
	if (cfg == NULL)
		fail_msg("config: %s", err);
	c = chain_load(cfg, err, sizeof(err));
	if (c == NULL)
		fail_msg("chain: %s", err);
	return c;
}

/* run - connect .. eom with two recipients (the first "nobody@x") */
static void
run(struct chain *c, struct flow *f)
{
	struct pg_session *s;
	struct pg_tx *tx;

	memset(f, 0, sizeof(*f));
	s = session_new(c, "check", "192.0.2.1", 4000, "client.example");
	assert_non_null(s);
	f->v[CHAIN_CONNECT] = chain_connect(s, &f->d[CHAIN_CONNECT]);
	f->v[CHAIN_HELO] = chain_helo(s, "client.example", &f->d[CHAIN_HELO]);
	tx = tx_new(s, NULL);
	assert_non_null(tx);
	assert_int_equal(tx_set_sender(tx, "<a@example.com>", NULL), 0);
	f->v[CHAIN_MAIL] = chain_mail(tx, "a@example.com", &f->d[CHAIN_MAIL]);
	f->v[CHAIN_RCPT] = chain_rcpt(tx, "<nobody@x>", &f->d[CHAIN_RCPT]);
	f->rcpt2 = chain_rcpt(tx, "b@example.org", &f->d[CHAIN_NPHASES]);
	f->nrcpt = tx_rcpt_count(tx);
	f->v[CHAIN_DATA] = chain_data(tx, &f->d[CHAIN_DATA]);
	assert_int_equal(msg_write(tx_msg(tx), message, sizeof(message) - 1), 0);
	assert_int_equal(msg_write_end(tx_msg(tx)), 0);
	f->v[CHAIN_HEADER] = chain_headers(tx, &f->d[CHAIN_HEADER]);
	f->v[CHAIN_EOM] = chain_eom(tx, &f->d[CHAIN_EOM]);
	f->nchanges = msg_change_count(tx_msg(tx));
	f->score = tx_score_total(tx);
	assert_int_equal(msg_output(tx_msg(tx), out_buf, f->out), 0);
	tx_free(tx);
	chain_close(s);
	session_free(s);
}

static const struct {
	const char	*entry;		/* the filter entry's options */
	const char	*extra;		/* more configuration */
	enum chain_phase phase;		/* where to look */
	enum pg_verdict	 v;
	const char	*reply;		/* substring of the reply ("" none) */
	int		 error;
} rows[] = {
	{ "", NULL, CHAIN_EOM, PG_CONTINUE, "", 0 },
	{ "connect = 'reject 554 5.7.1 go away'", NULL, CHAIN_CONNECT, PG_REJECT, "554 5.7.1 go away", 0 },
	/* a connect refusal sticks: HELO, MAIL, ... get it too */
	{ "connect = 'reject 554 5.7.1 go away'", NULL, CHAIN_MAIL, PG_REJECT, "554 5.7.1 go away", 0 },
	{ "helo = 'tempfail 421 4.7.0 later'", NULL, CHAIN_HELO, PG_TEMPFAIL, "421 4.7.0 later", 0 },
	{ "helo = 'tempfail 421 4.7.0 later'", NULL, CHAIN_EOM, PG_TEMPFAIL, "421 4.7.0 later", 0 },
	{ "mail = 'reject'", NULL, CHAIN_MAIL, PG_REJECT, "550 5.7.1 Message rejected", 0 },
	{ "mail = 'tempfail'", NULL, CHAIN_MAIL, PG_TEMPFAIL, "451 4.7.1 Try again later", 0 },
	{ "rcpt = 'reject 550 5.1.1 no such user', match = 'nobody'", NULL, CHAIN_RCPT, PG_REJECT, "550 5.1.1 no such user", 0 },
	{ "data = 'reject 554 5.7.1 no data'", NULL, CHAIN_DATA, PG_REJECT, "554 5.7.1 no data", 0 },
	{ "header = 'reject 550 5.7.1 bad subject', match = 'Subject: hello'", NULL, CHAIN_HEADER, PG_REJECT, "bad subject", 0 },
	{ "eoh = 'discard'", NULL, CHAIN_HEADER, PG_DISCARD, "", 0 },
	{ "eoh = 'discard'", NULL, CHAIN_EOM, PG_DISCARD, "", 0 },
	{ "eom = 'reject 550-5.7.1 one\\n550 5.7.1 two'", NULL, CHAIN_EOM, PG_REJECT, "550-5.7.1 one\r\n550 5.7.1 two", 0 },
	{ "mail = 'accept', eom = 'reject'", NULL, CHAIN_EOM, PG_CONTINUE, "", 0 },
	{ "connect = 'accept', mail = 'reject'", NULL, CHAIN_MAIL, PG_CONTINUE, "", 0 },
	/* filter errors: bad replies, PG_ERROR, unknown verdicts, on_error */
	{ "rcpt = 'reject 451 4.1.1 wrong class'", NULL, CHAIN_RCPT, PG_TEMPFAIL, "451 4.3.0", 1 },
	{ "eom = 'tempfail 550 5.7.1 wrong class'", NULL, CHAIN_EOM, PG_TEMPFAIL, "451 4.3.0", 1 },
	{ "eom = 'error script broke'", NULL, CHAIN_EOM, PG_TEMPFAIL, "451 4.3.0", 1 },
	{ "eom = 'bogus'", NULL, CHAIN_EOM, PG_TEMPFAIL, "451 4.3.0", 1 },
	{ "eom = 'error x', on_error = 'reject'", NULL, CHAIN_EOM, PG_REJECT, "550 5.7.1", 1 },
	{ "eom = 'error x', on_error = 'accept'", NULL, CHAIN_EOM, PG_CONTINUE, "", 0 },
	{ "eom = 'error x'", "on_error = 'reject'", CHAIN_EOM, PG_REJECT, "550 5.7.1", 1 },
	{ "connect = 'discard'", NULL, CHAIN_CONNECT, PG_TEMPFAIL, "451 4.3.0", 1 },
	{ "add_rcpt = 'not an address'", NULL, CHAIN_EOM, PG_TEMPFAIL, "451 4.3.0", 1 },
	{ "add_header = 'Bad Name: x'", NULL, CHAIN_EOM, PG_TEMPFAIL, "451 4.3.0", 1 },
	/* scores against actions */
	{ "score = '16 BIG'", "actions = { add_header = 5, tempfail = 10, reject = 15 }", CHAIN_EOM, PG_REJECT, "550 5.7.1", 0 },
	{ "score = '12 MID'", "actions = { add_header = 5, tempfail = 10, reject = 15 }", CHAIN_EOM, PG_TEMPFAIL, "451 4.7.1", 0 },
	{ "score = '6 SMALL'", "actions = { add_header = 5, tempfail = 10, reject = 15 }", CHAIN_EOM, PG_CONTINUE, "", 0 },
};

static void
test_rows(void **unused)
{
	struct flow f;
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct chain *c = load(rows[i].entry, rows[i].extra);
		const struct decision *d;

		run(c, &f);
		d = &f.d[rows[i].phase];
		if (f.v[rows[i].phase] != rows[i].v ||
		    strstr(d->reply, rows[i].reply) == NULL ||
		    (rows[i].v != PG_CONTINUE && d->error != rows[i].error))
			fail_msg("row %zu {%s}: %s: verdict %d reply \"%s\" error %d; "
			    "want %d \"%s\" error %d", i, rows[i].entry,
			    chain_phase_name(rows[i].phase), f.v[rows[i].phase],
			    d->reply, d->error, rows[i].v, rows[i].reply,
			    rows[i].error);
		chain_unref(c);
	}
}

static void
test_rcpt_reject_is_per_recipient(void **unused)
{
	struct chain *c = load("rcpt = 'reject 550 5.1.1 no such user', match = 'nobody'", NULL);
	struct flow f;

	(void)unused;
	run(c, &f);
	assert_int_equal(f.v[CHAIN_RCPT], PG_REJECT);
	assert_int_equal(f.rcpt2, PG_CONTINUE);
	assert_int_equal(f.nrcpt, 1);
	assert_int_equal(f.v[CHAIN_EOM], PG_CONTINUE);
	assert_string_equal(f.d[CHAIN_RCPT].by, "test_all");
	chain_unref(c);
}

static void
test_spam_headers(void **unused)
{
	struct chain *c = load("score = '6.5 SMALL', add_header = 'X-Test: 1'",
	    "actions = { add_header = 5, reject = 15 }");
	struct flow f;

	(void)unused;
	run(c, &f);
	assert_int_equal(f.v[CHAIN_EOM], PG_CONTINUE);
	/* the forged incoming X-Spam-Flag is gone, ours are there */
	assert_non_null(strstr(f.out, "X-Test: 1\r\nX-Spam-Flag: YES\r\n"
	    "X-Spam-Status: Yes, score=6.5 required=5.0 tests=SMALL\r\n\r\nbody line\r\n"));
	assert_null(strstr(f.out, "Subject: hello\r\nX-Spam-Flag"));
	assert_true(f.score == 6.5);
	chain_unref(c);

	c = load("score = '1 LOW'", "actions = { add_header = 5, reject = 15 }");
	run(c, &f);
	assert_non_null(strstr(f.out, "X-Spam-Status: No, score=1.0 required=5.0 tests=LOW\r\n"));
	assert_null(strstr(f.out, "X-Spam-Flag"));
	chain_unref(c);
}

static void
test_no_change_is_byte_exact(void **unused)
{
	struct chain *c = load("", NULL);
	struct flow f;

	(void)unused;
	run(c, &f);
	assert_int_equal(f.nchanges, 0);
	assert_string_equal(f.out, message);
	chain_unref(c);
}

static void
test_generation_outlives_reload(void **unused)
{
	struct chain *old = load("mail = 'reject 550 5.7.1 old'", NULL);
	struct chain *new;
	struct pg_session *s = session_new(old, "check", "192.0.2.1", 1, NULL);
	struct pg_tx *tx;
	struct decision d;

	(void)unused;
	chain_unref(old);	/* the "reload": only the session holds it now */
	new = load("mail = 'reject 550 5.7.1 new'", NULL);
	tx = tx_new(s, NULL);
	assert_int_equal(chain_mail(tx, "a@b", &d), PG_REJECT);
	assert_string_equal(d.reply, "550 5.7.1 old");
	tx_free(tx);
	session_free(s);	/* frees the old generation */
	s = session_new(new, "check", "192.0.2.1", 1, NULL);
	tx = tx_new(s, NULL);
	assert_int_equal(chain_mail(tx, "a@b", &d), PG_REJECT);
	assert_string_equal(d.reply, "550 5.7.1 new");
	tx_free(tx);
	session_free(s);
	chain_unref(new);
}

static void
test_load_errors(void **unused)
{
	char text[2048], err[1024];
	struct config *cfg;
	const char *bad = getenv("top_builddir");

	(void)unused;
	snprintf(text, sizeof(text), "filters = {\n { plugin = \"%s\",\n"
	    "   nonsense = 1 } }\n", plugin);
	cfg = config_load_string("t.conf", text, err, sizeof(err));
	assert_non_null(cfg);
	assert_null(chain_load(cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "unknown option \"nonsense\""));
	assert_non_null(strstr(err, "t.conf:2"));
	config_free(cfg);

	snprintf(text, sizeof(text), "filters = { { plugin = \"%s/tests/plugins/"
	    ".libs/pg_test_badabi.so\" } }\n", bad ? bad : ".");
	cfg = config_load_string("t.conf", text, err, sizeof(err));
	assert_non_null(cfg);
	assert_null(chain_load(cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "built for plugin ABI 99"));
	config_free(cfg);

	cfg = config_load_string("t.conf", "filters = { { plugin = \"/nonexistent/x.so\" } }",
	    err, sizeof(err));
	assert_non_null(cfg);
	assert_null(chain_load(cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "plugin /nonexistent/x.so: cannot load"));
	config_free(cfg);
}

static void
test_del_rcpt(void **unused)
{
	struct chain *c = load("", NULL);
	struct pg_session *s = session_new(c, "check", "192.0.2.1", 1, NULL);
	struct pg_tx *tx = tx_new(s, NULL);
	struct decision d;

	(void)unused;
	assert_int_equal(chain_rcpt(tx, "<a@x>", &d), PG_CONTINUE);
	assert_int_equal(chain_rcpt(tx, "b@x", &d), PG_CONTINUE);
	assert_int_equal(chain_rcpt(tx, "c@x", &d), PG_CONTINUE);
	assert_int_equal(tx_del_rcpt(tx, "<b@x>"), 0);	/* the upstream refused it */
	assert_int_equal(tx_rcpt_count(tx), 2);
	assert_string_equal(tx_rcpt(tx, 0), "a@x");
	assert_string_equal(tx_rcpt(tx, 1), "c@x");
	assert_int_equal(tx_del_rcpt(tx, "b@x"), -1);
	tx_free(tx);
	session_free(s);
	chain_unref(c);
}

/*
 * test_out_of_memory - make the n-th allocation of a whole flow fail, for
 * every n: each phase must give a verdict (or the constructor NULL), never
 * crash or leak (the sanitizer build checks the leaks).
 */
static void
test_out_of_memory(void **unused)
{
	struct chain *c = load("rcpt = 'reject 550 5.1.1 no', match = 'nobody', "
	    "add_header = 'X-A: b', score = '1 S'", "actions = { add_header = 5 }");
	struct decision d;
	unsigned long n;
	int completed = 0;

	(void)unused;
	for (n = 1; n < 400 && !completed; n++) {
		struct pg_session *s;
		struct pg_tx *tx;
		char out[8192] = "";

		pg_alloc_fail_after(n);
		if ((s = session_new(c, "check", "192.0.2.1", 1, "x")) == NULL)
			continue;
		(void)chain_connect(s, &d);
		(void)chain_helo(s, "x.example", &d);
		if ((tx = tx_new(s, NULL)) != NULL) {
			(void)tx_set_sender(tx, "a@b", NULL);
			(void)chain_mail(tx, "a@b", &d);
			(void)chain_rcpt(tx, "nobody@x", &d);
			(void)chain_rcpt(tx, "b@x", &d);
			(void)chain_data(tx, &d);
			if (msg_write(tx_msg(tx), message, sizeof(message) - 1) == 0 &&
			    msg_write_end(tx_msg(tx)) == 0) {
				(void)chain_headers(tx, &d);
				if (chain_eom(tx, &d) == PG_CONTINUE &&
				    msg_output(tx_msg(tx), out_buf, out) == 0 &&
				    strstr(out, "X-Spam-Status") != NULL)
					completed = 1;
			}
			tx_free(tx);
		}
		chain_close(s);
		session_free(s);
		pg_alloc_fail_after(0);
	}
	assert_true(completed);	/* past the last allocation the flow completes */
	assert_true(n > 10);	/* and there were allocations to fail before it */
	chain_unref(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_rcpt_reject_is_per_recipient),
		cmocka_unit_test(test_spam_headers),
		cmocka_unit_test(test_no_change_is_byte_exact),
		cmocka_unit_test(test_generation_outlives_reload),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_del_rcpt),
		cmocka_unit_test(test_out_of_memory),
	};
	const char *b = getenv("top_builddir");

	log_init(LOG_TARGET_STDERR, -1);
	snprintf(plugin, sizeof(plugin), "%s/tests/plugins/.libs/pg_test_all.so",
	    b ? b : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
