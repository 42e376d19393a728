/*
 * test_plugin_load - finding, opening and checking plugins
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "plugin_load.h"

static char dir[1024];

static const struct pg_plugin small = {
	.abi = PG_PLUGIN_ABI, .size = 16, .name = "small",
};
static const struct pg_plugin good = {
	.abi = PG_PLUGIN_ABI, .size = sizeof(struct pg_plugin), .name = "good",
};

static void
test_errors(void **unused)
{
	static const struct {
		const char	*name;
		const char	*env;	/* PHASEGATE_PLUGIN_DIR or NULL */
		const char	*err;	/* part of the message */
	} t[] = {
		{ "/nonexistent/x.so", NULL, "plugin /nonexistent/x.so: cannot load" },
		{ "/lib/x86_64-linux-gnu/libm.so.6", NULL, "no symbol phasegate_plugin" },
		{ "nosuch", "/nonexistent:/also/not", "no such shipped plugin (not in /nonexistent:/also/not)" },
		{ "small", NULL, "descriptor is 16 bytes" },
		{ "pg_test_badabi", "@", "built for plugin ABI 99" },
	};
	char err[1024];
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].env == NULL)
			unsetenv("PHASEGATE_PLUGIN_DIR");
		else
			setenv("PHASEGATE_PLUGIN_DIR", t[i].env[0] == '@' ? dir :
			    t[i].env, 1);
		err[0] = '\0';
		if (plugin_load(t[i].name, err, sizeof(err)) != NULL ||
		    strstr(err, t[i].err) == NULL)
			fail_msg("case %zu %s: got \"%s\", want \"%s\"", i,
			    t[i].name, err, t[i].err);
	}
}

static void
test_found(void **unused)
{
	struct plugin_handle *h;
	char err[1024], path[2048];

	(void)unused;
	/* a shipped name, found in the second directory of the list */
	snprintf(path, sizeof(path), "/nonexistent:%s", dir);
	setenv("PHASEGATE_PLUGIN_DIR", path, 1);
	h = plugin_load("pg_test_all", err, sizeof(err));
	assert_non_null(h);
	assert_string_equal(plugin_desc(h)->name, "test_all");
	assert_non_null(strstr(plugin_path(h), "/pg_test_all.so"));
	plugin_unload(h);
	/* built-ins come first */
	h = plugin_load("good", err, sizeof(err));
	assert_non_null(h);
	assert_ptr_equal(plugin_desc(h), &good);
	plugin_unload(h);
	plugin_unload(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_found),
	};
	const char *b = getenv("top_builddir");

	snprintf(dir, sizeof(dir), "%s/tests/plugins/.libs", b ? b : ".");
	plugin_builtin_add("small", &small);
	plugin_builtin_add("good", &good);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
