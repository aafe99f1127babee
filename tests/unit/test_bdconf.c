/*
 * bdconf: the backupd run configuration parses what docs/backupd.md shows
 * and refuses every malformed line with its number.
 */
#include <stdio.h>
#include <stdlib.h>

#include "testutil.h"
#include "bdconf.h"
#include "buf.h"
#include "err.h"
#include "kdf.h"
#include "role.h"

static int
parse(const char *text, struct bdconf *c)
{
	struct buf *b = buf_from(text, strlen(text));
	int r = bdconf_parse(b, c);

	buf_free(b);
	return r;
}

static void
test_good(void **state)
{
	struct bdconf *c = calloc(1, sizeof(*c));

	(void)state;
	assert_int_equal(parse("# nightly\n\nstore dir:/srv/b\ninterval 12h\n"
	    "keep last 7 monthly 12\nmetrics /var/m.prom\n"
	    "job pay from=hsm:/h#p1 challenge-file=/etc/c backup-pin-file=/etc/b "
	    "kdf=test role=cu   # the payments partition\n"
	    "\tjob other from=hsm:/h#p2 pin-file=/etc/p backup-pin-file=/etc/b\n",
	    c), 0);
	assert_string_equal(c->store, "dir:/srv/b");
	assert_int_equal(c->interval, 12 * 3600);
	assert_true(c->have_keep);
	assert_int_equal(c->keep.last, 7);
	assert_int_equal(c->keep.monthly, 12);
	assert_int_equal(c->keep.daily, 0);
	assert_string_equal(c->metrics, "/var/m.prom");
	assert_int_equal(c->njobs, 2);
	assert_string_equal(c->jobs[0].name, "pay");
	assert_string_equal(c->jobs[0].from, "hsm:/h#p1");
	assert_string_equal(c->jobs[0].challenge_file, "/etc/c");
	assert_string_equal(c->jobs[0].pin_file, "");
	assert_int_equal(c->jobs[0].kdf, KDF_TEST);
	assert_int_equal(c->jobs[0].role, ROLE_CU);
	assert_int_equal(c->jobs[1].kdf, KDF_INTERACTIVE);
	assert_int_equal(c->jobs[1].role, ROLE_CO);
	/* Defaults: a day, no retention, no metrics; last line unterminated. */
	assert_int_equal(parse("store dir:/s\njob a from=hsm:/h#p "
	    "pin-file=/p backup-pin-file=/b", c), 0);
	assert_int_equal(c->interval, 86400);
	assert_false(c->have_keep);
	assert_string_equal(c->metrics, "");
	assert_string_equal(c->officer_pin_file, "");
	/* A Backup HSM store and its SO's password file. */
	assert_int_equal(parse("store hsm:/srv/bhsm\nkeep last 3\n"
	    "officer-pin-file /etc/so\njob a from=hsm:/h#p pin-file=/p "
	    "backup-pin-file=/b\n", c), 0);
	assert_string_equal(c->store, "hsm:/srv/bhsm");
	assert_string_equal(c->officer_pin_file, "/etc/so");
	free(c);
}

static void
test_bad(void **state)
{
	static const char *job = "job a from=hsm:/h#p pin-file=/p "
	    "backup-pin-file=/b\n";
	static const char *bad[] = {
		"store /no/scheme\n",
		"store dir:/a\nstore dir:/b\n",
		"interval 0\n",
		"interval 367d\n",
		"interval 5x\n",
		"interval 5hh\n",
		"keep\n",
		"keep last\n",
		"keep last 0\n",
		"keep last 1 last 2\n",
		"keep yearly 1\n",
		"keep last 1\nkeep daily 1\n",
		"metrics\n",
		"officer-pin-file\n",
		"officer-pin-file /a\nofficer-pin-file /b\n",
		"job\n",
		"job a/b from=hsm:/h#p pin-file=/p backup-pin-file=/b\n",
		"job a pin-file=/p backup-pin-file=/b\n",
		"job a from=hsm:/h#p backup-pin-file=/b\n",
		"job a from=hsm:/h#p pin-file=/p\n",
		"job a from=hsm:/h#p pin-file=/p challenge-file=/c "
		    "backup-pin-file=/b\n",
		"job a from=hsm:/h#p pin-file=/p backup-pin-file=/b kdf=fast\n",
		"job a from=hsm:/h#p pin-file=/p backup-pin-file=/b role=po\n",
		"job a from=hsm:/h#p pin-file=/p backup-pin-file=/b color=red\n",
		"job a from=hsm:/h#p from=hsm:/x#y pin-file=/p backup-pin-file=/b\n",
		"job a from= pin-file=/p backup-pin-file=/b\n",
		/* a token is backed up by hand (or a timer), not by a job */
		"job a from=pkcs11:token=t pin-file=/p backup-pin-file=/b\n",
		"job a from=hsm:/h#p pin-file=/p backup-pin-file=/b\n"
		    "job a from=hsm:/h#q pin-file=/p backup-pin-file=/b\n",
		"schedule daily\n",
		"store dir:/a\x01\n",
	};
	struct bdconf *c = calloc(1, sizeof(*c));
	char text[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* The bad line is line 2 after a good store line, or names it. */
		snprintf(text, sizeof(text), "%s%s%s", strncmp(bad[i], "store",
		    5) == 0 ? "" : "store dir:/s\n", bad[i],
		    strncmp(bad[i], "job", 3) == 0 ? "" : job);
		if (parse(text, c) != CE_FORMAT)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(err_detail(), "line"));
	}
	/* No store, no job. */
	assert_int_equal(parse(job, c), CE_FORMAT);
	assert_int_equal(parse("store dir:/s\n", c), CE_FORMAT);
	assert_int_equal(parse("", c), CE_FORMAT);
	free(c);
}

int
main(void)
{
	/* The configurations below choose the 'test' profile. */
	setenv("COFFER_TEST_KDF", "1", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
