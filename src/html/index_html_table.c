/*
 * index_html_table.c - the records of one entity as a table, for
 * index.html's section of that entity and for its further pages
 * (index_html_pages.c). index.html shows at most PX_HTML_MAX_ROWS records,
 * parsed and held; the others are only counted, line by line, without
 * parsing, so memory does not grow with the subject's history.
 */
#include "html/index_html.h"
#include "package/datafile.h"
#include "portex/connector.h"

#include <stdlib.h>
#include <string.h>

unsigned long px_html_pages(unsigned long records)
{
	if (records <= PX_HTML_MAX_ROWS)
		return 0;
	return (records + PX_HTML_MAX_ROWS - 1) / PX_HTML_MAX_ROWS;
}

void px_html_page_name(char *buf, size_t n, const char *entity,
		       unsigned long page)
{
	snprintf(buf, n, "%s-%04lu.html", entity, page);
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

typedef struct cell_ctx {
	FILE *out;
	px_lang lang;
	const px_tz *tz;
	const char *link, *root;
	const json_t *rec;
} cell_ctx;

static void write_cell(const cell_ctx *c, const json_t *v, const char *col)
{
	FILE *out = c->out;
	int number = json_is_number(v) || px_decimal_digits(v) ||
		     (!strcmp(col, "amount") && json_is_string(v));
	const char *str = number ? NULL : json_string_value(v);
	size_t len = str ? json_string_length(v) : 0;

	/* A short word (an identifier, a date) stays on one line; a long
	 * text keeps a readable width inside the scrolling box. */
	if (number)
		fputs("<td class=\"num\">", out);
	else if (str && len <= 24 && !strchr(str, ' '))
		fputs("<td class=\"nw\">", out);
	else if (str && len > 40)
		fputs("<td class=\"long\">", out);
	else
		fputs("<td>", out);
	if (c->link && json_is_string(v) &&
	    (!strcmp(col, "name") || !strcmp(col, "path"))) {
		fputs("<a href=\"", out);
		px_html_href(out, c->root);
		px_html_href(out, c->link);
		fputs("\">", out);
		px_html_value(out, c->lang, v);
		fputs("</a>", out);
	} else if (!v || px_html_cell(out, c->lang, c->tz, col, v, c->rec)) {
		px_html_value(out, c->lang, v);
	}
	fputs("</td>", out);
}

/* What a column holds in the page's language; the schema's (English)
 * description for a field the page has no words for. Only a field the
 * schema describes: the same name elsewhere may mean something else. */
static const char *column_text(px_lang lang, const char *entity,
			       const char *field, const json_t *schema_desc)
{
	const char *t;

	if (!json_is_string(schema_desc))
		return NULL;
	t = px_i18n_column(lang, entity, field);

	return t ? t : json_string_value(schema_desc);
}

/* A title shows only under a mouse: the same texts in a <details> a
 * finger or a keyboard opens. */
static void column_help(FILE *out, px_lang lang, const char *entity,
			const json_t *cols)
{
	const char *k, *desc, *label;
	json_t *v;
	int any = 0;

	json_object_foreach ((json_t *)cols, k, v) {
		if (!(desc = column_text(lang, entity, k, v)))
			continue;
		if (!any++) {
			fputs("<details class=\"columns\"><summary>", out);
			px_html_text(out, px_i18n(lang, PX_MSG_COLUMNS_HELP));
			fputs("</summary>\n<dl>", out);
		}
		fputs("<dt>", out);
		if ((label = px_i18n_field(lang, k))) {
			px_html_text(out, label);
			fputc(' ', out);
		}
		fputs("<span class=\"field\">", out);
		px_html_text(out, k);
		fputs("</span></dt><dd>", out);
		px_html_text(out, desc);
		fputs("</dd>", out);
	}
	if (any)
		fputs("</dl></details>\n", out);
}

int px_html_rows_table(FILE *out, px_lang lang, const px_tz *tz,
		       const char *entity, const json_t *rows,
		       const px_schemas *schemas, const char *root,
		       px_error *err)
{
	json_t *cols =
	    columns(rows, schemas ? px_schemas_record(schemas, entity) : NULL);
	const char *k, *label;
	json_t *v, *rec;
	size_t i;

	if (!cols)
		return px_error_oom(err);
	label = px_i18n_entity(lang, entity);
	px_html_table_open(out, label ? label : entity);
	json_object_foreach (cols, k, v) {
		const char *desc = column_text(lang, entity, k, v);

		fputs("<th scope=\"col\"", out);
		if (desc) {
			fputs(" title=\"", out);
			px_html_text(out, desc);
			fputs("\"", out);
		}
		fputs(">", out);
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
	json_array_foreach (rows, i, rec) {
		cell_ctx c = {out,  lang, tz, document_link(entity, rec),
			      root, rec};

		fputs("<tr>", out);
		json_object_foreach (cols, k, v)
			write_cell(&c, json_object_get(rec, k), k);
		fputs("</tr>\n", out);
	}
	fputs("</tbody>\n</table></div>\n", out);
	column_help(out, lang, entity, cols);
	json_decref(cols);
	return 0;
}

/* <a href="csv/score.csv"><code>csv/score.csv</code></a> (what for) */
static void format_link(FILE *out, px_lang lang, const char *folder,
			const char *entity, enum px_msg what)
{
	const char *ext = strcmp(folder, "csv") ? "json" : "csv";

	fprintf(out, "<a href=\"%s/", folder);
	px_html_href(out, entity);
	fprintf(out, ".%s\"><code>%s/", ext, folder);
	px_html_text(out, entity);
	fprintf(out, ".%s</code></a> (", ext);
	px_html_text(out, px_i18n(lang, what));
	fputc(')', out);
}

/* Links to the entity's pages, its CSV and its JSON. */
static void write_more(FILE *out, px_lang lang, const px_html_entity *e,
		       size_t shown)
{
	unsigned long pages = px_html_pages(e->records);
	char name[160];

	if (pages) {
		fputs("<p class=\"more\">", out);
		px_html_grouped(out, lang, (json_int_t)(e->records - shown));
		px_html_text(out, px_i18n(lang, PX_MSG_MORE_ROWS));
		px_html_text(out, px_i18n(lang, PX_MSG_MORE_ROWS_PAGES));
		fputs("</p>\n<nav class=\"pages\"><ul>", out);
		for (unsigned long pg = 1; pg <= pages; pg++) {
			px_html_page_name(name, sizeof(name), e->entity, pg);
			fputs("<li><a href=\"html/", out);
			px_html_href(out, name);
			fprintf(out, "\">%lu</a></li>", pg);
		}
		fputs("</ul></nav>\n", out);
	}
	if (!e->records)
		return;
	fputs("<p class=\"formats\">", out);
	px_html_text(out, px_i18n(lang, PX_MSG_ALSO_AS));
	fputc(' ', out);
	format_link(out, lang, "csv", e->entity, PX_MSG_CSV_FOR);
	fputs(", ", out);
	format_link(out, lang, "data", e->entity, PX_MSG_JSON_FOR);
	fputs(".</p>\n", out);
}

static int write_section(FILE *out, px_lang lang, const px_tz *tz,
			 const px_html_entity *e, size_t id,
			 const json_t *shown, const px_schemas *schemas,
			 px_error *err)
{
	const char *label = px_i18n_entity(lang, e->entity);

	fprintf(out, "<section id=\"entity-%zu\">\n<h3>", id);
	if (label) {
		px_html_text(out, label);
		fputs(" <span class=\"name\">(", out);
		px_html_text(out, e->entity);
		fputs(")</span>", out);
	} else {
		px_html_text(out, e->entity);
	}
	fputs(" \xE2\x80\x94 ", out);
	px_html_grouped(out, lang, (json_int_t)e->records);
	fputc(' ', out);
	px_html_text(out, px_i18n_count(lang, PX_MSG_RECORD_COUNT, e->records));
	fputs("</h3>\n", out);
	if (!json_array_size(shown)) {
		fputs("<p>", out);
		px_html_text(out, px_i18n(lang, PX_MSG_NO_RECORDS));
		fputs("</p>\n", out);
	} else if (px_html_rows_table(out, lang, tz, e->entity, shown, schemas,
				      "", err)) {
		return -1;
	}
	write_more(out, lang, e, json_array_size(shown));
	fputs("</section>\n", out);
	return 0;
}

int px_html_entity_section(FILE *out, px_lang lang, const px_tz *tz,
			   const px_html_entity *e, size_t id,
			   const px_schemas *schemas, px_error *err)
{
	px_datafile *d = px_datafile_open(e->entity, e->path, e->fd,
					  e->deflated, e->records, err);
	json_t *shown = json_array(), *rec;
	int rc = -1, got = 0;

	if (!d || !shown) {
		if (d)
			px_error_oom(err);
		goto out;
	}
	while (json_array_size(shown) < PX_HTML_MAX_ROWS &&
	       (got = px_datafile_next(d, &rec, err)) > 0)
		if (json_array_append_new(shown, rec)) {
			px_error_oom(err);
			goto out;
		}
	if (got < 0)
		goto out;
	/* A deflated file's count is trusted: the packager counted its
	 * records, and reading on would inflate millions for nothing. */
	if (got > 0 && !e->deflated && px_datafile_skip_rest(d, err))
		goto out;
	rc = write_section(out, lang, tz, e, id, shown, schemas, err);
out:
	px_datafile_close(d);
	json_decref(shown);
	return rc;
}
