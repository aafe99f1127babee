/*
 * endpoint sink: stages records into one object_apply transaction and
 * commits it all or nothing (lib/endpoint.h). The same callbacks serve the
 * transfer protocol (xfer_sink) and sealed streams (sealed_read).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "crypto.h"
#include "endpoint.h"
#include "err.h"
#include "partition.h"
#include "object.h"
#include "object_int.h"
#include "role.h"
#include "sks.h"
#include "xfer.h"

#define REASON_EXISTS "label exists on the target (kept the target's object)"
#define REASON_DIFFERS "label exists on the target with different " \
	"attributes or value (kept the target's object; sync never overwrites)"

struct endpoint_sink {
	struct endpoint *e;
	struct object_apply *a;
	int conflict;
	int failed;         /* a record was refused: take nothing more */
	int committed;
	struct endpoint_stats st;
	size_t cap;         /* allocated skips */
	struct buf *scratch;
	uint8_t *rec;       /* sync to V0: an opened SKS blob */
	struct cc_aead *psk; /* sync to V0: the partition key, set up once */
	struct object_seq *seq; /* sync to V0: the target's rows in order */
	int force_smk;
};

static const char *const conflict_names[] = {
	[ENDPOINT_FAIL] = "fail",
	[ENDPOINT_SKIP] = "skip",
	[ENDPOINT_REPLACE] = "replace",
	[ENDPOINT_SYNC] = "sync",
};

int
endpoint_conflict_parse(const char *name, int *modep)
{
	size_t i;

	for (i = 0; i < sizeof(conflict_names) / sizeof(*conflict_names); i++) {
		if (strcmp(name, conflict_names[i]) == 0) {
			*modep = (int)i;
			return 0;
		}
	}
	err_set_detail("conflict mode '%s': use fail, skip or replace", name);
	return CE_INVALID;
}

const char *
endpoint_conflict_name(int mode)
{
	if (mode < 0 || mode > ENDPOINT_SYNC)
		return "?";
	return conflict_names[mode];
}

static int
skip_add(struct endpoint_sink *k, const char *label, int why)
{
	struct endpoint_skip *n;
	char *l;

	k->st.skipped++;
	if (why == ENDPOINT_IDENTICAL) {
		k->st.identical++;
		return 0;
	}
	if (k->st.nskips == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 16;

		if ((n = realloc(k->st.skips, cap * sizeof(*n))) == NULL)
			return CE_NOMEM;
		k->st.skips = n;
		k->cap = cap;
	}
	if ((l = strdup(label)) == NULL)
		return CE_NOMEM;
	k->st.skips[k->st.nskips].label = l;
	k->st.skips[k->st.nskips].why = why;
	k->st.skips[k->st.nskips].reason = why == ENDPOINT_DIFFERS ?
	    REASON_DIFFERS : REASON_EXISTS;
	k->st.nskips++;
	return 0;
}

/* object_apply's skip callback (skip mode); it has no error path. */
static void
on_skip(void *ctx, const char *label, const char *reason)
{
	struct endpoint_sink *k = ctx;

	(void)reason;
	if (skip_add(k, label, ENDPOINT_KEPT) != 0)
		k->failed = CE_NOMEM;
}

int
endpoint_sink_new(struct endpoint *e, const struct endpoint_sink_opts *o,
    struct endpoint_sink **kp)
{
	struct object_apply_opts ao;
	struct endpoint_sink *k;
	int r;

	if (endpoint_session(e) == NULL) {
		err_set_detail("not logged in to '%s'", endpoint_label(e));
		return CE_NOT_LOGGED_IN;
	}
	if (o->conflict < ENDPOINT_FAIL || o->conflict > ENDPOINT_SYNC)
		return CE_INVALID;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return CE_NOMEM;
	k->e = e;
	k->conflict = o->conflict;
	k->force_smk = o->force_smk;
	if ((k->scratch = buf_new(OBJECT_RECORD_MAX)) == NULL) {
		endpoint_sink_free(k);
		return CE_NOMEM;
	}
	memset(&ao, 0, sizeof(ao));
	/* Sync decides before object_apply sees a record; a clash there
	 * would be a bug, so fail mode catches it. */
	ao.conflict = o->conflict == ENDPOINT_SKIP ? OBJ_CONFLICT_SKIP :
	    o->conflict == ENDPOINT_REPLACE ? OBJ_CONFLICT_REPLACE :
	    OBJ_CONFLICT_FAIL;
	ao.empty_first = o->empty_first;
	ao.allow_retired_smk = o->allow_retired_smk;
	ao.audit_event = o->audit_event;
	ao.audit_detail = o->audit_detail;
	ao.on_skip = on_skip;
	ao.ctx = k;
	if ((r = object_apply_begin(endpoint_session(e), &ao, &k->a)) != 0) {
		endpoint_sink_free(k);
		return r;
	}
	*kp = k;
	return 0;
}

/*
 * Sync mode: is the object already on the target? Then it is kept, and
 * the report says whether the target's copy is the same as the source's.
 * *keptp is 1 when the record must not be applied.
 */
static int
sync_check(struct endpoint_sink *k, const uint8_t *p, size_t n, int *keptp)
{
	struct session *s = endpoint_session(k->e);
	char label[OBJECT_LABEL_MAX + 1];
	int r;

	*keptp = 0;
	/* The label only: the record is compared whole, never decoded. */
	if ((r = object_record_label(p, n, label)) != 0)
		goto out;
	if (k->psk == NULL && (r = object_psk_aead(s, &k->psk)) != 0)
		goto out;
	/* A V0 target is read in id order where it can be (a clone wrote
	 * its copies in the order the source sends them). */
	if (session_version(s) == 0 && k->seq == NULL &&
	    (r = object_seq_new(s, &k->seq)) != 0)
		goto out;
	r = k->seq != NULL ? object_seq_get(k->seq, k->psk, label, k->scratch) :
	    object_record_get(s, k->psk, label, k->scratch);
	if (r == CE_NOT_FOUND) {
		r = 0;
		goto out;
	}
	if (r != 0)
		goto out;
	*keptp = 1;
	r = skip_add(k, label, buf_len(k->scratch) == n &&
	    cc_memeq(buf_ptr(k->scratch), p, n) ?
	    ENDPOINT_IDENTICAL : ENDPOINT_DIFFERS);
 out:
	buf_reset(k->scratch);
	return r;
}

/*
 * Sync mode for an SKS blob. A V1 target compares the blobs as stored
 * (a clone copies them byte for byte); a V0 target opens the blob and
 * compares the object record, as sync_check does.
 */
static int
sync_blob(struct endpoint_sink *k, const uint8_t *p, size_t n, int *keptp)
{
	struct session *s = endpoint_session(k->e);
	struct sks_blob_info bi;
	size_t rl = 0;
	int r, same = 0;

	*keptp = 0;
	if ((r = sks_blob_parse(p, n, &bi)) != 0)
		return r;
	if (session_version(s) == 0) {
		if (k->rec == NULL && (k->rec = malloc(SKS_BLOB_MAX)) == NULL)
			return CE_NOMEM;
		if ((r = object_apply_blob_open(k->a, p, n, k->rec, &rl)) == 0)
			r = sync_check(k, k->rec, rl, keptp);
		sodium_memzero(k->rec, rl);
		return r;
	}
	if ((r = sks_blob_same(s, bi.label, p, n, &same)) == CE_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	*keptp = 1;
	return skip_add(k, bi.label, same ? ENDPOINT_IDENTICAL :
	    ENDPOINT_DIFFERS);
}

int
endpoint_sink_record(void *arg, uint8_t kind, const uint8_t *p, size_t n)
{
	struct endpoint_sink *k = arg;
	int r, kept = 0;

	if (k->failed)
		return k->failed;
	if (k->committed || k->a == NULL)
		return CE_INVALID;
	k->st.received++;
	switch (kind) {
	case XFER_REC_V0_OBJECT:
		/* Into V1 too: the target seals it into a blob (migration). */
		if (k->conflict == ENDPOINT_SYNC &&
		    ((r = sync_check(k, p, n, &kept)) != 0 || kept))
			break;
		r = object_apply_add(k->a, p, n);
		if (r == 0 && k->failed)
			r = k->failed;
		break;
	case XFER_REC_SMK:
		r = object_apply_smk(k->a, p, n, k->force_smk);
		break;
	case XFER_REC_SKS_BLOB:
		if (k->conflict == ENDPOINT_SYNC &&
		    ((r = sync_blob(k, p, n, &kept)) != 0 || kept))
			break;
		r = object_apply_blob(k->a, p, n);
		if (r == 0 && k->failed)
			r = k->failed;
		break;
	default:
		err_set_detail("unknown record kind %u", (unsigned)kind);
		r = CE_FORMAT;
		break;
	}
	if (r != 0)
		k->failed = r;
	return r;
}

int
endpoint_sink_prep(struct endpoint_sink *k, struct object_prep **pp)
{
	*pp = NULL;
	if (k->a == NULL || k->conflict == ENDPOINT_SYNC)
		return 0;
	return object_prep_new(k->a, pp);
}

int
endpoint_sink_blobs_checked(struct endpoint_sink *k)
{
	if (k->a == NULL || k->conflict == ENDPOINT_SYNC)
		return 0;
	return object_apply_blobs_checked(k->a);
}

int
endpoint_sink_prepared(struct endpoint_sink *k, const void *p, size_t n)
{
	int r;

	if (k->failed)
		return k->failed;
	if (k->committed || k->a == NULL)
		return CE_INVALID;
	k->st.received++;
	r = object_apply_prepared(k->a, p, n);
	if (r == 0 && k->failed)
		r = k->failed;
	if (r != 0)
		k->failed = r;
	return r;
}

int
endpoint_emit_sink(void *k, uint8_t kind, const void *p, size_t n)
{
	return endpoint_sink_record(k, kind, p, n);
}

int
endpoint_sink_commit(void *arg, uint64_t count)
{
	struct endpoint_sink *k = arg;
	struct object_apply_stats as;
	int r;

	if (k->failed)
		return k->failed;
	if (k->committed || k->a == NULL)
		return CE_INVALID;
	if (count != k->st.received) {
		err_set_detail("the sender counted %llu records, %llu arrived; "
		    "nothing was written", (unsigned long long)count,
		    (unsigned long long)k->st.received);
		k->failed = CE_INTEGRITY;
		return CE_INTEGRITY;
	}
	object_seq_free(k->seq); /* its statement must not outlive the tx */
	k->seq = NULL;
	r = object_apply_commit(k->a, &as);
	k->a = NULL; /* freed by commit, whatever its result */
	if (r != 0) {
		k->failed = r;
		return r;
	}
	k->committed = 1;
	k->st.written = as.written;
	k->st.replaced = as.replaced;
	k->st.erased = as.erased;
	return 0;
}

void
endpoint_sink_xfer(struct endpoint_sink *k, struct xfer_sink *sinkp)
{
	sinkp->record = endpoint_sink_record;
	sinkp->commit = endpoint_sink_commit;
	sinkp->arg = k;
	sinkp->serial = endpoint_info(k->e)->serial;
}

const struct endpoint_stats *
endpoint_sink_stats(const struct endpoint_sink *k)
{
	return &k->st;
}

void
endpoint_sink_free(struct endpoint_sink *k)
{
	size_t i;

	if (k == NULL)
		return;
	object_apply_abort(k->a);
	for (i = 0; i < k->st.nskips; i++)
		free(k->st.skips[i].label);
	free(k->st.skips);
	buf_free(k->scratch);
	object_seq_free(k->seq);
	cc_aead_free(k->psk);
	if (k->rec != NULL) {
		sodium_memzero(k->rec, SKS_BLOB_MAX);
		free(k->rec);
	}
	free(k);
}
