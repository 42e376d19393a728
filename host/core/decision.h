/*
 * decision - what a phase decided: the verdict, the filter that gave it and
 * the reply; the one mapping from a decision to the reply line a front end
 * sends, and the names of verdicts.
 *
 * A struct decision is filled in by the engine (chain.h, run.h) and read by
 * the front ends, which only put the reply into their wire format.
 */
#ifndef DECISION_H
#define DECISION_H

#include <phasegate/plugin.h>

struct decision {
	enum pg_verdict	 verdict;
	int		 error;		/* 1: it is an on_error verdict */
	char		 by[256];	/* filter that decided, "actions", or "" */
	char		 reply[PG_REPLY_MAX];	/* normal form; "" for continue/accept/discard */
	char		 why[512];	/* a filter error's reason ("filter: what"), or "" */
};

/* decision_clear - continue, by nobody, no reply */
void		 decision_clear(struct decision *);
/*
 * decision_set - verdict v by the filter by (NULL: nobody) with reply, a
 * normal-form reply (reply.h) or NULL for none; returns v
 */
enum pg_verdict	 decision_set(struct decision *, enum pg_verdict v,
		    const char *by, const char *reply);
/* decision_refuses - 1 for a reject or a tempfail */
int		 decision_refuses(const struct decision *);
/*
 * decision_reply - the reply for a reject or tempfail: the decision's own,
 * else the default for its verdict (reply_default()); NULL when the
 * decision does not refuse. Normal form: lines joined by "\r\n", no final
 * CRLF. Points into d or to a constant.
 */
const char	*decision_reply(const struct decision *);
/* decision_verdict_name - "continue", "accept", ..., "error"; "?" for others */
const char	*decision_verdict_name(enum pg_verdict);

#endif /* DECISION_H */
