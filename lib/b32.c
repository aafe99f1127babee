#include "b32.h"
#include "err.h"


/*
 * Share payloads are secret, so symbols are mapped without a lookup or a
 * branch on their value: in() is -1 when lo <= c <= hi and 0 otherwise
 * (arithmetic shift of a negative int, as gcc and clang do).
 */
static int
in(int c, int lo, int hi)
{
	return ((lo - 1 - c) & (c - hi - 1)) >> 8;
}

/* Returns 1 when a >= b, else 0, for small non-negative ints. */
static int
ge(int a, int b)
{
	return 1 - (((a - b) >> 8) & 1);
}

static char
sym_char(unsigned v)
{
	int d = (int)v, li = d - 10, letter, digit = ((d - 10) >> 8);

	/* letters A-Z skipping I, L, O and U */
	letter = 'A' + li + ge(li, 8) + ge(li, 10) + ge(li, 12) + ge(li, 17);
	return (char)((digit & ('0' + d)) | (~digit & letter));
}

/* Returns the value of symbol c, or -1. */
static int
sym_value(unsigned char uc)
{
	int c = uc, v = -1;

	c -= in(c, 'a', 'z') & 32;
	v += in(c, '0', '9') & (c - '0' + 1);
	v += in(c, 'O', 'O') & 1;
	v += in(c, 'I', 'I') & 2;
	v += in(c, 'L', 'L') & 2;
	v += in(c, 'A', 'H') & (c - 'A' + 11);
	v += in(c, 'J', 'K') & (c - 'J' + 19);
	v += in(c, 'M', 'N') & (c - 'M' + 21);
	v += in(c, 'P', 'T') & (c - 'P' + 23);
	v += in(c, 'V', 'Z') & (c - 'V' + 28);
	return v;
}

size_t
b32_enc_len(size_t n)
{
	return (n * 8 + 4) / 5;
}

int
b32_encode(const uint8_t *p, size_t n, size_t group, char *out, size_t outmax)
{
	size_t syms = b32_enc_len(n), need, i, o = 0, bit;
	unsigned v;

	need = syms + (group > 0 && syms > 0 ? (syms - 1) / group : 0) + 1;
	if (need > outmax)
		return CE_TOO_LONG;
	for (i = 0; i < syms; i++) {
		if (group > 0 && i > 0 && i % group == 0)
			out[o++] = '-';
		/* five bits starting at bit 5i, zero beyond the end */
		bit = i * 5;
		v = (unsigned)p[bit / 8] << 8;
		if (bit / 8 + 1 < n)
			v |= p[bit / 8 + 1];
		v = (v >> (11 - bit % 8)) & 31;
		out[o++] = sym_char(v);
	}
	out[o] = '\0';
	return 0;
}

int
b32_decode(const char *s, size_t slen, uint8_t *out, size_t outmax,
    size_t *np)
{
	unsigned acc = 0, bits = 0;
	size_t i, n = 0, syms = 0;
	int v;

	for (i = 0; i < slen; i++) {
		if (s[i] == '-')
			continue;
		if ((v = sym_value((unsigned char)s[i])) < 0) {
			err_set_detail("'%c' at position %zu is not a base32 "
			    "symbol", s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?',
			    i + 1);
			return CE_FORMAT;
		}
		syms++;
		acc = (acc << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (n == outmax)
				return CE_TOO_LONG;
			out[n++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* at most 4 bits left over, all zero, from a symbol count that some
	 * byte count produces */
	if (bits >= 5 || acc != 0 || b32_enc_len(n) != syms) {
		err_set_detail("base32 text has a wrong length or trailing bits");
		return CE_FORMAT;
	}
	*np = n;
	return 0;
}
