/*
 * metrics - the daemon's counters and histograms (DESIGN section 12), kept
 * per thread and summed when read
 *
 * Every thread that counts gets its own shard at its first count (one
 * allocation, linked into a list that lives as long as the process): a
 * count is a load and a store in memory no other thread writes, no lock
 * and no shared cache line. metrics_render() walks the shards and sums
 * them into the Prometheus text format (version 0.0.4).
 *
 * Fixed series (sessions, messages by front end and result, reloads) are
 * arrays; series with a name in their labels (filters, symbols, lookups)
 * live in a shard's table of METRICS_KEYS entries; past that a shard
 * counts what it cannot keep in phasegate_metrics_dropped_total instead.
 * Label values longer than METRICS_LABEL_MAX - 1 bytes are cut.
 *
 * Nothing here logs or fails: a thread that cannot get its shard (no
 * memory) does not count (and the next count tries again). In host/lib so
 * that every layer can count (the engine, the front ends, lua/'s pg.store);
 * the names of the series are the daemon's, all in metrics.c.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_KEYS		512	/* named series per thread */
#define METRICS_LABEL_MAX	132	/* a symbol is at most 128 bytes */

enum metrics_fe {
	METRICS_FE_SMTP = 0,
	METRICS_FE_MILTER,
	METRICS_FE_CHECK,
	METRICS_FE_N
};

enum metrics_result {
	METRICS_R_ACCEPT = 0,	/* passed: delivered or accepted */
	METRICS_R_REJECT,
	METRICS_R_TEMPFAIL,
	METRICS_R_DISCARD,
	METRICS_R_N
};

/* the named series */
enum metrics_family {
	METRICS_VERDICT = 0,	/* filter, verdict: a filter's deciding verdict */
	METRICS_SYMBOL,		/* symbol: a symbol hit in a message */
	METRICS_FILTER_ERROR,	/* filter, phase: the filter failed */
	METRICS_FILTER_TIMEOUT,	/* filter, phase: the filter ran out of time */
	METRICS_FILTER_TIME,	/* filter: one call, histogram */
	METRICS_LOOKUP,		/* kind, status: one DNS query or DNS list zone */
	METRICS_STORE,		/* op, result: one pg.store call */
	METRICS_NFAMILIES
};

/* metrics_fe_of - "smtp", "milter", "check": the index (check for others) */
enum metrics_fe	 metrics_fe_of(const char *frontend);
/* metrics_result_name - "accept", "reject", "tempfail", "discard" */
const char	*metrics_result_name(enum metrics_result);

void		 metrics_session_open(enum metrics_fe);
void		 metrics_session_close(enum metrics_fe);
/*
 * metrics_message - a message's end: its result, the time its filters
 * took (microseconds; a histogram by front end) and its size in bytes
 */
void		 metrics_message(enum metrics_fe, enum metrics_result,
		    uint64_t filter_us, uint64_t size);
/* metrics_reload - a SIGHUP reload that worked (ok 1) or did not */
void		 metrics_reload(int ok);
/* metrics_count - n more in family fam's series (l1, l2); l2 NULL when it has one label */
void		 metrics_count(enum metrics_family fam, const char *l1,
		    const char *l2, uint64_t n);
/* metrics_observe - one observation of us microseconds in a histogram family */
void		 metrics_observe(enum metrics_family fam, const char *l1,
		    uint64_t us);
/*
 * metrics_render - every series, summed over the threads, in the
 * Prometheus text format: a string the caller frees, its length in *len;
 * NULL when out of memory
 */
char		*metrics_render(size_t *len);

#endif /* METRICS_H */
