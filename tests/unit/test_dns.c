/*
 * test_dns - the resolver against real servers on loopback: rbldnsd with
 * the zones of tests/data/dns, and tests/dns/fakedns.py in front of it
 * (AAAA, CNAME, PTR, NS, and a zone whose server drops, delays, answers
 * with the wrong id, truncates, sends malformed or oversized packets and
 * loops CNAMEs). Lookups run outside a fiber (poll) and in fibers of a
 * scheduler started here; every fault gives a status within its deadline.
 */
#include <sys/resource.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dns.h"
#include "dnsname.h"
#include "dnspeer.h"
#include "clock.h"
#include "fiber.h"

static struct dnspeer peer;
static struct dns *fake;	/* through fakedns.py */
static struct dns *rbl;		/* rbldnsd directly */

static struct dns *
resolver(const char *server, unsigned timeout_ms, unsigned attempts,
    size_t cache_max)
{
	const char *servers[1] = { server };
	struct dns_conf c = { servers, 1, timeout_ms, attempts, cache_max };
	char err[256];
	struct dns *d = dns_new(&c, err, sizeof(err));

	if (d == NULL)
		fail_msg("dns_new: %s", err);
	return d;
}

static int
setup(void **state)
{
	(void)state;
	if (dnspeer_start(&peer, TOP_SRCDIR, 0) == -1)
		return -1;
	fake = resolver(peer.fake_server, 500, 2, 0);
	rbl = resolver(peer.rbl_server, 500, 2, 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	dns_free(fake);
	dns_free(rbl);
	dnspeer_stop(&peer);
	return 0;
}

/* one - a single query; the caller releases */
static void
one(struct dns *d, struct dns_query *q, const char *name, int type,
    uint64_t budget_ms)
{
	memset(q, 0, sizeof(*q));
	q->name = name;
	q->type = type;
	assert_int_equal(dns_query(d, q, 1,
	    budget_ms ? clock_ms() + budget_ms : 0), 0);
}

static void
want(struct dns *d, const char *name, int type, int status, const char *first)
{
	struct dns_query q;

	one(d, &q, name, type, 5000);
	if (q.status != status)
		fail_msg("%s type %d: got %s, want %s", name, type,
		    dns_status_name(q.status), dns_status_name(status));
	if (first != NULL) {
		assert_true(q.nrr >= 1);
		assert_string_equal(q.rr[0].text, first);
	}
	dns_release(&q, 1);
}

static void
test_types(void **state)
{
	struct dns_query q;

	(void)state;
	want(fake, "example.test", DNS_T_A, DNS_OK, "192.0.2.1");
	want(fake, "www.good.test", DNS_T_AAAA, DNS_OK, "2001:db8::1");
	want(fake, "txt.example.test", DNS_T_TXT, DNS_OK, "v=spf1 -all");
	want(fake, "good.test", DNS_T_NS, DNS_OK, "ns1.good.test");
	want(fake, "2.2.0.192.in-addr.arpa", DNS_T_PTR, DNS_OK, "host.good.test");
	want(fake, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0."
	    "0.2.ip6.arpa", DNS_T_PTR, DNS_OK, "v6host.good.test");
	/* CNAMEs are followed; the chain's end is what the records belong to */
	want(fake, "alias.good.test", DNS_T_A, DNS_OK, "192.0.2.80");
	want(fake, "Chain.Good.Test.", DNS_T_A, DNS_OK, "192.0.2.80");
	want(fake, "nosuch.example.test", DNS_T_A, DNS_NXDOMAIN, NULL);
	want(fake, "www.good.test", DNS_T_MX, DNS_NODATA, NULL);

	one(fake, &q, "example.test", DNS_T_MX, 5000);
	assert_int_equal(q.status, DNS_OK);
	assert_int_equal(q.nrr, 2);
	assert_true((q.rr[0].pref == 10 && strcmp(q.rr[0].text,
	    "mx1.example.test") == 0) || (q.rr[1].pref == 10 &&
	    strcmp(q.rr[1].text, "mx1.example.test") == 0));
	assert_true(q.rr[0].ttl > 0);
	dns_release(&q, 1);

	one(fake, &q, "multi.example.test", DNS_T_A, 5000);
	assert_int_equal(q.status, DNS_OK);
	assert_int_equal(q.nrr, 2);
	dns_release(&q, 1);
}

static void
test_bad_names(void **state)
{
	static const char *const bad[] = { "", "a..b", "a b", "x/y",
	    "\x01\x02", "ex\xc3\xa4mple.test" };
	struct dns_stats before, after;
	struct dns_query q;
	size_t i;

	(void)state;
	dns_stats(fake, &before);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		one(fake, &q, bad[i], DNS_T_A, 1000);
		assert_int_equal(q.status, DNS_BADNAME);
		dns_release(&q, 1);
	}
	one(fake, &q, "example.test", 99, 1000);	/* a type we do not ask */
	assert_int_equal(q.status, DNS_BADNAME);
	dns_release(&q, 1);
	dns_stats(fake, &after);
	assert_int_equal(after.sent, before.sent);	/* nothing went out */
	assert_int_equal(dns_query(NULL, &q, 1, 0), -1);
	assert_string_equal(dns_status_name(12345), "error");
}

static const struct {
	const char	*name;
	int		 type;
	int		 status;
	const char	*first;
	size_t		 nrr;		/* 0: not checked */
} fault_cases[] = {
	{ "servfail.bad.test", DNS_T_A, DNS_SERVFAIL, NULL, 0 },
	{ "refused.bad.test", DNS_T_A, DNS_REFUSED, NULL, 0 },
	{ "formerr.bad.test", DNS_T_A, DNS_BADRESP, NULL, 0 },
	{ "nx.bad.test", DNS_T_A, DNS_NXDOMAIN, NULL, 0 },
	{ "nodata.bad.test", DNS_T_A, DNS_NODATA, NULL, 0 },
	{ "loop.bad.test", DNS_T_A, DNS_LOOP, NULL, 0 },
	{ "badrr.bad.test", DNS_T_A, DNS_BADRESP, NULL, 0 },
	{ "badptr.bad.test", DNS_T_A, DNS_BADRESP, NULL, 0 },
	/* truncated over UDP: c-ares asks again over TCP and gets all 40 */
	{ "trunc.bad.test", DNS_T_A, DNS_OK, NULL, 40 },
	/* c-ares drops the wrong id and waits for the right one */
	{ "wrongid-then-good.bad.test", DNS_T_A, DNS_OK, "192.0.2.77", 1 },
	/* 200 records in 3 KB over UDP: the first DNS_RR_MAX are kept */
	{ "big.bad.test", DNS_T_A, DNS_OK, "10.0.0.1", DNS_RR_MAX },
	/* 100 TXT records of 200 bytes: as many as DNS_TEXT_MAX holds */
	{ "manytxt.bad.test", DNS_T_TXT, DNS_OK, NULL, 0 },
	{ "nul-txt.bad.test", DNS_T_TXT, DNS_OK, "a?b\001c", 1 },
	{ "slow-100.bad.test", DNS_T_A, DNS_OK, "192.0.2.77", 1 },
};

static void
test_faults(void **state)
{
	struct dns_query q;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fault_cases) / sizeof(fault_cases[0]); i++) {
		one(fake, &q, fault_cases[i].name, fault_cases[i].type, 3000);
		if (q.status != fault_cases[i].status)
			fail_msg("%s: got %s, want %s", fault_cases[i].name,
			    dns_status_name(q.status),
			    dns_status_name(fault_cases[i].status));
		if (fault_cases[i].first != NULL)
			assert_string_equal(q.rr[0].text, fault_cases[i].first);
		if (fault_cases[i].nrr != 0)
			assert_int_equal(q.nrr, fault_cases[i].nrr);
		if (q.status == DNS_OK)
			assert_true(q.nrr >= 1 && q.nrr <= DNS_RR_MAX);
		dns_release(&q, 1);
	}
}

/* test_deadlines - no answer, a late one, a wrong id, a short packet */
static void
test_deadlines(void **state)
{
	static const char *const silent[] = { "drop.bad.test",
	    "slow-2000.bad.test", "wrongid.bad.test", "short.bad.test" };
	struct dns_query q;
	uint64_t t0, took;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(silent) / sizeof(silent[0]); i++) {
		t0 = clock_ms();
		one(fake, &q, silent[i], DNS_T_A, 300);
		took = clock_ms() - t0;
		if (q.status != DNS_TIMEOUT)
			fail_msg("%s: got %s", silent[i], dns_status_name(q.status));
		assert_true(took >= 290 && took < 1000);
		assert_true(q.ms >= 290);
		dns_release(&q, 1);
	}
	/* without a deadline of its own, c-ares' timeout and tries end it */
	t0 = clock_ms();
	one(fake, &q, "drop2.bad.test", DNS_T_A, 0);	/* 2 x 500 ms */
	took = clock_ms() - t0;
	assert_int_equal(q.status, DNS_TIMEOUT);
	assert_true(took >= 900 && took < 2500);
	dns_release(&q, 1);
}

/* test_cache - answers and NXDOMAIN (SOA) cached; TTL 0 and errors not */
static void
test_cache(void **state)
{
	struct dns *d = resolver(peer.fake_server, 500, 1, 0);
	struct dns_query q;
	long n0, n1;

	(void)state;
	n0 = dnspeer_queries(&peer);
	one(d, &q, "mx1.example.test", DNS_T_A, 2000);
	assert_int_equal(q.status, DNS_OK);
	assert_int_equal(q.cached, 0);
	dns_release(&q, 1);
	one(d, &q, "MX1.example.test.", DNS_T_A, 2000);
	assert_int_equal(q.status, DNS_OK);
	assert_int_equal(q.cached, 1);
	assert_int_equal(q.ms, 0);
	assert_string_equal(q.rr[0].text, "192.0.2.25");
	dns_release(&q, 1);
	/* negative answers with an SOA are cached too */
	one(d, &q, "nx.bad.test", DNS_T_A, 2000);
	dns_release(&q, 1);
	one(d, &q, "nx.bad.test", DNS_T_A, 2000);
	assert_int_equal(q.status, DNS_NXDOMAIN);
	assert_int_equal(q.cached, 1);
	dns_release(&q, 1);
	/* SERVFAIL and TTL 0 are asked again */
	one(d, &q, "servfail.bad.test", DNS_T_A, 2000);
	dns_release(&q, 1);
	one(d, &q, "servfail.bad.test", DNS_T_A, 2000);
	assert_int_equal(q.cached, 0);
	dns_release(&q, 1);
	one(d, &q, "ttl0.good.test", DNS_T_A, 2000);
	assert_int_equal(q.status, DNS_OK);
	dns_release(&q, 1);
	one(d, &q, "ttl0.good.test", DNS_T_A, 2000);
	assert_int_equal(q.cached, 0);
	dns_release(&q, 1);
	n1 = dnspeer_queries(&peer);
	/* mx1, nx, servfail x2 (one try each), ttl0 x2, and the stats query */
	assert_int_equal(n1 - n0, 7);
	dns_free(d);
}

/* test_cache_bound - the cache never holds more than cache_max answers */
static void
test_cache_bound(void **state)
{
	struct dns *d = resolver(peer.rbl_server, 500, 2, 50);
	struct dns_query q;
	struct dns_stats st;
	char name[64];
	int i;

	(void)state;
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "%d.0.1.10.bl.test", i);
		one(d, &q, name, DNS_T_A, 2000);
		assert_int_equal(q.status, DNS_OK);
		dns_release(&q, 1);
	}
	dns_stats(d, &st);
	assert_int_equal(st.cached, 50);
	assert_int_equal(st.inflight, 0);
	dns_free(d);
}

/* test_concurrent - one call's queries go out together: one round trip */
static void
test_concurrent(void **state)
{
	struct dns_query q[6];
	const char *names[6] = { "slow-300.bad.test", "slow-301.bad.test",
	    "slow-302.bad.test", "slow-303.bad.test", "slow-304.bad.test",
	    "99.2.0.192.bl.test" };
	uint64_t t0 = clock_ms();
	int i;

	(void)state;
	memset(q, 0, sizeof(q));
	for (i = 0; i < 6; i++) {
		q[i].name = names[i];
		q[i].type = DNS_T_A;
	}
	assert_int_equal(dns_query(fake, q, 6, t0 + 3000), 0);
	assert_true(clock_ms() - t0 < 1000);	/* one after the other: 1.5 s */
	for (i = 0; i < 6; i++)
		assert_int_equal(q[i].status, DNS_OK);
	assert_string_equal(q[5].rr[0].text, "127.0.0.2");
	dns_release(q, 6);
}

/* --- in fibers --- */

struct job {
	struct dns	*d;
	const char	*name;
	uint64_t	 budget;
	int		 status;
	uint64_t	 took;
	atomic_int	*left;
};

static void
job_run(void *arg)
{
	struct job *j = arg;
	struct dns_query q;
	uint64_t t0 = clock_ms();

	memset(&q, 0, sizeof(q));
	q.name = j->name;
	q.type = DNS_T_A;
	(void)dns_query(j->d, &q, 1, t0 + j->budget);
	j->status = q.status;
	j->took = clock_ms() - t0;
	dns_release(&q, 1);
	atomic_fetch_sub(j->left, 1);
}

/* wait_left - until every job is done (or 10 s) */
static void
wait_left(atomic_int *left)
{
	int i;

	for (i = 0; i < 10000 && atomic_load(left) > 0; i++)
		usleep(1000);
	assert_int_equal(atomic_load(left), 0);
}

static int
threads(void)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (dir == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/*
 * test_fibers - 200 fibers each waiting 200 ms for an answer finish in
 * about 200 ms on 2 workers, with no thread added, and leaders that
 * leave at their deadline hand over to the others
 */
#define NJOBS	200
static void
test_fibers(void **state)
{
	static struct job jobs[NJOBS];
	static char names[NJOBS][64];
	atomic_int left;
	uint64_t t0;
	int i, before, ok = 0, timeouts = 0;

	(void)state;
	before = threads();
	atomic_init(&left, NJOBS);
	t0 = clock_ms();
	for (i = 0; i < NJOBS; i++) {
		/* every tenth one gives up early on a server that never answers */
		if (i % 10 == 0) {
			snprintf(names[i], sizeof(names[i]), "drop-%d.bad.test", i);
			jobs[i].budget = 100;
		} else {
			snprintf(names[i], sizeof(names[i]), "slow-%d.bad.test",
			    200 + i % 7);
			jobs[i].budget = 3000;
		}
		jobs[i].d = fake;
		jobs[i].name = names[i];
		jobs[i].left = &left;
		assert_int_equal(fiber_spawn(job_run, &jobs[i]), 0);
	}
	wait_left(&left);
	for (i = 0; i < NJOBS; i++) {
		if (i % 10 == 0) {
			assert_int_equal(jobs[i].status, DNS_TIMEOUT);
			assert_true(jobs[i].took < 400);
			timeouts++;
		} else if (jobs[i].status == DNS_OK)
			ok++;
	}
	assert_int_equal(ok, NJOBS - NJOBS / 10);
	assert_int_equal(timeouts, NJOBS / 10);
	/* python answers 180 slow queries from threads: allow it time */
	assert_true(clock_ms() - t0 < 2500);
	assert_int_equal(threads(), before);
}

struct many {
	struct dns	*d;
	int		 n, answered, errors, listed;
	uint64_t	 took, budget;
	size_t		 max_inflight;
	atomic_int	*left;
};

/* many_run - n distinct lookups one after the other, as a script would */
static void
many_run(void *arg)
{
	struct many *m = arg;
	struct dns_query q;
	struct dns_stats st;
	uint64_t t0 = clock_ms();
	char name[64];
	int i;

	for (i = 0; i < m->n; i++) {
		snprintf(name, sizeof(name), "%d.%d.%d.10.bl.test", i % 250,
		    (i / 250) % 250, 1 + i % 2);
		memset(&q, 0, sizeof(q));
		q.name = name;
		q.type = DNS_T_A;
		(void)dns_query(m->d, &q, 1, t0 + m->budget);
		if (q.status == DNS_OK)
			m->listed++;
		if (q.status == DNS_OK || q.status == DNS_NXDOMAIN)
			m->answered++;
		else
			m->errors++;
		dns_release(&q, 1);
		dns_stats(m->d, &st);
		if (st.inflight > m->max_inflight)
			m->max_inflight = st.inflight;
	}
	m->took = clock_ms() - t0;
	atomic_fetch_sub(m->left, 1);
}

/* test_many - 10,000 distinct lookups in one fiber: bounded, within budget */
static void
test_many(void **state)
{
	struct dns *d = resolver(peer.rbl_server, 500, 2, 1000);
	struct many m;
	struct dns_stats st;
	atomic_int left;

	(void)state;
	memset(&m, 0, sizeof(m));
	atomic_init(&left, 1);
	m.d = d;
	m.n = 10000;
	m.budget = 8000;
	m.left = &left;
	assert_int_equal(fiber_spawn(many_run, &m), 0);
	wait_left(&left);
	assert_int_equal(m.answered + m.errors, 10000);
	assert_true(m.took < m.budget + 200);
	/* every answer, or a timeout once the budget is spent */
	if (m.errors == 0)
		assert_int_equal(m.listed, 5000);	/* 10.1.x.x is listed */
	assert_true(m.max_inflight <= 1);
	dns_stats(d, &st);
	assert_true(st.cached <= 1000);
	assert_true(st.cache_bytes < 1000 * 512);
	dns_free(d);
}

/* test_many_batch - 10,000 queries in one call: a window at a time */
static void
test_many_batch(void **state)
{
	struct dns *d = resolver(peer.rbl_server, 500, 2, 100);
	struct dns_query *q = calloc(10000, sizeof(*q));
	static char names[10000][32];
	uint64_t t0 = clock_ms();
	int i, ok = 0;

	(void)state;
	assert_non_null(q);
	for (i = 0; i < 10000; i++) {
		snprintf(names[i], sizeof(names[i]), "%d.%d.1.10.bl.test",
		    i % 250, i / 250);
		q[i].name = names[i];
		q[i].type = DNS_T_A;
	}
	assert_int_equal(dns_query(d, q, 10000, t0 + 8000), 0);
	for (i = 0; i < 10000; i++)
		if (q[i].status == DNS_OK)
			ok++;
		else
			assert_int_equal(q[i].status, DNS_TIMEOUT);
	assert_true(clock_ms() - t0 < 8500);
	assert_true(ok > 0);
	dns_release(q, 10000);
	free(q);
	dns_free(d);
}

/* test_abandoned - queries left at a deadline are bounded and drain */
static void
test_abandoned(void **state)
{
	struct dns *d = resolver(peer.fake_server, 200, 1, 0);
	struct dns_query q[100];
	struct dns_stats st;
	char names[100][32];
	int i;

	(void)state;
	memset(q, 0, sizeof(q));
	for (i = 0; i < 100; i++) {
		snprintf(names[i], sizeof(names[i]), "drop-a%d.bad.test", i);
		q[i].name = names[i];
		q[i].type = DNS_T_A;
	}
	assert_int_equal(dns_query(d, q, 100, clock_ms() + 50), 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(q[i].status, DNS_TIMEOUT);
	dns_release(q, 100);
	dns_stats(d, &st);
	assert_int_equal(st.inflight, 64);	/* one window went out */
	/* the next caller drives c-ares on: their timeouts end them */
	usleep(300 * 1000);
	one(d, &q[0], "slow-10.bad.test", DNS_T_A, 2000);
	assert_int_equal(q[0].status, DNS_OK);
	dns_release(q, 1);
	dns_stats(d, &st);
	assert_int_equal(st.inflight, 0);
	dns_free(d);	/* with nothing out: nothing leaks (ASan) */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_deadlines),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_cache_bound),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_fibers),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_many_batch),
		cmocka_unit_test(test_abandoned),
	};
	char err[256];
	int rc;

	if (fiber_start(2, 256 * 1024, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	rc = cmocka_run_group_tests(tests, setup, teardown);
	fiber_stop();
	return rc;
}
