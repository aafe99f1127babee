/*
 * p11key: private keys given as PKCS#11 hands them over, by their
 * components, turned into the PKCS#8 PrivateKeyInfo DER Coffer stores
 * (lib/object.h object_import_key_id). The PKCS#11 module's C_CreateObject
 * uses it; the components are big-endian unsigned integers as in the
 * CKA_* attributes.
 */
#ifndef COFFER_P11KEY_H
#define COFFER_P11KEY_H

#include <stddef.h>
#include <stdint.h>

struct secret;

/* One big-endian integer (pointer into the caller's memory). */
struct p11key_int {
	const uint8_t *p;
	size_t len;
};

/* CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
 * CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT. */
struct p11key_rsa {
	struct p11key_int n, e, d, p, q, dp, dq, qinv;
};

/*
 * An EC private key from CKA_EC_PARAMS (a curve lib/p11.h knows: P-256 or
 * P-384) and CKA_VALUE (the scalar); the public point is computed.
 * CE_INVALID for another curve or a scalar out of range.
 */
int p11key_ec_pkcs8(const uint8_t *params, size_t plen, const uint8_t *d,
    size_t dlen, struct secret **p8p);

/* An RSA private key from its eight components; CE_INVALID when one is
 * missing or they do not make a key. */
int p11key_rsa_pkcs8(const struct p11key_rsa *k, struct secret **p8p);

#endif
