/*
 * buf: bounded byte buffers, the only way libcoffer reads untrusted bytes.
 *
 * A buffer has a hard maximum size fixed at creation, a write end and a read
 * cursor. Every get checks what is left before it reads; every length prefix
 * is checked against the remainder and the maximum; buf_end() refuses
 * trailing bytes. Integers are big-endian. Freed buffers are wiped, so a
 * buffer may carry secrets.
 *
 * TLV: a 16-bit type, a 32-bit length, then the value.
 */
#ifndef COFFER_BUF_H
#define COFFER_BUF_H

#include <stddef.h>
#include <stdint.h>

#define BUF_MAX_DEFAULT (64u * 1024 * 1024)

struct buf;

/* Returns a new empty buffer that may grow to max bytes, or NULL. */
struct buf *buf_new(size_t max);

/* Returns a new buffer holding a copy of p[0..len), or NULL. */
struct buf *buf_from(const void *p, size_t len);

/* Wipes and frees b; NULL is fine. */
void buf_free(struct buf *b);

/* Drops all content and resets the read cursor (keeps the allocation). */
void buf_reset(struct buf *b);

/* Returns a pointer to the unread bytes. */
const uint8_t *buf_ptr(const struct buf *b);

/* Returns the number of unread bytes. */
size_t buf_len(const struct buf *b);

/* Returns the maximum size b may hold. */
size_t buf_max(const struct buf *b);

/* Writers: return 0, or CE_TOO_LONG when max would be exceeded, CE_NOMEM. */
int buf_put(struct buf *b, const void *p, size_t len);
int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_u16(struct buf *b, uint16_t v);
int buf_put_u32(struct buf *b, uint32_t v);
int buf_put_u64(struct buf *b, uint64_t v);
/* u32 length then bytes. */
int buf_put_string(struct buf *b, const void *p, size_t len);
int buf_put_tlv(struct buf *b, uint16_t type, const void *p, size_t len);
int buf_put_tlv_u64(struct buf *b, uint16_t type, uint64_t v);
/* Reserves len bytes at the end and returns a pointer to them in *pp. */
int buf_reserve(struct buf *b, size_t len, uint8_t **pp);

/* Readers: return 0, or CE_TRUNCATED when fewer bytes remain. */
int buf_get(struct buf *b, void *p, size_t len);
int buf_get_u8(struct buf *b, uint8_t *vp);
int buf_get_u16(struct buf *b, uint16_t *vp);
int buf_get_u32(struct buf *b, uint32_t *vp);
int buf_get_u64(struct buf *b, uint64_t *vp);
/* Skips len bytes. */
int buf_skip(struct buf *b, size_t len);
/*
 * u32 length then bytes: *pp points into b (valid until b changes).
 * Fails with CE_TOO_LONG when the length exceeds maxlen.
 */
int buf_get_string(struct buf *b, const uint8_t **pp, size_t *lenp, size_t maxlen);
/* Reads one TLV; *valp points into b. */
int buf_get_tlv(struct buf *b, uint16_t *typep, const uint8_t **valp, size_t *lenp);
/* Reads one TLV of the given type holding exactly 8 bytes. */
int buf_get_tlv_u64(struct buf *b, uint16_t type, uint64_t *vp);
/* Reads one TLV that must have the given type (CE_FORMAT otherwise). */
int buf_get_tlv_expect(struct buf *b, uint16_t type, const uint8_t **valp, size_t *lenp);

/* Returns 0 when everything was read, CE_TRAILING otherwise. */
int buf_end(const struct buf *b);

#endif
