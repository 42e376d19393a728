/*
 * decision - a phase's decision and its reply
 *
 * Public: decision_clear(), decision_set(), decision_refuses(),
 * decision_reply(), decision_verdict_name().
 * Nothing is allocated; strings are copied into the decision (truncated to
 * its buffers). The default replies are reply_default()'s, written there
 * once.
 */
#include <stdio.h>

#include "decision.h"
#include "reply.h"

static const char *const verdict_names[] = {
	[PG_CONTINUE] = "continue",
	[PG_ACCEPT] = "accept",
	[PG_REJECT] = "reject",
	[PG_TEMPFAIL] = "tempfail",
	[PG_DISCARD] = "discard",
	[PG_ERROR] = "error",
};

void
decision_clear(struct decision *d)
{
	d->verdict = PG_CONTINUE;
	d->error = 0;
	d->by[0] = '\0';
	d->reply[0] = '\0';
	d->why[0] = '\0';
}

enum pg_verdict
decision_set(struct decision *d, enum pg_verdict v, const char *by,
    const char *reply)
{
	decision_clear(d);
	d->verdict = v;
	if (by != NULL)
		snprintf(d->by, sizeof(d->by), "%s", by);
	if (reply != NULL)
		snprintf(d->reply, sizeof(d->reply), "%s", reply);
	return v;
}

int
decision_refuses(const struct decision *d)
{
	return d->verdict == PG_REJECT || d->verdict == PG_TEMPFAIL;
}

const char *
decision_reply(const struct decision *d)
{
	if (!decision_refuses(d))
		return NULL;
	return d->reply[0] != '\0' ? d->reply : reply_default(d->verdict);
}

const char *
decision_verdict_name(enum pg_verdict v)
{
	if ((unsigned)v >= sizeof(verdict_names) / sizeof(verdict_names[0]))
		return "?";
	return verdict_names[v];
}
