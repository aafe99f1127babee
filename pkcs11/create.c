/*
 * C_CreateObject: what `hsm key import` and `hsm data/cert import` store,
 * through the same library calls (one transaction, one audit record each):
 * X.509 certificates, data objects, AES or generic secret keys given by
 * value, and EC or RSA private keys given by their components, which
 * lib/p11key turns into the PKCS#8 key `hsm key import` takes; and
 * C_UnwrapKey, which reads its template the same way and stores the key
 * with the same call (lib/objwrap.c object_unwrap).
 */
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "err.h"
#include "mod.h"
#include "object.h"
#include "p11key.h"
#include "secret.h"

/* What C_CreateObject reads from its template. */
struct create {
	CK_OBJECT_CLASS cls;
	int have_cls;
	CK_KEY_TYPE key_type;
	CK_CERTIFICATE_TYPE cert_type;
	char label[OBJECT_LABEL_MAX + 1];
	char app[OBJECT_LABEL_MAX + 1];
	int have_app;
	const uint8_t *id;
	size_t idlen;
	const uint8_t *value;
	size_t vlen;
	const uint8_t *ec_params;
	size_t eplen;
	struct p11key_rsa rsa;
	int is_private;
	int have_kt;
	struct object_key_opts ko;
};

/* Where an RSA component of the template goes, or NULL. */
static struct p11key_int *
rsa_part(struct create *c, CK_ATTRIBUTE_TYPE t)
{
	switch (t) {
	case CKA_MODULUS:
		return &c->rsa.n;
	case CKA_PUBLIC_EXPONENT:
		return &c->rsa.e;
	case CKA_PRIVATE_EXPONENT:
		return &c->rsa.d;
	case CKA_PRIME_1:
		return &c->rsa.p;
	case CKA_PRIME_2:
		return &c->rsa.q;
	case CKA_EXPONENT_1:
		return &c->rsa.dp;
	case CKA_EXPONENT_2:
		return &c->rsa.dq;
	case CKA_COEFFICIENT:
		return &c->rsa.qinv;
	default:
		return NULL;
	}
}

static CK_RV
ulong_of(const CK_ATTRIBUTE *a, CK_ULONG *vp)
{
	if (a->pValue == NULL || a->ulValueLen != sizeof(*vp))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(vp, a->pValue, sizeof(*vp));
	return CKR_OK;
}

static CK_RV
bool_of(const CK_ATTRIBUTE *a, int *vp)
{
	if (a->pValue == NULL || a->ulValueLen != 1)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	*vp = *(const CK_BBOOL *)a->pValue != 0;
	return CKR_OK;
}

static CK_RV
text_of(const CK_ATTRIBUTE *a, char *out, size_t room)
{
	if (a->ulValueLen == 0 || a->ulValueLen >= room || a->pValue == NULL ||
	    memchr(a->pValue, '\0', a->ulValueLen) != NULL)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(out, a->pValue, a->ulValueLen);
	out[a->ulValueLen] = '\0';
	return CKR_OK;
}

static CK_RV
create_read(struct create *c, const CK_ATTRIBUTE *t, CK_ULONG n)
{
	struct p11key_int *part;
	CK_ULONG i;
	CK_RV rv = CKR_OK;
	int tok;

	c->is_private = -1;
	for (i = 0; rv == CKR_OK && i < n; i++) {
		if (mod_key_opt(&t[i], &c->ko, &rv))
			continue;
		if ((part = rsa_part(c, t[i].type)) != NULL) {
			if (t[i].pValue == NULL && t[i].ulValueLen > 0)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			part->p = t[i].pValue;
			part->len = t[i].ulValueLen;
			continue;
		}
		switch (t[i].type) {
		case CKA_EC_PARAMS:
			if (t[i].pValue == NULL || t[i].ulValueLen == 0)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			c->ec_params = t[i].pValue;
			c->eplen = t[i].ulValueLen;
			break;
		case CKA_CLASS:
			rv = ulong_of(&t[i], &c->cls);
			c->have_cls = 1;
			break;
		case CKA_KEY_TYPE:
			rv = ulong_of(&t[i], &c->key_type);
			c->have_kt = 1;
			break;
		case CKA_CERTIFICATE_TYPE:
			rv = ulong_of(&t[i], &c->cert_type);
			break;
		case CKA_LABEL:
			rv = text_of(&t[i], c->label, sizeof(c->label));
			break;
		case CKA_APPLICATION:
			rv = text_of(&t[i], c->app, sizeof(c->app));
			c->have_app = 1;
			break;
		case CKA_ID:
			if (t[i].pValue == NULL || t[i].ulValueLen == 0 ||
			    t[i].ulValueLen > OBJECT_ID_MAX)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			c->id = t[i].pValue;
			c->idlen = t[i].ulValueLen;
			break;
		case CKA_VALUE:
			if (t[i].pValue == NULL && t[i].ulValueLen > 0)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			c->value = t[i].pValue;
			c->vlen = t[i].ulValueLen;
			break;
		case CKA_PRIVATE:
			rv = bool_of(&t[i], &c->is_private);
			break;
		case CKA_TOKEN:
			/* every object is a token object */
			if ((rv = bool_of(&t[i], &tok)) == CKR_OK && !tok)
				rv = CKR_ATTRIBUTE_VALUE_INVALID;
			break;
		default:
			/* the issuer, serial and the like of a certificate are
			 * in its value; Coffer sets usage flags itself */
			break;
		}
	}
	return rv;
}

/* Stores the object the template describes; CE_* or a CKR_* in *rvp. */
static int
create_store(struct session *l, const struct create *c, CK_RV *rvp)
{
	struct secret *v = NULL;
	int kind, r;

	*rvp = CKR_OK;
	switch (c->cls) {
	case CKO_CERTIFICATE:
		if (c->cert_type != CKC_X_509 || c->value == NULL) {
			*rvp = CKR_TEMPLATE_INCONSISTENT;
			return 0;
		}
		return object_import_cert_id(l, c->label, c->id, c->idlen,
		    c->value, c->vlen);
	case CKO_DATA:
		/* as a token's data objects, private unless told otherwise */
		return object_import_data(l, c->label,
		    c->have_app ? c->app : NULL, c->value, c->vlen,
		    c->is_private != 0);
	case CKO_SECRET_KEY:
		if (c->key_type != CKK_AES && c->key_type != CKK_GENERIC_SECRET) {
			*rvp = CKR_ATTRIBUTE_VALUE_INVALID;
			return 0;
		}
		if (c->value == NULL || c->vlen == 0) {
			*rvp = CKR_TEMPLATE_INCOMPLETE;
			return 0;
		}
		kind = c->key_type == CKK_AES ? OBJ_AES : OBJ_GENERIC;
		if ((v = secret_from(c->value, c->vlen)) == NULL)
			return CE_NOMEM;
		r = object_import_key_opts(l, kind, c->label, c->id, c->idlen, v,
		    &c->ko, NULL);
		secret_free(v);
		return r;
	case CKO_PRIVATE_KEY:
		if (c->key_type == CKK_EC) {
			if (c->ec_params == NULL || c->value == NULL) {
				*rvp = CKR_TEMPLATE_INCOMPLETE;
				return 0;
			}
			r = p11key_ec_pkcs8(c->ec_params, c->eplen, c->value,
			    c->vlen, &v);
			kind = OBJ_EC;
		} else if (c->key_type == CKK_RSA) {
			r = p11key_rsa_pkcs8(&c->rsa, &v);
			kind = OBJ_RSA;
		} else {
			*rvp = CKR_ATTRIBUTE_VALUE_INVALID;
			return 0;
		}
		if (r == 0)
			r = object_import_key_opts(l, kind, c->label, c->id,
			    c->idlen, v, &c->ko, NULL);
		secret_free(v);
		return r;
	default:
		*rvp = CKR_ATTRIBUTE_VALUE_INVALID;
		return 0;
	}
}

/*
 * A public key: Coffer keeps it inside its private key, so there is nothing
 * to store. One that equals the public half of the key pair labelled the
 * same is that half (applications write both halves of a key they import);
 * any other is refused.
 */
static CK_RV
create_public(struct session *l, const CK_ATTRIBUTE *t, CK_ULONG n,
    const char *label, CK_OBJECT_HANDLE *hp)
{
	struct object_info oi;
	struct object *o = NULL;
	uint8_t *v = NULL;
	size_t len;
	CK_ULONG i;
	CK_RV rv = CKR_OK;
	int r, checked = 0;

	if ((r = object_find(l, label, &oi)) != 0 ||
	    (r = object_get(l, label, &o)) != 0)
		return r == CE_NOT_FOUND ? CKR_ATTRIBUTE_VALUE_INVALID :
		    mod_rv(r);
	if (!attr_has_public(o)) {
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		goto out;
	}
	for (i = 0; rv == CKR_OK && i < n; i++) {
		if (t[i].type != CKA_MODULUS && t[i].type != CKA_PUBLIC_EXPONENT &&
		    t[i].type != CKA_EC_POINT && t[i].type != CKA_EC_PARAMS &&
		    t[i].type != CKA_KEY_TYPE)
			continue;
		if (attr_get(o, 1, t[i].type, &v, &len) != 0 ||
		    len != t[i].ulValueLen || t[i].pValue == NULL ||
		    memcmp(v, t[i].pValue, len) != 0)
			rv = CKR_ATTRIBUTE_VALUE_INVALID;
		checked += t[i].type != CKA_KEY_TYPE;
		free(v);
		v = NULL;
	}
	if (rv == CKR_OK && checked == 0)
		rv = CKR_TEMPLATE_INCOMPLETE;
	if (rv == CKR_OK)
		*hp = MOD_HANDLE(oi.id, 1);
 out:
	object_free(o);
	return rv;
}

CK_RV
C_CreateObject(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n,
    CK_OBJECT_HANDLE_PTR op)
{
	struct mod_sess *s;
	struct session *l;
	struct object_info oi;
	struct create c;
	CK_RV rv;
	int r;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	memset(&c, 0, sizeof(c));
	if ((rv = mod_sess_get(h, &s)) != CKR_OK ||
	    (rv = mod_login_of(s, &l)) != CKR_OK)
		goto out;
	if (!(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto out;
	}
	if (op == NULL || (t == NULL && n > 0)) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = create_read(&c, t, n)) != CKR_OK)
		goto out;
	/* Coffer finds objects by label: one is needed */
	if (!c.have_cls || c.label[0] == '\0') {
		rv = CKR_TEMPLATE_INCOMPLETE;
		goto out;
	}
	if (c.cls == CKO_PUBLIC_KEY) {
		rv = create_public(l, t, n, c.label, op);
		goto out;
	}
	r = create_store(l, &c, &rv);
	if (rv != CKR_OK)
		goto out;
	if (r == CE_FORMAT || r == CE_TOO_LONG)
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	else if ((rv = mod_rv(r)) == CKR_OK &&
	    (rv = mod_rv(object_find(l, c.label, &oi))) == CKR_OK)
		*op = MOD_HANDLE(oi.id, 0);
	if (rv == CKR_KEY_TYPE_INCONSISTENT)
		rv = CKR_ATTRIBUTE_VALUE_INVALID; /* a bad length or component */
 out:
	mod_leave();
	return rv;
}

/* The object kind a C_UnwrapKey template names, or a CKR_*. */
static CK_RV
unwrap_kind(const struct create *c, int *kindp)
{
	if (!c->have_cls || !c->have_kt)
		return CKR_TEMPLATE_INCOMPLETE;
	if (c->cls == CKO_SECRET_KEY && c->key_type == CKK_AES)
		*kindp = OBJ_AES;
	else if (c->cls == CKO_SECRET_KEY && c->key_type == CKK_GENERIC_SECRET)
		*kindp = OBJ_GENERIC;
	else if (c->cls == CKO_PRIVATE_KEY && c->key_type == CKK_EC)
		*kindp = OBJ_EC;
	else if (c->cls == CKO_PRIVATE_KEY && c->key_type == CKK_RSA)
		*kindp = OBJ_RSA;
	else
		return CKR_TEMPLATE_INCONSISTENT;
	/* the key's value is what was wrapped, not the template's */
	if (c->value != NULL || c->rsa.n.p != NULL || c->rsa.d.p != NULL)
		return CKR_TEMPLATE_INCONSISTENT;
	return CKR_OK;
}

/* What object_unwrap's refusals are in PKCS#11. */
static CK_RV
unwrap_rv(int r)
{
	switch (r) {
	case CE_AUTH_TAG:
	case CE_FORMAT:
	case CE_TOO_LONG:
	case CE_INVALID:
		return CKR_WRAPPED_KEY_INVALID;
	default:
		return mod_rv(r);
	}
}

CK_RV
C_UnwrapKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE kh,
    CK_BYTE_PTR wrapped, CK_ULONG wlen, CK_ATTRIBUTE_PTR t, CK_ULONG n,
    CK_OBJECT_HANDLE_PTR op)
{
	struct session *l;
	struct object *kek = NULL;
	struct create c;
	uint64_t id = 0;
	CK_RV rv;
	int kind = 0, pub, v;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	memset(&c, 0, sizeof(c));
	if ((rv = mod_rw_login(h, m != NULL && wrapped != NULL && op != NULL &&
	    (t != NULL || n == 0), &l)) != CKR_OK ||
	    (rv = mod_kwp_mech(m)) != CKR_OK ||
	    (rv = create_read(&c, t, n)) != CKR_OK ||
	    (rv = unwrap_kind(&c, &kind)) != CKR_OK)
		goto out;
	if ((rv = mod_obj_get(l, kh, &kek, &pub)) != CKR_OK || pub) {
		rv = rv == CKR_OK || rv == CKR_OBJECT_HANDLE_INVALID ?
		    CKR_UNWRAPPING_KEY_HANDLE_INVALID : rv;
		goto out;
	}
	if ((v = object_unwrap_check(kek)) != OBJ_WRAP_OK) {
		rv = v == OBJ_WRAP_NOT_WRAPPING ? CKR_KEY_FUNCTION_NOT_PERMITTED :
		    CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT;
		goto out;
	}
	mod_label_default(c.label, c.id, c.idlen);
	if ((rv = unwrap_rv(object_unwrap(l, kek, wrapped, wlen, kind, c.label,
	    c.id, c.idlen, &c.ko, &id))) == CKR_OK)
		*op = MOD_HANDLE(id, 0);
 out:
	object_free(kek);
	mod_leave();
	return rv;
}
