/*
 * test_http_req - http_req_parse(): a table of request heads and what they
 * parse to; every prefix of a good head is HTTP_REQ_MORE; pipelining
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "http_req.h"

static const struct {
	const char		*in;
	enum http_req_status	 st;
	const char		*method, *path;
	int			 minor, keep;
} cases[] = {
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_REQ_OK,
	  "GET", "/metrics", 1, 1 },
	{ "GET /metrics?x=1#f HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
	  HTTP_REQ_OK, "GET", "/metrics", 1, 1 },
	{ "HEAD /health HTTP/1.0\r\n\r\n", HTTP_REQ_OK, "HEAD", "/health", 0, 0 },
	{ "GET /health HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", HTTP_REQ_OK,
	  "GET", "/health", 0, 1 },
	{ "GET / HTTP/1.1\r\nHost: x\r\nConnection: te, close\r\n\r\n",
	  HTTP_REQ_OK, "GET", "/", 1, 0 },
	{ "GET /a HTTP/1.1\nHost: x\n\n", HTTP_REQ_OK, "GET", "/a", 1, 1 },
	{ "\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_REQ_OK,
	  "GET", "/a", 1, 1 },
	{ "GET http://h:9466/metrics?q HTTP/1.1\r\nHost: h\r\n\r\n",
	  HTTP_REQ_OK, "GET", "/metrics", 1, 1 },
	{ "GET http://h HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_REQ_OK, "GET", "/",
	  1, 1 },
	{ "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_REQ_OK, "OPTIONS", "*",
	  1, 1 },
	{ "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", HTTP_REQ_OK,
	  "GET", "/", 1, 1 },
	{ "GET / HTTP/1.1\r\nHost:x\r\nX-8bit: caf\xc3\xa9\t \r\n\r\n",
	  HTTP_REQ_OK, "GET", "/", 1, 1 },
	/* not yet */
	{ "", HTTP_REQ_MORE, NULL, NULL, 0, 0 },
	{ "\r\n", HTTP_REQ_MORE, NULL, NULL, 0, 0 },
	{ "GET / HTTP/1.1\r\nHost: x\r\n", HTTP_REQ_MORE, NULL, NULL, 0, 0 },
	{ "GET / HTTP/1.1\r\nHost: x\r\n\r", HTTP_REQ_MORE, NULL, NULL, 0, 0 },
	/* bad */
	{ "GET / HTTP/1.1\r\n\r\n", HTTP_REQ_ERR_HOST, NULL, NULL, 0, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", HTTP_REQ_ERR_HOST,
	  NULL, NULL, 0, 0 },
	{ "GET / HTTP/2.0\r\n\r\n", HTTP_REQ_ERR_VERSION, NULL, NULL, 0, 0 },
	{ "GET / HTTP/1.2\r\n\r\n", HTTP_REQ_ERR_VERSION, NULL, NULL, 0, 0 },
	{ "GET / http/1.1\r\n\r\n", HTTP_REQ_ERR_SYNTAX, NULL, NULL, 0, 0 },
	{ "GET /\r\n\r\n", HTTP_REQ_ERR_SYNTAX, NULL, NULL, 0, 0 },
	{ "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_REQ_ERR_SYNTAX, NULL, NULL, 0, 0 },
	{ "GET / x HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_REQ_ERR_SYNTAX, NULL, NULL, 0, 0 },
	{ "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_REQ_ERR_SYNTAX, NULL, NULL, 0, 0 },
	{ "GET metrics HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_REQ_ERR_SYNTAX, NULL, NULL, 0, 0 },
	{ "GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_REQ_ERR_SYNTAX, NULL, NULL, 0, 0 },
	{ "GET / HTTP/1.1\r\nHost : x\r\n\r\n", HTTP_REQ_ERR_SYNTAX, NULL, NULL, 0, 0 },
	{ "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", HTTP_REQ_ERR_SYNTAX,
	  NULL, NULL, 0, 0 },
	{ "GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n", HTTP_REQ_ERR_SYNTAX, NULL, NULL, 0, 0 },
	{ "GET / HTTP/1.1\r\nHost: x\x01y\r\n\r\n", HTTP_REQ_ERR_SYNTAX, NULL, NULL, 0, 0 },
	{ "GET / HTTP/1.1\r\nnocolon\r\n\r\n", HTTP_REQ_ERR_SYNTAX, NULL, NULL, 0, 0 },
	{ "GET / HTTP/1.1\r\n: empty\r\n\r\n", HTTP_REQ_ERR_SYNTAX, NULL, NULL, 0, 0 },
	{ "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
	  HTTP_REQ_ERR_BODY, NULL, NULL, 0, 0 },
	{ "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\n",
	  HTTP_REQ_ERR_SYNTAX, NULL, NULL, 0, 0 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
	  HTTP_REQ_ERR_BODY, NULL, NULL, 0, 0 },
	{ "GETTINGMUCHTOOLONG / HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_REQ_ERR_SYNTAX,
	  NULL, NULL, 0, 0 },
};

static void
test_table(void **unused)
{
	struct http_req r;
	size_t i, used;
	enum http_req_status st;

	(void)unused;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		used = 12345;
		st = http_req_parse(cases[i].in, strlen(cases[i].in), NULL, &r,
		    &used);
		if (st != cases[i].st)
			fail_msg("row %zu: status %d, want %d", i, st, cases[i].st);
		if (st != HTTP_REQ_OK)
			continue;
		assert_string_equal(r.method, cases[i].method);
		assert_string_equal(r.path, cases[i].path);
		assert_int_equal(r.minor, cases[i].minor);
		assert_int_equal(r.keep_alive, cases[i].keep);
		assert_true(used <= strlen(cases[i].in));
	}
}

/* every proper prefix of a good head wants more */
static void
test_prefixes(void **unused)
{
	static const char head[] = "GET /metrics HTTP/1.1\r\nHost: a\r\n"
	    "User-Agent: Prometheus/2.45\r\n\r\n";
	struct http_req r;
	size_t n, used;

	(void)unused;
	for (n = 0; n < sizeof(head) - 1; n++)
		assert_int_equal(http_req_parse(head, n, NULL, &r, &used),
		    HTTP_REQ_MORE);
	assert_int_equal(http_req_parse(head, n, NULL, &r, &used), HTTP_REQ_OK);
	assert_int_equal(used, sizeof(head) - 1);
}

/* two requests in one buffer: the first, then the rest */
static void
test_pipelined(void **unused)
{
	static const char two[] = "GET /health HTTP/1.1\r\nHost: a\r\n\r\n"
	    "GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	struct http_req r;
	size_t used, used2;

	(void)unused;
	assert_int_equal(http_req_parse(two, sizeof(two) - 1, NULL, &r, &used),
	    HTTP_REQ_OK);
	assert_string_equal(r.path, "/health");
	assert_int_equal(http_req_parse(two + used, sizeof(two) - 1 - used,
	    NULL, &r, &used2), HTTP_REQ_OK);
	assert_string_equal(r.path, "/metrics");
	assert_int_equal(r.keep_alive, 0);
	assert_int_equal(used + used2, sizeof(two) - 1);
}

/* the limits: head size, field count, target length */
static void
test_limits(void **unused)
{
	struct http_req_limits lim = { 64, 2 };
	char big[2048];
	struct http_req r;
	size_t used;
	int n;

	(void)unused;
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	assert_int_equal(http_req_parse(big, 63, &lim, &r, &used), HTTP_REQ_MORE);
	assert_int_equal(http_req_parse(big, 64, &lim, &r, &used),
	    HTTP_REQ_ERR_TOOLARGE);
	assert_int_equal(http_req_parse(big, sizeof(big), &lim, &r, &used),
	    HTTP_REQ_ERR_TOOLARGE);
	n = snprintf(big, sizeof(big), "GET / HTTP/1.1\nHost: x\nA: 1\nB: 2\n\n");
	assert_int_equal(http_req_parse(big, (size_t)n, &lim, &r, &used),
	    HTTP_REQ_ERR_TOOLARGE);
	lim.fields_max = 3;
	assert_int_equal(http_req_parse(big, (size_t)n, &lim, &r, &used),
	    HTTP_REQ_OK);
	n = snprintf(big, sizeof(big), "GET /%0600d HTTP/1.1\nHost: x\n\n", 0);
	assert_int_equal(http_req_parse(big, (size_t)n, NULL, &r, &used),
	    HTTP_REQ_ERR_TARGET);
	assert_int_equal(http_req_status_code(HTTP_REQ_ERR_TARGET), 414);
	assert_int_equal(http_req_status_code(HTTP_REQ_ERR_TOOLARGE), 431);
	assert_int_equal(http_req_status_code(HTTP_REQ_ERR_VERSION), 505);
	assert_int_equal(http_req_status_code(HTTP_REQ_ERR_HOST), 400);
	/* a NUL in the head */
	assert_int_equal(http_req_parse("GET / HTTP/1.0\r\nA: \0\r\n\r\n", 24,
	    NULL, &r, &used), HTTP_REQ_ERR_SYNTAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
