# host/codec/codec.mk - pure codecs: bytes in, events out. RFC 5322 header,
# SMTP commands, replies and DATA, the milter protocol, reply normal form,
# sizes and durations. Includes host/lib and its own folder only.
noinst_LTLIBRARIES += libpgcodec.la
libpgcodec_la_SOURCES = \
	host/codec/hdr.c host/codec/hdr.h \
	host/codec/reply.c host/codec/reply.h \
	host/codec/units.c host/codec/units.h \
	host/codec/smtp_cmd.c host/codec/smtp_cmd.h \
	host/codec/smtp_reply.c host/codec/smtp_reply.h \
	host/codec/smtp_data.c host/codec/smtp_data.h \
	host/codec/milter_proto.c host/codec/milter_proto.h \
	host/codec/milter_util.c host/codec/milter_util.h \
	host/codec/milter_order.c host/codec/milter_order.h \
	host/codec/mbuf.c host/codec/mbuf.h \
	host/codec/mime_dec.c host/codec/mime_dec.h \
	host/codec/charset.c host/codec/charset.h \
	host/codec/mime_hdr.c host/codec/mime_hdr.h \
	host/codec/mime.c host/codec/mime.h \
	host/codec/html.c host/codec/html.h \
	host/codec/url.c host/codec/url.h \
	host/codec/http_req.c host/codec/http_req.h
libpgcodec_la_CPPFLAGS = $(CODEC_CPPFLAGS)
# what msg.c needs of the MIME codecs (its limits), for tests that build it alone
MIME_CODEC_SOURCES = host/lib/arena.c host/codec/mime.c host/codec/mime_hdr.c host/codec/mime_dec.c \
	host/codec/charset.c host/codec/mbuf.c

if HAVE_CMOCKA
CODEC_UNIT_TESTS = tests/unit/test_units tests/unit/test_reply tests/unit/test_hdr \
	tests/unit/test_smtp_cmd tests/unit/test_smtp_reply tests/unit/test_smtp_data \
	tests/unit/test_milter_proto tests/unit/test_milter_util tests/unit/test_milter_order \
	tests/unit/test_mime tests/unit/test_http_req
check_PROGRAMS += $(CODEC_UNIT_TESTS)
TESTS += $(CODEC_UNIT_TESTS)
tests_unit_test_units_SOURCES = tests/unit/test_units.c host/codec/units.c
tests_unit_test_units_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_units_LDADD = $(CMOCKA_LIBS)
tests_unit_test_http_req_SOURCES = tests/unit/test_http_req.c host/codec/http_req.c
tests_unit_test_http_req_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_http_req_LDADD = $(CMOCKA_LIBS)
tests_unit_test_reply_SOURCES = tests/unit/test_reply.c host/codec/reply.c
tests_unit_test_reply_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_reply_LDADD = $(CMOCKA_LIBS)
tests_unit_test_hdr_SOURCES = tests/unit/test_hdr.c host/codec/hdr.c host/lib/xmalloc.c host/lib/log.c
tests_unit_test_hdr_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hdr_LDADD = $(CMOCKA_LIBS)
tests_unit_test_smtp_cmd_SOURCES = tests/unit/test_smtp_cmd.c host/codec/smtp_cmd.c
tests_unit_test_smtp_cmd_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_smtp_cmd_LDADD = $(CMOCKA_LIBS)
tests_unit_test_smtp_reply_SOURCES = tests/unit/test_smtp_reply.c host/codec/smtp_reply.c
tests_unit_test_smtp_reply_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_smtp_reply_LDADD = $(CMOCKA_LIBS)
tests_unit_test_smtp_data_SOURCES = tests/unit/test_smtp_data.c host/codec/smtp_data.c
tests_unit_test_smtp_data_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_smtp_data_LDADD = $(CMOCKA_LIBS)
tests_unit_test_milter_proto_SOURCES = tests/unit/test_milter_proto.c host/codec/milter_proto.c
tests_unit_test_milter_proto_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_milter_proto_LDADD = $(CMOCKA_LIBS)
tests_unit_test_milter_util_SOURCES = tests/unit/test_milter_util.c host/codec/milter_util.c
tests_unit_test_milter_util_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_milter_util_LDADD = $(CMOCKA_LIBS)
tests_unit_test_milter_order_SOURCES = tests/unit/test_milter_order.c host/codec/milter_order.c
tests_unit_test_milter_order_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_milter_order_LDADD = $(CMOCKA_LIBS)
tests_unit_test_mime_SOURCES = tests/unit/test_mime.c $(MIME_CODEC_SOURCES) host/codec/html.c \
	host/codec/url.c host/lib/xmalloc.c host/lib/log.c
tests_unit_test_mime_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_mime_LDADD = $(MIME_LIBS) $(CMOCKA_LIBS)
endif

# Fuzz targets: replayed over their seed corpus by `make check` (plain
# programs), and built as libFuzzer programs when clang has -fsanitize=fuzzer.
# Run one: tests/fuzz/fuzz_smtp_cmd -max_total_time=30 $(srcdir)/tests/fuzz/corpus/smtp_cmd
CODEC_FUZZ_REPLAY = tests/fuzz/fuzz_smtp_cmd_replay tests/fuzz/fuzz_smtp_reply_replay \
	tests/fuzz/fuzz_smtp_data_replay tests/fuzz/fuzz_milter_proto_replay \
	tests/fuzz/fuzz_milter_util_replay tests/fuzz/fuzz_mime_replay \
	tests/fuzz/fuzz_http_req_replay
check_PROGRAMS += $(CODEC_FUZZ_REPLAY)
TESTS += $(CODEC_FUZZ_REPLAY)
tests_fuzz_fuzz_smtp_cmd_replay_SOURCES = tests/fuzz/fuzz_smtp_cmd.c tests/fuzz/fuzz_smtp_replay.c host/codec/smtp_cmd.c
tests_fuzz_fuzz_smtp_cmd_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"smtp_cmd"'
tests_fuzz_fuzz_smtp_reply_replay_SOURCES = tests/fuzz/fuzz_smtp_reply.c tests/fuzz/fuzz_smtp_replay.c host/codec/smtp_reply.c
tests_fuzz_fuzz_smtp_reply_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"smtp_reply"'
tests_fuzz_fuzz_smtp_data_replay_SOURCES = tests/fuzz/fuzz_smtp_data.c tests/fuzz/fuzz_smtp_replay.c host/codec/smtp_data.c
tests_fuzz_fuzz_smtp_data_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"smtp_data"'
tests_fuzz_fuzz_milter_proto_replay_SOURCES = tests/fuzz/fuzz_milter_proto.c \
	tests/fuzz/fuzz_smtp_replay.c host/codec/milter_proto.c
tests_fuzz_fuzz_milter_proto_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"milter_proto"'
tests_fuzz_fuzz_milter_util_replay_SOURCES = tests/fuzz/fuzz_milter_util.c \
	tests/fuzz/fuzz_smtp_replay.c host/codec/milter_util.c
tests_fuzz_fuzz_milter_util_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"milter_util"'
EXTRA_DIST += tests/fuzz/corpus
tests_fuzz_fuzz_http_req_replay_SOURCES = tests/fuzz/fuzz_http_req.c \
	tests/fuzz/fuzz_smtp_replay.c host/codec/http_req.c
tests_fuzz_fuzz_http_req_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"http_req"'
# the MIME layer: parser, decoders, charsets, HTML, links, header values
FUZZ_MIME_SOURCES = tests/fuzz/fuzz_mime.c $(MIME_CODEC_SOURCES) host/codec/html.c \
	host/codec/url.c host/lib/xmalloc.c host/lib/log.c
tests_fuzz_fuzz_mime_replay_SOURCES = $(FUZZ_MIME_SOURCES) tests/fuzz/fuzz_smtp_replay.c
tests_fuzz_fuzz_mime_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"mime"'
tests_fuzz_fuzz_mime_replay_LDADD = $(MIME_LIBS)
if HAVE_FUZZER
noinst_PROGRAMS += tests/fuzz/fuzz_mime
tests_fuzz_fuzz_mime_SOURCES = $(FUZZ_MIME_SOURCES)
tests_fuzz_fuzz_mime_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_mime_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_mime_LDADD = $(MIME_LIBS)
endif

if HAVE_FUZZER
noinst_PROGRAMS += tests/fuzz/fuzz_smtp_cmd tests/fuzz/fuzz_smtp_reply tests/fuzz/fuzz_smtp_data \
	tests/fuzz/fuzz_milter_proto tests/fuzz/fuzz_milter_util tests/fuzz/fuzz_http_req
tests_fuzz_fuzz_http_req_SOURCES = tests/fuzz/fuzz_http_req.c host/codec/http_req.c
tests_fuzz_fuzz_http_req_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_http_req_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_smtp_cmd_SOURCES = tests/fuzz/fuzz_smtp_cmd.c host/codec/smtp_cmd.c
tests_fuzz_fuzz_smtp_cmd_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_smtp_cmd_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_smtp_reply_SOURCES = tests/fuzz/fuzz_smtp_reply.c host/codec/smtp_reply.c
tests_fuzz_fuzz_smtp_reply_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_smtp_reply_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_smtp_data_SOURCES = tests/fuzz/fuzz_smtp_data.c host/codec/smtp_data.c
tests_fuzz_fuzz_smtp_data_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_smtp_data_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_milter_proto_SOURCES = tests/fuzz/fuzz_milter_proto.c host/codec/milter_proto.c
tests_fuzz_fuzz_milter_proto_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_milter_proto_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_milter_util_SOURCES = tests/fuzz/fuzz_milter_util.c host/codec/milter_util.c
tests_fuzz_fuzz_milter_util_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_milter_util_LDFLAGS = $(FUZZ_LINKFLAGS)
endif

# the PROXY protocol header (v1 and v2): its own block, for the proxy's
# proxy_protocol listeners and upstream_proxy_protocol
libpgcodec_la_SOURCES += host/codec/proxyproto.c host/codec/proxyproto.h
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_proxyproto
TESTS += tests/unit/test_proxyproto
tests_unit_test_proxyproto_SOURCES = tests/unit/test_proxyproto.c host/codec/proxyproto.c
tests_unit_test_proxyproto_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_proxyproto_LDADD = $(CMOCKA_LIBS)
endif
check_PROGRAMS += tests/fuzz/fuzz_proxyproto_replay
TESTS += tests/fuzz/fuzz_proxyproto_replay
tests_fuzz_fuzz_proxyproto_replay_SOURCES = tests/fuzz/fuzz_proxyproto.c \
	tests/fuzz/fuzz_smtp_replay.c host/codec/proxyproto.c
tests_fuzz_fuzz_proxyproto_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"proxyproto"'
if HAVE_FUZZER
noinst_PROGRAMS += tests/fuzz/fuzz_proxyproto
tests_fuzz_fuzz_proxyproto_SOURCES = tests/fuzz/fuzz_proxyproto.c host/codec/proxyproto.c
tests_fuzz_fuzz_proxyproto_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_proxyproto_LDFLAGS = $(FUZZ_LINKFLAGS)
endif

# XFORWARD/XCLIENT attribute lists (the proxy's xforward_from)
libpgcodec_la_SOURCES += host/codec/smtp_xattr.c host/codec/smtp_xattr.h
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_smtp_xattr
TESTS += tests/unit/test_smtp_xattr
tests_unit_test_smtp_xattr_SOURCES = tests/unit/test_smtp_xattr.c host/codec/smtp_xattr.c
tests_unit_test_smtp_xattr_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_smtp_xattr_LDADD = $(CMOCKA_LIBS)
endif
check_PROGRAMS += tests/fuzz/fuzz_smtp_xattr_replay
TESTS += tests/fuzz/fuzz_smtp_xattr_replay
tests_fuzz_fuzz_smtp_xattr_replay_SOURCES = tests/fuzz/fuzz_smtp_xattr.c \
	tests/fuzz/fuzz_smtp_replay.c host/codec/smtp_xattr.c
tests_fuzz_fuzz_smtp_xattr_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"smtp_xattr"'
if HAVE_FUZZER
noinst_PROGRAMS += tests/fuzz/fuzz_smtp_xattr
tests_fuzz_fuzz_smtp_xattr_SOURCES = tests/fuzz/fuzz_smtp_xattr.c host/codec/smtp_xattr.c
tests_fuzz_fuzz_smtp_xattr_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_smtp_xattr_LDFLAGS = $(FUZZ_LINKFLAGS)
endif
