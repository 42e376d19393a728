/*
 * milter_order - which milter command may come next, for one MTA
 * connection: the order of the protocol (libmilter's engine.c state table,
 * without its leniency) and the protocol flags negotiated
 *
 * A command the MTA negotiated away (EOH after NOEOH, a header after
 * NOHDRS, ...) or one out of order (RCPT before MAIL, a header after the
 * body began, a second CONNECT without QUIT_NC, anything but a macro
 * before the negotiation) is a protocol error: an answer to it would be
 * read by the MTA as the answer to its next command, and every verdict
 * after it would be off by one. The caller closes the connection.
 *
 * What an MTA legitimately does is allowed: macros, ABORT and QUIT at any
 * time; HELO again; MAIL or HELO in the middle of an envelope (the
 * transaction is over on the MTA's side: a discard, an accept, a client's
 * RSET or EHLO that brought no ABORT); DATA, headers, EOH and body each
 * optional; RCPT after a refused RCPT.
 *
 * Pure: no I/O, no allocation. The state is the caller's struct.
 */
#ifndef MILTER_ORDER_H
#define MILTER_ORDER_H

/* where the connection is */
enum milter_order_state {
	MILTER_ORDER_INIT = 0,	/* before the negotiation */
	MILTER_ORDER_NEG,	/* negotiated; no SMTP session (or after QUIT_NC) */
	MILTER_ORDER_SESSION,	/* CONNECT came; between transactions */
	MILTER_ORDER_ENVELOPE,	/* MAIL came: recipients */
	MILTER_ORDER_HEADER,	/* DATA or a header came */
	MILTER_ORDER_BODY	/* EOH or a body chunk came */
};

struct milter_order {
	enum milter_order_state	 state;
	unsigned long		 prot;	/* negotiated protocol flags (MILTER_PROTO_NO*) */
};

/* milter_order_init - a new connection: before the negotiation */
void		 milter_order_init(struct milter_order *);
/*
 * milter_order_take - command cmd (MILTER_PROTO_CMD_*) came: NULL and the
 * state moves on, or why it may not come now ("negotiated away
 * (NOEOH)", "before MAIL", ...; static text) and nothing changes. After
 * OPTNEG the caller sets prot.
 */
const char	*milter_order_take(struct milter_order *, int cmd);
/*
 * milter_order_verdict - a reply other than continue (reject, tempfail,
 * discard, accept) went to the MTA at the stage of cmd: the transaction is
 * over on its side (but a refused recipient leaves the envelope open)
 */
void		 milter_order_verdict(struct milter_order *, int cmd);

#endif /* MILTER_ORDER_H */
