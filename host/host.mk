# host/host.mk - the top: main.c (subcommands) and serve.c (signals,
# generations, process tuning), the phasegate binary, and libphasegate, every
# layer in one convenience library for the binary and the tests.
noinst_LTLIBRARIES += libphasegate.la
libphasegate_la_SOURCES =
libphasegate_la_LIBADD = libpgfront.la libpgcore.la libpglua.la libpgluaconf.la \
	libpgcodec.la libpglib.la $(LUA_LIBS) $(PCRE2_LIBS) $(HS_LIBS) $(CARES_LIBS) $(MIME_LIBS) $(HIREDIS_LIBS) \
	$(LIBS) -lm

bin_PROGRAMS += phasegate
phasegate_SOURCES = host/main.c host/serve.c host/serve.h host/privs.c host/privs.h
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
# unix sockets' mode, group and removal after a privilege drop; hostname
TESTS += tests/socket.sh
EXTRA_DIST += tests/socket.sh
# files every user may change are refused at load
TESTS += tests/perms.sh
EXTRA_DIST += tests/perms.sh
TESTS += tests/signals.sh tests/logfile.sh
EXTRA_DIST += tests/signals.sh tests/logfile.sh
# a soak through both front ends (20,000 messages: no loss, no duplicate,
# flat memory); `make soak` runs a longer one (SOAK_MESSAGES, 200,000)
TESTS += tests/soak.sh
EXTRA_DIST += tests/soak.sh tests/soak.py
soak: phasegate$(EXEEXT)
	SOAK_MESSAGES=$${SOAK_MESSAGES:-200000} $(MAKE) $(AM_MAKEFLAGS) check TESTS=tests/soak.sh
	@cat tests/soak.log | grep '^# '
.PHONY: soak
