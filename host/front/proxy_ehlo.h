/*
 * proxy_ehlo - the SMTP proxy's HELO/EHLO: the exchange with the upstream
 * (EHLO; a plain HELO to an upstream without ESMTP; XCLIENT with the real
 * client when the upstream offers it and the listener asks for it) and
 * the reply the client gets, which advertises only what the proxy honours
 * (DESIGN section 6).
 */
#ifndef PROXY_EHLO_H
#define PROXY_EHLO_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "proxy_upstream.h"
#include "smtp_reply.h"

/* what the upstream offers (proxy_ehlo_upstream()'s caps) */
#define PROXY_EHLO_PIPELINING	0x01
#define PROXY_EHLO_XCLIENT	0x02

/* proxy_ehlo_upstream(): xclient = "required" and the upstream did not take it */
#define PROXY_EHLO_NO_XCLIENT	(-2)

/* the real client, for XCLIENT: filled in by the caller */
struct proxy_ehlo_client {
	const char	*addr;		/* numeric address */
	int		 port;		/* 0: unknown (sent as [UNAVAILABLE]) */
	const char	*name;		/* the PTR name or "unknown" */
};

/* the exchange: what the caller gives and what it learns */
struct proxy_ehlo {
	const char	*id;		/* the session, for the log */
	const char	*helo;		/* the client's HELO/EHLO argument */
	int		 esmtp;		/* the client said EHLO */
	const struct proxy_ehlo_client *xclient;	/* NULL: no XCLIENT */
	int		 caps;		/* out: PROXY_EHLO_* */
	int		 xclient_done;	/* in/out: the upstream took XCLIENT */
	const char	*when;		/* out, on -1: where the upstream was lost */
	int		 xclient_required;	/* xclient = "required" */
	const void	*gen;		/* the session's generation (warned once each) */
};

/*
 * proxy_ehlo_upstream - the exchange above with up. 0 with the upstream's
 * final reply in r (valid until the next call on up), or -1 when the
 * upstream is lost (e->when says at which command; the reason is in
 * proxy_upstream_error()). With xclient_required, PROXY_EHLO_NO_XCLIENT
 * when the upstream does not offer XCLIENT or refuses it (logged); with
 * XCLIENT asked for but not required, an upstream that does not offer it
 * is logged once per generation.
 */
int		 proxy_ehlo_upstream(struct proxy_upstream *up, struct proxy_ehlo *e,
		    struct smtp_reply *r);
/*
 * proxy_ehlo_reply - queue on c the reply to the client for the
 * upstream's 2xx reply r (the last one up read): the first line and the
 * extensions the proxy passes on, SIZE lowered to max_size when that is
 * smaller (0: no limit); with helo, the first line only. extra (NULL:
 * none) is a NULL-terminated list of keyword lines of our own (STARTTLS,
 * XFORWARD ...), after the upstream's.
 */
enum conn_status proxy_ehlo_reply(struct conn *c, uint64_t deadline,
		    struct proxy_upstream *up, const struct smtp_reply *r,
		    int helo, uint64_t max_size, const char *const *extra);

#endif /* PROXY_EHLO_H */
