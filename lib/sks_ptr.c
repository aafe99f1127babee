/*
 * The SMK pointer of a V1 partition: sks.db's `part` row naming the current
 * SMK id and generation and listing the ids the partition retired, under a
 * MAC keyed from the partition's PSK (docs/formats.md 9.3). Settling
 * believes the pointer, so a pointer edited in sks.db could otherwise make
 * it destroy the live SMK's wrap; and the retired list is what keeps a
 * clone or restore from quietly bringing back a key a rollover retired.
 * Also here: the test that an SMK is the one a partition's blobs are under.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "hsm_int.h"
#include "object.h"
#include "object_int.h"
#include "secret.h"
#include "sks_int.h"
#include "store.h"

static const char ptr_info[] = "coffer-sks-pointer-mac 1";

void
sks_ptr_clear(struct sks_ptr *p)
{
	free(p->retired);
	memset(p, 0, sizeof(*p));
}

int
sks_ptr_mac(const struct secret *psk, uint64_t serial,
    const struct sks_ptr *p, uint8_t out[SKS_PTR_MAC_LEN])
{
	uint8_t key[CC_HASH_LEN], mac[CC_HASH_LEN];
	struct buf *m = NULL;
	int r;

	if (p->nretired > SKS_PTR_RETIRED_MAX)
		return CE_TOO_LONG;
	if ((m = buf_new(8 + SKS_ID_LEN + 8 + 4 +
	    p->nretired * SKS_ID_LEN)) == NULL)
		return CE_NOMEM;
	if ((r = buf_put_u64(m, serial)) != 0 ||
	    (r = buf_put(m, p->id, SKS_ID_LEN)) != 0 ||
	    (r = buf_put_u64(m, p->gen)) != 0 ||
	    (r = buf_put_u32(m, (uint32_t)p->nretired)) != 0 ||
	    (p->nretired > 0 && (r = buf_put(m, p->retired,
	    p->nretired * SKS_ID_LEN)) != 0))
		goto out;
	if ((r = cc_hkdf_sha384(NULL, 0, secret_ptr(psk), secret_len(psk),
	    ptr_info, sizeof(ptr_info) - 1, key, sizeof(key))) == 0 &&
	    (r = cc_hmac_sha384(key, sizeof(key), buf_ptr(m), buf_len(m),
	    mac)) == 0)
		memcpy(out, mac, SKS_PTR_MAC_LEN);
 out:
	sodium_memzero(key, sizeof(key));
	buf_free(m);
	return r;
}

int
sks_ptr_read(struct hsm *h, uint64_t serial, const struct secret *psk,
    struct sks_ptr *p)
{
	uint8_t want[SKS_PTR_MAC_LEN];
	sqlite3_stmt *q;
	size_t n;
	int r, rc, have = 0;

	memset(p, 0, sizeof(*p));
	if ((r = sks_require(h)) != 0)
		return r;
	if ((r = store_prepare(h->sks, "SELECT smk_id, gen, retired, mac FROM "
	    "part WHERE serial = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, (int64_t)serial);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(q);
		if (rc != SQLITE_DONE)
			return store_err(h->sks, rc);
		err_set_detail("%s has no SMK entry for V1 partition serial "
		    "%llu: the off-board store does not belong to this HSM",
		    SKS_DB_NAME, (unsigned long long)serial);
		return CE_INTEGRITY;
	}
	n = (size_t)sqlite3_column_bytes(q, 2);
	r = 0;
	if (sqlite3_column_bytes(q, 0) != SKS_ID_LEN || n % SKS_ID_LEN != 0 ||
	    n / SKS_ID_LEN > SKS_PTR_RETIRED_MAX ||
	    (sqlite3_column_type(q, 3) != SQLITE_NULL &&
	    sqlite3_column_bytes(q, 3) != SKS_PTR_MAC_LEN))
		r = CE_INTEGRITY;
	else if (n > 0 && (p->retired = malloc(n)) == NULL)
		r = CE_NOMEM;
	if (r == 0) {
		memcpy(p->id, sqlite3_column_blob(q, 0), SKS_ID_LEN);
		p->gen = (uint64_t)sqlite3_column_int64(q, 1);
		if (n > 0)
			memcpy(p->retired, sqlite3_column_blob(q, 2), n);
		p->nretired = n / SKS_ID_LEN;
		if ((have = sqlite3_column_type(q, 3) != SQLITE_NULL))
			memcpy(want, sqlite3_column_blob(q, 3), sizeof(want));
	}
	sqlite3_reset(q);
	p->macked = have;
	if (r == 0 && psk != NULL && have) {
		uint8_t got[SKS_PTR_MAC_LEN];

		if ((r = sks_ptr_mac(psk, serial, p, got)) == 0 &&
		    !cc_memeq(got, want, sizeof(got)))
			r = CE_INTEGRITY;
	}
	if (r == CE_INTEGRITY)
		err_set_detail("the SMK pointer of V1 partition serial %llu in "
		    "%s fails its MAC: %s was altered (or comes from another "
		    "moment than hsm.db); nothing was changed. Restore hsm.db "
		    "and %s together from the same backup",
		    (unsigned long long)serial, SKS_DB_NAME, SKS_DB_NAME,
		    SKS_DB_NAME);
	if (r != 0)
		sks_ptr_clear(p);
	return r;
}

int
sks_ptr_write(struct hsm *h, uint64_t serial, const struct secret *psk,
    const struct sks_ptr *p)
{
	uint8_t mac[SKS_PTR_MAC_LEN];
	sqlite3_stmt *q;
	int r, rc;

	if ((r = sks_ptr_mac(psk, serial, p, mac)) != 0)
		return r;
	if ((r = store_prepare(h->sks, "INSERT INTO part (serial, smk_id, gen, "
	    "retired, mac) VALUES (?, ?, ?, ?, ?) ON CONFLICT (serial) DO "
	    "UPDATE SET smk_id = excluded.smk_id, gen = excluded.gen, "
	    "retired = excluded.retired, mac = excluded.mac", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, (int64_t)serial);
	sqlite3_bind_blob(q, 2, p->id, SKS_ID_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 3, (int64_t)p->gen);
	/* zeroblob(0), not NULL, for an empty list */
	if (p->nretired > 0)
		sqlite3_bind_blob(q, 4, p->retired,
		    (int)(p->nretired * SKS_ID_LEN), SQLITE_TRANSIENT);
	else
		sqlite3_bind_zeroblob(q, 4, 0);
	sqlite3_bind_blob(q, 5, mac, sizeof(mac), SQLITE_TRANSIENT);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : store_err(h->sks, rc);
}

int
sks_ptr_is_retired(const struct sks_ptr *p, const uint8_t id[SKS_ID_LEN])
{
	size_t i;

	for (i = 0; i < p->nretired; i++)
		if (memcmp(p->retired + i * SKS_ID_LEN, id, SKS_ID_LEN) == 0)
			return 1;
	return 0;
}

int
sks_ptr_retire(struct sks_ptr *p, const uint8_t id[SKS_ID_LEN])
{
	uint8_t *n;

	if (sks_ptr_is_retired(p, id))
		return 0;
	if (p->nretired == SKS_PTR_RETIRED_MAX) {
		/* the oldest goes: a bound on the row, and on the MAC input */
		memmove(p->retired, p->retired + SKS_ID_LEN,
		    (p->nretired - 1) * SKS_ID_LEN);
		p->nretired--;
	}
	if ((n = realloc(p->retired, (p->nretired + 1) * SKS_ID_LEN)) == NULL)
		return CE_NOMEM;
	p->retired = n;
	memcpy(p->retired + p->nretired * SKS_ID_LEN, id, SKS_ID_LEN);
	p->nretired++;
	return 0;
}

void
sks_ptr_unretire(struct sks_ptr *p, const uint8_t id[SKS_ID_LEN])
{
	size_t i;

	for (i = 0; i < p->nretired; i++) {
		if (memcmp(p->retired + i * SKS_ID_LEN, id, SKS_ID_LEN) != 0)
			continue;
		memmove(p->retired + i * SKS_ID_LEN,
		    p->retired + (i + 1) * SKS_ID_LEN,
		    (p->nretired - i - 1) * SKS_ID_LEN);
		p->nretired--;
		return;
	}
}

int
sks_blob_check(const struct sks_blob_keys *k, const uint8_t *blob,
    size_t n, uint8_t *rec, struct sks_blob_info *bi, const char *under)
{
	struct object *o = NULL;
	const uint8_t *v;
	size_t rl = 0, vl;
	int r;

	if ((r = sks_blob_open_k(k, blob, n, bi, rec, &rl)) != 0) {
		if (r == CE_NOMEM)
			return r;
		err_set_detail("SKS blob '%s' fails its integrity check under %s; "
		    "nothing was written", bi->label, under);
		return CE_INTEGRITY;
	}
	if ((r = object_decode_view(rec, rl, &o, &v, &vl)) != 0) {
		err_set_detail("SKS blob '%s' opens but holds no object record; "
		    "nothing was written", bi->label);
		r = CE_INTEGRITY;
	} else if (strcmp(o->label, bi->label) != 0 || o->cls != bi->cls) {
		err_set_detail("SKS blob '%s' holds the object '%s': its header "
		    "names another; nothing was written", bi->label, o->label);
		r = CE_INTEGRITY;
	}
	object_free(o);
	sodium_memzero(rec, rl);
	return r;
}
