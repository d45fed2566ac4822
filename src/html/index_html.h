/*
 * index_html.h - the package's index.html: a self-contained page a person
 * reads (who, what, when, each source, each entity as a table, how to check
 * the signature), in the manifest's locale (French default, English).
 *
 * The page has inline CSS only, no script and no external reference; every
 * value from data is HTML-escaped and the output is valid UTF-8 (invalid
 * bytes and control characters become U+FFFD). It is also well-formed XML,
 * so any XML parser can check it.
 */
#ifndef PX_INDEX_HTML_H
#define PX_INDEX_HTML_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "jsonscan.h"
#include "portex/error.h"
#include "portex/schema.h"
#include "tz.h"

/* index.html shows at most this many records of an entity; an entity
 * with more gets pages (html/<entity>-0001.html, ...) that index.html
 * links to, all its records from the first, PX_HTML_PAGE_ROWS a page. */
#define PX_HTML_MAX_ROWS 500
/* Pages are longer than index.html's table: each is a file, and each
 * file costs the package ~2 KB of memory until it is closed (its line in
 * manifest.json and ASiCManifest.xml, its ZIP directory entry), which at
 * 500 a page made 10M records 20,000 files and 40 MB. A page of 5,000
 * rows is ~2 MB of HTML, which a browser opens in about a second. */
#define PX_HTML_PAGE_ROWS 5000

/* One data file written by the packager. entity: "score"; path: a local
 * file holding data/<entity>.json in the packager's line layout:
 *   line 1: {"entity":"score","schema":"schemas/score.schema.json","records":[
 *   then one compact JSON record per line, all but the last ending in ","
 *   last line: ]}
 * records: how many records the file holds; checked against a plain file,
 * trusted for a deflated one (the packager counted them; reading on would
 * inflate millions of rows for nothing). */
typedef struct px_html_entity {
	const char *entity;
	const char *path;
	unsigned long records;
	int deflated; /* fd holds it as raw deflate data (package/spool.h)
		       * at off; path then only names it in messages */
	int fd;
	uint64_t off;
} px_html_entity;

/* Writes the page to out. manifest: the complete manifest object
 * (format, generator, created_at, request, controller, subject, scope,
 * categories, locale, signed, signer, encrypted, sources, files), whose
 * "files" does not list index.html itself. ents: one entry per entity
 * present, in the order the page shows them. schemas: gives each entity's
 * column order and column descriptions; may be NULL, and an entity it does
 * not know is shown with the union of its records' keys in record order.
 * Data files are streamed: memory holds at most PX_HTML_MAX_ROWS records of
 * one entity. Nothing is kept after return; out is not closed.
 * Returns 0, or -1 with err set: PX_EXIT_IOERR when a data file cannot be
 * read or out cannot be written, PX_EXIT_SOFTWARE when a data file is not
 * in the layout above or disagrees with records. */
int px_index_html_write(FILE *out, const json_t *manifest,
			const px_html_entity *ents, size_t n,
			const px_schemas *schemas, px_error *err);

/* Internal to index_html*.c: writing pieces of the page. */

#include "html/i18n.h"

/* s as HTML text: & < > " ' escaped; bytes that are not valid UTF-8 and
 * control characters other than tab and newline become U+FFFD. */
void px_html_text(FILE *out, const char *s);
void px_html_textn(FILE *out, const char *s, size_t len);

/* path as an href attribute value: percent-encoded except [A-Za-z0-9-._~/]. */
void px_html_href(FILE *out, const char *path);

/* A JSON value as a person reads it: strings as text, numbers, yes/no for
 * booleans, nothing for null, compact JSON in <code> for arrays and
 * objects. px_html_member(): the same for a record member's text (m NULL:
 * nothing); s holds its string decoded (scratch, replaced). */
void px_html_value(FILE *out, px_lang lang, const json_t *v);
void px_html_member(FILE *out, px_lang lang, const px_jmember *m, px_buf *s);

/* Values as the page's language writes them (index_html_format.c). */

/* The manifest's "timezone" (the controller's zone); NULL (UTC) when it
 * has none or the zone is unknown here. */
const px_tz *px_html_zone(const json_t *manifest);

/* ts ("2026-11-22T07:32:08Z", RFC 3339 UTC) in zone tz (NULL: UTC) as
 * <time datetime="ts">22/11/2026 08:32:08 CET</time>; long_form adds
 * "à"/"at" and the offset "(UTC+01:00)". Returns -1, writing nothing,
 * when ts is not such a time. */
int px_html_datetime(FILE *out, px_lang lang, const px_tz *tz, const char *ts,
		     int long_form);

/* "2024-12-31" as <time datetime="2024-12-31">31/12/2024</time> (fr;
 * English keeps ISO 8601). Returns -1, writing nothing, for anything but
 * a real date. */
int px_html_date(FILE *out, px_lang lang, const char *s);

/* "-1234.5" -> "-1 234,5" (fr, narrow no-break spaces) or "-1,234.5";
 * digits: an optional "-", digits, an optional "." and digits. */
void px_html_decimal(FILE *out, px_lang lang, const char *digits);
void px_html_grouped(FILE *out, px_lang lang, json_int_t n);

/* A table's column, with what its cells need to know of its name worked
 * out once (a long entity's table has a million cells per column). */
typedef struct px_html_col {
	const char *name;
	int amount; /* "amount": money, with the row's currency */
	int link;   /* "name" or "path": a document's link */
	int words;  /* px_i18n_has_values(name) */
} px_html_col;

/* A table cell's value v of column col, when the locale writes it its
 * own way: numbers, money (an "amount" with its record's currency, or
 * NULL: "49,90 €"), a closed list's value in words, dates and times (in
 * tz). str, len: v decoded when it is a string. Returns -1, writing
 * nothing, for any other value. */
int px_html_cell(FILE *out, px_lang lang, const px_tz *tz,
		 const px_html_col *col, const px_jmember *v, const char *str,
		 size_t len, const char *currency);

/* Records as their texts (the members of each object without the braces,
 * as the data files hold them), one after the other, for a table. The
 * texts live in blocks (index_html_rows.c) that never move: row[i].text
 * stays valid until the row is cleared or passed on. Zero it to begin. */
typedef struct px_html_block px_html_block;
typedef struct px_html_row {
	const char *text; /* NUL-terminated */
	size_t len;
} px_html_row;
typedef struct px_html_rows {
	px_html_row *row;
	size_t n, cap;
	px_html_block *first, *last; /* the blocks holding row, in order */
	px_html_block *spare;	     /* emptied ones, for the next rows */
} px_html_rows;

/* Appends a record's text (copied). Returns 0, -1 on out of memory. */
int px_html_rows_add(px_html_rows *r, const char *text, size_t len);
/* Gives to, for its next rows, from's spare blocks and those holding only
 * rows before upto: those rows of from may not be read again. */
void px_html_rows_pass(px_html_rows *from, size_t upto, px_html_rows *to);
/* No rows; their blocks are kept for the next ones. */
void px_html_rows_clear(px_html_rows *r);
void px_html_rows_free(px_html_rows *r);

/* The <section> of one entity: its table of at most PX_HTML_MAX_ROWS rows,
 * links to its pages when it has more, to its CSV and JSON. id: the
 * section's anchor number. */
int px_html_entity_section(FILE *out, px_lang lang, const px_tz *tz,
			   const px_html_entity *e, size_t id,
			   const px_schemas *schemas, px_error *err);

/* rows (records of entity) as a table: columns in the schema's order,
 * then other keys. A record not in the data files' form fails
 * (PX_EXIT_SOFTWARE). root: what leads from the page to the
 * package's top folder ("" or "../"), for links to documents. tz: the
 * zone dates are shown in (NULL: UTC). */
int px_html_rows_table(FILE *out, px_lang lang, const px_tz *tz,
		       const char *entity, const px_html_rows *rows,
		       const px_schemas *schemas, const char *root,
		       px_error *err);

/* The same table written a few rows at a time, so that a page of thousands
 * of rows costs its writer no pause longer than a few rows (views.c
 * renders one page while the records of the next arrive). begin: the
 * columns (from all of rows) and the table's head; rows: the rows before
 * upto not yet written; end: the rest, the table's end, and frees it. rows
 * must stay as they are until then, but for those px_html_table_spent()
 * gives up. begin returns NULL, rows and end -1,
 * with err set as px_html_rows_table(). Free an unfinished one with
 * px_html_table_free(). */
typedef struct px_html_table px_html_table;
px_html_table *px_html_table_begin(FILE *out, px_lang lang, const px_tz *tz,
				   const char *entity, const px_html_rows *rows,
				   const px_schemas *schemas, const char *root,
				   px_error *err);
int px_html_table_rows(px_html_table *w, size_t upto, px_error *err);
/* The rows before this one will not be read again: they may be passed on
 * (px_html_rows_pass()) while the table is unfinished. */
size_t px_html_table_spent(const px_html_table *w);
int px_html_table_end(px_html_table *w, px_error *err);
void px_html_table_free(px_html_table *w);

/* <!DOCTYPE html> to <body>: language, Content-Security-Policy, styles;
 * the title is "title — controller" (controller may be NULL). */
void px_html_doc_open(FILE *out, px_lang lang, const char *title,
		      const char *controller);

/* A text of the manifest's "processing" (a string, or one per language)
 * in lang, else French, else any. NULL when none. Borrowed from t. */
const char *px_html_pick(px_lang lang, const json_t *t);

/* "What we do with your data" (purposes; nothing without any) and "Your
 * rights" (rights, DPO, minors, authority; nothing without rights) from
 * manifest.json's "processing" (may be NULL). */
void px_html_processing(FILE *out, px_lang lang, const json_t *proc);
void px_html_rights(FILE *out, px_lang lang, const json_t *proc);

/* <div class="scroll" tabindex="0"><table><caption>...<thead><tr>: a
 * table scrolling in its own box, its caption for screen readers. */
void px_html_table_open(FILE *out, const char *caption);

/* The number of html/<entity>-NNNN.html pages an entity of `records`
 * records gets: 0 when index.html shows them all. */
unsigned long px_html_pages(unsigned long records);

/* "score-0001.html" (page counts from 1; the folder is html/). */
void px_html_page_name(char *buf, size_t n, const char *entity,
		       unsigned long page);

/* One further page of an entity. It is written while the records pass,
 * before their number is known: it names its own records and links to
 * the next page only when there is one. */
typedef struct px_html_page {
	px_lang lang;
	const char *entity;
	const char *controller; /* for the title; may be NULL */
	const px_tz *tz;	/* dates' zone; NULL: UTC */
	unsigned long page;	/* from 1 */
	int next;		/* another page follows */
} px_html_page;

/* Writes html/<entity>-NNNN.html for pg: rows are that page's records
 * (at most PX_HTML_PAGE_ROWS), with links back to index.html, to the
 * first and previous pages, and to the next one if pg->next. begin writes
 * the page up to its table's head and returns the table, whose rows the
 * caller writes (px_html_table_rows(), as few at a time as it likes);
 * end writes the rest of them, the page's end, and frees the table.
 * begin returns NULL, end -1, with err set (PX_EXIT_IOERR when out cannot
 * be written, PX_EXIT_SOFTWARE for a record not in the data files' form). */
px_html_table *px_html_page_begin(FILE *out, const px_html_page *pg,
				  const px_html_rows *rows,
				  const px_schemas *schemas, px_error *err);
int px_html_page_end(FILE *out, const px_html_page *pg, px_html_table *rows,
		     px_error *err);

#endif
