/*
 * host_api - the services table handed to plugins (struct pg_host) and the
 * options of a filter's configuration entry (struct pg_options)
 *
 * Public: host_api(), host_options_new(), host_options_add(),
 * host_options_free(), host_set_error(), host_slots_clear().
 * Lookups (dns_query, dnsbl_query) park the session in lookup.c; the time
 * parked counts against timeouts.lookups per filter call, kept in the
 * session (session_lookup_ms()), and the resolver follows the session's
 * configuration (its dns section).
 * Trust: arguments come from plugins and scripts. Every function checks
 * for NULL and bad values and fails with -1 and a reason in last_error()
 * (thread-local) rather than crash. Change functions record into the
 * transaction's msg with the calling filter's name, which comes from the
 * session's struct host_frame (the engine's; read here, never changed but
 * for the data slots). A data slot is reachable only while the engine
 * calls a filter: outside a call the getters give NULL and the setters do
 * nothing.
 * Options are built on every (re)load of the chain: they allocate with
 * pg_*() and fail with NULL or -1 when memory runs out, never exit.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "fiber.h"
#include "content.h"
#include "host_api.h"
#include "log.h"
#include "lookup.h"
#include "metrics.h"
#include "msg.h"
#include "store.h"
#include "session.h"
#include "tx.h"
#include "map.h"		/* host/lib: pg.map for plugins */
#include "xmalloc.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

struct pg_options {
	char	**keys;
	char	**values;
	size_t	  n;
	size_t	  cap;
	char	 *where;
};

static __thread char last_err[512];

void
host_set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_err, sizeof(last_err), fmt, ap);
	va_end(ap);
}

static const char *
h_last_error(void)
{
	return last_err;
}

void
host_slots_clear(struct host_slot *sl, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (sl[i].free_fn != NULL && sl[i].data != NULL)
			sl[i].free_fn(sl[i].data);
		sl[i].data = NULL;
		sl[i].free_fn = NULL;
	}
}

/* frame - the engine's frame of a session, or NULL */
static struct host_frame *
frame(struct pg_session *s)
{
	return s != NULL ? session_engine(s) : NULL;
}

/* current_filter - name of the filter the session is calling, or "-" */
static const char *
current_filter(struct pg_session *s)
{
	struct host_frame *fr = frame(s);

	if (fr == NULL || fr->filter < 0 || fr->name == NULL)
		return "-";
	return fr->name;
}

/* slot - the calling filter's session (tx 0) or transaction slot, or NULL */
static struct host_slot *
slot(struct pg_session *s, int tx)
{
	struct host_frame *fr = frame(s);

	if (fr == NULL || fr->filter < 0 || (size_t)fr->filter >= fr->n)
		return NULL;
	return tx ? &fr->tx_slots[fr->filter] : &fr->session_slots[fr->filter];
}

/* slot_set - keep data in a slot, freeing what a different pointer held */
static void
slot_set(struct host_slot *sl, void *data, void (*free_fn)(void *))
{
	if (sl == NULL)
		return;
	if (sl->free_fn != NULL && sl->data != NULL && sl->data != data)
		sl->free_fn(sl->data);
	sl->data = data;
	sl->free_fn = free_fn;
}

static void h_log(struct pg_session *, enum pg_log_level, const char *, ...)
    __attribute__((__format__(__printf__, 3, 4)));

static void
h_log(struct pg_session *s, enum pg_log_level level, const char *fmt, ...)
{
	char buf[2048], esc[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_escape(esc, sizeof(esc), buf, strlen(buf));
	if (s != NULL)
		log_msg_level((int)level, "session %s: filter %s: %s",
		    session_str(s, PG_S_ID), current_filter(s), esc);
	else
		log_msg_level((int)level, "%s", esc);
}

/* options */

struct pg_options *
host_options_new(const struct config_filter *cf)
{
	struct pg_options *o;

	if ((o = pg_calloc(1, sizeof(*o))) == NULL)
		return NULL;
	if ((o->where = pg_strdup(cf && cf->where ? cf->where : "-")) == NULL) {
		free(o);
		return NULL;
	}
	return o;
}

int
host_options_add(struct pg_options *o, const char *key, const char *value)
{
	char **nk, **nv, *k, *v;

	if (o->n == o->cap) {
		size_t ncap = o->cap ? o->cap * 2 : 8;

		if ((nk = pg_realloc(o->keys, ncap * sizeof(*nk))) == NULL)
			return -1;
		o->keys = nk;
		if ((nv = pg_realloc(o->values, ncap * sizeof(*nv))) == NULL)
			return -1;	/* keys has room to spare: harmless */
		o->values = nv;
		o->cap = ncap;
	}
	if ((k = pg_strdup(key)) == NULL ||
	    (v = pg_strdup(value ? value : "")) == NULL) {
		free(k);
		return -1;
	}
	o->keys[o->n] = k;
	o->values[o->n++] = v;
	return 0;
}

void
host_options_free(struct pg_options *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->n; i++) {
		free(o->keys[i]);
		free(o->values[i]);
	}
	free(o->keys);
	free(o->values);
	free(o->where);
	free(o);
}

static const char *
h_opt_get(const struct pg_options *o, const char *key)
{
	size_t i;

	if (o == NULL || key == NULL)
		return NULL;
	for (i = o->n; i-- > 0; )	/* the last one wins */
		if (strcmp(o->keys[i], key) == 0)
			return o->values[i];
	return NULL;
}

static size_t
h_opt_count(const struct pg_options *o)
{
	return o ? o->n : 0;
}

static const char *
h_opt_key(const struct pg_options *o, size_t i)
{
	return o && i < o->n ? o->keys[i] : NULL;
}

static const char *
h_opt_value(const struct pg_options *o, size_t i)
{
	return o && i < o->n ? o->values[i] : NULL;
}

static const char *
h_opt_where(const struct pg_options *o)
{
	return o ? o->where : "-";
}

/* session */

static const char *
h_session_str(struct pg_session *s, enum pg_session_str f)
{
	return s ? session_str(s, f) : NULL;
}

static const struct pg_tls *
h_session_tls(struct pg_session *s)
{
	return s ? session_tls(s) : NULL;
}

static int
h_session_client_port(struct pg_session *s)
{
	return s ? session_client_port(s) : 0;
}

static const char *
h_session_macro(struct pg_session *s, const char *name)
{
	return s ? session_macro(s, name) : NULL;
}

static void *
h_session_data_get(struct pg_session *s)
{
	struct host_slot *sl = slot(s, 0);

	return sl ? sl->data : NULL;
}

static void
h_session_data_set(struct pg_session *s, void *d, void (*fn)(void *))
{
	slot_set(slot(s, 0), d, fn);
}

/* transaction: envelope */

static struct pg_session *
h_tx_session(struct pg_tx *tx)
{
	return tx ? tx_session(tx) : NULL;
}

static const char *
h_tx_id(struct pg_tx *tx)
{
	return tx ? tx_id(tx) : NULL;
}

static const char *
h_tx_sender(struct pg_tx *tx)
{
	return tx ? tx_sender(tx) : NULL;
}

static size_t
h_tx_rcpt_count(struct pg_tx *tx)
{
	return tx ? tx_rcpt_count(tx) : 0;
}

static const char *
h_tx_rcpt(struct pg_tx *tx, size_t i)
{
	return tx ? tx_rcpt(tx, i) : NULL;
}

static void *
h_tx_data_get(struct pg_tx *tx)
{
	struct host_slot *sl = tx ? slot(tx_session(tx), 1) : NULL;

	return sl ? sl->data : NULL;
}

static void
h_tx_data_set(struct pg_tx *tx, void *d, void (*fn)(void *))
{
	if (tx != NULL)
		slot_set(slot(tx_session(tx), 1), d, fn);
}

/* transaction: message */

static size_t
h_tx_header_count(struct pg_tx *tx)
{
	return tx ? msg_header_count(tx_msg(tx)) : 0;
}

static int
h_tx_header_at(struct pg_tx *tx, size_t i, const char **name,
    const char **value)
{
	const char *raw;

	if (tx == NULL || msg_header_at(tx_msg(tx), i, name, value, &raw) == -1) {
		host_set_error("no header field %zu", i);
		return -1;
	}
	return 0;
}

static const char *
h_tx_header(struct pg_tx *tx, const char *name, size_t n)
{
	return tx && name ? msg_header(tx_msg(tx), name, n ? n : 1) : NULL;
}

static const char *
h_tx_header_raw(struct pg_tx *tx, const char *name, size_t n)
{
	return tx && name ? msg_header_raw(tx_msg(tx), name, n ? n : 1) : NULL;
}

static off_t
h_tx_size(struct pg_tx *tx)
{
	return tx ? msg_size(tx_msg(tx)) : 0;
}

static off_t
h_tx_body_size(struct pg_tx *tx)
{
	return tx ? msg_body_size(tx_msg(tx)) : 0;
}

static ssize_t
h_tx_body_read(struct pg_tx *tx, off_t off, void *buf, size_t len)
{
	if (tx == NULL || buf == NULL || off < 0) {
		host_set_error("bad arguments to tx_body_read");
		errno = EINVAL;
		return -1;
	}
	return msg_body_read(tx_msg(tx), off, buf, len);
}

/* transaction: changes */

/* change - validate and record one change by the calling filter */
static int
change(struct pg_tx *tx, enum msg_change_kind kind, const char *name,
    size_t index, const char *value, const char *addr)
{
	const char *what = msg_change_name(kind);
	struct msg_change ch;
	char bare[1024];

	if (tx == NULL) {
		host_set_error("%s: no transaction", what);
		return -1;
	}
	memset(&ch, 0, sizeof(ch));
	ch.kind = kind;
	ch.name = name;
	ch.index = index;
	ch.value = value;
	ch.filter = current_filter(tx_session(tx));
	if (addr != NULL) {
		if (tx_addr_strip(addr, bare, sizeof(bare)) == -1 ||
		    (bare[0] == '\0' && kind != MSG_CHANGE_SENDER)) {
			host_set_error("%s: not an address: \"%.200s\"",
			    what, addr);
			return -1;
		}
		ch.addr = bare;
	}
	if ((kind <= MSG_DELETE_HEADER && name == NULL) ||
	    ((kind == MSG_ADD_HEADER || kind == MSG_INSERT_HEADER) &&
	    value == NULL) || (kind == MSG_QUARANTINE && value == NULL)) {
		host_set_error("%s: missing argument", what);
		return -1;
	}
	if (msg_change_add(tx_msg(tx), &ch) == -1) {
		if (errno == EINVAL)
			host_set_error("%s: bad header name or value", what);
		else if (errno == E2BIG)
			host_set_error("%s: too many changes to one message "
			    "(at most %d, %d bytes of text)", what,
			    MSG_CHANGES_MAX, MSG_CHANGE_BYTES_MAX);
		else
			host_set_error("%s: %s", what, strerror(errno));
		return -1;
	}
	return 0;
}

static int
h_tx_add_header(struct pg_tx *tx, const char *name, const char *value)
{
	return change(tx, MSG_ADD_HEADER, name, 0, value, NULL);
}

static int
h_tx_insert_header(struct pg_tx *tx, size_t pos, const char *name,
    const char *value)
{
	return change(tx, MSG_INSERT_HEADER, name, pos, value, NULL);
}

static int
h_tx_change_header(struct pg_tx *tx, const char *name, size_t n,
    const char *value)
{
	if (value == NULL)
		return change(tx, MSG_DELETE_HEADER, name, n ? n : 1, NULL, NULL);
	return change(tx, MSG_CHANGE_HEADER, name, n ? n : 1, value, NULL);
}

static int
h_tx_delete_header(struct pg_tx *tx, const char *name, size_t n)
{
	return change(tx, MSG_DELETE_HEADER, name, n ? n : 1, NULL, NULL);
}

static int
h_tx_add_rcpt(struct pg_tx *tx, const char *addr)
{
	if (addr == NULL) {
		host_set_error("add_rcpt: missing address");
		return -1;
	}
	return change(tx, MSG_ADD_RCPT, NULL, 0, NULL, addr);
}

static int
h_tx_del_rcpt(struct pg_tx *tx, const char *addr)
{
	if (addr == NULL) {
		host_set_error("del_rcpt: missing address");
		return -1;
	}
	return change(tx, MSG_DEL_RCPT, NULL, 0, NULL, addr);
}

static int
h_tx_change_sender(struct pg_tx *tx, const char *addr, const char *args)
{
	if (addr == NULL) {
		host_set_error("change_sender: missing address");
		return -1;
	}
	if (args != NULL && strpbrk(args, "\r\n") != NULL) {
		host_set_error("change_sender: line end in ESMTP arguments");
		return -1;
	}
	return change(tx, MSG_CHANGE_SENDER, NULL, 0, args, addr);
}

static int
h_tx_replace_body(struct pg_tx *tx, const void *body, size_t len)
{
	if (tx == NULL || (body == NULL && len > 0)) {
		host_set_error("replace_body: bad arguments");
		return -1;
	}
	if (msg_replace_body(tx_msg(tx), body ? body : "", len,
	    current_filter(tx_session(tx))) == -1) {
		host_set_error("replace_body: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
h_tx_quarantine(struct pg_tx *tx, const char *reason)
{
	if (reason != NULL && strpbrk(reason, "\r\n") != NULL) {
		host_set_error("quarantine: line end in the reason");
		return -1;
	}
	return change(tx, MSG_QUARANTINE, NULL, 0, reason ? reason : "", NULL);
}

static int
h_tx_score(struct pg_tx *tx, double points, const char *symbol,
    const char *detail)
{
	if (tx == NULL) {
		host_set_error("score: no transaction");
		return -1;
	}
	if (tx_score_add(tx, points, symbol, detail,
	    current_filter(tx_session(tx))) == -1) {
		host_set_error("score: bad symbol or points (symbols are "
		    "letters, digits, '_', '-', '.'; points finite)");
		return -1;
	}
	return 0;
}

static double
h_tx_score_total(struct pg_tx *tx)
{
	return tx ? tx_score_total(tx) : 0;
}

/*
 * maps: struct pg_map is host/lib's struct map
 */
static struct pg_map *
h_map_open(const char *path, const char *kind, char *err, size_t errlen)
{
	enum map_kind k;

	if (path == NULL || kind == NULL || map_kind_parse(kind, &k) == -1) {
		snprintf(err, errlen, "unknown map kind '%s' (cidr, domain,"
		    " set or regex)", kind ? kind : "(null)");
		return NULL;
	}
	return (struct pg_map *)map_open(path, k, err, errlen);
}

static int
h_map_match(struct pg_map *m, const char *key, size_t klen, char *val,
    size_t vsize)
{
	if (m == NULL || key == NULL)
		return -1;
	return map_lookup((struct map *)m, key, klen, val, vsize);
}

/* lookups: defined at the end of the file */
static int	 h_dns_query(struct pg_session *, struct pg_dns_query *, size_t);
static void	 h_dns_release(struct pg_dns_query *, size_t);
static int	 h_dnsbl_query(struct pg_session *, const char *,
		    struct pg_dnsbl_zone *, size_t);
static void	 h_dnsbl_release(struct pg_dnsbl_zone *, size_t);
static const char *h_dns_strerror(int);
/* message content (content.c) */

/* content - the tx's content, or NULL (a bad tx, or out of memory) */
static struct content *
content(struct pg_tx *tx)
{
	struct content *c;

	if (tx == NULL) {
		host_set_error("no transaction");
		return NULL;
	}
	if ((c = content_get(tx)) == NULL)
		host_set_error("out of memory");
	return c;
}

static size_t
h_tx_part_count(struct pg_tx *tx)
{
	struct content *c = content(tx);

	return c != NULL ? content_part_count(c) : 0;
}

static const char *
h_tx_part_str(struct pg_tx *tx, size_t i, enum pg_part_str w)
{
	struct content *c = content(tx);

	return c != NULL ? content_part_str(c, i, w) : NULL;
}

static off_t
h_tx_part_size(struct pg_tx *tx, size_t i)
{
	struct content *c = content(tx);

	return c != NULL ? content_part_size(c, i) : -1;
}

static const char *
h_tx_part_content(struct pg_tx *tx, size_t i, size_t *len)
{
	struct content *c = content(tx);
	size_t n = 0;
	const char *r = c != NULL ? content_part_content(c, i, &n) : NULL;

	if (len != NULL)
		*len = n;
	return r;
}

static const char *
h_tx_part_text(struct pg_tx *tx, size_t i, size_t *len)
{
	struct content *c = content(tx);
	size_t n = 0;
	const char *r = c != NULL ? content_part_text(c, i, &n) : NULL;

	if (len != NULL)
		*len = n;
	return r;
}

static const char *
h_tx_part_header(struct pg_tx *tx, size_t i, const char *name)
{
	struct content *c = content(tx);

	return c != NULL && name != NULL ? content_part_header(c, i, name) :
	    NULL;
}

static int
h_tx_part_archive(struct pg_tx *tx, size_t i, size_t j, const char **name,
    off_t *size, int *encrypted)
{
	struct content *c = content(tx);
	const char *n;
	off_t sz;
	int enc, r;

	if (c == NULL)
		return -1;
	if ((r = content_part_archive(c, i, j, &n, &sz, &enc)) == 1) {
		if (name != NULL)
			*name = n;
		if (size != NULL)
			*size = sz;
		if (encrypted != NULL)
			*encrypted = enc;
	}
	return r;
}

static const char *
h_tx_text(struct pg_tx *tx, size_t *len)
{
	struct content *c = content(tx);
	size_t n = 0;
	const char *r = c != NULL ? content_text(c, &n) : NULL;

	if (len != NULL)
		*len = n;
	return r;
}

static const char *
h_tx_header_decoded(struct pg_tx *tx, const char *name, size_t n)
{
	struct content *c = content(tx);

	if (c == NULL || name == NULL || n == 0)
		return NULL;
	return content_header(c, name, n);
}

static size_t
h_tx_from_count(struct pg_tx *tx)
{
	struct content *c = content(tx);

	return c != NULL ? content_from_count(c) : 0;
}

static int
h_tx_from_at(struct pg_tx *tx, size_t i, const char **name, const char **addr)
{
	struct content *c = content(tx);
	const char *n, *a;

	if (c == NULL || content_from_at(c, i, &n, &a) == -1)
		return -1;
	if (name != NULL)
		*name = n;
	if (addr != NULL)
		*addr = a;
	return 0;
}

static size_t
h_tx_url_count(struct pg_tx *tx)
{
	struct content *c = content(tx);

	return c != NULL ? content_url_count(c) : 0;
}

static const char *
h_tx_url_str(struct pg_tx *tx, size_t i, enum pg_url_str w)
{
	struct content *c = content(tx);

	return c != NULL ? content_url_str(c, i, w) : NULL;
}

static const struct pg_url *
h_tx_urls(struct pg_tx *tx, size_t *n)
{
	struct content *c = content(tx);

	*n = 0;
	return c != NULL ? content_urls(c, n) : NULL;
}

static int
h_tx_url_part(struct pg_tx *tx, size_t i)
{
	struct content *c = content(tx);

	return c != NULL ? content_url_part(c, i) : -1;
}

static const struct pg_host host = {
	.abi = PG_PLUGIN_ABI,
	.size = sizeof(struct pg_host),
	.version = PACKAGE_VERSION,
	.log = h_log,
	.last_error = h_last_error,
	.opt_get = h_opt_get,
	.opt_count = h_opt_count,
	.opt_key = h_opt_key,
	.opt_value = h_opt_value,
	.opt_where = h_opt_where,
	.session_str = h_session_str,
	.session_client_port = h_session_client_port,
	.session_macro = h_session_macro,
	.session_data_get = h_session_data_get,
	.session_data_set = h_session_data_set,
	.tx_session = h_tx_session,
	.tx_id = h_tx_id,
	.tx_sender = h_tx_sender,
	.tx_rcpt_count = h_tx_rcpt_count,
	.tx_rcpt = h_tx_rcpt,
	.tx_data_get = h_tx_data_get,
	.tx_data_set = h_tx_data_set,
	.tx_header_count = h_tx_header_count,
	.tx_header_at = h_tx_header_at,
	.tx_header = h_tx_header,
	.tx_header_raw = h_tx_header_raw,
	.tx_size = h_tx_size,
	.tx_body_size = h_tx_body_size,
	.tx_body_read = h_tx_body_read,
	.tx_add_header = h_tx_add_header,
	.tx_insert_header = h_tx_insert_header,
	.tx_change_header = h_tx_change_header,
	.tx_delete_header = h_tx_delete_header,
	.tx_add_rcpt = h_tx_add_rcpt,
	.tx_del_rcpt = h_tx_del_rcpt,
	.tx_change_sender = h_tx_change_sender,
	.tx_replace_body = h_tx_replace_body,
	.tx_quarantine = h_tx_quarantine,
	.tx_score = h_tx_score,
	.tx_score_total = h_tx_score_total,
	.dns_query = h_dns_query,
	.dns_release = h_dns_release,
	.dnsbl_query = h_dnsbl_query,
	.dnsbl_release = h_dnsbl_release,
	.dns_strerror = h_dns_strerror,
	.tx_part_count = h_tx_part_count,
	.tx_part_str = h_tx_part_str,
	.tx_part_size = h_tx_part_size,
	.tx_part_content = h_tx_part_content,
	.tx_part_text = h_tx_part_text,
	.tx_part_header = h_tx_part_header,
	.tx_part_archive = h_tx_part_archive,
	.tx_text = h_tx_text,
	.tx_header_decoded = h_tx_header_decoded,
	.tx_from_count = h_tx_from_count,
	.tx_from_at = h_tx_from_at,
	.tx_url_count = h_tx_url_count,
	.tx_url_str = h_tx_url_str,
	.tx_url_part = h_tx_url_part,
	/* pg.store (store.c) */
	.store_incr = store_incr,
	.store_get = store_get,
	.store_set = store_set,
	.store_delete = store_delete,
	.store_strerror = store_strerror,
	.session_tls = h_session_tls,
	/* maps (host/lib/map.c) */
	.map_open = h_map_open,
	.map_match = h_map_match,
	.tx_urls = h_tx_urls,
};

const struct pg_host *
host_api(void)
{
	return &host;
}

/* --- lookups --- */

#define HOST_LOOKUPS_MS	5000	/* the budget outside a session (init) */

static host_trace_fn trace_fn;
static void *trace_ctx;

void
host_api_set_trace(host_trace_fn fn, void *ctx)
{
	trace_fn = fn;
	trace_ctx = ctx;
}

/*
 * lookup_begin - the dns section of s's configuration into lc (NULL
 * without a session: the resolver used last), and the deadline for a
 * lookup of s now: what is left of the filter call's timeouts.lookups
 * (now itself when it is spent: the cache only)
 */
static const struct lookup_conf *
lookup_begin(struct pg_session *s, uint64_t now, struct lookup_conf *lc,
    uint64_t *deadline)
{
	const struct host_frame *fr = frame(s);
	const struct config *c;
	uint64_t budget = HOST_LOOKUPS_MS, spent = 0;

	*deadline = now + budget;
	if (fr == NULL || (c = fr->cfg) == NULL)
		return NULL;
	memset(lc, 0, sizeof(*lc));
	lc->servers = (const char *const *)c->dns_servers;
	lc->nservers = c->ndns_servers;
	lc->timeout_ms = (unsigned)c->dns_timeout_ms;
	lc->attempts = c->dns_attempts;
	budget = c->timeout_lookups_ms;
	spent = session_lookup_ms(s);
	*deadline = spent >= budget ? now : now + (budget - spent);
	return lc;
}

/*
 * lookup_end - count the time parked since t0 against s's budget, and n
 * lookups for the transaction's summary (msglog.h)
 */
static void
lookup_end(struct pg_session *s, uint64_t t0, size_t n)
{
	struct host_frame *fr = frame(s);
	uint64_t ms = clock_ms() - t0;

	if (s != NULL)
		session_lookup_add(s, ms);
	if (fr != NULL) {
		fr->tx_lookups += (unsigned)n;
		fr->tx_lookup_ms += ms;
	}
}

static int
h_dns_query(struct pg_session *s, struct pg_dns_query *q, size_t n)
{
	const struct lookup_conf *c;
	struct lookup_conf lc;
	uint64_t t0 = clock_ms(), deadline;
	size_t i;

	if ((q == NULL && n > 0) || n > PG_DNS_MAX) {
		host_set_error("dns_query: %s", q == NULL ? "no queries" :
		    "too many queries at once");
		return -1;
	}
	c = lookup_begin(s, t0, &lc, &deadline);
	(void)lookup_dns(c, q, n, deadline);
	lookup_end(s, t0, n);
	for (i = 0; i < n; i++) {
		metrics_count(METRICS_LOOKUP, "dns", lookup_strerror(q[i].status),
		    1);
		if (trace_fn != NULL)
			trace_fn(trace_ctx, current_filter(s), &q[i], NULL, NULL);
	}
	return 0;
}

static void
h_dns_release(struct pg_dns_query *q, size_t n)
{
	lookup_dns_release(q, n);
}

static int
h_dnsbl_query(struct pg_session *s, const char *subject,
    struct pg_dnsbl_zone *z, size_t n)
{
	const struct lookup_conf *c;
	struct lookup_conf lc;
	uint64_t t0 = clock_ms(), deadline;
	size_t i;

	if ((z == NULL && n > 0) || n > PG_DNS_MAX) {
		host_set_error("dnsbl_query: %s", z == NULL ? "no zones" :
		    "too many zones at once");
		return -1;
	}
	c = lookup_begin(s, t0, &lc, &deadline);
	(void)lookup_dnsbl(c, subject, z, n, deadline);
	lookup_end(s, t0, n);
	for (i = 0; i < n; i++) {
		metrics_count(METRICS_LOOKUP, "dnsbl",
		    lookup_strerror(z[i].status), 1);
		if (trace_fn != NULL)
			trace_fn(trace_ctx, current_filter(s), NULL, subject, &z[i]);
	}
	return 0;
}

static void
h_dnsbl_release(struct pg_dnsbl_zone *z, size_t n)
{
	lookup_dnsbl_release(z, n);
}

static const char *
h_dns_strerror(int status)
{
	return lookup_strerror(status);
}
