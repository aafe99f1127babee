/*
 * C_CreateObject: what `hsm key import` and `hsm data/cert import` store,
 * through the same library calls (one transaction, one audit record each):
 * X.509 certificates, data objects, and AES or generic secret keys given
 * by value. Private and public keys given by their components are not
 * taken yet (docs/pkcs11.md): Coffer stores a key pair as a PKCS#8 private
 * key, and rebuilding one from PKCS#11 components is a slice of its own.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mod.h"
#include "object.h"
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
	int is_private;
};

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
	CK_ULONG i;
	CK_RV rv = CKR_OK;
	int tok;

	c->is_private = -1;
	for (i = 0; rv == CKR_OK && i < n; i++) {
		switch (t[i].type) {
		case CKA_CLASS:
			rv = ulong_of(&t[i], &c->cls);
			c->have_cls = 1;
			break;
		case CKA_KEY_TYPE:
			rv = ulong_of(&t[i], &c->key_type);
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
		r = object_import_key_id(l, kind, c->label, c->id, c->idlen, v);
		secret_free(v);
		return r;
	default:
		*rvp = CKR_ATTRIBUTE_VALUE_INVALID;
		return 0;
	}
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
	r = create_store(l, &c, &rv);
	if (rv != CKR_OK)
		goto out;
	if (r == CE_FORMAT || r == CE_TOO_LONG)
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	else if ((rv = mod_rv(r)) == CKR_OK &&
	    (rv = mod_rv(object_find(l, c.label, &oi))) == CKR_OK)
		*op = MOD_HANDLE(oi.id, 0);
	if (rv == CKR_KEY_TYPE_INCONSISTENT)
		rv = CKR_ATTRIBUTE_VALUE_INVALID; /* e.g. a bad key length */
 out:
	mod_leave();
	return rv;
}
