/*
 * proxy_name - the client's verified name, looked up beside its session
 *
 * The proxy needs the client's name (forward-confirmed reverse DNS,
 * lookup_fcrdns()) for the summary line, XCLIENT's NAME and the rules
 * that read session.client_name, but the connect phase's filters mostly
 * need only the address (a DNS list of it). So the lookup runs in a fiber
 * of its own from the session's start while the connect phase runs: a
 * session waits one round trip of the resolver at connect, not two, and
 * whoever reads the name first waits for what is left of its lookup.
 */
#ifndef PROXY_NAME_H
#define PROXY_NAME_H

#include <stddef.h>
#include <stdint.h>

struct lookup_conf;
struct proxy_name;

/*
 * proxy_name_start - start looking up addr's names, with lc's resolver
 * (copied, with its servers), until deadline (clock_ms() time). NULL when
 * it cannot run apart (outside a fiber, no memory, more than 8 servers):
 * the caller looks up itself.
 */
struct proxy_name *proxy_name_start(const struct lookup_conf *lc,
		    const char *addr, uint64_t deadline);

/*
 * proxy_name_wait - park until the lookup is done and take its result:
 * the verified name or "unknown" in name (nlen), the PTR name or
 * "unknown" in ptr (plen). The lookup is released: pn is not used again.
 * A lookup still running 2 s past its deadline (it never should) is left
 * to end alone and gives "unknown".
 */
void		 proxy_name_wait(struct proxy_name *pn, char *name, size_t nlen,
		    char *ptr, size_t plen);

#endif /* PROXY_NAME_H */
