/* domain: key derivation, fingerprints, the per-partition list (max 3,
 * never the last, unique labels, one primary). */
#include <stdio.h>
#include "testutil.h"
#include "hsmfix.h"

static void
test_derive_deterministic(void **state)
{
	struct secret *pw = fx_pin("domain pw"), *pw2 = fx_pin("domain px");
	struct secret *k1 = NULL, *k2 = NULL, *k3 = NULL, *k4 = NULL;
	struct secret *raw = secret_new(32), *k5 = NULL;
	char fp1[DOMAIN_FP_LEN], fp2[DOMAIN_FP_LEN];

	(void)state;
	assert_int_equal(domain_key_derive(DOMAIN_PASSWORD, KDF_TEST, pw, &k1), 0);
	assert_int_equal(domain_key_derive(DOMAIN_PASSWORD, KDF_TEST, pw, &k2), 0);
	assert_int_equal(domain_key_derive(DOMAIN_PASSWORD, KDF_TEST, pw2, &k3), 0);
	assert_int_equal(secret_len(k1), DOMAIN_KEY_LEN);
	assert_int_equal(secret_equal(k1, k2), 1);
	assert_int_equal(secret_equal(k1, k3), 0);
	/* the profile is part of the domain */
	assert_int_equal(domain_key_derive(DOMAIN_PASSWORD, KDF_INTERACTIVE, pw,
	    &k4), 0);
	assert_int_equal(secret_equal(k1, k4), 0);
	/* PED: exactly 32 bytes */
	assert_int_equal(domain_key_derive(DOMAIN_PED, 0, raw, &k5), 0);
	assert_int_equal(domain_key_derive(DOMAIN_PED, 0, pw, &k4), CE_INVALID);
	assert_int_equal(domain_fingerprint(k1, fp1), 0);
	assert_int_equal(domain_fingerprint(k2, fp2), 0);
	assert_string_equal(fp1, fp2);
	assert_int_equal(strlen(fp1), 19);
	assert_int_equal(domain_fingerprint(k3, fp2), 0);
	assert_string_not_equal(fp1, fp2);
	secret_free(pw);
	secret_free(pw2);
	secret_free(raw);
	secret_free(k1);
	secret_free(k2);
	secret_free(k3);
	secret_free(k4);
	secret_free(k5);
}

static struct secret *
dkey(const char *pw)
{
	struct secret *p = fx_pin(pw), *k = NULL;

	assert_int_equal(domain_key_derive(DOMAIN_PASSWORD, KDF_TEST, p, &k), 0);
	secret_free(p);
	return k;
}

static void
test_list_management(void **state)
{
	struct hsmfix f;
	struct session *po = NULL, *co = NULL;
	struct domain_list l;
	struct secret *k0 = dkey("dom-pw"), *k2 = dkey("two"), *k3 = dkey("three");
	struct secret *k4 = dkey("four");

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_PO, "po-pin", &po), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &co), 0);
	/* the first domain came with partition init */
	assert_int_equal(domain_list_get(co, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.d[0].label, "default");
	assert_int_equal(l.d[0].primary, 1);
	assert_int_equal(secret_equal(l.d[0].key, k0), 1);
	domain_list_clear(&l);
	/* only the PO manages domains */
	assert_int_equal(domain_add(co, "two", DOMAIN_PASSWORD, KDF_TEST, k2, 0),
	    CE_PERMISSION);
	assert_int_equal(domain_add(po, "two", DOMAIN_PASSWORD, KDF_TEST, k2, 0), 0);
	assert_int_equal(domain_add(po, "two", DOMAIN_PASSWORD, KDF_TEST, k3, 0),
	    CE_EXISTS);
	assert_int_equal(domain_add(po, "dup", DOMAIN_PASSWORD, KDF_TEST, k0, 0),
	    CE_EXISTS);
	assert_int_equal(domain_add(po, "", DOMAIN_PASSWORD, KDF_TEST, k3, 0),
	    CE_INVALID);
	assert_int_equal(domain_add(po, "three", DOMAIN_PED, KDF_TEST, k3, 1), 0);
	assert_int_equal(domain_add(po, "four", DOMAIN_PASSWORD, KDF_TEST, k4, 0),
	    CE_FULL);
	/* primary first */
	assert_int_equal(domain_list_get(co, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.d[0].label, "three");
	assert_int_equal(l.d[0].type, DOMAIN_PED);
	assert_int_equal(l.d[1].primary + l.d[2].primary, 0);
	domain_list_clear(&l);
	assert_int_equal(domain_relabel(po, "two", "deux"), 0);
	assert_int_equal(domain_relabel(po, "deux", "three"), CE_EXISTS);
	assert_int_equal(domain_relabel(po, "nope", "x"), CE_NOT_FOUND);
	assert_int_equal(domain_set_primary(po, "deux"), 0);
	assert_int_equal(domain_list_get(po, &l), 0);
	assert_string_equal(l.d[0].label, "deux");
	assert_int_equal(l.d[0].primary, 1);
	assert_int_equal(l.d[1].primary + l.d[2].primary, 0);
	domain_list_clear(&l);
	/* removing the primary promotes the oldest; never the last */
	assert_int_equal(domain_remove(po, "deux"), 0);
	assert_int_equal(domain_remove(po, "three"), 0);
	assert_int_equal(domain_remove(po, "default"), CE_POLICY);
	assert_int_equal(domain_remove(po, "gone"), CE_NOT_FOUND);
	assert_int_equal(domain_list_get(co, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.d[0].label, "default");
	assert_int_equal(l.d[0].primary, 1);
	domain_list_clear(&l);
	session_close(po);
	session_close(co);
	secret_free(k0);
	secret_free(k2);
	secret_free(k3);
	secret_free(k4);
	fx_teardown(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derive_deterministic),
		cmocka_unit_test(test_list_management),
	};

	secret_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
