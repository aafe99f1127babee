/* p11uri: RFC 7512 pkcs11: URIs naming a token. */
#include <stdio.h>
#include <string.h>
#include "testutil.h"
#include "err.h"
#include "p11uri.h"

static void
test_token_serial(void **state)
{
	struct p11uri u;

	(void)state;
	assert_true(p11uri_is("PKCS11:token=a"));
	assert_false(p11uri_is("hsm:/a#b"));
	assert_int_equal(p11uri_parse("pkcs11:token=src;serial=7a3f0c1d2e",
	    &u), 0);
	assert_string_equal(u.token, "src");
	assert_string_equal(u.serial, "7a3f0c1d2e");
	assert_int_equal(u.has_slot, 0);
	assert_int_equal(p11uri_parse("pkcs11:serial=01;slot-id=42;"
	    "manufacturer=SoftHSM%20project;model=SoftHSM%20v2", &u), 0);
	assert_string_equal(u.token, "");
	assert_string_equal(u.manufacturer, "SoftHSM project");
	assert_string_equal(u.model, "SoftHSM v2");
	assert_int_equal(u.has_slot, 1);
	assert_int_equal(u.slot_id, 42);
}

static void
test_percent(void **state)
{
	struct p11uri u;

	(void)state;
	/* %-escapes in either case; ';' and '=' and '%' escaped */
	assert_int_equal(p11uri_parse("pkcs11:token=a%3bb%3Dc%25d%2fe", &u), 0);
	assert_string_equal(u.token, "a;b=c%d/e");
	assert_int_equal(p11uri_parse("pkcs11:token=My%20Token", &u), 0);
	assert_string_equal(u.token, "My Token");
	assert_int_equal(p11uri_parse("pkcs11:token=a%2", &u), CE_USAGE);
	assert_non_null(strstr(err_detail(), "escape"));
	assert_int_equal(p11uri_parse("pkcs11:token=a%zz", &u), CE_USAGE);
	assert_int_equal(p11uri_parse("pkcs11:token=a%", &u), CE_USAGE);
	assert_int_equal(p11uri_parse("pkcs11:token=a%00b", &u), CE_USAGE);
	/* 32 bytes fit a label, 33 do not; an escape counts one byte */
	assert_int_equal(p11uri_parse("pkcs11:token="
	    "0123456789abcdef0123456789abcde%41", &u), 0);
	assert_int_equal(strlen(u.token), 32);
	assert_int_equal(p11uri_parse("pkcs11:token="
	    "0123456789abcdef0123456789abcdefX", &u), CE_USAGE);
	assert_int_equal(p11uri_parse("pkcs11:serial="
	    "0123456789abcdef0", &u), CE_USAGE);
}

static void
test_refused(void **state)
{
	struct p11uri u;

	(void)state;
	assert_int_equal(p11uri_parse("pkcs11:", &u), CE_USAGE);
	assert_non_null(strstr(err_detail(), "token="));
	assert_int_equal(p11uri_parse("pkcs11:model=x", &u), CE_USAGE);
	assert_int_equal(p11uri_parse("pkcs11:token=a;object=k", &u), CE_USAGE);
	assert_non_null(strstr(err_detail(), "whole token"));
	assert_int_equal(p11uri_parse("pkcs11:token=a;id=%01", &u), CE_USAGE);
	assert_int_equal(p11uri_parse("pkcs11:token=a;type=private", &u),
	    CE_USAGE);
	assert_int_equal(p11uri_parse("pkcs11:token=a;x-vendor=1", &u),
	    CE_USAGE);
	assert_non_null(strstr(err_detail(), "unknown attribute 'x-vendor'"));
	assert_int_equal(p11uri_parse("pkcs11:token=a?pin-value=1234", &u),
	    CE_USAGE);
	assert_non_null(strstr(err_detail(), "--pin-file"));
	assert_int_equal(p11uri_parse("pkcs11:token=a;token=b", &u), CE_USAGE);
	assert_non_null(strstr(err_detail(), "twice"));
	assert_int_equal(p11uri_parse("pkcs11:token=", &u), CE_USAGE);
	assert_int_equal(p11uri_parse("pkcs11:token", &u), CE_USAGE);
	assert_int_equal(p11uri_parse("pkcs11:token=a;slot-id=x", &u),
	    CE_USAGE);
	assert_int_equal(p11uri_parse("hsm:/a#b", &u), CE_USAGE);
}

static void
test_match(void **state)
{
	struct p11uri u;
	const char label[32] = "src                             ";
	const char serial[16] = "7a3f0c1d2e4b5a69";
	const char manuf[32] = "SoftHSM project                 ";
	const char model[16] = "SoftHSM v2      ";
	char out[33];

	(void)state;
	assert_int_equal(p11uri_parse("pkcs11:token=src", &u), 0);
	assert_true(p11uri_match(&u, label, 32, serial, 16, manuf, 32,
	    model, 16));
	assert_int_equal(p11uri_parse("pkcs11:token=sr", &u), 0);
	assert_false(p11uri_match(&u, label, 32, serial, 16, manuf, 32,
	    model, 16));
	assert_int_equal(p11uri_parse("pkcs11:token=src;serial=7a3f0c1d2e4b5a6",
	    &u), 0);
	assert_false(p11uri_match(&u, label, 32, serial, 16, manuf, 32,
	    model, 16));
	assert_int_equal(p11uri_parse("pkcs11:serial=7a3f0c1d2e4b5a69;"
	    "model=SoftHSM%20v2", &u), 0);
	assert_true(p11uri_match(&u, label, 32, serial, 16, manuf, 32,
	    model, 16));
	p11uri_unpad(label, 32, out, sizeof(out));
	assert_string_equal(out, "src");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_serial),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
