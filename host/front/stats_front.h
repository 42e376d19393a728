/*
 * stats_front - the metrics listener (DESIGN section 12): HTTP/1.1 on
 * `stats = { listen = "127.0.0.1:9466" }`, serving GET /metrics (the
 * Prometheus text format, metrics.h) and GET /health
 *
 * One listener (listen.h) and a fiber per connection on the fiber
 * scheduler, like the other front ends: fiber_start() first,
 * stats_front_stop() before fiber_stop(). Requests are parsed by the
 * http_req codec; keep-alive and pipelined requests are served in order.
 */
#ifndef STATS_FRONT_H
#define STATS_FRONT_H

#include <stddef.h>

struct stats_front;

#define STATS_FRONT_MAX_SESSIONS	64	/* scrapers at once */
#define STATS_FRONT_REQUEST_MS		10000	/* a request head, once begun */
#define STATS_FRONT_IDLE_MS		60000	/* between requests */

/*
 * stats_front_new - parse spec ("127.0.0.1:9466", "[::1]:9466",
 * "unix:/run/phasegate/stats.sock") and bind it; NULL with the reason in
 * err. spec is copied.
 */
struct stats_front *stats_front_new(const char *spec, char *err, size_t errlen);
/* stats_front_start - start accepting; 0 or -1 */
int		 stats_front_start(struct stats_front *);
/* stats_front_stop - stop accepting, end the connections (no grace) */
void		 stats_front_stop(struct stats_front *);
/* stats_front_free - stop if not stopped, wait for the connections, free */
void		 stats_front_free(struct stats_front *);

#endif /* STATS_FRONT_H */
