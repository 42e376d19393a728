/*
 * test_tls - the TLS layer under conn, handshakes in-process: the server
 * side runs on a thread, the client on the main thread, over a socket
 * pair, both outside fibers (conn waits with poll()). Certificates are
 * made here (EC P-256, self-signed) into a temporary directory. Cases: a
 * handshake and lines both ways with the negotiated version and cipher, a
 * client that verifies (right name, wrong name), plaintext buffered before
 * TLS refused, garbage instead of a ClientHello, a stalled handshake
 * (deadline), a close in the middle of a record, a reload with a bad
 * certificate keeping the old one, a bad key at load.
 */
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "clock.h"
#include "conn.h"
#include "tls.h"

static char dir[64], crt[128], key[128], bad[128];

/* mkcert - a self-signed P-256 certificate for cn into crt and key */
static void
mkcert(const char *cn)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	FILE *f;

	assert_non_null(pk);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pk);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
	assert_non_null(f = fopen(crt, "w"));
	PEM_write_X509(f, x);
	fclose(f);
	assert_non_null(f = fopen(key, "w"));
	PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(pk);
}

static int
setup_all(void **state)
{
	FILE *f;

	(void)state;
	/* OpenSSL write()s the socket: a peer gone is EPIPE, as under serve */
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/test_tls.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(crt, sizeof(crt), "%s/c.pem", dir);
	snprintf(key, sizeof(key), "%s/k.pem", dir);
	snprintf(bad, sizeof(bad), "%s/bad.pem", dir);
	mkcert("mx.example.test");
	if ((f = fopen(bad, "w")) == NULL)
		return -1;
	fputs("-----BEGIN CERTIFICATE-----\nnot base64\n", f);
	fclose(f);
	return 0;
}

static int
teardown_all(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* the server thread's side */
struct srv {
	struct tls_ctx	*ctx;
	int		 fd;
	uint64_t	 ms;		/* handshake deadline from now */
	int		 ok;		/* handshake done */
	char		 err[256];
	char		 line[128];	/* the first line it read */
	enum conn_status st;		/* of that read */
	char		 cipher[64];
};

/* server - handshake, read one line, answer it, close */
static void *
server(void *arg)
{
	struct srv *s = arg;
	struct conn *c = conn_new(s->fd, 0, 0);
	struct tls *t;
	const char *l;
	size_t n;

	t = tls_start(c, s->ctx, NULL, clock_deadline(s->ms), s->err,
	    sizeof(s->err));
	if (t != NULL) {
		s->ok = 1;
		snprintf(s->cipher, sizeof(s->cipher), "%s",
		    tls_get_info(t)->cipher);
		s->st = conn_read_line(c, 0, clock_deadline(5000), CONN_STRIP_CR,
		    &l, &n);
		if (s->st == CONN_OK) {
			snprintf(s->line, sizeof(s->line), "%s", l);
			(void)conn_printf(c, 0, "250 got %s\r\n", l);
			(void)conn_flush(c, clock_deadline(5000));
		} else
			snprintf(s->err, sizeof(s->err), "%s", conn_error(c));
	}
	conn_free(c);
	return NULL;
}

/* pair - sv[0] for the server, sv[1] for the client, both non-blocking */
static void
pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
}

/* test_handshake - TLS both ways, a line each way, what was negotiated */
static void
test_handshake(void **state)
{
	char err[256];
	struct srv s = { .ms = 5000 };
	struct tls_ctx *cc;
	struct conn *c;
	struct tls *t;
	pthread_t th;
	const char *l;
	size_t n;
	int sv[2];

	(void)state;
	assert_non_null(s.ctx = tls_server_new(crt, key, NULL, err, sizeof(err)));
	assert_non_null(cc = tls_client_new(TLS_VERIFY_NONE, NULL, err, sizeof(err)));
	pair(sv);
	s.fd = sv[0];
	pthread_create(&th, NULL, server, &s);
	c = conn_new(sv[1], 0, 0);
	t = tls_start(c, cc, "mx.example.test", clock_deadline(5000), err,
	    sizeof(err));
	assert_non_null(t);
	assert_string_equal(tls_get_info(t)->version, "TLSv1.3");
	assert_true(tls_get_info(t)->bits >= 128);
	assert_string_equal(tls_get_info(t)->peer_subject, "/CN=mx.example.test");
	assert_false(tls_get_info(t)->verified);	/* not asked for */
	assert_int_equal(conn_printf(c, 0, "EHLO client\r\n"), CONN_OK);
	assert_int_equal(conn_flush(c, clock_deadline(5000)), CONN_OK);
	assert_int_equal(conn_read_line(c, 0, clock_deadline(5000), CONN_STRIP_CR,
	    &l, &n), CONN_OK);
	assert_string_equal(l, "250 got EHLO client");
	pthread_join(th, NULL);
	assert_true(s.ok);
	assert_string_equal(s.line, "EHLO client");
	assert_string_equal(s.cipher, tls_get_info(t)->cipher);
	/* the server closed with close_notify: a clean end */
	assert_int_equal(conn_fill(c, clock_deadline(5000), 0), CONN_EOF);
	conn_free(c);
	tls_ctx_free(cc);
	tls_ctx_free(s.ctx);
}

/*
 * client_to - a verifying client against a server on sctx (NULL: a fresh
 * one); 1 when it got through
 */
static int
client_to(const char *name, const char *ca, struct tls_ctx *sctx, char *err,
    size_t errlen)
{
	struct srv s = { .ms = 5000 };
	struct tls_ctx *cc;
	struct conn *c;
	struct tls *t;
	pthread_t th;
	int sv[2];

	if ((s.ctx = sctx) == NULL)
		assert_non_null(s.ctx = tls_server_new(crt, key, NULL, err, errlen));
	assert_non_null(cc = tls_client_new(TLS_VERIFY_PEER, ca, err, errlen));
	pair(sv);
	s.fd = sv[0];
	pthread_create(&th, NULL, server, &s);
	c = conn_new(sv[1], 0, 0);
	t = tls_start(c, cc, name, clock_deadline(5000), err, errlen);
	if (t != NULL)
		assert_true(tls_get_info(t)->verified);
	conn_free(c);		/* the server's read ends */
	pthread_join(th, NULL);
	tls_ctx_free(cc);
	if (sctx == NULL)
		tls_ctx_free(s.ctx);
	return t != NULL;
}

/* test_verify - the right name passes, a wrong one and an unknown CA do not */
static void
test_verify(void **state)
{
	char err[256];

	(void)state;
	assert_true(client_to("mx.example.test", crt, NULL, err, sizeof(err)));
	assert_false(client_to("other.example.test", crt, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "certificate verify failed"));
	assert_false(client_to("mx.example.test", NULL, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "certificate verify failed"));
}

/* test_plaintext_buffered - bytes read before TLS are refused, not taken */
static void
test_plaintext_buffered(void **state)
{
	char err[256];
	struct tls_ctx *ctx;
	struct conn *c;
	int sv[2];

	(void)state;
	assert_non_null(ctx = tls_server_new(crt, key, NULL, err, sizeof(err)));
	pair(sv);
	assert_int_equal(write(sv[1], "RSET\r\n", 6), 6);
	c = conn_new(sv[0], 0, 0);
	assert_int_equal(conn_fill(c, clock_deadline(5000), 0), CONN_OK);
	assert_null(tls_start(c, ctx, NULL, clock_deadline(1000), err, sizeof(err)));
	assert_non_null(strstr(err, "plaintext"));
	conn_free(c);
	/* discarded, the same bytes no longer stop it (then it waits: stalled) */
	pair(sv);
	assert_int_equal(write(sv[1], "RSET\r\n", 6), 6);
	c = conn_new(sv[0], 0, 0);
	assert_int_equal(conn_fill(c, clock_deadline(5000), 0), CONN_OK);
	assert_int_equal(conn_discard(c), 6);
	assert_null(tls_start(c, ctx, NULL, clock_deadline(300), err, sizeof(err)));
	assert_string_equal(err, "TLS handshake timed out");
	conn_free(c);
	close(sv[1]);
	tls_ctx_free(ctx);
}

/* server_gets - a server handshake over bytes from the peer; its error */
static void
server_gets(const char *bytes, size_t n, int keep_open, char *err, size_t errlen)
{
	struct srv s = { .ms = 500 };
	pthread_t th;
	int sv[2];

	assert_non_null(s.ctx = tls_server_new(crt, key, NULL, err, errlen));
	pair(sv);
	s.fd = sv[0];
	if (n > 0)
		assert_int_equal(write(sv[1], bytes, n), (ssize_t)n);
	if (!keep_open)
		shutdown(sv[1], SHUT_WR);
	pthread_create(&th, NULL, server, &s);
	pthread_join(th, NULL);
	assert_false(s.ok);
	snprintf(err, errlen, "%s", s.err);
	close(sv[1]);
	tls_ctx_free(s.ctx);
}

/* test_bad_peers - garbage, a stall, a close in the middle of a record */
static void
test_bad_peers(void **state)
{
	/* a TLS record header promising 512 bytes, then 3 of them */
	static const char cut[] = "\x16\x03\x01\x02\x00\x01\x00\x01";
	char err[256];

	(void)state;
	server_gets("EHLO garbage\r\n", 14, 0, err, sizeof(err));
	assert_non_null(strstr(err, "TLS"));
	assert_null(strstr(err, "timed out"));
	server_gets("", 0, 1, err, sizeof(err));
	assert_string_equal(err, "TLS handshake timed out");
	server_gets(cut, sizeof(cut) - 1, 0, err, sizeof(err));
	assert_non_null(strstr(err, "TLS"));
	assert_null(strstr(err, "timed out"));
}

/* test_reload - a bad file at reload keeps the running certificate */
static void
test_reload(void **state)
{
	char err[256], saved[160];
	struct tls_ctx *ctx;

	(void)state;
	assert_null(tls_server_new(bad, key, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, bad));
	assert_null(tls_server_new(crt, crt, NULL, err, sizeof(err)));
	assert_null(tls_server_new(crt, key, "NO-SUCH-CIPHER", err, sizeof(err)));
	assert_non_null(ctx = tls_server_new(crt, key, NULL, err, sizeof(err)));
	assert_int_equal(tls_ctx_reload(ctx, err, sizeof(err)), 0);
	/* the file goes bad: the reload fails, the context still serves */
	snprintf(saved, sizeof(saved), "%s.keep", crt);
	assert_int_equal(rename(crt, saved), 0);
	assert_int_equal(rename(bad, crt), 0);
	assert_int_equal(tls_ctx_reload(ctx, err, sizeof(err)), -1);
	assert_int_equal(rename(crt, bad), 0);
	assert_int_equal(rename(saved, crt), 0);
	assert_true(client_to("mx.example.test", crt, ctx, err, sizeof(err)));
	tls_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_plaintext_buffered),
		cmocka_unit_test(test_bad_peers),
		cmocka_unit_test(test_reload),
	};

	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
