/*
 * bstore: a local backup store, the directory that keeps dated backup
 * partitions (docs/backup-store.md). It names, lists,
 * shows and verifies backups, enforces the store's capacity, writes new ones
 * so that a crash never leaves anything that lists as a backup, and prunes
 * by soft delete with a grace period.
 *
 *   PATH/store.conf                      format line, capacity, grace days
 *   PATH/<label>_<yyyymmddThhmmssZ>.cbk  one backup partition (lib/cbk.h)
 *   PATH/.tmp/                           spools and archives being written
 *   PATH/.trash/<name>.deleted-<stamp>   soft-deleted backups
 *   PATH/.verified/<name>                "passed verify at <time>" markers
 *   PATH/.lock                           flock: commits, deletes, gc
 *
 * A store holds ciphertext only and never needs a secret. Only names of the
 * exact backup form count as backups: temporaries live in .tmp/, so a killed
 * writer's leftovers are never listed nor counted toward the capacity, and
 * bstore_gc() removes them (a live writer holds a lock on its files).
 *
 * Backends: the URI picks one (lib/bstore_be.c; the interface is struct
 * bstore_ops in bstore_int.h): "dir:PATH" is the directory above,
 * implemented in bstore.c, bstore_write.c and bstore_retain.c;
 * "rbs://HOST:PORT/STORE" is a store kept by an `rbs serve` server
 * (bstore_rbs.c, docs/rbs.md); "hsm:DIR" is an emulated Backup HSM whose
 * backup partitions are DIR/backup/, a dir: store behind the HSM's SO and
 * audit chain (bstore_hsm.c, docs/backup-hsm.md). Every
 * function below works the same on each backend, so no tool branches per
 * kind of store; what a backend cannot do is CE_UNSUPPORTED.
 */
#ifndef COFFER_BSTORE_H
#define COFFER_BSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "cbk.h"
#include "utc.h"

#define BSTORE_CAPACITY_DEFAULT 100 /* Luna Backup HSM 7 */
#define BSTORE_CAPACITY_MAX 100000
#define BSTORE_GRACE_DAYS_DEFAULT 7
#define BSTORE_GRACE_DAYS_MAX 3650
/* "<label>_<serial>_<stamp>.cbk" and its NUL */
#define BSTORE_NAME_MAX (CBK_LABEL_MAX + 1 + CBK_SERIAL_MAX + 1 + \
    UTC_STAMP_LEN + 4 + 1)
/* The series part of a name: "<label>_<serial>" (the label alone in names
 * of format 1 backups) and its NUL. */
#define BSTORE_SERIES_MAX (CBK_LABEL_MAX + 1 + CBK_SERIAL_MAX + 1)

struct bstore;
struct hsm;

#define BSTORE_LOCK_DAYS_MAX 36500

struct bstore_config {
	unsigned capacity;   /* backups the store may hold, 1..CAPACITY_MAX */
	unsigned grace_days; /* days a soft-deleted backup can be undeleted */
	/* s3:// only: S3 Object Lock retention of each backup (0: none) */
	unsigned lock_days;
	char lock_mode[16];  /* "COMPLIANCE" or "GOVERNANCE" */
};

/*
 * The client identity for rbs:// stores: dir (made by 'rbs enroll') holds
 * key.pem, cert.pem and known_servers; server_fp pins a server not yet in
 * known_servers (first use). Either may be NULL (kept). Without a call the
 * environment's COFFER_RBS_IDENTITY names dir.
 */
int bstore_rbs_identity(const char *dir, const char *server_fp);

/*
 * Copies the PATH of a "dir:PATH" URI into path[0..size). Returns 0,
 * CE_USAGE (not a store URI, empty path), CE_UNSUPPORTED (rbs://: a remote
 * store is not a directory) or CE_TOO_LONG.
 */
int bstore_parse_uri(const char *uri, char *path, size_t size);

/*
 * Creates a store at uri (dir: the directory may exist; its parent must):
 * store.conf from cfg (NULL: the defaults) and the hidden directories.
 * Returns 0, CE_EXISTS (already a store), CE_INVALID (cfg out of range),
 * CE_IO.
 */
int bstore_init(const char *uri, const struct bstore_config *cfg);

/*
 * Opens the store at uri. Returns 0, CE_NOT_FOUND (no directory, or no
 * store.conf in it: not a store), CE_FORMAT/CE_VERSION (bad store.conf),
 * CE_IO.
 */
int bstore_open(const char *uri, struct bstore **sp);
void bstore_close(struct bstore *s);
const struct bstore_config *bstore_config(const struct bstore *s);
/* dir: the directory; other backends: the URI (for messages). */
const char *bstore_path(const struct bstore *s);

/*
 * The file-name form of a label: bytes other than A-Z a-z 0-9 . _ - become
 * '-', and a leading '.' or '-' becomes '_' (no hidden names, none a tool
 * would take for an option); the manifest keeps the real label.
 */
void bstore_name_label(const char *label, char out[CBK_LABEL_MAX + 1]);

/*
 * Writes "<name label>_<name serial>_<stamp>.cbk" for a backup of the
 * partition label with serial made at created; serial NULL gives the
 * format 1 name "<name label>_<stamp>.cbk". The name serial is the serial
 * with bytes outside A-Z a-z 0-9 . - made '-'. Partition serials are 12
 * random digits, so two HSMs' partitions of one label never share a name.
 */
int bstore_backup_name(const char *label, const char *serial, int64_t created,
    char name[BSTORE_NAME_MAX]);

/* The name a backup with manifest m has (format 2: with its serial). */
int bstore_manifest_name(const struct cbk_manifest *m,
    char name[BSTORE_NAME_MAX]);

/*
 * Returns 0 when name has the exact backup form, with its series part
 * ("<label>_<serial>", or the label of a format 1 name) and time in
 * seriesp/createdp (each may be NULL); CE_INVALID otherwise. Any name
 * handed to the functions below must pass this (no paths, no temporaries).
 * A series is the backups of one source partition: retention and "never
 * the last good backup" apply per series.
 */
int bstore_name_parse(const char *name, char seriesp[BSTORE_SERIES_MAX],
    int64_t *createdp);

struct bstore_entry {
	char name[BSTORE_NAME_MAX];
	int64_t created;        /* from the manifest (the name's if unreadable) */
	uint64_t file_size;
	int verified;           /* passed a verify, and the file is byte for
	                           byte the one that passed (see below) */
	int64_t verified_at;    /* when (0: never, or no longer valid) */
	char verified_how[12];  /* "structure" or "deep" */
	int misnamed;           /* the name's label or time disagree with the
	                           manifest: a renamed or copied file */
	int r;                  /* 0, or why its manifest could not be read */
	struct cbk_manifest m;  /* valid when r == 0 */
};

/*
 * Lists the store's backups, newest first (by time, then name), those of
 * label only when label is not NULL (its name-label form is compared). Reads
 * each manifest; a damaged one is listed with r set. *ep is one malloc'd
 * array (free()); *np may be 0.
 */
int bstore_list(struct bstore *s, const char *label, struct bstore_entry **ep,
    size_t *np);

/*
 * The same entries in the same order, one call of fn each; fn returns
 * nonzero to stop, and that value is returned. A store that reads
 * manifests over the network (s3://) reads them a batch at a time, so
 * memory stays bounded and a caller that stops early (restore list
 * --latest) reads only what it looked at.
 */
typedef int bstore_entry_fn(void *arg, const struct bstore_entry *e);
int bstore_list_each(struct bstore *s, const char *label, bstore_entry_fn *fn,
    void *arg);

/*
 * When a backup of name's series (bstore_name_parse's series part) last
 * passed a verify, by its marks: the newest such time, 0 for none or when
 * the store cannot tell. Cheap on every backend: an S3 store reads its
 * marks from one listing instead of every manifest.
 */
int64_t bstore_series_verified(struct bstore *s, const char *name);

/* Counts the store's backups (what the capacity limits). */
int bstore_count(struct bstore *s, size_t *np);

/* One backup's entry (manifest read, not verified). CE_NOT_FOUND if none. */
int bstore_show(struct bstore *s, const char *name, struct bstore_entry *ep);

/*
 * Verifies one backup without a secret (cbk_verify, and the file name must
 * match its manifest's label and time) and records the result: a pass marks
 * it verified, CE_INTEGRITY unmarks it. ep may be NULL. Returns 0,
 * CE_NOT_FOUND, CE_INTEGRITY, CE_VERSION or CE_IO.
 */
int bstore_verify(struct bstore *s, const char *name, struct bstore_entry *ep);

/*
 * Records that name passed (ok) or failed a deeper check made elsewhere
 * (restore verify --deep). A verified mark is evidence, not a flag: it
 * records when and how, and is bound to the file it vouched for (device,
 * inode, size and change time), so a backup altered, replaced or copied
 * over after its verification no longer lists as verified. A mark that
 * cannot be written completely is never left behind.
 */
int bstore_mark_verified(struct bstore *s, const char *name, int ok);

/* Opens a backup for reading (then cbk_reader_open); *fdp is O_RDONLY. */
int bstore_open_backup(struct bstore *s, const char *name, int *fdp);

/* --- writing a new backup --- */

struct bstore_txn;

/*
 * Starts a backup of m->label (m also gives serial, version, tool version,
 * and created: 0 means now) and checks, before anything is created: the
 * manifest fields (CE_INVALID), the capacity (CE_FULL, "prune or raise the
 * capacity"), that the name is free (CE_EXISTS) and that the file system has
 * room for about twice estimate bytes of record stream, spool plus archive
 * (CE_FULL; estimate 0: unknown). Then opens a locked spool in .tmp/.
 */
int bstore_begin(struct bstore *s, const struct cbk_manifest *m,
    uint64_t estimate, struct bstore_txn **tp);

/* Appends record-stream bytes: 0, CE_FULL (disk full) or CE_IO. */
int bstore_txn_write(struct bstore_txn *t, const void *p, size_t n);

/* bstore_txn_write() as a cbk_sink_fn (arg is the txn). */
int bstore_txn_sink(void *arg, const void *p, size_t n);

/* Appends everything readable from fd until end of file. */
int bstore_txn_write_fd(struct bstore_txn *t, int fd);

/* The backup's name, fixed by bstore_begin. */
const char *bstore_txn_name(const struct bstore_txn *t);

/*
 * Writes the archive (m: the final manifest fields; label and created must
 * be begin's; hdr: the sealed header), fsyncs it and renames it into the
 * store, then fsyncs the directory. The capacity and the name are checked
 * again under the store lock. On any failure nothing is left behind and the
 * store is as it was. On success name (may be NULL) receives the name.
 */
int bstore_commit(struct bstore_txn *t, const struct cbk_manifest *m,
    const void *hdr, size_t hlen, char name[BSTORE_NAME_MAX]);

/*
 * From now on bstore_commit also checks each new archive's structure
 * (cbk_verify) before it is renamed into the store: for writers that only
 * relay bytes made elsewhere (the rbs server). A failure is CE_INTEGRITY
 * and leaves nothing.
 */
void bstore_check_commits(struct bstore *s);

/* Frees t; a backup not committed is abandoned and its files removed. */
void bstore_txn_free(struct bstore_txn *t);

/* --- retention --- */

/*
 * Soft-deletes a backup: moves it to .trash/ with the time of deletion.
 * Refused (CE_POLICY) for the newest verified backup of its label, or the
 * newest backup of a label none of whose backups is verified: Coffer never
 * removes the last good backup.
 */
int bstore_trash(struct bstore *s, const char *name);

/* Moves a soft-deleted backup back (CE_FULL when the store is full). */
int bstore_untrash(struct bstore *s, const char *name);

struct bstore_trashed {
	char name[BSTORE_NAME_MAX];
	int64_t deleted;        /* when it was soft-deleted */
	int64_t purge_after;    /* deleted + the grace period */
	uint64_t file_size;
};

/* Lists .trash/, oldest deletion first; *tp is malloc'd (free()). */
int bstore_trash_list(struct bstore *s, struct bstore_trashed **tp,
    size_t *np);

/* Deletes for good what has been in the trash past the grace period. */
int bstore_purge(struct bstore *s, int64_t now, size_t *purgedp);

/*
 * restic-style retention per series (one source partition: the name's
 * series part, see bstore_name_parse): keep the newest `last` backups, the
 * newest of each of the last `daily` days, `weekly` ISO weeks and `monthly`
 * months that have a backup (UTC), plus the protected ones of bstore_trash;
 * soft-delete the rest (not with dry_run). All zero is refused (CE_INVALID).
 * The names (to be) removed are returned in *namesp (malloc'd; free()).
 */
struct bstore_keep {
	unsigned last, daily, weekly, monthly;
	char series[BSTORE_SERIES_MAX]; /* only this series; "": every one */
};
int bstore_prune(struct bstore *s, const struct bstore_keep *keep,
    int dry_run, char (**namesp)[BSTORE_NAME_MAX], size_t *np);

/*
 * Removes what killed writers left in .tmp/ (files no live writer holds
 * locked) and stale verified markers. removedp (may be NULL) gets the count
 * of temporaries removed.
 */
int bstore_gc(struct bstore *s, size_t *removedp);

/*
 * Claims the store for one scheduler (backupd run) for as long as *fdp
 * stays open: a second one is refused (CE_BUSY, naming the holder's pid)
 * instead of running the same jobs twice and overwriting the metrics.
 * *fdp is -1 where the backend orders writers itself (a remote store).
 */
int bstore_run_lock(struct bstore *s, int *fdp);

/*
 * Copies backup name of store from into store to (any two kinds: a Backup
 * HSM and a dir: store, either way) as the sealed archive it is, nothing
 * decrypted: the source's integrity is checked while it is read and the
 * copy is written with bstore_begin/bstore_commit (the target's capacity,
 * name, crash safety and audit). out (may be NULL) gets the name, the
 * same. CE_EXISTS when the target has it; CE_INTEGRITY when the source is
 * damaged or misnamed (nothing is left in the target).
 */
int bstore_copy(struct bstore *from, const char *name, struct bstore *to,
    char out[BSTORE_NAME_MAX]);

/*
 * Refuses (CE_FULL, naming the store, its capacity and where to raise it)
 * when the store holds its capacity already: bstore_begin's check before
 * anything is created, again at commit, and before an undelete.
 */
int bstore_room(struct bstore *s);

/*
 * Stores whose removals need an HSM Security Officer (a Backup HSM, hsm:DIR:
 * deleting, pruning and purging backup partitions): the HSM directory on
 * which the SO logs in, or NULL for a store that needs none. The tool logs
 * the SO in there (hsm_so_login) and hands the HSM over with
 * bstore_set_officer(), which takes h on success (closed with the store);
 * lib/cred.h cred_store_officer() does both.
 */
const char *bstore_officer_dir(const struct bstore *s);
int bstore_set_officer(struct bstore *s, struct hsm *h);

/*
 * Returns 1 for a store whose backup partitions take a share set as their
 * credential (a PED Backup HSM), 0 for any other.
 */
int bstore_ped(const struct bstore *s);

#endif
