/* role: logins, lockout rules, policy 15, who holds the PSK. */
#include <stdio.h>
#include "testutil.h"
#include "hsmfix.h"
#include "object.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_and_counter),
		cmocka_unit_test(test_po_lockout_zeroizes),
		cmocka_unit_test(test_co_lockout_and_unlock),
		cmocka_unit_test(test_po_psk_follows_policy15),
		cmocka_unit_test(test_change_and_permissions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
