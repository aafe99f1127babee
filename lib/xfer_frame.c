#include <string.h>

#include "buf.h"
#include "err.h"
#include "xfer_frame.h"

/* Reads a TLV of the given type whose value is exactly len bytes. */
static int
get_fixed(struct buf *b, uint16_t type, void *out, size_t len)
{
	const uint8_t *v;
	size_t n;
	int r;

	if ((r = buf_get_tlv_expect(b, type, &v, &n)) != 0)
		return r;
	if (n != len)
		return CE_FORMAT;
	memcpy(out, v, len);
	return 0;
}

static int
get_u8(struct buf *b, uint16_t type, uint8_t *vp)
{
	return get_fixed(b, type, vp, 1);
}

int
xf_header_get(struct buf *b, uint32_t *lenp, uint8_t *typep)
{
	uint32_t len;
	int r;

	if ((r = buf_get_u32(b, &len)) != 0 || (r = buf_get_u8(b, typep)) != 0)
		return r;
	if (len < 1)
		return CE_FORMAT;
	if (len > XFER_FRAME_MAX)
		return CE_TOO_LONG;
	*lenp = len;
	return 0;
}

int
xf_hello_put(struct buf *b, const struct xf_hello *h, int initiator)
{
	uint8_t v[2] = { (uint8_t)(h->version >> 8), (uint8_t)h->version };
	uint8_t s[8];
	int i, r;

	if ((r = buf_put_tlv(b, XT_VERSION, v, sizeof(v))) != 0)
		return r;
	if (initiator && (r = buf_put_tlv(b, XT_MODE, &h->mode, 1)) != 0)
		return r;
	if ((r = buf_put_tlv(b, XT_NONCE, h->nonce, XF_NONCE_LEN)) != 0 ||
	    (r = buf_put_tlv(b, XT_EPUB, h->epub, CC_EC_PUB_LEN)) != 0)
		return r;
	for (i = 0; i < 8; i++)
		s[i] = (uint8_t)(h->serial >> (56 - 8 * i));
	return buf_put_tlv(b, XT_SERIAL, s, sizeof(s));
}

int
xf_hello_get(struct buf *b, struct xf_hello *h, int initiator)
{
	uint8_t v[2], s[8];
	int i, r;

	memset(h, 0, sizeof(*h));
	/* The version comes first so a future layout is refused by name. */
	if ((r = get_fixed(b, XT_VERSION, v, sizeof(v))) != 0)
		return r;
	h->version = (uint16_t)((v[0] << 8) | v[1]);
	if (h->version != XFER_VERSION)
		return CE_VERSION;
	if (initiator) {
		if ((r = get_u8(b, XT_MODE, &h->mode)) != 0)
			return r;
		if (h->mode != XFER_PUSH && h->mode != XFER_PULL)
			return CE_FORMAT;
	}
	if ((r = get_fixed(b, XT_NONCE, h->nonce, XF_NONCE_LEN)) != 0 ||
	    (r = get_fixed(b, XT_EPUB, h->epub, CC_EC_PUB_LEN)) != 0 ||
	    (r = get_fixed(b, XT_SERIAL, s, sizeof(s))) != 0)
		return r;
	for (i = 0; i < 8; i++)
		h->serial = (h->serial << 8) | s[i];
	return buf_end(b);
}

int
xf_proof_put(struct buf *b, const uint8_t proofs[][CC_HASH_LEN], size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		if ((r = buf_put_tlv(b, XT_PROOF, proofs[i], CC_HASH_LEN)) != 0)
			return r;
	return 0;
}

int
xf_proof_get(struct buf *b, uint8_t proofs[][CC_HASH_LEN], size_t *np)
{
	size_t n = 0;
	int r;

	while (buf_len(b) > 0) {
		if (n == XFER_MAX_DOMAINS)
			return CE_TOO_LONG;
		if ((r = get_fixed(b, XT_PROOF, proofs[n], CC_HASH_LEN)) != 0)
			return r;
		n++;
	}
	if (n == 0)
		return CE_FORMAT;
	*np = n;
	return 0;
}

int
xf_select_put(struct buf *b, uint8_t index)
{
	return buf_put_tlv(b, XT_INDEX, &index, 1);
}

int
xf_select_get(struct buf *b, uint8_t *indexp)
{
	int r;

	if ((r = get_u8(b, XT_INDEX, indexp)) != 0)
		return r;
	if (*indexp >= XFER_MAX_DOMAINS)
		return CE_FORMAT;
	return buf_end(b);
}

int
xf_confirm_put(struct buf *b, const uint8_t mac[CC_HASH_LEN])
{
	return buf_put_tlv(b, XT_MAC, mac, CC_HASH_LEN);
}

int
xf_confirm_get(struct buf *b, uint8_t mac[CC_HASH_LEN])
{
	int r;

	if ((r = get_fixed(b, XT_MAC, mac, CC_HASH_LEN)) != 0)
		return r;
	return buf_end(b);
}

int
xf_empty_get(struct buf *b)
{
	return buf_end(b);
}

int
xf_code_put(struct buf *b, int code)
{
	uint8_t v[4];
	uint32_t c;

	if (code > 0 || code <= CE_LAST)
		return CE_INVALID;
	c = (uint32_t)-code;
	v[0] = (uint8_t)(c >> 24);
	v[1] = (uint8_t)(c >> 16);
	v[2] = (uint8_t)(c >> 8);
	v[3] = (uint8_t)c;
	return buf_put_tlv(b, XT_CODE, v, sizeof(v));
}

int
xf_code_get(struct buf *b, int *codep)
{
	uint8_t v[4];
	uint32_t c;
	int r;

	if ((r = get_fixed(b, XT_CODE, v, sizeof(v))) != 0)
		return r;
	c = ((uint32_t)v[0] << 24) | ((uint32_t)v[1] << 16) |
	    ((uint32_t)v[2] << 8) | v[3];
	/* A code this build does not know is reported as a protocol error. */
	*codep = c < (uint32_t)-CE_LAST ? -(int)c : CE_PROTOCOL;
	return 0;
}

int
xf_box_get(struct buf *b, const uint8_t **ctp, size_t *lenp)
{
	int r;

	if ((r = buf_get_tlv_expect(b, XT_BOX, ctp, lenp)) != 0)
		return r;
	if (*lenp < CC_TAG_LEN)
		return CE_FORMAT;
	return buf_end(b);
}

int
xf_request_put(struct buf *b, uint8_t kind, const void *p, size_t n)
{
	int r;

	if (kind == 0 || n > XFER_REQUEST_MAX)
		return CE_INVALID;
	if ((r = buf_put_tlv(b, XT_REQ_KIND, &kind, 1)) != 0)
		return r;
	return buf_put_tlv(b, XT_REQ_BODY, p, n);
}

int
xf_request_get(struct buf *b, uint8_t *kindp, const uint8_t **pp, size_t *np)
{
	int r;

	if ((r = get_u8(b, XT_REQ_KIND, kindp)) != 0 ||
	    (r = buf_get_tlv_expect(b, XT_REQ_BODY, pp, np)) != 0)
		return r;
	if (*kindp == 0)
		return CE_FORMAT;
	if (*np > XFER_REQUEST_MAX)
		return CE_TOO_LONG;
	return buf_end(b);
}

int
xf_commit_put(struct buf *b, uint64_t count, const uint8_t th[CC_HASH_LEN])
{
	int r;

	if ((r = buf_put_tlv_u64(b, XT_COUNT, count)) != 0)
		return r;
	return buf_put_tlv(b, XT_THASH, th, CC_HASH_LEN);
}

int
xf_commit_get(struct buf *b, uint64_t *countp, uint8_t th[CC_HASH_LEN])
{
	int r;

	if ((r = buf_get_tlv_u64(b, XT_COUNT, countp)) != 0 ||
	    (r = get_fixed(b, XT_THASH, th, CC_HASH_LEN)) != 0)
		return r;
	return buf_end(b);
}

int
xf_status_put(struct buf *b, int code, const char *detail)
{
	size_t n = detail == NULL ? 0 : strlen(detail);
	int r;

	if (n > XFER_DETAIL_MAX)
		n = XFER_DETAIL_MAX;
	if ((r = xf_code_put(b, code)) != 0)
		return r;
	return buf_put_tlv(b, XT_DETAIL, detail == NULL ? "" : detail, n);
}

int
xf_status_get(struct buf *b, int *codep, char detail[XFER_DETAIL_MAX + 1])
{
	const uint8_t *v;
	size_t n, i;
	int r;

	if ((r = xf_code_get(b, codep)) != 0 ||
	    (r = buf_get_tlv_expect(b, XT_DETAIL, &v, &n)) != 0)
		return r;
	if (n > XFER_DETAIL_MAX)
		return CE_TOO_LONG;
	/* The peer's text reaches a terminal: printable ASCII only. */
	for (i = 0; i < n; i++)
		detail[i] = v[i] >= 0x20 && v[i] < 0x7f ? (char)v[i] : '?';
	detail[n] = '\0';
	return buf_end(b);
}

int
xf_record_put(struct buf *b, uint8_t kind, const void *p, size_t n)
{
	if (kind == 0 || n > XFER_RECORD_MAX)
		return CE_INVALID;
	return buf_put_tlv(b, kind, p, n);
}

int
xf_record_get(struct buf *b, uint8_t *kindp, const uint8_t **pp, size_t *np)
{
	uint16_t type;
	int r;

	if ((r = buf_get_tlv(b, &type, pp, np)) != 0)
		return r;
	if (type == 0 || type > 0xff)
		return CE_FORMAT;
	if (*np > XFER_RECORD_MAX)
		return CE_TOO_LONG;
	*kindp = (uint8_t)type;
	return 0;
}
