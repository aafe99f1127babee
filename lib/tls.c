#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "chan.h"
#include "crypto.h"
#include "err.h"
#include "file.h"
#include "tls.h"

#define CERT_DAYS 3650
#define PEM_MAX (16u * 1024)
/* FIPS-approved suites only; the group and signature are P-384's. */
#define SUITES "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"
#define GROUPS "P-384"
#define SIGALGS "ecdsa_secp384r1_sha384"

struct tls_ctx {
	SSL_CTX *ctx;
	int server;
};

struct tls_conn {
	SSL *ssl;
	int fd;
	int done;                 /* handshake completed */
	uint8_t peer_fp[TLS_FP_LEN];
};

static int
ossl_error(int r, const char *what)
{
	unsigned long e = ERR_get_error();
	char msg[256] = "";

	if (e != 0)
		ERR_error_string_n(e, msg, sizeof(msg));
	ERR_clear_error();
	err_set_detail("%s%s%s", what, msg[0] ? ": " : "", msg);
	return r;
}

static int
is_p384(EVP_PKEY *pk)
{
	char g[64];

	return pk != NULL && EVP_PKEY_is_a(pk, "EC") &&
	    EVP_PKEY_get_group_name(pk, g, sizeof(g), NULL) == 1 &&
	    strcmp(g, "secp384r1") == 0;
}

static int
cert_fp(X509 *x, uint8_t fp[TLS_FP_LEN])
{
	unsigned int n = TLS_FP_LEN;

	if (X509_digest(x, EVP_sha256(), fp, &n) != 1 || n != TLS_FP_LEN)
		return ossl_error(CE_CRYPTO, "cannot hash a certificate");
	return 0;
}

void
tls_fp_str(const uint8_t fp[TLS_FP_LEN], char out[TLS_FP_STR_LEN + 1])
{
	size_t i, o = 7;

	memcpy(out, "SHA256:", 7);
	for (i = 0; i < TLS_FP_LEN; i++) {
		snprintf(out + o, 4, "%s%02x", i ? ":" : "", fp[i]);
		o += i ? 3 : 2;
	}
	out[o] = '\0';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
tls_fp_parse(const char *s, uint8_t fp[TLS_FP_LEN])
{
	size_t n = 0;
	int hi, lo;

	if (strncasecmp(s, "SHA256:", 7) == 0)
		s += 7;
	while (*s != '\0') {
		if (*s == ':' && n > 0) {
			s++;
			continue;
		}
		if (n == TLS_FP_LEN || (hi = hexval(s[0])) < 0 ||
		    (lo = hexval(s[1])) < 0)
			goto bad;
		fp[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	if (n == TLS_FP_LEN)
		return 0;
 bad:
	err_set_detail("a certificate fingerprint is SHA256: and 32 hex "
	    "bytes (as 'rbs init' and 'rbs enroll' print it)");
	return CE_USAGE;
}

static int
read_pem(const char *path, struct buf **bp)
{
	int r;

	if ((r = file_read(path, PEM_MAX, bp)) != 0 && r == CE_NOT_FOUND)
		err_set_detail("no file '%s'", path);
	return r;
}

static int
load_cert(const char *path, X509 **xp)
{
	struct buf *b = NULL;
	BIO *bio = NULL;
	X509 *x = NULL;
	int r;

	if ((r = read_pem(path, &b)) != 0)
		return r;
	if ((bio = BIO_new_mem_buf(buf_ptr(b), (int)buf_len(b))) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		r = ossl_error(CE_FORMAT, "not a PEM certificate");
		err_set_detail("'%s' is not a PEM certificate", path);
		goto out;
	}
	if (!is_p384(X509_get0_pubkey(x))) {
		err_set_detail("'%s' does not carry an ECDSA P-384 key; make "
		    "one with 'rbs enroll'", path);
		r = CE_UNSUPPORTED;
		goto out;
	}
	*xp = x;
	x = NULL;
	r = 0;
 out:
	X509_free(x);
	BIO_free(bio);
	buf_free(b);
	return r;
}

int
tls_cert_file_fp(const char *path, uint8_t fp[TLS_FP_LEN])
{
	X509 *x = NULL;
	int r;

	if ((r = load_cert(path, &x)) == 0)
		r = cert_fp(x, fp);
	X509_free(x);
	return r;
}

/* The PEM of pk's private key, in a buffer wiped by the caller. */
static int
key_pem(EVP_PKEY *pk, BIO **biop)
{
	BIO *bio;

	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) != 1) {
		BIO_free(bio);
		return ossl_error(CE_CRYPTO, "cannot encode the key");
	}
	*biop = bio;
	return 0;
}

/* Adds an extension; for the subject alternative name, DNS:cn. */
static int
add_ext(X509 *x, int nid, const char *value)
{
	char v[300];
	X509_EXTENSION *e;
	X509V3_CTX ctx;
	int ok;

	if (nid == NID_subject_alt_name)
		snprintf(v, sizeof(v), "DNS:%s", value);
	else
		snprintf(v, sizeof(v), "%s", value);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, v)) == NULL)
		return ossl_error(CE_CRYPTO, "cannot make a certificate "
		    "extension");
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok == 1 ? 0 : ossl_error(CE_CRYPTO, "cannot add a "
	    "certificate extension");
}

static int
make_cert(EVP_PKEY *pk, const char *cn, X509 **xp)
{
	X509 *x = NULL;
	X509_NAME *nm;
	uint8_t serial[16];
	BIGNUM *bn = NULL;
	int r = CE_CRYPTO;

	cc_random(serial, sizeof(serial));
	serial[0] &= 0x7f;
	if ((x = X509_new()) == NULL || X509_set_version(x, 2) != 1 ||
	    (bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x),
	    (long)CERT_DAYS * 86400) == NULL ||
	    X509_set_pubkey(x, pk) != 1 ||
	    (nm = X509_get_subject_name(x)) == NULL ||
	    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, nm) != 1 ||
	    (r = add_ext(x, NID_subject_alt_name, cn)) != 0 ||
	    (r = add_ext(x, NID_basic_constraints, "critical,CA:FALSE")) != 0 ||
	    (r = add_ext(x, NID_key_usage, "critical,digitalSignature")) != 0 ||
	    X509_sign(x, pk, EVP_sha384()) == 0) {
		r = ossl_error(CE_CRYPTO, "cannot make the certificate");
		goto out;
	}
	*xp = x;
	x = NULL;
	r = 0;
 out:
	BN_free(bn);
	X509_free(x);
	return r;
}

int
tls_identity_create(const char *dir, const char *cn, uint8_t fp[TLS_FP_LEN])
{
	char kpath[PATH_MAX], cpath[PATH_MAX];
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	BIO *kb = NULL, *cb = NULL;
	BUF_MEM *mem;
	uint8_t f[TLS_FP_LEN];
	struct stat st;
	int r;

	if (snprintf(kpath, sizeof(kpath), "%s/" TLS_KEY_FILE, dir) >=
	    (int)sizeof(kpath) ||
	    snprintf(cpath, sizeof(cpath), "%s/" TLS_CERT_FILE, dir) >=
	    (int)sizeof(cpath)) {
		err_set_detail("directory path too long");
		return CE_TOO_LONG;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		err_set_detail("cannot create '%s': %s", dir, strerror(errno));
		return CE_IO;
	}
	if (stat(kpath, &st) == 0) {
		err_set_detail("'%s' already holds an identity (%s); use "
		    "another directory", dir, TLS_KEY_FILE);
		return CE_EXISTS;
	}
	if ((pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384")) == NULL) {
		r = ossl_error(CE_CRYPTO, "cannot generate a P-384 key");
		goto out;
	}
	if ((r = make_cert(pk, cn, &x)) != 0 || (r = cert_fp(x, f)) != 0 ||
	    (r = key_pem(pk, &kb)) != 0)
		goto out;
	BIO_get_mem_ptr(kb, &mem);
	if ((r = file_write_secret(kpath, mem->data, mem->length, 0)) != 0)
		goto out;
	if ((cb = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(cb, x) != 1) {
		r = ossl_error(CE_CRYPTO, "cannot encode the certificate");
		goto out;
	}
	BIO_get_mem_ptr(cb, &mem);
	if ((r = file_write_atomic(cpath, mem->data, mem->length, 0644)) != 0)
		goto out;
	if (fp != NULL)
		memcpy(fp, f, TLS_FP_LEN);
	r = 0;
 out:
	BIO_free(kb); /* secmem: wiped */
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(pk);
	return r;
}

/*
 * Any certificate chain verdict is overridden: there is no CA. What counts
 * is that the peer's own certificate carries a P-384 key; the handshake
 * proves the peer holds it, the caller checks the fingerprint.
 */
static int
verify_cb(int ok, X509_STORE_CTX *xs)
{
	(void)ok;
	if (X509_STORE_CTX_get_error_depth(xs) != 0)
		return 1;
	return is_p384(X509_get0_pubkey(X509_STORE_CTX_get_current_cert(xs)));
}

static int
load_key(const char *path, SSL_CTX *ctx)
{
	struct buf *b = NULL;
	EVP_PKEY *pk = NULL;
	BIO *bio = NULL;
	int r;

	if ((r = read_pem(path, &b)) != 0)
		return r;
	if ((bio = BIO_new_mem_buf(buf_ptr(b), (int)buf_len(b))) == NULL ||
	    (pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL) {
		r = ossl_error(CE_FORMAT, "not a PEM private key");
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(ctx, pk) != 1) {
		r = ossl_error(CE_CRYPTO, "cannot use the private key");
		goto out;
	}
	r = 0;
 out:
	EVP_PKEY_free(pk);
	BIO_free(bio);
	buf_free(b); /* a PEM key: buf_free wipes */
	return r;
}

int
tls_ctx_new(int server, const char *dir, struct tls_ctx **cp)
{
	char kpath[PATH_MAX], cpath[PATH_MAX];
	struct tls_ctx *c;
	X509 *x = NULL;
	int r;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CE_NOMEM;
	c->server = server;
	snprintf(kpath, sizeof(kpath), "%s/" TLS_KEY_FILE, dir);
	snprintf(cpath, sizeof(cpath), "%s/" TLS_CERT_FILE, dir);
	if ((c->ctx = SSL_CTX_new(server ? TLS_server_method() :
	    TLS_client_method())) == NULL) {
		r = ossl_error(CE_CRYPTO, "cannot create a TLS context");
		goto fail;
	}
	if (SSL_CTX_set_min_proto_version(c->ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(c->ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_ciphersuites(c->ctx, SUITES) != 1 ||
	    SSL_CTX_set1_groups_list(c->ctx, GROUPS) != 1 ||
	    SSL_CTX_set1_sigalgs_list(c->ctx, SIGALGS) != 1 ||
	    SSL_CTX_set_num_tickets(c->ctx, 0) != 1) {
		r = ossl_error(CE_CRYPTO, "cannot configure TLS 1.3");
		goto fail;
	}
	/* No resumption, no compression, no renegotiation: one full
	 * handshake per connection. */
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	if ((r = load_cert(cpath, &x)) != 0)
		goto fail;
	if (SSL_CTX_use_certificate(c->ctx, x) != 1) {
		r = ossl_error(CE_CRYPTO, "cannot use the certificate");
		goto fail;
	}
	if ((r = load_key(kpath, c->ctx)) != 0)
		goto fail;
	if (SSL_CTX_check_private_key(c->ctx) != 1) {
		r = ossl_error(CE_FORMAT, "the key does not match the "
		    "certificate");
		goto fail;
	}
	X509_free(x);
	*cp = c;
	return 0;
 fail:
	X509_free(x);
	tls_ctx_free(c);
	return r;
}

void
tls_ctx_free(struct tls_ctx *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ctx);
	free(c);
}

int
tls_handshake(struct tls_ctx *c, int fd, struct tls_conn **tp)
{
	struct tls_conn *t;
	X509 *peer = NULL;
	int r, k;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		close(fd);
		return CE_NOMEM;
	}
	t->fd = fd;
	if ((t->ssl = SSL_new(c->ctx)) == NULL || SSL_set_fd(t->ssl, fd) != 1) {
		r = ossl_error(CE_CRYPTO, "cannot start TLS");
		goto fail;
	}
	ERR_clear_error();
	k = c->server ? SSL_accept(t->ssl) : SSL_connect(t->ssl);
	if (k != 1) {
		int e = SSL_get_error(t->ssl, k);

		if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
			err_set_detail("the peer closed the connection during "
			    "the TLS handshake%s", c->server ? "" :
			    " (the server may be at its max-connections; "
			    "its log says why)");
			r = CE_PEER_CLOSED;
		} else
			r = ossl_error(CE_PROTOCOL, "TLS 1.3 handshake failed");
		goto fail;
	}
	/* TLS 1.3 clients finish before the server has checked them; a
	 * refusal then shows as the server closing on the first read. */
	if ((peer = SSL_get1_peer_certificate(t->ssl)) == NULL) {
		err_set_detail("the peer sent no certificate");
		r = CE_PROTOCOL;
		goto fail;
	}
	if ((r = cert_fp(peer, t->peer_fp)) != 0)
		goto fail;
	X509_free(peer);
	t->done = 1;
	*tp = t;
	return 0;
 fail:
	X509_free(peer);
	tls_conn_free(t);
	return r;
}

const uint8_t *
tls_peer_fp(const struct tls_conn *t)
{
	return t->peer_fp;
}

int
tls_conn_stale(const struct tls_conn *t)
{
	struct pollfd pfd = { t->fd, POLLIN, 0 };

	return SSL_pending(t->ssl) > 0 || poll(&pfd, 1, 0) != 0;
}

void
tls_conn_free(struct tls_conn *t)
{
	if (t == NULL)
		return;
	if (t->ssl != NULL) {
		if (t->done)
			(void)SSL_shutdown(t->ssl);
		SSL_free(t->ssl);
	}
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

/* --- the channel --- */

static int
tls_send(void *ctx, const void *p, size_t n)
{
	struct tls_conn *t = ctx;
	const uint8_t *d = p;
	size_t w;

	while (n > 0) {
		ERR_clear_error();
		if (SSL_write_ex(t->ssl, d, n, &w) != 1) {
			int e = SSL_get_error(t->ssl, 0);

			if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL)
				return CE_PEER_CLOSED;
			return ossl_error(CE_IO, "TLS write failed");
		}
		d += w;
		n -= w;
	}
	return 0;
}

static int
tls_recv(void *ctx, void *p, size_t n)
{
	struct tls_conn *t = ctx;
	uint8_t *d = p;
	size_t got = 0, k;

	while (got < n) {
		ERR_clear_error();
		if (SSL_read_ex(t->ssl, d + got, n - got, &k) != 1) {
			int e = SSL_get_error(t->ssl, 0);

			if (e == SSL_ERROR_ZERO_RETURN ||
			    (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					err_set_detail("the peer was idle too "
					    "long");
					return CE_IO;
				}
				return got == 0 ? CE_PEER_CLOSED :
				    CE_TRUNCATED;
			}
			/* An alert from the peer (e.g. it refused our
			 * certificate after the handshake). */
			return ossl_error(got == 0 ? CE_PEER_CLOSED :
			    CE_TRUNCATED, "the TLS connection ended");
		}
		got += k;
	}
	return 0;
}

static void
tls_close(void *ctx)
{
	struct tls_conn *t = ctx;

	if (t->done) {
		(void)SSL_shutdown(t->ssl);
		t->done = 0;
	}
}

static void
tls_free_ctx(void *ctx)
{
	tls_conn_free(ctx);
}

static const struct chan_ops tls_chan_ops = {
	.send = tls_send,
	.recv = tls_recv,
	.close = tls_close,
	.free = tls_free_ctx,
};

int
tls_chan_new(struct tls_conn *t, struct chan **cp)
{
	return chan_new(&tls_chan_ops, t, cp);
}

int
tls_tcp_connect(const char *host, const char *port, int *fdp)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, e = 0, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		err_set_detail("cannot resolve '%s': %s", host, gai_strerror(e));
		return CE_NOT_FOUND;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		err_set_detail("cannot connect to %s:%s: %s; is 'rbs serve' "
		    "running there?", host, port, strerror(e ? e : EINVAL));
		return CE_IO;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fdp = fd;
	return 0;
}
