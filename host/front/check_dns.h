/*
 * check_dns - the lookups of `phasegate check`: the client's name from
 * --client (PTR and forward confirmation, as the proxy does), and a record
 * of every lookup the filters make, for -v and --json
 *
 * The record is process-wide (host_api_set_trace()): check runs one
 * message at a time. It keeps at most CHECK_DNS_MAX entries and counts
 * the rest, so a rule that makes 10,000 lookups costs bounded memory.
 */
#ifndef CHECK_DNS_H
#define CHECK_DNS_H

#include <stddef.h>
#include <stdio.h>

struct config;

#define CHECK_DNS_MAX	1000

/*
 * check_dns_client - addr's verified name into name and its PTR name into
 * ptr (lookup_fcrdns() with cfg's dns section, timeouts.lookups), both
 * "unknown" when there is none; recorded as one "fcrdns" entry
 */
void	check_dns_client(const struct config *cfg, const char *addr,
	    char *name, size_t namelen, char *ptr, size_t ptrlen);

/* check_dns_start - forget the entries, record the filters' lookups */
void	check_dns_start(void);
/* check_dns_stop - record no more (the entries stay until the next start) */
void	check_dns_stop(void);

/* check_dns_text - one "lookup" line per entry (nothing without any) */
void	check_dns_text(FILE *);
/* check_dns_json - ',"lookups":[...]' (always, [] without any) */
void	check_dns_json(FILE *, void (*json_str)(FILE *, const char *));

#endif /* CHECK_DNS_H */
