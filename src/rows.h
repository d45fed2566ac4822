/*
 * rows.h - the typed-row path of the built-in drivers, beside the JSON
 * records of connector.h.
 *
 * A driver that has it hands each row over as raw cells (the database's
 * own values: integers, doubles, text) to a row sink, which writes the
 * record's JSON text straight from them (encode/rowenc.h): no JSON object
 * per row. A row the sink cannot write that way (one that needs a
 * conversion, or breaks its schema, so that the generic path names the
 * problem) is handed back, and the driver then builds the px_record of
 * connector.h as it always does and pushes it through emit.
 *
 * Internal to portex: third-party plugins (connector.h, ABI 1) keep the
 * JSON path and need no change. The cells' meaning is the driver's
 * px_record's: px_cell_json() turns a cell into the value the record
 * would carry, so both paths see the same data.
 */
#ifndef PX_ROWS_H
#define PX_ROWS_H

#include <jansson.h>
#include <stddef.h>

#include "portex/connector.h"

typedef enum px_cell_type {
	PX_CELL_NULL,	 /* absent */
	PX_CELL_INTEGER, /* i */
	PX_CELL_REAL,	 /* d */
	PX_CELL_TEXT,	 /* text, len: bytes as stored, NUL-terminated */
	PX_CELL_BLOB,	 /* bytes: only the generic path knows what to do */
	PX_CELL_BOOL,	 /* i: 0 or 1 */
	PX_CELL_DECIMAL, /* text: exact digits (px_decimal_new()) */
	PX_CELL_JSON,	 /* text, len: JSON text, a nested value */
} px_cell_type;

typedef struct px_cell {
	px_cell_type type;
	long long i;
	double d;
	const char *text; /* borrowed from the driver until the call returns */
	size_t len;
} px_cell;

/* Called once per fetch with its column names (borrowed until the fetch
 * returns), before any row. Returns 0 or -1 with err set. */
typedef int (*px_columns_fn)(void *ctx, const char *const *names, size_t n,
			     px_error *err);

/* Called per row. Returns 0 when the row was taken, 1 when the driver
 * must push it as a px_record through emit instead, -1 with err set. */
typedef int (*px_row_fn)(void *ctx, const px_cell *cells, size_t n,
			 px_error *err);

typedef struct px_row_sink {
	px_columns_fn columns;
	px_row_fn row;
	px_emit_fn emit;
	void *ctx; /* given to all three */
} px_row_sink;

/* A driver's typed-row fetch: fetch() of connector.h with a row sink. */
typedef int (*px_fetch_rows_fn)(px_source *src, size_t coll, const json_t *keys,
				const px_row_sink *sink, px_error *err);

/* The built-in drivers that have one. */
int px_sqlite_fetch_rows(px_source *src, size_t coll, const json_t *keys,
			 const px_row_sink *sink, px_error *err);
int px_postgres_fetch_rows(px_source *src, size_t coll, const json_t *keys,
			   const px_row_sink *sink, px_error *err);

/* The typed-row fetch of a built-in driver, or NULL (plugins, REST). */
px_fetch_rows_fn px_connector_rows(const px_connector *c);

/* The JSON value of a cell as a driver's record carries it: integer,
 * real, string (NULL when the text is not UTF-8 or holds a NUL byte, as
 * jansson refuses it), boolean, px_decimal (NULL when not a decimal
 * literal), the parsed JSON text (NULL when it does not parse). NULL for
 * NULL and BLOB cells and on out of memory. A new reference. */
json_t *px_cell_json(const px_cell *c);

#endif
