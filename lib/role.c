#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "hsm_int.h"
#include "kdf.h"
#include "partition.h"
#include "role.h"
#include "secret.h"
#include "sks.h"
#include "store.h"
#include "wrap.h"

/*
 * COFFER_TEST_PAUSE_AT=login-after-kdf: the race tests stop a login here,
 * its KDF done, while others lock, zeroize or rekey. With
 * COFFER_TEST_PAUSE_DIR the stop is a handshake, so a loaded machine
 * cannot reorder it: DIR/reached is made on arrival and the login goes on
 * when DIR/go exists (two minutes at most); without it, two seconds.
 */
static void
test_pause(const char *point)
{
	const char *at = getenv("COFFER_TEST_PAUSE_AT");
	const char *dir = getenv("COFFER_TEST_PAUSE_DIR");
	char path[4096];
	int fd, i;

	if (at == NULL || strcmp(at, point) != 0)
		return;
	if (dir == NULL) {
		sleep(2);
		return;
	}
	snprintf(path, sizeof(path), "%s/reached", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/go", dir);
	for (i = 0; i < 1200 && access(path, F_OK) != 0; i++)
		usleep(100000);
}

static const char *const names[] = { "so", "po", "co", "cu" };

int
role_parse(const char *name, int *rolep)
{
	static const struct {
		const char *name;
		int role;
	} alias[] = {
		{ "so", ROLE_SO }, { "hsm-so", ROLE_SO },
		{ "po", ROLE_PO }, { "partition-so", ROLE_PO },
		{ "co", ROLE_CO }, { "crypto-officer", ROLE_CO },
		{ "cu", ROLE_CU }, { "crypto-user", ROLE_CU },
	};
	size_t i;

	for (i = 0; i < sizeof(alias) / sizeof(alias[0]); i++) {
		if (strcmp(name, alias[i].name) == 0) {
			*rolep = alias[i].role;
			return 0;
		}
	}
	err_set_detail("unknown role '%s' (so, po, co, cu)", name);
	return CE_INVALID;
}

const char *
role_name(int role)
{
	return role >= 0 && role <= ROLE_CU ? names[role] : "?";
}

struct hsm *session_hsm(const struct session *s) { return s->h; }
int session_role(const struct session *s) { return s->role; }
int64_t session_partition_id(const struct session *s) { return s->pid; }
uint64_t session_serial(const struct session *s) { return s->serial; }
const char *session_label(const struct session *s) { return s->label; }
int session_version(const struct session *s) { return s->version; }
const struct secret *session_psk(const struct session *s) { return s->psk; }

void
session_close(struct session *s)
{
	if (s == NULL)
		return;
	secret_free(s->psk);
	secret_free(s->dsk);
	secret_free(s->smk);
	sks_blob_keys_free(s->smk_keys);
	buf_free(s->sks_rec);
	buf_free(s->sks_blob);
	free(s);
}

int
role_status_get(struct hsm *h, int64_t pid, struct role_status st[3])
{
	sqlite3_stmt *q;
	int r, rc, i;

	for (i = 0; i < 3; i++) {
		memset(&st[i], 0, sizeof(st[i]));
		st[i].role = ROLE_PO + i;
	}
	if ((r = store_prepare(h->st, "SELECT r.role, r.fail, r.locked, "
	    "r.psk_wrap IS NOT NULL, EXISTS (SELECT 1 FROM activation a WHERE "
	    "a.partition_id = r.partition_id AND a.role = r.role) FROM role r "
	    "WHERE r.partition_id = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, pid);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		i = sqlite3_column_int(q, 0) - ROLE_PO;
		if (i < 0 || i > 2)
			continue;
		st[i].initialized = 1;
		st[i].failures = sqlite3_column_int(q, 1);
		st[i].locked = sqlite3_column_int(q, 2);
		st[i].holds_psk = sqlite3_column_int(q, 3);
		st[i].activated = sqlite3_column_int(q, 4);
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : store_err(h->st, rc);
}

/*
 * The role row: KDF, salt and wraps. role_key NULL: the form of schema 3
 * and before (the PSK wrapped under the KEK itself), converted at the
 * role's next login; otherwise role_key holds the role's X25519 private
 * key under the KEK and psk_wrap the PSK sealed to pub.
 */
struct role_row {
	int kdf;
	uint8_t salt[KDF_SALT_LEN];
	struct buf *psk_wrap;
	struct buf *dsk_wrap;
	struct buf *role_key;
	uint8_t pub[CC_X25519_LEN];
	int fail;
	int locked;
};

static void
role_row_clear(struct role_row *rr)
{
	buf_free(rr->psk_wrap);
	buf_free(rr->dsk_wrap);
	buf_free(rr->role_key);
	memset(rr, 0, sizeof(*rr));
}

static int
column_buf(sqlite3_stmt *q, int i, struct buf **bp)
{
	*bp = NULL;
	if (sqlite3_column_type(q, i) != SQLITE_BLOB)
		return 0;
	if ((*bp = buf_from(sqlite3_column_blob(q, i),
	    (size_t)sqlite3_column_bytes(q, i))) == NULL)
		return CE_NOMEM;
	return 0;
}

static int
role_row_get(struct hsm *h, int64_t pid, int role, struct role_row *rr)
{
	sqlite3_stmt *q;
	int r, rc;

	memset(rr, 0, sizeof(*rr));
	if ((r = store_prepare(h->st, "SELECT kdf, salt, psk_wrap, dsk_wrap, "
	    "fail, locked, role_key, role_pub FROM role WHERE partition_id = ? "
	    "AND role = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, pid);
	sqlite3_bind_int(q, 2, role);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? CE_NOT_FOUND : store_err(h->st, rc);
		goto out;
	}
	rr->kdf = sqlite3_column_int(q, 0);
	if (sqlite3_column_bytes(q, 1) != KDF_SALT_LEN) {
		r = CE_INTEGRITY;
		goto out;
	}
	memcpy(rr->salt, sqlite3_column_blob(q, 1), KDF_SALT_LEN);
	if ((r = column_buf(q, 2, &rr->psk_wrap)) != 0 ||
	    (r = column_buf(q, 3, &rr->dsk_wrap)) != 0 ||
	    (r = column_buf(q, 6, &rr->role_key)) != 0)
		goto out;
	rr->fail = sqlite3_column_int(q, 4);
	rr->locked = sqlite3_column_int(q, 5);
	if (rr->role_key != NULL) {
		if (sqlite3_column_bytes(q, 7) != CC_X25519_LEN) {
			err_set_detail("the %s key pair in hsm.db is damaged",
			    role_name(role));
			r = CE_INTEGRITY;
			goto out;
		}
		memcpy(rr->pub, sqlite3_column_blob(q, 7), CC_X25519_LEN);
	}
	r = 0;
 out:
	sqlite3_reset(q);
	if (r != 0)
		role_row_clear(rr);
	return r;
}

static int
open_wrap(const struct secret *kek, const char *purpose, uint64_t serial,
    int role, const struct buf *w, struct secret **kp)
{
	if (w == NULL)
		return CE_NOT_FOUND;
	return wrap_open(secret_ptr(kek), purpose, serial, (uint64_t)role,
	    NULL, 0, buf_ptr(w), buf_len(w), kp);
}

/*
 * Opens the PSK of a role row: sealed to the role's public key (sk is the
 * private key, opened from role_key) or, in a row from before schema 4,
 * wrapped under the KEK itself.
 */
static int
role_psk_open(const struct role_row *rr, const struct secret *sk,
    const struct secret *kek, uint64_t serial, int role, struct secret **pskp)
{
	if (rr->psk_wrap == NULL)
		return CE_NOT_FOUND;
	if (rr->role_key == NULL)
		return open_wrap(kek, WRAP_PSK, serial, role, rr->psk_wrap, pskp);
	return wrap_open_pub(secret_ptr(sk), rr->pub, WRAP_PSK_PUB, serial,
	    (uint64_t)role, buf_ptr(rr->psk_wrap), buf_len(rr->psk_wrap), pskp);
}

void
role_wraps_clear(struct role_wraps *w)
{
	buf_free(w->psk);
	buf_free(w->key);
	memset(w, 0, sizeof(*w));
}

int
role_wraps_make(const struct secret *kek, uint64_t serial, int role,
    const struct secret *psk, struct role_wraps *w)
{
	struct secret *sk;
	int r;

	memset(w, 0, sizeof(*w));
	if ((sk = secret_new(CC_X25519_LEN)) == NULL)
		return CE_NOMEM;
	cc_random(secret_ptr(sk), CC_X25519_LEN);
	if ((r = cc_x25519_public(secret_ptr(sk), w->pub)) != 0 ||
	    (r = wrap_seal(secret_ptr(kek), WRAP_ROLE_KEY, serial,
	    (uint64_t)role, NULL, 0, secret_ptr(sk), CC_X25519_LEN,
	    &w->key)) != 0)
		goto out;
	if (psk != NULL)
		r = wrap_seal_pub(w->pub, WRAP_PSK_PUB, serial, (uint64_t)role,
		    secret_ptr(psk), secret_len(psk), &w->psk);
 out:
	secret_free(sk);
	if (r != 0)
		role_wraps_clear(w);
	return r;
}

/* Opens the DSK wrapped under the PSK in the partition row. */
static int
dsk_from_psk(struct hsm *h, int64_t pid, uint64_t serial,
    const struct secret *psk, struct secret **dskp)
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = store_prepare(h->st, "SELECT dsk_wrap FROM partition WHERE "
	    "id = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, pid);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW ||
	    sqlite3_column_type(q, 0) != SQLITE_BLOB) {
		r = rc == SQLITE_ROW ? CE_INTEGRITY : store_err(h->st, rc);
		goto out;
	}
	r = wrap_open(secret_ptr(psk), WRAP_DSK_PSK, serial, 0, NULL, 0,
	    sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0), dskp);
	if (r == CE_AUTH_TAG) {
		err_set_detail("the partition's domain key wrap does not open: "
		    "hsm.db was altered");
		r = CE_INTEGRITY;
	}
 out:
	sqlite3_reset(q);
	return r;
}

static int
hsm_policy15(struct hsm *h, int *onp)
{
	struct hsm_info in;
	int r;

	if ((r = hsm_get_info(h, &in)) != 0)
		return r;
	*onp = in.so_reset_pin;
	return 0;
}

int
role_login_failed_tx(struct hsm *h, int64_t pid, uint64_t serial,
    const char *label, int role, const char *how)
{
	sqlite3_stmt *q;
	struct audit_event ev;
	char detail[128];
	int r, rc, fails, lockout;

	if ((r = store_prepare(h->st, "UPDATE role SET fail = fail + 1 WHERE "
	    "partition_id = ? AND role = ? RETURNING fail, (SELECT lockout "
	    "FROM partition WHERE id = ?)", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, pid);
	sqlite3_bind_int(q, 2, role);
	sqlite3_bind_int64(q, 3, pid);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_reset(q);
		return store_err(h->st, rc);
	}
	fails = sqlite3_column_int(q, 0);
	lockout = sqlite3_column_int(q, 1);
	sqlite3_reset(q);
	hsm_event(&ev, "login", 0);
	ev.role = role_name(role);
	ev.partition = label;
	ev.serial = serial;
	snprintf(detail, sizeof(detail), "failure %d of %d%s%s", fails, lockout,
	    how != NULL ? ", " : "", how != NULL ? how : "");
	ev.detail = detail;
	if ((r = hsm_audit_tx(h, &ev)) != 0)
		return r;
	if (fails < lockout) {
		err_set_detail("%s login to '%s' failed%s%s (%d of %d before %s)",
		    role_name(role), label, how != NULL ? ": " : "",
		    how != NULL ? how : "", fails, lockout,
		    role == ROLE_PO ? "the partition zeroizes" :
		    "the role locks");
		return CE_BAD_CREDENTIAL;
	}
	if (role == ROLE_PO) {
		if ((r = partition_zeroize_tx(h, pid, label, serial,
		    "PO login failure limit reached")) != 0)
			return r;
		err_set_detail("%d failed PO logins: partition '%s' was "
		    "zeroized", fails, label);
		return CE_ZEROIZED;
	}
	/* CO failures lock the CO and the CU; CU failures the CU. */
	if ((r = store_prepare(h->st, "UPDATE role SET locked = 1 WHERE "
	    "partition_id = ? AND (role = ? OR role = ?)", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, pid);
	sqlite3_bind_int(q, 2, role);
	sqlite3_bind_int(q, 3, ROLE_CU);
	if ((r = hsm_step_done(h, q)) != 0)
		return r;
	if ((r = hsm_audit_part(h, "lockout", 1, role_name(role), label,
	    serial, role == ROLE_CO ? "CO and CU locked" : "CU locked")) != 0)
		return r;
	/* Someone may be guessing a challenge secret: a locked role loses its
	 * activation, so unlocking it does not reopen the guessing. */
	if ((r = activation_drop_tx(h, pid, serial, label, role,
	    "role locked out")) != 0 ||
	    (role == ROLE_CO && (r = activation_drop_tx(h, pid, serial, label,
	    ROLE_CU, "role locked out")) != 0))
		return r;
	err_set_detail("%d failed %s logins: %s locked; the PO can unlock it "
	    "when HSM policy 15 is on", fails, role_name(role),
	    role == ROLE_CO ? "CO and CU are" : "the CU is");
	return CE_LOCKED;
}

/* A session of role on partition pid, no keys yet. */
static int
session_new(struct hsm *h, int64_t pid, uint64_t serial, int role,
    int version, const char *label, struct session **sp)
{
	struct session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CE_NOMEM;
	s->h = h;
	s->pid = pid;
	s->serial = serial;
	s->role = role;
	s->version = version;
	snprintf(s->label, sizeof(s->label), "%s", label);
	*sp = s;
	return 0;
}

/* A good login, inside its transaction: the failure count goes back to
 * zero and the login is audited with how it came. */
static int
login_succeeded_tx(struct hsm *h, int64_t pid, uint64_t serial,
    const char *label, int role, const char *how)
{
	sqlite3_stmt *q;
	int r;

	if ((r = store_prepare(h->st, "UPDATE role SET fail = 0 WHERE "
	    "partition_id = ? AND role = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, pid);
	sqlite3_bind_int(q, 2, role);
	if ((r = hsm_step_done(h, q)) != 0)
		return r;
	return hsm_audit_part(h, "login", 1, role_name(role), label, serial,
	    how);
}

int
session_login(struct hsm *h, const char *label, int role,
    const struct secret *cred, struct session **sp)
{
	return session_login_how(h, label, role, cred, NULL, sp);
}

/* 1 when both are absent or hold the same bytes. */
static int
buf_same(const struct buf *a, const struct buf *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return buf_len(a) == buf_len(b) &&
	    memcmp(buf_ptr(a), buf_ptr(b), buf_len(a)) == 0;
}

int
session_psk_current(struct session *s)
{
	uint64_t gen = 0;
	int r;

	if ((r = partition_psk_gen_of(s->h, s->pid, &gen)) != 0)
		return r;
	if (gen != s->psk_gen) {
		err_set_detail("partition '%s' was rekeyed after this session "
		    "logged in; log in again", s->label);
		return CE_BUSY;
	}
	return 0;
}

/*
 * A row from before schema 4, at its role's first good login: the role
 * gets its key pair and the PSK (when it holds it) is sealed to it; the
 * wrap under the KEK goes.
 */
static int
role_convert_tx(struct session *s, const struct secret *kek)
{
	struct role_wraps w;
	sqlite3_stmt *q;
	int r;

	if ((r = role_wraps_make(kek, s->serial, s->role, s->psk, &w)) != 0)
		return r;
	/* a wrap goes: no copy of it may stay in the WAL */
	store_wipe_on_commit(s->h->st);
	if ((r = store_prepare(s->h->st, "UPDATE role SET role_key = ?, "
	    "role_pub = ?, psk_wrap = ? WHERE partition_id = ? AND role = ?",
	    &q)) != 0)
		goto out;
	sqlite3_bind_blob(q, 1, buf_ptr(w.key), (int)buf_len(w.key),
	    SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 2, w.pub, CC_X25519_LEN, SQLITE_TRANSIENT);
	if (w.psk != NULL)
		sqlite3_bind_blob(q, 3, buf_ptr(w.psk), (int)buf_len(w.psk),
		    SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, 3);
	sqlite3_bind_int64(q, 4, s->pid);
	sqlite3_bind_int(q, 5, s->role);
	r = hsm_step_done(s->h, q);
 out:
	role_wraps_clear(&w);
	return r;
}

/*
 * What a login read before its KDF, read again inside the write
 * transaction that will record its outcome. The KDF takes long enough for
 * other logins to lock the role, for the partition to be zeroized or for
 * the credential to change meanwhile; the outcome is decided only on what
 * holds under the write lock, so no login succeeds after a lockout has
 * committed (issue 12).
 */
static int
login_recheck(struct hsm *h, const char *label, int64_t pid,
    uint64_t serial, int role, const struct role_row *before)
{
	struct role_row now;
	int64_t pid2;
	uint64_t serial2;
	int r, state;

	if ((r = partition_lookup(h, label, &pid2, &serial2, &state,
	    NULL)) != 0)
		return r == CE_NOT_FOUND ? CE_ZEROIZED : r;
	if (pid2 != pid || serial2 != serial ||
	    state != PARTITION_INITIALIZED) {
		err_set_detail("partition '%s' was zeroized or re-created while "
		    "this login ran", label);
		return CE_ZEROIZED;
	}
	if ((r = role_row_get(h, pid, role, &now)) != 0)
		return r == CE_NOT_FOUND ? CE_ZEROIZED : r;
	if (now.locked) {
		err_set_detail("the %s of partition '%s' was locked out while "
		    "this login ran", role_name(role), label);
		r = CE_LOCKED;
	} else if (now.kdf != before->kdf || memcmp(now.salt, before->salt,
	    KDF_SALT_LEN) != 0) {
		err_set_detail("the %s credential of partition '%s' changed "
		    "while this login ran; log in again", role_name(role),
		    label);
		r = CE_BUSY;
	} else if (!buf_same(now.psk_wrap, before->psk_wrap) ||
	    !buf_same(now.role_key, before->role_key)) {
		/* a rekey (or a conversion) committed: the PSK opened from the
		 * wrap read before the KDF is no longer the partition's */
		err_set_detail("the keys of partition '%s' changed while this "
		    "login ran (a rekey); log in again", label);
		r = CE_BUSY;
	}
	role_row_clear(&now);
	return r;
}

int
session_login_how(struct hsm *h, const char *label, int role,
    const struct secret *cred, const char *how, struct session **sp)
{
	struct session *s = NULL;
	struct role_row rr;
	struct secret *kek = NULL, *k = NULL, *sk = NULL;
	sqlite3_stmt *q;
	int64_t pid;
	uint64_t serial;
	int r, ur, state, version, own = 0, keep = 0, p15 = 0;

	memset(&rr, 0, sizeof(rr));
	if (role < ROLE_PO || role > ROLE_CU) {
		err_set_detail("partition roles are po, co and cu");
		return CE_INVALID;
	}
	if ((r = partition_lookup(h, label, &pid, &serial, &state,
	    &version)) != 0)
		return r;
	if (state != PARTITION_INITIALIZED) {
		err_set_detail("partition '%s' is not initialized; its PO runs "
		    "'hsm partition init'", label);
		return CE_ZEROIZED;
	}
	if ((r = role_row_get(h, pid, role, &rr)) != 0) {
		if (r == CE_NOT_FOUND)
			err_set_detail("the %s of partition '%s' is not "
			    "initialized ('hsm role init')", role_name(role),
			    label);
		return r;
	}
	if (rr.locked) {
		err_set_detail("the %s of partition '%s' is locked out; the PO "
		    "can unlock it when HSM policy 15 is on", role_name(role),
		    label);
		r = CE_LOCKED;
		goto out;
	}
	if ((r = wrap_kek(cred, rr.kdf, rr.salt, &kek)) != 0)
		goto out;
	if ((r = session_new(h, pid, serial, role, version, label, &s)) != 0)
		goto out;
	/* The credential is right when the wrap it keys opens: the PO's
	 * DSK, another role's private key (its PSK before schema 4). */
	if (role == ROLE_PO)
		ur = open_wrap(kek, WRAP_DSK_ROLE, serial, role, rr.dsk_wrap,
		    &s->dsk);
	else if (rr.role_key != NULL)
		ur = open_wrap(kek, WRAP_ROLE_KEY, serial, role, rr.role_key,
		    &sk);
	else
		ur = role_psk_open(&rr, NULL, kek, serial, role, &s->psk);
	if (ur == 0 && rr.role_key != NULL && sk == NULL)
		ur = open_wrap(kek, WRAP_ROLE_KEY, serial, role, rr.role_key,
		    &sk);
	if (ur == 0 && role != ROLE_PO && s->psk == NULL)
		ur = role_psk_open(&rr, sk, kek, serial, role, &s->psk);
	if (ur != 0 && ur != CE_AUTH_TAG) {
		r = ur == CE_NOT_FOUND ? CE_INTEGRITY : ur;
		goto out;
	}
	if (ur == CE_AUTH_TAG && sk != NULL) {
		/* the credential opened the role's key: the PSK sealed to it
		 * does not open, so hsm.db was altered */
		err_set_detail("the %s's partition key wrap in hsm.db does not "
		    "open under its key pair: hsm.db was altered",
		    role_name(role));
		r = CE_INTEGRITY;
		goto out;
	}
	test_pause("login-after-kdf");
	if ((r = hsm_tx_enter(h, &own)) != 0)
		goto out;
	if ((r = login_recheck(h, label, pid, serial, role, &rr)) != 0)
		goto out;
	if (ur == CE_AUTH_TAG) {
		keep = 1;
		r = role_login_failed_tx(h, pid, serial, label, role, how);
		goto out;
	}
	/* Good credential. */
	if (role == ROLE_PO) {
		if ((r = hsm_policy15(h, &p15)) != 0)
			goto out;
		if (rr.psk_wrap != NULL &&
		    (r = role_psk_open(&rr, sk, kek, serial, role,
		    &s->psk)) != 0) {
			if (r == CE_AUTH_TAG) {
				err_set_detail("the PO's partition key wrap in "
				    "hsm.db does not open: hsm.db was altered");
				r = CE_INTEGRITY;
			}
			goto out;
		}
		if (s->psk != NULL && !p15) {
			struct role_status st[3];

			/* Policy 15 is off: once a CO exists the PO keeps no
			 * way to the objects. */
			if ((r = role_status_get(h, pid, st)) != 0)
				goto out;
			if (st[1].initialized) {
				if ((r = store_prepare(h->st, "UPDATE role SET "
				    "psk_wrap = NULL WHERE partition_id = ? AND "
				    "role = ?", &q)) != 0)
					goto out;
				sqlite3_bind_int64(q, 1, pid);
				sqlite3_bind_int(q, 2, ROLE_PO);
				if ((r = hsm_step_done(h, q)) != 0)
					goto out;
				secret_free(s->psk);
				s->psk = NULL;
			}
		}
	} else if ((r = dsk_from_psk(h, pid, serial, s->psk, &s->dsk)) != 0)
		goto out;
	if ((r = partition_psk_gen_of(h, pid, &s->psk_gen)) != 0 ||
	    (rr.role_key == NULL && (r = role_convert_tx(s, kek)) != 0))
		goto out;
	if ((r = login_succeeded_tx(h, pid, serial, label, role, how)) != 0)
		goto out;
	*sp = s;
	s = NULL;
	r = 0;
 out:
	r = hsm_tx_leave(h, own, r, keep);
	if (r == CE_ZEROIZED && own)
		hsm_checkpoint(h);
	session_close(s);
	secret_free(kek);
	secret_free(k);
	secret_free(sk);
	role_row_clear(&rr);
	return r;
}

int
session_login_keys(struct hsm *h, const char *label, int role,
    const struct secret *psk, uint64_t gen, const char *how,
    struct session **sp)
{
	struct session *s = NULL;
	struct role_row rr;
	uint64_t serial, now_gen = 0;
	int64_t pid;
	int r, state, version, own = 0;

	memset(&rr, 0, sizeof(rr));
	if (role != ROLE_CO && role != ROLE_CU)
		return CE_INVALID;
	if ((r = hsm_tx_enter(h, &own)) != 0)
		return r;
	if ((r = partition_lookup(h, label, &pid, &serial, &state,
	    &version)) != 0)
		goto out;
	if (state != PARTITION_INITIALIZED) {
		err_set_detail("partition '%s' is not initialized", label);
		r = CE_ZEROIZED;
		goto out;
	}
	if ((r = role_row_get(h, pid, role, &rr)) != 0)
		goto out;
	if (rr.locked) {
		err_set_detail("the %s of partition '%s' is locked out",
		    role_name(role), label);
		r = CE_LOCKED;
		goto out;
	}
	if ((r = partition_psk_gen_of(h, pid, &now_gen)) != 0)
		goto out;
	if (now_gen != gen) {
		err_set_detail("partition '%s' was rekeyed after the %s was "
		    "activated: activate it again with its shares", label,
		    role_name(role));
		r = CE_BUSY;
		goto out;
	}
	if ((r = session_new(h, pid, serial, role, version, label, &s)) != 0)
		goto out;
	s->psk_gen = gen;
	s->by_challenge = 1;
	if ((s->psk = secret_dup(psk)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = dsk_from_psk(h, pid, serial, s->psk, &s->dsk)) != 0)
		goto out;
	if ((r = login_succeeded_tx(h, pid, serial, label, role, how)) != 0)
		goto out;
	*sp = s;
	s = NULL;
 out:
	r = hsm_tx_leave(h, own, r, 0);
	session_close(s);
	role_row_clear(&rr);
	return r;
}

/*
 * The activation rows a role's lockout and credential changes must drop:
 * kept here, below lib/activation.c in the layers, because role lockout
 * needs them (docs/architecture.md "Layers").
 */
int
activation_need_shares(const struct session *s, const char *what)
{
	if (!s->by_challenge)
		return 0;
	err_set_detail("%s needs the %s's shares, not the activation "
	    "challenge", what, role_name(s->role));
	return CE_POLICY;
}

/* Deletes the activation of role; *wasp says whether there was one. */
int
activation_drop_was_tx(struct hsm *h, int64_t pid, uint64_t serial, const char *label,
    int role, const char *why, int *wasp)
{
	sqlite3_stmt *q;
	int r;

	*wasp = 0;
	/* a wrap goes: no copy of it may stay in the WAL */
	store_wipe_on_commit(hsm_store(h));
	if ((r = store_prepare(hsm_store(h), "DELETE FROM activation WHERE "
	    "partition_id = ? AND role = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, pid);
	sqlite3_bind_int(q, 2, role);
	if ((r = hsm_step_done(h, q)) != 0)
		return r;
	if (sqlite3_changes(store_db(hsm_store(h))) == 0)
		return 0;
	*wasp = 1;
	return hsm_audit_part(h, "deactivate", 1, role_name(role), label,
	    serial, why);
}

int
activation_drop_tx(struct hsm *h, int64_t pid, uint64_t serial,
    const char *label, int role, const char *why)
{
	int was;

	return activation_drop_was_tx(h, pid, serial, label, role, why, &was);
}

int
role_wrap_key(const struct secret *kek, const char *purpose, uint64_t serial,
    int role, const struct secret *key, struct buf **outp)
{
	return wrap_seal(secret_ptr(kek), purpose, serial, (uint64_t)role,
	    NULL, 0, secret_ptr(key), secret_len(key), outp);
}

/* Writes (insert or replace) a role row holding the given wraps. */
int
role_row_put(struct hsm *h, int64_t pid, int role, int kdf,
    const uint8_t salt[KDF_SALT_LEN], const struct role_wraps *w,
    const struct buf *dsk_wrap)
{
	const struct buf *psk_wrap = w->psk;
	sqlite3_stmt *q;
	int r;

	/* a wrap goes: no copy of it may stay in the WAL */
	store_wipe_on_commit(h->st);
	if ((r = store_prepare(h->st, "INSERT OR REPLACE INTO role "
	    "(partition_id, role, kdf, salt, psk_wrap, dsk_wrap, fail, locked, "
	    "role_key, role_pub) VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?, ?)",
	    &q)) != 0)
		return r;
	sqlite3_bind_blob(q, 7, buf_ptr(w->key), (int)buf_len(w->key),
	    SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 8, w->pub, CC_X25519_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 1, pid);
	sqlite3_bind_int(q, 2, role);
	sqlite3_bind_int(q, 3, kdf);
	sqlite3_bind_blob(q, 4, salt, KDF_SALT_LEN, SQLITE_TRANSIENT);
	if (psk_wrap != NULL)
		sqlite3_bind_blob(q, 5, buf_ptr(psk_wrap), (int)buf_len(psk_wrap),
		    SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, 5);
	if (dsk_wrap != NULL)
		sqlite3_bind_blob(q, 6, buf_ptr(dsk_wrap), (int)buf_len(dsk_wrap),
		    SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, 6);
	return hsm_step_done(h, q);
}

int
role_kdf_mac(const struct secret *dsk, uint64_t serial, int kdf,
    uint8_t out[ROLE_KDF_MAC_LEN])
{
	static const char info[] = "coffer-partition-kdf-mac 1";
	uint8_t key[CC_HASH_LEN], msg[9], mac[CC_HASH_LEN];
	int r, i;

	for (i = 0; i < 8; i++)
		msg[i] = (uint8_t)(serial >> (56 - 8 * i));
	msg[8] = (uint8_t)kdf;
	if ((r = cc_hkdf_sha384(NULL, 0, secret_ptr(dsk), secret_len(dsk),
	    info, sizeof(info) - 1, key, sizeof(key))) == 0 &&
	    (r = cc_hmac_sha384(key, sizeof(key), msg, sizeof(msg), mac)) == 0)
		memcpy(out, mac, ROLE_KDF_MAC_LEN);
	sodium_memzero(key, sizeof(key));
	return r;
}

/*
 * The partition's KDF profile for a new credential, checked against the
 * MAC under the DSK (every role holds it; the PO holds the PSK only with
 * HSM policy 15): a write to hsm.db that switches it (to `test`, say)
 * is refused instead of weakening every credential set from then on. A
 * partition from before schema 3 gets its MAC at the first use.
 */
static int
partition_kdf(struct session *s, int *kdfp)
{
	struct hsm *h = s->h;
	uint8_t want[ROLE_KDF_MAC_LEN];
	sqlite3_stmt *q;
	int r, rc, have = 0, ok = 0, own;

	if ((r = store_prepare(h->st, "SELECT kdf, kdf_mac FROM partition "
	    "WHERE id = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, s->pid);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_reset(q);
		return store_err(h->st, rc);
	}
	*kdfp = sqlite3_column_int(q, 0);
	if ((r = role_kdf_mac(s->dsk, s->serial, *kdfp, want)) == 0 &&
	    sqlite3_column_type(q, 1) == SQLITE_BLOB) {
		have = 1;
		ok = sqlite3_column_bytes(q, 1) == ROLE_KDF_MAC_LEN &&
		    cc_memeq(sqlite3_column_blob(q, 1), want, sizeof(want));
	}
	sqlite3_reset(q);
	if (r != 0)
		return r;
	if (have && !ok) {
		err_set_detail("the partition's KDF profile in hsm.db does not "
		    "match its MAC: it was changed outside Coffer; no "
		    "credential is set under it (restore hsm.db from a good "
		    "copy, or investigate)");
		return CE_INTEGRITY;
	}
	if (have)
		return 0;
	if ((r = hsm_tx_enter(h, &own)) != 0)
		return r;
	if ((r = store_prepare(h->st, "UPDATE partition SET kdf_mac = ? "
	    "WHERE id = ? AND kdf_mac IS NULL", &q)) == 0) {
		sqlite3_bind_blob(q, 1, want, sizeof(want), SQLITE_TRANSIENT);
		sqlite3_bind_int64(q, 2, s->pid);
		r = hsm_step_done(h, q);
	}
	return hsm_tx_leave(h, own, r, 0);
}

int
role_init(struct session *s, int role, const struct secret *cred)
{
	struct hsm *h = s->h;
	struct secret *kek = NULL;
	struct role_wraps w;
	struct role_status st[3];
	sqlite3_stmt *q;
	uint8_t salt[KDF_SALT_LEN];
	int r, own = 0, kdf, p15, reset;

	if (!((s->role == ROLE_PO && role == ROLE_CO) ||
	    (s->role == ROLE_CO && role == ROLE_CU))) {
		err_set_detail("the PO initializes the CO and the CO the CU");
		return CE_PERMISSION;
	}
	if ((r = activation_need_shares(s, "setting a credential")) != 0)
		return r;
	if ((r = role_status_get(h, s->pid, st)) != 0 ||
	    (r = hsm_policy15(h, &p15)) != 0 ||
	    (r = partition_kdf(s, &kdf)) != 0)
		return r;
	reset = st[role - ROLE_PO].initialized;
	if (reset && role == ROLE_CO && !p15) {
		err_set_detail("the CO is already initialized; the PO may reset "
		    "it only when HSM policy 15 is on");
		return CE_POLICY;
	}
	if (s->psk == NULL) {
		err_set_detail("the PO no longer holds the partition key (HSM "
		    "policy 15 was off when the CO was initialized)");
		return CE_POLICY;
	}
	memset(&w, 0, sizeof(w));
	cc_random(salt, sizeof(salt));
	if ((r = wrap_kek(cred, kdf, salt, &kek)) != 0 ||
	    (r = role_wraps_make(kek, s->serial, role, s->psk, &w)) != 0)
		goto out;
	if ((r = hsm_tx_enter(h, &own)) != 0)
		goto out;
	/* the PSK sealed for the role must be the partition's (a rekey) */
	if ((r = session_psk_current(s)) != 0)
		goto out;
	/* A reset credential leaves no cached old one behind. */
	if (reset && (r = activation_drop_tx(h, s->pid, s->serial, s->label,
	    role, "credential reset")) != 0)
		goto out;
	if ((r = role_row_put(h, s->pid, role, kdf, salt, &w, NULL)) != 0)
		goto out;
	if (role == ROLE_CO && !p15) {
		/* From now on only the CO and CU reach the objects. */
		/* a wrap goes: no copy of it may stay in the WAL */
		store_wipe_on_commit(h->st);
		if ((r = store_prepare(h->st, "UPDATE role SET psk_wrap = NULL "
		    "WHERE partition_id = ? AND role = ?", &q)) != 0)
			goto out;
		sqlite3_bind_int64(q, 1, s->pid);
		sqlite3_bind_int(q, 2, ROLE_PO);
		if ((r = hsm_step_done(h, q)) != 0)
			goto out;
	}
	r = hsm_audit_part(h, reset ? "role-reset" : "role-init", 1,
	    role_name(s->role), s->label, s->serial,
	    role == ROLE_CO ? "CO credential set" : "CU credential set");
 out:
	r = hsm_tx_leave(h, own, r, 0);
	if (r == 0 && role == ROLE_CO && !p15) {
		secret_free(s->psk);
		s->psk = NULL;
	}
	secret_free(kek);
	role_wraps_clear(&w);
	return r;
}

int
role_change(struct session *s, const struct secret *newcred)
{
	struct hsm *h = s->h;
	struct secret *kek = NULL;
	struct buf *dw = NULL;
	struct role_wraps w;
	uint8_t salt[KDF_SALT_LEN];
	int r, own = 0, kdf;

	memset(&w, 0, sizeof(w));
	if ((r = activation_need_shares(s, "changing a credential")) != 0 ||
	    (r = partition_kdf(s, &kdf)) != 0)
		return r;
	cc_random(salt, sizeof(salt));
	/* A new key pair too: the old credential's private key, in an old
	 * copy of hsm.db, opens nothing sealed from now on (a rekey). */
	if ((r = wrap_kek(newcred, kdf, salt, &kek)) != 0 ||
	    (r = role_wraps_make(kek, s->serial, s->role, s->psk, &w)) != 0)
		goto out;
	if (s->role == ROLE_PO && (r = role_wrap_key(kek, WRAP_DSK_ROLE,
	    s->serial, s->role, s->dsk, &dw)) != 0)
		goto out;
	if ((r = hsm_tx_enter(h, &own)) != 0)
		goto out;
	if (s->psk != NULL && (r = session_psk_current(s)) != 0)
		goto out;
	/* The cached secret would be the old one: drop it. */
	if ((r = activation_drop_tx(h, s->pid, s->serial, s->label, s->role,
	    "credential changed")) != 0)
		goto out;
	if ((r = role_row_put(h, s->pid, s->role, kdf, salt, &w, dw)) != 0)
		goto out;
	r = hsm_audit_part(h, "credential-change", 1, role_name(s->role),
	    s->label, s->serial, NULL);
 out:
	r = hsm_tx_leave(h, own, r, 0);
	secret_free(kek);
	role_wraps_clear(&w);
	buf_free(dw);
	return r;
}

int
role_unlock(struct session *s, int role)
{
	struct hsm *h = s->h;
	sqlite3_stmt *q;
	int r, own = 0, p15;

	if (s->role != ROLE_PO || (role != ROLE_CO && role != ROLE_CU)) {
		err_set_detail("the PO unlocks the CO or the CU");
		return CE_PERMISSION;
	}
	if ((r = hsm_policy15(h, &p15)) != 0)
		return r;
	if (!p15) {
		err_set_detail("HSM policy 15 (SO can reset partition PIN) is "
		    "off; the HSM SO must turn it on first");
		return CE_POLICY;
	}
	if ((r = hsm_tx_enter(h, &own)) != 0)
		return r;
	if ((r = store_prepare(h->st, "UPDATE role SET locked = 0, fail = 0 "
	    "WHERE partition_id = ? AND (role = ? OR role = ?)", &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, s->pid);
	sqlite3_bind_int(q, 2, role);
	sqlite3_bind_int(q, 3, ROLE_CU);
	if ((r = hsm_step_done(h, q)) != 0)
		goto out;
	r = hsm_audit_part(h, "unlock", 1, "po", s->label, s->serial,
	    role == ROLE_CO ? "CO and CU unlocked" : "CU unlocked");
 out:
	return hsm_tx_leave(h, own, r, 0);
}

int
role_psk_reseal_tx(struct hsm *h, int64_t pid, uint64_t serial,
    const char *label, const struct secret *newpsk, int *np)
{
	struct role_row rr;
	struct buf *w = NULL;
	sqlite3_stmt *q;
	int r = 0, role;

	*np = 0;
	for (role = ROLE_PO; role <= ROLE_CU && r == 0; role++) {
		if ((r = role_row_get(h, pid, role, &rr)) == CE_NOT_FOUND) {
			r = 0;
			continue;
		}
		if (r != 0)
			break;
		if (rr.psk_wrap == NULL)
			goto next;
		if (rr.role_key == NULL) {
			/* a guard: partition_rekey checks before it begins */
			err_set_detail("the %s of partition '%s' has no key pair "
			    "yet: log in once as %s", role_name(role), label,
			    role_name(role));
			r = CE_POLICY;
			goto next;
		}
		if ((r = wrap_seal_pub(rr.pub, WRAP_PSK_PUB, serial,
		    (uint64_t)role, secret_ptr(newpsk), secret_len(newpsk),
		    &w)) != 0 ||
		    (r = store_prepare(h->st, "UPDATE role SET psk_wrap = ? "
		    "WHERE partition_id = ? AND role = ?", &q)) != 0)
			goto next;
		sqlite3_bind_blob(q, 1, buf_ptr(w), (int)buf_len(w),
		    SQLITE_TRANSIENT);
		sqlite3_bind_int64(q, 2, pid);
		sqlite3_bind_int(q, 3, role);
		if ((r = hsm_step_done(h, q)) == 0)
			(*np)++;
 next:
		buf_free(w);
		w = NULL;
		role_row_clear(&rr);
	}
	return r;
}
