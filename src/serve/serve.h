/*
 * serve.h - `portex serve`: the HTTP service a learner portal calls to
 * have a subject's data exported and handed to the learner as a signed,
 * expiring link. Internals shared by the files of src/serve/:
 *
 *   serve.c        start, resume waiting requests, purge timer, SIGTERM
 *   http.c         libmicrohttpd, routes, body limit, JSON answers
 *   exports.c      POST /v1/exports, GET /v1/exports/{id}
 *   complete.c     a job's end: metrics, log, audit
 *   outbox.c       the webhooks owed, read from the ledger
 *   download.c     GET /v1/exports/{id}/package (Range, ETag)
 *   ratelimit.c    one request per subject per interval
 *   auth.c, link.c, metrics.c, accesslog.c, webhook.c
 *
 * Exports go through the ledger's job queue (queue/queue.h, batch
 * "portal"), worked by a pool of in-process workers (queue/pool.h) and by
 * any `portex worker` on the same ledger: a queued request survives a
 * restart and any of them may export it.
 *
 * Threads: libmicrohttpd's pool answers requests; the pool's workers run
 * exports, each on its own ledger connection; the webhook has its own.
 * serve's ledger handle is one connection, so every use of it holds
 * ledger_mu.
 */
#ifndef PX_SERVE_H
#define PX_SERVE_H

#include <pthread.h>
#include <stdint.h>

#include "portex/config.h"
#include "portex/error.h"
#include "portex/ledger.h"
#include "queue/pool.h"
#include "queue/queue.h"
#include "serve/metrics.h"
#include "serve/serve_config.h"
#include "serve/webhook.h"

/* Runs the service until SIGTERM/SIGINT; then stops accepting, drains the
 * requests in flight, stops the exports (their requests are taken up
 * again by the next start) and returns 0. Fails (-1, err) only when it
 * cannot start: config, ledger, address in use, TLS files. */
int px_serve_run(const px_config *cfg, const char *listen, px_error *err);

#define PX_SERVE_CHANNEL  "portal"
#define PX_SERVE_ACTOR	  "portal"
#define PX_SERVE_BATCH	  PX_QUEUE_BATCH_PORTAL /* serve's jobs */
#define PX_SERVE_MAX_BODY (64 * 1024)

typedef struct px_serve {
	const px_config *cfg;
	px_serve_config sc;
	px_ledger *ledger;
	pthread_mutex_t ledger_mu;
	px_pool *pool;
	/* Resolves a POST's subject before anything is recorded: one
	 * exporter (its own source connections), one caller at a time. */
	px_exporter *resolver;
	pthread_mutex_t resolve_mu;
	px_metrics *metrics;
	px_webhook *webhook;
	char *tls_key_pem, *tls_cert_pem; /* alive while listening */
	volatile int draining;		  /* SIGTERM seen: /healthz says so */
} px_serve;

/* exports.c */
struct px_call;
int px_api_create(px_serve *s, struct px_call *c);
int px_api_status(px_serve *s, struct px_call *c);
/* The package's place for request id: a malloc'd absolute path. */
char *px_serve_package_path(const px_serve *s, long id);
/* Queues request req's export in the ledger (a request queued already
 * gets no second job). Call with ledger_mu held. 0, or -1 with err. */
int px_serve_enqueue(px_serve *s, const json_t *req, px_error *err);
/* serve's jobs waiting and running, now (ledger_mu held). 0 or -1. */
int px_serve_counts(px_serve *s, long *queued, long *running, px_error *err);
/* The export view of a request (what GET /v1/exports/{id} answers): a new
 * reference, or NULL on out of memory. Call without ledger_mu. */
json_t *px_serve_view(px_serve *s, const json_t *req, int64_t now);
/* outbox.c: queues the webhooks the ledger says are owed (any process's
 * exports); called now and then. Call without ledger_mu. */
void px_serve_outbox_scan(px_serve *s);
/* The webhook's end of a delivery (px_webhook_done_fn; ctx: px_serve):
 * recorded in the request's audit trail. */
void px_serve_webhook_done(void *ctx, long id, int delivered, long status,
			   long attempts);
/* complete.c: the pool's completion hook (ctx is the px_serve). */
void px_serve_job_done(void *ctx, const px_job *j, const px_job_end *e);
/* Logs a ledger failure for the operator. */
void px_serve_log_ledger_error(const px_error *err);

/* Loads request c->id for an answer about it: 0 with *req (new
 * reference), or 1 when answered already (404 for an unknown id or one
 * that is not the portal's, 503/500 when the ledger fails). */
int px_serve_load(px_serve *s, struct px_call *c, json_t **req);
/* The same for a request reached through a signed link (linked 1): any
 * channel's, since the officer may have mailed the link. */
int px_serve_load_linked(px_serve *s, struct px_call *c, json_t **req,
			 int linked);
/* Answers a ledger failure: 503 + Retry-After when it is busy or
 * unreachable, else 500; the message goes to the log only. */
int px_serve_ledger_problem(struct px_call *c, const px_error *err);

/* download.c */
int px_api_package(px_serve *s, struct px_call *c);
/* When the package of req may be downloaded until (Unix seconds), from
 * when it was written; -1 when it is not there. */
int64_t px_serve_package_expiry(const px_serve *s, const json_t *req);

/* ratelimit.c: seconds until the subject may ask again (0: now), and the
 * request that holds it up (*recent, new reference) when not 0. Call
 * with ledger_mu held. */
int px_ratelimit_check(px_serve *s, const json_t *subject, int64_t now,
		       long *retry_after, json_t **recent, px_error *err);

/* Unix seconds of an RFC 3339 UTC time "YYYY-MM-DDTHH:MM:SSZ"; -1. */
int64_t px_serve_epoch(const char *rfc3339);

#endif
