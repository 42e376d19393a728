/*
 * test_milter_proto - the milter protocol codec: every MTA command parsed
 * (table), malformed and oversized packets, the error state, input split
 * at every byte and many packets in one feed, every reply encoded byte for
 * byte, and the constants against the protocol's values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "milter_proto.h"

/* pkt - a packet: length, command, payload (plen bytes) into out; its size */
static size_t
pkt(unsigned char *out, int cmd, const char *payload, size_t plen)
{
	uint32_t n = (uint32_t)plen + 1;

	out[0] = (unsigned char)(n >> 24);
	out[1] = (unsigned char)(n >> 16);
	out[2] = (unsigned char)(n >> 8);
	out[3] = (unsigned char)n;
	out[4] = (unsigned char)cmd;
	if (plen > 0)
		memcpy(out + 5, payload, plen);
	return plen + 5;
}

/* P - payload literal with its length (sizeof - 1: the literal's own NUL dropped) */
#define P(s)	s, sizeof(s) - 1

static const struct {
	const char	*what;
	int		 cmd;
	const char	*payload;
	size_t		 plen;
	int		 result;	/* of next() */
	/* expected fields, a summary string built by summary() */
	const char	*want;
} cases[] = {
	{ "optneg", 'O', P("\0\0\0\6\0\0\1\xff\0\x1f\xff\xff"), MILTER_PROTO_OK,
	    "O v=6 a=0x1ff p=0x1fffff" },
	{ "optneg longer", 'O', P("\0\0\0\6\0\0\0\1\0\0\0\2extra"), MILTER_PROTO_OK,
	    "O v=6 a=0x1 p=0x2" },
	{ "optneg short", 'O', P("\0\0\0\6\0\0"), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "macros", 'D', P("Cj\0mx.example\0{daemon_name}\0smtpd\0"), MILTER_PROTO_OK,
	    "D C j=mx.example {daemon_name}=smtpd" },
	{ "macros empty value", 'D', P("Mi\0\0"), MILTER_PROTO_OK, "D M i=" },
	{ "macros none", 'D', P("R"), MILTER_PROTO_OK, "D R" },
	{ "macros odd", 'D', P("Cj\0"), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "macros unterminated", 'D', P("Cj\0x"), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "macros no stage", 'D', P(""), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "connect inet", 'C', P("client.example\0004\x30\x39" "192.0.2.1\0"), MILTER_PROTO_OK,
	    "C host=client.example fam=4 port=12345 addr=192.0.2.1" },
	{ "connect inet6", 'C', P("[2001:db8::1]\0006\0\31" "2001:db8::1\0"), MILTER_PROTO_OK,
	    "C host=[2001:db8::1] fam=6 port=25 addr=2001:db8::1" },
	{ "connect unix", 'C', P("localhost\0L\0\0/tmp/s\0"), MILTER_PROTO_OK,
	    "C host=localhost fam=L port=0 addr=/tmp/s" },
	{ "connect unknown", 'C', P("localhost\0U"), MILTER_PROTO_OK,
	    "C host=localhost fam=U port=0 addr=" },
	{ "connect no family", 'C', P("localhost\0"), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "connect bad family", 'C', P("h\0X\0\0a\0"), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "connect no address", 'C', P("h\0004\0\31"), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "connect unterminated", 'C', P("h\0004\0\31" "1.2.3.4"), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "connect trailing", 'C', P("h\0004\0\31" "1.2.3.4\0x\0"), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "connect empty", 'C', P(""), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "helo", 'H', P("client.example\0"), MILTER_PROTO_OK, "H client.example" },
	{ "helo unterminated", 'H', P("client"), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "helo empty", 'H', P(""), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "mail", 'M', P("<a@example.com>\0SIZE=100\0BODY=8BITMIME\0"), MILTER_PROTO_OK,
	    "M 3 <a@example.com> SIZE=100 BODY=8BITMIME" },
	{ "mail null sender", 'M', P("<>\0"), MILTER_PROTO_OK, "M 1 <>" },
	{ "mail empty", 'M', P(""), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "mail unterminated", 'M', P("<a@b>\0SIZE"), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "rcpt", 'R', P("<b@example.org>\0"), MILTER_PROTO_OK, "R 1 <b@example.org>" },
	{ "header", 'L', P("Subject\0 hello\nworld\0"), MILTER_PROTO_OK,
	    "L Subject: hello\nworld" },
	{ "header empty value", 'L', P("X\0\0"), MILTER_PROTO_OK, "L X:" },
	{ "header no value", 'L', P("Subject\0"), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "header empty name", 'L', P("\0v\0"), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "header three", 'L', P("a\0b\0c\0"), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "body", 'B', P("line\r\n\0binary"), MILTER_PROTO_OK, "B 13" },
	{ "body empty", 'B', P(""), MILTER_PROTO_OK, "B 0" },
	{ "end of body", 'E', P(""), MILTER_PROTO_OK, "E 0" },
	{ "eoh", 'N', P(""), MILTER_PROTO_OK, "N" },
	{ "data", 'T', P(""), MILTER_PROTO_OK, "T" },
	{ "abort", 'A', P(""), MILTER_PROTO_OK, "A" },
	{ "quit", 'Q', P(""), MILTER_PROTO_OK, "Q" },
	{ "quit, new connection", 'K', P(""), MILTER_PROTO_OK, "K" },
	{ "unknown", 'U', P("XYZZY arg\0"), MILTER_PROTO_OK, "U XYZZY arg" },
	{ "unknown unterminated", 'U', P("XYZZY"), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "bad command byte", 'z', P("x\0"), MILTER_PROTO_ERR_MALFORMED, NULL },
	{ "command byte 0", 0, P(""), MILTER_PROTO_ERR_MALFORMED, NULL },
};

/* summary - the parsed fields of c as text */
static void
summary(const struct milter_proto_cmd *c, char *out, size_t len)
{
	size_t i, o;

	o = (size_t)snprintf(out, len, "%c", c->cmd);
	switch (c->cmd) {
	case 'O':
		snprintf(out + o, len - o, " v=%u a=0x%x p=0x%x",
		    (unsigned)c->version, (unsigned)c->actions,
		    (unsigned)c->protocol);
		break;
	case 'D':
		o += (size_t)snprintf(out + o, len - o, " %c", c->stage);
		for (i = 0; i < c->nmacros; i++)
			o += (size_t)snprintf(out + o, len - o, " %s=%s",
			    c->macros[2 * i], c->macros[2 * i + 1]);
		break;
	case 'C':
		snprintf(out + o, len - o, " host=%s fam=%c port=%u addr=%s",
		    c->host, c->family, c->port, c->addr);
		break;
	case 'H':
	case 'U':
		snprintf(out + o, len - o, " %s", c->str);
		break;
	case 'M':
	case 'R':
		o += (size_t)snprintf(out + o, len - o, " %zu", c->argc);
		for (i = 0; i < c->argc; i++)
			o += (size_t)snprintf(out + o, len - o, " %s",
			    c->argv[i]);
		assert_null(c->argv[c->argc]);
		break;
	case 'L':
		snprintf(out + o, len - o, " %s:%s", c->name, c->value);
		break;
	case 'B':
	case 'E':
		snprintf(out + o, len - o, " %zu", c->len);
		break;
	}
}

static void
test_decode_table(void **state)
{
	unsigned char buf[512];
	char got[512];
	struct milter_proto_cmd c;
	struct milter_proto_dec *d;
	size_t i, n;
	int r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d = milter_proto_dec_new(NULL);
		assert_non_null(d);
		n = pkt(buf, cases[i].cmd, cases[i].payload, cases[i].plen);
		assert_int_equal(milter_proto_feed(d, buf, n), 0);
		assert_int_equal(milter_proto_ready(d), 1);
		r = milter_proto_next(d, &c);
		if (r != cases[i].result)
			fail_msg("%s: result %d, want %d (%s)", cases[i].what,
			    r, cases[i].result, milter_proto_error(d));
		if (r == MILTER_PROTO_OK) {
			summary(&c, got, sizeof(got));
			if (strcmp(got, cases[i].want) != 0)
				fail_msg("%s: got \"%s\", want \"%s\"",
				    cases[i].what, got, cases[i].want);
			assert_int_equal(c.len, cases[i].plen);
			assert_int_equal(milter_proto_next(d, &c),
			    MILTER_PROTO_MORE);
			assert_int_equal(milter_proto_ready(d), 0);
			assert_int_equal(milter_proto_buffered(d), 0);
		} else {
			/* the error state sticks and refuses all input */
			assert_true(milter_proto_error(d)[0] != '\0');
			assert_int_equal(milter_proto_next(d, &c), r);
			assert_int_equal(milter_proto_feed(d, buf, n), -1);
			assert_int_equal(milter_proto_next(d, &c), r);
		}
		milter_proto_dec_free(d);
	}
}

/* a conversation as Postfix sends it, packet by packet */
static size_t
conversation(unsigned char *buf, size_t *count)
{
	size_t n = 0;

	n += pkt(buf + n, 'O', P("\0\0\0\6\0\0\1\xff\0\x1f\xff\xff"));
	n += pkt(buf + n, 'D', P("Cj\0mx.example\0_\0c.example [192.0.2.1]\0"));
	n += pkt(buf + n, 'C', P("c.example\0004\x30\x39" "192.0.2.1\0"));
	n += pkt(buf + n, 'H', P("c.example\0"));
	n += pkt(buf + n, 'D', P("Mi\0ABC123\0"));
	n += pkt(buf + n, 'M', P("<a@example.com>\0SIZE=10\0"));
	n += pkt(buf + n, 'R', P("<b@example.org>\0"));
	n += pkt(buf + n, 'T', P(""));
	n += pkt(buf + n, 'L', P("Subject\0 hi\0"));
	n += pkt(buf + n, 'L', P("From\0 a@example.com\0"));
	n += pkt(buf + n, 'N', P(""));
	n += pkt(buf + n, 'B', P("body\r\n"));
	n += pkt(buf + n, 'E', P(""));
	n += pkt(buf + n, 'A', P(""));
	n += pkt(buf + n, 'Q', P(""));
	*count = 15;
	return n;
}

static const char *conv_want =
    "O v=6 a=0x1ff p=0x1fffff|D C j=mx.example _=c.example [192.0.2.1]|"
    "C host=c.example fam=4 port=12345 addr=192.0.2.1|H c.example|"
    "D M i=ABC123|M 2 <a@example.com> SIZE=10|R 1 <b@example.org>|T|"
    "L Subject: hi|L From: a@example.com|N|B 6|E 0|A|Q|";

/* drain - every command available, summaries joined by '|' */
static void
drain(struct milter_proto_dec *d, char *acc, size_t len, size_t *got)
{
	struct milter_proto_cmd c;
	char one[256];
	int r;

	while ((r = milter_proto_next(d, &c)) == MILTER_PROTO_OK) {
		summary(&c, one, sizeof(one));
		strncat(acc, one, len - strlen(acc) - 1);
		strncat(acc, "|", len - strlen(acc) - 1);
		(*got)++;
	}
	assert_int_equal(r, MILTER_PROTO_MORE);
}

static void
test_split_reads(void **state)
{
	unsigned char buf[2048];
	char acc[2048];
	size_t n, count, got, i, step;
	struct milter_proto_dec *d;

	(void)state;
	n = conversation(buf, &count);
	/* every chunk size from one byte (a packet over many reads) up */
	for (step = 1; step <= n; step = step < 16 ? step + 1 : step * 2) {
		d = milter_proto_dec_new(NULL);
		acc[0] = '\0';
		got = 0;
		for (i = 0; i < n; i += step) {
			assert_int_equal(milter_proto_feed(d, buf + i,
			    n - i < step ? n - i : step), 0);
			drain(d, acc, sizeof(acc), &got);
		}
		assert_int_equal(got, count);
		assert_string_equal(acc, conv_want);
		assert_int_equal(milter_proto_buffered(d), 0);
		milter_proto_dec_free(d);
	}
	/* all packets in one feed, after asking a decoder that has seen
	 * nothing yet (the front end does: its first wait is after a next()) */
	d = milter_proto_dec_new(NULL);
	{
		struct milter_proto_cmd c;

		assert_int_equal(milter_proto_next(d, &c), MILTER_PROTO_MORE);
		assert_int_equal(milter_proto_ready(d), 0);
	}
	acc[0] = '\0';
	got = 0;
	assert_int_equal(milter_proto_feed(d, buf, n), 0);
	drain(d, acc, sizeof(acc), &got);
	assert_int_equal(got, count);
	assert_string_equal(acc, conv_want);
	milter_proto_dec_free(d);
}

static void
test_limits(void **state)
{
	struct milter_proto_limits lim;
	struct milter_proto_dec *d;
	struct milter_proto_cmd c;
	unsigned char buf[4096];
	size_t n;
	int i;

	(void)state;
	milter_proto_limits_default(&lim);
	assert_int_equal(lim.packet_max, MILTER_PROTO_PACKET_MAX);
	lim.packet_max = 100;
	lim.argv_max = 3;
	lim.macros_max = 2;

	/* exactly at the limit: fine; one over: an error as soon as the length is in */
	d = milter_proto_dec_new(&lim);
	memset(buf, 'x', sizeof(buf));
	n = pkt(buf, 'B', (const char *)buf + 200, 99);
	assert_int_equal(milter_proto_feed(d, buf, n), 0);
	assert_int_equal(milter_proto_next(d, &c), MILTER_PROTO_OK);
	assert_int_equal(c.len, 99);
	n = pkt(buf, 'B', (const char *)buf + 200, 100);
	assert_int_equal(milter_proto_feed(d, buf, 4), 0);
	assert_int_equal(milter_proto_next(d, &c), MILTER_PROTO_ERR_TOOBIG);
	assert_non_null(strstr(milter_proto_error(d), "101 bytes"));
	assert_int_equal(milter_proto_feed(d, buf + 4, n - 4), -1);
	milter_proto_dec_free(d);

	/* a huge length: refused before anything is buffered */
	d = milter_proto_dec_new(NULL);
	assert_int_equal(milter_proto_feed(d, "\xff\xff\xff\xff" "B", 5), 0);
	assert_int_equal(milter_proto_next(d, &c), MILTER_PROTO_ERR_TOOBIG);
	milter_proto_dec_free(d);

	/* length 0 */
	d = milter_proto_dec_new(NULL);
	assert_int_equal(milter_proto_feed(d, "\0\0\0\0", 4), 0);
	assert_int_equal(milter_proto_next(d, &c), MILTER_PROTO_ERR_MALFORMED);
	assert_non_null(strstr(milter_proto_error(d), "length 0"));
	milter_proto_dec_free(d);

	/* argv and macro limits */
	d = milter_proto_dec_new(&lim);
	n = pkt(buf, 'M', P("<a>\0A=1\0B=2\0"));
	assert_int_equal(milter_proto_feed(d, buf, n), 0);
	assert_int_equal(milter_proto_next(d, &c), MILTER_PROTO_OK);
	assert_int_equal(c.argc, 3);
	n = pkt(buf, 'M', P("<a>\0A=1\0B=2\0C=3\0"));
	assert_int_equal(milter_proto_feed(d, buf, n), 0);
	assert_int_equal(milter_proto_next(d, &c), MILTER_PROTO_ERR_MALFORMED);
	milter_proto_dec_free(d);
	d = milter_proto_dec_new(&lim);
	n = pkt(buf, 'D', P("Ca\0" "1\0b\0" "2\0"));
	assert_int_equal(milter_proto_feed(d, buf, n), 0);
	assert_int_equal(milter_proto_next(d, &c), MILTER_PROTO_OK);
	assert_int_equal(c.nmacros, 2);
	assert_null(c.macros[4]);
	n = pkt(buf, 'D', P("Ca\0" "1\0b\0" "2\0c\0" "3\0"));
	assert_int_equal(milter_proto_feed(d, buf, n), 0);
	assert_int_equal(milter_proto_next(d, &c), MILTER_PROTO_ERR_MALFORMED);
	milter_proto_dec_free(d);

	/* reset: out of the error state, for the next connection */
	d = milter_proto_dec_new(NULL);
	assert_int_equal(milter_proto_feed(d, "\0\0\0\0", 4), 0);
	assert_int_equal(milter_proto_next(d, &c), MILTER_PROTO_ERR_MALFORMED);
	milter_proto_dec_reset(d, 0);
	assert_string_equal(milter_proto_error(d), "");
	n = pkt(buf, 'N', P(""));
	assert_int_equal(milter_proto_feed(d, buf, n), 0);
	assert_int_equal(milter_proto_next(d, &c), MILTER_PROTO_OK);
	assert_int_equal(c.cmd, 'N');
	assert_int_equal(milter_proto_feed(d, buf, 3), 0);
	milter_proto_dec_reset(d, 1 << 20);
	assert_int_equal(milter_proto_buffered(d), 0);
	milter_proto_dec_free(d);

	/* a good packet before a bad one still comes out */
	d = milter_proto_dec_new(NULL);
	n = pkt(buf, 'N', P(""));
	n += pkt(buf + n, 'H', P("no nul"));
	assert_int_equal(milter_proto_feed(d, buf, n), 0);
	assert_int_equal(milter_proto_next(d, &c), MILTER_PROTO_OK);
	assert_int_equal(c.cmd, 'N');
	for (i = 0; i < 3; i++)
		assert_int_equal(milter_proto_next(d, &c),
		    MILTER_PROTO_ERR_MALFORMED);
	milter_proto_dec_free(d);
	milter_proto_dec_free(NULL);
}

/* hex - b as "len:cmd:payload" with non-printables as \xNN, packet by packet */
static void
expect_bytes(const struct milter_proto_buf *b, const char *want, size_t wlen)
{
	if (b->len != wlen || memcmp(b->data, want, wlen) != 0) {
		size_t i;

		for (i = 0; i < b->len; i++)
			print_message("%02x%c", b->data[i], (i % 16 == 15) ? '\n' : ' ');
		print_message("\n");
		fail_msg("encoded %zu bytes, want %zu", b->len, wlen);
	}
}

#define EXPECT(b, s)	expect_bytes((b), s, sizeof(s) - 1)

static void
test_encode(void **state)
{
	struct milter_proto_buf b;
	const char *lines[] = { "a", "b 100%%" };
	const char *sym[MILTER_PROTO_MAC_N] = { "j {daemon_name}", NULL, "i", NULL,
	    NULL, "i {msg_id}", NULL };
	static const struct {
		int code;
		const char *want;
	} simple[] = {
		{ MILTER_PROTO_REP_CONTINUE, "\0\0\0\1c" },
		{ MILTER_PROTO_REP_ACCEPT, "\0\0\0\1a" },
		{ MILTER_PROTO_REP_REJECT, "\0\0\0\1r" },
		{ MILTER_PROTO_REP_TEMPFAIL, "\0\0\0\1t" },
		{ MILTER_PROTO_REP_DISCARD, "\0\0\0\1d" },
		{ MILTER_PROTO_REP_PROGRESS, "\0\0\0\1p" },
		{ MILTER_PROTO_REP_SKIP, "\0\0\0\1s" },
	};
	unsigned char *big;
	size_t i;

	(void)state;
	memset(&b, 0, sizeof(b));
	for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		milter_proto_buf_reset(&b);
		assert_int_equal(milter_proto_put_simple(&b, simple[i].code), 0);
		expect_bytes(&b, simple[i].want, 5);
	}
	milter_proto_buf_reset(&b);
	assert_int_equal(milter_proto_put_replycode(&b, "550 5.7.1 no"), 0);
	EXPECT(&b, "\0\0\0\x0e" "y550 5.7.1 no\0");
	milter_proto_buf_reset(&b);
	assert_int_equal(milter_proto_put_reply(&b, "451", "4.7.1", lines, 2), 0);
	EXPECT(&b, "\0\0\0\x20" "y451-4.7.1 a\r\n451 4.7.1 b 100%%\0");
	milter_proto_buf_reset(&b);
	assert_int_equal(milter_proto_put_reply(&b, "550", NULL, lines, 1), 0);
	EXPECT(&b, "\0\0\0\x07" "y550 a\0");
	assert_int_equal(milter_proto_put_reply(&b, "55", NULL, lines, 1), -1);
	assert_int_equal(milter_proto_put_reply(&b, "550", NULL, lines, 0), -1);
	lines[0] = "a\r\nb";
	assert_int_equal(milter_proto_put_reply(&b, "550", NULL, lines, 1), -1);
	milter_proto_buf_reset(&b);
	assert_int_equal(milter_proto_put_addheader(&b, "X-A", " v"), 0);
	EXPECT(&b, "\0\0\0\x08" "hX-A\0 v\0");
	milter_proto_buf_reset(&b);
	assert_int_equal(milter_proto_put_insheader(&b, 0, "X-T", "t"), 0);
	EXPECT(&b, "\0\0\0\x0b" "i\0\0\0\0X-T\0t\0");
	milter_proto_buf_reset(&b);
	assert_int_equal(milter_proto_put_chgheader(&b, 2, "Subject", "n"), 0);
	EXPECT(&b, "\0\0\0\x0f" "m\0\0\0\2Subject\0n\0");
	milter_proto_buf_reset(&b);
	assert_int_equal(milter_proto_put_chgheader(&b, 1, "X-R", NULL), 0);
	EXPECT(&b, "\0\0\0\x0a" "m\0\0\0\1X-R\0\0");
	milter_proto_buf_reset(&b);
	assert_int_equal(milter_proto_put_addrcpt(&b, "<c@x>"), 0);
	assert_int_equal(milter_proto_put_delrcpt(&b, "<b@x>"), 0);
	EXPECT(&b, "\0\0\0\x07" "+<c@x>\0" "\0\0\0\x07" "-<b@x>\0");
	milter_proto_buf_reset(&b);
	assert_int_equal(milter_proto_put_addrcpt_par(&b, "<c@x>", "NOTIFY=NEVER"), 0);
	EXPECT(&b, "\0\0\0\x14" "2<c@x>\0NOTIFY=NEVER\0");
	milter_proto_buf_reset(&b);
	assert_int_equal(milter_proto_put_chgfrom(&b, "<n@x>", NULL), 0);
	assert_int_equal(milter_proto_put_chgfrom(&b, "<n@x>", "SIZE=1"), 0);
	EXPECT(&b, "\0\0\0\x07" "e<n@x>\0" "\0\0\0\x0e" "e<n@x>\0SIZE=1\0");
	milter_proto_buf_reset(&b);
	assert_int_equal(milter_proto_put_quarantine(&b, "held"), 0);
	EXPECT(&b, "\0\0\0\x06" "qheld\0");
	milter_proto_buf_reset(&b);
	assert_int_equal(milter_proto_put_replbody(&b, "", 0), 0);
	assert_int_equal(milter_proto_put_replbody(&b, "new\r\n", 5), 0);
	EXPECT(&b, "\0\0\0\x01" "b" "\0\0\0\x06" "bnew\r\n");
	/* a big body: 65535-byte chunks */
	big = malloc(150000);
	assert_non_null(big);
	memset(big, 'x', 150000);
	milter_proto_buf_reset(&b);
	assert_int_equal(milter_proto_put_replbody(&b, big, 150000), 0);
	assert_int_equal(b.len, 3 * 5 + 150000);
	assert_memory_equal(b.data, "\0\1\0\0" "b", 5);
	assert_memory_equal(b.data + 65540, "\0\1\0\0" "b", 5);
	assert_memory_equal(b.data + 2 * 65540, "\0\0\x49\xf3" "b", 5);
	free(big);
	milter_proto_buf_reset(&b);
	assert_int_equal(milter_proto_put_optneg(&b, 6, 0x101, 0x80, sym), 0);
	EXPECT(&b, "\0\0\0\x36" "O\0\0\0\6\0\0\1\1\0\0\0\x80"
	    "\0\0\0\0j {daemon_name}\0" "\0\0\0\2i\0" "\0\0\0\5i {msg_id}\0");
	milter_proto_buf_reset(&b);
	assert_int_equal(milter_proto_put_optneg(&b, 6, 0, 0, NULL), 0);
	EXPECT(&b, "\0\0\0\x0d" "O\0\0\0\6\0\0\0\0\0\0\0\0");
	milter_proto_buf_free(&b);
	milter_proto_buf_free(&b);
}

/* the encoder's output parses back with a decoder of the same packets */
static void
test_roundtrip(void **state)
{
	struct milter_proto_buf b;
	struct milter_proto_dec *d;
	struct milter_proto_cmd c;

	(void)state;
	memset(&b, 0, sizeof(b));
	/* 'L' is both a reply-free command and parses as header: reuse put() */
	assert_int_equal(milter_proto_put(&b, 'L', "Subject\0 x\0", 11), 0);
	assert_int_equal(milter_proto_put(&b, 'M', "<a@b>\0", 6), 0);
	d = milter_proto_dec_new(NULL);
	assert_int_equal(milter_proto_feed(d, b.data, b.len), 0);
	assert_int_equal(milter_proto_next(d, &c), MILTER_PROTO_OK);
	assert_string_equal(c.name, "Subject");
	assert_string_equal(c.value, " x");
	assert_int_equal(milter_proto_next(d, &c), MILTER_PROTO_OK);
	assert_string_equal(c.argv[0], "<a@b>");
	milter_proto_dec_free(d);
	milter_proto_buf_free(&b);
}

/* the protocol's values (libmilter mfdef.h/mfapi.h, Postfix milter8.c) */
static void
test_constants(void **state)
{
	(void)state;
	assert_int_equal(MILTER_PROTO_NOCONNECT | MILTER_PROTO_NOHELO |
	    MILTER_PROTO_NOMAIL | MILTER_PROTO_NORCPT | MILTER_PROTO_NOBODY |
	    MILTER_PROTO_NOHDRS | MILTER_PROTO_NOEOH | MILTER_PROTO_NR_HDR |
	    MILTER_PROTO_NOUNKNOWN | MILTER_PROTO_NODATA | MILTER_PROTO_SKIP |
	    MILTER_PROTO_RCPT_REJ | MILTER_PROTO_NR_CONN | MILTER_PROTO_NR_HELO |
	    MILTER_PROTO_NR_MAIL | MILTER_PROTO_NR_RCPT | MILTER_PROTO_NR_DATA |
	    MILTER_PROTO_NR_UNKN | MILTER_PROTO_NR_EOH | MILTER_PROTO_NR_BODY |
	    MILTER_PROTO_HDR_LEADSPC, 0x001FFFFFUL);	/* SMFI_CURR_PROT */
	assert_int_equal(MILTER_PROTO_NR_HDR, 0x80);
	assert_int_equal(MILTER_PROTO_SKIP, 0x400);
	assert_int_equal(MILTER_PROTO_NR_CONN, 0x1000);
	assert_int_equal(MILTER_PROTO_NR_BODY, 0x80000);
	assert_int_equal(MILTER_PROTO_HDR_LEADSPC, 0x100000);
	assert_int_equal(MILTER_PROTO_ACT_ADDHDRS | MILTER_PROTO_ACT_CHGBODY |
	    MILTER_PROTO_ACT_ADDRCPT | MILTER_PROTO_ACT_DELRCPT |
	    MILTER_PROTO_ACT_CHGHDRS | MILTER_PROTO_ACT_QUARANTINE |
	    MILTER_PROTO_ACT_CHGFROM | MILTER_PROTO_ACT_ADDRCPT_PAR |
	    MILTER_PROTO_ACT_SETSYMLIST, 0x1FFUL);	/* SMFI_CURR_ACTS */
	assert_int_equal(MILTER_PROTO_ACT_CHGHDRS, 0x10);
	assert_int_equal(MILTER_PROTO_ACT_QUARANTINE, 0x20);
	assert_int_equal(MILTER_PROTO_MAC_EOM, 5);
	assert_int_equal(MILTER_PROTO_MAC_EOH, 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_split_reads),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_constants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
