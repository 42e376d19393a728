/*
 * lua_bridge - Lua scripts as filters: the built-in plugin "lua"
 *
 * Public: lua_bridge_plugin, lua_bridge_stats(); to the other lua/ files:
 * lb_phase_name(), lb_box_push(), lb_box_check().
 *
 * init() compiles the script once (text only), keeps its bytecode, and
 * builds the first interpreter of a pool; more are made on demand up to
 * LB_POOL_MAX, after which callers wait for a free one (a fiber parks, so
 * a full pool never blocks a worker thread: a session parked in a DNS
 * lookup holds its interpreter). No lock is held while a script runs. All state hangs off the struct lb_state that init()
 * returns, so two generations of the same script live side by side; the
 * only process-wide state is pg.store (the host's store, through the host table), shared on purpose.
 *
 * Each interpreter is a sandbox with a deadline and a memory cap
 * (lua_sandbox.c). After a kill, a memory failure, or an error inside
 * error handling (stack overflow), the interpreter is closed and a fresh
 * one serves the next call.
 *
 * Phases: handlers are registered with pg.on() only while the top level
 * runs (later, pg.on raises an error), and every interpreter of the pool
 * must register the same ones, so the counts init() records are final:
 * phases() reports exactly the phases with at least one handler, plus the
 * body with an eom handler (tx:body() cannot be seen statically, and the
 * body is there only at eom).
 *
 * Objects: session, tx and vars userdata hold a pointer and the id of the
 * call that made them; every call gets a new id, so an object kept past
 * its call raises "attempt to use a finished transaction".
 *
 * Errors never escape as crashes: every handler runs under lua_pcall()
 * with a traceback handler, returns are type-checked, and failures become
 * PG_ERROR with "script:line: message" in the reply text.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "fiber.h"
#include "file.h"
#include "lua_bridge.h"
#include "lua_int.h"

#define LB_DEFAULT_TIMEOUT_MS	200
#define LB_DEFAULT_MEMORY_MAX	(64 * 1024 * 1024)

#define REG_HANDLERS	"phasegate.handlers"

static const char *const phase_names[LB_NPHASES + 1] = {
	"connect", "helo", "mail", "rcpt", "data", "header", "eoh", "eom",
	"close", NULL
};

const char *
lb_phase_name(enum lb_phase p)
{
	return p < LB_NPHASES ? phase_names[p] : "?";
}

/*
 * Boxes.
 */

void
lb_box_push(lua_State *L, const char *mt, void *p)
{
	struct lb_box *b = lua_newuserdatauv(L, sizeof(*b), 0);

	b->p = p;
	b->call = lb_interp_of(L)->call;
	luaL_setmetatable(L, mt);
}

void *
lb_box_check(lua_State *L, int idx, const char *mt, const char *what)
{
	struct lb_box *b = luaL_checkudata(L, idx, mt);
	struct lb_interp *in = lb_interp_of(L);

	if (b->p == NULL || !in->in_call || b->call != in->call)
		luaL_error(L, "attempt to use a finished %s", what);
	return b->p;
}

void *
lb_udata(lua_State *L, int idx, int mtidx, const char *tname)
{
	void *p = lua_touserdata(L, idx);
	int same;

	/* lua_topointer() of a missing upvalue is NULL: never the same */
	if (p != NULL && lua_getmetatable(L, idx)) {
		same = lua_topointer(L, -1) == lua_topointer(L, mtidx);
		lua_pop(L, 1);
		if (same)
			return p;
	}
	return luaL_checkudata(L, idx, tname);
}

/* lb_on - pg.on(phase, fn): register a handler while the script loads */
static int
lua_pg_on(lua_State *L)
{
	struct lb_interp *in = lb_interp_of(L);
	int p = luaL_checkoption(L, 1, NULL, phase_names);

	luaL_checktype(L, 2, LUA_TFUNCTION);
	if (!in->loading)
		return luaL_error(L, "pg.on: handlers can only be registered"
		    " while the script loads");
	lua_getfield(L, LUA_REGISTRYINDEX, REG_HANDLERS);
	lua_rawgeti(L, -1, p + 1);
	lua_pushvalue(L, 2);
	lua_rawseti(L, -2, (lua_Integer)luaL_len(L, -2) + 1);
	in->nhandlers[p]++;
	return 0;
}

/* setup - build the sandbox, the handler tables and the modules (run protected) */
static int
setup(lua_State *L)
{
	int i;

	lb_sandbox_open(L);
	lua_createtable(L, LB_NPHASES, 0);
	for (i = 0; i < LB_NPHASES; i++) {
		lua_newtable(L);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, LUA_REGISTRYINDEX, REG_HANDLERS);
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, REG_LOADED);

	lb_session_open(L);
	lb_tx_open(L);
	lb_part_open(L);
	lb_vars_open(L);
	lb_regex_open(L);
	lb_map_open(L);
	lb_pg_open(L);
	lua_pushcfunction(L, lua_pg_on);
	lua_setfield(L, -2, "on");
	lua_setfield(L, LUA_REGISTRYINDEX, REG_MODULE);
	return 0;
}

/* first_lua_frame - "src:line" of the innermost Lua function on the stack */
static int
first_lua_frame(lua_State *L, char *buf, size_t len)
{
	lua_Debug ar;
	int level;

	for (level = 0; lua_getstack(L, level, &ar); level++)
		if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
			snprintf(buf, len, "%s:%d", ar.short_src,
			    ar.currentline);
			return 1;
		}
	return 0;
}

/* has_position - whether msg starts with "something:123:" */
static int
has_position(const char *msg)
{
	const char *p = strchr(msg, ':');

	if (p == NULL || p == msg || memchr(msg, '\n', (size_t)(p - msg)))
		return 0;
	if (p[1] < '0' || p[1] > '9')
		return 0;
	for (p++; *p >= '0' && *p <= '9'; p++)
		;
	return *p == ':';
}

/* msgh - the message handler: position and traceback */
static int
msgh(lua_State *L)
{
	struct lb_interp *in = lb_interp_of(L);
	const char *msg = lua_tostring(L, 1);
	char where[128];

	if (in->killed != LB_KILL_NONE) {
		lb_sandbox_kill_message(L, in);
		msg = lua_tostring(L, -1);
	} else if (msg == NULL) {
		if (luaL_callmeta(L, 1, "__tostring") &&
		    lua_type(L, -1) == LUA_TSTRING)
			msg = lua_tostring(L, -1);
		else
			msg = lua_pushfstring(L, "(error object is a %s value)",
			    luaL_typename(L, 1));
	}
	if (!has_position(msg) && first_lua_frame(L, where, sizeof(where)))
		msg = lua_pushfstring(L, "%s: %s", where, msg);
	luaL_traceback(L, L, msg, 1);
	return 1;
}

/* error_text - copy the first part of an error (before the traceback) */
static void
error_text(char *dst, size_t len, const char *msg)
{
	const char *tb = strstr(msg, "\nstack traceback:");
	size_t n = tb ? (size_t)(tb - msg) : strlen(msg);
	size_t i, j;

	/* One line, no control bytes: it goes into a log and a reply. */
	for (i = j = 0; i < n && j + 1 < len; i++) {
		unsigned char c = (unsigned char)msg[i];

		dst[j++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	dst[j] = '\0';
}

/* begin_call / end_call - limits and object ids around a call */
static void
begin_call(struct lb_interp *in, struct pg_session *s)
{
	in->call++;
	in->in_call = 1;
	in->cur_s = s;
	in->killed = LB_KILL_NONE;
	in->mem_hit = 0;
	in->deadline = lb_mono_ns() + in->st->timeout_ms * 1000000ULL;
	if (in->deadline == 0)
		in->deadline = 1;
}

static void
end_call(struct lb_interp *in)
{
	in->call++;
	in->in_call = 0;
	in->cur_s = NULL;
	in->link_tx = NULL;
	in->link_arr = NULL;
	in->deadline = 0;
	lua_settop(in->L, 0);
}

/* interp_close - close an interpreter */
static void
interp_close(struct lb_interp *in)
{
	if (in == NULL)
		return;
	if (in->L)
		lua_close(in->L);
	free(in);
}

/* dump_writer - lua_dump() into a growing buffer */
static int
dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
	struct lb_state *st = ud;
	char *n;

	(void)L;
	if ((n = realloc(st->chunk, st->chunklen + sz)) == NULL)
		return 1;
	memcpy(n + st->chunklen, p, sz);
	st->chunk = n;
	st->chunklen += sz;
	return 0;
}

/*
 * interp_new - a new interpreter with the script loaded and its top level
 * run. The first one (st->chunk still NULL) compiles the file and keeps
 * the bytecode; the others load that bytecode.
 */
static struct lb_interp *
interp_new(struct lb_state *st, char *err, size_t errlen)
{
	struct lb_interp *in;
	lua_State *L;
	int rc, i;
	char stack_mark;

	if ((in = calloc(1, sizeof(*in))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", st->script);
		return NULL;
	}
	in->st = st;
	in->mem_max = st->memory_max;
	snprintf(in->last_src, sizeof(in->last_src), "%s", st->script);
	if ((L = lua_newstate(lb_sandbox_alloc, in)) == NULL) {
		snprintf(err, errlen, "%s: cannot create a Lua state",
		    st->script);
		free(in);
		return NULL;
	}
	in->L = L;
	*(struct lb_interp **)lua_getextraspace(L) = in;
	lua_sethook(L, lb_sandbox_hook, LUA_MASKCOUNT, LB_HOOK_COUNT);
	lua_pushcfunction(L, setup);
	if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
		snprintf(err, errlen, "%s: cannot set up the interpreter: %s",
		    st->script, lua_tostring(L, -1) ? lua_tostring(L, -1) :
		    "not enough memory");
		goto fail;
	}
	lua_pushcfunction(L, msgh);
	if (st->chunk == NULL) {
		if (file_check_writers(st->script, err, errlen) == -1)
			goto fail;
		rc = luaL_loadfilex(L, st->script, "t");
		if (rc == LUA_OK &&
		    lua_dump(L, dump_writer, st, 0) != 0) {
			snprintf(err, errlen, "%s: out of memory", st->script);
			goto fail;
		}
	} else
		rc = luaL_loadbufferx(L, st->chunk, st->chunklen,
		    st->script, "b");
	if (rc != LUA_OK) {
		error_text(err, errlen, lua_tostring(L, -1) ?
		    lua_tostring(L, -1) : "not enough memory");
		goto fail;
	}
	in->loading = 1;
	in->stack_base = (uintptr_t)&stack_mark;
	begin_call(in, NULL);
	rc = lua_pcall(L, 0, 0, 1);
	if (rc != LUA_OK) {
		if (in->killed != LB_KILL_NONE || rc == LUA_ERRMEM) {
			if (in->killed == LB_KILL_NONE)
				in->killed = LB_KILL_MEM;
			lb_sandbox_kill_message(L, in);
		}
		error_text(err, errlen, lua_tostring(L, -1) ?
		    lua_tostring(L, -1) : "error");
		end_call(in);
		goto fail;
	}
	end_call(in);
	in->loading = 0;
	for (i = 0; i < LB_NPHASES; i++)
		if (st->created > 0 && in->nhandlers[i] != st->nhandlers[i]) {
			snprintf(err, errlen, "%s: the script registered other"
			    " handlers in a new interpreter", st->script);
			goto fail;
		}
	return in;
fail:
	interp_close(in);
	return NULL;
}

/*
 * The pool.
 */

/*
 * wait_free - wait for checkin() (the mutex held): a thread on the
 * condition variable, a fiber parked in the waiter queue, so that a full
 * pool never blocks a worker thread while the holders are parked in DNS
 */
static void
wait_free(struct lb_state *st)
{
	struct lb_waiter w = { fiber_current(), NULL, 1 }, **pp;

	if (w.f == NULL) {
		pthread_cond_wait(&st->cv, &st->mu);
		return;
	}
	if (st->wtail != NULL)
		st->wtail->next = &w;
	else
		st->whead = &w;
	st->wtail = &w;
	pthread_mutex_unlock(&st->mu);
	(void)fiber_park(0);
	pthread_mutex_lock(&st->mu);
	if (!w.queued)
		return;
	/* woken by something else: leave the queue */
	for (pp = &st->whead; *pp != NULL; pp = &(*pp)->next)
		if (*pp == &w) {
			*pp = w.next;
			break;
		}
	st->wtail = NULL;
	for (pp = &st->whead; *pp != NULL; pp = &(*pp)->next)
		st->wtail = *pp;
}

/* wake_one - a waiting thread and the first waiting fiber (the mutex held) */
static void
wake_one(struct lb_state *st)
{
	struct lb_waiter *w;

	pthread_cond_signal(&st->cv);
	if ((w = st->whead) != NULL) {
		if ((st->whead = w->next) == NULL)
			st->wtail = NULL;
		w->queued = 0;
		fiber_unpark(w->f);
	}
}

/* checkout - a free interpreter, a new one, or wait for one */
static struct lb_interp *
checkout(struct lb_state *st, char *err, size_t errlen)
{
	struct lb_interp *in;

	pthread_mutex_lock(&st->mu);
	while (st->free_list == NULL && st->ninterp >= st->max_interp)
		wait_free(st);
	if ((in = st->free_list) != NULL) {
		st->free_list = in->next_free;
		pthread_mutex_unlock(&st->mu);
		in->next_free = NULL;
		return in;
	}
	st->ninterp++;
	pthread_mutex_unlock(&st->mu);
	if ((in = interp_new(st, err, errlen)) == NULL) {
		pthread_mutex_lock(&st->mu);
		st->ninterp--;
		wake_one(st);
		pthread_mutex_unlock(&st->mu);
		return NULL;
	}
	pthread_mutex_lock(&st->mu);
	st->created++;
	pthread_mutex_unlock(&st->mu);
	return in;
}

/* checkin - give an interpreter back, or close it when discard */
static void
checkin(struct lb_state *st, struct lb_interp *in, int discard)
{
	pthread_mutex_lock(&st->mu);
	if (discard)
		st->ninterp--;
	else {
		in->next_free = st->free_list;
		st->free_list = in;
	}
	wake_one(st);
	pthread_mutex_unlock(&st->mu);
	if (discard)
		interp_close(in);
}

void
lua_bridge_stats(void *state, struct lua_bridge_stats *out)
{
	struct lb_state *st = state;
	struct lb_interp *in;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&st->mu);
	out->interps = st->ninterp;
	out->created = st->created;
	for (in = st->free_list; in; in = in->next_free) {
		out->idle++;
		out->idle_bytes += in->mem_used;
	}
	pthread_mutex_unlock(&st->mu);
}

/*
 * Calls.
 */

struct call {
	enum lb_phase	 phase;
	struct pg_session *s;
	struct pg_tx	*tx;
	const char	*a1, *a2;	/* string arguments, NULL: none */
	int		 nstr;
};

/* verdict_of - check a handler's results: -1 error (message pushed) */
static int
verdict_of(lua_State *L, int base, enum lb_phase phase, int fn,
    struct pg_reply *reply)
{
	const char *what;
	lua_Debug ar;
	int n = lua_gettop(L) - base, line = 0;
	struct lb_verdict *vd;

	if (n == 0 || (n == 1 && lua_isnil(L, base + 1)))
		return PG_CONTINUE;
	if (n == 1 && (vd = luaL_testudata(L, base + 1, LB_MT_VERDICT))) {
		if (phase == LB_CLOSE && vd->v != PG_CONTINUE) {
			what = "a verdict from a close handler (ignored)";
			goto bad;
		}
		snprintf(reply->text, sizeof(reply->text), "%s", vd->text);
		return vd->v;
	}
	what = n > 1 ? "several values" : luaL_typename(L, base + 1);
bad:
	lua_pushvalue(L, fn);
	if (lua_getinfo(L, ">S", &ar))
		line = ar.linedefined;
	lua_pushfstring(L, "%s:%d: the %s handler returned %s, expected"
	    " nothing or pg.accept/reject/tempfail/discard()",
	    ar.short_src, line, lb_phase_name(phase), what);
	return -1;
}

/*
 * run - run every handler of c->phase on a pooled interpreter; the first
 * verdict other than continue ends the phase.
 */
static enum pg_verdict
run(struct lb_state *st, const struct call *c, struct pg_reply *reply)
{
	struct lb_interp *in;
	lua_State *L;
	lua_Integer i, n;
	int rc, v = PG_CONTINUE, discard = 0, nargs;
	char err[PG_REPLY_MAX], stack_mark;
	struct pg_session *s = c->s;

	if (st->nhandlers[c->phase] == 0)
		return PG_CONTINUE;
	if ((in = checkout(st, err, sizeof(err))) == NULL) {
		snprintf(reply->text, sizeof(reply->text), "%s", err);
		return PG_ERROR;
	}
	L = in->L;
	if (s == NULL && c->tx != NULL)
		s = st->host->tx_session(c->tx);
	in->stack_base = (uintptr_t)&stack_mark;
	begin_call(in, s);
	lua_pushcfunction(L, msgh);				/* 1 */
	lua_getfield(L, LUA_REGISTRYINDEX, REG_HANDLERS);	/* 2 */
	lua_rawgeti(L, 2, c->phase + 1);			/* 3 */
	n = (lua_Integer)lua_rawlen(L, 3);
	for (i = 1; i <= n && v == PG_CONTINUE; i++) {
		lua_rawgeti(L, 3, i);				/* 4: fn */
		lua_pushvalue(L, 4);
		if (c->tx)
			lb_tx_push(L, c->tx);
		else
			lb_session_push(L, c->s);
		nargs = 1;
		if (c->nstr > 0) {
			lua_pushstring(L, c->a1 ? c->a1 : "");
			nargs++;
		}
		if (c->nstr > 1) {
			lua_pushstring(L, c->a2 ? c->a2 : "");
			nargs++;
		}
		rc = lua_pcall(L, nargs, LUA_MULTRET, 1);
		if (rc != LUA_OK) {
			if (in->killed != LB_KILL_NONE || rc == LUA_ERRMEM ||
			    in->mem_hit) {
				if (in->killed == LB_KILL_NONE)
					in->killed = LB_KILL_MEM;
				lb_sandbox_kill_message(L, in);
			}
			error_text(reply->text, sizeof(reply->text),
			    lua_tostring(L, -1) ? lua_tostring(L, -1) :
			    "error");
			if (lua_tostring(L, -1) &&
			    strstr(lua_tostring(L, -1), "\nstack traceback:"))
				st->host->log(s, PG_LOG_DEBUG, "%s",
				    lua_tostring(L, -1));
			if (in->killed != LB_KILL_NONE || rc == LUA_ERRERR ||
			    strstr(reply->text, "stack overflow"))
				discard = 1;
			v = PG_ERROR;
			break;
		}
		rc = verdict_of(L, 4, c->phase, 4, reply);
		if (rc == -1) {
			error_text(reply->text, sizeof(reply->text),
			    lua_tostring(L, -1));
			v = PG_ERROR;
			break;
		}
		v = rc;
		lua_settop(L, 3);
	}
	if (in->mem_hit)
		discard = 1;
	end_call(in);
	checkin(st, in, discard);
	return (enum pg_verdict)v;
}

/*
 * The plugin.
 */

/* parse_uint - a decimal option value */
static int
parse_uint(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static void
lb_fini(void *state)
{
	struct lb_state *st = state;
	struct lb_interp *in, *next;

	if (st == NULL)
		return;
	for (in = st->free_list; in; in = next) {
		next = in->next_free;
		interp_close(in);
	}
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv);
	free(st->script);
	free(st->path);
	free(st->confdir);
	free(st->chunk);
	free(st);
}

static int
lb_init(const struct pg_host *host, const struct pg_options *opts,
    void **state, char *err, size_t errlen)
{
	struct lb_state *st;
	struct lb_interp *in;
	const char *k, *v;
	uint64_t u;
	size_t i, n;

	if (host == NULL || host->abi != PG_PLUGIN_ABI ||
	    host->size < sizeof(struct pg_host)) {
		snprintf(err, errlen, "lua: host ABI mismatch");
		return -1;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "lua: out of memory");
		return -1;
	}
	st->host = host;
	st->timeout_ms = LB_DEFAULT_TIMEOUT_MS;
	st->memory_max = LB_DEFAULT_MEMORY_MAX;
	st->max_interp = LB_POOL_MAX;
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	n = host->opt_count(opts);
	for (i = 0; i < n; i++) {
		k = host->opt_key(opts, i);
		v = host->opt_value(opts, i);
		if (strcmp(k, "script") == 0 || strcmp(k, "path") == 0 ||
		    strcmp(k, "config_dir") == 0) {
			char **dst = k[0] == 's' ? &st->script : k[0] == 'p' ?
			    &st->path : &st->confdir;

			free(*dst);
			if ((*dst = strdup(v)) == NULL) {
				snprintf(err, errlen, "lua: out of memory");
				goto fail;
			}
		} else if (strcmp(k, "timeout_ms") == 0) {
			if (parse_uint(v, &u) == -1 || u == 0 ||
			    u > 24ULL * 3600 * 1000) {
				snprintf(err, errlen, "lua: bad timeout_ms"
				    " '%s'", v);
				goto fail;
			}
			st->timeout_ms = u;
		} else if (strcmp(k, "memory_max") == 0) {
			if (parse_uint(v, &u) == -1 ||
			    (u != 0 && u < 64 * 1024)) {
				snprintf(err, errlen, "lua: bad memory_max '%s'"
				    " (at least 64k)", v);
				goto fail;
			}
			st->memory_max = (size_t)u;
		} else if (strcmp(k, "on_error") == 0) {
			/* the host's */
		} else {
			snprintf(err, errlen, "unknown option '%s' for a"
			    " script (only script and on_error)", k);
			goto fail;
		}
	}
	if (st->script == NULL || *st->script == '\0') {
		snprintf(err, errlen, "lua: no script given");
		goto fail;
	}
	if ((in = interp_new(st, err, errlen)) == NULL)
		goto fail;
	memcpy(st->nhandlers, in->nhandlers, sizeof(st->nhandlers));
	st->ninterp = 1;
	st->created = 1;
	st->free_list = in;
	*state = st;
	return 0;
fail:
	lb_fini(st);
	return -1;
}

/*
 * lb_phases - the phases the script registered handlers for; the body when
 * it has an eom handler (which may call tx:body()).
 */
static uint32_t
lb_phases(void *state)
{
	static const uint32_t bit[LB_NPHASES] = {
		[LB_CONNECT] = PG_PHASE_CONNECT, [LB_HELO] = PG_PHASE_HELO,
		[LB_MAIL] = PG_PHASE_MAIL, [LB_RCPT] = PG_PHASE_RCPT,
		[LB_DATA] = PG_PHASE_DATA, [LB_HEADER] = PG_PHASE_HEADER,
		[LB_EOH] = PG_PHASE_EOH, [LB_EOM] = PG_PHASE_EOM,
		[LB_CLOSE] = PG_PHASE_CLOSE
	};
	const struct lb_state *st = state;
	uint32_t m = 0;
	int i;

	for (i = 0; i < LB_NPHASES; i++)
		if (st->nhandlers[i] > 0)
			m |= bit[i];
	if (st->nhandlers[LB_EOM] > 0)
		m |= PG_PHASE_BODY;
	return m;
}

static enum pg_verdict
lb_on_connect(void *state, struct pg_session *s, struct pg_reply *r)
{
	struct call c = { .phase = LB_CONNECT, .s = s };

	return run(state, &c, r);
}

static enum pg_verdict
lb_on_helo(void *state, struct pg_session *s, const char *name,
    struct pg_reply *r)
{
	struct call c = { .phase = LB_HELO, .s = s, .a1 = name, .nstr = 1 };

	return run(state, &c, r);
}

static enum pg_verdict
lb_on_mail(void *state, struct pg_tx *tx, const char *sender,
    struct pg_reply *r)
{
	struct call c = { .phase = LB_MAIL, .tx = tx, .a1 = sender,
	    .nstr = 1 };

	return run(state, &c, r);
}

static enum pg_verdict
lb_on_rcpt(void *state, struct pg_tx *tx, const char *rcpt,
    struct pg_reply *r)
{
	struct call c = { .phase = LB_RCPT, .tx = tx, .a1 = rcpt, .nstr = 1 };

	return run(state, &c, r);
}

static enum pg_verdict
lb_on_data(void *state, struct pg_tx *tx, struct pg_reply *r)
{
	struct call c = { .phase = LB_DATA, .tx = tx };

	return run(state, &c, r);
}

static enum pg_verdict
lb_on_header(void *state, struct pg_tx *tx, const char *name,
    const char *value, struct pg_reply *r)
{
	struct call c = { .phase = LB_HEADER, .tx = tx, .a1 = name,
	    .a2 = value, .nstr = 2 };

	return run(state, &c, r);
}

static enum pg_verdict
lb_on_eoh(void *state, struct pg_tx *tx, struct pg_reply *r)
{
	struct call c = { .phase = LB_EOH, .tx = tx };

	return run(state, &c, r);
}

static enum pg_verdict
lb_on_eom(void *state, struct pg_tx *tx, struct pg_reply *r)
{
	struct call c = { .phase = LB_EOM, .tx = tx };

	return run(state, &c, r);
}

static void
lb_on_close(void *state, struct pg_session *s)
{
	struct lb_state *st = state;
	struct call c = { .phase = LB_CLOSE, .s = s };
	struct pg_reply r;

	r.text[0] = '\0';
	if (run(st, &c, &r) == PG_ERROR)
		st->host->log(s, PG_LOG_ERR, "%s", r.text);
}

const struct pg_plugin lua_bridge_plugin = {
	.abi = PG_PLUGIN_ABI,
	.size = sizeof(struct pg_plugin),
	.name = "lua",
	.flags = PG_PLUGIN_F_BODY | PG_PLUGIN_F_CHANGES,
	.init = lb_init,
	.fini = lb_fini,
	.on_connect = lb_on_connect,
	.on_helo = lb_on_helo,
	.on_mail = lb_on_mail,
	.on_rcpt = lb_on_rcpt,
	.on_data = lb_on_data,
	.on_header = lb_on_header,
	.on_eoh = lb_on_eoh,
	.on_eom = lb_on_eom,
	.on_close = lb_on_close,
	.phases = lb_phases,
};
