/*
 * csv.h - csv/<entity>.csv: an entity's records as CSV (RFC 4180) for a
 * spreadsheet.
 *
 * UTF-8 with a byte-order mark: Excel reads a CSV without one in the
 * machine's legacy code page (accents come out garbled), and with one as
 * UTF-8; LibreOffice, Python's csv (encoding "utf-8-sig") and most readers
 * skip it. Fields are separated by commas, records end in CRLF, a field
 * holding a comma, a quote, CR or LF is quoted with its quotes doubled.
 * One column per field of the entity's schema, in the schema's order, so
 * every file of an entity has the same header; a value is written as its
 * text (a string as is, numbers as JSON writes them, true/false), an
 * array or object as compact JSON text, an absent value as an empty cell.
 */
#ifndef PX_CSV_H
#define PX_CSV_H

#include <jansson.h>
#include <stdio.h>

#include "jsonscan.h"
#include "portex/error.h"

/* Writes the BOM and the header line: the keys of properties (a record
 * schema's "properties"). Returns 0, or -1 with err set (PX_EXIT_IOERR). */
int px_csv_header(FILE *out, const json_t *properties, px_error *err);

/* Writes a record as one line, in the columns of properties: rec holds
 * its members (px_jfields_scan() of its text in the data file), values
 * are taken from that text without a parse (but nested arrays and
 * objects). A field of rec that has no column fails (PX_EXIT_SOFTWARE:
 * the validator should have refused it), so no value is ever silently
 * dropped; so does a value not in the data file's form. n: the record's
 * number, for the message. s: scratch, replaced. Returns 0 or -1. */
int px_csv_row(FILE *out, const json_t *properties, const px_jfields *rec,
	       const char *entity, unsigned long n, px_buf *s, px_error *err);

#endif
