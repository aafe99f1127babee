#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "file.h"
#include "hsm_int.h"
#include "kdf.h"
#include "secret.h"
#include "sks_int.h"
#include "store.h"
#include "utc.h"
#include "wrap.h"

static const char so_check_ctx[] = "coffer-so-check-v1";

void (*hsm_test_hook)(const char *point);

void
hsm_init_params_default(struct hsm_init_params *p)
{
	memset(p, 0, sizeof(*p));
	p->kdf = KDF_INTERACTIVE;
	p->auth = HSM_AUTH_PASSWORD;
	p->allow_cloning = 1;
	p->so_reset_pin = 0;
}

int
hsm_label_check(const char *what, const char *label, size_t max)
{
	size_t n, i;

	if (label == NULL || (n = strlen(label)) == 0 || n > max) {
		err_set_detail("%s must be 1 to %zu characters", what, max);
		return CE_INVALID;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)label[i];

		if (c < 0x20 || c > 0x7e || c == '#') {
			err_set_detail("%s '%s': use printable ASCII without "
			    "'#'", what, label);
			return CE_INVALID;
		}
	}
	if (label[0] == ' ' || label[n - 1] == ' ') {
		err_set_detail("%s must not start or end with a space", what);
		return CE_INVALID;
	}
	return 0;
}

static char *
path_join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/* Reads the HSM's kind (meta "kind": "backup" on a Backup HSM). */
static int
kind_read(struct hsm *h)
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = store_prepare(h->st, "SELECT value FROM meta WHERE key = "
	    "'kind'", &q)) != 0)
		return r;
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		h->backup = strcmp((const char *)sqlite3_column_text(q, 0),
		    "backup") == 0;
	else if (rc != SQLITE_DONE)
		r = store_err(h->st, rc);
	sqlite3_reset(q);
	return r;
}

/* Records the kind of a newly initialized HSM (inside its transaction). */
static int
kind_write(struct hsm *h, int backup)
{
	sqlite3_stmt *q;
	int r;

	h->backup = 0;
	if ((r = store_exec(h->st, "DELETE FROM meta WHERE key = 'kind'")) != 0)
		return r;
	if (!backup)
		return 0;
	if ((r = store_prepare(h->st, "INSERT INTO meta VALUES ('kind', "
	    "'backup')", &q)) != 0 || (r = hsm_step_done(h, q)) != 0)
		return r;
	h->backup = 1;
	return 0;
}

int
hsm_is_backup(const struct hsm *h)
{
	return h->backup;
}

int
hsm_refuse_backup(const struct hsm *h)
{
	if (!h->backup)
		return 0;
	err_set_detail("%s is a Backup HSM: it holds only backup partitions "
	    "and offers no partition and no key use", h->dir);
	return CE_POLICY;
}

static int
hsm_new(const char *dir, int create, struct hsm **hp)
{
	struct hsm *h;
	int r;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return CE_NOMEM;
	if ((h->dir = strdup(dir)) == NULL ||
	    (h->dbpath = path_join(dir, HSM_DB_NAME)) == NULL ||
	    (h->logpath = path_join(dir, HSM_AUDIT_NAME)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = store_open(h->dbpath, create, &h->st)) != 0)
		goto out;
	if ((r = sks_attach(h, 0)) != 0 || (r = kind_read(h)) != 0)
		goto out;
	*hp = h;
	h = NULL;
 out:
	hsm_close(h);
	return r;
}

void
hsm_close(struct hsm *h)
{
	if (h == NULL)
		return;
	if (h->st != NULL && store_in_tx(h->st))
		hsm_tx_rollback(h);
	store_close(h->st);
	store_close(h->sks);
	secret_free(h->so_kek);
	free(h->dir);
	free(h->dbpath);
	free(h->logpath);
	free(h);
}

int
hsm_open(const char *dir, struct hsm **hp)
{
	struct stat sb;

	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		err_set_detail("no HSM directory at %s; run 'hsm init' first",
		    dir);
		return CE_NOT_FOUND;
	}
	return hsm_new(dir, 0, hp);
}

const char *
hsm_dir(const struct hsm *h)
{
	return h->dir;
}

struct store *
hsm_store(struct hsm *h)
{
	return h->st;
}

const char *
hsm_audit_path(const struct hsm *h)
{
	return h->logpath;
}

int
hsm_step_done(struct hsm *h, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : store_err(h->st, rc);
}

/* --- transactions ------------------------------------------------------- */

static void tx_rollback(struct hsm *h);
static int tx_commit(struct hsm *h);

/* Rolls both stores back and leaves audit.log as it is. */
static void
tx_abandon(struct hsm *h)
{
	if (h->sks != NULL && store_in_tx(h->sks))
		store_rollback(h->sks);
	store_rollback(h->st);
}

/* Opens the transaction; 1 when hsm.db has no hsm row yet (hsm_init). */
static int
tx_open(struct hsm *h)
{
	int r, fresh = 0;

	if ((r = store_begin(h->st)) != 0)
		return r;
	if ((r = audit_committed_size(h->st, &h->audit_size)) == CE_NOT_FOUND) {
		h->audit_size = 0;
		fresh = 1;
		r = 0;
	}
	if (r == 0 && h->sks != NULL)
		r = store_begin(h->sks);
	if (r != 0) {
		tx_abandon(h);
		return r;
	}
	return fresh;
}

/*
 * What an interrupted command left past the audit head (lib/audit.h
 * audit_tail). Its own uncommitted record is dropped and the drop recorded,
 * in a transaction of its own that commits at once, so the record of the
 * drop stands whatever the command that found it does next. More than
 * that is refused, never dropped, until an officer acts. Called inside an
 * open transaction; returns with one open, or none on an error.
 */
/*
 * A Backup HSM renames a new backup partition into DIR/backup/ between
 * writing its backup-partition-create record and committing hsm.db
 * (lib/bstore_hsm.c): a kill in between leaves the partition whole and
 * its record uncommitted. Dropping the record would leave a backup
 * partition the log does not name; this says to keep it instead. Only
 * that event, one whole record, and a plain file name that is there.
 */
static int
backup_in_place(struct hsm *h, const struct audit_tail *t)
{
	char path[PATH_MAX];
	struct stat sb;

	if (t->records != 1 || t->seq == 0 ||
	    strcmp(t->event, "backup-partition-create") != 0 ||
	    t->object[0] == '\0' || t->object[0] == '.' ||
	    strchr(t->object, '/') != NULL)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/backup/%s", h->dir,
	    t->object) >= sizeof(path))
		return 0;
	return lstat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int
tail_recover(struct hsm *h)
{
	struct audit_tail t;
	struct audit_event ev;
	char detail[320];
	int r;

	if ((r = audit_tail(h->st, h->logpath, &t)) != 0) {
		tx_abandon(h);
		return r;
	}
	switch (t.kind) {
	case AUDIT_TAIL_NONE:
		return 0;
	case AUDIT_TAIL_CRASH:
		if (backup_in_place(h, &t)) {
			/* its effect is there: keep the record, not drop it */
			if ((r = audit_tail_keep(h->st, h->logpath)) != 0) {
				tx_rollback(h);
				return r;
			}
			snprintf(detail, sizeof(detail), "kept uncommitted "
			    "record %llu (%s %.64s): the backup partition it "
			    "records was in place", (unsigned long long)t.seq,
			    t.event, t.object);
		} else if (t.records == 2)
			snprintf(detail, sizeof(detail), "dropped uncommitted "
			    "records %llu and %llu (%s) left by an interrupted "
			    "command", (unsigned long long)t.seq,
			    (unsigned long long)t.seq + 1, t.event);
		else if (t.seq != 0)
			snprintf(detail, sizeof(detail), "dropped uncommitted "
			    "record %llu (%s) left by an interrupted command",
			    (unsigned long long)t.seq, t.event);
		else
			snprintf(detail, sizeof(detail), "dropped %llu bytes "
			    "of a record an interrupted command was writing",
			    (unsigned long long)t.bytes);
		hsm_event(&ev, "audit-recover", 1);
		ev.detail = detail;
		/* audit_append cuts the log back to the head before it writes */
		if ((r = audit_append(h->st, h->logpath, &ev)) != 0) {
			tx_rollback(h);
			return r;
		}
		if ((r = tx_commit(h)) != 0)
			return r;
		return (r = tx_open(h)) < 0 ? r : 0;
	default:
		tx_abandon(h);
		err_set_detail("audit.log holds %llu line(s) past the head "
		    "recorded in hsm.db: hsm.db is older than the log (restored "
		    "from an old copy?) or the log was extended. Nothing was "
		    "changed and every write is refused until an officer acts: "
		    "keep both files, then run 'hsm audit quarantine %s' "
		    "(docs/hsm.md \"Audit log\")", (unsigned long long)t.lines,
		    h->dir);
		return CE_INTEGRITY;
	}
}

static int
tx_begin(struct hsm *h)
{
	int r;

	if ((r = tx_open(h)) < 0)
		return r;
	if (r == 1) {
		/* no hsm row yet (hsm_init): nothing in the log is anchored */
		if ((r = audit_truncate(h->logpath, 0)) != 0)
			tx_abandon(h);
		return r;
	}
	return h->quarantine ? 0 : tail_recover(h);
}

static void
tx_rollback(struct hsm *h)
{
	if (h->sks != NULL)
		store_rollback(h->sks);
	store_rollback(h->st);
	(void)audit_truncate(h->logpath, h->audit_size);
}

/*
 * COFFER_TEST_CRASH_AT=before-commit makes a command die as a crash would
 * after its audit line is durable and before hsm.db commits: the e2e tests
 * of crash recovery use it ("between-commits#3": the third time the
 * process passes that point). It only ends the caller's own process.
 */
static void
crash_point(const char *point)
{
	static unsigned seen;
	const char *at = getenv("COFFER_TEST_CRASH_AT"), *hash;
	size_t n;

	if (at == NULL)
		return;
	/* "point#N": the Nth time this process passes the point */
	if ((hash = strchr(at, '#')) == NULL) {
		if (strcmp(at, point) == 0)
			_exit(137);
		return;
	}
	n = (size_t)(hash - at);
	if (strlen(point) == n && strncmp(at, point, n) == 0 &&
	    ++seen == (unsigned)strtoul(hash + 1, NULL, 10))
		_exit(137);
}

void
hsm_test_point(const char *point)
{
	if (hsm_test_hook != NULL)
		hsm_test_hook(point);
	crash_point(point);
}

static int
tx_commit(struct hsm *h)
{
	int r;

	crash_point("before-commit");
	if ((r = store_commit(h->st)) != 0) {
		if (h->sks != NULL)
			store_rollback(h->sks);
		(void)audit_truncate(h->logpath, h->audit_size);
		return r;
	}
	/* hsm.db first: its audit line and any new SMK wrap are durable
	 * before sks.db refers to them. */
	if (h->sks != NULL && store_in_tx(h->sks)) {
		hsm_test_point("between-commits");
		r = store_commit(h->sks);
	}
	return r;
}

int
hsm_tx_begin(struct hsm *h)
{
	int r;

	if (h->user_tx) {
		err_set_detail("transaction already open");
		return CE_INVALID;
	}
	if ((r = tx_begin(h)) != 0)
		return r;
	h->user_tx = 1;
	return 0;
}

int
hsm_tx_commit(struct hsm *h)
{
	h->user_tx = 0;
	return tx_commit(h);
}

void
hsm_tx_rollback(struct hsm *h)
{
	h->user_tx = 0;
	tx_rollback(h);
}

int
hsm_tx_enter(struct hsm *h, int *ownp)
{
	int r;

	*ownp = 0;
	if (store_in_tx(h->st))
		return 0;
	if ((r = tx_begin(h)) != 0)
		return r;
	*ownp = 1;
	return 0;
}

int
hsm_tx_leave(struct hsm *h, int own, int r, int keep)
{
	char save[512];
	int c;

	if (!own)
		return r;
	if (r == 0 || keep) {
		snprintf(save, sizeof(save), "%s", err_detail());
		if ((c = tx_commit(h)) != 0)
			return c;
		if (r != 0)
			err_set_detail("%s", save);
		return r;
	}
	tx_rollback(h);
	return r;
}

void
hsm_event(struct audit_event *ev, const char *event, int ok)
{
	memset(ev, 0, sizeof(*ev));
	ev->event = event;
	ev->ok = ok;
	ev->count = -1;
}

int
hsm_audit_tx(struct hsm *h, const struct audit_event *ev)
{
	return audit_append(h->st, h->logpath, ev);
}

int
hsm_audit_part(struct hsm *h, const char *event, int ok, const char *role,
    const char *label, uint64_t serial, const char *detail)
{
	struct audit_event ev;

	hsm_event(&ev, event, ok);
	ev.role = role;
	ev.partition = label;
	ev.serial = serial;
	ev.detail = detail;
	return hsm_audit_tx(h, &ev);
}

int
hsm_audit(struct hsm *h, const struct audit_event *ev)
{
	int own, r;

	if ((r = hsm_tx_enter(h, &own)) != 0)
		return r;
	r = hsm_audit_tx(h, ev);
	return hsm_tx_leave(h, own, r, 0);
}

int
hsm_audit_verify(struct hsm *h, struct audit_report *repp)
{
	if (h->so_ok && h->so_kek != NULL)
		return audit_verify_keyed(h->st, h->logpath, h->so_kek,
		    h->so_salt, repp);
	return audit_verify(h->st, h->logpath, repp);
}

int
hsm_audit_head_check(struct hsm *h, const void *text, size_t len,
    struct audit_headinfo *hip)
{
	return audit_head_check(h->st, h->logpath, text, len, hip);
}

/* Copies the first size bytes of the log to a new file at path (0600). */
static int
log_copy(const char *logpath, uint64_t size, const char *path)
{
	struct buf *b = NULL;
	int r;

	if ((r = file_read_nofollow(logpath, SIZE_MAX / 2, &b)) != 0)
		return r;
	if (buf_len(b) < size) {
		err_set_detail("%s is shorter than its committed head", logpath);
		r = CE_INTEGRITY;
	} else
		r = file_write_secret(path, buf_ptr(b), (size_t)size, 0);
	buf_free(b);
	return r;
}

int
hsm_audit_export(struct hsm *h, const char *logout, const char *headout,
    uint64_t *seqp)
{
	struct audit_event ev;
	struct audit_head hd;
	struct buf *head = NULL;
	struct stat sb;
	int r, own = 0;

	/* refused before anything is recorded (the writes are O_EXCL too) */
	if ((logout != NULL && lstat(logout, &sb) == 0) ||
	    lstat(headout, &sb) == 0) {
		err_set_detail("%s exists; an export never overwrites",
		    logout != NULL && lstat(logout, &sb) == 0 ? logout : headout);
		return CE_EXISTS;
	}
	if ((r = hsm_tx_enter(h, &own)) != 0)
		return r;
	hsm_event(&ev, "audit-export", 1);
	ev.detail = headout;
	/* the head covers the record of its own export */
	if ((r = hsm_audit_tx(h, &ev)) != 0 ||
	    (r = audit_head_get(h->st, &hd)) != 0 ||
	    (r = audit_head_sign(h->st, &head)) != 0)
		goto out;
 out:
	if ((r = hsm_tx_leave(h, own, r, 0)) != 0)
		goto done;
	if ((logout != NULL && (r = log_copy(h->logpath, hd.size, logout)) != 0) ||
	    (r = file_write_secret(headout, buf_ptr(head), buf_len(head),
	    0)) != 0)
		goto done;
	*seqp = hd.seq;
 done:
	buf_free(head);
	return r;
}

int
hsm_audit_pubkey(struct hsm *h, uint8_t pk[AUDIT_PUBKEY_LEN])
{
	return audit_pubkey(h->st, pk);
}

int
hsm_audit_quarantine(struct hsm *h, char *path, size_t pathlen,
    uint64_t *linesp)
{
	struct audit_tail t;
	struct audit_event ev;
	char stamp[UTC_STAMP_LEN + 1], detail[PATH_MAX + 96];
	uint8_t *p = NULL;
	ssize_t n;
	int r, in = -1, out = -1, cut = 0;

	*linesp = 0;
	path[0] = '\0';
	h->quarantine = 1;
	r = tx_begin(h);
	h->quarantine = 0;
	if (r != 0)
		return r;
	if ((r = audit_tail(h->st, h->logpath, &t)) != 0)
		goto out;
	if (t.kind == AUDIT_TAIL_NONE) {
		r = 0;
		goto out;
	}
	if ((r = utc_stamp((int64_t)time(NULL), stamp)) != 0)
		goto out;
	snprintf(path, pathlen, "%s.quarantine-%s", h->logpath, stamp);
	if ((p = malloc((size_t)t.bytes ? (size_t)t.bytes : 1)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((in = open(h->logpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 ||
	    (n = pread(in, p, (size_t)t.bytes, (off_t)t.committed)) < 0 ||
	    (uint64_t)n != t.bytes) {
		err_set_detail("cannot read %s: %s", h->logpath, strerror(errno));
		r = CE_IO;
		goto out;
	}
	/* The records move, they are never deleted: a file of their own. */
	if ((out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0 || write(out, p, (size_t)n) != n ||
	    fsync(out) != 0) {
		err_set_detail("cannot write %s: %s", path, strerror(errno));
		r = CE_IO;
		goto out;
	}
	hsm_event(&ev, "audit-quarantine", 1);
	snprintf(detail, sizeof(detail), "%llu line(s) past the head moved "
	    "to %s", (unsigned long long)t.lines, path);
	ev.detail = detail;
	ev.count = (int64_t)t.lines;
	/* from here the log is cut back: the file keeps the moved lines */
	cut = 1;
	if ((r = audit_append(h->st, h->logpath, &ev)) != 0)
		goto out;
	*linesp = t.lines;
	r = 0;
 out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	free(p);
	if (r == 0)
		return tx_commit(h);
	if (cut) {
		tx_rollback(h);
	} else {
		tx_abandon(h); /* the log is untouched */
		if (out >= 0)
			(void)unlink(path);
	}
	path[0] = '\0';
	return r;
}

/* --- init and info ------------------------------------------------------ */

/* The SO's check value; *kekp (may be NULL) gets the KEK it was keyed by
 * (the audit chain's epochs are wrapped under a key derived from it). */
static int
so_check(const struct secret *so, int kdf, const uint8_t salt[KDF_SALT_LEN],
    uint64_t serial, uint8_t out[CC_HASH_LEN], struct secret **kekp)
{
	struct secret *kek = NULL;
	uint8_t msg[sizeof(so_check_ctx) + 8];
	int r, i;

	if ((r = wrap_kek(so, kdf, salt, &kek)) != 0)
		return r;
	memcpy(msg, so_check_ctx, sizeof(so_check_ctx));
	for (i = 0; i < 8; i++)
		msg[sizeof(so_check_ctx) + (size_t)i] =
		    (uint8_t)(serial >> (56 - 8 * i));
	r = cc_hmac_sha384(secret_ptr(kek), secret_len(kek), msg, sizeof(msg),
	    out);
	if (r == 0 && kekp != NULL) {
		*kekp = kek;
		kek = NULL;
	}
	secret_free(kek);
	return r;
}

/* Forgets the SO's login (and its KEK). */
static void
so_forget(struct hsm *h)
{
	h->so_ok = 0;
	secret_free(h->so_kek);
	h->so_kek = NULL;
}

static uint64_t
random_serial(uint64_t lo, uint64_t span)
{
	uint64_t v;

	cc_random(&v, sizeof(v));
	return lo + v % span;
}

int
hsm_init(const char *dir, const struct hsm_init_params *p,
    const struct secret *so)
{
	struct hsm *h = NULL;
	sqlite3_stmt *q;
	uint8_t salt[KDF_SALT_LEN], check[CC_HASH_LEN], akey[AUDIT_KEY_LEN];
	uint8_t zero[CC_HASH_LEN];
	struct secret *kek = NULL;
	uint64_t serial;
	int r, rc, own = 0, exists = 0, state = 0;
	struct audit_event ev;

	if ((r = hsm_label_check("HSM label", p->label, HSM_LABEL_MAX)) != 0)
		return r;
	if (kdf_profile_name(p->kdf) == NULL)
		return CE_INVALID;
	/* 0 (a zeroed struct) reads as password, the long-standing default. */
	if (p->auth != 0 && p->auth != HSM_AUTH_PASSWORD &&
	    p->auth != HSM_AUTH_PED) {
		err_set_detail("unknown authentication type %d", p->auth);
		return CE_INVALID;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		err_set_detail("cannot create %s: %s", dir, strerror(errno));
		return CE_IO;
	}
	if ((r = hsm_new(dir, 1, &h)) != 0)
		return r;
	serial = p->serial ? p->serial : random_serial(1000000000ULL,
	    9000000000ULL);
	cc_random(salt, sizeof(salt));
	if ((r = so_check(so, p->kdf, salt, serial, check, &kek)) != 0)
		goto out;
	if ((r = hsm_tx_enter(h, &own)) != 0)
		goto out;
	if ((r = store_prepare(h->st, "SELECT state FROM hsm WHERE id = 1",
	    &q)) != 0)
		goto out;
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		exists = 1;
		state = sqlite3_column_int(q, 0);
	}
	sqlite3_reset(q);
	if (exists && state == HSM_STATE_INITIALIZED) {
		err_set_detail("%s already holds an initialized HSM; zeroize it "
		    "first ('hsm zeroize')", dir);
		r = CE_EXISTS;
		goto out;
	}
	if (!exists) {
		cc_random(akey, sizeof(akey));
		memset(zero, 0, sizeof(zero));
		if ((r = store_prepare(h->st, "INSERT INTO hsm (id, state, label,"
		    " serial, kdf, created, audit_key, audit_head) VALUES "
		    "(1, 2, '', 0, 0, 0, ?, ?)", &q)) != 0)
			goto out;
		sqlite3_bind_blob(q, 1, akey, sizeof(akey), SQLITE_TRANSIENT);
		sqlite3_bind_blob(q, 2, zero, sizeof(zero), SQLITE_TRANSIENT);
		sodium_memzero(akey, sizeof(akey));
		if ((r = hsm_step_done(h, q)) != 0)
			goto out;
	}
	if ((r = store_prepare(h->st, "UPDATE hsm SET state = 1, label = ?, "
	    "serial = ?, auth = ?, kdf = ?, so_salt = ?, so_check = ?,"
	    " so_fail = 0, so_set_tag = NULL, allow_cloning = ?, "
	    "so_reset_pin = ?, created = ? WHERE id = 1", &q)) != 0)
		goto out;
	sqlite3_bind_text(q, 1, p->label, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 2, (int64_t)serial);
	sqlite3_bind_text(q, 3, p->auth == HSM_AUTH_PED ? "ped" : "password",
	    -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, p->kdf);
	sqlite3_bind_blob(q, 5, salt, sizeof(salt), SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 6, check, sizeof(check), SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 7, p->allow_cloning ? 1 : 0);
	sqlite3_bind_int(q, 8, p->so_reset_pin ? 1 : 0);
	sqlite3_bind_int64(q, 9, (int64_t)time(NULL));
	if ((r = hsm_step_done(h, q)) != 0 ||
	    (r = kind_write(h, p->backup)) != 0)
		goto out;
	/* a new epoch of the audit chain, checkable by this SO (so is
	 * every SO login: a key read from hsm.db before it computes none
	 * after it) */
	if ((r = audit_epoch_begin(h->st, kek, p->kdf, salt)) != 0)
		goto out;
	hsm_event(&ev, "init", 1);
	ev.role = "so";
	ev.detail = p->backup ? (p->auth == HSM_AUTH_PED ?
	    "initialized as a Backup HSM (PED)" :
	    "initialized as a Backup HSM") : p->auth == HSM_AUTH_PED ? (exists ?
	    "re-initialized after zeroization (PED)" : "initialized (PED)") :
	    exists ? "re-initialized after zeroization" : "initialized";
	r = hsm_audit_tx(h, &ev);
 out:
	r = hsm_tx_leave(h, own, r, 0);
	secret_free(kek);
	hsm_close(h);
	return r;
}

int
hsm_require_initialized(struct hsm *h)
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = store_prepare(h->st, "SELECT state FROM hsm WHERE id = 1",
	    &q)) != 0)
		return r;
	rc = sqlite3_step(q);
	r = rc == SQLITE_ROW && sqlite3_column_int(q, 0) ==
	    HSM_STATE_INITIALIZED ? 0 : CE_ZEROIZED;
	sqlite3_reset(q);
	if (r != 0)
		err_set_detail("the HSM in %s is zeroized; re-initialize it "
		    "with 'hsm init'", h->dir);
	return r;
}

int
hsm_get_info(struct hsm *h, struct hsm_info *ip)
{
	sqlite3_stmt *q;
	struct hsm_info in;
	int r, rc;

	memset(&in, 0, sizeof(in));
	if ((r = store_prepare(h->st, "SELECT state, label, serial, auth, kdf,"
	    " allow_cloning, so_reset_pin, so_fail, created, audit_seq, "
	    "(SELECT count(*) FROM partition) FROM hsm WHERE id = 1", &q)) != 0)
		return r;
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? CE_NOT_FOUND : store_err(h->st, rc);
		goto out;
	}
	in.state = sqlite3_column_int(q, 0);
	snprintf(in.label, sizeof(in.label), "%s",
	    (const char *)sqlite3_column_text(q, 1));
	in.serial = (uint64_t)sqlite3_column_int64(q, 2);
	snprintf(in.auth, sizeof(in.auth), "%s",
	    (const char *)sqlite3_column_text(q, 3));
	in.ped = strcmp(in.auth, "ped") == 0;
	in.kdf = sqlite3_column_int(q, 4);
	in.allow_cloning = sqlite3_column_int(q, 5);
	in.so_reset_pin = sqlite3_column_int(q, 6);
	in.so_failures = sqlite3_column_int(q, 7);
	in.created = sqlite3_column_int64(q, 8);
	in.audit_records = (uint64_t)sqlite3_column_int64(q, 9);
	in.partitions = (uint64_t)sqlite3_column_int64(q, 10);
	in.backup = h->backup;
	*ip = in;
	r = 0;
 out:
	sqlite3_reset(q);
	return r;
}

int
hsm_is_ped(struct hsm *h)
{
	struct hsm_info in;
	int r;

	if ((r = hsm_require_initialized(h)) != 0 ||
	    (r = hsm_get_info(h, &in)) != 0)
		return r;
	return in.ped;
}

/* --- SO ----------------------------------------------------------------- */

int
hsm_so_ok(const struct hsm *h)
{
	return h->so_ok;
}

int
hsm_so_login(struct hsm *h, const struct secret *so)
{
	sqlite3_stmt *q;
	uint8_t salt[KDF_SALT_LEN], want[CC_HASH_LEN], got[CC_HASH_LEN];
	struct secret *kek = NULL;
	uint64_t serial;
	int r, rc, kdf, fails, own = 0, good, keep = 0;
	struct audit_event ev;
	char detail[64];

	so_forget(h);
	if ((r = hsm_require_initialized(h)) != 0)
		return r;
	if ((r = store_prepare(h->st, "SELECT so_salt, so_check, kdf, serial "
	    "FROM hsm WHERE id = 1", &q)) != 0)
		return r;
	if ((rc = sqlite3_step(q)) != SQLITE_ROW ||
	    sqlite3_column_bytes(q, 0) != KDF_SALT_LEN ||
	    sqlite3_column_bytes(q, 1) != CC_HASH_LEN) {
		sqlite3_reset(q);
		err_set_detail("SO credential record is malformed");
		return CE_INTEGRITY;
	}
	memcpy(salt, sqlite3_column_blob(q, 0), KDF_SALT_LEN);
	memcpy(want, sqlite3_column_blob(q, 1), CC_HASH_LEN);
	kdf = sqlite3_column_int(q, 2);
	serial = (uint64_t)sqlite3_column_int64(q, 3);
	sqlite3_reset(q);
	if ((r = so_check(so, kdf, salt, serial, got, &kek)) != 0)
		return r;
	good = cc_memeq(got, want, CC_HASH_LEN);
	if ((r = hsm_tx_enter(h, &own)) != 0) {
		secret_free(kek);
		return r;
	}
	/* Re-check the state under the write lock: another process may have
	 * zeroized, re-initialized or changed the SO credential meanwhile;
	 * the outcome is decided on what holds now. */
	if ((r = hsm_require_initialized(h)) != 0)
		goto out;
	if ((r = store_prepare(h->st, "SELECT so_salt, so_check, serial FROM "
	    "hsm WHERE id = 1", &q)) != 0)
		goto out;
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW || sqlite3_column_bytes(q, 0) != KDF_SALT_LEN ||
	    sqlite3_column_bytes(q, 1) != CC_HASH_LEN ||
	    memcmp(sqlite3_column_blob(q, 0), salt, KDF_SALT_LEN) != 0 ||
	    memcmp(sqlite3_column_blob(q, 1), want, CC_HASH_LEN) != 0 ||
	    (uint64_t)sqlite3_column_int64(q, 2) != serial) {
		sqlite3_reset(q);
		err_set_detail("the HSM's SO credential changed while this "
		    "login ran; log in again");
		r = CE_BUSY;
		goto out;
	}
	sqlite3_reset(q);
	hsm_event(&ev, "login", good);
	ev.role = "so";
	if (good) {
		if ((r = store_prepare(h->st, "UPDATE hsm SET so_fail = 0 "
		    "WHERE id = 1", &q)) != 0 || (r = hsm_step_done(h, q)) != 0 ||
		    (r = hsm_audit_tx(h, &ev)) != 0 ||
		    (r = audit_epoch_begin(h->st, kek, kdf, salt)) != 0)
			goto out;
		h->so_ok = 1;
		h->so_kek = kek;
		kek = NULL;
		memcpy(h->so_salt, salt, KDF_SALT_LEN);
		goto out;
	}
	keep = 1;
	if ((r = store_prepare(h->st, "UPDATE hsm SET so_fail = so_fail + 1 "
	    "WHERE id = 1 RETURNING so_fail", &q)) != 0)
		goto out;
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_reset(q);
		r = store_err(h->st, rc);
		goto out;
	}
	fails = sqlite3_column_int(q, 0);
	sqlite3_reset(q);
	snprintf(detail, sizeof(detail), "failure %d of %d", fails,
	    HSM_SO_LOCKOUT);
	ev.detail = detail;
	if ((r = hsm_audit_tx(h, &ev)) != 0)
		goto out;
	if (fails >= HSM_SO_LOCKOUT) {
		if ((r = hsm_zeroize_tx(h, "SO login failure limit reached")) != 0)
			goto out;
		err_set_detail("%d failed SO logins: the HSM was zeroized",
		    fails);
		r = CE_ZEROIZED;
		goto out;
	}
	err_set_detail("SO login failed (%d of %d before the HSM zeroizes)",
	    fails, HSM_SO_LOCKOUT);
	r = CE_BAD_CREDENTIAL;
 out:
	secret_free(kek);
	r = hsm_tx_leave(h, own, r, keep);
	if (r != 0)
		so_forget(h);
	if (r == CE_ZEROIZED)
		hsm_checkpoint(h);
	return r;
}

int
hsm_so_change(struct hsm *h, const struct secret *newso)
{
	sqlite3_stmt *q;
	uint8_t salt[KDF_SALT_LEN], check[CC_HASH_LEN];
	struct secret *kek = NULL;
	struct hsm_info in;
	struct audit_event ev;
	int r, own = 0;

	if (!h->so_ok || h->so_kek == NULL)
		return CE_NOT_LOGGED_IN;
	if ((r = hsm_get_info(h, &in)) != 0)
		return r;
	cc_random(salt, sizeof(salt));
	if ((r = so_check(newso, in.kdf, salt, in.serial, check, &kek)) != 0)
		return r;
	if ((r = hsm_tx_enter(h, &own)) != 0) {
		secret_free(kek);
		return r;
	}
	if ((r = store_prepare(h->st, "UPDATE hsm SET so_salt = ?, "
	    "so_check = ?, so_set_tag = NULL WHERE id = 1", &q)) != 0)
		goto out;
	sqlite3_bind_blob(q, 1, salt, sizeof(salt), SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 2, check, sizeof(check), SQLITE_TRANSIENT);
	if ((r = hsm_step_done(h, q)) != 0)
		goto out;
	/* the audit chain's epochs follow the SO to the new credential */
	if ((r = audit_epoch_rewrap(h->st, h->so_kek, h->so_salt, kek, in.kdf,
	    salt)) != 0)
		goto out;
	hsm_event(&ev, "credential-change", 1);
	ev.role = "so";
	r = hsm_audit_tx(h, &ev);
 out:
	if ((r = hsm_tx_leave(h, own, r, 0)) == 0) {
		secret_free(h->so_kek);
		h->so_kek = kek;
		kek = NULL;
		memcpy(h->so_salt, salt, KDF_SALT_LEN);
	}
	secret_free(kek);
	return r;
}

int
hsm_share_tag(struct hsm *h, const char *label, int role, const uint8_t *tag,
    int record)
{
	sqlite3_stmt *q;
	int64_t pid = 0;
	int r, own, rc;

	if (label != NULL &&
	    (r = partition_lookup(h, label, &pid, NULL, NULL, NULL)) != 0)
		return r;
	if (!record) {
		if ((r = store_prepare(h->st, label == NULL ?
		    "SELECT so_set_tag FROM hsm WHERE id = 1" :
		    "SELECT set_tag FROM role WHERE partition_id = ? AND "
		    "role = ?", &q)) != 0)
			return r;
		if (label != NULL) {
			sqlite3_bind_int64(q, 1, pid);
			sqlite3_bind_int(q, 2, role);
		}
		r = 0;
		if ((rc = sqlite3_step(q)) == SQLITE_ROW &&
		    sqlite3_column_type(q, 0) == SQLITE_BLOB &&
		    (sqlite3_column_bytes(q, 0) != HSM_SHARE_TAG_LEN ||
		    !cc_memeq(sqlite3_column_blob(q, 0), tag,
		    HSM_SHARE_TAG_LEN))) {
			err_set_detail("these shares are not of the share set "
			    "that holds this credential (another set, or one "
			    "made to look like it); no login was attempted");
			r = CE_BAD_CREDENTIAL;
		} else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			r = store_err(h->st, rc);
		sqlite3_reset(q);
		return r;
	}
	if ((r = hsm_tx_enter(h, &own)) != 0)
		return r;
	if ((r = store_prepare(h->st, label == NULL ?
	    "UPDATE hsm SET so_set_tag = ? WHERE id = 1 AND so_set_tag IS NULL" :
	    "UPDATE role SET set_tag = ? WHERE partition_id = ? AND role = ? "
	    "AND set_tag IS NULL", &q)) == 0) {
		sqlite3_bind_blob(q, 1, tag, HSM_SHARE_TAG_LEN, SQLITE_TRANSIENT);
		if (label != NULL) {
			sqlite3_bind_int64(q, 2, pid);
			sqlite3_bind_int(q, 3, role);
		}
		r = hsm_step_done(h, q);
	}
	return hsm_tx_leave(h, own, r, 0);
}

int
hsm_erase_objects_tx(struct hsm *h, int64_t pid)
{
	sqlite3_stmt *q;
	uint64_t serial;
	int r;

	if (pid == 0) {
		if ((r = store_exec(h->st, "DELETE FROM object;"
		    "UPDATE partition SET used = 0, count = 0")) != 0)
			return r;
		return sks_erase_tx(h, 0);
	}
	if ((r = partition_serial_of(h, pid, &serial)) != 0 ||
	    (r = sks_erase_tx(h, serial)) != 0)
		return r;
	/* In batches: one DELETE gathers every rowid it will delete first,
	 * 23 MB a million objects (issue 19). */
	if ((r = store_delete_batches(h->st, "DELETE FROM object WHERE id IN "
	    "(SELECT id FROM object WHERE partition_id = ?1 LIMIT "
	    ERASE_BATCH ")", pid)) != 0)
		return r;
	if ((r = store_prepare(h->st, "UPDATE partition SET used = 0, "
	    "count = 0 WHERE id = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, pid);
	return hsm_step_done(h, q);
}

int
hsm_policy_set(struct hsm *h, int policy, int value)
{
	sqlite3_stmt *q;
	struct audit_event ev;
	struct hsm_info in;
	const char *sql;
	char detail[96];
	int r, own = 0, old;

	if (!h->so_ok)
		return CE_NOT_LOGGED_IN;
	if (value != 0 && value != 1) {
		err_set_detail("HSM policy %d takes 0 or 1", policy);
		return CE_INVALID;
	}
	if (policy == HSM_POLICY_ALLOW_CLONING)
		sql = "UPDATE hsm SET allow_cloning = ? WHERE id = 1";
	else if (policy == HSM_POLICY_SO_RESET_PIN)
		sql = "UPDATE hsm SET so_reset_pin = ? WHERE id = 1";
	else {
		err_set_detail("unknown HSM policy %d (7 allow cloning, 15 SO "
		    "can reset partition PIN)", policy);
		return CE_INVALID;
	}
	if ((r = hsm_tx_enter(h, &own)) != 0)
		return r;
	if ((r = hsm_get_info(h, &in)) != 0)
		goto out;
	old = policy == HSM_POLICY_ALLOW_CLONING ? in.allow_cloning :
	    in.so_reset_pin;
	if (old == value)
		goto out;
	if ((r = store_prepare(h->st, sql, &q)) != 0)
		goto out;
	sqlite3_bind_int(q, 1, value);
	if ((r = hsm_step_done(h, q)) != 0)
		goto out;
	/* Policy 7 is destructive, as on Luna. */
	if (policy == HSM_POLICY_ALLOW_CLONING &&
	    (r = hsm_erase_objects_tx(h, 0)) != 0)
		goto out;
	hsm_event(&ev, "policy", 1);
	ev.role = "so";
	snprintf(detail, sizeof(detail), "HSM policy %d set to %d%s", policy,
	    value, policy == HSM_POLICY_ALLOW_CLONING ?
	    " (destructive: all objects erased)" : "");
	ev.detail = detail;
	r = hsm_audit_tx(h, &ev);
 out:
	return hsm_tx_leave(h, own, r, 0);
}

void
hsm_checkpoint(struct hsm *h)
{
	if (!store_in_tx(h->st))
		(void)sqlite3_exec(store_db(h->st),
		    "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	if (h->sks != NULL && !store_in_tx(h->sks))
		(void)sqlite3_exec(store_db(h->sks),
		    "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
}

int
hsm_zeroize_tx(struct hsm *h, const char *why)
{
	struct audit_event ev;
	int r;

	if ((r = sks_forget_tx(h, 0)) != 0)
		return r;
	/* a wrap goes: no copy of it may stay in the WAL */
	store_wipe_on_commit(h->st);
	if ((r = store_exec(h->st, "DELETE FROM object; DELETE FROM domain; "
	    "DELETE FROM role; DELETE FROM smk; DELETE FROM partition; "
	    "UPDATE hsm SET state = 2, so_salt = NULL, so_check = NULL, "
	    "so_fail = 0 WHERE id = 1")) != 0)
		return r;
	so_forget(h);
	hsm_event(&ev, "zeroize", 1);
	ev.detail = why;
	return hsm_audit_tx(h, &ev);
}

int
hsm_zeroize(struct hsm *h, int tamper, const char *why)
{
	int r, own = 0;

	if (!tamper && !h->so_ok)
		return CE_NOT_LOGGED_IN;
	if ((r = hsm_tx_enter(h, &own)) != 0)
		return r;
	r = hsm_zeroize_tx(h, why != NULL ? why : tamper ?
	    "tamper event" : "zeroized by the SO");
	r = hsm_tx_leave(h, own, r, 0);
	if (r == 0 && own)
		hsm_checkpoint(h);
	return r;
}
