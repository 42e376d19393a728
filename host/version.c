/*
 * version - `phasegate --version`: phasegate's version, plugin ABI and
 * plugin directory, and the versions of Lua, PCRE2 and Hyperscan
 *
 * Public: version_print().
 *
 * The library versions are read from the libraries the process runs with,
 * not from the headers it was built against, so a library upgraded under
 * the binary shows: PCRE2 through pcre2_config(PCRE2_CONFIG_VERSION),
 * Hyperscan through hs_version(), Lua through the lua_ident string the
 * library exports (Lua has no function that returns its release; only
 * lua/ includes lua.h, so the one declaration is repeated here).
 * Nothing here fails: a version that cannot be read prints as "unknown".
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef RE_HYPERSCAN
#include <hs.h>
#endif

#include "phasegate/plugin.h"
#include "plugin_load.h"
#include "version.h"

#ifndef PG_PLUGIN_DIR
#define PG_PLUGIN_DIR "/usr/local/lib/phasegate"
#endif

/* "$LuaVersion: Lua 5.4.4  Copyright (C) ... $$LuaAuthors: ... $" (lua.h) */
extern const char lua_ident[];

/* lua_release - "Lua 5.4.4" out of lua_ident, into buf */
static const char *
lua_release(char *buf, size_t len)
{
	const char *p = strstr(lua_ident, "Lua "), *e;

	if (p == NULL || len == 0)
		return "unknown";
	/* the release ends at the double space before the copyright */
	if ((e = strstr(p, "  ")) == NULL && (e = strchr(p, '$')) == NULL)
		e = p + strlen(p);
	snprintf(buf, len, "%.*s", (int)(e - p), p);
	return buf;
}

/* pcre2_release - "10.42 2022-12-11", the library's own words */
static const char *
pcre2_release(char *buf, size_t len)
{
	if (len < 24 || pcre2_config(PCRE2_CONFIG_VERSION, buf) < 0)
		return "unknown";
	return buf;
}

void
version_print(FILE *fp)
{
	const char *env = getenv("PHASEGATE_PLUGIN_DIR");
	char lua[64], pcre[64];
	uint32_t jit;

	fprintf(fp, "phasegate %s (plugin ABI %d)\n", PACKAGE_VERSION,
	    PG_PLUGIN_ABI);
	if (env != NULL && *env != '\0')
		fprintf(fp, "plugin directory: %s (from PHASEGATE_PLUGIN_DIR; "
		    "built-in %s)\n", env, PG_PLUGIN_DIR);
	else
		fprintf(fp, "plugin directory: %s\n", plugin_load_dirs());
	fprintf(fp, "Lua: %s\n", lua_release(lua, sizeof(lua)));
	if (pcre2_config(PCRE2_CONFIG_JIT, &jit) < 0)
		jit = 0;
	fprintf(fp, "PCRE2: %s (JIT %s)\n", pcre2_release(pcre, sizeof(pcre)),
	    jit ? "available" : "not available");
#ifdef RE_HYPERSCAN
	fprintf(fp, "Hyperscan: %s\n", hs_version());
#else
	fprintf(fp, "Hyperscan: not built in (regexes run on PCRE2 alone)\n");
#endif
}
