#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "err.h"
#include "hsm_int.h"
#include "object_int.h"
#include "p11.h"
#include "crypto.h"
#include "secret.h"
#include "sks_int.h"
#include "store.h"

struct object_apply {
	struct session *s;
	struct object_apply_opts o;
	struct object_apply_stats st;
	/* The next row id (V0): an object_prep's thread takes ids too. */
	_Atomic uint64_t next_id;
	int64_t dbytes;
	int64_t dcount;
	struct buf *scratch;
	int own;
	/* A V1 source's SMK (V0 target: opens its blobs; V1: checked). */
	struct secret *src_smk;
	struct sks_blob_keys *src_keys; /* its blob keys, set up once */
	uint8_t src_smk_id[SKS_ID_LEN];
	uint8_t *rec;             /* a V0 target's opened blob */
	int smk_replaced;
	int blobs_checked;        /* the caller checks them: see object.h */
	int was_empty;            /* the target held no object at begin */
	struct cc_aead *k;        /* a V0 target's PSK, keyed once */
	struct sks_bulk bulk;     /* a V1 target's blobs, counted at commit */
	/* A V0 target's capacity and use when the transaction began: nothing
	 * else writes while it is open, so the check needs no query per
	 * object. */
	uint64_t cap, used;
};

int
object_conflict_parse(const char *name, int *modep)
{
	if (strcmp(name, "fail") == 0)
		*modep = OBJ_CONFLICT_FAIL;
	else if (strcmp(name, "skip") == 0)
		*modep = OBJ_CONFLICT_SKIP;
	else if (strcmp(name, "replace") == 0)
		*modep = OBJ_CONFLICT_REPLACE;
	else {
		err_set_detail("conflict mode '%s': use fail, skip or replace",
		    name);
		return CE_INVALID;
	}
	return 0;
}

static void
apply_free(struct object_apply *a)
{
	secret_free(a->src_smk);
	sks_blob_keys_free(a->src_keys);
	cc_aead_free(a->k);
	if (a->rec != NULL) {
		sodium_memzero(a->rec, SKS_BLOB_MAX);
		free(a->rec);
	}
	buf_free(a->scratch);
	free(a);
}

int
object_apply_begin(struct session *s, const struct object_apply_opts *o,
    struct object_apply **ap)
{
	struct object_apply *a;
	uint64_t id = 0, count = 0;
	int r;

	if ((r = object_require_user(s)) != 0)
		return r;
	if (s->role != ROLE_CO) {
		err_set_detail("objects are written by the Crypto Officer");
		return CE_PERMISSION;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return CE_NOMEM;
	a->s = s;
	a->o = *o;
	a->bulk.s = s;
	if ((a->scratch = buf_new(OBJECT_RECORD_MAX)) == NULL) {
		apply_free(a);
		return CE_NOMEM;
	}
	if ((r = hsm_tx_enter(s->h, &a->own)) != 0) {
		apply_free(a);
		return r;
	}
	if (o->empty_first && (r = hsm_erase_objects_tx(s->h, s->pid)) != 0)
		goto fail;
	if ((r = object_next_id(s->h, &id)) != 0 ||
	    (r = object_psk_aead(s, &a->k)) != 0 ||
	    (r = object_capacity(s, &a->cap, &a->used, &count)) != 0)
		goto fail;
	a->was_empty = count == 0;
	atomic_init(&a->next_id, id);
	*ap = a;
	return 0;
 fail:
	r = hsm_tx_leave(s->h, a->own, r, 0);
	apply_free(a);
	return r;
}

/* Looks up a label in the target (id and size), or CE_NOT_FOUND. */
static int
label_lookup(struct session *s, const char *label, uint64_t *idp,
    uint64_t *sizep)
{
	struct object_info in;
	sqlite3_stmt *q;
	int r, rc;

	if (s->version == 1) {
		if ((r = sks_obj_find(s, label, &in)) == 0) {
			*idp = in.id;
			*sizep = in.size;
		} else if (r == CE_NOT_FOUND)
			err_set_detail(NULL);
		return r;
	}
	if ((r = store_prepare(s->h->st, "SELECT id, size FROM object WHERE "
	    "partition_id = ? AND label = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, s->pid);
	sqlite3_bind_text(q, 2, label, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*idp = (uint64_t)sqlite3_column_int64(q, 0);
		*sizep = (uint64_t)sqlite3_column_int64(q, 1);
	}
	sqlite3_reset(q);
	if (rc == SQLITE_DONE)
		return CE_NOT_FOUND;
	return rc == SQLITE_ROW ? 0 : store_err(s->h->st, rc);
}

/*
 * Makes room for label on the target by the conflict mode: 0 to write,
 * 1 to skip the record (counted), or a CE_* code.
 */
static int
make_room(struct object_apply *a, const char *label)
{
	struct session *s = a->s;
	sqlite3_stmt *q;
	uint64_t id, size;
	int r;

	/*
	 * A target emptied by this transaction, or empty when it began (a
	 * clone or a restore --add into a new partition), holds only what it
	 * wrote: a stream repeats no label (and the UNIQUE constraint would
	 * refuse one with CE_EXISTS), so there is nothing to look up.
	 */
	if (a->o.empty_first || a->was_empty) {
		a->st.written++;
		return 0;
	}
	r = label_lookup(s, label, &id, &size);
	if (r == CE_NOT_FOUND) {
		a->st.written++;
		return 0;
	}
	if (r != 0)
		return r;
	if (a->o.conflict == OBJ_CONFLICT_FAIL) {
		err_set_detail("label '%s' already exists in partition '%s'; "
		    "nothing was written (use skip or replace)", label, s->label);
		return CE_CONFLICT;
	}
	if (a->o.conflict == OBJ_CONFLICT_SKIP) {
		a->st.skipped++;
		if (a->o.on_skip != NULL)
			a->o.on_skip(a->o.ctx, label, "label exists on the target");
		return 1;
	}
	if (s->version == 1) {
		if ((r = sks_obj_delete_tx(s, id, size)) != 0)
			return r;
	} else {
		if ((r = store_prepare(s->h->st, "DELETE FROM object WHERE "
		    "id = ?", &q)) != 0)
			return r;
		sqlite3_bind_int64(q, 1, (int64_t)id);
		if ((r = hsm_step_done(s->h, q)) != 0)
			return r;
		a->dbytes -= (int64_t)size;
		a->dcount--;
	}
	a->st.replaced++;
	return 0;
}

/* Counts bytes a row added; capacity as we go, so a too-large transfer
 * stops early. */
static int
account_added(struct object_apply *a, uint64_t add)
{
	struct session *s = a->s;

	if (s->version == 0)
		a->dbytes += (int64_t)add;
	a->dcount++;
	if (a->dbytes > 0 && a->used + (uint64_t)a->dbytes > a->cap) {
		err_set_detail("partition '%s' is full: %llu of %llu bytes used "
		    "and this transfer needs %lld more; nothing was written",
		    s->label, (unsigned long long)a->used,
		    (unsigned long long)a->cap, (long long)a->dbytes);
		return CE_FULL;
	}
	return 0;
}

int
object_apply_add(struct object_apply *a, const uint8_t *rec, size_t len)
{
	struct object *o = NULL;
	const uint8_t *val;
	size_t vlen;
	uint64_t add, id;
	int r;

	/* No guarded copy of the value: it is sealed straight from rec. */
	if ((r = object_decode_view(rec, len, &o, &val, &vlen)) != 0)
		return r;
	if ((r = make_room(a, o->label)) != 0) {
		if (r == 1)
			r = 0;
		goto out;
	}
	id = atomic_fetch_add(&a->next_id, 1);
	if ((r = object_insert_tx(a->s, a->k, o, val, vlen, &id, &add,
	    a->scratch)) != 0)
		goto out;
	r = account_added(a, add);
 out:
	object_free(o);
	return r;
}

struct object_prep {
	struct object_apply *a; /* for its id counter only */
	struct object_psk *pk;  /* this thread's own context under the PSK */
};

/* A prepared row: the label and its NUL, attrs, sealed, then this. */
struct prep_hdr {
	uint64_t id, size;
	uint32_t cls, key_type, bits;
	uint32_t labellen, alen, slen;
};

int
object_prep_new(struct object_apply *a, struct object_prep **pp)
{
	struct object_prep *p;
	int r;

	*pp = NULL;
	if (a->s->version != 0)
		return 0;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return CE_NOMEM;
	p->a = a;
	if ((r = object_psk_new(a->s, &p->pk)) != 0) {
		free(p);
		return r;
	}
	*pp = p;
	return 0;
}

int
object_prep_record(struct object_prep *p, const uint8_t *rec, size_t len,
    struct buf *out)
{
	struct object *o = NULL;
	struct object_row row;
	struct prep_hdr h;
	const uint8_t *val;
	size_t vlen;
	int r;

	buf_reset(out);
	if ((r = object_decode_view(rec, len, &o, &val, &vlen)) != 0)
		return r;
	memset(&h, 0, sizeof(h));
	h.labellen = (uint32_t)strlen(o->label);
	if ((r = buf_put(out, o->label, h.labellen + 1)) != 0 ||
	    (r = object_row_make(p->pk->k, p->pk->serial,
	    atomic_fetch_add(&p->a->next_id, 1), o, val, vlen, out,
	    &row)) != 0)
		goto out;
	h.id = row.id;
	h.size = row.size;
	h.cls = row.cls;
	h.key_type = row.key_type;
	h.bits = row.bits;
	h.alen = (uint32_t)row.alen;
	h.slen = (uint32_t)row.slen;
	r = buf_put(out, &h, sizeof(h));
 out:
	object_free(o);
	return r;
}

int
object_apply_prepared(struct object_apply *a, const uint8_t *p, size_t len)
{
	struct object_row row;
	struct prep_hdr h;
	int r;

	if (len < sizeof(h))
		return CE_INVALID;
	memcpy(&h, p + len - sizeof(h), sizeof(h));
	if ((uint64_t)h.labellen + 1 + h.alen + h.slen != len - sizeof(h) ||
	    p[h.labellen] != '\0')
		return CE_INVALID;
	row.id = h.id;
	row.label = (const char *)p;
	row.cls = h.cls;
	row.key_type = h.key_type;
	row.bits = h.bits;
	row.size = h.size;
	row.attrs = p + h.labellen + 1;
	row.alen = h.alen;
	row.sealed = row.attrs + h.alen;
	row.slen = h.slen;
	if ((r = make_room(a, row.label)) != 0)
		return r == 1 ? 0 : r;
	if ((r = object_row_insert_tx(a->s, &row)) != 0)
		return r;
	return account_added(a, row.size);
}

void
object_prep_free(struct object_prep *p)
{
	if (p == NULL)
		return;
	object_psk_free(p->pk);
	free(p);
}

int
object_apply_smk(struct object_apply *a, const uint8_t *rec, size_t len,
    int force)
{
	struct session *s = a->s;
	struct secret *smk = NULL;
	uint8_t id[SKS_ID_LEN];
	char hex[2 * SKS_ID_LEN + 1], some[200];
	uint64_t count = 0, used = 0;
	int r;

	if (a->src_smk != NULL) {
		err_set_detail("a second SMK record in one transfer");
		return CE_FORMAT;
	}
	if ((r = sks_smk_record_parse(rec, len, &smk, id)) != 0)
		return r;
	if ((r = sks_blob_keys_new(secret_ptr(smk), &a->src_keys)) != 0) {
		secret_free(smk);
		return r;
	}
	a->src_smk = smk;
	memcpy(a->src_smk_id, id, SKS_ID_LEN);
	/* A V0 target keeps the key only to open the blobs that follow. */
	if (s->version == 0)
		return 0;
	if ((r = sks_session_smk(s)) != 0)
		return r;
	if (cc_memeq(s->smk_id, id, SKS_ID_LEN))
		return 0;
	if ((r = sks_smk_retired_check(s, id, a->o.allow_retired_smk)) != 0 ||
	    (r = sks_usage(s->h, s->serial, &count, &used)) != 0)
		return r;
	if (count > 0 && !force) {
		sks_id_hex(s->smk_id, hex);
		(void)sks_some_labels(s, 3, some, sizeof(some));
		err_set_detail("partition '%s' holds %llu object(s) (%s%s) under "
		    "another SMK (%s); taking the source's SMK would make them "
		    "unreadable, so they would be erased; nothing was written. "
		    "Use an empty V1 partition, or erase them with clone "
		    "--force (restore: --replace)", s->label, (unsigned long long)count, some,
		    count > 3 ? ", ..." : "", hex);
		return CE_POLICY;
	}
	if (count > 0 && (r = sks_erase_tx(s->h, s->serial)) != 0)
		return r;
	a->st.erased = count;
	a->smk_replaced = 1;
	a->bulk.checked = 0;   /* blobs are checked against the new one */
	return sks_smk_replace_tx(s, smk, id);
}

int
object_apply_blob_open(struct object_apply *a, const uint8_t *blob,
    size_t len, uint8_t *rec, size_t *reclenp)
{
	struct sks_blob_info bi;
	int r;

	if (a->src_smk == NULL) {
		err_set_detail("an SKS blob came before the SMK record");
		return CE_FORMAT;
	}
	if ((r = sks_blob_open_k(a->src_keys, blob, len, &bi, rec,
	    reclenp)) == CE_AUTH_TAG) {
		err_set_detail("SKS blob '%s' fails its integrity check under "
		    "the SMK the transfer carried", bi.label);
		r = CE_INTEGRITY;
	}
	return r;
}

/*
 * A blob stored as it came must open under the SMK the transfer carried
 * (its GCM tag covers the header) and hold the object its header names:
 * a blob with a broken tag, or a header label that is not its object's,
 * would otherwise sit in the partition until someone used it.
 */
static int
blob_check(struct object_apply *a, const uint8_t *blob, size_t len)
{
	struct sks_blob_info bi;

	if (a->rec == NULL && (a->rec = malloc(SKS_BLOB_MAX)) == NULL)
		return CE_NOMEM;
	return sks_blob_check(a->src_keys, blob, len, a->rec, &bi,
	    "the SMK the transfer carried");
}

int
object_apply_blobs_checked(struct object_apply *a)
{
	if (a->s->version != 1)
		return 0;
	a->blobs_checked = 1;
	return 1;
}

int
object_apply_blob(struct object_apply *a, const uint8_t *blob, size_t len)
{
	struct session *s = a->s;
	struct sks_blob_info bi;
	size_t rl = 0;
	int r;

	if (a->src_smk == NULL) {
		err_set_detail("an SKS blob came before the SMK record");
		return CE_FORMAT;
	}
	if ((r = sks_blob_parse(blob, len, &bi)) != 0)
		return r;
	if (!cc_memeq(bi.smk_id, a->src_smk_id, SKS_ID_LEN)) {
		err_set_detail("SKS blob '%s' is not under the SMK the transfer "
		    "carried", bi.label);
		return CE_INTEGRITY;
	}
	if (s->version == 0) {
		/* Migration to V0: opened here, on the receiving side, and
		 * sealed again under the target's PSK. */
		if (a->rec == NULL && (a->rec = malloc(SKS_BLOB_MAX)) == NULL)
			return CE_NOMEM;
		if ((r = object_apply_blob_open(a, blob, len, a->rec, &rl)) != 0)
			return r;
		r = object_apply_add(a, a->rec, rl);
		sodium_memzero(a->rec, rl);
		return r;
	}
	/* V1 to V1: the blob goes in as it is, after it proved itself (here,
	 * or on the caller's side before it came: blobs_checked). */
	if (!a->blobs_checked && (r = blob_check(a, blob, len)) != 0)
		return r;
	if ((r = make_room(a, bi.label)) != 0)
		return r == 1 ? 0 : r;
	if ((r = sks_bulk_insert(&a->bulk, blob, len, &bi)) != 0)
		return r;
	a->dcount++;
	return 0;
}

void
object_apply_abort(struct object_apply *a)
{
	if (a == NULL)
		return;
	(void)hsm_tx_leave(a->s->h, a->own, CE_INVALID, 0);
	apply_free(a);
}

int
object_apply_commit(struct object_apply *a, struct object_apply_stats *stp)
{
	struct session *s = a->s;
	struct audit_event ev;
	char detail[512];
	int r;

	if ((r = sks_bulk_end(&a->bulk)) != 0 ||
	    (r = object_account_tx(s, a->dbytes, a->dcount)) != 0)
		goto out;
	hsm_event(&ev, a->o.audit_event ? a->o.audit_event : "import", 1);
	ev.role = role_name(s->role);
	ev.partition = s->label;
	ev.serial = s->serial;
	snprintf(detail, sizeof(detail), "%s%swritten %llu, replaced %llu, "
	    "skipped %llu%s%s", a->o.audit_detail ? a->o.audit_detail : "",
	    a->o.audit_detail ? "; " : "", (unsigned long long)a->st.written,
	    (unsigned long long)a->st.replaced,
	    (unsigned long long)a->st.skipped,
	    a->o.empty_first ? "; target emptied first" : "",
	    a->smk_replaced ? "; SMK replaced by the source's" : "");
	if (a->st.erased > 0) {
		size_t l = strlen(detail);

		snprintf(detail + l, sizeof(detail) - l, " (forced: %llu "
		    "objects under the previous SMK erased)",
		    (unsigned long long)a->st.erased);
	}
	ev.detail = detail;
	ev.count = (int64_t)(a->st.written + a->st.replaced);
	r = hsm_audit_tx(s->h, &ev);
 out:
	r = hsm_tx_leave(s->h, a->own, r, 0);
	/* The old SMK's wrap goes once the switch committed (else the next
	 * session of the partition does it). */
	if (r == 0 && a->own && a->smk_replaced)
		(void)sks_settle(s);
	if (r == 0 && stp != NULL)
		*stp = a->st;
	apply_free(a);
	return r;
}

int
object_apply_records(struct session *s, const struct object_apply_opts *o,
    const struct buf *const *recs, size_t n, struct object_apply_stats *stp)
{
	struct object_apply *a = NULL;
	struct object *ob = NULL;
	uint64_t id, size;
	size_t i;
	int r;

	if ((r = object_apply_begin(s, o, &a)) != 0)
		return r;
	/* Fail mode: every label is checked before the first write. */
	if (o->conflict == OBJ_CONFLICT_FAIL) {
		for (i = 0; i < n; i++) {
			const uint8_t *v;
			size_t vl;

			if ((r = object_decode_view(buf_ptr(recs[i]),
			    buf_len(recs[i]), &ob, &v, &vl)) != 0)
				goto fail;
			r = label_lookup(s, ob->label, &id, &size);
			if (r == 0) {
				err_set_detail("label '%s' already exists in "
				    "partition '%s'; nothing was written (use "
				    "skip or replace)", ob->label, s->label);
				r = CE_CONFLICT;
			} else if (r == CE_NOT_FOUND)
				r = 0;
			object_free(ob);
			ob = NULL;
			if (r != 0)
				goto fail;
		}
	}
	for (i = 0; i < n; i++)
		if ((r = object_apply_add(a, buf_ptr(recs[i]),
		    buf_len(recs[i]))) != 0)
			goto fail;
	return object_apply_commit(a, stp);
 fail:
	object_apply_abort(a);
	return r;
}
