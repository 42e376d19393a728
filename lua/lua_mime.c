/*
 * lua_mime - message content for scripts: tx:parts(), tx:text(),
 * tx:subject(), tx:from(), tx:urls() and the part objects
 *
 * Public (to lua/): lb_part_open(), lua_tx_parts(), lua_tx_text(),
 * lua_tx_header_decoded(),
 * lua_tx_subject(), lua_tx_from(), lua_tx_urls(), lb_part_methods,
 * lb_part_fields.
 *
 * Everything comes through the host table's content members (struct
 * pg_host, tx_part_count ...), the same a C plugin gets; a host too old to
 * have them raises "message content is not available". The host parses
 * the message once per transaction on first use and shares it between
 * scripts; this file only builds Lua values. A part object holds the
 * transaction's box and its index: like the tx, it is valid for the
 * handler call that made it ("attempt to use a finished part").
 */
#include <stddef.h>
#include <string.h>

#include "lua_int.h"

const char *const lb_part_fields[] = {
	"type", "charset", "disposition", "filename", "size", "detected",
	"encoding", NULL
};

/* a part: the tx box first, so that lb_box_check() reads it */
struct lb_part {
	struct lb_box	 b;
	size_t		 i;
};

/* host_of - the host table, with its content members */
static const struct pg_host *
host_of(lua_State *L)
{
	const struct pg_host *h = lb_interp_of(L)->st->host;

	if (!PG_SIZE_HAS(h, struct pg_host, tx_url_part) ||
	    h->tx_part_count == NULL)
		luaL_error(L, "message content is not available from this host");
	return h;
}

/* check_part - the tx and index of the part at idx */
static struct pg_tx *
check_part(lua_State *L, int idx, size_t *i)
{
	struct pg_tx *tx = lb_box_check(L, idx, LB_MT_PART, "part");

	*i = ((struct lb_part *)lua_touserdata(L, idx))->i;
	return tx;
}

/* push_str - a string or nil */
static void
push_str(lua_State *L, const char *s)
{
	if (s != NULL)
		lua_pushstring(L, s);
	else
		lua_pushnil(L);
}

/* set_str - t[k] = s (nothing for NULL) on the table at the top */
static void
set_str(lua_State *L, const char *k, const char *s)
{
	if (s == NULL)
		return;
	lua_pushstring(L, s);
	lua_setfield(L, -2, k);
}

int
lua_tx_parts(lua_State *L)
{
	struct pg_tx *tx = lb_box_check(L, 1, LB_MT_TX, "transaction");
	const struct pg_host *h = host_of(L);
	size_t i, n = h->tx_part_count(tx);
	struct lb_part *p;

	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		p = lua_newuserdatauv(L, sizeof(*p), 0);
		p->b.p = tx;
		p->b.call = lb_interp_of(L)->call;
		p->i = i;
		luaL_setmetatable(L, LB_MT_PART);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* lua_tx_header_decoded - tx:header(name, n, "decoded"), from lua_tx.c */
int
lua_tx_header_decoded(lua_State *L)
{
	struct pg_tx *tx = lb_box_check(L, 1, LB_MT_TX, "transaction");
	const char *name = luaL_checkstring(L, 2);
	lua_Integer n = luaL_checkinteger(L, 3);

	push_str(L, host_of(L)->tx_header_decoded(tx, name, (size_t)n));
	return 1;
}

int
lua_tx_text(lua_State *L)
{
	struct pg_tx *tx = lb_box_check(L, 1, LB_MT_TX, "transaction");
	size_t len = 0;
	const char *t = host_of(L)->tx_text(tx, &len);

	lua_pushlstring(L, t != NULL ? t : "", t != NULL ? len : 0);
	return 1;
}

int
lua_tx_subject(lua_State *L)
{
	struct pg_tx *tx = lb_box_check(L, 1, LB_MT_TX, "transaction");

	push_str(L, host_of(L)->tx_header_decoded(tx, "Subject", 1));
	return 1;
}

int
lua_tx_from(lua_State *L)
{
	struct pg_tx *tx = lb_box_check(L, 1, LB_MT_TX, "transaction");
	const struct pg_host *h = host_of(L);
	size_t i, n = h->tx_from_count(tx);
	const char *name, *addr;

	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		if (h->tx_from_at(tx, i, &name, &addr) != 0)
			break;
		lua_createtable(L, 0, 2);
		set_str(L, "name", name);
		set_str(L, "addr", addr);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/*
 * Links. A link is a light userdata: no allocation, no string until a
 * script reads a field (most rules read one or two of each link). Its
 * value is not a pointer but the handler call and the index, so a link
 * kept past its call is refused, never followed:
 *
 *	(call id << 24) | index		(the call's low 40 bits on 64-bit)
 *
 * Every light userdata of a Lua state shares one metatable; scripts see
 * no other light userdata (lua_dns.c passes its own only to C functions),
 * so that metatable is the links'. The transaction is the one tx:urls()
 * ran on in this call (struct lb_interp link_tx). The metatable is hidden
 * (__metatable), and every entry point decodes and bounds-checks the
 * value (check_link()).
 */
#define LINK_IBITS	24
#define LINK_IMAX	(((size_t)1 << LINK_IBITS) - 1)

/* the string fields, in the order of pairs() */
static const struct { const char *k; enum pg_url_str w; } link_str[] = {
	{ "url", PG_U_URL }, { "scheme", PG_U_SCHEME }, { "host", PG_U_HOST },
	{ "domain", PG_U_DOMAIN }, { "path", PG_U_PATH }, { "text", PG_U_TEXT },
	{ "text_host", PG_U_TEXT_HOST }
};
#define NLINK_STR	(sizeof(link_str) / sizeof(link_str[0]))
_Static_assert(NLINK_STR + 1 == sizeof(((struct lb_interp *)0)->link_keys) /
    sizeof(const char *), "link_keys holds the string fields and part");

/* link_value - what stands for link i of this call */
static void *
link_value(struct lb_interp *in, size_t i)
{
	return (void *)(((uintptr_t)in->call << LINK_IBITS) | i);
}

/* link_at - the index of the link at idx when it is one of this call's: 0, else -1 */
static int
link_at(lua_State *L, int idx, size_t *i)
{
	struct lb_interp *in = lb_interp_of(L);
	uintptr_t v = (uintptr_t)lua_touserdata(L, idx);

	if (!in->in_call || in->link_tx == NULL || (v >> LINK_IBITS) !=
	    (((uintptr_t)in->call << LINK_IBITS) >> LINK_IBITS))
		return -1;
	*i = v & LINK_IMAX;
	return *i < in->link_n ? 0 : -1;
}

/* check_link - the tx and index of the link at idx; raises for anything else */
static struct pg_tx *
check_link(lua_State *L, int idx, size_t *i)
{
	if (lua_type(L, idx) != LUA_TLIGHTUSERDATA)
		luaL_typeerror(L, idx, "link");
	if (link_at(L, idx, i) == -1)
		luaL_error(L, "attempt to use a finished link");
	return lb_interp_of(L)->link_tx;
}

/* where each string field is in a struct pg_url, in link_str[] order */
static const size_t link_off[] = {
	offsetof(struct pg_url, url), offsetof(struct pg_url, scheme),
	offsetof(struct pg_url, host), offsetof(struct pg_url, domain),
	offsetof(struct pg_url, path), offsetof(struct pg_url, text),
	offsetof(struct pg_url, text_host)
};
_Static_assert(sizeof(link_off) / sizeof(link_off[0]) == NLINK_STR,
    "a struct pg_url member for each string field");

/*
 * link_field - push field k (0..NLINK_STR: the strings, then part) of
 * link i: from the host's array of links when it has one (tx_urls()),
 * else a field at a time
 */
static void
link_field(lua_State *L, struct pg_tx *tx, size_t i, size_t k)
{
	const struct pg_url *u = lb_interp_of(L)->link_arr;

	if (u != NULL && k < NLINK_STR)
		push_str(L, *(const char *const *)(const void *)
		    ((const char *)&u[i] + link_off[k]));
	else if (u != NULL)
		lua_pushinteger(L, (lua_Integer)u[i].part + 1);
	else if (k < NLINK_STR)
		push_str(L, host_of(L)->tx_url_str(tx, i, link_str[k].w));
	else
		lua_pushinteger(L, (lua_Integer)host_of(L)->tx_url_part(tx,
		    i) + 1);
}

/* link_key - the field number of a key, or -1: its interned pointer first */
static int
link_key(lua_State *L, const char *key)
{
	const char *const *k = lb_interp_of(L)->link_keys;
	size_t i;

	for (i = 0; i <= NLINK_STR; i++)
		if (key == k[i])
			return (int)i;
	for (i = 0; i < NLINK_STR; i++)
		if (strcmp(key, link_str[i].k) == 0)
			return (int)i;
	return strcmp(key, "part") == 0 ? (int)NLINK_STR : -1;
}

int
lua_tx_urls(lua_State *L)
{
	struct pg_tx *tx = lb_box_check(L, 1, LB_MT_TX, "transaction");
	struct lb_interp *in = lb_interp_of(L);
	const struct pg_host *h = host_of(L);
	size_t i, n;

	in->link_arr = NULL;
	if (PG_SIZE_HAS(h, struct pg_host, tx_urls) && h->tx_urls != NULL)
		in->link_arr = h->tx_urls(tx, &n);
	if (in->link_arr == NULL)
		n = h->tx_url_count(tx);
	if (n > LINK_IMAX)
		n = LINK_IMAX;
	in->link_tx = tx;
	in->link_n = n;
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		lua_pushlightuserdata(L, link_value(in, i));
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/*
 * lua_link_index - a field (nil for a key that is none); this runs once
 * per field a rule reads
 */
static int
lua_link_index(lua_State *L)
{
	size_t i;
	struct pg_tx *tx = check_link(L, 1, &i);
	const char *key = lua_tostring(L, 2);
	int k;

	if (key == NULL || (k = link_key(L, key)) < 0)
		lua_pushnil(L);
	else
		link_field(L, tx, i, (size_t)k);
	return 1;
}

/* lua_link_next - pairs(link)'s iterator: the next field that is set */
static int
lua_link_next(lua_State *L)
{
	size_t i, k;
	struct pg_tx *tx = check_link(L, 1, &i);
	int at = lua_isnil(L, 2) ? -1 : link_key(L, luaL_checkstring(L, 2));

	for (k = (size_t)(at + 1); k <= NLINK_STR; k++) {
		link_field(L, tx, i, k);
		if (!lua_isnil(L, -1)) {
			lua_pushstring(L, k < NLINK_STR ? link_str[k].k :
			    "part");
			lua_insert(L, -2);
			return 2;
		}
		lua_pop(L, 1);
	}
	lua_pushnil(L);
	return 1;
}

static int
lua_link_pairs(lua_State *L)
{
	size_t i;

	(void)check_link(L, 1, &i);
	lua_pushcfunction(L, lua_link_next);
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

/* lua_link_tostring - the url; a finished link is named, not refused */
static int
lua_link_tostring(lua_State *L)
{
	size_t i;

	if (lua_type(L, 1) == LUA_TLIGHTUSERDATA && link_at(L, 1, &i) == 0)
		push_str(L, host_of(L)->tx_url_str(lb_interp_of(L)->link_tx, i,
		    PG_U_URL));
	else
		lua_pushliteral(L, "link (finished)");
	return 1;
}

static int
lua_part_content(lua_State *L)
{
	size_t i, len = 0;
	struct pg_tx *tx = check_part(L, 1, &i);
	const char *d = host_of(L)->tx_part_content(tx, i, &len);

	lua_pushlstring(L, d != NULL ? d : "", d != NULL ? len : 0);
	return 1;
}

static int
lua_part_text(lua_State *L)
{
	size_t i, len = 0;
	struct pg_tx *tx = check_part(L, 1, &i);
	const char *t = host_of(L)->tx_part_text(tx, i, &len);

	if (t == NULL)
		lua_pushnil(L);
	else
		lua_pushlstring(L, t, len);
	return 1;
}

static int
lua_part_header(lua_State *L)
{
	size_t i;
	struct pg_tx *tx = check_part(L, 1, &i);
	const char *name = luaL_checkstring(L, 2);

	push_str(L, host_of(L)->tx_part_header(tx, i, name));
	return 1;
}

static int
lua_part_archive(lua_State *L)
{
	size_t i, j;
	struct pg_tx *tx = check_part(L, 1, &i);
	const struct pg_host *h = host_of(L);
	const char *name;
	off_t size;
	int enc;

	if (h->tx_part_archive(tx, i, 0, &name, &size, &enc) == -1) {
		lua_pushnil(L);
		return 1;
	}
	lua_newtable(L);
	for (j = 0; h->tx_part_archive(tx, i, j, &name, &size, &enc) == 1; j++) {
		lua_createtable(L, 0, 3);
		set_str(L, "name", name);
		if (size >= 0) {
			lua_pushinteger(L, (lua_Integer)size);
			lua_setfield(L, -2, "size");
		}
		lua_pushboolean(L, enc);
		lua_setfield(L, -2, "encrypted");
		lua_rawseti(L, -2, (lua_Integer)j + 1);
	}
	return 1;
}

const luaL_Reg lb_part_methods[] = {
	{ "content", lua_part_content },
	{ "text", lua_part_text },
	{ "header", lua_part_header },
	{ "archive", lua_part_archive },
	{ NULL, NULL }
};

/* lua_part_index - fields, then methods */
static int
lua_part_index(lua_State *L)
{
	static const struct { const char *k; enum pg_part_str w; } f[] = {
		{ "type", PG_P_TYPE }, { "charset", PG_P_CHARSET },
		{ "disposition", PG_P_DISPOSITION },
		{ "filename", PG_P_FILENAME }, { "detected", PG_P_DETECTED },
		{ "encoding", PG_P_ENCODING }
	};
	size_t i, k;
	struct pg_tx *tx = check_part(L, 1, &i);
	const char *key = luaL_checkstring(L, 2);
	off_t size;

	for (k = 0; k < sizeof(f) / sizeof(f[0]); k++)
		if (strcmp(key, f[k].k) == 0) {
			push_str(L, host_of(L)->tx_part_str(tx, i, f[k].w));
			return 1;
		}
	if (strcmp(key, "size") == 0) {
		if ((size = host_of(L)->tx_part_size(tx, i)) < 0)
			lua_pushnil(L);
		else
			lua_pushinteger(L, (lua_Integer)size);
		return 1;
	}
	lua_getfield(L, lua_upvalueindex(1), key);
	return 1;
}

/* lua_readonly - __newindex of parts and links (upvalue 1: "part" or "link") */
static int
lua_readonly(lua_State *L)
{
	return luaL_error(L, "%s.%s is read-only",
	    lua_tostring(L, lua_upvalueindex(1)), luaL_checkstring(L, 2));
}

static int
lua_part_tostring(lua_State *L)
{
	struct lb_part *p = luaL_checkudata(L, 1, LB_MT_PART);
	struct lb_interp *in = lb_interp_of(L);
	const char *t;

	if (p->b.call != in->call || !in->in_call)
		lua_pushliteral(L, "part (finished)");
	else {
		t = host_of(L)->tx_part_str(p->b.p, p->i, PG_P_TYPE);
		lua_pushfstring(L, "part %d (%s)", (int)p->i + 1, t ? t : "?");
	}
	return 1;
}

/* readonly - t.__newindex = lua_readonly, naming what (the table at the top) */
static void
readonly(lua_State *L, const char *what)
{
	lua_pushstring(L, what);
	lua_pushcclosure(L, lua_readonly, 1);
	lua_setfield(L, -2, "__newindex");
}

void
lb_part_open(lua_State *L)
{
	static const luaL_Reg link_mt[] = {
		{ "__index", lua_link_index }, { "__pairs", lua_link_pairs },
		{ "__tostring", lua_link_tostring }, { NULL, NULL }
	};
	struct lb_interp *in = lb_interp_of(L);
	size_t k;

	luaL_newmetatable(L, LB_MT_PART);
	luaL_newlib(L, lb_part_methods);
	lua_pushcclosure(L, lua_part_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, lua_part_tostring);
	lua_setfield(L, -2, "__tostring");
	readonly(L, "part");
	lua_pop(L, 1);

	luaL_newmetatable(L, LB_MT_LINK);
	luaL_setfuncs(L, link_mt, 0);
	readonly(L, "link");
	lua_pushliteral(L, "link");
	lua_setfield(L, -2, "__metatable");
	/* the field names, interned once and kept here: link_key() */
	lua_createtable(L, (int)NLINK_STR + 1, 0);
	for (k = 0; k <= NLINK_STR; k++) {
		in->link_keys[k] = lua_pushstring(L, k < NLINK_STR ?
		    link_str[k].k : "part");
		lua_rawseti(L, -2, (lua_Integer)k + 1);
	}
	lua_setfield(L, -2, "fields");
	/* the metatable of every light userdata (see Links above) */
	lua_pushlightuserdata(L, NULL);
	lua_pushvalue(L, -2);
	lua_setmetatable(L, -2);
	lua_pop(L, 2);
}
