/*
 * convert.h - declared value conversions shared by every driver (a REST
 * profile's "convert", and the SQL side as it adopts them): money in minor
 * units or {value, scale}, ISO 8601 durations, dd/mm/yyyy dates, local
 * times in a named IANA zone. Each writes its result as text into out and
 * returns 0, or -1 when the input is not what it expects (the caller
 * names the place and the value).
 */
#ifndef PX_CONVERT_H
#define PX_CONVERT_H

#include <stddef.h>

#include "tz.h"

/* An integer's digits ("-1990", any length) divided by 10^scale, exactly:
 * ("1990", 2) -> "19.90", ("-5", 2) -> "-0.05", ("12", -1) -> "120".
 * scale from -30 to 30. */
int px_conv_scaled(const char *integer, int scale, char *out, size_t n);

/* "P1DT2H3M4.5S", "PT90M", "P2W" -> seconds ("93784.5", "5400",
 * "1209600"). Years and months have no fixed length: refused. */
int px_conv_iso_duration(const char *text, char *out, size_t n);

/* "31/12/2024" -> "2024-12-31" (a real date; 1 or 2 digit day/month). */
int px_conv_dmy(const char *text, char *out, size_t n);

/* "2024-03-31 02:30:00" as a wall-clock time in zone ("Europe/Paris")
 * -> RFC 3339 UTC. A text with its own offset or Z is taken as it says.
 * A time that does not exist (the spring gap) is refused; in the autumn
 * overlap the first (summer time) reading is taken. Returns -2 when the
 * zone is unknown. */
int px_conv_local_time(const char *text, const char *zone, char *out, size_t n);

/* The same with the zone already resolved (px_tz_shared), for callers that
 * convert many values in one zone: no lookup per value. Returns -2 when
 * tz is NULL and the text has no offset of its own. */
int px_conv_zoned_time(const char *text, const px_tz *tz, char *out, size_t n);

#endif
