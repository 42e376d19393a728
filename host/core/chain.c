/*
 * chain - the phase engine: load a generation of filters and run them
 *
 * Public: chain_load(), chain_ref(), chain_unref(), chain_*() phases and
 * the queries in chain.h.
 *
 * Trust: filters are trusted code but not trusted to be right. Every
 * verdict and reply they return is checked; an unknown verdict, a bad
 * reply or PG_ERROR is a filter error, logged with the filter's name and
 * turned into that filter's on_error verdict (accept: go on as if the
 * filter were absent, as Postfix's milter_default_action = accept).
 * A chain generation is immutable after chain_load(), so many sessions run
 * it at once without locks; the refcount is atomic.
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
 * The chain_<phase>() functions do their own work whatever the masks say
 * (chain_rcpt() adds the recipient, chain_eom() holds the score against
 * the actions, sticky refusals and accepts are answered): a front end may
 * skip calling a phase nobody wants only when it needs none of that.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "config.h"
#include "host_api.h"
#include "log.h"
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
};

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

static const char reply_error_tempfail[] =
    "451 4.3.0 Temporary failure in a mail filter, try again later";
static const char reply_error_reject[] = "550 5.7.1 Message rejected";

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
	    == -1 ? -1 : 0;
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

/* decision_clear - a continue decision */
static void
decision_clear(struct decision *d)
{
	d->verdict = PG_CONTINUE;
	d->error = 0;
	d->by[0] = '\0';
	d->reply[0] = '\0';
}

static const char *verdict_names[] = {
	"continue", "accept", "reject", "tempfail", "discard", "error"
};

/*
 * filter_error - log a filter's failure and turn it into its on_error
 * verdict; PG_CONTINUE when on_error is accept.
 */
static enum pg_verdict
filter_error(struct pg_session *s, struct filter *f, enum chain_phase ph,
    const char *why, struct decision *d)
{
	char esc[1024];

	log_escape(esc, sizeof(esc), why, strlen(why));
	log_warnx("session %s: filter %s: %s: %s (on_error %s)",
	    session_str(s, PG_S_ID), f->name, phase_names[ph], esc,
	    verdict_names[f->on_error]);
	decision_clear(d);
	if (f->on_error == PG_ACCEPT)
		return PG_CONTINUE;
	d->error = 1;
	d->verdict = f->on_error;
	snprintf(d->by, sizeof(d->by), "%s", f->name);
	snprintf(d->reply, sizeof(d->reply), "%s", f->on_error == PG_REJECT ?
	    reply_error_reject : reply_error_tempfail);
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
	default:		return PG_CONTINUE;
	}
}

/*
 * run - run every filter's callback for ph until one returns a verdict
 * other than continue; the decision says which filter and what reply.
 */
static enum pg_verdict
run(struct pg_session *s, struct pg_tx *tx, enum chain_phase ph,
    const char *a1, const char *a2, struct decision *d)
{
	struct chain *c = session_chain(s);
	struct pg_reply r;
	enum pg_verdict v;
	size_t i;

	decision_clear(d);
	for (i = 0; i < c->n; i++) {
		struct filter *f = &c->f[i];

		if (!wants(f, ph))
			continue;
		r.text[0] = '\0';
		session_set_filter(s, (int)i);
		v = call(f, ph, s, tx, a1, a2, &r);
		session_set_filter(s, -1);
		r.text[sizeof(r.text) - 1] = '\0';

		switch (v) {
		case PG_CONTINUE:
			continue;
		case PG_ACCEPT:
		case PG_DISCARD:
			if (v == PG_DISCARD && tx == NULL) {
				v = filter_error(s, f, ph, "discard is a verdict "
				    "for messages, not for connect or HELO", d);
				break;
			}
			d->verdict = v;
			snprintf(d->by, sizeof(d->by), "%s", f->name);
			break;
		case PG_REJECT:
		case PG_TEMPFAIL: {
			char why[PG_REPLY_MAX + 64];

			if (reply_normalize(r.text, v, d->reply,
			    sizeof(d->reply)) != REPLY_OK) {
				snprintf(why, sizeof(why), "bad %s reply: %s",
				    verdict_names[v], d->reply);
				v = filter_error(s, f, ph, why, d);
				break;
			}
			d->verdict = v;
			snprintf(d->by, sizeof(d->by), "%s", f->name);
			break;
		}
		case PG_ERROR:
			v = filter_error(s, f, ph,
			    r.text[0] ? r.text : "filter failed", d);
			break;
		default: {
			char why[64];

			snprintf(why, sizeof(why), "unknown verdict %d", (int)v);
			v = filter_error(s, f, ph, why, d);
			break;
		}
		}
		if (v != PG_CONTINUE) {
			if (v != PG_ACCEPT)
				log_info("session %s: %s: %s by %s%s%s",
				    session_str(s, PG_S_ID), phase_names[ph],
				    verdict_names[v], d->by,
				    d->reply[0] ? ": " : "", d->reply);
			return v;
		}
	}
	return PG_CONTINUE;
}

/* refused - copy the session's sticky refusal into d, if any */
static int
refused(struct pg_session *s, struct decision *d)
{
	const struct decision *r = session_refusal(s);

	if (r == NULL)
		return 0;
	memcpy(d, r, sizeof(*d));
	return 1;
}

/* session_phase - connect and HELO: refusals and accepts stick */
static enum pg_verdict
session_phase(struct pg_session *s, enum chain_phase ph, const char *arg,
    struct decision *d)
{
	enum pg_verdict v;

	if (refused(s, d))
		return d->verdict;
	decision_clear(d);
	if (session_accepted(s))
		return PG_CONTINUE;
	v = run(s, NULL, ph, arg, NULL, d);
	if (v == PG_REJECT || v == PG_TEMPFAIL)
		session_set_refusal(s, d);
	else if (v == PG_ACCEPT)
		session_set_accepted(s);
	return v;
}

enum pg_verdict
chain_connect(struct pg_session *s, struct decision *d)
{
	return session_phase(s, CHAIN_CONNECT, NULL, d);
}

enum pg_verdict
chain_helo(struct pg_session *s, const char *name, struct decision *d)
{
	return session_phase(s, CHAIN_HELO, name, d);
}

/* tx_phase - a phase of a transaction: sticky refusal, accept, discard */
static enum pg_verdict
tx_phase(struct pg_tx *tx, enum chain_phase ph, const char *a1,
    const char *a2, struct decision *d)
{
	struct pg_session *s = tx_session(tx);
	enum pg_verdict v;

	if (refused(s, d))
		return d->verdict;
	decision_clear(d);
	if (session_accepted(s) || tx_accepted(tx) || tx_discarded(tx))
		return PG_CONTINUE;
	v = run(s, tx, ph, a1, a2, d);
	if (v == PG_ACCEPT)
		tx_set_accepted(tx);
	else if (v == PG_DISCARD)
		tx_set_discarded(tx);
	return v;
}

enum pg_verdict
chain_mail(struct pg_tx *tx, const char *sender, struct decision *d)
{
	return tx_phase(tx, CHAIN_MAIL, sender, NULL, d);
}

enum pg_verdict
chain_rcpt(struct pg_tx *tx, const char *rcpt, struct decision *d)
{
	char bare[1024];
	enum pg_verdict v;

	if (tx_addr_strip(rcpt, bare, sizeof(bare)) == -1 || bare[0] == '\0') {
		decision_clear(d);
		d->verdict = PG_REJECT;
		snprintf(d->reply, sizeof(d->reply),
		    "501 5.1.3 Bad recipient address syntax");
		return PG_REJECT;
	}
	v = tx_phase(tx, CHAIN_RCPT, bare, NULL, d);
	if (v != PG_REJECT && v != PG_TEMPFAIL && tx_add_rcpt(tx, bare) == -1) {
		decision_clear(d);
		d->verdict = PG_TEMPFAIL;
		snprintf(d->reply, sizeof(d->reply),
		    "452 4.3.1 Insufficient system resources");
		return PG_TEMPFAIL;
	}
	return v;
}

enum pg_verdict
chain_data(struct pg_tx *tx, struct decision *d)
{
	return tx_phase(tx, CHAIN_DATA, NULL, NULL, d);
}

/* unfold - a header value without line ends and outer white space */
static char *
unfold(const char *v, char *buf, size_t len)
{
	size_t o = 0;

	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	for (; *v != '\0' && o + 1 < len; v++)
		if (*v != '\r' && *v != '\n')
			buf[o++] = *v;
	while (o > 0 && (buf[o - 1] == ' ' || buf[o - 1] == '\t'))
		o--;
	buf[o] = '\0';
	return buf;
}

enum pg_verdict
chain_header(struct pg_tx *tx, const char *name, const char *value,
    struct decision *d)
{
	char small[1024], *buf = small;
	size_t len = strlen(value) + 1;
	enum pg_verdict v;

	if (len > sizeof(small) && (buf = pg_malloc(len)) == NULL) {
		decision_clear(d);
		d->verdict = PG_TEMPFAIL;
		snprintf(d->reply, sizeof(d->reply),
		    "451 4.3.1 Insufficient system resources");
		return PG_TEMPFAIL;
	}
	if (len <= sizeof(small))
		len = sizeof(small);
	v = tx_phase(tx, CHAIN_HEADER, name, unfold(value, buf, len), d);
	if (buf != small)
		free(buf);
	return v;
}

enum pg_verdict
chain_eoh(struct pg_tx *tx, struct decision *d)
{
	return tx_phase(tx, CHAIN_EOH, NULL, NULL, d);
}

enum pg_verdict
chain_headers(struct pg_tx *tx, struct decision *d)
{
	struct msg *m = tx_msg(tx);
	const char *name, *value, *raw;
	enum pg_verdict v;
	size_t i, n = msg_header_count(m);

	if (chain_wants(session_chain(tx_session(tx)), CHAIN_HEADER)) {
		for (i = 0; i < n; i++) {
			if (msg_header_at(m, i, &name, &value, &raw) == -1)
				continue;
			v = tx_phase(tx, CHAIN_HEADER, name, value, d);
			if (v != PG_CONTINUE)
				return v;
		}
	}
	return chain_eoh(tx, d);
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
	d->verdict = v;
	snprintf(d->by, sizeof(d->by), "actions");
	snprintf(d->reply, sizeof(d->reply), "%s", v == PG_REJECT ?
	    "550 5.7.1 Message rejected as spam" : "451 4.7.1 Try again later");
	log_info("session %s: eom: %s by actions: score %.2f >= %.2f",
	    session_str(s, PG_S_ID), verdict_names[v], total, threshold);
	return v;
}

enum pg_verdict
chain_eom(struct pg_tx *tx, struct decision *d)
{
	struct pg_session *s = tx_session(tx);
	const struct config *cfg = session_chain(s)->cfg;
	enum pg_verdict v;
	double total;

	if (refused(s, d))
		return d->verdict;
	decision_clear(d);
	if (tx_discarded(tx)) {
		d->verdict = PG_DISCARD;
		return PG_DISCARD;
	}
	if (session_accepted(s) || tx_accepted(tx))
		return PG_CONTINUE;
	v = tx_phase(tx, CHAIN_EOM, NULL, NULL, d);
	if (v != PG_CONTINUE || !cfg->has_actions)
		return v;

	total = tx_score_total(tx);
	if (!isnan(cfg->act_reject) && total >= cfg->act_reject)
		return by_actions(s, d, PG_REJECT, total, cfg->act_reject);
	if (!isnan(cfg->act_tempfail) && total >= cfg->act_tempfail)
		return by_actions(s, d, PG_TEMPFAIL, total, cfg->act_tempfail);
	if (spam_headers(tx, cfg, total) == -1) {
		log_warn("session %s: eom: cannot record X-Spam headers",
		    session_str(s, PG_S_ID));
		d->verdict = PG_TEMPFAIL;
		snprintf(d->reply, sizeof(d->reply),
		    "451 4.3.0 Temporary failure, try again later");
		return PG_TEMPFAIL;
	}
	return PG_CONTINUE;
}

void
chain_close(struct pg_session *s)
{
	struct chain *c = session_chain(s);
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (!wants(&c->f[i], CHAIN_CLOSE))
			continue;
		session_set_filter(s, (int)i);
		c->f[i].p->on_close(c->f[i].state, s);
		session_set_filter(s, -1);
	}
}
