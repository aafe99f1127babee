/*
 * sks: Scalable Key Storage, the object store of V1 partitions.
 *
 * A V1 partition (Luna's partition policy 41) keeps no object inside the
 * HSM store. Each object is an SKS blob: the object record (docs/formats.md
 * section 4) sealed with AES-256-GCM under the partition's SKS Master Key
 * (SMK), behind a clear header (SMK id, object uid, class, key type, bits,
 * label) that the associated data binds. The SMK is 32 random bytes made at
 * partition initialization, stored only wrapped under the partition storage
 * key in hsm.db; the blobs live off-board in sks.db beside it (SQLite, WAL,
 * one row a blob). docs/formats.md section 9 specifies every byte and
 * docs/sks.md the commands.
 *
 * The SMK id (a keyed hash of the SMK) names the key a blob needs: every
 * partition holding the same SMK can open the same blobs, so blobs move
 * between them untouched (extract/insert, V1 clone) and only the SMK ever
 * crosses a transfer in clear form (inside the transfer's encryption).
 *
 * Crash consistency across the two databases: sks.db's partition row names
 * the current SMK id; hsm.db may hold wraps for more than one id while an
 * SMK changes. hsm.db commits before sks.db, a wrap is only dropped after
 * the sks.db switch committed, and loading the SMK reconciles: whatever id
 * sks.db names is current, every other live wrap is dropped. See
 * docs/sks.md, "Crash consistency".
 */
#ifndef COFFER_SKS_H
#define COFFER_SKS_H

#include <stddef.h>
#include <stdint.h>

#include "object.h"

struct buf;
struct hsm;
struct secret;
struct session;

#define SKS_SMK_LEN 32
#define SKS_ID_LEN 16                 /* SMK id and object uid */
#define SKS_BLOB_MAX (64 * 1024)      /* Luna's SKS blob limit */
#define SKS_BLOB_VERSION 2             /* written; 2: GCM under a subkey */
#define SKS_BLOB_VERSION_1 1          /* read: GCM under the SMK itself */
#define SKS_SMK_RECORD_VERSION 1
#define SKS_FILE_VERSION 1
#define SKS_DB_NAME "sks.db"

/* The clear header of a blob (docs/formats.md 9.2); read without a key. */
struct sks_blob_info {
	uint8_t smk_id[SKS_ID_LEN];
	uint8_t uid[SKS_ID_LEN];
	uint32_t cls;
	uint32_t key_type;
	uint32_t bits;
	char label[OBJECT_LABEL_MAX + 1];
	size_t hdr_len;               /* bytes of header (the AAD's tail) */
	int version;                  /* the blob's: 1 or 2 (parse fills it) */
};

/* --- blobs (no store) ---------------------------------------------------- */

/* The SMK id: HMAC-SHA-384(smk, "coffer-smk-id-v1") cut to 16 bytes. */
int sks_smk_id(const uint8_t smk[SKS_SMK_LEN], uint8_t id[SKS_ID_LEN]);

/*
 * Seals the object record rec under smk, appending the blob to out; the
 * header takes uid, class, key type, bits and label from meta (its smk_id
 * is computed). CE_TOO_LONG when the blob would pass SKS_BLOB_MAX.
 */
int sks_blob_seal(const uint8_t smk[SKS_SMK_LEN],
    const struct sks_blob_info *meta, const uint8_t *rec, size_t reclen,
    struct buf *out);

/* Parses a blob's header; CE_FORMAT/CE_VERSION/CE_TOO_LONG on bad input. */
int sks_blob_parse(const uint8_t *p, size_t n, struct sks_blob_info *bi);

/*
 * Opens a blob into rec (room for n bytes; *reclenp gets the record's
 * length; wiped on failure). CE_AUTH_TAG for a wrong SMK or an altered
 * blob. Counts one decryption (sks_decryptions()).
 */
int sks_blob_open(const uint8_t smk[SKS_SMK_LEN], const uint8_t *p, size_t n,
    struct sks_blob_info *bi, uint8_t *rec, size_t *reclenp);

/*
 * The same with the keys of one SMK set up once (sks_blob_keys_new) for
 * many blobs; sks_blob_keys_free wipes them.
 */
struct sks_blob_keys;
int sks_blob_keys_new(const uint8_t smk[SKS_SMK_LEN],
    struct sks_blob_keys **kp);
void sks_blob_keys_free(struct sks_blob_keys *k);
int sks_blob_open_k(const struct sks_blob_keys *k, const uint8_t *p,
    size_t n, struct sks_blob_info *bi, uint8_t *rec, size_t *reclenp);
int sks_blob_seal_k(const struct sks_blob_keys *k,
    const struct sks_blob_info *meta, const uint8_t *rec, size_t reclen,
    struct buf *out);

/* Blob openings by this process so far (tests prove a path decrypts none). */
uint64_t sks_decryptions(void);

/* Hex of an SMK id for messages: 32 lowercase digits and a NUL. */
void sks_id_hex(const uint8_t id[SKS_ID_LEN], char out[2 * SKS_ID_LEN + 1]);

/* --- the SMK of a partition ---------------------------------------------- */

/* What `hsm partition show` and `hsm sks show` say about a V1 partition. */
struct sks_status {
	uint8_t smk_id[SKS_ID_LEN];
	uint64_t gen;                 /* 1 at initialization, +1 a rollover */
	uint64_t objects;
	uint64_t bytes;               /* sum of blob lengths */
	uint64_t retired;             /* SMK generations retired */
};

/*
 * The current SMK id and generation of V1 partition serial, without a
 * login (the id names the key, like a domain fingerprint; it opens nothing).
 */
int sks_smk_public(struct hsm *h, uint64_t serial, uint8_t id[SKS_ID_LEN],
    uint64_t *genp);

/*
 * Opens the SMK of a V1 session now (it is otherwise opened on first use),
 * first settling hsm.db with sks.db after a crash (a write). Tools that
 * will hold another write lock on the same HSM call it beforehand.
 */
int sks_load(struct session *s);

/*
 * After a commit that switched the SMK (a clone or restore that took the
 * source's): destroys the previous SMK's wrap now rather than at the next
 * login. Nothing to do (and no write) when hsm.db already agrees.
 */
int sks_settle_now(struct session *s);

/*
 * Makes the session's SMK the partition's current one, reloading it when a
 * rollover committed since it was loaded (lib/sks_smk.c). Backups and
 * clones call it before they send the SMK record and the blobs.
 */
int sks_refresh(struct session *s);

/* Reads the SMK status of a V1 partition (a CO or CU session). */
int sks_status_get(struct session *s, struct sks_status *st);

/*
 * Online SMK rollover (CO): a new SMK, every blob re-sealed under it and
 * the switch in one sks.db transaction, then the old SMK's wrap destroyed.
 * A crash at any point leaves the partition entirely before or after (the
 * next session reconciles). progress may be NULL. *countp gets the blobs
 * re-sealed.
 */
int sks_rollover(struct session *s, void (*progress)(void *ctx,
    uint64_t done), void *ctx, uint64_t *countp);

/*
 * The XFER_REC_SMK record of the session's SMK (docs/formats.md 9.4): key
 * material in clear, only ever handed to an encrypted transfer. CO only.
 */
int sks_smk_record(struct session *s, struct buf *out);

/* --- raw blobs ----------------------------------------------------------- */

/*
 * Calls cb with every blob of the partition (or of the labels given; a
 * missing label is CE_NOT_FOUND before any call) as stored: nothing is
 * decrypted. One blob in memory at a time.
 */
int sks_foreach_blob(struct session *s, const char *const *labels,
    size_t nlabels, int (*cb)(void *ctx, const uint8_t *blob, size_t len),
    void *ctx);

/*
 * Whether the partition's blob of label is byte for byte p (*samep 1) or
 * not (0), CE_NOT_FOUND when it holds no such label: a V1 --sync compares
 * the blobs as stored, one cached statement and no decryption a label.
 */
int sks_blob_same(struct session *s, const char *label, const uint8_t *p,
    size_t n, int *samep);

/* --- extract and insert (Luna's SIM) ------------------------------------- */

/* The extra authorization of an extract file (docs/formats.md 9.5). */
enum sks_auth_kind {
	SKS_AUTH_NONE = 0,
	SKS_AUTH_PASSWORD = 1, /* a typed password, through Argon2id */
	SKS_AUTH_SHARES = 2,   /* 32 random bytes held as an M-of-N share set */
};

struct sks_auth {
	int kind;                    /* enum sks_auth_kind */
	const struct secret *secret; /* the password, or the recombined secret */
	int kdf;                     /* SKS_AUTH_PASSWORD: Argon2id profile */
};

/*
 * Writes every object (or the labels given) as an extract file (9.5) to
 * fd: the blobs as they are, authenticated under a key derived from the
 * SMK and, with an authorization (auth may be NULL: none), from its secret
 * too; the file is then refused without it.
 */
int sks_extract(struct session *s, const char *const *labels, size_t nlabels,
    const struct sks_auth *auth, int fd, uint64_t *countp);

/*
 * Inserts an extract file read from fd into the partition, all or nothing
 * (CO). Refusals with a detail: CE_POLICY when the file's SMK is not the
 * partition's (or was retired by a rollover); CE_BAD_CREDENTIAL for a
 * missing or wrong authorization, or one of the other kind; CE_INTEGRITY
 * for a file altered or cut short. conflict is enum object_conflict.
 */
int sks_insert(struct session *s, int fd, const struct sks_auth *auth,
    int conflict, struct object_apply_stats *stp);

#endif
