/*
 * phasegate/plugin.h - the public, versioned C plugin ABI of phasegate
 *
 * A plugin is a shared object that exports one symbol, phasegate_plugin, a
 * const struct pg_plugin. The host dlopen()s it with RTLD_NOW|RTLD_LOCAL,
 * checks abi and size, and calls init() once with a table of host services
 * (struct pg_host). A plugin links against nothing of the host: everything
 * it may read or change reaches it through that table.
 *
 * Threading: phase callbacks run concurrently on many sessions. State that
 * init() returns is shared by all of them and is the plugin's to protect.
 * Per-session and per-transaction data go in the data slots
 * (session_data_set(), tx_data_set()), which are private to each filter.
 *
 * Lifetime: every string the host hands to a callback is valid until that
 * callback returns, unless said otherwise. Copy what you keep.
 *
 * Compatibility: new members are only ever added at the end of struct
 * pg_plugin and struct pg_host, and PG_PLUGIN_ABI goes up when an existing
 * member changes meaning. Check host->size before using a member newer than
 * the version you built against.
 */
#ifndef PHASEGATE_PLUGIN_H
#define PHASEGATE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PG_PLUGIN_ABI	1

/* Verdicts. The first verdict other than PG_CONTINUE ends the phase. */
enum pg_verdict {
	PG_CONTINUE = 0,	/* ask the next filter */
	PG_ACCEPT,		/* stop filtering this message and pass it */
	PG_REJECT,		/* 5xx */
	PG_TEMPFAIL,		/* 4xx */
	PG_DISCARD,		/* accept to the client, deliver nowhere */
	PG_ERROR		/* the filter failed: the host applies on_error */
};

/*
 * A reply. The host hands callbacks a zeroed one; a filter that rejects or
 * tempfails may write its reply text here, e.g. "550 5.1.1 no such user".
 * Several lines are separated by "\n"; each line may repeat the code
 * ("550-5.1.1 a\n550 5.1.1 b") or give the text only. An empty text means
 * the default reply for the verdict. A reject must carry a 5xx code and a
 * tempfail a 4xx one, or the filter has erred. With PG_ERROR the text, if
 * any, is the error message to log.
 */
#define PG_REPLY_MAX	4096
struct pg_reply {
	char	text[PG_REPLY_MAX];
};

/* Opaque handles; their layout belongs to the host. */
struct pg_session;
struct pg_tx;
struct pg_options;

/* String fields of a session, for pg_host.session_str(). */
enum pg_session_str {
	PG_S_ID = 0,		/* session id, unique in this process */
	PG_S_CLIENT_ADDR,	/* "192.0.2.1", "2001:db8::1" */
	PG_S_CLIENT_NAME,	/* reverse name, or "unknown" */
	PG_S_HELO,		/* HELO/EHLO argument, or NULL before HELO */
	PG_S_TLS,		/* TLS version, or NULL without TLS */
	PG_S_AUTH,		/* SASL login, or NULL */
	PG_S_FRONTEND		/* "milter", "smtp" or "check" */
};

/* Log levels for pg_host.log(). */
enum pg_log_level {
	PG_LOG_ERR = 0,
	PG_LOG_WARN,
	PG_LOG_INFO,
	PG_LOG_DEBUG
};

/*
 * The host's services. Functions that return int return 0 on success and -1
 * on failure (bad argument, e.g. a header name with a colon, or no memory);
 * the failure's reason is then in last_error() until the next call.
 * Header indexes count from 1 among the fields of that name; header
 * positions (insert_header) count from 0 at the top of the header.
 */
struct pg_host {
	uint32_t	 abi;		/* PG_PLUGIN_ABI */
	uint32_t	 size;		/* sizeof(struct pg_host) */
	const char	*version;	/* phasegate's version string */

	/* Logging, with session id and filter name added by the host. s may be NULL. */
	void		(*log)(struct pg_session *s, enum pg_log_level,
			    const char *fmt, ...)
			    __attribute__((__format__(__printf__, 3, 4)));
	const char	*(*last_error)(void);

	/* Options of this filter's configuration entry: all values are strings. */
	const char	*(*opt_get)(const struct pg_options *, const char *key);
	size_t		 (*opt_count)(const struct pg_options *);
	const char	*(*opt_key)(const struct pg_options *, size_t i);
	const char	*(*opt_value)(const struct pg_options *, size_t i);
	const char	*(*opt_where)(const struct pg_options *);	/* "file:line" */

	/* Session. */
	const char	*(*session_str)(struct pg_session *, enum pg_session_str);
	int		 (*session_client_port)(struct pg_session *);
	const char	*(*session_macro)(struct pg_session *, const char *name);
	void		*(*session_data_get)(struct pg_session *);
	void		 (*session_data_set)(struct pg_session *, void *data,
			    void (*free_fn)(void *));

	/* Transaction: envelope. Addresses are bare (no <>); null sender is "". */
	struct pg_session *(*tx_session)(struct pg_tx *);
	const char	*(*tx_id)(struct pg_tx *);		/* queue id or NULL */
	const char	*(*tx_sender)(struct pg_tx *);
	size_t		 (*tx_rcpt_count)(struct pg_tx *);
	const char	*(*tx_rcpt)(struct pg_tx *, size_t i);
	void		*(*tx_data_get)(struct pg_tx *);
	void		 (*tx_data_set)(struct pg_tx *, void *data,
			    void (*free_fn)(void *));

	/*
	 * Transaction: message. Header values are unfolded (CR/LF removed, the
	 * space after the colon and trailing space dropped); *_raw gives the
	 * bytes after the colon as received. Strings stay valid until the end
	 * of the transaction or the next change of that header.
	 */
	size_t		 (*tx_header_count)(struct pg_tx *);
	int		 (*tx_header_at)(struct pg_tx *, size_t i,
			    const char **name, const char **value);
	const char	*(*tx_header)(struct pg_tx *, const char *name, size_t n);
	const char	*(*tx_header_raw)(struct pg_tx *, const char *name, size_t n);
	off_t		 (*tx_size)(struct pg_tx *);		/* message bytes so far */
	off_t		 (*tx_body_size)(struct pg_tx *);
	/* Body bytes from off; returns bytes read, 0 at end, -1 on error. */
	ssize_t		 (*tx_body_read)(struct pg_tx *, off_t off, void *buf,
			    size_t len);

	/* Transaction: changes, applied in this order after end of data. */
	int		 (*tx_add_header)(struct pg_tx *, const char *name,
			    const char *value);
	int		 (*tx_insert_header)(struct pg_tx *, size_t pos,
			    const char *name, const char *value);
	int		 (*tx_change_header)(struct pg_tx *, const char *name,
			    size_t n, const char *value);	/* NULL value deletes */
	int		 (*tx_delete_header)(struct pg_tx *, const char *name,
			    size_t n);
	int		 (*tx_add_rcpt)(struct pg_tx *, const char *addr);
	int		 (*tx_del_rcpt)(struct pg_tx *, const char *addr);
	int		 (*tx_change_sender)(struct pg_tx *, const char *addr,
			    const char *esmtp_args);		/* args may be NULL */
	int		 (*tx_replace_body)(struct pg_tx *, const void *body,
			    size_t len);
	int		 (*tx_quarantine)(struct pg_tx *, const char *reason);

	/* Transaction: scores, held against the actions thresholds at end of data. */
	int		 (*tx_score)(struct pg_tx *, double points,
			    const char *symbol, const char *detail);
	double		 (*tx_score_total)(struct pg_tx *);

	/* new members go here */
};

/*
 * The descriptor a plugin exports as phasegate_plugin. Phase callbacks may
 * be NULL (not interested); the milter front end negotiates away phases
 * that no filter wants. init() may write a reason into err (errlen bytes)
 * and return -1: the host then refuses the configuration with the plugin's
 * path and that reason.
 */
struct pg_plugin {
	uint32_t	 abi;		/* PG_PLUGIN_ABI */
	uint32_t	 size;		/* sizeof(struct pg_plugin) */
	const char	*name;
	uint32_t	 flags;		/* PG_PLUGIN_F_* */

	int		(*init)(const struct pg_host *, const struct pg_options *,
			    void **state, char *err, size_t errlen);
	void		(*fini)(void *state);

	enum pg_verdict	(*on_connect)(void *state, struct pg_session *,
			    struct pg_reply *);
	enum pg_verdict	(*on_helo)(void *state, struct pg_session *,
			    const char *name, struct pg_reply *);
	enum pg_verdict	(*on_mail)(void *state, struct pg_tx *,
			    const char *sender, struct pg_reply *);
	enum pg_verdict	(*on_rcpt)(void *state, struct pg_tx *,
			    const char *rcpt, struct pg_reply *);
	enum pg_verdict	(*on_data)(void *state, struct pg_tx *,
			    struct pg_reply *);
	enum pg_verdict	(*on_header)(void *state, struct pg_tx *,
			    const char *name, const char *value,
			    struct pg_reply *);
	enum pg_verdict	(*on_eoh)(void *state, struct pg_tx *,
			    struct pg_reply *);
	enum pg_verdict	(*on_eom)(void *state, struct pg_tx *,
			    struct pg_reply *);
	void		(*on_close)(void *state, struct pg_session *);

	/* new members go here, and PG_PLUGIN_ABI goes up */
};

/* pg_plugin.flags */
#define PG_PLUGIN_F_BODY	0x0001	/* reads the body at end of data */
#define PG_PLUGIN_F_CHANGES	0x0002	/* may change the message or envelope */

extern const struct pg_plugin phasegate_plugin;

#ifdef __cplusplus
}
#endif

#endif /* PHASEGATE_PLUGIN_H */
