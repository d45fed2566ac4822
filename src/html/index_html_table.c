/*
 * index_html_table.c - one entity of index.html as a table, streamed from
 * its data file. At most PX_HTML_MAX_ROWS records are parsed and held; the
 * others are only counted, line by line, without parsing, so memory does
 * not grow with the subject's history.
 */
#include "html/index_html.h"
#include "jsonout.h"
#include "package/spool.h"
#include "portex/connector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

typedef struct rows {
	json_t *shown;	     /* the first records, parsed */
	unsigned long total; /* every record of the file */
} rows;

static size_t chomp(char *s, size_t n)
{
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return n;
}

static int bad_layout(px_error *err, const px_html_entity *e,
		      unsigned long line, const char *what)
{
	return px_error_set(err, PX_EXIT_SOFTWARE,
			    "data/%s.json (%s): line %lu: %s", e->entity,
			    e->path, line, what);
}

/* One record line: parsed while fewer than PX_HTML_MAX_ROWS are held,
 * otherwise only counted. */
static int take_line(rows *r, char *line, size_t len, const px_html_entity *e,
		     unsigned long no, px_error *err)
{
	json_error_t jerr;
	json_t *rec;
	char what[256];

	r->total++;
	if (json_array_size(r->shown) >= PX_HTML_MAX_ROWS)
		return 0;
	if (len && line[len - 1] == ',')
		line[--len] = '\0';
	/* Exact: a 25-digit id or 1e400 is in the data file as written. */
	rec = px_json_load_exact(line, len, 0, &jerr, NULL);
	if (!rec || !json_is_object(rec)) {
		snprintf(what, sizeof(what), "expected one JSON object%s%s",
			 rec ? "" : ": ", rec ? "" : jerr.text);
		json_decref(rec);
		return bad_layout(err, e, no, what);
	}
	if (json_array_append_new(r->shown, rec))
		return px_error_oom(err);
	return 0;
}

static int read_rows(FILE *f, const px_html_entity *e, rows *r, px_error *err)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	unsigned long no = 0;
	int rc = -1, done = 0;

	got = getline(&line, &cap, f);
	if (got >= 0) {
		size_t len = chomp(line, (size_t)got);
		no = 1;
		if (!len || line[0] != '{' || line[len - 1] != '[') {
			bad_layout(err, e, no,
				   "expected {\"entity\":...,\"records\":[");
			goto out;
		}
	}
	while (got >= 0 && (got = getline(&line, &cap, f)) >= 0) {
		size_t len = chomp(line, (size_t)got);
		no++;
		if (!strcmp(line, "]}")) {
			done = 1;
			break;
		}
		/* The rest are only counted: the packager that wrote the
		 * file counted them already. Reading on would inflate a
		 * million records for nothing. */
		if (e->deflated &&
		    json_array_size(r->shown) >= PX_HTML_MAX_ROWS) {
			r->total = e->records;
			done = 1;
			break;
		}
		if (take_line(r, line, len, e, no, err))
			goto out;
	}
	if (ferror(f))
		px_error_set(err, PX_EXIT_IOERR, "data/%s.json: reading %s: %s",
			     e->entity, e->path, strerror(errno));
	else if (!done)
		bad_layout(err, e, no + 1, "file ends before the closing ]}");
	else if (r->total != e->records) {
		char what[128];
		snprintf(what, sizeof(what), "%lu records, expected %lu",
			 r->total, e->records);
		bad_layout(err, e, no, what);
	} else
		rc = 0;
out:
	free(line);
	return rc;
}

/* Column name -> description (string or null), in display order: the
 * schema's properties that some shown record has, in schema order, then
 * any other key, in the order records first use it. */
static json_t *columns(const json_t *shown, const json_t *record_schema)
{
	json_t *cols = json_object();
	json_t *props = json_object_get(record_schema, "properties");
	json_t *v, *rec, *desc;
	const char *k;
	size_t i;

	if (!cols)
		return NULL;
	json_object_foreach (props, k, v) {
		json_array_foreach (shown, i, rec) {
			if (!json_object_get(rec, k))
				continue;
			desc = json_object_get(v, "description");
			desc = json_is_string(desc) ? json_incref(desc)
						    : json_null();
			if (json_object_set_new(cols, k, desc))
				goto oom;
			break;
		}
	}
	json_array_foreach (shown, i, rec) {
		json_object_foreach (rec, k, v) {
			if (!json_object_get(cols, k) &&
			    json_object_set_new(cols, k, json_null()))
				goto oom;
		}
	}
	return cols;
oom:
	json_decref(cols);
	return NULL;
}

/* A document's file inside the package, when it is safe to link to. */
static const char *document_link(const char *entity, const json_t *rec)
{
	const char *p = json_string_value(json_object_get(rec, "path"));

	if (strcmp(entity, "document") || !p || strncmp(p, "files/", 6) ||
	    strstr(p, "..") || strstr(p, "//") || strchr(p, '\\'))
		return NULL;
	return p;
}

static void write_cell(FILE *out, px_lang lang, const json_t *v,
		       const char *col, const char *link)
{
	/* A decimal read back with its exact digits is a number too. */
	fputs(json_is_number(v) || px_decimal_digits(v) ? "<td class=\"num\">"
							: "<td>",
	      out);
	if (link && json_is_string(v) &&
	    (!strcmp(col, "name") || !strcmp(col, "path"))) {
		fputs("<a href=\"", out);
		px_html_href(out, link);
		fputs("\">", out);
		px_html_value(out, lang, v);
		fputs("</a>", out);
	} else {
		px_html_value(out, lang, v);
	}
	fputs("</td>", out);
}

static void write_table(FILE *out, px_lang lang, const char *entity,
			const json_t *shown, const json_t *cols)
{
	const char *k, *label;
	json_t *v, *rec;
	size_t i;

	fputs("<div class=\"scroll\"><table>\n<thead><tr>", out);
	json_object_foreach ((json_t *)cols, k, v) {
		if (json_is_string(v)) {
			fputs("<th title=\"", out);
			px_html_text(out, json_string_value(v));
			fputs("\">", out);
		} else {
			fputs("<th>", out);
		}
		if ((label = px_i18n_field(lang, k))) {
			px_html_text(out, label);
			fputs("<br/>", out);
		}
		/* the name in data/<entity>.json, to find the column there */
		fputs("<span class=\"field\">", out);
		px_html_text(out, k);
		fputs("</span></th>", out);
	}
	fputs("</tr></thead>\n<tbody>\n", out);
	json_array_foreach (shown, i, rec) {
		const char *link = document_link(entity, rec);
		fputs("<tr>", out);
		json_object_foreach ((json_t *)cols, k, v)
			write_cell(out, lang, json_object_get(rec, k), k, link);
		fputs("</tr>\n", out);
	}
	fputs("</tbody>\n</table></div>\n", out);
}

static void write_section(FILE *out, px_lang lang, const px_html_entity *e,
			  size_t id, const rows *r, const json_t *cols)
{
	const char *label = px_i18n_entity(lang, e->entity);
	size_t shown = json_array_size(r->shown);

	fprintf(out, "<section id=\"entity-%zu\">\n<h3>", id);
	if (label) {
		px_html_text(out, label);
		fputs(" <span class=\"name\">(", out);
		px_html_text(out, e->entity);
		fputs(")</span>", out);
	} else {
		px_html_text(out, e->entity);
	}
	fprintf(out, " \xE2\x80\x94 %lu ", r->total);
	px_html_text(out, px_i18n(lang, PX_MSG_RECORD_COUNT));
	fputs("</h3>\n", out);
	if (!shown) {
		fputs("<p>", out);
		px_html_text(out, px_i18n(lang, PX_MSG_NO_RECORDS));
		fputs("</p>\n", out);
	} else {
		write_table(out, lang, e->entity, r->shown, cols);
	}
	if (r->total > shown) {
		fprintf(out, "<p class=\"more\">%lu", r->total - shown);
		px_html_text(out, px_i18n(lang, PX_MSG_MORE_ROWS));
		fputs("<code>data/", out);
		px_html_text(out, e->entity);
		fputs(".json</code>", out);
		px_html_text(out, px_i18n(lang, PX_MSG_MORE_ROWS_END));
		fputs("</p>\n", out);
	}
	fputs("</section>\n", out);
}

int px_html_entity_section(FILE *out, px_lang lang, const px_html_entity *e,
			   size_t id, const px_schemas *schemas, px_error *err)
{
	rows r = {json_array(), 0};
	json_t *cols = NULL;
	FILE *f;
	int rc = -1;

	if (!r.shown)
		return px_error_oom(err);
	f = e->deflated ? px_spool_read(e->fd) : fopen(e->path, "r");
	if (!f) {
		px_error_set(err, PX_EXIT_IOERR,
			     "data/%s.json: cannot read %s: %s", e->entity,
			     e->path, strerror(errno));
		goto out;
	}
	if (read_rows(f, e, &r, err))
		goto out;
	cols = columns(r.shown,
		       schemas ? px_schemas_record(schemas, e->entity) : NULL);
	if (!cols) {
		px_error_oom(err);
		goto out;
	}
	write_section(out, lang, e, id, &r, cols);
	rc = 0;
out:
	if (f)
		fclose(f);
	json_decref(cols);
	json_decref(r.shown);
	return rc;
}
