/*
 * index_html_table.c - the records of one entity as a table, for
 * index.html's section of that entity and for its further pages
 * (index_html_pages.c). index.html shows at most PX_HTML_MAX_ROWS records,
 * held as their text; the others are only counted, line by line, so
 * memory does not grow with the subject's history. Values are read from
 * the records' text (jsonscan.h), without a JSON object per record.
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
	return (records + PX_HTML_PAGE_ROWS - 1) / PX_HTML_PAGE_ROWS;
}

void px_html_page_name(char *buf, size_t n, const char *entity,
		       unsigned long page)
{
	snprintf(buf, n, "%s-%04lu.html", entity, page);
}

/* What a table works with while it writes its rows. */
typedef struct table {
	const char *entity;
	px_jfields f;	 /* the current row's members */
	px_buf key, s;	 /* a key, a string value decoded */
	px_buf path;	 /* the row's document path decoded */
	px_buf currency; /* the row's currency decoded */
	json_t *cols;	 /* column name -> description, in display order */
	json_t *index;	 /* column name -> its position */
	const px_jmember **slot; /* the current row's member per column */
	px_html_col *colv;	 /* t->cols' columns, in their order */
	/* The previous row's keys as written and their columns: records
	 * of one entity put their members in one order, so a key is
	 * looked up only when it differs from the one before at its place. */
	struct seen_key {
		const char *key; /* into the row before's text */
		size_t klen;
		json_int_t col; /* -1: no column */
	} * keys;
	size_t n_keys;
} table;

/* Member j of the current row has the same key as member j of the row
 * before (then *col is its column), else remembers it for the next row
 * once its column is known. */
static int same_key(table *t, size_t j, json_int_t *col)
{
	const px_jmember *m = &t->f.m[j];

	if (j >= t->n_keys) {
		struct seen_key *k = realloc(t->keys, (j + 1) * sizeof(*k));
		if (!k)
			return -1;
		t->keys = k;
		for (; t->n_keys <= j; t->n_keys++)
			t->keys[t->n_keys].key = NULL;
	}
	if (t->keys[j].key && t->keys[j].klen == m->klen &&
	    !memcmp(t->keys[j].key, m->key, m->klen)) {
		t->keys[j].key = m->key; /* the rows before may be gone */
		*col = t->keys[j].col;
		return 1;
	}
	return 0;
}

static void remember_key(table *t, size_t j, json_int_t col)
{
	t->keys[j].key = t->f.m[j].key;
	t->keys[j].klen = t->f.m[j].klen;
	t->keys[j].col = col;
}

static int bad_row(const table *t, size_t i, px_error *err)
{
	return px_error_set(err, PX_EXIT_SOFTWARE,
			    "data/%s.json: record %zu of a table is not one "
			    "compact JSON object",
			    t->entity, i + 1);
}

/* Row i's members into t->f. */
static int scan_row(table *t, const px_html_rows *rows, size_t i, px_error *err)
{
	int rc = px_jfields_scan(&t->f, rows->row[i].text, rows->row[i].len);

	if (rc < 0)
		return px_error_oom(err);
	return rc ? bad_row(t, i, err) : 0;
}

/* Column name -> description (string or null), in display order: the
 * schema's properties that some shown record has, in schema order, then
 * any other key, in the order records first use it. */
static int columns(table *t, const px_html_rows *rows,
		   const json_t *record_schema, px_error *err)
{
	json_t *props = json_object_get(record_schema, "properties");
	json_t *seen = json_object(), *v, *desc;
	const char *k;
	size_t i, n = 0;
	int rc = -1;

	t->cols = json_object();
	t->index = json_object();
	if (!seen || !t->cols || !t->index)
		goto oom;
	for (i = 0; i < rows->n; i++) {
		if (scan_row(t, rows, i, err))
			goto out;
		for (size_t j = 0; j < t->f.n; j++) {
			json_int_t unused;
			int same = same_key(t, j, &unused);
			if (same < 0)
				goto oom;
			if (same) /* seen in the row before */
				continue;
			if (!(k = px_jkey(&t->f.m[j], &t->key)))
				goto bad;
			if (!json_object_get(seen, k) &&
			    json_object_set_new(seen, k, json_true()))
				goto oom;
			remember_key(t, j, -1);
		}
	}
	/* The rows' pass learns the keys' columns afresh. */
	for (size_t j = 0; j < t->n_keys; j++)
		t->keys[j].key = NULL;
	json_object_foreach (props, k, v) {
		if (!json_object_get(seen, k))
			continue;
		desc = json_object_get(v, "description");
		desc = json_is_string(desc) ? json_incref(desc) : json_null();
		if (json_object_set_new(t->cols, k, desc))
			goto oom;
	}
	json_object_foreach (seen, k, v) {
		if (!json_object_get(t->cols, k) &&
		    json_object_set_new(t->cols, k, json_null()))
			goto oom;
	}
	json_object_foreach (t->cols, k, v) {
		if (json_object_set_new(t->index, k,
					json_integer((json_int_t)n++)))
			goto oom;
	}
	if (!(t->slot = calloc(n + 1, sizeof(*t->slot))) ||
	    !(t->colv = calloc(n + 1, sizeof(*t->colv))))
		goto oom;
	n = 0;
	json_object_foreach (t->cols, k, v) {
		px_html_col *c = &t->colv[n++];
		c->name = k;
		c->amount = !strcmp(k, "amount");
		c->link = !strcmp(k, "name") || !strcmp(k, "path");
		c->words = px_i18n_has_values(k);
	}
	rc = 0;
	goto out;
bad:
	bad_row(t, i, err);
	goto out;
oom:
	px_error_oom(err);
out:
	json_decref(seen);
	return rc;
}

/* Row i's member of each column into t->slot (the last one when a key
 * repeats, as a parser keeps it). */
static int fill_slots(table *t, const px_html_rows *rows, size_t i,
		      px_error *err)
{
	size_t n = json_object_size(t->cols);
	const char *k;

	if (scan_row(t, rows, i, err))
		return -1;
	memset(t->slot, 0, n * sizeof(*t->slot));
	for (size_t j = 0; j < t->f.n; j++) {
		json_int_t col = -1;
		json_t *pos;
		int same = same_key(t, j, &col);

		if (same < 0)
			return px_error_oom(err);
		if (!same) {
			if (!(k = px_jkey(&t->f.m[j], &t->key)))
				return bad_row(t, i, err);
			if ((pos = json_object_get(t->index, k)))
				col = json_integer_value(pos);
			remember_key(t, j, col);
		}
		if (col >= 0)
			t->slot[col] = &t->f.m[j];
	}
	return 0;
}

/* The row's string member named key decoded in b, or NULL. */
static const char *row_string(const table *t, const char *key, px_buf *b)
{
	const px_jmember *m = px_jfields_get(&t->f, key);

	if (!m || m->kind != PX_JK_STRING ||
	    px_jstring_decode(m->val, m->vlen, b))
		return NULL;
	return b->data;
}

/* A document's file inside the package, when it is safe to link to. */
static const char *document_link(table *t)
{
	const char *p;

	if (strcmp(t->entity, "document") ||
	    !(p = row_string(t, "path", &t->path)) || strncmp(p, "files/", 6) ||
	    strstr(p, "..") || strstr(p, "//") || strchr(p, '\\'))
		return NULL;
	return p;
}

typedef struct cell_ctx {
	FILE *out;
	px_lang lang;
	const px_tz *tz;
	const char *link, *root;
	table *t;
} cell_ctx;

/* v as a person reads it; a string is decoded in c->t->s already. */
static void show(const cell_ctx *c, const px_jmember *v)
{
	if (v && v->kind == PX_JK_STRING)
		px_html_textn(c->out, c->t->s.data, c->t->s.len);
	else
		px_html_member(c->out, c->lang, v, &c->t->s);
}

static void write_cell(const cell_ctx *c, const px_jmember *v,
		       const px_html_col *col)
{
	FILE *out = c->out;
	table *t = c->t;
	int is_str = v && v->kind == PX_JK_STRING;
	int number = v && (px_jkind_number(v->kind) || (col->amount && is_str));
	const char *str = NULL, *currency = NULL;
	size_t len = 0;

	if (is_str && px_jstring_decode(v->val, v->vlen, &t->s))
		is_str = 0, v = NULL; /* not what the CSV accepted */
	if (is_str && !number) {
		str = t->s.data;
		len = t->s.len;
	}
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
	if (c->link && is_str && col->link) {
		fputs("<a href=\"", out);
		px_html_href(out, c->root);
		px_html_href(out, c->link);
		fputs("\">", out);
		show(c, v);
		fputs("</a>", out);
	} else {
		if (is_str && col->amount)
			currency = row_string(t, "currency", &t->currency);
		if (!v || px_html_cell(out, c->lang, c->tz, col, v, t->s.data,
				       t->s.len, currency))
			show(c, v);
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

static void table_free(table *t)
{
	px_jfields_free(&t->f);
	px_buf_free(&t->key);
	px_buf_free(&t->s);
	px_buf_free(&t->path);
	px_buf_free(&t->currency);
	json_decref(t->cols);
	json_decref(t->index);
	free(t->slot);
	free(t->colv);
	free(t->keys);
}

/* A table being written: begun, its rows written in one go or a few at a
 * time, ended. */
struct px_html_table {
	table t;
	FILE *out;
	px_lang lang;
	const px_tz *tz;
	const px_html_rows *rows;
	const char *root;
	size_t done; /* rows written */
};

px_html_table *px_html_table_begin(FILE *out, px_lang lang, const px_tz *tz,
				   const char *entity, const px_html_rows *rows,
				   const px_schemas *schemas, const char *root,
				   px_error *err)
{
	px_html_table *w = calloc(1, sizeof(*w));
	const char *k, *label;
	json_t *v;

	if (!w) {
		px_error_oom(err);
		return NULL;
	}
	*w = (px_html_table){.t = {.entity = entity},
			     .out = out,
			     .lang = lang,
			     .tz = tz,
			     .rows = rows,
			     .root = root};
	if (columns(&w->t, rows,
		    schemas ? px_schemas_record(schemas, entity) : NULL, err)) {
		px_html_table_free(w);
		return NULL;
	}
	label = px_i18n_entity(lang, entity);
	px_html_table_open(out, label ? label : entity);
	json_object_foreach (w->t.cols, k, v) {
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
	return w;
}

int px_html_table_rows(px_html_table *w, size_t upto, px_error *err)
{
	table *t = &w->t;
	size_t n = json_object_size(t->cols);

	if (upto > w->rows->n)
		upto = w->rows->n;
	for (; w->done < upto; w->done++) {
		cell_ctx c = {w->out, w->lang, w->tz, NULL, w->root, t};

		if (fill_slots(t, w->rows, w->done, err))
			return -1;
		c.link = document_link(t);
		fputs("<tr>", w->out);
		for (size_t col = 0; col < n; col++)
			write_cell(&c, t->slot[col], &t->colv[col]);
		fputs("</tr>\n", w->out);
	}
	return 0;
}

size_t px_html_table_spent(const px_html_table *w)
{
	return w->done ? w->done - 1 : 0; /* same_key() reads the last one */
}

int px_html_table_end(px_html_table *w, px_error *err)
{
	int rc = px_html_table_rows(w, w->rows->n, err);

	if (!rc) {
		fputs("</tbody>\n</table></div>\n", w->out);
		column_help(w->out, w->lang, w->t.entity, w->t.cols);
	}
	px_html_table_free(w);
	return rc;
}

void px_html_table_free(px_html_table *w)
{
	if (!w)
		return;
	table_free(&w->t);
	free(w);
}

int px_html_rows_table(FILE *out, px_lang lang, const px_tz *tz,
		       const char *entity, const px_html_rows *rows,
		       const px_schemas *schemas, const char *root,
		       px_error *err)
{
	px_html_table *w = px_html_table_begin(out, lang, tz, entity, rows,
					       schemas, root, err);

	return w ? px_html_table_end(w, err) : -1;
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
			 const px_html_rows *shown, const px_schemas *schemas,
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
	if (!shown->n) {
		fputs("<p>", out);
		px_html_text(out, px_i18n(lang, PX_MSG_NO_RECORDS));
		fputs("</p>\n", out);
	} else if (px_html_rows_table(out, lang, tz, e->entity, shown, schemas,
				      "", err)) {
		return -1;
	}
	write_more(out, lang, e, shown->n);
	fputs("</section>\n", out);
	return 0;
}

int px_html_entity_section(FILE *out, px_lang lang, const px_tz *tz,
			   const px_html_entity *e, size_t id,
			   const px_schemas *schemas, px_error *err)
{
	px_datafile *d = px_datafile_open(e->entity, e->path, e->fd, e->off,
					  e->deflated, e->records, err);
	px_html_rows shown = {0};
	px_jfields f = {0};
	const char *text;
	size_t len;
	int rc = -1, got = 0;

	if (!d)
		goto out;
	while (shown.n < PX_HTML_MAX_ROWS &&
	       (got = px_datafile_next(d, &text, &len, &f, err)) > 0)
		if (px_html_rows_add(&shown, text, len)) {
			px_error_oom(err);
			goto out;
		}
	if (got < 0)
		goto out;
	/* A deflated file's count is trusted: the packager counted its
	 * records, and reading on would inflate millions for nothing. */
	if (got > 0 && !e->deflated && px_datafile_skip_rest(d, err))
		goto out;
	rc = write_section(out, lang, tz, e, id, &shown, schemas, err);
out:
	px_datafile_close(d);
	px_jfields_free(&f);
	px_html_rows_free(&shown);
	return rc;
}
