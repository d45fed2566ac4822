/*
 * pgwait.c - every wait on a PostgreSQL server, bounded.
 *
 * libpq's blocking calls wait as long as the kernel lets them: a backend
 * that stops answering (SIGSTOP, a frozen host, a dropped route) hangs
 * them forever on a Unix socket, and for many minutes over TCP, and a
 * signal handler installed with SA_RESTART cannot interrupt them. The
 * source connector and the ledger keep their connections non-blocking and
 * wait here instead: poll() in slices short enough that SIGINT/SIGTERM
 * (src/interrupt.c) end any wait within a quarter of a second, never past
 * a deadline.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "interrupt.h"
#include "pgwait.h"

/* The longest a signal can go unnoticed: poll() returns EINTR when one
 * arrives while it sleeps, but one that lands just before it does not
 * wake it. */
#define SLICE_MS 250

/* libpq's own floor for connect_timeout, and portex's default. */
#define CONNECT_MIN_S	  2
#define CONNECT_DEFAULT_S 10
#define PX_STR_(x)	  #x
#define PX_STR(x)	  PX_STR_(x)

int64_t px_pg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int px_pg_wait(PGconn *conn, int want_write, int64_t deadline)
{
	struct pollfd pfd;
	int sock = PQsocket(conn);

	if (sock < 0)
		return PX_PG_BROKEN;
	pfd.fd = sock;
	pfd.events = POLLIN | (want_write ? POLLOUT : 0);
	for (;;) {
		int64_t left = deadline - px_pg_now_ms();
		int n;

		if (px_interrupted())
			return PX_PG_INTERRUPTED;
		if (left <= 0)
			return PX_PG_TIMEOUT;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)(left < SLICE_MS ? left : SLICE_MS));
		if (n > 0)
			return PX_PG_OK; /* errors and hang-ups: libpq says */
		if (n < 0 && errno != EINTR)
			return PX_PG_BROKEN;
	}
}

int px_pg_flush(PGconn *conn, int64_t deadline)
{
	for (;;) {
		int rc = PQflush(conn);

		if (rc == 0)
			return PX_PG_OK;
		if (rc < 0)
			return PX_PG_BROKEN;
		/* The server may be waiting for us to read before it reads
		 * more: take what it sent while we wait to send. */
		if ((rc = px_pg_wait(conn, 1, deadline)))
			return rc;
		if (!PQconsumeInput(conn))
			return PX_PG_BROKEN;
	}
}

int px_pg_await(PGconn *conn, int64_t deadline)
{
	int rc = px_pg_flush(conn, deadline);

	while (!rc && PQisBusy(conn)) {
		if ((rc = px_pg_wait(conn, 0, deadline)))
			break;
		if (!PQconsumeInput(conn))
			rc = PX_PG_BROKEN;
	}
	return rc;
}

int px_pg_next(PGconn *conn, int64_t deadline, PGresult **res)
{
	int rc = px_pg_await(conn, deadline);

	*res = rc ? NULL : PQgetResult(conn);
	return rc;
}

int px_pg_collect(PGconn *conn, int sent, int64_t deadline, PGresult **res)
{
	PGresult *keep = NULL, *r;
	int rc = sent;

	while (!rc && !(rc = px_pg_next(conn, deadline, &r)) && r) {
		ExecStatusType st =
		    keep ? PQresultStatus(keep) : PGRES_COMMAND_OK;

		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			PQclear(keep);
			keep = r;
		} else {
			PQclear(r);
		}
	}
	if (!rc && !keep)
		rc = PX_PG_BROKEN;
	if (rc) {
		PQclear(keep);
		keep = NULL;
	}
	*res = keep;
	return rc;
}

int px_pg_exec(PGconn *conn, const char *sql, int n, const char *const *params,
	       int64_t deadline, PGresult **res)
{
	int sent =
	    n ? PQsendQueryParams(conn, sql, n, NULL, params, NULL, NULL, 0)
	      : PQsendQuery(conn, sql);

	return px_pg_collect(conn, sent ? PX_PG_OK : PX_PG_BROKEN, deadline,
			     res);
}

const char *px_pg_one_line(const char *msg, char *buf, size_t size)
{
	size_t n = 0;
	int join = 0;

	for (; msg && *msg && n + 3 < size; msg++) {
		if (*msg == '\n' || *msg == '\r') {
			join = n > 0;
		} else if (join && (*msg == ' ' || *msg == '\t')) {
			continue;
		} else {
			if (join) {
				buf[n++] = ';';
				buf[n++] = ' ';
				join = 0;
			}
			buf[n++] = *msg;
		}
	}
	buf[n] = '\0';
	return buf;
}

/* The connect_timeout libpq settled on (conninfo, PGCONNECT_TIMEOUT or
 * the caller's default), in ms. libpq enforces it only in its blocking
 * PQconnectdb; with PQconnectPoll it is the caller's to keep. 0 would
 * mean "forever": portex's default instead. */
static int64_t connect_timeout_ms(PGconn *conn)
{
	PQconninfoOption *opts = PQconninfo(conn);
	long s = 0;

	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (!strcmp(o->keyword, "connect_timeout") && o->val)
			s = strtol(o->val, NULL, 10);
	PQconninfoFree(opts);
	if (s <= 0)
		s = CONNECT_DEFAULT_S;
	else if (s < CONNECT_MIN_S)
		s = CONNECT_MIN_S;
	return (int64_t)s * 1000;
}

/* Entries after the conninfo override it: portex needs UTF-8. Those
 * before are defaults the conninfo may change; empty values are ignored,
 * so PGCONNECT_TIMEOUT wins over portex's default. */
int px_pg_connect(const char *conninfo, PGconn **out, int64_t *waited_ms)
{
	char connect_default[16];
	const char *keys[] = {"connect_timeout",
			      "keepalives",
			      "keepalives_idle",
			      "keepalives_interval",
			      "keepalives_count",
			      "tcp_user_timeout",
			      "dbname",
			      "client_encoding",
			      "fallback_application_name",
			      NULL};
	const char *vals[] = {
	    connect_default, "1",      "30",   "10",	 "3",
	    "60000",	     conninfo, "UTF8", "portex", NULL};
	PGconn *conn;
	int64_t limit, deadline;
	int rc = PX_PG_OK;

	snprintf(connect_default, sizeof(connect_default), "%s",
		 getenv("PGCONNECT_TIMEOUT") ? "" : PX_STR(CONNECT_DEFAULT_S));
	*out = conn = PQconnectStartParams(keys, vals, 1);
	*waited_ms = 0;
	if (!conn)
		return PX_PG_BROKEN;
	if (PQstatus(conn) == CONNECTION_BAD)
		return PX_PG_BROKEN;
	limit = connect_timeout_ms(conn);
	deadline = px_pg_now_ms() + limit;
	for (PostgresPollingStatusType st = PGRES_POLLING_WRITING;;) {
		if (st == PGRES_POLLING_OK)
			break;
		if (st == PGRES_POLLING_FAILED) {
			rc = PX_PG_BROKEN;
			break;
		}
		if ((rc = px_pg_wait(conn, st == PGRES_POLLING_WRITING,
				     deadline))) {
			*waited_ms = limit;
			break;
		}
		st = PQconnectPoll(conn);
	}
	if (!rc && PQsetnonblocking(conn, 1))
		rc = PX_PG_BROKEN;
	return rc;
}
