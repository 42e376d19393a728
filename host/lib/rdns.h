/*
 * rdns - the client's name from the DNS (PTR), with a small cache
 *
 * The lookup may block for as long as the resolver takes, so it runs on a
 * helper thread (fiber_offload()) while the session is parked. Answers,
 * names and "unknown" alike, are kept for RDNS_TTL_S seconds in a table of
 * RDNS_SLOTS entries (one per address hash: a newer address takes the slot),
 * so a client that connects again soon costs no lookup: a postmaster's
 * relays and monitoring connect many times a minute.
 */
#ifndef RDNS_H
#define RDNS_H

#include <stddef.h>
#include <sys/socket.h>

#define RDNS_TTL_S	60
#define RDNS_SLOTS	1024

/*
 * rdns_name - the name of sa's address into name (namelen bytes): the PTR
 * answer, or "unknown" when there is none. addr is sa's numeric form (the
 * cache key). From a fiber or any thread.
 */
void	rdns_name(const struct sockaddr *sa, socklen_t salen, const char *addr,
	    char *name, size_t namelen);

#endif /* RDNS_H */
