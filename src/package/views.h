/*
 * views.h - what is made from a data file once it is complete, for people
 * rather than programs: csv/<entity>.csv (every record, for a spreadsheet)
 * and, for an entity too long for index.html, html/<entity>-NNNN.html
 * pages so that every record can be read in a browser. One read of the
 * data file for both, from the records' text (no JSON object per record);
 * memory holds at most one page of records.
 */
#ifndef PX_VIEWS_H
#define PX_VIEWS_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "html/i18n.h"
#include "portex/error.h"
#include "portex/schema.h"
#include "tz.h"

/* Called for each file written, once they all are, CSV first then the
 * pages in order: name inside the package ("csv/x.csv", not kept), which
 * file holds it (csv: o->csv_out when it is not o->out, else o->out), where it
 * lies there and its SHA-256. Returns 0, or -1 with err set. */
typedef int (*px_views_add_fn)(void *ctx, const char *name, int csv,
			       uint64_t off, uint64_t size,
			       const unsigned char sha256[32],
			       const char *media_type, px_error *err);

typedef struct px_views_opts {
	const char *entity;
	const char *data_name; /* names the data file in messages */
	int data_fd;	       /* data/<entity>.json as raw deflate data */
	unsigned long records;
	const px_schemas *schemas;
	px_lang lang;
	const char *controller; /* for the pages' titles; may be NULL */
	const px_tz *tz;	/* the pages' dates' zone; NULL: UTC */
	FILE *out;     /* every page, one after the other (a nameless file:
			* thousands of pages must not take a descriptor each);
			* its fd is read back with pread to hash each file */
	FILE *csv_out; /* the CSV, after the previous ones, the same way;
			* out itself for an entity without pages (their
			* lines would be mixed with the pages' otherwise) */
} px_views_opts;

/* Writes the CSV and any pages of one entity at the end of o->out,
 * calling add for each. Errors: PX_EXIT_CANTCREAT (writing),
 * PX_EXIT_IOERR, PX_EXIT_SOFTWARE (a data file not as the packager writes
 * it). */
int px_views_write(const px_views_opts *o, px_views_add_fn add, void *ctx,
		   px_error *err);

#endif
