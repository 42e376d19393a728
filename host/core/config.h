/*
 * config - load the Lua configuration file (DESIGN section 2)
 *
 * The file is Lua, run in an empty environment (no io, os, require, load,
 * dofile: only the string, table and math libraries' pure functions are
 * there), with an instruction limit so a loop cannot hang the loader. It
 * either sets globals (milter = {...}) or returns a table. Unknown keys,
 * wrong types and bad values are errors that name the file and the line;
 * config_load() writes "FILE:LINE: message" into err.
 *
 * Sizes take "50M", "512k", a number of bytes; durations "5m", "200ms",
 * "30s", a number of seconds (units.h).
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <phasegate/plugin.h>

enum config_bare_nl {
	CONFIG_BARE_NL_REJECT = 0,	/* 550 5.5.2, as smtpd_forbid_bare_newline = reject */
	CONFIG_BARE_NL_NORMALIZE	/* treat bare LF as CRLF */
};

/* a unix socket's mode and group (milter, smtp[]): config_listen.c */
struct config_sock {
	unsigned	 mode;			/* socket_mode = "0660"; 0: as created */
	char		*group;			/* socket_group = "postfix"; NULL: as created */
	int		 line;			/* of socket_group */
};
#define CONFIG_XCLIENT_REQUIRED	2	/* xclient = "required" */

struct netlist;

struct config_smtp {
	char		*listen;		/* "127.0.0.1:10025", "[::1]:25" */
	char		*upstream;		/* "127.0.0.1:10026" */
	int		 xclient;		/* 0, 1 or CONFIG_XCLIENT_REQUIRED */
	int		 received;		/* add our Received: line; default 1 */
	uint64_t	 max_message_size;	/* default 50M; 0: no limit */
	unsigned	 max_recipients;	/* default 1000 */
	unsigned	 max_hops;		/* default 50 */
	unsigned	 max_sessions;		/* default 1000 */
	unsigned	 max_sessions_per_client; /* default 50; 0: no limit */
	unsigned	 hard_error_limit;	/* default 20; 0: no limit */
	unsigned	 junk_command_limit;	/* default 100; 0: no limit */
	enum config_bare_nl bare_newline;	/* default reject */
	int		 line;			/* where the entry starts */
	struct config_sock sock;		/* a unix listen socket's mode, group */
	char		*hostname;		/* greeting, Received:, replies; NULL: gethostname() */
	/* the real client's identity (config_ident.c, DESIGN section 11) */
	struct netlist	*xforward_from;		/* NULL: nobody's XFORWARD is taken */
	int		 proxy_protocol;	/* a PROXY header comes first */
	struct netlist	*proxy_from;		/* who may send one */
	int		 upstream_proxy_protocol; /* 0 none, 1 v1, 2 v2 */
	/* TLS and AUTH (config_tls.c, DESIGN section 11) */
	char		*tls_cert, *tls_key;	/* tls = { cert, key }; NULL: no STARTTLS */
	char		*tls_ciphers;		/* tls.ciphers; NULL: OpenSSL's default */
	char		**tls_sni_cert, **tls_sni_key;	/* tls.sni: more, chosen by SNI */
	size_t		 ntls_sni;
	int		 tls_line;		/* of tls */
	int		 implicit_tls;		/* TLS from the first byte (465) */
	int		 upstream_tls;		/* CONFIG_UPTLS_* */
	char		*upstream_ca;		/* verify: CA file; NULL: the system's */
	char		*upstream_name;		/* verify: the name; NULL: the upstream's host */
	int		 auth;			/* relay AUTH (over TLS) */
	int		 auth_loopback;		/* AUTH in plaintext to loopback clients too */
};
/* upstream_tls */
#define CONFIG_UPTLS_NONE	0
#define CONFIG_UPTLS_MAY	1
#define CONFIG_UPTLS_ENCRYPT	2
#define CONFIG_UPTLS_VERIFY	3

struct config_opt {
	char		*key;
	char		*value;		/* numbers and booleans as text */
};

struct config_filter {
	char		*plugin;	/* shipped name ("regex") or .so path; NULL for a script */
	char		*script;	/* Lua script path; NULL for a plugin */
	enum pg_verdict	 on_error;	/* PG_TEMPFAIL, PG_ACCEPT or PG_REJECT */
	int		 line;
	char		*where;		/* "file:line" */
	struct config_opt *opts;	/* every other key, in file order */
	size_t		 nopts;
};

struct config {
	char		*file;
	char		*dir;			/* directory of file: relative paths start here */
	char		*milter_listen;		/* NULL: no milter front end */
	struct config_sock milter_sock;		/* its socket's mode and group */
	struct config_smtp *smtp;
	size_t		 nsmtp;
	struct config_filter *filters;
	size_t		 nfilters;
	int		 has_actions;
	double		 act_add_header;	/* NAN when not set */
	double		 act_tempfail;
	double		 act_reject;
	enum pg_verdict	 on_error;		/* default PG_TEMPFAIL */
	uint64_t	 timeout_command_ms;	/* default 1m: one whole command line */
	uint64_t	 timeout_data_ms;	/* default 10m: the whole DATA phase */
	uint64_t	 data_rate_min;		/* timeouts.data_rate_min, bytes/s; default 500; 0: none */
	uint64_t	 timeout_idle_ms;	/* default 5m: between commands */
	uint64_t	 timeout_upstream_ms;	/* default 5m */
	uint64_t	 timeout_script_ms;	/* default 200ms */
	uint64_t	 timeout_lookups_ms;	/* default 5s: parked in lookups per handler call */
	uint64_t	 spool_memory_max;	/* default 1M */
	char		*spool_dir;		/* default "/var/spool/phasegate", else $TMPDIR or /tmp if absent */
	char		*user;			/* NULL: stay who we are */
	int		 log_syslog;		/* log = "syslog" */
	uint64_t	 lua_memory_max;	/* lua = { memory_max = "64M" }, per interpreter */
	uint64_t	 store_memory_max;	/* store = { memory_max = "64M" }: pg.store */
	char		*store_redis;		/* store.redis: NULL in-process */
	char		*store_prefix;		/* store.prefix: NULL none */
	char		*store_password;	/* store.password: NULL no AUTH */
	int		 store_db;		/* store.db: default 0 */
	uint64_t	 store_timeout_ms;	/* store.timeout: default 200ms */
	unsigned	 store_pool;		/* store.pool: default 16 connections */
	char		*lua_path;		/* lua = { path = "dir;dir" }: where require() looks */
	char		**dns_servers;		/* dns.servers: "ip", "ip:port", "[ip6]:port"; NULL: resolv.conf */
	size_t		 ndns_servers;
	uint64_t	 dns_timeout_ms;	/* dns.timeout, per try; default 2s */
	unsigned	 dns_attempts;		/* dns.attempts, tries per server; default 2 */
	/* mime = { ... }: limits of the message content rules see (content.h) */
	unsigned	 mime_max_parts;	/* default 1000 */
	unsigned	 mime_max_depth;	/* default 20, at most 100 */
	uint64_t	 mime_max_header;	/* a part's header, default 64K */
	uint64_t	 mime_max_decoded;	/* a part decoded, default 10M */
	uint64_t	 mime_max_text;		/* tx:text(), a part's text, default 1M */
	unsigned	 mime_max_urls;		/* default 1000 */
	unsigned	 mime_max_archive_members;	/* default 1000 */
	/* config_stats.c: log, log_level, stats */
	char		*log_file;		/* log = "/path"; NULL: stderr or syslog */
	int		 log_level;		/* log_level; LOG_LEVEL_* (log.h), default info */
	char		*stats_listen;		/* stats = { listen = ... }; NULL: none */
};

/*
 * config_load - parse file; NULL on error with "file:line: reason" in err
 * ("file: out of memory" when memory runs out: never an exit, so that a
 * SIGHUP reload can fail and keep the running configuration).
 */
struct config	*config_load(const char *file, char *err, size_t errlen);
/* config_load_string - the same from memory; name is used in messages. */
struct config	*config_load_string(const char *name, const char *text,
		    char *err, size_t errlen);
void		 config_free(struct config *);
/*
 * config_path - resolve a path from the file relative to its directory;
 * pg_malloc'd, NULL when p is NULL or memory runs out.
 */
char		*config_path(const struct config *, const char *);

#endif /* CONFIG_H */
