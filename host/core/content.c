/*
 * content - a transaction's message as rules see it (see content.h)
 *
 * Public: content_get(), content_part_*(), content_flags(), content_text(),
 * content_header(), content_from_count(), content_from_at(),
 * content_url_count(), content_url_str(), content_url_part().
 *
 * The content hangs on the tx (tx_set_content()) and holds one parse of
 * the body (struct tree) per body size it was asked at: normally one, made
 * at end of data. Older parses are kept until tx_free() because strings
 * handed out may point into them; they are never read again. Leaf parts
 * point into the body map; each lazily gets its decoded bytes (a part not
 * transfer-encoded is its own raw bytes, no copy), its text, its detected
 * type (libmagic, one process-wide handle behind a mutex, opened on first
 * use) and its archive listing (arclist.c).
 *
 * Decoded header values and part headers are cached by name, so a rule
 * asking in a loop does not grow memory. Allocation with pg_*(); a failure
 * leaves the value out (NULL), never exits. Input is untrusted and bounded
 * by the message's limits.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <magic.h>

#include "arclist.h"
#include "arena.h"
#include "charset.h"
#include "content.h"
#include "html.h"
#include "linkset.h"
#include "log.h"
#include "mbuf.h"
#include "mime.h"
#include "mime_dec.h"
#include "mime_hdr.h"
#include "msg.h"
#include "tx.h"
#include "url.h"
#include "xmalloc.h"

#define SNIFF_MAX	(64 * 1024)	/* decoded bytes libmagic sees */

struct link {
	char	*url;
	char	*text;
};

struct part {
	const struct mime_node *node;
	char		*disposition;
	char		*filename;
	int		 have_dec, have_text, have_det, have_arc, have_size;
	char		*dec;		/* == node->body when not encoded */
	size_t		 declen;
	char		*text;
	size_t		 textlen;
	struct link	*links;		/* HTML parts: from the rendering */
	struct arena	**arena;	/* the tree's, for the links' strings */
	size_t		 nlinks;
	size_t		 alinks;
	char		*detected;
	off_t		 size;
	struct arclist_member *arc;
	size_t		 narc;
	int		 is_arc;
};

struct tree {
	off_t		 body_size;
	struct mime_tree *mt;
	struct part	*p;
	size_t		 n;
	int		 have_text, have_urls;
	char		*text;
	size_t		 textlen;
	struct linkset	 links;		/* its arena holds the parts' link strings too */
	struct tree	*older;
};

struct hcache {
	const struct tree *t;		/* NULL: the message header */
	size_t		 part;
	char		*name;
	size_t		 n;
	char		*value;
};

struct from {
	char	*name;
	char	*addr;
};

struct content {
	struct pg_tx	*tx;
	struct msg	*msg;
	struct msg_limits lim;
	struct tree	*cur;
	struct hcache	*hc;
	size_t		 nhc;
	int		 have_from;
	struct from	*from;
	size_t		 nfrom;
};

static pthread_mutex_t magic_mu = PTHREAD_MUTEX_INITIALIZER;
static magic_t magic_cookie;
static int magic_tried;

/* tree_free - one parse and its lazily made values */
static void
tree_free(struct tree *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct part *p = &t->p[i];

		free(p->disposition);
		free(p->filename);
		if (p->dec != p->node->body)
			free(p->dec);
		free(p->text);
		free(p->links);
		free(p->detected);
		arclist_free(p->arc, p->narc);
	}
	free(t->p);
	linkset_free(&t->links);
	free(t->text);
	mime_free(t->mt);
	free(t);
}

/* content_free - the tx's free function */
static void
content_free(void *v)
{
	struct content *c = v;
	struct tree *t, *o;
	size_t i;

	for (t = c->cur; t != NULL; t = o) {
		o = t->older;
		tree_free(t);
	}
	for (i = 0; i < c->nhc; i++) {
		free(c->hc[i].name);
		free(c->hc[i].value);
	}
	free(c->hc);
	for (i = 0; i < c->nfrom; i++) {
		free(c->from[i].name);
		free(c->from[i].addr);
	}
	free(c->from);
	free(c);
}

struct content *
content_get(struct pg_tx *tx)
{
	struct content *c = tx_content(tx);
	struct msg_limits def;

	if (c != NULL)
		return c;
	if ((c = pg_calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->tx = tx;
	c->msg = tx_msg(tx);
	c->lim = *msg_limits(c->msg);
	msg_limits_default(&def);
	/* a limit left 0 by a caller that filled the struct by hand */
	if (c->lim.mime.max_parts == 0)
		c->lim.mime = def.mime;
	if (c->lim.decoded_max == 0)
		c->lim.decoded_max = def.decoded_max;
	if (c->lim.text_max == 0)
		c->lim.text_max = def.text_max;
	if (c->lim.urls_max == 0)
		c->lim.urls_max = def.urls_max;
	if (c->lim.archive_max == 0)
		c->lim.archive_max = def.archive_max;
	tx_set_content(tx, c, content_free);
	return c;
}

/* part_names - a leaf's disposition and filename */
static void
part_names(struct part *p)
{
	const struct mime_node *n = p->node;
	const char *v;
	size_t vl;
	struct mbuf b;

	if (n->hdr == NULL)
		return;
	if (mime_hdr_field(n->hdr, n->hdrlen, "Content-Disposition", 1, &v,
	    &vl)) {
		mbuf_init(&b, 64);
		if (mime_hdr_token(v, vl, &b) == 1)
			p->disposition = mbuf_take(&b);
		else
			mbuf_free(&b);
		mbuf_init(&b, 1024);
		if (mime_hdr_param(v, vl, "filename", &b) == 1 && b.len > 0)
			p->filename = mbuf_take(&b);
		else
			mbuf_free(&b);
	}
	if (p->filename == NULL && mime_hdr_field(n->hdr, n->hdrlen,
	    "Content-Type", 1, &v, &vl)) {
		mbuf_init(&b, 1024);
		if (mime_hdr_param(v, vl, "name", &b) == 1 && b.len > 0)
			p->filename = mbuf_take(&b);
		else
			mbuf_free(&b);
	}
}

/* parse - a new tree of the body as it is now */
static struct tree *
parse(struct content *c)
{
	const char *body = "", *ct, *cte;
	size_t len = 0, i, k;
	struct tree *t;

	if ((t = pg_calloc(1, sizeof(*t))) == NULL)
		return NULL;
	linkset_init(&t->links, c->lim.urls_max);
	t->body_size = msg_body_size(c->msg);
	if (msg_body_map(c->msg, &body, &len) == -1) {
		log_warn("content: cannot map the message body");
		body = "";
		len = 0;
	}
	ct = msg_header(c->msg, "Content-Type", 1);
	cte = msg_header(c->msg, "Content-Transfer-Encoding", 1);
	if ((t->mt = mime_parse(ct, cte, body, len, &c->lim.mime)) == NULL) {
		free(t);
		return NULL;
	}
	for (i = 0, k = 0; i < mime_count(t->mt); i++)
		k += mime_node(t->mt, i)->kind == MIME_LEAF;
	if (k > 0 && (t->p = pg_calloc(k, sizeof(*t->p))) == NULL) {
		tree_free(t);
		return NULL;
	}
	for (i = 0; i < mime_count(t->mt); i++) {
		if (mime_node(t->mt, i)->kind != MIME_LEAF)
			continue;
		t->p[t->n].node = mime_node(t->mt, i);
		t->p[t->n].arena = &t->links.arena;
		part_names(&t->p[t->n]);
		t->n++;
	}
	return t;
}

/* tree - the parse of the body as it is now (made, or made anew after it grew) */
static struct tree *
tree(struct content *c)
{
	struct tree *t;

	if (c->cur != NULL && c->cur->body_size == msg_body_size(c->msg))
		return c->cur;
	if ((t = parse(c)) == NULL)
		return NULL;
	t->older = c->cur;
	c->cur = t;
	return t;
}

/* part - leaf i of the current tree, or NULL */
static struct part *
part(struct content *c, size_t i)
{
	struct tree *t = tree(c);

	return t != NULL && i < t->n ? &t->p[i] : NULL;
}

size_t
content_part_count(struct content *c)
{
	struct tree *t = tree(c);

	return t != NULL ? t->n : 0;
}

unsigned
content_flags(struct content *c)
{
	struct tree *t = tree(c);

	return t != NULL ? mime_flags(t->mt) : 0;
}

unsigned
content_part_depth(struct content *c, size_t i)
{
	struct part *p = part(c, i);

	return p != NULL ? p->node->depth : 0;
}

/* decoded - a part's decoded bytes (at most decoded_max) */
static const char *
decoded(struct content *c, struct part *p, size_t *len)
{
	const struct mime_node *n = p->node;
	size_t cap;
	char *buf, *nb;

	if (!p->have_dec) {
		p->have_dec = 1;
		if (n->enc == MIME_ENC_NONE) {
			p->dec = (char *)n->body;
			p->declen = n->bodylen < c->lim.decoded_max ?
			    n->bodylen : c->lim.decoded_max;
		} else {
			cap = n->bodylen < c->lim.decoded_max ? n->bodylen :
			    c->lim.decoded_max;
			if ((buf = pg_malloc(cap + 1)) != NULL) {
				p->declen = mime_dec(n->enc, n->body, n->bodylen,
				    buf, cap, NULL, NULL);
				buf[p->declen] = '\0';
				if ((nb = pg_realloc(buf, p->declen + 1)) != NULL)
					buf = nb;
				p->dec = buf;
			}
		}
	}
	*len = p->declen;
	return p->dec;
}

const char *
content_part_content(struct content *c, size_t i, size_t *len)
{
	struct part *p = part(c, i);
	const char *d;

	*len = 0;
	if (p == NULL)
		return NULL;
	d = decoded(c, p, len);
	return d != NULL ? d : "";
}

/* size_of - the decoded size without keeping the bytes */
static off_t
size_of(const struct mime_node *n)
{
	char buf[16384];
	size_t off = 0, used, out;
	off_t total = 0;

	if (n->enc == MIME_ENC_NONE)
		return (off_t)n->bodylen;
	if (n->enc == MIME_ENC_UU) {
		char *b = pg_malloc(n->bodylen + 1);

		if (b == NULL)
			return -1;
		total = (off_t)mime_dec_uu(n->body, n->bodylen, b, n->bodylen,
		    NULL, NULL);
		free(b);
		return total;
	}
	while (off < n->bodylen) {
		out = mime_dec(n->enc, n->body + off, n->bodylen - off, buf,
		    sizeof(buf), &used, NULL);
		total += (off_t)out;
		if (used == 0)
			break;
		off += used;
	}
	return total;
}

off_t
content_part_size(struct content *c, size_t i)
{
	struct part *p = part(c, i);

	if (p == NULL)
		return -1;
	if (!p->have_size) {
		p->have_size = 1;
		p->size = size_of(p->node);
	}
	return p->size;
}

/* add_link - an HTML part's link, kept for the links list */
static int
add_link(void *ctx, const char *url, const char *text)
{
	struct part *p = ctx;
	struct link *nl;

	if (p->nlinks >= 4096)
		return 0;
	if (p->nlinks == p->alinks) {
		if ((nl = pg_realloc(p->links, (p->alinks ? p->alinks * 2 : 16) *
		    sizeof(*nl))) == NULL)
			return 0;
		p->links = nl;
		p->alinks = p->alinks ? p->alinks * 2 : 16;
	}
	nl = p->links;
	if ((nl[p->nlinks].url = arena_strndup(p->arena, url,
	    strlen(url))) == NULL || (nl[p->nlinks].text =
	    arena_strndup(p->arena, text, strlen(text))) == NULL)
		return 0;
	p->nlinks++;
	return 0;
}

/* attachment - a part with Content-Disposition: attachment (its text is not the message's) */
static int
attachment(const struct part *p)
{
	return p->disposition != NULL && strcmp(p->disposition,
	    "attachment") == 0;
}

/* is_text - a text part; is_html - text/html */
static int
is_text(const struct part *p)
{
	return strncmp(p->node->type, "text/", 5) == 0;
}

static int
is_html(const struct part *p)
{
	return strcmp(p->node->type, "text/html") == 0;
}

/* make_text - a text part's text: charset converted, HTML rendered, CR dropped */
static void
make_text(struct content *c, struct part *p)
{
	struct mbuf u, h;
	const char *d;
	size_t len;

	d = decoded(c, p, &len);
	mbuf_init(&u, is_html(p) ? c->lim.decoded_max + 1 : c->lim.text_max);
	/* room for it at once (UTF-8 in, as most is, is as long out): no regrowing */
	(void)mbuf_reserve(&u, len);
	if (d == NULL || charset_to_utf8(p->node->charset, d, len, &u) ==
	    CHARSET_NOMEM) {
		if (u.err & MBUF_NOMEM) {
			mbuf_free(&u);
			return;
		}
	}
	if (is_html(p)) {
		mbuf_init(&h, c->lim.text_max);
		(void)mbuf_reserve(&h, u.len);	/* the text is shorter than its HTML */
		html_render(u.p ? u.p : "", u.len, &h, add_link, p, NULL);
		mbuf_free(&u);
		u = h;
	}
	mbuf_drop(&u, '\r');
	if (u.err & MBUF_NOMEM) {
		mbuf_free(&u);
		return;
	}
	p->textlen = u.len;
	p->text = mbuf_take(&u);
}

const char *
content_part_text(struct content *c, size_t i, size_t *len)
{
	struct part *p = part(c, i);

	*len = 0;
	if (p == NULL || !is_text(p))
		return NULL;
	if (!p->have_text) {
		p->have_text = 1;
		make_text(c, p);
	}
	*len = p->textlen;
	return p->text != NULL ? p->text : "";
}

const char *
content_text(struct content *c, size_t *len)
{
	struct tree *t = tree(c);
	struct mbuf b;
	const char *s;
	size_t i, n, k;

	*len = 0;
	if (t == NULL)
		return NULL;
	if (!t->have_text) {
		t->have_text = 1;
		mbuf_init(&b, c->lim.text_max);
		for (i = 0, n = 0; i < t->n; i++)	/* the parts' texts first: one allocation */
			if (!attachment(&t->p[i]) &&
			    content_part_text(c, i, &k) != NULL)
				n += k + 1;
		(void)mbuf_reserve(&b, n);
		for (i = 0; i < t->n; i++) {
			if (attachment(&t->p[i]))
				continue;
			if ((s = content_part_text(c, i, &n)) == NULL || n == 0)
				continue;
			if (b.len > 0)
				mbuf_addc(&b, '\n');
			mbuf_add(&b, s, n);
		}
		if (!(b.err & MBUF_NOMEM)) {
			t->textlen = b.len;
			t->text = mbuf_take(&b);
		} else
			mbuf_free(&b);
	}
	*len = t->textlen;
	return t->text != NULL ? t->text : "";
}

/* magic_type - libmagic's MIME type of data, copied; NULL if none */
static char *
magic_type(const char *d, size_t len)
{
	const char *r = NULL;
	char *out = NULL;

	pthread_mutex_lock(&magic_mu);
	if (!magic_tried) {
		magic_tried = 1;
		if ((magic_cookie = magic_open(MAGIC_MIME_TYPE |
		    MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF |
		    MAGIC_ERROR)) != NULL && magic_load(magic_cookie, NULL) != 0) {
			log_warnx("content: libmagic: %s",
			    magic_error(magic_cookie));
			magic_close(magic_cookie);
			magic_cookie = NULL;
		}
	}
	if (magic_cookie != NULL && len > 0)
		r = magic_buffer(magic_cookie, d, len);
	if (r != NULL)
		out = pg_strdup(r);
	pthread_mutex_unlock(&magic_mu);
	return out;
}

/* detect - the detected type from the first SNIFF_MAX decoded bytes */
static void
detect(struct content *c, struct part *p)
{
	const struct mime_node *n = p->node;
	size_t len;
	char *buf;

	if (p->have_dec || n->enc == MIME_ENC_NONE) {
		const char *d = decoded(c, p, &len);

		p->detected = magic_type(d ? d : "", len < SNIFF_MAX ? len :
		    SNIFF_MAX);
		return;
	}
	if ((buf = pg_malloc(SNIFF_MAX)) == NULL)
		return;
	len = mime_dec(n->enc, n->body, n->bodylen, buf, SNIFF_MAX, NULL,
	    NULL);
	p->detected = magic_type(buf, len);
	free(buf);
}

const char *
content_part_str(struct content *c, size_t i, enum pg_part_str what)
{
	struct part *p = part(c, i);

	if (p == NULL)
		return NULL;
	switch (what) {
	case PG_P_TYPE:
		return p->node->type;
	case PG_P_CHARSET:
		return p->node->charset;
	case PG_P_DISPOSITION:
		return p->disposition;
	case PG_P_FILENAME:
		return p->filename;
	case PG_P_DETECTED:
		if (!p->have_det) {
			p->have_det = 1;
			detect(c, p);
		}
		return p->detected;
	case PG_P_ENCODING:
		return mime_dec_name(p->node->enc);
	}
	return NULL;
}

int
content_part_archive(struct content *c, size_t i, size_t j,
    const char **name, off_t *size, int *encrypted)
{
	struct part *p = part(c, i);
	const char *d;
	size_t len;
	int more;

	if (p == NULL)
		return -1;
	if (!p->have_arc) {
		p->have_arc = 1;
		d = decoded(c, p, &len);
		p->is_arc = d != NULL && arclist_read(d, len,
		    c->lim.archive_max, &p->arc, &p->narc, &more) == 1;
	}
	if (!p->is_arc)
		return -1;
	if (j >= p->narc)
		return 0;
	*name = p->arc[j].name;
	*size = p->arc[j].size;
	*encrypted = p->arc[j].encrypted;
	return 1;
}

/* cached - a decoded header value from the cache, or made and kept */
static const char *
cached(struct content *c, const struct tree *t, size_t pi, const char *name,
    size_t n, const char *raw, size_t rawlen)
{
	struct hcache *h;
	struct mbuf b;
	size_t i;

	for (i = 0; i < c->nhc; i++)
		if (c->hc[i].t == t && c->hc[i].part == pi && c->hc[i].n == n &&
		    strcasecmp(c->hc[i].name, name) == 0)
			return c->hc[i].value;
	mbuf_init(&b, 0);
	if (mime_hdr_decode(raw, rawlen, &b) == -1 || mbuf_add(&b, "", 0) == -1 ||
	    (h = pg_realloc(c->hc, (c->nhc + 1) * sizeof(*h))) == NULL) {
		mbuf_free(&b);
		return NULL;
	}
	c->hc = h;
	h = &c->hc[c->nhc];
	h->t = t;
	h->part = pi;
	h->n = n;
	if ((h->name = pg_strdup(name)) == NULL) {
		mbuf_free(&b);
		return NULL;
	}
	h->value = mbuf_take(&b);
	c->nhc++;
	return h->value;
}

const char *
content_header(struct content *c, const char *name, size_t n)
{
	const char *raw = msg_header_raw(c->msg, name, n);

	if (raw == NULL)
		return NULL;
	return cached(c, NULL, 0, name, n, raw, strlen(raw));
}

const char *
content_part_header(struct content *c, size_t i, const char *name)
{
	struct part *p = part(c, i);
	const char *v;
	size_t vl;

	if (p == NULL || p->node->hdr == NULL ||
	    !mime_hdr_field(p->node->hdr, p->node->hdrlen, name, 1, &v, &vl))
		return NULL;
	return cached(c, c->cur, i, name, 1, v, vl);
}

/* add_from - one mailbox of From */
static int
add_from(void *ctx, const char *name, const char *addr)
{
	struct content *c = ctx;
	struct from *f;

	if (c->nfrom >= 100)
		return -1;
	if ((f = pg_realloc(c->from, (c->nfrom + 1) * sizeof(*f))) == NULL)
		return -1;
	c->from = f;
	f[c->nfrom].name = pg_strdup(name);
	f[c->nfrom].addr = pg_strdup(addr);
	if (f[c->nfrom].name == NULL || f[c->nfrom].addr == NULL) {
		free(f[c->nfrom].name);
		free(f[c->nfrom].addr);
		return -1;
	}
	c->nfrom++;
	return 0;
}

/* from - the From field's mailboxes, made once */
static void
from(struct content *c)
{
	const char *raw;

	if (c->have_from)
		return;
	c->have_from = 1;
	if ((raw = msg_header_raw(c->msg, "From", 1)) != NULL)
		mime_hdr_addrs(raw, strlen(raw), add_from, c);
}

size_t
content_from_count(struct content *c)
{
	from(c);
	return c->nfrom;
}

int
content_from_at(struct content *c, size_t i, const char **name,
    const char **addr)
{
	from(c);
	if (i >= c->nfrom)
		return -1;
	*name = c->from[i].name;
	*addr = c->from[i].addr;
	return 0;
}

/* shown_host - the host a link's text shows, when it is not the link's own domain (in t's arena) */
static const char *
shown_host(struct tree *t, const char *text, const struct url *link,
    struct url_cache *cache)
{
	const char *s = text;
	struct url u;

	while (*s == ' ')
		s++;
	if (!url_may_have_host(s) || url_parse(s, strlen(s), &u, cache,
	    &t->links.arena) != 0)
		return NULL;
	if (strcmp(u.domain, link->domain) != 0)
		return u.host;
	arena_pop(&t->links.arena, (void *)u.url);
	return NULL;
}

struct found {
	struct content	*c;
	struct tree	*t;
	int		 part;
	struct url_cache *cache;
	/* raw spans already seen in this part's text: parsed once */
	struct {
		const char	*s;
		size_t		 n;
	}		 seen[64];
	size_t		 nseen;
};

/* text_link - a link url_find() saw in a part's text */
static int
text_link(void *ctx, const char *s, size_t n)
{
	struct found *f = ctx;
	struct url u;

	size_t i;

	if (f->t->links.n >= f->t->links.max)
		return -1;
	/* the same link written again (signatures, footers): once */
	for (i = 0; i < f->nseen; i++)
		if (f->seen[i].n == n && memcmp(f->seen[i].s, s, n) == 0)
			return 0;
	if (f->nseen < sizeof(f->seen) / sizeof(f->seen[0])) {
		f->seen[f->nseen].s = s;
		f->seen[f->nseen++].n = n;
	}
	if (url_parse(s, n, &u, f->cache, &f->t->links.arena) == 0)
		(void)linkset_add(&f->t->links, &u, NULL, f->part);
	return 0;
}

/* part_urls - the links of part i: its HTML links, then those in its text */
static void
part_urls(struct content *c, struct tree *t, size_t i, struct url_cache *cache)
{
	struct part *p = &t->p[i];
	struct found f;
	struct url u;
	const char *text;
	size_t len, k;

	if ((text = content_part_text(c, i, &len)) == NULL)
		return;
	f.c = c;
	f.t = t;
	f.part = (int)i;
	f.cache = cache;
	f.nseen = 0;
	for (k = 0; k < p->nlinks; k++) {
		if (url_parse(p->links[k].url, strlen(p->links[k].url), &u,
		    cache, &t->links.arena) != 0)
			continue;
		if (linkset_add(&t->links, &u, p->links[k].text, (int)i) == 1 &&
		    *p->links[k].text != '\0')
			t->links.v[t->links.n - 1].text_host =
			    shown_host(t, p->links[k].text, &u, cache);
	}
	url_find(text, len, text_link, &f);
}

/* urls - every link of the current tree, made once */
static struct tree *
urls(struct content *c)
{
	struct tree *t = tree(c);
	struct url_cache *cache;
	size_t i;

	if (t == NULL || t->have_urls)
		return t;
	t->have_urls = 1;
	cache = url_cache_new();	/* NULL: slower, not wrong */
	for (i = 0; i < t->n; i++)
		part_urls(c, t, i, cache);
	url_cache_free(cache);
	return t;
}

size_t
content_url_count(struct content *c)
{
	struct tree *t = urls(c);

	return t != NULL ? t->links.n : 0;
}

const char *
content_url_str(struct content *c, size_t i, enum pg_url_str what)
{
	struct tree *t = urls(c);
	const struct pg_url *u;

	if (t == NULL || i >= t->links.n)
		return NULL;
	u = &t->links.v[i];
	switch (what) {
	case PG_U_URL:
		return u->url;
	case PG_U_SCHEME:
		return u->scheme;
	case PG_U_HOST:
		return u->host;
	case PG_U_DOMAIN:
		return u->domain;
	case PG_U_PATH:
		return u->path;
	case PG_U_TEXT:
		return u->text;
	case PG_U_TEXT_HOST:
		return u->text_host;
	}
	return NULL;
}

const struct pg_url *
content_urls(struct content *c, size_t *n)
{
	struct tree *t = urls(c);

	*n = t != NULL ? t->links.n : 0;
	return t != NULL ? t->links.v : NULL;
}

int
content_url_part(struct content *c, size_t i)
{
	struct tree *t = urls(c);

	return t != NULL && i < t->links.n ? t->links.v[i].part : -1;
}
