/*
 * jsoncopy.h - JSON text written out compactly without parsing it into
 * jansson values, for the common shapes only.
 */
#ifndef PX_JSONCOPY_H
#define PX_JSONCOPY_H

#include <stddef.h>

#include "jsonout.h"

/* Appends the compact form of the JSON text s (len bytes) to out when it
 * is sure to be, byte for byte, what px_json_load_exact() then
 * px_json_append() would write: strings without escapes, numbers (kept
 * as written), true, false, null, arrays and objects without a repeated
 * key, nested at most 32 deep. Returns 0, 1 when the text is anything
 * else (out unchanged: take that path), -1 on out of memory. */
int px_json_copy(const char *s, size_t len, px_buf *out);

#endif
