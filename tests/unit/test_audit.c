/* audit: append in transactions, verify, and each kind of tampering. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"
#include "hsmfix.h"
#include "audit.h"
#include "crypto.h"
#include "store.h"

static char *
slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*lenp = (size_t)n;
	return p;
}

static void
spit(const char *path, const char *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* Returns the offset of line i (0-based) in p. */
static size_t
line_at(const char *p, int i)
{
	size_t off = 0;

	while (i-- > 0)
		off = (size_t)(strchr(p + off, '\n') - p) + 1;
	return off;
}

static void
append_events(struct hsm *h, int n)
{
	struct audit_event ev;
	char d[32];
	int i;

	for (i = 0; i < n; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.event = "backup";
		ev.ok = i % 2;
		ev.partition = "p\"1\\";
		ev.serial = 123;
		snprintf(d, sizeof(d), "event %d\ttab", i);
		ev.detail = d;
		ev.count = i;
		assert_int_equal(hsm_audit(h, &ev), 0);
	}
}

static void
test_parse_roundtrip(void **state)
{
	struct hsmfix f;
	struct audit_rec rec;
	char *log, path[128];
	size_t n, off;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	append_events(f.h, 2);
	snprintf(path, sizeof(path), "%s/audit.log", f.dir);
	log = slurp(path, &n);
	/* the last line is ours */
	off = n - 1;
	while (off > 0 && log[off - 1] != '\n')
		off--;
	assert_int_equal(audit_parse(log + off, n - off - 1, &rec), 0);
	assert_string_equal(rec.event, "backup");
	assert_string_equal(rec.result, "ok");
	assert_string_equal(rec.partition, "p\"1\\");
	assert_string_equal(rec.detail, "event 1\ttab");
	assert_int_equal(rec.serial, 123);
	assert_int_equal(rec.count, 1);
	assert_int_equal(audit_parse("{\"seq\":1,", 9, &rec), CE_FORMAT);
	assert_int_equal(audit_parse("not json", 8, &rec), CE_FORMAT);
	free(log);
	fx_teardown(&f);
}

static void
tamper_case(struct hsmfix *f, const char *orig, size_t n, int kind)
{
	struct audit_report rep;
	char path[128], *p = malloc(2 * n);
	size_t a, b, c, m = n;

	snprintf(path, sizeof(path), "%s/audit.log", f->dir);
	memcpy(p, orig, n);
	switch (kind) {
	case 0: /* edit one character inside record 3 */
		a = line_at(p, 2);
		p[a + 12] = p[a + 12] == '1' ? '2' : '1';
		break;
	case 1: /* delete record 3 */
		a = line_at(p, 2);
		b = line_at(p, 3);
		memmove(p + a, p + b, n - b);
		m = n - (b - a);
		break;
	case 2: /* swap records 3 and 4 */
		a = line_at(p, 2);
		b = line_at(p, 3);
		c = line_at(p, 4);
		memcpy(p + a, orig + b, c - b);
		memcpy(p + a + (c - b), orig + a, b - a);
		break;
	case 3: /* drop the last record */
		for (m = n - 1; m > 0 && p[m - 1] != '\n'; m--)
			;
		break;
	case 4: /* append a copy of the last record */
		for (a = n - 1; a > 0 && p[a - 1] != '\n'; a--)
			;
		memcpy(p + n, orig + a, n - a);
		m = n + (n - a);
		break;
	}
	spit(path, p, m);
	assert_int_equal(audit_verify(hsm_store(f->h), path, &rep), CE_INTEGRITY);
	assert_true(rep.bad_line > 0);
	spit(path, orig, n);
	free(p);
}

static void
test_verify_and_tamper(void **state)
{
	struct hsmfix f;
	struct audit_report rep;
	char path[128], *orig;
	size_t n;
	int k;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	append_events(f.h, 6);
	snprintf(path, sizeof(path), "%s/audit.log", f.dir);
	assert_int_equal(hsm_audit_verify(f.h, &rep), 0);
	assert_int_equal(rep.records, rep.head_seq);
	assert_true(rep.records > 10);
	orig = slurp(path, &n);
	for (k = 0; k < 5; k++)
		tamper_case(&f, orig, n, k);
	assert_int_equal(hsm_audit_verify(f.h, &rep), 0);
	free(orig);
	fx_teardown(&f);
}

static void
test_rollback_truncates(void **state)
{
	struct hsmfix f;
	struct audit_event ev;
	char path[128], *a, *b;
	size_t na, nb;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	snprintf(path, sizeof(path), "%s/audit.log", f.dir);
	a = slurp(path, &na);
	assert_int_equal(hsm_tx_begin(f.h), 0);
	memset(&ev, 0, sizeof(ev));
	ev.event = "clone";
	ev.ok = 1;
	ev.count = -1;
	assert_int_equal(hsm_audit(f.h, &ev), 0);
	hsm_tx_rollback(f.h);
	b = slurp(path, &nb);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	/* a line past the head that is no interrupted command's own record
	 * (it does not chain): never dropped, every write refused */
	spit(path, a, na);
	{
		FILE *fp = fopen(path, "ab");

		fputs("{\"seq\":999,\"garbage\":1}\n", fp);
		fclose(fp);
	}
	b = (free(b), slurp(path, &nb));
	assert_int_equal(hsm_audit(f.h, &ev), CE_INTEGRITY);
	assert_non_null(strstr(err_detail(), "hsm audit quarantine"));
	{
		size_t nc;
		char *c = slurp(path, &nc);

		assert_int_equal(nc, nb);
		assert_memory_equal(c, b, nb);
		free(c);
	}
	free(a);
	free(b);
	fx_teardown(&f);
}

/* In f's HSM, a process whose one transaction appends evs[0..n) is
 * killed after the lines are durable and before hsm.db commits. */
static void
crash_in(struct hsmfix *f, const struct audit_event *evs, size_t n)
{
	pid_t pid;
	size_t i;
	int status;

	if ((pid = fork()) == 0) {
		struct hsm *h;

		if (hsm_open(f->dir, &h) != 0 || hsm_tx_begin(h) != 0)
			_exit(1);
		for (i = 0; i < n; i++)
			if (hsm_audit(h, &evs[i]) != 0)
				_exit(1);
		setenv("COFFER_TEST_CRASH_AT", "before-commit", 1);
		(void)hsm_tx_commit(h);
		_exit(2);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 137);
}

/* crash_in on a fresh HSM; *t is what audit_tail makes of it. */
static void
crash_after(const struct audit_event *evs, size_t n, struct audit_tail *t)
{
	struct hsmfix f;

	assert_int_equal(fx_setup(&f), 0);
	crash_in(&f, evs, n);
	assert_int_equal(audit_tail(hsm_store(f.h), hsm_audit_path(f.h), t), 0);
	fx_teardown(&f);
}

/*
 * A command that dies after its audit line is durable and before hsm.db
 * commits: verify reports the tail (not tampering), the next write drops
 * it and records the drop, and the chain verifies clean.
 */
static void
test_crash_tail_recovered(void **state)
{
	struct hsmfix f;
	struct audit_event ev;
	struct audit_report rep;
	struct audit_tail t;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	memset(&ev, 0, sizeof(ev));
	ev.event = "clone";
	ev.ok = 1;
	ev.count = -1;
	crash_in(&f, &ev, 1);
	assert_int_equal(audit_tail(hsm_store(f.h), hsm_audit_path(f.h), &t),
	    0);
	assert_int_equal(t.kind, AUDIT_TAIL_CRASH);
	assert_string_equal(t.event, "clone");
	assert_int_equal(hsm_audit_verify(f.h, &rep), 0);
	assert_true(rep.crash_tail);
	assert_int_equal(rep.tail_seq, t.seq);
	ev.event = "login";
	assert_int_equal(hsm_audit(f.h, &ev), 0);
	assert_int_equal(hsm_audit_verify(f.h, &rep), 0);
	assert_false(rep.crash_tail);
	assert_int_equal(audit_tail(hsm_store(f.h), hsm_audit_path(f.h), &t),
	    0);
	assert_int_equal(t.kind, AUDIT_TAIL_NONE);
	fx_teardown(&f);
}

/*
 * Two records from one killed transaction are a crash only when they are
 * a target's login and its operation: a good login first, then a record
 * of the same role, partition and serial. Any other pair is foreign.
 */
static void
test_crash_tail_login_and_operation(void **state)
{
	struct audit_event ev[2];
	struct audit_tail t;
	size_t i;

	(void)state;
	memset(ev, 0, sizeof(ev));
	for (i = 0; i < 2; i++) {
		ev[i].ok = 1;
		ev[i].count = -1;
		ev[i].role = "co";
		ev[i].partition = "p1";
		ev[i].serial = 123456789012;
	}
	ev[0].event = "login";
	ev[1].event = "restore";
	crash_after(ev, 2, &t);
	assert_int_equal(t.kind, AUDIT_TAIL_CRASH);
	assert_int_equal(t.records, 2);
	assert_string_equal(t.event, "login, restore");

	ev[1].partition = "p2"; /* another partition's record */
	crash_after(ev, 2, &t);
	assert_int_equal(t.kind, AUDIT_TAIL_FOREIGN);
	ev[1].partition = "p1";
	ev[1].role = "po"; /* another role's */
	crash_after(ev, 2, &t);
	assert_int_equal(t.kind, AUDIT_TAIL_FOREIGN);
	ev[1].role = "co";
	ev[0].ok = 0; /* a failed login commits on its own */
	crash_after(ev, 2, &t);
	assert_int_equal(t.kind, AUDIT_TAIL_FOREIGN);
	ev[0].ok = 1;
	ev[0].event = "restore"; /* no login first */
	ev[1].event = "login";
	crash_after(ev, 2, &t);
	assert_int_equal(t.kind, AUDIT_TAIL_FOREIGN);
}

static void
test_outside_transaction_refused(void **state)
{
	struct hsmfix f;
	struct audit_event ev;
	char path[128];

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	snprintf(path, sizeof(path), "%s/audit.log", f.dir);
	memset(&ev, 0, sizeof(ev));
	ev.event = "x";
	assert_int_equal(audit_append(hsm_store(f.h), path, &ev), CE_INVALID);
	fx_teardown(&f);
}


/* Vectors computed apart from this code (Python hmac and hashlib). */
static void
test_ratchet_vectors(void **state)
{
	uint8_t k[AUDIT_KEY_LEN], want[CC_HASH_LEN], mac[CC_HASH_LEN];
	uint8_t in[CC_HASH_LEN + 128], d[CC_HASH_LEN];
	const char body[] = "{\"seq\":1,\"time\":\"2026-01-01T00:00:00Z\","
	    "\"event\":\"init\",\"result\":\"ok\",\"role\":\"so\","
	    "\"detail\":\"initialized\"";
	char line[256], hx[2 * CC_HASH_LEN + 1];
	size_t i, n = sizeof(body) - 1;

	(void)state;
	for (i = 0; i < sizeof(k); i++)
		k[i] = (uint8_t)i;
	/* record 1 under key_1 = 00 01 .. 2f, chained from 48 zero bytes */
	memset(in, 0, CC_HASH_LEN);
	memcpy(in + CC_HASH_LEN, body, n);
	assert_int_equal(cc_hmac_sha384(k, sizeof(k), in, CC_HASH_LEN + n, mac),
	    0);
	unhex("25a42f6d70a40cc02462ff88692059887dfd359e7730398b107e1ddc90e003"
	    "39ba1dede0098e9b2caac39b8209b00906", want, sizeof(want));
	assert_memory_equal(mac, want, CC_HASH_LEN);
	/* the digest of the whole line */
	for (i = 0; i < CC_HASH_LEN; i++)
		snprintf(hx + 2 * i, 3, "%02x", mac[i]);
	snprintf(line, sizeof(line), "%s,\"mac\":\"%s\"}", body, hx);
	memset(d, 0, sizeof(d));
	assert_int_equal(audit_digest_step(d, line, strlen(line)), 0);
	unhex("cffc14f47c6c76b6f5335e8feda2e6189a96c4589c307b3fb70c26be133551"
	    "15bc6dc65161868139f08bcc5d031a8057", want, sizeof(want));
	assert_memory_equal(d, want, CC_HASH_LEN);
	/* key_2, key_3 */
	assert_int_equal(audit_ratchet(k, k), 0);
	unhex("eaa806f8f4fe03453ffd56672fa676616a9bf77045d41d5248b2418363459b"
	    "d8bd81094f000859bdbdc97f8809a4a0e7", want, sizeof(want));
	assert_memory_equal(k, want, AUDIT_KEY_LEN);
	assert_int_equal(audit_ratchet(k, k), 0);
	unhex("aae2edaedf16087b58cff41c1f6ca1dcf382c57dd5b5b3ddb6e9ae166c144d"
	    "8745433dadc06eaf8592035a5bfcc90c30", want, sizeof(want));
	assert_memory_equal(k, want, AUDIT_KEY_LEN);
}

/* The current key (the next record's) as hsm.db holds it. */
static void
stored_key(struct hsm *h, uint8_t k[AUDIT_KEY_LEN])
{
	sqlite3_stmt *q;

	assert_int_equal(sqlite3_prepare_v2(store_db(hsm_store(h)),
	    "SELECT audit_key FROM hsm WHERE id = 1", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(q, 0), AUDIT_KEY_LEN);
	memcpy(k, sqlite3_column_blob(q, 0), AUDIT_KEY_LEN);
	sqlite3_finalize(q);
}

/* 1 when the file at path holds the n bytes of p anywhere. */
static int
file_holds(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t len, i;
	int found = 0;

	if (f == NULL)
		return 0;
	fclose(f);
	buf = slurp(path, &len);
	for (i = 0; i + n <= len && !found; i++)
		found = memcmp(buf + i, p, n) == 0;
	free(buf);
	return found;
}

/*
 * After records are written, hsm.db keeps only the next record's key: the
 * keys that MACed them are in none of hsm.db, its WAL or its shm, and the
 * stored key is the start of the ratchet, not a way back.
 */
static void
test_ratchet_erases_old_keys(void **state)
{
	static const char *const files[] = { "hsm.db", "hsm.db-wal",
	    "hsm.db-shm" };
	struct hsmfix f;
	uint8_t k[4][AUDIT_KEY_LEN], now[AUDIT_KEY_LEN];
	char path[128];
	size_t i, j;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	stored_key(f.h, k[0]);
	for (i = 1; i < 4; i++)
		assert_int_equal(audit_ratchet(k[i - 1], k[i]), 0);
	append_events(f.h, 3);
	stored_key(f.h, now);
	assert_memory_equal(now, k[3], AUDIT_KEY_LEN);
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			snprintf(path, sizeof(path), "%s/%s", f.dir, files[j]);
			assert_false(file_holds(path, k[i], AUDIT_KEY_LEN));
		}
	fx_teardown(&f);
}

/*
 * An SO login starts a new epoch: the key a reader of hsm.db had before it
 * ratchets to none of the keys after it.
 */
static void
test_so_login_starts_epoch(void **state)
{
	struct hsmfix f;
	struct audit_report rep;
	uint8_t k[AUDIT_KEY_LEN], now[AUDIT_KEY_LEN];
	int i;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	stored_key(f.h, k);
	assert_int_equal(fx_so(f.h, "so-pin"), 0);
	append_events(f.h, 2);
	stored_key(f.h, now);
	for (i = 0; i < 8; i++) {
		assert_memory_not_equal(k, now, AUDIT_KEY_LEN);
		assert_int_equal(audit_ratchet(k, k), 0);
	}
	assert_int_equal(hsm_audit_verify(f.h, &rep), 0);
	assert_int_equal(rep.macs, rep.records);
	fx_teardown(&f);
}

/*
 * A thief with today's hsm.db rewrites record 3 and re-chains everything
 * after it under the only key on disk (the stored one), fixing the head
 * and the digest in hsm.db: the SO's verification names record 3.
 */
static void
test_rewrite_with_stored_key_fails(void **state)
{
	struct hsmfix f;
	struct audit_report rep;
	struct audit_head hd;
	uint8_t k[AUDIT_KEY_LEN], prev[CC_HASH_LEN], d[CC_HASH_LEN], *in;
	char path[128], *log, *out, *p, *mac;
	size_t n, o = 0, len, body;
	sqlite3_stmt *q;
	int line = 0, i;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	append_events(f.h, 4);
	assert_int_equal(hsm_audit_verify(f.h, &rep), 0);
	assert_int_equal(rep.macs, rep.records);
	stored_key(f.h, k);
	snprintf(path, sizeof(path), "%s/audit.log", f.dir);
	log = slurp(path, &n);
	out = malloc(n + 1);
	memset(prev, 0, sizeof(prev));
	memset(d, 0, sizeof(d));
	for (p = log; p < log + n; p += len + 1) {
		len = (size_t)(strchr(p, '\n') - p);
		memcpy(out + o, p, len);
		line++;
		if (line == 3) /* the edit: a different event name */
			out[o + (size_t)(strstr(p, "\"event\":\"") - p) + 9] ^= 1;
		if (line >= 3) {
			body = (size_t)(strstr(p, ",\"mac\":\"") - p);
			in = malloc(CC_HASH_LEN + body);
			memcpy(in, prev, CC_HASH_LEN);
			memcpy(in + CC_HASH_LEN, out + o, body);
			assert_int_equal(cc_hmac_sha384(k, sizeof(k), in,
			    CC_HASH_LEN + body, prev), 0);
			free(in);
			mac = out + o + body + 8;
			for (i = 0; i < CC_HASH_LEN; i++) {
				char hx[3];

				snprintf(hx, sizeof(hx), "%02x", prev[i]);
				memcpy(mac + 2 * i, hx, 2);
			}
		} else
			unhex(p + len - 2 - 2 * CC_HASH_LEN, prev, CC_HASH_LEN);
		assert_int_equal(audit_digest_step(d, out + o, len), 0);
		o += len;
		out[o++] = '\n';
	}
	spit(path, out, o);
	assert_int_equal(sqlite3_prepare_v2(store_db(hsm_store(f.h)),
	    "UPDATE hsm SET audit_head = ?, audit_digest = ? WHERE id = 1", -1,
	    &q, NULL), SQLITE_OK);
	sqlite3_bind_blob(q, 1, prev, CC_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, d, CC_HASH_LEN, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	/* what is on disk agrees with itself ... */
	assert_int_equal(audit_head_get(hsm_store(f.h), &hd), 0);
	assert_memory_equal(hd.digest, d, CC_HASH_LEN);
	/* ... but record 3's MAC is not under record 3's key */
	assert_int_equal(hsm_audit_verify(f.h, &rep), CE_INTEGRITY);
	assert_int_equal(rep.bad_line, 3);
	assert_non_null(strstr(err_detail(), "line 3 (seq 3) fails its MAC"));
	free(log);
	free(out);
	fx_teardown(&f);
}

/*
 * The SO's credential change takes the chain's verification key along;
 * after a zeroization and a re-initialization under another SO the old
 * epoch's records are no longer MAC-checked (their key is under the old
 * SO's credential) but the chain, the digest and the head still are.
 */
static void
test_epochs_follow_the_so(void **state)
{
	struct hsmfix f;
	struct audit_report rep;
	struct hsm_init_params p;
	struct secret *so2 = fx_pin("so-pin-2"), *so3 = fx_pin("so-pin-3");
	uint64_t before;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	assert_int_equal(hsm_so_change(f.h, so2), 0);
	hsm_close(f.h);
	assert_int_equal(hsm_open(f.dir, &f.h), 0);
	assert_int_equal(fx_so(f.h, "so-pin-2"), 0);
	assert_int_equal(hsm_audit_verify(f.h, &rep), 0);
	assert_int_equal(rep.macs, rep.records);
	assert_int_equal(hsm_zeroize(f.h, 1, NULL), 0);
	before = rep.records + 1;
	hsm_close(f.h);
	f.h = NULL;
	hsm_init_params_default(&p);
	p.label = "unit";
	p.kdf = KDF_TEST;
	assert_int_equal(hsm_init(f.dir, &p, so3), 0);
	assert_int_equal(hsm_open(f.dir, &f.h), 0);
	assert_int_equal(fx_so(f.h, "so-pin-3"), 0);
	assert_int_equal(hsm_audit_verify(f.h, &rep), 0);
	assert_true(rep.digest_checked);
	assert_int_equal(rep.macs, rep.records - before);
	assert_int_equal(audit_verify(hsm_store(f.h), hsm_audit_path(f.h),
	    &rep), 0);
	assert_int_equal(rep.macs, 0);
	secret_free(so2);
	secret_free(so3);
	fx_teardown(&f);
}

/* A signed head: holds on the log it was made from, refused once the
 * past changes or the head itself does. */
static void
test_signed_head(void **state)
{
	struct hsmfix f;
	struct audit_headinfo hi;
	char hpath[160], path[128], *head, *log, c;
	size_t hn, n;
	uint64_t seq;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	snprintf(hpath, sizeof(hpath), "%s/exported.head", f.dir);
	assert_int_equal(hsm_audit_export(f.h, NULL, hpath, &seq), 0);
	head = slurp(hpath, &hn);
	assert_int_equal(hsm_audit_head_check(f.h, head, hn, &hi), 0);
	assert_int_equal(hi.seq, seq);
	append_events(f.h, 2);
	assert_int_equal(hsm_audit_head_check(f.h, head, hn, &hi), 0);
	/* a byte of the signature changed (still hex) */
	c = head[hn - 3];
	head[hn - 3] = c == '0' ? '1' : '0';
	assert_int_equal(hsm_audit_head_check(f.h, head, hn, &hi),
	    CE_INTEGRITY);
	head[hn - 3] = c;
	/* record 2 edited */
	snprintf(path, sizeof(path), "%s/audit.log", f.dir);
	log = slurp(path, &n);
	log[line_at(log, 1) + 10] ^= 1;
	spit(path, log, n);
	assert_int_equal(hsm_audit_head_check(f.h, head, hn, &hi),
	    CE_INTEGRITY);
	assert_non_null(strstr(err_detail(), "up to seq"));
	free(log);
	free(head);
	fx_teardown(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_roundtrip),
		cmocka_unit_test(test_verify_and_tamper),
		cmocka_unit_test(test_rollback_truncates),
		cmocka_unit_test(test_crash_tail_recovered),
		cmocka_unit_test(test_crash_tail_login_and_operation),
		cmocka_unit_test(test_outside_transaction_refused),
		cmocka_unit_test(test_ratchet_vectors),
		cmocka_unit_test(test_ratchet_erases_old_keys),
		cmocka_unit_test(test_rewrite_with_stored_key_fails),
		cmocka_unit_test(test_so_login_starts_epoch),
		cmocka_unit_test(test_epochs_follow_the_so),
		cmocka_unit_test(test_signed_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
