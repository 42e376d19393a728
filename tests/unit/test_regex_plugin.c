/*
 * test_regex_plugin - the regex plugin driven through the real chain
 *
 * Every rules file comes from tests/data/regex/ and is loaded the way the
 * daemon loads it: a configuration (config_load_string()), chain_load(),
 * which finds regex.so in $PHASEGATE_PLUGIN_DIR and runs its init().
 * Load errors are asserted with their exact "FILE:LINE: reason" text.
 * Scenarios then run sessions through connect, HELO, MAIL, RCPT, DATA,
 * the header fields and end of data, as `phasegate check` does, and compare
 * the verdict, the phase that gave it, the reply, the scores and the added
 * headers. A threaded test runs the scenarios on one chain from several
 * threads at once.
 */
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "chain.h"
#include "config.h"
#include "log.h"
#include "msg.h"
#include "run.h"
#include "session.h"
#include "tx.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR	"tests/data/regex"
#endif
#ifndef TEST_EXAMPLES_DIR
#define TEST_EXAMPLES_DIR	"examples"
#endif
#ifndef TEST_PLUGIN_DIR
#define TEST_PLUGIN_DIR	".libs"
#endif

static const char *datadir = TEST_DATA_DIR;

/* load - a chain from configuration text "named" DATADIR/test.conf */
static struct chain *
load(const char *text, char *err, size_t errlen)
{
	char name[PATH_MAX];
	struct config *cfg;
	struct chain *c;

	snprintf(name, sizeof(name), "%s/test.conf", datadir);
	if ((cfg = config_load_string(name, text, err, errlen)) == NULL)
		return NULL;
	if ((c = chain_load(cfg, err, errlen)) == NULL)
		config_free(cfg);
	return c;
}

/* load_rules - a chain with one regex filter on the given rules file */
static struct chain *
load_rules(const char *rules, const char *extra, char *err, size_t errlen)
{
	char text[PATH_MAX + 1024];

	snprintf(text, sizeof(text), "filters = { { plugin = \"regex\", "
	    "rules = \"%.*s\"%.512s } }\n", PATH_MAX, rules,
	    extra ? extra : "");
	return load(text, err, errlen);
}

/* ---- load errors ---- */

static const struct {
	const char	*file;		/* in DATADIR; NULL: good.rules */
	const char	*extra;		/* more options */
	const char	*err;		/* after "DATADIR/" (or the whole reason) */
	int		 infile;	/* err names the rules file */
} load_errors[] = {
	{ "bad-target.rules", NULL, "bad-target.rules:4: unknown target 'sender'", 1 },
	{ "bad-action.rules", NULL, "bad-action.rules:2: unknown action 'BOUNCE'", 1 },
	{ "bad-pattern.rules", NULL, "bad-pattern.rules:4: bad pattern: missing closing parenthesis at offset 4", 1 },
	{ "bad-flag.rules", NULL, "bad-flag.rules:1: unknown flag 'g' (flags are i, m, s, x, u)", 1 },
	{ "bad-delim.rules", NULL, "bad-delim.rules:1: missing closing delimiter '/' of the pattern", 1 },
	{ "bad-nopattern.rules", NULL, "bad-nopattern.rules:1: expected a pattern like /regex/ after the target", 1 },
	{ "bad-noaction.rules", NULL, "bad-noaction.rules:2: missing action after the pattern", 1 },
	{ "bad-score.rules", NULL, "bad-score.rules:2: bad score 'abc'", 1 },
	{ "bad-scoresym.rules", NULL, "bad-scoresym.rules:1: SCORE needs points and a symbol: SCORE 2.5 NAME", 1 },
	{ "bad-scoreextra.rules", NULL, "bad-scoreextra.rules:1: unexpected 'B' after SCORE 1 A", 1 },
	{ "bad-rejectcode.rules", NULL, "bad-rejectcode.rules:1: REJECT needs a 5xx code, not 451", 1 },
	{ "bad-tempfailcode.rules", NULL, "bad-tempfailcode.rules:1: TEMPFAIL needs a 4xx code, not 550", 1 },
	{ "bad-enhanced.rules", NULL, "bad-enhanced.rules:1: bad enhanced status code '4.7.1' (want 5.X.Y)", 1 },
	{ "bad-enhanced2.rules", NULL, "bad-enhanced2.rules:1: bad enhanced status code '4.7' (want 4.X.Y)", 1 },
	{ "bad-enhanced3.rules", NULL, "bad-enhanced3.rules:2: bad enhanced status code '5.7.1234' (want 5.X.Y)", 1 },
	{ "bad-ref.rules", NULL, "bad-ref.rules:1: $2 refers to a group the pattern does not have (it has 1)", 1 },
	{ "bad-addheader.rules", NULL, "bad-addheader.rules:1: ADD_HEADER needs 'Name: value'", 1 },
	{ "bad-addheadername.rules", NULL, "bad-addheadername.rules:1: bad header field name 'Bad Name'", 1 },
	{ "bad-headername.rules", NULL, "bad-headername.rules:1: header needs a field name or '*' before the pattern", 1 },
	{ "bad-nul.rules", NULL, "bad-nul.rules:2: control character or NUL byte in the line", 1 },
	{ "bad-after.rules", NULL, "bad-after.rules:1: unexpected ',' after the pattern", 1 },
	{ "bad-utf.rules", NULL, "bad-utf.rules:1: bad pattern: UTF-8 error: illegal byte (0xfe or 0xff) at offset 0", 1 },
	{ "missing.rules", NULL, "missing.rules: cannot open: No such file or directory", 1 },
	{ NULL, ", foo = \"x\"", "unknown option 'foo' (regex knows rules, body_max, skip_clients_file)", 0 },
	{ NULL, ", body_max = \"lots\"", "bad body_max 'lots' (a size like 10M)", 0 },
	{ NULL, ", body_max = \"0\"", "bad body_max '0' (a size like 10M)", 0 },
};

static void
test_load_errors(void **state)
{
	char err[2048], want[PATH_MAX + 1024], prefix[PATH_MAX + 32];
	char real[PATH_MAX];
	struct chain *c;
	size_t i, el, wl;

	(void)state;
	/* rules paths are reported resolved: ".." in a relative build is gone */
	if (realpath(datadir, real) == NULL)
		fail_msg("realpath %s", datadir);
	snprintf(prefix, sizeof(prefix), "%s/test.conf:1: plugin ", datadir);
	for (i = 0; i < sizeof(load_errors) / sizeof(load_errors[0]); i++) {
		err[0] = '\0';
		c = load_rules(load_errors[i].file ? load_errors[i].file :
		    "good.rules", load_errors[i].extra, err, sizeof(err));
		if (c != NULL)
			fail_msg("row %zu: %s loaded", i, load_errors[i].file);
		if (load_errors[i].infile)
			snprintf(want, sizeof(want), ": %s/%s", real,
			    load_errors[i].err);
		else
			snprintf(want, sizeof(want), ": %s",
			    load_errors[i].err);
		el = strlen(err);
		wl = strlen(want);
		if (strncmp(err, prefix, strlen(prefix)) != 0 || el < wl ||
		    strcmp(err + el - wl, want) != 0)
			fail_msg("row %zu: got \"%s\", want \"%s...%s\"", i,
			    err, prefix, want);
	}
	/* no rules option at all */
	c = load("filters = { { plugin = \"regex\" } }\n", err, sizeof(err));
	assert_null(c);
	wl = strlen(": missing option 'rules' (the rules file)");
	assert_true(strlen(err) > wl);
	assert_string_equal(err + strlen(err) - wl,
	    ": missing option 'rules' (the rules file)");
}

/* ---- scenarios ---- */

#define MSG_PLAIN \
	"From: a@example.org\r\nTo: b@example.org\r\nSubject: hello\r\n" \
	"\r\nHello there.\r\nBye.\r\n"

struct scen {
	const char	*name;
	const char	*addr;		/* NULL: 192.0.2.1 */
	const char	*cname;		/* NULL: mail.example.org */
	const char	*helo;		/* NULL: mail.example.org */
	const char	*from;		/* NULL: a@example.org */
	const char	*rcpt[3];	/* { NULL }: b@example.org */
	const char	*msg;		/* NULL: MSG_PLAIN */
	size_t		 msglen;	/* 0: strlen(msg) */
	/* expected */
	enum pg_verdict	 result;
	const char	*at;		/* phase of the first verdict, or "" */
	const char	*reply;		/* normalised reply, or "" */
	const char	*scores;	/* "SYM=points,..." in order */
	const char	*headers;	/* "Name: value|..." added by regex */
};

static const struct scen scens[] = {
	{ "clean", NULL, NULL, NULL, NULL, { NULL }, NULL, 0,
	    PG_ACCEPT, "", "", "", "" },
	{ "client addr reject with capture", "192.0.2.66", NULL, NULL, NULL,
	    { NULL }, NULL, 0, PG_REJECT, "connect",
	    "554 5.7.1 Client host 192.0.2.66 blocked", "", "" },
	{ "client tempfail default reply", "192.0.2.99", NULL, NULL, NULL,
	    { NULL }, NULL, 0, PG_TEMPFAIL, "connect",
	    "451 4.7.1 Try again later", "", "" },
	{ "client name score lands on the tx", NULL,
	    "host-1.DYNAMIC.example.net", NULL, NULL, { NULL }, NULL, 0,
	    PG_ACCEPT, "", "", "DYNAMIC_CLIENT=2.5", "" },
	{ "helo score and header with capture", NULL, NULL, "[10.1.2.3]",
	    NULL, { NULL }, NULL, 0, PG_ACCEPT, "", "", "",
	    "X-Helo-Private: 10.1.2.3" },
	{ "helo localhost", NULL, NULL, "LocalHost", NULL, { NULL }, NULL, 0,
	    PG_ACCEPT, "", "", "HELO_LOCALHOST=1.5", "" },
	{ "helo reject default reply", NULL, NULL, "evil.example", NULL,
	    { NULL }, NULL, 0, PG_REJECT, "helo",
	    "550 5.7.1 Message rejected", "", "" },
	{ "null sender", NULL, NULL, NULL, "", { NULL }, NULL, 0,
	    PG_ACCEPT, "", "", "NULL_SENDER=0.1", "" },
	{ "sender reject, text only", NULL, NULL, NULL, "x@SPAMMER.example",
	    { NULL }, NULL, 0, PG_REJECT, "mail",
	    "550 5.7.1 Mail from SPAMMER.example refused", "", "" },
	{ "sender tempfail with code and $$", NULL, NULL, NULL,
	    "later@example.org", { NULL }, NULL, 0, PG_TEMPFAIL, "mail",
	    "452 4.3.1 Busy, $ later", "", "" },
	{ "one recipient refused, one passes", NULL, NULL, NULL, NULL,
	    { "nobody@example.org", "b@example.org" }, NULL, 0,
	    PG_ACCEPT, "rcpt", "550 5.1.1 <nobody>: no such user", "", "" },
	{ "every recipient refused", NULL, NULL, NULL, NULL,
	    { "nobody@example.org", "noreply@example.org" }, NULL, 0,
	    PG_REJECT, "rcpt", "550 5.1.1 <noreply>: no such user", "", "" },
	{ "spam trap discards", NULL, NULL, NULL, NULL,
	    { "b@example.org", "trap@example.org" }, NULL, 0,
	    PG_DISCARD, "rcpt", "", "", "" },
	{ "header accept skips the body rules", NULL, NULL, NULL, NULL,
	    { NULL },
	    "X-Whitelist: let-me-in\r\nSubject: free money\r\n\r\nviagra\r\n",
	    0, PG_ACCEPT, "header", "", "", "" },
	{ "subject scored once, both rules, folded value", NULL, NULL, NULL,
	    NULL, { NULL },
	    "Subject: Free\r\n Money now\r\nsubject: free money URGENT\r\n"
	    "\r\nbody\r\n", 0, PG_ACCEPT, "", "",
	    "SUBJ_FREE_MONEY=3,SUBJ_URGENT=1", "" },
	{ "header * capture into a header", NULL, NULL, NULL, NULL, { NULL },
	    "X-Mailer: MassMail Bulk 2.0\r\nSubject: hi\r\n\r\nbody\r\n", 0,
	    PG_ACCEPT, "", "", "", "X-Bulk-Mailer: [MassMail Bulk 2.0]" },
	{ "headers reject on Received", NULL, NULL, NULL, NULL, { NULL },
	    "Received: from x ([192.0.2.13])\r\n\tby mx; Mon, 1 Jan 2024\r\n"
	    "Subject: hi\r\n\r\nbody\r\n", 0, PG_REJECT, "header",
	    "550 5.7.1 Relay 192.0.2.13 is listed", "", "" },
	{ "captured 8-bit and tab become ? in a reply", NULL, NULL, NULL,
	    NULL, { NULL }, "X-Tag: reject:caf\xc3\xa9\tx\r\n\r\nbody\r\n", 0,
	    PG_REJECT, "header", "550 5.7.1 tagged [caf???x]", "", "" },
	{ "body reject with capture", NULL, NULL, NULL, NULL, { NULL },
	    "Subject: hi\r\n\r\nline one\r\nbuy Viagra now\r\n", 0,
	    PG_REJECT, "eom", "550 5.7.1 Drug spam (Viagra) not welcome",
	    "", "" },
	{ "body discard, CRLF stripped", NULL, NULL, NULL, NULL, { NULL },
	    "Subject: hi\r\n\r\nDISCARD-ME\r\n", 0, PG_DISCARD, "eom", "",
	    "", "" },
	{ "body LF line ends", NULL, NULL, NULL, NULL, { NULL },
	    "Subject: hi\n\nx\nend\nmore\n", 0, PG_ACCEPT, "", "",
	    "END_LINE=0.5", "" },
	{ "body last line without line end", NULL, NULL, NULL, NULL, { NULL },
	    "Subject: hi\r\n\r\nx\r\nend", 0, PG_ACCEPT, "", "",
	    "END_LINE=0.5", "" },
	{ "bare CR is not a line end", NULL, NULL, NULL, NULL, { NULL },
	    "Subject: hi\r\n\r\nx\rend\r\n", 0, PG_ACCEPT, "", "", "", "" },
	{ "pipe delimiter escaped inside", NULL, NULL, NULL, NULL, { NULL },
	    "Subject: hi\r\n\r\npipe|delim\r\n", 0, PG_ACCEPT, "", "",
	    "PIPE_DELIM=0.25", "" },
	{ "body score once per message", NULL, NULL, NULL, NULL, { NULL },
	    "Subject: hi\r\n\r\n$5 million\r\n$7 billion\r\nend\r\n", 0,
	    PG_ACCEPT, "", "", "BODY_MONEY=2,END_LINE=0.5", "" },
	{ "NUL and 8-bit bytes in the body", NULL, NULL, NULL, NULL, { NULL },
	    "Subject: hi\r\n\r\n\xff\xfe\0cialis\0\r\n", 27, PG_REJECT, "eom",
	    "550 5.7.1 Drug spam (cialis) not welcome", "", "" },
	{ "scores add up over phases", NULL, "a.dynamic.example.net",
	    "localhost", "", { NULL },
	    "Subject: free money\r\n\r\nend\r\n", 0, PG_ACCEPT, "", "",
	    "DYNAMIC_CLIENT=2.5,HELO_LOCALHOST=1.5,NULL_SENDER=0.1,"
	    "SUBJ_FREE_MONEY=3,END_LINE=0.5", "" },
};

struct outcome {
	enum pg_verdict	 result;
	char		 at[16];
	char		 reply[PG_REPLY_MAX];
	char		 scores[1024];
	char		 headers[1024];
};

/* note - remember the first phase that gave a verdict and its reply */
static void
note(struct outcome *o, enum chain_phase ph, enum pg_verdict v,
    const struct decision *d)
{
	if (v == PG_CONTINUE || o->at[0] != '\0')
		return;
	snprintf(o->at, sizeof(o->at), "%s", chain_phase_name(ph));
	snprintf(o->reply, sizeof(o->reply), "%s", d->reply);
}

/* collect - the scores and the regex filter's added headers of tx */
static void
collect(struct pg_tx *tx, struct outcome *o)
{
	const struct msg *m = tx_msg(tx);
	size_t i, n;

	for (i = 0, n = 0; i < tx_score_count(tx); i++) {
		const struct tx_score *sc = tx_score_at(tx, i);

		n += (size_t)snprintf(o->scores + n, sizeof(o->scores) - n,
		    "%s%s=%g", n ? "," : "", sc->symbol, sc->points);
		if (n >= sizeof(o->scores))
			break;
	}
	for (i = 0, n = 0; i < msg_change_count(m); i++) {
		const struct msg_change *ch = msg_change_at(m, i);

		if (ch->kind != MSG_ADD_HEADER || ch->filter == NULL ||
		    strcmp(ch->filter, "regex") != 0)
			continue;
		n += (size_t)snprintf(o->headers + n, sizeof(o->headers) - n,
		    "%s%s: %s", n ? "|" : "", ch->name, ch->value);
		if (n >= sizeof(o->headers))
			break;
	}
}

/*
 * drive - one session with one transaction through the chain, as
 * `phasegate check` drives it. Returns 0, or -1 on a harness failure.
 */
static int
drive(struct chain *c, const struct scen *sc, const char *msg, size_t mlen,
    struct outcome *o)
{
	const char *rcpt[3] = { "b@example.org", NULL, NULL };
	struct run *s;
	struct pg_tx *tx = NULL;
	struct decision d;
	enum pg_verdict v;
	size_t i, ok = 0;
	int rc = 0;

	memset(o, 0, sizeof(*o));
	if (sc->rcpt[0] != NULL)
		memcpy(rcpt, sc->rcpt, sizeof(rcpt));
	s = run_new(c, "check", sc->addr ? sc->addr : "192.0.2.1", 25,
	    sc->cname ? sc->cname : "mail.example.org");
	if (s == NULL)
		return -1;
	v = run_connect(s, &d);
	note(o, CHAIN_CONNECT, v, &d);
	if (v == PG_REJECT || v == PG_TEMPFAIL)
		goto done;
	v = run_helo(s, sc->helo ? sc->helo : "mail.example.org", &d);
	note(o, CHAIN_HELO, v, &d);
	if (v == PG_REJECT || v == PG_TEMPFAIL)
		goto done;
	v = run_mail(s, sc->from ? sc->from : "a@example.org", NULL, &d);
	if ((tx = run_tx(s)) == NULL) {
		rc = -1;
		goto done;
	}
	note(o, CHAIN_MAIL, v, &d);
	if (v == PG_REJECT || v == PG_TEMPFAIL)
		goto done;
	for (i = 0; i < 3 && rcpt[i] != NULL; i++) {
		size_t before = tx_rcpt_count(tx);

		v = run_rcpt(s, rcpt[i], &d);
		note(o, CHAIN_RCPT, v, &d);
		if (tx_rcpt_count(tx) > before)
			ok++;
	}
	if (ok == 0) {
		v = PG_REJECT;
		/* the last refusal stands */
		snprintf(o->reply, sizeof(o->reply), "%s", d.reply);
		goto done;
	}
	v = run_data(s, &d);
	note(o, CHAIN_DATA, v, &d);
	if (v == PG_REJECT || v == PG_TEMPFAIL)
		goto done;
	if (msg_write(tx_msg(tx), msg, mlen) == -1 ||
	    msg_write_end(tx_msg(tx)) == -1) {
		rc = -1;
		goto done;
	}
	v = run_headers(s, &d);
	note(o, CHAIN_HEADER, v, &d);
	if (v == PG_REJECT || v == PG_TEMPFAIL)
		goto done;
	v = run_eom(s, &d);
	note(o, CHAIN_EOM, v, &d);
	if (v == PG_CONTINUE || v == PG_ACCEPT)
		v = run_discarded(s) ? PG_DISCARD : PG_ACCEPT;
done:
	o->result = v == PG_CONTINUE ? PG_ACCEPT : v;
	if (tx != NULL)
		collect(tx, o);
	run_free(s);
	return rc;
}

/* check_scen - run one scenario; 0 when everything is as expected */
static int
check_scen(struct chain *c, const struct scen *sc, char *why, size_t len)
{
	const char *msg = sc->msg ? sc->msg : MSG_PLAIN;
	size_t mlen = sc->msglen ? sc->msglen : strlen(msg);
	struct outcome o;

	if (drive(c, sc, msg, mlen, &o) == -1) {
		snprintf(why, len, "%s: harness failure", sc->name);
		return -1;
	}
	if (o.result != sc->result || strcmp(o.at, sc->at) != 0 ||
	    strcmp(o.reply, sc->reply) != 0 ||
	    strcmp(o.scores, sc->scores) != 0 ||
	    strcmp(o.headers, sc->headers) != 0) {
		snprintf(why, len, "%s: got verdict %d at \"%s\" reply \"%.300s\" "
		    "scores \"%s\" headers \"%s\"; want %d at \"%s\" reply "
		    "\"%s\" scores \"%s\" headers \"%s\"", sc->name, o.result,
		    o.at, o.reply, o.scores, o.headers, sc->result, sc->at,
		    sc->reply, sc->scores, sc->headers);
		return -1;
	}
	return 0;
}

static void
test_scenarios(void **state)
{
	char err[2048], why[4096];
	struct chain *c;
	size_t i;

	(void)state;
	c = load_rules("good.rules", NULL, err, sizeof(err));
	if (c == NULL)
		fail_msg("load: %s", err);
	for (i = 0; i < sizeof(scens) / sizeof(scens[0]); i++)
		if (check_scen(c, &scens[i], why, sizeof(why)) == -1)
			fail_msg("row %zu: %s", i, why);
	chain_unref(c);
}

/* the content targets: text, url, domain, filename, decoded NAME */
static const struct scen content_scens[] = {
	{ "content: nothing", NULL, NULL, NULL, NULL, { NULL }, NULL, 0,
	    PG_ACCEPT, "", "", "", "" },
	{ "content: text in a base64 part", NULL, NULL, NULL, NULL, { NULL },
	    "Subject: x\r\nContent-Type: text/plain\r\nContent-Transfer-"
	    "Encoding: base64\r\n\r\nQnV5IGNoZWFwIHZpYWdyYSBub3c=\r\n", 0,
	    PG_ACCEPT, "", "", "TEXT_DRUGS=3", "" },
	{ "content: text of HTML split by tags", NULL, NULL, NULL, NULL,
	    { NULL }, "Content-Type: text/html\r\n\r\n<p>v<b>i</b>a&#103;ra"
	    "</p>\r\n", 0, PG_ACCEPT, "", "", "TEXT_DRUGS=3", "" },
	{ "content: the raw header does not match, decoded does", NULL, NULL,
	    NULL, NULL, { NULL }, "Subject: =?UTF-8?B?Q2hlYXAgVmlhZ3Jh?=\r\n"
	    "\r\nhello\r\n", 0, PG_ACCEPT, "", "", "SUBJECT_DECODED=2", "" },
	{ "content: url and domain", NULL, NULL, NULL, NULL, { NULL },
	    "Subject: x\r\n\r\nsee hxxp://www.prize[.]top/win\r\n", 0,
	    PG_ACCEPT, "", "", "URL_WIN=1,DOMAIN_TOP=1.5", "" },
	{ "content: an RFC 2231 file name", NULL, NULL, NULL, NULL, { NULL },
	    "Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\n\r\nhi\r\n--b\r\nContent-Disposition: attachment; "
	    "filename*0*=utf-8''inv%6Fice; filename*1=\".exe\"\r\n\r\nMZ\r\n"
	    "--b--\r\n", 0, PG_REJECT, "eom", "550 5.7.1 No invoice.exe here",
	    "", "" },
};

static void
test_content_targets(void **state)
{
	char err[2048], why[4096];
	struct chain *c;
	size_t i;

	(void)state;
	c = load_rules("content.rules", NULL, err, sizeof(err));
	if (c == NULL)
		fail_msg("load: %s", err);
	for (i = 0; i < sizeof(content_scens) / sizeof(content_scens[0]); i++)
		if (check_scen(c, &content_scens[i], why, sizeof(why)) == -1)
			fail_msg("row %zu: %s", i, why);
	chain_unref(c);
}

/*
 * client and helo SCORE/ADD_HEADER act once per session and land on each
 * of its transactions, at MAIL.
 */
static void
test_session_effects(void **state)
{
	struct run *s;
	struct pg_tx *tx;
	struct decision d;
	char err[2048];
	struct chain *c;
	int t;

	(void)state;
	c = load_rules("good.rules", NULL, err, sizeof(err));
	if (c == NULL)
		fail_msg("load: %s", err);
	s = run_new(c, "check", "192.0.2.7", 25, "x.dynamic.example.net");
	assert_non_null(s);
	assert_int_equal(run_connect(s, &d), PG_CONTINUE);
	assert_int_equal(run_helo(s, "[10.0.0.1]", &d), PG_CONTINUE);
	/* a second HELO matching again adds nothing */
	assert_int_equal(run_helo(s, "[10.0.0.2]", &d), PG_CONTINUE);
	for (t = 0; t < 2; t++) {
		struct outcome o;
		const char *m = MSG_PLAIN;

		assert_int_equal(run_mail(s, "a@example.org", NULL, &d),
		    PG_CONTINUE);
		assert_non_null(tx = run_tx(s));
		assert_int_equal(run_rcpt(s, "b@example.org", &d),
		    PG_CONTINUE);
		assert_int_equal(run_data(s, &d), PG_CONTINUE);
		assert_int_equal(msg_write(tx_msg(tx), m, strlen(m)), 0);
		assert_int_equal(msg_write_end(tx_msg(tx)), 0);
		assert_int_equal(run_headers(s, &d), PG_CONTINUE);
		(void)run_eom(s, &d);
		memset(&o, 0, sizeof(o));
		collect(tx, &o);
		assert_string_equal(o.scores, "DYNAMIC_CLIENT=2.5");
		assert_string_equal(o.headers, "X-Helo-Private: 10.0.0.1");
		run_tx_end(s);
	}
	run_free(s);
	chain_unref(c);
}

/* Every form of reply text, normalised by the chain. */
static void
test_replies(void **state)
{
	static const struct {
		const char	*from;
		enum pg_verdict	 v;
		const char	*reply;
	} rows[] = {
		{ "r1@example.org", PG_REJECT, "550 5.7.1 Message rejected" },
		{ "r2@example.org", PG_REJECT, "550 5.7.1 Go away" },
		{ "r3@example.org", PG_REJECT, "554 5.7.1 Go away" },
		{ "r4@example.org", PG_REJECT, "554 5.7.0 Go away" },
		{ "r5@example.org", PG_REJECT, "550 5.1.8 Bad sender domain" },
		{ "r6@example.org", PG_REJECT, "550 5.7.1 10 reasons to go" },
		{ "r7@example.org", PG_REJECT, "553 5.7.1 Message rejected" },
		{ "r8@example.org", PG_REJECT,
		    "550 5.7.1 r8 at example.org costs $5, not $x" },
		{ "r9@example.org", PG_REJECT, "550 5.7.1 [] empty group" },
		{ "t1@example.org", PG_TEMPFAIL, "451 4.7.1 Try again later" },
		{ "t2@example.org", PG_TEMPFAIL, "421 4.3.2 Shutting down" },
		{ "t3@example.org", PG_TEMPFAIL, "451 4.7.1 later please" },
		{ "t4@example.org", PG_TEMPFAIL, "451 4.2.2 Mailbox full" },
	};
	struct scen sc = { "reply", NULL, NULL, NULL, NULL, { NULL }, NULL, 0,
	    PG_ACCEPT, "mail", "", "", "" };
	char err[2048], why[4096];
	struct chain *c;
	size_t i;

	(void)state;
	c = load_rules("replies.rules", NULL, err, sizeof(err));
	if (c == NULL)
		fail_msg("load: %s", err);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sc.name = rows[i].from;
		sc.from = rows[i].from;
		sc.result = rows[i].v;
		sc.reply = rows[i].reply;
		if (check_scen(c, &sc, why, sizeof(why)) == -1)
			fail_msg("row %zu: %s", i, why);
	}
	chain_unref(c);
}

/* The shipped sample, examples/regex.rules, loads and works. */
static void
test_example_rules(void **state)
{
	static const struct scen rows[] = {
		{ "sample: ham", NULL, "mail.example.org", "mail.example.org",
		    "alice@example.org", { NULL }, NULL, 0, PG_ACCEPT, "", "",
		    "", "" },
		{ "sample: blocked host", "192.0.2.251", NULL, NULL, NULL,
		    { NULL }, NULL, 0, PG_REJECT, "connect", "554 5.7.1 Host "
		    "192.0.2.251 is blocked here, contact postmaster@example.net",
		    "", "" },
		{ "sample: spammy", NULL, "dsl-1-2-3-4.pool.example.com",
		    "localhost", "win@prize.top", { NULL },
		    "Subject: VIAGRA cheap\r\nList-Id: Deals <deals.prize.top>"
		    "\r\n\r\nsee http://deals.prize.top/x\r\nTo unsubscribe "
		    "just reply with REMOVE\r\n", 0, PG_ACCEPT, "", "",
		    "RDNS_DYNAMIC=1.5,RDNS_HAS_IP=1,FROM_CHEAP_TLD=1.5,"
		    "BODY_REMOVE_BY_REPLY=1,SUBJECT_SPAM_WORDS=2,"
		    "BODY_URL_CHEAP_TLD=1",
		    "X-Phasegate-List: deals.prize.top" },
		{ "sample: our own name in HELO", NULL, NULL, "MX.example.net",
		    NULL, { NULL }, NULL, 0, PG_REJECT, "helo",
		    "550 5.7.1 You are not example.net", "", "" },
		{ "sample: executable attachment", NULL, NULL, NULL, NULL,
		    { NULL }, "Subject: invoice\r\nContent-Type: multipart/mixed;"
		    " boundary=b\r\n\r\n--b\r\nContent-Type: application/"
		    "octet-stream\r\nContent-Disposition: attachment; filename="
		    "\"invoice.pdf.exe\"\r\n\r\nTVqQAAMAAAAEAAAA\r\n--b--\r\n",
		    0, PG_REJECT, "eom", "550 5.7.1 Executable attachments "
		    "(.exe) are not accepted here", "", "" },
		{ "sample: recipient that receives nothing", NULL, NULL, NULL,
		    NULL, { "NoReply@example.net", "bob@example.net" }, NULL, 0,
		    PG_ACCEPT, "rcpt", "550 5.1.1 <NoReply@example.net>: this "
		    "address does not receive mail", "", "" },
	};
	char err[2048], why[4096], path[PATH_MAX];
	struct chain *c;
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/regex.rules", TEST_EXAMPLES_DIR);
	c = load_rules(path, NULL, err, sizeof(err));
	if (c == NULL)
		fail_msg("load: %s", err);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (check_scen(c, &rows[i], why, sizeof(why)) == -1)
			fail_msg("row %zu: %s", i, why);
	chain_unref(c);
}

/* An empty rules file loads and changes nothing. */
static void
test_empty_rules(void **state)
{
	static const struct scen sc = { "empty", "192.0.2.66", NULL,
	    "evil.example", "", { "nobody@example.org" },
	    "Subject: free money\r\n\r\nviagra\r\n", 0, PG_ACCEPT, "", "", "",
	    "" };
	char err[2048], why[4096];
	struct chain *c;

	(void)state;
	c = load_rules("empty.rules", NULL, err, sizeof(err));
	if (c == NULL)
		fail_msg("load: %s", err);
	if (check_scen(c, &sc, why, sizeof(why)) == -1)
		fail_msg("%s", why);
	chain_unref(c);
}

/* build - "Subject: t\r\n\r\n" then (count, text) pairs up to a 0 count; malloc'd */
static char *
build(size_t *len, ...)
{
	va_list ap;
	const char *part;
	size_t rep, n = 0, cap = 1 << 20, k;
	char *buf = malloc(cap);

	if (buf == NULL)
		return NULL;
	n = (size_t)snprintf(buf, cap, "Subject: t\r\n\r\n");
	va_start(ap, len);
	/* pairs: repeat count, text */
	while ((rep = va_arg(ap, size_t)) != 0) {
		part = va_arg(ap, const char *);
		for (k = 0; k < rep; k++) {
			size_t pl = strlen(part);

			if (n + pl + 1 > cap) {
				char *nb = realloc(buf, cap * 2);

				if (nb == NULL) {
					free(buf);
					va_end(ap);
					return NULL;
				}
				buf = nb;
				cap *= 2;
			}
			memcpy(buf + n, part, pl);
			n += pl;
		}
	}
	va_end(ap);
	*len = n;
	return buf;
}

/*
 * Long lines: matched on their first 64 KiB, whether the line sits inside
 * one read or spans reads; lines after a long one are matched normally.
 */
static void
test_long_lines(void **state)
{
	static const struct {
		const char	*what;
		size_t		 pre;	/* 'a' bytes on a line before */
		const char	*head;
		size_t		 fill;	/* 'x' bytes */
		const char	*tail;
		const char	*scores;
	} rows[] = {
		{ "tail past 64 KiB", 0, "LONGLINE", 70000, "TAILMARK\r\n",
		    "LONG_LINE_START=1" },
		{ "tail just inside 64 KiB", 0, "LONGLINE", 65536 - 8 - 8,
		    "TAILMARK\r\n", "LONG_LINE_START=1,LONG_LINE_TAIL=1" },
		{ "tail one byte past 64 KiB", 0, "LONGLINE", 65536 - 8 - 7,
		    "TAILMARK\r\n", "LONG_LINE_START=1" },
		{ "line across reads", 60000, "", 10000, "TAILMARK\r\nend\r\n",
		    "LONG_LINE_TAIL=1,END_LINE=0.5" },
		{ "200 KiB line then a short one", 0, "", 200000,
		    "\r\nLONGLINE\r\nend", "LONG_LINE_START=1,END_LINE=0.5" },
		{ "LF only, huge line", 0, "x", 300000, "\nend\n",
		    "END_LINE=0.5" },
	};
	struct scen sc = { "long", NULL, NULL, NULL, NULL, { NULL }, NULL, 0,
	    PG_ACCEPT, "", "", "", "" };
	char err[2048], why[4096], pre[65536];
	struct chain *c;
	size_t i, len;
	char *msg;

	(void)state;
	c = load_rules("good.rules", NULL, err, sizeof(err));
	if (c == NULL)
		fail_msg("load: %s", err);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(pre, 'a', rows[i].pre);
		pre[rows[i].pre] = '\0';
		msg = build(&len, (size_t)1, pre, (size_t)1,
		    rows[i].pre ? "\r\n" : "", (size_t)1,
		    rows[i].head, rows[i].fill, "x", (size_t)1, rows[i].tail,
		    (size_t)0);
		assert_non_null(msg);
		sc.name = rows[i].what;
		sc.msg = msg;
		sc.msglen = len;
		sc.scores = rows[i].scores;
		if (check_scen(c, &sc, why, sizeof(why)) == -1)
			fail_msg("row %zu: %s", i, why);
		free(msg);
	}
	chain_unref(c);
}

#define LINE100 \
	"0123456789012345678901234567890123456789012345678901234567890123456789" \
	"0123456789012345678901234567\r\n"

/* body_max bounds the scan: a match past it is not seen. */
static void
test_body_max(void **state)
{
	struct scen sc = { "body_max", NULL, NULL, NULL, NULL, { NULL }, NULL,
	    0, PG_ACCEPT, "", "", "", "" };
	char err[2048], why[4096];
	struct chain *c;
	size_t len;
	char *msg;

	(void)state;
	c = load_rules("good.rules", ", body_max = \"1k\"", err, sizeof(err));
	if (c == NULL)
		fail_msg("load: %s", err);
	/* 10 lines of 100 bytes = 1000 bytes, then the spam: inside 1024 */
	assert_int_equal(strlen(LINE100), 100);
	msg = build(&len, (size_t)10, LINE100,
	    (size_t)1, "viagra\r\n", (size_t)0);
	assert_non_null(msg);
	sc.msg = msg;
	sc.msglen = len;
	sc.result = PG_REJECT;
	sc.at = "eom";
	sc.reply = "550 5.7.1 Drug spam (viagra) not welcome";
	if (check_scen(c, &sc, why, sizeof(why)) == -1)
		fail_msg("inside: %s", why);
	free(msg);
	/* 20 lines: the spam starts at byte 2000, past body_max */
	msg = build(&len, (size_t)20, LINE100,
	    (size_t)1, "viagra\r\n", (size_t)0);
	assert_non_null(msg);
	sc.msg = msg;
	sc.msglen = len;
	sc.result = PG_ACCEPT;
	sc.at = "";
	sc.reply = "";
	if (check_scen(c, &sc, why, sizeof(why)) == -1)
		fail_msg("past: %s", why);
	free(msg);
	/* body_max cuts a line: the part read is still matched */
	msg = build(&len, (size_t)10, LINE100,
	    (size_t)1, "xxxxxxxxxxxxxxxx viagra and more\r\n", (size_t)0);
	assert_non_null(msg);
	sc.msg = msg;
	sc.msglen = len;
	sc.result = PG_REJECT;
	sc.at = "eom";
	sc.reply = "550 5.7.1 Drug spam (viagra) not welcome";
	if (check_scen(c, &sc, why, sizeof(why)) == -1)
		fail_msg("cut after: %s", why);
	free(msg);
	msg = build(&len, (size_t)10, LINE100,
	    (size_t)1, "xxxxxxxxxxxxxxxxxxx viagra and more\r\n", (size_t)0);
	assert_non_null(msg);
	sc.msg = msg;
	sc.msglen = len;
	sc.result = PG_ACCEPT;
	sc.at = "";
	sc.reply = "";
	if (check_scen(c, &sc, why, sizeof(why)) == -1)
		fail_msg("cut inside: %s", why);
	free(msg);
	chain_unref(c);
}

/* The rules are shared: many threads run sessions on one chain. */
#define NTHREADS	4
#define NROUNDS		30

static void *
worker(void *arg)
{
	struct chain *c = arg;
	char why[4096];
	size_t i, r;

	for (r = 0; r < NROUNDS; r++)
		for (i = 0; i < sizeof(scens) / sizeof(scens[0]); i++)
			if (check_scen(c, &scens[i], why, sizeof(why)) == -1)
				return strdup(why);
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t t[NTHREADS];
	char err[2048];
	struct chain *c;
	void *res;
	int i, bad = 0;

	(void)state;
	c = load_rules("good.rules", NULL, err, sizeof(err));
	if (c == NULL)
		fail_msg("load: %s", err);
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, c), 0);
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(t[i], &res), 0);
		if (res != NULL) {
			print_error("thread %d: %s\n", i, (char *)res);
			free(res);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	chain_unref(c);
}

/*
 * A measurement, not an assertion of speed: the body scan of good.rules
 * over a 10 MiB body of 72-byte lines (printed to stderr).
 */
static void
test_body_speed(void **state)
{
	struct scen sc = { "speed", NULL, NULL, NULL, NULL, { NULL }, NULL, 0,
	    PG_ACCEPT, "", "", "", "" };
	char err[2048], why[4096];
	struct timespec t0, t1;
	struct chain *c;
	size_t len;
	double secs;
	char *msg;

	(void)state;
	c = load_rules("good.rules", NULL, err, sizeof(err));
	if (c == NULL)
		fail_msg("load: %s", err);
	msg = build(&len, (size_t)(10 * 1024 * 1024 / 72), "The quick brown "
	    "fox jumps over the lazy dog, again and again and again.\r\n",
	    (size_t)0);
	assert_non_null(msg);
	sc.msg = msg;
	sc.msglen = len;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (check_scen(c, &sc, why, sizeof(why)) == -1)
		fail_msg("%s", why);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "# regex: %.1f MiB message, 7 body rules: %.3f s "
	    "(%.0f MiB/s, spool and chain included)\n",
	    (double)len / 1048576.0, secs, (double)len / 1048576.0 / secs);
	free(msg);
	chain_unref(c);
}

/* skip_clients_file: a client in the cidr map gets no rule at all */
static void
test_skip_clients(void **state)
{
	struct scen sc = { "skip", "192.0.2.66", NULL, "evil.example", NULL,
	    { NULL }, NULL, 0, PG_ACCEPT, "", "", "", "" };
	char dir[] = "/tmp/test_regex_skip.XXXXXX", map[PATH_MAX];
	char extra[PATH_MAX + 64], err[2048], why[4096];
	struct chain *c;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(map, sizeof(map), "%s/skip.cidr", dir);
	assert_non_null(f = fopen(map, "w"));
	fputs("# our relays\n192.0.2.64/30\n2001:db8::/32\n", f);
	fclose(f);
	snprintf(extra, sizeof(extra), ", skip_clients_file = \"%s\"", map);
	if ((c = load_rules("good.rules", extra, err, sizeof(err))) == NULL)
		fail_msg("load: %s", err);
	/* in the map: the client, HELO and body rules that would refuse */
	sc.msg = "Subject: x\r\n\r\nbuy viagra\r\n";
	if (check_scen(c, &sc, why, sizeof(why)) == -1)
		fail_msg("skipped: %s", why);
	sc.addr = "2001:db8::5";
	if (check_scen(c, &sc, why, sizeof(why)) == -1)
		fail_msg("skipped v6: %s", why);
	/* outside it: refused as without the option */
	sc.addr = "192.0.2.68";
	sc.result = PG_REJECT;
	sc.at = "helo";
	sc.reply = "550 5.7.1 Message rejected";
	if (check_scen(c, &sc, why, sizeof(why)) == -1)
		fail_msg("not skipped: %s", why);
	chain_unref(c);
	unlink(map);
	/* a map never loaded and missing: the option and the file */
	snprintf(extra, sizeof(extra), ", skip_clients_file = \"%s/none.cidr\"",
	    dir);
	assert_null(load_rules("good.rules", extra, err, sizeof(err)));
	assert_non_null(strstr(err, "skip_clients_file: "));
	assert_non_null(strstr(err, "none.cidr"));
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_session_effects),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_example_rules),
		cmocka_unit_test(test_empty_rules),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_body_max),
		cmocka_unit_test(test_skip_clients),
		cmocka_unit_test(test_content_targets),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_body_speed),
	};

	/* make check sets it; a manual run finds the build's plugins */
	setenv("PHASEGATE_PLUGIN_DIR", TEST_PLUGIN_DIR, 0);
	log_init(LOG_TARGET_STDERR, -1);	/* warnings only */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
