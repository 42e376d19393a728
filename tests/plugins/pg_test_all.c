/*
 * pg_test_all - a test plugin that exercises every hook and every verdict
 *
 * Options (all optional; every phase is "continue" by default):
 *   connect|helo|mail|rcpt|data|header|eoh|eom = "VERDICT [reply text]"
 *       VERDICT: continue accept reject tempfail discard error bogus
 *       ("error" returns PG_ERROR with the text as message, "bogus" an
 *       unknown verdict number)
 *   match = "text"   only apply the phase verdicts of rcpt/helo/mail/header
 *                    when the argument (header: "Name: value") contains text
 *   add_header = "Name: value"      insert_header = "Name: value" (at top)
 *   change_header = "Name: value"   delete_header = "Name"
 *   add_rcpt, del_rcpt, change_sender = "addr"
 *   replace_body = "text"   quarantine = "reason"   score = "N SYMBOL"
 *       the changes and the score are made at eom, in the order above
 *   trace = "1"      log every callback (host->log) with its arguments
 *   phases = "helo rcpt ..."   what phases() reports: phase names and
 *                    "body", separated by spaces ("" none); without it,
 *                    every phase and the body, as the callbacks say
 * Unknown options are an init() error, as a real plugin should do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasegate/plugin.h>

static const char *phases[] = {
	"connect", "helo", "mail", "rcpt", "data", "header", "eoh", "eom"
};
static const char *changes[] = {
	"add_header", "insert_header", "change_header", "delete_header",
	"add_rcpt", "del_rcpt", "change_sender", "replace_body", "quarantine",
	"score"
};
#define NPHASES		(sizeof(phases) / sizeof(phases[0]))
#define NCHANGES	(sizeof(changes) / sizeof(changes[0]))

struct state {
	const struct pg_host	*host;
	enum pg_verdict		 verdict[NPHASES];
	char			*reply[NPHASES];
	char			*change[NCHANGES];
	char			*match;
	int			 trace;
	uint32_t		 phases;	/* PG_PHASE_* for phases() */
};

static int
parse_verdict(const char *v, enum pg_verdict *out, const char **rest)
{
	static const struct { const char *name; enum pg_verdict v; } t[] = {
		{ "continue", PG_CONTINUE }, { "accept", PG_ACCEPT },
		{ "reject", PG_REJECT }, { "tempfail", PG_TEMPFAIL },
		{ "discard", PG_DISCARD }, { "error", PG_ERROR },
		{ "bogus", (enum pg_verdict)99 }
	};
	size_t i, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = strlen(t[i].name);
		if (strncmp(v, t[i].name, n) == 0 && (v[n] == '\0' || v[n] == ' ')) {
			*out = t[i].v;
			*rest = v[n] ? v + n + 1 : "";
			return 0;
		}
	}
	return -1;
}

/* parse_phases - "helo rcpt body" into PG_PHASE_* bits */
static int
parse_phases(const char *v, uint32_t *out)
{
	static const char *names[] = {
		"connect", "helo", "mail", "rcpt", "data", "header", "eoh",
		"eom", "close", "body"
	};
	size_t i, n;

	*out = 0;
	for (;;) {
		while (*v == ' ')
			v++;
		if (*v == '\0')
			return 0;
		n = strcspn(v, " ");
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i]) == n && strncmp(v, names[i], n) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return -1;
		*out |= 1u << i;	/* PG_PHASE_* follow this order */
		v += n;
	}
}

static void
st_free(struct state *st)
{
	size_t i;

	for (i = 0; i < NPHASES; i++)
		free(st->reply[i]);
	for (i = 0; i < NCHANGES; i++)
		free(st->change[i]);
	free(st->match);
	free(st);
}

static int
t_init(const struct pg_host *host, const struct pg_options *opts,
    void **state, char *err, size_t errlen)
{
	struct state *st;
	size_t i, k;

	if (host->abi != PG_PLUGIN_ABI || host->size < sizeof(*host)) {
		snprintf(err, errlen, "host ABI mismatch");
		return -1;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	st->host = host;
	st->phases = PG_PHASE_ALL;
	for (i = 0; i < host->opt_count(opts); i++) {
		const char *key = host->opt_key(opts, i);
		const char *val = host->opt_value(opts, i);
		const char *rest;

		for (k = 0; k < NPHASES; k++)
			if (strcmp(key, phases[k]) == 0)
				break;
		if (k < NPHASES) {
			if (parse_verdict(val, &st->verdict[k], &rest) == -1) {
				snprintf(err, errlen, "%s: bad verdict \"%s\"",
				    key, val);
				st_free(st);
				return -1;
			}
			free(st->reply[k]);
			st->reply[k] = strdup(rest);
			continue;
		}
		for (k = 0; k < NCHANGES; k++)
			if (strcmp(key, changes[k]) == 0)
				break;
		if (k < NCHANGES) {
			free(st->change[k]);
			st->change[k] = strdup(val);
			continue;
		}
		if (strcmp(key, "phases") == 0) {
			if (parse_phases(val, &st->phases) == -1) {
				snprintf(err, errlen, "phases: bad phase in "
				    "\"%s\"", val);
				st_free(st);
				return -1;
			}
		} else if (strcmp(key, "match") == 0) {
			free(st->match);
			st->match = strdup(val);
		} else if (strcmp(key, "trace") == 0)
			st->trace = strcmp(val, "0") != 0 && strcmp(val, "false") != 0;
		else {
			snprintf(err, errlen, "%s: unknown option \"%s\"",
			    host->opt_where(opts), key);
			st_free(st);
			return -1;
		}
	}
	*state = st;
	return 0;
}

static void
t_fini(void *state)
{
	st_free(state);
}

/* verdict - the configured verdict for phase k, when arg matches */
static enum pg_verdict
verdict(struct state *st, size_t k, const char *arg, struct pg_reply *r)
{
	if (st->match != NULL && arg != NULL && strstr(arg, st->match) == NULL)
		return PG_CONTINUE;
	if (st->reply[k] != NULL)
		snprintf(r->text, sizeof(r->text), "%s", st->reply[k]);
	return st->verdict[k];
}

static enum pg_verdict
t_connect(void *state, struct pg_session *s, struct pg_reply *r)
{
	struct state *st = state;

	if (st->trace)
		st->host->log(s, PG_LOG_INFO, "connect %s [%s]:%d",
		    st->host->session_str(s, PG_S_CLIENT_NAME),
		    st->host->session_str(s, PG_S_CLIENT_ADDR),
		    st->host->session_client_port(s));
	return verdict(st, 0, NULL, r);
}

static enum pg_verdict
t_helo(void *state, struct pg_session *s, const char *name, struct pg_reply *r)
{
	struct state *st = state;

	if (st->trace)
		st->host->log(s, PG_LOG_INFO, "helo %s", name);
	return verdict(st, 1, name, r);
}

static enum pg_verdict
t_mail(void *state, struct pg_tx *tx, const char *sender, struct pg_reply *r)
{
	struct state *st = state;

	if (st->trace)
		st->host->log(st->host->tx_session(tx), PG_LOG_INFO,
		    "mail <%s>", sender);
	return verdict(st, 2, sender, r);
}

static enum pg_verdict
t_rcpt(void *state, struct pg_tx *tx, const char *rcpt, struct pg_reply *r)
{
	struct state *st = state;

	if (st->trace)
		st->host->log(st->host->tx_session(tx), PG_LOG_INFO,
		    "rcpt <%s>", rcpt);
	return verdict(st, 3, rcpt, r);
}

static enum pg_verdict
t_data(void *state, struct pg_tx *tx, struct pg_reply *r)
{
	struct state *st = state;

	if (st->trace)
		st->host->log(st->host->tx_session(tx), PG_LOG_INFO, "data");
	return verdict(st, 4, NULL, r);
}

static enum pg_verdict
t_header(void *state, struct pg_tx *tx, const char *name, const char *value,
    struct pg_reply *r)
{
	struct state *st = state;
	char line[1024];

	snprintf(line, sizeof(line), "%s: %s", name, value);
	if (st->trace)
		st->host->log(st->host->tx_session(tx), PG_LOG_INFO,
		    "header %s", line);
	return verdict(st, 5, line, r);
}

static enum pg_verdict
t_eoh(void *state, struct pg_tx *tx, struct pg_reply *r)
{
	struct state *st = state;

	if (st->trace)
		st->host->log(st->host->tx_session(tx), PG_LOG_INFO, "eoh");
	return verdict(st, 6, NULL, r);
}

/* split_header - "Name: value" into name (buf) and value */
static const char *
split_header(const char *s, char *buf, size_t len)
{
	const char *c = strchr(s, ':');

	if (c == NULL) {
		snprintf(buf, len, "%s", s);
		return "";
	}
	snprintf(buf, len, "%.*s", (int)(c - s), s);
	for (c++; *c == ' '; c++)
		;
	return c;
}

static enum pg_verdict
t_eom(void *state, struct pg_tx *tx, struct pg_reply *r)
{
	struct state *st = state;
	const struct pg_host *h = st->host;
	char name[256], sym[256];
	const char *v;
	double pts;
	int rc = 0;

	if (st->trace)
		h->log(h->tx_session(tx), PG_LOG_INFO, "eom size %lld body %lld",
		    (long long)h->tx_size(tx), (long long)h->tx_body_size(tx));
	if (st->change[0]) {
		v = split_header(st->change[0], name, sizeof(name));
		rc |= h->tx_add_header(tx, name, v);
	}
	if (st->change[1]) {
		v = split_header(st->change[1], name, sizeof(name));
		rc |= h->tx_insert_header(tx, 0, name, v);
	}
	if (st->change[2]) {
		v = split_header(st->change[2], name, sizeof(name));
		rc |= h->tx_change_header(tx, name, 1, v);
	}
	if (st->change[3])
		rc |= h->tx_delete_header(tx, st->change[3], 1);
	if (st->change[4])
		rc |= h->tx_add_rcpt(tx, st->change[4]);
	if (st->change[5])
		rc |= h->tx_del_rcpt(tx, st->change[5]);
	if (st->change[6])
		rc |= h->tx_change_sender(tx, st->change[6], NULL);
	if (st->change[7])
		rc |= h->tx_replace_body(tx, st->change[7], strlen(st->change[7]));
	if (st->change[8])
		rc |= h->tx_quarantine(tx, st->change[8]);
	if (st->change[9]) {
		if (sscanf(st->change[9], "%lf %255s", &pts, sym) != 2)
			rc = -1;
		else
			rc |= h->tx_score(tx, pts, sym, "test");
	}
	if (rc != 0) {
		snprintf(r->text, sizeof(r->text), "change refused: %s",
		    h->last_error());
		return PG_ERROR;
	}
	return verdict(st, 7, NULL, r);
}

static void
t_close(void *state, struct pg_session *s)
{
	struct state *st = state;

	if (st->trace)
		st->host->log(s, PG_LOG_INFO, "close");
}

static uint32_t
t_phases(void *state)
{
	return ((struct state *)state)->phases;
}

const struct pg_plugin phasegate_plugin = {
	.abi = PG_PLUGIN_ABI,
	.size = sizeof(struct pg_plugin),
	.name = "test_all",
	.flags = PG_PLUGIN_F_BODY | PG_PLUGIN_F_CHANGES,
	.init = t_init,
	.fini = t_fini,
	.on_connect = t_connect,
	.on_helo = t_helo,
	.on_mail = t_mail,
	.on_rcpt = t_rcpt,
	.on_data = t_data,
	.on_header = t_header,
	.on_eoh = t_eoh,
	.on_eom = t_eom,
	.on_close = t_close,
	.phases = t_phases,
};
