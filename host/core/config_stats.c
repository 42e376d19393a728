/*
 * config_stats - the operations keys of the configuration (DESIGN section
 * 12): where the log goes (`log`), how much it says (`log_level`), and the
 * metrics listener (`stats = { listen = ... }`)
 *
 * Public: config_stats_log(), config_stats_log_level(), config_stats_top(),
 * config_stats_free().
 *
 * Called from config.c's do_top() with the walk; every problem is
 * "FILE:LINE: message" through confwalk_fail(). The strings it sets are the
 * configuration's (config_stats_free() at config_free()).
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "config_stats.h"
#include "confwalk.h"
#include "log.h"
#include "xmalloc.h"

int
config_stats_log(struct confwalk *w, const struct lua_conf_node *k)
{
	struct config *c = w->cfg;

	if (confwalk_want_type(w, "log", k, LUA_CONF_STRING, "a string") == -1)
		return -1;
	free(c->log_file);
	c->log_file = NULL;
	c->log_syslog = 0;
	if (strcmp(k->str, "stderr") == 0)
		return 0;
	if (strcmp(k->str, "syslog") == 0) {
		c->log_syslog = 1;
		return 0;
	}
	if (strchr(k->str, '/') == NULL)
		return confwalk_fail(w, k->line, "log: '%s' is not one of stderr, "
		    "syslog or a file's path (\"/var/log/phasegate.log\")", k->str);
	if ((c->log_file = config_path(c, k->str)) == NULL)
		return confwalk_oom(w);
	return 0;
}

int
config_stats_log_level(struct confwalk *w, const struct lua_conf_node *k)
{
	int level;

	if (confwalk_want_type(w, "log_level", k, LUA_CONF_STRING,
	    "a string") == -1)
		return -1;
	if ((level = log_level_parse(k->str)) == -1)
		return confwalk_fail(w, k->line, "log_level: '%s' is not one of "
		    "error, warning, info, debug", k->str);
	w->cfg->log_level = level;
	return 0;
}

/* stats - stats = { listen = "127.0.0.1:9466" } */
static int
stats(struct confwalk *w, const struct lua_conf_node *n)
{
	char path[CONFWALK_PATH_LEN];
	size_t i;

	if (confwalk_want_table(w, "stats", n) == -1)
		return -1;
	for (i = 0; i < n->nkids; i++) {
		const struct lua_conf_node *k = &n->kids[i];

		confwalk_sub_path(path, sizeof(path), "stats", k);
		if (k->key == NULL || strcmp(k->key, "listen") != 0)
			return confwalk_unknown(w, "stats", k);
		free(w->cfg->stats_listen);
		w->cfg->stats_listen = NULL;
		if (confwalk_get_string(w, path, k, &w->cfg->stats_listen) == -1 ||
		    confwalk_check_addr(w, path, k, "address", 0) == -1)
			return -1;
	}
	if (w->cfg->stats_listen == NULL)
		return confwalk_fail(w, n->line, "stats: needs 'listen'");
	return 0;
}

int
config_stats_top(struct confwalk *w, const struct lua_conf_node *k)
{
	if (strcmp(k->key, "log") == 0)
		return config_stats_log(w, k);
	if (strcmp(k->key, "log_level") == 0)
		return config_stats_log_level(w, k);
	if (strcmp(k->key, "stats") == 0)
		return stats(w, k);
	return 1;
}

void
config_stats_free(struct config *c)
{
	free(c->log_file);
	free(c->stats_listen);
}
