/*
 * Restoring a backup, and checking one deeply: the archive is read in one
 * pass, its record stream (records.bin) straight into the sealed reader, so
 * every chunk is authenticated as it arrives; nothing is committed until
 * the whole file has checked out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup.h"
#include "backup_source.h"
#include "endpoint.h"
#include "chan.h"
#include "crypto.h"
#include "err.h"
#include "object.h"
#include "object_int.h"
#include "partition.h"
#include "recpipe.h"
#include "sealed.h"
#include "secret.h"
#include "sks.h"
#include "sks_int.h"

/* A selection of labels; found[i] is set when labels[i] was seen. */
struct backup_sel {
	const char *const *labels;
	size_t n;
	unsigned char *found;
};

/* Starts a selection (n 0: everything); a label twice is CE_INVALID. */
static int
sel_init(struct backup_sel *sel, const char *const *labels, size_t n)
{
	size_t i, j;

	memset(sel, 0, sizeof(*sel));
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(labels[i], labels[j]) == 0) {
				err_set_detail("object '%s' is selected twice",
				    labels[i]);
				return CE_INVALID;
			}
	if ((sel->found = calloc(n, 1)) == NULL)
		return CE_NOMEM;
	sel->labels = labels;
	sel->n = n;
	return 0;
}

/* Returns 1 when label is selected (and marks it found). */
static int
sel_take(struct backup_sel *sel, const char *label)
{
	size_t i;

	for (i = 0; i < sel->n; i++)
		if (strcmp(sel->labels[i], label) == 0) {
			sel->found[i] = 1;
			return 1;
		}
	return sel->n == 0;
}

/* CE_NOT_FOUND naming the first label never seen, or 0. */
static int
sel_check(const struct backup_sel *sel)
{
	size_t i;

	for (i = 0; i < sel->n; i++)
		if (!sel->found[i]) {
			err_set_detail("object '%s' is not in the backup; "
			    "nothing was written", sel->labels[i]);
			return CE_NOT_FOUND;
		}
	return 0;
}

/* A backup being read: the file, the archive, the opened stream. */
struct opened {
	int fd;
	struct cbk_reader *rd;
	struct sealed_reader *sr;
	struct chan *in;
	struct cbk_manifest m;
};

static void
opened_close(struct opened *o)
{
	chan_free(o->in);
	sealed_reader_free(o->sr);
	cbk_reader_free(o->rd);
	if (o->fd >= 0)
		close(o->fd);
	memset(o, 0, sizeof(*o));
	o->fd = -1;
}

/* The file name must be the one the manifest gives (label, serial, time). */
static int
name_matches(const char *name, const struct cbk_manifest *m)
{
	char want[BSTORE_NAME_MAX];
	int r;

	if ((r = bstore_manifest_name(m, want)) != 0)
		return r;
	if (strcmp(want, name) != 0) {
		err_set_detail("'%s' holds the backup '%s': renamed, refused",
		    name, want);
		return CE_INTEGRITY;
	}
	return 0;
}

/*
 * A format 2 backup that did not open says which secret was wrong: its
 * domain checks tell whether one of doms is among its domains (then the
 * backup password is wrong), and else name the domains it was made under
 * with their KDF profiles, since the same password under another profile
 * is another domain.
 */
static void
why_closed(const char *name, const struct cbk_manifest *m,
    const struct xfer_domain *doms, size_t ndoms, const char *who)
{
	int present[CBK_DOMAINS_MAX];
	char list[3 * (CBK_DOMAIN_LABEL_MAX + 48)] = "";
	size_t i, len;

	if (backup_domains_present(m, doms, ndoms, present) == 0)
		for (i = 0; i < m->ndomains; i++)
			if (present[i]) {
				err_set_detail("'%s' does not open: the backup "
				    "password is wrong (the cloning domain '%s' "
				    "is right); nothing was written", name,
				    m->domains[i].label);
				return;
			}
	for (i = 0; i < m->ndomains; i++) {
		len = strlen(list);
		snprintf(list + len, sizeof(list) - len, "%s'%s' (%s%s%s)",
		    i > 0 ? ", " : "", m->domains[i].label, m->domains[i].type,
		    strcmp(m->domains[i].type, "password") == 0 ?
		    ", profile " : "", strcmp(m->domains[i].type,
		    "password") == 0 ? m->domains[i].kdf : "");
	}
	err_set_detail("'%s' does not open: %s holds none of the cloning "
	    "domains it was made under: %s. A domain password is a "
	    "different domain under another KDF profile: check --kdf or "
	    "the partition's domains; nothing was written", name, who, list);
}

/*
 * Opens backup name and its sealed stream with the password and one of
 * doms; who is what holds doms, for the message when none opens it.
 */
static int
open_backup(struct bstore *st, const char *name, const struct secret *pw,
    const struct xfer_domain *doms, size_t ndoms, const char *who,
    struct opened *o)
{
	const uint8_t *hdr;
	uint8_t ad[CC_HASH_LEN];
	size_t hlen;
	int r;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	if ((r = bstore_open_backup(st, name, &o->fd)) != 0 ||
	    (r = cbk_reader_open(o->fd, &o->rd)) != 0)
		return r;
	o->m = *cbk_reader_manifest(o->rd);
	if ((r = name_matches(name, &o->m)) != 0)
		return r;
	cbk_reader_header(o->rd, &hdr, &hlen);
	if ((r = cbk_manifest_ad(&o->m, ad)) != 0)
		return r;
	r = sealed_open(hdr, hlen, pw, doms, ndoms, ad, sizeof(ad), &o->sr);
	if (r == CE_BAD_CREDENTIAL && o->m.format_version >= 2)
		why_closed(name, &o->m, doms, ndoms, who);
	else if (r == CE_BAD_CREDENTIAL)
		err_set_detail("'%s' does not open: the backup password is "
		    "wrong, or %s holds none of the cloning domains it was "
		    "made under; nothing was written", name, who);
	else if (r == CE_INTEGRITY)
		err_set_detail("'%s': the header does not match the manifest "
		    "(tampered with)", name);
	/* Inside a backup, a header that does not even parse is damage. */
	else if (r == CE_FORMAT || r == CE_TRUNCATED || r == CE_TRAILING)
		r = CE_INTEGRITY;
	if (r != 0)
		return r;
	return chan_func_new(NULL, cbk_reader_records_read, o->rd, &o->in);
}

/* Reads every record through fn, then checks the rest of the file. */
static int
read_all(struct opened *o, xfer_record_fn *fn, void *arg, uint64_t *countp)
{
	int r;

	if ((r = sealed_read(o->sr, o->in, fn, arg, countp)) != 0)
		return r;
	/* A V1 backup's records: the SMK record, then one blob an object. */
	if (*countp != o->m.object_count + (o->m.partition_version == 1)) {
		err_set_detail("the backup holds %llu records; its manifest "
		    "says %llu", (unsigned long long)*countp,
		    (unsigned long long)o->m.object_count);
		return CE_INTEGRITY;
	}
	return cbk_reader_finish(o->rd);
}

struct apply_ctx {
	struct endpoint_sink *k;
	struct endpoint_feed *feed; /* to the thread that applies, in order */
	struct backup_sel *sel;
	const struct restore_params *p;
	uint64_t n, taken, total;
};

/*
 * One record as it comes out of the archive, on the reading thread: the
 * selection is decided here, the record queued for the applying thread.
 */
static int
restore_one(void *arg, uint8_t kind, const uint8_t *p, size_t n)
{
	struct apply_ctx *c = arg;
	struct object *o = NULL;
	struct sks_blob_info bi;
	const uint8_t *val;
	size_t vlen;
	int take;

	c->n++;
	if (c->p->progress != NULL && (c->n & 1023) == 0)
		c->p->progress(c->p->ctx, c->n, c->total);
	if (c->sel->n > 0 && kind == XFER_REC_SKS_BLOB) {
		/* A blob's label is in its clear header: nothing decrypted. */
		if (sks_blob_parse(p, n, &bi) != 0) {
			err_set_detail("record %llu is not an SKS blob",
			    (unsigned long long)c->n);
			return CE_INTEGRITY;
		}
		if (!sel_take(c->sel, bi.label))
			return 0;
	} else if (c->sel->n > 0 && kind != XFER_REC_SMK) {
		if (kind != XFER_REC_V0_OBJECT ||
		    object_decode_view(p, n, &o, &val, &vlen) != 0) {
			err_set_detail("record %llu is not a V0 object record",
			    (unsigned long long)c->n);
			return CE_INTEGRITY;
		}
		take = sel_take(c->sel, o->label);
		object_free(o);
		if (!take)
			return 0;
	}
	c->taken++;
	return endpoint_feed_record(c->feed, kind, p, n);
}

int
backup_restore(struct endpoint *e, struct bstore *st, const char *name,
    const struct restore_params *p, struct restore_result *res)
{
	const struct partition_info *pi = endpoint_info(e);
	const struct endpoint_stats *es;
	const struct xfer_domain *doms;
	struct endpoint_sink_opts so;
	struct backup_sel sel;
	struct apply_ctx ac;
	struct opened o;
	char who[PARTITION_LABEL_MAX + 32], detail[BSTORE_NAME_MAX + 16];
	size_t ndoms, i;
	int r;

	memset(res, 0, sizeof(*res));
	memset(&o, 0, sizeof(o));
	memset(&ac, 0, sizeof(ac));
	o.fd = -1;
	if (p->mode != BACKUP_REPLACE && p->mode != BACKUP_ADD) {
		err_set_detail("choose --replace or --add");
		return CE_USAGE;
	}
	/* Restoring moves key material in as cloning does: same policies. */
	if ((r = endpoint_cloning_check(e)) != 0)
		return r;
	if ((r = sel_init(&sel, p->labels, p->nlabels)) != 0)
		return r;
	snprintf(who, sizeof(who), "partition '%s'", pi->label);
	doms = endpoint_domains(e, &ndoms);
	if ((r = open_backup(st, name, p->password, doms, ndoms, who,
	    &o)) != 0)
		goto out;
	memset(&so, 0, sizeof(so));
	so.conflict = p->mode == BACKUP_ADD ? ENDPOINT_SKIP : ENDPOINT_REPLACE;
	/* With a selection, --replace replaces those objects only. */
	so.empty_first = p->mode == BACKUP_REPLACE && sel.n == 0;
	/* V1: emptying the target first is what --replace promises, so the
	 * backup's SMK may take over even from objects under another one. */
	so.force_smk = so.empty_first;
	so.allow_retired_smk = p->allow_retired_smk;
	so.audit_event = "restore";
	snprintf(detail, sizeof(detail), "from %s", name);
	so.audit_detail = detail;
	ac.sel = &sel;
	ac.p = p;
	ac.total = o.m.object_count;
	/*
	 * Staged in one transaction, committed only if everything checks out.
	 * Reading (decompression, chunk authentication, decryption; a V0
	 * row's decode and sealing, a V1 blob's check) and applying (the
	 * insert) each get a core: the sink and its SQLite connection are
	 * used by the feed's thread alone until endpoint_feed_finish has
	 * joined it.
	 */
	if ((r = endpoint_sink_new(e, &so, &ac.k)) != 0 ||
	    (r = endpoint_feed_new(ac.k, &ac.feed)) != 0 ||
	    (r = read_all(&o, restore_one, &ac, &res->records)) != 0 ||
	    (r = endpoint_feed_finish(ac.feed)) != 0 ||
	    (r = sel_check(&sel)) != 0 ||
	    (r = endpoint_sink_commit(ac.k, ac.taken)) != 0 ||
	    (r = endpoint_commit(e)) != 0)
		goto out;
	es = endpoint_sink_stats(ac.k);
	if (p->on_skip != NULL)
		for (i = 0; i < es->nskips; i++)
			p->on_skip(p->ctx, es->skips[i].label,
			    es->skips[i].reason);
	if (p->progress != NULL)
		p->progress(p->ctx, res->records, ac.total);
	res->m = o.m;
	res->written = es->written;
	res->replaced = es->replaced;
	res->skipped = es->skipped;
	snprintf(res->domain, sizeof(res->domain), "%s",
	    sealed_reader_domain(o.sr));
	r = 0;
 out:
	endpoint_feed_free(ac.feed); /* first: it stops the thread using k */
	endpoint_sink_free(ac.k);
	opened_close(&o);
	free(sel.found);
	return r;
}

int
backup_read(struct bstore *st, const char *name,
    const struct secret *password, const struct xfer_domain *doms,
    size_t ndoms, const char *who, xfer_record_fn *fn, void *arg,
    struct restore_result *res)
{
	struct opened o;
	int r;

	memset(res, 0, sizeof(*res));
	if ((r = open_backup(st, name, password, doms, ndoms, who, &o)) != 0 ||
	    (r = read_all(&o, fn, arg, &res->records)) != 0)
		goto out;
	res->m = o.m;
	snprintf(res->domain, sizeof(res->domain), "%s",
	    sealed_reader_domain(o.sr));
 out:
	opened_close(&o);
	return r;
}

struct check_ctx {
	backup_progress_fn *progress;
	void *ctx;
	uint64_t n, total;
	int v1;                 /* the manifest says V1: an SMK, then blobs */
	struct secret *smk;     /* from the V1 stream's SMK record */
	struct sks_blob_keys *keys; /* its blob keys, set up once */
	struct secret *scratch; /* one opened blob at a time */
};

/* A V1 record: the SMK record first and once, then blobs it opens. */
static int
check_v1(struct check_ctx *c, uint8_t kind, const uint8_t *p, size_t n,
    const uint8_t **recp, size_t *lenp)
{
	struct sks_blob_info bi;
	uint8_t id[SKS_ID_LEN];

	if (kind == XFER_REC_SMK) {
		if (c->smk != NULL || c->n != 0 ||
		    sks_smk_record_parse(p, n, &c->smk, id) != 0 ||
		    sks_blob_keys_new(secret_ptr(c->smk), &c->keys) != 0) {
			err_set_detail("the SMK record is malformed or not "
			    "first and only");
			return CE_INTEGRITY;
		}
		return 1;
	}
	if (kind != XFER_REC_SKS_BLOB || c->smk == NULL || n > SKS_BLOB_MAX) {
		err_set_detail("record %llu: kind %u where a V1 backup holds an "
		    "SKS blob after its SMK record", (unsigned long long)c->n,
		    kind);
		return CE_INTEGRITY;
	}
	/* Every blob authenticated under the backup's own SMK. */
	if (sks_blob_open_k(c->keys, p, n, &bi,
	    secret_ptr(c->scratch), lenp) != 0) {
		err_set_detail("blob %llu does not open under the backup's SMK",
		    (unsigned long long)c->n);
		return CE_INTEGRITY;
	}
	*recp = secret_ptr(c->scratch);
	return 0;
}

/* An object record decodes; counted, with progress. */
static int
check_record(struct check_ctx *c, const uint8_t *p, size_t n)
{
	struct object *o = NULL;
	const uint8_t *val;
	size_t vlen;

	/* A view: no guarded copy of each value just to check it decodes. */
	if (object_decode_view(p, n, &o, &val, &vlen) != 0) {
		err_set_detail("record %llu is not a valid object record",
		    (unsigned long long)c->n);
		return CE_INTEGRITY;
	}
	object_free(o);
	c->n++;
	if (c->progress != NULL && (c->n & 1023) == 0)
		c->progress(c->ctx, c->n, c->total);
	return 0;
}

/* Deep check of one record: the right kind, and it decodes (V1: opens). */
static int
check_one(void *arg, uint8_t kind, const uint8_t *p, size_t n)
{
	struct check_ctx *c = arg;
	int r;

	if (c->v1) {
		if ((r = check_v1(c, kind, p, n, &p, &n)) != 0)
			return r == 1 ? 0 : r;
	} else if (kind != XFER_REC_V0_OBJECT) {
		err_set_detail("record kind %u in a V0 backup", kind);
		return CE_INTEGRITY;
	}
	return check_record(c, p, n);
}

/*
 * On two cores: the reading thread decompresses, authenticates and
 * decrypts the stream, and the checking thread decodes every record (V0:
 * that is all that is left to do). V1: opening the blobs is most of the
 * check, so the
 * reading thread opens every other blob itself and hands it on opened
 * (DEEP_OPENED); the checking thread opens the rest and decodes them all,
 * in order. Each thread sets up its own keys from the SMK record: a keyed
 * GCM context is not shared between threads. Whatever the reading side
 * cannot use (a second SMK record, a blob before one) goes on as it came
 * and the checking side refuses it, with its usual message.
 */
#define DEEP_OPENED 0xff
/*
 * V0: the checking thread's decode was more than half the work, so the
 * reading thread decodes one record in DEEP_V0_SHARE itself and sends on
 * only that it did (DEEP_CHECKED, no bytes), which the checking side
 * counts.
 */
#define DEEP_CHECKED 0xfe
#define DEEP_V0_SHARE 6

struct deep_read {
	struct check_ctx c;     /* the reading thread's SMK and keys; n: blobs */
	struct recpipe *pipe;
	uint64_t v0;            /* V0 records seen */
};

static int
deep_read(void *arg, uint8_t kind, const uint8_t *p, size_t n)
{
	struct deep_read *d = arg;
	const uint8_t *rec;
	size_t len;
	int r;

	if (kind == XFER_REC_V0_OBJECT && d->c.smk == NULL &&
	    d->v0++ % DEEP_V0_SHARE == DEEP_V0_SHARE - 1) {
		d->c.n = d->v0 - 1; /* check_record names it by its index */
		if ((r = check_record(&d->c, p, n)) != 0)
			return r;
		return recpipe_emit(d->pipe, DEEP_CHECKED, p, 0);
	}
	if (kind == XFER_REC_SMK && d->c.smk == NULL)
		(void)check_v1(&d->c, kind, p, n, &rec, &len);
	else if (kind == XFER_REC_SKS_BLOB && d->c.keys != NULL &&
	    (d->c.n++ & 1) != 0) {
		d->c.n--; /* check_v1 names the blob by its index */
		r = check_v1(&d->c, kind, p, n, &rec, &len);
		d->c.n++;
		if (r != 0)
			return r;
		return recpipe_emit(d->pipe, DEEP_OPENED, rec, len);
	}
	return recpipe_emit(d->pipe, kind, p, n);
}

/* The checking thread's side of deep_read (a recpipe_fn). */
static int
deep_check(void *arg, uint8_t kind, const void *p, size_t n)
{
	struct check_ctx *c = arg;

	if (kind == DEEP_OPENED)
		return check_record(c, p, n);
	if (kind == DEEP_CHECKED) {
		/* decoded on the reading side: counted here, in order */
		if (c->v1) {
			err_set_detail("record %llu is a V0 object record in a "
			    "V1 backup", (unsigned long long)c->n);
			return CE_INTEGRITY;
		}
		c->n++;
		if (c->progress != NULL && (c->n & 1023) == 0)
			c->progress(c->ctx, c->n, c->total);
		return 0;
	}
	return check_one(c, kind, p, n);
}

int
backup_verify_deep(struct bstore *st, const char *name,
    const struct secret *password, const struct xfer_domain *doms,
    size_t ndoms, backup_progress_fn *progress, void *ctx,
    struct restore_result *res)
{
	struct check_ctx c;
	struct deep_read d;
	struct opened o;
	int r;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	memset(&d, 0, sizeof(d));
	c.progress = progress;
	c.ctx = ctx;
	if ((r = open_backup(st, name, password, doms, ndoms,
	    "the domain given", &o)) != 0) {
		/* Damage found before opening still unmarks it. */
		if (r == CE_INTEGRITY || r == CE_AUTH_TAG)
			(void)bstore_mark_verified(st, name, 0);
		goto out;
	}
	c.total = o.m.object_count;
	c.v1 = o.m.partition_version == 1;
	if (c.v1 && (c.scratch = secret_new(SKS_BLOB_MAX)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if (c.v1 && (d.c.scratch = secret_new(SKS_BLOB_MAX)) == NULL)
		r = CE_NOMEM;
	else if ((r = recpipe_new(deep_check, &c, &d.pipe)) == 0 &&
	    (r = read_all(&o, deep_read, &d, &res->records)) == 0)
		r = recpipe_finish(d.pipe);
	if (r == 0 && c.v1 && c.smk == NULL) {
		err_set_detail("a V1 backup without its SMK record");
		r = CE_INTEGRITY;
	}
	res->m = o.m;
	snprintf(res->domain, sizeof(res->domain), "%s",
	    sealed_reader_domain(o.sr));
	if (r == 0 || r == CE_INTEGRITY || r == CE_AUTH_TAG ||
	    r == CE_TRUNCATED || r == CE_TRAILING) {
		int keep = r;
		char detail[512];

		snprintf(detail, sizeof(detail), "%s", err_detail());
		if ((r = bstore_mark_verified(st, name, keep == 0)) == 0 ||
		    keep != 0)
			r = keep;
		err_set_detail("%s", detail);
	}
 out:
	recpipe_free(d.pipe); /* first: it stops the thread using c */
	secret_free(d.c.smk);
	sks_blob_keys_free(d.c.keys);
	secret_free(d.c.scratch);
	secret_free(c.smk);
	sks_blob_keys_free(c.keys);
	secret_free(c.scratch);
	opened_close(&o);
	return r;
}

int
backup_verify(struct bstore *st, const char *name, struct bstore_entry *ep)
{
	/*
	 * Every store's verify reads the archive once for all of it: the
	 * structure and hashes, the name, the sealed stream's header and every
	 * chunk's order and checksum (bstore.c, archive_walk). An rbs server
	 * does it where the file is, so nothing is downloaded for it.
	 */
	return bstore_verify(st, name, ep);
}
