/*
 * config_listen - the keys a listener has beside listen: socket_mode and
 * socket_group (milter, smtp[]: a unix socket's permissions) and hostname
 * (smtp[]: the name the proxy gives itself). Part of the configuration
 * loader (config.c); errors as "FILE:LINE: message" through confwalk.h.
 */
#ifndef PG_CONFIG_LISTEN_H
#define PG_CONFIG_LISTEN_H

#include "config.h"
#include "confwalk.h"

/*
 * config_listen_sock_key - socket_mode or socket_group into s: 0, -1 on a
 * bad value, 1 when k is neither (the caller reports an unknown key)
 */
int	config_listen_sock_key(struct confwalk *w, const char *path,
	    const struct lua_conf_node *k, struct config_sock *s);
/*
 * config_listen_sock_check - after the table: socket keys with a listen
 * that is not a unix socket are an error (at line, the table's)
 */
int	config_listen_sock_check(struct confwalk *w, const char *where, int line,
	    const char *listen, const struct config_sock *s);
/* config_listen_hostname - a host name for SMTP replies into *out: 0 or -1 */
int	config_listen_hostname(struct confwalk *w, const char *path,
	    const struct lua_conf_node *k, char **out);
/* config_listen_sock_free - the strings of s */
void	config_listen_sock_free(struct config_sock *s);

#endif
