/*
 * test_lua_strpat - the bridge's string.find/match/gmatch/gsub give what
 * Lua 5.4's own give, over a table of patterns and subjects (results and
 * error messages compared in a plain interpreter); and a pattern that
 * backtracks for minutes is stopped at the script timeout.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <lualib.h>

#include "lua_int.h"
#include "lua_bridge.h"
#include "test_lua_host.h"

static const char compare_lua[] =
    "local mine = ...\n"
    "local function ser(ok, ...)\n"
    "  local t = { tostring(ok) }\n"
    "  for i = 1, select('#', ...) do\n"
    "    local v = select(i, ...)\n"
    "    if type(v) == 'string' and not ok then v = v:gsub('^[^:]*:%d+: ', ''):gsub(\"to '[^']*'\", 'to F') end\n"
    "    t[#t + 1] = type(v) .. ':' .. tostring(v)\n"
    "  end\n"
    "  return table.concat(t, '|')\n"
    "end\n"
    "local function all(f, s, p, init)\n"
    "  local out = {}\n"
    "  for a, b, c in f(s, p, init) do out[#out + 1] = tostring(a) .. ',' .. tostring(b) .. ',' .. tostring(c) end\n"
    "  return table.concat(out, ';')\n"
    "end\n"
    "local subjects = { '', 'hello world', 'aaa', 'key = value; k2=v2',\n"
    "  'THE (quick) [brown] fox', '  trim me  ', 'a.b.c', 'x\\0y\\0z', 'f(a(b)c)d',\n"
    "  'THE (quick) fox', '2026-11-23 10:00', 'alice@example.org', 'a,b,,c', 'éà' }\n"
    "local patterns = { '', 'o', 'l+', 'l*', 'l-', 'l?o', '^h', 'd$', '^$', '.-',\n"
    "  '(%w+)', '(%w+)%s*=%s*(%w+)', '%a+', '%A+', '%d+', '%D', '%s', '%S+', '%p',\n"
    "  '%u%l*', '[%w_]+', '[^%s]+', '[a-c]+', '[]]', '[^]]+', '%(.-%)', '%b()', '%b[]',\n"
    "  '%f[%w]%w+', '%f[%W]', '()', '()o()', '(a)(b)?', '(h)(.-)(o)', '^%s*(.-)%s*$',\n"
    "  '%.', 'a.', '[%a%d]+', '(%d+)-(%d+)-(%d+)', '([^@]+)@(.+)', '%x+', '%c', '%g+',\n"
    "  '(l)%1', '(.)%1', '[a-]', '[-a]', 'x%z?', '%', '[a', '(()', '%1', 'a)', '%b',\n"
    "  '%f', '%fx', '(%w+)(%w+)(%w+)(%w+)', ',,', '[,]+', '^(%w+)' }\n"
    "local bad = {}\n"
    "local function check(what, a, b)\n"
    "  if a ~= b then bad[#bad + 1] = what .. '\\n  lua:  ' .. a .. '\\n  mine: ' .. b end\n"
    "end\n"
    "for _, s in ipairs(subjects) do\n"
    "  for _, p in ipairs(patterns) do\n"
    "    local q = string.format('%q %q', s, p)\n"
    "    for _, init in ipairs({ 1, 2, -3, 0, 100 }) do\n"
    "      check('find ' .. q .. ' ' .. init, ser(pcall(string.find, s, p, init)), ser(pcall(mine.find, s, p, init)))\n"
    "      check('plain ' .. q .. ' ' .. init, ser(pcall(string.find, s, p, init, true)), ser(pcall(mine.find, s, p, init, true)))\n"
    "      check('match ' .. q .. ' ' .. init, ser(pcall(string.match, s, p, init)), ser(pcall(mine.match, s, p, init)))\n"
    "      check('gmatch ' .. q .. ' ' .. init, ser(pcall(all, string.gmatch, s, p, init)), ser(pcall(all, mine.gmatch, s, p, init)))\n"
    "    end\n"
    "    for _, r in ipairs({ '<%0>', '%1', '%%', 'x', '%2-%1', 7 }) do\n"
    "      check('gsub ' .. q .. ' ' .. r, ser(pcall(string.gsub, s, p, r)), ser(pcall(mine.gsub, s, p, r)))\n"
    "      check('gsub1 ' .. q .. ' ' .. r, ser(pcall(string.gsub, s, p, r, 1)), ser(pcall(mine.gsub, s, p, r, 1)))\n"
    "    end\n"
    "    local t = { hello = 'HI', o = false, a = 1 }\n"
    "    check('gsubt ' .. q, ser(pcall(string.gsub, s, p, t)), ser(pcall(mine.gsub, s, p, t)))\n"
    "    local f = function(a, b) if a == 'l' then return nil end return '[' .. tostring(a) .. tostring(b) .. ']' end\n"
    "    check('gsubf ' .. q, ser(pcall(string.gsub, s, p, f)), ser(pcall(mine.gsub, s, p, f)))\n"
    "    check('gsubbad ' .. q, ser(pcall(string.gsub, s, p, function() return {} end)), ser(pcall(mine.gsub, s, p, function() return {} end)))\n"
    "  end\n"
    "end\n"
    "check('gsub no repl', ser(pcall(string.gsub, 'a', 'a')), ser(pcall(mine.gsub, 'a', 'a')))\n"
    "check('bad %', ser(pcall(string.gsub, 'a', 'a', '%x')), ser(pcall(mine.gsub, 'a', 'a', '%x')))\n"
    "return table.concat(bad, '\\n'), #subjects * #patterns\n";

static void
test_same_as_lua(void **state)
{
	lua_State *L = luaL_newstate();
	const char *bad;

	(void)state;
	*(void **)lua_getextraspace(L) = NULL;	/* no interpreter: no deadline */
	luaL_openlibs(L);
	assert_int_equal(luaL_loadstring(L, compare_lua), LUA_OK);
	lua_newtable(L);
	lb_strpat_open(L, -1);
	if (lua_pcall(L, 1, 2, 0) != LUA_OK)
		fail_msg("%s", lua_tostring(L, -1));
	bad = lua_tostring(L, -2);
	if (bad[0] != '\0') {
		char head[4096];

		snprintf(head, sizeof(head), "%s", bad);
		fail_msg("differences:\n%s", head);
	}
	print_message("%lld subject x pattern pairs agree\n",
	    (long long)lua_tointeger(L, -1));
	lua_close(L);
}

static void
test_runaway_pattern_times_out(void **state)
{
	char path[] = "/tmp/test_lua_strpat.XXXXXX", err[512];
	const char *kv[] = { "script", path, "timeout_ms", "100", NULL };
	struct pg_options *o;
	struct pg_session *s;
	struct pg_tx *tx;
	struct pg_reply r;
	struct timespec t0, t1;
	void *st = NULL;
	FILE *fp;
	int fd, i;
	static const char *const bombs[] = {
		"local _ = body:find('(.-)x(.-)y')",
		"local _ = body:match('a-a-a-a-x')",
		"for _ in body:gmatch('(.-)x(.-)y') do end",
		"local _ = body:gsub('(.*)(.*)x', '')",
	};

	(void)state;
	for (i = 0; i < 4; i++) {
		assert_true((fd = mkstemp(path)) >= 0);
		fp = fdopen(fd, "w");
		fprintf(fp, "local pg = require 'phasegate'\n"
		    "pg.on('eom', function(tx)\n"
		    "  local body = ('a'):rep(65536)\n"
		    "  %s\n"
		    "end)\n", bombs[i]);
		fclose(fp);
		o = th_options(kv);	/* kv holds path, as mkstemp filled it in */
		fd = lua_bridge_plugin.init(&th_host, o, &st, err, sizeof(err));
		th_options_free(o);
		unlink(path);
		memcpy(path + strlen(path) - 6, "XXXXXX", 6);
		if (fd != 0)
			fail_msg("%s", err);
		s = th_session_new(NULL, NULL, NULL);
		tx = th_tx_new(s, "a@example.org");
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(lua_bridge_plugin.on_eom(st, tx, &r), PG_ERROR);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		print_message("%s: %s\n", bombs[i], r.text);
		assert_non_null(strstr(r.text, ":4: script timed out after 100"
		    " ms"));
		assert_true((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000 < 1000);
		th_tx_free(tx);
		th_session_free(s);
		lua_bridge_plugin.fini(st);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_lua),
		cmocka_unit_test(test_runaway_pattern_times_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
