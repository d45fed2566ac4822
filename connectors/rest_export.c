/*
 * rest_export.c - asynchronous exports: many platforms answer a
 * data-subject request by starting a job. The endpoint's "export" says
 * how: POST "start", find the status URL (a pointer into the answer, or
 * its Location header), poll it (honouring Retry-After, else every
 * poll_seconds) until "state" is one of "done" or "failed", download the
 * file at "result" and hand its rows on like any page of items:
 *   json    the items at "items" in the file (a JSON document)
 *   ndjson  one JSON object per line
 *   csv     RFC 4180 with a header row; every value a string
 * A job that does not finish within max_wait_seconds is an error (69).
 */
#include <stdlib.h>
#include <string.h>

#include "rest.h"

#define BATCH 100 /* rows handed on at once */

static const char *const formats[] = {"json", "ndjson", "csv", NULL};

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
				 "\"format\": expected \"json\", \"ndjson\" or "
				 "\"csv\"");
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

struct rows {
	rest_items_fn fn;
	void *ctx;
	json_t *batch;
};

static int flush(struct rows *w, px_error *err)
{
	int rc = 0;

	if (json_array_size(w->batch))
		rc = w->fn(w->ctx, w->batch, err);
	json_array_clear(w->batch);
	return rc;
}

static int add_row(struct rows *w, json_t *row, px_error *err)
{
	if (!row || json_array_append_new(w->batch, row))
		return px_error_oom(err);
	return json_array_size(w->batch) >= BATCH ? flush(w, err) : 0;
}

static int ndjson_rows(px_source *s, const rest_resp *r, const char *what,
		       const char *url, struct rows *w, px_error *err)
{
	const char *p = r->body.data ? r->body.data : "",
		   *end = p + r->body.len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		rest_resp line = {0};
		json_t *row;

		line.status = r->status;
		line.body.data = strndup(p, n);
		line.body.len = n;
		p += n + 1;
		if (!line.body.data)
			return px_error_oom(err);
		if (!line.body.data[strspn(line.body.data, " \t\r")]) {
			free(line.body.data);
			continue; /* a blank line */
		}
		row = rest_json_parse(s, &line, what, url, err);
		free(line.body.data);
		if (!row || add_row(w, row, err))
			return -1;
	}
	return 0;
}

/* One RFC 4180 field at *p; returns it (malloc'd) and moves *p past its
 * separator; *eol is set at the end of a record. */
static char *csv_field(const char **p, const char *end, int *eol, int *bad)
{
	rest_buf b = {0};
	const char *q = *p;

	*eol = 0;
	if (q < end && *q == '"') {
		for (q++;; q++) {
			if (q >= end) {
				*bad = 1;
				break;
			}
			if (*q == '"' && q + 1 < end && q[1] == '"') {
				px_buf_add(&b, "\"", 1);
				q++;
			} else if (*q == '"') {
				q++;
				break;
			} else {
				px_buf_add(&b, q, 1);
			}
		}
	} else {
		const char *s0 = q;
		while (q < end && *q != ',' && *q != '\n' && *q != '\r')
			q++;
		px_buf_add(&b, s0, (size_t)(q - s0));
	}
	if (q < end && *q == ',') {
		q++;
	} else {
		if (q < end && *q == '\r')
			q++;
		if (q < end && *q == '\n')
			q++;
		*eol = 1;
	}
	if (q >= end)
		*eol = 1;
	*p = q;
	if (!b.data)
		px_buf_add(&b, "", 0);
	return b.data;
}

static int csv_rows(px_source *s, const rest_resp *r, const char *what,
		    struct rows *w, px_error *err)
{
	const char *p = r->body.data ? r->body.data : "",
		   *end = p + r->body.len;
	json_t *head = json_array(), *row = NULL;
	size_t col = 0, line = 1;
	int eol = 0, bad = 0, rc = -1;

	if (!head)
		return px_error_oom(err);
	while (p < end && !eol) {
		char *f = csv_field(&p, end, &eol, &bad);
		if (!f || json_array_append_new(head, json_string(f))) {
			free(f);
			goto oom;
		}
		free(f);
	}
	while (p < end && !bad) {
		char *f;

		if (!row && !(row = json_object()))
			goto oom;
		f = csv_field(&p, end, &eol, &bad);
		if (!f)
			goto oom;
		if (col >= json_array_size(head)) {
			free(f);
			px_error_set(err, PX_EXIT_DATA,
				     "source %s: %s: CSV line %zu: more "
				     "fields than the %zu in the header",
				     s->cfg->name, what, line + 1,
				     json_array_size(head));
			goto out;
		}
		json_object_set_new(
		    row, json_string_value(json_array_get(head, col)),
		    json_string(f));
		free(f);
		col++;
		if (eol) {
			line++;
			col = 0;
			if (add_row(w, row, err)) {
				row = NULL;
				goto out;
			}
			row = NULL;
		}
	}
	if (bad) {
		px_error_set(err, PX_EXIT_DATA,
			     "source %s: %s: CSV: a quoted field is not closed "
			     "(near line %zu)",
			     s->cfg->name, what, line + 1);
		goto out;
	}
	rc = 0;
	goto out;
oom:
	px_error_oom(err);
out:
	json_decref(row);
	json_decref(head);
	return rc;
}

static int file_rows(px_source *s, const json_t *ex, const rest_resp *r,
		     const char *what, const char *url, struct rows *w,
		     px_error *err)
{
	const char *f = json_string_value(json_object_get(ex, "format"));
	const char *ip = json_string_value(json_object_get(ex, "items"));
	json_t *doc, *items;
	int rc;

	if (!strcmp(f, "ndjson"))
		return ndjson_rows(s, r, what, url, w, err);
	if (!strcmp(f, "csv"))
		return csv_rows(s, r, what, w, err);
	if (!(doc = rest_json_parse(s, r, what, url, err)))
		return -1;
	items = rest_pointer(doc, ip ? ip : "");
	if (!json_is_array(items)) {
		json_decref(doc);
		return px_error_set(err, PX_EXIT_DATA,
				    "source %s: %s: the export file has no "
				    "array at \"%s\"",
				    s->cfg->name, what, ip ? ip : "");
	}
	rc = w->fn(w->ctx, items, err);
	json_decref(doc);
	return rc;
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

int rest_export_run(px_source *s, const json_t *step, const json_t *keys,
		    const char *what, rest_items_fn fn, void *ctx,
		    px_error *err)
{
	const json_t *ex = json_object_get(step, "export");
	const json_t *start = json_object_get(ex, "start");
	const char *su = json_string_value(json_object_get(ex, "status_url"));
	struct rows w = {fn, ctx, json_array()};
	rest_step_req sr;
	rest_resp r = {0};
	CURLU *u = NULL;
	char *url = NULL, *status = NULL, *result = NULL;
	int rc = -1;

	if (!w.batch)
		return px_error_oom(err);
	if (rest_step_prepare(s, start, keys, what, &sr, err))
		goto out0;
	if (!json_object_get(start, "method"))
		sr.call.method = "POST";
	sr.call.accept_202 = 1;
	if (!sr.call.body) {
		sr.call.body = "{}";
		sr.call.content_type = "Content-Type: application/json";
	}
	if (!(u = rest_url_build(s, start, keys, what, err)))
		goto out;
	if (curl_url_get(u, CURLUPART_URL, &url, 0)) {
		px_error_oom(err);
		goto out;
	}
	if (rest_request(s, url, what, &sr.call, &r, err))
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
	if (!(result = poll_job(s, ex, status, what, err)))
		goto out;
	{
		rest_call c = {0};

		c.accept = "Accept: */*";
		c.no_auth = !rest_same_origin(result, s->base_url);
		c.max_body = (long)num(ex, "max_bytes", 64.0 * 1024 * 1024);
		if (rest_request(s, result, what, &c, &r, err) ||
		    file_rows(s, ex, &r, what, result, &w, err) ||
		    flush(&w, err))
			goto out;
	}
	rc = 0;
out:
	rest_step_release(&sr);
out0:
	rest_resp_free(&r);
	curl_free(url);
	curl_url_cleanup(u);
	free(status);
	free(result);
	json_decref(w.batch);
	return rc;
}
