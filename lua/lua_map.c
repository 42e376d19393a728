/*
 * lua_map - pg.map(path, kind): lists looked up by rules (host/lib/map.h)
 *
 * Public (to lua/): lua_pg_map(), lb_map_open(), lb_map_methods.
 *
 * The map is the process's (shared by every interpreter and generation,
 * reloaded by map.c when its file changes); the userdata holds only the
 * pointer. A relative path is relative to the configuration file's
 * directory. A map that does not load is an error of the call (at the top
 * level: the script does not load, so configtest says so).
 *
 * m:match(x) returns the matching line's value, true when the line had
 * none, or nil.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_int.h"
#include "map.h"

#define LB_MT_MAP	"phasegate.map"

struct lb_map {
	struct map	*m;
	char		 kind[8];
};

int
lua_pg_map(lua_State *L)
{
	struct lb_state *st = lb_interp_of(L)->st;
	const char *path = luaL_checkstring(L, 1);
	const char *kname = luaL_checkstring(L, 2);
	char full[4096], err[512];
	enum map_kind kind;
	struct lb_map *lm;
	struct map *m;

	if (map_kind_parse(kname, &kind) == -1)
		return luaL_error(L, "pg.map: unknown kind '%s' (cidr, domain,"
		    " set or regex)", kname);
	if (path[0] == '/' || st->confdir == NULL || st->confdir[0] == '\0')
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", st->confdir, path);
	if ((m = map_open(full, kind, err, sizeof(err))) == NULL)
		return luaL_error(L, "pg.map: %s", err);
	lm = lua_newuserdatauv(L, sizeof(*lm), 0);
	lm->m = m;
	snprintf(lm->kind, sizeof(lm->kind), "%s", kname);
	luaL_setmetatable(L, LB_MT_MAP);
	return 1;
}

static int
lua_map_match(lua_State *L)
{
	struct lb_map *lm = luaL_checkudata(L, 1, LB_MT_MAP);
	size_t len;
	const char *k = luaL_checklstring(L, 2, &len);
	char val[MAP_VALUE_MAX + 1];
	uint64_t t0 = lb_mono_ns();
	struct lb_interp *in = lb_interp_of(L);
	int rc;

	rc = map_lookup(lm->m, k, len, val, sizeof(val));
	/* a reload on a helper thread is not the script's CPU time */
	if (in->deadline != 0)
		in->deadline += lb_mono_ns() - t0;
	if (rc == -1)
		return luaL_error(L, "m:match: lookup failed");
	if (rc == 0)
		lua_pushnil(L);
	else if (val[0] == '\0')
		lua_pushboolean(L, 1);
	else
		lua_pushstring(L, val);
	return 1;
}

static int
lua_map_tostring(lua_State *L)
{
	struct lb_map *lm = luaL_checkudata(L, 1, LB_MT_MAP);

	lua_pushfstring(L, "pg.map(%s, %d entries)", lm->kind,
	    (int)map_count(lm->m));
	return 1;
}

const luaL_Reg lb_map_methods[] = {
	{ "match", lua_map_match },
	{ NULL, NULL }
};

void
lb_map_open(lua_State *L)
{
	luaL_newmetatable(L, LB_MT_MAP);
	luaL_newlib(L, lb_map_methods);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, lua_map_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pop(L, 1);
}
