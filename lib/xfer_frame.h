/*
 * xfer_frame: the wire encoding of the transfer protocol (docs/formats.md
 * section 5): frame header, every frame body and every encrypted payload,
 * each read strictly through lib/buf.h (fields in order, exact lengths, no
 * trailing bytes). Internal to lib/xfer; the fuzz harness drives it.
 */
#ifndef COFFER_XFER_FRAME_H
#define COFFER_XFER_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "xfer.h"

struct buf;

#define XF_HEADER_LEN 5 /* u32 length of type and body, u8 type */
#define XF_NONCE_LEN 32

/* Frame types. Below 0x10 plaintext; from 0x10 the body is a BOX. */
enum xf_type {
	XF_HELLO = 0x01,
	XF_PROOF = 0x02,
	XF_SELECT = 0x03,
	XF_CONFIRM = 0x04,
	XF_ERROR = 0x0d,
	XF_DOMAIN_MISMATCH = 0x0e,
	XF_REQUEST = 0x10,
	XF_DATA = 0x11,
	XF_COMMIT = 0x12,
	XF_STATUS = 0x13,
};

/* TLV types inside bodies and payloads. */
enum xf_tlv {
	XT_VERSION = 0x01,
	XT_MODE = 0x02,
	XT_NONCE = 0x03,
	XT_EPUB = 0x04,
	XT_PROOF = 0x05,
	XT_INDEX = 0x06,
	XT_MAC = 0x07,
	XT_CODE = 0x08,
	XT_SERIAL = 0x09,
	XT_BOX = 0x10,
	XT_REQ_KIND = 0x11,
	XT_REQ_BODY = 0x12,
	XT_COUNT = 0x13,
	XT_THASH = 0x14,
	XT_DETAIL = 0x15,
};

struct xf_hello {
	uint16_t version;
	uint8_t mode; /* initiator only; 0 in the responder's hello */
	uint8_t nonce[XF_NONCE_LEN];
	uint8_t epub[CC_EC_PUB_LEN];
	uint64_t serial; /* the sender's partition serial (version 2) */
};

/* Returns the frame header's body length (type included) and type. */
int xf_header_get(struct buf *b, uint32_t *lenp, uint8_t *typep);

/* Bodies. initiator selects the hello layout. */
int xf_hello_put(struct buf *b, const struct xf_hello *h, int initiator);
int xf_hello_get(struct buf *b, struct xf_hello *h, int initiator);
int xf_proof_put(struct buf *b, const uint8_t proofs[][CC_HASH_LEN], size_t n);
int xf_proof_get(struct buf *b, uint8_t proofs[][CC_HASH_LEN], size_t *np);
int xf_select_put(struct buf *b, uint8_t index);
int xf_select_get(struct buf *b, uint8_t *indexp);
int xf_confirm_put(struct buf *b, const uint8_t mac[CC_HASH_LEN]);
int xf_confirm_get(struct buf *b, uint8_t mac[CC_HASH_LEN]);
int xf_empty_get(struct buf *b);
/* ERROR frame and STATUS payload code: a negative CE_* as u32 -code. */
int xf_code_put(struct buf *b, int code);
int xf_code_get(struct buf *b, int *codep);
/* Encrypted frame body: one BOX TLV of ciphertext and tag. */
int xf_box_get(struct buf *b, const uint8_t **ctp, size_t *lenp);

/* Encrypted payloads. */
int xf_request_put(struct buf *b, uint8_t kind, const void *p, size_t n);
int xf_request_get(struct buf *b, uint8_t *kindp, const uint8_t **pp,
    size_t *np);
int xf_commit_put(struct buf *b, uint64_t count, const uint8_t th[CC_HASH_LEN]);
int xf_commit_get(struct buf *b, uint64_t *countp, uint8_t th[CC_HASH_LEN]);
int xf_status_put(struct buf *b, int code, const char *detail);
/* detail is copied, printable ASCII only, NUL-terminated. */
int xf_status_get(struct buf *b, int *codep,
    char detail[XFER_DETAIL_MAX + 1]);
/* DATA payload: records one after another; get reads the next one. */
int xf_record_put(struct buf *b, uint8_t kind, const void *p, size_t n);
int xf_record_get(struct buf *b, uint8_t *kindp, const uint8_t **pp,
    size_t *np);

#endif
