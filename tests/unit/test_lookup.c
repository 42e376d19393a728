/*
 * test_lookup - lookups in the real host (libphasegate): the host table's
 * dns_query/dnsbl_query, timeouts.lookups counted per filter call in the
 * session, the resolver following each configuration's dns section (two
 * generations with different servers alive at once), DNS list return
 * codes, verified client names (FCrDNS), and 120 sessions in fibers parked in a script's lookups at once
 * (more than the Lua pool holds) without blocking a worker.
 */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "chain.h"
#include "config.h"
#include "dnspeer.h"
#include "clock.h"
#include "fiber.h"
#include "host_api.h"
#include "log.h"
#include "lookup.h"
#include "lua_bridge.h"
#include "plugin_load.h"
#include "run.h"
#include "session.h"

static struct dnspeer peer;
static char dir[64];

static int
setup(void **state)
{
	(void)state;
	log_init(LOG_TARGET_STDERR, 0);
	plugin_builtin_add("lua", &lua_bridge_plugin);
	snprintf(dir, sizeof(dir), "/tmp/test_lookup.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	return dnspeer_start(&peer, TOP_SRCDIR, 0);
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	dnspeer_stop(&peer);
	lookup_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* load - a chain over one script, with dns pointed at server */
static struct chain *
load(const char *script, const char *server, const char *extra)
{
	char path[128], conf[2048], err[1024];
	static int n;
	struct config *cfg;
	struct chain *c;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/rules%d.lua", dir, n++);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(script, fp);
	fclose(fp);
	snprintf(conf, sizeof(conf), "filters = { { script = '%s' } }\n"
	    "dns = { servers = { '%s' }, timeout = '500ms', attempts = 1 }\n%s",
	    path, server, extra ? extra : "");
	if ((cfg = config_load_string("test.conf", conf, err, sizeof(err)))
	    == NULL)
		fail_msg("config: %s", err);
	if ((c = chain_load(cfg, err, sizeof(err))) == NULL)
		fail_msg("chain: %s", err);
	return c;
}

static const char budget_script[] =
    "local pg = require 'phasegate'\n"
    "pg.on('connect', function(s)\n"
    "  assert(pg.dns.a('slow-60.bad.test')[1] == '192.0.2.77')\n"
    "  local r, err = pg.dns.a('drop-real.bad.test')\n"
    "  assert(r == nil and err == 'timeout', err)\n"
    "  for i = 1, 20 do\n"
    "    r, err = pg.dns.a('drop-real' .. i .. '.bad.test')\n"
    "    assert(err == 'timeout')\n"
    "  end\n"
    "  return pg.reject('550 5.7.1 spent')\n"
    "end)\n"
    "pg.on('helo', function(s, name)\n"
    "  assert(pg.dns.a('slow-61.bad.test')[1] == '192.0.2.77')\n"
    "  return pg.reject('550 5.7.1 fresh')\n"
    "end)\n";

/*
 * test_budget - 300 ms of lookups per filter call: the connect handler
 * spends it and its later lookups fail at once; the helo call has its own
 */
static void
test_budget(void **state)
{
	struct chain *c = load(budget_script, peer.fake_server,
	    "timeouts = { lookups = '300ms', script = '100ms' }\n");
	struct run *r = run_new(c, "check", "192.0.2.10", 25, NULL);
	struct decision d;
	uint64_t t0, ms;

	(void)state;
	t0 = clock_ms();
	assert_int_equal(run_connect(r, &d), PG_REJECT);
	ms = clock_ms() - t0;
	assert_non_null(strstr(d.reply, "spent"));
	assert_true(ms >= 290 && ms < 1000);
	run_free(r);

	/* a new session, connect accepted by another chain: helo's own budget */
	r = run_new(c, "check", "192.0.2.10", 25, NULL);
	session_lookup_add(run_session(r), 100000);	/* as if a call had spent it all */
	assert_int_equal(run_helo(r, "mx.example", &d), PG_REJECT);
	assert_non_null(strstr(d.reply, "fresh"));
	run_free(r);
	chain_unref(c);
}

/* test_host_table - the members, bad arguments, NULL session, statuses */
static void
test_host_table(void **state)
{
	const struct pg_host *h = host_api();
	struct chain *c = load("local pg = require 'phasegate'\n",
	    peer.fake_server, NULL);
	struct run *r = run_new(c, "check", "192.0.2.10", 25, NULL);
	struct pg_dns_query q[3];
	struct pg_dnsbl_zone z[6];
	static const char *const zones[6] = { "bl.test", "all.test",
	    "wild255.test", "bl6.test", "bad zone", "dbl.test" };
	size_t i;

	(void)state;
	assert_true(PG_SIZE_HAS(h, struct pg_host, dns_strerror));
	memset(q, 0, sizeof(q));
	q[0].name = "example.test";
	q[0].type = PG_DNS_MX;
	q[1].name = "192.0.2.2";
	q[1].type = PG_DNS_PTR;
	q[2].name = "www.good.test";
	q[2].type = 99;		/* not a type we ask */
	assert_int_equal(h->dns_query(run_session(r), q, 3), 0);
	assert_int_equal(q[0].status, PG_DNS_OK);
	assert_int_equal(q[0].nrr, 2);
	assert_int_equal(q[1].status, PG_DNS_OK);
	assert_string_equal(q[1].rr[0].text, "host.good.test");
	assert_int_equal(q[2].status, PG_DNS_BADNAME);
	h->dns_release(q, 3);
	assert_null(q[0].rr);

	/* without a session: the resolver used last, timeouts.lookups' default */
	memset(q, 0, sizeof(q));
	q[0].name = "www.good.test";
	q[0].type = PG_DNS_AAAA;
	assert_int_equal(h->dns_query(NULL, q, 1), 0);
	assert_int_equal(q[0].status, PG_DNS_OK);
	h->dns_release(q, 1);

	memset(z, 0, sizeof(z));
	for (i = 0; i < 6; i++)
		z[i].zone = zones[i];
	assert_int_equal(h->dnsbl_query(run_session(r), "192.0.2.99", z, 6), 0);
	assert_int_equal(z[0].status, PG_DNS_OK);
	assert_int_equal(z[0].ncodes, 1);
	assert_string_equal(z[0].codes[0], "127.0.0.2");
	assert_non_null(strstr(z[0].txt, "192.0.2.99"));
	assert_int_equal(z[1].status, PG_DNS_BADCODE);	/* 127.0.0.1 */
	assert_int_equal(z[2].status, PG_DNS_BADCODE);	/* 127.255.255.254 */
	assert_int_equal(z[3].status, PG_DNS_NXDOMAIN);	/* an IPv4 subject */
	assert_int_equal(z[4].status, PG_DNS_BADNAME);
	assert_int_equal(z[5].status, PG_DNS_NXDOMAIN);
	assert_string_equal(h->dns_strerror(z[1].status), "badcode");
	assert_string_equal(h->dns_strerror(PG_DNS_NXDOMAIN), "nxdomain");
	assert_string_equal(h->dns_strerror(-5), "error");
	h->dnsbl_release(z, 6);

	assert_int_equal(h->dns_query(run_session(r), NULL, 1), -1);
	assert_non_null(strstr(h->last_error(), "no queries"));
	assert_int_equal(h->dns_query(run_session(r), q, PG_DNS_MAX + 1), -1);
	assert_int_equal(h->dnsbl_query(run_session(r), "x", NULL, 2), -1);
	assert_int_equal(h->dns_query(run_session(r), q, 0), 0);
	run_free(r);
	chain_unref(c);
}

static const struct {
	const char	*addr;
	int		 ok;
} codes[] = {
	{ "127.0.0.2", 1 }, { "127.0.1.2", 1 }, { "127.1.0.4", 1 },
	{ "127.255.254.1", 1 }, { "127.0.0.1", 0 }, { "127.0.0.0", 0 },
	{ "127.255.255.252", 0 }, { "127.255.255.254", 0 },
	{ "127.255.255.255", 0 }, { "192.0.2.1", 0 }, { "10.0.0.2", 0 },
	{ "::1", 0 }, { "", 0 }, { "127.0.0.2x", 0 },
};

static void
test_codes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (lookup_code_ok(codes[i].addr) != codes[i].ok)
			fail_msg("%s: want %d", codes[i].addr, codes[i].ok);
	assert_int_equal(lookup_code_ok(NULL), 0);
}

static const struct {
	const char	*addr;
	int		 rc;
	const char	*name, *ptr;
} fcrdns[] = {
	{ "192.0.2.2", 1, "host.good.test", "host.good.test" },
	{ "::ffff:192.0.2.2", 1, "host.good.test", "host.good.test" },
	{ "2001:db8::1", 1, "v6host.good.test", "v6host.good.test" },
	/* its PTR name points elsewhere */
	{ "192.0.2.3", 0, "unknown", "liar.good.test" },
	/* no PTR */
	{ "192.0.2.4", 0, "unknown", "unknown" },
	/* a PTR server that never answers: a temporary failure */
	{ "192.0.2.5", -1, "unknown", "unknown" },
	{ "not an address", 0, "unknown", "unknown" },
};

/* test_fcrdns - the verified client name, and the unverified one */
static void
test_fcrdns(void **state)
{
	const char *servers[1] = { peer.fake_server };
	struct lookup_conf c = { servers, 1, 300, 1 };
	char name[256], ptr[256];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(fcrdns) / sizeof(fcrdns[0]); i++) {
		rc = lookup_fcrdns(&c, fcrdns[i].addr, clock_ms() + 2000,
		    name, sizeof(name), ptr, sizeof(ptr));
		if (rc != fcrdns[i].rc || strcmp(name, fcrdns[i].name) != 0 ||
		    strcmp(ptr, fcrdns[i].ptr) != 0)
			fail_msg("%s: got %d %s %s", fcrdns[i].addr, rc, name, ptr);
	}
	assert_int_equal(lookup_fcrdns(&c, "192.0.2.2", 0, name, sizeof(name),
	    NULL, 0), 1);
}

static const char which_script[] =
    "local pg = require 'phasegate'\n"
    "pg.on('connect', function(s)\n"
    "  local r, err = pg.dns.a('www.good.test')\n"
    "  return pg.reject('550 5.7.1 ' .. (r and r[1] or err))\n"
    "end)\n";

/*
 * test_generations - two configurations with other servers, alive at
 * once: each session asks its own generation's servers
 */
static void
test_generations(void **state)
{
	struct chain *a = load(which_script, peer.fake_server, NULL);
	struct chain *b = load(which_script, peer.rbl_server, NULL);
	struct run *r;
	struct decision d;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		r = run_new(a, "check", "192.0.2.10", 25, NULL);
		assert_int_equal(run_connect(r, &d), PG_REJECT);
		assert_non_null(strstr(d.reply, "192.0.2.80"));
		run_free(r);
		/* rbldnsd serves no good.test: it refuses */
		r = run_new(b, "check", "192.0.2.10", 25, NULL);
		assert_int_equal(run_connect(r, &d), PG_REJECT);
		assert_non_null(strstr(d.reply, "refused"));
		run_free(r);
	}
	chain_unref(a);
	chain_unref(b);
}

static const char fiber_script[] =
    "local pg = require 'phasegate'\n"
    "pg.on('connect', function(s)\n"
    "  local hits, errs = pg.dnsbl(s.client_addr, { 'one.slow.test',\n"
    "    'two.slow.test', 'bl.test' })\n"
    "  assert(errs == nil, 'errors')\n"
    "  return pg.reject('550 5.7.1 hits ' .. #hits)\n"
    "end)\n";

#define NSESS	120

struct sess {
	struct chain	*c;
	int		 verdict;
	char		 reply[128];
	atomic_int	*left;
};

static void
sess_run(void *arg)
{
	struct sess *x = arg;
	struct run *r = run_new(x->c, "smtp", "192.0.2.99", 25,
	    NULL);
	struct decision d;

	x->verdict = run_connect(r, &d);
	snprintf(x->reply, sizeof(x->reply), "%.100s", d.reply);
	run_free(r);
	atomic_fetch_sub(x->left, 1);
}

static int
threads(void)
{
	DIR *dp = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (dp == NULL)
		return -1;
	while ((e = readdir(dp)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(dp);
	return n;
}

/*
 * test_fibers - 120 sessions parked in a script's lookups at once on 2
 * workers: all done in about one lookup's time (300 ms A, 300 ms TXT),
 * no thread added, though only 64 interpreters exist (the others park)
 */
static void
test_fibers(void **state)
{
	static struct sess x[NSESS];
	struct chain *c = load(fiber_script, peer.fake_server, NULL);
	atomic_int left;
	uint64_t t0, ms;
	char err[256];
	int i, before, peak = 0, n;

	(void)state;
	assert_int_equal(fiber_start(2, 256 * 1024, err, sizeof(err)), 0);
	before = threads();
	atomic_init(&left, NSESS);
	t0 = clock_ms();
	for (i = 0; i < NSESS; i++) {
		x[i].c = c;
		x[i].left = &left;
		assert_int_equal(fiber_spawn(sess_run, &x[i]), 0);
	}
	while (atomic_load(&left) > 0 && clock_ms() - t0 < 20000) {
		if ((n = threads()) > peak)
			peak = n;
		usleep(2000);
	}
	ms = clock_ms() - t0;
	assert_int_equal(atomic_load(&left), 0);
	for (i = 0; i < NSESS; i++) {
		assert_int_equal(x[i].verdict, PG_REJECT);
		assert_non_null(strstr(x[i].reply, "hits 3"));
	}
	/* two rounds of the pool (64 interpreters), each ~600 ms */
	assert_true(ms < 2500);
	assert_int_equal(peak, before);
	print_message("120 sessions, 3 zones each, 300 ms per answer: %llu ms, "
	    "%d threads\n", (unsigned long long)ms, peak);
	fiber_stop();
	chain_unref(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_host_table),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_fcrdns),
		cmocka_unit_test(test_generations),
		cmocka_unit_test(test_fibers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
