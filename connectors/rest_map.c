/*
 * rest_map.c - from a partner's item to a portex record, as an endpoint's
 * "fields" map says: each schema field names a JSON pointer into the item
 * (or a constant), optionally a table of values and a conversion:
 *   epoch_s, epoch_ms  a Unix time -> RFC 3339 UTC ("...Z")
 *   decimal            a number -> its exact digits as a decimal
 *   string             a number or boolean -> its text (identifiers)
 *   base64             a document's content -> its bytes
 * A missing or null value leaves the field out, as DESIGN.md asks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest.h"
#include "timefmt.h"

static const char *const converts[] = {
    "none", "epoch_s", "epoch_ms", "decimal", "string", "base64", NULL};

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
		    (cv && !strcmp(cv, "base64") && strcmp(k, "content")))
			return px_error_set(
			    err, PX_EXIT_CONFIG,
			    "%s: %s/%s: source %s: expected \"/pointer\" "
			    "or {\"path\": \"/pointer\", \"convert\": "
			    "epoch_s|epoch_ms|decimal|string|base64 (base64 "
			    "only for \"content\"), \"values\": {...}} or "
			    "{\"value\": constant}",
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

/* Unix time (seconds or ms, maybe fractional) -> RFC 3339 in UTC, to the
 * millisecond (rounded down). */
static json_t *epoch(const json_t *v, int ms)
{
	const char *dig = px_decimal_digits(v);
	long double x;
	int64_t t;
	char out[48], *e;

	if (json_is_integer(v)) {
		x = (long double)json_integer_value(v);
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
	if (!ms)
		x *= 1000;
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

struct content {
	unsigned char *bytes; /* owned, or NULL */
	const char *text;     /* borrowed from the item */
	size_t len;
};

static int map_field(px_source *s, const json_t *step, json_t *item, size_t n,
		     const char *field, const json_t *spec, json_t *rec,
		     struct content *ct, px_error *err)
{
	const char *conv = json_string_value(json_object_get(spec, "convert"));
	json_t *v, *out;

	if (json_is_string(spec))
		v = rest_pointer(item, json_string_value(spec));
	else if (json_object_get(spec, "path"))
		v = rest_pointer(
		    item, json_string_value(json_object_get(spec, "path")));
	else
		v = json_object_get(spec, "value");
	if (!v || json_is_null(v))
		return 0;
	v = translate(spec, v);
	conv = conv ? conv : "none";
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
	if (!strcmp(conv, "epoch_s") || !strcmp(conv, "epoch_ms"))
		out = epoch(v, conv[6] == 'm');
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
	px_record rec = {json_object(), NULL, 0};
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
	rc = emit(ctx, &rec, err) ? -1 : 0;
out:
	free(ct.bytes);
	json_decref(rec.fields);
	return rc;
}
