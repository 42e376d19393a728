/*
 * proxy_limits - the proxy session's limits that are arithmetic on the
 * configuration and the message: the DATA phase's deadline and its
 * "waiting since" for the listener's fair shares, and the hop count.
 * Split from proxy_session.c (which keeps under the 1,000-line limit).
 */
#ifndef PROXY_LIMITS_H
#define PROXY_LIMITS_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct msg;

/*
 * proxy_limits_data_deadline - the DATA phase's deadline: timeouts.data
 * from start (the 354), plus one second per data_rate_min bytes received
 * (got; Postfix's smtpd_min_data_rate), so a large message sent at least
 * that fast is never cut while a trickle is, after about timeouts.data
 */
uint64_t	proxy_limits_data_deadline(const struct config *cfg,
		    uint64_t start, uint64_t got);
/*
 * proxy_limits_data_since - for listen_session_wait() in DATA: the 354's
 * time, moved on by the time the bytes received would take at
 * data_rate_min (a client sending faster than that looks as if it had
 * just begun)
 */
uint64_t	proxy_limits_data_since(const struct config *cfg, uint64_t start,
		    uint64_t got);
/* proxy_limits_hops - the message's Received: fields */
size_t		proxy_limits_hops(struct msg *m);

#endif /* PROXY_LIMITS_H */
