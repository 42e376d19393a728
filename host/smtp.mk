# host/smtp.mk - the SMTP codecs and the proxy front end (issue 4)
libpgcore_la_SOURCES += \
	host/smtp_cmd.c host/smtp_cmd.h \
	host/smtp_reply.c host/smtp_reply.h \
	host/smtp_data.c host/smtp_data.h \
	host/proxy_upstream.c host/proxy_upstream.h \
	host/proxy_front.c host/proxy_front.h \
	host/rdns.c host/rdns.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_smtp_cmd tests/unit/test_smtp_reply tests/unit/test_smtp_data
TESTS += tests/unit/test_smtp_cmd tests/unit/test_smtp_reply tests/unit/test_smtp_data
tests_unit_test_smtp_cmd_SOURCES = tests/unit/test_smtp_cmd.c host/smtp_cmd.c
tests_unit_test_smtp_cmd_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_smtp_cmd_LDADD = $(CMOCKA_LIBS)
tests_unit_test_smtp_reply_SOURCES = tests/unit/test_smtp_reply.c host/smtp_reply.c
tests_unit_test_smtp_reply_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_smtp_reply_LDADD = $(CMOCKA_LIBS)
tests_unit_test_smtp_data_SOURCES = tests/unit/test_smtp_data.c host/smtp_data.c
tests_unit_test_smtp_data_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_smtp_data_LDADD = $(CMOCKA_LIBS)
endif

# Fuzz targets: replayed over their seed corpus by `make check` (plain
# programs), and built as libFuzzer programs when clang has -fsanitize=fuzzer.
SMTP_FUZZ_REPLAY = tests/fuzz/fuzz_smtp_cmd_replay tests/fuzz/fuzz_smtp_reply_replay \
	tests/fuzz/fuzz_smtp_data_replay
check_PROGRAMS += $(SMTP_FUZZ_REPLAY)
TESTS += $(SMTP_FUZZ_REPLAY)
tests_fuzz_fuzz_smtp_cmd_replay_SOURCES = tests/fuzz/fuzz_smtp_cmd.c tests/fuzz/fuzz_smtp_replay.c host/smtp_cmd.c
tests_fuzz_fuzz_smtp_cmd_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"smtp_cmd"'
tests_fuzz_fuzz_smtp_reply_replay_SOURCES = tests/fuzz/fuzz_smtp_reply.c tests/fuzz/fuzz_smtp_replay.c host/smtp_reply.c
tests_fuzz_fuzz_smtp_reply_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"smtp_reply"'
tests_fuzz_fuzz_smtp_data_replay_SOURCES = tests/fuzz/fuzz_smtp_data.c tests/fuzz/fuzz_smtp_replay.c host/smtp_data.c
tests_fuzz_fuzz_smtp_data_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"smtp_data"'
EXTRA_DIST += tests/fuzz/corpus

if HAVE_FUZZER
# Run: tests/fuzz/fuzz_smtp_cmd -max_total_time=30 $(srcdir)/tests/fuzz/corpus/smtp_cmd
noinst_PROGRAMS += tests/fuzz/fuzz_smtp_cmd tests/fuzz/fuzz_smtp_reply tests/fuzz/fuzz_smtp_data
FUZZ_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined -g
tests_fuzz_fuzz_smtp_cmd_SOURCES = tests/fuzz/fuzz_smtp_cmd.c host/smtp_cmd.c
tests_fuzz_fuzz_smtp_cmd_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_smtp_cmd_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_smtp_reply_SOURCES = tests/fuzz/fuzz_smtp_reply.c host/smtp_reply.c
tests_fuzz_fuzz_smtp_reply_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_smtp_reply_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_smtp_data_SOURCES = tests/fuzz/fuzz_smtp_data.c host/smtp_data.c
tests_fuzz_fuzz_smtp_data_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_smtp_data_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif

# Integration tests with real peers (smtp-sink, swaks, a raw-socket client)
PROXY_TESTS = tests/proxy/transparency.sh tests/proxy/verdicts.sh tests/proxy/smuggle.sh \
	tests/proxy/upstream.sh tests/proxy/limits.sh tests/proxy/load.sh tests/proxy/postfix.sh \
	tests/proxy/stop.sh
TESTS += $(PROXY_TESTS)
EXTRA_DIST += $(PROXY_TESTS) tests/proxy/lib.sh tests/proxy/smtpc.py
EXTRA_DIST += docs/proxy.md bench/proxy bench/README-proxy.md

# make bench-proxy: the proxy benchmark (bench/README-proxy.md)
.PHONY: bench-proxy
bench-proxy: phasegate$(EXEEXT) regex.la bench/relay$(EXEEXT)
	PHASEGATE=$(abs_top_builddir)/phasegate PHASEGATE_PLUGIN_DIR=$(abs_top_builddir)/.libs \
		RELAY=$(abs_top_builddir)/bench/relay $(abs_top_srcdir)/bench/proxy
