/* Helpers shared by the cmocka unit tests. */
#ifndef COFFER_TESTUTIL_H
#define COFFER_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

/* Decodes hex into out (at most max bytes); returns the byte count. */
static inline size_t
unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned int v;

	while (h[0] && h[1] && n < max) {
		if (sscanf(h, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

#endif
