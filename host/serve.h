/*
 * serve - `phasegate serve`: start every front end the configuration names,
 * wait for SIGTERM/SIGINT (clean stop) or SIGHUP (reload: a new chain
 * generation for new sessions), then stop.
 *
 * Front ends get the chain for a new session with serve_chain_acquire()
 * (a reference: chain_unref() it, or hand it to session_new() which takes
 * its own) and poll serve_stopping() where they wait.
 */
#ifndef SERVE_H
#define SERVE_H

struct config;
struct chain;

/* Returns the process exit status: 0 clean stop, 1 config error, 2 runtime failure. */
int		 serve_main(const char *config_file, int verbose);

struct chain	*serve_chain_acquire(void);
int		 serve_stopping(void);

#endif /* SERVE_H */
