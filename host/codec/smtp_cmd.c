/*
 * smtp_cmd - parse SMTP commands from a byte stream
 *
 * Public: smtp_cmd_parser_new(), smtp_cmd_parser_free(), smtp_cmd_feed(),
 * smtp_cmd_next(), smtp_cmd_pending(), smtp_cmd_parse_line(),
 * smtp_cmd_verb_name().
 *
 * Input is untrusted. The parser never buffers more than limits->line_max
 * bytes of a line: the rest of an over-long line is skipped up to its line
 * end and reported as SMTP_CMD_ERR_TOOLONG. A line end is CRLF; a bare LF
 * ends the line too but is reported as SMTP_CMD_ERR_BARENL (or taken as a
 * line end with normalize_lf); a CR not followed by LF anywhere in the line
 * is SMTP_CMD_ERR_BARENL. Results point into the parser and are valid until
 * the next smtp_cmd_feed()/smtp_cmd_next(). No logging, no clock, no I/O.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_cmd.h"

struct smtp_cmd_parser {
	size_t		 line_max;
	int		 normalize_lf;
	char		*line;		/* line_max bytes */
	size_t		 len;
	int		 cr;		/* last byte was CR */
	int		 toolong;
	int		 barenl;
	int		 nul;
	int		 ready;		/* a complete line is in line[] */
	char		*scratch;	/* 4 * line_max + 4 */
	size_t		 scratchlen;
};

static const struct {
	const char		*name;
	enum smtp_cmd_verb	 verb;
} verbs[] = {
	{ "HELO", SMTP_VERB_HELO }, { "EHLO", SMTP_VERB_EHLO },
	{ "MAIL", SMTP_VERB_MAIL }, { "RCPT", SMTP_VERB_RCPT },
	{ "DATA", SMTP_VERB_DATA }, { "RSET", SMTP_VERB_RSET },
	{ "NOOP", SMTP_VERB_NOOP }, { "QUIT", SMTP_VERB_QUIT },
	{ "HELP", SMTP_VERB_HELP }, { "VRFY", SMTP_VERB_VRFY },
	{ "EXPN", SMTP_VERB_EXPN }, { "STARTTLS", SMTP_VERB_STARTTLS },
	{ "AUTH", SMTP_VERB_AUTH }, { "BDAT", SMTP_VERB_BDAT },
	{ "XCLIENT", SMTP_VERB_XCLIENT }, { "XFORWARD", SMTP_VERB_XFORWARD },
	{ "ETRN", SMTP_VERB_ETRN },
};

struct smtp_cmd_parser *
smtp_cmd_parser_new(const struct smtp_cmd_limits *lim)
{
	struct smtp_cmd_parser *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->line_max = lim && lim->line_max ? lim->line_max : SMTP_CMD_LINE_MAX;
	if (p->line_max < 8)
		p->line_max = 8;
	p->normalize_lf = lim ? lim->normalize_lf : 0;
	p->scratchlen = 4 * p->line_max + 4;
	if ((p->line = malloc(p->line_max)) == NULL ||
	    (p->scratch = malloc(p->scratchlen)) == NULL) {
		smtp_cmd_parser_free(p);
		return NULL;
	}
	return p;
}

void
smtp_cmd_parser_free(struct smtp_cmd_parser *p)
{
	if (p == NULL)
		return;
	free(p->line);
	free(p->scratch);
	free(p);
}

size_t
smtp_cmd_pending(const struct smtp_cmd_parser *p)
{
	return p->ready ? 0 : p->len + (size_t)p->cr;
}

size_t
smtp_cmd_feed(struct smtp_cmd_parser *p, const char *buf, size_t n)
{
	size_t i;
	unsigned char c;

	if (p->ready)
		return 0;
	for (i = 0; i < n; i++) {
		c = (unsigned char)buf[i];
		if (c == '\n') {
			if (!p->cr && !p->normalize_lf)
				p->barenl = 1;
			p->cr = 0;
			p->ready = 1;
			return i + 1;
		}
		if (p->cr) {
			/* CR not followed by LF: a bare CR inside the line */
			p->barenl = 1;
			p->cr = 0;
		}
		if (c == '\r') {
			p->cr = 1;
			continue;
		}
		if (c == '\0')
			p->nul = 1;
		/* content plus CRLF may not exceed line_max */
		if (p->len + 3 > p->line_max || p->toolong) {
			p->toolong = 1;
			continue;
		}
		p->line[p->len++] = (char)c;
	}
	return n;
}

enum smtp_cmd_status
smtp_cmd_next(struct smtp_cmd_parser *p, struct smtp_cmd *cmd)
{
	enum smtp_cmd_status st;

	memset(cmd, 0, sizeof(*cmd));
	if (!p->ready)
		return SMTP_CMD_MORE;
	if (p->toolong)
		st = SMTP_CMD_ERR_TOOLONG;
	else if (p->barenl)
		st = SMTP_CMD_ERR_BARENL;
	else if (p->nul) {
		st = SMTP_CMD_ERR_SYNTAX;
		cmd->error = "NUL character in command";
	} else
		st = smtp_cmd_parse_line(p->line, p->len, cmd, p->scratch,
		    p->scratchlen);
	p->len = 0;
	p->cr = p->toolong = p->barenl = p->nul = p->ready = 0;
	return st;
}

const char *
smtp_cmd_verb_name(enum smtp_cmd_verb v)
{
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "";
}

/* param_ok - check one ESMTP parameter "keyword[=value]" of n bytes */
static int
param_ok(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !isalnum((unsigned char)s[0]))
		return 0;
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-'))
		i++;
	if (i == n)
		return 1;
	if (s[i] != '=' || i + 1 == n)
		return 0;
	for (i++; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 33 || c == 127 || c == '=')
			return 0;
	}
	return 1;
}

/* parse_size - SIZE=digits; 0 ok, -1 bad */
static int
parse_size(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* parse_path - MAIL/RCPT argument after "FROM:"/"TO:" */
static enum smtp_cmd_status
parse_path(const char *s, size_t n, struct smtp_cmd *cmd, char *out)
{
	size_t i = 0, pstart, pend, astart, alen, o = 0, k;
	int quoted = 0, bracket;
	char *path, *addr, *params;

	while (i < n && s[i] == ' ')
		i++;
	pstart = i;
	bracket = (i < n && s[i] == '<');
	if (bracket)
		i++;
	astart = i;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 32 || c == 127) {
			cmd->error = "control character in address";
			return SMTP_CMD_ERR_SYNTAX;
		}
		if (quoted) {
			if (c == '\\' && i + 1 < n)
				i++;
			else if (c == '"')
				quoted = 0;
			continue;
		}
		if (c == '"')
			quoted = 1;
		else if (bracket && c == '>')
			break;
		else if (c == ' ') {
			if (bracket) {
				cmd->error = "space in address";
				return SMTP_CMD_ERR_SYNTAX;
			}
			break;
		} else if (c == '<' || (!bracket && c == '>')) {
			cmd->error = "bad angle bracket in address";
			return SMTP_CMD_ERR_SYNTAX;
		}
	}
	if (quoted || (bracket && i >= n)) {
		cmd->error = "unbalanced address";
		return SMTP_CMD_ERR_SYNTAX;
	}
	alen = i - astart;
	pend = bracket ? i + 1 : i;
	if (!bracket && alen == 0) {
		cmd->error = "missing address";
		return SMTP_CMD_ERR_SYNTAX;
	}
	if (alen > SMTP_CMD_ADDR_MAX) {
		cmd->error = "address too long";
		return SMTP_CMD_ERR_SYNTAX;
	}
	/* a source route "@a,@b:user@d" is dropped from the address */
	if (alen > 0 && s[astart] == '@') {
		for (k = astart; k < astart + alen && s[k] != ':'; k++)
			;
		if (k == astart + alen) {
			cmd->error = "bad source route";
			return SMTP_CMD_ERR_SYNTAX;
		}
		alen -= k + 1 - astart;
		astart = k + 1;
	}
	path = out + o;
	memcpy(path, s + pstart, pend - pstart);
	o += pend - pstart;
	out[o++] = '\0';
	addr = out + o;
	memcpy(addr, s + astart, alen);
	o += alen;
	out[o++] = '\0';

	/* parameters */
	i = pend;
	if (i < n && s[i] != ' ') {
		cmd->error = "garbage after address";
		return SMTP_CMD_ERR_SYNTAX;
	}
	while (i < n && s[i] == ' ')
		i++;
	params = out + o;
	memcpy(params, s + i, n - i);
	o += n - i;
	out[o] = '\0';
	while (i < n) {
		size_t b = i;
		while (i < n && s[i] != ' ')
			i++;
		if (!param_ok(s + b, i - b)) {
			cmd->error = "bad ESMTP parameter";
			return SMTP_CMD_ERR_SYNTAX;
		}
		if (cmd->verb == SMTP_VERB_MAIL && i - b > 5 &&
		    strncasecmp(s + b, "SIZE=", 5) == 0) {
			if (parse_size(s + b + 5, i - b - 5, &cmd->size) < 0) {
				cmd->error = "bad SIZE parameter";
				return SMTP_CMD_ERR_SYNTAX;
			}
			cmd->has_size = 1;
		}
		while (i < n && s[i] == ' ')
			i++;
	}
	cmd->path = path;
	cmd->addr = addr;
	cmd->params = params;
	if (cmd->verb == SMTP_VERB_RCPT && alen == 0) {
		cmd->error = "empty recipient";
		return SMTP_CMD_ERR_SYNTAX;
	}
	return SMTP_CMD_OK;
}

enum smtp_cmd_status
smtp_cmd_parse_line(const char *s, size_t n, struct smtp_cmd *cmd,
    char *buf, size_t buflen)
{
	size_t i, v, k;
	const char *kw;
	char *line;

	memset(cmd, 0, sizeof(*cmd));
	if (buflen < 4 * n + 4) {
		cmd->error = "line too long";
		return SMTP_CMD_ERR_TOOLONG;
	}
	line = buf;
	memcpy(line, s, n);
	line[n] = '\0';
	cmd->line = line;
	cmd->len = n;
	buf += n + 1;
	if (memchr(s, '\0', n) != NULL) {
		cmd->error = "NUL character in command";
		cmd->arg = "";
		return SMTP_CMD_ERR_SYNTAX;
	}
	for (v = 0; v < n && s[v] != ' '; v++)
		;
	cmd->verb = SMTP_VERB_UNKNOWN;
	for (k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++)
		if (strlen(verbs[k].name) == v &&
		    strncasecmp(verbs[k].name, s, v) == 0) {
			cmd->verb = verbs[k].verb;
			break;
		}
	for (i = v; i < n && s[i] == ' '; i++)
		;
	cmd->arg = line + i;

	switch (cmd->verb) {
	case SMTP_VERB_HELO:
	case SMTP_VERB_EHLO:
		if (i == n) {
			cmd->error = "hostname required";
			return SMTP_CMD_ERR_SYNTAX;
		}
		/* the rule MAIL and RCPT addresses follow: nothing below
		 * space and no DEL, so no escape sequence goes upstream */
		for (k = i; k < n; k++)
			if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f) {
				cmd->error = "control character in hostname";
				return SMTP_CMD_ERR_SYNTAX;
			}
		return SMTP_CMD_OK;
	case SMTP_VERB_DATA:
	case SMTP_VERB_RSET:
	case SMTP_VERB_QUIT:
	case SMTP_VERB_STARTTLS:
		if (i != n) {
			cmd->error = "no arguments allowed";
			return SMTP_CMD_ERR_SYNTAX;
		}
		return SMTP_CMD_OK;
	case SMTP_VERB_MAIL:
	case SMTP_VERB_RCPT:
		kw = cmd->verb == SMTP_VERB_MAIL ? "FROM:" : "TO:";
		k = strlen(kw);
		if (n - i < k || strncasecmp(s + i, kw, k) != 0) {
			cmd->error = cmd->verb == SMTP_VERB_MAIL ?
			    "MAIL FROM:<address>" : "RCPT TO:<address>";
			return SMTP_CMD_ERR_SYNTAX;
		}
		return parse_path(s + i + k, n - i - k, cmd, buf);
	default:
		return SMTP_CMD_OK;
	}
}
