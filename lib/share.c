#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b32.h"
#include "crypto.h"
#include "err.h"
#include "secret.h"
#include "shamir.h"
#include "share_int.h"

#define CHECK_LABEL "coffer-mofn-check-v1"

struct share *
share_alloc(size_t secret_len)
{
	struct share *sh;

	if ((sh = calloc(1, sizeof(*sh))) == NULL)
		return NULL;
	sh->secret_len = secret_len;
	if ((sh->y = secret_new(secret_len + SHARE_BLIND_LEN)) == NULL) {
		free(sh);
		return NULL;
	}
	return sh;
}

void
share_free(struct share *sh)
{
	if (sh == NULL)
		return;
	secret_free(sh->y);
	free(sh);
}

void
share_set_free(struct share *shs[], size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		share_free(shs[i]);
		shs[i] = NULL;
	}
}

int
share_check_fields(const struct share *sh)
{
	if (sh->n < 1 || sh->n > SHARE_MAX_N || sh->m < 1 || sh->m > sh->n ||
	    sh->index < 1 || sh->index > sh->n || sh->x == 0 ||
	    sh->secret_len < 1 || sh->secret_len > SHARE_SECRET_MAX) {
		err_set_detail("share fields out of range (M %u, N %u, "
		    "index %u, length %zu)", sh->m, sh->n, sh->index,
		    sh->secret_len);
		return CE_FORMAT;
	}
	return 0;
}

int
share_dup(const struct share *sh, struct share **dupp)
{
	struct share *d;

	if ((d = share_alloc(sh->secret_len)) == NULL)
		return CE_NOMEM;
	secret_free(d->y);
	*d = *sh;
	if ((d->y = secret_dup(sh->y)) == NULL) {
		free(d);
		return CE_NOMEM;
	}
	*dupp = d;
	return 0;
}

void
share_get_info(const struct share *sh, struct share_info *ip)
{
	memset(ip, 0, sizeof(*ip));
	memcpy(ip->set_id, sh->set_id, SHARE_SET_ID_LEN);
	ip->m = sh->m;
	ip->n = sh->n;
	ip->index = sh->index;
	ip->x = sh->x;
	ip->secret_len = sh->secret_len;
	ip->pin_protected = sh->pin_protected;
	ip->kdf_profile = sh->kdf_profile;
}

void
share_set_tag(const struct share *sh, uint8_t out[SHARE_TAG_LEN])
{
	static const char tag[] = "coffer-share-set-tag 1";
	uint8_t in[sizeof(tag) - 1 + SHARE_SET_ID_LEN + SHARE_CHECK_LEN];
	uint8_t h[CC_HASH_LEN];

	memcpy(in, tag, sizeof(tag) - 1);
	memcpy(in + sizeof(tag) - 1, sh->set_id, SHARE_SET_ID_LEN);
	memcpy(in + sizeof(tag) - 1 + SHARE_SET_ID_LEN, sh->check,
	    SHARE_CHECK_LEN);
	(void)cc_sha384(in, sizeof(in), h);
	memcpy(out, h, SHARE_TAG_LEN);
}

void
share_set_id_str(const uint8_t id[SHARE_SET_ID_LEN], char out[SHARE_SET_ID_STR])
{
	/* 10 bytes are exactly 16 symbols: four groups of four */
	if (b32_encode(id, SHARE_SET_ID_LEN, 4, out, SHARE_SET_ID_STR) != 0)
		out[0] = '\0';
}

/*
 * The check value of a split value P (secret || blinding) for the set
 * metadata of sh: HMAC-SHA-384(P, label || set id || M || N || length),
 * first SHARE_CHECK_LEN bytes.
 */
static int
compute_check(const struct secret *p, const struct share *meta,
    uint8_t out[SHARE_CHECK_LEN])
{
	uint8_t msg[sizeof(CHECK_LABEL) - 1 + SHARE_SET_ID_LEN + 4];
	uint8_t mac[CC_HASH_LEN];
	size_t o = 0;
	int r;

	memcpy(msg, CHECK_LABEL, sizeof(CHECK_LABEL) - 1);
	o += sizeof(CHECK_LABEL) - 1;
	memcpy(msg + o, meta->set_id, SHARE_SET_ID_LEN);
	o += SHARE_SET_ID_LEN;
	msg[o++] = meta->m;
	msg[o++] = meta->n;
	msg[o++] = (uint8_t)(meta->secret_len >> 8);
	msg[o++] = (uint8_t)meta->secret_len;
	r = cc_hmac_sha384(secret_ptr(p), secret_len(p), msg, o, mac);
	memcpy(out, mac, SHARE_CHECK_LEN);
	return r;
}

int
share_set_new(const struct secret *s, unsigned m, unsigned n,
    struct share *out[])
{
	struct shamir_point pts[SHARE_MAX_N];
	struct secret *p = NULL;
	struct share meta;
	size_t len, i;
	int r;

	memset(pts, 0, sizeof(pts));
	if (s == NULL || (len = secret_len(s)) < 1 || len > SHARE_SECRET_MAX ||
	    n < 1 || n > SHARE_MAX_N || m < 1 || m > n) {
		err_set_detail("need 1 <= M <= N <= %d and a secret of 1 to %d "
		    "bytes", SHARE_MAX_N, SHARE_SECRET_MAX);
		return CE_INVALID;
	}
	for (i = 0; i < n; i++)
		out[i] = NULL;
	/* the split value: the secret, then blinding for the check value */
	if ((p = secret_new(len + SHARE_BLIND_LEN)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	memcpy(secret_ptr(p), secret_ptr(s), len);
	cc_random(secret_ptr(p) + len, SHARE_BLIND_LEN);
	memset(&meta, 0, sizeof(meta));
	cc_random(meta.set_id, SHARE_SET_ID_LEN);
	meta.m = (uint8_t)m;
	meta.n = (uint8_t)n;
	meta.secret_len = len;
	if ((r = compute_check(p, &meta, meta.check)) != 0 ||
	    (r = shamir_split(p, m, n, pts)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((out[i] = share_alloc(len)) == NULL) {
			r = CE_NOMEM;
			goto out;
		}
		secret_free(out[i]->y);
		*out[i] = meta;
		out[i]->index = (uint8_t)(i + 1);
		out[i]->x = pts[i].x;
		out[i]->y = pts[i].y;
		pts[i].y = NULL;
	}
	r = 0;
 out:
	if (r != 0)
		share_set_free(out, n);
	shamir_points_clear(pts, SHARE_MAX_N);
	secret_free(p);
	return r;
}

/* Whether a and b agree on everything the whole set shares. */
static int
same_set_meta(const struct share *a, const struct share *b)
{
	return a->m == b->m && a->n == b->n && a->secret_len == b->secret_len &&
	    memcmp(a->check, b->check, SHARE_CHECK_LEN) == 0;
}

/* Refuses shares of two sets and the same share twice. */
static int
check_one_set(struct share *const shs[], size_t k)
{
	char a[SHARE_SET_ID_STR], b[SHARE_SET_ID_STR];
	size_t i, j;

	for (i = 1; i < k; i++) {
		if (memcmp(shs[i]->set_id, shs[0]->set_id,
		    SHARE_SET_ID_LEN) != 0) {
			share_set_id_str(shs[0]->set_id, a);
			share_set_id_str(shs[i]->set_id, b);
			err_set_detail("input 1 is from set %s, input %zu from "
			    "set %s", a, i + 1, b);
			return CE_SHARE_MIXED;
		}
	}
	for (i = 0; i < k; i++) {
		for (j = i + 1; j < k; j++) {
			if (shs[i]->index == shs[j]->index ||
			    shs[i]->x == shs[j]->x) {
				err_set_detail("inputs %zu and %zu are both "
				    "share #%u; give each share once", i + 1,
				    j + 1, shs[i]->index);
				return CE_SHARE_DUP;
			}
		}
	}
	return 0;
}

/*
 * Picks the metadata most inputs agree on and marks the others bad.
 * Returns the index of a share holding it, or CE_SHARE_CORRUPT on a tie.
 */
static int
vote_meta(struct share *const shs[], size_t k, uint32_t *badp)
{
	size_t i, j, cnt[SHARE_MAX_INPUTS], best = 0;

	for (i = 0; i < k; i++) {
		cnt[i] = 0;
		for (j = 0; j < k; j++)
			cnt[i] += same_set_meta(shs[i], shs[j]);
		if (cnt[i] > cnt[best])
			best = i;
	}
	for (i = 0; i < k; i++) {
		if (cnt[i] == cnt[best] && !same_set_meta(shs[i], shs[best])) {
			err_set_detail("the shares disagree on the set's M, N "
			    "or check value and no majority tells which are "
			    "corrupt");
			return CE_SHARE_CORRUPT;
		}
		if (!same_set_meta(shs[i], shs[best]))
			*badp |= 1u << i;
	}
	return (int)best;
}

/* Combines the shares at good[sel[0..m)] into p; tests the check value. */
static int
try_subset(struct share *const shs[], const size_t *good, const size_t *sel,
    unsigned m, const struct share *meta, struct secret *p)
{
	struct shamir_point pts[SHARE_MAX_N];
	uint8_t check[SHARE_CHECK_LEN];
	unsigned i;
	int r;

	for (i = 0; i < m; i++) {
		pts[i].x = shs[good[sel[i]]]->x;
		pts[i].y = shs[good[sel[i]]]->y;
	}
	if ((r = shamir_interpolate_into(pts, m, 0, p)) != 0 ||
	    (r = compute_check(p, meta, check)) != 0)
		return r;
	return cc_memeq(check, meta->check, SHARE_CHECK_LEN) ? 0 :
	    CE_SHARE_CORRUPT;
}

/* Steps sel[0..m) to the next m-subset of 0..n-1; returns 0 after the last. */
static int
next_subset(size_t *sel, unsigned m, size_t n)
{
	int i;

	for (i = (int)m - 1; i >= 0; i--) {
		if (sel[i] < n - m + (size_t)i) {
			sel[i]++;
			for (; (unsigned)i + 1 < m; i++)
				sel[i + 1] = sel[i] + 1;
			return 1;
		}
	}
	return 0;
}

/*
 * With the polynomial known from the subset sel, tests every other good
 * share: its y must be the polynomial at its x.
 */
static int
find_bad_extras(struct share *const shs[], const size_t *good, size_t ngood,
    const size_t *sel, unsigned m, uint32_t *badp, uint32_t *usedp)
{
	struct shamir_point pts[SHARE_MAX_N];
	struct secret *want;
	const struct share *sh;
	size_t g;
	unsigned i;
	int r = 0, in_sel;

	if ((want = secret_new(secret_len(shs[good[0]]->y))) == NULL)
		return CE_NOMEM;
	for (i = 0; i < m; i++) {
		pts[i].x = shs[good[sel[i]]]->x;
		pts[i].y = shs[good[sel[i]]]->y;
		*usedp |= 1u << good[sel[i]];
	}
	for (g = 0; g < ngood; g++) {
		for (in_sel = 0, i = 0; i < m; i++)
			in_sel |= sel[i] == g;
		if (in_sel)
			continue;
		sh = shs[good[g]];
		if ((r = shamir_interpolate_into(pts, m, sh->x, want)) != 0)
			break;
		if (!secret_equal(want, sh->y))
			*badp |= 1u << good[g];
	}
	secret_free(want);
	return r;
}

/* Writes "input 2 (share #3), ..." for the bits of mask into the detail. */
static void
detail_bad(struct share *const shs[], size_t k, uint32_t mask, const char *what)
{
	char list[200];
	size_t i, o = 0;
	int w;

	list[0] = '\0';
	for (i = 0; i < k; i++) {
		if (!(mask & (1u << i)))
			continue;
		w = snprintf(list + o, sizeof(list) - o, "%sinput %zu (share #%u)",
		    o ? ", " : "", i + 1, shs[i]->index);
		if (w < 0 || (size_t)w >= sizeof(list) - o)
			break;
		o += (size_t)w;
	}
	err_set_detail("%s %s", list, what);
}

int
share_combine(struct share *const shs[], size_t k, struct secret **sp,
    struct share_report *rep)
{
	struct secret *p = NULL, *s = NULL;
	const struct share *meta;
	size_t good[SHARE_MAX_INPUTS], sel[SHARE_MAX_N], ngood = 0, i;
	unsigned m;
	int r, best;

	memset(rep, 0, sizeof(*rep));
	if (k == 0) {
		err_set_detail("no shares given");
		return CE_SHARE_TOO_FEW;
	}
	if (k > SHARE_MAX_INPUTS) {
		err_set_detail("more than %d shares given", SHARE_MAX_INPUTS);
		return CE_INVALID;
	}
	if ((r = check_one_set(shs, k)) != 0)
		return r;
	if ((best = vote_meta(shs, k, &rep->bad)) < 0)
		return best;
	meta = shs[best];
	m = meta->m;
	rep->m = m;
	rep->n = meta->n;
	for (i = 0; i < k; i++)
		if (!(rep->bad & (1u << i)))
			good[ngood++] = i;
	if (ngood < m) {
		if (rep->bad != 0) {
			detail_bad(shs, k, rep->bad, "disagree with the other "
			    "shares of the set and are corrupt");
			return CE_SHARE_CORRUPT;
		}
		err_set_detail("%zu share%s given, the set needs %u of %u",
		    ngood, ngood == 1 ? "" : "s", m, meta->n);
		return CE_SHARE_TOO_FEW;
	}
	/* First the first M; only if they fail, every other M-subset. */
	if ((p = secret_new(meta->secret_len + SHARE_BLIND_LEN)) == NULL)
		return CE_NOMEM;
	for (i = 0; i < m; i++)
		sel[i] = i;
	do {
		r = try_subset(shs, good, sel, m, meta, p);
		if (r != CE_SHARE_CORRUPT)
			break;
	} while (next_subset(sel, m, ngood));
	if (r == CE_SHARE_CORRUPT) {
		if (ngood == m)
			err_set_detail("the %u shares do not combine to the "
			    "set's check value: one of them is corrupt (give "
			    "more than %u shares to find which)", m, m);
		else
			err_set_detail("no %u of the %zu shares combine to the "
			    "set's check value: more than one is corrupt", m,
			    ngood);
		goto out;
	}
	if (r != 0 ||
	    (r = find_bad_extras(shs, good, ngood, sel, m, &rep->bad,
	    &rep->used)) != 0)
		goto out;
	if ((s = secret_from(secret_ptr(p), meta->secret_len)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if (rep->bad != 0)
		detail_bad(shs, k, rep->bad, "corrupt; the secret was recovered "
		    "from the others; replace the corrupt shares");
	*sp = s;
	s = NULL;
	r = 0;
 out:
	secret_free(p);
	secret_free(s);
	return r;
}
