/*
 * p11: the PKCS#11 numbers Coffer's object model uses (PKCS#11 v2.40
 * values), and their display names. Attribute values in Coffer's encodings:
 * CK_ULONG as 8 bytes big-endian, CK_BBOOL as one byte 0/1, everything
 * else as raw bytes.
 */
#ifndef COFFER_P11_H
#define COFFER_P11_H

#include <stddef.h>
#include <stdint.h>

/* Object classes. */
#define CKO_DATA 0x0u
#define CKO_CERTIFICATE 0x1u
#define CKO_PUBLIC_KEY 0x2u
#define CKO_PRIVATE_KEY 0x3u
#define CKO_SECRET_KEY 0x4u

/* Key types. */
#define CKK_RSA 0x0u
#define CKK_EC 0x3u
#define CKK_GENERIC_SECRET 0x10u
#define CKK_AES 0x1fu
#define CKK_NONE 0xffffffffu /* Coffer: not a key */

/* Certificate types. */
#define CKC_X_509 0x0u

/* Attributes. */
#define CKA_CLASS 0x0u
#define CKA_TOKEN 0x1u
#define CKA_PRIVATE 0x2u
#define CKA_LABEL 0x3u
#define CKA_APPLICATION 0x10u
#define CKA_TRUSTED 0x86u
#define CKA_VALUE 0x11u
#define CKA_CERTIFICATE_TYPE 0x80u
#define CKA_KEY_TYPE 0x100u
#define CKA_SUBJECT 0x101u
#define CKA_ID 0x102u
#define CKA_SENSITIVE 0x103u
#define CKA_ENCRYPT 0x104u
#define CKA_DECRYPT 0x105u
#define CKA_WRAP 0x106u
#define CKA_UNWRAP 0x107u
#define CKA_SIGN 0x108u
#define CKA_VERIFY 0x10au
#define CKA_DERIVE 0x10cu
#define CKA_MODULUS 0x120u
#define CKA_MODULUS_BITS 0x121u
#define CKA_PUBLIC_EXPONENT 0x122u
#define CKA_PUBLIC_KEY_INFO 0x129u
#define CKA_VALUE_LEN 0x161u
#define CKA_EXTRACTABLE 0x162u
#define CKA_LOCAL 0x163u
#define CKA_NEVER_EXTRACTABLE 0x164u
#define CKA_ALWAYS_SENSITIVE 0x165u
#define CKA_MODIFIABLE 0x170u
#define CKA_EC_PARAMS 0x180u
#define CKA_EC_POINT 0x181u
#define CKA_WRAP_WITH_TRUSTED 0x210u

/* CKA_EC_PARAMS of the curves Coffer knows: the DER curve OIDs. */
extern const uint8_t p11_oid_p256[10];
extern const uint8_t p11_oid_p384[7];
/* Points at the OID for 256 or 384 bits (and its length); 0 or -1. */
int p11_ec_params(unsigned bits, const uint8_t **pp, size_t *lenp);
/* Returns 256 or 384 for a known CKA_EC_PARAMS value, 0 otherwise. */
unsigned p11_ec_bits(const uint8_t *p, size_t len);

/*
 * Decodes a CKA_ID written as hex (as pkcs11-tool --id and RFC 7512 take
 * it; upper or lower case, an even number of digits) into out (max bytes).
 * Returns the length, or -1 for bad hex, an empty or a too long value.
 */
int p11_id_from_hex(const char *hex, uint8_t *out, size_t max);
/* One hex digit's value (either case), or -1. */
int p11_hexval(char c);

/* Returns "data", "certificate", "public-key", "private-key", "secret-key". */
const char *p11_class_name(uint32_t cls);
/* Returns "RSA", "EC", "GENERIC_SECRET", "AES" or "-". */
const char *p11_key_type_name(uint32_t kt);
/* Returns "CKA_LABEL" etc., or NULL when unknown. */
const char *p11_attr_name(uint32_t type);
/* 1 for CK_BBOOL attributes, 2 for CK_ULONG ones, 0 for byte strings. */
int p11_attr_kind(uint32_t type);

#endif
