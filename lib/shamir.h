/*
 * shamir: Shamir secret sharing over GF(2^8), byte by byte.
 *
 * The field is GF(2)[x]/(x^8 + x^4 + x^3 + x + 1), the AES polynomial. All
 * arithmetic is constant-time and table-free: multiplication is shift-and-xor
 * with masks, inversion is exponentiation (a^254), so no branch and no memory
 * index ever depends on a secret byte (log/exp tables leak through the cache).
 *
 * A split draws the x-coordinates (distinct, never 0) and the polynomial
 * coefficients from the CSPRNG (libsodium). N is 1..16 (Luna's limit), M is
 * 1..N; M = 1 gives every point the secret itself (M = N = 1 is unsplit).
 *
 * This layer knows nothing about sets, checks or encodings: lib/share adds
 * those. Points hold their y bytes in struct secret.
 */
#ifndef COFFER_SHAMIR_H
#define COFFER_SHAMIR_H

#include <stddef.h>
#include <stdint.h>

#define SHAMIR_MAX_N 16

struct secret;

/* One point of the polynomial: x != 0, y one byte per secret byte. */
struct shamir_point {
	uint8_t x;
	struct secret *y;
};

/* Returns a * b in GF(2^8) (AES polynomial); constant time. */
uint8_t gf256_mul(uint8_t a, uint8_t b);

/* Returns the inverse of a (a^254; 0 maps to 0); constant time. */
uint8_t gf256_inv(uint8_t a);

/*
 * Splits s into n points, any m of which recover it. Fills pts[0..n) with
 * new y secrets of secret_len(s) bytes (the caller frees them with
 * shamir_points_clear). Returns CE_INVALID for m, n out of range or an
 * empty secret, CE_NOMEM.
 */
int shamir_split(const struct secret *s, unsigned m, unsigned n,
    struct shamir_point pts[]);

/*
 * Evaluates at x = at the polynomial of degree < k through pts[0..k)
 * (Lagrange interpolation) into a new secret *outp. at = 0 recovers the
 * secret; at = another point's x predicts that point's y (the share layer
 * uses this to find a corrupt share). Returns CE_SHARE_DUP when two points
 * share an x, CE_INVALID for x = 0, k = 0 or y lengths that differ.
 */
int shamir_interpolate(const struct shamir_point *pts, unsigned k, uint8_t at,
    struct secret **outp);

/*
 * shamir_interpolate into an existing secret of the points' y length, so a
 * search over many subsets allocates (and locks) memory once.
 */
int shamir_interpolate_into(const struct shamir_point *pts, unsigned k,
    uint8_t at, struct secret *out);

/* shamir_interpolate at 0. */
int shamir_combine(const struct shamir_point *pts, unsigned k,
    struct secret **sp);

/* Frees the y of pts[0..n) and zeroes the points. */
void shamir_points_clear(struct shamir_point pts[], unsigned n);

#endif
