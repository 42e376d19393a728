/*
 * mime - the MIME structure of a message body: a tree of nodes (multipart
 * containers, message/rfc822 envelopes, leaves) with their header block,
 * raw body range, type, charset and transfer encoding.
 *
 * Input is untrusted. The parser reads the body in place (nodes point into
 * it; nothing of it is copied), so the body must outlive the tree. Limits:
 * at most max_parts nodes (the rest are left out), containers nested at
 * most max_depth deep (a deeper one is kept as a leaf), a part's header at
 * most header_max bytes. Malformed input gives a best-effort tree and a
 * flag, never an error: a multipart without its boundary is one text
 * leaf, a missing closing delimiter ends the last part at the end of the
 * body. The work is linear in the body size times the nesting depth.
 * Results point into the tree; valid until mime_free().
 */
#ifndef MIME_H
#define MIME_H

#include <stddef.h>

#include "mime_dec.h"

struct mime_limits {
	size_t	 max_parts;	/* nodes, containers included */
	size_t	 max_depth;	/* nesting of containers */
	size_t	 header_max;	/* one part's header block */
};

enum mime_kind {
	MIME_LEAF = 0,
	MIME_MULTI,		/* multipart/x: children are its parts */
	MIME_MESSAGE		/* message/rfc822: one child, the message */
};

/* mime_node.flags, and mime_flags() for the whole tree */
#define MIME_F_NOEND	0x1	/* a multipart's closing delimiter is missing */
#define MIME_F_NOBOUND	0x2	/* a multipart without a (found) boundary */
#define MIME_F_DEPTH	0x4	/* a container left unwalked: too deep */
#define MIME_F_PARTS	0x8	/* parts left out: too many */

struct mime_node {
	int		 parent;	/* index of the container; -1 for the root */
	unsigned	 depth;		/* 0 for the root */
	enum mime_kind	 kind;
	const char	*hdr;		/* the part's header block; NULL for the root */
	size_t		 hdrlen;
	const char	*body;		/* raw (still transfer-encoded) bytes */
	size_t		 bodylen;
	const char	*type;		/* lower case, no parameters */
	const char	*charset;	/* lower case, or NULL */
	enum mime_enc	 enc;
	unsigned	 flags;		/* MIME_F_* */
};

/* mime_limits_default - 1000 parts, 20 deep, 64 KiB headers */
void		 mime_limits_default(struct mime_limits *);

/*
 * mime_parse - the tree of a body whose header has the Content-Type value
 * ct and the Content-Transfer-Encoding value cte (either may be NULL).
 * NULL when memory runs out.
 */
struct mime_tree *mime_parse(const char *ct, const char *cte, const char *body,
		    size_t len, const struct mime_limits *);
void		 mime_free(struct mime_tree *);
size_t		 mime_count(const struct mime_tree *);
const struct mime_node *mime_node(const struct mime_tree *, size_t i);
unsigned	 mime_flags(const struct mime_tree *);

#endif /* MIME_H */
