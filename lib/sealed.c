/*
 * The sealed stream's chunks (docs/formats.md 6.5): the writer batches
 * records, compresses and seals each chunk; the reader and the secret-free
 * walk read them back one chunk at a time.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
/*
 * For ZSTD_customMem (wiping allocators): in zstd's "experimental" section
 * but unchanged since 1.0 and exported by Debian's shared libzstd.
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "buf.h"
#include "chan.h"
#include "crypto.h"
#include "err.h"
#include "secret.h"
#include "sealed_int.h"
#include "xfer_frame.h"

#define ZSTD_LEVEL 1 /* records are mostly key material: speed over ratio */
#define FLAG_LAST 0x01
#define CHUNK_AAD_LEN (SEALED_ID_LEN + 8 + 1)
#define CT_MAX ZSTD_COMPRESSBOUND(SEALED_CHUNK_RAW_MAX)
#define CHUNK_MAX (SEALED_CHUNK_HEAD_LEN + CT_MAX + CC_TAG_LEN + SEALED_CHECK_LEN)

struct sealed_writer {
	struct chan *out;
	struct sealed_header h;
	struct secret *keys; /* struct sealed_keys */
	struct buf *raw, *chunk;
	uint8_t *z;
	ZSTD_CCtx *cctx;
	uint64_t index, nrec;
	int finished, err;
};

struct sealed_reader {
	struct sealed_header h;
	struct secret *keys;
	struct buf *chunk, *raw;
	uint8_t *pt;
	ZSTD_DCtx *dctx;
	const char *label;
};

/*
 * zstd keeps plaintext in its own buffers; these allocators wipe them on
 * free like every other buffer that held a secret.
 */
static void *
wipe_alloc(void *opaque, size_t n)
{
	size_t *p;

	(void)opaque;
	if ((p = malloc(n + sizeof(size_t) * 2)) == NULL)
		return NULL;
	p[0] = n;
	return p + 2;
}

static void
wipe_free(void *opaque, void *q)
{
	size_t *p;

	(void)opaque;
	if (q == NULL)
		return;
	p = (size_t *)q - 2;
	sodium_memzero(q, p[0]);
	free(p);
}

static const ZSTD_customMem wipe_mem = { wipe_alloc, wipe_free, NULL };

static struct sealed_keys *
keys_of(const struct secret *s)
{
	return (struct sealed_keys *)(void *)secret_ptr(s);
}

static void
chunk_params(const uint8_t sid[SEALED_ID_LEN], uint64_t index, uint8_t flags,
    uint8_t nonce[CC_NONCE_LEN], uint8_t aad[CHUNK_AAD_LEN])
{
	int i;

	memset(nonce, 0, CC_NONCE_LEN);
	memcpy(aad, sid, SEALED_ID_LEN);
	for (i = 0; i < 8; i++) {
		nonce[4 + i] = (uint8_t)(index >> (56 - 8 * i));
		aad[SEALED_ID_LEN + i] = nonce[4 + i];
	}
	aad[SEALED_ID_LEN + 8] = flags;
}

/* checksum = SHA-384(stream id || chunk bytes before the checksum)[0..16) */
static int
chunk_sum(const uint8_t sid[SEALED_ID_LEN], const uint8_t *p, size_t n,
    uint8_t out[CC_HASH_LEN])
{
	struct cc_hash *h;
	int r;

	if ((r = cc_hash_new(&h)) != 0)
		return r;
	if ((r = cc_hash_update(h, sid, SEALED_ID_LEN)) == 0 &&
	    (r = cc_hash_update(h, p, n)) == 0)
		r = cc_hash_peek(h, out);
	cc_hash_free(h);
	return r;
}

int
sealed_writer_new_kat(int version, const struct secret *password,
    int kdf_profile,
    const struct xfer_domain *doms, size_t ndoms, struct chan *out,
    const uint8_t stream_id[SEALED_ID_LEN], const uint8_t sk[CC_KEY_LEN],
    const uint8_t salt[SEALED_SALT_LEN], struct sealed_writer **wp)
{
	struct sealed_writer *w;
	int r;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return CE_NOMEM;
	w->out = out;
	w->h.version = (uint16_t)version;
	w->h.kdf_profile = kdf_profile;
	memcpy(w->h.stream_id, stream_id, SEALED_ID_LEN);
	memcpy(w->h.salt, salt, SEALED_SALT_LEN);
	r = CE_NOMEM;
	if ((w->keys = secret_new(sizeof(struct sealed_keys))) == NULL ||
	    (w->raw = buf_new(SEALED_CHUNK_RAW_MAX)) == NULL ||
	    (w->chunk = buf_new(CHUNK_MAX)) == NULL ||
	    (w->z = malloc(CT_MAX)) == NULL ||
	    (w->cctx = ZSTD_createCCtx_advanced(wipe_mem)) == NULL)
		goto out;
	if ((r = sealed_wrap(&w->h, password, doms, ndoms, sk)) != 0 ||
	    (r = sealed_subkeys(sk, stream_id, keys_of(w->keys))) != 0)
		goto out;
	*wp = w;
	w = NULL;
	r = 0;
 out:
	sealed_writer_free(w);
	return r;
}

int
sealed_writer_new(const struct secret *password, int kdf_profile,
    const struct xfer_domain *doms, size_t ndoms, struct chan *out,
    struct sealed_writer **wp)
{
	uint8_t sid[SEALED_ID_LEN], salt[SEALED_SALT_LEN];
	struct secret *sk;
	int r;

	if ((sk = secret_new(CC_KEY_LEN)) == NULL)
		return CE_NOMEM;
	cc_random(sid, sizeof(sid));
	cc_random(salt, sizeof(salt));
	cc_random(secret_ptr(sk), CC_KEY_LEN);
	r = sealed_writer_new_kat(SEALED_VERSION, password, kdf_profile, doms,
	    ndoms, out, sid, secret_ptr(sk), salt, wp);
	secret_free(sk);
	return r;
}

void
sealed_writer_free(struct sealed_writer *w)
{
	if (w == NULL)
		return;
	secret_free(w->keys);
	buf_free(w->raw);
	buf_free(w->chunk);
	if (w->z != NULL) {
		sodium_memzero(w->z, CT_MAX);
		free(w->z);
	}
	ZSTD_freeCCtx(w->cctx);
	free(w);
}

int
sealed_writer_header(struct sealed_writer *w, const void *ad, size_t adlen,
    struct buf **hdrp)
{
	struct buf *b;
	int r;

	if ((b = buf_new(SEALED_HEADER_MAX)) == NULL)
		return CE_NOMEM;
	if ((r = sealed_header_mac(&w->h, keys_of(w->keys)->header, ad, adlen,
	    w->h.mac)) != 0 || (r = sealed_header_encode(&w->h, b)) != 0)
		goto out;
	if (hdrp == NULL) {
		r = chan_send(w->out, buf_ptr(b), buf_len(b));
		goto out;
	}
	*hdrp = b;
	b = NULL;
 out:
	buf_free(b);
	return r;
}

/* Compresses and seals the pending records as chunk w->index. */
static int
emit(struct sealed_writer *w, int last)
{
	uint8_t nonce[CC_NONCE_LEN], aad[CHUNK_AAD_LEN], sum[CC_HASH_LEN];
	uint8_t flags = last ? FLAG_LAST : 0, *ct;
	size_t zn;
	int r;

	zn = ZSTD_compressCCtx(w->cctx, w->z, CT_MAX, buf_ptr(w->raw),
	    buf_len(w->raw), ZSTD_LEVEL);
	if (ZSTD_isError(zn))
		return CE_NOMEM;
	chunk_params(w->h.stream_id, w->index, flags, nonce, aad);
	buf_reset(w->chunk);
	if ((r = buf_put_u64(w->chunk, w->index)) != 0 ||
	    (r = buf_put_u8(w->chunk, flags)) != 0 ||
	    (r = buf_put_u32(w->chunk, (uint32_t)zn)) != 0 ||
	    (r = buf_reserve(w->chunk, zn + CC_TAG_LEN, &ct)) != 0 ||
	    (r = cc_aead_seal(keys_of(w->keys)->chunk, nonce, aad, sizeof(aad),
	    w->z, zn, ct, ct + zn)) != 0 ||
	    (r = chunk_sum(w->h.stream_id, buf_ptr(w->chunk),
	    buf_len(w->chunk), sum)) != 0 ||
	    (r = buf_put(w->chunk, sum, SEALED_CHECK_LEN)) != 0 ||
	    (r = chan_send(w->out, buf_ptr(w->chunk), buf_len(w->chunk))) != 0)
		return r;
	sodium_memzero(w->z, zn);
	buf_reset(w->raw);
	w->index++;
	return 0;
}

int
sealed_writer_record(struct sealed_writer *w, uint8_t kind, const void *p,
    size_t n)
{
	int r;

	if (w->err != 0)
		return w->err;
	if (w->finished || kind == 0 || n > SEALED_RECORD_MAX)
		return CE_INVALID;
	/* A record never spans chunks; a big one gets a chunk of its own. */
	if (buf_len(w->raw) > 0 &&
	    buf_len(w->raw) + 6 + n > SEALED_CHUNK_TARGET &&
	    (r = emit(w, 0)) != 0)
		return w->err = r;
	if ((r = xf_record_put(w->raw, kind, p, n)) != 0)
		return w->err = r;
	w->nrec++;
	return 0;
}

int
sealed_writer_finish(struct sealed_writer *w)
{
	int r;

	if (w->err != 0)
		return w->err;
	if (w->finished)
		return CE_INVALID;
	/* Always a last chunk, even empty: truncation is then always seen. */
	if ((r = emit(w, 1)) != 0)
		return w->err = r;
	w->finished = 1;
	return 0;
}

uint64_t
sealed_writer_records(const struct sealed_writer *w)
{
	return w->nrec;
}

uint64_t
sealed_writer_chunks(const struct sealed_writer *w)
{
	return w->index;
}

/*
 * Reads chunk number want into c and checks its frame and checksum (no
 * key). On return the buffer's unread bytes are the ciphertext and tag.
 */
static int
read_chunk(struct chan *in, const uint8_t sid[SEALED_ID_LEN], uint64_t want,
    struct buf *c, uint8_t *flagsp, size_t *ctlenp)
{
	uint8_t *p, sum[CC_HASH_LEN];
	struct cc_hash *h = NULL;
	uint64_t index;
	uint32_t ctlen;
	int r;

	buf_reset(c);
	if ((r = buf_reserve(c, SEALED_CHUNK_HEAD_LEN, &p)) != 0)
		return r;
	if ((r = chan_recv(in, p, SEALED_CHUNK_HEAD_LEN)) != 0) {
		if (r == CE_PEER_CLOSED || r == CE_TRUNCATED) {
			err_set_detail("sealed stream ends before its last "
			    "chunk (after %llu chunks)", (unsigned long long)want);
			r = CE_TRUNCATED;
		}
		return r;
	}
	/* The checksum runs over the header bytes as they came. */
	if ((r = cc_hash_new(&h)) != 0)
		return r;
	if ((r = cc_hash_update(h, sid, SEALED_ID_LEN)) != 0 ||
	    (r = cc_hash_update(h, p, SEALED_CHUNK_HEAD_LEN)) != 0 ||
	    (r = buf_get_u64(c, &index)) != 0 ||
	    (r = buf_get_u8(c, flagsp)) != 0 ||
	    (r = buf_get_u32(c, &ctlen)) != 0)
		goto out;
	r = CE_INTEGRITY;
	if (index != want) {
		err_set_detail("chunk %llu found where chunk %llu belongs",
		    (unsigned long long)index, (unsigned long long)want);
		goto out;
	}
	if ((*flagsp & ~FLAG_LAST) != 0 || ctlen > CT_MAX) {
		err_set_detail("chunk %llu has a malformed frame",
		    (unsigned long long)want);
		goto out;
	}
	if ((r = buf_reserve(c, ctlen + CC_TAG_LEN + SEALED_CHECK_LEN,
	    &p)) != 0)
		goto out;
	if ((r = chan_recv(in, p, ctlen + CC_TAG_LEN + SEALED_CHECK_LEN)) != 0) {
		if (r == CE_PEER_CLOSED || r == CE_TRUNCATED) {
			err_set_detail("sealed stream ends inside chunk %llu",
			    (unsigned long long)want);
			r = CE_TRUNCATED;
		}
		goto out;
	}
	if ((r = cc_hash_update(h, p, ctlen + CC_TAG_LEN)) != 0 ||
	    (r = cc_hash_peek(h, sum)) != 0)
		goto out;
	if (!cc_memeq(sum, p + ctlen + CC_TAG_LEN, SEALED_CHECK_LEN)) {
		err_set_detail("chunk %llu fails its checksum",
		    (unsigned long long)want);
		r = CE_INTEGRITY;
		goto out;
	}
	*ctlenp = ctlen;
	r = 0;
 out:
	cc_hash_free(h);
	return r;
}

/* After the last chunk the stream must end. */
static int
expect_end(struct chan *in)
{
	uint8_t byte;
	int r;

	r = chan_recv(in, &byte, 1);
	if (r == CE_PEER_CLOSED)
		return 0;
	if (r == 0) {
		err_set_detail("bytes follow the last chunk");
		return CE_TRAILING;
	}
	return r;
}

int
sealed_walk(struct chan *in, const struct sealed_header *h,
    struct sealed_walk_info *infop)
{
	struct buf *c;
	uint64_t i = 0, bytes = 0;
	uint8_t flags = 0;
	size_t ctlen;
	int r;

	if ((c = buf_new(CHUNK_MAX)) == NULL)
		return CE_NOMEM;
	do {
		if ((r = read_chunk(in, h->stream_id, i, c, &flags,
		    &ctlen)) != 0)
			goto out;
		bytes += SEALED_CHUNK_HEAD_LEN + ctlen + CC_TAG_LEN +
		    SEALED_CHECK_LEN;
		i++;
	} while ((flags & FLAG_LAST) == 0);
	if ((r = expect_end(in)) != 0)
		goto out;
	infop->chunks = i;
	infop->bytes = bytes;
 out:
	buf_free(c);
	return r;
}

int
sealed_open(const uint8_t *hdr, size_t hdrlen, const struct secret *password,
    const struct xfer_domain *doms, size_t ndoms, const void *ad, size_t adlen,
    struct sealed_reader **rp)
{
	struct sealed_reader *rd;
	struct secret *sk = NULL;
	uint8_t mac[SEALED_MAC_LEN];
	size_t d = 0;
	int r;

	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		return CE_NOMEM;
	if ((r = sealed_header_parse(hdr, hdrlen, &rd->h)) != 0)
		goto out;
	r = CE_NOMEM;
	if ((sk = secret_new(CC_KEY_LEN)) == NULL ||
	    (rd->keys = secret_new(sizeof(struct sealed_keys))) == NULL ||
	    (rd->chunk = buf_new(CHUNK_MAX)) == NULL ||
	    (rd->raw = buf_new(SEALED_CHUNK_RAW_MAX)) == NULL ||
	    (rd->pt = malloc(CT_MAX)) == NULL ||
	    (rd->dctx = ZSTD_createDCtx_advanced(wipe_mem)) == NULL)
		goto out;
	/* The wrap tells a wrong key from damage: it is checked first. */
	if ((r = sealed_unwrap(&rd->h, password, doms, ndoms, secret_ptr(sk),
	    &d)) != 0 ||
	    (r = sealed_subkeys(secret_ptr(sk), rd->h.stream_id,
	    keys_of(rd->keys))) != 0 ||
	    (r = sealed_header_mac(&rd->h, keys_of(rd->keys)->header, ad, adlen,
	    mac)) != 0)
		goto out;
	if (!cc_memeq(mac, rd->h.mac, SEALED_MAC_LEN)) {
		err_set_detail("sealed header does not match its associated "
		    "data (manifest swapped or header altered)");
		r = CE_INTEGRITY;
		goto out;
	}
	rd->label = doms[d].label;
	*rp = rd;
	rd = NULL;
	r = 0;
 out:
	secret_free(sk);
	sealed_reader_free(rd);
	return r;
}

const char *
sealed_reader_domain(const struct sealed_reader *r)
{
	return r->label;
}

void
sealed_reader_free(struct sealed_reader *r)
{
	if (r == NULL)
		return;
	secret_free(r->keys);
	buf_free(r->chunk);
	buf_free(r->raw);
	if (r->pt != NULL) {
		sodium_memzero(r->pt, CT_MAX);
		free(r->pt);
	}
	ZSTD_freeDCtx(r->dctx);
	free(r);
}

/* Opens chunk i (in rd->chunk) into rd->raw. */
static int
open_chunk(struct sealed_reader *rd, uint64_t i, uint8_t flags, size_t ctlen)
{
	uint8_t nonce[CC_NONCE_LEN], aad[CHUNK_AAD_LEN], *raw;
	const uint8_t *ct = buf_ptr(rd->chunk);
	unsigned long long size;
	size_t got;
	int r;

	chunk_params(rd->h.stream_id, i, flags, nonce, aad);
	if ((r = cc_aead_open(keys_of(rd->keys)->chunk, nonce, aad, sizeof(aad),
	    ct, ctlen, ct + ctlen, rd->pt)) != 0) {
		err_set_detail("chunk %llu fails authentication (altered, moved "
		    "or from another stream)", (unsigned long long)i);
		return r;
	}
	/* Authentic from here; the size checks guard against our own bugs. */
	size = ZSTD_getFrameContentSize(rd->pt, ctlen);
	buf_reset(rd->raw);
	if (size == ZSTD_CONTENTSIZE_UNKNOWN ||
	    size == ZSTD_CONTENTSIZE_ERROR || size > SEALED_CHUNK_RAW_MAX)
		return CE_INTEGRITY;
	if (size == 0)
		return 0;
	if ((r = buf_reserve(rd->raw, (size_t)size, &raw)) != 0)
		return r;
	got = ZSTD_decompressDCtx(rd->dctx, raw, (size_t)size, rd->pt, ctlen);
	sodium_memzero(rd->pt, ctlen);
	if (ZSTD_isError(got) || got != size)
		return CE_INTEGRITY;
	return 0;
}

int
sealed_read(struct sealed_reader *rd, struct chan *in, xfer_record_fn *record,
    void *arg, uint64_t *countp)
{
	const uint8_t *p;
	uint64_t i = 0, count = 0;
	uint8_t flags = 0, kind;
	size_t ctlen, n;
	int r;

	do {
		if ((r = read_chunk(in, rd->h.stream_id, i, rd->chunk, &flags,
		    &ctlen)) != 0 ||
		    (r = open_chunk(rd, i, flags, ctlen)) != 0)
			goto out;
		while (buf_len(rd->raw) > 0) {
			if ((r = xf_record_get(rd->raw, &kind, &p, &n)) != 0) {
				r = CE_INTEGRITY;
				goto out;
			}
			count++;
			if ((r = record(arg, kind, p, n)) != 0)
				goto out;
		}
		i++;
	} while ((flags & FLAG_LAST) == 0);
	r = expect_end(in);
 out:
	buf_reset(rd->raw);
	if (countp != NULL)
		*countp = count;
	return r;
}
