#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "attr.h"
#include "err.h"
#include "object.h"
#include "p11.h"
#include "secret.h"

/* PKCS#11 v2.40 numbers lib/p11.h has no use for. */
#define CKA_ALWAYS_AUTHENTICATE 0x202u
#define CKA_SIGN_RECOVER 0x109u
#define CKA_VERIFY_RECOVER 0x10bu

/* A usage flag a key holds false unless it says otherwise (PKCS#11 4.7). */
static int
usage_flag(unsigned long type)
{
	switch (type) {
	case CKA_ENCRYPT:
	case CKA_DECRYPT:
	case CKA_WRAP:
	case CKA_UNWRAP:
	case CKA_SIGN:
	case CKA_VERIFY:
	case CKA_SIGN_RECOVER:
	case CKA_VERIFY_RECOVER:
	case CKA_DERIVE:
		return 1;
	default:
		return 0;
	}
}

static int
put(const void *p, size_t len, uint8_t **valp, size_t *lenp)
{
	if ((*valp = malloc(len > 0 ? len : 1)) == NULL)
		return CE_NOMEM;
	if (len > 0)
		memcpy(*valp, p, len);
	*lenp = len;
	return 0;
}

static int
put_ulong(unsigned long v, uint8_t **valp, size_t *lenp)
{
	return put(&v, sizeof(v), valp, lenp);
}

static int
put_bool(int v, uint8_t **valp, size_t *lenp)
{
	uint8_t b = v != 0;

	return put(&b, 1, valp, lenp);
}

/* A stored attribute, from Coffer's encoding (lib/p11.h) to the native. */
static int
stored(const struct object_attr *a, uint8_t **valp, size_t *lenp)
{
	uint64_t v = 0;
	size_t i;

	switch (p11_attr_kind(a->type)) {
	case 1:
		return put_bool(a->len == 1 && a->val[0] != 0, valp, lenp);
	case 2:
		for (i = 0; i < a->len && i < 8; i++)
			v = v << 8 | a->val[i];
		return put_ulong((unsigned long)v, valp, lenp);
	default:
		return put(a->val, a->len, valp, lenp);
	}
}

int
attr_has_public(const struct object *o)
{
	return o->cls == CKO_PRIVATE_KEY &&
	    object_attr(o, CKA_PUBLIC_KEY_INFO) != NULL;
}

unsigned
attr_ec_bits(const void *p, size_t len)
{
	return p11_ec_bits(p, len);
}

/*
 * What is derived from the public key: RSA's modulus and exponent, an EC
 * key's point as the DER OCTET STRING PKCS#11 v2.40 asks for.
 */
static int
derived(const struct object *o, unsigned long type, uint8_t **valp,
    size_t *lenp)
{
	const struct object_attr *a = object_attr(o, CKA_PUBLIC_KEY_INFO);
	const unsigned char *p;
	EVP_PKEY *pk = NULL;
	BIGNUM *bn = NULL;
	uint8_t pt[2 + 133];
	size_t n = 0;
	int r = ATTR_INVALID;

	if (a == NULL)
		return ATTR_INVALID;
	p = a->val;
	if ((pk = d2i_PUBKEY(NULL, &p, (long)a->len)) == NULL)
		return CE_CRYPTO;
	if (type == CKA_EC_POINT && o->key_type == CKK_EC) {
		if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY,
		    pt + 2, sizeof(pt) - 2, &n) != 1 || n > 127) {
			r = CE_CRYPTO;
			goto out;
		}
		pt[0] = 0x04; /* OCTET STRING */
		pt[1] = (uint8_t)n;
		r = put(pt, n + 2, valp, lenp);
	} else if ((type == CKA_MODULUS || type == CKA_PUBLIC_EXPONENT) &&
	    o->key_type == CKK_RSA) {
		if (EVP_PKEY_get_bn_param(pk, type == CKA_MODULUS ?
		    OSSL_PKEY_PARAM_RSA_N : OSSL_PKEY_PARAM_RSA_E, &bn) != 1) {
			r = CE_CRYPTO;
			goto out;
		}
		n = (size_t)BN_num_bytes(bn);
		if ((*valp = malloc(n > 0 ? n : 1)) == NULL) {
			r = CE_NOMEM;
			goto out;
		}
		BN_bn2bin(bn, *valp);
		*lenp = n;
		r = 0;
	}
 out:
	BN_free(bn);
	EVP_PKEY_free(pk);
	return r;
}

/* The public half of a key pair: what a public key object would hold. */
static int
public_half(const struct object *o, unsigned long type, uint8_t **valp,
    size_t *lenp)
{
	const struct object_attr *a;
	int v = 0;

	switch (type) {
	case CKA_CLASS:
		return put_ulong(CKO_PUBLIC_KEY, valp, lenp);
	case CKA_PRIVATE:
		return put_bool(0, valp, lenp);
	case CKA_VERIFY:
		object_get_bool(o, CKA_SIGN, &v);
		return put_bool(v, valp, lenp);
	case CKA_ENCRYPT:
		object_get_bool(o, CKA_DECRYPT, &v);
		return put_bool(v, valp, lenp);
	case CKA_TOKEN:
	case CKA_LABEL:
	case CKA_ID:
	case CKA_KEY_TYPE:
	case CKA_LOCAL:
	case CKA_MODIFIABLE:
	case CKA_EC_PARAMS:
	case CKA_MODULUS_BITS:
	case CKA_PUBLIC_KEY_INFO:
	case CKA_SUBJECT:
		if ((a = object_attr(o, (uint32_t)type)) == NULL)
			return ATTR_INVALID;
		return stored(a, valp, lenp);
	case CKA_EC_POINT:
	case CKA_MODULUS:
	case CKA_PUBLIC_EXPONENT:
		return derived(o, type, valp, lenp);
	default:
		return usage_flag(type) ? put_bool(0, valp, lenp) :
		    ATTR_INVALID;
	}
}

int
attr_get(const struct object *o, int pub, unsigned long type, uint8_t **valp,
    size_t *lenp)
{
	const struct object_attr *a;

	*valp = NULL;
	*lenp = 0;
	if (type > UINT32_MAX)
		return ATTR_INVALID;
	if (pub)
		return public_half(o, type, valp, lenp);
	if (type == CKA_VALUE) {
		if (o->cls == CKO_PRIVATE_KEY || o->cls == CKO_SECRET_KEY)
			return ATTR_SENSITIVE;
		if (o->value == NULL)
			return ATTR_INVALID;
		return put(secret_ptr(o->value), secret_len(o->value), valp,
		    lenp);
	}
	if ((a = object_attr(o, (uint32_t)type)) != NULL)
		return stored(a, valp, lenp);
	if (o->cls == CKO_PRIVATE_KEY && type == CKA_ALWAYS_AUTHENTICATE)
		return put_bool(0, valp, lenp);
	if (o->cls == CKO_PRIVATE_KEY &&
	    (type == CKA_MODULUS || type == CKA_PUBLIC_EXPONENT))
		return derived(o, type, valp, lenp);
	if ((o->cls == CKO_PRIVATE_KEY || o->cls == CKO_SECRET_KEY) &&
	    (usage_flag(type) || type == CKA_WRAP_WITH_TRUSTED))
		return put_bool(0, valp, lenp);
	/* PKCS#11 4.10: false unless the SO (in Coffer the CO) said so */
	if (o->cls == CKO_SECRET_KEY && type == CKA_TRUSTED)
		return put_bool(0, valp, lenp);
	return ATTR_INVALID;
}
