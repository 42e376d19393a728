/*
 * host_api - the struct pg_host table handed to every plugin's init(), and
 * the struct pg_options built from a configuration entry.
 */
#ifndef HOST_API_H
#define HOST_API_H

#include <phasegate/plugin.h>

struct config_filter;

const struct pg_host *host_api(void);

/*
 * Options for one filter entry; extra key/values may be added by the host.
 * host_options_new() is NULL and host_options_add() -1 when out of memory
 * (the options are as before the call); the strings are copied.
 */
struct pg_options *host_options_new(const struct config_filter *);
int		 host_options_add(struct pg_options *, const char *key, const char *value);
void		 host_options_free(struct pg_options *);

/* Set the per-thread last_error() text. */
void		 host_set_error(const char *fmt, ...)
		    __attribute__((__format__(__printf__, 1, 2)));

#endif /* HOST_API_H */
