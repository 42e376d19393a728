/*
 * privs - the accounts serve runs with, checked before anything is bound
 * (serve) or as configtest: `user` exists, every socket_group exists, and
 * with a privilege drop the user can remove each unix socket at stop.
 */
#ifndef PRIVS_H
#define PRIVS_H

struct config;

/* privs_check - 0, or -1 with every problem on stderr ("phasegate: FILE...") */
int		 privs_check(const struct config *cfg);

#endif /* PRIVS_H */
