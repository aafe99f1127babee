/*
 * sks: V1 partitions. Blob format and vector, every object operation on a
 * V1 partition, V1 clone without a single decryption, SMK overwrite
 * refused unless forced, V0/V1 migration, extract/insert refusals, and
 * rollover crashes acted out at each commit point.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "hsmfix.h"

#include "buf.h"
#include "crypto.h"
#include "hsm_int.h"
#include "object.h"
#include "object_int.h"
#include "p11.h"
#include "sks.h"
#include "sks_int.h"
#include "sks_int.h"
#include "xfer.h"

/* docs/formats.md 9.7: SMK 00..1f, a data object "note" = "hi"; vec_blob
 * is version 1 (read only), vec_blob2 version 2 (written since issue 12). */
static const char vec_smk_id[] = "cf5a864e5299a136afae255fa6d79b1d";
static const char vec_record[] =
    "434f424a0100010000001c00000000000000080000000000000000000000030000"
    "00046e6f74650002000000026869";
static const char vec_blob[] =
    "43534b4201cf5a864e5299a136afae255fa6d79b1da0a1a2a3a4a5a6a7a8a9aaab"
    "acadaeaf00000000ffffffff00000000046e6f7465000102030405060708090a0b"
    "044d9451c4e5c31b8d418b8bb1e9786d83d68f34f07b5f7c3867e5851d6903b201"
    "10aa92c0b5779876a47fed8aef41fff32428eb5ee38763d85a3416f2ac5d";
static const char vec_blob2[] =
    "43534b4202cf5a864e5299a136afae255fa6d79b1da0a1a2a3a4a5a6a7a8a9aaab"
    "acadaeaf00000000ffffffff00000000046e6f7465000102030405060708090a0b"
    "c989a0a12244981db4350389fe6d96d475e95a35776f7a3413d6d5a6485198b5cc"
    "095a00a138c43b5f8e7412f7499a20834875572c8bbceedd91c06a2ec7ce";
static const char vec_smk_record[] =
    "43534d4b01cf5a864e5299a136afae255fa6d79b1d000102030405060708090a0b"
    "0c0d0e0f101112131415161718191a1b1c1d1e1f";

static int
count_cb(void *ctx, const struct object_info *oi)
{
	(void)oi;
	(*(int *)ctx)++;
	return 0;
}

static void
test_blob_roundtrip_and_tamper(void **state)
{
	struct sks_blob_info meta, bi;
	struct object *o = object_new();
	struct buf *rec = buf_new(1 << 20), *blob = buf_new(SKS_BLOB_MAX);
	uint8_t smk[SKS_SMK_LEN], other[SKS_SMK_LEN], out[4096], *p;
	size_t rl = 0, i;
	uint64_t before;

	(void)state;
	for (i = 0; i < sizeof(smk); i++)
		smk[i] = (uint8_t)i;
	memcpy(other, smk, sizeof(other));
	other[0] ^= 1;
	assert_int_equal(object_set_ulong(o, CKA_CLASS, CKO_DATA), 0);
	assert_int_equal(object_set_attr(o, CKA_LABEL, "note", 4), 0);
	o->value = secret_from("hi", 2);
	assert_int_equal(object_meta(o), 0);
	assert_int_equal(object_encode(o, rec), 0);
	memset(&meta, 0, sizeof(meta));
	memset(meta.uid, 0xab, SKS_ID_LEN);
	meta.cls = o->cls;
	meta.key_type = o->key_type;
	snprintf(meta.label, sizeof(meta.label), "note");
	assert_int_equal(sks_blob_seal(smk, &meta, buf_ptr(rec), buf_len(rec),
	    blob), 0);
	before = sks_decryptions();
	assert_int_equal(sks_blob_open(smk, buf_ptr(blob), buf_len(blob), &bi,
	    out, &rl), 0);
	assert_int_equal(sks_decryptions(), before + 1);
	assert_int_equal(rl, buf_len(rec));
	assert_memory_equal(out, buf_ptr(rec), rl);
	assert_string_equal(bi.label, "note");
	/* another SMK, and every single-byte change, fail */
	assert_int_equal(sks_blob_open(other, buf_ptr(blob), buf_len(blob), &bi,
	    out, &rl), CE_AUTH_TAG);
	p = (uint8_t *)buf_ptr(blob);
	for (i = 5; i < buf_len(blob); i += 7) {
		p[i] ^= 0x40;
		assert_int_not_equal(sks_blob_open(smk, p, buf_len(blob), &bi,
		    out, &rl), 0);
		p[i] ^= 0x40;
	}
	p[4] = 3;
	assert_int_equal(sks_blob_parse(p, buf_len(blob), &bi), CE_VERSION);
	/* past 64 KiB is refused */
	buf_reset(rec);
	secret_free(o->value);
	o->value = secret_new(SKS_BLOB_MAX);
	assert_int_equal(object_encode(o, rec), 0);
	buf_reset(blob);
	assert_int_equal(sks_blob_seal(smk, &meta, buf_ptr(rec), buf_len(rec),
	    blob), CE_TOO_LONG);
	object_free(o);
	buf_free(rec);
	buf_free(blob);
}

static void
test_smk_id_vector(void **state)
{
	uint8_t smk[SKS_SMK_LEN], id[SKS_ID_LEN];
	char hex[2 * SKS_ID_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(smk); i++)
		smk[i] = (uint8_t)i;
	assert_int_equal(sks_smk_id(smk, id), 0);
	sks_id_hex(id, hex);
	assert_string_equal(hex, vec_smk_id);
}

/* docs/formats.md 9.7: the MAC of an SMK pointer (computed independently
 * with Python's hmac and hashlib when the vector was written); any change
 * to a field changes it. */
static void
test_pointer_mac_vector(void **state)
{
	struct secret *psk = secret_new(32);
	struct sks_ptr p;
	uint8_t mac[SKS_PTR_MAC_LEN], want[SKS_PTR_MAC_LEN], other[SKS_PTR_MAC_LEN];
	size_t i;

	(void)state;
	memset(&p, 0, sizeof(p));
	for (i = 0; i < 32; i++)
		secret_ptr(psk)[i] = (uint8_t)i;
	assert_int_equal(unhex(vec_smk_id, p.id, SKS_ID_LEN), SKS_ID_LEN);
	p.gen = 1;
	assert_int_equal(sks_ptr_mac(psk, 123456789012ULL, &p, mac), 0);
	assert_int_equal(unhex("acf224c38c240470120c1210ba9292438ef0e7745d6690"
	    "69da999c5abfbcd21b", want, sizeof(want)), sizeof(want));
	assert_memory_equal(mac, want, sizeof(mac));
	p.gen = 3;
	for (i = 0; i < SKS_ID_LEN; i++)
		want[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(sks_ptr_retire(&p, want), 0);
	assert_int_equal(sks_ptr_retire(&p, want), 0);  /* once */
	assert_int_equal(p.nretired, 1);
	assert_int_equal(sks_ptr_mac(psk, 123456789012ULL, &p, mac), 0);
	assert_int_equal(unhex("0abe6e7c8cf11b36f12b616135f6eb486972edbeea8b59"
	    "e4262d7ba4cc2a8dd3", want, sizeof(want)), sizeof(want));
	assert_memory_equal(mac, want, sizeof(mac));
	/* another serial, generation or retired list: another MAC */
	assert_int_equal(sks_ptr_mac(psk, 123456789013ULL, &p, other), 0);
	assert_memory_not_equal(mac, other, sizeof(mac));
	p.gen = 4;
	assert_int_equal(sks_ptr_mac(psk, 123456789012ULL, &p, other), 0);
	assert_memory_not_equal(mac, other, sizeof(mac));
	p.gen = 3;
	sks_ptr_unretire(&p, p.retired);
	assert_int_equal(p.nretired, 0);
	assert_int_equal(sks_ptr_mac(psk, 123456789012ULL, &p, other), 0);
	assert_memory_not_equal(mac, other, sizeof(mac));
	sks_ptr_clear(&p);
	secret_free(psk);
}

/* docs/formats.md 9.7, reproduced byte for byte (and independently with
 * Python's cryptography AESGCM when the vector was written). */
static void
test_blob_vector(void **state)
{
	struct sks_blob_info meta, bi;
	struct object *o = object_new();
	struct buf *rec = buf_new(1024), *blob = buf_new(1024);
	struct secret *smk_out = NULL;
	uint8_t smk[SKS_SMK_LEN], nonce[12], want[256], out[256], id[SKS_ID_LEN];
	size_t i, wl, rl = 0;

	(void)state;
	for (i = 0; i < sizeof(smk); i++)
		smk[i] = (uint8_t)i;
	for (i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)i;
	assert_int_equal(object_set_ulong(o, CKA_CLASS, CKO_DATA), 0);
	assert_int_equal(object_set_attr(o, CKA_LABEL, "note", 4), 0);
	o->value = secret_from("hi", 2);
	assert_int_equal(object_meta(o), 0);
	assert_int_equal(object_encode(o, rec), 0);
	wl = unhex(vec_record, want, sizeof(want));
	assert_int_equal(buf_len(rec), wl);
	assert_memory_equal(buf_ptr(rec), want, wl);
	memset(&meta, 0, sizeof(meta));
	for (i = 0; i < SKS_ID_LEN; i++)
		meta.uid[i] = (uint8_t)(0xa0 + i);
	meta.cls = o->cls;
	meta.key_type = o->key_type;
	meta.bits = 0;
	snprintf(meta.label, sizeof(meta.label), "note");
	assert_int_equal(sks_blob_seal_nonce(smk, &meta, nonce, buf_ptr(rec),
	    buf_len(rec), blob), 0);
	wl = unhex(vec_blob2, want, sizeof(want));
	assert_int_equal(buf_len(blob), wl);
	assert_memory_equal(buf_ptr(blob), want, wl);
	assert_int_equal(sks_blob_open(smk, want, wl, &bi, out, &rl), 0);
	assert_int_equal(bi.version, 2);
	assert_int_equal(rl, buf_len(rec));
	assert_memory_equal(out, buf_ptr(rec), rl);
	assert_int_equal(bi.key_type, 0xffffffffu);
	/* version 2 under the SMK itself, or with version 1's AAD: refused */
	want[4] = 1;
	assert_int_equal(sks_blob_open(smk, want, wl, &bi, out, &rl),
	    CE_AUTH_TAG);
	/* a version 1 blob (GCM under the SMK itself) still opens */
	wl = unhex(vec_blob, want, sizeof(want));
	assert_int_equal(sks_blob_open(smk, want, wl, &bi, out, &rl), 0);
	assert_int_equal(bi.version, 1);
	assert_int_equal(rl, buf_len(rec));
	assert_memory_equal(out, buf_ptr(rec), rl);
	want[4] = 2;
	assert_int_equal(sks_blob_open(smk, want, wl, &bi, out, &rl),
	    CE_AUTH_TAG);
	want[4] = 3;
	assert_int_equal(sks_blob_open(smk, want, wl, &bi, out, &rl),
	    CE_VERSION);
	/* the SMK record */
	buf_reset(blob);
	smk_out = secret_from(smk, sizeof(smk));
	assert_int_equal(sks_smk_record_put(smk_out, blob), 0);
	wl = unhex(vec_smk_record, want, sizeof(want));
	assert_int_equal(buf_len(blob), wl);
	assert_memory_equal(buf_ptr(blob), want, wl);
	secret_free(smk_out);
	smk_out = NULL;
	assert_int_equal(sks_smk_record_parse(want, wl, &smk_out, id), 0);
	assert_memory_equal(secret_ptr(smk_out), smk, sizeof(smk));
	want[wl - 1] ^= 1; /* a key that does not match its id */
	secret_free(smk_out);
	assert_int_equal(sks_smk_record_parse(want, wl, &smk_out, id),
	    CE_INTEGRITY);
	object_free(o);
	buf_free(rec);
	buf_free(blob);
}

/* An HSM with partitions a (V1) and, by kind, more; all under "dom-pw". */
static void
setup_v1(struct hsmfix *f)
{
	assert_int_equal(fx_setup(f), 0);
	assert_int_equal(fx_partition_v(f->h, "a", "dom-pw", 1), 0);
}

static void
test_v1_objects(void **state)
{
	struct hsmfix f;
	struct session *s = NULL;
	struct partition_info pi;
	struct object_info oi;
	struct object *o = NULL;
	struct buf *sig = NULL;
	int n = 0;

	(void)state;
	setup_v1(&f);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(session_version(s), 1);
	assert_int_equal(object_generate(s, OBJ_RSA, 2048, "rsa", NULL), 0);
	assert_int_equal(object_generate(s, OBJ_EC, 384, "ec", NULL), 0);
	assert_int_equal(object_generate_bulk(s, OBJ_AES, 256, "k", 1, 500,
	    NULL, NULL), 0);
	assert_int_equal(object_generate(s, OBJ_AES, 256, "k-3", NULL),
	    CE_EXISTS);
	assert_int_equal(object_import_data(s, "d", "app", "hello", 5, 1), 0);
	assert_int_equal(object_list(s, count_cb, &n), 0);
	assert_int_equal(n, 503);
	assert_int_equal(object_find(s, "ec", &oi), 0);
	assert_int_equal(oi.bits, 384);
	assert_int_equal(object_get(s, "d", &o), 0);
	assert_memory_equal(secret_ptr(o->value), "hello", 5);
	object_free(o);
	assert_int_equal(object_sign(s, "rsa", OBJ_SHA256, "m", 1, &sig), 0);
	assert_int_equal(object_verify(s, "rsa", OBJ_SHA256, "m", 1,
	    buf_ptr(sig), buf_len(sig)), 0);
	buf_free(sig);
	assert_int_equal(object_delete(s, "k-7"), 0);
	assert_int_equal(object_find(s, "k-7", &oi), CE_NOT_FOUND);
	assert_int_equal(partition_get_info(f.h, "a", &pi), 0);
	assert_int_equal(pi.version, 1);
	assert_int_equal(pi.objects, 502);
	/* nothing of it is in hsm.db's object table */
	{
		sqlite3_stmt *q;

		assert_int_equal(sqlite3_prepare_v2(store_db(hsm_store(f.h)),
		    "SELECT count(*) FROM object", -1, &q, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(q, 0), 0);
		sqlite3_finalize(q);
	}
	session_close(s);
	/* zeroizing the partition destroys its blobs and SMK */
	assert_int_equal(fx_so(f.h, "so-pin"), 0);
	assert_int_equal(partition_zeroize(f.h, NULL, "a", NULL), 0);
	assert_int_equal(partition_get_info(f.h, "a", &pi), 0);
	assert_int_equal(pi.objects, 0);
	fx_teardown(&f);
}

/* --- a V1 source as the transfer protocol carries it ---------------------- */

struct src {
	struct session *s;
};

static int
send_blob(void *ctx, const uint8_t *blob, size_t len)
{
	return xfer_send_record(ctx, XFER_REC_SKS_BLOB, blob, len);
}

static int
produce_v1(void *arg, struct xfer *x)
{
	struct src *c = arg;
	struct buf *rec = buf_new(128);
	int r;

	if ((r = sks_smk_record(c->s, rec)) == 0 &&
	    (r = xfer_send_record(x, XFER_REC_SMK, buf_ptr(rec),
	    buf_len(rec))) == 0)
		r = sks_foreach_blob(c->s, NULL, 0, send_blob, x);
	buf_free(rec);
	return r;
}

struct dst {
	struct object_apply *a;
	int force;
};

static int
sink_record(void *arg, uint8_t kind, const uint8_t *p, size_t n)
{
	struct dst *d = arg;

	if (kind == XFER_REC_SMK)
		return object_apply_smk(d->a, p, n, d->force);
	if (kind == XFER_REC_SKS_BLOB)
		return object_apply_blob(d->a, p, n);
	return object_apply_add(d->a, p, n);
}

static int
sink_commit(void *arg, uint64_t count)
{
	struct dst *d = arg;
	int r;

	(void)count;
	r = object_apply_commit(d->a, NULL);
	d->a = NULL;
	return r;
}

/*
 * Clones partition from to partition to (both in HSM dir) through xfer,
 * each side on its own handle (the sender runs in a thread of its own).
 */
static int
clone_v1(const char *dir, const char *from, const char *to,
    const char *dom_from, const char *dom_to, int force)
{
	struct hsm *h = NULL, *h2 = NULL;
	struct session *s = NULL, *t = NULL;
	struct object_apply_opts ao;
	struct src sc;
	struct dst dc = { NULL, force };
	struct xfer_source source = { produce_v1, &sc, 0 };
	struct xfer_sink sink = { sink_record, sink_commit, &dc, 0 };
	struct secret *k1 = NULL, *k2 = NULL;
	struct xfer_domain d1, d2;
	uint8_t hash[CC_HASH_LEN];
	int r;

	if ((r = hsm_open(dir, &h)) != 0 || (r = hsm_open(dir, &h2)) != 0 ||
	    (r = fx_login(h, from, ROLE_CO, "co-pin", &s)) != 0 ||
	    (r = fx_login(h2, to, ROLE_CO, "co-pin", &t)) != 0)
		goto out;
	k1 = secret_new(32);
	k2 = secret_new(32);
	cc_sha384(dom_from, strlen(dom_from), hash);
	memcpy(secret_ptr(k1), hash, 32);
	cc_sha384(dom_to, strlen(dom_to), hash);
	memcpy(secret_ptr(k2), hash, 32);
	d1.label = "d";
	d1.key = k1;
	d2.label = "d";
	d2.key = k2;
	sc.s = s;
	memset(&ao, 0, sizeof(ao));
	ao.conflict = OBJ_CONFLICT_FAIL;
	ao.audit_event = "clone";
	if ((r = object_apply_begin(t, &ao, &dc.a)) != 0)
		goto out;
	r = xfer_run_pair(&d1, 1, &d2, 1, &source, &sink);
 out:
	object_apply_abort(dc.a);
	secret_free(k1);
	secret_free(k2);
	session_close(s);
	session_close(t);
	hsm_close(h);
	hsm_close(h2);
	return r;
}

/*
 * A V1 target stores a blob as it came only after the blob proved itself:
 * an altered byte (its tag fails) and a header that names another object
 * than the one sealed inside are refused with CE_INTEGRITY.
 */
static void
test_v1_blob_checked(void **state)
{
	struct hsmfix f;
	struct session *s = NULL, *t = NULL;
	struct object_apply_opts ao;
	struct object_apply *a = NULL;
	struct buf *rec = buf_new(SKS_BLOB_MAX), *smkrec = buf_new(256);
	struct buf *blob = buf_new(SKS_BLOB_MAX);
	struct sks_blob_info meta;
	struct secret *smk = NULL;
	uint8_t id[SKS_ID_LEN];

	(void)state;
	setup_v1(&f);
	assert_int_equal(fx_partition_v(f.h, "b", "dom-pw", 1), 0);
	/* an object record (V0 holds them as records), sealed into blobs
	 * under V1 partition a's SMK below */
	assert_int_equal(fx_partition_v(f.h, "c", "dom-pw", 0), 0);
	assert_int_equal(fx_login(f.h, "c", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate(s, OBJ_AES, 256, "real", NULL), 0);
	assert_int_equal(object_record_get(s, NULL, "real", rec), 0);
	session_close(s);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(sks_smk_record(s, smkrec), 0);
	assert_int_equal(sks_smk_record_parse(buf_ptr(smkrec),
	    buf_len(smkrec), &smk, id), 0);
	session_close(s);
	/* a blob under the source's SMK whose header says "other" */
	memset(&meta, 0, sizeof(meta));
	snprintf(meta.label, sizeof(meta.label), "other");
	assert_int_equal(sks_blob_seal(secret_ptr(smk), &meta, buf_ptr(rec),
	    buf_len(rec), blob), 0);
	assert_int_equal(fx_login(f.h, "b", ROLE_CO, "co-pin", &t), 0);
	memset(&ao, 0, sizeof(ao));
	ao.conflict = OBJ_CONFLICT_FAIL;
	ao.allow_retired_smk = 1;
	assert_int_equal(object_apply_begin(t, &ao, &a), 0);
	assert_int_equal(object_apply_smk(a, buf_ptr(smkrec), buf_len(smkrec),
	    1), 0);
	assert_int_equal(object_apply_blob(a, buf_ptr(blob), buf_len(blob)),
	    CE_INTEGRITY);
	assert_non_null(strstr(err_detail(), "holds the object 'real'"));
	/* the right header, one flipped byte of ciphertext */
	buf_reset(blob);
	snprintf(meta.label, sizeof(meta.label), "real");
	assert_int_equal(sks_blob_seal(secret_ptr(smk), &meta, buf_ptr(rec),
	    buf_len(rec), blob), 0);
	((uint8_t *)buf_ptr(blob))[buf_len(blob) - 20] ^= 1;
	assert_int_equal(object_apply_blob(a, buf_ptr(blob), buf_len(blob)),
	    CE_INTEGRITY);
	object_apply_abort(a);
	session_close(t);
	secret_free(smk);
	buf_free(rec);
	buf_free(smkrec);
	buf_free(blob);
	fx_teardown(&f);
}

static void
test_v1_clone_checks_each_blob(void **state)
{
	struct hsmfix f;
	struct session *s = NULL;
	struct object *o = NULL;
	struct buf *ct = NULL;
	struct secret *pt = NULL;
	uint64_t before;
	int n = 0;

	(void)state;
	setup_v1(&f);
	assert_int_equal(fx_partition_v(f.h, "b", "dom-pw", 1), 0);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate_bulk(s, OBJ_AES, 256, "k", 1, 300,
	    NULL, NULL), 0);
	assert_int_equal(object_generate(s, OBJ_EC, 256, "ec", NULL), 0);
	assert_int_equal(object_encrypt(s, "k-42", NULL, 0, "x", 1, &ct), 0);
	session_close(s);
	before = sks_decryptions();
	assert_int_equal(clone_v1(f.dir, "a", "b", "dom", "dom", 0), 0);
	/* the target opened each blob exactly once to check its tag and
	 * label before storing it as it came, and one more when settling
	 * proved the SMK it kept before destroying the one it replaced (no
	 * other decryption) */
	assert_int_equal(sks_decryptions(), before + 301 + 1);
	assert_int_equal(fx_login(f.h, "b", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_list(s, count_cb, &n), 0);
	assert_int_equal(n, 301);
	assert_int_equal(object_decrypt(s, "k-42", NULL, 0, buf_ptr(ct),
	    buf_len(ct), &pt), 0);
	assert_memory_equal(secret_ptr(pt), "x", 1);
	assert_int_equal(object_get(s, "ec", &o), 0);
	assert_true(sks_decryptions() > before);
	object_free(o);
	secret_free(pt);
	buf_free(ct);
	session_close(s);
	fx_teardown(&f);
}

static void
test_smk_overwrite_refused_unless_forced(void **state)
{
	struct hsmfix f;
	struct session *s = NULL;
	struct object_info oi;
	struct sks_status st;
	uint8_t before[SKS_ID_LEN];
	int n = 0;

	(void)state;
	setup_v1(&f);
	assert_int_equal(fx_partition_v(f.h, "b", "dom-pw", 1), 0);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate(s, OBJ_AES, 256, "from-a", NULL), 0);
	session_close(s);
	assert_int_equal(fx_login(f.h, "b", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate(s, OBJ_AES, 256, "mine", NULL), 0);
	assert_int_equal(sks_status_get(s, &st), 0);
	memcpy(before, st.smk_id, SKS_ID_LEN);
	session_close(s);
	/* across domains: refused before any record */
	assert_int_equal(clone_v1(f.dir, "a", "b", "dom", "other", 0),
	    CE_DOMAIN_MISMATCH);
	/* same domain, b holds an object under its own SMK: refused */
	assert_int_equal(clone_v1(f.dir, "a", "b", "dom", "dom", 0),
	    CE_POLICY);
	assert_non_null(strstr(err_detail(), "'mine'"));
	assert_int_equal(fx_login(f.h, "b", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(sks_status_get(s, &st), 0);
	assert_memory_equal(st.smk_id, before, SKS_ID_LEN);
	assert_int_equal(object_find(s, "mine", &oi), 0);
	session_close(s);
	/* forced: b takes a's SMK, its own object is gone */
	assert_int_equal(clone_v1(f.dir, "a", "b", "dom", "dom", 1), 0);
	assert_int_equal(fx_login(f.h, "b", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_find(s, "mine", &oi), CE_NOT_FOUND);
	assert_int_equal(object_find(s, "from-a", &oi), 0);
	assert_int_equal(sks_status_get(s, &st), 0);
	assert_memory_not_equal(st.smk_id, before, SKS_ID_LEN);
	assert_int_equal(st.retired, 1);
	assert_int_equal(object_list(s, count_cb, &n), 0);
	assert_int_equal(n, 1);
	session_close(s);
	/* emptying b deleted b's blobs only (sks_erase_tx): a keeps its own */
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_find(s, "from-a", &oi), 0);
	n = 0;
	assert_int_equal(object_list(s, count_cb, &n), 0);
	assert_int_equal(n, 1);
	session_close(s);
	fx_teardown(&f);
}

/* --- migration ------------------------------------------------------------ */

static int
apply_rec(void *ctx, const struct object_info *oi, const uint8_t *rec,
    size_t len)
{
	(void)oi;
	return object_apply_add(ctx, rec, len);
}

static int
cat_rec(void *ctx, const struct object_info *oi, const uint8_t *rec,
    size_t len)
{
	(void)oi;
	return buf_put(ctx, rec, len);
}

static struct buf *
dump(struct hsm *h, const char *label)
{
	struct session *s = NULL;
	struct buf *all = buf_new(1 << 24);

	assert_int_equal(fx_login(h, label, ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_foreach(s, cat_rec, all), 0);
	session_close(s);
	return all;
}

static void
test_migrate_v0_v1_v0(void **state)
{
	struct hsmfix f;
	struct session *s = NULL, *t = NULL;
	struct object_apply_opts ao;
	struct object_apply *a = NULL;
	struct buf *d0, *d1, *d2;

	(void)state;
	setup_v1(&f);
	assert_int_equal(fx_partition(f.h, "z", "dom-pw"), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate(s, OBJ_RSA, 2048, "rsa", NULL), 0);
	assert_int_equal(object_generate(s, OBJ_EC, 256, "ec", NULL), 0);
	assert_int_equal(object_generate_bulk(s, OBJ_GENERIC, 512, "g", 1, 50,
	    NULL, NULL), 0);
	assert_int_equal(object_import_data(s, "d", "app", "data", 4, 0), 0);
	/* V0 -> V1: records sealed into blobs on the receiving side */
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &t), 0);
	memset(&ao, 0, sizeof(ao));
	assert_int_equal(object_apply_begin(t, &ao, &a), 0);
	assert_int_equal(object_foreach(s, apply_rec, a), 0);
	assert_int_equal(object_apply_commit(a, NULL), 0);
	session_close(s);
	session_close(t);
	/* V1 -> V0: SMK and blobs, opened on the receiving side */
	assert_int_equal(clone_v1(f.dir, "a", "z", "dom", "dom", 0), 0);
	d0 = dump(f.h, "p1");
	d1 = dump(f.h, "a");
	d2 = dump(f.h, "z");
	assert_true(buf_len(d0) > 1000);
	assert_int_equal(buf_len(d0), buf_len(d1));
	assert_memory_equal(buf_ptr(d0), buf_ptr(d1), buf_len(d0));
	assert_int_equal(buf_len(d0), buf_len(d2));
	assert_memory_equal(buf_ptr(d0), buf_ptr(d2), buf_len(d0));
	buf_free(d0);
	buf_free(d1);
	buf_free(d2);
	fx_teardown(&f);
}

/* --- extract and insert --------------------------------------------------- */

/* pw: a password; "#shares:X": a 32-byte share-set secret of X bytes. */
static int
auth_of(const char *pw, struct sks_auth *a)
{
	uint8_t k[32];

	memset(a, 0, sizeof(*a));
	if (pw == NULL)
		return 0;
	if (strncmp(pw, "#shares:", 8) == 0) {
		memset(k, pw[8], sizeof(k));
		a->kind = SKS_AUTH_SHARES;
		a->secret = secret_from(k, sizeof(k));
	} else {
		a->kind = SKS_AUTH_PASSWORD;
		a->kdf = KDF_TEST;
		a->secret = fx_pin(pw);
	}
	return 0;
}

static int
extract_to(struct session *s, const char *path, const char *pw,
    const char *const *labels, size_t n)
{
	struct sks_auth a;
	FILE *fp = fopen(path, "w");
	int r;

	auth_of(pw, &a);
	r = sks_extract(s, labels, n, pw ? &a : NULL, fileno(fp), NULL);
	fclose(fp);
	secret_free((struct secret *)a.secret);
	return r;
}

static int
insert_from(struct session *s, const char *path, const char *pw, int mode)
{
	struct sks_auth a;
	FILE *fp = fopen(path, "r");
	int r;

	auth_of(pw, &a);
	r = sks_insert(s, fileno(fp), pw ? &a : NULL, mode, NULL);
	fclose(fp);
	secret_free((struct secret *)a.secret);
	return r;
}

static void
flip_byte(const char *path, long off)
{
	FILE *fp = fopen(path, "r+");
	int c;

	fseek(fp, off, off < 0 ? SEEK_END : SEEK_SET);
	c = fgetc(fp);
	fseek(fp, -1, SEEK_CUR);
	fputc(c ^ 0x01, fp);
	fclose(fp);
}

static void
test_extract_insert(void **state)
{
	static const char *const sel[] = { "k-2", "k-5" };
	struct hsmfix f;
	struct session *s = NULL, *t = NULL;
	struct object_info oi;
	char p1[96], p2[96];
	int n;

	(void)state;
	setup_v1(&f);
	assert_int_equal(fx_partition_v(f.h, "b", "dom-pw", 1), 0);
	snprintf(p1, sizeof(p1), "%s/all.sks", f.dir);
	snprintf(p2, sizeof(p2), "%s/sel.sks", f.dir);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate_bulk(s, OBJ_AES, 256, "k", 1, 20,
	    NULL, NULL), 0);
	assert_int_equal(extract_to(s, p1, NULL, NULL, 0), 0);
	assert_int_equal(extract_to(s, p2, "auth-pw", sel, 2), 0);
	/* b holds another SMK */
	assert_int_equal(fx_login(f.h, "b", ROLE_CO, "co-pin", &t), 0);
	assert_int_equal(insert_from(t, p1, NULL, 0), CE_POLICY);
	assert_non_null(strstr(err_detail(), "clone the SMK"));
	session_close(t);
	/* back into a: conflicts, then replace */
	assert_int_equal(insert_from(s, p1, NULL, OBJ_CONFLICT_FAIL),
	    CE_CONFLICT);
	assert_int_equal(object_delete(s, "k-2"), 0);
	assert_int_equal(object_delete(s, "k-5"), 0);
	assert_int_equal(insert_from(s, p2, NULL, 0), CE_BAD_CREDENTIAL);
	assert_int_equal(insert_from(s, p2, "wrong", 0), CE_BAD_CREDENTIAL);
	assert_int_equal(object_find(s, "k-2", &oi), CE_NOT_FOUND);
	assert_int_equal(insert_from(s, p2, "auth-pw", 0), 0);
	assert_int_equal(object_find(s, "k-2", &oi), 0);
	/* a flipped blob byte, a flipped MAC byte, a cut file: nothing in */
	assert_int_equal(object_delete(s, "k-2"), 0);
	flip_byte(p2, 200);
	assert_int_equal(insert_from(s, p2, "auth-pw", OBJ_CONFLICT_REPLACE),
	    CE_INTEGRITY);
	flip_byte(p2, 200);
	flip_byte(p2, -3);
	assert_int_equal(insert_from(s, p2, "auth-pw", OBJ_CONFLICT_REPLACE),
	    CE_INTEGRITY);
	flip_byte(p2, -3);
	assert_int_equal(truncate(p2, 300), 0);
	assert_int_equal(insert_from(s, p2, "auth-pw", OBJ_CONFLICT_REPLACE),
	    CE_INTEGRITY);
	assert_int_equal(object_find(s, "k-2", &oi), CE_NOT_FOUND);
	/* an M-of-N authorization: only its secret, and not as a password */
	assert_int_equal(extract_to(s, p2, "#shares:A", sel + 1, 1), 0);
	assert_int_equal(object_delete(s, "k-5"), 0);
	assert_int_equal(insert_from(s, p2, "#shares:B",
	    OBJ_CONFLICT_REPLACE), CE_BAD_CREDENTIAL);
	assert_int_equal(insert_from(s, p2, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    OBJ_CONFLICT_REPLACE), CE_BAD_CREDENTIAL);
	assert_int_equal(insert_from(s, p2, NULL, OBJ_CONFLICT_REPLACE),
	    CE_BAD_CREDENTIAL);
	assert_int_equal(object_find(s, "k-5", &oi), CE_NOT_FOUND);
	assert_int_equal(insert_from(s, p2, "#shares:A", OBJ_CONFLICT_REPLACE),
	    0);
	assert_int_equal(object_find(s, "k-5", &oi), 0);
	/* after a rollover the old extract is refused by name */
	assert_int_equal(sks_rollover(s, NULL, NULL, NULL), 0);
	assert_int_equal(insert_from(s, p1, NULL, OBJ_CONFLICT_REPLACE),
	    CE_POLICY);
	assert_non_null(strstr(err_detail(), "retired by an SMK rollover"));
	n = 0;
	assert_int_equal(object_list(s, count_cb, &n), 0);
	assert_int_equal(n, 19);
	session_close(s);
	fx_teardown(&f);
}

/* --- rollover and crashes ------------------------------------------------- */

static const char *crash_at;

static void
crash_hook(const char *point)
{
	if (crash_at != NULL && strcmp(point, crash_at) == 0)
		_exit(0);
}

/* Every key of partition a opens, under the SMK sks.db names. */
static void
all_keys_work(const char *dir, int want)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct object *o = NULL;
	char label[32];
	int i, n = 0;

	assert_int_equal(hsm_open(dir, &h), 0);
	assert_int_equal(fx_login(h, "a", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_list(s, count_cb, &n), 0);
	assert_int_equal(n, want);
	for (i = 1; i <= want; i++) {
		snprintf(label, sizeof(label), "k-%d", i);
		assert_int_equal(object_get(s, label, &o), 0);
		object_free(o);
	}
	session_close(s);
	hsm_close(h);
}

/* Live SMK wraps of partition a in hsm.db (what a crash may leave). */
static int
live_wraps(const char *dir)
{
	struct hsm *h = NULL;
	sqlite3_stmt *q;
	int n;

	assert_int_equal(hsm_open(dir, &h), 0);
	assert_int_equal(sqlite3_prepare_v2(store_db(hsm_store(h)),
	    "SELECT count(*) FROM smk WHERE wrap IS NOT NULL AND state != 0",
	    -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	hsm_close(h);
	return n;
}

static void
crash_rollover_at(const char *point, int expect_gen)
{
	struct hsmfix f;
	struct session *s = NULL;
	struct sks_status st;
	pid_t pid;
	int status;

	setup_v1(&f);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate_bulk(s, OBJ_AES, 256, "k", 1, 40,
	    NULL, NULL), 0);
	session_close(s);
	hsm_close(f.h);
	f.h = NULL;
	if ((pid = fork()) == 0) {
		struct hsm *h = NULL;

		crash_at = point;
		hsm_test_hook = crash_hook;
		if (hsm_open(f.dir, &h) != 0 ||
		    fx_login(h, "a", ROLE_CO, "co-pin", &s) != 0)
			_exit(2);
		(void)sks_rollover(s, NULL, NULL, NULL);
		_exit(3); /* the crash point was never reached */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	/* the next session settles; every key opens; one SMK is live */
	all_keys_work(f.dir, 40);
	assert_int_equal(live_wraps(f.dir), 1);
	assert_int_equal(hsm_open(f.dir, &f.h), 0);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(sks_status_get(s, &st), 0);
	assert_int_equal(st.gen, expect_gen);
	/* and a rollover afterwards completes */
	assert_int_equal(sks_rollover(s, NULL, NULL, NULL), 0);
	session_close(s);
	all_keys_work(f.dir, 40);
	assert_int_equal(live_wraps(f.dir), 1);
	fx_teardown(&f);
}

static void
test_rollover_crash_points(void **state)
{
	(void)state;
	crash_rollover_at("rollover-pending", 1);    /* before: old SMK */
	crash_rollover_at("between-commits", 1);     /* hsm.db only: undone */
	crash_rollover_at("rollover-switched", 2);   /* after: new SMK */
}

static void
test_rollover_online(void **state)
{
	struct hsmfix f;
	struct session *s = NULL, *u = NULL;
	struct sks_status a, b;
	struct object *o = NULL;

	(void)state;
	setup_v1(&f);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(fx_login(f.h, "a", ROLE_CU, "cu-pin", &u), 0);
	assert_int_equal(object_generate_bulk(s, OBJ_AES, 256, "k", 1, 10,
	    NULL, NULL), 0);
	assert_int_equal(object_get(u, "k-1", &o), 0); /* u loads the SMK */
	object_free(o);
	assert_int_equal(sks_status_get(s, &a), 0);
	assert_int_equal(sks_rollover(u, NULL, NULL, NULL), CE_PERMISSION);
	assert_int_equal(sks_rollover(s, NULL, NULL, NULL), 0);
	assert_int_equal(sks_status_get(s, &b), 0);
	assert_int_equal(b.gen, a.gen + 1);
	assert_memory_not_equal(a.smk_id, b.smk_id, SKS_ID_LEN);
	assert_int_equal(b.retired, 1);
	/* u still holds the old SMK in memory: it reloads, online */
	assert_int_equal(object_get(u, "k-9", &o), 0);
	object_free(o);
	session_close(u);
	session_close(s);
	assert_int_equal(live_wraps(f.dir), 1);
	fx_teardown(&f);
}

/*
 * A blob that does not open stops the rollover (the worker thread's
 * verdict carried to the caller with its label), past the first batch,
 * and nothing was changed: every key opens under the SMK it had.
 */
static void
test_rollover_bad_blob(void **state)
{
	struct hsmfix f;
	struct session *s = NULL;
	struct sks_status a, b;
	struct object *o = NULL;
	sqlite3 *db;
	sqlite3_stmt *q;
	uint8_t *blob;
	int n;

	(void)state;
	setup_v1(&f);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate_bulk(s, OBJ_AES, 256, "k", 1, 1500,
	    NULL, NULL), 0);
	assert_int_equal(sks_status_get(s, &a), 0);
	db = store_db(f.h->sks);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT blob FROM blob WHERE "
	    "label = 'k-1400'", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	n = sqlite3_column_bytes(q, 0);
	assert_non_null(blob = malloc((size_t)n));
	memcpy(blob, sqlite3_column_blob(q, 0), (size_t)n);
	sqlite3_finalize(q);
	blob[n - 1] ^= 1; /* the GCM tag */
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE blob SET blob = ? "
	    "WHERE label = 'k-1400'", -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_blob(q, 1, blob, n, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	free(blob);
	assert_int_equal(sks_rollover(s, NULL, NULL, NULL), CE_INTEGRITY);
	assert_non_null(strstr(err_detail(), "'k-1400'"));
	assert_int_equal(sks_status_get(s, &b), 0);
	assert_int_equal(b.gen, a.gen);
	assert_memory_equal(a.smk_id, b.smk_id, SKS_ID_LEN);
	assert_int_equal(object_get(s, "k-1", &o), 0);
	object_free(o);
	assert_int_equal(object_get(s, "k-1500", &o), 0);
	object_free(o);
	session_close(s);
	fx_teardown(&f);
}

static int
count_blob(void *ctx, const uint8_t *blob, size_t len)
{
	(void)blob;
	(void)len;
	(*(int *)ctx)++;
	return 0;
}

/*
 * A reader of every blob (backup, clone, extract) whose session loaded the
 * SMK before a rollover committed: walking the blobs is refused (CE_BUSY)
 * rather than sending an SMK the blobs no longer open under; after
 * sks_refresh() it sends the current SMK and the blobs that belong to it.
 */
static void
test_stale_smk_reader(void **state)
{
	struct hsmfix f;
	struct session *s = NULL, *r = NULL;
	struct buf *rec = buf_new(128);
	int n = 0;

	(void)state;
	setup_v1(&f);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &r), 0);
	assert_int_equal(object_generate_bulk(s, OBJ_AES, 256, "k", 1, 5,
	    NULL, NULL), 0);
	assert_int_equal(sks_smk_record(r, rec), 0); /* r loads the SMK */
	assert_int_equal(sks_rollover(s, NULL, NULL, NULL), 0);
	assert_int_equal(sks_foreach_blob(r, NULL, 0, count_blob, &n),
	    CE_BUSY);
	assert_non_null(strstr(err_detail(), "rollover"));
	assert_int_equal(sks_refresh(r), 0);
	n = 0;
	assert_int_equal(sks_foreach_blob(r, NULL, 0, count_blob, &n), 0);
	assert_int_equal(n, 5);
	buf_free(rec);
	session_close(r);
	session_close(s);
	fx_teardown(&f);
}

/* hsm.db and sks.db from different moments: refused, never guessed at. */
static void
test_mismatched_stores_refused(void **state)
{
	struct hsmfix f;
	struct session *s = NULL;
	struct object *o = NULL;
	char cmd[256];

	(void)state;
	setup_v1(&f);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate(s, OBJ_AES, 256, "k", NULL), 0);
	session_close(s);
	hsm_close(f.h);
	f.h = NULL;
	/* sks.db's pointer edited to an SMK hsm.db never wrapped: its MAC */
	snprintf(cmd, sizeof(cmd), "sqlite3 %s/sks.db \"CREATE TABLE keep AS "
	    "SELECT smk_id FROM part; UPDATE part SET smk_id = zeroblob(16)\"",
	    f.dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(hsm_open(f.dir, &f.h), 0);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_get(s, "k", &o), CE_INTEGRITY);
	assert_non_null(strstr(err_detail(), "fails its MAC"));
	session_close(s);
	hsm_close(f.h);
	f.h = NULL;
	/* a good pointer, but hsm.db (from another moment) lacks its key */
	snprintf(cmd, sizeof(cmd), "sqlite3 %s/sks.db \"UPDATE part SET "
	    "smk_id = (SELECT smk_id FROM keep)\" && sqlite3 %s/hsm.db "
	    "\"UPDATE smk SET wrap = NULL\"", f.dir, f.dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(hsm_open(f.dir, &f.h), 0);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_get(s, "k", &o), CE_INTEGRITY);
	assert_non_null(strstr(err_detail(), "do not match"));
	session_close(s);
	/* a missing sks.db is named too */
	hsm_close(f.h);
	f.h = NULL;
	snprintf(cmd, sizeof(cmd), "rm %s/sks.db*", f.dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(hsm_open(f.dir, &f.h), 0);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_get(s, "k", &o), CE_INTEGRITY);
	assert_non_null(strstr(err_detail(), "is missing"));
	session_close(s);
	fx_teardown(&f);
}

/*
 * A V1 rekey: the SMK rolls over and its wrap and the pointer move to the
 * new PSK; every role opens the objects after it; a CO session from
 * before it can neither roll the SMK over nor rekey (it holds the old
 * PSK), and a pending SMK row is dropped, not carried over.
 */
static void
test_v1_rekey(void **state)
{
	struct hsmfix f;
	struct session *co = NULL, *old = NULL, *s = NULL;
	struct partition_rekey_stats st;
	struct sks_status a, b;
	struct object *o = NULL;
	uint64_t n = 0;

	(void)state;
	setup_v1(&f);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &co), 0);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &old), 0);
	assert_int_equal(object_generate_bulk(co, OBJ_AES, 256, "k", 1, 30,
	    NULL, NULL), 0);
	assert_int_equal(object_import_data(co, "d", "app", "hello", 5, 1), 0);
	assert_int_equal(sks_status_get(co, &a), 0);
	assert_int_equal(partition_rekey(co, &st), 0);
	assert_int_equal(st.psk_gen, 2);
	assert_int_equal(st.blobs, 31);
	assert_int_equal(st.smk_wraps, 1);
	assert_int_equal(sks_status_get(co, &b), 0);
	assert_int_equal(b.gen, a.gen + 1);
	assert_memory_not_equal(a.smk_id, b.smk_id, SKS_ID_LEN);
	assert_int_equal(sks_rollover(old, NULL, NULL, &n), CE_BUSY);
	assert_int_equal(partition_rekey(old, &st), CE_BUSY);
	session_close(old);
	assert_int_equal(fx_login(f.h, "a", ROLE_CU, "cu-pin", &s), 0);
	assert_int_equal(object_get(s, "d", &o), 0);
	assert_memory_equal(secret_ptr(o->value), "hello", 5);
	object_free(o);
	session_close(s);
	/* a pending SMK row (a rollover that died after step a) */
	assert_int_equal(store_exec(hsm_store(f.h), "INSERT INTO smk "
	    "(partition_id, smk_id, gen, state, wrap, created) SELECT "
	    "partition_id, x'00112233445566778899aabbccddeeff', 99, 0, wrap, "
	    "created FROM smk WHERE state = 1"), 0);
	assert_int_equal(partition_rekey(co, &st), 0);
	assert_int_equal(st.psk_gen, 3);
	session_close(co);
	assert_int_equal(fx_login(f.h, "a", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_get(s, "k-30", &o), 0);
	object_free(o);
	session_close(s);
	{
		sqlite3_stmt *q;

		/* one wrap left: the current SMK's; the pending row is gone */
		assert_int_equal(sqlite3_prepare_v2(store_db(hsm_store(f.h)),
		    "SELECT count(*) FROM smk WHERE wrap IS NOT NULL", -1, &q,
		    NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(q, 0), 1);
		sqlite3_finalize(q);
	}
	fx_teardown(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blob_roundtrip_and_tamper),
		cmocka_unit_test(test_smk_id_vector),
		cmocka_unit_test(test_blob_vector),
		cmocka_unit_test(test_pointer_mac_vector),
		cmocka_unit_test(test_v1_objects),
		cmocka_unit_test(test_v1_clone_checks_each_blob),
		cmocka_unit_test(test_v1_blob_checked),
		cmocka_unit_test(test_smk_overwrite_refused_unless_forced),
		cmocka_unit_test(test_migrate_v0_v1_v0),
		cmocka_unit_test(test_extract_insert),
		cmocka_unit_test(test_rollover_crash_points),
		cmocka_unit_test(test_rollover_online),
		cmocka_unit_test(test_rollover_bad_blob),
		cmocka_unit_test(test_stale_smk_reader),
		cmocka_unit_test(test_mismatched_stores_refused),
		cmocka_unit_test(test_v1_rekey),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
