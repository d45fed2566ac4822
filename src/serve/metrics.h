/*
 * metrics.h - what /metrics reports, in Prometheus' text format: requests
 * by status, queue depth, exports by outcome and their duration. All
 * functions are safe to call from any thread.
 */
#ifndef PX_SERVE_METRICS_H
#define PX_SERVE_METRICS_H

#include "jsonout.h"

typedef struct px_metrics px_metrics;

/* NULL on out of memory; free with px_metrics_free(). */
px_metrics *px_metrics_new(void);
void px_metrics_free(px_metrics *m);

/* One HTTP answer with this status. */
void px_metrics_request(px_metrics *m, unsigned status);
/* One finished export: outcome "ok", "failed", "interrupted" or "retry"
 * (a transient failure, tried again after a backoff). */
void px_metrics_export(px_metrics *m, const char *outcome, double seconds);

/* Appends the exposition text to out (queue_depth and running are read by
 * the caller at the moment of the scrape). 0, or -1 on out of memory. */
int px_metrics_render(px_metrics *m, long queue_depth, long running,
		      px_buf *out);

#endif
