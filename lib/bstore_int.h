/*
 * bstore internals shared by bstore.c (store, names, listing, verify),
 * bstore_write.c (new backups) and bstore_retain.c (trash, purge, prune,
 * gc). Not for use outside lib/bstore*.c.
 */
#ifndef COFFER_BSTORE_INT_H
#define COFFER_BSTORE_INT_H

#include <limits.h>

#include "bstore.h"

#define BSTORE_CONF "store.conf"
#define BSTORE_TMP ".tmp"
#define BSTORE_TRASH ".trash"
#define BSTORE_VERIFIED ".verified"
#define BSTORE_LOCK ".lock"

struct bstore {
	char path[PATH_MAX];
	int dirfd;
	struct bstore_config cfg;
};

/* A backup known by its name only (no file is opened). */
struct bstore_name {
	char name[BSTORE_NAME_MAX];
	char label[CBK_LABEL_MAX + 1];
	int64_t created;
	int verified;
};

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

/* CE_FULL with the detail when the store holds its capacity already. */
int bstore_check_capacity(struct bstore *s);

/* fsyncs a directory fd; 0 or CE_IO. */
int bstore_fsync_fd(int dfd, const char *what);

#endif
