/* range.h - reading a Range header, for resumable downloads. */
#ifndef PX_SERVE_RANGE_H
#define PX_SERVE_RANGE_H

#include <stdint.h>

/* h: the header's value (may be NULL); size: the file's. "bytes=A-B",
 * "bytes=A-" or "bytes=-N" (the last N bytes), one range only.
 * Returns 0 with [*from, *to] (inclusive, clamped to the file); 1 when
 * there is no usable Range (absent, several ranges, another unit,
 * malformed): the whole file is sent, as RFC 9110 allows; -1 when the
 * range lies outside the file (416). */
int px_http_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to);

#endif
