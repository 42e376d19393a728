/*
 * lua_conf - evaluate the configuration chunk in a sandbox, return a C tree
 *
 * Public: lua_conf_eval(), lua_conf_free(), lua_conf_type_name().
 *
 * Trust: the text is the postmaster's, but it is code, so it runs in its
 * own lua_State with an environment of pure functions only (no io, os,
 * require, load, dofile, print, setmetatable, debug, pcall), text chunks
 * only, an instruction budget (a count hook raises "runs too long" with
 * the line) and a memory cap (the allocator refuses past the limit). The
 * state is closed before lua_conf_eval() returns; nothing of Lua survives
 * in the result.
 *
 * This file is the sandbox and the order of work: run the chunk; scan the
 * text for the lines of its keys (lua_conf_lines.c: Lua keeps none for
 * table constructors; each global assignment also goes through a
 * __newindex hook on the environment, which notes the current line);
 * convert the result into the tree (lua_conf_tree.c).
 *
 * Ownership: the tree is pg_malloc'd, one block per node array and string;
 * lua_conf_free() releases it. Errors: NULL and a message in err, in the
 * form "name:line: reason", or Lua's own message with the chunk name
 * replaced by name. The process running out of memory is "name: out of
 * memory" (the cap: "configuration uses too much memory"), never an exit:
 * every allocation, Lua's included, goes through pg_*() (xmalloc.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "lua_conf.h"
#include "lua_conf_lines.h"
#include "lua_conf_tree.h"
#include "xmalloc.h"

#define CHUNKNAME	"pgconf"	/* replaced by the file name in messages */
#define HOOK_EVERY	1000		/* instructions between hook calls */
#define MIB		(1024 * 1024)

/* The limits of one evaluation, reached through the state's allocator. */
struct ctx {
	size_t		 mem_used;
	size_t		 mem_max;
	int		 mem_hit;	/* the cap refused an allocation */
	unsigned long	 insns;
	unsigned long	 insns_max;
};

/* ---------------------------------------------------------------- */
/* The sandbox.                                                      */

/*
 * l_alloc - the allocator, with a cap. Growth goes through pg_realloc(),
 * so the process running out of memory (or a test's injected failure) is
 * Lua's LUA_ERRMEM, told apart from the cap by mem_hit; shrinking and
 * freeing never fail.
 */
static void *
l_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct ctx *c = ud;
	void *np;

	if (ptr == NULL)
		osize = 0;
	if (nsize == 0) {
		free(ptr);
		c->mem_used -= osize;
		return NULL;
	}
	if (nsize > osize && c->mem_used + (nsize - osize) > c->mem_max) {
		c->mem_hit = 1;
		return NULL;
	}
	np = nsize > osize ? pg_realloc(ptr, nsize) : realloc(ptr, nsize);
	if (np == NULL)
		return NULL;
	c->mem_used = c->mem_used - osize + nsize;
	return np;
}

/* ctx_of - the context stored in the state's allocator */
static struct ctx *
ctx_of(lua_State *L)
{
	void *ud;

	lua_getallocf(L, &ud);
	return ud;
}

/* l_hook - the instruction budget */
static void
l_hook(lua_State *L, lua_Debug *ar)
{
	struct ctx *c = ctx_of(L);

	c->insns += HOOK_EVERY;
	if (c->insns > c->insns_max) {
		lua_getinfo(L, "Sl", ar);
		lua_pushfstring(L, "%s:%d: configuration runs too long "
		    "(more than %d million instructions)", CHUNKNAME,
		    ar->currentline, (int)(c->insns_max / 1000000));
		lua_error(L);
	}
}

/*
 * l_newindex - the environment's __newindex: note the line, then store.
 * The environment itself stays empty so that every assignment, not only
 * the first of a name, comes through here.
 */
static int
l_newindex(lua_State *L)
{
	lua_Debug ar;
	int line = 0;

	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar))
		line = ar.currentline;
	lua_pushvalue(L, 2);
	lua_pushinteger(L, line);
	lua_rawset(L, lua_upvalueindex(1));
	lua_settop(L, 3);
	lua_rawset(L, lua_upvalueindex(2));
	return 0;
}

/*
 * open_sandbox - returns lines (global name -> line of its last assignment),
 * store (the globals the file set) and env (the chunk's _ENV: empty; reads
 * go to store, then to the library; writes go through l_newindex)
 */
static int
open_sandbox(lua_State *L)
{
	static const char *base[] = { "assert", "error", "ipairs", "next",
	    "pairs", "rawequal", "rawget", "rawlen", "select", "tonumber",
	    "tostring", "type", NULL };
	int i, lib;

	luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
	lua_pop(L, 1);
	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
	lua_pop(L, 1);
	luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
	lua_pop(L, 1);
	luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
	lua_pop(L, 1);

	/* lib: what the file may read */
	lua_newtable(L);
	lib = lua_gettop(L);
	lua_pushglobaltable(L);
	for (i = 0; base[i] != NULL; i++) {
		lua_getfield(L, -1, base[i]);
		lua_setfield(L, lib, base[i]);
	}
	lua_getfield(L, -1, LUA_STRLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_setfield(L, lib, LUA_STRLIBNAME);
	lua_getfield(L, -1, LUA_TABLIBNAME);
	lua_setfield(L, lib, LUA_TABLIBNAME);
	lua_getfield(L, -1, LUA_MATHLIBNAME);
	lua_setfield(L, lib, LUA_MATHLIBNAME);
	lua_pop(L, 1);

	lua_newtable(L);			/* lines */
	lua_newtable(L);			/* store */
	lua_newtable(L);			/* store's metatable */
	lua_pushvalue(L, lib);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	lua_newtable(L);			/* env */
	lua_newtable(L);			/* env's metatable */
	lua_pushvalue(L, -3);
	lua_setfield(L, -2, "__index");
	lua_pushvalue(L, -4);
	lua_pushvalue(L, -4);
	lua_pushcclosure(L, l_newindex, 2);
	lua_setfield(L, -2, "__newindex");
	lua_pushliteral(L, "sandbox");
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	lua_remove(L, lib);			/* lines store env */
	return 3;
}

/* ---------------------------------------------------------------- */
/* The tree.                                                         */

/* node_free - free what a node owns */
static void
node_free(struct lua_conf_node *n)
{
	size_t i;

	for (i = 0; i < n->nkids; i++)
		node_free(&n->kids[i]);
	free(n->kids);
	free(n->key);
	free(n->str);
}

void
lua_conf_free(struct lua_conf_node *n)
{
	if (n == NULL)
		return;
	node_free(n);
	free(n);
}

const char *
lua_conf_type_name(const struct lua_conf_node *n)
{
	switch (n->type) {
	case LUA_CONF_STRING:	return "string";
	case LUA_CONF_NUMBER:	return "number";
	case LUA_CONF_BOOLEAN:	return "boolean";
	case LUA_CONF_TABLE:	return "table";
	default:		return n->str != NULL ? n->str : "value";
	}
}

/* set_err - copy a Lua message into err with the chunk name replaced */
static void
set_err(char *err, size_t errlen, const char *name, const char *msg)
{
	size_t cl = strlen(CHUNKNAME);

	if (errlen == 0)
		return;
	if (strncmp(msg, CHUNKNAME, cl) == 0 && msg[cl] == ':')
		snprintf(err, errlen, "%s%s", name, msg + cl);
	else
		snprintf(err, errlen, "%s: %s", name, msg);
}

/* ---------------------------------------------------------------- */
/* Running the chunk.                                                */

/* sandbox_new - a state with the sandbox on its stack (lines store env) */
static lua_State *
sandbox_new(struct ctx *c, const char *name, char *err, size_t errlen)
{
	lua_State *L;
	int rc;

	/* lua_newstate() fails only when an allocation does */
	if ((L = lua_newstate(l_alloc, c)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	lua_pushcfunction(L, open_sandbox);
	if ((rc = lua_pcall(L, 0, 3, 0)) != LUA_OK) {
		set_err(err, errlen, name, rc == LUA_ERRMEM ||
		    lua_type(L, -1) != LUA_TSTRING ? "out of memory" :
		    lua_tostring(L, -1));
		lua_close(L);
		return NULL;
	}
	return L;
}

/* chunk_error - why loading or running the chunk failed (rc), into err */
static void
chunk_error(lua_State *L, const struct ctx *c, int rc, const char *name,
    char *err, size_t errlen)
{
	if (rc == LUA_ERRMEM && c->mem_hit && c->mem_max % MIB == 0)
		snprintf(err, errlen, "%s: configuration uses too much memory "
		    "(more than %zu MiB)", name, c->mem_max / MIB);
	else if (rc == LUA_ERRMEM && c->mem_hit)
		snprintf(err, errlen, "%s: configuration uses too much memory "
		    "(more than %zu bytes)", name, c->mem_max);
	else if (rc == LUA_ERRMEM)
		snprintf(err, errlen, "%s: out of memory", name);
	else if (lua_type(L, -1) == LUA_TSTRING)
		set_err(err, errlen, name, lua_tostring(L, -1));
	else
		snprintf(err, errlen, "%s: error object is a %s value", name,
		    luaL_typename(L, -1));
}

/*
 * run_chunk - load text as a chunk with the sandbox's env as _ENV and run
 * it under the instruction budget; leaves lines store result, or -1 with
 * the reason in err
 */
static int
run_chunk(lua_State *L, struct ctx *c, const char *name, const char *text,
    size_t len, char *err, size_t errlen)
{
	char *copy = NULL;
	int rc;

	if (len > 0 && text[0] == '#') {
		/* a "#!" first line, as luaL_loadfile() allows: make it a
		 * comment of the same length so that lines stay where they are */
		if ((copy = pg_malloc(len)) == NULL) {
			snprintf(err, errlen, "%s: out of memory", name);
			return -1;
		}
		memcpy(copy, text, len);
		if (len > 1 && copy[1] != '\n' && copy[1] != '\r')
			copy[0] = copy[1] = '-';
		else
			copy[0] = ' ';
	}
	rc = luaL_loadbufferx(L, copy != NULL ? copy : text, len,
	    "=" CHUNKNAME, "t");
	free(copy);		/* the loaded chunk keeps nothing of the text */
	if (rc == LUA_OK) {
		lua_pushvalue(L, 3);
		lua_setupvalue(L, -2, 1);		/* _ENV */
		lua_sethook(L, l_hook, LUA_MASKCOUNT, HOOK_EVERY);
		rc = lua_pcall(L, 0, 1, 0);
		lua_sethook(L, NULL, 0, 0);
	}
	if (rc != LUA_OK) {
		chunk_error(L, c, rc, name, err, errlen);
		return -1;
	}
	lua_remove(L, 3);		/* lines store result */
	return 0;
}

struct lua_conf_node *
lua_conf_eval(const char *name, const char *text, size_t len,
    const struct lua_conf_limits *limits, char *err, size_t errlen)
{
	struct lua_conf_lines *lines = NULL;
	struct lua_conf_node *root = NULL;
	struct ctx c;
	lua_State *L;

	memset(&c, 0, sizeof(c));
	c.mem_max = limits != NULL && limits->memory_max ? limits->memory_max :
	    32u * MIB;
	c.insns_max = limits != NULL && limits->instructions_max ?
	    limits->instructions_max : 20000000ul;
	if (errlen > 0)
		err[0] = '\0';
	if ((L = sandbox_new(&c, name, err, errlen)) == NULL)
		return NULL;
	if (run_chunk(L, &c, name, text, len, err, errlen) == -1)
		goto out;
	/* convert with room to spare: the file's limits are over */
	c.mem_max = (size_t)-1;
	if ((lines = lua_conf_lines_scan(text, len)) == NULL ||
	    (root = pg_calloc(1, sizeof(*root))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto out;
	}
	if (lua_conf_tree_build(L, lines, name, root, err, errlen) == -1) {
		lua_conf_free(root);
		root = NULL;
	}
out:
	lua_conf_lines_free(lines);
	lua_close(L);
	return root;
}
