/*
 * test_smtp_cmd - table-driven tests of the SMTP command parser
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "smtp_cmd.h"

struct cmd_case {
	const char		*in;		/* one line with its line end */
	enum smtp_cmd_status	 st;
	enum smtp_cmd_verb	 verb;
	const char		*arg;		/* NULL: not checked */
	const char		*addr;
	const char		*params;
	int			 has_size;
	uint64_t		 size;
};

static const struct cmd_case cases[] = {
	{ "HELO a.example\r\n", SMTP_CMD_OK, SMTP_VERB_HELO, "a.example", NULL, NULL, 0, 0 },
	{ "ehlo  a.example\r\n", SMTP_CMD_OK, SMTP_VERB_EHLO, "a.example", NULL, NULL, 0, 0 },
	{ "EHLO\r\n", SMTP_CMD_ERR_SYNTAX, SMTP_VERB_EHLO, NULL, NULL, NULL, 0, 0 },
	{ "EHLO a\x1b[31m.example\r\n", SMTP_CMD_ERR_SYNTAX, SMTP_VERB_EHLO, NULL, NULL, NULL, 0, 0 },
	{ "HELO a.example\x07\r\n", SMTP_CMD_ERR_SYNTAX, SMTP_VERB_HELO, NULL, NULL, NULL, 0, 0 },
	{ "HELO a\tb\r\n", SMTP_CMD_ERR_SYNTAX, SMTP_VERB_HELO, NULL, NULL, NULL, 0, 0 },
	{ "HELO a\x7f\r\n", SMTP_CMD_ERR_SYNTAX, SMTP_VERB_HELO, NULL, NULL, NULL, 0, 0 },
	{ "EHLO [192.0.2.1]\r\n", SMTP_CMD_OK, SMTP_VERB_EHLO, "[192.0.2.1]", NULL, NULL, 0, 0 },
	{ "EHLO caf\xc3\xa9.example\r\n", SMTP_CMD_OK, SMTP_VERB_EHLO, "caf\xc3\xa9.example", NULL, NULL, 0, 0 },
	{ "MAIL FROM:<a@b.example>\r\n", SMTP_CMD_OK, SMTP_VERB_MAIL, NULL, "a@b.example", "", 0, 0 },
	{ "mail from:<>\r\n", SMTP_CMD_OK, SMTP_VERB_MAIL, NULL, "", "", 0, 0 },
	{ "MAIL FROM: <a@b>\r\n", SMTP_CMD_OK, SMTP_VERB_MAIL, NULL, "a@b", "", 0, 0 },
	{ "MAIL FROM:a@b\r\n", SMTP_CMD_OK, SMTP_VERB_MAIL, NULL, "a@b", "", 0, 0 },
	{ "MAIL FROM:<a@b> SIZE=1000 BODY=8BITMIME SMTPUTF8\r\n", SMTP_CMD_OK, SMTP_VERB_MAIL,
	  NULL, "a@b", "SIZE=1000 BODY=8BITMIME SMTPUTF8", 1, 1000 },
	{ "MAIL FROM:<a@b> size=18446744073709551615\r\n", SMTP_CMD_OK, SMTP_VERB_MAIL,
	  NULL, "a@b", NULL, 1, UINT64_MAX },
	{ "MAIL FROM:<a@b> SIZE=184467440737095516150\r\n", SMTP_CMD_ERR_SYNTAX, SMTP_VERB_MAIL, NULL, NULL, NULL, 0, 0 },
	{ "MAIL FROM:<a@b> SIZE=12x\r\n", SMTP_CMD_ERR_SYNTAX, SMTP_VERB_MAIL, NULL, NULL, NULL, 0, 0 },
	{ "MAIL FROM:<a@b> =x\r\n", SMTP_CMD_ERR_SYNTAX, SMTP_VERB_MAIL, NULL, NULL, NULL, 0, 0 },
	{ "MAIL FROM:<a@b>x\r\n", SMTP_CMD_ERR_SYNTAX, SMTP_VERB_MAIL, NULL, NULL, NULL, 0, 0 },
	{ "MAIL FROM:<a b@c>\r\n", SMTP_CMD_ERR_SYNTAX, SMTP_VERB_MAIL, NULL, NULL, NULL, 0, 0 },
	{ "MAIL FROM:<\"a b\"@c>\r\n", SMTP_CMD_OK, SMTP_VERB_MAIL, NULL, "\"a b\"@c", "", 0, 0 },
	{ "MAIL FROM:<\"a\\\"> b\"@c>\r\n", SMTP_CMD_OK, SMTP_VERB_MAIL, NULL, "\"a\\\"> b\"@c", "", 0, 0 },
	{ "MAIL FROM:<a@b\r\n", SMTP_CMD_ERR_SYNTAX, SMTP_VERB_MAIL, NULL, NULL, NULL, 0, 0 },
	{ "MAIL FROM:<\"a@b>\r\n", SMTP_CMD_ERR_SYNTAX, SMTP_VERB_MAIL, NULL, NULL, NULL, 0, 0 },
	{ "MAIL TO:<a@b>\r\n", SMTP_CMD_ERR_SYNTAX, SMTP_VERB_MAIL, NULL, NULL, NULL, 0, 0 },
	{ "MAIL\r\n", SMTP_CMD_ERR_SYNTAX, SMTP_VERB_MAIL, NULL, NULL, NULL, 0, 0 },
	{ "MAIL FROM:<@r1,@r2:u@d>\r\n", SMTP_CMD_OK, SMTP_VERB_MAIL, NULL, "u@d", "", 0, 0 },
	{ "RCPT TO:<u@d> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;u@d\r\n", SMTP_CMD_OK, SMTP_VERB_RCPT,
	  NULL, "u@d", "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;u@d", 0, 0 },
	{ "RCPT TO:<>\r\n", SMTP_CMD_ERR_SYNTAX, SMTP_VERB_RCPT, NULL, NULL, NULL, 0, 0 },
	{ "RCPT TO:<Postmaster>\r\n", SMTP_CMD_OK, SMTP_VERB_RCPT, NULL, "Postmaster", "", 0, 0 },
	{ "rcpt to:<u@d> SIZE=5\r\n", SMTP_CMD_OK, SMTP_VERB_RCPT, NULL, "u@d", "SIZE=5", 0, 0 },
	{ "DATA\r\n", SMTP_CMD_OK, SMTP_VERB_DATA, "", NULL, NULL, 0, 0 },
	{ "DATA x\r\n", SMTP_CMD_ERR_SYNTAX, SMTP_VERB_DATA, NULL, NULL, NULL, 0, 0 },
	{ "rset\r\n", SMTP_CMD_OK, SMTP_VERB_RSET, "", NULL, NULL, 0, 0 },
	{ "NOOP hello\r\n", SMTP_CMD_OK, SMTP_VERB_NOOP, "hello", NULL, NULL, 0, 0 },
	{ "QUIT\r\n", SMTP_CMD_OK, SMTP_VERB_QUIT, "", NULL, NULL, 0, 0 },
	{ "XCLIENT ADDR=1.2.3.4\r\n", SMTP_CMD_OK, SMTP_VERB_XCLIENT, "ADDR=1.2.3.4", NULL, NULL, 0, 0 },
	{ "XFORWARD NAME=x\r\n", SMTP_CMD_OK, SMTP_VERB_XFORWARD, NULL, NULL, NULL, 0, 0 },
	{ "BDAT 10 LAST\r\n", SMTP_CMD_OK, SMTP_VERB_BDAT, "10 LAST", NULL, NULL, 0, 0 },
	{ "FOO bar\r\n", SMTP_CMD_OK, SMTP_VERB_UNKNOWN, "bar", NULL, NULL, 0, 0 },
	{ "MAILX FROM:<a>\r\n", SMTP_CMD_OK, SMTP_VERB_UNKNOWN, NULL, NULL, NULL, 0, 0 },
	{ "\r\n", SMTP_CMD_OK, SMTP_VERB_UNKNOWN, "", NULL, NULL, 0, 0 },
	{ "NOOP\n", SMTP_CMD_ERR_BARENL, 0, NULL, NULL, NULL, 0, 0 },
	{ "NO\rOP\r\n", SMTP_CMD_ERR_BARENL, 0, NULL, NULL, NULL, 0, 0 },
	{ "NOOP\r\r\n", SMTP_CMD_ERR_BARENL, 0, NULL, NULL, NULL, 0, 0 },
	{ "NO\0OP\r\n", SMTP_CMD_ERR_SYNTAX, 0, NULL, NULL, NULL, 0, 0 },
};

/* feed - feed all of s (n bytes) in chunks of step, return the status of next */
static enum smtp_cmd_status
feed(struct smtp_cmd_parser *p, const char *s, size_t n, size_t step,
    struct smtp_cmd *cmd)
{
	size_t off = 0, k, used;
	enum smtp_cmd_status st = SMTP_CMD_MORE;

	while (off < n) {
		k = n - off < step ? n - off : step;
		used = smtp_cmd_feed(p, s + off, k);
		off += used;
		st = smtp_cmd_next(p, cmd);
		if (st != SMTP_CMD_MORE) {
			assert_int_equal(off, n);	/* exactly one line taken */
			return st;
		}
		assert_int_equal(used, k);
	}
	return st;
}

static void
test_table(void **state)
{
	struct smtp_cmd_parser *p;
	struct smtp_cmd cmd;
	size_t i, step, n;
	static const size_t steps[] = { 1, 3, 4096 };

	(void)state;
	for (step = 0; step < 3; step++) {
		p = smtp_cmd_parser_new(NULL);
		assert_non_null(p);
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const struct cmd_case *c = &cases[i];
			n = strlen(c->in);
			if (strncmp(c->in, "NO\0", 3) == 0)
				n = 7;
			enum smtp_cmd_status st = feed(p, c->in, n, steps[step], &cmd);
			if (st != c->st)
				fail_msg("case %zu (%s): status %d, want %d", i, c->in, st, c->st);
			if (c->st == SMTP_CMD_OK || c->st == SMTP_CMD_ERR_SYNTAX)
				assert_int_equal(cmd.verb, c->verb);
			if (c->st != SMTP_CMD_OK)
				continue;
			if (c->arg)
				assert_string_equal(cmd.arg, c->arg);
			if (c->addr)
				assert_string_equal(cmd.addr, c->addr);
			if (c->params)
				assert_string_equal(cmd.params, c->params);
			assert_int_equal(cmd.has_size, c->has_size);
			if (c->has_size)
				assert_true(cmd.size == c->size);
		}
		smtp_cmd_parser_free(p);
	}
}

static void
test_pipelined(void **state)
{
	const char in[] = "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: x\r\n";
	struct smtp_cmd_parser *p = smtp_cmd_parser_new(NULL);
	struct smtp_cmd cmd;
	size_t off = 0;

	(void)state;
	off += smtp_cmd_feed(p, in + off, sizeof(in) - 1 - off);
	assert_int_equal(smtp_cmd_next(p, &cmd), SMTP_CMD_OK);
	assert_int_equal(cmd.verb, SMTP_VERB_MAIL);
	off += smtp_cmd_feed(p, in + off, sizeof(in) - 1 - off);
	assert_int_equal(smtp_cmd_next(p, &cmd), SMTP_CMD_OK);
	assert_int_equal(cmd.verb, SMTP_VERB_RCPT);
	assert_string_equal(cmd.addr, "c@d");
	off += smtp_cmd_feed(p, in + off, sizeof(in) - 1 - off);
	assert_int_equal(smtp_cmd_next(p, &cmd), SMTP_CMD_OK);
	assert_int_equal(cmd.verb, SMTP_VERB_DATA);
	/* the message bytes stay with the caller */
	assert_string_equal(in + off, "Subject: x\r\n");
	assert_int_equal(smtp_cmd_next(p, &cmd), SMTP_CMD_MORE);
	smtp_cmd_parser_free(p);
}

static void
test_limits(void **state)
{
	struct smtp_cmd_limits lim = { 0, 0 };
	struct smtp_cmd_parser *p = smtp_cmd_parser_new(&lim);
	struct smtp_cmd cmd;
	char line[3000];
	size_t used;

	(void)state;
	/* 998 octets + CRLF = 1000: accepted */
	memset(line, 'x', sizeof(line));
	memcpy(line, "NOOP ", 5);
	memcpy(line + 998, "\r\n", 2);
	used = smtp_cmd_feed(p, line, 1000);
	assert_int_equal(used, 1000);
	assert_int_equal(smtp_cmd_next(p, &cmd), SMTP_CMD_OK);
	assert_int_equal(cmd.len, 998);
	/* 999 octets: too long; the whole line is skipped, then all is well */
	memset(line, 'x', sizeof(line));
	memcpy(line, "NOOP ", 5);
	memcpy(line + 999, "\r\nQUIT\r\n", 8);
	used = smtp_cmd_feed(p, line, 1007);
	assert_int_equal(used, 1001);
	assert_int_equal(smtp_cmd_next(p, &cmd), SMTP_CMD_ERR_TOOLONG);
	used += smtp_cmd_feed(p, line + used, 1007 - used);
	assert_int_equal(used, 1007);
	assert_int_equal(smtp_cmd_next(p, &cmd), SMTP_CMD_OK);
	assert_int_equal(cmd.verb, SMTP_VERB_QUIT);
	/* a huge line fed in pieces is bounded and skipped */
	memset(line, 'y', sizeof(line));
	for (int i = 0; i < 100; i++) {
		assert_int_equal(smtp_cmd_feed(p, line, sizeof(line)), sizeof(line));
		assert_int_equal(smtp_cmd_next(p, &cmd), SMTP_CMD_MORE);
		assert_true(smtp_cmd_pending(p) < 1000);
	}
	assert_int_equal(smtp_cmd_feed(p, "\r\n", 2), 2);
	assert_int_equal(smtp_cmd_next(p, &cmd), SMTP_CMD_ERR_TOOLONG);
	smtp_cmd_parser_free(p);

	/* normalize: a bare LF ends a line, a bare CR is still refused */
	lim.normalize_lf = 1;
	p = smtp_cmd_parser_new(&lim);
	assert_int_equal(smtp_cmd_feed(p, "RSET\n", 5), 5);
	assert_int_equal(smtp_cmd_next(p, &cmd), SMTP_CMD_OK);
	assert_int_equal(cmd.verb, SMTP_VERB_RSET);
	assert_int_equal(smtp_cmd_feed(p, "RS\rET\n", 6), 6);
	assert_int_equal(smtp_cmd_next(p, &cmd), SMTP_CMD_ERR_BARENL);
	smtp_cmd_parser_free(p);
	smtp_cmd_parser_free(NULL);
	assert_string_equal(smtp_cmd_verb_name(SMTP_VERB_RCPT), "RCPT");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
