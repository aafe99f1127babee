/*
 * Extract files (Luna's SIM extract/insert): a partition's blobs as they
 * are, in one stream a partition holding the same SMK can insert, all or
 * nothing; docs/formats.md 9.5. The blobs need the SMK to open; the file's
 * MAC is keyed by the SMK and, with an authorization password, by the
 * password too, so the file is refused without it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "hsm_int.h"
#include "kdf.h"
#include "secret.h"
#include "sks_int.h"
#include "store.h"

static const char file_magic[4] = { 'C', 'S', 'K', 'X' };
static const char key_info[] = "coffer-sks-extract-v1";
static const char check_msg[] = "coffer-sks-extract-check";

#define HDR_LEN (4 + 1 + 1 + 1 + KDF_SALT_LEN + SKS_ID_LEN + 16)
#define SHARE_SECRET_LEN 32

static const char *const auth_names[] = {
	"no authorization", "an authorization password",
	"an M-of-N authorization (share files)",
};

/*
 * The file key: HKDF(salt, SMK || A) with A = Argon2id(password, salt)
 * for a password, the 32-byte secret itself for a share set (it is
 * random: nothing to stretch), nothing without an authorization.
 */
static int
file_key(const struct secret *smk, const struct sks_auth *auth,
    const uint8_t salt[KDF_SALT_LEN], uint8_t key[CC_HASH_LEN],
    uint8_t check[16])
{
	uint8_t ikm[SKS_SMK_LEN + 32], mac[CC_HASH_LEN];
	size_t il = SKS_SMK_LEN;
	int r = 0;

	memcpy(ikm, secret_ptr(smk), SKS_SMK_LEN);
	if (auth != NULL && auth->kind == SKS_AUTH_PASSWORD) {
		if ((r = kdf_argon2id(auth->kdf, secret_ptr(auth->secret),
		    secret_len(auth->secret), salt, ikm + SKS_SMK_LEN, 32)) != 0)
			goto out;
		il += 32;
	} else if (auth != NULL && auth->kind == SKS_AUTH_SHARES) {
		if (secret_len(auth->secret) != SHARE_SECRET_LEN) {
			err_set_detail("the share set does not hold an extract "
			    "authorization (a %zu-byte secret)",
			    secret_len(auth->secret));
			r = CE_BAD_CREDENTIAL;
			goto out;
		}
		memcpy(ikm + SKS_SMK_LEN, secret_ptr(auth->secret), 32);
		il += 32;
	}
	if ((r = cc_hkdf_sha384(salt, KDF_SALT_LEN, ikm, il, key_info,
	    sizeof(key_info) - 1, key, CC_HASH_LEN)) != 0 ||
	    (r = cc_hmac_sha384(key, CC_HASH_LEN, check_msg,
	    sizeof(check_msg) - 1, mac)) != 0)
		goto out;
	memcpy(check, mac, 16);
 out:
	sodium_memzero(ikm, sizeof(ikm));
	return r;
}

/* The header of an extract file (docs/formats.md 9.5). */
struct xhdr {
	uint8_t auth;                 /* enum sks_auth_kind */
	uint8_t kdf;                  /* SKS_AUTH_PASSWORD: profile id */
	uint8_t salt[KDF_SALT_LEN];
	uint8_t smk_id[SKS_ID_LEN];
	uint8_t check[16];
};

static int
hdr_put(const struct xhdr *x, uint8_t out[HDR_LEN])
{
	struct buf *b;
	int r;

	if ((b = buf_new(HDR_LEN)) == NULL)
		return CE_NOMEM;
	if ((r = buf_put(b, file_magic, 4)) == 0 &&
	    (r = buf_put_u8(b, SKS_FILE_VERSION)) == 0 &&
	    (r = buf_put_u8(b, x->auth)) == 0 &&
	    (r = buf_put_u8(b, x->kdf)) == 0 &&
	    (r = buf_put(b, x->salt, KDF_SALT_LEN)) == 0 &&
	    (r = buf_put(b, x->smk_id, SKS_ID_LEN)) == 0 &&
	    (r = buf_put(b, x->check, 16)) == 0)
		memcpy(out, buf_ptr(b), HDR_LEN);
	buf_free(b);
	return r;
}

static int
hdr_parse(const uint8_t in[HDR_LEN], struct xhdr *x)
{
	struct buf *b;
	uint8_t magic[4], ver;
	int r;

	if ((b = buf_from(in, HDR_LEN)) == NULL)
		return CE_NOMEM;
	if ((r = buf_get(b, magic, 4)) != 0 || (r = buf_get_u8(b, &ver)) != 0)
		goto out;
	if (memcmp(magic, file_magic, 4) != 0) {
		err_set_detail("not an SKS extract file (bad magic)");
		r = CE_FORMAT;
		goto out;
	}
	if (ver != SKS_FILE_VERSION) {
		err_set_detail("SKS extract version %u; this build reads %d",
		    ver, SKS_FILE_VERSION);
		r = CE_VERSION;
		goto out;
	}
	if ((r = buf_get_u8(b, &x->auth)) != 0 ||
	    (r = buf_get_u8(b, &x->kdf)) != 0 ||
	    (r = buf_get(b, x->salt, KDF_SALT_LEN)) != 0 ||
	    (r = buf_get(b, x->smk_id, SKS_ID_LEN)) != 0 ||
	    (r = buf_get(b, x->check, 16)) != 0 || (r = buf_end(b)) != 0)
		goto out;
	if (x->auth > SKS_AUTH_SHARES || (x->auth == SKS_AUTH_PASSWORD &&
	    kdf_profile_name(x->kdf) == NULL) ||
	    (x->auth != SKS_AUTH_PASSWORD && x->kdf != 0)) {
		err_set_detail("SKS extract: unknown authorization %u/%u",
		    x->auth, x->kdf);
		r = CE_FORMAT;
	}
 out:
	buf_free(b);
	return r;
}

/* --- writing ------------------------------------------------------------- */

struct writer {
	int fd;
	struct cc_hash *h;
	uint64_t count;
};

static int
put(struct writer *w, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t k;
	int r;

	if ((r = cc_hash_update(w->h, p, n)) != 0)
		return r;
	while (n > 0) {
		if ((k = write(w->fd, b, n)) < 0) {
			if (errno == EINTR)
				continue;
			err_set_detail("writing the extract: %s", strerror(errno));
			return CE_IO;
		}
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static void
be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int
put_blob(void *ctx, const uint8_t *blob, size_t n)
{
	struct writer *w = ctx;
	uint8_t len[4];
	int r;

	be32(len, (uint32_t)n);
	if ((r = put(w, len, 4)) != 0 || (r = put(w, blob, n)) != 0)
		return r;
	w->count++;
	return 0;
}

int
sks_extract(struct session *s, const char *const *labels, size_t nlabels,
    const struct sks_auth *auth, int fd, uint64_t *countp)
{
	struct writer w = { fd, NULL, 0 };
	struct xhdr x;
	uint8_t hdr[HDR_LEN], key[CC_HASH_LEN], digest[CC_HASH_LEN];
	uint8_t tail[4 + 8], mac[CC_HASH_LEN];
	struct object_info in;
	size_t i;
	int r;

	if (s->version != 1) {
		err_set_detail("partition '%s' is V0: only V1 partitions hold "
		    "SKS blobs (clone or back up a V0 partition instead)",
		    s->label);
		return CE_INVALID;
	}
	if (s->role != ROLE_CO) {
		err_set_detail("SKS blobs are extracted by the Crypto Officer");
		return CE_PERMISSION;
	}
	if (auth != NULL && auth->kind == SKS_AUTH_NONE)
		auth = NULL;
	if (auth != NULL && (auth->kind > SKS_AUTH_SHARES ||
	    auth->secret == NULL || (auth->kind == SKS_AUTH_PASSWORD &&
	    kdf_profile_name(auth->kdf) == NULL)))
		return CE_INVALID;
	/* The current SMK (not one loaded before a rollover): the header
	 * names it and every blob is checked against it as it is written. */
	if ((r = sks_refresh(s)) != 0)
		return r;
	for (i = 0; i < nlabels; i++)
		if ((r = sks_obj_find(s, labels[i], &in)) != 0)
			return r;
	memset(&x, 0, sizeof(x));
	x.auth = auth != NULL ? (uint8_t)auth->kind : SKS_AUTH_NONE;
	x.kdf = auth != NULL && auth->kind == SKS_AUTH_PASSWORD ?
	    (uint8_t)auth->kdf : 0;
	cc_random(x.salt, KDF_SALT_LEN);
	memcpy(x.smk_id, s->smk_id, SKS_ID_LEN);
	if ((r = file_key(s->smk, auth, x.salt, key, x.check)) != 0 ||
	    (r = hdr_put(&x, hdr)) != 0)
		goto out;
	if ((r = cc_hash_new(&w.h)) != 0 || (r = put(&w, hdr, HDR_LEN)) != 0 ||
	    (r = sks_foreach_blob(s, nlabels ? labels : NULL, nlabels,
	    put_blob, &w)) != 0)
		goto out;
	be32(tail, 0);
	for (i = 0; i < 8; i++)
		tail[4 + i] = (uint8_t)(w.count >> (56 - 8 * i));
	if ((r = put(&w, tail, sizeof(tail))) != 0 ||
	    (r = cc_hash_peek(w.h, digest)) != 0 ||
	    (r = cc_hmac_sha384(key, CC_HASH_LEN, digest, CC_HASH_LEN,
	    mac)) != 0 || (r = put(&w, mac, CC_HASH_LEN)) != 0)
		goto out;
	if (fsync(fd) != 0 && errno != EINVAL) {
		err_set_detail("fsync of the extract: %s", strerror(errno));
		r = CE_IO;
		goto out;
	}
	if (countp != NULL)
		*countp = w.count;
 out:
	sodium_memzero(key, sizeof(key));
	cc_hash_free(w.h);
	return r;
}

/* --- reading ------------------------------------------------------------- */

static int
get(int fd, struct cc_hash *h, void *p, size_t n)
{
	uint8_t *b = p;
	ssize_t k;

	while (n > 0) {
		if ((k = read(fd, b, n)) < 0) {
			if (errno == EINTR)
				continue;
			err_set_detail("reading the extract: %s", strerror(errno));
			return CE_IO;
		}
		if (k == 0) {
			err_set_detail("the extract file ends early: it was cut "
			    "short; nothing was inserted");
			return CE_INTEGRITY;
		}
		if (h != NULL && cc_hash_update(h, b, (size_t)k) != 0)
			return CE_CRYPTO;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Explains a file whose SMK is not the partition's. */
static int
smk_mismatch(struct session *s, const uint8_t id[SKS_ID_LEN])
{
	sqlite3_stmt *q;
	char fhex[2 * SKS_ID_LEN + 1], phex[2 * SKS_ID_LEN + 1], when[32];
	int r, rc, state = -1;
	uint64_t gen = 0;
	time_t t = 0;

	sks_id_hex(id, fhex);
	sks_id_hex(s->smk_id, phex);
	if ((r = store_prepare(s->h->st, "SELECT state, gen, retired FROM smk "
	    "WHERE partition_id = ? AND smk_id = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, s->pid);
	sqlite3_bind_blob(q, 2, id, SKS_ID_LEN, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		state = sqlite3_column_int(q, 0);
		gen = (uint64_t)sqlite3_column_int64(q, 1);
		t = (time_t)sqlite3_column_int64(q, 2);
	}
	sqlite3_reset(q);
	if (state == SMK_RETIRED) {
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		err_set_detail("the extract was made under SMK generation %llu "
		    "(%s) of partition '%s', retired by an SMK rollover at %s; "
		    "its blobs can no longer be opened. Extract the objects "
		    "again (current SMK %s); nothing was inserted",
		    (unsigned long long)gen, fhex, s->label, when, phex);
	} else
		err_set_detail("the extract was made under SMK %s but partition "
		    "'%s' holds SMK %s: insert it into a partition that holds "
		    "that SMK, or clone the SMK first; nothing was inserted",
		    fhex, s->label, phex);
	return CE_POLICY;
}

int
sks_insert(struct session *s, int fd, const struct sks_auth *auth,
    int conflict, struct object_apply_stats *stp)
{
	struct object_apply_opts ao;
	struct object_apply *a = NULL;
	struct sks_auth wa;
	struct xhdr x;
	struct cc_hash *h = NULL;
	struct buf *self = NULL;
	uint8_t hdr[HDR_LEN], key[CC_HASH_LEN], check[16], digest[CC_HASH_LEN];
	uint8_t len[4], cnt[8], mac[CC_HASH_LEN], want[CC_HASH_LEN], extra;
	uint8_t *blob = NULL;
	uint64_t count = 0, n = 0;
	uint32_t bl;
	ssize_t k;
	int r, i;

	if (s->version != 1) {
		err_set_detail("partition '%s' is V0: SKS blobs go into V1 "
		    "partitions", s->label);
		return CE_INVALID;
	}
	if (s->role != ROLE_CO) {
		err_set_detail("SKS blobs are inserted by the Crypto Officer");
		return CE_PERMISSION;
	}
	if ((r = sks_session_smk(s)) != 0)
		return r;
	if ((r = cc_hash_new(&h)) != 0 || (r = get(fd, h, hdr, HDR_LEN)) != 0 ||
	    (r = hdr_parse(hdr, &x)) != 0)
		goto out;
	if (!cc_memeq(x.smk_id, s->smk_id, SKS_ID_LEN)) {
		r = smk_mismatch(s, x.smk_id);
		goto out;
	}
	if (auth != NULL && auth->kind == SKS_AUTH_NONE)
		auth = NULL;
	if ((auth == NULL ? SKS_AUTH_NONE : auth->kind) != x.auth) {
		err_set_detail("this extract is under %s, but %s was given%s",
		    auth_names[x.auth], auth == NULL ? "none" :
		    auth_names[auth->kind], x.auth == SKS_AUTH_PASSWORD ?
		    ": give it with --auth-pin-file or --auth-pin-env" :
		    x.auth == SKS_AUTH_SHARES ? ": give M of its share files "
		    "with --auth-share" : ": leave the --auth-* options out");
		r = x.auth == SKS_AUTH_NONE ? CE_USAGE : CE_BAD_CREDENTIAL;
		goto out;
	}
	if (auth != NULL) {
		wa = *auth;
		wa.kdf = x.kdf;
		auth = &wa;
	}
	if ((r = file_key(s->smk, auth, x.salt, key, check)) != 0)
		goto out;
	if (!cc_memeq(check, x.check, 16)) {
		err_set_detail(x.auth == SKS_AUTH_PASSWORD ? "wrong authorization "
		    "password for this extract; nothing was inserted" :
		    x.auth == SKS_AUTH_SHARES ? "these shares are not the "
		    "extract's authorization set; nothing was inserted" :
		    "the extract's check value does not match: the header was "
		    "altered");
		r = x.auth != SKS_AUTH_NONE ? CE_BAD_CREDENTIAL : CE_INTEGRITY;
		goto out;
	}
	/* The partition's own SMK record lets the apply take blobs as they are. */
	if ((blob = malloc(SKS_BLOB_MAX)) == NULL ||
	    (self = buf_new(64)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	memset(&ao, 0, sizeof(ao));
	ao.conflict = conflict;
	ao.audit_event = "sks-insert";
	ao.audit_detail = "SKS extract file";
	if ((r = sks_smk_record_put(s->smk, self)) != 0 ||
	    (r = object_apply_begin(s, &ao, &a)) != 0 ||
	    (r = object_apply_smk(a, buf_ptr(self), buf_len(self), 0)) != 0)
		goto out;
	for (;;) {
		if ((r = get(fd, h, len, 4)) != 0)
			goto out;
		if ((bl = get_be32(len)) == 0)
			break;
		if (bl > SKS_BLOB_MAX) {
			err_set_detail("SKS extract: a %u-byte blob (the limit is "
			    "%d): the file is corrupt", bl, SKS_BLOB_MAX);
			r = CE_INTEGRITY;
			goto out;
		}
		if ((r = get(fd, h, blob, bl)) != 0)
			goto out;
		/* Staged only: the MAC at the end decides. */
		if ((r = object_apply_blob(a, blob, bl)) != 0) {
			if (r == CE_FORMAT || r == CE_VERSION || r == CE_TRUNCATED)
				r = CE_INTEGRITY;
			goto out;
		}
		n++;
	}
	if ((r = get(fd, h, cnt, 8)) != 0 || (r = cc_hash_peek(h, digest)) != 0 ||
	    (r = get(fd, NULL, mac, CC_HASH_LEN)) != 0)
		goto out;
	for (i = 0; i < 8; i++)
		count = count << 8 | cnt[i];
	if ((r = cc_hmac_sha384(key, CC_HASH_LEN, digest, CC_HASH_LEN,
	    want)) != 0)
		goto out;
	while ((k = read(fd, &extra, 1)) < 0 && errno == EINTR)
		;
	if (!cc_memeq(mac, want, CC_HASH_LEN) || count != n || k != 0) {
		err_set_detail("the extract fails its integrity check (altered, "
		    "truncated or with bytes appended); nothing was inserted");
		r = CE_INTEGRITY;
		goto out;
	}
	r = object_apply_commit(a, stp);
	a = NULL;
 out:
	object_apply_abort(a);
	sodium_memzero(key, sizeof(key));
	cc_hash_free(h);
	buf_free(self);
	free(blob);
	return r;
}
