/* Activation of PED partitions: lib/activation.h. */
#include "hsmfix.h"
#include "testutil.h"

#include "activation.h"
#include "buf.h"
#include "hsm_int.h"
#include "object.h"
#include "partition.h"
#include "store.h"
#include "wrap.h"

static struct secret *
cred(const char *s)
{
	return fx_pin(s);
}

static int
ped_setup(void **state)
{
	static struct hsmfix f;

	memset(&f, 0, sizeof(f));
	if (fx_setup_auth(&f, 1, HSM_AUTH_PED) != 0)
		return -1;
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	fx_teardown(*state);
	return 0;
}

static int
activate(struct hsm *h, int role, const char *c, const char *ch)
{
	struct secret *a = cred(c), *b = cred(ch);
	int r = role_activate(h, "p1", role, a, b);

	secret_free(a);
	secret_free(b);
	return r;
}

static int
chal_login(struct hsm *h, int role, const char *ch, struct session **sp)
{
	struct secret *b = cred(ch);
	int r = session_login_challenge(h, "p1", role, b, sp);

	secret_free(b);
	return r;
}

static int
role_st(struct hsm *h, int role, struct role_status *out)
{
	struct role_status st[3];
	int r = role_status_get(h, 1, st);

	*out = st[role - ROLE_PO];
	return r;
}

static int
count_rows(struct hsm *h, const char *sql)
{
	sqlite3_stmt *q = NULL;
	int n = -1;

	if (sqlite3_prepare_v2(store_db(hsm_store(h)), sql, -1, &q, NULL) ==
	    SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return n;
}

static void
test_challenge_logs_in(void **state)
{
	struct hsmfix *f = *state;
	struct session *s = NULL;
	struct role_status st;
	struct secret *nc = cred("new-co-secret");

	assert_int_equal(chal_login(f->h, ROLE_CO, "challenge-1", &s),
	    CE_POLICY);
	assert_int_equal(activate(f->h, ROLE_CO, "co-pin", "challenge-1"), 0);
	assert_int_equal(role_st(f->h, ROLE_CO, &st), 0);
	assert_true(st.activated);
	/* the session is a real CO session: it makes and lists keys */
	assert_int_equal(chal_login(f->h, ROLE_CO, "challenge-1", &s), 0);
	assert_int_equal(session_role(s), ROLE_CO);
	assert_non_null(session_psk(s));
	assert_int_equal(object_generate(s, OBJ_AES, 256, "k1", NULL), 0);
	/* but it may not change credentials */
	assert_int_equal(role_change(s, nc), CE_POLICY);
	assert_int_equal(role_init(s, ROLE_CU, nc), CE_POLICY);
	session_close(s);
	/* a wrong challenge counts as a failed CO login */
	assert_int_equal(chal_login(f->h, ROLE_CO, "challenge-2", &s),
	    CE_BAD_CREDENTIAL);
	assert_int_equal(role_st(f->h, ROLE_CO, &st), 0);
	assert_int_equal(st.failures, 1);
	assert_int_equal(chal_login(f->h, ROLE_CO, "challenge-1", &s), 0);
	session_close(s);
	assert_int_equal(role_st(f->h, ROLE_CO, &st), 0);
	assert_int_equal(st.failures, 0);
	secret_free(nc);
}

static void
test_refusals(void **state)
{
	struct hsmfix *f = *state;
	struct role_status st;
	struct hsmfix pw;

	assert_int_equal(activate(f->h, ROLE_PO, "po-pin", "challenge-1"),
	    CE_POLICY);
	assert_int_equal(activate(f->h, ROLE_SO, "so-pin", "challenge-1"),
	    CE_POLICY);
	assert_int_equal(activate(f->h, ROLE_CO, "co-pin", "short"),
	    CE_INVALID);
	/* a wrong credential is a counted failure and activates nothing */
	assert_int_equal(activate(f->h, ROLE_CO, "cu-pin", "challenge-1"),
	    CE_BAD_CREDENTIAL);
	assert_int_equal(role_st(f->h, ROLE_CO, &st), 0);
	assert_int_equal(st.failures, 1);
	assert_false(st.activated);
	assert_int_equal(count_rows(f->h, "SELECT count(*) FROM activation"),
	    0);
	/* a password HSM has nothing to activate */
	memset(&pw, 0, sizeof(pw));
	assert_int_equal(fx_setup(&pw), 0);
	assert_int_equal(activate(pw.h, ROLE_CO, "co-pin", "challenge-1"),
	    CE_UNSUPPORTED);
	fx_teardown(&pw);
}

static void
test_deactivate(void **state)
{
	struct hsmfix *f = *state;
	struct session *s = NULL, *po = NULL;
	int was = -1;

	assert_int_equal(activate(f->h, ROLE_CO, "co-pin", "challenge-1"), 0);
	assert_int_equal(activate(f->h, ROLE_CU, "cu-pin", "challenge-u"), 0);
	/* the CU may not deactivate the CO */
	assert_int_equal(chal_login(f->h, ROLE_CU, "challenge-u", &s), 0);
	assert_int_equal(role_deactivate(s, ROLE_CO, &was), CE_PERMISSION);
	assert_int_equal(role_deactivate(s, ROLE_PO, &was), CE_POLICY);
	assert_int_equal(role_deactivate(s, ROLE_CU, &was), 0);
	assert_int_equal(was, 1);
	assert_int_equal(role_deactivate(s, ROLE_CU, &was), 0);
	assert_int_equal(was, 0);
	session_close(s);
	assert_int_equal(chal_login(f->h, ROLE_CU, "challenge-u", &s),
	    CE_POLICY);
	/* the PO may deactivate the CO */
	assert_int_equal(fx_login(f->h, "p1", ROLE_PO, "po-pin", &po), 0);
	assert_int_equal(role_deactivate(po, ROLE_CO, &was), 0);
	assert_int_equal(was, 1);
	session_close(po);
	assert_int_equal(chal_login(f->h, ROLE_CO, "challenge-1", &s),
	    CE_POLICY);
	/* the CO's own credential still works */
	assert_int_equal(fx_login(f->h, "p1", ROLE_CO, "co-pin", &s), 0);
	session_close(s);
}

static void
test_dropped(void **state)
{
	struct hsmfix *f = *state;
	struct session *s = NULL;
	struct role_status st;
	struct secret *nc = cred("cu-pin-2");
	int i;

	/* a credential change drops the role's activation */
	assert_int_equal(activate(f->h, ROLE_CU, "cu-pin", "challenge-u"), 0);
	assert_int_equal(fx_login(f->h, "p1", ROLE_CU, "cu-pin", &s), 0);
	assert_int_equal(role_change(s, nc), 0);
	session_close(s);
	assert_int_equal(chal_login(f->h, ROLE_CU, "challenge-u", &s),
	    CE_POLICY);
	/* a CO lockout drops the CO's and the CU's */
	assert_int_equal(activate(f->h, ROLE_CO, "co-pin", "challenge-1"), 0);
	assert_int_equal(activate(f->h, ROLE_CU, "cu-pin-2", "challenge-u"), 0);
	for (i = 0; i < PARTITION_LOCKOUT_DEFAULT - 1; i++)
		assert_int_equal(chal_login(f->h, ROLE_CO, "guess", &s),
		    CE_BAD_CREDENTIAL);
	assert_int_equal(chal_login(f->h, ROLE_CO, "guess", &s), CE_LOCKED);
	assert_int_equal(role_st(f->h, ROLE_CO, &st), 0);
	assert_true(st.locked);
	assert_false(st.activated);
	assert_int_equal(count_rows(f->h, "SELECT count(*) FROM activation"),
	    0);
	assert_int_equal(chal_login(f->h, ROLE_CO, "challenge-1", &s),
	    CE_LOCKED);
	/* zeroizing the partition leaves no activation behind */
	assert_int_equal(fx_login(f->h, "p1", ROLE_PO, "po-pin", &s), 0);
	assert_int_equal(role_unlock(s, ROLE_CO), 0);
	session_close(s);
	assert_int_equal(activate(f->h, ROLE_CO, "co-pin", "challenge-1"), 0);
	assert_int_equal(fx_so(f->h, "so-pin"), 0);
	assert_int_equal(partition_zeroize(f->h, NULL, "p1", NULL), 0);
	assert_int_equal(count_rows(f->h, "SELECT count(*) FROM activation"),
	    0);
	secret_free(nc);
}

static void
test_bound_to_role(void **state)
{
	struct hsmfix *f = *state;
	struct session *s = NULL;
	FILE *fp;
	char path[128], *buf;
	long n;

	/* the CO's activation copied onto the CU does not open */
	assert_int_equal(activate(f->h, ROLE_CO, "co-pin", "challenge-1"), 0);
	assert_int_equal(store_exec(hsm_store(f->h), "INSERT INTO activation "
	    "SELECT partition_id, 3, kdf, salt, wrap, created FROM activation "
	    "WHERE role = 2"), 0);
	assert_int_equal(chal_login(f->h, ROLE_CU, "challenge-1", &s),
	    CE_BAD_CREDENTIAL);
	/* neither the challenge nor the cached credential is in hsm.db */
	hsm_checkpoint(f->h);
	snprintf(path, sizeof(path), "%s/hsm.db", f->dir);
	assert_non_null(fp = fopen(path, "rb"));
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	assert_non_null(buf = malloc((size_t)n));
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	assert_null(memmem(buf, (size_t)n, "challenge-1", 11));
	assert_null(memmem(buf, (size_t)n, "co-pin", 6));
	free(buf);
}

/* The serial of p1 (the fixture's only partition, row 1). */
static uint64_t
session_serial_of(struct hsm *h)
{
	uint64_t serial = 0;

	assert_int_equal(partition_serial_of(h, 1, &serial), 0);
	return serial;
}

/* The activation row's wrap, opened under purpose with the challenge. */
static int
open_row(struct hsm *h, int role, const char *ch, const char *purpose,
    struct secret **ptp)
{
	struct secret *c = cred(ch), *kek = NULL;
	sqlite3_stmt *q = NULL;
	uint8_t salt[KDF_SALT_LEN];
	int r = CE_NOT_FOUND;

	if (sqlite3_prepare_v2(store_db(hsm_store(h)), "SELECT kdf, salt, wrap "
	    "FROM activation WHERE role = ?", -1, &q, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int(q, 1, role);
	if (sqlite3_step(q) != SQLITE_ROW)
		goto out;
	memcpy(salt, sqlite3_column_blob(q, 1), sizeof(salt));
	if ((r = wrap_kek(c, sqlite3_column_int(q, 0), salt, &kek)) == 0)
		r = wrap_open(secret_ptr(kek), purpose, session_serial_of(h),
		    (uint64_t)role, NULL, 0, sqlite3_column_blob(q, 2),
		    (size_t)sqlite3_column_bytes(q, 2), ptp);
 out:
	sqlite3_finalize(q);
	secret_free(c);
	secret_free(kek);
	return r;
}

/*
 * The cache holds the keys a session uses, never the role's secret: a
 * challenge session signs but sets no credential; deactivation and a
 * rekey revoke it, a copy of the old row included.
 */
static void
test_cache_is_keys_only(void **state)
{
	struct hsmfix *f = *state;
	struct session *s = NULL, *co = NULL;
	struct secret *pt = NULL, *newc = cred("co-pin-2");
	struct partition_rekey_stats st;
	sqlite3_stmt *q = NULL;
	void *old = NULL;
	uint8_t oldsalt[KDF_SALT_LEN];
	int oldlen, oldkdf;

	assert_int_equal(activate(f->h, ROLE_CO, "co-pin", "challenge-1"), 0);
	assert_int_equal(open_row(f->h, ROLE_CO, "challenge-1",
	    WRAP_ACTIVATION_KEYS, &pt), 0);
	assert_int_equal(secret_len(pt), 8 + 32);
	assert_null(memmem(secret_ptr(pt), secret_len(pt), "co-pin", 6));
	secret_free(pt);
	pt = NULL;
	assert_int_equal(open_row(f->h, ROLE_CO, "challenge-1",
	    WRAP_ACTIVATION, &pt), CE_AUTH_TAG);
	/* the session uses keys and administers nothing */
	assert_int_equal(chal_login(f->h, ROLE_CO, "challenge-1", &s), 0);
	assert_non_null(session_psk(s));
	assert_int_equal(role_change(s, newc), CE_POLICY);
	assert_int_equal(partition_rekey(s, &st), CE_POLICY);
	session_close(s);
	s = NULL;
	/* a copy of the row survives a rekey only as a refusal */
	assert_int_equal(sqlite3_prepare_v2(store_db(hsm_store(f->h)),
	    "SELECT wrap, kdf, salt FROM activation WHERE role = 2", -1, &q,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	oldlen = sqlite3_column_bytes(q, 0);
	assert_non_null(old = malloc((size_t)oldlen));
	memcpy(old, sqlite3_column_blob(q, 0), (size_t)oldlen);
	oldkdf = sqlite3_column_int(q, 1);
	memcpy(oldsalt, sqlite3_column_blob(q, 2), sizeof(oldsalt));
	sqlite3_finalize(q);
	assert_int_equal(fx_login(f->h, "p1", ROLE_CO, "co-pin", &co), 0);
	assert_int_equal(partition_rekey(co, &st), 0);
	session_close(co);
	assert_int_equal(count_rows(f->h, "SELECT count(*) FROM activation"),
	    0);
	assert_int_equal(activate(f->h, ROLE_CO, "co-pin", "challenge-1"), 0);
	assert_int_equal(sqlite3_prepare_v2(store_db(hsm_store(f->h)),
	    "UPDATE activation SET wrap = ?, kdf = ?, salt = ? WHERE role = 2",
	    -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_blob(q, 1, old, oldlen, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 2, oldkdf);
	sqlite3_bind_blob(q, 3, oldsalt, sizeof(oldsalt), SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	free(old);
	/* the old cache opens, but its PSK is of the generation before */
	assert_int_equal(chal_login(f->h, ROLE_CO, "challenge-1", &s),
	    CE_BUSY);
	assert_null(s);
	secret_free(newc);
}

/* An activation written before the key-use cache held the role's secret:
 * its next challenge login turns it into a cache under the same challenge. */
static void
test_legacy_converted(void **state)
{
	struct hsmfix *f = *state;
	struct secret *c = cred("co-pin"), *ch = cred("challenge-1");
	struct secret *kek = NULL, *pt = NULL;
	struct session *s = NULL;
	struct buf *w = NULL;
	sqlite3_stmt *q = NULL;
	uint8_t salt[KDF_SALT_LEN];

	assert_int_equal(activate(f->h, ROLE_CO, "co-pin", "challenge-1"), 0);
	memset(salt, 7, sizeof(salt));
	assert_int_equal(wrap_kek(ch, KDF_TEST, salt, &kek), 0);
	assert_int_equal(wrap_seal(secret_ptr(kek), WRAP_ACTIVATION,
	    session_serial_of(f->h), ROLE_CO, NULL, 0, secret_ptr(c),
	    secret_len(c), &w), 0);
	assert_int_equal(sqlite3_prepare_v2(store_db(hsm_store(f->h)),
	    "UPDATE activation SET kdf = ?, salt = ?, wrap = ? WHERE role = 2",
	    -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_int(q, 1, KDF_TEST);
	sqlite3_bind_blob(q, 2, salt, sizeof(salt), SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 3, buf_ptr(w), (int)buf_len(w), SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	assert_int_equal(chal_login(f->h, ROLE_CO, "challenge-1", &s), 0);
	session_close(s);
	assert_int_equal(open_row(f->h, ROLE_CO, "challenge-1",
	    WRAP_ACTIVATION_KEYS, &pt), 0);
	secret_free(pt);
	pt = NULL;
	assert_int_equal(open_row(f->h, ROLE_CO, "challenge-1",
	    WRAP_ACTIVATION, &pt), CE_AUTH_TAG);
	/* and it still logs in */
	assert_int_equal(chal_login(f->h, ROLE_CO, "challenge-1", &s), 0);
	session_close(s);
	buf_free(w);
	secret_free(c);
	secret_free(ch);
	secret_free(kek);
}

static void
test_policy(void **state)
{
	struct hsmfix *f = *state, pw;
	struct session *po = NULL, *s = NULL;
	struct partition_info pi;

	assert_int_equal(activate(f->h, ROLE_CO, "co-pin", "challenge-1"), 0);
	assert_int_equal(fx_login(f->h, "p1", ROLE_PO, "po-pin", &po), 0);
	assert_int_equal(partition_policy_set(po, PPOL_ACTIVATION, 2),
	    CE_INVALID);
	assert_int_equal(partition_policy_set(po, PPOL_ACTIVATION, 0), 0);
	assert_int_equal(partition_get_info(f->h, "p1", &pi), 0);
	assert_int_equal(pi.allow_activation, 0);
	assert_false(pi.roles[1].activated);
	assert_int_equal(chal_login(f->h, ROLE_CO, "challenge-1", &s),
	    CE_POLICY);
	assert_int_equal(activate(f->h, ROLE_CO, "co-pin", "challenge-1"),
	    CE_POLICY);
	assert_int_equal(partition_policy_set(po, PPOL_ACTIVATION, 1), 0);
	assert_int_equal(chal_login(f->h, ROLE_CO, "challenge-1", &s),
	    CE_POLICY);  /* dropped, not suspended */
	assert_int_equal(activate(f->h, ROLE_CO, "co-pin", "challenge-1"), 0);
	session_close(po);
	/* a password HSM has no such policy */
	memset(&pw, 0, sizeof(pw));
	assert_int_equal(fx_setup(&pw), 0);
	assert_int_equal(fx_login(pw.h, "p1", ROLE_PO, "po-pin", &po), 0);
	assert_int_equal(partition_policy_set(po, PPOL_ACTIVATION, 0),
	    CE_UNSUPPORTED);
	session_close(po);
	fx_teardown(&pw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_challenge_logs_in,
		    ped_setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, ped_setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_deactivate, ped_setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dropped, ped_setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bound_to_role, ped_setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_legacy_converted,
		    ped_setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_is_keys_only,
		    ped_setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy, ped_setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
