/*
 * config_ident - the smtp[n] keys about the real client's identity
 * (DESIGN section 11): xclient (false, true, "required"), xforward_from,
 * proxy_protocol, proxy_from and upstream_proxy_protocol. Called by
 * config.c's listener parser; not part of the public API.
 */
#ifndef CONFIG_IDENT_H
#define CONFIG_IDENT_H

#include "confwalk.h"

/*
 * config_ident_key - k (at path) when it is one of the keys above: 1 when
 * it was (stored in s), 0 when it is not ours, -1 on a bad value (the
 * walk's error set)
 */
int	config_ident_key(struct confwalk *w, const char *path,
	    const struct lua_conf_node *k, struct config_smtp *s);
/*
 * config_ident_check - the keys together once the listener's table is
 * read (proxy_protocol needs proxy_from): 0 or -1 (error set; line is the
 * listener's)
 */
int	config_ident_check(struct confwalk *w, const char *where, int line,
	    struct config_smtp *s);
/* config_ident_free - what the keys above allocated in s */
void	config_ident_free(struct config_smtp *s);

#endif
