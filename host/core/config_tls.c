/*
 * config_tls - the proxy listener's TLS and AUTH keys (config_tls.h)
 *
 * Public: config_tls_key(), config_tls_check(), config_tls_free().
 *
 *	tls = { cert = "tls.crt", key = "tls.key", ciphers = "..." }
 *	implicit_tls = false | true
 *	upstream_tls = "none" | "may" | "encrypt" | "verify"
 *	upstream_ca = "ca.pem"			-- verify: else the system's store
 *	upstream_name = "mx.example.org"	-- verify: else the upstream's host
 *	auth = false | true			-- relay AUTH (only over TLS)
 *	auth_loopback = false | true		-- also in plaintext to 127.0.0.1/::1
 *
 * Relative paths are taken from the configuration file's directory. The
 * check loads the certificate and key (and upstream_ca) with OpenSSL, so
 * configtest and a SIGHUP reload refuse a bad one with the file and line
 * (a reload that fails keeps the running configuration and certificate).
 * Allocation through pg_*() (a reload runs this).
 */
#include <stdlib.h>
#include <string.h>

#include "config_tls.h"
#include "file.h"
#include "tls.h"
#include "xmalloc.h"

/* get_path - a file name, made absolute against the configuration's directory */
static int
get_path(struct confwalk *w, const char *path, const struct lua_conf_node *k,
    char **out)
{
	char *p = NULL;

	if (confwalk_get_string(w, path, k, &p) == -1)
		return -1;
	free(*out);
	*out = file_join(w->cfg->dir, p);
	free(p);
	return *out == NULL ? confwalk_oom(w) : 0;
}

/* get_tls - tls = { cert = ..., key = ..., ciphers = ... } */
static int
get_tls(struct confwalk *w, const char *path, const struct lua_conf_node *n,
    struct config_smtp *s)
{
	char sub[CONFWALK_PATH_LEN];
	size_t i;
	int rc;

	if (confwalk_want_table(w, path, n) == -1)
		return -1;
	s->tls_line = n->line;
	for (i = 0; i < n->nkids; i++) {
		const struct lua_conf_node *k = &n->kids[i];
		const char *key = k->key != NULL ? k->key : "";

		confwalk_sub_path(sub, sizeof(sub), path, k);
		if (strcmp(key, "cert") == 0)
			rc = get_path(w, sub, k, &s->tls_cert);
		else if (strcmp(key, "key") == 0)
			rc = get_path(w, sub, k, &s->tls_key);
		else if (strcmp(key, "ciphers") == 0) {
			free(s->tls_ciphers);
			s->tls_ciphers = NULL;
			rc = confwalk_get_string(w, sub, k, &s->tls_ciphers);
		} else
			rc = confwalk_unknown(w, path, k);
		if (rc == -1)
			return -1;
	}
	if (s->tls_cert == NULL || s->tls_key == NULL)
		return confwalk_fail(w, n->line, "%s: needs cert and key", path);
	return 0;
}

/* get_uptls - upstream_tls: "none", "may", "encrypt" or "verify" */
static int
get_uptls(struct confwalk *w, const char *path, const struct lua_conf_node *k,
    int *out)
{
	static const char *const names[] = { "none", "may", "encrypt", "verify" };
	int i;

	if (confwalk_want_type(w, path, k, LUA_CONF_STRING, "a string") == -1)
		return -1;
	for (i = 0; i < 4; i++)
		if (strcmp(k->str, names[i]) == 0) {
			*out = i;
			return 0;
		}
	return confwalk_fail(w, k->line, "%s: '%s' is not one of none, may, "
	    "encrypt, verify", path, k->str);
}

int
config_tls_key(struct confwalk *w, const char *path,
    const struct lua_conf_node *k, struct config_smtp *s)
{
	const char *key = k->key != NULL ? k->key : "";
	int rc;

	if (strcmp(key, "tls") == 0)
		rc = get_tls(w, path, k, s);
	else if (strcmp(key, "implicit_tls") == 0)
		rc = confwalk_get_bool(w, path, k, &s->implicit_tls);
	else if (strcmp(key, "upstream_tls") == 0)
		rc = get_uptls(w, path, k, &s->upstream_tls);
	else if (strcmp(key, "upstream_ca") == 0)
		rc = get_path(w, path, k, &s->upstream_ca);
	else if (strcmp(key, "upstream_name") == 0) {
		free(s->upstream_name);
		s->upstream_name = NULL;
		rc = confwalk_get_string(w, path, k, &s->upstream_name);
	} else if (strcmp(key, "auth") == 0)
		rc = confwalk_get_bool(w, path, k, &s->auth);
	else if (strcmp(key, "auth_loopback") == 0)
		rc = confwalk_get_bool(w, path, k, &s->auth_loopback);
	else
		return 0;
	return rc == -1 ? -1 : 1;
}

int
config_tls_check(struct confwalk *w, const char *where, int line,
    struct config_smtp *s)
{
	struct tls_ctx *t;
	char err[512];

	if (s->implicit_tls && s->tls_cert == NULL)
		return confwalk_fail(w, line, "%s: implicit_tls needs tls = { "
		    "cert = ..., key = ... }", where);
	/* the header's reader may buffer the ClientHello's first bytes */
	if (s->implicit_tls && s->proxy_protocol)
		return confwalk_fail(w, line, "%s: implicit_tls with "
		    "proxy_protocol is not supported (use STARTTLS behind "
		    "HAProxy, or let HAProxy end TLS)", where);
	if (s->tls_cert != NULL) {
		if ((t = tls_server_new(s->tls_cert, s->tls_key, s->tls_ciphers,
		    err, sizeof(err))) == NULL)
			return confwalk_fail(w, s->tls_line, "%s.tls: %s", where,
			    err);
		tls_ctx_free(t);
	}
	if (s->upstream_tls == CONFIG_UPTLS_VERIFY) {
		if ((t = tls_client_new(TLS_VERIFY_PEER, s->upstream_ca, err,
		    sizeof(err))) == NULL)
			return confwalk_fail(w, line, "%s.upstream_ca: %s", where,
			    err);
		tls_ctx_free(t);
	} else if (s->upstream_ca != NULL || s->upstream_name != NULL)
		return confwalk_fail(w, line, "%s: upstream_ca and upstream_name "
		    "go with upstream_tls = \"verify\"", where);
	if (s->auth_loopback && !s->auth)
		return confwalk_fail(w, line, "%s: auth_loopback without auth = "
		    "true", where);
	return 0;
}

void
config_tls_free(struct config_smtp *s)
{
	free(s->tls_cert);
	free(s->tls_key);
	free(s->tls_ciphers);
	free(s->upstream_ca);
	free(s->upstream_name);
	s->tls_cert = s->tls_key = s->tls_ciphers = NULL;
	s->upstream_ca = s->upstream_name = NULL;
}
