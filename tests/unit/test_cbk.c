/*
 * cbk: the backup partition archive. Round trips through bounded buffers,
 * `tar tvf` interop, and refusal of every flipped byte, every truncation and
 * every malformed manifest.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "buf.h"
#include "cbk.h"
#include "crypto.h"
#include "err.h"

static char tmpdir[] = "/tmp/coffer-test-cbk.XXXXXX";

/* The generated record stream: byte i depends only on seed and i. */
static uint8_t
gen_byte(uint32_t seed, uint64_t i)
{
	uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ seed;

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	return (uint8_t)(x >> 56);
}

static void
gen(uint32_t seed, uint64_t off, uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = gen_byte(seed, off + i);
}

static void
meta_init(struct cbk_manifest *m)
{
	memset(m, 0, sizeof(*m));
	strcpy(m->label, "payments");
	strcpy(m->serial, "1234-5678");
	strcpy(m->tool_version, "coffer 0.1.0");
	m->format_version = 1; /* the first format; 2 in test_cbk_manifest */
	m->partition_version = 1;
	m->object_count = 1000;
	m->plain_bytes = 123456;
	m->created = 1735787045; /* 2025-01-02T03:04:05Z */
}

/* Writes an archive of a generated stream to path; returns its size. */
static off_t
make_archive(const char *path, uint64_t stream_len, size_t hdr_len,
    uint32_t seed)
{
	struct cbk_manifest m;
	struct cbk_spool *s = NULL;
	struct cc_hash *h;
	char spath[256];
	uint8_t chunk[7919], *hdr;
	uint64_t off = 0;
	size_t n;
	struct stat st;
	int sfd, fd;

	meta_init(&m);
	snprintf(spath, sizeof(spath), "%s/spool", tmpdir);
	sfd = open(spath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(sfd >= 0);
	unlink(spath);
	assert_int_equal(cbk_spool_new(sfd, &s), 0);
	assert_int_equal(cc_hash_new(&h), 0);
	/* Odd-sized writes: the stream arrives as a producer makes it. */
	while (off < stream_len) {
		n = stream_len - off < sizeof(chunk) ? (size_t)(stream_len - off) :
		    sizeof(chunk);
		gen(seed, off, chunk, n);
		assert_int_equal(cbk_spool_write(s, chunk, n), 0);
		assert_int_equal(cc_hash_update(h, chunk, n), 0);
		off += n;
	}
	assert_true(cbk_spool_size(s) == stream_len);
	m.records_size = stream_len;
	assert_int_equal(cc_hash_peek(h, m.records_sha384), 0);
	cc_hash_free(h);
	hdr = malloc(hdr_len + 1);
	gen(seed ^ 0xffff, 0, hdr, hdr_len);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(cbk_write(fd, &m, hdr, hdr_len, s), 0);
	assert_true(m.records_size == stream_len);
	assert_true(m.header_size == hdr_len);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	close(sfd);
	cbk_spool_free(s);
	free(hdr);
	return st.st_size;
}

static int
verify_path(const char *path)
{
	int fd = open(path, O_RDONLY), r;

	assert_true(fd >= 0);
	r = cbk_verify(fd, NULL);
	close(fd);
	return r;
}

struct check {
	uint32_t seed;
	uint64_t off;
	size_t max_chunk;
	int bad;
};

/* A sink that compares what arrives with the generator. */
static int
check_sink(void *arg, const void *p, size_t n)
{
	struct check *c = arg;
	const uint8_t *b = p;
	size_t i;

	if (n > c->max_chunk)
		c->max_chunk = n;
	for (i = 0; i < n; i++)
		if (b[i] != gen_byte(c->seed, c->off + i))
			c->bad = 1;
	c->off += n;
	return 0;
}

static void
test_roundtrip_large(void **state)
{
	const uint64_t len = 4 * 1024 * 1024 + 12345;
	struct cbk_reader *rd = NULL;
	const struct cbk_manifest *m;
	struct cbk_manifest m2;
	struct check c = { .seed = 7 };
	char path[256];
	const uint8_t *h;
	uint8_t want[333];
	size_t hl;
	off_t size;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/big.cbk", tmpdir);
	size = make_archive(path, len, sizeof(want), 7);
	assert_true(size % 512 == 0);
	assert_true((uint64_t)size > len);

	fd = open(path, O_RDONLY);
	assert_int_equal(cbk_reader_open(fd, &rd), 0);
	m = cbk_reader_manifest(rd);
	assert_string_equal(m->label, "payments");
	assert_string_equal(m->serial, "1234-5678");
	assert_string_equal(m->tool_version, "coffer 0.1.0");
	assert_int_equal(m->partition_version, 1);
	assert_true(m->object_count == 1000);
	assert_true(m->plain_bytes == 123456);
	assert_true(m->created == 1735787045);
	assert_true(m->records_size == len);
	cbk_reader_header(rd, &h, &hl);
	gen(7 ^ 0xffff, 0, want, sizeof(want));
	assert_int_equal(hl, sizeof(want));
	assert_memory_equal(h, want, sizeof(want));
	assert_int_equal(cbk_reader_records(rd, check_sink, &c), 0);
	assert_int_equal(c.bad, 0);
	assert_true(c.off == len);
	/* Bounded memory: the stream never arrives in more than 64 KiB. */
	assert_true(c.max_chunk <= 64 * 1024);
	assert_int_equal(cbk_reader_finish(rd), 0);
	cbk_reader_free(rd);
	close(fd);

	fd = open(path, O_RDONLY);
	assert_int_equal(cbk_read_manifest(fd, &m2), 0);
	assert_true(m2.records_size == len);
	close(fd);
	assert_int_equal(verify_path(path), 0);
	unlink(path);
}

/* libarchive-independent readers agree: GNU tar lists and extracts it. */
static void
test_tar_lists(void **state)
{
	char path[256], cmd[600], line[512];
	const char *want[] = { "manifest.json", "header.bin", "records.bin",
	    "integrity.sha384" };
	size_t i = 0;
	FILE *p;

	(void)state;
	snprintf(path, sizeof(path), "%s/tar.cbk", tmpdir);
	make_archive(path, 100000, 50, 3);
	snprintf(cmd, sizeof(cmd), "tar tvf '%s' 2>&1", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		assert_true(i < 4);
		assert_non_null(strstr(line, want[i]));
		assert_non_null(strstr(line, "2025-01-02"));
		i++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(i, 4);
	snprintf(cmd, sizeof(cmd), "tar xOf '%s' records.bin | wc -c", path);
	p = popen(cmd, "r");
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(atol(line), 100000);
	assert_int_equal(pclose(p), 0);
	snprintf(cmd, sizeof(cmd), "tar xOf '%s' integrity.sha384", path);
	p = popen(cmd, "r");
	assert_non_null(fgets(line, sizeof(line), p));
	assert_string_equal(line, "coffer-cbk-integrity 1\n");
	pclose(p);
	unlink(path);
}

static uint8_t *
slurp(const char *path, off_t *sizep)
{
	struct stat st;
	uint8_t *p;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	p = malloc((size_t)st.st_size);
	assert_int_equal(read(fd, p, (size_t)st.st_size), st.st_size);
	close(fd);
	*sizep = st.st_size;
	return p;
}

/* Flips bytes at offs[] one at a time in a copy; each must be caught. */
static void
flip_all(const char *path, const off_t *offs, size_t n, uint8_t mask)
{
	off_t size;
	uint8_t *orig = slurp(path, &size), b;
	size_t i;
	int fd = open(path, O_RDWR), r;

	assert_true(fd >= 0);
	for (i = 0; i < n; i++) {
		assert_true(offs[i] < size);
		b = orig[offs[i]] ^ mask;
		assert_int_equal(pwrite(fd, &b, 1, offs[i]), 1);
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		r = cbk_verify(fd, NULL);
		if (r != CE_INTEGRITY)
			fail_msg("flip of 0x%02x at offset %lld: got %d (%s)",
			    mask, (long long)offs[i], r, err_detail());
		assert_int_equal(pwrite(fd, &orig[offs[i]], 1, offs[i]), 1);
	}
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(cbk_verify(fd, NULL), 0);
	close(fd);
	free(orig);
}

/* Every single byte of a small archive, two ways, and a third sampled. */
static void
test_flip_every_byte(void **state)
{
	char path[256];
	off_t size, i, *offs;

	(void)state;
	snprintf(path, sizeof(path), "%s/small.cbk", tmpdir);
	size = make_archive(path, 3000, 100, 11);
	assert_int_equal(verify_path(path), 0);
	offs = malloc((size_t)size * sizeof(*offs));
	for (i = 0; i < size; i++)
		offs[i] = i;
	flip_all(path, offs, (size_t)size, 0x01);
	flip_all(path, offs, (size_t)size, 0x80);
	for (i = 0; i < size / 7; i++)          /* and whole bytes, sampled */
		offs[i] = i * 7;
	flip_all(path, offs, (size_t)(size / 7), 0xff);
	free(offs);
	unlink(path);
}

/* A multi-MB archive: every header block, spread data, the whole tail. */
static void
test_flip_large(void **state)
{
	char path[256];
	off_t size, offs[700];
	size_t n = 0;
	int i;

	(void)state;
	snprintf(path, sizeof(path), "%s/flip.cbk", tmpdir);
	size = make_archive(path, 2 * 1024 * 1024 + 77, 200, 5);
	for (i = 0; i < 8 * 512; i += 37)       /* first blocks: headers */
		offs[n++] = i;
	for (i = 0; i < 150; i++)               /* spread over the data */
		offs[n++] = (off_t)(((uint64_t)size * (uint64_t)i) / 150);
	for (i = 1; i <= 2560; i += 13)         /* integrity, padding, end */
		offs[n++] = size - i;
	assert_true(n <= sizeof(offs) / sizeof(offs[0]));
	flip_all(path, offs, n, 0x20);
	unlink(path);
}

static void
truncate_all(const char *path, off_t from, off_t step)
{
	char cut[300];
	off_t size, len;
	uint8_t *orig = slurp(path, &size);
	int fd, r;

	snprintf(cut, sizeof(cut), "%s.cut", path);
	fd = open(cut, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, orig, (size_t)size), size);
	for (len = size - 1; len >= from; len -= step) {
		assert_int_equal(ftruncate(fd, len), 0);
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		r = cbk_verify(fd, NULL);
		if (r != CE_INTEGRITY)
			fail_msg("truncation to %lld of %lld bytes: got %d (%s)",
			    (long long)len, (long long)size, r, err_detail());
	}
	close(fd);
	unlink(cut);
	free(orig);
}

static void
test_truncation(void **state)
{
	char path[256];
	off_t size;

	(void)state;
	snprintf(path, sizeof(path), "%s/trunc.cbk", tmpdir);
	make_archive(path, 3000, 100, 12);
	truncate_all(path, 0, 1);               /* every length */
	size = make_archive(path, 40000, 100, 13);
	truncate_all(path, size - 4096, 1);     /* every length of the end */
	make_archive(path, 1024 * 1024, 100, 13);
	truncate_all(path, 0, 40961);           /* and across a larger file */
	unlink(path);
}

static void
test_appended(void **state)
{
	char path[256];
	uint8_t z[1024] = { 0 };
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/app.cbk", tmpdir);
	make_archive(path, 5000, 10, 14);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, z, 1), 1);
	close(fd);
	assert_int_equal(verify_path(path), CE_INTEGRITY);
	make_archive(path, 5000, 10, 14);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, z, sizeof(z)), (ssize_t)sizeof(z));
	close(fd);
	assert_int_equal(verify_path(path), CE_INTEGRITY);
	unlink(path);
}

/* Rewrites the integrity data of the file at path to match its bytes. */
static void
reseal(const char *path)
{
	char text[CBK_INTEGRITY_LEN + 1];
	uint8_t sha[CC_HASH_LEN], *p;
	off_t size;
	int fd;

	p = slurp(path, &size);
	assert_int_equal(cc_sha384(p, (size_t)(size - CBK_TAIL_LEN), sha), 0);
	cbk_integrity_text((uint64_t)(size - CBK_TAIL_LEN), sha, text);
	fd = open(path, O_WRONLY);
	assert_int_equal(pwrite(fd, text, CBK_INTEGRITY_LEN,
	    size - CBK_TAIL_LEN), CBK_INTEGRITY_LEN);
	close(fd);
	free(p);
}

/* Replaces the first occurrence of from by to (same length) in the file. */
static void
patch(const char *path, const char *from, const char *to)
{
	off_t size;
	uint8_t *p = slurp(path, &size);
	uint8_t *at = memmem(p, (size_t)size, from, strlen(from));
	int fd;

	assert_non_null(at);
	assert_int_equal(strlen(from), strlen(to));
	fd = open(path, O_WRONLY);
	assert_int_equal(pwrite(fd, to, strlen(to), at - p), (ssize_t)strlen(to));
	close(fd);
	free(p);
}

/*
 * A newer format is CE_VERSION only when the file is intact; the same
 * change without a matching integrity entry is damage.
 */
static void
test_newer_version(void **state)
{
	char path[256];
	struct cbk_manifest m;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/v2.cbk", tmpdir);
	make_archive(path, 2000, 10, 15);
	patch(path, "\"format_version\": 1", "\"format_version\": 4");
	assert_int_equal(verify_path(path), CE_INTEGRITY);
	reseal(path);
	assert_int_equal(verify_path(path), CE_VERSION);
	assert_non_null(strstr(err_detail(), "upgrade"));
	fd = open(path, O_RDONLY);
	assert_int_equal(cbk_read_manifest(fd, &m), CE_VERSION);
	close(fd);
	unlink(path);
}

/* Resealed (self-consistent) archives whose manifest lies are still caught. */
static void
test_manifest_lies(void **state)
{
	char path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/lie.cbk", tmpdir);
	make_archive(path, 2000, 10, 16);
	patch(path, "\"size\": 2000", "\"size\": 2001");
	reseal(path);
	assert_int_equal(verify_path(path), CE_INTEGRITY);
	make_archive(path, 2000, 10, 16);
	patch(path, "\"object_count\": 1000", "\"object_count\": x000");
	reseal(path);
	assert_int_equal(verify_path(path), CE_INTEGRITY);
	assert_non_null(strstr(err_detail(), "manifest.json"));
	unlink(path);
}

/* Tar archives that are not Coffer backups. */
static void
write_tar(const char *path, const char *const *names, size_t n,
    const char *body)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e;
	size_t i;

	archive_write_set_format_pax(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0400);
		archive_entry_set_size(e, (la_int64_t)strlen(body));
		archive_write_header(a, e);
		archive_write_data(a, body, strlen(body));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static void
test_not_a_backup(void **state)
{
	static const char *const order[] = { "header.bin", "manifest.json" };
	static const char *const ok[] = { "manifest.json", "header.bin" };
	char path[256];
	uint8_t junk[4096];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/junk.cbk", tmpdir);
	write_tar(path, order, 2, "{}");
	assert_int_equal(verify_path(path), CE_INTEGRITY);
	write_tar(path, ok, 2, "not json");
	assert_int_equal(verify_path(path), CE_INTEGRITY);
	assert_non_null(strstr(err_detail(), "manifest.json"));
	write_tar(path, ok, 1, "{\"format\": \"coffer-backup-partition\"}");
	assert_int_equal(verify_path(path), CE_INTEGRITY);
	gen(1, 0, junk, sizeof(junk));
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	assert_int_equal(verify_path(path), CE_INTEGRITY);
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	assert_int_equal(verify_path(path), CE_INTEGRITY);
	unlink(path);
}

/*
 * The example of docs/formats.md section 7, byte for byte. The whole-file
 * hash also pins libarchive's ustar header bytes: should a libarchive
 * upgrade change them, archives written before still verify (the reader
 * never rebuilds headers); update this vector and the document.
 */
static void
test_known_answer(void **state)
{
	static const char header_sha[] =
	    "a861a12e443a05ad4742abee009c90fa299b374dc6414041984ed4f978a67e4a"
	    "e53a946d1309f69e7665885474f36760";
	static const char file_sha[] =
	    "d8c4114f811d114de0de51df68626b7f19ed28d8563ffb8e912d04276e61d0d2"
	    "119441477e77d9403f7bd8ec06dd35cc";
	static const char integrity[] = "coffer-cbk-integrity 1\n"
	    "bytes 00000000000000004096\n"
	    "sha384 b6b103f90b8692279e416780b42fb3db15965220535716df49659125"
	    "2afd1881c08829f71d2860deaa4b0b06c30b638c\n";
	struct cbk_manifest m;
	struct cbk_spool *s;
	uint8_t want[CC_HASH_LEN], got[CC_HASH_LEN], *p;
	char path[256];
	off_t size;
	int fd, sfd = open(tmpdir, O_TMPFILE | O_RDWR, 0600);

	(void)state;
	memset(&m, 0, sizeof(m));
	strcpy(m.label, "payments");
	strcpy(m.serial, "7001234");
	strcpy(m.tool_version, "coffer 0.1.0");
	m.format_version = 1;
	m.partition_version = 1;
	m.object_count = 2;
	m.plain_bytes = 64;
	m.created = 1735787045;
	assert_int_equal(cbk_spool_new(sfd, &s), 0);
	assert_int_equal(cbk_spool_write(s, "RECORDS-STREAM", 14), 0);
	m.records_size = 14;
	assert_int_equal(cc_sha384("RECORDS-STREAM", 14, m.records_sha384), 0);
	snprintf(path, sizeof(path), "%s/kat.cbk", tmpdir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(cbk_write(fd, &m, "SEALED-HEADER", 13, s), 0);
	close(fd);
	cbk_spool_free(s);
	close(sfd);
	/* The manifest's hash of header.bin is sha384("SEALED-HEADER"). */
	unhex(header_sha, want, sizeof(want));
	assert_memory_equal(m.header_sha384, want, CC_HASH_LEN);
	p = slurp(path, &size);
	assert_int_equal(size, 5632);
	assert_memory_equal(p + 4096, integrity, CBK_INTEGRITY_LEN);
	assert_memory_equal(p + 512, "{\n  \"format\": \"coffer-backup-partition\","
	    "\n  \"format_version\": 1,\n", 61);
	assert_int_equal(cc_sha384(p, (size_t)size, got), 0);
	unhex(file_sha, want, sizeof(want));
	assert_memory_equal(got, want, CC_HASH_LEN);
	free(p);
	assert_int_equal(verify_path(path), 0);
	unlink(path);
}

static void
test_header_too_large(void **state)
{
	struct cbk_manifest m;
	struct cbk_spool *s;
	uint8_t *hdr = calloc(1, CBK_HEADER_MAX + 1);
	int fd = open(tmpdir, O_TMPFILE | O_RDWR, 0600);

	(void)state;
	meta_init(&m);
	assert_int_equal(cbk_spool_new(fd, &s), 0);
	assert_int_equal(cbk_write(fd, &m, hdr, CBK_HEADER_MAX + 1, s),
	    CE_TOO_LONG);
	strcpy(m.label, "bad\nlabel");
	assert_int_equal(cbk_write(fd, &m, hdr, 10, s), CE_INVALID);
	cbk_spool_free(s);
	close(fd);
	free(hdr);
}

/*
 * The spool must be the stream the producer described (and bound into its
 * sealed header): a stream changed on its way to the store, by a byte or
 * by its length, is refused (the store drops the partial file).
 */
static void
test_stream_not_the_sealed_one(void **state)
{
	struct cbk_manifest m;
	struct cbk_spool *s;
	struct stat st;
	int sfd = open(tmpdir, O_TMPFILE | O_RDWR, 0600);
	int fd = open(tmpdir, O_TMPFILE | O_RDWR, 0600);

	(void)state;
	meta_init(&m);
	assert_int_equal(cbk_spool_new(sfd, &s), 0);
	assert_int_equal(cbk_spool_write(s, "RECORDS-STREAM", 14), 0);
	assert_int_equal(cc_sha384("RECORDS-STREAM", 14, m.records_sha384), 0);
	m.records_size = 15;
	assert_int_equal(cbk_write(fd, &m, "HDR", 3, s), CE_INTEGRITY);
	assert_non_null(strstr(err_detail(), "its size differs"));
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 0);

	m.records_size = 14;
	m.records_sha384[20] ^= 1;
	assert_int_equal(cbk_write(fd, &m, "HDR", 3, s), CE_INTEGRITY);
	assert_non_null(strstr(err_detail(), "not the one that was sealed"));
	assert_non_null(strstr(err_detail(), "run the backup again"));

	/* the same spool, described truly, makes a valid archive */
	m.records_sha384[20] ^= 1;
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(cbk_write(fd, &m, "HDR", 3, s), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(cbk_verify(fd, NULL), 0);
	cbk_spool_free(s);
	close(fd);
	close(sfd);
}

static int
failing_sink(void *arg, const void *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
	return CE_IO;
}

static void
test_sink_stops(void **state)
{
	struct cbk_reader *rd;
	char path[256];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/stop.cbk", tmpdir);
	make_archive(path, 200000, 10, 17);
	fd = open(path, O_RDONLY);
	assert_int_equal(cbk_reader_open(fd, &rd), 0);
	assert_int_equal(cbk_reader_records(rd, failing_sink, NULL), CE_IO);
	assert_int_equal(cbk_reader_finish(rd), CE_INVALID);
	cbk_reader_free(rd);
	close(fd);
	unlink(path);
}

/* The reader needs no seeking: a pipe works, in one pass. */
static void
test_read_pipe(void **state)
{
	struct cbk_reader *rd;
	struct check c = { .seed = 18 };
	char path[256];
	uint8_t b[8192];
	ssize_t k;
	pid_t pid;
	int pfd[2], fd, st;

	(void)state;
	snprintf(path, sizeof(path), "%s/pipe.cbk", tmpdir);
	make_archive(path, 300000, 10, 18);
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		fd = open(path, O_RDONLY);
		while ((k = read(fd, b, sizeof(b))) > 0)
			if (write(pfd[1], b, (size_t)k) != k)
				_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(cbk_reader_open(pfd[0], &rd), 0);
	assert_int_equal(cbk_reader_records(rd, check_sink, &c), 0);
	assert_int_equal(c.bad, 0);
	assert_true(c.off == 300000);
	assert_int_equal(cbk_reader_finish(rd), 0);
	cbk_reader_free(rd);
	close(pfd[0]);
	waitpid(pid, &st, 0);
	unlink(path);
}

/*
 * The pull form (cbk_reader_records_read, what restore hands the sealed
 * reader): odd-sized reads give the stream byte for byte, 0 at its end,
 * and the end reports a records.bin whose bytes do not match the manifest.
 */
static void
test_pull(void **state)
{
	struct cbk_reader *rd;
	struct check c = { .seed = 19 };
	char path[256];
	uint8_t b[4099];
	size_t want = 1;
	off_t off;
	long k;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/pull.cbk", tmpdir);
	make_archive(path, 250000, 10, 19);
	fd = open(path, O_RDONLY);
	assert_int_equal(cbk_reader_open(fd, &rd), 0);
	while ((k = cbk_reader_records_read(rd, b, want)) > 0) {
		assert_true((size_t)k <= want);
		assert_int_equal(check_sink(&c, b, (size_t)k), 0);
		want = want % sizeof(b) + 13; /* 1, 14, 27, ...: odd sizes */
	}
	assert_int_equal(k, 0);
	assert_int_equal(c.bad, 0);
	assert_true(c.off == 250000);
	assert_int_equal(cbk_reader_records_read(rd, b, 1), 0);
	assert_int_equal(cbk_reader_finish(rd), 0);
	cbk_reader_free(rd);
	close(fd);

	/* One flipped byte in records.bin's data (from offset 3072). */
	fd = open(path, O_RDWR);
	off = 3072 + 100000;
	assert_int_equal(pread(fd, b, 1, off), 1);
	b[0] ^= 0x40;
	assert_int_equal(pwrite(fd, b, 1, off), 1);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(cbk_reader_open(fd, &rd), 0);
	while ((k = cbk_reader_records_read(rd, b, sizeof(b))) > 0)
		;
	assert_int_equal(k, CE_INTEGRITY);
	assert_non_null(strstr(err_detail(), "records.bin"));
	cbk_reader_free(rd);
	close(fd);
	unlink(path);
}

/* A full disk is named as such, never as a full store (issue 11, item 7). */
static void
test_disk_full_named(void **state)
{
	(void)state;
	assert_int_equal(cbk_io_error(ENOSPC, "cannot write the spool"),
	    CE_FULL);
	assert_non_null(strstr(err_detail(), "no space left on the file "
	    "system"));
	assert_null(strstr(err_str(CE_FULL), "capacity"));
	assert_int_equal(cbk_io_error(EIO, "x"), CE_IO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_large),
		cmocka_unit_test(test_tar_lists),
		cmocka_unit_test(test_flip_every_byte),
		cmocka_unit_test(test_flip_large),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_appended),
		cmocka_unit_test(test_newer_version),
		cmocka_unit_test(test_manifest_lies),
		cmocka_unit_test(test_not_a_backup),
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_header_too_large),
		cmocka_unit_test(test_stream_not_the_sealed_one),
		cmocka_unit_test(test_sink_stops),
		cmocka_unit_test(test_read_pipe),
		cmocka_unit_test(test_pull),
		cmocka_unit_test(test_disk_full_named),
	};
	int r;

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return r;
}
