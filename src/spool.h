/*
 * spool.h - a data file compressed while it is written.
 *
 * Records arrive on the export's thread; deflating them is the single
 * largest cost of an export. A spool hands full buffers to a worker thread
 * that hashes (SHA-256, CRC-32) and deflates them into a file of raw
 * deflate data, so compression runs beside the fetch on another core and
 * the archive later takes the bytes as they are, without a second pass.
 */
#ifndef PX_SPOOL_H
#define PX_SPOOL_H

#include <stdint.h>
#include <stdio.h>
#include <zip.h>

#include "portex/error.h"

typedef struct px_spool px_spool;

/* What a closed spool holds. */
typedef struct px_spool_info {
	uint64_t size;      /* uncompressed bytes */
	uint64_t comp_size; /* raw deflate bytes in the file */
	uint32_t crc32;
	unsigned char sha256[32];
} px_spool_info;

/* Creates path and starts its worker. level: zlib 1..9. Free with
 * px_spool_close() (or px_spool_free() to drop it). */
px_spool *px_spool_open(const char *path, int level, px_error *err);

/* Appends bytes. Blocks only when the worker is several buffers behind,
 * which bounds memory. Errors: PX_EXIT_CANTCREAT (the disk). */
int px_spool_write(px_spool *s, const void *p, size_t n, px_error *err);

/* Flushes, stops the worker, fills info, frees s. Returns 0 or -1. */
int px_spool_close(px_spool *s, px_spool_info *info, px_error *err);

/* Stops the worker and frees s without caring for the result. */
void px_spool_free(px_spool *s);

/* An archive source for a closed spool file: libzip copies the deflate
 * data as it is (no recompression) and encrypts it when asked. */
zip_source_t *px_spool_zip_source(zip_t *za, const char *path,
				  const px_spool_info *info);

/* The spool's text, inflated as it is read (for index.html). Close with
 * fclose(). NULL with errno set on failure. */
FILE *px_spool_read(const char *path);

#endif
