/*
 * lua_conf_tree - from the values a configuration chunk made to the plain
 * C tree of lua_conf.h, each key with the line it was written on
 */
#ifndef LUA_CONF_TREE_H
#define LUA_CONF_TREE_H

#include <stddef.h>

#include <lua.h>

#include "lua_conf.h"
#include "lua_conf_lines.h"

/*
 * lua_conf_tree_build - L's stack holds exactly lines (global name -> line
 * of its last assignment), store (the globals the chunk set) and result
 * (what it returned); they are consumed. Fills root, a zeroed node, as a
 * TABLE of the returned table's keys or, when the chunk returned nothing,
 * of the globals. 0, or -1 with "name:line: reason" (or "name: out of
 * memory") in err; root may then hold part of a tree, which
 * lua_conf_free(root) frees.
 */
int	lua_conf_tree_build(lua_State *L, struct lua_conf_lines *lines,
	    const char *name, struct lua_conf_node *root, char *err,
	    size_t errlen);

#endif /* LUA_CONF_TREE_H */
