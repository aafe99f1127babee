/*
 * object: PKCS#11-model objects in a V0 partition of the emulated HSM.
 *
 * An object is a set of attributes (CKA_* numbers, lib/p11.h) and, for
 * keys, data objects and certificates, a value (CKA_VALUE; PKCS#8
 * PrivateKeyInfo DER for RSA and EC private keys). A key pair is one
 * CKO_PRIVATE_KEY object that also carries CKA_PUBLIC_KEY_INFO, so labels
 * stay unique per partition. Attributes are stored in clear (labels, types
 * and sizes are not secret, and listing needs no decryption); every value
 * is sealed under the partition storage key with AES-256-GCM, the
 * associated data binding the partition serial, the object id and the
 * encoded attributes, so a value moved to another row or partition, or an
 * edited attribute, fails to open.
 *
 * Who may do what: the CO creates, deletes and uses objects; the CU uses
 * them and creates public objects only (data objects and certificates with
 * CKA_PRIVATE false); the PO touches no object.
 *
 * Object records (docs/formats.md section 4) are how objects leave and
 * enter a partition: object_foreach() streams every object as a record
 * with bounded memory; object_apply_*() writes many records in one
 * transaction. The transfer protocol carries records; it never looks in them.
 */
#ifndef COFFER_OBJECT_H
#define COFFER_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct buf;
struct secret;
struct session;

#define OBJECT_LABEL_MAX 128
#define OBJECT_ID_MAX 64                   /* longest CKA_ID */
#define OBJECT_VALUE_MAX (1024 * 1024)     /* largest value (certificates, data) */
#define OBJECT_ATTRS_MAX (64 * 1024)       /* largest encoded attribute list */
#define OBJECT_RECORD_MAX (OBJECT_VALUE_MAX + OBJECT_ATTRS_MAX + 64)

/* What `hsm key generate/import` makes. */
enum object_kind {
	OBJ_AES = 1,      /* CKO_SECRET_KEY/CKK_AES, 128/192/256 bits */
	OBJ_GENERIC = 2,  /* CKO_SECRET_KEY/CKK_GENERIC_SECRET, 8..4096 bits */
	OBJ_RSA = 3,      /* CKO_PRIVATE_KEY/CKK_RSA, 2048/3072/4096 */
	OBJ_EC = 4,       /* CKO_PRIVATE_KEY/CKK_EC, 256 (P-256) or 384 (P-384) */
	OBJ_DATA = 5,     /* CKO_DATA */
	OBJ_CERT = 6,     /* CKO_CERTIFICATE, X.509 */
};

/* "aes", "generic", "rsa", "ec", "data", "cert" to OBJ_*. */
int object_kind_parse(const char *name, int *kindp);

/* Checks that bits suit kind (0 picks the default: 256, 256, 2048, 256). */
int object_bits_check(int kind, unsigned *bitsp);

/* One attribute; val points into the object. */
struct object_attr {
	uint32_t type;
	size_t len;
	uint8_t *val;
};

/* A decoded object (a record, or an object read from the store). */
struct object {
	uint64_t id;                 /* store id; 0 for a decoded record */
	char label[OBJECT_LABEL_MAX + 1];
	uint32_t cls;                /* CKO_* */
	uint32_t key_type;           /* CKK_* or CKK_NONE */
	uint32_t bits;               /* key size in bits; 0 for data/certificates */
	size_t nattrs;
	size_t attrs_room;           /* attrs allocated (grows in steps) */
	struct object_attr *attrs;   /* every attribute but CKA_VALUE */
	uint8_t *attr_blob;          /* a decoded record's attributes, which
	                                their vals point into (one allocation
	                                per record, not one per attribute) */
	size_t attr_bloblen;
	struct secret *value;        /* CKA_VALUE; may be NULL */
};

/* What listings show, without decrypting anything. */
struct object_info {
	uint64_t id;
	char label[OBJECT_LABEL_MAX + 1];
	uint32_t cls;
	uint32_t key_type;
	uint32_t bits;
	uint64_t size;               /* bytes counted against the storage size */
	int64_t created;
};

/* --- building and reading objects (no store) ---------------------------- */

struct object *object_new(void);
void object_free(struct object *o);
/* Sets (replaces) an attribute. CKA_LABEL, CKA_CLASS, CKA_KEY_TYPE also set
 * the fields above. */
int object_set_attr(struct object *o, uint32_t type, const void *p, size_t len);
int object_set_ulong(struct object *o, uint32_t type, uint64_t v);
int object_set_bool(struct object *o, uint32_t type, int v);
/* Returns the attribute or NULL. */
const struct object_attr *object_attr(const struct object *o, uint32_t type);
/* Reads a CK_ULONG / CK_BBOOL attribute; CE_NOT_FOUND when absent. */
int object_get_ulong(const struct object *o, uint32_t type, uint64_t *vp);
int object_get_bool(const struct object *o, uint32_t type, int *vp);
/* Short type name for listings: "AES", "RSA", "EC P-256", "Data", ... */
const char *object_type_name(uint32_t cls, uint32_t key_type, uint32_t bits);

/*
 * Gives private key o (CKA_KEY_TYPE set) its value from the PKCS#8 DER (or
 * unencrypted PEM) p, and CKA_PUBLIC_KEY_INFO, CKA_MODULUS_BITS or
 * CKA_EC_PARAMS from it. CE_FORMAT for what is not such a key, CE_INVALID
 * for one Coffer does not hold (RSA other than 2048/3072/4096 bits, EC
 * other than P-256/P-384); the detail says which.
 */
int object_set_private(struct object *o, const void *p, size_t len);

/* --- records (docs/formats.md section 4) -------------------------------- */

/* Appends the record of o to out. */
int object_encode(const struct object *o, struct buf *out);
/* Decodes one record; CE_FORMAT/CE_VERSION/CE_TRAILING on bad input. */
int object_decode(const uint8_t *p, size_t len, struct object **op);

/* --- the store ---------------------------------------------------------- */

/*
 * Generates a key of kind/bits labelled label (CO). *idp gets its id
 * (NULL is fine). CE_EXISTS for a label in use, CE_FULL past the storage size.
 */
int object_generate(struct session *s, int kind, unsigned bits,
    const char *label, uint64_t *idp);

/*
 * object_generate with a CKA_ID (ckaid, 1..OBJECT_ID_MAX bytes; NULL for
 * none). PKCS#11 applications pick keys by CKA_ID, and pair a key with its
 * certificate by it; Coffer finds objects by label and never needs one.
 */
int object_generate_id(struct session *s, int kind, unsigned bits,
    const char *label, const uint8_t *ckaid, size_t ckaidlen, uint64_t *idp);

/*
 * Generates count keys (AES or generic) labelled "<prefix>-<n>" from
 * first_n on, in one transaction, with one prepared statement and the one
 * PSK the session holds. progress (may be NULL) is called now and then.
 */
int object_generate_bulk(struct session *s, int kind, unsigned bits,
    const char *prefix, uint64_t first_n, uint64_t count,
    void (*progress)(void *ctx, uint64_t done), void *ctx);

/*
 * Imports a key: raw bytes for OBJ_AES/OBJ_GENERIC, a PKCS#8 DER or PEM
 * private key for OBJ_RSA/OBJ_EC (CO).
 */
int object_import_key(struct session *s, int kind, const char *label,
    const struct secret *value);
/* object_import_key with a CKA_ID, as object_generate_id. */
int object_import_key_id(struct session *s, int kind, const char *label,
    const uint8_t *ckaid, size_t ckaidlen, const struct secret *value);

/*
 * What a key made through PKCS#11 may ask for beyond `hsm key generate`
 * and `hsm key import` (docs/pkcs11.md "Wrapping"); all false by default.
 */
struct object_key_opts {
	int extractable;          /* CKA_EXTRACTABLE: may leave wrapped */
	int wrap_with_trusted;    /* CKA_WRAP_WITH_TRUSTED */
	int trusted;              /* CKA_TRUSTED: may wrap the keys above */
};
/* object_generate_id and object_import_key_id with ko (NULL: defaults);
 * *idp gets the new object's id (NULL is fine). */
int object_generate_opts(struct session *s, int kind, unsigned bits,
    const char *label, const uint8_t *ckaid, size_t ckaidlen,
    const struct object_key_opts *ko, uint64_t *idp);
int object_import_key_opts(struct session *s, int kind, const char *label,
    const uint8_t *ckaid, size_t ckaidlen, const struct secret *value,
    const struct object_key_opts *ko, uint64_t *idp);

/* Imports a data object (CO; the CU only with is_private 0). */
int object_import_data(struct session *s, const char *label,
    const char *application, const void *p, size_t len, int is_private);

/* Imports an X.509 certificate, DER or PEM (CO or CU; always public). */
int object_import_cert(struct session *s, const char *label, const void *p,
    size_t len);
/* object_import_cert with a CKA_ID (NULL for none), which pairs a
 * certificate with its key for PKCS#11 applications. */
int object_import_cert_id(struct session *s, const char *label,
    const uint8_t *ckaid, size_t ckaidlen, const void *p, size_t len);

/* Stores a fully built object (what the importers and apply use). */
int object_store(struct session *s, const struct object *o, uint64_t *idp);

/* Looks an object up by label (any CO/CU session). */
int object_find(struct session *s, const char *label, struct object_info *ip);

/*
 * Looks an object up by its store id (struct object_info id), as a
 * PKCS#11 handle names it; CE_NOT_FOUND when the partition has none.
 */
int object_find_id(struct session *s, uint64_t id, struct object_info *ip);

/* Calls cb for every object in id order (no decryption). */
int object_list(struct session *s,
    int (*cb)(void *ctx, const struct object_info *oi), void *ctx);

/* Reads and decrypts one object (CO/CU). */
int object_get(struct session *s, const char *label, struct object **op);

/* Deletes an object (CO). */
int object_delete(struct session *s, const char *label);

/*
 * Reads one object as its record into rec (replacing what it held), the way
 * object_foreach does: no guarded copy per object, so comparing many
 * records stays cheap (clone --sync). rec then holds the value in clear;
 * buf_free() wipes it. CE_NOT_FOUND when there is no such label (CO/CU).
 * k: the partition key's context set up once for many calls (a V0
 * session's object_psk_aead, used inside one transaction so no rekey
 * can pass it by), or NULL for a key schedule per call.
 */
struct cc_aead;
int object_record_get(struct session *s, struct cc_aead *k,
    const char *label, struct buf *rec);

/*
 * object_record_get for many labels that come in about the order the
 * objects are stored (clone --sync: the source sends its objects in id
 * order, and the target's copies were written by a clone in that order).
 * object_seq_get first looks at the row after the last one it found, in
 * id order, and only when that is not label asks the label index (then
 * goes on from the row it found there): a sequential read instead of a
 * lookup per object. V0 only (CE_INVALID). Free it (object_seq_free)
 * before the session's transaction ends: it holds a statement open.
 */
struct object_seq;
int object_seq_new(struct session *s, struct object_seq **qp);
int object_seq_get(struct object_seq *q, struct cc_aead *k,
    const char *label, struct buf *rec);
void object_seq_free(struct object_seq *q);

/*
 * Streams every object as a record: cb gets the listing facts and the
 * encoded record (valid only during the call); a non-zero return stops
 * the walk and is returned. One object in memory at a time (CO/CU).
 */
int object_foreach(struct session *s,
    int (*cb)(void *ctx, const struct object_info *oi, const uint8_t *rec,
    size_t len), void *ctx);

/*
 * A V0 walk whose objects are opened on another thread (a backup reads
 * the partition on one core and seals on the other): object_foreach_row
 * hands cb each row as stored (its id, attributes and sealed value; valid
 * during the call), nothing decrypted, after checking that the session's
 * partition key is the one the rows are under. object_psk_new, on the
 * session's thread, gives another thread the partition key (keyed once;
 * one thread per object_psk), with which object_row_open turns a row into
 * the object's record (CE_INTEGRITY, with the object's id, when the row
 * does not open: hsm.db was altered). rec then holds the value in clear;
 * buf_free() wipes it. V0 only (CE_INVALID).
 */
int object_foreach_row(struct session *s,
    int (*cb)(void *ctx, const struct object_info *oi, const uint8_t *row,
    size_t len), void *ctx);
struct object_psk;
int object_psk_new(struct session *s, struct object_psk **pkp);
int object_row_open(struct object_psk *pk, const uint8_t *row,
    size_t len, struct buf *rec);
void object_psk_free(struct object_psk *pk);

/* --- applying records (clone, restore) ---------------------------------- */

enum object_conflict {
	OBJ_CONFLICT_FAIL = 0,    /* a label in use fails the whole apply */
	OBJ_CONFLICT_SKIP = 1,    /* keep the target's object */
	OBJ_CONFLICT_REPLACE = 2, /* replace the target's object */
};

struct object_apply_opts {
	int conflict;             /* enum object_conflict */
	int empty_first;          /* erase every object of the target first */
	const char *audit_event;  /* "clone", "restore", ... (NULL: "import") */
	const char *audit_detail; /* e.g. the source partition; never a secret */
	/* Called for each record not written (skip mode): the reason says why. */
	void (*on_skip)(void *ctx, const char *label, const char *reason);
	void *ctx;
	/* V1: take back an SMK this partition retired (clone/restore --force) */
	int allow_retired_smk;
};

struct object_apply_stats {
	uint64_t written;         /* new objects */
	uint64_t replaced;        /* objects overwritten (replace mode) */
	uint64_t skipped;         /* records not written (skip mode) */
	uint64_t erased;          /* V1: objects erased with an SMK the
	                             target gave up (object_apply_smk, force) */
};

/* Parses "fail", "skip", "replace". */
int object_conflict_parse(const char *name, int *modep);

struct object_apply;

/* Opens the one transaction (CO session). */
int object_apply_begin(struct session *s, const struct object_apply_opts *o,
    struct object_apply **ap);
/* Writes one record (CE_CONFLICT in fail mode: abort afterwards). */
int object_apply_add(struct object_apply *a, const uint8_t *rec, size_t len);
/*
 * The XFER_REC_SMK record of a V1 source (lib/sks.h). A V1 target holding
 * another SMK takes this one; refused (CE_POLICY, with a detail) when the
 * target retired it (its MACed retired list, lib/sks_ptr.c) unless the
 * options allow_retired_smk, and when the target holds objects unless
 * force, which erases them. A V0 target only keeps the key to open the
 * blobs.
 */
int object_apply_smk(struct object_apply *a, const uint8_t *rec, size_t len,
    int force);
/*
 * An XFER_REC_SKS_BLOB record, after the SMK record: a V1 target checks
 * that it opens under the SMK and holds the object its header names
 * (CE_INTEGRITY otherwise; or the caller did: object_apply_blobs_checked),
 * wipes what it opened and stores the blob as it is; a V0 target opens it
 * and stores the object under its PSK (migration).
 */
int object_apply_blob(struct object_apply *a, const uint8_t *blob,
    size_t len);
/*
 * Opens a blob with the SMK the transfer carried into rec (SKS_BLOB_MAX
 * bytes; the caller wipes it): the object record, for a caller that must
 * look inside before applying (sync to a V0 target).
 */
int object_apply_blob_open(struct object_apply *a, const uint8_t *blob,
    size_t len, uint8_t *rec, size_t *reclenp);
/*
 * Preparing V0 records on another thread (a restore reads the archive on
 * one core and applies on the other): everything but the insert. Made by
 * object_prep_new on the thread that began a, before any other thread
 * uses a; *pp is NULL when the target is not V0 (its records go through
 * object_apply_add). object_prep_record, on that one other thread, turns
 * a V0 object record into a prepared row in out: decoded and checked as
 * object_apply_add does, its attributes encoded and its value sealed under
 * the target's partition key with the row id it will have (ids come from
 * a's counter, shared by both threads; a skipped record leaves a gap).
 * object_apply_prepared inserts one, with object_apply_add's conflict
 * handling, counts and capacity check. A prepared row is for this process
 * only: it is never read from a transfer or an archive.
 */
struct object_prep;
/* The largest prepared row: a record's parts, the label, the seal. */
#define OBJECT_PREP_MAX (OBJECT_RECORD_MAX + OBJECT_LABEL_MAX + 256)
int object_prep_new(struct object_apply *a, struct object_prep **pp);

/*
 * A V1 target: from now on the caller checks every blob before it hands
 * it over (sks_blob_check under the keys of the SMK record it hands over,
 * on a thread of its own), and object_apply_blob stores them without
 * opening them again; returns 1. A V0 target (which opens every blob to
 * store its object) changes nothing and returns 0. Call it on the thread
 * that began a, before any record.
 */
int object_apply_blobs_checked(struct object_apply *a);
int object_prep_record(struct object_prep *p, const uint8_t *rec,
    size_t len, struct buf *out);
int object_apply_prepared(struct object_apply *a, const uint8_t *row,
    size_t len);
void object_prep_free(struct object_prep *p);
/* Commits (with one audit event) and frees a. */
int object_apply_commit(struct object_apply *a, struct object_apply_stats *stp);
/* Rolls back and frees a; NULL is fine. */
void object_apply_abort(struct object_apply *a);

/*
 * All-in-one: applies n records in one transaction; in fail mode every
 * label is checked before anything is written.
 */
int object_apply_records(struct session *s, const struct object_apply_opts *o,
    const struct buf *const *recs, size_t n, struct object_apply_stats *stp);

/* --- using keys ---------------------------------------------------------- */

/*
 * OBJ_PREHASHED is PKCS#11's CKM_ECDSA and CKM_RSA_PKCS: msg is already
 * the digest (for RSA the DER DigestInfo), which the key pads and signs as
 * it is. Generic secrets (HMAC) refuse it.
 */
enum object_hash { OBJ_PREHASHED = 0, OBJ_SHA256 = 256, OBJ_SHA384 = 384 };

/*
 * Signs msg: RSA PKCS#1 v1.5, ECDSA (DER signature, as `openssl dgst`
 * writes) or HMAC for generic secrets, over SHA-256 or SHA-384.
 */
int object_sign(struct session *s, const char *label, int hash,
    const void *msg, size_t len, struct buf **sigp);
/* 0 when sig verifies; CE_INTEGRITY when it does not. */
int object_verify(struct session *s, const char *label, int hash,
    const void *msg, size_t len, const void *sig, size_t siglen);

/*
 * How an ECDSA signature is written: OBJ_SIG_DER is the X9.62
 * ECDSA-Sig-Value openssl uses; OBJ_SIG_RAW is PKCS#11's CKM_ECDSA output,
 * r || s, each as long as the curve's order (64 bytes on P-256, 96 on
 * P-384). RSA and HMAC signatures are the same bytes in both.
 */
enum object_sig_format { OBJ_SIG_DER = 0, OBJ_SIG_RAW = 1 };
/*
 * A flag or'ed into fmt: RSA signs with PSS (RFC 8017 RSASSA-PSS, MGF1 with
 * the message's hash, salt as long as the hash: PKCS#11's
 * CKM_RSA_PKCS_PSS and CKM_SHA256/384_RSA_PKCS_PSS with those parameters)
 * instead of PKCS#1 v1.5. Prehashed, the digest's length names the hash
 * (32: SHA-256, 48: SHA-384). EC keys refuse it.
 */
#define OBJ_RSA_PSS 2
/* object_sign / object_verify in format fmt (they use OBJ_SIG_DER). */
int object_sign_fmt(struct session *s, const char *label, int hash, int fmt,
    const void *msg, size_t len, struct buf **sigp);
int object_verify_fmt(struct session *s, const char *label, int hash,
    int fmt, const void *msg, size_t len, const void *sig, size_t siglen);
/*
 * A signing key held between calls (the PKCS#11 module keeps one per
 * handle and login): read and decrypted once, checked for CKA_SIGN, and
 * for RSA and EC decoded into OpenSSL's form once. object_sign_fmt is
 * object_key_open, object_key_sign, object_key_free. object_key_sign may
 * run in several threads at once on one key, without the session.
 */
struct object_key;
/* Opens the key of store id (struct object_info id); CE_POLICY without
 * CKA_SIGN (CO/CU). */
int object_key_open(struct session *s, uint64_t id, struct object_key **kp);
/* The object the key was read from: its attributes, and the value of a
 * generic secret (an RSA or EC key's PKCS#8 is dropped once decoded). */
const struct object *object_key_object(const struct object_key *k);
/* object_sign_fmt with an open key. */
int object_key_sign(const struct object_key *k, int hash, int fmt,
    const void *msg, size_t len, struct buf **sigp);
/* Frees (and wipes) k; NULL is fine. */
void object_key_free(struct object_key *k);
/*
 * A stamp of the partition's stores (hsm.db and, once there is one,
 * sks.db): two equal stamps mean no object was written in between, by
 * this process or another (store_stamp: one PRAGMA data_version each).
 * What a key held between calls checks before it is used.
 */
struct object_stamp {
	struct store_stamp main, sks;
	int have_sks;
};
int object_stamp(struct session *s, struct object_stamp *sp);
int object_stamp_equal(const struct object_stamp *a,
    const struct object_stamp *b);

/* AES-GCM with a random 96-bit nonce: out = nonce | ciphertext | tag(16). */
int object_encrypt(struct session *s, const char *label, const void *aad,
    size_t aadlen, const void *pt, size_t len, struct buf **outp);
/* Reverses object_encrypt; CE_AUTH_TAG for a wrong key, AAD or altered data. */
int object_decrypt(struct session *s, const char *label, const void *aad,
    size_t aadlen, const void *in, size_t len, struct secret **ptp);
/*
 * AES-GCM as PKCS#11's CKM_AES_GCM: the caller's 96-bit IV, a 128-bit tag;
 * out = ciphertext | tag. The caller keeps IVs unique per key.
 */
#define OBJ_GCM_IV_LEN 12
int object_encrypt_iv(struct session *s, const char *label,
    const uint8_t iv[OBJ_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *pt, size_t len, struct buf **outp);
/* Reverses object_encrypt_iv; CE_AUTH_TAG as object_decrypt. */
int object_decrypt_iv(struct session *s, const char *label,
    const uint8_t iv[OBJ_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *in, size_t len, struct secret **ptp);
/* --- wrapping keys and changing their attributes (lib/objwrap.c) ------- */

/*
 * Why a key may not be wrapped (object_wrap_check), in the order the checks
 * run. PKCS#11's answers: OBJ_WRAP_NOT_WRAPPING CKR_KEY_FUNCTION_NOT_PERMITTED,
 * OBJ_WRAP_KEK_TYPE CKR_WRAPPING_KEY_TYPE_INCONSISTENT, OBJ_WRAP_NOT_KEY
 * CKR_KEY_HANDLE_INVALID, OBJ_WRAP_UNEXTRACTABLE CKR_KEY_UNEXTRACTABLE,
 * OBJ_WRAP_UNTRUSTED CKR_KEY_NOT_WRAPPABLE.
 */
enum object_wrap_verdict {
	OBJ_WRAP_OK = 0,
	OBJ_WRAP_NOT_WRAPPING = 1,  /* kek lacks CKA_WRAP (unwrap: CKA_UNWRAP) */
	OBJ_WRAP_KEK_TYPE = 2,      /* kek is not an AES key */
	OBJ_WRAP_NOT_KEY = 3,       /* not a secret or private key */
	OBJ_WRAP_UNEXTRACTABLE = 4, /* CKA_EXTRACTABLE false */
	OBJ_WRAP_UNTRUSTED = 5,     /* CKA_WRAP_WITH_TRUSTED, kek not trusted */
};
/* Whether kek may wrap target under CKM_AES_KEY_WRAP_PAD (no store). */
int object_wrap_check(const struct object *kek, const struct object *target);
/* Whether kek may unwrap (OBJ_WRAP_OK, _NOT_WRAPPING or _KEK_TYPE). */
int object_unwrap_check(const struct object *kek);
/* The length of target wrapped (RFC 5649: its value padded to 8, plus 8). */
size_t object_wrap_len(const struct object *target);
/*
 * Wraps target's value (a secret key's bytes, a private key's PKCS#8
 * PrivateKeyInfo DER) under kek with AES key wrap with padding (RFC 5649,
 * PKCS#11 CKM_AES_KEY_WRAP_PAD) into *outp (buf_free it). CE_POLICY when
 * object_wrap_check refuses.
 */
int object_wrap(const struct object *kek, const struct object *target,
    struct buf **outp);
/*
 * object_wrap for a key leaving the partition: the wrapped bytes only
 * with their `key-wrap` audit record (naming the KEK) committed; on any
 * error *outp is NULL. The object is not changed.
 */
int object_wrap_export(struct session *s, const struct object *kek,
    const struct object *target, struct buf **outp);
/*
 * Unwraps in under kek and stores the key as object_import_key_opts would
 * (kind, label, ckaid, ko): one transaction, one key-create audit record;
 * the key is not CKA_LOCAL, never CKA_NEVER_EXTRACTABLE nor
 * CKA_ALWAYS_SENSITIVE. CE_POLICY when kek may not unwrap, CE_AUTH_TAG when
 * in does not open under kek, CE_FORMAT or CE_INVALID when what it holds is
 * not a key of kind (CO).
 */
int object_unwrap(struct session *s, const struct object *kek, const void *in,
    size_t len, int kind, const char *label, const uint8_t *ckaid,
    size_t ckaidlen, const struct object_key_opts *ko, uint64_t *idp);
/*
 * Whether a key's CK_BBOOL attribute type may change to v (no store):
 * CKA_EXTRACTABLE only from true to false, CKA_WRAP_WITH_TRUSTED only from
 * false to true, CKA_TRUSTED either way; the same value is always fine.
 * 0 or CE_POLICY (with a detail).
 */
int object_key_attr_check(const struct object *o, uint32_t type, int v);
/*
 * Sets n CK_BBOOL attributes (types, values) of key label in one
 * transaction with one key-modify audit record, after object_key_attr_check
 * on each (CO: the CO stands in for PKCS#11's SO, who alone sets
 * CKA_TRUSTED). The object keeps its id. CE_UNSUPPORTED on a V1 partition.
 */
int object_set_key_bools(struct session *s, const char *label,
    const uint32_t *types, const int *vals, size_t n);

/* The public key of an RSA/EC key pair as PEM (SubjectPublicKeyInfo). */
int object_export_public(struct session *s, const char *label,
    struct buf **pemp);

#endif
