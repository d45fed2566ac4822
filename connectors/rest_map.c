/*
 * rest_map.c - from a partner's item to a portex record, as an endpoint's
 * "fields" map says: each schema field names a JSON pointer into the item
 * (or a constant), optionally a table of values and a conversion:
 *   epoch_s, epoch_ms  a Unix time -> RFC 3339 UTC ("...Z")
 *   decimal            a number -> its exact digits as a decimal
 *   string             a number or boolean -> its text (identifiers)
 *   epoch_us, epoch_ns  the same in micro- and nanoseconds
 *   minor_units        integer cents -> "19.90" ("scale", default 2)
 *   value_scale        {"value": 1990, "scale": 2} -> "19.90"
 *   duration           ISO 8601 "PT1H30M" -> seconds
 *   date_dmy           "31/12/2024" -> "2024-12-31"
 *   local_time         a wall-clock time in "timezone" -> RFC 3339 UTC
 *   base64             a document's content -> its bytes
 *   download           a document's URL -> its bytes (size-capped)
 * The value conversions are the core's (src/convert.c), one
 * implementation for every driver. A missing or null value leaves the
 * field out, as DESIGN.md asks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "rest.h"
#include "timefmt.h"

#define DOWNLOAD_CAP (16L << 20) /* a document's default size cap */

static const char *const converts[] = {
    "none",	"epoch_s",    "epoch_ms",    "epoch_us",    "epoch_ns",
    "decimal",	"string",     "minor_units", "value_scale", "duration",
    "date_dmy", "local_time", "base64",	     "download",    NULL};

int rest_map_check(px_source *s, const json_t *fields, const char *where,
		   px_error *err)
{
	const char *k;
	json_t *spec;

	if (!json_is_object(fields) || !json_object_size(fields))
		return px_error_set(err, PX_EXIT_CONFIG,
				    "%s: %s: source %s: expected an object "
				    "mapping schema fields to JSON pointers",
				    s->profile_path, where, s->cfg->name);
	json_object_foreach ((json_t *)fields, k, spec) {
		json_t *p =
		    json_is_object(spec) ? json_object_get(spec, "path") : spec;
		json_t *c = json_object_get(spec, "convert");
		json_t *vals = json_object_get(spec, "values");
		const char *cv = json_string_value(c);
		int ok = json_is_string(p) && (!json_string_length(p) ||
					       json_string_value(p)[0] == '/');
		size_t i;

		if (json_is_object(spec) && json_object_get(spec, "value") &&
		    !p)
			ok = 1; /* a constant */
		for (i = 0; c && converts[i]; i++)
			if (cv && !strcmp(cv, converts[i]))
				break;
		if (!ok || (c && !converts[i]) ||
		    (vals && !json_is_object(vals)) ||
		    (cv && (!strcmp(cv, "base64") || !strcmp(cv, "download")) &&
		     strcmp(k, "content")))
			return px_error_set(
			    err, PX_EXIT_CONFIG,
			    "%s: %s/%s: source %s: expected \"/pointer\" "
			    "or {\"path\": \"/pointer\", \"convert\": "
			    "epoch_s|epoch_ms|epoch_us|epoch_ns|decimal|string|"
			    "minor_units|value_scale|duration|date_dmy|"
			    "local_time|base64|download (base64 and download "
			    "only for \"content\"), \"values\": {...}} or "
			    "{\"value\": constant}",
			    s->profile_path, where, k, s->cfg->name);
		if (cv && !strcmp(cv, "local_time") &&
		    !json_is_string(json_object_get(spec, "timezone")) &&
		    !json_is_string(json_object_get(s->cfg->json, "timezone")))
			return px_error_set(
			    err, PX_EXIT_CONFIG,
			    "%s: %s/%s: source %s: local_time needs a "
			    "\"timezone\" (\"Europe/Paris\") here or in the "
			    "source",
			    s->profile_path, where, k, s->cfg->name);
		if (json_object_get(spec, "scale") &&
		    (!json_is_integer(json_object_get(spec, "scale")) ||
		     llabs(json_integer_value(json_object_get(spec, "scale"))) >
			 30))
			return px_error_set(
			    err, PX_EXIT_CONFIG,
			    "%s: %s/%s/scale: source %s: expected an integer "
			    "from -30 to 30",
			    s->profile_path, where, k, s->cfg->name);
	}
	return 0;
}

static int bad(px_source *s, const json_t *step, size_t n, const char *field,
	       const char *expected, const json_t *v, px_error *err)
{
	char *txt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	const char *dig = px_decimal_digits(v);

	px_error_set(err, PX_EXIT_DATA,
		     "source %s: collection %s: record %zu: field %s: "
		     "expected %s, got %.60s",
		     s->cfg->name,
		     json_string_value(json_object_get(step, "entity")), n,
		     field, expected,
		     dig   ? dig
		     : txt ? txt
			   : "?");
	free(txt);
	return -1;
}

/* Unix time in 1/per_s of a second (1 s, 1000 ms, 1e6 us, 1e9 ns; maybe
 * fractional) -> RFC 3339 in UTC, to the millisecond (rounded down). */
static json_t *epoch(const json_t *v, long double per_s)
{
	const char *dig = px_decimal_digits(v);
	long double x;
	int64_t t;
	char out[48], *e;

	if (json_is_integer(v)) {
		/* exact in integers: a long double may be a double (or
		 * emulated as one), too narrow for nanoseconds since 1970 */
		long long i = json_integer_value(v);
		long long per_ms =
		    per_s >= 1000.0L ? (long long)(per_s / 1000) : 0;

		if (per_ms) {
			t = i / per_ms - (i % per_ms < 0);
		} else {
			if (i < -62135596800LL || i > 253402300799LL)
				return NULL;
			t = i * 1000;
		}
		if (t < -62135596800000LL || t > 253402300799999LL)
			return NULL;
		px_rfc3339_from_epoch(t, 1, out, sizeof(out));
		return json_string(out);
	} else {
		if (!dig && json_is_string(v))
			dig = json_string_value(v);
		/* digits only: strtold would also take "nan", "inf", hex */
		if (!dig || !*dig ||
		    dig[strspn(dig, "-+.0123456789eE")] != '\0')
			return NULL;
		x = strtold(dig, &e);
		if (*e)
			return NULL;
	}
	x = x * 1000.0L / per_s;
	/* Years 1 to 9999 only: RFC 3339 has four digits. */
	if (x < -62135596800000.0L || x > 253402300799999.0L)
		return NULL;
	t = (int64_t)x;
	if ((long double)t > x)
		t--;
	px_rfc3339_from_epoch(t, 1, out, sizeof(out));
	return json_string(out);
}

static json_t *to_string(const json_t *v)
{
	const char *dig = px_decimal_digits(v);
	char buf[32];

	if (dig)
		return json_string(dig);
	if (json_is_string(v))
		return json_incref((json_t *)v);
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld",
			 (long long)json_integer_value(v));
		return json_string(buf);
	}
	if (json_is_boolean(v))
		return json_string(json_is_true(v) ? "true" : "false");
	return NULL;
}

static json_t *to_decimal(const json_t *v)
{
	char buf[32];

	if (px_decimal_digits(v))
		return json_incref((json_t *)v);
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld",
			 (long long)json_integer_value(v));
		return px_decimal_new(buf);
	}
	if (json_is_string(v))
		return px_decimal_new(json_string_value(v));
	return NULL;
}

/* A "values" table: the item's value (as text) -> the portex value. */
static json_t *translate(const json_t *spec, json_t *v)
{
	json_t *table = json_object_get(spec, "values"), *key, *hit;

	if (!table || !(key = to_string(v)))
		return v;
	hit = json_object_get(table, json_string_value(key));
	json_decref(key);
	return hit ? hit : v;
}

/* The text of an integer (any length) or NULL. */
static char *int_text(const json_t *v)
{
	char *t = rest_id_text(v);

	if (t &&
	    (!*t || t[strspn(t + (*t == '-'), "0123456789") + (*t == '-')])) {
		free(t);
		return NULL;
	}
	return t;
}

/* The core's value conversions (src/convert.c). */
static int value_conv(px_source *s, const json_t *step, size_t n,
		      const char *field, const json_t *spec, const char *conv,
		      const json_t *v, json_t *rec, px_error *err)
{
	char out[128];
	json_t *o = NULL;
	int rc = -1;

	if (!strcmp(conv, "minor_units") || !strcmp(conv, "value_scale")) {
		const json_t *val = v, *sc = json_object_get(spec, "scale");
		long long scale = 2;
		char *t;

		if (!strcmp(conv, "value_scale")) {
			val = json_object_get(v, "value");
			sc = json_object_get(v, "scale");
			if (!json_is_object(v) || rest_json_int(sc, &scale))
				return bad(s, step, n, field,
					   "{\"value\": integer, \"scale\": "
					   "integer}",
					   v, err);
		} else if (sc) {
			scale = json_integer_value(sc);
		}
		if (!(t = int_text(val)))
			return bad(s, step, n, field, "an integer amount", v,
				   err);
		rc = scale < -30 || scale > 30
			 ? -1
			 : px_conv_scaled(t, (int)scale, out, sizeof(out));
		free(t);
		if (rc)
			return bad(s, step, n, field,
				   "an amount and a scale of -30 to 30", v,
				   err);
		o = px_decimal_new(out);
	} else if (!strcmp(conv, "duration")) {
		if (!json_is_string(v) ||
		    px_conv_iso_duration(json_string_value(v), out,
					 sizeof(out)))
			return bad(s, step, n, field,
				   "an ISO 8601 duration (PT1H30M; no years "
				   "or months)",
				   v, err);
		o = px_decimal_new(out);
	} else if (!strcmp(conv, "date_dmy")) {
		if (!json_is_string(v) ||
		    px_conv_dmy(json_string_value(v), out, sizeof(out)))
			return bad(s, step, n, field, "a date dd/mm/yyyy", v,
				   err);
		o = json_string(out);
	} else {
		const char *zone =
		    json_string_value(json_object_get(spec, "timezone"));

		zone = zone ? zone
			    : json_string_value(
				  json_object_get(s->cfg->json, "timezone"));
		rc = json_is_string(v)
			 ? px_conv_local_time(json_string_value(v), zone, out,
					      sizeof(out))
			 : -1;
		if (rc == -2)
			return px_error_set(
			    err, PX_EXIT_CONFIG,
			    "source %s: collection %s: field "
			    "%s: unknown time zone \"%s\"",
			    s->cfg->name,
			    json_string_value(json_object_get(step, "entity")),
			    field, zone);
		if (rc)
			return bad(s, step, n, field,
				   "a local date and time that exists in the "
				   "zone",
				   v, err);
		o = json_string(out);
	}
	return !o || json_object_set_new(rec, field, o) ? px_error_oom(err) : 0;
}

/* A document's URL in the item, made absolute (curl_free it), and the
 * call that fetches it: on the partner's server with its credentials,
 * elsewhere (https only) without them; at most max_bytes. */
static int doc_request(px_source *s, const json_t *step, size_t n,
		       const json_t *spec, const json_t *v, char **url,
		       rest_call *c, px_error *err)
{
	json_t *cap = json_object_get(spec, "max_bytes");
	CURLU *u = curl_url();

	*url = NULL;
	memset(c, 0, sizeof(*c));
	if (!json_is_string(v)) {
		curl_url_cleanup(u);
		return bad(s, step, n, "content", "a download URL", v, err);
	}
	if (!u || curl_url_set(u, CURLUPART_URL, s->base_url, 0) ||
	    curl_url_set(u, CURLUPART_URL, json_string_value(v), 0) ||
	    curl_url_get(u, CURLUPART_URL, url, 0) || !rest_url_safe(*url)) {
		curl_url_cleanup(u);
		curl_free(*url);
		*url = NULL;
		return bad(s, step, n, "content",
			   "an https:// download URL (or a path)", v, err);
	}
	curl_url_cleanup(u);
	c->accept = "Accept: */*";
	c->max_body = json_is_integer(cap) && json_integer_value(cap) > 0
			  ? (long)json_integer_value(cap)
			  : DOWNLOAD_CAP;
	c->no_auth = !rest_same_origin(*url, s->base_url);
	return 0;
}

/* The work file a document of url was fetched ahead into, taken out of
 * the list; NULL when there is none. */
static FILE *ahead_file(px_source *s, const char *url)
{
	for (size_t i = 0; i < s->n_docs_ahead; i++)
		if (s->doc_urls[i] && !strcmp(s->doc_urls[i], url)) {
			free(s->doc_urls[i]);
			s->doc_urls[i] = NULL;
			return s->doc_files[i];
		}
	return NULL;
}

static void ahead_drop(px_source *s)
{
	for (size_t i = 0; i < s->n_docs_ahead; i++) {
		free(s->doc_urls[i]);
		s->doc_urls[i] = NULL;
	}
	s->n_docs_ahead = 0;
}

void rest_map_free(px_source *s)
{
	ahead_drop(s);
	for (size_t i = 0; i < REST_MAX_CONCURRENCY; i++)
		if (s->doc_files[i])
			fclose(s->doc_files[i]);
}

/* A document's bytes. They go to a work file, not to memory: the one it
 * was fetched ahead into, or the source's download file. */
static int download(px_source *s, const json_t *step, size_t n,
		    const json_t *spec, const json_t *v, FILE **file,
		    size_t *len, px_error *err)
{
	rest_call c;
	rest_resp r = {0};
	char *url = NULL, what[160];
	int rc = -1;

	snprintf(what, sizeof(what), "collection %s: record %zu: document",
		 json_string_value(json_object_get(step, "entity")), n);
	if (doc_request(s, step, n, spec, v, &url, &c, err))
		return -1;
	if (!(c.sink = ahead_file(s, url))) {
		if (!s->download && !(s->download = px_connector_file(
					  "a downloaded document", err)))
			goto out;
		c.sink = s->download;
	}
	if (!rest_request(s, url, what, &c, &r, err)) {
		*file = c.sink;
		*len = r.sunk;
		rc = 0;
	}
out:
	rest_resp_free(&r);
	curl_free(url);
	return rc;
}

struct content {
	FILE *file;	      /* a download (the source's), or NULL */
	unsigned char *bytes; /* owned, or NULL */
	const char *text;     /* borrowed from the item */
	size_t len;
};

/* The item's value for a field spec (a pointer, {path}, or {value}),
 * translated by its "values"; NULL when absent or null. Borrowed. */
static json_t *field_value(json_t *item, const json_t *spec)
{
	json_t *v;

	if (json_is_string(spec))
		v = rest_pointer(item, json_string_value(spec));
	else if (json_object_get(spec, "path"))
		v = rest_pointer(
		    item, json_string_value(json_object_get(spec, "path")));
	else
		v = json_object_get(spec, "value");
	return !v || json_is_null(v) ? NULL : translate(spec, v);
}

static int map_field(px_source *s, const json_t *step, json_t *item, size_t n,
		     const char *field, const json_t *spec, json_t *rec,
		     struct content *ct, px_error *err)
{
	const char *conv = json_string_value(json_object_get(spec, "convert"));
	json_t *v = field_value(item, spec), *out;

	if (!v)
		return 0;
	conv = conv ? conv : "none";
	if (!strcmp(field, "content") && !strcmp(conv, "download"))
		return download(s, step, n, spec, v, &ct->file, &ct->len, err);
	if (!strcmp(field, "content")) {
		if (!json_is_string(v))
			return bad(s, step, n, field, "a string", v, err);
		if (!strcmp(conv, "base64")) {
			ct->bytes =
			    rest_base64_decode(json_string_value(v),
					       json_string_length(v), &ct->len);
			if (!ct->bytes)
				return ct->len ? px_error_oom(err)
					       : bad(s, step, n, field,
						     "base64", v, err);
		} else {
			ct->text = json_string_value(v);
			ct->len = json_string_length(v);
		}
		return 0;
	}
	if (!strncmp(conv, "epoch_", 6))
		out = epoch(v, !strcmp(conv, "epoch_s")	   ? 1.0L
			       : !strcmp(conv, "epoch_ms") ? 1e3L
			       : !strcmp(conv, "epoch_us") ? 1e6L
							   : 1e9L);
	else if (!strcmp(conv, "minor_units") || !strcmp(conv, "value_scale") ||
		 !strcmp(conv, "duration") || !strcmp(conv, "date_dmy") ||
		 !strcmp(conv, "local_time"))
		return value_conv(s, step, n, field, spec, conv, v, rec, err);
	else if (!strcmp(conv, "decimal"))
		out = to_decimal(v);
	else if (!strcmp(conv, "string"))
		out = to_string(v);
	else
		out = json_incref(v);
	if (!out)
		return bad(s, step, n, field,
			   !strcmp(conv, "epoch_s")    ? "Unix time in seconds"
			   : !strcmp(conv, "epoch_ms") ? "Unix time in "
							 "milliseconds"
			   : !strcmp(conv, "epoch_us") ? "Unix time in "
							 "microseconds"
			   : !strcmp(conv, "epoch_ns") ? "Unix time in "
							 "nanoseconds"
			   : !strcmp(conv, "decimal")  ? "a number"
						       : "a string or number",
			   v, err);
	return json_object_set_new(rec, field, out) ? px_error_oom(err) : 0;
}

int rest_map_emit(px_source *s, const json_t *step, json_t *item, size_t n,
		  px_emit_fn emit, void *ctx, px_error *err)
{
	json_t *fields = json_object_get(step, "fields"), *spec;
	struct content ct = {0};
	px_record rec = {json_object(), NULL, 0, NULL};
	const char *k;
	int rc = 0;

	if (!rec.fields)
		return px_error_oom(err);
	if (!json_is_object(item)) {
		rc = bad(s, step, n, "(item)", "a JSON object", item, err);
		goto out;
	}
	json_object_foreach (fields, k, spec) {
		if ((rc = map_field(s, step, item, n, k, spec, rec.fields, &ct,
				    err)))
			goto out;
	}
	if (ct.bytes || ct.text) {
		rec.content =
		    ct.bytes ? ct.bytes : (const unsigned char *)ct.text;
		rec.content_len = ct.len;
	}
	if (ct.file) {
		rec.content_file = ct.file;
		rec.content_len = ct.len;
	}
	rc = emit(ctx, &rec, err) ? -1 : 0;
out:
	free(ct.bytes);
	json_decref(rec.fields);
	return rc;
}

int rest_map_docs_ahead(px_source *s, const json_t *step, json_t *items,
			size_t from, size_t k, px_error *err)
{
	const json_t *spec =
	    json_object_get(json_object_get(step, "fields"), "content");
	const char *conv = json_string_value(json_object_get(spec, "convert"));
	char *urls[REST_MAX_CONCURRENCY] = {0};
	rest_call cs[REST_MAX_CONCURRENCY];
	const rest_call *calls[REST_MAX_CONCURRENCY];
	size_t m = 0;
	int rc = 0;

	ahead_drop(s);
	if (!conv || strcmp(conv, "download"))
		return 0;
	for (size_t i = from; i < from + k && m < REST_MAX_CONCURRENCY; i++) {
		json_t *v = field_value(json_array_get(items, i), spec);
		px_error scratch = PX_ERROR_INIT;

		/* a bad URL is told when its record is mapped */
		if (!v || doc_request(s, step, i + 1, spec, v, &urls[m], &cs[m],
				      &scratch))
			continue;
		if (!s->doc_files[m] && !(s->doc_files[m] = px_connector_file(
					      "a downloaded document", err))) {
			rc = -1;
			break;
		}
		cs[m].sink = s->doc_files[m];
		calls[m] = &cs[m];
		if (!(s->doc_urls[m] = strdup(urls[m]))) {
			rc = px_error_oom(err);
			break;
		}
		s->n_docs_ahead = ++m;
	}
	if (!rc && m > 1)
		rc = rest_prefetch(s, m, urls, calls, "documents", err);
	if (m < 2)
		ahead_drop(s);
	for (size_t i = 0; i < REST_MAX_CONCURRENCY; i++)
		curl_free(urls[i]);
	return rc;
}
