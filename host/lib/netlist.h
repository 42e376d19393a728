/*
 * netlist - a list of IP networks ("192.0.2.0/24", "2001:db8::/32",
 * "127.0.0.1", "::1") and the question "is this address in one of them"
 * (the proxy's xforward_from and proxy_from). An IPv4 network also
 * matches the IPv4-mapped IPv6 form of its addresses (::ffff:192.0.2.1),
 * which is how a dual-stack socket reports an IPv4 client.
 */
#ifndef NETLIST_H
#define NETLIST_H

#include <stddef.h>
#include <sys/socket.h>

struct netlist;

/* netlist_new - an empty list; NULL with errno ENOMEM */
struct netlist	*netlist_new(void);
/* netlist_free - the list; netlist_free(NULL) does nothing */
void		 netlist_free(struct netlist *);
/*
 * netlist_add - one network, "ADDR" or "ADDR/BITS" (numeric; an IPv6
 * address may be in brackets): 0, or -1 with why in err (errlen bytes)
 * when it does not parse or the host bits are not zero (a likely typo),
 * or no memory.
 */
int		 netlist_add(struct netlist *, const char *spec, char *err,
		    size_t errlen);
/* netlist_count - how many networks */
size_t		 netlist_count(const struct netlist *);
/* netlist_match - 1 when the numeric address addr is in a network (NULL list: 0) */
int		 netlist_match(const struct netlist *, const char *addr);
/* netlist_match_sa - the same for a socket address (AF_INET/AF_INET6; others 0) */
int		 netlist_match_sa(const struct netlist *, const struct sockaddr *);

#endif /* NETLIST_H */
