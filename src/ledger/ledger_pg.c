/*
 * ledger_pg.c - the ledger on PostgreSQL. A writer takes a transaction-
 * scoped advisory lock first, so "read the last hash, append" is atomic
 * across processes; lock_timeout bounds the wait like SQLite's busy
 * timeout.
 */
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/ledger_backend.h"

/* Any fixed number: the ledger's write lock ("px" in ASCII, 0x7078). */
#define LEDGER_LOCK_KEY "28792"
#define LOCK_TIMEOUT	"5s"

struct pg {
	PGconn *conn;
	const char *desc;
};

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* NOTICEs ("already exists, skipping") are noise */
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
	}
	px_error_set(err, code, "%s: %s: %.*s", s->desc, what, (int)n, msg);
	PQclear(r);
	return -1;
}

static int pg_exec(struct pg *s, const char *sql, px_error *err)
{
	PGresult *r = PQexec(s->conn, sql);
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		return pg_fail(s, r, sql, err);
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
	s->conn = PQconnectdb(target);
	if (!s->conn) {
		free(s);
		return px_error_oom(err);
	}
	if (PQstatus(s->conn) != CONNECTION_OK) {
		pg_fail(s, NULL, "cannot connect", err);
		PQfinish(s->conn);
		free(s);
		return -1;
	}
	PQsetNoticeProcessor(s->conn, quiet, NULL);
	if (pg_exec(s, "SET lock_timeout = '" LOCK_TIMEOUT "'", err)) {
		PQfinish(s->conn);
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

static void pg_close(void *h)
{
	struct pg *s = h;

	if (s) {
		PQfinish(s->conn);
		free(s);
	}
}

static void pg_rollback(void *h)
{
	struct pg *s = h;

	if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		PQclear(PQexec(s->conn, "ROLLBACK"));
}

static int pg_begin(void *h, int write, px_error *err)
{
	struct pg *s = h;

	if (pg_exec(s, "BEGIN", err))
		return -1;
	if (write &&
	    pg_exec(s, "SELECT pg_advisory_xact_lock(" LEDGER_LOCK_KEY ")",
		    err)) {
		pg_rollback(s);
		return -1;
	}
	return 0;
}

static int pg_commit(void *h, px_error *err)
{
	return pg_exec(h, "COMMIT", err);
}

static int pg_query(void *h, const char *sql, int n, const char *const *params,
		    json_t **rows, px_error *err)
{
	struct pg *s = h;
	PGresult *r =
	    PQexecParams(s->conn, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	json_t *out;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		return pg_fail(s, r, sql, err);
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
