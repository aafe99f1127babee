/* shamir: field arithmetic against a slow reference, split/combine over
 * every qualifying subset, and the x-coordinates a split draws. */
#include <stdio.h>
#include "testutil.h"
#include "crypto.h"
#include "err.h"
#include "secret.h"
#include "shamir.h"

/* Schoolbook: carry-less product, then long division by 0x11b. */
static uint8_t
ref_mul(uint8_t a, uint8_t b)
{
	unsigned p = 0, i;

	for (i = 0; i < 8; i++)
		if (b & (1u << i))
			p ^= (unsigned)a << i;
	for (i = 15; i >= 8; i--)
		if (p & (1u << i))
			p ^= 0x11bu << (i - 8);
	return (uint8_t)p;
}

/* The inverse by search: the b with a * b = 1. */
static uint8_t
ref_inv(uint8_t a)
{
	unsigned b;

	for (b = 1; b < 256; b++)
		if (ref_mul(a, (uint8_t)b) == 1)
			return (uint8_t)b;
	return 0;
}

static void
test_mul_all(void **state)
{
	unsigned a, b;

	(void)state;
	for (a = 0; a < 256; a++)
		for (b = 0; b < 256; b++)
			assert_int_equal(gf256_mul((uint8_t)a, (uint8_t)b),
			    ref_mul((uint8_t)a, (uint8_t)b));
	/* FIPS-197 section 4.2 */
	assert_int_equal(gf256_mul(0x57, 0x83), 0xc1);
	assert_int_equal(gf256_mul(0x57, 0x13), 0xfe);
}

static void
test_inv_all(void **state)
{
	unsigned a;

	(void)state;
	assert_int_equal(gf256_inv(0), 0);
	for (a = 1; a < 256; a++) {
		assert_int_equal(gf256_inv((uint8_t)a), ref_inv((uint8_t)a));
		assert_int_equal(ref_mul((uint8_t)a, gf256_inv((uint8_t)a)), 1);
	}
	/* FIPS-197 section 5.1.1: the inverse of {53} is {ca} */
	assert_int_equal(gf256_inv(0x53), 0xca);
}

/* Combines every m-subset of pts[0..n) and compares with s. */
static unsigned
all_subsets(const struct shamir_point *pts, unsigned n, unsigned m,
    const struct secret *s)
{
	struct shamir_point sub[SHAMIR_MAX_N];
	struct secret *got;
	unsigned mask, i, k, count = 0;

	for (mask = 0; mask < (1u << n); mask++) {
		if ((unsigned)__builtin_popcount(mask) != m)
			continue;
		for (i = 0, k = 0; i < n; i++)
			if (mask & (1u << i))
				sub[k++] = pts[i];
		assert_int_equal(shamir_combine(sub, m, &got), 0);
		assert_true(secret_equal(got, s));
		secret_free(got);
		count++;
	}
	return count;
}

static void
split_and_check(unsigned m, unsigned n, unsigned want_subsets)
{
	struct shamir_point pts[SHAMIR_MAX_N];
	uint8_t raw[33];
	struct secret *s;

	cc_random(raw, sizeof(raw));
	assert_non_null(s = secret_from(raw, sizeof(raw)));
	assert_int_equal(shamir_split(s, m, n, pts), 0);
	assert_int_equal(all_subsets(pts, n, m, s), want_subsets);
	/* more than m points recombine too */
	if (m < n) {
		struct secret *got;
		assert_int_equal(shamir_combine(pts, n, &got), 0);
		assert_true(secret_equal(got, s));
		secret_free(got);
	}
	shamir_points_clear(pts, n);
	secret_free(s);
}

static void
test_2_of_3(void **state)
{
	(void)state;
	split_and_check(2, 3, 3);
}

static void
test_3_of_5(void **state)
{
	(void)state;
	split_and_check(3, 5, 10);
}

static void
test_16_of_16(void **state)
{
	(void)state;
	split_and_check(16, 16, 1);
}

static void
test_3_of_16(void **state)
{
	(void)state;
	split_and_check(3, 16, 560);
}

static void
test_every_m_n(void **state)
{
	struct shamir_point pts[SHAMIR_MAX_N];
	struct secret *s, *got;
	unsigned m, n;

	(void)state;
	assert_non_null(s = secret_from("\x00\xff\x01\x80", 4));
	for (n = 1; n <= SHAMIR_MAX_N; n++) {
		for (m = 1; m <= n; m++) {
			assert_int_equal(shamir_split(s, m, n, pts), 0);
			/* the last m points */
			assert_int_equal(shamir_combine(pts + (n - m), m, &got), 0);
			assert_true(secret_equal(got, s));
			secret_free(got);
			shamir_points_clear(pts, n);
		}
	}
	secret_free(s);
}

static void
test_m1_is_the_secret(void **state)
{
	struct shamir_point pts[SHAMIR_MAX_N];
	struct secret *s;
	unsigned i;

	(void)state;
	assert_non_null(s = secret_from("unsplit", 7));
	assert_int_equal(shamir_split(s, 1, 1, pts), 0);
	assert_true(secret_equal(pts[0].y, s));
	assert_int_not_equal(pts[0].x, 0);
	shamir_points_clear(pts, 1);
	assert_int_equal(shamir_split(s, 1, 5, pts), 0);
	for (i = 0; i < 5; i++)
		assert_true(secret_equal(pts[i].y, s));
	shamir_points_clear(pts, 5);
	secret_free(s);
}

static void
test_xs_nonzero_distinct(void **state)
{
	struct shamir_point pts[SHAMIR_MAX_N];
	struct secret *s;
	unsigned seen[256] = { 0 };
	unsigned it, i, j, x;

	(void)state;
	assert_non_null(s = secret_from("x", 1));
	for (it = 0; it < 1000; it++) {
		assert_int_equal(shamir_split(s, 2, 16, pts), 0);
		for (i = 0; i < 16; i++) {
			assert_int_not_equal(pts[i].x, 0);
			seen[pts[i].x]++;
			for (j = 0; j < i; j++)
				assert_int_not_equal(pts[i].x, pts[j].x);
		}
		shamir_points_clear(pts, 16);
	}
	/* drawn from the whole range: every non-zero x turns up */
	for (x = 1; x < 256; x++)
		assert_true(seen[x] > 0);
	assert_int_equal(seen[0], 0);
	secret_free(s);
}

static void
test_too_few_is_not_the_secret(void **state)
{
	struct shamir_point pts[SHAMIR_MAX_N];
	struct secret *s, *got;
	uint8_t raw[32];

	(void)state;
	cc_random(raw, sizeof(raw));
	assert_non_null(s = secret_from(raw, sizeof(raw)));
	assert_int_equal(shamir_split(s, 3, 5, pts), 0);
	/* Shamir alone cannot tell: two points give some other value. The
	 * share layer's check value is what turns this into an error. */
	assert_int_equal(shamir_combine(pts, 2, &got), 0);
	assert_false(secret_equal(got, s));
	secret_free(got);
	shamir_points_clear(pts, 5);
	secret_free(s);
}

static void
test_interpolate_at_point(void **state)
{
	struct shamir_point pts[SHAMIR_MAX_N];
	struct secret *s, *got;
	unsigned i;

	(void)state;
	assert_non_null(s = secret_from("polynomial", 10));
	assert_int_equal(shamir_split(s, 3, 6, pts), 0);
	for (i = 3; i < 6; i++) {
		assert_int_equal(shamir_interpolate(pts, 3, pts[i].x, &got), 0);
		assert_true(secret_equal(got, pts[i].y));
		secret_free(got);
	}
	shamir_points_clear(pts, 6);
	secret_free(s);
}

static void
test_invalid(void **state)
{
	struct shamir_point pts[SHAMIR_MAX_N + 1], dup[2];
	struct secret *s, *e, *got = NULL;

	(void)state;
	assert_non_null(s = secret_from("abc", 3));
	assert_non_null(e = secret_new(0));
	assert_int_equal(shamir_split(s, 0, 3, pts), CE_INVALID);
	assert_int_equal(shamir_split(s, 4, 3, pts), CE_INVALID);
	assert_int_equal(shamir_split(s, 2, 17, pts), CE_INVALID);
	assert_int_equal(shamir_split(s, 1, 0, pts), CE_INVALID);
	assert_int_equal(shamir_split(e, 1, 1, pts), CE_INVALID);
	assert_int_equal(shamir_split(s, 2, 3, pts), 0);
	dup[0] = pts[0];
	dup[1] = pts[0];
	assert_int_equal(shamir_combine(dup, 2, &got), CE_SHARE_DUP);
	dup[1].x = 0;
	assert_int_equal(shamir_combine(dup, 2, &got), CE_INVALID);
	assert_int_equal(shamir_combine(pts, 0, &got), CE_INVALID);
	assert_null(got);
	shamir_points_clear(pts, 3);
	secret_free(s);
	secret_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mul_all),
		cmocka_unit_test(test_inv_all),
		cmocka_unit_test(test_2_of_3),
		cmocka_unit_test(test_3_of_5),
		cmocka_unit_test(test_16_of_16),
		cmocka_unit_test(test_3_of_16),
		cmocka_unit_test(test_every_m_n),
		cmocka_unit_test(test_m1_is_the_secret),
		cmocka_unit_test(test_xs_nonzero_distinct),
		cmocka_unit_test(test_too_few_is_not_the_secret),
		cmocka_unit_test(test_interpolate_at_point),
		cmocka_unit_test(test_invalid),
	};

	secret_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
