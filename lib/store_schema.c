#include "store_schema.h"

/*
 * Secrets never appear here in clear: credential-derived keys are never
 * stored, the partition storage key (PSK) and domain storage key (DSK) are
 * stored only as AES-256-GCM wraps, object values only sealed under the PSK,
 * SKS master keys only wrapped under the PSK.
 */
const char store_schema_v2[] =
    "CREATE TABLE meta ("
    " key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE hsm ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " state INTEGER NOT NULL,"           /* 1 initialized, 2 zeroized */
    " label TEXT NOT NULL,"
    " serial INTEGER NOT NULL,"
    " auth TEXT NOT NULL DEFAULT 'password',"
    " kdf INTEGER NOT NULL,"
    " so_salt BLOB, so_check BLOB,"
    " so_fail INTEGER NOT NULL DEFAULT 0,"
    " allow_cloning INTEGER NOT NULL DEFAULT 1,"  /* HSM policy 7 */
    " so_reset_pin INTEGER NOT NULL DEFAULT 0,"   /* HSM policy 15 */
    " created INTEGER NOT NULL,"
    " audit_key BLOB NOT NULL,"
    " audit_seq INTEGER NOT NULL DEFAULT 0,"
    " audit_head BLOB NOT NULL,"
    " audit_size INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE partition ("
    " id INTEGER PRIMARY KEY,"
    " label TEXT NOT NULL UNIQUE,"
    " serial INTEGER NOT NULL UNIQUE,"
    " version INTEGER NOT NULL DEFAULT 0 CHECK (version IN (0, 1)),"
    " state INTEGER NOT NULL DEFAULT 0,"  /* 0 created, 1 initialized */
    " kdf INTEGER,"
    " allow_cloning INTEGER NOT NULL DEFAULT 1,"
    " capacity INTEGER NOT NULL DEFAULT 33554432,"
    " lockout INTEGER NOT NULL DEFAULT 10,"
    " allow_activation INTEGER NOT NULL DEFAULT 1,"  /* PED: policy */
    " used INTEGER NOT NULL DEFAULT 0,"
    " count INTEGER NOT NULL DEFAULT 0,"
    " dsk_wrap BLOB,"                     /* DSK under the PSK */
    " created INTEGER NOT NULL,"
    " initialized INTEGER);"
    "CREATE TABLE role ("
    " partition_id INTEGER NOT NULL REFERENCES partition(id)"
    "  ON DELETE CASCADE,"
    " role INTEGER NOT NULL,"
    " kdf INTEGER NOT NULL,"
    " salt BLOB NOT NULL,"
    " psk_wrap BLOB,"
    " dsk_wrap BLOB,"
    " fail INTEGER NOT NULL DEFAULT 0,"
    " locked INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (partition_id, role));"
    "CREATE TABLE domain ("
    " partition_id INTEGER NOT NULL REFERENCES partition(id)"
    "  ON DELETE CASCADE,"
    " label TEXT NOT NULL,"
    " type INTEGER NOT NULL,"
    " kdf INTEGER NOT NULL,"
    " is_primary INTEGER NOT NULL DEFAULT 0,"
    " pos INTEGER NOT NULL,"
    " wrap BLOB NOT NULL,"
    " created INTEGER NOT NULL,"
    " PRIMARY KEY (partition_id, label));"
    "CREATE TABLE object ("
    " id INTEGER PRIMARY KEY,"
    " partition_id INTEGER NOT NULL REFERENCES partition(id)"
    "  ON DELETE CASCADE,"
    " label TEXT NOT NULL,"
    " class INTEGER NOT NULL,"
    " key_type INTEGER NOT NULL,"
    " bits INTEGER NOT NULL,"
    " size INTEGER NOT NULL,"
    " attrs BLOB NOT NULL,"
    " value BLOB NOT NULL,"
    " created INTEGER NOT NULL,"
    " UNIQUE (partition_id, label));"
    /* PED partitions: a CO's or CU's secret cached under a challenge
     * (lib/activation.h); it goes with its role row. */
    "CREATE TABLE activation ("
    " partition_id INTEGER NOT NULL,"
    " role INTEGER NOT NULL,"
    " kdf INTEGER NOT NULL,"
    " salt BLOB NOT NULL,"
    " wrap BLOB NOT NULL,"
    " created INTEGER NOT NULL,"
    " PRIMARY KEY (partition_id, role),"
    " FOREIGN KEY (partition_id, role) REFERENCES role(partition_id, role)"
    "  ON DELETE CASCADE);"
    STORE_SCHEMA_SMK_TABLE
    "INSERT INTO meta VALUES ('schema_version', '2');";
