#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "file.h"

static int
write_all(int fd, const void *p, size_t len)
{
	const uint8_t *s = p;
	ssize_t k;

	while (len > 0) {
		k = write(fd, s, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return CE_IO;
		s += k;
		len -= (size_t)k;
	}
	return 0;
}

int
file_fsync_dir(const char *path)
{
	char tmp[PATH_MAX];
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return CE_TOO_LONG;
	if ((fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return CE_IO;
	if (fsync(fd) != 0)
		r = CE_IO;
	close(fd);
	return r;
}

/* Writes to a fresh temporary beside path, then renames it over path. */
static int
write_via_temp(const char *path, const void *p, size_t len, int mode)
{
	char tmp[PATH_MAX];
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return CE_TOO_LONG;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    (mode_t)mode)) < 0) {
		err_set_detail("cannot create '%s': %s", tmp, strerror(errno));
		return CE_IO;
	}
	/*
	 * The mode asked for, whatever the umask: a service runs with
	 * UMask=0077, and its metrics file (0644) is for another daemon.
	 */
	if (fchmod(fd, (mode_t)mode) != 0) {
		err_set_detail("cannot set the mode of '%s': %s", tmp,
		    strerror(errno));
		close(fd);
		unlink(tmp);
		return CE_IO;
	}
	if ((r = write_all(fd, p, len)) != 0 || fsync(fd) != 0) {
		err_set_detail("cannot write '%s': %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return CE_IO;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		err_set_detail("cannot rename to '%s': %s", path, strerror(errno));
		unlink(tmp);
		return CE_IO;
	}
	return file_fsync_dir(path);
}

int
file_write_secret(const char *path, const void *p, size_t len, int force)
{
	int fd, r;

	if (force)
		return write_via_temp(path, p, len, 0600);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		if (errno == EEXIST) {
			err_set_detail("'%s' exists; refusing to overwrite "
			    "(use --force)", path);
			return CE_EXISTS;
		}
		err_set_detail("cannot create '%s': %s", path, strerror(errno));
		return CE_IO;
	}
	if ((r = write_all(fd, p, len)) != 0 || fsync(fd) != 0) {
		err_set_detail("cannot write '%s'", path);
		close(fd);
		unlink(path);
		return CE_IO;
	}
	close(fd);
	return file_fsync_dir(path);
}

int
file_unnamed_open(const char *path, int *fdp)
{
	char dir[PATH_MAX];
	int fd;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return CE_TOO_LONG;
	/* The file has no name until file_unnamed_link: a kill leaves none. */
	if ((fd = open(dirname(dir), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600)) <
	    0) {
		err_set_detail("cannot create a file in the directory of '%s': "
		    "%s", path, strerror(errno));
		return CE_IO;
	}
	*fdp = fd;
	return 0;
}

int
file_unnamed_link(int fd, const char *path, int force)
{
	char proc[64], tmp[PATH_MAX];

	if (fsync(fd) != 0) {
		err_set_detail("cannot write '%s': %s", path, strerror(errno));
		return CE_IO;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (!force) {
		if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) !=
		    0) {
			err_set_detail(errno == EEXIST ? "'%s' exists; refusing "
			    "to overwrite (use --force)" : "cannot name '%s': %s",
			    path, strerror(errno));
			return errno == EEXIST ? CE_EXISTS : CE_IO;
		}
		return file_fsync_dir(path);
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return CE_TOO_LONG;
	if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) != 0 ||
	    rename(tmp, path) != 0) {
		err_set_detail("cannot name '%s': %s", path, strerror(errno));
		(void)unlink(tmp);
		return CE_IO;
	}
	return file_fsync_dir(path);
}

int
file_write_atomic(const char *path, const void *p, size_t len, int mode)
{
	return write_via_temp(path, p, len, mode);
}

static int
read_file(const char *path, int oflags, size_t max, struct buf **bp)
{
	struct buf *b = NULL;
	struct stat st;
	uint8_t *dst;
	ssize_t k;
	size_t got = 0;
	int fd, r = CE_IO;

	/*
	 * O_NONBLOCK: a FIFO put where a file is expected must not hang the
	 * command (it is refused below).
	 */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | oflags)) < 0) {
		int e = errno;

		if (e == ELOOP)
			err_set_detail("'%s' is a symbolic link; refused", path);
		else
			err_set_detail("cannot open '%s': %s", path, strerror(e));
		return e == ENOENT ? CE_NOT_FOUND : CE_IO;
	}
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		err_set_detail("'%s' is %s, not a regular file", path,
		    S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ?
		    "a FIFO" : "a device or socket");
		r = CE_IO;
		goto out;
	}
	if ((size_t)st.st_size > max) {
		err_set_detail("'%s' is larger than %zu bytes", path, max);
		r = CE_TOO_LONG;
		goto out;
	}
	if ((b = buf_new(st.st_size == 0 ? 1 : (size_t)st.st_size)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if (st.st_size > 0) {
		if ((r = buf_reserve(b, (size_t)st.st_size, &dst)) != 0)
			goto out;
		while (got < (size_t)st.st_size) {
			k = read(fd, dst + got, (size_t)st.st_size - got);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				r = CE_IO;
				goto out;
			}
			got += (size_t)k;
		}
	}
	*bp = b;
	b = NULL;
	r = 0;
 out:
	buf_free(b);
	close(fd);
	return r;
}

int
file_read(const char *path, size_t max, struct buf **bp)
{
	return read_file(path, 0, max, bp);
}

int
file_check_private(const char *path, const struct stat *st)
{
	if (!S_ISREG(st->st_mode)) {
		err_set_detail("secret file '%s' is %s, not a regular file",
		    path, S_ISDIR(st->st_mode) ? "a directory" :
		    S_ISFIFO(st->st_mode) ? "a FIFO" : "a device or socket");
		return CE_IO;
	}
	if ((st->st_mode & 077) != 0) {
		err_set_detail("secret file '%s' can be read by %s (mode %04o); "
		    "make it private with 'chmod 600 %s'", path,
		    (st->st_mode & 070) && (st->st_mode & 07) ?
		    "its group and others" : (st->st_mode & 070) ? "its group" :
		    "others",
		    (unsigned)(st->st_mode & 07777), path);
		return CE_POLICY;
	}
	if (st->st_uid != geteuid() && st->st_uid != 0) {
		err_set_detail("secret file '%s' belongs to another user "
		    "(uid %u); use your own file", path,
		    (unsigned)st->st_uid);
		return CE_POLICY;
	}
	return 0;
}

int
file_read_secret_input(const char *path, size_t max, struct buf **bp)
{
	struct stat st;
	int r;

	if (stat(path, &st) == 0 && (r = file_check_private(path, &st)) != 0)
		return r;
	return read_file(path, O_NOFOLLOW, max, bp);
}

int
file_read_nofollow(const char *path, size_t max, struct buf **bp)
{
	return read_file(path, O_NOFOLLOW, max, bp);
}
