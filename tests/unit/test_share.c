/* share: sets recombine; every wrong input is a named error; a corrupt
 * share among extras is named; file and text encodings round trip and
 * refuse damage. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "kdf.h"
#include "secret.h"
#include "share.h"
#include "share_int.h"

static struct secret *
random_secret(size_t len)
{
	struct secret *s = secret_new(len);

	assert_non_null(s);
	cc_random(secret_ptr(s), len);
	return s;
}

static void
expect_combine(struct share **shs, size_t k, const struct secret *want)
{
	struct share_report rep;
	struct secret *got = NULL;

	assert_int_equal(share_combine(shs, k, &got, &rep), 0);
	assert_true(secret_equal(got, want));
	assert_int_equal(rep.bad, 0);
	secret_free(got);
}

static void
test_subsets(void **state)
{
	static const unsigned mn[][2] = { { 2, 3 }, { 3, 5 }, { 16, 16 },
	    { 1, 1 }, { 1, 4 } };
	struct share *set[SHARE_MAX_N], *sub[SHARE_MAX_N];
	struct secret *s;
	unsigned t, mask, i, k, m, n, tried;

	(void)state;
	for (t = 0; t < sizeof(mn) / sizeof(mn[0]); t++) {
		m = mn[t][0];
		n = mn[t][1];
		s = random_secret(32);
		assert_int_equal(share_set_new(s, m, n, set), 0);
		tried = 0;
		for (mask = 0; mask < (1u << n); mask++) {
			if ((unsigned)__builtin_popcount(mask) < m)
				continue;
			for (i = 0, k = 0; i < n; i++)
				if (mask & (1u << i))
					sub[k++] = set[i];
			expect_combine(sub, k, s);
			tried++;
		}
		assert_true(tried >= 1);
		share_set_free(set, n);
		secret_free(s);
	}
}

static void
test_metadata(void **state)
{
	struct share *set[SHARE_MAX_N];
	struct share_info a, b;
	struct secret *s = random_secret(48);
	char id[SHARE_SET_ID_STR];
	unsigned i;

	(void)state;
	assert_int_equal(share_set_new(s, 3, 7, set), 0);
	for (i = 0; i < 7; i++) {
		share_get_info(set[i], &a);
		share_get_info(set[0], &b);
		assert_int_equal(a.m, 3);
		assert_int_equal(a.n, 7);
		assert_int_equal(a.index, i + 1);
		assert_int_equal(a.secret_len, 48);
		assert_int_not_equal(a.x, 0);
		assert_memory_equal(a.set_id, b.set_id, SHARE_SET_ID_LEN);
	}
	share_set_id_str(a.set_id, id);
	assert_int_equal(strlen(id), 19);
	assert_int_equal(id[4], '-');
	share_set_free(set, 7);
	secret_free(s);
}

static void
test_invalid_params(void **state)
{
	struct share *set[SHARE_MAX_N];
	struct secret *s = random_secret(SHARE_SECRET_MAX + 1), *e;

	(void)state;
	assert_int_equal(share_set_new(s, 2, 3, set), CE_INVALID);
	secret_truncate(s, 8);
	assert_int_equal(share_set_new(s, 0, 3, set), CE_INVALID);
	assert_int_equal(share_set_new(s, 4, 3, set), CE_INVALID);
	assert_int_equal(share_set_new(s, 2, 17, set), CE_INVALID);
	assert_non_null(e = secret_new(0));
	assert_int_equal(share_set_new(e, 1, 1, set), CE_INVALID);
	secret_free(e);
	secret_free(s);
}

static void
test_too_few(void **state)
{
	struct share *set[SHARE_MAX_N];
	struct share_report rep;
	struct secret *s = random_secret(32), *got = NULL;

	(void)state;
	assert_int_equal(share_set_new(s, 3, 5, set), 0);
	assert_int_equal(share_combine(set, 2, &got, &rep), CE_SHARE_TOO_FEW);
	assert_int_equal(rep.m, 3);
	assert_int_equal(share_combine(set + 3, 1, &got, &rep), CE_SHARE_TOO_FEW);
	assert_int_equal(share_combine(set, 0, &got, &rep), CE_SHARE_TOO_FEW);
	assert_null(got);
	share_set_free(set, 5);
	secret_free(s);
}

static void
test_mixed(void **state)
{
	struct share *a[SHARE_MAX_N], *b[SHARE_MAX_N], *mix[3];
	struct share_report rep;
	struct secret *s = random_secret(32), *got = NULL;

	(void)state;
	/* two sets of the same secret are still two sets */
	assert_int_equal(share_set_new(s, 2, 3, a), 0);
	assert_int_equal(share_set_new(s, 2, 3, b), 0);
	mix[0] = a[0];
	mix[1] = b[1];
	assert_int_equal(share_combine(mix, 2, &got, &rep), CE_SHARE_MIXED);
	mix[1] = a[1];
	mix[2] = b[2];
	assert_int_equal(share_combine(mix, 3, &got, &rep), CE_SHARE_MIXED);
	assert_null(got);
	share_set_free(a, 3);
	share_set_free(b, 3);
	secret_free(s);
}

static void
test_dup(void **state)
{
	struct share *set[SHARE_MAX_N], *in[3], *copy;
	struct share_report rep;
	struct secret *s = random_secret(32), *got = NULL;

	(void)state;
	assert_int_equal(share_set_new(s, 2, 3, set), 0);
	in[0] = set[1];
	in[1] = set[1];
	assert_int_equal(share_combine(in, 2, &got, &rep), CE_SHARE_DUP);
	/* a duplicate made with share_dup is the same share */
	assert_int_equal(share_dup(set[2], &copy), 0);
	in[0] = set[2];
	in[1] = set[0];
	in[2] = copy;
	assert_int_equal(share_combine(in, 3, &got, &rep), CE_SHARE_DUP);
	/* and interchangeable with the original */
	in[0] = copy;
	in[1] = set[0];
	expect_combine(in, 2, s);
	assert_null(got);
	share_free(copy);
	share_set_free(set, 3);
	secret_free(s);
}

static void
test_corrupt_exactly_m(void **state)
{
	struct share *set[SHARE_MAX_N];
	struct share_report rep;
	struct secret *s = random_secret(32), *got = NULL;

	(void)state;
	assert_int_equal(share_set_new(s, 2, 3, set), 0);
	secret_ptr(set[1]->y)[5] ^= 0x40;
	assert_int_equal(share_combine(set, 2, &got, &rep), CE_SHARE_CORRUPT);
	secret_ptr(set[1]->y)[5] ^= 0x40;
	/* a forged x gives a wrong polynomial: caught by the check value */
	set[0]->x ^= 1;
	if (set[0]->x == 0 || set[0]->x == set[1]->x)
		set[0]->x ^= 3;
	assert_int_equal(share_combine(set, 2, &got, &rep), CE_SHARE_CORRUPT);
	assert_null(got);
	share_set_free(set, 3);
	secret_free(s);
}

static void
test_corrupt_extra_named(void **state)
{
	struct share *set[SHARE_MAX_N];
	struct share_report rep;
	struct secret *s = random_secret(40), *got;
	unsigned bad;

	(void)state;
	/* each position in turn, payload damaged */
	for (bad = 0; bad < 5; bad++) {
		assert_int_equal(share_set_new(s, 3, 5, set), 0);
		secret_ptr(set[bad]->y)[bad * 3] ^= 0x01;
		got = NULL;
		assert_int_equal(share_combine(set, 5, &got, &rep), 0);
		assert_true(secret_equal(got, s));
		assert_int_equal(rep.bad, 1u << bad);
		assert_int_equal(rep.used & rep.bad, 0);
		assert_int_equal(__builtin_popcount(rep.used), 3);
		assert_non_null(strstr(err_detail(), "corrupt"));
		secret_free(got);
		share_set_free(set, 5);
	}
	/* metadata damaged (M forged): outvoted and named */
	assert_int_equal(share_set_new(s, 2, 4, set), 0);
	set[2]->m = 1;
	assert_int_equal(share_combine(set, 4, &got, &rep), 0);
	assert_true(secret_equal(got, s));
	assert_int_equal(rep.bad, 1u << 2);
	secret_free(got);
	/* with only M good left after the vote, combining still works */
	assert_int_equal(share_combine(set, 3, &got, &rep), 0);
	assert_int_equal(rep.bad, 1u << 2);
	secret_free(got);
	share_set_free(set, 4);
}

static void
test_two_corrupt_of_many(void **state)
{
	struct share *set[SHARE_MAX_N];
	struct share_report rep;
	struct secret *s = random_secret(32), *got = NULL;

	(void)state;
	assert_int_equal(share_set_new(s, 3, 8, set), 0);
	secret_ptr(set[0]->y)[0] ^= 0xff;
	secret_ptr(set[6]->y)[31] ^= 0x80;
	assert_int_equal(share_combine(set, 8, &got, &rep), 0);
	assert_true(secret_equal(got, s));
	assert_int_equal(rep.bad, (1u << 0) | (1u << 6));
	secret_free(got);
	got = NULL;
	/* 3-of-4 with two corrupt: no good triple, refused */
	assert_int_equal(share_combine(set + 5, 3, &got, &rep), CE_SHARE_CORRUPT);
	assert_null(got);
	share_set_free(set, 8);
	secret_free(s);
}

static void
test_search_worst_case(void **state)
{
	struct share *set[SHARE_MAX_N];
	struct share_report rep;
	struct secret *s = random_secret(32), *got = NULL;

	(void)state;
	/* the first two of 16 corrupt in an 8-of-16 set: thousands of 8-subsets
	 * fail before one without them passes; all 14 others are checked */
	assert_int_equal(share_set_new(s, 8, 16, set), 0);
	secret_ptr(set[0]->y)[1] ^= 0x11;
	secret_ptr(set[1]->y)[2] ^= 0x22;
	assert_int_equal(share_combine(set, 16, &got, &rep), 0);
	assert_true(secret_equal(got, s));
	assert_int_equal(rep.bad, 3);
	secret_free(got);
	share_set_free(set, 16);
	secret_free(s);
}

static void
test_file_roundtrip(void **state)
{
	struct share *set[SHARE_MAX_N], *back[2];
	struct share_info info;
	struct buf *b;
	struct secret *s = random_secret(32), *pin;

	(void)state;
	assert_non_null(pin = secret_from("1234", 4));
	assert_int_equal(share_set_new(s, 2, 2, set), 0);
	/* plain */
	assert_int_equal(share_file_encode(set[0], NULL, 0, &b), 0);
	assert_true(share_file_is(buf_ptr(b), buf_len(b)));
	assert_int_equal(share_file_peek(buf_ptr(b), buf_len(b), &info), 0);
	assert_int_equal(info.pin_protected, 0);
	assert_int_equal(info.index, 1);
	assert_int_equal(share_file_decode(buf_ptr(b), buf_len(b), NULL,
	    &back[0]), 0);
	buf_free(b);
	/* under a PIN */
	assert_int_equal(share_file_encode(set[1], pin, KDF_TEST, &b), 0);
	assert_int_equal(share_file_peek(buf_ptr(b), buf_len(b), &info), 0);
	assert_int_equal(info.pin_protected, 1);
	assert_int_equal(info.kdf_profile, KDF_TEST);
	assert_int_equal(info.m, 2);
	assert_int_equal(share_file_decode(buf_ptr(b), buf_len(b), pin,
	    &back[1]), 0);
	buf_free(b);
	expect_combine(back, 2, s);
	share_set_free(back, 2);
	/* by path, as an HSM login would read them */
	{
		char dir[] = "/tmp/test_share.XXXXXX", p0[64], p1[64];

		assert_non_null(mkdtemp(dir));
		snprintf(p0, sizeof(p0), "%s/a", dir);
		snprintf(p1, sizeof(p1), "%s/b", dir);
		assert_int_equal(share_file_write(p0, set[0], NULL, 0, 0), 0);
		assert_int_equal(share_file_write(p1, set[1], pin, KDF_TEST, 0), 0);
		assert_int_equal(share_file_write(p1, set[1], pin, KDF_TEST, 0),
		    CE_EXISTS);
		assert_int_equal(share_file_read(p0, NULL, &back[0]), 0);
		assert_int_equal(share_file_read(p1, NULL, &back[1]),
		    CE_BAD_CREDENTIAL);
		assert_int_equal(share_file_read(p1, pin, &back[1]), 0);
		expect_combine(back, 2, s);
		share_set_free(back, 2);
		unlink(p0);
		unlink(p1);
		rmdir(dir);
	}
	share_set_free(set, 2);
	secret_free(pin);
	secret_free(s);
}

static int
pin_one(void *ctx, unsigned i, struct secret **pinp)
{
	(void)i;
	(*(int *)ctx)++;
	*pinp = secret_from("1234", 4);
	return *pinp ? 0 : CE_NOMEM;
}

static int
pin_fail_2nd(void *ctx, unsigned i, struct secret **pinp)
{
	(*(int *)ctx)++;
	*pinp = NULL;
	return i == 1 ? CE_IO : 0;
}

/* A whole set into a directory: all files 0600, or none when one exists. */
static void
test_dir_write_all_or_nothing(void **state)
{
	char dir[] = "/tmp/test_share.XXXXXX", sub[64];
	char paths[SHARE_MAX_N][SHARE_PATH_MAX], again[SHARE_MAX_N][SHARE_PATH_MAX];
	struct share *set[SHARE_MAX_N], *back[3];
	struct secret *s = random_secret(32);
	struct stat st;
	unsigned i;
	int made = -1, asked = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/set", dir);
	assert_int_equal(share_set_new(s, 2, 3, set), 0);
	assert_int_equal(share_dir_write(sub, "share", set, 3, NULL, NULL, 0,
	    0, paths, &made), 0);
	assert_int_equal(made, 1);
	for (i = 0; i < 3; i++) {
		assert_int_equal(stat(paths[i], &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_int_equal(share_file_read(paths[i], NULL, &back[i]), 0);
	}
	assert_non_null(strstr(paths[2], "share-3-of-3.cshare"));
	expect_combine(back, 3, s);
	share_set_free(back, 3);
	/* one file in the way: refused, and the others are not touched */
	assert_int_equal(unlink(paths[0]), 0);
	asked = 0;
	assert_int_equal(share_dir_write(sub, "share", set, 3, pin_one, &asked,
	    KDF_TEST, 0, again, &made), CE_EXISTS);
	assert_int_equal(asked, 0);   /* refused before any PIN is asked */
	assert_int_equal(made, 0);
	assert_int_not_equal(stat(paths[0], &st), 0);
	assert_non_null(strstr(err_detail(), "share-2-of-3"));
	/* --force, each share under a PIN asked just before it is written */
	assert_int_equal(share_dir_write(sub, "share", set, 3, pin_one, &asked,
	    KDF_TEST, 1, again, &made), 0);
	assert_int_equal(asked, 3);
	assert_int_equal(share_file_read(again[1], NULL, &back[0]),
	    CE_BAD_CREDENTIAL);
	for (i = 0; i < 3; i++)
		unlink(paths[i]);
	rmdir(sub);
	/* a failure midway removes what it wrote and the directory it made */
	asked = 0;
	assert_int_equal(share_dir_write(sub, "po", set, 3, pin_fail_2nd,
	    &asked, KDF_TEST, 0, again, &made), CE_IO);
	assert_int_not_equal(stat(again[0], &st), 0);
	assert_int_not_equal(stat(sub, &st), 0);
	rmdir(dir);
	share_set_free(set, 3);
	secret_free(s);
}

static void
test_file_wrong_pin_vs_corrupt(void **state)
{
	struct share *set[SHARE_MAX_N], *back = NULL;
	struct share_info info;
	struct buf *b;
	struct secret *s = random_secret(16), *pin, *wrong;
	uint8_t *p;
	size_t len, i;

	(void)state;
	assert_non_null(pin = secret_from("right pin", 9));
	assert_non_null(wrong = secret_from("wrong pin", 9));
	assert_int_equal(share_set_new(s, 1, 1, set), 0);
	assert_int_equal(share_file_encode(set[0], pin, KDF_TEST, &b), 0);
	len = buf_len(b);
	assert_non_null(p = malloc(len));
	memcpy(p, buf_ptr(b), len);
	assert_int_equal(share_file_decode(p, len, wrong, &back),
	    CE_BAD_CREDENTIAL);
	assert_int_equal(share_file_decode(p, len, NULL, &back),
	    CE_BAD_CREDENTIAL);
	/* any flipped byte after the magic and version is a corrupt file,
	 * never a wrong PIN */
	for (i = 9; i < len; i++) {
		p[i] ^= 0x04;
		assert_int_equal(share_file_decode(p, len, pin, &back),
		    CE_SHARE_CORRUPT);
		assert_int_equal(share_file_peek(p, len, &info),
		    CE_SHARE_CORRUPT);
		p[i] ^= 0x04;
	}
	/* truncated and extended */
	assert_int_equal(share_file_decode(p, len - 1, pin, &back),
	    CE_SHARE_CORRUPT);
	p[8] = 2;
	assert_int_equal(share_file_decode(p, len, pin, &back), CE_VERSION);
	p[8] = 1;
	p[0] = 'X';
	assert_int_equal(share_file_decode(p, len, pin, &back), CE_FORMAT);
	assert_false(share_file_is(p, len));
	assert_null(back);
	free(p);
	buf_free(b);
	share_set_free(set, 1);
	secret_free(pin);
	secret_free(wrong);
	secret_free(s);
}

static void
test_text_roundtrip(void **state)
{
	struct share *set[SHARE_MAX_N], *back[SHARE_MAX_N];
	struct share_info info;
	struct secret *s = random_secret(32), *line;
	char *l, lower[SHARE_TEXT_MAX + 1];
	size_t i;

	(void)state;
	/* 16 of 16: indexes 10..16 must survive the text form */
	assert_int_equal(share_set_new(s, 16, 16, set), 0);
	for (i = 0; i < 16; i++) {
		assert_int_equal(share_text_encode(set[i], &line), 0);
		l = (char *)secret_ptr(line);
		assert_int_equal(strlen(l) + 1, secret_len(line));
		assert_true(strncmp(l, "CS1 ", 4) == 0);
		assert_non_null(strstr(l, "16/16 #"));
		assert_int_equal(share_text_decode(l, strlen(l), &back[i]), 0);
		share_get_info(back[i], &info);
		assert_int_equal(info.index, i + 1);
		secret_free(line);
	}
	expect_combine(back, 16, s);
	share_set_free(back, 16);
	/* lower case, extra blanks and a newline are fine */
	assert_int_equal(share_text_encode(set[11], &line), 0);
	snprintf(lower, sizeof(lower), "  %s \n", (char *)secret_ptr(line));
	for (i = 0; lower[i]; i++)
		if (lower[i] >= 'A' && lower[i] <= 'Z')
			lower[i] = (char)(lower[i] - 'A' + 'a');
	assert_int_equal(share_text_decode(lower, strlen(lower), &back[0]), 0);
	share_free(back[0]);
	secret_free(line);
	share_set_free(set, 16);
	secret_free(s);
}

static void
test_text_typos(void **state)
{
	static const char alpha[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	struct share *set[SHARE_MAX_N], *back = NULL;
	struct secret *s = random_secret(32), *line;
	char *l;
	size_t i, len;
	char keep;
	int r;

	(void)state;
	assert_int_equal(share_set_new(s, 2, 3, set), 0);
	assert_int_equal(share_text_encode(set[2], &line), 0);
	l = (char *)secret_ptr(line);
	len = strlen(l);
	/* every symbol replaced by its neighbour in the alphabet */
	for (i = 4; i < len; i++) {
		const char *at = strchr(alpha, l[i]);
		if (at == NULL || l[i] == '\0')
			continue;
		keep = l[i];
		l[i] = alpha[((size_t)(at - alpha) + 1) % 32];
		r = share_text_decode(l, len, &back);
		assert_true(r == CE_SHARE_CORRUPT || r == CE_FORMAT);
		assert_null(back);
		l[i] = keep;
	}
	/* two different neighbouring symbols swapped in the body (moving a
	 * group dash is harmless: dashes only help the eye) */
	for (i = len - 20; l[i] == '-' || l[i + 1] == '-' || l[i] == l[i + 1];
	    i--)
		;
	keep = l[i];
	l[i] = l[i + 1];
	l[i + 1] = keep;
	assert_int_equal(share_text_decode(l, len, &back), CE_SHARE_CORRUPT);
	l[i + 1] = l[i];
	l[i] = keep;
	/* a symbol left out */
	assert_int_not_equal(share_text_decode(l + 0, len - 1, &back), 0);
	assert_int_equal(share_text_decode("hello world", 11, &back), CE_FORMAT);
	assert_int_equal(share_text_decode("CS2 A B C D E", 13, &back),
	    CE_VERSION);
	assert_int_equal(share_text_decode("CS1 A B", 7, &back), CE_FORMAT);
	assert_null(back);
	secret_free(line);
	share_set_free(set, 3);
	secret_free(s);
}

/* docs/formats.md section 8.4: a 2-of-3 set of the bytes 00..1f */
static const char vec_file1[] =
    "434f4653484152450100c0deaaf667ef073cb1890203013300201e754a98"
    "8363197794d0b6d17c1e5e394d314512a52038d0cd7b50beb9528a980d20"
    "11be1e4a028395141f2ef2ebbe6bea1975564143a37e710689fe05a0fa66"
    "800f01f9a85545b1ebb96aaaca7628151d6a074a5e0f80adc75082a1b52f"
    "734b";
static const char vec_line2[] =
    "CS1 R3FA-NXK7-XW3K-SCC9 2/3 #2 54F7-AJMR-GDHH-JXWM-T2VD-2Z0Y-BRWY-"
    "PEM5-XP8E-GT91-TA1J-PHT0-39VR-9DH4-037Q-G0PE-HRFN-YB0P-FZQ8-9CD3-"
    "KSV3-53TJ-PMSF-WB67-BBJV-ES7G NA7P-MVCA";
static const char vec_file3_pin[] =
    "434f4653484152450101c0deaaf667ef073cb1890203034800201e754a98"
    "8363197794d0b6d17c1e5e3901aa78f9a0047754193176836a935a46db51"
    "df144a0039e7012ac287266c5c9a02a17e1e96bc748de3e435089a367d35"
    "c03c747ef7c51f6fc70adbd0eb87c362452abcfeef48f84a0adec85c7ab2"
    "2fd7ad0c6f0135037dd386324bc8706393e81a78332b5cb194265a65870a"
    "14b6447b5c5f00ce82ae903ca5e9753534";

static void
test_vectors(void **state)
{
	uint8_t f1[256], f3[256], want[32], id[SHARE_SET_ID_LEN];
	struct share *sh[3], *pair[2];
	struct share_info info;
	struct secret *pin, *line, *s;
	struct buf *b;
	size_t n1, n3, i, j;

	(void)state;
	for (i = 0; i < 32; i++)
		want[i] = (uint8_t)i;
	assert_non_null(s = secret_from(want, 32));
	assert_non_null(pin = secret_from("1234", 4));
	n1 = unhex(vec_file1, f1, sizeof(f1));
	n3 = unhex(vec_file3_pin, f3, sizeof(f3));
	assert_int_equal(n1, 122);
	assert_int_equal(n3, 167);
	assert_int_equal(share_file_decode(f1, n1, NULL, &sh[0]), 0);
	assert_int_equal(share_text_decode(vec_line2, strlen(vec_line2),
	    &sh[1]), 0);
	assert_int_equal(share_file_decode(f3, n3, NULL, &sh[2]),
	    CE_BAD_CREDENTIAL);
	assert_int_equal(share_file_decode(f3, n3, pin, &sh[2]), 0);
	unhex("c0deaaf667ef073cb189", id, sizeof(id));
	for (i = 0; i < 3; i++) {
		share_get_info(sh[i], &info);
		assert_memory_equal(info.set_id, id, SHARE_SET_ID_LEN);
		assert_int_equal(info.index, i + 1);
		assert_int_equal(info.x, i == 0 ? 0x33 : i == 1 ? 0x29 : 0x48);
	}
	for (i = 0; i < 3; i++) {
		for (j = i + 1; j < 3; j++) {
			pair[0] = sh[i];
			pair[1] = sh[j];
			expect_combine(pair, 2, s);
		}
	}
	/* the deterministic encodings reproduce the vectors byte for byte */
	assert_int_equal(share_file_encode(sh[0], NULL, 0, &b), 0);
	assert_int_equal(buf_len(b), n1);
	assert_memory_equal(buf_ptr(b), f1, n1);
	buf_free(b);
	assert_int_equal(share_text_encode(sh[1], &line), 0);
	assert_string_equal((char *)secret_ptr(line), vec_line2);
	secret_free(line);
	share_set_free(sh, 3);
	secret_free(pin);
	secret_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subsets),
		cmocka_unit_test(test_dir_write_all_or_nothing),
		cmocka_unit_test(test_metadata),
		cmocka_unit_test(test_invalid_params),
		cmocka_unit_test(test_too_few),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_dup),
		cmocka_unit_test(test_corrupt_exactly_m),
		cmocka_unit_test(test_corrupt_extra_named),
		cmocka_unit_test(test_two_corrupt_of_many),
		cmocka_unit_test(test_search_worst_case),
		cmocka_unit_test(test_file_roundtrip),
		cmocka_unit_test(test_file_wrong_pin_vs_corrupt),
		cmocka_unit_test(test_text_roundtrip),
		cmocka_unit_test(test_text_typos),
		cmocka_unit_test(test_vectors),
	};

	secret_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
