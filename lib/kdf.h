/*
 * kdf: passwords to keys with Argon2id (libsodium crypto_pwhash).
 *
 * A cost profile is a property of what it protects: the profile's name is
 * recorded beside every wrapped key, so a store made with the light "test"
 * profile keeps working under it and nothing needs a global switch. Profiles
 * never change meaning once released; new costs get new names.
 */
#ifndef COFFER_KDF_H
#define COFFER_KDF_H

#include <stddef.h>
#include <stdint.h>

#define KDF_SALT_LEN 16

enum kdf_profile {
	KDF_TEST = 1,        /* t=1, m=64 KiB: tests and demos only */
	KDF_INTERACTIVE = 2, /* t=2, m=64 MiB */
	KDF_MODERATE = 3,    /* t=3, m=256 MiB */
	KDF_SENSITIVE = 4,   /* t=4, m=1 GiB */
};

/* Returns the profile for a name ("test", "interactive", ...) or CE_INVALID. */
int kdf_profile_parse(const char *name, int *profilep);

/*
 * A profile a person chooses for something new (a credential, a domain, a
 * backup password, a share PIN): kdf_profile_parse, and the weak `test`
 * profile only when COFFER_TEST_KDF=1 is in the environment (test suites,
 * the demo); anywhere else CE_POLICY (exit 3) with a message. Reading what
 * was made under a profile (a header, a manifest) never asks this.
 */
#define KDF_TEST_ENV "COFFER_TEST_KDF"
int kdf_profile_choose(const char *name, int *profilep);

/*
 * Minimum length of a password that protects data at rest outside an HSM
 * (a domain password, a backup partition password): CE_POLICY naming what
 * it is and the minimum when secret s is shorter.
 */
#define KDF_PASSWORD_MIN 10
struct secret;
int kdf_password_check(const struct secret *s, const char *what);

/* Returns the profile's name, or NULL when unknown. */
const char *kdf_profile_name(int profile);

/* Argon2id with explicit costs (ops = passes, mem in bytes), p = 1. */
int kdf_argon2id_raw(uint64_t ops, size_t mem, const void *pw, size_t pwlen,
    const uint8_t salt[KDF_SALT_LEN], uint8_t *out, size_t outlen);

/* Argon2id under a named profile. */
int kdf_argon2id(int profile, const void *pw, size_t pwlen,
    const uint8_t salt[KDF_SALT_LEN], uint8_t *out, size_t outlen);

#endif
