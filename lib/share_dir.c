/*
 * Writing a whole share set as files in one directory, all or nothing:
 * what `mofn split/reissue`, `domains create --type ped` and the PED HSM's
 * new credentials (lib/cred) do.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "secret.h"
#include "share.h"

int
share_dir_write(const char *dir, const char *what,
    struct share *const set[], unsigned n, share_pin_fn *pin, void *ctx,
    int kdf_profile, int force, char paths[][SHARE_PATH_MAX], int *made_dirp)
{
	struct secret *p = NULL;
	struct stat st;
	unsigned i, written = 0;
	int r = 0, made = 0;

	if (made_dirp != NULL)
		*made_dirp = 0;
	if (n == 0 || n > SHARE_MAX_N)
		return CE_INVALID;
	/* Refuse before writing (or asking) anything: no half set. */
	for (i = 0; i < n; i++) {
		if (snprintf(paths[i], SHARE_PATH_MAX, "%s/%s-%u-of-%u.cshare",
		    dir, what, i + 1, n) >= SHARE_PATH_MAX) {
			err_set_detail("directory name too long: '%s'", dir);
			return CE_TOO_LONG;
		}
		if (!force && lstat(paths[i], &st) == 0) {
			err_set_detail("'%s' exists; refusing to overwrite a share "
			    "file (move it away, use another directory, or "
			    "--force)", paths[i]);
			return CE_EXISTS;
		}
	}
	if (mkdir(dir, 0700) == 0)
		made = 1;
	else if (errno != EEXIST) {
		err_set_detail("cannot create '%s': %s", dir, strerror(errno));
		return CE_IO;
	}
	for (i = 0; i < n; i++) {
		if ((pin != NULL && (r = pin(ctx, i, &p)) != 0) ||
		    (r = share_file_write(paths[i], set[i], p, kdf_profile,
		    force)) != 0)
			break;
		secret_free(p);
		p = NULL;
		written++;
	}
	secret_free(p);
	if (r != 0) {
		for (i = 0; i < written; i++)
			(void)unlink(paths[i]);
		if (made)
			(void)rmdir(dir);
		return r;
	}
	if (made_dirp != NULL)
		*made_dirp = made;
	return 0;
}
