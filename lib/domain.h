/*
 * domain: cloning domains of a partition.
 *
 * A domain key is 32 bytes. A password domain's key is
 *   HKDF-SHA-384(salt = "coffer-domain-v1", ikm = Argon2id(password,
 *   salt = "coffer.domain.v1", profile), info = "password-domain") ;
 * a PED domain's key is the same HKDF over 32 random bytes (kept by people
 * as an M-of-N share set) with info "ped-domain". The Argon2id salt is a
 * fixed context string on purpose: two partitions given the same password
 * (and profile) must arrive at the same key. The profile is part of the
 * domain and is recorded with it.
 *
 * A partition holds one to three domains (Extended Domain Management),
 * each with a label (1..32 chars, unique in the partition), a type and a
 * primary flag; the keys are stored wrapped under the partition's domain
 * storage key. The PO adds, removes (never the last), relabels and picks
 * the primary; a CO or CU session may read the list with keys for the
 * transfer protocol. The fingerprint is for people comparing partitions by
 * eye; it never goes on the wire or into an archive.
 */
#ifndef COFFER_DOMAIN_H
#define COFFER_DOMAIN_H

#include <stddef.h>
#include <stdint.h>

struct secret;
struct session;

#define DOMAIN_MAX 3
#define DOMAIN_LABEL_MAX 32
#define DOMAIN_KEY_LEN 32
#define DOMAIN_PED_SECRET_LEN 32
#define DOMAIN_FP_LEN 20 /* "XXXX-XXXX-XXXX-XXXX" + NUL */

enum domain_type {
	DOMAIN_PASSWORD = 1,
	DOMAIN_PED = 2,
};

struct domain_entry {
	char label[DOMAIN_LABEL_MAX + 1];
	int type;             /* enum domain_type */
	int kdf;              /* Argon2id profile (password domains) */
	int primary;
	int64_t created;
	struct secret *key;   /* DOMAIN_KEY_LEN bytes */
};

/* A partition's domains: primary first, then in the order added. */
struct domain_list {
	size_t n;
	struct domain_entry d[DOMAIN_MAX];
};

/*
 * Derives a domain key from its secret: a typed password (DOMAIN_PASSWORD,
 * under kdf) or DOMAIN_PED_SECRET_LEN random bytes (DOMAIN_PED, kdf unused).
 */
int domain_key_derive(int type, int kdf, const struct secret *material,
    struct secret **keyp);

/* Writes the fingerprint of a domain key as "XXXX-XXXX-XXXX-XXXX". */
int domain_fingerprint(const struct secret *key, char out[DOMAIN_FP_LEN]);

/*
 * A salted check of a domain key, as a backup records it (docs/formats.md
 * 7.3): the first DOMAIN_CHECK_LEN bytes of HMAC-SHA-384 keyed by the key
 * over "coffer-domain-check 1" and the salt. With a fresh salt per backup it
 * links no two backups, and testing a password against it costs the
 * domain's whole Argon2id run, as a login does.
 */
#define DOMAIN_CHECK_LEN 16
#define DOMAIN_SALT_LEN 16
int domain_check(const struct secret *key, const uint8_t salt[DOMAIN_SALT_LEN],
    uint8_t out[DOMAIN_CHECK_LEN]);

/* "password"/"ped" <-> DOMAIN_*. */
int domain_type_parse(const char *name, int *typep);
const char *domain_type_name(int type);

/* Checks a domain label: 1..32 printable characters. */
int domain_label_check(const char *label);

/* Reads the partition's domains with their keys (PO, CO or CU session). */
int domain_list_get(struct session *s, struct domain_list *lp);

/* Wipes the keys of l. */
void domain_list_clear(struct domain_list *l);

/*
 * PO: adds a domain whose key was made by domain_key_derive(). CE_FULL past
 * three, CE_EXISTS for a label in use, CE_EXISTS also when the same key is
 * already there under another label. With primary set it becomes primary.
 */
int domain_add(struct session *s, const char *label, int type, int kdf,
    const struct secret *key, int primary);

/* PO: removes a domain; refuses the last one (CE_POLICY). If it was the
 * primary, the oldest remaining becomes primary. */
int domain_remove(struct session *s, const char *label);

/* PO: renames a domain. */
int domain_relabel(struct session *s, const char *label, const char *newlabel);

/* PO: makes label the primary domain. */
int domain_set_primary(struct session *s, const char *label);

#endif
