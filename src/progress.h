/*
 * progress.h - the progress display of an export on a terminal: per
 * source and collection, the records read so far, the rate and the time
 * elapsed, redrawn in place on one line (at most ten times a second),
 * then one line per collection read. An exporter uses it on stderr when
 * px_export_opts.progress is set and stderr is a terminal.
 */
#ifndef PX_PROGRESS_H
#define PX_PROGRESS_H

#include <stdio.h>

#include "portex/export.h"

typedef struct px_progress px_progress;

/* A display writing to out (borrowed), or NULL on out of memory. Free
 * with px_progress_free(). */
px_progress *px_progress_new(FILE *out);
void px_progress_free(px_progress *p);

/* px_export_opts.on_step, with ctx a px_progress. */
void px_progress_step(void *ctx, const px_export_step *step);

#endif
