# host/host.mk - the top: main.c (subcommands) and serve.c (signals,
# generations, process tuning), the phasegate binary, and libphasegate, every
# layer in one convenience library for the binary and the tests.
noinst_LTLIBRARIES += libphasegate.la
libphasegate_la_SOURCES =
libphasegate_la_LIBADD = libpgfront.la libpgcore.la libpglua.la libpgluaconf.la \
	libpgcodec.la libpglib.la $(LUA_LIBS) $(PCRE2_LIBS) $(HS_LIBS) $(CARES_LIBS) $(MIME_LIBS) $(HIREDIS_LIBS) \
	$(LIBS) -lm

bin_PROGRAMS += phasegate
phasegate_SOURCES = host/main.c host/serve.c host/serve.h
phasegate_LDADD = libphasegate.la
phasegate_LDFLAGS = -pthread

TESTS += tests/check.sh tests/example_plugin.sh tests/serve.sh tests/example_conf.sh \
	tests/layers.sh
EXTRA_DIST += tests/check.sh tests/example_plugin.sh tests/serve.sh tests/example_conf.sh \
	tests/layers.sh tests/serve tests/lib.sh docs/architecture.md
# --version: the libraries' versions (host/version.c)
phasegate_SOURCES += host/version.c host/version.h
# the command line: --help of every subcommand, --version
TESTS += tests/cli.sh
EXTRA_DIST += tests/cli.sh
# serve's signals: USR1 reopens the log, USR2 ignored, neither kills
TESTS += tests/signals.sh
EXTRA_DIST += tests/signals.sh
