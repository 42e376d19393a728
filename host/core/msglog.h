/*
 * msglog - the one log line per message (DESIGN section 12), at info
 *
 *   msg qid=4XyZ1 session=pg-5f3a1-000002 frontend=milter
 *   client=mail.example[192.0.2.1]:40312 helo=mail.example
 *   from=<a@example.org> rcpts=2 to=<b@example.net>,<c@example.net>
 *   size=1234 result=reject phase=eom by=actions
 *   reply="550 5.7.1 Message rejected as spam" score=12.50/12.00
 *   symbols=BAYES(5.00),RBL(7.50) time=3.214ms
 *   filters=rules:1.100ms,regex:0.400ms lookups=2/5ms
 *
 * on one physical line; qid is the MTA's queue id ("-" where there is
 * none: check; the proxy's upstream may name one). The proxy's line ends
 * with upstream="250 2.0.0 Ok: queued as 4XyZ1q2" (or upstream=- when
 * phasegate refused the message or the upstream never answered). Every value that comes from a client or a
 * filter is escaped (log_escape(), and a '"' in a quoted value as \x22).
 */
#ifndef MSGLOG_H
#define MSGLOG_H

#include <stddef.h>
#include <stdint.h>

#include <phasegate/plugin.h>

struct chain;
struct decision;

struct msglog_info {
	struct pg_session	*s;
	struct pg_tx		*tx;
	const struct decision	*d;
	const char		*result;	/* "accept", "reject", ... */
	const char		*phase;		/* where it was decided */
	const struct chain	*chain;		/* filter names */
	const uint64_t		*filter_us;	/* per filter of chain */
	uint64_t		 total_us;	/* in filters */
	unsigned		 lookups;	/* the message's, and for the session's first
						 * one those before MAIL (connect, HELO) */
	uint64_t		 lookup_ms;
	double			 threshold;	/* NAN: no actions */
	const char		*upstream;	/* the proxy: the upstream's reply
						 * ("" none yet); NULL: not the proxy */
};

/* msglog_format - the line into buf (len bytes; cut with "..." if longer) */
void	msglog_format(const struct msglog_info *, char *buf, size_t len);
/* msglog_line - msglog_format() and log it at info */
void	msglog_line(const struct msglog_info *);
/*
 * msglog_queue_id - the queue id in an MTA's reply to the end of data:
 * "250 2.0.0 Ok: queued as 4XyZ1q2" (Postfix), "250 2.0.0 1B3Kx012345
 * Message accepted for delivery" (Sendmail); copied into buf (len bytes):
 * 0, or -1 when the reply names none (or it is too long, or not [A-Za-z0-9])
 */
int	msglog_queue_id(const char *reply, char *buf, size_t len);

#endif /* MSGLOG_H */
