/*
 * file: the few ways Coffer writes files that must not be half-written or
 * readable by others.
 */
#ifndef COFFER_FILE_H
#define COFFER_FILE_H

#include <stddef.h>

struct buf;

/*
 * Creates path with mode 0600 and O_EXCL and writes p[0..len) to it, fsynced.
 * With force set an existing file is replaced (atomically, via a temporary).
 * Returns CE_EXISTS when path exists and force is not set.
 */
int file_write_secret(const char *path, const void *p, size_t len, int force);

/* Writes p to path atomically: temporary, fsync, rename, directory fsync. */
int file_write_atomic(const char *path, const void *p, size_t len, int mode);

/* Reads a whole file of at most max bytes into a new buffer *bp. */
int file_read(const char *path, size_t max, struct buf **bp);

/* fsyncs the directory that holds path. */
int file_fsync_dir(const char *path);

#endif
