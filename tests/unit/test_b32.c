/* b32: Crockford base32 round trips, forgiving decoding, strict lengths. */
#include <stdio.h>
#include "testutil.h"
#include "b32.h"
#include "crypto.h"
#include "err.h"

static void
test_roundtrip_lengths(void **state)
{
	uint8_t in[64], out[64];
	char txt[200];
	size_t n, got;

	(void)state;
	for (n = 0; n <= sizeof(in); n++) {
		cc_random(in, n);
		assert_int_equal(b32_encode(in, n, 4, txt, sizeof(txt)), 0);
		assert_int_equal(b32_decode(txt, strlen(txt), out, sizeof(out),
		    &got), 0);
		assert_int_equal(got, n);
		assert_memory_equal(in, out, n);
	}
}

static void
test_known(void **state)
{
	char txt[40];
	uint8_t out[16];
	size_t n;

	(void)state;
	/* spellings computed independently (Python, big-endian bit string) */
	assert_int_equal(b32_encode((const uint8_t *)"\xff\xff\xff\xff\xff", 5,
	    0, txt, sizeof(txt)), 0);
	assert_string_equal(txt, "ZZZZZZZZ");
	assert_int_equal(b32_encode((const uint8_t *)"\x08\x86\x42\x98\xe8",
	    5, 4, txt, sizeof(txt)), 0);
	assert_string_equal(txt, "1234-5678");
	assert_int_equal(b32_encode((const uint8_t *)"\x52\xa6\xbb\x7b\xff",
	    5, 0, txt, sizeof(txt)), 0);
	assert_string_equal(txt, "AAKBPYZZ");
	/* people's spellings: case, O for 0, I and L for 1, dashes */
	assert_int_equal(b32_decode("i234-5678", 9, out, sizeof(out), &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "\x08\x86\x42\x98\xe8", 5);
	assert_int_equal(b32_decode("l234-5678", 9, out, sizeof(out), &n), 0);
	assert_memory_equal(out, "\x08\x86\x42\x98\xe8", 5);
	assert_int_equal(b32_decode("aakbpyzz", 8, out, sizeof(out), &n), 0);
	assert_memory_equal(out, "\x52\xa6\xbb\x7b\xff", 5);
	assert_int_equal(b32_decode("OOOOOOOO", 8, out, sizeof(out), &n), 0);
	assert_memory_equal(out, "\0\0\0\0\0", 5);
}

static void
test_every_symbol(void **state)
{
	static const char alpha[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	uint8_t out[8];
	char two[3];
	size_t n;
	int v;

	(void)state;
	/* "<sym>0" decodes to one byte whose top five bits are the value */
	for (v = 0; v < 32; v++) {
		two[0] = alpha[v];
		two[1] = '0';
		two[2] = 0;
		assert_int_equal(b32_decode(two, 2, out, sizeof(out), &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(out[0], v << 3);
		assert_int_equal(b32_encode(out, 1, 0, two, sizeof(two)), 0);
		assert_int_equal(two[0], alpha[v]);
	}
}

static void
test_refusals(void **state)
{
	uint8_t out[8];
	size_t n;

	(void)state;
	assert_int_equal(b32_decode("U0", 2, out, sizeof(out), &n), CE_FORMAT);
	assert_int_equal(b32_decode("A!", 2, out, sizeof(out), &n), CE_FORMAT);
	/* three symbols encode no byte count */
	assert_int_equal(b32_decode("AAA", 3, out, sizeof(out), &n), CE_FORMAT);
	/* padding bits must be zero: "01" would set them */
	assert_int_equal(b32_decode("01", 2, out, sizeof(out), &n), CE_FORMAT);
	assert_int_equal(b32_decode("ZZZZZZZZ", 8, out, 4, &n), CE_TOO_LONG);
	assert_int_equal(b32_encode(out, 5, 0, (char *)out, 8), CE_TOO_LONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_lengths),
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_every_symbol),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
