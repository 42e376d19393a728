/*
 * html - HTML rendered to plain text for rules, with its links
 *
 * Input is untrusted UTF-8 (convert the part's charset first) and may be
 * broken anywhere: a tag that never closes ends at the end of the input,
 * an unknown entity stays as written. Tags are dropped, block elements
 * become line breaks, white space is collapsed, entities are decoded and
 * zero-width characters (U+200B..U+200D, U+FEFF, soft hyphens) dropped,
 * so that a phrase split by tags, entities or invisible characters reads
 * whole. Text that a reader cannot see is dropped and counted: script,
 * style and head contents, and elements hidden by the hidden attribute or
 * a style of display:none, visibility:hidden, font-size:0 or opacity:0
 * (up to their closing tag, or the end when they never close).
 *
 * Links: for every <a href>, <area href> and <img src>, link(ctx, url,
 * text) is called with the attribute (entities decoded) and the visible
 * text of the element ("" for images), both NUL-terminated and valid for
 * the call only; a link callback returning -1 stops the rendering.
 * Nesting is tracked up to HTML_DEPTH_MAX open elements, deeper ones are
 * read as if they closed at once.
 */
#ifndef HTML_H
#define HTML_H

#include <stddef.h>

#include "mbuf.h"

#define HTML_DEPTH_MAX	256

struct html_result {
	size_t	 hidden;	/* bytes of text dropped as invisible */
	size_t	 links;		/* link() calls */
};

/* html_render - append the text of len bytes of HTML to out; 0 or -1 (out failed, or link() stopped) */
int	 html_render(const char *in, size_t len, struct mbuf *out,
	    int (*link)(void *ctx, const char *url, const char *text),
	    void *ctx, struct html_result *res);

#endif /* HTML_H */
