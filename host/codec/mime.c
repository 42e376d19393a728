/*
 * mime - the MIME structure parser (see mime.h)
 *
 * Public: mime_limits_default(), mime_parse(), mime_free(), mime_count(),
 * mime_node(), mime_flags().
 *
 * Nodes are kept in pre-order in one array. A multipart's parts are found
 * by looking for "--" and its boundary at a line start, followed by "--"
 * or white space only, so a boundary that
 * is a prefix of an inner one does not cut the inner part. Containers
 * recurse at most max_depth deep (a C recursion of small frames, bounded by
 * the limit the configuration caps). Allocation with pg_*(); a failure
 * ends the parse with NULL, never exits.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mbuf.h"
#include "mime.h"
#include "mime_hdr.h"
#include "xmalloc.h"

struct mime_tree {
	struct mime_limits lim;
	struct mime_node *n;
	size_t		 count;
	size_t		 cap;
	unsigned	 flags;
	int		 nomem;
};

void
mime_limits_default(struct mime_limits *l)
{
	l->max_parts = 1000;
	l->max_depth = 20;
	l->header_max = 64 * 1024;
}

size_t
mime_count(const struct mime_tree *t)
{
	return t->count;
}

const struct mime_node *
mime_node(const struct mime_tree *t, size_t i)
{
	return i < t->count ? &t->n[i] : NULL;
}

unsigned
mime_flags(const struct mime_tree *t)
{
	return t->flags;
}

void
mime_free(struct mime_tree *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->count; i++) {
		free((char *)t->n[i].type);
		free((char *)t->n[i].charset);
	}
	free(t->n);
	free(t);
}

/* node_add - a new node; -1 at max_parts (flagged) or out of memory */
static int
node_add(struct mime_tree *t, int parent, unsigned depth, const char *hdr,
    size_t hdrlen, const char *body, size_t bodylen)
{
	struct mime_node *nn;
	size_t nc;

	if (t->count >= t->lim.max_parts) {
		t->flags |= MIME_F_PARTS;
		if (parent >= 0)
			t->n[parent].flags |= MIME_F_PARTS;
		return -1;
	}
	if (t->count == t->cap) {
		nc = t->cap ? t->cap * 2 : 8;
		if ((nn = pg_realloc(t->n, nc * sizeof(*nn))) == NULL) {
			t->nomem = 1;
			return -1;
		}
		t->n = nn;
		t->cap = nc;
	}
	nn = &t->n[t->count];
	memset(nn, 0, sizeof(*nn));
	nn->parent = parent;
	nn->depth = depth;
	nn->hdr = hdr;
	nn->hdrlen = hdrlen;
	nn->body = body;
	nn->bodylen = bodylen;
	return (int)t->count++;
}

/* is_field_line - whether the line at p starts like "Name:" */
static int
is_field_line(const char *p, const char *e)
{
	const char *q;

	for (q = p; q < e && *q != ':'; q++)
		if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 127)
			return 0;
	return q < e && q > p;
}

/* split_part - a part's header block and body */
static void
split_part(const char *s, const char *e, size_t header_max, const char **hdr,
    size_t *hdrlen, const char **body, size_t *bodylen)
{
	const char *p = s, *nl, *lim = e - s > (long)header_max ?
	    s + header_max : e;

	*hdr = s;
	*hdrlen = 0;
	*body = s;
	*bodylen = (size_t)(e - s);
	if (s == e || !is_field_line(s, e))
		return;	/* no header: the part starts with its body */
	while (p < lim) {
		if (*p == '\n' || (*p == '\r' && p + 1 < e && p[1] == '\n')) {
			*hdrlen = (size_t)(p - s);
			p += *p == '\r' ? 2 : 1;
			*body = p;
			*bodylen = (size_t)(e - p);
			return;
		}
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			break;
		p = nl + 1;
	}
	/* no empty line within header_max: all header up to there */
	*hdrlen = (size_t)(lim - s);
	*body = lim;
	*bodylen = (size_t)(e - lim);
}

/*
 * find_delim - the next delimiter line of boundary b from p; NULL if none.
 * It looks for "--" with memchr(): base64 (most of a big message) has no
 * '-', so an attachment is skipped at memchr()'s speed.
 */
static const char *
find_delim(const char *body, const char *p, const char *end, const char *b,
    size_t blen, const char **after, int *close)
{
	const char *q, *r;

	while (end - p >= (long)blen + 2 &&
	    (q = memchr(p, '-', (size_t)(end - p) - blen - 1)) != NULL) {
		p = q + 1;
		if (q[1] != '-' || (q > body && q[-1] != '\n') ||
		    memcmp(q + 2, b, blen) != 0)
			continue;
		r = q + 2 + blen;
		*close = end - r >= 2 && r[0] == '-' && r[1] == '-';
		if (*close)
			r += 2;
		while (r < end && (*r == ' ' || *r == '\t' || *r == '\r'))
			r++;
		if (r < end && *r != '\n')
			continue;	/* more on the line: not this boundary */
		*after = r < end ? r + 1 : end;
		return q;
	}
	return NULL;
}

/* part_end - where a part before a delimiter at d ends (its line end is the delimiter's) */
static const char *
part_end(const char *start, const char *d)
{
	if (d > start && d[-1] == '\n')
		d--;
	if (d > start && d[-1] == '\r')
		d--;
	return d;
}

static int walk(struct mime_tree *, int, const char *, const char *,
    const char *);

/* child - add a part [s, e) of container idx and walk it */
static int
child(struct mime_tree *t, int idx, const char *s, const char *e,
    const char *deftype)
{
	const char *h, *b;
	size_t hl, bl;
	int c;

	split_part(s, e, t->lim.header_max, &h, &hl, &b, &bl);
	if ((c = node_add(t, idx, t->n[idx].depth + 1, h, hl, b, bl)) < 0)
		return t->nomem ? -1 : 0;
	return walk(t, c, NULL, NULL, deftype);
}

/* split - the parts of multipart node idx with boundary b: 1, 0 (no delimiter), -1 */
static int
split(struct mime_tree *t, int idx, const char *b, size_t blen,
    const char *deftype)
{
	const char *body = t->n[idx].body, *end = body + t->n[idx].bodylen;
	const char *d, *after, *cur;
	int close = 0, r;

	if ((d = find_delim(body, body, end, b, blen, &after, &close)) == NULL)
		return 0;
	t->n[idx].kind = MIME_MULTI;
	cur = after;
	while (!close) {
		d = find_delim(body, cur, end, b, blen, &after, &close);
		if ((r = child(t, idx, cur, d ? part_end(cur, d) : end,
		    deftype)) < 0)
			return -1;
		if (t->count >= t->lim.max_parts) {
			if (d != NULL && !close) {
				t->n[idx].flags |= MIME_F_PARTS;
				t->flags |= MIME_F_PARTS;
			}
			break;
		}
		if (d == NULL) {
			t->n[idx].flags |= MIME_F_NOEND;
			t->flags |= MIME_F_NOEND;
			break;
		}
		cur = after;
	}
	return 1;
}

/* header_values - Content-Type and -Transfer-Encoding of node idx */
static void
header_values(const struct mime_node *n, const char **ct, size_t *ctlen,
    const char **cte, size_t *ctelen)
{
	if (n->hdr == NULL)
		return;
	if (!mime_hdr_field(n->hdr, n->hdrlen, "Content-Type", 1, ct, ctlen))
		*ct = NULL;
	if (!mime_hdr_field(n->hdr, n->hdrlen, "Content-Transfer-Encoding",
	    1, cte, ctelen))
		*cte = NULL;
}

/* set_type - the node's type and charset from its Content-Type value */
static int
set_type(struct mime_tree *t, int idx, const char *ct, size_t ctlen,
    const char *deftype)
{
	struct mbuf b;

	mbuf_init(&b, 256);
	if (ct != NULL && mime_hdr_token(ct, ctlen, &b) == 1 &&
	    memchr(b.p, '/', b.len) != NULL && b.p[0] != '/' &&
	    b.p[b.len - 1] != '/')
		t->n[idx].type = mbuf_take(&b);
	else {
		mbuf_free(&b);
		t->n[idx].type = pg_strdup(deftype);
	}
	if (t->n[idx].type == NULL)
		return -1;
	mbuf_init(&b, 64);
	if (ct != NULL && mime_hdr_param(ct, ctlen, "charset", &b) == 1 &&
	    b.len > 0) {
		size_t i;

		for (i = 0; i < b.len; i++)
			if (b.p[i] >= 'A' && b.p[i] <= 'Z')
				b.p[i] += 32;
		if ((t->n[idx].charset = mbuf_take(&b)) == NULL)
			return -1;
	} else
		mbuf_free(&b);
	return 0;
}

/* walk_message - the message inside message/rfc822 node idx */
static int
walk_message(struct mime_tree *t, int idx)
{
	const struct mime_node *n = &t->n[idx];
	const char *h, *b;
	size_t hl, bl;
	int c;

	split_part(n->body, n->body + n->bodylen, t->lim.header_max, &h, &hl,
	    &b, &bl);
	t->n[idx].kind = MIME_MESSAGE;
	if ((c = node_add(t, idx, n->depth + 1, h, hl, b, bl)) < 0)
		return t->nomem ? -1 : 0;
	return walk(t, c, NULL, NULL, "text/plain") < 0 ? -1 : 0;
}

/*
 * walk - type node idx and walk into it when it is a container; ct0 and
 * cte0 are the root's values (the others come from the node's header).
 * 0 done (or stopped at a limit), -1 out of memory.
 */
static int
walk(struct mime_tree *t, int idx, const char *ct0, const char *cte0,
    const char *deftype)
{
	const char *ct = ct0, *cte = cte0;
	size_t ctlen = ct0 ? strlen(ct0) : 0, ctelen = cte0 ? strlen(cte0) : 0;
	struct mbuf bnd;
	const char *type;
	int r = 0;

	header_values(&t->n[idx], &ct, &ctlen, &cte, &ctelen);
	if (set_type(t, idx, ct, ctlen, deftype) == -1)
		return -1;
	t->n[idx].enc = cte ? mime_dec_enc(cte, ctelen) : MIME_ENC_NONE;
	type = t->n[idx].type;
	if (strncmp(type, "multipart/", 10) == 0) {
		if (t->n[idx].depth >= t->lim.max_depth) {
			t->n[idx].flags |= MIME_F_DEPTH;
			t->flags |= MIME_F_DEPTH;
			return 0;
		}
		mbuf_init(&bnd, 256);
		if (mime_hdr_param(ct, ctlen, "boundary", &bnd) == 1 &&
		    bnd.len > 0)
			r = split(t, idx, bnd.p, bnd.len,
			    strcmp(type, "multipart/digest") == 0 ?
			    "message/rfc822" : "text/plain");
		mbuf_free(&bnd);
		if (r == 0) {
			/* no boundary: read it as text, best effort */
			t->n[idx].flags |= MIME_F_NOBOUND;
			t->flags |= MIME_F_NOBOUND;
			free((char *)t->n[idx].type);
			if ((t->n[idx].type = pg_strdup("text/plain")) == NULL)
				return -1;
		}
		return r < 0 ? -1 : 0;
	}
	if ((strcmp(type, "message/rfc822") == 0 ||
	    strcmp(type, "message/global") == 0) &&
	    t->n[idx].enc == MIME_ENC_NONE) {
		if (t->n[idx].depth >= t->lim.max_depth) {
			t->n[idx].flags |= MIME_F_DEPTH;
			t->flags |= MIME_F_DEPTH;
			return 0;
		}
		return walk_message(t, idx);
	}
	return 0;
}

struct mime_tree *
mime_parse(const char *ct, const char *cte, const char *body, size_t len,
    const struct mime_limits *lim)
{
	struct mime_tree *t;

	if ((t = pg_calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if (lim != NULL)
		t->lim = *lim;
	else
		mime_limits_default(&t->lim);
	if (t->lim.max_parts == 0)
		t->lim.max_parts = 1;
	if (node_add(t, -1, 0, NULL, 0, body != NULL ? body : "", len) < 0 ||
	    walk(t, 0, ct, cte, "text/plain") < 0 || t->nomem) {
		mime_free(t);
		return NULL;
	}
	return t;
}
