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
file_write_atomic(const char *path, const void *p, size_t len, int mode)
{
	return write_via_temp(path, p, len, mode);
}

int
file_read(const char *path, size_t max, struct buf **bp)
{
	struct buf *b = NULL;
	struct stat st;
	uint8_t *dst;
	ssize_t k;
	size_t got = 0;
	int fd, r = CE_IO;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		err_set_detail("cannot open '%s': %s", path, strerror(errno));
		return errno == ENOENT ? CE_NOT_FOUND : CE_IO;
	}
	if (fstat(fd, &st) != 0)
		goto out;
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
