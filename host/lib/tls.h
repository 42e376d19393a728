/*
 * tls - TLS under a buffered connection (conn.h), with OpenSSL 3
 *
 * A context (struct tls_ctx) holds one OpenSSL SSL_CTX: a server's
 * certificate chain and key, or a client's verification settings. A
 * server context can be reloaded (tls_ctx_reload(): new files, same
 * object): connections that started before keep the old SSL_CTX until they
 * end (OpenSSL counts its references), new ones get the new one, and a
 * reload that fails leaves the old one in place. tls_start() runs the
 * handshake on a conn, parking its fiber while the socket is not ready,
 * and then puts the TLS layer under the conn's buffers (conn_set_ops()):
 * every later conn call reads and writes through TLS, and conn_free() ends
 * it (close_notify) and frees it.
 *
 * Protocols: TLS 1.2 and 1.3 only; OpenSSL's default ciphers unless the
 * context names a list; no renegotiation (a client asking for one gets
 * an alert, and its connection fails). Servers issue session tickets and
 * keep a session cache (resumption: tls_info.resumed).
 *
 * OpenSSL writes the socket with write(): the program ignores SIGPIPE
 * (serve does). Nothing here logs: failures come back as text in err.
 */
#ifndef TLS_H
#define TLS_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"

struct tls_ctx;
struct tls;

/* what a handshake came to (tls_get_info()) */
struct tls_info {
	char		 version[16];		/* "TLSv1.3", as OpenSSL names it */
	char		 cipher[64];		/* "TLS_AES_256_GCM_SHA384" */
	int		 bits;			/* the cipher's secret bits */
	int		 alg_bits;		/* the algorithm's bits */
	char		 peer_subject[256];	/* the peer certificate's subject; "" none */
	int		 verified;		/* the peer's certificate was verified */
	int		 resumed;		/* an earlier session was resumed */
};

/* the upstream side's checks (tls_client_new()) */
enum tls_verify {
	TLS_VERIFY_NONE = 0,	/* encrypt: any certificate */
	TLS_VERIFY_PEER		/* verify: a chain to ca (or the system's) and the name */
};

/*
 * tls_server_new - a server context: the certificate chain (PEM, leaf
 * first) and its key, ciphers (TLS 1.2 list; NULL: OpenSSL's default).
 * NULL with the reason in err.
 */
struct tls_ctx	*tls_server_new(const char *cert, const char *key,
		    const char *ciphers, char *err, size_t errlen);
/*
 * tls_client_new - a client context; with TLS_VERIFY_PEER the server's
 * chain must lead to a certificate in ca (a PEM file; NULL: the system's
 * store) and name the host given to tls_start(). NULL with err.
 */
struct tls_ctx	*tls_client_new(enum tls_verify, const char *ca, char *err,
		    size_t errlen);
/*
 * tls_ctx_reload - a server context reads its files again (the ones it
 * was made with); 0, or -1 with err and the old certificate still in use
 */
int		 tls_ctx_reload(struct tls_ctx *, char *err, size_t errlen);
void		 tls_ctx_free(struct tls_ctx *);

/*
 * tls_start - the handshake on c (nothing may be buffered in c: -1 with
 * "plaintext buffered"), as the context's side; name: the server name to
 * send (SNI) and, with TLS_VERIFY_PEER, to check (client side; NULL:
 * none). Done by deadline (clock_ms(); 0: none). The layer, owned by c
 * from then on (it goes with conn_free()), or NULL with the reason in
 * err: c is then unusable.
 */
struct tls	*tls_start(struct conn *c, struct tls_ctx *ctx, const char *name,
		    uint64_t deadline, char *err, size_t errlen);
/* tls_get_info - the handshake's outcome (valid as long as the conn) */
const struct tls_info *tls_get_info(const struct tls *);

#endif /* TLS_H */
