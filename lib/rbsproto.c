#include <stdio.h>
#include <string.h>

#include "bstore.h"
#include "buf.h"
#include "chan.h"
#include "err.h"
#include "rbsproto.h"

#define REQ 1
#define OPT 0

struct field {
	uint8_t tlv, required;
};

/* Every frame type's TLVs, in wire order (docs/formats.md 10.3). */
static const struct {
	uint8_t type;
	const char *name;
	struct field f[6];
} specs[] = {
	{ RBS_HELLO, "HELLO", { { RT_VERSION, REQ }, { RT_STORE, REQ } } },
	{ RBS_LIST, "LIST", { { RT_LABEL, OPT } } },
	{ RBS_COUNT, "COUNT", { { 0, 0 } } },
	{ RBS_SHOW, "SHOW", { { RT_NAME, REQ } } },
	{ RBS_VERIFY, "VERIFY", { { RT_NAME, REQ } } },
	{ RBS_MARK, "MARK", { { RT_NAME, REQ }, { RT_FLAG, REQ } } },
	{ RBS_READ, "READ", { { RT_NAME, REQ } } },
	{ RBS_BEGIN, "BEGIN", { { RT_MANIFEST, REQ }, { RT_ESTIMATE, REQ } } },
	{ RBS_UPLOAD, "UPLOAD", { { RT_BYTES, REQ } } },
	{ RBS_COMMIT, "COMMIT", { { RT_MANIFEST, REQ }, { RT_HEADER, REQ } } },
	{ RBS_ABORT, "ABORT", { { 0, 0 } } },
	{ RBS_TRASH, "TRASH", { { RT_NAME, REQ } } },
	{ RBS_UNTRASH, "UNTRASH", { { RT_NAME, REQ } } },
	{ RBS_TRASH_LIST, "TRASH_LIST", { { 0, 0 } } },
	{ RBS_PURGE, "PURGE", { { RT_TIME, REQ } } },
	{ RBS_PRUNE, "PRUNE", { { RT_LABEL, OPT }, { RT_KEEP, REQ },
	    { RT_FLAG, REQ } } },
	{ RBS_GC, "GC", { { 0, 0 } } },
	{ RBS_OK, "OK", { { RT_NAME, OPT }, { RT_COUNT, OPT },
	    { RT_CAPACITY, OPT }, { RT_GRACE, OPT }, { RT_ROLE, OPT } } },
	{ RBS_ERR, "ERR", { { RT_CODE, REQ }, { RT_DETAIL, REQ } } },
	{ RBS_ENTRY, "ENTRY", { { RT_NAME, REQ }, { RT_SIZE, REQ },
	    { RT_FLAG, REQ }, { RT_CODE, REQ }, { RT_MANIFEST, OPT } } },
	{ RBS_TRASHED, "TRASHED", { { RT_NAME, REQ }, { RT_DELETED, REQ },
	    { RT_PURGE_AFTER, REQ }, { RT_SIZE, REQ } } },
	{ RBS_DATA, "DATA", { { RT_BYTES, REQ } } },
	{ RBS_NAME, "NAME", { { RT_NAME, REQ } } },
};

/* Length limits per TLV: min, max (equal for fixed sizes). */
static const struct {
	uint32_t min, max;
} lims[RT_LAST_] = {
	[RT_VERSION] = { 2, 2 },
	[RT_STORE] = { 1, RBS_STORE_MAX },
	[RT_LABEL] = { 1, BSTORE_SERIES_MAX - 1 }, /* a label or a series */
	[RT_NAME] = { 1, BSTORE_NAME_MAX - 1 },
	[RT_FLAG] = { 1, 1 },
	[RT_MANIFEST] = { 2, RBS_TEXT_MAX },
	[RT_ESTIMATE] = { 8, 8 },
	[RT_BYTES] = { 0, RBS_DATA_MAX },
	[RT_HEADER] = { 1, RBS_TEXT_MAX },
	[RT_KEEP] = { 16, 16 },
	[RT_TIME] = { 8, 8 },
	[RT_CODE] = { 4, 4 },
	[RT_DETAIL] = { 0, RBS_DETAIL_MAX },
	[RT_CAPACITY] = { 4, 4 },
	[RT_GRACE] = { 4, 4 },
	[RT_ROLE] = { 1, 1 },
	[RT_COUNT] = { 8, 8 },
	[RT_SIZE] = { 8, 8 },
	[RT_DELETED] = { 8, 8 },
	[RT_PURGE_AFTER] = { 8, 8 },
};

static int
spec_find(uint8_t type)
{
	size_t i;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (specs[i].type == type)
			return (int)i;
	return -1;
}

const char *
rbs_type_name(uint8_t type)
{
	int i = spec_find(type);

	return i < 0 ? "?" : specs[i].name;
}

void
rbs_set(struct rbs_msg *m, enum rbs_tlv t)
{
	m->have |= 1u << t;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

/* Where field t of m lives: a byte string, or a fixed-size number. */
static void
field_ptr(struct rbs_msg *m, uint8_t t, const uint8_t ***pp, size_t **np,
    uint64_t **u64p, uint32_t **u32p)
{
	*pp = NULL;
	*np = NULL;
	*u64p = NULL;
	*u32p = NULL;
	switch (t) {
	case RT_STORE: *pp = &m->store; *np = &m->store_len; break;
	case RT_LABEL: *pp = &m->label; *np = &m->label_len; break;
	case RT_NAME: *pp = &m->name; *np = &m->name_len; break;
	case RT_MANIFEST: *pp = &m->manifest; *np = &m->manifest_len; break;
	case RT_BYTES: *pp = &m->bytes; *np = &m->bytes_len; break;
	case RT_HEADER: *pp = &m->header; *np = &m->header_len; break;
	case RT_DETAIL: *pp = &m->detail; *np = &m->detail_len; break;
	case RT_ESTIMATE: *u64p = &m->estimate; break;
	case RT_TIME: *u64p = &m->time; break;
	case RT_COUNT: *u64p = &m->count; break;
	case RT_SIZE: *u64p = &m->size; break;
	case RT_DELETED: *u64p = &m->deleted; break;
	case RT_PURGE_AFTER: *u64p = &m->purge_after; break;
	case RT_CODE: *u32p = &m->code; break;
	case RT_CAPACITY: *u32p = &m->capacity; break;
	case RT_GRACE: *u32p = &m->grace; break;
	default: break;
	}
}

static int
put_field(struct buf *b, const struct rbs_msg *cm, uint8_t t)
{
	struct rbs_msg *m = (struct rbs_msg *)(uintptr_t)cm;
	const uint8_t **pp;
	size_t *np;
	uint64_t *u64;
	uint32_t *u32;
	uint8_t v[16];
	size_t n, i;

	field_ptr(m, t, &pp, &np, &u64, &u32);
	if (pp != NULL) {
		if (*np < lims[t].min || *np > lims[t].max)
			return CE_TOO_LONG;
		return buf_put_tlv(b, t, *np ? *pp : (const uint8_t *)"", *np);
	}
	if (u64 != NULL)
		put_be64(v, *u64), n = 8;
	else if (u32 != NULL)
		put_be32(v, *u32), n = 4;
	else if (t == RT_VERSION)
		v[0] = (uint8_t)(m->version >> 8), v[1] = (uint8_t)m->version,
		    n = 2;
	else if (t == RT_FLAG)
		v[0] = m->flag, n = 1;
	else if (t == RT_ROLE)
		v[0] = m->role, n = 1;
	else {
		for (i = 0; i < 4; i++)
			put_be32(v + 4 * i, m->keep[i]);
		n = 16;
	}
	return buf_put_tlv(b, t, v, n);
}

int
rbs_encode(const struct rbs_msg *m, struct buf *out)
{
	struct buf *body = NULL;
	const struct field *f;
	int i, r;
	size_t k;

	if ((i = spec_find(m->type)) < 0)
		return CE_INVALID;
	if ((body = buf_new(RBS_FRAME_MAX)) == NULL)
		return CE_NOMEM;
	if ((r = buf_put_u8(body, m->type)) != 0)
		goto out;
	for (k = 0; k < 6 && specs[i].f[k].tlv != 0; k++) {
		f = &specs[i].f[k];
		if (!RBS_HAS(m, f->tlv)) {
			if (f->required) {
				r = CE_INVALID;
				goto out;
			}
			continue;
		}
		if ((r = put_field(body, m, f->tlv)) != 0)
			goto out;
	}
	if ((r = buf_put_u32(out, (uint32_t)buf_len(body))) != 0 ||
	    (r = buf_put(out, buf_ptr(body), buf_len(body))) != 0)
		goto out;
 out:
	buf_free(body);
	return r;
}

static int
get_field(struct rbs_msg *m, uint8_t t, const uint8_t *v, size_t n)
{
	const uint8_t **pp;
	size_t *np, i;
	uint64_t *u64;
	uint32_t *u32;

	if (n < lims[t].min || n > lims[t].max)
		return n > lims[t].max ? CE_TOO_LONG : CE_FORMAT;
	field_ptr(m, t, &pp, &np, &u64, &u32);
	if (pp != NULL) {
		*pp = v;
		*np = n;
	} else if (u64 != NULL)
		*u64 = get_be64(v);
	else if (u32 != NULL)
		*u32 = get_be32(v);
	else if (t == RT_VERSION)
		m->version = (uint16_t)(v[0] << 8 | v[1]);
	else if (t == RT_FLAG) {
		if (v[0] > 1)
			return CE_FORMAT;
		m->flag = v[0];
	} else if (t == RT_ROLE) {
		if (v[0] < RBS_ROLE_BACKUP || v[0] > RBS_ROLE_ADMIN)
			return CE_FORMAT;
		m->role = v[0];
	} else
		for (i = 0; i < 4; i++)
			m->keep[i] = get_be32(v + 4 * i);
	m->have |= 1u << t;
	return 0;
}

/* Text fields are printable ASCII (names, details); JSON is not checked
 * here: cbk_manifest_parse does. */
static int
printable(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	return 1;
}

int
rbs_decode(const uint8_t *p, size_t n, struct rbs_msg *m)
{
	struct buf *b;
	const uint8_t *v, *base;
	uint16_t t;
	size_t vn, k = 0;
	int i, r;

	memset(m, 0, sizeof(*m));
	if (n < 1)
		return CE_TRUNCATED;
	if ((i = spec_find(p[0])) < 0) {
		err_set_detail("unknown frame type 0x%02x", p[0]);
		return CE_FORMAT;
	}
	m->type = p[0];
	/* b is a copy: values are handed out as pointers into p. */
	if ((b = buf_from(p + 1, n - 1)) == NULL)
		return CE_NOMEM;
	base = buf_ptr(b);
	while (buf_len(b) > 0) {
		if ((r = buf_get_tlv(b, &t, &v, &vn)) != 0)
			goto out;
		v = p + 1 + (v - base);
		/* The next field of the spec that is this TLV; skipped
		 * ones must be optional. */
		while (k < 6 && specs[i].f[k].tlv != 0 &&
		    specs[i].f[k].tlv != t) {
			if (specs[i].f[k].required) {
				r = CE_FORMAT;
				goto out;
			}
			k++;
		}
		if (k == 6 || specs[i].f[k].tlv == 0) {
			r = CE_FORMAT;
			goto out;
		}
		if ((r = get_field(m, (uint8_t)t, v, vn)) != 0)
			goto out;
		k++;
	}
	for (; k < 6 && specs[i].f[k].tlv != 0; k++)
		if (specs[i].f[k].required) {
			r = CE_FORMAT;
			goto out;
		}
	if ((RBS_HAS(m, RT_NAME) && !printable(m->name, m->name_len)) ||
	    (RBS_HAS(m, RT_STORE) && !printable(m->store, m->store_len)) ||
	    (RBS_HAS(m, RT_LABEL) && !printable(m->label, m->label_len)) ||
	    (RBS_HAS(m, RT_DETAIL) && !printable(m->detail, m->detail_len)))
		r = CE_FORMAT;
	else
		r = 0;
 out:
	if (r != 0 && r != CE_TOO_LONG)
		err_set_detail("malformed %s frame", specs[i].name);
	buf_free(b);
	return r;
}

int
rbs_send(struct chan *c, const struct rbs_msg *m)
{
	struct buf *b;
	int r;

	if ((b = buf_new(RBS_FRAME_MAX + 4)) == NULL)
		return CE_NOMEM;
	if ((r = rbs_encode(m, b)) == 0)
		r = chan_send(c, buf_ptr(b), buf_len(b));
	buf_free(b);
	return r;
}

int
rbs_recv(struct chan *c, struct buf *frame, struct rbs_msg *m)
{
	uint8_t hdr[4], *p;
	uint32_t n;
	int r;

	buf_reset(frame);
	if ((r = chan_recv(c, hdr, sizeof(hdr))) != 0)
		return r;
	n = get_be32(hdr);
	if (n < 1 || n > RBS_FRAME_MAX) {
		err_set_detail("frame of %u bytes (at most %u)", n,
		    RBS_FRAME_MAX);
		return n < 1 ? CE_FORMAT : CE_TOO_LONG;
	}
	if ((r = buf_reserve(frame, n, &p)) != 0)
		return r;
	if ((r = chan_recv(c, p, n)) != 0)
		return r == CE_PEER_CLOSED ? CE_TRUNCATED : r;
	return rbs_decode(p, n, m);
}

int
rbs_send_err(struct chan *c, int r)
{
	struct rbs_msg m;
	char d[RBS_DETAIL_MAX + 1];
	size_t i;

	memset(&m, 0, sizeof(m));
	snprintf(d, sizeof(d), "%s", err_detail());
	for (i = 0; d[i]; i++)
		if ((unsigned char)d[i] < 0x20 || (unsigned char)d[i] > 0x7e)
			d[i] = '?';
	m.type = RBS_ERR;
	m.code = (uint32_t)(r < 0 ? -r : CE_IO);
	m.detail = (const uint8_t *)d;
	m.detail_len = strlen(d);
	rbs_set(&m, RT_CODE);
	rbs_set(&m, RT_DETAIL);
	return rbs_send(c, &m);
}

const char *
rbs_role_name(int role)
{
	switch (role) {
	case RBS_ROLE_BACKUP: return "backup";
	case RBS_ROLE_RESTORE: return "restore";
	case RBS_ROLE_ADMIN: return "admin";
	default: return "?";
	}
}

int
rbs_role_parse(const char *s, int *rolep)
{
	int i;

	for (i = RBS_ROLE_BACKUP; i <= RBS_ROLE_ADMIN; i++)
		if (strcmp(s, rbs_role_name(i)) == 0) {
			*rolep = i;
			return 0;
		}
	err_set_detail("role '%s': choose backup, restore or admin", s);
	return CE_USAGE;
}

int
rbs_store_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > RBS_STORE_MAX || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' &&
		    s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}
