/*
 * csv.c - records as RFC 4180 CSV. See csv.h.
 */
#include "package/csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "encode/jsoncopy.h"
#include "jsonout.h"
#include "jsonscan.h"
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

/* A member's value as its cell. Returns 0, -1 on out of memory, 1 when
 * the text is not JSON as the data files hold it. */
static int value(FILE *out, const px_jmember *m, px_buf *s)
{
	json_error_t jerr;
	json_t *v;
	int rc;

	switch (m->kind) {
	case PX_JK_DECIMAL: /* an exact number: its digits as stored */
		fwrite(m->val, 1, m->vlen, out);
		return 0;
	case PX_JK_STRING:
		if ((rc = px_jstring_decode(m->val, m->vlen, s)))
			return rc;
		field(out, s->data, s->len);
		return 0;
	case PX_JK_TRUE:
		fputs("true", out);
		return 0;
	case PX_JK_FALSE:
		fputs("false", out);
		return 0;
	case PX_JK_NULL:
		return 0;
	case PX_JK_INTEGER: {
		char buf[PX_INT_TEXT];
		fputs(px_int_text((long long)px_jinteger(m), buf), out);
		return 0;
	}
	case PX_JK_CONTAINER:
		break;
	}
	/* arrays and objects as the data file's writer writes them back
	 * (nested decimals with their digits): copied when that is sure to
	 * be the same bytes, else parsed and written */
	s->len = 0;
	if ((rc = px_json_copy(m->val, m->vlen, s)) < 0)
		return -1;
	if (rc) {
		if (!(v = px_json_load_exact(m->val, m->vlen, 0, &jerr, NULL)))
			return 1;
		s->len = 0;
		rc = px_json_append(s, v);
		json_decref(v);
		if (rc)
			return -1;
	}
	field(out, s->data, s->len);
	return 0;
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

int px_csv_row(FILE *out, const json_t *properties, const px_jfields *rec,
	       const char *entity, unsigned long n, px_buf *s, px_error *err)
{
	const char *k;
	json_t *v;
	int first = 1, rc;

	for (size_t i = 0; i < rec->n; i++) {
		const px_jmember *m = &rec->m[i];
		const char *key = px_jkey(m, s);
		if (key && json_object_getn(properties, key, s->len))
			continue;
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "csv/%s.csv: record %lu: field %s has no "
				    "column in the schema",
				    entity, n, key ? key : "?");
	}
	json_object_foreach ((json_t *)properties, k, v) {
		const px_jmember *x = px_jfields_get(rec, k);
		if (!first)
			fputc(',', out);
		first = 0;
		if (!x)
			continue;
		if ((rc = value(out, x, s)) < 0)
			return px_error_oom(err);
		if (rc)
			return px_error_set(
			    err, PX_EXIT_SOFTWARE,
			    "csv/%s.csv: record %lu: field %s: "
			    "not JSON as the data file holds it",
			    entity, n, k);
	}
	fputs("\r\n", out);
	return ferror(out) ? io_error(err, "csv row") : 0;
}
