/*
 * config_store - the store = { ... } section (config_store.c)
 */
#ifndef CONFIG_STORE_H
#define CONFIG_STORE_H

struct confwalk;
struct lua_conf_node;

/* config_store - fill w->cfg's store_* from n; 0 or -1 (confwalk_fail) */
int	config_store(struct confwalk *w, const struct lua_conf_node *n);

#endif /* CONFIG_STORE_H */
