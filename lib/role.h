/*
 * role: partition roles, logins and sessions, with Luna's lockout rules.
 *
 * Roles: the Partition SO (PO) initializes the partition and the Crypto
 * Officer; the CO creates, deletes and uses objects and initializes the
 * Crypto User; the CU uses objects and creates public objects only.
 *
 * What a role's credential opens (docs/security.md):
 *   CO, CU  the partition storage key (PSK), and through it the domain
 *           storage key (DSK);
 *   PO      the DSK (to manage cloning domains), and the PSK only while no
 *           CO exists or while HSM policy 15 is on (so the PO can reset the
 *           CO); when policy 15 is off the PO's PSK wrap is dropped at CO
 *           initialization or at the PO's next login.
 *
 * Lockout: failed logins count per role and reset on success. At the
 * partition's lockout threshold (policy, default 10): PO failures zeroize
 * the partition; CO failures lock the CO and the CU; CU failures lock the
 * CU. The PO may unlock only when HSM policy 15 is on.
 *
 * Credentials are struct secret bytes: a typed password on a password HSM,
 * the secret recombined from an M-of-N share set on a PED HSM (lib/cred.h
 * reads either), through the same path. PED partitions may also be
 * activated (lib/activation.h).
 */
#ifndef COFFER_ROLE_H
#define COFFER_ROLE_H

#include <stdint.h>

struct hsm;
struct secret;
struct session;

enum role {
	ROLE_SO = 0, /* HSM SO: lib/hsm.h hsm_so_login() */
	ROLE_PO = 1,
	ROLE_CO = 2,
	ROLE_CU = 3,
};

/* "so", "po", "co", "cu" (and "crypto-officer" ... spellings) to ROLE_*. */
int role_parse(const char *name, int *rolep);

/* Returns "so", "po", "co" or "cu". */
const char *role_name(int role);

/*
 * Logs in to partition `label` of h as role with credential cred and
 * returns a session holding the keys the role may open. Errors:
 * CE_NOT_FOUND (no such partition), CE_INVALID (not initialized),
 * CE_NOT_FOUND with detail (role not initialized), CE_LOCKED,
 * CE_BAD_CREDENTIAL (counted), CE_ZEROIZED (this failure zeroized it).
 */
int session_login(struct hsm *h, const char *label, int role,
    const struct secret *cred, struct session **sp);

/* Wipes the keys and frees s; NULL is fine. */
void session_close(struct session *s);

/* Accessors. */
struct hsm *session_hsm(const struct session *s);
int session_role(const struct session *s);
int64_t session_partition_id(const struct session *s);
uint64_t session_serial(const struct session *s);
const char *session_label(const struct session *s);
int session_version(const struct session *s);
/* The PSK (NULL when the role holds none): for modules that wrap partition
 * secrets under it, e.g. the SKS master key. */
const struct secret *session_psk(const struct session *s);

/*
 * Initializes (or, by the PO with policy 15 on, resets) a role's
 * credential: the PO initializes the CO, the CO the CU.
 */
int role_init(struct session *s, int role, const struct secret *cred);

/*
 * The MAC that binds partition serial's KDF profile kdf to its domain
 * storage key, which every role of the partition holds (docs/formats.md
 * 2.2): HMAC-SHA-384 under HKDF(DSK, "coffer-partition-kdf-mac 1") over
 * the serial (u64 big-endian) and the profile (u8), first
 * ROLE_KDF_MAC_LEN bytes.
 */
#define ROLE_KDF_MAC_LEN 16
int role_kdf_mac(const struct secret *dsk, uint64_t serial, int kdf,
    uint8_t out[ROLE_KDF_MAC_LEN]);

/* Changes the logged-in role's own credential (re-wraps its keys). */
int role_change(struct session *s, const struct secret *newcred);

/*
 * The PO unlocks a locked CO (and CU) or CU: needs HSM policy 15,
 * CE_POLICY otherwise.
 */
int role_unlock(struct session *s, int role);

/* Per-role state for partition show. */
struct role_status {
	int role;
	int initialized;
	int failures;
	int locked;
	int holds_psk;
	int activated;   /* PED: the secret is cached under a challenge */
};

/* Fills st[0..3) with PO, CO, CU status of the partition s is in
 * (works without a session via partition.h). */
int role_status_get(struct hsm *h, int64_t pid, struct role_status st[3]);

#endif
