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

/*
 * Writes p to path atomically: temporary, fsync, rename, directory fsync.
 * The file gets mode exactly, whatever the umask.
 */
int file_write_atomic(const char *path, const void *p, size_t len, int mode);

/* Reads a whole file of at most max bytes into a new buffer *bp. */
int file_read(const char *path, size_t max, struct buf **bp);

/*
 * file_read that also refuses a symbolic link as the last component (a
 * store's own files: a link planted there must not redirect a read).
 */
int file_read_nofollow(const char *path, size_t max, struct buf **bp);

struct stat;

/*
 * A file that holds a secret we read (a PIN file, a share file, a
 * challenge file) must be a regular file of ours (or root's) that neither
 * group nor others can read: CE_POLICY (exit 3) with the file and the
 * chmod that fixes it, CE_IO for a directory, FIFO or device.
 */
int file_check_private(const char *path, const struct stat *st);

/* file_read of a secret input file, after file_check_private. */
int file_read_secret_input(const char *path, size_t max, struct buf **bp);

/* fsyncs the directory that holds path. */
int file_fsync_dir(const char *path);

/*
 * A new file (0600) in path's directory that has no name yet (O_TMPFILE):
 * whatever kills the writer leaves nothing behind. file_unnamed_link then
 * fsyncs it and gives it the name path (CE_EXISTS when path exists, unless
 * force replaces it).
 */
int file_unnamed_open(const char *path, int *fdp);
int file_unnamed_link(int fd, const char *path, int force);

#endif
