# plugins/dnsbl/dnsbl.mk - the dnsbl plugin (DNS block lists from a zones
# file) and its tests. See Makefile.am and docs/dnsbl-plugin.md.

# The plugin: a module with one exported symbol; re.c compiled into it
# without the Hyperscan prefilter (see plugins/regex/regex.mk for why).
# Installed as a bare .so, as regex.so is (plugins/regex/regex.mk says why).
noinst_LTLIBRARIES += dnsbl.la
dnsbl_la_SOURCES = plugins/dnsbl/dnsbl.c plugins/dnsbl/dz_zones.c \
	plugins/dnsbl/dz_zones.h host/lib/re.c host/lib/re.h
dnsbl_la_CPPFLAGS = $(LIB_CPPFLAGS) -URE_HYPERSCAN
dnsbl_la_LDFLAGS = $(PLUGIN_LDFLAGS) -rpath $(pkglibdir)
install-exec-local: dnsbl-install
uninstall-local: dnsbl-uninstall
.PHONY: dnsbl-install dnsbl-uninstall
dnsbl-install: dnsbl.la
	$(MKDIR_P) '$(DESTDIR)$(pkglibdir)'
	$(INSTALL_PROGRAM) .libs/dnsbl.so '$(DESTDIR)$(pkglibdir)/dnsbl.so'
dnsbl-uninstall:
	rm -f '$(DESTDIR)$(pkglibdir)/dnsbl.so'
	-rmdir '$(DESTDIR)$(pkglibdir)' 2>/dev/null
dnsbl_la_LIBADD = $(PCRE2_LIBS) -lm

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_dz_zones
TESTS += tests/unit/test_dz_zones
tests_unit_test_dz_zones_SOURCES = tests/unit/test_dz_zones.c plugins/dnsbl/dz_zones.c
tests_unit_test_dz_zones_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/dnsbl
tests_unit_test_dz_zones_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_dz_zones_LDADD = $(CMOCKA_LIBS) -lm
endif

# `phasegate check` with the plugin against rbldnsd and tests/dns/fakedns.py
TESTS += tests/dnsbl.sh
# ... and in the daemon: the proxy and the milter front ends refusing a
# listed client with the configured reply (the tests live beside their
# front ends' tests; they are registered here, with the plugin)
TESTS += tests/proxy/dnsbl.sh tests/milter/dnsbl.sh
EXTRA_DIST += docs/dnsbl-plugin.md tests/dnsbl.sh tests/data/dnsbl examples/dnsbl.zones \
	tests/proxy/dnsbl.sh tests/milter/dnsbl.sh tests/milter/mt/dnsbl.lua
