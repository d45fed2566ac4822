/*
 * postgres.c - the PostgreSQL driver (libpq).
 *
 * One connection per source per export, holding one REPEATABLE READ, READ
 * ONLY transaction: every collection sees the same snapshot, and a query
 * that tries to write fails on the server. :name placeholders become $n
 * and travel as parameters; a collection's rows come through a cursor,
 * 1,000 at a time, straight into the sink (resolve steps, a handful of
 * rows, use single-row mode), so memory does not grow with a subject's
 * history.
 *
 * The connection is non-blocking and every wait goes through
 * src/pgwait.c: a statement gets the statement timeout plus GRACE_MS
 * before portex stops waiting for a server that no longer answers (the
 * server itself should have cancelled it by then), and a signal ends any
 * wait at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "interrupt.h"
#include "portex/connector.h"

#define PX_STR_(x) #x
#define PX_STR(x)  PX_STR_(x)
#include "postgres.h"

/* How much longer than its statement timeout a statement may go
 * unanswered: the server's own timeout error travels in that time. */
#define GRACE_MS 5000
/* The limit for the set-up statements, before the timeout is in force. */
#define SETUP_MS 10000

struct px_source {
	const px_source_cfg *cfg;
	PGconn *conn;
	json_t *plan;
	long long timeout_ms; /* statement_timeout in force, > 0 */
	char timeout[64]; /* as configured, for the next subject's begin() */
	/* An earlier query failed or was cancelled: the transaction is
	 * aborted and every later query would fail for that reason. */
	int broken;
	/* end() closed the subject's transaction: the next reset() only
	 * begins one. */
	int ended;
};

/* Names source, host and database; never the conninfo, which may hold a
 * password (libpq's own messages do not). step is "" or "collection x: ". */
static int unavailable(px_source *s, const char *step, const char *doing,
		       const char *msg, px_error *err)
{
	char line[600];
	const char *host = PQhost(s->conn), *db = PQdb(s->conn);

	return px_error_set(err, PX_EXIT_UNAVAILABLE,
			    "source %s: %s%s PostgreSQL (host %s, database "
			    "%s): %s",
			    s->cfg->name, step, doing,
			    host && *host ? host : "?", db && *db ? db : "?",
			    px_pg_one_line(msg, line, sizeof(line)));
}

/* The conninfo (URI or key=value; absent means libpq's environment alone)
 * is checked before connecting so a typo is a config error. libpq's parse
 * messages can quote pieces of the string, which may hold a password:
 * only the one naming an unknown keyword is passed on. */
static int check_conninfo(const px_source_cfg *cfg, const char *conninfo,
			  px_error *err)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);
	int rc = 0;

	if (!opts) {
		char line[300];
		int keyword =
		    msg && !strncmp(msg, "invalid connection option", 25);
		rc = px_cfg_error(
		    err, cfg, "/conninfo",
		    "expected a libpq connection string "
		    "(\"host=... dbname=...\") or URI "
		    "(\"postgresql://...\")%s%s",
		    keyword ? ": " : "",
		    keyword ? px_pg_one_line(msg, line, sizeof(line)) : "");
	}
	PQfreemem(msg);
	PQconninfoFree(opts);
	return rc;
}

static int read_options(const px_source_cfg *cfg, const char **conninfo,
			char *timeout, size_t size, px_error *err)
{
	json_t *ci = json_object_get(cfg->json, "conninfo");
	json_t *to = json_object_get(cfg->json, "statement_timeout");

	if (ci && !json_is_string(ci))
		return px_cfg_error(err, cfg, "/conninfo",
				    "expected a string (a libpq connection "
				    "string or URI)");
	*conninfo = ci ? json_string_value(ci) : "";
	if (!to)
		snprintf(timeout, size, "60s");
	else if (json_is_integer(to) && json_integer_value(to) > 0)
		snprintf(timeout, size, "%lld",
			 (long long)json_integer_value(to));
	else if (json_is_string(to) && json_string_length(to) &&
		 json_string_length(to) < size)
		snprintf(timeout, size, "%s", json_string_value(to));
	else
		return px_cfg_error(err, cfg, "/statement_timeout",
				    "expected milliseconds (a positive "
				    "integer) or a duration such as \"60s\"");
	return **conninfo ? check_conninfo(cfg, *conninfo, err) : 0;
}

/* Connects within connect_timeout (src/pgwait.c). */
static int connect_source(px_source *s, const char *conninfo, px_error *err)
{
	int64_t waited = 0;
	int rc = px_pg_connect(conninfo, &s->conn, &waited);
	char why[100];

	if (!s->conn)
		return px_error_oom(err);
	if (rc == PX_PG_TIMEOUT) {
		snprintf(why, sizeof(why),
			 "no answer within connect_timeout (%lld s)",
			 (long long)waited / 1000);
		return unavailable(s, "", "cannot connect to", why, err);
	}
	if (rc == PX_PG_INTERRUPTED)
		return px_error_set(err, PX_EXIT_INTERRUPTED,
				    "interrupted: source %s: while connecting "
				    "to PostgreSQL",
				    s->cfg->name);
	if (rc)
		return unavailable(s, "", "cannot connect to",
				   PQerrorMessage(s->conn), err);
	return 0;
}

static int64_t statement_deadline(const px_source *s)
{
	return px_pg_now_ms() +
	       (s->timeout_ms ? s->timeout_ms + GRACE_MS : SETUP_MS);
}

/* A wait that failed -> its error. step is "" or "collection x: ". */
static int wait_error(px_source *s, const char *step, int rc, px_error *err)
{
	char why[200];

	s->broken = 1;
	if (rc == PX_PG_INTERRUPTED)
		return px_error_set(err, PX_EXIT_INTERRUPTED,
				    "interrupted: source %s: %swhile waiting "
				    "for PostgreSQL",
				    s->cfg->name, step);
	if (rc == PX_PG_TIMEOUT) {
		if (s->timeout_ms)
			snprintf(why, sizeof(why),
				 "no answer within %lld ms (statement_timeout "
				 "%lld ms + %d s); the server stopped "
				 "answering, portex gave up",
				 s->timeout_ms + GRACE_MS, s->timeout_ms,
				 GRACE_MS / 1000);
		else
			snprintf(why, sizeof(why),
				 "no answer within %d s; the server stopped "
				 "answering, portex gave up",
				 SETUP_MS / 1000);
		return unavailable(s, step, "waiting for", why, err);
	}
	return unavailable(s, step, "lost the connection to",
			   PQerrorMessage(s->conn), err);
}

/* What was sent (sent: a px_pg_wait_rc), read within the statement's
 * deadline (px_pg_collect()): the first result that failed, else the
 * last; NULL with err set when the wait failed. The caller PQclear()s. */
static PGresult *collect(px_source *s, const char *step, int sent,
			 px_error *err)
{
	PGresult *r;
	int rc = px_pg_collect(s->conn, sent, statement_deadline(s), &r);

	if (rc)
		wait_error(s, step, rc, err);
	return r;
}

/* Sends sql (with its parameters, when n > 0: one statement; without,
 * several may follow each other) and collect()s its results. */
static PGresult *exec(px_source *s, const char *step, const char *sql, int n,
		      const char *const *values, px_error *err)
{
	PGresult *r;
	int rc = px_pg_exec(s->conn, sql, n, values, statement_deadline(s), &r);

	if (rc)
		wait_error(s, step, rc, err);
	return r;
}

/* The session settings every value conversion relies on, and the
 * read-only transaction. */
static int begin(px_source *s, const char *timeout, px_error *err)
{
	const char *setup =
	    "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY;"
	    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
	    "SET LOCAL TimeZone = 'UTC';"
	    "SET LOCAL DateStyle = 'ISO, YMD';"
	    "SET LOCAL bytea_output = 'hex';"
	    "SET LOCAL extra_float_digits = 1";
	PGresult *r = exec(s, "", setup, 0, NULL, err);
	long long ms = 0;
	int ok;

	if (!r)
		return -1;
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok)
		return unavailable(s, "",
				   "cannot start a read-only transaction on",
				   PQerrorMessage(s->conn), err);
	r = exec(s, "",
		 "SELECT set_config('statement_timeout', $1, true), "
		 "(SELECT setting FROM pg_settings "
		 " WHERE name = 'statement_timeout')",
		 1, &timeout, err);
	if (!r)
		return -1;
	ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
	if (ok)
		ms = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	if (!ok) {
		char line[300];
		return px_cfg_error(err, s->cfg, "/statement_timeout",
				    "not a duration PostgreSQL accepts: %s",
				    px_pg_one_line(PQerrorMessage(s->conn),
						   line, sizeof(line)));
	}
	/* 0 turns the server's limit off; portex never waits unbounded. */
	if (ms <= 0)
		return px_cfg_error(err, s->cfg, "/statement_timeout",
				    "0 would mean no limit; give a positive "
				    "duration such as \"60s\"");
	s->timeout_ms = ms;
	return 0;
}

static void close_postgres(px_source *s)
{
	if (!s)
		return;
	PQfinish(s->conn); /* ends the read-only transaction: nothing to keep */
	json_decref(s->plan);
	free(s);
}

static int open_postgres(const px_source_cfg *cfg, px_source **out,
			 json_t **plan, px_error *err)
{
	const char *conninfo = "";
	char timeout[64];
	px_source *s;

	if (read_options(cfg, &conninfo, timeout, sizeof(timeout), err))
		return -1;
	if (!(s = calloc(1, sizeof(*s))))
		return px_error_oom(err);
	s->cfg = cfg;
	if (px_sql_plan(cfg, &s->plan, err)) {
		free(s);
		return -1;
	}
	snprintf(s->timeout, sizeof(s->timeout), "%s", timeout);
	if (connect_source(s, conninfo, err) || begin(s, timeout, err)) {
		close_postgres(s);
		return -1;
	}
	*plan = json_incref(s->plan);
	*out = s;
	return 0;
}

/* One query run: what it is for, its SQL rewritten to $n, its values. */
struct query {
	px_source *s;
	const char *step; /* "resolve" or "collection" */
	const char *what; /* the key it provides, or its entity */
	const json_t *keys;
	char *sql;
	const char **values;
	size_t nvalues, cap;
	size_t done; /* bytes of the original SQL copied so far */
	size_t len;  /* bytes of sql */
	const char *src;
	int missing; /* a placeholder with no known key */
};

static int append(struct query *q, const char *p, size_t n)
{
	char *bigger = realloc(q->sql, q->len + n + 1);

	if (!bigger)
		return -1;
	memcpy(bigger + q->len, p, n);
	q->len += n;
	bigger[q->len] = '\0';
	q->sql = bigger;
	return 0;
}

/* :name -> $n; the same name twice is the same $n. */
static int rewrite_one(void *ctx, size_t off, size_t len, const char *name,
		       size_t name_len)
{
	struct query *q = ctx;
	char key[128], num[24];
	const json_t *v;
	size_t n;

	if (name_len >= sizeof(key))
		return q->missing = 1;
	memcpy(key, name, name_len);
	key[name_len] = '\0';
	v = json_object_get(q->keys, key);
	if (!json_is_string(v))
		return q->missing = 1;
	/* One key is one json_t: the same name gives the same pointer. */
	for (n = 0; n < q->nvalues; n++)
		if (q->values[n] == json_string_value(v))
			break;
	if (n == q->nvalues) {
		const char **vals =
		    px_grow(q->values, &q->cap, n, sizeof(*vals), 8);
		if (!vals)
			return -1;
		q->values = vals;
		q->values[q->nvalues++] = json_string_value(v);
	}
	snprintf(num, sizeof(num), "$%zu", n + 1);
	if (append(q, q->src + q->done, off - q->done) ||
	    append(q, num, strlen(num)))
		return -1;
	q->done = off + len;
	return 0;
}

static void query_free(struct query *q)
{
	free(q->sql);
	free(q->values);
}

static int query_init(struct query *q, px_source *s, const char *member,
		      size_t i, const json_t *keys, px_error *err)
{
	json_t *step = json_array_get(json_object_get(s->cfg->json, member), i);
	int is_resolve = !strcmp(member, "resolve");
	int rc;

	memset(q, 0, sizeof(*q));
	q->s = s;
	q->keys = keys;
	q->step = is_resolve ? "resolve" : "collection";
	q->what = json_string_value(
	    json_object_get(step, is_resolve ? "provides" : "entity"));
	q->src = json_string_value(json_object_get(step, "query"));
	if (!q->src || !q->what)
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "source %s: no %s step %zu", s->cfg->name,
				    q->step, i);
	if (s->broken)
		return px_error_set(err, PX_EXIT_DATA,
				    "source %s: %s %s: not run: an earlier "
				    "query on this source failed",
				    s->cfg->name, q->step, q->what);
	rc = px_sql_placeholders(q->src, rewrite_one, q);
	if (!rc)
		rc = append(q, q->src + q->done, strlen(q->src + q->done));
	if (rc && q->missing)
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "source %s: %s %s: an identity key the "
				    "query needs is not known",
				    s->cfg->name, q->step, q->what);
	return rc ? px_error_oom(err) : 0;
}

static int is_connection_loss(px_source *s, const char *state)
{
	return PQstatus(s->conn) == CONNECTION_BAD || !state ||
	       !strncmp(state, "08", 2) || !strcmp(state, "57P01") ||
	       !strcmp(state, "57P02") || !strcmp(state, "57P03");
}

static void step_of(const struct query *q, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s: ", q->step, q->what);
}

static int lost(struct query *q, const char *msg, px_error *err)
{
	char step[200];

	step_of(q, step, sizeof(step));
	return unavailable(q->s, step, "lost the connection to", msg, err);
}

/* A failed result -> the error a user can act on. */
static int result_error(struct query *q, const PGresult *r, px_error *err)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	const char *name = q->s->cfg->name;
	char line[600];

	q->s->broken = 1;
	if (!msg)
		msg = PQerrorMessage(q->s->conn);
	px_pg_one_line(msg, line, sizeof(line));
	if (is_connection_loss(q->s, state))
		return lost(q, msg, err);
	if (!strcmp(state, "57014"))
		return px_error_set(err, PX_EXIT_DATA,
				    "source %s: %s %s: statement timeout after "
				    "%lld ms (source option "
				    "\"statement_timeout\"); the query was "
				    "cancelled",
				    name, q->step, q->what, q->s->timeout_ms);
	if (!strcmp(state, "25006"))
		return px_error_set(err, PX_EXIT_DATA,
				    "source %s: %s %s: the query tried to "
				    "write, and sources are read-only; "
				    "nothing was changed (%s)",
				    name, q->step, q->what, line);
	return px_error_set(err, PX_EXIT_DATA,
			    "source %s: %s %s: SQL error: %s", name, q->step,
			    q->what, line);
}

/* Called for each row `row` of a result. Returns 0 or -1 with err. */
typedef int (*row_fn)(struct query *q, const PGresult *r, int row, void *ctx,
		      px_error *err);

/* A query abandoned because the sink failed is not cancelled: libpq 15's
 * PQcancel() waits, with no deadline, for the postmaster to answer (a
 * stopped one never does). The connection is marked broken instead and
 * closed: the server stops at its next row sent to a closed socket, or at
 * its statement_timeout. (libpq 17's PQcancelPoll would allow a bounded
 * cancel.) */

static int run(struct query *q, row_fn fn, void *ctx, px_error *err)
{
	PGconn *conn = q->s->conn;
	int64_t deadline = statement_deadline(q->s);
	PGresult *r;
	int failed = 0, wrc = 0;

	if (!PQsendQueryParams(conn, q->sql, (int)q->nvalues, NULL, q->values,
			       NULL, NULL, 0)) {
		q->s->broken = 1;
		return lost(q, PQerrorMessage(conn), err);
	}
	PQsetSingleRowMode(conn);
	/* After a failure nothing more is read: the connection is not used
	 * again (s->broken), and reading on could wait on the server. */
	while (!failed && !(wrc = px_pg_next(conn, deadline, &r)) && r) {
		ExecStatusType st = PQresultStatus(r);

		if (st == PGRES_SINGLE_TUPLE) {
			if (fn(q, r, 0, ctx, err)) {
				failed = 1;
				q->s->broken = 1;
			}
		} else if (st == PGRES_FATAL_ERROR) {
			failed = 1;
			result_error(q, r, err);
		} else if (st != PGRES_TUPLES_OK) {
			failed = 1;
			q->s->broken = 1;
			px_error_set(err, PX_EXIT_DATA,
				     "source %s: %s %s: the query returns no "
				     "rows; expected a SELECT",
				     q->s->cfg->name, q->step, q->what);
		}
		PQclear(r);
	}
	if (!failed && wrc) {
		char step[200];
		step_of(q, step, sizeof(step));
		return wait_error(q->s, step, wrc, err);
	}
	/* COMMIT or ROLLBACK in a configured query would end the read-only
	 * transaction; nothing may run outside it. */
	if (!failed && PQtransactionStatus(conn) != PQTRANS_INTRANS) {
		q->s->broken = 1;
		return px_error_set(err, PX_EXIT_DATA,
				    "source %s: %s %s: the query ended "
				    "portex's read-only transaction",
				    q->s->cfg->name, q->step, q->what);
	}
	return failed ? -1 : 0;
}

/* Rows of a collection come through a cursor, FETCH_ROWS at a time: one
 * result per batch instead of one per row (single-row mode allocates and
 * frees a result for every row, which was most of the driver's cost).
 * A query a cursor cannot hold (DELETE ... RETURNING, COMMIT, a syntax
 * error) is rolled back to a savepoint and run the plain way, which gives
 * the precise error. */
#define FETCH_ROWS 1000

/* Runs a statement of the driver's own (no rows wanted). Returns 0, or
 * -1 with err set as for a failed query. */
static int exec_ok(struct query *q, const char *sql, px_error *err)
{
	char step[200];
	PGresult *r;
	int rc = 0;

	step_of(q, step, sizeof(step));
	if (!(r = exec(q->s, step, sql, 0, NULL, err)))
		return -1;
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = result_error(q, r, err);
	PQclear(r);
	return rc;
}

/* A DECLARE that failed for what the query is (not a cursor's query,
 * a syntax error) is worth running plainly for the precise error; one
 * that failed for the time it took, or the connection, is not: the plain
 * run would only wait as long again. */
static int retry_plain(px_source *s, const PGresult *r)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	return !is_connection_loss(s, state) && strcmp(state, "57014");
}

static int run_cursor(struct query *q, row_fn fn, void *ctx, px_error *err)
{
	static const char fetch[] =
	    "FETCH FORWARD " PX_STR(FETCH_ROWS) " FROM px_rows";
	char *declare, step[200];
	PGresult *r;
	int n;

	step_of(q, step, sizeof(step));
	if (exec_ok(q, "SAVEPOINT px_cursor", err))
		return -1;
	declare = malloc(strlen(q->sql) + 48);
	if (!declare)
		return px_error_oom(err);
	sprintf(declare, "DECLARE px_rows NO SCROLL CURSOR FOR %s", q->sql);
	r = exec(q->s, step, declare, (int)q->nvalues, q->values, err);
	free(declare);
	if (!r)
		return -1;
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		int plain = retry_plain(q->s, r);
		if (!plain)
			result_error(q, r, err);
		PQclear(r);
		if (!plain)
			return -1;
		if (exec_ok(q, "ROLLBACK TO SAVEPOINT px_cursor", err))
			return -1;
		return run(q, fn, ctx, err);
	}
	PQclear(r);
	r = exec(q->s, step, fetch, 0, NULL, err);
	for (;;) {
		int more, sent = PX_PG_OK;

		if (!r)
			return -1;
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			result_error(q, r, err);
			PQclear(r);
			return -1;
		}
		n = PQntuples(r);
		/* The next batch is on its way while this one is written:
		 * server and client work at the same time. */
		if ((more = n == FETCH_ROWS))
			sent = PQsendQuery(q->s->conn, fetch)
				   ? px_pg_flush(q->s->conn,
						 statement_deadline(q->s))
				   : PX_PG_BROKEN;
		for (int i = 0; i < n; i++) {
			if (fn(q, r, i, ctx, err)) {
				q->s->broken = 1;
				PQclear(r);
				return -1;
			}
		}
		PQclear(r);
		if (!more)
			break;
		r = collect(q->s, step, sent, err);
	}
	if (exec_ok(q, "CLOSE px_rows", err) ||
	    exec_ok(q, "RELEASE SAVEPOINT px_cursor", err))
		return -1;
	return 0;
}

struct resolve_ctx {
	char *found;
};

static int resolve_row(struct query *q, const PGresult *r, int row, void *ctx,
		       px_error *err)
{
	struct resolve_ctx *rc = ctx;
	const char *v;

	if (PQnfields(r) < 1 || PQgetisnull(r, row, 0))
		return 0;
	v = PQgetvalue(r, row, 0);
	if (rc->found && strcmp(rc->found, v))
		return px_error_set(err, PX_EXIT_DATA,
				    "source %s: resolve %s: the identity "
				    "matches more than one record; refusing "
				    "to guess",
				    q->s->cfg->name, q->what);
	if (!rc->found && !(rc->found = strdup(v)))
		return px_error_oom(err);
	return 0;
}

static int resolve_postgres(px_source *s, size_t step, const json_t *keys,
			    char **value, px_error *err)
{
	struct query q;
	struct resolve_ctx rc = {NULL};
	int res;

	if (query_init(&q, s, "resolve", step, keys, err)) {
		query_free(&q);
		return -1;
	}
	res = run(&q, resolve_row, &rc, err);
	query_free(&q);
	if (res) {
		free(rc.found);
		return -1;
	}
	*value = rc.found;
	return rc.found != NULL;
}

/* Per collection: column kinds, looked up once, and the sink. */
struct fetch_ctx {
	const px_row_sink *sink;
	int ncol;
	enum px_pg_kind *kinds;
	size_t *name_len;
	int content; /* index of the "content" column, or -1 */
	size_t row;
	/* the typed-row path (rows.h), when the sink has one */
	const char **names;
	px_cell *cells;
	char (*ts)[40]; /* a timestamp's RFC 3339 text, per column */
};

static int columns(struct query *q, struct fetch_ctx *f, const PGresult *r,
		   px_error *err)
{
	const char *enc = PQparameterStatus(q->s->conn, "server_encoding");
	int utf8 = enc && !strcmp(enc, "UTF8");

	f->ncol = PQnfields(r);
	f->content = -1;
	f->kinds = calloc((size_t)f->ncol + 1, sizeof(*f->kinds));
	f->name_len = calloc((size_t)f->ncol + 1, sizeof(*f->name_len));
	if (!f->kinds || !f->name_len)
		return px_error_oom(err);
	for (int c = 0; c < f->ncol; c++) {
		f->kinds[c] = px_pg_kind_of(PQftype(r, c), utf8);
		f->name_len[c] = strlen(PQfname(r, c));
		if (!strcmp(PQfname(r, c), "content") &&
		    (f->kinds[c] == PX_PG_BYTEA ||
		     f->kinds[c] == PX_PG_STRING || f->kinds[c] == PX_PG_UTF8))
			f->content = c;
		else if (f->kinds[c] == PX_PG_BYTEA)
			return px_error_set(err, PX_EXIT_DATA,
					    "source %s: collection %s: column "
					    "%s holds bytes; only a document's "
					    "\"content\" column may",
					    q->s->cfg->name, q->what,
					    PQfname(r, c));
	}
	if (!f->sink->row)
		return 0;
	f->names = calloc((size_t)f->ncol + 1, sizeof(*f->names));
	f->cells = calloc((size_t)f->ncol + 1, sizeof(*f->cells));
	f->ts = calloc((size_t)f->ncol + 1, sizeof(*f->ts));
	if (!f->names || !f->cells || !f->ts)
		return px_error_oom(err);
	for (int c = 0; c < f->ncol; c++)
		f->names[c] = PQfname(r, c);
	return f->sink->columns(f->sink->ctx, f->names, (size_t)f->ncol, err);
}

/* The row as cells for the sink: 0 taken, 1 for the generic path. */
static int typed_row(struct fetch_ctx *f, const PGresult *r, int row,
		     px_error *err)
{
	for (int c = 0; c < f->ncol; c++) {
		if (PQgetisnull(r, row, c)) {
			f->cells[c].type = PX_CELL_NULL;
			continue;
		}
		if (px_pg_cell(f->kinds[c], PQgetvalue(r, row, c),
			       (size_t)PQgetlength(r, row, c), &f->cells[c],
			       f->ts[c]))
			return 1;
	}
	return f->sink->row(f->sink->ctx, f->cells, (size_t)f->ncol, err);
}

static int fetch_row(struct query *q, const PGresult *r, int row, void *ctx,
		     px_error *err)
{
	struct fetch_ctx *f = ctx;
	px_record rec = {NULL, NULL, 0, NULL};
	unsigned char *bytes = NULL;
	int rc = 0;

	if (!f->kinds && columns(q, f, r, err))
		return -1;
	f->row++;
	if (f->sink->row && (rc = typed_row(f, r, row, err)) <= 0)
		return rc;
	rc = 0;
	if (!(rec.fields = json_object()))
		return px_error_oom(err);
	for (int c = 0; c < f->ncol && !rc; c++) {
		const char *text = PQgetvalue(r, row, c), *why = NULL;
		json_t *v;

		if (PQgetisnull(r, row, c))
			continue;
		if (c == f->content) {
			if (f->kinds[c] != PX_PG_BYTEA) {
				rec.content = (const unsigned char *)text;
				rec.content_len =
				    (size_t)PQgetlength(r, row, c);
			} else if ((bytes = PQunescapeBytea(
					(const unsigned char *)text,
					&rec.content_len))) {
				rec.content = bytes;
			} else {
				rc = px_error_oom(err);
			}
			continue;
		}
		v = px_pg_value(f->kinds[c], text,
				(size_t)PQgetlength(r, row, c), &why);
		if (!v)
			rc = px_error_set(err, PX_EXIT_DATA,
					  "source %s: collection %s: record "
					  "%zu: column %s: %s",
					  q->s->cfg->name, q->what, f->row,
					  PQfname(r, c), why);
		/* column names come from the server, checked UTF-8 */
		else if (json_object_setn_new_nocheck(rec.fields, PQfname(r, c),
						      f->name_len[c], v))
			rc = px_error_oom(err);
	}
	if (!rc)
		rc = f->sink->emit(f->sink->ctx, &rec, err);
	json_decref(rec.fields);
	PQfreemem(bytes);
	return rc;
}

int px_postgres_fetch_rows(px_source *s, size_t coll, const json_t *keys,
			   const px_row_sink *sink, px_error *err)
{
	struct query q;
	struct fetch_ctx f = {.sink = sink, .content = -1};
	int res;

	if (query_init(&q, s, "collections", coll, keys, err)) {
		query_free(&q);
		return -1;
	}
	res = run_cursor(&q, fetch_row, &f, err);
	free(f.kinds);
	free(f.name_len);
	free(f.names);
	free(f.cells);
	free(f.ts);
	query_free(&q);
	return res;
}

static int fetch_postgres(px_source *s, size_t coll, const json_t *keys,
			  px_emit_fn emit, void *ctx, px_error *err)
{
	px_row_sink sink = {.emit = emit, .ctx = ctx};

	return px_postgres_fetch_rows(s, coll, keys, &sink, err);
}

static const char *const source_keys[] = {"conninfo", "statement_timeout",
					  "resolve", "collections", NULL};
static const px_config_keys config_keys[] = {
    {"", source_keys},
    PX_SQL_CONFIG_KEYS,
    {NULL, NULL},
};

/* The subject's reads are over: its read-only transaction ends (aborted
 * or not), so that a worker waiting for its next subject is "idle", not
 * "idle in transaction" holding a snapshot that keeps VACUUM from
 * cleaning up after the platform's writes. A connection that cannot
 * (still busy with an abandoned cursor, lost) is left as it is: the next
 * reset() fails and the caller opens it afresh. */
static void end_postgres(px_source *s)
{
	px_error ignored = PX_ERROR_INIT;
	PGresult *r;

	if (!s || s->ended || !(r = exec(s, "", "ROLLBACK", 0, NULL, &ignored)))
		return;
	if (PQresultStatus(r) == PGRES_COMMAND_OK)
		s->ended = 1, s->broken = 0;
	PQclear(r);
}

/* The next subject gets its own snapshot: the previous read-only
 * transaction ends (aborted or not), unless end() did, and a new one
 * starts. */
static int reset_postgres(px_source *s, px_error *err)
{
	if (!s->ended) {
		PGresult *r = exec(s, "", "ROLLBACK", 0, NULL, err);

		/* A connection still busy with an abandoned cursor fails
		 * here and is opened afresh by the caller. */
		if (!r)
			return -1;
		PQclear(r);
	}
	s->ended = s->broken = 0;
	return begin(s, s->timeout, err);
}

const px_connector px_connector_postgres = {
    .abi = PX_CONNECTOR_ABI,
    .name = "postgres",
    .open = open_postgres,
    .resolve = resolve_postgres,
    .fetch = fetch_postgres,
    .close = close_postgres,
    .config_keys = config_keys,

    .reset = reset_postgres,
    .end = end_postgres,
};
