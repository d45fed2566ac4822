/*
 * pool.h - in-process workers that export jobs: N threads, each with its
 * own exporter (schemas, signer, one connection per source) and, in
 * ledger mode, its own ledger connection. Used by `portex bulk`, `portex
 * worker` and `portex serve`.
 *
 * Jobs come from
 *   - a list given up front (bulk without --enqueue): nothing is stored
 *     but the packages and D/index.ndjson; transient failures are retried
 *     in place after a backoff;
 *   - the ledger's queue (queue.h): workers claim with a lease that a
 *     heartbeat thread renews every lease/3; failures go back to the
 *     queue with a backoff, or end failed or dead.
 * For each job, under the subject's lock in its out-dir: a package that
 * is already there and verifies is adopted (not exported again); else the
 * subject is exported; then the outcome is recorded (ledger, then one
 * index.ndjson line). One failing subject never stops the others.
 *
 * Once a stop is requested (px_pool_stop(), or a signal:
 * px_stop_requested()) no job is started any more; the jobs in flight are
 * finished, published and recorded, then the workers return. When the
 * exports in flight are interrupted (px_interrupted(): a signal outside
 * drain mode, or the second one in it) they stop through their error
 * path (their working files vanish, no package appears), a claimed job is
 * released to the queue unrecorded, and the workers return.
 */
#ifndef PX_POOL_H
#define PX_POOL_H

#include <stdint.h>

#include "portex/export.h"
#include "queue/queue.h"

typedef struct px_pool px_pool;

/* How a job's run ended, as recorded (px_pool_opts.on_done). */
typedef struct px_job_end {
	/* As written: DONE, FAILED, DEAD, or QUEUED (a transient failure
	 * to retry after a backoff, or released: stopped by a signal). */
	px_job_state state;
	int released;		   /* stopped by SIGTERM: nothing written */
	int code;		   /* exit code of the failure, 0 when DONE */
	const char *message;	   /* the failure's text, NULL when DONE */
	const px_job_outcome *out; /* DONE: what was written */
	double seconds;		   /* this run, wall clock */
} px_job_end;

typedef struct px_pool_opts {
	/* The exporter of every worker is made from this (config, scope,
	 * signing, password, no progress): see px_exporter_new(). */
	const px_export_opts *export;
	int jobs; /* worker threads; 0: 1 */

	/* Ledger mode when ledger_uri is set ("" = the config's "ledger"). */
	const char *ledger_uri;
	int lease_s; /* 0: PX_QUEUE_LEASE */
	/* Return when no job is left to run (every job done, failed or
	 * dead); else wait for more until px_pool_stop(). */
	int once;
	int poll_ms; /* idle wait between claims; 0: 1000 */
	/* Ledger mode: claim only jobs of these batches (serve: its own
	 * "portal" ones); n_batches 0: any. Borrowed for the pool's life;
	 * at most PX_QUEUE_MAX_BATCHES. */
	const char *const *batches;
	size_t n_batches;

	/* List mode: the jobs (the pool takes them and frees them). */
	px_job **list;
	size_t n_list;
	int max_attempts; /* list mode; 0: PX_QUEUE_MAX_ATTEMPTS */
	/* The out-dir's index as read before the run ({id: line}), or
	 * NULL: a package adopted whose "ok" line is there already gets no
	 * second one. Borrowed; read-only while the pool runs. */
	const json_t *index;

	/* Called on the worker's thread after the outcome is recorded
	 * (ledger, index), for every job that ran (not when the lease was
	 * lost to another worker). j and e are borrowed for the call. */
	void (*on_done)(void *ctx, const px_job *j, const px_job_end *e);
	/* Called on the worker's thread when a ledger write about j failed
	 * with e: attempt n (from 1) is tried again in ms milliseconds; n 0:
	 * it failed for good, the job is left to its lease (the pool goes
	 * on). NULL: nothing said. */
	void (*on_ledger_retry)(void *ctx, const px_job *j, int n, long ms,
				const px_error *e);
	void *on_done_ctx; /* both hooks' ctx */
} px_pool_opts;

typedef struct px_pool_stats {
	uint64_t total;	  /* list mode: jobs given; ledger mode: 0 */
	uint64_t ok;	  /* exported now */
	uint64_t skipped; /* already there and verifying */
	uint64_t failed;  /* failed for good (or dead) */
	uint64_t retried; /* transient failures retried */
	uint64_t records; /* records in packages exported now */
	uint64_t lost;	  /* ledger mode: finished after losing the lease */
} px_pool_stats;

/* Starts the workers. Returns the pool, or NULL with err set (a worker
 * that cannot set up, e.g. no signing key, fails the start). */
px_pool *px_pool_start(const px_pool_opts *opts, px_error *err);

/* A snapshot of the counters; callable from any thread. */
void px_pool_stats_get(px_pool *p, px_pool_stats *out);

/* The workers that have not returned yet. */
int px_pool_live(px_pool *p);

/* Wakes idle workers (a job was just enqueued). */
void px_pool_wake(px_pool *p);

/* Asks the workers to return after their current job. */
void px_pool_stop(px_pool *p);

/* Waits for every worker to return and frees the pool. Returns 0, or -1
 * with err set to the first error that stopped a worker (a ledger that
 * cannot be reached); a job's own failure is not one. */
int px_pool_wait(px_pool *p, px_pool_stats *out, px_error *err);

/* The index.ndjson line for a job's outcome: new reference. code 0 with
 * out set is success. */
json_t *px_pool_index_entry(const px_job *j, const char *status,
			    const px_job_outcome *out, int code,
			    const char *error);

#endif
