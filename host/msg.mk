# host/msg.mk - the message model: header codec, spool, message; their tests
libpgcore_la_SOURCES += \
	host/hdr.c host/hdr.h \
	host/msg.c host/msg.h \
	host/spool.c host/spool.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_hdr tests/unit/test_spool tests/unit/test_msg
TESTS += tests/unit/test_hdr tests/unit/test_spool tests/unit/test_msg
tests_unit_test_hdr_SOURCES = tests/unit/test_hdr.c host/hdr.c host/xmalloc.c host/log.c
tests_unit_test_hdr_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_hdr_LDADD = $(CMOCKA_LIBS)
tests_unit_test_spool_SOURCES = tests/unit/test_spool.c host/spool.c host/xmalloc.c host/log.c
tests_unit_test_spool_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_spool_LDADD = $(CMOCKA_LIBS)
tests_unit_test_msg_SOURCES = tests/unit/test_msg.c host/msg.c host/hdr.c host/spool.c host/xmalloc.c host/log.c
tests_unit_test_msg_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_msg_LDADD = $(CMOCKA_LIBS)
endif

# The header fuzz target: a libFuzzer program with clang; everywhere, the
# same file as a plain program that runs the seed corpus once (make check).
FUZZ_HDR_SOURCES = tests/fuzz/fuzz_hdr.c host/msg.c host/hdr.c host/spool.c host/xmalloc.c host/log.c
check_PROGRAMS += tests/fuzz/fuzz_hdr_run
TESTS += tests/fuzz/fuzz_hdr_run
tests_fuzz_fuzz_hdr_run_SOURCES = $(FUZZ_HDR_SOURCES)
tests_fuzz_fuzz_hdr_run_CPPFLAGS = $(AM_CPPFLAGS) -DPG_FUZZ_STANDALONE
if HAVE_FUZZER
noinst_PROGRAMS += tests/fuzz/fuzz_hdr
tests_fuzz_fuzz_hdr_SOURCES = $(FUZZ_HDR_SOURCES)
tests_fuzz_fuzz_hdr_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_hdr_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif
EXTRA_DIST += tests/fuzz/corpus/hdr
