/*
 * Using keys: C_Sign*, C_Verify*, C_Encrypt and C_Decrypt through
 * lib/objuse.c, the functions `hsm key sign/verify/encrypt` use. An
 * operation remembers the key's handle and label and gathers what
 * C_*Update hands it; the key is used once, at the end. A signing key is
 * held by the slot between calls (keys.c) and used without the module
 * lock; other keys are read per operation.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "err.h"
#include "mod.h"
#include "object.h"
#include "secret.h"

/* The hash (lib/object.h) and key type a signing mechanism takes. */
static CK_RV
sign_mech(CK_MECHANISM_TYPE m, int *hashp, uint32_t *ktp)
{
	switch (m) {
	case CKM_ECDSA:
		*hashp = OBJ_PREHASHED;
		*ktp = CKK_EC;
		return CKR_OK;
	case CKM_ECDSA_SHA256:
	case CKM_ECDSA_SHA384:
		*hashp = m == CKM_ECDSA_SHA256 ? OBJ_SHA256 : OBJ_SHA384;
		*ktp = CKK_EC;
		return CKR_OK;
	case CKM_RSA_PKCS:
	case CKM_RSA_PKCS_PSS:
		*hashp = OBJ_PREHASHED;
		*ktp = CKK_RSA;
		return CKR_OK;
	case CKM_SHA256_RSA_PKCS:
	case CKM_SHA384_RSA_PKCS:
	case CKM_SHA256_RSA_PKCS_PSS:
	case CKM_SHA384_RSA_PKCS_PSS:
		*hashp = m == CKM_SHA256_RSA_PKCS ||
		    m == CKM_SHA256_RSA_PKCS_PSS ? OBJ_SHA256 : OBJ_SHA384;
		*ktp = CKK_RSA;
		return CKR_OK;
	case CKM_SHA256_HMAC:
	case CKM_SHA384_HMAC:
		*hashp = m == CKM_SHA256_HMAC ? OBJ_SHA256 : OBJ_SHA384;
		*ktp = CKK_GENERIC_SECRET;
		return CKR_OK;
	default:
		return CKR_MECHANISM_INVALID;
	}
}

static int
is_pss(CK_MECHANISM_TYPE m)
{
	return m == CKM_RSA_PKCS_PSS || m == CKM_SHA256_RSA_PKCS_PSS ||
	    m == CKM_SHA384_RSA_PKCS_PSS;
}

/* The mechanisms that sign one digest the caller made, not a stream. */
static int
is_prehashed(CK_MECHANISM_TYPE m)
{
	return m == CKM_ECDSA || m == CKM_RSA_PKCS || m == CKM_RSA_PKCS_PSS;
}

/*
 * PSS parameters: Coffer signs with MGF1 over the message's hash and a
 * salt as long as that hash (lib/object.h OBJ_RSA_PSS), so those are the
 * parameters it takes. *hlenp: the digest's length.
 */
static CK_RV
pss_params(CK_MECHANISM_PTR m, size_t *hlenp)
{
	CK_RSA_PKCS_PSS_PARAMS pp;

	if (m->pParameter == NULL || m->ulParameterLen != sizeof(pp))
		return CKR_MECHANISM_PARAM_INVALID;
	memcpy(&pp, m->pParameter, sizeof(pp));
	if ((m->mechanism == CKM_SHA256_RSA_PKCS_PSS &&
	    pp.hashAlg != CKM_SHA256) ||
	    (m->mechanism == CKM_SHA384_RSA_PKCS_PSS &&
	    pp.hashAlg != CKM_SHA384))
		return CKR_MECHANISM_PARAM_INVALID;
	if (pp.hashAlg == CKM_SHA256 && pp.mgf == CKG_MGF1_SHA256 &&
	    pp.sLen == 32)
		*hlenp = 32;
	else if (pp.hashAlg == CKM_SHA384 && pp.mgf == CKG_MGF1_SHA384 &&
	    pp.sLen == 48)
		*hlenp = 48;
	else
		return CKR_MECHANISM_PARAM_INVALID;
	return CKR_OK;
}

/* The signature format lib/objuse takes for the operation. */
static int
sig_fmt(const struct mod_op *op)
{
	return OBJ_SIG_RAW | (is_pss(op->mech) ? OBJ_RSA_PSS : 0);
}

/* Bytes of a signature: RSA's modulus, ECDSA's r || s, HMAC's digest. */
static size_t
sig_len(const struct mod_op *op)
{
	if (op->mech == CKM_SHA256_HMAC)
		return 32;
	if (op->mech == CKM_SHA384_HMAC)
		return 48;
	if (op->key_type == CKK_RSA)
		return (op->bits + 7) / 8;
	return 2 * ((op->bits + 7) / 8);
}

/*
 * CK_GCM_PARAMS in either layout applications use: the v2.40 headers' with
 * ulIvBits, and the one without it that the v2.40 text describes (and
 * NSS and others send). Only a 96-bit IV and a 128-bit tag.
 */
struct gcm_params_short {
	CK_BYTE_PTR pIv;
	CK_ULONG ulIvLen;
	CK_BYTE_PTR pAAD;
	CK_ULONG ulAADLen;
	CK_ULONG ulTagBits;
};

static CK_RV
gcm_params(const CK_MECHANISM *m, CK_GCM_PARAMS *gp)
{
	const struct gcm_params_short *sp = m->pParameter;

	if (m->pParameter == NULL)
		return CKR_MECHANISM_PARAM_INVALID;
	if (m->ulParameterLen == sizeof(*gp))
		memcpy(gp, m->pParameter, sizeof(*gp));
	else if (m->ulParameterLen == sizeof(*sp)) {
		memset(gp, 0, sizeof(*gp));
		gp->pIv = sp->pIv;
		gp->ulIvLen = sp->ulIvLen;
		gp->pAAD = sp->pAAD;
		gp->ulAADLen = sp->ulAADLen;
		gp->ulTagBits = sp->ulTagBits;
	} else
		return CKR_MECHANISM_PARAM_INVALID;
	if (gp->ulIvLen != OBJ_GCM_IV_LEN || gp->pIv == NULL ||
	    gp->ulTagBits != 128 || (gp->pAAD == NULL && gp->ulAADLen > 0) ||
	    gp->ulAADLen > MOD_DATA_MAX)
		return CKR_MECHANISM_PARAM_INVALID;
	return CKR_OK;
}

static CK_RV
op_init(CK_SESSION_HANDLE h, int kind, CK_MECHANISM_PTR m,
    CK_OBJECT_HANDLE key)
{
	struct mod_sess *s;
	struct session *l;
	struct object *o = NULL;
	const struct object *ko;
	struct mod_key *held = NULL;
	CK_GCM_PARAMS gp;
	uint32_t kt = CKK_AES;
	int hash, pub = 0;
	CK_RV rv;

	if ((rv = mod_sess_get(h, &s)) != CKR_OK)
		return rv;
	if (s->op.kind != OP_NONE)
		return CKR_OPERATION_ACTIVE;
	if (m == NULL)
		return CKR_ARGUMENTS_BAD;
	if ((rv = mod_login_of(s, &l)) != CKR_OK)
		return rv;
	if (kind == OP_SIGN || kind == OP_VERIFY) {
		if ((rv = sign_mech(m->mechanism, &hash, &kt)) != CKR_OK)
			return rv;
	} else if (m->mechanism != CKM_AES_GCM)
		return CKR_MECHANISM_INVALID;
	/* a key to sign with is held (keys.c): the signature will want it */
	if (kind == OP_SIGN &&
	    ((held = mod_key_peek(mod_slot_of(s), key)) != NULL ||
	    mod_key_get(mod_slot_of(s), key, &held) == CKR_OK))
		ko = object_key_object(mod_key_of(held));
	else if ((rv = mod_obj_get(l, key, &o, &pub)) != CKR_OK)
		return rv == CKR_OBJECT_HANDLE_INVALID ?
		    CKR_KEY_HANDLE_INVALID : rv;
	else
		ko = o;
	if (ko->key_type != kt || (pub && kind != OP_VERIFY) ||
	    (kind == OP_SIGN && ko->cls != CKO_PRIVATE_KEY &&
	    ko->cls != CKO_SECRET_KEY)) {
		rv = CKR_KEY_TYPE_INCONSISTENT;
		goto out;
	}
	memset(&s->op, 0, sizeof(s->op));
	if (m->mechanism == CKM_AES_GCM && (rv = gcm_params(m, &gp)) != CKR_OK)
		goto out;
	if (is_pss(m->mechanism) &&
	    (rv = pss_params(m, &s->op.digest_len)) != CKR_OK)
		goto out;
	if (m->mechanism == CKM_AES_GCM) {
		memcpy(s->op.iv, gp.pIv, OBJ_GCM_IV_LEN);
		if (gp.ulAADLen > 0) {
			if ((s->op.aad = malloc(gp.ulAADLen)) == NULL) {
				rv = CKR_HOST_MEMORY;
				goto out;
			}
			memcpy(s->op.aad, gp.pAAD, gp.ulAADLen);
			s->op.aadlen = gp.ulAADLen;
		}
	}
	s->op.kind = kind;
	s->op.mech = m->mechanism;
	s->op.key = key;
	memcpy(s->op.label, ko->label, sizeof(s->op.label));
	s->op.key_type = ko->key_type;
	s->op.bits = ko->bits;
 out:
	mod_key_put(held);
	object_free(o);
	return rv;
}

/* The session's operation, when it is of kind. */
static CK_RV
op_get(CK_SESSION_HANDLE h, int kind, struct mod_sess **sp)
{
	CK_RV rv;

	if ((rv = mod_sess_get(h, sp)) != CKR_OK)
		return rv;
	if ((*sp)->op.kind != kind)
		return CKR_OPERATION_NOT_INITIALIZED;
	return CKR_OK;
}

/* Gathers more data for the operation (C_*Update). */
static CK_RV
op_add(struct mod_op *op, const void *p, CK_ULONG len)
{
	uint8_t *t;

	if (p == NULL && len > 0)
		return CKR_ARGUMENTS_BAD;
	if (len > MOD_DATA_MAX - op->len)
		return CKR_DATA_LEN_RANGE;
	if (len == 0)
		return CKR_OK;
	if ((t = malloc(op->len + len)) == NULL)
		return CKR_HOST_MEMORY;
	if (op->len > 0)
		memcpy(t, op->data, op->len);
	memcpy(t + op->len, p, len);
	if (op->data != NULL) {
		sodium_memzero(op->data, op->len);
		free(op->data);
	}
	op->data = t;
	op->len += len;
	return CKR_OK;
}

/* Copies out into p (*lenp room) the PKCS#11 way: NULL asks the size. */
static CK_RV
give(const void *out, size_t len, CK_BYTE_PTR p, CK_ULONG_PTR lenp)
{
	if (*lenp < len) {
		*lenp = len;
		return CKR_BUFFER_TOO_SMALL;
	}
	memcpy(p, out, len);
	*lenp = len;
	return CKR_OK;
}

/*
 * Signs with the held key of the operation, without the module lock (held
 * on entry and on return): the operation ends, its data moves here, the
 * key is counted in use until it is given back.
 */
static CK_RV
sign_held(struct mod_sess *s, int hash, CK_BYTE_PTR sig, CK_ULONG_PTR lenp)
{
	struct mod_key *k = NULL;
	const struct object *o;
	struct buf *b = NULL;
	uint8_t *data = s->op.data;
	size_t len = s->op.len;
	int fmt = sig_fmt(&s->op), r;
	CK_RV rv;

	if ((rv = mod_key_get(mod_slot_of(s), s->op.key, &k)) == CKR_OK) {
		/* the key C_SignInit took, not another under its handle */
		o = object_key_object(mod_key_of(k));
		if (o->key_type != s->op.key_type || o->bits != s->op.bits ||
		    strcmp(o->label, s->op.label) != 0)
			rv = CKR_KEY_HANDLE_INVALID;
	}
	if (rv != CKR_OK) {
		mod_key_put(k);
		mod_op_clear(&s->op);
		return rv;
	}
	/* s may be closed by another thread once the lock is let go */
	s->op.data = NULL;
	s->op.len = 0;
	mod_op_clear(&s->op);
	mod_leave();
	r = object_key_sign(mod_key_of(k), hash, fmt, data, len, &b);
	mod_relock();
	mod_key_put(k);
	if (data != NULL) {
		sodium_memzero(data, len);
		free(data);
	}
	if ((rv = mod_rv(r)) == CKR_OK)
		rv = give(buf_ptr(b), buf_len(b), sig, lenp);
	buf_free(b);
	return rv;
}

static CK_RV
sign_final(struct mod_sess *s, CK_BYTE_PTR sig, CK_ULONG_PTR lenp)
{
	uint32_t kt;
	int hash;
	CK_RV rv;

	if (lenp == NULL) {
		mod_op_clear(&s->op);
		return CKR_ARGUMENTS_BAD;
	}
	/* A size query, or a buffer too small, leaves the operation on. */
	if (sig == NULL || *lenp < sig_len(&s->op)) {
		*lenp = sig_len(&s->op);
		return sig == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
	}
	/* PKCS#1 v1.5 padding needs 11 bytes of the modulus */
	if ((s->op.mech == CKM_RSA_PKCS && s->op.len + 11 > sig_len(&s->op)) ||
	    (s->op.mech == CKM_RSA_PKCS_PSS && s->op.len != s->op.digest_len))
		rv = CKR_DATA_LEN_RANGE;
	else if ((rv = sign_mech(s->op.mech, &hash, &kt)) == CKR_OK)
		return sign_held(s, hash, sig, lenp);
	mod_op_clear(&s->op);
	return rv;
}

static CK_RV
verify_final(struct mod_sess *s, CK_BYTE_PTR sig, CK_ULONG len)
{
	struct session *l;
	uint32_t kt;
	int hash, r;
	CK_RV rv;

	if (sig == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else if (len != sig_len(&s->op))
		rv = CKR_SIGNATURE_LEN_RANGE;
	else if ((rv = mod_login_of(s, &l)) == CKR_OK &&
	    (rv = sign_mech(s->op.mech, &hash, &kt)) == CKR_OK) {
		r = object_verify_fmt(l, s->op.label, hash, sig_fmt(&s->op),
		    s->op.data, s->op.len, sig, len);
		rv = r == CE_INTEGRITY ? CKR_SIGNATURE_INVALID : mod_rv(r);
	}
	mod_op_clear(&s->op);
	return rv;
}

/* C_SignUpdate and C_VerifyUpdate: gather one more part of the data. */
static CK_RV
update(CK_SESSION_HANDLE h, int kind, CK_BYTE_PTR p, CK_ULONG len)
{
	struct mod_sess *s;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = op_get(h, kind, &s)) == CKR_OK) {
		/* the raw mechanisms sign one digest, not a stream */
		if (is_prehashed(s->op.mech))
			rv = CKR_FUNCTION_NOT_SUPPORTED;
		else
			rv = op_add(&s->op, p, len);
		if (rv != CKR_OK)
			mod_op_clear(&s->op);
	}
	mod_leave();
	return rv;
}

CK_RV
C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	rv = op_init(h, OP_SIGN, m, key);
	mod_leave();
	return rv;
}

CK_RV
C_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
    CK_ULONG_PTR siglenp)
{
	struct mod_sess *s;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = op_get(h, OP_SIGN, &s)) != CKR_OK)
		goto out;
	/* a size query comes first, and again with the buffer: gather once */
	if (s->op.len == 0 && (rv = op_add(&s->op, data, len)) != CKR_OK) {
		mod_op_clear(&s->op);
		goto out;
	}
	rv = sign_final(s, sig, siglenp);
 out:
	mod_leave();
	return rv;
}

CK_RV
C_SignUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG len)
{
	return update(h, OP_SIGN, p, len);
}

CK_RV
C_SignFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR siglenp)
{
	struct mod_sess *s;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = op_get(h, OP_SIGN, &s)) == CKR_OK)
		rv = sign_final(s, sig, siglenp);
	mod_leave();
	return rv;
}

CK_RV
C_VerifyInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	rv = op_init(h, OP_VERIFY, m, key);
	mod_leave();
	return rv;
}

CK_RV
C_Verify(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
    CK_ULONG siglen)
{
	struct mod_sess *s;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = op_get(h, OP_VERIFY, &s)) != CKR_OK)
		goto out;
	if ((rv = op_add(&s->op, data, len)) != CKR_OK) {
		mod_op_clear(&s->op);
		goto out;
	}
	rv = verify_final(s, sig, siglen);
 out:
	mod_leave();
	return rv;
}

CK_RV
C_VerifyUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG len)
{
	return update(h, OP_VERIFY, p, len);
}

CK_RV
C_VerifyFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG siglen)
{
	struct mod_sess *s;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = op_get(h, OP_VERIFY, &s)) == CKR_OK)
		rv = verify_final(s, sig, siglen);
	mod_leave();
	return rv;
}

CK_RV
C_EncryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	rv = op_init(h, OP_ENCRYPT, m, key);
	mod_leave();
	return rv;
}

CK_RV
C_Encrypt(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG len, CK_BYTE_PTR out,
    CK_ULONG_PTR outlenp)
{
	struct mod_sess *s;
	struct session *l;
	struct buf *b = NULL;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = op_get(h, OP_ENCRYPT, &s)) != CKR_OK)
		goto out;
	if (outlenp == NULL || (in == NULL && len > 0)) {
		rv = CKR_ARGUMENTS_BAD;
		goto end;
	}
	if (len > MOD_DATA_MAX) {
		rv = CKR_DATA_LEN_RANGE;
		goto end;
	}
	if (out == NULL || *outlenp < len + 16) {
		*outlenp = len + 16;
		rv = out == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
		goto out; /* the operation stays on */
	}
	if ((rv = mod_login_of(s, &l)) == CKR_OK &&
	    (rv = mod_rv(object_encrypt_iv(l, s->op.label, s->op.iv,
	    s->op.aad, s->op.aadlen, in, len, &b))) == CKR_OK)
		rv = give(buf_ptr(b), buf_len(b), out, outlenp);
 end:
	buf_free(b);
	mod_op_clear(&s->op);
 out:
	mod_leave();
	return rv;
}

CK_RV
C_DecryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	rv = op_init(h, OP_DECRYPT, m, key);
	mod_leave();
	return rv;
}

CK_RV
C_Decrypt(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG len, CK_BYTE_PTR out,
    CK_ULONG_PTR outlenp)
{
	struct mod_sess *s;
	struct session *l;
	struct secret *pt = NULL;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = op_get(h, OP_DECRYPT, &s)) != CKR_OK)
		goto out;
	if (outlenp == NULL || in == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto end;
	}
	if (len < 16 || len > MOD_DATA_MAX + 16) {
		rv = CKR_ENCRYPTED_DATA_LEN_RANGE;
		goto end;
	}
	if (out == NULL || *outlenp < len - 16) {
		*outlenp = len - 16;
		rv = out == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
		goto out;
	}
	if ((rv = mod_login_of(s, &l)) == CKR_OK &&
	    (rv = mod_rv(object_decrypt_iv(l, s->op.label, s->op.iv,
	    s->op.aad, s->op.aadlen, in, len, &pt))) == CKR_OK)
		rv = give(secret_ptr(pt), secret_len(pt), out, outlenp);
 end:
	secret_free(pt);
	mod_op_clear(&s->op);
 out:
	mod_leave();
	return rv;
}
