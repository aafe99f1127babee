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
#include "backup_int.h"
#include "chan.h"
#include "crypto.h"
#include "err.h"
#include "hsm.h"
#include "object.h"
#include "partition.h"
#include "role.h"
#include "sealed.h"

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

/* The file name must be the one the manifest's label and time give. */
static int
name_matches(const char *name, const struct cbk_manifest *m)
{
	char want[BSTORE_NAME_MAX];
	int r;

	if ((r = bstore_backup_name(m->label, m->created, want)) != 0)
		return r;
	if (strcmp(want, name) != 0) {
		err_set_detail("'%s' holds the backup '%s': renamed, refused",
		    name, want);
		return CE_INTEGRITY;
	}
	return 0;
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
	if (o->m.partition_version != 0) {
		err_set_detail("'%s' is a V1 (SKS) backup: V1 backups arrive "
		    "with SKS", name);
		return CE_UNSUPPORTED;
	}
	cbk_reader_header(o->rd, &hdr, &hlen);
	if ((r = cbk_manifest_ad(&o->m, ad)) != 0)
		return r;
	r = sealed_open(hdr, hlen, pw, doms, ndoms, ad, sizeof(ad), &o->sr);
	if (r == CE_BAD_CREDENTIAL)
		err_set_detail("'%s' does not open: the backup password is "
		    "wrong, or %s holds none of the cloning domains it was "
		    "made under; nothing was written", name, who);
	else if (r == CE_INTEGRITY)
		err_set_detail("'%s': the header does not match the manifest "
		    "(tampered with)", name);
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
	if (*countp != o->m.object_count) {
		err_set_detail("the backup holds %llu records; its manifest "
		    "says %llu", (unsigned long long)*countp,
		    (unsigned long long)o->m.object_count);
		return CE_INTEGRITY;
	}
	return cbk_reader_finish(o->rd);
}

struct apply_ctx {
	struct object_apply *a;
	struct backup_sel *sel;
	const struct restore_params *p;
	uint64_t n, total;
};

static int
restore_one(void *arg, uint8_t kind, const uint8_t *p, size_t n)
{
	struct apply_ctx *c = arg;
	struct object *o = NULL;
	int r, take;

	if (kind != XFER_REC_V0_OBJECT) {
		err_set_detail("record kind %u in a V0 backup", kind);
		return CE_INTEGRITY;
	}
	c->n++;
	if (c->p->progress != NULL && (c->n & 1023) == 0)
		c->p->progress(c->p->ctx, c->n, c->total);
	if (c->sel->n > 0) {
		if ((r = object_decode(p, n, &o)) != 0)
			return CE_INTEGRITY;
		take = backup_sel_take(c->sel, o->label);
		object_free(o);
		if (!take)
			return 0;
	}
	return object_apply_add(c->a, p, n);
}

static void
audit_failed_restore(struct session *s, const char *name, int rc)
{
	struct audit_event ev;
	char detail[256], keep[512];

	snprintf(keep, sizeof(keep), "%s", err_detail());
	memset(&ev, 0, sizeof(ev));
	ev.event = "restore";
	ev.ok = 0;
	ev.role = role_name(session_role(s));
	ev.partition = session_label(s);
	ev.serial = session_serial(s);
	ev.count = -1;
	snprintf(detail, sizeof(detail), "from %s: %s; nothing was written",
	    name, err_str(rc));
	ev.detail = detail;
	(void)hsm_audit(session_hsm(s), &ev);
	err_set_detail("%s", keep);
}

int
backup_restore(struct session *s, struct bstore *st, const char *name,
    const struct restore_params *p, struct restore_result *res)
{
	struct partition_info pi;
	struct backup_doms doms;
	struct backup_sel sel;
	struct object_apply_opts ao;
	struct object_apply_stats ast;
	struct apply_ctx ac;
	struct opened o;
	char who[PARTITION_LABEL_MAX + 32], detail[BSTORE_NAME_MAX + 16];
	int r;

	memset(res, 0, sizeof(*res));
	memset(&doms, 0, sizeof(doms));
	memset(&sel, 0, sizeof(sel));
	memset(&o, 0, sizeof(o));
	memset(&ac, 0, sizeof(ac));
	memset(&ast, 0, sizeof(ast));
	o.fd = -1;
	if (p->mode != BACKUP_REPLACE && p->mode != BACKUP_ADD) {
		err_set_detail("choose --replace or --add");
		return CE_USAGE;
	}
	if ((r = backup_sel_init(&sel, p->labels, p->nlabels)) != 0 ||
	    (r = partition_session_info(s, &pi)) != 0)
		goto out;
	if (pi.version != 0) {
		err_set_detail("partition '%s' is a V1 (SKS) partition: V1 "
		    "restores arrive with SKS", pi.label);
		r = CE_UNSUPPORTED;
		goto out;
	}
	snprintf(who, sizeof(who), "partition '%s'", pi.label);
	if ((r = backup_doms_get(s, &doms)) != 0 ||
	    (r = open_backup(st, name, p->password, doms.x, doms.n, who,
	    &o)) != 0)
		goto fail;
	memset(&ao, 0, sizeof(ao));
	ao.conflict = p->mode == BACKUP_ADD ? OBJ_CONFLICT_SKIP :
	    OBJ_CONFLICT_REPLACE;
	ao.empty_first = p->mode == BACKUP_REPLACE && sel.n == 0;
	ao.audit_event = "restore";
	snprintf(detail, sizeof(detail), "from %s: ", name);
	ao.audit_detail = detail;
	ao.on_skip = p->on_skip;
	ao.ctx = p->ctx;
	ac.sel = &sel;
	ac.p = p;
	ac.total = o.m.object_count;
	/* One transaction from here: staged, committed only if all checks out. */
	if ((r = object_apply_begin(s, &ao, &ac.a)) != 0)
		goto fail;
	if ((r = read_all(&o, restore_one, &ac, &res->records)) != 0 ||
	    (r = backup_sel_check(&sel, "the backup")) != 0) {
		object_apply_abort(ac.a);
		goto fail;
	}
	if ((r = object_apply_commit(ac.a, &ast)) != 0)
		goto fail;
	if (p->progress != NULL)
		p->progress(p->ctx, res->records, ac.total);
	res->m = o.m;
	res->written = ast.written;
	res->replaced = ast.replaced;
	res->skipped = ast.skipped;
	snprintf(res->domain, sizeof(res->domain), "%s",
	    sealed_reader_domain(o.sr));
	r = 0;
	goto out;
 fail:
	audit_failed_restore(s, name, r);
 out:
	opened_close(&o);
	backup_doms_clear(&doms);
	backup_sel_free(&sel);
	return r;
}

struct check_ctx {
	backup_progress_fn *progress;
	void *ctx;
	uint64_t n, total;
};

/* Deep check of one record: the right kind, and it decodes. */
static int
check_one(void *arg, uint8_t kind, const uint8_t *p, size_t n)
{
	struct check_ctx *c = arg;
	struct object *o = NULL;

	if (kind != XFER_REC_V0_OBJECT) {
		err_set_detail("record kind %u in a V0 backup", kind);
		return CE_INTEGRITY;
	}
	if (object_decode(p, n, &o) != 0) {
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

int
backup_verify_deep(struct bstore *st, const char *name,
    const struct secret *password, const struct xfer_domain *doms,
    size_t ndoms, backup_progress_fn *progress, void *ctx,
    struct restore_result *res)
{
	struct check_ctx c;
	struct opened o;
	int r;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
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
	r = read_all(&o, check_one, &c, &res->records);
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
	opened_close(&o);
	return r;
}

/* The secret-free pass: archive structure and hashes, then the chunk walk. */
static int
walk_backup(struct bstore *st, const char *name, struct cbk_manifest *mp)
{
	struct sealed_header h;
	struct sealed_walk_info wi;
	struct opened o;
	const uint8_t *hdr;
	size_t hlen;
	int r;

	memset(&o, 0, sizeof(o));
	o.fd = -1;
	if ((r = bstore_open_backup(st, name, &o.fd)) != 0 ||
	    (r = cbk_reader_open(o.fd, &o.rd)) != 0)
		goto out;
	o.m = *cbk_reader_manifest(o.rd);
	cbk_reader_header(o.rd, &hdr, &hlen);
	if ((r = sealed_header_parse(hdr, hlen, &h)) != 0) {
		if (r == CE_FORMAT || r == CE_TRUNCATED || r == CE_TRAILING)
			r = CE_INTEGRITY;
		err_set_detail("header.bin is not a sealed stream header");
		goto out;
	}
	if ((r = chan_func_new(NULL, cbk_reader_records_read, o.rd,
	    &o.in)) != 0)
		goto out;
	if ((r = sealed_walk(o.in, &h, &wi)) != 0) {
		if (r == CE_FORMAT || r == CE_TRUNCATED || r == CE_TRAILING)
			r = CE_INTEGRITY;
		goto out;
	}
	if ((r = cbk_reader_finish(o.rd)) != 0)
		goto out;
	*mp = o.m;
 out:
	opened_close(&o);
	return r;
}

int
backup_verify(struct bstore *st, const char *name, struct bstore_entry *ep)
{
	struct cbk_manifest m;
	char detail[512];
	int r;

	/*
	 * The sealed stream's header and every chunk's order and checksum
	 * first, then bstore_verify (structure, hashes, the name; it keeps the
	 * store's mark and tells a newer format from damage).
	 */
	r = walk_backup(st, name, &m);
	if (r != 0 && r != CE_VERSION) {
		snprintf(detail, sizeof(detail), "%s", err_detail());
		if (r == CE_INTEGRITY)
			(void)bstore_mark_verified(st, name, 0);
		err_set_detail("%s", detail);
		return r;
	}
	return bstore_verify(st, name, ep);
}
