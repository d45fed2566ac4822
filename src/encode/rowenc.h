/*
 * rowenc.h - a collection compiled into a row encoder: the record's JSON
 * text written straight from a driver's row (rows.h), no JSON object per
 * row.
 *
 * Compiled once per statement, from the entity's schema, the collection's
 * normaliser and the statement's column names: per column, which member
 * it is, how its value is converted and which of its schema's checks
 * must run on it. Values already in their final shape (text for a
 * string, an RFC 3339 UTC timestamp, an integer for an integer) are
 * written as they are after the checks a database type cannot promise
 * (pattern, enum, bounds, UTF-8); any other value goes through the
 * normaliser and the field's validator one value at a time. A row that
 * fails anything is handed back: the generic path (normaliser, record
 * validator) then writes it, or names exactly what is wrong. The text is
 * the bytes the generic path writes (a unit test compares the two).
 */
#ifndef PX_ROWENC_H
#define PX_ROWENC_H

#include "jsonout.h"
#include "normalise.h"
#include "portex/schema.h"
#include "rows.h"

typedef struct px_rowenc px_rowenc;

/* entity_schema: the entity's whole schema (px_schemas_entity()), v its
 * record validator, norm the collection's normaliser: all borrowed, they
 * must outlive the encoder. NULL on out of memory. */
px_rowenc *px_rowenc_new(const json_t *entity_schema, px_validator *v,
			 const px_normaliser *norm);

/* Compiles for a statement's columns. Returns 1 when its rows can be
 * written here, 0 when each must take the generic path (a column the
 * schema does not know, a required field no column gives, a schema
 * keyword the encoder does not mirror), -1 on out of memory. */
int px_rowenc_columns(px_rowenc *e, const char *const *names, size_t n);

/* Writes one row's members (no braces, schema order) into out, which is
 * cleared first. Returns 0, 1 when the row must take the generic path,
 * -1 on out of memory. Only after px_rowenc_columns() returned 1. */
int px_rowenc_row(px_rowenc *e, const px_cell *cells, size_t n, px_buf *out);

void px_rowenc_free(px_rowenc *e);

/* 1 when s (len bytes) is UTF-8 as jansson accepts it, without NUL. */
int px_utf8_ok(const char *s, size_t len);

#endif
