# host/config.mk - configuration loading (host/config.c, host/units.c and the
# Lua sandbox lua/lua_conf.c); see Makefile.am
libpgcore_la_SOURCES += \
	host/config.c host/config.h \
	host/units.c host/units.h \
	lua/lua_conf.c lua/lua_conf.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_units tests/unit/test_config
TESTS += tests/unit/test_units tests/unit/test_config
tests_unit_test_units_SOURCES = tests/unit/test_units.c host/units.c
tests_unit_test_units_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_units_LDADD = $(CMOCKA_LIBS)
tests_unit_test_config_SOURCES = tests/unit/test_config.c host/config.c \
	host/units.c lua/lua_conf.c host/xmalloc.c host/log.c
tests_unit_test_config_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCONFIG_TEST_DATA='"$(abs_top_srcdir)/tests/data/config"'
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_config_LDADD = $(LUA_LIBS) $(CMOCKA_LIBS) -lm
endif

EXTRA_DIST += tests/data/config docs/configuration.md
