#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "crypto.h"
#include "domain.h"
#include "err.h"
#include "hsm_int.h"
#include "kdf.h"
#include "partition.h"
#include "secret.h"
#include "sks_int.h"
#include "store.h"
#include "wrap.h"

static const struct {
	int code;
	const char *name;
} policies[] = {
	{ PPOL_ALLOW_CLONING, "allow-cloning" },
	{ PPOL_STORAGE_SIZE, "storage-size" },
	{ PPOL_LOCKOUT, "lockout" },
	{ PPOL_ACTIVATION, "activation" },
};

int
partition_policy_parse(const char *name, int *policyp)
{
	size_t i;
	char num[8];

	for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		snprintf(num, sizeof(num), "%d", policies[i].code);
		if (strcmp(name, policies[i].name) == 0 ||
		    strcmp(name, num) == 0) {
			*policyp = policies[i].code;
			return 0;
		}
	}
	err_set_detail("unknown partition policy '%s' (allow-cloning, "
	    "storage-size, lockout, activation)", name);
	return CE_INVALID;
}

const char *
partition_policy_name(int policy)
{
	size_t i;

	for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (policies[i].code == policy)
			return policies[i].name;
	return NULL;
}

int
partition_create(struct hsm *h, const char *label, int version)
{
	sqlite3_stmt *q;
	uint64_t serial = 0, v;
	int r, own = 0, tries, rc;

	if (!hsm_so_ok(h))
		return CE_NOT_LOGGED_IN;
	if ((r = hsm_refuse_backup(h)) != 0)
		return r;
	if ((r = hsm_label_check("partition label", label,
	    PARTITION_LABEL_MAX)) != 0)
		return r;
	if (version != 0 && version != 1) {
		err_set_detail("partition version %d: use 0 (V0) or 1 (V1, SKS)",
		    version);
		return CE_INVALID;
	}
	/* V1 blobs live in sks.db: made now, so the transaction spans it. */
	if (version == 1 && (r = sks_attach(h, 1)) != 0)
		return r;
	if ((r = hsm_tx_enter(h, &own)) != 0)
		return r;
	if ((r = hsm_require_initialized(h)) != 0)
		goto out;
	if ((r = partition_lookup(h, label, NULL, NULL, NULL, NULL)) == 0) {
		err_set_detail("partition '%s' already exists", label);
		r = CE_EXISTS;
		goto out;
	}
	err_set_detail(NULL);
	if ((r = store_prepare(h->st, "INSERT INTO partition (label, serial, "
	    "version, state, created, allow_cloning) VALUES (?, ?, ?, 0, ?, 1)",
	    &q)) != 0)
		goto out;
	for (tries = 0; tries < 8; tries++) {
		/* 12-digit serials, random so that two HSMs do not collide. */
		cc_random(&v, sizeof(v));
		serial = 100000000000ULL + v % 900000000000ULL;
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, label, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(q, 2, (int64_t)serial);
		sqlite3_bind_int(q, 3, version);
		sqlite3_bind_int64(q, 4, (int64_t)time(NULL));
		rc = sqlite3_step(q);
		sqlite3_reset(q);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_CONSTRAINT) {
			r = store_err(h->st, rc);
			goto out;
		}
	}
	if (tries == 8) {
		r = CE_DB;
		goto out;
	}
	r = hsm_audit_part(h, "partition-create", 1, "so", label,
	    serial, version == 1 ? "V1 (SKS, policy 41)" : NULL);
 out:
	return hsm_tx_leave(h, own, r, 0);
}

int
partition_delete(struct hsm *h, const char *label)
{
	sqlite3_stmt *q;
	int64_t pid;
	uint64_t serial;
	int r, own = 0;

	if (!hsm_so_ok(h))
		return CE_NOT_LOGGED_IN;
	if ((r = hsm_tx_enter(h, &own)) != 0)
		return r;
	if ((r = partition_lookup(h, label, &pid, &serial, NULL, NULL)) != 0)
		goto out;
	/* Objects first, in batches (the cascade would gather every rowid
	 * at once), then what sks.db keeps of the partition. */
	if ((r = hsm_erase_objects_tx(h, pid)) != 0 ||
	    (r = sks_forget_tx(h, serial)) != 0)
		goto out;
	/* a wrap goes: no copy of it may stay in the WAL */
	store_wipe_on_commit(h->st);
	if ((r = store_prepare(h->st, "DELETE FROM partition WHERE id = ?",
	    &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, pid);
	if ((r = hsm_step_done(h, q)) != 0)
		goto out;
	r = hsm_audit_part(h, "partition-delete", 1, "so", label,
	    serial, NULL);
 out:
	return hsm_tx_leave(h, own, r, 0);
}

static int
bind_buf(sqlite3_stmt *q, int i, const struct buf *b)
{
	return sqlite3_bind_blob(q, i, buf_ptr(b), (int)buf_len(b),
	    SQLITE_TRANSIENT) == SQLITE_OK ? 0 : CE_DB;
}

int
partition_init(struct hsm *h, const char *label,
    const struct partition_init_params *p, const struct secret *po,
    const struct secret *domain)
{
	struct secret *psk = NULL, *dsk = NULL, *kek = NULL, *dkey = NULL;
	uint8_t kmac[ROLE_KDF_MAC_LEN];
	struct buf *dsk_po = NULL, *dsk_psk = NULL;
	struct role_wraps po_w;
	uint8_t salt[KDF_SALT_LEN];
	const char *newlabel = p->new_label ? p->new_label : label;
	const char *dlabel = p->domain_label ? p->domain_label : "default";
	sqlite3_stmt *q;
	int64_t pid;
	uint64_t serial;
	int r, own = 0, state, version = 0;

	if ((r = hsm_label_check("partition label", newlabel,
	    PARTITION_LABEL_MAX)) != 0 || (r = domain_label_check(dlabel)) != 0)
		return r;
	if (kdf_profile_name(p->kdf) == NULL ||
	    (p->domain.type == DOMAIN_PASSWORD &&
	    kdf_profile_name(p->domain.kdf) == NULL))
		return CE_INVALID;
	if ((r = partition_lookup(h, label, &pid, &serial, &state, NULL)) != 0)
		return r;
	if (state != PARTITION_CREATED) {
		err_set_detail("partition '%s' is already initialized; zeroize "
		    "it first to start over", label);
		return CE_EXISTS;
	}
	memset(&po_w, 0, sizeof(po_w));
	/* The slow Argon2id work happens before the write lock is taken. */
	if ((psk = secret_new(CC_KEY_LEN)) == NULL ||
	    (dsk = secret_new(CC_KEY_LEN)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	cc_random(secret_ptr(psk), CC_KEY_LEN);
	cc_random(secret_ptr(dsk), CC_KEY_LEN);
	cc_random(salt, sizeof(salt));
	if ((r = wrap_kek(po, p->kdf, salt, &kek)) != 0 ||
	    (r = domain_key_derive(&p->domain, domain, &dkey)) != 0 ||
	    (r = role_wraps_make(kek, serial, ROLE_PO, psk, &po_w)) != 0 ||
	    (r = role_wrap_key(kek, WRAP_DSK_ROLE, serial, ROLE_PO, dsk,
	    &dsk_po)) != 0 ||
	    (r = wrap_seal(secret_ptr(psk), WRAP_DSK_PSK, serial, 0, NULL, 0,
	    secret_ptr(dsk), CC_KEY_LEN, &dsk_psk)) != 0)
		goto out;
	if ((r = hsm_tx_enter(h, &own)) != 0)
		goto out;
	if ((r = partition_lookup(h, label, &pid, &serial, &state,
	    &version)) != 0)
		goto out;
	if (state != PARTITION_CREATED) {
		err_set_detail("partition '%s' was initialized meanwhile", label);
		r = CE_EXISTS;
		goto out;
	}
	if (strcmp(newlabel, label) != 0 &&
	    partition_lookup(h, newlabel, NULL, NULL, NULL, NULL) == 0) {
		err_set_detail("partition label '%s' is in use", newlabel);
		r = CE_EXISTS;
		goto out;
	}
	err_set_detail(NULL);
	/* The profile is bound to the DSK: hsm.db alone cannot change it. */
	if ((r = role_kdf_mac(dsk, serial, p->kdf, kmac)) != 0)
		goto out;
	if ((r = store_prepare(h->st, "UPDATE partition SET label = ?, "
	    "state = 1, kdf = ?, dsk_wrap = ?, initialized = ?, used = 0, "
	    "count = 0, kdf_mac = ? WHERE id = ?", &q)) != 0)
		goto out;
	sqlite3_bind_text(q, 1, newlabel, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 2, p->kdf);
	if ((r = bind_buf(q, 3, dsk_psk)) != 0)
		goto out;
	sqlite3_bind_int64(q, 4, (int64_t)time(NULL));
	sqlite3_bind_blob(q, 5, kmac, sizeof(kmac), SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 6, pid);
	if ((r = hsm_step_done(h, q)) != 0)
		goto out;
	if ((r = role_row_put(h, pid, ROLE_PO, p->kdf, salt, &po_w,
	    dsk_po)) != 0)
		goto out;
	if ((r = domain_insert_tx(h, pid, serial, dsk, dlabel, &p->domain, dkey,
	    1)) != 0)
		goto out;
	/* A V1 partition's SMK is made here, wrapped under the new PSK. */
	if (version == 1 && (r = sks_init_tx(h, pid, serial, psk)) != 0)
		goto out;
	r = hsm_audit_part(h, "partition-init", 1, "po", newlabel,
	    serial, version == 1 ? "PO initialized with its first cloning "
	    "domain and a new SMK" : "PO initialized with its first cloning "
	    "domain");
 out:
	r = hsm_tx_leave(h, own, r, 0);
	secret_free(psk);
	secret_free(dsk);
	secret_free(kek);
	secret_free(dkey);
	role_wraps_clear(&po_w);
	buf_free(dsk_po);
	buf_free(dsk_psk);
	return r;
}

#define INFO_SQL \
    "SELECT p.id, p.label, p.serial, p.version, p.state, p.kdf, " \
    "p.allow_cloning, h.allow_cloning, p.capacity, p.used, p.count, " \
    "p.lockout, (SELECT count(*) FROM domain d WHERE d.partition_id = p.id)," \
    " p.created, p.initialized, p.allow_activation, p.psk_gen " \
    "FROM partition p, hsm h " \
    "WHERE h.id = 1"

static void
info_row(sqlite3_stmt *q, struct partition_info *in)
{
	memset(in, 0, sizeof(*in));
	in->id = sqlite3_column_int64(q, 0);
	snprintf(in->label, sizeof(in->label), "%s",
	    (const char *)sqlite3_column_text(q, 1));
	in->serial = (uint64_t)sqlite3_column_int64(q, 2);
	in->version = sqlite3_column_int(q, 3);
	in->state = sqlite3_column_int(q, 4);
	in->kdf = sqlite3_column_int(q, 5);
	in->allow_cloning = sqlite3_column_int(q, 6);
	in->hsm_allow_cloning = sqlite3_column_int(q, 7);
	in->cloning = in->allow_cloning && in->hsm_allow_cloning;
	in->capacity = (uint64_t)sqlite3_column_int64(q, 8);
	in->used = (uint64_t)sqlite3_column_int64(q, 9);
	in->objects = (uint64_t)sqlite3_column_int64(q, 10);
	in->lockout = sqlite3_column_int(q, 11);
	in->domains = sqlite3_column_int(q, 12);
	in->created = sqlite3_column_int64(q, 13);
	in->initialized = sqlite3_column_int64(q, 14);
	in->allow_activation = sqlite3_column_int(q, 15);
	in->psk_gen = (uint64_t)sqlite3_column_int64(q, 16);
}

/* V1 objects are counted in sks.db, beside the blobs. */
static int
v1_usage(struct hsm *h, struct partition_info *in)
{
	if (in->version != 1)
		return 0;
	return sks_usage(h, in->serial, &in->objects, &in->used);
}

int
partition_get_info(struct hsm *h, const char *label, struct partition_info *ip)
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = hsm_require_initialized(h)) != 0 ||
	    (r = hsm_refuse_backup(h)) != 0)
		return r;
	if ((r = store_prepare(h->st, INFO_SQL " AND p.label = ?", &q)) != 0)
		return r;
	sqlite3_bind_text(q, 1, label, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? CE_NOT_FOUND : store_err(h->st, rc);
		if (r == CE_NOT_FOUND)
			err_set_detail("no partition '%s' in %s", label, h->dir);
		sqlite3_reset(q);
		return r;
	}
	info_row(q, ip);
	sqlite3_reset(q);
	if ((r = v1_usage(h, ip)) != 0)
		return r;
	return role_status_get(h, ip->id, ip->roles);
}

int
partition_session_info(struct session *s, struct partition_info *ip)
{
	return partition_get_info(s->h, s->label, ip);
}

int
partition_list(struct hsm *h,
    int (*cb)(void *ctx, const struct partition_info *pi), void *ctx)
{
	static const char sql[] = INFO_SQL " ORDER BY p.label";
	sqlite3_stmt *q = NULL;
	struct partition_info in;
	int r, rc;

	if ((r = hsm_require_initialized(h)) != 0)
		return r;
	/* Not cached: role_status_get() uses the cache while this steps. */
	if ((rc = sqlite3_prepare_v2(store_db(h->st), sql, -1, &q, NULL)) !=
	    SQLITE_OK)
		return store_err(h->st, rc);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		info_row(q, &in);
		if ((r = v1_usage(h, &in)) != 0 ||
		    (r = role_status_get(h, in.id, in.roles)) != 0 ||
		    (r = cb(ctx, &in)) != 0)
			goto out;
	}
	r = rc == SQLITE_DONE ? 0 : store_err(h->st, rc);
 out:
	sqlite3_finalize(q);
	return r;
}

int
partition_zeroize(struct hsm *h, struct session *s, const char *label,
    const char *why)
{
	int64_t pid;
	uint64_t serial;
	int r, own = 0;

	if (s != NULL) {
		if (s->role != ROLE_PO || strcmp(s->label, label) != 0)
			return CE_PERMISSION;
	} else if (!hsm_so_ok(h))
		return CE_NOT_LOGGED_IN;
	if ((r = hsm_tx_enter(h, &own)) != 0)
		return r;
	if ((r = partition_lookup(h, label, &pid, &serial, NULL, NULL)) != 0)
		goto out;
	r = partition_zeroize_tx(h, pid, label, serial, why != NULL ? why :
	    s != NULL ? "zeroized by the PO" : "zeroized by the SO");
 out:
	r = hsm_tx_leave(h, own, r, 0);
	if (r == 0 && own)
		hsm_checkpoint(h);
	return r;
}

int
partition_policy_set(struct session *s, int policy, uint64_t value)
{
	struct hsm *h = s->h;
	struct partition_info in;
	sqlite3_stmt *q;
	const char *sql;
	char detail[128];
	uint64_t old;
	int r, own = 0, destructive = 0;

	if (s->role != ROLE_PO) {
		err_set_detail("partition policies are set by the partition SO");
		return CE_PERMISSION;
	}
	switch (policy) {
	case PPOL_ALLOW_CLONING:
		if (value > 1)
			goto bad;
		sql = "UPDATE partition SET allow_cloning = ? WHERE id = ?";
		break;
	case PPOL_STORAGE_SIZE:
		if (value < 65536 || value > PARTITION_CAPACITY_MAX)
			goto bad;
		sql = "UPDATE partition SET capacity = ? WHERE id = ?";
		break;
	case PPOL_LOCKOUT:
		if (value < 3 || value > 10)
			goto bad;
		sql = "UPDATE partition SET lockout = ? WHERE id = ?";
		break;
	case PPOL_ACTIVATION:
		if (value > 1)
			goto bad;
		if ((r = hsm_is_ped(h)) <= 0) {
			if (r == 0) {
				err_set_detail("the activation policy is for PED "
				    "HSMs");
				r = CE_UNSUPPORTED;
			}
			return r;
		}
		sql = "UPDATE partition SET allow_activation = ? WHERE id = ?";
		break;
	default:
		goto bad;
	}
	if ((r = hsm_tx_enter(h, &own)) != 0)
		return r;
	if ((r = partition_get_info(h, s->label, &in)) != 0)
		goto out;
	old = policy == PPOL_ALLOW_CLONING ? (uint64_t)in.allow_cloning :
	    policy == PPOL_STORAGE_SIZE ? in.capacity :
	    policy == PPOL_ACTIVATION ? (uint64_t)in.allow_activation :
	    (uint64_t)in.lockout;
	if (old == value)
		goto out;
	if (policy == PPOL_STORAGE_SIZE && value < in.used) {
		err_set_detail("partition '%s' already uses %llu bytes; delete "
		    "objects before shrinking it", s->label,
		    (unsigned long long)in.used);
		r = CE_FULL;
		goto out;
	}
	if ((r = store_prepare(h->st, sql, &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, (int64_t)value);
	sqlite3_bind_int64(q, 2, s->pid);
	if ((r = hsm_step_done(h, q)) != 0)
		goto out;
	if (policy == PPOL_ALLOW_CLONING) {
		destructive = 1;
		if ((r = hsm_erase_objects_tx(h, s->pid)) != 0)
			goto out;
	}
	/* Off means off now: cached secrets go with the permission. */
	if (policy == PPOL_ACTIVATION && value == 0 &&
	    ((r = activation_drop_tx(h, s->pid, s->serial, s->label, ROLE_CO,
	    "partition policy activation turned off")) != 0 ||
	    (r = activation_drop_tx(h, s->pid, s->serial, s->label, ROLE_CU,
	    "partition policy activation turned off")) != 0))
		goto out;
	snprintf(detail, sizeof(detail), "partition policy %s set to %llu%s",
	    partition_policy_name(policy), (unsigned long long)value,
	    destructive ? " (destructive: all objects erased)" : "");
	r = hsm_audit_part(h, "policy", 1, "po", s->label, s->serial, detail);
 out:
	return hsm_tx_leave(h, own, r, 0);
 bad:
	err_set_detail("bad value %llu for partition policy %s (allow-cloning "
	    "0|1, storage-size 65536..2^40 bytes, lockout 3..10, activation "
	    "0|1)",
	    (unsigned long long)value, partition_policy_name(policy) ?
	    partition_policy_name(policy) : "?");
	return CE_INVALID;
}
