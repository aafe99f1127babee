#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "buf.h"
#include "crypto.h"
#include "domain.h"
#include "err.h"
#include "hsm_int.h"
#include "kdf.h"
#include "secret.h"
#include "store.h"
#include "wrap.h"

static const char hkdf_salt[] = "coffer-domain-v1";
/* Exactly KDF_SALT_LEN bytes: the fixed Argon2id context salt. */
static const uint8_t argon_salt[KDF_SALT_LEN] = {
	'c', 'o', 'f', 'f', 'e', 'r', '.', 'd',
	'o', 'm', 'a', 'i', 'n', '.', 'v', '1'
};

int
domain_type_parse(const char *name, int *typep)
{
	if (strcmp(name, "password") == 0)
		*typep = DOMAIN_PASSWORD;
	else if (strcmp(name, "ped") == 0)
		*typep = DOMAIN_PED;
	else {
		err_set_detail("unknown domain type '%s' (password, ped)", name);
		return CE_INVALID;
	}
	return 0;
}

const char *
domain_type_name(int type)
{
	return type == DOMAIN_PASSWORD ? "password" :
	    type == DOMAIN_PED ? "ped" : "?";
}

int
domain_label_check(const char *label)
{
	return hsm_label_check("domain label", label, DOMAIN_LABEL_MAX);
}

int
domain_key_derive(int type, int kdf, const struct secret *material,
    struct secret **keyp)
{
	struct secret *ikm = NULL, *key = NULL;
	const char *info;
	int r;

	if ((key = secret_new(DOMAIN_KEY_LEN)) == NULL)
		return CE_NOMEM;
	if (type == DOMAIN_PASSWORD) {
		if ((ikm = secret_new(32)) == NULL) {
			r = CE_NOMEM;
			goto out;
		}
		if ((r = kdf_argon2id(kdf, secret_ptr(material),
		    secret_len(material), argon_salt, secret_ptr(ikm), 32)) != 0)
			goto out;
		info = "password-domain";
	} else if (type == DOMAIN_PED) {
		if (secret_len(material) != DOMAIN_PED_SECRET_LEN) {
			err_set_detail("a PED domain secret is %d bytes",
			    DOMAIN_PED_SECRET_LEN);
			r = CE_INVALID;
			goto out;
		}
		if ((ikm = secret_dup(material)) == NULL) {
			r = CE_NOMEM;
			goto out;
		}
		info = "ped-domain";
	} else {
		r = CE_INVALID;
		goto out;
	}
	if ((r = cc_hkdf_sha384(hkdf_salt, sizeof(hkdf_salt) - 1,
	    secret_ptr(ikm), secret_len(ikm), info, strlen(info),
	    secret_ptr(key), DOMAIN_KEY_LEN)) != 0)
		goto out;
	*keyp = key;
	key = NULL;
 out:
	secret_free(ikm);
	secret_free(key);
	return r;
}

int
domain_fingerprint(const struct secret *key, char out[DOMAIN_FP_LEN])
{
	static const char info[] = "coffer-domain-fingerprint-v1";
	uint8_t fp[8];
	int r;

	if ((r = cc_hkdf_sha384(NULL, 0, secret_ptr(key), secret_len(key),
	    info, sizeof(info) - 1, fp, sizeof(fp))) != 0)
		return r;
	snprintf(out, DOMAIN_FP_LEN, "%02X%02X-%02X%02X-%02X%02X-%02X%02X",
	    fp[0], fp[1], fp[2], fp[3], fp[4], fp[5], fp[6], fp[7]);
	return 0;
}

int
domain_check(const struct secret *key, const uint8_t salt[DOMAIN_SALT_LEN],
    uint8_t out[DOMAIN_CHECK_LEN])
{
	static const char tag[] = "coffer-domain-check 1";
	uint8_t msg[sizeof(tag) - 1 + DOMAIN_SALT_LEN], mac[CC_HASH_LEN];
	int r;

	memcpy(msg, tag, sizeof(tag) - 1);
	memcpy(msg + sizeof(tag) - 1, salt, DOMAIN_SALT_LEN);
	if ((r = cc_hmac_sha384(secret_ptr(key), secret_len(key), msg,
	    sizeof(msg), mac)) == 0)
		memcpy(out, mac, DOMAIN_CHECK_LEN);
	sodium_memzero(mac, sizeof(mac));
	return r;
}

/* The wrap binds the partition serial and the domain's type and profile. */
static uint64_t
wrap_sub(int type, int kdf)
{
	return ((uint64_t)(unsigned)type << 8) | (unsigned)kdf;
}

int
domain_insert_tx(struct hsm *h, int64_t pid, uint64_t serial,
    const struct secret *dsk, const char *label, int type, int kdf,
    const struct secret *key, int primary)
{
	struct buf *w = NULL;
	sqlite3_stmt *q;
	int r;

	if ((r = wrap_seal(secret_ptr(dsk), WRAP_DOMAIN, serial,
	    wrap_sub(type, kdf), NULL, 0, secret_ptr(key), secret_len(key),
	    &w)) != 0)
		return r;
	if (primary) {
		if ((r = store_prepare(h->st, "UPDATE domain SET is_primary = 0 "
		    "WHERE partition_id = ?", &q)) != 0)
			goto out;
		sqlite3_bind_int64(q, 1, pid);
		if ((r = hsm_step_done(h, q)) != 0)
			goto out;
	}
	if ((r = store_prepare(h->st, "INSERT INTO domain (partition_id, label,"
	    " type, kdf, is_primary, pos, wrap, created) VALUES (?, ?, ?, ?, ?, "
	    "(SELECT coalesce(max(pos), 0) + 1 FROM domain WHERE "
	    "partition_id = ?), ?, ?)", &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, pid);
	sqlite3_bind_text(q, 2, label, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 3, type);
	sqlite3_bind_int(q, 4, kdf);
	sqlite3_bind_int(q, 5, primary ? 1 : 0);
	sqlite3_bind_int64(q, 6, pid);
	sqlite3_bind_blob(q, 7, buf_ptr(w), (int)buf_len(w), SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 8, (int64_t)time(NULL));
	r = hsm_step_done(h, q);
	if (r == CE_EXISTS)
		err_set_detail("domain label '%s' is in use", label);
 out:
	buf_free(w);
	return r;
}

void
domain_list_clear(struct domain_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		secret_free(l->d[i].key);
	memset(l, 0, sizeof(*l));
}

int
domain_list_get(struct session *s, struct domain_list *lp)
{
	struct domain_list l;
	struct domain_entry *e;
	sqlite3_stmt *q;
	int r, rc;

	memset(&l, 0, sizeof(l));
	memset(lp, 0, sizeof(*lp));
	if (s->dsk == NULL)
		return CE_NOT_LOGGED_IN;
	if ((r = store_prepare(s->h->st, "SELECT label, type, kdf, is_primary,"
	    " created, wrap FROM domain WHERE partition_id = ? ORDER BY "
	    "is_primary DESC, pos", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, s->pid);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (l.n == DOMAIN_MAX) {
			r = CE_INTEGRITY;
			goto out;
		}
		e = &l.d[l.n];
		snprintf(e->label, sizeof(e->label), "%s",
		    (const char *)sqlite3_column_text(q, 0));
		e->type = sqlite3_column_int(q, 1);
		e->kdf = sqlite3_column_int(q, 2);
		e->primary = sqlite3_column_int(q, 3);
		e->created = sqlite3_column_int64(q, 4);
		r = wrap_open(secret_ptr(s->dsk), WRAP_DOMAIN, s->serial,
		    wrap_sub(e->type, e->kdf), NULL, 0, sqlite3_column_blob(q, 5),
		    (size_t)sqlite3_column_bytes(q, 5), &e->key);
		if (r != 0) {
			err_set_detail("domain '%s' does not open: hsm.db was "
			    "altered", e->label);
			r = CE_INTEGRITY;
			goto out;
		}
		l.n++;
	}
	if (rc != SQLITE_DONE) {
		r = store_err(s->h->st, rc);
		goto out;
	}
	*lp = l;
	memset(&l, 0, sizeof(l));
	r = 0;
 out:
	sqlite3_reset(q);
	domain_list_clear(&l);
	return r;
}

static int
require_po(struct session *s)
{
	if (s->role != ROLE_PO) {
		err_set_detail("cloning domains are managed by the partition SO");
		return CE_PERMISSION;
	}
	return 0;
}

static int
domain_audit(struct session *s, const char *event, const char *detail)
{

	return hsm_audit_part(s->h, event, 1, "po", s->label,
	    s->serial, detail);
}

int
domain_add(struct session *s, const char *label, int type, int kdf,
    const struct secret *key, int primary)
{
	struct domain_list l;
	char detail[96];
	size_t i;
	int r, own = 0;

	memset(&l, 0, sizeof(l));
	if ((r = require_po(s)) != 0 || (r = domain_label_check(label)) != 0)
		return r;
	if (secret_len(key) != DOMAIN_KEY_LEN ||
	    (type != DOMAIN_PASSWORD && type != DOMAIN_PED))
		return CE_INVALID;
	if ((r = hsm_tx_enter(s->h, &own)) != 0)
		return r;
	if ((r = domain_list_get(s, &l)) != 0)
		goto out;
	if (l.n >= DOMAIN_MAX) {
		err_set_detail("partition '%s' already holds %d domains; remove "
		    "one first", s->label, DOMAIN_MAX);
		r = CE_FULL;
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		if (strcmp(l.d[i].label, label) == 0) {
			err_set_detail("domain label '%s' is in use", label);
			r = CE_EXISTS;
			goto out;
		}
		if (secret_equal(l.d[i].key, key)) {
			err_set_detail("this domain is already on the partition "
			    "as '%s'", l.d[i].label);
			r = CE_EXISTS;
			goto out;
		}
	}
	if ((r = domain_insert_tx(s->h, s->pid, s->serial, s->dsk, label, type,
	    kdf, key, primary || l.n == 0)) != 0)
		goto out;
	snprintf(detail, sizeof(detail), "domain '%s' (%s) added%s", label,
	    domain_type_name(type), primary ? " as primary" : "");
	r = domain_audit(s, "domain-add", detail);
 out:
	domain_list_clear(&l);
	return hsm_tx_leave(s->h, own, r, 0);
}

int
domain_remove(struct session *s, const char *label)
{
	sqlite3_stmt *q;
	char detail[96];
	int r, own = 0, rc, n = 0, found = 0;

	if ((r = require_po(s)) != 0)
		return r;
	if ((r = hsm_tx_enter(s->h, &own)) != 0)
		return r;
	if ((r = store_prepare(s->h->st, "SELECT count(*), sum(label = ?) "
	    "FROM domain WHERE partition_id = ?", &q)) != 0)
		goto out;
	sqlite3_bind_text(q, 1, label, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 2, s->pid);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		n = sqlite3_column_int(q, 0);
		found = sqlite3_column_int(q, 1);
	}
	sqlite3_reset(q);
	if (!found) {
		err_set_detail("no domain '%s' on partition '%s'", label,
		    s->label);
		r = CE_NOT_FOUND;
		goto out;
	}
	if (n <= 1) {
		err_set_detail("'%s' is the partition's last cloning domain; add "
		    "another before removing it", label);
		r = CE_POLICY;
		goto out;
	}
	/* a wrap goes: no copy of it may stay in the WAL */
	store_wipe_on_commit(s->h->st);
	if ((r = store_prepare(s->h->st, "DELETE FROM domain WHERE "
	    "partition_id = ? AND label = ?", &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, s->pid);
	sqlite3_bind_text(q, 2, label, -1, SQLITE_TRANSIENT);
	if ((r = hsm_step_done(s->h, q)) != 0)
		goto out;
	/* Keep exactly one primary: the oldest remaining if it was removed. */
	if ((r = store_prepare(s->h->st, "UPDATE domain SET is_primary = 1 "
	    "WHERE partition_id = ?1 AND NOT EXISTS (SELECT 1 FROM domain "
	    "WHERE partition_id = ?1 AND is_primary = 1) AND pos = (SELECT "
	    "min(pos) FROM domain WHERE partition_id = ?1)", &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, s->pid);
	if ((r = hsm_step_done(s->h, q)) != 0)
		goto out;
	snprintf(detail, sizeof(detail), "domain '%s' removed", label);
	r = domain_audit(s, "domain-remove", detail);
 out:
	return hsm_tx_leave(s->h, own, r, 0);
}

static int
domain_update(struct session *s, const char *sql, const char *a,
    const char *b, const char *event, const char *detail)
{
	sqlite3_stmt *q;
	int r, own = 0;

	if ((r = hsm_tx_enter(s->h, &own)) != 0)
		return r;
	if ((r = store_prepare(s->h->st, sql, &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, s->pid);
	sqlite3_bind_text(q, 2, a, -1, SQLITE_TRANSIENT);
	if (b != NULL)
		sqlite3_bind_text(q, 3, b, -1, SQLITE_TRANSIENT);
	if ((r = hsm_step_done(s->h, q)) != 0) {
		if (r == CE_EXISTS)
			err_set_detail("domain label '%s' is in use", b);
		goto out;
	}
	if (sqlite3_changes(store_db(s->h->st)) == 0) {
		err_set_detail("no domain '%s' on partition '%s'", a, s->label);
		r = CE_NOT_FOUND;
		goto out;
	}
	r = domain_audit(s, event, detail);
 out:
	return hsm_tx_leave(s->h, own, r, 0);
}

int
domain_relabel(struct session *s, const char *label, const char *newlabel)
{
	char detail[128];
	int r;

	if ((r = require_po(s)) != 0 || (r = domain_label_check(newlabel)) != 0)
		return r;
	snprintf(detail, sizeof(detail), "domain '%s' renamed '%s'", label,
	    newlabel);
	return domain_update(s, "UPDATE domain SET label = ?3 WHERE "
	    "partition_id = ?1 AND label = ?2", label, newlabel,
	    "domain-relabel", detail);
}

int
domain_set_primary(struct session *s, const char *label)
{
	char detail[96];
	int r;

	if ((r = require_po(s)) != 0)
		return r;
	snprintf(detail, sizeof(detail), "domain '%s' made primary", label);
	/* One statement: the named row becomes 1, the others 0. */
	return domain_update(s, "UPDATE domain SET is_primary = (label = ?2) "
	    "WHERE partition_id = ?1 AND EXISTS (SELECT 1 FROM domain WHERE "
	    "partition_id = ?1 AND label = ?2)", label, NULL, "domain-primary",
	    detail);
}
