# bench/bench.mk - benchmarks (built by `make bench`, not run by make check)

# lua_bench: in-process cost per message of Lua rules (bench/lua_bench.c)
EXTRA_PROGRAMS = bench/lua_bench bench/relay bench/nullmilter bench/dnsdelay bench/dns_bench \
	bench/mime_bench bench/store_bench bench/smtpload
bench_lua_bench_SOURCES = bench/lua_bench.c $(LUA_TEST_SOURCES)
bench_lua_bench_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit \
	-DTOP_SRCDIR='"$(abs_top_srcdir)"'
bench_lua_bench_LDADD = $(LUA_LIBS) $(PCRE2_LIBS) $(HS_LIBS) $(CARES_LIBS) $(HIREDIS_LIBS) -lm
# the floors beside phasegate in bench/proxy and bench/milter: a proxy that
# only copies bytes (bench/relay.c), a milter that only answers (bench/nullmilter.c)
bench_relay_SOURCES = bench/relay.c
bench_relay_LDADD = $(PTHREAD_LIBS)
bench_nullmilter_SOURCES = bench/nullmilter.c
bench_nullmilter_LDADD = $(PTHREAD_LIBS)
# lookups at the resolver level (bench/lookups): a delaying DNS forwarder,
# and sessions doing a PTR and a DNS list check, as fibers or threads
bench_dnsdelay_SOURCES = bench/dnsdelay.c
bench_dns_bench_SOURCES = bench/dns_bench.c host/lib/dns.c host/lib/dnsmsg.c \
	host/lib/dnsname.c $(FIBER_SOURCES) host/lib/clock.c host/lib/log.c
bench_dns_bench_LDADD = $(CARES_LIBS) $(PTHREAD_LIBS)

# and at the proxy level: SMTP clients with a PROXY header each (bench/smtpload.c)
bench_smtpload_SOURCES = bench/smtpload.c
bench_smtpload_LDADD = $(PTHREAD_LIBS)

.PHONY: bench-lookups
bench-lookups: bench/dnsdelay$(EXEEXT) bench/dns_bench$(EXEEXT) bench/smtpload$(EXEEXT) \
	phasegate$(EXEEXT)
	$(abs_top_srcdir)/bench/lookups $(abs_top_builddir)
# mime_bench: the content rules see (docs/mime.md), with the real core
bench_mime_bench_SOURCES = bench/mime_bench.c
bench_mime_bench_LDADD = libphasegate.la
# store_bench: pg.store calls in-process and against Redis (bench/store)
bench_store_bench_SOURCES = bench/store_bench.c
bench_store_bench_LDADD = libphasegate.la
.PHONY: bench-store
bench-store: bench/store_bench$(EXEEXT) phasegate$(EXEEXT)
	$(abs_top_srcdir)/bench/store $(abs_top_builddir)
# tls_load: the STARTTLS load client of bench/tls (issue 15); built for
# make check too, for its smoke test (tests/bench_tls.sh)
check_PROGRAMS += bench/tls_load
TESTS += tests/bench_tls.sh
bench_tls_load_SOURCES = bench/tls_load.c
bench_tls_load_CFLAGS = $(AM_CFLAGS) $(SSL_CFLAGS)
bench_tls_load_LDADD = $(SSL_LIBS) $(PTHREAD_LIBS)
.PHONY: bench-tls
bench-tls: bench/tls_load$(EXEEXT) phasegate$(EXEEXT)
	$(abs_top_srcdir)/bench/tls $(abs_top_builddir)
EXTRA_DIST += bench/tls bench/README-tls.md tests/bench_tls.sh
CLEANFILES += $(EXTRA_PROGRAMS)

.PHONY: bench bench-lua bench-mime
bench: bench-lua bench-mime
bench-mime: bench/mime_bench$(EXEEXT)
	bench/mime_bench$(EXEEXT) $(abs_top_srcdir)
bench-lua: bench/lua_bench$(EXEEXT)
	bench/lua_bench$(EXEEXT) $(abs_top_srcdir)
EXTRA_DIST += bench/lookups bench/README-lookups.md bench/store docs/fleet.md

