/* domain: key derivation, fingerprints, the per-partition list (max 3,
 * never the last, unique labels, one primary). */
#include <stdio.h>
#include "testutil.h"
#include "hsmfix.h"

static struct domain_spec
spec_salted(int kdf, uint8_t fill)
{
	struct domain_spec sp;

	memset(&sp, 0, sizeof(sp));
	sp.type = DOMAIN_PASSWORD;
	sp.kdf = kdf;
	sp.salted = 1;
	memset(sp.salt, fill, sizeof(sp.salt));
	return sp;
}

static void
test_derive_deterministic(void **state)
{
	struct secret *pw = fx_pin("domain pw"), *pw2 = fx_pin("domain px");
	struct secret *k1 = NULL, *k2 = NULL, *k3 = NULL, *k4 = NULL;
	struct secret *raw = secret_new(32), *k5 = NULL, *k6 = NULL, *k7 = NULL;
	struct domain_spec a = spec_salted(KDF_TEST, 1), b = spec_salted(KDF_TEST,
	    2), inter = spec_salted(KDF_INTERACTIVE, 1), legacy = a;
	struct domain_spec ped = { .type = DOMAIN_PED };
	char fp1[DOMAIN_FP_LEN], fp2[DOMAIN_FP_LEN];

	(void)state;
	legacy.salted = 0;
	assert_int_equal(domain_key_derive(&a, pw, &k1), 0);
	assert_int_equal(domain_key_derive(&a, pw, &k2), 0);
	assert_int_equal(domain_key_derive(&a, pw2, &k3), 0);
	assert_int_equal(secret_len(k1), DOMAIN_KEY_LEN);
	assert_int_equal(secret_equal(k1, k2), 1);
	assert_int_equal(secret_equal(k1, k3), 0);
	/* the profile is part of the domain */
	assert_int_equal(domain_key_derive(&inter, pw, &k4), 0);
	assert_int_equal(secret_equal(k1, k4), 0);
	/* so is the salt: one password, two domains (two organisations) */
	assert_int_equal(domain_key_derive(&b, pw, &k6), 0);
	assert_int_equal(secret_equal(k1, k6), 0);
	/* and the legacy form is a third key */
	assert_int_equal(domain_key_derive(&legacy, pw, &k7), 0);
	assert_int_equal(secret_equal(k1, k7), 0);
	/* PED: exactly 32 bytes */
	assert_int_equal(domain_key_derive(&ped, raw, &k5), 0);
	secret_free(k4);
	assert_int_equal(domain_key_derive(&ped, pw, &k4), CE_INVALID);
	assert_int_equal(domain_fingerprint(&a, k1, fp1), 0);
	assert_int_equal(domain_fingerprint(&a, k2, fp2), 0);
	assert_string_equal(fp1, fp2);
	assert_int_equal(strlen(fp1), 19);
	assert_int_equal(domain_fingerprint(&a, k3, fp2), 0);
	assert_string_not_equal(fp1, fp2);
	/* the fingerprint is salted: the same key under another salt differs */
	assert_int_equal(domain_fingerprint(&b, k1, fp2), 0);
	assert_string_not_equal(fp1, fp2);
	/* a legacy password domain has none (it would be a cheap oracle) */
	assert_int_equal(domain_fingerprint(&legacy, k7, fp2), CE_UNSUPPORTED);
	assert_int_equal(domain_fingerprint(&ped, k5, fp2), 0);
	secret_free(pw);
	secret_free(pw2);
	secret_free(raw);
	secret_free(k1);
	secret_free(k2);
	secret_free(k3);
	secret_free(k5);
	secret_free(k6);
	secret_free(k7);
}

/* docs/formats.md 2.5, computed independently (argon2 CLI and Python). */
#define V_SALT "0123456789abcdef"
#define V_KEY "9574a65f8ac9911b88dfbae84397510b" \
	"0181584ecf7d34c1f4cfe768831a543d"
#define V_FP "16B1-08FF-7710-9A74"
#define V_STRING "CDOM2-test-60RK4-CSM6M-V3EE1-SC5H6-6S35C-VQW4"

static void
test_vectors(void **state)
{
	struct domain_spec sp = spec_salted(KDF_TEST, 0), back;
	struct secret *pw = fx_pin("correct horse battery"), *k = NULL;
	char fp[DOMAIN_FP_LEN], str[DOMAIN_STRING_MAX];
	uint8_t want[DOMAIN_KEY_LEN];
	size_t i;

	(void)state;
	memcpy(sp.salt, V_SALT, DOMAIN_SALT_LEN);
	assert_int_equal(domain_key_derive(&sp, pw, &k), 0);
	assert_int_equal(domain_fingerprint(&sp, k, fp), 0);
	assert_int_equal(domain_string_format(&sp, str), 0);
	if (getenv("COFFER_KAT_DUMP") != NULL) {
		printf("key ");
		for (i = 0; i < DOMAIN_KEY_LEN; i++)
			printf("%02x", secret_ptr(k)[i]);
		printf("\nfingerprint %s\nstring %s\n", fp, str);
		goto out;
	}
	for (i = 0; i < DOMAIN_KEY_LEN; i++)
		sscanf(V_KEY + 2 * i, "%2hhx", &want[i]);
	assert_memory_equal(secret_ptr(k), want, DOMAIN_KEY_LEN);
	assert_string_equal(fp, V_FP);
	assert_string_equal(str, V_STRING);
 out:
	/* the string reads back, in any case, and a mistyped symbol is caught */
	assert_int_equal(domain_string_parse(str, &back), 0);
	assert_int_equal(back.kdf, KDF_TEST);
	assert_int_equal(back.salted, 1);
	assert_memory_equal(back.salt, sp.salt, DOMAIN_SALT_LEN);
	for (i = 0; str[i] != '\0'; i++)
		if (str[i] >= 'A' && str[i] <= 'Z')
			str[i] = (char)(str[i] - 'A' + 'a');
	assert_int_equal(domain_string_parse(str, &back), 0);
	str[strlen(str) - 3] = str[strlen(str) - 3] == 'x' ? 'y' : 'x';
	assert_int_equal(domain_string_parse(str, &back), CE_FORMAT);
	assert_int_equal(domain_string_parse("CDOM2-nope-AAAAA", &back),
	    CE_FORMAT);
	assert_int_equal(domain_string_parse("hello", &back), CE_FORMAT);
	secret_free(pw);
	secret_free(k);
}

static struct secret *
dkey(const char *pw)
{
	struct domain_spec sp;
	struct secret *p = fx_pin(pw), *k = NULL;

	fx_domain_spec(&sp);
	assert_int_equal(domain_key_derive(&sp, p, &k), 0);
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
	struct domain_spec pw, ped = { .type = DOMAIN_PED };

	(void)state;
	fx_domain_spec(&pw);
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
	assert_int_equal(domain_add(co, "two", &pw, k2, 0),
	    CE_PERMISSION);
	assert_int_equal(domain_add(po, "two", &pw, k2, 0), 0);
	assert_int_equal(domain_add(po, "two", &pw, k3, 0),
	    CE_EXISTS);
	assert_int_equal(domain_add(po, "dup", &pw, k0, 0),
	    CE_EXISTS);
	assert_int_equal(domain_add(po, "", &pw, k3, 0),
	    CE_INVALID);
	assert_int_equal(domain_add(po, "three", &ped, k3, 1), 0);
	assert_int_equal(domain_add(po, "four", &pw, k4, 0),
	    CE_FULL);
	/* primary first */
	assert_int_equal(domain_list_get(co, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.d[0].label, "three");
	assert_int_equal(l.d[0].spec.type, DOMAIN_PED);
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
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_list_management),
	};

	secret_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
