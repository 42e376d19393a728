/*
 * tls - TLS under a buffered connection, OpenSSL 3 (tls.h)
 *
 * Public: tls_server_new(), tls_client_new(), tls_ctx_reload(),
 * tls_ctx_free(), tls_start(), tls_get_info().
 *
 * The SSL object reads and writes the socket itself (SSL_set_fd()); the
 * socket is non-blocking, so an SSL call that cannot go on says whether it
 * wants the socket readable or writable (a TLS read may have to write, a
 * write to read), which is what conn's byte layer reports with *want and
 * EAGAIN. SSL_pending() tells conn about decrypted bytes the socket no
 * longer shows. A TLS failure is EPROTO with OpenSSL's reason kept for
 * conn_error() (the layer's error hook).
 *
 * A server context's SSL_CTX is swapped under a mutex by tls_ctx_reload();
 * tls_start() takes it under the same mutex (SSL_new() holds a reference,
 * so a connection keeps the SSL_CTX it started with). OpenSSL's error
 * queue is per thread: it is cleared before each call and read right
 * after it, with no fiber switch in between.
 *
 * Trust: the peer's bytes go only to OpenSSL. Renegotiation is refused
 * (SSL_OP_NO_RENEGOTIATION); TLS below 1.2 is refused.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "fiber.h"
#include "tls.h"

struct tls_ctx {
	pthread_mutex_t	 lock;
	SSL_CTX		*ssl;		/* under lock */
	int		 server;
	enum tls_verify	 verify;
	char		*cert, *key, *ciphers;	/* a server's files, for reload */
};

struct tls {
	SSL		*ssl;
	int		 up;		/* the handshake is done */
	struct tls_info	 info;
	char		 err[160];
};

/* ssl_err - OpenSSL's last reason (or what) into err */
static void
ssl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_peek_error();	/* the first: the cause */
	char buf[160];

	if (e == 0) {
		snprintf(err, errlen, "%s", what);
		return;
	}
	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s: %s", what, buf);
	ERR_clear_error();
}

/* base_ctx - an SSL_CTX with the settings both sides share */
static SSL_CTX *
base_ctx(int server, char *err, size_t errlen)
{
	SSL_CTX *s;

	ERR_clear_error();
	if ((s = SSL_CTX_new(server ? TLS_server_method() :
	    TLS_client_method())) == NULL) {
		ssl_err(err, errlen, "SSL_CTX_new");
		return NULL;
	}
	(void)SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION);
	SSL_CTX_set_options(s, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	return s;
}

/* server_ssl_ctx - a server SSL_CTX from the files; NULL with err */
static SSL_CTX *
server_ssl_ctx(const char *cert, const char *key, const char *ciphers,
    char *err, size_t errlen)
{
	static const unsigned char sid[] = "phasegate";
	SSL_CTX *s;

	if ((s = base_ctx(1, err, errlen)) == NULL)
		return NULL;
	if (SSL_CTX_use_certificate_chain_file(s, cert) != 1) {
		ssl_err(err, errlen, cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(s, key, SSL_FILETYPE_PEM) != 1) {
		ssl_err(err, errlen, key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(s) != 1) {
		ssl_err(err, errlen, "the key does not match the certificate");
		goto fail;
	}
	if (ciphers != NULL && SSL_CTX_set_cipher_list(s, ciphers) != 1) {
		ssl_err(err, errlen, "ciphers");
		goto fail;
	}
	/* resumption: the session cache (TLS 1.2 ids) and tickets (both) */
	(void)SSL_CTX_set_session_id_context(s, sid, sizeof(sid) - 1);
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_SERVER);
	return s;
fail:
	SSL_CTX_free(s);
	return NULL;
}

/* ctx_alloc - the wrapper around s; NULL (s freed) without memory */
static struct tls_ctx *
ctx_alloc(SSL_CTX *s, int server, char *err, size_t errlen)
{
	struct tls_ctx *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		SSL_CTX_free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->ssl = s;
	t->server = server;
	return t;
}

/* dup_or_null - strdup() that keeps NULL; -1 when out of memory */
static int
dup_or_null(char **dst, const char *s)
{
	*dst = NULL;
	return s != NULL && (*dst = strdup(s)) == NULL ? -1 : 0;
}

struct tls_ctx *
tls_server_new(const char *cert, const char *key, const char *ciphers,
    char *err, size_t errlen)
{
	struct tls_ctx *t;
	SSL_CTX *s;

	if ((s = server_ssl_ctx(cert, key, ciphers, err, errlen)) == NULL)
		return NULL;
	if ((t = ctx_alloc(s, 1, err, errlen)) == NULL)
		return NULL;
	if (dup_or_null(&t->cert, cert) == -1 || dup_or_null(&t->key, key) ==
	    -1 || dup_or_null(&t->ciphers, ciphers) == -1) {
		tls_ctx_free(t);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return t;
}

struct tls_ctx *
tls_client_new(enum tls_verify v, const char *ca, char *err, size_t errlen)
{
	struct tls_ctx *t;
	SSL_CTX *s;
	int ok;

	if ((s = base_ctx(0, err, errlen)) == NULL)
		return NULL;
	if (v == TLS_VERIFY_PEER) {
		ok = ca != NULL ? SSL_CTX_load_verify_locations(s, ca, NULL) :
		    SSL_CTX_set_default_verify_paths(s);
		if (ok != 1) {
			ssl_err(err, errlen, ca != NULL ? ca :
			    "the system's certificate store");
			SSL_CTX_free(s);
			return NULL;
		}
		SSL_CTX_set_verify(s, SSL_VERIFY_PEER, NULL);
	} else
		SSL_CTX_set_verify(s, SSL_VERIFY_NONE, NULL);
	if ((t = ctx_alloc(s, 0, err, errlen)) != NULL)
		t->verify = v;
	return t;
}

int
tls_ctx_reload(struct tls_ctx *t, char *err, size_t errlen)
{
	SSL_CTX *s, *old;

	if (!t->server)
		return 0;
	if ((s = server_ssl_ctx(t->cert, t->key, t->ciphers, err, errlen)) ==
	    NULL)
		return -1;
	pthread_mutex_lock(&t->lock);
	old = t->ssl;
	t->ssl = s;
	pthread_mutex_unlock(&t->lock);
	SSL_CTX_free(old);	/* connections on it hold their own reference */
	return 0;
}

void
tls_ctx_free(struct tls_ctx *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ssl);
	pthread_mutex_destroy(&t->lock);
	free(t->cert);
	free(t->key);
	free(t->ciphers);
	free(t);
}

/* --- the byte layer --- */

/*
 * outcome - an SSL call that did not move bytes: -1 with EAGAIN and
 * *want, 0 for the peer's close_notify, or -1 with EPROTO (reason kept)
 */
static ssize_t
outcome(struct tls *t, int r, unsigned *want)
{
	int e = SSL_get_error(t->ssl, r), se = errno;

	switch (e) {
	case SSL_ERROR_WANT_READ:
		*want = FIBER_IN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		*want = FIBER_OUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		snprintf(t->err, sizeof(t->err), "TLS: %s", se ? strerror(se) :
		    "connection closed");
		ERR_clear_error();
		break;
	default:
		ssl_err(t->err, sizeof(t->err), "TLS");
		break;
	}
	errno = EPROTO;
	return -1;
}

/* layer_read - conn_ops read: SSL_read_ex() */
static ssize_t
layer_read(void *ctx, int fd, void *buf, size_t len, unsigned *want)
{
	struct tls *t = ctx;
	size_t n;
	int r;

	(void)fd;
	ERR_clear_error();
	errno = 0;
	if ((r = SSL_read_ex(t->ssl, buf, len, &n)) == 1)
		return (ssize_t)n;
	return outcome(t, r, want);
}

/* layer_write - conn_ops write: SSL_write_ex() (partial writes allowed) */
static ssize_t
layer_write(void *ctx, int fd, const void *buf, size_t len, unsigned *want)
{
	struct tls *t = ctx;
	size_t n;
	int r;

	(void)fd;
	ERR_clear_error();
	errno = 0;
	if ((r = SSL_write_ex(t->ssl, buf, len, &n)) == 1)
		return (ssize_t)n;
	return outcome(t, r, want);
}

/* layer_pending - decrypted bytes OpenSSL holds */
static size_t
layer_pending(void *ctx)
{
	struct tls *t = ctx;
	int n = SSL_pending(t->ssl);

	return n > 0 ? (size_t)n : 0;
}

/* layer_close - close_notify (once, not waited for) and free */
static void
layer_close(void *ctx)
{
	struct tls *t = ctx;

	if (t->up) {
		ERR_clear_error();
		(void)SSL_shutdown(t->ssl);
		ERR_clear_error();
	}
	SSL_free(t->ssl);
	free(t);
}

/* layer_error - the reason of the last EPROTO */
static const char *
layer_error(void *ctx)
{
	struct tls *t = ctx;

	return t->err[0] ? t->err : "TLS error";
}

static const struct conn_ops tls_ops = { layer_read, layer_write,
    layer_pending, layer_close, layer_error };

/* --- the handshake --- */

/* fill_info - the negotiated version, cipher and peer */
static void
fill_info(struct tls *t)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(t->ssl);
	struct tls_info *i = &t->info;
	X509 *peer;

	snprintf(i->version, sizeof(i->version), "%s", SSL_get_version(t->ssl));
	snprintf(i->cipher, sizeof(i->cipher), "%s", c ? SSL_CIPHER_get_name(c) :
	    "none");
	i->bits = c ? SSL_CIPHER_get_bits(c, &i->alg_bits) : 0;
	i->resumed = SSL_session_reused(t->ssl);
	if ((peer = SSL_get1_peer_certificate(t->ssl)) != NULL) {
		X509_NAME_oneline(X509_get_subject_name(peer), i->peer_subject,
		    sizeof(i->peer_subject));
		i->verified = SSL_get_verify_result(t->ssl) == X509_V_OK;
		X509_free(peer);
	}
}

/* new_ssl - the connection's SSL on the context's current SSL_CTX */
static SSL *
new_ssl(struct tls_ctx *ctx)
{
	SSL *s;

	pthread_mutex_lock(&ctx->lock);
	s = SSL_new(ctx->ssl);
	pthread_mutex_unlock(&ctx->lock);
	return s;
}

/* client_name - SNI and, when verifying, the name to check; 0 or -1 */
static int
client_name(struct tls_ctx *ctx, SSL *s, const char *name)
{
	if (name == NULL || name[0] == '\0')
		return 0;
	if (SSL_set_tlsext_host_name(s, name) != 1)
		return -1;
	if (ctx->verify == TLS_VERIFY_PEER && SSL_set1_host(s, name) != 1)
		return -1;
	return 0;
}

/* handshake - drive SSL_do_handshake() to its end; 0 or -1 with t->err */
static int
handshake(struct conn *c, struct tls *t, uint64_t deadline)
{
	enum conn_status st;
	unsigned want = FIBER_IN;
	int r;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		if ((r = SSL_do_handshake(t->ssl)) == 1)
			return 0;
		if (outcome(t, r, &want) == 0) {
			snprintf(t->err, sizeof(t->err), "TLS: connection closed");
			return -1;
		}
		if (errno != EAGAIN)
			return -1;
		if ((st = conn_wait(c, want, deadline, 0)) != CONN_OK) {
			snprintf(t->err, sizeof(t->err), "TLS handshake %s",
			    conn_strstatus(st));
			return -1;
		}
	}
}

struct tls *
tls_start(struct conn *c, struct tls_ctx *ctx, const char *name,
    uint64_t deadline, char *err, size_t errlen)
{
	struct tls *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ERR_clear_error();
	if ((t->ssl = new_ssl(ctx)) == NULL ||
	    SSL_set_fd(t->ssl, conn_fd(c)) != 1 ||
	    (!ctx->server && client_name(ctx, t->ssl, name) == -1)) {
		ssl_err(err, errlen, "TLS setup");
		SSL_free(t->ssl);
		free(t);
		return NULL;
	}
	if (ctx->server)
		SSL_set_accept_state(t->ssl);
	else
		SSL_set_connect_state(t->ssl);
	/* from here the conn owns t (layer_close() at conn_free()) */
	if (conn_set_ops(c, &tls_ops, t) == -1) {
		snprintf(err, errlen, "plaintext buffered before TLS");
		SSL_free(t->ssl);
		free(t);
		return NULL;
	}
	if (handshake(c, t, deadline) == -1) {
		snprintf(err, errlen, "%s", t->err);
		return NULL;
	}
	t->up = 1;
	fill_info(t);
	return t;
}

const struct tls_info *
tls_get_info(const struct tls *t)
{
	return &t->info;
}
