/*
 * backup_p11: backups of a real PKCS#11 token (docs/pkcs11.md "BACKING UP
 * A TOKEN"), and restoring a backup onto one.
 *
 * A token backup is an ordinary Coffer backup (docs/formats.md 7): its
 * objects are V0 object records sealed under one password cloning domain
 * (given by its domain string and password, as `domains add` takes one,
 * since a token has no domain of its own) and the backup partition
 * password. It restores into any Coffer partition that holds the domain,
 * or onto a token. The manifest names the token by label and serial (the
 * series), with "pkcs11" as the source HSM's serial.
 *
 * Keys leave the token only wrapped (lib/p11mod.h). Coffer keeps a key
 * pair as one private key record carrying its public key, so a public key
 * with the label, CKA_ID and key type of an exported private key is that
 * record's; every other public key, certificate and data object is a
 * record of its own. Labels are unique in a Coffer partition: an object
 * without one is named "<class>-<CKA_ID hex>" (or "-<n>"), a repeated
 * one gets "~2", "~3"..., each reported through on_note.
 */
#ifndef COFFER_BACKUP_P11_H
#define COFFER_BACKUP_P11_H

#include <stddef.h>
#include <stdint.h>

#include "backup.h"

struct domain_spec;
struct p11mod;

/* An object that did not leave the token, and why. */
typedef void backup_p11_skip_fn(void *ctx, const char *label,
    const char *idhex, const char *cls, const char *reason);
typedef void backup_p11_note_fn(void *ctx, const char *msg);

struct backup_p11_params {
	const struct secret *password;     /* the backup partition password */
	int kdf;                           /* its profile, KDF_* */
	const struct xfer_domain *domain;  /* the domain sealing it */
	const struct domain_spec *spec;    /* its public part */
	backup_p11_skip_fn *on_skip;
	backup_p11_note_fn *on_note;       /* may be NULL */
	void *ctx;
};

struct backup_p11_result {
	struct backup_result b;
	uint64_t not_exported;             /* objects that stayed */
	char transport[64];                /* e.g. "RSA-3072 OAEP SHA-256, ..." */
};

/*
 * Backs up the token of m (logged in) into st. Every object that cannot
 * leave is passed to on_skip and counted; the backup is made anyway.
 * CE_FULL / store errors as backup_make; CE_CRYPTO when the token refuses
 * the transport (the detail names the call).
 */
int backup_p11_make(struct p11mod *m, struct bstore *st,
    const struct backup_p11_params *p, struct backup_p11_result *res);

struct restore_p11_params {
	const struct secret *password;
	const struct xfer_domain *doms;    /* the domain(s) to open it */
	size_t ndoms;
	/* Called per object kept because the token holds one of its class
	 * and label (restore --add). */
	void (*on_skip)(void *ctx, const char *label, const char *reason);
	void *ctx;
};

/*
 * Restores backup name of st onto the token of m (logged in): every
 * record through lib/p11mod's import. A V1 backup is CE_UNSUPPORTED
 * (restore it into a partition). On any failure every object made is
 * destroyed again. transport (64 bytes, may be NULL) gets what carried
 * the keys.
 */
int backup_p11_restore(struct p11mod *m, struct bstore *st, const char *name,
    const struct restore_p11_params *p, struct restore_result *res,
    char *transport);

#endif
