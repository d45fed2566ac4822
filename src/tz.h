/*
 * tz.h - IANA time zones read from the system's zoneinfo files (TZif,
 * RFC 8536), without the C library's one-zone-per-process TZ: a loaded zone
 * is plain data, so any number of threads may use any number of zones.
 *
 * The whole of portex converts between zones here: the page's dates in the
 * controller's zone, a source's zone-less local times to UTC.
 */
#ifndef PX_TZ_H
#define PX_TZ_H

#include <stddef.h>
#include <stdint.h>

typedef struct px_tz px_tz;

/* Loads zone ("Europe/Paris") from /usr/share/zoneinfo (TZDIR when set).
 * Returns NULL when the name is not a zone name (empty, absolute, "..")
 * or no readable TZif file (version 2 or later) has it. Free with
 * px_tz_free. */
px_tz *px_tz_load(const char *zone);
void px_tz_free(px_tz *tz);

/* The same, loaded once per process and kept until it exits (any thread
 * may call it); NULL when the zone is unknown. Do not free. */
const px_tz *px_tz_shared(const char *zone);

/* The zone's name as loaded ("Europe/Paris"). Borrowed from tz. */
const char *px_tz_name(const px_tz *tz);

/* The zone at instant t (seconds since the epoch): *offset seconds east of
 * UTC, and its abbreviation ("CET", "CEST", "+03") into abbr (n >= 8). */
void px_tz_at(const px_tz *tz, int64_t t, int *offset, char *abbr, size_t n);

/* A wall-clock time read as if it were UTC (seconds since the epoch of
 * that reading) -> the instant it is in the zone, into *t. Returns -1 when
 * it does not exist (the spring gap); in the autumn overlap the first
 * (summer time) instant is taken. */
int px_tz_from_local(const px_tz *tz, int64_t wall, int64_t *t);

#endif
