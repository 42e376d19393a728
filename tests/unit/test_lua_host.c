/*
 * test_lua_host - a small struct pg_host for the Lua bridge's tests and
 * benchmark. Not thread-safe for logging (tests log from one thread, or
 * only read th_log() after joining).
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>

#include "clock.h"
#include "fiber.h"
#include "lookup.h"
#include "store.h"
#include "test_lua_host.h"

struct pg_options {
	size_t	 n;
	char	*k[64], *v[64];
};

static __thread char last_err[256];
static char *logbuf;
static size_t loglen;
static pthread_mutex_t logmu = PTHREAD_MUTEX_INITIALIZER;

static void
set_err(const char *s)
{
	snprintf(last_err, sizeof(last_err), "%s", s);
}

static void th_vlog(struct pg_session *, enum pg_log_level, const char *, ...)
    __attribute__((__format__(__printf__, 3, 4)));

static void
th_vlog(struct pg_session *s, enum pg_log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };
	char line[8192];
	va_list ap;
	int n;
	size_t len;

	n = snprintf(line, sizeof(line), "[%s] %s: ", names[lvl % 4],
	    s && s->str[PG_S_ID] ? s->str[PG_S_ID] : "-");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	len = strlen(line);
	if (getenv("TH_VERBOSE"))
		fprintf(stderr, "%s\n", line);
	pthread_mutex_lock(&logmu);
	logbuf = realloc(logbuf, loglen + len + 2);
	memcpy(logbuf + loglen, line, len);
	loglen += len;
	logbuf[loglen++] = '\n';
	logbuf[loglen] = '\0';
	pthread_mutex_unlock(&logmu);
}

const char *
th_log(void)
{
	return logbuf ? logbuf : "";
}

void
th_log_clear(void)
{
	pthread_mutex_lock(&logmu);
	loglen = 0;
	if (logbuf)
		logbuf[0] = '\0';
	pthread_mutex_unlock(&logmu);
}

static const char *
th_last_error(void)
{
	return last_err;
}

static const char *
th_opt_get(const struct pg_options *o, const char *key)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->k[i], key) == 0)
			return o->v[i];
	return NULL;
}

static size_t th_opt_count(const struct pg_options *o) { return o->n; }
static const char *th_opt_key(const struct pg_options *o, size_t i) { return o->k[i]; }
static const char *th_opt_value(const struct pg_options *o, size_t i) { return o->v[i]; }
static const char *th_opt_where(const struct pg_options *o) { (void)o; return "test.conf:1"; }

static const char *
th_session_str(struct pg_session *s, enum pg_session_str f)
{
	return (unsigned)f < 7 ? s->str[f] : NULL;
}

static int th_session_client_port(struct pg_session *s) { return s->port; }

static const char *
th_session_macro(struct pg_session *s, const char *name)
{
	(void)s;
	return strcmp(name, "j") == 0 ? "mx.example.net" : NULL;
}

static void *th_session_data_get(struct pg_session *s) { return s->data; }

static void
th_session_data_set(struct pg_session *s, void *d, void (*fn)(void *))
{
	if (s->data && s->data_free && s->data != d)
		s->data_free(s->data);
	s->data = d;
	s->data_free = fn;
}

static struct pg_session *th_tx_session(struct pg_tx *t) { return t->s; }
static const char *th_tx_id(struct pg_tx *t) { return t->id; }
static const char *th_tx_sender(struct pg_tx *t) { return t->sender; }
static size_t th_tx_rcpt_count(struct pg_tx *t) { return t->nrcpt; }
static const char *th_tx_rcpt(struct pg_tx *t, size_t i) { return i < t->nrcpt ? t->rcpt[i] : NULL; }
static void *th_tx_data_get(struct pg_tx *t) { return t->data; }

static void
th_tx_data_set(struct pg_tx *t, void *d, void (*fn)(void *))
{
	if (t->data && t->data_free && t->data != d)
		t->data_free(t->data);
	t->data = d;
	t->data_free = fn;
}

static size_t th_tx_header_count(struct pg_tx *t) { return t->nhdr; }

static int
th_tx_header_at(struct pg_tx *t, size_t i, const char **n, const char **v)
{
	if (i >= t->nhdr) {
		set_err("no such header");
		return -1;
	}
	*n = t->hdr[i].name;
	*v = t->hdr[i].value;
	return 0;
}

static const struct th_hdr *
find_hdr(struct pg_tx *t, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < t->nhdr; i++)
		if (strcasecmp(t->hdr[i].name, name) == 0 && --n == 0)
			return &t->hdr[i];
	return NULL;
}

static const char *
th_tx_header(struct pg_tx *t, const char *name, size_t n)
{
	const struct th_hdr *h = find_hdr(t, name, n);

	return h ? h->value : NULL;
}

static const char *
th_tx_header_raw(struct pg_tx *t, const char *name, size_t n)
{
	const struct th_hdr *h = find_hdr(t, name, n);

	return h ? h->raw : NULL;
}

static off_t th_tx_size(struct pg_tx *t) { return (off_t)t->size; }
static off_t th_tx_body_size(struct pg_tx *t) { return (off_t)t->bodylen; }

/* at most TH_READ_MAX bytes a call: a real spool may give less than asked */
#define TH_READ_MAX	3000

static ssize_t
th_tx_body_read(struct pg_tx *t, off_t off, void *buf, size_t len)
{
	if (off < 0)
		return -1;
	if ((size_t)off >= t->bodylen)
		return 0;
	if (len > t->bodylen - (size_t)off)
		len = t->bodylen - (size_t)off;
	if (len > TH_READ_MAX)
		len = TH_READ_MAX;
	memcpy(buf, t->body + off, len);
	return (ssize_t)len;
}

static void change(struct pg_tx *, const char *, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static void
change(struct pg_tx *t, const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	len = strlen(line);
	t->changes = realloc(t->changes, t->changeslen + len + 2);
	memcpy(t->changes + t->changeslen, line, len);
	t->changeslen += len;
	t->changes[t->changeslen++] = '\n';
	t->changes[t->changeslen] = '\0';
}

static int
bad_name(const char *n)
{
	if (*n == '\0')
		return 1;
	for (; *n; n++)
		if (*n == ':' || (unsigned char)*n <= 32 || *n == 127)
			return 1;
	return 0;
}

static int
th_tx_add_header(struct pg_tx *t, const char *n, const char *v)
{
	if (bad_name(n)) {
		set_err("bad header name");
		return -1;
	}
	change(t, "add_header %s: %s", n, v);
	return 0;
}

static int
th_tx_insert_header(struct pg_tx *t, size_t pos, const char *n, const char *v)
{
	if (bad_name(n)) {
		set_err("bad header name");
		return -1;
	}
	change(t, "insert_header %zu %s: %s", pos, n, v);
	return 0;
}

static int
th_tx_change_header(struct pg_tx *t, const char *n, size_t i, const char *v)
{
	change(t, "change_header %s %zu %s", n, i, v ? v : "(delete)");
	return 0;
}

static int
th_tx_delete_header(struct pg_tx *t, const char *n, size_t i)
{
	change(t, "delete_header %s %zu", n, i);
	return 0;
}

static int
host_add_rcpt(struct pg_tx *t, const char *a)
{
	change(t, "add_rcpt %s", a);
	return 0;
}

static int
th_tx_del_rcpt(struct pg_tx *t, const char *a)
{
	change(t, "del_rcpt %s", a);
	return 0;
}

static int
th_tx_change_sender(struct pg_tx *t, const char *a, const char *args)
{
	change(t, "change_sender <%s> %s", a, args ? args : "");
	return 0;
}

static int
th_tx_replace_body(struct pg_tx *t, const void *b, size_t len)
{
	change(t, "replace_body %zu %.*s", len, (int)(len > 40 ? 40 : len),
	    (const char *)b);
	return 0;
}

static int
th_tx_quarantine(struct pg_tx *t, const char *r)
{
	change(t, "quarantine %s", r);
	return 0;
}

static int
th_tx_score(struct pg_tx *t, double pts, const char *sym, const char *detail)
{
	char item[512];
	size_t len, old = t->symbols ? strlen(t->symbols) : 0;

	snprintf(item, sizeof(item), "%s%s(%.1f)%s%s", old ? " " : "", sym,
	    pts, detail ? ":" : "", detail ? detail : "");
	len = strlen(item);
	t->symbols = realloc(t->symbols, old + len + 1);
	memcpy(t->symbols + old, item, len + 1);
	t->score += pts;
	return 0;
}

static double th_tx_score_total(struct pg_tx *t) { return t->score; }

/* lookups: the real resolver, with the budget kept in the session */

uint64_t th_lookup_budget_ms = 5000;

static char th_server[64];
static const char *th_servers[1] = { th_server };
static struct lookup_conf th_conf = { th_servers, 1, 500, 2 };

int
th_dns_server(const char *server)
{
	char err[256];

	snprintf(th_server, sizeof(th_server), "%s", server);
	if (lookup_check(&th_conf, err, sizeof(err)) == -1) {
		set_err(err);
		return -1;
	}
	return 0;
}

/* th_deadline - what is left of s's budget, from now */
static uint64_t
th_deadline(struct pg_session *s, uint64_t now)
{
	uint64_t spent = s != NULL ? s->lookup_ms : 0;

	return spent >= th_lookup_budget_ms ? now :
	    now + th_lookup_budget_ms - spent;
}

static int
th_dns_query(struct pg_session *s, struct pg_dns_query *q, size_t n)
{
	uint64_t t0 = clock_ms();

	if (lookup_dns(th_server[0] ? &th_conf : NULL, q, n,
	    th_deadline(s, t0)) == -1) {
		set_err("dns_query: bad arguments");
		return -1;
	}
	if (s != NULL)
		s->lookup_ms += clock_ms() - t0;
	return 0;
}

static int
th_dnsbl_query(struct pg_session *s, const char *subject,
    struct pg_dnsbl_zone *z, size_t n)
{
	uint64_t t0 = clock_ms();

	if (lookup_dnsbl(th_server[0] ? &th_conf : NULL, subject, z, n,
	    th_deadline(s, t0)) == -1) {
		set_err("dnsbl_query: bad arguments");
		return -1;
	}
	if (s != NULL)
		s->lookup_ms += clock_ms() - t0;
	return 0;
}

const struct pg_host th_host = {
	.abi = PG_PLUGIN_ABI,
	.size = sizeof(struct pg_host),
	.version = "test",
	.log = th_vlog,
	.last_error = th_last_error,
	.opt_get = th_opt_get,
	.opt_count = th_opt_count,
	.opt_key = th_opt_key,
	.opt_value = th_opt_value,
	.opt_where = th_opt_where,
	.session_str = th_session_str,
	.session_client_port = th_session_client_port,
	.session_macro = th_session_macro,
	.session_data_get = th_session_data_get,
	.session_data_set = th_session_data_set,
	.tx_session = th_tx_session,
	.tx_id = th_tx_id,
	.tx_sender = th_tx_sender,
	.tx_rcpt_count = th_tx_rcpt_count,
	.tx_rcpt = th_tx_rcpt,
	.tx_data_get = th_tx_data_get,
	.tx_data_set = th_tx_data_set,
	.tx_header_count = th_tx_header_count,
	.tx_header_at = th_tx_header_at,
	.tx_header = th_tx_header,
	.tx_header_raw = th_tx_header_raw,
	.tx_size = th_tx_size,
	.tx_body_size = th_tx_body_size,
	.tx_body_read = th_tx_body_read,
	.tx_add_header = th_tx_add_header,
	.tx_insert_header = th_tx_insert_header,
	.tx_change_header = th_tx_change_header,
	.tx_delete_header = th_tx_delete_header,
	.tx_add_rcpt = host_add_rcpt,
	.tx_del_rcpt = th_tx_del_rcpt,
	.tx_change_sender = th_tx_change_sender,
	.tx_replace_body = th_tx_replace_body,
	.tx_quarantine = th_tx_quarantine,
	.tx_score = th_tx_score,
	.tx_score_total = th_tx_score_total,
	.dns_query = th_dns_query,
	.dns_release = lookup_dns_release,
	.dnsbl_query = th_dnsbl_query,
	.dnsbl_release = lookup_dnsbl_release,
	.dns_strerror = lookup_strerror,
	.store_incr = store_incr,
	.store_get = store_get,
	.store_set = store_set,
	.store_delete = store_delete,
	.store_strerror = store_strerror,
};

struct pg_options *
th_options(const char *const *kv)
{
	struct pg_options *o = calloc(1, sizeof(*o));

	for (; kv[0] && kv[1] && o->n < 64; kv += 2, o->n++) {
		o->k[o->n] = strdup(kv[0]);
		o->v[o->n] = strdup(kv[1]);
	}
	return o;
}

void
th_options_free(struct pg_options *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->n; i++) {
		free(o->k[i]);
		free(o->v[i]);
	}
	free(o);
}

struct pg_session *
th_session_new(const char *addr, const char *name, const char *helo)
{
	static unsigned long seq;
	struct pg_session *s = calloc(1, sizeof(*s));
	char id[32];

	snprintf(id, sizeof(id), "S%lu", __atomic_add_fetch(&seq, 1,
	    __ATOMIC_SEQ_CST));
	s->str[PG_S_ID] = strdup(id);
	s->str[PG_S_CLIENT_ADDR] = strdup(addr ? addr : "192.0.2.1");
	s->str[PG_S_CLIENT_NAME] = strdup(name ? name : "unknown");
	s->str[PG_S_HELO] = helo ? strdup(helo) : NULL;
	s->str[PG_S_FRONTEND] = strdup("check");
	s->port = 54321;
	return s;
}

void
th_session_free(struct pg_session *s)
{
	int i;

	if (s == NULL)
		return;
	if (s->data && s->data_free)
		s->data_free(s->data);
	for (i = 0; i < 7; i++)
		free(s->str[i]);
	free(s);
}

struct pg_tx *
th_tx_new(struct pg_session *s, const char *sender)
{
	struct pg_tx *t = calloc(1, sizeof(*t));

	t->s = s;
	t->id = strdup("4XyZ1Q2abc");
	t->sender = strdup(sender ? sender : "");
	return t;
}

void
th_tx_add_rcpt(struct pg_tx *t, const char *a)
{
	if (t->nrcpt < TH_MAX)
		t->rcpt[t->nrcpt++] = strdup(a);
}

/* unfold - the value of a field: CR/LF removed, outer white space trimmed */
static char *
unfold(const char *raw, size_t len)
{
	char *v = malloc(len + 1);
	size_t i, j = 0;

	for (i = 0; i < len; i++)
		if (raw[i] != '\r' && raw[i] != '\n')
			v[j++] = raw[i];
	v[j] = '\0';
	for (i = 0; v[i] == ' ' || v[i] == '\t'; i++)
		;
	memmove(v, v + i, j - i + 1);
	j -= i;
	while (j > 0 && (v[j - 1] == ' ' || v[j - 1] == '\t'))
		v[--j] = '\0';
	return v;
}

void
th_tx_message(struct pg_tx *t, const char *m, size_t len)
{
	const char *p = m, *end = m + len, *eol, *colon, *fstart;

	t->size = len;
	while (p < end) {
		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
			p += *p == '\r' ? 2 : 1;
			break;
		}
		fstart = p;
		/* a field ends at a line end not followed by white space */
		for (eol = p; eol < end; eol++)
			if (*eol == '\n' && !(eol + 1 < end &&
			    (eol[1] == ' ' || eol[1] == '\t')))
				break;
		colon = memchr(fstart, ':', (size_t)(eol - fstart));
		if (colon && t->nhdr < TH_MAX) {
			struct th_hdr *h = &t->hdr[t->nhdr++];

			h->name = strndup(fstart, (size_t)(colon - fstart));
			h->raw = strndup(colon + 1, (size_t)(eol - colon));
			h->value = unfold(colon + 1, (size_t)(eol - colon - 1));
		}
		p = eol < end ? eol + 1 : end;
	}
	t->bodylen = (size_t)(end - p);
	t->body = malloc(t->bodylen + 1);
	memcpy(t->body, p, t->bodylen);
	t->body[t->bodylen] = '\0';
}

void
th_tx_free(struct pg_tx *t)
{
	size_t i;

	if (t == NULL)
		return;
	if (t->data && t->data_free)
		t->data_free(t->data);
	for (i = 0; i < t->nrcpt; i++)
		free(t->rcpt[i]);
	for (i = 0; i < t->nhdr; i++) {
		free(t->hdr[i].name);
		free(t->hdr[i].value);
		free(t->hdr[i].raw);
	}
	free(t->id);
	free(t->sender);
	free(t->body);
	free(t->changes);
	free(t->symbols);
	free(t);
}

enum pg_verdict
th_run(const struct pg_plugin *p, void *st, struct pg_session *s,
    struct pg_tx *tx, const char *helo, char *phase, size_t phaselen,
    struct pg_reply *r)
{
	enum pg_verdict v;
	size_t i, kept;
	char *rcpts[TH_MAX];
	size_t n = tx->nrcpt;

#define DECIDE(name) do {						\
		if (v != PG_CONTINUE) {					\
			snprintf(phase, phaselen, "%s", name);		\
			goto out;					\
		}							\
		r->text[0] = '\0';					\
	} while (0)

	snprintf(phase, phaselen, "%s", "");
	r->text[0] = '\0';
	i = n;
	s->lookup_ms = 0;	/* each callback has its own lookup budget */
	v = p->on_connect(st, s, r);
	DECIDE("connect");
	if (helo) {
		free(s->str[PG_S_HELO]);
		s->str[PG_S_HELO] = strdup(helo);
		s->lookup_ms = 0;
		v = p->on_helo(st, s, helo, r);
		DECIDE("helo");
	}
	/* recipients are added as they pass */
	memcpy(rcpts, tx->rcpt, n * sizeof(char *));
	tx->nrcpt = 0;
	s->lookup_ms = 0;
	v = p->on_mail(st, tx, tx->sender, r);
	if (v != PG_CONTINUE) {
		memcpy(tx->rcpt, rcpts, n * sizeof(char *));
		tx->nrcpt = n;
	}
	DECIDE("mail");
	for (i = 0, kept = 0; i < n; i++) {
		s->lookup_ms = 0;
		v = p->on_rcpt(st, tx, rcpts[i], r);
		if (v == PG_REJECT || v == PG_TEMPFAIL || v == PG_ERROR) {
			change(tx, "rcpt_refused %s %s", rcpts[i], r->text);
			free(rcpts[i]);
			r->text[0] = '\0';
			continue;
		}
		tx->rcpt[kept++] = rcpts[i];
		tx->nrcpt = kept;
		if (v != PG_CONTINUE) {
			size_t j;

			for (j = i + 1; j < n; j++)
				tx->rcpt[kept++] = rcpts[j];
			tx->nrcpt = kept;
			snprintf(phase, phaselen, "rcpt");
			goto out;
		}
	}
	if (tx->nrcpt == 0) {
		snprintf(phase, phaselen, "rcpt");
		snprintf(r->text, sizeof(r->text), "554 5.5.1 no valid recipients");
		v = PG_REJECT;
		goto out;
	}
	s->lookup_ms = 0;
	v = p->on_data(st, tx, r);
	DECIDE("data");
	for (i = 0; i < tx->nhdr; i++) {
		s->lookup_ms = 0;
		v = p->on_header(st, tx, tx->hdr[i].name, tx->hdr[i].value, r);
		DECIDE("header");
	}
	s->lookup_ms = 0;
	v = p->on_eoh(st, tx, r);
	DECIDE("eoh");
	s->lookup_ms = 0;
	v = p->on_eom(st, tx, r);
	DECIDE("eom");
out:
	s->lookup_ms = 0;
	p->on_close(st, s);
	return v;
#undef DECIDE
}

char *
th_read_file(const char *path, size_t *lenp)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (fp == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap + 1);
		}
		if ((n = fread(buf + len, 1, cap - len, fp)) == 0)
			break;
		len += n;
	}
	fclose(fp);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}
