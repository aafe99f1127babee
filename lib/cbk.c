#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cbk.h"
#include "crypto.h"
#include "err.h"
#include "recpipe.h"

#define COPY_CHUNK (64u * 1024)
#define ENTRY_MODE 0400

struct cbk_spool {
	int fd;
	uint64_t size;
	int r; /* sticky: the first failure */
};

int
cbk_io_error(int errnum, const char *what)
{
	/* a full disk is not a full store: say which one it is */
	if (errnum == ENOSPC || errnum == EDQUOT) {
		err_set_detail("%s: no space left on the file system%s (free "
		    "some, or move the store to a larger one)", what,
		    errnum == EDQUOT ? " (quota)" : "");
		return CE_FULL;
	}
	err_set_detail("%s: %s", what, strerror(errnum));
	return errnum == EFBIG ? CE_FULL : CE_IO;
}

/* write(2) until done; returns 0 or the errno of the failure. */
static int
write_full(int fd, const void *p, size_t n)
{
	const uint8_t *s = p;
	ssize_t k;

	while (n > 0) {
		k = write(fd, s, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return errno;
		if (k == 0)
			return EIO;
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

int
cbk_spool_new(int fd, struct cbk_spool **sp)
{
	struct cbk_spool *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CE_NOMEM;
	s->fd = fd;
	*sp = s;
	return 0;
}

int
cbk_spool_write(struct cbk_spool *s, const void *p, size_t n)
{
	int e;

	if (s->r != 0)
		return s->r;
	if ((e = write_full(s->fd, p, n)) != 0)
		return s->r = cbk_io_error(e, "cannot spool the record stream");
	s->size += n;
	return 0;
}

uint64_t
cbk_spool_size(const struct cbk_spool *s)
{
	return s->size;
}

void
cbk_spool_free(struct cbk_spool *s)
{
	if (s == NULL)
		return;
	free(s);
}

void
cbk_integrity_text(uint64_t covered, const uint8_t sha[CC_HASH_LEN],
    char out[CBK_INTEGRITY_LEN + 1])
{
	int n, i;

	n = snprintf(out, CBK_INTEGRITY_LEN + 1,
	    "coffer-cbk-integrity 1\nbytes %020llu\nsha384 ",
	    (unsigned long long)covered);
	for (i = 0; i < CC_HASH_LEN; i++)
		n += snprintf(out + n, (size_t)(CBK_INTEGRITY_LEN + 1 - n),
		    "%02x", sha[i]);
	snprintf(out + n, (size_t)(CBK_INTEGRITY_LEN + 1 - n), "\n");
}

/*
 * The archive's only way out: every byte libarchive emits passes here, is
 * written to the file and hashed, so the integrity entry can state the hash
 * of exactly the bytes before it.
 */
struct out {
	int fd;
	struct cc_hash *h;
	uint64_t n;     /* bytes emitted so far (written or buffered) */
	int r;
	/* libarchive hands over 512-byte blocks (see put_integrity); they
	 * are gathered here and written OUT_BUF at a time: one write(2) per
	 * block was a third of a V1 backup's time. */
	uint8_t *buf;
	size_t used;
};

#define OUT_BUF (1024 * 1024)

static int
out_flush(struct out *o)
{
	int e;

	if (o->used == 0)
		return 0;
	if ((e = write_full(o->fd, o->buf, o->used)) != 0)
		return cbk_io_error(e, "cannot write the backup archive");
	o->used = 0;
	return 0;
}

static la_ssize_t
out_write(struct archive *a, void *arg, const void *p, size_t n)
{
	struct out *o = arg;
	size_t k;

	for (k = 0; k < n; ) {
		size_t take = n - k < OUT_BUF - o->used ? n - k :
		    OUT_BUF - o->used;

		memcpy(o->buf + o->used, (const uint8_t *)p + k, take);
		o->used += take;
		k += take;
		if (o->used == OUT_BUF && (o->r = out_flush(o)) != 0) {
			archive_set_error(a, EIO, "write failed");
			return -1;
		}
	}
	if ((o->r = cc_hash_update(o->h, p, n)) != 0) {
		archive_set_error(a, EIO, "hash failed");
		return -1;
	}
	o->n += n;
	return (la_ssize_t)n;
}

/* The failure of a libarchive call: ours if the callback set one. */
static int
ar_fail(struct archive *a, const struct out *o, const char *what)
{
	if (o->r != 0)
		return o->r;
	err_set_detail("%s: %s", what, archive_error_string(a) ?
	    archive_error_string(a) : "libarchive error");
	return CE_IO;
}

/* The record stream in the store is not the one its producer sealed. */
static int
stream_changed(const char *how)
{
	err_set_detail("the record stream that reached the store is not the "
	    "one that was sealed (%s): nothing was stored; run the backup "
	    "again", how);
	return CE_INTEGRITY;
}

/* Every entry: a read-only regular file owned by 0:0, dated `created`. */
static int
put_header(struct archive *a, const struct out *o, const char *name,
    uint64_t size, int64_t created)
{
	struct archive_entry *e;
	int r = 0;

	if ((e = archive_entry_new()) == NULL)
		return CE_NOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, ENTRY_MODE);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, (time_t)created, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		r = ar_fail(a, o, name);
	archive_entry_free(e);
	return r;
}

static int
put_data(struct archive *a, const struct out *o, const char *name,
    const void *p, size_t n)
{
	if (n > 0 && archive_write_data(a, p, n) != (la_ssize_t)n)
		return ar_fail(a, o, name);
	return 0;
}

/*
 * Copies the spool into the records entry, hashing it on the way: the one
 * hash of the stream in the store, checked against the hash its producer
 * took and bound into the sealed header. A mismatch is a stream changed
 * between the two (on its way to an rbs server, or in the spool on disk),
 * and nothing is stored. This hash runs on a thread of its own (hashing)
 * while this one writes the archive and takes the whole-file hash of the
 * same bytes: two SHA-384 passes that were a V1 backup's last second.
 */
static int
put_records(struct archive *a, const struct out *o, struct cbk_spool *s,
    const uint8_t want[CC_HASH_LEN])
{
	struct cc_hash *h = NULL;
	struct recpipe *hashing = NULL;
	uint8_t *chunk = NULL, got[CC_HASH_LEN];
	uint64_t left = s->size;
	ssize_t k;
	size_t n;
	int r;

	if ((r = cc_hash_new(&h)) != 0 ||
	    (r = recpipe_hash_new(h, &hashing)) != 0)
		goto out;
	if ((chunk = malloc(COPY_CHUNK)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if (lseek(s->fd, 0, SEEK_SET) != 0) {
		r = cbk_io_error(errno, "cannot rewind the spool");
		goto out;
	}
	while (left > 0) {
		n = left < COPY_CHUNK ? (size_t)left : COPY_CHUNK;
		k = read(s->fd, chunk, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = cbk_io_error(k < 0 ? errno : EIO,
			    "cannot read the spool back");
			goto out;
		}
		if ((r = recpipe_write(hashing, chunk, (size_t)k)) != 0 ||
		    (r = put_data(a, o, CBK_RECORDS_ENTRY, chunk, (size_t)k)) != 0)
			goto out;
		left -= (uint64_t)k;
	}
	if ((r = recpipe_finish(hashing)) != 0 ||
	    (r = cc_hash_peek(h, got)) != 0)
		goto out;
	if (!cc_memeq(got, want, CC_HASH_LEN))
		r = stream_changed("its SHA-384 differs");
 out:
	recpipe_free(hashing); /* before h goes */
	free(chunk);
	cc_hash_free(h);
	return r;
}

/*
 * The integrity entry's header goes out first; with 512-byte blocks and
 * every entry padded to a block, libarchive holds nothing back at that
 * point, so o->n is exactly the offset of the integrity data.
 */
static int
put_integrity(struct archive *a, struct out *o, int64_t created,
    uint64_t *coveredp)
{
	char text[CBK_INTEGRITY_LEN + 1];
	uint8_t sha[CC_HASH_LEN];
	int r;

	if ((r = put_header(a, o, CBK_INTEGRITY_ENTRY, CBK_INTEGRITY_LEN,
	    created)) != 0)
		return r;
	if (o->n % CBK_BLOCK != 0) {
		err_set_detail("libarchive held back part of a block");
		return CE_IO;
	}
	if ((r = cc_hash_peek(o->h, sha)) != 0)
		return r;
	cbk_integrity_text(o->n, sha, text);
	*coveredp = o->n;
	return put_data(a, o, CBK_INTEGRITY_ENTRY, text, CBK_INTEGRITY_LEN);
}

int
cbk_write(int fd, struct cbk_manifest *m, const void *hdr, size_t hlen,
    struct cbk_spool *records)
{
	struct archive *a = NULL;
	struct buf *man = NULL;
	struct out o = { .fd = fd };
	uint64_t covered = 0;
	int r;

	if (hlen > CBK_HEADER_MAX) {
		err_set_detail("the sealed header is %zu bytes; at most %u",
		    hlen, CBK_HEADER_MAX);
		return CE_TOO_LONG;
	}
	if (records->r != 0) {
		err_set_detail("the record stream was not spooled completely");
		return records->r;
	}
	/* The writer's choice of version (0: the newest); the KAT writes 1. */
	if (m->format_version == 0)
		m->format_version = CBK_FORMAT_VERSION;
	if (m->records_size != records->size)
		return stream_changed("its size differs");
	m->header_size = hlen;
	if ((r = cc_sha384(hdr, hlen, m->header_sha384)) != 0 ||
	    (r = cbk_manifest_encode(m, &man)) != 0 ||
	    (r = cc_hash_new(&o.h)) != 0)
		goto out;
	if ((o.buf = malloc(OUT_BUF)) == NULL ||
	    (a = archive_write_new()) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	/* 512-byte blocks and no padding of the last one: see put_integrity. */
	if (archive_write_set_format_pax(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, CBK_BLOCK) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open2(a, &o, NULL, out_write, NULL, NULL) != ARCHIVE_OK) {
		r = ar_fail(a, &o, "cannot start the archive");
		goto out;
	}
	if ((r = put_header(a, &o, CBK_MANIFEST_ENTRY, buf_len(man),
	    m->created)) != 0 ||
	    (r = put_data(a, &o, CBK_MANIFEST_ENTRY, buf_ptr(man),
	    buf_len(man))) != 0 ||
	    (r = put_header(a, &o, CBK_HEADER_ENTRY, hlen, m->created)) != 0 ||
	    (r = put_data(a, &o, CBK_HEADER_ENTRY, hdr, hlen)) != 0 ||
	    (r = put_header(a, &o, CBK_RECORDS_ENTRY, records->size,
	    m->created)) != 0 ||
	    (r = put_records(a, &o, records, m->records_sha384)) != 0 ||
	    (r = put_integrity(a, &o, m->created, &covered)) != 0)
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		r = ar_fail(a, &o, "cannot finish the archive");
		goto out;
	}
	if ((r = out_flush(&o)) != 0)
		goto out;
	/* The tail is fixed: a reader finds the integrity data by it. */
	if (o.n != covered + CBK_TAIL_LEN) {
		err_set_detail("libarchive ended the archive unexpectedly");
		r = CE_IO;
		goto out;
	}
	r = 0;
 out:
	archive_write_free(a);
	cc_hash_free(o.h);
	free(o.buf);
	buf_free(man);
	return r;
}
