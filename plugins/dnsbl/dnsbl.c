/*
 * dnsbl - the dnsbl plugin: DNS block lists (RFC 5782) from configuration
 * alone
 *
 * Configuration: { plugin = "dnsbl", zones = "/path/dnsbl.zones",
 * client_at = "connect" | "rcpt", allow_rcpt = "postmaster abuse@x.org",
 * body_max = "1M", body_names = 20, body_regex = "...",
 * skip_clients_file = "/path/cidr", skip_names_file = "/path/domains" }. The zones file
 * (dz_zones.c, docs/dnsbl-plugin.md) has one rule a line:
 *
 *	TARGET ZONE CODES ACTION [args]
 *
 * Targets and when they are asked:
 * - client: the client's address, at connect (refused there: every later
 *   command gets the reply), or with client_at = "rcpt" at MAIL, refused
 *   per recipient so that the recipients in allow_rcpt still get mail;
 * - helo: the HELO name, at HELO; sender: the sender's domain, at MAIL;
 * - body: at end of data (URIBL), the hosts of the message's links and
 *   their registered domains, from the host's MIME layer (decoded: base64,
 *   quoted-printable, HTML); with body_regex set, also the names it finds
 *   in the decoded text. A host without the MIME layer: body_regex over
 *   the raw body, names and their last two labels.
 * Clients in skip_clients_file (a cidr map) and names in skip_names_file
 * (a domain map: a name and its parents) are never asked about.
 * Every zone of a target is asked at once (one dnsbl_query or dns_query
 * of the host table), so a check costs one round trip whatever the
 * number of lists; the session parks meanwhile and timeouts.lookups
 * bounds it. SCORE hits go into each transaction's score (symbols in the
 * log line and in `phasegate check`); client and helo scores are added
 * at MAIL. Hits are logged at info, lookup errors at warning: a list
 * that fails is skipped, never a verdict (fail open).
 *
 * Public: the descriptor phasegate_plugin. Uses only plugin.h and
 * host/lib/re.c (compiled in), like the regex plugin.
 *
 * Ownership: the zones and the compiled regex belong to init()'s state,
 * read-only until fini(). What a session found lives in its data slot.
 * Trust: subjects (HELO, sender, body) and answers (codes, TXT) are
 * untrusted: names are checked by the host, codes by dz_code_match(),
 * TXT cleaned in replies, logs escaped by the host; a body is read up to
 * body_max bytes and at most body_names names are asked.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <phasegate/plugin.h>

#include "dz_zones.h"
#include "re.h"

#define DB_BODY_MAX	(1024 * 1024)
#define DB_NAMES	20
#define DB_NAMES_MAX	200
#define DB_ALLOW_MAX	64
#define DB_NAME_LEN	256
#define DB_DEFAULT_RE	"\\bhttps?://([a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?" \
			"(?:\\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)+)"

struct state {
	const struct pg_host *h;
	struct dz_zones	 zs;
	int		 at_rcpt;	/* client_at = "rcpt" */
	char		*allow[DB_ALLOW_MAX];
	size_t		 nallow;
	size_t		 body_max;
	size_t		 body_names;
	struct re	*body_re;
	int		 body_re_set;	/* body_regex given: the text too */
	struct pg_map	*skip_clients;	/* cidr map, or NULL */
	struct pg_map	*skip_names;	/* domain map, or NULL */
};

/* skipped - key is in map m (a skip_*_file): never asked about */
static int
skipped(const struct state *st, struct pg_map *m, const char *key)
{
	char val[8];

	return m != NULL && st->h->map_match(m, key, strlen(key), val,
	    sizeof(val)) == 1;
}

/* hit - a rule whose zone listed a subject */
struct hit {
	const struct dz_rule *r;
	char		 code[16];
	char		 subject[DB_NAME_LEN];
	char		*txt;
};

struct found {
	struct hit	*v;
	size_t		 n;
};

/* sess - what a session's lookups found (its data slot) */
struct sess {
	int		 client_done, helo_done;
	struct found	 client, helo;
	enum pg_verdict	 refuse;	/* a client refusal, for RCPT */
	char		 reply[DZ_REPLY_MAX + 1];
};

static void
found_free(struct found *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i].txt);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

static void
sess_free(void *p)
{
	struct sess *x = p;

	found_free(&x->client);
	found_free(&x->helo);
	free(x);
}

/* sess_of - the session's slot, made on first use; NULL on no memory */
static struct sess *
sess_of(struct state *st, struct pg_session *s)
{
	struct sess *x = st->h->session_data_get(s);

	if (x == NULL && (x = calloc(1, sizeof(*x))) != NULL)
		st->h->session_data_set(s, x, sess_free);
	return x;
}

/* add_hit - r matched code for subject (once per rule); -1 on no memory */
static int
add_hit(struct found *f, const struct dz_rule *r, const char *code,
    const char *subject, const char *txt)
{
	struct hit *v;
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->v[i].r == r)
			return 0;
	if ((v = realloc(f->v, (f->n + 1) * sizeof(*v))) == NULL)
		return -1;
	f->v = v;
	v = &f->v[f->n];
	memset(v, 0, sizeof(*v));
	v->r = r;
	snprintf(v->code, sizeof(v->code), "%s", code);
	snprintf(v->subject, sizeof(v->subject), "%s", subject);
	if (txt != NULL && (v->txt = strdup(txt)) == NULL)
		return -1;
	f->n++;
	return 0;
}

/* zone_hits - the rules of target t for zone that count one of codes */
static void
zone_hits(struct state *st, struct pg_session *s, enum dz_target t,
    const char *zone, const char *subject, const char *const *codes,
    size_t ncodes, const char *txt, struct found *f)
{
	size_t i, j;

	for (i = 0; i < st->zs.nrules; i++) {
		const struct dz_rule *r = &st->zs.rules[i];

		if (r->target != t || strcmp(r->zone, zone) != 0)
			continue;
		for (j = 0; j < ncodes; j++)
			if (dz_code_match(r, codes[j]))
				break;
		if (j == ncodes)
			continue;
		st->h->log(s, PG_LOG_INFO, "dnsbl: %s listed in %s (%s)%s%s",
		    subject, zone, codes[j], txt ? ": " : "", txt ? txt : "");
		if (add_hit(f, r, codes[j], subject, txt) == -1)
			st->h->log(s, PG_LOG_ERR, "dnsbl: out of memory");
	}
}

/* ask - every zone of target t about subject at once; hits into f */
static void
ask(struct state *st, struct pg_session *s, enum dz_target t,
    const char *subject, struct found *f)
{
	const struct pg_host *h = st->h;
	size_t n = st->zs.nzones[t], i;
	struct pg_dnsbl_zone *z;

	if (n == 0 || (z = calloc(n, sizeof(*z))) == NULL)
		return;
	for (i = 0; i < n; i++)
		z[i].zone = st->zs.zones[t][i];
	if (h->dnsbl_query(s, subject, z, n) == -1) {
		h->log(s, PG_LOG_ERR, "dnsbl: %s", h->last_error());
		free(z);
		return;
	}
	for (i = 0; i < n; i++) {
		if (z[i].status == PG_DNS_OK)
			zone_hits(st, s, t, z[i].zone, subject, z[i].codes,
			    z[i].ncodes, z[i].txt, f);
		else if (z[i].status != PG_DNS_NXDOMAIN)
			h->log(s, PG_LOG_WARN, "dnsbl: %s in %s: %s", subject,
			    z[i].zone, h->dns_strerror(z[i].status));
	}
	h->dnsbl_release(z, n);
	free(z);
}

/* refusal - the first REJECT/TEMPFAIL hit (file order) into r; its verdict */
static enum pg_verdict
refusal(const struct found *f, struct pg_reply *r)
{
	const struct hit *best = NULL;
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->v[i].r->action != DZ_SCORE &&
		    (best == NULL || f->v[i].r->line < best->r->line))
			best = &f->v[i];
	if (best == NULL)
		return PG_CONTINUE;
	dz_reply(best->r, best->subject, best->code, best->txt, r->text,
	    sizeof(r->text));
	return best->r->action == DZ_REJECT ? PG_REJECT : PG_TEMPFAIL;
}

/* scores - the SCORE hits of f into tx */
static void
scores(struct state *st, struct pg_tx *tx, const struct found *f)
{
	char detail[512];
	size_t i;

	for (i = 0; i < f->n; i++) {
		const struct hit *x = &f->v[i];

		if (x->r->action != DZ_SCORE)
			continue;
		snprintf(detail, sizeof(detail), "%s in %s (%s)", x->subject,
		    x->r->zone, x->code);
		if (st->h->tx_score(tx, x->r->score, x->r->symbol, detail) == -1)
			st->h->log(st->h->tx_session(tx), PG_LOG_ERR,
			    "dnsbl: score: %s", st->h->last_error());
	}
}

/* client - look the client's address up once per session */
static struct sess *
client(struct state *st, struct pg_session *s)
{
	struct sess *x = sess_of(st, s);
	const char *addr = st->h->session_str(s, PG_S_CLIENT_ADDR);
	unsigned char a[16];

	if (x == NULL || x->client_done)
		return x;
	x->client_done = 1;
	if (addr == NULL || (inet_pton(AF_INET, addr, a) != 1 &&
	    inet_pton(AF_INET6, addr, a) != 1))
		return x;	/* "unknown": no client address to ask about */
	if (skipped(st, st->skip_clients, addr))
		return x;
	ask(st, s, DZ_CLIENT, addr, &x->client);
	x->reply[0] = '\0';
	{
		struct pg_reply r;

		r.text[0] = '\0';
		x->refuse = refusal(&x->client, &r);
		snprintf(x->reply, sizeof(x->reply), "%s", r.text);
	}
	return x;
}

static enum pg_verdict
db_connect(void *state, struct pg_session *s, struct pg_reply *r)
{
	struct state *st = state;
	struct sess *x;

	if (st->at_rcpt || (x = client(st, s)) == NULL ||
	    x->refuse == PG_CONTINUE)
		return PG_CONTINUE;
	snprintf(r->text, sizeof(r->text), "%s", x->reply);
	return x->refuse;
}

static enum pg_verdict
db_helo(void *state, struct pg_session *s, const char *name,
    struct pg_reply *r)
{
	struct state *st = state;
	struct sess *x = sess_of(st, s);

	if (x == NULL || x->helo_done || name == NULL || name[0] == '[' ||
	    strchr(name, '.') == NULL || skipped(st, st->skip_names, name))
		return PG_CONTINUE;	/* address literals, bare words: not asked */
	x->helo_done = 1;
	ask(st, s, DZ_HELO, name, &x->helo);
	return refusal(&x->helo, r);
}

static enum pg_verdict
db_mail(void *state, struct pg_tx *tx, const char *sender, struct pg_reply *r)
{
	struct state *st = state;
	struct pg_session *s = st->h->tx_session(tx);
	struct sess *x = st->zs.nzones[DZ_CLIENT] ? client(st, s) :
	    sess_of(st, s);
	struct found f = { NULL, 0 };
	const char *at = sender != NULL ? strrchr(sender, '@') : NULL;
	enum pg_verdict v = PG_CONTINUE;

	if (x != NULL) {
		scores(st, tx, &x->client);
		scores(st, tx, &x->helo);
	}
	if (st->zs.nzones[DZ_SENDER] > 0 && at != NULL && at[1] != '\0' &&
	    at[1] != '[' && !skipped(st, st->skip_names, at + 1)) {
		ask(st, s, DZ_SENDER, at + 1, &f);
		scores(st, tx, &f);
		v = refusal(&f, r);
		found_free(&f);
	}
	return v;
}

/* allowed - whether rcpt is in allow_rcpt: an address, or a local part */
static int
allowed(const struct state *st, const char *rcpt)
{
	const char *at = strrchr(rcpt, '@');
	size_t i, local = at != NULL ? (size_t)(at - rcpt) : strlen(rcpt);

	for (i = 0; i < st->nallow; i++) {
		const char *a = st->allow[i];

		if (strchr(a, '@') != NULL ? strcasecmp(a, rcpt) == 0 :
		    strlen(a) == local && strncasecmp(a, rcpt, local) == 0)
			return 1;
	}
	return 0;
}

static enum pg_verdict
db_rcpt(void *state, struct pg_tx *tx, const char *rcpt, struct pg_reply *r)
{
	struct state *st = state;
	struct sess *x;

	if (!st->at_rcpt ||
	    (x = client(st, st->h->tx_session(tx))) == NULL ||
	    x->refuse == PG_CONTINUE || allowed(st, rcpt))
		return PG_CONTINUE;
	snprintf(r->text, sizeof(r->text), "%s", x->reply);
	return x->refuse;
}

/* --- body host names (URIBL) --- */

/* body_text - up to body_max bytes of the body, malloc'd; NULL if none */
static char *
body_text(struct state *st, struct pg_tx *tx, size_t *len)
{
	off_t size = st->h->tx_body_size(tx);
	size_t want = size > 0 ? (size_t)size : 0, got = 0;
	ssize_t n;
	char *buf;

	if (want > st->body_max)
		want = st->body_max;
	if (want == 0 || (buf = malloc(want)) == NULL)
		return NULL;
	while (got < want && (n = st->h->tx_body_read(tx, (off_t)got,
	    buf + got, want - got)) > 0)
		got += (size_t)n;
	*len = got;
	return buf;
}

/*
 * add_name - name (len bytes) into names, lower case, once, unless an
 * address literal or in skip_names_file; 0 when full
 */
static int
add_name(const struct state *st, char (*names)[DB_NAME_LEN], size_t *n,
    size_t max, const char *name, size_t len)
{
	char buf[DB_NAME_LEN];
	size_t i;

	while (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof(buf))
		return 1;
	for (i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[len] = '\0';
	if (strspn(buf, "0123456789.") == len || strchr(buf, ':') != NULL ||
	    buf[0] == '[')
		return 1;	/* an address literal: not a name */
	if (skipped(st, st->skip_names, buf))
		return 1;
	for (i = 0; i < *n; i++)
		if (strcmp(names[i], buf) == 0)
			return 1;
	if (*n == max)
		return 0;
	memcpy(names[(*n)++], buf, len + 1);
	return 1;
}

/*
 * regex_names - the distinct host names the regex finds in text (its
 * first capture, or its match) and, for names of more than two labels,
 * their last two labels (what most URI lists list), after the *n in
 * names; at most max in all
 */
static size_t
regex_names(struct state *st, const char *text, size_t len,
    char (*names)[DB_NAME_LEN], size_t n, size_t max)
{
	size_t ov[4], pos = 0, a, b;
	const char *dot;
	int rc;

	while (pos < len && (rc = re_find(st->body_re, text, len, pos, ov, 2,
	    0, NULL)) == 1) {
		a = ov[2] != RE_UNSET ? ov[2] : ov[0];
		b = ov[2] != RE_UNSET ? ov[3] : ov[1];
		pos = ov[1] > pos ? ov[1] : pos + 1;
		if (!add_name(st, names, &n, max, text + a, b - a))
			break;
		/* the last two labels: www.spam.example -> spam.example */
		for (dot = text + b - 1; dot > text + a && *dot != '.'; dot--)
			;
		while (dot > text + a && *--dot != '.')
			;
		if (dot > text + a && !add_name(st, names, &n, max, dot + 1,
		    (size_t)(text + b - dot - 1)))
			break;
	}
	return n;
}

/*
 * link_names - the hosts of the message's links and their registered
 * domains (the host's MIME layer: decoded), then with body_regex what it
 * finds in the decoded text (up to body_max bytes); at most max names
 */
static size_t
link_names(struct state *st, struct pg_tx *tx, char (*names)[DB_NAME_LEN],
    size_t max)
{
	const struct pg_host *h = st->h;
	const struct pg_url *all = NULL;
	size_t nl = 0, i, n = 0, len = 0;
	const char *host, *dom, *text;

	/* all the links at once when the host has them (tx_urls()) */
	if (PG_SIZE_HAS(h, struct pg_host, tx_urls) && h->tx_urls != NULL)
		all = h->tx_urls(tx, &nl);
	if (all == NULL)
		nl = h->tx_url_count(tx);
	for (i = 0; i < nl; i++) {
		host = all ? all[i].host : h->tx_url_str(tx, i, PG_U_HOST);
		if (host == NULL)
			continue;
		if (!add_name(st, names, &n, max, host, strlen(host)))
			return n;
		dom = all ? all[i].domain : h->tx_url_str(tx, i, PG_U_DOMAIN);
		if (dom != NULL && !add_name(st, names, &n, max, dom,
		    strlen(dom)))
			return n;
	}
	if (st->body_re_set && (text = h->tx_text(tx, &len)) != NULL)
		n = regex_names(st, text, len < st->body_max ? len :
		    st->body_max, names, n, max);
	return n;
}

/* body_names - the names to ask the body zones about; at most max */
static size_t
body_names(struct state *st, struct pg_tx *tx, char (*names)[DB_NAME_LEN],
    size_t max)
{
	size_t len = 0, n;
	char *raw;

	if (PG_SIZE_HAS(st->h, struct pg_host, tx_url_part))
		return link_names(st, tx, names, max);
	if ((raw = body_text(st, tx, &len)) == NULL)
		return 0;
	n = regex_names(st, raw, len, names, 0, max);
	free(raw);
	return n;
}

/* body_hits - the answers of q (names x zones) as hits into f */
static void
body_hits(struct state *st, struct pg_session *s, struct pg_dns_query *q,
    char (*names)[DB_NAME_LEN], size_t nnames, struct found *f)
{
	size_t nz = st->zs.nzones[DZ_BODY], i, j, k;
	const char *codes[64];

	for (i = 0; i < nnames; i++)
		for (j = 0; j < nz; j++) {
			struct pg_dns_query *x = &q[i * nz + j];

			if (x->status == PG_DNS_OK) {
				for (k = 0; k < x->nrr && k < 64; k++)
					codes[k] = x->rr[k].text;
				zone_hits(st, s, DZ_BODY, st->zs.zones[DZ_BODY][j],
				    names[i], codes, k, NULL, f);
			} else if (x->status != PG_DNS_NXDOMAIN &&
			    x->status != PG_DNS_NODATA &&
			    x->status != PG_DNS_BADNAME)
				st->h->log(s, PG_LOG_WARN, "dnsbl: %s in %s: %s",
				    names[i], st->zs.zones[DZ_BODY][j],
				    st->h->dns_strerror(x->status));
		}
}

/* db_eom - every body name in every body zone at once */
static enum pg_verdict
db_eom(void *state, struct pg_tx *tx, struct pg_reply *r)
{
	struct state *st = state;
	struct pg_session *s = st->h->tx_session(tx);
	size_t nz = st->zs.nzones[DZ_BODY], nn, i, j;
	char (*names)[DB_NAME_LEN] = NULL, (*qn)[DB_NAME_LEN] = NULL;
	struct pg_dns_query *q = NULL;
	struct found f = { NULL, 0 };
	enum pg_verdict v = PG_CONTINUE;

	if (nz == 0)
		return PG_CONTINUE;
	if ((names = calloc(st->body_names, sizeof(*names))) == NULL)
		goto out;
	if ((nn = body_names(st, tx, names, st->body_names)) == 0 ||
	    (q = calloc(nn * nz, sizeof(*q))) == NULL ||
	    (qn = calloc(nn * nz, sizeof(*qn))) == NULL)
		goto out;
	for (i = 0; i < nn; i++)
		for (j = 0; j < nz; j++) {
			snprintf(qn[i * nz + j], sizeof(qn[0]), "%s.%s",
			    names[i], st->zs.zones[DZ_BODY][j]);
			q[i * nz + j].name = qn[i * nz + j];
			q[i * nz + j].type = PG_DNS_A;
		}
	if (st->h->dns_query(s, q, nn * nz) == -1) {
		st->h->log(s, PG_LOG_ERR, "dnsbl: %s", st->h->last_error());
		goto out;
	}
	body_hits(st, s, q, names, nn, &f);
	st->h->dns_release(q, nn * nz);
	scores(st, tx, &f);
	v = refusal(&f, r);
out:
	found_free(&f);
	free(q);
	free(qn);
	free(names);
	return v;
}

/* --- the plugin --- */

/* parse_size - "1M", "512k" or bytes; 0 or -1 */
static int
parse_size(const char *v, size_t *out)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v || *v == '-')
		return -1;
	if (*end == 'k' || *end == 'K')
		n *= 1024, end++;
	else if (*end == 'm' || *end == 'M')
		n *= 1024 * 1024, end++;
	if (*end != '\0' || n == 0 || n > 64ULL * 1024 * 1024)
		return -1;
	*out = (size_t)n;
	return 0;
}

/* parse_allow - allow_rcpt: addresses and local parts, blanks or commas */
static int
parse_allow(struct state *st, const char *v)
{
	char *copy = strdup(v), *tok, *save = NULL;

	if (copy == NULL)
		return -1;
	for (tok = strtok_r(copy, " ,\t", &save); tok;
	    tok = strtok_r(NULL, " ,\t", &save)) {
		if (st->nallow == DB_ALLOW_MAX ||
		    (st->allow[st->nallow] = strdup(tok)) == NULL) {
			free(copy);
			return -1;
		}
		st->nallow++;
	}
	free(copy);
	return 0;
}

static void
db_fini(void *state)
{
	struct state *st = state;
	size_t i;

	if (st == NULL)
		return;
	dz_zones_free(&st->zs);
	re_free(st->body_re);
	for (i = 0; i < st->nallow; i++)
		free(st->allow[i]);
	free(st);
}

/* open_map - a skip_*_file option's map into *m; -1 with err */
static int
open_map(struct state *st, const char *k, const char *v, const char *kind,
    struct pg_map **m, char *err, size_t errlen)
{
	char merr[256];

	if (!PG_SIZE_HAS(st->h, struct pg_host, map_match)) {
		snprintf(err, errlen, "%s: this phasegate has no maps", k);
		return -1;
	}
	if ((*m = st->h->map_open(v, kind, merr, sizeof(merr))) == NULL) {
		snprintf(err, errlen, "%s: %s", k, merr);
		return -1;
	}
	return 0;
}

/* option - one option of the filter entry; -1 with err */
static int
option(struct state *st, const char *k, const char *v, const char **zones,
    const char **re, char *err, size_t errlen)
{
	char *end;
	unsigned long n;

	if (strcmp(k, "zones") == 0)
		*zones = v;
	else if (strcmp(k, "body_regex") == 0) {
		*re = v;
		st->body_re_set = 1;
	} else if (strcmp(k, "skip_clients_file") == 0)
		return open_map(st, k, v, "cidr", &st->skip_clients, err,
		    errlen);
	else if (strcmp(k, "skip_names_file") == 0)
		return open_map(st, k, v, "domain", &st->skip_names, err,
		    errlen);
	else if (strcmp(k, "client_at") == 0) {
		if (strcmp(v, "connect") != 0 && strcmp(v, "rcpt") != 0) {
			snprintf(err, errlen, "client_at: '%s' is not one of "
			    "connect, rcpt", v);
			return -1;
		}
		st->at_rcpt = v[0] == 'r';
	} else if (strcmp(k, "allow_rcpt") == 0) {
		if (parse_allow(st, v) == -1) {
			snprintf(err, errlen, "allow_rcpt: too many entries "
			    "(at most %d)", DB_ALLOW_MAX);
			return -1;
		}
	} else if (strcmp(k, "body_max") == 0) {
		if (parse_size(v, &st->body_max) == -1) {
			snprintf(err, errlen, "body_max: bad size '%s' (1 to "
			    "64M)", v);
			return -1;
		}
	} else if (strcmp(k, "body_names") == 0) {
		errno = 0;
		n = strtoul(v, &end, 10);
		if (errno || *end || n == 0 || n > DB_NAMES_MAX || *v == '-') {
			snprintf(err, errlen, "body_names: '%s' is not a number"
			    " from 1 to %d", v, DB_NAMES_MAX);
			return -1;
		}
		st->body_names = n;
	} else if (strcmp(k, "on_error") != 0) {
		snprintf(err, errlen, "unknown option '%s' (dnsbl knows zones, "
		    "client_at, allow_rcpt, body_max, body_names, body_regex, "
		    "skip_clients_file, skip_names_file)", k);
		return -1;
	}
	return 0;
}

static int
db_init(const struct pg_host *h, const struct pg_options *o, void **state,
    char *err, size_t errlen)
{
	const char *zones = NULL, *re = DB_DEFAULT_RE;
	char rerr[RE_ERR_MAX];
	struct state *st;
	size_t i, n;

	if (h == NULL || !PG_SIZE_HAS(h, struct pg_host, dns_strerror)) {
		snprintf(err, errlen, "this phasegate has no DNS lookups");
		return -1;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->h = h;
	st->body_max = DB_BODY_MAX;
	st->body_names = DB_NAMES;
	n = h->opt_count(o);
	for (i = 0; i < n; i++)
		if (option(st, h->opt_key(o, i), h->opt_value(o, i), &zones, &re,
		    err, errlen) == -1)
			goto fail;
	if (zones == NULL) {
		snprintf(err, errlen, "needs zones = \"FILE\"");
		goto fail;
	}
	if (dz_zones_load(&st->zs, zones, err, errlen) == -1)
		goto fail;
	if ((st->body_re = re_compile(re, strlen(re), "i", RE_OPT_NOPREFILTER,
	    rerr, sizeof(rerr))) == NULL) {
		snprintf(err, errlen, "body_regex: %s", rerr);
		goto fail;
	}
	*state = st;
	return 0;
fail:
	db_fini(st);
	return -1;
}

/* db_phases - only the phases the zones file's targets need */
static uint32_t
db_phases(void *state)
{
	const struct state *st = state;
	uint32_t m = 0;

	if (st->zs.nzones[DZ_CLIENT] > 0)
		m |= PG_PHASE_MAIL | (st->at_rcpt ? PG_PHASE_RCPT :
		    PG_PHASE_CONNECT);
	if (st->zs.nzones[DZ_HELO] > 0)
		m |= PG_PHASE_HELO | PG_PHASE_MAIL;
	if (st->zs.nzones[DZ_SENDER] > 0)
		m |= PG_PHASE_MAIL;
	if (st->zs.nzones[DZ_BODY] > 0)
		m |= PG_PHASE_EOM | PG_PHASE_BODY;
	return m;
}

const struct pg_plugin phasegate_plugin = {
	.abi = PG_PLUGIN_ABI,
	.size = sizeof(struct pg_plugin),
	.name = "dnsbl",
	.flags = PG_PLUGIN_F_BODY,
	.init = db_init,
	.fini = db_fini,
	.on_connect = db_connect,
	.on_helo = db_helo,
	.on_mail = db_mail,
	.on_rcpt = db_rcpt,
	.on_eom = db_eom,
	.phases = db_phases,
};
