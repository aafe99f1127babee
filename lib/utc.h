/*
 * utc: the two fixed textual forms of a UTC time that backup names and
 * manifests use, written and read strictly.
 *
 *   iso:   "2025-01-02T03:04:05Z"  (manifests; UTC_ISO_LEN characters)
 *   stamp: "20250102T030405Z"      (backup file names; UTC_STAMP_LEN)
 *
 * Times are seconds since the epoch, from 1970-01-01T00:00:00Z up to the
 * end of year 9999, so the year always has four digits. A parse accepts only
 * the exact form and a real calendar date ("02-30" is refused).
 */
#ifndef COFFER_UTC_H
#define COFFER_UTC_H

#include <stdint.h>

#define UTC_ISO_LEN 20
#define UTC_STAMP_LEN 16
#define UTC_MAX 253402300799LL /* 9999-12-31T23:59:59Z */

/* Writes t as iso into out (NUL-terminated); CE_INVALID when out of range. */
int utc_iso(int64_t t, char out[UTC_ISO_LEN + 1]);

/* utc_iso for showing a time: never fails ("(out of range)" if it would). */
void utc_iso_show(int64_t t, char out[UTC_ISO_LEN + 1]);
/* Writes t as stamp into out (NUL-terminated); CE_INVALID when out of range. */
int utc_stamp(int64_t t, char out[UTC_STAMP_LEN + 1]);

/* Parses exactly UTC_ISO_LEN characters of s; CE_FORMAT when not valid. */
int utc_parse_iso(const char *s, int64_t *tp);
/* Parses exactly UTC_STAMP_LEN characters of s; CE_FORMAT when not valid. */
int utc_parse_stamp(const char *s, int64_t *tp);

#endif
