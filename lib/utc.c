#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "utc.h"

static int
to_tm(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;

	if (t < 0 || t > UTC_MAX || gmtime_r(&tt, tm) == NULL)
		return CE_INVALID;
	return 0;
}

int
utc_iso(int64_t t, char out[UTC_ISO_LEN + 1])
{
	struct tm tm;
	int r;

	if ((r = to_tm(t, &tm)) != 0)
		return r;
	/* to_tm bounds the year to four digits, so this always fits. */
	if (strftime(out, UTC_ISO_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) !=
	    UTC_ISO_LEN)
		return CE_INVALID;
	return 0;
}

void
utc_iso_show(int64_t t, char out[UTC_ISO_LEN + 1])
{
	if (utc_iso(t, out) != 0)
		snprintf(out, UTC_ISO_LEN + 1, "(out of range)");
}

int
utc_stamp(int64_t t, char out[UTC_STAMP_LEN + 1])
{
	struct tm tm;
	int r;

	if ((r = to_tm(t, &tm)) != 0)
		return r;
	if (strftime(out, UTC_STAMP_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) !=
	    UTC_STAMP_LEN)
		return CE_INVALID;
	return 0;
}

/* Reads n decimal digits at s; -1 when any is not a digit. */
static int
digits(const char *s, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

/*
 * Builds the time from its fields and refuses any field that timegm() had
 * to normalise: that is how "02-30" or "25:00" are caught.
 */
static int
from_fields(int y, int mo, int d, int h, int mi, int s, int64_t *tp)
{
	struct tm tm, back;
	time_t t;

	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || s > 59 || h < 0 || mi < 0 || s < 0)
		return CE_FORMAT;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm); /* normalises tm in place: compare with the fields */
	if (to_tm((int64_t)t, &back) != 0 || back.tm_year != y - 1900 ||
	    back.tm_mon != mo - 1 || back.tm_mday != d)
		return CE_FORMAT;
	*tp = (int64_t)t;
	return 0;
}

int
utc_parse_iso(const char *s, int64_t *tp)
{
	if (strnlen(s, UTC_ISO_LEN + 1) < UTC_ISO_LEN || s[4] != '-' ||
	    s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    s[19] != 'Z')
		return CE_FORMAT;
	return from_fields(digits(s, 4), digits(s + 5, 2), digits(s + 8, 2),
	    digits(s + 11, 2), digits(s + 14, 2), digits(s + 17, 2), tp);
}

int
utc_parse_stamp(const char *s, int64_t *tp)
{
	if (strnlen(s, UTC_STAMP_LEN + 1) < UTC_STAMP_LEN || s[8] != 'T' ||
	    s[15] != 'Z')
		return CE_FORMAT;
	return from_fields(digits(s, 4), digits(s + 4, 2), digits(s + 6, 2),
	    digits(s + 9, 2), digits(s + 11, 2), digits(s + 13, 2), tp);
}
