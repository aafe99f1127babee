/*
 * attr: PKCS#11 attribute values of Coffer objects, in the native forms a
 * module hands out (CK_ULONG as unsigned long, CK_BBOOL as one byte).
 * Its own file because it reads lib/p11.h, whose CK* numbers clash with
 * the definitions of <p11-kit/pkcs11.h>: nothing here includes both.
 */
#ifndef COFFER_PKCS11_ATTR_H
#define COFFER_PKCS11_ATTR_H

#include <stddef.h>
#include <stdint.h>

struct object;

#define ATTR_INVALID (-1)    /* the object has no such attribute */
#define ATTR_SENSITIVE (-2)  /* it has, but it never leaves the HSM */

/*
 * The value of attribute type of o (pub: of its public half) into a
 * malloc'd *valp of *lenp bytes; 0, ATTR_INVALID, ATTR_SENSITIVE or a
 * CE_* code.
 */
int attr_get(const struct object *o, int pub, unsigned long type,
    uint8_t **valp, size_t *lenp);

/* 1 when o is a key pair (a private key carrying its public key). */
int attr_has_public(const struct object *o);

/* 256 or 384 for a known CKA_EC_PARAMS, 0 otherwise. */
unsigned attr_ec_bits(const void *p, size_t len);

#endif
