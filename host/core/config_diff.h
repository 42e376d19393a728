/*
 * config_diff - what a reload cannot change: the settings the running
 * front ends took at start (listeners, upstreams, their limits and
 * timeouts, the user, the log target, the stats listener)
 */
#ifndef CONFIG_DIFF_H
#define CONFIG_DIFF_H

#include <stddef.h>

struct config;

/*
 * config_diff_restart - the keys whose value differs between the running
 * configuration and the new one and that only a restart applies, as
 * "milter.listen, smtp[1].upstream" into buf (len bytes, cut with "...");
 * their count (0: buf is "")
 */
size_t	config_diff_restart(const struct config *running,
	    const struct config *next, char *buf, size_t len);

#endif /* CONFIG_DIFF_H */
