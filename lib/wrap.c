#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "err.h"
#include "secret.h"
#include "wrap.h"

static const char aad_magic[] = "coffer-wrap-v1";

/* Builds the associated data into a (small) stack buffer when it fits. */
static int
aad_build(uint8_t *aad, size_t max, const char *purpose, uint64_t serial,
    uint64_t sub, size_t *lenp)
{
	size_t pl = strlen(purpose), n = 0;
	int i;

	if (sizeof(aad_magic) + pl + 1 + 16 > max)
		return CE_TOO_LONG;
	memcpy(aad, aad_magic, sizeof(aad_magic)); /* includes the NUL */
	n = sizeof(aad_magic);
	memcpy(aad + n, purpose, pl + 1);
	n += pl + 1;
	for (i = 0; i < 8; i++)
		aad[n++] = (uint8_t)(serial >> (56 - 8 * i));
	for (i = 0; i < 8; i++)
		aad[n++] = (uint8_t)(sub >> (56 - 8 * i));
	*lenp = n;
	return 0;
}

/* GCM over head-AAD followed by extra: one contiguous AAD is needed. */
static int
aad_full(const char *purpose, uint64_t serial, uint64_t sub,
    const void *extra, size_t extralen, struct buf **ap)
{
	uint8_t head[128];
	size_t hl;
	struct buf *a;
	int r;

	if ((r = aad_build(head, sizeof(head), purpose, serial, sub, &hl)) != 0)
		return r;
	if ((a = buf_new(hl + extralen + 1)) == NULL)
		return CE_NOMEM;
	if ((r = buf_put(a, head, hl)) != 0 ||
	    (r = buf_put(a, extra, extralen)) != 0) {
		buf_free(a);
		return r;
	}
	*ap = a;
	return 0;
}

/* Room for the AAD of an object record on the stack (head plus attrs). */
#define AAD_STACK 1024

/*
 * The AAD into stack when it fits, else into *heapp (freed by the caller).
 * extra is copied, so it may live in a buffer the caller then grows.
 */
static int
aad_make(uint8_t stack[AAD_STACK], const char *purpose, uint64_t serial,
    uint64_t sub, const void *extra, size_t extralen, const uint8_t **aadp,
    size_t *lenp, struct buf **heapp)
{
	size_t hl;
	int r;

	*heapp = NULL;
	if (aad_build(stack, AAD_STACK, purpose, serial, sub, &hl) == 0 &&
	    extralen <= AAD_STACK - hl) {
		if (extralen > 0)
			memcpy(stack + hl, extra, extralen);
		*aadp = stack;
		*lenp = hl + extralen;
		return 0;
	}
	if ((r = aad_full(purpose, serial, sub, extra, extralen, heapp)) != 0)
		return r;
	*aadp = buf_ptr(*heapp);
	*lenp = buf_len(*heapp);
	return 0;
}

/* Seals with key (a raw key) or k (a keyed context, for bulk writes). */
static int
seal_with(struct buf *out, const uint8_t *key, struct cc_aead *k,
    const char *purpose, uint64_t serial, uint64_t sub, const void *extra,
    size_t extralen, const void *pt, size_t ptlen)
{
	uint8_t stack[AAD_STACK];
	struct buf *a = NULL;
	const uint8_t *aad;
	size_t aadlen;
	uint8_t *p;
	int r;

	if ((r = aad_make(stack, purpose, serial, sub, extra, extralen, &aad,
	    &aadlen, &a)) != 0)
		return r;
	if ((r = buf_reserve(out, WRAP_OVERHEAD + ptlen, &p)) != 0)
		goto out;
	p[0] = WRAP_VERSION;
	cc_nonce(p + 1);
	if (k != NULL)
		r = cc_aead_seal_k(k, p + 1, aad, aadlen, pt, ptlen,
		    p + 1 + CC_NONCE_LEN, p + 1 + CC_NONCE_LEN + ptlen);
	else
		r = cc_aead_seal(key, p + 1, aad, aadlen, pt, ptlen,
		    p + 1 + CC_NONCE_LEN, p + 1 + CC_NONCE_LEN + ptlen);
 out:
	buf_free(a);
	return r;
}

int
wrap_seal_to(struct buf *out, const uint8_t key[CC_KEY_LEN],
    const char *purpose, uint64_t serial, uint64_t sub, const void *extra,
    size_t extralen, const void *pt, size_t ptlen)
{
	return seal_with(out, key, NULL, purpose, serial, sub, extra, extralen,
	    pt, ptlen);
}

int
wrap_seal_k(struct buf *out, struct cc_aead *k, const char *purpose,
    uint64_t serial, uint64_t sub, const void *extra, size_t extralen,
    const void *pt, size_t ptlen)
{
	return seal_with(out, NULL, k, purpose, serial, sub, extra, extralen,
	    pt, ptlen);
}

int
wrap_seal(const uint8_t key[CC_KEY_LEN], const char *purpose,
    uint64_t serial, uint64_t sub, const void *extra, size_t extralen,
    const void *pt, size_t ptlen, struct buf **outp)
{
	struct buf *b;
	int r;

	if ((b = buf_new(WRAP_OVERHEAD + ptlen + 1)) == NULL)
		return CE_NOMEM;
	if ((r = wrap_seal_to(b, key, purpose, serial, sub, extra, extralen,
	    pt, ptlen)) != 0) {
		buf_free(b);
		return r;
	}
	*outp = b;
	return 0;
}

/*
 * Opens blob with key (a raw key) or k (a keyed context, for bulk reads).
 * The associated data is built on the stack when it fits, as it does for
 * every object record: no allocation per object.
 */
static int
open_with(const uint8_t *key, struct cc_aead *k, const char *purpose,
    uint64_t serial, uint64_t sub, const void *extra, size_t extralen,
    const void *blob, size_t bloblen, uint8_t *out)
{
	uint8_t stack[AAD_STACK];
	struct buf *a = NULL;
	const uint8_t *aad, *nonce, *ct, *tag;
	size_t aadlen, ctlen;
	int r;

	if (blob == NULL || bloblen < WRAP_OVERHEAD)
		return CE_FORMAT;
	if (((const uint8_t *)blob)[0] != WRAP_VERSION)
		return CE_VERSION;
	nonce = (const uint8_t *)blob + 1;
	ctlen = bloblen - WRAP_OVERHEAD;
	ct = nonce + CC_NONCE_LEN;
	tag = ct + ctlen;
	if ((r = aad_make(stack, purpose, serial, sub, extra, extralen, &aad,
	    &aadlen, &a)) != 0)
		return r;
	if (k != NULL)
		r = cc_aead_open_k(k, nonce, aad, aadlen, ct, ctlen, tag, out);
	else
		r = cc_aead_open(key, nonce, aad, aadlen, ct, ctlen, tag, out);
	buf_free(a);
	return r;
}

int
wrap_open_to(const uint8_t key[CC_KEY_LEN], const char *purpose,
    uint64_t serial, uint64_t sub, const void *extra, size_t extralen,
    const void *blob, size_t bloblen, uint8_t *out)
{
	return open_with(key, NULL, purpose, serial, sub, extra, extralen,
	    blob, bloblen, out);
}

int
wrap_open_k(struct cc_aead *k, const char *purpose, uint64_t serial,
    uint64_t sub, const void *extra, size_t extralen, const void *blob,
    size_t bloblen, uint8_t *out)
{
	return open_with(NULL, k, purpose, serial, sub, extra, extralen,
	    blob, bloblen, out);
}

int
wrap_open(const uint8_t key[CC_KEY_LEN], const char *purpose,
    uint64_t serial, uint64_t sub, const void *extra, size_t extralen,
    const void *blob, size_t bloblen, struct secret **ptp)
{
	struct secret *pt;
	int r;

	if (blob == NULL || bloblen < WRAP_OVERHEAD)
		return CE_FORMAT;
	if ((pt = secret_new(bloblen - WRAP_OVERHEAD)) == NULL)
		return CE_NOMEM;
	if ((r = wrap_open_to(key, purpose, serial, sub, extra, extralen, blob,
	    bloblen, secret_ptr(pt))) != 0) {
		secret_free(pt);
		return r;
	}
	*ptp = pt;
	return 0;
}

int
wrap_kek(const struct secret *cred, int kdf, const uint8_t salt[KDF_SALT_LEN],
    struct secret **kekp)
{
	struct secret *k;
	int r;

	if ((k = secret_new(CC_KEY_LEN)) == NULL)
		return CE_NOMEM;
	if ((r = kdf_argon2id(kdf, secret_ptr(cred), secret_len(cred), salt,
	    secret_ptr(k), CC_KEY_LEN)) != 0) {
		secret_free(k);
		return r;
	}
	*kekp = k;
	return 0;
}

static const char pub_info[] = "coffer-wrap-pub 1";

/* K of a wrap sealed to pub: HKDF over the X25519 secret and both keys. */
static int
pub_key(const uint8_t shared[CC_X25519_LEN], const uint8_t epk[CC_X25519_LEN],
    const uint8_t pub[CC_X25519_LEN], uint8_t key[CC_KEY_LEN])
{
	uint8_t info[sizeof(pub_info) - 1 + 2 * CC_X25519_LEN];
	size_t n = sizeof(pub_info) - 1;

	memcpy(info, pub_info, n);
	memcpy(info + n, epk, CC_X25519_LEN);
	memcpy(info + n + CC_X25519_LEN, pub, CC_X25519_LEN);
	return cc_hkdf_sha384(NULL, 0, shared, CC_X25519_LEN, info,
	    sizeof(info), key, CC_KEY_LEN);
}

int
wrap_seal_pub(const uint8_t pub[CC_X25519_LEN], const char *purpose,
    uint64_t serial, uint64_t sub, const void *pt, size_t ptlen,
    struct buf **outp)
{
	uint8_t esk[CC_X25519_LEN], epk[CC_X25519_LEN], shared[CC_X25519_LEN];
	uint8_t key[CC_KEY_LEN];
	struct buf *b = NULL;
	int r;

	cc_random(esk, sizeof(esk));
	if ((r = cc_x25519_public(esk, epk)) != 0 ||
	    (r = cc_x25519(esk, pub, shared)) != 0 ||
	    (r = pub_key(shared, epk, pub, key)) != 0)
		goto out;
	if ((b = buf_new(WRAP_PUB_OVERHEAD + ptlen + 1)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = buf_put(b, epk, sizeof(epk))) != 0 ||
	    (r = wrap_seal_to(b, key, purpose, serial, sub, NULL, 0, pt,
	    ptlen)) != 0)
		goto out;
	*outp = b;
	b = NULL;
 out:
	buf_free(b);
	sodium_memzero(esk, sizeof(esk));
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(key, sizeof(key));
	return r;
}

int
wrap_open_pub(const uint8_t sk[CC_X25519_LEN],
    const uint8_t pub[CC_X25519_LEN], const char *purpose, uint64_t serial,
    uint64_t sub, const void *blob, size_t bloblen, struct secret **ptp)
{
	uint8_t shared[CC_X25519_LEN], key[CC_KEY_LEN];
	const uint8_t *epk = blob;
	int r;

	if (blob == NULL || bloblen < WRAP_PUB_OVERHEAD)
		return CE_FORMAT;
	if ((r = cc_x25519(sk, epk, shared)) != 0) {
		r = CE_AUTH_TAG;
		goto out;
	}
	if ((r = pub_key(shared, epk, pub, key)) != 0)
		goto out;
	r = wrap_open(key, purpose, serial, sub, NULL, 0, epk + CC_X25519_LEN,
	    bloblen - CC_X25519_LEN, ptp);
 out:
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(key, sizeof(key));
	return r;
}
