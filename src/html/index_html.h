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
#include <stdio.h>

#include "portex/error.h"
#include "portex/schema.h"

/* At most this many rows of an entity are shown; the page says how many
 * more are in data/<entity>.json. */
#define PX_HTML_MAX_ROWS 500

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
	int deflated; /* fd holds it as raw deflate data (package/spool.h);
		       * path then only names it in messages */
	int fd;
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
 * objects. */
void px_html_value(FILE *out, px_lang lang, const json_t *v);

/* The <section> of one entity: its table of at most PX_HTML_MAX_ROWS rows
 * and the count of the others. id: the section's anchor number. */
int px_html_entity_section(FILE *out, px_lang lang, const px_html_entity *e,
			   size_t id, const px_schemas *schemas, px_error *err);

#endif
