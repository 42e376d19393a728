/*
 * proxy_deliver - the SMTP proxy's delivery: a message the chain let pass
 * goes to the upstream, with the filters' changes applied (envelope
 * changes replayed as RSET, MAIL and RCPT; header and body changes in the
 * message's output, re-stuffed), and the upstream's final reply comes back
 * for the client (DESIGN section 6).
 */
#ifndef PROXY_DELIVER_H
#define PROXY_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "proxy_upstream.h"
#include "run.h"
#include "smtp_reply.h"

/* what proxy_deliver() came to */
enum proxy_deliver_status {
	PROXY_DELIVER_DONE,	/* r: the upstream's reply to the final dot */
	PROXY_DELIVER_REFUSED,	/* r: the upstream refused the changed
				 * envelope or DATA; its transaction is open */
	PROXY_DELIVER_DROPPED,	/* the changes deleted every recipient:
				 * nothing was sent; the transaction is open */
	PROXY_DELIVER_LOST	/* the upstream failed (when; the reason in
				 * proxy_upstream_error()): it may hold part
				 * of the message and must be closed */
};

/* one delivery: filled in by the caller; nothing in it is copied or freed */
struct proxy_deliver {
	const char	*id;		/* the session, for the log */
	struct proxy_upstream *up;	/* MAIL and RCPT done, DATA not yet */
	struct run	*run;		/* its transaction holds the message */
	char *const	*rcpts;		/* the recipients the upstream took, each
					 * "address\0parameters" */
	size_t		 nrcpts;
	const char	*mail_params;	/* the client's MAIL parameters */
	/* our Received: field (RFC 5321 4.4), when received is set */
	int		 received;
	const char	*hostname;	/* ours */
	const char	*client_addr, *client_name;
	int		 esmtp;		/* the client said EHLO */
	char		*buf;		/* scratch for the encoder */
	size_t		 buflen;	/* at least 1024 */
	const char	*when;		/* out, PROXY_DELIVER_LOST: at what */
};

/*
 * proxy_deliver - deliver d's message; the reply for the client in r
 * (valid until the next call on d->up) for DONE and REFUSED
 */
enum proxy_deliver_status proxy_deliver(struct proxy_deliver *d,
		    struct smtp_reply *r);

/*
 * proxy_deliver_rcpt_add - remember a recipient the upstream took, with
 * its ESMTP parameters (NOTIFY, ORCPT) right after the address's NUL, as
 * struct proxy_deliver's rcpts has them (for a replay); *rcpts grows (it
 * and its entries are the caller's to free). 0, or -1 without memory.
 */
int		 proxy_deliver_rcpt_add(char ***rcpts, size_t *nrcpts,
		    const char *addr, const char *params);

#endif /* PROXY_DELIVER_H */
