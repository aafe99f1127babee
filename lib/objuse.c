#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "object_int.h"
#include "p11.h"
#include "secret.h"
#include "hsm_int.h"
#include "store.h"

static const EVP_MD *
md_of(int hash)
{
	return hash == OBJ_SHA384 ? EVP_sha384() : EVP_sha256();
}

/* Loads a key object and checks it may be used for attribute `use`. */
static int
load_key(struct session *s, const char *label, uint32_t use,
    struct object **op)
{
	struct object *o = NULL;
	int r, ok = 0;

	if ((r = object_get(s, label, &o)) != 0)
		return r;
	if (use != 0 && (object_get_bool(o, use, &ok) != 0 || !ok)) {
		err_set_detail("object '%s' does not allow %s", label,
		    p11_attr_name(use));
		object_free(o);
		return CE_POLICY;
	}
	if (o->value == NULL) {
		object_free(o);
		return CE_INVALID;
	}
	*op = o;
	return 0;
}

static int
private_pkey(const struct object *o, EVP_PKEY **pkp)
{
	const unsigned char *p = secret_ptr(o->value);
	int type = o->key_type == CKK_EC ? EVP_PKEY_EC :
	    o->key_type == CKK_RSA ? EVP_PKEY_RSA : EVP_PKEY_NONE;

	/* The type named: OpenSSL 3 then tries one decoder, not all. */
	*pkp = type != EVP_PKEY_NONE ?
	    d2i_PrivateKey(type, NULL, &p, (long)secret_len(o->value)) :
	    d2i_AutoPrivateKey(NULL, &p, (long)secret_len(o->value));
	return *pkp != NULL ? 0 : CE_CRYPTO;
}

static int
public_pkey(const struct object *o, EVP_PKEY **pkp)
{
	const struct object_attr *a = object_attr(o, CKA_PUBLIC_KEY_INFO);
	const unsigned char *p;

	if (a == NULL) {
		err_set_detail("object '%s' has no public key", o->label);
		return CE_INVALID;
	}
	p = a->val;
	if ((*pkp = d2i_PUBKEY(NULL, &p, (long)a->len)) == NULL)
		return CE_CRYPTO;
	return 0;
}

/* Bytes of r and of s in a raw ECDSA signature of key o: 32 or 48. */
static size_t
ec_half(const struct object *o)
{
	const struct object_attr *a = object_attr(o, CKA_EC_PARAMS);

	return a == NULL ? 0 : p11_ec_bits(a->val, a->len) / 8;
}

/* DER ECDSA-Sig-Value to PKCS#11's r || s, each half bytes. */
static int
ecdsa_der_to_raw(const uint8_t *der, size_t len, size_t half,
    struct buf **rawp)
{
	const unsigned char *p = der;
	ECDSA_SIG *es;
	const BIGNUM *br, *bs;
	struct buf *raw = NULL;
	uint8_t *w;
	int r = CE_CRYPTO;

	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
		return CE_CRYPTO;
	ECDSA_SIG_get0(es, &br, &bs);
	if ((raw = buf_new(2 * half)) == NULL ||
	    buf_reserve(raw, 2 * half, &w) != 0) {
		r = CE_NOMEM;
		goto out;
	}
	if (BN_bn2binpad(br, w, (int)half) != (int)half ||
	    BN_bn2binpad(bs, w + half, (int)half) != (int)half)
		goto out;
	*rawp = raw;
	raw = NULL;
	r = 0;
 out:
	buf_free(raw);
	ECDSA_SIG_free(es);
	return r;
}

/* PKCS#11's r || s to DER; CE_INTEGRITY when the length is not 2 * half. */
static int
ecdsa_raw_to_der(const uint8_t *raw, size_t len, size_t half,
    struct buf **derp)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *der = NULL;
	int n, r = CE_CRYPTO;

	if (half == 0 || len != 2 * half) {
		err_set_detail("a raw ECDSA signature on this curve is %zu "
		    "bytes (r || s), not %zu", 2 * half, len);
		return CE_INTEGRITY;
	}
	if ((es = ECDSA_SIG_new()) == NULL ||
	    (br = BN_bin2bn(raw, (int)half, NULL)) == NULL ||
	    (bs = BN_bin2bn(raw + half, (int)half, NULL)) == NULL ||
	    ECDSA_SIG_set0(es, br, bs) != 1)
		goto out;
	br = bs = NULL; /* es owns them now */
	if ((n = i2d_ECDSA_SIG(es, &der)) <= 0)
		goto out;
	if ((*derp = buf_from(der, (size_t)n)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	r = 0;
 out:
	OPENSSL_free(der);
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(es);
	return r;
}

/*
 * PKCS#11's CKM_ECDSA and CKM_RSA_PKCS (OBJ_PREHASHED): the caller hashed,
 * and for RSA wrapped the hash in its DigestInfo; the key only pads and
 * signs, as EVP_PKEY_sign does with no digest set. verify 1 checks sig
 * instead (*sigp unused): 0 or 1 for a bad signature.
 */
/* PSS padding on ctx with md for MGF1 and the salt's length. */
static int
set_pss(EVP_PKEY_CTX *ctx, const EVP_MD *md)
{
	return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) == 1 &&
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) == 1;
}

static int
pkey_raw(int verify, int pss, EVP_PKEY *pk, const void *in, size_t len,
    const void *sig, size_t siglen, struct buf **sigp)
{
	EVP_PKEY_CTX *ctx;
	struct buf *out = NULL;
	uint8_t *p;
	size_t slen = 0;
	int r = CE_CRYPTO;

	if ((ctx = EVP_PKEY_CTX_new(pk, NULL)) == NULL)
		return CE_NOMEM;
	if ((verify ? EVP_PKEY_verify_init(ctx) : EVP_PKEY_sign_init(ctx)) != 1)
		goto out;
	if (pss) {
		/* the digest's length names its hash */
		const EVP_MD *md = len == 48 ? EVP_sha384() : EVP_sha256();

		if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA ||
		    (len != 32 && len != 48)) {
			err_set_detail("RSA-PSS signs a SHA-256 or SHA-384 "
			    "digest with an RSA key");
			r = CE_INVALID;
			goto out;
		}
		if (EVP_PKEY_CTX_set_signature_md(ctx, md) != 1 ||
		    !set_pss(ctx, md))
			goto out;
	} else if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1)
		goto out;
	if (verify) {
		r = EVP_PKEY_verify(ctx, sig, siglen, in, len) == 1 ? 0 : 1;
		goto out;
	}
	if (EVP_PKEY_sign(ctx, NULL, &slen, in, len) != 1)
		goto out;
	if ((out = buf_new(slen)) == NULL || buf_reserve(out, slen, &p) != 0) {
		r = CE_NOMEM;
		goto out;
	}
	if (EVP_PKEY_sign(ctx, p, &slen, in, len) != 1)
		goto out;
	/* ECDSA signatures may come out shorter than the maximum. */
	if ((*sigp = buf_from(p, slen)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	r = 0;
 out:
	buf_free(out);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* Hashes msg with hash and signs the digest (RSA PKCS#1 v1.5 or DER ECDSA). */
static int
digest_sign(EVP_PKEY *pk, int hash, int pss, const void *msg, size_t len,
    struct buf **sigp)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *ctx;
	struct buf *sig = NULL;
	uint8_t *p;
	size_t slen = 0;
	int r = CE_CRYPTO;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return CE_NOMEM;
	if (EVP_DigestSignInit(ctx, &pctx, md_of(hash), NULL, pk) != 1 ||
	    (pss && !set_pss(pctx, md_of(hash))) ||
	    EVP_DigestSign(ctx, NULL, &slen, msg, len) != 1)
		goto out;
	if ((sig = buf_new(slen)) == NULL || buf_reserve(sig, slen, &p) != 0) {
		r = CE_NOMEM;
		goto out;
	}
	if (EVP_DigestSign(ctx, p, &slen, msg, len) != 1)
		goto out;
	/* ECDSA signatures may come out shorter than the maximum. */
	if ((*sigp = buf_from(p, slen)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	r = 0;
 out:
	buf_free(sig);
	EVP_MD_CTX_free(ctx);
	return r;
}

int
object_sign(struct session *s, const char *label, int hash, const void *msg,
    size_t len, struct buf **sigp)
{
	return object_sign_fmt(s, label, hash, OBJ_SIG_DER, msg, len, sigp);
}

int
object_verify(struct session *s, const char *label, int hash,
    const void *msg, size_t len, const void *sig, size_t siglen)
{
	return object_verify_fmt(s, label, hash, OBJ_SIG_DER, msg, len, sig,
	    siglen);
}

/* A key read, checked for CKA_SIGN and decoded, held for many signatures. */
struct object_key {
	struct object *o;
	EVP_PKEY *pk;              /* private keys; NULL for generic secrets */
};

static int
key_open(struct session *s, const char *label, struct object_key **kp)
{
	struct object_key *k;
	int r;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return CE_NOMEM;
	if ((r = load_key(s, label, CKA_SIGN, &k->o)) != 0 ||
	    (k->o->cls != CKO_SECRET_KEY &&
	    (r = private_pkey(k->o, &k->pk)) != 0)) {
		object_key_free(k);
		return r;
	}
	/* decoded, the PKCS#8 copy is one copy too many to hold */
	if (k->pk != NULL) {
		secret_free(k->o->value);
		k->o->value = NULL;
	}
	*kp = k;
	return 0;
}

int
object_key_open(struct session *s, uint64_t id, struct object_key **kp)
{
	struct object_info oi;
	int r;

	if ((r = object_find_id(s, id, &oi)) != 0)
		return r;
	return key_open(s, oi.label, kp);
}

const struct object *
object_key_object(const struct object_key *k)
{
	return k->o;
}

void
object_key_free(struct object_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pk);
	object_free(k->o);
	free(k);
}

int
object_key_sign(const struct object_key *k, int hash, int fmt,
    const void *msg, size_t len, struct buf **sigp)
{
	const struct object *o = k->o;
	struct buf *sig = NULL;
	uint8_t *p;
	unsigned int mlen = 0;
	int pss = (fmt & OBJ_RSA_PSS) != 0, r;

	if (pss && o->key_type != CKK_RSA) {
		err_set_detail("'%s' is not an RSA key: no PSS", o->label);
		return CE_INVALID;
	}
	if (o->cls == CKO_SECRET_KEY && hash == OBJ_PREHASHED) {
		err_set_detail("'%s' is a secret key: HMAC hashes itself",
		    o->label);
		return CE_INVALID;
	}
	if (o->cls == CKO_SECRET_KEY) {
		/* HMAC with a generic secret. */
		if ((sig = buf_new(EVP_MAX_MD_SIZE)) == NULL ||
		    buf_reserve(sig, (size_t)EVP_MD_get_size(md_of(hash)),
		    &p) != 0) {
			r = CE_NOMEM;
			goto out;
		}
		if (HMAC(md_of(hash), secret_ptr(o->value),
		    (int)secret_len(o->value), msg, len, p, &mlen) == NULL) {
			r = CE_CRYPTO;
			goto out;
		}
	} else {
		if (hash == OBJ_PREHASHED) {
			if ((r = pkey_raw(0, pss, k->pk, msg, len, NULL, 0,
			    &sig)) != 0)
				goto out;
		} else if ((r = digest_sign(k->pk, hash, pss, msg, len,
		    &sig)) != 0)
			goto out;
		if ((fmt & OBJ_SIG_RAW) && o->key_type == CKK_EC) {
			struct buf *t = NULL;

			if ((r = ecdsa_der_to_raw(buf_ptr(sig), buf_len(sig),
			    ec_half(o), &t)) != 0)
				goto out;
			buf_free(sig);
			sig = t;
		}
	}
	*sigp = sig;
	sig = NULL;
	r = 0;
 out:
	buf_free(sig);
	return r;
}

int
object_sign_fmt(struct session *s, const char *label, int hash, int fmt,
    const void *msg, size_t len, struct buf **sigp)
{
	struct object_key *k = NULL;
	int r;

	if ((r = key_open(s, label, &k)) != 0)
		return r;
	r = object_key_sign(k, hash, fmt, msg, len, sigp);
	object_key_free(k);
	return r;
}

int
object_stamp(struct session *s, struct object_stamp *sp)
{
	int r;

	memset(sp, 0, sizeof(*sp));
	if ((r = object_require_user(s)) != 0 ||
	    (r = store_stamp(s->h->st, &sp->main)) != 0)
		return r;
	if (s->h->sks != NULL) {
		sp->have_sks = 1;
		r = store_stamp(s->h->sks, &sp->sks);
	}
	return r;
}

int
object_stamp_equal(const struct object_stamp *a, const struct object_stamp *b)
{
	return a->have_sks == b->have_sks &&
	    a->main.others == b->main.others && a->main.own == b->main.own &&
	    a->sks.others == b->sks.others && a->sks.own == b->sks.own;
}

int
object_verify_fmt(struct session *s, const char *label, int hash, int fmt,
    const void *msg, size_t len, const void *sig, size_t siglen)
{
	struct object *o = NULL;
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *ctx = NULL;
	struct buf *der = NULL;
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	EVP_PKEY_CTX *pctx = NULL;
	int pss = (fmt & OBJ_RSA_PSS) != 0, r;

	if ((r = load_key(s, label, 0, &o)) != 0)
		return r;
	if (pss && o->key_type != CKK_RSA) {
		err_set_detail("'%s' is not an RSA key: no PSS", label);
		r = CE_INVALID;
		goto out;
	}
	if (o->cls == CKO_SECRET_KEY) {
		if (o->key_type != CKK_GENERIC_SECRET ||
		    hash == OBJ_PREHASHED) {
			r = CE_INVALID;
			goto out;
		}
		if (HMAC(md_of(hash), secret_ptr(o->value),
		    (int)secret_len(o->value), msg, len, mac, &mlen) == NULL) {
			r = CE_CRYPTO;
			goto out;
		}
		r = mlen == siglen && cc_memeq(mac, sig, mlen) ? 0 : 1;
	} else {
		if ((r = public_pkey(o, &pk)) != 0)
			goto out;
		if ((fmt & OBJ_SIG_RAW) && o->key_type == CKK_EC) {
			if ((r = ecdsa_raw_to_der(sig, siglen, ec_half(o),
			    &der)) != 0)
				goto out;
			sig = buf_ptr(der);
			siglen = buf_len(der);
		}
		if (hash == OBJ_PREHASHED)
			r = pkey_raw(1, pss, pk, msg, len, sig, siglen, NULL);
		else if ((ctx = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestVerifyInit(ctx, &pctx, md_of(hash), NULL,
		    pk) != 1 || (pss && !set_pss(pctx, md_of(hash)))) {
			r = CE_CRYPTO;
			goto out;
		} else
			r = EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1 ?
			    0 : 1;
		if (r < 0)
			goto out;
	}
	if (r == 1) {
		err_set_detail("the signature does not verify with '%s'", label);
		r = CE_INTEGRITY;
	}
 out:
	buf_free(der);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	object_free(o);
	return r;
}

static const EVP_CIPHER *
gcm_of(size_t keylen)
{
	return keylen == 16 ? EVP_aes_128_gcm() : keylen == 24 ?
	    EVP_aes_192_gcm() : keylen == 32 ? EVP_aes_256_gcm() : NULL;
}

/* AES-GCM with any AES key size; enc 1 seals, 0 opens. */
static int
gcm(int enc, const struct secret *key, const uint8_t nonce[CC_NONCE_LEN],
    const void *aad, size_t aadlen, const uint8_t *in, size_t len,
    uint8_t *out, uint8_t tag[CC_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx;
	const EVP_CIPHER *c = gcm_of(secret_len(key));
	int n, r = CE_CRYPTO;

	if (c == NULL || len > INT32_MAX || aadlen > INT32_MAX)
		return CE_INVALID;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return CE_NOMEM;
	if (EVP_CipherInit_ex(ctx, c, NULL, secret_ptr(key), nonce, enc) != 1 ||
	    (aadlen > 0 && EVP_CipherUpdate(ctx, NULL, &n, aad,
	    (int)aadlen) != 1) ||
	    (len > 0 && EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1))
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CC_TAG_LEN,
	    tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + len, &n) != 1) {
		r = enc ? CE_CRYPTO : CE_AUTH_TAG;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CC_TAG_LEN,
	    tag) != 1)
		goto out;
	r = 0;
 out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int
object_encrypt(struct session *s, const char *label, const void *aad,
    size_t aadlen, const void *pt, size_t len, struct buf **outp)
{
	struct object *o = NULL;
	struct buf *out = NULL;
	uint8_t *p;
	int r;

	if ((r = load_key(s, label, CKA_ENCRYPT, &o)) != 0)
		return r;
	if (o->key_type != CKK_AES) {
		err_set_detail("'%s' is not an AES key", label);
		r = CE_INVALID;
		goto out;
	}
	if ((out = buf_new(CC_NONCE_LEN + len + CC_TAG_LEN)) == NULL ||
	    buf_reserve(out, CC_NONCE_LEN + len + CC_TAG_LEN, &p) != 0) {
		r = CE_NOMEM;
		goto out;
	}
	cc_random(p, CC_NONCE_LEN);
	if ((r = gcm(1, o->value, p, aad, aadlen, pt, len, p + CC_NONCE_LEN,
	    p + CC_NONCE_LEN + len)) != 0)
		goto out;
	*outp = out;
	out = NULL;
 out:
	buf_free(out);
	object_free(o);
	return r;
}

int
object_decrypt(struct session *s, const char *label, const void *aad,
    size_t aadlen, const void *in, size_t len, struct secret **ptp)
{
	struct object *o = NULL;
	struct secret *pt = NULL;
	const uint8_t *p = in;
	uint8_t tag[CC_TAG_LEN];
	size_t ctlen;
	int r;

	if ((r = load_key(s, label, CKA_DECRYPT, &o)) != 0)
		return r;
	if (o->key_type != CKK_AES) {
		err_set_detail("'%s' is not an AES key", label);
		r = CE_INVALID;
		goto out;
	}
	if (len < CC_NONCE_LEN + CC_TAG_LEN) {
		err_set_detail("ciphertext shorter than nonce and tag");
		r = CE_TRUNCATED;
		goto out;
	}
	ctlen = len - CC_NONCE_LEN - CC_TAG_LEN;
	memcpy(tag, p + CC_NONCE_LEN + ctlen, CC_TAG_LEN);
	if ((pt = secret_new(ctlen + 16)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = gcm(0, o->value, p, aad, aadlen, p + CC_NONCE_LEN, ctlen,
	    secret_ptr(pt), tag)) != 0) {
		if (r == CE_AUTH_TAG)
			err_set_detail("wrong key, wrong AAD or altered "
			    "ciphertext");
		goto out;
	}
	secret_truncate(pt, ctlen);
	*ptp = pt;
	pt = NULL;
 out:
	secret_free(pt);
	object_free(o);
	return r;
}

/* An AES key that allows use (CKA_ENCRYPT or CKA_DECRYPT). */
static int
load_aes(struct session *s, const char *label, uint32_t use,
    struct object **op)
{
	int r;

	if ((r = load_key(s, label, use, op)) != 0)
		return r;
	if ((*op)->key_type != CKK_AES) {
		err_set_detail("'%s' is not an AES key", label);
		object_free(*op);
		*op = NULL;
		return CE_INVALID;
	}
	return 0;
}

int
object_encrypt_iv(struct session *s, const char *label,
    const uint8_t iv[OBJ_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *pt, size_t len, struct buf **outp)
{
	struct object *o = NULL;
	struct buf *out = NULL;
	uint8_t *p;
	int r;

	if ((r = load_aes(s, label, CKA_ENCRYPT, &o)) != 0)
		return r;
	if ((out = buf_new(len + CC_TAG_LEN)) == NULL ||
	    buf_reserve(out, len + CC_TAG_LEN, &p) != 0) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = gcm(1, o->value, iv, aad, aadlen, pt, len, p,
	    p + len)) != 0)
		goto out;
	*outp = out;
	out = NULL;
 out:
	buf_free(out);
	object_free(o);
	return r;
}

int
object_decrypt_iv(struct session *s, const char *label,
    const uint8_t iv[OBJ_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *in, size_t len, struct secret **ptp)
{
	struct object *o = NULL;
	struct secret *pt = NULL;
	const uint8_t *p = in;
	uint8_t tag[CC_TAG_LEN];
	size_t ctlen;
	int r;

	if ((r = load_aes(s, label, CKA_DECRYPT, &o)) != 0)
		return r;
	if (len < CC_TAG_LEN) {
		err_set_detail("ciphertext shorter than its tag");
		r = CE_TRUNCATED;
		goto out;
	}
	ctlen = len - CC_TAG_LEN;
	memcpy(tag, p + ctlen, CC_TAG_LEN);
	if ((pt = secret_new(ctlen + 16)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = gcm(0, o->value, iv, aad, aadlen, p, ctlen, secret_ptr(pt),
	    tag)) != 0)
		goto out;
	secret_truncate(pt, ctlen);
	*ptp = pt;
	pt = NULL;
 out:
	secret_free(pt);
	object_free(o);
	return r;
}

int
object_export_public(struct session *s, const char *label, struct buf **pemp)
{
	struct object *o = NULL;
	EVP_PKEY *pk = NULL;
	BIO *bio = NULL;
	char *data;
	long n;
	int r;

	if ((r = object_get(s, label, &o)) != 0)
		return r;
	if ((r = public_pkey(o, &pk)) != 0)
		goto out;
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PUBKEY(bio, pk) != 1 ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0) {
		r = CE_CRYPTO;
		goto out;
	}
	if ((*pemp = buf_from(data, (size_t)n)) == NULL)
		r = CE_NOMEM;
 out:
	BIO_free(bio);
	EVP_PKEY_free(pk);
	object_free(o);
	return r;
}
