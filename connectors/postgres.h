/*
 * postgres.h - internals shared by the PostgreSQL driver's files; not part
 * of portex's public API.
 */
#ifndef PORTEX_CONNECTORS_POSTGRES_H
#define PORTEX_CONNECTORS_POSTGRES_H

#include <jansson.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "rows.h"

/* How a column's text output becomes JSON, chosen once per column from its
 * type OID. */
enum px_pg_kind {
	PX_PG_STRING,  /* text, varchar, date, uuid, enums, anything else */
	PX_PG_UTF8,    /* the same, from a server that has checked its UTF-8 */
	PX_PG_INTEGER, /* int2, int4, int8, oid */
	PX_PG_NUMERIC, /* numeric: exact digits via px_decimal_new() */
	PX_PG_FLOAT,   /* float4, float8 */
	PX_PG_BOOL,    /* bool */
	PX_PG_TIMESTAMP, /* timestamp, timestamptz: RFC 3339 UTC */
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

/* Waiting on the server (postgres_wait.c). The connection is
 * non-blocking (px_pg_connect() makes it so); every wait ends by a
 * deadline, an absolute time in px_pg_now_ms()'s clock, and within a
 * quarter of a second of SIGINT/SIGTERM/SIGHUP (px_interrupted()). What a
 * failed wait means: */
enum px_pg_wait_rc {
	PX_PG_OK = 0,
	PX_PG_TIMEOUT = -1,	/* the deadline passed; the server is silent */
	PX_PG_INTERRUPTED = -2, /* a signal asked portex to stop */
	PX_PG_BROKEN = -3,	/* the connection failed: PQerrorMessage() */
};

/* Milliseconds on a monotonic clock. */
int64_t px_pg_now_ms(void);

/* Waits until conn's socket is readable (or writable, when want_write).
 * Returns a px_pg_wait_rc. */
int px_pg_wait(PGconn *conn, int want_write, int64_t deadline);

/* Sends what libpq has queued (after PQsendQuery*()), reading what the
 * server sends meanwhile. Returns a px_pg_wait_rc. */
int px_pg_flush(PGconn *conn, int64_t deadline);

/* Flushes, then reads until PQgetResult() would not block. Returns a
 * px_pg_wait_rc. */
int px_pg_await(PGconn *conn, int64_t deadline);

/* px_pg_await() then PQgetResult(): *res is the next result (the caller
 * PQclear()s it) or NULL when the query's results are done; NULL too when
 * the wait failed, which the return value says. */
int px_pg_next(PGconn *conn, int64_t deadline, PGresult **res);

/* PQconnectStartParams(keys, vals, expand_dbname 1) driven to the end
 * within the connect_timeout libpq settles on (conninfo,
 * PGCONNECT_TIMEOUT; 10 s when none), then made non-blocking. *out is the
 * connection whatever happened (NULL only out of memory): the caller
 * PQfinish()es it and reads PQerrorMessage() for PX_PG_BROKEN. On
 * PX_PG_TIMEOUT *waited_ms says how long the limit was. */
int px_pg_connect(const char *const *keys, const char *const *vals,
		  PGconn **out, int64_t *waited_ms);

/* The same value as a cell of the typed-row path (rows.h) meaning what
 * px_pg_value() makes of it; a timestamp's RFC 3339 text is written into
 * ts. Returns 0, or -1 when only px_pg_value() can tell what is wrong
 * (an integer beyond 64 bits, a NaN float). */
int px_pg_cell(enum px_pg_kind kind, const char *text, size_t len, px_cell *out,
	       char ts[40]);

#endif
