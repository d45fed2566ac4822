/*
 * rest_step.c - what a step sends besides its URL: the profile's static
 * headers (API version, tenant id) then the step's own, its method, and a
 * JSON body template for POST searches. Templates take the same {key}s as
 * paths: a string that is exactly "{key}" becomes the key's value, other
 * strings have each {key} replaced inside them. The profile's headers are
 * constants, sent with every request to the partner's own server.
 */
#include <stdlib.h>
#include <string.h>

#include "rest.h"

static int missing_key(px_source *s, const char *what, const char *name,
		       px_error *err)
{
	return px_error_set(err, PX_EXIT_SOFTWARE,
			    "source %s: %s: a template needs \"%s\", not "
			    "known yet",
			    s->cfg->name, what, name);
}

static int add_headers(px_source *s, const json_t *hdrs, const json_t *keys,
		       const char *what, struct curl_slist **out, px_error *err)
{
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)hdrs, k, v) {
		char missing[128] = "", *val, *line;
		struct curl_slist *t;
		size_t n;

		if (!(val =
			  rest_expand(json_string_value(v), keys, 0, missing)))
			return *missing ? missing_key(s, what, missing, err)
					: px_error_oom(err);
		n = strlen(k) + strlen(val) + 3;
		line = malloc(n);
		if (line)
			snprintf(line, n, "%s: %s", k, val);
		free(val);
		t = line ? curl_slist_append(*out, line) : NULL;
		free(line);
		if (!t)
			return px_error_oom(err);
		*out = t;
	}
	return 0;
}

/* A copy of the body template with its strings expanded. */
static json_t *fill(px_source *s, const json_t *t, const json_t *keys,
		    const char *what, px_error *err)
{
	json_t *out, *v;
	const char *k;
	size_t i;

	if (json_is_string(t)) {
		const char *x = json_string_value(t);
		size_t n = strlen(x);
		char missing[128] = "", *e;

		if (n > 2 && x[0] == '{' && x[n - 1] == '}' &&
		    !strchr(x + 1, '{')) {
			char name[128];

			snprintf(name, sizeof(name), "%.*s", (int)(n - 2),
				 x + 1);
			if ((v = json_object_get(keys, name)))
				return json_incref(v);
		}
		if (!(e = rest_expand(x, keys, 0, missing))) {
			if (*missing)
				missing_key(s, what, missing, err);
			else
				px_error_oom(err);
			return NULL;
		}
		out = json_string(e);
		free(e);
		return out ? out : (px_error_oom(err), NULL);
	}
	if (json_is_object(t)) {
		out = json_object();
		json_object_foreach ((json_t *)t, k, v) {
			json_t *f = out ? fill(s, v, keys, what, err) : NULL;
			if (!f || json_object_set_new(out, k, f)) {
				json_decref(out);
				return out ? NULL : (px_error_oom(err), NULL);
			}
		}
		return out;
	}
	if (json_is_array(t)) {
		out = json_array();
		json_array_foreach (t, i, v) {
			json_t *f = out ? fill(s, v, keys, what, err) : NULL;
			if (!f || json_array_append_new(out, f)) {
				json_decref(out);
				return out ? NULL : (px_error_oom(err), NULL);
			}
		}
		return out;
	}
	return json_incref((json_t *)t);
}

int rest_static_headers(px_source *s, px_error *err)
{
	json_t *none = json_object();
	int rc;

	if (!none)
		return px_error_oom(err);
	rc = add_headers(s, json_object_get(s->profile, "headers"), none,
			 "headers", &s->static_headers, err);
	json_decref(none);
	return rc;
}

int rest_step_prepare(px_source *s, const json_t *step, const json_t *keys,
		      const char *what, rest_step_req *out, px_error *err)
{
	const json_t *body = json_object_get(step, "body");
	const char *m = json_string_value(json_object_get(step, "method"));

	memset(out, 0, sizeof(*out));
	if (add_headers(s, json_object_get(step, "headers"), keys, what,
			&out->hdrs, err)) {
		rest_step_release(out);
		return -1;
	}
	out->call.headers = out->hdrs;
	out->call.method = m ? m : body ? "POST" : "GET";
	if (body) {
		json_t *b = fill(s, body, keys, what, err);

		out->body =
		    b ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		json_decref(b);
		if (!out->body) {
			if (b)
				px_error_oom(err);
			rest_step_release(out);
			return -1;
		}
		out->call.body = out->body;
		out->call.content_type = "Content-Type: application/json";
	}
	return 0;
}

void rest_step_release(rest_step_req *r)
{
	curl_slist_free_all(r->hdrs);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* Adds each {name} in text to needs (once). */
static void scan(const char *text, json_t *needs)
{
	const char *p = text, *e;

	while (p && (p = strchr(p, '{')) && (e = strchr(p, '}'))) {
		json_t *v = json_stringn(p + 1, (size_t)(e - p - 1)), *w;
		size_t i;
		int dup = 0;

		json_array_foreach (needs, i, w)
			dup |= json_equal(v, w);
		if (dup)
			json_decref(v);
		else
			json_array_append_new(needs, v);
		p = e + 1;
	}
}

static void scan_body(const json_t *t, json_t *needs)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_string(t))
		scan(json_string_value(t), needs);
	json_object_foreach ((json_t *)t, k, v)
		scan_body(v, needs);
	json_array_foreach (t, i, v)
		scan_body(v, needs);
}

void rest_step_needs(const json_t *step, json_t *needs)
{
	const char *k;
	json_t *v;

	scan_body(json_object_get(step, "body"), needs);
	json_object_foreach (json_object_get(step, "headers"), k, v)
		scan(json_string_value(v), needs);
}
