/*
 * confwalk - the typed getters the configuration loader checks keys with
 *
 * A walk carries the file name, the error buffer and the configuration
 * being filled. Every getter checks one node's type and range and either
 * stores the value and returns 0, or writes "FILE:LINE: message" into the
 * error buffer and returns -1. Used by config.c and the section parsers
 * beside it (host/core/config_*.c); not part of the public API.
 */
#ifndef PG_CONFWALK_H
#define PG_CONFWALK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "lua_conf.h"

#define CONFWALK_PATH_LEN	256		/* "filters[2].option" */

struct confwalk {
	const char	*file;
	char		*err;
	size_t		 errlen;
	struct config	*cfg;
};

int	confwalk_fail(struct confwalk *w, int line, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));
int	confwalk_oom(struct confwalk *w);
void	confwalk_sub_path(char *buf, size_t len, const char *parent,
	    const struct lua_conf_node *n);
int	confwalk_unknown(struct confwalk *w, const char *path,
	    const struct lua_conf_node *n);
int	confwalk_want_type(struct confwalk *w, const char *path,
	    const struct lua_conf_node *n, enum lua_conf_type type,
	    const char *what);
int	confwalk_get_string(struct confwalk *w, const char *path,
	    const struct lua_conf_node *n, char **out);
int	confwalk_get_bool(struct confwalk *w, const char *path,
	    const struct lua_conf_node *n, int *out);
int	confwalk_get_size(struct confwalk *w, const char *path,
	    const struct lua_conf_node *n, uint64_t *out);
int	confwalk_get_duration(struct confwalk *w, const char *path,
	    const struct lua_conf_node *n, uint64_t *out);
int	confwalk_get_count(struct confwalk *w, const char *path,
	    const struct lua_conf_node *n, unsigned min, unsigned *out);
int	confwalk_get_score(struct confwalk *w, const char *path,
	    const struct lua_conf_node *n, double *out);
int	confwalk_get_verdict(struct confwalk *w, const char *path,
	    const struct lua_conf_node *n, enum pg_verdict *out);
int	confwalk_want_table(struct confwalk *w, const char *path,
	    const struct lua_conf_node *n);
int	confwalk_want_list(struct confwalk *w, const char *path,
	    const struct lua_conf_node *n, const char *example);
int	confwalk_check_addr(struct confwalk *w, const char *path,
	    const struct lua_conf_node *k, const char *what, unsigned flags);

#endif
