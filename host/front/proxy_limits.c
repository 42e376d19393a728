/*
 * proxy_limits - DATA deadlines and the hop count (proxy_limits.h)
 *
 * Public: proxy_limits_data_deadline(), proxy_limits_data_since(),
 * proxy_limits_hops(). No state, no allocation.
 */
#include "clock.h"
#include "config.h"
#include "msg.h"
#include "proxy_limits.h"

size_t
proxy_limits_hops(struct msg *m)
{
	size_t n = 0;

	while (msg_header(m, "Received", n + 1) != NULL)
		n++;
	return n;
}

uint64_t
proxy_limits_data_deadline(const struct config *cfg, uint64_t start,
    uint64_t got)
{
	uint64_t dl = start + cfg->timeout_data_ms;

	if (cfg->data_rate_min > 0)
		dl += got / cfg->data_rate_min * 1000 +
		    got % cfg->data_rate_min * 1000 / cfg->data_rate_min;
	return dl;
}

uint64_t
proxy_limits_data_since(const struct config *cfg, uint64_t start, uint64_t got)
{
	uint64_t since = proxy_limits_data_deadline(cfg, start, got) -
	    cfg->timeout_data_ms, now = clock_ms();

	return since < now ? since : now;
}
