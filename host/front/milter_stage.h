/*
 * milter_stage - the milter's stages: the protocol state of one MTA
 * connection (negotiation, macros, the session's run through the core)
 * and the answer to each command the MTA sends, queued as reply packets
 * (DESIGN section 6; docs/milter.md)
 */
#ifndef MILTER_STAGE_H
#define MILTER_STAGE_H

#include "milter_proto.h"

/* milter_stage_dispatch() results */
#define MILTER_STAGE_GO		0	/* go on */
#define MILTER_STAGE_QUIT	1	/* the MTA said QUIT: flush, then close */
#define MILTER_STAGE_END	(-1)	/* close the connection (logged) */
/*
 * recipients of one transaction the milter records (the MTA's own limit,
 * Postfix's smtpd_recipient_limit, is normally far lower): beyond, 452 4.5.3
 */
#define MILTER_STAGE_RCPTS_MAX	10000

struct milter_stage;

/* milter_stage_new - a stage object, reusable for one connection after another; NULL: ENOMEM */
struct milter_stage *milter_stage_new(void);
void		 milter_stage_free(struct milter_stage *);
/*
 * milter_stage_begin - a new MTA connection from peer (a name for the
 * log, copied); replies are queued on out (not owned; it outlives the
 * connection)
 */
void		 milter_stage_begin(struct milter_stage *, const char *peer,
		    struct milter_proto_buf *out);
/* milter_stage_dispatch - one decoded command: MILTER_STAGE_* */
int		 milter_stage_dispatch(struct milter_stage *,
		    const struct milter_proto_cmd *cmd);
/*
 * milter_stage_busy - 1 while a message is in progress (from MAIL to the
 * end of the message or an abort): the MTA holds an SMTP transaction that
 * closing the connection would fail
 */
int		 milter_stage_busy(const struct milter_stage *);
/*
 * milter_stage_end - the connection is over: the session's close hooks
 * run, its generation and macros go; the object is ready for
 * milter_stage_begin()
 */
void		 milter_stage_end(struct milter_stage *);
/* milter_stage_sid - the session id for the log ("-" before connect) */
const char	*milter_stage_sid(const struct milter_stage *);

#endif /* MILTER_STAGE_H */
