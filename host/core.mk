# host/core.mk - the core library, the phasegate binary, core unit tests
noinst_LTLIBRARIES += libpgcore.la
libpgcore_la_SOURCES = \
	host/log.c host/log.h \
	host/xmalloc.c host/xmalloc.h \
	host/reply.c host/reply.h \
	host/session.c host/session.h \
	host/tx.c host/tx.h \
	host/chain.c host/chain.h \
	host/host_api.c host/host_api.h \
	host/plugin_load.c host/plugin_load.h \
	host/check.c host/check.h \
	host/serve.c host/serve.h \
	host/fiber.c host/fiber.h
libpgcore_la_LIBADD = $(LUA_LIBS) $(PCRE2_LIBS) $(HS_LIBS) $(LIBS) -lm

bin_PROGRAMS += phasegate
phasegate_SOURCES = host/main.c
phasegate_LDADD = libpgcore.la
phasegate_LDFLAGS = -pthread

if HAVE_CMOCKA
UNIT_LDADD = libpgcore.la $(CMOCKA_LIBS)
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
check_PROGRAMS += tests/unit/test_reply tests/unit/test_chain tests/unit/test_plugin_load \
	tests/unit/test_fiber
TESTS += tests/unit/test_reply tests/unit/test_chain tests/unit/test_plugin_load \
	tests/unit/test_fiber
tests_unit_test_reply_SOURCES = tests/unit/test_reply.c host/reply.c
tests_unit_test_reply_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_reply_LDADD = $(CMOCKA_LIBS)
tests_unit_test_chain_SOURCES = tests/unit/test_chain.c
tests_unit_test_chain_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_chain_LDADD = $(UNIT_LDADD)
tests_unit_test_plugin_load_SOURCES = tests/unit/test_plugin_load.c
tests_unit_test_plugin_load_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_plugin_load_LDADD = $(UNIT_LDADD)
tests_unit_test_fiber_SOURCES = tests/unit/test_fiber.c host/fiber.c host/log.c
tests_unit_test_fiber_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fiber_LDADD = $(CMOCKA_LIBS)
tests_unit_test_fiber_LDFLAGS = -pthread
endif

# Test plugins: every hook and verdict; one with a wrong ABI; one with the
# first ABI 1 descriptor (no phases member).
check_LTLIBRARIES += tests/plugins/pg_test_all.la tests/plugins/pg_test_badabi.la \
	tests/plugins/pg_test_oldsize.la
tests_plugins_pg_test_all_la_SOURCES = tests/plugins/pg_test_all.c
tests_plugins_pg_test_all_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_pg_test_badabi_la_SOURCES = tests/plugins/pg_test_badabi.c
tests_plugins_pg_test_badabi_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_pg_test_oldsize_la_SOURCES = tests/plugins/pg_test_oldsize.c
tests_plugins_pg_test_oldsize_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)

TESTS += tests/check.sh tests/example_plugin.sh tests/serve.sh tests/example_conf.sh
EXTRA_DIST += tests/check.sh tests/example_plugin.sh tests/serve.sh tests/example_conf.sh tests/serve tests/lib.sh tests/data
