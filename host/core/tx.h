/*
 * tx - one mail transaction (MAIL .. end of data or RSET/abort) of a
 * session: envelope, message, scores and filter data.
 *
 * Strings passed in are copied. Strings handed out stay valid until
 * tx_free(). A tx is worked on by one thread at a time.
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

struct pg_tx	*tx_new(struct pg_session *, const struct msg_limits *);
void		 tx_free(struct pg_tx *);	/* frees filter data too */

struct pg_session *tx_session(struct pg_tx *);
struct msg	*tx_msg(struct pg_tx *);
const char	*tx_id(struct pg_tx *);
void		 tx_set_id(struct pg_tx *, const char *);	/* queue id */
const char	*tx_sender(struct pg_tx *);
const char	*tx_sender_args(struct pg_tx *);	/* ESMTP args or NULL */
int		 tx_set_sender(struct pg_tx *, const char *addr, const char *args);
size_t		 tx_rcpt_count(struct pg_tx *);
const char	*tx_rcpt(struct pg_tx *, size_t);
int		 tx_add_rcpt(struct pg_tx *, const char *addr);
/* tx_del_rcpt - drop the last recipient equal to addr (the upstream refused it); -1 if none */
int		 tx_del_rcpt(struct pg_tx *, const char *addr);

void		*tx_data_get(struct pg_tx *);
void		 tx_data_set(struct pg_tx *, void *, void (*)(void *));

int		 tx_score_add(struct pg_tx *, double, const char *symbol,
		    const char *detail, const char *filter);
size_t		 tx_score_count(struct pg_tx *);
const struct tx_score *tx_score_at(struct pg_tx *, size_t);
double		 tx_score_total(struct pg_tx *);

/* Sticky state set by the chain. */
int		 tx_accepted(struct pg_tx *);	/* a filter accepted: no more filtering */
void		 tx_set_accepted(struct pg_tx *);
int		 tx_discarded(struct pg_tx *);	/* deliver nowhere */
void		 tx_set_discarded(struct pg_tx *);

/*
 * tx_addr_strip - copy an address without its angle brackets into dst
 * (dstlen bytes): "<a@b>" and "a@b" give "a@b", "<>" gives "". Returns 0, or
 * -1 (EINVAL) when it is not an address: CR, LF, NUL, space outside
 * quotes, unbalanced brackets, or too long.
 */
int		 tx_addr_strip(const char *addr, char *dst, size_t dstlen);

#endif /* TX_H */
