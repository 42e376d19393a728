/*
 * check_dns - the lookups of `phasegate check`
 *
 * Public: check_dns_client(), check_dns_start(), check_dns_stop(),
 * check_dns_text(), check_dns_json(). See check_dns.h. Entries are copied
 * (names, answers) when a lookup ends, since the host releases the
 * answers right after; long ones are cut. Out of memory for the record:
 * the lookups are counted as not shown, nothing fails.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_dns.h"
#include "clock.h"
#include "config.h"
#include "host_api.h"
#include "lookup.h"
#include "xmalloc.h"

struct entry {
	char		 filter[64];
	const char	*type;		/* "A", ..., "dnsbl", "fcrdns" */
	char		 name[256];
	char		 zone[256];	/* dnsbl: the zone; else "" */
	char		 answer[512];	/* "" when none */
	const char	*error;		/* NULL: none */
	unsigned	 ms;
};

static struct entry *ents;
static size_t nents;
static size_t dropped;	/* lookups past CHECK_DNS_MAX (or no memory) */

/* type_name - a PG_DNS_* type as DNS names it */
static const char *
type_name(int type)
{
	switch (type) {
	case PG_DNS_A: return "A";
	case PG_DNS_AAAA: return "AAAA";
	case PG_DNS_MX: return "MX";
	case PG_DNS_TXT: return "TXT";
	case PG_DNS_PTR: return "PTR";
	case PG_DNS_NS: return "NS";
	}
	return "?";
}

/* append - add s to buf (len bytes) after a space if buf is not empty */
static void
append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	if (n + 1 >= len)
		return;
	snprintf(buf + n, len - n, "%s%s", n ? " " : "", s);
}

/* next_entry - a fresh entry, or NULL (full, no memory: counted) */
static struct entry *
next_entry(void)
{
	if (ents == NULL)
		ents = pg_calloc(CHECK_DNS_MAX, sizeof(*ents));
	if (ents == NULL || nents == CHECK_DNS_MAX) {
		dropped++;
		return NULL;
	}
	memset(&ents[nents], 0, sizeof(ents[nents]));
	return &ents[nents++];
}

/* query_entry - e from one pg_dns_query */
static void
query_entry(struct entry *e, const struct pg_dns_query *q)
{
	char buf[300];
	size_t i;

	e->type = type_name(q->type);
	snprintf(e->name, sizeof(e->name), "%s", q->name ? q->name : "");
	e->ms = q->ms;
	if (q->status != PG_DNS_OK) {
		e->error = lookup_strerror(q->status);
		return;
	}
	for (i = 0; i < q->nrr; i++) {
		if (q->type == PG_DNS_MX)
			snprintf(buf, sizeof(buf), "%u %s", (unsigned)q->rr[i].pref,
			    q->rr[i].text);
		else
			snprintf(buf, sizeof(buf), "%s", q->rr[i].text);
		append(e->answer, sizeof(e->answer), buf);
	}
}

/* zone_entry - e from one zone of a dnsbl_query */
static void
zone_entry(struct entry *e, const char *subject, const struct pg_dnsbl_zone *z)
{
	size_t i;

	e->type = "dnsbl";
	snprintf(e->name, sizeof(e->name), "%s", subject ? subject : "");
	snprintf(e->zone, sizeof(e->zone), "%s", z->zone ? z->zone : "");
	e->ms = z->ms;
	if (z->status == PG_DNS_NXDOMAIN) {
		snprintf(e->answer, sizeof(e->answer), "not listed");
		return;
	}
	if (z->status != PG_DNS_OK) {
		e->error = lookup_strerror(z->status);
		return;
	}
	for (i = 0; i < z->ncodes; i++)
		append(e->answer, sizeof(e->answer), z->codes[i]);
	if (z->txt != NULL) {
		char t[300];

		snprintf(t, sizeof(t), "\"%s\"", z->txt);
		append(e->answer, sizeof(e->answer), t);
	}
}

/* trace - host_trace_fn: one entry per query or zone */
static void
trace(void *ctx, const char *filter, const struct pg_dns_query *q,
    const char *subject, const struct pg_dnsbl_zone *z)
{
	struct entry *e;

	(void)ctx;
	if ((e = next_entry()) == NULL)
		return;
	snprintf(e->filter, sizeof(e->filter), "%s", filter ? filter : "-");
	if (q != NULL)
		query_entry(e, q);
	else
		zone_entry(e, subject, z);
}

void
check_dns_start(void)
{
	nents = 0;
	dropped = 0;
	host_api_set_trace(trace, NULL);
}

void
check_dns_stop(void)
{
	host_api_set_trace(NULL, NULL);
}

void
check_dns_client(const struct config *cfg, const char *addr, char *name,
    size_t namelen, char *ptr, size_t ptrlen)
{
	struct lookup_conf lc;
	struct entry *e;
	uint64_t t0 = clock_ms();
	int rc;

	memset(&lc, 0, sizeof(lc));
	lc.servers = (const char *const *)cfg->dns_servers;
	lc.nservers = cfg->ndns_servers;
	lc.timeout_ms = (unsigned)cfg->dns_timeout_ms;
	lc.attempts = cfg->dns_attempts;
	rc = lookup_fcrdns(&lc, addr, t0 + cfg->timeout_lookups_ms, name,
	    namelen, ptr, ptrlen);
	if ((e = next_entry()) == NULL)
		return;
	snprintf(e->filter, sizeof(e->filter), "--client");
	e->type = "fcrdns";
	snprintf(e->name, sizeof(e->name), "%s", addr);
	e->ms = (unsigned)(clock_ms() - t0);
	if (rc == -1)
		e->error = "temporary failure";
	else
		snprintf(e->answer, sizeof(e->answer), "name=%s ptr=%s%s", name,
		    ptr, rc == 1 ? " (confirmed)" : "");
}

void
check_dns_text(FILE *fp)
{
	size_t i;

	for (i = 0; i < nents; i++) {
		const struct entry *e = &ents[i];

		fprintf(fp, "lookup   %-6s %s%s%s -> %s%s (%u ms, %s)\n", e->type,
		    e->name, e->zone[0] ? " in " : "", e->zone,
		    e->error ? "error: " : "", e->error ? e->error : e->answer,
		    e->ms, e->filter);
	}
	if (dropped > 0)
		fprintf(fp, "lookup   ... %zu more not shown\n", dropped);
}

void
check_dns_json(FILE *fp, void (*json_str)(FILE *, const char *))
{
	size_t i;

	fputs(",\"lookups\":[", fp);
	for (i = 0; i < nents; i++) {
		const struct entry *e = &ents[i];

		fprintf(fp, "%s{\"type\":\"%s\",\"name\":", i ? "," : "", e->type);
		json_str(fp, e->name);
		fputs(",\"zone\":", fp);
		json_str(fp, e->zone[0] ? e->zone : NULL);
		fputs(",\"answer\":", fp);
		json_str(fp, e->error ? NULL : e->answer);
		fputs(",\"error\":", fp);
		json_str(fp, e->error);
		fprintf(fp, ",\"ms\":%u,\"filter\":", e->ms);
		json_str(fp, e->filter);
		fputc('}', fp);
	}
	fprintf(fp, "],\"lookups_not_shown\":%zu", dropped);
}
