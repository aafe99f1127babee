/*
 * Objects of a V1 partition: each one an SKS blob row in sks.db. The
 * object functions (lib/object.c, objapply.c) call these when the session
 * is V1, so every `hsm key` command and every transfer works unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "hsm_int.h"
#include "object_int.h"
#include "secret.h"
#include "sks_int.h"
#include "store.h"

static int
scratch(struct buf **bp)
{
	if (*bp == NULL && (*bp = buf_new(OBJECT_RECORD_MAX)) == NULL)
		return CE_NOMEM;
	buf_reset(*bp);
	return 0;
}

static int
count_add(struct session *s, int64_t dcount, int64_t dbytes)
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = store_prepare(s->h->sks, "UPDATE part SET count = count + ?, "
	    "used = used + ? WHERE serial = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, dcount);
	sqlite3_bind_int64(q, 2, dbytes);
	sqlite3_bind_int64(q, 3, (int64_t)s->serial);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : store_err(s->h->sks, rc);
}

/* The blob's row; the partition's count is the caller's to update. */
static int
row_insert(struct session *s, const uint8_t *blob, size_t n,
    const struct sks_blob_info *bi, int64_t created)
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = store_prepare(s->h->sks, "INSERT INTO blob (serial, label, "
	    "uid, class, key_type, bits, size, created, blob) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?)", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, (int64_t)s->serial);
	sqlite3_bind_text(q, 2, bi->label, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, bi->uid, SKS_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, bi->cls);
	sqlite3_bind_int64(q, 5, bi->key_type);
	sqlite3_bind_int64(q, 6, bi->bits);
	sqlite3_bind_int64(q, 7, (int64_t)n);
	sqlite3_bind_int64(q, 8, created);
	sqlite3_bind_blob(q, 9, blob, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		r = store_err(s->h->sks, rc);
		if (r == CE_EXISTS)
			err_set_detail("label '%s' is already in use in partition "
			    "'%s'", bi->label, s->label);
		return r;
	}
	return 0;
}

/*
 * The blob keys of the session's SMK (sks_session_smk first), set up once:
 * a bulk generate seals a million blobs under one SMK.
 */
static int
session_blob_keys(struct session *s, const struct sks_blob_keys **kp)
{
	int r;

	if (s->smk_keys != NULL &&
	    !cc_memeq(s->smk_keys_id, s->smk_id, SKS_ID_LEN)) {
		sks_blob_keys_free(s->smk_keys);
		s->smk_keys = NULL;
	}
	if (s->smk_keys == NULL) {
		if ((r = sks_blob_keys_new(secret_ptr(s->smk),
		    &s->smk_keys)) != 0)
			return r;
		memcpy(s->smk_keys_id, s->smk_id, SKS_ID_LEN);
	}
	*kp = s->smk_keys;
	return 0;
}

int
sks_obj_insert_tx(struct session *s, const struct object *o,
    const uint8_t *val, size_t vlen, uint64_t *addp, struct buf *attrs)
{
	const struct sks_blob_keys *keys;
	struct sks_blob_info bi;
	uint8_t *v;
	int r;

	/* sks_refresh: a rollover (or a rekey) may have committed since the
	 * session loaded its SMK; a blob sealed under the retired one would
	 * not open once its wrap is gone */
	if ((r = sks_refresh(s)) != 0 || (r = scratch(&s->sks_rec)) != 0 ||
	    (r = scratch(&s->sks_blob)) != 0)
		return r;
	buf_reset(attrs);
	if ((r = object_attrs_encode(o, attrs)) != 0 ||
	    (r = object_record_put(s->sks_rec, buf_ptr(attrs), buf_len(attrs),
	    vlen, &v)) != 0)
		goto out;
	if (vlen > 0)
		memcpy(v, val, vlen);
	memset(&bi, 0, sizeof(bi));
	cc_random(bi.uid, SKS_ID_LEN);
	bi.cls = o->cls;
	bi.key_type = o->key_type;
	bi.bits = o->bits;
	snprintf(bi.label, sizeof(bi.label), "%s", o->label);
	if ((r = session_blob_keys(s, &keys)) != 0 ||
	    (r = sks_blob_seal_k(keys, &bi, buf_ptr(s->sks_rec),
	    buf_len(s->sks_rec), s->sks_blob)) != 0 ||
	    (r = row_insert(s, buf_ptr(s->sks_blob), buf_len(s->sks_blob),
	    &bi, (int64_t)time(NULL))) != 0 ||
	    (r = count_add(s, 1, (int64_t)buf_len(s->sks_blob))) != 0)
		goto out;
	*addp = buf_len(s->sks_blob);
 out:
	buf_reset(s->sks_rec);
	return r;
}

int
sks_bulk_insert(struct sks_bulk *b, const uint8_t *blob, size_t n,
    const struct sks_blob_info *bi)
{
	struct session *s = b->s;
	int r;

	if (!b->checked) {
		if ((r = sks_refresh(s)) != 0)
			return r;
		b->checked = 1;
		b->now = (int64_t)time(NULL);
	}
	if (!cc_memeq(bi->smk_id, s->smk_id, SKS_ID_LEN)) {
		err_set_detail("blob '%s' is sealed under another SMK than "
		    "partition '%s' holds", bi->label, s->label);
		return CE_POLICY;
	}
	if ((r = row_insert(s, blob, n, bi, b->now)) != 0)
		return r;
	b->count++;
	b->bytes += (int64_t)n;
	return 0;
}

int
sks_bulk_end(struct sks_bulk *b)
{
	int r;

	if (b->count == 0 && b->bytes == 0)
		return 0;
	r = count_add(b->s, b->count, b->bytes);
	b->count = b->bytes = 0;
	return r;
}

#define BLOB_COLS OBJECT_INFO_COLS

int
sks_obj_find(struct session *s, const char *label, struct object_info *ip)
{
	sqlite3_stmt *q;
	int r;

	if ((r = sks_require(s->h)) != 0)
		return r;
	if ((r = store_prepare(s->h->sks, "SELECT " BLOB_COLS " FROM blob "
	    "WHERE serial = ? AND label = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, (int64_t)s->serial);
	sqlite3_bind_text(q, 2, label, -1, SQLITE_TRANSIENT);
	return object_info_one(s, s->h->sks, q, label, ip);
}

int
sks_obj_find_id(struct session *s, uint64_t id, const char *label,
    struct object_info *ip)
{
	sqlite3_stmt *q;
	int r;

	if ((r = sks_require(s->h)) != 0)
		return r;
	if ((r = store_prepare(s->h->sks, "SELECT " BLOB_COLS " FROM blob "
	    "WHERE serial = ? AND id = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, (int64_t)s->serial);
	sqlite3_bind_int64(q, 2, (int64_t)id);
	return object_info_one(s, s->h->sks, q, label, ip);
}

/* Walks the partition's rows with a statement of its own (cb may write). */
static int
walk(struct session *s, const char *cols,
    int (*row)(struct session *s, sqlite3_stmt *q, void *arg), void *arg)
{
	sqlite3_stmt *q = NULL;
	char sql[256];
	int r, rc;

	if ((r = sks_require(s->h)) != 0)
		return r;
	snprintf(sql, sizeof(sql), "SELECT %s FROM blob WHERE serial = ? "
	    "ORDER BY id", cols);
	if ((rc = sqlite3_prepare_v2(store_db(s->h->sks), sql, -1, &q,
	    NULL)) != SQLITE_OK)
		return store_err(s->h->sks, rc);
	sqlite3_bind_int64(q, 1, (int64_t)s->serial);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if ((r = row(s, q, arg)) != 0)
			goto out;
	r = rc == SQLITE_DONE ? 0 : store_err(s->h->sks, rc);
 out:
	sqlite3_finalize(q);
	return r;
}

struct list_ctx {
	int (*cb)(void *ctx, const struct object_info *oi);
	void *ctx;
};

static int
list_row(struct session *s, sqlite3_stmt *q, void *arg)
{
	struct list_ctx *l = arg;
	struct object_info in;

	(void)s;
	object_info_row(q, &in);
	return l->cb(l->ctx, &in);
}

int
sks_obj_list(struct session *s,
    int (*cb)(void *ctx, const struct object_info *oi), void *ctx)
{
	struct list_ctx l = { cb, ctx };

	return walk(s, BLOB_COLS, list_row, &l);
}

/*
 * Opens a stored blob into rec. A blob under another SMK than the one the
 * session loaded means a rollover committed meanwhile: reload once.
 */
static int
open_stored(struct session *s, const uint8_t *blob, size_t n, uint64_t id,
    struct sks_blob_info *bi, uint8_t *rec, size_t *rlp)
{
	const struct sks_blob_keys *keys;
	int r;

	if ((r = sks_session_smk(s)) != 0)
		return r;
	if ((r = sks_blob_parse(blob, n, bi)) == 0 &&
	    !cc_memeq(bi->smk_id, s->smk_id, SKS_ID_LEN)) {
		sks_session_forget(s);
		if ((r = sks_session_smk(s)) != 0)
			return r;
	}
	if (r == 0 && (r = session_blob_keys(s, &keys)) == 0)
		r = sks_blob_open_k(keys, blob, n, bi, rec, rlp);
	if (r == CE_AUTH_TAG || r == CE_FORMAT || r == CE_VERSION ||
	    r == CE_TRUNCATED || r == CE_TOO_LONG) {
		err_set_detail("SKS blob %llu of partition '%s' fails its "
		    "integrity check: %s was altered", (unsigned long long)id,
		    s->label, SKS_DB_NAME);
		r = CE_INTEGRITY;
	}
	return r;
}

/* Decodes an opened record and checks it is the object the row says. */
static int
record_object(const uint8_t *rec, size_t rl, const struct sks_blob_info *bi,
    const char *row_label, struct object **op)
{
	struct object *o = NULL;
	int r;

	if ((r = object_decode(rec, rl, &o)) != 0)
		return r;
	if (strcmp(o->label, bi->label) != 0 ||
	    strcmp(o->label, row_label) != 0 || o->cls != bi->cls) {
		err_set_detail("SKS blob '%s' holds another object than its row "
		    "says: %s was altered", row_label, SKS_DB_NAME);
		object_free(o);
		return CE_INTEGRITY;
	}
	*op = o;
	return 0;
}

int
sks_obj_get(struct session *s, const char *label, struct object **op)
{
	struct sks_blob_info bi;
	struct object *o = NULL;
	sqlite3_stmt *q;
	uint8_t *rec = NULL, *blob = NULL;
	size_t rl = 0, bl = 0;
	uint64_t id = 0;
	int r, rc;

	/* The SMK first: settling it may write, which must not happen while
	 * a read statement holds an older snapshot of sks.db. */
	if ((r = sks_require(s->h)) != 0 || (r = sks_session_smk(s)) != 0)
		return r;
	if ((rec = malloc(SKS_BLOB_MAX)) == NULL ||
	    (blob = malloc(SKS_BLOB_MAX)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = store_prepare(s->h->sks, "SELECT id, blob FROM blob WHERE "
	    "serial = ? AND label = ?", &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, (int64_t)s->serial);
	sqlite3_bind_text(q, 2, label, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		id = (uint64_t)sqlite3_column_int64(q, 0);
		bl = (size_t)sqlite3_column_bytes(q, 1);
		if (bl > SKS_BLOB_MAX)
			r = CE_TOO_LONG;
		else
			memcpy(blob, sqlite3_column_blob(q, 1), bl);
	} else if (rc == SQLITE_DONE) {
		err_set_detail("no object '%s' in partition '%s'", label,
		    s->label);
		r = CE_NOT_FOUND;
	} else
		r = store_err(s->h->sks, rc);
	sqlite3_reset(q);
	/* Opened after the statement let go of its snapshot (a reload of
	 * the SMK after a rollover may need to settle). */
	if (r == 0)
		r = open_stored(s, blob, bl, id, &bi, rec, &rl);
	if (r != 0 || (r = record_object(rec, rl, &bi, label, &o)) != 0)
		goto out;
	o->id = id;
	*op = o;
 out:
	if (rec != NULL) {
		sodium_memzero(rec, rl);
		free(rec);
	}
	free(blob);
	return r;
}

int
sks_obj_delete_tx(struct session *s, uint64_t id, uint64_t size)
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = sks_require(s->h)) != 0)
		return r;
	if ((r = store_prepare(s->h->sks, "DELETE FROM blob WHERE id = ? AND "
	    "serial = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, (int64_t)id);
	sqlite3_bind_int64(q, 2, (int64_t)s->serial);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_err(s->h->sks, rc);
	return count_add(s, -1, -(int64_t)size);
}

struct foreach_ctx {
	int (*cb)(void *ctx, const struct object_info *oi, const uint8_t *rec,
	    size_t len);
	void *ctx;
	uint8_t *rec;
};

static int
foreach_row(struct session *s, sqlite3_stmt *q, void *arg)
{
	struct foreach_ctx *f = arg;
	struct object_info in;
	struct sks_blob_info bi;
	size_t rl = 0;
	int r;

	object_info_row(q, &in);
	if ((r = open_stored(s, sqlite3_column_blob(q, 7),
	    (size_t)sqlite3_column_bytes(q, 7), in.id, &bi, f->rec, &rl)) != 0)
		return r;
	if (strcmp(bi.label, in.label) != 0) {
		err_set_detail("SKS blob '%s' holds another object than its row "
		    "says: %s was altered", in.label, SKS_DB_NAME);
		r = CE_INTEGRITY;
	} else
		r = f->cb(f->ctx, &in, f->rec, rl);
	sodium_memzero(f->rec, rl);
	return r;
}

int
sks_obj_foreach(struct session *s,
    int (*cb)(void *ctx, const struct object_info *oi, const uint8_t *rec,
    size_t len), void *ctx)
{
	struct foreach_ctx f = { cb, ctx, NULL };
	int r;

	/* The SMK before the walk's snapshot (see sks_obj_get). */
	if ((r = sks_require(s->h)) != 0 || (r = sks_session_smk(s)) != 0)
		return r;
	if ((f.rec = malloc(SKS_BLOB_MAX)) == NULL)
		return CE_NOMEM;
	r = walk(s, BLOB_COLS ", blob", foreach_row, &f);
	free(f.rec);
	return r;
}

/* --- raw blobs ----------------------------------------------------------- */

struct raw_ctx {
	int (*cb)(void *ctx, const uint8_t *blob, size_t len);
	void *ctx;
};

/*
 * Hands one stored blob on, as it is, after checking that it is sealed
 * under the session's SMK: a reader that sends the SMK and then the blobs
 * (backup, clone, extract) must never mix two SMKs, or what it wrote would
 * not open (a rollover that commits while it reads is caught here).
 */
static int
raw_row(struct session *s, sqlite3_stmt *q, void *arg)
{
	struct raw_ctx *c = arg;
	struct sks_blob_info bi;
	const uint8_t *blob = sqlite3_column_blob(q, 0);
	size_t n = (size_t)sqlite3_column_bytes(q, 0);
	int r;

	if (s->smk != NULL) {
		if ((r = sks_blob_parse(blob, n, &bi)) != 0)
			return r == CE_NOMEM ? r : CE_INTEGRITY;
		if (!cc_memeq(bi.smk_id, s->smk_id, SKS_ID_LEN)) {
			err_set_detail("the SKS master key of partition '%s' "
			    "changed while its blobs were read (an SMK "
			    "rollover ran); nothing was kept: run it again",
			    s->label);
			return CE_BUSY;
		}
	}
	return c->cb(c->ctx, blob, n);
}

int
sks_foreach_blob(struct session *s, const char *const *labels,
    size_t nlabels, int (*cb)(void *ctx, const uint8_t *blob, size_t len),
    void *ctx)
{
	struct raw_ctx c = { cb, ctx };
	struct object_info in;
	sqlite3_stmt *q = NULL;
	size_t i, j;
	int r, rc;

	if (s->version != 1)
		return CE_INVALID;
	if (labels == NULL)
		return walk(s, "blob", raw_row, &c);
	for (i = 0; i < nlabels; i++)
		if ((r = sks_obj_find(s, labels[i], &in)) != 0)
			return r;
	if ((rc = sqlite3_prepare_v2(store_db(s->h->sks), "SELECT blob FROM "
	    "blob WHERE serial = ? AND label = ?", -1, &q, NULL)) != SQLITE_OK)
		return store_err(s->h->sks, rc);
	r = 0;
	for (i = 0; i < nlabels && r == 0; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(labels[j], labels[i]) == 0)
				break;
		if (j < i)
			continue; /* named twice: once is enough */
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, (int64_t)s->serial);
		sqlite3_bind_text(q, 2, labels[i], -1, SQLITE_TRANSIENT);
		if ((rc = sqlite3_step(q)) == SQLITE_ROW)
			r = raw_row(s, q, &c);
		else
			r = rc == SQLITE_DONE ? CE_NOT_FOUND : store_err(s->h->sks,
			    rc);
	}
	sqlite3_finalize(q);
	return r;
}

int
sks_blob_same(struct session *s, const char *label, const uint8_t *p,
    size_t n, int *samep)
{
	sqlite3_stmt *q;
	int r, rc;

	if (s->version != 1)
		return CE_INVALID;
	if ((r = sks_require(s->h)) != 0 ||
	    (r = store_prepare(s->h->sks, "SELECT blob FROM blob WHERE "
	    "serial = ? AND label = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, (int64_t)s->serial);
	sqlite3_bind_text(q, 2, label, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		*samep = (size_t)sqlite3_column_bytes(q, 0) == n &&
		    memcmp(sqlite3_column_blob(q, 0), p, n) == 0;
		r = 0;
	} else if (rc == SQLITE_DONE)
		r = CE_NOT_FOUND;
	else
		r = store_err(s->h->sks, rc);
	sqlite3_reset(q);
	return r;
}

int
sks_some_labels(struct session *s, size_t max, char *out, size_t outlen)
{
	sqlite3_stmt *q = NULL;
	size_t n = 0, len = 0;
	int r, rc;

	out[0] = '\0';
	if ((r = sks_require(s->h)) != 0)
		return r;
	if ((rc = sqlite3_prepare_v2(store_db(s->h->sks), "SELECT label FROM "
	    "blob WHERE serial = ? ORDER BY id LIMIT ?", -1, &q, NULL)) !=
	    SQLITE_OK)
		return store_err(s->h->sks, rc);
	sqlite3_bind_int64(q, 1, (int64_t)s->serial);
	sqlite3_bind_int64(q, 2, (int64_t)max);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && len + 4 < outlen) {
		int w = snprintf(out + len, outlen - len, "%s'%s'", n ? ", " : "",
		    (const char *)sqlite3_column_text(q, 0));

		if (w < 0 || (size_t)w >= outlen - len)
			break;
		len += (size_t)w;
		n++;
	}
	sqlite3_finalize(q);
	return 0;
}
