/*
 * The store-backend dispatch: a URI's scheme picks the backend's table
 * (bstore_int.h struct bstore_ops) and every public bstore_* operation goes
 * through it. Adding a backend is one table and one line in `backends`.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bstore_int.h"
#include "err.h"

static const struct bstore_ops *const backends[] = {
	&bstore_dir_ops,
	&bstore_rbs_ops,
	&bstore_hsm_ops,
	&bstore_s3_ops,
};

static int
pick(const char *uri, const struct bstore_ops **opsp)
{
	size_t i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strncmp(uri, backends[i]->scheme,
		    strlen(backends[i]->scheme)) == 0) {
			*opsp = backends[i];
			return 0;
		}
	/* The dir backend words the refusal of an unknown scheme. */
	*opsp = &bstore_dir_ops;
	return 0;
}

/* The operation is not offered by this backend. */
static int
unsupported(const struct bstore *s, const char *what)
{
	err_set_detail("%s: a %s store cannot %s", s->path, s->ops->scheme,
	    what);
	return CE_UNSUPPORTED;
}

int
bstore_init(const char *uri, const struct bstore_config *cfg)
{
	const struct bstore_ops *ops;
	int r;

	if ((r = pick(uri, &ops)) != 0)
		return r;
	if (ops->init == NULL) {
		err_set_detail("'%s': create this store on its server", uri);
		return CE_UNSUPPORTED;
	}
	return ops->init(uri, cfg);
}

int
bstore_open(const char *uri, struct bstore **sp)
{
	struct bstore *s;
	int r;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CE_NOMEM;
	s->dirfd = -1;
	if ((r = pick(uri, &s->ops)) != 0 ||
	    (r = s->ops->open(uri, s)) != 0) {
		bstore_close(s);
		return r;
	}
	*sp = s;
	return 0;
}

void
bstore_close(struct bstore *s)
{
	if (s == NULL)
		return;
	if (s->ops != NULL)
		s->ops->close(s);
	free(s);
}

const struct bstore_config *
bstore_config(const struct bstore *s)
{
	return &s->cfg;
}

void
bstore_check_commits(struct bstore *s)
{
	s->check_commits = 1;
}

const char *
bstore_path(const struct bstore *s)
{
	return s->path;
}

int
bstore_list(struct bstore *s, const char *label, struct bstore_entry **ep,
    size_t *np)
{
	return s->ops->list(s, label, ep, np);
}

int
bstore_list_each(struct bstore *s, const char *label, bstore_entry_fn *fn,
    void *arg)
{
	struct bstore_entry *v = NULL;
	size_t n = 0, i;
	int r;

	if (s->ops->list_each != NULL)
		return s->ops->list_each(s, label, fn, arg);
	if ((r = bstore_list(s, label, &v, &n)) != 0)
		return r;
	for (i = 0; i < n && (r = fn(arg, &v[i])) == 0; i++)
		;
	free(v);
	return r;
}

int64_t
bstore_series_verified(struct bstore *s, const char *name)
{
	char series[BSTORE_SERIES_MAX], other[BSTORE_SERIES_MAX];
	struct bstore_entry *v = NULL;
	size_t n = 0, i;
	int64_t at = 0;

	if (bstore_name_parse(name, series, NULL) != 0)
		return 0;
	if (s->ops->series_verified != NULL)
		return s->ops->series_verified(s, series, &at) == 0 ? at : 0;
	if (bstore_list(s, NULL, &v, &n) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (v[i].verified && v[i].verified_at > at &&
		    bstore_name_parse(v[i].name, other, NULL) == 0 &&
		    strcmp(other, series) == 0)
			at = v[i].verified_at;
	free(v);
	return at;
}

int
bstore_count(struct bstore *s, size_t *np)
{
	return s->ops->count(s, np);
}

int
bstore_show(struct bstore *s, const char *name, struct bstore_entry *ep)
{
	return s->ops->show(s, name, ep);
}

int
bstore_verify(struct bstore *s, const char *name, struct bstore_entry *ep)
{
	return s->ops->verify(s, name, ep);
}

int
bstore_mark_verified(struct bstore *s, const char *name, int ok)
{
	return s->ops->mark_verified(s, name, ok);
}

int
bstore_open_backup(struct bstore *s, const char *name, int *fdp)
{
	return s->ops->open_backup(s, name, fdp);
}

int
bstore_begin(struct bstore *s, const struct cbk_manifest *m,
    uint64_t estimate, struct bstore_txn **tp)
{
	struct bstore_txn *t;
	int r;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return CE_NOMEM;
	t->s = s;
	if ((r = s->ops->begin(s, m, estimate, t)) != 0) {
		free(t);
		return r;
	}
	*tp = t;
	return 0;
}

int
bstore_txn_write(struct bstore_txn *t, const void *p, size_t n)
{
	return t->s->ops->txn_write(t, p, n);
}

int
bstore_txn_sink(void *arg, const void *p, size_t n)
{
	return bstore_txn_write(arg, p, n);
}

int
bstore_txn_write_fd(struct bstore_txn *t, int fd)
{
	uint8_t b[65536];
	ssize_t n;
	int r;

	for (;;) {
		if ((n = read(fd, b, sizeof(b))) < 0) {
			if (errno == EINTR)
				continue;
			return cbk_io_error(errno, "cannot read the stream");
		}
		if (n == 0)
			return 0;
		if ((r = bstore_txn_write(t, b, (size_t)n)) != 0)
			return r;
	}
}

const char *
bstore_txn_name(const struct bstore_txn *t)
{
	return t->name;
}

int
bstore_commit(struct bstore_txn *t, const struct cbk_manifest *m,
    const void *hdr, size_t hlen, char name[BSTORE_NAME_MAX])
{
	return t->s->ops->commit(t, m, hdr, hlen, name);
}

void
bstore_txn_free(struct bstore_txn *t)
{
	if (t == NULL)
		return;
	t->s->ops->txn_free(t);
	free(t);
}

int
bstore_trash(struct bstore *s, const char *name)
{
	return s->ops->trash(s, name);
}

int
bstore_untrash(struct bstore *s, const char *name)
{
	return s->ops->untrash(s, name);
}

int
bstore_trash_list(struct bstore *s, struct bstore_trashed **tp, size_t *np)
{
	return s->ops->trash_list(s, tp, np);
}

int
bstore_purge(struct bstore *s, int64_t now, size_t *purgedp)
{
	return s->ops->purge(s, now, purgedp);
}

int
bstore_prune(struct bstore *s, const struct bstore_keep *keep, int dry_run,
    char (**namesp)[BSTORE_NAME_MAX], size_t *np)
{
	return s->ops->prune(s, keep, dry_run, namesp, np);
}

int
bstore_run_lock(struct bstore *s, int *fdp)
{
	*fdp = -1;
	if (s->ops->run_lock == NULL)
		return 0;
	return s->ops->run_lock(s, fdp);
}

int
bstore_room(struct bstore *s)
{
	size_t n;
	int r;

	if ((r = s->ops->count(s, &n)) != 0)
		return r;
	if (n < s->cfg.capacity)
		return 0;
	/* A local layout names its store.conf; a remote one's is the server's. */
	if (s->dirfd >= 0)
		err_set_detail("the store %s holds %zu of %u backup partitions; "
		    "prune old backups or raise 'capacity' in %s/store.conf",
		    s->path, n, s->cfg.capacity, s->path);
	else
		err_set_detail("the store %s holds %zu of %u backup partitions; "
		    "prune old backups or raise its capacity on the server",
		    s->path, n, s->cfg.capacity);
	return CE_FULL;
}

const char *
bstore_officer_dir(const struct bstore *s)
{
	if (s->ops->officer_dir == NULL)
		return NULL;
	return s->ops->officer_dir(s);
}

int
bstore_ped(const struct bstore *s)
{
	return s->ops->ped != NULL && s->ops->ped(s);
}

int
bstore_set_officer(struct bstore *s, struct hsm *h)
{
	if (s->ops->set_officer == NULL)
		return unsupported(s, "take an officer login");
	return s->ops->set_officer(s, h);
}

int
bstore_gc(struct bstore *s, size_t *removedp)
{
	if (s->ops->gc == NULL)
		return unsupported(s, "collect temporaries (run gc on the "
		    "server)");
	return s->ops->gc(s, removedp);
}

int
bstore_tmpfile(int *fdp)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	/* Unnamed: nothing is left behind, whatever happens. */
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0) {
		char tmpl[PATH_MAX];

		/* A file system without O_TMPFILE: named, then unlinked. */
		snprintf(tmpl, sizeof(tmpl), "%s/coffer-store.XXXXXX", dir);
		if ((fd = mkostemp(tmpl, O_CLOEXEC)) < 0)
			return cbk_io_error(errno, "cannot create a temporary "
			    "file (TMPDIR)");
		unlink(tmpl);
	}
	*fdp = fd;
	return 0;
}
