/* hsm: init, SO lockout (3 failures zeroize), zeroize and re-init,
 * HSM policies. */
#include <stdio.h>
#include "testutil.h"
#include "hsmfix.h"
#include "object.h"

static void
test_init_twice_refused(void **state)
{
	struct hsmfix f;
	struct hsm_init_params p;
	struct hsm_info in;
	struct secret *so = fx_pin("so-pin");

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	hsm_init_params_default(&p);
	p.label = "again";
	p.kdf = KDF_TEST;
	assert_int_equal(hsm_init(f.dir, &p, so), CE_EXISTS);
	p.label = "";
	assert_int_equal(hsm_init(f.dir, &p, so), CE_INVALID);
	p.label = "has#hash";
	assert_int_equal(hsm_init(f.dir, &p, so), CE_INVALID);
	assert_int_equal(hsm_get_info(f.h, &in), 0);
	assert_string_equal(in.label, "unit");
	assert_int_equal(in.state, HSM_STATE_INITIALIZED);
	assert_int_equal(in.partitions, 1);
	assert_true(in.serial >= 1000000000ULL);
	secret_free(so);
	fx_teardown(&f);
}

static void
test_so_lockout(void **state)
{
	struct hsmfix f;
	struct hsm_info in;
	struct hsm_init_params p;
	struct secret *so = fx_pin("so-pin");
	struct session *s = NULL;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_so(f.h, "bad"), CE_BAD_CREDENTIAL);
	assert_int_equal(fx_so(f.h, "so-pin"), 0); /* resets */
	assert_int_equal(fx_so(f.h, "bad"), CE_BAD_CREDENTIAL);
	assert_int_equal(fx_so(f.h, "bad"), CE_BAD_CREDENTIAL);
	assert_int_equal(hsm_get_info(f.h, &in), 0);
	assert_int_equal(in.so_failures, 2);
	assert_int_equal(fx_so(f.h, "bad"), CE_ZEROIZED);
	assert_int_equal(hsm_get_info(f.h, &in), 0);
	assert_int_equal(in.state, HSM_STATE_ZEROIZED);
	assert_int_equal(in.partitions, 0);
	assert_int_equal(fx_so(f.h, "so-pin"), CE_ZEROIZED);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), CE_ZEROIZED);
	/* re-init in place; the audit chain continues */
	hsm_init_params_default(&p);
	p.label = "reborn";
	p.kdf = KDF_TEST;
	assert_int_equal(hsm_init(f.dir, &p, so), 0);
	assert_int_equal(hsm_get_info(f.h, &in), 0);
	assert_string_equal(in.label, "reborn");
	assert_int_equal(hsm_audit_verify(f.h, NULL), 0);
	secret_free(so);
	fx_teardown(&f);
}

static void
test_zeroize_needs_so_unless_tamper(void **state)
{
	struct hsmfix f;
	struct hsm_info in;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	hsm_close(f.h);
	assert_int_equal(hsm_open(f.dir, &f.h), 0);
	assert_int_equal(hsm_zeroize(f.h, 0, NULL), CE_NOT_LOGGED_IN);
	assert_int_equal(hsm_zeroize(f.h, 1, NULL), 0);
	assert_int_equal(hsm_get_info(f.h, &in), 0);
	assert_int_equal(in.state, HSM_STATE_ZEROIZED);
	fx_teardown(&f);
}

static void
test_policy7_destructive(void **state)
{
	struct hsmfix f;
	struct session *s = NULL;
	struct partition_info pi;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate(s, OBJ_AES, 128, "k", NULL), 0);
	session_close(s);
	hsm_close(f.h);
	assert_int_equal(hsm_open(f.dir, &f.h), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(hsm_policy_set(f.h, HSM_POLICY_ALLOW_CLONING, 0),
	    CE_NOT_LOGGED_IN);
	assert_int_equal(fx_so(f.h, "so-pin"), 0);
	assert_int_equal(hsm_policy_set(f.h, 99, 1), CE_INVALID);
	assert_int_equal(hsm_policy_set(f.h, HSM_POLICY_ALLOW_CLONING, 2),
	    CE_INVALID);
	/* setting the same value erases nothing */
	assert_int_equal(hsm_policy_set(f.h, HSM_POLICY_ALLOW_CLONING, 1), 0);
	assert_int_equal(partition_get_info(f.h, "p1", &pi), 0);
	assert_int_equal(pi.objects, 1);
	assert_int_equal(hsm_policy_set(f.h, HSM_POLICY_ALLOW_CLONING, 0), 0);
	assert_int_equal(partition_get_info(f.h, "p1", &pi), 0);
	assert_int_equal(pi.objects, 0);
	assert_int_equal(pi.used, 0);
	assert_int_equal(pi.allow_cloning, 1);
	assert_int_equal(pi.cloning, 0);
	session_close(s);
	fx_teardown(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_twice_refused),
		cmocka_unit_test(test_so_lockout),
		cmocka_unit_test(test_zeroize_needs_so_unless_tamper),
		cmocka_unit_test(test_policy7_destructive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
