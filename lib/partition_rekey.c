/*
 * partition_rekey: `hsm partition rekey`, the PSK rollover (issue 12).
 *
 * A credential change re-wraps the same PSK, so an old copy of hsm.db and
 * an old credential would open the partition's objects for ever. A rekey
 * makes a new PSK and re-seals under it everything the old one sealed: the
 * PSK of every role (sealed to the role's public key, so no credential
 * but the CO's is needed: lib/role.c), the DSK's wrap, every V0 object
 * value, every SMK wrap of a V1 partition and sks.db's pointer MAC. A V1
 * partition's SMK is rolled over first (lib/sks_smk.c): the old PSK opens
 * the old SMK, so the blobs must move to a new one too. docs/security.md
 * ("Partition rekey") gives the threat it answers and docs/formats.md 2.5
 * the crash states.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "hsm_int.h"
#include "partition.h"
#include "secret.h"
#include "sks_int.h"
#include "store.h"
#include "wrap.h"

static int
rekey_allowed(struct session *s)
{
	int r;

	if (s->role != ROLE_CO) {
		err_set_detail("the partition is rekeyed by the Crypto Officer");
		return CE_PERMISSION;
	}
	if ((r = activation_need_shares(s, "a rekey")) != 0)
		return r;
	if (s->psk == NULL || s->dsk == NULL)
		return CE_NOT_LOGGED_IN;
	if (store_in_tx(s->h->st)) {
		err_set_detail("a rekey runs in transactions of its own");
		return CE_INVALID;
	}
	return 0;
}

/*
 * Every role holding the PSK must have its key pair (hsm.db schema 4)
 * before anything moves, a V1 partition's SMK included; lib/role.c checks
 * again inside the transaction.
 */
static int
roles_ready(struct session *s)
{
	sqlite3_stmt *q;
	int r, rc, role = 0;

	if ((r = store_prepare(s->h->st, "SELECT role FROM role WHERE "
	    "partition_id = ? AND psk_wrap IS NOT NULL AND role_key IS NULL "
	    "ORDER BY role LIMIT 1", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, s->pid);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		role = sqlite3_column_int(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : store_err(s->h->st, rc);
	err_set_detail("the %s of partition '%s' still has a credential wrap "
	    "from before hsm.db schema 4; it gets its key pair at its next "
	    "login: log in once as %s, then rekey (nothing was changed)",
	    role_name(role), s->label, role_name(role));
	return CE_POLICY;
}

/* The partition row's part: the DSK under the new PSK, the generation and,
 * for V1, the old PSK under the new one until sks.db has caught up. */
static int
partition_row_rekey(struct session *s, const struct secret *newpsk,
    uint64_t gen)
{
	struct hsm *h = s->h;
	struct buf *dw = NULL, *prev = NULL;
	sqlite3_stmt *q;
	int r;

	if ((r = wrap_seal(secret_ptr(newpsk), WRAP_DSK_PSK, s->serial, 0,
	    NULL, 0, secret_ptr(s->dsk), secret_len(s->dsk), &dw)) != 0)
		goto out;
	if (s->version == 1 && (r = wrap_seal(secret_ptr(newpsk),
	    WRAP_PSK_PREV, s->serial, gen, NULL, 0, secret_ptr(s->psk),
	    secret_len(s->psk), &prev)) != 0)
		goto out;
	if ((r = store_prepare(h->st, "UPDATE partition SET dsk_wrap = ?, "
	    "psk_gen = ?, psk_prev = ? WHERE id = ?", &q)) != 0)
		goto out;
	sqlite3_bind_blob(q, 1, buf_ptr(dw), (int)buf_len(dw),
	    SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 2, (int64_t)gen);
	if (prev != NULL)
		sqlite3_bind_blob(q, 3, buf_ptr(prev), (int)buf_len(prev),
		    SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, 3);
	sqlite3_bind_int64(q, 4, s->pid);
	r = hsm_step_done(h, q);
 out:
	buf_free(dw);
	buf_free(prev);
	return r;
}

/* The one transaction that swaps the PSK (both stores for V1). */
static int
rekey_tx(struct session *s, const struct secret *newpsk,
    struct partition_rekey_stats *st)
{
	struct hsm *h = s->h;
	struct audit_event ev;
	char detail[200];
	int r, own = 0;

	if ((r = hsm_tx_enter(h, &own)) != 0)
		return r;
	if ((r = session_psk_current(s)) != 0)
		goto out;
	st->psk_gen = s->psk_gen + 1;
	if ((r = role_psk_reseal_tx(h, s->pid, s->serial, s->label, newpsk,
	    &st->roles)) != 0 ||
	    (r = partition_row_rekey(s, newpsk, st->psk_gen)) != 0)
		goto out;
	if (s->version == 1)
		r = sks_psk_rekey_tx(s, newpsk, &st->smk_wraps);
	else
		r = object_reseal_tx(s, newpsk, &st->objects);
	if (r != 0)
		goto out;
	/* A cached role secret is a credential: the rekey assumes one may
	 * have leaked, so activations are made again from the shares. */
	if ((r = activation_drop_tx(h, s->pid, s->serial, s->label, ROLE_CO,
	    "partition rekeyed")) != 0 ||
	    (r = activation_drop_tx(h, s->pid, s->serial, s->label, ROLE_CU,
	    "partition rekeyed")) != 0)
		goto out;
	/* the old wraps go: no copy of them may stay in the WAL */
	store_wipe_on_commit(h->st);
	snprintf(detail, sizeof(detail), "partition key generation %llu "
	    "replaced by %llu: %d role wrap(s), the DSK wrap, %s re-sealed",
	    (unsigned long long)s->psk_gen, (unsigned long long)st->psk_gen,
	    st->roles, s->version == 1 ? "the SMK wrap(s) and the SMK "
	    "pointer MAC" : "every object value");
	hsm_event(&ev, "partition-rekey", 1);
	ev.role = role_name(s->role);
	ev.partition = s->label;
	ev.serial = s->serial;
	ev.detail = detail;
	ev.count = (int64_t)(s->version == 1 ? st->blobs : st->objects);
	r = hsm_audit_tx(h, &ev);
 out:
	return hsm_tx_leave(h, own, r, 0);
}

int
partition_rekey(struct session *s, struct partition_rekey_stats *st)
{
	struct secret *newpsk = NULL;
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = rekey_allowed(s)) != 0)
		return r;
	if ((r = session_psk_current(s)) != 0 || (r = roles_ready(s)) != 0)
		return r;
	/* V1: the blobs leave the SMK the old PSK opens (own transactions,
	 * crash-safe on their own: docs/sks.md). */
	if (s->version == 1) {
		if ((r = sks_rekey_finish(s)) != 0 ||
		    (r = sks_rollover(s, NULL, NULL, &st->blobs)) != 0)
			return r;
		hsm_test_point("rekey-rolled-over");
	}
	if ((newpsk = secret_new(CC_KEY_LEN)) == NULL)
		return CE_NOMEM;
	cc_random(secret_ptr(newpsk), CC_KEY_LEN);
	if ((r = rekey_tx(s, newpsk, st)) != 0)
		goto out;
	hsm_test_point("rekey-committed");
	/* The session goes on under the new key. */
	secret_free(s->psk);
	s->psk = newpsk;
	newpsk = NULL;
	s->psk_gen = st->psk_gen;
	if (s->version == 1) {
		sks_session_forget(s);
		if ((r = sks_rekey_finish(s)) != 0)
			goto out;
	}
	hsm_checkpoint(s->h);
 out:
	secret_free(newpsk);
	return r;
}
