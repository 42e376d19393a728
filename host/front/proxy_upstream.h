/*
 * proxy_upstream - the proxy's client side: one SMTP connection to the
 * upstream server, with timeouts, reply parsing and a write buffer.
 *
 * Every call that waits does so for at most the timeout given at connect.
 * Functions returning int return 0, or -1 when the connection is no longer
 * usable (closed, timed out, I/O error, unparsable reply); the reason is in
 * proxy_upstream_error(). After -1 the only call that makes sense is
 * proxy_upstream_free().
 */
#ifndef PROXY_UPSTREAM_H
#define PROXY_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "smtp_reply.h"

struct proxy_upstream;

/*
 * an address of addr.h with a host ("host:port", "[v6addr]:port",
 * "inet:PORT@HOST") or a unix socket; NULL with the reason in err.
 */
struct proxy_upstream *proxy_upstream_connect(const char *hostport,
		    uint64_t timeout_ms, char *err, size_t errlen);
void		 proxy_upstream_free(struct proxy_upstream *);
/*
 * proxy_upstream_set_stop - the stop the connection obeys from now on
 * (conn.h; never as idle: a call in progress may go on for the grace),
 * not owned; NULL: none
 */
void		 proxy_upstream_set_stop(struct proxy_upstream *,
		    const struct conn_stop *);

/* proxy_upstream_reply - read one reply (valid until the next call) */
int		 proxy_upstream_reply(struct proxy_upstream *, struct smtp_reply *);
/* line i of the last reply, text after "CCC-" */
const char	*proxy_upstream_line(struct proxy_upstream *, size_t i, size_t *len);
/*
 * proxy_upstream_cmd - send line (no CRLF; it is added) and read the
 * reply. A reply already waiting before the line is sent (one the
 * upstream sent unasked, or a second one to the last command) is a
 * protocol error: -1, and nothing is sent.
 */
int		 proxy_upstream_cmd(struct proxy_upstream *, const char *line,
		    size_t len, struct smtp_reply *);
/* buffered bytes; proxy_upstream_flush() sends them */
int		 proxy_upstream_write(struct proxy_upstream *, const void *, size_t);
int		 proxy_upstream_flush(struct proxy_upstream *);
const char	*proxy_upstream_error(const struct proxy_upstream *);
/*
 * proxy_upstream_conn - the connection, for a byte layer put under it
 * (STARTTLS: proxy_tls.h); still the upstream's
 */
struct conn	*proxy_upstream_conn(struct proxy_upstream *);
/*
 * proxy_upstream_quiet - 0 when the upstream has said nothing since its
 * last reply (looked at without waiting), -1 when it has: a reply to data
 * not sent yet (250 right after 354) is a protocol error, and the
 * connection is dead
 */
int		 proxy_upstream_quiet(struct proxy_upstream *);

#endif /* PROXY_UPSTREAM_H */
