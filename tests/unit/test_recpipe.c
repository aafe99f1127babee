/* recpipe: every record reaches the consumer once, in order, across many
 * batches; a consumer's failure and its detail reach the producer; a pipe
 * stopped half way joins its thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "crypto.h"
#include "err.h"
#include "recpipe.h"

struct seen {
	uint64_t n;        /* records consumed */
	uint64_t sum;      /* of their first bytes and lengths */
	int out_of_order;
	uint64_t fail_at;  /* fail at this record (0: never) */
};

static int
take(void *arg, uint8_t kind, const void *p, size_t n)
{
	struct seen *s = arg;
	const uint8_t *b = p;
	uint64_t want = s->n + 1;

	if (s->fail_at != 0 && want == s->fail_at) {
		err_set_detail("record %llu refused", (unsigned long long)want);
		return CE_FULL;
	}
	/* record i has kind i % 250 + 1 and starts with the 8 bytes of i */
	if (kind != want % 250 + 1 || n < 8 || memcmp(b, &want, 8) != 0)
		s->out_of_order = 1;
	s->n = want;
	s->sum += n;
	return 0;
}

/* Record i: i in its first 8 bytes, i % 700 (then 1 MiB for i = 777) long. */
static size_t
make(uint64_t i, uint8_t *buf)
{
	size_t n = i == 777 ? RECPIPE_RECORD_MAX : 8 + i % 700;

	memset(buf, (int)(i & 0xff), n);
	memcpy(buf, &i, 8);
	return n;
}

static void
test_order_across_batches(void **state)
{
	static uint8_t buf[RECPIPE_RECORD_MAX + 1];
	struct seen s = { 0 };
	struct recpipe *p;
	uint64_t i, sum = 0;
	size_t n;

	(void)state;
	assert_int_equal(recpipe_new(take, &s, &p), 0);
	for (i = 1; i <= 20000; i++) {
		n = make(i, buf);
		sum += n;
		assert_int_equal(recpipe_emit(p, (uint8_t)(i % 250 + 1), buf, n),
		    0);
	}
	assert_int_equal(recpipe_finish(p), 0);
	recpipe_free(p);
	assert_int_equal(s.n, 20000);
	assert_int_equal(s.sum, sum);
	assert_false(s.out_of_order);
	/* too long for any record */
	assert_int_equal(recpipe_new(take, &s, &p), 0);
	assert_int_equal(recpipe_emit(p, 1, buf, RECPIPE_RECORD_MAX + 1),
	    CE_TOO_LONG);
	recpipe_free(p);
}

static void
test_consumer_error_reaches_producer(void **state)
{
	static uint8_t buf[RECPIPE_RECORD_MAX];
	struct seen s = { .fail_at = 3000 };
	struct recpipe *p;
	uint64_t i;
	int r = 0;

	(void)state;
	assert_int_equal(recpipe_new(take, &s, &p), 0);
	for (i = 1; i <= 50000 && r == 0; i++)
		r = recpipe_emit(p, (uint8_t)(i % 250 + 1), buf, make(i, buf));
	if (r == 0)
		r = recpipe_finish(p);
	assert_int_equal(r, CE_FULL);
	assert_string_equal(err_detail(), "record 3000 refused");
	assert_int_equal(s.n, 2999);
	/* the producer stopped within two batches of the failure */
	assert_true(i < 3000 + 2 * 1024);
	recpipe_free(p);
}

static void
test_stopped_half_way(void **state)
{
	static uint8_t buf[RECPIPE_RECORD_MAX + 1];
	struct seen s = { 0 };
	struct recpipe *p;
	uint64_t i;

	(void)state;
	assert_int_equal(recpipe_new(take, &s, &p), 0);
	for (i = 1; i <= 5000; i++)
		assert_int_equal(recpipe_emit(p, (uint8_t)(i % 250 + 1), buf,
		    make(i, buf)), 0);
	recpipe_free(p); /* no finish: the producer failed elsewhere */
	assert_true(s.n < 5000);
	assert_false(s.out_of_order);
	recpipe_free(NULL);
}

/*
 * A hashing pipe hashes exactly the bytes written, in order, whatever the
 * pieces' sizes (one piece larger than a record is cut, not refused).
 */
static void
test_hash_of_a_stream(void **state)
{
	size_t len = 3 * RECPIPE_RECORD_MAX + 12345, off, n, i;
	size_t sizes[] = { 1, 4096, 65536, RECPIPE_RECORD_MAX + 7, 333 };
	uint8_t *b = malloc(len), want[CC_HASH_LEN], got[CC_HASH_LEN];
	struct cc_hash *h;
	struct recpipe *p;

	(void)state;
	assert_non_null(b);
	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 131 + (i >> 9));
	assert_int_equal(cc_sha384(b, len, want), 0);
	assert_int_equal(cc_hash_new(&h), 0);
	assert_int_equal(recpipe_hash_new(h, &p), 0);
	for (off = 0, i = 0; off < len; off += n, i++) {
		n = sizes[i % 5] < len - off ? sizes[i % 5] : len - off;
		assert_int_equal(recpipe_write(p, b + off, n), 0);
	}
	assert_int_equal(recpipe_finish(p), 0);
	assert_int_equal(cc_hash_peek(h, got), 0);
	assert_memory_equal(got, want, CC_HASH_LEN);
	recpipe_free(p);
	cc_hash_free(h);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_across_batches),
		cmocka_unit_test(test_consumer_error_reaches_producer),
		cmocka_unit_test(test_stopped_half_way),
		cmocka_unit_test(test_hash_of_a_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
