/*
 * milter_order - the order of milter commands (milter_order.h)
 *
 * Public: milter_order_init(), milter_order_take(), milter_order_verdict().
 *
 * One table: for each command, the protocol flag that negotiates it away
 * and the states it may come in, with the state it leads to. Input (the
 * command byte) is untrusted; an unknown command is the decoder's error,
 * not ours, and passes here unchanged.
 */
#include <stddef.h>

#include "milter_order.h"
#include "milter_proto.h"

#define S(x)	(1u << MILTER_ORDER_##x)
#define ANY	(S(INIT) | S(NEG) | S(SESSION) | S(ENVELOPE) | S(HEADER) | S(BODY))
#define AFTER	(S(NEG) | S(SESSION) | S(ENVELOPE) | S(HEADER) | S(BODY))
#define SAME	(-1)	/* the state does not change */
#define OVER	(-2)	/* a transaction in progress is over */

/* what one command may do */
struct rule {
	int		 cmd;
	unsigned long	 no;		/* the flag that negotiates it away; 0 none */
	unsigned	 in;		/* states it may come in */
	int		 to;		/* the state it leads to, or SAME */
	const char	*why;		/* the error when it comes elsewhere (only
					 * before the negotiation when NULL) */
};

static const struct rule rules[] = {
	{ MILTER_PROTO_CMD_MACRO, 0, ANY, SAME, NULL },
	{ MILTER_PROTO_CMD_OPTNEG, 0, S(INIT), MILTER_ORDER_NEG,
	  "a second negotiation" },
	{ MILTER_PROTO_CMD_CONNECT, MILTER_PROTO_NOCONNECT, S(NEG),
	  MILTER_ORDER_SESSION, "a second CONNECT without QUIT_NC" },
	{ MILTER_PROTO_CMD_HELO, MILTER_PROTO_NOHELO, S(SESSION) | S(ENVELOPE),
	  MILTER_ORDER_SESSION, "HELO outside an SMTP session or inside a "
	  "message" },
	{ MILTER_PROTO_CMD_MAIL, MILTER_PROTO_NOMAIL, S(SESSION) | S(ENVELOPE),
	  MILTER_ORDER_ENVELOPE, "MAIL outside an SMTP session or inside a "
	  "message" },
	{ MILTER_PROTO_CMD_RCPT, MILTER_PROTO_NORCPT, S(ENVELOPE), SAME,
	  "RCPT outside an envelope (before MAIL, or after DATA)" },
	{ MILTER_PROTO_CMD_DATA, MILTER_PROTO_NODATA, S(ENVELOPE),
	  MILTER_ORDER_HEADER, "DATA outside an envelope" },
	{ MILTER_PROTO_CMD_HEADER, MILTER_PROTO_NOHDRS,
	  S(ENVELOPE) | S(HEADER), MILTER_ORDER_HEADER,
	  "a header outside a message's header" },
	{ MILTER_PROTO_CMD_EOH, MILTER_PROTO_NOEOH, S(ENVELOPE) | S(HEADER),
	  MILTER_ORDER_BODY, "end of header outside a message's header" },
	{ MILTER_PROTO_CMD_BODY, MILTER_PROTO_NOBODY,
	  S(ENVELOPE) | S(HEADER) | S(BODY), MILTER_ORDER_BODY,
	  "a body chunk outside a message" },
	{ MILTER_PROTO_CMD_BODYEOB, 0, S(ENVELOPE) | S(HEADER) | S(BODY),
	  MILTER_ORDER_SESSION, "end of message outside a message" },
	{ MILTER_PROTO_CMD_UNKNOWN, MILTER_PROTO_NOUNKNOWN,
	  S(NEG) | S(SESSION) | S(ENVELOPE), SAME,
	  "an unknown SMTP command inside a message" },
	{ MILTER_PROTO_CMD_ABORT, 0, AFTER, OVER, NULL },
	{ MILTER_PROTO_CMD_QUIT_NC, 0, AFTER, MILTER_ORDER_NEG, NULL },
	{ MILTER_PROTO_CMD_QUIT, 0, ANY, SAME, NULL },
};

/* names for the negotiated-away error */
static const struct {
	unsigned long	 flag;
	const char	*why;
} away[] = {
	{ MILTER_PROTO_NOCONNECT, "negotiated away (NOCONNECT)" },
	{ MILTER_PROTO_NOHELO, "negotiated away (NOHELO)" },
	{ MILTER_PROTO_NOMAIL, "negotiated away (NOMAIL)" },
	{ MILTER_PROTO_NORCPT, "negotiated away (NORCPT)" },
	{ MILTER_PROTO_NODATA, "negotiated away (NODATA)" },
	{ MILTER_PROTO_NOHDRS, "negotiated away (NOHDRS)" },
	{ MILTER_PROTO_NOEOH, "negotiated away (NOEOH)" },
	{ MILTER_PROTO_NOBODY, "negotiated away (NOBODY)" },
	{ MILTER_PROTO_NOUNKNOWN, "negotiated away (NOUNKNOWN)" },
};

void
milter_order_init(struct milter_order *o)
{
	o->state = MILTER_ORDER_INIT;
	o->prot = 0;
}

/* away_why - the error for a command negotiated away by flag */
static const char *
away_why(unsigned long flag)
{
	size_t i;

	for (i = 0; i < sizeof(away) / sizeof(away[0]); i++)
		if (away[i].flag == flag)
			return away[i].why;
	return "negotiated away";
}

const char *
milter_order_take(struct milter_order *o, int cmd)
{
	const struct rule *r = NULL;
	size_t i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].cmd == cmd)
			r = &rules[i];
	if (r == NULL)
		return NULL;	/* the decoder refuses unknown commands */
	if (o->state == MILTER_ORDER_INIT && cmd != MILTER_PROTO_CMD_OPTNEG &&
	    cmd != MILTER_PROTO_CMD_MACRO && cmd != MILTER_PROTO_CMD_QUIT)
		return "before the negotiation";
	if (r->no != 0 && (o->prot & r->no) != 0)
		return away_why(r->no);
	if ((r->in & (1u << o->state)) == 0)
		return r->why;
	if (r->to == OVER && o->state > MILTER_ORDER_SESSION)
		o->state = MILTER_ORDER_SESSION;
	else if (r->to >= 0)
		o->state = (enum milter_order_state)r->to;
	return NULL;
}

void
milter_order_verdict(struct milter_order *o, int cmd)
{
	if (cmd == MILTER_PROTO_CMD_RCPT)
		return;		/* the other recipients go on */
	if (o->state > MILTER_ORDER_SESSION)
		o->state = MILTER_ORDER_SESSION;
}
