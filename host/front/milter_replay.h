/*
 * milter_replay - a message's change list as milter reply packets, for
 * the end of message: addheader, insheader, chgheader, addrcpt, delrcpt,
 * chgfrom, replbody and quarantine, in the order the filters asked
 */
#ifndef MILTER_REPLAY_H
#define MILTER_REPLAY_H

#include "milter_proto.h"
#include "msg.h"

/* what the replay needs to know of the connection */
struct milter_replay {
	unsigned long	 act;		/* the actions negotiated (MILTER_PROTO_ACT_*) */
	int		 leadspc;	/* MILTER_PROTO_HDR_LEADSPC negotiated */
	const char	*sid;		/* the session, for the log */
};

/*
 * milter_replay - queue m's changes on out; 0, or -1 (logged: a change
 * whose action was not negotiated, a header index out of range, no
 * memory, a spool error) with nothing of it queued: the MTA must not
 * deliver something other than what the chain asked for.
 */
int		 milter_replay(const struct milter_replay *rp, const struct msg *m,
		    struct milter_proto_buf *out);

#endif /* MILTER_REPLAY_H */
