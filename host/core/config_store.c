/*
 * config_store - the store section of the configuration (DESIGN 10):
 *
 *	store = { memory_max = "64M",			-- the in-process store
 *	          redis = "127.0.0.1:6379" | "unix:/path",
 *	          prefix = "pg:", timeout = "200ms", password = "...",
 *	          db = 0, pool = 16 }
 *
 * Public: config_store().
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "config_store.h"
#include "confwalk.h"

/* redis_key - one of the Redis keys; 1 when key was not one of them */
static int
redis_key(struct confwalk *w, const char *path, const char *key,
    const struct lua_conf_node *k, int *rc)
{
	struct config *c = w->cfg;
	struct addr a;
	char why[256];
	unsigned n;

	*rc = 0;
	if (strcmp(key, "redis") == 0) {
		if ((*rc = confwalk_get_string(w, path, k, &c->store_redis)) == 0 &&
		    addr_parse(c->store_redis, ADDR_CONNECT, &a, why,
		    sizeof(why)) == -1)
			*rc = confwalk_fail(w, k->line, "%s: %s", path, why);
	} else if (strcmp(key, "prefix") == 0)
		*rc = confwalk_get_string(w, path, k, &c->store_prefix);
	else if (strcmp(key, "password") == 0)
		*rc = confwalk_get_string(w, path, k, &c->store_password);
	else if (strcmp(key, "timeout") == 0) {
		if ((*rc = confwalk_get_duration(w, path, k,
		    &c->store_timeout_ms)) == 0 && c->store_timeout_ms == 0)
			*rc = confwalk_fail(w, k->line, "%s: must be more than"
			    " 0", path);
	} else if (strcmp(key, "db") == 0 || strcmp(key, "pool") == 0) {
		if ((*rc = confwalk_get_count(w, path, k, 0, &n)) == 0) {
			if (key[0] == 'd' && n > 65535)
				*rc = confwalk_fail(w, k->line, "%s: at most"
				    " 65535", path);
			else if (key[0] == 'p' && (n == 0 || n > 1024))
				*rc = confwalk_fail(w, k->line, "%s: from 1 to"
				    " 1024", path);
			else if (key[0] == 'd')
				c->store_db = (int)n;
			else
				c->store_pool = (unsigned)n;
		}
	} else
		return 1;
	return 0;
}

int
config_store(struct confwalk *w, const struct lua_conf_node *n)
{
	char path[CONFWALK_PATH_LEN];
	size_t i;
	int rc;

	if (confwalk_want_table(w, "store", n) == -1)
		return -1;
	for (i = 0; i < n->nkids; i++) {
		const struct lua_conf_node *k = &n->kids[i];

		confwalk_sub_path(path, sizeof(path), "store", k);
		if (k->key == NULL)
			return confwalk_unknown(w, "store", k);
		if (strcmp(k->key, "memory_max") == 0) {
			if (confwalk_get_size(w, path, k,
			    &w->cfg->store_memory_max) == -1)
				return -1;
			if (w->cfg->store_memory_max == 0)
				return confwalk_fail(w, k->line, "%s: must be"
				    " more than 0", path);
			continue;
		}
		if (redis_key(w, path, k->key, k, &rc) == 1)
			return confwalk_unknown(w, "store", k);
		if (rc == -1)
			return -1;
	}
	return 0;
}
