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

#define READ_CHUNK (64u * 1024)

enum stage { AT_HEADER, AT_RECORDS, AT_INTEGRITY, DONE, FAILED };

/*
 * Every byte read from fd passes through a delay line: all but the last
 * CBK_TAIL_LEN bytes seen so far are hashed, those are kept. At end of file
 * the hash covers exactly the bytes before the integrity data and the delay
 * line holds the integrity data, its padding and the end blocks, so one
 * pass checks the whole file whatever libarchive read ahead.
 */
struct cbk_reader {
	int fd;
	struct archive *a;
	struct cc_hash *h;
	/* From records.bin on, h is fed on a thread of its own: the
	 * whole-file hash and records.bin's are two passes over the same
	 * bytes, and the caller's own work on them (a restore, a chunk
	 * walk) has the rest of this thread. */
	struct recpipe *hashing;
	uint8_t tail[CBK_TAIL_LEN];
	size_t tlen;
	uint64_t total;
	int rerr;                 /* errno of a failed read(2) */
	enum stage stage;
	struct cbk_manifest m;
	struct buf *header;
	struct cc_hash *rec_hash; /* records.bin, pull form */
	uint64_t rec_size, rec_got;
	/* where each entry's headers start, and its size: the zero padding
	 * between an entry's data and the next entry is checked at the end */
	int64_t pos[4];
	uint64_t size[4];
	int nentries;
	uint8_t in[READ_CHUNK];   /* what libarchive reads from */
	uint8_t data[READ_CHUNK]; /* what entries are read into */
};

/* Adds bytes to the whole-file hash, here or on the hashing thread. */
static int
hash_file(struct cbk_reader *r, const uint8_t *p, size_t n)
{
	if (n == 0)
		return 0;
	if (r->hashing != NULL)
		return recpipe_write(r->hashing, p, n);
	return cc_hash_update(r->h, p, n);
}

static int
feed(struct cbk_reader *r, const uint8_t *p, size_t n)
{
	size_t out, from_tail;
	int rc;

	if (r->tlen + n <= CBK_TAIL_LEN) {
		memcpy(r->tail + r->tlen, p, n);
		r->tlen += n;
		r->total += n;
		return 0;
	}
	/* Hash what falls out of the delay line: old tail bytes, then p's. */
	out = r->tlen + n - CBK_TAIL_LEN;
	from_tail = out < r->tlen ? out : r->tlen;
	if ((rc = hash_file(r, r->tail, from_tail)) != 0 ||
	    (rc = hash_file(r, p, out - from_tail)) != 0)
		return rc;
	memmove(r->tail, r->tail + from_tail, r->tlen - from_tail);
	r->tlen -= from_tail;
	memcpy(r->tail + r->tlen, p + (out - from_tail), n - (out - from_tail));
	r->tlen = CBK_TAIL_LEN;
	r->total += n;
	return 0;
}

/* read(2) one chunk into r->in and through the delay line; -1 on error. */
static ssize_t
pull(struct cbk_reader *r)
{
	ssize_t k;

	do
		k = read(r->fd, r->in, sizeof(r->in));
	while (k < 0 && errno == EINTR);
	if (k < 0) {
		r->rerr = errno;
		return -1;
	}
	if (k > 0 && feed(r, r->in, (size_t)k) != 0) {
		r->rerr = ENOMEM;
		return -1;
	}
	return k;
}

static la_ssize_t
in_read(struct archive *a, void *arg, const void **pp)
{
	struct cbk_reader *r = arg;
	ssize_t k = pull(r);

	if (k < 0)
		archive_set_error(a, r->rerr, "read failed");
	*pp = r->in;
	return k;
}

static int
damaged(struct cbk_reader *r, const char *what)
{
	r->stage = FAILED;
	if (r->rerr != 0)
		return cbk_io_error(r->rerr, "cannot read the backup archive");
	err_set_detail("%s%s%s", what, r->a && archive_error_string(r->a) ?
	    ": " : "", r->a && archive_error_string(r->a) ?
	    archive_error_string(r->a) : "");
	return CE_INTEGRITY;
}

/* Reads the next entry header; it must be a regular file named name. */
static int
next_entry(struct cbk_reader *r, const char *name, uint64_t *sizep)
{
	struct archive_entry *e;
	int ar;

	ar = archive_read_next_header(r->a, &e);
	if (ar == ARCHIVE_EOF) {
		err_set_detail("the archive ends before '%s': truncated", name);
		r->stage = FAILED;
		return CE_INTEGRITY;
	}
	if (ar != ARCHIVE_OK)
		return damaged(r, "the archive is damaged or truncated");
	if (strcmp(archive_entry_pathname(e) ? archive_entry_pathname(e) : "",
	    name) != 0 || archive_entry_filetype(e) != AE_IFREG ||
	    !archive_entry_size_is_set(e) || archive_entry_size(e) < 0) {
		err_set_detail("expected the entry '%s' here: not a Coffer "
		    "backup or damaged", name);
		r->stage = FAILED;
		return CE_INTEGRITY;
	}
	*sizep = (uint64_t)archive_entry_size(e);
	if (r->nentries < 4) {
		r->pos[r->nentries] = archive_read_header_position(r->a);
		r->size[r->nentries++] = *sizep;
	}
	return 0;
}

/*
 * The tar padding after each entry's data, up to the next entry's headers,
 * must be zero (a reader of the format ignores it, so it must carry
 * nothing). Read back with pread: the whole file has been read by now.
 */
static int
check_padding(struct cbk_reader *r)
{
	static const char *names[] = { "manifest.json", CBK_HEADER_ENTRY,
	    CBK_RECORDS_ENTRY };
	uint8_t pad[CBK_BLOCK];
	uint64_t len;
	int64_t at;
	ssize_t k;
	int i;
	size_t j;

	for (i = 0; i + 1 < r->nentries && i < 3; i++) {
		len = (CBK_BLOCK - r->size[i] % CBK_BLOCK) % CBK_BLOCK;
		if (len == 0 || r->pos[i + 1] < (int64_t)len)
			continue;
		at = r->pos[i + 1] - (int64_t)len;
		if ((k = pread(r->fd, pad, (size_t)len, (off_t)at)) < 0) {
			if (errno == ESPIPE)
				return 0; /* a stream: the hash covered it */
			return cbk_io_error(errno, "cannot read the archive");
		}
		for (j = 0; j < (size_t)k; j++)
			if (pad[j] != 0) {
				err_set_detail("non-zero byte in the tar padding "
				    "after %s at offset %llu", names[i],
				    (unsigned long long)(at + (int64_t)j));
				return CE_INTEGRITY;
			}
	}
	return 0;
}

/* Reads the current entry's data, exactly want bytes, through fn. */
static int
read_entry(struct cbk_reader *r, const char *name, uint64_t want,
    cbk_sink_fn fn, void *arg, struct cc_hash *h)
{
	uint64_t got = 0;
	la_ssize_t k;
	int rc;

	for (;;) {
		k = archive_read_data(r->a, r->data, sizeof(r->data));
		if (k < 0)
			return damaged(r, "the archive is damaged or truncated");
		if (k == 0)
			break;
		got += (uint64_t)k;
		if (got > want) {
			err_set_detail("'%s' is longer than its header says", name);
			r->stage = FAILED;
			return CE_INTEGRITY;
		}
		if (h != NULL && (rc = cc_hash_update(h, r->data, (size_t)k)) != 0)
			return rc;
		if (fn != NULL && (rc = fn(arg, r->data, (size_t)k)) != 0) {
			r->stage = FAILED;
			return rc;
		}
	}
	if (got != want) {
		err_set_detail("'%s' is truncated", name);
		r->stage = FAILED;
		return CE_INTEGRITY;
	}
	return 0;
}

static int
buf_sink(void *arg, const void *p, size_t n)
{
	return buf_put(arg, p, n);
}

/* The entry's size and SHA-384 must be the manifest's. */
static int
check_hash(struct cbk_reader *r, const char *name, struct cc_hash *h,
    const uint8_t want[CC_HASH_LEN])
{
	uint8_t got[CC_HASH_LEN];
	int rc;

	if ((rc = cc_hash_peek(h, got)) != 0)
		return rc;
	if (!cc_memeq(got, want, CC_HASH_LEN)) {
		err_set_detail("'%s' does not match its SHA-384 in the manifest",
		    name);
		r->stage = FAILED;
		return CE_INTEGRITY;
	}
	return 0;
}

static int
read_manifest(struct cbk_reader *r)
{
	struct buf *b = NULL;
	uint64_t size;
	int rc;

	if ((rc = next_entry(r, CBK_MANIFEST_ENTRY, &size)) != 0)
		return rc;
	if (size > CBK_MANIFEST_MAX) {
		err_set_detail("manifest.json is %llu bytes; at most %u",
		    (unsigned long long)size, CBK_MANIFEST_MAX);
		r->stage = FAILED;
		return CE_INTEGRITY;
	}
	if ((b = buf_new(size > 0 ? (size_t)size : 1)) == NULL)
		return CE_NOMEM;
	if ((rc = read_entry(r, CBK_MANIFEST_ENTRY, size, buf_sink, b,
	    NULL)) != 0)
		goto out;
	/* A manifest that does not parse is a damaged backup (exit 4). */
	rc = cbk_manifest_parse(b, &r->m);
	if (rc == CE_FORMAT || rc == CE_TOO_LONG)
		rc = CE_INTEGRITY;
	if (rc != 0)
		r->stage = FAILED;
 out:
	buf_free(b);
	return rc;
}

static int
read_header(struct cbk_reader *r)
{
	struct cc_hash *h = NULL;
	uint64_t size;
	int rc;

	if ((rc = next_entry(r, CBK_HEADER_ENTRY, &size)) != 0)
		return rc;
	if (size != r->m.header_size || size > CBK_HEADER_MAX) {
		err_set_detail("header.bin is %llu bytes; the manifest says %llu",
		    (unsigned long long)size,
		    (unsigned long long)r->m.header_size);
		r->stage = FAILED;
		return CE_INTEGRITY;
	}
	if ((r->header = buf_new(size > 0 ? (size_t)size : 1)) == NULL)
		return CE_NOMEM;
	if ((rc = cc_hash_new(&h)) != 0)
		return rc;
	if ((rc = read_entry(r, CBK_HEADER_ENTRY, size, buf_sink, r->header,
	    h)) == 0)
		rc = check_hash(r, CBK_HEADER_ENTRY, h, r->m.header_sha384);
	cc_hash_free(h);
	return rc;
}

static int
reader_new(int fd, struct cbk_reader **rp)
{
	struct cbk_reader *r;
	int rc;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return CE_NOMEM;
	r->fd = fd;
	if ((rc = cc_hash_new(&r->h)) != 0)
		goto fail;
	if ((r->a = archive_read_new()) == NULL) {
		rc = CE_NOMEM;
		goto fail;
	}
	/* tar only, no decompression filters: nothing else is a backup. */
	if (archive_read_support_format_tar(r->a) != ARCHIVE_OK ||
	    archive_read_open2(r->a, r, NULL, in_read, NULL, NULL) !=
	    ARCHIVE_OK) {
		rc = damaged(r, "not a backup archive");
		goto fail;
	}
	*rp = r;
	return 0;
 fail:
	cbk_reader_free(r);
	return rc;
}

int
cbk_reader_open(int fd, struct cbk_reader **rp)
{
	struct cbk_reader *r = NULL;
	int rc;

	if ((rc = reader_new(fd, &r)) != 0)
		return rc;
	if ((rc = read_manifest(r)) != 0 || (rc = read_header(r)) != 0) {
		cbk_reader_free(r);
		return rc;
	}
	r->stage = AT_RECORDS;
	*rp = r;
	return 0;
}

int
cbk_read_manifest(int fd, struct cbk_manifest *mp)
{
	struct cbk_reader *r = NULL;
	int rc;

	if ((rc = reader_new(fd, &r)) != 0)
		return rc;
	if ((rc = read_manifest(r)) == 0)
		*mp = r->m;
	cbk_reader_free(r);
	return rc;
}

const struct cbk_manifest *
cbk_reader_manifest(const struct cbk_reader *r)
{
	return &r->m;
}

void
cbk_reader_header(const struct cbk_reader *r, const uint8_t **pp,
    size_t *lenp)
{
	*pp = buf_ptr(r->header);
	*lenp = buf_len(r->header);
}

int
cbk_reader_records(struct cbk_reader *r, cbk_sink_fn fn, void *arg)
{
	struct cc_hash *h = NULL;
	uint64_t size;
	int rc;

	if (r->stage != AT_RECORDS)
		return CE_INVALID;
	if ((rc = next_entry(r, CBK_RECORDS_ENTRY, &size)) != 0)
		return rc;
	if (size != r->m.records_size) {
		err_set_detail("records.bin is %llu bytes; the manifest says %llu",
		    (unsigned long long)size,
		    (unsigned long long)r->m.records_size);
		r->stage = FAILED;
		return CE_INTEGRITY;
	}
	if ((rc = recpipe_hash_new(r->h, &r->hashing)) != 0 ||
	    (rc = cc_hash_new(&h)) != 0)
		return rc;
	if ((rc = read_entry(r, CBK_RECORDS_ENTRY, size, fn, arg, h)) == 0 &&
	    (rc = check_hash(r, CBK_RECORDS_ENTRY, h,
	    r->m.records_sha384)) == 0)
		r->stage = AT_INTEGRITY;
	cc_hash_free(h);
	return rc;
}

long
cbk_reader_records_read(void *arg, void *p, size_t n)
{
	struct cbk_reader *r = arg;
	la_ssize_t k;
	int rc;

	if (r->stage == AT_INTEGRITY)
		return 0;
	if (r->stage != AT_RECORDS)
		return CE_INVALID;
	if (r->rec_hash == NULL) {
		if ((rc = next_entry(r, CBK_RECORDS_ENTRY, &r->rec_size)) != 0)
			return rc;
		if (r->rec_size != r->m.records_size) {
			err_set_detail("records.bin is %llu bytes; the manifest "
			    "says %llu", (unsigned long long)r->rec_size,
			    (unsigned long long)r->m.records_size);
			r->stage = FAILED;
			return CE_INTEGRITY;
		}
		if ((rc = recpipe_hash_new(r->h, &r->hashing)) != 0 ||
		    (rc = cc_hash_new(&r->rec_hash)) != 0)
			return rc;
	}
	if (n > READ_CHUNK)
		n = READ_CHUNK;
	if ((k = archive_read_data(r->a, p, n)) < 0)
		return damaged(r, "the archive is damaged or truncated");
	if (k == 0) {
		if (r->rec_got != r->rec_size) {
			err_set_detail("'%s' is truncated", CBK_RECORDS_ENTRY);
			r->stage = FAILED;
			return CE_INTEGRITY;
		}
		if ((rc = check_hash(r, CBK_RECORDS_ENTRY, r->rec_hash,
		    r->m.records_sha384)) != 0)
			return rc;
		r->stage = AT_INTEGRITY;
		return 0;
	}
	r->rec_got += (uint64_t)k;
	if (r->rec_got > r->rec_size) {
		err_set_detail("'%s' is longer than its header says",
		    CBK_RECORDS_ENTRY);
		r->stage = FAILED;
		return CE_INTEGRITY;
	}
	if ((rc = cc_hash_update(r->rec_hash, p, (size_t)k)) != 0)
		return rc;
	return (long)k;
}

/* Compares the delay line with what the integrity data must be. */
static int
check_tail(struct cbk_reader *r)
{
	char want[CBK_INTEGRITY_LEN + 1];
	uint8_t sha[CC_HASH_LEN];
	uint64_t covered;
	size_t i;
	int rc;

	if (r->total < CBK_TAIL_LEN + 4 * CBK_BLOCK) {
		err_set_detail("the archive is truncated");
		return CE_INTEGRITY;
	}
	covered = r->total - CBK_TAIL_LEN;
	if ((r->hashing != NULL && (rc = recpipe_finish(r->hashing)) != 0) ||
	    (rc = cc_hash_peek(r->h, sha)) != 0)
		return rc;
	cbk_integrity_text(covered, sha, want);
	/* Same layout, other length: the file was cut or extended. */
	if (memcmp(r->tail, want, 29) == 0 && memcmp(r->tail + 29, want + 29,
	    20) != 0) {
		err_set_detail("the archive is %llu bytes, not the length its "
		    "integrity entry states: truncated or extended",
		    (unsigned long long)r->total);
		return CE_INTEGRITY;
	}
	if (memcmp(r->tail, want, CBK_INTEGRITY_LEN) != 0) {
		err_set_detail("the archive's SHA-384 does not match its "
		    "integrity entry: a byte was changed or the file was cut");
		return CE_INTEGRITY;
	}
	for (i = CBK_INTEGRITY_LEN; i < CBK_TAIL_LEN; i++)
		if (r->tail[i] != 0) {
			err_set_detail("non-zero byte in the end-of-archive "
			    "padding at offset %llu",
			    (unsigned long long)(covered + i));
			return CE_INTEGRITY;
		}
	return 0;
}

int
cbk_reader_finish(struct cbk_reader *r)
{
	struct archive_entry *e;
	uint64_t size;
	ssize_t k;
	int rc;

	if (r->stage != AT_INTEGRITY)
		return CE_INVALID;
	r->stage = FAILED;
	if ((rc = next_entry(r, CBK_INTEGRITY_ENTRY, &size)) != 0)
		return rc;
	if (size != CBK_INTEGRITY_LEN) {
		err_set_detail("integrity.sha384 has the wrong size");
		return CE_INTEGRITY;
	}
	/* Its bytes are checked from the delay line below. */
	if ((rc = read_entry(r, CBK_INTEGRITY_ENTRY, size, NULL, NULL,
	    NULL)) != 0)
		return rc;
	if (archive_read_next_header(r->a, &e) != ARCHIVE_EOF) {
		if (r->rerr != 0)
			return damaged(r, "");
		err_set_detail("entries follow integrity.sha384");
		return CE_INTEGRITY;
	}
	/* Whatever libarchive left unread: to the end of the file. */
	while ((k = pull(r)) > 0)
		;
	if (k < 0)
		return cbk_io_error(r->rerr, "cannot read the backup archive");
	if ((rc = check_tail(r)) != 0 || (rc = check_padding(r)) != 0)
		return rc;
	r->stage = DONE;
	return 0;
}

void
cbk_reader_free(struct cbk_reader *r)
{
	if (r == NULL)
		return;
	archive_read_free(r->a);
	recpipe_free(r->hashing); /* before r->h goes */
	cc_hash_free(r->h);
	cc_hash_free(r->rec_hash);
	buf_free(r->header);
	free(r);
}

/*
 * A manifest of a newer format: the integrity tail is the same in every
 * format version, so damage can still be told from newness.
 */
static int
newer_or_damaged(struct cbk_reader *r)
{
	char detail[256];
	ssize_t k;

	snprintf(detail, sizeof(detail), "%s", err_detail());
	while ((k = pull(r)) > 0)
		;
	if (k < 0)
		return cbk_io_error(r->rerr, "cannot read the backup archive");
	if (check_tail(r) != 0)
		return CE_INTEGRITY;
	err_set_detail("%s", detail);
	return CE_VERSION;
}

int
cbk_verify(int fd, struct cbk_manifest *mp)
{
	struct cbk_reader *r = NULL;
	int rc;

	if ((rc = reader_new(fd, &r)) != 0)
		return rc;
	if ((rc = read_manifest(r)) == CE_VERSION)
		rc = newer_or_damaged(r);
	if (rc != 0 || (rc = read_header(r)) != 0) {
		cbk_reader_free(r);
		return rc;
	}
	r->stage = AT_RECORDS;
	if ((rc = cbk_reader_records(r, NULL, NULL)) == 0 &&
	    (rc = cbk_reader_finish(r)) == 0 && mp != NULL)
		*mp = r->m;
	cbk_reader_free(r);
	return rc;
}
