/*
 * rest_export.c - asynchronous exports: many platforms answer a
 * data-subject request by starting a job. The endpoint's "export" says
 * how: POST "start", find the status URL (a pointer into the answer, or
 * its Location header), poll it (honouring Retry-After, else every
 * poll_seconds) until "state" is one of "done" or "failed", download the
 * file at "result" and hand its rows on like any page of items:
 * (rest_rows.c): json, ndjson, csv, or a zip of those. The file goes to a
 * nameless work file, not to memory. Several endpoints whose jobs would be
 * started by the same request (a ZIP with a member per entity) share one
 * job and its file. A job that does not finish within max_wait_seconds is
 * an error (69).
 */
#include <stdlib.h>
#include <string.h>

#include "rest.h"

/* A download's cap unless max_bytes says: it goes to a work file, not to
 * memory. */
#define EXPORT_CAP (1L << 30)

static const char *const formats[] = {"json", "ndjson", "csv", "zip", NULL};

static int in_list(const json_t *list, const char *v)
{
	json_t *x;
	size_t i;

	if (json_is_string(list))
		return v && !strcmp(json_string_value(list), v);
	json_array_foreach (list, i, x) {
		if (v && json_is_string(x) && !strcmp(json_string_value(x), v))
			return 1;
	}
	return 0;
}

static int list_ok(const json_t *l)
{
	json_t *x;
	size_t i;

	if (json_is_string(l))
		return 1;
	if (!json_is_array(l) || !json_array_size(l))
		return 0;
	json_array_foreach (l, i, x) {
		if (!json_is_string(x))
			return 0;
	}
	return 1;
}

int rest_export_check(px_source *s, const json_t *ex, const char *where,
		      px_error *err)
{
	const char *f = json_string_value(json_object_get(ex, "format"));
	char sub[128];
	int ok = 0;

	snprintf(sub, sizeof(sub), "%s/export", where);
	for (size_t i = 0; f && formats[i]; i++)
		ok |= !strcmp(f, formats[i]);
	if (!ok)
		return rest_perr(s, err, sub,
				 "\"format\": expected \"json\", \"ndjson\", "
				 "\"csv\" or \"zip\"");
	if (!strcmp(f, "zip")) {
		const char *mf =
		    json_string_value(json_object_get(ex, "member_format"));
		int mok = 0;

		for (size_t i = 0; mf && formats[i + 1]; i++)
			mok |= !strcmp(mf, formats[i]);
		if (!json_is_string(json_object_get(ex, "member")) ||
		    !*json_string_value(json_object_get(ex, "member")) || !mok)
			return rest_perr(s, err, sub,
					 "a \"zip\" export needs \"member\" "
					 "(the members to read, a glob: "
					 "\"sessions/*.ndjson\") and "
					 "\"member_format\" (\"json\", "
					 "\"ndjson\" or \"csv\")");
	} else if (json_object_get(ex, "member") ||
		   json_object_get(ex, "member_format") ||
		   json_object_get(ex, "max_unzipped_bytes")) {
		return rest_perr(s, err, sub,
				 "\"member\", \"member_format\" and "
				 "\"max_unzipped_bytes\" are for a \"zip\" "
				 "export only");
	}
	if (!json_is_string(json_object_get(ex, "state")) ||
	    !json_is_string(json_object_get(ex, "result")) ||
	    !list_ok(json_object_get(ex, "done")))
		return rest_perr(s, err, sub,
				 "expected \"state\" and \"result\" (JSON "
				 "pointers into the status) and \"done\" (the "
				 "finished state, or a list of them)");
	if (json_object_get(ex, "failed") &&
	    !list_ok(json_object_get(ex, "failed")))
		return rest_perr(s, err, sub,
				 "\"failed\": expected a state or a list");
	snprintf(sub, sizeof(sub), "%s/export/start", where);
	return rest_check_step(s, json_object_get(ex, "start"), sub, err);
}

static double num(const json_t *ex, const char *k, double dflt)
{
	json_t *v = json_object_get(ex, k);

	return json_is_number(v) && json_number_value(v) > 0
		   ? json_number_value(v)
		   : dflt;
}

/* The URL the job's answer points at, absolute; https (or loopback), and
 * on the partner's own server unless `foreign` may be another. */
static char *job_url(px_source *s, const char *from, const char *link,
		     int foreign)
{
	CURLU *u = curl_url();
	char *out = NULL, *dup = NULL;

	if (u && !curl_url_set(u, CURLUPART_URL, from, 0) &&
	    !curl_url_set(u, CURLUPART_URL, link, 0) &&
	    !curl_url_get(u, CURLUPART_URL, &out, 0) && rest_url_safe(out) &&
	    (foreign || rest_same_origin(out, s->base_url)))
		dup = strdup(out);
	curl_free(out);
	curl_url_cleanup(u);
	return dup;
}

/* Polls url until the job is done; returns the result URL (malloc'd). */
static char *poll_job(px_source *s, const json_t *ex, const char *url,
		      const char *what, px_error *err)
{
	long deadline =
	    rest_now_ms() + (long)(num(ex, "max_wait_seconds", 300) * 1000);
	long every = (long)(num(ex, "poll_seconds", 1) * 1000);
	const char *sp = json_string_value(json_object_get(ex, "state"));
	const char *rp = json_string_value(json_object_get(ex, "result"));
	rest_call c = {0};
	char red[512], last[48];

	c.accept_202 = 1;
	for (;;) {
		rest_resp r = {0};
		json_t *doc, *st;
		const char *state;
		char *out = NULL;
		long wait;
		int failed = 1;

		if (rest_request(s, url, what, &c, &r, err))
			return NULL;
		if (!(doc = rest_json_parse(s, &r, what, url, err))) {
			rest_resp_free(&r);
			return NULL;
		}
		st = rest_pointer(doc, sp);
		state = json_string_value(st);
		rest_redact(s, url, red, sizeof(red));
		if (!state) {
			px_error_set(err, PX_EXIT_DATA,
				     "source %s: %s: GET %s: no job state "
				     "(a string) at \"%s\"",
				     s->cfg->name, what, red, sp);
		} else if (in_list(json_object_get(ex, "failed"), state)) {
			px_error_set(err, PX_EXIT_DATA,
				     "source %s: %s: GET %s: the export job "
				     "failed (state \"%.40s\")",
				     s->cfg->name, what, red, state);
		} else if (in_list(json_object_get(ex, "done"), state)) {
			failed = 0;
			const char *res =
			    json_string_value(rest_pointer(doc, rp));
			if (!res || !(out = job_url(s, url, res, 1)))
				px_error_set(err, PX_EXIT_DATA,
					     "source %s: %s: GET %s: the job "
					     "is done but \"%s\" holds no "
					     "https:// URL of its file",
					     s->cfg->name, what, red, rp);
			json_decref(doc);
			rest_resp_free(&r);
			return out;
		} else {
			failed = 0;
		}
		snprintf(last, sizeof(last), "%s", state ? state : "");
		json_decref(doc);
		if (failed) {
			rest_resp_free(&r);
			return NULL;
		}
		wait =
		    r.retry_after >= 0 ? (long)(r.retry_after * 1000) : every;
		rest_resp_free(&r);
		if (rest_now_ms() + wait > deadline) {
			px_error_set(err, PX_EXIT_UNAVAILABLE,
				     "source %s: %s: GET %s: the export job "
				     "is not finished after max_wait_seconds "
				     "(%.0f s; still \"%.40s\")",
				     s->cfg->name, what, red,
				     num(ex, "max_wait_seconds", 300), last);
			return NULL;
		}
		rest_sleep_ms(wait);
	}
}

/* What identifies a job: the start request as sent, and the subject. */
static char *job_key(const rest_call *c, const char *url, const json_t *keys)
{
	char *k = json_dumps(keys, JSON_SORT_KEYS | JSON_COMPACT), *out = NULL;
	rest_buf b = {0};

	if (k &&
	    !rest_buf_printf(&b, "%s %s\n%s\n%s", c->method ? c->method : "GET",
			     url, c->body ? c->body : "", k))
		out = b.data;
	else
		px_buf_free(&b);
	free(k);
	return out;
}

void rest_export_free(px_source *s)
{
	if (s->export_file)
		fclose(s->export_file);
	s->export_file = NULL;
	free(s->export_key);
	free(s->export_url);
	s->export_key = s->export_url = NULL;
}

/* Starts the job, polls it and downloads its file into s->export_file. */
static int run_job(px_source *s, const json_t *ex, const char *url,
		   rest_call *call, const char *what, px_error *err)
{
	const char *su = json_string_value(json_object_get(ex, "status_url"));
	json_t *cap = json_object_get(ex, "max_bytes");
	rest_call c = {0};
	rest_resp r = {0};
	char *status = NULL;
	int rc = -1;

	if (rest_request(s, url, what, call, &r, err))
		goto out;
	if (su) {
		json_t *doc = rest_json_parse(s, &r, what, url, err);
		const char *v = json_string_value(rest_pointer(doc, su));

		status = v ? job_url(s, url, v, 0) : NULL;
		json_decref(doc);
		if (!doc)
			goto out;
	} else if (r.location) {
		status = job_url(s, url, r.location, 0);
	}
	if (!status) {
		px_error_set(err, PX_EXIT_DATA,
			     "source %s: %s: the export job's answer (HTTP "
			     "%ld) gives no status URL on the partner's "
			     "server (%s)",
			     s->cfg->name, what, r.status,
			     su ? su : "Location header");
		goto out;
	}
	rest_resp_free(&r);
	if (!(s->export_url = poll_job(s, ex, status, what, err)))
		goto out;
	if (!(s->export_file = px_connector_file("an export file", err)))
		goto out;
	c.accept = "Accept: */*";
	c.no_auth = !rest_same_origin(s->export_url, s->base_url);
	c.max_body = json_is_integer(cap) && json_integer_value(cap) > 0
			 ? (long)json_integer_value(cap)
			 : EXPORT_CAP;
	c.sink = s->export_file;
	if (rest_request(s, s->export_url, what, &c, &r, err))
		goto out;
	s->export_size = r.sunk;
	rc = 0;
out:
	rest_resp_free(&r);
	free(status);
	return rc;
}

int rest_export_run(px_source *s, const json_t *step, const json_t *keys,
		    const char *what, rest_items_fn fn, void *ctx,
		    px_error *err)
{
	const json_t *ex = json_object_get(step, "export");
	const json_t *start = json_object_get(ex, "start");
	rest_step_req sr;
	CURLU *u = NULL;
	char *url = NULL, *key = NULL;
	int rc = -1;

	if (rest_step_prepare(s, start, keys, what, &sr, err))
		return -1;
	if (!json_object_get(start, "method"))
		sr.call.method = "POST";
	sr.call.accept_202 = 1;
	if (!sr.call.body) {
		sr.call.body = "{}";
		sr.call.content_type = "Content-Type: application/json";
	}
	if (!(u = rest_url_build(s, start, keys, what, err)))
		goto out;
	if (curl_url_get(u, CURLUPART_URL, &url, 0) ||
	    !(key = job_key(&sr.call, url, keys))) {
		px_error_oom(err);
		goto out;
	}
	if (!s->export_key || strcmp(s->export_key, key)) {
		rest_export_free(s);
		s->export_key = key;
		key = NULL;
		if (run_job(s, ex, url, &sr.call, what, err)) {
			rest_export_free(s);
			goto out;
		}
	}
	rc = rest_rows_file(s, ex, s->export_file, s->export_size, what,
			    s->export_url, fn, ctx, err);
out:
	rest_step_release(&sr);
	free(key);
	curl_free(url);
	curl_url_cleanup(u);
	return rc;
}
