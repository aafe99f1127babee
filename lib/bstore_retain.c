#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bstore_int.h"
#include "err.h"

#define DELETED ".deleted-"
#define DAY 86400

int
bstore_is_protected(const struct bstore_name *v, size_t n, size_t i)
{
	size_t j, newest = n;

	/* v is newest first: the first verified one of the label wins... */
	for (j = 0; j < n; j++)
		if (strcmp(v[j].label, v[i].label) == 0) {
			if (newest == n)
				newest = j;
			if (v[j].verified)
				return j == i;
		}
	/* ...and with none verified, the newest one of the label. */
	return newest == i;
}

/*
 * Walks the verified backups of v[i]'s series (v is newest first) until one
 * still checks out; those that do not lose their mark. Protection is then
 * decided on marks that hold.
 */
static void
recheck_series(struct bstore *s, const struct bstore_names_io *io,
    struct bstore_name *v, size_t n, size_t i)
{
	size_t j;

	for (j = 0; j < n; j++) {
		if (!v[j].verified || strcmp(v[j].label, v[i].label) != 0)
			continue;
		if (io->recheck(s, v[j].name) == 0)
			return;
		v[j].verified = 0;
	}
}

void
bstore_protected_detail(const struct bstore_name *nm)
{
	err_set_detail("%s is the %s backup of '%s'; Coffer never removes "
	    "the last good backup (verify a newer one first)", nm->name,
	    nm->verified ? "newest verified" : "newest (none is verified)",
	    nm->label);
}

/* Opens a directory stream on the hidden directory sub. */
static int
open_sub(struct bstore *s, const char *sub, int *dfdp, DIR **dp)
{
	int r, fd;

	if ((r = bstore_subdir(s, sub, dfdp)) != 0)
		return r;
	if ((fd = dup(*dfdp)) < 0 || (*dp = fdopendir(fd)) == NULL) {
		r = cbk_io_error(errno, "cannot read a store directory");
		if (fd >= 0)
			close(fd);
		close(*dfdp);
		return r;
	}
	return 0;
}

/* "<backup name>.deleted-<stamp>" */
static int
trash_parse(const char *tname, struct bstore_trashed *t)
{
	const char *d = strstr(tname, DELETED);
	size_t nl;

	if (d == NULL || strlen(d) != strlen(DELETED) + UTC_STAMP_LEN)
		return CE_INVALID;
	nl = (size_t)(d - tname);
	if (nl >= BSTORE_NAME_MAX)
		return CE_INVALID;
	memcpy(t->name, tname, nl);
	t->name[nl] = '\0';
	if (bstore_name_parse(t->name, NULL, NULL) != 0 ||
	    utc_parse_stamp(d + strlen(DELETED), &t->deleted) != 0)
		return CE_INVALID;
	return 0;
}

int
bstore_oldest_deleted_first(const void *a, const void *b)
{
	const struct bstore_trashed *x = a, *y = b;

	if (x->deleted != y->deleted)
		return x->deleted < y->deleted ? -1 : 1;
	return strcmp(x->name, y->name);
}

int
bstore_dir_trash_list(struct bstore *s, struct bstore_trashed **tp,
    size_t *np)
{
	struct bstore_trashed *v = NULL, *nv, t;
	size_t n = 0, cap = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int dfd, r;

	if ((r = open_sub(s, BSTORE_TRASH, &dfd, &d)) != 0)
		return r;
	while ((de = readdir(d)) != NULL) {
		if (trash_parse(de->d_name, &t) != 0 ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		t.file_size = (uint64_t)st.st_size;
		t.purge_after = t.deleted + (int64_t)s->cfg.grace_days * DAY;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				r = CE_NOMEM;
				goto out;
			}
			v = nv;
		}
		v[n++] = t;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), bstore_oldest_deleted_first);
	*tp = v;
	*np = n;
	v = NULL;
 out:
	free(v);
	closedir(d);
	close(dfd);
	return r;
}

/*
 * The trash move itself; the caller holds the exclusive store lock and has
 * made sure v[i] is not protected.
 */
static int
move_to_trash(struct bstore *s, const char *name)
{
	char tname[BSTORE_NAME_MAX + sizeof(DELETED) + UTC_STAMP_LEN];
	char stamp[UTC_STAMP_LEN + 1];
	int dfd, r;

	if ((r = utc_stamp((int64_t)time(NULL), stamp)) != 0 ||
	    (r = bstore_subdir(s, BSTORE_TRASH, &dfd)) != 0)
		return r;
	snprintf(tname, sizeof(tname), "%s" DELETED "%s", name, stamp);
	if (renameat2(s->dirfd, name, dfd, tname, RENAME_NOREPLACE) != 0)
		r = cbk_io_error(errno, "cannot move the backup to the trash");
	else if ((r = bstore_fsync_fd(dfd, "cannot sync the trash")) == 0)
		r = bstore_fsync_fd(s->dirfd, "cannot sync the store");
	close(dfd);
	return r;
}

static const struct bstore_names_io dir_io = {
	bstore_scan, bstore_dir_recheck, move_to_trash,
};

int
bstore_trash_name(struct bstore *s, const struct bstore_names_io *io,
    const char *name)
{
	struct bstore_name *v = NULL;
	size_t n = 0, i;
	int r;

	if ((r = bstore_name_parse(name, NULL, NULL)) != 0) {
		err_set_detail("'%.100s' is not a backup name", name);
		return r;
	}
	if ((r = io->scan(s, &v, &n)) != 0)
		return r;
	for (i = 0; i < n && strcmp(v[i].name, name) != 0; i++)
		;
	if (i == n) {
		err_set_detail("no backup '%s' in %s", name, s->path);
		r = CE_NOT_FOUND;
	} else {
		recheck_series(s, io, v, n, i);
		if (bstore_is_protected(v, n, i)) {
			bstore_protected_detail(&v[i]);
			r = CE_POLICY;
		} else
			r = io->to_trash(s, name);
	}
	free(v);
	return r;
}

int
bstore_dir_trash(struct bstore *s, const char *name)
{
	int lk = -1, r;

	if ((r = bstore_name_parse(name, NULL, NULL)) != 0) {
		err_set_detail("'%.100s' is not a backup name", name);
		return r;
	}
	if ((r = bstore_lock(s, LOCK_EX, &lk)) == 0)
		r = bstore_trash_name(s, &dir_io, name);
	bstore_unlock(lk);
	return r;
}

int
bstore_dir_untrash(struct bstore *s, const char *name)
{
	struct bstore_trashed *v = NULL;
	char tname[BSTORE_NAME_MAX + sizeof(DELETED) + UTC_STAMP_LEN];
	char stamp[UTC_STAMP_LEN + 1];
	size_t n = 0, i, k;
	int lk = -1, dfd = -1, r;

	if ((r = bstore_lock(s, LOCK_EX, &lk)) != 0 ||
	    (r = bstore_trash_list(s, &v, &n)) != 0)
		goto out;
	/* The most recent deletion of that name. */
	for (k = n, i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			k = i;
	if (k == n) {
		err_set_detail("no backup '%.100s' in the trash of %s", name,
		    s->path);
		r = CE_NOT_FOUND;
		goto out;
	}
	if ((r = bstore_room(s)) != 0 ||
	    (r = utc_stamp(v[k].deleted, stamp)) != 0 ||
	    (r = bstore_subdir(s, BSTORE_TRASH, &dfd)) != 0)
		goto out;
	snprintf(tname, sizeof(tname), "%s" DELETED "%s", v[k].name, stamp);
	if (renameat2(dfd, tname, s->dirfd, v[k].name, RENAME_NOREPLACE) != 0) {
		r = errno == EEXIST ? CE_EXISTS :
		    cbk_io_error(errno, "cannot move the backup back");
		if (r == CE_EXISTS)
			err_set_detail("a backup named %s is in the store", name);
		goto out;
	}
	if ((r = bstore_fsync_fd(s->dirfd, "cannot sync the store")) == 0)
		r = bstore_fsync_fd(dfd, "cannot sync the trash");
 out:
	if (dfd >= 0)
		close(dfd);
	free(v);
	bstore_unlock(lk);
	return r;
}

static int
is_live(const struct bstore_name *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return 1;
	return 0;
}

int
bstore_dir_purge(struct bstore *s, int64_t now, size_t *purgedp)
{
	struct bstore_trashed *v = NULL;
	struct bstore_name *live = NULL;
	char tname[BSTORE_NAME_MAX + sizeof(DELETED) + UTC_STAMP_LEN];
	char stamp[UTC_STAMP_LEN + 1];
	size_t n = 0, nlive = 0, i, purged = 0;
	int lk = -1, dfd = -1, r;

	if ((r = bstore_lock(s, LOCK_EX, &lk)) != 0 ||
	    (r = bstore_trash_list(s, &v, &n)) != 0 ||
	    (r = bstore_scan(s, &live, &nlive)) != 0 ||
	    (r = bstore_subdir(s, BSTORE_TRASH, &dfd)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (v[i].purge_after > now)
			continue;
		if ((r = utc_stamp(v[i].deleted, stamp)) != 0)
			goto out;
		snprintf(tname, sizeof(tname), "%s" DELETED "%s", v[i].name,
		    stamp);
		if (unlinkat(dfd, tname, 0) != 0) {
			r = cbk_io_error(errno, "cannot purge from the trash");
			goto out;
		}
		purged++;
		if (!is_live(live, nlive, v[i].name))
			(void)bstore_mark_verified(s, v[i].name, 0);
	}
	if (purged > 0)
		r = bstore_fsync_fd(dfd, "cannot sync the trash");
 out:
	if (purgedp != NULL)
		*purgedp = purged;
	if (dfd >= 0)
		close(dfd);
	free(v);
	free(live);
	bstore_unlock(lk);
	return r;
}

/* --- prune --- */

static int
by_label_newest(const void *a, const void *b)
{
	const struct bstore_name *x = a, *y = b;
	int c = strcmp(x->label, y->label);

	if (c != 0)
		return c;
	if (x->created != y->created)
		return x->created > y->created ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The bucket of t for each rule: day, ISO week, month (UTC). */
static void
buckets(int64_t t, int64_t key[3])
{
	time_t tt = (time_t)t;
	struct tm tm;
	char w[16];

	gmtime_r(&tt, &tm);
	strftime(w, sizeof(w), "%G%V", &tm);
	key[0] = t / DAY;
	key[1] = atol(w);
	key[2] = (int64_t)(tm.tm_year + 1900) * 12 + tm.tm_mon;
}

/*
 * Marks keep[i] for v (sorted by label, newest first), restic's way: per
 * label, keep the newest `last`; for each rule, walking newest first, keep
 * the first backup of each new bucket until the rule's count is used up.
 */
static void
plan(const struct bstore_name *v, size_t n, const struct bstore_keep *k,
    int *keep)
{
	const unsigned lim[3] = { k->daily, k->weekly, k->monthly };
	unsigned cnt[3], last = 0;
	int64_t prev[3], key[3];
	size_t i;
	int j;

	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(v[i].label, v[i - 1].label) != 0) {
			last = 0;
			for (j = 0; j < 3; j++) {
				cnt[j] = 0;
				prev[j] = -1;
			}
		}
		keep[i] = 0;
		if (last < k->last) {
			keep[i] = 1;
			last++;
		}
		buckets(v[i].created, key);
		for (j = 0; j < 3; j++)
			if (cnt[j] < lim[j] && key[j] != prev[j]) {
				prev[j] = key[j];
				cnt[j]++;
				keep[i] = 1;
			}
	}
}

/* A job's retention touches only the series it writes. */
static int
in_scope(const struct bstore_keep *keep, const struct bstore_name *nm)
{
	return keep->series[0] == '\0' || strcmp(keep->series, nm->label) == 0;
}

int
bstore_prune_names(struct bstore *s, const struct bstore_names_io *io,
    const struct bstore_keep *keep, int dry_run,
    char (**namesp)[BSTORE_NAME_MAX], size_t *np)
{
	struct bstore_name *v = NULL, *sorted = NULL;
	char (*out)[BSTORE_NAME_MAX] = NULL;
	int *kp = NULL, *prot = NULL, r;
	size_t n = 0, i, j, k = 0;

	if (keep->last == 0 && keep->daily == 0 && keep->weekly == 0 &&
	    keep->monthly == 0) {
		err_set_detail("a retention policy must keep something "
		    "(last, daily, weekly or monthly)");
		return CE_INVALID;
	}
	if ((r = io->scan(s, &v, &n)) != 0)
		goto out;
	if ((sorted = malloc((n ? n : 1) * sizeof(*sorted))) == NULL ||
	    (kp = calloc(n ? n : 1, sizeof(*kp))) == NULL ||
	    (prot = calloc(n ? n : 1, sizeof(*prot))) == NULL ||
	    (out = calloc(n ? n : 1, sizeof(*out))) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if (n > 0) {
		memcpy(sorted, v, n * sizeof(*v));
		qsort(sorted, n, sizeof(*sorted), by_label_newest);
	}
	plan(sorted, n, keep, kp);
	/*
	 * The protected backup of each label, in one pass over the label
	 * groups (sorted holds each label's backups newest first, the order
	 * protection is defined on): its newest verified, else its newest.
	 * Linear after the sort: no search per backup (40,000 backups).
	 */
	for (i = 0; i < n; i = j) {
		size_t pick = i, cand = n;

		for (j = i; j < n && strcmp(sorted[j].label, sorted[i].label) ==
		    0; j++)
			if (cand == n && sorted[j].verified)
				cand = j;
		/* The series' newest verified must still check out before it
		 * is relied on as the last good one; else the next. */
		while (cand < j && in_scope(keep, &sorted[i]) &&
		    io->recheck(s, sorted[cand].name) != 0) {
			sorted[cand].verified = 0;
			while (++cand < j && !sorted[cand].verified)
				;
		}
		if (cand < j)
			pick = cand;
		prot[sorted[pick].pos] = 1;
	}
	for (i = 0; i < n; i++) {
		if (kp[i] || prot[sorted[i].pos] || !in_scope(keep, &sorted[i]))
			continue;
		/* 1: the backend keeps it after all (S3 Object Lock) */
		if (!dry_run && (r = io->to_trash(s, sorted[i].name)) == 1)
			continue;
		if (!dry_run && r != 0)
			goto out;
		memcpy(out[k++], sorted[i].name, BSTORE_NAME_MAX);
	}
	*namesp = out;
	*np = k;
	out = NULL;
	r = 0;
 out:
	free(out);
	free(kp);
	free(prot);
	free(sorted);
	free(v);
	return r;
}

int
bstore_dir_prune(struct bstore *s, const struct bstore_keep *keep,
    int dry_run, char (**namesp)[BSTORE_NAME_MAX], size_t *np)
{
	int lk = -1, r;

	if ((r = bstore_lock(s, LOCK_EX, &lk)) == 0)
		r = bstore_prune_names(s, &dir_io, keep, dry_run, namesp, np);
	bstore_unlock(lk);
	return r;
}

/* --- gc --- */

/* Removes the .tmp/ files no live writer holds locked. */
static int
gc_tmp(struct bstore *s, size_t *removedp)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int dfd, fd, r, any = 0;

	if ((r = open_sub(s, BSTORE_TMP, &dfd, &d)) != 0)
		return r;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		fd = openat(dfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    unlinkat(dfd, de->d_name, 0) == 0) {
			(*removedp)++;
			any = 1;
		}
		close(fd);
	}
	if (any)
		r = bstore_fsync_fd(dfd, "cannot sync the store temporaries");
	closedir(d);
	close(dfd);
	return r;
}

/* Drops verified marks of backups that are neither live nor in the trash. */
static int
gc_marks(struct bstore *s)
{
	struct bstore_name *live = NULL;
	struct bstore_trashed *tr = NULL;
	size_t nlive = 0, ntr = 0, i;
	struct dirent *de;
	DIR *d = NULL;
	int dfd = -1, r, found;

	if ((r = bstore_scan(s, &live, &nlive)) != 0 ||
	    (r = bstore_trash_list(s, &tr, &ntr)) != 0 ||
	    (r = open_sub(s, BSTORE_VERIFIED, &dfd, &d)) != 0)
		goto out;
	while ((de = readdir(d)) != NULL) {
		if (bstore_name_parse(de->d_name, NULL, NULL) != 0 ||
		    is_live(live, nlive, de->d_name))
			continue;
		for (found = 0, i = 0; i < ntr && !found; i++)
			found = strcmp(tr[i].name, de->d_name) == 0;
		if (!found)
			unlinkat(dfd, de->d_name, 0);
	}
 out:
	if (d != NULL)
		closedir(d);
	if (dfd >= 0)
		close(dfd);
	free(live);
	free(tr);
	return r;
}

int
bstore_dir_gc(struct bstore *s, size_t *removedp)
{
	size_t removed = 0;
	int lk = -1, r;

	if ((r = bstore_lock(s, LOCK_EX, &lk)) == 0 &&
	    (r = gc_tmp(s, &removed)) == 0)
		r = gc_marks(s);
	bstore_unlock(lk);
	if (removedp != NULL)
		*removedp = removed;
	return r;
}
