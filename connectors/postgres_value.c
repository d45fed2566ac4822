/*
 * postgres_value.c - PostgreSQL values (text output format) to JSON, by
 * column type. Numbers keep their exact digits, timestamps become RFC 3339
 * UTC, json/jsonb become nested JSON.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"
#include "portex/connector.h"
#include "postgres.h"

/* Built-in type OIDs (src/include/catalog/pg_type.dat); stable across
 * PostgreSQL versions, and the server headers are not a build dependency. */
enum {
	OID_BOOL = 16,
	OID_BYTEA = 17,
	OID_INT8 = 20,
	OID_INT2 = 21,
	OID_INT4 = 23,
	OID_OID = 26,
	OID_JSON = 114,
	OID_FLOAT4 = 700,
	OID_FLOAT8 = 701,
	OID_TIMESTAMP = 1114,
	OID_TIMESTAMPTZ = 1184,
	OID_NUMERIC = 1700,
	OID_JSONB = 3802,
};

enum px_pg_kind px_pg_kind_of(Oid type, int utf8_checked)
{
	switch (type) {
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
		return PX_PG_INTEGER;
	case OID_NUMERIC:
		return PX_PG_NUMERIC;
	case OID_FLOAT4:
	case OID_FLOAT8:
		return PX_PG_FLOAT;
	case OID_BOOL:
		return PX_PG_BOOL;
	case OID_TIMESTAMPTZ:
		return PX_PG_TIMESTAMP;
	/* A timestamp without time zone is a wall-clock time: its text
	 * (ASCII, "2026-01-05 09:00:00[.25]") goes to the normaliser as a
	 * text column's would, read in the declared "timezone" (UTC when
	 * none) - never taken to be UTC behind the declaration's back. */
	case OID_TIMESTAMP:
		return PX_PG_UTF8;
	case OID_JSON:
	case OID_JSONB:
		return PX_PG_JSON;
	case OID_BYTEA:
		return PX_PG_BYTEA;
	default:
		return utf8_checked ? PX_PG_UTF8 : PX_PG_STRING;
	}
}

/* n digits at s? */
static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* With TimeZone UTC and DateStyle ISO the server writes timestamptz as
 * "2026-01-05 09:00:00[.123456]+00". Anything else
 * (infinity, BC, years past 9999) is passed on as text for the normaliser
 * to reject with the field's name. */
static size_t timestamp_text(const char *t, size_t len, char buf[40])
{
	size_t end = len;

	if (len >= 3 && !strcmp(t + len - 3, "+00"))
		end = len - 3;
	if (end < 19 || end >= 40 - 1 || !digits(t, 4) || t[4] != '-' ||
	    !digits(t + 5, 2) || t[7] != '-' || !digits(t + 8, 2) ||
	    t[10] != ' ' || !digits(t + 11, 2) || t[13] != ':' ||
	    !digits(t + 14, 2) || t[16] != ':' || !digits(t + 17, 2) ||
	    (end > 19 &&
	     (t[19] != '.' || end == 20 || !digits(t + 20, end - 20))))
		return 0;
	memcpy(buf, t, end);
	buf[10] = 'T';
	buf[end] = 'Z';
	buf[end + 1] = '\0';
	return end + 1;
}

static json_t *timestamp_json(const char *t, size_t len)
{
	char buf[40];
	size_t n = timestamp_text(t, len, buf);

	return n ? json_stringn(buf, n) : json_stringn(t, len);
}

static json_t *integer_json(const char *t, const char **why)
{
	char *e;
	long long v;

	errno = 0;
	v = strtoll(t, &e, 10);
	if (errno || e == t || *e) {
		*why = "not an integer portex can hold";
		return NULL;
	}
	return json_integer(v);
}

static json_t *float_json(const char *t, const char **why)
{
	char *e;
	double v = strtod(t, &e);
	json_t *j;

	/* NaN and infinities have no JSON form; jansson refuses them. */
	if (e == t || *e || !(j = json_real(v))) {
		*why = "a float JSON cannot represent (NaN or infinity)";
		return NULL;
	}
	return j;
}

int px_pg_cell(enum px_pg_kind kind, const char *text, size_t len, px_cell *out,
	       char ts[40])
{
	char *e;

	out->text = text;
	out->len = len;
	switch (kind) {
	case PX_PG_INTEGER:
		errno = 0;
		out->type = PX_CELL_INTEGER;
		out->i = strtoll(text, &e, 10);
		return errno || e == text || *e ? -1 : 0;
	case PX_PG_NUMERIC:
		out->type = PX_CELL_DECIMAL;
		return 0;
	case PX_PG_FLOAT:
		out->type = PX_CELL_REAL;
		out->d = strtod(text, &e);
		return e == text || *e || !isfinite(out->d) ? -1 : 0;
	case PX_PG_BOOL:
		out->type = PX_CELL_BOOL;
		out->i = text[0] == 't';
		return 0;
	case PX_PG_TIMESTAMP:
		out->type = PX_CELL_TEXT;
		if ((out->len = timestamp_text(text, len, ts)))
			out->text = ts;
		else
			out->len = len;
		return 0;
	case PX_PG_JSON:
		out->type = PX_CELL_JSON;
		return 0;
	case PX_PG_BYTEA:
		out->type = PX_CELL_BLOB;
		return 0;
	default:
		out->type = PX_CELL_TEXT;
		return 0;
	}
}

json_t *px_pg_value(enum px_pg_kind kind, const char *text, size_t len,
		    const char **why)
{
	json_t *v;
	json_error_t jerr;

	switch (kind) {
	case PX_PG_INTEGER:
		return integer_json(text, why);
	case PX_PG_NUMERIC:
		if (!(v = px_decimal_new(text)))
			*why = "a numeric JSON cannot represent (NaN or "
			       "infinity)";
		return v;
	case PX_PG_FLOAT:
		return float_json(text, why);
	case PX_PG_BOOL:
		return json_boolean(text[0] == 't');
	case PX_PG_TIMESTAMP:
		if (!(v = timestamp_json(text, len)))
			*why = "not valid UTF-8";
		return v;
	case PX_PG_JSON:
		if (!(v = px_json_load_exact(text, len, JSON_DECODE_ANY, &jerr,
					     NULL)))
			*why = "JSON portex cannot read (a \\u0000 in a "
			       "string?)";
		return v;
	case PX_PG_BYTEA:
		*why = "bytes; only a document's \"content\" column may hold "
		       "them";
		return NULL;
	case PX_PG_UTF8:
		/* PostgreSQL text never holds NUL; a decimal's marker is
		 * safe. Skipping the second UTF-8 scan is worth 5% of an
		 * export. */
		if (!(v = json_stringn_nocheck(text, len)))
			*why = "out of memory";
		return v;
	case PX_PG_STRING:
	default:
		if (!(v = json_stringn(text, len)))
			*why = "not valid UTF-8";
		return v;
	}
}
