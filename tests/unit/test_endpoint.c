/* endpoint: opening partitions for transfers, the producer, the sink, and
 * the all-or-nothing transaction around the target. Two real HSM
 * directories, the real transfer protocol over an in-process pair. */
#include <stdio.h>
#include "testutil.h"
#include "hsmfix.h"
#include "epfix.h"

#include "buf.h"
#include "chan.h"
#include "endpoint.h"
#include "object.h"
#include "sealed.h"


static int
setup(void **state)
{
	struct two *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	two_setup(t);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct two *t = *state;

	two_teardown(t);
	free(t);
	return 0;
}


/* The whole audit log, to compare before and after. */
static struct buf *
slurp(const char *dir, const char *name)
{
	char path[160], tmp[4096];
	struct buf *b = buf_new(1u << 24);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "rb"));
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		assert_int_equal(buf_put(b, tmp, n), 0);
	fclose(f);
	return b;
}

static int
same_buf(const struct buf *x, const struct buf *y)
{
	return buf_len(x) == buf_len(y) &&
	    memcmp(buf_ptr(x), buf_ptr(y), buf_len(x)) == 0;
}

static uint64_t
objects_in(struct hsm *h, const char *label)
{
	struct partition_info pi;

	assert_int_equal(partition_get_info(h, label, &pi), 0);
	return pi.objects;
}

/* --- open, policy, login ----------------------------------------------- */

static void
test_open_refusals(void **state)
{
	struct two *t = *state;
	struct endpoint *e = NULL;
	char uri[128];

	assert_int_equal(endpoint_open("/no/scheme#p1", &e), CE_USAGE);
	assert_int_equal(endpoint_open("hsm:/nonexistent-dir#p1", &e),
	    CE_NOT_FOUND);
	snprintf(uri, sizeof(uri), "hsm:%s#nope", t->a.dir);
	assert_int_equal(endpoint_open(uri, &e), CE_NOT_FOUND);
	/* created by the SO but not initialized by a PO */
	assert_int_equal(fx_so(t->a.h, "so-pin"), 0);
	assert_int_equal(partition_create(t->a.h, "raw", 0), 0);
	snprintf(uri, sizeof(uri), "hsm:%s#raw", t->a.dir);
	assert_int_equal(endpoint_open(uri, &e), CE_INVALID);
	assert_non_null(strstr(err_detail(), "hsm partition init"));
	assert_null(e);

	e = ep_login(t->src, 0);
	assert_string_equal(endpoint_label(e), "p1");
	assert_string_equal(endpoint_uri(e), t->src);
	assert_int_equal(endpoint_info(e)->objects, 3);
	assert_non_null(endpoint_session(e));
	assert_int_equal(endpoint_cloning_check(e), 0);
	endpoint_close(e);
}

static void
test_cloning_policy(void **state)
{
	struct two *t = *state;
	struct endpoint *e = NULL;
	struct session *po = NULL;

	/* the partition's own policy */
	assert_int_equal(fx_login(t->b.h, "p2", ROLE_PO, "po-pin", &po), 0);
	assert_int_equal(partition_policy_set(po, PPOL_ALLOW_CLONING, 0), 0);
	session_close(po);
	assert_int_equal(endpoint_open(t->other, &e), 0);
	assert_int_equal(endpoint_cloning_check(e), CE_POLICY);
	assert_non_null(strstr(err_detail(), "allow-cloning"));
	endpoint_close(e);
	/* HSM policy 7 wins over a partition that allows it */
	assert_int_equal(fx_so(t->b.h, "so-pin"), 0);
	assert_int_equal(hsm_policy_set(t->b.h, HSM_POLICY_ALLOW_CLONING, 0), 0);
	assert_int_equal(endpoint_open(t->dst, &e), 0);
	assert_int_equal(endpoint_info(e)->allow_cloning, 1);
	assert_int_equal(endpoint_cloning_check(e), CE_POLICY);
	assert_non_null(strstr(err_detail(), "policy 7"));
	endpoint_close(e);
}

static void
test_domains_and_failed_login_kept(void **state)
{
	struct two *t = *state;
	struct endpoint *e = NULL;
	struct secret *bad = fx_pin("wrong");
	const struct xfer_domain *d;
	struct buf *before, *after;
	size_t n;

	e = ep_login(t->src, 0);
	d = endpoint_domains(e, &n);
	assert_int_equal(n, 1);
	assert_string_equal(d[0].label, "default");
	assert_int_equal(xfer_domains_check(d, n), 0);
	endpoint_close(e);

	/* A wrong credential under ENDPOINT_TX: the failure is counted and
	 * logged even though the transaction is otherwise thrown away. */
	before = slurp(t->b.dir, "audit.log");
	assert_int_equal(endpoint_open(t->dst, &e), 0);
	assert_int_equal(endpoint_login(e, ROLE_CO, bad, ENDPOINT_TX),
	    CE_BAD_CREDENTIAL);
	assert_null(endpoint_session(e));
	endpoint_close(e);
	after = slurp(t->b.dir, "audit.log");
	assert_true(buf_len(after) > buf_len(before));
	{
		struct partition_info pi;

		assert_int_equal(partition_get_info(t->b.h, "p1", &pi), 0);
		assert_int_equal(pi.roles[1].failures, 1);
	}
	buf_free(before);
	buf_free(after);
	secret_free(bad);
}

/* --- producer ------------------------------------------------------------ */

struct collect {
	uint64_t n;
	char labels[8][OBJECT_LABEL_MAX + 1];
	int stop_at;   /* emit returns CE_IO at this record (0: never) */
};

static int
collect_emit(void *arg, uint8_t kind, const void *p, size_t n)
{
	struct collect *c = arg;
	struct object *o = NULL;

	assert_int_equal(kind, XFER_REC_V0_OBJECT);
	if (c->stop_at != 0 && c->n + 1 == (uint64_t)c->stop_at)
		return CE_IO;
	assert_int_equal(object_decode(p, n, &o), 0);
	if (c->n < 8)
		snprintf(c->labels[c->n], sizeof(c->labels[0]), "%s", o->label);
	object_free(o);
	c->n++;
	return 0;
}

static void
count_missing(void *ctx, const char *label)
{
	(void)label;
	(*(int *)ctx)++;
}

static void
test_produce_all_and_selection(void **state)
{
	struct two *t = *state;
	struct endpoint *e = ep_login(t->src, 0);
	struct endpoint_produce_opts po;
	struct collect c;
	const char *sel[] = { "hmac-1", "aes-1", "hmac-1" };
	const char *bad[] = { "aes-1", "nope", "nope-2" };
	uint64_t count = 0;
	int missing = 0;

	memset(&po, 0, sizeof(po));
	memset(&c, 0, sizeof(c));
	po.emit = collect_emit;
	po.arg = &c;
	assert_int_equal(endpoint_produce(e, &po, &count), 0);
	assert_int_equal(count, 3);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.labels[0], "aes-1");
	assert_string_equal(c.labels[2], "hmac-1");

	/* a selection, one label twice: each object once, in store order */
	memset(&c, 0, sizeof(c));
	po.labels = sel;
	po.nlabels = 3;
	assert_int_equal(endpoint_produce(e, &po, &count), 0);
	assert_int_equal(count, 2);
	assert_string_equal(c.labels[0], "aes-1");
	assert_string_equal(c.labels[1], "hmac-1");

	/* missing labels: refused before anything is emitted */
	memset(&c, 0, sizeof(c));
	po.labels = bad;
	assert_int_equal(endpoint_produce(e, &po, &count), CE_NOT_FOUND);
	assert_non_null(strstr(err_detail(), "'nope'"));
	assert_int_equal(c.n, 0);
	assert_int_equal(count, 0);
	assert_int_equal(endpoint_missing(e, bad, 3, count_missing, &missing), 2);
	assert_int_equal(missing, 2);

	/* the emitter's failure stops the walk and comes back */
	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	po.labels = NULL;
	assert_int_equal(endpoint_produce(e, &po, &count), CE_IO);
	assert_int_equal(count, 1);
	endpoint_close(e);
}

/* --- sink over the real transfer protocol -------------------------------- */

static int
produce_xfer(void *arg, struct xfer *x)
{
	struct endpoint_produce_opts po;

	memset(&po, 0, sizeof(po));
	po.emit = endpoint_emit_xfer;
	po.arg = x;
	return endpoint_produce(arg, &po, NULL);
}

/* Clones t->src into dst_uri under mode; returns the transfer's result. */
static int
run_clone(struct two *t, const char *dst_uri, int mode, struct endpoint_stats
    *stp)
{
	struct endpoint *src = ep_login(t->src, 0), *dst = ep_login(dst_uri,
	    ENDPOINT_TX);
	struct endpoint_sink_opts so = { mode, 0, "clone", "unit test", 0, 0 };
	struct endpoint_sink *k = NULL;
	struct xfer_source source = { produce_xfer, src, 0 };
	struct xfer_sink sink;
	const struct xfer_domain *sd, *dd;
	size_t ns, nd;
	int r;

	assert_int_equal(endpoint_sink_new(dst, &so, &k), 0);
	endpoint_sink_xfer(k, &sink);
	sd = endpoint_domains(src, &ns);
	dd = endpoint_domains(dst, &nd);
	r = xfer_run_pair(sd, ns, dd, nd, &source, &sink);
	if (r == 0)
		r = endpoint_commit(dst);
	if (stp != NULL) {
		*stp = *endpoint_sink_stats(k);
		stp->skips = NULL; /* freed with k */
	}
	endpoint_sink_free(k);
	endpoint_close(dst);
	endpoint_close(src);
	return r;
}

/*
 * The same clone with the sender's frames tampered with (frame numbers as
 * in test_xfer.c: 0-2 handshake, 3.. DATA, the last COMMIT). Returns the
 * transfer's result; the target is left as endpoint_close leaves it.
 */
static int
run_tampered(struct two *t, enum chan_tamper_op op, unsigned int frame,
    size_t arg, unsigned int *framesp)
{
	struct endpoint *src = ep_login(t->src, 0), *dst = ep_login(t->dst,
	    ENDPOINT_TX);
	struct endpoint_sink_opts so = { ENDPOINT_FAIL, 0, "clone", NULL, 0, 0 };
	struct endpoint_sink *k = NULL;
	struct xfer_source source = { produce_xfer, src, 0 };
	struct xfer_sink sink;
	struct chan *a, *b, *ta;
	const struct xfer_domain *sd, *dd;
	size_t ns, nd;
	int r;

	assert_int_equal(endpoint_sink_new(dst, &so, &k), 0);
	endpoint_sink_xfer(k, &sink);
	sd = endpoint_domains(src, &ns);
	dd = endpoint_domains(dst, &nd);
	assert_int_equal(chan_pair_new(0, &a, &b), 0);
	assert_int_equal(chan_tamper_new(a, &ta), 0);
	if (op != 0)
		assert_int_equal(chan_tamper_add(ta, op, frame, arg), 0);
	r = xfer_run(ta, sd, ns, b, dd, nd, &source, &sink);
	if (r == 0)
		r = endpoint_commit(dst);
	if (framesp != NULL)
		*framesp = chan_tamper_frames(ta);
	endpoint_sink_free(k);
	endpoint_close(dst);
	endpoint_close(src);
	chan_free(ta);
	chan_free(b);
	return r;
}

/* An altered, truncated or replayed stream: refused, target untouched. */
static void
test_tampered_stream_leaves_target_unchanged(void **state)
{
	struct two *t = *state;
	struct session *s = NULL;
	struct buf *before, *after;
	unsigned int frames = 0, i;
	static const struct {
		enum chan_tamper_op op;
		int frame;          /* < 0: from the end */
		size_t arg;
	} cases[] = {
		{ CHAN_T_FLIP, 3, 40 },       /* a byte of the first DATA */
		{ CHAN_T_FLIP, 4, 200 },      /* a later DATA */
		{ CHAN_T_TRUNCATE, 4, 100 },  /* cut mid-stream */
		{ CHAN_T_REPLAY, 3, 0 },      /* a DATA frame twice */
		{ CHAN_T_SWAP, 3, 0 },        /* two DATA frames reordered */
		{ CHAN_T_FLIP, -1, 30 },      /* the COMMIT */
		{ CHAN_T_TRUNCATE, -1, 10 },  /* the COMMIT cut */
	};

	/* enough objects for several DATA frames */
	assert_int_equal(fx_login(t->a.h, "p1", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate_bulk(s, OBJ_AES, 256, "bulk", 1, 1500,
	    NULL, NULL), 0);
	session_close(s);
	before = slurp(t->b.dir, "audit.log");
	/* untampered: count the sender's frames */
	assert_int_equal(run_tampered(t, 0, 0, 0, &frames), 0);
	assert_true(frames >= 7);
	assert_int_equal(objects_in(t->b.h, "p1"), 1503);
	/* back to empty for the tampered runs */
	assert_int_equal(fx_so(t->b.h, "so-pin"), 0);
	assert_int_equal(partition_delete(t->b.h, "p1"), 0);
	assert_int_equal(fx_partition(t->b.h, "p1", "dom-pw"), 0);
	buf_free(before);
	before = slurp(t->b.dir, "audit.log");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned int f = cases[i].frame >= 0 ?
		    (unsigned int)cases[i].frame :
		    (unsigned int)((int)frames + cases[i].frame);
		int r = run_tampered(t, cases[i].op, f, cases[i].arg, NULL);

		if (r == 0)
			fail_msg("case %u: tampered stream accepted", i);
		after = slurp(t->b.dir, "audit.log");
		if (!same_buf(before, after))
			fail_msg("case %u (%s): the target's audit log changed",
			    i, err_str(r));
		buf_free(after);
		assert_int_equal(objects_in(t->b.h, "p1"), 0);
	}
	buf_free(before);
}

static void
test_clone_all_values_equal(void **state)
{
	struct two *t = *state;
	struct endpoint_stats st;
	struct session *a = NULL, *b = NULL;
	struct object *oa = NULL, *ob = NULL;
	struct buf *ra = buf_new(OBJECT_RECORD_MAX), *rb = buf_new(OBJECT_RECORD_MAX);

	assert_int_equal(run_clone(t, t->dst, ENDPOINT_FAIL, &st), 0);
	assert_int_equal(st.received, 3);
	assert_int_equal(st.written, 3);
	assert_int_equal(st.skipped, 0);
	assert_int_equal(objects_in(t->b.h, "p1"), 3);
	/* the EC key arrives with every attribute and the same value */
	assert_int_equal(fx_login(t->a.h, "p1", ROLE_CO, "co-pin", &a), 0);
	assert_int_equal(fx_login(t->b.h, "p1", ROLE_CO, "co-pin", &b), 0);
	assert_int_equal(object_get(a, "ec-1", &oa), 0);
	assert_int_equal(object_get(b, "ec-1", &ob), 0);
	assert_int_equal(object_encode(oa, ra), 0);
	assert_int_equal(object_encode(ob, rb), 0);
	assert_true(same_buf(ra, rb));
	object_free(oa);
	object_free(ob);
	buf_free(ra);
	buf_free(rb);
	session_close(a);
	session_close(b);
}

static void
test_domain_mismatch_leaves_target_unchanged(void **state)
{
	struct two *t = *state;
	struct buf *before = slurp(t->b.dir, "audit.log"), *after;

	/* p2 holds only "other-pw": the handshake ends with no common domain,
	 * and the target's login is rolled back with everything else. */
	assert_int_equal(run_clone(t, t->other, ENDPOINT_FAIL, NULL),
	    CE_DOMAIN_MISMATCH);
	after = slurp(t->b.dir, "audit.log");
	assert_true(same_buf(before, after));
	assert_int_equal(objects_in(t->b.h, "p2"), 0);
	buf_free(before);
	buf_free(after);
}

static void
test_conflict_modes(void **state)
{
	struct two *t = *state;
	struct endpoint_stats st;
	struct buf *before, *after;

	/* the target already holds "ec-1" (a different key) */
	gen(t->b.h, "p1", OBJ_EC, "ec-1");
	before = slurp(t->b.dir, "audit.log");
	assert_int_equal(run_clone(t, t->dst, ENDPOINT_FAIL, NULL), CE_CONFLICT);
	assert_non_null(strstr(err_detail(), "ec-1"));
	after = slurp(t->b.dir, "audit.log");
	assert_true(same_buf(before, after));
	assert_int_equal(objects_in(t->b.h, "p1"), 1);
	buf_free(after);

	assert_int_equal(run_clone(t, t->dst, ENDPOINT_SKIP, &st), 0);
	assert_int_equal(st.written, 2);
	assert_int_equal(st.skipped, 1);
	assert_int_equal(st.nskips, 1);
	assert_int_equal(objects_in(t->b.h, "p1"), 3);

	assert_int_equal(run_clone(t, t->dst, ENDPOINT_REPLACE, &st), 0);
	assert_int_equal(st.written, 0);
	assert_int_equal(st.replaced, 3);
	assert_int_equal(objects_in(t->b.h, "p1"), 3);
	buf_free(before);
}

static void
test_sync_reports_identical_and_different(void **state)
{
	struct two *t = *state;
	struct endpoint *src = ep_login(t->src, 0), *dst;
	struct endpoint_sink_opts so = { ENDPOINT_SYNC, 0, "clone", NULL, 0, 0 };
	struct endpoint_produce_opts po;
	struct endpoint_sink *k = NULL;
	const struct endpoint_stats *st;
	size_t i;
	int same = 0, differs = 0;

	/* first sync copies everything; then the target gets its own "x" and
	 * its own "ec-1" is replaced by a different key */
	assert_int_equal(run_clone(t, t->dst, ENDPOINT_SYNC, NULL), 0);
	{
		struct session *s = NULL;

		assert_int_equal(fx_login(t->b.h, "p1", ROLE_CO, "co-pin", &s), 0);
		assert_int_equal(object_delete(s, "ec-1"), 0);
		assert_int_equal(object_delete(s, "aes-1"), 0);
		assert_int_equal(object_generate(s, OBJ_EC, 0, "ec-1", NULL), 0);
		assert_int_equal(object_generate(s, OBJ_AES, 0, "x", NULL), 0);
		session_close(s);
	}
	dst = ep_login(t->dst, ENDPOINT_TX);
	assert_int_equal(endpoint_sink_new(dst, &so, &k), 0);
	memset(&po, 0, sizeof(po));
	po.emit = endpoint_emit_sink;
	po.arg = k;
	assert_int_equal(endpoint_produce(src, &po, NULL), 0);
	assert_int_equal(endpoint_sink_commit(k, 3), 0);
	assert_int_equal(endpoint_commit(dst), 0);
	st = endpoint_sink_stats(k);
	assert_int_equal(st->written, 1);     /* aes-1 was missing */
	assert_int_equal(st->skipped, 2);
	/* hmac-1 is identical: counted, never listed */
	same = (int)st->identical;
	assert_int_equal(st->nskips, 1);
	for (i = 0; i < st->nskips; i++) {
		assert_int_not_equal(st->skips[i].why, ENDPOINT_IDENTICAL);
		if (strcmp(st->skips[i].label, "ec-1") == 0 &&
		    st->skips[i].why == ENDPOINT_DIFFERS &&
		    strstr(st->skips[i].reason, "different") != NULL)
			differs++;
	}
	assert_int_equal(same, 1);
	assert_int_equal(differs, 1);
	endpoint_sink_free(k);
	endpoint_close(dst);
	endpoint_close(src);
	/* never deletes: the target's own "x" is still there */
	assert_int_equal(objects_in(t->b.h, "p1"), 4);
}

static void
test_sink_count_mismatch_and_bad_record(void **state)
{
	struct two *t = *state;
	struct endpoint *dst = ep_login(t->dst, ENDPOINT_TX);
	struct endpoint_sink_opts so = { ENDPOINT_FAIL, 0, "clone", NULL, 0, 0 };
	struct endpoint_sink *k = NULL;
	static const uint8_t junk[] = { 1, 2, 3 };

	assert_int_equal(endpoint_sink_new(dst, &so, &k), 0);
	assert_int_equal(endpoint_sink_commit(k, 1), CE_INTEGRITY);
	endpoint_sink_free(k);
	assert_int_equal(endpoint_sink_new(dst, &so, &k), 0);
	assert_int_not_equal(endpoint_sink_record(k, XFER_REC_V0_OBJECT, junk,
	    sizeof(junk)), 0);
	/* after a refusal nothing more is taken and nothing commits */
	assert_int_not_equal(endpoint_sink_commit(k, 1), 0);
	endpoint_sink_free(k);
	assert_int_equal(endpoint_sink_new(dst, &so, &k), 0);
	/* a malformed SMK record (V1 records are taken since lib/sks) */
	assert_int_equal(endpoint_sink_record(k, XFER_REC_SMK, junk,
	    sizeof(junk)), CE_FORMAT);
	endpoint_sink_free(k);
	assert_int_equal(endpoint_sink_new(dst, &so, &k), 0);
	assert_int_equal(endpoint_sink_record(k, 99, junk, sizeof(junk)),
	    CE_FORMAT);
	endpoint_sink_free(k);
	endpoint_close(dst);
	assert_int_equal(objects_in(t->b.h, "p1"), 0);
}

/* A restore's reading thread: each V0 record made into a prepared row. */
struct prep_emit {
	struct endpoint_sink *k;
	struct object_prep *prep;
	struct buf *row;
	struct buf *last;       /* a copy of the last row made */
};

static int
emit_prepared(void *arg, uint8_t kind, const void *p, size_t n)
{
	struct prep_emit *pe = arg;

	assert_int_equal(kind, XFER_REC_V0_OBJECT);
	assert_int_equal(object_prep_record(pe->prep, p, n, pe->row), 0);
	buf_reset(pe->last);
	assert_int_equal(buf_put(pe->last, buf_ptr(pe->row),
	    buf_len(pe->row)), 0);
	return endpoint_sink_prepared(pe->k, buf_ptr(pe->row),
	    buf_len(pe->row));
}

/*
 * Rows prepared off the sink (sealed under the target's key with the row
 * id they get) go in with the conflict mode's handling, and open: a sync
 * afterwards finds the copies identical to the source's. The sink never
 * takes a prepared row as a record, which is what a transfer delivers.
 */
static void
test_sink_prepared_rows(void **state)
{
	struct two *t = *state;
	struct endpoint *src = ep_login(t->src, 0), *dst;
	struct endpoint_sink_opts so = { ENDPOINT_SKIP, 0, "restore", NULL, 0,
	    0 };
	struct endpoint_produce_opts po;
	struct endpoint_stats st;
	struct prep_emit pe;

	gen(t->b.h, "p1", OBJ_AES, "aes-1"); /* the target's own, kept */
	dst = ep_login(t->dst, ENDPOINT_TX);
	memset(&pe, 0, sizeof(pe));
	assert_int_equal(endpoint_sink_new(dst, &so, &pe.k), 0);
	assert_int_equal(endpoint_sink_prep(pe.k, &pe.prep), 0);
	assert_non_null(pe.prep);
	assert_non_null(pe.row = buf_new(OBJECT_PREP_MAX));
	assert_non_null(pe.last = buf_new(OBJECT_PREP_MAX));
	memset(&po, 0, sizeof(po));
	po.emit = emit_prepared;
	po.arg = &pe;
	assert_int_equal(endpoint_produce(src, &po, NULL), 0);
	/* what a transfer would have to carry to pass a row off as prepared */
	assert_int_equal(endpoint_sink_record(pe.k, 0xfe, buf_ptr(pe.last),
	    buf_len(pe.last)), CE_FORMAT);
	endpoint_sink_free(pe.k);
	endpoint_close(dst);
	assert_int_equal(objects_in(t->b.h, "p1"), 1);

	dst = ep_login(t->dst, ENDPOINT_TX);
	assert_int_equal(endpoint_sink_new(dst, &so, &pe.k), 0);
	object_prep_free(pe.prep);
	assert_int_equal(endpoint_sink_prep(pe.k, &pe.prep), 0);
	assert_int_equal(endpoint_produce(src, &po, NULL), 0);
	assert_int_equal(endpoint_sink_commit(pe.k, 3), 0);
	assert_int_equal(endpoint_commit(dst), 0);
	st = *endpoint_sink_stats(pe.k);
	assert_int_equal(st.written, 2);
	assert_int_equal(st.skipped, 1);
	endpoint_sink_free(pe.k);
	object_prep_free(pe.prep);
	buf_free(pe.row);
	buf_free(pe.last);
	endpoint_close(dst);
	endpoint_close(src);
	assert_int_equal(objects_in(t->b.h, "p1"), 3);

	/* ec-1 and hmac-1 open under the target's key and match the source */
	assert_int_equal(run_clone(t, t->dst, ENDPOINT_SYNC, &st), 0);
	assert_int_equal(st.written, 0);
	assert_int_equal(st.identical, 2);
	assert_int_equal(st.nskips, 1); /* aes-1: the target's own differs */

	/* a sync looks at the target's copy of each record: no rows made */
	dst = ep_login(t->dst, ENDPOINT_TX);
	so.conflict = ENDPOINT_SYNC;
	assert_int_equal(endpoint_sink_new(dst, &so, &pe.k), 0);
	pe.prep = (struct object_prep *)&pe;
	assert_int_equal(endpoint_sink_prep(pe.k, &pe.prep), 0);
	assert_null(pe.prep);
	endpoint_sink_free(pe.k);
	endpoint_close(dst);
}

/* The same producer and sink around a sealed stream (backup, restore). */
static void
test_sealed_roundtrip(void **state)
{
	struct two *t = *state;
	struct endpoint *src = ep_login(t->src, 0), *dst;
	struct secret *pw = fx_pin("backup-pw");
	struct endpoint_sink_opts so = { ENDPOINT_FAIL, 0, "restore", NULL, 0, 0 };
	struct endpoint_produce_opts po;
	struct endpoint_sink *k = NULL;
	struct sealed_writer *w = NULL;
	struct sealed_reader *rd = NULL;
	struct buf *hdr = NULL, *body = buf_new(1u << 22);
	struct chan *out = NULL, *in = NULL;
	const struct xfer_domain *d;
	size_t n;
	uint64_t count = 0;

	d = endpoint_domains(src, &n);
	assert_int_equal(chan_mem_writer(body, &out), 0);
	assert_int_equal(sealed_writer_new(pw, KDF_TEST, d, n, out, &w), 0);
	memset(&po, 0, sizeof(po));
	po.emit = endpoint_emit_sealed;
	po.arg = w;
	assert_int_equal(endpoint_produce(src, &po, &count), 0);
	assert_int_equal(count, 3);
	assert_int_equal(sealed_writer_finish(w), 0);
	assert_int_equal(sealed_writer_header(w, NULL, 0, &hdr), 0);

	dst = ep_login(t->dst, ENDPOINT_TX);
	d = endpoint_domains(dst, &n);
	assert_int_equal(sealed_open(buf_ptr(hdr), buf_len(hdr), pw, d, n, NULL,
	    0, &rd), 0);
	assert_int_equal(endpoint_sink_new(dst, &so, &k), 0);
	assert_int_equal(chan_mem_reader(buf_ptr(body), buf_len(body), &in), 0);
	assert_int_equal(sealed_read(rd, in, endpoint_sink_record, k, &count), 0);
	assert_int_equal(endpoint_sink_commit(k, count), 0);
	assert_int_equal(endpoint_commit(dst), 0);
	assert_int_equal(endpoint_sink_stats(k)->written, 3);
	endpoint_sink_free(k);
	endpoint_close(dst);
	endpoint_close(src);
	assert_int_equal(objects_in(t->b.h, "p1"), 3);
	sealed_reader_free(rd);
	sealed_writer_free(w);
	chan_free(in);
	chan_free(out);
	buf_free(hdr);
	buf_free(body);
	secret_free(pw);
}

static void
test_conflict_parse(void **state)
{
	int m = -1;

	(void)state;
	assert_int_equal(endpoint_conflict_parse("sync", &m), 0);
	assert_int_equal(m, ENDPOINT_SYNC);
	assert_string_equal(endpoint_conflict_name(ENDPOINT_REPLACE), "replace");
	assert_int_equal(endpoint_conflict_parse("overwrite", &m), CE_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_refusals, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cloning_policy, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_domains_and_failed_login_kept,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_produce_all_and_selection,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone_all_values_equal,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_domain_mismatch_leaves_target_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_tampered_stream_leaves_target_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflict_modes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_sync_reports_identical_and_different, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_sink_count_mismatch_and_bad_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sealed_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sink_prepared_rows, setup,
		    teardown),
		cmocka_unit_test(test_conflict_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
