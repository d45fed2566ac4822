/*
 * normalise.c - coerces the values a driver found into the shapes the
 * schemas promise. Only unambiguous conversions happen here (a SQLite
 * integer 1 to true for a boolean field, "2026-01-05 10:00:00+01" to
 * "2026-01-05T09:00:00Z"); anything else is left for the validator to
 * reject with the field named.
 */
#include "normalise.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portex/connector.h"
#include "timefmt.h"

static const char *schema_str(const json_t *s, const char *key)
{
	return json_string_value(json_object_get(s, key));
}

/* Shortest text that reads back as the same double. */
static void real_text(double d, char *buf, size_t n)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
}

static json_t *to_string(const json_t *v, const char *format)
{
	char buf[64];
	const char *digits = px_decimal_digits(v);

	if (digits)
		return json_string(digits);
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld",
			 (long long)json_integer_value(v));
		return json_string(buf);
	}
	if (json_is_real(v) && isfinite(json_real_value(v))) {
		double d = json_real_value(v);
		/* Money read from a float column: cents are what it meant. */
		if (format && !strcmp(format, "decimal") &&
		    fabs(d * 100 - round(d * 100)) < 1e-6)
			snprintf(buf, sizeof(buf), "%.2f", d);
		else
			real_text(d, buf, sizeof(buf));
		return json_string(buf);
	}
	return NULL;
}

static json_t *coerce(const json_t *schema, json_t *v, int parse_json,
		      char *why, size_t whysz);

static json_t *coerce_timestamp(json_t *v, char *why, size_t whysz)
{
	char out[48];

	if (json_is_integer(v)) {
		/* Epoch seconds: how SQLite applications often store time. */
		px_rfc3339_from_epoch(json_integer_value(v), 0, out,
				      sizeof(out));
		return json_string(out);
	}
	if (json_is_string(v) && !px_decimal_digits(v)) {
		if (!px_rfc3339_utc(json_string_value(v), out, sizeof(out)))
			return json_string(out);
		snprintf(why, whysz,
			 "expected a timestamp (RFC 3339, or YYYY-MM-DD "
			 "HH:MM:SS in UTC), got \"%.40s\"",
			 json_string_value(v));
		return NULL;
	}
	return json_incref(v);
}

static json_t *coerce_date(json_t *v, char *why, size_t whysz)
{
	char out[16];

	if (!json_is_string(v) || px_decimal_digits(v))
		return json_incref(v);
	if (!px_date_only(json_string_value(v), out, sizeof(out)))
		return json_string(out);
	snprintf(why, whysz, "expected a date YYYY-MM-DD, got \"%.40s\"",
		 json_string_value(v));
	return NULL;
}

static json_t *parse_text(json_t *v, char *why, size_t whysz)
{
	json_error_t jerr;
	json_t *parsed;

	if (!json_is_string(v) || px_decimal_digits(v))
		return json_incref(v);
	parsed = json_loadb(json_string_value(v), json_string_length(v),
			    JSON_DECODE_ANY, &jerr);
	if (!parsed)
		snprintf(why, whysz, "expected JSON text: %s at column %d",
			 jerr.text, jerr.column);
	return parsed;
}

static json_t *coerce_children(const json_t *schema, json_t *v, char *why,
			       size_t whysz)
{
	const json_t *props = json_object_get(schema, "properties");
	const json_t *items = json_object_get(schema, "items");
	char sub[256];

	if (json_is_array(v) && json_is_object(items)) {
		json_t *out = json_array(), *e;
		size_t i;
		json_array_foreach(v, i, e)
		{
			json_t *c = coerce(items, e, 0, sub, sizeof(sub));
			if (!c) {
				snprintf(why, whysz, "/%zu%s%s", i,
					 sub[0] == '/' ? "" : ": ", sub);
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, c);
		}
		return out;
	}
	if (json_is_object(v) && json_is_object(props)) {
		json_t *out = json_object(), *e;
		const char *k;
		json_object_foreach(v, k, e)
		{
			const json_t *ps = json_object_get(props, k);
			json_t *c = ps ? coerce(ps, e, 0, sub, sizeof(sub))
				       : json_incref(e);
			if (!c) {
				snprintf(why, whysz, "/%s%s%s", k,
					 sub[0] == '/' ? "" : ": ", sub);
				json_decref(out);
				return NULL;
			}
			json_object_set_new(out, k, c);
		}
		return out;
	}
	return json_incref(v);
}

static int has_type(const json_t *schema, const char *t)
{
	const json_t *type = json_object_get(schema, "type"), *e;
	size_t i;

	if (json_is_string(type))
		return !strcmp(json_string_value(type), t);
	json_array_foreach(type, i,
			   e) if (!strcmp(json_string_value(e), t)) return 1;
	return 0;
}

/* Returns a new reference (possibly v itself) or NULL with `why` set. On
 * a nested failure `why` starts with the JSON pointer below this value. */
static json_t *coerce(const json_t *schema, json_t *v, int parse_json,
		      char *why, size_t whysz)
{
	const char *format = schema_str(schema, "format");
	const char *digits = px_decimal_digits(v);

	why[0] = '\0';
	if (parse_json)
		return parse_text(v, why, whysz);
	if (format && !strcmp(format, "date-time"))
		return coerce_timestamp(v, why, whysz);
	if (format && !strcmp(format, "date"))
		return coerce_date(v, why, whysz);
	if (has_type(schema, "string")) {
		json_t *s = to_string(v, format);
		return s ? s : json_incref(v);
	}
	if (has_type(schema, "boolean")) {
		if (json_is_integer(v) &&
		    (json_integer_value(v) == 0 || json_integer_value(v) == 1))
			return json_boolean(json_integer_value(v));
		if (json_is_string(v) && !digits) {
			const char *s = json_string_value(v);
			if (!strcmp(s, "true") || !strcmp(s, "t"))
				return json_true();
			if (!strcmp(s, "false") || !strcmp(s, "f"))
				return json_false();
		}
		return json_incref(v);
	}
	if (has_type(schema, "integer") || has_type(schema, "number")) {
		const char *text =
		    digits ? digits
			   : (json_is_string(v) ? json_string_value(v) : NULL);
		if (text && has_type(schema, "integer") &&
		    !strpbrk(text, ".eE")) {
			char *end;
			long long n = strtoll(text, &end, 10);
			if (!*end)
				return json_integer(n);
		}
		if (text && !digits && has_type(schema, "number")) {
			json_t *d = px_decimal_new(text);
			if (d)
				return d;
		}
		if (json_is_real(v) && has_type(schema, "integer") &&
		    json_real_value(v) == floor(json_real_value(v)) &&
		    fabs(json_real_value(v)) < 9e15)
			return json_integer((json_int_t)json_real_value(v));
		return json_incref(v);
	}
	if (has_type(schema, "array") || has_type(schema, "object")) {
		json_t *p = parse_text(v, why, whysz), *c;
		if (!p)
			return NULL;
		c = coerce_children(schema, p, why, whysz);
		json_decref(p);
		return c;
	}
	return json_incref(v);
}

static int listed(const json_t *list, const char *name)
{
	const json_t *e;
	size_t i;

	json_array_foreach(list, i,
			   e) if (!strcmp(json_string_value(e), name)) return 1;
	return 0;
}

static int put(json_t *out, const json_t *schema, const char *name, json_t *v,
	       int parse, px_error *err)
{
	char why[512];
	json_t *c = coerce(schema, v, parse, why, sizeof(why));

	if (!c) {
		return px_error_set(err, PX_EXIT_DATA, "field %s%s%s", name,
				    why[0] == '/' ? "" : ": ", why);
	}
	return json_object_set_new(out, name, c) ? px_error_oom(err) : 0;
}

json_t *px_normalise(const json_t *record_schema, const json_t *fields,
		     const json_t *json_cols, const char *source,
		     const char *category, px_error *err)
{
	const json_t *props = json_object_get(record_schema, "properties");
	json_t *out = json_object(), *v;
	const char *k;

	if (!out) {
		px_error_oom(err);
		return NULL;
	}
	/* Schema order first, so every file reads the same way. */
	json_object_foreach((json_t *)props, k, v)
	{
		json_t *in = json_object_get(fields, k);
		if (!in || json_is_null(in) || !strcmp(k, "source") ||
		    !strcmp(k, "category"))
			continue;
		if (put(out, v, k, in, listed(json_cols, k), err))
			goto fail;
	}
	json_object_foreach((json_t *)fields, k, v)
	{
		if (!json_object_get(props, k) && json_object_set(out, k, v)) {
			px_error_oom(err);
			goto fail;
		}
	}
	if (json_object_set_new(out, "source", json_string(source)) ||
	    json_object_set_new(out, "category", json_string(category))) {
		px_error_oom(err);
		goto fail;
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}
