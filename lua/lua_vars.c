/*
 * lua_vars - session.vars and tx.vars as C maps behind userdata
 *
 * Public: lb_vars_new(), lb_vars_free(), lb_vars_count(), lb_vars_bytes(),
 * lb_vars_push(), lb_vars_open().
 *
 * The map is a small array searched linearly (vars hold a handful of keys
 * in practice) with tombstones for deleted keys, so that deleting during
 * pairs() does not skip entries; tombstones are compacted when a new key
 * is added. Values are copied in; strings are binary-safe. Scripts are
 * untrusted: wrong key or value types and full maps raise Lua errors.
 * The userdata box carries the call id of the handler call that made it
 * and is refused afterwards (lua_bridge.c).
 */

#include <stdlib.h>
#include <string.h>

#include "lua_int.h"
#include "lua_vars.h"

enum vtype { V_DEAD = 0, V_STR, V_INT, V_NUM, V_BOOL };

struct var {
	char		*key;
	size_t		 klen;
	enum vtype	 type;
	union {
		struct {
			char	*s;
			size_t	 len;
		} str;
		lua_Integer	 i;
		lua_Number	 d;
		int		 b;
	} u;
};

struct lb_vars {
	struct var	*v;
	size_t		 n;		/* slots used, tombstones included */
	size_t		 cap;
	size_t		 live;
	size_t		 bytes;
};

struct lb_vars *
lb_vars_new(void)
{
	return calloc(1, sizeof(struct lb_vars));
}

/* var_clear_value - free a var's string value */
static void
var_clear_value(struct lb_vars *m, struct var *e)
{
	if (e->type == V_STR) {
		m->bytes -= e->u.str.len;
		free(e->u.str.s);
	}
	e->type = V_DEAD;
}

void
lb_vars_free(void *p)
{
	struct lb_vars *m = p;
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++) {
		var_clear_value(m, &m->v[i]);
		free(m->v[i].key);
	}
	free(m->v);
	free(m);
}

size_t
lb_vars_count(const struct lb_vars *m)
{
	return m->live;
}

size_t
lb_vars_bytes(const struct lb_vars *m)
{
	return sizeof(*m) + m->cap * sizeof(struct var) + m->bytes;
}

/* find - the slot of key, tombstones included, or NULL */
static struct var *
find(struct lb_vars *m, const char *k, size_t klen)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->v[i].klen == klen && memcmp(m->v[i].key, k, klen) == 0)
			return &m->v[i];
	return NULL;
}

/* compact - drop tombstones */
static void
compact(struct lb_vars *m)
{
	size_t i, j;

	for (i = j = 0; i < m->n; i++) {
		if (m->v[i].type == V_DEAD) {
			m->bytes -= m->v[i].klen;
			free(m->v[i].key);
		} else
			m->v[j++] = m->v[i];
	}
	m->n = j;
}

/* check_map - the map of the box at idx */
static struct lb_vars *
check_map(lua_State *L, int idx)
{
	return lb_box_check(L, idx, LB_MT_VARS, "vars table");
}

/* push_value - push e's value */
static void
push_value(lua_State *L, const struct var *e)
{
	switch (e->type) {
	case V_STR:
		lua_pushlstring(L, e->u.str.s, e->u.str.len);
		break;
	case V_INT:
		lua_pushinteger(L, e->u.i);
		break;
	case V_NUM:
		lua_pushnumber(L, e->u.d);
		break;
	case V_BOOL:
		lua_pushboolean(L, e->u.b);
		break;
	default:
		lua_pushnil(L);
	}
}

/* lua_vars_index - vars[key] */
static int
lua_vars_index(lua_State *L)
{
	struct lb_vars *m = check_map(L, 1);
	struct var *e;
	const char *k;
	size_t klen;

	if (lua_type(L, 2) != LUA_TSTRING)
		return luaL_error(L, "vars keys must be strings, got %s",
		    luaL_typename(L, 2));
	k = lua_tolstring(L, 2, &klen);
	if ((e = find(m, k, klen)) == NULL)
		lua_pushnil(L);
	else
		push_value(L, e);
	return 1;
}

/* lua_vars_newindex - vars[key] = value */
static int
lua_vars_newindex(lua_State *L)
{
	struct lb_vars *m = check_map(L, 1);
	struct var *e, nv;
	const char *k, *s = NULL;
	size_t klen, len = 0;
	int t = lua_type(L, 3);

	if (lua_type(L, 2) != LUA_TSTRING)
		return luaL_error(L, "vars keys must be strings, got %s",
		    luaL_typename(L, 2));
	k = lua_tolstring(L, 2, &klen);
	memset(&nv, 0, sizeof(nv));
	switch (t) {
	case LUA_TNIL:
		if ((e = find(m, k, klen)) != NULL && e->type != V_DEAD) {
			var_clear_value(m, e);
			m->live--;
		}
		return 0;
	case LUA_TSTRING:
		s = lua_tolstring(L, 3, &len);
		nv.type = V_STR;
		nv.u.str.len = len;
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, 3)) {
			nv.type = V_INT;
			nv.u.i = lua_tointeger(L, 3);
		} else {
			nv.type = V_NUM;
			nv.u.d = lua_tonumber(L, 3);
		}
		break;
	case LUA_TBOOLEAN:
		nv.type = V_BOOL;
		nv.u.b = lua_toboolean(L, 3);
		break;
	default:
		return luaL_error(L, "vars hold strings, numbers and booleans,"
		    " not %s (use pg.store for shared state)",
		    luaL_typename(L, 3));
	}
	e = find(m, k, klen);
	if (m->bytes + len + (e ? 0 : klen) > LB_VARS_MAX_BYTES)
		return luaL_error(L, "vars: more than %d bytes",
		    LB_VARS_MAX_BYTES);
	if (nv.type == V_STR) {
		if ((nv.u.str.s = malloc(len + 1)) == NULL)
			return luaL_error(L, "vars: out of memory");
		memcpy(nv.u.str.s, s, len);
		nv.u.str.s[len] = '\0';
	}
	if (e == NULL) {
		if (m->live >= LB_VARS_MAX_KEYS) {
			if (nv.type == V_STR)
				free(nv.u.str.s);
			return luaL_error(L, "vars: more than %d keys",
			    LB_VARS_MAX_KEYS);
		}
		if (m->n > m->live)
			compact(m);
		if (m->n == m->cap) {
			size_t cap = m->cap ? m->cap * 2 : 4;
			struct var *v = realloc(m->v, cap * sizeof(*v));

			if (v == NULL) {
				if (nv.type == V_STR)
					free(nv.u.str.s);
				return luaL_error(L, "vars: out of memory");
			}
			m->v = v;
			m->cap = cap;
		}
		e = &m->v[m->n];
		if ((e->key = malloc(klen + 1)) == NULL) {
			if (nv.type == V_STR)
				free(nv.u.str.s);
			return luaL_error(L, "vars: out of memory");
		}
		memcpy(e->key, k, klen);
		e->key[klen] = '\0';
		e->klen = klen;
		e->type = V_DEAD;
		m->n++;
		m->bytes += klen;
	}
	if (e->type == V_DEAD)
		m->live++;
	var_clear_value(m, e);
	e->type = nv.type;
	e->u = nv.u;
	if (nv.type == V_STR)
		m->bytes += len;
	return 0;
}

/* lua_vars_next - the iterator behind pairs(vars) */
static int
lua_vars_next(lua_State *L)
{
	struct lb_vars *m = check_map(L, 1);
	size_t i = 0;
	struct var *e;

	if (!lua_isnil(L, 2)) {
		const char *k;
		size_t klen;

		k = luaL_checklstring(L, 2, &klen);
		if ((e = find(m, k, klen)) == NULL)
			return luaL_error(L, "vars: invalid key to 'next'");
		i = (size_t)(e - m->v) + 1;
	}
	for (; i < m->n; i++)
		if (m->v[i].type != V_DEAD) {
			lua_pushlstring(L, m->v[i].key, m->v[i].klen);
			push_value(L, &m->v[i]);
			return 2;
		}
	lua_pushnil(L);
	return 1;
}

/* lua_vars_pairs - pairs(vars) */
static int
lua_vars_pairs(lua_State *L)
{
	check_map(L, 1);
	lua_pushcfunction(L, lua_vars_next);
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

/* lua_vars_len - #vars: the number of keys */
static int
lua_vars_len(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)check_map(L, 1)->live);
	return 1;
}

/* lua_vars_tostring - "vars (N keys)" */
static int
lua_vars_tostring(lua_State *L)
{
	struct lb_box *b = luaL_checkudata(L, 1, LB_MT_VARS);

	lua_pushfstring(L, "phasegate.vars: %p", b->p);
	return 1;
}

void
lb_vars_push(lua_State *L, struct lb_vars *m)
{
	lb_box_push(L, LB_MT_VARS, m);
}

void
lb_vars_open(lua_State *L)
{
	static const luaL_Reg mt[] = {
		{ "__index", lua_vars_index },
		{ "__newindex", lua_vars_newindex },
		{ "__pairs", lua_vars_pairs },
		{ "__len", lua_vars_len },
		{ "__tostring", lua_vars_tostring },
		{ NULL, NULL }
	};

	luaL_newmetatable(L, LB_MT_VARS);
	luaL_setfuncs(L, mt, 0);
	lua_pushliteral(L, "vars table");
	lua_setfield(L, -2, "__name");
	lua_pop(L, 1);
}
