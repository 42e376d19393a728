# host/lib/lib.mk - the base layer: logging, allocation, whole files and
# relative paths, the clock, the fiber scheduler, socket addresses, buffered
# connections, listeners, the regex wrapper, reverse DNS, the resolver (dns:
# c-ares on the scheduler; dnsmsg: answers; dnsname: names).
# Includes only its own folder.

# the fiber scheduler, one module in four files (fiber_int.h)
FIBER_SOURCES = host/lib/fiber.c host/lib/fiber_wait.c host/lib/fiber_monitor.c \
	host/lib/fiber_offload.c
noinst_LTLIBRARIES += libpglib.la
libpglib_la_SOURCES = \
	host/lib/log.c host/lib/log.h \
	host/lib/metrics.c host/lib/metrics.h \
	host/lib/xmalloc.c host/lib/xmalloc.h \
	host/lib/arena.c host/lib/arena.h \
	host/lib/file.c host/lib/file.h \
	host/lib/clock.c host/lib/clock.h \
	host/lib/addr.c host/lib/addr.h \
	host/lib/conn.c host/lib/conn.h \
	host/lib/listen.c host/lib/listen.h \
	host/lib/fiber.c host/lib/fiber.h host/lib/fiber_int.h \
	host/lib/fiber_wait.c host/lib/fiber_monitor.c host/lib/fiber_offload.c \
	host/lib/re.c host/lib/re.h \
	host/lib/dns.c host/lib/dns.h \
	host/lib/dnsmsg.c host/lib/dnsmsg.h \
	host/lib/dnsname.c host/lib/dnsname.h \
	host/lib/redis.c host/lib/redis.h \
	host/lib/map.c host/lib/map.h \
	host/lib/tls.c host/lib/tls.h
libpglib_la_CPPFLAGS = $(LIB_CPPFLAGS)

if HAVE_CMOCKA
LIB_UNIT_TESTS = tests/unit/test_fiber tests/unit/test_re tests/unit/test_addr \
	tests/unit/test_conn tests/unit/test_listen tests/unit/test_dnsname tests/unit/test_dns \
	tests/unit/test_map tests/unit/test_arena
check_PROGRAMS += $(LIB_UNIT_TESTS)
TESTS += $(LIB_UNIT_TESTS)
tests_unit_test_fiber_SOURCES = tests/unit/test_fiber.c $(FIBER_SOURCES) host/lib/clock.c \
	host/lib/log.c
tests_unit_test_fiber_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fiber_LDADD = $(CMOCKA_LIBS)
tests_unit_test_fiber_LDFLAGS = -pthread
tests_unit_test_arena_SOURCES = tests/unit/test_arena.c host/lib/arena.c host/lib/xmalloc.c \
	host/lib/log.c
tests_unit_test_arena_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_arena_LDADD = $(CMOCKA_LIBS)
tests_unit_test_dnsname_SOURCES = tests/unit/test_dnsname.c host/lib/dnsname.c
tests_unit_test_dnsname_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_dnsname_LDADD = $(CMOCKA_LIBS)
# the resolver against rbldnsd and tests/dns/fakedns.py (tests/dns/dnspeer.c)
DNS_TEST_SOURCES = tests/dns/dnspeer.c tests/dns/dnspeer.h host/lib/dns.c \
	host/lib/dnsmsg.c host/lib/dnsname.c $(FIBER_SOURCES) host/lib/clock.c host/lib/log.c
tests_unit_test_dns_SOURCES = tests/unit/test_dns.c $(DNS_TEST_SOURCES)
tests_unit_test_dns_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/dns \
	-DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_dns_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_dns_LDADD = $(CARES_LIBS) $(CMOCKA_LIBS)
tests_unit_test_dns_LDFLAGS = -pthread
tests_unit_test_map_SOURCES = tests/unit/test_map.c host/lib/map.c host/lib/re.c \
	$(FIBER_SOURCES) host/lib/clock.c host/lib/log.c
tests_unit_test_map_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_map_LDADD = $(PCRE2_LIBS) $(HS_LIBS) $(CMOCKA_LIBS)
tests_unit_test_map_LDFLAGS = -pthread
tests_unit_test_re_SOURCES = tests/unit/test_re.c host/lib/re.c host/lib/re.h
tests_unit_test_re_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_re_LDADD = $(PCRE2_LIBS) $(HS_LIBS) $(CMOCKA_LIBS)
tests_unit_test_addr_SOURCES = tests/unit/test_addr.c host/lib/addr.c host/lib/addr.h
tests_unit_test_addr_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_addr_LDADD = $(CMOCKA_LIBS)
tests_unit_test_conn_SOURCES = tests/unit/test_conn.c host/lib/conn.c host/lib/addr.c \
	$(FIBER_SOURCES) host/lib/clock.c host/lib/log.c
tests_unit_test_conn_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_conn_LDADD = $(CMOCKA_LIBS)
tests_unit_test_conn_LDFLAGS = -pthread
tests_unit_test_listen_SOURCES = tests/unit/test_listen.c host/lib/listen.c host/lib/conn.c \
	host/lib/addr.c $(FIBER_SOURCES) host/lib/clock.c host/lib/log.c
tests_unit_test_listen_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_listen_LDADD = $(CMOCKA_LIBS)
tests_unit_test_listen_LDFLAGS = -pthread
endif

# The Hyperscan prefilter changes no result (host/lib/re.c): a differential
# fuzz target, replayed over its corpus by make check, libFuzzer with clang.
check_PROGRAMS += tests/fuzz/fuzz_re_prefilter_replay
TESTS += tests/fuzz/fuzz_re_prefilter_replay
tests_fuzz_fuzz_re_prefilter_replay_SOURCES = tests/fuzz/fuzz_re_prefilter.c \
	tests/fuzz/fuzz_smtp_replay.c host/lib/re.c host/lib/re.h
tests_fuzz_fuzz_re_prefilter_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"re_prefilter"'
tests_fuzz_fuzz_re_prefilter_replay_LDADD = $(PCRE2_LIBS) $(HS_LIBS)
if HAVE_FUZZER
noinst_PROGRAMS += tests/fuzz/fuzz_re_prefilter
tests_fuzz_fuzz_re_prefilter_SOURCES = tests/fuzz/fuzz_re_prefilter.c host/lib/re.c host/lib/re.h
tests_fuzz_fuzz_re_prefilter_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_re_prefilter_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_re_prefilter_LDADD = $(PCRE2_LIBS) $(HS_LIBS)
endif

# sd_notify(3) over $NOTIFY_SOCKET, for serve under systemd (host/lib/notify.c)
libpglib_la_SOURCES += host/lib/notify.c host/lib/notify.h

# The address parser reads the configuration: a fuzz target like the codecs'.
check_PROGRAMS += tests/fuzz/fuzz_addr_replay
TESTS += tests/fuzz/fuzz_addr_replay
tests_fuzz_fuzz_addr_replay_SOURCES = tests/fuzz/fuzz_addr.c tests/fuzz/fuzz_smtp_replay.c \
	host/lib/addr.c host/lib/addr.h
tests_fuzz_fuzz_addr_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"addr"'
if HAVE_FUZZER
noinst_PROGRAMS += tests/fuzz/fuzz_addr
tests_fuzz_fuzz_addr_SOURCES = tests/fuzz/fuzz_addr.c host/lib/addr.c host/lib/addr.h
tests_fuzz_fuzz_addr_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_addr_LDFLAGS = $(FUZZ_LINKFLAGS)
endif

# The DNS answer reader: a fuzz target, replayed over its corpus by make check.
check_PROGRAMS += tests/fuzz/fuzz_dnsmsg_replay
TESTS += tests/fuzz/fuzz_dnsmsg_replay
tests_fuzz_fuzz_dnsmsg_replay_SOURCES = tests/fuzz/fuzz_dnsmsg.c \
	tests/fuzz/fuzz_smtp_replay.c host/lib/dnsmsg.c host/lib/dnsmsg.h
tests_fuzz_fuzz_dnsmsg_replay_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"dnsmsg"'
if HAVE_FUZZER
noinst_PROGRAMS += tests/fuzz/fuzz_dnsmsg
tests_fuzz_fuzz_dnsmsg_SOURCES = tests/fuzz/fuzz_dnsmsg.c host/lib/dnsmsg.c host/lib/dnsmsg.h
tests_fuzz_fuzz_dnsmsg_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_dnsmsg_LDFLAGS = $(FUZZ_LINKFLAGS)
endif
EXTRA_DIST += tests/dns tests/data/dns

# IP network lists (the proxy's xforward_from and proxy_from)
libpglib_la_SOURCES += host/lib/netlist.c host/lib/netlist.h
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_netlist
TESTS += tests/unit/test_netlist
tests_unit_test_netlist_SOURCES = tests/unit/test_netlist.c host/lib/netlist.c \
	host/lib/xmalloc.c host/lib/log.c
tests_unit_test_netlist_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_netlist_LDADD = $(CMOCKA_LIBS)
endif

# TLS under conn (OpenSSL 3): in-process handshakes over socket pairs
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_tls
TESTS += tests/unit/test_tls
tests_unit_test_tls_SOURCES = tests/unit/test_tls.c host/lib/tls.c host/lib/conn.c \
	host/lib/addr.c $(FIBER_SOURCES) host/lib/clock.c host/lib/log.c
tests_unit_test_tls_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_tls_LDADD = $(CMOCKA_LIBS)
tests_unit_test_tls_LDFLAGS = -pthread
endif
