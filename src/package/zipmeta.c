/*
 * zipmeta.c - the metadata of every entry of a package, set once before
 * the archive is written: a regular file of mode 0644 (no world-writable
 * personal data on extraction; verify refuses anything else) and one
 * time, in UTC, from SOURCE_DATE_EPOCH when set, so that the same export
 * gives the same bytes on every run and every machine.
 */
#include <time.h>

#include "package/zipmeta.h"

#define REGULAR_0644 0100644u
#define DOS_EPOCH    315532800 /* 1980-01-01T00:00:00Z, DOS time's first */

int px_zip_set_entry_meta(zip_t *za, int64_t when, px_error *err)
{
	zip_int64_t n = zip_get_num_entries(za, 0);
	time_t t = when < DOS_EPOCH ? DOS_EPOCH : (time_t)when;
	zip_uint16_t dtime, ddate;
	struct tm tm;

	/* DOS times have no zone; libzip would read them as local time. */
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 2107)
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "package time %lld: out of the ZIP range "
				    "1980-2107",
				    (long long)when);
	dtime =
	    (zip_uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
	ddate = (zip_uint16_t)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 |
			       tm.tm_mday);
	for (zip_int64_t i = 0; i < n; i++) {
		if (zip_file_set_external_attributes(za, (zip_uint64_t)i, 0,
						     ZIP_OPSYS_UNIX,
						     REGULAR_0644 << 16) ||
		    zip_file_set_dostime(za, (zip_uint64_t)i, dtime, ddate, 0))
			return px_error_set(
			    err, PX_EXIT_CANTCREAT,
			    "cannot set the mode and time of "
			    "%s: %s",
			    zip_get_name(za, (zip_uint64_t)i, 0),
			    zip_strerror(za));
	}
	return 0;
}
