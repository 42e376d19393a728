/*
 * test_reload - the whole configuration load path under the allocation
 * failure injector: config_load() and chain_load() of a realistic
 * configuration (milter and two SMTP listeners, a Lua script, the regex
 * plugin with a rules file, the test plugin with options, actions,
 * timeouts, spool, lua settings) with the n-th pg_*() allocation failing,
 * for n = 1, 2, 3, ... until a load makes fewer than n allocations.
 *
 * Every attempt must either fail with "out of memory" in the error or
 * succeed with the right result; never crash, exit or leak (the sanitizer
 * build checks the leaks). This is what a SIGHUP reload runs in the
 * daemon: a failure there keeps the running generation (serve.c).
 *
 * Not counted: memory that dlopen() takes, and what plugins allocate for
 * themselves with malloc() (the Lua bridge's interpreters, the regex
 * plugin's rules), since a plugin is built against plugin.h alone. The
 * configuration sandbox's Lua state is counted: it allocates through
 * pg_realloc(). Lua answers a failed allocation with an emergency
 * collection and a second try, so some injected failures in there are
 * absorbed and the load succeeds: those results are checked like any
 * other success.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "chain.h"
#include "config.h"
#include "log.h"
#include "lua_bridge.h"
#include "plugin_load.h"
#include "xmalloc.h"

#define ATTEMPTS_MAX	100000		/* far more allocations than a load makes */

static char tmpdir[64];
static char conf[256];
static char plugin[1024];

/* write_file - dir/name with text; fails the test when it cannot */
static void
write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) != 0)
		fail_msg("cannot write %s", path);
}

/* setup - the configuration, its script and its rules in a new directory */
static int
setup(void **unused)
{
	char text[4096], dir[256];

	(void)unused;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_reload.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/lib", tmpdir);
	if (mkdir(dir, 0700) == -1)
		return -1;
	write_file("rules.lua",
	    "local pg = require \"phasegate\"\n"
	    "local bad = { [\"spam@example.com\"] = true }\n"
	    "pg.on(\"mail\", function(tx, sender)\n"
	    "  if bad[sender] then return pg.reject(\"550 5.7.1 no\") end\n"
	    "end)\n"
	    "pg.on(\"eom\", function(tx) tx:score(0.5, \"LUA_SEEN\") end)\n");
	write_file("site.rules",
	    "helo /^localhost$/i REJECT 550 5.7.1 not you\n"
	    "header Subject /viagra/i SCORE 5 SUBJ_DRUGS\n"
	    "body /unsubscribe/i SCORE 0.5 BODY_UNSUB\n");
	snprintf(text, sizeof(text),
	    "#!/usr/sbin/phasegate configtest -c\n"
	    "-- a configuration with every section\n"
	    "milter = { listen = \"inet:8891@127.0.0.1\" }\n"
	    "smtp = {\n"
	    "  { listen = \"127.0.0.1:10025\", upstream = \"127.0.0.1:10026\",\n"
	    "    xclient = true, max_message_size = \"20M\" },\n"
	    "  { listen = \"[::1]:10025\", upstream = \"127.0.0.1:10026\" },\n"
	    "}\n"
	    "smtp[2].max_recipients = 50\n"
	    "filters = {\n"
	    "  { script = \"rules.lua\", on_error = \"accept\" },\n"
	    "  { plugin = \"regex\", rules = \"site.rules\" },\n"
	    "  { plugin = \"%s\", helo = \"continue\", rcpt = \"reject 550 5.1.1 no\",\n"
	    "    match = \"nobody\", score = \"1 TEST\", add_header = \"X-T: 1\" },\n"
	    "}\n"
	    "local t = { add_header = 5.0 }\n"
	    "t.reject = 15\n"
	    "actions = t\n"
	    "on_error = \"tempfail\"\n"
	    "timeouts = { command = \"5m\", data = \"10m\", script = \"500ms\" }\n"
	    "spool = { memory_max = \"2M\", dir = \"spool\" }\n"
	    "lua = { memory_max = \"16M\", path = \"lib;;\" }\n",
	    plugin);
	write_file("pg.conf", text);
	snprintf(conf, sizeof(conf), "%s/pg.conf", tmpdir);
	return 0;
}

static int
teardown(void **unused)
{
	char cmd[128];

	(void)unused;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* check_loaded - a load that succeeded got everything right */
static void
check_loaded(const struct chain *c)
{
	const struct config *cfg = chain_config(c);
	char want[512];

	assert_string_equal(cfg->milter_listen, "inet:8891@127.0.0.1");
	assert_int_equal(cfg->nsmtp, 2);
	assert_string_equal(cfg->smtp[1].listen, "[::1]:10025");
	assert_int_equal(cfg->smtp[1].max_recipients, 50);
	assert_int_equal(cfg->smtp[0].max_message_size, 20 * 1024 * 1024);
	assert_int_equal(cfg->nfilters, 3);
	assert_int_equal(cfg->filters[2].nopts, 5);
	assert_string_equal(cfg->filters[2].opts[4].key, "add_header");
	assert_true(cfg->act_reject == 15.0 && cfg->act_add_header == 5.0);
	assert_int_equal(cfg->timeout_script_ms, 500);
	assert_int_equal(cfg->filters[0].on_error, PG_ACCEPT);
	assert_int_equal(cfg->filters[1].on_error, PG_TEMPFAIL);
	snprintf(want, sizeof(want), "%s/spool", cfg->dir);
	assert_string_equal(cfg->spool_dir, want);
	snprintf(want, sizeof(want), "%s/lib;;", cfg->dir);
	assert_string_equal(cfg->lua_path, want);
	assert_int_equal(chain_filter_count(c), 3);
	assert_string_equal(chain_filter_name(c, 0), "rules.lua");
	assert_string_equal(chain_filter_name(c, 1), "regex");
	assert_true(chain_wants(c, CHAIN_MAIL) && chain_wants(c, CHAIN_RCPT) &&
	    chain_wants_body(c));
}

/* load - config_load() and chain_load() as serve's reload does */
static struct chain *
load(const char *file, char *err, size_t errlen)
{
	struct config *cfg;
	struct chain *c;

	if ((cfg = config_load(file, err, errlen)) == NULL)
		return NULL;
	if ((c = chain_load(cfg, err, errlen)) == NULL)
		config_free(cfg);
	return c;
}

/* test_loads - the configuration is valid as written */
static void
test_loads(void **unused)
{
	char err[2048] = "";
	struct chain *c;

	(void)unused;
	if ((c = load(conf, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	check_loaded(c);
	chain_unref(c);
}

/* test_out_of_memory - the n-th allocation fails, for every n */
static void
test_out_of_memory(void **unused)
{
	unsigned long n, failed = 0, absorbed = 0, pending = 0;
	char err[2048];
	struct chain *c;

	(void)unused;
	for (n = 1; n < ATTEMPTS_MAX; n++) {
		err[0] = '\0';
		pg_alloc_fail_after(n);
		c = load(conf, err, sizeof(err));
		pending = pg_alloc_fail_pending();
		pg_alloc_fail_after(0);
		if (c == NULL) {
			if (strstr(err, "out of memory") == NULL)
				fail_msg("allocation %lu failed: \"%s\" does not "
				    "say out of memory", n, err);
			failed++;
			continue;
		}
		check_loaded(c);
		chain_unref(c);
		if (pending != 0)
			break;		/* the load made fewer than n allocations */
		absorbed++;
	}
	print_message("%lu allocations: %lu failed the load, %lu absorbed "
	    "(Lua's emergency collection)\n", n - 1, failed, absorbed);
	assert_true(n < ATTEMPTS_MAX);
	assert_true(failed > 100);	/* the load path is really covered */
}

/*
 * test_lines_out_of_memory - the line scanner's shapes (globals, paths
 * "a.b = v", "return { ... }", "local t ... return t") under the injector:
 * a configuration with an error either says out of memory or gives the
 * exact error with its line, never a wrong line.
 */
static void
test_lines_out_of_memory(void **unused)
{
	static const struct {
		const char	*text;
		const char	*err;
	} rows[] = {
		{ "smtp = { { listen = '127.0.0.1:25', upstream = '127.0.0.1:26' } }\n"
		  "smtp[1].upstream = '127.0.0.1:27'\n"
		  "smtp[1].listn = 'x'\n",
		  "t.conf:3: unknown key 'listn' in smtp[1]" },
		{ "return {\n  timeouts = {\n    command = '5m',\n    dta = '1m',\n"
		  "  },\n}\n",
		  "t.conf:4: unknown key 'dta' in timeouts" },
		{ "local t = { spool = { dir = '/tmp' } }\n"
		  "t.spool.memory_max = '1M'\n"
		  "t.spool.colour = 'blue'\n"
		  "return t\n",
		  "t.conf:3: unknown key 'colour' in spool" },
	};
	unsigned long n, pending;
	char err[1024];
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (n = 1; n < ATTEMPTS_MAX; n++) {
			err[0] = '\0';
			pg_alloc_fail_after(n);
			assert_null(config_load_string("t.conf", rows[i].text,
			    err, sizeof(err)));
			pending = pg_alloc_fail_pending();
			pg_alloc_fail_after(0);
			if (strcmp(err, rows[i].err) != 0 &&
			    strcmp(err, "t.conf: out of memory") != 0)
				fail_msg("row %zu, allocation %lu: \"%s\"", i, n,
				    err);
			if (pending != 0)
				break;
		}
		assert_string_equal(err, rows[i].err);
		assert_true(n > 20 && n < ATTEMPTS_MAX);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_lines_out_of_memory),
	};
	const char *b = getenv("top_builddir");

	log_init(LOG_TARGET_STDERR, -1);
	snprintf(plugin, sizeof(plugin), "%s/tests/plugins/.libs/pg_test_all.so",
	    b ? b : ".");
	plugin_builtin_add("lua", &lua_bridge_plugin);
	return cmocka_run_group_tests(tests, setup, teardown);
}
