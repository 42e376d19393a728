/*
 * rx_rules - the regex plugin's rules file: read, check, compile
 *
 * Public: rx_rules_load(), rx_rules_free(), rx_rules_phase(); see
 * rx_rules.h. One rule a line (docs/regex-plugin.md):
 *
 *	TARGET /PATTERN/FLAGS ACTION [args]
 *
 * Input is trusted configuration, checked strictly; errors are "FILE:LINE:
 * reason". Patterns are compiled with host/lib/re.c. Every allocation is
 * failable.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "re.h"
#include "rx_rules.h"

enum rx_phase
rx_rules_phase(enum rx_target t)
{
	switch (t) {
	case RX_T_CLIENT:	return RX_P_CONNECT;
	case RX_T_HELO:	return RX_P_HELO;
	case RX_T_FROM:	return RX_P_MAIL;
	case RX_T_RCPT:	return RX_P_RCPT;
	case RX_T_HEADER:
	case RX_T_HEADERS:	return RX_P_HEADER;
	case RX_T_BODY:	return RX_P_BODY;
	case RX_T_TEXT:
	case RX_T_URL:
	case RX_T_DOMAIN:
	case RX_T_FILENAME:
	case RX_T_DECODED:	return RX_P_CONTENT;
	}
	return RX_P_BODY;
}


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
rule_free(struct rx_rule *r)
{
	re_free(r->re);
	free(r->hname);
	free(r->text);
	free(r->aname);
	free(r->symbol);
	free(r->where);
}

/* parse_target - the target word(s) at *pp into r; 0 or -1 with err */
static int
parse_target(char **pp, const char *file, int lineno, struct rx_rule *r,
    char *err, size_t errlen)
{
	static const struct {
		const char	*word;
		enum rx_target	 target;
	} words[] = {
		{ "client", RX_T_CLIENT }, { "helo", RX_T_HELO },
		{ "from", RX_T_FROM }, { "rcpt", RX_T_RCPT },
		{ "headers", RX_T_HEADERS }, { "body", RX_T_BODY },
		{ "text", RX_T_TEXT }, { "url", RX_T_URL },
		{ "domain", RX_T_DOMAIN }, { "filename", RX_T_FILENAME },
	};
	int decoded = 0;
	char *w = word(pp);
	size_t i, n;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(w, words[i].word) == 0) {
			r->target = words[i].target;
			return 0;
		}
	if (strcmp(w, "decoded") == 0)
		decoded = 1;
	else if (strcmp(w, "header") != 0) {
		lerr(err, errlen, file, lineno, "unknown target '%.64s'", w);
		return -1;
	}
	w = word(pp);
	if (*w == '\0' || *w == '/') {
		lerr(err, errlen, file, lineno,
		    "header needs a field name or '*' before the pattern");
		return -1;
	}
	if (strcmp(w, "*") == 0 && !decoded) {
		r->target = RX_T_HEADERS;
		return 0;
	}
	/* "header Subject:" reads as "header Subject" */
	n = strlen(w);
	if (n > 1 && w[n - 1] == ':')
		w[n - 1] = '\0';
	if (!field_name_ok(w)) {
		lerr(err, errlen, file, lineno, "bad header field name '%.64s'",
		    w);
		return -1;
	}
	r->target = decoded ? RX_T_DECODED : RX_T_HEADER;
	if ((r->hname = strdup(w)) == NULL) {
		lerr(err, errlen, file, lineno, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * parse_pattern - /pattern/flags (or m!pattern!flags with any punctuation)
 * at *pp, compiled into r->re; 0 or -1 with err
 */
static int
parse_pattern(char **pp, const char *file, int lineno, struct rx_rule *r,
    char *err, size_t errlen)
{
	char rerr[RE_ERR_MAX], flags[16];
	char *p = skipws(*pp), *pat, *end;
	size_t plen, i;
	char delim;

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
	*pp = p;
	return 0;
}

/* action_score - "SCORE n SYMBOL" after the word; 0, -1 with why, or -2 no memory */
static int
action_score(char *p, struct rx_rule *r, char *why, size_t whylen)
{
	char *num = word(&p), *sym = word(&p), *e;

	r->action = RX_A_SCORE;
	if (*num == '\0' || *sym == '\0') {
		snprintf(why, whylen,
		    "SCORE needs points and a symbol: SCORE 2.5 NAME");
		return -1;
	}
	errno = 0;
	r->score = strtod(num, &e);
	if (*e != '\0' || errno != 0 || !isfinite(r->score)) {
		snprintf(why, whylen, "bad score '%.64s'", num);
		return -1;
	}
	if (!symbol_ok(sym)) {
		snprintf(why, whylen, "bad symbol '%.64s' (letters, digits, "
		    "'_', '-', '.')", sym);
		return -1;
	}
	if (*skipws(p) != '\0') {
		snprintf(why, whylen, "unexpected '%.64s' after SCORE %.32s "
		    "%.64s", skipws(p), num, sym);
		return -1;
	}
	return (r->symbol = strdup(sym)) == NULL ? -2 : 0;
}

/* action_header - "ADD_HEADER Name: value" after the word; as action_score */
static int
action_header(char *p, struct rx_rule *r, char *why, size_t whylen)
{
	char *colon = strchr(p, ':');

	r->action = RX_A_ADD_HEADER;
	if (colon == NULL) {
		snprintf(why, whylen, "ADD_HEADER needs 'Name: value'");
		return -1;
	}
	*colon = '\0';
	if (!field_name_ok(p)) {
		snprintf(why, whylen, "bad header field name '%.64s'", p);
		return -1;
	}
	if ((r->aname = strdup(p)) == NULL ||
	    (r->text = strdup(skipws(colon + 1))) == NULL)
		return -2;
	if (strlen(r->text) > RX_HVALUE_MAX) {
		snprintf(why, whylen, "header value too long (at most %d "
		    "bytes)", RX_HVALUE_MAX);
		return -1;
	}
	return 0;
}

/* parse_action - the action and its arguments at p; 0, -1 with why, or -2 no memory */
static int
parse_action(char *p, struct rx_rule *r, char *why, size_t whylen)
{
	char *w = word(&p);

	p = skipws(p);
	if (*w == '\0') {
		snprintf(why, whylen, "missing action after the pattern");
		return -1;
	}
	if (strcasecmp(w, "REJECT") == 0 || strcasecmp(w, "TEMPFAIL") == 0) {
		int cls = strcasecmp(w, "REJECT") == 0 ? 5 : 4;

		r->action = cls == 5 ? RX_A_REJECT : RX_A_TEMPFAIL;
		if ((r->text = reply_template(p, cls, why, whylen)) == NULL)
			return why[0] == '\0' ? -2 : -1;
		return 0;
	}
	if (strcasecmp(w, "DISCARD") == 0 || strcasecmp(w, "ACCEPT") == 0) {
		r->action = strcasecmp(w, "DISCARD") == 0 ? RX_A_DISCARD :
		    RX_A_ACCEPT;
		return *p != '\0' && (r->text = strdup(p)) == NULL ? -2 : 0;
	}
	if (strcasecmp(w, "SCORE") == 0)
		return action_score(p, r, why, whylen);
	if (strcasecmp(w, "ADD_HEADER") == 0)
		return action_header(p, r, why, whylen);
	snprintf(why, whylen, "unknown action '%.64s'", w);
	return -1;
}

/*
 * parse_line - parse one rule; 0 (r filled in), or -1 with "FILE:LINE:
 * reason" in err. line is modified. r is to be rule_free()d either way.
 */
static int
parse_line(const char *file, const char *base, int lineno, char *line,
    struct rx_rule *r, char *err, size_t errlen)
{
	char why[256] = "";
	char *p = line;
	int maxref, rc;

	memset(r, 0, sizeof(*r));
	r->line = lineno;
	if (parse_target(&p, file, lineno, r, err, errlen) == -1 ||
	    parse_pattern(&p, file, lineno, r, err, errlen) == -1)
		return -1;
	if ((rc = parse_action(p, r, why, sizeof(why))) == -2)
		goto nomem;
	if (rc == -1) {
		lerr(err, errlen, file, lineno, "%s", why);
		return -1;
	}
	if (r->text != NULL && (r->action == RX_A_REJECT ||
	    r->action == RX_A_TEMPFAIL || r->action == RX_A_ADD_HEADER) &&
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

/* index_phases - the rule indexes of each phase, in file order */
static int
index_phases(struct rx_rules *rs)
{
	size_t i, *np;
	enum rx_phase ph;

	for (i = 0; i < rs->nrules; i++) {
		ph = rx_rules_phase(rs->rules[i].target);
		np = realloc(rs->phase[ph], (rs->nphase[ph] + 1) * sizeof(*np));
		if (np == NULL)
			return -1;
		rs->phase[ph] = np;
		rs->phase[ph][rs->nphase[ph]++] = i;
	}
	return 0;
}

/* add_line - parse one line of the file into rs; 0 or -1 with err */
static int
add_line(struct rx_rules *rs, const char *file, const char *base, int lineno,
    char *line, size_t n, char *err, size_t errlen)
{
	struct rx_rule r, *nr;
	char *p;

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
	    line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	if (!text_ok(line, n)) {
		lerr(err, errlen, file, lineno,
		    "control character or NUL byte in the line");
		return -1;
	}
	p = skipws(line);
	if (*p == '\0' || *p == '#')
		return 0;
	if (parse_line(file, base, lineno, p, &r, err, errlen) == -1) {
		rule_free(&r);
		return -1;
	}
	if ((nr = realloc(rs->rules, (rs->nrules + 1) * sizeof(*nr))) == NULL) {
		rule_free(&r);
		lerr(err, errlen, file, lineno, "out of memory");
		return -1;
	}
	rs->rules = nr;
	rs->rules[rs->nrules++] = r;
	return 0;
}

int
rx_rules_load(struct rx_rules *rs, const char *file, char *err, size_t errlen)
{
	const char *base;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, rc = -1;
	FILE *fp;

	memset(rs, 0, sizeof(*rs));
	base = strrchr(file, '/');
	base = base != NULL ? base + 1 : file;
	if ((fp = fopen(file, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", file,
		    strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, fp)) != -1)
		if (add_line(rs, file, base, ++lineno, line, (size_t)n, err,
		    errlen) == -1)
			goto out;
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error: %s", file,
		    strerror(errno));
		goto out;
	}
	if (index_phases(rs) == -1) {
		snprintf(err, errlen, "%s: out of memory", file);
		goto out;
	}
	rc = 0;
out:
	free(line);
	fclose(fp);
	if (rc == -1)
		rx_rules_free(rs);
	return rc;
}

void
rx_rules_free(struct rx_rules *rs)
{
	size_t i;

	for (i = 0; i < rs->nrules; i++)
		rule_free(&rs->rules[i]);
	free(rs->rules);
	for (i = 0; i < RX_P_N; i++)
		free(rs->phase[i]);
	memset(rs, 0, sizeof(*rs));
}
