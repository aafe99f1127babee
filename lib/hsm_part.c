/*
 * hsm_part: the partition rows as the HSM device sees them - find one by
 * label, its serial, and wipe it (zeroization). Logins, lockout and
 * activation need these, and they sit below partition administration in
 * the layers (docs/architecture.md), so they live here, in the hsm family,
 * under their partition_ names.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "err.h"
#include "hsm_int.h"
#include "partition.h"
#include "sks_int.h"
#include "store.h"

int
partition_lookup(struct hsm *h, const char *label, int64_t *pidp,
    uint64_t *serialp, int *statep, int *versionp)
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = hsm_require_initialized(h)) != 0 ||
	    (r = hsm_refuse_backup(h)) != 0)
		return r;
	if ((r = store_prepare(h->st, "SELECT id, serial, state, version "
	    "FROM partition WHERE label = ?", &q)) != 0)
		return r;
	sqlite3_bind_text(q, 1, label, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? CE_NOT_FOUND : store_err(h->st, rc);
		if (r == CE_NOT_FOUND)
			err_set_detail("no partition '%s' in %s ('hsm partition "
			    "list' shows them)", label, h->dir);
		goto out;
	}
	if (pidp)
		*pidp = sqlite3_column_int64(q, 0);
	if (serialp)
		*serialp = (uint64_t)sqlite3_column_int64(q, 1);
	if (statep)
		*statep = sqlite3_column_int(q, 2);
	if (versionp)
		*versionp = sqlite3_column_int(q, 3);
	r = 0;
 out:
	sqlite3_reset(q);
	return r;
}

/* One integer of partition row pid, by a query taking the id. */
static int
partition_u64(struct hsm *h, const char *sql, int64_t pid, uint64_t *vp)
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = store_prepare(h->st, sql, &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, pid);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		*vp = (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (rc == SQLITE_DONE)
		return CE_NOT_FOUND;
	return rc == SQLITE_ROW ? 0 : store_err(h->st, rc);
}

int
partition_serial_of(struct hsm *h, int64_t pid, uint64_t *serialp)
{
	return partition_u64(h, "SELECT serial FROM partition WHERE id = ?",
	    pid, serialp);
}

int
partition_psk_gen_of(struct hsm *h, int64_t pid, uint64_t *genp)
{
	return partition_u64(h, "SELECT psk_gen FROM partition WHERE id = ?",
	    pid, genp);
}

int
partition_zeroize_tx(struct hsm *h, int64_t pid, const char *label,
    uint64_t serial, const char *why)
{
	sqlite3_stmt *q;
	int r;

	if ((r = hsm_erase_objects_tx(h, pid)) != 0)
		return r;
	/* a wrap goes: no copy of it may stay in the WAL */
	store_wipe_on_commit(h->st);
	if ((r = store_prepare(h->st, "DELETE FROM domain WHERE "
	    "partition_id = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, pid);
	if ((r = hsm_step_done(h, q)) != 0)
		return r;
	if ((r = store_prepare(h->st, "DELETE FROM role WHERE "
	    "partition_id = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, pid);
	if ((r = hsm_step_done(h, q)) != 0)
		return r;
	if ((r = store_prepare(h->st, "DELETE FROM smk WHERE "
	    "partition_id = ?", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, pid);
	if ((r = hsm_step_done(h, q)) != 0 ||
	    (r = sks_forget_tx(h, serial)) != 0)
		return r;
	if ((r = store_prepare(h->st, "UPDATE partition SET state = 0, "
	    "kdf = NULL, dsk_wrap = NULL, initialized = NULL, psk_prev = NULL, "
	    "psk_gen = 1 WHERE id = ?",
	    &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, pid);
	if ((r = hsm_step_done(h, q)) != 0)
		return r;
	return hsm_audit_part(h, "partition-zeroize", 1, NULL, label, serial,
	    why);
}
