/*
 * proxy_limits - DATA deadlines, the hop count, the client's deadlines and
 * errors (proxy_limits.h)
 *
 * Public: proxy_limits_data_deadline(), proxy_limits_data_since(),
 * proxy_limits_hops(), proxy_limits_client_deadline(),
 * proxy_limits_errors(). No state, no allocation.
 */
#include "clock.h"
#include "config.h"
#include "conn.h"
#include "msg.h"
#include "proxy_limits.h"

size_t
proxy_limits_hops(struct msg *m)
{
	size_t n = 0;

	while (msg_header(m, "Received", n + 1) != NULL)
		n++;
	return n;
}

uint64_t
proxy_limits_data_deadline(const struct config *cfg, uint64_t start,
    uint64_t got)
{
	uint64_t dl = start + cfg->timeout_data_ms;

	if (cfg->data_rate_min > 0)
		dl += got / cfg->data_rate_min * 1000 +
		    got % cfg->data_rate_min * 1000 / cfg->data_rate_min;
	return dl;
}

uint64_t
proxy_limits_data_since(const struct config *cfg, uint64_t start, uint64_t got)
{
	uint64_t since = proxy_limits_data_deadline(cfg, start, got) -
	    cfg->timeout_data_ms, now = clock_ms();

	return since < now ? since : now;
}

uint64_t
proxy_limits_client_deadline(const struct config *cfg, size_t pending,
    uint64_t *idle_dl, uint64_t *line_dl, unsigned *flags, const char **what,
    uint64_t *ms)
{
	if (pending == 0) {
		*line_dl = 0;
		if (*idle_dl == 0)
			*idle_dl = clock_deadline(cfg->timeout_idle_ms);
		*flags = CONN_IDLE;
		*what = "idle";
		*ms = cfg->timeout_idle_ms;
		return *idle_dl;
	}
	if (*line_dl == 0)
		*line_dl = clock_deadline(cfg->timeout_command_ms);
	*flags = 0;
	*what = "command";
	*ms = cfg->timeout_command_ms;
	return *line_dl;
}

int
proxy_limits_errors(const struct config_smtp *sc, enum smtp_cmd_verb verb,
    int code, unsigned *errors, unsigned *junk)
{
	int error = code >= 400 && code < 600;

	if (verb == SMTP_VERB_DATA && code >= 200 && code < 300) {
		*errors = *junk = 0;
		return 0;
	}
	switch (verb) {
	case SMTP_VERB_NOOP:
	case SMTP_VERB_RSET:
	case SMTP_VERB_VRFY:
	case SMTP_VERB_EXPN:
	case SMTP_VERB_HELP:
	case SMTP_VERB_ETRN:
		if (sc->junk_command_limit > 0 &&
		    ++*junk > sc->junk_command_limit)
			error = 1;
		break;
	default:
		break;
	}
	if (error)
		++*errors;
	return sc->hard_error_limit > 0 && *errors >= sc->hard_error_limit;
}
