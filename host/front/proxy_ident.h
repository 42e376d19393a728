/*
 * proxy_ident - the real client's identity in the SMTP proxy (DESIGN
 * section 11), apart from the session's command loop:
 *
 * - a PROXY protocol header (v1 or v2, from HAProxy) before the client's
 *   first byte on a listener with proxy_protocol = true, accepted only
 *   from proxy_from: the session's client is the header's;
 * - XFORWARD from a client in xforward_from (Postfix's smtpd_proxy_filter):
 *   phasegate offers it in EHLO, takes NAME/ADDR/PORT/PROTO/HELO/IDENT/
 *   SOURCE, and runs the connect and HELO phases at the first MAIL with
 *   the identity it was given, so filters never see the relaying MTA in
 *   place of the client; the line goes on upstream when the upstream
 *   offers XFORWARD too;
 * - a PROXY header of our own to the upstream (upstream_proxy_protocol);
 * - the once-per-generation warning of xclient = true without XCLIENT.
 */
#ifndef PROXY_IDENT_H
#define PROXY_IDENT_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "decision.h"
#include "proxy_upstream.h"
#include "smtp_reply.h"

struct config;
struct config_smtp;
struct run;

/* what XFORWARD said; "" when not given or [UNAVAILABLE] */
struct proxy_ident_xf {
	char		 name[256];
	char		 addr[64];
	int		 port;
	char		 helo[256];
	char		 proto[16];
	char		 ident[64];
	char		 source[16];
};

/* one session's identity state: in the session, set up by proxy_ident_init() */
struct proxy_ident {
	const struct config_smtp *sc;
	int		 xf_trusted;	/* the connection's XFORWARD is taken */
	int		 pending;	/* connect and HELO phases wait for MAIL */
	unsigned	 up_xforward;	/* the XFORWARD attributes the upstream takes */
	char		 ehlo[256];	/* the client's own EHLO name, while pending */
	struct proxy_ident_xf xf;
	char		 dst[64];	/* where the client connected (a PROXY header's) */
	unsigned	 dport;
	const void	*gen;		/* the session's generation, as a name */
	int		 failed;	/* the phases' 421: the session ends */
	int		 xclient_done;	/* the upstream took XCLIENT at MAIL */
	char		 ptr[256];	/* the client's PTR name, not verified */
	struct proxy_name *lookup;	/* the names' lookup, while it runs */
	char		*name;		/* where its verified name goes */
	size_t		 namelen;
	struct pg_session *s;		/* the session told of it */
};

/* proxy_ident_init - the state for a session of listener sc */
void		 proxy_ident_init(struct proxy_ident *, const struct config_smtp *sc);

/*
 * proxy_ident_proxy_header - on a proxy_protocol listener, read and take
 * the PROXY header from c before anything else (timeout at deadline): 0
 * with the client's address in *real (*reallen), the connection's own for
 * a LOCAL or UNKNOWN header, and sa itself on a listener without
 * proxy_protocol; -1 when the session must close without a word (a peer
 * not in proxy_from, no header, a malformed one, timeout): logged with
 * the peer's address. On 0, whether the client (*real) is in
 * xforward_from is known: the trust is in the client, never in the
 * balancer in front of it.
 */
int		 proxy_ident_proxy_header(struct proxy_ident *, struct conn *c,
		    uint64_t deadline, const struct sockaddr *sa, socklen_t salen,
		    struct sockaddr_storage *real, socklen_t *reallen);

/*
 * proxy_ident_defer_helo - a trusted XFORWARD client's HELO/EHLO name
 * (the MTA's own): 1 when the HELO phase waits for MAIL (the name kept),
 * 0 when the caller runs it now
 */
int		 proxy_ident_defer_helo(struct proxy_ident *, const char *name);

/*
 * proxy_ident_upstream_ehlo - what the upstream's EHLO reply r (the last
 * one up read) offers of XFORWARD: the attributes passed on to it
 */
void		 proxy_ident_upstream_ehlo(struct proxy_ident *,
		    struct proxy_upstream *up, const struct smtp_reply *r);

/* the EHLO keyword line the client is offered, or NULL */
const char	*proxy_ident_ehlo_extra(const struct proxy_ident *);

/*
 * proxy_ident_xforward - the XFORWARD command's arguments from the
 * client: into reply (len bytes, no CRLF) what it gets. A client not in
 * xforward_from gets 550 as before; a bad attribute 501; after the phases
 * ran 503. The line goes to up when the upstream offers XFORWARD, with
 * only the attributes it offers, each as it came (a refusal is logged;
 * the client still gets 250). -1 when the upstream is lost (reply unset).
 */
int		 proxy_ident_xforward(struct proxy_ident *, const char *id,
		    const char *args, struct proxy_upstream *up, char *reply,
		    size_t len);

/*
 * proxy_ident_phases - at MAIL, for a trusted XFORWARD client whose
 * phases wait: the identity XFORWARD gave replaces addr (alen), *port and
 * name (nlen) and the session's, then the connect and HELO phases run,
 * then, with xclient, XCLIENT with that client goes to up (the session's
 * EHLO left it out); d says what they decided. 0 when nothing was
 * pending (d cleared). A refusing d with pi->failed set is a 421 after
 * which the session ends (the upstream lost, or not taking XCLIENT with
 * xclient = "required").
 */
int		 proxy_ident_phases(struct proxy_ident *, struct run *run,
		    struct proxy_upstream *up, char *addr, size_t alen, int *port,
		    char *name, size_t nlen, struct decision *d);

/*
 * proxy_ident_upstream_header - with upstream_proxy_protocol, the header
 * for the client addr:port (connected to the session's dst, else fd's
 * local address) written to up before its greeting; 0, or -1 (up lost)
 */
int		 proxy_ident_upstream_header(struct proxy_ident *,
		    struct proxy_upstream *up, const char *addr, int port, int fd);

/*
 * proxy_ident_peer - the client's address (addr, alen), port and name
 * (nlen) from sa; an AF_UNIX peer is taken as local, as Postfix's smtpd
 * does: 127.0.0.1, port 0, "localhost". The name is the forward-confirmed
 * reverse name (lookup_fcrdns() with cfg's dns section, for at most cfg's
 * timeouts.lookups), or "unknown"; the PTR name, not verified, goes to
 * pi->ptr. The lookup runs beside the session (proxy_name.h): name and
 * pi->ptr are "unknown" until proxy_ident_name() has waited for it, which
 * the session does itself once proxy_ident_session() has told it.
 */
void		 proxy_ident_peer(struct proxy_ident *pi, const struct config *cfg,
		    const struct sockaddr *sa, socklen_t salen, char *addr,
		    size_t alen, int *port, char *name, size_t nlen);

/*
 * proxy_ident_session - s takes the client's PTR name, or, while the
 * names' lookup runs, waits for it (proxy_ident_name()) when something
 * first reads or replaces them; 0, or -1 (no memory)
 */
int		 proxy_ident_session(struct proxy_ident *, struct pg_session *s);

/*
 * proxy_ident_name - the client's verified name, once its lookup is done
 * (parking for what is left of it; the session told too). The session's
 * end calls it as well: no lookup outlives its session.
 */
const char	*proxy_ident_name(struct proxy_ident *);

/*
 * proxy_ident_warn_once - 1 the first time it is called for generation
 * gen (a pointer that names it), 0 after: the caller logs then
 */
int		 proxy_ident_warn_once(const void *gen);

#endif /* PROXY_IDENT_H */
