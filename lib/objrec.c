#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "object_int.h"
#include "p11.h"
#include "secret.h"

struct object *
object_new(void)
{
	struct object *o;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	o->key_type = CKK_NONE;
	o->cls = 0xffffffffu;
	return o;
}

static void
attrs_clear(struct object *o)
{
	size_t i;

	for (i = 0; i < o->nattrs; i++)
		free(o->attrs[i].val);
	free(o->attrs);
	o->attrs = NULL;
	o->nattrs = 0;
	o->attrs_room = 0;
}

void
object_free(struct object *o)
{
	if (o == NULL)
		return;
	attrs_clear(o);
	secret_free(o->value);
	free(o);
}

static uint64_t
get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

const struct object_attr *
object_attr(const struct object *o, uint32_t type)
{
	size_t i;

	for (i = 0; i < o->nattrs; i++)
		if (o->attrs[i].type == type)
			return &o->attrs[i];
	return NULL;
}

int
object_get_ulong(const struct object *o, uint32_t type, uint64_t *vp)
{
	const struct object_attr *a = object_attr(o, type);

	if (a == NULL)
		return CE_NOT_FOUND;
	if (a->len != 8)
		return CE_FORMAT;
	*vp = get_be(a->val, 8);
	return 0;
}

int
object_get_bool(const struct object *o, uint32_t type, int *vp)
{
	const struct object_attr *a = object_attr(o, type);

	if (a == NULL)
		return CE_NOT_FOUND;
	if (a->len != 1 || a->val[0] > 1)
		return CE_FORMAT;
	*vp = a->val[0];
	return 0;
}

int
object_set_attr(struct object *o, uint32_t type, const void *p, size_t len)
{
	struct object_attr *a = (struct object_attr *)object_attr(o, type);
	struct object_attr *na;
	uint8_t *v;

	if (type == CKA_VALUE)
		return CE_INVALID; /* the value lives in o->value */
	if (len > OBJECT_ATTRS_MAX)
		return CE_TOO_LONG;
	if ((v = malloc(len ? len : 1)) == NULL)
		return CE_NOMEM;
	if (len)
		memcpy(v, p, len);
	if (a == NULL) {
		/* Room for 16 more at a time: a record decodes a dozen or more
		 * attributes, and a realloc each was a restore's hot spot. */
		if (o->nattrs == o->attrs_room) {
			if ((na = reallocarray(o->attrs, o->attrs_room + 16,
			    sizeof(*na))) == NULL) {
				free(v);
				return CE_NOMEM;
			}
			o->attrs = na;
			o->attrs_room += 16;
		}
		a = &o->attrs[o->nattrs++];
		a->type = type;
	} else
		free(a->val);
	a->val = v;
	a->len = len;
	if (type == CKA_LABEL && len <= OBJECT_LABEL_MAX) {
		memcpy(o->label, p, len);
		o->label[len] = '\0';
	}
	if (type == CKA_CLASS && len == 8)
		o->cls = (uint32_t)get_be(v, 8);
	if (type == CKA_KEY_TYPE && len == 8)
		o->key_type = (uint32_t)get_be(v, 8);
	return 0;
}

int
object_set_ulong(struct object *o, uint32_t type, uint64_t v)
{
	uint8_t x[8];
	int i;

	for (i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (56 - 8 * i));
	return object_set_attr(o, type, x, sizeof(x));
}

int
object_set_bool(struct object *o, uint32_t type, int v)
{
	uint8_t x = v ? 1 : 0;

	return object_set_attr(o, type, &x, 1);
}

/* A label as stored: 1 to OBJECT_LABEL_MAX bytes, no control character. */
static int
label_copy(const uint8_t *p, size_t len, char out[OBJECT_LABEL_MAX + 1])
{
	size_t i;

	if (len == 0 || len > OBJECT_LABEL_MAX) {
		err_set_detail("object label must be 1 to %d bytes",
		    OBJECT_LABEL_MAX);
		return CE_FORMAT;
	}
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f) {
			err_set_detail("object label holds a control character");
			return CE_FORMAT;
		}
	}
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

int
object_meta(struct object *o)
{
	const struct object_attr *a;
	uint64_t v;
	int r;

	if ((a = object_attr(o, CKA_LABEL)) == NULL)
		return label_copy(NULL, 0, o->label);
	if ((r = label_copy(a->val, a->len, o->label)) != 0)
		return r;
	if (object_get_ulong(o, CKA_CLASS, &v) != 0 || v > CKO_SECRET_KEY) {
		err_set_detail("object '%s' has no known CKA_CLASS", o->label);
		return CE_FORMAT;
	}
	o->cls = (uint32_t)v;
	o->key_type = CKK_NONE;
	o->bits = 0;
	if (o->cls == CKO_DATA || o->cls == CKO_CERTIFICATE)
		return 0;
	if (object_get_ulong(o, CKA_KEY_TYPE, &v) != 0) {
		err_set_detail("key '%s' has no CKA_KEY_TYPE", o->label);
		return CE_FORMAT;
	}
	o->key_type = (uint32_t)v;
	switch (o->key_type) {
	case CKK_AES:
	case CKK_GENERIC_SECRET:
		if (o->cls != CKO_SECRET_KEY)
			return CE_FORMAT;
		if (object_get_ulong(o, CKA_VALUE_LEN, &v) == 0 && v <= 4096)
			o->bits = (uint32_t)v * 8;
		else if (o->value != NULL && secret_len(o->value) <= 4096)
			o->bits = (uint32_t)secret_len(o->value) * 8;
		break;
	case CKK_RSA:
		if (object_get_ulong(o, CKA_MODULUS_BITS, &v) == 0 && v <= 16384)
			o->bits = (uint32_t)v;
		break;
	case CKK_EC:
		if ((a = object_attr(o, CKA_EC_PARAMS)) != NULL)
			o->bits = p11_ec_bits(a->val, a->len);
		break;
	default:
		err_set_detail("key '%s' has an unknown key type 0x%x", o->label,
		    o->key_type);
		return CE_FORMAT;
	}
	return 0;
}

const char *
object_type_name(uint32_t cls, uint32_t key_type, uint32_t bits)
{
	switch (cls) {
	case CKO_DATA:
		return "Data";
	case CKO_CERTIFICATE:
		return "Certificate";
	case CKO_SECRET_KEY:
		return key_type == CKK_AES ? "AES" : "Generic Secret";
	case CKO_PRIVATE_KEY:
	case CKO_PUBLIC_KEY:
		if (key_type == CKK_RSA)
			return cls == CKO_PRIVATE_KEY ? "RSA Private" :
			    "RSA Public";
		if (key_type == CKK_EC)
			return bits == 384 ? (cls == CKO_PRIVATE_KEY ?
			    "EC Private P-384" : "EC Public P-384") :
			    (cls == CKO_PRIVATE_KEY ? "EC Private P-256" :
			    "EC Public P-256");
	}
	return "Unknown";
}

int
object_attrs_encode(const struct object *o, struct buf *out)
{
	size_t i;
	int r;

	for (i = 0; i < o->nattrs; i++) {
		if ((r = buf_put_u32(out, o->attrs[i].type)) != 0 ||
		    (r = buf_put_string(out, o->attrs[i].val,
		    o->attrs[i].len)) != 0)
			return r;
	}
	return 0;
}

int
object_attrs_decode(struct object *o, const uint8_t *p, size_t len)
{
	struct buf *b;
	const uint8_t *v;
	size_t vl;
	uint32_t type;
	int r = 0;

	if (len > OBJECT_ATTRS_MAX)
		return CE_TOO_LONG;
	attrs_clear(o);
	if ((b = buf_from(p, len)) == NULL)
		return CE_NOMEM;
	while (buf_len(b) > 0) {
		if ((r = buf_get_u32(b, &type)) != 0 ||
		    (r = buf_get_string(b, &v, &vl, OBJECT_ATTRS_MAX)) != 0)
			goto out;
		if (type == CKA_VALUE || object_attr(o, type) != NULL) {
			err_set_detail("attribute 0x%x repeated or misplaced",
			    type);
			r = CE_FORMAT;
			goto out;
		}
		if ((p11_attr_kind(type) == 1 && vl != 1) ||
		    (p11_attr_kind(type) == 2 && vl != 8)) {
			err_set_detail("attribute 0x%x has the wrong size", type);
			r = CE_FORMAT;
			goto out;
		}
		if ((r = object_set_attr(o, type, v, vl)) != 0)
			goto out;
	}
 out:
	buf_free(b);
	return r;
}

int
object_record_put(struct buf *out, const uint8_t *attrs, size_t alen,
    size_t vlen, uint8_t **valp)
{
	int r;

	if (alen > UINT32_MAX || vlen > UINT32_MAX)
		return CE_TOO_LONG;
	if ((r = buf_put(out, OBJ_REC_MAGIC, 4)) != 0 ||
	    (r = buf_put_u8(out, OBJ_REC_VERSION)) != 0 ||
	    (r = buf_put_tlv(out, OBJ_REC_ATTRS, attrs, alen)) != 0 ||
	    (r = buf_put_u16(out, OBJ_REC_VALUE)) != 0 ||
	    (r = buf_put_u32(out, (uint32_t)vlen)) != 0)
		return r;
	return buf_reserve(out, vlen, valp);
}

int
object_encode(const struct object *o, struct buf *out)
{
	struct buf *a;
	size_t vl = o->value ? secret_len(o->value) : 0;
	uint8_t *v;
	int r;

	if ((a = buf_new(OBJECT_ATTRS_MAX)) == NULL)
		return CE_NOMEM;
	if ((r = object_attrs_encode(o, a)) != 0 ||
	    (r = object_record_put(out, buf_ptr(a), buf_len(a), vl, &v)) != 0)
		goto out;
	if (vl > 0)
		memcpy(v, secret_ptr(o->value), vl);
 out:
	buf_free(a);
	return r;
}

/* A record's header, then its attributes' bytes. */
static int
record_attrs(struct buf *b, const uint8_t **vp, size_t *lenp)
{
	uint8_t magic[4], ver;
	int r;

	if ((r = buf_get(b, magic, 4)) != 0)
		return r;
	if (memcmp(magic, OBJ_REC_MAGIC, 4) != 0)
		return CE_FORMAT;
	if ((r = buf_get_u8(b, &ver)) != 0)
		return r;
	if (ver != OBJ_REC_VERSION)
		return CE_VERSION;
	return buf_get_tlv_expect(b, OBJ_REC_ATTRS, vp, lenp);
}

int
object_record_label(const uint8_t *p, size_t len,
    char label[OBJECT_LABEL_MAX + 1])
{
	struct buf *b = NULL, *a = NULL;
	const uint8_t *v;
	size_t vl;
	uint32_t type;
	int r;

	if (len > OBJECT_RECORD_MAX)
		return CE_TOO_LONG;
	if ((b = buf_from(p, len)) == NULL)
		return CE_NOMEM;
	if ((r = record_attrs(b, &v, &vl)) != 0)
		goto out;
	if ((a = buf_from(v, vl)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	for (;;) {
		if (buf_len(a) == 0) {
			r = label_copy(NULL, 0, label); /* none: refused */
			break;
		}
		if ((r = buf_get_u32(a, &type)) != 0 ||
		    (r = buf_get_string(a, &v, &vl, OBJECT_ATTRS_MAX)) != 0)
			break;
		if (type == CKA_LABEL) {
			r = label_copy(v, vl, label);
			break;
		}
	}
 out:
	buf_free(a);
	buf_free(b);
	return r;
}

int
object_decode_view(const uint8_t *p, size_t len, struct object **op,
    const uint8_t **valp, size_t *vlenp)
{
	struct object *o = NULL;
	struct buf *b = NULL;
	const uint8_t *v;
	size_t vl, off;
	int r;

	if (len > OBJECT_RECORD_MAX)
		return CE_TOO_LONG;
	if ((b = buf_from(p, len)) == NULL || (o = object_new()) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = record_attrs(b, &v, &vl)) != 0 ||
	    (r = object_attrs_decode(o, v, vl)) != 0 ||
	    (r = buf_get_tlv_expect(b, OBJ_REC_VALUE, &v, &vl)) != 0)
		goto out;
	if (vl > OBJECT_VALUE_MAX) {
		r = CE_TOO_LONG;
		goto out;
	}
	/* The value is the last thing read: its offset in p. */
	off = len - buf_len(b) - vl;
	if ((r = buf_end(b)) != 0 || (r = object_meta(o)) != 0)
		goto out;
	if (o->bits == 0 && o->cls == CKO_SECRET_KEY && vl <= 512)
		o->bits = (uint32_t)vl * 8;
	/* Point into the caller's bytes, not into b. */
	*valp = p + off;
	*vlenp = vl;
	*op = o;
	o = NULL;
 out:
	object_free(o);
	buf_free(b);
	return r;
}

int
object_decode(const uint8_t *p, size_t len, struct object **op)
{
	struct object *o = NULL;
	const uint8_t *v;
	size_t vl;
	int r;

	if ((r = object_decode_view(p, len, &o, &v, &vl)) != 0)
		return r;
	if (vl > 0 && (o->value = secret_from(v, vl)) == NULL) {
		object_free(o);
		return CE_NOMEM;
	}
	*op = o;
	return 0;
}
