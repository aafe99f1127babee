/*
 * Share lines: a share a person can copy onto paper and type back in.
 * Layout in docs/formats.md section 8.2:
 *
 *   CS1 <set id> <M>/<N> #<index> <body> <checksum>
 *
 * Symbols are Crockford base32 (lib/b32) in groups of four; the checksum
 * (40 bits of SHA-384 over the decoded fields) catches a mistyped symbol
 * before any combining is tried.
 */
#include <stdio.h>
#include <string.h>

#include "b32.h"
#include "crypto.h"
#include "err.h"
#include "secret.h"
#include "share_int.h"

#define TEXT_MAGIC "CS1"
#define SUM_BYTES 5
#define FIELDS 6
/* x, check, then the split value */
#define BODY_MAX (1 + SHARE_CHECK_LEN + SHARE_SECRET_MAX + SHARE_BLIND_LEN)

/* checksum = SHA-384("CS1" || set id || M || N || index || body)[0..5) */
static int
line_sum(const struct share *sh, const uint8_t *body, size_t blen,
    uint8_t out[SUM_BYTES])
{
	struct cc_hash *h = NULL;
	uint8_t meta[3] = { sh->m, sh->n, sh->index }, d[CC_HASH_LEN];
	int r;

	if ((r = cc_hash_new(&h)) != 0)
		return r;
	if ((r = cc_hash_update(h, TEXT_MAGIC, 3)) == 0 &&
	    (r = cc_hash_update(h, sh->set_id, SHARE_SET_ID_LEN)) == 0 &&
	    (r = cc_hash_update(h, meta, sizeof(meta))) == 0 &&
	    (r = cc_hash_update(h, body, blen)) == 0 &&
	    (r = cc_hash_peek(h, d)) == 0)
		memcpy(out, d, SUM_BYTES);
	cc_hash_free(h);
	return r;
}

/* Writes x || check || y into body (a secret of BODY_MAX bytes). */
static size_t
put_body(const struct share *sh, uint8_t *body)
{
	size_t ylen = sh->secret_len + SHARE_BLIND_LEN;

	body[0] = sh->x;
	memcpy(body + 1, sh->check, SHARE_CHECK_LEN);
	memcpy(body + 1 + SHARE_CHECK_LEN, secret_ptr(sh->y), ylen);
	return 1 + SHARE_CHECK_LEN + ylen;
}

int
share_text_encode(const struct share *sh, struct secret **linep)
{
	struct secret *body = NULL, *line = NULL;
	char *l, id[SHARE_SET_ID_STR], sumtxt[16];
	uint8_t sum[SUM_BYTES];
	size_t blen, o;
	int r, w;

	if ((r = share_check_fields(sh)) != 0)
		return CE_INVALID;
	if ((body = secret_new(BODY_MAX)) == NULL ||
	    (line = secret_new(SHARE_TEXT_MAX + 1)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	blen = put_body(sh, secret_ptr(body));
	if ((r = line_sum(sh, secret_ptr(body), blen, sum)) != 0 ||
	    (r = b32_encode(sum, SUM_BYTES, 4, sumtxt, sizeof(sumtxt))) != 0)
		goto out;
	share_set_id_str(sh->set_id, id);
	l = (char *)secret_ptr(line);
	w = snprintf(l, SHARE_TEXT_MAX + 1, "%s %s %u/%u #%u ", TEXT_MAGIC, id,
	    sh->m, sh->n, sh->index);
	if (w < 0 || w >= SHARE_TEXT_MAX) {
		r = CE_TOO_LONG;
		goto out;
	}
	o = (size_t)w;
	if ((r = b32_encode(secret_ptr(body), blen, 4, l + o,
	    SHARE_TEXT_MAX + 1 - o)) != 0)
		goto out;
	o += strlen(l + o);
	w = snprintf(l + o, SHARE_TEXT_MAX + 1 - o, " %s", sumtxt);
	if (w < 0 || (size_t)w >= SHARE_TEXT_MAX + 1 - o) {
		r = CE_TOO_LONG;
		goto out;
	}
	o += (size_t)w;
	secret_truncate(line, o + 1);
	*linep = line;
	line = NULL;
	r = 0;
 out:
	secret_free(body);
	secret_free(line);
	return r;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Splits s[0..len) at whitespace into at most max tokens. */
static size_t
tokenize(const char *s, size_t len, const char **tok, size_t *tlen, size_t max)
{
	size_t i = 0, n = 0, start;

	for (;;) {
		while (i < len && is_space(s[i]))
			i++;
		if (i == len)
			return n;
		start = i;
		while (i < len && !is_space(s[i]))
			i++;
		if (n == max)
			return max + 1;
		tok[n] = s + start;
		tlen[n++] = i - start;
	}
}

/* Parses a decimal 1..SHARE_MAX_N from t[0..len); returns it or -1. */
static int
small_num(const char *t, size_t len)
{
	int v = 0;
	size_t i;

	if (len < 1 || len > 2 || t[0] == '0')
		return -1;
	for (i = 0; i < len; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -1;
		v = v * 10 + (t[i] - '0');
	}
	return v <= SHARE_MAX_N ? v : -1;
}

/* Reads "M/N" and "#I". */
static int
parse_counts(const char *mn, size_t mnlen, const char *ix, size_t ixlen,
    struct share *sh)
{
	const char *slash = memchr(mn, '/', mnlen);
	int m, n, i;

	if (slash == NULL ||
	    (m = small_num(mn, (size_t)(slash - mn))) < 0 ||
	    (n = small_num(slash + 1, mnlen - (size_t)(slash - mn) - 1)) < 0 ||
	    ixlen < 2 || ix[0] != '#' ||
	    (i = small_num(ix + 1, ixlen - 1)) < 0) {
		err_set_detail("the M/N or #index field is unreadable: check "
		    "the line for a typo");
		return CE_SHARE_CORRUPT;
	}
	sh->m = (uint8_t)m;
	sh->n = (uint8_t)n;
	sh->index = (uint8_t)i;
	return 0;
}

static int
magic_ok(const char *t, size_t len)
{
	size_t i;

	if (len == 3 && (t[0] == 'C' || t[0] == 'c') &&
	    (t[1] == 'S' || t[1] == 's') && t[2] == '1')
		return 0;
	if (len >= 3 && len <= 6 && (t[0] == 'C' || t[0] == 'c') &&
	    (t[1] == 'S' || t[1] == 's')) {
		for (i = 2; i < len && t[i] >= '0' && t[i] <= '9'; i++)
			;
		if (i == len) {
			err_set_detail("share line version %.*s; this Coffer "
			    "reads CS1", (int)len, t);
			return CE_VERSION;
		}
	}
	err_set_detail("not a Coffer share line (it should start with CS1)");
	return CE_FORMAT;
}

int
share_text_decode(const char *line, size_t len, struct share **shp)
{
	const char *tok[FIELDS];
	size_t tlen[FIELDS], n, blen, ylen;
	struct secret *body = NULL;
	struct share hdr, *sh = NULL;
	uint8_t sum[SUM_BYTES], want[SUM_BYTES], *bp;
	int r;

	memset(&hdr, 0, sizeof(hdr));
	if (len > SHARE_TEXT_MAX + 64) {
		err_set_detail("share line is too long");
		return CE_FORMAT;
	}
	n = tokenize(line, len, tok, tlen, FIELDS);
	if (n >= 1 && (r = magic_ok(tok[0], tlen[0])) != 0)
		return r;
	if (n != FIELDS) {
		err_set_detail("a share line has 6 fields separated by spaces, "
		    "this one %s%zu", n > FIELDS ? "more than " : "",
		    n > FIELDS ? (size_t)FIELDS : n);
		return CE_FORMAT;
	}
	if ((body = secret_new(BODY_MAX)) == NULL)
		return CE_NOMEM;
	bp = secret_ptr(body);
	if ((r = b32_decode(tok[1], tlen[1], hdr.set_id, SHARE_SET_ID_LEN,
	    &n)) != 0 || n != SHARE_SET_ID_LEN ||
	    (r = b32_decode(tok[4], tlen[4], bp, BODY_MAX, &blen)) != 0 ||
	    (r = b32_decode(tok[5], tlen[5], sum, SUM_BYTES, &n)) != 0 ||
	    n != SUM_BYTES) {
		if (r == 0 || r == CE_TOO_LONG)
			err_set_detail("a field has the wrong length");
		r = CE_SHARE_CORRUPT;
		goto out;
	}
	if ((r = parse_counts(tok[2], tlen[2], tok[3], tlen[3], &hdr)) != 0)
		goto out;
	if ((r = line_sum(&hdr, bp, blen, want)) != 0)
		goto out;
	if (!cc_memeq(sum, want, SUM_BYTES)) {
		err_set_detail("checksum does not match: a symbol was mistyped; "
		    "compare the line with its copy");
		r = CE_SHARE_CORRUPT;
		goto out;
	}
	if (blen < 1 + SHARE_CHECK_LEN + SHARE_BLIND_LEN + 1) {
		err_set_detail("share line body is too short");
		r = CE_FORMAT;
		goto out;
	}
	ylen = blen - 1 - SHARE_CHECK_LEN;
	hdr.x = bp[0];
	memcpy(hdr.check, bp + 1, SHARE_CHECK_LEN);
	hdr.secret_len = ylen - SHARE_BLIND_LEN;
	if ((r = share_check_fields(&hdr)) != 0)
		goto out;
	if ((sh = share_alloc(hdr.secret_len)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	hdr.y = sh->y;
	*sh = hdr;
	memcpy(secret_ptr(sh->y), bp + 1 + SHARE_CHECK_LEN, ylen);
	*shp = sh;
	sh = NULL;
	r = 0;
 out:
	share_free(sh);
	secret_free(body);
	return r;
}
