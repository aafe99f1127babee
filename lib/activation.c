#include <stdio.h>
#include <string.h>
#include <time.h>

#include "activation.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "hsm_int.h"
#include "kdf.h"
#include "partition.h"
#include "role.h"
#include "secret.h"
#include "store.h"
#include "wrap.h"

/* Refuses roles that can never be activated, with the reason. */
static int
activatable(int role)
{
	if (role == ROLE_CO || role == ROLE_CU)
		return 0;
	if (role == ROLE_PO)
		err_set_detail("the partition SO can never be activated: it "
		    "always logs in with its shares");
	else
		err_set_detail("only the CO and the CU can be activated");
	return CE_POLICY;
}

/*
 * The partition's id, serial and KDF profile; it must be initialized, and
 * its activation policy on (CE_POLICY naming the policy otherwise).
 */
static int
partition_row(struct hsm *h, const char *label, int64_t *pidp,
    uint64_t *serialp, int *kdfp)
{
	sqlite3_stmt *q;
	int r, rc, state, allowed = 0;

	if ((r = partition_lookup(h, label, pidp, serialp, &state, NULL)) != 0)
		return r;
	if (state != PARTITION_INITIALIZED) {
		err_set_detail("partition '%s' is not initialized", label);
		return CE_ZEROIZED;
	}
	if ((r = store_prepare(hsm_store(h), "SELECT kdf, allow_activation "
	    "FROM partition WHERE id = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, *pidp);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		*kdfp = sqlite3_column_int(q, 0);
		allowed = sqlite3_column_int(q, 1);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW)
		return store_err(hsm_store(h), rc);
	if (!allowed) {
		err_set_detail("partition '%s' does not allow activation: its PO "
		    "turns the 'activation' partition policy on, or log in with "
		    "the shares", label);
		return CE_POLICY;
	}
	return 0;
}

static int
require_ped(struct hsm *h)
{
	int r;

	if ((r = hsm_is_ped(h)) < 0)
		return r;
	if (r == 0) {
		err_set_detail("activation is for PED HSMs; on a password HSM "
		    "the role logs in with its password");
		return CE_UNSUPPORTED;
	}
	return 0;
}

int
activation_check(struct hsm *h, int role)
{
	int r;

	if ((r = activatable(role)) != 0)
		return r;
	return require_ped(h);
}

/*
 * What an activation caches (docs/formats.md 2.4): the PSK generation
 * (u64) and the PSK, the keys a session of the role uses, never the role's
 * credential. Whoever holds the challenge and hsm.db can use the keys
 * until the activation is dropped, and the partition's next rekey makes a
 * copy taken earlier useless; nobody can administer the role with it.
 */
#define CACHE_LEN (8 + CC_KEY_LEN)

static int
cache_seal(const struct secret *kek, uint64_t serial, int role,
    const struct session *s, struct buf **wp)
{
	struct secret *pt;
	int i, r;

	if (s->psk == NULL || secret_len(s->psk) != CC_KEY_LEN)
		return CE_INTEGRITY;
	if ((pt = secret_new(CACHE_LEN)) == NULL)
		return CE_NOMEM;
	for (i = 0; i < 8; i++)
		secret_ptr(pt)[i] = (uint8_t)(s->psk_gen >> (56 - 8 * i));
	memcpy(secret_ptr(pt) + 8, secret_ptr(s->psk), CC_KEY_LEN);
	r = wrap_seal(secret_ptr(kek), WRAP_ACTIVATION_KEYS, serial,
	    (uint64_t)role, NULL, 0, secret_ptr(pt), CACHE_LEN, wp);
	secret_free(pt);
	return r;
}

/* Stores w as role's activation (kdf and salt of its challenge KEK). */
static int
cache_put_tx(struct hsm *h, int64_t pid, int role, int kdf,
    const uint8_t salt[KDF_SALT_LEN], const struct buf *w)
{
	sqlite3_stmt *q;
	int r;

	if ((r = store_prepare(hsm_store(h), "INSERT OR REPLACE INTO activation"
	    " (partition_id, role, kdf, salt, wrap, created) VALUES "
	    "(?, ?, ?, ?, ?, ?)", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, pid);
	sqlite3_bind_int(q, 2, role);
	sqlite3_bind_int(q, 3, kdf);
	sqlite3_bind_blob(q, 4, salt, KDF_SALT_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 5, buf_ptr(w), (int)buf_len(w), SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 6, (int64_t)time(NULL));
	return hsm_step_done(h, q);
}

int
role_activate(struct hsm *h, const char *label, int role,
    const struct secret *cred, const struct secret *challenge)
{
	struct session *s = NULL;
	struct secret *kek = NULL;
	struct buf *w = NULL;
	sqlite3_stmt *q;
	uint8_t salt[KDF_SALT_LEN];
	uint64_t serial;
	int64_t pid;
	int r, own = 0, kdf, was = 0, rc;

	if ((r = activation_check(h, role)) != 0)
		return r;
	if (secret_len(challenge) < ACTIVATION_CHALLENGE_MIN) {
		err_set_detail("a challenge secret needs at least %d characters",
		    ACTIVATION_CHALLENGE_MIN);
		return CE_INVALID;
	}
	if ((r = partition_row(h, label, &pid, &serial, &kdf)) != 0)
		return r;
	/* The shares must open the role: a wrong set counts as a failure. */
	if ((r = session_login_how(h, label, role, cred, "for activation",
	    &s)) != 0)
		return r;
	cc_random(salt, sizeof(salt));
	if ((r = wrap_kek(challenge, kdf, salt, &kek)) != 0 ||
	    (r = cache_seal(kek, serial, role, s, &w)) != 0)
		goto out;
	if ((r = hsm_tx_enter(h, &own)) != 0)
		goto out;
	if ((r = store_prepare(hsm_store(h), "SELECT count(*) FROM activation "
	    "WHERE partition_id = ? AND role = ?", &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, pid);
	sqlite3_bind_int(q, 2, role);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		was = sqlite3_column_int(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW) {
		r = store_err(hsm_store(h), rc);
		goto out;
	}
	/* an earlier activation's wrap goes: no copy may stay in the WAL */
	store_wipe_on_commit(hsm_store(h));
	if ((r = cache_put_tx(h, pid, role, kdf, salt, w)) != 0)
		goto out;
	r = hsm_audit_part(h, "activate", 1, role_name(role), label, serial,
	    was ? "key-use cache under a new challenge (replaces the earlier "
	    "activation)" : "key-use cache under a challenge");
 out:
	r = hsm_tx_leave(h, own, r, 0);
	session_close(s);
	secret_free(kek);
	buf_free(w);
	return r;
}

int
role_deactivate(struct session *s, int role, int *wasp)
{
	struct hsm *h = s->h;
	char why[64];
	int r, own = 0, was = 0;

	if ((r = activatable(role)) != 0)
		return r;
	if (s->role != role && s->role != ROLE_PO) {
		err_set_detail("the %s itself or the PO deactivates it",
		    role_name(role));
		return CE_PERMISSION;
	}
	snprintf(why, sizeof(why), "deactivated by the %s",
	    role_name(s->role));
	if ((r = hsm_tx_enter(h, &own)) != 0)
		return r;
	r = activation_drop_was_tx(h, s->pid, s->serial, s->label, role, why,
	    &was);
	r = hsm_tx_leave(h, own, r, 0);
	if (r == 0 && wasp != NULL)
		*wasp = was;
	return r;
}

/* An activation opened with its challenge. */
struct opened {
	int64_t pid;
	uint64_t serial;
	int kdf;
	uint8_t salt[KDF_SALT_LEN];
	struct secret *kek;       /* the challenge's KEK */
	struct secret *psk;       /* a key-use cache: the PSK ... */
	uint64_t gen;             /* ... of this generation */
	struct secret *cred;      /* or a cache from before format 2 */
};

static void
opened_clear(struct opened *o)
{
	secret_free(o->kek);
	secret_free(o->psk);
	secret_free(o->cred);
	memset(o, 0, sizeof(*o));
}

/* Opens w: a key-use cache, or (written before it) the role's secret. */
static int
open_wrap_either(struct opened *o, int role, const struct buf *w)
{
	struct secret *pt = NULL;
	int i, r;

	r = wrap_open(secret_ptr(o->kek), WRAP_ACTIVATION_KEYS, o->serial,
	    (uint64_t)role, NULL, 0, buf_ptr(w), buf_len(w), &pt);
	if (r == 0) {
		if (secret_len(pt) != CACHE_LEN) {
			secret_free(pt);
			return CE_INTEGRITY;
		}
		for (i = 0; i < 8; i++)
			o->gen = (o->gen << 8) | secret_ptr(pt)[i];
		o->psk = secret_from(secret_ptr(pt) + 8, CC_KEY_LEN);
		secret_free(pt);
		return o->psk != NULL ? 0 : CE_NOMEM;
	}
	if (r != CE_AUTH_TAG)
		return r;
	return wrap_open(secret_ptr(o->kek), WRAP_ACTIVATION, o->serial,
	    (uint64_t)role, NULL, 0, buf_ptr(w), buf_len(w), &o->cred);
}

/* Opens the activation of role with the challenge; a wrong one counts. */
static int
open_cached(struct hsm *h, const char *label, int role,
    const struct secret *challenge, struct opened *o)
{
	sqlite3_stmt *q;
	struct buf *w = NULL;
	int r, rc, locked = 0, own = 0;

	memset(o, 0, sizeof(*o));
	if ((r = activation_check(h, role)) != 0)
		return r;
	if ((r = partition_row(h, label, &o->pid, &o->serial, &o->kdf)) != 0)
		return r;
	if ((r = store_prepare(hsm_store(h), "SELECT r.locked, a.kdf, a.salt, "
	    "a.wrap FROM role r LEFT JOIN activation a ON a.partition_id = "
	    "r.partition_id AND a.role = r.role WHERE r.partition_id = ? AND "
	    "r.role = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, o->pid);
	sqlite3_bind_int(q, 2, role);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_reset(q);
		if (rc != SQLITE_DONE)
			return store_err(hsm_store(h), rc);
		err_set_detail("the %s of partition '%s' is not initialized "
		    "('hsm role init')", role_name(role), label);
		return CE_NOT_FOUND;
	}
	locked = sqlite3_column_int(q, 0);
	if (!locked && sqlite3_column_type(q, 3) == SQLITE_BLOB &&
	    sqlite3_column_bytes(q, 2) == KDF_SALT_LEN) {
		o->kdf = sqlite3_column_int(q, 1);
		memcpy(o->salt, sqlite3_column_blob(q, 2), KDF_SALT_LEN);
		w = buf_from(sqlite3_column_blob(q, 3),
		    (size_t)sqlite3_column_bytes(q, 3));
		if (w == NULL) {
			sqlite3_reset(q);
			return CE_NOMEM;
		}
	}
	sqlite3_reset(q);
	if (locked) {
		err_set_detail("the %s of partition '%s' is locked out; the PO "
		    "can unlock it when HSM policy 15 is on (its activation was "
		    "dropped: activate it again)", role_name(role), label);
		return CE_LOCKED;
	}
	if (w == NULL) {
		err_set_detail("the %s of partition '%s' is not activated: log "
		    "in with its shares (--share), or activate it with 'hsm "
		    "role activate'", role_name(role), label);
		return CE_POLICY;
	}
	if ((r = wrap_kek(challenge, o->kdf, o->salt, &o->kek)) != 0)
		goto out;
	r = open_wrap_either(o, role, w);
	if (r == CE_AUTH_TAG) {
		/* A wrong challenge is a failed login of the role. */
		if ((r = hsm_tx_enter(h, &own)) != 0)
			goto out;
		r = role_login_failed_tx(h, o->pid, o->serial, label, role,
		    "wrong challenge secret");
		r = hsm_tx_leave(h, own, r, 1);
	}
 out:
	buf_free(w);
	if (r != 0)
		opened_clear(o);
	return r;
}

/*
 * An activation made before format 2 cached the role's secret: the login
 * it gave is turned into a key-use cache under the same challenge, and the
 * secret's wrap is wiped.
 */
static int
convert_legacy(struct hsm *h, const struct opened *o, struct session *s)
{
	struct buf *w = NULL;
	int r, own = 0;

	if ((r = cache_seal(o->kek, o->serial, s->role, s, &w)) != 0)
		return r;
	if ((r = hsm_tx_enter(h, &own)) != 0)
		goto out;
	store_wipe_on_commit(hsm_store(h));
	if ((r = cache_put_tx(h, o->pid, s->role, o->kdf, o->salt, w)) == 0)
		r = hsm_audit_part(h, "activate", 1, role_name(s->role),
		    s->label, s->serial, "cached secret replaced by a key-use "
		    "cache under the same challenge");
	r = hsm_tx_leave(h, own, r, 0);
 out:
	buf_free(w);
	return r;
}

int
session_login_challenge(struct hsm *h, const char *label, int role,
    const struct secret *challenge, struct session **sp)
{
	static const char how[] = "by activation challenge";
	struct opened o;
	int r;

	if ((r = open_cached(h, label, role, challenge, &o)) != 0)
		return r;
	if (o.psk != NULL)
		r = session_login_keys(h, label, role, o.psk, o.gen, how, sp);
	else if ((r = session_login_how(h, label, role, o.cred, how,
	    sp)) == 0) {
		(*sp)->by_challenge = 1;
		if ((r = convert_legacy(h, &o, *sp)) != 0) {
			session_close(*sp);
			*sp = NULL;
		}
	}
	opened_clear(&o);
	return r;
}
