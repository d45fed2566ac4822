/*
 * exports.c - the portal's side of the API: asking for an export
 * (POST /v1/exports) and following it (GET /v1/exports/{id}); and what
 * happens when an export thread is done with one.
 *
 * A request is recorded in the ledger like any other (channel "portal",
 * identity confirmed by the portal, which knows who is logged in) before
 * its export is queued, so the legal clock and the audit trail do not
 * depend on this process staying up.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "serve/accesslog.h"
#include "serve/http.h"
#include "serve/link.h"
#include "serve/serve.h"
#include "path.h"
#include "portex/deadline.h"
#include "timefmt.h"

#define MAX_KEYS  16
#define MAX_VALUE 512

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

char *px_serve_package_path(const px_serve *s, long id)
{
	char name[64];

	snprintf(name, sizeof(name), "portex-request-%ld.zip", id);
	return px_path_join(s->sc.out_dir, name);
}

static const char *failure_code(int code)
{
	switch (code) {
	case PX_EXIT_NOUSER:
		return "subject_not_found";
	case PX_EXIT_USAGE: /* a key no source starts from */
		return "unknown_subject_key";
	case PX_EXIT_UNAVAILABLE:
		return "source_unavailable";
	case PX_EXIT_DATA:
		return "bad_data";
	case PX_EXIT_CONFIG:
		return "config_error";
	case PX_EXIT_CANTCREAT:
	case PX_EXIT_IOERR:
		return "cannot_write";
	default:
		return "internal_error";
	}
}

/* queued/running/failed while the ledger says the export is still to be
 * done: the queue's job of the request says which. */
static const char *pending_status(px_serve *s, long id, json_t *view)
{
	px_error err = PX_ERROR_INIT;
	px_job *j = NULL;
	const char *st = "queued"; /* no job yet: the sweep queues it */
	int rc;

	pthread_mutex_lock(&s->ledger_mu);
	rc = px_queue_get_by_request(s->ledger, id, &j, &err);
	pthread_mutex_unlock(&s->ledger_mu);
	if (rc < 0)
		px_serve_log_ledger_error(&err);
	if (rc != 1)
		return st;
	switch (j->state) {
	case PX_JOB_RUNNING:
	case PX_JOB_DONE: /* the ledger was read just before it finished */
		st = "running";
		break;
	case PX_JOB_QUEUED:
		break;
	case PX_JOB_FAILED:
	case PX_JOB_DEAD:
		json_object_set_new(
		    view, "error",
		    json_pack("{s:s, s:i, s:s}", "code",
			      failure_code(j->last_code), "exit", j->last_code,
			      "message", j->last_error ? j->last_error : ""));
		st = "failed";
		break;
	}
	px_job_free(j);
	return st;
}

/* Adds the signed link when the package is there and not expired. */
static const char *ready_status(px_serve *s, const json_t *req, long id,
				int64_t now, json_t *view)
{
	int64_t until = px_serve_package_expiry(s, req);
	char url[1024], at[48];

	if (until < 0 || now > until)
		return "expired";
	px_link_url(s->sc.public_url, s->sc.link_key, id, until, url,
		    sizeof(url));
	px_rfc3339_from_epoch(until, 0, at, sizeof(at));
	json_object_set_new(view, "download_url", json_string(url));
	json_object_set_new(view, "retrievable_until", json_string(at));
	json_object_set_new(view, "sha256",
			    json_string(str(req, "package_sha256")));
	json_object_set_new(
	    view, "downloaded",
	    json_boolean(!strcmp(str(req, "status"), "delivered")));
	return "ready";
}

json_t *px_serve_view(px_serve *s, const json_t *req, int64_t now)
{
	long id = (long)json_integer_value(json_object_get(req, "id"));
	const char *st = str(req, "status"), *out;
	json_t *extra = json_object(), *view;

	if (!extra || !st) {
		json_decref(extra);
		return NULL;
	}
	if (!strcmp(st, "exported") || !strcmp(st, "delivered"))
		out = ready_status(s, req, id, now, extra);
	else if (!strcmp(st, "rejected") || !strcmp(st, "withdrawn"))
		out = st;
	else
		out = pending_status(s, id, extra);
	view = json_pack("{s:I, s:s, s:s?, s:s?, s:s?, s:s?}", "id",
			 (json_int_t)id, "status", out, "scope",
			 str(req, "type"), "received", str(req, "received"),
			 "due", px_request_effective_due(req), "created_at",
			 str(req, "created_at"));
	if (view)
		json_object_update(view, extra);
	json_decref(extra);
	return view;
}

int px_serve_enqueue(px_serve *s, const json_t *req, px_error *err)
{
	long id = (long)json_integer_value(json_object_get(req, "id"));
	char *path = px_serve_package_path(s, id), until[48];
	px_job_spec spec = {
	    .batch = PX_SERVE_BATCH,
	    .subject = json_object_get(req, "subject"),
	    .package = path,
	    .scope = str(req, "type"),
	    .retrievable_until = until,
	    .request_id = id,
	    .actor = PX_SERVE_ACTOR,
	};
	int rc;

	if (!path)
		return px_error_oom(err);
	/* The link will run from when the package is written; the package
	 * says the day. */
	px_rfc3339_from_epoch((int64_t)time(NULL) + s->sc.link_seconds, 0,
			      until, sizeof(until));
	until[10] = '\0';
	rc = px_queue_enqueue(s->ledger, &spec, NULL, NULL, err);
	free(path);
	if (!rc && s->pool)
		px_pool_wake(s->pool);
	return rc;
}

int px_serve_counts(px_serve *s, long *queued, long *running, px_error *err)
{
	json_t *c = NULL;

	if (px_queue_counts(s->ledger, PX_SERVE_BATCH, &c, err))
		return -1;
	if (queued)
		*queued =
		    (long)json_integer_value(json_object_get(c, "queued"));
	if (running)
		*running =
		    (long)json_integer_value(json_object_get(c, "running"));
	json_decref(c);
	return 0;
}

void px_serve_log_ledger_error(const px_error *err)
{
	json_t *f =
	    json_pack("{s:i, s:s}", "exit", err->code, "message", err->msg);

	px_log_event("error", "ledger", f);
	json_decref(f);
}

int px_serve_ledger_problem(px_call *c, const px_error *err)
{
	/* The ledger's message names files and hosts: for the operator's
	 * log, not for the portal. */
	px_serve_log_ledger_error(err);
	if (err->code != PX_EXIT_UNAVAILABLE)
		return px_http_problem(c, 500, "internal_error",
				       "the request could not be read or "
				       "recorded; the service log says why");
	return px_http_problem_retry(c, 503, "ledger_unavailable", 5,
				     "the ledger is busy or unreachable; "
				     "try again");
}

int px_serve_load(px_serve *s, px_call *c, json_t **req)
{
	return px_serve_load_linked(s, c, req, 0);
}

int px_serve_load_linked(px_serve *s, px_call *c, json_t **req, int linked)
{
	px_error err = PX_ERROR_INIT;
	const char *ch;
	int rc;

	*req = NULL;
	pthread_mutex_lock(&s->ledger_mu);
	rc = px_ledger_get(s->ledger, c->id, req, &err);
	pthread_mutex_unlock(&s->ledger_mu);
	if (rc && err.code != PX_EXIT_DATA)
		return px_serve_ledger_problem(c, &err), 1;
	/* Requests of other channels are the data-protection officer's,
	 * not the portal's: they do not exist here. */
	ch = rc ? NULL : str(*req, "channel");
	/* A signed link is the officer's word too (`request deliver
	 * --method email` sends one for a request of any channel). */
	if (!ch || (!linked && strcmp(ch, PX_SERVE_CHANNEL))) {
		json_decref(*req);
		*req = NULL;
		px_http_problem(c, 404, "not_found", "no export %ld", c->id);
		return 1;
	}
	return 0;
}

/* ---- POST /v1/exports ---- */

static int safe_key(const char *k)
{
	size_t n = strlen(k);

	if (!n || n > 64)
		return 0;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '_' && *k != '-')
			return 0;
	return 1;
}

/* One person, one spelling: values trimmed, an email lower-cased (the
 * rule px_subject_id() follows), so the one-request-per-interval rule and
 * the ledger see "Alice@Example.org " and "alice@example.org" as one
 * subject. 0, or -1 on out of memory. */
static int fold_subject(json_t *subject)
{
	const char *k;
	json_t *v;

	json_object_foreach (subject, k, v) {
		const char *t = json_string_value(v);
		size_t n;
		char *c;

		while (isspace((unsigned char)*t))
			t++;
		n = strlen(t);
		while (n && isspace((unsigned char)t[n - 1]))
			n--;
		if (!(c = strndup(t, n)))
			return -1;
		if (!strcmp(k, "email"))
			for (char *p = c; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		if (json_string_set(v, c)) {
			free(c);
			return -1;
		}
		free(c);
	}
	return 0;
}

/* The body, checked; *req gets the ledger request it asks for (new
 * reference). 1 when answered (a 4xx). */
static int read_body(px_call *c, json_t **req)
{
	static const char *const allowed[] = {"subject", "scope", "requester",
					      NULL};
	json_error_t jerr;
	json_t *b, *subject, *v;
	const char *k, *scope = "portability", *requester = NULL;
	int answered = 1;

	*req = NULL;
	b = json_loadb(c->body.data ? c->body.data : "", c->body.len,
		       JSON_REJECT_DUPLICATES, &jerr);
	if (!b)
		return px_http_problem(c, 400, "malformed_json",
				       "the body is not JSON: line %d, column "
				       "%d: %s",
				       jerr.line, jerr.column, jerr.text),
		       1;
	if (!json_is_object(b)) {
		px_http_problem(c, 400, "malformed_request",
				"expected a JSON object {\"subject\": {...}}");
		goto out;
	}
	json_object_foreach (b, k, v) {
		size_t i = 0;
		while (allowed[i] && strcmp(allowed[i], k))
			i++;
		if (!allowed[i]) {
			px_http_problem(c, 400, "unknown_field",
					"/%.64s: unknown field (expected "
					"subject, scope, requester)",
					k);
			goto out;
		}
	}
	subject = json_object_get(b, "subject");
	if (!json_is_object(subject) || !json_object_size(subject) ||
	    json_object_size(subject) > MAX_KEYS) {
		px_http_problem(c, 400, "malformed_request",
				"/subject: expected an object of 1 to %d "
				"identity keys, e.g. {\"email\": "
				"\"alice@example.org\"}",
				MAX_KEYS);
		goto out;
	}
	json_object_foreach (subject, k, v) {
		if (!safe_key(k)) {
			px_http_problem(c, 400, "malformed_request",
					"/subject: a key must be 1-64 letters, "
					"digits, _ or -");
			goto out;
		}
		if (!json_is_string(v) || !json_string_length(v) ||
		    json_string_length(v) > MAX_VALUE) {
			px_http_problem(c, 400, "malformed_request",
					"/subject/%s: expected a non-empty "
					"string of at most %d bytes",
					k, MAX_VALUE);
			goto out;
		}
	}
	if (fold_subject(subject)) {
		px_http_problem(c, 500, "out_of_memory", "out of memory");
		goto out;
	}
	v = json_object_get(b, "scope");
	if (v && !(json_is_string(v) &&
		   (!strcmp(json_string_value(v), "portability") ||
		    !strcmp(json_string_value(v), "access")))) {
		px_http_problem(c, 400, "malformed_request",
				"/scope: expected \"portability\" or "
				"\"access\"");
		goto out;
	}
	if (v)
		scope = json_string_value(v);
	v = json_object_get(b, "requester");
	if (v && (!json_is_string(v) || !json_string_length(v) ||
		  json_string_length(v) > 200)) {
		px_http_problem(c, 400, "malformed_request",
				"/requester: expected a name of 1 to 200 "
				"bytes");
		goto out;
	}
	requester = json_string_value(v);
	if (!requester) /* the subject asks for themself */
		json_object_foreach (subject, k, v)
			if (!requester)
				requester = json_string_value(v);
	*req = json_pack("{s:s, s:O, s:s, s:s, s:s}", "type", scope, "subject",
			 subject, "requester", requester, "relation", "self",
			 "channel", PX_SERVE_CHANNEL);
	answered =
	    *req ? 0
		 : (px_http_problem(c, 500, "out_of_memory", "out of memory"),
		    1);
out:
	json_decref(b);
	return answered;
}

static int verified_fn(void *ctx, json_t *req, json_t *details, px_error *err)
{
	(void)ctx;
	if (px_request_apply(req, "identity-verified", NULL, px_today(),
			     details, err))
		return -1;
	json_object_set_new(details, "by", json_string("the portal's login"));
	return 0;
}

/* Records req (received today, identity confirmed). *out: new ref. */
static int record(px_serve *s, json_t *req, json_t **out, px_error *err)
{
	char today[11];
	const char *cal = px_config_str(s->cfg, "deadline.calendar");
	json_t *added = NULL;
	long id;

	px_date_format(px_today(), today);
	json_object_set_new(req, "received", json_string(today));
	json_object_set_new(req, "calendar", json_string(cal ? cal : "FR"));
	if (px_request_check(req, px_today(), err) ||
	    px_ledger_add(s->ledger, req, PX_SERVE_ACTOR, &added, err))
		return -1;
	id = (long)json_integer_value(json_object_get(added, "id"));
	json_decref(added);
	return px_ledger_change(s->ledger, id, "request.identity-verified",
				PX_SERVE_ACTOR, verified_fn, NULL, out, err);
}

static int answer_with(px_call *c, unsigned status, json_t *view,
		       const char *header, const char *value)
{
	char *text =
	    view ? json_dumps(view, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
		 : NULL;
	struct MHD_Response *r;

	json_decref(view);
	if (!text)
		return px_http_problem(c, 500, "out_of_memory",
				       "out of memory");
	r = MHD_create_response_from_buffer(strlen(text), text,
					    MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	c->bytes = strlen(text);
	px_http_set(r, "Content-Type", "application/json");
	px_http_set(r, header, value);
	return px_http_send(c, status, r);
}

/* Asks the sources who the subject is, before anything is recorded: a
 * subject no source knows is refused (422) rather than recorded as a
 * request that can only fail. 0 to go on, 1 when answered. */
static int resolve(px_serve *s, px_call *c, const json_t *req)
{
	px_error err = PX_ERROR_INIT;
	int rc;

	pthread_mutex_lock(&s->resolve_mu);
	rc = px_exporter_resolve(s->resolver, json_object_get(req, "subject"),
				 str(req, "type"), NULL, &err);
	pthread_mutex_unlock(&s->resolve_mu);
	if (rc == 1)
		return 0;
	if (rc == 0)
		return px_http_problem(c, 422, "subject_not_found",
				       "no source knows this subject; nothing "
				       "was recorded"),
		       1;
	if (err.code == PX_EXIT_USAGE) /* a key no source starts from */
		return px_http_problem(c, 422, "unknown_subject_key",
				       "/subject: no source starts from these "
				       "keys; nothing was recorded"),
		       1;
	px_serve_log_ledger_error(&err);
	if (err.code == PX_EXIT_UNAVAILABLE)
		return px_http_problem_retry(c, 503, "source_unavailable", 30,
					     "a source cannot be reached; "
					     "try again later"),
		       1;
	return px_http_problem(c, 500, "internal_error",
			       "the subject could not be looked up; the "
			       "service log says why"),
	       1;
}

int px_api_create(px_serve *s, px_call *c)
{
	px_error err = PX_ERROR_INIT;
	json_t *req = NULL, *recent = NULL, *stored = NULL;
	int64_t now = (int64_t)time(NULL);
	long retry = 0, queued = 0;
	char hdr[1024];
	int rc;

	if (read_body(c, &req))
		return MHD_YES;
	if (resolve(s, c, req)) {
		json_decref(req);
		return MHD_YES;
	}
	pthread_mutex_lock(&s->ledger_mu);
	if (px_ratelimit_check(s, json_object_get(req, "subject"), now, &retry,
			       &recent, &err))
		goto ledger_error;
	if (recent) {
		pthread_mutex_unlock(&s->ledger_mu);
		json_decref(req);
		snprintf(hdr, sizeof(hdr), "%ld", retry);
		rc = answer_with(c, 429, px_serve_view(s, recent, now),
				 "Retry-After", hdr);
		json_decref(recent);
		return rc;
	}
	if (!s->draining && px_serve_counts(s, &queued, NULL, &err))
		goto ledger_error;
	if (s->draining || queued >= s->sc.queue) {
		pthread_mutex_unlock(&s->ledger_mu);
		json_decref(req);
		return s->draining
			   ? px_http_problem_retry(c, 503, "stopping", 30,
						   "the service is stopping; "
						   "try again shortly")
			   : px_http_problem_retry(
				 c, 503, "queue_full", 60,
				 "%ld exports are waiting already; try again "
				 "later",
				 s->sc.queue);
	}
	/* Under the lock: nothing else of this process fills the queue
	 * between the room check and this. Recorded then queued: should the
	 * process stop in between, the sweep at the next start queues it. */
	if (record(s, req, &stored, &err) || px_serve_enqueue(s, stored, &err))
		goto ledger_error;
	pthread_mutex_unlock(&s->ledger_mu);
	json_decref(req);
	snprintf(hdr, sizeof(hdr), "%s/v1/exports/%" JSON_INTEGER_FORMAT,
		 s->sc.public_url,
		 json_integer_value(json_object_get(stored, "id")));
	rc =
	    answer_with(c, 202, px_serve_view(s, stored, now), "Location", hdr);
	json_decref(stored);
	return rc;
ledger_error:
	pthread_mutex_unlock(&s->ledger_mu);
	json_decref(req);
	json_decref(stored);
	return px_serve_ledger_problem(c, &err);
}

/* ---- GET /v1/exports/{id} ---- */

int px_api_status(px_serve *s, px_call *c)
{
	json_t *req;
	int rc;

	if (px_serve_load(s, c, &req))
		return MHD_YES;
	rc = px_http_json(c, 200, px_serve_view(s, req, (int64_t)time(NULL)));
	json_decref(req);
	return rc;
}
