/*
 * views.h - what is made from an entity's records for people rather than
 * programs: csv/<entity>.csv (every record, for a spreadsheet) and, for an
 * entity too long for index.html, html/<entity>-NNNN.html pages so that
 * every record can be read in a browser.
 *
 * Both are made while the records pass, from the text the data file gets
 * (no JSON object per record, no second read of the data file): a view
 * takes each record's text on the thread that writes the data file and
 * hands it to a thread of its own, which writes the CSV line, adds the
 * record to its page, and deflates both. Memory holds at most one page of
 * records and a few batches of text, whatever the entity's length.
 *
 * Because a page is written before the entity's end is known, a page
 * says which records it holds and links to the next one only when there
 * is one; index.html, written at the end, lists every page.
 */
#ifndef PX_VIEWS_H
#define PX_VIEWS_H

#include <stddef.h>
#include <stdint.h>

#include "html/i18n.h"
#include "package/spool.h"
#include "portex/error.h"
#include "portex/schema.h"
#include "tz.h"

typedef struct px_views px_views;

typedef struct px_views_opts {
	const char *entity;
	const px_schemas *schemas; /* the entity's columns */
	px_lang lang;
	const char *controller; /* for the pages' titles; may be NULL */
	const px_tz *tz;	/* the pages' dates' zone; NULL: UTC */
	const char *tmpdir;	/* where the nameless work files go */
	px_zkeep *zkeep;	/* streams and a file for the small files
				 * this thread writes itself (spool.h) */
} px_views_opts;

/* Starts the views of one entity. Everything o points to must outlive
 * the views; nothing is copied. Errors: PX_EXIT_CANTCREAT (the work
 * files), PX_EXIT_SOFTWARE (no schema for the entity). Free with
 * px_views_free(), also after px_views_finish(). */
px_views *px_views_open(const px_views_opts *o, px_error *err);

/* One record: its members without the braces, compact, as the data file
 * holds it (copied). Always from one thread at a time; px_views_finish()
 * must come after the last call (a join or a lock in between). Errors:
 * PX_EXIT_SOFTWARE (text not in the data files' form, a field with no
 * column), PX_EXIT_CANTCREAT, reported by this or a later call. */
int px_views_put(px_views *v, const char *text, size_t len, px_error *err);

/* Called for each file made, CSV first then the pages in order: its name
 * inside the package ("csv/x.csv", not kept), the descriptor holding it as
 * raw deflate data (the views' own: open until px_views_free()), where it
 * starts there, its sizes, CRC and SHA-256. Returns 0, or -1 with err
 * set. */
typedef int (*px_views_add_fn)(void *ctx, const char *name, int fd,
			       uint64_t off, const px_spool_info *info,
			       const char *media_type, px_error *err);

/* Writes the last page, ends the CSV, and calls add for each file.
 * Returns 0 or -1 with err set (the first error of any put, or one of
 * its own). */
int px_views_finish(px_views *v, px_views_add_fn add, void *ctx, px_error *err);

/* Stops the views' thread and closes their files. NULL is fine. */
void px_views_free(px_views *v);

#endif
