/*
 * store_schema: the SQL that creates schema version STORE_SCHEMA_VERSION.
 * Kept apart from store.c so the tables read in one place; documented in
 * docs/formats.md section 2.
 */
#ifndef COFFER_STORE_SCHEMA_H
#define COFFER_STORE_SCHEMA_H

extern const char store_schema_v2[];

/*
 * Schema 2 adds the SKS master keys of V1 partitions (lib/sks_smk.c): one
 * row per SMK generation, the current one and the retired ones (wrap NULL,
 * kept so an old extract is refused by name).
 */
#define STORE_SCHEMA_SMK_TABLE \
    "CREATE TABLE smk (" \
    " partition_id INTEGER NOT NULL REFERENCES partition(id)" \
    "  ON DELETE CASCADE," \
    " smk_id BLOB NOT NULL," \
    " gen INTEGER NOT NULL," \
    " state INTEGER NOT NULL," /* 0 pending, 1 current, 2 retired */ \
    " wrap BLOB," \
    " created INTEGER NOT NULL," \
    " retired INTEGER," \
    " PRIMARY KEY (partition_id, smk_id));"

/*
 * Schema 5: the epochs of the audit chain (lib/audit.c, docs/formats.md
 * 3.2). An epoch starts at `hsm init`, a re-initialization and after
 * each SO login; its start key opens under the SO credential of that time (kdf, salt, wrap),
 * or, for a chain begun before schema 6, sits in key until the SO's next
 * login wraps it. Records from ratchet_seq on ratchet the key.
 */
#define STORE_SCHEMA_AUDIT_EPOCH_TABLE \
    "CREATE TABLE audit_epoch (" \
    " first_seq INTEGER PRIMARY KEY," \
    " ratchet_seq INTEGER NOT NULL," \
    " kdf INTEGER," \
    " salt BLOB," \
    " wrap BLOB," \
    " key BLOB);"

#endif
