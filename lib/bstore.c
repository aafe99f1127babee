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
#include "chan.h"
#include "sealed.h"
#include "buf.h"
#include "err.h"
#include "file.h"

#define CONF_MAX 4096
#define CONF_LINE_MAX 128

int
bstore_parse_uri(const char *uri, char *path, size_t size)
{
	if (strncmp(uri, "rbs://", 6) == 0) {
		err_set_detail("'%s' is a remote store; this needs a dir:PATH "
		    "store", uri);
		return CE_UNSUPPORTED;
	}
	if (strncmp(uri, "dir:", 4) != 0 || uri[4] == '\0') {
		err_set_detail("'%s' is not a backup store; write dir:PATH", uri);
		return CE_USAGE;
	}
	if (strlen(uri + 4) >= size) {
		err_set_detail("store path too long");
		return CE_TOO_LONG;
	}
	strcpy(path, uri + 4);
	return 0;
}

int
bstore_config_check(const struct bstore_config *c)
{
	if (c->capacity < 1 || c->capacity > BSTORE_CAPACITY_MAX) {
		err_set_detail("capacity must be 1 to %u backups",
		    BSTORE_CAPACITY_MAX);
		return CE_INVALID;
	}
	if (c->grace_days > BSTORE_GRACE_DAYS_MAX) {
		err_set_detail("grace period must be 0 to %u days",
		    BSTORE_GRACE_DAYS_MAX);
		return CE_INVALID;
	}
	return 0;
}

/* Reads one line (without its newline) from b; CE_TRUNCATED at the end. */
static int
get_line(struct buf *b, char line[CONF_LINE_MAX])
{
	size_t n = 0;
	uint8_t c;
	int r;

	if (buf_len(b) == 0)
		return CE_TRUNCATED;
	while ((r = buf_get_u8(b, &c)) == 0 && c != '\n') {
		if (n + 1 >= CONF_LINE_MAX || c == '\0')
			return CE_FORMAT;
		line[n++] = (char)c;
	}
	line[n] = '\0';
	return 0;
}

/* A decimal in [0, max] with nothing after it. */
static int
get_num(const char *s, unsigned max, unsigned *vp)
{
	unsigned long v = 0;

	if (*s == '\0')
		return CE_FORMAT;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || (v = v * 10 + (unsigned)(*s - '0')) > max)
			return CE_FORMAT;
	}
	*vp = (unsigned)v;
	return 0;
}

/*
 * store.conf: "coffer-store 1", then "capacity N" and "grace-days N", each
 * at most once; '#' comments and blank lines. Anything else is refused.
 */
void
bstore_config_text(const struct bstore_config *cfg, char *text, size_t size)
{
	snprintf(text, size, "# Coffer backup store (docs/backup-store.md)\n"
	    "coffer-store 1\ncapacity %u\ngrace-days %u\n", cfg->capacity,
	    cfg->grace_days);
}

int
bstore_config_parse(struct buf *b, struct bstore_config *cp)
{
	struct bstore_config c = {
	    .capacity = BSTORE_CAPACITY_DEFAULT,
	    .grace_days = BSTORE_GRACE_DAYS_DEFAULT };
	char line[CONF_LINE_MAX];
	int seen_cap = 0, seen_grace = 0, first = 1, lineno = 0, r;

	while ((r = get_line(b, line)) == 0) {
		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (first) {
			if (strncmp(line, "coffer-store ", 13) != 0)
				goto bad;
			if (strcmp(line + 13, "1") != 0) {
				err_set_detail("store.conf: format '%s' is newer "
				    "than this Coffer reads; upgrade Coffer",
				    line + 13);
				return CE_VERSION;
			}
			first = 0;
		} else if (strncmp(line, "capacity ", 9) == 0 && !seen_cap) {
			if (get_num(line + 9, BSTORE_CAPACITY_MAX, &c.capacity))
				goto bad;
			seen_cap = 1;
		} else if (strncmp(line, "grace-days ", 11) == 0 && !seen_grace) {
			if (get_num(line + 11, BSTORE_GRACE_DAYS_MAX,
			    &c.grace_days))
				goto bad;
			seen_grace = 1;
		} else
			goto bad;
	}
	if (r != CE_TRUNCATED)
		goto bad;
	if (first) {
		err_set_detail("store.conf: no 'coffer-store 1' line");
		return CE_FORMAT;
	}
	if ((r = bstore_config_check(&c)) != 0)
		goto bad;
	*cp = c;
	return 0;
 bad:
	err_set_detail("store.conf: line %d is not valid (expected "
	    "'capacity 1..%u' or 'grace-days 0..%u', each once)", lineno + 1,
	    BSTORE_CAPACITY_MAX, BSTORE_GRACE_DAYS_MAX);
	return CE_FORMAT;
}

static int dir_safe(int dfd, const char *path);

int
bstore_dir_init(const char *uri, const struct bstore_config *cfg)
{
	struct bstore_config def = {
	    .capacity = BSTORE_CAPACITY_DEFAULT,
	    .grace_days = BSTORE_GRACE_DAYS_DEFAULT };
	struct bstore *s = NULL;
	char path[PATH_MAX], conf[PATH_MAX + 16], text[256];
	const char *subs[] = { BSTORE_TMP, BSTORE_TRASH, BSTORE_VERIFIED };
	struct stat st;
	int r, fd;
	size_t i;

	if (cfg == NULL)
		cfg = &def;
	if ((r = bstore_parse_uri(uri, path, sizeof(path))) != 0 ||
	    (r = bstore_config_check(cfg)) != 0)
		return r;
	if (cfg->lock_days > 0) {
		err_set_detail("Object Lock is for s3:// stores; a directory "
		    "cannot refuse its owner's deletes");
		return CE_UNSUPPORTED;
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		err_set_detail("cannot create '%s': %s", path, strerror(errno));
		return CE_IO;
	}
	{
		int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0) {
			err_set_detail("cannot open '%s': %s", path,
			    strerror(errno));
			return CE_IO;
		}
		r = dir_safe(dfd, path);
		close(dfd);
		if (r != 0)
			return r;
	}
	snprintf(conf, sizeof(conf), "%s/" BSTORE_CONF, path);
	if (stat(conf, &st) == 0) {
		err_set_detail("'%s' is already a backup store", path);
		return CE_EXISTS;
	}
	bstore_config_text(cfg, text, sizeof(text));
	if ((r = file_write_atomic(conf, text, strlen(text), 0600)) != 0 ||
	    (r = bstore_open(uri, &s)) != 0)
		return r;
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if ((r = bstore_subdir(s, subs[i], &fd)) != 0)
			break;
		close(fd);
	}
	/* The lock file exists from the start: the directory only changes
	 * when a backup is added or removed. */
	if (r == 0 && (r = bstore_lock(s, LOCK_SH, &fd)) == 0)
		bstore_unlock(fd);
	if (r == 0)
		r = bstore_fsync_fd(s->dirfd, path);
	bstore_close(s);
	return r;
}

/*
 * A store directory that others may write to can be turned against the
 * user who runs the tools (often root): files planted in it, links in
 * place of its own files. Refused, with the fix (a sticky directory such
 * as /tmp is not a store either). Group write is the operator's choice.
 */
static int
dir_safe(int dfd, const char *path)
{
	struct stat st;

	if (fstat(dfd, &st) != 0)
		return cbk_io_error(errno, "cannot read the store directory");
	if (st.st_mode & S_IWOTH) {
		err_set_detail("the store directory '%s' can be written by "
		    "others (mode %04o): anyone could plant files in it; run "
		    "'chmod o-w %s'", path, (unsigned)(st.st_mode & 07777),
		    path);
		return CE_POLICY;
	}
	return 0;
}

int
bstore_dir_open(const char *uri, struct bstore *s)
{
	struct buf *b = NULL;
	char conf[PATH_MAX + 16];
	int r;

	if ((r = bstore_parse_uri(uri, s->path, sizeof(s->path))) != 0)
		goto out;
	if ((s->dirfd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		int e = errno;

		r = e == ENOENT ? CE_NOT_FOUND : CE_IO;
		/*
		 * No hint to create one: a restore at 3 a.m. must not be
		 * sent to make an empty store; backupd adds that hint.
		 */
		err_set_detail("'%s': %s%s", s->path,
		    strerror(e), e == ENOENT ? "; check the path" : "");
		goto out;
	}
	if ((r = dir_safe(s->dirfd, s->path)) != 0)
		goto out;
	snprintf(conf, sizeof(conf), "%s/" BSTORE_CONF, s->path);
	if ((r = file_read_nofollow(conf, CONF_MAX, &b)) != 0) {
		if (r == CE_NOT_FOUND)
			err_set_detail("'%s' is not a backup store (no %s); "
			    "check the path", s->path, BSTORE_CONF);
		goto out;
	}
	if ((r = bstore_config_parse(b, &s->cfg)) != 0)
		goto out;
	r = 0;
 out:
	buf_free(b);
	return r;
}

void
bstore_dir_close(struct bstore *s)
{
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->dirfd = -1;
}

int
bstore_lock(struct bstore *s, int op, int *fdp)
{
	int fd;

	/* O_NOFOLLOW: a link planted as .lock must not make us create or
	 * lock a file elsewhere (root runs this) */
	fd = openat(s->dirfd, BSTORE_LOCK, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0)
		return cbk_io_error(errno, "cannot open the store lock");
	{
		struct stat st;

		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			err_set_detail("the store lock %s/" BSTORE_LOCK " is not a "
			    "regular file: remove it", s->path);
			return CE_IO;
		}
	}
	while (flock(fd, op) != 0) {
		if (errno != EINTR) {
			close(fd);
			return cbk_io_error(errno, "cannot lock the store");
		}
	}
	*fdp = fd;
	return 0;
}

void
bstore_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

int
bstore_subdir(struct bstore *s, const char *sub, int *fdp)
{
	int fd;

	if (mkdirat(s->dirfd, sub, 0700) != 0 && errno != EEXIST)
		return cbk_io_error(errno, "cannot create a store directory");
	fd = openat(s->dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return cbk_io_error(errno, "cannot open a store directory");
	*fdp = fd;
	return 0;
}

int
bstore_fsync_fd(int dfd, const char *what)
{
	if (fsync(dfd) != 0)
		return cbk_io_error(errno, what);
	return 0;
}

/* --- names --- */

static int
name_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

void
bstore_name_label(const char *label, char out[CBK_LABEL_MAX + 1])
{
	size_t i;

	/*
	 * A name never starts with '.' (hidden) nor '-' (every tool would
	 * read it as an option): a leading one becomes '_'.
	 */
	for (i = 0; i < CBK_LABEL_MAX && label[i] != '\0'; i++)
		out[i] = !name_char((unsigned char)label[i]) ? '-' :
		    i == 0 && (label[i] == '.' || label[i] == '-') ? '_' :
		    label[i];
	out[i] = '\0';
}

int
bstore_backup_name(const char *label, const char *serial, int64_t created,
    char name[BSTORE_NAME_MAX])
{
	char nl[CBK_LABEL_MAX + 1], ns[CBK_SERIAL_MAX + 1];
	char stamp[UTC_STAMP_LEN + 1];
	size_t i;
	int r;

	if (label[0] == '\0' || strnlen(label, CBK_LABEL_MAX + 1) >
	    CBK_LABEL_MAX) {
		err_set_detail("a label is 1 to %d bytes", CBK_LABEL_MAX);
		return CE_INVALID;
	}
	if (serial != NULL && (serial[0] == '\0' ||
	    strnlen(serial, CBK_SERIAL_MAX + 1) > CBK_SERIAL_MAX)) {
		err_set_detail("a serial is 1 to %d bytes", CBK_SERIAL_MAX);
		return CE_INVALID;
	}
	if ((r = utc_stamp(created, stamp)) != 0) {
		err_set_detail("backup time out of range");
		return r;
	}
	bstore_name_label(label, nl);
	if (serial == NULL) {
		snprintf(name, BSTORE_NAME_MAX, "%s_%s.cbk", nl, stamp);
		return 0;
	}
	/* The serial part never holds '_': the name splits at them. */
	for (i = 0; serial[i] != '\0'; i++)
		ns[i] = name_char((unsigned char)serial[i]) &&
		    serial[i] != '_' ? serial[i] : '-';
	ns[i] = '\0';
	snprintf(name, BSTORE_NAME_MAX, "%s_%s_%s.cbk", nl, ns, stamp);
	return 0;
}

int
bstore_manifest_name(const struct cbk_manifest *m, char name[BSTORE_NAME_MAX])
{
	return bstore_backup_name(m->label, m->format_version >= 2 ?
	    m->serial : NULL, m->created, name);
}

int
bstore_name_parse(const char *name, char seriesp[BSTORE_SERIES_MAX],
    int64_t *createdp)
{
	size_t len = strnlen(name, BSTORE_NAME_MAX), ll, i;
	int64_t t;

	/* series (label, or label '_' serial; >= 1) '_' stamp ".cbk" */
	if (len >= BSTORE_NAME_MAX || len < 1 + 1 + UTC_STAMP_LEN + 4 ||
	    strcmp(name + len - 4, ".cbk") != 0)
		return CE_INVALID;
	ll = len - 4 - UTC_STAMP_LEN - 1;
	if (name[ll] != '_' || name[0] == '.' ||
	    utc_parse_stamp(name + ll + 1, &t) != 0)
		return CE_INVALID;
	for (i = 0; i < ll; i++)
		if (!name_char((unsigned char)name[i]))
			return CE_INVALID;
	if (seriesp != NULL) {
		memcpy(seriesp, name, ll);
		seriesp[ll] = '\0';
	}
	if (createdp != NULL)
		*createdp = t;
	return 0;
}

static int
check_name(const char *name)
{
	if (bstore_name_parse(name, NULL, NULL) != 0) {
		err_set_detail("'%.100s' is not a backup name "
		    "(LABEL_SERIAL_yyyymmddThhmmssZ.cbk)", name);
		return CE_INVALID;
	}
	return 0;
}

/* --- listing --- */

/*
 * A verified mark, .verified/NAME: "verified TIME HOW DEV INO SIZE CTIME\n"
 * (TIME RFC 3339, HOW structure|deep, CTIME seconds.nanoseconds). It holds
 * only while the backup file is the one it vouched for: any write to the
 * file, a copy over it or a rename onto its name changes its change time
 * or inode, and the mark no longer counts.
 */
#define MARK_MAX 160

struct mark {
	int64_t at;
	char how[12];
};

static void
file_id(const struct stat *st, char out[96])
{
	snprintf(out, 96, "%llu %llu %llu %lld.%09ld",
	    (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
	    (unsigned long long)st->st_size, (long long)st->st_ctim.tv_sec,
	    (long)st->st_ctim.tv_nsec);
}

/* 1 and *mp filled when name's mark is whole and fits the file as it is. */
static int
mark_read(struct bstore *s, const char *name, struct mark *mp)
{
	char p[sizeof(BSTORE_VERIFIED) + BSTORE_NAME_MAX + 1];
	char text[MARK_MAX + 1], when[UTC_ISO_LEN + 1], how[12], id[96];
	struct stat st, fs;
	ssize_t n;
	int fd, ok = 0;

	snprintf(p, sizeof(p), BSTORE_VERIFIED "/%s", name);
	if ((fd = openat(s->dirfd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) < 0)
		return 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (n = read(fd, text, MARK_MAX)) <= 0 || text[n - 1] != '\n')
		goto out;
	text[n - 1] = '\0';
	if (sscanf(text, "verified %" "20s %11s", when, how) != 2 ||
	    (strcmp(how, "structure") != 0 && strcmp(how, "deep") != 0) ||
	    fstatat(s->dirfd, name, &fs, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(fs.st_mode))
		goto out;
	file_id(&fs, id);
	/* "verified " + time + " " + how + " " + the file's id, exactly */
	if (strlen(text) != 9 + strlen(when) + 1 + strlen(how) + 1 +
	    strlen(id) || strcmp(text + 9 + strlen(when) + 1 + strlen(how) +
	    1, id) != 0)
		goto out;
	if (mp != NULL) {
		memset(mp, 0, sizeof(*mp));
		if (utc_parse_iso(when, &mp->at) != 0)
			goto out;
		snprintf(mp->how, sizeof(mp->how), "%s", how);
	}
	ok = 1;
 out:
	close(fd);
	return ok;
}

static int
is_verified(struct bstore *s, const char *name)
{
	return mark_read(s, name, NULL);
}

static int
newest_first(const void *a, const void *b)
{
	const struct bstore_name *x = a, *y = b;

	if (x->created != y->created)
		return x->created > y->created ? -1 : 1;
	return strcmp(x->name, y->name);
}

int
bstore_scan(struct bstore *s, struct bstore_name **np, size_t *countp)
{
	struct bstore_name *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct dirent *de;
	struct stat st;
	DIR *d = NULL;
	int fd, r = 0;

	if ((fd = dup(s->dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return cbk_io_error(errno, "cannot read the store directory");
	}
	rewinddir(d);
	while ((errno = 0, de = readdir(d)) != NULL) {
		struct bstore_name nm;

		if (bstore_name_parse(de->d_name, nm.label, &nm.created) != 0)
			continue;
		/* Only regular files: a directory or link never counts. */
		if (fstatat(s->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		/* name_parse bounded its length below BSTORE_NAME_MAX. */
		memcpy(nm.name, de->d_name, strlen(de->d_name) + 1);
		nm.verified = is_verified(s, nm.name);
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				r = CE_NOMEM;
				goto out;
			}
			v = nv;
		}
		v[n++] = nm;
	}
	if (errno != 0) {
		r = cbk_io_error(errno, "cannot read the store directory");
		goto out;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), newest_first);
	for (size_t i = 0; i < n; i++)
		v[i].pos = i;
	*np = v;
	*countp = n;
	v = NULL;
 out:
	free(v);
	closedir(d);
	return r;
}

int
bstore_dir_count(struct bstore *s, size_t *np)
{
	struct bstore_name *v = NULL;
	int r;

	if ((r = bstore_scan(s, &v, np)) == 0)
		free(v);
	return r;
}

int
bstore_dir_open_backup(struct bstore *s, const char *name,
    int *fdp)
{
	struct stat st;
	int r, fd;

	if ((r = check_name(name)) != 0)
		return r;
	fd = openat(s->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err_set_detail("no backup '%s' in %s", name, s->path);
		return errno == ENOENT ? CE_NOT_FOUND : CE_IO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		err_set_detail("'%s' is not a backup file", name);
		return CE_NOT_FOUND;
	}
	*fdp = fd;
	return 0;
}

/* Fills e for name: size, verified flag, and its manifest (or e->r). */
static int
fill_entry(struct bstore *s, const char *name, struct bstore_entry *e)
{
	struct stat st;
	int r, fd;

	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	if ((r = bstore_name_parse(name, NULL, &e->created)) != 0 ||
	    (r = bstore_open_backup(s, name, &fd)) != 0)
		return r;
	if (fstat(fd, &st) == 0)
		e->file_size = (uint64_t)st.st_size;
	e->r = cbk_read_manifest(fd, &e->m);
	close(fd);
	{
		struct mark mk;

		if ((e->verified = mark_read(s, name, &mk)) != 0) {
			e->verified_at = mk.at;
			snprintf(e->verified_how, sizeof(e->verified_how), "%s",
			    mk.how);
		}
	}
	if (e->r == 0) {
		char want[BSTORE_NAME_MAX];

		/* The manifest says when; a name that disagrees is flagged. */
		e->created = e->m.created;
		e->misnamed = bstore_manifest_name(&e->m, want) != 0 ||
		    strcmp(want, name) != 0;
	}
	return 0;
}

int
bstore_dir_list(struct bstore *s, const char *label,
    struct bstore_entry **ep, size_t *np)
{
	struct bstore_name *names = NULL;
	struct bstore_entry *v = NULL;
	size_t n = 0, i, k = 0;
	int r;

	if ((r = bstore_scan(s, &names, &n)) != 0)
		return r;
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		/* Vanished since the scan (pruned meanwhile): not listed. */
		if ((r = fill_entry(s, names[i].name, &v[k])) == CE_NOT_FOUND)
			continue;
		if (r != 0)
			goto out;
		/* The label is the manifest's (the name's is a file-name form
		 * and may hold a serial); an unreadable one is always listed. */
		if (label != NULL && v[k].r == 0 &&
		    strcmp(v[k].m.label, label) != 0)
			continue;
		k++;
	}
	*ep = v;
	*np = k;
	v = NULL;
	r = 0;
 out:
	free(v);
	free(names);
	return r;
}

int
bstore_dir_show(struct bstore *s, const char *name,
    struct bstore_entry *ep)
{
	return fill_entry(s, name, ep);
}

/*
 * Writes name's mark (how: "structure" or "deep") bound to the file as it
 * is now, or removes it (how NULL). Written to a temporary and renamed, so
 * a full disk never leaves a partial mark that could count.
 */
static int
mark_write(struct bstore *s, const char *name, const char *how)
{
	char tmp[BSTORE_NAME_MAX + 16], when[UTC_ISO_LEN + 1];
	char text[MARK_MAX + 1], id[96];
	struct stat fs;
	int r, dfd, fd = -1;
	size_t len;

	if ((r = check_name(name)) != 0 ||
	    (r = bstore_subdir(s, BSTORE_VERIFIED, &dfd)) != 0)
		return r;
	if (how == NULL) {
		if (unlinkat(dfd, name, 0) != 0 && errno != ENOENT)
			r = cbk_io_error(errno, "cannot clear a verified mark");
		goto out;
	}
	if (fstatat(s->dirfd, name, &fs, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(fs.st_mode)) {
		r = cbk_io_error(errno ? errno : ENOENT,
		    "cannot mark a backup verified");
		goto out;
	}
	if ((r = utc_iso((int64_t)time(NULL), when)) != 0)
		goto out;
	file_id(&fs, id);
	snprintf(text, sizeof(text), "verified %s %s %s\n", when, how, id);
	len = strlen(text);
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0 ||
	    renameat(dfd, tmp, dfd, name) != 0) {
		r = cbk_io_error(errno, "cannot mark a backup verified");
		(void)unlinkat(dfd, tmp, 0);
		/* an old mark must not outlive a verification it missed */
		(void)unlinkat(dfd, name, 0);
		goto out;
	}
	r = bstore_fsync_fd(dfd, "cannot sync the verified marks");
 out:
	if (fd >= 0)
		close(fd);
	close(dfd);
	return r;
}

int
bstore_dir_mark_verified(struct bstore *s, const char *name, int ok)
{
	return mark_write(s, name, ok ? "deep" : NULL);
}

static int archive_walk(int fd, struct cbk_manifest *mp);

int
bstore_dir_verify(struct bstore *s, const char *name,
    struct bstore_entry *ep)
{
	struct bstore_entry e;
	char nm[BSTORE_NAME_MAX] = "";
	int r, fd = -1;

	if ((r = fill_entry(s, name, &e)) != 0 ||
	    (r = bstore_open_backup(s, name, &fd)) != 0)
		goto out;
	if ((r = archive_walk(fd, &e.m)) != 0)
		goto done;
	e.r = 0;
	/* A renamed file would pass for another partition or date. */
	if ((r = bstore_manifest_name(&e.m, nm)) != 0 ||
	    strcmp(nm, name) != 0) {
		err_set_detail("the file name '%s' does not match its manifest "
		    "(it says '%s'): renamed or mixed up", name, nm);
		r = CE_INTEGRITY;
	}
 done:
	e.r = r;
	{
		/* a pass marks it; anything else (damage, a version this build
		 * cannot vouch for) takes any earlier mark away */
		char keep[256];
		struct mark old;
		int mr;

		snprintf(keep, sizeof(keep), "%s", err_detail());
		/* A deep mark on the very same file still holds: a structure
		 * pass must not downgrade it. */
		if (r == 0 && mark_read(s, name, &old) &&
		    strcmp(old.how, "deep") == 0)
			mr = 0;
		else
			mr = mark_write(s, name, r == 0 ? "structure" : NULL);
		if (r == 0)
			r = mr;
		else
			err_set_detail("%s", keep);
		e.verified = r == 0;
		if (e.verified) {
			struct mark mk;

			if (mark_read(s, name, &mk)) {
				e.verified_at = mk.at;
				snprintf(e.verified_how, sizeof(e.verified_how),
				    "%s", mk.how);
			}
		}
	}
	if (ep != NULL)
		*ep = e;
 out:
	if (fd >= 0)
		close(fd);
	return r;
}

int
bstore_dir_recheck(struct bstore *s, const char *name)
{
	struct cbk_manifest m;
	char nm[BSTORE_NAME_MAX] = "";
	int r, fd = -1;

	if ((r = bstore_open_backup(s, name, &fd)) != 0)
		return r;
	if ((r = cbk_verify(fd, &m)) == 0 &&
	    (bstore_manifest_name(&m, nm) != 0 || strcmp(nm, name) != 0)) {
		err_set_detail("the file name '%s' does not match its manifest",
		    name);
		r = CE_INTEGRITY;
	}
	close(fd);
	/* Damage takes the mark away; anything else (I/O) leaves it. */
	if (r == CE_INTEGRITY || r == CE_TRUNCATED || r == CE_FORMAT)
		(void)mark_write(s, name, NULL);
	return r;
}

/*
 * The whole secret-free check in one read of the file (a second read was
 * half of a verify's time): the archive's structure and its SHA-384s
 * (cbk_reader), a sealed header this build reads (a structure check of a
 * version it cannot open is no evidence the backup restores), and every
 * chunk's order and checksum (sealed_walk). A newer archive format gets
 * cbk_verify's answer: newer, or damaged.
 */
static int
archive_walk(int fd, struct cbk_manifest *mp)
{
	struct cbk_reader *rd = NULL;
	struct sealed_header h;
	struct sealed_walk_info wi;
	struct chan *in = NULL;
	const uint8_t *hdr;
	size_t hlen;
	int r;

	if ((r = cbk_reader_open(fd, &rd)) == CE_VERSION) {
		if (lseek(fd, 0, SEEK_SET) != 0)
			r = cbk_io_error(errno, "cannot read the backup");
		else
			r = cbk_verify(fd, mp);
		goto out;
	}
	if (r != 0)
		goto out;
	cbk_reader_header(rd, &hdr, &hlen);
	if ((r = sealed_header_parse(hdr, hlen, &h)) != 0) {
		if (r != CE_VERSION) {
			err_set_detail("header.bin is not a sealed stream "
			    "header");
			r = CE_INTEGRITY;
		}
		goto out;
	}
	if ((r = chan_func_new(NULL, cbk_reader_records_read, rd, &in)) != 0)
		goto out;
	if ((r = sealed_walk(in, &h, &wi)) != 0) {
		if (r == CE_FORMAT || r == CE_TRUNCATED || r == CE_TRAILING)
			r = CE_INTEGRITY;
		goto out;
	}
	if ((r = cbk_reader_finish(rd)) != 0)
		goto out;
	*mp = *cbk_reader_manifest(rd);
 out:
	chan_free(in);
	cbk_reader_free(rd);
	return r;
}

int
bstore_archive_check(int fd, const char *name, struct cbk_manifest *m)
{
	char nm[BSTORE_NAME_MAX] = "";
	int r;

	if ((r = archive_walk(fd, m)) != 0)
		return r;
	if (bstore_manifest_name(m, nm) != 0 || strcmp(nm, name) != 0) {
		err_set_detail("the backup '%s' does not match its manifest (it "
		    "says '%s'): renamed or mixed up", name, nm);
		return CE_INTEGRITY;
	}
	return 0;
}

int
bstore_dir_run_lock(struct bstore *s, int *fdp)
{
	char pid[32], held[32] = "";
	ssize_t n;
	int fd;

	fd = openat(s->dirfd, ".run.lock", O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0)
		return cbk_io_error(errno, "cannot open the scheduler lock");
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		if ((n = pread(fd, held, sizeof(held) - 1, 0)) > 0)
			held[strcspn(held, "\n")] = '\0';
		close(fd);
		if (e != EWOULDBLOCK)
			return cbk_io_error(e, "cannot lock the store");
		err_set_detail("another 'backupd run' (pid %s) schedules "
		    "backups into %s; one scheduler per store", held[0] ? held :
		    "unknown", s->path);
		return CE_BUSY;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 ||
	    pwrite(fd, pid, strlen(pid), 0) != (ssize_t)strlen(pid)) {
		close(fd);
		return cbk_io_error(errno, "cannot write the scheduler lock");
	}
	*fdp = fd;
	return 0;
}

const struct bstore_ops bstore_dir_ops = {
	.scheme = "dir:",
	.init = bstore_dir_init,
	.open = bstore_dir_open,
	.close = bstore_dir_close,
	.list = bstore_dir_list,
	.count = bstore_dir_count,
	.show = bstore_dir_show,
	.verify = bstore_dir_verify,
	.mark_verified = bstore_dir_mark_verified,
	.open_backup = bstore_dir_open_backup,
	.begin = bstore_dir_begin,
	.txn_write = bstore_dir_txn_write,
	.commit = bstore_dir_commit,
	.txn_free = bstore_dir_txn_free,
	.trash = bstore_dir_trash,
	.untrash = bstore_dir_untrash,
	.trash_list = bstore_dir_trash_list,
	.purge = bstore_dir_purge,
	.prune = bstore_dir_prune,
	.gc = bstore_dir_gc,
	.run_lock = bstore_dir_run_lock,
};
