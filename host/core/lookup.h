/*
 * lookup - the host's DNS lookups for plugins and scripts: the process's
 * resolver for the configuration's dns section, queries and DNS list
 * checks in the shape of the plugin ABI (struct pg_dns_query, struct
 * pg_dnsbl_zone). The caller gives the deadline (host_api.c: what is left
 * of the filter call's timeouts.lookups).
 */
#ifndef LOOKUP_H
#define LOOKUP_H

#include <stddef.h>
#include <stdint.h>
#include <phasegate/plugin.h>

struct lookup_conf {
	const char *const *servers;	/* NULL: /etc/resolv.conf */
	size_t		 nservers;
	unsigned	 timeout_ms;	/* 0: 2000 */
	unsigned	 attempts;	/* 0: 2 */
};

/*
 * Every lookup names the dns section it follows (c); the process keeps
 * one resolver, with its cache, per section in use. c NULL: the resolver
 * used last (one from /etc/resolv.conf if none).
 *
 * lookup_check - make (or find) the resolver for c now: 0, or -1 with a
 * reason in err.
 */
int		 lookup_check(const struct lookup_conf *c, char *err,
		    size_t errlen);
/* lookup_shutdown - drop the resolvers (no lookup may run) */
void		 lookup_shutdown(void);

/*
 * lookup_dns - pg_host.dns_query() with a deadline (clock_ms() time;
 * a deadline already passed answers from the cache only). 0, or -1 with
 * errno EINVAL (NULL q, n over PG_DNS_MAX).
 */
int		 lookup_dns(const struct lookup_conf *c, struct pg_dns_query *q,
		    size_t n, uint64_t deadline_ms);
void		 lookup_dns_release(struct pg_dns_query *q, size_t n);

/*
 * lookup_dnsbl - pg_host.dnsbl_query() with a deadline: every zone's A
 * query at once, then the TXT of the listed zones. An answer outside
 * 127.0.0.0/8 or in 127.255.255.0/24 makes the zone PG_DNS_BADCODE;
 * NXDOMAIN and NODATA are "not listed" (PG_DNS_NXDOMAIN). A subject that
 * is neither an address nor a name makes every zone PG_DNS_BADNAME.
 */
int		 lookup_dnsbl(const struct lookup_conf *c, const char *subject,
		    struct pg_dnsbl_zone *z, size_t n, uint64_t deadline_ms);
void		 lookup_dnsbl_release(struct pg_dnsbl_zone *z, size_t n);

/*
 * lookup_fcrdns - the verified name of a client address (forward-
 * confirmed reverse DNS, what Postfix calls the client name): the PTR
 * names of addr, then the A (or AAAA) records of each of them (at most
 * LOOKUP_FCRDNS_NAMES, all at once); the first name whose records include
 * addr is confirmed. name gets it, or "unknown"; ptr (NULL: not wanted)
 * gets the first PTR name, confirmed or not, or "unknown" (what Postfix
 * calls the reverse name). Returns 1 confirmed, 0 not confirmed (no PTR,
 * or no name leads back), -1 a temporary failure of the PTR lookup
 * (timeout, SERVFAIL: the caller may tempfail, as Postfix's
 * reject_unknown_client_hostname does). 127.0.0.1 and ::1 are
 * "localhost" (confirmed) without a lookup, as /etc/hosts names them.
 */
#define LOOKUP_FCRDNS_NAMES	4
int		 lookup_fcrdns(const struct lookup_conf *c, const char *addr,
		    uint64_t deadline_ms, char *name, size_t namelen, char *ptr,
		    size_t ptrlen);

/* lookup_code_ok - a DNS list's answer that counts as a listing (1) or not (0) */
int		 lookup_code_ok(const char *addr);

const char	*lookup_strerror(int status);

#endif /* LOOKUP_H */
