#include <string.h>

#include <sodium.h>

#include "err.h"
#include "kdf.h"

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
