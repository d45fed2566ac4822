/*
 * normalise.c - coerces the values a driver found into the shapes the
 * schemas promise. Only unambiguous conversions happen here (a SQLite
 * integer 1 to true for a boolean field, "2026-01-05 10:00:00+01" to
 * "2026-01-05T09:00:00Z"); anything else is left for the validator to
 * reject with the field named.
 */
#include "normalise.h"
#include "schema/pattern_fast.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "jsonout.h"
#include "portex/connector.h"
#include "timefmt.h"

static const char *schema_str(const json_t *s, const char *key)
{
	return json_string_value(json_object_get(s, key));
}

static json_t *to_string(const json_t *v, int decimal)
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
		if (decimal && fabs(d * 100 - round(d * 100)) < 1e-6)
			snprintf(buf, sizeof(buf), "%.2f", d);
		else
			px_real_text(d, buf, sizeof(buf));
		return json_string(buf);
	}
	return NULL;
}

static json_t *coerce(const json_t *schema, json_t *v, int parse_json,
		      const px_tz *tz, char *why, size_t whysz);

/* A timestamp's text (with an offset, or without: read in tz, NULL
 * meaning UTC) as RFC 3339 UTC in out. 0, or not 0 when it is none. */
static int utc_text(const char *s, const px_tz *tz, char *out, size_t outsz)
{
	return tz ? px_conv_zoned_time(s, tz, out, outsz)
		  : px_rfc3339_utc(s, out, outsz);
}

/* tz: the zone a text without offset is read in (NULL: UTC). */
static json_t *coerce_timestamp(json_t *v, const px_tz *tz, char *why,
				size_t whysz)
{
	char out[48];

	if (json_is_integer(v)) {
		/* Epoch seconds: how SQLite applications often store time. */
		px_rfc3339_from_epoch(json_integer_value(v), 0, out,
				      sizeof(out));
		return json_string(out);
	}
	if (json_is_string(v) && !px_decimal_digits(v)) {
		if (px_is_rfc3339_utc(json_string_value(v),
				      json_string_length(v)))
			return json_incref(v);
		if (!utc_text(json_string_value(v), tz, out, sizeof(out)))
			return json_string(out);
		if (tz) {
			snprintf(why, whysz,
				 "expected a timestamp (RFC 3339, or "
				 "YYYY-MM-DD HH:MM:SS in %s) that exists "
				 "there, got \"%.40s\"",
				 px_tz_name(tz), json_string_value(v));
			return NULL;
		}
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
	parsed = px_json_load_exact(json_string_value(v), json_string_length(v),
				    JSON_DECODE_ANY, &jerr, NULL);
	if (!parsed)
		snprintf(why, whysz, "expected JSON text: %s at column %d",
			 jerr.text, jerr.column);
	return parsed;
}

static json_t *coerce_children(const json_t *schema, json_t *v, const px_tz *tz,
			       char *why, size_t whysz)
{
	const json_t *props = json_object_get(schema, "properties");
	const json_t *items = json_object_get(schema, "items");
	char sub[256];

	if (json_is_array(v) && json_is_object(items)) {
		json_t *out = json_array(), *e;
		size_t i;
		json_array_foreach (v, i, e) {
			json_t *c = coerce(items, e, 0, tz, sub, sizeof(sub));
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
		json_object_foreach (v, k, e) {
			const json_t *ps = json_object_get(props, k);
			json_t *c = ps ? coerce(ps, e, 0, tz, sub, sizeof(sub))
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

/* What a field's schema asks for, worked out once per collection rather
 * than once per value. */
enum kind {
	K_ANY,
	K_JSON, /* listed in the collection's "json": parse text */
	K_TIMESTAMP,
	K_DATE,
	K_STRING,
	K_DECIMAL, /* money: a decimal string */
	K_BOOLEAN,
	K_INTEGER,
	K_NUMBER,
	K_CONTAINER, /* array or object: parse text, coerce children */
};

static int has_type(const json_t *schema, const char *t)
{
	const json_t *type = json_object_get(schema, "type"), *e;
	size_t i;

	if (json_is_string(type))
		return !strcmp(json_string_value(type), t);
	json_array_foreach (type, i, e) {
		if (!strcmp(json_string_value(e), t))
			return 1;
	}
	return 0;
}

static enum kind kind_of(const json_t *schema)
{
	const char *format = schema_str(schema, "format");

	if (format && !strcmp(format, "date-time"))
		return K_TIMESTAMP;
	if (format && !strcmp(format, "date"))
		return K_DATE;
	if (has_type(schema, "string")) {
		/* Money is a string with the decimal pattern (ajv-strict
		 * schemas have no "decimal" format any more). */
		const char *pattern = schema_str(schema, "pattern");

		return (format && !strcmp(format, "decimal")) ||
			       (pattern && !strcmp(pattern, PX_DECIMAL_PATTERN))
			   ? K_DECIMAL
			   : K_STRING;
	}
	if (has_type(schema, "boolean"))
		return K_BOOLEAN;
	if (has_type(schema, "integer"))
		return K_INTEGER;
	if (has_type(schema, "number"))
		return K_NUMBER;
	if (has_type(schema, "array") || has_type(schema, "object"))
		return K_CONTAINER;
	return K_ANY;
}

static json_t *coerce_boolean(json_t *v)
{
	if (json_is_integer(v) &&
	    (json_integer_value(v) == 0 || json_integer_value(v) == 1))
		return json_boolean(json_integer_value(v));
	if (json_is_string(v) && !px_decimal_digits(v)) {
		const char *s = json_string_value(v);
		if (!strcmp(s, "true") || !strcmp(s, "t"))
			return json_true();
		if (!strcmp(s, "false") || !strcmp(s, "f"))
			return json_false();
	}
	return json_incref(v);
}

static json_t *coerce_number(json_t *v, int integer)
{
	const char *digits = px_decimal_digits(v);
	const char *text =
	    digits ? digits : (json_is_string(v) ? json_string_value(v) : NULL);

	if (json_is_integer(v))
		return json_incref(v);
	if (text && integer && !strpbrk(text, ".eE")) {
		char *end;
		long long n;

		errno = 0;
		n = strtoll(text, &end, 10);
		if (!*end && *text && errno != ERANGE)
			return json_integer(n);
		/* Past 64 bits: the same digits, exact, never clamped. */
		if (errno == ERANGE && !*end)
			return digits ? json_incref(v) : px_decimal_new(text);
	}
	if (text && !digits && !integer) {
		json_t *d = px_decimal_new(text);
		if (d)
			return d;
	}
	if (json_is_real(v) && integer &&
	    json_real_value(v) == floor(json_real_value(v)) &&
	    fabs(json_real_value(v)) < 9e15)
		return json_integer((json_int_t)json_real_value(v));
	return json_incref(v);
}

/* Returns a new reference (possibly v itself) or NULL with `why` set. On
 * a nested failure `why` starts with the JSON pointer below this value. */
static json_t *coerce_kind(enum kind k, const json_t *schema, json_t *v,
			   const px_tz *tz, char *why, size_t whysz)
{
	json_t *p, *c;

	why[0] = '\0';
	switch (k) {
	case K_JSON:
		return parse_text(v, why, whysz);
	case K_TIMESTAMP:
		return coerce_timestamp(v, tz, why, whysz);
	case K_DATE:
		return coerce_date(v, why, whysz);
	case K_STRING:
	case K_DECIMAL:
		if (json_is_string(v) && !px_decimal_digits(v))
			return json_incref(v);
		c = to_string(v, k == K_DECIMAL);
		return c ? c : json_incref(v);
	case K_BOOLEAN:
		return coerce_boolean(v);
	case K_INTEGER:
	case K_NUMBER:
		return coerce_number(v, k == K_INTEGER);
	case K_CONTAINER:
		if (!(p = parse_text(v, why, whysz)))
			return NULL;
		c = coerce_children(schema, p, tz, why, whysz);
		json_decref(p);
		return c;
	case K_ANY:
		break;
	}
	return json_incref(v);
}

static json_t *coerce(const json_t *schema, json_t *v, int parse_json,
		      const px_tz *tz, char *why, size_t whysz)
{
	return coerce_kind(parse_json ? K_JSON : kind_of(schema), schema, v, tz,
			   why, whysz);
}

/* Money counted in minor units (1990 cents): the same digits with the
 * decimal point `scale` places in ("19.90"), by the conversion REST's
 * "minor_units" uses (convert.c). Only whole numbers are counts. */
static json_t *coerce_minor_units(json_t *v, int scale, char *why, size_t whysz)
{
	const char *digits = px_decimal_digits(v);
	char text[64], out[160];
	const char *in = NULL;

	if (json_is_integer(v)) {
		snprintf(text, sizeof(text), "%lld",
			 (long long)json_integer_value(v));
		in = text;
	} else if (digits || json_is_string(v)) {
		in = digits ? digits : json_string_value(v);
	} else if (json_is_real(v) && isfinite(json_real_value(v)) &&
		   json_real_value(v) == floor(json_real_value(v)) &&
		   fabs(json_real_value(v)) < 9e15) {
		/* A float column holding whole cents (1990.0). */
		snprintf(text, sizeof(text), "%.0f", json_real_value(v));
		in = text;
	}
	if (in && !px_conv_scaled(in, scale, out, sizeof(out)))
		return json_string(out);
	if (json_is_real(v))
		px_real_text(json_real_value(v), text, sizeof(text));
	snprintf(why, whysz,
		 "expected a whole number of minor units (\"minor_units\": "
		 "%d), got %.60s",
		 scale,
		 in		   ? in
		 : json_is_real(v) ? text
				   : "a value that is not a number");
	return NULL;
}

struct field {
	const char *name; /* borrowed from the schema */
	const json_t *schema;
	enum kind kind;
	int scaled, scale; /* money in minor units, 10^scale per unit */
};

struct px_normaliser {
	const json_t *props;
	struct field *fields;
	size_t n;
	json_t *source, *category;
	/* for timestamps without an offset (shared, never freed); NULL: UTC */
	const px_tz *tz;
};

static int listed(const json_t *list, const char *name)
{
	const json_t *e;
	size_t i;

	json_array_foreach (list, i, e) {
		if (!strcmp(json_string_value(e), name))
			return 1;
	}
	return 0;
}

px_normaliser *px_normaliser_new(const json_t *record_schema,
				 const json_t *json_cols, const char *source,
				 const char *category)
{
	const json_t *props = json_object_get(record_schema, "properties");
	px_normaliser *n = calloc(1, sizeof(*n));
	const char *k;
	json_t *v;

	if (!n)
		return NULL;
	n->props = props;
	n->fields = calloc(json_object_size(props) + 1, sizeof(*n->fields));
	n->source = json_string(source);
	n->category = json_string(category);
	if (!n->fields || !n->source || !n->category) {
		px_normaliser_free(n);
		return NULL;
	}
	json_object_foreach ((json_t *)props, k, v) {
		/* portex sets these two; a source cannot. */
		if (!strcmp(k, "source") || !strcmp(k, "category"))
			continue;
		n->fields[n->n].name = k;
		n->fields[n->n].schema = v;
		n->fields[n->n].kind =
		    listed(json_cols, k) ? K_JSON : kind_of(v);
		n->n++;
	}
	return n;
}

void px_normaliser_free(px_normaliser *n)
{
	if (!n)
		return;
	free(n->fields);
	json_decref(n->source);
	json_decref(n->category);
	free(n);
}

/* One field's value, coerced: a new reference or NULL with err set. */
static json_t *coerce_field(const px_normaliser *n, const struct field *f,
			    json_t *v, px_error *err)
{
	char why[512];
	json_t *c =
	    f->scaled
		? coerce_minor_units(v, f->scale, why, sizeof(why))
		: coerce_kind(f->kind, f->schema, v, n->tz, why, sizeof(why));

	if (!c)
		px_error_set(err, PX_EXIT_DATA, "field %s%s%s", f->name,
			     why[0] == '/' ? "" : ": ", why);
	return c;
}

int px_normaliser_apply(px_normaliser *n, json_t *fields, px_error *err)
{
	for (size_t i = 0; i < n->n; i++) {
		const struct field *f = &n->fields[i];
		json_t *in = json_object_get(fields, f->name), *c;

		if (!in)
			continue;
		if (json_is_null(in)) { /* absent values are left out */
			json_object_del(fields, f->name);
			continue;
		}
		if (!(c = coerce_field(n, f, in, err)))
			return -1;
		if (c == in) {
			json_decref(c);
			continue;
		}
		if (json_object_set_new_nocheck(fields, f->name, c))
			return px_error_oom(err);
	}
	if (json_object_set_nocheck(fields, "source", n->source) ||
	    json_object_set_nocheck(fields, "category", n->category))
		return px_error_oom(err);
	return 0;
}

static const struct field *field_named(const px_normaliser *n, const char *name)
{
	for (size_t i = 0; i < n->n; i++)
		if (!strcmp(n->fields[i].name, name))
			return &n->fields[i];
	return NULL;
}

px_nkind px_normaliser_kind(const px_normaliser *n, const char *field)
{
	static const px_nkind map[] = {
	    [K_ANY] = PX_NK_ANY,
	    [K_JSON] = PX_NK_JSON,
	    [K_TIMESTAMP] = PX_NK_TIMESTAMP,
	    [K_DATE] = PX_NK_DATE,
	    [K_STRING] = PX_NK_STRING,
	    [K_DECIMAL] = PX_NK_DECIMAL,
	    [K_BOOLEAN] = PX_NK_BOOLEAN,
	    [K_INTEGER] = PX_NK_INTEGER,
	    [K_NUMBER] = PX_NK_NUMBER,
	    [K_CONTAINER] = PX_NK_CONTAINER,
	};
	const struct field *f = field_named(n, field);

	return f ? map[f->kind] : PX_NK_NONE;
}

json_t *px_normaliser_coerce(const px_normaliser *n, const char *field,
			     json_t *v, px_error *err)
{
	const struct field *f = field_named(n, field);

	if (!f) {
		px_error_set(err, PX_EXIT_SOFTWARE,
			     "field %s: not in the schema", field);
		return NULL;
	}
	return coerce_field(n, f, v, err);
}

int px_normaliser_timestamp(const px_normaliser *n, const char *s, char *out,
			    size_t outsz)
{
	return utc_text(s, n->tz, out, outsz) ? 1 : 0;
}

int px_normaliser_set_zone(px_normaliser *n, const char *zone, px_error *err)
{
	const px_tz *tz = zone ? px_tz_shared(zone) : NULL;

	if (!tz)
		return px_error_set(err, PX_EXIT_CONFIG,
				    "unknown time zone \"%s\" (expected an "
				    "IANA name such as \"Europe/Paris\")",
				    zone ? zone : "");
	n->tz = tz;
	return 0;
}

int px_normaliser_set_minor_units(px_normaliser *n, const char *field,
				  int scale, px_error *err)
{
	struct field *f = (struct field *)field_named(n, field);

	if (!f)
		return px_error_set(err, PX_EXIT_CONFIG,
				    "\"%s\" is not a field of the entity",
				    field);
	if (f->kind != K_DECIMAL)
		return px_error_set(err, PX_EXIT_CONFIG,
				    "field %s is not money (a decimal string): "
				    "minor units do not apply",
				    field);
	if (scale < 0 || scale > 30)
		return px_error_set(err, PX_EXIT_CONFIG,
				    "field %s: %d minor-unit digits: expected "
				    "0 to 30",
				    field, scale);
	f->scaled = 1;
	f->scale = scale;
	return 0;
}

const json_t *px_normaliser_source(const px_normaliser *n)
{
	return n->source;
}

const json_t *px_normaliser_category(const px_normaliser *n)
{
	return n->category;
}
