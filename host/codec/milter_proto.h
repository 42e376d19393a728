/*
 * milter_proto - the milter protocol, version 6, filter side: a pure codec
 *
 * The decoder takes the bytes an MTA sends (milter_proto_feed()) and hands
 * out one parsed command at a time (milter_proto_next()). The encoder
 * appends reply packets to a buffer (milter_proto_put_*()). Neither logs,
 * reads a clock or touches a descriptor: milter_front.c does the I/O.
 *
 * The constants are the protocol's public values (Sendmail's
 * libmilter/mfdef.h and mfapi.h, Postfix's src/milter/milter8.c), renamed
 * with this module's prefix:
 *	SMFIC_x -> MILTER_PROTO_CMD_x	SMFIR_x -> MILTER_PROTO_REP_x
 *	SMFIP_x -> MILTER_PROTO_x	SMFIF_x -> MILTER_PROTO_ACT_x
 *	SMFIM_x -> MILTER_PROTO_MAC_x	SMFIA_x -> MILTER_PROTO_FAM_x
 */
#ifndef MILTER_PROTO_H
#define MILTER_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define MILTER_PROTO_VERSION		6
#define MILTER_PROTO_CHUNK		65535	/* body chunk (MILTER_CHUNK_SIZE) */
#define MILTER_PROTO_PACKET_MAX		(1024 * 1024)	/* default decoder limit */
#define MILTER_PROTO_ARGV_MAX		256	/* MAIL/RCPT arguments */
#define MILTER_PROTO_MACROS_MAX		512	/* name/value pairs in one 'D' */

/* commands, MTA to filter (SMFIC_*) */
#define MILTER_PROTO_CMD_ABORT		'A'
#define MILTER_PROTO_CMD_BODY		'B'
#define MILTER_PROTO_CMD_CONNECT	'C'
#define MILTER_PROTO_CMD_MACRO		'D'
#define MILTER_PROTO_CMD_BODYEOB	'E'
#define MILTER_PROTO_CMD_HELO		'H'
#define MILTER_PROTO_CMD_QUIT_NC	'K'
#define MILTER_PROTO_CMD_HEADER		'L'
#define MILTER_PROTO_CMD_MAIL		'M'
#define MILTER_PROTO_CMD_EOH		'N'
#define MILTER_PROTO_CMD_OPTNEG		'O'
#define MILTER_PROTO_CMD_QUIT		'Q'
#define MILTER_PROTO_CMD_RCPT		'R'
#define MILTER_PROTO_CMD_DATA		'T'
#define MILTER_PROTO_CMD_UNKNOWN	'U'

/* replies, filter to MTA (SMFIR_*) */
#define MILTER_PROTO_REP_ADDRCPT	'+'
#define MILTER_PROTO_REP_DELRCPT	'-'
#define MILTER_PROTO_REP_ADDRCPT_PAR	'2'
#define MILTER_PROTO_REP_SHUTDOWN	'4'
#define MILTER_PROTO_REP_ACCEPT		'a'
#define MILTER_PROTO_REP_REPLBODY	'b'
#define MILTER_PROTO_REP_CONTINUE	'c'
#define MILTER_PROTO_REP_DISCARD	'd'
#define MILTER_PROTO_REP_CHGFROM	'e'
#define MILTER_PROTO_REP_CONN_FAIL	'f'
#define MILTER_PROTO_REP_ADDHEADER	'h'
#define MILTER_PROTO_REP_INSHEADER	'i'
#define MILTER_PROTO_REP_SETSYMLIST	'l'
#define MILTER_PROTO_REP_CHGHEADER	'm'
#define MILTER_PROTO_REP_PROGRESS	'p'
#define MILTER_PROTO_REP_QUARANTINE	'q'
#define MILTER_PROTO_REP_REJECT		'r'
#define MILTER_PROTO_REP_SKIP		's'
#define MILTER_PROTO_REP_TEMPFAIL	't'
#define MILTER_PROTO_REP_REPLYCODE	'y'
#define MILTER_PROTO_REP_OPTNEG		'O'	/* the negotiation reply */

/* address families in the connect command (SMFIA_*) */
#define MILTER_PROTO_FAM_UNKNOWN	'U'
#define MILTER_PROTO_FAM_UNIX		'L'
#define MILTER_PROTO_FAM_INET		'4'
#define MILTER_PROTO_FAM_INET6		'6'

/* protocol flags (SMFIP_*) */
#define MILTER_PROTO_NOCONNECT		0x00000001UL
#define MILTER_PROTO_NOHELO		0x00000002UL
#define MILTER_PROTO_NOMAIL		0x00000004UL
#define MILTER_PROTO_NORCPT		0x00000008UL
#define MILTER_PROTO_NOBODY		0x00000010UL
#define MILTER_PROTO_NOHDRS		0x00000020UL
#define MILTER_PROTO_NOEOH		0x00000040UL
#define MILTER_PROTO_NR_HDR		0x00000080UL
#define MILTER_PROTO_NOUNKNOWN		0x00000100UL
#define MILTER_PROTO_NODATA		0x00000200UL
#define MILTER_PROTO_SKIP		0x00000400UL
#define MILTER_PROTO_RCPT_REJ		0x00000800UL
#define MILTER_PROTO_NR_CONN		0x00001000UL
#define MILTER_PROTO_NR_HELO		0x00002000UL
#define MILTER_PROTO_NR_MAIL		0x00004000UL
#define MILTER_PROTO_NR_RCPT		0x00008000UL
#define MILTER_PROTO_NR_DATA		0x00010000UL
#define MILTER_PROTO_NR_UNKN		0x00020000UL
#define MILTER_PROTO_NR_EOH		0x00040000UL
#define MILTER_PROTO_NR_BODY		0x00080000UL
#define MILTER_PROTO_HDR_LEADSPC	0x00100000UL
#define MILTER_PROTO_MDS_256K		0x10000000UL
#define MILTER_PROTO_MDS_1M		0x20000000UL

/* actions (SMFIF_*) */
#define MILTER_PROTO_ACT_ADDHDRS	0x00000001UL
#define MILTER_PROTO_ACT_CHGBODY	0x00000002UL
#define MILTER_PROTO_ACT_ADDRCPT	0x00000004UL
#define MILTER_PROTO_ACT_DELRCPT	0x00000008UL
#define MILTER_PROTO_ACT_CHGHDRS	0x00000010UL
#define MILTER_PROTO_ACT_QUARANTINE	0x00000020UL
#define MILTER_PROTO_ACT_CHGFROM	0x00000040UL
#define MILTER_PROTO_ACT_ADDRCPT_PAR	0x00000080UL
#define MILTER_PROTO_ACT_SETSYMLIST	0x00000100UL

/* macro stages (SMFIM_*), the index in the negotiation's symbol lists */
#define MILTER_PROTO_MAC_CONNECT	0
#define MILTER_PROTO_MAC_HELO		1
#define MILTER_PROTO_MAC_ENVFROM	2
#define MILTER_PROTO_MAC_ENVRCPT	3
#define MILTER_PROTO_MAC_DATA		4
#define MILTER_PROTO_MAC_EOM		5
#define MILTER_PROTO_MAC_EOH		6
#define MILTER_PROTO_MAC_N		7

/* milter_proto_next() results */
#define MILTER_PROTO_OK			0	/* one command in cmd */
#define MILTER_PROTO_MORE		1	/* no complete packet buffered */
#define MILTER_PROTO_ERR_TOOBIG		(-1)	/* a packet over the limit */
#define MILTER_PROTO_ERR_MALFORMED	(-2)	/* bad length, command or payload */
#define MILTER_PROTO_ERR_NOMEM		(-3)

struct milter_proto_limits {
	size_t	packet_max;	/* command byte + payload */
	size_t	argv_max;
	size_t	macros_max;
};

/*
 * One command from the MTA. Pointers point into the decoder and stay
 * valid until the next milter_proto_feed() or milter_proto_next(). Which
 * fields are set depends on cmd; data/len are the raw payload always.
 */
struct milter_proto_cmd {
	int		  cmd;		/* MILTER_PROTO_CMD_* */
	const char	 *data;		/* the payload (after the command byte) */
	size_t		  len;
	/* OPTNEG */
	uint32_t	  version, actions, protocol;
	/* MACRO: the command the macros go with; name, value, name, ... */
	int		  stage;
	const char	**macros;
	size_t		  nmacros;	/* pairs */
	/* CONNECT */
	const char	 *host;
	int		  family;	/* MILTER_PROTO_FAM_* */
	unsigned	  port;
	const char	 *addr;		/* "" for FAM_UNKNOWN */
	/* HELO: str; UNKNOWN: str */
	const char	 *str;
	/* MAIL, RCPT: argv[0] the address, then ESMTP arguments; NULL-terminated */
	const char	**argv;
	size_t		  argc;
	/* HEADER */
	const char	 *name, *value;
};

struct milter_proto_dec;

/* milter_proto_limits_default - the defaults above */
void	milter_proto_limits_default(struct milter_proto_limits *);
/* milter_proto_dec_new - a decoder; lim NULL for the defaults. NULL: ENOMEM */
struct milter_proto_dec *milter_proto_dec_new(const struct milter_proto_limits *lim);
void	milter_proto_dec_free(struct milter_proto_dec *);
/*
 * milter_proto_dec_reset - empty, out of the error state, ready for a new
 * connection (the buffer is kept when it is at most keep bytes)
 */
void	milter_proto_dec_reset(struct milter_proto_dec *, size_t keep);
/*
 * milter_proto_feed - append input. 0, or -1: the decoder is in its error
 * state (it rejects all input after an error) or out of memory (errno).
 * Buffers at most one packet beyond what next() has consumed, plus len.
 */
int	milter_proto_feed(struct milter_proto_dec *, const void *, size_t);
/* milter_proto_next - the next command: MILTER_PROTO_OK, _MORE or _ERR_* */
int	milter_proto_next(struct milter_proto_dec *, struct milter_proto_cmd *);
/* milter_proto_ready - 1 when a complete packet is buffered */
int	milter_proto_ready(const struct milter_proto_dec *);
/* milter_proto_error - text of the error state, "" when none */
const char *milter_proto_error(const struct milter_proto_dec *);
/* milter_proto_buffered - bytes held */
size_t	milter_proto_buffered(const struct milter_proto_dec *);

/* The encoder's output buffer. Zero it to start; free data when done. */
struct milter_proto_buf {
	unsigned char	*data;
	size_t		 len, size;
};

void	milter_proto_buf_reset(struct milter_proto_buf *);	/* len = 0 */
void	milter_proto_buf_free(struct milter_proto_buf *);

/*
 * The milter_proto_put_*() functions append one reply packet (replbody:
 * one per 65535 bytes) and return 0, or -1 with errno (ENOMEM; EINVAL for
 * a string that contains NUL where the protocol cannot carry it, or an
 * index that does not fit).
 */
int	milter_proto_put(struct milter_proto_buf *, int code, const void *data,
	    size_t len);
/* continue, accept, reject, tempfail, discard, progress, skip, ... */
int	milter_proto_put_simple(struct milter_proto_buf *, int code);
/* replycode: "550 5.7.1 text", multi-line "550-5.7.1 a\r\n550 5.7.1 b" */
int	milter_proto_put_replycode(struct milter_proto_buf *, const char *smtp);
/*
 * milter_proto_put_reply - a replycode from its parts, as smfi_setmlreply
 * builds it: rcode (3 digits), xcode (may be NULL or ""), nlines texts.
 */
int	milter_proto_put_reply(struct milter_proto_buf *, const char *rcode,
	    const char *xcode, const char *const *lines, size_t nlines);
int	milter_proto_put_addheader(struct milter_proto_buf *, const char *name,
	    const char *value);
int	milter_proto_put_insheader(struct milter_proto_buf *, uint32_t idx,
	    const char *name, const char *value);
/* chgheader: value NULL deletes the idx-th (1-based) field of that name */
int	milter_proto_put_chgheader(struct milter_proto_buf *, uint32_t idx,
	    const char *name, const char *value);
int	milter_proto_put_addrcpt(struct milter_proto_buf *, const char *rcpt);
int	milter_proto_put_addrcpt_par(struct milter_proto_buf *, const char *rcpt,
	    const char *args);
int	milter_proto_put_delrcpt(struct milter_proto_buf *, const char *rcpt);
/* chgfrom: args NULL for none */
int	milter_proto_put_chgfrom(struct milter_proto_buf *, const char *from,
	    const char *args);
int	milter_proto_put_replbody(struct milter_proto_buf *, const void *,
	    size_t);
int	milter_proto_put_quarantine(struct milter_proto_buf *, const char *reason);
/*
 * milter_proto_put_optneg - the negotiation reply: version, actions,
 * protocol, then for each stage s with symlist[s] != NULL the stage and
 * its space-separated macro list (smfi_setsymlist). symlist may be NULL.
 */
int	milter_proto_put_optneg(struct milter_proto_buf *, uint32_t version,
	    uint32_t actions, uint32_t protocol,
	    const char *const symlist[MILTER_PROTO_MAC_N]);

#endif /* MILTER_PROTO_H */
