/*
 * objwrap: keys leaving and entering a partition wrapped (PKCS#11's
 * C_WrapKey and C_UnwrapKey with CKM_AES_KEY_WRAP_PAD, RFC 5649), and the
 * few key attributes PKCS#11 lets an application change afterwards.
 *
 * The policy lives here, not in the module, so that every caller answers
 * alike: a key leaves only when CKA_EXTRACTABLE is true, under an AES key
 * with CKA_WRAP; a key with CKA_WRAP_WITH_TRUSTED only under one with
 * CKA_TRUSTED. CKA_EXTRACTABLE can only be dropped and
 * CKA_WRAP_WITH_TRUSTED only raised (PKCS#11 v2.40 4.9 and 4.10).
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "hsm_int.h"
#include "object_int.h"
#include "p11.h"
#include "secret.h"
#include "store.h"


static int
flag(const struct object *o, uint32_t type)
{
	int v = 0;

	(void)object_get_bool(o, type, &v);
	return v;
}

static int
kek_check(const struct object *kek, uint32_t use)
{
	if (!flag(kek, use))
		return OBJ_WRAP_NOT_WRAPPING;
	if (kek->cls != CKO_SECRET_KEY || kek->key_type != CKK_AES ||
	    kek->value == NULL)
		return OBJ_WRAP_KEK_TYPE;
	return OBJ_WRAP_OK;
}

int
object_wrap_check(const struct object *kek, const struct object *target)
{
	int v;

	if ((v = kek_check(kek, CKA_WRAP)) != OBJ_WRAP_OK)
		return v;
	if ((target->cls != CKO_SECRET_KEY && target->cls != CKO_PRIVATE_KEY) ||
	    target->value == NULL)
		return OBJ_WRAP_NOT_KEY;
	if (!flag(target, CKA_EXTRACTABLE))
		return OBJ_WRAP_UNEXTRACTABLE;
	if (flag(target, CKA_WRAP_WITH_TRUSTED) && !flag(kek, CKA_TRUSTED))
		return OBJ_WRAP_UNTRUSTED;
	return OBJ_WRAP_OK;
}

int
object_unwrap_check(const struct object *kek)
{
	return kek_check(kek, CKA_UNWRAP);
}

size_t
object_wrap_len(const struct object *target)
{
	size_t n = target->value != NULL ? secret_len(target->value) : 0;

	return CC_KWP_LEN(n);
}

int
object_wrap(const struct object *kek, const struct object *target,
    struct buf **outp)
{
	struct buf *b = NULL;
	uint8_t *w;
	size_t n = 0, room = object_wrap_len(target);
	int r;

	if (object_wrap_check(kek, target) != OBJ_WRAP_OK) {
		err_set_detail("'%s' may not be wrapped under '%s'",
		    target->label, kek->label);
		return CE_POLICY;
	}
	if ((b = buf_new(room)) == NULL)
		return CE_NOMEM;
	if ((r = buf_reserve(b, room, &w)) != 0 ||
	    (r = cc_kwp(1, secret_ptr(kek->value), secret_len(kek->value),
	    secret_ptr(target->value),
	    secret_len(target->value), w, &n)) != 0)
		goto out;
	if (n != room) {
		r = CE_CRYPTO;
		goto out;
	}
	*outp = b;
	b = NULL;
 out:
	buf_free(b);
	return r;
}

int
object_wrap_export(struct session *s, const struct object *kek,
    const struct object *target, struct buf **outp)
{
	char detail[OBJECT_LABEL_MAX + 64];
	int r, own = 0;

	if ((r = object_wrap(kek, target, outp)) != 0)
		return r;
	snprintf(detail, sizeof(detail), "wrapped under '%s' "
	    "(CKM_AES_KEY_WRAP_PAD)", kek->label);
	if ((r = hsm_tx_enter(s->h, &own)) == 0)
		r = object_audit(s, "key-wrap", target->label, detail, -1);
	if ((r = hsm_tx_leave(s->h, own, r, 0)) != 0) {
		/* no key leaves without its record */
		buf_free(*outp);
		*outp = NULL;
	}
	return r;
}

int
object_unwrap(struct session *s, const struct object *kek, const void *in,
    size_t len, int kind, const char *label, const uint8_t *ckaid,
    size_t ckaidlen, const struct object_key_opts *ko, uint64_t *idp)
{
	struct secret *pt = NULL, *v = NULL;
	size_t n = 0;
	int r;

	if (object_unwrap_check(kek) != OBJ_WRAP_OK) {
		err_set_detail("'%s' is not an AES key that may unwrap",
		    kek->label);
		return CE_POLICY;
	}
	if (len < 2 * CC_KWP_BLOCK || len % CC_KWP_BLOCK != 0 ||
	    len > OBJECT_VALUE_MAX) {
		err_set_detail("a wrapped key is a multiple of 8 bytes, at "
		    "least 16");
		return CE_FORMAT;
	}
	if ((pt = secret_new(len)) == NULL)
		return CE_NOMEM;
	if ((r = cc_kwp(0, secret_ptr(kek->value), secret_len(kek->value),
	    in, len, secret_ptr(pt), &n)) != 0)
		goto out;
	if ((v = secret_from(secret_ptr(pt), n)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	r = object_import_key_opts(s, kind, label, ckaid, ckaidlen, v, ko, idp);
 out:
	secret_free(v);
	secret_free(pt);
	return r;
}

int
object_key_attr_check(const struct object *o, uint32_t type, int v)
{
	int cur = flag(o, type);

	v = v != 0;
	if (o->cls != CKO_SECRET_KEY && o->cls != CKO_PRIVATE_KEY) {
		err_set_detail("'%s' is not a key", o->label);
		return CE_POLICY;
	}
	if (v == cur)
		return 0;
	switch (type) {
	case CKA_EXTRACTABLE:
		if (v == 0)
			return 0;
		err_set_detail("CKA_EXTRACTABLE of '%s' is false for good",
		    o->label);
		return CE_POLICY;
	case CKA_WRAP_WITH_TRUSTED:
		if (v == 1)
			return 0;
		err_set_detail("CKA_WRAP_WITH_TRUSTED of '%s' is true for good",
		    o->label);
		return CE_POLICY;
	case CKA_TRUSTED:
		return 0;
	default:
		err_set_detail("attribute 0x%x of '%s' cannot change", type,
		    o->label);
		return CE_POLICY;
	}
}

/* Writes o back over its row (in: what the listing knows of it) in the
 * transaction (V0), keeping the id and the creation time, and moving the
 * partition's used bytes by the difference. */
static int
rewrite_tx(struct session *s, const struct object_info *in,
    const struct object *o)
{
	struct buf *scratch = NULL;
	sqlite3_stmt *q;
	uint64_t id = in->id, add = 0;
	int r;

	if ((scratch = buf_new(OBJECT_RECORD_MAX)) == NULL)
		return CE_NOMEM;
	if ((r = store_prepare(s->h->st, "DELETE FROM object WHERE id = ?",
	    &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, (int64_t)in->id);
	if ((r = hsm_step_done(s->h, q)) != 0 ||
	    (r = object_insert_tx(s, NULL, o,
	    o->value ? secret_ptr(o->value) : NULL,
	    o->value ? secret_len(o->value) : 0, &id, &add, scratch)) != 0 ||
	    (r = object_account_tx(s, (int64_t)add - (int64_t)in->size, 0)) != 0)
		goto out;
	if ((r = store_prepare(s->h->st, "UPDATE object SET created = ? "
	    "WHERE id = ?", &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, in->created);
	sqlite3_bind_int64(q, 2, (int64_t)in->id);
	r = hsm_step_done(s->h, q);
 out:
	buf_free(scratch);
	return r;
}

int
object_set_key_bools(struct session *s, const char *label,
    const uint32_t *types, const int *vals, size_t n)
{
	struct object_info in;
	struct object *o = NULL;
	char detail[160];
	size_t i, used = 0;
	int r, own = 0;

	if ((r = object_require_user(s)) != 0)
		return r;
	if (s->role != ROLE_CO) {
		err_set_detail("only the Crypto Officer changes keys");
		return CE_PERMISSION;
	}
	if (s->version == 1) {
		err_set_detail("the attributes of a V1 partition's keys are "
		    "sealed in their SKS blobs and do not change");
		return CE_UNSUPPORTED;
	}
	if ((r = hsm_tx_enter(s->h, &own)) != 0)
		return r;
	if ((r = object_find(s, label, &in)) != 0 ||
	    (r = object_get(s, label, &o)) != 0)
		goto out;
	detail[0] = '\0';
	for (i = 0; i < n; i++) {
		if ((r = object_key_attr_check(o, types[i], vals[i])) != 0 ||
		    (r = object_set_bool(o, types[i], vals[i])) != 0)
			goto out;
		if (used < sizeof(detail))
			used += (size_t)snprintf(detail + used,
			    sizeof(detail) - used, "%s%s %s", i ? ", " : "",
			    p11_attr_name(types[i]) ? p11_attr_name(types[i]) :
			    "?", vals[i] ? "true" : "false");
	}
	if ((r = rewrite_tx(s, &in, o)) != 0)
		goto out;
	r = object_audit(s, "key-modify", label, detail, -1);
 out:
	object_free(o);
	return hsm_tx_leave(s->h, own, r, 0);
}
