/*
 * lua_vars - session.vars and tx.vars: a C key/value map kept in the
 * filter's session/transaction data slot, shown to scripts as userdata.
 *
 * Any interpreter of the pool may serve any call, so per-session state
 * cannot live in one lua_State: it lives here, in C. Keys are strings;
 * values are strings, integers, numbers and booleans; assigning nil
 * deletes. A map holds at most LB_VARS_MAX_KEYS keys and
 * LB_VARS_MAX_BYTES bytes of keys and strings.
 */
#ifndef LUA_VARS_H
#define LUA_VARS_H

#include <stddef.h>
#include <lua.h>

#define LB_VARS_MAX_KEYS	10000
#define LB_VARS_MAX_BYTES	(1024 * 1024)

struct lb_vars;

struct lb_vars	*lb_vars_new(void);		/* NULL on no memory */
void		 lb_vars_free(void *);		/* a data-slot free function */
size_t		 lb_vars_count(const struct lb_vars *);
size_t		 lb_vars_bytes(const struct lb_vars *);	/* heap bytes in use */

/* lb_vars_push - push a box for m, valid during the current call. */
void		 lb_vars_push(lua_State *, struct lb_vars *);

#endif /* LUA_VARS_H */
