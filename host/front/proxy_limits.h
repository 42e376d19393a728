/*
 * proxy_limits - the proxy session's limits that are arithmetic on the
 * configuration and the message: the DATA phase's deadline and its
 * "waiting since" for the listener's fair shares, the hop count, the
 * client's next deadline, and the count of its errors.
 * Split from proxy_session.c (which keeps under the 1,000-line limit).
 */
#ifndef PROXY_LIMITS_H
#define PROXY_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "smtp_cmd.h"

struct config;
struct config_smtp;
struct msg;

/*
 * proxy_limits_data_deadline - the DATA phase's deadline: timeouts.data
 * from start (the 354), plus one second per data_rate_min bytes received
 * (got; Postfix's smtpd_min_data_rate), so a large message sent at least
 * that fast is never cut while a trickle is, after about timeouts.data
 */
uint64_t	proxy_limits_data_deadline(const struct config *cfg,
		    uint64_t start, uint64_t got);
/*
 * proxy_limits_data_since - for listen_session_wait() in DATA: the 354's
 * time, moved on by the time the bytes received would take at
 * data_rate_min (a client sending faster than that looks as if it had
 * just begun)
 */
uint64_t	proxy_limits_data_since(const struct config *cfg, uint64_t start,
		    uint64_t got);
/* proxy_limits_hops - the message's Received: fields */
size_t		proxy_limits_hops(struct msg *m);

/*
 * proxy_limits_client_deadline - the deadline of the next wait for the
 * client: between commands (pending 0: no byte of the next command yet)
 * timeouts.idle from when the replies went out, within a command line
 * timeouts.command from when its first byte came (not from the last byte:
 * a trickle is cut as surely as silence). *idle_dl and *line_dl keep the
 * deadline begun (0: none); *flags CONN_IDLE between commands, *what
 * ("idle", "command") and *ms name the timeout for the log.
 */
uint64_t	proxy_limits_client_deadline(const struct config *cfg,
		    size_t pending, uint64_t *idle_dl, uint64_t *line_dl,
		    unsigned *flags, const char **what, uint64_t *ms);
/*
 * proxy_limits_errors - count the reply code (0: none) that answered
 * verb, as Postfix's smtpd_hard_error_limit and smtpd_junk_command_limit
 * do: a 4xx or 5xx reply is an error; NOOP, RSET, VRFY, EXPN, HELP and
 * ETRN beyond junk_command_limit are errors too; a message accepted (a 2xx
 * to DATA) starts both counts again. 1 when the errors reach
 * hard_error_limit (the session ends with 421), else 0.
 */
int		proxy_limits_errors(const struct config_smtp *sc,
		    enum smtp_cmd_verb verb, int code, unsigned *errors,
		    unsigned *junk);

#endif /* PROXY_LIMITS_H */
