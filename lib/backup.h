/*
 * backup: dated backup partitions made from, checked against and restored
 * into partitions of the emulated HSM (docs/backupd.md,
 * docs/restore.md). This is the glue between three modules that each do
 * one thing: object records leave and enter a partition (lib/object.h), the
 * sealed stream protects them under the source's cloning domains and a
 * backup partition password (lib/sealed.h), and the store keeps the archive
 * (lib/bstore.h, lib/cbk.h).
 *
 * Making a backup checks every precondition (partition version, cloning
 * policy, selection, store capacity and free space) before it creates
 * anything; the archive appears in the store only when complete (bstore's
 * temporary, fsync, rename). Restoring authenticates every chunk while it
 * stages the records in one HSM transaction and commits only after the
 * whole archive (records.bin's hash and the file's integrity tail) checked
 * out: after any failure the target partition is as it was.
 *
 * The header's associated data is cbk_manifest_ad() of the manifest, so a
 * manifest cannot be edited or swapped between backups (docs/formats.md 7.8).
 */
#ifndef COFFER_BACKUP_H
#define COFFER_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "bstore.h"
#include "version.h"
#include "xfer.h"

struct endpoint;
struct secret;

#define BACKUP_TOOL_VERSION "coffer " COFFER_VERSION

/* Progress of a long operation: done so far of total (0: unknown). */
typedef void backup_progress_fn(void *ctx, uint64_t done, uint64_t total);

struct backup_params {
	const struct secret *password; /* the backup partition password */
	int kdf;                       /* its Argon2id profile, KDF_* */
	const char *const *labels;     /* objects to back up; NULL: all */
	size_t nlabels;
	backup_progress_fn *progress;  /* may be NULL */
	void *ctx;
	const char *store_uri;         /* for the audit event only */
};

struct backup_result {
	char name[BSTORE_NAME_MAX];
	int64_t created;
	uint64_t objects;
	uint64_t plain_bytes;          /* record bytes before compression */
	uint64_t records_size;         /* records.bin */
	char domain[64];               /* first domain (for messages) */
	size_t ndomains;
};

/*
 * Backs up the partition of src (logged in as CO or CU, without
 * ENDPOINT_TX) into store st: V0 objects as records, V1 the SMK record then
 * the blobs as stored. Refuses, before it creates anything: a partition
 * whose cloning is off (CE_POLICY), a selected label that is not there
 * (CE_NOT_FOUND), a full store or too little disk (CE_FULL). Writes one
 * audit event on the HSM ("backup", ok or fail). res receives the new name.
 */
int backup_make(struct endpoint *src, struct bstore *st,
    const struct backup_params *p, struct backup_result *res);

/*
 * The sealing core of backup_make, for sources that are not partitions
 * (lib/backup_p11.c: a PKCS#11 token). m is the manifest with the source
 * filled in; produce emits the records through emit(emitarg, ...) and
 * sets *objectsp. Asks the store for estimate bytes first; res->name is
 * set as soon as the store gave one (for an audit line on failure). pk
 * (NULL for a token) opens the V0 rows produce emits as ENDPOINT_REC_ROW,
 * on the sealing thread.
 */
struct object_psk;
typedef int backup_produce_fn(void *arg,
    int (*emit)(void *emitarg, uint8_t kind, const void *p, size_t n),
    void *emitarg, uint64_t *objectsp);
int backup_seal(struct bstore *st, struct cbk_manifest *m,
    const struct backup_params *p, const struct xfer_domain *doms,
    size_t ndoms, uint64_t estimate, backup_produce_fn *produce, void *arg,
    struct object_psk *pk, struct backup_result *res);

enum backup_restore_mode {
	BACKUP_REPLACE = 1, /* empty the target first (with labels: replace those) */
	BACKUP_ADD = 2,     /* only what is missing; existing labels are kept */
};

struct restore_params {
	const struct secret *password; /* the backup partition password */
	int mode;                      /* enum backup_restore_mode */
	const char *const *labels;     /* objects to restore; NULL: all */
	size_t nlabels;
	/* Called per object not written in add mode, with the reason. */
	void (*on_skip)(void *ctx, const char *label, const char *reason);
	backup_progress_fn *progress;  /* may be NULL */
	void *ctx;
	int allow_retired_smk;         /* V1: restore --force (see endpoint.h) */
};

struct restore_result {
	struct cbk_manifest m;         /* the backup's manifest */
	uint64_t records;              /* records read from the backup */
	uint64_t written, replaced, skipped;
	char domain[64];               /* the target's domain that opened it */
};

/*
 * Restores backup name of store st into the partition of dst (logged in as
 * CO with ENDPOINT_TX, so that a failure leaves hsm.db and audit.log byte
 * for byte as they were) in one transaction, all or nothing; commits dst on
 * success. CE_BAD_CREDENTIAL (exit 3): the
 * password is wrong or the target holds none of the backup's domains;
 * CE_INTEGRITY / CE_AUTH_TAG / CE_TRUNCATED (exit 4): the archive is
 * damaged, truncated or tampered with; CE_NOT_FOUND: no such backup or a
 * selected label is not in it; CE_FULL: the target's storage is too small.
 */
int backup_restore(struct endpoint *dst, struct bstore *st, const char *name,
    const struct restore_params *p, struct restore_result *res);

/*
 * Opens backup name with the password and one of doms (who: what holds
 * them, for the message when none opens it) and hands every record to fn,
 * then checks the rest of the file. For targets that are not partitions
 * (lib/backup_p11.c); errors as backup_restore.
 */
int backup_read(struct bstore *st, const char *name,
    const struct secret *password, const struct xfer_domain *doms,
    size_t ndoms, const char *who, xfer_record_fn *fn, void *arg,
    struct restore_result *res);

/*
 * restore verify: with no secret, in one read of the archive where the
 * store keeps it (bstore_verify): its structure and hashes, its name, the
 * sealed stream's header and every chunk's order and checksum. Marks the
 * backup verified in the store, or unmarks it on CE_INTEGRITY. ep (may be
 * NULL) gets the entry.
 */
int backup_verify(struct bstore *st, const char *name, struct bstore_entry *ep);

/*
 * Verifies every backup of st as backup_verify() does, calling each (may be
 * NULL) per backup with its name and result (the detail is err_detail()).
 * Returns 0 when all passed, CE_INTEGRITY when any is damaged, else the
 * first other failure; rep counts them.
 */
struct backup_verify_report {
	size_t checked, passed, failed;
};
typedef void backup_verify_fn(void *ctx, const char *name, int r);
int backup_verify_all(struct bstore *st, backup_verify_fn *each, void *ctx,
    struct backup_verify_report *rep);

/*
 * restore verify --deep: opens backup name with the password and one of
 * doms (a target partition's domains, or one derived from a domain
 * password), authenticates every chunk and decodes every record, then checks
 * the whole archive. Records the verdict in the store (bstore_mark_verified)
 * unless the backup did not open. Same errors as backup_restore.
 */
int backup_verify_deep(struct bstore *st, const char *name,
    const struct secret *password, const struct xfer_domain *doms,
    size_t ndoms, backup_progress_fn *progress, void *ctx,
    struct restore_result *res);

#endif
