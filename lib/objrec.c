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

/* Whether a's value is an allocation of its own (not in the record's
 * attribute bytes that object_attrs_decode kept). */
static int
attr_owns(const struct object *o, const struct object_attr *a)
{
	return o->attr_blob == NULL || a->val < o->attr_blob ||
	    a->val >= o->attr_blob + o->attr_bloblen;
}

static void
attrs_clear(struct object *o)
{
	size_t i;

	for (i = 0; i < o->nattrs; i++)
		if (attr_owns(o, &o->attrs[i]))
			free(o->attrs[i].val);
	free(o->attrs);
	free(o->attr_blob);
	o->attrs = NULL;
	o->attr_blob = NULL;
	o->attr_bloblen = 0;
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

/* The fields that mirror an attribute just set to a->val. */
static void
attr_note(struct object *o, const struct object_attr *a)
{
	if (a->type == CKA_LABEL && a->len <= OBJECT_LABEL_MAX) {
		memcpy(o->label, a->val, a->len);
		o->label[a->len] = '\0';
	}
	if (a->type == CKA_CLASS && a->len == 8)
		o->cls = (uint32_t)get_be(a->val, 8);
	if (a->type == CKA_KEY_TYPE && a->len == 8)
		o->key_type = (uint32_t)get_be(a->val, 8);
}

/* Adds attribute type (not there yet) as the len bytes at v, which o then
 * holds: an allocation of its own or a place in o->attr_blob. */
static int
attr_append(struct object *o, uint32_t type, uint8_t *v, size_t len)
{
	struct object_attr *a, *na;

	/* Room for 32 at a time: a key's record carries about twenty
	 * attributes, so one allocation holds them all. A realloc each was a
	 * restore's hot spot; growing by 16 still re-allocated once per
	 * record, and the freed block sent glibc into malloc_consolidate on
	 * every record (a fifth of a verify --deep). */
	if (o->nattrs == o->attrs_room) {
		if ((na = reallocarray(o->attrs, o->attrs_room + 32,
		    sizeof(*na))) == NULL)
			return CE_NOMEM;
		o->attrs = na;
		o->attrs_room += 32;
	}
	a = &o->attrs[o->nattrs++];
	a->type = type;
	a->val = v;
	a->len = len;
	attr_note(o, a);
	return 0;
}

int
object_set_attr(struct object *o, uint32_t type, const void *p, size_t len)
{
	struct object_attr *a = (struct object_attr *)object_attr(o, type);
	uint8_t *v;
	int r;

	if (type == CKA_VALUE)
		return CE_INVALID; /* the value lives in o->value */
	if (len > OBJECT_ATTRS_MAX)
		return CE_TOO_LONG;
	if ((v = malloc(len ? len : 1)) == NULL)
		return CE_NOMEM;
	if (len)
		memcpy(v, p, len);
	if (a == NULL) {
		if ((r = attr_append(o, type, v, len)) != 0)
			free(v);
		return r;
	}
	if (attr_owns(o, a))
		free(a->val);
	a->val = v;
	a->len = len;
	attr_note(o, a);
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

/* Whether a record being decoded carried type already: the common (small)
 * types in a bitmap, one test each, instead of a search of the attributes
 * so far for every attribute. */
#define SEEN_TYPES 1024
static int
seen_before(uint64_t *seen, const struct object *o, uint32_t type)
{
	uint64_t bit;

	if (type >= SEEN_TYPES)
		return object_attr(o, type) != NULL;
	bit = (uint64_t)1 << (type % 64);
	if (seen[type / 64] & bit)
		return 1;
	seen[type / 64] |= bit;
	return 0;
}

int
object_attrs_decode(struct object *o, const uint8_t *p, size_t len)
{
	uint64_t seen[SEEN_TYPES / 64] = { 0 };
	uint8_t *blob, *v;
	size_t off = 0, vl;
	uint32_t type;
	int kind, r;

	if (len > OBJECT_ATTRS_MAX)
		return CE_TOO_LONG;
	attrs_clear(o);
	/* One copy of the record's attribute bytes, kept: every value is a
	 * place in it (a malloc per attribute was a restore's hot spot). */
	if ((blob = malloc(len ? len : 1)) == NULL)
		return CE_NOMEM;
	memcpy(blob, p, len);
	o->attr_blob = blob;
	o->attr_bloblen = len;
	/* type (4) | length (4) | bytes, all big-endian, to the end */
	while (off < len) {
		if (len - off < 8)
			return CE_TRUNCATED;
		type = (uint32_t)get_be(blob + off, 4);
		vl = (size_t)get_be(blob + off + 4, 4);
		v = blob + off + 8;
		off += 8;
		if (vl > len - off)
			return CE_TRUNCATED;
		off += vl;
		if (type == CKA_VALUE || seen_before(seen, o, type)) {
			err_set_detail("attribute 0x%x repeated or misplaced",
			    type);
			return CE_FORMAT;
		}
		kind = p11_attr_kind(type);
		if ((kind == 1 && vl != 1) || (kind == 2 && vl != 8)) {
			err_set_detail("attribute 0x%x has the wrong size", type);
			return CE_FORMAT;
		}
		if ((r = attr_append(o, type, v, vl)) != 0)
			return r;
	}
	return 0;
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

/* The TLV of type at *offp in p[0..len): as buf_get_tlv_expect, in place
 * (a record is decoded where it lies, not copied into a reader first). */
static int
tlv_at(const uint8_t *p, size_t len, size_t *offp, uint16_t type,
    const uint8_t **vp, size_t *vlp)
{
	size_t off = *offp, n;

	if (len - off < 6)
		return CE_TRUNCATED;
	n = (size_t)get_be(p + off + 2, 4);
	if (n > len - off - 6)
		return CE_TRUNCATED;
	if (get_be(p + off, 2) != type)
		return CE_FORMAT;
	*vp = p + off + 6;
	*vlp = n;
	*offp = off + 6 + n;
	return 0;
}

/* A record's header (magic, version) and the TLV of its attributes, in
 * place: *offp is left at the value's TLV. */
static int
record_attrs(const uint8_t *p, size_t len, size_t *offp, const uint8_t **vp,
    size_t *vlp)
{
	if (len < 5)
		return CE_TRUNCATED;
	if (memcmp(p, OBJ_REC_MAGIC, 4) != 0)
		return CE_FORMAT;
	if (p[4] != OBJ_REC_VERSION)
		return CE_VERSION;
	*offp = 5;
	return tlv_at(p, len, offp, OBJ_REC_ATTRS, vp, vlp);
}

int
object_record_label(const uint8_t *p, size_t len,
    char label[OBJECT_LABEL_MAX + 1])
{
	const uint8_t *a;
	size_t alen, off, vl;
	int r;

	if (len > OBJECT_RECORD_MAX)
		return CE_TOO_LONG;
	if ((r = record_attrs(p, len, &off, &a, &alen)) != 0)
		return r;
	/* type (4) | length (4) | bytes, to the end of the attributes */
	for (off = 0; off < alen; off += 8 + vl) {
		if (alen - off < 8)
			return CE_TRUNCATED;
		vl = (size_t)get_be(a + off + 4, 4);
		if (vl > alen - off - 8)
			return CE_TRUNCATED;
		if (get_be(a + off, 4) == CKA_LABEL)
			return label_copy(a + off + 8, vl, label);
	}
	return label_copy(NULL, 0, label); /* none: refused */
}

int
object_decode_view(const uint8_t *p, size_t len, struct object **op,
    const uint8_t **valp, size_t *vlenp)
{
	struct object *o = NULL;
	const uint8_t *v;
	size_t vl, off;
	int r;

	if (len > OBJECT_RECORD_MAX)
		return CE_TOO_LONG;
	if ((o = object_new()) == NULL)
		return CE_NOMEM;
	if ((r = record_attrs(p, len, &off, &v, &vl)) != 0 ||
	    (r = object_attrs_decode(o, v, vl)) != 0 ||
	    (r = tlv_at(p, len, &off, OBJ_REC_VALUE, valp, vlenp)) != 0)
		goto out;
	if (*vlenp > OBJECT_VALUE_MAX) {
		r = CE_TOO_LONG;
		goto out;
	}
	if (off != len) {
		r = CE_TRAILING;
		goto out;
	}
	if ((r = object_meta(o)) != 0)
		goto out;
	if (o->bits == 0 && o->cls == CKO_SECRET_KEY && *vlenp <= 512)
		o->bits = (uint32_t)*vlenp * 8;
	*op = o;
	o = NULL;
 out:
	object_free(o);
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
