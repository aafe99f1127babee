/* Credential input for password and PED HSMs: lib/cred.h. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "cred.h"
#include "err.h"
#include "kdf.h"
#include "secret.h"
#include "share.h"

struct fx {
	char dir[64];
	char out[96];
};

static int
setup(void **state)
{
	static struct fx f;

	secret_init();
	snprintf(f.dir, sizeof(f.dir), "/tmp/coffer-cred-XXXXXX");
	if (mkdtemp(f.dir) == NULL)
		return -1;
	snprintf(f.out, sizeof(f.out), "%s/set", f.dir);
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char paths[SHARE_MAX_N][PATH_MAX];

static void
src_of(struct cred_src *c, const struct fx *f, const char *what, unsigned n,
    const unsigned *idx, size_t k)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < k; i++) {
		snprintf(paths[i], PATH_MAX, "%s/%s-%u-of-%u.cshare", f->out,
		    what, idx[i], n);
		assert_int_equal(cred_add_share(c, paths[i]), 0);
	}
}

static void
test_new_set_and_every_subset(void **state)
{
	struct fx *f = *state;
	struct cred_new cn = { NULL, NULL, 3, 5, NULL, 0 };
	struct cred_written w;
	struct cred_src c;
	struct secret *s = NULL, *back = NULL;
	struct stat st;
	unsigned a, b, d, idx[3];

	cn.dir = f->out;
	assert_int_equal(cred_new_make("t", &cn, NULL, 1, "po", NULL, &w, &s),
	    0);
	assert_int_equal(secret_len(s), CRED_PED_SECRET_LEN);
	assert_int_equal(w.n, 5);
	assert_int_equal(stat(w.path[4], &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	for (a = 1; a <= 5; a++)
		for (b = a + 1; b <= 5; b++)
			for (d = b + 1; d <= 5; d++) {
				idx[0] = d;
				idx[1] = a;
				idx[2] = b;
				src_of(&c, f, "po", 5, idx, 3);
				assert_int_equal(cred_read("t", &c, 1, NULL,
				    &back), 0);
				assert_true(secret_equal(s, back));
				secret_free(back);
			}
	/* two are too few; as a password HSM's input shares are refused */
	src_of(&c, f, "po", 5, idx, 2);
	assert_int_equal(cred_read("t", &c, 1, NULL, &back), CE_SHARE_TOO_FEW);
	assert_int_equal(cred_read("t", &c, 0, NULL, &back), CE_USAGE);
	c.pin_file = "/nonexistent";
	assert_int_equal(cred_read("t", &c, 1, NULL, &back), CE_USAGE);
	secret_free(s);
}

static void
test_no_overwrite_no_half_set(void **state)
{
	struct fx *f = *state;
	struct cred_new cn = { NULL, NULL, 2, 3, NULL, 0 };
	struct cred_written w;
	struct secret *s = NULL;
	char p[PATH_MAX];
	FILE *fp;

	cn.dir = f->out;
	assert_int_equal(mkdir(f->out, 0700), 0);
	snprintf(p, sizeof(p), "%s/so-3-of-3.cshare", f->out);
	assert_non_null(fp = fopen(p, "w"));
	fclose(fp);
	assert_int_equal(cred_new_make("t", &cn, NULL, 1, "so", NULL, &w, &s),
	    CE_EXISTS);
	assert_null(s);
	snprintf(p, sizeof(p), "%s/so-1-of-3.cshare", f->out);
	assert_int_equal(access(p, F_OK), -1);
	/* undo removes the files and the directory it made */
	snprintf(p, sizeof(p), "%s/new", f->dir);
	cn.dir = p;
	assert_int_equal(cred_new_make("t", &cn, NULL, 1, "so", NULL, &w, &s),
	    0);
	cred_written_undo(&w);
	assert_int_equal(access(p, F_OK), -1);
	secret_free(s);
	/* M > N, N > 16, no directory: usage errors */
	cn.m = 4;
	assert_int_equal(cred_new_make("t", &cn, NULL, 1, "so", NULL, &w, &s),
	    CE_USAGE);
	cn.m = 2;
	cn.n = 17;
	assert_int_equal(cred_new_make("t", &cn, NULL, 1, "so", NULL, &w, &s),
	    CE_USAGE);
	cn.n = 3;
	cn.dir = NULL;
	assert_int_equal(cred_new_make("t", &cn, NULL, 1, "so", NULL, &w, &s),
	    CE_USAGE);
}

static void
test_pins_and_corrupt(void **state)
{
	struct fx *f = *state;
	struct cred_new cn = { NULL, NULL, 2, 3, NULL, 0 };
	struct cred_pins pins;
	struct cred_written w;
	struct cred_src c;
	struct secret *s = NULL, *back = NULL;
	char pin[PATH_MAX], bad[PATH_MAX];
	unsigned idx[3] = { 1, 2, 3 };
	FILE *fp;

	memset(&pins, 0, sizeof(pins));
	pins.kdf = KDF_TEST;
	umask(077); /* PIN files are private, as the tools insist */
	snprintf(pin, sizeof(pin), "%s/pin", f->dir);
	snprintf(bad, sizeof(bad), "%s/bad", f->dir);
	assert_non_null(fp = fopen(pin, "w"));
	fputs("share-pin\n", fp);
	fclose(fp);
	assert_non_null(fp = fopen(bad, "w"));
	fputs("wrong-pin\n", fp);
	fclose(fp);
	assert_int_equal(cred_add_new_pin(&pins, pin), 0);
	assert_int_equal(cred_pins_check(&pins, 3), 0);
	cn.dir = f->out;
	assert_int_equal(cred_new_make("t", &cn, &pins, 1, "cu", NULL, &w, &s),
	    0);
	src_of(&c, f, "cu", 3, idx, 2);
	assert_int_equal(cred_add_share_pin(&c, pin), 0);
	assert_int_equal(cred_add_share_pin(&c, bad), 0);
	assert_int_equal(cred_read_shares("t", &c, &back), CE_BAD_CREDENTIAL);
	assert_non_null(strstr(err_detail(), "wrong PIN for share file"));
	assert_non_null(strstr(err_detail(), paths[1]));
	c.share_pin[1] = pin;
	assert_int_equal(cred_read_shares("t", &c, &back), 0);
	assert_true(secret_equal(s, back));
	secret_free(back);
	/* a damaged file is left out: with M others the secret still comes */
	assert_non_null(fp = fopen(paths[0], "r+b"));
	fseek(fp, 50, SEEK_SET);
	fputs("XXXX", fp);
	fclose(fp);
	src_of(&c, f, "cu", 3, idx, 3);
	c.share_pin[0] = c.share_pin[1] = c.share_pin[2] = pin;
	c.nshare_pin = 3;
	assert_int_equal(cred_read_shares("t", &c, &back), 0);
	assert_true(secret_equal(s, back));
	secret_free(back);
	src_of(&c, f, "cu", 3, idx, 2);
	c.share_pin[0] = c.share_pin[1] = pin;
	c.nshare_pin = 2;
	assert_int_equal(cred_read_shares("t", &c, &back), CE_SHARE_CORRUPT);
	/* PIN file counts: one for all or one each */
	assert_int_equal(cred_add_new_pin(&pins, pin), 0);
	assert_int_equal(cred_pins_check(&pins, 3), CE_USAGE);
	assert_int_equal(cred_pins_check(&pins, 2), 0);
	secret_free(s);
}

static void
test_domain_secret(void **state)
{
	struct fx *f = *state;
	struct cred_new cn = { NULL, NULL, 2, 2, NULL, 0 };
	struct cred_written w;
	struct cred_src c;
	struct secret *s = NULL, *back = NULL, *short_s;
	struct share *set[2];
	unsigned idx[2] = { 1, 2 };

	cn.dir = f->out;
	assert_int_equal(cred_domain_secret("t", NULL, &cn, NULL, &w, &s), 0);
	assert_int_equal(w.n, 2);
	src_of(&c, f, "domain", 2, idx, 2);
	memset(&cn, 0, sizeof(cn));
	assert_int_equal(cred_domain_secret("t", &c, &cn, NULL, &w, &back), 0);
	assert_true(secret_equal(s, back));
	assert_int_equal(w.n, 0);
	secret_free(back);
	/* shares of a secret that is not 32 bytes are no PED domain */
	assert_non_null(short_s = secret_from("sixteen-bytes-xx", 16));
	assert_int_equal(share_set_new(short_s, 2, 2, set), 0);
	assert_int_equal(share_file_write(paths[0], set[0], NULL, 0, 1), 0);
	assert_int_equal(share_file_write(paths[1], set[1], NULL, 0, 1), 0);
	share_set_free(set, 2);
	assert_int_equal(cred_domain_secret("t", &c, &cn, NULL, &w, &back),
	    CE_INVALID);
	secret_free(short_s);
	secret_free(s);
}

/*
 * The shared credential options: two prefixed sets in one getopt_long
 * table land in their own cred_src, other options are left to the tool,
 * and one --share too many is CE_USAGE.
 */
static void
test_cred_opt(void **state)
{
	static const struct option opts[] = {
		CRED_OPTIONS("from-", 0),
		CRED_OPTIONS("to-", 1),
		{ "json", no_argument, NULL, 256 },
		{ NULL, 0, NULL, 0 },
	};
	char *argv[] = { "t", "--from-pin-file", "pf", "--to-share", "s1",
	    "--json", "--to-share=s2", "--to-share-pin-file", "sp",
	    "--from-challenge-env", "CE", "--to-pin-env", "PE",
	    "--from-challenge-file", "cf", "--to-challenge-env", "TE", NULL };
	struct cred_src src[2];
	int ch, r, others = 0, argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;

	(void)state;
	memset(src, 0, sizeof(src));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		assert_int_not_equal(ch, '?');
		r = cred_opt(&src[ch >= CRED_OPT(1, 0)], ch, optarg);
		if (ch == 256) {
			assert_int_equal(r, 0);
			others++;
		} else
			assert_int_equal(r, 1);
	}
	assert_int_equal(others, 1);
	assert_string_equal(src[0].pin_file, "pf");
	assert_null(src[0].pin_env);
	assert_string_equal(src[0].challenge_env, "CE");
	assert_string_equal(src[0].challenge_file, "cf");
	assert_int_equal(src[0].nshare, 0);
	assert_int_equal(src[1].nshare, 2);
	assert_string_equal(src[1].share[0], "s1");
	assert_string_equal(src[1].share[1], "s2");
	assert_int_equal(src[1].nshare_pin, 1);
	assert_string_equal(src[1].share_pin[0], "sp");
	assert_string_equal(src[1].pin_env, "PE");
	assert_string_equal(src[1].challenge_env, "TE");
	assert_null(src[1].pin_file);
	assert_int_equal(CRED_OPT_SET(CRED_OPT(1, CRED_OPT_SHARE)), 1);
	assert_string_equal(cred_opt_name(CRED_OPT(1, CRED_OPT_SHARE_PIN)),
	    "share-pin-file");
	assert_string_equal(cred_opt_name(CRED_OPT(0, CRED_OPT_CHAL_ENV)),
	    "challenge-env");
	assert_string_equal(cred_opt_name(256), "?");
	/* codes outside the reserved range are the tool's */
	assert_int_equal(cred_opt(&src[0], 'h', NULL), 0);
	assert_int_equal(cred_opt(&src[0], CRED_OPT(0, CRED_OPT_NWHICH), "x"),
	    0);
	assert_int_equal(cred_opt(&src[0], CRED_OPT(CRED_OPT_SETS, 0), "x"), 0);
	/* too many share files and share PIN files */
	memset(src, 0, sizeof(src));
	for (r = 0; r < SHARE_MAX_INPUTS; r++) {
		assert_int_equal(cred_opt(&src[0], CRED_OPT(0, CRED_OPT_SHARE),
		    "s"), 1);
		assert_int_equal(cred_opt(&src[0],
		    CRED_OPT(0, CRED_OPT_SHARE_PIN), "p"), 1);
	}
	assert_int_equal(cred_opt(&src[0], CRED_OPT(0, CRED_OPT_SHARE), "s"),
	    CE_USAGE);
	assert_int_equal(cred_opt(&src[0], CRED_OPT(0, CRED_OPT_SHARE_PIN),
	    "p"), CE_USAGE);
	assert_int_equal(src[0].nshare, SHARE_MAX_INPUTS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_set_and_every_subset,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_overwrite_no_half_set,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_pins_and_corrupt, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_domain_secret, setup,
		    teardown),
		cmocka_unit_test(test_cred_opt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
