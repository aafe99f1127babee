#include <stddef.h>
#include <string.h>

#include "p11.h"

const uint8_t p11_oid_p256[10] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
	0x03, 0x01, 0x07 };
const uint8_t p11_oid_p384[7] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };

int
p11_ec_params(unsigned bits, const uint8_t **pp, size_t *lenp)
{
	if (bits == 256) {
		*pp = p11_oid_p256;
		*lenp = sizeof(p11_oid_p256);
	} else if (bits == 384) {
		*pp = p11_oid_p384;
		*lenp = sizeof(p11_oid_p384);
	} else
		return -1;
	return 0;
}

unsigned
p11_ec_bits(const uint8_t *p, size_t len)
{
	if (len == sizeof(p11_oid_p256) && memcmp(p, p11_oid_p256, len) == 0)
		return 256;
	if (len == sizeof(p11_oid_p384) && memcmp(p, p11_oid_p384, len) == 0)
		return 384;
	return 0;
}

int
p11_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
p11_id_from_hex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = strlen(hex), i;
	int hi, lo;

	if (n == 0 || n % 2 != 0 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if ((hi = p11_hexval(hex[2 * i])) < 0 ||
		    (lo = p11_hexval(hex[2 * i + 1])) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

const char *
p11_class_name(uint32_t cls)
{
	switch (cls) {
	case CKO_DATA: return "data";
	case CKO_CERTIFICATE: return "certificate";
	case CKO_PUBLIC_KEY: return "public-key";
	case CKO_PRIVATE_KEY: return "private-key";
	case CKO_SECRET_KEY: return "secret-key";
	}
	return "unknown";
}

const char *
p11_key_type_name(uint32_t kt)
{
	switch (kt) {
	case CKK_RSA: return "RSA";
	case CKK_EC: return "EC";
	case CKK_GENERIC_SECRET: return "GENERIC_SECRET";
	case CKK_AES: return "AES";
	}
	return "-";
}

static const struct {
	uint32_t type;
	const char *name;
	int kind;
} attrs[] = {
	{ CKA_CLASS, "CKA_CLASS", 2 },
	{ CKA_TOKEN, "CKA_TOKEN", 1 },
	{ CKA_PRIVATE, "CKA_PRIVATE", 1 },
	{ CKA_LABEL, "CKA_LABEL", 0 },
	{ CKA_APPLICATION, "CKA_APPLICATION", 0 },
	{ CKA_VALUE, "CKA_VALUE", 0 },
	{ CKA_CERTIFICATE_TYPE, "CKA_CERTIFICATE_TYPE", 2 },
	{ CKA_KEY_TYPE, "CKA_KEY_TYPE", 2 },
	{ CKA_SUBJECT, "CKA_SUBJECT", 0 },
	{ CKA_ID, "CKA_ID", 0 },
	{ CKA_SENSITIVE, "CKA_SENSITIVE", 1 },
	{ CKA_ENCRYPT, "CKA_ENCRYPT", 1 },
	{ CKA_DECRYPT, "CKA_DECRYPT", 1 },
	{ CKA_WRAP, "CKA_WRAP", 1 },
	{ CKA_UNWRAP, "CKA_UNWRAP", 1 },
	{ CKA_SIGN, "CKA_SIGN", 1 },
	{ CKA_VERIFY, "CKA_VERIFY", 1 },
	{ CKA_DERIVE, "CKA_DERIVE", 1 },
	{ CKA_MODULUS_BITS, "CKA_MODULUS_BITS", 2 },
	{ CKA_PUBLIC_KEY_INFO, "CKA_PUBLIC_KEY_INFO", 0 },
	{ CKA_VALUE_LEN, "CKA_VALUE_LEN", 2 },
	{ CKA_EXTRACTABLE, "CKA_EXTRACTABLE", 1 },
	{ CKA_LOCAL, "CKA_LOCAL", 1 },
	{ CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE", 1 },
	{ CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE", 1 },
	{ CKA_MODIFIABLE, "CKA_MODIFIABLE", 1 },
	{ CKA_EC_PARAMS, "CKA_EC_PARAMS", 0 },
	{ CKA_TRUSTED, "CKA_TRUSTED", 1 },
	{ CKA_WRAP_WITH_TRUSTED, "CKA_WRAP_WITH_TRUSTED", 1 },
};

const char *
p11_attr_name(uint32_t type)
{
	size_t i;

	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (attrs[i].type == type)
			return attrs[i].name;
	return NULL;
}

int
p11_attr_kind(uint32_t type)
{
	size_t i;

	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (attrs[i].type == type)
			return attrs[i].kind;
	return 0;
}
