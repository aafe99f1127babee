/*
 * domain: cloning domains of a partition.
 *
 * A domain key is 32 bytes. A password domain (form 2, docs/formats.md
 * 2.5) is its password plus a public *domain string* that `domains create`
 * makes: the profile and 16 random salt bytes. Its key is
 *   HKDF-SHA-384(salt = "coffer-domain-v2", ikm = Argon2id(password,
 *   salt = domain salt, profile), info = "password-domain"),
 * so no table of guesses serves two domains and the same password makes
 * unrelated keys in two organisations. Every partition that joins the
 * domain is given the same string. The legacy form 1 used one constant
 * salt ("coffer.domain.v1") for every installation and HKDF salt
 * "coffer-domain-v1"; such domains keep working where they are and are
 * rolled over to form 2 (docs/domains.md "Rolling over a legacy domain").
 * A PED domain's key is the HKDF (salt "coffer-domain-v1") over 32 random
 * bytes (kept by people as an M-of-N share set) with info "ped-domain".
 * The profile and salt are part of the domain and are recorded with it.
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
#define DOMAIN_SALT_LEN 16
/* "CDOM2-" profile "-" 29 symbols in groups of 5 + NUL, with room. */
#define DOMAIN_STRING_MAX 64

enum domain_type {
	DOMAIN_PASSWORD = 1,
	DOMAIN_PED = 2,
};

/* What is public about a domain: it goes in backups and domain strings. */
struct domain_spec {
	int type;             /* enum domain_type */
	int kdf;              /* Argon2id profile (password domains) */
	int salted;           /* password domains: 1 form 2, 0 legacy form 1 */
	uint8_t salt[DOMAIN_SALT_LEN];
};

struct domain_entry {
	char label[DOMAIN_LABEL_MAX + 1];
	struct domain_spec spec;
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
 * under sp's profile and, when salted, its salt) or DOMAIN_PED_SECRET_LEN
 * random bytes (DOMAIN_PED, the rest of sp unused).
 */
int domain_key_derive(const struct domain_spec *sp,
    const struct secret *material, struct secret **keyp);

/* A new form 2 password domain's spec: profile kdf, a fresh random salt. */
void domain_spec_new(int kdf, struct domain_spec *sp);

/*
 * Writes the fingerprint of a domain as "XXXX-XXXX-XXXX-XXXX": 64 bits of
 * HKDF over the key, salted with the domain salt. For a form 2 password
 * domain testing one guessed password against it costs the domain's whole
 * Argon2id run under a salt no other domain has, the same as guessing at a
 * login; a PED domain's key is random. A legacy (unsalted) password domain
 * has none: a fingerprint of it would be a cheap oracle shared by every
 * site (CE_UNSUPPORTED, with a detail naming the rollover).
 */
int domain_fingerprint(const struct domain_spec *sp, const struct secret *key,
    char out[DOMAIN_FP_LEN]);

/*
 * The domain string of a form 2 password domain, what people copy to every
 * partition that joins it (public, like a domain label):
 *   CDOM2-<profile>-<b32 of salt || 2-byte check, groups of 5>
 * The check (SHA-384 of "coffer-domain-string 2", the profile name and the
 * salt, first 2 bytes) catches a mistyped string before it makes a
 * partition with a domain nobody else has.
 */
int domain_string_format(const struct domain_spec *sp,
    char out[DOMAIN_STRING_MAX]);
int domain_string_parse(const char *s, struct domain_spec *sp);

/*
 * Which password domain a command means, from its options: a domain string
 * (join an existing form 2 domain), new (make a form 2 domain under
 * profile kdf) or legacy (an unsalted form 1 domain under kdf, to join one
 * made before form 2). Exactly one; CE_USAGE with a detail that names the
 * three otherwise.
 */
int domain_spec_choose(const char *string, int new_domain, int legacy,
    int kdf, struct domain_spec *sp);

/*
 * A salted check of a domain key, as a backup records it (docs/formats.md
 * 7.3): the first DOMAIN_CHECK_LEN bytes of HMAC-SHA-384 keyed by the key
 * over "coffer-domain-check 1" and the salt. With a fresh salt per backup it
 * links no two backups, and testing a password against it costs the
 * domain's whole Argon2id run, as a login does.
 */
#define DOMAIN_CHECK_LEN 16
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
int domain_add(struct session *s, const char *label,
    const struct domain_spec *sp, const struct secret *key, int primary);

/* PO: removes a domain; refuses the last one (CE_POLICY). If it was the
 * primary, the oldest remaining becomes primary. */
int domain_remove(struct session *s, const char *label);

/* PO: renames a domain. */
int domain_relabel(struct session *s, const char *label, const char *newlabel);

/* PO: makes label the primary domain. */
int domain_set_primary(struct session *s, const char *label);

#endif
