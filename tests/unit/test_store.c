/* store: creation mode, schema version, transactions, batched deletes, a
 * second connection waiting for the first, integrity check, deleted rows
 * wiped from disk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "testutil.h"
#include "err.h"
#include "store.h"

static char dir[] = "/tmp/coffer-store-XXXXXX";
static char path[128];

static void
test_create_and_reopen(void **state)
{
	struct store *s = NULL;
	struct stat sb;

	(void)state;
	assert_int_equal(store_open(path, 0, &s), CE_NOT_FOUND);
	assert_int_equal(store_open(path, 1, &s), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(store_check(s), 0);
	store_close(s);
	assert_int_equal(store_open(path, 0, &s), 0);
	store_close(s);
}

static void
test_newer_schema_refused(void **state)
{
	struct store *s = NULL;

	(void)state;
	assert_int_equal(store_open(path, 1, &s), 0);
	assert_int_equal(store_exec(s, "UPDATE meta SET value = '99' WHERE "
	    "key = 'schema_version'"), 0);
	store_close(s);
	assert_int_equal(store_open(path, 0, &s), CE_VERSION);
	/* put it back for the next tests */
	{
		sqlite3 *db;

		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		char sql[64];

		snprintf(sql, sizeof(sql), "UPDATE meta SET value = '%d'",
		    STORE_SCHEMA_VERSION);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL),
		    SQLITE_OK);
		sqlite3_close(db);
	}
}

static void
test_transactions(void **state)
{
	struct store *a = NULL, *b = NULL;
	sqlite3_stmt *q;
	int n = -1;

	(void)state;
	assert_int_equal(store_open(path, 1, &a), 0);
	assert_int_equal(store_open(path, 0, &b), 0);
	assert_int_equal(store_begin(a), 0);
	assert_int_equal(store_in_tx(a), 1);
	assert_int_equal(store_begin(a), CE_INVALID);
	assert_int_equal(store_exec(a, "INSERT INTO meta VALUES ('t', 'x')"), 0);
	store_rollback(a);
	assert_int_equal(store_prepare(b, "SELECT count(*) FROM meta WHERE "
	    "key = 't'", &q), 0);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	n = sqlite3_column_int(q, 0);
	sqlite3_reset(q);
	assert_int_equal(n, 0);
	/* a committed write is seen by the other connection */
	assert_int_equal(store_begin(a), 0);
	assert_int_equal(store_exec(a, "INSERT INTO meta VALUES ('t', 'y')"), 0);
	assert_int_equal(store_commit(a), 0);
	assert_int_equal(store_prepare(b, "SELECT count(*) FROM meta WHERE "
	    "key = 't'", &q), 0);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	n = sqlite3_column_int(q, 0);
	sqlite3_reset(q);
	assert_int_equal(n, 1);
	/* a constraint violation maps to CE_EXISTS */
	assert_int_equal(store_exec(a, "INSERT INTO meta VALUES ('t', 'z')"),
	    CE_EXISTS);
	store_close(a);
	store_close(b);
}

/* Counts meta rows whose key starts with prefix. */
static int
rows_like(struct store *s, const char *prefix)
{
	sqlite3_stmt *q;
	int n;

	assert_int_equal(store_prepare(s, "SELECT count(*) FROM meta WHERE "
	    "substr(key, 1, 1) = ?", &q), 0);
	sqlite3_bind_text(q, 1, prefix, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	n = sqlite3_column_int(q, 0);
	sqlite3_reset(q);
	return n;
}

/*
 * A batched delete runs until its batch comes back empty: ten rows in
 * batches of three take four rounds, and rows of another key stay.
 */
static void
test_delete_batches(void **state)
{
	struct store *s = NULL;
	char sql[96];
	int i;

	(void)state;
	assert_int_equal(store_open(path, 0, &s), 0);
	for (i = 0; i < 10; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO meta VALUES "
		    "('a%d', 'x')", i);
		assert_int_equal(store_exec(s, sql), 0);
	}
	for (i = 0; i < 4; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO meta VALUES "
		    "('b%d', 'x')", i);
		assert_int_equal(store_exec(s, sql), 0);
	}
	assert_int_equal(store_delete_batches(s, "DELETE FROM meta WHERE "
	    "rowid IN (SELECT rowid FROM meta WHERE substr(key, 1, 1) = "
	    "char(?1) LIMIT 3)", 'a'), 0);
	assert_int_equal(rows_like(s, "a"), 0);
	assert_int_equal(rows_like(s, "b"), 4);
	/* nothing left to delete: one empty round */
	assert_int_equal(store_delete_batches(s, "DELETE FROM meta WHERE "
	    "rowid IN (SELECT rowid FROM meta WHERE substr(key, 1, 1) = "
	    "char(?1) LIMIT 3)", 'a'), 0);
	assert_int_equal(store_exec(s, "DELETE FROM meta WHERE key LIKE 'b%'"),
	    0);
	store_close(s);
}

static void
test_not_a_store(void **state)
{
	struct store *s = NULL;
	char p2[160];
	FILE *f;

	(void)state;
	snprintf(p2, sizeof(p2), "%s/junk.db", dir);
	f = fopen(p2, "w");
	fputs("this is not sqlite at all, just text padding padding padding "
	    "padding padding padding padding padding padding padding", f);
	fclose(f);
	assert_int_not_equal(store_open(p2, 0, &s), 0);
}

/* 1 when the file at p holds the n bytes m. */
static int
file_has(const char *p, const void *m, size_t n)
{
	FILE *f;
	char *b;
	long len;
	int found;

	if ((f = fopen(p, "rb")) == NULL)
		return 0;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	assert_non_null(b = malloc(len > 0 ? (size_t)len : 1));
	assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	found = len > 0 && memmem(b, (size_t)len, m, n) != NULL;
	free(b);
	return found;
}

/*
 * Every connection overwrites what it deletes (secure_delete, set by
 * store_open itself), and a commit marked with store_wipe_on_commit folds
 * the WAL back and truncates it: a deleted value is in neither file, even
 * while another connection keeps the database (and so the WAL) open.
 */
static void
test_deleted_rows_wiped(void **state)
{
	static const char mark[] = "wrap-bytes-7f3a9c1e5d";
	struct store *s = NULL, *other = NULL;
	sqlite3_stmt *q;
	char wal[160], sql[128];
	struct stat sb;

	(void)state;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	assert_int_equal(store_open(path, 1, &s), 0);
	assert_int_equal(sqlite3_prepare_v2(store_db(s), "PRAGMA secure_delete",
	    -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 1);
	sqlite3_finalize(q);
	assert_int_equal(store_open(path, 0, &other), 0);
	snprintf(sql, sizeof(sql), "INSERT INTO meta VALUES ('w', '%s')", mark);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_exec(s, sql), 0);
	assert_int_equal(store_commit(s), 0);
	assert_true(file_has(path, mark, strlen(mark)) ||
	    file_has(wal, mark, strlen(mark)));
	assert_int_equal(store_begin(s), 0);
	store_wipe_on_commit(s);
	assert_int_equal(store_exec(s, "DELETE FROM meta WHERE key = 'w'"), 0);
	assert_int_equal(store_commit(s), 0);
	assert_false(file_has(path, mark, strlen(mark)));
	assert_false(file_has(wal, mark, strlen(mark)));
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	store_close(other);
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_and_reopen),
		cmocka_unit_test(test_newer_schema_refused),
		cmocka_unit_test(test_transactions),
		cmocka_unit_test(test_delete_batches),
		cmocka_unit_test(test_not_a_store),
		cmocka_unit_test(test_deleted_rows_wiped),
	};
	char cmd[128];
	int r;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/hsm.db", dir);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return r;
}
