/*
 * hsm: an emulated HSM is a directory holding hsm.db (lib/store) and
 * audit.log (lib/audit). This module opens and initializes it, keeps the
 * HSM-wide state (label, serial, KDF profile, HSM policies), authenticates
 * the HSM Security Officer with Luna's lockout (3 failed SO logins zeroize
 * the HSM) and zeroizes.
 *
 * Typical use by another tool:
 *
 *   struct hsm *h; struct session *s;
 *   hsm_open(dir, &h);                                   // lib/hsm.h
 *   session_login(h, "label", ROLE_CO, cred, &s);        // lib/role.h
 *   partition_get_info(s->..) / object_foreach(s, ...)   // lib/partition.h, lib/object.h
 *   session_close(s); hsm_close(h);
 *
 * Transactions: every mutating function here and in partition, role,
 * object and domain runs in one store transaction of its own (BEGIN
 * IMMEDIATE), together with its audit record. Callers that need several
 * steps atomic use hsm_tx_begin()/hsm_tx_commit() around them; the
 * library functions then join that transaction instead of opening one.
 */
#ifndef COFFER_HSM_H
#define COFFER_HSM_H

#include <stddef.h>
#include <stdint.h>

#include "audit.h"

struct hsm;
struct secret;
struct store;

#define HSM_LABEL_MAX 32
#define HSM_DB_NAME "hsm.db"
#define HSM_AUDIT_NAME "audit.log"
#define HSM_SO_LOCKOUT 3

/* HSM policies, numbered as on a Luna HSM. */
#define HSM_POLICY_ALLOW_CLONING 7 /* destructive: erases every object */
#define HSM_POLICY_SO_RESET_PIN 15 /* lets the PO unlock a locked CO/CU */

/* How credentials are presented: chosen at init, as on a Luna HSM. */
enum hsm_auth {
	HSM_AUTH_PASSWORD = 1, /* typed passwords */
	HSM_AUTH_PED = 2,      /* multifactor: every credential an M-of-N set */
};

enum hsm_state {
	HSM_STATE_INITIALIZED = 1,
	HSM_STATE_ZEROIZED = 2,
};

struct hsm_init_params {
	const char *label;   /* 1..32 printable characters */
	uint64_t serial;     /* 0: random 10-digit serial */
	int kdf;             /* KDF_* profile for the SO credential */
	int auth;            /* HSM_AUTH_PASSWORD (default) or HSM_AUTH_PED */
	int allow_cloning;   /* HSM policy 7 (default 1) */
	int so_reset_pin;    /* HSM policy 15 (default 0) */
	int backup;          /* a Backup HSM: backup partitions only */
};

struct hsm_info {
	int state;                     /* enum hsm_state */
	char label[HSM_LABEL_MAX + 1];
	uint64_t serial;
	char auth[16];                 /* "password" or "ped" */
	int ped;                       /* 1 on a PED (multifactor) HSM */
	int kdf;
	int allow_cloning;             /* policy 7 */
	int so_reset_pin;              /* policy 15 */
	int so_failures;               /* failed SO logins since the last good one */
	int64_t created;
	uint64_t partitions;
	uint64_t audit_records;
	int backup;                    /* 1 on a Backup HSM */
};

/* Fills p with the defaults (label NULL, interactive KDF, password
 * authentication, cloning on). */
void hsm_init_params_default(struct hsm_init_params *p);

/*
 * Initializes the HSM in dir (created 0700 if missing) with the SO
 * credential so (on a PED HSM: the secret a new share set was made from;
 * lib/cred.h). A directory that already holds an initialized HSM is
 * CE_EXISTS; a zeroized one is re-initialized in place (its audit log
 * and chain continue).
 */
int hsm_init(const char *dir, const struct hsm_init_params *p,
    const struct secret *so);

/*
 * Backup HSMs (hsm init --backup, docs/backup-hsm.md): an HSM that holds
 * only backup partitions. It has its own SO, lockout and audit chain, but
 * no partition of its own and no key use: hsm_refuse_backup() is CE_POLICY
 * on one (with a detail saying so), 0 on any other HSM. The kind is kept
 * in hsm.db's meta table and read at hsm_open().
 */
int hsm_is_backup(const struct hsm *h);
int hsm_refuse_backup(const struct hsm *h);

/* Opens an existing HSM directory. */
int hsm_open(const char *dir, struct hsm **hp);

/* Closes h (rolls back an open transaction); NULL is fine. */
void hsm_close(struct hsm *h);

/* HSM-wide facts; works on a zeroized HSM too (state says so). */
int hsm_get_info(struct hsm *h, struct hsm_info *ip);

/* Returns 1 when the HSM is a PED (multifactor) HSM, 0 when it takes
 * passwords, or a negative CE_* code (not initialized, store error). */
int hsm_is_ped(struct hsm *h);

/* Returns the directory, the store and the audit log path. */
const char *hsm_dir(const struct hsm *h);
struct store *hsm_store(struct hsm *h);
const char *hsm_audit_path(const struct hsm *h);

/*
 * Authenticates the HSM SO. A wrong credential counts a failure
 * (CE_BAD_CREDENTIAL); the third in a row zeroizes the HSM
 * (CE_ZEROIZED). Success resets the counter and marks h as SO-authorized
 * for the SO functions below.
 */
int hsm_so_login(struct hsm *h, const struct secret *so);

/* Returns 1 after a successful hsm_so_login() on h. */
int hsm_so_ok(const struct hsm *h);

/*
 * Sets HSM policy 7 or 15 to 0/1 (SO). Changing policy 7 is destructive,
 * as on Luna: every object of every partition is erased.
 */
int hsm_policy_set(struct hsm *h, int policy, int value);

/* Changes the SO credential (SO). */
int hsm_so_change(struct hsm *h, const struct secret *newso);

/*
 * Zeroizes the whole HSM: partitions, objects, credentials are destroyed;
 * the audit log and its key are kept (evidence). With tamper set it needs no
 * SO login (a simulated physical tamper event), otherwise SO.
 */
int hsm_zeroize(struct hsm *h, int tamper, const char *why);

/* Transactions spanning several library calls (see above). */
/*
 * PED HSMs: the tag (lib/share.h share_set_tag) of the share set that
 * logs a role in — the HSM SO when label is NULL, else role of partition
 * label. check (record 0): 0 when tag is the recorded one or none is
 * recorded yet; CE_BAD_CREDENTIAL when another set is recorded, so shares
 * of a forged or foreign set are refused before any login and never count
 * toward a lockout. record (record 1), after a successful login: records
 * tag if none is (a credential change clears it). Tags are 16 bytes.
 */
#define HSM_SHARE_TAG_LEN 16   /* = SHARE_TAG_LEN (lib/share.h) */
int hsm_share_tag(struct hsm *h, const char *label, int role,
    const uint8_t *tag, int record);

int hsm_tx_begin(struct hsm *h);
int hsm_tx_commit(struct hsm *h);
void hsm_tx_rollback(struct hsm *h);

/*
 * Appends an audit event (clone, backup, restore, ...). Inside a
 * transaction it joins it; otherwise it runs in one of its own.
 */
int hsm_audit(struct hsm *h, const struct audit_event *ev);

/*
 * Checks the audit chain (lib/audit.h audit_verify); after hsm_so_login()
 * on h also the MAC of every record of each epoch made under the current
 * SO credential (audit_verify_keyed).
 */
int hsm_audit_verify(struct hsm *h, struct audit_report *repp);

/*
 * Records an "audit-export" event, then writes a signed head of the chain
 * that includes it (docs/formats.md 3.3) to headout and, when logout is
 * not NULL, the committed log up to that head to logout; both new files,
 * mode 0600, never overwritten. *seqp: the head's sequence number. No
 * credential: it needs write access to the HSM directory.
 */
int hsm_audit_export(struct hsm *h, const char *logout, const char *headout,
    uint64_t *seqp);

/* Checks a signed head against this HSM and its log (audit_head_check). */
int hsm_audit_head_check(struct hsm *h, const void *text, size_t len,
    struct audit_headinfo *hip);

/* The public key that signs this HSM's audit heads. */
int hsm_audit_pubkey(struct hsm *h, uint8_t pk[AUDIT_PUBKEY_LEN]);

/*
 * The officer's way out of a log that runs past hsm.db's head (a partial
 * restore, an extended log): moves every byte past the head into
 * path (audit.log.quarantine-<UTC stamp>, 0600, never overwritten),
 * cuts the log back to the head and records an "audit-quarantine" event,
 * in one transaction. Nothing is deleted. *linesp: lines moved (0: no
 * tail, nothing done, path ""). No credential: it needs what the fault
 * needed, write access to the HSM directory.
 */
int hsm_audit_quarantine(struct hsm *h, char *path, size_t pathlen,
    uint64_t *linesp);

/* Checks label syntax: 1..max bytes, printable ASCII, no leading space. */
int hsm_label_check(const char *what, const char *label, size_t max);

#endif
