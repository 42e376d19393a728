/*
 * config_tls - the smtp[n] keys about TLS and AUTH (DESIGN section 11):
 * tls = { cert, key, ciphers }, implicit_tls, upstream_tls, upstream_ca,
 * upstream_name, auth, auth_loopback. Called by config.c's listener
 * parser; not part of the public API.
 */
#ifndef CONFIG_TLS_H
#define CONFIG_TLS_H

#include "confwalk.h"

/*
 * config_tls_key - k (at path) when it is one of the keys above: 1 when it
 * was (stored in s), 0 when it is not ours, -1 on a bad value (error set)
 */
int	config_tls_key(struct confwalk *w, const char *path,
	    const struct lua_conf_node *k, struct config_smtp *s);
/*
 * config_tls_check - the keys together once the listener's table is read
 * (implicit_tls needs tls; the certificate and key load; upstream_ca
 * loads): 0 or -1 (error set; line is the listener's)
 */
int	config_tls_check(struct confwalk *w, const char *where, int line,
	    struct config_smtp *s);
/* config_tls_free - what the keys above allocated in s */
void	config_tls_free(struct config_smtp *s);

#endif
