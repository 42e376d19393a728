/*
 * lua_conf_lines - where the keys of a Lua configuration are written
 *
 * Lua keeps no line numbers for table constructors, so the text is scanned
 * with a small tokenizer (strings and comments skipped) for top-level
 * "name = {", "name.key[2] = v", "local name = {" and "return {" /
 * "return name" and, inside every constructor, for "key =", "[literal] ="
 * and list entries. Each key gets a shape: its line and its position in
 * the file, and the shapes of the keys inside it.
 *
 * The scan never fails on odd text (it is Lua's to refuse); it fails only
 * when memory runs out. Shapes stay valid until lua_conf_lines_free().
 */
#ifndef LUA_CONF_LINES_H
#define LUA_CONF_LINES_H

#include <stddef.h>

struct lua_conf_lines;
struct lua_conf_shape;

/* lua_conf_lines_scan - scan text (len bytes); NULL when out of memory */
struct lua_conf_lines *lua_conf_lines_scan(const char *text, size_t len);
/* lua_conf_lines_free - free the scan and every shape; NULL is a no-op */
void		 lua_conf_lines_free(struct lua_conf_lines *);
/* lua_conf_lines_return_line - the line of the top-level return; 0: none */
int		 lua_conf_lines_return_line(const struct lua_conf_lines *);
/*
 * lua_conf_lines_returned - into *out the shape of the table the chunk
 * returns: its "return { ... }", or for "local t = { ... } ... return t"
 * t's constructor with the "t.key = v" statements before the return;
 * NULL when not known. -1 when out of memory.
 */
int		 lua_conf_lines_returned(struct lua_conf_lines *,
		    const struct lua_conf_shape **out);
/*
 * lua_conf_lines_add_global - add global name, last set at line (0:
 * unknown), to the globals' shape: its scanned assignment and the
 * "name.key = v" statements after it. -1 when out of memory.
 */
int		 lua_conf_lines_add_global(struct lua_conf_lines *,
		    const char *name, int line);
/* lua_conf_lines_globals - the shape whose keys are the added globals */
const struct lua_conf_shape *lua_conf_lines_globals(const struct lua_conf_lines *);
/*
 * lua_conf_lines_kid - the shape of key (or of list index when key is
 * NULL) inside sh; NULL when sh is NULL or has no such key. When the key
 * was written twice, the last one, as in Lua.
 */
const struct lua_conf_shape *lua_conf_lines_kid(const struct lua_conf_shape *sh,
		    const char *key, long long index);
/* lua_conf_lines_line - the line where the shape's key was written */
int		 lua_conf_lines_line(const struct lua_conf_shape *);
/* lua_conf_lines_order - the key's position in the file (smaller: earlier) */
size_t		 lua_conf_lines_order(const struct lua_conf_shape *);

#endif /* LUA_CONF_LINES_H */
