/*
 * regex - the regex plugin: Postfix header_checks/body_checks-style rules
 *
 * Configuration: { plugin = "regex", rules = "/path/file.rules",
 * body_max = "10M", skip_clients_file = "/path/relays.cidr" } (clients in
 * that map get no rule). The rules file has one rule a line:
 *
 *	TARGET /PATTERN/FLAGS ACTION [args]
 *
 * TARGET is client, helo, from, rcpt, "header NAME", "header *" (or
 * headers), body, or one of the host's decoded content (end of data):
 * text, url, domain, filename, "decoded NAME"; ACTION is REJECT [text], TEMPFAIL [text], DISCARD
 * [note], ACCEPT [note], SCORE n SYMBOL or ADD_HEADER Name: value. See
 * docs/regex-plugin.md for the full syntax and semantics.
 *
 * Public: the descriptor phasegate_plugin, nothing else (the module exports
 * that one symbol). It uses only what plugin.h gives and host/lib/re.c, which
 * is compiled into it; it links against nothing of the host. The rules file
 * is read by rx_rules.c.
 *
 * Phases: phases() reports only the phases the rules file uses: connect
 * for client rules, helo, mail for from rules (and for client/helo SCORE
 * and ADD_HEADER rules, whose effects are applied at MAIL to each
 * transaction), rcpt, header, and eom with the body for body rules. A
 * file of header rules alone makes the host (and the MTA, through the
 * milter) skip every other phase and never send the body.
 *
 * Ownership: the compiled rules belong to the state init() returns and are
 * read-only until fini(), so callbacks on any number of threads share them.
 * Per-session and per-transaction bookkeeping (which SCORE/ADD_HEADER rules
 * already fired; effects of client/helo rules waiting for a transaction)
 * lives in the host's data slots and is freed by the host. Match scratch
 * space is allocated per callback, never kept in thread-local storage, so
 * unloading the plugin leaves no destructor behind in running threads.
 *
 * Trust: the rules file is trusted configuration but checked strictly;
 * every error is "FILE:LINE: reason" in init()'s err. Subjects (envelope,
 * headers, body) are untrusted: each is matched on at most its first
 * RX_SUBJECT_MAX bytes, and a body is read only up to body_max bytes.
 * A match that fails (PCRE2's match limit) counts as no match and is
 * logged once per callback. Captured text put into replies and headers has
 * its control characters replaced.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <phasegate/plugin.h>

#include "re.h"
#include "rx_rules.h"

#define RX_SUBJECT_MAX	(64 * 1024)		/* bytes of one subject matched */
#define RX_BODY_MAX	(10 * 1024 * 1024)	/* default body_max */
#define RX_CHUNK	(64 * 1024)		/* body read size */
#define RX_NREF		10			/* $0 (internal) .. $9 */

struct rx {
	const struct pg_host *host;
	char		*file;
	struct rx_rules	 rs;
	uint64_t	 body_max;
	struct pg_map	*skip_clients;	/* skip_clients_file: a cidr map */
};

/* A client/helo SCORE or ADD_HEADER that waits for the next transactions. */
struct pending {
	size_t		 rule;
	char		*value;		/* ADD_HEADER: expanded value */
};

struct sdata {
	struct pending	*pend;
	size_t		 npend;
	unsigned char	 fired[];	/* per rule: a once-only effect was taken */
};

/* A transaction's bookkeeping is a plain byte array, one byte per rule. */

/* Context of one callback's matching. */
struct run {
	struct rx	*rx;
	struct pg_session *s;
	struct pg_tx	*tx;		/* NULL at connect/helo */
	unsigned char	*fired;		/* tdata or sdata bits */
	struct sdata	*sd;		/* at connect/helo: where effects wait */
	struct re_md	*md;
	int		 warned;	/* a match error was logged */
	struct pg_reply	*reply;
};

static int
action_terminal(enum rx_action a)
{
	return a == RX_A_REJECT || a == RX_A_TEMPFAIL || a == RX_A_DISCARD ||
	    a == RX_A_ACCEPT;
}

/* parse_size - "10M", "512k", "1048576" (1024-based); 0 or -1 */
static int
parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t mul = 1;
	char *e;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno != 0)
		return -1;
	switch (*e) {
	case 'k': case 'K': mul = 1024; e++; break;
	case 'm': case 'M': mul = 1024 * 1024; e++; break;
	case 'g': case 'G': mul = 1024 * 1024 * 1024; e++; break;
	}
	if (*e == 'b' || *e == 'B')
		e++;
	if (*e != '\0' || v == 0 || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

static void
rx_free(struct rx *rx)
{
	if (rx == NULL)
		return;
	rx_rules_free(&rx->rs);
	free(rx->file);
	free(rx);
}

/* skip_open - the skip_clients_file map; -1 with err */
static int
skip_open(struct rx *rx, const char *path, char *err, size_t errlen)
{
	char merr[256];

	if (!PG_SIZE_HAS(rx->host, struct pg_host, map_match)) {
		snprintf(err, errlen, "skip_clients_file: this phasegate has "
		    "no maps");
		return -1;
	}
	if ((rx->skip_clients = rx->host->map_open(path, "cidr", merr,
	    sizeof(merr))) == NULL) {
		snprintf(err, errlen, "skip_clients_file: %s", merr);
		return -1;
	}
	return 0;
}

/* skipped - the session's client is in skip_clients_file */
static int
skipped(const struct rx *rx, struct pg_session *s)
{
	const char *addr;
	char val[8];

	if (rx->skip_clients == NULL ||
	    (addr = rx->host->session_str(s, PG_S_CLIENT_ADDR)) == NULL)
		return 0;
	return rx->host->map_match(rx->skip_clients, addr, strlen(addr), val,
	    sizeof(val)) == 1;
}

static int
rx_init(const struct pg_host *host, const struct pg_options *opts,
    void **state, char *err, size_t errlen)
{
	const char *rules = NULL, *key, *val;
	struct rx *rx;
	size_t i, n;

	if (host == NULL || host->abi != PG_PLUGIN_ABI ||
	    host->size < sizeof(struct pg_host)) {
		snprintf(err, errlen, "host ABI mismatch");
		return -1;
	}
	if ((rx = calloc(1, sizeof(*rx))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rx->host = host;
	rx->body_max = RX_BODY_MAX;
	n = opts != NULL ? host->opt_count(opts) : 0;
	for (i = 0; i < n; i++) {
		key = host->opt_key(opts, i);
		val = host->opt_value(opts, i);
		if (strcmp(key, "rules") == 0)
			rules = val;
		else if (strcmp(key, "body_max") == 0) {
			if (parse_size(val, &rx->body_max) == -1) {
				snprintf(err, errlen, "bad body_max '%.64s' "
				    "(a size like 10M)", val);
				goto fail;
			}
		} else if (strcmp(key, "skip_clients_file") == 0) {
			if (skip_open(rx, val, err, errlen) == -1)
				goto fail;
		} else {
			snprintf(err, errlen, "unknown option '%.64s' (regex "
			    "knows rules, body_max, skip_clients_file)", key);
			goto fail;
		}
	}
	if (rules == NULL || *rules == '\0') {
		snprintf(err, errlen, "missing option 'rules' (the rules "
		    "file)");
		goto fail;
	}
	if ((rx->file = strdup(rules)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (rx_rules_load(&rx->rs, rx->file, err, errlen) == -1)
		goto fail;
	host->log(NULL, PG_LOG_INFO, "regex: %zu rules from %s", rx->rs.nrules,
	    rx->file);
	*state = rx;
	return 0;
fail:
	rx_free(rx);
	return -1;
}

static void
rx_fini(void *state)
{
	rx_free(state);
}

/* ---- matching ---- */

/*
 * expand - copy template t into out (outlen bytes) with $1..$9 replaced by
 * the captures of subj (unset groups: empty) and $$ by $. Captured control
 * characters (and with ascii, 8-bit bytes: SMTP replies are ASCII) become
 * '?'. Truncates at outlen - 1.
 */
static void
expand(const char *t, const char *subj, const size_t *ov, size_t nov,
    int ascii, char *out, size_t outlen)
{
	size_t o = 0, k, i;

	for (; *t != '\0' && o + 1 < outlen; t++) {
		if (t[0] == '$' && t[1] == '$') {
			out[o++] = '$';
			t++;
			continue;
		}
		if (t[0] != '$' || t[1] < '1' || t[1] > '9') {
			out[o++] = *t;
			continue;
		}
		k = (size_t)(t[1] - '0');
		t++;
		if (k >= nov || ov[2 * k] == RE_UNSET || ov[2 * k + 1] <
		    ov[2 * k])
			continue;
		for (i = ov[2 * k]; i < ov[2 * k + 1] && o + 1 < outlen; i++) {
			unsigned char c = (unsigned char)subj[i];

			out[o++] = c < 0x20 || c == 0x7f || (ascii && c > 0x7f) ?
			    '?' : (char)c;
		}
	}
	out[o] = '\0';
}

/* try - match rule r on subj; 1 match (ov filled), 0 no match or error */
static int
try(struct run *run, const struct rx_rule *r, const char *subj, size_t len,
    size_t *ov)
{
	char msg[128];
	int rc;

	if (len > RX_SUBJECT_MAX)
		len = RX_SUBJECT_MAX;
	rc = re_find(r->re, subj, len, 0, ov, RX_NREF, 0, run->md);
	if (rc >= 0)
		return rc;
	if (!run->warned) {
		run->warned = 1;
		run->rx->host->log(run->s, PG_LOG_WARN, "regex: %s: %s, "
		    "taken as no match", r->where,
		    re_strerror(rc, msg, sizeof(msg)));
	}
	return 0;
}

/* session_add - queue a client/helo effect for the session's transactions */
static int
session_add(struct sdata *sd, size_t rule, const char *value)
{
	struct pending *np;

	np = realloc(sd->pend, (sd->npend + 1) * sizeof(*np));
	if (np == NULL)
		return -1;
	sd->pend = np;
	np[sd->npend].rule = rule;
	np[sd->npend].value = NULL;
	if (value != NULL && (np[sd->npend].value = strdup(value)) == NULL)
		return -1;
	sd->npend++;
	return 0;
}

/* effect - apply a SCORE or ADD_HEADER to tx; 0 or -1 (logged) */
static int
effect(struct rx *rx, struct pg_session *s, struct pg_tx *tx,
    const struct rx_rule *r, const char *value)
{
	int rc;

	if (r->action == RX_A_SCORE)
		rc = rx->host->tx_score(tx, r->score, r->symbol, r->where);
	else
		rc = rx->host->tx_add_header(tx, r->aname, value);
	if (rc == -1)
		rx->host->log(s, PG_LOG_WARN, "regex: %s: %s", r->where,
		    rx->host->last_error());
	return rc;
}

/*
 * fire - take rule r's action after a match of subj (captures ov). Returns
 * the verdict: PG_CONTINUE for SCORE and ADD_HEADER, which act once per
 * transaction (client/helo rules: once per session, applied to each of its
 * transactions at MAIL).
 */
static enum pg_verdict
fire(struct run *run, const struct rx_rule *r, const char *subj,
    const size_t *ov)
{
	struct rx *rx = run->rx;
	size_t idx = (size_t)(r - rx->rs.rules);
	char value[RX_HVALUE_MAX + 1];

	switch (r->action) {
	case RX_A_REJECT:
	case RX_A_TEMPFAIL:
		expand(r->text, subj, ov, RX_NREF, 1, run->reply->text,
		    sizeof(run->reply->text) < RX_REPLY_MAX + 1 ?
		    sizeof(run->reply->text) : RX_REPLY_MAX + 1);
		rx->host->log(run->s, PG_LOG_INFO, "regex: %s: %s", r->where,
		    r->action == RX_A_REJECT ? "reject" : "tempfail");
		return r->action == RX_A_REJECT ? PG_REJECT : PG_TEMPFAIL;
	case RX_A_DISCARD:
	case RX_A_ACCEPT:
		rx->host->log(run->s, PG_LOG_INFO, "regex: %s: %s%s%s",
		    r->where, r->action == RX_A_DISCARD ? "discard" : "accept",
		    r->text != NULL ? ": " : "", r->text != NULL ? r->text :
		    "");
		return r->action == RX_A_DISCARD ? PG_DISCARD : PG_ACCEPT;
	case RX_A_SCORE:
	case RX_A_ADD_HEADER:
		break;
	}
	if (run->fired[idx])
		return PG_CONTINUE;
	run->fired[idx] = 1;
	if (r->action == RX_A_ADD_HEADER)
		expand(r->text, subj, ov, RX_NREF, 0, value, sizeof(value));
	rx->host->log(run->s, PG_LOG_DEBUG, "regex: %s: %s", r->where,
	    r->action == RX_A_SCORE ? r->symbol : r->aname);
	if (run->tx != NULL)
		(void)effect(rx, run->s, run->tx, r, value);
	else if (session_add(run->sd, idx,
	    r->action == RX_A_ADD_HEADER ? value : NULL) == -1) {
		rx->host->log(run->s, PG_LOG_WARN, "regex: %s: out of memory",
		    r->where);
		return PG_ERROR;
	}
	return PG_CONTINUE;
}

/*
 * rule_skip - whether a rule can be left out: a once-only rule that has
 * already fired changes nothing more.
 */
static int
rule_skip(const struct run *run, const struct rx_rule *r)
{
	return !action_terminal(r->action) &&
	    run->fired[(size_t)(r - run->rx->rs.rules)];
}

/*
 * run_phase - the rules of phase ph on one subject; for client rules, on
 * the address and then (when the address does not match) the name.
 */
static enum pg_verdict
run_phase(struct run *run, enum rx_phase ph, const char *subj,
    const char *subj2)
{
	size_t ov[2 * RX_NREF], i;
	struct rx *rx = run->rx;
	enum pg_verdict v;

	for (i = 0; i < rx->rs.nphase[ph]; i++) {
		const struct rx_rule *r = &rx->rs.rules[rx->rs.phase[ph][i]];
		const char *s = subj;

		if (rule_skip(run, r))
			continue;
		if (!try(run, r, s, strlen(s), ov)) {
			if (subj2 == NULL)
				continue;
			s = subj2;
			if (!try(run, r, s, strlen(s), ov))
				continue;
		}
		if ((v = fire(run, r, s, ov)) != PG_CONTINUE)
			return v;
	}
	return PG_CONTINUE;
}

/* free_sdata_cb - free a session's bookkeeping (the host calls it) */
static void
free_sdata_cb(void *p)
{
	struct sdata *sd = p;
	size_t i;

	if (sd == NULL)
		return;
	for (i = 0; i < sd->npend; i++)
		free(sd->pend[i].value);
	free(sd->pend);
	free(sd);
}

/* sdata_get - the session's bookkeeping, created on first use */
static struct sdata *
sdata_get(struct rx *rx, struct pg_session *s)
{
	struct sdata *sd;

	if ((sd = rx->host->session_data_get(s)) != NULL)
		return sd;
	if ((sd = calloc(1, sizeof(*sd) + rx->rs.nrules + 1)) == NULL)
		return NULL;
	rx->host->session_data_set(s, sd, free_sdata_cb);
	return sd;
}

/* tdata_get - the transaction's fired bytes, created on first use */
static unsigned char *
tdata_get(struct rx *rx, struct pg_tx *tx)
{
	unsigned char *td;

	if ((td = rx->host->tx_data_get(tx)) != NULL)
		return td;
	if ((td = calloc(1, rx->rs.nrules + 1)) == NULL)
		return NULL;
	rx->host->tx_data_set(tx, td, free);
	return td;
}

/*
 * run_begin - set up the matching context of one callback: bookkeeping of
 * the tx (or of the session at connect/helo) and scratch space. 0; 1 when
 * the client is in skip_clients_file (no rule runs: PG_CONTINUE, no
 * run_end()); or -1 with the reason in reply (PG_ERROR).
 */
static int
run_begin(struct run *run, struct rx *rx, struct pg_session *s,
    struct pg_tx *tx, struct pg_reply *reply)
{
	struct sdata *sd;
	unsigned char *td;

	if (skipped(rx, s))
		return 1;
	memset(run, 0, sizeof(*run));
	run->rx = rx;
	run->s = s;
	run->tx = tx;
	run->reply = reply;
	if (tx != NULL) {
		if ((td = tdata_get(rx, tx)) == NULL)
			goto nomem;
		run->fired = td;
	} else {
		if ((sd = sdata_get(rx, s)) == NULL)
			goto nomem;
		run->fired = sd->fired;
		run->sd = sd;
	}
	if ((run->md = re_md_new()) == NULL)
		goto nomem;
	return 0;
nomem:
	snprintf(reply->text, sizeof(reply->text), "regex: out of memory");
	return -1;
}

static void
run_end(struct run *run)
{
	re_md_free(run->md);
}

/* nz - a host string or "" */
static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

static enum pg_verdict
rx_connect(void *state, struct pg_session *s, struct pg_reply *reply)
{
	struct rx *rx = state;
	struct run run;
	enum pg_verdict v;
	int rc;

	if (rx->rs.nphase[RX_P_CONNECT] == 0)
		return PG_CONTINUE;
	if ((rc = run_begin(&run, rx, s, NULL, reply)) != 0)
		return rc == 1 ? PG_CONTINUE : PG_ERROR;
	v = run_phase(&run, RX_P_CONNECT,
	    nz(rx->host->session_str(s, PG_S_CLIENT_ADDR)),
	    nz(rx->host->session_str(s, PG_S_CLIENT_NAME)));
	run_end(&run);
	return v;
}

static enum pg_verdict
rx_helo(void *state, struct pg_session *s, const char *name,
    struct pg_reply *reply)
{
	struct rx *rx = state;
	struct run run;
	enum pg_verdict v;
	int rc;

	if (rx->rs.nphase[RX_P_HELO] == 0)
		return PG_CONTINUE;
	if ((rc = run_begin(&run, rx, s, NULL, reply)) != 0)
		return rc == 1 ? PG_CONTINUE : PG_ERROR;
	v = run_phase(&run, RX_P_HELO, nz(name), NULL);
	run_end(&run);
	return v;
}

static enum pg_verdict
rx_mail(void *state, struct pg_tx *tx, const char *sender,
    struct pg_reply *reply)
{
	struct rx *rx = state;
	struct pg_session *s = rx->host->tx_session(tx);
	struct sdata *sd;
	struct run run;
	enum pg_verdict v;
	size_t i;
	int rc;

	/* SCORE/ADD_HEADER of client and helo rules land on every tx. */
	if (s != NULL && (sd = rx->host->session_data_get(s)) != NULL)
		for (i = 0; i < sd->npend; i++)
			(void)effect(rx, s, tx, &rx->rs.rules[sd->pend[i].rule],
			    sd->pend[i].value);
	if (rx->rs.nphase[RX_P_MAIL] == 0)
		return PG_CONTINUE;
	if ((rc = run_begin(&run, rx, s, tx, reply)) != 0)
		return rc == 1 ? PG_CONTINUE : PG_ERROR;
	v = run_phase(&run, RX_P_MAIL, nz(sender), NULL);
	run_end(&run);
	return v;
}

static enum pg_verdict
rx_rcpt(void *state, struct pg_tx *tx, const char *rcpt,
    struct pg_reply *reply)
{
	struct rx *rx = state;
	struct run run;
	enum pg_verdict v;
	int rc;

	if (rx->rs.nphase[RX_P_RCPT] == 0)
		return PG_CONTINUE;
	if ((rc = run_begin(&run, rx, rx->host->tx_session(tx), tx, reply)) != 0)
		return rc == 1 ? PG_CONTINUE : PG_ERROR;
	v = run_phase(&run, RX_P_RCPT, nz(rcpt), NULL);
	run_end(&run);
	return v;
}

static enum pg_verdict
rx_header(void *state, struct pg_tx *tx, const char *name, const char *value,
    struct pg_reply *reply)
{
	size_t ov[2 * RX_NREF], i, nl, vl;
	struct rx *rx = state;
	char *line = NULL;
	const char *subj;
	size_t len;
	struct run run;
	enum pg_verdict v = PG_CONTINUE;
	int rc;

	if (rx->rs.nphase[RX_P_HEADER] == 0)
		return PG_CONTINUE;
	name = nz(name);
	value = nz(value);
	if ((rc = run_begin(&run, rx, rx->host->tx_session(tx), tx, reply)) != 0)
		return rc == 1 ? PG_CONTINUE : PG_ERROR;
	for (i = 0; i < rx->rs.nphase[RX_P_HEADER]; i++) {
		const struct rx_rule *r = &rx->rs.rules[rx->rs.phase[RX_P_HEADER][i]];

		if (rule_skip(&run, r))
			continue;
		if (r->target == RX_T_HEADER) {
			if (strcasecmp(r->hname, name) != 0)
				continue;
			subj = value;
			len = strlen(value);
		} else {
			if (line == NULL) {
				/* "Name: value", at most what is matched */
				nl = strlen(name);
				vl = strlen(value);
				len = nl + 2 + vl;
				if (len > RX_SUBJECT_MAX)
					len = RX_SUBJECT_MAX;
				if ((line = malloc(len + 1)) == NULL) {
					snprintf(reply->text,
					    sizeof(reply->text),
					    "regex: out of memory");
					v = PG_ERROR;
					break;
				}
				snprintf(line, len + 1, "%s: %s", name, value);
			}
			subj = line;
			len = strlen(line);
		}
		if (!try(&run, r, subj, len, ov))
			continue;
		if ((v = fire(&run, r, subj, ov)) != PG_CONTINUE)
			break;
	}
	free(line);
	run_end(&run);
	return v;
}

/* body_live - whether some body rule can still change anything */
static int
body_live(const struct run *run)
{
	const struct rx *rx = run->rx;
	size_t i;

	for (i = 0; i < rx->rs.nphase[RX_P_BODY]; i++)
		if (!rule_skip(run, &rx->rs.rules[rx->rs.phase[RX_P_BODY][i]]))
			return 1;
	return 0;
}

/* body_line - the body rules on one line (without its line end) */
static enum pg_verdict
body_line(struct run *run, const char *line, size_t len)
{
	size_t ov[2 * RX_NREF], i;
	struct rx *rx = run->rx;
	enum pg_verdict v;

	for (i = 0; i < rx->rs.nphase[RX_P_BODY]; i++) {
		const struct rx_rule *r = &rx->rs.rules[rx->rs.phase[RX_P_BODY][i]];

		if (rule_skip(run, r) || !try(run, r, line, len, ov))
			continue;
		if ((v = fire(run, r, line, ov)) != PG_CONTINUE)
			return v;
	}
	return PG_CONTINUE;
}

/*
 * rx_eom - body rules, line by line. Lines longer than RX_SUBJECT_MAX are
 * matched on their first RX_SUBJECT_MAX bytes; reading stops after
 * body_max bytes, or as soon as no body rule can change anything more.
 */
/* A line of the body gathered across reads. */
struct lines {
	char		*line;		/* RX_SUBJECT_MAX bytes */
	size_t		 llen;
	int		 trunc;		/* the line was longer than the buffer */
};

/* line_end - the length of a line without its CR (unless it was cut) */
static size_t
line_end(const char *p, size_t len, int trunc)
{
	return !trunc && len > 0 && p[len - 1] == '\r' ? len - 1 : len;
}

/* body_chunk - match the lines of one read of the body; a verdict */
static enum pg_verdict
body_chunk(struct run *run, struct lines *l, const char *buf, size_t n)
{
	const char *p, *e = buf + n, *nl;
	enum pg_verdict v;
	size_t seg, take;

	for (p = buf; p < e; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(e - p));
		seg = (size_t)((nl != NULL ? nl : e) - p);
		if (l->llen == 0 && nl != NULL) {
			/* a whole line in buf: match it in place */
			v = body_line(run, p, line_end(p, seg, 0));
		} else {
			/* a line across reads: gather its start */
			take = RX_SUBJECT_MAX - l->llen;
			if (take > seg)
				take = seg;
			else if (take < seg)
				l->trunc = 1;
			memcpy(l->line + l->llen, p, take);
			l->llen += take;
			if (nl == NULL)
				return PG_CONTINUE;
			v = body_line(run, l->line, line_end(l->line, l->llen,
			    l->trunc));
			l->llen = 0;
			l->trunc = 0;
		}
		if (v != PG_CONTINUE || nl == NULL)
			return v;
	}
	return PG_CONTINUE;
}

static enum pg_verdict rx_body(struct rx *, struct pg_tx *, struct pg_reply *);

/* content_one - rule r on one subject: a verdict, or -1 when it did not match */
static int
content_one(struct run *run, const struct rx_rule *r, const char *s,
    size_t len)
{
	size_t ov[2 * RX_NREF];

	if (s == NULL || !try(run, r, s, len, ov))
		return -1;
	return (int)fire(run, r, s, ov);
}

/* content_text - a text rule on each line of the message's text */
static int
content_text(struct run *run, const struct rx_rule *r, const char *t,
    size_t len)
{
	const char *p, *e = t + len, *nl;
	int v;

	for (p = t; p < e; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			nl = e;
		if ((v = content_one(run, r, p, (size_t)(nl - p) < RX_SUBJECT_MAX ?
		    (size_t)(nl - p) : RX_SUBJECT_MAX)) != -1)
			return v;
	}
	return -1;
}

/* content_rule - one content rule over all its subjects */
static int
content_rule(struct run *run, struct pg_tx *tx, const struct rx_rule *r)
{
	const struct pg_host *h = run->rx->host;
	const char *s;
	size_t i, n, len;
	int v = -1;

	switch (r->target) {
	case RX_T_TEXT:
		s = h->tx_text(tx, &len);
		return s != NULL ? content_text(run, r, s, len) : -1;
	case RX_T_URL:
	case RX_T_DOMAIN:
		n = h->tx_url_count(tx);
		for (i = 0; i < n && v == -1; i++) {
			s = h->tx_url_str(tx, i, r->target == RX_T_URL ?
			    PG_U_URL : PG_U_DOMAIN);
			v = content_one(run, r, s, s ? strlen(s) : 0);
		}
		return v;
	case RX_T_FILENAME:
		n = h->tx_part_count(tx);
		for (i = 0; i < n && v == -1; i++) {
			s = h->tx_part_str(tx, i, PG_P_FILENAME);
			v = content_one(run, r, s, s ? strlen(s) : 0);
		}
		return v;
	default:
		for (i = 1; v == -1 && (s = h->tx_header_decoded(tx, r->hname,
		    i)) != NULL; i++)
			v = content_one(run, r, s, strlen(s));
		return v;
	}
}

/* content_rules - the rules on the host's decoded content, in file order */
static enum pg_verdict
content_rules(struct rx *rx, struct pg_tx *tx, struct pg_reply *reply)
{
	struct run run;
	size_t i;
	int v = -1;
	int rc;

	if (!PG_SIZE_HAS(rx->host, struct pg_host, tx_url_part) ||
	    rx->host->tx_text == NULL) {
		snprintf(reply->text, sizeof(reply->text), "regex: this host "
		    "offers no message content (text, url, domain, filename, "
		    "decoded rules)");
		return PG_ERROR;
	}
	if ((rc = run_begin(&run, rx, rx->host->tx_session(tx), tx, reply)) != 0)
		return rc == 1 ? PG_CONTINUE : PG_ERROR;
	for (i = 0; i < rx->rs.nphase[RX_P_CONTENT]; i++) {
		const struct rx_rule *r =
		    &rx->rs.rules[rx->rs.phase[RX_P_CONTENT][i]];

		if (rule_skip(&run, r))
			continue;
		if ((v = content_rule(&run, tx, r)) != -1 && v != PG_CONTINUE)
			break;
	}
	run_end(&run);
	return v == -1 ? PG_CONTINUE : (enum pg_verdict)v;
}

static enum pg_verdict
rx_eom(void *state, struct pg_tx *tx, struct pg_reply *reply)
{
	struct rx *rx = state;
	enum pg_verdict v = PG_CONTINUE;

	if (rx->rs.nphase[RX_P_BODY] > 0)
		v = rx_body(rx, tx, reply);
	if (v == PG_CONTINUE && rx->rs.nphase[RX_P_CONTENT] > 0)
		v = content_rules(rx, tx, reply);
	return v;
}

/* rx_body - the body rules, line by line on the raw body */
static enum pg_verdict
rx_body(struct rx *rx, struct pg_tx *tx, struct pg_reply *reply)
{
	struct lines l = { NULL, 0, 0 };
	char *buf = NULL;
	uint64_t left = rx->body_max;
	off_t off = 0;
	ssize_t n;
	struct run run;
	enum pg_verdict v = PG_CONTINUE;
	int rc;

	if ((rc = run_begin(&run, rx, rx->host->tx_session(tx), tx, reply)) != 0)
		return rc == 1 ? PG_CONTINUE : PG_ERROR;
	if ((buf = malloc(RX_CHUNK)) == NULL ||
	    (l.line = malloc(RX_SUBJECT_MAX)) == NULL) {
		snprintf(reply->text, sizeof(reply->text),
		    "regex: out of memory");
		v = PG_ERROR;
		goto out;
	}
	while (left > 0 && body_live(&run)) {
		size_t want = left < RX_CHUNK ? (size_t)left : RX_CHUNK;

		n = rx->host->tx_body_read(tx, off, buf, want);
		if (n < 0) {
			snprintf(reply->text, sizeof(reply->text),
			    "regex: cannot read the body: %s",
			    nz(rx->host->last_error()));
			v = PG_ERROR;
			goto out;
		}
		if (n == 0)
			break;
		if ((size_t)n > want)
			n = (ssize_t)want;
		off += n;
		left -= (uint64_t)n;
		if ((v = body_chunk(&run, &l, buf, (size_t)n)) != PG_CONTINUE)
			goto out;
	}
	/* the last line, without a line end or cut by body_max */
	if (l.llen > 0)
		v = body_line(&run, l.line, line_end(l.line, l.llen, l.trunc));
	if (left == 0)
		rx->host->log(run.s, PG_LOG_DEBUG, "regex: body scan stopped "
		    "at body_max (%llu bytes)", (unsigned long long)rx->body_max);
out:
	free(buf);
	free(l.line);
	run_end(&run);
	return v;
}

/* rx_phases - the phases the loaded rules use (PG_PHASE_*) */
static uint32_t
rx_phases(void *state)
{
	const struct rx *rx = state;
	uint32_t m = 0;
	size_t i;

	if (rx->rs.nphase[RX_P_CONNECT] > 0)
		m |= PG_PHASE_CONNECT;
	if (rx->rs.nphase[RX_P_HELO] > 0)
		m |= PG_PHASE_HELO;
	if (rx->rs.nphase[RX_P_MAIL] > 0)
		m |= PG_PHASE_MAIL;
	if (rx->rs.nphase[RX_P_RCPT] > 0)
		m |= PG_PHASE_RCPT;
	if (rx->rs.nphase[RX_P_HEADER] > 0)
		m |= PG_PHASE_HEADER;
	if (rx->rs.nphase[RX_P_BODY] > 0 || rx->rs.nphase[RX_P_CONTENT] > 0)
		m |= PG_PHASE_EOM | PG_PHASE_BODY;
	/* rx_mail hands client/helo effects to each transaction */
	for (i = 0; i < rx->rs.nrules; i++) {
		enum rx_phase ph = rx_rules_phase(rx->rs.rules[i].target);

		if ((ph == RX_P_CONNECT || ph == RX_P_HELO) &&
		    !action_terminal(rx->rs.rules[i].action))
			m |= PG_PHASE_MAIL;
	}
	return m;
}

const struct pg_plugin phasegate_plugin = {
	.abi = PG_PLUGIN_ABI,
	.size = sizeof(struct pg_plugin),
	.name = "regex",
	.flags = PG_PLUGIN_F_BODY | PG_PLUGIN_F_CHANGES,
	.init = rx_init,
	.fini = rx_fini,
	.on_connect = rx_connect,
	.on_helo = rx_helo,
	.on_mail = rx_mail,
	.on_rcpt = rx_rcpt,
	.on_header = rx_header,
	.on_eom = rx_eom,
	.phases = rx_phases,
};
