/* timefmt.h - the common rules' dates and times (RFC 3339 UTC, YYYY-MM-DD) */
#ifndef PX_TIMEFMT_H
#define PX_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t px_days_from_civil(int64_t y, unsigned m, unsigned d);
void px_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* Parses "YYYY-MM-DD[T| ]HH:MM[:SS[.frac]][Z|+HH|+HHMM|+HH:MM]" (no zone:
 * UTC) and writes the same instant as "YYYY-MM-DDTHH:MM:SS[.frac]Z" into
 * out (at least 40 bytes). Returns 0, or -1 when s is not such a time. */
int px_rfc3339_utc(const char *s, char *out, size_t outsz);

/* 1 when s (len bytes) is already "YYYY-MM-DDTHH:MM:SSZ", a valid
 * instant: nothing to convert. */
int px_is_rfc3339_utc(const char *s, size_t len);

/* Seconds (or milliseconds when ms is set) since the epoch -> RFC 3339. */
void px_rfc3339_from_epoch(int64_t t, int ms, char *out, size_t outsz);

/* The value of exactly n decimal digits at s, or -1 when one is not a
 * digit (no sign, no space: what a date's fields are). */
int px_digits(const char *s, int n);

/* Now, in seconds since the epoch: SOURCE_DATE_EPOCH when it is set to a
 * number (reproducible packages), else the clock. */
int64_t px_now(void);

/* Accepts "YYYY-MM-DD" alone or followed by a time at midnight; writes
 * "YYYY-MM-DD". Returns 0 or -1. */
int px_date_only(const char *s, char *out, size_t outsz);

#endif
