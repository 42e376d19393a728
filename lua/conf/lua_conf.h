/*
 * lua_conf - evaluate a Lua configuration chunk in a sandbox and hand the
 * result back as a plain C tree (no Lua types leak out of lua/)
 *
 * The chunk runs with an environment that holds only pure functions
 * (string, table and math libraries, minus string.dump; assert, error,
 * ipairs, next, pairs, rawequal, rawget, rawlen, select, tonumber,
 * tostring, type), under an instruction limit and a memory cap. Text
 * chunks only: bytecode is refused.
 *
 * The result is the table the chunk returned or, when it returned nothing,
 * the globals it set. Every node carries the source line where its key was
 * written (found from the assignment and a scan of the table constructors
 * in the text; the parent's line when the value was built by code).
 */
#ifndef LUA_CONF_H
#define LUA_CONF_H

#include <stddef.h>

enum lua_conf_type {
	LUA_CONF_STRING = 0,
	LUA_CONF_NUMBER,
	LUA_CONF_BOOLEAN,
	LUA_CONF_TABLE,
	LUA_CONF_OTHER		/* function, userdata, thread: str is the type name */
};

struct lua_conf_node {
	enum lua_conf_type type;
	char		*key;		/* string key; NULL when the key is a list index */
	long long	 index;		/* list index (1-based) when key is NULL */
	int		 line;		/* where the key was written; 0 unknown */
	char		*str;		/* STRING: the bytes (NUL-terminated, len long);
					   NUMBER: as Lua's tostring(); OTHER: type name */
	size_t		 len;
	double		 num;		/* NUMBER */
	int		 isint;		/* NUMBER: a Lua integer (ival is exact) */
	long long	 ival;
	int		 boolean;	/* BOOLEAN */
	struct lua_conf_node *kids;	/* TABLE: list entries by index, then keys
					   in the order they appear in the file */
	size_t		 nkids;
};

struct lua_conf_limits {
	size_t		 memory_max;	/* bytes the interpreter may hold; 0: 32M */
	unsigned long	 instructions_max; /* VM instructions; 0: 20 million */
};

/*
 * lua_conf_eval - run text (len bytes) named name; returns the root TABLE
 * node (its kids are the configuration's top-level keys) or NULL with
 * "name:line: reason" (or Lua's own message for syntax and runtime errors)
 * in err. limits may be NULL. Free the result with lua_conf_free().
 */
struct lua_conf_node *lua_conf_eval(const char *name, const char *text,
		    size_t len, const struct lua_conf_limits *limits,
		    char *err, size_t errlen);
/* lua_conf_free - free a tree from lua_conf_eval(); NULL is a no-op. */
void		 lua_conf_free(struct lua_conf_node *);
/* lua_conf_type_name - "string", "number", "boolean", "table" or node->str */
const char	*lua_conf_type_name(const struct lua_conf_node *);

#endif /* LUA_CONF_H */
