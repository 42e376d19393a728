/*
 * check - `phasegate check`: run message files through the whole chain
 * offline, through the same per-phase calls as the front ends (run.h),
 * and report each phase
 *
 * Public: check_main().
 * The phases run in SMTP order: connect, HELO, MAIL, RCPT (each), DATA,
 * each header field, end of header, end of data, close. The message file
 * is untrusted input: it is fed to the msg model as raw bytes (any line
 * ends, NULs, 8-bit), which bounds memory with its spool.
 * Exit status: 0 accepted, 1 rejected, 2 tempfailed, 3 discarded, 4 error;
 * with several files, the highest of them.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain.h"
#include "check.h"
#include "config.h"
#include "content.h"
#include "log.h"
#include "msg.h"
#include "run.h"
#include "check_dns.h"
#include "session.h"
#include "tx.h"
#include "xmalloc.h"

#define CHECK_ACCEPT	0
#define CHECK_REJECT	1
#define CHECK_TEMPFAIL	2
#define CHECK_DISCARD	3
#define CHECK_ERROR	4

#define RCPT_MAX	1000

struct check_opts {
	const char	*config;
	const char	*from;
	const char	*rcpt[RCPT_MAX];
	size_t		 nrcpt;
	const char	*helo;
	const char	*client;
	const char	*client_name;
	const char	*output;
	int		 json;
	int		 name_given;	/* --client-name: not the lookup's */
	int		 client_given;
	int		 no_dns;	/* --no-dns: no client lookups */
	int		 lookups;	/* -v: print the lookups */
	unsigned	 show;		/* SHOW_* */
};

#define SHOW_TEXT	0x1
#define SHOW_URLS	0x2
#define SHOW_PARTS	0x4

/* one line of the report */
struct step {
	enum chain_phase phase;
	char		 arg[512];
	struct decision	 d;
};

struct report {
	struct step	*steps;
	size_t		 n;
	size_t		 cap;
	int		 status;
	const char	*result;	/* "accept", "reject", ... */
	char		 reply[PG_REPLY_MAX];
	char		 error[512];
};

/* add_step - remember what a phase decided */
static void
add_step(struct report *r, enum chain_phase ph, const char *arg,
    const struct decision *d)
{
	struct step *st;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->steps = xrealloc(r->steps, r->cap * sizeof(*r->steps));
	}
	st = &r->steps[r->n++];
	st->phase = ph;
	snprintf(st->arg, sizeof(st->arg), "%s", arg ? arg : "");
	memcpy(&st->d, d, sizeof(*d));
}

/* finish - the message's fate: verdict v, with d's reply if it refuses */
static void
finish(struct report *r, enum pg_verdict v, const struct decision *d)
{
	const char *reply = decision_reply(d);

	switch (v) {
	case PG_REJECT:
		r->status = CHECK_REJECT;
		r->result = "reject";
		break;
	case PG_TEMPFAIL:
		r->status = CHECK_TEMPFAIL;
		r->result = "tempfail";
		break;
	case PG_DISCARD:
		r->status = CHECK_DISCARD;
		r->result = "discard";
		break;
	default:
		r->status = CHECK_ACCEPT;
		r->result = "accept";
		break;
	}
	snprintf(r->reply, sizeof(r->reply), "%s", reply ? reply : "");
}

/* step - note a phase's decision; 1 when it refused (the report is done) */
static int
step(struct report *r, enum chain_phase ph, const char *arg,
    const struct decision *d)
{
	add_step(r, ph, arg, d);
	if (!decision_refuses(d))
		return 0;
	finish(r, d->verdict, d);
	return 1;
}

/* fail - the report of a message that could not be checked */
static void
fail(struct report *r)
{
	r->status = CHECK_ERROR;
	r->result = "error";
}

/* addr_from_header - the first address in a From:/To:-like value */
static int
addr_from_header(const char *v, char *buf, size_t len)
{
	const char *lt, *gt, *p, *q;

	if (v == NULL)
		return -1;
	if ((lt = strchr(v, '<')) != NULL && (gt = strchr(lt, '>')) != NULL) {
		snprintf(buf, len, "%.*s", (int)(gt - lt - 1), lt + 1);
		return 0;
	}
	if ((p = strchr(v, '@')) == NULL)
		return -1;
	while (p > v && p[-1] != ' ' && p[-1] != ',' && p[-1] != '\t')
		p--;
	for (q = p; *q && *q != ' ' && *q != ',' && *q != '\t'; q++)
		;
	snprintf(buf, len, "%.*s", (int)(q - p), p);
	return 0;
}

/*
 * read_message - feed a file (or stdin) into the msg model; with
 * header_only, stop once the header is complete
 */
static int
read_message(const char *file, struct msg *m, int header_only, char *err,
    size_t errlen)
{
	char buf[65536];
	ssize_t n;
	int fd;

	if (strcmp(file, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(file, O_RDONLY)) == -1) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (msg_write(m, buf, (size_t)n) == -1) {
			snprintf(err, errlen, "%s: cannot spool: %s", file,
			    strerror(errno));
			if (fd != STDIN_FILENO)
				close(fd);
			return -1;
		}
		if (header_only && msg_header_done(m))
			break;
	}
	if (n == -1 || msg_write_end(m) == -1) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		if (fd != STDIN_FILENO)
			close(fd);
		return -1;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
}

/* peek_envelope - read a file's header only, to default the envelope */
static void
peek_envelope(const char *file, const struct msg_limits *lim, char *from,
    size_t flen, char *to, size_t tlen)
{
	struct msg *m;
	char err[256];

	if (strcmp(file, "-") == 0 || (m = msg_new(lim)) == NULL)
		return;
	if (read_message(file, m, 1, err, sizeof(err)) == 0) {
		if (addr_from_header(msg_header(m, "Return-Path", 1), from,
		    flen) == -1)
			(void)addr_from_header(msg_header(m, "From", 1), from,
			    flen);
		(void)addr_from_header(msg_header(m, "To", 1), to, tlen);
	}
	msg_free(m);
}

struct outctx {
	FILE	*fp;
};

static int
out_file(void *ctx, const void *buf, size_t len)
{
	struct outctx *o = ctx;

	return fwrite(buf, 1, len, o->fp) == len ? 0 : -1;
}

/*
 * check_envelope - connect, HELO, MAIL and every RCPT; 0 when at least one
 * recipient passed, 1 when the report is done (refused)
 */
static int
check_envelope(struct run *run, const struct check_opts *o,
    const char *from, const char *to, struct report *r)
{
	struct pg_tx *tx;
	struct decision d;
	char arg[600];
	size_t i, accepted = 0;

	snprintf(arg, sizeof(arg), "%s [%s]", session_str(run_session(run),
	    PG_S_CLIENT_NAME), o->client);
	(void)run_connect(run, &d);
	if (step(r, CHAIN_CONNECT, arg, &d))
		return 1;
	(void)run_helo(run, o->helo, &d);
	if (step(r, CHAIN_HELO, o->helo, &d))
		return 1;
	(void)run_mail(run, from, NULL, &d);
	tx = run_tx(run);
	snprintf(arg, sizeof(arg), "<%s>", tx ? tx_sender(tx) : from);
	if (step(r, CHAIN_MAIL, arg, &d))
		return 1;
	for (i = 0; i < (o->nrcpt ? o->nrcpt : 1); i++) {
		const char *rc = o->nrcpt ? o->rcpt[i] : to;
		size_t before = tx_rcpt_count(tx);

		snprintf(arg, sizeof(arg), "<%s>", rc);
		(void)run_rcpt(run, rc, &d);
		add_step(r, CHAIN_RCPT, arg, &d);
		if (tx_rcpt_count(tx) > before)
			accepted++;
	}
	if (accepted > 0)
		return 0;
	/* every recipient refused: no DATA, the last refusal stands */
	finish(r, d.verdict == PG_TEMPFAIL ? PG_TEMPFAIL : PG_REJECT, &d);
	return 1;
}

/* check_message - DATA, the message file, the header, end of data */
static void
check_message(struct run *run, const char *file, struct report *r)
{
	struct pg_tx *tx = run_tx(run);
	struct decision d;
	enum pg_verdict v;
	char arg[64];

	(void)run_data(run, &d);
	if (step(r, CHAIN_DATA, NULL, &d))
		return;
	if (read_message(file, tx_msg(tx), 0, r->error,
	    sizeof(r->error)) == -1) {
		fail(r);
		return;
	}
	(void)run_headers(run, &d);
	snprintf(arg, sizeof(arg), "%zu fields", msg_header_count(tx_msg(tx)));
	if (step(r, CHAIN_HEADER, arg, &d))
		return;
	v = run_eom(run, &d);
	snprintf(arg, sizeof(arg), "%lld bytes", (long long)msg_size(tx_msg(tx)));
	if (step(r, CHAIN_EOM, arg, &d))
		return;
	finish(r, run_discarded(run) ? PG_DISCARD : v, &d);
}

/*
 * check_one - one message through the chain; fills the report and leaves
 * the run in *runp (NULL when none could be made) for the caller to print
 * the transaction's changes and scores, and free.
 */
static void
check_one(struct chain *chain, const struct check_opts *o, const char *file,
    struct report *r, struct run **runp)
{
	struct msg_limits lim;
	struct run *run;
	char from[512] = "", to[512] = "", name[256], ptr[256];

	memset(r, 0, sizeof(*r));
	*runp = NULL;
	if (o->from == NULL || o->nrcpt == 0) {
		chain_limits(chain, &lim);
		peek_envelope(file, &lim, from, sizeof(from), to, sizeof(to));
	}
	if (o->from != NULL)
		snprintf(from, sizeof(from), "%s", o->from);
	if (o->nrcpt == 0 && to[0] == '\0')
		snprintf(to, sizeof(to), "postmaster@localhost");

	check_dns_start();
	snprintf(name, sizeof(name), "%s", o->client_name);
	snprintf(ptr, sizeof(ptr), "%s", o->client_name);
	if (!o->no_dns)
		check_dns_client(chain_config(chain), o->client, name,
		    sizeof(name), ptr, sizeof(ptr));
	if (o->name_given)
		snprintf(name, sizeof(name), "%s", o->client_name);
	if ((run = run_new(chain, "check", o->client, 0, name)) == NULL ||
	    session_set_ptr(run_session(run), ptr) == -1) {
		snprintf(r->error, sizeof(r->error), "out of memory");
		fail(r);
		return;
	}
	*runp = run;
	if (check_envelope(run, o, from, to, r) == 0)
		check_message(run, file, r);
}

/* json_str - write s as a JSON string */
static void
json_str(FILE *fp, const char *s)
{
	const unsigned char *p;

	if (s == NULL) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", fp);
		else if (*p == '\r')
			fputs("\\r", fp);
		else if (*p == '\t')
			fputs("\\t", fp);
		else if (*p < 0x20)
			fprintf(fp, "\\u%04x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

/* print_changes - the change list, one line each, for a person */
static void
print_changes(FILE *fp, const struct msg *m)
{
	size_t i;

	fprintf(fp, "changes\n");
	for (i = 0; i < msg_change_count(m); i++) {
		const struct msg_change *ch = msg_change_at(m, i);

		fprintf(fp, "  %-14s", msg_change_name(ch->kind));
		switch (ch->kind) {
		case MSG_ADD_HEADER:
			fprintf(fp, " %s: %s", ch->name, ch->value);
			break;
		case MSG_INSERT_HEADER:
			fprintf(fp, " at %zu %s: %s", ch->index, ch->name,
			    ch->value);
			break;
		case MSG_CHANGE_HEADER:
			fprintf(fp, " %s[%zu]: %s", ch->name, ch->index,
			    ch->value);
			break;
		case MSG_DELETE_HEADER:
			fprintf(fp, " %s[%zu]", ch->name, ch->index);
			break;
		case MSG_ADD_RCPT:
		case MSG_DEL_RCPT:
			fprintf(fp, " <%s>", ch->addr);
			break;
		case MSG_CHANGE_SENDER:
			fprintf(fp, " <%s>%s%s", ch->addr, ch->value ? " " : "",
			    ch->value ? ch->value : "");
			break;
		case MSG_REPLACE_BODY:
			fprintf(fp, " %lld bytes",
			    (long long)msg_new_body_size(m));
			break;
		case MSG_QUARANTINE:
			fprintf(fp, " %s", ch->value);
			break;
		}
		fprintf(fp, "  (%s)\n", ch->filter ? ch->filter : "-");
	}
}

/* print_text - the report for a person */
static void
print_text(FILE *fp, const char *file, const struct report *r,
    struct pg_tx *tx, const struct config *cfg, int lookups)
{
	size_t i;

	fprintf(fp, "== %s\n", file);
	for (i = 0; i < r->n; i++) {
		const struct step *st = &r->steps[i];
		const char *verdict;
		char reply[PG_REPLY_MAX], *p;

		snprintf(reply, sizeof(reply), "%s", st->d.reply);
		for (p = reply; (p = strstr(p, "\r\n")) != NULL; )
			memcpy(p, " /", 2);
		verdict = decision_verdict_name(st->d.verdict);
		fprintf(fp, "%-8s %-32s %s", chain_phase_name(st->phase),
		    st->arg, verdict);
		if (reply[0])
			fprintf(fp, "%*s%s", 10 - (int)strlen(verdict), "", reply);
		if (st->d.by[0])
			fprintf(fp, " (by %s%s)", st->d.by,
			    st->d.error ? ", filter error" : "");
		if (st->d.why[0])
			fprintf(fp, " [error: %s]", st->d.why);
		fputc('\n', fp);
	}
	if (tx != NULL && (tx_score_count(tx) > 0 || cfg->has_actions)) {
		fprintf(fp, "score    %.2f", tx_score_total(tx));
		if (!isnan(cfg->act_add_header))
			fprintf(fp, " add_header>=%.2f", cfg->act_add_header);
		if (!isnan(cfg->act_tempfail))
			fprintf(fp, " tempfail>=%.2f", cfg->act_tempfail);
		if (!isnan(cfg->act_reject))
			fprintf(fp, " reject>=%.2f", cfg->act_reject);
		fputc('\n', fp);
		for (i = 0; i < tx_score_count(tx); i++) {
			const struct tx_score *sc = tx_score_at(tx, i);

			fprintf(fp, "  %-30s %7.2f  (%s)%s%s\n", sc->symbol,
			    sc->points, sc->filter ? sc->filter : "-",
			    sc->detail ? " " : "", sc->detail ? sc->detail : "");
		}
	}
	if (tx != NULL && msg_change_count(tx_msg(tx)) > 0)
		print_changes(fp, tx_msg(tx));
	if (lookups)
		check_dns_text(fp);
	if (r->error[0])
		fprintf(fp, "error    %s\n", r->error);
	fprintf(fp, "result   %s", r->result);
	if (r->reply[0]) {
		char reply[PG_REPLY_MAX], *p;

		snprintf(reply, sizeof(reply), "%s", r->reply);
		for (p = reply; (p = strstr(p, "\r\n")) != NULL; )
			memcpy(p, " /", 2);
		fprintf(fp, " %s", reply);
	}
	fputc('\n', fp);
}

static void json_content(FILE *, struct pg_tx *, unsigned);

/* print_json - the report as one JSON object on one line */
static void
print_json(FILE *fp, const char *file, const struct report *r,
    struct pg_tx *tx, unsigned show)
{
	size_t i;

	fputs("{\"file\":", fp);
	json_str(fp, file);
	fputs(",\"phases\":[", fp);
	for (i = 0; i < r->n; i++) {
		const struct step *st = &r->steps[i];

		fprintf(fp, "%s{\"phase\":\"%s\",\"arg\":", i ? "," : "",
		    chain_phase_name(st->phase));
		json_str(fp, st->arg);
		fprintf(fp, ",\"verdict\":\"%s\",\"filter\":",
		    decision_verdict_name(st->d.verdict));
		json_str(fp, st->d.by[0] ? st->d.by : NULL);
		fputs(",\"reply\":", fp);
		json_str(fp, st->d.reply[0] ? st->d.reply : NULL);
		fprintf(fp, ",\"error\":%s,\"why\":", st->d.error ? "true" :
		    "false");
		json_str(fp, st->d.why[0] ? st->d.why : NULL);
		fputc('}', fp);
	}
	fprintf(fp, "],\"score\":%.4f,\"symbols\":[", tx ? tx_score_total(tx) : 0.0);
	for (i = 0; tx != NULL && i < tx_score_count(tx); i++) {
		const struct tx_score *sc = tx_score_at(tx, i);

		fprintf(fp, "%s{\"symbol\":", i ? "," : "");
		json_str(fp, sc->symbol);
		fprintf(fp, ",\"score\":%.4f,\"filter\":", sc->points);
		json_str(fp, sc->filter);
		fputs(",\"detail\":", fp);
		json_str(fp, sc->detail);
		fputc('}', fp);
	}
	fputs("],\"changes\":[", fp);
	for (i = 0; tx != NULL && i < msg_change_count(tx_msg(tx)); i++) {
		const struct msg_change *ch = msg_change_at(tx_msg(tx), i);

		fprintf(fp, "%s{\"change\":\"%s\",\"name\":", i ? "," : "",
		    msg_change_name(ch->kind));
		json_str(fp, ch->name);
		fputs(",\"value\":", fp);
		json_str(fp, ch->value);
		fputs(",\"addr\":", fp);
		json_str(fp, ch->addr);
		fprintf(fp, ",\"index\":%zu,\"filter\":", ch->index);
		json_str(fp, ch->filter);
		fputc('}', fp);
	}
	fprintf(fp, "],\"result\":\"%s\",\"reply\":", r->result);
	json_str(fp, r->reply[0] ? r->reply : NULL);
	fputs(",\"error\":", fp);
	json_str(fp, r->error[0] ? r->error : NULL);
	check_dns_json(fp, json_str);
	if (tx != NULL && show != 0)
		json_content(fp, tx, show);
	fprintf(fp, ",\"exit\":%d}\n", r->status);
}

/* parse_show - "text", "urls", "parts", or a comma list of them */
static int
parse_show(const char *arg, unsigned *show)
{
	char buf[64], *w, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (w = strtok_r(buf, ",", &save); w != NULL;
	    w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "text") == 0)
			*show |= SHOW_TEXT;
		else if (strcmp(w, "urls") == 0)
			*show |= SHOW_URLS;
		else if (strcmp(w, "parts") == 0)
			*show |= SHOW_PARTS;
		else
			return -1;
	}
	return *show != 0 ? 0 : -1;
}

/* print_parts - the leaf parts, one line each */
static void
print_parts(FILE *fp, struct content *c)
{
	size_t i, j, n = content_part_count(c);
	const char *s, *an;
	off_t sz;
	int enc;

	fprintf(fp, "parts\n");
	for (i = 0; i < n; i++) {
		fprintf(fp, "  %zu %*s%s", i + 1, (int)content_part_depth(c, i) * 2,
		    "", content_part_str(c, i, PG_P_TYPE));
		if ((s = content_part_str(c, i, PG_P_CHARSET)) != NULL)
			fprintf(fp, " charset=%s", s);
		fprintf(fp, " %s %lld bytes", content_part_str(c, i,
		    PG_P_ENCODING), (long long)content_part_size(c, i));
		if ((s = content_part_str(c, i, PG_P_DISPOSITION)) != NULL)
			fprintf(fp, " %s", s);
		if ((s = content_part_str(c, i, PG_P_FILENAME)) != NULL)
			fprintf(fp, " filename=\"%s\"", s);
		if ((s = content_part_str(c, i, PG_P_DETECTED)) != NULL)
			fprintf(fp, " detected=%s", s);
		fputc('\n', fp);
		for (j = 0; content_part_archive(c, i, j, &an, &sz, &enc) == 1; j++)
			fprintf(fp, "      member %s %lld bytes%s\n", an,
			    (long long)sz, enc ? " encrypted" : "");
	}
}

/* print_content - what --show asked for, for a person */
static void
print_content(FILE *fp, struct pg_tx *tx, unsigned show)
{
	struct content *c = content_get(tx);
	const char *t, *p, *nl, *s;
	size_t i, len;

	if (c == NULL)
		return;
	if (show & SHOW_PARTS)
		print_parts(fp, c);
	for (i = 0; (show & SHOW_TEXT) && i < content_part_count(c); i++) {
		if ((t = content_part_text(c, i, &len)) == NULL)
			continue;
		fprintf(fp, "text of part %zu (%s)\n", i + 1,
		    content_part_str(c, i, PG_P_TYPE));
		for (p = t; p < t + len; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(t + len - p))) == NULL)
				nl = t + len;
			fprintf(fp, "  | %.*s\n", (int)(nl - p), p);
		}
	}
	if (show & SHOW_URLS) {
		fprintf(fp, "urls\n");
		for (i = 0; i < content_url_count(c); i++) {
			fprintf(fp, "  %s domain=%s part=%d", content_url_str(c, i,
			    PG_U_URL), content_url_str(c, i, PG_U_DOMAIN),
			    content_url_part(c, i) + 1);
			if ((s = content_url_str(c, i, PG_U_TEXT)) != NULL)
				fprintf(fp, " text=\"%s\"", s);
			if ((s = content_url_str(c, i, PG_U_TEXT_HOST)) != NULL)
				fprintf(fp, " shows=%s", s);
			fputc('\n', fp);
		}
	}
}

/* json_parts - "parts":[...] */
static void
json_parts(FILE *fp, struct content *c)
{
	size_t i, j, n = content_part_count(c);
	const char *an;
	off_t sz;
	int enc;

	fputs(",\"parts\":[", fp);
	for (i = 0; i < n; i++) {
		fprintf(fp, "%s{\"type\":", i ? "," : "");
		json_str(fp, content_part_str(c, i, PG_P_TYPE));
		fputs(",\"charset\":", fp);
		json_str(fp, content_part_str(c, i, PG_P_CHARSET));
		fputs(",\"disposition\":", fp);
		json_str(fp, content_part_str(c, i, PG_P_DISPOSITION));
		fputs(",\"filename\":", fp);
		json_str(fp, content_part_str(c, i, PG_P_FILENAME));
		fputs(",\"detected\":", fp);
		json_str(fp, content_part_str(c, i, PG_P_DETECTED));
		fprintf(fp, ",\"encoding\":\"%s\",\"size\":%lld,\"depth\":%u",
		    content_part_str(c, i, PG_P_ENCODING),
		    (long long)content_part_size(c, i), content_part_depth(c, i));
		fputs(",\"archive\":", fp);
		for (j = 0; content_part_archive(c, i, j, &an, &sz, &enc) == 1; j++) {
			fprintf(fp, "%s{\"name\":", j ? "," : "[");
			json_str(fp, an);
			fprintf(fp, ",\"size\":%lld,\"encrypted\":%s}",
			    (long long)sz, enc ? "true" : "false");
		}
		fputs(j ? "]}" : "null}", fp);
	}
	fputc(']', fp);
}

/* json_content - what --show asked for, as members of the report */
static void
json_content(FILE *fp, struct pg_tx *tx, unsigned show)
{
	struct content *c = content_get(tx);
	const char *t;
	size_t i, len;

	if (c == NULL)
		return;
	if (show & SHOW_PARTS)
		json_parts(fp, c);
	if (show & SHOW_TEXT) {
		t = content_text(c, &len);
		fputs(",\"text\":", fp);
		json_str(fp, t);
	}
	if (show & SHOW_URLS) {
		fputs(",\"urls\":[", fp);
		for (i = 0; i < content_url_count(c); i++) {
			fprintf(fp, "%s{\"url\":", i ? "," : "");
			json_str(fp, content_url_str(c, i, PG_U_URL));
			fputs(",\"scheme\":", fp);
			json_str(fp, content_url_str(c, i, PG_U_SCHEME));
			fputs(",\"host\":", fp);
			json_str(fp, content_url_str(c, i, PG_U_HOST));
			fputs(",\"domain\":", fp);
			json_str(fp, content_url_str(c, i, PG_U_DOMAIN));
			fputs(",\"path\":", fp);
			json_str(fp, content_url_str(c, i, PG_U_PATH));
			fputs(",\"text\":", fp);
			json_str(fp, content_url_str(c, i, PG_U_TEXT));
			fputs(",\"text_host\":", fp);
			json_str(fp, content_url_str(c, i, PG_U_TEXT_HOST));
			fprintf(fp, ",\"part\":%d}", content_url_part(c, i) + 1);
		}
		fputc(']', fp);
	}
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: phasegate check -c FILE [--from ADDR] [--rcpt ADDR]... "
	    "[--helo NAME] [--client IP] [--client-name NAME] [--no-dns] [--json] "
	    "[--show text|urls|parts] [-v] [-o OUTFILE] MESSAGE...\n"
	    "  --show prints what rules see: the decoded text, the links, the parts.\n"
	    "  --client IP: its name is looked up (PTR, then forward-confirmed)\n"
	    "  unless --no-dns or --client-name; -v lists every lookup made.\n"
	    "  MESSAGE is a file, or - for standard input.\n"
	    "  exit: 0 accepted, 1 rejected, 2 tempfailed, 3 discarded, 4 error\n");
}

/* bad_arg - "phasegate: check: ARG: why" (or without ARG), then the usage */
static void
bad_arg(const char *arg, const char *why)
{
	fprintf(stderr, "phasegate: check: %s%s%s\n", arg != NULL ? arg : "",
	    arg != NULL ? ": " : "", why);
	usage(stderr);
}

/*
 * messages_readable - every MESSAGE exists, is readable and is not a
 * directory, before any phase runs (a missing file found after the others
 * ran would waste a slow chain and mix reports with an error); not opened
 * here, so that a FIFO's writer is not disturbed. 0, or -1 with each one
 * that is not on stderr
 */
static int
messages_readable(int argc, char **argv, int first)
{
	struct stat st;
	int i, rc = 0;

	for (i = first; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0)
			continue;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			errno = EISDIR;
		else if (stat(argv[i], &st) == 0 && access(argv[i], R_OK) == 0)
			continue;
		fprintf(stderr, "phasegate: check: %s: %s\n", argv[i],
		    strerror(errno));
		rc = -1;
	}
	return rc;
}

/*
 * parse_args - the command line into o; 0 to go on, else the exit status
 * to return at once (after --help: 0, as *help says)
 */
static int
parse_args(int argc, char **argv, struct check_opts *o, int *verbose,
    int *help)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'f' },
		{ "rcpt", required_argument, NULL, 'r' },
		{ "helo", required_argument, NULL, 'H' },
		{ "client", required_argument, NULL, 'a' },
		{ "client-name", required_argument, NULL, 'n' },
		{ "no-dns", no_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "show", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	opterr = 0;	/* bad_arg() says it, in our words */
	memset(o, 0, sizeof(*o));
	o->helo = "localhost";
	o->client = "127.0.0.1";
	o->client_name = "localhost";
	*verbose = -1;
	*help = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:f:r:H:a:n:jo:s:vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'f': o->from = optarg; break;
		case 'r':
			if (o->nrcpt == RCPT_MAX) {
				fprintf(stderr, "phasegate: check: more than %d "
				    "recipients\n", RCPT_MAX);
				return CHECK_ERROR;
			}
			o->rcpt[o->nrcpt++] = optarg;
			break;
		case 'H': o->helo = optarg; break;
		case 'a': o->client = optarg; o->client_given = 1; break;
		case 'n': o->client_name = optarg; o->name_given = 1; break;
		case 'N': o->no_dns = 1; break;
		case 'j': o->json = 1; break;
		case 'o': o->output = optarg; break;
		case 's':
			if (parse_show(optarg, &o->show) == -1) {
				fprintf(stderr, "phasegate: check: --show takes "
				    "text, urls or parts (or a list: text,urls)\n");
				return CHECK_ERROR;
			}
			break;
		case 'v': (*verbose)++; break;
		case 'h': usage(stdout); *help = 1; return 0;
		default:
			bad_arg(argv[optind - 1], "unknown argument or missing value");
			return CHECK_ERROR;
		}
	}
	if (o->client_given && !o->name_given)
		o->client_name = "unknown";
	o->lookups = *verbose >= 0;
	if (o->config == NULL) {
		bad_arg(NULL, "-c FILE is required");
		return CHECK_ERROR;
	}
	if (optind >= argc) {
		bad_arg(NULL, "no MESSAGE (a file, or - for standard input)");
		return CHECK_ERROR;
	}
	if (o->output != NULL && argc - optind > 1) {
		fprintf(stderr, "phasegate: check: -o takes one message\n");
		return CHECK_ERROR;
	}
	return 0;
}

/* check_file - check one message file, print the report; its exit status */
static int
check_file(struct chain *chain, const struct check_opts *o, const char *file)
{
	struct report r;
	struct run *run;
	struct pg_tx *tx;
	struct outctx oc;

	check_one(chain, o, file, &r, &run);
	tx = run ? run_tx(run) : NULL;
	if (o->json)
		print_json(stdout, file, &r, tx, o->show);
	else {
		print_text(stdout, file, &r, tx, chain_config(chain),
		    o->lookups);
		if (tx != NULL && o->show != 0)
			print_content(stdout, tx, o->show);
	}
	if (o->output != NULL && tx != NULL && r.status != CHECK_ERROR) {
		if ((oc.fp = fopen(o->output, "w")) == NULL ||
		    msg_output(tx_msg(tx), out_file, &oc) == -1 ||
		    fclose(oc.fp) != 0) {
			fprintf(stderr, "phasegate: %s: %s\n", o->output,
			    strerror(errno));
			r.status = CHECK_ERROR;
		}
	}
	if (r.error[0] && !o->json)
		fprintf(stderr, "phasegate: %s\n", r.error);
	run_free(run);
	free(r.steps);
	return r.status;
}

int
check_main(int argc, char **argv)
{
	struct check_opts o;
	struct config *cfg;
	struct chain *chain;
	char err[2048];
	int i, rc, status, worst = 0, verbose, help;

	if ((rc = parse_args(argc, argv, &o, &verbose, &help)) != 0 || help)
		return rc;
	if (messages_readable(argc, argv, optind) == -1)
		return CHECK_ERROR;
	log_init(LOG_TARGET_STDERR, verbose);
	if ((cfg = config_load(o.config, err, sizeof(err))) == NULL) {
		fprintf(stderr, "phasegate: %s\n", err);
		return CHECK_ERROR;
	}
	if ((chain = chain_load(cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "phasegate: %s\n", err);
		config_free(cfg);
		return CHECK_ERROR;
	}
	if (chain_filter_count(chain) == 0)
		log_warnx("%s: no filters: every message is accepted as it is",
		    cfg->file);
	for (i = optind; i < argc; i++)
		if ((status = check_file(chain, &o, argv[i])) > worst)
			worst = status;
	fflush(stdout);
	check_dns_stop();
	chain_unref(chain);
	return worst;
}
