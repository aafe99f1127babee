/*
 * bstore: the local backup store. Names and listing, capacity and space
 * refusals that leave the store as it was, failed writes that leave nothing,
 * killed writers that never list, soft delete, purge, prune, and the last
 * good backup that is never removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "bstore.h"
#include "buf.h"
#include "xfer.h"
#include "secret.h"
#include "kdf.h"
#include "chan.h"
#include "sealed.h"
#include "cbk.h"
#include "crypto.h"
#include "err.h"
#include "hsm.h"

static char base[] = "/tmp/coffer-test-bstore.XXXXXX";
static char uri[320], spath[300];
static const int64_t T0 = 1735787045; /* 2025-01-02T03:04:05Z */

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* A fresh store for each test. */
static int
setup(void **state)
{
	static int n;

	(void)state;
	snprintf(spath, sizeof(spath), "%s/store%d", base, n++);
	snprintf(uri, sizeof(uri), "dir:%s", spath);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	nftw(spath, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static struct bstore *
store_new(unsigned capacity, unsigned grace)
{
	struct bstore_config c = { .capacity = capacity, .grace_days = grace };
	struct bstore *s;

	assert_int_equal(bstore_init(uri, &c), 0);
	assert_int_equal(bstore_open(uri, &s), 0);
	return s;
}

static void
meta(struct cbk_manifest *m, const char *label, int64_t created)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->label, sizeof(m->label), "%s", label);
	strcpy(m->serial, "7001234");
	strcpy(m->tool_version, "coffer 0.1.0");
	m->format_version = 1; /* names without a serial */
	m->partition_version = 0;
	m->created = created;
}

/* A producer's output: into the store, sized and hashed for the manifest. */
struct produced {
	struct bstore_txn *t;
	struct cc_hash *h;
	uint64_t size;
};

static int
txn_out(void *arg, const void *p, size_t n)
{
	struct produced *o = arg;

	o->size += n;
	assert_int_equal(cc_hash_update(o->h, p, n), 0);
	return bstore_txn_write(o->t, p, n);
}

/* One write of a whole (made up) record stream, described in m. */
static int
put(struct bstore_txn *t, struct cbk_manifest *m, const void *p, size_t n)
{
	m->records_size = n;
	assert_int_equal(cc_sha384(p, n, m->records_sha384), 0);
	return bstore_txn_write(t, p, n);
}

/*
 * One backup of a generated stream of about len bytes, sealed for real (a
 * store's verify walks every chunk); returns the commit's result.
 */
static int
backup(struct bstore *s, const char *label, int64_t created, size_t len,
    char name[BSTORE_NAME_MAX])
{
	struct cbk_manifest m;
	struct bstore_txn *t;
	struct sealed_writer *w = NULL;
	struct secret *pw, *key;
	struct buf *hdr = NULL;
	struct chan *c = NULL;
	struct produced o = { 0 };
	uint8_t chunk[4096], k[32];
	size_t off, i, n;
	int r;

	meta(&m, label, created);
	if ((r = bstore_begin(s, &m, len, &t)) != 0)
		return r;
	memset(k, 7, sizeof(k));
	pw = secret_from("backup-password", 15);
	key = secret_from(k, sizeof(k));
	o.t = t;
	assert_int_equal(cc_hash_new(&o.h), 0);
	assert_int_equal(chan_func_new(txn_out, NULL, &o, &c), 0);
	assert_int_equal(sealed_writer_new(pw, KDF_TEST,
	    (const struct xfer_domain[]){ { "d", key } }, 1, c, &w), 0);
	for (off = 0; off < len; off += n) {
		n = len - off < sizeof(chunk) ? len - off : sizeof(chunk);
		/* a hash of the offset: bytes the stream cannot compress, so
		 * the file is about len bytes long */
		for (i = 0; i < n; i++) {
			uint32_t x = (uint32_t)(off + i) * 2654435761u ^
			    (uint32_t)created;

			x ^= x >> 15;
			x *= 2246822519u;
			x ^= x >> 13;
			chunk[i] = (uint8_t)(x >> 24);
		}
		if ((r = sealed_writer_record(w, 1, chunk, n)) != 0)
			goto out;
	}
	if ((r = sealed_writer_finish(w)) != 0 ||
	    (r = sealed_writer_header(w, "ad", 2, &hdr)) != 0)
		goto out;
	m.object_count = len / 100;
	m.records_size = o.size;
	assert_int_equal(cc_hash_peek(o.h, m.records_sha384), 0);
	r = bstore_commit(t, &m, buf_ptr(hdr), buf_len(hdr), name);
 out:
	cc_hash_free(o.h);
	sealed_writer_free(w);
	chan_free(c);
	buf_free(hdr);
	secret_free(key);
	secret_free(pw);
	bstore_txn_free(t);
	return r;
}

/* Every path under the store with its size, sorted: "unchanged" means equal. */
static char snap_buf[65536];
static size_t snap_len;

static int
snap_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)flag;
	(void)f;
	snap_len += (size_t)snprintf(snap_buf + snap_len,
	    sizeof(snap_buf) - snap_len, "%s %lld\n", p + strlen(spath),
	    S_ISDIR(st->st_mode) ? 0LL : (long long)st->st_size);
	return 0;
}

static char *
snapshot(void)
{
	snap_len = 0;
	snap_buf[0] = '\0';
	nftw(spath, snap_cb, 16, FTW_PHYS);
	return strdup(snap_buf);
}

static size_t
count_dir(const char *sub)
{
	char p[400];
	struct stat st;
	size_t n = 0;
	FILE *f;
	char cmd[500], line[400];

	snprintf(p, sizeof(p), "%s/%s", spath, sub);
	if (stat(p, &st) != 0)
		return 0;
	snprintf(cmd, sizeof(cmd), "ls -A '%s'", p);
	f = popen(cmd, "r");
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	pclose(f);
	return n;
}

static void
test_uri(void **state)
{
	char p[64];

	(void)state;
	assert_int_equal(bstore_parse_uri("dir:/var/backups", p, sizeof(p)), 0);
	assert_string_equal(p, "/var/backups");
	assert_int_equal(bstore_parse_uri("dir:rel/x", p, sizeof(p)), 0);
	assert_string_equal(p, "rel/x");
	assert_int_equal(bstore_parse_uri("dir:", p, sizeof(p)), CE_USAGE);
	assert_int_equal(bstore_parse_uri("/var/backups", p, sizeof(p)),
	    CE_USAGE);
	assert_int_equal(bstore_parse_uri("hsm:/x#y", p, sizeof(p)), CE_USAGE);
	assert_int_equal(bstore_parse_uri("rbs://host:4443", p, sizeof(p)),
	    CE_UNSUPPORTED);
	assert_int_equal(bstore_parse_uri("dir:/a/very/long/path/that/does/"
	    "not/fit/in/the/buffer/given", p, 16), CE_TOO_LONG);
}

static void
write_conf(const char *text)
{
	char p[400];
	FILE *f;

	snprintf(p, sizeof(p), "%s/store.conf", spath);
	f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
}

static void
test_init_config(void **state)
{
	struct bstore_config bad = { .capacity = 0, .grace_days = 7 };
	struct bstore *s = store_new(5, 3);
	static const char *const bad_confs[] = {
		"capacity 5\n",                         /* no format line */
		"coffer-store 1\ncapacity 0\n",
		"coffer-store 1\ncapacity 100001\n",
		"coffer-store 1\ncapacity 5x\n",
		"coffer-store 1\ncapacity -5\n",
		"coffer-store 1\ncapacity\n",
		"coffer-store 1\ncapacity 5\ncapacity 6\n",
		"coffer-store 1\ngrace-days 3651\n",
		"coffer-store 1\ncolour blue\n",
		"",
	};
	char other[400];
	size_t i;

	(void)state;
	assert_int_equal(bstore_config(s)->capacity, 5);
	assert_int_equal(bstore_config(s)->grace_days, 3);
	assert_string_equal(bstore_path(s), spath);
	bstore_close(s);
	assert_int_equal(bstore_init(uri, NULL), CE_EXISTS);
	assert_int_equal(bstore_init(uri, &bad), CE_INVALID);

	write_conf("# comment\n\ncoffer-store 1\ngrace-days 0\n");
	assert_int_equal(bstore_open(uri, &s), 0);
	assert_int_equal(bstore_config(s)->capacity, BSTORE_CAPACITY_DEFAULT);
	assert_int_equal(bstore_config(s)->grace_days, 0);
	bstore_close(s);
	for (i = 0; i < sizeof(bad_confs) / sizeof(bad_confs[0]); i++) {
		write_conf(bad_confs[i]);
		if (bstore_open(uri, &s) != CE_FORMAT)
			fail_msg("store.conf case %zu accepted", i);
	}
	write_conf("coffer-store 2\ncapacity 5\n");
	assert_int_equal(bstore_open(uri, &s), CE_VERSION);

	/* A plain directory is not a store; neither is a missing one. */
	snprintf(other, sizeof(other), "dir:%s/plain", spath);
	mkdir(other + 4, 0700);
	assert_int_equal(bstore_open(other, &s), CE_NOT_FOUND);
	assert_non_null(strstr(err_detail(), "not a backup store"));
	snprintf(other, sizeof(other), "dir:%s/missing", spath);
	assert_int_equal(bstore_open(other, &s), CE_NOT_FOUND);
}

static void
test_names(void **state)
{
	char name[BSTORE_NAME_MAX], label[BSTORE_SERIES_MAX];
	char long_label[CBK_LABEL_MAX + 2];
	int64_t t;
	static const char *const bad[] = {
		"_20250102T030405Z.cbk", "a_20250230T030405Z.cbk",
		"a_20250102T030405Z.cbk.part", "a_20250102T030405.cbk",
		"../a_20250102T030405Z.cbk", ".a_20250102T030405Z.cbk",
		"a b_20250102T030405Z.cbk", "a_20250102t030405Z.cbk",
		"a_20250102T030405Z.CBK", "a-20250102T030405Z.cbk", "",
	};
	size_t i;

	(void)state;
	assert_int_equal(bstore_backup_name("payments", NULL, T0, name), 0);
	assert_string_equal(name, "payments_20250102T030405Z.cbk");
	assert_int_equal(bstore_name_parse(name, label, &t), 0);
	assert_string_equal(label, "payments");
	assert_true(t == T0);
	assert_int_equal(bstore_backup_name("my/part ition", NULL, T0, name), 0);
	assert_string_equal(name, "my-part-ition_20250102T030405Z.cbk");
	assert_int_equal(bstore_backup_name(".hidden", NULL, T0, name), 0);
	assert_string_equal(name, "_hidden_20250102T030405Z.cbk");
	/* never a name a tool would take for an option */
	assert_int_equal(bstore_backup_name("-x", NULL, T0, name), 0);
	assert_string_equal(name, "_x_20250102T030405Z.cbk");
	assert_int_equal(bstore_name_parse(name, label, &t), 0);
	assert_string_equal(label, "_x");
	assert_int_equal(bstore_backup_name("a_b", NULL, T0, name), 0);
	assert_int_equal(bstore_name_parse(name, label, &t), 0);
	assert_string_equal(label, "a_b");
	/* Format 2: the partition serial names the series. */
	assert_int_equal(bstore_backup_name("a_b", "123456789012", T0, name),
	    0);
	assert_string_equal(name, "a_b_123456789012_20250102T030405Z.cbk");
	assert_int_equal(bstore_name_parse(name, label, &t), 0);
	assert_string_equal(label, "a_b_123456789012");
	assert_int_equal(bstore_backup_name("p", "12_3/4", T0, name), 0);
	assert_string_equal(name, "p_12-3-4_20250102T030405Z.cbk");
	assert_int_equal(bstore_backup_name("p", "", T0, name), CE_INVALID);
	assert_int_equal(bstore_backup_name("", NULL, T0, name), CE_INVALID);
	memset(long_label, 'x', sizeof(long_label) - 1);
	long_label[sizeof(long_label) - 1] = '\0';
	assert_int_equal(bstore_backup_name(long_label, NULL, T0, name), CE_INVALID);
	long_label[CBK_LABEL_MAX] = '\0';
	assert_int_equal(bstore_backup_name(long_label, NULL, T0, name), 0);
	assert_int_equal(bstore_name_parse(name, NULL, NULL), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (bstore_name_parse(bad[i], NULL, NULL) == 0)
			fail_msg("'%s' accepted as a backup name", bad[i]);
}

static void
test_list_newest_first(void **state)
{
	struct bstore *s = store_new(10, 7);
	struct bstore_entry *v, e;
	char n1[BSTORE_NAME_MAX], n2[BSTORE_NAME_MAX], n3[BSTORE_NAME_MAX];
	size_t n;

	(void)state;
	assert_int_equal(backup(s, "alpha", T0, 1000, n1), 0);
	assert_int_equal(backup(s, "beta", T0 + 60, 2000, n2), 0);
	assert_int_equal(backup(s, "alpha", T0 + 3600, 3000, n3), 0);
	assert_string_equal(n3, "alpha_20250102T040405Z.cbk");
	assert_int_equal(bstore_list(s, NULL, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, n3);
	assert_string_equal(v[1].name, n2);
	assert_string_equal(v[2].name, n1);
	assert_int_equal(v[1].r, 0);
	assert_string_equal(v[1].m.label, "beta");
	/* the sealed stream: its records and their framing */
	assert_true(v[1].m.records_size > 2000 &&
	    v[1].m.records_size < 2000 + 1024);
	assert_true(v[1].m.object_count == 20);
	assert_true(v[1].created == T0 + 60);
	assert_true(v[1].file_size > 2000);
	assert_int_equal(v[1].verified, 0);
	free(v);
	assert_int_equal(bstore_list(s, "alpha", &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, n3);
	free(v);
	assert_int_equal(bstore_show(s, n2, &e), 0);
	assert_string_equal(e.m.serial, "7001234");
	assert_int_equal(bstore_show(s, "gamma_20250102T030405Z.cbk", &e),
	    CE_NOT_FOUND);
	assert_int_equal(bstore_show(s, "../../etc/passwd", &e), CE_INVALID);
	bstore_close(s);
}

static void
touch(const char *rel, const char *text)
{
	char p[400];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", spath, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_list_ignores_temporaries(void **state)
{
	struct bstore *s = store_new(3, 7);
	struct bstore_entry *v;
	char p[400], q[400];
	size_t n;

	(void)state;
	assert_int_equal(backup(s, "alpha", T0, 1000, NULL), 0);
	touch(".tmp/alpha_20250102T050000Z.cbk.123.abcdef.part", "half");
	touch(".tmp/alpha_20250102T050000Z.cbk.123.abcdef.spool", "half");
	touch("alpha_20250102T050000Z.cbk.part", "half");
	touch("notes.txt", "hello");
	touch(".alpha_20250102T050000Z.cbk", "hidden");
	snprintf(p, sizeof(p), "%s/dir_20250102T050000Z.cbk", spath);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/alpha_20250102T030405Z.cbk", spath);
	snprintf(q, sizeof(q), "%s/link_20250102T050000Z.cbk", spath);
	assert_int_equal(symlink(p, q), 0);
	assert_int_equal(bstore_list(s, NULL, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].name, "alpha_20250102T030405Z.cbk");
	free(v);
	assert_int_equal(bstore_count(s, &n), 0);
	assert_int_equal(n, 1);
	/* Temporaries do not count toward the capacity of 3 either. */
	assert_int_equal(backup(s, "alpha", T0 + 1, 10, NULL), 0);
	assert_int_equal(backup(s, "alpha", T0 + 2, 10, NULL), 0);
	assert_int_equal(backup(s, "alpha", T0 + 3, 10, NULL), CE_FULL);

	/* A damaged file with a backup's name is listed, marked damaged. */
	touch("beta_20250102T030405Z.cbk", "garbage");
	assert_int_equal(bstore_list(s, "beta", &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].r, CE_INTEGRITY);
	free(v);
	bstore_close(s);
}

static void
test_capacity_refused_before_work(void **state)
{
	struct bstore *s = store_new(2, 7);
	struct bstore_txn *t = NULL;
	struct cbk_manifest m;
	char *before, *after;

	(void)state;
	assert_int_equal(backup(s, "alpha", T0, 500, NULL), 0);
	assert_int_equal(backup(s, "alpha", T0 + 1, 500, NULL), 0);
	before = snapshot();
	meta(&m, "gamma", T0 + 5);
	assert_int_equal(bstore_begin(s, &m, 100, &t), CE_FULL);
	assert_null(t);
	assert_non_null(strstr(err_detail(), "2 of 2"));
	assert_non_null(strstr(err_detail(), "capacity"));
	after = snapshot();
	assert_string_equal(before, after);
	free(after);
	assert_int_equal(backup(s, "alpha", T0 + 10, 10, NULL), CE_FULL);
	/* Soft-deleting one makes room. */
	assert_int_equal(bstore_trash(s, "alpha_20250102T030405Z.cbk"), 0);
	assert_int_equal(backup(s, "alpha", T0 + 10, 10, NULL), 0);
	free(before);
	bstore_close(s);
}

/* Two writers pass begin; only the capacity's worth commit. */
static void
test_capacity_rechecked_at_commit(void **state)
{
	struct bstore *s = store_new(1, 7);
	struct bstore_txn *a, *b;
	struct cbk_manifest ma, mb;
	size_t n;

	(void)state;
	meta(&ma, "alpha", T0);
	meta(&mb, "beta", T0);
	assert_int_equal(bstore_begin(s, &ma, 0, &a), 0);
	assert_int_equal(bstore_begin(s, &mb, 0, &b), 0);
	assert_int_equal(put(a, &ma, "x", 1), 0);
	assert_int_equal(put(b, &mb, "y", 1), 0);
	assert_int_equal(bstore_commit(a, &ma, "h", 1, NULL), 0);
	assert_int_equal(bstore_commit(b, &mb, "h", 1, NULL), CE_FULL);
	bstore_txn_free(a);
	bstore_txn_free(b);
	assert_int_equal(bstore_count(s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count_dir(".tmp"), 0);
	bstore_close(s);
}

static void
test_space_precheck(void **state)
{
	struct bstore *s = store_new(10, 7);
	struct bstore_txn *t = NULL;
	struct cbk_manifest m;
	char *before, *after;

	(void)state;
	assert_int_equal(backup(s, "alpha", T0, 500, NULL), 0);
	before = snapshot();
	meta(&m, "alpha", T0 + 1);
	assert_int_equal(bstore_begin(s, &m, UINT64_MAX / 4, &t), CE_FULL);
	assert_non_null(strstr(err_detail(), "free space"));
	assert_null(t);
	after = snapshot();
	assert_string_equal(before, after);
	free(before);
	free(after);
	bstore_close(s);
}

/*
 * A real failed write: RLIMIT_FSIZE makes write(2) fail with EFBIG, as a
 * full disk fails with ENOSPC, in the spool or in the archive.
 */
static void
limit_file_size(rlim_t n)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = n;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/*
 * A stream that reached the store changed (one byte differs from what the
 * manifest's hash describes, as after damage on the way to an rbs server):
 * the commit is refused and leaves nothing.
 */
static void
changed_on_the_way(struct bstore *s)
{
	struct bstore_txn *t;
	struct cbk_manifest m;

	meta(&m, "alpha", T0 + 3);
	assert_int_equal(bstore_begin(s, &m, 0, &t), 0);
	assert_int_equal(put(t, &m, "stream", 6), 0);
	assert_int_equal(bstore_txn_write(t, "!", 1), 0);
	m.records_size = 7; /* the size is right, the hash is not */
	assert_int_equal(bstore_commit(t, &m, "h", 1, NULL), CE_INTEGRITY);
	assert_non_null(strstr(err_detail(), "nothing was stored"));
	bstore_txn_free(t);
}

static void
test_failed_write_leaves_store(void **state)
{
	struct bstore *s = store_new(10, 7);
	char *before, *after;
	void (*old)(int);

	(void)state;
	assert_int_equal(backup(s, "alpha", T0, 500, NULL), 0);
	before = snapshot();
	old = signal(SIGXFSZ, SIG_IGN);

	limit_file_size(64 * 1024);             /* fails in the spool */
	assert_int_equal(backup(s, "alpha", T0 + 1, 200 * 1024, NULL), CE_FULL);
	limit_file_size(RLIM_INFINITY);
	after = snapshot();
	assert_string_equal(before, after);
	free(after);

	limit_file_size(100 * 1024);            /* spool fits, archive not */
	assert_int_equal(backup(s, "alpha", T0 + 2, 99 * 1024, NULL), CE_FULL);
	limit_file_size(RLIM_INFINITY);
	after = snapshot();
	assert_string_equal(before, after);
	free(after);

	signal(SIGXFSZ, old);
	changed_on_the_way(s);
	after = snapshot();
	assert_string_equal(before, after);
	free(after);
	assert_int_equal(backup(s, "alpha", T0 + 2, 99 * 1024, NULL), 0);
	free(before);
	bstore_close(s);
}

static void
test_name_taken(void **state)
{
	struct bstore *s = store_new(10, 7);
	struct bstore_txn *t = NULL;
	struct cbk_manifest m, m2;

	(void)state;
	assert_int_equal(backup(s, "alpha", T0, 10, NULL), 0);
	assert_int_equal(backup(s, "alpha", T0, 10, NULL), CE_EXISTS);
	/* Commit must keep begin's label and time. */
	meta(&m, "alpha", T0 + 1);
	assert_int_equal(bstore_begin(s, &m, 0, &t), 0);
	assert_string_equal(bstore_txn_name(t), "alpha_20250102T030406Z.cbk");
	meta(&m2, "beta", T0 + 1);
	assert_int_equal(bstore_commit(t, &m2, "h", 1, NULL), CE_INVALID);
	bstore_txn_free(t);
	assert_int_equal(count_dir(".tmp"), 0);
	/* Bad manifest fields are refused at begin. */
	meta(&m, "bad\001label", T0 + 2);
	assert_int_equal(bstore_begin(s, &m, 0, &t), CE_INVALID);
	bstore_close(s);
}

static void
flip_byte(const char *name, off_t off)
{
	char p[400];
	uint8_t b;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", spath, name);
	fd = open(p, O_RDWR);
	assert_int_equal(pread(fd, &b, 1, off), 1);
	b ^= 0x04;
	assert_int_equal(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

static void
test_verify(void **state)
{
	struct bstore *s = store_new(10, 7);
	struct bstore_entry e;
	char n1[BSTORE_NAME_MAX], p[600], q[600];

	(void)state;
	assert_int_equal(backup(s, "alpha", T0, 20000, n1), 0);
	assert_int_equal(bstore_verify(s, n1, &e), 0);
	assert_int_equal(e.verified, 1);
	assert_int_equal(bstore_show(s, n1, &e), 0);
	assert_int_equal(e.verified, 1);
	flip_byte(n1, 9000);
	assert_int_equal(bstore_verify(s, n1, &e), CE_INTEGRITY);
	assert_int_equal(e.verified, 0);
	assert_int_equal(bstore_show(s, n1, &e), 0);
	assert_int_equal(e.verified, 0);
	flip_byte(n1, 9000);
	assert_int_equal(bstore_verify(s, n1, NULL), 0);
	/* An intact backup under another name is caught too. */
	snprintf(p, sizeof(p), "%s/%s", spath, n1);
	snprintf(q, sizeof(q), "%s/alpha_20250103T030405Z.cbk", spath);
	assert_int_equal(rename(p, q), 0);
	assert_int_equal(bstore_verify(s, "alpha_20250103T030405Z.cbk", &e),
	    CE_INTEGRITY);
	assert_non_null(strstr(err_detail(), "does not match"));
	assert_int_equal(bstore_verify(s, n1, &e), CE_NOT_FOUND);
	/* External deep checks record their verdict the same way. */
	assert_int_equal(rename(q, p), 0);
	assert_int_equal(bstore_mark_verified(s, n1, 0), 0);
	assert_int_equal(bstore_show(s, n1, &e), 0);
	assert_int_equal(e.verified, 0);
	assert_int_equal(bstore_mark_verified(s, n1, 1), 0);
	assert_int_equal(bstore_show(s, n1, &e), 0);
	assert_int_equal(e.verified, 1);
	bstore_close(s);
}

/*
 * Damage a verified mark cannot see (the mark rewritten to fit the damaged
 * file, as if its times had been put back): retention checks the series'
 * newest verified backup again before protecting it, and protects the
 * older good one instead of keeping the damaged one and dropping the rest.
 */
static void
test_retention_rechecks(void **state)
{
	struct bstore *s = store_new(10, 7);
	struct bstore_keep keep = { .last = 1 };
	char (*gone)[BSTORE_NAME_MAX];
	char n1[BSTORE_NAME_MAX], n2[BSTORE_NAME_MAX], n3[BSTORE_NAME_MAX];
	char p[600], mark[600], text[300];
	struct bstore_entry e;
	struct stat st;
	size_t n;
	FILE *f;

	(void)state;
	assert_int_equal(backup(s, "alpha", T0, 20000, n1), 0);
	assert_int_equal(backup(s, "alpha", T0 + 60, 20000, n2), 0);
	assert_int_equal(backup(s, "alpha", T0 + 120, 20000, n3), 0);
	assert_int_equal(bstore_verify(s, n1, NULL), 0);
	assert_int_equal(bstore_verify(s, n2, NULL), 0);
	flip_byte(n2, 9000);
	snprintf(p, sizeof(p), "%s/%s", spath, n2);
	assert_int_equal(stat(p, &st), 0);
	snprintf(text, sizeof(text), "verified 2025-01-02T03:05:05Z deep "
	    "%llu %llu %llu %lld.%09ld\n", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino, (unsigned long long)st.st_size,
	    (long long)st.st_ctim.tv_sec, (long)st.st_ctim.tv_nsec);
	snprintf(mark, sizeof(mark), "%s/.verified/%s", spath, n2);
	assert_non_null(f = fopen(mark, "w"));
	fputs(text, f);
	fclose(f);
	assert_int_equal(bstore_show(s, n2, &e), 0);
	assert_int_equal(e.verified, 1); /* the mark alone cannot tell */
	/* keep last 1 keeps n3; the last good one is n1, not damaged n2. */
	assert_int_equal(bstore_prune(s, &keep, 0, &gone, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(gone[0], n2);
	free(gone);
	assert_int_equal(bstore_show(s, n1, &e), 0);
	assert_int_equal(e.verified, 1);
	/* The damaged one lost its mark on the way (it is in the trash). */
	assert_int_equal(access(mark, F_OK), -1);
	/* A named series: another series is never touched. */
	assert_int_equal(backup(s, "beta", T0, 20000, n2), 0);
	assert_int_equal(backup(s, "beta", T0 + 60, 20000, n2), 0);
	snprintf(keep.series, sizeof(keep.series), "alpha");
	assert_int_equal(bstore_prune(s, &keep, 0, &gone, &n), 0);
	assert_int_equal(n, 0); /* alpha: n3 kept by rule, n1 protected */
	free(gone);
	bstore_close(s);
}

/* The read side restore uses: open by name, stream, finish. */
static int
count_sink(void *arg, const void *p, size_t n)
{
	(void)p;
	*(size_t *)arg += n;
	return 0;
}

static void
test_read_back(void **state)
{
	struct bstore *s = store_new(10, 7);
	struct cbk_reader *rd;
	char n1[BSTORE_NAME_MAX];
	const uint8_t *h;
	size_t hl, got = 0;
	int fd, src;
	uint8_t b[3000];
	struct cbk_manifest m;
	struct bstore_txn *t;

	(void)state;
	/* The stream may also come from a file descriptor. */
	src = open(base, O_TMPFILE | O_RDWR, 0600);
	memset(b, 0x5a, sizeof(b));
	assert_int_equal(write(src, b, sizeof(b)), (ssize_t)sizeof(b));
	lseek(src, 0, SEEK_SET);
	meta(&m, "alpha", T0);
	assert_int_equal(bstore_begin(s, &m, 0, &t), 0);
	assert_int_equal(bstore_txn_write_fd(t, src), 0);
	assert_int_equal(bstore_txn_sink(t, b, 10), 0);
	/* the stream is 3010 bytes of 0x5a */
	{
		struct cc_hash *sh;

		assert_int_equal(cc_hash_new(&sh), 0);
		assert_int_equal(cc_hash_update(sh, b, sizeof(b)), 0);
		assert_int_equal(cc_hash_update(sh, b, 10), 0);
		assert_int_equal(cc_hash_peek(sh, m.records_sha384), 0);
		cc_hash_free(sh);
		m.records_size = sizeof(b) + 10;
	}
	assert_int_equal(bstore_commit(t, &m, "HDR", 3, n1), 0);
	bstore_txn_free(t);
	close(src);

	assert_int_equal(bstore_open_backup(s, n1, &fd), 0);
	assert_int_equal(cbk_reader_open(fd, &rd), 0);
	cbk_reader_header(rd, &h, &hl);
	assert_int_equal(hl, 3);
	assert_memory_equal(h, "HDR", 3);
	assert_int_equal(cbk_reader_records(rd, count_sink, &got), 0);
	assert_int_equal(got, sizeof(b) + 10);
	assert_int_equal(cbk_reader_finish(rd), 0);
	cbk_reader_free(rd);
	close(fd);
	bstore_close(s);
}

static void
test_trash_purge(void **state)
{
	struct bstore *s = store_new(10, 7);
	struct bstore_trashed *tv;
	struct bstore_entry *v;
	char n1[BSTORE_NAME_MAX], n2[BSTORE_NAME_MAX], n3[BSTORE_NAME_MAX];
	size_t n, purged;
	int64_t now = (int64_t)time(NULL);

	(void)state;
	assert_int_equal(backup(s, "alpha", T0, 100, n1), 0);
	assert_int_equal(backup(s, "alpha", T0 + 10, 100, n2), 0);
	assert_int_equal(backup(s, "alpha", T0 + 20, 100, n3), 0);
	/* None verified: the newest stays. */
	assert_int_equal(bstore_trash(s, n3), CE_POLICY);
	assert_non_null(strstr(err_detail(), "never removes"));
	assert_int_equal(bstore_trash(s, n1), 0);
	assert_int_equal(bstore_trash(s, n1), CE_NOT_FOUND);
	assert_int_equal(bstore_list(s, NULL, &v, &n), 0);
	assert_int_equal(n, 2);
	free(v);
	assert_int_equal(bstore_trash_list(s, &tv, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(tv[0].name, n1);
	assert_true(tv[0].deleted >= now - 5);
	assert_true(tv[0].purge_after == tv[0].deleted + 7 * 86400);
	assert_true(tv[0].file_size > 100);
	free(tv);
	/* Undo within the grace period. */
	assert_int_equal(bstore_untrash(s, n1), 0);
	assert_int_equal(bstore_untrash(s, n1), CE_NOT_FOUND);
	assert_int_equal(bstore_verify(s, n1, NULL), 0);
	assert_int_equal(bstore_trash(s, n2), 0);
	assert_int_equal(bstore_purge(s, now, &purged), 0);
	assert_int_equal(purged, 0);
	assert_int_equal(bstore_purge(s, now + 6 * 86400, &purged), 0);
	assert_int_equal(purged, 0);
	assert_int_equal(bstore_purge(s, now + 8 * 86400, &purged), 0);
	assert_int_equal(purged, 1);
	assert_int_equal(bstore_trash_list(s, &tv, &n), 0);
	assert_int_equal(n, 0);
	free(tv);
	assert_int_equal(bstore_untrash(s, n2), CE_NOT_FOUND);
	assert_int_equal(bstore_count(s, &n), 0);
	assert_int_equal(n, 2);
	bstore_close(s);
}

static void
test_never_last_verified(void **state)
{
	struct bstore *s = store_new(10, 0);
	char n1[BSTORE_NAME_MAX], n2[BSTORE_NAME_MAX], n3[BSTORE_NAME_MAX];
	char b1[BSTORE_NAME_MAX];
	size_t purged;

	(void)state;
	assert_int_equal(backup(s, "alpha", T0, 100, n1), 0);
	assert_int_equal(backup(s, "alpha", T0 + 10, 100, n2), 0);
	assert_int_equal(backup(s, "alpha", T0 + 20, 100, n3), 0);
	assert_int_equal(backup(s, "beta", T0 + 30, 100, b1), 0);
	assert_int_equal(bstore_verify(s, n1, NULL), 0);
	/* The oldest is the only verified one: it stays, newer ones may go. */
	assert_int_equal(bstore_trash(s, n1), CE_POLICY);
	assert_non_null(strstr(err_detail(), "newest verified"));
	assert_int_equal(bstore_trash(s, n3), 0);
	assert_int_equal(bstore_trash(s, n2), 0);
	assert_int_equal(bstore_trash(s, n1), CE_POLICY);
	/* Another label's last backup is its own. */
	assert_int_equal(bstore_trash(s, b1), CE_POLICY);
	/* Grace 0: purged at once, and the protected one is still there. */
	assert_int_equal(bstore_purge(s, (int64_t)time(NULL), &purged), 0);
	assert_int_equal(purged, 2);
	assert_int_equal(bstore_verify(s, n1, NULL), 0);
	bstore_close(s);
}

static int
listed(struct bstore *s, const char *name)
{
	struct bstore_entry e;

	return bstore_show(s, name, &e) == 0;
}

static void
test_prune(void **state)
{
	struct bstore *s = store_new(100, 7);
	struct bstore_keep keep = { .last = 2, .daily = 4 };
	struct bstore_keep none = { 0 };
	char (*gone)[BSTORE_NAME_MAX], name[BSTORE_NAME_MAX];
	size_t n, count;
	int d;

	(void)state;
	/* Ten days, two backups a day (03:04:05 and 15:04:05). */
	for (d = 0; d < 10; d++) {
		assert_int_equal(backup(s, "alpha", T0 + d * 86400, 10, NULL), 0);
		assert_int_equal(backup(s, "alpha", T0 + d * 86400 + 43200, 10,
		    NULL), 0);
	}
	assert_int_equal(backup(s, "beta", T0, 10, NULL), 0);
	assert_int_equal(bstore_verify(s, "alpha_20250102T030405Z.cbk", NULL), 0);
	assert_int_equal(bstore_prune(s, &none, 1, &gone, &n), CE_INVALID);

	assert_int_equal(bstore_prune(s, &keep, 1, &gone, &n), 0);
	/*
	 * Kept: the last 2 (day 9 both), the newest of days 9, 8, 7, 6, and
	 * the oldest, verified one: 6 of 20 alpha; beta's only one stays.
	 */
	assert_int_equal(n, 14);
	free(gone);
	assert_int_equal(bstore_count(s, &count), 0);
	assert_int_equal(count, 21);       /* dry run: nothing moved */

	assert_int_equal(bstore_prune(s, &keep, 0, &gone, &n), 0);
	assert_int_equal(n, 14);
	free(gone);
	assert_int_equal(bstore_count(s, &count), 0);
	assert_int_equal(count, 7);
	bstore_backup_name("alpha", NULL, T0 + 9 * 86400 + 43200, name);
	assert_true(listed(s, name));
	bstore_backup_name("alpha", NULL, T0 + 9 * 86400, name);
	assert_true(listed(s, name));
	bstore_backup_name("alpha", NULL, T0 + 6 * 86400 + 43200, name);
	assert_true(listed(s, name));
	bstore_backup_name("alpha", NULL, T0 + 6 * 86400, name);
	assert_false(listed(s, name));
	assert_true(listed(s, "alpha_20250102T030405Z.cbk"));
	assert_true(listed(s, "beta_20250102T030405Z.cbk"));
	/* Pruning again with the same policy removes nothing more. */
	assert_int_equal(bstore_prune(s, &keep, 0, &gone, &n), 0);
	assert_int_equal(n, 0);
	free(gone);
	bstore_close(s);
}

/* A writer killed with SIGKILL after it spooled part of a stream. */
static void
killed_writer(int64_t created, int in_commit)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct bstore *s;
		struct bstore_txn *t;
		struct cbk_manifest m;

		if (bstore_open(uri, &s) != 0)
			_exit(1);
		meta(&m, "alpha", created);
		if (bstore_begin(s, &m, 0, &t) != 0 ||
		    bstore_txn_write(t, "partial", 7) != 0)
			_exit(1);
		if (in_commit) {
			/* Leave a half-written archive too, as if mid-commit. */
			int fd = openat(open(spath, O_RDONLY), ".tmp", O_RDONLY);
			int pf = openat(fd, "alpha_x.1.000000000000.part",
			    O_CREAT | O_WRONLY, 0600);

			if (pf < 0 || write(pf, "ustar", 5) != 5)
				_exit(1);
		}
		raise(SIGKILL);
		_exit(1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

static void
test_killed_writer_and_gc(void **state)
{
	struct bstore *s = store_new(2, 7);
	struct bstore_txn *live = NULL;
	struct cbk_manifest m;
	size_t n, removed;

	(void)state;
	assert_int_equal(backup(s, "alpha", T0, 100, NULL), 0);
	killed_writer(T0 + 1, 0);
	killed_writer(T0 + 2, 1);
	assert_int_equal(count_dir(".tmp"), 3);
	assert_int_equal(bstore_count(s, &n), 0);
	assert_int_equal(n, 1);
	/* A writer in progress in this process keeps its spool locked. */
	meta(&m, "beta", T0 + 3);
	assert_int_equal(bstore_begin(s, &m, 0, &live), 0);
	assert_int_equal(put(live, &m, "x", 1), 0);
	assert_int_equal(bstore_gc(s, &removed), 0);
	assert_int_equal(removed, 3);
	assert_int_equal(count_dir(".tmp"), 1);
	assert_int_equal(bstore_commit(live, &m, "h", 1, NULL), 0);
	bstore_txn_free(live);
	assert_int_equal(count_dir(".tmp"), 0);
	assert_int_equal(bstore_count(s, &n), 0);
	assert_int_equal(n, 2);
	bstore_close(s);
}

/*
 * Writers killed at arbitrary moments (any phase: spool, archive, rename):
 * whatever lists afterwards verifies, and gc leaves no temporary.
 */
static void
test_killed_at_random(void **state)
{
	struct bstore *s = store_new(1000, 7);
	struct bstore_entry *v;
	size_t n, i, removed;
	int round, pfd[2], st;
	char c;
	pid_t pid;

	(void)state;
	srand((unsigned)getpid());
	for (round = 0; round < 6; round++) {
		assert_int_equal(pipe(pfd), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct bstore *cs;
			int k;

			close(pfd[0]);
			if (bstore_open(uri, &cs) != 0 || write(pfd[1], "s", 1) != 1)
				_exit(1);
			for (k = 0;; k++)
				(void)backup(cs, "alpha", T0 + round * 100000 + k,
				    150000, NULL);
		}
		close(pfd[1]);
		assert_int_equal(read(pfd[0], &c, 1), 1);
		close(pfd[0]);
		usleep((useconds_t)(rand() % 40000));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &st, 0), pid);
	}
	assert_int_equal(bstore_list(s, NULL, &v, &n), 0);
	print_message("killed writers left %zu complete backups\n", n);
	for (i = 0; i < n; i++) {
		assert_int_equal(v[i].r, 0);
		assert_int_equal(bstore_verify(s, v[i].name, NULL), 0);
	}
	free(v);
	assert_int_equal(bstore_gc(s, &removed), 0);
	assert_int_equal(count_dir(".tmp"), 0);
	bstore_close(s);
}

/*
 * The hsm: backend, a Backup HSM: refused on an ordinary HSM and by a
 * partition URI; the capacity set at its init; removals only with its SO
 * handed over; every backup partition in its audit chain.
 */
static void
test_backup_hsm(void **state)
{
	struct bstore_config c = { .capacity = 2, .grace_days = 0 };
	struct hsm_init_params p;
	struct secret *so = secret_from("so-secret-1", 11);
	struct secret *bad = secret_from("not-the-so", 10);
	char (*names)[BSTORE_NAME_MAX] = NULL;
	struct bstore_keep keep = { 1, 0, 0, 0, "" };
	char huri[320], other[320], n1[BSTORE_NAME_MAX], n2[BSTORE_NAME_MAX];
	struct bstore *s = NULL, *d = NULL;
	struct hsm *h = NULL;
	size_t n;

	(void)state;
	hsm_init_params_default(&p);
	p.label = "bhsm";
	p.kdf = KDF_TEST;
	/* An ordinary HSM is no Backup HSM. */
	snprintf(other, sizeof(other), "hsm:%s.plain", spath);
	assert_int_equal(hsm_init(other + 4, &p, so), 0);
	assert_int_equal(bstore_init(other, &c), CE_UNSUPPORTED);
	assert_int_equal(bstore_open(other, &s), CE_UNSUPPORTED);
	nftw(other + 4, rm_cb, 16, FTW_DEPTH | FTW_PHYS);

	p.backup = 1;
	assert_int_equal(hsm_init(spath, &p, so), 0);
	snprintf(huri, sizeof(huri), "hsm:%s", spath);
	assert_int_equal(bstore_open(huri, &s), CE_NOT_FOUND); /* no area yet */
	assert_int_equal(bstore_init(huri, &c), 0);
	assert_int_equal(bstore_init(huri, &c), CE_EXISTS);
	snprintf(other, sizeof(other), "hsm:%s#p1", spath);
	assert_int_equal(bstore_open(other, &s), CE_USAGE);
	assert_int_equal(bstore_open(huri, &s), 0);
	assert_string_equal(bstore_officer_dir(s), spath);
	assert_int_equal(bstore_config(s)->capacity, 2);

	assert_int_equal(backup(s, "pay", T0, 5000, n1), 0);
	assert_int_equal(backup(s, "pay", T0 + 60, 5000, n2), 0);
	assert_int_equal(bstore_room(s), CE_FULL);
	assert_int_equal(backup(s, "pay", T0 + 120, 5000, NULL), CE_FULL);

	/* Removals need the SO; a dry run and an undelete do not. */
	assert_int_equal(bstore_trash(s, n1), CE_NOT_LOGGED_IN);
	assert_int_equal(bstore_purge(s, T0, &n), CE_NOT_LOGGED_IN);
	assert_int_equal(bstore_prune(s, &keep, 0, &names, &n),
	    CE_NOT_LOGGED_IN);
	assert_int_equal(bstore_prune(s, &keep, 1, &names, &n), 0);
	assert_int_equal(n, 1);
	free(names);
	assert_int_equal(hsm_open(spath, &h), 0);
	assert_int_equal(bstore_set_officer(s, h), CE_NOT_LOGGED_IN);
	assert_int_equal(hsm_so_login(h, bad), CE_BAD_CREDENTIAL);
	assert_int_equal(hsm_so_login(h, so), 0);
	assert_int_equal(bstore_set_officer(s, h), 0); /* s owns h now */
	assert_int_equal(bstore_trash(s, n1), 0);
	assert_int_equal(bstore_count(s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(bstore_room(s), 0);
	assert_int_equal(bstore_untrash(s, n1), 0);
	assert_int_equal(bstore_trash(s, n1), 0);
	assert_int_equal(bstore_purge(s, T0 + 86400, &n), 0);
	bstore_close(s);

	/* A dir: store asks for no officer. */
	snprintf(other, sizeof(other), "dir:%s.dir", spath);
	assert_int_equal(bstore_init(other, NULL), 0);
	assert_int_equal(bstore_open(other, &d), 0);
	assert_null(bstore_officer_dir(d));
	bstore_close(d);
	nftw(other + 4, rm_cb, 16, FTW_DEPTH | FTW_PHYS);

	/* The Backup HSM's chain holds every step. */
	assert_int_equal(hsm_open(spath, &h), 0);
	assert_int_equal(hsm_audit_verify(h, NULL), 0);
	hsm_close(h);
	secret_free(so);
	secret_free(bad);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_uri),
		T(test_init_config),
		T(test_names),
		T(test_list_newest_first),
		T(test_list_ignores_temporaries),
		T(test_capacity_refused_before_work),
		T(test_capacity_rechecked_at_commit),
		T(test_space_precheck),
		T(test_failed_write_leaves_store),
		T(test_name_taken),
		T(test_verify),
		T(test_retention_rechecks),
		T(test_read_back),
		T(test_trash_purge),
		T(test_never_last_verified),
		T(test_prune),
		T(test_killed_writer_and_gc),
		T(test_killed_at_random),
		T(test_backup_hsm),
	};
	int r;

	if (mkdtemp(base) == NULL)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	nftw(base, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return r;
}
