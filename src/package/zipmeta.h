/* zipmeta.h - mode and time of a package's entries (reproducible). */
#ifndef PX_ZIPMETA_H
#define PX_ZIPMETA_H

#include <stdint.h>
#include <zip.h>

#include "portex/error.h"

/* Marks every entry of za (not yet closed) a regular file of mode 0644
 * and stamps it with `when` (seconds since the epoch, written in UTC;
 * before 1980 becomes 1980-01-01). Returns 0, or -1 with err set. */
int px_zip_set_entry_meta(zip_t *za, int64_t when, px_error *err);

#endif
