/*
 * store_bench - the cost of pg.store calls, in-process and against a
 * Redis server, in one run (bench/store runs it with a private
 * redis-server; see docs/fleet.md for the figures).
 *
 * usage: store_bench [REDIS-ADDRESS [N]]
 *
 * Rows: incr with a ttl (the rate limit: one call per message), and the
 * store calls the greylisting example makes per recipient: a known
 * triplet (get allow, get triplet: 2 calls) and a new one (get, get, set).
 * Sequential, one caller: the figure is the latency of a call (for Redis,
 * one round trip on loopback); many sessions overlap their waits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "store.h"
#include "store_redis.h"

#define K(s)	s, strlen(s)

static double
run_incr(int n)
{
	uint64_t t0 = clock_ms();
	int64_t r;
	int i;

	for (i = 0; i < n; i++)
		if (store_incr(K("bench:rate:192.0.2.1"), 1, 60, &r) == -1) {
			perror("incr");
			exit(1);
		}
	return (double)(clock_ms() - t0) * 1000.0 / n;
}

static double
run_grey(int n, int known)
{
	struct pg_store_value v, sv;
	char key[64];
	uint64_t t0 = clock_ms();
	int i;

	memset(&sv, 0, sizeof(sv));
	sv.type = PG_STORE_INT;
	sv.i = 1700000000;
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "bench:gl:192.0.2.0/24|a@b|r%d",
		    known ? 0 : i);
		if (store_get(K("bench:gl:allow:192.0.2.0/24"), &v) == -1 ||
		    store_get(K(key), &v) == -1 ||
		    (!known && store_set(K(key), &sv, 60) == -1)) {
			perror("greylist");
			exit(1);
		}
		free(v.s);
	}
	return (double)(clock_ms() - t0) * 1000.0 / n;
}

static void
row(const char *name, int n)
{
	double incr = run_incr(n), known = run_grey(n, 1), fresh = run_grey(n, 0);

	printf("%-10s %12.2f %18.2f %16.2f\n", name, incr, known, fresh);
}

int
main(int argc, char **argv)
{
	struct store_redis_opts o;
	struct store_redis *sr;
	int n = argc > 2 ? atoi(argv[2]) : 20000;
	char err[256];

	printf("%-10s %12s %18s %16s   (microseconds per call or per recipient, %d each)\n",
	    "backend", "incr+ttl", "greylist known", "greylist new", n);
	store_use(NULL);
	row("memory", n);
	if (argc < 2)
		return 0;
	memset(&o, 0, sizeof(o));
	o.server = argv[1];
	o.prefix = "";
	o.timeout_ms = 2000;
	o.pool = 4;
	if ((sr = store_redis_new(&o, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	store_use(store_redis_backend(sr));
	row("redis", n);
	return 0;
}
