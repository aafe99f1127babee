/* secret: a freed secret is wiped before it is kept for reuse, reused only
 * for its exact size (so its data still ends at its guard page), and the
 * sizes, the empty secret and secret_truncate keep their contracts. */
#include <stdio.h>
#include <string.h>
#include "testutil.h"
#include "secret.h"

static int
all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static void
test_reused_secret_is_wiped(void **state)
{
	struct secret *a, *b;
	uint8_t *pa;

	(void)state;
	assert_non_null(a = secret_new(48));
	pa = secret_ptr(a);
	memset(pa, 0xa5, 48);
	secret_free(a);
	/* the same size comes back from the cache: the same memory, wiped */
	assert_non_null(b = secret_new(48));
	assert_ptr_equal(secret_ptr(b), pa);
	assert_int_equal(secret_len(b), 48);
	assert_true(all_zero(secret_ptr(b), 48));
	secret_free(b);
}

static void
test_other_size_not_reused(void **state)
{
	struct secret *a, *b;
	uint8_t *pa;

	(void)state;
	assert_non_null(a = secret_new(100));
	pa = secret_ptr(a);
	secret_free(a);
	assert_non_null(b = secret_new(99));
	assert_ptr_not_equal(secret_ptr(b), pa);
	assert_int_equal(secret_len(b), 99);
	assert_true(all_zero(secret_ptr(b), 99));
	secret_free(b);
}

static void
test_truncated_then_reused(void **state)
{
	struct secret *a, *b;

	(void)state;
	assert_non_null(a = secret_from("0123456789abcdef", 16));
	secret_truncate(a, 4);
	assert_int_equal(secret_len(a), 4);
	secret_free(a);
	/* kept under the size it was made with, every byte wiped */
	assert_non_null(b = secret_new(16));
	assert_true(all_zero(secret_ptr(b), 16));
	secret_free(b);
}

static void
test_empty_and_many(void **state)
{
	struct secret *v[40];
	size_t i;

	(void)state;
	assert_non_null(v[0] = secret_new(0));
	assert_int_equal(secret_len(v[0]), 0);
	secret_free(v[0]);
	/* more than the cache holds: the rest are unmapped, none is lost */
	for (i = 0; i < 40; i++) {
		assert_non_null(v[i] = secret_new(32));
		memset(secret_ptr(v[i]), (int)i + 1, 32);
	}
	for (i = 0; i < 40; i++)
		secret_free(v[i]);
	for (i = 0; i < 40; i++) {
		assert_non_null(v[i] = secret_new(32));
		assert_true(all_zero(secret_ptr(v[i]), 32));
	}
	for (i = 0; i < 40; i++)
		secret_free(v[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reused_secret_is_wiped),
		cmocka_unit_test(test_other_size_not_reused),
		cmocka_unit_test(test_truncated_then_reused),
		cmocka_unit_test(test_empty_and_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
