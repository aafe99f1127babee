/*
 * audit_head: signed heads of the audit chain (docs/formats.md 3.3).
 *
 * A head names the HSM (serial), the last record (seq), the log's length,
 * the digest of every line up to it and that line's MAC, with the time,
 * and is signed with the HSM's Ed25519 head-signing key. Kept off the
 * host, it lets anyone with the public key check later that audit.log
 * still begins with exactly those records, whatever has happened to
 * hsm.db since.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit.h"
#include "buf.h"
#include "err.h"
#include "store.h"
#include "utc.h"

static const char head_magic[] = "coffer-audit-head 1\n";

/* Reads the signing seed and the serial; derives the key pair. */
static int
sign_key(struct store *st, uint8_t pk[AUDIT_PUBKEY_LEN],
    uint8_t sk[crypto_sign_SECRETKEYBYTES], uint64_t *serialp)
{
	uint8_t seed[AUDIT_SEED_LEN];
	sqlite3_stmt *q;
	int r, rc;

	if ((r = store_prepare(st, "SELECT audit_sign_seed, serial FROM hsm "
	    "WHERE id = 1", &q)) != 0)
		return r;
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? CE_NOT_FOUND : store_err(st, rc);
		goto out;
	}
	if (sqlite3_column_type(q, 0) == SQLITE_NULL) {
		err_set_detail("this HSM has no head-signing key yet: the next "
		    "command that writes (or 'hsm audit export') makes it");
		r = CE_NOT_FOUND;
		goto out;
	}
	if (sqlite3_column_bytes(q, 0) != AUDIT_SEED_LEN) {
		err_set_detail("the head-signing key in hsm.db is malformed");
		r = CE_INTEGRITY;
		goto out;
	}
	memcpy(seed, sqlite3_column_blob(q, 0), AUDIT_SEED_LEN);
	if (serialp != NULL)
		*serialp = (uint64_t)sqlite3_column_int64(q, 1);
	r = crypto_sign_seed_keypair(pk, sk, seed) == 0 ? 0 : CE_CRYPTO;
 out:
	sqlite3_reset(q);
	sodium_memzero(seed, sizeof(seed));
	return r;
}

int
audit_pubkey(struct store *st, uint8_t pk[AUDIT_PUBKEY_LEN])
{
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	int r;

	r = sign_key(st, pk, sk, NULL);
	sodium_memzero(sk, sizeof(sk));
	return r;
}

static int
put_hex_line(struct buf *b, const char *name, const uint8_t *p, size_t n)
{
	char h[2 * AUDIT_SIG_LEN + 1];
	int r;

	sodium_bin2hex(h, sizeof(h), p, n);
	if ((r = buf_put(b, name, strlen(name))) != 0 ||
	    (r = buf_put_u8(b, ' ')) != 0 || (r = buf_put(b, h, 2 * n)) != 0)
		return r;
	return buf_put_u8(b, '\n');
}

static int
put_num_line(struct buf *b, const char *name, uint64_t v)
{
	char line[64];
	int n;

	n = snprintf(line, sizeof(line), "%s %" PRIu64 "\n", name, v);
	return buf_put(b, line, (size_t)n);
}

int
audit_head_sign(struct store *st, struct buf **outp)
{
	uint8_t pk[AUDIT_PUBKEY_LEN], sk[crypto_sign_SECRETKEYBYTES];
	uint8_t sig[AUDIT_SIG_LEN];
	char tbuf[UTC_ISO_LEN + 1];
	struct audit_head hd;
	struct buf *b = NULL;
	uint64_t serial;
	int r;

	if ((r = audit_head_get(st, &hd)) != 0 ||
	    (r = sign_key(st, pk, sk, &serial)) != 0)
		goto out;
	if (!hd.have_digest) {
		err_set_detail("the audit chain has no digest yet: the next "
		    "command that writes computes it");
		r = CE_NOT_FOUND;
		goto out;
	}
	if ((b = buf_new(1024)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	utc_iso_show((int64_t)time(NULL), tbuf);
	if ((r = buf_put(b, head_magic, sizeof(head_magic) - 1)) != 0 ||
	    (r = put_num_line(b, "serial", serial)) != 0 ||
	    (r = put_num_line(b, "seq", hd.seq)) != 0 ||
	    (r = put_num_line(b, "size", hd.size)) != 0 ||
	    (r = put_hex_line(b, "digest", hd.digest, CC_HASH_LEN)) != 0 ||
	    (r = put_hex_line(b, "mac", hd.mac, CC_HASH_LEN)) != 0 ||
	    (r = buf_put(b, "time ", 5)) != 0 ||
	    (r = buf_put(b, tbuf, strlen(tbuf))) != 0 ||
	    (r = buf_put_u8(b, '\n')) != 0 ||
	    (r = put_hex_line(b, "pubkey", pk, sizeof(pk))) != 0)
		goto out;
	crypto_sign_detached(sig, NULL, buf_ptr(b), buf_len(b), sk);
	if ((r = put_hex_line(b, "signature", sig, sizeof(sig))) != 0)
		goto out;
	*outp = b;
	b = NULL;
	r = 0;
 out:
	sodium_memzero(sk, sizeof(sk));
	buf_free(b);
	return r;
}

/* --- checking --------------------------------------------------------- */

struct head {
	struct audit_headinfo in;
	uint8_t digest[CC_HASH_LEN];
	uint8_t mac[CC_HASH_LEN];
	uint8_t pk[AUDIT_PUBKEY_LEN];
	uint8_t sig[AUDIT_SIG_LEN];
	size_t signed_len;   /* bytes before the signature line */
};

/* Reads "name value\n" at *pp into val (NUL-terminated); advances *pp. */
static int
field(const char **pp, const char *end, const char *name, char *val,
    size_t max)
{
	const char *p = *pp, *nl;
	size_t n = strlen(name), vlen;

	if ((size_t)(end - p) < n + 2 || memcmp(p, name, n) != 0 ||
	    p[n] != ' ' || (nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return CE_FORMAT;
	vlen = (size_t)(nl - (p + n + 1));
	if (vlen == 0 || vlen >= max)
		return CE_FORMAT;
	memcpy(val, p + n + 1, vlen);
	val[vlen] = '\0';
	*pp = nl + 1;
	return 0;
}

static int
field_num(const char **pp, const char *end, const char *name, uint64_t *vp)
{
	char v[24], *e;
	unsigned long long x;

	if (field(pp, end, name, v, sizeof(v)) != 0 || v[0] < '0' ||
	    v[0] > '9')
		return CE_FORMAT;
	x = strtoull(v, &e, 10);
	if (*e != '\0')
		return CE_FORMAT;
	*vp = x;
	return 0;
}

static int
field_hex(const char **pp, const char *end, const char *name, uint8_t *out,
    size_t n)
{
	char v[2 * AUDIT_SIG_LEN + 2];
	size_t got;

	if (field(pp, end, name, v, sizeof(v)) != 0 || strlen(v) != 2 * n ||
	    sodium_hex2bin(out, n, v, 2 * n, NULL, &got, NULL) != 0 ||
	    got != n)
		return CE_FORMAT;
	return 0;
}

static int
head_parse(const char *text, size_t len, struct head *hp)
{
	const char *p = text, *end = text + len;

	memset(hp, 0, sizeof(*hp));
	if (len < sizeof(head_magic) - 1 ||
	    memcmp(p, head_magic, sizeof(head_magic) - 1) != 0) {
		err_set_detail("not a Coffer audit head (first line is not "
		    "'coffer-audit-head 1')");
		return CE_FORMAT;
	}
	p += sizeof(head_magic) - 1;
	if (field_num(&p, end, "serial", &hp->in.serial) != 0 ||
	    field_num(&p, end, "seq", &hp->in.seq) != 0 ||
	    field_num(&p, end, "size", &hp->in.size) != 0 ||
	    field_hex(&p, end, "digest", hp->digest, CC_HASH_LEN) != 0 ||
	    field_hex(&p, end, "mac", hp->mac, CC_HASH_LEN) != 0 ||
	    field(&p, end, "time", hp->in.time, sizeof(hp->in.time)) != 0 ||
	    field_hex(&p, end, "pubkey", hp->pk, AUDIT_PUBKEY_LEN) != 0)
		goto bad;
	hp->signed_len = (size_t)(p - text);
	if (field_hex(&p, end, "signature", hp->sig, AUDIT_SIG_LEN) != 0 ||
	    p != end)
		goto bad;
	return 0;
 bad:
	err_set_detail("the audit head is malformed (docs/formats.md 3.3)");
	return CE_FORMAT;
}

int
audit_head_parse(const void *text, size_t len, struct audit_headinfo *hip)
{
	struct head h;
	int r;

	if ((r = head_parse(text, len, &h)) == 0 && hip != NULL)
		*hip = h.in;
	return r;
}

int
audit_head_check(struct store *st, const char *logpath, const void *text,
    size_t len, struct audit_headinfo *hip)
{
	uint8_t pk[AUDIT_PUBKEY_LEN], sk[crypto_sign_SECRETKEYBYTES];
	char hx[2 * AUDIT_PUBKEY_LEN + 1];
	struct audit_prefix pre;
	struct head h;
	uint64_t serial;
	int r;

	if ((r = head_parse(text, len, &h)) != 0)
		goto out;
	if (hip != NULL)
		*hip = h.in;
	if ((r = sign_key(st, pk, sk, &serial)) != 0)
		goto out;
	if (!cc_memeq(pk, h.pk, sizeof(pk))) {
		sodium_bin2hex(hx, sizeof(hx), pk, sizeof(pk));
		err_set_detail("the head (seq %" PRIu64 ") was signed by another "
		    "key than this HSM's head-signing key %s", h.in.seq, hx);
		r = CE_INTEGRITY;
		goto out;
	}
	if (crypto_sign_verify_detached(h.sig, text, h.signed_len, h.pk) != 0) {
		err_set_detail("the head (seq %" PRIu64 ") fails its signature: "
		    "the head file was altered", h.in.seq);
		r = CE_INTEGRITY;
		goto out;
	}
	if (h.in.serial != serial) {
		err_set_detail("the head is of the HSM with serial %" PRIu64
		    "; this one's is %" PRIu64, h.in.serial, serial);
		r = CE_INTEGRITY;
		goto out;
	}
	if ((r = audit_prefix(logpath, h.in.seq, &pre)) != 0)
		goto out;
	if (pre.lines < h.in.seq) {
		err_set_detail("audit.log holds %" PRIu64 " records but the head "
		    "of %s vouches for %" PRIu64 ": records up to seq %" PRIu64
		    " were removed", pre.lines, h.in.time, h.in.seq, h.in.seq);
		r = CE_INTEGRITY;
		goto out;
	}
	if (!cc_memeq(pre.digest, h.digest, CC_HASH_LEN) || !pre.mac_ok ||
	    !cc_memeq(pre.mac, h.mac, CC_HASH_LEN) || pre.bytes != h.in.size) {
		err_set_detail("audit.log's records 1 to %" PRIu64 " are not the "
		    "ones the head of %s (seq %" PRIu64 ") vouches for: the log "
		    "up to seq %" PRIu64 " was edited, rewritten or cut",
		    h.in.seq, h.in.time, h.in.seq, h.in.seq);
		r = CE_INTEGRITY;
		goto out;
	}
	r = 0;
 out:
	sodium_memzero(sk, sizeof(sk));
	return r;
}
