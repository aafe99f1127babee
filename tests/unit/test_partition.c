/* partition: create/init rules, zeroize by SO or PO, delete, policies. */
#include <stdio.h>
#include <stdlib.h>
#include <sqlite3.h>
#include "testutil.h"
#include "hsmfix.h"
#include "object.h"

static int
count_cb(void *ctx, const struct partition_info *pi)
{
	(void)pi;
	(*(int *)ctx)++;
	return 0;
}

static void
test_create_init_rules(void **state)
{
	struct hsmfix f;
	struct partition_init_params pp;
	struct secret *po = fx_pin("po"), *dom = fx_pin("dom");
	struct partition_info pi;
	int n = 0;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	hsm_close(f.h);
	assert_int_equal(hsm_open(f.dir, &f.h), 0);
	/* the SO creates */
	assert_int_equal(partition_create(f.h, "p2", 0), CE_NOT_LOGGED_IN);
	assert_int_equal(fx_so(f.h, "so-pin"), 0);
	assert_int_equal(partition_create(f.h, "p1", 0), CE_EXISTS);
	assert_int_equal(partition_create(f.h, "p2", 2), CE_INVALID);
	assert_int_equal(partition_create(f.h, "p2", 0), 0);
	assert_int_equal(partition_get_info(f.h, "p2", &pi), 0);
	assert_int_equal(pi.state, PARTITION_CREATED);
	assert_int_equal(pi.version, 0);
	assert_int_equal(pi.capacity, PARTITION_CAPACITY_DEFAULT);
	assert_true(pi.serial >= 100000000000ULL);
	memset(&pp, 0, sizeof(pp));
	pp.kdf = KDF_TEST;
	fx_domain_spec(&pp.domain);
	pp.new_label = "p1"; /* taken */
	assert_int_equal(partition_init(f.h, "p2", &pp, po, dom), CE_EXISTS);
	pp.new_label = "renamed";
	pp.domain_label = "dom-a";
	assert_int_equal(partition_init(f.h, "p2", &pp, po, dom), 0);
	assert_int_equal(partition_init(f.h, "renamed", &pp, po, dom), CE_EXISTS);
	assert_int_equal(partition_get_info(f.h, "renamed", &pi), 0);
	assert_int_equal(pi.state, PARTITION_INITIALIZED);
	assert_int_equal(pi.domains, 1);
	assert_int_equal(pi.kdf, KDF_TEST);
	assert_int_equal(partition_list(f.h, count_cb, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(partition_delete(f.h, "renamed"), 0);
	assert_int_equal(partition_get_info(f.h, "renamed", &pi), CE_NOT_FOUND);
	secret_free(po);
	secret_free(dom);
	fx_teardown(&f);
}

static void
test_zeroize_by_po_and_so(void **state)
{
	struct hsmfix f;
	struct session *po = NULL, *co = NULL;
	struct partition_info pi;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_partition(f.h, "p2", "dom-pw"), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &co), 0);
	assert_int_equal(object_generate(co, OBJ_AES, 128, "k", NULL), 0);
	assert_int_equal(partition_zeroize(f.h, co, "p1", NULL), CE_PERMISSION);
	session_close(co);
	assert_int_equal(fx_login(f.h, "p1", ROLE_PO, "po-pin", &po), 0);
	assert_int_equal(partition_zeroize(f.h, po, "p2", NULL), CE_PERMISSION);
	assert_int_equal(partition_zeroize(f.h, po, "p1", NULL), 0);
	session_close(po);
	assert_int_equal(partition_get_info(f.h, "p1", &pi), 0);
	assert_int_equal(pi.state, PARTITION_CREATED);
	assert_int_equal(pi.objects, 0);
	/* the SO zeroizes the other; p1 stays as it was */
	assert_int_equal(partition_zeroize(f.h, NULL, "p2", NULL), 0);
	assert_int_equal(partition_get_info(f.h, "p2", &pi), 0);
	assert_int_equal(pi.state, PARTITION_CREATED);
	assert_int_equal(hsm_audit_verify(f.h, NULL), 0);
	fx_teardown(&f);
}

static void
test_policies(void **state)
{
	struct hsmfix f;
	struct session *po = NULL, *co = NULL;
	struct partition_info pi;
	int p;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(partition_policy_parse("storage-size", &p), 0);
	assert_int_equal(p, PPOL_STORAGE_SIZE);
	assert_int_equal(partition_policy_parse("2", &p), 0);
	assert_int_equal(p, PPOL_LOCKOUT);
	assert_int_equal(partition_policy_parse("x", &p), CE_INVALID);
	assert_int_equal(fx_login(f.h, "p1", ROLE_PO, "po-pin", &po), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &co), 0);
	assert_int_equal(partition_policy_set(co, PPOL_LOCKOUT, 5), CE_PERMISSION);
	assert_int_equal(partition_policy_set(po, PPOL_LOCKOUT, 2), CE_INVALID);
	assert_int_equal(partition_policy_set(po, PPOL_LOCKOUT, 5), 0);
	assert_int_equal(partition_policy_set(po, PPOL_ALLOW_CLONING, 2),
	    CE_INVALID);
	assert_int_equal(object_generate(co, OBJ_AES, 128, "k", NULL), 0);
	assert_int_equal(partition_policy_set(po, PPOL_ALLOW_CLONING, 0), 0);
	assert_int_equal(partition_get_info(f.h, "p1", &pi), 0);
	assert_int_equal(pi.lockout, 5);
	assert_int_equal(pi.allow_cloning, 0);
	assert_int_equal(pi.cloning, 0);
	assert_int_equal(pi.objects, 0);
	session_close(po);
	session_close(co);
	fx_teardown(&f);
}

/* Returns 1 when needle occurs in the file at path. */
static int
file_has(const char *path, const void *needle, size_t n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;
	long len;
	int found = 0;

	if (f == NULL)
		return 0;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)len + 1);
	if (fread(p, 1, (size_t)len, f) == (size_t)len)
		found = memmem(p, (size_t)len, needle, n) != NULL;
	free(p);
	fclose(f);
	return found;
}

static void
test_zeroize_leaves_no_wraps(void **state)
{
	struct hsmfix f;
	struct session *co = NULL;
	sqlite3 *db;
	sqlite3_stmt *q;
	unsigned char wrap[64], val[64];
	char db_path[128], wal_path[128];

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &co), 0);
	assert_int_equal(object_generate(co, OBJ_AES, 256, "k", NULL), 0);
	session_close(co);
	snprintf(db_path, sizeof(db_path), "%s/hsm.db", f.dir);
	snprintf(wal_path, sizeof(wal_path), "%s/hsm.db-wal", f.dir);
	/* the CO's PSK wrap and the object's sealed value, as stored */
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT psk_wrap FROM "
	    "role WHERE role = 2), (SELECT value FROM object)", -1, &q, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	memcpy(wrap, sqlite3_column_blob(q, 0), 40);
	memcpy(val, sqlite3_column_blob(q, 1), 40);
	sqlite3_finalize(q);
	sqlite3_close(db);
	assert_true(file_has(db_path, wrap, 40) || file_has(wal_path, wrap, 40));
	assert_int_equal(partition_zeroize(f.h, NULL, "p1", NULL), 0);
	assert_false(file_has(db_path, wrap, 40));
	assert_false(file_has(wal_path, wrap, 40));
	assert_false(file_has(db_path, val, 40));
	assert_false(file_has(wal_path, val, 40));
	fx_teardown(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_init_rules),
		cmocka_unit_test(test_zeroize_by_po_and_so),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_zeroize_leaves_no_wraps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
