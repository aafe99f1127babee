/*
 * C_WrapKey with CKM_AES_KEY_WRAP_PAD, and C_SetAttributeValue for the
 * attributes wrapping reads. The policy is lib/objwrap.c's (every caller
 * answers alike); this file turns its verdicts into PKCS#11's return values.
 * C_UnwrapKey is in create.c: it reads its template as C_CreateObject does.
 */
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "buf.h"
#include "err.h"
#include "mod.h"
#include "object.h"

/* A verdict of object_wrap_check as PKCS#11 v2.40 names it (5.13). */
static CK_RV
verdict_rv(int v)
{
	switch (v) {
	case OBJ_WRAP_OK:
		return CKR_OK;
	case OBJ_WRAP_NOT_WRAPPING:
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	case OBJ_WRAP_KEK_TYPE:
		return CKR_WRAPPING_KEY_TYPE_INCONSISTENT;
	case OBJ_WRAP_UNEXTRACTABLE:
		return CKR_KEY_UNEXTRACTABLE;
	case OBJ_WRAP_UNTRUSTED:
	case OBJ_WRAP_NOT_KEY:
	default:
		return CKR_KEY_NOT_WRAPPABLE;
	}
}

CK_RV
mod_kwp_mech(const CK_MECHANISM *m)
{
	if (m->mechanism != CKM_AES_KEY_WRAP_PAD)
		return CKR_MECHANISM_INVALID;
	/* RFC 5649's default IV only */
	if (m->pParameter != NULL || m->ulParameterLen != 0)
		return CKR_MECHANISM_PARAM_INVALID;
	return CKR_OK;
}

/* The wrapping key and the key to wrap behind two handles. */
static CK_RV
wrap_keys(struct session *l, CK_OBJECT_HANDLE wh, CK_OBJECT_HANDLE kh,
    struct object **kekp, struct object **targetp)
{
	CK_RV rv;
	int pub;

	if ((rv = mod_obj_get(l, wh, kekp, &pub)) != CKR_OK || pub)
		return rv == CKR_OK || rv == CKR_OBJECT_HANDLE_INVALID ?
		    CKR_WRAPPING_KEY_HANDLE_INVALID : rv;
	if ((rv = mod_obj_get(l, kh, targetp, &pub)) != CKR_OK)
		return rv == CKR_OBJECT_HANDLE_INVALID ?
		    CKR_KEY_HANDLE_INVALID : rv;
	/* a public key is not secret: Coffer hands it out as attributes */
	return pub ? CKR_KEY_NOT_WRAPPABLE : CKR_OK;
}

CK_RV
C_WrapKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE wh,
    CK_OBJECT_HANDLE kh, CK_BYTE_PTR out, CK_ULONG_PTR outlenp)
{
	struct mod_sess *s;
	struct session *l;
	struct object *kek = NULL, *target = NULL;
	struct buf *w = NULL;
	size_t need;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = mod_sess_get(h, &s)) != CKR_OK ||
	    (rv = mod_login_of(s, &l)) != CKR_OK)
		goto out;
	if (m == NULL || outlenp == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = mod_kwp_mech(m)) != CKR_OK ||
	    (rv = wrap_keys(l, wh, kh, &kek, &target)) != CKR_OK ||
	    (rv = verdict_rv(object_wrap_check(kek, target))) != CKR_OK)
		goto out;
	/* PKCS#11 5.2: a NULL buffer asks for the length */
	need = object_wrap_len(target);
	if (out == NULL) {
		*outlenp = need;
		goto out;
	}
	if (*outlenp < need) {
		*outlenp = need;
		rv = CKR_BUFFER_TOO_SMALL;
		goto out;
	}
	if ((rv = mod_rv(object_wrap_export(l, kek, target, &w))) != CKR_OK)
		goto out;
	memcpy(out, buf_ptr(w), buf_len(w));
	*outlenp = buf_len(w);
 out:
	buf_free(w);
	object_free(target);
	object_free(kek);
	mod_leave();
	return rv;
}

/* The attributes C_SetAttributeValue changes: CK_BBOOLs, policy in lib. */
static int
settable(CK_ATTRIBUTE_TYPE t)
{
	return t == CKA_EXTRACTABLE || t == CKA_WRAP_WITH_TRUSTED ||
	    t == CKA_TRUSTED;
}

/* 1 when a holds what o (pub: its public half) already has: setting it
 * changes nothing. */
static int
unchanged(const struct object *o, int pub, const CK_ATTRIBUTE *a)
{
	uint8_t *v = NULL;
	size_t len;
	int same;

	if (a->pValue == NULL || attr_get(o, pub, a->type, &v, &len) != 0)
		return 0;
	same = len == a->ulValueLen && memcmp(v, a->pValue, len) == 0;
	free(v);
	return same;
}

CK_RV
C_SetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh,
    CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	struct session *l;
	struct object *o = NULL;
	struct object_key_opts ko;
	uint32_t *types = NULL;
	int *vals = NULL, pub, r;
	size_t k = 0;
	CK_ULONG i;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = mod_rw_login(h, t != NULL || n == 0, &l)) != CKR_OK ||
	    (rv = mod_obj_get(l, oh, &o, &pub)) != CKR_OK)
		goto out;
	if ((types = calloc(n + 1, sizeof(*types))) == NULL ||
	    (vals = calloc(n + 1, sizeof(*vals))) == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (pub || !settable(t[i].type)) {
			if (!unchanged(o, pub, &t[i])) {
				rv = CKR_ATTRIBUTE_READ_ONLY;
				goto out;
			}
			continue;
		}
		memset(&ko, 0, sizeof(ko));
		(void)mod_key_opt(&t[i], &ko, &rv);
		if (rv != CKR_OK)
			goto out;
		types[k] = (uint32_t)t[i].type;
		vals[k] = t[i].type == CKA_EXTRACTABLE ? ko.extractable :
		    t[i].type == CKA_TRUSTED ? ko.trusted : ko.wrap_with_trusted;
		if (object_key_attr_check(o, types[k], vals[k]) != 0) {
			rv = CKR_ATTRIBUTE_READ_ONLY;
			goto out;
		}
		k++;
	}
	if (k == 0)
		goto out;
	r = object_set_key_bools(l, o->label, types, vals, k);
	rv = r == CE_POLICY ? CKR_ATTRIBUTE_READ_ONLY : mod_rv(r);
 out:
	free(vals);
	free(types);
	object_free(o);
	mod_leave();
	return rv;
}
