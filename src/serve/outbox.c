/*
 * outbox.c - the webhook's outbox is the ledger itself, so that a package
 * exported by any process (serve's workers, a `portex worker` elsewhere)
 * is announced, by whichever serve runs:
 *   owed       a portal job done (its request recorded exported in the
 *              same transaction, px_queue_finish()) whose request has no
 *              webhook.delivered / webhook.given-up / webhook.skipped
 *              audit entry;
 *   delivered  serve posts it (webhook.c: signed, retried with backoff)
 *              and, on a 2xx answer, appends webhook.delivered.
 * A serve stopped with deliveries pending sends them on its next start. A
 * serve killed between the portal's 2xx and the audit entry sends it once
 * more: the X-Portex-Delivery header (the request id) lets the portal
 * drop the repeat.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger/ledger_backend.h"
#include "serve/accesslog.h"
#include "serve/serve.h"

#define SCAN_LIMIT "100"

struct outcome {
	const char *why;
	long status, attempts;
};

static int outcome_fn(void *ctx, json_t *req, json_t *details, px_error *err)
{
	struct outcome *o = ctx;

	(void)req;
	(void)err;
	if (o->why)
		json_object_set_new(details, "reason", json_string(o->why));
	else {
		json_object_set_new(details, "status", json_integer(o->status));
		json_object_set_new(details, "attempts",
				    json_integer(o->attempts));
	}
	return 0;
}

/* Appends action to request id's trail. Call with ledger_mu held. */
static void record(px_serve *s, long id, const char *action, struct outcome *o)
{
	px_error err = PX_ERROR_INIT;

	if (px_ledger_change(s->ledger, id, action, PX_SERVE_ACTOR, outcome_fn,
			     o, NULL, &err))
		px_serve_log_ledger_error(&err);
}

void px_serve_webhook_done(void *ctx, long id, int delivered, long status,
			   long attempts)
{
	px_serve *s = ctx;
	struct outcome o = {NULL, status, attempts};

	pthread_mutex_lock(&s->ledger_mu);
	record(s, id, delivered ? "webhook.delivered" : "webhook.given-up", &o);
	pthread_mutex_unlock(&s->ledger_mu);
}

/* The request ids owed a webhook, oldest first. -1 with err. */
static int owed(px_serve *s, json_t **rows, px_error *err)
{
	return px_ledger_query(
	    s->ledger,
	    "SELECT j.request_id FROM px_jobs j WHERE j.batch = "
	    "'" PX_SERVE_BATCH "' AND j.state = 'done' AND j.request_id IS "
	    "NOT NULL AND NOT EXISTS (SELECT 1 FROM px_audit a WHERE "
	    "a.request_id = j.request_id AND a.action IN "
	    "('webhook.delivered', 'webhook.given-up', 'webhook.skipped')) "
	    "ORDER BY j.id LIMIT " SCAN_LIMIT,
	    0, NULL, rows, err);
}

void px_serve_outbox_scan(px_serve *s)
{
	px_error err = PX_ERROR_INIT;
	json_t *rows = NULL, *row;
	size_t i;

	if (!s->webhook)
		return;
	pthread_mutex_lock(&s->ledger_mu);
	if (owed(s, &rows, &err)) {
		pthread_mutex_unlock(&s->ledger_mu);
		px_serve_log_ledger_error(&err);
		return;
	}
	pthread_mutex_unlock(&s->ledger_mu);
	json_array_foreach (rows, i, row) {
		long id = atol(json_string_value(json_array_get(row, 0)));
		json_t *req = NULL, *view, *body;
		const char *st;
		int rc;

		pthread_mutex_lock(&s->ledger_mu);
		rc = px_ledger_get(s->ledger, id, &req, &err);
		pthread_mutex_unlock(&s->ledger_mu);
		if (rc) {
			px_serve_log_ledger_error(&err);
			px_error_clear(&err);
			continue;
		}
		view = px_serve_view(s, req, (int64_t)time(NULL));
		json_decref(req);
		st = json_string_value(json_object_get(view, "status"));
		if (view && (!st || strcmp(st, "ready"))) {
			/* Gone by now (expired, withdrawn): nothing to
			 * announce, and never again. */
			struct outcome o = {st ? st : "not ready", 0, 0};

			pthread_mutex_lock(&s->ledger_mu);
			record(s, id, "webhook.skipped", &o);
			pthread_mutex_unlock(&s->ledger_mu);
			json_decref(view);
			continue;
		}
		body = view ? json_pack("{s:s, s:o}", "event", "export.ready",
					"export", view)
			    : NULL;
		if (body)
			px_webhook_send(s->webhook, id, body);
		json_decref(body);
	}
	json_decref(rows);
}
