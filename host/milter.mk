# host/milter.mk - the milter front end, its unit test, the miltertest and
# private-Postfix tests, the shared scenario table. See Makefile.am.
libpgcore_la_SOURCES += \
	host/milter_front.c host/milter_front.h \
	host/milter_util.c host/milter_util.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_milter_util
TESTS += tests/unit/test_milter_util
tests_unit_test_milter_util_SOURCES = tests/unit/test_milter_util.c host/milter_util.c
tests_unit_test_milter_util_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_milter_util_LDADD = $(CMOCKA_LIBS)
endif

# miltertest (MTA side) against phasegate serve; skipped without miltertest
TESTS += tests/milter/milter.sh
EXTRA_DIST += tests/milter/milter.sh tests/milter/mt tests/milter/filters tests/milter/rawmta.py
# a private Postfix with phasegate as its milter; skipped unless root
TESTS += tests/milter/postfix.sh
EXTRA_DIST += tests/milter/postfix.sh tests/milter/pflib.sh
# the one scenario table, through check, the milter (private Postfix) and the proxy
TESTS += tests/scenario/scenario.sh
EXTRA_DIST += tests/scenario/scenario.sh tests/scenario/scenario.py \
	tests/scenario/scenarios.txt tests/scenario/mail tests/scenario/filters
EXTRA_DIST += bench/milter bench/README-milter.md docs/milter.md docs/postfix.md docs/sendmail.md

# fuzz target for the pure parsers: replayed over its corpus by make check,
# a libFuzzer program when clang has -fsanitize=fuzzer
check_PROGRAMS += tests/fuzz/fuzz_milter_util_replay
TESTS += tests/fuzz/fuzz_milter_util_replay
tests_fuzz_fuzz_milter_util_replay_SOURCES = tests/fuzz/fuzz_milter_util.c \
	tests/fuzz/fuzz_smtp_replay.c host/milter_util.c
tests_fuzz_fuzz_milter_util_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"milter_util"'
if HAVE_FUZZER
# Run: tests/fuzz/fuzz_milter_util -max_total_time=30 $(srcdir)/tests/fuzz/corpus/milter_util
noinst_PROGRAMS += tests/fuzz/fuzz_milter_util
tests_fuzz_fuzz_milter_util_SOURCES = tests/fuzz/fuzz_milter_util.c host/milter_util.c
tests_fuzz_fuzz_milter_util_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined -g
tests_fuzz_fuzz_milter_util_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif

# the milter protocol codec: unit test, fuzz target, replay of its corpus
libpgcore_la_SOURCES += host/milter_proto.c host/milter_proto.h
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_milter_proto
TESTS += tests/unit/test_milter_proto
tests_unit_test_milter_proto_SOURCES = tests/unit/test_milter_proto.c host/milter_proto.c
tests_unit_test_milter_proto_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_milter_proto_LDADD = $(CMOCKA_LIBS)
endif
check_PROGRAMS += tests/fuzz/fuzz_milter_proto_replay
TESTS += tests/fuzz/fuzz_milter_proto_replay
tests_fuzz_fuzz_milter_proto_replay_SOURCES = tests/fuzz/fuzz_milter_proto.c \
	tests/fuzz/fuzz_smtp_replay.c host/milter_proto.c
tests_fuzz_fuzz_milter_proto_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"milter_proto"'
if HAVE_FUZZER
# Run: tests/fuzz/fuzz_milter_proto -max_total_time=30 $(srcdir)/tests/fuzz/corpus/milter_proto
noinst_PROGRAMS += tests/fuzz/fuzz_milter_proto
tests_fuzz_fuzz_milter_proto_SOURCES = tests/fuzz/fuzz_milter_proto.c host/milter_proto.c
tests_fuzz_fuzz_milter_proto_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined -g
tests_fuzz_fuzz_milter_proto_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif

# make bench-milter: the milter benchmark (bench/README-milter.md); add
# PHASEGATE_BASE=/path/to/other/phasegate for a side-by-side row
.PHONY: bench-milter
bench-milter: phasegate$(EXEEXT) regex.la bench/nullmilter$(EXEEXT)
	PHASEGATE=$(abs_top_builddir)/phasegate NULLMILTER=$(abs_top_builddir)/bench/nullmilter \
		$(abs_top_srcdir)/bench/milter
