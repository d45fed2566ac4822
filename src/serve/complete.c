/*
 * complete.c - what serve does when a job of the queue ends (the pool's
 * completion hook): the queue has recorded the outcome in the ledger
 * already (request exported, or the job failed); serve counts it, logs it,
 * keeps the failure in the audit trail. The portal's webhook is not sent
 * from here: outbox.c reads what is owed from the ledger, so a package a
 * `portex worker` exported is announced too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/accesslog.h"
#include "serve/serve.h"

struct failed {
	int code;
	const char *message;
};

/* Nothing changes but the trail: the officer sees why in `request show`. */
static int failed_fn(void *ctx, json_t *req, json_t *details, px_error *err)
{
	struct failed *f = ctx;

	(void)req;
	(void)err;
	json_object_set_new(details, "exit", json_integer(f->code));
	json_object_set_new(details, "error", json_string(f->message));
	return 0;
}

static void log_job(const char *level, const char *event, const px_job *j,
		    const px_job_end *e)
{
	json_t *f =
	    json_pack("{s:I, s:I, s:f}", "id", (json_int_t)j->request_id, "job",
		      (json_int_t)j->id, "seconds", e->seconds);

	if (e->code)
		json_object_set_new(f, "exit", json_integer(e->code));
	else if (e->out)
		json_object_set_new(f, "bytes",
				    json_integer((json_int_t)e->out->size));
	px_log_event(level, event, f);
	json_decref(f);
}

static void record_failure(px_serve *s, const px_job *j, const px_job_end *e)
{
	px_error err = PX_ERROR_INIT;
	struct failed f = {e->code, e->message ? e->message : ""};

	pthread_mutex_lock(&s->ledger_mu);
	if (px_ledger_change(s->ledger, j->request_id, "request.export-failed",
			     PX_SERVE_ACTOR, failed_fn, &f, NULL, &err))
		px_serve_log_ledger_error(&err);
	pthread_mutex_unlock(&s->ledger_mu);
}

void px_serve_job_done(void *ctx, const px_job *j, const px_job_end *e)
{
	px_serve *s = ctx;

	/* serve's workers claim only its own batch. */
	if (!j->request_id)
		return;
	if (e->state == PX_JOB_DONE) {
		px_metrics_export(s->metrics, "ok", e->seconds);
		log_job("info", "export.done", j, e);
		/* The webhook is owed from the ledger (outbox.c), whoever
		 * exported. */
	} else if (e->released) {
		/* Nothing was written; the job waits in the queue for the
		 * next start or another worker. */
		px_metrics_export(s->metrics, "interrupted", e->seconds);
		log_job("warning", "export.released", j, e);
	} else if (e->state == PX_JOB_QUEUED) {
		px_metrics_export(s->metrics, "retry", e->seconds);
		log_job("warning", "export.retry", j, e);
	} else {
		px_metrics_export(s->metrics, "failed", e->seconds);
		log_job("error", "export.failed", j, e);
		record_failure(s, j, e);
	}
}
