/*
 * b32: Crockford base32, the alphabet for anything a person copies by hand.
 *
 * 0-9 A-Z without I, L, O, U: no two symbols look alike and no words form
 * by accident. Decoding forgives what people do on paper: any case, O read
 * as 0, I and L read as 1, and '-' between groups is ignored. Bits are taken
 * most significant first; the last symbol's unused low bits must be zero, so
 * every byte string has exactly one spelling.
 */
#ifndef COFFER_B32_H
#define COFFER_B32_H

#include <stddef.h>
#include <stdint.h>

/* Returns the number of symbols that encode n bytes. */
size_t b32_enc_len(size_t n);

/*
 * Writes the symbols for p[0..n) to out, with a '-' after every `group`
 * symbols (0 = no groups), and a terminating NUL. Returns CE_TOO_LONG when
 * outmax is too small.
 */
int b32_encode(const uint8_t *p, size_t n, size_t group, char *out,
    size_t outmax);

/*
 * Decodes s[0..slen) into out[0..outmax), setting *np to the byte count.
 * Returns CE_FORMAT for a symbol outside the alphabet (its position in
 * err_detail), a symbol count no byte string has, or non-zero padding bits;
 * CE_TOO_LONG when the result would not fit.
 */
int b32_decode(const char *s, size_t slen, uint8_t *out, size_t outmax,
    size_t *np);

#endif
