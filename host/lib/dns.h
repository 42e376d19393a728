/*
 * dns - an asynchronous stub resolver on the fiber scheduler (c-ares),
 * with an answer cache shared by every session
 *
 * A fiber that asks parks until its answers are in or its deadline
 * passes; no worker thread blocks on DNS and no thread is spent per
 * lookup. Several queries of one call go out at once (a DNSBL check asks
 * every zone in one round trip). Outside a fiber (`phasegate check`,
 * tests) the caller waits in poll() instead, with the same results.
 *
 * Servers come from /etc/resolv.conf or the configuration; UDP, and TCP
 * when an answer comes back truncated (c-ares does both). Answers are
 * cached within their TTL (at most DNS_TTL_MAX), NXDOMAIN and NODATA
 * within the SOA's negative TTL (RFC 2308; none without an SOA), in a
 * bounded LRU table.
 *
 * Results: each query gets a status and, for DNS_OK, its records as text
 * (addresses in their usual form, names without the final dot, TXT
 * strings of one record joined). They point into a shared, immutable,
 * refcounted answer: valid until dns_release() of that query.
 */
#ifndef DNS_H
#define DNS_H

#include <stddef.h>
#include <stdint.h>

#define DNS_RR_MAX		64	/* records of one answer kept */
#define DNS_TEXT_MAX		(16 * 1024)	/* bytes of text of one answer kept */
#define DNS_WINDOW		64	/* queries of one call in flight at once */
#define DNS_INFLIGHT_MAX	4096	/* queries in flight, all callers */
#define DNS_CACHE_DEFAULT	10000	/* answers cached */
#define DNS_CACHE_BYTES		(8 * 1024 * 1024)
#define DNS_TTL_MAX		86400	/* s */
#define DNS_NEG_TTL_MAX		3600	/* s */
#define DNS_CNAME_MAX		16	/* CNAMEs followed in one answer */

/* Record types that can be asked. */
enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_PTR = 12,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28
};

/* The outcome of one query; dns_status_name() gives the word scripts see. */
enum dns_status {
	DNS_OK = 0,
	DNS_NXDOMAIN,		/* "nxdomain": no such name */
	DNS_NODATA,		/* "nodata": the name has no record of this type */
	DNS_TIMEOUT,		/* "timeout": no answer in time (or the caller's deadline) */
	DNS_SERVFAIL,		/* "servfail" */
	DNS_REFUSED,		/* "refused" */
	DNS_BADRESP,		/* "badresp": a malformed answer, or FORMERR */
	DNS_LOOP,		/* "loop": a CNAME chain too long or looping */
	DNS_BADNAME,		/* "badname": not a name we ask for (dnsname_valid()) */
	DNS_NOMEM,		/* "nomem" */
	DNS_BUSY,		/* "busy": DNS_INFLIGHT_MAX queries in flight already */
	DNS_UNREACH,		/* "unreachable": no server could be reached */
	DNS_ERROR,		/* "error": anything else */
	DNS_NSTATUS
};

struct dns_conf {
	const char *const *servers;	/* "192.0.2.1", "192.0.2.1:5353", "[::1]:53"; NULL: resolv.conf */
	size_t		 nservers;
	unsigned	 timeout_ms;	/* per try; 0: 2000 */
	unsigned	 attempts;	/* tries per server; 0: 2 */
	size_t		 cache_max;	/* answers; 0: DNS_CACHE_DEFAULT */
};

struct dns_rr {
	const char	*text;	/* address, host name, or a TXT record's strings joined */
	uint32_t	 pref;	/* MX preference; 0 otherwise */
	uint32_t	 ttl;	/* as received */
};

struct dns_answer;

struct dns_query {
	/* in */
	const char	*name;	/* as asked; for PTR the reversed name (dnsname_ptr()) */
	int		 type;	/* enum dns_type */
	/* out: valid until dns_release() */
	int		 status;	/* enum dns_status */
	const struct dns_rr *rr;	/* DNS_OK: nrr >= 1 records */
	size_t		 nrr;
	uint32_t	 ms;	/* how long the caller waited for it */
	int		 cached;	/* answered from the cache */
	/* private */
	struct dns_answer *ans;
	uint64_t	 start;
};

struct dns_stats {
	size_t		 inflight;	/* queries out now (abandoned ones too) */
	size_t		 cached;	/* answers in the cache */
	size_t		 cache_bytes;
	uint64_t	 sent;		/* queries handed to c-ares */
	uint64_t	 hits;		/* answered from the cache */
};

/*
 * dns_new - a resolver. NULL with a reason in err: a bad server, no
 * memory, or c-ares failing to start (no resolv.conf is not a failure:
 * c-ares then asks 127.0.0.1).
 */
struct dns	*dns_new(const struct dns_conf *, char *err, size_t errlen);
/* dns_free - no dns_query() may be running; NULL is fine */
void		 dns_free(struct dns *);

/*
 * dns_query - ask q[0..n-1] at once and wait (park the fiber, or poll
 * outside one) until every one has its answer or deadline_ms
 * (clock_ms() time; 0: as long as the resolver's own timeouts and
 * attempts take) has passed. Every query gets a status: the ones still
 * out at the deadline get DNS_TIMEOUT (their answers, when they come,
 * still go into the cache). With a deadline passed already, queries are
 * answered from the cache or get DNS_TIMEOUT at once, and nothing is
 * sent. Returns 0, or -1 with errno EINVAL for a
 * NULL resolver or array. Call dns_release(q, n) after, whatever the
 * statuses. From any number of fibers and threads at once.
 */
int		 dns_query(struct dns *, struct dns_query *q, size_t n,
		    uint64_t deadline_ms);
void		 dns_release(struct dns_query *q, size_t n);

/* dns_status_name - "nxdomain", "timeout", ...; "error" for an unknown one */
const char	*dns_status_name(int status);

void		 dns_stats(struct dns *, struct dns_stats *);

#endif /* DNS_H */
