#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "kdf.h"
#include "secret.h"

struct profile {
	int id;
	const char *name;
	uint64_t ops;
	size_t mem;
};

static const struct profile profiles[] = {
	{ KDF_TEST, "test", 1, 64 * 1024 },
	{ KDF_INTERACTIVE, "interactive", 2, 64u * 1024 * 1024 },
	{ KDF_MODERATE, "moderate", 3, 256u * 1024 * 1024 },
	{ KDF_SENSITIVE, "sensitive", 4, 1024u * 1024 * 1024 },
};

static const struct profile *
profile_get(int id)
{
	size_t i;

	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (profiles[i].id == id)
			return &profiles[i];
	return NULL;
}

int
kdf_profile_parse(const char *name, int *profilep)
{
	size_t i;

	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		if (strcmp(profiles[i].name, name) == 0) {
			*profilep = profiles[i].id;
			return 0;
		}
	}
	err_set_detail("unknown KDF profile '%s' (use test, interactive, "
	    "moderate or sensitive)", name);
	return CE_INVALID;
}

int
kdf_profile_choose(const char *name, int *profilep)
{
	const char *env;
	int r;

	if ((r = kdf_profile_parse(name, profilep)) != 0)
		return r;
	if (*profilep != KDF_TEST)
		return 0;
	env = getenv(KDF_TEST_ENV);
	if (env != NULL && strcmp(env, "1") == 0)
		return 0;
	err_set_detail("the 'test' KDF profile costs an attacker almost nothing "
	    "per guess and is for test suites only (set %s=1 there); use "
	    "interactive, moderate or sensitive", KDF_TEST_ENV);
	return CE_POLICY;
}

int
kdf_password_check(const struct secret *s, const char *what)
{
	if (secret_len(s) >= KDF_PASSWORD_MIN)
		return 0;
	err_set_detail("%s must be at least %d characters (this one has %zu): "
	    "it protects keys outside the HSM, where anyone holding a copy can "
	    "guess offline", what, KDF_PASSWORD_MIN, secret_len(s));
	return CE_POLICY;
}

const char *
kdf_profile_name(int profile)
{
	const struct profile *p = profile_get(profile);

	return p == NULL ? NULL : p->name;
}

int
kdf_argon2id_raw(uint64_t ops, size_t mem, const void *pw, size_t pwlen,
    const uint8_t salt[KDF_SALT_LEN], uint8_t *out, size_t outlen)
{
	if (sodium_init() < 0)
		return CE_CRYPTO;
	if (crypto_pwhash(out, outlen, pw, pwlen, salt, ops, mem,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		return CE_NOMEM;
	return 0;
}

int
kdf_argon2id(int profile, const void *pw, size_t pwlen,
    const uint8_t salt[KDF_SALT_LEN], uint8_t *out, size_t outlen)
{
	const struct profile *p = profile_get(profile);

	if (p == NULL)
		return CE_INVALID;
	return kdf_argon2id_raw(p->ops, p->mem, pw, pwlen, salt, out, outlen);
}
