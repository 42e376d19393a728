/*
 * serve - `phasegate serve`: start every front end the configuration names,
 * wait for SIGTERM/SIGINT (clean stop) or SIGHUP (reload: a new chain
 * generation for new sessions, published with gen.h), then stop.
 */
#ifndef SERVE_H
#define SERVE_H

/* Returns the process exit status: 0 clean stop, 1 config error, 2 runtime failure. */
int		 serve_main(const char *config_file, int verbose);
/*
 * serve_check_spool - can serve, as the configured user, create a file in
 * spool.dir? 0, or -1 with the reason on stderr (for configtest)
 */
struct config;
int		 serve_check_spool(const struct config *cfg);

#endif /* SERVE_H */
