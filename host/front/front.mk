# host/front/front.mk - the drivers: the SMTP proxy, the milter, `check`.
# Includes every layer below and its own folder.
noinst_LTLIBRARIES += libpgfront.la
libpgfront_la_SOURCES = \
	host/front/proxy_front.c host/front/proxy_front.h \
	host/front/proxy_session.c host/front/proxy_session.h \
	host/front/proxy_ehlo.c host/front/proxy_ehlo.h \
	host/front/proxy_ident.c host/front/proxy_ident.h \
	host/front/proxy_name.c host/front/proxy_name.h \
	host/front/proxy_deliver.c host/front/proxy_deliver.h \
	host/front/proxy_upstream.c host/front/proxy_upstream.h \
	host/front/proxy_tls.c host/front/proxy_tls.h \
	host/front/proxy_limits.c host/front/proxy_limits.h \
	host/front/proxy_auth.c host/front/proxy_auth.h \
	host/front/milter_front.c host/front/milter_front.h \
	host/front/milter_stage.c host/front/milter_stage.h \
	host/front/milter_macro.c host/front/milter_macro.h \
	host/front/milter_replay.c host/front/milter_replay.h \
	host/front/check.c host/front/check.h \
	host/front/check_dns.c host/front/check_dns.h \
	host/front/stats_front.c host/front/stats_front.h
libpgfront_la_CPPFLAGS = $(FRONT_CPPFLAGS)

# Integration tests with real peers (smtp-sink, swaks, a raw-socket client)
PROXY_TESTS = tests/proxy/transparency.sh tests/proxy/verdicts.sh tests/proxy/smuggle.sh \
	tests/proxy/upstream.sh tests/proxy/limits.sh tests/proxy/load.sh tests/proxy/postfix.sh \
	tests/proxy/stop.sh tests/proxy/unix.sh tests/proxy/hostile.sh tests/proxy/msglog.sh \
	tests/proxy/stats.sh
TESTS += $(PROXY_TESTS)
# the real client's identity (issue 15): XCLIENT, XFORWARD, the PROXY header
IDENT_TESTS = tests/proxy/xclient.sh tests/proxy/xforward.sh tests/proxy/haproxy.sh
TESTS += $(IDENT_TESTS)
EXTRA_DIST += $(IDENT_TESTS) bench/ident
# the verified client name (issue 13): FCrDNS on the resolver
LOOKUP_TESTS = tests/proxy/fcrdns.sh tests/check_lookups.sh
TESTS += $(LOOKUP_TESTS)
EXTRA_DIST += $(LOOKUP_TESTS)
# TLS (issue 15): to clients, to the upstream, AUTH relay
TLS_TESTS = tests/proxy/tls.sh tests/proxy/tls_upstream.sh tests/proxy/auth.sh
TESTS += $(TLS_TESTS)
EXTRA_DIST += $(TLS_TESTS) tests/tls docs/tls.md
EXTRA_DIST += $(PROXY_TESTS) tests/proxy/lib.sh tests/proxy/smtpc.py \
	tests/proxy/trickle.py tests/proxy/badupstream.py tests/proxy/scrape.py \
	tests/proxy/qidsink.py
EXTRA_DIST += docs/proxy.md bench/proxy bench/README-proxy.md docs/hardening.md

# miltertest (MTA side) against phasegate serve; skipped without miltertest
TESTS += tests/milter/milter.sh tests/milter/stop.sh tests/milter/msglog.sh \
	tests/milter/hostile.sh
EXTRA_DIST += tests/milter/msglog.sh tests/milter/milter.sh tests/milter/hostile.sh \
	tests/milter/mt tests/milter/filters tests/milter/rawmta.py \
	tests/milter/stop.sh tests/milter/stopmta.py
# a private Postfix with phasegate as its milter; skipped unless root
TESTS += tests/milter/postfix.sh
EXTRA_DIST += tests/milter/postfix.sh tests/milter/pflib.sh
# the one scenario table, through check, the milter (private Postfix) and the proxy
TESTS += tests/scenario/scenario.sh
EXTRA_DIST += tests/scenario/scenario.sh tests/scenario/scenario.py \
	tests/scenario/scenarios.txt tests/scenario/mail tests/scenario/filters
EXTRA_DIST += bench/milter bench/README-milter.md docs/milter.md docs/postfix.md docs/sendmail.md

# make bench-proxy / bench-milter: the benchmarks (bench/README-*.md); add
# PHASEGATE_BASE=/path/to/other/phasegate for a side-by-side row
.PHONY: bench-proxy bench-milter bench-hostile
bench-proxy: phasegate$(EXEEXT) regex.la bench/relay$(EXEEXT)
	PHASEGATE=$(abs_top_builddir)/phasegate PHASEGATE_PLUGIN_DIR=$(abs_top_builddir)/.libs \
		RELAY=$(abs_top_builddir)/bench/relay $(abs_top_srcdir)/bench/proxy
# make bench-hostile: real mail while 1,000 tricklers hold the proxy (bench/hostile)
bench-hostile: phasegate$(EXEEXT)
	PHASEGATE=$(abs_top_builddir)/phasegate top_srcdir=$(abs_top_srcdir) $(abs_top_srcdir)/bench/hostile
EXTRA_DIST += bench/hostile
bench-milter: phasegate$(EXEEXT) regex.la bench/nullmilter$(EXEEXT)
	PHASEGATE=$(abs_top_builddir)/phasegate NULLMILTER=$(abs_top_builddir)/bench/nullmilter \
		$(abs_top_srcdir)/bench/milter
# a real Sendmail 8.17 (unpacked, not installed) with phasegate as its
# milter; skipped only where Sendmail cannot be had
TESTS += tests/milter/sendmail.sh
EXTRA_DIST += tests/milter/sendmail.sh tests/milter/filters/sendmail.rules

# the milter's macros and change replay (host/front/milter_macro.c, milter_replay.c)
if HAVE_CMOCKA
FRONT_UNIT_TESTS = tests/unit/test_milter_macro tests/unit/test_milter_replay
check_PROGRAMS += $(FRONT_UNIT_TESTS)
TESTS += $(FRONT_UNIT_TESTS)
tests_unit_test_milter_macro_SOURCES = tests/unit/test_milter_macro.c
tests_unit_test_milter_macro_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_milter_macro_LDADD = $(UNIT_LDADD)
tests_unit_test_milter_replay_SOURCES = tests/unit/test_milter_replay.c
tests_unit_test_milter_replay_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_milter_replay_LDADD = $(UNIT_LDADD)
endif
