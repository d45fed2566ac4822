/*
 * postgres.h - internals shared by the PostgreSQL driver's files; not part
 * of portex's public API.
 */
#ifndef PORTEX_CONNECTORS_POSTGRES_H
#define PORTEX_CONNECTORS_POSTGRES_H

#include <jansson.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "pgwait.h"
#include "rows.h"

/* How a column's text output becomes JSON, chosen once per column from its
 * type OID. */
enum px_pg_kind {
	PX_PG_STRING,  /* text, varchar, date, uuid, enums, anything else */
	PX_PG_UTF8,    /* the same, from a server that has checked its UTF-8;
			* timestamp (without time zone, ASCII) too */
	PX_PG_INTEGER, /* int2, int4, int8, oid */
	PX_PG_NUMERIC, /* numeric: exact digits via px_decimal_new() */
	PX_PG_FLOAT,   /* float4, float8 */
	PX_PG_BOOL,    /* bool */
	PX_PG_TIMESTAMP, /* timestamptz: RFC 3339 UTC */
	PX_PG_JSON,	 /* json, jsonb: nested JSON */
	PX_PG_BYTEA,	 /* bytea: only a document's "content" */
};

/* utf8_checked: the database's encoding is UTF8 (not SQL_ASCII), so the
 * server has already validated every string it sends. */
enum px_pg_kind px_pg_kind_of(Oid type, int utf8_checked);

/* Converts one non-NULL value in PostgreSQL's text output (the session
 * runs with TimeZone UTC and DateStyle ISO) to JSON. Returns a new
 * reference, or NULL with *why set to a static reason ("not valid UTF-8",
 * "NaN has no JSON form", ...) when the value cannot be represented; the
 * caller names source, collection and column. Never called for bytea. */
json_t *px_pg_value(enum px_pg_kind kind, const char *text, size_t len,
		    const char **why);

/* The same value as a cell of the typed-row path (rows.h) meaning what
 * px_pg_value() makes of it; a timestamp's RFC 3339 text is written into
 * ts. Returns 0, or -1 when only px_pg_value() can tell what is wrong
 * (an integer beyond 64 bits, a NaN float). */
int px_pg_cell(enum px_pg_kind kind, const char *text, size_t len, px_cell *out,
	       char ts[40]);

#endif
