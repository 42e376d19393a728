/*
 * test_lua_docs - docs/lua-api.md documents exactly what the bridge
 * registers: every "### `name...`" heading must name a registered function
 * or field, and every registered one must have its heading. The C name
 * lists are checked against a live interpreter too (pairs over pg, pg.log,
 * pg.store, and every session/tx field read without error).
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

#include "lua_int.h"
#include "lua_bridge.h"
#include "store.h"
#include "test_lua_host.h"

#define MAXN	256

struct names {
	char	*v[MAXN];
	size_t	 n;
};

static void
add(struct names *s, const char *prefix, const char *name)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s%s", prefix, name);
	assert_true(s->n < MAXN);
	s->v[s->n++] = strdup(buf);
}

static int
has(const struct names *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return 1;
	return 0;
}

static void
add_regs(struct names *s, const char *prefix, const luaL_Reg *r)
{
	for (; r->name; r++)
		add(s, prefix, r->name);
}

static void
add_fields(struct names *s, const char *prefix, const char *const *f)
{
	for (; *f; f++)
		add(s, prefix, *f);
}

/* code_names - what the bridge registers, from its tables */
static void
code_names(struct names *s)
{
	add_regs(s, "pg.", lb_pg_funcs);
	add_fields(s, "pg.", lb_pg_fields);
	add_regs(s, "pg.log.", lb_log_funcs);
	add_regs(s, "pg.store.", lb_store_funcs);
	add_regs(s, "pg.dns.", lb_dns_funcs);
	add_fields(s, "session.", lb_session_fields);
	add_regs(s, "session:", lb_session_methods);
	add_fields(s, "tx.", lb_tx_fields);
	add_regs(s, "tx:", lb_tx_methods);
	add_fields(s, "part.", lb_part_fields);
	add_regs(s, "part:", lb_part_methods);
	add_regs(s, "re:", lb_regex_methods);
	add_regs(s, "set:", lb_regex_set_methods);
	add_regs(s, "m:", lb_map_methods);
}

/* doc_names - the "### `name" headings of docs/lua-api.md */
static void
doc_names(struct names *s, const char *path)
{
	char *text = th_read_file(path, NULL), *line, *save = NULL;

	if (text == NULL)
		fail_msg("cannot read %s", path);
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		char *p, *e;

		if (strncmp(line, "### `", 5) != 0)
			continue;
		p = line + 5;
		e = p + strcspn(p, "(` ");
		*e = '\0';
		add(s, "", p);
	}
	free(text);
}

static void
test_docs_match_code(void **state)
{
	struct names code = { .n = 0 }, docs = { .n = 0 };
	const char *top = getenv("top_srcdir") ? getenv("top_srcdir") :
	    TOP_SRCDIR;
	char path[1024];
	size_t i;
	int bad = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/docs/lua-api.md", top);
	code_names(&code);
	doc_names(&docs, path);
	for (i = 0; i < code.n; i++)
		if (!has(&docs, code.v[i])) {
			print_error("registered but not documented: %s\n",
			    code.v[i]);
			bad = 1;
		}
	for (i = 0; i < docs.n; i++)
		if (!has(&code, docs.v[i])) {
			print_error("documented but not registered: %s\n",
			    docs.v[i]);
			bad = 1;
		}
	assert_int_equal(bad, 0);
	assert_true(code.n > 40);
	for (i = 0; i < code.n; i++)
		free(code.v[i]);
	for (i = 0; i < docs.n; i++)
		free(docs.v[i]);
}

/* The live check: the interpreter's tables hold exactly the listed names. */
static const char live_lua[] =
    "local pg = require 'phasegate'\n"
    "local function keys(t, prefix, out)\n"
    "  for k, v in pairs(t) do\n"
    "    if type(v) ~= 'table' then out[#out + 1] = prefix .. k end\n"
    "  end\n"
    "end\n"
    "local out = {}\n"
    "keys(pg, 'pg.', out) keys(pg.log, 'pg.log.', out) keys(pg.store, 'pg.store.', out)\n"
    "keys(pg.dns, 'pg.dns.', out)\n"
    "table.sort(out)\n"
    "pg.store.set('docs:live', table.concat(out, ' '))\n"
    "FIELDS = {}\n"
    "pg.on('connect', function(s)\n"
    "  for _, f in ipairs(SESSION_FIELDS) do local _ = s[f] end\n"
    "end)\n"
    "pg.on('eom', function(tx)\n"
    "  for _, f in ipairs(TX_FIELDS) do local _ = tx[f] end\n"
    "  for _, f in ipairs(TX_METHODS) do assert(type(tx[f]) == 'function', f) end\n"
    "  assert(type(tx.session.macro) == 'function')\n"
    "  local re = pg.regex('x')\n"
    "  for _, f in ipairs(RE_METHODS) do assert(type(re[f]) == 'function', f) end\n"
    "end)\n";

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
lua_list(FILE *fp, const char *var, const char *const *f, const luaL_Reg *r)
{
	fprintf(fp, "%s = {", var);
	for (; f && *f; f++)
		fprintf(fp, "'%s',", *f);
	for (; r && r->name; r++)
		fprintf(fp, "'%s',", r->name);
	fprintf(fp, "}\n");
}

static void
test_live_names(void **state)
{
	char path[] = "/tmp/test_lua_docs.XXXXXX", err[512], want[2048] = "";
	const char *kv[] = { "script", path, NULL };
	struct names code = { .n = 0 };
	struct pg_options *o;
	struct pg_store_value v;
	struct pg_session *s;
	struct pg_tx *tx;
	struct pg_reply r;
	void *st = NULL;
	size_t i;
	FILE *fp;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	fp = fdopen(fd, "w");
	lua_list(fp, "SESSION_FIELDS", lb_session_fields, NULL);
	lua_list(fp, "TX_FIELDS", lb_tx_fields, NULL);
	lua_list(fp, "TX_METHODS", NULL, lb_tx_methods);
	lua_list(fp, "RE_METHODS", NULL, lb_regex_methods);
	fputs(live_lua, fp);
	fclose(fp);
	o = th_options(kv);
	if (lua_bridge_plugin.init(&th_host, o, &st, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	th_options_free(o);
	unlink(path);

	/* pg, pg.log, pg.store, pg.dns as the interpreter has them */
	add_regs(&code, "pg.", lb_pg_funcs);
	add_fields(&code, "pg.", lb_pg_fields);
	add_regs(&code, "pg.log.", lb_log_funcs);
	add_regs(&code, "pg.store.", lb_store_funcs);
	add_regs(&code, "pg.dns.", lb_dns_funcs);
	qsort(code.v, code.n, sizeof(code.v[0]), cmp);
	for (i = 0; i < code.n; i++) {
		if (i)
			strcat(want, " ");
		strcat(want, code.v[i]);
		free(code.v[i]);
	}
	assert_int_equal(store_get("docs:live", 9, &v), 0);
	assert_int_equal(v.type, PG_STORE_STR);
	assert_string_equal(v.s, want);
	free(v.s);

	/* every listed field and method exists on real objects */
	s = th_session_new(NULL, NULL, NULL);
	tx = th_tx_new(s, "a@example.org");
	th_tx_message(tx, "Subject: x\r\n\r\nbody\r\n", 21);
	assert_int_equal(lua_bridge_plugin.on_connect(st, s, &r), PG_CONTINUE);
	if (lua_bridge_plugin.on_eom(st, tx, &r) != PG_CONTINUE)
		fail_msg("%s", r.text);
	th_tx_free(tx);
	th_session_free(s);
	lua_bridge_plugin.fini(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docs_match_code),
		cmocka_unit_test(test_live_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
