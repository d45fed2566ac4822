/*
 * deflate.h - one ZIP entry's raw deflate stream, and its CRC-32.
 *
 * Every entry portex deflates goes through ISA-L's igzip at its level 1.
 * On a 1M-answer package it took a tenth of zlib's level-6 time for
 * data/ (24 % larger) and a quarter of zlib's level-2 time for the views
 * (3 % larger); the export went from 5.7 to 4.2 s on two cores
 * (bench/README.md). zlib stays for reading spools back (spool.h).
 */
#ifndef PX_DEFLATE_H
#define PX_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

typedef struct px_deflater px_deflater;

/* Receives n bytes of deflate output; returns 0 or an errno, which stops
 * the stream and is returned by px_deflater_put(). */
typedef int (*px_deflate_sink)(void *ctx, const unsigned char *p, size_t n);

/* A stream. size_hint: the whole input's size when the caller knows it
 * (0: unknown), so that a small file gets an output buffer its size.
 * NULL when out of memory. Free with px_deflater_free(). */
px_deflater *px_deflater_new(size_t size_hint);

/* Ready for another entry, counts at zero: the same input deflates to
 * the same bytes as in a new stream. */
void px_deflater_reset(px_deflater *d);

/* Counts, CRCs and deflates n bytes at p (finish: the entry's last, and
 * the stream ends), handing each piece of output to out. Returns 0, out's
 * errno, or EIO when the engine fails. */
int px_deflater_put(px_deflater *d, const void *p, size_t n, int finish,
		    px_deflate_sink out, void *ctx);

uint32_t px_deflater_crc32(const px_deflater *d);     /* of the input so far */
uint64_t px_deflater_comp_size(const px_deflater *d); /* output so far */

void px_deflater_free(px_deflater *d);

/* CRC-32 (ZIP's, zlib's crc32()) of n bytes after crc (0 to start). */
uint32_t px_crc32(uint32_t crc, const void *p, size_t n);

#endif
