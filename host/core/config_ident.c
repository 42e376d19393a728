/*
 * config_ident - the proxy listener's identity keys (config_ident.h)
 *
 * Public: config_ident_key(), config_ident_check(), config_ident_free().
 *
 *	xclient = false | true | "required"
 *	xforward_from = { "127.0.0.1", "10.0.0.0/8", "::1" }
 *	proxy_protocol = false | true
 *	proxy_from = { "127.0.0.1" }
 *	upstream_proxy_protocol = "none" | "v1" | "v2"
 *
 * Networks are parsed into netlists (netlist.h) at load, so a typo is an
 * error naming the file and the line, never a client silently trusted or
 * refused. Allocation through netlist's pg_*() (a reload runs this).
 */
#include <string.h>

#include "config_ident.h"
#include "netlist.h"

/* get_nets - a list of networks into *out (replacing what was there) */
static int
get_nets(struct confwalk *w, const char *path, const struct lua_conf_node *k,
    struct netlist **out)
{
	char sub[CONFWALK_PATH_LEN], why[200];
	struct netlist *l;
	size_t i;

	if (confwalk_want_type(w, path, k, LUA_CONF_TABLE,
	    "a list of networks") == -1)
		return -1;
	if ((l = netlist_new()) == NULL)
		return confwalk_oom(w);
	netlist_free(*out);
	*out = l;
	for (i = 0; i < k->nkids; i++) {
		const struct lua_conf_node *e = &k->kids[i];

		confwalk_sub_path(sub, sizeof(sub), path, e);
		if (e->key != NULL)
			return confwalk_fail(w, e->line, "unknown key '%s' in %s "
			    "(a list: %s = { \"127.0.0.1\", \"10.0.0.0/8\" })",
			    e->key, path, path);
		if (confwalk_want_type(w, sub, e, LUA_CONF_STRING,
		    "a network as a string (\"ADDR\" or \"ADDR/BITS\")") == -1)
			return -1;
		if (netlist_add(l, e->str, why, sizeof(why)) == -1)
			return confwalk_fail(w, e->line, "%s: %s", sub, why);
	}
	return 0;
}

/* get_xclient - false, true or "required" */
static int
get_xclient(struct confwalk *w, const char *path, const struct lua_conf_node *k,
    int *out)
{
	if (k->type == LUA_CONF_STRING) {
		if (strcmp(k->str, "required") != 0)
			return confwalk_fail(w, k->line, "%s: '%s' is not one of "
			    "true, false, \"required\"", path, k->str);
		*out = CONFIG_XCLIENT_REQUIRED;
		return 0;
	}
	return confwalk_get_bool(w, path, k, out);
}

/* get_upp - upstream_proxy_protocol: "none", "v1" or "v2" */
static int
get_upp(struct confwalk *w, const char *path, const struct lua_conf_node *k,
    int *out)
{
	if (confwalk_want_type(w, path, k, LUA_CONF_STRING, "a string") == -1)
		return -1;
	if (strcmp(k->str, "none") == 0)
		*out = 0;
	else if (strcmp(k->str, "v1") == 0)
		*out = 1;
	else if (strcmp(k->str, "v2") == 0)
		*out = 2;
	else
		return confwalk_fail(w, k->line, "%s: '%s' is not one of none, "
		    "v1, v2", path, k->str);
	return 0;
}

int
config_ident_key(struct confwalk *w, const char *path,
    const struct lua_conf_node *k, struct config_smtp *s)
{
	const char *key = k->key != NULL ? k->key : "";
	int rc;

	if (strcmp(key, "xclient") == 0)
		rc = get_xclient(w, path, k, &s->xclient);
	else if (strcmp(key, "xforward_from") == 0)
		rc = get_nets(w, path, k, &s->xforward_from);
	else if (strcmp(key, "proxy_protocol") == 0)
		rc = confwalk_get_bool(w, path, k, &s->proxy_protocol);
	else if (strcmp(key, "proxy_from") == 0)
		rc = get_nets(w, path, k, &s->proxy_from);
	else if (strcmp(key, "upstream_proxy_protocol") == 0)
		rc = get_upp(w, path, k, &s->upstream_proxy_protocol);
	else
		return 0;
	return rc == -1 ? -1 : 1;
}

int
config_ident_check(struct confwalk *w, const char *where, int line,
    struct config_smtp *s)
{
	if (s->proxy_protocol && netlist_count(s->proxy_from) == 0)
		return confwalk_fail(w, line, "%s: proxy_protocol needs "
		    "proxy_from, the addresses allowed to send a PROXY header "
		    "(e.g. proxy_from = { \"127.0.0.1\" })", where);
	if (!s->proxy_protocol && s->proxy_from != NULL)
		return confwalk_fail(w, line, "%s: proxy_from without "
		    "proxy_protocol = true", where);
	return 0;
}

void
config_ident_free(struct config_smtp *s)
{
	netlist_free(s->xforward_from);
	netlist_free(s->proxy_from);
	s->xforward_from = s->proxy_from = NULL;
}
