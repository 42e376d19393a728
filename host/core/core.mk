# host/core/core.mk - the model and the engine: spool, message, session,
# transaction, configuration, chain generations, a session's run through
# its chain (the per-phase API of the drivers), decisions, plugin loader,
# host table and lookups (the resolver's face for plugins and scripts).
# Includes host/lib, host/codec, its own folder and lua/conf (the
# configuration file's Lua sandbox, built below as its own library).
noinst_LTLIBRARIES += libpgcore.la libpgluaconf.la
libpgcore_la_SOURCES = \
	host/core/spool.c host/core/spool.h \
	host/core/msg.c host/core/msg.h \
	host/core/linkset.c host/core/linkset.h \
	host/core/session.c host/core/session.h \
	host/core/tx.c host/core/tx.h \
	host/core/config.c host/core/config.h \
	host/core/config_stats.c host/core/config_stats.h \
	host/core/config_diff.c host/core/config_diff.h \
	host/core/confwalk.c host/core/confwalk.h \
	host/core/config_listen.c host/core/config_listen.h \
	host/core/decision.c host/core/decision.h \
	host/core/msglog.c host/core/msglog.h \
	host/core/chain.c host/core/chain.h \
	host/core/run.c host/core/run.h \
	host/core/gen.c host/core/gen.h \
	host/core/plugin_load.c host/core/plugin_load.h \
	host/core/host_api.c host/core/host_api.h \
	host/core/lookup.c host/core/lookup.h \
	host/core/content.c host/core/content.h \
	host/core/arclist.c host/core/arclist.h \
	host/core/config_store.c host/core/config_store.h \
	host/core/store.c host/core/store.h \
	host/core/store_mem.c host/core/store_mem.h \
	host/core/store_redis.c host/core/store_redis.h
libpgcore_la_CPPFLAGS = $(CORE_CPPFLAGS)
LUA_CONF_SOURCES = lua/conf/lua_conf.c lua/conf/lua_conf.h \
	lua/conf/lua_conf_lines.c lua/conf/lua_conf_lines.h \
	lua/conf/lua_conf_tree.c lua/conf/lua_conf_tree.h
libpgluaconf_la_SOURCES = $(LUA_CONF_SOURCES)
# the sandbox allocates through host/lib's pg_*() (xmalloc.h) and nothing else of the host
libpgluaconf_la_CPPFLAGS = $(LIB_CPPFLAGS) -I$(top_srcdir)/lua/conf

if HAVE_CMOCKA
CORE_UNIT_TESTS = tests/unit/test_spool tests/unit/test_msg tests/unit/test_linkset \
	tests/unit/test_config \
	tests/unit/test_session tests/unit/test_tx tests/unit/test_chain \
	tests/unit/test_plugin_load tests/unit/test_reload tests/unit/test_lookup \
	tests/unit/test_metrics tests/unit/test_msglog tests/unit/test_store
check_PROGRAMS += $(CORE_UNIT_TESTS)
TESTS += $(CORE_UNIT_TESTS)
tests_unit_test_metrics_SOURCES = tests/unit/test_metrics.c host/lib/metrics.c \
	host/lib/xmalloc.c host/lib/log.c
tests_unit_test_metrics_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_metrics_LDADD = $(CMOCKA_LIBS) -lpthread
# the summary line with the real model; chain.h's names come from a stub
tests_unit_test_msglog_SOURCES = tests/unit/test_msglog.c host/core/msglog.c \
	host/core/decision.c host/codec/reply.c host/core/tx.c host/core/session.c \
	host/core/msg.c host/codec/hdr.c host/core/spool.c host/lib/xmalloc.c host/lib/log.c \
	$(MIME_CODEC_SOURCES)
tests_unit_test_msglog_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_msglog_LDADD = $(CMOCKA_LIBS) -lm
tests_unit_test_spool_SOURCES = tests/unit/test_spool.c host/core/spool.c host/lib/xmalloc.c host/lib/log.c
tests_unit_test_spool_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_spool_LDADD = $(CMOCKA_LIBS)
tests_unit_test_linkset_SOURCES = tests/unit/test_linkset.c host/core/linkset.c \
	host/codec/url.c host/lib/arena.c host/lib/xmalloc.c host/lib/log.c
tests_unit_test_linkset_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_linkset_LDADD = $(MIME_LIBS) $(CMOCKA_LIBS)
tests_unit_test_msg_SOURCES = tests/unit/test_msg.c host/core/msg.c host/codec/hdr.c \
	host/core/spool.c host/lib/xmalloc.c host/lib/log.c $(MIME_CODEC_SOURCES)
tests_unit_test_msg_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_msg_LDADD = $(CMOCKA_LIBS)
# session and tx without a chain: the model and lib only
tests_unit_test_session_SOURCES = tests/unit/test_session.c host/core/session.c \
	host/lib/xmalloc.c host/lib/log.c
tests_unit_test_session_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_session_LDADD = $(CMOCKA_LIBS)
tests_unit_test_tx_SOURCES = tests/unit/test_tx.c host/core/tx.c host/core/session.c \
	host/core/msg.c host/codec/hdr.c host/core/spool.c host/lib/xmalloc.c host/lib/log.c \
	$(MIME_CODEC_SOURCES)
tests_unit_test_tx_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_tx_LDADD = $(CMOCKA_LIBS) -lm
tests_unit_test_config_SOURCES = tests/unit/test_config.c host/core/config.c \
	host/core/confwalk.c host/core/config_listen.c host/core/config_stats.c \
	host/core/config_diff.c host/core/config_store.c \
	host/codec/units.c $(LUA_CONF_SOURCES) host/lib/file.c host/lib/addr.c \
	host/lib/xmalloc.c host/lib/log.c
tests_unit_test_config_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCONFIG_TEST_DATA='"$(abs_top_srcdir)/tests/data/config"'
tests_unit_test_config_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_config_LDADD = $(LUA_LIBS) $(CMOCKA_LIBS) -lm
tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_store_LDADD = $(UNIT_LDADD)
tests_unit_test_chain_SOURCES = tests/unit/test_chain.c
tests_unit_test_chain_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_chain_LDADD = $(UNIT_LDADD)
# lookups in the real host, against rbldnsd and tests/dns/fakedns.py
tests_unit_test_lookup_SOURCES = tests/unit/test_lookup.c tests/dns/dnspeer.c \
	tests/dns/dnspeer.h
tests_unit_test_lookup_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/dns \
	-DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_lookup_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_lookup_LDADD = $(UNIT_LDADD)
tests_unit_test_plugin_load_SOURCES = tests/unit/test_plugin_load.c
tests_unit_test_plugin_load_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_plugin_load_LDADD = $(UNIT_LDADD)
# the whole load path (config_load, chain_load) under the allocation injector
tests_unit_test_reload_SOURCES = tests/unit/test_reload.c
tests_unit_test_reload_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_reload_LDADD = $(UNIT_LDADD)
tests_unit_test_reload_DEPENDENCIES = libphasegate.la regex.la
endif

# The header fuzz target: a libFuzzer program with clang; everywhere, the
# same file as a plain program that runs the seed corpus once (make check).
FUZZ_HDR_SOURCES = tests/fuzz/fuzz_hdr.c host/core/msg.c host/codec/hdr.c host/core/spool.c \
	host/lib/xmalloc.c host/lib/log.c $(MIME_CODEC_SOURCES)
check_PROGRAMS += tests/fuzz/fuzz_hdr_run
TESTS += tests/fuzz/fuzz_hdr_run
tests_fuzz_fuzz_hdr_run_SOURCES = $(FUZZ_HDR_SOURCES)
tests_fuzz_fuzz_hdr_run_CPPFLAGS = $(AM_CPPFLAGS) -DPG_FUZZ_STANDALONE
if HAVE_FUZZER
noinst_PROGRAMS += tests/fuzz/fuzz_hdr
tests_fuzz_fuzz_hdr_SOURCES = $(FUZZ_HDR_SOURCES)
tests_fuzz_fuzz_hdr_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_hdr_LDFLAGS = $(FUZZ_LINKFLAGS)
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
EXTRA_DIST += tests/data docs/configuration.md

# the proxy listener's identity keys (xclient, xforward_from, proxy_protocol)
libpgcore_la_SOURCES += host/core/config_ident.c host/core/config_ident.h
if HAVE_CMOCKA
tests_unit_test_config_SOURCES += host/core/config_ident.c host/lib/netlist.c
endif

# the proxy listener's TLS and AUTH keys (DESIGN section 11)
libpgcore_la_SOURCES += host/core/config_tls.c host/core/config_tls.h
if HAVE_CMOCKA
tests_unit_test_config_SOURCES += host/core/config_tls.c host/lib/tls.c host/lib/conn.c \
	$(FIBER_SOURCES) host/lib/clock.c
endif
