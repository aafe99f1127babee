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

/* Every attribute a record may carry, with its kind (1 CK_BBOOL, 2
 * CK_ULONG, 0 bytes). One list makes both tables below. */
#define ATTRS \
	X(CKA_CLASS, 2) \
	X(CKA_TOKEN, 1) \
	X(CKA_PRIVATE, 1) \
	X(CKA_LABEL, 0) \
	X(CKA_APPLICATION, 0) \
	X(CKA_VALUE, 0) \
	X(CKA_CERTIFICATE_TYPE, 2) \
	X(CKA_TRUSTED, 1) \
	X(CKA_KEY_TYPE, 2) \
	X(CKA_SUBJECT, 0) \
	X(CKA_ID, 0) \
	X(CKA_SENSITIVE, 1) \
	X(CKA_ENCRYPT, 1) \
	X(CKA_DECRYPT, 1) \
	X(CKA_WRAP, 1) \
	X(CKA_UNWRAP, 1) \
	X(CKA_SIGN, 1) \
	X(CKA_VERIFY, 1) \
	X(CKA_DERIVE, 1) \
	X(CKA_MODULUS_BITS, 2) \
	X(CKA_PUBLIC_KEY_INFO, 0) \
	X(CKA_VALUE_LEN, 2) \
	X(CKA_EXTRACTABLE, 1) \
	X(CKA_LOCAL, 1) \
	X(CKA_NEVER_EXTRACTABLE, 1) \
	X(CKA_ALWAYS_SENSITIVE, 1) \
	X(CKA_MODIFIABLE, 1) \
	X(CKA_EC_PARAMS, 0) \
	X(CKA_WRAP_WITH_TRUSTED, 1)
static const struct {
	uint32_t type;
	const char *name;
} attrs[] = {
#define X(t, k) { t, #t },
	ATTRS
#undef X
};

/* Kind + 1 by type (0: unknown). Every record decode asks this for each
 * attribute, so it is one load. The types are small (the largest is
 * CKA_WRAP_WITH_TRUSTED; a larger one in ATTRS fails to compile here)
 * and vendor-defined ones are not carried. */
#define KIND_TYPES (CKA_WRAP_WITH_TRUSTED + 1)
static const int8_t kinds[KIND_TYPES] = {
#define X(t, k) [t] = (k) + 1,
	ATTRS
#undef X
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
	return type < KIND_TYPES && kinds[type] > 0 ? kinds[type] - 1 : 0;
}
