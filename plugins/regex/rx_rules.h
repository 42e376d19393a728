/*
 * rx_rules - the regex plugin's rules file: read, check, compile
 *
 * Public: rx_rules_load(), rx_rules_free(), rx_rules_phase(), and the
 * rule types below. The file is trusted configuration but checked
 * strictly: every error is "FILE:LINE: reason" in err. A loaded set is
 * read-only until rx_rules_free(), so any number of threads may match
 * with it. Allocation is failable (malloc): out of memory is an error
 * like any other.
 */
#ifndef RX_RULES_H
#define RX_RULES_H

#include <stddef.h>

struct re;

#define RX_REPLY_MAX	500	/* a reply line, below RFC 5321's 512 */
#define RX_HVALUE_MAX	900	/* an added header's value */

enum rx_target {
	RX_T_CLIENT = 0,
	RX_T_HELO,
	RX_T_FROM,
	RX_T_RCPT,
	RX_T_HEADER,	/* header NAME: the value of each field NAME */
	RX_T_HEADERS,	/* header * / headers: "Name: value" of every field */
	RX_T_BODY,
	RX_T_TEXT,	/* the decoded text of the message, line by line */
	RX_T_URL,	/* each link, normalised */
	RX_T_DOMAIN,	/* each link's registered domain */
	RX_T_FILENAME,	/* each part's decoded file name */
	RX_T_DECODED	/* decoded NAME: each field NAME, RFC 2047 decoded */
};

/* The phase a target's rules run at. */
enum rx_phase {
	RX_P_CONNECT = 0,
	RX_P_HELO,
	RX_P_MAIL,
	RX_P_RCPT,
	RX_P_HEADER,
	RX_P_BODY,
	RX_P_CONTENT,	/* at end of data too, on the host's decoded content */
	RX_P_N
};

enum rx_action {
	RX_A_REJECT = 0,
	RX_A_TEMPFAIL,
	RX_A_DISCARD,
	RX_A_ACCEPT,
	RX_A_SCORE,
	RX_A_ADD_HEADER
};

struct rx_rule {
	int		 line;
	enum rx_target	 target;
	char		*hname;		/* RX_T_HEADER: the field name */
	struct re	*re;
	enum rx_action	 action;
	char		*text;		/* reply template, header value template, or note */
	char		*aname;		/* ADD_HEADER: field name */
	char		*symbol;	/* SCORE */
	double		 score;
	char		*where;		/* "file.rules:12", for logs and score details */
};

/* A loaded rules file. */
struct rx_rules {
	struct rx_rule	*rules;
	size_t		 nrules;
	size_t		*phase[RX_P_N];	/* rule indexes per phase, in file order */
	size_t		 nphase[RX_P_N];
};

/* rx_rules_load - read file into rs (zeroed first); 0, or -1 with err */
int		 rx_rules_load(struct rx_rules *rs, const char *file, char *err,
		    size_t errlen);
void		 rx_rules_free(struct rx_rules *rs);	/* rs itself is not freed */
/* rx_rules_phase - the phase a target's rules run at */
enum rx_phase	 rx_rules_phase(enum rx_target);

#endif /* RX_RULES_H */
