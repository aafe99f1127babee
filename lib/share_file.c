/*
 * Share files: the emulated iKey. Layout in docs/formats.md section 8.1.
 *
 * An unkeyed checksum over the whole file comes first in every read, so a
 * damaged file is CE_SHARE_CORRUPT and only an intact file whose GCM tag
 * fails counts as a wrong PIN (as signify tells a wrong passphrase from a
 * corrupt key file).
 */
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "file.h"
#include "kdf.h"
#include "secret.h"
#include "share_int.h"

#define FILE_MAGIC "COFSHARE"
#define FILE_MAGIC_LEN 8
#define FILE_VERSION 1
#define FLAG_PIN 0x01
#define SUM_LEN 32
#define FILE_MAX 1024

/* A parsed file: the header in sh (no y), pointers into the input. */
struct parsed {
	struct share hdr;
	size_t salt, nonce, payload, tag; /* offsets into the file */
	size_t aad_len;
};

int
share_file_is(const uint8_t *p, size_t len)
{
	return len >= FILE_MAGIC_LEN && memcmp(p, FILE_MAGIC, FILE_MAGIC_LEN) == 0;
}

/* The offset in the file of b's read cursor (b holds all but the sum). */
static size_t
at(const struct buf *b, size_t len)
{
	return len - SUM_LEN - buf_len(b);
}

int
share_file_claims_pin(const uint8_t *p, size_t len)
{
	return share_file_is(p, len) && len > FILE_MAGIC_LEN + 1 &&
	    (p[FILE_MAGIC_LEN + 1] & FLAG_PIN) != 0;
}

static int
parse(const uint8_t *p, size_t len, struct parsed *pf)
{
	struct buf *b = NULL;
	uint8_t sum[CC_HASH_LEN], version, flags, prof = 0;
	uint16_t slen;
	int r;

	memset(pf, 0, sizeof(*pf));
	if (!share_file_is(p, len)) {
		err_set_detail("not a Coffer share file (bad magic)");
		return CE_FORMAT;
	}
	if (len < FILE_MAGIC_LEN + 1 || p[FILE_MAGIC_LEN] != FILE_VERSION) {
		err_set_detail("share file version %u; this Coffer reads %d",
		    len > FILE_MAGIC_LEN ? p[FILE_MAGIC_LEN] : 0, FILE_VERSION);
		return len > FILE_MAGIC_LEN ? CE_VERSION : CE_SHARE_CORRUPT;
	}
	if (len > FILE_MAX || len < FILE_MAGIC_LEN + 1 + SUM_LEN) {
		err_set_detail("share file has an impossible size (%zu bytes)",
		    len);
		return CE_SHARE_CORRUPT;
	}
	if ((r = cc_sha384(p, len - SUM_LEN, sum)) != 0)
		return r;
	if (!cc_memeq(sum, p + len - SUM_LEN, SUM_LEN)) {
		err_set_detail("share file checksum does not match: the file "
		    "is damaged");
		return CE_SHARE_CORRUPT;
	}
	if ((b = buf_from(p, len - SUM_LEN)) == NULL)
		return CE_NOMEM;
	if ((r = buf_skip(b, FILE_MAGIC_LEN)) != 0 ||
	    (r = buf_get_u8(b, &version)) != 0 ||
	    (r = buf_get_u8(b, &flags)) != 0 ||
	    (r = buf_get(b, pf->hdr.set_id, SHARE_SET_ID_LEN)) != 0 ||
	    (r = buf_get_u8(b, &pf->hdr.m)) != 0 ||
	    (r = buf_get_u8(b, &pf->hdr.n)) != 0 ||
	    (r = buf_get_u8(b, &pf->hdr.index)) != 0 ||
	    (r = buf_get_u8(b, &pf->hdr.x)) != 0 ||
	    (r = buf_get_u16(b, &slen)) != 0 ||
	    (r = buf_get(b, pf->hdr.check, SHARE_CHECK_LEN)) != 0)
		goto bad;
	pf->hdr.secret_len = slen;
	if ((flags & ~FLAG_PIN) != 0) {
		err_set_detail("share file has unknown flags 0x%02x", flags);
		r = CE_FORMAT;
		goto out;
	}
	if (flags & FLAG_PIN) {
		pf->salt = at(b, len) + 1;
		pf->nonce = pf->salt + KDF_SALT_LEN;
		if ((r = buf_get_u8(b, &prof)) != 0 ||
		    (r = buf_skip(b, KDF_SALT_LEN + CC_NONCE_LEN)) != 0)
			goto bad;
		if (kdf_profile_name(prof) == NULL) {
			err_set_detail("share file names unknown KDF profile %u",
			    prof);
			r = CE_FORMAT;
			goto out;
		}
		pf->hdr.pin_protected = 1;
		pf->hdr.kdf_profile = prof;
	}
	pf->aad_len = at(b, len);
	pf->payload = pf->aad_len;
	if ((r = buf_skip(b, (size_t)slen + SHARE_BLIND_LEN)) != 0)
		goto bad;
	if (flags & FLAG_PIN) {
		pf->tag = at(b, len);
		if ((r = buf_skip(b, CC_TAG_LEN)) != 0)
			goto bad;
	}
	if ((r = buf_end(b)) != 0)
		goto bad;
	r = share_check_fields(&pf->hdr);
	goto out;
 bad:
	err_set_detail("share file fields do not add up to its size");
	r = CE_FORMAT;
 out:
	buf_free(b);
	return r;
}

int
share_file_peek(const uint8_t *p, size_t len, struct share_info *ip)
{
	struct parsed pf;
	int r;

	if ((r = parse(p, len, &pf)) != 0)
		return r;
	share_get_info(&pf.hdr, ip);
	return 0;
}

/* Argon2id(pin) under profile into a new 32-byte secret key. */
static int
pin_key(const struct secret *pin, int profile, const uint8_t *salt,
    struct secret **keyp)
{
	struct secret *key;
	int r;

	if ((key = secret_new(CC_KEY_LEN)) == NULL)
		return CE_NOMEM;
	if ((r = kdf_argon2id(profile, secret_ptr(pin), secret_len(pin), salt,
	    secret_ptr(key), CC_KEY_LEN)) != 0) {
		secret_free(key);
		return r;
	}
	*keyp = key;
	return 0;
}

int
share_file_decode(const uint8_t *p, size_t len, const struct secret *pin,
    struct share **shp)
{
	struct parsed pf;
	struct share *sh = NULL;
	struct secret *key = NULL;
	size_t ylen;
	int r;

	if ((r = parse(p, len, &pf)) != 0)
		return r;
	if ((sh = share_alloc(pf.hdr.secret_len)) == NULL)
		return CE_NOMEM;
	secret_free(sh->y);
	*sh = pf.hdr;
	ylen = pf.hdr.secret_len + SHARE_BLIND_LEN;
	if ((sh->y = secret_new(ylen)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if (!pf.hdr.pin_protected) {
		memcpy(secret_ptr(sh->y), p + pf.payload, ylen);
	} else {
		if (pin == NULL) {
			err_set_detail("the share file is PIN-protected; give "
			    "its PIN");
			r = CE_BAD_CREDENTIAL;
			goto out;
		}
		if ((r = pin_key(pin, pf.hdr.kdf_profile, p + pf.salt,
		    &key)) != 0)
			goto out;
		r = cc_aead_open(secret_ptr(key), p + pf.nonce, p, pf.aad_len,
		    p + pf.payload, ylen, p + pf.tag, secret_ptr(sh->y));
		if (r == CE_AUTH_TAG) {
			/* the checksum held, so the file is whole: the PIN */
			err_set_detail("wrong PIN for this share file");
			r = CE_BAD_CREDENTIAL;
		}
		if (r != 0)
			goto out;
	}
	*shp = sh;
	sh = NULL;
	r = 0;
 out:
	secret_free(key);
	share_free(sh);
	return r;
}

int
share_file_encode(const struct share *sh, const struct secret *pin,
    int kdf_profile, struct buf **outp)
{
	struct buf *b = NULL;
	struct secret *key = NULL;
	uint8_t salt[KDF_SALT_LEN], nonce[CC_NONCE_LEN], sum[CC_HASH_LEN];
	uint8_t *payload, *tag, *sump;
	size_t ylen = sh->secret_len + SHARE_BLIND_LEN, aad_len;
	int r;

	if ((r = share_check_fields(sh)) != 0)
		return CE_INVALID;
	if (pin != NULL && kdf_profile_name(kdf_profile) == NULL)
		return CE_INVALID;
	if ((b = buf_new(FILE_MAX)) == NULL)
		return CE_NOMEM;
	if ((r = buf_put(b, FILE_MAGIC, FILE_MAGIC_LEN)) != 0 ||
	    (r = buf_put_u8(b, FILE_VERSION)) != 0 ||
	    (r = buf_put_u8(b, pin != NULL ? FLAG_PIN : 0)) != 0 ||
	    (r = buf_put(b, sh->set_id, SHARE_SET_ID_LEN)) != 0 ||
	    (r = buf_put_u8(b, sh->m)) != 0 ||
	    (r = buf_put_u8(b, sh->n)) != 0 ||
	    (r = buf_put_u8(b, sh->index)) != 0 ||
	    (r = buf_put_u8(b, sh->x)) != 0 ||
	    (r = buf_put_u16(b, (uint16_t)sh->secret_len)) != 0 ||
	    (r = buf_put(b, sh->check, SHARE_CHECK_LEN)) != 0)
		goto out;
	if (pin != NULL) {
		cc_random(salt, sizeof(salt));
		cc_random(nonce, sizeof(nonce));
		if ((r = buf_put_u8(b, (uint8_t)kdf_profile)) != 0 ||
		    (r = buf_put(b, salt, sizeof(salt))) != 0 ||
		    (r = buf_put(b, nonce, sizeof(nonce))) != 0)
			goto out;
	}
	aad_len = buf_len(b);
	if ((r = buf_reserve(b, ylen, &payload)) != 0)
		goto out;
	if (pin == NULL) {
		memcpy(payload, secret_ptr(sh->y), ylen);
	} else {
		if ((r = buf_reserve(b, CC_TAG_LEN, &tag)) != 0 ||
		    (r = pin_key(pin, kdf_profile, salt, &key)) != 0)
			goto out;
		/* buf_reserve may move the data: take pointers afresh */
		payload = (uint8_t *)buf_ptr(b) + aad_len;
		tag = payload + ylen;
		if ((r = cc_aead_seal(secret_ptr(key), nonce, buf_ptr(b),
		    aad_len, secret_ptr(sh->y), ylen, payload, tag)) != 0)
			goto out;
	}
	if ((r = cc_sha384(buf_ptr(b), buf_len(b), sum)) != 0 ||
	    (r = buf_reserve(b, SUM_LEN, &sump)) != 0)
		goto out;
	memcpy(sump, sum, SUM_LEN);
	*outp = b;
	b = NULL;
	r = 0;
 out:
	secret_free(key);
	buf_free(b);
	return r;
}

int
share_file_write(const char *path, const struct share *sh,
    const struct secret *pin, int kdf_profile, int force)
{
	struct buf *b = NULL;
	int r;

	if ((r = share_file_encode(sh, pin, kdf_profile, &b)) != 0)
		return r;
	r = file_write_secret(path, buf_ptr(b), buf_len(b), force);
	buf_free(b);
	return r;
}

int
share_file_read(const char *path, const struct secret *pin, struct share **shp)
{
	struct buf *b = NULL;
	int r;

	if ((r = file_read(path, FILE_MAX, &b)) != 0)
		return r == CE_TOO_LONG ? CE_FORMAT : r;
	r = share_file_decode(buf_ptr(b), buf_len(b), pin, shp);
	buf_free(b);
	return r;
}
