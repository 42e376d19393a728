/*
 * stats_front - GET /metrics and GET /health over HTTP/1.1 (stats_front.h)
 *
 * Public: stats_front_new(), stats_front_start(), stats_front_stop(),
 * stats_front_free().
 *
 * Each connection is a fiber: read until http_req_parse() has a head
 * (STATS_FRONT_REQUEST_MS for a head once it has begun,
 * STATS_FRONT_IDLE_MS between requests), answer it, and go on while the
 * request allows keep-alive. A request the codec refuses is answered with
 * its status (400, 414, 431, 505) and the connection closed. Only GET and
 * HEAD are served (405 with Allow: for others); an unknown path is a 404.
 * The body of /metrics is built by metrics_render() (the per-thread
 * counters summed at that moment) plus the process's own gauges here.
 *
 * Input is untrusted (anyone who can reach the address): nothing from a
 * request is echoed or logged but the status code. Failures end the
 * connection, never the daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "clock.h"
#include "conn.h"
#include "fiber.h"
#include "http_req.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "stats_front.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define SF_READ		(16 * 1024)	/* more than HTTP_REQ_HEAD_MAX */
#define SF_WRITE	(64 * 1024)

struct stats_front {
	struct listener	*l;
	char		*spec;
	time_t		 started;
};

/* reason - the reason phrase of the statuses we send */
static const char *
reason(int code)
{
	switch (code) {
	case 200:	return "OK";
	case 400:	return "Bad Request";
	case 404:	return "Not Found";
	case 405:	return "Method Not Allowed";
	case 414:	return "URI Too Long";
	case 431:	return "Request Header Fields Too Large";
	case 500:	return "Internal Server Error";
	case 505:	return "HTTP Version Not Supported";
	default:	return "Error";
	}
}

/*
 * respond - one response: status, the fields, the body (not for HEAD);
 * 0, or -1 when it could not be sent
 */
static int
respond(struct conn *c, int code, const char *type, const char *body,
    size_t len, int head_only, int keep)
{
	uint64_t dl = clock_deadline(STATS_FRONT_REQUEST_MS);

	if (conn_printf(c, dl, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n%s%s\r\n",
	    code, reason(code), type, len, code == 405 ?
	    "Allow: GET, HEAD\r\n" : "", keep ? "" :
	    "Connection: close\r\n") != CONN_OK)
		return -1;
	if (!head_only && len > 0 && conn_write(c, body, len, dl) != CONN_OK)
		return -1;
	return conn_flush(c, dl) == CONN_OK ? 0 : -1;
}

/* process_gauges - what the process says of itself, after the counters */
static char *
with_process(const struct stats_front *sf, char *m, size_t *len)
{
	char tail[1024];
	char *p;
	int n;

	n = snprintf(tail, sizeof(tail),
	    "# HELP phasegate_build_info The running version.\n"
	    "# TYPE phasegate_build_info gauge\n"
	    "phasegate_build_info{version=\"%s\"} 1\n"
	    "# HELP phasegate_start_time_seconds When the process started "
	    "(Unix time).\n"
	    "# TYPE phasegate_start_time_seconds gauge\n"
	    "phasegate_start_time_seconds %lld\n"
	    "# HELP phasegate_fibers Fibers running (sessions, listeners).\n"
	    "# TYPE phasegate_fibers gauge\n"
	    "phasegate_fibers %zu\n",
	    PACKAGE_VERSION, (long long)sf->started, fiber_count());
	if (n < 0 || (size_t)n >= sizeof(tail) ||
	    (p = realloc(m, *len + (size_t)n + 1)) == NULL)
		return m;
	memcpy(p + *len, tail, (size_t)n + 1);
	*len += (size_t)n;
	return p;
}

/* serve_one - answer one request; 0 to go on, -1 to close */
static int
serve_one(struct stats_front *sf, struct conn *c, const struct http_req *r)
{
	static const char text[] = "text/plain; charset=utf-8";
	int head = strcmp(r->method, "HEAD") == 0, rc;
	size_t len = 0;
	char *m;

	if (strcmp(r->path, "/metrics") != 0 && strcmp(r->path, "/health") != 0)
		return respond(c, 404, text, "not found\n", 10, head,
		    r->keep_alive) == -1 || !r->keep_alive ? -1 : 0;
	if (!head && strcmp(r->method, "GET") != 0)
		return respond(c, 405, text, "GET or HEAD\n", 12, 0,
		    r->keep_alive) == -1 || !r->keep_alive ? -1 : 0;
	if (strcmp(r->path, "/health") == 0)
		return respond(c, 200, text, "ok\n", 3, head, r->keep_alive) ==
		    -1 || !r->keep_alive ? -1 : 0;
	if ((m = metrics_render(&len)) == NULL) {
		(void)respond(c, 500, text, "out of memory\n", 14, head, 0);
		return -1;
	}
	m = with_process(sf, m, &len);
	rc = respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", m, len,
	    head, r->keep_alive);
	free(m);
	return rc == -1 || !r->keep_alive ? -1 : 0;
}

/* next_request - wait for a whole head; its status (MORE: the peer went) */
static enum http_req_status
next_request(struct conn *c, struct http_req *r, size_t *used)
{
	enum http_req_status st;
	const char *p;
	uint64_t dl = 0;
	size_t len;

	for (;;) {
		p = conn_data(c, &len);
		if ((st = http_req_parse(p, len, NULL, r, used)) != HTTP_REQ_MORE)
			return st;
		if (len > 0 && dl == 0)
			dl = clock_deadline(STATS_FRONT_REQUEST_MS);
		if (conn_fill(c, len == 0 ? clock_deadline(STATS_FRONT_IDLE_MS) :
		    dl, len == 0 ? CONN_IDLE : 0) != CONN_OK)
			return HTTP_REQ_MORE;
	}
}

/* session - one connection: requests until close, error or stop */
static void
session(void *arg, int fd, const struct sockaddr *peer, socklen_t peerlen,
    const struct conn_stop *stop)
{
	struct stats_front *sf = arg;
	enum http_req_status st;
	struct http_req r;
	struct conn *c;
	size_t used;

	(void)peer;
	(void)peerlen;
	if ((c = conn_new(fd, SF_READ, SF_WRITE)) == NULL) {
		close(fd);
		return;
	}
	conn_set_stop(c, stop);
	for (;;) {
		if ((st = next_request(c, &r, &used)) == HTTP_REQ_MORE)
			break;
		if (st != HTTP_REQ_OK) {
			log_debug("stats: bad request: %d",
			    http_req_status_code(st));
			(void)respond(c, http_req_status_code(st),
			    "text/plain; charset=utf-8", "bad request\n", 12,
			    0, 0);
			break;
		}
		conn_consume(c, used);
		if (serve_one(sf, c, &r) == -1)
			break;
	}
	conn_free(c);
}

struct stats_front *
stats_front_new(const char *spec, char *err, size_t errlen)
{
	struct stats_front *sf;
	struct listen_opts o;
	struct addr a;
	char why[256];

	if (addr_parse(spec, 0, &a, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "stats listen \"%s\": %s", spec, why);
		return NULL;
	}
	if ((sf = calloc(1, sizeof(*sf))) == NULL ||
	    (sf->spec = strdup(spec)) == NULL) {
		snprintf(err, errlen, "stats: %s", strerror(ENOMEM));
		free(sf);
		return NULL;
	}
	sf->started = time(NULL);
	memset(&o, 0, sizeof(o));
	o.session = session;
	o.arg = sf;
	o.max_sessions = STATS_FRONT_MAX_SESSIONS;
	o.fds_per_session = 1;
	if ((sf->l = listen_open(&a, &o, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "stats listen \"%s\": %s", spec, why);
		free(sf->spec);
		free(sf);
		return NULL;
	}
	return sf;
}

int
stats_front_start(struct stats_front *sf)
{
	if (listen_start(sf->l) == -1)
		return -1;
	log_info("stats: listening on %s (GET /metrics, /health)", sf->spec);
	return 0;
}

void
stats_front_stop(struct stats_front *sf)
{
	if (sf == NULL)
		return;
	listen_stop_begin(sf->l, 0);
}

void
stats_front_free(struct stats_front *sf)
{
	if (sf == NULL)
		return;
	listen_stop(sf->l, 0);
	if (listen_sessions(sf->l) > 0) {
		log_warnx("stats: %zu connections still busy at stop",
		    listen_sessions(sf->l));
		return;
	}
	listen_free(sf->l);
	free(sf->spec);
	free(sf);
}
