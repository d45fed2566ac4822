/*
 * complete.c - what happens when an export thread is done with a request:
 * the package is recorded in the ledger (or, when the request was closed
 * meanwhile, removed), the outcome counted, the portal told.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serve/accesslog.h"
#include "serve/serve.h"

struct exported {
	const char *path;
	const char *sha256;
};

static int exported_fn(void *ctx, json_t *req, json_t *details, px_error *err)
{
	struct exported *e = ctx;
	json_t *args =
	    json_pack("{s:s, s:s}", "path", e->path, "sha256", e->sha256);
	int rc;

	if (!args)
		return px_error_oom(err);
	rc = px_request_apply(req, "exported", args, px_today(), details, err);
	json_decref(args);
	return rc;
}

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

static void log_id(const char *level, const char *event, long id,
		   const px_jobs_outcome *o)
{
	json_t *f = json_pack("{s:I, s:f}", "id", (json_int_t)id, "seconds",
			      o->seconds);

	if (o->code)
		json_object_set_new(f, "exit", json_integer(o->code));
	else if (o->res)
		json_object_set_new(f, "bytes",
				    json_integer((json_int_t)o->res->size));
	px_log_event(level, event, f);
	json_decref(f);
}

static void record_package(px_serve *s, long id, const char *path,
			   const px_jobs_outcome *o)
{
	px_error err = PX_ERROR_INIT;
	struct exported e = {path, o->res->sha256};
	json_t *req = NULL;
	int rc;

	pthread_mutex_lock(&s->ledger_mu);
	rc = px_ledger_change(s->ledger, id, "request.exported", PX_SERVE_ACTOR,
			      exported_fn, &e, &req, &err);
	pthread_mutex_unlock(&s->ledger_mu);
	if (rc) {
		/* Withdrawn or rejected while it ran, or the ledger failed:
		 * a package nobody recorded is personal data nobody will
		 * purge. */
		json_t *f = json_pack("{s:I, s:i, s:s}", "id", (json_int_t)id,
				      "exit", err.code, "message", err.msg);
		unlink(path);
		px_log_event("error", "export.unrecorded", f);
		json_decref(f);
		return;
	}
	px_metrics_export(s->metrics, "ok", o->seconds);
	log_id("info", "export.done", id, o);
	if (s->webhook) {
		json_t *view = px_serve_view(s, req, (int64_t)time(NULL));
		json_t *body = json_pack("{s:s, s:o}", "event", "export.ready",
					 "export", view);
		px_webhook_send(s->webhook, body);
		json_decref(body);
	}
	json_decref(req);
}

void px_serve_export_done(void *ctx, long id, const char *path,
			  const px_jobs_outcome *o)
{
	px_serve *s = ctx;
	px_error err = PX_ERROR_INIT;
	struct failed f = {o->code, o->message};

	if (!o->code) {
		record_package(s, id, path, o);
		return;
	}
	if (o->interrupted) {
		/* Nothing was written; the request still waits in the
		 * ledger and the next start takes it up. */
		px_metrics_export(s->metrics, "interrupted", o->seconds);
		log_id("warning", "export.released", id, o);
		return;
	}
	px_metrics_export(s->metrics, "failed", o->seconds);
	log_id("error", "export.failed", id, o);
	px_serve_set_failure(s, id, o->code, o->message);
	pthread_mutex_lock(&s->ledger_mu);
	if (px_ledger_change(s->ledger, id, "request.export-failed",
			     PX_SERVE_ACTOR, failed_fn, &f, NULL, &err)) {
		json_t *l = json_pack("{s:I, s:s}", "id", (json_int_t)id,
				      "message", err.msg);
		px_log_event("error", "ledger", l);
		json_decref(l);
	}
	pthread_mutex_unlock(&s->ledger_mu);
}
