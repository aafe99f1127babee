/*
 * endpoint: opening a partition for a transfer, and the producer side
 * (lib/endpoint.h). The sink is in endpoint_sink.c.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "activation.h"
#include "domain.h"
#include "endpoint.h"
#include "err.h"
#include "hsm.h"
#include "object.h"
#include "partition.h"
#include "role.h"
#include "sealed.h"
#include "sks.h"
#include "uri.h"
#include "xfer.h"

struct endpoint {
	char *uri;
	struct hsm_uri u;
	struct hsm *h;
	struct partition_info info;
	struct session *s;
	struct domain_list dl;
	struct xfer_domain doms[DOMAIN_MAX];
	size_t ndoms;
	int tx;             /* ENDPOINT_TX transaction open */
};

int
endpoint_open(const char *uri, struct endpoint **ep)
{
	struct endpoint *e;
	int r;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return CE_NOMEM;
	if ((e->uri = strdup(uri)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = uri_parse_hsm(uri, 1, &e->u)) != 0 ||
	    (r = hsm_open(e->u.dir, &e->h)) != 0 ||
	    (r = partition_get_info(e->h, e->u.label, &e->info)) != 0)
		goto out;
	if (e->info.state != PARTITION_INITIALIZED) {
		err_set_detail("partition '%s' in %s is not initialized; its PO "
		    "initializes it with 'hsm partition init %s'", e->u.label,
		    e->u.dir, uri);
		r = CE_INVALID;
		goto out;
	}
	*ep = e;
	e = NULL;
	r = 0;
 out:
	endpoint_close(e);
	return r;
}

const char *
endpoint_uri(const struct endpoint *e)
{
	return e->uri;
}

const char *
endpoint_label(const struct endpoint *e)
{
	return e->u.label;
}

const struct partition_info *
endpoint_info(const struct endpoint *e)
{
	return &e->info;
}

int
endpoint_cloning_check(const struct endpoint *e)
{
	if (!e->info.hsm_allow_cloning) {
		err_set_detail("cloning is off on the HSM in %s (HSM policy 7); "
		    "its SO turns it on with 'hsm policy set %s 7 1 --force' "
		    "(this erases every object of that HSM)", e->u.dir,
		    e->u.dir);
		return CE_POLICY;
	}
	if (!e->info.allow_cloning) {
		err_set_detail("cloning is off on partition '%s' in %s "
		    "(partition policy allow-cloning); its PO turns it on with "
		    "'hsm partition policy set %s allow-cloning 1 --force' "
		    "(this erases the partition's objects)", e->u.label,
		    e->u.dir, e->uri);
		return CE_POLICY;
	}
	return 0;
}

/* A failed login must keep its failure count: never roll that back. */
static int
login_failure_kept(int r)
{
	return r == CE_BAD_CREDENTIAL || r == CE_LOCKED || r == CE_ZEROIZED;
}

/* endpoint_login() with a credential or an activation challenge. */
static int
login_with(struct endpoint *e, int role, const struct secret *cred,
    const struct secret *challenge, int flags)
{
	size_t i;
	int r;

	if (e->s != NULL) {
		err_set_detail("already logged in to '%s'", e->u.label);
		return CE_INVALID;
	}
	if ((flags & ENDPOINT_TX) != 0) {
		if ((r = hsm_tx_begin(e->h)) != 0)
			return r;
		e->tx = 1;
	}
	r = challenge != NULL ? session_login_challenge(e->h, e->u.label, role,
	    challenge, &e->s) : session_login(e->h, e->u.label, role, cred,
	    &e->s);
	if (r != 0) {
		if (e->tx && login_failure_kept(r))
			(void)endpoint_commit(e);
		goto out;
	}
	if ((r = domain_list_get(e->s, &e->dl)) != 0)
		goto out;
	/* A V1 partition's SMK is loaded (and, after a crash, settled) now,
	 * while no other endpoint of this HSM holds the write lock. */
	if (session_version(e->s) == 1 && role != ROLE_PO &&
	    (r = sks_load(e->s)) != 0)
		goto out;
	for (i = 0; i < e->dl.n; i++) {
		e->doms[i].label = e->dl.d[i].label;
		e->doms[i].key = e->dl.d[i].key;
	}
	e->ndoms = e->dl.n;
	r = 0;
 out:
	if (r != 0) {
		session_close(e->s);
		e->s = NULL;
		if (e->tx) {
			hsm_tx_rollback(e->h);
			e->tx = 0;
		}
	}
	return r;
}

int
endpoint_login(struct endpoint *e, int role, const struct secret *cred,
    int flags)
{
	return login_with(e, role, cred, NULL, flags);
}

int
endpoint_login_challenge(struct endpoint *e, int role,
    const struct secret *challenge, int flags)
{
	return login_with(e, role, NULL, challenge, flags);
}

struct hsm *
endpoint_hsm(struct endpoint *e)
{
	return e->h;
}

struct session *
endpoint_session(struct endpoint *e)
{
	return e->s;
}

const struct xfer_domain *
endpoint_domains(const struct endpoint *e, size_t *np)
{
	*np = e->ndoms;
	return e->doms;
}

int
endpoint_commit(struct endpoint *e)
{
	int r;

	if (!e->tx)
		return 0;
	e->tx = 0;
	if ((r = hsm_tx_commit(e->h)) != 0 || e->s == NULL)
		return r;
	/* A V1 target that took the source's SMK: its previous SMK's wrap
	 * goes now that the switch committed (failing that, at the next
	 * login: the transfer itself has committed). */
	(void)sks_settle_now(e->s);
	return 0;
}

void
endpoint_rollback(struct endpoint *e)
{
	if (!e->tx)
		return;
	e->tx = 0;
	hsm_tx_rollback(e->h);
}

void
endpoint_close(struct endpoint *e)
{
	if (e == NULL)
		return;
	/* Before the session and handle go: nothing uncommitted survives. */
	endpoint_rollback(e);
	domain_list_clear(&e->dl);
	memset(e->doms, 0, sizeof(e->doms));
	session_close(e->s);
	hsm_close(e->h);
	uri_clear(&e->u);
	free(e->uri);
	free(e);
}

/* --- producer ------------------------------------------------------------ */

int
endpoint_emit_xfer(void *x, uint8_t kind, const void *p, size_t n)
{
	return xfer_send_record(x, kind, p, n);
}

int
endpoint_emit_sealed(void *w, uint8_t kind, const void *p, size_t n)
{
	return sealed_writer_record(w, kind, p, n);
}

static int
need_session(const struct endpoint *e)
{
	if (e->s == NULL) {
		err_set_detail("not logged in to '%s'", e->u.label);
		return CE_NOT_LOGGED_IN;
	}
	return 0;
}

int
endpoint_missing(struct endpoint *e, const char *const *labels, size_t n,
    void (*missing)(void *ctx, const char *label), void *ctx)
{
	struct object_info oi;
	size_t i;
	int r, count = 0;

	if ((r = need_session(e)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if ((r = object_find(e->s, labels[i], &oi)) == CE_NOT_FOUND) {
			count++;
			if (missing != NULL)
				missing(ctx, labels[i]);
		} else if (r != 0)
			return r;
	}
	return count;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct walk {
	const struct endpoint_produce_opts *o;
	const char **sorted; /* the selection, sorted; NULL: everything */
	size_t nsorted;
	uint64_t count;
};

/* One V0 object (its record, or its row as stored), if it is selected. */
static int
walk_take(struct walk *w, const char *label, uint8_t kind,
    const uint8_t *p, size_t len)
{
	int r;

	if (w->sorted != NULL && bsearch(&label, w->sorted, w->nsorted,
	    sizeof(*w->sorted), cmp_str) == NULL)
		return 0;
	if ((r = w->o->emit(w->o->arg, kind, p, len)) != 0)
		return r;
	w->count++;
	if (w->o->progress != NULL)
		w->o->progress(w->o->ctx, w->count);
	return 0;
}

static int
walk_v0(void *ctx, const struct object_info *oi, const uint8_t *rec,
    size_t len)
{
	return walk_take(ctx, oi->label, XFER_REC_V0_OBJECT, rec, len);
}

static int
walk_row(void *ctx, const struct object_info *oi, const uint8_t *row,
    size_t len)
{
	return walk_take(ctx, oi->label, ENDPOINT_REC_ROW, row, len);
}

static int
walk_blob(void *ctx, const uint8_t *blob, size_t len)
{
	struct walk *w = ctx;
	int r;

	if ((r = w->o->emit(w->o->arg, XFER_REC_SKS_BLOB, blob, len)) != 0)
		return r;
	w->count++;
	if (w->o->progress != NULL)
		w->o->progress(w->o->ctx, w->count - 1);
	return 0;
}

/*
 * V1 (SKS): one XFER_REC_SMK record (key material, only ever inside the
 * transfer's or the sealed stream's encryption), then every blob as it is
 * stored; no object is decrypted on the way.
 */
static int
produce_v1(struct endpoint *e, const struct endpoint_produce_opts *o,
    struct walk *w)
{
	struct buf *rec;
	int r;

	if ((rec = buf_new(128)) == NULL)
		return CE_NOMEM;
	/* The SMK current now, not the one loaded at login (a rollover may
	 * have committed since); every blob is then checked against it. */
	if ((r = sks_refresh(e->s)) == 0 &&
	    (r = sks_smk_record(e->s, rec)) == 0 &&
	    (r = o->emit(o->arg, XFER_REC_SMK, buf_ptr(rec),
	    buf_len(rec))) == 0) {
		w->count++;
		if (!o->smk_only)
			r = sks_foreach_blob(e->s, o->labels, o->labels ?
			    o->nlabels : 0, walk_blob, w);
	}
	buf_free(rec);
	return r;
}

/* Records first-missing in the detail line, for endpoint_produce. */
static void
first_missing(void *ctx, const char *label)
{
	const char **first = ctx;

	if (*first == NULL)
		*first = label;
}

int
endpoint_produce(struct endpoint *e, const struct endpoint_produce_opts *o,
    uint64_t *countp)
{
	struct walk w;
	const char *first = NULL;
	int r;

	memset(&w, 0, sizeof(w));
	w.o = o;
	if (countp != NULL)
		*countp = 0;
	if ((r = need_session(e)) != 0)
		return r;
	if (o->labels != NULL) {
		if ((r = endpoint_missing(e, o->labels, o->nlabels,
		    first_missing, &first)) < 0)
			return r;
		if (r > 0) {
			err_set_detail("partition '%s' holds no object '%s'%s; "
			    "nothing was sent", e->u.label, first, r > 1 ?
			    " (nor some other selected labels)" : "");
			return CE_NOT_FOUND;
		}
		if ((w.sorted = calloc(o->nlabels + 1, sizeof(*w.sorted))) ==
		    NULL)
			return CE_NOMEM;
		memcpy(w.sorted, o->labels, o->nlabels * sizeof(*w.sorted));
		w.nsorted = o->nlabels;
		qsort(w.sorted, w.nsorted, sizeof(*w.sorted), cmp_str);
	}
	if (o->smk_only && session_version(e->s) != 1) {
		err_set_detail("partition '%s' is V0: it has no SKS master key "
		    "to clone", e->u.label);
		free(w.sorted);
		return CE_INVALID;
	}
	switch (session_version(e->s)) {
	case 0:
		r = o->rows ? object_foreach_row(e->s, walk_row, &w) :
		    object_foreach(e->s, walk_v0, &w);
		break;
	case 1:
		r = produce_v1(e, o, &w);
		break;
	default:
		err_set_detail("partition '%s' is a V%d partition; this build "
		    "moves V0 objects only", e->u.label, session_version(e->s));
		r = CE_UNSUPPORTED;
		break;
	}
	free(w.sorted);
	if (countp != NULL)
		*countp = w.count;
	return r;
}
