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
 * pg_plugin and struct pg_host, and PG_PLUGIN_ABI goes up only when an
 * existing member changes meaning (or a new one could not be ignored). A
 * member added at the end is optional: each side reads it only when the
 * other side's size covers it (PG_SIZE_HAS()), and takes it as NULL or 0
 * otherwise. So a plugin built against an older header still loads (its
 * descriptor is smaller: the newer members count as absent), and a plugin
 * built against a newer header loads into an older host (which does not
 * read what it does not know). Check host->size the same way before using
 * a pg_host member newer than the version you built against.
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

/*
 * PG_SIZE_HAS - whether the struct at p (with a size member: struct
 * pg_plugin, struct pg_host) is large enough to hold member m of type t.
 * E.g. PG_SIZE_HAS(desc, struct pg_plugin, phases).
 */
#define PG_SIZE_HAS(p, t, m) \
	((size_t)(p)->size >= offsetof(t, m) + sizeof(((t *)0)->m))

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
	PG_S_CLIENT_NAME,	/* verified (FCrDNS) name, or "unknown" */
	PG_S_HELO,		/* HELO/EHLO argument, or NULL before HELO */
	PG_S_TLS,		/* TLS version, or NULL without TLS */
	PG_S_AUTH,		/* SASL login, or NULL */
	PG_S_FRONTEND,		/* "milter", "smtp" or "check" */
	PG_S_CLIENT_PTR		/* PTR name, not verified, or "unknown";
				 * NULL when the MTA does not say (milter),
				 * and from a host older than this value */
};

/*
 * The session's TLS, for pg_host.session_tls(): strings as OpenSSL names
 * them (version "TLSv1.3", cipher "TLS_AES_256_GCM_SHA384"); a field the
 * front end does not know is NULL (strings) or 0. Valid for the session.
 */
struct pg_tls {
	const char	*version;
	const char	*cipher;
	int		 bits;		/* the cipher's secret bits */
	const char	*peer_subject;	/* the client certificate's subject, or NULL */
	int		 verified;	/* that certificate was verified */
};

/* The most queries of one dns_query() call, zones of one dnsbl_query(). */
#define PG_DNS_MAX	10000
/* String fields of a message part, for pg_host.tx_part_str(). */
enum pg_part_str {
	PG_P_TYPE = 0,		/* "text/html": lower case, no parameters */
	PG_P_CHARSET,		/* lower case, or NULL */
	PG_P_DISPOSITION,	/* "attachment", "inline", or NULL */
	PG_P_FILENAME,		/* decoded (RFC 2047, RFC 2231), or NULL */
	PG_P_DETECTED,		/* type sniffed from the content, or NULL */
	PG_P_ENCODING		/* transfer encoding: "base64", ... "7bit" */
};

/* String fields of a link, for pg_host.tx_url_str(). */
enum pg_url_str {
	PG_U_URL = 0,		/* normalised: "http://www.example.com/a" */
	PG_U_SCHEME,		/* "http", "https", "ftp" */
	PG_U_HOST,		/* lower case, IDNA ASCII form */
	PG_U_DOMAIN,		/* registered domain (Public Suffix List) */
	PG_U_PATH,		/* "/a" */
	PG_U_TEXT,		/* the HTML link's text, or NULL */
	PG_U_TEXT_HOST		/* a host the link text shows that is not the link's, or NULL */
};

/* One link of a message with all its fields: pg_host.tx_urls(). */
struct pg_url {
	const char	*url;		/* PG_U_URL ... PG_U_TEXT_HOST, as above */
	const char	*scheme;
	const char	*host;
	const char	*domain;
	const char	*path;
	const char	*text;		/* or NULL */
	const char	*text_host;	/* or NULL */
	int		 part;		/* part index, -1 */
};

/* Log levels for pg_host.log(). */
enum pg_log_level {
	PG_LOG_ERR = 0,
	PG_LOG_WARN,
	PG_LOG_INFO,
	PG_LOG_DEBUG
};

/*
 * Lookups (DESIGN section 9): record types for pg_host.dns_query(), the
 * status of each query, and what comes back.
 */
#define PG_DNS_A	1
#define PG_DNS_NS	2
#define PG_DNS_PTR	12
#define PG_DNS_MX	15
#define PG_DNS_TXT	16
#define PG_DNS_AAAA	28

/* pg_host.dns_strerror() gives the word scripts see: "nxdomain", "timeout", ... */
enum pg_dns_status {
	PG_DNS_OK = 0,		/* "ok" */
	PG_DNS_NXDOMAIN,	/* "nxdomain": no such name (for a DNS list: not listed) */
	PG_DNS_NODATA,		/* "nodata": the name has no record of that type */
	PG_DNS_TIMEOUT,		/* "timeout": no answer in time, or the budget is spent */
	PG_DNS_SERVFAIL,	/* "servfail" */
	PG_DNS_REFUSED,		/* "refused" */
	PG_DNS_BADRESP,		/* "badresp": a malformed answer */
	PG_DNS_LOOP,		/* "loop": a CNAME loop */
	PG_DNS_BADNAME,		/* "badname": not a name (or address) that can be asked */
	PG_DNS_NOMEM,		/* "nomem" */
	PG_DNS_BUSY,		/* "busy": too many lookups in flight in the process */
	PG_DNS_UNREACH,		/* "unreachable": no server could be reached */
	PG_DNS_ERROR,		/* "error": anything else */
	PG_DNS_BADCODE		/* "badcode": a DNS list answered outside 127.0.0.0/8
				 * or in 127.255.255.0/24: an error, not a listing */
};

/* One record of an answer: A/AAAA address, NS/PTR/MX host, or a TXT record's strings joined. */
struct pg_dns_rr {
	const char	*text;
	uint32_t	 pref;		/* MX preference, 0 otherwise */
	uint32_t	 ttl;
};

/* One query for pg_host.dns_query(). */
struct pg_dns_query {
	const char	*name;		/* in: a name; for PG_DNS_PTR an address
					 * ("192.0.2.1", "2001:db8::1") or a reversed name */
	int		 type;		/* in: PG_DNS_* */
	int		 status;	/* out: enum pg_dns_status */
	const struct pg_dns_rr *rr;	/* out: PG_DNS_OK: nrr >= 1 records */
	size_t		 nrr;
	uint32_t	 ms;		/* out: how long it waited (0: from the cache) */
	void		*priv;		/* the host's, for dns_release() */
};

/* One zone for pg_host.dnsbl_query(). */
struct pg_dnsbl_zone {
	const char	*zone;		/* in: "zen.example" */
	int		 status;	/* out: PG_DNS_OK listed, PG_DNS_NXDOMAIN not
					 * listed, anything else an error */
	const char *const *codes;	/* out, listed: the A answers, "127.0.0.2" ... */
	size_t		 ncodes;
	const char	*txt;		/* out, listed: the TXT answer, or NULL */
	uint32_t	 ms;		/* out: how long it waited */
	void		*priv;		/* the host's, for dnsbl_release() */
};

/*
 * pg.store values (struct pg_host store_*): a key's value is an integer, a
 * number or a byte string. PG_STORE_NONE: no such key (store_get).
 */
enum pg_store_type {
	PG_STORE_NONE = 0,
	PG_STORE_INT,
	PG_STORE_NUM,
	PG_STORE_STR
};

struct pg_map;		/* a map of the host (map_open) */

struct pg_store_value {
	enum pg_store_type	 type;
	int64_t			 i;
	double			 d;
	char			*s;	/* PG_STORE_STR; from store_get: malloc'd, free() it */
	size_t			 len;
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

	/*
	 * Transaction: scores, held against the actions thresholds at end of
	 * data. A symbol counts once: scored again, the score farthest from
	 * zero wins and the details are joined (docs/verdicts.md).
	 */
	int		 (*tx_score)(struct pg_tx *, double points,
			    const char *symbol, const char *detail);
	double		 (*tx_score_total)(struct pg_tx *);

	/*
	 * Lookups (DESIGN section 9). Added to ABI 1 after its first release:
	 * check PG_SIZE_HAS(host, struct pg_host, dns_query) (and the same
	 * for each later member) before use.
	 *
	 * dns_query asks q[0..n-1] at once; dnsbl_query asks a DNS list
	 * (RFC 5782) about subject, an IPv4 or IPv6 address (reversed) or a
	 * name (as it is), in every zone z[0..n-1] at once, then for the TXT
	 * of the listed ones. Both park the calling session (no worker thread
	 * waits) until every answer is in or the filter call's lookup budget,
	 * timeouts.lookups, is spent: the time parked in one callback counts
	 * against it, and a lookup after it is spent gets PG_DNS_TIMEOUT at
	 * once (unless the answer is cached). s may be NULL (init()): then
	 * the wait is bounded by timeouts.lookups alone. Every query or zone
	 * gets a status. They return 0, or -1 for bad arguments (NULL, more
	 * than PG_DNS_MAX) with the reason in last_error(). What the results
	 * point to stays valid until dns_release() / dnsbl_release(), which
	 * must be called after every successful call.
	 */
	int		 (*dns_query)(struct pg_session *s, struct pg_dns_query *q,
			    size_t n);
	void		 (*dns_release)(struct pg_dns_query *q, size_t n);
	int		 (*dnsbl_query)(struct pg_session *s, const char *subject,
			    struct pg_dnsbl_zone *z, size_t n);
	void		 (*dnsbl_release)(struct pg_dnsbl_zone *z, size_t n);
	const char	*(*dns_strerror)(int status);	/* "nxdomain", ... */

	/*
	 * Message content (added in ABI 1 after the first release: check
	 * PG_SIZE_HAS(host, struct pg_host, tx_part_count) before use).
	 * The MIME tree is parsed once per transaction, on first use, and
	 * shared by every filter; meaningful at end of data. Parts are the
	 * leaf parts in order (nested multiparts and message/rfc822 walked),
	 * counted from 0. Strings are UTF-8 and stay valid until the end of
	 * the transaction. Out of range: NULL, -1 or 0.
	 */
	size_t		 (*tx_part_count)(struct pg_tx *);
	const char	*(*tx_part_str)(struct pg_tx *, size_t i, enum pg_part_str);
	off_t		 (*tx_part_size)(struct pg_tx *, size_t i);	/* decoded */
	/* decoded bytes (base64, quoted-printable, uuencode undone) */
	const char	*(*tx_part_content)(struct pg_tx *, size_t i, size_t *len);
	/* text parts only: UTF-8, HTML rendered to text; NULL for others */
	const char	*(*tx_part_text)(struct pg_tx *, size_t i, size_t *len);
	const char	*(*tx_part_header)(struct pg_tx *, size_t i,
			    const char *name);		/* decoded */
	/* archive member j: 1, 0 past the last, -1 not an archive */
	int		 (*tx_part_archive)(struct pg_tx *, size_t i, size_t j,
			    const char **name, off_t *size, int *encrypted);
	/* the text of all text parts, as one UTF-8 string */
	const char	*(*tx_text)(struct pg_tx *, size_t *len);
	/* header value with RFC 2047 decoded to UTF-8; n counts from 1 */
	const char	*(*tx_header_decoded)(struct pg_tx *, const char *name,
			    size_t n);
	size_t		 (*tx_from_count)(struct pg_tx *);
	int		 (*tx_from_at)(struct pg_tx *, size_t i,
			    const char **name, const char **addr);
	size_t		 (*tx_url_count)(struct pg_tx *);
	const char	*(*tx_url_str)(struct pg_tx *, size_t i, enum pg_url_str);
	int		 (*tx_url_part)(struct pg_tx *, size_t i);	/* part index, -1 */
	/* the session's TLS (struct pg_tls), or NULL without TLS */
	const struct pg_tls *(*session_tls)(struct pg_session *);

	/*
	 * pg.store (DESIGN section 10), added in ABI 1 after its first
	 * release: check PG_SIZE_HAS(host, struct pg_host, store_strerror).
	 * One store per process (in-process, or Redis when configured),
	 * shared by every filter and script. Each call returns 0 (delete: 1
	 * when the key existed, 0 when not), or -1 with errno: EINVAL (incr
	 * on a value that is not an integer, or overflow), E2BIG (key or value
	 * too long), ENOSPC (store.memory_max reached), EIO (the backend
	 * failed: down, error reply, out of memory), ETIMEDOUT (store.timeout).
	 * From a session's callback a Redis call parks only that session.
	 * ttl in seconds, 0: none; incr sets it only when it creates the key.
	 */
	int		 (*store_incr)(const char *key, size_t klen, int64_t n,
			    double ttl, int64_t *result);
	int		 (*store_get)(const char *key, size_t klen,
			    struct pg_store_value *v);
	int		 (*store_set)(const char *key, size_t klen,
			    const struct pg_store_value *v, double ttl);
	int		 (*store_delete)(const char *key, size_t klen);
	const char	*(*store_strerror)(int err);	/* errno of a failed call */

	/*
	 * Maps (pg.map, DESIGN section 10), added with the store: check
	 * PG_SIZE_HAS(host, struct pg_host, map_match). map_open: the
	 * process's map of path (absolute; an option named *_file is made
	 * absolute by the host) and kind ("cidr", "domain", "set", "regex"),
	 * shared with scripts, reloaded when the file changes; NULL with
	 * "FILE:LINE: reason" in err. Call it from init(); the map lives as
	 * long as the process. map_match: 1 with the matching line's value
	 * in val ("" when it has none), 0 when none matches, -1 on error.
	 */
	struct pg_map	*(*map_open)(const char *path, const char *kind,
			    char *err, size_t errlen);
	int		 (*map_match)(struct pg_map *, const char *key,
			    size_t klen, char *val, size_t vsize);

	/*
	 * The links at once, added after the maps: check PG_SIZE_HAS(host,
	 * struct pg_host, tx_urls). *n of them, the same tx_url_count() and
	 * tx_url_str() give one field at a time; the array and its strings
	 * stay valid until the transaction ends (a changed body makes a new
	 * array, the old one stays readable).
	 */
	const struct pg_url *(*tx_urls)(struct pg_tx *, size_t *n);

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

	/*
	 * Optional (added in ABI 1 after the first release; the host reads
	 * it only when size covers it). The phases this instance uses, a
	 * mask of PG_PHASE_* bits, asked once right after a successful
	 * init() and fixed for the instance's life. NULL: derived from the
	 * non-NULL callbacks, plus PG_PHASE_BODY when flags has
	 * PG_PLUGIN_F_BODY. The host never calls a callback whose bit is
	 * clear, and ignores bits of NULL callbacks; with phases(), the
	 * PG_PHASE_BODY bit replaces PG_PLUGIN_F_BODY for this instance.
	 */
	uint32_t	(*phases)(void *state);

	/*
	 * New members go here. They are optional (see PG_SIZE_HAS());
	 * PG_PLUGIN_ABI goes up only when an existing member changes meaning.
	 */
};

/* The size of the first ABI 1 descriptor, without phases: the smallest the host loads. */
#define PG_PLUGIN_SIZE_MIN	offsetof(struct pg_plugin, phases)

/* pg_plugin.flags */
#define PG_PLUGIN_F_BODY	0x0001	/* reads the body at end of data */
#define PG_PLUGIN_F_CHANGES	0x0002	/* may change the message or envelope */

/* pg_plugin.phases(): one bit per phase, and one for reading the body */
#define PG_PHASE_CONNECT	0x0001
#define PG_PHASE_HELO		0x0002
#define PG_PHASE_MAIL		0x0004
#define PG_PHASE_RCPT		0x0008
#define PG_PHASE_DATA		0x0010
#define PG_PHASE_HEADER		0x0020	/* once per header field */
#define PG_PHASE_EOH		0x0040
#define PG_PHASE_EOM		0x0080
#define PG_PHASE_CLOSE		0x0100
#define PG_PHASE_BODY		0x0200	/* reads the body at eom (with PG_PHASE_EOM) */
#define PG_PHASE_ALL		0x03ff

extern const struct pg_plugin phasegate_plugin;

#ifdef __cplusplus
}
#endif

#endif /* PHASEGATE_PLUGIN_H */
