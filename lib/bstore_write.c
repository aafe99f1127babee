#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "bstore_int.h"
#include "crypto.h"
#include "err.h"

/* Room kept free beyond the estimate: manifest, headers, metadata. */
#define SPACE_MARGIN (1024u * 1024)

struct dir_txn {
	struct bstore *s;
	struct cbk_manifest m;     /* label and created fixed at begin */
	char name[BSTORE_NAME_MAX];
	char spool_name[NAME_MAX + 1];
	int spool_fd;
	struct cbk_spool *spool;
};

static void dir_txn_free(struct dir_txn *t);

int
bstore_tmp_create(struct bstore *s, const char *name, const char *suffix,
    char tmpname[NAME_MAX + 1], int *fdp)
{
	uint8_t rnd[6];
	int lk = -1, dfd = -1, fd = -1, r;

	cc_random(rnd, sizeof(rnd));
	snprintf(tmpname, NAME_MAX + 1, "%s.%ld.%02x%02x%02x%02x%02x%02x.%s",
	    name, (long)getpid(), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
	    rnd[5], suffix);
	/*
	 * Created and locked under the shared store lock: gc takes it
	 * exclusively, so it never sees a temporary before its writer's flock.
	 */
	if ((r = bstore_lock(s, LOCK_SH, &lk)) != 0 ||
	    (r = bstore_subdir(s, BSTORE_TMP, &dfd)) != 0)
		goto out;
	fd = openat(dfd, tmpname, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0) {
		r = cbk_io_error(errno, "cannot create a temporary in the store");
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		r = cbk_io_error(errno, "cannot lock a temporary");
		unlinkat(dfd, tmpname, 0);
		close(fd);
		fd = -1;
		goto out;
	}
	*fdp = fd;
	r = 0;
 out:
	if (dfd >= 0)
		close(dfd);
	bstore_unlock(lk);
	return r;
}

static void
tmp_remove(struct bstore *s, const char *tmpname)
{
	int dfd;

	if (tmpname[0] == '\0' || bstore_subdir(s, BSTORE_TMP, &dfd) != 0)
		return;
	unlinkat(dfd, tmpname, 0);
	close(dfd);
}

static int
check_free(struct bstore *s, const char *name)
{
	struct stat st;

	if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		err_set_detail("a backup named %s exists already; wait a "
		    "second and retry", name);
		return CE_EXISTS;
	}
	return 0;
}

/*
 * Dates a backup made now. Two backups of one partition in one second
 * would have one name: the second waits for the next second (at most
 * twice) instead of failing, so a retry by hand or a second job never
 * collides.
 */
static int
name_now(struct bstore *s, struct cbk_manifest *m, char name[BSTORE_NAME_MAX])
{
	struct timespec ts;
	int tries, r = 0;

	for (tries = 0; tries < 3; tries++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		m->created = (int64_t)ts.tv_sec;
		if ((r = bstore_manifest_name(m, name)) != 0 ||
		    (r = check_free(s, name)) != CE_EXISTS)
			return r;
		ts.tv_sec = 0;
		ts.tv_nsec = 1000000000L - ts.tv_nsec;
		nanosleep(&ts, NULL);
	}
	return r;
}

/* Needs need bytes free for an unprivileged writer on the store's fs. */
static int
check_space(struct bstore *s, uint64_t need)
{
	struct statvfs vfs;
	uint64_t avail;

	if (fstatvfs(s->dirfd, &vfs) != 0)
		return 0; /* cannot tell: the writes will say */
	avail = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
	if (need > UINT64_MAX - SPACE_MARGIN || avail < need + SPACE_MARGIN) {
		err_set_detail("not enough free space in %s: about %llu MiB "
		    "needed, %llu MiB available; free space or prune old "
		    "backups", s->path,
		    (unsigned long long)((need / 1024 + SPACE_MARGIN / 1024) /
		    1024), (unsigned long long)(avail / (1024 * 1024)));
		return CE_FULL;
	}
	return 0;
}

int
bstore_dir_begin(struct bstore *s, const struct cbk_manifest *m,
    uint64_t estimate, struct bstore_txn *gt)
{
	struct dir_txn *t;
	int r;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return CE_NOMEM;
	t->s = s;
	t->spool_fd = -1;
	t->m = *m;
	if (t->m.created == 0 && (r = name_now(s, &t->m, t->name)) != 0)
		goto fail;
	/* Every refusal comes before the first file is created. */
	if ((r = cbk_manifest_check(&t->m)) != 0 ||
	    (r = bstore_manifest_name(&t->m, t->name)) != 0 ||
	    (r = bstore_room(s)) != 0 ||
	    (r = check_free(s, t->name)) != 0 ||
	    (r = check_space(s, estimate > UINT64_MAX / 2 ? UINT64_MAX :
	    2 * estimate)) != 0)
		goto fail;
	if ((r = bstore_tmp_create(s, t->name, "spool", t->spool_name,
	    &t->spool_fd)) != 0 ||
	    (r = cbk_spool_new(t->spool_fd, &t->spool)) != 0)
		goto fail;
	gt->be = t;
	memcpy(gt->name, t->name, sizeof(gt->name));
	return 0;
 fail:
	dir_txn_free(t);
	return r;
}

int
bstore_dir_txn_write(struct bstore_txn *gt, const void *p, size_t n)
{
	struct dir_txn *t = gt->be;

	return cbk_spool_write(t->spool, p, n);
}

/*
 * Writes the archive into a fresh temporary and fsyncs it. *fdp stays open
 * (and so locked against gc) until the temporary is renamed or removed.
 */
static int
write_part(struct dir_txn *t, struct cbk_manifest *m, const void *hdr,
    size_t hlen, char part[NAME_MAX + 1], int *fdp)
{
	int r;

	if ((r = check_space(t->s, cbk_spool_size(t->spool) + hlen)) != 0 ||
	    (r = bstore_tmp_create(t->s, t->name, "part", part, fdp)) != 0)
		return r;
	if ((r = cbk_write(*fdp, m, hdr, hlen, t->spool)) == 0 &&
	    fsync(*fdp) != 0)
		r = cbk_io_error(errno, "cannot sync the new backup");
	/* An upload from elsewhere (rbs) is checked before it can list. */
	if (r == 0 && t->s->check_commits) {
		if (lseek(*fdp, 0, SEEK_SET) != 0)
			r = cbk_io_error(errno, "cannot re-read the new backup");
		else if ((r = cbk_verify(*fdp, NULL)) != 0)
			err_set_detail("the uploaded backup fails its structure "
			    "check (%s); not stored", err_str(r));
	}
	return r;
}

/* Under the exclusive store lock: last checks, then the rename. */
static int
publish(struct dir_txn *t, const char *part)
{
	int lk = -1, dfd = -1, r;

	if ((r = bstore_lock(t->s, LOCK_EX, &lk)) != 0 ||
	    (r = bstore_subdir(t->s, BSTORE_TMP, &dfd)) != 0 ||
	    (r = bstore_room(t->s)) != 0 ||
	    (r = check_free(t->s, t->name)) != 0)
		goto out;
	if (renameat2(dfd, part, t->s->dirfd, t->name, RENAME_NOREPLACE) != 0) {
		/* Some file systems lack NOREPLACE; the lock covers us. */
		if (errno != EINVAL ||
		    renameat(dfd, part, t->s->dirfd, t->name) != 0) {
			r = errno == EEXIST ? CE_EXISTS :
			    cbk_io_error(errno, "cannot rename the new backup");
			goto out;
		}
	}
	r = bstore_fsync_fd(t->s->dirfd, "cannot sync the store directory");
 out:
	if (dfd >= 0)
		close(dfd);
	bstore_unlock(lk);
	return r;
}

int
bstore_dir_commit(struct bstore_txn *gt, const struct cbk_manifest *m,
    const void *hdr, size_t hlen, char name[BSTORE_NAME_MAX])
{
	struct dir_txn *t = gt->be;
	struct cbk_manifest fm;
	char part[NAME_MAX + 1] = "";
	int r, fd = -1;

	if (t->spool == NULL)
		return CE_INVALID;
	fm = *m;
	if (fm.created == 0)
		fm.created = t->m.created;
	if (strcmp(fm.label, t->m.label) != 0 || fm.created != t->m.created) {
		err_set_detail("commit: label and time must be those of begin");
		r = CE_INVALID;
		goto out;
	}
	if ((r = write_part(t, &fm, hdr, hlen, part, &fd)) != 0 ||
	    (r = publish(t, part)) != 0)
		goto out;
	part[0] = '\0'; /* renamed: nothing to remove */
	if (name != NULL)
		snprintf(name, BSTORE_NAME_MAX, "%s", t->name);
 out:
	tmp_remove(t->s, part);
	if (fd >= 0)
		close(fd);
	/* A committed or failed transaction is over: drop the spool now. */
	tmp_remove(t->s, t->spool_name);
	t->spool_name[0] = '\0';
	cbk_spool_free(t->spool);
	t->spool = NULL;
	return r;
}

static void
dir_txn_free(struct dir_txn *t)
{
	if (t == NULL)
		return;
	tmp_remove(t->s, t->spool_name);
	cbk_spool_free(t->spool);
	if (t->spool_fd >= 0)
		close(t->spool_fd);
	free(t);
}

void
bstore_dir_txn_free(struct bstore_txn *gt)
{
	dir_txn_free(gt->be);
	gt->be = NULL;
}
