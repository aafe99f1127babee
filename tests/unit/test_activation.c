/* Activation of PED partitions: lib/activation.h. */
#include "hsmfix.h"
#include "testutil.h"

#include "activation.h"
#include "hsm_int.h"
#include "object.h"
#include "store.h"

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

static void
test_open_for_other_paths(void **state)
{
	struct hsmfix *f = *state;
	struct secret *ch = cred("challenge-1"), *bad = cred("challenge-x");
	struct secret *c = NULL, *want = cred("co-pin");
	struct role_status st;

	assert_int_equal(activate(f->h, ROLE_CO, "co-pin", "challenge-1"), 0);
	/* what endpoint-based tools use: the credential itself comes back */
	assert_int_equal(activation_open(f->h, "p1", ROLE_CO, ch, &c), 0);
	assert_true(secret_equal(c, want));
	secret_free(c);
	c = NULL;
	assert_int_equal(activation_open(f->h, "p1", ROLE_CO, bad, &c),
	    CE_BAD_CREDENTIAL);
	assert_null(c);
	assert_int_equal(role_st(f->h, ROLE_CO, &st), 0);
	assert_int_equal(st.failures, 1);
	assert_int_equal(activation_open(f->h, "p1", ROLE_PO, ch, &c),
	    CE_POLICY);
	secret_free(ch);
	secret_free(bad);
	secret_free(want);
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
		cmocka_unit_test_setup_teardown(test_open_for_other_paths,
		    ped_setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy, ped_setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
