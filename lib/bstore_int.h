/*
 * bstore internals shared by bstore.c (store, names, listing, verify),
 * bstore_write.c (new backups) and bstore_retain.c (trash, purge, prune,
 * gc). Not for use outside lib/bstore*.c.
 */
#ifndef COFFER_BSTORE_INT_H
#define COFFER_BSTORE_INT_H

#include <limits.h>

#include "bstore.h"

struct hsm;

#define BSTORE_CONF "store.conf"
#define BSTORE_TMP ".tmp"
#define BSTORE_TRASH ".trash"
#define BSTORE_VERIFIED ".verified"
#define BSTORE_LOCK ".lock"

/*
 * The store-backend interface: one table per kind of store, picked by the
 * URI's scheme in bstore_be.c. The public bstore_* functions of bstore.h
 * dispatch through it, so no tool knows which backend it talks to. Each
 * operation has the contract of its bstore.h namesake; locking is the
 * backend's own business (dir: flock on PATH/.lock; rbs: the server's).
 */
struct bstore_ops {
	const char *scheme;  /* URI prefix: "dir:", "rbs://" */
	int (*init)(const char *uri, const struct bstore_config *cfg);
	/* Fills s (ops and path already set; cfg from the store). */
	int (*open)(const char *uri, struct bstore *s);
	/* Releases what open acquired (not s itself). */
	void (*close)(struct bstore *s);
	int (*list)(struct bstore *s, const char *label,
	    struct bstore_entry **ep, size_t *np);
	/* optional: bstore_list_each in batches (NULL: from list) */
	int (*list_each)(struct bstore *s, const char *label,
	    bstore_entry_fn *fn, void *arg);
	int (*count)(struct bstore *s, size_t *np);
	int (*show)(struct bstore *s, const char *name, struct bstore_entry *ep);
	int (*verify)(struct bstore *s, const char *name,
	    struct bstore_entry *ep);
	int (*mark_verified)(struct bstore *s, const char *name, int ok);
	/* read: an fd positioned at the archive's start, regular file */
	int (*open_backup)(struct bstore *s, const char *name, int *fdp);
	/* upload: begin / write / commit / free, t->be is the backend's */
	int (*begin)(struct bstore *s, const struct cbk_manifest *m,
	    uint64_t estimate, struct bstore_txn *t);
	int (*txn_write)(struct bstore_txn *t, const void *p, size_t n);
	int (*commit)(struct bstore_txn *t, const struct cbk_manifest *m,
	    const void *hdr, size_t hlen, char name[BSTORE_NAME_MAX]);
	void (*txn_free)(struct bstore_txn *t);
	/* delete and trash */
	int (*trash)(struct bstore *s, const char *name);
	int (*untrash)(struct bstore *s, const char *name);
	int (*trash_list)(struct bstore *s, struct bstore_trashed **tp,
	    size_t *np);
	int (*purge)(struct bstore *s, int64_t now, size_t *purgedp);
	int (*prune)(struct bstore *s, const struct bstore_keep *keep,
	    int dry_run, char (**namesp)[BSTORE_NAME_MAX], size_t *np);
	int (*gc)(struct bstore *s, size_t *removedp);
	/* optional: one scheduler per store (NULL: the backend orders it) */
	int (*run_lock)(struct bstore *s, int *fdp);
	/* optional: removals need an HSM SO (NULL: they need none) */
	const char *(*officer_dir)(const struct bstore *s);
	int (*set_officer)(struct bstore *s, struct hsm *h);
	/* optional: a PED Backup HSM (NULL: no) */
	int (*ped)(const struct bstore *s);
	/* optional: bstore_series_verified without reading manifests (NULL:
	   from the listing) */
	int (*series_verified)(struct bstore *s, const char *series,
	    int64_t *atp);
};

struct bstore {
	const struct bstore_ops *ops;
	char path[PATH_MAX];  /* dir: the directory; others: the URI */
	int dirfd;            /* dir only; -1 otherwise */
	struct bstore_config cfg;
	void *be;             /* the backend's own state */
	int check_commits;    /* dir: bstore_check_commits() */
};

/* An upload in progress: its store and the backend's state. */
struct bstore_txn {
	struct bstore *s;
	char name[BSTORE_NAME_MAX];  /* fixed by begin */
	void *be;
};

/*
 * A temporary file, read-write, with no name (O_TMPFILE in TMPDIR, else
 * named and unlinked at once): for backups fetched from or spooled for a
 * remote store.
 */
int bstore_tmpfile(int *fdp);

/* store.conf's text, its parser and the range check (bstore.c). */
void bstore_config_text(const struct bstore_config *cfg, char *text,
    size_t size);
struct buf;
int bstore_config_parse(struct buf *b, struct bstore_config *cp);
int bstore_config_check(const struct bstore_config *c);

/* The s3:// backend (bstore_s3.c). */
extern const struct bstore_ops bstore_s3_ops;

/* The hsm: backend, a Backup HSM (bstore_hsm.c). */
extern const struct bstore_ops bstore_hsm_ops;

/* The rbs:// backend (bstore_rbs.c). */
extern const struct bstore_ops bstore_rbs_ops;

/* The dir: backend (bstore.c, bstore_write.c, bstore_retain.c). */
extern const struct bstore_ops bstore_dir_ops;
int bstore_dir_init(const char *uri, const struct bstore_config *cfg);
int bstore_dir_open(const char *uri, struct bstore *s);
void bstore_dir_close(struct bstore *s);
int bstore_dir_list(struct bstore *s, const char *label,
    struct bstore_entry **ep, size_t *np);
int bstore_dir_count(struct bstore *s, size_t *np);
int bstore_dir_show(struct bstore *s, const char *name,
    struct bstore_entry *ep);
int bstore_dir_verify(struct bstore *s, const char *name,
    struct bstore_entry *ep);
int bstore_dir_mark_verified(struct bstore *s, const char *name, int ok);

/*
 * Checks a verified backup's structure again before retention relies on it
 * as its series' last good one (a mark records a past check; damage the
 * mark cannot see, such as a byte changed with its times restored, is
 * caught here). A damaged one loses its mark; a good one keeps its mark as
 * it was (a deep mark stays deep). Returns 0 or why it failed.
 */
int bstore_dir_recheck(struct bstore *s, const char *name);
/*
 * Checks an archive read from fd (at its start) without a secret, in one
 * read: its structure and hashes (m filled), a sealed header this build
 * reads, every chunk's order and checksum, and that name is the name its
 * manifest gives. 0 or CE_INTEGRITY and kin.
 */
int bstore_archive_check(int fd, const char *name, struct cbk_manifest *m);
int bstore_dir_open_backup(struct bstore *s, const char *name, int *fdp);
int bstore_dir_begin(struct bstore *s, const struct cbk_manifest *m,
    uint64_t estimate, struct bstore_txn *t);
int bstore_dir_txn_write(struct bstore_txn *t, const void *p, size_t n);
int bstore_dir_commit(struct bstore_txn *t, const struct cbk_manifest *m,
    const void *hdr, size_t hlen, char name[BSTORE_NAME_MAX]);
void bstore_dir_txn_free(struct bstore_txn *t);
int bstore_dir_trash(struct bstore *s, const char *name);
int bstore_dir_untrash(struct bstore *s, const char *name);
int bstore_dir_trash_list(struct bstore *s, struct bstore_trashed **tp,
    size_t *np);
int bstore_dir_purge(struct bstore *s, int64_t now, size_t *purgedp);
int bstore_dir_prune(struct bstore *s, const struct bstore_keep *keep,
    int dry_run, char (**namesp)[BSTORE_NAME_MAX], size_t *np);
int bstore_dir_gc(struct bstore *s, size_t *removedp);
int bstore_dir_run_lock(struct bstore *s, int *fdp);

/* A backup known by its name only (no file is opened). */
struct bstore_name {
	char name[BSTORE_NAME_MAX];
	char label[BSTORE_SERIES_MAX]; /* the series part of the name */
	int64_t created;
	int verified;
	size_t pos;  /* its place in bstore_scan's newest-first order */
};

/*
 * What retention needs of a backend that keeps backups by name: its names
 * newest first (with their verified marks), a recheck of a verified one's
 * structure (0: it holds), and the move of one into its trash. Trash and
 * prune decisions (never the last good backup of a series, restic-style
 * keep rules) are made once, in bstore_retain.c, for every such backend;
 * the caller holds whatever lock the backend needs.
 */
struct bstore_names_io {
	int (*scan)(struct bstore *s, struct bstore_name **np, size_t *nump);
	int (*recheck)(struct bstore *s, const char *name);
	/* 0 moved; 1 kept after all (prune passes over it); or an error */
	int (*to_trash)(struct bstore *s, const char *name);
};
int bstore_trash_name(struct bstore *s, const struct bstore_names_io *io,
    const char *name);
int bstore_prune_names(struct bstore *s, const struct bstore_names_io *io,
    const struct bstore_keep *keep, int dry_run,
    char (**namesp)[BSTORE_NAME_MAX], size_t *np);

/* qsort order of the trash: oldest deletion first, then by name. */
int bstore_oldest_deleted_first(const void *a, const void *b);

/* Takes the store lock (LOCK_SH or LOCK_EX, blocking); *fdp to unlock. */
int bstore_lock(struct bstore *s, int op, int *fdp);
void bstore_unlock(int fd);

/* Opens (creating when missing) the hidden directory sub; *fdp is a dirfd. */
int bstore_subdir(struct bstore *s, const char *sub, int *fdp);

/* Names of the store's backups, newest first (malloc'd array). */
int bstore_scan(struct bstore *s, struct bstore_name **np, size_t *countp);

/* Returns 1 when names[i] may not be removed (see bstore_trash). */
int bstore_is_protected(const struct bstore_name *names, size_t n, size_t i);

/* The detail for a refused removal of names[i]. */
void bstore_protected_detail(const struct bstore_name *nm);

/* Creates a locked temporary in .tmp/ named after name with suffix. */
int bstore_tmp_create(struct bstore *s, const char *name, const char *suffix,
    char tmpname[NAME_MAX + 1], int *fdp);

/* fsyncs a directory fd; 0 or CE_IO. */
int bstore_fsync_fd(int dfd, const char *what);

#endif
