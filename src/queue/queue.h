/*
 * queue.h - a job queue kept in the request ledger (SQLite or PostgreSQL),
 * one job per subject to export, for `portex bulk --enqueue`, `portex
 * worker` and `portex serve`.
 *
 * Semantics are those of PostgreSQL-backed job systems (river, Oban,
 * graphile-worker): at-least-once execution, idempotent effects, leases.
 *   enqueue   a job row (and, when asked, a ledger request with its legal
 *             deadline, made ready), all in one transaction. A job's
 *             package path is unique: enqueueing the same subject for the
 *             same out-dir twice adds nothing.
 *   claim     the oldest job that is queued and due, or running with an
 *             expired lease (its worker died: taken over); on PostgreSQL
 *             with SELECT ... FOR UPDATE SKIP LOCKED, so workers never
 *             wait on each other. The claimer holds a lease (owner, expiry)
 *             and counts one attempt.
 *   renew     pushes the lease of every job an owner runs further out;
 *             a pool does it from a heartbeat thread.
 *   finish    job done + ledger request "exported" + audit entry, in one
 *             transaction, only while the lease is still the caller's: a
 *             job that ran twice is recorded done once.
 *   fail      a transient failure (69 source unavailable, 74 I/O, 70) goes
 *             back to the queue after a backoff (2^attempts seconds,
 *             capped); after max_attempts it is dead. Bad data (65), no
 *             such subject (67), config (78), cannot write (73) fail at
 *             once: retrying would not help.
 *   release   back to queued without counting the attempt (SIGTERM).
 *
 * Time is Unix seconds from the caller's clock (px_queue_now()), so tests
 * can move it; workers on several machines need their clocks in sync
 * (NTP) to within a small part of the lease.
 */
#ifndef PX_QUEUE_H
#define PX_QUEUE_H

#include <jansson.h>
#include <stdint.h>

#include "portex/error.h"
#include "portex/ledger.h"

typedef enum px_job_state {
	PX_JOB_QUEUED,	/* waiting (also after a transient failure) */
	PX_JOB_RUNNING, /* claimed, under a lease */
	PX_JOB_DONE,	/* package written and recorded */
	PX_JOB_FAILED,	/* failed for good (bad data, not found, config) */
	PX_JOB_DEAD,	/* transient failures max_attempts times */
} px_job_state;

/* "queued", "running", "done", "failed", "dead". Static. */
const char *px_job_state_name(px_job_state s);

/* The batch of `portex serve`'s jobs. Their folder is the one serve
 * downloads from, and the ledger is their only record: the pool writes no
 * index.ndjson there (its lines carry identity keys). */
#define PX_QUEUE_BATCH_PORTAL "portal"

#define PX_QUEUE_MAX_ATTEMPTS 5
#define PX_QUEUE_LEASE	      60 /* seconds */

/* What to enqueue. Everything is borrowed for the call. */
typedef struct px_job_spec {
	const char *batch;     /* free label: "cohort:2026-ended", or NULL */
	const json_t *subject; /* identity keys */
	const char *package;   /* absolute path of the .zip to write */
	const char *scope;     /* "portability" (NULL) or "access" */
	const char *retrievable_until; /* "YYYY-MM-DD" or NULL */
	int max_attempts;	       /* 0: PX_QUEUE_MAX_ATTEMPTS */
	/* Also record a ledger request for it (type = scope, requester =
	 * the controller, channel "web", received today, identity not in
	 * doubt: ready); its id goes into the job. */
	int with_request;
	/* Or attach a request recorded already (its channel, requester and
	 * identity check are the caller's, e.g. serve's "portal" ones):
	 * with_request is then ignored. 0: none. */
	long request_id;
	const char *calendar; /* for the request's deadline; NULL: FR */
	const char *actor;    /* audit actor; NULL: "portex" */
} px_job_spec;

/* A claimed job. Owned by the caller: px_job_free(). */
typedef struct px_job {
	long id;
	char *batch;		 /* "" when none */
	json_t *subject;	 /* identity keys */
	char *package;		 /* absolute path */
	char *scope;		 /* "portability" or "access" */
	char *retrievable_until; /* NULL when none */
	long request_id;	 /* 0 when none */
	int attempts;		 /* this claim included */
	int max_attempts;
	char *last_error; /* of the previous attempt, or NULL */
	px_job_state state;
	int last_code; /* exit code of the last failure, 0; lookups only */
} px_job;

void px_job_free(px_job *j);

/* Unix seconds now. Tests set PORTEX_QUEUE_NOW to move the clock. */
int64_t px_queue_now(void);

/* Adds a job. *job_id (may be NULL) is its id; *created is 1 when added,
 * 0 when a job for that package was already there (nothing changed).
 * Returns 0 or -1. */
int px_queue_enqueue(px_ledger *l, const px_job_spec *spec, long *job_id,
		     int *created, px_error *err);

/* Claims one job for owner ("host:pid", at most 200 bytes) with a lease
 * of lease_s seconds from now. Returns 1 with *out set, 0 when no job is
 * ready (queue empty, or only future retries and live leases), -1. */
int px_queue_claim(px_ledger *l, const char *owner, int lease_s, int64_t now,
		   px_job **out, px_error *err);

/* At most this many batches in one claim's filter. */
#define PX_QUEUE_MAX_BATCHES 16

/* As px_queue_claim(), but only jobs whose batch is one of the n names
 * in batches (n 0: any batch; "" names the jobs queued without one). */
int px_queue_claim_in(px_ledger *l, const char *owner, int lease_s, int64_t now,
		      const char *const *batches, size_t n, px_job **out,
		      px_error *err);

/* Extends to now + lease_s the lease of every job owner runs. *renewed
 * (may be NULL): how many. Returns 0 or -1. */
int px_queue_renew(px_ledger *l, const char *owner, int lease_s, int64_t now,
		   int *renewed, px_error *err);

/* What a finished export produced. */
typedef struct px_job_outcome {
	const char *sha256;	/* hex, of the package file */
	uint64_t size;		/* bytes */
	uint64_t records;	/* all entities */
	const json_t *entities; /* {"entity": records} or NULL */
	int adopted; /* 1: the package was there already and verifies */
} px_job_outcome;

/* Marks the job done, the ledger request exported (package path and
 * SHA-256) and appends the audit entries, in one transaction. Returns 0,
 * 1 when the lease is no longer owner's (another worker took the job
 * over: nothing recorded), or -1. */
int px_queue_finish(px_ledger *l, const px_job *j, const char *owner,
		    const px_job_outcome *out, px_error *err);

/* Records a failed attempt: code (an exit code) and message. A transient
 * code with attempts left requeues the job after a backoff; otherwise
 * the job ends failed (or dead when attempts ran out). *final_state (may
 * be NULL) gets the state written. Returns 0, 1 when the lease was lost,
 * or -1. */
int px_queue_fail(px_ledger *l, const px_job *j, const char *owner, int code,
		  const char *message, int64_t now, px_job_state *final_state,
		  px_error *err);

/* Gives the job back (queued, due now), its attempt not counted. */
int px_queue_release(px_ledger *l, const px_job *j, const char *owner,
		     px_error *err);

/* 1 for exit codes worth retrying (69, 74, 70, 75), else 0. */
int px_queue_transient(int code);

/* Seconds to wait before attempt n+1 after n failed: 2^n, at most 300. */
int px_queue_backoff(int attempts);

/* The newest job attached to ledger request request_id. Returns 1 with
 * *out set (px_job_free(); last_code filled), 0 when it has none, -1. */
int px_queue_get_by_request(px_ledger *l, long request_id, px_job **out,
			    px_error *err);

/* Jobs per state, optionally of one batch (NULL: all):
 * {"queued": n, "running": n, "done": n, "failed": n, "dead": n}.
 * *out: new reference. */
int px_queue_counts(px_ledger *l, const char *batch, json_t **out,
		    px_error *err);

/* Every job (optionally of one batch) as objects {id, batch, subject,
 * package, state, attempts, max_attempts, last_error, request,
 * retrievable_until, result}, by id. *out: new reference. */
int px_queue_list(px_ledger *l, const char *batch, json_t **out, px_error *err);

#endif
