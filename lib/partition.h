/*
 * partition: partitions of the emulated HSM and their policies.
 *
 * The HSM SO creates a partition (label, version V0 or V1); its Partition
 * SO (PO) initializes it with a PO credential, a KDF profile and the first
 * cloning domain. Initialization makes the partition's random keys: the
 * partition storage key (PSK, 32 bytes) that seals every object, and the
 * domain storage key (DSK) that seals the domain keys; neither is ever
 * stored in clear (lib/role.h says which credential opens which).
 *
 * Partition policies: allow cloning (effective only when the HSM's policy
 * 7 allows it too; changing it erases every object, as on Luna), storage
 * size (default 32 MiB, a Luna A750 partition; a new object past it is
 * refused with CE_FULL) and the lockout threshold (PO/CO failed logins,
 * 3..10, default 10) and, on PED HSMs, whether the CO and CU may be
 * activated (lib/activation.h; default on; turning it off drops every
 * activation of the partition).
 */
#ifndef COFFER_PARTITION_H
#define COFFER_PARTITION_H

#include <stdint.h>

#include "domain.h"
#include "role.h"

struct hsm;
struct secret;
struct session;

#define PARTITION_LABEL_MAX 32
#define PARTITION_CAPACITY_DEFAULT (32ULL * 1024 * 1024)
#define PARTITION_CAPACITY_MAX (1ULL << 40)
#define PARTITION_LOCKOUT_DEFAULT 10

enum partition_state {
	PARTITION_CREATED = 0,     /* made by the SO, waiting for the PO */
	PARTITION_INITIALIZED = 1,
};

/* Partition policies (codes for `hsm partition policy`). */
enum partition_policy {
	PPOL_ALLOW_CLONING = 0,    /* 0/1, destructive */
	PPOL_STORAGE_SIZE = 1,     /* bytes */
	PPOL_LOCKOUT = 2,          /* 3..10 */
	PPOL_ACTIVATION = 3,       /* 0/1, PED HSMs: CO/CU may be activated */
};

struct partition_info {
	int64_t id;
	char label[PARTITION_LABEL_MAX + 1];
	uint64_t serial;
	int version;               /* 0 = V0, 1 = V1 (SKS) */
	int state;                 /* enum partition_state */
	int kdf;                   /* KDF profile of the role credentials */
	int allow_cloning;         /* the partition's own policy */
	int hsm_allow_cloning;     /* HSM policy 7 */
	int cloning;               /* effective: both allow it */
	uint64_t capacity;         /* storage size policy, bytes */
	uint64_t used;             /* bytes used by objects */
	uint64_t objects;
	int lockout;
	int allow_activation;      /* PED: the activation policy */
	int domains;
	int64_t created;
	int64_t initialized;
	uint64_t psk_gen;          /* the PSK's generation: 1, +1 a rekey */
	struct role_status roles[3];  /* PO, CO, CU */
};

/* Parameters of partition initialization by the PO. */
struct partition_init_params {
	const char *new_label;     /* NULL: keep the label given at creation */
	int kdf;                   /* KDF profile of the credentials */
	const char *domain_label;  /* NULL: "default" */
	struct domain_spec domain; /* the first domain's type, profile, salt */
};

/* Creates partition label (SO logged in on h). version 0; 1 is V1 (SKS). */
int partition_create(struct hsm *h, const char *label, int version);

/* Deletes a partition and everything in it (SO). */
int partition_delete(struct hsm *h, const char *label);

/*
 * The PO initializes partition label: po is the new PO credential, domain
 * the first cloning domain's secret (a typed password for
 * DOMAIN_PASSWORD, 32 random bytes for DOMAIN_PED). A partition that is
 * already initialized is CE_EXISTS (zeroize it first).
 */
int partition_init(struct hsm *h, const char *label,
    const struct partition_init_params *p, const struct secret *po,
    const struct secret *domain);

/* Facts about a partition; no login needed (labels and sizes are not secret). */
int partition_get_info(struct hsm *h, const char *label,
    struct partition_info *ip);

/* Same for the partition of a session. */
int partition_session_info(struct session *s, struct partition_info *ip);

/* Calls cb for every partition of h in label order. */
int partition_list(struct hsm *h,
    int (*cb)(void *ctx, const struct partition_info *pi), void *ctx);

/*
 * Zeroizes a partition: objects, domains, role credentials and keys are
 * destroyed; it returns to the created state for the PO to initialize again.
 * Authorized by the SO (hsm_so_ok(h)) or a PO session (s, may be NULL).
 */
int partition_zeroize(struct hsm *h, struct session *s, const char *label,
    const char *why);

/* Sets a partition policy (PO session). Changing allow-cloning erases
 * every object. */
int partition_policy_set(struct session *s, int policy, uint64_t value);

/* Parses a policy name ("allow-cloning", "storage-size", "lockout") or code. */
int partition_policy_parse(const char *name, int *policyp);
const char *partition_policy_name(int policy);

/* What a rekey did (lib/partition_rekey.c). */
struct partition_rekey_stats {
	uint64_t psk_gen;          /* the new PSK's generation */
	int roles;                 /* role wraps of the PSK re-sealed */
	uint64_t objects;          /* V0: object values re-sealed */
	uint64_t blobs;            /* V1: blobs re-sealed by the SMK rollover */
	int smk_wraps;             /* V1: SMK wraps re-made */
};

/*
 * `hsm partition rekey` (CO): a new partition storage key; every role's
 * wrap of it, the DSK's wrap, every V0 object value, a V1 partition's SMK
 * wraps and sks.db pointer MAC re-sealed under it, in one transaction;
 * the old PSK's wraps destroyed (WAL included). A V1 partition's SMK is
 * rolled over first. Activations are dropped. A crash at any moment
 * leaves the partition wholly under the old or the new key (a V1 one
 * finishes at the next session). CE_POLICY when a role holding the PSK
 * has not logged in since hsm.db schema 4 (named in the detail).
 */
int partition_rekey(struct session *s, struct partition_rekey_stats *st);

#endif
