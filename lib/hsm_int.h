/*
 * hsm_int: what the emulated HSM's own modules (hsm, partition, role,
 * object, domain, sks) share and nothing else should touch: the
 * layout of struct hsm and struct session, and the transaction helpers.
 */
#ifndef COFFER_HSM_INT_H
#define COFFER_HSM_INT_H

#include <stdint.h>

#include "hsm.h"
#include "kdf.h"
#include "role.h"
#include "store.h"

struct buf;

/*
 * Rows each DELETE of a partition's erase takes (store_delete_batches):
 * a string, since it is part of the SQL text.
 */
#define ERASE_BATCH "65536"

struct hsm {
	char *dir;
	char *dbpath;
	char *logpath;
	struct store *st;
	struct store *sks;        /* sks.db (V1 blobs), NULL until needed */
	int so_ok;
	struct secret *so_kek;    /* the SO's KEK while logged in (audit epochs) */
	uint8_t so_salt[KDF_SALT_LEN]; /* its salt */
	int user_tx;              /* hsm_tx_begin() is open */
	int quarantine;           /* tx_begin leaves the audit tail alone */
	uint64_t audit_size;      /* committed audit.log length at begin */
	int backup;               /* a Backup HSM (meta kind = backup) */
};

struct session {
	struct hsm *h;
	int64_t pid;              /* partition row id */
	uint64_t serial;
	char label[HSM_LABEL_MAX + 1];
	int role;                 /* ROLE_* */
	int version;              /* 0 or 1 */
	struct secret *psk;       /* partition storage key, NULL if the role has none */
	uint64_t psk_gen;         /* its generation (partition.psk_gen) */
	struct secret *dsk;       /* domain storage key */
	int by_challenge;         /* PED: logged in with an activation challenge */
	struct secret *smk;       /* V1: SKS master key, loaded on first use */
	uint8_t smk_id[16];       /* its id (lib/sks.h) */
	/* its blob keys, set up on first use (sks_obj.c), for smk_keys_id:
	 * as long-lived as smk itself, and dropped with it */
	struct sks_blob_keys *smk_keys;
	uint8_t smk_keys_id[16];
	uint64_t smk_gen;
	struct buf *sks_rec;      /* V1 scratch: a record, then its blob */
	struct buf *sks_blob;
};

/*
 * Transactions span hsm.db and, once attached, sks.db: both begin together
 * and hsm.db commits first (lib/sks.h says why that order).
 *
 * Opens a transaction unless the caller's is open; *ownp says whether this
 * call owns it. hsm_tx_leave() commits an owned transaction when r is 0
 * (or always with keep set: failure counters must stick even though the
 * call fails) and rolls it back otherwise; it returns r, or the commit's
 * error.
 */
int hsm_tx_enter(struct hsm *h, int *ownp);
int hsm_tx_leave(struct hsm *h, int own, int r, int keep);

/* audit_append() on h's log; only inside a transaction. */
int hsm_audit_tx(struct hsm *h, const struct audit_event *ev);

/* Fills an event with no optional fields. */
void hsm_event(struct audit_event *ev, const char *event, int ok);

/* Appends a partition event (role, label, serial, detail) in the
 * current transaction. */
int hsm_audit_part(struct hsm *h, const char *event, int ok, const char *role,
    const char *label, uint64_t serial, const char *detail);

/*
 * Tests only: when set, called at named points of multi-step commits
 * ("between-commits": hsm.db committed, sks.db not yet; "rollover-pending",
 * "rollover-switched"), where a test child may _exit() to act out a crash.
 */
extern void (*hsm_test_hook)(const char *point);

/*
 * A named point: calls hsm_test_hook, and dies there (exit 137, as a crash
 * would) when COFFER_TEST_CRASH_AT names it, for the end-to-end tests.
 */
void hsm_test_point(const char *point);

/* Zeroizes inside the current transaction (SO lockout, hsm_zeroize). */
int hsm_zeroize_tx(struct hsm *h, const char *why);

/*
 * After a committed zeroization: folds the write-ahead log into hsm.db and
 * truncates it, so destroyed wraps do not survive in the WAL (secure_delete
 * already zeroes the freed pages). Best effort: a reader may hold the WAL.
 */
void hsm_checkpoint(struct hsm *h);

/* Erases every object of partition pid (all when pid is 0) in the transaction. */
int hsm_erase_objects_tx(struct hsm *h, int64_t pid);

/* Reads the HSM state (CE_ZEROIZED unless initialized). */
int hsm_require_initialized(struct hsm *h);

/* One-row helpers: steps a cached statement expecting SQLITE_DONE. */
int hsm_step_done(struct hsm *h, sqlite3_stmt *q);


struct buf;
struct domain_spec;
struct secret;

/* Inserts a domain wrapped under dsk (inside a transaction). */
int domain_insert_tx(struct hsm *h, int64_t pid, uint64_t serial,
    const struct secret *dsk, const char *label, const struct domain_spec *sp,
    const struct secret *key, int primary);

/* Zeroizes partition pid inside a transaction (PO lockout, zeroize). */
int partition_zeroize_tx(struct hsm *h, int64_t pid, const char *label,
    uint64_t serial, const char *why);

/* The serial of partition row pid. */
int partition_serial_of(struct hsm *h, int64_t pid, uint64_t *serialp);

/* The PSK generation of partition row pid (+1 a rekey; schema 4). */
int partition_psk_gen_of(struct hsm *h, int64_t pid, uint64_t *genp);

/* Looks up a partition's id, serial, state and version by label. */
int partition_lookup(struct hsm *h, const char *label, int64_t *pidp,
    uint64_t *serialp, int *statep, int *versionp);

/*
 * session_login() with a note on how the credential came (NULL, or e.g.
 * "by activation challenge") for the audit record and the failure detail.
 */
int session_login_how(struct hsm *h, const char *label, int role,
    const struct secret *cred, const char *how, struct session **sp);

/*
 * A CO or CU session from the keys an activation cached (lib/activation.h):
 * the PSK of generation gen. Inside the write transaction it checks what a
 * login checks (partition initialized, role not locked), that gen is still
 * the partition's (CE_BUSY after a rekey: activate again) and that the PSK
 * opens the partition's DSK (CE_INTEGRITY otherwise); then it resets the
 * role's failure count and audits a login with how. The session is marked
 * as a challenge session: it uses keys and never sets credentials.
 */
int session_login_keys(struct hsm *h, const char *label, int role,
    const struct secret *psk, uint64_t gen, const char *how,
    struct session **sp);

/*
 * Counts a failed login of role inside a transaction and applies the
 * lockout (zeroize on the PO, lock the CO+CU or the CU). Returns
 * CE_BAD_CREDENTIAL, CE_LOCKED or CE_ZEROIZED with a detail line.
 */
int role_login_failed_tx(struct hsm *h, int64_t pid, uint64_t serial,
    const char *label, int role, const char *how);

/*
 * Credential administration (role init, role change) is for holders of the
 * shares: a session opened with an activation challenge gets CE_POLICY, so
 * whoever holds the challenge cannot lock the share holders out.
 */
int activation_need_shares(const struct session *s, const char *what);

/* Drops the activation of role (if any) with an audit record saying why. */
int activation_drop_was_tx(struct hsm *h, int64_t pid, uint64_t serial,
    const char *label, int role, const char *why, int *wasp);
int activation_drop_tx(struct hsm *h, int64_t pid, uint64_t serial,
    const char *label, int role, const char *why);

/* Wraps key (PSK or DSK) for a role credential's KEK. */
int role_wrap_key(const struct secret *kek, const char *purpose,
    uint64_t serial, int role, const struct secret *key, struct buf **outp);

/*
 * A role's keys at rest (schema 4, docs/formats.md 2.2): a new X25519 key
 * pair, its private key wrapped under the credential's KEK (key), its
 * public key (pub) and the PSK sealed to it (psk; NULL when psk is NULL).
 */
struct role_wraps {
	struct buf *key;
	uint8_t pub[32];
	struct buf *psk;
};
int role_wraps_make(const struct secret *kek, uint64_t serial, int role,
    const struct secret *psk, struct role_wraps *w);
void role_wraps_clear(struct role_wraps *w);

/* Writes (insert or replace) a role row holding w and dsk_wrap (may be
 * NULL), failures and lock cleared, in the open transaction. */
int role_row_put(struct hsm *h, int64_t pid, int role, int kdf,
    const uint8_t salt[KDF_SALT_LEN], const struct role_wraps *w,
    const struct buf *dsk_wrap);

/*
 * The rekey's part in role.c: every role row of partition pid that holds
 * the PSK gets newpsk sealed to its public key (no credential needed).
 * CE_POLICY, naming the role, when a role holding the PSK still has a row
 * from before schema 4 (it converts at its next login). *np: rows sealed.
 */
int role_psk_reseal_tx(struct hsm *h, int64_t pid, uint64_t serial,
    const char *label, const struct secret *newpsk, int *np);

/*
 * The rekey's part in object.c (V0): every object value of s's partition
 * opened under s->psk and sealed again under newpsk (same AAD), in the
 * open transaction. *countp: objects re-sealed.
 */
int object_reseal_tx(struct session *s, const struct secret *newpsk,
    uint64_t *countp);

/* CE_BUSY when the partition was rekeyed since session s logged in. */
int session_psk_current(struct session *s);

#endif
