/*
 * The SMK of a V1 partition: made at initialization, loaded per session,
 * rolled over online, replaced by a clone; and the settling step that
 * makes hsm.db agree with sks.db after a crash (lib/sks.h, docs/sks.md).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "hsm_int.h"
#include "secret.h"
#include "sks_int.h"
#include "store.h"
#include "utc.h"
#include "wrap.h"

/* The SMK wrap: under the PSK, bound to serial, generation and SMK id. */
static int
smk_wrap(const struct secret *psk, uint64_t serial, uint64_t gen,
    const struct secret *smk, const uint8_t id[SKS_ID_LEN], struct buf **outp)
{
	return wrap_seal(secret_ptr(psk), WRAP_SMK, serial, gen, id, SKS_ID_LEN,
	    secret_ptr(smk), SKS_SMK_LEN, outp);
}

static int
smk_row_put(struct hsm *h, int64_t pid, const uint8_t id[SKS_ID_LEN],
    uint64_t gen, int state, const struct buf *wrap)
{
	sqlite3_stmt *q;
	int r;

	if ((r = store_prepare(h->st, "INSERT OR REPLACE INTO smk (partition_id,"
	    " smk_id, gen, state, wrap, created) VALUES (?, ?, ?, ?, ?, ?)",
	    &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, pid);
	sqlite3_bind_blob(q, 2, id, SKS_ID_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 3, (int64_t)gen);
	sqlite3_bind_int(q, 4, state);
	sqlite3_bind_blob(q, 5, buf_ptr(wrap), (int)buf_len(wrap),
	    SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 6, (int64_t)time(NULL));
	return hsm_step_done(h, q);
}

static int
new_smk(struct secret **smkp, uint8_t id[SKS_ID_LEN])
{
	struct secret *smk;
	int r;

	if ((smk = secret_new(SKS_SMK_LEN)) == NULL)
		return CE_NOMEM;
	cc_random(secret_ptr(smk), SKS_SMK_LEN);
	if ((r = sks_smk_id(secret_ptr(smk), id)) != 0) {
		secret_free(smk);
		return r;
	}
	*smkp = smk;
	return 0;
}

/*
 * Reads sks.db's current SMK id for serial without checking its MAC (no
 * PSK at hand: listings); CE_INTEGRITY when there is none.
 */
static int
truth_get(struct hsm *h, uint64_t serial, uint8_t id[SKS_ID_LEN],
    uint64_t *genp)
{
	struct sks_ptr p;
	int r;

	if ((r = sks_ptr_read(h, serial, NULL, &p)) != 0)
		return r;
	memcpy(id, p.id, SKS_ID_LEN);
	if (genp != NULL)
		*genp = p.gen;
	sks_ptr_clear(&p);
	return 0;
}

/* The session's pointer, its MAC checked (CE_INTEGRITY without one). */
static int
ptr_get(struct session *s, struct sks_ptr *p)
{
	int r;

	if ((r = sks_ptr_read(s->h, s->serial, s->psk, p)) != 0)
		return r;
	if (!p->macked) {
		sks_ptr_clear(p);
		err_set_detail("the SMK pointer of partition '%s' in %s has no "
		    "MAC; nothing was changed", s->label, SKS_DB_NAME);
		return CE_INTEGRITY;
	}
	return 0;
}

int
sks_smk_public(struct hsm *h, uint64_t serial, uint8_t id[SKS_ID_LEN],
    uint64_t *genp)
{
	return truth_get(h, serial, id, genp);
}

int
sks_init_tx(struct hsm *h, int64_t pid, uint64_t serial,
    const struct secret *psk)
{
	struct secret *smk = NULL;
	struct buf *wrap = NULL;
	struct sks_ptr p;
	sqlite3_stmt *q;
	uint8_t id[SKS_ID_LEN];
	int r;

	memset(&p, 0, sizeof(p));
	if ((r = sks_attach(h, 1)) != 0)
		return r;
	if ((r = new_smk(&smk, id)) != 0 ||
	    (r = smk_wrap(psk, serial, 1, smk, id, &wrap)) != 0)
		goto out;
	if ((r = store_prepare(h->st, "DELETE FROM smk WHERE partition_id = ?",
	    &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, pid);
	if ((r = hsm_step_done(h, q)) != 0 ||
	    (r = smk_row_put(h, pid, id, 1, SMK_CURRENT, wrap)) != 0 ||
	    (r = sks_forget_tx(h, serial)) != 0)
		goto out;
	memcpy(p.id, id, SKS_ID_LEN);
	p.gen = 1;
	r = sks_ptr_write(h, serial, psk, &p);
 out:
	secret_free(smk);
	buf_free(wrap);
	return r;
}

/* --- settling ------------------------------------------------------------ */

struct smk_row {
	uint8_t id[SKS_ID_LEN];
	uint64_t gen;
	int state;
	int has_wrap;
};

static int
rows_read(struct hsm *h, int64_t pid, struct smk_row **rowsp, size_t *np)
{
	sqlite3_stmt *q = NULL;
	struct smk_row *rows = NULL, *nr;
	size_t n = 0;
	int r, rc;

	if ((rc = sqlite3_prepare_v2(store_db(h->st), "SELECT smk_id, gen, "
	    "state, wrap IS NOT NULL FROM smk WHERE partition_id = ? ORDER BY "
	    "gen", -1, &q, NULL)) != SQLITE_OK)
		return store_err(h->st, rc);
	sqlite3_bind_int64(q, 1, pid);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if ((nr = realloc(rows, (n + 1) * sizeof(*rows))) == NULL) {
			r = CE_NOMEM;
			goto out;
		}
		rows = nr;
		memset(&rows[n], 0, sizeof(rows[n]));
		if (sqlite3_column_bytes(q, 0) == SKS_ID_LEN)
			memcpy(rows[n].id, sqlite3_column_blob(q, 0), SKS_ID_LEN);
		rows[n].gen = (uint64_t)sqlite3_column_int64(q, 1);
		rows[n].state = sqlite3_column_int(q, 2);
		rows[n].has_wrap = sqlite3_column_int(q, 3);
		n++;
	}
	r = rc == SQLITE_DONE ? 0 : store_err(h->st, rc);
	if (r == 0) {
		*rowsp = rows;
		*np = n;
		rows = NULL;
	}
 out:
	free(rows);
	sqlite3_finalize(q);
	return r;
}

/* 1 when hsm.db's rows already agree with truth t. */
static int
settled(const struct smk_row *rows, size_t n, const uint8_t t[SKS_ID_LEN])
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (memcmp(rows[i].id, t, SKS_ID_LEN) == 0) {
			if (rows[i].state != SMK_CURRENT || !rows[i].has_wrap)
				return 0;
		} else if (rows[i].state == SMK_CURRENT ||
		    (rows[i].state == SMK_RETIRED && rows[i].has_wrap))
			return 0;
	}
	return 1;
}

static int
row_update(struct hsm *h, int64_t pid, const uint8_t id[SKS_ID_LEN],
    const char *sql)
{
	sqlite3_stmt *q;
	int r;

	if ((r = store_prepare(h->st, sql, &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, (int64_t)time(NULL));
	sqlite3_bind_int64(q, 2, pid);
	sqlite3_bind_blob(q, 3, id, SKS_ID_LEN, SQLITE_TRANSIENT);
	return hsm_step_done(h, q);
}

/* Opens the wrap of SMK id (of partition s) into *smkp; *genp its gen. */
static int
smk_open(struct session *s, const uint8_t id[SKS_ID_LEN], struct secret **smkp,
    uint64_t *genp)
{
	sqlite3_stmt *q;
	uint64_t gen;
	int r, rc;

	if ((r = store_prepare(s->h->st, "SELECT gen, wrap FROM smk WHERE "
	    "partition_id = ? AND smk_id = ? AND wrap IS NOT NULL", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, s->pid);
	sqlite3_bind_blob(q, 2, id, SKS_ID_LEN, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_reset(q);
		if (rc != SQLITE_DONE)
			return store_err(s->h->st, rc);
		err_set_detail("%s names an SMK for partition '%s' but hsm.db "
		    "holds no key for it: the two stores do not match (restore "
		    "both from the same backup)", SKS_DB_NAME, s->label);
		return CE_INTEGRITY;
	}
	gen = (uint64_t)sqlite3_column_int64(q, 0);
	r = wrap_open(secret_ptr(s->psk), WRAP_SMK, s->serial, gen, id,
	    SKS_ID_LEN, sqlite3_column_blob(q, 1),
	    (size_t)sqlite3_column_bytes(q, 1), smkp);
	sqlite3_reset(q);
	if (r == CE_AUTH_TAG || r == CE_FORMAT || r == CE_VERSION) {
		err_set_detail("the SMK of partition '%s' fails its integrity "
		    "check: hsm.db was altered", s->label);
		return CE_INTEGRITY;
	}
	if (r == 0 && genp != NULL)
		*genp = gen;
	return r;
}

/*
 * The proof that smk is the SMK of the partition's blobs: the first one
 * opens under it and holds the object its header names (no blob: nothing
 * to disprove). Settling destroys no wrap, and an old pointer gets no MAC,
 * without it.
 */
static int
blobs_under(struct session *s, const struct secret *smk, const char *what)
{
	struct sks_blob_info bi;
	struct sks_blob_keys *keys = NULL;
	sqlite3_stmt *q;
	uint8_t *rec;
	int64_t id;
	int r, rc;

	if ((rec = malloc(SKS_BLOB_MAX)) == NULL)
		return CE_NOMEM;
	if ((r = store_prepare(s->h->sks, "SELECT id, blob FROM blob WHERE "
	    "serial = ? ORDER BY id LIMIT 1", &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, (int64_t)s->serial);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		id = sqlite3_column_int64(q, 0);
		if ((r = sks_blob_keys_new(secret_ptr(smk), &keys)) == 0)
			r = sks_blob_check(keys, sqlite3_column_blob(q, 1),
			    (size_t)sqlite3_column_bytes(q, 1), rec, &bi, "");
		sks_blob_keys_free(keys);
		if (r == CE_INTEGRITY)
			err_set_detail("SKS blob %lld of partition '%s' does not "
			    "open under the SMK %s names: the pointer or the "
			    "blobs were altered, or hsm.db and %s come from "
			    "different moments; %s, nothing was changed",
			    (long long)id, s->label, SKS_DB_NAME, SKS_DB_NAME,
			    what);
	} else if (rc != SQLITE_DONE)
		r = store_err(s->h->sks, rc);
	sqlite3_reset(q);
 out:
	free(rec);
	return r;
}

/*
 * Makes hsm.db agree with sks.db (the truth): the row of the current id is
 * current; a row marked current that sks.db does not name is an SMK switch
 * that never took (deleted: the partition is as before it); a retired row
 * loses its wrap (the old SMK is gone). Pending rows are left alone: a
 * rollover may be between its two transactions. Runs under both write
 * locks, so it never sees a switch half-committed. The truth must carry
 * its MAC, and before any wrap goes a blob must open under the SMK kept.
 */
int
sks_settle(struct session *s)
{
	struct hsm *h = s->h;
	struct smk_row *rows = NULL;
	struct secret *keep = NULL;
	struct sks_ptr p;
	uint8_t t[SKS_ID_LEN];
	char detail[160];
	size_t n = 0, i;
	int r, own = 0, found = 0, undone = 0, dropped = 0;

	memset(&p, 0, sizeof(p));
	if ((r = sks_require(h)) != 0)
		return r;
	if ((r = hsm_tx_enter(h, &own)) != 0)
		return r;
	if ((r = ptr_get(s, &p)) != 0 ||
	    (r = rows_read(h, s->pid, &rows, &n)) != 0)
		goto out;
	memcpy(t, p.id, SKS_ID_LEN);
	for (i = 0; i < n; i++)
		if (memcmp(rows[i].id, t, SKS_ID_LEN) == 0 && rows[i].has_wrap)
			found = 1;
	if (!found) {
		char hex[2 * SKS_ID_LEN + 1];

		sks_id_hex(t, hex);
		err_set_detail("%s names SMK %s for partition '%s' but hsm.db "
		    "holds no key for it: the two stores do not match (restore "
		    "both from the same backup)", SKS_DB_NAME, hex, s->label);
		r = CE_INTEGRITY;
		goto out;
	}
	if (settled(rows, n, t))
		goto out;
	if ((r = smk_open(s, t, &keep, NULL)) != 0 ||
	    (r = blobs_under(s, keep, "no SMK was settled")) != 0)
		goto out;
	/* a wrap goes: no copy of it may stay in the WAL */
	store_wipe_on_commit(h->st);
	for (i = 0; i < n && r == 0; i++) {
		if (memcmp(rows[i].id, t, SKS_ID_LEN) == 0) {
			if (rows[i].state != SMK_CURRENT)
				r = row_update(h, s->pid, rows[i].id, "UPDATE smk "
				    "SET state = 1, retired = NULL WHERE ?1 IS NOT "
				    "NULL AND partition_id = ?2 AND smk_id = ?3");
		} else if (rows[i].state == SMK_CURRENT) {
			undone++;
			r = row_update(h, s->pid, rows[i].id, "DELETE FROM smk "
			    "WHERE ?1 IS NOT NULL AND partition_id = ?2 AND "
			    "smk_id = ?3");
		} else if (rows[i].state == SMK_RETIRED && rows[i].has_wrap) {
			dropped++;
			r = row_update(h, s->pid, rows[i].id, "UPDATE smk SET "
			    "wrap = NULL, retired = coalesce(retired, ?1) WHERE "
			    "partition_id = ?2 AND smk_id = ?3");
		}
	}
	if (r != 0)
		goto out;
	snprintf(detail, sizeof(detail), "SMK settled: %d switch(es) that never "
	    "committed undone, %d retired key(s) destroyed", undone, dropped);
	r = hsm_audit_part(h, "smk-settle", 1, NULL, s->label, s->serial,
	    detail);
 out:
	secret_free(keep);
	sks_ptr_clear(&p);
	free(rows);
	return hsm_tx_leave(h, own, r, 0);
}

/*
 * A pointer from before sks.db schema 2 carries no MAC: it gets one at the
 * first login holding the PSK, but only when the SMK it names opens a blob
 * of the partition (or it has none), and with the retired ids hsm.db's smk
 * table remembers.
 */
static int
ptr_adopt(struct session *s)
{
	struct hsm *h = s->h;
	struct smk_row *rows = NULL;
	struct secret *smk = NULL;
	struct sks_ptr p;
	size_t n = 0, i;
	int r, own = 0;

	memset(&p, 0, sizeof(p));
	if ((r = hsm_tx_enter(h, &own)) != 0)
		return r;
	/* again under the lock: another session may have done it */
	if ((r = sks_ptr_read(h, s->serial, s->psk, &p)) != 0 || p.macked)
		goto out;
	if ((r = smk_open(s, p.id, &smk, NULL)) != 0 ||
	    (r = blobs_under(s, smk, "the pointer was given no MAC")) != 0 ||
	    (r = rows_read(h, s->pid, &rows, &n)) != 0)
		goto out;
	for (i = 0; i < n && r == 0; i++)
		if (rows[i].state == SMK_RETIRED)
			r = sks_ptr_retire(&p, rows[i].id);
	if (r != 0 || (r = sks_ptr_write(h, s->serial, s->psk, &p)) != 0)
		goto out;
	r = hsm_audit_part(h, "smk-pointer", 1, role_name(s->role), s->label,
	    s->serial, "the SMK pointer in sks.db was given its MAC (sks.db "
	    "schema 2)");
 out:
	secret_free(smk);
	sks_ptr_clear(&p);
	free(rows);
	return hsm_tx_leave(h, own, r, 0);
}

/* --- the session's SMK --------------------------------------------------- */

void
sks_session_forget(struct session *s)
{
	secret_free(s->smk);
	s->smk = NULL;
	sks_blob_keys_free(s->smk_keys);
	s->smk_keys = NULL;
}

enum { NEED_NOTHING = 0, NEED_SETTLE = 1, NEED_MAC = 2 };

static int
load_once(struct session *s, int *needp)
{
	struct smk_row *rows = NULL;
	struct sks_ptr p;
	uint8_t t[SKS_ID_LEN];
	uint64_t gen = 0;
	size_t n = 0;
	int r, ok;

	*needp = NEED_NOTHING;
	if ((r = sks_ptr_read(s->h, s->serial, s->psk, &p)) != 0)
		return r;
	memcpy(t, p.id, SKS_ID_LEN);
	ok = p.macked;
	sks_ptr_clear(&p);
	if (!ok) {
		*needp = NEED_MAC;
		return 0;
	}
	if ((r = rows_read(s->h, s->pid, &rows, &n)) != 0)
		return r;
	ok = settled(rows, n, t);
	free(rows);
	if (!ok) {
		*needp = NEED_SETTLE;
		return 0;
	}
	if ((r = smk_open(s, t, &s->smk, &gen)) != 0)
		return r;
	memcpy(s->smk_id, t, SKS_ID_LEN);
	s->smk_gen = gen;
	return 0;
}

int
sks_session_smk(struct session *s)
{
	int r, need, tries;

	if (s->smk != NULL)
		return 0;
	if (s->version != 1)
		return CE_INVALID;
	if (s->psk == NULL) {
		err_set_detail("the SMK is opened by the Crypto Officer or Crypto "
		    "User; log in as co or cu");
		return CE_PERMISSION;
	}
	/* a session from before a rekey holds the old PSK */
	if ((r = session_psk_current(s)) != 0 ||
	    (r = sks_rekey_finish(s)) != 0)
		return r;
	/* at most: a MAC for an old pointer, then settling, then the load */
	for (tries = 0; tries < 3; tries++) {
		if ((r = load_once(s, &need)) != 0 || need == NEED_NOTHING)
			return r;
		if ((r = need == NEED_MAC ? ptr_adopt(s) : sks_settle(s)) != 0)
			return r;
	}
	err_set_detail("the SMK of partition '%s' could not be settled",
	    s->label);
	return CE_INTEGRITY;
}

int
sks_refresh(struct session *s)
{
	uint8_t t[SKS_ID_LEN];
	int r;

	if (s->smk == NULL)
		return sks_session_smk(s);
	if ((r = truth_get(s->h, s->serial, t, NULL)) != 0)
		return r;
	if (cc_memeq(t, s->smk_id, SKS_ID_LEN))
		return 0;
	/* A rollover committed since this session loaded its SMK. */
	sks_session_forget(s);
	return sks_session_smk(s);
}

int
sks_load(struct session *s)
{
	return sks_session_smk(s);
}

int
sks_settle_now(struct session *s)
{
	struct smk_row *rows = NULL;
	uint8_t t[SKS_ID_LEN];
	size_t n = 0;
	int r, done;

	if (s->version != 1 || s->psk == NULL)
		return 0;
	if ((r = truth_get(s->h, s->serial, t, NULL)) != 0 ||
	    (r = rows_read(s->h, s->pid, &rows, &n)) != 0)
		return r;
	done = settled(rows, n, t);
	free(rows);
	return done ? 0 : sks_settle(s);
}

/*
 * An SMK this partition retired (replaced by a rollover, perhaps after a
 * suspected compromise, or by an earlier clone or restore) is not taken
 * back without force (clone --force, restore --force): adopting it would
 * revive the key the partition gave up. The list is the MACed one in
 * sks.db; hsm.db's retired row, when there, gives the time.
 */
int
sks_smk_retired_check(struct session *s, const uint8_t id[SKS_ID_LEN],
    int force)
{
	struct sks_ptr p;
	sqlite3_stmt *q;
	char hex[2 * SKS_ID_LEN + 1], when[UTC_ISO_LEN + 1];
	int64_t at = 0;
	int r, retired;

	if ((r = ptr_get(s, &p)) != 0)
		return r;
	retired = sks_ptr_is_retired(&p, id);
	sks_ptr_clear(&p);
	if (!retired || force)
		return 0;
	if (store_prepare(s->h->st, "SELECT coalesce(retired, 0) FROM smk "
	    "WHERE partition_id = ? AND smk_id = ?", &q) == 0) {
		sqlite3_bind_int64(q, 1, s->pid);
		sqlite3_bind_blob(q, 2, id, SKS_ID_LEN, SQLITE_TRANSIENT);
		if (sqlite3_step(q) == SQLITE_ROW)
			at = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
	}
	sks_id_hex(id, hex);
	utc_iso_show(at, when);
	err_set_detail("the incoming SMK %s was retired on partition '%s' "
	    "(rolled over or replaced%s%s); taking it back would revive a key "
	    "the partition gave up, perhaps after a suspected compromise; "
	    "nothing was written. If that is meant, add --force", hex,
	    s->label, at ? " at " : "", at ? when : "");
	return CE_POLICY;
}

int
sks_status_get(struct session *s, struct sks_status *st)
{
	sqlite3_stmt *q;
	int r, rc;

	memset(st, 0, sizeof(*st));
	if ((r = sks_session_smk(s)) != 0)
		return r;
	{
		struct sks_ptr p;

		if ((r = ptr_get(s, &p)) != 0)
			return r;
		memcpy(st->smk_id, p.id, SKS_ID_LEN);
		st->gen = p.gen;
		sks_ptr_clear(&p);
	}
	if ((r = sks_usage(s->h, s->serial, &st->objects, &st->bytes)) != 0)
		return r;
	if ((r = store_prepare(s->h->st, "SELECT count(*) FROM smk WHERE "
	    "partition_id = ? AND state = 2", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, s->pid);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		st->retired = (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : store_err(s->h->st, rc);
}

int
sks_smk_record(struct session *s, struct buf *out)
{
	int r;

	if (s->role != ROLE_CO) {
		err_set_detail("the SMK is cloned by the Crypto Officer");
		return CE_PERMISSION;
	}
	if ((r = sks_session_smk(s)) != 0)
		return r;
	return sks_smk_record_put(s->smk, out);
}

/* --- rollover ------------------------------------------------------------ */

static int
next_gen(struct hsm *h, int64_t pid, uint64_t *genp)
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = store_prepare(h->st, "SELECT coalesce(max(gen), 0) + 1 FROM "
	    "smk WHERE partition_id = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, pid);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		*genp = (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : store_err(h->st, rc);
}

static int
row_state(struct hsm *h, int64_t pid, const uint8_t id[SKS_ID_LEN],
    int *statep)
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = store_prepare(h->st, "SELECT state FROM smk WHERE "
	    "partition_id = ? AND smk_id = ? AND wrap IS NOT NULL", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, pid);
	sqlite3_bind_blob(q, 2, id, SKS_ID_LEN, SQLITE_TRANSIENT);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*statep = sqlite3_column_int(q, 0);
	sqlite3_reset(q);
	if (rc == SQLITE_DONE)
		return CE_NOT_FOUND;
	return rc == SQLITE_ROW ? 0 : store_err(h->st, rc);
}

/*
 * The rollover's walk runs on both cores: this thread reads blobs from
 * sks.db in batches and writes the re-sealed ones back by rowid, a worker
 * thread opens each under the old SMK and seals it under the new one
 * (issue 19: SQLite and the crypto took turns on one core). Two batches
 * alternate: the worker re-seals one while this thread writes the one
 * before and reads the one after. Only the worker holds the SMKs' keys and
 * a record in the clear, in secret memory wiped after each blob; batches
 * carry ciphertext only.
 */
#define RESEAL_ROWS 512                  /* rows per batch at most */
#define RESEAL_BYTES (128u * 1024)       /* blob bytes per batch */

struct reseal_batch {
	size_t n;
	int64_t id[RESEAL_ROWS];
	size_t in_end[RESEAL_ROWS];      /* blob i ends here in in */
	size_t out_end[RESEAL_ROWS];     /* its new blob ends here in out */
	struct buf *in, *out;
	int r;                           /* the worker's verdict */
	size_t bad;                      /* the blob that did not open */
	char bad_label[OBJECT_LABEL_MAX + 1];
};

struct reseal {
	const struct sks_blob_keys *ok, *nk;
	struct secret *rec;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct reseal_batch *job;        /* with the worker until NULL again */
	int quit;
};

static void
reseal_batch_run(struct reseal *w, struct reseal_batch *b)
{
	struct sks_blob_info bi;
	const uint8_t *in = buf_ptr(b->in);
	uint8_t *rec = secret_ptr(w->rec);
	size_t i, start = 0, rl;
	int r = 0;

	buf_reset(b->out);
	for (i = 0; i < b->n && r == 0; i++) {
		memset(&bi, 0, sizeof(bi));
		if ((r = sks_blob_open_k(w->ok, in + start,
		    b->in_end[i] - start, &bi, rec, &rl)) != 0) {
			snprintf(b->bad_label, sizeof(b->bad_label), "%s",
			    bi.label);
			b->bad = i;
			r = CE_INTEGRITY;
			break;
		}
		r = sks_blob_seal_k(w->nk, &bi, rec, rl, b->out);
		sodium_memzero(rec, rl);
		b->out_end[i] = buf_len(b->out);
		start = b->in_end[i];
	}
	b->r = r;
}

static void *
reseal_worker(void *arg)
{
	struct reseal *w = arg;
	struct reseal_batch *b;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->job == NULL && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if ((b = w->job) == NULL)
			break;
		pthread_mutex_unlock(&w->mu);
		reseal_batch_run(w, b);
		pthread_mutex_lock(&w->mu);
		w->job = NULL;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void
reseal_submit(struct reseal *w, struct reseal_batch *b)
{
	pthread_mutex_lock(&w->mu);
	w->job = b;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Waits until the worker is done with its batch; that batch's verdict. */
static int
reseal_wait(struct reseal *w, struct reseal_batch *b)
{
	pthread_mutex_lock(&w->mu);
	while (w->job != NULL)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	return b->r;
}

/*
 * The next blobs of the partition after *lastp into b (b->n 0: none left);
 * one SELECT per batch, stopped once the batch holds RESEAL_BYTES.
 */
static int
reseal_read(struct session *s, sqlite3_stmt *sel, int64_t *lastp,
    struct reseal_batch *b)
{
	const void *p;
	int n, rc = SQLITE_DONE, r = 0;

	b->n = 0;
	buf_reset(b->in);
	sqlite3_bind_int64(sel, 1, (int64_t)s->serial);
	sqlite3_bind_int64(sel, 2, *lastp);
	while (b->n < RESEAL_ROWS && buf_len(b->in) < RESEAL_BYTES &&
	    (rc = sqlite3_step(sel)) == SQLITE_ROW) {
		b->id[b->n] = sqlite3_column_int64(sel, 0);
		p = sqlite3_column_blob(sel, 1);
		n = sqlite3_column_bytes(sel, 1);
		if ((r = buf_put(b->in, p, (size_t)n)) != 0)
			break;
		b->in_end[b->n++] = buf_len(b->in);
		*lastp = b->id[b->n - 1];
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = store_err(s->h->sks, rc);
	sqlite3_reset(sel);
	return r;
}

/* Writes b's re-sealed blobs over the old ones, by rowid. */
static int
reseal_write(struct session *s, sqlite3_stmt *upd,
    const struct reseal_batch *b)
{
	const uint8_t *out = buf_ptr(b->out);
	size_t i, start = 0;
	int rc;

	for (i = 0; i < b->n; i++) {
		sqlite3_bind_blob(upd, 1, out + start,
		    (int)(b->out_end[i] - start), SQLITE_STATIC);
		sqlite3_bind_int64(upd, 2, b->id[i]);
		rc = sqlite3_step(upd);
		sqlite3_reset(upd);
		if (rc != SQLITE_DONE)
			return store_err(s->h->sks, rc);
		start = b->out_end[i];
	}
	return 0;
}

/* Re-seals every blob of the partition from s->smk to nsmk. */
static int
reseal_all(struct session *s, const struct secret *nsmk,
    void (*progress)(void *, uint64_t), void *ctx, uint64_t *countp)
{
	struct hsm *h = s->h;
	struct sks_blob_keys *ok = NULL, *nk = NULL;
	struct reseal_batch *b = NULL, *cur, *next;
	struct reseal w;
	sqlite3_stmt *sel, *upd;
	int64_t last = 0;
	uint64_t done = 0;
	int r, i, started = 0;

	memset(&w, 0, sizeof(w));
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	if ((b = calloc(2, sizeof(*b))) == NULL ||
	    (w.rec = secret_new(SKS_BLOB_MAX)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	for (i = 0; i < 2; i++) {
		if ((b[i].in = buf_new(RESEAL_BYTES + SKS_BLOB_MAX)) == NULL ||
		    (b[i].out = buf_new(2 * (RESEAL_BYTES + SKS_BLOB_MAX))) ==
		    NULL) {
			r = CE_NOMEM;
			goto out;
		}
	}
	/* Both SMKs' keys set up once for the whole walk. */
	if ((r = sks_blob_keys_new(secret_ptr(s->smk), &ok)) != 0 ||
	    (r = sks_blob_keys_new(secret_ptr(nsmk), &nk)) != 0)
		goto out;
	w.ok = ok;
	w.nk = nk;
	/* By id: the table is updated as it is walked. */
	if ((r = store_prepare(h->sks, "SELECT id, blob FROM blob WHERE "
	    "serial = ? AND id > ? ORDER BY id", &sel)) != 0 ||
	    (r = store_prepare(h->sks, "UPDATE blob SET blob = ? WHERE "
	    "id = ?", &upd)) != 0)
		goto out;
	if (pthread_create(&w.thread, NULL, reseal_worker, &w) != 0) {
		err_set_detail("cannot start the re-sealing thread");
		r = CE_IO;
		goto out;
	}
	started = 1;
	cur = &b[0];
	next = &b[1];
	if ((r = reseal_read(s, sel, &last, cur)) != 0)
		goto out;
	if (cur->n > 0)
		reseal_submit(&w, cur);
	while (cur->n > 0) {
		/* the worker re-seals cur while the next batch is read */
		r = reseal_read(s, sel, &last, next);
		if (reseal_wait(&w, cur) != 0) {
			err_set_detail("blob '%s' (row %lld) does not open under "
			    "the current SMK; nothing was changed",
			    cur->bad_label, (long long)cur->id[cur->bad]);
			r = CE_INTEGRITY;
		}
		if (r != 0)
			goto out;
		if (next->n > 0)
			reseal_submit(&w, next);
		/* and cur is written while the worker re-seals next */
		if ((r = reseal_write(s, upd, cur)) != 0)
			goto out;
		done += cur->n;
		if (progress != NULL)
			progress(ctx, done);
		cur = next;
		next = next == &b[0] ? &b[1] : &b[0];
	}
	*countp = done;
 out:
	if (started) {
		pthread_mutex_lock(&w.mu);
		w.quit = 1;
		pthread_cond_broadcast(&w.cv);
		pthread_mutex_unlock(&w.mu);
		pthread_join(w.thread, NULL);
	}
	if (b != NULL) {
		for (i = 0; i < 2; i++) {
			buf_free(b[i].in);
			buf_free(b[i].out);
		}
		free(b);
	}
	sks_blob_keys_free(ok);
	sks_blob_keys_free(nk);
	secret_free(w.rec);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	return r;
}

int
sks_rollover(struct session *s, void (*progress)(void *ctx, uint64_t done),
    void *ctx, uint64_t *countp)
{
	struct hsm *h = s->h;
	struct secret *nsmk = NULL;
	struct buf *wrap = NULL;
	struct sks_ptr p;
	sqlite3_stmt *q;
	uint8_t nid[SKS_ID_LEN], oid[SKS_ID_LEN];
	char ohex[2 * SKS_ID_LEN + 1], nhex[2 * SKS_ID_LEN + 1], detail[200];
	uint64_t gen = 0, tgen = 0, count = 0;
	int r, own = 0, st = -1;

	if (s->version != 1) {
		err_set_detail("partition '%s' is V0: it has no SMK", s->label);
		return CE_INVALID;
	}
	if (s->role != ROLE_CO) {
		err_set_detail("the SMK is rolled over by the Crypto Officer");
		return CE_PERMISSION;
	}
	if (store_in_tx(h->st)) {
		err_set_detail("an SMK rollover runs in transactions of its own");
		return CE_INVALID;
	}
	memset(&p, 0, sizeof(p));
	if ((r = sks_session_smk(s)) != 0 || (r = new_smk(&nsmk, nid)) != 0)
		return r;
	memcpy(oid, s->smk_id, SKS_ID_LEN);
	/* 1: the new SMK's wrap is durable (pending) before any blob uses it. */
	if ((r = hsm_tx_enter(h, &own)) != 0)
		goto out;
	/* a session from before a rekey would wrap it under the old PSK */
	if ((r = session_psk_current(s)) != 0)
		goto leave1;
	if ((r = store_prepare(h->st, "DELETE FROM smk WHERE partition_id = ? "
	    "AND state = 0", &q)) != 0)
		goto leave1;
	sqlite3_bind_int64(q, 1, s->pid);
	if ((r = hsm_step_done(h, q)) != 0 ||
	    (r = next_gen(h, s->pid, &gen)) != 0 ||
	    (r = smk_wrap(s->psk, s->serial, gen, nsmk, nid, &wrap)) != 0)
		goto leave1;
	r = smk_row_put(h, s->pid, nid, gen, SMK_PENDING, wrap);
 leave1:
	if ((r = hsm_tx_leave(h, own, r, 0)) != 0)
		goto out;
	hsm_test_point("rollover-pending");
	/* 2: every blob re-sealed and the switch, one sks.db transaction. */
	if ((r = hsm_tx_enter(h, &own)) != 0)
		goto out;
	if ((r = ptr_get(s, &p)) != 0)
		goto leave2;
	tgen = p.gen;
	if ((r = row_state(h, s->pid, nid, &st)) != 0 || st != SMK_PENDING ||
	    !cc_memeq(p.id, oid, SKS_ID_LEN)) {
		err_set_detail("another session changed the SMK of '%s' during "
		    "the rollover; nothing was changed, run it again", s->label);
		r = CE_BUSY;
		goto leave2;
	}
	memcpy(p.id, nid, SKS_ID_LEN);
	p.gen = tgen + 1;
	if ((r = reseal_all(s, nsmk, progress, ctx, &count)) != 0 ||
	    (r = sks_ptr_retire(&p, oid)) != 0 ||
	    (r = sks_ptr_write(h, s->serial, s->psk, &p)) != 0 ||
	    (r = row_update(h, s->pid, oid, "UPDATE smk SET state = 2, "
	    "retired = ?1 WHERE partition_id = ?2 AND smk_id = ?3")) != 0 ||
	    (r = row_update(h, s->pid, nid, "UPDATE smk SET state = 1 WHERE "
	    "?1 IS NOT NULL AND partition_id = ?2 AND smk_id = ?3")) != 0)
		goto leave2;
	sks_id_hex(oid, ohex);
	sks_id_hex(nid, nhex);
	snprintf(detail, sizeof(detail), "SMK rollover: generation %llu (%s) "
	    "replaced by %llu (%s)", (unsigned long long)tgen, ohex,
	    (unsigned long long)tgen + 1, nhex);
	{
		struct audit_event ev;

		hsm_event(&ev, "smk-rollover", 1);
		ev.role = role_name(s->role);
		ev.partition = s->label;
		ev.serial = s->serial;
		ev.detail = detail;
		ev.count = (int64_t)count;
		r = hsm_audit_tx(h, &ev);
	}
 leave2:
	if ((r = hsm_tx_leave(h, own, r, 0)) != 0)
		goto out;
	hsm_test_point("rollover-switched");
	/* 3: the old SMK's wrap is destroyed (also done by any later session
	 * should this process die here). */
	sks_session_forget(s);
	if ((r = sks_settle(s)) != 0)
		goto out;
	hsm_checkpoint(h);
	if (countp != NULL)
		*countp = count;
	r = sks_session_smk(s);
 out:
	sks_ptr_clear(&p);
	secret_free(nsmk);
	buf_free(wrap);
	return r;
}

/* --- replace (SMK clone) ------------------------------------------------- */

int
sks_smk_replace_tx(struct session *s, const struct secret *smk,
    const uint8_t id[SKS_ID_LEN])
{
	struct hsm *h = s->h;
	struct buf *wrap = NULL;
	struct sks_ptr p;
	uint8_t t[SKS_ID_LEN];
	uint64_t gen = 0;
	int r;

	memset(&p, 0, sizeof(p));
	if ((r = sks_session_smk(s)) != 0 || (r = ptr_get(s, &p)) != 0 ||
	    (r = next_gen(h, s->pid, &gen)) != 0 ||
	    (r = smk_wrap(s->psk, s->serial, gen, smk, id, &wrap)) != 0)
		goto out;
	memcpy(t, p.id, SKS_ID_LEN);
	/* The previous SMK is retired; one taken back is no longer. */
	memcpy(p.id, id, SKS_ID_LEN);
	p.gen++;
	sks_ptr_unretire(&p, id);
	/* The old wrap stays until the switch has committed in sks.db. */
	if ((r = row_update(h, s->pid, t, "UPDATE smk SET state = 2, "
	    "retired = ?1 WHERE partition_id = ?2 AND smk_id = ?3")) != 0 ||
	    (r = smk_row_put(h, s->pid, id, gen, SMK_CURRENT, wrap)) != 0 ||
	    (r = sks_ptr_retire(&p, t)) != 0 ||
	    (r = sks_ptr_write(h, s->serial, s->psk, &p)) != 0)
		goto out;
	sks_session_forget(s);
	if ((s->smk = secret_dup(smk)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	memcpy(s->smk_id, id, SKS_ID_LEN);
	s->smk_gen = gen;
 out:
	sks_ptr_clear(&p);
	buf_free(wrap);
	return r;
}

/* --- the PSK rekey (lib/partition_rekey.c) ------------------------------- */

int
sks_psk_rekey_tx(struct session *s, const struct secret *newpsk, int *np)
{
	struct hsm *h = s->h;
	struct smk_row *rows = NULL;
	struct secret *smk = NULL;
	struct buf *w = NULL;
	struct sks_ptr p;
	sqlite3_stmt *q;
	uint64_t gen = 0;
	size_t n = 0, i;
	int r;

	*np = 0;
	memset(&p, 0, sizeof(p));
	if ((r = ptr_get(s, &p)) != 0 ||
	    (r = rows_read(h, s->pid, &rows, &n)) != 0)
		goto out;
	/* A pending SMK is a rollover that never switched (or is between its
	 * transactions: its next step then finds its row gone, CE_BUSY); it
	 * is dropped, not carried over. */
	if ((r = store_prepare(h->st, "DELETE FROM smk WHERE partition_id = ? "
	    "AND state = 0", &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, s->pid);
	if ((r = hsm_step_done(h, q)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (!rows[i].has_wrap || rows[i].state == SMK_PENDING)
			continue;
		if ((r = smk_open(s, rows[i].id, &smk, &gen)) != 0 ||
		    (r = smk_wrap(newpsk, s->serial, gen, smk, rows[i].id,
		    &w)) != 0 ||
		    (r = store_prepare(h->st, "UPDATE smk SET wrap = ? WHERE "
		    "partition_id = ? AND smk_id = ?", &q)) != 0)
			goto out;
		sqlite3_bind_blob(q, 1, buf_ptr(w), (int)buf_len(w),
		    SQLITE_TRANSIENT);
		sqlite3_bind_int64(q, 2, s->pid);
		sqlite3_bind_blob(q, 3, rows[i].id, SKS_ID_LEN, SQLITE_TRANSIENT);
		if ((r = hsm_step_done(h, q)) != 0)
			goto out;
		secret_free(smk);
		smk = NULL;
		buf_free(w);
		w = NULL;
		(*np)++;
	}
	/* sks.db's pointer, the same, under the new PSK's MAC key */
	r = sks_ptr_write(h, s->serial, newpsk, &p);
 out:
	secret_free(smk);
	buf_free(w);
	sks_ptr_clear(&p);
	free(rows);
	return r;
}

/* The partition's psk_prev wrap and PSK generation; *prevp NULL: none. */
static int
prev_get(struct session *s, struct buf **prevp, uint64_t *genp)
{
	sqlite3_stmt *q;
	int r, rc;

	*prevp = NULL;
	if ((r = store_prepare(s->h->st, "SELECT psk_prev, psk_gen FROM "
	    "partition WHERE id = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, s->pid);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_reset(q);
		return rc == SQLITE_DONE ? CE_NOT_FOUND : store_err(s->h->st, rc);
	}
	*genp = (uint64_t)sqlite3_column_int64(q, 1);
	if (sqlite3_column_type(q, 0) == SQLITE_BLOB &&
	    (*prevp = buf_from(sqlite3_column_blob(q, 0),
	    (size_t)sqlite3_column_bytes(q, 0))) == NULL)
		r = CE_NOMEM;
	sqlite3_reset(q);
	return r;
}

/*
 * A rekey commits hsm.db (every wrap under the new PSK, and psk_prev: the
 * old PSK under the new one) before sks.db (the pointer's MAC under the
 * new PSK). A crash between the two leaves a pointer MACed under the old
 * PSK: it is checked under the old PSK from psk_prev and MACed again under
 * the new one. Then psk_prev is destroyed. No wrap is re-made here.
 */
int
sks_rekey_finish(struct session *s)
{
	struct hsm *h = s->h;
	struct secret *old = NULL;
	struct buf *prev = NULL;
	struct sks_ptr p;
	sqlite3_stmt *q;
	uint64_t gen = 0;
	int r, own = 0, remac = 0;

	memset(&p, 0, sizeof(p));
	if ((r = prev_get(s, &prev, &gen)) != 0 || prev == NULL)
		return r;
	buf_free(prev);
	prev = NULL;
	if ((r = sks_require(h)) != 0 || (r = hsm_tx_enter(h, &own)) != 0)
		return r;
	/* again under the lock: another session may have finished it */
	if ((r = prev_get(s, &prev, &gen)) != 0 || prev == NULL)
		goto out;
	if ((r = wrap_open(secret_ptr(s->psk), WRAP_PSK_PREV, s->serial, gen,
	    NULL, 0, buf_ptr(prev), buf_len(prev), &old)) != 0) {
		err_set_detail("partition '%s': the previous partition key kept "
		    "for the rekey does not open: hsm.db was altered",
		    s->label);
		r = CE_INTEGRITY;
		goto out;
	}
	if ((r = sks_ptr_read(h, s->serial, s->psk, &p)) == CE_INTEGRITY) {
		/* sks.db did not commit the rekey: its MAC is the old PSK's */
		sks_ptr_clear(&p);
		if ((r = sks_ptr_read(h, s->serial, old, &p)) != 0)
			goto out;
		remac = 1;
		if ((r = sks_ptr_write(h, s->serial, s->psk, &p)) != 0)
			goto out;
	} else if (r != 0)
		goto out;
	err_set_detail(NULL);
	/* a wrap goes: no copy of it may stay in the WAL */
	store_wipe_on_commit(h->st);
	if ((r = store_prepare(h->st, "UPDATE partition SET psk_prev = NULL "
	    "WHERE id = ?", &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, s->pid);
	if ((r = hsm_step_done(h, q)) != 0)
		goto out;
	r = hsm_audit_part(h, "partition-rekey-finish", 1, NULL, s->label,
	    s->serial, remac ? "the rekey's sks.db step completed after a "
	    "crash: SMK pointer MACed under the new partition key; the old "
	    "key destroyed" : "the old partition key destroyed");
 out:
	r = hsm_tx_leave(h, own, r, 0);
	secret_free(old);
	buf_free(prev);
	sks_ptr_clear(&p);
	return r;
}
