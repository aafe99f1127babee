/*
 * Making a backup: the partition's objects, as records, into a sealed
 * stream spooled in the store, then the archive committed by rename.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "backup_int.h"
#include "buf.h"
#include "chan.h"
#include "crypto.h"
#include "domain.h"
#include "err.h"
#include "hsm.h"
#include "object.h"
#include "partition.h"
#include "role.h"
#include "sealed.h"
#include "secret.h"

/* Per-record overhead in the estimate: framing, chunking, compression. */
#define RECORD_OVERHEAD 64

int
backup_doms_get(struct session *s, struct backup_doms *d)
{
	size_t i;
	int r;

	memset(d, 0, sizeof(*d));
	if ((r = domain_list_get(s, &d->list)) != 0)
		return r;
	for (i = 0; i < d->list.n && i < XFER_MAX_DOMAINS; i++) {
		d->x[i].label = d->list.d[i].label;
		d->x[i].key = d->list.d[i].key;
	}
	d->n = i;
	if (d->n == 0) {
		err_set_detail("partition '%s' holds no cloning domain",
		    session_label(s));
		return CE_DOMAIN_MISMATCH;
	}
	return 0;
}

void
backup_doms_clear(struct backup_doms *d)
{
	domain_list_clear(&d->list);
	memset(d->x, 0, sizeof(d->x));
	d->n = 0;
}

int
backup_sel_init(struct backup_sel *sel, const char *const *labels, size_t n)
{
	size_t i, j;

	memset(sel, 0, sizeof(*sel));
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (labels[i][0] == '\0') {
			err_set_detail("an empty object label was selected");
			return CE_INVALID;
		}
		for (j = 0; j < i; j++)
			if (strcmp(labels[i], labels[j]) == 0) {
				err_set_detail("object '%s' is selected twice",
				    labels[i]);
				return CE_INVALID;
			}
	}
	if ((sel->found = calloc(n, 1)) == NULL)
		return CE_NOMEM;
	sel->labels = labels;
	sel->n = n;
	return 0;
}

int
backup_sel_take(struct backup_sel *sel, const char *label)
{
	size_t i;

	if (sel->n == 0)
		return 1;
	for (i = 0; i < sel->n; i++)
		if (strcmp(sel->labels[i], label) == 0) {
			sel->found[i] = 1;
			return 1;
		}
	return 0;
}

int
backup_sel_check(const struct backup_sel *sel, const char *where)
{
	size_t i;

	for (i = 0; i < sel->n; i++)
		if (!sel->found[i]) {
			err_set_detail("object '%s' is not in %s; nothing was "
			    "written", sel->labels[i], where);
			return CE_NOT_FOUND;
		}
	return 0;
}

void
backup_sel_free(struct backup_sel *sel)
{
	free(sel->found);
	memset(sel, 0, sizeof(*sel));
}

/* The sealed stream's output: into the store's spool, sized and hashed. */
struct spool_out {
	struct bstore_txn *t;
	struct cc_hash *h;
	uint64_t size;
};

static int
spool_write(void *arg, const void *p, size_t n)
{
	struct spool_out *o = arg;
	int r;

	if ((r = cc_hash_update(o->h, p, n)) != 0 ||
	    (r = bstore_txn_write(o->t, p, n)) != 0)
		return r;
	o->size += n;
	return 0;
}

struct produce {
	struct sealed_writer *w;
	struct backup_sel *sel;
	const struct backup_params *p;
	uint64_t total, count, plain;
};

static int
produce_one(void *ctx, const struct object_info *oi, const uint8_t *rec,
    size_t len)
{
	struct produce *pr = ctx;
	int r;

	if (!backup_sel_take(pr->sel, oi->label))
		return 0;
	if ((r = sealed_writer_record(pr->w, XFER_REC_V0_OBJECT, rec, len)) != 0)
		return r;
	pr->count++;
	pr->plain += len;
	if (pr->p->progress != NULL && (pr->count & 1023) == 0)
		pr->p->progress(pr->p->ctx, pr->count, pr->total);
	return 0;
}

/* The checks that need no store: version, policy, domains, selection. */
static int
preconditions(struct session *s, const struct backup_params *p,
    struct partition_info *pi, struct backup_sel *sel)
{
	struct object_info oi;
	size_t i;
	int r;

	if ((r = partition_session_info(s, pi)) != 0)
		return r;
	if (pi->version != 0) {
		err_set_detail("partition '%s' is a V1 (SKS) partition: V1 "
		    "backups arrive with SKS", pi->label);
		return CE_UNSUPPORTED;
	}
	if (!pi->cloning) {
		err_set_detail("partition '%s' may not clone (%s): a backup "
		    "moves key material as cloning does; ask the %s to allow "
		    "it", pi->label, !pi->hsm_allow_cloning ?
		    "HSM policy 7 is off" : "its allow-cloning policy is off",
		    !pi->hsm_allow_cloning ? "HSM SO" : "Partition SO");
		return CE_POLICY;
	}
	if ((r = backup_sel_init(sel, p->labels, p->nlabels)) != 0)
		return r;
	for (i = 0; i < sel->n; i++)
		if ((r = object_find(s, sel->labels[i], &oi)) != 0) {
			if (r == CE_NOT_FOUND)
				err_set_detail("object '%s' is not in partition "
				    "'%s'; nothing was created", sel->labels[i],
				    pi->label);
			return r;
		}
	return 0;
}

static void
audit_backup(struct session *s, const struct backup_params *p,
    const char *name, int rc, uint64_t count)
{
	struct audit_event ev;
	char detail[256];

	memset(&ev, 0, sizeof(ev));
	ev.event = "backup";
	ev.ok = rc == 0;
	ev.role = role_name(session_role(s));
	ev.partition = session_label(s);
	ev.serial = session_serial(s);
	ev.count = rc == 0 ? (int64_t)count : -1;
	if (rc == 0)
		snprintf(detail, sizeof(detail), "to %s as %s",
		    p->store_uri ? p->store_uri : "a store", name);
	else
		snprintf(detail, sizeof(detail), "to %s: %s",
		    p->store_uri ? p->store_uri : "a store", err_str(rc));
	ev.detail = detail;
	/* The backup's outcome stands whether or not the audit line lands. */
	(void)hsm_audit(session_hsm(s), &ev);
}

int
backup_make(struct session *s, struct bstore *st,
    const struct backup_params *p, struct backup_result *res)
{
	struct partition_info pi;
	struct backup_sel sel;
	struct backup_doms doms;
	struct cbk_manifest m;
	struct bstore_txn *t = NULL;
	struct sealed_writer *w = NULL;
	struct chan *out = NULL;
	struct buf *hdr = NULL;
	struct spool_out so;
	struct produce pr;
	uint8_t ad[CC_HASH_LEN];
	uint64_t estimate;
	int r;

	memset(res, 0, sizeof(*res));
	memset(&sel, 0, sizeof(sel));
	memset(&doms, 0, sizeof(doms));
	memset(&so, 0, sizeof(so));
	memset(&pr, 0, sizeof(pr));
	memset(&m, 0, sizeof(m));
	if ((r = preconditions(s, p, &pi, &sel)) != 0 ||
	    (r = backup_doms_get(s, &doms)) != 0)
		goto out;
	m.format_version = CBK_FORMAT_VERSION;
	snprintf(m.tool_version, sizeof(m.tool_version), "%s",
	    BACKUP_TOOL_VERSION);
	snprintf(m.label, sizeof(m.label), "%s", pi.label);
	snprintf(m.serial, sizeof(m.serial), "%llu",
	    (unsigned long long)pi.serial);
	m.partition_version = 0;
	estimate = pi.used + pi.objects * RECORD_OVERHEAD;
	/* Capacity, name and disk space: the store refuses before creating. */
	if ((r = bstore_begin(st, &m, estimate, &t)) != 0)
		goto out;
	if ((r = bstore_name_parse(bstore_txn_name(t), NULL, &m.created)) != 0)
		goto out;
	so.t = t;
	if ((r = cc_hash_new(&so.h)) != 0 ||
	    (r = chan_func_new(spool_write, NULL, &so, &out)) != 0 ||
	    (r = sealed_writer_new(p->password, p->kdf, doms.x, doms.n, out,
	    &w)) != 0)
		goto out;
	pr.w = w;
	pr.sel = &sel;
	pr.p = p;
	pr.total = sel.n ? sel.n : pi.objects;
	if ((r = object_foreach(s, produce_one, &pr)) != 0 ||
	    (r = backup_sel_check(&sel, "the partition")) != 0 ||
	    (r = sealed_writer_finish(w)) != 0)
		goto out;
	m.object_count = pr.count;
	m.plain_bytes = pr.plain;
	m.records_size = so.size;
	if ((r = cc_hash_peek(so.h, m.records_sha384)) != 0 ||
	    (r = cbk_manifest_ad(&m, ad)) != 0 ||
	    (r = sealed_writer_header(w, ad, sizeof(ad), &hdr)) != 0)
		goto out;
	if ((r = bstore_commit(t, &m, buf_ptr(hdr), buf_len(hdr),
	    res->name)) != 0)
		goto out;
	if (p->progress != NULL)
		p->progress(p->ctx, pr.count, pr.total);
	res->created = m.created;
	res->objects = pr.count;
	res->plain_bytes = pr.plain;
	res->records_size = so.size;
	snprintf(res->domain, sizeof(res->domain), "%s", doms.x[0].label);
	res->ndomains = doms.n;
	r = 0;
 out:
	{
		char detail[512];

		/* Every attempt is audited; the failure's detail line stays. */
		snprintf(detail, sizeof(detail), "%s", err_detail());
		audit_backup(s, p, r == 0 ? res->name : t != NULL ?
		    bstore_txn_name(t) : "", r, pr.count);
		err_set_detail("%s", detail);
	}
	sealed_writer_free(w);
	chan_free(out);
	cc_hash_free(so.h);
	buf_free(hdr);
	bstore_txn_free(t);
	backup_doms_clear(&doms);
	backup_sel_free(&sel);
	return r;
}
