/*
 * sks_int: what the emulated HSM's modules (hsm, partition, role, object,
 * objapply) call in lib/sks, and what the sks files share.
 */
#ifndef COFFER_SKS_INT_H
#define COFFER_SKS_INT_H

#include <stdint.h>

#include "sks.h"

struct buf;
struct hsm;
struct object;
struct object_info;
struct secret;
struct session;

/* SMK row states in hsm.db's smk table. */
enum { SMK_PENDING = 0, SMK_CURRENT = 1, SMK_RETIRED = 2 };


/* sks_blob_seal with a given nonce (test vectors only: nonces are random). */
int sks_blob_seal_nonce(const uint8_t smk[SKS_SMK_LEN],
    const struct sks_blob_info *meta, const uint8_t nonce[12],
    const uint8_t *rec, size_t reclen, struct buf *out);

/* --- sks.db (sks_store.c) ------------------------------------------------ */

/*
 * Opens h's sks.db when it exists (or creates it with create set) and, when
 * an hsm.db transaction is open, begins one on it too, so both commit
 * together (hsm.db first). 0 with h->sks NULL when absent and not created.
 */
int sks_attach(struct hsm *h, int create);

/* Requires sks.db (CE_INTEGRITY with a detail when a V1 partition lacks it). */
int sks_require(struct hsm *h);

/* Counters of a V1 partition (0, 0 when it has no row). */
int sks_usage(struct hsm *h, uint64_t serial, uint64_t *countp,
    uint64_t *usedp);

/* Erases every blob of a partition (serial 0: of every partition). */
int sks_erase_tx(struct hsm *h, uint64_t serial);

/* Same, and forgets the partition's SMK pointer (zeroize, delete). */
int sks_forget_tx(struct hsm *h, uint64_t serial);

/* Makes the first SMK of a V1 partition being initialized (psk in hand). */
int sks_init_tx(struct hsm *h, int64_t pid, uint64_t serial,
    const struct secret *psk);

/* --- the SMK pointer (sks_ptr.c) ----------------------------------------- */

#define SKS_PTR_MAC_LEN 32
#define SKS_PTR_RETIRED_MAX 1024  /* ids kept; the oldest goes first */

/* sks.db's row of a V1 partition (docs/formats.md 9.3). */
struct sks_ptr {
	uint8_t id[SKS_ID_LEN];     /* the current SMK */
	uint64_t gen;
	uint8_t *retired;           /* nretired ids the partition gave up */
	size_t nretired;
	int macked;                 /* read: the row carries a MAC */
};

void sks_ptr_clear(struct sks_ptr *p);

/*
 * The pointer's MAC: HMAC-SHA-384 keyed by HKDF-SHA-384(PSK, info
 * "coffer-sks-pointer-mac 1") over u64 serial, id, u64 gen, u32 count and
 * the retired ids; the first SKS_PTR_MAC_LEN bytes.
 */
int sks_ptr_mac(const struct secret *psk, uint64_t serial,
    const struct sks_ptr *p, uint8_t out[SKS_PTR_MAC_LEN]);

/*
 * Reads the pointer of serial. With psk its MAC is checked: CE_INTEGRITY
 * (with a detail) when it fails; a row from before sks.db schema 2 has
 * none (macked 0) and is returned as it is. Without psk nothing is checked
 * (listings without a login). Clear *p after use.
 */
int sks_ptr_read(struct hsm *h, uint64_t serial, const struct secret *psk,
    struct sks_ptr *p);

/* Writes the pointer of serial with its MAC (in the open transaction). */
int sks_ptr_write(struct hsm *h, uint64_t serial, const struct secret *psk,
    const struct sks_ptr *p);

int sks_ptr_is_retired(const struct sks_ptr *p, const uint8_t id[SKS_ID_LEN]);
/* Adds id to the retired list (once); past the bound the oldest goes. */
int sks_ptr_retire(struct sks_ptr *p, const uint8_t id[SKS_ID_LEN]);
void sks_ptr_unretire(struct sks_ptr *p, const uint8_t id[SKS_ID_LEN]);

/*
 * A blob stored as it is must open under the SMK of k (its GCM tag covers the
 * header) and hold the object its header names (label and class): opens
 * it into rec (SKS_BLOB_MAX bytes, wiped again) and checks; CE_INTEGRITY
 * with a detail (naming the key as under) otherwise. Counts one
 * decryption.
 */
int sks_blob_check(const struct sks_blob_keys *k, const uint8_t *blob,
    size_t n, uint8_t *rec, struct sks_blob_info *bi, const char *under);

/* --- the session's SMK (sks_smk.c) --------------------------------------- */

/* Loads (once) the session's SMK, reconciling hsm.db with sks.db first. */
int sks_session_smk(struct session *s);

/*
 * The rekey's part in sks_smk.c (V1): every SMK wrap of s's partition that
 * still has one opened under s->psk and wrapped again under newpsk, and
 * sks.db's pointer (its MAC checked under s->psk) written again with its
 * MAC under newpsk, in the open transaction. *np: SMK wraps re-made.
 */
int sks_psk_rekey_tx(struct session *s, const struct secret *newpsk, int *np);

/*
 * After a rekey of a V1 partition, or at the next session that opens the
 * SMK should the rekey have died between its hsm.db and sks.db commits:
 * makes sks.db's pointer MAC the new PSK's (checked under the old one,
 * kept as psk_prev) and destroys psk_prev. Nothing to do (no write) when
 * the partition has no psk_prev.
 */
int sks_rekey_finish(struct session *s);

/*
 * Makes hsm.db's SMK rows agree with sks.db (after a crash, or right after
 * an SMK switch committed): runs its own transaction unless one is open.
 * Believes only a pointer whose MAC holds, and destroys no wrap unless a
 * blob of the partition opens under the SMK the pointer names.
 */
int sks_settle(struct session *s);

/*
 * SMK id is one partition s retired (a rollover or a replacement): unless
 * force, CE_POLICY with a detail; 0 when it is not (or with force).
 */
int sks_smk_retired_check(struct session *s, const uint8_t id[SKS_ID_LEN],
    int force);

/* Drops the cached SMK so the next use reloads it (after a rollover). */
void sks_session_forget(struct session *s);

/* --- objects of a V1 partition (sks_obj.c) ------------------------------- */

/* Seals and inserts one object in the open transaction; *addp its size. */
int sks_obj_insert_tx(struct session *s, const struct object *o,
    const uint8_t *val, size_t vlen, uint64_t *addp, struct buf *scratch);

/*
 * A stream of blobs inserted in one write transaction (restore, clone):
 * the partition's SMK is checked against the pointer once, at the first
 * blob (nothing else can move it while the transaction is open), and the
 * partition's count and bytes are updated once, by sks_bulk_end, instead
 * of a query and an update per blob. Set checked = 0 when the session's
 * SMK changes mid-stream.
 */
struct sks_bulk {
	struct session *s;
	int checked;
	int64_t now;               /* "created" of the stream's blobs */
	int64_t count, bytes;      /* inserted, not yet counted */
};
int sks_bulk_insert(struct sks_bulk *b, const uint8_t *blob, size_t n,
    const struct sks_blob_info *bi);
int sks_bulk_end(struct sks_bulk *b);

int sks_obj_find(struct session *s, const char *label,
    struct object_info *ip);
/* The same by store id (object_find_id); label names it in the detail. */
int sks_obj_find_id(struct session *s, uint64_t id, const char *label,
    struct object_info *ip);
int sks_obj_list(struct session *s,
    int (*cb)(void *ctx, const struct object_info *oi), void *ctx);
int sks_obj_get(struct session *s, const char *label, struct object **op);
/* Deletes by row id in the open transaction. */
int sks_obj_delete_tx(struct session *s, uint64_t id, uint64_t size);
int sks_obj_foreach(struct session *s,
    int (*cb)(void *ctx, const struct object_info *oi, const uint8_t *rec,
    size_t len), void *ctx);

/*
 * Replaces the partition's SMK by smk (clone): the caller checked force and
 * the retired list. The previous SMK joins the retired list.
 */
int sks_smk_replace_tx(struct session *s, const struct secret *smk,
    const uint8_t id[SKS_ID_LEN]);

/* Parses an XFER_REC_SMK record into *smkp and id. */
int sks_smk_record_parse(const uint8_t *p, size_t n, struct secret **smkp,
    uint8_t id[SKS_ID_LEN]);

/* Encodes an SMK record from a key in hand. */
int sks_smk_record_put(const struct secret *smk, struct buf *out);

/* Up to max labels of the partition, comma-separated, for messages. */
int sks_some_labels(struct session *s, size_t max, char *out, size_t outlen);

#endif
