/*
 * object_int: what the object files (object, objrec, objgen, objapply,
 * objuse) share.
 */
#ifndef COFFER_OBJECT_INT_H
#define COFFER_OBJECT_INT_H

#include <stdint.h>

#include "object.h"

struct buf;
struct hsm;

#define OBJ_REC_MAGIC "COBJ"
#define OBJ_REC_VERSION 1
#define OBJ_REC_ATTRS 1
#define OBJ_REC_VALUE 2

/* Encodes the attribute list (u32 type, u32 len, value)*. */
int object_attrs_encode(const struct object *o, struct buf *out);
/* Decodes an attribute list into o (replacing its attributes). */
int object_attrs_decode(struct object *o, const uint8_t *p, size_t len);
/* Sets label, class, key type and bits from the attributes; validates. */
int object_meta(struct object *o);

/* A GCM context keyed with a V0 session's PSK (NULL for V1: blobs are
 * sealed under the SMK); cc_aead_free() it. It checks that the PSK is
 * still the partition's: make it inside the transaction it serves. */
struct cc_aead;
int object_psk_aead(struct session *s, struct cc_aead **kp);

/* A V0 session's partition key for another thread (lib/object.h). */
struct object_psk {
	struct cc_aead *k;      /* from object_psk_aead */
	uint64_t serial;        /* the partition's, in every wrap's AAD */
};

/* Permission to create an object of this kind (role checks). */
int object_may_create(struct session *s, const struct object *o);

/*
 * One V0 object row as it is inserted: the attributes in the clear, the
 * value sealed under the partition's PSK with the serial and the row id in
 * its associated data. size is what counts against the storage size.
 */
struct object_row {
	uint64_t id;
	const char *label;
	uint32_t cls, key_type, bits;
	uint64_t size;
	const uint8_t *attrs;
	size_t alen;
	const uint8_t *sealed;
	size_t slen;
};

/*
 * Appends o's row with id to out (attributes, then the value sealed
 * through k, a context from object_psk_aead); row points into out, valid
 * until out grows, and at o's label. Touches no database: a restore runs
 * it on its reading thread.
 */
int object_row_make(struct cc_aead *k, uint64_t serial, uint64_t id,
    const struct object *o, const uint8_t *val, size_t vlen, struct buf *out,
    struct object_row *row);

/* Inserts a row made by object_row_make (CE_EXISTS: the label is taken). */
int object_row_insert_tx(struct session *s, const struct object_row *row);

/*
 * Inserts o with value val in the current transaction: id from *nextidp
 * (advanced), value sealed under the session's PSK (through k, a context
 * from object_psk_aead made in this transaction, for many inserts; or,
 * when k is NULL, through one made for this insert); *addp gets the bytes
 * it counts.
 * Capacity and label uniqueness are the caller's business (the UNIQUE
 * constraint still refuses a duplicate with CE_EXISTS).
 */
int object_insert_tx(struct session *s, struct cc_aead *k, const struct object *o,
    const uint8_t *val, size_t vlen, uint64_t *nextidp, uint64_t *addp,
    struct buf *scratch);

/*
 * Appends a record header, the attribute list and the value's TLV header
 * to out, and reserves vlen bytes for the value at *valp.
 */
int object_record_put(struct buf *out, const uint8_t *attrs, size_t alen,
    size_t vlen, uint8_t **valp);

/*
 * The label of a record (its CKA_LABEL, checked as object_meta checks it)
 * without decoding the rest: clone --sync looks up the target's copy by
 * it and compares whole records.
 */
int object_record_label(const uint8_t *p, size_t len,
    char label[OBJECT_LABEL_MAX + 1]);

/* Decodes a record without copying the value: *valp points into p. */
int object_decode_view(const uint8_t *p, size_t len, struct object **op,
    const uint8_t **valp, size_t *vlenp);

/* Next free object id in the current transaction. */
int object_next_id(struct hsm *h, uint64_t *idp);

/* Adds to the partition's used bytes and count, checking the capacity. */
int object_account_tx(struct session *s, int64_t dbytes, int64_t dcount);

/* Reads capacity, used bytes and the object count (V1: no capacity). */
int object_capacity(struct session *s, uint64_t *capp, uint64_t *usedp,
    uint64_t *countp);

/*
 * The columns of struct object_info, in the order object_info_row() reads
 * them; the object table (V0) and the blob table (V1, sks.db) both have them.
 */
#define OBJECT_INFO_COLS "id, label, class, key_type, bits, size, created"
struct sqlite3_stmt;
struct store;
void object_info_row(struct sqlite3_stmt *q, struct object_info *in);

/* Steps q (bound to one label) into *ip: CE_NOT_FOUND naming label and the
 * partition when there is no row; st is the store q belongs to. */
int object_info_one(struct session *s, struct store *st,
    struct sqlite3_stmt *q, const char *label, struct object_info *ip);

/* Writes one object audit record (event, label, detail; count -1: none)
 * in the current transaction. */
int object_audit(struct session *s, const char *event, const char *label,
    const char *detail, int64_t count);
/* Requires a CO or CU session holding the PSK. */
int object_require_user(struct session *s);

/* Builds the PKCS#8 private key / SPKI for kind from a PEM or DER blob. */
int objgen_fill_private(struct object *o, const void *p, size_t len);

#endif
