/*
 * ledger_pg.c - the ledger on PostgreSQL. A writer takes a transaction-
 * scoped advisory lock first, so "read the last hash, append" is atomic
 * across processes; lock_timeout bounds the wait like SQLite's busy
 * timeout.
 *
 * No wait is unbounded (src/pgwait.c): connecting takes at most
 * connect_timeout (URI or PGCONNECT_TIMEOUT, 10 s by default), a
 * statement at most its statement_timeout (the session's, set with
 * "options=-c statement_timeout=..." or PGOPTIONS; 30 s when it has none)
 * plus a grace for the server's own cancellation to arrive, and a signal
 * ends any wait. A connection that was given up on is never used again
 * (the next transaction, in a process that goes on, gets a new one): the
 * server rolls back what it had not committed once it runs again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interrupt.h"
#include "ledger/ledger_backend.h"
#include "pgwait.h"

/* Any fixed number: the ledger's write lock ("px" in ASCII, 0x7078). */
#define LEDGER_LOCK_KEY "28792"
#define LOCK_TIMEOUT	"5s"
/* The session's statement_timeout when it has none (0). */
#define STATEMENT_DEFAULT    "30s"
#define STATEMENT_DEFAULT_MS 30000
/* How much longer than its statement_timeout a statement may go
 * unanswered (at most; never more than the timeout itself). */
#define GRACE_MAX_MS 5000

struct pg {
	PGconn *conn;
	const char *desc;
	char *target;	      /* the URI, to connect again */
	long long timeout_ms; /* statement_timeout in force, once known */
	int in_tx;	      /* inside a transaction (begin() succeeded) */
	int writing;	      /* inside a write transaction */
	/* A wait failed: results may still be on their way, the connection
	 * is not used again. A long-running process (serve, worker)
	 * connects afresh at its next transaction. */
	int gone;
};

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* NOTICEs ("already exists, skipping") are noise */
}

static long long timeout_ms(const struct pg *s)
{
	return s->timeout_ms > 0 ? s->timeout_ms : STATEMENT_DEFAULT_MS;
}

static long long grace_ms(const struct pg *s)
{
	long long t = timeout_ms(s);

	return t < GRACE_MAX_MS ? t : GRACE_MAX_MS;
}

/* What a statement does, in the words of an error message. */
static const char *doing(const char *sql)
{
	static const struct {
		const char *prefix, *what;
	} verbs[] = {
	    {"BEGIN", "starting a transaction"},
	    {"SELECT pg_advisory_xact_lock", "taking the ledger's write lock"},
	    {"COMMIT", "committing"},
	    {"SELECT", "reading"},
	    {"INSERT", "writing"},
	    {"UPDATE", "writing"},
	    {"DELETE", "writing"},
	    {"CREATE", "creating the ledger's tables"},
	    {"ALTER", "migrating the ledger's tables"},
	    {"SET", "setting up the session"},
	};

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strncmp(sql, verbs[i].prefix, strlen(verbs[i].prefix)))
			return verbs[i].what;
	return "running a statement";
}

/* What became of the change in progress when a statement got no answer
 * (or was interrupted): "" outside a write transaction. */
static const char *outcome(const struct pg *s, const char *sql)
{
	if (!strncmp(sql, "COMMIT", 6))
		return "; whether the change was recorded is unknown until the "
		       "ledger answers again ('portex request show' or "
		       "'portex audit log' will tell)";
	if (s->writing)
		return "; nothing was recorded (the server rolls the "
		       "transaction back)";
	return "";
}

/* A wait that failed -> its error; the connection is given up on. */
static int wait_fail(struct pg *s, int rc, const char *sql, px_error *err)
{
	char line[300];

	s->gone = 1;
	if (rc == PX_PG_INTERRUPTED)
		return px_error_set(err, PX_EXIT_INTERRUPTED,
				    "interrupted: %s: while %s%s", s->desc,
				    doing(sql), outcome(s, sql));
	if (rc == PX_PG_TIMEOUT)
		return px_error_set(
		    err, PX_EXIT_UNAVAILABLE,
		    "%s: no answer within %lld ms (statement_timeout %lld "
		    "ms + %lld ms) while %s: the server stopped answering, "
		    "portex gave up%s",
		    s->desc, timeout_ms(s) + grace_ms(s), timeout_ms(s),
		    grace_ms(s), doing(sql), outcome(s, sql));
	return px_error_set(
	    err, PX_EXIT_UNAVAILABLE, "%s: lost the connection while %s: %s%s",
	    s->desc, doing(sql),
	    px_pg_one_line(PQerrorMessage(s->conn), line, sizeof(line)),
	    outcome(s, sql));
}

static int pg_fail(struct pg *s, PGresult *r, const char *what, px_error *err)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(s->conn);
	size_t n = strlen(msg);
	int code = PX_EXIT_SOFTWARE;

	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	if (PQstatus(s->conn) != CONNECTION_OK ||
	    (state && state[0] == '0' && state[1] == '8'))
		code = PX_EXIT_UNAVAILABLE;
	else if (state && (!strcmp(state, "55P03") || !strcmp(state, "40001") ||
			   !strcmp(state, "40P01"))) {
		px_error_set(err, PX_EXIT_UNAVAILABLE,
			     "%s is locked by another process (waited %s); "
			     "try again later",
			     s->desc, LOCK_TIMEOUT);
		PQclear(r);
		return -1;
	} else if (state && !strcmp(state, "57014")) {
		px_error_set(err, PX_EXIT_UNAVAILABLE,
			     "%s: statement_timeout (%lld ms) passed while %s; "
			     "the server cancelled the statement%s",
			     s->desc, timeout_ms(s), doing(what),
			     s->writing ? ": nothing was recorded" : "");
		PQclear(r);
		return -1;
	}
	px_error_set(err, code, "%s: %s: %.*s", s->desc, what, (int)n, msg);
	PQclear(r);
	return -1;
}

/* Runs sql (see px_pg_exec()) within the statement deadline: *out is its
 * result when it succeeded (the caller PQclear()s it), else err is set. */
static int pg_run(struct pg *s, const char *sql, int n,
		  const char *const *params, PGresult **out, px_error *err)
{
	PGresult *r;
	ExecStatusType st;
	int rc;

	*out = NULL;
	if (s->gone)
		return px_error_set(err, PX_EXIT_UNAVAILABLE,
				    "%s: not asked again after it stopped "
				    "answering",
				    s->desc);
	rc = px_pg_exec(s->conn, sql, n, params,
			px_pg_now_ms() + timeout_ms(s) + grace_ms(s), &r);
	if (rc)
		return wait_fail(s, rc, sql, err);
	st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		return pg_fail(s, r, sql, err);
	*out = r;
	return 0;
}

static int pg_exec(struct pg *s, const char *sql, px_error *err)
{
	PGresult *r;

	if (pg_run(s, sql, 0, NULL, &r, err))
		return -1;
	PQclear(r);
	return 0;
}

/* A malformed URI is a config error. libpq's parse messages can quote
 * pieces of the URI, the password included ("invalid percent-encoded
 * token"): only those naming an unknown parameter are passed on. */
static int check_uri(const char *target, const char *desc, px_error *err)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(target, &msg);
	int rc = 0;

	if (!opts) {
		int keyword =
		    msg && (!strncmp(msg, "invalid URI query", 17) ||
			    !strncmp(msg, "invalid connection option", 25));

		rc = px_error_set(
		    err, PX_EXIT_CONFIG, "%s: not a valid PostgreSQL URI%s%.*s",
		    desc, keyword ? ": " : "",
		    keyword ? (int)strcspn(msg, "\n") : 0, keyword ? msg : "");
	}
	PQfreemem(msg);
	PQconninfoFree(opts);
	return rc;
}

static int pg_connect(struct pg *s, const char *target, px_error *err)
{
	int64_t waited = 0;
	int rc = px_pg_connect(target, &s->conn, &waited);

	if (!s->conn)
		return px_error_oom(err);
	if (rc == PX_PG_TIMEOUT)
		return px_error_set(err, PX_EXIT_UNAVAILABLE,
				    "%s: cannot connect: no answer within "
				    "connect_timeout (%lld s): the server "
				    "stopped answering, portex gave up",
				    s->desc, (long long)waited / 1000);
	if (rc == PX_PG_INTERRUPTED)
		return px_error_set(err, PX_EXIT_INTERRUPTED,
				    "interrupted: %s: while connecting",
				    s->desc);
	if (rc)
		return pg_fail(s, NULL, "cannot connect", err);
	return 0;
}

/* lock_timeout, and a statement_timeout when the session has none: the
 * one in force (in ms) sets portex's own deadline. */
static int pg_setup(struct pg *s, px_error *err)
{
	PGresult *r;

	if (pg_run(s,
		   "SET lock_timeout = '" LOCK_TIMEOUT "';"
		   "SELECT set_config('statement_timeout', '" STATEMENT_DEFAULT
		   "', false) WHERE current_setting('statement_timeout') = '0';"
		   "SELECT setting FROM pg_settings"
		   " WHERE name = 'statement_timeout'",
		   0, NULL, &r, err))
		return -1;
	if (PQntuples(r) == 1)
		s->timeout_ms = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

/* A new connection, set up; the old one, if any, is closed. */
static int pg_reconnect(struct pg *s, px_error *err)
{
	PQfinish(s->conn);
	s->conn = NULL;
	s->gone = 0;
	s->in_tx = s->writing = 0;
	if (pg_connect(s, s->target, err))
		goto fail;
	PQsetNoticeProcessor(s->conn, quiet, NULL);
	if (pg_setup(s, err))
		goto fail;
	return 0;
fail:
	s->gone = 1; /* tried again at the next transaction */
	return -1;
}

static void pg_close(void *h)
{
	struct pg *s = h;

	if (s) {
		PQfinish(s->conn);
		if (s->target) {
			explicit_bzero(s->target, strlen(s->target));
			free(s->target);
		}
		free(s);
	}
}

static int pg_open(const char *target, const char *desc, void **out,
		   px_error *err)
{
	struct pg *s;

	if (check_uri(target, desc, err))
		return -1;
	s = calloc(1, sizeof(*s));
	if (!s)
		return px_error_oom(err);
	s->desc = desc;
	if (!(s->target = strdup(target))) {
		free(s);
		return px_error_oom(err);
	}
	if (pg_reconnect(s, err)) {
		pg_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

/* Nothing is waited for on a connection given up on: closing it is
 * what rolls back. */
static void pg_rollback(void *h)
{
	struct pg *s = h;
	px_error ignored = PX_ERROR_INIT;

	if (!s->gone && PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		pg_exec(s, "ROLLBACK", &ignored);
	s->in_tx = s->writing = 0;
}

static int pg_begin(void *h, int write, px_error *err)
{
	struct pg *s = h;

	if (s->gone && pg_reconnect(s, err))
		return -1;
	if (pg_exec(s, "BEGIN", err))
		return -1;
	s->in_tx = 1;
	s->writing = write;
	if (write &&
	    pg_exec(s, "SELECT pg_advisory_xact_lock(" LEDGER_LOCK_KEY ")",
		    err)) {
		pg_rollback(s);
		return -1;
	}
	return 0;
}

/* A signal that came before COMMIT is sent rolls back: afterwards, the
 * outcome would be unknown. */
static int pg_commit(void *h, px_error *err)
{
	struct pg *s = h;
	int rc;

	if (s->writing && px_interrupted())
		return px_error_set(err, PX_EXIT_INTERRUPTED,
				    "interrupted: %s: before committing: "
				    "nothing was recorded",
				    s->desc);
	rc = pg_exec(s, "COMMIT", err);
	if (!rc)
		s->in_tx = s->writing = 0;
	return rc;
}

static int pg_query(void *h, const char *sql, int n, const char *const *params,
		    json_t **rows, px_error *err)
{
	struct pg *s = h;
	PGresult *r;
	json_t *out;

	if (s->gone && !s->in_tx && pg_reconnect(s, err))
		return -1;
	if (pg_run(s, sql, n, params, &r, err))
		return -1;
	if (!rows) {
		PQclear(r);
		return 0;
	}
	out = json_array();
	for (int i = 0; out && i < PQntuples(r); i++) {
		json_t *row = json_array();

		for (int c = 0; row && c < PQnfields(r); c++)
			if (json_array_append_new(
				row, PQgetisnull(r, i, c)
					 ? json_null()
					 : json_stringn(
					       PQgetvalue(r, i, c),
					       (size_t)PQgetlength(r, i, c)))) {
				json_decref(row);
				row = NULL;
			}
		if (json_array_append_new(out, row)) {
			json_decref(out);
			out = NULL;
		}
	}
	PQclear(r);
	if (!out)
		return px_error_oom(err);
	*rows = out;
	return 0;
}

const struct px_ledger_backend px_ledger_postgres = {
    .kind = "PostgreSQL",
    .open = pg_open,
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .query = pg_query,
    .table_exists_sql = "SELECT count(*) FROM information_schema.tables "
			"WHERE table_schema = current_schema() "
			"AND table_name = $1",
};
