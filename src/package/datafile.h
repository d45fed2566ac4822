/*
 * datafile.h - reads back a data/<entity>.json the packager wrote, one
 * record at a time, for what is made from it afterwards (CSV, HTML pages,
 * index.html's tables). Memory holds one line, whatever the file's size.
 *
 * The layout (one JSON document, one record per line):
 *   line 1: {"entity":"score","schema":"schemas/score.schema.json","records":[
 *   then one compact JSON record per line, all but the last ending in ","
 *   last line: ]}
 */
#ifndef PX_DATAFILE_H
#define PX_DATAFILE_H

#include <stddef.h>
#include <stdint.h>

#include "jsonscan.h"
#include "portex/error.h"

typedef struct px_datafile px_datafile;

/* Opens data/<entity>.json, which should hold `records` records: fd
 * holds it as raw deflate data at off when deflated (spool.h; fd stays
 * the caller's and open while the reader is), else path is a plain file. path
 * names it in messages. entity and path must outlive the reader. Errors:
 * PX_EXIT_IOERR (cannot read), PX_EXIT_SOFTWARE (not the layout above). Close
 * with px_datafile_close(). */
px_datafile *px_datafile_open(const char *entity, const char *path, int fd,
			      uint64_t off, int deflated, unsigned long records,
			      px_error *err);

/* The next record's text: the members of its object without the braces,
 * borrowed until the next call, split into f (px_jfields_scan(), which
 * refuses what is not compact JSON as the packager writes it; values are
 * not parsed). Returns 1, 0 at the end of the file once the count
 * matched, or -1 with err set ("data/score.json (PATH): line N: ..."). */
int px_datafile_next(px_datafile *d, const char **text, size_t *len,
		     px_jfields *f, px_error *err);

/* Counts the remaining records without parsing them and checks the file
 * ends as it should with the expected count. Returns 0 or -1. */
int px_datafile_skip_rest(px_datafile *d, px_error *err);

/* Records returned or skipped so far. */
unsigned long px_datafile_count(const px_datafile *d);

/* 1 when an escape in text (compact JSON) is \u0000, which readers of
 * the data files refuse (a backslash only ever starts an escape of two
 * bytes or more). */
int px_datafile_holds_nul(const char *text, size_t n);

/* NULL is fine. */
void px_datafile_close(px_datafile *d);

#endif
