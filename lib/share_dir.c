/*
 * Writing a whole share set as files in one directory, all or nothing:
 * what `mofn split/reissue/duplicate` and `domains create --type ped` do.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "share.h"

int
share_dir_write(const char *dir, struct share *const set[], unsigned n,
    struct secret *const pins[], int kdf_profile, int force,
    char paths[][SHARE_PATH_MAX])
{
	struct share_info info;
	struct stat st;
	unsigned i, written = 0;
	int r = 0;

	if (n == 0 || n > SHARE_MAX_N)
		return CE_INVALID;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		err_set_detail("cannot create '%s': %s", dir, strerror(errno));
		return CE_IO;
	}
	/* Refuse before writing anything, so no half set is left behind. */
	for (i = 0; i < n; i++) {
		share_get_info(set[i], &info);
		if (snprintf(paths[i], SHARE_PATH_MAX, "%s/share-%u-of-%u.cshare",
		    dir, info.index, info.n) >= SHARE_PATH_MAX) {
			err_set_detail("directory name too long: '%s'", dir);
			return CE_TOO_LONG;
		}
		if (!force && lstat(paths[i], &st) == 0) {
			err_set_detail("'%s' exists; refusing to overwrite (use "
			    "--force or another --out-dir)", paths[i]);
			return CE_EXISTS;
		}
	}
	for (i = 0; i < n; i++) {
		if ((r = share_file_write(paths[i], set[i], pins ? pins[i] :
		    NULL, kdf_profile, force)) != 0)
			break;
		written++;
	}
	if (r != 0) {
		char keep[256];

		/* The failing file's detail, not an unlink's. */
		snprintf(keep, sizeof(keep), "%s: %s", paths[written],
		    err_detail());
		for (i = 0; i < written; i++)
			(void)unlink(paths[i]);
		err_set_detail("%s", keep);
	}
	return r;
}
