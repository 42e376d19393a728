/*
 * msg - the message model (see msg.h for the contract)
 *
 * Public: msg_limits_default(), msg_new(), msg_free(), msg_write(),
 * msg_write_end(), msg_add_field(), msg_end_header(), msg_body_write(),
 * msg_header_done(), msg_header_count(), msg_header_at(), msg_header(),
 * msg_header_raw(), msg_size(), msg_body_size(), msg_body_read(), msg_eol(),
 * msg_change_add(), msg_replace_body(), msg_change_name(), msg_change_count(),
 * msg_change_at(), msg_new_body_read(), msg_new_body_size(), msg_output().
 *
 * The raw stream goes through the hdr codec until the header ends; from
 * then on bytes go straight to the body spool. Each field is kept once, in
 * an arena owned by the msg: the bytes as received (for output and *_raw),
 * the name and the unfolded value (for filters). The separator (the empty
 * line, or nothing) is kept apart, so header + separator + body is exactly
 * the input.
 *
 * msg_add_field() (the milter) stores "name:value" plus msg_eol() as the
 * field's bytes. Past a limit (a field over field_max, more than count_max
 * fields, more than header_max bytes) the header ends for the model as it
 * does for the stream: that field and the ones after it are not kept, and
 * the call still succeeds (the MTA has the message; nothing is lost). A
 * field after msg_end_header() is EINVAL.
 *
 * Changes are validated and copied into the arena; msg_output() applies them
 * in order to a list of references to the received fields, so unchanged
 * fields are written from their received bytes. As a milter MTA does: an
 * insert past the end appends; changing an n-th field that does not exist
 * adds it at the end; deleting one that does not exist does nothing; a
 * changed field keeps its name's spelling (Sendmail). New and changed
 * fields are written "Name: value" and msg_eol(), line breaks inside the
 * value too. A new body on a message that had no empty line after the
 * header gets one, so it stays body.
 *
 * msg_output() needs the whole message: it fails with EINVAL before
 * msg_write_end() (or msg_end_header()), and with the stream's errno after a
 * failed msg_write().
 *
 * Input is untrusted; memory stays within the limits (the header in the
 * arena, the body in the spool). Failures of msg_write()/msg_write_end()
 * are sticky: the msg then refuses more bytes with the same errno.
 * Strings returned stay valid until msg_free().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "hdr.h"
#include "msg.h"
#include "spool.h"
#include "xmalloc.h"

struct field {
	const char	*name;		/* NUL-terminated */
	const char	*value;		/* unfolded, NUL-terminated */
	const char	*raw;		/* after the colon, NUL-terminated */
	const char	*full;		/* the field as received */
	size_t		 full_len;
	size_t		 raw_len;
};

struct msg {
	struct msg_limits lim;
	char		*spool_dir;
	struct hdr_parser *hp;
	struct arena	*arena;
	size_t		 header_bytes;
	struct field	*f;
	size_t		 nf;
	size_t		 af;
	const char	*sep;		/* the empty line ending the header, or "" */
	int		 header_done;
	int		 header_full;	/* msg_add_field(): a limit was reached */
	int		 eol_known;
	char		 last;		/* last byte seen while looking for the eol */
	const char	*eol;
	off_t		 size;
	struct spool	*body;
	struct spool	*nbody;		/* replaced body, or NULL */
	struct msg_change *ch;
	size_t		 nch;
	size_t		 ach;
	size_t		 ch_bytes;	/* text of the changes (MSG_CHANGE_BYTES_MAX) */
	int		 err;		/* sticky stream error */
	/* find(): where the last lookup ended, so n = 1, 2, 3 ... is linear */
	struct {
		size_t		 i;	/* f[i] is the n-th of its name */
		size_t		 n;	/* 0: no cursor */
	}		 cur;
};

void
msg_limits_default(struct msg_limits *l)
{
	l->memory_max = 1024 * 1024;
	l->spool_dir = "/tmp";
	l->field_max = 64 * 1024;
	l->header_max = 1024 * 1024;
	l->count_max = 10000;
	mime_limits_default(&l->mime);
	l->decoded_max = 10 * 1024 * 1024;
	l->text_max = 1024 * 1024;
	l->urls_max = 1000;
	l->archive_max = 1000;
}

struct msg *
msg_new(const struct msg_limits *lim)
{
	struct msg *m;

	if ((m = pg_calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if (lim != NULL)
		m->lim = *lim;
	else
		msg_limits_default(&m->lim);
	if (m->lim.spool_dir == NULL)
		m->lim.spool_dir = "/tmp";
	if ((m->spool_dir = pg_strdup(m->lim.spool_dir)) == NULL) {
		free(m);
		return NULL;
	}
	m->lim.spool_dir = m->spool_dir;
	m->sep = "";
	m->eol = "\r\n";
	if ((m->body = spool_new(m->lim.memory_max, m->spool_dir)) == NULL) {
		msg_free(m);
		errno = ENOMEM;
		return NULL;
	}
	return m;
}

void
msg_free(struct msg *m)
{
	if (m == NULL)
		return;
	hdr_parser_free(m->hp);
	arena_free(&m->arena);
	free(m->f);
	free(m->ch);
	spool_free(m->body);
	spool_free(m->nbody);
	free(m->spool_dir);
	free(m);
}

/* fail - remember a stream error */
static int
fail(struct msg *m)
{
	m->err = errno ? errno : EIO;
	errno = m->err;
	return -1;
}

/* note_eol - the line end of the first line decides msg_eol() */
static void
note_eol(struct msg *m, const char *p, size_t n)
{
	const char *nl;

	if (m->eol_known || n == 0)
		return;
	if ((nl = memchr(p, '\n', n)) == NULL) {
		m->last = p[n - 1];
		return;
	}
	m->eol = (nl > p ? nl[-1] : m->last) == '\r' ? "\r\n" : "\n";
	m->eol_known = 1;
}

/* field_slot - room for one more field */
static struct field *
field_slot(struct msg *m)
{
	struct field *nf;
	size_t na;

	if (m->nf == m->af) {
		na = m->af ? m->af * 2 : 32;
		if ((nf = pg_realloc(m->f, na * sizeof(*nf))) == NULL)
			return NULL;
		m->f = nf;
		m->af = na;
	}
	return &m->f[m->nf];
}

/* store_field - keep a field: bytes, name and unfolded value */
static int
store_field(struct msg *m, const char *full, size_t full_len, size_t name_len,
    size_t value_off)
{
	struct field *f;
	char *p;
	size_t raw_len = full_len - value_off;

	if ((f = field_slot(m)) == NULL)
		return -1;
	if ((p = arena_alloc(&m->arena, full_len + 1 + name_len + 1 + raw_len + 1)) == NULL)
		return -1;
	memcpy(p, full, full_len);
	p[full_len] = '\0';
	f->full = p;
	f->full_len = full_len;
	f->raw = p + value_off;
	f->raw_len = raw_len;
	p += full_len + 1;
	memcpy(p, full, name_len);
	p[name_len] = '\0';
	f->name = p;
	p += name_len + 1;
	hdr_unfold(p, f->raw, raw_len);
	f->value = p;
	m->nf++;
	m->header_bytes += full_len;
	return 0;
}

/* drain - take the codec's events */
static int
drain(struct msg *m)
{
	struct hdr_event ev;
	enum hdr_status st;
	int r = 0;

	while ((st = hdr_next(m->hp, &ev)) != HDR_MORE) {
		if (st == HDR_FIELD) {
			if (store_field(m, ev.raw, ev.raw_len, ev.name_len,
			    ev.value_off) == -1)
				return fail(m);
			continue;
		}
		if (st == HDR_ERR_NOMEM) {
			errno = ENOMEM;
			return fail(m);
		}
		/* HDR_END */
		if (ev.sep_len == 2)
			m->sep = "\r\n";
		else if (ev.sep_len == 1)
			m->sep = "\n";
		m->header_done = 1;
		if (ev.rest_len > 0 && spool_write(m->body, ev.rest, ev.rest_len) == -1)
			r = fail(m);
		hdr_parser_free(m->hp);
		m->hp = NULL;
		return r;
	}
	return 0;
}

/* parser - the codec, made on first use */
static int
parser(struct msg *m)
{
	struct hdr_limits hl;

	if (m->hp != NULL)
		return 0;
	hl.field_max = m->lim.field_max;
	hl.header_max = m->lim.header_max > m->header_bytes ?
	    m->lim.header_max - m->header_bytes : 0;
	hl.count_max = m->lim.count_max > m->nf ? m->lim.count_max - m->nf : 0;
	if ((m->hp = hdr_parser_new(&hl)) == NULL)
		return -1;
	return 0;
}

int
msg_write(struct msg *m, const void *data, size_t len)
{
	const char *p = data;
	size_t n;

	if (m->err) {
		errno = m->err;
		return -1;
	}
	if (len == 0)
		return 0;
	note_eol(m, p, len);
	m->size += (off_t)len;
	if (!m->header_done) {
		if (parser(m) == -1)
			return fail(m);
		while (len > 0 && !m->header_done) {
			n = hdr_push(m->hp, p, len);
			p += n;
			len -= n;
			if (drain(m) == -1)
				return -1;
			if (n == 0 && !m->header_done) {
				errno = EIO;	/* the codec broke its promise */
				return fail(m);
			}
		}
	}
	if (len > 0 && spool_write(m->body, p, len) == -1)
		return fail(m);
	return 0;
}

int
msg_write_end(struct msg *m)
{
	if (m->err) {
		errno = m->err;
		return -1;
	}
	if (m->header_done)
		return 0;
	if (m->hp == NULL) {
		/* nothing came in (or only fields apart): the header ends here */
		m->header_done = 1;
		return 0;
	}
	hdr_push_eof(m->hp);
	return drain(m);
}

int
msg_add_field(struct msg *m, const char *name, const char *value)
{
	size_t nlen, vlen, elen, full_len;
	char *buf;
	int r;

	if (name == NULL || value == NULL ||
	    !hdr_name_valid(name, (nlen = strlen(name)))) {
		errno = EINVAL;
		return -1;
	}
	if (m->header_done) {
		errno = EINVAL;
		return -1;
	}
	vlen = strlen(value);
	elen = strlen(m->eol);
	full_len = nlen + 1 + vlen + elen;
	m->size += (off_t)full_len;
	if (m->header_full || full_len > m->lim.field_max ||
	    m->nf >= m->lim.count_max ||
	    full_len > m->lim.header_max - m->header_bytes) {
		m->header_full = 1;	/* see the top of this file */
		return 0;
	}
	if ((buf = pg_malloc(full_len)) == NULL)
		return -1;
	memcpy(buf, name, nlen);
	buf[nlen] = ':';
	memcpy(buf + nlen + 1, value, vlen);
	memcpy(buf + nlen + 1 + vlen, m->eol, elen);
	r = store_field(m, buf, full_len, nlen, nlen + 1);
	free(buf);
	return r;
}

int
msg_end_header(struct msg *m)
{
	if (m->header_done)
		return 0;
	m->header_done = 1;
	m->sep = m->eol;
	m->size += (off_t)strlen(m->sep);
	return 0;
}

int
msg_body_write(struct msg *m, const void *data, size_t len)
{
	if (!m->header_done)
		msg_end_header(m);
	if (spool_write(m->body, data, len) == -1)
		return -1;
	m->size += (off_t)len;
	return 0;
}

int
msg_header_done(const struct msg *m)
{
	return m->header_done;
}

size_t
msg_header_count(const struct msg *m)
{
	return m->nf;
}

int
msg_header_at(const struct msg *m, size_t i, const char **name,
    const char **value, const char **raw)
{
	if (i >= m->nf) {
		errno = EINVAL;
		return -1;
	}
	if (name != NULL)
		*name = m->f[i].name;
	if (value != NULL)
		*value = m->f[i].value;
	if (raw != NULL)
		*raw = m->f[i].raw;
	return 0;
}

/*
 * find - the n-th field called name (n from 1; 0 counts as 1). Callers
 * count fields by asking for n = 1, 2, 3 ...: the lookup goes on from
 * where the last one ended when it can, so counting stays linear (a header
 * of 10,000 equal names must not cost 50 million comparisons). The cursor
 * is a cache in a const msg: a msg is used by one thread at a time.
 */
static const struct field *
find(const struct msg *m, const char *name, size_t n)
{
	struct msg *mm = (struct msg *)m;
	size_t i = 0, k = n == 0 ? 1 : n;

	if (name == NULL)
		return NULL;
	n = k;
	if (m->cur.n != 0 && k > m->cur.n &&
	    strcasecmp(m->f[m->cur.i].name, name) == 0) {
		i = m->cur.i + 1;
		k -= m->cur.n;
	}
	for (; i < m->nf; i++)
		if (strcasecmp(m->f[i].name, name) == 0 && --k == 0) {
			mm->cur.i = i;
			mm->cur.n = n;
			return &m->f[i];
		}
	return NULL;
}

const char *
msg_header(const struct msg *m, const char *name, size_t n)
{
	const struct field *f = find(m, name, n);

	return f != NULL ? f->value : NULL;
}

const char *
msg_header_raw(const struct msg *m, const char *name, size_t n)
{
	const struct field *f = find(m, name, n);

	return f != NULL ? f->raw : NULL;
}

off_t
msg_size(const struct msg *m)
{
	return m->size;
}

off_t
msg_body_size(const struct msg *m)
{
	return spool_size(m->body);
}

ssize_t
msg_body_read(const struct msg *m, off_t off, void *buf, size_t len)
{
	return spool_read(m->body, off, buf, len);
}

int
msg_body_map(struct msg *m, const char **p, size_t *len)
{
	return spool_map(m->body, p, len);
}

const struct msg_limits *
msg_limits(const struct msg *m)
{
	return &m->lim;
}

const char *
msg_eol(const struct msg *m)
{
	return m->eol;
}

/* text_ok - an envelope string: no CR, LF */
static int
text_ok(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}

/* change_slot - room for one more change */
static struct msg_change *
change_slot(struct msg *m)
{
	struct msg_change *nc;
	size_t na;

	if (m->nch >= MSG_CHANGES_MAX) {
		errno = E2BIG;
		return NULL;
	}
	if (m->nch == m->ach) {
		na = m->ach ? m->ach * 2 : 16;
		if ((nc = pg_realloc(m->ch, na * sizeof(*nc))) == NULL)
			return NULL;
		m->ch = nc;
		m->ach = na;
	}
	return &m->ch[m->nch];
}

int
msg_change_add(struct msg *m, const struct msg_change *ch)
{
	struct msg_change *c;
	int ok, failed = 0;
	size_t len;

	if (ch == NULL) {
		errno = EINVAL;
		return -1;
	}
	switch (ch->kind) {
	case MSG_ADD_HEADER:
	case MSG_INSERT_HEADER:
		ok = ch->name != NULL && hdr_name_valid(ch->name, strlen(ch->name)) &&
		    hdr_value_valid(ch->value);
		break;
	case MSG_CHANGE_HEADER:
		ok = ch->name != NULL && hdr_name_valid(ch->name, strlen(ch->name)) &&
		    ch->index >= 1 && (ch->value == NULL || hdr_value_valid(ch->value));
		break;
	case MSG_DELETE_HEADER:
		ok = ch->name != NULL && hdr_name_valid(ch->name, strlen(ch->name)) &&
		    ch->index >= 1;
		break;
	case MSG_ADD_RCPT:
	case MSG_DEL_RCPT:
		ok = text_ok(ch->addr);
		break;
	case MSG_CHANGE_SENDER:
		ok = text_ok(ch->addr) && (ch->value == NULL || text_ok(ch->value));
		break;
	case MSG_REPLACE_BODY:
		if (ch->value == NULL) {
			errno = EINVAL;
			return -1;
		}
		return msg_replace_body(m, ch->value, strlen(ch->value), ch->filter);
	case MSG_QUARANTINE:
		ok = ch->value == NULL || text_ok(ch->value);
		break;
	default:
		ok = 0;
		break;
	}
	if (!ok) {
		errno = EINVAL;
		return -1;
	}
	len = (ch->name ? strlen(ch->name) : 0) + (ch->value ?
	    strlen(ch->value) : 0) + (ch->addr ? strlen(ch->addr) : 0);
	if (len > MSG_CHANGE_BYTES_MAX - m->ch_bytes) {
		errno = E2BIG;
		return -1;
	}
	if ((c = change_slot(m)) == NULL)
		return -1;
	m->ch_bytes += len;
	c->kind = ch->kind;
	c->index = ch->index;
	c->name = arena_strdup(&m->arena, ch->name, &failed);
	c->value = arena_strdup(&m->arena, ch->value, &failed);
	c->addr = arena_strdup(&m->arena, ch->addr, &failed);
	c->filter = arena_strdup(&m->arena, ch->filter, &failed);
	if (failed) {
		errno = ENOMEM;
		return -1;
	}
	m->nch++;
	return 0;
}

int
msg_replace_body(struct msg *m, const void *data, size_t len, const char *filter)
{
	struct msg_change *c;
	struct spool *s;
	int failed = 0;

	if (data == NULL && len > 0) {
		errno = EINVAL;
		return -1;
	}
	if ((c = change_slot(m)) == NULL)
		return -1;
	memset(c, 0, sizeof(*c));
	c->kind = MSG_REPLACE_BODY;
	c->filter = arena_strdup(&m->arena, filter, &failed);
	if (failed) {
		errno = ENOMEM;
		return -1;
	}
	if ((s = spool_new(m->lim.memory_max, m->spool_dir)) == NULL)
		return -1;
	if (len > 0 && spool_write(s, data, len) == -1) {
		spool_free(s);
		return -1;
	}
	spool_free(m->nbody);
	m->nbody = s;
	m->nch++;
	return 0;
}

const char *
msg_change_name(enum msg_change_kind kind)
{
	static const char *const names[] = {
		[MSG_ADD_HEADER] = "add_header",
		[MSG_INSERT_HEADER] = "insert_header",
		[MSG_CHANGE_HEADER] = "change_header",
		[MSG_DELETE_HEADER] = "delete_header",
		[MSG_ADD_RCPT] = "add_rcpt",
		[MSG_DEL_RCPT] = "del_rcpt",
		[MSG_CHANGE_SENDER] = "change_sender",
		[MSG_REPLACE_BODY] = "replace_body",
		[MSG_QUARANTINE] = "quarantine",
	};

	if ((unsigned)kind >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[kind];
}

size_t
msg_change_count(const struct msg *m)
{
	return m->nch;
}

const struct msg_change *
msg_change_at(const struct msg *m, size_t i)
{
	return i < m->nch ? &m->ch[i] : NULL;
}

ssize_t
msg_new_body_read(const struct msg *m, off_t off, void *buf, size_t len)
{
	if (m->nbody == NULL)
		return 0;
	return spool_read(m->nbody, off, buf, len);
}

off_t
msg_new_body_size(const struct msg *m)
{
	return m->nbody != NULL ? spool_size(m->nbody) : -1;
}

/*
 * Output.
 */

struct ent {
	const struct field	*f;	/* a received field, or */
	const struct msg_change	*c;	/* a new one: name, c->value */
	const char		*name;
};

#define OUT_BUF	(16 * 1024)

struct out {
	int		(*fn)(void *, const void *, size_t);
	void		*ctx;
	char		*buf;
	size_t		 len;
	int		 nl;		/* the last byte written was '\n' */
};

/* out_flush - hand the buffer to the caller */
static int
out_flush(struct out *o)
{
	if (o->len == 0)
		return 0;
	if (o->fn(o->ctx, o->buf, o->len) != 0)
		return -1;
	o->len = 0;
	return 0;
}

/* out_put - buffered write; large pieces pass straight through */
static int
out_put(struct out *o, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	o->nl = ((const char *)p)[n - 1] == '\n';
	if (n > OUT_BUF - o->len) {
		if (out_flush(o) == -1)
			return -1;
		if (n >= OUT_BUF)
			return o->fn(o->ctx, p, n) != 0 ? -1 : 0;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return 0;
}

/* out_value - a new value, its line breaks written as eol */
static int
out_value(struct out *o, const char *v, const char *eol)
{
	size_t n;

	while (*v != '\0') {
		n = strcspn(v, "\r\n");
		if (out_put(o, v, n) == -1)
			return -1;
		v += n;
		if (*v == '\0')
			break;
		if (v[0] == '\r' && v[1] == '\n')
			v++;
		v++;
		if (out_put(o, eol, strlen(eol)) == -1)
			return -1;
	}
	return 0;
}

/*
 * A cursor into the entry list: e[0 .. pos) holds "before" entries called
 * name, and has not changed since. Filters often change fields of one name
 * one after the other (delete every X-Spam-Status, last first): with the
 * cursor each lookup starts where the last one ended.
 */
struct cursor {
	const char	*name;		/* NULL: none */
	size_t		 pos;
	size_t		 before;
};

/* nth - position of the n-th entry called name, or -1 */
static ssize_t
nth(const struct ent *e, size_t ne, const char *name, size_t n,
    struct cursor *cur)
{
	size_t i = 0, k = 0;	/* k: matches in e[0 .. i) */

	if (cur->name != NULL && cur->pos <= ne &&
	    strcasecmp(cur->name, name) == 0) {
		k = cur->before;
		if (n <= k) {
			/* before the cursor: walk back */
			for (i = cur->pos; i-- > 0;) {
				if (strcasecmp(e[i].name, name) != 0)
					continue;
				if (k-- == n)
					goto found;
			}
			return -1;	/* not reached: the prefix has k matches */
		}
		i = cur->pos;
	}
	for (; i < ne; i++)
		if (strcasecmp(e[i].name, name) == 0 && ++k == n)
			goto found;
	return -1;
found:
	cur->name = name;
	cur->pos = i;
	cur->before = n - 1;
	return (ssize_t)i;
}

/* touched - the list changed at position q: a cursor past it is stale */
static void
touched(struct cursor *cur, size_t q)
{
	if (q < cur->pos)
		cur->name = NULL;
}

/* apply - the header changes, in order, on the list of entries */
static size_t
apply(const struct msg *m, struct ent *e, size_t ne)
{
	const struct msg_change *c;
	struct cursor cur = { NULL, 0, 0 };
	size_t i, pos;
	ssize_t at;

	for (i = 0; i < m->nch; i++) {
		c = &m->ch[i];
		switch (c->kind) {
		case MSG_ADD_HEADER:
			e[ne].f = NULL;
			e[ne].c = c;
			e[ne++].name = c->name;
			break;
		case MSG_INSERT_HEADER:
			pos = c->index < ne ? c->index : ne;
			memmove(&e[pos + 1], &e[pos], (ne - pos) * sizeof(*e));
			e[pos].f = NULL;
			e[pos].c = c;
			e[pos].name = c->name;
			ne++;
			touched(&cur, pos);
			break;
		case MSG_CHANGE_HEADER:
		case MSG_DELETE_HEADER:
			at = nth(e, ne, c->name, c->index, &cur);
			if (c->kind == MSG_CHANGE_HEADER && c->value != NULL) {
				/*
				 * As Postfix and Sendmail: a missing field is
				 * added. A field keeps its name's spelling, as
				 * in Sendmail (so the cursor stays right).
				 */
				if (at == -1) {
					at = (ssize_t)ne++;
					e[at].name = c->name;
				}
				e[at].f = NULL;
				e[at].c = c;
			} else if (at != -1) {
				memmove(&e[at], &e[at + 1],
				    (ne - (size_t)at - 1) * sizeof(*e));
				ne--;
				touched(&cur, (size_t)at);
			}
			break;
		default:
			break;
		}
	}
	return ne;
}

int
msg_output(const struct msg *m, int (*fn)(void *, const void *, size_t),
    void *ctx)
{
	struct spool *body = m->nbody != NULL ? m->nbody : m->body;
	struct ent *e = NULL;
	struct out o;
	size_t i, ne, nadd = 0, elen = strlen(m->eol);
	off_t off;
	ssize_t r;
	int ret = -1;

	if (m->err) {
		errno = m->err;		/* bytes were lost on the way in */
		return -1;
	}
	if (!m->header_done) {
		errno = EINVAL;		/* msg_write_end() or msg_end_header() first */
		return -1;
	}
	for (i = 0; i < m->nch; i++)
		if (m->ch[i].kind <= MSG_DELETE_HEADER)
			nadd++;
	memset(&o, 0, sizeof(o));
	o.fn = fn;
	o.ctx = ctx;
	o.nl = 1;
	if ((o.buf = pg_malloc(OUT_BUF)) == NULL ||
	    (e = pg_calloc(m->nf + nadd, sizeof(*e))) == NULL)
		goto done;
	for (i = 0; i < m->nf; i++) {
		e[i].f = &m->f[i];
		e[i].name = m->f[i].name;
	}
	ne = apply(m, e, m->nf);

	for (i = 0; i < ne; i++) {
		/* a last field without a line end gets one when more follows */
		if (!o.nl && out_put(&o, m->eol, elen) == -1)
			goto done;
		if (e[i].f != NULL) {
			if (out_put(&o, e[i].f->full, e[i].f->full_len) == -1)
				goto done;
			continue;
		}
		if (out_put(&o, e[i].name, strlen(e[i].name)) == -1 ||
		    out_put(&o, ": ", 2) == -1 ||
		    out_value(&o, e[i].c->value, m->eol) == -1 ||
		    out_put(&o, m->eol, elen) == -1)
			goto done;
	}
	if (m->sep[0] != '\0') {
		if (!o.nl && out_put(&o, m->eol, elen) == -1)
			goto done;
		if (out_put(&o, m->sep, strlen(m->sep)) == -1)
			goto done;
	} else if (m->nbody != NULL && spool_size(m->nbody) > 0) {
		/* a new body needs the empty line the old message lacked */
		if ((!o.nl && out_put(&o, m->eol, elen) == -1) ||
		    out_put(&o, m->eol, elen) == -1)
			goto done;
	}
	for (off = 0;; off += r) {
		if (o.len == OUT_BUF && out_flush(&o) == -1)
			goto done;
		r = spool_read(body, off, o.buf + o.len,
		    OUT_BUF - o.len);
		if (r == -1)
			goto done;
		if (r == 0)
			break;
		o.len += (size_t)r;
	}
	ret = out_flush(&o);
done:
	free(e);
	free(o.buf);
	return ret;
}
