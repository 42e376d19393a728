/*
 * fuzz_mime - libFuzzer target over the MIME layer: the structure parser
 * with small limits, then for every leaf its transfer decoding, charset
 * conversion, HTML rendering (text/html) and link search and normalising,
 * header decoding, parameters and address lists. Input: the body; the
 * first line (up to a LF) is used as the root Content-Type value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "charset.h"
#include "html.h"
#include "mbuf.h"
#include "mime.h"
#include "mime_dec.h"
#include "mime_hdr.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* on_url - normalise every span found: into one buffer, and into an arena with a domain cache as content.c does */
static int
on_url(void *ctx, const char *s, size_t n)
{
	static struct url_cache *cache;
	struct arena *a = NULL;
	struct url u;

	(void)ctx;
	if (url_parse(s, n, &u, NULL, NULL) == 0)
		free(u.buf);
	if (cache == NULL)
		cache = url_cache_new();
	/* what the strings must say of one another */
	if (url_parse(s, n, &u, cache, &a) == 0 && (u.buf != NULL ||
	    strncmp(u.url, u.scheme, strlen(u.scheme)) != 0 ||
	    strstr(u.url, u.host) == NULL || strstr(u.host, u.domain) == NULL))
		abort();
	arena_free(&a);
	return 0;
}

static int
on_link(void *ctx, const char *url, const char *text)
{
	(void)ctx;
	on_url(NULL, url, strlen(url));
	(void)text;
	return 0;
}

static int
on_addr(void *ctx, const char *name, const char *addr)
{
	(void)ctx;
	(void)name;
	(void)addr;
	return 0;
}

/* leaf - what content.c does with one leaf */
static void
leaf(const struct mime_node *n)
{
	struct mbuf u, h;
	char *dec = malloc(n->bodylen + 1);
	const char *v;
	size_t len, vl;

	if (dec == NULL)
		return;
	len = mime_dec(n->enc, n->body, n->bodylen, dec, n->bodylen, NULL, NULL);
	mbuf_init(&u, 1 << 20);
	charset_to_utf8(n->charset, dec, len, &u);
	mbuf_init(&h, 1 << 20);
	if (strcmp(n->type, "text/html") == 0)
		html_render(u.p ? u.p : "", u.len, &h, on_link, NULL, NULL);
	url_find(h.len ? h.p : u.p ? u.p : "", h.len ? h.len : u.len, on_url,
	    NULL);
	mbuf_free(&h);
	mbuf_reset(&u);
	if (n->hdr != NULL) {
		if (mime_hdr_field(n->hdr, n->hdrlen, "Content-Disposition", 1, &v,
		    &vl))
			mime_hdr_param(v, vl, "filename", &u);
		if (mime_hdr_field(n->hdr, n->hdrlen, "From", 1, &v, &vl))
			mime_hdr_addrs(v, vl, on_addr, NULL);
		if (mime_hdr_field(n->hdr, n->hdrlen, "Subject", 1, &v, &vl))
			mime_hdr_decode(v, vl, &u);
	}
	mbuf_free(&u);
	free(dec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits lim = { 200, 12, 4096 };
	const char *nl = memchr(data, '\n', size);
	struct mime_tree *t;
	char *ct = NULL;
	size_t i, cl = nl ? (size_t)(nl - (const char *)data) : 0;

	if (nl != NULL && (ct = malloc(cl + 1)) != NULL) {
		memcpy(ct, data, cl);
		ct[cl] = '\0';
	}
	t = mime_parse(ct, NULL, nl ? nl + 1 : (const char *)data,
	    nl ? size - cl - 1 : size, &lim);
	for (i = 0; t != NULL && i < mime_count(t); i++)
		if (mime_node(t, i)->kind == MIME_LEAF)
			leaf(mime_node(t, i));
	mime_free(t);
	free(ct);
	return 0;
}
