# plugins/regex/regex.mk - the PCRE2 wrapper (host/re.c), the regex plugin,
# their unit tests. See Makefile.am.

# host/re.c is part of the core (the Lua bridge's pg.regex uses it) and is
# also compiled into the regex plugin, which links against nothing of the host.
libpgcore_la_SOURCES += host/re.c host/re.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_re
TESTS += tests/unit/test_re
tests_unit_test_re_SOURCES = tests/unit/test_re.c host/re.c host/re.h
tests_unit_test_re_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_re_LDADD = $(PCRE2_LIBS) $(HS_LIBS) $(CMOCKA_LIBS)
endif

# The Hyperscan prefilter changes no result (host/re.c): a differential fuzz
# target, replayed over its corpus by make check, libFuzzer when clang has it.
check_PROGRAMS += tests/fuzz/fuzz_re_prefilter_replay
TESTS += tests/fuzz/fuzz_re_prefilter_replay
tests_fuzz_fuzz_re_prefilter_replay_SOURCES = tests/fuzz/fuzz_re_prefilter.c \
	tests/fuzz/fuzz_smtp_replay.c host/re.c host/re.h
tests_fuzz_fuzz_re_prefilter_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"re_prefilter"'
tests_fuzz_fuzz_re_prefilter_replay_LDADD = $(PCRE2_LIBS) $(HS_LIBS)
if HAVE_FUZZER
noinst_PROGRAMS += tests/fuzz/fuzz_re_prefilter
tests_fuzz_fuzz_re_prefilter_SOURCES = tests/fuzz/fuzz_re_prefilter.c host/re.c host/re.h
tests_fuzz_fuzz_re_prefilter_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined -g
tests_fuzz_fuzz_re_prefilter_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_re_prefilter_LDADD = $(PCRE2_LIBS) $(HS_LIBS)
endif

# The plugin: a module with one exported symbol; re.c compiled into it.
pkglib_LTLIBRARIES += regex.la
regex_la_SOURCES = plugins/regex/regex.c host/re.c host/re.h
# Its copy of re.c has no Hyperscan prefilter: the prefilter keeps scan
# scratch in thread-local storage with a destructor, which must not outlive
# a module that a reload unloads; and body rules see a line at a time,
# shorter than RE_PREFILTER_MIN.
regex_la_CPPFLAGS = $(AM_CPPFLAGS) -URE_HYPERSCAN
regex_la_LDFLAGS = $(PLUGIN_LDFLAGS)
regex_la_LIBADD = $(PCRE2_LIBS) -lm

# The plugin through the real chain: libpgcore loads regex.so by name.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_regex_plugin
TESTS += tests/unit/test_regex_plugin
tests_unit_test_regex_plugin_SOURCES = tests/unit/test_regex_plugin.c
tests_unit_test_regex_plugin_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_DATA_DIR='"$(abs_top_srcdir)/tests/data/regex"' \
	-DTEST_PLUGIN_DIR='"$(abs_top_builddir)/.libs"' \
	-DTEST_EXAMPLES_DIR='"$(abs_top_srcdir)/examples"'
tests_unit_test_regex_plugin_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_regex_plugin_LDADD = libpgcore.la $(CMOCKA_LIBS) -lm
tests_unit_test_regex_plugin_DEPENDENCIES = libpgcore.la regex.la
endif
EXTRA_DIST += tests/data/regex examples/regex.rules docs/regex-plugin.md
