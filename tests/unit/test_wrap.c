/* wrap: seal/open round trip, and every binding (key, purpose, serial,
 * sub, extra, blob) makes a changed wrap fail. */
#include <stdio.h>
#include <stdlib.h>
#include "testutil.h"
#include "buf.h"
#include "err.h"
#include "secret.h"
#include "crypto.h"
#include "wrap.h"

static void
test_roundtrip_and_bindings(void **state)
{
	uint8_t key[32], other[32];
	struct buf *w = NULL;
	struct secret *pt = NULL;
	uint8_t *blob;
	size_t n;

	(void)state;
	memset(key, 1, sizeof(key));
	memset(other, 2, sizeof(other));
	assert_int_equal(wrap_seal(key, "psk", 42, 2, "x", 1, "secret!", 7, &w), 0);
	assert_int_equal(buf_len(w), WRAP_OVERHEAD + 7);
	/* no plaintext in the blob */
	assert_null(memmem(buf_ptr(w), buf_len(w), "secret!", 7));
	assert_int_equal(wrap_open(key, "psk", 42, 2, "x", 1, buf_ptr(w),
	    buf_len(w), &pt), 0);
	assert_memory_equal(secret_ptr(pt), "secret!", 7);
	secret_free(pt);
	assert_int_equal(wrap_open(other, "psk", 42, 2, "x", 1, buf_ptr(w),
	    buf_len(w), &pt), CE_AUTH_TAG);
	assert_int_equal(wrap_open(key, "dsk", 42, 2, "x", 1, buf_ptr(w),
	    buf_len(w), &pt), CE_AUTH_TAG);
	assert_int_equal(wrap_open(key, "psk", 43, 2, "x", 1, buf_ptr(w),
	    buf_len(w), &pt), CE_AUTH_TAG);
	assert_int_equal(wrap_open(key, "psk", 42, 3, "x", 1, buf_ptr(w),
	    buf_len(w), &pt), CE_AUTH_TAG);
	assert_int_equal(wrap_open(key, "psk", 42, 2, "y", 1, buf_ptr(w),
	    buf_len(w), &pt), CE_AUTH_TAG);
	n = buf_len(w);
	blob = malloc(n);
	memcpy(blob, buf_ptr(w), n);
	blob[n - 1] ^= 1;
	assert_int_equal(wrap_open(key, "psk", 42, 2, "x", 1, blob, n, &pt),
	    CE_AUTH_TAG);
	blob[n - 1] ^= 1;
	blob[0] = 9;
	assert_int_equal(wrap_open(key, "psk", 42, 2, "x", 1, blob, n, &pt),
	    CE_VERSION);
	assert_int_equal(wrap_open(key, "psk", 42, 2, "x", 1, blob, 10, &pt),
	    CE_FORMAT);
	free(blob);
	buf_free(w);
}

static void
test_kek_depends_on_everything(void **state)
{
	struct secret *a = secret_from("pin", 3), *b = secret_from("pio", 3);
	struct secret *k1 = NULL, *k2 = NULL, *k3 = NULL, *k4 = NULL;
	uint8_t salt[KDF_SALT_LEN] = { 0 }, salt2[KDF_SALT_LEN] = { 1 };

	(void)state;
	assert_int_equal(wrap_kek(a, KDF_TEST, salt, &k1), 0);
	assert_int_equal(wrap_kek(a, KDF_TEST, salt, &k2), 0);
	assert_int_equal(wrap_kek(b, KDF_TEST, salt, &k3), 0);
	assert_int_equal(wrap_kek(a, KDF_TEST, salt2, &k4), 0);
	assert_int_equal(secret_equal(k1, k2), 1);
	assert_int_equal(secret_equal(k1, k3), 0);
	assert_int_equal(secret_equal(k1, k4), 0);
	secret_free(a);
	secret_free(b);
	secret_free(k1);
	secret_free(k2);
	secret_free(k3);
	secret_free(k4);
}

/* Sealed to a public key: only the private key opens, and every binding
 * (purpose, serial, sub, any byte, the ephemeral key) holds. */
static void
test_seal_pub(void **state)
{
	uint8_t sk[CC_X25519_LEN], pk[CC_X25519_LEN], sk2[CC_X25519_LEN];
	uint8_t pk2[CC_X25519_LEN], *blob;
	struct buf *w = NULL, *w2 = NULL;
	struct secret *pt = NULL;
	size_t n, i;

	(void)state;
	for (i = 0; i < sizeof(sk); i++) {
		sk[i] = (uint8_t)(i + 1);
		sk2[i] = (uint8_t)(0x80 + i);
	}
	assert_int_equal(cc_x25519_public(sk, pk), 0);
	assert_int_equal(cc_x25519_public(sk2, pk2), 0);
	assert_int_equal(wrap_seal_pub(pk, WRAP_PSK_PUB, 7, 2, "0123456789abcdef"
	    "0123456789abcdef", 32, &w), 0);
	blob = (uint8_t *)buf_ptr(w);
	n = buf_len(w);
	assert_int_equal(n, WRAP_PUB_OVERHEAD + 32);
	assert_int_equal(wrap_open_pub(sk, pk, WRAP_PSK_PUB, 7, 2, blob, n, &pt),
	    0);
	assert_memory_equal(secret_ptr(pt), "0123456789abcdef0123456789abcdef",
	    32);
	secret_free(pt);
	pt = NULL;
	/* a fresh ephemeral key each time */
	assert_int_equal(wrap_seal_pub(pk, WRAP_PSK_PUB, 7, 2, "x", 1, &w2), 0);
	assert_memory_not_equal(buf_ptr(w2), blob, CC_X25519_LEN);
	assert_int_equal(wrap_open_pub(sk2, pk2, WRAP_PSK_PUB, 7, 2, blob, n,
	    &pt), CE_AUTH_TAG);
	assert_int_equal(wrap_open_pub(sk, pk, WRAP_PSK, 7, 2, blob, n, &pt),
	    CE_AUTH_TAG);
	assert_int_equal(wrap_open_pub(sk, pk, WRAP_PSK_PUB, 8, 2, blob, n, &pt),
	    CE_AUTH_TAG);
	assert_int_equal(wrap_open_pub(sk, pk, WRAP_PSK_PUB, 7, 3, blob, n, &pt),
	    CE_AUTH_TAG);
	assert_int_equal(wrap_open_pub(sk, pk2, WRAP_PSK_PUB, 7, 2, blob, n,
	    &pt), CE_AUTH_TAG);
	for (i = 0; i < n; i += 5) {
		blob[i] ^= 0x20;
		assert_int_not_equal(wrap_open_pub(sk, pk, WRAP_PSK_PUB, 7, 2,
		    blob, n, &pt), 0);
		blob[i] ^= 0x20;
	}
	assert_int_equal(wrap_open_pub(sk, pk, WRAP_PSK_PUB, 7, 2, blob,
	    WRAP_PUB_OVERHEAD - 1, &pt), CE_FORMAT);
	assert_null(pt);
	buf_free(w);
	buf_free(w2);
}

/* docs/formats.md 2.6: a PSK sealed to a role's public key, computed
 * independently with Python (cryptography's X25519 and AESGCM, HKDF from
 * hmac/hashlib); the C code must open it and agree on the public key. */
static void
test_seal_pub_vector(void **state)
{
	uint8_t sk[CC_X25519_LEN], pk[CC_X25519_LEN], want[CC_X25519_LEN];
	uint8_t blob[128];
	struct secret *pt = NULL;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(sk); i++)
		sk[i] = (uint8_t)(i + 1);
	assert_int_equal(cc_x25519_public(sk, pk), 0);
	assert_int_equal(unhex("07a37cbc142093c8b755dc1b10e86cb426374ad16aa853"
	    "ed0bdfc0b2b86d1c7c", want, sizeof(want)), sizeof(want));
	assert_memory_equal(pk, want, sizeof(pk));
	n = unhex("493e82fc74464a59268817623d2053c5eb8e2cc4a988b4fee179ec6b01"
	    "0d531d01000102030405060708090a0b99cefb31f795a2b62a6a9a3bd2855a6b"
	    "7e1d19f3d788508aecd07b9917621344b0fbc802190c626fea03f1cbc926a3ed",
	    blob, sizeof(blob));
	assert_int_equal(n, 93);
	assert_int_equal(wrap_open_pub(sk, pk, WRAP_PSK_PUB, 123456789012ULL, 2,
	    blob, n, &pt), 0);
	assert_int_equal(secret_len(pt), 32);
	for (i = 0; i < 32; i++)
		assert_int_equal(secret_ptr(pt)[i], i);
	secret_free(pt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_and_bindings),
		cmocka_unit_test(test_kek_depends_on_everything),
		cmocka_unit_test(test_seal_pub),
		cmocka_unit_test(test_seal_pub_vector),
	};

	secret_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
