/*
 * jobs.h - the exports serve has taken on and not finished: a bounded
 * queue and a pool of in-process export threads, each with its own
 * exporter (px_exporter_new: set up once, many subjects). The ledger, not this
 * queue, is what survives a restart: serve re-submits the portal's
 * requests still waiting (serve.c), so nothing here is persisted.
 *
 * Kept behind this small interface so that the bulk issue's queue (a
 * PostgreSQL queue worked by `portex worker`) can replace it.
 */
#ifndef PX_SERVE_JOBS_H
#define PX_SERVE_JOBS_H

#include <jansson.h>

#include "portex/config.h"
#include "portex/error.h"
#include "portex/export.h"

typedef struct px_jobs px_jobs;

typedef struct px_jobs_outcome {
	int code;		     /* 0 ok, else the export's exit code */
	int interrupted;	     /* stopped by SIGTERM: nothing written */
	const char *message;	     /* px_error text when code != 0 */
	const px_export_result *res; /* when code == 0 */
	double seconds;
} px_jobs_outcome;

/* Called on a worker thread once an export ends (any outcome); out_path
 * holds the package when o->code is 0. */
typedef void (*px_jobs_done_fn)(void *ctx, long id, const char *out_path,
				const px_jobs_outcome *o);

/* Starts `workers` threads over a queue of at most `bound` waiting
 * exports, after setting up one exporter each (a signing key that does
 * not load fails here). cfg is borrowed and must outlive px_jobs_stop().
 * Returns a pool to stop with px_jobs_stop(), or NULL with err. */
px_jobs *px_jobs_start(const px_config *cfg, long workers, long bound,
		       px_jobs_done_fn done, void *ctx, px_error *err);

enum px_submit {
	PX_SUBMIT_QUEUED,
	PX_SUBMIT_FULL,	    /* bound reached: try later */
	PX_SUBMIT_PRESENT,  /* this id is already waiting or running */
	PX_SUBMIT_STOPPING, /* shutting down: not taken */
	PX_SUBMIT_NOMEM,
};

/* Queues the export of request `id` (subject copied) to out_path; until
 * ("YYYY-MM-DD" or NULL) is written into the package as the date it can be
 * downloaded until. */
enum px_submit px_jobs_submit(px_jobs *j, long id, const json_t *subject,
			      px_scope scope, const char *out_path,
			      const char *until);

enum px_jobs_state { PX_JOBS_NONE, PX_JOBS_QUEUED, PX_JOBS_RUNNING };
enum px_jobs_state px_jobs_state(px_jobs *j, long id);

/* Waiting and running exports, now. Either pointer may be NULL. */
void px_jobs_counts(px_jobs *j, long *queued, long *running);
/* 1 when one more submit would be taken. */
int px_jobs_has_room(px_jobs *j);

/* Takes no more jobs, drops the waiting ones (their requests stay in the
 * ledger for the next start), waits for running exports to end (the
 * process's interrupt flag, raised by SIGTERM, makes them stop early and
 * write nothing), joins the threads and frees the pool. NULL is a no-op. */
void px_jobs_stop(px_jobs *j);

#endif
