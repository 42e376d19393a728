/*
 * http_req - parse one HTTP/1.x request head (RFC 9112) from a byte
 * buffer, for the stats listener's GET /metrics and GET /health
 *
 * Pure: bytes in, a request out; no sockets, no clock, no logging.
 *
 *	switch (http_req_parse(buf, len, &lim, &req, &used)) {
 *	case HTTP_REQ_MORE: read more, call again with the longer buffer;
 *	case HTTP_REQ_OK:   answer req, then drop used bytes (pipelining);
 *	default:            answer http_req_status_code(), close.
 *	}
 *
 * Input is untrusted. Only requests without a body are taken (what a
 * scraper sends): Content-Length other than 0, or any Transfer-Encoding,
 * is HTTP_REQ_ERR_BODY. A head longer than lim->head_max bytes is
 * HTTP_REQ_ERR_TOOLARGE as soon as that many bytes came without its end.
 * Line ends are CRLF or a bare LF (RFC 9112 section 2.2 lets a server take
 * LF); a bare CR, a NUL, obsolete line folding, a field name that is not
 * a token or white space before the colon are HTTP_REQ_ERR_SYNTAX.
 */
#ifndef HTTP_REQ_H
#define HTTP_REQ_H

#include <stddef.h>

#define HTTP_REQ_HEAD_MAX	8192	/* default */
#define HTTP_REQ_FIELDS_MAX	64	/* default */
#define HTTP_REQ_METHOD_MAX	16
#define HTTP_REQ_TARGET_MAX	512

enum http_req_status {
	HTTP_REQ_MORE = 0,	/* no complete head yet */
	HTTP_REQ_OK,		/* req filled in, *used the head's length */
	HTTP_REQ_ERR_SYNTAX,	/* 400 */
	HTTP_REQ_ERR_TOOLARGE,	/* 431: the head, or too many fields */
	HTTP_REQ_ERR_TARGET,	/* 414: target over HTTP_REQ_TARGET_MAX - 1 */
	HTTP_REQ_ERR_VERSION,	/* 505: not HTTP/1.0 or HTTP/1.1 */
	HTTP_REQ_ERR_BODY,	/* 400: a request with a body */
	HTTP_REQ_ERR_HOST	/* 400: HTTP/1.1 without exactly one Host */
};

struct http_req_limits {
	size_t		 head_max;	/* 0: HTTP_REQ_HEAD_MAX */
	unsigned	 fields_max;	/* 0: HTTP_REQ_FIELDS_MAX */
};

/* A request head; the strings are copies, NUL-terminated. */
struct http_req {
	char		 method[HTTP_REQ_METHOD_MAX];	/* "GET", case kept */
	char		 target[HTTP_REQ_TARGET_MAX];	/* "/metrics?x=1" */
	char		 path[HTTP_REQ_TARGET_MAX];	/* "/metrics": no query */
	int		 minor;		/* 0 or 1: HTTP/1.minor */
	int		 keep_alive;	/* 1: the connection may take another */
	unsigned	 nfields;
};

/*
 * http_req_parse - the request head at the start of buf (len bytes);
 * lim NULL for the defaults. On HTTP_REQ_OK *used is the head's length
 * with its empty line.
 */
enum http_req_status http_req_parse(const char *buf, size_t len,
		    const struct http_req_limits *lim, struct http_req *req,
		    size_t *used);
/* http_req_status_code - the HTTP status to answer an error with (400...) */
int		 http_req_status_code(enum http_req_status);

#endif /* HTTP_REQ_H */
