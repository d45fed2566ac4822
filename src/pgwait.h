/*
 * pgwait.h - every wait on a PostgreSQL server, bounded: the one
 * implementation the source connector (connectors/postgres.c) and the
 * ledger (src/ledger/ledger_pg.c) use.
 *
 * The connection is non-blocking (px_pg_connect() makes it so); every
 * wait ends by a deadline, an absolute time in px_pg_now_ms()'s clock, and
 * within a quarter of a second of SIGINT/SIGTERM/SIGHUP
 * (px_interrupted(), src/interrupt.h).
 */
#ifndef PX_PGWAIT_H
#define PX_PGWAIT_H

#include <libpq-fe.h>
#include <stdint.h>

/* What a failed wait means: */
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

/* Every result of what was sent (sent: how sending went, a
 * px_pg_wait_rc), read by deadline. *res is the first result that failed,
 * else the last (the caller PQclear()s it); NULL when the return value is
 * not PX_PG_OK (a query with no result at all is PX_PG_BROKEN). */
int px_pg_collect(PGconn *conn, int sent, int64_t deadline, PGresult **res);

/* Sends sql - with n > 0, one statement with params[i] bound to $(i+1)
 * (NULL: SQL NULL); with n == 0, one or more statements - and
 * px_pg_collect()s its results. */
int px_pg_exec(PGconn *conn, const char *sql, int n, const char *const *params,
	       int64_t deadline, PGresult **res);

/* Connects to conninfo (a libpq connection string or URI; "" leaves
 * libpq's environment alone) within the connect_timeout libpq settles on
 * (conninfo, PGCONNECT_TIMEOUT; 10 s when none), then makes the
 * connection non-blocking. Over TCP, keepalives and tcp_user_timeout
 * (defaults the conninfo may change) let the kernel notice a peer that
 * vanished; the deadlines cover a peer that is there but silent, and Unix
 * sockets. The client encoding is UTF8 whatever the conninfo says;
 * application_name defaults to "portex". *out is the connection whatever
 * happened (NULL only out of memory): the caller PQfinish()es it and
 * reads PQerrorMessage() for PX_PG_BROKEN. On PX_PG_TIMEOUT *waited_ms
 * says how long the limit was. Returns a px_pg_wait_rc. */
int px_pg_connect(const char *conninfo, PGconn **out, int64_t *waited_ms);

/* A libpq message on one line: newlines and the indentation of the lines
 * after them become "; ", the trailing newline goes. Returns buf. */
const char *px_pg_one_line(const char *msg, char *buf, size_t size);

#endif
