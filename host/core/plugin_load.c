/*
 * plugin_load - find, dlopen and check a plugin, or return a built-in one
 *
 * Public: plugin_load(), plugin_desc(), plugin_path(), plugin_phases(),
 * plugin_unload(), plugin_builtin_add().
 * Trust: a plugin is code we run, but its descriptor is checked before
 * use: abi first, then size, so a plugin built for another ABI is refused
 * with a message that says so, never called. A descriptor may be smaller
 * than this host's struct pg_plugin (built against an older header, down
 * to PG_PLUGIN_SIZE_MIN): members past its size are never read, they count
 * as NULL. Only plugin_phases() reads such a member (phases), and only
 * after PG_SIZE_HAS(); the rest of the host reads members every ABI 1
 * descriptor has.
 * Errors: NULL with the reason in err, out of memory included (pg_*()
 * allocation: plugins are loaded again on every SIGHUP reload).
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "plugin_load.h"
#include "xmalloc.h"

#ifndef PG_PLUGIN_DIR
#define PG_PLUGIN_DIR "/usr/local/lib/phasegate"
#endif

#define BUILTIN_MAX	8

struct plugin_handle {
	void			*dl;		/* NULL for a built-in */
	const struct pg_plugin	*desc;
	char			*path;
};

static struct {
	const char		*name;
	const struct pg_plugin	*desc;
} builtins[BUILTIN_MAX];
static size_t nbuiltins;

void
plugin_builtin_add(const char *name, const struct pg_plugin *desc)
{
	if (nbuiltins < BUILTIN_MAX) {
		builtins[nbuiltins].name = name;
		builtins[nbuiltins++].desc = desc;
	}
}

/* check_desc - is the descriptor one we can use; -1 with err if not */
static int
check_desc(const struct pg_plugin *d, const char *path, char *err,
    size_t errlen)
{
	if (d->abi != PG_PLUGIN_ABI) {
		snprintf(err, errlen, "plugin %s: built for plugin ABI %u, this "
		    "phasegate speaks ABI %u: rebuild it against this "
		    "phasegate's <phasegate/plugin.h>", path, (unsigned)d->abi,
		    (unsigned)PG_PLUGIN_ABI);
		return -1;
	}
	if (d->size < PG_PLUGIN_SIZE_MIN) {
		snprintf(err, errlen, "plugin %s: descriptor is %u bytes, ABI %u "
		    "needs at least %zu: rebuild it against this phasegate's "
		    "<phasegate/plugin.h>", path, (unsigned)d->size,
		    (unsigned)PG_PLUGIN_ABI, (size_t)PG_PLUGIN_SIZE_MIN);
		return -1;
	}
	if (d->name == NULL) {
		snprintf(err, errlen, "plugin %s: descriptor has no name", path);
		return -1;
	}
	return 0;
}

/* handle_new - a handle for a checked descriptor; NULL with err when out of memory */
static struct plugin_handle *
handle_new(void *dl, const struct pg_plugin *d, const char *path, char *err,
    size_t errlen)
{
	struct plugin_handle *h;

	if ((h = pg_calloc(1, sizeof(*h))) == NULL ||
	    (h->path = pg_strdup(path)) == NULL) {
		snprintf(err, errlen, "plugin %s: out of memory", path);
		free(h);
		return NULL;
	}
	h->dl = dl;
	h->desc = d;
	return h;
}

static char build_dirs[2 * PATH_MAX + 2];
static pthread_once_t build_once = PTHREAD_ONCE_INIT;

/*
 * find_build_tree - when the running binary is a build tree's (its
 * directory, or the parent of a libtool .libs it runs from, holds
 * config.status), "BUILD/.libs:PG_PLUGIN_DIR": the tree's own plugins
 * first, with no environment variable needed
 */
static void
find_build_tree(void)
{
	char exe[PATH_MAX], probe[PATH_MAX + 16], *slash;
	ssize_t n;

	snprintf(build_dirs, sizeof(build_dirs), "%s", PG_PLUGIN_DIR);
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return;
	*slash = '\0';
	if ((slash = strrchr(exe, '/')) != NULL && strcmp(slash, "/.libs") == 0)
		*slash = '\0';
	snprintf(probe, sizeof(probe), "%s/config.status", exe);
	if (access(probe, F_OK) != 0)
		return;
	snprintf(build_dirs, sizeof(build_dirs), "%s/.libs:%s", exe,
	    PG_PLUGIN_DIR);
}

const char *
plugin_load_dirs(void)
{
	const char *env = getenv("PHASEGATE_PLUGIN_DIR");

	if (env != NULL && *env != '\0')
		return env;
	pthread_once(&build_once, find_build_tree);
	return build_dirs;
}

struct plugin_handle *
plugin_load(const char *name, char *err, size_t errlen)
{
	struct plugin_handle *h;
	const struct pg_plugin *d;
	char path[PATH_MAX], why[512];
	const char *dir;
	void *dl;
	size_t i;

	if (strchr(name, '/') == NULL) {
		for (i = 0; i < nbuiltins; i++) {
			if (strcmp(builtins[i].name, name) != 0)
				continue;
			if (check_desc(builtins[i].desc, name, err, errlen) == -1)
				return NULL;
			return handle_new(NULL, builtins[i].desc, name, err,
			    errlen);
		}
		dir = plugin_load_dirs();
		for (;;) {
			size_t dn = strcspn(dir, ":");

			if ((size_t)snprintf(path, sizeof(path), "%.*s/%s.so",
			    (int)dn, dir, name) >= sizeof(path)) {
				snprintf(err, errlen, "plugin %s: name too long",
				    name);
				return NULL;
			}
			if (access(path, F_OK) == 0)
				break;
			if (dir[dn] == '\0') {
				snprintf(err, errlen, "plugin %s: no such shipped "
				    "plugin (not in %s)", name,
				    plugin_load_dirs());
				return NULL;
			}
			dir += dn + 1;
		}
	} else if ((size_t)snprintf(path, sizeof(path), "%s", name) >=
	    sizeof(path)) {
		snprintf(err, errlen, "plugin %.64s...: path too long", name);
		return NULL;
	}

	if (file_check_writers(path, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "plugin %s", why);
		return NULL;
	}
	if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "plugin %s: cannot load: %s", path, dlerror());
		return NULL;
	}
	if ((d = dlsym(dl, "phasegate_plugin")) == NULL) {
		snprintf(err, errlen, "plugin %s: no symbol phasegate_plugin: "
		    "not a phasegate plugin", path);
		dlclose(dl);
		return NULL;
	}
	if (check_desc(d, path, err, errlen) == -1 ||
	    (h = handle_new(dl, d, path, err, errlen)) == NULL) {
		dlclose(dl);
		return NULL;
	}
	return h;
}

const struct pg_plugin *
plugin_desc(const struct plugin_handle *h)
{
	return h->desc;
}

const char *
plugin_path(const struct plugin_handle *h)
{
	return h->path;
}

/* callbacks - the PG_PHASE_* bits of the non-NULL callbacks of d */
static uint32_t
callbacks(const struct pg_plugin *d)
{
	uint32_t m = 0;

	if (d->on_connect != NULL)
		m |= PG_PHASE_CONNECT;
	if (d->on_helo != NULL)
		m |= PG_PHASE_HELO;
	if (d->on_mail != NULL)
		m |= PG_PHASE_MAIL;
	if (d->on_rcpt != NULL)
		m |= PG_PHASE_RCPT;
	if (d->on_data != NULL)
		m |= PG_PHASE_DATA;
	if (d->on_header != NULL)
		m |= PG_PHASE_HEADER;
	if (d->on_eoh != NULL)
		m |= PG_PHASE_EOH;
	if (d->on_eom != NULL)
		m |= PG_PHASE_EOM | PG_PHASE_BODY;
	if (d->on_close != NULL)
		m |= PG_PHASE_CLOSE;
	return m;
}

uint32_t
plugin_phases(const struct plugin_handle *h, void *state)
{
	const struct pg_plugin *d = h->desc;
	uint32_t cb = callbacks(d), m;

	if (PG_SIZE_HAS(d, struct pg_plugin, phases) && d->phases != NULL)
		m = d->phases(state);
	else {
		m = cb;
		if (!(d->flags & PG_PLUGIN_F_BODY))
			m &= ~(uint32_t)PG_PHASE_BODY;
	}
	/* never a NULL callback; the body is read at eom or not at all */
	m &= cb;
	if (!(m & PG_PHASE_EOM))
		m &= ~(uint32_t)PG_PHASE_BODY;
	return m;
}

void
plugin_unload(struct plugin_handle *h)
{
	if (h == NULL)
		return;
	if (h->dl != NULL && getenv("PHASEGATE_NO_DLCLOSE") == NULL)
		dlclose(h->dl);
	free(h->path);
	free(h);
}
