/*
 * fuzz_smtp_cmd - libFuzzer target for the SMTP command parser: feed the
 * input in pieces, take every command out, check the invariants.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_cmd_limits lim = { 0, 0 };
	struct smtp_cmd_parser *p;
	struct smtp_cmd cmd;
	size_t off = 0, used, step;

	if (size < 1)
		return 0;
	lim.normalize_lf = data[0] & 1;
	step = (data[0] >> 1) + 1;
	data++;
	size--;
	if ((p = smtp_cmd_parser_new(&lim)) == NULL)
		return 0;
	while (off < size) {
		size_t k = size - off < step ? size - off : step;
		used = smtp_cmd_feed(p, (const char *)data + off, k);
		off += used;
		if (smtp_cmd_pending(p) > SMTP_CMD_LINE_MAX)
			abort();
		switch (smtp_cmd_next(p, &cmd)) {
		case SMTP_CMD_OK:
			if (cmd.len > SMTP_CMD_LINE_MAX - 2 || strlen(cmd.line) != cmd.len)
				abort();
			if ((cmd.verb == SMTP_VERB_MAIL || cmd.verb == SMTP_VERB_RCPT) &&
			    (cmd.addr == NULL || cmd.params == NULL ||
			    strlen(cmd.addr) > SMTP_CMD_ADDR_MAX))
				abort();
			if (memchr(cmd.line, '\r', cmd.len) || memchr(cmd.line, '\n', cmd.len))
				abort();
			break;
		case SMTP_CMD_MORE:
			if (used != k)
				abort();
			break;
		default:
			break;
		}
	}
	smtp_cmd_parser_free(p);
	return 0;
}
