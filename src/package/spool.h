/*
 * spool.h - a data file compressed while it is written.
 *
 * Records arrive on the export's thread, which also reads the source,
 * coerces and validates. Writing them out as JSON and deflating that is
 * the other half of the work, so a spool hands batches of records to a
 * worker thread that formats, hashes (SHA-256, CRC-32) and deflates them
 * into a file of raw deflate data: the two halves run on two cores, and
 * the archive later takes the bytes as they are, without a second pass.
 */
#ifndef PX_SPOOL_H
#define PX_SPOOL_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <zip.h>

#include "jsonout.h"
#include "portex/error.h"

typedef struct px_spool px_spool;
typedef struct px_zkeep px_zkeep; /* below */

/* What a closed spool holds. */
typedef struct px_spool_info {
	uint64_t size;	    /* uncompressed bytes */
	uint64_t comp_size; /* raw deflate bytes in the file */
	uint32_t crc32;
	unsigned char sha256[32];
	/* Where those bytes are: comp_size bytes at off of fd. fd is the one
	 * px_spool_open() was given, or a later spool's own file (fd_owned:
	 * the caller now close()s it), or its px_zkeep's (closed by
	 * px_zkeep_free()). -1 for a spool without a file. */
	int fd, fd_owned;
	uint64_t off;
} px_spool_info;

/* A record waiting for the worker, with what names it in an error: a
 * JSON value, or its text already written and checked (rec NULL). */
typedef struct px_spool_item {
	json_t *rec;	    /* the spool holds this reference */
	const void *origin; /* the formatter's, e.g. the source's name */
	uint64_t n;	    /* its number, e.g. within its collection */
	const char *text;   /* rec NULL: len bytes, as the formatter sees it */
	size_t off, len;    /* (off: where the spool keeps them) */
} px_spool_item;

/* Checks and turns one record into bytes appended to out, on the worker
 * thread; called with item == NULL once at the end for the file's tail.
 * Returns 0, or -1 with err set (the export then fails with it). ctx must
 * outlive the spool. */
typedef int (*px_spool_format_fn)(void *ctx, const px_spool_item *item,
				  px_buf *out, px_error *err);

/* Writes into fd (from its start; the spool writes through a duplicate,
 * fd stays the caller's, who keeps it to read the spool back); fd -1:
 * no file, what the formatter writes is dropped (a worker thread for a
 * formatter that keeps its output itself; info is then all zeros). The worker
 * starts with the first full batch; a file smaller than one batch is
 * formatted and deflated by px_spool_close() on the caller's thread (a
 * thread per small entity costs more than its work). path names the
 * file and its folder in messages: "cannot write <path>: <why>", e.g.
 * "data of score in /tmp". Deflated by package/deflate.h's engine.
 * Free with px_spool_close() (or px_spool_free() to drop it). */
px_spool *px_spool_open(int fd, const char *path, px_spool_format_fn fmt,
			void *ctx, px_error *err);

/* A spool that has no file yet: only when its worker starts (a batch
 * is full) does it make one of its own in dir (px_workfile_anon(dir,
 * what)); one closed before then, on its writer's thread, leaves its few
 * bytes after the others of keep's one file instead: a small export's
 * entities then cost no file each. Messages name "<what> in <dir>". The
 * closed spool's info says where its bytes are. keep must outlive the
 * spool and its reader, and belong to the thread that closes the spool. */
px_spool *px_spool_open_later(const char *dir, const char *what,
			      px_spool_format_fn fmt, void *ctx, px_zkeep *keep,
			      px_error *err);

/* Deflates a finished file with a stream of keep's, on this thread,
 * after the others in keep's file (made in dir): len bytes at off of fd,
 * or at data when data is not NULL. Fills info (sizes, CRC-32, SHA-256,
 * where). what names it in messages ("cannot write <what> in <dir>: ...",
 * PX_EXIT_CANTCREAT; "cannot read back <what>: ...", PX_EXIT_IOERR).
 * For the archive's own deflate stream per entry, which costs a small
 * export a fresh ~600 KB of zlib state each. Returns 0 or -1. */
int px_zkeep_deflate(px_zkeep *k, const char *dir, const char *what, int fd,
		     uint64_t off, const void *data, uint64_t len,
		     px_spool_info *info, px_error *err);

/* Queues a record; the spool takes the reference in item->rec. The
 * record must not be touched afterwards: the worker reads it. Blocks only
 * when the worker is several batches behind, which bounds memory. Errors:
 * PX_EXIT_CANTCREAT (the disk), or the formatter's, reported by a later
 * call (the worker is behind): an export fails all the same. */
int px_spool_put(px_spool *s, const px_spool_item *item, px_error *err);

/* Queues a record's text (rec NULL, origin and n as above), copied:
 * the formatter sees it as item->text. Text is handed to the worker in
 * buffers of 64 KB or more, so it only deflates and hashes. Errors as
 * px_spool_put(). */
int px_spool_put_text(px_spool *s, const void *origin, uint64_t n,
		      const char *text, size_t len, px_error *err);

/* Flushes, writes the tail, stops the worker, fills info, frees s.
 * Returns 0 or -1. */
int px_spool_close(px_spool *s, px_spool_info *info, px_error *err);

/* Stops the worker and frees s without caring for the result. */
void px_spool_free(px_spool *s);

/* What the spools that a thread writes itself share (those that never
 * start a worker, px_spool_open() says when): deflate streams, reset
 * between files so a file deflates to the same bytes
 * whichever spool wrote before it, and one work file their bytes go to
 * (px_spool_open_later(), px_zkeep_deflate()). A small export has three
 * spools per entity; a stream and a file for each cost it more than their
 * work. Use from one thread. px_zkeep_new() returns NULL on out of memory;
 * px_zkeep_free() closes the file: call it after the spools that used it
 * and after whatever reads their bytes (zip_close()). */
px_zkeep *px_zkeep_new(void);
void px_zkeep_free(px_zkeep *k);

/* An archive source reading fd with pread (several sources may share
 * one descriptor, which must stay open until zip_close()). With info: a
 * closed spool's file, whose deflate data (info's comp_size bytes at
 * off; len is not used) libzip copies as it is, without recompressing. Without:
 * len plain bytes at off, which libzip compresses as asked. libzip encrypts
 * either when asked. */
zip_source_t *px_spool_zip_source(zip_t *za, int fd, uint64_t off, uint64_t len,
				  const px_spool_info *info);

/* The same for raw deflate data in memory (info->comp_size bytes at
 * data, e.g. an embedded schema's), which must outlive zip_close(). */
zip_source_t *px_zip_source_deflated(zip_t *za, const void *data,
				     const px_spool_info *info);

/* A closed spool's text, inflated as it is read from fd at off with pread
 * (for index.html; fd stays the caller's and open while this is). Close
 * with fclose(). NULL with errno set on failure. */
FILE *px_spool_read(int fd, uint64_t off);

#endif
