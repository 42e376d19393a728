# lua/lua.mk - the Lua bridge (built-in plugin "lua"), pg.store, their
# tests and Lua test scripts; see Makefile.am
LUA_BRIDGE_SOURCES = \
	lua/lua_bridge.c lua/lua_bridge.h lua/lua_int.h lua/lua_sandbox.c \
	lua/lua_pg.c lua/lua_session.c lua/lua_tx.c \
	lua/lua_vars.c lua/lua_vars.h lua/lua_regex.c lua/lua_strpat.c lua/lua_dns.c \
	lua/lua_mime.c lua/lua_map.c
# the bridge sees include/ (plugin.h), host/lib (re.h) and its own folder
noinst_LTLIBRARIES += libpglua.la
libpglua_la_SOURCES = $(LUA_BRIDGE_SOURCES)
libpglua_la_CPPFLAGS = $(LUA_BRIDGE_CPPFLAGS)

# The test host's lookups use the real resolver, and the tests' DNS servers.
TH_DNS_SOURCES = host/core/lookup.c host/lib/dns.c host/lib/dnsmsg.c \
	host/lib/dnsname.c $(FIBER_SOURCES) host/lib/clock.c host/lib/log.c tests/dns/dnspeer.c \
	$(TH_STORE_SOURCES)
# The test host's pg.store is the real one (in-process or Redis).
TH_STORE_SOURCES = host/core/store.c host/core/store_mem.c host/core/store_redis.c \
	host/lib/redis.c host/lib/conn.c host/lib/addr.c host/lib/map.c

if HAVE_CMOCKA
# Against the plugin ABI only: a small host in the test (test_lua_host.c).
LUA_TEST_SOURCES = $(LUA_BRIDGE_SOURCES) host/lib/re.c host/lib/re.h host/lib/file.c \
	host/lib/metrics.c host/lib/xmalloc.c \
	tests/unit/test_lua_host.c tests/unit/test_lua_host.h $(TH_DNS_SOURCES)
LUA_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"' \
	-I$(top_srcdir)/tests/dns
LUA_TEST_LDADD = $(LUA_LIBS) $(PCRE2_LIBS) $(HS_LIBS) $(CARES_LIBS) $(HIREDIS_LIBS) $(CMOCKA_LIBS) -lm
LUA_UNIT_TESTS = tests/unit/test_lua_scripts \
	tests/unit/test_lua_bridge tests/unit/test_lua_docs tests/unit/test_lua_real \
	tests/unit/test_lua_strpat
check_PROGRAMS += $(LUA_UNIT_TESTS)
TESTS += $(LUA_UNIT_TESTS)
tests_unit_test_lua_bridge_SOURCES = tests/unit/test_lua_bridge.c $(LUA_TEST_SOURCES)
tests_unit_test_lua_bridge_CFLAGS = $(LUA_TEST_CFLAGS)
tests_unit_test_lua_bridge_LDADD = $(LUA_TEST_LDADD)
tests_unit_test_lua_docs_SOURCES = tests/unit/test_lua_docs.c $(LUA_TEST_SOURCES)
tests_unit_test_lua_docs_CFLAGS = $(LUA_TEST_CFLAGS)
tests_unit_test_lua_docs_LDADD = $(LUA_TEST_LDADD)
tests_unit_test_lua_strpat_SOURCES = tests/unit/test_lua_strpat.c $(LUA_TEST_SOURCES)
tests_unit_test_lua_strpat_CFLAGS = $(LUA_TEST_CFLAGS)
tests_unit_test_lua_strpat_LDADD = $(LUA_TEST_LDADD)
# With the real host: libphasegate (config, chain, session, tx, msg).
tests_unit_test_lua_real_SOURCES = tests/unit/test_lua_real.c
tests_unit_test_lua_real_CFLAGS = $(LUA_TEST_CFLAGS)
tests_unit_test_lua_real_LDADD = libphasegate.la $(CMOCKA_LIBS)
tests_unit_test_lua_scripts_SOURCES = tests/unit/test_lua_scripts.c $(LUA_TEST_SOURCES)
tests_unit_test_lua_scripts_CFLAGS = $(LUA_TEST_CFLAGS)
tests_unit_test_lua_scripts_LDADD = $(LUA_TEST_LDADD)
endif

# Lua test scripts are run by test_lua_scripts (one per file, with the
# expectations written in the script's "-- runK:" lines); examples.sh runs
# `phasegate check` over examples/mail with the bundled rules.
TESTS += tests/lua/examples.sh
EXTRA_DIST += tests/lua examples/rules examples/mail docs/lua-api.md
