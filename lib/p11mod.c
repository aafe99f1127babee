/*
 * The PKCS#11 client (lib/p11mod.h). PKCS#11 numbers come from p11-kit's
 * header here, never lib/p11.h (their macros clash).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#include "crypto.h"
#include "err.h"
#include "p11mod.h"
#include "p11uri.h"
#include "secret.h"

#define TRANSPORT_BITS 3072
#define KEK_LEN 32
#define MAX_OBJS 4096
#define MAX_CREATED 4096
#define WRAP_MAX (64 * 1024)

struct p11mod {
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	int inited;                  /* we called C_Initialize */
	CK_SESSION_HANDLE s;
	int open, logged_in;
	struct p11mod_token tok;
	/* the transport, while one is set up */
	CK_OBJECT_HANDLE t_pub, t_priv, t_kek;
	EVP_PKEY *rsa;               /* export: the in-memory key pair */
	struct secret *kek;          /* the transport key's bytes */
	CK_MECHANISM_TYPE oaep_hash;
	/* import: objects made, for an undo */
	CK_OBJECT_HANDLE *made;
	size_t nmade;
};

/* The CKR_ values a user may see, by name. */
static const char *
rv_name(CK_RV rv)
{
	switch (rv) {
	case CKR_OK: return "CKR_OK";
	case CKR_ARGUMENTS_BAD: return "CKR_ARGUMENTS_BAD";
	case CKR_ATTRIBUTE_SENSITIVE: return "CKR_ATTRIBUTE_SENSITIVE";
	case CKR_ATTRIBUTE_TYPE_INVALID: return "CKR_ATTRIBUTE_TYPE_INVALID";
	case CKR_ATTRIBUTE_VALUE_INVALID: return "CKR_ATTRIBUTE_VALUE_INVALID";
	case CKR_DEVICE_ERROR: return "CKR_DEVICE_ERROR";
	case CKR_FUNCTION_FAILED: return "CKR_FUNCTION_FAILED";
	case CKR_FUNCTION_NOT_SUPPORTED: return "CKR_FUNCTION_NOT_SUPPORTED";
	case CKR_GENERAL_ERROR: return "CKR_GENERAL_ERROR";
	case CKR_KEY_FUNCTION_NOT_PERMITTED:
		return "CKR_KEY_FUNCTION_NOT_PERMITTED";
	case CKR_KEY_NOT_WRAPPABLE: return "CKR_KEY_NOT_WRAPPABLE";
	case CKR_KEY_UNEXTRACTABLE: return "CKR_KEY_UNEXTRACTABLE";
	case CKR_KEY_TYPE_INCONSISTENT: return "CKR_KEY_TYPE_INCONSISTENT";
	case CKR_KEY_SIZE_RANGE: return "CKR_KEY_SIZE_RANGE";
	case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
	case CKR_MECHANISM_PARAM_INVALID: return "CKR_MECHANISM_PARAM_INVALID";
	case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
	case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED";
	case CKR_TEMPLATE_INCOMPLETE: return "CKR_TEMPLATE_INCOMPLETE";
	case CKR_TEMPLATE_INCONSISTENT: return "CKR_TEMPLATE_INCONSISTENT";
	case CKR_TOKEN_WRITE_PROTECTED: return "CKR_TOKEN_WRITE_PROTECTED";
	case CKR_USER_NOT_LOGGED_IN: return "CKR_USER_NOT_LOGGED_IN";
	case CKR_WRAPPED_KEY_INVALID: return "CKR_WRAPPED_KEY_INVALID";
	case CKR_WRAPPING_KEY_TYPE_INCONSISTENT:
		return "CKR_WRAPPING_KEY_TYPE_INCONSISTENT";
	case CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT:
		return "CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT";
	case CKR_DEVICE_MEMORY: return "CKR_DEVICE_MEMORY";
	}
	return "CKR_(other)";
}

/* A module failure: CE_CRYPTO with a detail naming the call and value. */
static int
rv_fail(const char *what, CK_RV rv)
{
	err_set_detail("the PKCS#11 module refused %s: %s (0x%lx)", what,
	    rv_name(rv), (unsigned long)rv);
	return CE_CRYPTO;
}

/* --- attributes in Coffer's encoding ----------------------------------- */

static int
is_bool_attr(CK_ATTRIBUTE_TYPE t)
{
	switch (t) {
	case CKA_TOKEN: case CKA_PRIVATE: case CKA_SENSITIVE:
	case CKA_ENCRYPT: case CKA_DECRYPT: case CKA_WRAP: case CKA_UNWRAP:
	case CKA_SIGN: case CKA_VERIFY: case CKA_DERIVE:
	case CKA_SIGN_RECOVER: case CKA_VERIFY_RECOVER:
	case CKA_EXTRACTABLE: case CKA_LOCAL: case CKA_NEVER_EXTRACTABLE:
	case CKA_ALWAYS_SENSITIVE: case CKA_MODIFIABLE: case CKA_TRUSTED:
	case CKA_WRAP_WITH_TRUSTED: case CKA_ALWAYS_AUTHENTICATE:
		return 1;
	}
	return 0;
}

static int
is_ulong_attr(CK_ATTRIBUTE_TYPE t)
{
	return t == CKA_CLASS || t == CKA_KEY_TYPE ||
	    t == CKA_CERTIFICATE_TYPE || t == CKA_VALUE_LEN ||
	    t == CKA_MODULUS_BITS || t == CKA_CERTIFICATE_CATEGORY;
}

const struct p11mod_attr *
p11mod_obj_attr(const struct p11mod_obj *o, uint32_t type)
{
	size_t i;

	for (i = 0; i < o->nattrs; i++)
		if (o->attrs[i].type == type)
			return &o->attrs[i];
	return NULL;
}

int
p11mod_obj_set(struct p11mod_obj *o, uint32_t type, const void *p,
    size_t len)
{
	struct p11mod_attr *a;
	uint8_t *v;
	size_t i;

	if ((v = malloc(len ? len : 1)) == NULL)
		return CE_NOMEM;
	if (len)
		memcpy(v, p, len);
	for (i = 0; i < o->nattrs; i++)
		if (o->attrs[i].type == type) {
			free(o->attrs[i].val);
			o->attrs[i].val = v;
			o->attrs[i].len = len;
			return 0;
		}
	if (o->nattrs == P11MOD_ATTRS_MAX) {
		free(v);
		return CE_FULL;
	}
	a = &o->attrs[o->nattrs++];
	a->type = type;
	a->val = v;
	a->len = len;
	return 0;
}

void
p11mod_obj_clear(struct p11mod_obj *o)
{
	size_t i;

	for (i = 0; i < o->nattrs; i++)
		free(o->attrs[i].val);
	secret_free(o->value);
	memset(o, 0, sizeof(*o));
}

static void
put_be64(uint8_t b[8], uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static uint64_t
get_be64(const uint8_t *b)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* Reads one attribute of h into o, in Coffer's encoding; absent is fine. */
static int
read_attr(struct p11mod *m, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t,
    struct p11mod_obj *o)
{
	CK_ATTRIBUTE a = { t, NULL, 0 };
	uint8_t enc[8];
	CK_RV rv;
	int r;

	rv = m->f->C_GetAttributeValue(m->s, h, &a, 1);
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE ||
	    a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return 0;
	if (rv != CKR_OK)
		return rv_fail("C_GetAttributeValue", rv);
	if (a.ulValueLen > 1024 * 1024)
		return CE_TOO_LONG;
	if ((a.pValue = malloc(a.ulValueLen ? a.ulValueLen : 1)) == NULL)
		return CE_NOMEM;
	if ((rv = m->f->C_GetAttributeValue(m->s, h, &a, 1)) != CKR_OK) {
		free(a.pValue);
		return rv_fail("C_GetAttributeValue", rv);
	}
	if (is_bool_attr(t) && a.ulValueLen == sizeof(CK_BBOOL)) {
		enc[0] = *(CK_BBOOL *)a.pValue ? 1 : 0;
		r = p11mod_obj_set(o, (uint32_t)t, enc, 1);
	} else if (is_ulong_attr(t) && a.ulValueLen == sizeof(CK_ULONG)) {
		put_be64(enc, *(CK_ULONG *)a.pValue);
		r = p11mod_obj_set(o, (uint32_t)t, enc, 8);
	} else
		r = p11mod_obj_set(o, (uint32_t)t, a.pValue, a.ulValueLen);
	free(a.pValue);
	return r;
}

static int
obj_bool(const struct p11mod_obj *o, CK_ATTRIBUTE_TYPE t, int dflt)
{
	const struct p11mod_attr *a = p11mod_obj_attr(o, (uint32_t)t);

	return a != NULL && a->len == 1 ? a->val[0] != 0 : dflt;
}

static uint64_t
obj_ulong(const struct p11mod_obj *o, CK_ATTRIBUTE_TYPE t, uint64_t dflt)
{
	const struct p11mod_attr *a = p11mod_obj_attr(o, (uint32_t)t);

	return a != NULL && a->len == 8 ? get_be64(a->val) : dflt;
}

/* --- module, token, login ----------------------------------------------- */

static void
token_list(struct p11mod *m, CK_SLOT_ID *slots, CK_ULONG n, char *out,
    size_t room)
{
	CK_TOKEN_INFO ti;
	char label[33], serial[17];
	size_t len;
	CK_ULONG i;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (m->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
		    !(ti.flags & CKF_TOKEN_INITIALIZED))
			continue;
		p11uri_unpad((const char *)ti.label, sizeof(ti.label), label,
		    sizeof(label));
		p11uri_unpad((const char *)ti.serialNumber,
		    sizeof(ti.serialNumber), serial, sizeof(serial));
		len = strlen(out);
		snprintf(out + len, room - len, "%s'%s' (serial %s)",
		    len ? ", " : "", label, serial);
	}
	if (out[0] == '\0')
		snprintf(out, room, "none");
}

int
p11mod_open(const char *module, const struct p11uri *u, struct p11mod **mp)
{
	CK_C_GetFunctionList gfl;
	CK_C_INITIALIZE_ARGS ia;
	CK_SLOT_ID *slots = NULL, slot = 0;
	CK_TOKEN_INFO ti;
	CK_ULONG n = 0, i, nmatch = 0;
	struct p11mod *m;
	char list[512];
	CK_RV rv;
	int r;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return CE_NOMEM;
	m->t_pub = m->t_priv = m->t_kek = CK_INVALID_HANDLE;
	if ((m->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		err_set_detail("cannot load the PKCS#11 module %s: %s", module,
		    dlerror());
		r = CE_NOT_FOUND;
		goto out;
	}
	*(void **)&gfl = dlsym(m->dl, "C_GetFunctionList");
	if (gfl == NULL || gfl(&m->f) != CKR_OK || m->f == NULL) {
		err_set_detail("%s is not a PKCS#11 module (no "
		    "C_GetFunctionList)", module);
		r = CE_NOT_FOUND;
		goto out;
	}
	memset(&ia, 0, sizeof(ia));
	ia.flags = CKF_OS_LOCKING_OK;
	rv = m->f->C_Initialize(&ia);
	if (rv == CKR_OK)
		m->inited = 1;
	else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		r = rv_fail("C_Initialize", rv);
		goto out;
	}
	if ((rv = m->f->C_GetSlotList(CK_TRUE, NULL, &n)) != CKR_OK) {
		r = rv_fail("C_GetSlotList", rv);
		goto out;
	}
	if ((slots = calloc(n ? n : 1, sizeof(*slots))) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((rv = m->f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK) {
		r = rv_fail("C_GetSlotList", rv);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (u->has_slot && slots[i] != u->slot_id)
			continue;
		if (m->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
		    !(ti.flags & CKF_TOKEN_INITIALIZED))
			continue;
		if (!p11uri_match(u, (const char *)ti.label, sizeof(ti.label),
		    (const char *)ti.serialNumber, sizeof(ti.serialNumber),
		    (const char *)ti.manufacturerID, sizeof(ti.manufacturerID),
		    (const char *)ti.model, sizeof(ti.model)))
			continue;
		if (nmatch++ == 0) {
			slot = slots[i];
			p11uri_unpad((const char *)ti.label, sizeof(ti.label),
			    m->tok.label, sizeof(m->tok.label));
			p11uri_unpad((const char *)ti.serialNumber,
			    sizeof(ti.serialNumber), m->tok.serial,
			    sizeof(m->tok.serial));
			p11uri_unpad((const char *)ti.manufacturerID,
			    sizeof(ti.manufacturerID), m->tok.manufacturer,
			    sizeof(m->tok.manufacturer));
			p11uri_unpad((const char *)ti.model, sizeof(ti.model),
			    m->tok.model, sizeof(m->tok.model));
		}
	}
	if (nmatch != 1) {
		token_list(m, slots, n, list, sizeof(list));
		err_set_detail(nmatch == 0 ? "no token of %s matches the URI; "
		    "its tokens: %s" : "several tokens of %s match the URI: "
		    "name one by serial=; its tokens: %s", module, list);
		r = nmatch == 0 ? CE_NOT_FOUND : CE_USAGE;
		goto out;
	}
	if (m->tok.serial[0] == '\0') {
		err_set_detail("the token '%s' has no serial number: Coffer "
		    "names a backup series by it", m->tok.label);
		r = CE_UNSUPPORTED;
		goto out;
	}
	if ((rv = m->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &m->s)) != CKR_OK) {
		r = rv_fail("C_OpenSession", rv);
		goto out;
	}
	m->open = 1;
	*mp = m;
	m = NULL;
	r = 0;
 out:
	free(slots);
	p11mod_close(m);
	return r;
}

const struct p11mod_token *
p11mod_token(const struct p11mod *m)
{
	return &m->tok;
}

int
p11mod_login(struct p11mod *m, const struct secret *pin)
{
	CK_RV rv;

	rv = m->f->C_Login(m->s, CKU_USER, secret_ptr(pin),
	    (CK_ULONG)secret_len(pin));
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
		m->logged_in = rv == CKR_OK;
		return 0;
	}
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_INVALID ||
	    rv == CKR_PIN_LEN_RANGE) {
		err_set_detail("the PIN of token '%s' (serial %s) is wrong",
		    m->tok.label, m->tok.serial);
		return CE_BAD_CREDENTIAL;
	}
	if (rv == CKR_PIN_LOCKED) {
		err_set_detail("the user PIN of token '%s' is locked: its SO "
		    "must unlock it", m->tok.label);
		return CE_LOCKED;
	}
	if (rv == CKR_USER_PIN_NOT_INITIALIZED) {
		err_set_detail("token '%s' has no user PIN yet", m->tok.label);
		return CE_BAD_CREDENTIAL;
	}
	return rv_fail("C_Login", rv);
}

static void
destroy(struct p11mod *m, CK_OBJECT_HANDLE *h)
{
	if (*h != CK_INVALID_HANDLE && m->open)
		(void)m->f->C_DestroyObject(m->s, *h);
	*h = CK_INVALID_HANDLE;
}

/* Drops the transport: its session objects, its keys in memory. */
static void
transport_end(struct p11mod *m)
{
	destroy(m, &m->t_kek);
	destroy(m, &m->t_pub);
	destroy(m, &m->t_priv);
	EVP_PKEY_free(m->rsa);
	m->rsa = NULL;
	secret_free(m->kek);
	m->kek = NULL;
}

void
p11mod_close(struct p11mod *m)
{
	if (m == NULL)
		return;
	transport_end(m);
	free(m->made);
	if (m->open) {
		if (m->logged_in)
			(void)m->f->C_Logout(m->s);
		(void)m->f->C_CloseSession(m->s);
	}
	if (m->inited)
		(void)m->f->C_Finalize(NULL);
	if (m->dl != NULL)
		dlclose(m->dl);
	free(m);
}

/* --- OpenSSL side of the transport -------------------------------------- */

static const EVP_MD *
oaep_md(CK_MECHANISM_TYPE h)
{
	return h == CKM_SHA_1 ? EVP_sha1() : EVP_sha256();
}

static void
oaep_params(CK_MECHANISM_TYPE h, CK_RSA_PKCS_OAEP_PARAMS *op,
    CK_MECHANISM *mech)
{
	memset(op, 0, sizeof(*op));
	op->hashAlg = h;
	op->mgf = h == CKM_SHA_1 ? CKG_MGF1_SHA1 : CKG_MGF1_SHA256;
	op->source = CKZ_DATA_SPECIFIED;
	mech->mechanism = CKM_RSA_PKCS_OAEP;
	mech->pParameter = op;
	mech->ulParameterLen = sizeof(*op);
}

/* RSA-OAEP in OpenSSL: decrypt (enc 0) or encrypt (enc 1) in into *outp. */
static int
oaep(EVP_PKEY *pk, CK_MECHANISM_TYPE h, int enc, const uint8_t *in,
    size_t inlen, struct secret **outp)
{
	EVP_PKEY_CTX *c = NULL;
	struct secret *out = NULL;
	size_t olen = 0;
	int r = CE_CRYPTO;

	if ((c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL ||
	    (enc ? EVP_PKEY_encrypt_init(c) : EVP_PKEY_decrypt_init(c)) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(c, oaep_md(h)) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(c, oaep_md(h)) <= 0 ||
	    (enc ? EVP_PKEY_encrypt(c, NULL, &olen, in, inlen) :
	    EVP_PKEY_decrypt(c, NULL, &olen, in, inlen)) <= 0)
		goto out;
	if ((out = secret_new(olen)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((enc ? EVP_PKEY_encrypt(c, secret_ptr(out), &olen, in, inlen) :
	    EVP_PKEY_decrypt(c, secret_ptr(out), &olen, in, inlen)) <= 0)
		goto out;
	secret_truncate(out, olen);
	*outp = out;
	out = NULL;
	r = 0;
 out:
	secret_free(out);
	EVP_PKEY_CTX_free(c);
	return r;
}

/* AES-256 key wrap with padding (RFC 5649) into a fresh secret. */
static int
kwp(const struct secret *kek, int enc, const uint8_t *in, size_t inlen,
    struct secret **outp)
{
	struct secret *out;
	size_t n = 0;
	int r;

	if (inlen > WRAP_MAX)
		return CE_TOO_LONG;
	if ((out = secret_new(CC_KWP_LEN(inlen))) == NULL)
		return CE_NOMEM;
	if ((r = cc_kwp(enc, secret_ptr(kek), secret_len(kek), in, inlen,
	    secret_ptr(out), &n)) != 0) {
		secret_free(out);
		return r == CE_AUTH_TAG ? CE_CRYPTO : r;
	}
	secret_truncate(out, n);
	*outp = out;
	return 0;
}

/* A big-endian BIGNUM parameter of pk into a fresh buffer. */
static int
bn_bytes(EVP_PKEY *pk, const char *name, uint8_t **pp, size_t *lenp)
{
	BIGNUM *bn = NULL;
	int n;

	if (EVP_PKEY_get_bn_param(pk, name, &bn) != 1)
		return CE_CRYPTO;
	n = BN_num_bytes(bn);
	if ((*pp = malloc(n > 0 ? (size_t)n : 1)) == NULL) {
		BN_free(bn);
		return CE_NOMEM;
	}
	BN_bn2bin(bn, *pp);
	*lenp = (size_t)n;
	BN_free(bn);
	return 0;
}

/* An RSA public key from its modulus and exponent. */
static int
rsa_from(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen,
    EVP_PKEY **pkp)
{
	OSSL_PARAM_BLD *b = NULL;
	OSSL_PARAM *ps = NULL;
	EVP_PKEY_CTX *c = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	int r = CE_CRYPTO;

	if ((bn = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
	    (b = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be) != 1 ||
	    (ps = OSSL_PARAM_BLD_to_param(b)) == NULL ||
	    (c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(c) != 1 ||
	    EVP_PKEY_fromdata(c, pkp, EVP_PKEY_PUBLIC_KEY, ps) != 1)
		goto out;
	r = 0;
 out:
	EVP_PKEY_CTX_free(c);
	OSSL_PARAM_free(ps);
	OSSL_PARAM_BLD_free(b);
	BN_free(bn);
	BN_free(be);
	return r;
}

/* --- export ------------------------------------------------------------- */

#define NB(x) (CK_VOID_PTR)&(x), sizeof(x)

/*
 * The transport off the token: the in-memory RSA key's public half onto
 * the token, an AES-256 key generated there, wrapped under it (OAEP
 * SHA-256, or SHA-1 when the module refuses SHA-256) and opened here.
 */
static int
export_transport(struct p11mod *m)
{
	CK_OBJECT_CLASS pubc = CKO_PUBLIC_KEY, secc = CKO_SECRET_KEY;
	CK_KEY_TYPE rsat = CKK_RSA, aest = CKK_AES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG kl = KEK_LEN;
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 }, mech;
	CK_RSA_PKCS_OAEP_PARAMS op;
	CK_MECHANISM_TYPE hashes[2] = { CKM_SHA256, CKM_SHA_1 };
	uint8_t *n = NULL, *e = NULL, *wrapped = NULL;
	size_t nlen = 0, elen = 0, i;
	CK_ULONG wlen = 0;
	char label[] = "coffer-transport";
	CK_RV rv = CKR_OK;
	int r;

	if ((m->rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)TRANSPORT_BITS)) == NULL)
		return CE_CRYPTO;
	if ((r = bn_bytes(m->rsa, OSSL_PKEY_PARAM_RSA_N, &n, &nlen)) != 0 ||
	    (r = bn_bytes(m->rsa, OSSL_PKEY_PARAM_RSA_E, &e, &elen)) != 0)
		goto out;
	{
		CK_ATTRIBUTE pt[] = {
			{ CKA_CLASS, NB(pubc) }, { CKA_KEY_TYPE, NB(rsat) },
			{ CKA_TOKEN, NB(no) }, { CKA_WRAP, NB(yes) },
			{ CKA_ENCRYPT, NB(no) }, { CKA_VERIFY, NB(no) },
			{ CKA_LABEL, label, sizeof(label) - 1 },
			{ CKA_MODULUS, n, nlen }, { CKA_PUBLIC_EXPONENT, e, elen },
		};
		CK_ATTRIBUTE kt[] = {
			{ CKA_CLASS, NB(secc) }, { CKA_KEY_TYPE, NB(aest) },
			{ CKA_TOKEN, NB(no) }, { CKA_VALUE_LEN, NB(kl) },
			{ CKA_EXTRACTABLE, NB(yes) }, { CKA_SENSITIVE, NB(yes) },
			{ CKA_WRAP, NB(yes) }, { CKA_UNWRAP, NB(no) },
			{ CKA_ENCRYPT, NB(no) }, { CKA_DECRYPT, NB(no) },
			{ CKA_LABEL, label, sizeof(label) - 1 },
		};

		if ((rv = m->f->C_CreateObject(m->s, pt, sizeof(pt) /
		    sizeof(pt[0]), &m->t_pub)) != CKR_OK) {
			r = rv_fail("to create the transport public key "
			    "(C_CreateObject)", rv);
			goto out;
		}
		if ((rv = m->f->C_GenerateKey(m->s, &gen, kt, sizeof(kt) /
		    sizeof(kt[0]), &m->t_kek)) != CKR_OK) {
			r = rv_fail("to generate the AES-256 transport key "
			    "(C_GenerateKey)", rv);
			goto out;
		}
	}
	for (i = 0; i < 2; i++) {
		oaep_params(hashes[i], &op, &mech);
		wlen = 0;
		rv = m->f->C_WrapKey(m->s, &mech, m->t_pub, m->t_kek, NULL,
		    &wlen);
		if (rv == CKR_OK)
			break;
		if (rv != CKR_MECHANISM_PARAM_INVALID &&
		    rv != CKR_ARGUMENTS_BAD)
			break;
	}
	if (rv != CKR_OK) {
		r = rv_fail("to wrap the transport key with CKM_RSA_PKCS_OAEP",
		    rv);
		goto out;
	}
	m->oaep_hash = hashes[i];
	if (wlen > WRAP_MAX || (wrapped = malloc(wlen)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((rv = m->f->C_WrapKey(m->s, &mech, m->t_pub, m->t_kek, wrapped,
	    &wlen)) != CKR_OK) {
		r = rv_fail("to wrap the transport key with CKM_RSA_PKCS_OAEP",
		    rv);
		goto out;
	}
	if ((r = oaep(m->rsa, m->oaep_hash, 0, wrapped, wlen, &m->kek)) != 0)
		goto out;
	if (secret_len(m->kek) != KEK_LEN) {
		err_set_detail("the transport key came back %zu bytes long",
		    secret_len(m->kek));
		r = CE_CRYPTO;
		goto out;
	}
	/* The public key did its one job. */
	destroy(m, &m->t_pub);
	r = 0;
 out:
	free(n);
	free(e);
	free(wrapped);
	return r;
}

static void
set_why(struct p11mod_obj *o, const char *why, const char *rv)
{
	snprintf(o->why_buf, sizeof(o->why_buf), "%s%s%s%s", why,
	    rv ? " (" : "", rv ? rv : "", rv ? ")" : "");
	o->why = o->why_buf;
}

/* Wraps key h under the transport key on the token and opens it here. */
static int
export_key(struct p11mod *m, CK_OBJECT_HANDLE h, struct p11mod_obj *o)
{
	CK_MECHANISM mech = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	uint8_t *w = NULL;
	CK_ULONG wlen = 0;
	CK_RV rv;
	int r;

	if (!obj_bool(o, CKA_EXTRACTABLE, 0)) {
		set_why(o, "not extractable (CKA_EXTRACTABLE false)", NULL);
		return 0;
	}
	rv = m->f->C_WrapKey(m->s, &mech, m->t_kek, h, NULL, &wlen);
	if (rv == CKR_OK && (wlen > WRAP_MAX || (w = malloc(wlen)) == NULL))
		return CE_NOMEM;
	if (rv == CKR_OK)
		rv = m->f->C_WrapKey(m->s, &mech, m->t_kek, h, w, &wlen);
	if (rv != CKR_OK) {
		free(w);
		set_why(o, "the token refused to wrap it with "
		    "CKM_AES_KEY_WRAP_PAD", rv_name(rv));
		return 0;
	}
	r = kwp(m->kek, 0, w, wlen, &o->value);
	free(w);
	if (r != 0)
		err_set_detail("a key wrapped by the token did not unwrap");
	return r;
}

/* The SubjectPublicKeyInfo of a public key object, from its attributes. */
static int
export_public(struct p11mod_obj *o)
{
	const struct p11mod_attr *a, *b;
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *c = NULL;
	OSSL_PARAM ps[3];
	unsigned char *der = NULL;
	const unsigned char *dp;
	ASN1_OCTET_STRING *pt = NULL;
	ASN1_OBJECT *oid = NULL;
	char group[64];
	int r = CE_CRYPTO, n;

	if (o->key_type == CKK_RSA) {
		if ((a = p11mod_obj_attr(o, CKA_MODULUS)) == NULL ||
		    (b = p11mod_obj_attr(o, CKA_PUBLIC_EXPONENT)) == NULL ||
		    rsa_from(a->val, a->len, b->val, b->len, &pk) != 0) {
			set_why(o, "the token gave no usable RSA modulus "
			    "and exponent", NULL);
			return 0;
		}
	} else if (o->key_type == CKK_EC) {
		if ((a = p11mod_obj_attr(o, CKA_EC_PARAMS)) == NULL ||
		    (b = p11mod_obj_attr(o, CKA_EC_POINT)) == NULL)
			goto bad_ec;
		dp = a->val;
		if ((oid = d2i_ASN1_OBJECT(NULL, &dp, (long)a->len)) == NULL ||
		    OBJ_obj2txt(group, sizeof(group), oid, 0) <= 0)
			goto bad_ec;
		/* CKA_EC_POINT is a DER OCTET STRING holding the point. */
		dp = b->val;
		if ((pt = d2i_ASN1_OCTET_STRING(NULL, &dp,
		    (long)b->len)) == NULL)
			goto bad_ec;
		ps[0] = OSSL_PARAM_construct_utf8_string(
		    OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
		ps[1] = OSSL_PARAM_construct_octet_string(
		    OSSL_PKEY_PARAM_PUB_KEY, pt->data, (size_t)pt->length);
		ps[2] = OSSL_PARAM_construct_end();
		if ((c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
		    EVP_PKEY_fromdata_init(c) != 1 ||
		    EVP_PKEY_fromdata(c, &pk, EVP_PKEY_PUBLIC_KEY, ps) != 1)
			goto bad_ec;
	} else {
		set_why(o, "a public key of a type Coffer does not hold", NULL);
		return 0;
	}
	if ((n = i2d_PUBKEY(pk, &der)) <= 0)
		goto out;
	r = p11mod_obj_set(o, 0x129u /* CKA_PUBLIC_KEY_INFO */, der,
	    (size_t)n);
	goto out;
 bad_ec:
	set_why(o, "the token gave no usable EC parameters and point",
	    NULL);
	r = 0;
 out:
	OPENSSL_free(der);
	ASN1_OCTET_STRING_free(pt);
	ASN1_OBJECT_free(oid);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(pk);
	return r;
}

/* What is read of every object, and of each class. */
static const CK_ATTRIBUTE_TYPE common_attrs[] = {
	CKA_CLASS, CKA_TOKEN, CKA_PRIVATE, CKA_LABEL, CKA_MODIFIABLE,
};
static const CK_ATTRIBUTE_TYPE key_attrs[] = {
	CKA_KEY_TYPE, CKA_ID, CKA_DERIVE, CKA_LOCAL,
};
static const CK_ATTRIBUTE_TYPE secret_attrs[] = {
	CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_ALWAYS_SENSITIVE,
	CKA_NEVER_EXTRACTABLE, CKA_ENCRYPT, CKA_DECRYPT, CKA_WRAP, CKA_UNWRAP,
	CKA_SIGN, CKA_VERIFY, CKA_VALUE_LEN,
};
static const CK_ATTRIBUTE_TYPE private_attrs[] = {
	CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_ALWAYS_SENSITIVE,
	CKA_NEVER_EXTRACTABLE, CKA_DECRYPT, CKA_UNWRAP, CKA_SIGN,
	CKA_SUBJECT,
};
static const CK_ATTRIBUTE_TYPE public_attrs[] = {
	CKA_ENCRYPT, CKA_WRAP, CKA_VERIFY, CKA_SUBJECT, CKA_MODULUS,
	CKA_PUBLIC_EXPONENT, CKA_MODULUS_BITS, CKA_EC_PARAMS, CKA_EC_POINT,
};
static const CK_ATTRIBUTE_TYPE cert_attrs[] = {
	CKA_CERTIFICATE_TYPE, CKA_ID, CKA_SUBJECT, CKA_ISSUER,
	CKA_SERIAL_NUMBER, CKA_VALUE, CKA_TRUSTED, CKA_CERTIFICATE_CATEGORY,
};
static const CK_ATTRIBUTE_TYPE data_attrs[] = {
	CKA_APPLICATION, CKA_OBJECT_ID, CKA_VALUE,
};

static int
read_attrs(struct p11mod *m, CK_OBJECT_HANDLE h, const CK_ATTRIBUTE_TYPE *t,
    size_t n, struct p11mod_obj *o)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		if ((r = read_attr(m, h, t[i], o)) != 0)
			return r;
	return 0;
}

#define READ(list) read_attrs(m, h, list, sizeof(list) / sizeof(list[0]), o)

/* Reads object h and, for a key, exports it. */
static int
export_one(struct p11mod *m, CK_OBJECT_HANDLE h, struct p11mod_obj *o)
{
	const struct p11mod_attr *v;
	int r;

	if ((r = READ(common_attrs)) != 0)
		return r;
	o->cls = (uint32_t)obj_ulong(o, CKA_CLASS, 0xffffffffu);
	o->key_type = P11MOD_NONE;
	switch (o->cls) {
	case CKO_SECRET_KEY:
	case CKO_PRIVATE_KEY:
	case CKO_PUBLIC_KEY:
		if ((r = READ(key_attrs)) != 0)
			return r;
		o->key_type = (uint32_t)obj_ulong(o, CKA_KEY_TYPE, P11MOD_NONE);
		if (o->cls == CKO_SECRET_KEY && (r = READ(secret_attrs)) == 0)
			r = export_key(m, h, o);
		else if (o->cls == CKO_PRIVATE_KEY &&
		    (r = READ(private_attrs)) == 0)
			r = export_key(m, h, o);
		else if (o->cls == CKO_PUBLIC_KEY &&
		    (r = READ(public_attrs)) == 0)
			r = export_public(o);
		return r;
	case CKO_CERTIFICATE:
		r = READ(cert_attrs);
		break;
	case CKO_DATA:
		r = READ(data_attrs);
		break;
	default:
		set_why(o, "an object class Coffer does not hold", NULL);
		return 0;
	}
	/* A certificate's or data object's value is not secret, but it is
	 * the object's value: it travels as one. */
	if (r == 0 && (v = p11mod_obj_attr(o, CKA_VALUE)) != NULL) {
		size_t i = (size_t)(v - o->attrs);

		if ((o->value = secret_from(v->val, v->len)) == NULL)
			return CE_NOMEM;
		free(o->attrs[i].val);
		o->attrs[i] = o->attrs[--o->nattrs];
	}
	return r;
}

/* Every token object's handle (CKA_TOKEN true). */
static int
find_all(struct p11mod *m, CK_ATTRIBUTE *tmpl, CK_ULONG nt,
    CK_OBJECT_HANDLE **hp, CK_ULONG *np)
{
	CK_OBJECT_HANDLE *hs;
	CK_ULONG n = 0, got;
	CK_RV rv;

	if ((hs = calloc(MAX_OBJS, sizeof(*hs))) == NULL)
		return CE_NOMEM;
	if ((rv = m->f->C_FindObjectsInit(m->s, tmpl, nt)) != CKR_OK) {
		free(hs);
		return rv_fail("C_FindObjectsInit", rv);
	}
	do {
		got = 0;
		rv = m->f->C_FindObjects(m->s, hs + n, MAX_OBJS - n, &got);
		n += got;
	} while (rv == CKR_OK && got > 0 && n < MAX_OBJS);
	(void)m->f->C_FindObjectsFinal(m->s);
	if (rv != CKR_OK) {
		free(hs);
		return rv_fail("C_FindObjects", rv);
	}
	if (n == MAX_OBJS) {
		free(hs);
		err_set_detail("the token holds more than %d objects",
		    MAX_OBJS - 1);
		return CE_TOO_LONG;
	}
	*hp = hs;
	*np = n;
	return 0;
}

int
p11mod_export(struct p11mod *m, p11mod_obj_fn *fn, void *ctx, char *desc,
    size_t desclen)
{
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[] = { { CKA_TOKEN, NB(yes) } };
	CK_OBJECT_HANDLE *hs = NULL;
	struct p11mod_obj o;
	CK_ULONG n = 0, i;
	int r;

	memset(&o, 0, sizeof(o));
	if ((r = export_transport(m)) != 0)
		goto out;
	if (desc != NULL)
		snprintf(desc, desclen, "RSA-%d OAEP %s, AES-256 KWP",
		    TRANSPORT_BITS, m->oaep_hash == CKM_SHA_1 ? "SHA-1" :
		    "SHA-256");
	if ((r = find_all(m, tmpl, 1, &hs, &n)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (hs[i] == m->t_kek)
			continue;
		if ((r = export_one(m, hs[i], &o)) != 0 ||
		    (r = fn(ctx, &o)) != 0)
			goto out;
		p11mod_obj_clear(&o);
	}
	r = 0;
 out:
	p11mod_obj_clear(&o);
	free(hs);
	transport_end(m);
	return r;
}

/* --- import ------------------------------------------------------------- */

int
p11mod_import_begin(struct p11mod *m, char *desc, size_t desclen)
{
	CK_OBJECT_CLASS secc = CKO_SECRET_KEY;
	CK_KEY_TYPE aest = CKK_AES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = TRANSPORT_BITS;
	CK_BYTE e65537[] = { 1, 0, 1 };
	CK_MECHANISM gen = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 }, mech;
	CK_RSA_PKCS_OAEP_PARAMS op;
	CK_MECHANISM_TYPE hashes[2] = { CKM_SHA256, CKM_SHA_1 };
	char label[] = "coffer-transport";
	CK_ATTRIBUTE pubt[] = {
		{ CKA_TOKEN, NB(no) }, { CKA_MODULUS_BITS, NB(bits) },
		{ CKA_PUBLIC_EXPONENT, e65537, sizeof(e65537) },
		{ CKA_ENCRYPT, NB(no) }, { CKA_WRAP, NB(no) },
		{ CKA_VERIFY, NB(no) },
		{ CKA_LABEL, label, sizeof(label) - 1 },
	};
	CK_ATTRIBUTE privt[] = {
		{ CKA_TOKEN, NB(no) }, { CKA_PRIVATE, NB(yes) },
		{ CKA_SENSITIVE, NB(yes) }, { CKA_EXTRACTABLE, NB(no) },
		{ CKA_UNWRAP, NB(yes) }, { CKA_DECRYPT, NB(no) },
		{ CKA_SIGN, NB(no) },
		{ CKA_LABEL, label, sizeof(label) - 1 },
	};
	CK_ATTRIBUTE kt[] = {
		{ CKA_CLASS, NB(secc) }, { CKA_KEY_TYPE, NB(aest) },
		{ CKA_TOKEN, NB(no) }, { CKA_PRIVATE, NB(yes) },
		{ CKA_SENSITIVE, NB(yes) }, { CKA_EXTRACTABLE, NB(no) },
		{ CKA_UNWRAP, NB(yes) }, { CKA_WRAP, NB(no) },
		{ CKA_ENCRYPT, NB(no) }, { CKA_DECRYPT, NB(no) },
		{ CKA_LABEL, label, sizeof(label) - 1 },
	};
	struct p11mod_obj pub;
	struct secret *wrapped = NULL;
	const struct p11mod_attr *a, *b;
	EVP_PKEY *pk = NULL;
	CK_RV rv = CKR_OK;
	size_t i;
	int r;

	memset(&pub, 0, sizeof(pub));
	if ((rv = m->f->C_GenerateKeyPair(m->s, &gen, pubt, sizeof(pubt) /
	    sizeof(pubt[0]), privt, sizeof(privt) / sizeof(privt[0]),
	    &m->t_pub, &m->t_priv)) != CKR_OK) {
		r = rv_fail("to generate the RSA-3072 transport key pair "
		    "(C_GenerateKeyPair)", rv);
		goto out;
	}
	if ((r = read_attr(m, m->t_pub, CKA_MODULUS, &pub)) != 0 ||
	    (r = read_attr(m, m->t_pub, CKA_PUBLIC_EXPONENT, &pub)) != 0)
		goto out;
	if ((a = p11mod_obj_attr(&pub, CKA_MODULUS)) == NULL ||
	    (b = p11mod_obj_attr(&pub, CKA_PUBLIC_EXPONENT)) == NULL ||
	    (r = rsa_from(a->val, a->len, b->val, b->len, &pk)) != 0) {
		err_set_detail("the token's transport public key is unreadable");
		r = CE_CRYPTO;
		goto out;
	}
	destroy(m, &m->t_pub);
	if ((m->kek = secret_new(KEK_LEN)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	cc_random(secret_ptr(m->kek), KEK_LEN);
	for (i = 0; i < 2; i++) {
		secret_free(wrapped);
		wrapped = NULL;
		if ((r = oaep(pk, hashes[i], 1, secret_ptr(m->kek), KEK_LEN,
		    &wrapped)) != 0)
			goto out;
		oaep_params(hashes[i], &op, &mech);
		rv = m->f->C_UnwrapKey(m->s, &mech, m->t_priv,
		    secret_ptr(wrapped), (CK_ULONG)secret_len(wrapped), kt,
		    sizeof(kt) / sizeof(kt[0]), &m->t_kek);
		if (rv == CKR_OK || (rv != CKR_MECHANISM_PARAM_INVALID &&
		    rv != CKR_ARGUMENTS_BAD))
			break;
	}
	if (rv != CKR_OK) {
		r = rv_fail("to unwrap the transport key with "
		    "CKM_RSA_PKCS_OAEP", rv);
		goto out;
	}
	m->oaep_hash = hashes[i];
	destroy(m, &m->t_priv);
	if (desc != NULL)
		snprintf(desc, desclen, "RSA-%d OAEP %s, AES-256 KWP",
		    TRANSPORT_BITS, m->oaep_hash == CKM_SHA_1 ? "SHA-1" :
		    "SHA-256");
	r = 0;
 out:
	if (r != 0)
		transport_end(m);
	p11mod_obj_clear(&pub);
	secret_free(wrapped);
	EVP_PKEY_free(pk);
	return r;
}

/* A PKCS#11 template being built from an object's attributes. */
struct tmpl {
	CK_ATTRIBUTE a[P11MOD_ATTRS_MAX + 8];
	CK_ULONG n;
	CK_BBOOL bools[P11MOD_ATTRS_MAX + 8];
	CK_ULONG ulongs[P11MOD_ATTRS_MAX + 8];
};

/* Sets type in t (replacing it when present); returns its slot. */
static CK_ULONG
t_slot(struct tmpl *t, CK_ATTRIBUTE_TYPE type)
{
	CK_ULONG i;

	for (i = 0; i < t->n; i++)
		if (t->a[i].type == type)
			return i;
	/* Templates are built from fixed lists: they never fill up. */
	if (t->n < sizeof(t->a) / sizeof(t->a[0]) - 1)
		t->n++;
	return t->n - 1;
}

static void
t_add(struct tmpl *t, CK_ATTRIBUTE_TYPE type, void *p, CK_ULONG len)
{
	CK_ULONG i = t_slot(t, type);

	t->a[i].type = type;
	t->a[i].pValue = p;
	t->a[i].ulValueLen = len;
}

static void
t_bool(struct tmpl *t, CK_ATTRIBUTE_TYPE type, int v)
{
	CK_ULONG i = t_slot(t, type);

	t->bools[i] = v ? CK_TRUE : CK_FALSE;
	t->a[i].type = type;
	t->a[i].pValue = &t->bools[i];
	t->a[i].ulValueLen = sizeof(CK_BBOOL);
}

static void
t_ulong(struct tmpl *t, CK_ATTRIBUTE_TYPE type, uint64_t v)
{
	CK_ULONG i = t_slot(t, type);

	t->ulongs[i] = (CK_ULONG)v;
	t->a[i].type = type;
	t->a[i].pValue = &t->ulongs[i];
	t->a[i].ulValueLen = sizeof(CK_ULONG);
}

/* Copies the attributes of o named in list (bools as they are, byte
 * strings by pointer). */
static void
t_copy(struct tmpl *t, const struct p11mod_obj *o,
    const CK_ATTRIBUTE_TYPE *list, size_t n)
{
	const struct p11mod_attr *a;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((a = p11mod_obj_attr(o, (uint32_t)list[i])) == NULL)
			continue;
		if (is_bool_attr(list[i]) && a->len == 1)
			t_bool(t, list[i], a->val[0]);
		else if (is_ulong_attr(list[i]) && a->len == 8)
			t_ulong(t, list[i], get_be64(a->val));
		else if (!is_bool_attr(list[i]) && !is_ulong_attr(list[i]))
			t_add(t, list[i], a->val, (CK_ULONG)a->len);
	}
}

static int
remember(struct p11mod *m, CK_OBJECT_HANDLE h)
{
	if (m->made == NULL &&
	    (m->made = calloc(MAX_CREATED, sizeof(*m->made))) == NULL)
		return CE_NOMEM;
	if (m->nmade == MAX_CREATED)
		return CE_TOO_LONG;
	m->made[m->nmade++] = h;
	return 0;
}

static int
create(struct p11mod *m, struct tmpl *t, const char *what)
{
	CK_OBJECT_HANDLE h;
	CK_RV rv;

	if ((rv = m->f->C_CreateObject(m->s, t->a, t->n, &h)) != CKR_OK) {
		err_set_detail("the token refused to create %s: %s", what,
		    rv_name(rv));
		return CE_UNSUPPORTED;
	}
	return remember(m, h);
}

static const CK_ATTRIBUTE_TYPE id_attrs[] = {
	CKA_LABEL, CKA_ID, CKA_PRIVATE, CKA_MODIFIABLE,
};

/* The public key object of SPKI der, with usage from o (a public key's,
 * or a private key's mirrored: sign -> verify, decrypt -> encrypt,
 * unwrap -> wrap). */
static int
import_public(struct p11mod *m, const struct p11mod_obj *o,
    const struct p11mod_attr *spki, int mirror)
{
	static const CK_ATTRIBUTE_TYPE pub_use[] = {
		CKA_ENCRYPT, CKA_WRAP, CKA_VERIFY, CKA_DERIVE, CKA_SUBJECT,
	};
	CK_OBJECT_CLASS pubc = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt;
	struct tmpl *t = NULL;
	EVP_PKEY *pk = NULL;
	const unsigned char *dp = spki->val;
	uint8_t *n = NULL, *e = NULL, *point = NULL, *params = NULL,
	    *ptder = NULL, *wp;
	size_t nlen = 0, elen = 0, plen = 0;
	char group[64];
	int r = CE_CRYPTO, len;
	ASN1_OBJECT *oid = NULL;
	ASN1_OCTET_STRING *os = NULL;

	if ((pk = d2i_PUBKEY(NULL, &dp, (long)spki->len)) == NULL) {
		err_set_detail("a public key in the backup does not parse");
		return CE_FORMAT;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	t_add(t, CKA_CLASS, &pubc, sizeof(pubc));
	t_bool(t, CKA_TOKEN, 1);
	t_copy(t, o, id_attrs, sizeof(id_attrs) / sizeof(id_attrs[0]));
	t_bool(t, CKA_PRIVATE, 0);
	if (mirror) {
		t_bool(t, CKA_VERIFY, obj_bool(o, CKA_SIGN, 0));
		t_bool(t, CKA_ENCRYPT, obj_bool(o, CKA_DECRYPT, 0));
		t_bool(t, CKA_WRAP, obj_bool(o, CKA_UNWRAP, 0));
	} else
		t_copy(t, o, pub_use, sizeof(pub_use) / sizeof(pub_use[0]));
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
		kt = CKK_RSA;
		if ((r = bn_bytes(pk, OSSL_PKEY_PARAM_RSA_N, &n, &nlen)) != 0 ||
		    (r = bn_bytes(pk, OSSL_PKEY_PARAM_RSA_E, &e, &elen)) != 0)
			goto out;
		t_add(t, CKA_MODULUS, n, (CK_ULONG)nlen);
		t_add(t, CKA_PUBLIC_EXPONENT, e, (CK_ULONG)elen);
	} else if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC) {
		kt = CKK_EC;
		if (EVP_PKEY_get_group_name(pk, group, sizeof(group),
		    NULL) != 1 ||
		    (oid = OBJ_txt2obj(group, 0)) == NULL ||
		    (len = i2d_ASN1_OBJECT(oid, NULL)) <= 0 ||
		    (params = malloc((size_t)len)) == NULL)
			goto out;
		wp = params;
		i2d_ASN1_OBJECT(oid, &wp);
		t_add(t, CKA_EC_PARAMS, params, (CK_ULONG)len);
		if ((plen = EVP_PKEY_get1_encoded_public_key(pk, &point)) == 0 ||
		    (os = ASN1_OCTET_STRING_new()) == NULL ||
		    ASN1_OCTET_STRING_set(os, point, (int)plen) != 1 ||
		    (len = i2d_ASN1_OCTET_STRING(os, &ptder)) <= 0)
			goto out;
		t_add(t, CKA_EC_POINT, ptder, (CK_ULONG)len);
	} else {
		err_set_detail("a public key of a type the token import does "
		    "not handle");
		r = CE_UNSUPPORTED;
		goto out;
	}
	t_add(t, CKA_KEY_TYPE, &kt, sizeof(kt));
	r = create(m, t, "a public key (C_CreateObject)");
 out:
	free(t);
	free(n);
	free(e);
	free(params);
	OPENSSL_free(point);
	OPENSSL_free(ptder);
	ASN1_OBJECT_free(oid);
	ASN1_OCTET_STRING_free(os);
	EVP_PKEY_free(pk);
	return r;
}

/* A secret or private key: wrapped here, unwrapped onto the token. */
static int
import_key(struct p11mod *m, const struct p11mod_obj *o)
{
	static const CK_ATTRIBUTE_TYPE sec_use[] = {
		CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_ENCRYPT, CKA_DECRYPT,
		CKA_WRAP, CKA_UNWRAP, CKA_SIGN, CKA_VERIFY, CKA_DERIVE,
	};
	static const CK_ATTRIBUTE_TYPE priv_use[] = {
		CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_DECRYPT, CKA_UNWRAP,
		CKA_SIGN, CKA_DERIVE, CKA_SUBJECT,
	};
	CK_MECHANISM mech = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	CK_OBJECT_CLASS cls = o->cls;
	CK_KEY_TYPE kt = o->key_type;
	CK_OBJECT_HANDLE h;
	struct secret *w = NULL;
	const struct p11mod_attr *spki;
	struct tmpl *t = NULL;
	CK_RV rv;
	int r;

	if (o->value == NULL) {
		err_set_detail("a key without its value");
		return CE_FORMAT;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return CE_NOMEM;
	t_add(t, CKA_CLASS, &cls, sizeof(cls));
	t_add(t, CKA_KEY_TYPE, &kt, sizeof(kt));
	t_bool(t, CKA_TOKEN, 1);
	t_copy(t, o, id_attrs, sizeof(id_attrs) / sizeof(id_attrs[0]));
	if (cls == CKO_SECRET_KEY)
		t_copy(t, o, sec_use, sizeof(sec_use) / sizeof(sec_use[0]));
	else
		t_copy(t, o, priv_use, sizeof(priv_use) / sizeof(priv_use[0]));
	if ((r = kwp(m->kek, 1, secret_ptr(o->value), secret_len(o->value),
	    &w)) != 0)
		goto out;
	rv = m->f->C_UnwrapKey(m->s, &mech, m->t_kek, secret_ptr(w),
	    (CK_ULONG)secret_len(w), t->a, t->n, &h);
	if (rv != CKR_OK) {
		err_set_detail("the token refused to unwrap the key "
		    "(C_UnwrapKey, CKM_AES_KEY_WRAP_PAD): %s", rv_name(rv));
		r = CE_UNSUPPORTED;
		goto out;
	}
	if ((r = remember(m, h)) != 0)
		goto out;
	if (cls == CKO_PRIVATE_KEY &&
	    (spki = p11mod_obj_attr(o, 0x129u)) != NULL)
		r = import_public(m, o, spki, 1);
 out:
	secret_free(w);
	free(t);
	return r;
}

int
p11mod_import(struct p11mod *m, const struct p11mod_obj *o)
{
	static const CK_ATTRIBUTE_TYPE cert_copy[] = {
		CKA_CERTIFICATE_TYPE, CKA_SUBJECT, CKA_ISSUER,
		CKA_SERIAL_NUMBER, CKA_CERTIFICATE_CATEGORY,
	};
	static const CK_ATTRIBUTE_TYPE data_copy[] = {
		CKA_APPLICATION, CKA_OBJECT_ID,
	};
	CK_OBJECT_CLASS cls = o->cls;
	const struct p11mod_attr *spki;
	struct tmpl *t = NULL;
	int r;

	switch (o->cls) {
	case CKO_SECRET_KEY:
	case CKO_PRIVATE_KEY:
		return import_key(m, o);
	case CKO_PUBLIC_KEY:
		if ((spki = p11mod_obj_attr(o, 0x129u)) == NULL) {
			err_set_detail("a public key without its key info");
			return CE_FORMAT;
		}
		return import_public(m, o, spki, 0);
	case CKO_CERTIFICATE:
	case CKO_DATA:
		break;
	default:
		err_set_detail("an object class the token import does not "
		    "handle");
		return CE_UNSUPPORTED;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return CE_NOMEM;
	t_add(t, CKA_CLASS, &cls, sizeof(cls));
	t_bool(t, CKA_TOKEN, 1);
	t_copy(t, o, id_attrs, sizeof(id_attrs) / sizeof(id_attrs[0]));
	if (cls == CKO_CERTIFICATE) {
		t_bool(t, CKA_PRIVATE, 0);
		t_copy(t, o, cert_copy, sizeof(cert_copy) / sizeof(cert_copy[0]));
	} else
		t_copy(t, o, data_copy, sizeof(data_copy) / sizeof(data_copy[0]));
	if (o->value != NULL)
		t_add(t, CKA_VALUE, secret_ptr(o->value),
		    (CK_ULONG)secret_len(o->value));
	r = create(m, t, cls == CKO_CERTIFICATE ? "a certificate" :
	    "a data object");
	free(t);
	return r;
}

int
p11mod_has_label(struct p11mod *m, uint32_t cls, const char *label)
{
	CK_OBJECT_CLASS c = cls;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, NB(c) }, { CKA_TOKEN, NB(yes) },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_OBJECT_HANDLE h;
	CK_ULONG got = 0;

	if (m->f->C_FindObjectsInit(m->s, tmpl, 3) != CKR_OK)
		return 0;
	if (m->f->C_FindObjects(m->s, &h, 1, &got) != CKR_OK)
		got = 0;
	(void)m->f->C_FindObjectsFinal(m->s);
	return got > 0;
}

void
p11mod_import_end(struct p11mod *m, int undo)
{
	size_t i;

	transport_end(m);
	if (undo)
		for (i = 0; i < m->nmade; i++)
			destroy(m, &m->made[i]);
	m->nmade = 0;
}
