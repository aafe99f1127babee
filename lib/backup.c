/*
 * Making a backup: the partition's objects, as records from the endpoint's
 * producer, into a sealed stream spooled in the store, then the archive
 * committed by rename.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "buf.h"
#include "chan.h"
#include "crypto.h"
#include "endpoint.h"
#include "err.h"
#include "domain.h"
#include "hsm.h"
#include "kdf.h"
#include "object.h"
#include "recpipe.h"
#include "partition.h"
#include "role.h"
#include "sealed.h"

/* Per-record overhead in the estimate: framing, chunking, compression. */
#define RECORD_OVERHEAD 64

/*
 * The sealed stream's output: into the store's spool, sized and hashed.
 * The hash runs on a thread of its own (hashing), fed through a recpipe:
 * on the sealing thread it was a fifth of a V1 backup's busiest core,
 * while the reading thread had most of the other core to spare.
 */
struct spool_out {
	struct bstore_txn *t;
	struct cc_hash *h;
	struct recpipe *hashing;
	uint64_t size;
};

static int
spool_write(void *arg, const void *p, size_t n)
{
	struct spool_out *o = arg;
	int r;

	if ((r = recpipe_write(o->hashing, p, n)) != 0 ||
	    (r = bstore_txn_write(o->t, p, n)) != 0)
		return r;
	o->size += n;
	return 0;
}

/* Counts plain bytes on the way to the sealed writer. */
struct emit_ctx {
	struct sealed_writer *w;
	uint64_t plain;
	struct object_psk *pk; /* opens V0 rows (ENDPOINT_REC_ROW) */
	struct buf *rec;          /* the record of the row just opened */
};

static int
emit(void *arg, uint8_t kind, const void *p, size_t n)
{
	struct emit_ctx *c = arg;
	int r;

	/* A V0 row read on the other thread: opened here, into its record. */
	if (kind == ENDPOINT_REC_ROW) {
		if (c->pk == NULL)
			return CE_INVALID;
		if ((r = object_row_open(c->pk, p, n, c->rec)) != 0)
			return r;
		kind = XFER_REC_V0_OBJECT;
		p = buf_ptr(c->rec);
		n = buf_len(c->rec);
	}
	c->plain += n;
	return endpoint_emit_sealed(c->w, kind, p, n);
}

struct prog_ctx {
	const struct backup_params *p;
	uint64_t total;
};

static void
progress(void *arg, uint64_t done)
{
	struct prog_ctx *c = arg;

	if ((done & 1023) == 0)
		c->p->progress(c->p->ctx, done, c->total);
}

/* Keeps the first label endpoint_missing() reports. */
static void
first_missing(void *ctx, const char *label)
{
	char *first = ctx;

	if (first[0] == '\0')
		snprintf(first, OBJECT_LABEL_MAX + 1, "%s", label);
}

/* The checks that need no store: version, policy, selection. */
static int
preconditions(struct endpoint *e, const struct backup_params *p)
{
	const struct partition_info *pi = endpoint_info(e);
	char first[OBJECT_LABEL_MAX + 1] = "";
	int r;

	/* A backup moves key material out as cloning does. */
	if ((r = endpoint_cloning_check(e)) != 0)
		return r;
	if (p->nlabels == 0)
		return 0;
	r = endpoint_missing(e, p->labels, p->nlabels, first_missing, first);
	if (r > 0) {
		err_set_detail("object '%s'%s is not in partition '%s'; nothing "
		    "was created", first, r > 1 ? " (and others)" : "",
		    pi->label);
		r = CE_NOT_FOUND;
	}
	return r;
}

/*
 * What version 2 of the manifest records of the source (docs/formats.md
 * 7.3): the HSM, the profile, the policies and each cloning domain with a
 * salted check, so a restore can bring all of them back and tell which
 * source a backup is of.
 */
static int
describe_source(struct endpoint *e, struct cbk_manifest *m)
{
	const struct partition_info *pi = endpoint_info(e);
	struct domain_list dl;
	struct hsm_info hi;
	size_t i;
	int r;

	if ((r = hsm_get_info(endpoint_hsm(e), &hi)) != 0)
		return r;
	snprintf(m->hsm_serial, sizeof(m->hsm_serial), "%llu",
	    (unsigned long long)hi.serial);
	snprintf(m->hsm_label, sizeof(m->hsm_label), "%s", hi.label);
	snprintf(m->kdf, sizeof(m->kdf), "%s", kdf_profile_name(pi->kdf));
	m->policies.allow_cloning = pi->allow_cloning != 0;
	m->policies.storage_size = pi->capacity;
	m->policies.lockout = (unsigned)pi->lockout;
	m->policies.activation = pi->allow_activation != 0;
	cc_random(m->domain_salt, sizeof(m->domain_salt));
	if ((r = domain_list_get(endpoint_session(e), &dl)) != 0)
		return r;
	for (i = 0; i < dl.n && i < CBK_DOMAINS_MAX; i++) {
		struct cbk_domain *d = &m->domains[i];

		snprintf(d->label, sizeof(d->label), "%s", dl.d[i].label);
		snprintf(d->type, sizeof(d->type), "%s",
		    domain_type_name(dl.d[i].spec.type));
		/* A PED domain is random bytes: no password profile. */
		snprintf(d->kdf, sizeof(d->kdf), "%s", dl.d[i].spec.type ==
		    DOMAIN_PED ? "-" : kdf_profile_name(dl.d[i].spec.kdf));
		/* A form 2 password domain's salt is public: with it and the
		 * password a restore can rebuild the domain (format 3). */
		d->salted = dl.d[i].spec.salted;
		memcpy(d->salt, dl.d[i].spec.salt, CBK_SALT_LEN);
		if ((r = domain_check(dl.d[i].key, m->domain_salt,
		    d->check)) != 0)
			break;
	}
	m->ndomains = i;
	domain_list_clear(&dl);
	return r;
}

static void
audit_backup(struct endpoint *e, const struct backup_params *p,
    const char *name, int rc, uint64_t count)
{
	struct session *s = endpoint_session(e);
	struct audit_event ev;
	char detail[256], keep[512];

	snprintf(keep, sizeof(keep), "%s", err_detail());
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
	(void)hsm_audit(endpoint_hsm(e), &ev);
	err_set_detail("%s", keep);
}

/* backup_make's producer: the partition's objects (V1: SMK record first). */
struct part_produce {
	struct endpoint *e;
	const struct backup_params *p;
	struct prog_ctx pc;
	int rows;               /* V0: emit rows, opened by the sealing side */
};

static int
part_produce(void *arg, endpoint_emit_fn *emitfn, void *emitarg,
    uint64_t *objectsp)
{
	struct part_produce *pp = arg;
	struct endpoint_produce_opts po;
	uint64_t count = 0;
	int r;

	memset(&po, 0, sizeof(po));
	po.labels = pp->p->nlabels ? pp->p->labels : NULL;
	po.nlabels = pp->p->nlabels;
	po.emit = emitfn;
	po.arg = emitarg;
	po.rows = pp->rows;
	if (pp->p->progress != NULL) {
		po.progress = progress;
		po.ctx = &pp->pc;
	}
	r = endpoint_produce(pp->e, &po, &count);
	/* Objects, not records: a V1 stream has the SMK record in front. */
	if (endpoint_info(pp->e)->version == 1 && count > 0)
		count--;
	*objectsp = count;
	return r;
}

int
backup_seal(struct bstore *st, struct cbk_manifest *m,
    const struct backup_params *p, const struct xfer_domain *doms,
    size_t ndoms, uint64_t estimate, backup_produce_fn *produce, void *arg,
    struct object_psk *pk, struct backup_result *res)
{
	struct bstore_txn *t = NULL;
	struct chan *out = NULL;
	struct buf *hdr = NULL;
	struct spool_out so;
	struct emit_ctx ec;
	struct recpipe *pipe = NULL;
	uint8_t ad[CC_HASH_LEN];
	uint64_t count = 0;
	int r;

	memset(&so, 0, sizeof(so));
	memset(&ec, 0, sizeof(ec));
	ec.pk = pk;
	if (pk != NULL && (ec.rec = buf_new(OBJECT_RECORD_MAX)) == NULL)
		return CE_NOMEM;
	/* Capacity, name and disk space: the store refuses before creating. */
	if ((r = bstore_begin(st, m, estimate, &t)) != 0)
		goto out;
	snprintf(res->name, sizeof(res->name), "%s", bstore_txn_name(t));
	if ((r = bstore_name_parse(bstore_txn_name(t), NULL,
	    &m->created)) != 0)
		goto out;
	so.t = t;
	if ((r = cc_hash_new(&so.h)) != 0 ||
	    (r = recpipe_hash_new(so.h, &so.hashing)) != 0 ||
	    (r = chan_func_new(spool_write, NULL, &so, &out)) != 0 ||
	    (r = sealed_writer_new(p->password, p->kdf, doms, ndoms, out,
	    &ec.w)) != 0)
		goto out;
	/* Reading the source here, sealing and writing in a thread of its
	 * own: each gets a core. */
	if ((r = recpipe_new(emit, &ec, &pipe)) != 0)
		goto out;
	if ((r = produce(arg, recpipe_emit, pipe, &count)) != 0 ||
	    (r = recpipe_finish(pipe)) != 0 ||
	    (r = sealed_writer_finish(ec.w)) != 0 ||
	    (r = recpipe_finish(so.hashing)) != 0)
		goto out;
	m->object_count = count;
	m->plain_bytes = ec.plain;
	m->records_size = so.size;
	if ((r = cc_hash_peek(so.h, m->records_sha384)) != 0 ||
	    (r = cbk_manifest_ad(m, ad)) != 0 ||
	    (r = sealed_writer_header(ec.w, ad, sizeof(ad), &hdr)) != 0 ||
	    (r = bstore_commit(t, m, buf_ptr(hdr), buf_len(hdr),
	    res->name)) != 0)
		goto out;
	res->created = m->created;
	res->objects = count;
	res->plain_bytes = ec.plain;
	res->records_size = so.size;
	snprintf(res->domain, sizeof(res->domain), "%s", doms[0].label);
	res->ndomains = ndoms;
	r = 0;
 out:
	recpipe_free(pipe); /* first: it stops the thread using ec */
	recpipe_free(so.hashing); /* before so.h goes */
	buf_free(ec.rec);
	sealed_writer_free(ec.w);
	chan_free(out);
	cc_hash_free(so.h);
	buf_free(hdr);
	bstore_txn_free(t);
	return r;
}

int
backup_make(struct endpoint *e, struct bstore *st,
    const struct backup_params *p, struct backup_result *res)
{
	const struct partition_info *pi = endpoint_info(e);
	const struct xfer_domain *doms;
	struct part_produce pp;
	struct object_psk *pk = NULL;
	struct cbk_manifest m;
	size_t ndoms;
	int r;

	memset(res, 0, sizeof(*res));
	memset(&m, 0, sizeof(m));
	doms = endpoint_domains(e, &ndoms);
	if ((r = preconditions(e, p)) != 0)
		goto out;
	m.format_version = CBK_FORMAT_VERSION;
	snprintf(m.tool_version, sizeof(m.tool_version), "%s",
	    BACKUP_TOOL_VERSION);
	snprintf(m.label, sizeof(m.label), "%s", pi->label);
	snprintf(m.serial, sizeof(m.serial), "%llu",
	    (unsigned long long)pi->serial);
	/* V1: the SMK record, sealed like every record, then the blobs as
	 * they are stored (docs/formats.md 9.8). */
	m.partition_version = pi->version;
	if ((r = describe_source(e, &m)) != 0)
		goto out;
	memset(&pp, 0, sizeof(pp));
	pp.e = e;
	pp.p = p;
	pp.pc.p = p;
	pp.pc.total = p->nlabels ? p->nlabels : pi->objects;
	/* V0: rows are read here and opened on the sealing thread. */
	if (pi->version == 0 &&
	    (r = object_psk_new(endpoint_session(e), &pk)) != 0)
		goto out;
	pp.rows = pk != NULL;
	if ((r = backup_seal(st, &m, p, doms, ndoms, pi->used + pi->objects *
	    RECORD_OVERHEAD, part_produce, &pp, pk, res)) != 0)
		goto out;
	if (p->progress != NULL)
		p->progress(p->ctx, res->objects, pp.pc.total);
	r = 0;
 out:
	object_psk_free(pk);
	/* Every attempt is audited, refusals included. */
	audit_backup(e, p, res->name, r, res->objects);
	return r;
}
