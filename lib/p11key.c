#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "err.h"
#include "p11.h"
#include "p11key.h"
#include "secret.h"

/* The PKCS#8 DER of pk, in a secret (it is the private key). */
static int
pkcs8_of(EVP_PKEY *pk, struct secret **p8p)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char *der = NULL;
	int n, r = CE_CRYPTO;

	if ((p8 = EVP_PKEY2PKCS8(pk)) == NULL ||
	    (n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der)) <= 0)
		goto out;
	if ((*p8p = secret_from(der, (size_t)n)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	r = 0;
 out:
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)n);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return r;
}

/* Makes a key of type name ("EC", "RSA") from params. */
static int
from_params(const char *name, OSSL_PARAM_BLD *b, struct secret **p8p)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL, *chk = NULL;
	EVP_PKEY *pk = NULL;
	int r = CE_INVALID;

	if ((params = OSSL_PARAM_BLD_to_param(b)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1) {
		r = CE_CRYPTO;
		goto out;
	}
	if (EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_KEYPAIR, params) != 1)
		goto bad;
	/* fromdata takes the parts as they come: a wrong one would make a
	 * key that signs nothing its public key verifies */
	if ((chk = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL) {
		r = CE_CRYPTO;
		goto out;
	}
	if (EVP_PKEY_check(chk) != 1)
		goto bad;
	r = pkcs8_of(pk, p8p);
	goto out;
 bad:
	err_set_detail("the %s key components do not make a key", name);
	r = CE_INVALID;
 out:
	EVP_PKEY_CTX_free(chk);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return r;
}

int
p11key_ec_pkcs8(const uint8_t *params, size_t plen, const uint8_t *d,
    size_t dlen, struct secret **p8p)
{
	unsigned bits = p11_ec_bits(params, plen);
	const char *curve = bits == 256 ? "P-256" : "P-384";
	EC_GROUP *g = NULL;
	EC_POINT *pub = NULL;
	BIGNUM *bd = NULL;
	OSSL_PARAM_BLD *b = NULL;
	uint8_t pt[1 + 2 * 48];
	size_t ptlen;
	int r = CE_CRYPTO;

	if (bits == 0) {
		err_set_detail("an EC key on P-256 or P-384 only");
		return CE_INVALID;
	}
	if (dlen == 0 || dlen > bits / 8) {
		err_set_detail("the EC private value is %zu bytes", dlen);
		return CE_INVALID;
	}
	if ((g = EC_GROUP_new_by_curve_name(bits == 256 ?
	    NID_X9_62_prime256v1 : NID_secp384r1)) == NULL ||
	    (bd = BN_secure_new()) == NULL || BN_bin2bn(d, (int)dlen, bd) == NULL ||
	    (pub = EC_POINT_new(g)) == NULL)
		goto out;
	if (BN_is_zero(bd) || BN_cmp(bd, EC_GROUP_get0_order(g)) >= 0) {
		err_set_detail("the EC private value is out of range");
		r = CE_INVALID;
		goto out;
	}
	if (EC_POINT_mul(g, pub, bd, NULL, NULL, NULL) != 1 ||
	    (ptlen = EC_POINT_point2oct(g, pub, POINT_CONVERSION_UNCOMPRESSED,
	    pt, sizeof(pt), NULL)) == 0)
		goto out;
	if ((b = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME,
	    curve, 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, bd) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt,
	    ptlen) != 1)
		goto out;
	r = from_params("EC", b, p8p);
 out:
	OSSL_PARAM_BLD_free(b);
	BN_clear_free(bd);
	EC_POINT_free(pub);
	EC_GROUP_free(g);
	return r;
}

int
p11key_rsa_pkcs8(const struct p11key_rsa *k, struct secret **p8p)
{
	const struct p11key_int *in[8] = { &k->n, &k->e, &k->d, &k->p, &k->q,
	    &k->dp, &k->dq, &k->qinv };
	static const char *names[8] = { OSSL_PKEY_PARAM_RSA_N,
	    OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
	    OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
	    OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
	    OSSL_PKEY_PARAM_RSA_COEFFICIENT1 };
	BIGNUM *bn[8] = { NULL };
	OSSL_PARAM_BLD *b = NULL;
	int i, r = CE_CRYPTO;

	if ((b = OSSL_PARAM_BLD_new()) == NULL)
		return CE_NOMEM;
	for (i = 0; i < 8; i++) {
		if (in[i]->p == NULL || in[i]->len == 0 || in[i]->len > 1024) {
			err_set_detail("an RSA private key needs its eight "
			    "components (CKA_MODULUS ... CKA_COEFFICIENT)");
			r = CE_INVALID;
			goto out;
		}
		if ((bn[i] = BN_secure_new()) == NULL ||
		    BN_bin2bn(in[i]->p, (int)in[i]->len, bn[i]) == NULL ||
		    OSSL_PARAM_BLD_push_BN(b, names[i], bn[i]) != 1)
			goto out;
	}
	r = from_params("RSA", b, p8p);
 out:
	for (i = 0; i < 8; i++)
		BN_clear_free(bn[i]);
	OSSL_PARAM_BLD_free(b);
	return r;
}
