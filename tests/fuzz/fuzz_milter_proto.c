/*
 * fuzz_milter_proto - libFuzzer target for the milter protocol decoder:
 * the first byte picks the read size (1..256 bytes per feed), the rest is
 * what an MTA sends. Checks that every command that comes out is whole
 * (strings inside its payload and NUL-terminated, argv NULL-terminated,
 * counts within the limits), that the error state sticks, and that the
 * same input fed at once gives the same commands. The encoder is run on
 * what was decoded (header and addresses back out as replies).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "milter_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* inside - s and its NUL lie within c's payload */
static void
inside(const struct milter_proto_cmd *c, const char *s)
{
	if (s == NULL || s < c->data || s >= c->data + c->len)
		abort();
	if (memchr(s, '\0', (size_t)(c->data + c->len - s)) == NULL)
		abort();
}

/* check - one command's invariants; a small hash of it */
static unsigned long
check(const struct milter_proto_cmd *c, struct milter_proto_buf *b)
{
	unsigned long h = (unsigned long)c->cmd * 31 + c->len;
	size_t i;

	switch (c->cmd) {
	case MILTER_PROTO_CMD_MACRO:
		if (c->nmacros > MILTER_PROTO_MACROS_MAX ||
		    c->macros[2 * c->nmacros] != NULL)
			abort();
		for (i = 0; i < 2 * c->nmacros; i++)
			inside(c, c->macros[i]);
		h += c->nmacros;
		break;
	case MILTER_PROTO_CMD_CONNECT:
		inside(c, c->host);
		if (c->family != MILTER_PROTO_FAM_UNKNOWN)
			inside(c, c->addr);
		if (c->port > 65535)
			abort();
		h += c->port;
		break;
	case MILTER_PROTO_CMD_HELO:
	case MILTER_PROTO_CMD_UNKNOWN:
		inside(c, c->str);
		break;
	case MILTER_PROTO_CMD_MAIL:
	case MILTER_PROTO_CMD_RCPT:
		if (c->argc < 1 || c->argc > MILTER_PROTO_ARGV_MAX ||
		    c->argv[c->argc] != NULL)
			abort();
		for (i = 0; i < c->argc; i++)
			inside(c, c->argv[i]);
		(void)milter_proto_put_addrcpt(b, c->argv[0]);
		h += c->argc;
		break;
	case MILTER_PROTO_CMD_HEADER:
		inside(c, c->name);
		inside(c, c->value);
		if (*c->name == '\0')
			abort();
		(void)milter_proto_put_chgheader(b, 1, c->name, c->value);
		break;
	case MILTER_PROTO_CMD_OPTNEG:
		if (c->len < 12)
			abort();
		(void)milter_proto_put_optneg(b, c->version, c->actions,
		    c->protocol, NULL);
		h += c->version;
		break;
	}
	return h;
}

/* run - decode data in steps of step bytes; hash of the commands, and the end result */
static unsigned long
run(const uint8_t *data, size_t size, size_t step, int *end)
{
	struct milter_proto_dec *d;
	struct milter_proto_cmd c;
	struct milter_proto_buf b;
	unsigned long h = 0;
	size_t i, n;
	int r = MILTER_PROTO_MORE;

	memset(&b, 0, sizeof(b));
	if ((d = milter_proto_dec_new(NULL)) == NULL)
		abort();
	for (i = 0; i < size && r == MILTER_PROTO_MORE; i += n) {
		n = size - i < step ? size - i : step;
		if (milter_proto_feed(d, data + i, n) == -1)
			abort();	/* only after an error */
		while ((r = milter_proto_next(d, &c)) == MILTER_PROTO_OK) {
			h = h * 131 + check(&c, &b);
			milter_proto_buf_reset(&b);
		}
	}
	if (r < 0) {
		/* the error state sticks */
		if (milter_proto_next(d, &c) != r ||
		    milter_proto_feed(d, "x", 1) != -1 ||
		    milter_proto_error(d)[0] == '\0')
			abort();
	} else if (milter_proto_ready(d))
		abort();
	*end = r;
	milter_proto_dec_free(d);
	milter_proto_buf_free(&b);
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long h1, h2;
	int e1, e2;

	if (size < 1 || size > 1 << 20)
		return 0;
	h1 = run(data + 1, size - 1, (size_t)data[0] + 1, &e1);
	h2 = run(data + 1, size - 1, size, &e2);
	if (h1 != h2 || e1 != e2)
		abort();
	return 0;
}
