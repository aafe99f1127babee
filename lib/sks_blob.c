/*
 * SKS blobs and SMK records as bytes (docs/formats.md 9.2 and 9.4); no
 * store, no session.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "secret.h"
#include "sks_int.h"

static const char blob_magic[4] = { 'C', 'S', 'K', 'B' };
static const char smk_magic[4] = { 'C', 'S', 'M', 'K' };
/* AAD prefixes with their NUL: version 1 (read only), version 2 */
static const char blob_ctx1[] = "coffer-sks-blob-v1";
static const char blob_ctx2[] = "coffer-sks-blob-v2";
static const char id_ctx[] = "coffer-smk-id-v1";
/* The HKDF info of the blob key (version 2 blobs, docs/formats.md 9.1). */
static const char blob_key_info[] = "coffer-sks-blob-key 2";

static _Atomic uint64_t decryptions;

uint64_t
sks_decryptions(void)
{
	return atomic_load(&decryptions);
}

void
sks_id_hex(const uint8_t id[SKS_ID_LEN], char out[2 * SKS_ID_LEN + 1])
{
	size_t i;

	for (i = 0; i < SKS_ID_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

int
sks_smk_id(const uint8_t smk[SKS_SMK_LEN], uint8_t id[SKS_ID_LEN])
{
	uint8_t mac[CC_HASH_LEN];
	int r;

	if ((r = cc_hmac_sha384(smk, SKS_SMK_LEN, id_ctx, sizeof(id_ctx) - 1,
	    mac)) != 0)
		return r;
	memcpy(id, mac, SKS_ID_LEN);
	return 0;
}

/*
 * The GCM key of a blob. Version 1 blobs used the SMK itself, which was also
 * the HMAC key of its id and the HKDF input of extract files; version 2
 * uses a subkey of its own, HKDF-SHA-384(SMK, "coffer-sks-blob-key 2"), so
 * the SMK keys only derivations. Version 1 is still read.
 */
static int
blob_key(const uint8_t smk[SKS_SMK_LEN], int ver, uint8_t key[CC_KEY_LEN])
{
	if (ver == SKS_BLOB_VERSION_1) {
		memcpy(key, smk, CC_KEY_LEN);
		return 0;
	}
	return cc_hkdf_sha384(NULL, 0, smk, SKS_SMK_LEN, blob_key_info,
	    sizeof(blob_key_info) - 1, key, CC_KEY_LEN);
}

/* AAD = context string of the version with its NUL, then the header. */
static int
blob_aad(int ver, const uint8_t *hdr, size_t hl, uint8_t *aad, size_t max,
    size_t *lenp)
{
	const char *ctx = ver == SKS_BLOB_VERSION_1 ? blob_ctx1 : blob_ctx2;

	if (sizeof(blob_ctx2) + hl > max)
		return CE_TOO_LONG;
	memcpy(aad, ctx, sizeof(blob_ctx2));
	memcpy(aad + sizeof(blob_ctx2), hdr, hl);
	*lenp = sizeof(blob_ctx2) + hl;
	return 0;
}

/*
 * The GCM contexts of one SMK, keyed once for many blobs: a restore or a
 * deep verify opens every blob under the same SMK, and deriving the
 * version 2 subkey and a key schedule per blob was most of their time.
 */
struct sks_blob_keys {
	struct cc_aead *k1;  /* version 1: the SMK itself */
	struct cc_aead *k2;  /* version 2: the blob subkey */
	uint8_t smk_id[SKS_ID_LEN];
};

int
sks_blob_keys_new(const uint8_t smk[SKS_SMK_LEN], struct sks_blob_keys **kp)
{
	struct sks_blob_keys *k;
	uint8_t key[CC_KEY_LEN];
	int r;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return CE_NOMEM;
	if ((r = sks_smk_id(smk, k->smk_id)) != 0 ||
	    (r = blob_key(smk, SKS_BLOB_VERSION_1, key)) != 0 ||
	    (r = cc_aead_new(key, &k->k1)) != 0 ||
	    (r = blob_key(smk, SKS_BLOB_VERSION, key)) != 0 ||
	    (r = cc_aead_new(key, &k->k2)) != 0) {
		sks_blob_keys_free(k);
		k = NULL;
	}
	sodium_memzero(key, sizeof(key));
	*kp = k;
	return r;
}

void
sks_blob_keys_free(struct sks_blob_keys *k)
{
	if (k == NULL)
		return;
	cc_aead_free(k->k1);
	cc_aead_free(k->k2);
	free(k);
}

/* Seals with smk (id and key derived here) or with k (set up before). */
static int
blob_seal(const uint8_t *smk, const struct sks_blob_keys *k,
    const struct sks_blob_info *o, const uint8_t nonce[12],
    const uint8_t *rec, size_t reclen, struct buf *out)
{
	uint8_t id[SKS_ID_LEN], aad[sizeof(blob_ctx2) + 64 + OBJECT_LABEL_MAX];
	uint8_t key[CC_KEY_LEN], *p, *hdr;
	size_t ll = strlen(o->label), start = buf_len(out), hl, al;
	int r;

	if (ll == 0 || ll > OBJECT_LABEL_MAX)
		return CE_INVALID;
	hl = 4 + 1 + 2 * SKS_ID_LEN + 12 + 1 + ll;
	if (hl + CC_NONCE_LEN + reclen + CC_TAG_LEN > SKS_BLOB_MAX) {
		err_set_detail("object '%s' needs a %zu-byte SKS blob; V1 "
		    "partitions hold objects of at most %d bytes a blob", o->label,
		    hl + CC_NONCE_LEN + reclen + CC_TAG_LEN, SKS_BLOB_MAX);
		return CE_TOO_LONG;
	}
	if (k != NULL)
		memcpy(id, k->smk_id, SKS_ID_LEN);
	else if ((r = sks_smk_id(smk, id)) != 0)
		return r;
	if ((r = buf_put(out, blob_magic, 4)) != 0 ||
	    (r = buf_put_u8(out, SKS_BLOB_VERSION)) != 0 ||
	    (r = buf_put(out, id, SKS_ID_LEN)) != 0 ||
	    (r = buf_put(out, o->uid, SKS_ID_LEN)) != 0 ||
	    (r = buf_put_u32(out, o->cls)) != 0 ||
	    (r = buf_put_u32(out, o->key_type)) != 0 ||
	    (r = buf_put_u32(out, o->bits)) != 0 ||
	    (r = buf_put_u8(out, (uint8_t)ll)) != 0 ||
	    (r = buf_put(out, o->label, ll)) != 0 ||
	    (r = buf_reserve(out, CC_NONCE_LEN + reclen + CC_TAG_LEN, &p)) != 0)
		return r;
	hdr = (uint8_t *)buf_ptr(out) + start;
	if ((r = blob_aad(SKS_BLOB_VERSION, hdr, hl, aad, sizeof(aad),
	    &al)) != 0)
		return r;
	memcpy(p, nonce, CC_NONCE_LEN);
	if (k != NULL)
		return cc_aead_seal_k(k->k2, p, aad, al, rec, reclen,
		    p + CC_NONCE_LEN, p + CC_NONCE_LEN + reclen);
	if ((r = blob_key(smk, SKS_BLOB_VERSION, key)) == 0)
		r = cc_aead_seal(key, p, aad, al, rec, reclen,
		    p + CC_NONCE_LEN, p + CC_NONCE_LEN + reclen);
	sodium_memzero(key, sizeof(key));
	return r;
}

int
sks_blob_seal(const uint8_t smk[SKS_SMK_LEN], const struct sks_blob_info *o,
    const uint8_t *rec, size_t reclen, struct buf *out)
{
	uint8_t nonce[CC_NONCE_LEN];

	cc_nonce(nonce);
	return blob_seal(smk, NULL, o, nonce, rec, reclen, out);
}

int
sks_blob_seal_k(const struct sks_blob_keys *k, const struct sks_blob_info *o,
    const uint8_t *rec, size_t reclen, struct buf *out)
{
	uint8_t nonce[CC_NONCE_LEN];

	cc_nonce(nonce);
	return blob_seal(NULL, k, o, nonce, rec, reclen, out);
}

int
sks_blob_seal_nonce(const uint8_t smk[SKS_SMK_LEN],
    const struct sks_blob_info *o, const uint8_t nonce[12],
    const uint8_t *rec, size_t reclen, struct buf *out)
{
	return blob_seal(smk, NULL, o, nonce, rec, reclen, out);
}

int
sks_blob_parse(const uint8_t *p, size_t n, struct sks_blob_info *bi)
{
	struct buf *b;
	uint8_t magic[4], ver, ll;
	size_t i;
	int r;

	memset(bi, 0, sizeof(*bi));
	if (n > SKS_BLOB_MAX)
		return CE_TOO_LONG;
	if ((b = buf_from(p, n)) == NULL)
		return CE_NOMEM;
	if ((r = buf_get(b, magic, 4)) != 0)
		goto out;
	if (memcmp(magic, blob_magic, 4) != 0) {
		err_set_detail("not an SKS blob (bad magic)");
		r = CE_FORMAT;
		goto out;
	}
	if ((r = buf_get_u8(b, &ver)) != 0)
		goto out;
	if (ver != SKS_BLOB_VERSION_1 && ver != SKS_BLOB_VERSION) {
		err_set_detail("SKS blob version %u; this build reads %d and %d",
		    ver, SKS_BLOB_VERSION_1, SKS_BLOB_VERSION);
		r = CE_VERSION;
		goto out;
	}
	bi->version = ver;
	if ((r = buf_get(b, bi->smk_id, SKS_ID_LEN)) != 0 ||
	    (r = buf_get(b, bi->uid, SKS_ID_LEN)) != 0 ||
	    (r = buf_get_u32(b, &bi->cls)) != 0 ||
	    (r = buf_get_u32(b, &bi->key_type)) != 0 ||
	    (r = buf_get_u32(b, &bi->bits)) != 0 ||
	    (r = buf_get_u8(b, &ll)) != 0)
		goto out;
	if (ll == 0 || ll > OBJECT_LABEL_MAX) {
		r = CE_FORMAT;
		goto out;
	}
	if ((r = buf_get(b, bi->label, ll)) != 0)
		goto out;
	bi->label[ll] = '\0';
	for (i = 0; i < ll; i++) {
		if ((unsigned char)bi->label[i] < 0x20 || bi->label[i] == 0x7f) {
			r = CE_FORMAT;
			goto out;
		}
	}
	bi->hdr_len = n - buf_len(b);
	/* Nonce, at least an empty record, and the tag must follow. */
	if (buf_len(b) < CC_NONCE_LEN + CC_TAG_LEN) {
		r = CE_TRUNCATED;
		goto out;
	}
	r = 0;
 out:
	buf_free(b);
	return r;
}

/* Opens with smk (derived here) or with k (keyed before). */
static int
blob_open(const uint8_t *smk, const struct sks_blob_keys *k, const uint8_t *p,
    size_t n, struct sks_blob_info *bi, uint8_t *rec, size_t *reclenp)
{
	uint8_t aad[sizeof(blob_ctx2) + 64 + OBJECT_LABEL_MAX], key[CC_KEY_LEN];
	size_t al, clen;
	const uint8_t *nonce, *ct, *tag;
	int r;

	if ((r = sks_blob_parse(p, n, bi)) != 0)
		return r;
	if ((r = blob_aad(bi->version, p, bi->hdr_len, aad, sizeof(aad),
	    &al)) != 0)
		return r;
	nonce = p + bi->hdr_len;
	clen = n - bi->hdr_len - CC_NONCE_LEN - CC_TAG_LEN;
	ct = nonce + CC_NONCE_LEN;
	tag = ct + clen;
	atomic_fetch_add(&decryptions, 1);
	if (k != NULL) {
		r = cc_aead_open_k(bi->version == SKS_BLOB_VERSION_1 ? k->k1 :
		    k->k2, nonce, aad, al, ct, clen, tag, rec);
	} else if ((r = blob_key(smk, bi->version, key)) == 0) {
		r = cc_aead_open(key, nonce, aad, al, ct, clen, tag, rec);
		sodium_memzero(key, sizeof(key));
	}
	if (r == 0)
		*reclenp = clen;
	return r;
}

int
sks_blob_open(const uint8_t smk[SKS_SMK_LEN], const uint8_t *p, size_t n,
    struct sks_blob_info *bi, uint8_t *rec, size_t *reclenp)
{
	return blob_open(smk, NULL, p, n, bi, rec, reclenp);
}

int
sks_blob_open_k(const struct sks_blob_keys *k, const uint8_t *p, size_t n,
    struct sks_blob_info *bi, uint8_t *rec, size_t *reclenp)
{
	return blob_open(NULL, k, p, n, bi, rec, reclenp);
}

int
sks_smk_record_parse(const uint8_t *p, size_t n, struct secret **smkp,
    uint8_t id[SKS_ID_LEN])
{
	struct secret *smk = NULL;
	struct buf *b = NULL;
	uint8_t magic[4], ver, claimed[SKS_ID_LEN], want[SKS_ID_LEN];
	int r;

	if (n > 64)
		return CE_TOO_LONG;
	if ((b = buf_from(p, n)) == NULL ||
	    (smk = secret_new(SKS_SMK_LEN)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = buf_get(b, magic, 4)) != 0 || (r = buf_get_u8(b, &ver)) != 0 ||
	    memcmp(magic, smk_magic, 4) != 0) {
		err_set_detail("malformed SMK record");
		r = CE_FORMAT;
		goto out;
	}
	if (ver != SKS_SMK_RECORD_VERSION) {
		err_set_detail("SMK record version %u; this build reads %d", ver,
		    SKS_SMK_RECORD_VERSION);
		r = CE_VERSION;
		goto out;
	}
	if ((r = buf_get(b, claimed, SKS_ID_LEN)) != 0 ||
	    (r = buf_get(b, secret_ptr(smk), SKS_SMK_LEN)) != 0 ||
	    (r = buf_end(b)) != 0) {
		err_set_detail("malformed SMK record");
		r = CE_FORMAT;
		goto out;
	}
	if ((r = sks_smk_id(secret_ptr(smk), want)) != 0)
		goto out;
	if (!cc_memeq(want, claimed, SKS_ID_LEN)) {
		err_set_detail("SMK record: the key does not match its id");
		r = CE_INTEGRITY;
		goto out;
	}
	memcpy(id, want, SKS_ID_LEN);
	*smkp = smk;
	smk = NULL;
 out:
	secret_free(smk);
	buf_free(b);
	return r;
}

int
sks_smk_record_put(const struct secret *smk, struct buf *out)
{
	uint8_t id[SKS_ID_LEN];
	int r;

	if ((r = sks_smk_id(secret_ptr(smk), id)) != 0)
		return r;
	if ((r = buf_put(out, smk_magic, 4)) != 0 ||
	    (r = buf_put_u8(out, SKS_SMK_RECORD_VERSION)) != 0 ||
	    (r = buf_put(out, id, SKS_ID_LEN)) != 0)
		return r;
	return buf_put(out, secret_ptr(smk), SKS_SMK_LEN);
}
