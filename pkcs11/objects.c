/*
 * Objects: C_FindObjects*, C_GetAttributeValue, C_DestroyObject and key
 * generation. Coffer names objects by label; a handle is the object's
 * store id (mod.h MOD_HANDLE), turned back into a label by
 * object_find_id(), which reads no value. Every write is the library call
 * `hsm key generate` and `hsm key delete` make: one store transaction with
 * its audit record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "crypto.h"
#include "err.h"
#include "mod.h"
#include "object.h"

CK_RV
mod_obj_get(struct session *l, CK_OBJECT_HANDLE h, struct object **op,
    int *pubp)
{
	struct object_info oi;
	struct object *o = NULL;
	int r;

	if ((h >> 1) == 0)
		return CKR_OBJECT_HANDLE_INVALID;
	if ((r = object_find_id(l, h >> 1, &oi)) != 0 ||
	    (r = object_get(l, oi.label, &o)) != 0)
		return mod_rv(r);
	*pubp = (h & 1) != 0;
	if (*pubp && !attr_has_public(o)) {
		object_free(o);
		return CKR_OBJECT_HANDLE_INVALID;
	}
	*op = o;
	return CKR_OK;
}

/* 1 when the object (pub: its public half) holds every value of tmpl. */
static int
matches(const struct object *o, int pub, const CK_ATTRIBUTE *tmpl,
    CK_ULONG n)
{
	uint8_t *v;
	size_t len;
	CK_ULONG i;
	int ok = 1;

	for (i = 0; ok && i < n; i++) {
		if (attr_get(o, pub, tmpl[i].type, &v, &len) != 0)
			return 0;
		ok = len == tmpl[i].ulValueLen && (len == 0 ||
		    (tmpl[i].pValue != NULL && memcmp(v, tmpl[i].pValue,
		    len) == 0));
		free(v);
	}
	return ok;
}

struct find_ctx {
	struct session *l;
	const CK_ATTRIBUTE *tmpl;
	CK_ULONG n;
	struct mod_find *f;
	size_t room;
	int r;
};

static int
find_add(struct find_ctx *c, CK_OBJECT_HANDLE h)
{
	CK_OBJECT_HANDLE *t;

	if (c->f->n == c->room) {
		c->room = c->room ? 2 * c->room : 16;
		if ((t = reallocarray(c->f->h, c->room, sizeof(*t))) == NULL)
			return CE_NOMEM;
		c->f->h = t;
	}
	c->f->h[c->f->n++] = h;
	return 0;
}

/*
 * Whether the object of a listing (pub: its public half, if it has one)
 * may match the template, judged on what the listing knows: class, key
 * type and label. Opening an object costs a decryption; most searches
 * name a class or a label, and this spares opening the rest.
 */
static int
may_match(const struct object_info *oi, int pub, const CK_ATTRIBUTE *t,
    CK_ULONG n)
{
	CK_ULONG i, v;

	if (pub && oi->cls != CKO_PRIVATE_KEY)
		return 0;
	for (i = 0; i < n; i++) {
		if (t[i].type == CKA_LABEL) {
			if (t[i].ulValueLen != strlen(oi->label) ||
			    (t[i].ulValueLen > 0 && memcmp(t[i].pValue,
			    oi->label, t[i].ulValueLen) != 0))
				return 0;
			continue;
		}
		if (t[i].type != CKA_CLASS && t[i].type != CKA_KEY_TYPE)
			continue;
		if (t[i].ulValueLen != sizeof(v) || t[i].pValue == NULL)
			return 0;
		memcpy(&v, t[i].pValue, sizeof(v));
		if (t[i].type == CKA_KEY_TYPE && v != oi->key_type)
			return 0;
		if (t[i].type == CKA_CLASS &&
		    v != (pub ? CKO_PUBLIC_KEY : oi->cls))
			return 0;
	}
	return 1;
}

static int
find_cb(void *ctx, const struct object_info *oi)
{
	struct find_ctx *c = ctx;
	struct object *o = NULL;
	int r = 0, mine, pub;

	mine = may_match(oi, 0, c->tmpl, c->n);
	pub = may_match(oi, 1, c->tmpl, c->n);
	if (!mine && !pub)
		return 0;
	/* The rest of the attributes are the object's own. */
	if ((r = object_get(c->l, oi->label, &o)) != 0)
		return r;
	if (mine && matches(o, 0, c->tmpl, c->n))
		r = find_add(c, MOD_HANDLE(oi->id, 0));
	if (r == 0 && pub && attr_has_public(o) &&
	    matches(o, 1, c->tmpl, c->n))
		r = find_add(c, MOD_HANDLE(oi->id, 1));
	object_free(o);
	return r;
}

CK_RV
C_FindObjectsInit(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n)
{
	struct find_ctx c;
	struct mod_sess *s;
	struct session *l;
	CK_RV rv;
	int r;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = mod_sess_get(h, &s)) != CKR_OK)
		goto out;
	if (s->find.active) {
		rv = CKR_OPERATION_ACTIVE;
		goto out;
	}
	if (tmpl == NULL && n > 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	s->find.active = 1;
	/* Coffer keeps no public objects readable without a login. */
	if (mod_login_of(s, &l) != CKR_OK)
		goto out;
	memset(&c, 0, sizeof(c));
	c.l = l;
	c.tmpl = tmpl;
	c.n = n;
	c.f = &s->find;
	if ((r = object_list(l, find_cb, &c)) != 0) {
		mod_find_clear(&s->find);
		rv = mod_rv(r);
	}
 out:
	mod_leave();
	return rv;
}

CK_RV
C_FindObjects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max,
    CK_ULONG_PTR countp)
{
	struct mod_sess *s;
	CK_ULONG k = 0;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = mod_sess_get(h, &s)) != CKR_OK)
		goto out;
	if (!s->find.active) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
		goto out;
	}
	if (out == NULL || countp == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	while (k < max && s->find.pos < s->find.n)
		out[k++] = s->find.h[s->find.pos++];
	*countp = k;
 out:
	mod_leave();
	return rv;
}

CK_RV
C_FindObjectsFinal(CK_SESSION_HANDLE h)
{
	struct mod_sess *s;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = mod_sess_get(h, &s)) == CKR_OK) {
		if (!s->find.active)
			rv = CKR_OPERATION_NOT_INITIALIZED;
		mod_find_clear(&s->find);
	}
	mod_leave();
	return rv;
}

CK_RV
C_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh,
    CK_ATTRIBUTE_PTR tmpl, CK_ULONG n)
{
	struct mod_sess *s;
	struct session *l;
	struct object *o = NULL;
	uint8_t *v;
	size_t len;
	CK_ULONG i;
	CK_RV rv;
	int pub, r;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = mod_sess_get(h, &s)) != CKR_OK)
		goto out;
	if (tmpl == NULL && n > 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (mod_login_of(s, &l) != CKR_OK) {
		rv = CKR_OBJECT_HANDLE_INVALID; /* none is visible */
		goto out;
	}
	if ((rv = mod_obj_get(l, oh, &o, &pub)) != CKR_OK)
		goto out;
	/* PKCS#11 5.7: fill what can be, flag the rest, report the worst. */
	for (i = 0; i < n; i++) {
		r = attr_get(o, pub, tmpl[i].type, &v, &len);
		if (r == ATTR_INVALID || r == ATTR_SENSITIVE) {
			tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = r == ATTR_SENSITIVE ? CKR_ATTRIBUTE_SENSITIVE :
			    rv == CKR_OK ? CKR_ATTRIBUTE_TYPE_INVALID : rv;
			continue;
		}
		if (r != 0) {
			rv = mod_rv(r);
			goto out;
		}
		if (tmpl[i].pValue == NULL)
			tmpl[i].ulValueLen = len;
		else if (tmpl[i].ulValueLen < len) {
			tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_BUFFER_TOO_SMALL;
		} else {
			memcpy(tmpl[i].pValue, v, len);
			tmpl[i].ulValueLen = len;
		}
		free(v);
	}
 out:
	object_free(o);
	mod_leave();
	return rv;
}

CK_RV
C_DestroyObject(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh)
{
	struct mod_sess *s;
	struct session *l;
	struct object *o = NULL;
	CK_RV rv;
	int pub;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = mod_sess_get(h, &s)) != CKR_OK ||
	    (rv = mod_login_of(s, &l)) != CKR_OK)
		goto out;
	if (!(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto out;
	}
	if ((rv = mod_obj_get(l, oh, &o, &pub)) != CKR_OK)
		goto out;
	/* The public half is the private key's own attribute in Coffer. */
	if (pub) {
		rv = CKR_ACTION_PROHIBITED;
		goto out;
	}
	rv = mod_rv(object_delete(l, o->label));
 out:
	object_free(o);
	mod_leave();
	return rv;
}

/* What key generation reads from the templates. */
struct gen {
	char label[OBJECT_LABEL_MAX + 1];
	uint8_t id[OBJECT_ID_MAX];
	size_t idlen;
	CK_ULONG bits;             /* CKA_MODULUS_BITS */
	CK_ULONG value_len;        /* CKA_VALUE_LEN */
	unsigned ec_bits;
	int have_ec;
	struct object_key_opts ko;
};

static CK_RV
gen_read(struct gen *g, const CK_ATTRIBUTE *t, CK_ULONG n)
{
	static const uint8_t f4[] = { 0x01, 0x00, 0x01 };
	const uint8_t *v;
	CK_ULONG i, len;
	CK_RV rv = CKR_OK;

	for (i = 0; i < n; i++) {
		v = t[i].pValue;
		len = t[i].ulValueLen;
		if (v == NULL && len > 0)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		if (mod_key_opt(&t[i], &g->ko, &rv)) {
			if (rv != CKR_OK)
				return rv;
			continue;
		}
		switch (t[i].type) {
		case CKA_LABEL:
			if (len == 0 || len > OBJECT_LABEL_MAX ||
			    memchr(v, '\0', len) != NULL)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			memcpy(g->label, v, len);
			g->label[len] = '\0';
			break;
		case CKA_ID:
			if (len == 0 || len > OBJECT_ID_MAX)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			memcpy(g->id, v, len);
			g->idlen = len;
			break;
		case CKA_MODULUS_BITS:
		case CKA_VALUE_LEN:
			if (len != sizeof(CK_ULONG))
				return CKR_ATTRIBUTE_VALUE_INVALID;
			memcpy(t[i].type == CKA_VALUE_LEN ? &g->value_len :
			    &g->bits, v, sizeof(CK_ULONG));
			break;
		case CKA_EC_PARAMS:
			if ((g->ec_bits = attr_ec_bits(v, len)) == 0)
				return CKR_CURVE_NOT_SUPPORTED;
			g->have_ec = 1;
			break;
		case CKA_PUBLIC_EXPONENT:
			/* Coffer's RSA keys use F4, as Luna's default */
			while (len > 0 && *v == 0)
				v++, len--;
			if (len != sizeof(f4) || memcmp(v, f4, len) != 0)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			break;
		case CKA_TOKEN:
			/* every object is a token object */
			if (len != 1 || *v == 0)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			break;
		default:
			/* usage flags and the like: Coffer sets its own
			 * (docs/pkcs11.md) */
			break;
		}
	}
	return CKR_OK;
}

void
mod_label_default(char label[OBJECT_LABEL_MAX + 1], const uint8_t *id,
    size_t idlen)
{
	uint8_t rnd[8];
	size_t i, n;
	const uint8_t *p;

	if (label[0] != '\0')
		return;
	p = idlen > 0 ? id : rnd;
	n = idlen > 0 ? idlen : sizeof(rnd);
	if (idlen == 0)
		cc_random(rnd, sizeof(rnd));
	snprintf(label, OBJECT_LABEL_MAX + 1, "key-");
	for (i = 0; i < n && 4 + 2 * i + 2 < OBJECT_LABEL_MAX + 1; i++)
		snprintf(label + 4 + 2 * i, 3, "%02x", p[i]);
}

int
mod_key_opt(const CK_ATTRIBUTE *a, struct object_key_opts *ko, CK_RV *rvp)
{
	int *dst;

	switch (a->type) {
	case CKA_EXTRACTABLE:
		dst = &ko->extractable;
		break;
	case CKA_WRAP_WITH_TRUSTED:
		dst = &ko->wrap_with_trusted;
		break;
	case CKA_TRUSTED:
		dst = &ko->trusted;
		break;
	default:
		return 0;
	}
	if (a->pValue == NULL || a->ulValueLen != sizeof(CK_BBOOL))
		*rvp = CKR_ATTRIBUTE_VALUE_INVALID;
	else
		*dst = *(const CK_BBOOL *)a->pValue != CK_FALSE;
	return 1;
}

CK_RV
mod_rw_login(CK_SESSION_HANDLE h, int args_ok, struct session **lp)
{
	struct mod_sess *s;
	CK_RV rv;

	if ((rv = mod_sess_get(h, &s)) != CKR_OK)
		return rv;
	if (!args_ok)
		return CKR_ARGUMENTS_BAD;
	if ((rv = mod_login_of(s, lp)) != CKR_OK)
		return rv;
	if (!(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	return CKR_OK;
}

/* The session, its login and a writable session, for a generation. */
static CK_RV
gen_session(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, struct session **lp)
{
	return mod_rw_login(h, m != NULL, lp);
}

CK_RV
C_GenerateKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t,
    CK_ULONG n, CK_OBJECT_HANDLE_PTR kp)
{
	struct session *l;
	struct gen g;
	uint64_t id = 0;
	unsigned bits;
	int kind;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	memset(&g, 0, sizeof(g));
	if ((rv = gen_session(h, m, &l)) != CKR_OK)
		goto out;
	if (m->mechanism != CKM_AES_KEY_GEN &&
	    m->mechanism != CKM_GENERIC_SECRET_KEY_GEN) {
		rv = CKR_MECHANISM_INVALID;
		goto out;
	}
	if (kp == NULL || (t == NULL && n > 0)) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = gen_read(&g, t, n)) != CKR_OK)
		goto out;
	kind = m->mechanism == CKM_AES_KEY_GEN ? OBJ_AES : OBJ_GENERIC;
	bits = (unsigned)g.value_len * 8;
	if (g.value_len == 0) {
		rv = CKR_TEMPLATE_INCOMPLETE;
		goto out;
	}
	if (g.value_len > 512 || object_bits_check(kind, &bits) != 0) {
		rv = CKR_KEY_SIZE_RANGE;
		goto out;
	}
	mod_label_default(g.label, g.id, g.idlen);
	if ((rv = mod_rv(object_generate_opts(l, kind, bits, g.label,
	    g.idlen ? g.id : NULL, g.idlen, &g.ko, &id))) == CKR_OK)
		*kp = MOD_HANDLE(id, 0);
 out:
	mod_leave();
	return rv;
}

CK_RV
C_GenerateKeyPair(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m,
    CK_ATTRIBUTE_PTR pubt, CK_ULONG npub, CK_ATTRIBUTE_PTR privt,
    CK_ULONG npriv, CK_OBJECT_HANDLE_PTR pubp, CK_OBJECT_HANDLE_PTR privp)
{
	struct session *l;
	struct gen g;
	uint64_t id = 0;
	unsigned bits;
	int kind;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	memset(&g, 0, sizeof(g));
	if ((rv = gen_session(h, m, &l)) != CKR_OK)
		goto out;
	if (pubp == NULL || privp == NULL || (pubt == NULL && npub > 0) ||
	    (privt == NULL && npriv > 0)) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	/* The private template's label and id win: they name the pair. */
	if ((rv = gen_read(&g, pubt, npub)) != CKR_OK ||
	    (rv = gen_read(&g, privt, npriv)) != CKR_OK)
		goto out;
	if (m->mechanism == CKM_EC_KEY_PAIR_GEN) {
		if (!g.have_ec) {
			rv = CKR_TEMPLATE_INCOMPLETE;
			goto out;
		}
		kind = OBJ_EC;
		bits = g.ec_bits;
	} else if (m->mechanism == CKM_RSA_PKCS_KEY_PAIR_GEN) {
		if (g.bits != 2048 && g.bits != 3072 && g.bits != 4096) {
			rv = g.bits == 0 ? CKR_TEMPLATE_INCOMPLETE :
			    CKR_KEY_SIZE_RANGE;
			goto out;
		}
		kind = OBJ_RSA;
		bits = (unsigned)g.bits;
	} else {
		rv = CKR_MECHANISM_INVALID;
		goto out;
	}
	mod_label_default(g.label, g.id, g.idlen);
	if ((rv = mod_rv(object_generate_opts(l, kind, bits, g.label,
	    g.idlen ? g.id : NULL, g.idlen, &g.ko, &id))) == CKR_OK) {
		*pubp = MOD_HANDLE(id, 1);
		*privp = MOD_HANDLE(id, 0);
	}
 out:
	mod_leave();
	return rv;
}
