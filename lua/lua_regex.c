/*
 * lua_regex - pg.regex(pattern, flags): PCRE2 patterns through the shared
 * wrapper host/re.h (JIT when available)
 *
 * Public (to lua/): lua_pg_regex(), lua_pg_regex_set(), lb_regex_open(),
 * lb_regex_methods, lb_regex_set_methods.
 *
 * A pattern is compiled once per (pattern, flags) and interpreter and kept
 * in a registry cache, so pg.regex() inside a handler costs a table
 * lookup. Compiled patterns are immutable; match scratch space is the
 * calling thread's (re.h). A bad pattern raises "pg.regex: <PCRE2
 * message> at offset N"; a match failure (match limit) raises an error.
 * Offsets given to scripts are 1-based like string.find.
 *
 * pg.regex_set(entries) searches several patterns at once (host/re.h's
 * struct re_set): its userdata keeps, as user values, the entries' keys in
 * the set's order and the regex objects (which own the compiled patterns
 * the set points to), so they live as long as the set.
 */

#include <stdlib.h>
#include <string.h>

#include "lua_int.h"
#include "re.h"

#define REG_CACHE	"phasegate.regex_cache"
#define OVEC_STACK	32

struct lb_regex {
	struct re	*re;
};

struct lb_regex_set {
	struct re_set	*set;
	size_t		 n;
};

/* check_re - the compiled pattern of the userdata at idx */
static struct re *
check_re(lua_State *L, int idx)
{
	struct lb_regex *r = lb_udata(L, idx, lua_upvalueindex(1),
	    LB_MT_REGEX);

	if (r->re == NULL)
		luaL_error(L, "attempt to use a freed regex");
	return r->re;
}

/* start_of - a 1-based, possibly negative init into a 0-based offset */
static size_t
start_of(lua_State *L, int idx, size_t len)
{
	lua_Integer i = luaL_optinteger(L, idx, 1);

	if (i > 0)
		return (size_t)i - 1 > len ? len + 1 : (size_t)i - 1;
	if (i == 0)
		return 0;
	if ((size_t)-i > len)
		return 0;
	return len - (size_t)-i;
}

/* ovec_for - room for the pattern's offsets */
static size_t *
ovec_for(lua_State *L, struct re *re, size_t *stackbuf, size_t *npairs)
{
	*npairs = re_captures(re) + 1;
	if (*npairs <= OVEC_STACK)
		return stackbuf;
	return lua_newuserdatauv(L, *npairs * 2 * sizeof(size_t), 0);
}

/* do_find - run the pattern; 1 match, 0 no match; raises on error */
static int
do_find(lua_State *L, struct re *re, const char *s, size_t len,
    size_t start, size_t *ov, size_t npairs, int notempty)
{
	char buf[128];
	int rc = re_find(re, s, len, start, ov, npairs, notempty, NULL);

	if (rc < 0)
		return luaL_error(L, "pg.regex: %s",
		    re_strerror(rc, buf, sizeof(buf)));
	return rc;
}

/*
 * push_captures - the captures (or the whole match); returns how many. A
 * group that did not take part in the match is false (not nil, so that
 * {re:match(s)} has no holes).
 */
static int
push_captures(lua_State *L, const char *s, const size_t *ov, size_t npairs,
    int whole_if_none)
{
	size_t k;

	if (npairs == 1) {
		if (!whole_if_none)
			return 0;
		lua_pushlstring(L, s + ov[0], ov[1] - ov[0]);
		return 1;
	}
	luaL_checkstack(L, (int)npairs, "too many captures");
	for (k = 1; k < npairs; k++) {
		if (ov[2 * k] == RE_UNSET)
			lua_pushboolean(L, 0);	/* did not take part */
		else
			lua_pushlstring(L, s + ov[2 * k],
			    ov[2 * k + 1] - ov[2 * k]);
	}
	return (int)npairs - 1;
}

/***
 * @method re:match(subject [, init])
 * Captures like string.match, or nil.
 */
static int
lua_regex_match(lua_State *L)
{
	struct re *re = check_re(L, 1);
	size_t len, npairs, st[OVEC_STACK * 2], *ov;
	const char *s = luaL_checklstring(L, 2, &len);
	size_t start = start_of(L, 3, len);

	if (start > len) {
		lua_pushnil(L);
		return 1;
	}
	ov = ovec_for(L, re, st, &npairs);
	if (!do_find(L, re, s, len, start, ov, npairs, 0)) {
		lua_pushnil(L);
		return 1;
	}
	return push_captures(L, s, ov, npairs, 1);
}

/***
 * @method re:test(subject [, init])
 * true when the pattern matches, else false. Cheaper than match: no
 * captures are copied.
 */
static int
lua_regex_test(lua_State *L)
{
	struct re *re = check_re(L, 1);
	size_t len;
	const char *s = luaL_checklstring(L, 2, &len);
	size_t start = start_of(L, 3, len);

	if (start > len) {
		lua_pushboolean(L, 0);
		return 1;
	}
	lua_pushboolean(L, do_find(L, re, s, len, start, NULL, 0, 0));
	return 1;
}

/***
 * @method re:find(subject [, init])
 * Start and end (1-based, inclusive) of the first match, then captures.
 */
static int
lua_regex_find(lua_State *L)
{
	struct re *re = check_re(L, 1);
	size_t len, npairs, st[OVEC_STACK * 2], *ov;
	const char *s = luaL_checklstring(L, 2, &len);
	size_t start = start_of(L, 3, len);

	if (start > len) {
		lua_pushnil(L);
		return 1;
	}
	ov = ovec_for(L, re, st, &npairs);
	if (!do_find(L, re, s, len, start, ov, npairs, 0)) {
		lua_pushnil(L);
		return 1;
	}
	lua_pushinteger(L, (lua_Integer)ov[0] + 1);
	lua_pushinteger(L, (lua_Integer)ov[1]);
	return 2 + push_captures(L, s, ov, npairs, 0);
}

/* gmatch_next - upvalues: regex, subject, position, after a match */
static int
gmatch_next(lua_State *L)
{
	struct re *re = check_re(L, lua_upvalueindex(1));
	size_t len, npairs, st[OVEC_STACK * 2], *ov;
	const char *s = lua_tolstring(L, lua_upvalueindex(2), &len);
	lua_Integer pos = lua_tointeger(L, lua_upvalueindex(3));
	int notempty = lua_toboolean(L, lua_upvalueindex(4));

	if (pos < 0 || (size_t)pos > len)
		return 0;
	ov = ovec_for(L, re, st, &npairs);
	if (!do_find(L, re, s, len, (size_t)pos, ov, npairs, notempty)) {
		lua_pushinteger(L, -1);
		lua_replace(L, lua_upvalueindex(3));
		return 0;
	}
	/* as string.gmatch: no empty match where the last match ended */
	lua_pushinteger(L, (lua_Integer)ov[1]);
	lua_replace(L, lua_upvalueindex(3));
	lua_pushboolean(L, 1);
	lua_replace(L, lua_upvalueindex(4));
	return push_captures(L, s, ov, npairs, 1);
}

/***
 * @method re:gmatch(subject)
 * An iterator over the matches, like string.gmatch.
 */
static int
lua_regex_gmatch(lua_State *L)
{
	check_re(L, 1);
	luaL_checkstring(L, 2);
	lua_settop(L, 2);
	lua_pushinteger(L, 0);
	lua_pushboolean(L, 0);
	lua_pushcclosure(L, gmatch_next, 4);
	return 1;
}

static int
lua_regex_gc(lua_State *L)
{
	struct lb_regex *r = luaL_checkudata(L, 1, LB_MT_REGEX);

	re_free(r->re);
	r->re = NULL;
	return 0;
}

static int
lua_regex_tostring(lua_State *L)
{
	struct re *re = check_re(L, 1);
	size_t len;
	const char *p = re_pattern(re, &len);

	lua_pushliteral(L, "pg.regex(");
	lua_pushlstring(L, p, len);
	lua_pushfstring(L, ", \"%s\")", re_flags(re));
	lua_concat(L, 3);
	return 1;
}

const luaL_Reg lb_regex_methods[] = {
	{ "match", lua_regex_match },
	{ "find", lua_regex_find },
	{ "gmatch", lua_regex_gmatch },
	{ "test", lua_regex_test },
	{ NULL, NULL }
};

/***
 * @function pg.regex(pattern [, flags])
 */
int
lua_pg_regex(lua_State *L)
{
	size_t plen, flen;
	const char *pat = luaL_checklstring(L, 1, &plen);
	const char *flags = luaL_optlstring(L, 2, "", &flen);
	char err[RE_ERR_MAX];
	struct lb_regex *r;
	struct re *re;

	lua_getfield(L, LUA_REGISTRYINDEX, REG_CACHE);
	lua_pushlstring(L, flags, flen);
	lua_pushliteral(L, "/");
	lua_pushvalue(L, 1);
	lua_concat(L, 3);
	lua_pushvalue(L, -1);
	if (lua_rawget(L, -3) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	if (strlen(flags) != flen)
		return luaL_error(L, "pg.regex: NUL in the flags");
	r = lua_newuserdatauv(L, sizeof(*r), 0);
	r->re = NULL;
	luaL_setmetatable(L, LB_MT_REGEX);
	if ((re = re_compile(pat, plen, flags, 0, err, sizeof(err))) == NULL)
		return luaL_error(L, "pg.regex: %s", err);
	r->re = re;
	lua_pushvalue(L, -2);
	lua_pushvalue(L, -2);
	lua_rawset(L, -5);
	return 1;
}

/* key_cmp - qsort: string keys in byte order */
static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * entry_regex - push the regex object of the entry value at idx (key at
 * kidx): a regex object, a pattern string, or {pattern [, flags]}
 */
static void
entry_regex(lua_State *L, int idx, int kidx)
{
	idx = lua_absindex(L, idx);
	kidx = lua_absindex(L, kidx);
	if (luaL_testudata(L, idx, LB_MT_REGEX) != NULL) {
		lua_pushvalue(L, idx);
		return;
	}
	lua_pushcfunction(L, lua_pg_regex);
	if (lua_type(L, idx) == LUA_TSTRING) {
		lua_pushvalue(L, idx);
		lua_call(L, 1, 1);
		return;
	}
	if (lua_type(L, idx) == LUA_TTABLE) {
		lua_rawgeti(L, idx, 1);
		lua_rawgeti(L, idx, 2);
		if (lua_type(L, -2) == LUA_TSTRING) {
			if (lua_isnil(L, -1)) {
				lua_pop(L, 1);
				lua_call(L, 1, 1);
			} else
				lua_call(L, 2, 1);
			return;
		}
	}
	luaL_error(L, "pg.regex_set: entry %s: a pattern, {pattern, flags} "
	    "or a pg.regex() object expected", luaL_tolstring(L, kidx, NULL));
}

/* string_key - whether the key at -1 is a name (else a list index) */
static int
string_key(lua_State *L, size_t narr)
{
	if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1 &&
	    (size_t)lua_tointeger(L, -1) <= narr)
		return 0;
	if (lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "pg.regex_set: key %s: entries are a list or "
		    "named by strings", luaL_tolstring(L, -1, NULL));
	return 1;
}

/***
 * @function pg.regex_set(entries)
 * Several patterns searched at once; the keys of the table name them.
 */
int
lua_pg_regex_set(lua_State *L)
{
	struct lb_regex_set *rs;
	struct re **res;
	const char **names;
	size_t i, n, narr, nstr = 0;
	int keys, regs;

	luaL_checktype(L, 1, LUA_TTABLE);
	narr = (size_t)lua_rawlen(L, 1);
	/* the string keys, sorted, are the order after the list's */
	lua_pushnil(L);
	while (lua_next(L, 1) != 0) {
		lua_pop(L, 1);
		nstr += (size_t)string_key(L, narr);
	}
	names = lua_newuserdatauv(L, (nstr ? nstr : 1) * sizeof(*names), 0);
	nstr = 0;
	lua_pushnil(L);
	while (lua_next(L, 1) != 0) {
		lua_pop(L, 1);
		/* the key stays in the table: its text stays valid */
		if (string_key(L, narr))
			names[nstr++] = lua_tostring(L, -1);
	}
	if (nstr > 0)
		qsort(names, nstr, sizeof(*names), key_cmp);
	n = narr + nstr;
	/* the keys in order, and their regex objects */
	lua_createtable(L, (int)n, 0);
	keys = lua_gettop(L);
	lua_createtable(L, (int)n, 0);
	regs = lua_gettop(L);
	for (i = 0; i < n; i++) {
		if (i < narr)
			lua_pushinteger(L, (lua_Integer)i + 1);
		else
			lua_pushstring(L, names[i - narr]);
		lua_pushvalue(L, -1);
		lua_rawseti(L, keys, (lua_Integer)i + 1);
		lua_pushvalue(L, -1);
		lua_rawget(L, 1);
		entry_regex(L, -1, -2);
		lua_rawseti(L, regs, (lua_Integer)i + 1);
		lua_pop(L, 2);
	}
	res = lua_newuserdatauv(L, (n ? n : 1) * sizeof(*res), 0);
	for (i = 0; i < n; i++) {
		lua_rawgeti(L, regs, (lua_Integer)i + 1);
		res[i] = check_re(L, -1);
		lua_pop(L, 1);
	}
	rs = lua_newuserdatauv(L, sizeof(*rs), 2);
	rs->set = NULL;
	rs->n = n;
	luaL_setmetatable(L, LB_MT_REGEX_SET);
	if ((rs->set = re_set_new(res, n, 0)) == NULL)
		return luaL_error(L, "pg.regex_set: no memory");
	lua_pushvalue(L, keys);
	lua_setiuservalue(L, -2, 1);
	lua_pushvalue(L, regs);
	lua_setiuservalue(L, -2, 2);
	return 1;
}

/* check_set - the set of the userdata at idx */
static struct lb_regex_set *
check_set(lua_State *L, int idx)
{
	struct lb_regex_set *rs = luaL_checkudata(L, idx, LB_MT_REGEX_SET);

	if (rs->set == NULL)
		luaL_error(L, "attempt to use a freed regex set");
	return rs;
}

/***
 * @method set:match(subject [, init])
 * The keys of the entries that match, in the set's order.
 */
static int
lua_regex_set_match(lua_State *L)
{
	struct lb_regex_set *rs = check_set(L, 1);
	size_t len, i;
	const char *s = luaL_checklstring(L, 2, &len);
	size_t start = start_of(L, 3, len);
	unsigned char *hit;
	char buf[128];
	lua_Integer k = 0;
	int rc, out;

	lua_newtable(L);
	out = lua_gettop(L);
	if (start > len || rs->n == 0)
		return 1;
	/* hit stays on the stack while it is read: nothing else holds it */
	hit = lua_newuserdatauv(L, rs->n, 0);
	if ((rc = re_set_match(rs->set, s, len, start, hit, NULL)) < 0)
		return luaL_error(L, "pg.regex_set: %s",
		    re_strerror(rc, buf, sizeof(buf)));
	lua_getiuservalue(L, 1, 1);
	for (i = 0; i < rs->n; i++)
		if (hit[i]) {
			lua_rawgeti(L, -1, (lua_Integer)i + 1);
			lua_rawseti(L, out, ++k);
		}
	lua_settop(L, out);
	return 1;
}

static int
lua_regex_set_gc(lua_State *L)
{
	struct lb_regex_set *rs = luaL_checkudata(L, 1, LB_MT_REGEX_SET);

	re_set_free(rs->set);
	rs->set = NULL;
	return 0;
}

static int
lua_regex_set_tostring(lua_State *L)
{
	struct lb_regex_set *rs = check_set(L, 1);

	lua_pushfstring(L, "pg.regex_set(%d patterns)", (int)rs->n);
	return 1;
}

const luaL_Reg lb_regex_set_methods[] = {
	{ "match", lua_regex_set_match },
	{ NULL, NULL }
};

void
lb_regex_open(lua_State *L)
{
	/* the methods have the metatable as upvalue: lb_udata() */
	luaL_newmetatable(L, LB_MT_REGEX);
	luaL_newlibtable(L, lb_regex_methods);
	lua_pushvalue(L, -2);
	luaL_setfuncs(L, lb_regex_methods, 1);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, lua_regex_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, lua_regex_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pop(L, 1);
	luaL_newmetatable(L, LB_MT_REGEX_SET);
	luaL_newlib(L, lb_regex_set_methods);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, lua_regex_set_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, lua_regex_set_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pop(L, 1);
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, REG_CACHE);
}
