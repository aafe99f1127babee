#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "buf.h"
#include "err.h"
#include "secret.h"
#include "store.h"
#include "utc.h"
#include "wrap.h"

static const char mac_sep[] = ",\"mac\":\"";
#define MAC_HEX (2 * CC_HASH_LEN)

static int
put_str(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

/* JSON string with the escapes audit_parse understands. */
static int
put_json_str(struct buf *b, const char *s)
{
	const unsigned char *p;
	char esc[8];
	int r = 0;

	if ((r = buf_put_u8(b, '"')) != 0)
		return r;
	for (p = (const unsigned char *)s; *p && r == 0; p++) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			r = buf_put(b, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			r = buf_put(b, esc, 6);
		} else
			r = buf_put_u8(b, *p);
	}
	return r ? r : buf_put_u8(b, '"');
}

static int
put_field_str(struct buf *b, const char *key, const char *v)
{
	int r;

	if (v == NULL)
		return 0;
	if ((r = buf_put_u8(b, ',')) != 0 || (r = put_json_str(b, key)) != 0 ||
	    (r = buf_put_u8(b, ':')) != 0)
		return r;
	return put_json_str(b, v);
}

static int
put_field_int(struct buf *b, const char *key, int64_t v)
{
	char num[32];
	int r;

	snprintf(num, sizeof(num), "%" PRId64, v);
	if ((r = buf_put_u8(b, ',')) != 0 || (r = put_json_str(b, key)) != 0 ||
	    (r = buf_put_u8(b, ':')) != 0)
		return r;
	return put_str(b, num);
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static const char ratchet_info[] = "coffer-audit-ratchet-v1";
static const char epoch_info[] = "coffer-audit-epoch-v1";

int
audit_ratchet(const uint8_t key[AUDIT_KEY_LEN], uint8_t next[AUDIT_KEY_LEN])
{
	uint8_t in[sizeof(ratchet_info)], out[CC_HASH_LEN];
	int r;

	/* HKDF-Expand-SHA-384(key, info, 48) is one HMAC block: info || 1 */
	memcpy(in, ratchet_info, sizeof(ratchet_info) - 1);
	in[sizeof(ratchet_info) - 1] = 0x01;
	r = cc_hmac_sha384(key, AUDIT_KEY_LEN, in, sizeof(in), out);
	memcpy(next, out, AUDIT_KEY_LEN);
	sodium_memzero(out, sizeof(out));
	return r;
}

int
audit_digest_step(uint8_t digest[CC_HASH_LEN], const void *line, size_t len)
{
	struct cc_hash *h = NULL;
	int r;

	if ((r = cc_hash_new(&h)) == 0 &&
	    (r = cc_hash_update(h, digest, CC_HASH_LEN)) == 0 &&
	    (r = cc_hash_update(h, line, len)) == 0)
		r = cc_hash_peek(h, digest);
	cc_hash_free(h);
	return r;
}

/* Reads the head from the hsm row; key (may be NULL) gets the current key,
 * *seededp (may be NULL) whether the head-signing seed exists. */
static int
head_read(struct store *st, uint8_t key[AUDIT_KEY_LEN], struct audit_head *hp,
    int *seededp)
{
	sqlite3_stmt *q;
	int r, rc;

	memset(hp, 0, sizeof(*hp));
	if ((r = store_prepare(st, "SELECT audit_key, audit_seq, audit_head, "
	    "audit_size, audit_digest, audit_sign_seed IS NOT NULL FROM hsm "
	    "WHERE id = 1", &q)) != 0)
		return r;
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? CE_NOT_FOUND : store_err(st, rc);
		goto out;
	}
	if (sqlite3_column_bytes(q, 0) != AUDIT_KEY_LEN ||
	    sqlite3_column_bytes(q, 2) != CC_HASH_LEN ||
	    (sqlite3_column_type(q, 4) != SQLITE_NULL &&
	    sqlite3_column_bytes(q, 4) != CC_HASH_LEN)) {
		err_set_detail("audit head in hsm.db is malformed");
		r = CE_INTEGRITY;
		goto out;
	}
	if (key != NULL)
		memcpy(key, sqlite3_column_blob(q, 0), AUDIT_KEY_LEN);
	hp->seq = (uint64_t)sqlite3_column_int64(q, 1);
	memcpy(hp->mac, sqlite3_column_blob(q, 2), CC_HASH_LEN);
	hp->size = (uint64_t)sqlite3_column_int64(q, 3);
	if (sqlite3_column_type(q, 4) != SQLITE_NULL) {
		memcpy(hp->digest, sqlite3_column_blob(q, 4), CC_HASH_LEN);
		hp->have_digest = 1;
	}
	if (seededp != NULL)
		*seededp = sqlite3_column_int(q, 5);
	r = 0;
 out:
	sqlite3_reset(q);
	return r;
}

int
audit_head_get(struct store *st, struct audit_head *hp)
{
	return head_read(st, NULL, hp, NULL);
}

int
audit_committed_size(struct store *st, uint64_t *sizep)
{
	struct audit_head hd;
	int r;

	if ((r = head_read(st, NULL, &hd, NULL)) == 0)
		*sizep = hd.size;
	return r;
}

int
audit_truncate(const char *logpath, uint64_t size)
{
	struct stat sb;

	if (stat(logpath, &sb) != 0)
		return errno == ENOENT && size == 0 ? 0 : CE_IO;
	if ((uint64_t)sb.st_size <= size)
		return 0;
	if (truncate(logpath, (off_t)size) != 0) {
		err_set_detail("cannot truncate %s: %s", logpath,
		    strerror(errno));
		return CE_IO;
	}
	return 0;
}

struct digest_ctx {
	uint8_t d[CC_HASH_LEN];
	uint64_t bytes, limit;
};

static int
digest_line(void *vctx, const char *line, size_t len)
{
	struct digest_ctx *c = vctx;

	if (c->bytes >= c->limit)
		return 1;
	c->bytes += len + 1;
	return audit_digest_step(c->d, line, len);
}

/*
 * A chain begun before schema 6 has no digest yet: the first write
 * computes it over the committed log. It vouches for nothing the MACs do
 * not (they are still checked under the epoch's key); it anchors the
 * bytes from here on.
 */
static int
digest_upgrade(const char *logpath, struct audit_head *hd)
{
	struct digest_ctx c;
	int r;

	memset(&c, 0, sizeof(c));
	c.limit = hd->size;
	if ((r = audit_foreach(logpath, digest_line, &c)) < 0)
		return r;
	memcpy(hd->digest, c.d, CC_HASH_LEN);
	hd->have_digest = 1;
	return 0;
}

static int
sign_seed_make(struct store *st)
{
	uint8_t seed[AUDIT_SEED_LEN];
	sqlite3_stmt *q;
	int r, rc;

	if ((r = store_prepare(st, "UPDATE hsm SET audit_sign_seed = ? WHERE "
	    "id = 1 AND audit_sign_seed IS NULL", &q)) != 0)
		return r;
	cc_random(seed, sizeof(seed));
	sqlite3_bind_blob(q, 1, seed, sizeof(seed), SQLITE_TRANSIENT);
	sodium_memzero(seed, sizeof(seed));
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : store_err(st, rc);
}

/* The line of ev as record seq, up to (not including) its mac field. */
static int
line_body(struct buf *b, uint64_t seq, const struct audit_event *ev)
{
	char tbuf[21], num[24];
	int r;

	utc_iso_show((int64_t)time(NULL), tbuf);
	snprintf(num, sizeof(num), "%" PRIu64, seq);
	if ((r = put_str(b, "{\"seq\":")) != 0 || (r = put_str(b, num)) != 0 ||
	    (r = put_field_str(b, "time", tbuf)) != 0 ||
	    (r = put_field_str(b, "event", ev->event)) != 0 ||
	    (r = put_field_str(b, "result", ev->ok ? "ok" : "fail")) != 0 ||
	    (r = put_field_str(b, "role", ev->role)) != 0 ||
	    (r = put_field_str(b, "partition", ev->partition)) != 0 ||
	    (ev->serial != 0 &&
	    (r = put_field_int(b, "serial", (int64_t)ev->serial)) != 0) ||
	    (r = put_field_str(b, "object", ev->object)) != 0 ||
	    (r = put_field_str(b, "detail", ev->detail)) != 0 ||
	    (ev->count >= 0 &&
	    (r = put_field_int(b, "count", ev->count)) != 0))
		return r;
	return 0;
}

/* mac = HMAC-SHA-384(key, prev || body). */
static int
line_mac(const uint8_t key[AUDIT_KEY_LEN], const uint8_t prev[CC_HASH_LEN],
    const void *body, size_t n, uint8_t mac[CC_HASH_LEN])
{
	uint8_t *in;
	int r;

	if ((in = malloc(CC_HASH_LEN + n)) == NULL)
		return CE_NOMEM;
	memcpy(in, prev, CC_HASH_LEN);
	memcpy(in + CC_HASH_LEN, body, n);
	r = cc_hmac_sha384(key, AUDIT_KEY_LEN, in, CC_HASH_LEN + n, mac);
	free(in);
	return r;
}

/* Writes line at the head (after cutting any unanchored tail), fsynced. */
static int
line_write(const char *logpath, uint64_t size, const struct buf *b)
{
	ssize_t w;
	int fd, r = 0;

	if ((fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) < 0) {
		err_set_detail("cannot open %s: %s", logpath, strerror(errno));
		return CE_IO;
	}
	/* Drop any unanchored tail first (a crash between append and commit). */
	if ((r = audit_truncate(logpath, size)) != 0)
		goto out;
	w = write(fd, buf_ptr(b), buf_len(b));
	if (w < 0 || (size_t)w != buf_len(b) || fsync(fd) != 0) {
		err_set_detail("cannot write %s: %s", logpath, strerror(errno));
		(void)audit_truncate(logpath, size);
		r = CE_IO;
	}
 out:
	close(fd);
	return r;
}

/* Moves hsm.db's head to hd, the next record's key to next (in the
 * caller's transaction; the key replaced is wiped at its commit). */
static int
head_write(struct store *st, const struct audit_head *hd,
    const uint8_t next[AUDIT_KEY_LEN])
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = store_prepare(st, "UPDATE hsm SET audit_seq = ?, "
	    "audit_head = ?, audit_size = ?, audit_key = ?, audit_digest = ? "
	    "WHERE id = 1", &q)) != 0)
		return r;
	sqlite3_bind_int64(q, 1, (int64_t)hd->seq);
	sqlite3_bind_blob(q, 2, hd->mac, CC_HASH_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 3, (int64_t)hd->size);
	sqlite3_bind_blob(q, 4, next, AUDIT_KEY_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 5, hd->digest, CC_HASH_LEN, SQLITE_TRANSIENT);
	rc = sqlite3_step(q);
	sqlite3_clear_bindings(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_err(st, rc);
	store_wipe_on_commit(st);
	return 0;
}

int
audit_append(struct store *st, const char *logpath,
    const struct audit_event *ev)
{
	uint8_t key[AUDIT_KEY_LEN], next[AUDIT_KEY_LEN], mac[CC_HASH_LEN];
	char machex[MAC_HEX + 1];
	struct audit_head hd;
	struct buf *b = NULL;
	size_t n;
	int r, seeded = 0;

	if (!store_in_tx(st)) {
		err_set_detail("audit_append outside a transaction");
		return CE_INVALID;
	}
	if ((r = head_read(st, key, &hd, &seeded)) != 0)
		goto out;
	if ((!hd.have_digest && (r = digest_upgrade(logpath, &hd)) != 0) ||
	    (!seeded && (r = sign_seed_make(st)) != 0))
		goto out;
	if ((b = buf_new(AUDIT_LINE_MAX)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = line_body(b, hd.seq + 1, ev)) != 0)
		goto out;
	n = buf_len(b);
	if ((r = line_mac(key, hd.mac, buf_ptr(b), n, mac)) != 0)
		goto out;
	hex(mac, sizeof(mac), machex);
	if ((r = put_str(b, mac_sep)) != 0 || (r = put_str(b, machex)) != 0 ||
	    (r = put_str(b, "\"}")) != 0 ||
	    (r = audit_digest_step(hd.digest, buf_ptr(b), buf_len(b))) != 0 ||
	    (r = put_str(b, "\n")) != 0)
		goto out;
	/* the key that MACed this record is replaced by the next one and
	 * erased: no copy of it stays in hsm.db or its WAL */
	if ((r = audit_ratchet(key, next)) != 0 ||
	    (r = line_write(logpath, hd.size, b)) != 0)
		goto out;
	hd.seq++;
	memcpy(hd.mac, mac, sizeof(mac));
	hd.size += buf_len(b);
	if ((r = head_write(st, &hd, next)) != 0) {
		(void)audit_truncate(logpath, hd.size - buf_len(b));
		goto out;
	}
	r = 0;
 out:
	buf_free(b);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(next, sizeof(next));
	return r;
}

/* --- epochs: who can check the MACs ----------------------------------- */

/* The key that wraps an epoch's start key: HMAC-SHA-384 of the SO's KEK
 * over "coffer-audit-epoch-v1", first 32 bytes. */
static int
epoch_wrap_key(const struct secret *so_kek, uint8_t out[CC_KEY_LEN])
{
	uint8_t full[CC_HASH_LEN];
	int r;

	r = cc_hmac_sha384(secret_ptr(so_kek), secret_len(so_kek), epoch_info,
	    sizeof(epoch_info) - 1, full);
	memcpy(out, full, CC_KEY_LEN);
	sodium_memzero(full, sizeof(full));
	return r;
}

/* Stores the wrap of start key k for the epoch from first. */
static int
epoch_put(struct store *st, uint64_t first, uint64_t ratchet,
    const uint8_t wk[CC_KEY_LEN], int kdf, const uint8_t salt[KDF_SALT_LEN],
    const uint8_t k[AUDIT_KEY_LEN])
{
	struct buf *w = NULL;
	sqlite3_stmt *q;
	int r, rc;

	if ((r = wrap_seal(wk, WRAP_AUDIT_EPOCH, 0, first, NULL, 0, k,
	    AUDIT_KEY_LEN, &w)) != 0)
		return r;
	if ((r = store_prepare(st, "INSERT OR REPLACE INTO audit_epoch "
	    "(first_seq, ratchet_seq, kdf, salt, wrap, key) VALUES "
	    "(?, ?, ?, ?, ?, NULL)", &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, (int64_t)first);
	sqlite3_bind_int64(q, 2, (int64_t)ratchet);
	sqlite3_bind_int(q, 3, kdf);
	sqlite3_bind_blob(q, 4, salt, KDF_SALT_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 5, buf_ptr(w), buf_len(w), SQLITE_TRANSIENT);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	r = rc == SQLITE_DONE ? 0 : store_err(st, rc);
 out:
	buf_free(w);
	return r;
}

/* Opens the start key of the epoch from first (wrap under wk). */
static int
epoch_open(const uint8_t wk[CC_KEY_LEN], uint64_t first, const void *blob,
    size_t len, uint8_t k[AUDIT_KEY_LEN])
{
	uint8_t out[AUDIT_KEY_LEN];
	int r;

	if (len != AUDIT_KEY_LEN + WRAP_OVERHEAD ||
	    (r = wrap_open_to(wk, WRAP_AUDIT_EPOCH, 0, first, NULL, 0, blob,
	    len, out)) != 0) {
		err_set_detail("the audit verification key of the records from "
		    "%llu does not open under the SO credential that made it: "
		    "hsm.db was altered", (unsigned long long)first);
		return CE_INTEGRITY;
	}
	memcpy(k, out, AUDIT_KEY_LEN);
	sodium_memzero(out, sizeof(out));
	return 0;
}

/*
 * Stores under nwk (kdf, salt) every epoch start key that is held in clear
 * or, with owk, wrapped under owk and old_salt; others stay as they are.
 */
static int
epochs_move(struct store *st, const uint8_t *owk, const uint8_t *old_salt,
    const uint8_t nwk[CC_KEY_LEN], int kdf, const uint8_t salt[KDF_SALT_LEN])
{
	uint8_t k[AUDIT_KEY_LEN];
	uint64_t first = 0, ratchet;
	sqlite3_stmt *q;
	int r, rc, have;

	for (;;) {
		if ((r = store_prepare(st, "SELECT first_seq, ratchet_seq, key, "
		    "salt, wrap FROM audit_epoch WHERE first_seq > ? ORDER BY "
		    "first_seq LIMIT 1", &q)) != 0)
			break;
		sqlite3_bind_int64(q, 1, (int64_t)first);
		if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
			sqlite3_reset(q);
			r = rc == SQLITE_DONE ? 0 : store_err(st, rc);
			break;
		}
		first = (uint64_t)sqlite3_column_int64(q, 0);
		ratchet = (uint64_t)sqlite3_column_int64(q, 1);
		have = sqlite3_column_bytes(q, 2) == AUDIT_KEY_LEN;
		if (have)
			memcpy(k, sqlite3_column_blob(q, 2), AUDIT_KEY_LEN);
		else if (owk != NULL &&
		    sqlite3_column_bytes(q, 3) == KDF_SALT_LEN &&
		    memcmp(sqlite3_column_blob(q, 3), old_salt,
		    KDF_SALT_LEN) == 0) {
			if ((r = epoch_open(owk, first, sqlite3_column_blob(q, 4),
			    (size_t)sqlite3_column_bytes(q, 4), k)) != 0) {
				sqlite3_reset(q);
				break;
			}
			have = 1;
		}
		sqlite3_reset(q);
		if (!have)
			continue;
		if ((r = epoch_put(st, first, ratchet, nwk, kdf, salt, k)) != 0)
			break;
		store_wipe_on_commit(st);
	}
	sodium_memzero(k, sizeof(k));
	return r;
}

int
audit_epoch_begin(struct store *st, const struct secret *so_kek, int kdf,
    const uint8_t salt[KDF_SALT_LEN])
{
	uint8_t k[AUDIT_KEY_LEN], wk[CC_KEY_LEN], zero[CC_HASH_LEN];
	struct audit_head hd;
	sqlite3_stmt *q;
	int r, rc, seeded = 0;

	if ((r = head_read(st, NULL, &hd, &seeded)) != 0)
		return r;
	cc_random(k, sizeof(k));
	memset(zero, 0, sizeof(zero));
	/* a start key still in clear (a chain from before schema 6) goes
	 * under this SO too */
	if ((r = epoch_wrap_key(so_kek, wk)) != 0 ||
	    (r = epoch_put(st, hd.seq + 1, hd.seq + 1, wk, kdf, salt, k)) != 0 ||
	    (r = epochs_move(st, NULL, NULL, wk, kdf, salt)) != 0)
		goto out;
	if ((r = store_prepare(st, "UPDATE hsm SET audit_key = ?, "
	    "audit_digest = CASE WHEN audit_digest IS NULL AND audit_seq = 0 "
	    "THEN ? ELSE audit_digest END WHERE id = 1", &q)) != 0)
		goto out;
	sqlite3_bind_blob(q, 1, k, sizeof(k), SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 2, zero, sizeof(zero), SQLITE_TRANSIENT);
	rc = sqlite3_step(q);
	sqlite3_clear_bindings(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		r = store_err(st, rc);
		goto out;
	}
	if (!seeded && (r = sign_seed_make(st)) != 0)
		goto out;
	store_wipe_on_commit(st);
	r = 0;
 out:
	sodium_memzero(k, sizeof(k));
	sodium_memzero(wk, sizeof(wk));
	return r;
}

int
audit_epoch_rewrap(struct store *st, const struct secret *old_kek,
    const uint8_t old_salt[KDF_SALT_LEN], const struct secret *new_kek,
    int kdf, const uint8_t new_salt[KDF_SALT_LEN])
{
	uint8_t owk[CC_KEY_LEN], nwk[CC_KEY_LEN];
	int r;

	if ((r = epoch_wrap_key(old_kek, owk)) == 0 &&
	    (r = epoch_wrap_key(new_kek, nwk)) == 0)
		r = epochs_move(st, owk, old_salt, nwk, kdf, new_salt);
	sodium_memzero(owk, sizeof(owk));
	sodium_memzero(nwk, sizeof(nwk));
	return r;
}

/* --- parsing ------------------------------------------------------------ */

static int
get_json_str(struct buf *b, char *out, size_t max)
{
	uint8_t c;
	size_t n = 0;
	int r;
	unsigned int v;
	char h[5];

	if ((r = buf_get_u8(b, &c)) != 0 || c != '"')
		return CE_FORMAT;
	for (;;) {
		if ((r = buf_get_u8(b, &c)) != 0)
			return CE_FORMAT;
		if (c == '"')
			break;
		if (c == '\\') {
			if ((r = buf_get_u8(b, &c)) != 0)
				return CE_FORMAT;
			if (c == 'u') {
				if ((r = buf_get(b, h, 4)) != 0)
					return CE_FORMAT;
				h[4] = '\0';
				if (sscanf(h, "%4x", &v) != 1 || v > 0xff)
					return CE_FORMAT;
				c = (uint8_t)v;
			} else if (c != '"' && c != '\\')
				return CE_FORMAT;
		} else if (c < 0x20)
			return CE_FORMAT;
		if (out != NULL && n + 1 < max)
			out[n++] = (char)c;
	}
	if (out != NULL && max > 0)
		out[n] = '\0';
	return 0;
}

static int
get_json_int(struct buf *b, int64_t *vp)
{
	uint8_t c;
	int neg = 0, digits = 0;
	int64_t v = 0;

	if (buf_len(b) > 0 && buf_ptr(b)[0] == '-') {
		neg = 1;
		(void)buf_skip(b, 1);
	}
	while (buf_len(b) > 0 && buf_ptr(b)[0] >= '0' && buf_ptr(b)[0] <= '9') {
		(void)buf_get_u8(b, &c);
		if (v > (INT64_MAX - 9) / 10)
			return CE_FORMAT;
		v = v * 10 + (c - '0');
		digits++;
	}
	if (digits == 0)
		return CE_FORMAT;
	*vp = neg ? -v : v;
	return 0;
}

int
audit_parse(const char *line, size_t len, struct audit_rec *recp)
{
	struct buf *b;
	struct audit_rec rec;
	char key[16];
	char *dst;
	size_t dmax;
	int64_t v;
	uint8_t c;
	int r = CE_FORMAT, first = 1;


	memset(&rec, 0, sizeof(rec));
	rec.count = -1;
	if (len > AUDIT_LINE_MAX)
		return CE_TOO_LONG;
	if ((b = buf_from(line, len)) == NULL)
		return CE_NOMEM;
	if (buf_get_u8(b, &c) != 0 || c != '{')
		goto out;
	for (;;) {
		if (buf_len(b) > 0 && buf_ptr(b)[0] == '}') {
			(void)buf_skip(b, 1);
			break;
		}
		if (!first && (buf_get_u8(b, &c) != 0 || c != ','))
			goto out;
		first = 0;
		if (get_json_str(b, key, sizeof(key)) != 0)
			goto out;
		if (buf_get_u8(b, &c) != 0 || c != ':')
			goto out;
		dst = NULL;
		dmax = 0;
		if (strcmp(key, "time") == 0) {
			dst = rec.time;
			dmax = sizeof(rec.time);
		} else if (strcmp(key, "event") == 0) {
			dst = rec.event;
			dmax = sizeof(rec.event);
		} else if (strcmp(key, "result") == 0) {
			dst = rec.result;
			dmax = sizeof(rec.result);
		} else if (strcmp(key, "role") == 0) {
			dst = rec.role;
			dmax = sizeof(rec.role);
		} else if (strcmp(key, "partition") == 0) {
			dst = rec.partition;
			dmax = sizeof(rec.partition);
		} else if (strcmp(key, "object") == 0) {
			dst = rec.object;
			dmax = sizeof(rec.object);
		} else if (strcmp(key, "detail") == 0) {
			dst = rec.detail;
			dmax = sizeof(rec.detail);
		}
		if (buf_len(b) > 0 && buf_ptr(b)[0] == '"') {
			if (get_json_str(b, dst, dmax) != 0)
				goto out;
		} else {
			if (get_json_int(b, &v) != 0)
				goto out;
			if (strcmp(key, "seq") == 0)
				rec.seq = (uint64_t)v;
			else if (strcmp(key, "serial") == 0)
				rec.serial = (uint64_t)v;
			else if (strcmp(key, "count") == 0)
				rec.count = v;
		}
	}
	if (buf_end(b) != 0 || rec.seq == 0)
		goto out;
	*recp = rec;
	r = 0;
 out:
	buf_free(b);
	return r;
}

int
audit_foreach(const char *logpath,
    int (*cb)(void *ctx, const char *line, size_t len), void *ctx)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = 0;

	if ((f = fopen(logpath, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		err_set_detail("cannot open %s: %s", logpath, strerror(errno));
		return CE_IO;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		if ((r = cb(ctx, line, (size_t)n)) != 0)
			break;
	}
	free(line);
	fclose(f);
	return r;
}

/* An epoch of the chain and, when it could be had, its start key. */
struct epoch {
	uint64_t first;
	uint64_t ratchet;
	int have;
	uint8_t key[AUDIT_KEY_LEN];
};

struct verify_ctx {
	struct epoch *ep;   /* NULL: one record checked under key (a tail) */
	size_t nep;
	size_t cur;
	int have_key;
	uint8_t key[AUDIT_KEY_LEN];
	uint8_t prev[CC_HASH_LEN];
	uint8_t digest[CC_HASH_LEN];
	uint64_t line;
	uint64_t bytes;
	uint64_t macs;      /* records whose MAC was checked */
	int limited;        /* stop once limit bytes were read */
	uint64_t limit;
	struct audit_rec last;
};

static void
verify_ctx_clear(struct verify_ctx *c)
{
	if (c->ep != NULL)
		sodium_memzero(c->ep, c->nep * sizeof(*c->ep));
	free(c->ep);
	sodium_memzero(c, sizeof(*c));
}

static int
unhex(const char *h, uint8_t *out, size_t n)
{
	size_t i;
	unsigned int hi, lo;

	for (i = 0; i < n; i++) {
		char a = h[2 * i], c = h[2 * i + 1];

		hi = (unsigned)(a >= '0' && a <= '9' ? a - '0' :
		    a >= 'a' && a <= 'f' ? a - 'a' + 10 : 99);
		lo = (unsigned)(c >= '0' && c <= '9' ? c - '0' :
		    c >= 'a' && c <= 'f' ? c - 'a' + 10 : 99);
		if (hi > 15 || lo > 15)
			return CE_FORMAT;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/*
 * Loads the chain's epochs: a start key held in clear (a chain begun
 * before schema 6, until the SO's next login) is used as it is; a wrapped
 * one only with so_kek, and only when it was wrapped under that SO
 * credential (salt); any other epoch's records are checked without MACs.
 */
static int
epochs_load(struct store *st, const struct secret *so_kek,
    const uint8_t *salt, struct verify_ctx *c)
{
	uint8_t wk[CC_KEY_LEN];
	sqlite3_stmt *q;
	struct epoch *e, *n;
	size_t cap = 0;
	int r = 0, rc;

	if (so_kek != NULL && (r = epoch_wrap_key(so_kek, wk)) != 0)
		return r;
	if ((r = store_prepare(st, "SELECT first_seq, ratchet_seq, salt, wrap, "
	    "key FROM audit_epoch ORDER BY first_seq", &q)) != 0)
		goto out;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (c->nep == cap) {
			cap = cap ? 2 * cap : 4;
			if ((n = calloc(cap, sizeof(*n))) == NULL) {
				r = CE_NOMEM;
				break;
			}
			if (c->ep != NULL) {
				memcpy(n, c->ep, c->nep * sizeof(*n));
				sodium_memzero(c->ep, c->nep * sizeof(*n));
				free(c->ep);
			}
			c->ep = n;
		}
		e = &c->ep[c->nep++];
		e->first = (uint64_t)sqlite3_column_int64(q, 0);
		e->ratchet = (uint64_t)sqlite3_column_int64(q, 1);
		if (sqlite3_column_bytes(q, 4) == AUDIT_KEY_LEN) {
			memcpy(e->key, sqlite3_column_blob(q, 4), AUDIT_KEY_LEN);
			e->have = 1;
		} else if (so_kek != NULL &&
		    sqlite3_column_bytes(q, 2) == KDF_SALT_LEN &&
		    memcmp(sqlite3_column_blob(q, 2), salt, KDF_SALT_LEN) == 0) {
			if ((r = epoch_open(wk, e->first, sqlite3_column_blob(q, 3),
			    (size_t)sqlite3_column_bytes(q, 3), e->key)) != 0)
				break;
			e->have = 1;
		}
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store_err(st, rc);
	sqlite3_reset(q);
 out:
	sodium_memzero(wk, sizeof(wk));
	return r;
}

/* Sets c->key to the key of record c->line when it is known. */
static void
key_for_line(struct verify_ctx *c)
{
	if (c->ep == NULL)
		return;
	while (c->cur + 1 < c->nep && c->ep[c->cur + 1].first <= c->line)
		c->cur++;
	if (c->nep == 0 || c->ep[c->cur].first > c->line) {
		c->have_key = 0;
		return;
	}
	if (c->ep[c->cur].first == c->line) {
		c->have_key = c->ep[c->cur].have;
		memcpy(c->key, c->ep[c->cur].key, AUDIT_KEY_LEN);
	}
}

static int
verify_line(void *vctx, const char *line, size_t len)
{
	struct verify_ctx *c = vctx;
	struct audit_rec rec;
	uint8_t want[CC_HASH_LEN], got[CC_HASH_LEN];
	size_t tail = sizeof(mac_sep) - 1 + MAC_HEX + 2;
	int r;

	if (c->limited && c->bytes >= c->limit)
		return 1; /* the committed part is done: stop, not an error */
	c->line++;
	c->bytes += len + 1;
	if (len < tail || memcmp(line + len - 2, "\"}", 2) != 0 ||
	    memcmp(line + len - tail, mac_sep, sizeof(mac_sep) - 1) != 0 ||
	    unhex(line + len - MAC_HEX - 2, want, CC_HASH_LEN) != 0 ||
	    audit_parse(line, len, &rec) != 0) {
		err_set_detail("audit.log line %llu is malformed (edited)",
		    (unsigned long long)c->line);
		return CE_INTEGRITY;
	}
	if ((r = audit_digest_step(c->digest, line, len)) != 0)
		return r;
	key_for_line(c);
	if (c->have_key) {
		if ((r = line_mac(c->key, c->prev, line, len - tail, got)) != 0)
			return r;
		if (!cc_memeq(got, want, CC_HASH_LEN)) {
			if (rec.seq != c->line)
				err_set_detail("audit.log line %llu carries "
				    "sequence %llu: records were deleted or "
				    "reordered", (unsigned long long)c->line,
				    (unsigned long long)rec.seq);
			else
				err_set_detail("audit.log line %llu (seq %llu) "
				    "fails its MAC: the record was edited or the "
				    "one before it was removed",
				    (unsigned long long)c->line,
				    (unsigned long long)rec.seq);
			return CE_INTEGRITY;
		}
		c->macs++;
		if (c->ep != NULL && c->line >= c->ep[c->cur].ratchet &&
		    (r = audit_ratchet(c->key, c->key)) != 0)
			return r;
	}
	if (rec.seq != c->line) {
		err_set_detail("audit.log line %llu carries sequence %llu: "
		    "records were deleted or reordered",
		    (unsigned long long)c->line, (unsigned long long)rec.seq);
		return CE_INTEGRITY;
	}
	memcpy(c->prev, want, CC_HASH_LEN);
	c->last = rec;
	return 0;
}

/* Tails longer than this are never one interrupted command's record. */
#define TAIL_READ_MAX (2 * AUDIT_LINE_MAX + 2)

/*
 * Two lines past the head, from one transaction: a target's login opens
 * the transaction of its operation (restore, clone or a copy into a
 * partition log in inside it, so the write lock is held from the login to
 * the commit), and the kill came after both lines were written, or while
 * the second was. The first must be a good login chained from the head,
 * the second a record chained from it (under the ratcheted key) by the
 * same role of the same partition, or a partial line. Anything else stays
 * foreign.
 */
static void
login_and_operation(struct verify_ctx *c, const char *p, size_t n,
    struct audit_tail *t)
{
	const char *nl = memchr(p, '\n', n);
	struct audit_rec login;
	size_t len2;

	if (nl == NULL || verify_line(c, p, (size_t)(nl - p)) != 0 ||
	    strcmp(c->last.event, "login") != 0 ||
	    strcmp(c->last.result, "ok") != 0)
		return;
	login = c->last;
	len2 = n - (size_t)(nl - p) - 1;
	if (len2 == 0 || p[n - 1] == '\n') {
		/* a whole second record, MACed with the next key */
		if (len2 == 0 || audit_ratchet(c->key, c->key) != 0 ||
		    verify_line(c, nl + 1, len2 - 1) != 0 ||
		    strcmp(c->last.role, login.role) != 0 ||
		    strcmp(c->last.partition, login.partition) != 0 ||
		    c->last.serial != login.serial)
			return;
		snprintf(t->event, sizeof(t->event), "login, %s",
		    c->last.event);
	} else
		snprintf(t->event, sizeof(t->event), "login, part of another");
	t->kind = AUDIT_TAIL_CRASH;
	t->records = 2;
	t->seq = login.seq;
}

int
audit_tail(struct store *st, const char *logpath, struct audit_tail *t)
{
	struct verify_ctx c;
	struct audit_head hd;
	uint8_t *p = NULL;
	struct stat sb;
	uint64_t i;
	ssize_t n;
	int r, fd = -1;

	memset(t, 0, sizeof(*t));
	memset(&c, 0, sizeof(c));
	/* The stored key is the next record's: the one an interrupted
	 * command MACed its record with, since its ratchet never committed. */
	if ((r = head_read(st, c.key, &hd, NULL)) != 0)
		goto out;
	t->committed = hd.size;
	if ((fd = open(logpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		r = errno == ENOENT ? 0 : CE_IO;
		if (r != 0)
			err_set_detail("cannot open %s: %s", logpath,
			    strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		err_set_detail("%s is not a regular file", logpath);
		r = CE_IO;
		goto out;
	}
	if ((uint64_t)sb.st_size <= hd.size) {
		r = 0; /* nothing past the head (a cut log is verify's news) */
		goto out;
	}
	t->bytes = (uint64_t)sb.st_size - hd.size;
	if ((p = malloc(TAIL_READ_MAX)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	n = pread(fd, p, TAIL_READ_MAX, (off_t)hd.size);
	if (n < 0) {
		err_set_detail("cannot read %s: %s", logpath, strerror(errno));
		r = CE_IO;
		goto out;
	}
	for (i = 0; i < (uint64_t)n; i++)
		if (p[i] == '\n')
			t->lines++;
	if ((uint64_t)n == 0 || p[n - 1] != '\n')
		t->lines++; /* a partial last line */
	t->kind = AUDIT_TAIL_FOREIGN;
	if (t->bytes > TAIL_READ_MAX - 1) {
		r = 0; /* far more than one record */
		goto out;
	}
	if (t->lines == 1 && p[n - 1] != '\n') {
		/* killed while writing its line: part of one record */
		t->kind = AUDIT_TAIL_CRASH;
		t->records = 1;
		r = 0;
		goto out;
	}
	/* One whole record that chains from the head, next in sequence. */
	c.have_key = 1;
	memcpy(c.prev, hd.mac, CC_HASH_LEN);
	c.line = hd.seq;
	if (t->lines == 1 && verify_line(&c, (const char *)p,
	    (size_t)n - 1) == 0) {
		t->kind = AUDIT_TAIL_CRASH;
		t->records = 1;
		t->seq = c.last.seq;
		snprintf(t->event, sizeof(t->event), "%s", c.last.event);
		snprintf(t->object, sizeof(t->object), "%s", c.last.object);
	} else if (t->lines == 2)
		login_and_operation(&c, (const char *)p, (size_t)n, t);
	err_set_detail(NULL);
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	free(p);
	verify_ctx_clear(&c);
	return r;
}

int
audit_tail_keep(struct store *st, const char *logpath)
{
	struct verify_ctx c;
	struct audit_head hd;
	uint8_t key[AUDIT_KEY_LEN];
	char *p = NULL;
	ssize_t n = -1;
	int r, fd;

	memset(&c, 0, sizeof(c));
	if (!store_in_tx(st)) {
		err_set_detail("audit_tail_keep outside a transaction");
		return CE_INVALID;
	}
	if ((r = head_read(st, key, &hd, NULL)) != 0)
		goto out;
	r = CE_INTEGRITY;
	err_set_detail("the record past the head is not one whole record "
	    "chained from it");
	if (!hd.have_digest || (p = malloc(TAIL_READ_MAX)) == NULL)
		goto out;
	if ((fd = open(logpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) >= 0) {
		n = pread(fd, p, TAIL_READ_MAX, (off_t)hd.size);
		close(fd);
	}
	if (n <= 0 || n >= TAIL_READ_MAX || p[n - 1] != '\n' ||
	    memchr(p, '\n', (size_t)n - 1) != NULL)
		goto out;
	c.have_key = 1;
	memcpy(c.key, key, sizeof(key));
	memcpy(c.prev, hd.mac, CC_HASH_LEN);
	c.line = hd.seq;
	if (verify_line(&c, p, (size_t)n - 1) != 0 ||
	    unhex(p + n - 1 - MAC_HEX - 2, hd.mac, CC_HASH_LEN) != 0 ||
	    (r = audit_digest_step(hd.digest, p, (size_t)n - 1)) != 0 ||
	    (r = audit_ratchet(key, key)) != 0)
		goto out;
	hd.seq++;
	hd.size += (uint64_t)n;
	err_set_detail(NULL);
	r = head_write(st, &hd, key);
 out:
	sodium_memzero(key, sizeof(key));
	verify_ctx_clear(&c);
	free(p);
	return r;
}

/* The committed log against the head: count, last MAC, bytes, digest. */
static int
verify_end(const struct verify_ctx *c, const struct audit_head *hd,
    struct audit_report *rep)
{
	if (c->line < hd->seq) {
		err_set_detail("audit.log ends at record %llu but hsm.db "
		    "recorded %llu: the log was truncated",
		    (unsigned long long)c->line, (unsigned long long)hd->seq);
		rep->bad_line = c->line + 1;
		return CE_INTEGRITY;
	}
	if (c->line > hd->seq) {
		err_set_detail("audit.log has %llu committed-looking records "
		    "past the head recorded in hsm.db (record %llu): hsm.db is "
		    "older than the log (restored from an old copy?) or the log "
		    "was extended. Nothing was dropped and writes are refused; "
		    "keep both files for the investigation, then 'hsm audit "
		    "quarantine DIR' moves those records into a file of their "
		    "own and records that it did", (unsigned long long)(c->line -
		    hd->seq), (unsigned long long)hd->seq);
		rep->bad_line = hd->seq + 1;
		return CE_INTEGRITY;
	}
	if (!cc_memeq(c->prev, hd->mac, CC_HASH_LEN)) {
		err_set_detail("audit.log's last record does not match the "
		    "head recorded in hsm.db");
		rep->bad_line = c->line;
		return CE_INTEGRITY;
	}
	if (c->bytes != hd->size || (hd->have_digest &&
	    !cc_memeq(c->digest, hd->digest, CC_HASH_LEN))) {
		err_set_detail("audit.log does not match the %s recorded in "
		    "hsm.db: a record was edited or replaced (the SO's 'hsm "
		    "audit verify' with the SO credential, or --head with an "
		    "exported head, names it)", c->bytes != hd->size ?
		    "length" : "digest");
		rep->bad_line = c->line;
		return CE_INTEGRITY;
	}
	rep->digest_checked = hd->have_digest;
	return 0;
}

int
audit_verify_keyed(struct store *st, const char *logpath,
    const struct secret *so_kek, const uint8_t *salt,
    struct audit_report *repp)
{
	struct verify_ctx c;
	struct audit_report rep;
	struct audit_tail t;
	struct audit_head hd;
	struct stat sb;
	int r;

	memset(&c, 0, sizeof(c));
	memset(&rep, 0, sizeof(rep));
	if ((r = head_read(st, NULL, &hd, NULL)) != 0)
		goto out;
	rep.head_seq = hd.seq;
	if (stat(logpath, &sb) != 0 && errno != ENOENT) {
		r = CE_IO;
		goto out;
	}
	if ((r = audit_tail(st, logpath, &t)) != 0 ||
	    (r = epochs_load(st, so_kek, salt, &c)) != 0)
		goto out;
	if (c.ep == NULL && (c.ep = calloc(1, sizeof(*c.ep))) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	/* An interrupted command's own record: check what is committed and
	 * report the tail; the next write drops it and says so. */
	if (t.kind == AUDIT_TAIL_CRASH) {
		c.limited = 1;
		c.limit = hd.size;
		rep.crash_tail = 1;
		rep.tail_seq = t.seq;
		rep.tail_records = t.records;
		snprintf(rep.tail_event, sizeof(rep.tail_event), "%s", t.event);
	}
	r = audit_foreach(logpath, verify_line, &c);
	if (r == 1)
		r = 0; /* stopped at the limit */
	rep.records = c.line - (r != 0 ? 1 : 0);
	rep.macs = c.macs;
	if (r != 0) {
		rep.bad_line = c.line;
		goto out;
	}
	r = verify_end(&c, &hd, &rep);
 out:
	verify_ctx_clear(&c);
	if (repp != NULL)
		*repp = rep;
	return r;
}

int
audit_verify(struct store *st, const char *logpath,
    struct audit_report *repp)
{
	return audit_verify_keyed(st, logpath, NULL, NULL, repp);
}

/* --- prefixes (exported heads) ------------------------------------------ */

struct prefix_ctx {
	struct audit_prefix *p;
	uint64_t want;
};

static int
prefix_line(void *vctx, const char *line, size_t len)
{
	struct prefix_ctx *c = vctx;
	size_t tail = sizeof(mac_sep) - 1 + MAC_HEX + 2;
	int r;

	if (c->p->lines >= c->want)
		return 1;
	c->p->lines++;
	c->p->bytes += len + 1;
	if ((r = audit_digest_step(c->p->digest, line, len)) != 0)
		return r;
	c->p->mac_ok = len >= tail && unhex(line + len - MAC_HEX - 2,
	    c->p->mac, CC_HASH_LEN) == 0;
	return 0;
}

int
audit_prefix(const char *logpath, uint64_t lines, struct audit_prefix *pp)
{
	struct prefix_ctx c;
	int r;

	memset(pp, 0, sizeof(*pp));
	c.p = pp;
	c.want = lines;
	r = audit_foreach(logpath, prefix_line, &c);
	return r == 1 ? 0 : r;
}
