/*
 * sealed: the sealed stream, the non-interactive form of the transfer
 * protocol that backup archives hold (docs/formats.md section 6).
 *
 * A header carries a random stream id and a random stream key wrapped once
 * per source domain, each time under a key derived from that domain key AND
 * the backup partition password (Argon2id, fresh salt, profile recorded):
 * both are needed to open it. Records follow in chunks, each zstd-compressed
 * and sealed with AES-256-GCM under a counter nonce; the AAD binds the
 * stream id, the chunk index and the last-chunk flag, so truncation,
 * reordering and splicing a chunk from another stream are detected. The
 * header's MAC also covers a caller's associated data (the archive manifest
 * hash) so the manifest cannot be swapped.
 *
 * Anyone may check structure without a secret (sealed_header_parse,
 * sealed_walk: magic, version, lengths, chunk order, per-chunk checksums,
 * the last-chunk flag, nothing after it). Only a holder of a domain and the
 * password can open and authenticate (sealed_open, sealed_read).
 *
 * Errors: CE_BAD_CREDENTIAL when no wrap opens (wrong password or none of
 * the domains); CE_INTEGRITY / CE_AUTH_TAG / CE_TRUNCATED / CE_TRAILING when
 * the bytes were altered; CE_FORMAT / CE_VERSION when it is not a sealed
 * stream this build reads. Memory is bounded by one chunk, whatever the
 * stream's size.
 *
 * Input and output are struct chan: chan_fd_new() for a file or pipe,
 * chan_func_new() over libarchive's archive_write_data/archive_read_data,
 * chan_mem_reader()/chan_mem_writer() for memory.
 */
#ifndef COFFER_SEALED_H
#define COFFER_SEALED_H

#include <stddef.h>
#include <stdint.h>

#include "xfer.h"

struct buf;
struct chan;
struct secret;
struct sealed_reader;
struct sealed_writer;

#define SEALED_MAGIC "COFFSEAL"
#define SEALED_MAGIC_LEN 8
#define SEALED_VERSION 2        /* written; 1 and 2 are read */
#define SEALED_ID_LEN 16
#define SEALED_SALT_LEN 16
#define SEALED_WRAP_LEN 48      /* wrapped stream key and tag */
#define SEALED_MAC_LEN 48       /* HMAC-SHA-384 */
#define SEALED_CHECK_LEN 16     /* unkeyed checksums */
#define SEALED_HEADER_MIN 12    /* magic, version, length */
#define SEALED_HEADER_MAX 512
#define SEALED_RECORD_MAX XFER_RECORD_MAX
#define SEALED_CHUNK_TARGET (256u * 1024) /* raw bytes per chunk, target */
#define SEALED_CHUNK_RAW_MAX (SEALED_RECORD_MAX + 6) /* hard limit */
#define SEALED_CHUNK_HEAD_LEN 13 /* index, flags, ciphertext length */

/* What a header says, read without any secret. */
struct sealed_header {
	uint16_t version;
	uint8_t stream_id[SEALED_ID_LEN];
	int kdf_profile;
	uint8_t salt[SEALED_SALT_LEN];
	size_t nwraps;
	uint8_t wraps[XFER_MAX_DOMAINS][SEALED_WRAP_LEN];
	uint8_t mac[SEALED_MAC_LEN];
	size_t len; /* the header's bytes */
};

/* What a walk found. */
struct sealed_walk_info {
	uint64_t chunks;
	uint64_t bytes; /* chunk bytes after the header */
};

/*
 * Parses exactly the header's bytes p[0..n) (no secret): magic, version,
 * length, fields, checksum. CE_FORMAT not a sealed stream, CE_VERSION,
 * CE_TRUNCATED, CE_INTEGRITY (checksum), CE_UNSUPPORTED (KDF profile).
 */
int sealed_header_parse(const uint8_t *p, size_t n, struct sealed_header *hp);

/* Reads one header from the front of a stream into *hdrp, then parses it. */
int sealed_header_read(struct chan *in, struct buf **hdrp,
    struct sealed_header *hp);

/*
 * Walks the chunk stream that follows a header (no secret): every chunk in
 * order, its checksum, the last-chunk flag, nothing after it. Catches
 * accidental damage and careless tampering; only sealed_read() proves
 * authenticity.
 */
int sealed_walk(struct chan *in, const struct sealed_header *h,
    struct sealed_walk_info *infop);

/*
 * Writer: derives the password key (Argon2id under kdf_profile, fresh
 * salt) and wraps a fresh stream key for each domain (1..3). Chunks go to
 * out, one chan_send() per chunk. The header is separate (see below).
 */
int sealed_writer_new(const struct secret *password, int kdf_profile,
    const struct xfer_domain *doms, size_t ndoms, struct chan *out,
    struct sealed_writer **wp);

/*
 * The header, binding ad[0..adlen) (e.g. the manifest's hash; may be
 * empty). May be called before the first record or after finish, so the ad
 * can describe the finished stream. With hdrp NULL it is sent to out
 * instead (streams that keep the header in front).
 */
int sealed_writer_header(struct sealed_writer *w, const void *ad, size_t adlen,
    struct buf **hdrp);

/* Adds one record (kind 1..255, n <= SEALED_RECORD_MAX). */
int sealed_writer_record(struct sealed_writer *w, uint8_t kind, const void *p,
    size_t n);

/* Writes the last chunk. Nothing may be added after. */
int sealed_writer_finish(struct sealed_writer *w);

/* Records and chunks written so far. */
uint64_t sealed_writer_records(const struct sealed_writer *w);
uint64_t sealed_writer_chunks(const struct sealed_writer *w);

/* Wipes and frees w; NULL is fine. */
void sealed_writer_free(struct sealed_writer *w);

/*
 * Reader: parses the header, unwraps the stream key with the password and
 * the first domain that opens a wrap, and checks the header MAC over ad.
 * CE_BAD_CREDENTIAL when no wrap opens; CE_INTEGRITY when the header or ad
 * does not match.
 */
/*
 * Caps the KDF profile a sealed header may ask for when it is opened
 * (default: moderate, 256 MiB): the profile byte is read before anything
 * authenticates it. A backup made with a costlier profile is opened after
 * the operator raises the cap (restore --max-kdf sensitive).
 */
void sealed_set_max_kdf(int profile);

int sealed_open(const uint8_t *hdr, size_t hdrlen, const struct secret *password,
    const struct xfer_domain *doms, size_t ndoms, const void *ad, size_t adlen,
    struct sealed_reader **rp);

/* Returns the local label of the domain that opened the stream. */
const char *sealed_reader_domain(const struct sealed_reader *r);

/*
 * Reads every chunk from in, authenticates it and hands its records to
 * record() in order (p valid during the call only; stage, do not apply:
 * a later chunk may still fail). Returns 0 after the last chunk with
 * nothing after it; *countp gets the records.
 */
int sealed_read(struct sealed_reader *r, struct chan *in, xfer_record_fn *record,
    void *arg, uint64_t *countp);

/* Wipes and frees r; NULL is fine. */
void sealed_reader_free(struct sealed_reader *r);

#endif
