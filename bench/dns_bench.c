/*
 * dns_bench - lookups per second at the resolver level: SESSIONS sessions,
 * CONC of them at a time, each doing what a mail session's rules do at
 * connect: a PTR lookup of the client's address, then a DNS list check of
 * it in three zones (three A queries at once).
 *
 *	dns_bench fiber|thread SERVER SESSIONS CONC [WORKERS]
 *
 * fiber: phasegate's way: every session a fiber of the scheduler
 * (WORKERS threads, default one per CPU), lookups through host/lib/dns.c
 * (c-ares driven by the parked callers: no thread per lookup).
 * thread: the thread-per-lookup way (what a blocking getaddrinfo() or
 * res_query() design needs to wait for many answers at once): every
 * session a thread, every lookup a thread doing a blocking UDP query.
 *
 * Prints one line: mode, sessions, concurrency, seconds, sessions/s,
 * lookups/s, peak threads (not counting the sampling thread), peak RSS, RSS per concurrent session and per
 * lookup in flight (peak RSS minus the RSS before, divided).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns.h"
#include "dnsname.h"
#include "clock.h"
#include "fiber.h"

static const char *const zones[3] = { "z1.bench", "z2.bench", "z3.bench" };
static struct dns *d;
static int server_port;
static int nsessions;
static atomic_int next_session, done_sessions, answered, failed;

/* client - the address of session i: 10.x.y.z, distinct */
static void
client(int i, char *buf, size_t len)
{
	snprintf(buf, len, "10.%d.%d.%d", (i >> 16) & 0xff, (i >> 8) & 0xff,
	    i & 0xff);
}

static void
count(int status)
{
	/* REFUSED (rbldnsd has no in-addr.arpa) and NXDOMAIN are answers */
	if (status == DNS_OK || status == DNS_NXDOMAIN || status == DNS_REFUSED)
		atomic_fetch_add(&answered, 1);
	else
		atomic_fetch_add(&failed, 1);
}

/* --- fibers --- */

static void
fiber_session(int i)
{
	char addr[32], ptr[DNSNAME_MAX], names[3][DNSNAME_MAX];
	struct dns_query q[3];
	int k;

	client(i, addr, sizeof(addr));
	(void)dnsname_ptr(addr, ptr, sizeof(ptr));
	memset(q, 0, sizeof(q));
	q[0].name = ptr;
	q[0].type = DNS_T_PTR;
	(void)dns_query(d, q, 1, clock_ms() + 5000);
	count(q[0].status);
	dns_release(q, 1);
	memset(q, 0, sizeof(q));
	for (k = 0; k < 3; k++) {
		(void)dnsname_reverse(addr, zones[k], names[k], sizeof(names[k]));
		q[k].name = names[k];
		q[k].type = DNS_T_A;
	}
	(void)dns_query(d, q, 3, clock_ms() + 5000);
	for (k = 0; k < 3; k++)
		count(q[k].status);
	dns_release(q, 3);
}

static void
fiber_loop(void *arg)
{
	int i;

	(void)arg;
	while ((i = atomic_fetch_add(&next_session, 1)) < nsessions) {
		fiber_session(i);
		atomic_fetch_add(&done_sessions, 1);
	}
}

/* --- threads --- */

/* blocking_query - send one query and wait for its answer (2 s); status */
static int
blocking_query(const char *name, int type)
{
	unsigned char q[512], a[4096];
	struct sockaddr_in sa;
	struct timeval tv = { 2, 0 };
	size_t n = 12;
	const char *p = name, *dot;
	uint16_t id = (uint16_t)random();
	ssize_t r;
	int fd, st = DNS_TIMEOUT;

	memset(q, 0, sizeof(q));
	q[0] = (unsigned char)(id >> 8);
	q[1] = (unsigned char)id;
	q[2] = 1;
	q[5] = 1;
	while (*p != '\0' && n < 400) {
		size_t l = (dot = strchr(p, '.')) ? (size_t)(dot - p) : strlen(p);

		q[n++] = (unsigned char)l;
		memcpy(q + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	q[n++] = 0;
	q[n++] = 0;
	q[n++] = (unsigned char)type;
	q[n++] = 0;
	q[n++] = 1;
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return DNS_ERROR;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)server_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	(void)sendto(fd, q, n, 0, (struct sockaddr *)&sa, sizeof(sa));
	while ((r = recv(fd, a, sizeof(a), 0)) >= 12) {
		if (a[0] != q[0] || a[1] != q[1])
			continue;
		switch (a[3] & 0xf) {
		case 0: st = DNS_OK; break;
		case 3: st = DNS_NXDOMAIN; break;
		case 5: st = DNS_REFUSED; break;
		default: st = DNS_SERVFAIL; break;
		}
		break;
	}
	close(fd);
	return st;
}

struct tq {
	char	 name[DNSNAME_MAX];
	int	 type, status;
};

static void *
lookup_thread(void *arg)
{
	struct tq *t = arg;

	t->status = blocking_query(t->name, t->type);
	return NULL;
}

static void
thread_session(int i)
{
	char addr[32];
	struct tq t[3];
	pthread_t th[3];
	int k;

	client(i, addr, sizeof(addr));
	(void)dnsname_ptr(addr, t[0].name, sizeof(t[0].name));
	t[0].type = DNS_T_PTR;
	pthread_create(&th[0], NULL, lookup_thread, &t[0]);
	pthread_join(th[0], NULL);
	count(t[0].status);
	for (k = 0; k < 3; k++) {
		(void)dnsname_reverse(addr, zones[k], t[k].name, sizeof(t[k].name));
		t[k].type = DNS_T_A;
		pthread_create(&th[k], NULL, lookup_thread, &t[k]);
	}
	for (k = 0; k < 3; k++) {
		pthread_join(th[k], NULL);
		count(t[k].status);
	}
}

static void *
thread_loop(void *arg)
{
	int i;

	(void)arg;
	while ((i = atomic_fetch_add(&next_session, 1)) < nsessions) {
		thread_session(i);
		atomic_fetch_add(&done_sessions, 1);
	}
	return NULL;
}

/* --- measuring --- */

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

/* rss_kb - VmRSS of this process, KiB */
static long
rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static atomic_int sampling = 1, peak_thr;
static atomic_long peak_rss;

/* sampler - peak threads and RSS, every 5 ms, until the run ends */
static void *
sampler(void *arg)
{
	long r;
	int n;

	(void)arg;
	while (atomic_load(&sampling)) {
		if ((n = threads()) > atomic_load(&peak_thr))
			atomic_store(&peak_thr, n);
		if ((r = rss_kb()) > atomic_load(&peak_rss))
			atomic_store(&peak_rss, r);
		usleep(5000);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	const char *servers[1];
	struct dns_conf c;
	char err[256];
	pthread_t *th = NULL, samp;
	int conc, i, fibers;
	long rss0;
	uint64_t t0, ms;

	if (argc < 5) {
		fprintf(stderr, "usage: dns_bench fiber|thread SERVER SESSIONS "
		    "CONC [WORKERS]\n");
		return 2;
	}
	/* a thread per lookup holds a socket per lookup: raise the fd limit */
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	fibers = strcmp(argv[1], "fiber") == 0;
	servers[0] = argv[2];
	server_port = atoi(strchr(argv[2], ':') ? strchr(argv[2], ':') + 1 : "53");
	nsessions = atoi(argv[3]);
	conc = atoi(argv[4]);
	memset(&c, 0, sizeof(c));
	c.servers = servers;
	c.nservers = 1;
	c.timeout_ms = 2000;
	c.attempts = 2;
	if (fibers) {
		if ((d = dns_new(&c, err, sizeof(err))) == NULL ||
		    fiber_start(argc > 5 ? (unsigned)atoi(argv[5]) : 0,
		    64 * 1024, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	}
	rss0 = rss_kb();
	pthread_create(&samp, NULL, sampler, NULL);
	t0 = clock_ms();
	if (fibers) {
		for (i = 0; i < conc; i++)
			fiber_spawn(fiber_loop, NULL);
	} else {
		th = calloc((size_t)conc, sizeof(*th));
		for (i = 0; i < conc; i++)
			pthread_create(&th[i], NULL, thread_loop, NULL);
	}
	while (atomic_load(&done_sessions) < nsessions)
		usleep(1000);
	ms = clock_ms() - t0;
	atomic_store(&sampling, 0);
	pthread_join(samp, NULL);
	if (!fibers)
		for (i = 0; i < conc; i++)
			pthread_join(th[i], NULL);
	printf("%-6s sessions %6d conc %5d  %6.2f s  %8.0f sessions/s  %8.0f "
	    "lookups/s  answered %d failed %d  threads %4d  rss %6.1f MiB  "
	    "%5.1f KiB/session  %4.2f KiB/lookup\n", argv[1], nsessions, conc,
	    ms / 1000.0, nsessions * 1000.0 / (double)ms,
	    4.0 * nsessions * 1000.0 / (double)ms, atomic_load(&answered),
	    atomic_load(&failed), atomic_load(&peak_thr) - 1,
	    atomic_load(&peak_rss) / 1024.0,
	    (double)(atomic_load(&peak_rss) - rss0) / conc,
	    (double)(atomic_load(&peak_rss) - rss0) / (3.0 * conc));
	if (fibers) {
		fiber_stop();
		dns_free(d);
	}
	free(th);
	return 0;
}
