#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "b32.h"
#include "buf.h"
#include "crypto.h"
#include "domain.h"
#include "err.h"
#include "hsm_int.h"
#include "kdf.h"
#include "secret.h"
#include "store.h"
#include "wrap.h"

static const char hkdf_salt_v1[] = "coffer-domain-v1";
static const char hkdf_salt_v2[] = "coffer-domain-v2";
/* Exactly KDF_SALT_LEN bytes: the legacy form's one Argon2id salt. */
static const uint8_t legacy_salt[KDF_SALT_LEN] = {
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

void
domain_spec_new(int kdf, struct domain_spec *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->type = DOMAIN_PASSWORD;
	sp->kdf = kdf;
	sp->salted = 1;
	cc_random(sp->salt, sizeof(sp->salt));
}

int
domain_key_derive(const struct domain_spec *sp,
    const struct secret *material, struct secret **keyp)
{
	struct secret *ikm = NULL, *key = NULL;
	const char *info, *hsalt = hkdf_salt_v1;
	int r;

	if ((key = secret_new(DOMAIN_KEY_LEN)) == NULL)
		return CE_NOMEM;
	if (sp->type == DOMAIN_PASSWORD) {
		if ((ikm = secret_new(32)) == NULL) {
			r = CE_NOMEM;
			goto out;
		}
		if ((r = kdf_argon2id(sp->kdf, secret_ptr(material),
		    secret_len(material), sp->salted ? sp->salt : legacy_salt,
		    secret_ptr(ikm), 32)) != 0)
			goto out;
		info = "password-domain";
		if (sp->salted)
			hsalt = hkdf_salt_v2;
	} else if (sp->type == DOMAIN_PED) {
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
	if ((r = cc_hkdf_sha384(hsalt, strlen(hsalt), secret_ptr(ikm),
	    secret_len(ikm), info, strlen(info), secret_ptr(key),
	    DOMAIN_KEY_LEN)) != 0)
		goto out;
	*keyp = key;
	key = NULL;
 out:
	secret_free(ikm);
	secret_free(key);
	return r;
}

int
domain_fingerprint(const struct domain_spec *sp, const struct secret *key,
    char out[DOMAIN_FP_LEN])
{
	static const char info1[] = "coffer-domain-fingerprint-v1";
	static const char info2[] = "coffer-domain-fingerprint-v2";
	uint8_t fp[8];
	int r;

	if (sp->type == DOMAIN_PASSWORD && !sp->salted) {
		err_set_detail("a legacy (unsalted) password domain has no "
		    "fingerprint; roll it over to a domain string (see "
		    "'Rolling over a legacy domain' in the domains manual)");
		return CE_UNSUPPORTED;
	}
	if (sp->type == DOMAIN_PED)
		r = cc_hkdf_sha384(NULL, 0, secret_ptr(key), secret_len(key),
		    info1, sizeof(info1) - 1, fp, sizeof(fp));
	else
		r = cc_hkdf_sha384(sp->salt, DOMAIN_SALT_LEN, secret_ptr(key),
		    secret_len(key), info2, sizeof(info2) - 1, fp, sizeof(fp));
	if (r != 0)
		return r;
	snprintf(out, DOMAIN_FP_LEN, "%02X%02X-%02X%02X-%02X%02X-%02X%02X",
	    fp[0], fp[1], fp[2], fp[3], fp[4], fp[5], fp[6], fp[7]);
	return 0;
}

#define STRING_CHECK_LEN 2

static int
string_check(const char *profile, const uint8_t salt[DOMAIN_SALT_LEN],
    uint8_t out[STRING_CHECK_LEN])
{
	static const char tag[] = "coffer-domain-string 2";
	uint8_t msg[sizeof(tag) + 16 + DOMAIN_SALT_LEN], h[CC_HASH_LEN];
	size_t n = strlen(profile), o = 0;
	int r;

	if (n > 16)
		return CE_INVALID;
	memcpy(msg, tag, sizeof(tag));  /* with its NUL: a separator */
	o = sizeof(tag);
	memcpy(msg + o, profile, n);
	o += n;
	memcpy(msg + o, salt, DOMAIN_SALT_LEN);
	o += DOMAIN_SALT_LEN;
	if ((r = cc_sha384(msg, o, h)) == 0)
		memcpy(out, h, STRING_CHECK_LEN);
	return r;
}

int
domain_string_format(const struct domain_spec *sp,
    char out[DOMAIN_STRING_MAX])
{
	uint8_t raw[DOMAIN_SALT_LEN + STRING_CHECK_LEN];
	const char *profile = kdf_profile_name(sp->kdf);
	char sym[48];
	int r;

	if (sp->type != DOMAIN_PASSWORD || !sp->salted || profile == NULL)
		return CE_INVALID;
	memcpy(raw, sp->salt, DOMAIN_SALT_LEN);
	if ((r = string_check(profile, sp->salt, raw + DOMAIN_SALT_LEN)) != 0 ||
	    (r = b32_encode(raw, sizeof(raw), 5, sym, sizeof(sym))) != 0)
		return r;
	if (snprintf(out, DOMAIN_STRING_MAX, "CDOM2-%s-%s", profile, sym) >=
	    DOMAIN_STRING_MAX)
		return CE_TOO_LONG;
	return 0;
}

int
domain_string_parse(const char *s, struct domain_spec *sp)
{
	uint8_t raw[DOMAIN_SALT_LEN + STRING_CHECK_LEN], chk[STRING_CHECK_LEN];
	char profile[17];
	const char *p, *dash;
	size_t n;
	int r, kdf;

	memset(sp, 0, sizeof(*sp));
	if (strncasecmp(s, "CDOM2-", 6) != 0) {
		err_set_detail("a domain string starts with CDOM2- (it is "
		    "printed by 'domains create')");
		return CE_FORMAT;
	}
	p = s + 6;
	if ((dash = strchr(p, '-')) == NULL || dash == p ||
	    (size_t)(dash - p) >= sizeof(profile)) {
		err_set_detail("a domain string is CDOM2-PROFILE-SYMBOLS");
		return CE_FORMAT;
	}
	memcpy(profile, p, (size_t)(dash - p));
	profile[dash - p] = '\0';
	if (kdf_profile_parse(profile, &kdf) != 0) {
		err_set_detail("the domain string names an unknown KDF profile "
		    "'%s'", profile);
		return CE_FORMAT;
	}
	if ((r = b32_decode(dash + 1, strlen(dash + 1), raw, sizeof(raw),
	    &n)) != 0 || n != sizeof(raw)) {
		err_set_detail("the domain string's symbols do not decode: "
		    "check it against the inventory");
		return CE_FORMAT;
	}
	if ((r = string_check(kdf_profile_name(kdf), raw, chk)) != 0)
		return r;
	if (memcmp(chk, raw + DOMAIN_SALT_LEN, STRING_CHECK_LEN) != 0) {
		err_set_detail("the domain string's check does not match: a "
		    "symbol was mistyped; copy it again from the inventory");
		return CE_FORMAT;
	}
	sp->type = DOMAIN_PASSWORD;
	sp->kdf = kdf;
	sp->salted = 1;
	memcpy(sp->salt, raw, DOMAIN_SALT_LEN);
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

int
domain_spec_choose(const char *string, int new_domain, int legacy, int kdf,
    struct domain_spec *sp)
{
	if ((string != NULL) + (new_domain != 0) + (legacy != 0) != 1) {
		err_set_detail("say which password domain: --domain-string S "
		    "(join the domain that string names, from the credential "
		    "inventory), --new-domain (make a new one and print its "
		    "string) or --legacy-domain (an unsalted domain made before "
		    "domain strings)");
		return CE_USAGE;
	}
	if (string != NULL)
		return domain_string_parse(string, sp) == 0 ? 0 : CE_USAGE;
	if (new_domain) {
		domain_spec_new(kdf, sp);
		return 0;
	}
	memset(sp, 0, sizeof(*sp));
	sp->type = DOMAIN_PASSWORD;
	sp->kdf = kdf;
	return 0;
}

/*
 * The wrap binds the partition serial, the domain's type, profile and form,
 * and a form 2 domain's salt (as the wrap's associated data), so an edit of
 * any public part in hsm.db makes the domain refuse to open.
 */
static uint64_t
wrap_sub(const struct domain_spec *sp)
{
	return ((uint64_t)(sp->salted ? 1 : 0) << 16) |
	    ((uint64_t)(unsigned)sp->type << 8) | (unsigned)sp->kdf;
}

static const uint8_t *
wrap_ad(const struct domain_spec *sp, size_t *np)
{
	*np = sp->salted ? DOMAIN_SALT_LEN : 0;
	return sp->salted ? sp->salt : NULL;
}

int
domain_insert_tx(struct hsm *h, int64_t pid, uint64_t serial,
    const struct secret *dsk, const char *label, const struct domain_spec *sp,
    const struct secret *key, int primary)
{
	struct buf *w = NULL;
	const uint8_t *ad;
	sqlite3_stmt *q;
	size_t adlen;
	int r;

	ad = wrap_ad(sp, &adlen);
	if ((r = wrap_seal(secret_ptr(dsk), WRAP_DOMAIN, serial, wrap_sub(sp),
	    ad, adlen, secret_ptr(key), secret_len(key), &w)) != 0)
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
	    " type, kdf, is_primary, pos, wrap, created, salt) VALUES (?, ?, ?, "
	    "?, ?, (SELECT coalesce(max(pos), 0) + 1 FROM domain WHERE "
	    "partition_id = ?), ?, ?, ?)", &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, pid);
	sqlite3_bind_text(q, 2, label, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 3, sp->type);
	sqlite3_bind_int(q, 4, sp->kdf);
	sqlite3_bind_int(q, 5, primary ? 1 : 0);
	sqlite3_bind_int64(q, 6, pid);
	sqlite3_bind_blob(q, 7, buf_ptr(w), (int)buf_len(w), SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 8, (int64_t)time(NULL));
	if (sp->salted)
		sqlite3_bind_blob(q, 9, sp->salt, DOMAIN_SALT_LEN,
		    SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, 9);
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
	    " created, wrap, salt FROM domain WHERE partition_id = ? ORDER BY "
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
		e->spec.type = sqlite3_column_int(q, 1);
		e->spec.kdf = sqlite3_column_int(q, 2);
		e->primary = sqlite3_column_int(q, 3);
		e->created = sqlite3_column_int64(q, 4);
		r = CE_INTEGRITY;
		if (sqlite3_column_type(q, 6) != SQLITE_NULL) {
			e->spec.salted = 1;
			if (sqlite3_column_bytes(q, 6) == DOMAIN_SALT_LEN)
				memcpy(e->spec.salt, sqlite3_column_blob(q, 6),
				    DOMAIN_SALT_LEN);
			else
				e->spec.salted = -1;  /* refused below */
		}
		if (e->spec.salted >= 0) {
			const uint8_t *ad;
			size_t adlen;

			ad = wrap_ad(&e->spec, &adlen);
			r = wrap_open(secret_ptr(s->dsk), WRAP_DOMAIN,
			    s->serial, wrap_sub(&e->spec), ad, adlen,
			    sqlite3_column_blob(q, 5),
			    (size_t)sqlite3_column_bytes(q, 5), &e->key);
		}
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
domain_add(struct session *s, const char *label,
    const struct domain_spec *sp, const struct secret *key, int primary)
{
	struct domain_list l;
	char detail[96];
	size_t i;
	int r, own = 0;

	memset(&l, 0, sizeof(l));
	if ((r = require_po(s)) != 0 || (r = domain_label_check(label)) != 0)
		return r;
	if (secret_len(key) != DOMAIN_KEY_LEN ||
	    (sp->type != DOMAIN_PASSWORD && sp->type != DOMAIN_PED))
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
	if ((r = domain_insert_tx(s->h, s->pid, s->serial, s->dsk, label, sp,
	    key, primary || l.n == 0)) != 0)
		goto out;
	snprintf(detail, sizeof(detail), "domain '%s' (%s%s) added%s", label,
	    domain_type_name(sp->type), sp->type == DOMAIN_PASSWORD &&
	    !sp->salted ? ", legacy unsalted" : "", primary ? " as primary" :
	    "");
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
