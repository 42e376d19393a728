/*
 * lua_conf - evaluate the configuration chunk in a sandbox, return a C tree
 *
 * Public: lua_conf_eval(), lua_conf_free(), lua_conf_type_name().
 *
 * Trust: the text is the postmaster's, but it is code, so it runs in its
 * own lua_State with an environment of pure functions only (no io, os,
 * require, load, dofile, print, setmetatable, debug), text chunks only,
 * an instruction budget (a count hook raises "runs too long" with the
 * line) and a memory cap (the allocator refuses past the limit). The
 * state is closed before lua_conf_eval() returns; nothing of Lua survives
 * in the result.
 *
 * Lines: Lua keeps no line numbers for table constructors, so they are
 * found in two ways. Each global assignment goes through a __newindex
 * hook on the environment, which notes the current line. The text is
 * then scanned with a small tokenizer (strings and comments skipped) for
 * top-level "name = {" and "return {" and, inside every constructor, for
 * "key =", "[literal] =" and list entries, giving each key its line and
 * its position in the file. A value that was built by code rather than
 * written as a constructor gets its parent's line.
 *
 * Ownership: the tree is malloc'd, one block per node array and string;
 * lua_conf_free() releases it. Errors: NULL and a message in err, in the
 * form "name:line: reason", or Lua's own message with the chunk name
 * replaced by name; out of memory (of the process) is reported the same
 * way, never by exiting.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "lua_conf.h"

#define CHUNKNAME	"pgconf"	/* replaced by the file name in messages */
#define DEPTH_MAX	32		/* nesting of tables in the result */
#define NODES_MAX	200000		/* nodes in the result */
#define SCAN_DEPTH_MAX	64		/* nesting of constructors scanned for lines */
#define HOOK_EVERY	1000		/* instructions between hook calls */

/* Tokens of the line scanner. */
enum { T_EOF, T_NAME, T_STRING, T_NUMBER, T_PUNCT };

struct tok {
	int		 type;
	int		 line;
	size_t		 off;
	size_t		 len;
	int		 simple;	/* T_STRING: no escapes, body is off+1..len-2 */
};

struct toks {
	const char	*src;
	struct tok	*v;
	size_t		 n;
	size_t		 cap;
};

/* One entry of a table constructor found in the text. */
struct shape {
	char		*key;		/* NULL: list entry (index) or unknown */
	long long	 index;		/* list index; 0 with key NULL: unknown */
	int		 line;
	size_t		 order;		/* token number: position in the file */
	int		 has_ctor;	/* the value is written as { ... } */
	int		 via_path;	/* a step of "a.b.c = v", not a value */
	struct shape	*kids;
	size_t		 nkids;
};

/*
 * A statement "name = ..." found in the text, or "name.key[2].x = ..." (a
 * path: value.kids[0] is the first step, each step has one kid, the last
 * one is the value assigned).
 */
struct assign {
	char		*name;
	int		 line;
	size_t		 order;
	int		 is_path;
	int		 is_local;	/* "local name = ..." */
	struct shape	 value;		/* value.has_ctor when written as { ... } */
};

struct ctx {
	const char	*name;
	size_t		 mem_used;
	size_t		 mem_max;
	int		 mem_hit;
	unsigned long	 insns;
	unsigned long	 insns_max;
	struct assign	*assigns;
	size_t		 nassigns;
	struct shape	 ret;		/* "return { ... }" at top level */
	int		 has_ret;	/* 1: ret is scanned; 2: built by l_convert
					   (own array); 3: borrowed (shape_of_local) */
	int		 ret_line;	/* the top-level return */
	char		*ret_name;	/* "return name": its shape is name's */
	size_t		 ret_order;
	size_t		 nodes;
	void		**pool;		/* shape arrays made by merge_path() */
	size_t		 npool;
	size_t		 cappool;
	struct lua_conf_node *root;
	char		 msg[512];	/* conversion errors */
};

/* ---------------------------------------------------------------- */
/* Tokenizer: just enough Lua to find keys and their lines.          */

/* tok_push - append a token; -1 when out of memory */
static int
tok_push(struct toks *t, int type, int line, size_t off, size_t len, int simple)
{
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		struct tok *nv = realloc(t->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		t->v = nv;
		t->cap = ncap;
	}
	t->v[t->n].type = type;
	t->v[t->n].line = line;
	t->v[t->n].off = off;
	t->v[t->n].len = len;
	t->v[t->n].simple = simple;
	t->n++;
	return 0;
}

/* newline - step over one line break (\n, \r, \r\n, \n\r) */
static size_t
newline(const char *s, size_t len, size_t i, int *line)
{
	char c = s[i++];

	if (i < len && (s[i] == '\n' || s[i] == '\r') && s[i] != c)
		i++;
	(*line)++;
	return i;
}

/* long_bracket - at "[" "="* "[": level, or -1 when not a long bracket */
static int
long_bracket(const char *s, size_t len, size_t i)
{
	int level = 0;

	if (s[i] != '[')
		return -1;
	for (i++; i < len && s[i] == '='; i++)
		level++;
	return i < len && s[i] == '[' ? level : -1;
}

/* skip_long - skip a long string/comment body of the given level */
static size_t
skip_long(const char *s, size_t len, size_t i, int level, int *line)
{
	i += (size_t)level + 2;
	while (i < len) {
		if (s[i] == ']') {
			size_t j = i + 1;
			int l = 0;

			while (j < len && s[j] == '=') {
				j++;
				l++;
			}
			if (l == level && j < len && s[j] == ']')
				return j + 1;
			i++;
		} else if (s[i] == '\n' || s[i] == '\r')
			i = newline(s, len, i, line);
		else
			i++;
	}
	return len;
}

/* lex - split the text into tokens; -1 when out of memory */
static int
lex(const char *s, size_t len, struct toks *t)
{
	static const char *ops3[] = { "...", NULL };
	static const char *ops2[] = { "==", "~=", "<=", ">=", "//", "::",
	    "..", "<<", ">>", NULL };
	size_t i = 0;
	int line = 1, k;

	t->src = s;
	/* a first line starting with '#' is skipped, as by luaL_loadfile */
	if (len > 0 && s[0] == '#')
		while (i < len && s[i] != '\n' && s[i] != '\r')
			i++;
	while (i < len) {
		char c = s[i];
		size_t start = i;

		if (c == '\n' || c == '\r') {
			i = newline(s, len, i, &line);
		} else if (c == ' ' || c == '\t' || c == '\f' || c == '\v') {
			i++;
		} else if (c == '-' && i + 1 < len && s[i + 1] == '-') {
			i += 2;
			if (i < len && (k = long_bracket(s, len, i)) >= 0)
				i = skip_long(s, len, i, k, &line);
			else
				while (i < len && s[i] != '\n' && s[i] != '\r')
					i++;
		} else if ((k = long_bracket(s, len, i)) >= 0) {
			int l0 = line;

			i = skip_long(s, len, i, k, &line);
			if (tok_push(t, T_STRING, l0, start, i - start, 0) == -1)
				return -1;
		} else if (c == '"' || c == '\'') {
			int l0 = line, simple = 1;

			for (i++; i < len && s[i] != c; ) {
				if (s[i] == '\\') {
					simple = 0;
					i++;
					if (i < len && (s[i] == '\n' || s[i] == '\r'))
						i = newline(s, len, i, &line);
					else if (i < len)
						i++;
				} else if (s[i] == '\n' || s[i] == '\r') {
					break;	/* unfinished string: Lua refused it already */
				} else
					i++;
			}
			if (i < len && s[i] == c)
				i++;
			if (tok_push(t, T_STRING, l0, start, i - start, simple) == -1)
				return -1;
		} else if (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			while (i < len && (s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
			    (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
				i++;
			if (tok_push(t, T_NAME, line, start, i - start, 0) == -1)
				return -1;
		} else if ((c >= '0' && c <= '9') ||
		    (c == '.' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9')) {
			while (i < len) {
				char d = s[i];

				if ((d == '+' || d == '-') && i > start &&
				    strchr("eEpP", s[i - 1]) != NULL)
					i++;
				else if (d == '.' || d == '_' || (d >= '0' && d <= '9') ||
				    (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z'))
					i++;
				else
					break;
			}
			if (tok_push(t, T_NUMBER, line, start, i - start, 0) == -1)
				return -1;
		} else {
			size_t n = 1;

			for (k = 0; ops3[k] != NULL; k++)
				if (len - i >= 3 && memcmp(s + i, ops3[k], 3) == 0)
					n = 3;
			for (k = 0; n == 1 && ops2[k] != NULL; k++)
				if (len - i >= 2 && memcmp(s + i, ops2[k], 2) == 0)
					n = 2;
			i += n;
			if (tok_push(t, T_PUNCT, line, start, n, 0) == -1)
				return -1;
		}
	}
	return tok_push(t, T_EOF, line, len, 0, 0);
}

/* is - token j is the punctuation or name p */
static int
is(const struct toks *t, size_t j, const char *p)
{
	size_t n = strlen(p);

	return j < t->n && (t->v[j].type == T_PUNCT || t->v[j].type == T_NAME) &&
	    t->v[j].len == n && memcmp(t->src + t->v[j].off, p, n) == 0;
}

/* block_delta - +1 for a word that opens a block, -1 for one that closes */
static int
block_delta(const struct toks *t, size_t j)
{
	if (t->v[j].type != T_NAME)
		return 0;
	if (is(t, j, "function") || is(t, j, "if") || is(t, j, "do") ||
	    is(t, j, "repeat"))
		return 1;
	if (is(t, j, "end") || is(t, j, "until"))
		return -1;
	return 0;
}

/* bracket_delta - +1 for ( [ {, -1 for ) ] } */
static int
bracket_delta(const struct toks *t, size_t j)
{
	if (is(t, j, "(") || is(t, j, "[") || is(t, j, "{"))
		return 1;
	if (is(t, j, ")") || is(t, j, "]") || is(t, j, "}"))
		return -1;
	return 0;
}

/* skip_expr - from j, to the ',' ';' or '}' that ends a constructor entry */
static size_t
skip_expr(const struct toks *t, size_t j)
{
	int depth = 0, block = 0;

	for (; j < t->n && t->v[j].type != T_EOF; j++) {
		if (depth == 0 && block == 0 &&
		    (is(t, j, ",") || is(t, j, ";") || is(t, j, "}")))
			return j;
		depth += bracket_delta(t, j);
		block += block_delta(t, j);
		if (depth < 0)
			return j;
	}
	return j;
}

/* match_close - index of the bracket that closes the one at j */
static size_t
match_close(const struct toks *t, size_t j)
{
	int depth = 0;

	for (; j < t->n && t->v[j].type != T_EOF; j++) {
		depth += bracket_delta(t, j);
		if (depth == 0)
			return j;
	}
	return j;
}

/* shape_free - free what a shape owns */
static void
shape_free(struct shape *sh)
{
	size_t i;

	for (i = 0; i < sh->nkids; i++)
		shape_free(&sh->kids[i]);
	free(sh->kids);
	free(sh->key);
	sh->kids = NULL;
	sh->nkids = 0;
	sh->key = NULL;
}

/* integer_literal - a decimal integer token's value, or 0 */
static long long
integer_literal(const struct toks *t, size_t j)
{
	char buf[32];
	char *end;
	long long v;

	if (t->v[j].type != T_NUMBER || t->v[j].len >= sizeof(buf))
		return 0;
	memcpy(buf, t->src + t->v[j].off, t->v[j].len);
	buf[t->v[j].len] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	return errno == 0 && *end == '\0' && v > 0 ? v : 0;
}

/* parse_ctor - record the entries of the constructor whose '{' is at j */
static size_t
parse_ctor(const struct toks *t, size_t j, struct shape *owner, int level)
{
	long long counter = 0;
	size_t cap = 0;

	owner->has_ctor = 1;
	if (level > SCAN_DEPTH_MAX)
		return match_close(t, j) + 1;
	for (j++; j < t->n && t->v[j].type != T_EOF && !is(t, j, "}"); ) {
		struct shape e;
		size_t v, k;
		int known = 1;

		memset(&e, 0, sizeof(e));
		e.line = t->v[j].line;
		e.order = j;
		if (t->v[j].type == T_NAME && is(t, j + 1, "=")) {
			e.key = strndup(t->src + t->v[j].off, t->v[j].len);
			if (e.key == NULL)
				known = 0;
			v = j + 2;
		} else if (is(t, j, "[")) {
			k = match_close(t, j);
			known = 0;
			if (k == j + 2 && t->v[j + 1].type == T_STRING &&
			    t->v[j + 1].simple && t->v[j + 1].len >= 2) {
				e.key = strndup(t->src + t->v[j + 1].off + 1,
				    t->v[j + 1].len - 2);
				known = e.key != NULL;
			} else if (k == j + 2 &&
			    (e.index = integer_literal(t, j + 1)) > 0)
				known = 1;
			v = k + 2;
		} else {
			e.index = ++counter;
			v = j;
		}
		if (v < t->n && is(t, v, "{"))
			parse_ctor(t, v, &e, level + 1);
		j = skip_expr(t, v < t->n ? v : t->n - 1);
		if (known) {
			if (owner->nkids == cap) {
				size_t ncap = cap ? cap * 2 : 8;
				struct shape *nk = realloc(owner->kids,
				    ncap * sizeof(*nk));

				if (nk == NULL) {
					shape_free(&e);
					known = 0;
				} else {
					owner->kids = nk;
					cap = ncap;
				}
			}
			if (known)
				owner->kids[owner->nkids++] = e;
		} else
			shape_free(&e);
		if (is(t, j, ",") || is(t, j, ";"))
			j++;
		else if (!is(t, j, "}"))
			break;
	}
	return j + 1;
}

/* literal_key - "[ 'key' ]" or "[ 3 ]" at j: 1 and the key or index */
static int
literal_key(const struct toks *t, size_t j, char **key, long long *index)
{
	*key = NULL;
	*index = 0;
	if (!is(t, j, "[") || !is(t, j + 2, "]"))
		return 0;
	if (t->v[j + 1].type == T_STRING && t->v[j + 1].simple &&
	    t->v[j + 1].len >= 2) {
		*key = strndup(t->src + t->v[j + 1].off + 1, t->v[j + 1].len - 2);
		return *key != NULL;
	}
	return (*index = integer_literal(t, j + 1)) > 0;
}

/* record_assign - note "name = v" (steps 0) or "name.a[1] = v" at j */
static void
record_assign(struct ctx *c, const struct toks *t, size_t j, size_t eq,
    int steps, int is_local, size_t *cap)
{
	struct assign a;
	struct shape *cur;
	size_t k = j + 1;

	memset(&a, 0, sizeof(a));
	if ((a.name = strndup(t->src + t->v[j].off, t->v[j].len)) == NULL)
		return;
	a.line = t->v[j].line;
	a.order = j;
	a.is_path = steps > 0;
	a.is_local = is_local;
	cur = &a.value;
	while (steps-- > 0) {
		struct shape *step = calloc(1, sizeof(*step));

		if (step == NULL)
			goto fail;
		cur->kids = step;
		cur->nkids = 1;
		step->line = a.line;
		step->order = j;
		step->via_path = steps > 0;
		if (is(t, k, ".")) {
			step->key = strndup(t->src + t->v[k + 1].off,
			    t->v[k + 1].len);
			if (step->key == NULL)
				goto fail;
			k += 2;
		} else {
			if (!literal_key(t, k, &step->key, &step->index))
				goto fail;
			k += 3;
		}
		cur = step;
	}
	if (is(t, eq + 1, "{"))
		parse_ctor(t, eq + 1, cur, 1);
	if (c->nassigns == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct assign *na = realloc(c->assigns, ncap * sizeof(*na));

		if (na == NULL)
			goto fail;
		c->assigns = na;
		*cap = ncap;
	}
	c->assigns[c->nassigns++] = a;
	return;
fail:
	free(a.name);
	shape_free(&a.value);
}

/* scan - find top-level assignments and "return {" with their shapes */
static void
scan(struct ctx *c, const struct toks *t)
{
	size_t j, cap = 0;
	int depth = 0, block = 0;

	for (j = 0; j < t->n && t->v[j].type != T_EOF; j++) {
		if (depth == 0 && t->v[j].type == T_NAME &&
		    block_delta(t, j) == 0 &&
		    !(j > 0 && (is(t, j - 1, ".") || is(t, j - 1, ":") ||
		    is(t, j - 1, "local") || is(t, j - 1, ",") ||
		    is(t, j - 1, "for")))) {
			size_t k = j + 1;
			int steps = 0;
			char *key;
			long long index;

			for (;;) {
				if (is(t, k, ".") && t->v[k + 1].type == T_NAME)
					k += 2;
				else if (literal_key(t, k, &key, &index)) {
					free(key);
					k += 3;
				} else
					break;
				steps++;
			}
			if (is(t, k, "=") && steps <= DEPTH_MAX)
				record_assign(c, t, j, k, steps, 0, &cap);
		}
		if (depth == 0 && t->v[j].type == T_NAME && j > 0 &&
		    is(t, j - 1, "local") && is(t, j + 1, "="))
			record_assign(c, t, j, j + 1, 0, 1, &cap);
		if (depth == 0 && block == 0 && is(t, j, "return") &&
		    c->ret_line == 0) {
			c->ret_line = t->v[j].line;
			if (is(t, j + 1, "{")) {
				c->has_ret = 1;
				parse_ctor(t, j + 1, &c->ret, 1);
			} else if (t->v[j + 1].type == T_NAME &&
			    block_delta(t, j + 1) == 0 &&
			    !is(t, j + 2, ".") && !is(t, j + 2, "[") &&
			    !is(t, j + 2, "(") && !is(t, j + 2, ":") &&
			    !is(t, j + 2, "{") && t->v[j + 2].type != T_STRING) {
				c->ret_name = strndup(t->src + t->v[j + 1].off,
				    t->v[j + 1].len);
				c->ret_order = j;
			}
		}
		depth += bracket_delta(t, j);
		block += block_delta(t, j);
	}
}

/* ---------------------------------------------------------------- */
/* The sandbox.                                                      */

/* l_alloc - the allocator, with a cap */
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
	np = realloc(ptr, nsize);
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
/* From Lua values to the C tree.                                    */

/* conv_error - raise a conversion error "name:line: ..." */
static int
conv_error(lua_State *L, struct ctx *c, int line, const char *fmt, ...)
    __attribute__((__format__(__printf__, 4, 5)));

static int
conv_error(lua_State *L, struct ctx *c, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (line > 0)
		n = snprintf(c->msg, sizeof(c->msg), "%s:%d: ", CHUNKNAME, line);
	else
		n = snprintf(c->msg, sizeof(c->msg), "%s: ", CHUNKNAME);
	va_start(ap, fmt);
	vsnprintf(c->msg + n, sizeof(c->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	lua_pushstring(L, c->msg);
	return lua_error(L);
}

/* find_kid - the shape entry for a string key or an index */
static const struct shape *
find_kid(const struct shape *sh, const char *key, long long index)
{
	const struct shape *found = NULL;
	size_t i;

	if (sh == NULL)
		return NULL;
	for (i = 0; i < sh->nkids; i++) {
		if (key != NULL ? (sh->kids[i].key != NULL &&
		    strcmp(sh->kids[i].key, key) == 0) :
		    (sh->kids[i].key == NULL && sh->kids[i].index == index))
			found = &sh->kids[i];	/* the last one wins, as in Lua */
	}
	return found;
}

struct sortent {
	struct lua_conf_node	 node;
	size_t			 order;
};

/* sortent_cmp - list entries by index, then keys in file order, then by name */
static int
sortent_cmp(const void *a, const void *b)
{
	const struct sortent *x = a, *y = b;

	if ((x->node.key == NULL) != (y->node.key == NULL))
		return x->node.key == NULL ? -1 : 1;
	if (x->node.key == NULL)
		return x->node.index < y->node.index ? -1 :
		    x->node.index > y->node.index;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->node.key, y->node.key);
}

static void convert_table(lua_State *, struct ctx *, int, struct lua_conf_node *,
		    const struct shape *, int);

/* convert_value - the value at idx into node (key and line already set) */
static void
convert_value(lua_State *L, struct ctx *c, int idx, struct lua_conf_node *node,
    const struct shape *sh, int depth)
{
	const char *s;
	size_t len;

	if (++c->nodes > NODES_MAX)
		conv_error(L, c, node->line, "configuration too large "
		    "(more than %d values)", NODES_MAX);
	switch (lua_type(L, idx)) {
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		node->type = LUA_CONF_STRING;
		if ((node->str = malloc(len + 1)) == NULL)
			conv_error(L, c, node->line, "out of memory");
		memcpy(node->str, s, len);
		node->str[len] = '\0';
		node->len = len;
		break;
	case LUA_TNUMBER:
		node->type = LUA_CONF_NUMBER;
		node->num = lua_tonumber(L, idx);
		if (lua_isinteger(L, idx)) {
			node->isint = 1;
			node->ival = (long long)lua_tointeger(L, idx);
		}
		lua_pushvalue(L, idx);
		s = lua_tolstring(L, -1, &len);
		if ((node->str = strndup(s, len)) == NULL)
			conv_error(L, c, node->line, "out of memory");
		node->len = len;
		lua_pop(L, 1);
		break;
	case LUA_TBOOLEAN:
		node->type = LUA_CONF_BOOLEAN;
		node->boolean = lua_toboolean(L, idx);
		break;
	case LUA_TTABLE:
		node->type = LUA_CONF_TABLE;
		if (depth >= DEPTH_MAX)
			conv_error(L, c, node->line, "tables nested too deep "
			    "(more than %d levels, or a table that contains itself)",
			    DEPTH_MAX);
		convert_table(L, c, idx, node, sh, depth + 1);
		break;
	default:
		node->type = LUA_CONF_OTHER;
		if ((node->str = strdup(luaL_typename(L, idx))) == NULL)
			conv_error(L, c, node->line, "out of memory");
		break;
	}
}

/* convert_table - the table at idx into node's kids */
static void
convert_table(lua_State *L, struct ctx *c, int idx, struct lua_conf_node *node,
    const struct shape *sh, int depth)
{
	struct sortent *ents;
	size_t *orders;
	size_t n = 0, i;

	idx = lua_absindex(L, idx);
	luaL_checkstack(L, 8, "configuration too deep");
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		n++;
		lua_pop(L, 1);
	}
	if (n == 0)
		return;
	/* scratch space lives on the Lua stack, so an error frees it */
	orders = lua_newuserdatauv(L, n * sizeof(*orders), 0);
	if ((node->kids = calloc(n, sizeof(*node->kids))) == NULL)
		conv_error(L, c, node->line, "out of memory");
	node->nkids = 0;
	i = 0;
	lua_pushnil(L);
	while (i < n && lua_next(L, idx) != 0) {
		struct lua_conf_node *k = &node->kids[i];
		const struct shape *ks;

		orders[i] = (size_t)-1;
		k->line = node->line;
		node->nkids = ++i;	/* the free walk sees it from now */
		if (lua_type(L, -2) == LUA_TSTRING) {
			if ((k->key = strdup(lua_tostring(L, -2))) == NULL)
				conv_error(L, c, node->line, "out of memory");
		} else if (lua_isinteger(L, -2) && lua_tointeger(L, -2) > 0) {
			k->index = (long long)lua_tointeger(L, -2);
		} else {
			const char *tn = luaL_typename(L, -2);

			conv_error(L, c, node->line, "a key must be a name or a "
			    "list index, not %s '%s'", tn,
			    luaL_tolstring(L, -2, NULL));
		}
		ks = find_kid(sh, k->key, k->index);
		if (ks != NULL) {
			k->line = ks->line;
			orders[i - 1] = ks->order;
		}
		convert_value(L, c, -1, k, ks, depth);
		lua_pop(L, 1);
	}
	if (i == n && lua_next(L, idx) != 0)
		lua_pop(L, 2);		/* cannot happen: the table is not changing */
	ents = lua_newuserdatauv(L, node->nkids * sizeof(*ents), 0);
	for (i = 0; i < node->nkids; i++) {
		ents[i].node = node->kids[i];
		ents[i].order = orders[i];
	}
	qsort(ents, node->nkids, sizeof(*ents), sortent_cmp);
	for (i = 0; i < node->nkids; i++)
		node->kids[i] = ents[i].node;
	lua_pop(L, 2);
}

/*
 * merge_path - add one step of "a.b.c = v" to dst: into the kid it names
 * when that kid is there and this is not the last step, else as a new kid
 * (the last one wins in find_kid()). Arrays are copied, never changed in
 * place, since they may belong to a scanned constructor; the copies go in
 * c->pool. Out of memory only loses lines.
 */
static void
merge_path(struct ctx *c, struct shape *dst, const struct shape *src)
{
	struct shape *nk;
	size_t i, found = (size_t)-1;

	for (i = 0; i < dst->nkids; i++)
		if (src->key != NULL ? (dst->kids[i].key != NULL &&
		    strcmp(dst->kids[i].key, src->key) == 0) :
		    (dst->kids[i].key == NULL && dst->kids[i].index == src->index))
			found = i;
	if (c->npool == c->cappool) {
		size_t ncap = c->cappool ? c->cappool * 2 : 16;
		void **np = realloc(c->pool, ncap * sizeof(*np));

		if (np == NULL)
			return;
		c->pool = np;
		c->cappool = ncap;
	}
	if ((nk = calloc(dst->nkids + 1, sizeof(*nk))) == NULL)
		return;
	c->pool[c->npool++] = nk;
	if (dst->nkids > 0)
		memcpy(nk, dst->kids, dst->nkids * sizeof(*nk));
	dst->kids = nk;
	if (src->via_path && found != (size_t)-1) {
		merge_path(c, &nk[found], &src->kids[0]);
		return;
	}
	nk[dst->nkids++] = *src;
}

/* find_assign - the scanned assignment of a global set at hook line */
static const struct assign *
find_assign(const struct ctx *c, const char *name, int line)
{
	const struct assign *best = NULL;
	size_t i;

	for (i = 0; i < c->nassigns; i++) {
		const struct assign *a = &c->assigns[i];

		if (a->is_path || a->is_local || strcmp(a->name, name) != 0 ||
		    (line > 0 && a->line > line))
			continue;
		if (best == NULL || a->line >= best->line)
			best = a;
	}
	return best;
}

/*
 * shape_of_local - for "local t = { ... } ... return t": c->ret borrows
 * t's constructor and gets the "t.key = v" statements in between
 */
static void
shape_of_local(struct ctx *c)
{
	const struct assign *base = NULL;
	size_t i;

	for (i = 0; i < c->nassigns; i++) {
		const struct assign *a = &c->assigns[i];

		if (!a->is_path && a->order < c->ret_order &&
		    strcmp(a->name, c->ret_name) == 0)
			base = a;
	}
	memset(&c->ret, 0, sizeof(c->ret));
	c->has_ret = 3;		/* all borrowed; merge_path()'s arrays are in the pool */
	if (base != NULL && base->value.has_ctor) {
		c->ret.kids = base->value.kids;
		c->ret.nkids = base->value.nkids;
	}
	for (i = 0; i < c->nassigns; i++) {
		const struct assign *p = &c->assigns[i];

		if (p->is_path && p->order < c->ret_order &&
		    (base == NULL || p->order > base->order) &&
		    strcmp(p->name, c->ret_name) == 0)
			merge_path(c, &c->ret, &p->value.kids[0]);
	}
}

/*
 * l_convert - protected: stack is lines, store, result. Builds c->root.
 */
static int
l_convert(lua_State *L)
{
	struct ctx *c = ctx_of(L);
	struct lua_conf_node *root = c->root;
	const int lines = 1, store = 2, result = 3;

	root->type = LUA_CONF_TABLE;
	root->line = 0;
	if (lua_type(L, result) == LUA_TTABLE) {
		lua_pushnil(L);
		if (lua_next(L, store) != 0) {
			int line;

			lua_pop(L, 1);
			lua_pushvalue(L, -1);
			lua_rawget(L, lines);
			line = (int)lua_tointeger(L, -1);
			lua_pop(L, 1);
			conv_error(L, c, line, "'%s' is set as a global, but the "
			    "file also returns a table", lua_type(L, -1) ==
			    LUA_TSTRING ? lua_tostring(L, -1) : "?");
		}
		root->line = c->ret_line;
		if (!c->has_ret && c->ret_name != NULL)
			shape_of_local(c);
		convert_table(L, c, result, root, c->has_ret ? &c->ret : NULL, 1);
		return 0;
	}
	if (!lua_isnil(L, result))
		conv_error(L, c, 0, "the file returns a %s; it must set globals "
		    "or return a table", luaL_typename(L, result));

	/* the globals: give each its scanned shape, then convert as a table */
	{
		/* top borrows the scanned shapes; only its array is its own
		 * (lua_conf_eval frees it). Keys point into Lua strings that
		 * store keeps alive. */
		struct shape *top = &c->ret;
		size_t cap = 0, i;

		shape_free(top);
		c->has_ret = 2;
		lua_pushnil(L);
		while (lua_next(L, store) != 0) {
			const struct assign *a = NULL;
			struct shape e;
			int line;

			lua_pop(L, 1);
			memset(&e, 0, sizeof(e));
			lua_pushvalue(L, -1);
			lua_rawget(L, lines);
			line = (int)lua_tointeger(L, -1);
			lua_pop(L, 1);
			if (lua_type(L, -1) != LUA_TSTRING)
				continue;	/* convert_table reports it */
			a = find_assign(c, lua_tostring(L, -1), line);
			e.key = (char *)(a != NULL ? a->name : lua_tostring(L, -1));
			e.line = a != NULL ? a->line : line;
			e.order = a != NULL ? a->order : (size_t)-1;
			if (a != NULL && a->value.has_ctor) {
				e.has_ctor = 1;
				e.kids = a->value.kids;
				e.nkids = a->value.nkids;
			}
			/* later "name.key = v" statements add their lines */
			for (i = 0; i < c->nassigns; i++) {
				const struct assign *p = &c->assigns[i];

				if (p->is_path && strcmp(p->name, e.key) == 0 &&
				    (a == NULL || p->order > a->order))
					merge_path(c, &e, &p->value.kids[0]);
			}
			if (top->nkids == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct shape *nk = realloc(top->kids,
				    ncap * sizeof(*nk));

				if (nk == NULL)
					conv_error(L, c, line, "out of memory");
				top->kids = nk;
				cap = ncap;
			}
			top->kids[top->nkids++] = e;
		}
		convert_table(L, c, store, root, top, 1);
	}
	return 0;
}

/* ---------------------------------------------------------------- */

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

struct lua_conf_node *
lua_conf_eval(const char *name, const char *text, size_t len,
    const struct lua_conf_limits *limits, char *err, size_t errlen)
{
	struct ctx c;
	struct toks t;
	lua_State *L;
	struct lua_conf_node *root = NULL;
	const char *chunk;
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(&t, 0, sizeof(t));
	c.name = name;
	c.mem_max = limits != NULL && limits->memory_max ? limits->memory_max :
	    32u * 1024 * 1024;
	c.insns_max = limits != NULL && limits->instructions_max ?
	    limits->instructions_max : 20000000ul;
	if (errlen > 0)
		err[0] = '\0';

	if ((L = lua_newstate(l_alloc, &c)) == NULL) {
		snprintf(err, errlen, "%s: cannot create a Lua state", name);
		return NULL;
	}
	lua_pushcfunction(L, open_sandbox);
	if (lua_pcall(L, 0, 3, 0) != LUA_OK) {
		set_err(err, errlen, name, c.mem_hit ? "out of memory" :
		    lua_tostring(L, -1));
		lua_close(L);
		return NULL;
	}
	/* stack: lines store env */
	chunk = text;
	if (len > 0 && text[0] == '#') {
		/* a "#!" first line, as luaL_loadfile() allows: make it a
		 * comment of the same length so that lines stay where they are;
		 * the copy stays on the stack (index 4) until the chunk has run */
		char *copy = lua_newuserdatauv(L, len, 0);

		memcpy(copy, text, len);
		if (len > 1 && copy[1] != '\n' && copy[1] != '\r')
			copy[0] = copy[1] = '-';
		else
			copy[0] = ' ';
		chunk = copy;
	}
	rc = luaL_loadbufferx(L, chunk, len, "=" CHUNKNAME, "t");
	if (rc != LUA_OK) {
		set_err(err, errlen, name, rc == LUA_ERRMEM ?
		    "configuration uses too much memory" : lua_tostring(L, -1));
		lua_close(L);
		return NULL;
	}
	lua_pushvalue(L, 3);
	lua_setupvalue(L, -2, 1);		/* _ENV */
	lua_sethook(L, l_hook, LUA_MASKCOUNT, HOOK_EVERY);
	rc = lua_pcall(L, 0, 1, 0);
	lua_sethook(L, NULL, 0, 0);
	if (rc != LUA_OK) {
		if (rc == LUA_ERRMEM || c.mem_hit) {
			if (c.mem_max % (1024 * 1024) == 0)
				snprintf(err, errlen, "%s: configuration uses too "
				    "much memory (more than %zu MiB)", name,
				    c.mem_max / (1024 * 1024));
			else
				snprintf(err, errlen, "%s: configuration uses too "
				    "much memory (more than %zu bytes)", name,
				    c.mem_max);
		} else if (lua_type(L, -1) == LUA_TSTRING) {
			set_err(err, errlen, name, lua_tostring(L, -1));
		} else {
			snprintf(err, errlen, "%s: error object is a %s value",
			    name, luaL_typename(L, -1));
		}
		lua_close(L);
		return NULL;
	}
	if (chunk != text)
		lua_remove(L, 4);
	lua_remove(L, 3);		/* lines store result */

	/* the lines of the keys, from the text */
	if (lex(text, len, &t) == -1) {
		snprintf(err, errlen, "%s: out of memory", name);
		free(t.v);
		lua_close(L);
		return NULL;
	}
	scan(&c, &t);

	/* convert with room to spare: the file's limits are over */
	c.mem_max = (size_t)-1;
	if ((root = calloc(1, sizeof(*root))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto out;
	}
	c.root = root;
	lua_pushcfunction(L, l_convert);
	lua_insert(L, 1);
	if (lua_pcall(L, 3, 0, 0) != LUA_OK) {
		set_err(err, errlen, name, lua_type(L, -1) == LUA_TSTRING ?
		    lua_tostring(L, -1) : "out of memory");
		lua_conf_free(root);
		root = NULL;
	}
out:
	if (c.has_ret == 2)
		free(c.ret.kids);
	else if (c.has_ret != 3)
		shape_free(&c.ret);
	free(c.ret_name);
	for (i = 0; i < c.nassigns; i++) {
		free(c.assigns[i].name);
		shape_free(&c.assigns[i].value);
	}
	free(c.assigns);
	for (i = 0; i < c.npool; i++)
		free(c.pool[i]);
	free(c.pool);
	free(t.v);
	lua_close(L);
	return root;
}
