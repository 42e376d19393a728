/*
 * dz_zones - the dnsbl plugin's zones file
 *
 * Public: dz_zones_load(), dz_zones_free(), dz_code_valid(),
 * dz_code_match(), dz_reply(). See dz_zones.h and docs/dnsbl-plugin.md.
 *
 * One rule a line:
 *
 *	TARGET ZONE CODES ACTION [arguments]
 *
 * TARGET is client, helo, sender or body; ZONE a DNS name; CODES "any"
 * or a comma-separated list of 127.0.0.2, 127.0.0.2-127.0.0.11 and &MASK
 * (the last octet has a bit of MASK: URIBL/SURBL style); ACTION is
 * SCORE n SYMBOL, REJECT [reply] or TEMPFAIL [reply]. Blank lines and
 * "#" comments are ignored.
 *
 * Trust: the file is configuration, checked strictly, each error
 * "FILE:LINE: reason". Codes and TXT come from DNS servers: codes are
 * parsed with inet_pton(), TXT is cleaned before it goes into a reply.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dz_zones.h"

#define DZ_LINE_MAX	2048
#define DZ_RULES_MAX	1000

static const char *const target_names[DZ_NTARGETS] = { "client", "helo",
    "sender", "body" };

static const char *const what_names[DZ_NTARGETS] = { "Client host",
    "Helo command", "Sender address", "Message content" };

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

/* word - the next blank-separated word of *pp (NUL-terminated in place) */
static char *
word(char **pp)
{
	char *p = *pp, *w;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return NULL;
	w = p;
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	if (*p != '\0')
		*p++ = '\0';
	*pp = p;
	return w;
}

/* rest - what is left of the line, without blanks around it */
static char *
rest(char *p)
{
	size_t n;

	while (*p == ' ' || *p == '\t')
		p++;
	n = strlen(p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		p[--n] = '\0';
	return p;
}

/* zone_ok - a DNS name: labels of letters, digits, '-', '_' */
static int
zone_ok(char *z)
{
	size_t n = strlen(z), i, label = 0;

	if (n > 0 && z[n - 1] == '.')
		z[--n] = '\0';
	if (n == 0 || n > 200)
		return 0;
	for (i = 0; i < n; i++) {
		z[i] = (char)tolower((unsigned char)z[i]);
		if (z[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if ((isalnum((unsigned char)z[i]) || z[i] == '-' ||
		    z[i] == '_') && ++label <= 63)
			continue;
		else
			return 0;
	}
	return label > 0;
}

/* v4 - a dotted IPv4 address in host order; -1 if not one */
static int
v4(const char *s, uint32_t *out)
{
	unsigned char a[4];

	if (inet_pton(AF_INET, s, a) != 1)
		return -1;
	*out = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
	    (uint32_t)a[2] << 8 | a[3];
	return 0;
}

/* parse_codes - "any" or "a,b-c,&m"; 0 or -1 with why */
static int
parse_codes(char *s, struct dz_rule *r, char *why, size_t whylen)
{
	char *tok, *save = NULL, *dash;
	size_t n = 1;
	const char *p;
	unsigned long m;
	char *end;

	if (strcasecmp(s, "any") == 0) {
		r->any = 1;
		return 0;
	}
	for (p = s; *p; p++)
		n += *p == ',';
	if ((r->ranges = calloc(n, sizeof(*r->ranges))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct dz_range *g = &r->ranges[r->nranges];

		if (tok[0] == '&') {
			errno = 0;
			m = strtoul(tok + 1, &end, 10);
			if (errno || *end || m == 0 || m > 255 || tok[1] == '\0')
				goto bad;
			g->mask = (unsigned)m;
		} else {
			if ((dash = strchr(tok, '-')) != NULL)
				*dash++ = '\0';
			if (v4(tok, &g->lo) == -1 ||
			    (dash != NULL ? v4(dash, &g->hi) : v4(tok, &g->hi)) == -1 ||
			    g->hi < g->lo)
				goto bad;
			if ((g->lo >> 24) != 127 || (g->hi >> 24) != 127) {
				snprintf(why, whylen, "code '%s' is not in "
				    "127.0.0.0/8", tok);
				return -1;
			}
		}
		r->nranges++;
	}
	if (r->nranges == 0)
		goto bad;
	return 0;
bad:
	snprintf(why, whylen, "bad codes '%s' (any, 127.0.0.2, "
	    "127.0.0.2-127.0.0.11, &8, separated by commas)", tok ? tok : s);
	return -1;
}

/* symbol_ok - letters, digits, '_', '-', '.' */
static int
symbol_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '.')
			return 0;
	return 1;
}

/*
 * reply_text - check a REJECT/TEMPFAIL reply and give it its code and
 * enhanced code when it lacks them; malloc'd, or NULL with why
 */
static char *
reply_text(const char *text, enum dz_target t, int cls, char *why,
    size_t whylen)
{
	const char *code = cls == 5 ? "554" : "451";
	const char *enh = cls == 5 ? "5.7.1" : "4.7.1";
	char def[160], *out;
	size_t n;
	int c, sub, det, len = 0;

	if (*text == '\0') {
		snprintf(def, sizeof(def), "Service unavailable; %s [$subject] "
		    "blocked using $zone$txt", what_names[t]);
		text = def;
	}
	if (isdigit((unsigned char)text[0]) && isdigit((unsigned char)text[1]) &&
	    isdigit((unsigned char)text[2]) && (text[3] == ' ' || !text[3])) {
		if (text[0] - '0' != cls) {
			snprintf(why, whylen, "%s needs a %dxx code, not %.3s",
			    cls == 5 ? "REJECT" : "TEMPFAIL", cls, text);
			return NULL;
		}
		code = "";
		if (sscanf(text + 3, " %d.%d.%d%n", &c, &sub, &det, &len) == 3) {
			if (c != cls) {
				snprintf(why, whylen, "the enhanced code of a "
				    "%dxx reply starts with %d", cls, cls);
				return NULL;
			}
			enh = "";
		}
	}
	n = strlen(code) + strlen(enh) + strlen(text) + 3;
	if (n > DZ_REPLY_MAX) {
		snprintf(why, whylen, "reply too long (at most %d bytes)",
		    DZ_REPLY_MAX);
		return NULL;
	}
	if ((out = malloc(n)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	/* n is exact: strcpy/strcat, whose lengths gcc does not doubt */
	out[0] = '\0';
	if (*code != '\0') {	/* neither: both in front */
		strcat(strcat(strcat(strcat(out, code), " "), enh), " ");
		strcat(out, text);
	} else if (*enh == '\0')	/* both given */
		strcpy(out, text);
	else {	/* a code without an enhanced code: put it after the code */
		memcpy(out, text, 3);
		out[3] = '\0';
		strcat(strcat(strcat(out, " "), enh), text + 3);
	}
	return out;
}

/* parse_action - SCORE n SYMBOL | REJECT [reply] | TEMPFAIL [reply] */
static int
parse_action(char *p, struct dz_rule *r, char *why, size_t whylen)
{
	char *a = word(&p), *num, *sym, *end;

	if (a == NULL) {
		snprintf(why, whylen, "no action (SCORE, REJECT, TEMPFAIL)");
		return -1;
	}
	if (strcasecmp(a, "SCORE") == 0) {
		r->action = DZ_SCORE;
		num = word(&p);
		sym = word(&p);
		if (num == NULL || sym == NULL || *rest(p) != '\0') {
			snprintf(why, whylen, "SCORE needs points and a symbol: "
			    "SCORE 2.5 RBL_EXAMPLE");
			return -1;
		}
		errno = 0;
		r->score = strtod(num, &end);
		if (errno || *end || !isfinite(r->score)) {
			snprintf(why, whylen, "bad score '%s'", num);
			return -1;
		}
		if (!symbol_ok(sym)) {
			snprintf(why, whylen, "bad symbol '%s' (letters, digits,"
			    " '_', '-', '.')", sym);
			return -1;
		}
		if ((r->symbol = strdup(sym)) == NULL) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		return 0;
	}
	if (strcasecmp(a, "REJECT") == 0 || strcasecmp(a, "TEMPFAIL") == 0) {
		int cls = toupper((unsigned char)a[0]) == 'R' ? 5 : 4;

		r->action = cls == 5 ? DZ_REJECT : DZ_TEMPFAIL;
		r->text = reply_text(rest(p), r->target, cls, why, whylen);
		return r->text != NULL ? 0 : -1;
	}
	snprintf(why, whylen, "unknown action '%s' (SCORE, REJECT, TEMPFAIL)", a);
	return -1;
}

/* parse_line - one rule; 0, 1 for nothing (blank, comment), -1 with why */
static int
parse_line(char *line, struct dz_rule *r, char *why, size_t whylen)
{
	char *p = line, *t, *z, *codes;
	int i;

	for (t = line; *t; t++)
		if ((unsigned char)*t < 0x20 && *t != '\t') {
			snprintf(why, whylen, "control character in the line");
			return -1;
		}
	if ((t = word(&p)) == NULL || t[0] == '#')
		return 1;
	for (i = 0; i < DZ_NTARGETS; i++)
		if (strcmp(t, target_names[i]) == 0)
			break;
	if (i == DZ_NTARGETS) {
		snprintf(why, whylen, "unknown target '%s' (client, helo, "
		    "sender, body)", t);
		return -1;
	}
	r->target = (enum dz_target)i;
	if ((z = word(&p)) == NULL || !zone_ok(z)) {
		snprintf(why, whylen, "bad or missing zone '%s'", z ? z : "");
		return -1;
	}
	if ((r->zone = strdup(z)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if ((codes = word(&p)) == NULL) {
		snprintf(why, whylen, "no codes (any, 127.0.0.2, ...)");
		return -1;
	}
	if (parse_codes(codes, r, why, whylen) == -1)
		return -1;
	return parse_action(p, r, why, whylen);
}

static void
rule_free(struct dz_rule *r)
{
	free(r->zone);
	free(r->ranges);
	free(r->symbol);
	free(r->text);
}

/* index_zones - the distinct zones of each target */
static int
index_zones(struct dz_zones *zs)
{
	size_t i, j, t;

	for (t = 0; t < DZ_NTARGETS; t++)
		if ((zs->zones[t] = calloc(zs->nrules + 1, sizeof(char *))) ==
		    NULL)
			return -1;
	for (i = 0; i < zs->nrules; i++) {
		struct dz_rule *r = &zs->rules[i];

		t = r->target;
		for (j = 0; j < zs->nzones[t]; j++)
			if (strcmp(zs->zones[t][j], r->zone) == 0)
				break;
		if (j == zs->nzones[t])
			zs->zones[t][zs->nzones[t]++] = r->zone;
	}
	return 0;
}

int
dz_zones_load(struct dz_zones *zs, const char *file, char *err, size_t errlen)
{
	char line[DZ_LINE_MAX + 2], why[256];
	struct dz_rule r;
	FILE *fp;
	int lineno = 0, rc;

	memset(zs, 0, sizeof(*zs));
	if ((fp = fopen(file, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	if ((zs->rules = calloc(DZ_RULES_MAX, sizeof(*zs->rules))) == NULL) {
		fclose(fp);
		snprintf(err, errlen, "%s: out of memory", file);
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t n = strlen(line);

		lineno++;
		if (n > DZ_LINE_MAX) {
			lerr(err, errlen, file, lineno, "line too long");
			goto fail;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		memset(&r, 0, sizeof(r));
		r.line = lineno;
		if ((rc = parse_line(line, &r, why, sizeof(why))) == 1)
			continue;
		if (rc == -1 || zs->nrules == DZ_RULES_MAX) {
			rule_free(&r);
			lerr(err, errlen, file, lineno, "%s", rc == -1 ? why :
			    "too many rules");
			goto fail;
		}
		zs->rules[zs->nrules++] = r;
	}
	fclose(fp);
	fp = NULL;
	if (zs->nrules == 0) {
		snprintf(err, errlen, "%s: no rules", file);
		goto fail;
	}
	if (index_zones(zs) == -1) {
		snprintf(err, errlen, "%s: out of memory", file);
		goto fail;
	}
	return 0;
fail:
	if (fp != NULL)
		fclose(fp);
	dz_zones_free(zs);
	return -1;
}

void
dz_zones_free(struct dz_zones *zs)
{
	size_t i;

	if (zs == NULL)
		return;
	for (i = 0; i < zs->nrules; i++)
		rule_free(&zs->rules[i]);
	free(zs->rules);
	for (i = 0; i < DZ_NTARGETS; i++)
		free(zs->zones[i]);
	memset(zs, 0, sizeof(*zs));
}

int
dz_code_valid(const char *code)
{
	uint32_t a;

	if (code == NULL || v4(code, &a) == -1 || (a >> 24) != 127)
		return 0;
	if (a <= 0x7f000001u)
		return 0;	/* 127.0.0.0, 127.0.0.1 */
	return (a >> 8) != 0x7fffffu;	/* 127.255.255.0/24 */
}

int
dz_code_match(const struct dz_rule *r, const char *code)
{
	uint32_t a;
	size_t i;

	if (!dz_code_valid(code) || v4(code, &a) == -1)
		return 0;
	if (r->any)
		return 1;
	for (i = 0; i < r->nranges; i++) {
		const struct dz_range *g = &r->ranges[i];

		if (g->mask != 0 ? (a & g->mask) != 0 : a >= g->lo && a <= g->hi)
			return 1;
	}
	return 0;
}

/* put - append s (n bytes; control characters as spaces) at *o, within end */
static void
put(char **o, const char *end, const char *s, size_t n)
{
	for (; n > 0 && *o < end; n--, s++)
		*(*o)++ = (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s;
}

void
dz_reply(const struct dz_rule *r, const char *subject, const char *code,
    const char *txt, char *out, size_t len)
{
	char *o = out, *end;
	const char *p = r->text != NULL ? r->text : "";

	if (len == 0)
		return;
	if (len > DZ_REPLY_MAX + 1)
		len = DZ_REPLY_MAX + 1;
	end = out + len - 1;
	while (*p != '\0' && o < end) {
		if (strncmp(p, "$subject", 8) == 0) {
			put(&o, end, subject, strlen(subject));
			p += 8;
		} else if (strncmp(p, "$zone", 5) == 0) {
			put(&o, end, r->zone, strlen(r->zone));
			p += 5;
		} else if (strncmp(p, "$code", 5) == 0) {
			put(&o, end, code, strlen(code));
			p += 5;
		} else if (strncmp(p, "$txt", 4) == 0) {
			if (txt != NULL && *txt != '\0') {
				size_t n = strlen(txt);

				put(&o, end, "; ", 2);
				put(&o, end, txt, n > DZ_TXT_MAX ? DZ_TXT_MAX : n);
			}
			p += 4;
		} else
			put(&o, end, p++, 1);
	}
	*o = '\0';
}
