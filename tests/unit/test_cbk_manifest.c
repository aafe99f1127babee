/*
 * cbk_manifest and utc: the manifest round-trips, and every way a manifest
 * can be wrong is refused with the right code.
 */
#include <stdio.h>
#include <stdlib.h>

#include "testutil.h"
#include "buf.h"
#include "cbk_manifest.h"
#include "crypto.h"
#include "err.h"
#include "utc.h"

static void
sample(struct cbk_manifest *m)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	strcpy(m->label, "payments");
	strcpy(m->serial, "7001234");
	strcpy(m->tool_version, "coffer 0.1.0");
	m->format_version = 1; /* the first format; 2 in test_cbk_manifest */
	m->partition_version = 1;
	m->object_count = 2;
	m->plain_bytes = 64;
	m->created = 1735787045;
	m->header_size = 13;
	m->records_size = 14;
	for (i = 0; i < CC_HASH_LEN; i++) {
		m->header_sha384[i] = (uint8_t)i;
		m->records_sha384[i] = (uint8_t)(0xff - i);
	}
}

/* The sample manifest as text (caller frees). */
static char *
sample_text(void)
{
	struct cbk_manifest m;
	struct buf *b;
	char *s;

	sample(&m);
	assert_int_equal(cbk_manifest_encode(&m, &b), 0);
	s = strndup((const char *)buf_ptr(b), buf_len(b));
	buf_free(b);
	return s;
}

static int
parse_text(const char *s, struct cbk_manifest *m)
{
	struct buf *b = buf_from(s, strlen(s));
	int r = cbk_manifest_parse(b, m);

	buf_free(b);
	return r;
}

static void
test_roundtrip(void **state)
{
	struct cbk_manifest a, b;
	char *s = sample_text();

	(void)state;
	sample(&a);
	assert_int_equal(parse_text(s, &b), 0);
	assert_int_equal(b.format_version, 1);
	assert_string_equal(b.label, a.label);
	assert_string_equal(b.serial, a.serial);
	assert_string_equal(b.tool_version, a.tool_version);
	assert_int_equal(b.partition_version, 1);
	assert_true(b.object_count == 2 && b.plain_bytes == 64);
	assert_true(b.created == a.created);
	assert_true(b.header_size == 13 && b.records_size == 14);
	assert_memory_equal(b.header_sha384, a.header_sha384, CC_HASH_LEN);
	assert_memory_equal(b.records_sha384, a.records_sha384, CC_HASH_LEN);
	assert_non_null(strstr(s, "\"created\": \"2025-01-02T03:04:05Z\""));
	assert_non_null(strstr(s, "\"partition_version\": \"V1\""));
	assert_int_equal(s[strlen(s) - 1], '\n');
	free(s);
}

/* A label in UTF-8 is kept; the text is ASCII (\u escapes). */
static void
test_utf8_label(void **state)
{
	struct cbk_manifest a, b;
	struct buf *enc;
	size_t i;

	(void)state;
	sample(&a);
	strcpy(a.label, "caf\xc3\xa9 \xe2\x82\xac");
	assert_int_equal(cbk_manifest_encode(&a, &enc), 0);
	for (i = 0; i < buf_len(enc); i++)
		assert_true(buf_ptr(enc)[i] < 0x80);
	assert_int_equal(cbk_manifest_parse(enc, &b), 0);
	assert_string_equal(b.label, a.label);
	buf_free(enc);
}

/* Replaces the first `from` in the sample text by `to`, then parses. */
static int
mutated(const char *from, const char *to)
{
	struct cbk_manifest m;
	char *s = sample_text(), *at, *t;
	int r;

	at = strstr(s, from);
	if (at == NULL)
		fail_msg("'%s' not in the sample", from);
	t = malloc(strlen(s) + strlen(to) + 1);
	memcpy(t, s, (size_t)(at - s));
	strcpy(t + (at - s), to);
	strcat(t, at + strlen(from));
	r = parse_text(t, &m);
	free(t);
	free(s);
	return r;
}

static void
test_rejects(void **state)
{
	static const struct {
		const char *from, *to;
		int want;
	} cases[] = {
		{ "\"format_version\": 1", "\"format_version\": 4", CE_VERSION },
		/* A version 1 manifest claiming 2 lacks version 2's members. */
		{ "\"format_version\": 1", "\"format_version\": 2", CE_FORMAT },
		{ "\"format_version\": 1", "\"format_version\": 0", CE_FORMAT },
		{ "\"format_version\": 1", "\"format_version\": \"1\"", CE_FORMAT },
		{ "\"format_version\": 1", "\"format_version\": 1.0", CE_FORMAT },
		{ "coffer-backup-partition", "coffer-backup-partitiox", CE_FORMAT },
		{ "2025-01-02T03:04:05Z", "2025-02-30T03:04:05Z", CE_FORMAT },
		{ "2025-01-02T03:04:05Z", "2025-01-02 03:04:05Z", CE_FORMAT },
		{ "2025-01-02T03:04:05Z", "2025-01-02T03:04:05", CE_FORMAT },
		{ "2025-01-02T03:04:05Z", "2025-01-02T03:04:05Z ", CE_FORMAT },
		{ "2025-01-02T03:04:05Z", "1969-12-31T23:59:59Z", CE_FORMAT },
		{ "\"V1\"", "\"V2\"", CE_FORMAT },
		{ "\"V1\"", "1", CE_FORMAT },
		{ "\"object_count\": 2", "\"object_count\": -2", CE_FORMAT },
		{ "\"object_count\": 2", "\"object_count\": 2.0", CE_FORMAT },
		{ "\"object_count\": 2", "\"object_count\": 2e0", CE_FORMAT },
		{ "\"object_count\": 2", "\"object_count\": 99999999999999999999",
		    CE_FORMAT },
		{ "\"object_count\": 2", "\"object_count\": null", CE_FORMAT },
		{ "\"payments\"", "\"\"", CE_FORMAT },
		{ "\"payments\"", "\"pay\\nments\"", CE_FORMAT },
		{ "\"payments\"", "\"pay\\u0000ments\"", CE_FORMAT },
		{ "\"payments\"", "\"pay\\u007fments\"", CE_FORMAT },
		{ "\"payments\"", "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxx\"", CE_FORMAT },       /* 65 bytes */
		{ "\"payments\"", "\"\\ud800\"", CE_FORMAT },      /* lone surrogate */
		{ "\"7001234\"", "7001234", CE_FORMAT },
		{ "\"coffer 0.1.0\"", "\"\"", CE_FORMAT },
		{ "\"sha384\": \"00", "\"sha384\": \"0", CE_FORMAT },
		{ "\"sha384\": \"000102", "\"sha384\": \"000A02", CE_FORMAT },
		{ "\"sha384\": \"000102", "\"sha384\": \"00g102", CE_FORMAT },
		{ "\"sha384\": \"000102", "\"sha384\": \"00010203", CE_FORMAT },
		{ "\"name\": \"header.bin\"", "\"name\": \"records.bin\"", CE_FORMAT },
		{ "\"name\": \"records.bin\"", "\"name\": \"records.bim\"", CE_FORMAT },
		{ "\"size\": 13", "\"size\": -13", CE_FORMAT },
		{ "\"plain_bytes\": 64,", "\"plain_bytes\": 64, \"extra\": 1,",
		    CE_FORMAT },
		{ "\"plain_bytes\": 64,", "\"plain_bytes\": 64, \"plain_bytes\": 64,",
		    CE_FORMAT },
		{ "\"plain_bytes\": 64,", "", CE_FORMAT },
		{ "\"serial\": \"7001234\",", "\"serial\": \"7001234\", \"x\": 1,",
		    CE_FORMAT },
		{ "\"size\": 13,", "\"size\": 13, \"mode\": 0,", CE_FORMAT },
		{ "{", "[", CE_FORMAT },
		{ "{", "{{", CE_FORMAT },
		{ "\n}\n", "\n}\nx", CE_FORMAT },
		{ "\n}\n", "\n}{}", CE_FORMAT },
		{ "\"entries\": [", "\"entries\": [{}, ", CE_FORMAT },
	};
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err_set_detail(NULL);
		r = mutated(cases[i].from, cases[i].to);
		if (r != cases[i].want)
			fail_msg("case %zu ('%s' -> '%s'): got %d, want %d", i,
			    cases[i].from, cases[i].to, r, cases[i].want);
		/* Every refusal says what was wrong. */
		assert_true(strlen(err_detail()) > 10);
	}
}

static void
test_limits(void **state)
{
	struct cbk_manifest m;
	char *s = sample_text(), *big, *deep;
	size_t n = CBK_MANIFEST_MAX + 1, i;

	(void)state;
	/* Whitespace is free, but not past the maximum. */
	big = malloc(n + strlen(s) + 1);
	memset(big, ' ', n);
	strcpy(big + n, s);
	assert_int_equal(parse_text(big + n - 100, &m), 0);
	assert_int_equal(parse_text(big, &m), CE_TOO_LONG);
	free(big);
	/* Deep nesting is refused, not recursed into without end. */
	deep = malloc(2 * 5000 + 1);
	for (i = 0; i < 5000; i++) {
		deep[i] = '[';
		deep[5000 + i] = ']';
	}
	deep[10000] = '\0';
	assert_int_equal(parse_text(deep, &m), CE_FORMAT);
	free(deep);
	assert_int_equal(parse_text("", &m), CE_FORMAT);
	assert_int_equal(parse_text("null", &m), CE_FORMAT);
	free(s);
}

static void
test_check(void **state)
{
	struct cbk_manifest m;
	struct buf *b = NULL;

	(void)state;
	sample(&m);
	assert_int_equal(cbk_manifest_check(&m), 0);
	m.partition_version = 2;
	assert_int_equal(cbk_manifest_encode(&m, &b), CE_INVALID);
	sample(&m);
	m.serial[0] = '\0';
	assert_int_equal(cbk_manifest_check(&m), CE_INVALID);
	sample(&m);
	m.created = -1;
	assert_int_equal(cbk_manifest_check(&m), CE_INVALID);
	sample(&m);
	m.object_count = UINT64_MAX;
	assert_int_equal(cbk_manifest_check(&m), CE_INVALID);
	assert_null(b);
}

static void
test_utc(void **state)
{
	char iso[UTC_ISO_LEN + 1], st[UTC_STAMP_LEN + 1];
	int64_t t;

	(void)state;
	assert_int_equal(utc_iso(0, iso), 0);
	assert_string_equal(iso, "1970-01-01T00:00:00Z");
	assert_int_equal(utc_stamp(UTC_MAX, st), 0);
	assert_string_equal(st, "99991231T235959Z");
	assert_int_equal(utc_iso(-1, iso), CE_INVALID);
	assert_int_equal(utc_stamp(UTC_MAX + 1, st), CE_INVALID);
	assert_int_equal(utc_parse_iso("2024-02-29T12:00:00Z", &t), 0);
	assert_true(t == 1709208000);
	assert_int_equal(utc_parse_stamp("20240229T120000Z", &t), 0);
	assert_true(t == 1709208000);
	assert_int_equal(utc_parse_iso("2023-02-29T12:00:00Z", &t), CE_FORMAT);
	assert_int_equal(utc_parse_iso("2023-04-31T12:00:00Z", &t), CE_FORMAT);
	assert_int_equal(utc_parse_iso("2023-13-01T12:00:00Z", &t), CE_FORMAT);
	assert_int_equal(utc_parse_iso("2023-01-01T24:00:00Z", &t), CE_FORMAT);
	assert_int_equal(utc_parse_iso("2023-01-01T23:60:00Z", &t), CE_FORMAT);
	assert_int_equal(utc_parse_iso("2023-01-01T23:59:60Z", &t), CE_FORMAT);
	assert_int_equal(utc_parse_iso("2023-01-01T23:59:5Z", &t), CE_FORMAT);
	assert_int_equal(utc_parse_iso("+023-01-01T23:59:59Z", &t), CE_FORMAT);
	assert_int_equal(utc_parse_stamp("20230101T2359599", &t), CE_FORMAT);
	assert_int_equal(utc_parse_stamp("2023010", &t), CE_FORMAT);
}

/*
 * The associated data (formats.md 7.8): the documented vector, every
 * content field changes it, header.bin's own hash does not.
 */
static void
test_ad(void **state)
{
	static const char want[] = "c9705e347cf887b9464a0c28df2f7077420cf351"
	    "86a769f647243d4744d6fe7d136a91d5e5ac4c01444c7f2796a14e78";
	struct cbk_manifest m, x;
	uint8_t ad[CC_HASH_LEN], ad2[CC_HASH_LEN], w[CC_HASH_LEN];

	(void)state;
	sample(&m);
	assert_int_equal(cc_sha384("RECORDS-STREAM", 14, m.records_sha384), 0);
	assert_int_equal(cbk_manifest_ad(&m, ad), 0);
	assert_int_equal(unhex(want, w, sizeof(w)), CC_HASH_LEN);
	assert_memory_equal(ad, w, CC_HASH_LEN);

	x = m;
	x.header_sha384[0] ^= 1;
	x.header_size++;
	assert_int_equal(cbk_manifest_ad(&x, ad2), 0);
	assert_memory_equal(ad, ad2, CC_HASH_LEN);
#define CHANGES(stmt) do { x = m; stmt; \
	assert_int_equal(cbk_manifest_ad(&x, ad2), 0); \
	assert_memory_not_equal(ad, ad2, CC_HASH_LEN); } while (0)
	CHANGES(x.label[0] = 'P');
	CHANGES(x.serial[0] = '8');
	CHANGES(x.tool_version[0] = 'C');
	CHANGES(x.created++);
	CHANGES(x.partition_version = 0);
	CHANGES(x.object_count++);
	CHANGES(x.plain_bytes++);
	CHANGES(x.records_size++);
	CHANGES(x.records_sha384[47] ^= 1);
	CHANGES(x.format_version++);
	/* Length prefixes: moving a byte between label and serial shows. */
	CHANGES(strcpy(x.label, "payments7"); strcpy(x.serial, "001234"));
#undef CHANGES
}

/* The sample as version 2: source HSM, profile, policies, two domains. */
static void
sample_v2(struct cbk_manifest *m)
{
	size_t i;

	sample(m);
	m->format_version = 2;
	strcpy(m->hsm_serial, "1000000001");
	strcpy(m->hsm_label, "hsm-a");
	strcpy(m->kdf, "interactive");
	m->policies.allow_cloning = 1;
	m->policies.storage_size = 1048576;
	m->policies.lockout = 10;
	m->policies.activation = 0;
	for (i = 0; i < CBK_SALT_LEN; i++)
		m->domain_salt[i] = (uint8_t)(0xa0 + i);
	m->ndomains = 2;
	strcpy(m->domains[0].label, "default");
	strcpy(m->domains[0].type, "password");
	strcpy(m->domains[0].kdf, "interactive");
	strcpy(m->domains[1].label, "dr");
	strcpy(m->domains[1].type, "ped");
	strcpy(m->domains[1].kdf, "interactive");
	for (i = 0; i < CBK_CHECK_LEN; i++) {
		m->domains[0].check[i] = (uint8_t)i;
		m->domains[1].check[i] = (uint8_t)(0x10 + i);
	}
}

/* Version 2 round-trips member for member and binds every new member. */
static void
test_v2(void **state)
{
	static const char want[] = "a418f788a51a80f4eb6f6c8595f9e101a87e8b36"
	    "c3b950375a8f5b67faefd39b1b76f8e873bcb7b683c59554ebc6e268";
	struct cbk_manifest m, b, x;
	uint8_t ad[CC_HASH_LEN], ad2[CC_HASH_LEN], w[CC_HASH_LEN];
	struct buf *t;
	char *s;

	(void)state;
	sample_v2(&m);
	assert_int_equal(cc_sha384("RECORDS-STREAM", 14, m.records_sha384), 0);
	assert_int_equal(cbk_manifest_encode(&m, &t), 0);
	s = strndup((const char *)buf_ptr(t), buf_len(t));
	assert_int_equal(cbk_manifest_parse(t, &b), 0);
	buf_free(t);
	assert_int_equal(b.format_version, 2);
	assert_string_equal(b.hsm_serial, "1000000001");
	assert_string_equal(b.hsm_label, "hsm-a");
	assert_string_equal(b.kdf, "interactive");
	assert_true(b.policies.allow_cloning == 1 &&
	    b.policies.storage_size == 1048576 && b.policies.lockout == 10 &&
	    b.policies.activation == 0);
	assert_memory_equal(b.domain_salt, m.domain_salt, CBK_SALT_LEN);
	assert_int_equal(b.ndomains, 2);
	assert_string_equal(b.domains[1].label, "dr");
	assert_string_equal(b.domains[1].type, "ped");
	assert_memory_equal(b.domains[1].check, m.domains[1].check,
	    CBK_CHECK_LEN);
	assert_non_null(strstr(s, "\"hsm_serial\": \"1000000001\""));
	assert_non_null(strstr(s, "\"allow_cloning\": true"));
	/* A version 2 manifest without a version 2 member is refused. */
	{
		char *cut = strstr(s, "  \"domain_salt\"");
		char *eol = strchr(cut, '\n');
		struct cbk_manifest y;

		memmove(cut, eol + 1, strlen(eol + 1) + 1);
		assert_int_equal(parse_text(s, &y), CE_FORMAT);
	}
	free(s);

	/* The test vector of docs/formats.md 7.8 (version 2). */
	assert_int_equal(cbk_manifest_ad(&m, ad), 0);
	assert_int_equal(unhex(want, w, sizeof(w)), CC_HASH_LEN);
	assert_memory_equal(ad, w, CC_HASH_LEN);
#define CHANGES(stmt) do { x = m; stmt; \
	assert_int_equal(cbk_manifest_ad(&x, ad2), 0); \
	assert_memory_not_equal(ad, ad2, CC_HASH_LEN); } while (0)
	CHANGES(x.hsm_serial[0] = '2');
	CHANGES(x.hsm_label[0] = 'H');
	CHANGES(strcpy(x.kdf, "moderate"));
	CHANGES(x.policies.allow_cloning = 0);
	CHANGES(x.policies.storage_size++);
	CHANGES(x.policies.lockout = 3);
	CHANGES(x.policies.activation = 1);
	CHANGES(x.domain_salt[3] ^= 1);
	CHANGES(x.ndomains = 1);
	CHANGES(x.domains[1].label[0] = 'D');
	CHANGES(strcpy(x.domains[0].type, "ped"));
	CHANGES(x.domains[0].check[15] ^= 1);
	CHANGES(x.format_version = 1);
#undef CHANGES
	/* check: version 2 needs its members. */
	x = m;
	x.ndomains = 0;
	assert_int_equal(cbk_manifest_check(&x), CE_INVALID);
	x = m;
	x.hsm_serial[0] = '\0';
	assert_int_equal(cbk_manifest_check(&x), CE_INVALID);
}

/* Version 3: a form 2 password domain carries its salt; bound and kept. */
static void
test_v3(void **state)
{
	static const char want[] = "3dc3013672343ebc8783511844191e75ddb0690f"
	    "8f06f4ea73ce92ca68ca8e9b482b68b7977d11904412ee5fa815dbee";
	struct cbk_manifest m, b, x;
	uint8_t ad[CC_HASH_LEN], ad2[CC_HASH_LEN], w[CC_HASH_LEN];
	struct buf *t;
	size_t i;
	char *s;

	(void)state;
	sample_v2(&m);
	m.format_version = 3;
	m.domains[0].salted = 1;
	for (i = 0; i < CBK_SALT_LEN; i++)
		m.domains[0].salt[i] = (uint8_t)(0xb0 + i);
	assert_int_equal(cc_sha384("RECORDS-STREAM", 14, m.records_sha384), 0);
	assert_int_equal(cbk_manifest_encode(&m, &t), 0);
	s = strndup((const char *)buf_ptr(t), buf_len(t));
	assert_int_equal(cbk_manifest_parse(t, &b), 0);
	buf_free(t);
	assert_int_equal(b.format_version, 3);
	assert_int_equal(b.domains[0].salted, 1);
	assert_memory_equal(b.domains[0].salt, m.domains[0].salt, CBK_SALT_LEN);
	assert_int_equal(b.domains[1].salted, 0);
	assert_non_null(strstr(s, "\"salt\": \"b0b1b2"));
	free(s);
	/* docs/formats.md 7.8, computed independently in Python */
	assert_int_equal(cbk_manifest_ad(&m, ad), 0);
	assert_int_equal(unhex(want, w, sizeof(w)), CC_HASH_LEN);
	assert_memory_equal(ad, w, CC_HASH_LEN);
#define CHANGES(stmt) do { x = m; stmt; \
	assert_int_equal(cbk_manifest_ad(&x, ad2), 0); \
	assert_memory_not_equal(ad, ad2, CC_HASH_LEN); } while (0)
	CHANGES(x.domains[0].salt[7] ^= 1);
	CHANGES(x.domains[0].salted = 0);
	CHANGES(x.domains[1].salted = 1);
	CHANGES(x.format_version = 2);
#undef CHANGES
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_v2),
		cmocka_unit_test(test_v3),
		cmocka_unit_test(test_utf8_label),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_utc),
		cmocka_unit_test(test_ad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
