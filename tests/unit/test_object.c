/* object: generation, listing, records, apply modes, capacity, roles. */
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>
#include <sqlite3.h>

#include "testutil.h"
#include "hsmfix.h"

#include "buf.h"
#include "object.h"
#include "object_int.h"
#include "p11.h"

static int
count_cb(void *ctx, const struct object_info *oi)
{
	(void)oi;
	(*(int *)ctx)++;
	return 0;
}

static void
test_generate_every_kind(void **state)
{
	struct hsmfix f;
	struct session *s = NULL;
	struct object_info oi, oi2;
	struct object *o = NULL;
	int n = 0;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate(s, OBJ_AES, 128, "a128", NULL), 0);
	assert_int_equal(object_generate(s, OBJ_AES, 192, "a192", NULL), 0);
	assert_int_equal(object_generate(s, OBJ_AES, 256, "a256", NULL), 0);
	assert_int_equal(object_generate(s, OBJ_GENERIC, 512, "g", NULL), 0);
	assert_int_equal(object_generate(s, OBJ_RSA, 2048, "rsa", NULL), 0);
	assert_int_equal(object_generate(s, OBJ_EC, 256, "ec256", NULL), 0);
	assert_int_equal(object_generate(s, OBJ_EC, 384, "ec384", NULL), 0);
	assert_int_equal(object_generate(s, OBJ_AES, 100, "bad", NULL),
	    CE_INVALID);
	assert_int_equal(object_generate(s, OBJ_AES, 256, "a256", NULL),
	    CE_EXISTS);
	assert_int_equal(object_list(s, count_cb, &n), 0);
	assert_int_equal(n, 7);
	assert_int_equal(object_find(s, "ec384", &oi), 0);
	assert_int_equal(oi.cls, CKO_PRIVATE_KEY);
	assert_int_equal(oi.key_type, CKK_EC);
	assert_int_equal(oi.bits, 384);
	/* by store id, as a PKCS#11 handle names it */
	memset(&oi2, 0, sizeof(oi2));
	assert_int_equal(object_find_id(s, oi.id, &oi2), 0);
	assert_string_equal(oi2.label, "ec384");
	assert_int_equal(object_find_id(s, oi.id + 1000, &oi2), CE_NOT_FOUND);
	assert_int_equal(object_get(s, "a192", &o), 0);
	assert_int_equal(secret_len(o->value), 24);
	object_free(o);
	assert_int_equal(object_delete(s, "a128"), 0);
	assert_int_equal(object_find(s, "a128", &oi), CE_NOT_FOUND);
	session_close(s);
	fx_teardown(&f);
}

static int
collect_cb(void *ctx, const struct object_info *oi, const uint8_t *rec,
    size_t len)
{
	struct buf **v = ctx;
	size_t i;

	(void)oi;
	for (i = 0; v[i] != NULL; i++)
		;
	v[i] = buf_from(rec, len);
	return v[i] == NULL ? CE_NOMEM : 0;
}

/* object_foreach_row's rows, opened on "another thread": kept in v. */
struct opened_rows {
	struct object_psk *op;
	struct buf **v;
	int r;              /* the first object_row_open error */
};

static int
open_cb(void *ctx, const struct object_info *oi, const uint8_t *row,
    size_t len)
{
	struct opened_rows *o = ctx;
	struct buf *rec = buf_new(OBJECT_RECORD_MAX);
	int r;

	assert_non_null(rec);
	if ((r = object_row_open(o->op, row, len, rec)) != 0) {
		if (o->r == 0)
			o->r = r;
		buf_free(rec);
		return 0;
	}
	r = collect_cb(o->v, oi, buf_ptr(rec), buf_len(rec));
	buf_free(rec);
	return r;
}

/*
 * A backup reads rows on one thread and opens them on another: the
 * records are the ones object_foreach makes, and a row altered in hsm.db
 * is refused with its id, never passed on.
 */
static void
test_rows_opened_elsewhere(void **state)
{
	struct hsmfix f;
	struct session *s = NULL;
	struct buf *recs[8] = { 0 }, *rows[8] = { 0 };
	struct opened_rows o;
	char db_path[128];
	sqlite3 *db;
	int i;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate(s, OBJ_AES, 256, "k1", NULL), 0);
	assert_int_equal(object_generate(s, OBJ_EC, 256, "k2", NULL), 0);
	assert_int_equal(object_import_data(s, "d1", "app", "hello", 5, 1), 0);
	assert_int_equal(object_foreach(s, collect_cb, recs), 0);
	memset(&o, 0, sizeof(o));
	o.v = rows;
	assert_int_equal(object_psk_new(s, &o.op), 0);
	assert_int_equal(object_foreach_row(s, open_cb, &o), 0);
	assert_int_equal(o.r, 0);
	for (i = 0; i < 3; i++) {
		assert_non_null(rows[i]);
		assert_int_equal(buf_len(rows[i]), buf_len(recs[i]));
		assert_memory_equal(buf_ptr(rows[i]), buf_ptr(recs[i]),
		    buf_len(recs[i]));
	}
	assert_null(rows[3]);
	/* k2's sealed value altered behind the HSM's back */
	snprintf(db_path, sizeof(db_path), "%s/hsm.db", f.dir);
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE object SET value = "
	    "substr(value, 1, 20) || X'00' || substr(value, 22) WHERE label = "
	    "'k2' AND substr(value, 21, 1) != X'00'; UPDATE object SET value = "
	    "substr(value, 1, 20) || X'01' || substr(value, 22) WHERE label = "
	    "'k2' AND changes() = 0", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	for (i = 0; i < 8; i++) {
		buf_free(rows[i]);
		rows[i] = NULL;
	}
	assert_int_equal(object_foreach_row(s, open_cb, &o), 0);
	assert_int_equal(o.r, CE_INTEGRITY);
	assert_non_null(strstr(err_detail(), "hsm.db was altered"));
	assert_non_null(rows[0]);
	assert_non_null(rows[1]); /* d1: k2 never reached the callback */
	assert_null(rows[2]);
	for (i = 0; i < 8; i++) {
		buf_free(rows[i]);
		buf_free(recs[i]);
	}
	object_psk_free(o.op);
	session_close(s);
	fx_teardown(&f);
}

/* object_seq_get gives what object_record_get gives, in any order. */
static void
seq_expect(struct session *s, struct object_seq *q, const char *label,
    int want)
{
	struct buf *a = buf_new(OBJECT_RECORD_MAX);
	struct buf *b = buf_new(OBJECT_RECORD_MAX);

	assert_int_equal(object_seq_get(q, NULL, label, a), want);
	assert_int_equal(object_record_get(s, NULL, label, b), want);
	if (want == 0) {
		assert_int_equal(buf_len(a), buf_len(b));
		assert_memory_equal(buf_ptr(a), buf_ptr(b), buf_len(a));
	}
	buf_free(a);
	buf_free(b);
}

/*
 * Reading by label in about the stored order (clone --sync): in order,
 * past a row the caller never asks for, a label that is not there, out of
 * order, and with rows of another partition in between.
 */
static void
test_seq_reads_in_order(void **state)
{
	struct hsmfix f;
	struct session *s = NULL, *t = NULL;
	struct object_seq *q = NULL;
	char l[16];
	int i;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_partition(f.h, "p2", "dom-pw"), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(fx_login(f.h, "p2", ROLE_CO, "co-pin", &t), 0);
	for (i = 1; i <= 6; i++) {
		snprintf(l, sizeof(l), "k%d", i);
		assert_int_equal(object_generate(s, OBJ_AES, 256, l, NULL), 0);
		if (i == 3)
			assert_int_equal(object_generate(t, OBJ_AES, 256,
			    "other", NULL), 0);
	}
	assert_int_equal(object_seq_new(s, &q), 0);
	seq_expect(s, q, "k1", 0);
	seq_expect(s, q, "k2", 0);
	seq_expect(s, q, "k4", 0);      /* k3 passed over */
	seq_expect(s, q, "nope", CE_NOT_FOUND);
	seq_expect(s, q, "k5", 0);
	seq_expect(s, q, "other", CE_NOT_FOUND); /* p2's, not p1's */
	seq_expect(s, q, "k3", 0);      /* back */
	seq_expect(s, q, "k4", 0);
	seq_expect(s, q, "k6", 0);
	seq_expect(s, q, "k1", 0);      /* past the end, from the start */
	object_seq_free(q);
	session_close(t);
	session_close(s);
	fx_teardown(&f);
}

/*
 * A fresh HSM with partitions p1 (session *s, holding keys k1 and k2 and
 * data object d1) and p2 (session *t, empty); recs gets p1's three
 * records in order (room for 8, the rest NULL).
 */
static void
three_objects_two_partitions(struct hsmfix *f, struct session **s,
    struct session **t, struct buf **recs)
{
	assert_int_equal(fx_setup(f), 0);
	assert_int_equal(fx_partition(f->h, "p2", "dom-pw"), 0);
	assert_int_equal(fx_login(f->h, "p1", ROLE_CO, "co-pin", s), 0);
	assert_int_equal(fx_login(f->h, "p2", ROLE_CO, "co-pin", t), 0);
	assert_int_equal(object_generate(*s, OBJ_AES, 256, "k1", NULL), 0);
	assert_int_equal(object_generate(*s, OBJ_EC, 256, "k2", NULL), 0);
	assert_int_equal(object_import_data(*s, "d1", "app", "hello", 5, 1),
	    0);
	assert_int_equal(object_foreach(*s, collect_cb, recs), 0);
	assert_non_null(recs[2]);
	assert_null(recs[3]);
}

/* Frees what three_objects_two_partitions made. */
static void
two_partitions_done(struct hsmfix *f, struct session *s, struct session *t,
    struct buf **recs)
{
	int i;

	for (i = 0; i < 8; i++)
		buf_free(recs[i]);
	session_close(s);
	session_close(t);
	fx_teardown(f);
}

static void
test_records_roundtrip_and_apply(void **state)
{
	struct hsmfix f;
	struct session *s = NULL, *t = NULL;
	struct buf *recs[8] = { 0 };
	struct object_apply_opts ao;
	struct object_apply_stats st;
	struct object *a = NULL, *b = NULL;
	struct partition_info pi;
	int i;

	(void)state;
	three_objects_two_partitions(&f, &s, &t, recs);
	/* one object by label: the same record the walk gave */
	{
		struct buf *one = buf_new(OBJECT_RECORD_MAX);

		assert_int_equal(object_record_get(s, NULL, "k2", one), 0);
		assert_int_equal(buf_len(one), buf_len(recs[1]));
		assert_memory_equal(buf_ptr(one), buf_ptr(recs[1]),
		    buf_len(one));
		assert_int_equal(object_record_get(s, NULL, "nope", one),
		    CE_NOT_FOUND);
		buf_free(one);
	}
	/* decode gives back the same object */
	assert_int_equal(object_decode(buf_ptr(recs[0]), buf_len(recs[0]), &a),
	    0);
	assert_string_equal(a->label, "k1");
	assert_int_equal(a->bits, 256);
	object_free(a);
	a = NULL;
	/* trailing byte and wrong magic refused */
	{
		struct buf *x = buf_new(buf_len(recs[0]) + 1);
		struct object *o = NULL;

		assert_int_equal(buf_put(x, buf_ptr(recs[0]), buf_len(recs[0])),
		    0);
		assert_int_equal(buf_put_u8(x, 0), 0);
		assert_int_equal(object_decode(buf_ptr(x), buf_len(x), &o),
		    CE_TRAILING);
		buf_free(x);
		assert_int_equal(object_decode((const uint8_t *)"XOBJ\1", 5, &o),
		    CE_FORMAT);
	}
	memset(&ao, 0, sizeof(ao));
	ao.conflict = OBJ_CONFLICT_FAIL;
	assert_int_equal(object_apply_records(t, &ao,
	    (const struct buf *const *)recs, 3, &st), 0);
	assert_int_equal(st.written, 3);
	assert_int_equal(object_get(s, "k2", &a), 0);
	assert_int_equal(object_get(t, "k2", &b), 0);
	assert_int_equal(secret_equal(a->value, b->value), 1);
	object_free(a);
	object_free(b);
	/* fail: nothing written at all */
	assert_int_equal(object_generate(s, OBJ_AES, 128, "k3", NULL), 0);
	for (i = 0; i < 8; i++) {
		buf_free(recs[i]);
		recs[i] = NULL;
	}
	assert_int_equal(object_foreach(s, collect_cb, recs), 0);
	assert_int_equal(object_apply_records(t, &ao,
	    (const struct buf *const *)recs, 4, &st), CE_CONFLICT);
	assert_int_equal(partition_session_info(t, &pi), 0);
	assert_int_equal(pi.objects, 3);
	/* skip writes only the new one */
	ao.conflict = OBJ_CONFLICT_SKIP;
	assert_int_equal(object_apply_records(t, &ao,
	    (const struct buf *const *)recs, 4, &st), 0);
	assert_int_equal(st.written, 1);
	assert_int_equal(st.skipped, 3);
	/* replace with empty_first */
	ao.conflict = OBJ_CONFLICT_REPLACE;
	ao.empty_first = 1;
	assert_int_equal(object_apply_records(t, &ao,
	    (const struct buf *const *)recs, 2, &st), 0);
	assert_int_equal(partition_session_info(t, &pi), 0);
	assert_int_equal(pi.objects, 2);
	/* A target empty at the start looks no label up (it holds only what
	 * the apply wrote), so a stream that repeats a label is refused by
	 * the UNIQUE constraint, even in skip mode, and nothing is written. */
	session_close(t);
	assert_int_equal(fx_partition(f.h, "p3", "dom-pw"), 0);
	assert_int_equal(fx_login(f.h, "p3", ROLE_CO, "co-pin", &t), 0);
	ao.conflict = OBJ_CONFLICT_SKIP;
	ao.empty_first = 0;
	buf_free(recs[2]);
	recs[2] = buf_new(buf_len(recs[0]));
	assert_int_equal(buf_put(recs[2], buf_ptr(recs[0]), buf_len(recs[0])),
	    0);
	assert_int_equal(object_apply_records(t, &ao,
	    (const struct buf *const *)recs, 3, &st), CE_EXISTS);
	assert_int_equal(partition_session_info(t, &pi), 0);
	assert_int_equal(pi.objects, 0);
	two_partitions_done(&f, s, t, recs);
}

/* Objects a session lists (rows, not the partition's counters). */
static int
listed(struct session *s)
{
	int n = 0;

	assert_int_equal(object_list(s, count_cb, &n), 0);
	return n;
}

/*
 * Emptying a partition before a replace deletes its rows only, whether
 * another partition holds objects or not (hsm_erase_objects_tx, in
 * batches): a shortcut that took the whole table would fail here.
 */
static void
test_replace_keeps_neighbours(void **state)
{
	struct hsmfix f;
	struct session *s = NULL, *t = NULL;
	struct buf *recs[8] = { 0 };
	struct object_apply_opts ao;
	struct object_apply_stats st;

	(void)state;
	three_objects_two_partitions(&f, &s, &t, recs);
	memset(&ao, 0, sizeof(ao));
	ao.conflict = OBJ_CONFLICT_REPLACE;
	ao.empty_first = 1;
	/* p2 gets two, then is replaced by all three: p1 keeps its own */
	assert_int_equal(object_apply_records(t, &ao,
	    (const struct buf *const *)recs, 2, &st), 0);
	assert_int_equal(object_apply_records(t, &ao,
	    (const struct buf *const *)recs, 3, &st), 0);
	assert_int_equal(listed(t), 3);
	assert_int_equal(listed(s), 3);
	/* p2 emptied while p1 holds objects: p1 keeps them */
	assert_int_equal(object_apply_records(t, &ao,
	    (const struct buf *const *)recs, 0, &st), 0);
	assert_int_equal(listed(t), 0);
	assert_int_equal(listed(s), 3);
	/* p1 holds the only objects: replaced, p2 still empty */
	assert_int_equal(object_apply_records(s, &ao,
	    (const struct buf *const *)recs, 1, &st), 0);
	assert_int_equal(listed(s), 1);
	assert_int_equal(listed(t), 0);
	two_partitions_done(&f, s, t, recs);
}

static void
test_bulk_and_capacity(void **state)
{
	struct hsmfix f;
	struct session *s = NULL, *po = NULL;
	struct partition_info pi;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate_bulk(s, OBJ_AES, 256, "bulk", 1, 500,
	    NULL, NULL), 0);
	assert_int_equal(partition_session_info(s, &pi), 0);
	assert_int_equal(pi.objects, 500);
	assert_true(pi.used > 500 * 32);
	/* shrink the storage size: the next bulk is refused as a whole */
	assert_int_equal(fx_login(f.h, "p1", ROLE_PO, "po-pin", &po), 0);
	assert_int_equal(partition_policy_set(po, PPOL_STORAGE_SIZE,
	    pi.used + 1000), 0);
	assert_int_equal(object_generate_bulk(s, OBJ_AES, 256, "more", 1, 100,
	    NULL, NULL), CE_FULL);
	assert_int_equal(partition_session_info(s, &pi), 0);
	assert_int_equal(pi.objects, 500);
	/* below used is refused */
	assert_int_equal(partition_policy_set(po, PPOL_STORAGE_SIZE, 65536),
	    CE_FULL);
	session_close(po);
	session_close(s);
	fx_teardown(&f);
}

static void
test_cu_permissions(void **state)
{
	struct hsmfix f;
	struct session *s = NULL;
	struct buf *sig = NULL;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate(s, OBJ_EC, 256, "ec", NULL), 0);
	session_close(s);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CU, "cu-pin", &s), 0);
	assert_int_equal(object_generate(s, OBJ_AES, 256, "x", NULL),
	    CE_PERMISSION);
	assert_int_equal(object_import_data(s, "priv", NULL, "x", 1, 1),
	    CE_PERMISSION);
	assert_int_equal(object_import_data(s, "pub", NULL, "x", 1, 0), 0);
	assert_int_equal(object_delete(s, "pub"), CE_PERMISSION);
	assert_int_equal(object_sign(s, "ec", OBJ_SHA256, "m", 1, &sig), 0);
	assert_int_equal(object_verify(s, "ec", OBJ_SHA256, "m", 1,
	    buf_ptr(sig), buf_len(sig)), 0);
	assert_int_equal(object_verify(s, "ec", OBJ_SHA256, "n", 1,
	    buf_ptr(sig), buf_len(sig)), CE_INTEGRITY);
	buf_free(sig);
	session_close(s);
	/* the PO touches no object */
	assert_int_equal(fx_login(f.h, "p1", ROLE_PO, "po-pin", &s), 0);
	assert_int_equal(object_generate(s, OBJ_AES, 256, "y", NULL),
	    CE_PERMISSION);
	session_close(s);
	fx_teardown(&f);
}

/* CKA_ID: hex parsing, set at generate and import, carried by records. */
static void
test_ckaid(void **state)
{
	static const uint8_t id3[3] = { 0xa1, 0xb2, 0x03 };
	uint8_t big[OBJECT_ID_MAX + 1], out[OBJECT_ID_MAX];
	char hex[2 * (OBJECT_ID_MAX + 1) + 1];
	struct hsmfix f;
	struct session *s = NULL;
	struct object *o = NULL, *d = NULL;
	struct object_info oi;
	const struct object_attr *a;
	struct secret *k = secret_new(32);
	struct buf *rec = buf_new(1024);

	(void)state;
	assert_int_equal(p11_id_from_hex("01", out, sizeof(out)), 1);
	assert_int_equal(out[0], 1);
	assert_int_equal(p11_id_from_hex("A1b203", out, sizeof(out)), 3);
	assert_memory_equal(out, id3, 3);
	assert_int_equal(p11_id_from_hex("", out, sizeof(out)), -1);
	assert_int_equal(p11_id_from_hex("0", out, sizeof(out)), -1);
	assert_int_equal(p11_id_from_hex("0g", out, sizeof(out)), -1);
	assert_int_equal(p11_id_from_hex("0x01", out, sizeof(out)), -1);
	memset(hex, 'f', sizeof(hex) - 1);
	hex[sizeof(hex) - 1] = '\0';
	assert_int_equal(p11_id_from_hex(hex, out, sizeof(out)), -1);
	hex[2 * OBJECT_ID_MAX] = '\0';
	assert_int_equal(p11_id_from_hex(hex, out, sizeof(out)),
	    OBJECT_ID_MAX);

	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate_id(s, OBJ_EC, 256, "ec", id3, 3,
	    NULL), 0);
	assert_int_equal(object_get(s, "ec", &o), 0);
	assert_non_null(a = object_attr(o, CKA_ID));
	assert_int_equal(a->len, 3);
	assert_memory_equal(a->val, id3, 3);
	object_free(o);
	/* without one there is no CKA_ID at all, not an empty one */
	assert_int_equal(object_generate(s, OBJ_AES, 128, "plain", NULL), 0);
	assert_int_equal(object_get(s, "plain", &o), 0);
	assert_null(object_attr(o, CKA_ID));
	object_free(o);
	/* import, and the record (what clone and backup carry) keeps it */
	memset(secret_ptr(k), 7, 32);
	assert_int_equal(object_import_key_id(s, OBJ_AES, "aes", id3, 1, k), 0);
	assert_int_equal(object_record_get(s, NULL, "aes", rec), 0);
	assert_int_equal(object_decode(buf_ptr(rec), buf_len(rec), &d), 0);
	assert_non_null(a = object_attr(d, CKA_ID));
	assert_int_equal(a->len, 1);
	assert_int_equal(a->val[0], 0xa1);
	object_free(d);
	/* empty and too long are refused, nothing stored */
	memset(big, 1, sizeof(big));
	assert_int_equal(object_import_key_id(s, OBJ_AES, "e0", big, 0, k),
	    CE_INVALID);
	assert_int_equal(object_generate_id(s, OBJ_AES, 128, "e65", big,
	    sizeof(big), NULL), CE_INVALID);
	assert_int_equal(object_find(s, "e0", &oi), CE_NOT_FOUND);
	assert_int_equal(object_find(s, "e65", &oi), CE_NOT_FOUND);
	assert_int_equal(object_generate_id(s, OBJ_AES, 128, "e64", big,
	    OBJECT_ID_MAX, NULL), 0);
	secret_free(k);
	buf_free(rec);
	session_close(s);
	fx_teardown(&f);
}

/* ECDSA signatures as DER or as PKCS#11's raw r || s. */
static void
test_sig_formats(void **state)
{
	static const struct { const char *label; size_t raw; } ec[] = {
		{ "ec256", 64 }, { "ec384", 96 },
	};
	struct hsmfix f;
	struct session *s = NULL;
	struct buf *der = NULL, *raw = NULL, *r2 = NULL;
	uint8_t bad[96];
	size_t i;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate(s, OBJ_EC, 256, "ec256", NULL), 0);
	assert_int_equal(object_generate(s, OBJ_EC, 384, "ec384", NULL), 0);
	assert_int_equal(object_generate(s, OBJ_RSA, 2048, "rsa", NULL), 0);
	for (i = 0; i < 2; i++) {
		const char *l = ec[i].label;

		assert_int_equal(object_sign_fmt(s, l, OBJ_SHA256, OBJ_SIG_RAW,
		    "m", 1, &raw), 0);
		assert_int_equal(buf_len(raw), ec[i].raw);
		assert_int_equal(object_verify_fmt(s, l, OBJ_SHA256,
		    OBJ_SIG_RAW, "m", 1, buf_ptr(raw), buf_len(raw)), 0);
		assert_int_equal(object_verify_fmt(s, l, OBJ_SHA256,
		    OBJ_SIG_RAW, "n", 1, buf_ptr(raw), buf_len(raw)),
		    CE_INTEGRITY);
		/* raw is not DER, DER is not raw */
		assert_int_equal(object_verify(s, l, OBJ_SHA256, "m", 1,
		    buf_ptr(raw), buf_len(raw)), CE_INTEGRITY);
		assert_int_equal(object_sign(s, l, OBJ_SHA256, "m", 1, &der),
		    0);
		assert_int_equal(object_verify_fmt(s, l, OBJ_SHA256,
		    OBJ_SIG_RAW, "m", 1, buf_ptr(der), buf_len(der)),
		    CE_INTEGRITY);
		/* a flipped bit in s, a short signature */
		memcpy(bad, buf_ptr(raw), ec[i].raw);
		bad[ec[i].raw - 1] ^= 1;
		assert_int_equal(object_verify_fmt(s, l, OBJ_SHA256,
		    OBJ_SIG_RAW, "m", 1, bad, ec[i].raw), CE_INTEGRITY);
		assert_int_equal(object_verify_fmt(s, l, OBJ_SHA256,
		    OBJ_SIG_RAW, "m", 1, buf_ptr(raw), ec[i].raw - 1),
		    CE_INTEGRITY);
		buf_free(raw);
		buf_free(der);
		raw = der = NULL;
	}
	/* RSA PKCS#1 v1.5 is the same bytes in both formats */
	assert_int_equal(object_sign(s, "rsa", OBJ_SHA256, "m", 1, &der), 0);
	assert_int_equal(object_sign_fmt(s, "rsa", OBJ_SHA256, OBJ_SIG_RAW,
	    "m", 1, &r2), 0);
	assert_int_equal(buf_len(der), buf_len(r2));
	assert_memory_equal(buf_ptr(der), buf_ptr(r2), buf_len(der));
	assert_int_equal(object_verify_fmt(s, "rsa", OBJ_SHA256, OBJ_SIG_RAW,
	    "m", 1, buf_ptr(der), buf_len(der)), 0);
	buf_free(der);
	buf_free(r2);
	session_close(s);
	fx_teardown(&f);
}

/* The test vector of docs/formats.md section 4.5. */
static void
test_record_vector(void **state)
{
	static const char want_hex[] =
	    "434f424a01" "0001" "0000001c"
	    "00000000" "00000008" "0000000000000000"
	    "00000003" "00000004" "6e6f7465"
	    "0002" "00000002" "6869";
	uint8_t want[64];
	size_t n = unhex(want_hex, want, sizeof(want));
	struct object *o = object_new(), *d = NULL;
	struct buf *b = buf_new(256);

	(void)state;
	assert_int_equal(object_set_ulong(o, CKA_CLASS, CKO_DATA), 0);
	assert_int_equal(object_set_attr(o, CKA_LABEL, "note", 4), 0);
	o->value = secret_from("hi", 2);
	assert_int_equal(object_encode(o, b), 0);
	assert_int_equal(buf_len(b), n);
	assert_memory_equal(buf_ptr(b), want, n);
	assert_int_equal(object_decode(want, n, &d), 0);
	assert_string_equal(d->label, "note");
	assert_int_equal(d->cls, CKO_DATA);
	assert_int_equal(secret_len(d->value), 2);
	/* every truncation is refused */
	for (size_t i = 0; i < n; i++) {
		struct object *x = NULL;

		assert_int_not_equal(object_decode(want, i, &x), 0);
		assert_null(x);
	}
	/* the label alone (clone --sync): read from the attributes, refused
	 * while any byte of the header or attributes is missing */
	{
		char label[OBJECT_LABEL_MAX + 1];

		assert_int_equal(object_record_label(want, n, label), 0);
		assert_string_equal(label, "note");
		for (size_t i = 0; i < 5 + 6 + 28; i++)
			assert_int_not_equal(object_record_label(want, i,
			    label), 0);
		want[37] = 0x01; /* a control character in the label */
		assert_int_equal(object_record_label(want, n, label),
		    CE_FORMAT);
		want[37] = 0x74;
	}
	/* an unknown version is CE_VERSION */
	want[4] = 2;
	{
		struct object *x = NULL;
		char label[OBJECT_LABEL_MAX + 1];

		assert_int_equal(object_decode(want, n, &x), CE_VERSION);
		assert_null(x);
		assert_int_equal(object_record_label(want, n, label),
		    CE_VERSION);
	}
	object_free(d);
	object_free(o);
	buf_free(b);
}

/* Attribute lists a record may not carry: a type twice (small and large
 * types are tracked apart), CKA_VALUE among them, a CK_BBOOL or CK_ULONG
 * of the wrong size, a value running past the list. */
static void
test_record_bad_attrs(void **state)
{
	static const char *bad[] = {
		/* CKA_LABEL twice */
		"00000003000000016100000003" "0000000162",
		/* a vendor type (0x80000001) twice */
		"8000000100000000" "8000000100000000",
		/* CKA_VALUE in the list */
		"0000001100000000",
		/* CKA_TOKEN (bool) of 2 bytes, CKA_CLASS (ulong) of 4 */
		"00000001000000020001",
		"0000000000000004" "00000000",
		/* a length past the end, a header cut short */
		"0000000300000009" "6162",
		"000000030000",
	};
	uint8_t a[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct object *o = object_new();

		n = unhex(bad[i], a, sizeof(a));
		assert_int_not_equal(object_attrs_decode(o, a, n), 0);
		object_free(o);
	}
	/* the same types once each decode, the vendor one among them */
	n = unhex("00000003000000016100000001000000010180000001000000020102",
	    a, sizeof(a));
	{
		struct object *o = object_new();

		assert_int_equal(object_attrs_decode(o, a, n), 0);
		assert_int_equal(o->nattrs, 3);
		assert_string_equal(o->label, "a");
		object_free(o);
	}
}

/*
 * OBJ_PREHASHED (PKCS#11's CKM_ECDSA, CKM_RSA_PKCS) against the hashing
 * path: a digest signed as it is verifies as a signature of the message,
 * and RSA over SHA-256's DigestInfo is the SHA-256 signature byte for byte.
 * GCM under the caller's IV opens as hsm's nonce | ct | tag.
 */
static void
test_prehashed_and_iv(void **state)
{
	static const uint8_t info256[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06,
	    0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
	    0x00, 0x04, 0x20 };
	struct hsmfix f;
	struct session *s = NULL;
	struct buf *sig = NULL, *ref = NULL, *ct = NULL;
	struct secret *pt = NULL;
	uint8_t di[19 + 32], iv[OBJ_GCM_IV_LEN] = { 9 }, framed[64];

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate(s, OBJ_EC, 256, "ec", NULL), 0);
	assert_int_equal(object_generate(s, OBJ_RSA, 2048, "rsa", NULL), 0);
	assert_int_equal(object_generate(s, OBJ_AES, 256, "aes", NULL), 0);
	assert_int_equal(object_generate(s, OBJ_GENERIC, 256, "mac", NULL), 0);
	memcpy(di, info256, sizeof(info256));
	assert_non_null(SHA256((const uint8_t *)"m", 1, di + 19));
	assert_int_equal(object_sign_fmt(s, "ec", OBJ_PREHASHED, OBJ_SIG_RAW,
	    di + 19, 32, &sig), 0);
	assert_int_equal(buf_len(sig), 64);
	assert_int_equal(object_verify_fmt(s, "ec", OBJ_SHA256, OBJ_SIG_RAW,
	    "m", 1, buf_ptr(sig), buf_len(sig)), 0);
	assert_int_equal(object_verify_fmt(s, "ec", OBJ_PREHASHED, OBJ_SIG_RAW,
	    di + 19, 32, buf_ptr(sig), buf_len(sig)), 0);
	assert_int_equal(object_verify_fmt(s, "ec", OBJ_SHA256, OBJ_SIG_RAW,
	    "n", 1, buf_ptr(sig), buf_len(sig)), CE_INTEGRITY);
	buf_free(sig);
	assert_int_equal(object_sign_fmt(s, "rsa", OBJ_PREHASHED, OBJ_SIG_DER,
	    di, sizeof(di), &sig), 0);
	assert_int_equal(object_sign(s, "rsa", OBJ_SHA256, "m", 1, &ref), 0);
	assert_int_equal(buf_len(sig), buf_len(ref));
	assert_memory_equal(buf_ptr(sig), buf_ptr(ref), buf_len(ref));
	assert_int_equal(object_verify_fmt(s, "rsa", OBJ_PREHASHED,
	    OBJ_SIG_DER, di, sizeof(di), buf_ptr(sig), buf_len(sig)), 0);
	buf_free(sig);
	buf_free(ref);
	sig = NULL;
	assert_int_equal(object_sign_fmt(s, "mac", OBJ_PREHASHED, OBJ_SIG_DER,
	    di, 32, &sig), CE_INVALID);
	assert_int_equal(object_encrypt_iv(s, "aes", iv, "a", 1, "secret", 6,
	    &ct), 0);
	assert_int_equal(buf_len(ct), 6 + 16);
	memcpy(framed, iv, sizeof(iv));
	memcpy(framed + sizeof(iv), buf_ptr(ct), buf_len(ct));
	assert_int_equal(object_decrypt(s, "aes", "a", 1, framed,
	    sizeof(iv) + buf_len(ct), &pt), 0);
	assert_memory_equal(secret_ptr(pt), "secret", 6);
	secret_free(pt);
	assert_int_equal(object_decrypt_iv(s, "aes", iv, "a", 1, buf_ptr(ct),
	    buf_len(ct), &pt), 0);
	secret_free(pt);
	assert_int_equal(object_decrypt_iv(s, "aes", iv, "b", 1, buf_ptr(ct),
	    buf_len(ct), &pt), CE_AUTH_TAG);
	buf_free(ct);
	session_close(s);
	fx_teardown(&f);
}

/* A key object with no store: class, key type, a 16-byte value, flags. */
static struct object *
policy_key(uint32_t cls, uint32_t kt, int wrap, int ext, int wwt, int trusted)
{
	static const uint8_t v[16] = { 1, 2, 3 };
	struct object *o = object_new();

	assert_non_null(o);
	assert_int_equal(object_set_attr(o, CKA_LABEL, "k", 1), 0);
	assert_int_equal(object_set_ulong(o, CKA_CLASS, cls), 0);
	assert_int_equal(object_set_ulong(o, CKA_KEY_TYPE, kt), 0);
	assert_int_equal(object_set_bool(o, CKA_WRAP, wrap), 0);
	assert_int_equal(object_set_bool(o, CKA_UNWRAP, wrap), 0);
	assert_int_equal(object_set_bool(o, CKA_EXTRACTABLE, ext), 0);
	if (wwt)
		assert_int_equal(object_set_bool(o, CKA_WRAP_WITH_TRUSTED, 1), 0);
	if (trusted)
		assert_int_equal(object_set_bool(o, CKA_TRUSTED, 1), 0);
	assert_non_null(o->value = secret_from(v, sizeof(v)));
	return o;
}

/* The wrap policy of lib/objwrap.c, on objects alone, in its order. */
static void
test_wrap_policy(void **state)
{
	struct object *kek = policy_key(CKO_SECRET_KEY, CKK_AES, 1, 0, 0, 0);
	struct object *tkek = policy_key(CKO_SECRET_KEY, CKK_AES, 1, 0, 0, 1);
	struct object *nowrap = policy_key(CKO_SECRET_KEY, CKK_AES, 0, 1, 0, 0);
	struct object *hmac = policy_key(CKO_SECRET_KEY, CKK_GENERIC_SECRET, 1,
	    1, 0, 0);
	struct object *ext = policy_key(CKO_SECRET_KEY, CKK_AES, 1, 1, 0, 0);
	struct object *ne = policy_key(CKO_PRIVATE_KEY, CKK_EC, 0, 0, 0, 0);
	struct object *wwt = policy_key(CKO_PRIVATE_KEY, CKK_EC, 0, 1, 1, 0);
	struct object *data = policy_key(CKO_DATA, CKK_NONE, 0, 1, 0, 0);
	struct buf *w = NULL;

	(void)state;
	assert_int_equal(object_wrap_check(kek, ext), OBJ_WRAP_OK);
	assert_int_equal(object_wrap_check(nowrap, ext), OBJ_WRAP_NOT_WRAPPING);
	assert_int_equal(object_wrap_check(hmac, ext), OBJ_WRAP_KEK_TYPE);
	assert_int_equal(object_wrap_check(kek, data), OBJ_WRAP_NOT_KEY);
	assert_int_equal(object_wrap_check(kek, ne), OBJ_WRAP_UNEXTRACTABLE);
	assert_int_equal(object_wrap_check(kek, wwt), OBJ_WRAP_UNTRUSTED);
	assert_int_equal(object_wrap_check(tkek, wwt), OBJ_WRAP_OK);
	/* the KEK is judged first: a bad KEK and a bad key say the KEK */
	assert_int_equal(object_wrap_check(nowrap, ne), OBJ_WRAP_NOT_WRAPPING);
	assert_int_equal(object_unwrap_check(kek), OBJ_WRAP_OK);
	assert_int_equal(object_unwrap_check(nowrap), OBJ_WRAP_NOT_WRAPPING);
	assert_int_equal(object_unwrap_check(hmac), OBJ_WRAP_KEK_TYPE);
	assert_int_equal(object_wrap_len(ext), 24);
	assert_int_equal(object_wrap(kek, ne, &w), CE_POLICY);
	assert_int_equal(object_wrap(tkek, wwt, &w), 0);
	assert_int_equal(buf_len(w), 24);
	buf_free(w);
	/* what may change: extractable only down, wrap-with-trusted only up,
	 * trusted either way, nothing else, and only on keys */
	assert_int_equal(object_key_attr_check(ext, CKA_EXTRACTABLE, 0), 0);
	assert_int_equal(object_key_attr_check(ext, CKA_EXTRACTABLE, 1), 0);
	assert_int_equal(object_key_attr_check(ne, CKA_EXTRACTABLE, 1),
	    CE_POLICY);
	assert_int_equal(object_key_attr_check(ne, CKA_WRAP_WITH_TRUSTED, 1), 0);
	assert_int_equal(object_key_attr_check(wwt, CKA_WRAP_WITH_TRUSTED, 0),
	    CE_POLICY);
	assert_int_equal(object_key_attr_check(kek, CKA_TRUSTED, 1), 0);
	assert_int_equal(object_key_attr_check(tkek, CKA_TRUSTED, 0), 0);
	assert_int_equal(object_key_attr_check(kek, CKA_SIGN, 1), CE_POLICY);
	assert_int_equal(object_key_attr_check(data, CKA_EXTRACTABLE, 0),
	    CE_POLICY);
	object_free(kek);
	object_free(tkek);
	object_free(nowrap);
	object_free(hmac);
	object_free(ext);
	object_free(ne);
	object_free(wwt);
	object_free(data);
}

/* Every attribute the records carry is found by name and kind (one list
 * makes the name table and the kind-by-type table), and a type it does
 * not know is unknown. */
static void
test_attr_table(void **state)
{
	static const struct {
		uint32_t type;
		const char *name;
	} known[] = {
		{ CKA_CLASS, "CKA_CLASS" },
		{ CKA_TOKEN, "CKA_TOKEN" },
		{ CKA_PRIVATE, "CKA_PRIVATE" },
		{ CKA_LABEL, "CKA_LABEL" },
		{ CKA_APPLICATION, "CKA_APPLICATION" },
		{ CKA_VALUE, "CKA_VALUE" },
		{ CKA_CERTIFICATE_TYPE, "CKA_CERTIFICATE_TYPE" },
		{ CKA_KEY_TYPE, "CKA_KEY_TYPE" },
		{ CKA_SUBJECT, "CKA_SUBJECT" },
		{ CKA_ID, "CKA_ID" },
		{ CKA_SENSITIVE, "CKA_SENSITIVE" },
		{ CKA_ENCRYPT, "CKA_ENCRYPT" },
		{ CKA_DECRYPT, "CKA_DECRYPT" },
		{ CKA_WRAP, "CKA_WRAP" },
		{ CKA_UNWRAP, "CKA_UNWRAP" },
		{ CKA_SIGN, "CKA_SIGN" },
		{ CKA_VERIFY, "CKA_VERIFY" },
		{ CKA_DERIVE, "CKA_DERIVE" },
		{ CKA_MODULUS_BITS, "CKA_MODULUS_BITS" },
		{ CKA_PUBLIC_KEY_INFO, "CKA_PUBLIC_KEY_INFO" },
		{ CKA_VALUE_LEN, "CKA_VALUE_LEN" },
		{ CKA_EXTRACTABLE, "CKA_EXTRACTABLE" },
		{ CKA_LOCAL, "CKA_LOCAL" },
		{ CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE" },
		{ CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE" },
		{ CKA_MODIFIABLE, "CKA_MODIFIABLE" },
		{ CKA_EC_PARAMS, "CKA_EC_PARAMS" },
		{ CKA_TRUSTED, "CKA_TRUSTED" },
		{ CKA_WRAP_WITH_TRUSTED, "CKA_WRAP_WITH_TRUSTED" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		assert_non_null(p11_attr_name(known[i].type));
		assert_string_equal(p11_attr_name(known[i].type),
		    known[i].name);
	}
	assert_int_equal(p11_attr_kind(CKA_CLASS), 2);
	assert_int_equal(p11_attr_kind(CKA_TRUSTED), 1);
	assert_int_equal(p11_attr_kind(CKA_WRAP_WITH_TRUSTED), 1);
	assert_int_equal(p11_attr_kind(CKA_LABEL), 0);
	assert_null(p11_attr_name(0x12345u));
	assert_int_equal(p11_attr_kind(0x12345u), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_every_kind),
		cmocka_unit_test(test_records_roundtrip_and_apply),
		cmocka_unit_test(test_replace_keeps_neighbours),
		cmocka_unit_test(test_rows_opened_elsewhere),
		cmocka_unit_test(test_seq_reads_in_order),
		cmocka_unit_test(test_bulk_and_capacity),
		cmocka_unit_test(test_cu_permissions),
		cmocka_unit_test(test_record_vector),
		cmocka_unit_test(test_ckaid),
		cmocka_unit_test(test_sig_formats),
		cmocka_unit_test(test_prehashed_and_iv),
		cmocka_unit_test(test_wrap_policy),
		cmocka_unit_test(test_attr_table),
		cmocka_unit_test(test_record_bad_attrs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
