/*
 * store: the emulated HSM's persistent store, one SQLite database per HSM.
 *
 * WAL mode, so readers never block the writer; a busy timeout, so a second
 * process waits for the first instead of failing; every mutation inside
 * store_begin()/store_commit(), which takes the write lock up front
 * (BEGIN IMMEDIATE) so two writers serialize instead of deadlocking on an
 * upgrade. The schema is versioned in the `meta` table (key
 * "schema_version"); a newer version than this code knows is refused.
 * docs/formats.md section 2 lists every table.
 */
#ifndef COFFER_STORE_H
#define COFFER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define STORE_SCHEMA_VERSION 6
/* How long a writer waits for another process's transaction. */
#define STORE_BUSY_MS 120000

struct store;

/*
 * What a database holds: a name for messages, the SQL that creates the
 * current schema, its version, and upgrades[v] taking version v-1 to v.
 */
struct store_kind {
	const char *name;
	const char *schema;
	int version;
	const char *const *upgrades;
};

/* hsm.db (lib/store_schema.c); lib/sks_store.c defines sks.db's. */
extern const struct store_kind store_kind_hsm;

/*
 * Opens the database at path. With create set, a missing database is
 * created (mode 0600) with the current schema; otherwise a missing one is
 * CE_NOT_FOUND. Returns CE_VERSION for a schema newer than this code.
 */
int store_open(const char *path, int create, struct store **sp);

/* Same for a database of another kind (sks.db). */
int store_open_kind(const char *path, int create, const struct store_kind *k,
    struct store **sp);

/* Closes s; NULL is fine. Rolls back an open transaction. */
void store_close(struct store *s);

/* Returns the SQLite handle (for modules that prepare their own SQL). */
sqlite3 *store_db(struct store *s);

/* BEGIN IMMEDIATE: waits up to STORE_BUSY_MS for the write lock. */
int store_begin(struct store *s);
int store_commit(struct store *s);

/*
 * The open transaction deletes or replaces key material (a wrap): after it
 * commits, the WAL is checkpointed and truncated so the old bytes survive
 * nowhere on disk (secure_delete handles the database file itself).
 */
void store_wipe_on_commit(struct store *s);
/* Rolls back when a transaction is open; harmless otherwise. */
void store_rollback(struct store *s);
/* Returns 1 inside a transaction. */
int store_in_tx(const struct store *s);

/* Runs SQL without results. */
int store_exec(struct store *s, const char *sql);
/*
 * Runs a DELETE whose only parameter is bound to key again and again until
 * it deletes nothing; it must delete a bounded batch each time (a LIMIT in
 * a subquery), so that memory stays flat however many rows go.
 */
int store_delete_batches(struct store *s, const char *sql, int64_t key);

/*
 * Prepares sql (cached: the same text returns the same statement, reset
 * and with bindings cleared). The statement belongs to s; do not finalize.
 */
int store_prepare(struct store *s, const char *sql, sqlite3_stmt **stp);

/* Maps a SQLite result code to CE_* (CE_BUSY, CE_FULL, CE_DB...). */
int store_err(struct store *s, int rc);

/*
 * What changes when the database does: PRAGMA data_version (which moves
 * with every commit of another connection, in this process or another) and
 * sqlite3_total_changes64 (the rows this connection changed). Equal stamps
 * taken outside a transaction mean nothing was written in between.
 */
struct store_stamp {
	int64_t others;
	int64_t own;
};
int store_stamp(struct store *s, struct store_stamp *sp);

/* Runs "PRAGMA integrity_check"; CE_INTEGRITY unless it says "ok". */
int store_check(struct store *s);

#endif
