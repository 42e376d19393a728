/*
 * test_metrics - per-thread counters summed on read: counts from many
 * threads add up exactly, named series merge across threads, histograms
 * are cumulative, labels are escaped, a full table counts what it drops
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "metrics.h"

#define THREADS	4
#define PER	10000

/* value - the value of the sample line that starts with series, or -1 */
static long long
value(const char *text, const char *series)
{
	const char *p = text;
	size_t n = strlen(series);

	while ((p = strstr(p, series)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return atoll(p + n + 1);
		p += n;
	}
	return -1;
}

static long long
scrape(const char *series)
{
	size_t len;
	char *m = metrics_render(&len);
	long long v;

	assert_non_null(m);
	assert_int_equal(strlen(m), len);
	v = value(m, series);
	free(m);
	return v;
}

static void *
worker(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < PER; i++) {
		metrics_session_open(METRICS_FE_SMTP);
		metrics_message(METRICS_FE_SMTP, i % 2 ? METRICS_R_REJECT :
		    METRICS_R_ACCEPT, 700, 100);
		metrics_count(METRICS_SYMBOL, "SYM_A", NULL, 1);
		metrics_count(METRICS_VERDICT, "rules.lua", "reject", 2);
		metrics_observe(METRICS_FILTER_TIME, "rules.lua", 3000);
		metrics_session_close(METRICS_FE_SMTP);
	}
	return NULL;
}

/* many threads: the sums are exact */
static void
test_threads(void **unused)
{
	pthread_t t[THREADS];
	int i;

	(void)unused;
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, NULL), 0);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(scrape("phasegate_sessions_total{frontend=\"smtp\"}"),
	    THREADS * PER);
	assert_int_equal(scrape("phasegate_sessions_open{frontend=\"smtp\"}"), 0);
	assert_int_equal(scrape("phasegate_messages_total{frontend=\"smtp\","
	    "result=\"accept\"}"), THREADS * PER / 2);
	assert_int_equal(scrape("phasegate_messages_total{frontend=\"smtp\","
	    "result=\"reject\"}"), THREADS * PER / 2);
	assert_int_equal(scrape("phasegate_messages_total{frontend=\"milter\","
	    "result=\"accept\"}"), 0);
	assert_int_equal(scrape("phasegate_message_bytes_total{frontend=\"smtp\"}"),
	    THREADS * PER * 100LL);
	assert_int_equal(scrape("phasegate_symbols_total{symbol=\"SYM_A\"}"),
	    THREADS * PER);
	assert_int_equal(scrape("phasegate_filter_verdicts_total{filter="
	    "\"rules.lua\",verdict=\"reject\"}"), 2 * THREADS * PER);
	/* 700 us: not in the 0.5 ms bucket, in the 1 ms one and above */
	assert_int_equal(scrape("phasegate_message_filter_duration_seconds_bucket"
	    "{frontend=\"smtp\",le=\"0.0005\"}"), 0);
	assert_int_equal(scrape("phasegate_message_filter_duration_seconds_bucket"
	    "{frontend=\"smtp\",le=\"0.001\"}"), THREADS * PER);
	assert_int_equal(scrape("phasegate_message_filter_duration_seconds_bucket"
	    "{frontend=\"smtp\",le=\"+Inf\"}"), THREADS * PER);
	assert_int_equal(scrape("phasegate_message_filter_duration_seconds_count"
	    "{frontend=\"smtp\"}"), THREADS * PER);
	assert_int_equal(scrape("phasegate_filter_duration_seconds_bucket"
	    "{filter=\"rules.lua\",le=\"0.0025\"}"), 0);
	assert_int_equal(scrape("phasegate_filter_duration_seconds_bucket"
	    "{filter=\"rules.lua\",le=\"0.005\"}"), THREADS * PER);
	assert_int_equal(scrape("phasegate_filter_duration_seconds_count"
	    "{filter=\"rules.lua\"}"), THREADS * PER);
}

/* labels are escaped; reloads; front end names */
static void
test_labels(void **unused)
{
	(void)unused;
	metrics_count(METRICS_FILTER_ERROR, "we\"ird\\name\n", "eom", 1);
	assert_int_equal(scrape("phasegate_filter_errors_total{filter="
	    "\"we\\\"ird\\\\name\\n\",phase=\"eom\"}"), 1);
	metrics_reload(1);
	metrics_reload(0);
	metrics_reload(1);
	assert_int_equal(scrape("phasegate_reloads_total{result=\"ok\"}"), 2);
	assert_int_equal(scrape("phasegate_reloads_total{result=\"failed\"}"), 1);
	assert_int_equal(metrics_fe_of("milter"), METRICS_FE_MILTER);
	assert_int_equal(metrics_fe_of("smtp"), METRICS_FE_SMTP);
	assert_int_equal(metrics_fe_of("check"), METRICS_FE_CHECK);
	assert_string_equal(metrics_result_name(METRICS_R_DISCARD), "discard");
}

/* past METRICS_KEYS names in one thread: counted as dropped */
static void
test_full(void **unused)
{
	char name[32];
	long long before = scrape("phasegate_metrics_dropped_total");
	int i;

	(void)unused;
	for (i = 0; i < METRICS_KEYS + 10; i++) {
		snprintf(name, sizeof(name), "S%d", i);
		metrics_count(METRICS_SYMBOL, name, NULL, 1);
	}
	assert_true(scrape("phasegate_metrics_dropped_total") - before >= 10);
	assert_int_equal(scrape("phasegate_symbols_total{symbol=\"S0\"}"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
