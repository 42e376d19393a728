/*
 * metrics - per-thread counters and histograms, summed on read (metrics.h)
 *
 * Public: metrics_fe_of(), metrics_result_name(), metrics_session_open(),
 * metrics_session_close(), metrics_message(), metrics_reload(),
 * metrics_count(), metrics_observe(), metrics_render().
 *
 * A shard is written by its thread only and read by metrics_render() on
 * another: every cell is an atomic written with a relaxed load and store
 * (a plain add on x86 and arm64, no locked instruction), read relaxed. A
 * named series is claimed in the writer's table by writing its labels and
 * then publishing its family with a release store; the reader takes the
 * family with an acquire load, so it never sees half a label. Entries are
 * never removed: a series that stops moving keeps its last value, as
 * Prometheus counters must.
 *
 * Label values come from the configuration (filter names), from filters
 * (symbols: letters, digits, '_', '-', '.') and from the host (lookup
 * statuses); they are escaped for the text format all the same.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "xmalloc.h"

#define NB	14	/* histogram buckets, the last one +Inf */

/* bucket bounds in microseconds: 0.5 ms to 5 s */
static const uint64_t bounds[NB - 1] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
	500000, 1000000, 2500000, 5000000
};

typedef _Atomic uint64_t cell;

struct entry {
	_Atomic uint32_t fam;		/* 0: free; else family + 1 */
	char		 l1[METRICS_LABEL_MAX];
	char		 l2[24];
	cell		 n;		/* a counter; a histogram's count */
	cell		 sum;		/* a histogram's sum, microseconds */
	cell		 b[NB];		/* a histogram's buckets, not cumulative */
};

struct shard {
	struct shard	*next;
	cell		 opened[METRICS_FE_N], closed[METRICS_FE_N];
	cell		 msgs[METRICS_FE_N][METRICS_R_N];
	cell		 bytes[METRICS_FE_N];
	cell		 msg_sum[METRICS_FE_N], msg_b[METRICS_FE_N][NB];
	cell		 reloads[2];	/* failed, ok */
	cell		 dropped;
	struct entry	 e[METRICS_KEYS];
};

static _Atomic(struct shard *) shards;
static _Thread_local struct shard *mine;

static const char *fe_names[METRICS_FE_N] = { "smtp", "milter", "check" };
static const char *result_names[METRICS_R_N] = {
	"accept", "reject", "tempfail", "discard"
};

/* add - one writer: a load and a store, no locked instruction */
static inline void
add(cell *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) +
	    n, memory_order_relaxed);
}

static inline uint64_t
get(cell *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* shard - this thread's shard, made and linked at its first count */
static struct shard *
shard(void)
{
	struct shard *s = mine, *head;

	if (s != NULL)
		return s;
	if ((s = pg_calloc(1, sizeof(*s))) == NULL)
		return NULL;
	head = atomic_load(&shards);
	do
		s->next = head;
	while (!atomic_compare_exchange_weak(&shards, &head, s));
	mine = s;
	return s;
}

enum metrics_fe
metrics_fe_of(const char *frontend)
{
	if (frontend != NULL && strcmp(frontend, "smtp") == 0)
		return METRICS_FE_SMTP;
	if (frontend != NULL && strcmp(frontend, "milter") == 0)
		return METRICS_FE_MILTER;
	return METRICS_FE_CHECK;
}

const char *
metrics_result_name(enum metrics_result r)
{
	return (unsigned)r < METRICS_R_N ? result_names[r] : "?";
}

void
metrics_session_open(enum metrics_fe fe)
{
	struct shard *s = shard();

	if (s != NULL && (unsigned)fe < METRICS_FE_N)
		add(&s->opened[fe], 1);
}

void
metrics_session_close(enum metrics_fe fe)
{
	struct shard *s = shard();

	if (s != NULL && (unsigned)fe < METRICS_FE_N)
		add(&s->closed[fe], 1);
}

/* bucket - the bucket of us microseconds */
static unsigned
bucket(uint64_t us)
{
	unsigned i;

	for (i = 0; i < NB - 1; i++)
		if (us <= bounds[i])
			return i;
	return NB - 1;
}

void
metrics_message(enum metrics_fe fe, enum metrics_result r, uint64_t filter_us,
    uint64_t size)
{
	struct shard *s = shard();

	if (s == NULL || (unsigned)fe >= METRICS_FE_N ||
	    (unsigned)r >= METRICS_R_N)
		return;
	add(&s->msgs[fe][r], 1);
	add(&s->bytes[fe], size);
	add(&s->msg_sum[fe], filter_us);
	add(&s->msg_b[fe][bucket(filter_us)], 1);
}

void
metrics_reload(int ok)
{
	struct shard *s = shard();

	if (s != NULL)
		add(&s->reloads[ok ? 1 : 0], 1);
}

/* hash - FNV-1a over the family and the labels */
static uint32_t
hash(unsigned fam, const char *l1, const char *l2)
{
	uint32_t h = 2166136261u ^ fam;

	for (; *l1 != '\0'; l1++)
		h = (h ^ (unsigned char)*l1) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (; l2 != NULL && *l2 != '\0'; l2++)
		h = (h ^ (unsigned char)*l2) * 16777619u;
	return h;
}

/* same - does e hold (l1, l2)? (l1 cut as it was kept) */
static int
same(const struct entry *e, const char *l1, const char *l2)
{
	return strncmp(e->l1, l1, sizeof(e->l1) - 1) == 0 &&
	    strncmp(e->l2, l2 != NULL ? l2 : "", sizeof(e->l2) - 1) == 0;
}

/* find - the entry of a named series in this thread's table, claimed if new */
static struct entry *
find(struct shard *s, enum metrics_family fam, const char *l1, const char *l2)
{
	uint32_t h = hash(fam, l1, l2), i, f;
	struct entry *e;

	for (i = 0; i < METRICS_KEYS; i++) {
		e = &s->e[(h + i) % METRICS_KEYS];
		f = atomic_load_explicit(&e->fam, memory_order_relaxed);
		if (f == (uint32_t)fam + 1 && same(e, l1, l2))
			return e;
		if (f == 0) {
			snprintf(e->l1, sizeof(e->l1), "%s", l1);
			snprintf(e->l2, sizeof(e->l2), "%s", l2 != NULL ? l2 : "");
			atomic_store_explicit(&e->fam, (uint32_t)fam + 1,
			    memory_order_release);
			return e;
		}
	}
	add(&s->dropped, 1);
	return NULL;
}

void
metrics_count(enum metrics_family fam, const char *l1, const char *l2,
    uint64_t n)
{
	struct shard *s = shard();
	struct entry *e;

	if (s == NULL || (unsigned)fam >= METRICS_NFAMILIES || l1 == NULL)
		return;
	if ((e = find(s, fam, l1, l2)) != NULL)
		add(&e->n, n);
}

void
metrics_observe(enum metrics_family fam, const char *l1, uint64_t us)
{
	struct shard *s = shard();
	struct entry *e;

	if (s == NULL || (unsigned)fam >= METRICS_NFAMILIES || l1 == NULL)
		return;
	if ((e = find(s, fam, l1, NULL)) == NULL)
		return;
	add(&e->n, 1);
	add(&e->sum, us);
	add(&e->b[bucket(us)], 1);
}

/* --- reading --- */

/* a growing text buffer; oom set once an allocation failed */
struct sb {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

static void
sb_printf(struct sb *b, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static void
sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *p;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if ((size_t)n < b->cap - b->len) {
		b->len += n;
		return;
	}
	need = b->len + n + 1;
	if ((p = pg_realloc(b->p, need * 2)) == NULL) {
		b->oom = 1;
		return;
	}
	b->p = p;
	b->cap = need * 2;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += n;
}

/* esc - a label value for the text format: \\, \" and \n escaped */
static const char *
esc(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s != '\0' && o + 3 < len; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n') {
			buf[o++] = '\\';
			buf[o++] = *s == '\n' ? 'n' : *s;
		} else
			buf[o++] = *s;
	}
	buf[o] = '\0';
	return buf;
}

/* hist - a histogram's buckets (cumulative), sum and count */
static void
hist(struct sb *b, const char *name, const char *labels, const uint64_t *bk,
    uint64_t sum)
{
	uint64_t cum = 0;
	unsigned i;

	for (i = 0; i < NB - 1; i++) {
		cum += bk[i];
		sb_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels,
		    labels[0] ? "," : "", bounds[i] / 1e6,
		    (unsigned long long)cum);
	}
	cum += bk[NB - 1];
	sb_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels,
	    labels[0] ? "," : "", (unsigned long long)cum);
	sb_printf(b, "%s_sum{%s} %.6f\n", name, labels, sum / 1e6);
	sb_printf(b, "%s_count{%s} %llu\n", name, labels,
	    (unsigned long long)cum);
}

/* the fixed series, summed */
struct fixed {
	uint64_t opened[METRICS_FE_N], closed[METRICS_FE_N];
	uint64_t msgs[METRICS_FE_N][METRICS_R_N], bytes[METRICS_FE_N];
	uint64_t msg_sum[METRICS_FE_N], msg_b[METRICS_FE_N][NB];
	uint64_t reloads[2], dropped;
};

/* sum_fixed - the fixed series of every shard */
static void
sum_fixed(struct fixed *f)
{
	struct shard *s;
	unsigned i, j;

	memset(f, 0, sizeof(*f));
	for (s = atomic_load(&shards); s != NULL; s = s->next) {
		for (i = 0; i < METRICS_FE_N; i++) {
			f->opened[i] += get(&s->opened[i]);
			f->closed[i] += get(&s->closed[i]);
			f->bytes[i] += get(&s->bytes[i]);
			f->msg_sum[i] += get(&s->msg_sum[i]);
			for (j = 0; j < METRICS_R_N; j++)
				f->msgs[i][j] += get(&s->msgs[i][j]);
			for (j = 0; j < NB; j++)
				f->msg_b[i][j] += get(&s->msg_b[i][j]);
		}
		f->reloads[0] += get(&s->reloads[0]);
		f->reloads[1] += get(&s->reloads[1]);
		f->dropped += get(&s->dropped);
	}
}

/* render_fixed - sessions, messages, reloads */
static void
render_fixed(struct sb *b)
{
	const char *h = "phasegate_message_filter_duration_seconds";
	struct fixed f;
	char lab[64];
	unsigned i, j;

	sum_fixed(&f);
	sb_printf(b, "# HELP phasegate_sessions_total Sessions (SMTP "
	    "connections, milter connections) started.\n"
	    "# TYPE phasegate_sessions_total counter\n");
	for (i = 0; i < METRICS_FE_N; i++)
		sb_printf(b, "phasegate_sessions_total{frontend=\"%s\"} %llu\n",
		    fe_names[i], (unsigned long long)f.opened[i]);
	sb_printf(b, "# HELP phasegate_sessions_open Sessions running now.\n"
	    "# TYPE phasegate_sessions_open gauge\n");
	for (i = 0; i < METRICS_FE_N; i++)
		sb_printf(b, "phasegate_sessions_open{frontend=\"%s\"} %llu\n",
		    fe_names[i], (unsigned long long)(f.opened[i] > f.closed[i] ?
		    f.opened[i] - f.closed[i] : 0));
	sb_printf(b, "# HELP phasegate_messages_total Messages by front end "
	    "and result.\n# TYPE phasegate_messages_total counter\n");
	for (i = 0; i < METRICS_FE_N; i++)
		for (j = 0; j < METRICS_R_N; j++)
			sb_printf(b, "phasegate_messages_total{frontend=\"%s\","
			    "result=\"%s\"} %llu\n", fe_names[i],
			    result_names[j], (unsigned long long)f.msgs[i][j]);
	sb_printf(b, "# HELP phasegate_message_bytes_total Bytes of the "
	    "messages counted.\n# TYPE phasegate_message_bytes_total counter\n");
	for (i = 0; i < METRICS_FE_N; i++)
		sb_printf(b, "phasegate_message_bytes_total{frontend=\"%s\"} "
		    "%llu\n", fe_names[i], (unsigned long long)f.bytes[i]);
	sb_printf(b, "# HELP %s Time a message spent in filters.\n"
	    "# TYPE %s histogram\n", h, h);
	for (i = 0; i < METRICS_FE_N; i++) {
		snprintf(lab, sizeof(lab), "frontend=\"%s\"", fe_names[i]);
		hist(b, h, lab, f.msg_b[i], f.msg_sum[i]);
	}
	sb_printf(b, "# HELP phasegate_reloads_total SIGHUP reloads.\n"
	    "# TYPE phasegate_reloads_total counter\n"
	    "phasegate_reloads_total{result=\"ok\"} %llu\n"
	    "phasegate_reloads_total{result=\"failed\"} %llu\n",
	    (unsigned long long)f.reloads[1], (unsigned long long)f.reloads[0]);
	sb_printf(b, "# HELP phasegate_metrics_dropped_total Counts not kept "
	    "(a thread's table of named series was full).\n"
	    "# TYPE phasegate_metrics_dropped_total counter\n"
	    "phasegate_metrics_dropped_total %llu\n",
	    (unsigned long long)f.dropped);
}

/* one named series, summed over the shards */
struct row {
	unsigned	 fam;
	const char	*l1, *l2;
	uint64_t	 n, sum, b[NB];
};

static const struct {
	const char *name, *type, *help, *k1, *k2;
} fams[METRICS_NFAMILIES] = {
	{ "phasegate_filter_verdicts_total", "counter",
	  "Verdicts that decided, by filter (or actions) and verdict.",
	  "filter", "verdict" },
	{ "phasegate_symbols_total", "counter",
	  "Symbols hit, once per message and symbol.", "symbol", NULL },
	{ "phasegate_filter_errors_total", "counter",
	  "Filter failures (the filter's on_error verdict applied), by phase.",
	  "filter", "phase" },
	{ "phasegate_filter_timeouts_total", "counter",
	  "Filter failures that were timeouts, by phase.", "filter", "phase" },
	{ "phasegate_filter_duration_seconds", "histogram",
	  "Time of one filter call.", "filter", NULL },
	{ "phasegate_lookups_total", "counter",
	  "DNS lookups of filters, by kind (dns, dnsbl) and status.",
	  "kind", "status" },
	{ "phasegate_store_ops_total", "counter",
	  "pg.store calls, by operation and result (ok, miss, error).",
	  "op", "result" },
};

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c;

	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	if ((c = strcmp(x->l1, y->l1)) != 0)
		return c;
	return strcmp(x->l2, y->l2);
}

/* gather - every named series of every shard, sorted and merged; count in *n */
static struct row *
gather(size_t *n)
{
	struct shard *s;
	struct row *r;
	size_t cap = 0, k = 0, i, o;
	unsigned j, f;

	for (s = atomic_load(&shards); s != NULL; s = s->next)
		cap += METRICS_KEYS;
	if ((r = pg_calloc(cap + 1, sizeof(*r))) == NULL)
		return NULL;
	for (s = atomic_load(&shards); s != NULL; s = s->next)
		for (i = 0; i < METRICS_KEYS; i++) {
			struct entry *e = &s->e[i];

			f = atomic_load_explicit(&e->fam, memory_order_acquire);
			if (f == 0 || f > METRICS_NFAMILIES)
				continue;
			r[k].fam = f - 1;
			r[k].l1 = e->l1;
			r[k].l2 = e->l2;
			r[k].n = get(&e->n);
			r[k].sum = get(&e->sum);
			for (j = 0; j < NB; j++)
				r[k].b[j] = get(&e->b[j]);
			k++;
		}
	qsort(r, k, sizeof(*r), row_cmp);
	for (i = 0, o = 0; i < k; i++) {
		if (o > 0 && row_cmp(&r[o - 1], &r[i]) == 0) {
			r[o - 1].n += r[i].n;
			r[o - 1].sum += r[i].sum;
			for (j = 0; j < NB; j++)
				r[o - 1].b[j] += r[i].b[j];
		} else
			r[o++] = r[i];
	}
	*n = o;
	return r;
}

/* render_named - the families with names in their labels */
static void
render_named(struct sb *b, const struct row *r, size_t n)
{
	char lab[2 * METRICS_LABEL_MAX + 128], e1[2 * METRICS_LABEL_MAX],
	    e2[64];
	size_t i = 0;
	unsigned f;

	for (f = 0; f < METRICS_NFAMILIES; f++) {
		sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", fams[f].name,
		    fams[f].help, fams[f].name, fams[f].type);
		for (; i < n && r[i].fam == f; i++) {
			esc(r[i].l1, e1, sizeof(e1));
			if (fams[f].k2 != NULL)
				snprintf(lab, sizeof(lab), "%s=\"%s\",%s=\"%s\"",
				    fams[f].k1, e1, fams[f].k2,
				    esc(r[i].l2, e2, sizeof(e2)));
			else
				snprintf(lab, sizeof(lab), "%s=\"%s\"",
				    fams[f].k1, e1);
			if (f == METRICS_FILTER_TIME)
				hist(b, fams[f].name, lab, r[i].b, r[i].sum);
			else
				sb_printf(b, "%s{%s} %llu\n", fams[f].name, lab,
				    (unsigned long long)r[i].n);
		}
	}
}

char *
metrics_render(size_t *len)
{
	struct sb b = { NULL, 0, 0, 0 };
	struct row *r;
	size_t n = 0;

	if ((b.p = pg_malloc(b.cap = 16384)) == NULL)
		return NULL;
	b.p[0] = '\0';
	render_fixed(&b);
	if ((r = gather(&n)) == NULL)
		b.oom = 1;
	else
		render_named(&b, r, n);
	free(r);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}
