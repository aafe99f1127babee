#include <string.h>

#include "crypto.h"
#include "err.h"
#include "secret.h"
#include "shamir.h"

uint8_t
gf256_mul(uint8_t a, uint8_t b)
{
	uint8_t p = 0, carry;
	int i;

	/*
	 * Eight fixed rounds: add a when the low bit of b is set, then double
	 * a, reducing by 0x1b when its top bit falls off. The masks (0x00 or
	 * 0xff) stand in for the branches a naive version would take.
	 */
	for (i = 0; i < 8; i++) {
		p ^= (uint8_t)(a & (uint8_t)-(b & 1));
		carry = (uint8_t)-(a >> 7);
		a = (uint8_t)((a << 1) ^ (0x1b & carry));
		b >>= 1;
	}
	return p;
}

uint8_t
gf256_inv(uint8_t a)
{
	uint8_t a2, a4, a8, a16, a32, a64, a128;

	/* a^254 = a^-1 for a != 0 (the group has order 255); 0^254 = 0. */
	a2 = gf256_mul(a, a);
	a4 = gf256_mul(a2, a2);
	a8 = gf256_mul(a4, a4);
	a16 = gf256_mul(a8, a8);
	a32 = gf256_mul(a16, a16);
	a64 = gf256_mul(a32, a32);
	a128 = gf256_mul(a64, a64);
	/* 254 = 128 + 64 + 32 + 16 + 8 + 4 + 2 */
	return gf256_mul(gf256_mul(gf256_mul(a128, a64), gf256_mul(a32, a16)),
	    gf256_mul(gf256_mul(a8, a4), a2));
}

void
shamir_points_clear(struct shamir_point pts[], unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		secret_free(pts[i].y);
		pts[i].y = NULL;
		pts[i].x = 0;
	}
}

/* Draws n distinct non-zero x-coordinates. They are public, so rejection
 * sampling may branch on them. */
static void
draw_xs(uint8_t *xs, unsigned n)
{
	unsigned i, j;
	uint8_t x;

	for (i = 0; i < n;) {
		cc_random(&x, 1);
		if (x == 0)
			continue;
		for (j = 0; j < i && xs[j] != x; j++)
			;
		if (j < i)
			continue;
		xs[i++] = x;
	}
}

int
shamir_split(const struct secret *s, unsigned m, unsigned n,
    struct shamir_point pts[])
{
	struct secret *coef = NULL;
	const uint8_t *sp;
	uint8_t *c, *y, xs[SHAMIR_MAX_N], acc;
	size_t len, b;
	unsigned i, k;
	int r;

	if (s == NULL || n < 1 || n > SHAMIR_MAX_N || m < 1 || m > n ||
	    secret_len(s) == 0)
		return CE_INVALID;
	len = secret_len(s);
	sp = secret_ptr(s);
	for (i = 0; i < n; i++)
		pts[i].y = NULL;
	/* coefficients a_1..a_{m-1} for every byte: (m-1) * len random bytes */
	if ((coef = secret_new((size_t)(m - 1) * len)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	c = secret_ptr(coef);
	if (m > 1)
		cc_random(c, (size_t)(m - 1) * len);
	draw_xs(xs, n);
	for (i = 0; i < n; i++) {
		if ((pts[i].y = secret_new(len)) == NULL) {
			r = CE_NOMEM;
			goto out;
		}
		pts[i].x = xs[i];
		y = secret_ptr(pts[i].y);
		for (b = 0; b < len; b++) {
			/* Horner: ((a_{m-1} x + a_{m-2}) x + ...) x + s */
			acc = 0;
			for (k = m - 1; k >= 1; k--)
				acc = gf256_mul((uint8_t)(acc ^ c[(size_t)(k - 1) * len + b]),
				    xs[i]);
			y[b] = (uint8_t)(acc ^ sp[b]);
		}
	}
	r = 0;
 out:
	if (r != 0)
		shamir_points_clear(pts, n);
	secret_free(coef);
	return r;
}

int
shamir_interpolate_into(const struct shamir_point *pts, unsigned k,
    uint8_t at, struct secret *out)
{
	uint8_t lag[SHAMIR_MAX_N], num, den, l;
	uint8_t *o;
	const uint8_t *y;
	size_t len, b;
	unsigned i, j;

	if (k == 0 || k > SHAMIR_MAX_N || pts[0].y == NULL)
		return CE_INVALID;
	len = secret_len(pts[0].y);
	if (secret_len(out) != len)
		return CE_INVALID;
	for (i = 0; i < k; i++) {
		if (pts[i].x == 0 || pts[i].y == NULL ||
		    secret_len(pts[i].y) != len)
			return CE_INVALID;
		for (j = 0; j < i; j++)
			if (pts[j].x == pts[i].x)
				return CE_SHARE_DUP;
	}
	/*
	 * Lagrange basis at `at`: l_i = prod_{j != i} (at - x_j) / (x_i - x_j);
	 * subtraction is xor in characteristic 2. The x are public; the
	 * constant-time field operations are used anyway so there is one code
	 * path to trust.
	 */
	for (i = 0; i < k; i++) {
		num = 1;
		den = 1;
		for (j = 0; j < k; j++) {
			if (j == i)
				continue;
			num = gf256_mul(num, (uint8_t)(at ^ pts[j].x));
			den = gf256_mul(den, (uint8_t)(pts[i].x ^ pts[j].x));
		}
		lag[i] = gf256_mul(num, gf256_inv(den));
	}
	o = secret_ptr(out);
	memset(o, 0, len);
	for (i = 0; i < k; i++) {
		y = secret_ptr(pts[i].y);
		l = lag[i];
		for (b = 0; b < len; b++)
			o[b] ^= gf256_mul(l, y[b]);
	}
	return 0;
}

int
shamir_interpolate(const struct shamir_point *pts, unsigned k, uint8_t at,
    struct secret **outp)
{
	struct secret *out;
	int r;

	if (k == 0 || pts[0].y == NULL)
		return CE_INVALID;
	if ((out = secret_new(secret_len(pts[0].y))) == NULL)
		return CE_NOMEM;
	if ((r = shamir_interpolate_into(pts, k, at, out)) != 0) {
		secret_free(out);
		return r;
	}
	*outp = out;
	return 0;
}

int
shamir_combine(const struct shamir_point *pts, unsigned k, struct secret **sp)
{
	return shamir_interpolate(pts, k, 0, sp);
}
