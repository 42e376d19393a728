/*
 * lua_conf_tree - from the values a configuration chunk made to a C tree
 *
 * Public: lua_conf_tree_build().
 *
 * The chunk has run (lua_conf.c); its result is walked in a protected call
 * and copied into struct lua_conf_node, one node per value: strings as
 * bytes, numbers with their Lua text, booleans, tables as kids sorted with
 * list entries first by index, then keys in the order they were written
 * (lua_conf_lines gives each key its line and position; a key it does not
 * know, such as one made by code, gets its parent's line).
 *
 * Trust: the values are the configuration's, made under the sandbox's
 * limits; the walk has its own: DEPTH_MAX levels (a table that holds
 * itself stops there), NODES_MAX values, keys that are names or list
 * indexes only. Every refusal is "name:line: reason".
 *
 * Ownership: the nodes and their strings are pg_malloc'd into the root the
 * caller gave; scratch arrays live on the Lua stack, so an error unwinds
 * without leaking. Errors: -1 with the reason in err; memory running out
 * (ours or Lua's) is "out of memory", never an exit.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "lua_conf_tree.h"
#include "xmalloc.h"

#define DEPTH_MAX	32		/* nesting of tables in the result */
#define NODES_MAX	200000		/* nodes in the result */

struct tree {
	struct lua_conf_lines	*lines;
	struct lua_conf_node	*root;
	const char		*name;
	size_t			 nodes;
	char			 msg[1024];	/* the reason an error was raised */
};

/* tree_error - raise a conversion error "name:line: ..." */
static int
tree_error(lua_State *L, struct tree *t, int line, const char *fmt, ...)
    __attribute__((__format__(__printf__, 4, 5)));

static int
tree_error(lua_State *L, struct tree *t, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (line > 0)
		n = snprintf(t->msg, sizeof(t->msg), "%s:%d: ", t->name, line);
	else
		n = snprintf(t->msg, sizeof(t->msg), "%s: ", t->name);
	if (n < 0 || (size_t)n >= sizeof(t->msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(t->msg + n, sizeof(t->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	lua_pushstring(L, t->msg);
	return lua_error(L);
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

static void convert_table(lua_State *, struct tree *, int,
		    struct lua_conf_node *, const struct lua_conf_shape *, int);

/* convert_value - the value at idx into node (key and line already set) */
static void
convert_value(lua_State *L, struct tree *t, int idx, struct lua_conf_node *node,
    const struct lua_conf_shape *sh, int depth)
{
	const char *s;
	size_t len;

	if (++t->nodes > NODES_MAX)
		tree_error(L, t, node->line, "configuration too large "
		    "(more than %d values)", NODES_MAX);
	switch (lua_type(L, idx)) {
	case LUA_TSTRING:
	case LUA_TNUMBER:
		node->type = lua_type(L, idx) == LUA_TSTRING ? LUA_CONF_STRING :
		    LUA_CONF_NUMBER;
		if (node->type == LUA_CONF_NUMBER) {
			node->num = lua_tonumber(L, idx);
			node->isint = lua_isinteger(L, idx);
			if (node->isint)
				node->ival = (long long)lua_tointeger(L, idx);
		}
		lua_pushvalue(L, idx);		/* a number's text, not in place */
		s = lua_tolstring(L, -1, &len);
		if ((node->str = pg_strndup(s, len)) == NULL)
			tree_error(L, t, 0, "out of memory");
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
			tree_error(L, t, node->line, "tables nested too deep "
			    "(more than %d levels, or a table that contains "
			    "itself)", DEPTH_MAX);
		convert_table(L, t, idx, node, sh, depth + 1);
		break;
	default:
		node->type = LUA_CONF_OTHER;
		if ((node->str = pg_strdup(luaL_typename(L, idx))) == NULL)
			tree_error(L, t, 0, "out of memory");
		break;
	}
}

/* convert_key - the key at -2 into k; its shape in sh, or NULL */
static const struct lua_conf_shape *
convert_key(lua_State *L, struct tree *t, struct lua_conf_node *k,
    const struct lua_conf_shape *sh, int line)
{
	if (lua_type(L, -2) == LUA_TSTRING) {
		if ((k->key = pg_strdup(lua_tostring(L, -2))) == NULL)
			tree_error(L, t, 0, "out of memory");
	} else if (lua_isinteger(L, -2) && lua_tointeger(L, -2) > 0) {
		k->index = (long long)lua_tointeger(L, -2);
	} else {
		const char *tn = luaL_typename(L, -2);

		tree_error(L, t, line, "a key must be a name or a list index, "
		    "not %s '%s'", tn, luaL_tolstring(L, -2, NULL));
	}
	return lua_conf_lines_kid(sh, k->key, k->index);
}

/* sort_kids - node's kids in list order, then in file order (orders[i]) */
static void
sort_kids(lua_State *L, struct lua_conf_node *node, const size_t *orders)
{
	struct sortent *ents;
	size_t i;

	ents = lua_newuserdatauv(L, node->nkids * sizeof(*ents), 0);
	for (i = 0; i < node->nkids; i++) {
		ents[i].node = node->kids[i];
		ents[i].order = orders[i];
	}
	qsort(ents, node->nkids, sizeof(*ents), sortent_cmp);
	for (i = 0; i < node->nkids; i++)
		node->kids[i] = ents[i].node;
	lua_pop(L, 1);
}

/* convert_table - the table at idx into node's kids */
static void
convert_table(lua_State *L, struct tree *t, int idx, struct lua_conf_node *node,
    const struct lua_conf_shape *sh, int depth)
{
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
	if ((node->kids = pg_calloc(n, sizeof(*node->kids))) == NULL)
		tree_error(L, t, 0, "out of memory");
	node->nkids = 0;
	i = 0;
	lua_pushnil(L);
	while (i < n && lua_next(L, idx) != 0) {
		struct lua_conf_node *k = &node->kids[i];
		const struct lua_conf_shape *ks;

		orders[i] = (size_t)-1;
		k->line = node->line;
		node->nkids = ++i;	/* the free walk sees it from now */
		if ((ks = convert_key(L, t, k, sh, node->line)) != NULL) {
			k->line = lua_conf_lines_line(ks);
			orders[i - 1] = lua_conf_lines_order(ks);
		}
		convert_value(L, t, -1, k, ks, depth);
		lua_pop(L, 1);
	}
	if (i == n && lua_next(L, idx) != 0)
		lua_pop(L, 2);		/* cannot happen: the table is not changing */
	sort_kids(L, node, orders);
	lua_pop(L, 1);
}

/* line_of - the line the sandbox noted for the global name at -1 */
static int
line_of(lua_State *L, int lines)
{
	int line;

	lua_pushvalue(L, -1);
	lua_rawget(L, lines);
	line = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);
	return line;
}

/* convert_returned - the chunk returned a table: it is the configuration */
static void
convert_returned(lua_State *L, struct tree *t)
{
	const int lines = 1, store = 2, result = 3;
	const struct lua_conf_shape *sh;

	lua_pushnil(L);
	if (lua_next(L, store) != 0) {
		lua_pop(L, 1);
		tree_error(L, t, line_of(L, lines), "'%s' is set as a global, "
		    "but the file also returns a table", lua_type(L, -1) ==
		    LUA_TSTRING ? lua_tostring(L, -1) : "?");
	}
	t->root->line = lua_conf_lines_return_line(t->lines);
	if (lua_conf_lines_returned(t->lines, &sh) == -1)
		tree_error(L, t, 0, "out of memory");
	convert_table(L, t, result, t->root, sh, 1);
}

/* convert_globals - the chunk returned nothing: the globals it set */
static void
convert_globals(lua_State *L, struct tree *t)
{
	const int lines = 1, store = 2;

	lua_pushnil(L);
	while (lua_next(L, store) != 0) {
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			continue;	/* convert_table reports it */
		if (lua_conf_lines_add_global(t->lines, lua_tostring(L, -1),
		    line_of(L, lines)) == -1)
			tree_error(L, t, 0, "out of memory");
	}
	convert_table(L, t, store, t->root, lua_conf_lines_globals(t->lines), 1);
}

/* l_convert - protected: lines, store, result, the tree (light userdata) */
static int
l_convert(lua_State *L)
{
	struct tree *t = lua_touserdata(L, 4);

	lua_settop(L, 3);
	t->root->type = LUA_CONF_TABLE;
	t->root->line = 0;
	if (lua_type(L, 3) == LUA_TTABLE)
		convert_returned(L, t);
	else if (!lua_isnil(L, 3))
		tree_error(L, t, 0, "the file returns a %s; it must set globals "
		    "or return a table", luaL_typename(L, 3));
	else
		convert_globals(L, t);
	return 0;
}

int
lua_conf_tree_build(lua_State *L, struct lua_conf_lines *lines,
    const char *name, struct lua_conf_node *root, char *err, size_t errlen)
{
	struct tree t;
	int rc;

	memset(&t, 0, sizeof(t));
	t.lines = lines;
	t.root = root;
	t.name = name;
	lua_pushcfunction(L, l_convert);
	lua_insert(L, 1);
	lua_pushlightuserdata(L, &t);
	if ((rc = lua_pcall(L, 4, 0, 0)) == LUA_OK)
		return 0;
	if (t.msg[0] != '\0')
		snprintf(err, errlen, "%s", t.msg);
	else if (rc == LUA_ERRMEM || lua_type(L, -1) != LUA_TSTRING)
		snprintf(err, errlen, "%s: out of memory", name);
	else
		snprintf(err, errlen, "%s: %s", name, lua_tostring(L, -1));
	lua_pop(L, 1);
	return -1;
}
