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
#include "privs.h"
#include "serve.h"
#include "version.h"

#include "lua_bridge.h"

static const char serve_usage[] =
    "usage: phasegate serve -c FILE [-v]\n"
    "  Runs every front end FILE names, in the foreground (systemd style).\n"
    "  -c, --config FILE   the configuration (phasegate.conf(5))\n"
    "  -v, --verbose       log at debug level (twice: more)\n"
    "  -h, --help          this text\n"
    "  Signals: HUP reloads, TERM and INT stop, USR1 reopens the log, USR2 is\n"
    "  ignored. Exit: 0 clean stop, 1 configuration error, 2 runtime failure.\n";

static const char configtest_usage[] =
    "usage: phasegate configtest -c FILE\n"
    "  Loads FILE, every plugin and every script it names, and prints the\n"
    "  first error with file and line.\n"
    "  -c, --config FILE   the configuration (phasegate.conf(5))\n"
    "  -h, --help          this text\n"
    "  Exit: 0 valid, 1 invalid.\n";

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: phasegate serve -c FILE [-v]\n"
	    "       phasegate check -c FILE [--from A] [--rcpt A]... [--helo N]\n"
	    "                       [--client IP] [--client-name N] [--no-dns]\n"
	    "                       [--json] [--show text|urls|parts] [-v] [-o OUT]"
	    " MESSAGE...\n"
	    "       phasegate configtest -c FILE\n"
	    "       phasegate --version | --help\n"
	    "phasegate COMMAND --help tells more; see also phasegate(8).\n");
}

/*
 * config_arg - the FILE of "-c FILE" in argv into *file: 0, or 1 (told on
 * stderr) on a bad argument, or -1 after printing help to stdout
 */
static int
config_arg(int argc, char **argv, const char *help, const char **file,
    int *verbose)
{
	int i;

	*file = NULL;
	for (i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 ||
		    strcmp(argv[i], "--config") == 0) && i + 1 < argc)
			*file = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			*file = argv[i] + 9;
		else if (strcmp(argv[i], "-v") == 0 ||
		    strcmp(argv[i], "--verbose") == 0)
			(*verbose)++;
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			fputs(help, stdout);
			return -1;
		} else {
			fprintf(stderr, "phasegate: %s: unknown argument %s\n",
			    argv[0], argv[i]);
			fputs(help, stderr);
			return 1;
		}
	}
	if (*file == NULL) {
		fprintf(stderr, "phasegate: %s: -c FILE is required\n", argv[0]);
		fputs(help, stderr);
		return 1;
	}
	return 0;
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
	if (privs_check(cfg) == -1 || serve_check_spool(cfg) == -1) {
		chain_unref(c);
		return 1;
	}
	if (chain_filter_count(c) == 0)
		log_warnx("%s: no filters: every message is accepted as it is",
		    file);
	printf("%s: configuration OK (%zu filter%s)\n", file,
	    chain_filter_count(c), chain_filter_count(c) == 1 ? "" : "s");
	chain_unref(c);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *file;
	int verbose = 0, rc;

	plugin_builtin_add("lua", &lua_bridge_plugin);
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		version_print(stdout);
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
		if ((rc = config_arg(argc - 1, argv + 1, serve_usage, &file,
		    &verbose)) != 0)
			return rc == -1 ? 0 : 1;
		return serve_main(file, verbose);
	}
	if (strcmp(argv[1], "configtest") == 0) {
		if ((rc = config_arg(argc - 1, argv + 1, configtest_usage, &file,
		    &verbose)) != 0)
			return rc == -1 ? 0 : 1;
		return configtest(file);
	}
	fprintf(stderr, "phasegate: unknown command %s\n", argv[1]);
	usage(stderr);
	return 1;
}
