/*
 * lookup - the host's DNS lookups for plugins and scripts
 *
 * Public: lookup_check(), lookup_shutdown(), lookup_dns(),
 * lookup_dns_release(), lookup_dnsbl(), lookup_dnsbl_release(),
 * lookup_fcrdns(), lookup_code_ok(), lookup_strerror(). See lookup.h.
 *
 * One resolver per dns section in use (host/lib/dns.c), so the answer
 * cache is shared by every session and generation with that section. A
 * reload whose dns section differs makes a new one beside the old (up to
 * LOOKUP_RESOLVERS; then the least recently used goes, when its last
 * lookup ends: a refcount). Results are
 * copied out of the resolver's answers into one allocation per query or
 * zone (priv), freed by the release functions: a plugin may keep them
 * for as long as it likes, and the resolver's answers are released at
 * once.
 *
 * DNS lists: RFC 5782. The subject is reversed (IPv4 by octets, IPv6 by
 * nibbles) or, when it is a name, asked as it is. An answer counts as a
 * listing only inside 127.0.0.0/8, and not 127.0.0.0, 127.0.0.1 (what a
 * wildcarded, dead list answers for everything) or 127.255.255.0/24
 * (Spamhaus and others: "you asked through a public resolver", "too many
 * queries"): any such answer makes the zone an error, PG_DNS_BADCODE,
 * never a hit.
 *
 * Trust: names, zones and subjects come from scripts, plugins and
 * messages; the resolver checks every name. Failures are statuses; -1
 * only for bad arguments (NULL, too many).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "dnsname.h"
#include "lookup.h"

#define LOOKUP_CODES_MAX	16	/* codes kept for one listed zone */
#define LOOKUP_RESOLVERS	4	/* dns sections in use at once (generations) */

/* rv - a resolver and the configuration it was made from */
struct rv {
	struct dns	*d;
	char		**servers;
	size_t		 nservers;
	unsigned	 timeout_ms, attempts;
	unsigned	 refs;		/* lookups using it, +1 while current */
};

static pthread_mutex_t rv_mu = PTHREAD_MUTEX_INITIALIZER;
static struct rv *rv_tab[LOOKUP_RESOLVERS];
static uint64_t rv_used[LOOKUP_RESOLVERS], rv_clock;
static int rv_last = -1;		/* the one used last: for a NULL conf */

static void
rv_free(struct rv *r)
{
	size_t i;

	if (r == NULL)
		return;
	dns_free(r->d);
	for (i = 0; i < r->nservers; i++)
		free(r->servers[i]);
	free(r->servers);
	free(r);
}

/* rv_same - whether r was made from c */
static int
rv_same(const struct rv *r, const struct lookup_conf *c)
{
	size_t i;

	if (r->nservers != (c->servers != NULL ? c->nservers : 0) ||
	    r->timeout_ms != c->timeout_ms || r->attempts != c->attempts)
		return 0;
	for (i = 0; i < r->nservers; i++)
		if (strcmp(r->servers[i], c->servers[i]) != 0)
			return 0;
	return 1;
}

/* rv_new - a resolver for c; NULL with err */
static struct rv *
rv_new(const struct lookup_conf *c, char *err, size_t errlen)
{
	struct dns_conf dc;
	struct rv *r;
	size_t n = c->servers != NULL ? c->nservers : 0;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (n > 0 && (r->servers = calloc(n, sizeof(*r->servers))) == NULL)) {
		free(r);
		snprintf(err, errlen, "dns: out of memory");
		return NULL;
	}
	for (r->nservers = 0; r->nservers < n; r->nservers++)
		if ((r->servers[r->nservers] = strdup(c->servers[r->nservers])) ==
		    NULL) {
			rv_free(r);
			snprintf(err, errlen, "dns: out of memory");
			return NULL;
		}
	r->timeout_ms = c->timeout_ms;
	r->attempts = c->attempts;
	memset(&dc, 0, sizeof(dc));
	dc.servers = (const char *const *)r->servers;
	dc.nservers = n;
	dc.timeout_ms = c->timeout_ms;
	dc.attempts = c->attempts;
	if ((r->d = dns_new(&dc, err, errlen)) == NULL) {
		rv_free(r);
		return NULL;
	}
	r->refs = 1;
	return r;
}

/* rv_find - the slot of the resolver for c (the last used for NULL), or -1 */
static int
rv_find(const struct lookup_conf *c)
{
	int i;

	if (c == NULL)
		return rv_last >= 0 && rv_tab[rv_last] != NULL ? rv_last : -1;
	for (i = 0; i < LOOKUP_RESOLVERS; i++)
		if (rv_tab[i] != NULL && rv_same(rv_tab[i], c))
			return i;
	return -1;
}

/* rv_take - slot i referenced for a lookup (under rv_mu) */
static struct rv *
rv_take(int i)
{
	rv_used[i] = ++rv_clock;
	rv_last = i;
	rv_tab[i]->refs++;
	return rv_tab[i];
}

/*
 * rv_get - the resolver for c (NULL: the last used, or one from
 * resolv.conf), referenced; made when there is none. A new one takes the
 * least recently used slot; the one it replaces goes when its last
 * lookup ends. NULL when it cannot be made (logged by the caller's
 * statuses: every query PG_DNS_ERROR).
 */
static struct rv *
rv_get(const struct lookup_conf *c)
{
	static const struct lookup_conf none;
	struct rv *r, *old = NULL;
	char err[256];
	int i;

	pthread_mutex_lock(&rv_mu);
	if ((i = rv_find(c)) >= 0) {
		r = rv_take(i);
		pthread_mutex_unlock(&rv_mu);
		return r;
	}
	pthread_mutex_unlock(&rv_mu);
	if ((r = rv_new(c != NULL ? c : &none, err, sizeof(err))) == NULL)
		return NULL;
	pthread_mutex_lock(&rv_mu);
	if ((i = rv_find(c)) >= 0) {	/* another thread was quicker */
		old = r;
		r = rv_take(i);
	} else {
		for (i = 0; i < LOOKUP_RESOLVERS && rv_tab[i] != NULL; i++)
			;
		if (i == LOOKUP_RESOLVERS) {
			int lru = 0, j;

			for (j = 1; j < LOOKUP_RESOLVERS; j++)
				if (rv_used[j] < rv_used[lru])
					lru = j;
			i = lru;
			if (--rv_tab[i]->refs == 0)
				old = rv_tab[i];
		}
		rv_tab[i] = r;
		r = rv_take(i);
	}
	pthread_mutex_unlock(&rv_mu);
	rv_free(old);
	return r;
}

static void
rv_put(struct rv *r)
{
	int last;

	pthread_mutex_lock(&rv_mu);
	last = --r->refs == 0;
	pthread_mutex_unlock(&rv_mu);
	if (last)
		rv_free(r);
}

int
lookup_check(const struct lookup_conf *c, char *err, size_t errlen)
{
	struct rv *r = rv_get(c);

	if (r == NULL) {
		snprintf(err, errlen, "dns: cannot start a resolver");
		return -1;
	}
	rv_put(r);
	return 0;
}

void
lookup_shutdown(void)
{
	struct rv *old[LOOKUP_RESOLVERS];
	int i;

	pthread_mutex_lock(&rv_mu);
	for (i = 0; i < LOOKUP_RESOLVERS; i++) {
		old[i] = rv_tab[i] != NULL && --rv_tab[i]->refs == 0 ?
		    rv_tab[i] : NULL;
		rv_tab[i] = NULL;
	}
	rv_last = -1;
	pthread_mutex_unlock(&rv_mu);
	for (i = 0; i < LOOKUP_RESOLVERS; i++)
		rv_free(old[i]);
}

const char *
lookup_strerror(int status)
{
	if (status == PG_DNS_BADCODE)
		return "badcode";
	return dns_status_name(status);	/* the same numbers up to PG_DNS_ERROR */
}

/* pg_status - the ABI's status for a resolver's */
static int
pg_status(int st)
{
	return st >= DNS_OK && st < DNS_NSTATUS ? st : PG_DNS_ERROR;
}

/* query_copy - q's records copied into one allocation (q->priv) */
static void
query_copy(struct pg_dns_query *q, const struct dns_query *dq)
{
	struct pg_dns_rr *rr;
	size_t i, text = 0;
	char *p;

	q->status = pg_status(dq->status);
	q->ms = dq->ms;
	if (dq->status != DNS_OK)
		return;
	for (i = 0; i < dq->nrr; i++)
		text += strlen(dq->rr[i].text) + 1;
	if ((rr = malloc(dq->nrr * sizeof(*rr) + text)) == NULL) {
		q->status = PG_DNS_NOMEM;
		return;
	}
	p = (char *)(rr + dq->nrr);
	for (i = 0; i < dq->nrr; i++) {
		size_t n = strlen(dq->rr[i].text) + 1;

		memcpy(p, dq->rr[i].text, n);
		rr[i].text = p;
		rr[i].pref = dq->rr[i].pref;
		rr[i].ttl = dq->rr[i].ttl;
		p += n;
	}
	q->rr = rr;
	q->nrr = dq->nrr;
	q->priv = rr;
}

/* query_type - the resolver's type for an ABI type; 0 if not one */
static int
query_type(int t)
{
	switch (t) {
	case PG_DNS_A:		return DNS_T_A;
	case PG_DNS_AAAA:	return DNS_T_AAAA;
	case PG_DNS_MX:		return DNS_T_MX;
	case PG_DNS_TXT:	return DNS_T_TXT;
	case PG_DNS_PTR:	return DNS_T_PTR;
	case PG_DNS_NS:		return DNS_T_NS;
	default:		return 0;
	}
}

int
lookup_dns(const struct lookup_conf *c, struct pg_dns_query *q, size_t n,
    uint64_t deadline)
{
	struct dns_query *dq;
	char (*ptr)[DNSNAME_MAX];
	struct rv *r;
	size_t i;

	if ((q == NULL && n > 0) || n > PG_DNS_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		q[i].status = PG_DNS_ERROR;
		q[i].rr = NULL;
		q[i].nrr = 0;
		q[i].ms = 0;
		q[i].priv = NULL;
	}
	if (n == 0)
		return 0;
	dq = calloc(n, sizeof(*dq));
	ptr = calloc(n, sizeof(*ptr));
	if (dq == NULL || ptr == NULL || (r = rv_get(c)) == NULL) {
		for (i = 0; i < n; i++)
			q[i].status = dq == NULL || ptr == NULL ? PG_DNS_NOMEM :
			    PG_DNS_ERROR;
		free(dq);
		free(ptr);
		return 0;
	}
	for (i = 0; i < n; i++) {
		dq[i].name = q[i].name != NULL ? q[i].name : "";
		dq[i].type = query_type(q[i].type);
		/* an address for PTR is reversed; a name is asked as it is */
		if (dq[i].type == DNS_T_PTR &&
		    dnsname_ptr(dq[i].name, ptr[i], sizeof(ptr[i])) == 0)
			dq[i].name = ptr[i];
	}
	(void)dns_query(r->d, dq, n, deadline);
	for (i = 0; i < n; i++)
		query_copy(&q[i], &dq[i]);
	dns_release(dq, n);
	rv_put(r);
	free(dq);
	free(ptr);
	return 0;
}

void
lookup_dns_release(struct pg_dns_query *q, size_t n)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(q[i].priv);
		q[i].priv = NULL;
		q[i].rr = NULL;
		q[i].nrr = 0;
	}
}

int
lookup_code_ok(const char *addr)
{
	unsigned char a[4];

	if (addr == NULL || inet_pton(AF_INET, addr, a) != 1 || a[0] != 127)
		return 0;
	if (a[1] == 0 && a[2] == 0 && a[3] <= 1)
		return 0;	/* 127.0.0.0, 127.0.0.1 */
	if (a[1] == 255 && a[2] == 255)
		return 0;	/* 127.255.255.0/24 */
	return 1;
}

/* zone_listed - z is listed with the codes of dq (and txt): its result */
static void
zone_listed(struct pg_dnsbl_zone *z, const struct dns_query *a,
    const struct dns_query *t)
{
	size_t i, n = a->nrr < LOOKUP_CODES_MAX ? a->nrr : LOOKUP_CODES_MAX;
	size_t text = 0;
	const char *txt = t != NULL && t->status == DNS_OK ? t->rr[0].text : NULL;
	const char **codes;
	char *p;

	for (i = 0; i < n; i++)
		text += strlen(a->rr[i].text) + 1;
	if (txt != NULL)
		text += strlen(txt) + 1;
	if ((codes = malloc(n * sizeof(*codes) + text)) == NULL) {
		z->status = PG_DNS_NOMEM;
		return;
	}
	p = (char *)(codes + n);
	for (i = 0; i < n; i++) {
		codes[i] = p;
		p = stpcpy(p, a->rr[i].text) + 1;
	}
	if (txt != NULL) {
		z->txt = p;
		strcpy(p, txt);
	}
	z->status = PG_DNS_OK;
	z->codes = codes;
	z->ncodes = n;
	z->priv = codes;
}

/* zone_status - what an A answer says of a zone; PG_DNS_OK: listed */
static int
zone_status(const struct dns_query *a)
{
	size_t i;

	switch (a->status) {
	case DNS_OK:
		for (i = 0; i < a->nrr; i++)
			if (!lookup_code_ok(a->rr[i].text))
				return PG_DNS_BADCODE;
		return PG_DNS_OK;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		return PG_DNS_NXDOMAIN;
	default:
		return pg_status(a->status);
	}
}

/* dnsbl_ask - the A queries of every zone, then the TXT of the listed ones */
static void
dnsbl_ask(struct dns *d, struct pg_dnsbl_zone *z, struct dns_query *a,
    struct dns_query *t, const size_t *idx, size_t m, uint64_t deadline)
{
	size_t i, nt = 0;

	(void)dns_query(d, a, m, deadline);
	for (i = 0; i < m; i++) {
		z[idx[i]].status = zone_status(&a[i]);
		z[idx[i]].ms = a[i].ms;
		if (z[idx[i]].status == PG_DNS_OK) {
			t[nt].name = a[i].name;
			t[nt].type = DNS_T_TXT;
			nt++;
		}
	}
	if (nt > 0)
		(void)dns_query(d, t, nt, deadline);
	for (i = 0, nt = 0; i < m; i++) {
		if (z[idx[i]].status != PG_DNS_OK)
			continue;
		z[idx[i]].ms += t[nt].ms;
		zone_listed(&z[idx[i]], &a[i], &t[nt]);
		nt++;
	}
	dns_release(t, nt);
	dns_release(a, m);
}

int
lookup_dnsbl(const struct lookup_conf *c, const char *subject,
    struct pg_dnsbl_zone *z, size_t n, uint64_t deadline)
{
	struct dns_query *a = NULL, *t = NULL;
	char (*names)[DNSNAME_MAX] = NULL;
	size_t *idx = NULL, i, m = 0;
	struct rv *r = NULL;

	if ((z == NULL && n > 0) || n > PG_DNS_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		z[i].status = PG_DNS_BADNAME;
		z[i].codes = NULL;
		z[i].ncodes = 0;
		z[i].txt = NULL;
		z[i].ms = 0;
		z[i].priv = NULL;
	}
	if (n == 0)
		return 0;
	if ((a = calloc(n, sizeof(*a))) == NULL ||
	    (t = calloc(n, sizeof(*t))) == NULL ||
	    (names = calloc(n, sizeof(*names))) == NULL ||
	    (idx = calloc(n, sizeof(*idx))) == NULL || (r = rv_get(c)) == NULL) {
		for (i = 0; i < n; i++)
			z[i].status = r == NULL && idx != NULL ? PG_DNS_ERROR :
			    PG_DNS_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (subject == NULL || z[i].zone == NULL ||
		    dnsname_reverse(subject, z[i].zone, names[m],
		    sizeof(names[m])) == -1)
			continue;	/* PG_DNS_BADNAME */
		a[m].name = names[m];
		a[m].type = DNS_T_A;
		idx[m++] = i;
	}
	if (m > 0)
		dnsbl_ask(r->d, z, a, t, idx, m, deadline);
out:
	if (r != NULL)
		rv_put(r);
	free(a);
	free(t);
	free(names);
	free(idx);
	return 0;
}

void
lookup_dnsbl_release(struct pg_dnsbl_zone *z, size_t n)
{
	size_t i;

	if (z == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(z[i].priv);
		z[i].priv = NULL;
		z[i].codes = NULL;
		z[i].ncodes = 0;
		z[i].txt = NULL;
	}
}

/* same_addr - whether two addresses in text are the same address */
static int
same_addr(const char *a, const char *b)
{
	unsigned char x[16], y[16];
	int fa = strchr(a, ':') != NULL ? AF_INET6 : AF_INET;
	int fb = strchr(b, ':') != NULL ? AF_INET6 : AF_INET;

	if (fa != fb || inet_pton(fa, a, x) != 1 || inet_pton(fb, b, y) != 1)
		return 0;
	return memcmp(x, y, fa == AF_INET ? 4 : 16) == 0;
}

/* confirm - the forward lookups of the PTR names of p; the confirmed one */
static int
confirm(struct dns *d, const struct dns_query *p, const char *addr,
    int v6, uint64_t deadline, char *name, size_t namelen)
{
	struct dns_query f[LOOKUP_FCRDNS_NAMES];
	char a4[INET_ADDRSTRLEN];
	unsigned char raw[16];
	size_t n = p->nrr < LOOKUP_FCRDNS_NAMES ? p->nrr : LOOKUP_FCRDNS_NAMES;
	size_t i, j;
	int found = 0;

	/* an IPv4-mapped client is asked, and compared, as IPv4 */
	if (v6 && dnsname_is_addr(addr) == 4 &&
	    inet_pton(AF_INET6, addr, raw) == 1 &&
	    inet_ntop(AF_INET, raw + 12, a4, sizeof(a4)) != NULL) {
		addr = a4;
		v6 = 0;
	}
	memset(f, 0, sizeof(f));
	for (i = 0; i < n; i++) {
		f[i].name = p->rr[i].text;
		f[i].type = v6 ? DNS_T_AAAA : DNS_T_A;
	}
	(void)dns_query(d, f, n, deadline);
	for (i = 0; i < n && !found; i++)
		for (j = 0; f[i].status == DNS_OK && j < f[i].nrr; j++)
			if (same_addr(f[i].rr[j].text, addr)) {
				snprintf(name, namelen, "%s", f[i].name);
				found = 1;
				break;
			}
	dns_release(f, n);
	return found;
}

int
lookup_fcrdns(const struct lookup_conf *c, const char *addr, uint64_t deadline,
    char *name, size_t namelen, char *ptr, size_t ptrlen)
{
	char rev[DNSNAME_MAX];
	struct dns_query p;
	struct rv *r;
	int rc = 0;

	snprintf(name, namelen, "unknown");
	if (ptr != NULL)
		snprintf(ptr, ptrlen, "unknown");
	if (addr == NULL || dnsname_ptr(addr, rev, sizeof(rev)) == -1)
		return 0;
	/* what /etc/hosts names it (the resolver does not read /etc/hosts) */
	if (strcmp(addr, "127.0.0.1") == 0 || strcmp(addr, "::1") == 0) {
		snprintf(name, namelen, "localhost");
		if (ptr != NULL)
			snprintf(ptr, ptrlen, "localhost");
		return 1;
	}
	if ((r = rv_get(c)) == NULL)
		return -1;
	memset(&p, 0, sizeof(p));
	p.name = rev;
	p.type = DNS_T_PTR;
	(void)dns_query(r->d, &p, 1, deadline);
	if (p.status == DNS_OK) {
		if (ptr != NULL)
			snprintf(ptr, ptrlen, "%s", p.rr[0].text);
		rc = confirm(r->d, &p, addr, strchr(addr, ':') != NULL,
		    deadline, name, namelen);
	} else if (p.status != DNS_NXDOMAIN && p.status != DNS_NODATA &&
	    p.status != DNS_BADNAME)
		rc = -1;
	dns_release(&p, 1);
	rv_put(r);
	return rc;
}
