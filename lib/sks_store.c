/*
 * sks.db: the off-board store of SKS blobs beside hsm.db. One SQLite
 * database per HSM (WAL, synchronous FULL, secure_delete), one row a blob,
 * one row a V1 partition naming its current SMK id; docs/formats.md 9.3.
 * It holds ciphertext and clear headers only: no key is ever stored here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "hsm_int.h"
#include "sks_int.h"
#include "store.h"

/* Schema 2 added the retired ids and the MAC of the pointer (sks_ptr.c). */
static const char sks_schema_v2[] =
    "CREATE TABLE meta ("
    " key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE part ("
    " serial INTEGER PRIMARY KEY,"        /* the V1 partition's serial */
    " smk_id BLOB NOT NULL,"              /* the current SMK: the truth */
    " gen INTEGER NOT NULL,"
    " count INTEGER NOT NULL DEFAULT 0,"
    " used INTEGER NOT NULL DEFAULT 0,"
    " retired BLOB NOT NULL DEFAULT x'',"  /* ids given up, 16 bytes each */
    " mac BLOB);"
    "CREATE TABLE blob ("
    " id INTEGER PRIMARY KEY,"
    " serial INTEGER NOT NULL,"
    " label TEXT NOT NULL,"
    " uid BLOB NOT NULL,"
    " class INTEGER NOT NULL,"
    " key_type INTEGER NOT NULL,"
    " bits INTEGER NOT NULL,"
    " size INTEGER NOT NULL,"
    " created INTEGER NOT NULL,"
    " blob BLOB NOT NULL,"
    " UNIQUE (serial, label));"
    /* Walks go by partition in id order without a sort. */
    "CREATE INDEX blob_serial_id ON blob (serial, id);"
    "INSERT INTO meta VALUES ('schema_version', '2');"
    "INSERT INTO meta VALUES ('store', 'sks');";

/* A schema 1 pointer gets its MAC at the first login holding the PSK. */
static const char sks_upgrade_2[] =
    "ALTER TABLE part ADD COLUMN retired BLOB NOT NULL DEFAULT x'';"
    "ALTER TABLE part ADD COLUMN mac BLOB;"
    "UPDATE meta SET value = '2' WHERE key = 'schema_version';";
static const char *const sks_upgrades[] = { NULL, NULL, sks_upgrade_2 };
static const struct store_kind store_kind_sks = {
	SKS_DB_NAME, sks_schema_v2, 2, sks_upgrades,
};

int
sks_attach(struct hsm *h, int create)
{
	struct stat sb;
	char *path = NULL;
	int r;

	if (h->sks != NULL)
		return 0;
	if (asprintf(&path, "%s/%s", h->dir, SKS_DB_NAME) < 0)
		return CE_NOMEM;
	if (!create && stat(path, &sb) != 0) {
		free(path);
		return 0;
	}
	if ((r = store_open_kind(path, create, &store_kind_sks, &h->sks)) != 0)
		goto out;
	if (store_in_tx(h->st) && (r = store_begin(h->sks)) != 0)
		goto out;
 out:
	if (r != 0) {
		store_close(h->sks);
		h->sks = NULL;
	}
	free(path);
	return r;
}

int
sks_require(struct hsm *h)
{
	int r;

	if ((r = sks_attach(h, 0)) != 0)
		return r;
	if (h->sks == NULL) {
		err_set_detail("%s/%s is missing: the blobs of this V1 partition "
		    "are gone; restore the file or a backup", h->dir, SKS_DB_NAME);
		return CE_INTEGRITY;
	}
	return 0;
}

int
sks_usage(struct hsm *h, uint64_t serial, uint64_t *countp, uint64_t *usedp)
{
	sqlite3_stmt *q;
	int r, rc;

	*countp = *usedp = 0;
	if ((r = sks_attach(h, 0)) != 0 || h->sks == NULL)
		return r;
	if ((r = store_prepare(h->sks, "SELECT count, used FROM part WHERE "
	    "serial = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, (int64_t)serial);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		*countp = (uint64_t)sqlite3_column_int64(q, 0);
		*usedp = (uint64_t)sqlite3_column_int64(q, 1);
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_err(h->sks, rc);
}

static int
exec_serial(struct hsm *h, const char *sql, uint64_t serial)
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = store_prepare(h->sks, sql, &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, (int64_t)serial);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : store_err(h->sks, rc);
}

/* *alonep = 1 when serial's blobs are the only ones in sks.db. */
static int
blobs_alone(struct hsm *h, uint64_t serial, int *alonep)
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = store_prepare(h->sks, "SELECT EXISTS (SELECT 1 FROM blob "
	    "WHERE serial < ?1) OR EXISTS (SELECT 1 FROM blob WHERE "
	    "serial > ?1)", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, (int64_t)serial);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		*alonep = sqlite3_column_int(q, 0) == 0;
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : store_err(h->sks, rc);
}

int
sks_erase_tx(struct hsm *h, uint64_t serial)
{
	int r, alone = 0;

	if ((r = sks_attach(h, 0)) != 0 || h->sks == NULL)
		return r;
	if (serial == 0)
		return store_exec(h->sks, "DELETE FROM blob;"
		    "UPDATE part SET count = 0, used = 0");
	/*
	 * A DELETE without WHERE frees the table's pages whole (SQLite's
	 * truncate optimization; secure_delete still zeroes each) instead of
	 * removing a million rows one by one from the table and both indexes:
	 * restore --replace of 1M blobs spent seconds here (issue 19).
	 */
	if ((r = blobs_alone(h, serial, &alone)) != 0)
		return r;
	if (alone)
		r = store_exec(h->sks, "DELETE FROM blob");
	else
		r = store_delete_batches(h->sks, "DELETE FROM blob WHERE id "
		    "IN (SELECT id FROM blob WHERE serial = ?1 LIMIT "
		    ERASE_BATCH ")", (int64_t)serial);
	if (r != 0)
		return r;
	return exec_serial(h, "UPDATE part SET count = 0, used = 0 WHERE "
	    "serial = ?", serial);
}

int
sks_forget_tx(struct hsm *h, uint64_t serial)
{
	int r;

	if ((r = sks_erase_tx(h, serial)) != 0 || h->sks == NULL)
		return r;
	if (serial == 0)
		return store_exec(h->sks, "DELETE FROM part");
	return exec_serial(h, "DELETE FROM part WHERE serial = ?", serial);
}
