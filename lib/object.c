#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"
#include "err.h"
#include "hsm_int.h"
#include "object_int.h"
#include "p11.h"
#include "secret.h"
#include "sks_int.h"
#include "store.h"
#include "wrap.h"

int
object_kind_parse(const char *name, int *kindp)
{
	static const struct {
		const char *name;
		int kind;
	} k[] = {
		{ "aes", OBJ_AES }, { "generic", OBJ_GENERIC },
		{ "generic-secret", OBJ_GENERIC }, { "rsa", OBJ_RSA },
		{ "ec", OBJ_EC }, { "data", OBJ_DATA }, { "cert", OBJ_CERT },
		{ "certificate", OBJ_CERT },
	};
	size_t i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		if (strcmp(name, k[i].name) == 0) {
			*kindp = k[i].kind;
			return 0;
		}
	}
	err_set_detail("unknown key type '%s' (aes, generic, rsa, ec)", name);
	return CE_INVALID;
}

int
object_bits_check(int kind, unsigned *bitsp)
{
	unsigned b = *bitsp;

	switch (kind) {
	case OBJ_AES:
		if (b == 0)
			b = 256;
		if (b == 128 || b == 192 || b == 256)
			break;
		err_set_detail("AES keys are 128, 192 or 256 bits");
		return CE_INVALID;
	case OBJ_GENERIC:
		if (b == 0)
			b = 256;
		if (b >= 8 && b <= 4096 && b % 8 == 0)
			break;
		err_set_detail("generic secrets are 8 to 4096 bits, in bytes");
		return CE_INVALID;
	case OBJ_RSA:
		if (b == 0)
			b = 2048;
		if (b == 2048 || b == 3072 || b == 4096)
			break;
		err_set_detail("RSA keys are 2048, 3072 or 4096 bits");
		return CE_INVALID;
	case OBJ_EC:
		if (b == 0)
			b = 256;
		if (b == 256 || b == 384)
			break;
		err_set_detail("EC keys are 256 (P-256) or 384 (P-384) bits");
		return CE_INVALID;
	default:
		return CE_INVALID;
	}
	*bitsp = b;
	return 0;
}

int
object_require_user(struct session *s)
{
	if (s->role != ROLE_CO && s->role != ROLE_CU) {
		err_set_detail("objects are used by the Crypto Officer or Crypto "
		    "User; log in as co or cu");
		return CE_PERMISSION;
	}
	if (s->psk == NULL)
		return CE_NOT_LOGGED_IN;
	return 0;
}

int
object_may_create(struct session *s, const struct object *o)
{
	int priv = 1, r;

	if ((r = object_require_user(s)) != 0)
		return r;
	if (s->role == ROLE_CO)
		return 0;
	(void)object_get_bool(o, CKA_PRIVATE, &priv);
	if ((o->cls == CKO_DATA || o->cls == CKO_CERTIFICATE ||
	    o->cls == CKO_PUBLIC_KEY) && !priv)
		return 0;
	err_set_detail("the Crypto User creates public objects only (data "
	    "objects or certificates with CKA_PRIVATE false)");
	return CE_PERMISSION;
}

int
object_next_id(struct hsm *h, uint64_t *idp)
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = store_prepare(h->st, "SELECT coalesce(max(id), 0) + 1 FROM "
	    "object", &q)) != 0)
		return r;
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*idp = (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : store_err(h->st, rc);
}

int
object_capacity(struct session *s, uint64_t *capp, uint64_t *usedp,
    uint64_t *countp)
{
	sqlite3_stmt *q;
	int r, rc;

	/* V1 objects live off-board: the storage size does not bound them. */
	if (s->version == 1) {
		*capp = UINT64_MAX / 4;
		return sks_usage(s->h, s->serial, countp, usedp);
	}
	if ((r = store_prepare(s->h->st, "SELECT capacity, used, count FROM "
	    "partition WHERE id = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, s->pid);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*capp = (uint64_t)sqlite3_column_int64(q, 0);
		*usedp = (uint64_t)sqlite3_column_int64(q, 1);
		*countp = (uint64_t)sqlite3_column_int64(q, 2);
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : store_err(s->h->st, rc);
}

int
object_account_tx(struct session *s, int64_t dbytes, int64_t dcount)
{
	sqlite3_stmt *q;
	uint64_t cap, used, count;
	int r;

	if (s->version == 1)
		return 0; /* sks.db keeps V1 counts with each blob */
	if (dbytes > 0) {
		if ((r = object_capacity(s, &cap, &used, &count)) != 0)
			return r;
		if (used + (uint64_t)dbytes > cap) {
			err_set_detail("partition '%s' is full: %llu of %llu bytes "
			    "used, %lld more needed; delete objects or raise the "
			    "storage-size policy", s->label,
			    (unsigned long long)used, (unsigned long long)cap,
			    (long long)dbytes);
			return CE_FULL;
		}
	}
	if ((r = store_prepare(s->h->st, "UPDATE partition SET used = used + ?,"
	    " count = count + ? WHERE id = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, dbytes);
	sqlite3_bind_int64(q, 2, dcount);
	sqlite3_bind_int64(q, 3, s->pid);
	return hsm_step_done(s->h, q);
}

int
object_psk_aead(struct session *s, struct cc_aead **kp)
{
	int r;

	*kp = NULL;
	if (s->version == 1)
		return 0;
	/* Checked once here: the caller holds the write transaction, so no
	 * rekey commits while the context is in use. */
	if ((r = session_psk_current(s)) != 0)
		return r;
	return cc_aead_new(secret_ptr(s->psk), kp);
}

int
object_row_make(struct cc_aead *k, uint64_t serial, uint64_t id,
    const struct object *o, const uint8_t *val, size_t vlen, struct buf *out,
    struct object_row *row)
{
	size_t base = buf_len(out), alen;
	int r;

	if ((r = object_attrs_encode(o, out)) != 0)
		return r;
	alen = buf_len(out) - base;
	/* The sealed value follows the attributes in the same buffer. */
	if ((r = wrap_seal_k(out, k, WRAP_OBJECT, serial, id,
	    buf_ptr(out) + base, alen, vlen ? val : NULL, vlen)) != 0)
		return r;
	row->id = id;
	row->label = o->label;
	row->cls = o->cls;
	row->key_type = o->key_type;
	row->bits = o->bits;
	row->size = alen + vlen;
	row->attrs = buf_ptr(out) + base;
	row->alen = alen;
	row->sealed = row->attrs + alen;
	row->slen = buf_len(out) - base - alen;
	return 0;
}

int
object_row_insert_tx(struct session *s, const struct object_row *row)
{
	sqlite3_stmt *q;
	int r;

	if ((r = store_prepare(s->h->st, "INSERT INTO object (id, partition_id,"
	    " label, class, key_type, bits, size, attrs, value, created) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, (int64_t)row->id);
	sqlite3_bind_int64(q, 2, s->pid);
	sqlite3_bind_text(q, 3, row->label, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, row->cls);
	sqlite3_bind_int64(q, 5, row->key_type);
	sqlite3_bind_int64(q, 6, row->bits);
	sqlite3_bind_int64(q, 7, (int64_t)row->size);
	sqlite3_bind_blob(q, 8, row->attrs, (int)row->alen, SQLITE_STATIC);
	sqlite3_bind_blob(q, 9, row->sealed, (int)row->slen, SQLITE_STATIC);
	sqlite3_bind_int64(q, 10, (int64_t)time(NULL));
	if ((r = hsm_step_done(s->h, q)) != 0 && r == CE_EXISTS)
		err_set_detail("label '%s' is already in use in partition "
		    "'%s'", row->label, s->label);
	return r;
}

int
object_insert_tx(struct session *s, struct cc_aead *k, const struct object *o,
    const uint8_t *val, size_t vlen, uint64_t *nextidp, uint64_t *addp,
    struct buf *scratch)
{
	struct cc_aead *own = NULL;
	struct object_row row;
	int r;

	if (s->version == 1)
		return sks_obj_insert_tx(s, o, val, vlen, addp, scratch);
	/* One insert: a context of its own, which checks that the session's
	 * PSK is still the partition's (a session from before a rekey holds
	 * the old one: nothing it seals would open for anyone else). */
	if (k == NULL && (r = object_psk_aead(s, &own)) != 0)
		return r;
	buf_reset(scratch);
	if ((r = object_row_make(k != NULL ? k : own, s->serial, *nextidp, o,
	    val, vlen, scratch, &row)) == 0 &&
	    (r = object_row_insert_tx(s, &row)) == 0) {
		*nextidp = row.id + 1;
		*addp = row.size;
	}
	cc_aead_free(own);
	return r;
}

int
object_audit(struct session *s, const char *event, const char *label,
    const char *detail, int64_t count)
{
	struct audit_event ev;

	hsm_event(&ev, event, 1);
	ev.role = role_name(s->role);
	ev.partition = s->label;
	ev.serial = s->serial;
	ev.object = label;
	ev.detail = detail;
	ev.count = count;
	return hsm_audit_tx(s->h, &ev);
}

int
object_store(struct session *s, const struct object *o, uint64_t *idp)
{
	struct buf *scratch = NULL;
	uint64_t id, add = 0, first;
	char detail[64];
	int r, own = 0;

	if ((r = object_may_create(s, o)) != 0)
		return r;
	if ((scratch = buf_new(OBJECT_RECORD_MAX)) == NULL)
		return CE_NOMEM;
	if ((r = hsm_tx_enter(s->h, &own)) != 0)
		goto out;
	if ((r = object_next_id(s->h, &id)) != 0)
		goto out;
	first = id;
	if ((r = object_insert_tx(s, NULL, o,
	    o->value ? secret_ptr(o->value) : NULL,
	    o->value ? secret_len(o->value) : 0, &id, &add, scratch)) != 0 ||
	    (r = object_account_tx(s, (int64_t)add, 1)) != 0)
		goto out;
	snprintf(detail, sizeof(detail), "%s %s %u", p11_class_name(o->cls),
	    p11_key_type_name(o->key_type), o->bits);
	if ((r = object_audit(s, "key-create", o->label, detail, -1)) != 0)
		goto out;
	if (idp != NULL)
		*idp = first;
 out:
	buf_free(scratch);
	return hsm_tx_leave(s->h, own, r, 0);
}

#define OBJ_COLS OBJECT_INFO_COLS

int
object_find(struct session *s, const char *label, struct object_info *ip)
{
	sqlite3_stmt *q;
	int r;

	if ((r = object_require_user(s)) != 0)
		return r;
	if (s->version == 1)
		return sks_obj_find(s, label, ip);
	if ((r = store_prepare(s->h->st, "SELECT " OBJ_COLS " FROM object "
	    "WHERE partition_id = ? AND label = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, s->pid);
	sqlite3_bind_text(q, 2, label, -1, SQLITE_TRANSIENT);
	return object_info_one(s, s->h->st, q, label, ip);
}

int
object_find_id(struct session *s, uint64_t id, struct object_info *ip)
{
	sqlite3_stmt *q;
	char name[32];
	int r;

	if ((r = object_require_user(s)) != 0)
		return r;
	snprintf(name, sizeof(name), "#%llu", (unsigned long long)id);
	if (s->version == 1)
		return sks_obj_find_id(s, id, name, ip);
	if ((r = store_prepare(s->h->st, "SELECT " OBJ_COLS " FROM object "
	    "WHERE partition_id = ? AND id = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, s->pid);
	sqlite3_bind_int64(q, 2, (int64_t)id);
	return object_info_one(s, s->h->st, q, name, ip);
}

int
object_list(struct session *s,
    int (*cb)(void *ctx, const struct object_info *oi), void *ctx)
{
	struct object_info in;
	sqlite3_stmt *q = NULL;
	int r, rc;

	if ((r = object_require_user(s)) != 0)
		return r;
	if (s->version == 1)
		return sks_obj_list(s, cb, ctx);
	/* Own statement: the callback may use the store. */
	if ((rc = sqlite3_prepare_v2(store_db(s->h->st), "SELECT " OBJ_COLS
	    " FROM object WHERE +partition_id = ? ORDER BY id", -1, &q,
	    NULL)) != SQLITE_OK)
		return store_err(s->h->st, rc);
	sqlite3_bind_int64(q, 1, s->pid);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		object_info_row(q, &in);
		if ((r = cb(ctx, &in)) != 0)
			goto out;
	}
	r = rc == SQLITE_DONE ? 0 : store_err(s->h->st, rc);
 out:
	sqlite3_finalize(q);
	return r;
}

/* Builds the object of the current row (columns 7 attrs, 8 value). */
static int
row_object(struct session *s, sqlite3_stmt *q, struct object **op)
{
	struct object *o;
	const uint8_t *attrs;
	size_t alen;
	uint64_t id = (uint64_t)sqlite3_column_int64(q, 0);
	int r;

	if ((o = object_new()) == NULL)
		return CE_NOMEM;
	attrs = sqlite3_column_blob(q, 7);
	alen = (size_t)sqlite3_column_bytes(q, 7);
	if ((r = object_attrs_decode(o, attrs, alen)) != 0 ||
	    (r = object_meta(o)) != 0)
		goto out;
	r = wrap_open(secret_ptr(s->psk), WRAP_OBJECT, s->serial, id, attrs,
	    alen, sqlite3_column_blob(q, 8), (size_t)sqlite3_column_bytes(q, 8),
	    &o->value);
	if (r == CE_AUTH_TAG || r == CE_FORMAT || r == CE_VERSION) {
		/* a session from before a rekey: say so, not "altered" */
		if ((r = session_psk_current(s)) == 0) {
			err_set_detail("object '%s' (id %llu) fails its integrity "
			    "check: hsm.db was altered", o->label,
			    (unsigned long long)id);
			r = CE_INTEGRITY;
		}
		goto out;
	}
	if (r != 0)
		goto out;
	if (secret_len(o->value) == 0) {
		secret_free(o->value);
		o->value = NULL;
	}
	o->id = id;
	*op = o;
	o = NULL;
 out:
	object_free(o);
	return r;
}

int
object_get(struct session *s, const char *label, struct object **op)
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = object_require_user(s)) != 0)
		return r;
	if (s->version == 1)
		return sks_obj_get(s, label, op);
	if ((r = store_prepare(s->h->st, "SELECT " OBJ_COLS ", attrs, value "
	    "FROM object WHERE partition_id = ? AND label = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, s->pid);
	sqlite3_bind_text(q, 2, label, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		r = row_object(s, q, op);
	else if (rc == SQLITE_DONE) {
		err_set_detail("no object '%s' in partition '%s'", label,
		    s->label);
		r = CE_NOT_FOUND;
	} else
		r = store_err(s->h->st, rc);
	sqlite3_reset(q);
	return r;
}

int
object_delete(struct session *s, const char *label)
{
	struct object_info in;
	sqlite3_stmt *q;
	int r, own = 0;

	if ((r = object_require_user(s)) != 0)
		return r;
	if (s->role != ROLE_CO) {
		err_set_detail("only the Crypto Officer deletes objects");
		return CE_PERMISSION;
	}
	if ((r = hsm_tx_enter(s->h, &own)) != 0)
		return r;
	if ((r = object_find(s, label, &in)) != 0)
		goto out;
	if (s->version == 1) {
		if ((r = sks_obj_delete_tx(s, in.id, in.size)) != 0)
			goto out;
		r = object_audit(s, "key-delete", label, NULL, -1);
		goto out;
	}
	if ((r = store_prepare(s->h->st, "DELETE FROM object WHERE id = ?",
	    &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, (int64_t)in.id);
	if ((r = hsm_step_done(s->h, q)) != 0 ||
	    (r = object_account_tx(s, -(int64_t)in.size, -1)) != 0)
		goto out;
	r = object_audit(s, "key-delete", label, NULL, -1);
 out:
	return hsm_tx_leave(s->h, own, r, 0);
}

/*
 * A stored row's record: the attributes as they are, the value opened into
 * the record buffer. A value that does not open is hsm.db altered, told by
 * the caller (it knows whether the partition key is still the session's).
 */
static int
open_row(struct cc_aead *k, uint64_t serial, uint64_t id,
    const uint8_t *attrs, size_t alen, const uint8_t *blob, size_t blen,
    struct buf *rec)
{
	uint8_t *v;
	int r;

	buf_reset(rec);
	if (blen < WRAP_OVERHEAD)
		return CE_AUTH_TAG;
	if ((r = object_record_put(rec, attrs, alen, blen - WRAP_OVERHEAD,
	    &v)) != 0)
		return r;
	return wrap_open_k(k, WRAP_OBJECT, serial, id, attrs, alen, blob,
	    blen, v);
}

static int
altered(uint64_t id)
{
	err_set_detail("object id %llu fails its integrity check: hsm.db was "
	    "altered", (unsigned long long)id);
	return CE_INTEGRITY;
}

/* Builds the record of the current row straight from the stored
 * attributes, decrypting the value into the record buffer. */
static int
row_record(struct session *s, struct cc_aead *k, sqlite3_stmt *q,
    struct buf *rec)
{
	struct cc_aead *own = NULL;
	uint64_t id = (uint64_t)sqlite3_column_int64(q, 0);
	int r;

	if (k == NULL && (r = cc_aead_new(secret_ptr(s->psk), &own)) != 0)
		return r;
	r = open_row(k != NULL ? k : own, s->serial, id,
	    sqlite3_column_blob(q, 7), (size_t)sqlite3_column_bytes(q, 7),
	    sqlite3_column_blob(q, 8), (size_t)sqlite3_column_bytes(q, 8),
	    rec);
	cc_aead_free(own);
	if ((r == CE_AUTH_TAG || r == CE_FORMAT || r == CE_VERSION) &&
	    (r = session_psk_current(s)) == 0)
		r = altered(id);
	return r;
}

/* The partition's object label, by the label index, as a record; *idp
 * gets its id. CE_NOT_FOUND when there is none. */
static int
lookup_label(struct session *s, struct cc_aead *k, const char *label,
    struct buf *rec, uint64_t *idp)
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = store_prepare(s->h->st, "SELECT " OBJ_COLS ", attrs, value "
	    "FROM object WHERE partition_id = ? AND label = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, s->pid);
	sqlite3_bind_text(q, 2, label, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		*idp = (uint64_t)sqlite3_column_int64(q, 0);
		r = row_record(s, k, q, rec);
	} else
		r = rc == SQLITE_DONE ? CE_NOT_FOUND : store_err(s->h->st, rc);
	sqlite3_reset(q);
	return r;
}

int
object_record_get(struct session *s, struct cc_aead *k, const char *label,
    struct buf *rec)
{
	uint64_t id;
	int r;

	if ((r = object_require_user(s)) != 0)
		return r;
	return lookup_label(s, k, label, rec, &id);
}

struct object_seq {
	struct session *s;
	sqlite3_stmt *scan;     /* the partition's rows after an id, in order */
	int at_row;             /* scan holds a row not yet matched */
	int started;            /* scan was put somewhere */
};

int
object_seq_new(struct session *s, struct object_seq **qp)
{
	struct object_seq *q;
	int r, rc;

	if ((r = object_require_user(s)) != 0)
		return r;
	if (s->version != 0)
		return CE_INVALID;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return CE_NOMEM;
	q->s = s;
	/* Its own statement, not the cache's: it stays open between calls.
	 * "+partition_id": a seek on the rowid, not on the label index. */
	if ((rc = sqlite3_prepare_v2(store_db(s->h->st), "SELECT " OBJ_COLS
	    ", attrs, value FROM object WHERE +partition_id = ? AND id > ? "
	    "ORDER BY id", -1, &q->scan, NULL)) != SQLITE_OK) {
		r = store_err(s->h->st, rc);
		free(q);
		return r;
	}
	*qp = q;
	return 0;
}

/* Puts the scan on the first row after id. */
static int
seq_seek(struct object_seq *q, uint64_t id)
{
	int rc;

	q->started = 1;
	sqlite3_reset(q->scan);
	sqlite3_bind_int64(q->scan, 1, q->s->pid);
	sqlite3_bind_int64(q->scan, 2, (int64_t)id);
	rc = sqlite3_step(q->scan);
	q->at_row = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_err(q->s->h->st, rc);
	return 0;
}

int
object_seq_get(struct object_seq *q, struct cc_aead *k, const char *label,
    struct buf *rec)
{
	const unsigned char *l;
	uint64_t id;
	int r, rc;

	if (!q->started && (r = seq_seek(q, 0)) != 0)
		return r;
	l = q->at_row ? sqlite3_column_text(q->scan, 1) : NULL;
	if (l != NULL && strcmp((const char *)l, label) == 0) {
		/* The next row in id order is the one: no index lookup. */
		if ((r = row_record(q->s, k, q->scan, rec)) != 0)
			return r;
		rc = sqlite3_step(q->scan);
		q->at_row = rc == SQLITE_ROW;
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return store_err(q->s->h->st, rc);
		return 0;
	}
	/* Elsewhere, or not there: the index, then on from the row found. */
	if ((r = lookup_label(q->s, k, label, rec, &id)) != 0)
		return r;
	return seq_seek(q, id);
}

void
object_seq_free(struct object_seq *q)
{
	if (q == NULL)
		return;
	sqlite3_finalize(q->scan);
	free(q);
}

/* The V0 walk: every row of the partition in id order, to cb. */
static int
foreach_row(struct session *s, int (*cb)(void *ctx, sqlite3_stmt *q),
    void *ctx)
{
	sqlite3_stmt *q = NULL;
	int r, rc;

	/* "+partition_id": scan the table in rowid order, which is id order,
	 * rather than walk the (partition_id, label) index and sort. */
	if ((rc = sqlite3_prepare_v2(store_db(s->h->st), "SELECT " OBJ_COLS
	    ", attrs, value FROM object WHERE +partition_id = ? ORDER BY id",
	    -1, &q, NULL)) != SQLITE_OK)
		return store_err(s->h->st, rc);
	sqlite3_bind_int64(q, 1, s->pid);
	r = 0;
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW)
		r = cb(ctx, q);
	if (r == 0 && rc != SQLITE_DONE)
		r = store_err(s->h->st, rc);
	sqlite3_finalize(q);
	return r;
}

struct walk_records {
	struct session *s;
	struct cc_aead *k;
	struct buf *rec;
	int (*cb)(void *ctx, const struct object_info *oi, const uint8_t *rec,
	    size_t len);
	void *ctx;
};

static int
walk_record(void *arg, sqlite3_stmt *q)
{
	struct walk_records *w = arg;
	struct object_info in;
	int r;

	object_info_row(q, &in);
	if ((r = row_record(w->s, w->k, q, w->rec)) != 0)
		return r;
	return w->cb(w->ctx, &in, buf_ptr(w->rec), buf_len(w->rec));
}

int
object_foreach(struct session *s,
    int (*cb)(void *ctx, const struct object_info *oi, const uint8_t *rec,
    size_t len), void *ctx)
{
	struct walk_records w;
	int r;

	if ((r = object_require_user(s)) != 0)
		return r;
	if (s->version == 1)
		return sks_obj_foreach(s, cb, ctx);
	memset(&w, 0, sizeof(w));
	w.s = s;
	w.cb = cb;
	w.ctx = ctx;
	if ((w.rec = buf_new(OBJECT_RECORD_MAX)) == NULL)
		return CE_NOMEM;
	/* One key schedule for the walk, wiped when it ends. */
	if ((r = cc_aead_new(secret_ptr(s->psk), &w.k)) == 0)
		r = foreach_row(s, walk_record, &w);
	cc_aead_free(w.k);
	buf_free(w.rec);
	return r;
}

/* A row as object_foreach_row hands it on: id (8) | attrs length (4) |
 * attrs | the sealed value, integers in host order (one process only). */
#define ROW_HEAD 12

struct walk_rows {
	struct buf *row;
	int (*cb)(void *ctx, const struct object_info *oi, const uint8_t *row,
	    size_t len);
	void *ctx;
};

static int
walk_row(void *arg, sqlite3_stmt *q)
{
	struct walk_rows *w = arg;
	struct object_info in;
	uint32_t alen = (uint32_t)sqlite3_column_bytes(q, 7);
	uint8_t head[ROW_HEAD];
	int r;

	object_info_row(q, &in);
	memcpy(head, &in.id, 8);
	memcpy(head + 8, &alen, 4);
	buf_reset(w->row);
	if ((r = buf_put(w->row, head, sizeof(head))) != 0 ||
	    (r = buf_put(w->row, sqlite3_column_blob(q, 7), alen)) != 0 ||
	    (r = buf_put(w->row, sqlite3_column_blob(q, 8),
	    (size_t)sqlite3_column_bytes(q, 8))) != 0)
		return r;
	return w->cb(w->ctx, &in, buf_ptr(w->row), buf_len(w->row));
}

int
object_foreach_row(struct session *s,
    int (*cb)(void *ctx, const struct object_info *oi, const uint8_t *row,
    size_t len), void *ctx)
{
	struct walk_rows w;
	int r, own = 0;

	if ((r = object_require_user(s)) != 0)
		return r;
	if (s->version != 0)
		return CE_INVALID;
	memset(&w, 0, sizeof(w));
	w.cb = cb;
	w.ctx = ctx;
	if ((w.row = buf_new(OBJECT_RECORD_MAX + ROW_HEAD)) == NULL)
		return CE_NOMEM;
	/*
	 * One read transaction for the check and the walk: the partition key
	 * is the session's in the snapshot the rows come from, so a row that
	 * does not open (on the other thread, which cannot ask) is
	 * hsm.db altered, never a rekey since login.
	 */
	if (!store_in_tx(s->h->st)) {
		if ((r = store_exec(s->h->st, "BEGIN")) != 0)
			goto out;
		own = 1;
	}
	if ((r = session_psk_current(s)) == 0)
		r = foreach_row(s, walk_row, &w);
	if (own)
		(void)store_exec(s->h->st, "COMMIT");
 out:
	buf_free(w.row);
	return r;
}

int
object_psk_new(struct session *s, struct object_psk **pkp)
{
	struct object_psk *pk;
	int r;

	if (s->version != 0)
		return CE_INVALID;
	if ((pk = calloc(1, sizeof(*pk))) == NULL)
		return CE_NOMEM;
	pk->serial = s->serial;
	if ((r = object_psk_aead(s, &pk->k)) != 0) {
		free(pk);
		return r;
	}
	*pkp = pk;
	return 0;
}

int
object_row_open(struct object_psk *pk, const uint8_t *row, size_t len,
    struct buf *rec)
{
	uint64_t id;
	uint32_t alen;
	int r;

	if (len < ROW_HEAD)
		return CE_INVALID;
	memcpy(&id, row, 8);
	memcpy(&alen, row + 8, 4);
	if (alen > len - ROW_HEAD)
		return CE_INVALID;
	r = open_row(pk->k, pk->serial, id, row + ROW_HEAD, alen,
	    row + ROW_HEAD + alen, len - ROW_HEAD - alen, rec);
	if (r == CE_AUTH_TAG || r == CE_FORMAT || r == CE_VERSION)
		r = altered(id);
	return r;
}

void
object_psk_free(struct object_psk *pk)
{
	if (pk == NULL)
		return;
	cc_aead_free(pk->k);
	free(pk);
}

/* --- importers ----------------------------------------------------------- */

static int
common_attrs(struct object *o, uint32_t cls, const char *label, int priv)
{
	int r;

	if (strlen(label) == 0 || strlen(label) > OBJECT_LABEL_MAX) {
		err_set_detail("object label must be 1 to %d bytes",
		    OBJECT_LABEL_MAX);
		return CE_INVALID;
	}
	if ((r = object_set_ulong(o, CKA_CLASS, cls)) != 0 ||
	    (r = object_set_bool(o, CKA_TOKEN, 1)) != 0 ||
	    (r = object_set_bool(o, CKA_PRIVATE, priv)) != 0 ||
	    (r = object_set_attr(o, CKA_LABEL, label, strlen(label))) != 0 ||
	    (r = object_set_bool(o, CKA_MODIFIABLE, 1)) != 0)
		return r;
	return 0;
}

int
object_import_data(struct session *s, const char *label,
    const char *application, const void *p, size_t len, int is_private)
{
	struct object *o;
	int r;

	if (len > OBJECT_VALUE_MAX)
		return CE_TOO_LONG;
	if ((o = object_new()) == NULL)
		return CE_NOMEM;
	if ((r = common_attrs(o, CKO_DATA, label, is_private)) != 0 ||
	    (application != NULL && (r = object_set_attr(o, CKA_APPLICATION,
	    application, strlen(application))) != 0))
		goto out;
	if (len > 0 && (o->value = secret_from(p, len)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = object_meta(o)) != 0)
		goto out;
	r = object_store(s, o, NULL);
 out:
	object_free(o);
	return r;
}

int
object_import_cert(struct session *s, const char *label, const void *p,
    size_t len)
{
	return object_import_cert_id(s, label, NULL, 0, p, len);
}

int
object_import_cert_id(struct session *s, const char *label,
    const uint8_t *ckaid, size_t ckaidlen, const void *p, size_t len)
{
	struct object *o = NULL;
	X509 *x = NULL;
	BIO *bio = NULL;
	const unsigned char *dp = p;
	unsigned char *der = NULL, *subj = NULL;
	int r, dlen, slen;

	if (len > OBJECT_VALUE_MAX || len > INT32_MAX)
		return CE_TOO_LONG;
	if ((x = d2i_X509(NULL, &dp, (long)len)) == NULL) {
		if ((bio = BIO_new_mem_buf(p, (int)len)) == NULL ||
		    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
			err_set_detail("not an X.509 certificate (DER or PEM)");
			r = CE_FORMAT;
			goto out;
		}
	}
	if ((dlen = i2d_X509(x, &der)) <= 0 ||
	    (slen = i2d_X509_NAME(X509_get_subject_name(x), &subj)) <= 0) {
		r = CE_CRYPTO;
		goto out;
	}
	if ((o = object_new()) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = common_attrs(o, CKO_CERTIFICATE, label, 0)) != 0 ||
	    (r = object_set_ulong(o, CKA_CERTIFICATE_TYPE, CKC_X_509)) != 0 ||
	    (r = object_set_attr(o, CKA_SUBJECT, subj, (size_t)slen)) != 0)
		goto out;
	if (ckaid != NULL && (ckaidlen == 0 || ckaidlen > OBJECT_ID_MAX)) {
		err_set_detail("a CKA_ID is 1 to %d bytes", OBJECT_ID_MAX);
		r = CE_INVALID;
		goto out;
	}
	if (ckaid != NULL &&
	    (r = object_set_attr(o, CKA_ID, ckaid, ckaidlen)) != 0)
		goto out;
	if ((o->value = secret_from(der, (size_t)dlen)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = object_meta(o)) != 0)
		goto out;
	r = object_store(s, o, NULL);
 out:
	OPENSSL_free(der);
	OPENSSL_free(subj);
	X509_free(x);
	BIO_free(bio);
	object_free(o);
	return r;
}

int
object_reseal_tx(struct session *s, const struct secret *newpsk,
    uint64_t *countp)
{
	struct hsm *h = s->h;
	struct secret *v = NULL;
	struct buf *nb = NULL;
	sqlite3_stmt *sel, *upd;
	int64_t last = -1;
	uint64_t id, n = 0;
	int r, rc;

	/* One row at a time by id: the table is updated as it is walked. */
	for (;;) {
		if ((r = store_prepare(h->st, "SELECT id, attrs, value FROM "
		    "object WHERE partition_id = ? AND id > ? ORDER BY id "
		    "LIMIT 1", &sel)) != 0)
			goto out;
		sqlite3_bind_int64(sel, 1, s->pid);
		sqlite3_bind_int64(sel, 2, last);
		if ((rc = sqlite3_step(sel)) != SQLITE_ROW) {
			sqlite3_reset(sel);
			r = rc == SQLITE_DONE ? 0 : store_err(h->st, rc);
			break;
		}
		id = (uint64_t)sqlite3_column_int64(sel, 0);
		r = wrap_open(secret_ptr(s->psk), WRAP_OBJECT, s->serial, id,
		    sqlite3_column_blob(sel, 1),
		    (size_t)sqlite3_column_bytes(sel, 1),
		    sqlite3_column_blob(sel, 2),
		    (size_t)sqlite3_column_bytes(sel, 2), &v);
		if (r == 0)
			r = wrap_seal(secret_ptr(newpsk), WRAP_OBJECT, s->serial,
			    id, sqlite3_column_blob(sel, 1),
			    (size_t)sqlite3_column_bytes(sel, 1), secret_ptr(v),
			    secret_len(v), &nb);
		sqlite3_reset(sel);
		secret_free(v);
		v = NULL;
		if (r == CE_AUTH_TAG || r == CE_FORMAT || r == CE_VERSION) {
			err_set_detail("object id %llu of partition '%s' does not "
			    "open under the partition key: hsm.db was altered; "
			    "nothing was changed", (unsigned long long)id,
			    s->label);
			r = CE_INTEGRITY;
		}
		if (r != 0)
			goto out;
		if ((r = store_prepare(h->st, "UPDATE object SET value = ? "
		    "WHERE id = ?", &upd)) != 0)
			goto out;
		sqlite3_bind_blob(upd, 1, buf_ptr(nb), (int)buf_len(nb),
		    SQLITE_TRANSIENT);
		sqlite3_bind_int64(upd, 2, (int64_t)id);
		if ((r = hsm_step_done(h, upd)) != 0)
			goto out;
		buf_free(nb);
		nb = NULL;
		last = (int64_t)id;
		n++;
	}
	*countp = n;
 out:
	buf_free(nb);
	return r;
}
