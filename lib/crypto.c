#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <sodium.h>

#include "crypto.h"
#include "err.h"

struct cc_hash {
	EVP_MD_CTX *ctx;
};

struct cc_ecdh {
	EVP_PKEY *pkey;
};

void
cc_random(void *p, size_t n)
{
	if (sodium_init() < 0)
		abort();
	randombytes_buf(p, n);
}

/*
 * Nonces come from a buffer of CSPRNG output refilled 4 KiB at a time: one
 * getrandom(2) per object was an eighth of a restore's time. Nonces are
 * public; keys still come straight from cc_random. A child after fork()
 * drops the buffer (pthread_atfork), so it never repeats its parent's.
 */
static pthread_mutex_t nonce_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t nonce_once = PTHREAD_ONCE_INIT;
static uint8_t nonce_buf[4096];
static size_t nonce_pos = sizeof(nonce_buf);

static void
nonce_drop(void)
{
	nonce_pos = sizeof(nonce_buf);
}

static void
nonce_init(void)
{
	(void)pthread_atfork(NULL, NULL, nonce_drop);
}

void
cc_nonce(uint8_t nonce[CC_NONCE_LEN])
{
	pthread_once(&nonce_once, nonce_init);
	pthread_mutex_lock(&nonce_mu);
	if (nonce_pos > sizeof(nonce_buf) - CC_NONCE_LEN) {
		cc_random(nonce_buf, sizeof(nonce_buf));
		nonce_pos = 0;
	}
	memcpy(nonce, nonce_buf + nonce_pos, CC_NONCE_LEN);
	nonce_pos += CC_NONCE_LEN;
	pthread_mutex_unlock(&nonce_mu);
}

int
cc_memeq(const void *a, const void *b, size_t n)
{
	/* OpenSSL's constant-time compare: libsodium's goes a volatile byte
	 * at a time, a tenth of a million-record --sync (issue 19) */
	return n == 0 || CRYPTO_memcmp(a, b, n) == 0;
}

int
cc_sha384(const void *p, size_t n, uint8_t out[CC_HASH_LEN])
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, out, &len, EVP_sha384(), NULL) != 1 ||
	    len != CC_HASH_LEN)
		return CE_CRYPTO;
	return 0;
}

int
cc_hash_new(struct cc_hash **hp)
{
	struct cc_hash *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return CE_NOMEM;
	if ((h->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(h->ctx, EVP_sha384(), NULL) != 1) {
		cc_hash_free(h);
		return CE_CRYPTO;
	}
	*hp = h;
	return 0;
}

int
cc_hash_update(struct cc_hash *h, const void *p, size_t n)
{
	return EVP_DigestUpdate(h->ctx, p, n) == 1 ? 0 : CE_CRYPTO;
}

int
cc_hash_peek(const struct cc_hash *h, uint8_t out[CC_HASH_LEN])
{
	EVP_MD_CTX *c;
	unsigned int len = 0;
	int r = CE_CRYPTO;

	if ((c = EVP_MD_CTX_new()) == NULL)
		return CE_NOMEM;
	if (EVP_MD_CTX_copy_ex(c, h->ctx) == 1 &&
	    EVP_DigestFinal_ex(c, out, &len) == 1 && len == CC_HASH_LEN)
		r = 0;
	EVP_MD_CTX_free(c);
	return r;
}

void
cc_hash_free(struct cc_hash *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int
cc_hmac_sha384(const void *key, size_t klen, const void *p, size_t n,
    uint8_t out[CC_HASH_LEN])
{
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t len = 0;
	int r = CE_CRYPTO;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA384", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    EVP_MAC_init(ctx, key, klen, params) != 1 ||
	    EVP_MAC_update(ctx, p, n) != 1 ||
	    EVP_MAC_final(ctx, out, &len, CC_HASH_LEN) != 1 ||
	    len != CC_HASH_LEN)
		goto out;
	r = 0;
 out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

/* Not in crypto.h: HKDF over a named digest, for the RFC 5869 vectors. */
int cc_hkdf(const char *digest, const void *salt, size_t slen, const void *ikm,
    size_t ilen, const void *info, size_t infolen, uint8_t *out, size_t outlen);

int
cc_hkdf_sha384(const void *salt, size_t slen, const void *ikm, size_t ilen,
    const void *info, size_t infolen, uint8_t *out, size_t outlen)
{
	return cc_hkdf("SHA384", salt, slen, ikm, ilen, info, infolen, out,
	    outlen);
}

int
cc_hkdf(const char *digest, const void *salt, size_t slen, const void *ikm,
    size_t ilen, const void *info, size_t infolen, uint8_t *out, size_t outlen)
{
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[5], *p = params;
	static const uint8_t zero[1];
	int r = CE_CRYPTO;

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)digest, 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(ilen ? ikm : zero), ilen);
	if (slen > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
		    (void *)salt, slen);
	if (infolen > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
		    (void *)info, infolen);
	*p = OSSL_PARAM_construct_end();
	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL ||
	    (ctx = EVP_KDF_CTX_new(kdf)) == NULL ||
	    EVP_KDF_derive(ctx, out, outlen, params) != 1)
		goto out;
	r = 0;
 out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return r;
}

/*
 * AES-256-GCM fetched once per process: EVP_aes_256_gcm() makes OpenSSL 3
 * look the cipher up by name on every use, which cost more than sealing a
 * small object (profile in bench/RESULTS.md, issue 19).
 */
static EVP_CIPHER *gcm;
static pthread_once_t gcm_once = PTHREAD_ONCE_INIT;

static void
gcm_fetch(void)
{
	gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

static const EVP_CIPHER *
gcm_cipher(void)
{
	pthread_once(&gcm_once, gcm_fetch);
	return gcm;
}

/* One GCM operation on ctx, already keyed: sets the nonce and runs. */
static int
aead_run(EVP_CIPHER_CTX *ctx, int enc, const uint8_t nonce[CC_NONCE_LEN],
    const void *aad, size_t aadlen, const void *in, size_t inlen, uint8_t *out,
    uint8_t tag[CC_TAG_LEN])
{
	int len;

	if (inlen > INT32_MAX || aadlen > INT32_MAX)
		return CE_TOO_LONG;
	if (EVP_CipherInit_ex2(ctx, NULL, NULL, nonce, enc, NULL) != 1)
		return CE_CRYPTO;
	if (aadlen > 0 &&
	    EVP_CipherUpdate(ctx, NULL, &len, aad, (int)aadlen) != 1)
		return CE_CRYPTO;
	if (inlen > 0 &&
	    EVP_CipherUpdate(ctx, out, &len, in, (int)inlen) != 1)
		return CE_CRYPTO;
	if (enc) {
		if (EVP_CipherFinal_ex(ctx, out + inlen, &len) != 1 ||
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CC_TAG_LEN,
		    tag) != 1)
			return CE_CRYPTO;
		return 0;
	}
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CC_TAG_LEN,
	    tag) != 1)
		return CE_CRYPTO;
	if (EVP_CipherFinal_ex(ctx, out + inlen, &len) != 1) {
		if (inlen > 0)
			sodium_memzero(out, inlen);
		return CE_AUTH_TAG;
	}
	return 0;
}

static int
aead_key(const uint8_t key[CC_KEY_LEN], EVP_CIPHER_CTX **ctxp)
{
	EVP_CIPHER_CTX *ctx;
	const EVP_CIPHER *c;

	if ((c = gcm_cipher()) == NULL)
		return CE_CRYPTO;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return CE_NOMEM;
	if (EVP_CipherInit_ex2(ctx, c, key, NULL, 1, NULL) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return CE_CRYPTO;
	}
	*ctxp = ctx;
	return 0;
}

static int
aead(int enc, const uint8_t key[CC_KEY_LEN], const uint8_t nonce[CC_NONCE_LEN],
    const void *aad, size_t aadlen, const void *in, size_t inlen, uint8_t *out,
    uint8_t tag[CC_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx;
	int r;

	if ((r = aead_key(key, &ctx)) != 0)
		return r;
	r = aead_run(ctx, enc, nonce, aad, aadlen, in, inlen, out, tag);
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

struct cc_aead {
	EVP_CIPHER_CTX *ctx;
};

int
cc_aead_new(const uint8_t key[CC_KEY_LEN], struct cc_aead **ap)
{
	struct cc_aead *a;
	int r;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return CE_NOMEM;
	if ((r = aead_key(key, &a->ctx)) != 0) {
		free(a);
		return r;
	}
	*ap = a;
	return 0;
}

int
cc_aead_seal_k(struct cc_aead *a, const uint8_t nonce[CC_NONCE_LEN],
    const void *aad, size_t aadlen, const void *pt, size_t ptlen,
    uint8_t *ct, uint8_t tag[CC_TAG_LEN])
{
	return aead_run(a->ctx, 1, nonce, aad, aadlen, pt, ptlen, ct, tag);
}

int
cc_aead_open_k(struct cc_aead *a, const uint8_t nonce[CC_NONCE_LEN],
    const void *aad, size_t aadlen, const void *ct, size_t ctlen,
    const uint8_t tag[CC_TAG_LEN], uint8_t *pt)
{
	return aead_run(a->ctx, 0, nonce, aad, aadlen, ct, ctlen, pt,
	    (uint8_t *)tag);
}

void
cc_aead_free(struct cc_aead *a)
{
	if (a == NULL)
		return;
	EVP_CIPHER_CTX_free(a->ctx); /* cleanses the key schedule */
	free(a);
}

static const EVP_CIPHER *
kwp_cipher(size_t keklen)
{
	switch (keklen) {
	case 16:
		return EVP_aes_128_wrap_pad();
	case 24:
		return EVP_aes_192_wrap_pad();
	case 32:
		return EVP_aes_256_wrap_pad();
	default:
		return NULL;
	}
}

int
cc_kwp(int enc, const uint8_t *kek, size_t keklen, const uint8_t *in,
    size_t len, uint8_t *out, size_t *outlenp)
{
	const EVP_CIPHER *c = kwp_cipher(keklen);
	EVP_CIPHER_CTX *ctx;
	int n = 0, fin = 0, r = CE_CRYPTO;

	if (c == NULL)
		return CE_INVALID;
	if (len > INT32_MAX - 2 * CC_KWP_BLOCK)
		return CE_TOO_LONG;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return CE_NOMEM;
	/* OpenSSL refuses the wrap modes unless told they are meant */
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (EVP_CipherInit_ex(ctx, c, NULL, kek, NULL, enc) != 1)
		goto out;
	if (EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1 || n < 0 ||
	    EVP_CipherFinal_ex(ctx, out + n, &fin) != 1) {
		/* unwrapping: the integrity check failed */
		if (!enc) {
			sodium_memzero(out, len);
			r = CE_AUTH_TAG;
		}
		goto out;
	}
	*outlenp = (size_t)n + (size_t)fin;
	r = 0;
 out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int
cc_aead_seal(const uint8_t key[CC_KEY_LEN], const uint8_t nonce[CC_NONCE_LEN],
    const void *aad, size_t aadlen, const void *pt, size_t ptlen,
    uint8_t *ct, uint8_t tag[CC_TAG_LEN])
{
	return aead(1, key, nonce, aad, aadlen, pt, ptlen, ct, tag);
}

int
cc_aead_open(const uint8_t key[CC_KEY_LEN], const uint8_t nonce[CC_NONCE_LEN],
    const void *aad, size_t aadlen, const void *ct, size_t ctlen,
    const uint8_t tag[CC_TAG_LEN], uint8_t *pt)
{
	return aead(0, key, nonce, aad, aadlen, ct, ctlen, pt, (uint8_t *)tag);
}

int
cc_ecdh_new(struct cc_ecdh **kp)
{
	struct cc_ecdh *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return CE_NOMEM;
	if ((k->pkey = EVP_EC_gen("P-384")) == NULL) {
		free(k);
		return CE_CRYPTO;
	}
	*kp = k;
	return 0;
}

/* Builds an EVP_PKEY for P-384 from a public point and optional scalar. */
static EVP_PKEY *
ec_pkey(const uint8_t pub[CC_EC_PUB_LEN], const uint8_t *priv)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *bn = NULL;
	int sel = EVP_PKEY_PUBLIC_KEY;

	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    "P-384", 0) != 1)
		goto out;
	if (pub != NULL && OSSL_PARAM_BLD_push_octet_string(bld,
	    OSSL_PKEY_PARAM_PUB_KEY, pub, CC_EC_PUB_LEN) != 1)
		goto out;
	if (priv != NULL) {
		if ((bn = BN_bin2bn(priv, 48, NULL)) == NULL ||
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn) != 1)
			goto out;
		sel = EVP_PKEY_KEYPAIR;
	}
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, sel, params) != 1)
		pkey = NULL;
 out:
	BN_clear_free(bn);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

int
cc_ecdh_from_private(const uint8_t priv[48], struct cc_ecdh **kp)
{
	struct cc_ecdh *k;
	EVP_PKEY *tmp;
	EC_GROUP *g = NULL;
	EC_POINT *pt = NULL;
	BIGNUM *bn = NULL;
	uint8_t pub[CC_EC_PUB_LEN];
	int r = CE_CRYPTO;

	/* Compute the public point so the key is a full pair. */
	if ((g = EC_GROUP_new_by_curve_name(NID_secp384r1)) == NULL ||
	    (pt = EC_POINT_new(g)) == NULL ||
	    (bn = BN_bin2bn(priv, 48, NULL)) == NULL ||
	    EC_POINT_mul(g, pt, bn, NULL, NULL, NULL) != 1 ||
	    EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub,
	    sizeof(pub), NULL) != sizeof(pub))
		goto out;
	if ((tmp = ec_pkey(pub, priv)) == NULL)
		goto out;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		EVP_PKEY_free(tmp);
		r = CE_NOMEM;
		goto out;
	}
	k->pkey = tmp;
	*kp = k;
	r = 0;
 out:
	BN_clear_free(bn);
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return r;
}

int
cc_ecdh_public(const struct cc_ecdh *k, uint8_t pub[CC_EC_PUB_LEN])
{
	size_t len = 0;

	if (EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY,
	    pub, CC_EC_PUB_LEN, &len) != 1 || len != CC_EC_PUB_LEN)
		return CE_CRYPTO;
	return 0;
}

int
cc_ecdh_derive(const struct cc_ecdh *k, const uint8_t peer[CC_EC_PUB_LEN],
    uint8_t shared[CC_EC_SHARED_LEN])
{
	EVP_PKEY *peerkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = CC_EC_SHARED_LEN;
	int r = CE_CRYPTO;

	/* fromdata checks the point is on the curve. */
	if ((peerkey = ec_pkey(peer, NULL)) == NULL) {
		r = CE_FORMAT;
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new(k->pkey, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(ctx, peerkey, 1) != 1 ||
	    EVP_PKEY_derive(ctx, shared, &len) != 1 ||
	    len != CC_EC_SHARED_LEN)
		goto out;
	r = 0;
 out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peerkey);
	return r;
}

void
cc_ecdh_free(struct cc_ecdh *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

int
cc_x25519_public(const uint8_t sk[CC_X25519_LEN], uint8_t pk[CC_X25519_LEN])
{
	if (sodium_init() < 0)
		return CE_CRYPTO;
	return crypto_scalarmult_base(pk, sk) == 0 ? 0 : CE_CRYPTO;
}

int
cc_x25519(const uint8_t sk[CC_X25519_LEN], const uint8_t pk[CC_X25519_LEN],
    uint8_t shared[CC_X25519_LEN])
{
	if (sodium_init() < 0)
		return CE_CRYPTO;
	/* libsodium refuses a result of all zeros (a low-order point) */
	if (crypto_scalarmult(shared, sk, pk) != 0) {
		sodium_memzero(shared, CC_X25519_LEN);
		return CE_CRYPTO;
	}
	return 0;
}
