/*
 * The sealed stream's header and keys (docs/formats.md 6.2-6.4): encoding,
 * the secret-free parse, the per-domain wraps under domain key + password,
 * and the header MAC that binds the caller's associated data.
 */
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "chan.h"
#include "crypto.h"
#include "err.h"
#include "kdf.h"
#include "secret.h"
#include "sealed_int.h"

#define FIXED_LEN (SEALED_HEADER_MIN + SEALED_ID_LEN + 1 + SEALED_SALT_LEN + 1)
#define WRAP_AAD_LEN (SEALED_MAGIC_LEN + 2 + SEALED_ID_LEN + 1)

static const char wrap_label[] = "coffer sealed v1 wrap";
static const char wrap_label2[] = "coffer sealed v2 wrap";
static const char chunk_label[] = "coffer sealed v1 chunk";
static const char header_label[] = "coffer sealed v1 header";

static size_t
header_len(size_t nwraps)
{
	return FIXED_LEN + nwraps * SEALED_WRAP_LEN + SEALED_MAC_LEN +
	    SEALED_CHECK_LEN;
}

/* Everything the MAC covers: the fields from magic through the wraps. */
static int
put_fields(struct buf *b, const struct sealed_header *h)
{
	size_t i;
	int r;

	if ((r = buf_put(b, SEALED_MAGIC, SEALED_MAGIC_LEN)) != 0 ||
	    (r = buf_put_u16(b, h->version)) != 0 ||
	    (r = buf_put_u16(b, (uint16_t)header_len(h->nwraps))) != 0 ||
	    (r = buf_put(b, h->stream_id, SEALED_ID_LEN)) != 0 ||
	    (r = buf_put_u8(b, (uint8_t)h->kdf_profile)) != 0 ||
	    (r = buf_put(b, h->salt, SEALED_SALT_LEN)) != 0 ||
	    (r = buf_put_u8(b, (uint8_t)h->nwraps)) != 0)
		return r;
	for (i = 0; i < h->nwraps; i++)
		if ((r = buf_put(b, h->wraps[i], SEALED_WRAP_LEN)) != 0)
			return r;
	return 0;
}

int
sealed_header_mac(const struct sealed_header *h,
    const uint8_t key[SEALED_MAC_LEN], const void *ad, size_t adlen,
    uint8_t mac[SEALED_MAC_LEN])
{
	uint8_t adh[CC_HASH_LEN];
	struct buf *b;
	int r;

	if (h->nwraps == 0 || h->nwraps > XFER_MAX_DOMAINS)
		return CE_INVALID;
	if ((b = buf_new(SEALED_HEADER_MAX)) == NULL)
		return CE_NOMEM;
	if ((r = put_fields(b, h)) == 0 &&
	    (r = cc_sha384(adlen ? ad : "", adlen, adh)) == 0 &&
	    (r = buf_put(b, adh, sizeof(adh))) == 0)
		r = cc_hmac_sha384(key, SEALED_MAC_LEN, buf_ptr(b), buf_len(b),
		    mac);
	buf_free(b);
	return r;
}

int
sealed_header_encode(const struct sealed_header *h, struct buf *out)
{
	uint8_t sum[CC_HASH_LEN];
	size_t start = buf_len(out);
	int r;

	if (h->nwraps == 0 || h->nwraps > XFER_MAX_DOMAINS)
		return CE_INVALID;
	if ((r = put_fields(out, h)) != 0 ||
	    (r = buf_put(out, h->mac, SEALED_MAC_LEN)) != 0 ||
	    (r = cc_sha384(buf_ptr(out) + start, buf_len(out) - start,
	    sum)) != 0)
		return r;
	return buf_put(out, sum, SEALED_CHECK_LEN);
}

/* Parses the fields after the checksum was found good. */
static int
parse_fields(struct buf *b, struct sealed_header *h)
{
	uint8_t magic[SEALED_MAGIC_LEN], profile, nwraps;
	uint16_t len;
	size_t i;
	int r;

	if ((r = buf_get(b, magic, sizeof(magic))) != 0 ||
	    (r = buf_get_u16(b, &h->version)) != 0 ||
	    (r = buf_get_u16(b, &len)) != 0)
		return r;
	if (h->version != 1 && h->version != 2)
		return CE_VERSION;
	if ((r = buf_get(b, h->stream_id, SEALED_ID_LEN)) != 0 ||
	    (r = buf_get_u8(b, &profile)) != 0 ||
	    (r = buf_get(b, h->salt, SEALED_SALT_LEN)) != 0 ||
	    (r = buf_get_u8(b, &nwraps)) != 0)
		return r;
	if (kdf_profile_name(profile) == NULL) {
		err_set_detail("sealed header names KDF profile %u, unknown "
		    "to this build", profile);
		return CE_UNSUPPORTED;
	}
	if (nwraps == 0 || nwraps > XFER_MAX_DOMAINS || len != header_len(nwraps))
		return CE_FORMAT;
	h->kdf_profile = profile;
	h->nwraps = nwraps;
	for (i = 0; i < nwraps; i++)
		if ((r = buf_get(b, h->wraps[i], SEALED_WRAP_LEN)) != 0)
			return r;
	if ((r = buf_get(b, h->mac, SEALED_MAC_LEN)) != 0 ||
	    (r = buf_skip(b, SEALED_CHECK_LEN)) != 0)
		return r;
	h->len = len;
	return buf_end(b);
}

int
sealed_header_parse(const uint8_t *p, size_t n, struct sealed_header *hp)
{
	uint8_t magic[SEALED_MAGIC_LEN], sum[CC_HASH_LEN];
	struct buf *b;
	uint16_t version, len;
	int r;

	memset(hp, 0, sizeof(*hp));
	if ((b = buf_from(p, n)) == NULL)
		return CE_NOMEM;
	if ((r = buf_get(b, magic, sizeof(magic))) != 0 ||
	    (r = buf_get_u16(b, &version)) != 0 ||
	    (r = buf_get_u16(b, &len)) != 0)
		goto out;
	r = CE_FORMAT;
	if (memcmp(magic, SEALED_MAGIC, SEALED_MAGIC_LEN) != 0)
		goto out;
	if (len < header_len(1) || len > SEALED_HEADER_MAX)
		goto out;
	r = n < len ? CE_TRUNCATED : n > len ? CE_TRAILING : 0;
	if (r != 0)
		goto out;
	/*
	 * The checksum comes first (every version ends the header with it),
	 * so damage reads as damage, not as a wrong version or a wrong key.
	 */
	if ((r = cc_sha384(p, len - SEALED_CHECK_LEN, sum)) != 0)
		goto out;
	if (!cc_memeq(sum, p + len - SEALED_CHECK_LEN, SEALED_CHECK_LEN)) {
		err_set_detail("sealed header checksum mismatch");
		r = CE_INTEGRITY;
		goto out;
	}
	buf_free(b);
	if ((b = buf_from(p, n)) == NULL)
		return CE_NOMEM;
	r = parse_fields(b, hp);
 out:
	buf_free(b);
	return r;
}

int
sealed_header_read(struct chan *in, struct buf **hdrp, struct sealed_header *hp)
{
	struct buf *b;
	uint8_t *p;
	uint16_t len;
	int r;

	if ((b = buf_new(SEALED_HEADER_MAX)) == NULL)
		return CE_NOMEM;
	if ((r = buf_reserve(b, SEALED_HEADER_MIN, &p)) != 0)
		goto out;
	if ((r = chan_recv(in, p, SEALED_HEADER_MIN)) != 0) {
		r = r == CE_PEER_CLOSED ? CE_TRUNCATED : r;
		goto out;
	}
	if (memcmp(p, SEALED_MAGIC, SEALED_MAGIC_LEN) != 0) {
		r = CE_FORMAT;
		goto out;
	}
	len = (uint16_t)((p[10] << 8) | p[11]);
	if (len < header_len(1) || len > SEALED_HEADER_MAX) {
		r = CE_FORMAT;
		goto out;
	}
	if ((r = buf_reserve(b, len - SEALED_HEADER_MIN, &p)) != 0)
		goto out;
	if ((r = chan_recv(in, p, len - SEALED_HEADER_MIN)) != 0) {
		r = r == CE_PEER_CLOSED ? CE_TRUNCATED : r;
		goto out;
	}
	if ((r = sealed_header_parse(buf_ptr(b), buf_len(b), hp)) != 0)
		goto out;
	*hdrp = b;
	b = NULL;
 out:
	buf_free(b);
	return r;
}

int
sealed_subkeys(const uint8_t sk[CC_KEY_LEN],
    const uint8_t stream_id[SEALED_ID_LEN], struct sealed_keys *kp)
{
	int r;

	if ((r = cc_hkdf_sha384(stream_id, SEALED_ID_LEN, sk, CC_KEY_LEN,
	    chunk_label, sizeof(chunk_label) - 1, kp->chunk,
	    sizeof(kp->chunk))) != 0)
		return r;
	return cc_hkdf_sha384(stream_id, SEALED_ID_LEN, sk, CC_KEY_LEN,
	    header_label, sizeof(header_label) - 1, kp->header,
	    sizeof(kp->header));
}

/*
 * The password and domain secret of one wrap (docs/formats.md 6.3):
 * version 1 stretched the password alone (pwkey) and mixed in the domain
 * key with HKDF, so a guesser holding a list of candidate domain keys paid
 * one cheap HKDF per pair; version 2 stretches both together (one Argon2id
 * over domain key || password per domain), so every (domain, password)
 * pair costs a full run.
 */
struct wrap_secret {
	int version;
	const struct secret *pwk;   /* v1: Argon2id(password) */
	struct secret *dk;          /* v1: the domain key */
	struct secret *joint;       /* v2: Argon2id(domain key || password) */
};

/* The wrap key of wrap i from ws, and the wrap's associated data. */
static int
wrap_key(const struct wrap_secret *ws, const struct sealed_header *h,
    size_t i, uint8_t wk[CC_KEY_LEN], uint8_t aad[WRAP_AAD_LEN])
{
	const char *label = h->version == 1 ? wrap_label : wrap_label2;
	uint8_t info[sizeof(wrap_label) - 1 + SEALED_ID_LEN + 1];
	size_t o = 0;

	memcpy(info, label, sizeof(wrap_label) - 1);
	memcpy(info + sizeof(wrap_label) - 1, h->stream_id, SEALED_ID_LEN);
	info[sizeof(info) - 1] = (uint8_t)i;
	memcpy(aad, SEALED_MAGIC, SEALED_MAGIC_LEN);
	o = SEALED_MAGIC_LEN;
	aad[o++] = (uint8_t)(h->version >> 8);
	aad[o++] = (uint8_t)(h->version & 0xff);
	memcpy(aad + o, h->stream_id, SEALED_ID_LEN);
	aad[o + SEALED_ID_LEN] = (uint8_t)i;
	if (h->version == 1)
		return cc_hkdf_sha384(secret_ptr(ws->dk), secret_len(ws->dk),
		    secret_ptr(ws->pwk), secret_len(ws->pwk), info,
		    sizeof(info), wk, CC_KEY_LEN);
	return cc_hkdf_sha384(h->stream_id, SEALED_ID_LEN,
	    secret_ptr(ws->joint), secret_len(ws->joint), info, sizeof(info),
	    wk, CC_KEY_LEN);
}

/*
 * The most costly KDF profile a header may make us run (sealed.h). The
 * header's profile byte is read before anything authenticates it, so a
 * forged byte must not buy an attacker a 1 GiB Argon2id run per try.
 */
static int max_kdf = KDF_MODERATE;

void
sealed_set_max_kdf(int profile)
{
	if (kdf_profile_name(profile) != NULL)
		max_kdf = profile;
}

static int
profile_allowed(const struct sealed_header *h)
{
	if (h->kdf_profile > max_kdf) {
		err_set_detail("the backup's header asks for the '%s' KDF "
		    "profile, costlier than the '%s' allowed; if the backup was "
		    "made with it, allow it with --max-kdf %s", kdf_profile_name(
		    h->kdf_profile), kdf_profile_name(max_kdf),
		    kdf_profile_name(h->kdf_profile));
		return CE_POLICY;
	}
	return 0;
}

/* Argon2id under the header's profile and salt of a || b into *kp. */
static int
stretch(const struct sealed_header *h, const struct secret *a,
    const struct secret *b, struct secret **kp)
{
	struct secret *in = NULL, *k = NULL;
	size_t alen = a ? secret_len(a) : 0;
	int r = CE_NOMEM;

	if ((in = secret_new(alen + secret_len(b))) == NULL ||
	    (k = secret_new(CC_KEY_LEN)) == NULL)
		goto out;
	if (a != NULL)
		memcpy(secret_ptr(in), secret_ptr(a), alen);
	memcpy(secret_ptr(in) + alen, secret_ptr(b), secret_len(b));
	if ((r = kdf_argon2id(h->kdf_profile, secret_ptr(in), secret_len(in),
	    h->salt, secret_ptr(k), CC_KEY_LEN)) != 0)
		goto out;
	*kp = k;
	k = NULL;
 out:
	secret_free(in);
	secret_free(k);
	return r;
}

/*
 * Prepares ws for domain key dk: version 1 reuses the one password key
 * (made on first use), version 2 stretches dk with the password.
 */
static int
wrap_secret_for(const struct sealed_header *h, const struct secret *password,
    const struct secret *dk, struct secret **pwkp, struct wrap_secret *ws)
{
	int r;

	ws->version = h->version;
	ws->dk = (struct secret *)dk;
	secret_free(ws->joint);
	ws->joint = NULL;
	if (h->version == 1) {
		if (*pwkp == NULL && (r = stretch(h, NULL, password, pwkp)) != 0)
			return r;
		ws->pwk = *pwkp;
		return 0;
	}
	return stretch(h, dk, password, &ws->joint);
}

int
sealed_wrap(struct sealed_header *h, const struct secret *password,
    const struct xfer_domain *doms, size_t ndoms, const uint8_t sk[CC_KEY_LEN])
{
	static const uint8_t zero_nonce[CC_NONCE_LEN];
	uint8_t wk[CC_KEY_LEN], aad[WRAP_AAD_LEN];
	struct wrap_secret ws = { 0 };
	struct secret *pwk = NULL;
	size_t i;
	int r;

	if (password == NULL || secret_len(password) == 0)
		return CE_INVALID;
	if ((r = xfer_domains_check(doms, ndoms)) != 0 ||
	    (r = profile_allowed(h)) != 0)
		return r;
	/* Each wrap key is used once (stream id and index in its info). */
	for (i = 0; i < ndoms; i++) {
		if ((r = wrap_secret_for(h, password, doms[i].key, &pwk,
		    &ws)) != 0 ||
		    (r = wrap_key(&ws, h, i, wk, aad)) != 0 ||
		    (r = cc_aead_seal(wk, zero_nonce, aad, sizeof(aad), sk,
		    CC_KEY_LEN, h->wraps[i], h->wraps[i] + CC_KEY_LEN)) != 0)
			goto out;
	}
	h->nwraps = ndoms;
 out:
	sodium_memzero(wk, sizeof(wk));
	secret_free(ws.joint);
	secret_free(pwk);
	return r;
}

int
sealed_unwrap(const struct sealed_header *h, const struct secret *password,
    const struct xfer_domain *doms, size_t ndoms, uint8_t sk[CC_KEY_LEN],
    size_t *domp)
{
	static const uint8_t zero_nonce[CC_NONCE_LEN];
	uint8_t wk[CC_KEY_LEN], aad[WRAP_AAD_LEN];
	struct wrap_secret ws = { 0 };
	struct secret *pwk = NULL;
	size_t d, i;
	int r;

	if (password == NULL || secret_len(password) == 0)
		return CE_INVALID;
	if ((r = xfer_domains_check(doms, ndoms)) != 0 ||
	    (r = profile_allowed(h)) != 0)
		return r;
	r = CE_BAD_CREDENTIAL;
	for (d = 0; d < ndoms && r == CE_BAD_CREDENTIAL; d++) {
		if ((r = wrap_secret_for(h, password, doms[d].key, &pwk,
		    &ws)) != 0)
			break;
		r = CE_BAD_CREDENTIAL;
		for (i = 0; i < h->nwraps; i++) {
			int k;

			if ((k = wrap_key(&ws, h, i, wk, aad)) != 0) {
				r = k;
				break;
			}
			k = cc_aead_open(wk, zero_nonce, aad, sizeof(aad),
			    h->wraps[i], CC_KEY_LEN, h->wraps[i] + CC_KEY_LEN,
			    sk);
			if (k == 0) {
				*domp = d;
				r = 0;
				break;
			}
			if (k != CE_AUTH_TAG) {
				r = k;
				break;
			}
		}
	}
	if (r == CE_BAD_CREDENTIAL)
		err_set_detail("wrong backup password, or none of the given "
		    "cloning domains protects this stream");
	sodium_memzero(wk, sizeof(wk));
	secret_free(ws.joint);
	secret_free(pwk);
	return r;
}
