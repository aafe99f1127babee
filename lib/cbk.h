/*
 * cbk: one backup partition archive (.cbk), the file a backup store keeps
 * per dated backup. It is a pax archive written and read with libarchive, so
 * `tar tvf` lists it, holding four entries in this order:
 *
 *   manifest.json     what the backup is (lib/cbk_manifest.h)
 *   header.bin        the sealed stream header, opaque here
 *   records.bin       the sealed record stream, opaque here, any size
 *   integrity.sha384  the SHA-384 of every byte of the file before its data
 *
 * and nothing after the integrity entry but zero padding and the two zero
 * end-of-archive blocks (512-byte blocks, no record padding). So anyone, with
 * no secret, can prove a .cbk is exactly what was written: a flipped byte
 * anywhere or a truncation is CE_INTEGRITY. docs/formats.md section 7 is the
 * byte-level specification.
 *
 * The prefix is cbk_ and the file is not archive.h because libarchive owns
 * both the archive_ prefix and <archive.h>.
 *
 * Writing: the record stream's size is not known until it ends, and a tar
 * header needs it first, so the stream goes to a spool file (cbk_spool),
 * and cbk_write() then copies it into the archive, hashing it once on the
 * way against the hash its producer took.
 * Reading: cbk_reader streams everything through bounded buffers (a few
 * 64 KiB blocks however large the archive is) and checks the whole-file
 * integrity in the same single pass, so it works on pipes too.
 */
#ifndef COFFER_CBK_H
#define COFFER_CBK_H

#include <stddef.h>
#include <stdint.h>

#include "cbk_manifest.h"

#define CBK_MANIFEST_ENTRY "manifest.json"
#define CBK_HEADER_ENTRY "header.bin"
#define CBK_RECORDS_ENTRY "records.bin"
#define CBK_INTEGRITY_ENTRY "integrity.sha384"
#define CBK_HEADER_MAX (1024u * 1024)  /* bytes of header.bin */
#define CBK_BLOCK 512
#define CBK_INTEGRITY_LEN 154          /* bytes of integrity.sha384 */
/* The integrity data, its zero padding and the two end blocks. */
#define CBK_TAIL_LEN (CBK_BLOCK + 2 * CBK_BLOCK)

/* A consumer of streamed bytes; returns 0 or a CE_* code to stop. */
typedef int (*cbk_sink_fn)(void *arg, const void *p, size_t n);

/* --- writing --- */

struct cbk_spool;

/*
 * Starts a spool on fd, an empty file open for reading and writing that the
 * caller owns (creates, locks, closes and removes).
 */
int cbk_spool_new(int fd, struct cbk_spool **sp);

/*
 * Appends record-stream bytes. Returns 0, CE_FULL when the disk is full
 * (ENOSPC, EDQUOT, EFBIG) or CE_IO; after a failure every later call fails.
 */
int cbk_spool_write(struct cbk_spool *s, const void *p, size_t n);

/* Returns the bytes spooled so far. */
uint64_t cbk_spool_size(const struct cbk_spool *s);

void cbk_spool_free(struct cbk_spool *s);

/*
 * Writes a whole archive to fd (an empty file; not fsynced here): m gives
 * the source, times and counts (cbk_manifest_check rules), and the record
 * stream's size and SHA-384 as its producer saw them (records_size,
 * records_sha384); cbk_write fills in the header's size and hash. hdr is
 * the sealed header (at most CBK_HEADER_MAX bytes), records the spooled
 * stream, copied and hashed on the way. Returns 0, CE_INVALID,
 * CE_TOO_LONG, CE_INTEGRITY (the spool is not the stream m describes:
 * nothing written is valid), CE_FULL (disk full) or CE_IO, with a detail
 * line.
 */
int cbk_write(int fd, struct cbk_manifest *m, const void *hdr, size_t hlen,
    struct cbk_spool *records);

/*
 * Maps a failed write's errno to CE_FULL (no space) or CE_IO and sets the
 * detail "what: strerror". For callers writing beside an archive.
 */
int cbk_io_error(int errnum, const char *what);

/*
 * Writes the integrity entry's data for an archive whose first `covered`
 * bytes hash to sha: exactly CBK_INTEGRITY_LEN characters plus a NUL.
 */
void cbk_integrity_text(uint64_t covered, const uint8_t sha[CC_HASH_LEN],
    char out[CBK_INTEGRITY_LEN + 1]);

/* --- reading --- */

struct cbk_reader;

/*
 * Opens the archive read from fd (from its current position; a file or a
 * pipe), reads and parses manifest.json, then reads header.bin and checks it
 * against the manifest. Returns 0, CE_INTEGRITY (damaged, truncated, not a
 * backup, bad manifest), CE_VERSION (made by a newer Coffer) or CE_IO.
 */
int cbk_reader_open(int fd, struct cbk_reader **rp);

/* The parsed manifest; valid until cbk_reader_free. */
const struct cbk_manifest *cbk_reader_manifest(const struct cbk_reader *r);

/* The sealed header bytes; valid until cbk_reader_free. */
void cbk_reader_header(const struct cbk_reader *r, const uint8_t **pp,
    size_t *lenp);

/*
 * Streams records.bin to fn (NULL: just read it) in chunks of at most
 * 64 KiB, then checks its size and SHA-384 against the manifest
 * (CE_INTEGRITY). The bytes reach fn before that check: a consumer must not
 * act on them until this and cbk_reader_finish() return 0. A nonzero return
 * from fn stops the stream and is returned.
 */
int cbk_reader_records(struct cbk_reader *r, cbk_sink_fn fn, void *arg);

/*
 * The pull form of cbk_reader_records, shaped as a chan_read_fn (arg is the
 * reader) so that chan_func_new() turns records.bin into a channel that
 * sealed_read() consumes directly: copies up to n bytes into p and returns
 * how many, 0 at the entry's end once its size and SHA-384 matched the
 * manifest, or a negative CE_* code (CE_INTEGRITY when they do not). Use
 * one form or the other, not both.
 */
long cbk_reader_records_read(void *arg, void *p, size_t n);

/*
 * After cbk_reader_records: reads the integrity entry and the rest of fd and
 * checks that the file is byte for byte what a writer produced. Returns 0,
 * CE_INTEGRITY or CE_IO.
 */
int cbk_reader_finish(struct cbk_reader *r);

void cbk_reader_free(struct cbk_reader *r);

/* Reads only manifest.json from fd (fast: for listings). */
int cbk_read_manifest(int fd, struct cbk_manifest *mp);

/*
 * Checks a whole archive without any secret: structure, entry sizes and
 * hashes against the manifest, and the whole-file SHA-384. Fills *mp (may be
 * NULL) on success. Returns 0, CE_INTEGRITY, CE_VERSION or CE_IO.
 */
int cbk_verify(int fd, struct cbk_manifest *mp);

#endif
