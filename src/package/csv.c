/*
 * csv.c - records as RFC 4180 CSV. See csv.h.
 */
#include "package/csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"
#include "portex/connector.h"

static void field(FILE *out, const char *s, size_t len)
{
	if (!memchr(s, ',', len) && !memchr(s, '"', len) &&
	    !memchr(s, '\n', len) && !memchr(s, '\r', len)) {
		fwrite(s, 1, len, out);
		return;
	}
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			fputc('"', out);
		fputc(s[i], out);
	}
	fputc('"', out);
}

static int value(FILE *out, const json_t *v)
{
	const char *digits;
	char num[40];
	px_buf b = {0};

	if ((digits = px_decimal_digits(v))) { /* an exact number */
		fputs(digits, out);
		return 0;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		field(out, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_TRUE:
		fputs("true", out);
		return 0;
	case JSON_FALSE:
		fputs("false", out);
		return 0;
	case JSON_NULL:
		return 0;
	case JSON_REAL:
		px_real_text(json_real_value(v), num, sizeof(num));
		fputs(num, out);
		return 0;
	default:
		/* integers, arrays and objects (nested decimals with their
		 * digits) as the data file writes them */
		if (px_json_append(&b, v))
			return -1;
		field(out, b.data, b.len);
		px_buf_free(&b);
		return 0;
	}
}

static int io_error(px_error *err, const char *what)
{
	return px_error_set(err, PX_EXIT_IOERR, "%s: cannot write: %s", what,
			    strerror(errno));
}

int px_csv_header(FILE *out, const json_t *properties, px_error *err)
{
	const char *k;
	json_t *v;
	int first = 1;

	fputs("\xEF\xBB\xBF", out);
	json_object_foreach ((json_t *)properties, k, v) {
		if (!first)
			fputc(',', out);
		first = 0;
		field(out, k, strlen(k));
	}
	fputs("\r\n", out);
	return ferror(out) ? io_error(err, "csv header") : 0;
}

int px_csv_row(FILE *out, const json_t *properties, const json_t *rec,
	       const char *entity, unsigned long n, px_error *err)
{
	const char *k;
	json_t *v;
	size_t written = 0;
	int first = 1;

	json_object_foreach ((json_t *)properties, k, v) {
		const json_t *x = json_object_get(rec, k);
		if (!first)
			fputc(',', out);
		first = 0;
		if (!x)
			continue;
		written++;
		if (value(out, x))
			return px_error_oom(err);
	}
	fputs("\r\n", out);
	if (written != json_object_size(rec)) {
		json_object_foreach ((json_t *)rec, k, v)
			if (!json_object_get(properties, k))
				break;
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "csv/%s.csv: record %lu: field %s has no "
				    "column in the schema",
				    entity, n, k ? k : "?");
	}
	return ferror(out) ? io_error(err, "csv row") : 0;
}
