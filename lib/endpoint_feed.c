/*
 * endpoint feed: a sink applied on a thread of its own (lib/endpoint.h).
 * The caller's thread gets the records (from an archive or a transfer)
 * and, for a V0 target, prepares each V0 object's row, for a V1 target
 * checks each SKS blob; the applying thread owns the sink and its SQLite
 * connection and only inserts.
 */
#include <stdlib.h>

#include "buf.h"
#include "endpoint.h"
#include "err.h"
#include "object.h"
#include "recpipe.h"
#include "secret.h"
#include "sks.h"
#include "sks_int.h"
#include "xfer.h"

/* A prepared row's kind in the pipe: never a kind a transfer carries. */
#define REC_PREPARED 0xfe

struct endpoint_feed {
	struct endpoint_sink *k;
	struct recpipe *pipe;
	struct object_prep *prep; /* NULL: records go through as they came */
	struct buf *row;          /* the row being made */
	/* V1 target: blobs are checked here (the check was a quarter of the
	 * applying thread's work, and this one had a core mostly idle) */
	int check;
	struct secret *smk;       /* the stream's SMK record, parsed */
	struct sks_blob_keys *keys;
	struct secret *scratch;   /* one opened blob at a time */
};

/*
 * One SMK or blob record on the caller's thread (V1 target): the SMK's
 * keys set up, each blob checked under them. Errors are the ones
 * object_apply gives for the same records.
 */
static int
check_blob(struct endpoint_feed *f, uint8_t kind, const uint8_t *p,
    size_t n)
{
	struct sks_blob_info bi;
	uint8_t id[SKS_ID_LEN];
	int r;

	if (kind == XFER_REC_SMK) {
		if (f->smk != NULL) {
			err_set_detail("a second SMK record in one transfer");
			return CE_FORMAT;
		}
		if ((r = sks_smk_record_parse(p, n, &f->smk, id)) != 0)
			return r;
		return sks_blob_keys_new(secret_ptr(f->smk), &f->keys);
	}
	if (kind != XFER_REC_SKS_BLOB)
		return 0;
	if (f->keys == NULL) {
		err_set_detail("an SKS blob came before the SMK record");
		return CE_FORMAT;
	}
	return sks_blob_check(f->keys, p, n, secret_ptr(f->scratch), &bi,
	    "the SMK the transfer carried");
}

/* The applying thread's side (a recpipe_fn). */
static int
apply(void *arg, uint8_t kind, const void *p, size_t n)
{
	struct endpoint_sink *k = arg;

	if (kind == REC_PREPARED)
		return endpoint_sink_prepared(k, p, n);
	return endpoint_sink_record(k, kind, p, n);
}

int
endpoint_feed_new(struct endpoint_sink *k, struct endpoint_feed **fp)
{
	struct endpoint_feed *f;
	int r;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return CE_NOMEM;
	f->k = k;
	/* Made here, before the applying thread starts to use the sink. */
	if ((r = endpoint_sink_prep(k, &f->prep)) != 0)
		goto fail;
	if (f->prep != NULL && (f->row = buf_new(OBJECT_PREP_MAX)) == NULL) {
		r = CE_NOMEM;
		goto fail;
	}
	f->check = endpoint_sink_blobs_checked(k);
	if (f->check && (f->scratch = secret_new(SKS_BLOB_MAX)) == NULL) {
		r = CE_NOMEM;
		goto fail;
	}
	if ((r = recpipe_new(apply, k, &f->pipe)) != 0)
		goto fail;
	*fp = f;
	return 0;
 fail:
	endpoint_feed_free(f);
	return r;
}

int
endpoint_feed_record(void *arg, uint8_t kind, const uint8_t *p, size_t n)
{
	struct endpoint_feed *f = arg;
	int r;

	if (kind == XFER_REC_V0_OBJECT && f->prep != NULL) {
		if ((r = object_prep_record(f->prep, p, n, f->row)) != 0)
			return r;
		return recpipe_emit(f->pipe, REC_PREPARED, buf_ptr(f->row),
		    buf_len(f->row));
	}
	if (f->check && (r = check_blob(f, kind, p, n)) != 0)
		return r;
	return recpipe_emit(f->pipe, kind, p, n);
}

int
endpoint_feed_finish(struct endpoint_feed *f)
{
	return recpipe_finish(f->pipe);
}

int
endpoint_feed_commit(void *arg, uint64_t count)
{
	struct endpoint_feed *f = arg;
	int r;

	if ((r = endpoint_feed_finish(f)) != 0)
		return r;
	return endpoint_sink_commit(f->k, count);
}

void
endpoint_feed_xfer(struct endpoint_feed *f, struct xfer_sink *sinkp)
{
	endpoint_sink_xfer(f->k, sinkp);
	sinkp->record = endpoint_feed_record;
	sinkp->commit = endpoint_feed_commit;
	sinkp->arg = f;
}

void
endpoint_feed_free(struct endpoint_feed *f)
{
	if (f == NULL)
		return;
	recpipe_free(f->pipe); /* first: it stops the thread using the sink */
	object_prep_free(f->prep);
	buf_free(f->row);
	secret_free(f->smk);
	sks_blob_keys_free(f->keys);
	secret_free(f->scratch);
	free(f);
}
