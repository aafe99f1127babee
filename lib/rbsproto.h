/*
 * rbsproto: the Remote Backup Service wire protocol (docs/formats.md
 * section 10), spoken inside TLS 1.3 (lib/tls) over a lib/chan channel.
 * One frame is a u32 length, a u8 type and TLVs; every frame type has a
 * fixed list of TLVs, required or optional, in that order. The same table
 * drives encoding and the strict parser, which the fuzz harness drives.
 *
 * A connection names its store once (HELLO) and then runs requests one at
 * a time; each request is answered by zero or more ENTRY/TRASHED/NAMES/DATA
 * frames and then exactly one OK or ERR. An upload is BEGIN, DATA..., then
 * COMMIT (or ABORT); the DATA frames are the sealed record stream as the
 * client's lib/sealed wrote it: the server never sees a key.
 */
#ifndef COFFER_RBSPROTO_H
#define COFFER_RBSPROTO_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct chan;

#define RBS_VERSION 1
#define RBS_FRAME_MAX (1024u * 1024 + 1024) /* type and body */
#define RBS_DATA_MAX (256u * 1024)          /* bytes of one DATA frame */
#define RBS_STORE_MAX 64                    /* bytes of a store name */
#define RBS_DETAIL_MAX 255
#define RBS_TEXT_MAX (64u * 1024)           /* manifest, sealed header */

enum rbs_type {
	/* requests, client to server */
	RBS_HELLO = 0x01,
	RBS_LIST = 0x02,
	RBS_COUNT = 0x03,
	RBS_SHOW = 0x04,
	RBS_VERIFY = 0x05,
	RBS_MARK = 0x06,
	RBS_READ = 0x07,
	RBS_BEGIN = 0x08,
	RBS_UPLOAD = 0x09,
	RBS_COMMIT = 0x0a,
	RBS_ABORT = 0x0b,
	RBS_TRASH = 0x0c,
	RBS_UNTRASH = 0x0d,
	RBS_TRASH_LIST = 0x0e,
	RBS_PURGE = 0x0f,
	RBS_PRUNE = 0x10,
	RBS_GC = 0x11,
	/* answers, server to client */
	RBS_OK = 0x80,
	RBS_ERR = 0x81,
	RBS_ENTRY = 0x82,
	RBS_TRASHED = 0x83,
	RBS_DATA = 0x84,
	RBS_NAME = 0x85,
};

enum rbs_tlv {
	RT_VERSION = 0x01,   /* u16 */
	RT_STORE = 0x02,     /* 1..64 bytes */
	RT_LABEL = 0x03,     /* 1..129 bytes: a label (LIST), a series (PRUNE) */
	RT_NAME = 0x04,      /* a backup name */
	RT_FLAG = 0x05,      /* u8 0 or 1 */
	RT_MANIFEST = 0x06,  /* manifest.json */
	RT_ESTIMATE = 0x07,  /* u64 */
	RT_BYTES = 0x08,     /* 0..RBS_DATA_MAX bytes */
	RT_HEADER = 0x09,    /* sealed header */
	RT_KEEP = 0x0a,      /* 4 x u32: last, daily, weekly, monthly */
	RT_TIME = 0x0b,      /* u64: UTC seconds */
	RT_CODE = 0x0c,      /* u32: minus a CE_* code */
	RT_DETAIL = 0x0d,    /* 0..255 printable ASCII */
	RT_CAPACITY = 0x0e,  /* u32 */
	RT_GRACE = 0x0f,     /* u32 */
	RT_ROLE = 0x10,      /* u8: 1 backup, 2 restore, 3 admin */
	RT_COUNT = 0x11,     /* u64 */
	RT_SIZE = 0x12,      /* u64 */
	RT_DELETED = 0x13,   /* u64: UTC seconds */
	RT_PURGE_AFTER = 0x14, /* u64: UTC seconds */
	RT_LAST_ = 0x15
};

enum rbs_role {
	RBS_ROLE_BACKUP = 1,
	RBS_ROLE_RESTORE = 2,
	RBS_ROLE_ADMIN = 3,
};

/*
 * One frame, decoded or to encode. Byte fields point into the frame's
 * buffer (decode) or the caller's memory (encode); have has bit 1 << tlv
 * for each TLV present.
 */
struct rbs_msg {
	uint8_t type;
	uint32_t have;
	uint16_t version;
	const uint8_t *store, *label, *name, *manifest, *bytes, *header,
	    *detail;
	size_t store_len, label_len, name_len, manifest_len, bytes_len,
	    header_len, detail_len;
	uint8_t flag, role;
	uint32_t keep[4], code, capacity, grace;
	uint64_t estimate, time, count, size, deleted, purge_after;
};

#define RBS_HAS(m, t) (((m)->have >> (t)) & 1u)

/* Sets a field's have bit (for encoding). */
void rbs_set(struct rbs_msg *m, enum rbs_tlv t);

/* Appends the whole frame (header and TLVs) to out. CE_INVALID when a
 * required TLV is missing, CE_TOO_LONG when a value is over its limit. */
int rbs_encode(const struct rbs_msg *m, struct buf *out);

/*
 * Parses one frame body (type byte and TLVs, without the u32 length) from
 * p[0..n). Unknown type or TLV, a TLV out of order, a wrong length, a value
 * over its limit or trailing bytes: CE_FORMAT / CE_TRAILING / CE_TOO_LONG.
 */
int rbs_decode(const uint8_t *p, size_t n, struct rbs_msg *m);

/* Encodes m and sends it as one chan_send. */
int rbs_send(struct chan *c, const struct rbs_msg *m);

/*
 * Receives one frame into frame (reset first; m's pointers point into it)
 * and decodes it. A length over RBS_FRAME_MAX is refused before the body
 * is read (CE_TOO_LONG).
 */
int rbs_recv(struct chan *c, struct buf *frame, struct rbs_msg *m);

/* Sends ERR with code r and the current err_detail(). */
int rbs_send_err(struct chan *c, int r);

/* The name of a frame type for logs ("LIST"), "?" when unknown. */
const char *rbs_type_name(uint8_t type);
const char *rbs_role_name(int role);
int rbs_role_parse(const char *s, int *rolep);

/* A store name: 1..64 bytes of A-Z a-z 0-9 . _ -, not starting with '.'. */
int rbs_store_name_ok(const char *s, size_t n);

#endif
