/*
 * lua_bridge - Lua scripts as filters: the built-in plugin "lua"
 *
 * The host registers lua_bridge_plugin as the built-in plugin "lua" and
 * calls its init() once per { script = "..." } entry and chain generation,
 * with the options:
 *	script		absolute path of the script (required)
 *	timeout_ms	timeouts.script in milliseconds (default 200)
 *	memory_max	bytes per interpreter (default 64 MiB; 0: no cap)
 *	path		";"-separated directories require() may load from
 *	on_error	accepted and ignored (the host applies it)
 * Any other key is an error. A syntax error fails init() with
 * "file:line: message" in err.
 *
 * The state holds a pool of interpreters with the script loaded; each
 * call checks one out, runs the handlers and returns it. Every call runs
 * under a deadline and a memory cap; a script error becomes PG_ERROR with
 * "script:line: message" in the reply text. See docs/lua-api.md.
 *
 * Uses only include/phasegate/plugin.h (and the shared PCRE2 wrapper).
 */
#ifndef LUA_BRIDGE_H
#define LUA_BRIDGE_H

#include <stddef.h>
#include <phasegate/plugin.h>

extern const struct pg_plugin lua_bridge_plugin;

/* Statistics of one init()'s state, for tests and benchmarks. */
struct lua_bridge_stats {
	size_t	interps;	/* alive now */
	size_t	idle;		/* of which idle in the pool */
	size_t	created;	/* ever created */
	size_t	idle_bytes;	/* Lua heap bytes of the idle interpreters */
};
void	lua_bridge_stats(void *state, struct lua_bridge_stats *);

#endif /* LUA_BRIDGE_H */
