/* uri: hsm:DIR#LABEL parsing. */
#include <stdio.h>
#include "testutil.h"
#include "err.h"
#include "uri.h"

static void
test_partition_uri(void **state)
{
	struct hsm_uri u;

	(void)state;
	assert_int_equal(uri_parse_hsm("hsm:/var/lib/h#p1", 1, &u), 0);
	assert_string_equal(u.dir, "/var/lib/h");
	assert_string_equal(u.label, "p1");
	uri_clear(&u);
	/* the label follows the last '#' */
	assert_int_equal(uri_parse_hsm("hsm:dir#with#hash#lab", 1, &u), 0);
	assert_string_equal(u.dir, "dir#with#hash");
	assert_string_equal(u.label, "lab");
	uri_clear(&u);
}

static void
test_hsm_uri(void **state)
{
	struct hsm_uri u;

	(void)state;
	assert_int_equal(uri_parse_hsm("hsm:rel/dir", 0, &u), 0);
	assert_string_equal(u.dir, "rel/dir");
	assert_null(u.label);
	uri_clear(&u);
	/* a bare directory for HSM-level commands, '#' and all */
	assert_int_equal(uri_parse_hsm("/tmp/a#b", 0, &u), 0);
	assert_string_equal(u.dir, "/tmp/a#b");
	assert_null(u.label);
	uri_clear(&u);
}

static void
test_bad_uris(void **state)
{
	struct hsm_uri u;

	(void)state;
	assert_int_equal(uri_parse_hsm("/tmp/h#p1", 1, &u), CE_USAGE);
	assert_int_equal(uri_parse_hsm("hsm:/tmp/h", 1, &u), CE_USAGE);
	assert_int_equal(uri_parse_hsm("hsm:#p1", 1, &u), CE_USAGE);
	assert_int_equal(uri_parse_hsm("hsm:/tmp/h#", 1, &u), CE_USAGE);
	assert_int_equal(uri_parse_hsm("hsm:", 0, &u), CE_USAGE);
	assert_non_null(strstr(err_detail(), "hsm:DIR"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partition_uri),
		cmocka_unit_test(test_hsm_uri),
		cmocka_unit_test(test_bad_uris),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
