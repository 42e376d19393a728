/*
 * test_chain - the phase engine (chain.c and a session's run, run.c) with
 * real configurations and the test plugin (tests/plugins/pg_test_all):
 * every verdict at every phase, sticky session refusals, per-recipient
 * rejects, bad replies and filter errors with on_error, scores against
 * actions, generations held by sessions, what the run records before the
 * filters see it, failures of the run itself;
 * which phases each filter uses (chain_wants() exact for Lua scripts, the
 * regex plugin, plugins with and without phases(), an old-size descriptor).
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

#include "chain.h"
#include "config.h"
#include "host_api.h"
#include "log.h"
#include "lua_bridge.h"
#include "msg.h"
#include "plugin_load.h"
#include "run.h"
#include "session.h"
#include "tx.h"
#include "xmalloc.h"

static char plugin[1024];
static char builddir[512];
static char tmpdir[64];

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

/* drive - connect .. eom with two recipients (the first "nobody@x") */
static void
drive(struct chain *c, struct flow *f)
{
	struct run *r;
	struct pg_tx *tx;

	memset(f, 0, sizeof(*f));
	r = run_new(c, "check", "192.0.2.1", 4000, "client.example");
	assert_non_null(r);
	f->v[CHAIN_CONNECT] = run_connect(r, &f->d[CHAIN_CONNECT]);
	f->v[CHAIN_HELO] = run_helo(r, "client.example", &f->d[CHAIN_HELO]);
	f->v[CHAIN_MAIL] = run_mail(r, "<a@example.com>", NULL, &f->d[CHAIN_MAIL]);
	assert_non_null(tx = run_tx(r));
	f->v[CHAIN_RCPT] = run_rcpt(r, "<nobody@x>", &f->d[CHAIN_RCPT]);
	f->rcpt2 = run_rcpt(r, "b@example.org", &f->d[CHAIN_NPHASES]);
	f->nrcpt = tx_rcpt_count(tx);
	f->v[CHAIN_DATA] = run_data(r, &f->d[CHAIN_DATA]);
	assert_int_equal(msg_write(tx_msg(tx), message, sizeof(message) - 1), 0);
	assert_int_equal(msg_write_end(tx_msg(tx)), 0);
	f->v[CHAIN_HEADER] = run_headers(r, &f->d[CHAIN_HEADER]);
	f->v[CHAIN_EOM] = run_eom(r, &f->d[CHAIN_EOM]);
	f->nchanges = msg_change_count(tx_msg(tx));
	f->score = tx_score_total(tx);
	assert_int_equal(msg_output(tx_msg(tx), out_buf, f->out), 0);
	run_free(r);
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

		drive(c, &f);
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
	drive(c, &f);
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
	drive(c, &f);
	assert_int_equal(f.v[CHAIN_EOM], PG_CONTINUE);
	/* the forged incoming X-Spam-Flag is gone, ours are there */
	assert_non_null(strstr(f.out, "X-Test: 1\r\nX-Spam-Flag: YES\r\n"
	    "X-Spam-Status: Yes, score=6.5 required=5.0 tests=SMALL\r\n\r\nbody line\r\n"));
	assert_null(strstr(f.out, "Subject: hello\r\nX-Spam-Flag"));
	assert_true(f.score == 6.5);
	chain_unref(c);

	c = load("score = '1 LOW'", "actions = { add_header = 5, reject = 15 }");
	drive(c, &f);
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
	drive(c, &f);
	assert_int_equal(f.nchanges, 0);
	assert_string_equal(f.out, message);
	chain_unref(c);
}

static void
test_generation_outlives_reload(void **unused)
{
	struct chain *old = load("mail = 'reject 550 5.7.1 old'", NULL);
	struct chain *new;
	struct run *r = run_new(old, "check", "192.0.2.1", 1, NULL);
	struct decision d;

	(void)unused;
	chain_unref(old);	/* the "reload": only the run holds it now */
	new = load("mail = 'reject 550 5.7.1 new'", NULL);
	assert_int_equal(run_mail(r, "a@b", NULL, &d), PG_REJECT);
	assert_string_equal(d.reply, "550 5.7.1 old");
	run_free(r);	/* frees the old generation */
	r = run_new(new, "check", "192.0.2.1", 1, NULL);
	assert_int_equal(run_mail(r, "a@b", NULL, &d), PG_REJECT);
	assert_string_equal(d.reply, "550 5.7.1 new");
	run_free(r);
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
	struct run *r = run_new(c, "check", "192.0.2.1", 1, NULL);
	struct pg_tx *tx;
	struct decision d;

	(void)unused;
	assert_int_equal(run_rcpt_drop(r, "a@x"), -1);	/* no transaction */
	assert_int_equal(run_mail(r, "", NULL, &d), PG_CONTINUE);
	tx = run_tx(r);
	assert_int_equal(run_rcpt(r, "<a@x>", &d), PG_CONTINUE);
	assert_int_equal(run_rcpt(r, "b@x", &d), PG_CONTINUE);
	assert_int_equal(run_rcpt(r, "c@x", &d), PG_CONTINUE);
	assert_int_equal(run_rcpt_drop(r, "<b@x>"), 0);	/* the upstream refused it */
	assert_int_equal(tx_rcpt_count(tx), 2);
	assert_string_equal(tx_rcpt(tx, 0), "a@x");
	assert_string_equal(tx_rcpt(tx, 1), "c@x");
	assert_int_equal(run_rcpt_drop(r, "b@x"), -1);
	run_free(r);
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
	int completed = 0, ok;

	(void)unused;
	for (n = 1; n < 400 && !completed; n++) {
		struct run *r;
		struct pg_tx *tx;
		char out[8192] = "";

		pg_alloc_fail_after(n);
		if ((r = run_new(c, "check", "192.0.2.1", 1, "x")) == NULL)
			continue;
		/* each phase must give what it gives with memory to spare */
		ok = run_connect(r, &d) == PG_CONTINUE;
		ok = run_helo(r, "x.example", &d) == PG_CONTINUE && ok;
		if (run_mail(r, "a@b", NULL, &d) == PG_CONTINUE) {
			tx = run_tx(r);
			assert_non_null(tx);
			ok = run_rcpt(r, "nobody@x", &d) == PG_REJECT && ok;
			ok = run_rcpt(r, "b@x", &d) == PG_CONTINUE && ok;
			ok = run_data(r, &d) == PG_CONTINUE && ok;
			if (msg_write(tx_msg(tx), message, sizeof(message) - 1) == 0 &&
			    msg_write_end(tx_msg(tx)) == 0) {
				ok = run_headers(r, &d) == PG_CONTINUE && ok;
				if (run_eom(r, &d) == PG_CONTINUE &&
				    msg_output(tx_msg(tx), out_buf, out) == 0 &&
				    strstr(out, "X-Spam-Status") != NULL && ok)
					completed = 1;
			}
		} else {
			/* no transaction, or a tempfail for want of memory */
			assert_true(run_tx(r) == NULL ||
			    d.verdict == PG_TEMPFAIL);
		}
		run_free(r);
		pg_alloc_fail_after(0);
	}
	assert_true(completed);	/* past the last allocation the flow completes */
	assert_true(n > 10);	/* and there were allocations to fail before it */
	chain_unref(c);
}

/*
 * Phases.
 */

/* load_text - a chain from a whole configuration text */
static struct chain *
load_text(const char *text)
{
	char err[1024];
	struct config *cfg;
	struct chain *c;

	if ((cfg = config_load_string("test.conf", text, err, sizeof(err))) ==
	    NULL)
		fail_msg("config: %s", err);
	if ((c = chain_load(cfg, err, sizeof(err))) == NULL)
		fail_msg("chain: %s", err);
	return c;
}

/* put - write text to tmpdir/name; the path in path */
static void
put(const char *name, const char *text, char *path, size_t len)
{
	FILE *fp;

	snprintf(path, len, "%s/%s", tmpdir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

/* wanted - chain_wants() of every phase and the body, as PG_PHASE_* bits */
static uint32_t
wanted(const struct chain *c)
{
	uint32_t m = 0;
	int ph;

	for (ph = 0; ph < CHAIN_NPHASES; ph++)
		if (chain_wants(c, (enum chain_phase)ph))
			m |= 1u << ph;
	if (chain_wants_body(c))
		m |= PG_PHASE_BODY;
	assert_int_equal(m, chain_phases(c));
	return m;
}

/* A Lua script: exactly the phases it registered handlers for. */
static void
test_phases_lua(void **unused)
{
	static const struct {
		const char	*script;
		uint32_t	 want;
	} t[] = {
		{ "local pg = require 'phasegate'\n"
		  "pg.on('helo', function(s, n) end)\n"
		  "pg.on('rcpt', function(tx, r)\n"
		  "  if r:find('^nobody@') then return pg.reject('550 5.1.1 no') end\n"
		  "end)\n"
		  "pg.on('rcpt', function(tx, r) end)\n",
		  PG_PHASE_HELO | PG_PHASE_RCPT },
		/* no handler at all: nothing */
		{ "local pg = require 'phasegate'\n", 0 },
		/* eom: the body comes with it (tx:body() may be called) */
		{ "local pg = require 'phasegate'\n"
		  "pg.on('eom', function(tx) end)\n",
		  PG_PHASE_EOM | PG_PHASE_BODY },
		{ "local pg = require 'phasegate'\n"
		  "pg.on('close', function(s) end)\n"
		  "pg.on('data', function(tx) end)\n"
		  "pg.on('eoh', function(tx) end)\n",
		  PG_PHASE_CLOSE | PG_PHASE_DATA | PG_PHASE_EOH },
		{ "local pg = require 'phasegate'\n"
		  "pg.on('header', function(tx, n, v) end)\n"
		  "pg.on('connect', function(s) end)\n"
		  "pg.on('mail', function(tx, a) end)\n",
		  PG_PHASE_HEADER | PG_PHASE_CONNECT | PG_PHASE_MAIL },
	};
	char path[128], conf[512];
	struct chain *c;
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		put("phases.lua", t[i].script, path, sizeof(path));
		snprintf(conf, sizeof(conf), "filters = { { script = '%s' } }\n",
		    path);
		c = load_text(conf);
		if (wanted(c) != t[i].want)
			fail_msg("script %zu: phases 0x%x, want 0x%x", i,
			    (unsigned)wanted(c), (unsigned)t[i].want);
		assert_int_equal(chain_filter_phases(c, 0), t[i].want);
		chain_unref(c);
	}
}

/*
 * The helo+rcpt script through a whole flow: the chain still records the
 * recipients, refuses per recipient, and the message passes the phases no
 * filter wants.
 */
static void
test_phases_lua_flow(void **unused)
{
	char path[128], conf[512];
	struct chain *c;
	struct flow f;

	(void)unused;
	put("helo_rcpt.lua", "local pg = require 'phasegate'\n"
	    "pg.on('helo', function(s, n)\n"
	    "  if n == 'bad.example' then return pg.reject('550 5.7.1 bad helo') end\n"
	    "end)\n"
	    "pg.on('rcpt', function(tx, r)\n"
	    "  if r:find('^nobody@') then return pg.reject('550 5.1.1 no such user') end\n"
	    "end)\n", path, sizeof(path));
	snprintf(conf, sizeof(conf), "filters = { { script = '%s' } }\n", path);
	c = load_text(conf);
	assert_int_equal(wanted(c), PG_PHASE_HELO | PG_PHASE_RCPT);
	drive(c, &f);
	assert_int_equal(f.v[CHAIN_RCPT], PG_REJECT);
	assert_string_equal(f.d[CHAIN_RCPT].reply, "550 5.1.1 no such user");
	assert_int_equal(f.rcpt2, PG_CONTINUE);
	assert_int_equal(f.nrcpt, 1);
	assert_int_equal(f.v[CHAIN_EOM], PG_CONTINUE);
	assert_string_equal(f.out, message);
	chain_unref(c);
}

/* The regex plugin: the phases its rules file uses. */
static void
test_phases_regex(void **unused)
{
	static const struct {
		const char	*rules;
		uint32_t	 want;
	} t[] = {
		{ "header Subject /viagra/i REJECT\n"
		  "header * /^X-Mailer: spamtool/ SCORE 3 MAILER\n"
		  "headers /^Received: from evil/ ADD_HEADER X-Evil: yes\n",
		  PG_PHASE_HEADER },
		{ "# nothing but comments\n", 0 },
		{ "body /cialis/ SCORE 5 DRUGS\n", PG_PHASE_EOM | PG_PHASE_BODY },
		{ "rcpt /^nobody@/ REJECT\nfrom /^$/ SCORE 1 NULL\n",
		  PG_PHASE_RCPT | PG_PHASE_MAIL },
		/* a terminal client rule acts at connect only... */
		{ "client /^192\\.0\\.2\\.66$/ REJECT\n", PG_PHASE_CONNECT },
		/* ...a score of a client or helo rule lands on each tx at MAIL */
		{ "client /dynamic/ SCORE 2 DYN\n", PG_PHASE_CONNECT | PG_PHASE_MAIL },
		{ "helo /^localhost$/ ADD_HEADER X-Helo: local\n",
		  PG_PHASE_HELO | PG_PHASE_MAIL },
	};
	char path[128], conf[512];
	struct chain *c;
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		put("phases.rules", t[i].rules, path, sizeof(path));
		snprintf(conf, sizeof(conf), "filters = { { plugin = 'regex',"
		    " rules = '%s' } }\n", path);
		c = load_text(conf);
		if (wanted(c) != t[i].want)
			fail_msg("rules %zu: phases 0x%x, want 0x%x", i,
			    (unsigned)wanted(c), (unsigned)t[i].want);
		chain_unref(c);
	}
}

/* Header rules only: a flow still decides at the header, nothing else. */
static void
test_phases_regex_flow(void **unused)
{
	char path[128], conf[512];
	struct chain *c;
	struct flow f;

	(void)unused;
	put("subject.rules", "header Subject /^hello$/ REJECT 550 5.7.1 no hello\n",
	    path, sizeof(path));
	snprintf(conf, sizeof(conf), "filters = { { plugin = 'regex', rules ="
	    " '%s' } }\n", path);
	c = load_text(conf);
	assert_int_equal(wanted(c), PG_PHASE_HEADER);
	drive(c, &f);
	/* recipients are recorded though no filter looks at them */
	assert_int_equal(f.v[CHAIN_RCPT], PG_CONTINUE);
	assert_int_equal(f.nrcpt, 2);
	assert_int_equal(f.v[CHAIN_HEADER], PG_REJECT);
	assert_string_equal(f.d[CHAIN_HEADER].reply, "550 5.7.1 no hello");
	chain_unref(c);
}

static enum pg_verdict
np_mail(void *st, struct pg_tx *tx, const char *a, struct pg_reply *r)
{
	(void)st; (void)tx; (void)a;
	snprintf(r->text, sizeof(r->text), "550 5.7.1 no mail");
	return PG_REJECT;
}

static enum pg_verdict
np_eom(void *st, struct pg_tx *tx, struct pg_reply *r)
{
	(void)st; (void)tx; (void)r;
	return PG_CONTINUE;
}

/* A plugin without phases(), at today's size: its callbacks and flags. */
static const struct pg_plugin nophases = {
	.abi = PG_PLUGIN_ABI, .size = sizeof(struct pg_plugin),
	.name = "nophases", .on_mail = np_mail, .on_eom = np_eom,
};
static const struct pg_plugin nophases_body = {
	.abi = PG_PLUGIN_ABI, .size = sizeof(struct pg_plugin),
	.name = "nophases_body", .flags = PG_PLUGIN_F_BODY, .on_eom = np_eom,
};

static void
test_phases_derived(void **unused)
{
	char conf[2048];
	struct chain *c;
	struct flow f;

	(void)unused;
	c = load_text("filters = { { plugin = 'nophases' } }\n");
	assert_int_equal(wanted(c), PG_PHASE_MAIL | PG_PHASE_EOM);
	drive(c, &f);
	assert_int_equal(f.v[CHAIN_MAIL], PG_REJECT);
	chain_unref(c);
	c = load_text("filters = { { plugin = 'nophases_body' } }\n");
	assert_int_equal(wanted(c), PG_PHASE_EOM | PG_PHASE_BODY);
	chain_unref(c);

	/* the old-size descriptor (before phases): loads, derived, runs */
	snprintf(conf, sizeof(conf), "filters = { { plugin = '%s/tests/plugins/"
	    ".libs/pg_test_oldsize.so' } }\n", builddir);
	c = load_text(conf);
	assert_string_equal(chain_filter_name(c, 0), "oldsize");
	/* PG_PLUGIN_F_BODY without on_eom: no body */
	assert_int_equal(wanted(c), PG_PHASE_HELO | PG_PHASE_RCPT |
	    PG_PHASE_CLOSE);
	drive(c, &f);	/* its close is called; the trap past its size is not */
	assert_int_equal(f.v[CHAIN_RCPT], PG_REJECT);
	assert_string_equal(f.d[CHAIN_RCPT].reply, "550 5.1.1 no such user");
	assert_int_equal(f.nrcpt, 1);
	chain_unref(c);

	/* a chain's wants are the union of its filters' */
	snprintf(conf, sizeof(conf), "filters = { { plugin = '%s/tests/plugins/"
	    ".libs/pg_test_oldsize.so' }, { plugin = 'nophases_body' } }\n",
	    builddir);
	c = load_text(conf);
	assert_int_equal(wanted(c), PG_PHASE_HELO | PG_PHASE_RCPT |
	    PG_PHASE_CLOSE | PG_PHASE_EOM | PG_PHASE_BODY);
	assert_int_equal(chain_filter_phases(c, 0), PG_PHASE_HELO |
	    PG_PHASE_RCPT | PG_PHASE_CLOSE);
	assert_int_equal(chain_filter_phases(c, 1), PG_PHASE_EOM | PG_PHASE_BODY);
	chain_unref(c);
}

/*
 * A plugin's phases() is obeyed: callbacks of the phases it leaves out are
 * not called (pg_test_all would reject at mail and eom), bits of callbacks
 * it lacks are dropped, and the body needs eom.
 */
static void
test_phases_obeyed(void **unused)
{
	struct chain *c;
	struct flow f;

	(void)unused;
	c = load("phases = 'helo rcpt', mail = 'reject', eom = 'reject',"
	    " rcpt = 'reject 550 5.1.1 no', match = 'nobody'", NULL);
	assert_int_equal(wanted(c), PG_PHASE_HELO | PG_PHASE_RCPT);
	drive(c, &f);
	assert_int_equal(f.v[CHAIN_MAIL], PG_CONTINUE);
	assert_int_equal(f.v[CHAIN_RCPT], PG_REJECT);
	assert_int_equal(f.v[CHAIN_EOM], PG_CONTINUE);
	assert_int_equal(f.nrcpt, 1);
	chain_unref(c);

	c = load("phases = 'body header'", NULL);
	assert_int_equal(wanted(c), PG_PHASE_HEADER);
	chain_unref(c);
	c = load("phases = ''", NULL);
	assert_int_equal(wanted(c), 0);
	drive(c, &f);
	assert_int_equal(f.nrcpt, 2);
	assert_string_equal(f.out, message);
	chain_unref(c);
	/* without the option pg_test_all reports everything, as before */
	c = load("", NULL);
	assert_int_equal(wanted(c), PG_PHASE_ALL);
	chain_unref(c);
}

/*
 * The run (run.c): what it records before the filters see it. A script
 * rejects, naming the field, when a field disagrees with the phase's
 * argument: the HELO name in helo, the sender and the queue id (the
 * session's macro "i") in mail, the recipients so far in rcpt.
 */
static const char *
macro_i(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "i") == 0 ? "4QID" : NULL;
}

static void
test_run_records(void **unused)
{
	char path[128], conf[512];
	struct chain *c;
	struct run *r;
	struct decision d;
	struct pg_tx *tx;

	(void)unused;
	put("records.lua", "local pg = require 'phasegate'\n"
	    "local function want(what, got, expected)\n"
	    "  if got ~= expected then\n"
	    "    return pg.reject('550 5.7.1 ' .. what .. ' ' .. tostring(got))\n"
	    "  end\n"
	    "end\n"
	    "pg.on('connect', function(s) return want('helo', s.helo, nil) end)\n"
	    "pg.on('helo', function(s, n) return want('helo', s.helo, n) end)\n"
	    "pg.on('mail', function(tx, a)\n"
	    "  return want('sender', tx.sender, a) or want('id', tx.id, '4QID')\n"
	    "    or want('rcpts', #tx.recipients, 0)\n"
	    "end)\n"
	    "pg.on('rcpt', function(tx, a)\n"
	    "  local so_far = table.concat(tx.recipients, ',')\n"
	    "  if a == 'c@x' then return want('rcpts', so_far, 'a@x') end\n"
	    "  if a == 'nobody@x' then return pg.reject('550 5.1.1 no') end\n"
	    "end)\n", path, sizeof(path));
	snprintf(conf, sizeof(conf), "filters = { { script = '%s' } }\n", path);
	c = load_text(conf);
	assert_non_null(r = run_new(c, "milter", "192.0.2.1", 25, "x"));
	session_set_macro_fn(run_session(r), macro_i, NULL);
	assert_int_equal(run_connect(r, &d), PG_CONTINUE);
	assert_int_equal(run_helo(r, "client.example", &d), PG_CONTINUE);
	assert_string_equal(session_str(run_session(r), PG_S_HELO),
	    "client.example");
	assert_int_equal(run_mail(r, "<a@example.com>", "SIZE=10", &d),
	    PG_CONTINUE);
	assert_non_null(tx = run_tx(r));
	assert_string_equal(tx_sender(tx), "a@example.com");
	assert_string_equal(tx_sender_args(tx), "SIZE=10");
	assert_string_equal(tx_id(tx), "4QID");
	assert_int_equal(run_rcpt(r, "<a@x>", &d), PG_CONTINUE);
	assert_int_equal(run_rcpt(r, "nobody@x", &d), PG_REJECT);
	assert_int_equal(run_rcpt(r, "c@x", &d), PG_CONTINUE);
	assert_int_equal(tx_rcpt_count(tx), 2);
	/* a second HELO is recorded too, and a new MAIL starts over */
	assert_int_equal(run_helo(r, "other.example", &d), PG_CONTINUE);
	assert_int_equal(run_mail(r, "", NULL, &d), PG_CONTINUE);
	assert_ptr_not_equal(run_tx(r), NULL);
	assert_int_equal(tx_rcpt_count(run_tx(r)), 0);
	assert_null(tx_sender_args(run_tx(r)));
	run_free(r);
	chain_unref(c);
}

/* The run's own decisions: bad addresses, no transaction, run_tx_end(). */
static void
test_run_errors(void **unused)
{
	struct chain *c = load("", NULL);
	struct run *r;
	struct decision d;

	(void)unused;
	assert_non_null(r = run_new(c, "smtp", "192.0.2.1", 25, NULL));
	assert_null(run_tx(r));
	assert_int_equal(run_rcpt(r, "a@x", &d), PG_REJECT);
	assert_string_equal(decision_reply(&d), "503 5.5.1 Error: need MAIL command");
	assert_int_equal(run_data(r, &d), PG_REJECT);
	assert_int_equal(run_eom(r, &d), PG_REJECT);
	assert_false(run_discarded(r));
	assert_false(run_filtering(r));

	assert_int_equal(run_mail(r, "<a@b", NULL, &d), PG_REJECT);
	assert_string_equal(decision_reply(&d), "501 5.1.7 Bad sender address syntax");
	assert_null(run_tx(r));	/* no transaction without a sender */
	assert_int_equal(run_mail(r, "a@b", NULL, &d), PG_CONTINUE);
	assert_true(run_filtering(r));
	assert_int_equal(run_rcpt(r, "a b@c", &d), PG_REJECT);
	assert_string_equal(decision_reply(&d), "501 5.1.3 Bad recipient address syntax");
	assert_int_equal(run_rcpt(r, "<>", &d), PG_REJECT);
	assert_int_equal(run_rcpt(r, NULL, &d), PG_REJECT);
	assert_int_equal(tx_rcpt_count(run_tx(r)), 0);
	assert_int_equal(run_header(r, "Subject", " folded\r\n\tvalue ", &d),
	    PG_CONTINUE);
	run_tx_end(r);
	assert_null(run_tx(r));
	run_tx_end(r);	/* twice is fine */
	run_free(r);
	run_free(NULL);
	chain_unref(c);
}

/* Sticky state: a refusal, an accept, a discard; what run_*() say then. */
static void
test_run_sticky(void **unused)
{
	struct chain *c;
	struct run *r;
	struct decision d;

	(void)unused;
	c = load("helo = 'tempfail 421 4.7.0 later'", NULL);
	assert_non_null(r = run_new(c, "milter", "192.0.2.1", 25, NULL));
	assert_null(run_refusal(r));
	assert_int_equal(run_helo(r, "a.example", &d), PG_TEMPFAIL);
	assert_non_null(run_refusal(r));
	assert_string_equal(run_refusal(r)->reply, "421 4.7.0 later");
	/* every later phase: the same decision, with or without a tx */
	assert_int_equal(run_rcpt(r, "a@x", &d), PG_TEMPFAIL);
	assert_int_equal(run_mail(r, "a@b", NULL, &d), PG_TEMPFAIL);
	assert_string_equal(decision_reply(&d), "421 4.7.0 later");
	assert_false(run_filtering(r));
	assert_int_equal(run_eom(r, &d), PG_TEMPFAIL);
	run_free(r);
	chain_unref(c);

	c = load("rcpt = 'discard'", NULL);
	assert_non_null(r = run_new(c, "smtp", "192.0.2.1", 25, NULL));
	assert_int_equal(run_mail(r, "a@b", NULL, &d), PG_CONTINUE);
	assert_false(run_discarded(r));
	assert_int_equal(run_rcpt(r, "a@x", &d), PG_DISCARD);
	assert_int_equal(tx_rcpt_count(run_tx(r)), 1);
	assert_true(run_discarded(r));
	assert_false(run_filtering(r));
	assert_int_equal(run_data(r, &d), PG_CONTINUE);
	assert_int_equal(run_eom(r, &d), PG_DISCARD);
	assert_null(decision_reply(&d));
	/* the next transaction starts afresh */
	assert_int_equal(run_mail(r, "a@b", NULL, &d), PG_CONTINUE);
	assert_false(run_discarded(r));
	run_free(r);
	chain_unref(c);

	c = load("connect = 'accept', eom = 'reject'", NULL);
	assert_non_null(r = run_new(c, "smtp", "192.0.2.1", 25, NULL));
	assert_int_equal(run_connect(r, &d), PG_ACCEPT);
	assert_int_equal(run_mail(r, "a@b", NULL, &d), PG_CONTINUE);
	assert_false(run_filtering(r));
	assert_int_equal(run_eom(r, &d), PG_CONTINUE);
	run_free(r);
	chain_unref(c);
}

/* The configuration's spool limits reach every transaction, 0 included. */
static void
test_run_limits(void **unused)
{
	static const char msg[] = "Subject: x\r\n\r\nbody\r\n";
	struct chain *c;
	struct run *r;
	struct decision d;

	(void)unused;
	/* memory_max = 0: every body byte to a file, here in no directory */
	c = load("", "spool = { memory_max = 0, dir = '/nonexistent/pg-test' }");
	assert_non_null(r = run_new(c, "milter", "192.0.2.1", 25, NULL));
	assert_int_equal(run_mail(r, "a@b", NULL, &d), PG_CONTINUE);
	assert_int_equal(msg_write(tx_msg(run_tx(r)), msg, sizeof(msg) - 1), -1);
	run_free(r);
	chain_unref(c);
	/* the same directory with memory to spare: no file needed */
	c = load("", "spool = { memory_max = '1K', dir = '/nonexistent/pg-test' }");
	assert_non_null(r = run_new(c, "milter", "192.0.2.1", 25, NULL));
	assert_int_equal(run_mail(r, "a@b", NULL, &d), PG_CONTINUE);
	assert_int_equal(msg_write(tx_msg(run_tx(r)), msg, sizeof(msg) - 1), 0);
	run_free(r);
	chain_unref(c);
}

/* a C plugin scoring one symbol twice through the host table: it counts once, the score farthest from zero */
static void
test_host_score_once(void **state)
{
	const struct pg_host *h = host_api();
	struct pg_session *s = session_new("check", "192.0.2.1", 25, "c.example");
	struct pg_tx *tx;
	const struct tx_score *sc;

	(void)state;
	assert_non_null(s);
	assert_non_null(tx = tx_new(s, NULL));
	assert_int_equal(h->tx_score(tx, 8, "BODY_DRUGS", "viagra"), 0);
	assert_int_equal(h->tx_score(tx, 8, "BODY_DRUGS", "cialis"), 0);
	assert_true(h->tx_score_total(tx) == 8);
	assert_int_equal(h->tx_score(tx, 9.5, "BODY_DRUGS", NULL), 0);
	assert_int_equal(h->tx_score(tx, 1, "OTHER", NULL), 0);
	assert_true(h->tx_score_total(tx) == 10.5);
	assert_int_equal(tx_score_count(tx), 2);
	assert_non_null(sc = tx_score_at(tx, 0));
	assert_string_equal(sc->symbol, "BODY_DRUGS");
	assert_true(sc->points == 9.5);
	assert_non_null(sc->detail);
	assert_non_null(strstr(sc->detail, "viagra"));
	assert_non_null(strstr(sc->detail, "cialis"));
	tx_free(tx);
	session_free(s);
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
		cmocka_unit_test(test_phases_lua),
		cmocka_unit_test(test_phases_lua_flow),
		cmocka_unit_test(test_phases_regex),
		cmocka_unit_test(test_phases_regex_flow),
		cmocka_unit_test(test_phases_derived),
		cmocka_unit_test(test_phases_obeyed),
		cmocka_unit_test(test_run_records),
		cmocka_unit_test(test_run_errors),
		cmocka_unit_test(test_run_sticky),
		cmocka_unit_test(test_run_limits),
		cmocka_unit_test(test_host_score_once),
	};
	const char *b = getenv("top_builddir");
	char cmd[128];
	int rc;

	log_init(LOG_TARGET_STDERR, -1);
	snprintf(builddir, sizeof(builddir), "%s", b ? b : ".");
	snprintf(plugin, sizeof(plugin), "%s/tests/plugins/.libs/pg_test_all.so",
	    builddir);
	plugin_builtin_add("lua", &lua_bridge_plugin);
	plugin_builtin_add("nophases", &nophases);
	plugin_builtin_add("nophases_body", &nophases_body);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_chain.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		rc = rc ? rc : 1;
	return rc;
}
