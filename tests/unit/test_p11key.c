/*
 * p11key: PKCS#11 key components to PKCS#8. A key OpenSSL generates,
 * taken apart into its components and put back together, is the same key
 * (same public key, and its PKCS#8 opens); bad components are refused.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "testutil.h"

#include "err.h"
#include "p11.h"
#include "p11key.h"
#include "secret.h"

/* The SubjectPublicKeyInfo DER of a PKCS#8 key, or of pk. */
static int
spki_of(EVP_PKEY *pk, const struct secret *p8, unsigned char **outp)
{
	const unsigned char *p;
	EVP_PKEY *k = pk;
	int n;

	if (p8 != NULL) {
		p = secret_ptr(p8);
		if ((k = d2i_AutoPrivateKey(NULL, &p,
		    (long)secret_len(p8))) == NULL)
			return -1;
	}
	n = i2d_PUBKEY(k, outp);
	if (k != pk)
		EVP_PKEY_free(k);
	return n;
}

/* The big-endian bytes of BN parameter name of pk into buf. */
static size_t
param(EVP_PKEY *pk, const char *name, uint8_t *buf)
{
	BIGNUM *bn = NULL;
	size_t n;

	assert_int_equal(EVP_PKEY_get_bn_param(pk, name, &bn), 1);
	n = (size_t)BN_bn2bin(bn, buf);
	BN_clear_free(bn);
	return n;
}

static void
test_ec(void **state)
{
	EVP_PKEY *pk;
	struct secret *p8 = NULL;
	unsigned char *a = NULL, *b = NULL;
	uint8_t d[48];
	size_t dlen;
	int na, nb;

	(void)state;
	assert_non_null(pk = EVP_EC_gen("P-384"));
	dlen = param(pk, OSSL_PKEY_PARAM_PRIV_KEY, d);
	assert_int_equal(p11key_ec_pkcs8(p11_oid_p384, sizeof(p11_oid_p384), d,
	    dlen, &p8), 0);
	na = spki_of(pk, NULL, &a);
	nb = spki_of(NULL, p8, &b);
	assert_true(na > 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na);
	secret_free(p8);
	/* another curve's parameters, a zero scalar, too long a scalar */
	assert_int_equal(p11key_ec_pkcs8((const uint8_t *)"\x06\x01\x00", 3,
	    d, dlen, &p8), CE_INVALID);
	memset(d, 0, sizeof(d));
	assert_int_equal(p11key_ec_pkcs8(p11_oid_p256, sizeof(p11_oid_p256), d,
	    32, &p8), CE_INVALID);
	assert_int_equal(p11key_ec_pkcs8(p11_oid_p256, sizeof(p11_oid_p256), d,
	    33, &p8), CE_INVALID);
	OPENSSL_free(a);
	OPENSSL_free(b);
	EVP_PKEY_free(pk);
}

static void
test_rsa(void **state)
{
	static const char *names[8] = { OSSL_PKEY_PARAM_RSA_N,
	    OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
	    OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
	    OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
	    OSSL_PKEY_PARAM_RSA_COEFFICIENT1 };
	static uint8_t buf[8][256];
	struct p11key_rsa k;
	struct p11key_int *parts[8] = { &k.n, &k.e, &k.d, &k.p, &k.q, &k.dp,
	    &k.dq, &k.qinv };
	EVP_PKEY *pk;
	struct secret *p8 = NULL;
	unsigned char *a = NULL, *b = NULL;
	int i, na, nb;

	(void)state;
	assert_non_null(pk = EVP_RSA_gen(2048));
	for (i = 0; i < 8; i++) {
		parts[i]->p = buf[i];
		parts[i]->len = param(pk, names[i], buf[i]);
	}
	assert_int_equal(p11key_rsa_pkcs8(&k, &p8), 0);
	na = spki_of(pk, NULL, &a);
	nb = spki_of(NULL, p8, &b);
	assert_true(na > 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na);
	secret_free(p8);
	/* a wrong private exponent, then a component missing */
	buf[2][10] ^= 1;
	assert_int_equal(p11key_rsa_pkcs8(&k, &p8), CE_INVALID);
	buf[2][10] ^= 1;
	k.qinv.len = 0;
	assert_int_equal(p11key_rsa_pkcs8(&k, &p8), CE_INVALID);
	OPENSSL_free(a);
	OPENSSL_free(b);
	EVP_PKEY_free(pk);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ec),
		cmocka_unit_test(test_rsa),
	};

	secret_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
