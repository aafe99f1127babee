/* buf: round trips, and refusal of every malformed input. */
#include <stdio.h>
#include "testutil.h"
#include "buf.h"
#include "err.h"

static void
test_roundtrip(void **state)
{
	struct buf *b = buf_new(1024);
	const uint8_t *p;
	size_t len;
	uint8_t u8;
	uint16_t u16, t;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	assert_non_null(b);
	assert_int_equal(buf_put_u8(b, 0xab), 0);
	assert_int_equal(buf_put_u16(b, 0xbeef), 0);
	assert_int_equal(buf_put_u32(b, 0xdeadbeef), 0);
	assert_int_equal(buf_put_u64(b, 0x0102030405060708ULL), 0);
	assert_int_equal(buf_put_string(b, "hello", 5), 0);
	assert_int_equal(buf_put_tlv(b, 7, "xyz", 3), 0);
	assert_int_equal(buf_put_tlv_u64(b, 9, 42), 0);
	/* big-endian on the wire */
	assert_memory_equal(buf_ptr(b), "\xab\xbe\xef\xde\xad\xbe\xef", 7);

	assert_int_equal(buf_get_u8(b, &u8), 0);
	assert_int_equal(u8, 0xab);
	assert_int_equal(buf_get_u16(b, &u16), 0);
	assert_int_equal(u16, 0xbeef);
	assert_int_equal(buf_get_u32(b, &u32), 0);
	assert_int_equal(u32, 0xdeadbeef);
	assert_int_equal(buf_get_u64(b, &u64), 0);
	assert_true(u64 == 0x0102030405060708ULL);
	assert_int_equal(buf_get_string(b, &p, &len, 16), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(p, "hello", 5);
	assert_int_equal(buf_get_tlv(b, &t, &p, &len), 0);
	assert_int_equal(t, 7);
	assert_int_equal(len, 3);
	assert_int_equal(buf_get_tlv_u64(b, 9, &u64), 0);
	assert_true(u64 == 42);
	assert_int_equal(buf_end(b), 0);
	buf_free(b);
}

static void
test_max_enforced(void **state)
{
	struct buf *b = buf_new(8);
	uint8_t big[9] = { 0 };

	(void)state;
	assert_int_equal(buf_put(b, big, 8), 0);
	assert_int_equal(buf_put_u8(b, 1), CE_TOO_LONG);
	assert_int_equal(buf_len(b), 8);
	buf_free(b);
	b = buf_new(8);
	assert_int_equal(buf_put(b, big, 9), CE_TOO_LONG);
	assert_int_equal(buf_len(b), 0);
	buf_free(b);
}

static void
test_truncated(void **state)
{
	static const uint8_t three[] = { 1, 2, 3 };
	struct buf *b = buf_from(three, sizeof(three));
	uint32_t u32;
	uint64_t u64;

	(void)state;
	assert_int_equal(buf_get_u32(b, &u32), CE_TRUNCATED);
	assert_int_equal(buf_get_u64(b, &u64), CE_TRUNCATED);
	/* a failed read consumes nothing */
	assert_int_equal(buf_len(b), 3);
	buf_free(b);
}

static void
test_string_length_checks(void **state)
{
	/* claims 100 bytes, holds 2 */
	static const uint8_t lie[] = { 0, 0, 0, 100, 'a', 'b' };
	/* claims 4 GiB */
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 'a' };
	static const uint8_t ok[] = { 0, 0, 0, 2, 'a', 'b' };
	struct buf *b;
	const uint8_t *p;
	size_t len;

	(void)state;
	b = buf_from(lie, sizeof(lie));
	assert_int_equal(buf_get_string(b, &p, &len, 1000), CE_TRUNCATED);
	assert_int_equal(buf_len(b), sizeof(lie));
	buf_free(b);
	b = buf_from(huge, sizeof(huge));
	assert_int_equal(buf_get_string(b, &p, &len, 1000), CE_TOO_LONG);
	buf_free(b);
	b = buf_from(ok, sizeof(ok));
	assert_int_equal(buf_get_string(b, &p, &len, 1), CE_TOO_LONG);
	assert_int_equal(buf_get_string(b, &p, &len, 2), 0);
	buf_free(b);
}

static void
test_tlv_malformed(void **state)
{
	static const uint8_t shorthdr[] = { 0, 1, 0, 0 };
	static const uint8_t shortval[] = { 0, 1, 0, 0, 0, 5, 'a' };
	static const uint8_t wronglen[] = { 0, 9, 0, 0, 0, 2, 0, 1 };
	static const uint8_t trailing[] = { 0, 1, 0, 0, 0, 1, 'a', 'x' };
	struct buf *b;
	const uint8_t *p;
	size_t len;
	uint16_t t;
	uint64_t v;

	(void)state;
	b = buf_from(shorthdr, sizeof(shorthdr));
	assert_int_equal(buf_get_tlv(b, &t, &p, &len), CE_TRUNCATED);
	buf_free(b);
	b = buf_from(shortval, sizeof(shortval));
	assert_int_equal(buf_get_tlv(b, &t, &p, &len), CE_TRUNCATED);
	assert_int_equal(buf_len(b), sizeof(shortval));
	buf_free(b);
	b = buf_from(wronglen, sizeof(wronglen));
	assert_int_equal(buf_get_tlv_u64(b, 9, &v), CE_FORMAT);
	buf_free(b);
	b = buf_from(wronglen, sizeof(wronglen));
	assert_int_equal(buf_get_tlv_expect(b, 8, &p, &len), CE_FORMAT);
	buf_free(b);
	b = buf_from(trailing, sizeof(trailing));
	assert_int_equal(buf_get_tlv(b, &t, &p, &len), 0);
	assert_int_equal(buf_end(b), CE_TRAILING);
	buf_free(b);
}

static void
test_grows_and_compacts(void **state)
{
	struct buf *b = buf_new(4096);
	uint8_t x[100];
	int i;

	(void)state;
	memset(x, 0x5a, sizeof(x));
	for (i = 0; i < 400; i++) {
		assert_int_equal(buf_put(b, x, 10), 0);
		assert_int_equal(buf_get(b, x, 10), 0);
	}
	assert_int_equal(buf_len(b), 0);
	buf_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_max_enforced),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_string_length_checks),
		cmocka_unit_test(test_tlv_malformed),
		cmocka_unit_test(test_grows_and_compacts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
