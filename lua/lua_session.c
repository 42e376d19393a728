/*
 * lua_session - the session object handed to connect, helo and close
 * handlers (and reached as tx.session)
 *
 * Public (to lua/): lb_session_open(), lb_session_push(),
 * lb_session_methods, lb_session_fields.
 *
 * Fields are read through the host table on each access; nothing is
 * cached in the interpreter. session.vars is the filter's session data
 * slot (a struct lb_vars), created on first use. The box is valid for the
 * handler call that made it only.
 */

#include <string.h>

#include "lua_int.h"
#include "lua_vars.h"

const char *const lb_session_fields[] = {
	"id", "client_addr", "client_port", "client_name", "helo", "tls",
	"auth", "frontend", "vars", "client_ptr", NULL
};

/* check_session - the session of the box at idx */
static struct pg_session *
check_session(lua_State *L, int idx)
{
	return lb_box_check(L, idx, LB_MT_SESSION, "session");
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

/* tls_tostring - a session.tls table prints as its version */
static int
tls_tostring(lua_State *L)
{
	lua_getfield(L, 1, "version");
	return 1;
}

/*
 * push_tls - session.tls: { version, cipher, bits, peer_subject, verified }
 * (a table that prints as its version), or nil without TLS; a host
 * without session_tls gives { version } from PG_S_TLS
 */
static void
push_tls(lua_State *L, const struct pg_host *h, struct pg_session *s)
{
	const struct pg_tls *t = h->session_tls ? h->session_tls(s) : NULL;
	const char *v = t ? t->version : h->session_str(s, PG_S_TLS);

	if (v == NULL) {
		lua_pushnil(L);
		return;
	}
	lua_createtable(L, 0, 5);
	lua_pushstring(L, v);
	lua_setfield(L, -2, "version");
	if (t != NULL && t->cipher != NULL) {
		lua_pushstring(L, t->cipher);
		lua_setfield(L, -2, "cipher");
	}
	if (t != NULL && t->bits > 0) {
		lua_pushinteger(L, t->bits);
		lua_setfield(L, -2, "bits");
	}
	if (t != NULL && t->peer_subject != NULL && t->peer_subject[0]) {
		lua_pushstring(L, t->peer_subject);
		lua_setfield(L, -2, "peer_subject");
	}
	lua_pushboolean(L, t != NULL && t->verified);
	lua_setfield(L, -2, "verified");
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, tls_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_setmetatable(L, -2);
}

/***
 * @method session:macro(name)
 * A milter macro ("j", "{daemon_name}"), or nil (always nil in the proxy).
 */
static int
lua_session_macro(lua_State *L)
{
	struct pg_session *s = check_session(L, 1);
	const struct pg_host *h = lb_interp_of(L)->st->host;

	push_str(L, h->session_macro(s, luaL_checkstring(L, 2)));
	return 1;
}

const luaL_Reg lb_session_methods[] = {
	{ "macro", lua_session_macro },
	{ NULL, NULL }
};

/* lua_session_index - fields, then methods */
static int
lua_session_index(lua_State *L)
{
	struct pg_session *s = check_session(L, 1);
	const struct pg_host *h = lb_interp_of(L)->st->host;
	const char *k = luaL_checkstring(L, 2);
	struct lb_vars *m;
	static const struct {
		const char		*name;
		enum pg_session_str	 f;
	} strs[] = {
		{ "id", PG_S_ID }, { "client_addr", PG_S_CLIENT_ADDR },
		{ "client_name", PG_S_CLIENT_NAME }, { "helo", PG_S_HELO },
		{ "auth", PG_S_AUTH },
		{ "frontend", PG_S_FRONTEND }, { "client_ptr", PG_S_CLIENT_PTR },
	};
	size_t i;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strcmp(k, strs[i].name) == 0) {
			push_str(L, h->session_str(s, strs[i].f));
			return 1;
		}
	if (strcmp(k, "tls") == 0) {
		push_tls(L, h, s);
		return 1;
	}
	if (strcmp(k, "client_port") == 0) {
		lua_pushinteger(L, h->session_client_port(s));
		return 1;
	}
	if (strcmp(k, "vars") == 0) {
		if ((m = h->session_data_get(s)) == NULL) {
			if ((m = lb_vars_new()) == NULL)
				return luaL_error(L, "session.vars: out of"
				    " memory");
			h->session_data_set(s, m, lb_vars_free);
		}
		lb_vars_push(L, m);
		return 1;
	}
	lua_getfield(L, lua_upvalueindex(1), k);
	return 1;
}

/* lua_session_newindex - fields are read-only */
static int
lua_session_newindex(lua_State *L)
{
	check_session(L, 1);
	return luaL_error(L, "session.%s is read-only (keep data in"
	    " session.vars)", luaL_checkstring(L, 2));
}

/* lua_session_tostring - "session ID" */
static int
lua_session_tostring(lua_State *L)
{
	struct lb_box *b = luaL_checkudata(L, 1, LB_MT_SESSION);
	struct lb_interp *in = lb_interp_of(L);

	if (b->call != in->call || !in->in_call)
		lua_pushliteral(L, "session (finished)");
	else
		lua_pushfstring(L, "session %s",
		    in->st->host->session_str(b->p, PG_S_ID));
	return 1;
}

void
lb_session_push(lua_State *L, struct pg_session *s)
{
	lb_box_push(L, LB_MT_SESSION, s);
}

void
lb_session_open(lua_State *L)
{
	luaL_newmetatable(L, LB_MT_SESSION);
	luaL_newlib(L, lb_session_methods);
	lua_pushcclosure(L, lua_session_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, lua_session_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushcfunction(L, lua_session_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pop(L, 1);
}
