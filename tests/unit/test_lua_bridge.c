/*
 * test_lua_bridge - the Lua bridge driven through the plugin ABI with the
 * test host: init errors, many sessions on many threads at once (no
 * leaks between sessions, a bounded pool), a script stuck in a loop not
 * blocking the others, two chain generations alive at once, and the
 * memory an idle session and an idle interpreter take.
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "lua_bridge.h"
#include "lua_vars.h"
#include "store.h"
#include "test_lua_host.h"

static char tmpdir[64];

static const char msg[] =
    "From: a@example.org\r\nTo: b@example.net\r\nSubject: hi\r\n"
    "Message-ID: <1@example.org>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
    "\r\nbody\r\n";

/* script - write a script into the temp dir; returns its path (static) */
static const char *
script(const char *name, const char *text)
{
	static char path[4][256];
	static int k;
	char *p = path[k++ % 4];
	FILE *fp;

	snprintf(p, 256, "%s/%s", tmpdir, name);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return p;
}

/* load - init the bridge on a script; NULL with err on failure */
static void *
load(const char *path, const char *timeout, char *err, size_t errlen)
{
	const char *kv[] = { "script", path, "timeout_ms", timeout ? timeout :
	    "2000", "memory_max", "16777216", "path", "", NULL };
	struct pg_options *o = th_options(kv);
	void *st = NULL;
	int rc;

	rc = lua_bridge_plugin.init(&th_host, o, &st, err, errlen);
	th_options_free(o);
	return rc == 0 ? st : NULL;
}

/* load_path - load with a require() path */
static void *
load_path(const char *path, const char *dirs, char *err, size_t errlen)
{
	const char *kv[] = { "script", path, "timeout_ms", "5000", "path",
	    dirs, NULL };
	struct pg_options *o = th_options(kv);
	void *st = NULL;
	int rc;

	rc = lua_bridge_plugin.init(&th_host, o, &st, err, errlen);
	th_options_free(o);
	return rc == 0 ? st : NULL;
}

static void
test_init_errors(void **state)
{
	char err[512];
	const char *kv[] = { "timeout_ms", "100", NULL };
	struct pg_options *o;
	void *st = NULL;

	(void)state;
	assert_null(load("/nonexistent/x.lua", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open /nonexistent/x.lua"));
	o = th_options(kv);
	assert_int_equal(lua_bridge_plugin.init(&th_host, o, &st, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "no script"));
	th_options_free(o);
	assert_null(load(script("t.lua", "return 1"), "abc", err, sizeof(err)));
	assert_non_null(strstr(err, "bad timeout_ms"));
	/* a binary chunk is not a script */
	assert_null(load(script("bin.lua", "\033Lua\x54"), NULL, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "attempt to load a binary chunk"));
	assert_int_equal(lua_bridge_plugin.abi, PG_PLUGIN_ABI);
	assert_int_equal(lua_bridge_plugin.size, sizeof(struct pg_plugin));
}

/* run_one - a whole session with one message; returns the verdict */
static enum pg_verdict
run_one(void *st, const char *addr, char *symbols, size_t len,
    struct pg_reply *r)
{
	struct pg_session *s = th_session_new(addr, "client.example", NULL);
	struct pg_tx *tx = th_tx_new(s, "a@example.org");
	char phase[32];
	enum pg_verdict v;

	th_tx_add_rcpt(tx, "b@example.net");
	th_tx_message(tx, msg, sizeof(msg) - 1);
	v = th_run(&lua_bridge_plugin, st, s, tx, "client.example", phase,
	    sizeof(phase), r);
	if (symbols)
		snprintf(symbols, len, "%s", tx->symbols ? tx->symbols : "");
	th_tx_free(tx);
	th_session_free(s);
	return v;
}

static const char concurrent_lua[] =
    "local pg = require 'phasegate'\n"
    "pg.on('connect', function(s)\n"
    "  assert(s.vars.addr == nil, 'vars leaked into a new session')\n"
    "  s.vars.addr = s.client_addr\n"
    "end)\n"
    "pg.on('mail', function(tx) tx.vars.addr = tx.session.client_addr end)\n"
    "pg.on('header', function(tx, n, v)\n"
    "  local x = 0 for i = 1, 200 do x = x + i end\n"
    "end)\n"
    "pg.on('eom', function(tx)\n"
    "  assert(tx.vars.addr == tx.session.client_addr, 'tx vars leaked')\n"
    "  assert(tx.session.vars.addr == tx.session.client_addr, 'session vars leaked')\n"
    "  pg.store.incr('concurrent-total')\n"
    "  tx:score(1, 'SEEN')\n"
    "end)\n";

#define NTHREADS	8
#define NSESSIONS	300

struct worker {
	void		*st;
	int		 id;
	int		 failures;
	char		 last[PG_REPLY_MAX];
};

static void *
worker(void *arg)
{
	struct worker *w = arg;
	struct pg_reply r;
	char addr[32], sym[64];
	int i;

	for (i = 0; i < NSESSIONS; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", w->id * 10 + i % 10);
		if (run_one(w->st, addr, sym, sizeof(sym), &r) != PG_CONTINUE ||
		    strcmp(sym, "SEEN(1.0)") != 0) {
			w->failures++;
			snprintf(w->last, sizeof(w->last), "%s", r.text);
		}
	}
	return NULL;
}

static void
test_concurrent(void **state)
{
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	struct lua_bridge_stats stats;
	struct pg_store_value v;
	char err[512];
	void *st;
	int i;

	(void)state;
	st = load(script("conc.lua", concurrent_lua), NULL, err, sizeof(err));
	assert_non_null(st);
	store_delete("concurrent-total", 16);
	for (i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].st = st;
		w[i].id = i;
		pthread_create(&t[i], NULL, worker, &w[i]);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		if (w[i].failures)
			fail_msg("thread %d: %d failures, last: %s", i,
			    w[i].failures, w[i].last);
	}
	assert_int_equal(store_get("concurrent-total", 16, &v), 0);
	assert_int_equal(v.i, NTHREADS * NSESSIONS);
	lua_bridge_stats(st, &stats);
	assert_true(stats.interps >= 1 && stats.interps <= NTHREADS);
	assert_int_equal(stats.idle, stats.interps);
	print_message("concurrent: %d threads x %d sessions, %zu interpreters"
	    " (%zu created)\n", NTHREADS, NSESSIONS, stats.interps,
	    stats.created);
	lua_bridge_plugin.fini(st);
}

static const char loop_lua[] =
    "local pg = require 'phasegate'\n"
    "pg.on('eom', function(tx)\n"
    "  if tx.session.client_addr == '203.0.113.66' then while true do end end\n"
    "  tx:score(1, 'FAST')\n"
    "end)\n";

struct slow {
	void		*st;
	enum pg_verdict	 v;
	struct pg_reply	 r;
};

static void *
slow_worker(void *arg)
{
	struct slow *s = arg;

	s->v = run_one(s->st, "203.0.113.66", NULL, 0, &s->r);
	return NULL;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
test_loop_does_not_block(void **state)
{
	struct slow s;
	pthread_t t;
	struct pg_reply r;
	char err[512], sym[64];
	double t0, fast;
	int i;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.st = load(script("loop.lua", loop_lua), "300", err, sizeof(err));
	assert_non_null(s.st);
	t0 = now_s();
	pthread_create(&t, NULL, slow_worker, &s);
	usleep(20000);
	for (i = 0; i < 50; i++) {
		assert_int_equal(run_one(s.st, "192.0.2.1", sym, sizeof(sym),
		    &r), PG_CONTINUE);
		assert_string_equal(sym, "FAST(1.0)");
	}
	fast = now_s() - t0;
	pthread_join(t, NULL);
	assert_int_equal(s.v, PG_ERROR);
	assert_non_null(strstr(s.r.text, "loop.lua:3: script timed out after"
	    " 300 ms"));
	assert_true(fast < 0.25);	/* the others ran while one looped */
	assert_true(now_s() - t0 >= 0.29);
	/* the interpreter that looped was replaced; the next call runs */
	assert_int_equal(run_one(s.st, "192.0.2.1", sym, sizeof(sym), &r),
	    PG_CONTINUE);
	lua_bridge_plugin.fini(s.st);
}

static const char gen_lua[] =
    "local pg = require 'phasegate'\n"
    "local calls = 0\n"
    "pg.on('connect', function(s) s.vars.gen = GEN end)\n"
    "pg.on('eom', function(tx)\n"
    "  calls = calls + 1\n"
    "  tx:score(calls, 'GEN' .. tx.session.vars.gen)\n"
    "end)\n";

static void
test_generations(void **state)
{
	char text[1024], err[512], phase[32];
	void *g1, *g2;
	struct pg_session *s1;
	struct pg_tx *tx1;
	struct pg_reply r;

	(void)state;
	snprintf(text, sizeof(text), "GEN = 1\n%s", gen_lua);
	g1 = load(script("gen.lua", text), NULL, err, sizeof(err));
	assert_non_null(g1);
	/* a session starts on generation 1 ... */
	s1 = th_session_new("192.0.2.7", NULL, NULL);
	assert_int_equal(lua_bridge_plugin.on_connect(g1, s1, &r), PG_CONTINUE);
	/* ... the script changes on disk and a reload loads generation 2 */
	snprintf(text, sizeof(text), "GEN = 2\n%s", gen_lua);
	g2 = load(script("gen.lua", text), NULL, err, sizeof(err));
	assert_non_null(g2);
	assert_int_equal(run_one(g2, "192.0.2.8", text, sizeof(text), &r),
	    PG_CONTINUE);
	assert_string_equal(text, "GEN2(1.0)");
	/* the old session finishes on generation 1 */
	tx1 = th_tx_new(s1, "a@example.org");
	th_tx_add_rcpt(tx1, "b@example.net");
	th_tx_message(tx1, msg, sizeof(msg) - 1);
	assert_int_equal(lua_bridge_plugin.on_eom(g1, tx1, &r), PG_CONTINUE);
	assert_string_equal(tx1->symbols, "GEN1(1.0)");
	lua_bridge_plugin.on_close(g1, s1);
	th_tx_free(tx1);
	th_session_free(s1);
	/* the old generation goes; the new one goes on */
	lua_bridge_plugin.fini(g1);
	assert_int_equal(run_one(g2, "192.0.2.8", text, sizeof(text), &r),
	    PG_CONTINUE);
	assert_string_equal(text, "GEN2(2.0)");
	(void)phase;
	lua_bridge_plugin.fini(g2);
}

static void
test_memory(void **state)
{
	char err[512], path[1024];
	struct lua_bridge_stats stats;
	struct pg_session *s;
	struct pg_reply r;
	const char *top = getenv("top_srcdir") ? getenv("top_srcdir") :
	    TOP_SRCDIR;
	void *st;
	size_t vars;

	(void)state;
	/* an idle interpreter of the bundled rules */
	snprintf(path, sizeof(path), "%s/examples/rules/rules.lua", top);
	if (access(path, R_OK) != 0)
		snprintf(path, sizeof(path), "%s", script("tiny.lua",
		    "local pg = require 'phasegate'\n"));
	st = load(path, NULL, err, sizeof(err));
	if (st == NULL)
		fail_msg("%s", err);
	run_one(st, "192.0.2.1", NULL, 0, &r);
	lua_bridge_stats(st, &stats);
	assert_true(stats.idle >= 1);
	print_message("idle interpreter (%s): %zu bytes of Lua heap\n", path,
	    stats.idle_bytes / stats.idle);
	assert_true(stats.idle_bytes / stats.idle < 4 * 1024 * 1024);
	lua_bridge_plugin.fini(st);

	/* an idle session: nothing until a script uses vars */
	st = load(script("vars.lua", "local pg = require 'phasegate'\n"
	    "pg.on('connect', function(s) s.vars.greeted = true;"
	    " s.vars.count = 1; s.vars.client = s.client_addr end)\n"),
	    NULL, err, sizeof(err));
	assert_non_null(st);
	s = th_session_new("192.0.2.1", NULL, NULL);
	assert_null(s->data);
	assert_int_equal(lua_bridge_plugin.on_connect(st, s, &r), PG_CONTINUE);
	assert_non_null(s->data);
	vars = lb_vars_bytes(s->data);
	print_message("idle session with 3 vars: %zu bytes (0 without vars)\n",
	    vars);
	assert_int_equal(lb_vars_count(s->data), 3);
	assert_true(vars < 1024);
	th_session_free(s);
	lua_bridge_plugin.fini(st);
}

/*
 * Deep C recursion (nested pcall, metamethods, gsub callbacks, coroutines)
 * on a thread with the proxy's 256 KiB stack ends in a Lua error, not a
 * crash of the process.
 */
static const char deep_lua[] =
    "local pg = require 'phasegate'\n"
    "local function p(n) return pcall(p, n + 1) end\n"
    "local function g(n) return (('x'):gsub('x', function() return g(n + 1) end)) end\n"
    "local function c(n) return coroutine.wrap(function() return c(n + 1) end)() end\n"
    "local mt = {} mt.__index = function(t, k) return setmetatable({}, mt)[k] end\n"
    "local ts = {} ts.__tostring = function(t) return string.format('%s', setmetatable({}, ts)) end\n"
    "local cc = {} cc.__index = function(t, k) return table.concat(setmetatable({}, cc), '', 1, 1) end\n"
    "local lg = {} lg.__tostring = function(t) pg.log.info('%s', setmetatable({}, lg)) return 'x' end\n"
    "pg.on('eom', function(tx)\n"
    "  local which = tx.session.client_addr\n"
    "  if which == '192.0.2.1' then p(1)\n"
    "  elseif which == '192.0.2.2' then g(1)\n"
    "  elseif which == '192.0.2.3' then c(1)\n"
    "  elseif which == '192.0.2.5' then local _ = tostring(setmetatable({}, ts))\n"
    "  elseif which == '192.0.2.6' then local _ = table.concat(setmetatable({}, cc), '', 1, 1)\n"
    "  elseif which == '192.0.2.7' then local _ = tostring(setmetatable({}, lg))\n"
    "  elseif which == '192.0.2.8' then local _ = require 'selfreq'\n"
    "  elseif which == '192.0.2.9' then assert(load('return ' .. ('('):rep(199) .. '1' .. (')'):rep(199)))\n"
    "  elseif which == '192.0.2.10' then assert(load('return ' .. ('{'):rep(199) .. ('}'):rep(199)))\n"
    "  elseif which == '192.0.2.11' then assert(load(('do '):rep(199) .. (' end'):rep(199)))\n"
    "  else local _ = setmetatable({}, mt).x end\n"
    "  error('not reached')\n"
    "end)\n";

#ifndef DEEP_STACK
#define DEEP_STACK	(256 * 1024)	/* the proxy's session threads */
#endif

struct deep {
	void		*st;
	const char	*addr;
	enum pg_verdict	 v;
	struct pg_reply	 r;
};

static void *
deep_worker(void *arg)
{
	struct deep *d = arg;

	d->v = run_one(d->st, d->addr, NULL, 0, &d->r);
	return NULL;
}

static void
test_deep_c_stack(void **state)
{
	static const char *addrs[] = { "192.0.2.1", "192.0.2.2", "192.0.2.3",
	    "192.0.2.4", "192.0.2.5", "192.0.2.6", "192.0.2.7", "192.0.2.8",
	    "192.0.2.9", "192.0.2.10", "192.0.2.11" };
	pthread_attr_t attr;
	pthread_t t;
	struct deep d;
	char err[512];
	size_t i;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.st = load_path(script("deep.lua", deep_lua), tmpdir, err, sizeof(err));
	assert_non_null(d.st);
	/* a module that requires itself before it returns */
	script("selfreq.lua", "local m = require 'selfreq'\nreturn m\n");
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, DEEP_STACK);
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		d.addr = addrs[i];
		assert_int_equal(pthread_create(&t, &attr, deep_worker, &d), 0);
		pthread_join(t, NULL);
		assert_int_equal(d.v, PG_ERROR);
		print_message("%s: %s\n", d.addr, d.r.text);
		assert_non_null(strstr(d.r.text, ".lua:"));
	}
	pthread_attr_destroy(&attr);
	lua_bridge_plugin.fini(d.st);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_lua_bridge.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_loop_does_not_block),
		cmocka_unit_test(test_generations),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_deep_c_stack),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
