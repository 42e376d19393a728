/*
 * plugin_load - find, dlopen and check a plugin, or return a built-in one.
 *
 * A name without a slash is a shipped plugin: first the built-ins compiled
 * into phasegate ("lua"), then NAME.so in the plugin directories
 * (plugin_load_dirs()). A path is opened
 * as it is, with dlopen(RTLD_NOW | RTLD_LOCAL). The descriptor's abi and
 * size are checked before any other member is read.
 */
#ifndef PLUGIN_LOAD_H
#define PLUGIN_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include <phasegate/plugin.h>

struct plugin_handle;

/*
 * plugin_load_dirs - where shipped plugins are looked for, ':'-separated:
 * $PHASEGATE_PLUGIN_DIR when set, else the build tree's .libs when the
 * binary runs from a build tree (config.status beside it), then the
 * configured directory
 */
const char	*plugin_load_dirs(void);
/* NULL with the reason (naming the path) in err. */
struct plugin_handle *plugin_load(const char *name, char *err, size_t errlen);
const struct pg_plugin *plugin_desc(const struct plugin_handle *);
const char	*plugin_path(const struct plugin_handle *);
/*
 * plugin_phases - the PG_PHASE_* bits of an instance (state: what its
 * init() returned): its phases() when the descriptor has one, else its
 * non-NULL callbacks (and PG_PHASE_BODY for PG_PLUGIN_F_BODY); never a
 * bit of a NULL callback, PG_PHASE_BODY only with PG_PHASE_EOM.
 */
uint32_t	 plugin_phases(const struct plugin_handle *, void *state);
void		 plugin_unload(struct plugin_handle *);

/* Register a built-in plugin (the Lua bridge) under a name. */
void		 plugin_builtin_add(const char *name, const struct pg_plugin *);

#endif /* PLUGIN_LOAD_H */
