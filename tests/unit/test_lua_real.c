/*
 * test_lua_real - the Lua bridge inside the real host (libpgcore): config,
 * chain, session, tx and msg, as `phasegate check` and the front ends
 * drive it. Verdicts and replies, scores, changes recorded in the msg,
 * on_error for a failing script, session.vars across transactions, and two
 * chain generations alive at once.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "chain.h"
#include "config.h"
#include "log.h"
#include "lua_bridge.h"
#include "msg.h"
#include "plugin_load.h"
#include "run.h"
#include "session.h"
#include "tx.h"

static char dir[64];

static const char message[] =
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.net\r\n"
    "Subject: BUY CHEAP PILLS NOW\r\n"
    "Message-ID: <1@example.org>\r\n"
    "\r\n"
    "viagra and cialis\r\n";

static const char script_text[] =
    "local pg = require 'phasegate'\n"
    "local drugs = pg.regex([[\\b(viagra|cialis)\\b]], 'i')\n"
    "pg.on('connect', function(s) s.vars.n = (s.vars.n or 0) + 1 end)\n"
    "pg.on('mail', function(tx) tx.session.vars.tx = (tx.session.vars.tx or 0) + 1 end)\n"
    "pg.on('rcpt', function(tx, rcpt)\n"
    "  if rcpt == 'nobody@example.net' then return pg.reject('550 5.1.1 <' .. rcpt .. '>: no such user') end\n"
    "end)\n"
    "pg.on('eom', function(tx)\n"
    "  if tx.sender == 'boom@example.org' then error('boom') end\n"
    "  if drugs:test(tx:body()) then tx:score(8, 'BODY_DRUGS', 'pills') end\n"
    "  tx:add_header('X-Tx-Count', tostring(tx.session.vars.tx))\n"
    "  tx:change_header('Subject', '[SPAM] ' .. tx:header('Subject'))\n"
    "  tx:add_rcpt('<archive@example.net>')\n"
    "end)\n";

/* load - a chain over one script with the given extra config text */
static struct chain *
load(const char *script, const char *extra)
{
	char path[128], conf[1024], err[1024];
	struct config *cfg;
	struct chain *c;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/rules.lua", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(script, fp);
	fclose(fp);
	snprintf(conf, sizeof(conf), "filters = { { script = '%s', on_error ="
	    " 'tempfail' } }\nactions = { add_header = 5, reject = 20 }\n"
	    "spool = { dir = '%s' }\n%s", path, dir, extra ? extra : "");
	if ((cfg = config_load_string("test.conf", conf, err, sizeof(err)))
	    == NULL)
		fail_msg("config: %s", err);
	if ((c = chain_load(cfg, err, sizeof(err))) == NULL)
		fail_msg("chain: %s", err);
	return c;
}

/* transaction - one transaction on r; returns the eom verdict */
static enum pg_verdict
transaction(struct run *r, const char *sender, struct pg_tx **txp,
    struct decision *d)
{
	struct pg_tx *tx;
	enum pg_verdict v;

	assert_int_equal(run_mail(r, sender, NULL, d), PG_CONTINUE);
	assert_non_null(tx = run_tx(r));
	assert_int_equal(run_rcpt(r, "nobody@example.net", d), PG_REJECT);
	assert_string_equal(d->by, "rules.lua");
	assert_non_null(strstr(d->reply, "550 5.1.1 <nobody@example.net>: no"
	    " such user"));
	assert_int_equal(run_rcpt(r, "bob@example.net", d), PG_CONTINUE);
	assert_int_equal(tx_rcpt_count(tx), 1);
	assert_int_equal(run_data(r, d), PG_CONTINUE);
	assert_int_equal(msg_write(tx_msg(tx), message, sizeof(message) - 1), 0);
	assert_int_equal(msg_write_end(tx_msg(tx)), 0);
	assert_int_equal(run_headers(r, d), PG_CONTINUE);
	v = run_eom(r, d);
	*txp = tx;
	return v;
}

/* has_change - whether the msg recorded a change of kind with value */
static int
has_change(struct pg_tx *tx, enum msg_change_kind kind, const char *text)
{
	size_t i, n = msg_change_count(tx_msg(tx));

	for (i = 0; i < n; i++) {
		const struct msg_change *c = msg_change_at(tx_msg(tx), i);

		if (c->kind == kind && ((c->value && strstr(c->value, text)) ||
		    (c->addr && strstr(c->addr, text))))
			return 1;
	}
	return 0;
}

static void
test_real_host(void **state)
{
	struct chain *c = load(script_text, NULL);
	struct run *s;
	struct pg_tx *tx;
	struct decision d;
	const struct tx_score *sc;

	(void)state;
	s = run_new(c, "check", "192.0.2.1", 25, "client.example.org");
	assert_non_null(s);
	assert_int_equal(run_connect(s, &d), PG_CONTINUE);
	assert_int_equal(run_helo(s, "client.example.org", &d), PG_CONTINUE);

	/* first transaction: scored, flagged, changed */
	assert_int_equal(transaction(s, "alice@example.org", &tx, &d),
	    PG_CONTINUE);
	assert_int_equal(tx_score_count(tx), 1);
	sc = tx_score_at(tx, 0);
	assert_string_equal(sc->symbol, "BODY_DRUGS");
	assert_string_equal(sc->detail, "pills");
	assert_true(sc->points == 8.0);
	assert_true(has_change(tx, MSG_ADD_HEADER, "1"));
	assert_true(has_change(tx, MSG_CHANGE_HEADER, "[SPAM] BUY CHEAP PILLS"));
	assert_true(has_change(tx, MSG_ADD_RCPT, "archive@example.net"));
	assert_true(has_change(tx, MSG_ADD_HEADER, "YES"));	/* X-Spam-Flag */
	run_tx_end(s);

	/* second transaction: session.vars went on, tx.vars did not */
	assert_int_equal(transaction(s, "alice@example.org", &tx, &d),
	    PG_CONTINUE);
	assert_true(has_change(tx, MSG_ADD_HEADER, "2"));
	run_tx_end(s);

	/* a script error becomes the entry's on_error */
	assert_int_equal(transaction(s, "boom@example.org", &tx, &d),
	    PG_TEMPFAIL);
	assert_int_equal(d.error, 1);
	assert_string_equal(d.by, "rules.lua");

	run_free(s);	/* the transaction goes with the run */
	chain_unref(c);
}

static void
test_real_generations(void **state)
{
	struct chain *c1, *c2;
	struct run *s1, *s2;
	struct pg_tx *tx;
	struct decision d;

	(void)state;
	c1 = load("local pg = require 'phasegate'\n"
	    "pg.on('eom', function(tx) tx:score(1, 'GEN1') end)\n", NULL);
	s1 = run_new(c1, "check", "192.0.2.1", 25, "a.example.org");
	assert_int_equal(run_connect(s1, &d), PG_CONTINUE);
	/* reload: the file changes, a new generation is loaded */
	c2 = load("local pg = require 'phasegate'\n"
	    "pg.on('rcpt', function(tx, r) if r == 'nobody@example.net' then"
	    " return pg.reject('550 5.1.1 <' .. r .. '>: no such user') end end)\n"
	    "pg.on('eom', function(tx) tx:score(2, 'GEN2') end)\n", NULL);
	chain_unref(c1);	/* the running session keeps generation 1 */
	s2 = run_new(c2, "check", "192.0.2.2", 25, "b.example.org");
	assert_int_equal(transaction(s2, "a@example.org", &tx, &d),
	    PG_CONTINUE);
	assert_string_equal(tx_score_at(tx, 0)->symbol, "GEN2");
	run_tx_end(s2);
	assert_int_equal(run_mail(s1, "a@example.org", NULL, &d), PG_CONTINUE);
	tx = run_tx(s1);
	assert_int_equal(run_rcpt(s1, "bob@example.net", &d), PG_CONTINUE);
	assert_int_equal(msg_write(tx_msg(tx), message, sizeof(message) - 1), 0);
	assert_int_equal(msg_write_end(tx_msg(tx)), 0);
	assert_int_equal(run_eom(s1, &d), PG_CONTINUE);
	assert_string_equal(tx_score_at(tx, 0)->symbol, "GEN1");
	run_free(s1);	/* generation 1 goes with its last session */
	run_free(s2);
	chain_unref(c2);
}

static void
test_real_configtest_error(void **state)
{
	char path[128], conf[512], err[1024];
	struct config *cfg;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/bad.lua", dir);
	fp = fopen(path, "w");
	fputs("local pg = require 'phasegate'\npg.on('eom', function(tx)\n"
	    "  if then\nend)\n", fp);
	fclose(fp);
	snprintf(conf, sizeof(conf), "filters = { { script = '%s' } }\n", path);
	cfg = config_load_string("test.conf", conf, err, sizeof(err));
	assert_non_null(cfg);
	assert_null(chain_load(cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "bad.lua:3:"));
	config_free(cfg);
}

static int
setup(void **state)
{
	(void)state;
	log_init(LOG_TARGET_STDERR, 0);
	plugin_builtin_add("lua", &lua_bridge_plugin);
	snprintf(dir, sizeof(dir), "/tmp/test_lua_real.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_host),
		cmocka_unit_test(test_real_generations),
		cmocka_unit_test(test_real_configtest_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
