/*
 * backup: make, verify, deep-verify and restore backups between two real
 * HSM directories through a real store; what each refusal leaves behind.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

#include "testutil.h"
#include "hsmfix.h"
#include "epfix.h"

#include "backup.h"
#include "buf.h"
#include "bstore.h"
#include "endpoint.h"
#include "object.h"
#include "xfer.h"

/* A: p1 with three objects; B: p1 (same domain, empty), p2 (another). */
struct fx {
	struct two t;
	char store[96], uri[104];
	struct bstore *st;
	struct secret *pw;
};


static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	two_setup(&f->t);
	snprintf(f->store, sizeof(f->store), "%s/store", f->t.a.dir);
	snprintf(f->uri, sizeof(f->uri), "dir:%s", f->store);
	assert_int_equal(mkdir(f->store, 0700), 0);
	assert_int_equal(bstore_init(f->uri, NULL), 0);
	assert_int_equal(bstore_open(f->uri, &f->st), 0);
	f->pw = fx_pin("backup-pw");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	bstore_close(f->st);
	secret_free(f->pw);
	two_teardown(&f->t);
	free(f);
	return 0;
}


/* Backs up A's p1 (labels: a selection or NULL); returns backup_make's r. */
static int
make(struct fx *f, const char *const *labels, size_t n, char *name)
{
	struct backup_params p;
	struct backup_result res;
	struct endpoint *e = ep_login(f->t.src, 0);
	int r;

	memset(&p, 0, sizeof(p));
	p.password = f->pw;
	p.kdf = KDF_TEST;
	p.labels = labels;
	p.nlabels = n;
	r = backup_make(e, f->st, &p, &res);
	endpoint_close(e);
	if (r == 0 && name != NULL)
		strcpy(name, res.name);
	return r;
}

static int
restore_into(struct fx *f, const char *uri, const char *name, int mode,
    const struct secret *pw, struct restore_result *res)
{
	struct restore_params p;
	struct endpoint *e = ep_login(uri, ENDPOINT_TX);
	int r;

	memset(&p, 0, sizeof(p));
	p.password = pw;
	p.mode = mode;
	r = backup_restore(e, f->st, name, &p, res);
	endpoint_close(e);
	return r;
}

static uint64_t
objects(struct hsm *h, const char *label)
{
	struct partition_info pi;

	assert_int_equal(partition_get_info(h, label, &pi), 0);
	return pi.objects;
}

static void
test_roundtrip(void **state)
{
	struct fx *f = *state;
	struct restore_result res;
	struct bstore_entry e;
	char name[BSTORE_NAME_MAX];

	assert_int_equal(make(f, NULL, 0, name), 0);
	assert_int_equal(backup_verify(f->st, name, &e), 0);
	assert_int_equal(e.m.object_count, 3);
	assert_true(e.verified);
	assert_int_equal(restore_into(f, f->t.dst, name, BACKUP_REPLACE, f->pw,
	    &res), 0);
	assert_int_equal(res.written, 3);
	assert_int_equal(objects(f->t.b.h, "p1"), 3);
	/* Add mode over a full copy: nothing written, every object kept. */
	assert_int_equal(restore_into(f, f->t.dst, name, BACKUP_ADD, f->pw,
	    &res), 0);
	assert_int_equal(res.written, 0);
	assert_int_equal(res.skipped, 3);
}

static void
test_refusals_leave_target(void **state)
{
	struct fx *f = *state;
	struct restore_result res;
	struct secret *bad = fx_pin("not-it");
	char name[BSTORE_NAME_MAX];

	assert_int_equal(make(f, NULL, 0, name), 0);
	assert_int_equal(restore_into(f, f->t.dst, name, BACKUP_REPLACE, bad,
	    &res), CE_BAD_CREDENTIAL);
	assert_int_equal(restore_into(f, f->t.other, name, BACKUP_REPLACE, f->pw,
	    &res), CE_BAD_CREDENTIAL);
	assert_int_equal(objects(f->t.b.h, "p1"), 0);
	assert_int_equal(objects(f->t.b.h, "p2"), 0);
	assert_int_equal(restore_into(f, f->t.dst, "p1_20000101T000000Z.cbk",
	    BACKUP_ADD, f->pw, &res), CE_NOT_FOUND);
	secret_free(bad);
}

static void
test_selection(void **state)
{
	struct fx *f = *state;
	const char *missing[] = { "aes-1", "nope" };
	const char *one[] = { "ec-1" };
	struct bstore_entry e;
	char name[BSTORE_NAME_MAX];
	size_t n;

	/* A label the partition lacks: refused, nothing in the store. */
	assert_int_equal(make(f, missing, 2, name), CE_NOT_FOUND);
	assert_int_equal(bstore_count(f->st, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(make(f, one, 1, name), 0);
	assert_int_equal(bstore_show(f->st, name, &e), 0);
	assert_int_equal(e.m.object_count, 1);
}

/* A backup renamed to another valid name is refused: the name is bound. */
static void
test_renamed(void **state)
{
	struct fx *f = *state;
	struct restore_result res;
	char name[BSTORE_NAME_MAX], from[256], to[256];

	assert_int_equal(make(f, NULL, 0, name), 0);
	snprintf(from, sizeof(from), "%s/%s", f->store, name);
	snprintf(to, sizeof(to), "%s/p1_20000101T000000Z.cbk", f->store);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(restore_into(f, f->t.dst, "p1_20000101T000000Z.cbk",
	    BACKUP_REPLACE, f->pw, &res), CE_INTEGRITY);
	assert_int_equal(backup_verify(f->st, "p1_20000101T000000Z.cbk", NULL),
	    CE_INTEGRITY);
	assert_int_equal(objects(f->t.b.h, "p1"), 0);
}

/* Deep verify: the right domain and password pass and mark; damage fails. */
static void
test_deep(void **state)
{
	struct fx *f = *state;
	struct restore_result res;
	struct bstore_entry e;
	struct endpoint *ep;
	const struct xfer_domain *d;
	struct secret *bad = fx_pin("not-it");
	char name[BSTORE_NAME_MAX], path[256];
	size_t nd;
	off_t size;
	int fd;
	uint8_t b;

	assert_int_equal(make(f, NULL, 0, name), 0);
	ep = ep_login(f->t.dst, 0);
	d = endpoint_domains(ep, &nd);
	assert_int_equal(backup_verify_deep(f->st, name, bad, d, nd, NULL, NULL,
	    &res), CE_BAD_CREDENTIAL);
	assert_int_equal(backup_verify_deep(f->st, name, f->pw, d, nd, NULL,
	    NULL, &res), 0);
	assert_int_equal(res.records, 3);
	assert_int_equal(bstore_show(f->st, name, &e), 0);
	assert_true(e.verified);
	/* One flipped byte in records.bin (data from 3072). */
	snprintf(path, sizeof(path), "%s/%s", f->store, name);
	assert_true((fd = open(path, O_RDWR)) >= 0);
	size = lseek(fd, 0, SEEK_END);
	assert_true(size > 3072 + 1536);
	assert_int_equal(pread(fd, &b, 1, 3100), 1);
	b ^= 1;
	assert_int_equal(pwrite(fd, &b, 1, 3100), 1);
	close(fd);
	assert_int_equal(backup_verify_deep(f->st, name, f->pw, d, nd, NULL,
	    NULL, &res), CE_INTEGRITY);
	assert_int_equal(bstore_show(f->st, name, &e), 0);
	assert_false(e.verified);
	assert_int_equal(backup_verify(f->st, name, NULL), CE_INTEGRITY);
	endpoint_close(ep);
	secret_free(bad);
}

/* A sealed stream of twelve V0 records: A's three objects over and over,
 * with junk that seals fine but is no object record at index bad. */
struct bad_stream {
	struct buf *recs[4];
	int bad;
};

static int
keep_rec(void *ctx, const struct object_info *oi, const uint8_t *rec,
    size_t len)
{
	struct buf **v = ctx;
	int i;

	(void)oi;
	for (i = 0; v[i] != NULL; i++)
		;
	v[i] = buf_from(rec, len);
	return 0;
}

static int
produce_bad(void *arg, int (*emit)(void *, uint8_t, const void *, size_t),
    void *emitarg, uint64_t *objectsp)
{
	struct bad_stream *b = arg;
	static const uint8_t junk[] = "COBJ\1 no object";
	int i, r;

	for (i = 0; i < 12; i++) {
		r = i == b->bad ? emit(emitarg, XFER_REC_V0_OBJECT, junk,
		    sizeof(junk)) : emit(emitarg, XFER_REC_V0_OBJECT,
		    buf_ptr(b->recs[i % 3]), buf_len(b->recs[i % 3]));
		if (r != 0)
			return r;
	}
	*objectsp = 12;
	return 0;
}

/*
 * Deep verify decodes V0 records on both of its threads (the reading one
 * takes a share): a record that does not decode is caught wherever it
 * falls, named by its index, and the backup is not marked verified.
 */
static void
test_deep_bad_record(void **state)
{
	struct fx *f = *state;
	struct backup_params p;
	struct backup_result br;
	struct restore_result rr;
	struct bstore_entry e;
	struct bad_stream b;
	struct session *s = NULL;
	struct endpoint *src, *ep;
	const struct xfer_domain *sd, *d;
	char name[BSTORE_NAME_MAX], want[64];
	size_t ns, nd;
	int i;

	memset(&b, 0, sizeof(b));
	assert_int_equal(fx_login(f->t.a.h, "p1", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_foreach(s, keep_rec, b.recs), 0);
	session_close(s);
	assert_non_null(b.recs[2]);
	/* a real backup's manifest, for the same source and domains */
	assert_int_equal(make(f, NULL, 0, name), 0);
	assert_int_equal(bstore_show(f->st, name, &e), 0);
	src = ep_login(f->t.src, 0);
	sd = endpoint_domains(src, &ns);
	ep = ep_login(f->t.dst, 0);
	d = endpoint_domains(ep, &nd);
	memset(&p, 0, sizeof(p));
	p.password = f->pw;
	p.kdf = KDF_TEST;
	for (i = 0; i < 12; i++) {
		struct cbk_manifest m = e.m;

		/* every index, so that some fall to each thread */
		b.bad = i;
		snprintf(m.label, sizeof(m.label), "bad%d", i);
		memset(&br, 0, sizeof(br));
		assert_int_equal(backup_seal(f->st, &m, &p, sd, ns, 1u << 20,
		    produce_bad, &b, NULL, &br), 0);
		assert_int_equal(backup_verify_deep(f->st, br.name, f->pw, d,
		    nd, NULL, NULL, &rr), CE_INTEGRITY);
		snprintf(want, sizeof(want), "record %d is not a valid object "
		    "record", i);
		assert_non_null(strstr(err_detail(), want));
		assert_int_equal(bstore_show(f->st, br.name, &e), 0);
		assert_false(e.verified);
	}
	/* and the same stream without junk passes */
	b.bad = -1;
	{
		struct cbk_manifest m = e.m;

		snprintf(m.label, sizeof(m.label), "good");
		assert_int_equal(backup_seal(f->st, &m, &p, sd, ns, 1u << 20,
		    produce_bad, &b, NULL, &br), 0);
		assert_int_equal(backup_verify_deep(f->st, br.name, f->pw, d,
		    nd, NULL, NULL, &rr), 0);
		assert_int_equal(rr.records, 12);
	}
	for (i = 0; i < 4; i++)
		buf_free(b.recs[i]);
	endpoint_close(ep);
	endpoint_close(src);
}

/* A V1 partition's backup: deep verify opens every blob under its SMK. */
static void
test_v1_deep(void **state)
{
	struct fx *f = *state;
	struct backup_params p;
	struct backup_result res;
	struct restore_result rr;
	struct bstore_entry e;
	struct endpoint *ep;
	const struct xfer_domain *d;
	char uri[96];
	size_t nd;

	assert_int_equal(fx_partition_v(f->t.a.h, "v1", "dom-pw", 1), 0);
	gen(f->t.a.h, "v1", OBJ_AES, "aes-v1");
	gen(f->t.a.h, "v1", OBJ_EC, "ec-v1");
	snprintf(uri, sizeof(uri), "hsm:%s#v1", f->t.a.dir);
	ep = ep_login(uri, 0);
	memset(&p, 0, sizeof(p));
	p.password = f->pw;
	p.kdf = KDF_TEST;
	assert_int_equal(backup_make(ep, f->st, &p, &res), 0);
	endpoint_close(ep);
	assert_int_equal(backup_verify(f->st, res.name, &e), 0);
	assert_int_equal(e.m.partition_version, 1);
	assert_int_equal(e.m.object_count, 2);
	ep = ep_login(f->t.dst, 0);
	d = endpoint_domains(ep, &nd);
	assert_int_equal(backup_verify_deep(f->st, res.name, f->pw, d, nd, NULL,
	    NULL, &rr), 0);
	assert_int_equal(rr.records, 3); /* the SMK record and two blobs */
	endpoint_close(ep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deep_bad_record, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refusals_leave_target,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_selection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renamed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_deep, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
