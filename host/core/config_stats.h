/*
 * config_stats - the operations keys: log, log_level, stats (see
 * config_stats.c); for config.c only
 */
#ifndef CONFIG_STATS_H
#define CONFIG_STATS_H

struct confwalk;
struct config;
struct lua_conf_node;

/* log = "stderr" | "syslog" | "/path": 0 or -1 (the walk's error) */
int	config_stats_log(struct confwalk *, const struct lua_conf_node *);
/* log_level = "error" | "warning" | "info" | "debug" */
int	config_stats_log_level(struct confwalk *, const struct lua_conf_node *);
/*
 * config_stats_top - a top-level key k->key (not NULL) of this module: 0
 * taken, -1 error (the walk's), 1 not one of its keys
 */
int	config_stats_top(struct confwalk *, const struct lua_conf_node *k);
/* config_stats_free - the strings this module set in c */
void	config_stats_free(struct config *c);

#endif /* CONFIG_STATS_H */
