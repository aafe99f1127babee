/* wrap: seal/open round trip, and every binding (key, purpose, serial,
 * sub, extra, blob) makes a changed wrap fail. */
#include <stdio.h>
#include <stdlib.h>
#include "testutil.h"
#include "buf.h"
#include "err.h"
#include "secret.h"
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_and_bindings),
		cmocka_unit_test(test_kek_depends_on_everything),
	};

	secret_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
