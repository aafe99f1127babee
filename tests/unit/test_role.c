/* role: logins, lockout rules, policy 15, who holds the PSK. */
#include <stdio.h>
#include "testutil.h"
#include "hsmfix.h"
#include "object.h"
#include "buf.h"
#include "hsm_int.h"
#include "store.h"
#include "wrap.h"

static void
test_login_and_counter(void **state)
{
	struct hsmfix f;
	struct session *s = NULL;
	struct partition_info pi;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "wrong", &s),
	    CE_BAD_CREDENTIAL);
	assert_null(s);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "wrong", &s),
	    CE_BAD_CREDENTIAL);
	assert_int_equal(partition_get_info(f.h, "p1", &pi), 0);
	assert_int_equal(pi.roles[1].failures, 2);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(session_role(s), ROLE_CO);
	assert_non_null(session_psk(s));
	session_close(s);
	assert_int_equal(partition_get_info(f.h, "p1", &pi), 0);
	assert_int_equal(pi.roles[1].failures, 0);
	assert_int_equal(fx_login(f.h, "nope", ROLE_CO, "co-pin", &s),
	    CE_NOT_FOUND);
	assert_int_equal(fx_login(f.h, "p1", ROLE_SO, "so-pin", &s), CE_INVALID);
	fx_teardown(&f);
}

static void
test_po_lockout_zeroizes(void **state)
{
	struct hsmfix f;
	struct session *s = NULL;
	struct partition_info pi;
	int i;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate(s, OBJ_AES, 256, "k", NULL), 0);
	session_close(s);
	for (i = 1; i < 10; i++)
		assert_int_equal(fx_login(f.h, "p1", ROLE_PO, "x", &s),
		    CE_BAD_CREDENTIAL);
	assert_int_equal(fx_login(f.h, "p1", ROLE_PO, "x", &s), CE_ZEROIZED);
	assert_int_equal(partition_get_info(f.h, "p1", &pi), 0);
	assert_int_equal(pi.state, PARTITION_CREATED);
	assert_int_equal(pi.objects, 0);
	assert_int_equal(pi.domains, 0);
	assert_int_equal(pi.roles[0].initialized, 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), CE_ZEROIZED);
	fx_teardown(&f);
}

static void
test_co_lockout_and_unlock(void **state)
{
	struct hsmfix f;
	struct session *s = NULL, *po = NULL;
	int i;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	for (i = 1; i < 10; i++)
		assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "x", &s),
		    CE_BAD_CREDENTIAL);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "x", &s), CE_LOCKED);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), CE_LOCKED);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CU, "cu-pin", &s), CE_LOCKED);
	assert_int_equal(fx_login(f.h, "p1", ROLE_PO, "po-pin", &po), 0);
	assert_int_equal(role_unlock(po, ROLE_CO), CE_POLICY);
	assert_int_equal(fx_so(f.h, "so-pin"), 0);
	assert_int_equal(hsm_policy_set(f.h, HSM_POLICY_SO_RESET_PIN, 1), 0);
	assert_int_equal(role_unlock(po, ROLE_CO), 0);
	session_close(po);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), 0);
	session_close(s);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CU, "cu-pin", &s), 0);
	session_close(s);
	fx_teardown(&f);
}

static void
test_po_psk_follows_policy15(void **state)
{
	struct hsmfix f;
	struct session *po = NULL, *co = NULL;
	struct secret *c = fx_pin("co-new");
	struct partition_info pi;

	(void)state;
	/* Policy 15 off: after CO init the PO holds no PSK and cannot reset
	 * the CO. */
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(partition_get_info(f.h, "p1", &pi), 0);
	assert_int_equal(pi.roles[0].holds_psk, 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_PO, "po-pin", &po), 0);
	assert_null(session_psk(po));
	assert_int_equal(role_init(po, ROLE_CO, c), CE_POLICY);
	session_close(po);
	fx_teardown(&f);
	/* Policy 15 on: the PO keeps it and may reset the CO. */
	assert_int_equal(fx_setup_policy(&f, 1), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_PO, "po-pin", &po), 0);
	assert_non_null(session_psk(po));
	assert_int_equal(role_init(po, ROLE_CO, c), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &co),
	    CE_BAD_CREDENTIAL);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-new", &co), 0);
	session_close(co);
	session_close(po);
	/* ...until the SO turns it off: the next PO login drops the wrap */
	assert_int_equal(fx_so(f.h, "so-pin"), 0);
	assert_int_equal(hsm_policy_set(f.h, HSM_POLICY_SO_RESET_PIN, 0), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_PO, "po-pin", &po), 0);
	assert_null(session_psk(po));
	session_close(po);
	assert_int_equal(partition_get_info(f.h, "p1", &pi), 0);
	assert_int_equal(pi.roles[0].holds_psk, 0);
	secret_free(c);
	fx_teardown(&f);
}

static void
test_change_and_permissions(void **state)
{
	struct hsmfix f;
	struct session *s = NULL, *cu = NULL;
	struct secret *n = fx_pin("po-new");

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_PO, "po-pin", &s), 0);
	assert_int_equal(role_change(s, n), 0);
	assert_int_equal(role_init(s, ROLE_CU, n), CE_PERMISSION);
	session_close(s);
	assert_int_equal(fx_login(f.h, "p1", ROLE_PO, "po-pin", &s),
	    CE_BAD_CREDENTIAL);
	assert_int_equal(fx_login(f.h, "p1", ROLE_PO, "po-new", &s), 0);
	session_close(s);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CU, "cu-pin", &cu), 0);
	assert_int_equal(role_unlock(cu, ROLE_CO), CE_PERMISSION);
	assert_int_equal(role_init(cu, ROLE_CU, n), CE_PERMISSION);
	session_close(cu);
	secret_free(n);
	fx_teardown(&f);
}

static int
db_int(struct hsm *h, const char *sql)
{
	sqlite3_stmt *q;
	int v = -1;

	if (sqlite3_prepare_v2(store_db(hsm_store(h)), sql, -1, &q, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return v;
}

/* A V0 rekey: objects open for every role after it, a session from before
 * it may not seal a new object, and the generation moves on. */
static void
test_rekey_v0(void **state)
{
	struct hsmfix f;
	struct session *co = NULL, *old = NULL, *s = NULL;
	struct partition_rekey_stats st;
	struct object *o = NULL;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &co), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CU, "cu-pin", &old), 0);
	assert_int_equal(object_generate(co, OBJ_AES, 256, "k", NULL), 0);
	assert_int_equal(object_generate(co, OBJ_AES, 128, "k2", NULL), 0);
	assert_int_equal(partition_rekey(old, &st), CE_PERMISSION);
	assert_int_equal(partition_rekey(co, &st), 0);
	assert_int_equal(st.psk_gen, 2);
	assert_int_equal(st.objects, 2);
	assert_int_equal(st.roles, 2);       /* CO, CU (policy 15 off) */
	/* the rekeying session goes on; a stale one seals nothing */
	assert_int_equal(object_get(co, "k", &o), 0);
	object_free(o);
	o = NULL;
	assert_int_equal(object_import_data(old, "d", NULL, "x", 1, 0), CE_BUSY);
	assert_int_equal(object_get(old, "k2", &o), CE_BUSY);
	assert_null(o);
	session_close(old);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CU, "cu-pin", &s), 0);
	assert_int_equal(object_get(s, "k2", &o), 0);
	object_free(o);
	session_close(s);
	assert_int_equal(fx_login(f.h, "p1", ROLE_PO, "po-pin", &s), 0);
	session_close(s);
	assert_int_equal(db_int(f.h, "SELECT psk_gen FROM partition"), 2);
	assert_int_equal(partition_rekey(co, &st), 0);
	assert_int_equal(st.psk_gen, 3);
	session_close(co);
	fx_teardown(&f);
}

/*
 * A role row of hsm.db schema 3 form (the PSK wrapped under the KEK, no
 * key pair): the rekey refuses while it lasts, the role's next login
 * converts it, then the rekey goes through and the role still logs in.
 */
static void
test_schema3_row_converted(void **state)
{
	struct hsmfix f;
	struct session *co = NULL, *s = NULL;
	struct partition_rekey_stats st;
	struct secret *cu = fx_pin("cu-pin"), *kek = NULL;
	struct buf *w = NULL;
	sqlite3_stmt *q;
	uint8_t salt[KDF_SALT_LEN];
	int kdf;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &co), 0);
	assert_int_equal(sqlite3_prepare_v2(store_db(hsm_store(f.h)),
	    "SELECT kdf, salt FROM role WHERE role = 3", -1, &q, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	kdf = sqlite3_column_int(q, 0);
	memcpy(salt, sqlite3_column_blob(q, 1), sizeof(salt));
	sqlite3_finalize(q);
	assert_int_equal(wrap_kek(cu, kdf, salt, &kek), 0);
	assert_int_equal(role_wrap_key(kek, WRAP_PSK, session_serial(co),
	    ROLE_CU, session_psk(co), &w), 0);
	assert_int_equal(sqlite3_prepare_v2(store_db(hsm_store(f.h)),
	    "UPDATE role SET psk_wrap = ?, role_key = NULL, role_pub = NULL "
	    "WHERE role = 3", -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_blob(q, 1, buf_ptr(w), (int)buf_len(w), SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	assert_int_equal(partition_rekey(co, &st), CE_POLICY);
	assert_int_equal(db_int(f.h, "SELECT psk_gen FROM partition"), 1);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CU, "cu-pin", &s), 0);
	session_close(s);
	assert_int_equal(db_int(f.h, "SELECT role_key IS NOT NULL AND "
	    "length(role_pub) = 32 FROM role WHERE role = 3"), 1);
	assert_int_equal(partition_rekey(co, &st), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CU, "cu-pin", &s), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CU, "co-pin", &s),
	    CE_BAD_CREDENTIAL);
	session_close(s);
	session_close(co);
	secret_free(cu);
	secret_free(kek);
	buf_free(w);
	fx_teardown(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_and_counter),
		cmocka_unit_test(test_po_lockout_zeroizes),
		cmocka_unit_test(test_co_lockout_and_unlock),
		cmocka_unit_test(test_po_psk_follows_policy15),
		cmocka_unit_test(test_change_and_permissions),
		cmocka_unit_test(test_rekey_v0),
		cmocka_unit_test(test_schema3_row_converted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
