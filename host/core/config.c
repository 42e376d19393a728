/*
 * config - load and check the configuration file (DESIGN section 2)
 *
 * Public: config_load(), config_load_string(), config_free(), config_path().
 *
 * lua_conf_eval() runs the file in its sandbox and hands back a tree of
 * plain nodes, each with the line its key was written on; this module
 * walks that tree in file order, checks every key, type and value, and
 * fills struct config. The first problem ends the load: config_load()
 * returns NULL with "FILE:LINE: message" in err (for example
 * "phasegate.conf:7: unknown key 'listn' in smtp[1]"). Lua syntax and
 * runtime errors come as Lua words them, with the file name; an unreadable
 * file as "FILE: strerror".
 *
 * Values are kept as written, except that spool.dir and the entries of
 * lua.path are made absolute against the directory of the file; plugin,
 * script and rules paths are resolved by the caller with config_path().
 *
 * Ownership: the struct and all its strings are the caller's, freed with
 * config_free(). Allocation uses pg_*(): a SIGHUP reload runs this code
 * in the running daemon, so memory running out fails the load with
 * "FILE: out of memory" (what was built so far is freed), never exits.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "config_listen.h"
#include "config_ident.h"
#include "config_tls.h"
#include "config_stats.h"
#include "config_store.h"
#include "confwalk.h"
#include "file.h"
#include "lua_conf.h"
#include "units.h"
#include "xmalloc.h"

#define CONFIG_FILE_MAX	(1024 * 1024)		/* bytes of configuration text */

/* Sentinel for a filter's on_error before the global one is known. */
#define ON_ERROR_UNSET	PG_CONTINUE

/* do_milter - milter = { listen = "inet:8891@127.0.0.1", socket_mode = ... } */
static int
do_milter(struct confwalk *w, const struct lua_conf_node *n)
{
	char path[CONFWALK_PATH_LEN];
	size_t i;

	if (confwalk_want_table(w, "milter", n) == -1)
		return -1;
	for (i = 0; i < n->nkids; i++) {
		const struct lua_conf_node *k = &n->kids[i];
		int rc;

		confwalk_sub_path(path, sizeof(path), "milter", k);
		if (k->key != NULL && strcmp(k->key, "listen") == 0) {
			if (confwalk_get_string(w, path, k, &w->cfg->milter_listen) == -1 ||
			    confwalk_check_addr(w, path, k, "socket", 0) == -1)
				return -1;
			continue;
		}
		if ((rc = config_listen_sock_key(w, path, k,
		    &w->cfg->milter_sock)) == 1)
			return confwalk_unknown(w, "milter", k);
		if (rc == -1)
			return -1;
	}
	if (w->cfg->milter_listen == NULL)
		return confwalk_fail(w, n->line, "milter: needs 'listen'");
	return config_listen_sock_check(w, "milter", n->line,
	    w->cfg->milter_listen, &w->cfg->milter_sock);
}

/* do_smtp_one - one listener table */
static int
do_smtp_one(struct confwalk *w, const char *where, const struct lua_conf_node *n,
    struct config_smtp *s)
{
	char path[CONFWALK_PATH_LEN];
	size_t i;

	s->received = 1;
	s->max_message_size = 50 * 1024 * 1024;
	s->max_recipients = 1000;
	s->max_hops = 50;
	s->max_sessions = 1000;
	s->max_sessions_per_client = 50;
	s->hard_error_limit = 20;
	s->junk_command_limit = 100;
	s->bare_newline = CONFIG_BARE_NL_REJECT;
	s->line = n->line;
	if (confwalk_want_table(w, where, n) == -1)
		return -1;
	for (i = 0; i < n->nkids; i++) {
		const struct lua_conf_node *k = &n->kids[i];
		const char *key = k->key != NULL ? k->key : "";
		int rc;

		confwalk_sub_path(path, sizeof(path), where, k);
		if ((rc = config_ident_key(w, path, k, s)) != 0 ||
		    (rc = config_tls_key(w, path, k, s)) != 0) {
			if (rc == -1)
				return -1;
			continue;
		}
		if (strcmp(key, "listen") == 0 || strcmp(key, "upstream") == 0) {
			char **dst = key[0] == 'l' ? &s->listen : &s->upstream;

			/* listen: every form (TCP or a unix socket) */
			if (confwalk_get_string(w, path, k, dst) == -1 ||
			    confwalk_check_addr(w, path, k, "address", key[0] == 'l' ?
			    0 : ADDR_CONNECT) == -1)
				return -1;
			continue;
		}
		if (strcmp(key, "received") == 0)
			rc = confwalk_get_bool(w, path, k, &s->received);
		else if (strcmp(key, "max_message_size") == 0)
			rc = confwalk_get_size(w, path, k, &s->max_message_size);
		else if (strcmp(key, "max_recipients") == 0)
			rc = confwalk_get_count(w, path, k, 1, &s->max_recipients);
		else if (strcmp(key, "max_hops") == 0)
			rc = confwalk_get_count(w, path, k, 1, &s->max_hops);
		else if (strcmp(key, "max_sessions") == 0)
			rc = confwalk_get_count(w, path, k, 1, &s->max_sessions);
		else if (strcmp(key, "max_sessions_per_client") == 0)
			rc = confwalk_get_count(w, path, k, 0, &s->max_sessions_per_client);
		else if (strcmp(key, "hard_error_limit") == 0)
			rc = confwalk_get_count(w, path, k, 0, &s->hard_error_limit);
		else if (strcmp(key, "junk_command_limit") == 0)
			rc = confwalk_get_count(w, path, k, 0, &s->junk_command_limit);
		else if (strcmp(key, "bare_newline") == 0) {
			if ((rc = confwalk_want_type(w, path, k, LUA_CONF_STRING,
			    "a string")) == 0) {
				if (strcmp(k->str, "reject") == 0)
					s->bare_newline = CONFIG_BARE_NL_REJECT;
				else if (strcmp(k->str, "normalize") == 0)
					s->bare_newline = CONFIG_BARE_NL_NORMALIZE;
				else
					rc = confwalk_fail(w, k->line, "%s: '%s' is not "
					    "one of reject, normalize", path,
					    k->str);
			}
		} else if (strcmp(key, "hostname") == 0)
			rc = config_listen_hostname(w, path, k, &s->hostname);
		else if ((rc = config_listen_sock_key(w, path, k, &s->sock)) == 1)
			rc = confwalk_unknown(w, where, k);
		if (rc == -1)
			return -1;
	}
	if (s->listen == NULL)
		return confwalk_fail(w, n->line, "%s: needs 'listen'", where);
	if (s->upstream == NULL)
		return confwalk_fail(w, n->line, "%s: needs 'upstream'", where);
	if (config_listen_sock_check(w, where, n->line, s->listen,
	    &s->sock) == -1)
		return -1;
	if (config_tls_check(w, where, n->line, s) == -1)
		return -1;
	return config_ident_check(w, where, n->line, s);
}

/* do_smtp - smtp = { { listen = ..., upstream = ... }, ... } */
static int
do_smtp(struct confwalk *w, const struct lua_conf_node *n)
{
	struct config *c = w->cfg;
	char path[CONFWALK_PATH_LEN];
	size_t i, j;

	if (confwalk_want_list(w, "smtp", n, "{ listen = ..., upstream = ... }") == -1)
		return -1;
	for (i = 0; i < c->nsmtp; i++) {
		free(c->smtp[i].listen);
		free(c->smtp[i].upstream);
		free(c->smtp[i].hostname);
		config_listen_sock_free(&c->smtp[i].sock);
		config_ident_free(&c->smtp[i]);
		config_tls_free(&c->smtp[i]);
	}
	free(c->smtp);
	c->nsmtp = 0;
	if ((c->smtp = pg_calloc(n->nkids ? n->nkids : 1,
	    sizeof(*c->smtp))) == NULL)
		return confwalk_oom(w);
	for (i = 0; i < n->nkids; i++) {
		confwalk_sub_path(path, sizeof(path), "smtp", &n->kids[i]);
		c->nsmtp++;
		if (do_smtp_one(w, path, &n->kids[i], &c->smtp[i]) == -1)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(c->smtp[j].listen, c->smtp[i].listen) == 0)
				return confwalk_fail(w, n->kids[i].line, "%s.listen: '%s' "
				    "is already used by smtp[%zu]", path,
				    c->smtp[i].listen, j + 1);
	}
	return 0;
}

/* filter_free - free what one filter entry owns */
static void
filter_free(struct config_filter *f)
{
	size_t i;

	free(f->plugin);
	free(f->script);
	free(f->where);
	for (i = 0; i < f->nopts; i++) {
		free(f->opts[i].key);
		free(f->opts[i].value);
	}
	free(f->opts);
}

/* filter_opt - one option of a filter entry, its value as text */
static int
filter_opt(struct confwalk *w, const char *path, const struct lua_conf_node *k,
    struct config_filter *f)
{
	struct config_opt *o = &f->opts[f->nopts];
	const char *v;

	switch (k->type) {
	case LUA_CONF_STRING:
		if (strlen(k->str) != k->len)
			return confwalk_fail(w, k->line, "%s: contains a NUL byte", path);
		v = k->str;
		break;
	case LUA_CONF_NUMBER:
		v = k->str;
		break;
	case LUA_CONF_BOOLEAN:
		v = k->boolean ? "true" : "false";
		break;
	default:
		return confwalk_fail(w, k->line, "%s: a filter option must be a string, "
		    "number or boolean, not a %s", path, lua_conf_type_name(k));
	}
	o->key = pg_strdup(k->key);
	o->value = pg_strdup(v);
	f->nopts++;		/* filter_free() frees whichever was made */
	if (o->key == NULL || o->value == NULL)
		return confwalk_oom(w);
	return 0;
}

/* do_filter_one - { plugin = ... | script = ..., on_error = ..., opt = ... } */
static int
do_filter_one(struct confwalk *w, const char *where, const struct lua_conf_node *n,
    struct config_filter *f)
{
	char path[CONFWALK_PATH_LEN];
	size_t i, len = strlen(w->file) + 24;

	f->on_error = ON_ERROR_UNSET;
	f->line = n->line;
	if ((f->where = pg_malloc(len)) == NULL)
		return confwalk_oom(w);
	snprintf(f->where, len, "%s:%d", w->file, n->line);
	if (confwalk_want_type(w, where, n, LUA_CONF_TABLE, "a table") == -1)
		return -1;
	if ((f->opts = pg_calloc(n->nkids ? n->nkids : 1,
	    sizeof(*f->opts))) == NULL)
		return confwalk_oom(w);
	for (i = 0; i < n->nkids; i++) {
		const struct lua_conf_node *k = &n->kids[i];

		confwalk_sub_path(path, sizeof(path), where, k);
		if (k->key == NULL)
			return confwalk_unknown(w, where, k);
		if (strcmp(k->key, "plugin") == 0 || strcmp(k->key, "script") == 0) {
			if (confwalk_get_string(w, path, k, k->key[0] == 'p' ?
			    &f->plugin : &f->script) == -1)
				return -1;
			if (f->plugin != NULL && f->script != NULL)
				return confwalk_fail(w, k->line, "%s: has both 'plugin' "
				    "and 'script'", where);
		} else if (strcmp(k->key, "on_error") == 0) {
			if (confwalk_get_verdict(w, path, k, &f->on_error) == -1)
				return -1;
		} else if (filter_opt(w, path, k, f) == -1)
			return -1;
	}
	if (f->plugin == NULL && f->script == NULL)
		return confwalk_fail(w, n->line, "%s: needs 'plugin' or 'script'", where);
	return 0;
}

/* do_filters - filters = { { ... }, ... } */
static int
do_filters(struct confwalk *w, const struct lua_conf_node *n)
{
	struct config *c = w->cfg;
	char path[CONFWALK_PATH_LEN];
	size_t i;

	if (confwalk_want_list(w, "filters", n, "{ plugin = ... }") == -1)
		return -1;
	for (i = 0; i < c->nfilters; i++)
		filter_free(&c->filters[i]);
	free(c->filters);
	c->nfilters = 0;
	if ((c->filters = pg_calloc(n->nkids ? n->nkids : 1,
	    sizeof(*c->filters))) == NULL)
		return confwalk_oom(w);
	for (i = 0; i < n->nkids; i++) {
		confwalk_sub_path(path, sizeof(path), "filters", &n->kids[i]);
		c->nfilters++;
		if (do_filter_one(w, path, &n->kids[i], &c->filters[i]) == -1)
			return -1;
	}
	return 0;
}

/* do_actions - actions = { add_header = 5, tempfail = 10, reject = 15 } */
static int
do_actions(struct confwalk *w, const struct lua_conf_node *n)
{
	static const char *names[] = { "add_header", "tempfail", "reject" };
	struct config *c = w->cfg;
	double *vals[3] = { &c->act_add_header, &c->act_tempfail,
	    &c->act_reject };
	int lines[3] = { 0, 0, 0 };
	char path[CONFWALK_PATH_LEN];
	size_t i, j, a;

	if (confwalk_want_table(w, "actions", n) == -1)
		return -1;
	c->has_actions = 1;
	for (j = 0; j < 3; j++)
		*vals[j] = NAN;
	for (i = 0; i < n->nkids; i++) {
		const struct lua_conf_node *k = &n->kids[i];

		confwalk_sub_path(path, sizeof(path), "actions", k);
		for (a = 0; a < 3; a++)
			if (k->key != NULL && strcmp(k->key, names[a]) == 0)
				break;
		if (a == 3)
			return confwalk_unknown(w, "actions", k);
		if (confwalk_get_score(w, path, k, vals[a]) == -1)
			return -1;
		lines[a] = k->line;
	}
	/* a higher action needs a threshold at least as high as a lower one */
	for (a = 1; a < 3; a++)
		for (j = 0; j < a; j++)
			if (!isnan(*vals[a]) && !isnan(*vals[j]) &&
			    *vals[a] < *vals[j])
				return confwalk_fail(w, lines[a], "actions: %s (%g) must "
				    "not be below %s (%g)", names[a], *vals[a],
				    names[j], *vals[j]);
	return 0;
}

/*
 * do_timeouts - timeouts = { command, data, data_rate_min, idle, upstream,
 * script, lookups }
 */
static int
do_timeouts(struct confwalk *w, const struct lua_conf_node *n)
{
	struct config *c = w->cfg;
	char path[CONFWALK_PATH_LEN];
	size_t i;

	if (confwalk_want_table(w, "timeouts", n) == -1)
		return -1;
	for (i = 0; i < n->nkids; i++) {
		const struct lua_conf_node *k = &n->kids[i];
		const char *key = k->key != NULL ? k->key : "";
		uint64_t *dst;

		confwalk_sub_path(path, sizeof(path), "timeouts", k);
		if (strcmp(key, "data_rate_min") == 0) {
			/* a size per second; 0: the DATA deadline never grows */
			if (confwalk_get_size(w, path, k, &c->data_rate_min) == -1)
				return -1;
			continue;
		}
		if (strcmp(key, "command") == 0)
			dst = &c->timeout_command_ms;
		else if (strcmp(key, "idle") == 0)
			dst = &c->timeout_idle_ms;
		else if (strcmp(key, "data") == 0)
			dst = &c->timeout_data_ms;
		else if (strcmp(key, "upstream") == 0)
			dst = &c->timeout_upstream_ms;
		else if (strcmp(key, "script") == 0)
			dst = &c->timeout_script_ms;
		else if (strcmp(key, "lookups") == 0)
			dst = &c->timeout_lookups_ms;
		else
			return confwalk_unknown(w, "timeouts", k);
		if (confwalk_get_duration(w, path, k, dst) == -1)
			return -1;
	}
	return 0;
}

/* resolve - a path relative to the file's directory, in place */
static int
resolve(struct confwalk *w, char **p)
{
	char *r;

	if (*p == NULL || (*p)[0] == '/')
		return 0;
	if ((r = config_path(w->cfg, *p)) == NULL)
		return confwalk_oom(w);
	free(*p);
	*p = r;
	return 0;
}

/* do_spool - spool = { memory_max = "1M", dir = "/var/spool/phasegate" } */
static int
do_spool(struct confwalk *w, const struct lua_conf_node *n)
{
	struct config *c = w->cfg;
	char path[CONFWALK_PATH_LEN];
	size_t i;

	if (confwalk_want_table(w, "spool", n) == -1)
		return -1;
	for (i = 0; i < n->nkids; i++) {
		const struct lua_conf_node *k = &n->kids[i];
		const char *key = k->key != NULL ? k->key : "";

		confwalk_sub_path(path, sizeof(path), "spool", k);
		if (strcmp(key, "memory_max") == 0) {
			if (confwalk_get_size(w, path, k, &c->spool_memory_max) == -1)
				return -1;
		} else if (strcmp(key, "dir") == 0) {
			if (confwalk_get_string(w, path, k, &c->spool_dir) == -1 ||
			    resolve(w, &c->spool_dir) == -1)
				return -1;
		} else
			return confwalk_unknown(w, "spool", k);
	}
	return 0;
}

/* do_mime - mime = { max_parts, max_depth, max_header, max_decoded, max_text, max_urls, max_archive_members } */
static int
do_mime(struct confwalk *w, const struct lua_conf_node *n)
{
	struct config *c = w->cfg;
	char path[CONFWALK_PATH_LEN];
	const char *key;
	size_t i;
	int r;

	if (confwalk_want_table(w, "mime", n) == -1)
		return -1;
	for (i = 0; i < n->nkids; i++) {
		key = n->kids[i].key != NULL ? n->kids[i].key : "";
		confwalk_sub_path(path, sizeof(path), "mime", &n->kids[i]);
		if (strcmp(key, "max_parts") == 0)
			r = confwalk_get_count(w, path, &n->kids[i], 1, &c->mime_max_parts);
		else if (strcmp(key, "max_depth") == 0) {
			if ((r = confwalk_get_count(w, path, &n->kids[i], 1,
			    &c->mime_max_depth)) == 0 && c->mime_max_depth > 100)
				r = confwalk_fail(w, n->kids[i].line, "%s: at most 100", path);
		} else if (strcmp(key, "max_header") == 0)
			r = confwalk_get_size(w, path, &n->kids[i], &c->mime_max_header);
		else if (strcmp(key, "max_decoded") == 0)
			r = confwalk_get_size(w, path, &n->kids[i], &c->mime_max_decoded);
		else if (strcmp(key, "max_text") == 0)
			r = confwalk_get_size(w, path, &n->kids[i], &c->mime_max_text);
		else if (strcmp(key, "max_urls") == 0)
			r = confwalk_get_count(w, path, &n->kids[i], 1, &c->mime_max_urls);
		else if (strcmp(key, "max_archive_members") == 0)
			r = confwalk_get_count(w, path, &n->kids[i], 1,
			    &c->mime_max_archive_members);
		else
			return confwalk_unknown(w, "mime", &n->kids[i]);
		if (r == -1)
			return -1;
	}
	return 0;
}

/* do_lua - lua = { memory_max = "64M", path = "dir;dir" } */
static int
do_lua(struct confwalk *w, const struct lua_conf_node *n)
{
	struct config *c = w->cfg;
	char path[CONFWALK_PATH_LEN];
	size_t i;

	if (confwalk_want_table(w, "lua", n) == -1)
		return -1;
	for (i = 0; i < n->nkids; i++) {
		const struct lua_conf_node *k = &n->kids[i];
		const char *key = k->key != NULL ? k->key : "";

		confwalk_sub_path(path, sizeof(path), "lua", k);
		if (strcmp(key, "memory_max") == 0) {
			if (confwalk_get_size(w, path, k, &c->lua_memory_max) == -1)
				return -1;
			if (c->lua_memory_max == 0)
				return confwalk_fail(w, k->line, "%s: must be more than 0",
				    path);
		} else if (strcmp(key, "path") == 0) {
			char *raw = NULL;

			if (confwalk_get_string(w, path, k, &raw) == -1)
				return -1;
			free(c->lua_path);
			c->lua_path = file_join_list(c->dir, raw);
			free(raw);
			if (c->lua_path == NULL)
				return confwalk_oom(w);
		} else
			return confwalk_unknown(w, "lua", k);
	}
	return 0;
}

/* check_dns_server - "192.0.2.1", "192.0.2.1:53", "::1", "[::1]:53"; NULL or a reason */
static const char *
check_dns_server(const char *s)
{
	unsigned char a[16];
	const char *colon = strrchr(s, ':');
	struct addr ad;
	char why[256], host[64];
	int ok;

	if (inet_pton(AF_INET6, s, a) == 1 || inet_pton(AF_INET, s, a) == 1)
		return NULL;
	ok = addr_parse(s, ADDR_CONNECT | ADDR_HOSTPORT, &ad, why,
	    sizeof(why)) == 0;
	if (s[0] == '[')
		return ok && ad.family == AF_INET6 ? NULL :
		    "expected [IPv6]:port";
	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return "expected an IP address";
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (inet_pton(AF_INET, host, a) != 1)
		return "expected an IP address";
	return ok ? NULL : "bad port";
}

/* do_dns_servers - dns.servers = { "127.0.0.1", "[::1]:53", ... } */
static int
do_dns_servers(struct confwalk *w, const char *path, const struct lua_conf_node *n)
{
	struct config *c = w->cfg;
	char sub[CONFWALK_PATH_LEN];
	const char *why;
	size_t i;

	if (confwalk_want_type(w, path, n, LUA_CONF_TABLE, "a list of addresses") == -1)
		return -1;
	if (n->nkids == 0)
		return confwalk_fail(w, n->line, "%s: must not be empty (leave it out "
		    "for /etc/resolv.conf)", path);
	for (i = 0; i < c->ndns_servers; i++)
		free(c->dns_servers[i]);
	free(c->dns_servers);
	if ((c->dns_servers = pg_calloc(n->nkids, sizeof(*c->dns_servers))) ==
	    NULL)
		return confwalk_oom(w);
	c->ndns_servers = 0;
	for (i = 0; i < n->nkids; i++) {
		const struct lua_conf_node *k = &n->kids[i];
		char **dst = &c->dns_servers[c->ndns_servers];

		confwalk_sub_path(sub, sizeof(sub), path, k);
		if (k->key != NULL || k->index != (long long)i + 1)
			return confwalk_fail(w, k->line, "%s: a list of addresses: "
			    "{ \"127.0.0.1\", \"[::1]:53\" }", path);
		if (confwalk_get_string(w, sub, k, dst) == -1)
			return -1;
		c->ndns_servers++;
		if ((why = check_dns_server(*dst)) != NULL)
			return confwalk_fail(w, k->line, "%s: bad server '%s': %s", sub,
			    *dst, why);
	}
	return 0;
}

/* do_dns - dns = { servers = { ... }, timeout = "2s", attempts = 2 } */
static int
do_dns(struct confwalk *w, const struct lua_conf_node *n)
{
	struct config *c = w->cfg;
	char path[CONFWALK_PATH_LEN];
	size_t i;
	int rc;

	if (confwalk_want_table(w, "dns", n) == -1)
		return -1;
	for (i = 0; i < n->nkids; i++) {
		const struct lua_conf_node *k = &n->kids[i];
		const char *key = k->key != NULL ? k->key : "";

		confwalk_sub_path(path, sizeof(path), "dns", k);
		if (strcmp(key, "servers") == 0)
			rc = do_dns_servers(w, path, k);
		else if (strcmp(key, "timeout") == 0) {
			if ((rc = confwalk_get_duration(w, path, k, &c->dns_timeout_ms)) == 0 &&
			    c->dns_timeout_ms > 60000)
				rc = confwalk_fail(w, k->line, "%s: at most 60s", path);
		} else if (strcmp(key, "attempts") == 0) {
			if ((rc = confwalk_get_count(w, path, k, 1, &c->dns_attempts)) == 0 &&
			    c->dns_attempts > 10)
				rc = confwalk_fail(w, k->line, "%s: at most 10", path);
		} else
			return confwalk_unknown(w, "dns", k);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* do_top - one top-level key */
static int
do_top(struct confwalk *w, const struct lua_conf_node *k)
{
	struct config *c = w->cfg;
	const char *key = k->key;
	int rc;

	if (key == NULL)
		return confwalk_unknown(w, "", k);
	if (strcmp(key, "milter") == 0)
		return do_milter(w, k);
	if (strcmp(key, "smtp") == 0)
		return do_smtp(w, k);
	if (strcmp(key, "filters") == 0)
		return do_filters(w, k);
	if (strcmp(key, "actions") == 0)
		return do_actions(w, k);
	if (strcmp(key, "on_error") == 0)
		return confwalk_get_verdict(w, key, k, &c->on_error);
	if (strcmp(key, "timeouts") == 0)
		return do_timeouts(w, k);
	if (strcmp(key, "spool") == 0)
		return do_spool(w, k);
	if (strcmp(key, "mime") == 0)
		return do_mime(w, k);
	if (strcmp(key, "user") == 0)
		return confwalk_get_string(w, key, k, &c->user);
	if ((rc = config_stats_top(w, k)) != 1)	/* log, log_level, stats */
		return rc;
	if (strcmp(key, "lua") == 0)
		return do_lua(w, k);
	if (strcmp(key, "dns") == 0)
		return do_dns(w, k);
	if (strcmp(key, "store") == 0)
		return config_store(w, k);
	return confwalk_unknown(w, "", k);
}

/* default_spool_dir - /var/spool/phasegate if it exists, else $TMPDIR, /tmp */
static char *
default_spool_dir(void)
{
	struct stat st;
	const char *tmp;

	if (stat("/var/spool/phasegate", &st) == 0 && S_ISDIR(st.st_mode))
		return pg_strdup("/var/spool/phasegate");
	if ((tmp = getenv("TMPDIR")) != NULL && tmp[0] != '\0')
		return pg_strdup(tmp);
	return pg_strdup("/tmp");
}

/* config_new - a configuration with every default but the spool dir */
static struct config *
config_new(const char *name)
{
	struct config *c;

	if ((c = pg_calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->file = pg_strdup(name)) == NULL ||
	    (c->dir = file_dir(name)) == NULL) {
		config_free(c);
		return NULL;
	}
	c->act_add_header = c->act_tempfail = c->act_reject = NAN;
	c->on_error = PG_TEMPFAIL;
	c->timeout_command_ms = 60 * 1000;
	c->timeout_data_ms = 10 * 60 * 1000;
	c->data_rate_min = 500;
	c->timeout_idle_ms = 5 * 60 * 1000;
	c->timeout_upstream_ms = 5 * 60 * 1000;
	c->timeout_script_ms = 200;
	c->timeout_lookups_ms = 5000;
	c->dns_timeout_ms = 2000;
	c->dns_attempts = 2;
	c->spool_memory_max = 1024 * 1024;
	c->lua_memory_max = 64 * 1024 * 1024;
	c->store_memory_max = 64 * 1024 * 1024;
	c->store_timeout_ms = 200;
	c->store_pool = 16;
	c->mime_max_parts = 1000;
	c->mime_max_depth = 20;
	c->mime_max_header = 64 * 1024;
	c->mime_max_decoded = 10 * 1024 * 1024;
	c->mime_max_text = 1024 * 1024;
	c->mime_max_urls = 1000;
	c->mime_max_archive_members = 1000;
	c->log_level = 2;	/* LOG_LEVEL_INFO */
	return c;
}

/* walk_tree - every top-level key into c, then what depends on them all */
static int
walk_tree(struct confwalk *w, const struct lua_conf_node *root)
{
	struct config *c = w->cfg;
	size_t i;

	for (i = 0; i < root->nkids; i++)
		if (do_top(w, &root->kids[i]) == -1)
			return -1;
	for (i = 0; i < c->nfilters; i++)
		if (c->filters[i].on_error == ON_ERROR_UNSET)
			c->filters[i].on_error = c->on_error;
	if (c->spool_dir == NULL && (c->spool_dir = default_spool_dir()) == NULL)
		return confwalk_oom(w);
	return 0;
}

struct config *
config_load_string(const char *name, const char *text, char *err,
    size_t errlen)
{
	struct lua_conf_node *root;
	struct config *c;
	struct confwalk w;

	if (errlen > 0)
		err[0] = '\0';
	if (strlen(text) > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "%s: file too large (more than %d KiB)",
		    name, CONFIG_FILE_MAX / 1024);
		return NULL;
	}
	root = lua_conf_eval(name, text, strlen(text), NULL, err, errlen);
	if (root == NULL)
		return NULL;
	w.file = name;
	w.err = err;
	w.errlen = errlen;
	if ((w.cfg = c = config_new(name)) == NULL)
		confwalk_oom(&w);
	else if (walk_tree(&w, root) == -1) {
		config_free(c);
		c = NULL;
	}
	lua_conf_free(root);
	return c;
}

struct config *
config_load(const char *file, char *err, size_t errlen)
{
	struct config *c;
	char *text;
	size_t len;

	if (errlen > 0)
		err[0] = '\0';
	if (file_check_writers(file, err, errlen) == -1 ||
	    (text = file_read(file, CONFIG_FILE_MAX, &len, err, errlen)) == NULL)
		return NULL;
	if (strlen(text) != len) {
		snprintf(err, errlen, "%s: contains a NUL byte", file);
		free(text);
		return NULL;
	}
	c = config_load_string(file, text, err, errlen);
	free(text);
	return c;
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->file);
	free(c->dir);
	free(c->milter_listen);
	config_listen_sock_free(&c->milter_sock);
	for (i = 0; i < c->nsmtp; i++) {
		free(c->smtp[i].listen);
		free(c->smtp[i].upstream);
		free(c->smtp[i].hostname);
		config_listen_sock_free(&c->smtp[i].sock);
		config_ident_free(&c->smtp[i]);
		config_tls_free(&c->smtp[i]);
	}
	free(c->smtp);
	for (i = 0; i < c->nfilters; i++)
		filter_free(&c->filters[i]);
	free(c->filters);
	free(c->spool_dir);
	free(c->user);
	free(c->lua_path);
	free(c->store_redis);
	free(c->store_prefix);
	free(c->store_password);
	for (i = 0; i < c->ndns_servers; i++)
		free(c->dns_servers[i]);
	free(c->dns_servers);
	config_stats_free(c);
	free(c);
}

char *
config_path(const struct config *c, const char *p)
{
	if (p == NULL)
		return NULL;
	return file_join(c != NULL ? c->dir : NULL, p);
}
