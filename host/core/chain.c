/*
 * chain - the phase engine: load a generation of filters and call them
 *
 * Public: chain_load(), chain_ref(), chain_unref(), chain_call(),
 * chain_actions(), chain_limits() and the queries in chain.h.
 *
 * Trust: filters are trusted code but not trusted to be right. Every
 * verdict and reply they return is checked; an unknown verdict, a bad
 * reply or PG_ERROR is a filter error, logged with the filter's name and
 * turned into that filter's on_error verdict (accept: go on as if the
 * filter were absent, as Postfix's milter_default_action = accept).
 * A chain generation is immutable after chain_load(), so many sessions run
 * it at once without locks; the refcount is atomic. What changes per
 * session (the filter being called, the filters' data) is in the
 * session's host_frame, which the caller (run.c) owns.
 *
 * Loading runs at start and on every SIGHUP reload, in the running daemon:
 * it allocates with pg_*(), and any failure, out of memory included
 * ("FILE:LINE: out of memory"), unloads what was loaded so far and returns
 * NULL, so serve keeps the running generation.
 *
 * Phases: after a filter's init() the chain asks plugin_phases() once which
 * phases that instance uses (the plugin's phases(), or its non-NULL
 * callbacks) and keeps the mask. A filter is called only at the phases of
 * its mask, and chain_wants() is the union of the masks, so what a front
 * end negotiates away is exactly what no filter would have been called for.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "clock.h"
#include "store.h"
#include "config.h"
#include "decision.h"
#include "host_api.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "plugin_load.h"
#include "reply.h"
#include "session.h"
#include "tx.h"
#include "xmalloc.h"

struct filter {
	struct plugin_handle	*handle;
	const struct pg_plugin	*p;
	void			*state;
	int			 inited;
	char			*name;
	char			*where;
	enum pg_verdict		 on_error;
	uint32_t		 phases;	/* PG_PHASE_* of this instance */
	/* the burst of its last error (filter_error): races only miscount */
	_Atomic uint64_t	 err_last_ms;
	_Atomic uint32_t	 err_hash;
	_Atomic unsigned	 err_quiet;	/* not logged since */
};

/* the same error again within this long of the last: not logged again */
#define CHAIN_ERR_BURST_MS	10000

struct chain {
	atomic_int	 refs;
	struct config	*cfg;
	struct filter	*f;
	size_t		 n;
	uint32_t	 phases;	/* union of the filters' masks */
};

static const char *phase_names[CHAIN_NPHASES] = {
	"connect", "helo", "mail", "rcpt", "data", "header", "eoh", "eom",
	"close"
};

/* a filter's error, when its on_error is tempfail (reject: the default reply) */
static const char reply_error_tempfail[] =
    "451 4.3.0 Temporary failure in a mail filter, try again later";

const char *
chain_phase_name(enum chain_phase ph)
{
	return ph < CHAIN_NPHASES ? phase_names[ph] : "?";
}

/* filter_name - the name logs and check show: plugin name or script file */
static char *
filter_name(const struct config_filter *cf, const struct pg_plugin *p)
{
	const char *s;

	if (cf->script != NULL) {
		s = strrchr(cf->script, '/');
		return pg_strdup(s ? s + 1 : cf->script);
	}
	if (p->name != NULL && *p->name != '\0')
		return pg_strdup(p->name);
	s = strrchr(cf->plugin, '/');
	return pg_strdup(s ? s + 1 : cf->plugin);
}

/* path_option - options whose relative paths the host resolves */
static int
path_option(const char *key)
{
	size_t n = strlen(key);

	return strcmp(key, "rules") == 0 || strcmp(key, "file") == 0 ||
	    strcmp(key, "dir") == 0 ||
	    (n > 5 && strcmp(key + n - 5, "_file") == 0) ||
	    (n > 4 && strcmp(key + n - 4, "_dir") == 0);
}

/* filter_open - load the filter's plugin (a script's is the built-in "lua") */
static int
filter_open(const struct config *cfg, const struct config_filter *cf,
    struct filter *f, char *err, size_t errlen)
{
	char perr[1024] = "", *path;

	if (cf->script != NULL)
		f->handle = plugin_load("lua", perr, sizeof(perr));
	else if (strchr(cf->plugin, '/') == NULL)
		f->handle = plugin_load(cf->plugin, perr, sizeof(perr));
	else if ((path = config_path(cfg, cf->plugin)) == NULL)
		snprintf(perr, sizeof(perr), "out of memory");
	else {
		f->handle = plugin_load(path, perr, sizeof(perr));
		free(path);
	}
	if (f->handle == NULL) {
		snprintf(err, errlen, "%s: %s", f->where, perr);
		return -1;
	}
	f->p = plugin_desc(f->handle);
	if ((f->name = filter_name(cf, f->p)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", f->where);
		return -1;
	}
	return 0;
}

/* script_options - what the Lua bridge needs besides the entry's options */
static int
script_options(const struct config *cfg, const struct config_filter *cf,
    struct pg_options *opts)
{
	char timeout[32], memory[32], *script;
	int rc;

	if ((script = config_path(cfg, cf->script)) == NULL)
		return -1;
	snprintf(timeout, sizeof(timeout), "%llu",
	    (unsigned long long)cfg->timeout_script_ms);
	snprintf(memory, sizeof(memory), "%llu",
	    (unsigned long long)cfg->lua_memory_max);
	rc = host_options_add(opts, "script", script) == -1 ||
	    host_options_add(opts, "timeout_ms", timeout) == -1 ||
	    host_options_add(opts, "memory_max", memory) == -1 ||
	    host_options_add(opts, "path", cfg->lua_path ? cfg->lua_path : "")
	    == -1 || host_options_add(opts, "config_dir", cfg->dir ? cfg->dir :
	    "") == -1 ? -1 : 0;
	free(script);
	return rc;
}

/*
 * filter_options - the options handed to the filter's init(): its entry's,
 * with relative paths made absolute; NULL when out of memory
 */
static struct pg_options *
filter_options(const struct config *cfg, const struct config_filter *cf)
{
	struct pg_options *opts;
	size_t k;
	int rc;

	if ((opts = host_options_new(cf)) == NULL)
		return NULL;
	for (k = 0; k < cf->nopts; k++) {
		const char *v = cf->opts[k].value;
		char *abs = NULL;

		if (path_option(cf->opts[k].key) && v[0] != '/' && v[0] != '\0' &&
		    (v = abs = config_path(cfg, v)) == NULL)
			goto fail;
		rc = host_options_add(opts, cf->opts[k].key, v);
		free(abs);
		if (rc == -1)
			goto fail;
	}
	if (cf->script != NULL && script_options(cfg, cf, opts) == -1)
		goto fail;
	return opts;
fail:
	host_options_free(opts);
	return NULL;
}

/* load_filter - load and init one configured filter; -1 with err */
static int
load_filter(struct chain *c, size_t i, char *err, size_t errlen)
{
	const struct config *cfg = c->cfg;
	const struct config_filter *cf = &cfg->filters[i];
	struct filter *f = &c->f[i];
	struct pg_options *opts;
	char perr[1024];
	int rc = 0;

	f->on_error = cf->on_error;
	if ((f->where = pg_strdup(cf->where ? cf->where : cfg->file)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", cfg->file);
		return -1;
	}
	if (filter_open(cfg, cf, f, err, errlen) == -1)
		return -1;
	if ((opts = filter_options(cfg, cf)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", f->where);
		return -1;
	}
	if (f->p->init != NULL) {
		perr[0] = '\0';
		rc = f->p->init(host_api(), opts, &f->state, perr, sizeof(perr));
	}
	host_options_free(opts);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s %s: %s", f->where,
		    cf->script ? "script" : "plugin",
		    cf->script ? cf->script : plugin_path(f->handle),
		    perr[0] ? perr : "init failed");
		return -1;
	}
	f->inited = 1;
	f->phases = plugin_phases(f->handle, f->state);
	c->phases |= f->phases;
	return 0;
}

struct chain *
chain_load(struct config *cfg, char *err, size_t errlen)
{
	struct chain *c;
	size_t i;

	if ((c = pg_calloc(1, sizeof(*c))) == NULL ||
	    (c->f = pg_calloc(cfg->nfilters, sizeof(*c->f))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", cfg->file);
		free(c);
		return NULL;
	}
	atomic_init(&c->refs, 1);
	c->cfg = cfg;
	c->n = cfg->nfilters;
	for (i = 0; i < c->n; i++) {
		if (load_filter(c, i, err, errlen) == -1) {
			c->cfg = NULL;	/* the caller keeps cfg on failure */
			chain_unref(c);
			return NULL;
		}
	}
	if (store_apply(cfg, err, errlen) == -1) {
		c->cfg = NULL;
		chain_unref(c);
		return NULL;
	}
	return c;
}

void
chain_ref(struct chain *c)
{
	atomic_fetch_add(&c->refs, 1);
}

void
chain_unref(struct chain *c)
{
	size_t i;

	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	for (i = c->n; i-- > 0; ) {
		struct filter *f = &c->f[i];

		if (f->inited && f->p->fini != NULL)
			f->p->fini(f->state);
		if (f->handle != NULL)
			plugin_unload(f->handle);
		free(f->name);
		free(f->where);
	}
	free(c->f);
	config_free(c->cfg);
	free(c);
}

const struct config *
chain_config(const struct chain *c)
{
	return c->cfg;
}

size_t
chain_filter_count(const struct chain *c)
{
	return c ? c->n : 0;
}

const char *
chain_filter_name(const struct chain *c, size_t i)
{
	return i < c->n ? c->f[i].name : NULL;
}

/* PG_PHASE_* bits are 1 << CHAIN_*: one table for both */
_Static_assert(PG_PHASE_CONNECT == 1u << CHAIN_CONNECT &&
    PG_PHASE_HELO == 1u << CHAIN_HELO && PG_PHASE_MAIL == 1u << CHAIN_MAIL &&
    PG_PHASE_RCPT == 1u << CHAIN_RCPT && PG_PHASE_DATA == 1u << CHAIN_DATA &&
    PG_PHASE_HEADER == 1u << CHAIN_HEADER &&
    PG_PHASE_EOH == 1u << CHAIN_EOH && PG_PHASE_EOM == 1u << CHAIN_EOM &&
    PG_PHASE_CLOSE == 1u << CHAIN_CLOSE &&
    PG_PHASE_BODY == 1u << CHAIN_NPHASES, "PG_PHASE_* and CHAIN_* disagree");

/* wants - does filter f use phase ph */
static int
wants(const struct filter *f, enum chain_phase ph)
{
	return ph < CHAIN_NPHASES && (f->phases & (1u << ph)) != 0;
}

int
chain_wants(const struct chain *c, enum chain_phase ph)
{
	return ph < CHAIN_NPHASES && (c->phases & (1u << ph)) != 0;
}

int
chain_wants_body(const struct chain *c)
{
	return (c->phases & PG_PHASE_BODY) != 0;
}

uint32_t
chain_phases(const struct chain *c)
{
	return c->phases;
}

uint32_t
chain_filter_phases(const struct chain *c, size_t i)
{
	return i < c->n ? c->f[i].phases : 0;
}

int
chain_may_change(const struct chain *c)
{
	size_t i;

	if (c->cfg->has_actions)
		return 1;
	for (i = 0; i < c->n; i++)
		if (c->f[i].p->flags & PG_PLUGIN_F_CHANGES)
			return 1;
	return 0;
}

void
chain_limits(const struct chain *c, struct msg_limits *lim)
{
	msg_limits_default(lim);
	lim->memory_max = (size_t)c->cfg->spool_memory_max;
	if (c->cfg->spool_dir != NULL)
		lim->spool_dir = c->cfg->spool_dir;
	lim->mime.max_parts = c->cfg->mime_max_parts;
	lim->mime.max_depth = c->cfg->mime_max_depth;
	lim->mime.header_max = (size_t)c->cfg->mime_max_header;
	lim->decoded_max = (size_t)c->cfg->mime_max_decoded;
	lim->text_max = (size_t)c->cfg->mime_max_text;
	lim->urls_max = c->cfg->mime_max_urls;
	lim->archive_max = c->cfg->mime_max_archive_members;
}

/*
 * err_burst - 1 when this error is the one the filter had last, within
 * CHAIN_ERR_BURST_MS of it (counted, logged at debug only): a Redis down
 * or a script failing on every message is logged once per burst, not per
 * message (each message still has its summary line and its count)
 */
static int
err_burst(struct filter *f, const char *text)
{
	uint64_t now = clock_ms(), prev;
	uint32_t h = 2166136261u;
	const char *p;

	for (p = text; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	prev = atomic_exchange(&f->err_last_ms, now);
	if (atomic_exchange(&f->err_hash, h) == h && prev != 0 &&
	    now - prev < CHAIN_ERR_BURST_MS) {
		atomic_fetch_add(&f->err_quiet, 1);
		return 1;
	}
	return 0;
}

/*
 * filter_error - log a filter's failure and turn it into its on_error
 * verdict; PG_CONTINUE when on_error is accept.
 */
static enum pg_verdict
filter_error(struct pg_session *s, struct filter *f, enum chain_phase ph,
    const char *why, struct decision *d)
{
	char esc[1024], quiet[64];
	unsigned n;
	int burst;

	log_escape(esc, sizeof(esc), why, strlen(why));
	quiet[0] = '\0';
	burst = err_burst(f, esc);
	if (!burst && (n = atomic_exchange(&f->err_quiet, 0)) > 0)
		snprintf(quiet, sizeof(quiet), " (%u more before, not logged)",
		    n);
	metrics_count(METRICS_FILTER_ERROR, f->name, phase_names[ph], 1);
	/* the Lua sandbox's words for a script out of time (lua_sandbox.c) */
	if (strstr(why, "timed out") != NULL)
		metrics_count(METRICS_FILTER_TIMEOUT, f->name, phase_names[ph], 1);
	if (!burst)
		log_warnx("session %s: filter %s: %s: %s (on_error %s)%s",
		    session_str(s, PG_S_ID), f->name, phase_names[ph], esc,
		    decision_verdict_name(f->on_error), quiet);
	else
		log_debug("session %s: filter %s: %s: %s (on_error %s)",
		    session_str(s, PG_S_ID), f->name, phase_names[ph], esc,
		    decision_verdict_name(f->on_error));
	decision_clear(d);
	if (f->on_error != PG_ACCEPT) {
		decision_set(d, f->on_error, f->name, f->on_error == PG_REJECT ?
		    reply_default(PG_REJECT) : reply_error_tempfail);
		d->error = 1;
	}
	/* the reason, for phasegate check's report */
	snprintf(d->why, sizeof(d->why), "%s: %s", f->name, why);
	return d->verdict;
}

/* call - one filter's callback for a phase */
static enum pg_verdict
call(struct filter *f, enum chain_phase ph, struct pg_session *s,
    struct pg_tx *tx, const char *a1, const char *a2, struct pg_reply *r)
{
	const struct pg_plugin *p = f->p;

	switch (ph) {
	case CHAIN_CONNECT:	return p->on_connect(f->state, s, r);
	case CHAIN_HELO:	return p->on_helo(f->state, s, a1, r);
	case CHAIN_MAIL:	return p->on_mail(f->state, tx, a1, r);
	case CHAIN_RCPT:	return p->on_rcpt(f->state, tx, a1, r);
	case CHAIN_DATA:	return p->on_data(f->state, tx, r);
	case CHAIN_HEADER:	return p->on_header(f->state, tx, a1, a2, r);
	case CHAIN_EOH:		return p->on_eoh(f->state, tx, r);
	case CHAIN_EOM:		return p->on_eom(f->state, tx, r);
	case CHAIN_CLOSE:	p->on_close(f->state, s); return PG_CONTINUE;
	default:		return PG_CONTINUE;
	}
}

/*
 * verdict_of - check a filter's verdict and reply: the decision it makes,
 * or the filter's on_error verdict when either is bad
 */
static enum pg_verdict
verdict_of(struct pg_session *s, struct filter *f, enum chain_phase ph,
    struct pg_tx *tx, enum pg_verdict v, const struct pg_reply *r,
    struct decision *d)
{
	char why[PG_REPLY_MAX + 64];

	switch (v) {
	case PG_CONTINUE:
		return PG_CONTINUE;
	case PG_ACCEPT:
	case PG_DISCARD:
		if (v == PG_DISCARD && tx == NULL)
			return filter_error(s, f, ph, "discard is a verdict "
			    "for messages, not for connect or HELO", d);
		return decision_set(d, v, f->name, NULL);
	case PG_REJECT:
	case PG_TEMPFAIL:
		if (reply_normalize(r->text, v, d->reply,
		    sizeof(d->reply)) != REPLY_OK) {
			snprintf(why, sizeof(why), "bad %s reply: %s",
			    decision_verdict_name(v), d->reply);
			return filter_error(s, f, ph, why, d);
		}
		d->verdict = v;
		snprintf(d->by, sizeof(d->by), "%s", f->name);
		return v;
	case PG_ERROR:
		return filter_error(s, f, ph,
		    r->text[0] ? r->text : "filter failed", d);
	default:
		snprintf(why, sizeof(why), "unknown verdict %d", (int)v);
		return filter_error(s, f, ph, why, d);
	}
}

/*
 * timed - one call of filter i took us microseconds: its histogram, and
 * the transaction's times when the frame keeps them (run.c)
 */
static void
timed(struct host_frame *fr, const struct filter *f, size_t i, uint64_t us)
{
	metrics_observe(METRICS_FILTER_TIME, f->name, us);
	if (fr->filter_us != NULL)
		fr->filter_us[i] += us;
	fr->tx_us += us;
}

/*
 * decided - a filter's verdict ends the phase: counted; logged at info
 * for connect, HELO and RCPT, at debug for the phases of a message (its
 * summary line, msglog.h, says it at info)
 */
static void
decided(struct pg_session *s, enum chain_phase ph, enum pg_verdict v,
    const struct decision *d)
{
	metrics_count(METRICS_VERDICT, d->by, decision_verdict_name(v), 1);
	if (v == PG_ACCEPT)
		return;
	log_msg_level(ph == CHAIN_CONNECT || ph == CHAIN_HELO ||
	    ph == CHAIN_RCPT ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG,
	    "session %s: %s: %s by %s%s%s", session_str(s, PG_S_ID),
	    phase_names[ph], decision_verdict_name(v), d->by,
	    d->reply[0] ? ": " : "", d->reply);
}

enum pg_verdict
chain_call(const struct chain *c, struct host_frame *fr, enum chain_phase ph,
    struct pg_session *s, struct pg_tx *tx, const char *a1, const char *a2,
    struct decision *d)
{
	struct pg_reply r;
	enum pg_verdict v;
	uint64_t t0;
	size_t i;

	decision_clear(d);
	for (i = 0; i < c->n; i++) {
		struct filter *f = &c->f[i];

		if (!wants(f, ph))
			continue;
		r.text[0] = '\0';
		fr->filter = (int)i;
		fr->name = f->name;
		session_lookup_reset(s);	/* a new call, a new lookup budget */
		t0 = clock_us();
		v = call(f, ph, s, tx, a1, a2, &r);
		timed(fr, f, i, clock_us() - t0);
		fr->filter = -1;
		fr->name = NULL;
		r.text[sizeof(r.text) - 1] = '\0';
		v = verdict_of(s, f, ph, tx, v, &r, d);
		if (v != PG_CONTINUE) {
			decided(s, ph, v, d);
			return v;
		}
	}
	return PG_CONTINUE;
}

/* spam_headers - drop incoming X-Spam-* fields, add ours */
static int
spam_headers(struct pg_tx *tx, const struct config *cfg, double total)
{
	static const char *names[] = { "X-Spam-Flag", "X-Spam-Status" };
	struct msg *m = tx_msg(tx);
	struct msg_change ch;
	char status[4096], tests[3000];
	double required;
	size_t i, k, o = 0, col;
	int flag;

	/* delete every incoming field of these names, last first */
	for (k = 0; k < 2; k++) {
		size_t cnt = 0;

		while (msg_header(m, names[k], cnt + 1) != NULL)
			cnt++;
		while (cnt > 0) {
			memset(&ch, 0, sizeof(ch));
			ch.kind = MSG_DELETE_HEADER;
			ch.name = names[k];
			ch.index = cnt--;
			ch.filter = "actions";
			if (msg_change_add(m, &ch) == -1)
				return -1;
		}
	}

	required = !isnan(cfg->act_add_header) ? cfg->act_add_header :
	    !isnan(cfg->act_tempfail) ? cfg->act_tempfail :
	    !isnan(cfg->act_reject) ? cfg->act_reject : 0;
	flag = !isnan(cfg->act_add_header) && total >= cfg->act_add_header;

	/* tests=A,B,C: each symbol once, folded before 78 columns */
	tests[0] = '\0';
	col = 60;
	for (i = 0; i < tx_score_count(tx); i++) {
		const char *sym = tx_score_at(tx, i)->symbol;
		size_t j, sl = strlen(sym);

		for (j = 0; j < i; j++)
			if (strcmp(tx_score_at(tx, j)->symbol, sym) == 0)
				break;
		if (j < i)
			continue;
		if (o + sl + 4 >= sizeof(tests))
			break;
		if (o > 0) {
			tests[o++] = ',';
			col++;
			if (col + sl > 76) {
				tests[o++] = '\n';
				tests[o++] = '\t';
				col = 8;
			}
		}
		memcpy(tests + o, sym, sl);
		o += sl;
		col += sl;
		tests[o] = '\0';
	}
	snprintf(status, sizeof(status), "%s, score=%.1f required=%.1f tests=%s",
	    total >= required ? "Yes" : "No", total, required,
	    tests[0] ? tests : "none");

	if (flag) {
		memset(&ch, 0, sizeof(ch));
		ch.kind = MSG_ADD_HEADER;
		ch.name = "X-Spam-Flag";
		ch.value = "YES";
		ch.filter = "actions";
		if (msg_change_add(m, &ch) == -1)
			return -1;
	}
	memset(&ch, 0, sizeof(ch));
	ch.kind = MSG_ADD_HEADER;
	ch.name = "X-Spam-Status";
	ch.value = status;
	ch.filter = "actions";
	return msg_change_add(m, &ch);
}

/* by_actions - the score reached a threshold: reject or tempfail */
static enum pg_verdict
by_actions(struct pg_session *s, struct decision *d, enum pg_verdict v,
    double total, double threshold)
{
	decision_set(d, v, "actions", v == PG_REJECT ?
	    "550 5.7.1 Message rejected as spam" : reply_default(v));
	metrics_count(METRICS_VERDICT, "actions", decision_verdict_name(v), 1);
	log_debug("session %s: eom: %s by actions: score %.2f >= %.2f",
	    session_str(s, PG_S_ID), decision_verdict_name(v), total,
	    threshold);
	return v;
}

enum pg_verdict
chain_actions(const struct chain *c, struct pg_tx *tx, struct decision *d)
{
	const struct config *cfg = c->cfg;
	struct pg_session *s = tx_session(tx);
	double total;

	decision_clear(d);
	if (!cfg->has_actions)
		return PG_CONTINUE;
	total = tx_score_total(tx);
	if (!isnan(cfg->act_reject) && total >= cfg->act_reject)
		return by_actions(s, d, PG_REJECT, total, cfg->act_reject);
	if (!isnan(cfg->act_tempfail) && total >= cfg->act_tempfail)
		return by_actions(s, d, PG_TEMPFAIL, total, cfg->act_tempfail);
	if (spam_headers(tx, cfg, total) == -1) {
		log_warn("session %s: eom: cannot record X-Spam headers",
		    session_str(s, PG_S_ID));
		return decision_set(d, PG_TEMPFAIL, NULL,
		    "451 4.3.0 Temporary failure, try again later");
	}
	return PG_CONTINUE;
}
