/*
 * lua_tx - the transaction object handed to mail .. eom handlers
 *
 * Public (to lua/): lb_tx_open(), lb_tx_push(), lb_tx_methods,
 * lb_tx_fields.
 *
 * Every read and change goes through the host table, the same services a
 * C plugin gets. Arguments are checked before the host sees them (header
 * names, addresses, CR/LF) and a host refusal is raised as a Lua error with
 * the host's reason. The box is valid for the handler call that made it
 * only: a tx kept in a global raises "attempt to use a finished
 * transaction".
 */

#include <math.h>
#include <string.h>

#include "lua_int.h"
#include "lua_vars.h"

const char *const lb_tx_fields[] = {
	"session", "id", "sender", "recipients", "size", "body_size", "vars",
	NULL
};

/* check_tx - the transaction of the box at idx */
static struct pg_tx *
check_tx(lua_State *L, int idx)
{
	return lb_box_check(L, idx, LB_MT_TX, "transaction");
}

/* host_of - the host table */
static const struct pg_host *
host_of(lua_State *L)
{
	return lb_interp_of(L)->st->host;
}

/* host_result - raise the host's reason when a change failed */
static int
host_result(lua_State *L, int rc, const char *fn)
{
	const char *why;

	if (rc == 0)
		return 0;
	why = host_of(L)->last_error();
	return luaL_error(L, "tx:%s: %s", fn, why && *why ? why : "failed");
}

/* check_index - an optional 1-based index */
static size_t
check_index(lua_State *L, int idx)
{
	lua_Integer n = luaL_optinteger(L, idx, 1);

	if (n < 1)
		luaL_argerror(L, idx, "index counts from 1");
	return (size_t)n;
}

/* push_str - a string or nil */
static void
push_str(lua_State *L, const char *s)
{
	if (s)
		lua_pushstring(L, s);
	else
		lua_pushnil(L);
}

static int
lua_tx_header(lua_State *L)
{
	struct pg_tx *tx = check_tx(L, 1);
	const char *name = luaL_checkstring(L, 2);
	static const char *const how[] = { "decoded", NULL };
	size_t n = check_index(L, 3);

	if (!lua_isnoneornil(L, 4)) {
		luaL_checkoption(L, 4, NULL, how);
		lua_settop(L, 1);
		lua_pushstring(L, name);
		lua_pushinteger(L, (lua_Integer)n);
		return lua_tx_header_decoded(L);
	}
	push_str(L, host_of(L)->tx_header(tx, name, n));
	return 1;
}

static int
lua_tx_header_raw(lua_State *L)
{
	struct pg_tx *tx = check_tx(L, 1);
	const char *name = luaL_checkstring(L, 2);

	push_str(L, host_of(L)->tx_header_raw(tx, name, check_index(L, 3)));
	return 1;
}

static int
lua_tx_headers(lua_State *L)
{
	struct pg_tx *tx = check_tx(L, 1);
	const char *name = luaL_checkstring(L, 2), *v;
	const struct pg_host *h = host_of(L);
	size_t n;

	lua_newtable(L);
	for (n = 1; (v = h->tx_header(tx, name, n)) != NULL; n++) {
		lua_pushstring(L, v);
		lua_rawseti(L, -2, (lua_Integer)n);
	}
	return 1;
}

static int
lua_tx_header_list(lua_State *L)
{
	struct pg_tx *tx = check_tx(L, 1);
	const struct pg_host *h = host_of(L);
	const char *name, *value;
	size_t i, n = h->tx_header_count(tx);

	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		if (h->tx_header_at(tx, i, &name, &value) != 0)
			break;
		lua_createtable(L, 0, 2);
		lua_pushstring(L, name);
		lua_setfield(L, -2, "name");
		lua_pushstring(L, value);
		lua_setfield(L, -2, "value");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

static int
lua_tx_body(lua_State *L)
{
	struct pg_tx *tx = check_tx(L, 1);
	const struct pg_host *h = host_of(L);
	lua_Integer max = luaL_optinteger(L, 2, -1);
	luaL_Buffer b;
	off_t off = 0, size = h->tx_body_size(tx);
	ssize_t n;
	size_t want;
	char *p;

	luaL_buffinit(L, &b);
	/* the size known: one buffer of it, filled in one read where the
	 * spool allows (not 1 KiB reads into a buffer that doubles) */
	want = size > 0 ? (size_t)size : 0;
	if (max >= 0 && (lua_Integer)want > max)
		want = (size_t)max;
	if (want > 0) {
		p = luaL_prepbuffsize(&b, want);
		while ((size_t)off < want) {
			if ((n = h->tx_body_read(tx, off, p + off,
			    want - (size_t)off)) < 0)
				return luaL_error(L, "tx:body: cannot read the body");
			if (n == 0)
				break;
			off += n;
		}
		luaL_addsize(&b, (size_t)off);
	}
	/* whatever the size did not tell */
	for (;;) {
		want = LUAL_BUFFERSIZE;
		if (max >= 0 && (lua_Integer)off + (lua_Integer)want > max)
			want = (size_t)(max - (lua_Integer)off);
		if (want == 0)
			break;
		p = luaL_prepbuffsize(&b, want);
		if ((n = h->tx_body_read(tx, off, p, want)) < 0)
			return luaL_error(L, "tx:body: cannot read the body");
		if (n == 0)
			break;
		luaL_addsize(&b, (size_t)n);
		off += n;
	}
	luaL_pushresult(&b);
	return 1;
}

static int
lua_tx_add_header(lua_State *L)
{
	struct pg_tx *tx = check_tx(L, 1);

	lb_check_header_name(L, 2, "tx:add_header");
	lb_check_text(L, 3, "tx:add_header", "header value");
	return host_result(L, host_of(L)->tx_add_header(tx,
	    lua_tostring(L, 2), lua_tostring(L, 3)), "add_header");
}

static int
lua_tx_insert_header(lua_State *L)
{
	struct pg_tx *tx = check_tx(L, 1);
	lua_Integer pos = luaL_checkinteger(L, 2);

	luaL_argcheck(L, pos >= 1, 2, "positions count from 1 (the top)");
	lb_check_header_name(L, 3, "tx:insert_header");
	lb_check_text(L, 4, "tx:insert_header", "header value");
	return host_result(L, host_of(L)->tx_insert_header(tx,
	    (size_t)(pos - 1), lua_tostring(L, 3), lua_tostring(L, 4)),
	    "insert_header");
}

static int
lua_tx_change_header(lua_State *L)
{
	struct pg_tx *tx = check_tx(L, 1);
	size_t n;

	lb_check_header_name(L, 2, "tx:change_header");
	if (!lua_isnil(L, 3))
		lb_check_text(L, 3, "tx:change_header", "header value");
	n = check_index(L, 4);
	return host_result(L, host_of(L)->tx_change_header(tx,
	    lua_tostring(L, 2), n, lua_isnil(L, 3) ? NULL :
	    lua_tostring(L, 3)), "change_header");
}

static int
lua_tx_delete_header(lua_State *L)
{
	struct pg_tx *tx = check_tx(L, 1);

	lb_check_header_name(L, 2, "tx:delete_header");
	return host_result(L, host_of(L)->tx_delete_header(tx,
	    lua_tostring(L, 2), check_index(L, 3)), "delete_header");
}

/* rcpt_arg - a recipient address, bare; empty is refused */
static const char *
rcpt_arg(lua_State *L, int idx, char *buf, size_t len, const char *fn)
{
	lb_check_addr(L, idx, buf, len);
	if (*buf == '\0')
		luaL_error(L, "%s: empty recipient address", fn);
	return buf;
}

static int
lua_tx_add_rcpt(lua_State *L)
{
	struct pg_tx *tx = check_tx(L, 1);
	char a[520];

	return host_result(L, host_of(L)->tx_add_rcpt(tx,
	    rcpt_arg(L, 2, a, sizeof(a), "tx:add_rcpt")), "add_rcpt");
}

static int
lua_tx_del_rcpt(lua_State *L)
{
	struct pg_tx *tx = check_tx(L, 1);
	char a[520];

	return host_result(L, host_of(L)->tx_del_rcpt(tx,
	    rcpt_arg(L, 2, a, sizeof(a), "tx:del_rcpt")), "del_rcpt");
}

static int
lua_tx_change_sender(lua_State *L)
{
	struct pg_tx *tx = check_tx(L, 1);
	const char *args = NULL;
	char a[520];

	lb_check_addr(L, 2, a, sizeof(a));
	if (!lua_isnoneornil(L, 3)) {
		lb_check_text(L, 3, "tx:change_sender", "ESMTP arguments");
		args = lua_tostring(L, 3);
		if (strpbrk(args, "\r\n"))
			return luaL_error(L, "tx:change_sender: line break in"
			    " the ESMTP arguments");
	}
	return host_result(L, host_of(L)->tx_change_sender(tx, a, args),
	    "change_sender");
}

static int
lua_tx_replace_body(lua_State *L)
{
	struct pg_tx *tx = check_tx(L, 1);
	size_t len;
	const char *b = luaL_checklstring(L, 2, &len);

	return host_result(L, host_of(L)->tx_replace_body(tx, b, len),
	    "replace_body");
}

static int
lua_tx_quarantine(lua_State *L)
{
	struct pg_tx *tx = check_tx(L, 1);
	const char *r = luaL_checkstring(L, 2);

	if (strpbrk(r, "\r\n") || strlen(r) != lua_rawlen(L, 2))
		return luaL_error(L, "tx:quarantine: CR, LF or NUL in the"
		    " reason");
	return host_result(L, host_of(L)->tx_quarantine(tx, r),
	    "quarantine");
}

static int
lua_tx_score(lua_State *L)
{
	struct pg_tx *tx = check_tx(L, 1);
	lua_Number pts = luaL_checknumber(L, 2);
	size_t len, i;
	const char *sym = luaL_checklstring(L, 3, &len), *detail = NULL;

	if (!isfinite(pts))
		return luaL_error(L, "tx:score: points must be a finite"
		    " number");
	if (len == 0 || len > 128)
		return luaL_error(L, "tx:score: bad symbol (1 to 128"
		    " characters)");
	for (i = 0; i < len; i++) {
		char c = sym[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == '-'))
			return luaL_error(L, "tx:score: bad symbol '%s'"
			    " (letters, digits, _ . - only)", sym);
	}
	if (!lua_isnoneornil(L, 4)) {
		detail = luaL_checklstring(L, 4, &len);
		for (i = 0; i < len; i++)
			if ((unsigned char)detail[i] < 0x20)
				return luaL_error(L, "tx:score: control"
				    " character in the detail");
	}
	return host_result(L, host_of(L)->tx_score(tx, pts, sym, detail),
	    "score");
}

static int
lua_tx_score_total(lua_State *L)
{
	struct pg_tx *tx = check_tx(L, 1);

	lua_pushnumber(L, host_of(L)->tx_score_total(tx));
	return 1;
}

const luaL_Reg lb_tx_methods[] = {
	{ "header", lua_tx_header },
	{ "header_raw", lua_tx_header_raw },
	{ "headers", lua_tx_headers },
	{ "header_list", lua_tx_header_list },
	{ "body", lua_tx_body },
	{ "add_header", lua_tx_add_header },
	{ "insert_header", lua_tx_insert_header },
	{ "change_header", lua_tx_change_header },
	{ "delete_header", lua_tx_delete_header },
	{ "add_rcpt", lua_tx_add_rcpt },
	{ "del_rcpt", lua_tx_del_rcpt },
	{ "change_sender", lua_tx_change_sender },
	{ "replace_body", lua_tx_replace_body },
	{ "quarantine", lua_tx_quarantine },
	{ "score", lua_tx_score },
	{ "score_total", lua_tx_score_total },
	{ "parts", lua_tx_parts },		/* lua_mime.c */
	{ "text", lua_tx_text },
	{ "subject", lua_tx_subject },
	{ "from", lua_tx_from },
	{ "urls", lua_tx_urls },
	{ NULL, NULL }
};

/* lua_tx_index - fields, then methods */
static int
lua_tx_index(lua_State *L)
{
	struct pg_tx *tx = check_tx(L, 1);
	const struct pg_host *h = host_of(L);
	const char *k = luaL_checkstring(L, 2);
	struct lb_vars *m;
	size_t i, n;

	switch (k[0]) {
	case 'b':
		if (strcmp(k, "body_size") == 0) {
			lua_pushinteger(L, (lua_Integer)h->tx_body_size(tx));
			return 1;
		}
		break;
	case 'i':
		if (strcmp(k, "id") == 0) {
			push_str(L, h->tx_id(tx));
			return 1;
		}
		break;
	case 'r':
		if (strcmp(k, "recipients") == 0) {
			n = h->tx_rcpt_count(tx);
			lua_createtable(L, (int)n, 0);
			for (i = 0; i < n; i++) {
				push_str(L, h->tx_rcpt(tx, i));
				lua_rawseti(L, -2, (lua_Integer)i + 1);
			}
			return 1;
		}
		break;
	case 's':
		if (strcmp(k, "sender") == 0) {
			push_str(L, h->tx_sender(tx));
			return 1;
		}
		if (strcmp(k, "size") == 0) {
			lua_pushinteger(L, (lua_Integer)h->tx_size(tx));
			return 1;
		}
		if (strcmp(k, "session") == 0) {
			lb_session_push(L, h->tx_session(tx));
			return 1;
		}
		break;
	case 'v':
		if (strcmp(k, "vars") == 0) {
			if ((m = h->tx_data_get(tx)) == NULL) {
				if ((m = lb_vars_new()) == NULL)
					return luaL_error(L, "tx.vars: out of"
					    " memory");
				h->tx_data_set(tx, m, lb_vars_free);
			}
			lb_vars_push(L, m);
			return 1;
		}
		break;
	}
	lua_getfield(L, lua_upvalueindex(1), k);
	return 1;
}

static int
lua_tx_newindex(lua_State *L)
{
	check_tx(L, 1);
	return luaL_error(L, "tx.%s is read-only (keep data in tx.vars)",
	    luaL_checkstring(L, 2));
}

static int
lua_tx_tostring(lua_State *L)
{
	struct lb_box *b = luaL_checkudata(L, 1, LB_MT_TX);
	struct lb_interp *in = lb_interp_of(L);
	const char *id;

	if (b->call != in->call || !in->in_call)
		lua_pushliteral(L, "transaction (finished)");
	else {
		id = in->st->host->tx_id(b->p);
		lua_pushfstring(L, "transaction %s", id ? id : "(no id)");
	}
	return 1;
}

void
lb_tx_push(lua_State *L, struct pg_tx *tx)
{
	lb_box_push(L, LB_MT_TX, tx);
}

void
lb_tx_open(lua_State *L)
{
	luaL_newmetatable(L, LB_MT_TX);
	luaL_newlib(L, lb_tx_methods);
	lua_pushcclosure(L, lua_tx_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, lua_tx_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushcfunction(L, lua_tx_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pop(L, 1);
}
