/*
 * main - the phasegate command: serve, check, configtest, --version, --help
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "check.h"
#include "config.h"
#include "log.h"
#include "plugin_load.h"
#include "serve.h"

#include "lua_bridge.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: phasegate serve -c FILE [-v]\n"
	    "       phasegate check -c FILE [--from A] [--rcpt A]... [--helo N] "
	    "[--client IP] [--json] [-o OUT] MESSAGE...\n"
	    "       phasegate configtest -c FILE\n"
	    "       phasegate --version | --help\n");
}

/* config_arg - the FILE of "-c FILE" in argv, or NULL */
static const char *
config_arg(int argc, char **argv, int *verbose)
{
	const char *file = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 ||
		    strcmp(argv[i], "--config") == 0) && i + 1 < argc)
			file = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			file = argv[i] + 9;
		else if (strcmp(argv[i], "-v") == 0 ||
		    strcmp(argv[i], "--verbose") == 0)
			(*verbose)++;
		else {
			fprintf(stderr, "phasegate %s: unknown argument %s\n",
			    argv[0], argv[i]);
			return NULL;
		}
	}
	if (file == NULL)
		fprintf(stderr, "phasegate %s: -c FILE is required\n", argv[0]);
	return file;
}

/* configtest - load the configuration, every plugin and every script */
static int
configtest(const char *file)
{
	struct config *cfg;
	struct chain *c;
	char err[2048];

	log_init(LOG_TARGET_STDERR, -1);
	if ((cfg = config_load(file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "phasegate: %s\n", err);
		return 1;
	}
	if ((c = chain_load(cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "phasegate: %s\n", err);
		config_free(cfg);
		return 1;
	}
	printf("%s: configuration OK (%zu filter%s)\n", file,
	    chain_filter_count(c), chain_filter_count(c) == 1 ? "" : "s");
	chain_unref(c);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *file;
	int verbose = 0;

	plugin_builtin_add("lua", &lua_bridge_plugin);
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("phasegate %s (plugin ABI %d)\n", PACKAGE_VERSION,
		    PG_PLUGIN_ABI);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "check") == 0)
		return check_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "serve") == 0) {
		if ((file = config_arg(argc - 1, argv + 1, &verbose)) == NULL)
			return 1;
		return serve_main(file, verbose);
	}
	if (strcmp(argv[1], "configtest") == 0) {
		if ((file = config_arg(argc - 1, argv + 1, &verbose)) == NULL)
			return 1;
		return configtest(file);
	}
	fprintf(stderr, "phasegate: unknown command %s\n", argv[1]);
	usage(stderr);
	return 1;
}
