#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "err.h"

struct buf {
	uint8_t *d;
	size_t size;  /* bytes written */
	size_t off;   /* read cursor */
	size_t alloc;
	size_t max;
};

struct buf *
buf_new(size_t max)
{
	struct buf *b;

	if (max == 0 || (b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->max = max;
	return b;
}

struct buf *
buf_from(const void *p, size_t len)
{
	struct buf *b;

	if ((b = buf_new(len == 0 ? 1 : len)) == NULL)
		return NULL;
	if (buf_put(b, p, len) != 0) {
		buf_free(b);
		return NULL;
	}
	return b;
}

void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	if (b->d != NULL) {
		sodium_memzero(b->d, b->alloc);
		free(b->d);
	}
	free(b);
}

void
buf_reset(struct buf *b)
{
	if (b->d != NULL)
		sodium_memzero(b->d, b->size);
	b->size = b->off = 0;
}

const uint8_t *
buf_ptr(const struct buf *b)
{
	static const uint8_t empty[1];

	return b->d == NULL ? empty : b->d + b->off;
}

size_t
buf_len(const struct buf *b)
{
	return b->size - b->off;
}

size_t
buf_max(const struct buf *b)
{
	return b->max;
}

/* Grows the allocation; the old block is wiped, not realloc'd, for secrets. */
static int
buf_grow(struct buf *b, size_t need)
{
	size_t na;
	uint8_t *nd;

	if (need > b->max || need < b->size)
		return CE_TOO_LONG;
	if (need <= b->alloc)
		return 0;
	na = b->alloc < 256 ? 256 : b->alloc;
	while (na < need)
		na = na > b->max / 2 ? b->max : na * 2;
	if (na > b->max)
		na = b->max;
	if ((nd = malloc(na)) == NULL)
		return CE_NOMEM;
	if (b->d != NULL) {
		memcpy(nd, b->d, b->size);
		sodium_memzero(b->d, b->alloc);
		free(b->d);
	}
	b->d = nd;
	b->alloc = na;
	return 0;
}

int
buf_reserve(struct buf *b, size_t len, uint8_t **pp)
{
	int r;

	if (len > b->max - b->size)
		return CE_TOO_LONG;
	/* Compact consumed bytes before growing. */
	if (b->off > 0 && b->size + len > b->alloc) {
		memmove(b->d, b->d + b->off, b->size - b->off);
		b->size -= b->off;
		b->off = 0;
	}
	if ((r = buf_grow(b, b->size + len)) != 0)
		return r;
	*pp = b->d + b->size;
	b->size += len;
	return 0;
}

int
buf_put(struct buf *b, const void *p, size_t len)
{
	uint8_t *dst;
	int r;

	if (len == 0)
		return 0;
	if ((r = buf_reserve(b, len, &dst)) != 0)
		return r;
	memcpy(dst, p, len);
	return 0;
}

int
buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_put(b, &v, 1);
}

int
buf_put_u16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return buf_put(b, x, sizeof(x));
}

int
buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4];

	x[0] = (uint8_t)(v >> 24);
	x[1] = (uint8_t)(v >> 16);
	x[2] = (uint8_t)(v >> 8);
	x[3] = (uint8_t)v;
	return buf_put(b, x, sizeof(x));
}

int
buf_put_u64(struct buf *b, uint64_t v)
{
	int r;

	if ((r = buf_put_u32(b, (uint32_t)(v >> 32))) != 0)
		return r;
	return buf_put_u32(b, (uint32_t)v);
}

int
buf_put_string(struct buf *b, const void *p, size_t len)
{
	int r;

	if (len > UINT32_MAX)
		return CE_TOO_LONG;
	if ((r = buf_put_u32(b, (uint32_t)len)) != 0)
		return r;
	return buf_put(b, p, len);
}

int
buf_put_tlv(struct buf *b, uint16_t type, const void *p, size_t len)
{
	int r;

	if (len > UINT32_MAX)
		return CE_TOO_LONG;
	if ((r = buf_put_u16(b, type)) != 0 ||
	    (r = buf_put_u32(b, (uint32_t)len)) != 0)
		return r;
	return buf_put(b, p, len);
}

int
buf_put_tlv_u64(struct buf *b, uint16_t type, uint64_t v)
{
	uint8_t x[8];
	int i;

	for (i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (56 - 8 * i));
	return buf_put_tlv(b, type, x, sizeof(x));
}

int
buf_get(struct buf *b, void *p, size_t len)
{
	if (len > buf_len(b))
		return CE_TRUNCATED;
	if (len > 0 && p != NULL)
		memcpy(p, b->d + b->off, len);
	b->off += len;
	return 0;
}

int
buf_skip(struct buf *b, size_t len)
{
	return buf_get(b, NULL, len);
}

int
buf_get_u8(struct buf *b, uint8_t *vp)
{
	return buf_get(b, vp, 1);
}

int
buf_get_u16(struct buf *b, uint16_t *vp)
{
	uint8_t x[2];
	int r;

	if ((r = buf_get(b, x, sizeof(x))) != 0)
		return r;
	*vp = (uint16_t)((x[0] << 8) | x[1]);
	return 0;
}

int
buf_get_u32(struct buf *b, uint32_t *vp)
{
	uint8_t x[4];
	int r;

	if ((r = buf_get(b, x, sizeof(x))) != 0)
		return r;
	*vp = ((uint32_t)x[0] << 24) | ((uint32_t)x[1] << 16) |
	    ((uint32_t)x[2] << 8) | x[3];
	return 0;
}

int
buf_get_u64(struct buf *b, uint64_t *vp)
{
	uint32_t hi, lo;
	int r;

	if (buf_len(b) < 8)
		return CE_TRUNCATED;
	if ((r = buf_get_u32(b, &hi)) != 0 || (r = buf_get_u32(b, &lo)) != 0)
		return r;
	*vp = ((uint64_t)hi << 32) | lo;
	return 0;
}

int
buf_get_string(struct buf *b, const uint8_t **pp, size_t *lenp, size_t maxlen)
{
	uint32_t len;
	size_t save = b->off;
	int r;

	if ((r = buf_get_u32(b, &len)) != 0)
		return r;
	if (len > maxlen) {
		b->off = save;
		return CE_TOO_LONG;
	}
	if (len > buf_len(b)) {
		b->off = save;
		return CE_TRUNCATED;
	}
	*pp = buf_ptr(b);
	*lenp = len;
	b->off += len;
	return 0;
}

int
buf_get_tlv(struct buf *b, uint16_t *typep, const uint8_t **valp, size_t *lenp)
{
	uint16_t type;
	uint32_t len;
	size_t save = b->off;
	int r;

	if ((r = buf_get_u16(b, &type)) != 0 || (r = buf_get_u32(b, &len)) != 0) {
		b->off = save;
		return CE_TRUNCATED;
	}
	if (len > buf_len(b)) {
		b->off = save;
		return CE_TRUNCATED;
	}
	*typep = type;
	*valp = buf_ptr(b);
	*lenp = len;
	b->off += len;
	return 0;
}

int
buf_get_tlv_expect(struct buf *b, uint16_t type, const uint8_t **valp, size_t *lenp)
{
	uint16_t t;
	size_t save = b->off;
	int r;

	if ((r = buf_get_tlv(b, &t, valp, lenp)) != 0)
		return r;
	if (t != type) {
		b->off = save;
		return CE_FORMAT;
	}
	return 0;
}

int
buf_get_tlv_u64(struct buf *b, uint16_t type, uint64_t *vp)
{
	const uint8_t *v;
	size_t len, i;
	uint64_t x = 0;
	int r;

	if ((r = buf_get_tlv_expect(b, type, &v, &len)) != 0)
		return r;
	if (len != 8)
		return CE_FORMAT;
	for (i = 0; i < 8; i++)
		x = (x << 8) | v[i];
	*vp = x;
	return 0;
}

int
buf_end(const struct buf *b)
{
	return buf_len(b) == 0 ? 0 : CE_TRAILING;
}
