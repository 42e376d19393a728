/*
 * lua_pg - the "phasegate" module: verdicts, logging, pg.store, and the
 * argument checks the object methods share
 *
 * Public (to lua/): lb_pg_open(), lb_check_addr(), lb_check_header_name(),
 * lb_check_text(), lb_pg_funcs, lb_log_funcs, lb_store_funcs, lb_pg_fields.
 * pg.on is added by lua_bridge.c, pg.regex lives in lua_regex.c, pg.dns
 * and pg.dnsbl in lua_dns.c.
 *
 * Script input is untrusted: a reply of the wrong class, a CR or LF inside
 * a reply line, a header name with a colon or space, an address that is
 * not one, all raise a Lua error at the caller's line.
 */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lua_int.h"

/*
 * Argument checks.
 */

int
lb_check_addr(lua_State *L, int idx, char *dst, size_t dstlen)
{
	size_t len, i;
	const char *a = luaL_checklstring(L, idx, &len);
	int quoted = 0, at = -1;

	if (len >= 2 && a[0] == '<' && a[len - 1] == '>') {
		a++;
		len -= 2;
	}
	if (len + 1 > dstlen || len > 512)
		return luaL_error(L, "not an address (too long)");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c < 0x20 || c == 0x7f)
			return luaL_error(L, "not an address: control"
			    " character in '%s'", luaL_tolstring(L, idx, NULL));
		if (c == '"')
			quoted = !quoted;
		else if (!quoted && (c == ' ' || c == '<' || c == '>' ||
		    c == '(' || c == ')' || c == ',' || c == ';'))
			return luaL_error(L, "not an address: '%s'",
			    lua_tostring(L, idx));
		else if (!quoted && c == '@')
			at = (int)i;
	}
	if (quoted)
		return luaL_error(L, "not an address: '%s'",
		    lua_tostring(L, idx));
	if (len > 0 && (at <= 0 || (size_t)at == len - 1) &&
	    !(len == 10 && strncasecmp(a, "postmaster", 10) == 0))
		return luaL_error(L, "not an address: '%s'",
		    lua_tostring(L, idx));
	memcpy(dst, a, len);
	dst[len] = '\0';
	return 0;
}

void
lb_check_header_name(lua_State *L, int idx, const char *fn)
{
	size_t len, i;
	const char *n = luaL_checklstring(L, idx, &len);

	if (len == 0 || len > 997)
		luaL_error(L, "%s: bad header name (empty or too long)", fn);
	for (i = 0; i < len; i++)
		if ((unsigned char)n[i] <= 32 || (unsigned char)n[i] >= 127 ||
		    n[i] == ':')
			luaL_error(L, "%s: bad header name '%s' (no colon,"
			    " space or control character allowed)", fn,
			    luaL_tolstring(L, idx, NULL));
}

void
lb_check_text(lua_State *L, int idx, const char *fn, const char *what)
{
	size_t len, i;
	const char *t = luaL_checklstring(L, idx, &len);

	for (i = 0; i < len; i++) {
		if (t[i] == '\0')
			luaL_error(L, "%s: NUL byte in the %s", fn, what);
		if (t[i] == '\r' && !(i + 1 < len && t[i + 1] == '\n'))
			luaL_error(L, "%s: bare CR in the %s", fn, what);
		if (t[i] == '\n' && !(i + 1 < len &&
		    (t[i + 1] == ' ' || t[i + 1] == '\t')))
			luaL_error(L, "%s: line break not followed by white"
			    " space in the %s", fn, what);
	}
}

/*
 * check_reply - a reply for pg.reject (class '5') or pg.tempfail ('4'):
 * lines separated by "\n"; the first starts with its code ("CCC text",
 * "CCC-text" or "CCC"), each later one may repeat that code or leave it out
 * (the host then puts it there): the rule of docs/verdicts.md, the same the
 * host applies to a C plugin's reply (host/codec/reply.c).
 */
static void
check_reply(lua_State *L, const char *text, size_t len, char cls,
    const char *fn)
{
	const char *line = text, *end, *p;
	int nlines = 0;
	size_t ll;

	if (len >= PG_REPLY_MAX)
		luaL_error(L, "%s: reply too long", fn);
	while (line < text + len) {
		end = memchr(line, '\n', (size_t)(text + len - line));
		if (end == NULL)
			end = text + len;
		ll = (size_t)(end - line);
		if (++nlines > 32)
			luaL_error(L, "%s: more than 32 reply lines", fn);
		if (ll > 510)
			luaL_error(L, "%s: reply line longer than 510 bytes",
			    fn);
		for (p = line; p < end; p++)
			if ((unsigned char)*p < 0x20 && *p != '\t')
				luaL_error(L, "%s: %s inside a reply line", fn,
				    *p == '\r' ? "CR" : "control character");
		if (ll < 3 || !isdigit((unsigned char)line[0]) ||
		    !isdigit((unsigned char)line[1]) ||
		    !isdigit((unsigned char)line[2]) ||
		    (ll > 3 && line[3] != ' ' && line[3] != '-')) {
			if (line == text)
				luaL_error(L, "%s: reply '%s' does not start "
				    "with a reply code", fn,
				    lua_pushlstring(L, line, ll));
		} else if (line == text && line[0] != cls)
			luaL_error(L, "%s: needs a %cxx reply, got '%s'", fn,
			    cls, lua_pushlstring(L, line, ll));
		else if (memcmp(line, text, 3) != 0)
			luaL_error(L, "%s: reply lines with different codes",
			    fn);
		line = end + 1;
		if (end + 1 == text + len)
			luaL_error(L, "%s: reply ends with a line break", fn);
	}
}

/* push_verdict - a verdict object */
static int
push_verdict(lua_State *L, enum pg_verdict v, const char *text, size_t len)
{
	struct lb_verdict *vd;

	vd = lua_newuserdatauv(L, sizeof(*vd) + len + 1, 0);
	vd->v = v;
	memcpy(vd->text, text, len);
	vd->text[len] = '\0';
	luaL_setmetatable(L, LB_MT_VERDICT);
	return 1;
}

/***
 * @function pg.accept()
 * Stop filtering this message (or session, at connect/HELO) and pass it.
 */
static int
lua_pg_accept(lua_State *L)
{
	return push_verdict(L, PG_ACCEPT, "", 0);
}

/***
 * @function pg.discard()
 * Accept to the client, deliver nowhere.
 */
static int
lua_pg_discard(lua_State *L)
{
	return push_verdict(L, PG_DISCARD, "", 0);
}

/* reply_verdict - pg.reject / pg.tempfail */
static int
reply_verdict(lua_State *L, enum pg_verdict v, char cls, const char *fn)
{
	size_t len = 0;
	const char *text = "";

	if (!lua_isnoneornil(L, 1)) {
		if (lua_type(L, 1) != LUA_TSTRING)
			return luaL_error(L, "%s: the reply must be a string,"
			    " not %s", fn, luaL_typename(L, 1));
		text = lua_tolstring(L, 1, &len);
		check_reply(L, text, len, cls, fn);
	}
	return push_verdict(L, v, text, len);
}

/***
 * @function pg.reject([reply])
 * Refuse with a 5xx reply (default "550 5.7.1 Message rejected").
 */
static int
lua_pg_reject(lua_State *L)
{
	return reply_verdict(L, PG_REJECT, '5', "pg.reject");
}

/***
 * @function pg.tempfail([reply])
 * Defer with a 4xx reply (default "451 4.7.1 Try again later").
 */
static int
lua_pg_tempfail(lua_State *L)
{
	return reply_verdict(L, PG_TEMPFAIL, '4', "pg.tempfail");
}

/* verdict_tostring - "pg.reject(550 ...)" */
static int
verdict_tostring(lua_State *L)
{
	static const char *const names[] = { "continue", "accept", "reject",
	    "tempfail", "discard", "error" };
	struct lb_verdict *vd = luaL_checkudata(L, 1, LB_MT_VERDICT);

	lua_pushfstring(L, "pg.%s(%s)", names[vd->v % 6], vd->text);
	return 1;
}

/*
 * Logging.
 */

/* log_at - format with string.format and log with script and line */
static int
log_at(lua_State *L, enum pg_log_level level)
{
	struct lb_interp *in = lb_interp_of(L);
	const char *msg;
	char esc[2048];
	size_t len, i, j;
	lua_Debug ar;
	int n = lua_gettop(L), line = 0;
	const char *src = in->st->script;

	lb_cstack_check(L);
	luaL_checkstring(L, 1);
	lua_pushvalue(L, lua_upvalueindex(1));		/* string.format */
	lua_insert(L, 1);
	lua_call(L, n, 1);
	msg = lua_tolstring(L, -1, &len);
	for (i = j = 0; i < len && j + 5 < sizeof(esc); i++) {
		unsigned char c = (unsigned char)msg[i];

		if (c < 0x20 || c == 0x7f || c == '\\') {
			static const char hex[] = "0123456789abcdef";

			if (c == '\\') {
				esc[j++] = '\\';
				esc[j++] = '\\';
				continue;
			}
			esc[j++] = '\\';
			esc[j++] = 'x';
			esc[j++] = hex[c >> 4];
			esc[j++] = hex[c & 15];
		} else
			esc[j++] = (char)c;
	}
	esc[j] = '\0';
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)) {
		line = ar.currentline;
		src = ar.short_src;
	}
	in->st->host->log(in->cur_s, level, "%s:%d: %s", src, line, esc);
	return 0;
}

/***
 * @function pg.log.debug(fmt, ...)
 */
static int
lua_log_debug(lua_State *L)
{
	return log_at(L, PG_LOG_DEBUG);
}

static int
lua_log_info(lua_State *L)
{
	return log_at(L, PG_LOG_INFO);
}

static int
lua_log_warn(lua_State *L)
{
	return log_at(L, PG_LOG_WARN);
}

static int
lua_log_err(lua_State *L)
{
	return log_at(L, PG_LOG_ERR);
}

/*
 * pg.store
 */

/* store_host - the host table when it has pg.store, or an error */
static const struct pg_host *
store_host(lua_State *L)
{
	const struct pg_host *h = lb_interp_of(L)->st->host;

	if (!PG_SIZE_HAS(h, struct pg_host, store_strerror) ||
	    h->store_incr == NULL)
		luaL_error(L, "pg.store: this host has no store");
	return h;
}

/*
 * store_parked - a store call (Redis: parked on the network) took the time
 * since t0: it is store.timeout's, not the script's CPU deadline's
 */
static void
store_parked(lua_State *L, uint64_t t0)
{
	struct lb_interp *in = lb_interp_of(L);

	if (in->deadline != 0)
		in->deadline += lb_mono_ns() - t0;
}

/* store_fail - raise an error for a failed store call (a filter error) */
static int
store_fail(lua_State *L, const struct pg_host *h, const char *fn)
{
	return luaL_error(L, "pg.store.%s: %s", fn, h->store_strerror(errno));
}

/* check_ttl - an optional ttl in seconds */
static double
check_ttl(lua_State *L, int idx)
{
	double ttl = luaL_optnumber(L, idx, 0);

	if (!(ttl >= 0 && ttl < 1e9))
		luaL_error(L, "bad ttl %f (seconds, 0 for none)", ttl);
	return ttl;
}

/***
 * @function pg.store.incr(key [, n [, ttl]])
 */
static int
lua_store_incr(lua_State *L)
{
	const struct pg_host *h = store_host(L);
	size_t klen;
	const char *k = luaL_checklstring(L, 1, &klen);
	lua_Integer n = luaL_optinteger(L, 2, 1);
	double ttl = check_ttl(L, 3);
	int64_t r;
	uint64_t t0;
	int rc;

	t0 = lb_mono_ns();
	rc = h->store_incr(k, klen, n, ttl, &r);
	store_parked(L, t0);
	if (rc == -1)
		return store_fail(L, h, "incr");
	lua_pushinteger(L, r);
	return 1;
}

static int
lua_store_get(lua_State *L)
{
	const struct pg_host *h = store_host(L);
	size_t klen;
	const char *k = luaL_checklstring(L, 1, &klen);
	struct pg_store_value v;
	uint64_t t0;
	int rc;

	t0 = lb_mono_ns();
	rc = h->store_get(k, klen, &v);
	store_parked(L, t0);
	if (rc == -1)
		return store_fail(L, h, "get");
	switch (v.type) {
	case PG_STORE_INT:
		lua_pushinteger(L, v.i);
		break;
	case PG_STORE_NUM:
		lua_pushnumber(L, v.d);
		break;
	case PG_STORE_STR:
		lua_pushlstring(L, v.s, v.len);
		free(v.s);
		break;
	default:
		lua_pushnil(L);
	}
	return 1;
}

static int
lua_store_set(lua_State *L)
{
	const struct pg_host *h = store_host(L);
	size_t klen;
	const char *k = luaL_checklstring(L, 1, &klen);
	double ttl = check_ttl(L, 3);
	struct pg_store_value v;
	uint64_t t0;
	int rc;

	memset(&v, 0, sizeof(v));
	switch (lua_type(L, 2)) {
	case LUA_TNIL:
	case LUA_TNONE:
		v.type = PG_STORE_NONE;
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, 2)) {
			v.type = PG_STORE_INT;
			v.i = lua_tointeger(L, 2);
		} else {
			v.type = PG_STORE_NUM;
			v.d = lua_tonumber(L, 2);
		}
		break;
	case LUA_TSTRING:
		v.type = PG_STORE_STR;
		v.s = (char *)lua_tolstring(L, 2, &v.len);
		break;
	default:
		return luaL_error(L, "pg.store.set: values are strings or"
		    " numbers, not %s", luaL_typename(L, 2));
	}
	t0 = lb_mono_ns();
	rc = h->store_set(k, klen, &v, ttl);
	store_parked(L, t0);
	if (rc == -1)
		return store_fail(L, h, "set");
	lua_pushboolean(L, 1);
	return 1;
}

static int
lua_store_delete(lua_State *L)
{
	const struct pg_host *h = store_host(L);
	size_t klen;
	const char *k = luaL_checklstring(L, 1, &klen);
	uint64_t t0;
	int r;

	t0 = lb_mono_ns();
	r = h->store_delete(k, klen);
	store_parked(L, t0);
	if (r == -1)
		return store_fail(L, h, "delete");
	lua_pushboolean(L, r);
	return 1;
}

/*
 * The module.
 */

const luaL_Reg lb_pg_funcs[] = {
	{ "accept", lua_pg_accept },
	{ "reject", lua_pg_reject },
	{ "tempfail", lua_pg_tempfail },
	{ "discard", lua_pg_discard },
	{ "regex", lua_pg_regex },
	{ "regex_set", lua_pg_regex_set },
	{ "dnsbl", lua_pg_dnsbl },	/* lua_dns.c */
	{ "map", lua_pg_map },		/* lua_map.c */
	{ "on", NULL },			/* lua_bridge.c */
	{ NULL, NULL }
};

const luaL_Reg lb_log_funcs[] = {
	{ "debug", lua_log_debug },
	{ "info", lua_log_info },
	{ "warn", lua_log_warn },
	{ "err", lua_log_err },
	{ NULL, NULL }
};

const luaL_Reg lb_store_funcs[] = {
	{ "incr", lua_store_incr },
	{ "get", lua_store_get },
	{ "set", lua_store_set },
	{ "delete", lua_store_delete },
	{ NULL, NULL }
};

const char *const lb_pg_fields[] = { "version", NULL };

void
lb_pg_open(lua_State *L)
{
	struct lb_interp *in = lb_interp_of(L);
	int i;

	luaL_newmetatable(L, LB_MT_VERDICT);
	lua_pushcfunction(L, verdict_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pop(L, 1);

	lua_newtable(L);
	for (i = 0; lb_pg_funcs[i].name; i++)
		if (lb_pg_funcs[i].func) {
			lua_pushcfunction(L, lb_pg_funcs[i].func);
			lua_setfield(L, -2, lb_pg_funcs[i].name);
		}
	lua_pushstring(L, in->st->host->version ? in->st->host->version :
	    "?");
	lua_setfield(L, -2, "version");

	lua_newtable(L);
	lua_getglobal(L, "string");
	lua_getfield(L, -1, "format");
	lua_remove(L, -2);
	luaL_setfuncs(L, lb_log_funcs, 1);
	lua_setfield(L, -2, "log");

	luaL_newlib(L, lb_store_funcs);
	lua_setfield(L, -2, "store");

	lb_dns_open(L);
}
