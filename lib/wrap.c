#include <string.h>

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

int
wrap_seal_to(struct buf *out, const uint8_t key[CC_KEY_LEN],
    const char *purpose, uint64_t serial, uint64_t sub, const void *extra,
    size_t extralen, const void *pt, size_t ptlen)
{
	struct buf *a = NULL;
	uint8_t *p;
	int r;

	if ((r = aad_full(purpose, serial, sub, extra, extralen, &a)) != 0)
		return r;
	if ((r = buf_reserve(out, WRAP_OVERHEAD + ptlen, &p)) != 0)
		goto out;
	p[0] = WRAP_VERSION;
	cc_random(p + 1, CC_NONCE_LEN);
	r = cc_aead_seal(key, p + 1, buf_ptr(a), buf_len(a), pt, ptlen,
	    p + 1 + CC_NONCE_LEN, p + 1 + CC_NONCE_LEN + ptlen);
 out:
	buf_free(a);
	return r;
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

int
wrap_open_to(const uint8_t key[CC_KEY_LEN], const char *purpose,
    uint64_t serial, uint64_t sub, const void *extra, size_t extralen,
    const void *blob, size_t bloblen, uint8_t *out)
{
	struct buf *a = NULL, *b = NULL;
	const uint8_t *nonce, *ct, *tag;
	uint8_t ver;
	size_t ctlen;
	int r;

	if (blob == NULL || bloblen < WRAP_OVERHEAD)
		return CE_FORMAT;
	if ((b = buf_from(blob, bloblen)) == NULL)
		return CE_NOMEM;
	if ((r = buf_get_u8(b, &ver)) != 0)
		goto out;
	if (ver != WRAP_VERSION) {
		r = CE_VERSION;
		goto out;
	}
	nonce = buf_ptr(b);
	ctlen = bloblen - WRAP_OVERHEAD;
	ct = nonce + CC_NONCE_LEN;
	tag = ct + ctlen;
	if ((r = aad_full(purpose, serial, sub, extra, extralen, &a)) != 0)
		goto out;
	r = cc_aead_open(key, nonce, buf_ptr(a), buf_len(a), ct, ctlen, tag,
	    out);
 out:
	buf_free(a);
	buf_free(b);
	return r;
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
