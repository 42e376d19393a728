# plugins/regex/regex.mk - the regex plugin and its unit test. See Makefile.am.

# The plugin: a module with one exported symbol; re.c compiled into it.
# libtool builds it (-rpath makes a noinst library a .so) and make install
# copies the bare .so into $(pkglibdir): installed as a libtool library
# (pkglib_LTLIBRARIES), libtool took $(pkglibdir) for a directory of shared
# libraries the dynamic linker must be told about and warned "remember to
# run 'libtool --finish'" (ldconfig -n) after every DESTDIR install. A
# module that the host dlopen()s by path has no soname for ldconfig and
# nothing links against it; its .la (not shipped by Debian either) served
# nobody.
noinst_LTLIBRARIES += regex.la
regex_la_SOURCES = plugins/regex/regex.c plugins/regex/rx_rules.c \
	plugins/regex/rx_rules.h host/lib/re.c host/lib/re.h
# Its copy of re.c has no Hyperscan prefilter: the prefilter keeps scan
# scratch in thread-local storage with a destructor, which must not outlive
# a module that a reload unloads; and body rules see a line at a time,
# shorter than RE_PREFILTER_MIN.
regex_la_CPPFLAGS = $(LIB_CPPFLAGS) -URE_HYPERSCAN
regex_la_LDFLAGS = $(PLUGIN_LDFLAGS) -rpath $(pkglibdir)
install-exec-local: regex-install
uninstall-local: regex-uninstall
.PHONY: regex-install regex-uninstall
regex-install: regex.la
	$(MKDIR_P) '$(DESTDIR)$(pkglibdir)'
	$(INSTALL_PROGRAM) .libs/regex.so '$(DESTDIR)$(pkglibdir)/regex.so'
regex-uninstall:
	rm -f '$(DESTDIR)$(pkglibdir)/regex.so'
	-rmdir '$(DESTDIR)$(pkglibdir)' 2>/dev/null
regex_la_LIBADD = $(PCRE2_LIBS) -lm

# The plugin through the real chain: the host loads regex.so by name.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_regex_plugin
TESTS += tests/unit/test_regex_plugin
tests_unit_test_regex_plugin_SOURCES = tests/unit/test_regex_plugin.c
tests_unit_test_regex_plugin_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_DATA_DIR='"$(abs_top_srcdir)/tests/data/regex"' \
	-DTEST_PLUGIN_DIR='"$(abs_top_builddir)/.libs"' \
	-DTEST_EXAMPLES_DIR='"$(abs_top_srcdir)/examples"'
tests_unit_test_regex_plugin_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_regex_plugin_LDADD = libphasegate.la $(CMOCKA_LIBS) -lm
tests_unit_test_regex_plugin_DEPENDENCIES = libphasegate.la regex.la
endif
EXTRA_DIST += tests/data/regex examples/regex.rules docs/regex-plugin.md
