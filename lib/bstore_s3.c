/*
 * bstore_s3: the "s3://BUCKET/PREFIX" store backend, backups kept as
 * objects of an S3 bucket (docs/backup-store.md "S3 stores").
 *
 *   PREFIX/store.conf                       as a dir: store's
 *   PREFIX/object-lock                      "mode M\ndays N\n" (optional)
 *   PREFIX/<name>                           one backup (lib/cbk.h)
 *   PREFIX/.trash/<name>.deleted-<stamp>    soft-deleted backups
 *   PREFIX/.verified/<name>/<how>/<time>/<etag>
 *                                           an empty object per mark
 *   PREFIX/.claims/<name>/<random>          a writer's claim on a name
 *
 * A backup appears whole or not at all: it is spooled and archived in
 * local temporaries, then sent as one PUT or a multipart upload whose
 * completion is the last request. A verified mark names the ETag of the
 * object it vouched for, so an object replaced since no longer lists as
 * verified; marks live in their keys, so one listing reads them all.
 * Many hosts may write into one store at once: names are unique per
 * partition serial and second, and nothing here needs a lock (the
 * capacity may be overshot by writers that check it at the same moment).
 *
 * Object Lock: a store made with a lock writes each backup with that
 * retention (COMPLIANCE or GOVERNANCE, days from the upload). Before the
 * date a delete is refused here, naming the date, and the server refuses
 * any removal of the version too; after it, delete is the usual soft
 * delete into .trash/ (a copy without retention) and purge after the
 * grace period removes every version for good.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bstore_int.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "s3.h"
#include "utc.h"

#define S3_SCHEME "s3://"
#define TRASH ".trash/"
#define MARKS ".verified/"
#define CLAIMS ".claims/"
#define CLAIM_TRIES 30
#define DELETED ".deleted-"
#define LOCK_OBJ "object-lock"
#define CONF_MAX 4096
#define HEAD_BYTES (64u * 1024)   /* enough for a manifest, usually */
#define DAY 86400
#define UPLOAD_AGE_DEFAULT 3600   /* gc: older unfinished uploads */
#define LIST_JOBS 8               /* manifests a listing fetches at once */
#define LIST_BATCH 1024           /* entries a listing holds at a time
                                     (COFFER_S3_LIST_BATCH: 1 and up) */

struct s3_be {
	struct s3 *c;
	char bucket[64];
	char prefix[512];            /* "" or ending in '/' */
	char lock_mode[16];          /* "" : no Object Lock */
	unsigned lock_days;
};

/* A backup as a listing sees it. */
struct s3_name {
	struct bstore_name n;
	uint64_t size;
	char etag[80];
	char how[12];                /* its valid mark's, or "" */
	int64_t at;
};

struct s3_txn {
	struct bstore *s;
	char claim[S3_KEY_MAX];      /* our claim on the name, or "" */
	struct cbk_manifest m;
	int spool_fd;
	struct cbk_spool *spool;
};

/* "s3://BUCKET[/PREFIX]": bucket and a prefix ending in '/' (or ""). */
static int
parse(const char *uri, char bucket[64], char prefix[512])
{
	const char *p = uri + strlen(S3_SCHEME), *slash;
	size_t bl, pl;

	if (strncmp(uri, S3_SCHEME, strlen(S3_SCHEME)) != 0)
		goto bad;
	slash = strchr(p, '/');
	bl = slash != NULL ? (size_t)(slash - p) : strlen(p);
	if (bl < 3 || bl > 63)
		goto bad;
	memcpy(bucket, p, bl);
	bucket[bl] = '\0';
	prefix[0] = '\0';
	if (slash == NULL || slash[1] == '\0')
		return 0;
	p = slash + 1;
	pl = strlen(p);
	while (pl > 0 && p[pl - 1] == '/')
		pl--;
	if (pl == 0 || pl > 400 || p[0] == '/' || strstr(p, "//") != NULL ||
	    strstr(p, "..") != NULL ||
	    strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-/") < pl)
		goto bad;
	memcpy(prefix, p, pl);
	prefix[pl] = '/';
	prefix[pl + 1] = '\0';
	return 0;
 bad:
	err_set_detail("'%s' is not an S3 store; write s3://BUCKET/PREFIX "
	    "(PREFIX of A-Z a-z 0-9 . _ - /, optional)", uri);
	return CE_USAGE;
}

static void
key_of(const struct s3_be *be, const char *sub, const char *name,
    char out[S3_KEY_MAX])
{
	snprintf(out, S3_KEY_MAX, "%s%s%s", be->prefix, sub, name);
}

/* --- init and open --- */

static int
s3_init_store(const char *uri, const struct bstore_config *cfg)
{
	struct bstore_config def = {
	    .capacity = BSTORE_CAPACITY_DEFAULT,
	    .grace_days = BSTORE_GRACE_DAYS_DEFAULT };
	struct s3_be be;
	struct s3_head h;
	char bucket[64], key[S3_KEY_MAX], text[256];
	int r;

	if (cfg == NULL)
		cfg = &def;
	memset(&be, 0, sizeof(be));
	if ((r = parse(uri, bucket, be.prefix)) != 0 ||
	    (r = bstore_config_check(cfg)) != 0 ||
	    (r = s3_open(bucket, &be.c)) != 0)
		return r;
	if ((r = s3_bucket_create(be.c, cfg->lock_days > 0)) != 0 &&
	    r != CE_EXISTS)
		goto out;
	key_of(&be, "", BSTORE_CONF, key);
	if ((r = s3_head(be.c, key, &h)) == 0) {
		err_set_detail("'%s' is already a backup store", uri);
		r = CE_EXISTS;
		goto out;
	}
	if (r != CE_NOT_FOUND)
		goto out;
	if (cfg->lock_days > 0) {
		char lk[S3_KEY_MAX];

		key_of(&be, "", LOCK_OBJ, lk);
		snprintf(text, sizeof(text), "mode %s\ndays %u\n",
		    cfg->lock_mode, cfg->lock_days);
		if ((r = s3_put(be.c, lk, text, strlen(text), NULL)) != 0)
			goto out;
	}
	/* store.conf last: a store half made does not open */
	bstore_config_text(cfg, text, sizeof(text));
	r = s3_put(be.c, key, text, strlen(text), NULL);
 out:
	s3_close(be.c);
	return r;
}

static int
lock_parse(struct s3_be *be, struct buf *b)
{
	char text[256], mode[16];
	unsigned days;
	size_t n = buf_len(b) < sizeof(text) - 1 ? buf_len(b) :
	    sizeof(text) - 1;

	memcpy(text, buf_ptr(b), n);
	text[n] = '\0';
	if (sscanf(text, "mode %15s\ndays %u", mode, &days) != 2 ||
	    (strcmp(mode, S3_LOCK_COMPLIANCE) != 0 &&
	    strcmp(mode, S3_LOCK_GOVERNANCE) != 0) || days == 0 ||
	    days > BSTORE_LOCK_DAYS_MAX) {
		err_set_detail("the store's object-lock object is not valid");
		return CE_FORMAT;
	}
	snprintf(be->lock_mode, sizeof(be->lock_mode), "%s", mode);
	be->lock_days = days;
	return 0;
}

static int
s3_open_store(const char *uri, struct bstore *s)
{
	struct s3_be *be;
	struct buf *b = NULL;
	char key[S3_KEY_MAX];
	int r;

	if ((be = calloc(1, sizeof(*be))) == NULL)
		return CE_NOMEM;
	s->be = be;
	if ((r = parse(uri, be->bucket, be->prefix)) != 0 ||
	    (r = s3_open(be->bucket, &be->c)) != 0)
		return r;
	key_of(be, "", BSTORE_CONF, key);
	if ((r = s3_get(be->c, key, CONF_MAX, &b)) == CE_NOT_FOUND) {
		err_set_detail("%s is not a backup store (no store.conf); make "
		    "it with 'backupd init %s'", uri, uri);
		return r;
	}
	if (r != 0 || (r = bstore_config_parse(b, &s->cfg)) != 0)
		goto out;
	buf_free(b);
	b = NULL;
	key_of(be, "", LOCK_OBJ, key);
	if ((r = s3_get(be->c, key, CONF_MAX, &b)) == 0)
		r = lock_parse(be, b);
	else if (r == CE_NOT_FOUND)
		r = 0;
	s->cfg.lock_days = be->lock_days;
	snprintf(s->cfg.lock_mode, sizeof(s->cfg.lock_mode), "%s",
	    be->lock_mode);
 out:
	buf_free(b);
	return r;
}

static void
s3_close_store(struct bstore *s)
{
	struct s3_be *be = s->be;

	if (be != NULL)
		s3_close(be->c);
	free(be);
	s->be = NULL;
}

/* --- names and marks --- */

struct scan {
	const struct s3_be *be;
	struct s3_name *v;
	size_t n, cap;
	int r;
};

static int
on_backup(void *arg, const struct s3_item *it)
{
	struct scan *sc = arg;
	const char *name = it->key + strlen(sc->be->prefix);
	struct s3_name nm, *nv;

	memset(&nm, 0, sizeof(nm));
	if (bstore_name_parse(name, nm.n.label, &nm.n.created) != 0)
		return 0;
	memcpy(nm.n.name, name, strlen(name) + 1);
	nm.size = it->size;
	snprintf(nm.etag, sizeof(nm.etag), "%s", it->etag);
	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 64;
		if ((nv = realloc(sc->v, sc->cap * sizeof(*nv))) == NULL)
			return CE_NOMEM;
		sc->v = nv;
	}
	sc->v[sc->n++] = nm;
	return 0;
}

/* An ETag as a key part: its quotes dropped. */
static void
etag_part(const char *etag, char out[80])
{
	size_t n;

	if (*etag == '"')
		etag++;
	snprintf(out, 80, "%s", etag);
	n = strlen(out);
	if (n > 0 && out[n - 1] == '"')
		out[n - 1] = '\0';
}

/* A mark's key after MARKS: "<name>/<how>/<time>/<etag>". */
static int
mark_parse(const char *rest, char name[BSTORE_NAME_MAX], char how[12],
    int64_t *atp, char etag[80])
{
	const char *a = strchr(rest, '/'), *b, *c;

	if (a == NULL || (size_t)(a - rest) >= BSTORE_NAME_MAX ||
	    (b = strchr(a + 1, '/')) == NULL || (size_t)(b - a - 1) >= 12 ||
	    (c = strchr(b + 1, '/')) == NULL || (size_t)(c - b - 1) !=
	    UTC_STAMP_LEN || strlen(c + 1) >= 80)
		return CE_FORMAT;
	memcpy(name, rest, (size_t)(a - rest));
	name[a - rest] = '\0';
	memcpy(how, a + 1, (size_t)(b - a - 1));
	how[b - a - 1] = '\0';
	if (utc_parse_stamp(b + 1, atp) != 0)
		return CE_FORMAT;
	snprintf(etag, 80, "%s", c + 1);
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct s3_name *)a)->n.name,
	    ((const struct s3_name *)b)->n.name);
}

static int
on_mark(void *arg, const struct s3_item *it)
{
	struct scan *sc = arg;
	struct s3_name probe, *hit;
	char how[12], etag[80], want[80];
	int64_t at;

	memset(&probe, 0, sizeof(probe));
	if (mark_parse(it->key + strlen(sc->be->prefix) + strlen(MARKS),
	    probe.n.name, how, &at, etag) != 0 ||
	    (strcmp(how, "structure") != 0 && strcmp(how, "deep") != 0))
		return 0;
	/* (no backups: v is NULL, which bsearch may not take) */
	if (sc->n == 0 || (hit = bsearch(&probe, sc->v, sc->n, sizeof(*sc->v),
	    name_cmp)) == NULL)
		return 0;
	etag_part(hit->etag, want);
	/* the mark vouches for this very object; the deepest, newest wins */
	if (strcmp(want, etag) != 0 || (hit->how[0] != '\0' &&
	    strcmp(hit->how, "deep") == 0 && strcmp(how, "deep") != 0))
		return 0;
	snprintf(hit->how, sizeof(hit->how), "%s", how);
	hit->at = at;
	hit->n.verified = 1;
	return 0;
}

static int
newest_first(const void *a, const void *b)
{
	const struct s3_name *x = a, *y = b;

	if (x->n.created != y->n.created)
		return x->n.created > y->n.created ? -1 : 1;
	return strcmp(x->n.name, y->n.name);
}

/* The store's backups with their marks, newest first. */
static int
scan_full(struct bstore *s, struct s3_name **vp, size_t *np)
{
	struct s3_be *be = s->be;
	struct scan sc = { be, NULL, 0, 0, 0 };
	char pre[S3_KEY_MAX];
	size_t i;
	int r;

	if ((r = s3_list(be->c, be->prefix, 1, on_backup, &sc)) != 0)
		goto fail;
	if (sc.n > 0)
		qsort(sc.v, sc.n, sizeof(*sc.v), name_cmp);
	key_of(be, MARKS, "", pre);
	if ((r = s3_list(be->c, pre, 0, on_mark, &sc)) != 0)
		goto fail;
	if (sc.n > 0)
		qsort(sc.v, sc.n, sizeof(*sc.v), newest_first);
	for (i = 0; i < sc.n; i++)
		sc.v[i].n.pos = i;
	*vp = sc.v;
	*np = sc.n;
	return 0;
 fail:
	free(sc.v);
	return r;
}

static int
scan_names(struct bstore *s, struct bstore_name **np, size_t *countp)
{
	struct s3_name *v = NULL;
	struct bstore_name *out;
	size_t n = 0, i;
	int r;

	if ((r = scan_full(s, &v, &n)) != 0)
		return r;
	if ((out = calloc(n ? n : 1, sizeof(*out))) == NULL) {
		free(v);
		return CE_NOMEM;
	}
	for (i = 0; i < n; i++)
		out[i] = v[i].n;
	free(v);
	*np = out;
	*countp = n;
	return 0;
}

static int
s3_series_verified(struct bstore *s, const char *series, int64_t *atp)
{
	struct s3_name *v = NULL;
	size_t n = 0, i;
	int r;

	if ((r = scan_full(s, &v, &n)) != 0)
		return r;
	*atp = 0;
	for (i = 0; i < n; i++)
		if (v[i].n.verified && v[i].at > *atp &&
		    strcmp(v[i].n.label, series) == 0)
			*atp = v[i].at;
	free(v);
	return 0;
}

static int
s3_count(struct bstore *s, size_t *np)
{
	struct s3_name *v = NULL;
	int r;

	if ((r = scan_full(s, &v, np)) == 0)
		free(v);
	return r;
}

struct mark_walk {
	struct s3 *c;
	char (*keys)[S3_KEY_MAX];
	size_t n, cap;
};

static int
on_mark_key(void *arg, const struct s3_item *it)
{
	struct mark_walk *w = arg;
	char (*nk)[S3_KEY_MAX];

	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 4;
		if ((nk = realloc(w->keys, w->cap * sizeof(*nk))) == NULL)
			return CE_NOMEM;
		w->keys = nk;
	}
	snprintf(w->keys[w->n++], S3_KEY_MAX, "%s", it->key);
	return 0;
}

/* Removes name's marks; then, with how, marks the object of etag. */
static int
mark_set(struct bstore *s, const char *name, const char *how,
    const char *etag)
{
	struct s3_be *be = s->be;
	struct mark_walk w = { be->c, NULL, 0, 0 };
	char pre[S3_KEY_MAX], key[S3_KEY_MAX], stamp[UTC_STAMP_LEN + 1];
	char et[80], rest[BSTORE_NAME_MAX + 128];
	size_t i;
	int r;

	snprintf(rest, sizeof(rest), "%s/", name);
	key_of(be, MARKS, rest, pre);
	if ((r = s3_list(be->c, pre, 0, on_mark_key, &w)) != 0)
		goto out;
	if (how != NULL) {
		etag_part(etag, et);
		if ((r = utc_stamp((int64_t)time(NULL), stamp)) != 0)
			goto out;
		snprintf(rest, sizeof(rest), "%s/%s/%s/%s", name, how, stamp,
		    et);
		key_of(be, MARKS, rest, key);
		if ((r = s3_put(be->c, key, "", 0, NULL)) != 0)
			goto out;
	}
	for (i = 0; i < w.n; i++)
		if (how == NULL || strcmp(w.keys[i], key) != 0)
			(void)s3_delete(be->c, w.keys[i], NULL);
 out:
	free(w.keys);
	return r;
}

/* --- reading --- */

static int
download(struct bstore *s, struct s3 *c, const char *name, int *fdp)
{
	struct s3_be *be = s->be;
	char key[S3_KEY_MAX];
	int fd, r;

	if (bstore_name_parse(name, NULL, NULL) != 0) {
		err_set_detail("'%.100s' is not a backup name", name);
		return CE_INVALID;
	}
	if ((r = bstore_tmpfile(&fd)) != 0)
		return r;
	key_of(be, "", name, key);
	if ((r = s3_get_fd(c, key, fd)) != 0) {
		if (r == CE_NOT_FOUND)
			err_set_detail("no backup '%s' in %s", name, s->path);
		close(fd);
		return r;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		r = cbk_io_error(errno, "cannot rewind the fetched backup");
		close(fd);
		return r;
	}
	*fdp = fd;
	return 0;
}

/* Reads name's manifest from the head of its object (whole if needed). */
static int
read_manifest(struct bstore *s, struct s3 *c, const char *name, uint64_t size,
    struct cbk_manifest *m)
{
	struct s3_be *be = s->be;
	struct buf *b = NULL;
	char key[S3_KEY_MAX];
	int fd, r;

	key_of(be, "", name, key);
	if ((r = bstore_tmpfile(&fd)) != 0)
		return r;
	if (size > 0 && (r = s3_get_range(c, key, 0, size < HEAD_BYTES ?
	    (size_t)size : HEAD_BYTES, &b)) == 0 &&
	    write(fd, buf_ptr(b), buf_len(b)) == (ssize_t)buf_len(b) &&
	    lseek(fd, 0, SEEK_SET) == 0 &&
	    (r = cbk_read_manifest(fd, m)) == 0)
		goto out;
	if (r != 0 && r != CE_INTEGRITY && r != CE_TRUNCATED)
		goto out;
	/* a manifest longer than the head: the whole object */
	close(fd);
	if ((r = download(s, c, name, &fd)) != 0)
		goto done;
	r = cbk_read_manifest(fd, m);
 out:
	close(fd);
 done:
	buf_free(b);
	return r;
}

static void
fill(struct bstore *s, struct s3 *c, const struct s3_name *nm,
    struct bstore_entry *e)
{
	char want[BSTORE_NAME_MAX];

	memset(e, 0, sizeof(*e));
	memcpy(e->name, nm->n.name, sizeof(e->name));
	e->created = nm->n.created;
	e->file_size = nm->size;
	if ((e->verified = nm->n.verified) != 0) {
		e->verified_at = nm->at;
		snprintf(e->verified_how, sizeof(e->verified_how), "%s",
		    nm->how);
	}
	if ((e->r = read_manifest(s, c, nm->n.name, nm->size, &e->m)) == 0) {
		e->created = e->m.created;
		e->misnamed = bstore_manifest_name(&e->m, want) != 0 ||
		    strcmp(want, nm->n.name) != 0;
	}
}

/*
 * Reading the manifests is one ranged GET per backup, and the round trips,
 * not the bytes, are what a listing waits for: LIST_JOBS threads, each
 * with its own connection, take the next backup in turn. The calling
 * thread works too, so a listing finishes even if no thread can start.
 */
struct fill_jobs {
	struct bstore *s;
	const struct s3_name *v;
	struct bstore_entry *out;
	size_t n, next;
	pthread_mutex_t mu;
};

static void
fill_some(struct fill_jobs *f, struct s3 *c)
{
	size_t i;

	for (;;) {
		pthread_mutex_lock(&f->mu);
		i = f->next++;
		pthread_mutex_unlock(&f->mu);
		if (i >= f->n)
			return;
		fill(f->s, c, &f->v[i], &f->out[i]);
	}
}

static void *
fill_worker(void *arg)
{
	struct fill_jobs *f = arg;
	struct s3 *c;

	if (s3_open(((struct s3_be *)f->s->be)->bucket, &c) != 0)
		return NULL;   /* the others, and the caller, do its share */
	fill_some(f, c);
	s3_close(c);
	return NULL;
}

static void
fill_all(struct bstore *s, const struct s3_name *v, size_t n,
    struct bstore_entry *out)
{
	struct fill_jobs f = { .s = s, .v = v, .out = out, .n = n };
	pthread_t t[LIST_JOBS];
	size_t i, started = 0, want = n / 4 < LIST_JOBS ? n / 4 : LIST_JOBS;

	pthread_mutex_init(&f.mu, NULL);
	for (i = 0; i < want; i++)
		if (pthread_create(&t[started], NULL, fill_worker, &f) == 0)
			started++;
	fill_some(&f, ((struct s3_be *)s->be)->c);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	pthread_mutex_destroy(&f.mu);
}

/*
 * The listing a batch at a time: LIST_BATCH manifests read at once, handed
 * to fn in order, then the next batch.
 */
static int
s3_list_each(struct bstore *s, const char *label, bstore_entry_fn *fn,
    void *arg)
{
	struct s3_name *v = NULL;
	struct bstore_entry *out;
	const char *env;
	size_t n = 0, at, i, k, batch = LIST_BATCH;
	int r;

	if ((r = scan_full(s, &v, &n)) != 0)
		return r;
	if ((env = getenv("COFFER_S3_LIST_BATCH")) != NULL && *env &&
	    (batch = strtoull(env, NULL, 10)) < 1)
		batch = LIST_BATCH;
	if ((out = calloc(batch, sizeof(*out))) == NULL) {
		free(v);
		return CE_NOMEM;
	}
	for (at = 0; at < n && r == 0; at += k) {
		k = n - at < batch ? n - at : batch;
		fill_all(s, v + at, k, out);
		for (i = 0; i < k && r == 0; i++) {
			if (out[i].r == CE_IO || out[i].r == CE_PERMISSION)
				/* again, for the cause (details are per thread) */
				fill(s, ((struct s3_be *)s->be)->c, &v[at + i],
				    &out[i]);
			if (out[i].r == CE_NOT_FOUND)
				continue;   /* removed since the listing */
			if (out[i].r == CE_IO || out[i].r == CE_PERMISSION)
				r = out[i].r;
			else if (label == NULL || out[i].r != 0 ||
			    strcmp(out[i].m.label, label) == 0)
				r = fn(arg, &out[i]);
		}
	}
	free(out);
	free(v);
	return r;
}

struct collect {
	struct bstore_entry *v;
	size_t n, cap;
};

static int
collect_one(void *arg, const struct bstore_entry *e)
{
	struct collect *c = arg;
	struct bstore_entry *nv;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		if ((nv = reallocarray(c->v, c->cap, sizeof(*nv))) == NULL)
			return CE_NOMEM;
		c->v = nv;
	}
	c->v[c->n++] = *e;
	return 0;
}

static int
s3_list_store(struct bstore *s, const char *label, struct bstore_entry **ep,
    size_t *np)
{
	struct collect c = { NULL, 0, 0 };
	int r;

	if ((r = s3_list_each(s, label, collect_one, &c)) != 0) {
		free(c.v);
		return r;
	}
	*ep = c.v != NULL ? c.v : calloc(1, sizeof(**ep));
	*np = c.n;
	return *ep != NULL ? 0 : CE_NOMEM;
}

/* One backup's listing entry (its marks read too). */
static int
one(struct bstore *s, const char *name, struct s3_name *nm)
{
	struct s3_name *v = NULL;
	size_t n = 0, i;
	int r;

	if (bstore_name_parse(name, NULL, NULL) != 0) {
		err_set_detail("'%.100s' is not a backup name", name);
		return CE_INVALID;
	}
	if ((r = scan_full(s, &v, &n)) != 0)
		return r;
	for (i = 0; i < n && strcmp(v[i].n.name, name) != 0; i++)
		;
	if (i == n) {
		err_set_detail("no backup '%s' in %s", name, s->path);
		r = CE_NOT_FOUND;
	} else
		*nm = v[i];
	free(v);
	return r;
}

static int
s3_show(struct bstore *s, const char *name, struct bstore_entry *ep)
{
	struct s3_name nm;
	int r;

	if ((r = one(s, name, &nm)) != 0)
		return r;
	fill(s, ((struct s3_be *)s->be)->c, &nm, ep);
	return 0;
}

static int
s3_open_backup(struct bstore *s, const char *name, int *fdp)
{
	return download(s, ((struct s3_be *)s->be)->c, name, fdp);
}

/* Downloads and checks name; *etag: the object's when it was read. */
static int
check(struct bstore *s, const char *name, struct cbk_manifest *m,
    char etag[80])
{
	struct s3_be *be = s->be;
	struct s3_head h;
	char key[S3_KEY_MAX];
	int fd, r;

	key_of(be, "", name, key);
	if ((r = s3_head(be->c, key, &h)) != 0) {
		if (r == CE_NOT_FOUND)
			err_set_detail("no backup '%s' in %s", name, s->path);
		return r;
	}
	snprintf(etag, 80, "%s", h.etag);
	if ((r = download(s, ((struct s3_be *)s->be)->c, name, &fd)) != 0)
		return r;
	r = bstore_archive_check(fd, name, m);
	close(fd);
	return r;
}

static int
s3_verify(struct bstore *s, const char *name, struct bstore_entry *ep)
{
	struct s3_name nm;
	struct bstore_entry e;
	char etag[80], keep[256];
	int r, mr;

	if ((r = one(s, name, &nm)) != 0)
		return r;
	fill(s, ((struct s3_be *)s->be)->c, &nm, &e);
	r = check(s, name, &e.m, etag);
	if (r == CE_IO || r == CE_PERMISSION || r == CE_NOT_FOUND)
		return r;
	snprintf(keep, sizeof(keep), "%s", err_detail());
	/* a deep mark on the same object holds; damage takes marks away */
	if (r == 0 && nm.n.verified && strcmp(nm.how, "deep") == 0)
		mr = 0;
	else
		mr = mark_set(s, name, r == 0 ? "structure" : NULL, etag);
	e.r = r;
	if (r == 0) {
		r = mr;
		e.verified = r == 0;
		if (e.verified && !(nm.n.verified &&
		    strcmp(nm.how, "deep") == 0)) {
			e.verified_at = (int64_t)time(NULL);
			snprintf(e.verified_how, sizeof(e.verified_how),
			    "structure");
		}
	} else {
		e.verified = 0;
		err_set_detail("%s", keep);
	}
	if (ep != NULL)
		*ep = e;
	return r;
}

static int
s3_mark_verified(struct bstore *s, const char *name, int ok)
{
	struct s3_be *be = s->be;
	struct s3_head h;
	char key[S3_KEY_MAX];
	int r;

	key_of(be, "", name, key);
	if ((r = s3_head(be->c, key, &h)) != 0)
		return r;
	return mark_set(s, name, ok ? "deep" : NULL, h.etag);
}

static int
s3_recheck(struct bstore *s, const char *name)
{
	struct cbk_manifest m;
	char etag[80];
	int r;

	r = check(s, name, &m, etag);
	if (r == CE_INTEGRITY || r == CE_TRUNCATED || r == CE_FORMAT)
		(void)mark_set(s, name, NULL, NULL);
	return r;
}

/* --- writing --- */

static int
name_free(struct bstore *s, const char *name)
{
	struct s3_be *be = s->be;
	struct s3_head h;
	char key[S3_KEY_MAX];
	int r;

	key_of(be, "", name, key);
	if ((r = s3_head(be->c, key, &h)) == CE_NOT_FOUND)
		return 0;
	if (r == 0) {
		err_set_detail("a backup named %s exists already; wait a "
		    "second and retry", name);
		return CE_EXISTS;
	}
	return r;
}

struct count_walk {
	size_t n;
};

static int
on_count(void *arg, const struct s3_item *it)
{
	(void)it;
	((struct count_walk *)arg)->n++;
	return 0;
}

/* Withdraws this writer's claim, if it holds one. */
static void
unclaim(struct s3_txn *t)
{
	if (t->claim[0] == '\0')
		return;
	(void)s3_delete(((struct s3_be *)t->s->be)->c, t->claim, NULL);
	t->claim[0] = '\0';
}

/*
 * Claims name for this writer: two hosts backing up one partition in one
 * second would otherwise both find the name free and the later PUT would
 * replace the earlier backup. Each writes .claims/<name>/<random> and then
 * lists the claims on the name: S3 reads its writes, so of two claimants
 * the later one always sees the earlier's claim, and only a writer that
 * sees its own claim alone has the name. The others withdraw and try the
 * next second. A writer that finished with the name deleted its claim
 * after its object appeared, so s3_begin looks for the object once more
 * after claiming. CE_EXISTS: not ours.
 */
static int
claim(struct s3_txn *t, const char *name)
{
	struct s3_be *be = t->s->be;
	struct count_walk w = { 0 };
	char pre[S3_KEY_MAX], rest[BSTORE_NAME_MAX + 40];
	uint8_t rnd[8];
	int r;

	cc_random(rnd, sizeof(rnd));
	snprintf(rest, sizeof(rest), "%s/%02x%02x%02x%02x%02x%02x%02x%02x",
	    name, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6],
	    rnd[7]);
	key_of(be, CLAIMS, rest, t->claim);
	if ((r = s3_put(be->c, t->claim, "", 0, NULL)) != 0) {
		t->claim[0] = '\0';
		return r;
	}
	snprintf(rest, sizeof(rest), "%s/", name);
	key_of(be, CLAIMS, rest, pre);
	if ((r = s3_list(be->c, pre, 0, on_count, &w)) == 0 && w.n != 1)
		r = CE_EXISTS;
	if (r != 0)
		unclaim(t);
	return r;
}

static void
txn_drop(struct s3_txn *t)
{
	if (t == NULL)
		return;
	unclaim(t);
	cbk_spool_free(t->spool);
	if (t->spool_fd >= 0)
		close(t->spool_fd);
	free(t);
}

static int
s3_begin(struct bstore *s, const struct cbk_manifest *m, uint64_t estimate,
    struct bstore_txn *gt)
{
	struct s3_txn *t;
	int tries, r;

	(void)estimate;   /* the bucket's room is the server's to tell */
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return CE_NOMEM;
	t->spool_fd = -1;
	t->s = s;
	t->m = *m;
	/* Two backups of one partition in one second: the next second. */
	for (tries = 0; tries < CLAIM_TRIES; tries++) {
		if (m->created == 0)
			t->m.created = (int64_t)time(NULL);
		if ((r = cbk_manifest_check(&t->m)) != 0 ||
		    (r = bstore_manifest_name(&t->m, gt->name)) != 0)
			break;
		/* Free, claimed, and still free once claimed: a writer that
		 * held the name may have finished (object put, claim deleted)
		 * between the first look and the listing of the claims. */
		if ((r = name_free(s, gt->name)) == 0 &&
		    (r = claim(t, gt->name)) == 0 &&
		    (r = name_free(s, gt->name)) != 0)
			unclaim(t);
		if (r == 0)
			break;
		if (r != CE_EXISTS || m->created != 0)
			break;
		/* a random pause: claimants of one second spread out */
		{
			uint8_t j;
			struct timespec ts;

			cc_random(&j, 1);
			ts.tv_sec = 0;
			ts.tv_nsec = 100000000L + (long)j * 3500000L;
			nanosleep(&ts, NULL);
		}
	}
	if (r == CE_EXISTS)
		err_set_detail("a backup named %s exists or is being written; "
		    "wait a second and retry", gt->name);
	if (r != 0 || (r = bstore_room(s)) != 0 ||
	    (r = bstore_tmpfile(&t->spool_fd)) != 0 ||
	    (r = cbk_spool_new(t->spool_fd, &t->spool)) != 0) {
		txn_drop(t);
		return r;
	}
	gt->be = t;
	return 0;
}

static int
s3_txn_write(struct bstore_txn *gt, const void *p, size_t n)
{
	struct s3_txn *t = gt->be;

	return cbk_spool_write(t->spool, p, n);
}

static int
s3_commit(struct bstore_txn *gt, const struct cbk_manifest *m,
    const void *hdr, size_t hlen, char name[BSTORE_NAME_MAX])
{
	struct s3_txn *t = gt->be;
	struct s3_be *be = gt->s->be;
	struct cbk_manifest fm;
	struct s3_lock lock;
	char key[S3_KEY_MAX];
	off_t size;
	int fd = -1, r;

	if (t == NULL || t->spool == NULL)
		return CE_INVALID;
	fm = *m;
	if (fm.created == 0)
		fm.created = t->m.created;
	if (strcmp(fm.label, t->m.label) != 0 || fm.created != t->m.created) {
		err_set_detail("commit: label and time must be those of begin");
		return CE_INVALID;
	}
	if ((r = bstore_tmpfile(&fd)) != 0 ||
	    (r = cbk_write(fd, &fm, hdr, hlen, t->spool)) != 0)
		goto out;
	if ((size = lseek(fd, 0, SEEK_END)) < 0) {
		r = cbk_io_error(errno, "cannot size the new backup");
		goto out;
	}
	/* checked again just before the object appears */
	if ((r = bstore_room(gt->s)) != 0 || (r = name_free(gt->s, gt->name)))
		goto out;
	memset(&lock, 0, sizeof(lock));
	if (be->lock_days > 0) {
		snprintf(lock.mode, sizeof(lock.mode), "%s", be->lock_mode);
		lock.until = (int64_t)time(NULL) + (int64_t)be->lock_days * DAY;
	}
	key_of(be, "", gt->name, key);
	if ((r = s3_put_fd(be->c, key, fd, (uint64_t)size, &lock)) != 0)
		goto out;
	if (name != NULL)
		snprintf(name, BSTORE_NAME_MAX, "%s", gt->name);
 out:
	if (fd >= 0)
		close(fd);
	cbk_spool_free(t->spool);
	t->spool = NULL;
	return r;
}

static void
s3_txn_free(struct bstore_txn *gt)
{
	txn_drop(gt->be);
	gt->be = NULL;
}

/* --- retention --- */

/* Refuses (CE_POLICY, naming the date) a backup still under retention. */
static int
retained(struct bstore *s, const char *name)
{
	struct s3_be *be = s->be;
	struct s3_head h;
	char key[S3_KEY_MAX], iso[UTC_ISO_LEN + 1];
	int r;

	key_of(be, "", name, key);
	if ((r = s3_head(be->c, key, &h)) != 0)
		return r;
	if (h.lock_until > (int64_t)time(NULL)) {
		utc_iso_show(h.lock_until, iso);
		err_set_detail("%s is under S3 Object Lock (%s) until %s; it "
		    "cannot be deleted before then", name, h.lock_mode[0] ?
		    h.lock_mode : "retention", iso);
		return CE_POLICY;
	}
	return 0;
}

static int
to_trash(struct bstore *s, const char *name)
{
	struct s3_be *be = s->be;
	char key[S3_KEY_MAX], tkey[S3_KEY_MAX], stamp[UTC_STAMP_LEN + 1];
	char tname[BSTORE_NAME_MAX + sizeof(DELETED) + UTC_STAMP_LEN];
	int r;

	if ((r = retained(s, name)) != 0)
		return r;
	if ((r = utc_stamp((int64_t)time(NULL), stamp)) != 0)
		return r;
	snprintf(tname, sizeof(tname), "%s" DELETED "%s", name, stamp);
	key_of(be, "", name, key);
	key_of(be, TRASH, tname, tkey);
	if ((r = s3_copy(be->c, key, tkey)) != 0)
		return r;
	if ((r = s3_remove_all(be->c, key)) != 0) {
		(void)s3_remove_all(be->c, tkey);
		return r;
	}
	(void)mark_set(s, name, NULL, NULL);
	return 0;
}

/* Prune keeps what Object Lock still holds instead of failing on it. */
static int
to_trash_pruned(struct bstore *s, const char *name)
{
	int r = to_trash(s, name);

	return r == CE_POLICY ? 1 : r;
}

static const struct bstore_names_io s3_io = {
	scan_names, s3_recheck, to_trash,
};

static const struct bstore_names_io s3_prune_io = {
	scan_names, s3_recheck, to_trash_pruned,
};

static int
s3_trash(struct bstore *s, const char *name)
{
	return bstore_trash_name(s, &s3_io, name);
}

struct trash_walk {
	const struct s3_be *be;
	unsigned grace;
	struct bstore_trashed *v;
	size_t n, cap;
};

static int
on_trashed(void *arg, const struct s3_item *it)
{
	struct trash_walk *w = arg;
	const char *tn = it->key + strlen(w->be->prefix) + strlen(TRASH);
	const char *d = strstr(tn, DELETED);
	struct bstore_trashed t, *nv;
	size_t nl;

	memset(&t, 0, sizeof(t));
	if (d == NULL || (nl = (size_t)(d - tn)) >= BSTORE_NAME_MAX ||
	    strlen(d + strlen(DELETED)) != UTC_STAMP_LEN ||
	    utc_parse_stamp(d + strlen(DELETED), &t.deleted) != 0)
		return 0;
	memcpy(t.name, tn, nl);
	t.name[nl] = '\0';
	if (bstore_name_parse(t.name, NULL, NULL) != 0)
		return 0;
	t.purge_after = t.deleted + (int64_t)w->grace * DAY;
	t.file_size = it->size;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		if ((nv = realloc(w->v, w->cap * sizeof(*nv))) == NULL)
			return CE_NOMEM;
		w->v = nv;
	}
	w->v[w->n++] = t;
	return 0;
}

static int
s3_trash_list(struct bstore *s, struct bstore_trashed **tp, size_t *np)
{
	struct s3_be *be = s->be;
	struct trash_walk w = { be, s->cfg.grace_days, NULL, 0, 0 };
	char pre[S3_KEY_MAX];
	int r;

	key_of(be, TRASH, "", pre);
	if ((r = s3_list(be->c, pre, 0, on_trashed, &w)) != 0) {
		free(w.v);
		return r;
	}
	if (w.n > 0)
		qsort(w.v, w.n, sizeof(*w.v), bstore_oldest_deleted_first);
	if (w.v == NULL && (w.v = calloc(1, sizeof(*w.v))) == NULL)
		return CE_NOMEM;
	*tp = w.v;
	*np = w.n;
	return 0;
}

static void
trash_key(const struct s3_be *be, const struct bstore_trashed *t,
    char key[S3_KEY_MAX])
{
	char stamp[UTC_STAMP_LEN + 1];
	char tname[BSTORE_NAME_MAX + sizeof(DELETED) + UTC_STAMP_LEN];

	utc_stamp(t->deleted, stamp);
	snprintf(tname, sizeof(tname), "%s" DELETED "%s", t->name, stamp);
	key_of(be, TRASH, tname, key);
}

static int
s3_untrash(struct bstore *s, const char *name)
{
	struct s3_be *be = s->be;
	struct bstore_trashed *v = NULL;
	char key[S3_KEY_MAX], tkey[S3_KEY_MAX];
	size_t n = 0, i, k;
	int r;

	if ((r = s3_trash_list(s, &v, &n)) != 0)
		return r;
	for (k = n, i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			k = i;
	if (k == n) {
		err_set_detail("no backup '%.100s' in the trash of %s", name,
		    s->path);
		r = CE_NOT_FOUND;
		goto out;
	}
	if ((r = bstore_room(s)) != 0 || (r = name_free(s, name)) != 0)
		goto out;
	trash_key(be, &v[k], tkey);
	key_of(be, "", name, key);
	if ((r = s3_copy(be->c, tkey, key)) == 0)
		r = s3_remove_all(be->c, tkey);
 out:
	free(v);
	return r;
}

static int
s3_purge(struct bstore *s, int64_t now, size_t *purgedp)
{
	struct s3_be *be = s->be;
	struct bstore_trashed *v = NULL;
	char tkey[S3_KEY_MAX];
	size_t n = 0, i, purged = 0;
	int r;

	if ((r = s3_trash_list(s, &v, &n)) != 0)
		return r;
	for (i = 0; i < n && r == 0; i++) {
		if (v[i].purge_after > now)
			continue;
		trash_key(be, &v[i], tkey);
		if ((r = s3_remove_all(be->c, tkey)) == 0)
			purged++;
	}
	free(v);
	if (purgedp != NULL)
		*purgedp = purged;
	return r;
}

static int
s3_prune(struct bstore *s, const struct bstore_keep *keep, int dry_run,
    char (**namesp)[BSTORE_NAME_MAX], size_t *np)
{
	return bstore_prune_names(s, &s3_prune_io, keep, dry_run, namesp, np);
}

struct stale_walk {
	struct bstore *s;
	struct s3_name *v;
	size_t n;
};

static int
on_stale_mark(void *arg, const struct s3_item *it)
{
	struct stale_walk *w = arg;
	struct s3_be *be = w->s->be;
	struct s3_name probe, *hit;
	char how[12], etag[80], want[80];
	int64_t at;

	memset(&probe, 0, sizeof(probe));
	if (mark_parse(it->key + strlen(be->prefix) + strlen(MARKS),
	    probe.n.name, how, &at, etag) != 0)
		return 0;
	hit = w->n > 0 ? bsearch(&probe, w->v, w->n, sizeof(*w->v), name_cmp) :
	    NULL;
	if (hit != NULL)
		etag_part(hit->etag, want);
	if (hit == NULL || strcmp(want, etag) != 0)
		(void)s3_delete(be->c, it->key, NULL);
	return 0;
}

struct claim_walk {
	struct s3 *c;
	size_t skip;        /* the prefix's length */
	int64_t before;
};

/* A claim of a name dated before `before`: its writer is long gone. */
static int
on_old_claim(void *arg, const struct s3_item *it)
{
	struct claim_walk *w = arg;
	char name[BSTORE_NAME_MAX];
	const char *p = it->key + w->skip, *slash = strchr(p, '/');
	int64_t created;

	if (slash == NULL || (size_t)(slash - p) >= sizeof(name))
		return 0;
	memcpy(name, p, (size_t)(slash - p));
	name[slash - p] = '\0';
	if (bstore_name_parse(name, NULL, &created) != 0 ||
	    created < w->before)
		(void)s3_delete(w->c, it->key, NULL);
	return 0;
}

/*
 * Aborts the multipart uploads killed writers left (begun more than
 * COFFER_S3_UPLOAD_AGE seconds ago, default an hour: a live writer's is
 * younger) and removes marks of backups no longer there.
 */
static int
s3_gc(struct bstore *s, size_t *removedp)
{
	struct s3_be *be = s->be;
	struct stale_walk w = { s, NULL, 0 };
	const char *age = getenv("COFFER_S3_UPLOAD_AGE");
	int64_t a = age != NULL && *age ? strtoll(age, NULL, 10) :
	    UPLOAD_AGE_DEFAULT;
	char pre[S3_KEY_MAX];
	int r;

	if (a < 0)
		a = UPLOAD_AGE_DEFAULT;
	if ((r = s3_abort_uploads(be->c, be->prefix, (int64_t)time(NULL) - a,
	    removedp)) != 0)
		return r;
	{
		struct claim_walk cw = { be->c, 0, (int64_t)time(NULL) - a };

		key_of(be, CLAIMS, "", pre);
		cw.skip = strlen(pre);
		if ((r = s3_list(be->c, pre, 0, on_old_claim, &cw)) != 0)
			return r;
	}
	if ((r = scan_full(s, &w.v, &w.n)) != 0)
		return r;
	if (w.n > 0)	/* an empty store: v is NULL, which qsort may not take */
		qsort(w.v, w.n, sizeof(*w.v), name_cmp);
	key_of(be, MARKS, "", pre);
	r = s3_list(be->c, pre, 0, on_stale_mark, &w);
	free(w.v);
	return r;
}

const struct bstore_ops bstore_s3_ops = {
	.scheme = S3_SCHEME,
	.init = s3_init_store,
	.open = s3_open_store,
	.close = s3_close_store,
	.list = s3_list_store,
	.list_each = s3_list_each,
	.count = s3_count,
	.show = s3_show,
	.verify = s3_verify,
	.mark_verified = s3_mark_verified,
	.open_backup = s3_open_backup,
	.begin = s3_begin,
	.txn_write = s3_txn_write,
	.commit = s3_commit,
	.txn_free = s3_txn_free,
	.trash = s3_trash,
	.untrash = s3_untrash,
	.trash_list = s3_trash_list,
	.purge = s3_purge,
	.prune = s3_prune,
	.gc = s3_gc,
	.series_verified = s3_series_verified,
};
