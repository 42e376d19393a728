# contrib/contrib.mk - what a system installation needs beside the binary
# and the plugin: the man pages, the systemd unit, its tmpfiles.d and
# sysusers.d entries, a configuration with the sample rules under
# $(sysconfdir)/phasegate (installed only where none exists: an existing
# file is never overwritten), and the spool directory. docs/production.md.
#
# Where the systemd files go: configure --with-systemdsystemunitdir=DIR,
# --with-tmpfilesdir=DIR, --with-sysusersdir=DIR (default PREFIX/lib/...;
# "no" leaves the file out), or the same names on make's command line.

dist_man_MANS = docs/man/phasegate.8 docs/man/phasegate.conf.5 docs/man/phasegate-lua.7

pgconfdir = $(sysconfdir)/phasegate
pgspooldir = $(localstatedir)/spool/phasegate

# The files that name this installation's paths, made from their .in.
CONTRIB_GENERATED = contrib/systemd/phasegate.service contrib/systemd/phasegate.tmpfiles \
	contrib/systemd/phasegate.sysusers contrib/phasegate.conf
nodist_noinst_DATA = $(CONTRIB_GENERATED)
CLEANFILES += $(CONTRIB_GENERATED)
EXTRA_DIST += $(CONTRIB_GENERATED:=.in)

contrib_edit = $(SED) -e 's|@bindir[@]|$(bindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@localstatedir[@]|$(localstatedir)|g'
$(CONTRIB_GENERATED): Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && rm -f $@ $@.tmp && \
	$(contrib_edit) $(srcdir)/$@.in > $@.tmp && mv $@.tmp $@
contrib/systemd/phasegate.service: $(srcdir)/contrib/systemd/phasegate.service.in
contrib/systemd/phasegate.tmpfiles: $(srcdir)/contrib/systemd/phasegate.tmpfiles.in
contrib/systemd/phasegate.sysusers: $(srcdir)/contrib/systemd/phasegate.sysusers.in
contrib/phasegate.conf: $(srcdir)/contrib/phasegate.conf.in

# The configuration files: (installed name, source), installed only when absent.
CONTRIB_CONF = phasegate.conf:contrib/phasegate.conf \
	regex.rules:$(srcdir)/examples/regex.rules \
	rules/rules.lua:$(srcdir)/examples/rules/rules.lua

install-data-local: contrib-install-data
uninstall-local: contrib-uninstall
.PHONY: contrib-install-data contrib-uninstall

# contrib-install-data: systemd files; the configuration where none is; the spool
contrib-install-data: $(CONTRIB_GENERATED)
	@set -e; \
	for f in '$(systemdsystemunitdir)' phasegate.service \
	    '$(tmpfilesdir)' phasegate.tmpfiles '$(sysusersdir)' phasegate.sysusers; do \
	  case $$f in phasegate.*) \
	    test "$$dir" = no || { \
	      echo " $(INSTALL_DATA) contrib/systemd/$$f '$(DESTDIR)$$dir'"; \
	      $(MKDIR_P) "$(DESTDIR)$$dir"; \
	      case $$f in *.service) to=$$f ;; *) to=phasegate.conf ;; esac; \
	      $(INSTALL_DATA) contrib/systemd/$$f "$(DESTDIR)$$dir/$$to"; } ;; \
	  *) dir=$$f ;; esac; \
	done; \
	$(MKDIR_P) '$(DESTDIR)$(pgconfdir)/rules'; \
	for pair in $(CONTRIB_CONF); do \
	  to='$(DESTDIR)$(pgconfdir)'/$${pair%%:*}; from=$${pair#*:}; \
	  if test -e "$$to" || test -L "$$to"; then \
	    echo "phasegate: keeping $$to as it is (the shipped one: $$from)"; \
	  else \
	    echo " $(INSTALL_DATA) $$from '$$to'"; \
	    $(INSTALL_DATA) "$$from" "$$to"; \
	  fi; \
	done; \
	$(MKDIR_P) '$(DESTDIR)$(pgspooldir)'; chmod 0750 '$(DESTDIR)$(pgspooldir)'; \
	if test -z '$(DESTDIR)' && test "`id -u`" = 0 && id phasegate >/dev/null 2>&1; then \
	  chown phasegate:phasegate '$(pgspooldir)'; \
	fi

# contrib-uninstall: the systemd files; configuration files only when unchanged
contrib-uninstall:
	@for f in '$(systemdsystemunitdir)/phasegate.service' \
	    '$(tmpfilesdir)/phasegate.conf' '$(sysusersdir)/phasegate.conf'; do \
	  case $$f in no/*) ;; *) rm -f "$(DESTDIR)$$f" ;; esac; \
	done; \
	for pair in $(CONTRIB_CONF); do \
	  to='$(DESTDIR)$(pgconfdir)'/$${pair%%:*}; from=$${pair#*:}; \
	  if cmp -s "$$from" "$$to"; then rm -f "$$to"; \
	  elif test -e "$$to"; then echo "phasegate: keeping $$to (changed)"; fi; \
	done; \
	rmdir '$(DESTDIR)$(pgconfdir)/rules' '$(DESTDIR)$(pgconfdir)' \
	  '$(DESTDIR)$(pgspooldir)' 2>/dev/null || :

# tests: the installed file list, the notify protocol, the unit, the man pages
TESTS += tests/install.sh tests/sd_notify.sh tests/systemd_unit.sh tests/man.sh
EXTRA_DIST += tests/install.sh tests/sd_notify.sh tests/systemd_unit.sh tests/man.sh \
	tests/notify.py docs/production.md

# the Debian package: built from a copy of the tree, installed, purged
TESTS += tests/deb.sh
EXTRA_DIST += tests/deb.sh debian docs/debian.md
# deb.sh installs the package for a few seconds, and with it
# /var/spool/phasegate, the default spool of a configuration without
# spool.dir: it runs after every other test of the suite, never beside one.
tests/deb.log: $(filter-out tests/deb.log,$(TEST_LOGS))
