#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "store.h"
#include "store_schema.h"

#define STMT_CACHE 96

struct store {
	sqlite3 *db;
	int in_tx;
	int wipe;   /* key material deleted: checkpoint the WAL at commit */
	size_t nstmt;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[STMT_CACHE];
};

int
store_err(struct store *s, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		err_set_detail("another process holds the HSM store; try again");
		return CE_BUSY;
	case SQLITE_FULL:
		err_set_detail("disk full");
		return CE_IO;
	case SQLITE_NOMEM:
		return CE_NOMEM;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		err_set_detail("hsm.db is corrupt: %s",
		    s && s->db ? sqlite3_errmsg(s->db) : "");
		return CE_INTEGRITY;
	case SQLITE_CONSTRAINT:
		err_set_detail("%s", s && s->db ? sqlite3_errmsg(s->db) : "");
		return CE_EXISTS;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
		err_set_detail("%s", s && s->db ? sqlite3_errmsg(s->db) : "");
		return CE_IO;
	}
	err_set_detail("%s", s && s->db ? sqlite3_errmsg(s->db) : "sqlite");
	return CE_DB;
}

int
store_exec(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return store_err(s, rc);
}

/* The hsm.db kind: schema 1 gained the smk table in schema 2. */
static const char hsm_upgrade_2[] = STORE_SCHEMA_SMK_TABLE
    "UPDATE meta SET value = '2' WHERE key = 'schema_version';";
/*
 * Schema 3: the tag of the share set that last logged each PED role (and
 * the HSM SO) in, so shares of any other set are refused before a login
 * is attempted (docs/formats.md 2.4), NULL until the first login; and the
 * MAC that binds a partition's KDF profile to its PSK (2.2).
 */
static const char hsm_upgrade_3[] =
    "ALTER TABLE role ADD COLUMN set_tag BLOB;"
    "ALTER TABLE partition ADD COLUMN kdf_mac BLOB;"
    "ALTER TABLE hsm ADD COLUMN so_set_tag BLOB;"
    "UPDATE meta SET value = '3' WHERE key = 'schema_version';";
/*
 * Schema 4: role key pairs and the PSK rekey (docs/formats.md 2.2). Each
 * role gets an X25519 key pair, its private key wrapped under the
 * credential's KEK (role_key) and its public key in clear (role_pub), and
 * the PSK is sealed to the public key, so `hsm partition rekey` re-seals a
 * new PSK for every role without their credentials. Rows of schema 3 keep
 * the old form until their role's next login converts them. The partition
 * counts its PSK generations (psk_gen) and, while a V1 rekey has committed
 * in hsm.db but not yet in sks.db, holds the old PSK under the new one
 * (psk_prev).
 */
static const char hsm_upgrade_4[] =
    "ALTER TABLE role ADD COLUMN role_key BLOB;"
    "ALTER TABLE role ADD COLUMN role_pub BLOB;"
    "ALTER TABLE partition ADD COLUMN psk_gen INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE partition ADD COLUMN psk_prev BLOB;"
    "UPDATE meta SET value = '4' WHERE key = 'schema_version';";
/*
 * Schema 5: a form 2 password domain's public salt (docs/formats.md 2.7);
 * NULL for PED domains and for legacy unsalted password domains, which
 * keep working as they are.
 */
static const char hsm_upgrade_5[] =
    "ALTER TABLE domain ADD COLUMN salt BLOB;"
    "UPDATE meta SET value = '5' WHERE key = 'schema_version';";
/*
 * Schema 6: the forward-secure audit chain (docs/formats.md 3.2). The
 * chain's epochs, each with the start key its MACs are checked under,
 * wrapped under the HSM SO (key is the clear start key of a chain begun
 * before schema 6, until the SO's next login wraps it); the digest of the
 * log (NULL until the next write computes it) and the seed of the key
 * that signs exported heads (NULL until the next write makes it). Records
 * written before keep their MACs under the old fixed key; the ratchet
 * starts with the next record.
 */
static const char hsm_upgrade_6[] =
    STORE_SCHEMA_AUDIT_EPOCH_TABLE
    "ALTER TABLE hsm ADD COLUMN audit_digest BLOB;"
    "ALTER TABLE hsm ADD COLUMN audit_sign_seed BLOB;"
    "INSERT INTO audit_epoch (first_seq, ratchet_seq, key) "
    " SELECT 1, audit_seq + 1, audit_key FROM hsm;"
    "UPDATE meta SET value = '6' WHERE key = 'schema_version';";
static const char *const hsm_upgrades[] = { NULL, NULL, hsm_upgrade_2,
    hsm_upgrade_3, hsm_upgrade_4, hsm_upgrade_5, hsm_upgrade_6 };
const struct store_kind store_kind_hsm = {
	"hsm.db", store_schema_v2, STORE_SCHEMA_VERSION, hsm_upgrades,
};

static int
schema_version(struct store *s, int *vp)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	rc = sqlite3_prepare_v2(s->db,
	    "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st,
	    NULL);
	if (rc != SQLITE_OK) {
		/* No meta table: not a Coffer store. */
		err_set_detail("not a Coffer HSM store (no meta table)");
		return CE_FORMAT;
	}
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? CE_FORMAT : store_err(s, rc);
		goto out;
	}
	*vp = sqlite3_column_int(st, 0);
	r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}

int
store_open(const char *path, int create, struct store **sp)
{
	return store_open_kind(path, create, &store_kind_hsm, sp);
}

int
store_open_kind(const char *path, int create, const struct store_kind *k,
    struct store **sp)
{
	struct store *s;
	int r, rc, v = 0, fd, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	struct stat sb;
	int fresh = 0;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CE_NOMEM;
	if (stat(path, &sb) != 0) {
		if (!create) {
			err_set_detail("no HSM store at %s; run 'hsm init' first",
			    path);
			r = CE_NOT_FOUND;
			goto out;
		}
		/* Create it 0600 ourselves: SQLite would honour the umask. */
		if ((fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
		    0600)) < 0) {
			err_set_detail("cannot create %s", path);
			r = CE_IO;
			goto out;
		}
		close(fd);
		fresh = 1;
	}
	if ((rc = sqlite3_open_v2(path, &s->db, flags, NULL)) != SQLITE_OK) {
		r = store_err(s, rc);
		goto out;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	sqlite3_extended_result_codes(s->db, 0);
	/* secure_delete: deleted rows and freed pages are overwritten, so
	 * a deleted wrap does not linger in the database file (the WAL is
	 * the job of store_wipe_on_commit). */
	if ((r = store_exec(s, "PRAGMA foreign_keys = ON;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA secure_delete = ON;")) != 0)
		goto out;
	if (fresh) {
		if ((r = store_exec(s, "PRAGMA journal_mode = WAL;")) != 0 ||
		    (r = store_begin(s)) != 0)
			goto out;
		if ((r = store_exec(s, k->schema)) != 0) {
			store_rollback(s);
			goto out;
		}
		if ((r = store_commit(s)) != 0)
			goto out;
	}
	if ((r = schema_version(s, &v)) != 0)
		goto out;
	if (v > k->version || v < 1) {
		err_set_detail("%s schema version %d; this build knows %d",
		    k->name, v, k->version);
		r = CE_VERSION;
		goto out;
	}
	/* Older schemas are brought up to date, one step per transaction. */
	for (; v < k->version; v++) {
		if ((r = store_begin(s)) != 0)
			goto out;
		if ((r = store_exec(s, k->upgrades[v + 1])) != 0) {
			store_rollback(s);
			goto out;
		}
		if ((r = store_commit(s)) != 0)
			goto out;
	}
	*sp = s;
	s = NULL;
	r = 0;
 out:
	store_close(s);
	return r;
}

void
store_close(struct store *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->in_tx)
		store_rollback(s);
	for (i = 0; i < s->nstmt; i++)
		sqlite3_finalize(s->cache[i].st);
	sqlite3_close(s->db);
	free(s);
}

sqlite3 *
store_db(struct store *s)
{
	return s->db;
}

int
store_begin(struct store *s)
{
	int r;

	if (s->in_tx) {
		err_set_detail("nested transaction");
		return CE_INVALID;
	}
	if ((r = store_exec(s, "BEGIN IMMEDIATE")) != 0)
		return r;
	s->in_tx = 1;
	return 0;
}

int
store_commit(struct store *s)
{
	int r;

	if ((r = store_exec(s, "COMMIT")) != 0) {
		store_rollback(s);
		return r;
	}
	s->in_tx = 0;
	if (s->wipe) {
		/*
		 * secure_delete zeroes freed pages in the database, but the WAL
		 * still holds the frames written before the deletion: copy the
		 * WAL back and truncate it, so a deleted wrap is nowhere on disk.
		 * A reader holding an old snapshot can keep it busy; the next
		 * wiping commit tries again. It must not wait for one: while a
		 * TRUNCATE checkpoint is pending it holds off every new writer,
		 * and the audit chain wipes on every record, so a waiting
		 * checkpoint made concurrent commands fail as busy.
		 */
		sqlite3_busy_timeout(s->db, 0);
		(void)sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
		    NULL, NULL);
		sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
		s->wipe = 0;
	}
	return 0;
}

void
store_wipe_on_commit(struct store *s)
{
	s->wipe = 1;
}

void
store_rollback(struct store *s)
{
	size_t i;

	/* Reset cached statements so none holds the transaction open. */
	for (i = 0; i < s->nstmt; i++)
		sqlite3_reset(s->cache[i].st);
	if (sqlite3_get_autocommit(s->db) == 0)
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_tx = 0;
	s->wipe = 0;
}

int
store_in_tx(const struct store *s)
{
	return s->in_tx;
}

int
store_prepare(struct store *s, const char *sql, sqlite3_stmt **stp)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	/* Callers pass string literals: the same statement is nearly always
	 * the same pointer, so look for that first; comparing the texts of
	 * the statements cached before it was a bulk insert's strcmp time. */
	for (i = 0; i < s->nstmt; i++)
		if (s->cache[i].sql == sql)
			break;
	if (i == s->nstmt)
		for (i = 0; i < s->nstmt; i++)
			if (strcmp(s->cache[i].sql, sql) == 0)
				break;
	if (i < s->nstmt) {
		/* every caller binds each parameter it uses after this */
		sqlite3_reset(s->cache[i].st);
		sqlite3_clear_bindings(s->cache[i].st);
		*stp = s->cache[i].st;
		return 0;
	}
	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) != SQLITE_OK)
		return store_err(s, rc);
	if (s->nstmt == STMT_CACHE) {
		/* Full: evict the oldest. */
		sqlite3_finalize(s->cache[0].st);
		memmove(&s->cache[0], &s->cache[1],
		    sizeof(s->cache[0]) * (STMT_CACHE - 1));
		s->nstmt--;
	}
	s->cache[s->nstmt].sql = sql;
	s->cache[s->nstmt].st = st;
	s->nstmt++;
	*stp = st;
	return 0;
}

int
store_delete_batches(struct store *s, const char *sql, int64_t key)
{
	sqlite3_stmt *st;
	int r, rc;

	do {
		if ((r = store_prepare(s, sql, &st)) != 0)
			return r;
		sqlite3_bind_int64(st, 1, key);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return store_err(s, rc);
	} while (sqlite3_changes(s->db) > 0);
	return 0;
}

int
store_stamp(struct store *s, struct store_stamp *sp)
{
	sqlite3_stmt *st;
	int r, rc;

	if ((r = store_prepare(s, "PRAGMA data_version", &st)) != 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		sp->others = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return store_err(s, rc);
	sp->own = (int64_t)sqlite3_total_changes64(s->db);
	return 0;
}

int
store_check(struct store *s)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *t;
	int rc, r = CE_INTEGRITY;

	if ((rc = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st,
	    NULL)) != SQLITE_OK)
		return store_err(s, rc);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (t = sqlite3_column_text(st, 0)) != NULL &&
	    strcmp((const char *)t, "ok") == 0)
		r = 0;
	else
		err_set_detail("PRAGMA integrity_check failed");
	sqlite3_finalize(st);
	return r;
}
