/*
 * regex - the regex plugin: Postfix header_checks/body_checks-style rules
 *
 * Configuration: { plugin = "regex", rules = "/path/file.rules",
 * body_max = "10M" }. The rules file has one rule a line:
 *
 *	TARGET /PATTERN/FLAGS ACTION [args]
 *
 * TARGET is client, helo, from, rcpt, "header NAME", "header *" (or
 * headers) or body; ACTION is REJECT [text], TEMPFAIL [text], DISCARD
 * [note], ACCEPT [note], SCORE n SYMBOL or ADD_HEADER Name: value. See
 * docs/regex-plugin.md for the full syntax and semantics.
 *
 * Public: the descriptor phasegate_plugin, nothing else (the module exports
 * that one symbol). It uses only what plugin.h gives and host/re.c, which is
 * compiled into it; it links against nothing of the host.
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

#define RX_SUBJECT_MAX	(64 * 1024)		/* bytes of one subject matched */
#define RX_BODY_MAX	(10 * 1024 * 1024)	/* default body_max */
#define RX_CHUNK	(64 * 1024)		/* body read size */
#define RX_REPLY_MAX	500			/* a reply line, below RFC 5321's 512 */
#define RX_HVALUE_MAX	900			/* an added header's value */
#define RX_NREF		10			/* $0 (internal) .. $9 */

enum rx_target {
	T_CLIENT = 0,
	T_HELO,
	T_FROM,
	T_RCPT,
	T_HEADER,	/* header NAME: the value of each field NAME */
	T_HEADERS,	/* header * / headers: "Name: value" of every field */
	T_BODY
};

/* The phase a target's rules run at. */
enum rx_phase {
	P_CONNECT = 0,
	P_HELO,
	P_MAIL,
	P_RCPT,
	P_HEADER,
	P_BODY,
	P_N
};

enum rx_action {
	A_REJECT = 0,
	A_TEMPFAIL,
	A_DISCARD,
	A_ACCEPT,
	A_SCORE,
	A_ADD_HEADER
};

struct rule {
	int		 line;
	enum rx_target	 target;
	char		*hname;		/* T_HEADER: the field name */
	struct re	*re;
	enum rx_action	 action;
	char		*text;		/* reply template, header value template, or note */
	char		*aname;		/* ADD_HEADER: field name */
	char		*symbol;	/* SCORE */
	double		 score;
	char		*where;		/* "file.rules:12", for logs and score details */
};

struct rx {
	const struct pg_host *host;
	char		*file;
	struct rule	*rules;
	size_t		 nrules;
	size_t		*phase[P_N];	/* rule indexes per phase, in file order */
	size_t		 nphase[P_N];
	uint64_t	 body_max;
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

static enum rx_phase
target_phase(enum rx_target t)
{
	switch (t) {
	case T_CLIENT:	return P_CONNECT;
	case T_HELO:	return P_HELO;
	case T_FROM:	return P_MAIL;
	case T_RCPT:	return P_RCPT;
	case T_HEADER:
	case T_HEADERS:	return P_HEADER;
	case T_BODY:	return P_BODY;
	}
	return P_BODY;
}

static int
action_terminal(enum rx_action a)
{
	return a == A_REJECT || a == A_TEMPFAIL || a == A_DISCARD ||
	    a == A_ACCEPT;
}

/* ---- loading ---- */

/* lerr - write "FILE:LINE: reason" into err */
static void __attribute__((__format__(__printf__, 5, 6)))
lerr(char *err, size_t errlen, const char *file, int line, const char *fmt,
    ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%d: %s", file, line, msg);
}

/* skipws - skip blanks */
static char *
skipws(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* word - cut the next blank-separated word at *pp; "" at end of line */
static char *
word(char **pp)
{
	char *p = skipws(*pp), *w = p;

	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	if (*p != '\0')
		*p++ = '\0';
	*pp = p;
	return w;
}

/* field_name_ok - RFC 5322 field name: printable ASCII but ':' */
static int
field_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 33 || (unsigned char)*s > 126 ||
		    *s == ':')
			return 0;
	return 1;
}

/* symbol_ok - a score symbol: letters, digits, '_', '-', '.' */
static int
symbol_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 128)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '.')
			return 0;
	return 1;
}

/* max_ref - the highest $1..$9 in a template, 0 for none */
static int
max_ref(const char *t)
{
	int max = 0;

	for (; *t != '\0'; t++) {
		if (*t != '$')
			continue;
		if (t[1] == '$') {
			t++;
			continue;
		}
		if (t[1] >= '1' && t[1] <= '9' && t[1] - '0' > max)
			max = t[1] - '0';
	}
	return max;
}

/*
 * reply_template - check a REJECT/TEMPFAIL text and give it a code and an
 * enhanced code when it lacks them; malloc'd, or NULL with a reason.
 */
static char *
reply_template(const char *text, int cls, char *why, size_t whylen)
{
	const char *defcode = cls == 5 ? "550" : "451";
	const char *defenh = cls == 5 ? "5.7.1" : "4.7.1";
	const char *deftext = cls == 5 ? "Message rejected" : "Try again later";
	const char *p = text, *q;
	char code[4], enh[32], *out;
	size_t n;

	if (*p == '\0') {
		n = strlen(defcode) + strlen(defenh) + strlen(deftext) + 3;
		if ((out = malloc(n)) != NULL)
			snprintf(out, n, "%s %s %s", defcode, defenh, deftext);
		return out;
	}
	snprintf(code, sizeof(code), "%s", defcode);
	snprintf(enh, sizeof(enh), "%s", defenh);
	if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && (p[3] == ' ' || p[3] == '\0')) {
		if (p[0] - '0' != cls) {
			snprintf(why, whylen, "%s needs a %dxx code, not %.3s",
			    cls == 5 ? "REJECT" : "TEMPFAIL", cls, p);
			return NULL;
		}
		memcpy(code, p, 3);
		code[3] = '\0';
		p = skipws((char *)p + 3);
	}
	/* an enhanced code: digits and dots, class.subject.detail */
	q = p;
	while (isdigit((unsigned char)*q) || *q == '.')
		q++;
	if (q > p && memchr(p, '.', (size_t)(q - p)) != NULL &&
	    (*q == ' ' || *q == '\0')) {
		int c, sub, det, len = 0;

		/* at most "5.999.999": no overflow inside sscanf() */
		if (q - p > 9 ||
		    sscanf(p, "%d.%d.%d%n", &c, &sub, &det, &len) != 3 ||
		    p + len != q || c != cls || sub < 0 || sub > 999 ||
		    det < 0 || det > 999 || p[1] != '.' ||
		    !isdigit((unsigned char)p[2])) {
			snprintf(why, whylen, "bad enhanced status code '%.*s' "
			    "(want %d.X.Y)", (int)(q - p), p, cls);
			return NULL;
		}
		snprintf(enh, sizeof(enh), "%.*s", (int)(q - p), p);
		p = skipws((char *)q);
	}
	if (*p == '\0')
		p = deftext;
	n = strlen(code) + strlen(enh) + strlen(p) + 3;
	if (n > RX_REPLY_MAX) {
		snprintf(why, whylen, "reply text too long (at most %d bytes)",
		    RX_REPLY_MAX);
		return NULL;
	}
	if ((out = malloc(n)) == NULL)
		return NULL;
	/* n is exact: no snprintf(), whose truncation check gcc doubts */
	strcpy(out, code);
	strcat(out, " ");
	strcat(out, enh);
	strcat(out, " ");
	strcat(out, p);
	return out;
}

/* rule_free - free what a rule owns */
static void
rule_free(struct rule *r)
{
	re_free(r->re);
	free(r->hname);
	free(r->text);
	free(r->aname);
	free(r->symbol);
	free(r->where);
}

/*
 * parse_line - parse one rule; 0 (r filled in), or -1 with "FILE:LINE:
 * reason" in err. line is modified.
 */
static int
parse_line(const char *file, const char *base, int lineno, char *line,
    struct rule *r, char *err, size_t errlen)
{
	char rerr[RE_ERR_MAX], why[256] = "", flags[16];
	char *p = line, *w, *pat, *end;
	size_t plen, i;
	char delim;
	int maxref;

	memset(r, 0, sizeof(*r));
	r->line = lineno;

	/* target */
	w = word(&p);
	if (strcmp(w, "client") == 0)
		r->target = T_CLIENT;
	else if (strcmp(w, "helo") == 0)
		r->target = T_HELO;
	else if (strcmp(w, "from") == 0)
		r->target = T_FROM;
	else if (strcmp(w, "rcpt") == 0)
		r->target = T_RCPT;
	else if (strcmp(w, "headers") == 0)
		r->target = T_HEADERS;
	else if (strcmp(w, "body") == 0)
		r->target = T_BODY;
	else if (strcmp(w, "header") == 0) {
		w = word(&p);
		if (*w == '\0' || *w == '/') {
			lerr(err, errlen, file, lineno,
			    "header needs a field name or '*' before the "
			    "pattern");
			return -1;
		}
		if (strcmp(w, "*") == 0)
			r->target = T_HEADERS;
		else {
			size_t n = strlen(w);

			/* "header Subject:" reads as "header Subject" */
			if (n > 1 && w[n - 1] == ':')
				w[n - 1] = '\0';
			if (!field_name_ok(w)) {
				lerr(err, errlen, file, lineno,
				    "bad header field name '%.64s'", w);
				return -1;
			}
			r->target = T_HEADER;
			if ((r->hname = strdup(w)) == NULL)
				goto nomem;
		}
	} else {
		lerr(err, errlen, file, lineno, "unknown target '%.64s'", w);
		return -1;
	}

	/* /pattern/flags, or m!pattern!flags with any punctuation */
	p = skipws(p);
	if (p[0] == 'm' && ispunct((unsigned char)p[1]) && p[1] != '\\')
		p++;
	delim = *p;
	if (delim == '\0' || !ispunct((unsigned char)delim) || delim == '\\') {
		lerr(err, errlen, file, lineno,
		    "expected a pattern like /regex/ after the target");
		return -1;
	}
	pat = ++p;
	while (*p != '\0' && *p != delim) {
		/* the backslash stays: PCRE2 reads \<punct> as that character */
		if (*p == '\\' && p[1] != '\0')
			p++;
		p++;
	}
	if (*p == '\0') {
		lerr(err, errlen, file, lineno,
		    "missing closing delimiter '%c' of the pattern", delim);
		return -1;
	}
	plen = (size_t)(p - pat);
	end = ++p;
	while (isalpha((unsigned char)*p))
		p++;
	if (*p != '\0' && *p != ' ' && *p != '\t') {
		lerr(err, errlen, file, lineno,
		    "unexpected '%c' after the pattern", *p);
		return -1;
	}
	if ((size_t)(p - end) >= sizeof(flags)) {
		lerr(err, errlen, file, lineno, "too many flags");
		return -1;
	}
	memcpy(flags, end, (size_t)(p - end));
	flags[p - end] = '\0';
	for (i = 0; flags[i] != '\0'; i++)
		if (strchr("imsxu", flags[i]) == NULL) {
			lerr(err, errlen, file, lineno, "unknown flag '%c' "
			    "(flags are i, m, s, x, u)", flags[i]);
			return -1;
		}
	if ((r->re = re_compile(pat, plen, flags, 0, rerr, sizeof(rerr))) ==
	    NULL) {
		lerr(err, errlen, file, lineno, "bad pattern: %s", rerr);
		return -1;
	}

	/* action */
	w = word(&p);
	p = skipws(p);
	if (*w == '\0') {
		lerr(err, errlen, file, lineno, "missing action after the "
		    "pattern");
		return -1;
	}
	if (strcasecmp(w, "REJECT") == 0 || strcasecmp(w, "TEMPFAIL") == 0) {
		int cls = strcasecmp(w, "REJECT") == 0 ? 5 : 4;

		r->action = cls == 5 ? A_REJECT : A_TEMPFAIL;
		if ((r->text = reply_template(p, cls, why, sizeof(why))) ==
		    NULL) {
			if (why[0] == '\0')
				goto nomem;
			lerr(err, errlen, file, lineno, "%s", why);
			return -1;
		}
	} else if (strcasecmp(w, "DISCARD") == 0 ||
	    strcasecmp(w, "ACCEPT") == 0) {
		r->action = strcasecmp(w, "DISCARD") == 0 ? A_DISCARD :
		    A_ACCEPT;
		if (*p != '\0' && (r->text = strdup(p)) == NULL)
			goto nomem;
	} else if (strcasecmp(w, "SCORE") == 0) {
		char *num = word(&p), *sym = word(&p), *e;

		r->action = A_SCORE;
		if (*num == '\0' || *sym == '\0') {
			lerr(err, errlen, file, lineno,
			    "SCORE needs points and a symbol: SCORE 2.5 NAME");
			return -1;
		}
		errno = 0;
		r->score = strtod(num, &e);
		if (*e != '\0' || errno != 0 || !isfinite(r->score)) {
			lerr(err, errlen, file, lineno, "bad score '%.64s'", num);
			return -1;
		}
		if (!symbol_ok(sym)) {
			lerr(err, errlen, file, lineno, "bad symbol '%.64s' "
			    "(letters, digits, '_', '-', '.')", sym);
			return -1;
		}
		if (*skipws(p) != '\0') {
			lerr(err, errlen, file, lineno,
			    "unexpected '%.64s' after SCORE %.32s %.64s", skipws(p),
			    num, sym);
			return -1;
		}
		if ((r->symbol = strdup(sym)) == NULL)
			goto nomem;
	} else if (strcasecmp(w, "ADD_HEADER") == 0) {
		char *colon = strchr(p, ':');

		r->action = A_ADD_HEADER;
		if (colon == NULL) {
			lerr(err, errlen, file, lineno,
			    "ADD_HEADER needs 'Name: value'");
			return -1;
		}
		*colon = '\0';
		if (!field_name_ok(p)) {
			lerr(err, errlen, file, lineno,
			    "bad header field name '%.64s'", p);
			return -1;
		}
		if ((r->aname = strdup(p)) == NULL ||
		    (r->text = strdup(skipws(colon + 1))) == NULL)
			goto nomem;
		if (strlen(r->text) > RX_HVALUE_MAX) {
			lerr(err, errlen, file, lineno, "header value too long "
			    "(at most %d bytes)", RX_HVALUE_MAX);
			return -1;
		}
	} else {
		lerr(err, errlen, file, lineno, "unknown action '%.64s'", w);
		return -1;
	}

	if (r->text != NULL && (r->action == A_REJECT ||
	    r->action == A_TEMPFAIL || r->action == A_ADD_HEADER) &&
	    (maxref = max_ref(r->text)) > (int)re_captures(r->re)) {
		lerr(err, errlen, file, lineno, "$%d refers to a group the "
		    "pattern does not have (it has %zu)", maxref,
		    re_captures(r->re));
		return -1;
	}
	if (asprintf(&r->where, "%s:%d", base, lineno) < 0) {
		r->where = NULL;
		goto nomem;
	}
	return 0;
nomem:
	lerr(err, errlen, file, lineno, "out of memory");
	return -1;
}

/* text_ok - no control characters but tab in a line of the rules file */
static int
text_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
		    s[i] == 0x7f)
			return 0;
	return 1;
}

/* load_rules - read and compile the rules file; 0 or -1 with err */
static int
load_rules(struct rx *rx, char *err, size_t errlen)
{
	const char *base;
	char *line = NULL, *p;
	size_t cap = 0, i;
	ssize_t n;
	int lineno = 0, rc = -1;
	FILE *fp;

	base = strrchr(rx->file, '/');
	base = base != NULL ? base + 1 : rx->file;
	if ((fp = fopen(rx->file, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", rx->file,
		    strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, fp)) != -1) {
		struct rule r, *nr;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
		    line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		if (!text_ok(line, (size_t)n)) {
			lerr(err, errlen, rx->file, lineno,
			    "control character or NUL byte in the line");
			goto out;
		}
		p = skipws(line);
		if (*p == '\0' || *p == '#')
			continue;
		if (parse_line(rx->file, base, lineno, p, &r, err, errlen) ==
		    -1) {
			rule_free(&r);
			goto out;
		}
		nr = realloc(rx->rules, (rx->nrules + 1) * sizeof(*nr));
		if (nr == NULL) {
			rule_free(&r);
			lerr(err, errlen, rx->file, lineno, "out of memory");
			goto out;
		}
		rx->rules = nr;
		rx->rules[rx->nrules++] = r;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error: %s", rx->file,
		    strerror(errno));
		goto out;
	}
	for (i = 0; i < rx->nrules; i++) {
		enum rx_phase ph = target_phase(rx->rules[i].target);
		size_t *np;

		np = realloc(rx->phase[ph], (rx->nphase[ph] + 1) * sizeof(*np));
		if (np == NULL) {
			snprintf(err, errlen, "%s: out of memory", rx->file);
			goto out;
		}
		rx->phase[ph] = np;
		rx->phase[ph][rx->nphase[ph]++] = i;
	}
	rc = 0;
out:
	free(line);
	fclose(fp);
	return rc;
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
	size_t i;

	if (rx == NULL)
		return;
	for (i = 0; i < rx->nrules; i++)
		rule_free(&rx->rules[i]);
	free(rx->rules);
	for (i = 0; i < P_N; i++)
		free(rx->phase[i]);
	free(rx->file);
	free(rx);
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
		} else {
			snprintf(err, errlen, "unknown option '%.64s' (regex "
			    "knows rules, body_max)", key);
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
	if (load_rules(rx, err, errlen) == -1)
		goto fail;
	host->log(NULL, PG_LOG_INFO, "regex: %zu rules from %s", rx->nrules,
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
try(struct run *run, const struct rule *r, const char *subj, size_t len,
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
    const struct rule *r, const char *value)
{
	int rc;

	if (r->action == A_SCORE)
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
fire(struct run *run, const struct rule *r, const char *subj,
    const size_t *ov)
{
	struct rx *rx = run->rx;
	size_t idx = (size_t)(r - rx->rules);
	char value[RX_HVALUE_MAX + 1];

	switch (r->action) {
	case A_REJECT:
	case A_TEMPFAIL:
		expand(r->text, subj, ov, RX_NREF, 1, run->reply->text,
		    sizeof(run->reply->text) < RX_REPLY_MAX + 1 ?
		    sizeof(run->reply->text) : RX_REPLY_MAX + 1);
		rx->host->log(run->s, PG_LOG_INFO, "regex: %s: %s", r->where,
		    r->action == A_REJECT ? "reject" : "tempfail");
		return r->action == A_REJECT ? PG_REJECT : PG_TEMPFAIL;
	case A_DISCARD:
	case A_ACCEPT:
		rx->host->log(run->s, PG_LOG_INFO, "regex: %s: %s%s%s",
		    r->where, r->action == A_DISCARD ? "discard" : "accept",
		    r->text != NULL ? ": " : "", r->text != NULL ? r->text :
		    "");
		return r->action == A_DISCARD ? PG_DISCARD : PG_ACCEPT;
	case A_SCORE:
	case A_ADD_HEADER:
		break;
	}
	if (run->fired[idx])
		return PG_CONTINUE;
	run->fired[idx] = 1;
	if (r->action == A_ADD_HEADER)
		expand(r->text, subj, ov, RX_NREF, 0, value, sizeof(value));
	rx->host->log(run->s, PG_LOG_DEBUG, "regex: %s: %s", r->where,
	    r->action == A_SCORE ? r->symbol : r->aname);
	if (run->tx != NULL)
		(void)effect(rx, run->s, run->tx, r, value);
	else if (session_add(run->sd, idx,
	    r->action == A_ADD_HEADER ? value : NULL) == -1) {
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
rule_skip(const struct run *run, const struct rule *r)
{
	return !action_terminal(r->action) &&
	    run->fired[(size_t)(r - run->rx->rules)];
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

	for (i = 0; i < rx->nphase[ph]; i++) {
		const struct rule *r = &rx->rules[rx->phase[ph][i]];
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
	if ((sd = calloc(1, sizeof(*sd) + rx->nrules + 1)) == NULL)
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
	if ((td = calloc(1, rx->nrules + 1)) == NULL)
		return NULL;
	rx->host->tx_data_set(tx, td, free);
	return td;
}

/*
 * run_begin - set up the matching context of one callback: bookkeeping of
 * the tx (or of the session at connect/helo) and scratch space. 0, or -1
 * with the reason in reply (the callback then returns PG_ERROR).
 */
static int
run_begin(struct run *run, struct rx *rx, struct pg_session *s,
    struct pg_tx *tx, struct pg_reply *reply)
{
	struct sdata *sd;
	unsigned char *td;

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

	if (rx->nphase[P_CONNECT] == 0)
		return PG_CONTINUE;
	if (run_begin(&run, rx, s, NULL, reply) == -1)
		return PG_ERROR;
	v = run_phase(&run, P_CONNECT,
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

	if (rx->nphase[P_HELO] == 0)
		return PG_CONTINUE;
	if (run_begin(&run, rx, s, NULL, reply) == -1)
		return PG_ERROR;
	v = run_phase(&run, P_HELO, nz(name), NULL);
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

	/* SCORE/ADD_HEADER of client and helo rules land on every tx. */
	if (s != NULL && (sd = rx->host->session_data_get(s)) != NULL)
		for (i = 0; i < sd->npend; i++)
			(void)effect(rx, s, tx, &rx->rules[sd->pend[i].rule],
			    sd->pend[i].value);
	if (rx->nphase[P_MAIL] == 0)
		return PG_CONTINUE;
	if (run_begin(&run, rx, s, tx, reply) == -1)
		return PG_ERROR;
	v = run_phase(&run, P_MAIL, nz(sender), NULL);
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

	if (rx->nphase[P_RCPT] == 0)
		return PG_CONTINUE;
	if (run_begin(&run, rx, rx->host->tx_session(tx), tx, reply) == -1)
		return PG_ERROR;
	v = run_phase(&run, P_RCPT, nz(rcpt), NULL);
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

	if (rx->nphase[P_HEADER] == 0)
		return PG_CONTINUE;
	name = nz(name);
	value = nz(value);
	if (run_begin(&run, rx, rx->host->tx_session(tx), tx, reply) == -1)
		return PG_ERROR;
	for (i = 0; i < rx->nphase[P_HEADER]; i++) {
		const struct rule *r = &rx->rules[rx->phase[P_HEADER][i]];

		if (rule_skip(&run, r))
			continue;
		if (r->target == T_HEADER) {
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

	for (i = 0; i < rx->nphase[P_BODY]; i++)
		if (!rule_skip(run, &rx->rules[rx->phase[P_BODY][i]]))
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

	for (i = 0; i < rx->nphase[P_BODY]; i++) {
		const struct rule *r = &rx->rules[rx->phase[P_BODY][i]];

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
static enum pg_verdict
rx_eom(void *state, struct pg_tx *tx, struct pg_reply *reply)
{
	struct rx *rx = state;
	char *buf = NULL, *line = NULL;
	const char *p, *e, *nl;
	size_t llen = 0, seg, take, len;
	uint64_t left = rx->body_max;
	off_t off = 0;
	ssize_t n;
	int trunc = 0;
	struct run run;
	enum pg_verdict v = PG_CONTINUE;

	if (rx->nphase[P_BODY] == 0)
		return PG_CONTINUE;
	if (run_begin(&run, rx, rx->host->tx_session(tx), tx, reply) == -1)
		return PG_ERROR;
	if ((buf = malloc(RX_CHUNK)) == NULL ||
	    (line = malloc(RX_SUBJECT_MAX)) == NULL) {
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
		for (p = buf, e = buf + n; p < e; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(e - p));
			seg = (size_t)((nl != NULL ? nl : e) - p);
			if (llen == 0 && nl != NULL) {
				/* a whole line in buf: match it in place */
				len = seg;
				if (len > 0 && p[len - 1] == '\r')
					len--;
				v = body_line(&run, p, len);
			} else {
				/* a line across reads: gather its start */
				take = RX_SUBJECT_MAX - llen;
				if (take > seg) {
					take = seg;
				} else if (take < seg)
					trunc = 1;
				memcpy(line + llen, p, take);
				llen += take;
				if (nl == NULL)
					break;
				len = llen;
				if (!trunc && len > 0 && line[len - 1] == '\r')
					len--;
				v = body_line(&run, line, len);
				llen = 0;
				trunc = 0;
			}
			if (v != PG_CONTINUE)
				goto out;
			if (nl == NULL)
				break;
		}
	}
	/* the last line, without a line end or cut by body_max */
	if (llen > 0) {
		len = llen;
		if (!trunc && line[len - 1] == '\r')
			len--;
		v = body_line(&run, line, len);
	}
	if (left == 0)
		rx->host->log(run.s, PG_LOG_DEBUG, "regex: body scan stopped "
		    "at body_max (%llu bytes)", (unsigned long long)rx->body_max);
out:
	free(buf);
	free(line);
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

	if (rx->nphase[P_CONNECT] > 0)
		m |= PG_PHASE_CONNECT;
	if (rx->nphase[P_HELO] > 0)
		m |= PG_PHASE_HELO;
	if (rx->nphase[P_MAIL] > 0)
		m |= PG_PHASE_MAIL;
	if (rx->nphase[P_RCPT] > 0)
		m |= PG_PHASE_RCPT;
	if (rx->nphase[P_HEADER] > 0)
		m |= PG_PHASE_HEADER;
	if (rx->nphase[P_BODY] > 0)
		m |= PG_PHASE_EOM | PG_PHASE_BODY;
	/* rx_mail hands client/helo effects to each transaction */
	for (i = 0; i < rx->nrules; i++) {
		enum rx_phase ph = target_phase(rx->rules[i].target);

		if ((ph == P_CONNECT || ph == P_HELO) &&
		    !action_terminal(rx->rules[i].action))
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
