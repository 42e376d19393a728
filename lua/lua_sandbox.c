/*
 * lua_sandbox - the limits and the libraries of one Lua interpreter
 *
 * Public (to lua/ only, lua_int.h): lb_sandbox_open(), lb_sandbox_alloc(),
 * lb_sandbox_hook(), lb_sandbox_kill_message(), lb_deadline_check(),
 * lb_cstack_check(), lb_mono_ns().
 *
 * The sandbox: base functions without dofile, loadfile and collectgarbage,
 * load() of text only, string (without dump, with the deadline-aware
 * pattern functions of lua_strpat.c), table, math, utf8, coroutine,
 * os.time/os.clock/os.date, and require() of "phasegate" and of text
 * modules in the configured directories.
 *
 * Limits: a count hook checks a monotonic deadline every LB_HOOK_COUNT
 * instructions; lb_sandbox_alloc refuses allocations past memory_max.
 * pcall, xpcall and coroutine.resume/close are wrapped so a script cannot
 * catch its own timeout or memory kill. Functions that call back into Lua
 * with big C frames first check that the call has used less than
 * LB_CSTACK_MAX of C stack. Scripts are untrusted: every way out of these
 * limits is an error raised in the script, never a crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "file.h"
#include "lua_int.h"

/* lb_mono_ns - monotonic clock in nanoseconds */
uint64_t
lb_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Limits.
 */

/*
 * note_where - where the running script was when an allocation was refused:
 * the innermost Lua function's line, so that the memory error names it as
 * other errors do (the count hook may not have run since the call began).
 * Only where reading the call stack from inside the allocator is safe: up
 * to Lua 5.4.5 every stack and CallInfo stays valid across an allocation
 * (an emergency collection may traverse them); 5.4.6 relocates the stack
 * as offsets while it allocates a new one, and there the hook's line stays.
 */
static void
note_where(struct lb_interp *in)
{
#if LUA_VERSION_RELEASE_NUM < 50406
	lua_Debug ar;
	int level;

	if (in->L == NULL || (in->deadline == 0 && !in->loading))
		return;
	for (level = 0; lua_getstack(in->L, level, &ar); level++)
		if (lua_getinfo(in->L, "Sl", &ar) && ar.currentline > 0) {
			in->last_line = ar.currentline;
			snprintf(in->last_src, sizeof(in->last_src), "%s",
			    ar.short_src);
			return;
		}
#else
	(void)in;
#endif
}

/* lb_sandbox_alloc - the per-interpreter allocator with its cap */
void *
lb_sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct lb_interp *in = ud;
	size_t old = ptr ? osize : 0;
	void *p;

	if (nsize == 0) {
		free(ptr);
		in->mem_used -= old;
		return NULL;
	}
	if (nsize > old && in->mem_max != 0 &&
	    (nsize - old > in->mem_max || in->mem_used + (nsize - old) >
	    in->mem_max)) {
		if (!in->mem_hit)
			note_where(in);
		in->mem_hit = 1;
		return NULL;
	}
	if ((p = realloc(ptr, nsize)) == NULL)
		return NULL;
	in->mem_used = in->mem_used - old + nsize;
	return p;
}

/* lb_sandbox_kill_message - the error text for a killed call */
void
lb_sandbox_kill_message(lua_State *L, struct lb_interp *in)
{
	if (in->killed == LB_KILL_TIME)
		lua_pushfstring(L, "%s:%d: script timed out after %d ms",
		    in->last_src, in->last_line, (int)in->st->timeout_ms);
	else
		lua_pushfstring(L, "%s:%d: memory limit exceeded (%d KiB)",
		    in->last_src, in->last_line,
		    (int)(in->mem_max / 1024));
}

/*
 * lb_sandbox_hook - the count lb_sandbox_hook: note the line (for a later memory error), stop at
 * the deadline. Only the line is read here: the source name costs a copy
 * and is read when the call is stopped.
 */
void
lb_sandbox_hook(lua_State *L, lua_Debug *ar)
{
	struct lb_interp *in = lb_interp_of(L);

	if (lua_getinfo(L, "l", ar) && ar->currentline > 0)
		in->last_line = ar->currentline;
	if (in->deadline == 0)
		return;
	if (in->killed == LB_KILL_NONE && lb_mono_ns() < in->deadline)
		return;
	if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0) {
		in->last_line = ar->currentline;
		snprintf(in->last_src, sizeof(in->last_src), "%s",
		    ar->short_src);
	}
	in->killed = LB_KILL_TIME;
	lb_sandbox_kill_message(L, in);
	lua_error(L);
}

/*
 * lb_deadline_check - for C code that runs long without Lua instructions
 * (the pattern matcher): stop the call when it is out of time.
 */
void
lb_deadline_check(lua_State *L)
{
	struct lb_interp *in = lb_interp_of(L);
	lua_Debug ar;
	int level;

	if (in == NULL || in->deadline == 0)
		return;
	if (in->killed == LB_KILL_NONE && lb_mono_ns() < in->deadline)
		return;
	for (level = 1; lua_getstack(L, level, &ar); level++)
		if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
			in->last_line = ar.currentline;
			snprintf(in->last_src, sizeof(in->last_src), "%s",
			    ar.short_src);
			break;
		}
	in->killed = LB_KILL_TIME;
	lb_sandbox_kill_message(L, in);
	lua_error(L);
}

/* check_killed - after a protected call inside the script: rethrow kills */
static void
check_killed(lua_State *L, int failed)
{
	struct lb_interp *in = lb_interp_of(L);

	if (in->killed == LB_KILL_NONE && in->mem_hit && failed)
		in->killed = LB_KILL_MEM;
	if (in->killed != LB_KILL_NONE) {
		lb_sandbox_kill_message(L, in);
		lua_error(L);
	}
}

/*
 * lb_cstack_check - refuse to go deeper when this call has used more than
 * LB_CSTACK_MAX bytes of C stack since the bridge called the script. Lua
 * itself stops at 200 nested C calls, but some of those (string.gsub with
 * a function, string.format through __tostring, require) take kilobytes
 * each, and the front ends run sessions on small thread stacks.
 */
void
lb_cstack_check(lua_State *L)
{
	struct lb_interp *in = lb_interp_of(L);
	char here;
	uintptr_t a = (uintptr_t)&here, b = in ? in->stack_base : 0;

	if (b != 0 && (a > b ? a - b : b - a) > LB_CSTACK_MAX)
		luaL_error(L, "C stack overflow (nesting too deep)");
}

/* guard_cont - continuation of lb_cguard */
static int
guard_cont(lua_State *L, int status, lua_KContext ctx)
{
	(void)status;
	(void)ctx;
	return lua_gettop(L);
}

/* lb_cguard - call upvalue 1 after a C stack check */
static int
lb_cguard(lua_State *L)
{
	lb_cstack_check(L);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, guard_cont);
	return lua_gettop(L);
}

/* guard - replace table[name] by lb_cguard around it */
static void
guard(lua_State *L, int t, const char *name)
{
	t = lua_absindex(L, t);
	lua_getfield(L, t, name);
	lua_pushcclosure(L, lb_cguard, 1);
	lua_setfield(L, t, name);
}

/* lb_cowrap - coroutine.wrap, whose result is guarded too */
static int
lb_cowrap(lua_State *L)
{
	lb_cstack_check(L);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	lua_pushcclosure(L, lb_cguard, 1);
	return 1;
}

/* pcall_cont - continuation of the pcall/xpcall/resume wrappers */
static int
pcall_cont(lua_State *L, int status, lua_KContext ctx)
{
	(void)status;
	(void)ctx;
	check_killed(L, lua_gettop(L) > 0 && !lua_toboolean(L, 1));
	return lua_gettop(L);
}

/* lb_pcall - pcall, xpcall, coroutine.resume, coroutine.close, wrapped */
static int
lb_pcall(lua_State *L)
{
	lb_cstack_check(L);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, pcall_cont);
	return pcall_cont(L, LUA_OK, 0);
}

/* wrap_protected - replace table[name] by lb_pcall around it */
static void
wrap_protected(lua_State *L, int t, const char *name)
{
	t = lua_absindex(L, t);
	lua_getfield(L, t, name);
	lua_pushcclosure(L, lb_pcall, 1);
	lua_setfield(L, t, name);
}

/*
 * Sandbox.
 */

/* lb_load - load() of text chunks only */
static int
lb_load(lua_State *L)
{
	int top = lua_gettop(L);
	int nargs = top < 3 ? 3 : top;

	lb_cstack_check(L);
	lua_settop(L, nargs);
	lua_pushliteral(L, "t");
	lua_replace(L, 3);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, nargs, LUA_MULTRET);
	return lua_gettop(L);
}

/* lb_print - print() goes to the log at info level */
static int
lb_print(lua_State *L)
{
	struct lb_interp *in = lb_interp_of(L);
	luaL_Buffer b;
	int i, n = lua_gettop(L);
	const char *s;
	lua_Debug ar;
	int line = 0;

	lb_cstack_check(L);
	luaL_buffinit(L, &b);
	for (i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	s = lua_tostring(L, -1);
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar))
		line = ar.currentline;
	in->st->host->log(in->cur_s, PG_LOG_INFO, "%s:%d: %s",
	    in->st->script, line, s);
	return 0;
}

/* valid_module_name - letters, digits, _ and - separated by dots */
static int
valid_module_name(const char *s)
{
	const char *p;

	if (*s == '\0' || *s == '.' || strlen(s) > 200)
		return 0;
	for (p = s; *p; p++) {
		if (*p == '.' && (p[1] == '.' || p[1] == '\0'))
			return 0;
		if (!(*p == '.' || *p == '_' || *p == '-' ||
		    (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9')))
			return 0;
	}
	return 1;
}

/* lb_require - require "phasegate", or a text module from the path dirs */
static int
lb_require(lua_State *L)
{
	struct lb_interp *in = lb_interp_of(L);
	const char *name = luaL_checkstring(L, 1), *dirs, *end;
	char rel[256], file[1024], why[1400];
	size_t i;
	FILE *fp;

	lb_cstack_check(L);
	if (strcmp(name, "phasegate") == 0) {
		lua_getfield(L, LUA_REGISTRYINDEX, REG_MODULE);
		return 1;
	}
	if (!valid_module_name(name))
		return luaL_error(L, "require: invalid module name '%s'", name);
	lua_getfield(L, LUA_REGISTRYINDEX, REG_LOADED);
	if (lua_getfield(L, -1, name) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	snprintf(rel, sizeof(rel), "%s", name);
	for (i = 0; rel[i]; i++)
		if (rel[i] == '.')
			rel[i] = '/';
	for (dirs = in->st->path; dirs && *dirs; dirs = *end ? end + 1 : end) {
		end = strchr(dirs, ';');
		if (end == NULL)
			end = dirs + strlen(dirs);
		if (end == dirs)
			continue;
		snprintf(file, sizeof(file), "%.*s/%s.lua", (int)(end - dirs),
		    dirs, rel);
		if ((fp = fopen(file, "r")) == NULL)
			continue;
		fclose(fp);
		if (file_check_writers(file, why, sizeof(why)) == -1)
			return luaL_error(L, "require '%s': %s", name, why);
		if (luaL_loadfilex(L, file, "t") != LUA_OK)
			return luaL_error(L, "require '%s': %s", name,
			    lua_tostring(L, -1));
		lua_pushstring(L, name);
		lua_pushstring(L, file);
		lua_call(L, 2, 1);
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
			lua_pushboolean(L, 1);
		}
		lua_pushvalue(L, -1);
		lua_setfield(L, -3, name);
		return 1;
	}
	return luaL_error(L, "module '%s' not found in the script path '%s'",
	    name, in->st->path ? in->st->path : "");
}

/* lb_sandbox_open - the libraries a script gets (run protected) */
void
lb_sandbox_open(lua_State *L)
{
	static const char *const base_drop[] = {
		"dofile", "loadfile", "collectgarbage", NULL
	};
	static const char *const os_keep[] = { "time", "clock", "date", NULL };
	int i;

	luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
	lua_pop(L, 1);
	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lb_strpat_open(L, -1);	/* find, match, gmatch, gsub that time out */
	guard(L, -1, "gsub");
	guard(L, -1, "format");
	lua_pop(L, 1);
	luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
	guard(L, -1, "concat");
	guard(L, -1, "sort");
	luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
	luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
	luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
	wrap_protected(L, -1, "resume");
	wrap_protected(L, -1, "close");
	lua_getfield(L, -1, "wrap");
	lua_pushcclosure(L, lb_cowrap, 1);
	lua_setfield(L, -2, "wrap");
	lua_pop(L, 4);

	lua_pushcfunction(L, luaopen_os);
	lua_call(L, 0, 1);
	lua_createtable(L, 0, 3);
	for (i = 0; os_keep[i]; i++) {
		lua_getfield(L, -2, os_keep[i]);
		lua_setfield(L, -2, os_keep[i]);
	}
	lua_setglobal(L, "os");
	lua_pop(L, 1);

	lua_pushglobaltable(L);
	for (i = 0; base_drop[i]; i++) {
		lua_pushnil(L);
		lua_setfield(L, -2, base_drop[i]);
	}
	wrap_protected(L, -1, "pcall");
	wrap_protected(L, -1, "xpcall");
	guard(L, -1, "tostring");
	lua_getfield(L, -1, "load");
	lua_pushcclosure(L, lb_load, 1);
	lua_setfield(L, -2, "load");
	lua_pushcfunction(L, lb_print);
	lua_setfield(L, -2, "print");
	lua_pushcfunction(L, lb_require);
	lua_setfield(L, -2, "require");
	lua_pop(L, 1);
}
