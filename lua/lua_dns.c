/*
 * lua_dns - DNS lookups for scripts: pg.dns.a/aaaa/mx/txt/ptr/ns and
 * pg.dnsbl (DESIGN section 9)
 *
 * Public (to lua/): lb_dns_funcs, lua_pg_dnsbl(), lb_dns_open().
 *
 * The lookups go through the host table (pg_host.dns_query and
 * dnsbl_query), which parks the session: the interpreter stays checked
 * out while its session waits, and other sessions run on. Time parked is
 * the lookup budget's (timeouts.lookups, counted by the host per filter
 * call), not the script's: the call's CPU deadline moves on by the time
 * spent waiting. A lookup after the budget is spent gets "timeout" at
 * once (or its cached answer).
 *
 * Results are copied into Lua tables under a protected call, so a memory
 * error while building them still releases the host's results. Names
 * come from scripts and messages: the host checks them ("badname").
 * Expected failures are nil, "word"; a wrong argument type raises.
 */
#include <stdio.h>
#include <string.h>

#include "lua_int.h"

#define LB_DNSBL_ZONES_MAX	64

/* lookup_allowed - lookups run in handlers; raise otherwise */
static struct lb_interp *
lookup_allowed(lua_State *L, const char *fn)
{
	struct lb_interp *in = lb_interp_of(L);

	if (in->loading || !in->in_call)
		luaL_error(L, "%s: lookups run in handlers, not while the script"
		    " loads", fn);
	return in;
}

/* parked - the time since t0 (ns) was spent waiting: move the deadline on */
static void
parked(struct lb_interp *in, uint64_t t0)
{
	if (in->deadline != 0)
		in->deadline += lb_mono_ns() - t0;
}

/* build_rrs - (protected) the records of the query at 1 as a table */
static int
build_rrs(lua_State *L)
{
	const struct pg_dns_query *q = lua_touserdata(L, 1);
	size_t order[64], i, j, k, n = q->nrr < 64 ? q->nrr : 64;

	for (i = 0; i < n; i++)
		order[i] = i;
	if (q->type == PG_DNS_MX)	/* by preference, then as received */
		for (i = 1; i < n; i++)
			for (j = i; j > 0 && q->rr[order[j - 1]].pref >
			    q->rr[order[j]].pref; j--) {
				k = order[j];
				order[j] = order[j - 1];
				order[j - 1] = k;
			}
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		const struct pg_dns_rr *rr = &q->rr[order[i]];

		if (q->type == PG_DNS_MX) {
			lua_createtable(L, 0, 2);
			lua_pushinteger(L, rr->pref);
			lua_setfield(L, -2, "pref");
			lua_pushstring(L, rr->text);
			lua_setfield(L, -2, "host");
		} else
			lua_pushstring(L, rr->text);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* lookup - one query of type for the name at 1: a table, or nil, err */
static int
lookup(lua_State *L, int type, const char *fn)
{
	struct lb_interp *in = lookup_allowed(L, fn);
	const struct pg_host *h = in->st->host;
	struct pg_dns_query q;
	uint64_t t0;
	int rc;

	memset(&q, 0, sizeof(q));
	q.name = luaL_checkstring(L, 1);
	q.type = type;
	t0 = lb_mono_ns();
	rc = h->dns_query(in->cur_s, &q, 1);
	parked(in, t0);
	if (rc == -1) {
		lua_pushnil(L);
		lua_pushstring(L, h->last_error());
		return 2;
	}
	if (q.status != PG_DNS_OK) {
		h->dns_release(&q, 1);
		lua_pushnil(L);
		lua_pushstring(L, h->dns_strerror(q.status));
		return 2;
	}
	lua_pushcfunction(L, build_rrs);
	lua_pushlightuserdata(L, &q);
	rc = lua_pcall(L, 1, 1, 0);
	h->dns_release(&q, 1);
	if (rc != LUA_OK)
		return lua_error(L);
	return 1;
}

/***
 * @function pg.dns.a(name)
 * The IPv4 addresses of name, e.g. {"192.0.2.1"}, or nil and "nxdomain",
 * "nodata", "timeout", "servfail", ...
 * @return {table|nil, string}
 */
static int
lua_dns_a(lua_State *L)
{
	return lookup(L, PG_DNS_A, "pg.dns.a");
}

/***
 * @function pg.dns.aaaa(name)
 * The IPv6 addresses of name, or nil and the error.
 */
static int
lua_dns_aaaa(lua_State *L)
{
	return lookup(L, PG_DNS_AAAA, "pg.dns.aaaa");
}

/***
 * @function pg.dns.mx(name)
 * The mail exchangers of name, {{pref = 10, host = "mx.example.org"}, ...}
 * by preference, or nil and the error.
 */
static int
lua_dns_mx(lua_State *L)
{
	return lookup(L, PG_DNS_MX, "pg.dns.mx");
}

/***
 * @function pg.dns.txt(name)
 * The TXT records of name, each record's strings joined, or nil and the
 * error.
 */
static int
lua_dns_txt(lua_State *L)
{
	return lookup(L, PG_DNS_TXT, "pg.dns.txt");
}

/***
 * @function pg.dns.ptr(addr)
 * The names of an address (IPv4 or IPv6; a reversed .arpa name works
 * too), unconfirmed, or nil and the error.
 */
static int
lua_dns_ptr(lua_State *L)
{
	return lookup(L, PG_DNS_PTR, "pg.dns.ptr");
}

/***
 * @function pg.dns.ns(name)
 * The name servers of name, or nil and the error.
 */
static int
lua_dns_ns(lua_State *L)
{
	return lookup(L, PG_DNS_NS, "pg.dns.ns");
}

/* build_hits - (protected) the zones' results at 1 (n at 2): hits, errors */
static int
build_hits(lua_State *L)
{
	const struct pg_dnsbl_zone *z = lua_touserdata(L, 1);
	size_t n = (size_t)lua_tointeger(L, 2), i, j;
	const struct pg_host *h = lb_interp_of(L)->st->host;
	lua_Integer k = 0;
	int nerr = 0;

	lua_newtable(L);	/* 3: hits */
	lua_newtable(L);	/* 4: errors */
	for (i = 0; i < n; i++) {
		if (z[i].status == PG_DNS_NXDOMAIN)
			continue;
		if (z[i].status != PG_DNS_OK) {
			lua_pushstring(L, h->dns_strerror(z[i].status));
			lua_setfield(L, 4, z[i].zone);
			nerr++;
			continue;
		}
		lua_createtable(L, 0, 3);
		lua_pushstring(L, z[i].zone);
		lua_setfield(L, -2, "zone");
		lua_createtable(L, (int)z[i].ncodes, 0);
		for (j = 0; j < z[i].ncodes; j++) {
			lua_pushstring(L, z[i].codes[j]);
			lua_rawseti(L, -2, (lua_Integer)j + 1);
		}
		lua_setfield(L, -2, "codes");
		if (z[i].txt != NULL) {
			lua_pushstring(L, z[i].txt);
			lua_setfield(L, -2, "txt");
		}
		lua_rawseti(L, 3, ++k);
	}
	if (nerr == 0) {
		lua_pop(L, 1);
		lua_pushnil(L);
	}
	return 2;
}

/***
 * @function pg.dnsbl(subject, zones)
 * Asks every zone at once about subject: an IPv4 or IPv6 address
 * (reversed, RFC 5782) or a name (as it is). Returns the listed zones,
 * {{zone = "zen.example", codes = {"127.0.0.2"}, txt = "..."}, ...}, and
 * a table of the zones that failed, {["bl.example"] = "timeout"}, or nil
 * when none did. An answer outside 127.0.0.0/8, 127.0.0.1 or one in
 * 127.255.255.0/24 is the error "badcode", not a listing. A subject that
 * is neither an address nor a name gives nil, "badname".
 * @return {table, table|nil} or {nil, string}
 */
int
lua_pg_dnsbl(lua_State *L)
{
	struct lb_interp *in = lookup_allowed(L, "pg.dnsbl");
	const struct pg_host *h = in->st->host;
	const char *subject = luaL_checkstring(L, 1);
	struct pg_dnsbl_zone *z;
	size_t n, i, bad = 0;
	uint64_t t0;
	int rc;

	luaL_checktype(L, 2, LUA_TTABLE);
	n = (size_t)lua_rawlen(L, 2);
	if (n > LB_DNSBL_ZONES_MAX)
		return luaL_argerror(L, 2, "too many zones (at most 64)");
	z = lua_newuserdatauv(L, n * sizeof(*z) + 1, 0);	/* 3 */
	for (i = 0; i < n; i++) {
		lua_rawgeti(L, 2, (lua_Integer)i + 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			return luaL_argerror(L, 2, "zones are strings");
		memset(&z[i], 0, sizeof(z[i]));
		z[i].zone = lua_tostring(L, -1);	/* held by the table at 2 */
		lua_pop(L, 1);
	}
	t0 = lb_mono_ns();
	rc = h->dnsbl_query(in->cur_s, subject, z, n);
	parked(in, t0);
	if (rc == -1) {
		lua_pushnil(L);
		lua_pushstring(L, h->last_error());
		return 2;
	}
	for (i = 0; i < n; i++)
		if (z[i].status == PG_DNS_BADNAME)
			bad++;
	if (n > 0 && bad == n) {
		h->dnsbl_release(z, n);
		lua_pushnil(L);
		lua_pushstring(L, h->dns_strerror(PG_DNS_BADNAME));
		return 2;
	}
	lua_pushcfunction(L, build_hits);
	lua_pushlightuserdata(L, z);
	lua_pushinteger(L, (lua_Integer)n);
	rc = lua_pcall(L, 2, 2, 0);
	h->dnsbl_release(z, n);
	if (rc != LUA_OK)
		return lua_error(L);
	return 2;
}

const luaL_Reg lb_dns_funcs[] = {
	{ "a", lua_dns_a },
	{ "aaaa", lua_dns_aaaa },
	{ "mx", lua_dns_mx },
	{ "txt", lua_dns_txt },
	{ "ptr", lua_dns_ptr },
	{ "ns", lua_dns_ns },
	{ NULL, NULL }
};

/* lb_dns_open - pg.dns into the module table on the top of the stack */
void
lb_dns_open(lua_State *L)
{
	luaL_newlib(L, lb_dns_funcs);
	lua_setfield(L, -2, "dns");
}
