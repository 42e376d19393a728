/*
 * tx - one mail transaction (MAIL .. end of data or RSET/abort) of a
 * session: envelope, message and scores; the model only.
 *
 * Filter data and the engine's sticky verdicts for the transaction are the
 * engine's (run.h), not here. Strings passed in are copied. Strings handed
 * out stay valid until they are set again or tx_free(). A tx is worked on
 * by one thread at a time.
 */
#ifndef TX_H
#define TX_H

#include <sys/types.h>
#include <phasegate/plugin.h>

struct msg;
struct msg_limits;

struct tx_score {
	char	*symbol;
	char	*detail;	/* may be NULL */
	double	 points;
	char	*filter;
};

/* tx_new - s is not owned; lim NULL: msg_limits_default(). NULL: ENOMEM */
struct pg_tx	*tx_new(struct pg_session *s, const struct msg_limits *lim);
void		 tx_free(struct pg_tx *);

struct pg_session *tx_session(struct pg_tx *);
struct msg	*tx_msg(struct pg_tx *);
const char	*tx_id(struct pg_tx *);		/* queue id, or NULL */
int		 tx_set_id(struct pg_tx *, const char *);	/* NULL clears */
const char	*tx_sender(struct pg_tx *);	/* bare; "" before MAIL and for <> */
const char	*tx_sender_args(struct pg_tx *);	/* ESMTP args or NULL */
/* tx_set_sender - addr with or without brackets; args "" or NULL: none */
int		 tx_set_sender(struct pg_tx *, const char *addr, const char *args);
size_t		 tx_rcpt_count(struct pg_tx *);
const char	*tx_rcpt(struct pg_tx *, size_t);	/* bare; NULL past the end */
/* tx_add_rcpt - addr with or without brackets; "" and <> are EINVAL */
int		 tx_add_rcpt(struct pg_tx *, const char *addr);
/* tx_del_rcpt - drop the last recipient equal to addr (the upstream refused it); -1 (ENOENT) if none */
int		 tx_del_rcpt(struct pg_tx *, const char *addr);

/*
 * tx_score_add - symbol: letters, digits, '_', '-', '.' (at most 128);
 * points finite within +-1e9 (else EINVAL); detail and filter may be NULL.
 * A symbol counts once: scored again, the score farthest from zero wins
 * and the details are joined (at most TX_DETAIL_MAX bytes).
 */
#define TX_DETAIL_MAX	1024
int		 tx_score_add(struct pg_tx *, double, const char *symbol,
		    const char *detail, const char *filter);
size_t		 tx_score_count(struct pg_tx *);
const struct tx_score *tx_score_at(struct pg_tx *, size_t);	/* NULL past the end */
double		 tx_score_total(struct pg_tx *);

/*
 * tx_content / tx_set_content - the message content the filters of this
 * transaction share (content.c keeps its parse here); free_fn(p) runs at
 * tx_free() (or when another is set).
 */
void		*tx_content(struct pg_tx *);
void		 tx_set_content(struct pg_tx *, void *p, void (*free_fn)(void *));

/*
 * tx_addr_strip - copy an address without its angle brackets into dst
 * (dstlen bytes): "<a@b>" and "a@b" give "a@b", "<>" gives "". Returns 0, or
 * -1 (EINVAL) when it is not an address: CR, LF, NUL, space outside
 * quotes, unbalanced brackets, or too long.
 */
int		 tx_addr_strip(const char *addr, char *dst, size_t dstlen);

#endif /* TX_H */
