/*
 * test_postgres.c - the PostgreSQL driver against a real, throwaway server.
 *
 * Needs PGHOST and PX_PG_DIR from tests/pg/cluster.sh (tests/run-unit.sh
 * starts one): the test creates and drops databases, so it refuses to run
 * against any server that is not a throwaway one.
 */
#include "unit.h"
#include "unit_pg.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "portex/connector.h"

extern const px_connector px_connector_postgres;

static const char fixture[] =
    "CREATE TABLE users (id int PRIMARY KEY, email text, name text);"
    "INSERT INTO users VALUES (1, 'alice@example.org',"
    "  'Zoë Ærøskøbing 🦊'), (2, 'bob@example.org', 'Bob'),"
    "  (3, 'twin@example.org', 'A'), (4, 'twin@example.org', 'B');"
    "CREATE TABLE purchases (user_id int, amount numeric(12,2),"
    "  price float8, paid bool, at timestamptz, local_at timestamp,"
    "  day date, meta jsonb, raw json, note text, big bigint,"
    "  small smallint, content bytea);"
    "INSERT INTO purchases VALUES (1, 19.90, 0.5, true,"
    "  '2026-01-05 10:00:00 Europe/Paris', '2026-01-05 09:00:00.25',"
    "  '2026-01-05', '{\"a\": [1, {\"b\": null}], \"c\": \"é\"}',"
    "  '[1, \"x\"]', NULL, 9007199254740993, -3, '\\x00ff10'),"
    "  (1, 1234567890.05, NULL, false,"
    "  '2026-07-01 12:30:00.123 Europe/Paris', NULL, NULL, NULL, NULL,"
    "  NULL, NULL, NULL, NULL);"
    "CREATE TABLE audit (x int); CREATE SEQUENCE seq;"
    "CREATE FUNCTION touch() RETURNS int LANGUAGE plpgsql AS"
    "  $$BEGIN INSERT INTO audit VALUES (1); RETURN 1; END$$;"
    "DO $$BEGIN CREATE ROLE px_password LOGIN;"
    "  EXCEPTION WHEN duplicate_object THEN NULL; END$$;"
    "ALTER ROLE px_password PASSWORD 'right-Pw-42';";

/* A sink that keeps copies of what it got. */
struct got {
	json_t *records;
	unsigned char content[64];
	size_t content_len;
	int fail_at; /* 1-based record at which the sink fails, or 0 */
	PGconn *admin;
	int query_was_active;
};

static int sink(void *ctx, const px_record *rec, px_error *err)
{
	struct got *g = ctx;

	json_array_append_new(g->records, json_deep_copy(rec->fields));
	if (rec->content && rec->content_len <= sizeof(g->content)) {
		memcpy(g->content, rec->content, rec->content_len);
		g->content_len = rec->content_len;
	}
	if (g->admin && json_array_size(g->records) == 1) {
		/* Streaming: the first row arrives while the rest wait in the
		 * server behind a cursor, pulled one batch at a time (the next
		 * FETCH may already be running: the fetch is pipelined). */
		PGresult *r =
		    PQexec(g->admin, "SELECT count(*) FROM pg_stat_activity "
				     "WHERE application_name = 'portex' AND "
				     "query LIKE 'FETCH FORWARD %' AND "
				     "state IN ('idle in transaction', "
				     "'active')");
		g->query_was_active = !strcmp(PQgetvalue(r, 0, 0), "1");
		PQclear(r);
	}
	if (g->fail_at && json_array_size(g->records) == (size_t)g->fail_at)
		return px_error_set(err, PX_EXIT_CANTCREAT, "sink is full");
	return 0;
}

static void exec_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		print_error("%s: %s", sql, PQerrorMessage(c));
		fail();
	}
	PQclear(r);
}

static int group_setup(void **state)
{
	PGconn *c;

	(void)state;
	if (!getenv("PGHOST") || !getenv("PX_PG_DIR")) {
		fprintf(stderr, "test_postgres: PGHOST and PX_PG_DIR are not "
				"set: run it under tests/pg/with-cluster.sh "
				"(tests/run-unit.sh does) or after eval "
				"\"$(tests/pg/cluster.sh start)\"\n");
		return -1;
	}
	c = admin_connect("postgres");
	exec_ok(c, "SET client_min_messages = warning");
	exec_ok(c, "DROP DATABASE IF EXISTS px_unit");
	exec_ok(c, "CREATE DATABASE px_unit TEMPLATE template0 ENCODING "
		   "'UTF8'");
	/* A database that stores bytes as they come: the driver checks. */
	exec_ok(c, "DROP DATABASE IF EXISTS px_ascii");
	exec_ok(c, "CREATE DATABASE px_ascii TEMPLATE template0 ENCODING "
		   "'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'");
	PQfinish(c);
	c = admin_connect("px_unit");
	exec_ok(c, fixture);
	PQfinish(c);
	c = admin_connect("px_ascii");
	exec_ok(c, "CREATE TABLE t (name text); INSERT INTO t VALUES "
		   "('caf\xc3\xa9'), (E'caf\\xe9')");
	PQfinish(c);
	return 0;
}

/* A source on px_unit with one resolve step and the given collections
 * (a JSON array text). extra: more members, "" or ", \"k\": v". */
struct src {
	json_t *json;
	px_source_cfg cfg;
	px_source *s;
	json_t *plan;
	px_error err;
};

static int src_open(struct src *x, const char *conninfo, const char *colls,
		    const char *extra)
{
	char text[4096];
	json_error_t jerr;

	snprintf(text, sizeof(text),
		 "{\"name\": \"lms\", \"connector\": \"postgres\", "
		 "\"conninfo\": \"%s\", "
		 "\"resolve\": [{\"provides\": \"uid\", \"query\": \"SELECT id "
		 "FROM users WHERE lower(email) = lower(:email)\"}], "
		 "\"collections\": %s%s}",
		 conninfo, colls, extra);
	memset(x, 0, sizeof(*x));
	x->json = json_loads(text, 0, &jerr);
	if (!x->json) {
		print_error("bad test JSON: %s: %s", jerr.text, text);
		fail();
	}
	x->cfg.name = "lms";
	x->cfg.json = x->json;
	x->cfg.config_file = "portex.json";
	x->cfg.json_path = "/sources/0";
	x->cfg.base_dir = ".";
	return px_connector_postgres.open(&x->cfg, &x->s, &x->plan, &x->err);
}

static void src_close(struct src *x)
{
	px_connector_postgres.close(x->s);
	json_decref(x->plan);
	json_decref(x->json);
}

static json_t *keys_for(const char *email, const char *uid)
{
	return uid ? json_pack("{s:s, s:s}", "email", email, "uid", uid)
		   : json_pack("{s:s}", "email", email);
}

/* Opens a source with one collection, entity "e", on px_unit. */
static void open_one(struct src *x, const char *query, const char *extra)
{
	char colls[1024];

	snprintf(colls, sizeof(colls),
		 "[{\"entity\": \"e\", \"category\": \"observed\", "
		 "\"query\": \"%s\"}]",
		 query);
	if (src_open(x, "dbname=px_unit", colls, extra)) {
		print_error("open: %s\n", x->err.msg);
		fail();
	}
}

/* Fetches the collection for alice (uid 1) into g with the given sink;
 * returns fetch's result. */
static int fetch_with(struct src *x, struct got *g, px_emit_fn fn)
{
	json_t *keys = keys_for("alice@example.org", "1");
	int rc;

	if (!g->records)
		g->records = json_array();
	rc = px_connector_postgres.fetch(x->s, 0, keys, fn, g, &x->err);
	json_decref(keys);
	return rc;
}

/* open_one + fetch + close; err receives the fetch's error. */
static int fetch_one(const char *query, const char *extra, struct got *g,
		     px_error *err)
{
	struct src x;
	int rc;

	open_one(&x, query, extra);
	rc = fetch_with(&x, g, sink);
	*err = x.err;
	src_close(&x);
	return rc;
}

static void expect_msg(const px_error *err, int code, const char *text)
{
	if (err->code != code || !strstr(err->msg, text)) {
		print_error("got %d \"%s\"; expected %d with \"%s\"\n",
			    err->code, err->msg, code, text);
		fail();
	}
}

/* Runs the resolve step for email; returns its result, *err its error. */
static int resolve_email(const char *email, char **v, json_t **plan,
			 px_error *err)
{
	struct src x;
	json_t *keys = keys_for(email, NULL);
	int rc;

	assert_int_equal(src_open(&x, "dbname=px_unit", "[]", ""), 0);
	*v = NULL;
	rc = px_connector_postgres.resolve(x.s, 0, keys, v, &x.err);
	*err = x.err;
	if (plan)
		*plan = json_incref(x.plan);
	json_decref(keys);
	src_close(&x);
	return rc;
}

static void test_resolve_binds_the_key_and_finds_one_subject(void **state)
{
	px_error err = PX_ERROR_INIT;
	json_t *plan;
	char *v;

	(void)state;
	assert_int_equal(resolve_email("ALICE@example.org", &v, &plan, &err),
			 1);
	assert_string_equal(v, "1");
	assert_string_equal(
	    json_string_value(json_array_get(
		json_object_get(
		    json_array_get(json_object_get(plan, "resolve"), 0),
		    "needs"),
		0)),
	    "email");
	free(v);
	json_decref(plan);
}

static void test_empty_conninfo_uses_the_libpq_environment(void **state)
{
	struct src x;
	json_t *keys = keys_for("alice@example.org", NULL);
	char *v = NULL;

	(void)state;
	setenv("PGDATABASE", "px_unit", 1);
	assert_int_equal(src_open(&x, "", "[]", ""), 0);
	unsetenv("PGDATABASE");
	/* the users table exists only in px_unit */
	assert_int_equal(
	    px_connector_postgres.resolve(x.s, 0, keys, &v, &x.err), 1);
	assert_string_equal(v, "1");
	free(v);
	json_decref(keys);
	src_close(&x);
}

static void test_resolve_unknown_subject_is_not_found(void **state)
{
	px_error err = PX_ERROR_INIT;
	char *v;

	(void)state;
	assert_int_equal(resolve_email("nobody@example.org", &v, NULL, &err),
			 0);
	assert_null(v);
}

static void test_resolve_refuses_two_subjects(void **state)
{
	px_error err = PX_ERROR_INIT;
	char *v;

	(void)state;
	assert_int_equal(resolve_email("twin@example.org", &v, NULL, &err), -1);
	expect_msg(&err, PX_EXIT_DATA,
		   "source lms: resolve uid: the identity matches more than "
		   "one record");
}

static void test_placeholders_skip_literals_and_casts(void **state)
{
	px_error err = PX_ERROR_INIT;
	struct got g = {0};
	json_t *r;

	(void)state;
	/* ':uid' in a literal and ::int casts stay SQL; :uid twice is $1
	 * twice; a value that looks like SQL is only a value. */
	assert_int_equal(fetch_one("SELECT name, ':uid' AS lit, :uid::int + 0 "
				   "AS twice FROM users WHERE id = :uid::int "
				   "AND email <> '1 OR 1=1'",
				   "", &g, &err),
			 0);
	assert_int_equal(json_array_size(g.records), 1);
	r = json_array_get(g.records, 0);
	assert_string_equal(json_string_value(json_object_get(r, "lit")),
			    ":uid");
	assert_int_equal(json_integer_value(json_object_get(r, "twice")), 1);
	json_decref(g.records);
}

static void test_values_keep_exact_types(void **state)
{
	struct src x;
	struct got g = {0};
	json_t *r, *r2, *meta;
	const unsigned char bytes[] = {0x00, 0xff, 0x10};

	(void)state;
	/* The session's own time zone must not matter. */
	assert_int_equal(
	    src_open(&x,
		     "dbname=px_unit options='-c TimeZone=America/New_York'",
		     "[{\"entity\": \"purchase\", \"category\": "
		     "\"observed\", \"query\": \"SELECT p.*, u.name FROM "
		     "purchases p JOIN users u ON u.id = p.user_id WHERE "
		     "user_id = :uid ORDER BY at\"}]",
		     ""),
	    0);
	assert_int_equal(fetch_with(&x, &g, sink), 0);
	assert_int_equal(json_array_size(g.records), 2);
	r = json_array_get(g.records, 0);
	r2 = json_array_get(g.records, 1);
	assert_string_equal(px_decimal_digits(json_object_get(r, "amount")),
			    "19.90");
	assert_string_equal(px_decimal_digits(json_object_get(r2, "amount")),
			    "1234567890.05");
	assert_true(json_is_real(json_object_get(r, "price")));
	assert_true(json_real_value(json_object_get(r, "price")) == 0.5);
	assert_true(json_is_true(json_object_get(r, "paid")));
	assert_true(json_is_false(json_object_get(r2, "paid")));
	assert_string_equal(json_string_value(json_object_get(r, "at")),
			    "2026-01-05T09:00:00Z");
	assert_string_equal(json_string_value(json_object_get(r2, "at")),
			    "2026-07-01T10:30:00.123Z");
	/* wall-clock text: the normaliser reads it in the declared zone */
	assert_string_equal(json_string_value(json_object_get(r, "local_at")),
			    "2026-01-05 09:00:00.25");
	assert_string_equal(json_string_value(json_object_get(r, "day")),
			    "2026-01-05");
	meta = json_object_get(r, "meta");
	assert_true(json_is_null(json_object_get(
	    json_array_get(json_object_get(meta, "a"), 1), "b")));
	assert_string_equal(json_string_value(json_object_get(meta, "c")), "é");
	assert_int_equal(json_array_size(json_object_get(r, "raw")), 2);
	assert_true(json_integer_value(json_object_get(r, "big")) ==
		    9007199254740993LL);
	assert_int_equal(json_integer_value(json_object_get(r, "small")), -3);
	assert_string_equal(json_string_value(json_object_get(r, "name")),
			    "Zoë Ærøskøbing 🦊");
	/* NULL is absent, bytea "content" is the record's bytes. */
	assert_null(json_object_get(r, "note"));
	assert_null(json_object_get(r2, "price"));
	assert_null(json_object_get(r, "content"));
	assert_int_equal(g.content_len, 3);
	assert_memory_equal(g.content, bytes, 3);
	json_decref(g.records);
	src_close(&x);
}

static void test_bytea_outside_content_is_refused(void **state)
{
	px_error err = PX_ERROR_INIT;
	struct got g = {0};

	(void)state;
	assert_int_equal(fetch_one("SELECT content AS blob FROM purchases "
				   "WHERE user_id = :uid",
				   "", &g, &err),
			 -1);
	expect_msg(&err, PX_EXIT_DATA,
		   "source lms: collection e: column blob holds bytes");
	json_decref(g.records);
}

static void
test_invalid_utf8_from_an_sql_ascii_database_is_refused(void **state)
{
	struct src x;
	struct got g = {0};

	(void)state;
	assert_int_equal(src_open(&x, "dbname=px_ascii",
				  "[{\"entity\": \"e\", \"category\": "
				  "\"observed\", \"query\": \"SELECT name, "
				  ":uid AS u FROM t\"}]",
				  ""),
			 0);
	assert_int_equal(fetch_with(&x, &g, sink), -1);
	/* The server refuses to send it (the driver would refuse too). */
	expect_msg(&x.err, PX_EXIT_DATA,
		   "source lms: collection e: SQL error: invalid byte "
		   "sequence for encoding \"UTF8\": 0xe9");
	/* Rows come in batches: the one holding the bad row fails whole,
	 * and the export with it. */
	json_decref(g.records);
	src_close(&x);
}

static long long count_rows(const char *sql)
{
	PGconn *c = admin_connect("px_unit");
	PGresult *r = PQexec(c, sql);
	long long n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);

	PQclear(r);
	PQfinish(c);
	return n;
}

static void expect_write_refused(const char *query)
{
	px_error err = PX_ERROR_INIT;
	struct got g = {0};

	assert_int_equal(fetch_one(query, "", &g, &err), -1);
	expect_msg(&err, PX_EXIT_DATA,
		   "source lms: collection e: the query tried to write");
	json_decref(g.records);
	assert_int_equal(count_rows("SELECT count(*) FROM users"), 4);
	assert_int_equal(count_rows("SELECT count(*) FROM audit"), 0);
	assert_int_equal(count_rows("SELECT count(*) FROM users WHERE name = "
				    "'Zoë Ærøskøbing 🦊'"),
			 1);
}

static void test_queries_that_write_fail_and_rows_remain(void **state)
{
	(void)state;
	expect_write_refused("DELETE FROM users WHERE id = :uid RETURNING id");
	expect_write_refused("UPDATE users SET name = 'x' WHERE id = :uid "
			     "RETURNING id");
	expect_write_refused("SELECT touch() AS n, :uid AS u");
	expect_write_refused("SELECT nextval('seq') AS n, :uid AS u");
}

static void test_query_cannot_end_the_read_only_transaction(void **state)
{
	struct src x;
	struct got g = {0};

	(void)state;
	assert_int_equal(
	    src_open(&x, "dbname=px_unit",
		     "[{\"entity\": \"e\", \"category\": \"provided\", "
		     "\"query\": \"ROLLBACK\"}, {\"entity\": \"f\", "
		     "\"category\": \"observed\", \"query\": \"DELETE FROM "
		     "users RETURNING id\"}]",
		     ""),
	    0);
	assert_int_equal(fetch_with(&x, &g, sink), -1);
	expect_msg(&x.err, PX_EXIT_DATA, "expected a SELECT");
	/* Later queries of the source do not run outside the transaction. */
	assert_int_equal(
	    px_connector_postgres.fetch(x.s, 1, NULL, sink, &g, &x.err), -1);
	expect_msg(&x.err, PX_EXIT_DATA, "collection f: not run");
	json_decref(g.records);
	src_close(&x);
	assert_int_equal(count_rows("SELECT count(*) FROM users"), 4);
}

static void test_statement_timeout_says_so(void **state)
{
	px_error err = PX_ERROR_INIT;
	struct got g = {0};

	(void)state;
	assert_int_equal(fetch_one("SELECT pg_sleep(5)::text AS s, :uid AS u",
				   ", \"statement_timeout\": 200", &g, &err),
			 -1);
	expect_msg(&err, PX_EXIT_DATA,
		   "source lms: collection e: statement timeout after 200 ms "
		   "(source option \"statement_timeout\"); the query was "
		   "cancelled");
	json_decref(g.records);
}

static void test_bad_statement_timeout_is_a_config_error(void **state)
{
	struct src x;

	(void)state;
	assert_int_equal(src_open(&x, "dbname=px_unit", "[]",
				  ", \"statement_timeout\": \"soon\""),
			 -1);
	expect_msg(&x.err, PX_EXIT_CONFIG,
		   "portex.json: /sources/0/statement_timeout");
	json_decref(x.json);
}

/* src_open that must fail with code, and whose message must contain
 * want and must not contain secret. */
static void expect_open_error(const char *conninfo, int code, const char *want,
			      const char *secret)
{
	struct src x;

	assert_int_equal(src_open(&x, conninfo, "[]", ""), -1);
	expect_msg(&x.err, code, want);
	if (secret && strstr(x.err.msg, secret)) {
		print_error("the message shows a secret: %s\n", x.err.msg);
		fail();
	}
	json_decref(x.json);
}

static void test_unreachable_server_names_host_and_database(void **state)
{
	(void)state;
	expect_open_error("host=/nonexistent dbname=lmsdb", PX_EXIT_UNAVAILABLE,
			  "source lms: cannot connect to PostgreSQL (host "
			  "/nonexistent, database lmsdb)",
			  NULL);
}

static void test_wrong_password_never_shows_the_password(void **state)
{
	struct src x;

	(void)state;
	expect_open_error("postgresql://px_password:wrong-Pw-13@/px_unit",
			  PX_EXIT_UNAVAILABLE, "database px_unit",
			  "wrong-Pw-13");
	expect_open_error("user=px_password password=wrong-Pw-13 "
			  "dbname=px_unit",
			  PX_EXIT_UNAVAILABLE, "password authentication failed",
			  "wrong-Pw-13");
	/* and the right one works */
	assert_int_equal(src_open(&x,
				  "user=px_password password=right-Pw-42 "
				  "dbname=px_unit",
				  "[]", ""),
			 0);
	src_close(&x);
}

static void test_bad_conninfo_is_a_config_error(void **state)
{
	(void)state;
	expect_open_error("dbname=px_unit passwrd=hunter2", PX_EXIT_CONFIG,
			  "/conninfo: source lms: expected a libpq connection "
			  "string "
			  "(\"host=... dbname=...\") or URI "
			  "(\"postgresql://...\"): invalid connection option "
			  "\"passwrd\"",
			  "hunter2");
	expect_open_error("password hunter2", PX_EXIT_CONFIG, "/conninfo",
			  "hunter2");
	expect_open_error("postgresql://u:hun%zzter2@/x", PX_EXIT_CONFIG,
			  "/conninfo", "hun");
}

static void test_rows_stream_while_the_query_runs(void **state)
{
	struct src x;
	struct got g = {0};

	(void)state;
	/* More rows than one batch: a driver that collected every row
	 * before handing any over would have no cursor open by then. */
	open_one(&x,
		 "SELECT g, repeat('x', 2000) AS pad FROM "
		 "generate_series(1, 2500) g WHERE :uid = '1'",
		 "");
	g.admin = admin_connect("postgres");
	assert_int_equal(fetch_with(&x, &g, sink), 0);
	assert_int_equal(json_array_size(g.records), 2500);
	assert_true(g.query_was_active);
	PQfinish(g.admin);
	json_decref(g.records);
	src_close(&x);
}

static void test_sink_error_stops_the_fetch(void **state)
{
	px_error err = PX_ERROR_INIT;
	struct got g = {0};

	(void)state;
	g.fail_at = 3;
	assert_int_equal(fetch_one("SELECT g FROM generate_series(1, 10000000) "
				   "g WHERE :uid = '1'",
				   "", &g, &err),
			 -1);
	assert_int_equal(err.code, PX_EXIT_CANTCREAT);
	assert_string_equal(err.msg, "sink is full");
	assert_int_equal(json_array_size(g.records), 3);
	json_decref(g.records);
}

static int kill_backend(void *ctx, const px_record *rec, px_error *err)
{
	struct got *g = ctx;

	(void)rec;
	(void)err;
	if (json_integer_value(json_array_get(g->records, 0)) == 0)
		exec_ok(g->admin, "SELECT pg_terminate_backend(pid) FROM "
				  "pg_stat_activity WHERE application_name = "
				  "'portex'");
	json_array_set_new(g->records, 0, json_integer(1));
	return 0;
}

static void test_server_gone_mid_way_is_unavailable(void **state)
{
	struct src x;
	struct got g = {0};

	(void)state;
	open_one(&x,
		 "SELECT g FROM generate_series(1, 100000000) g WHERE :uid = "
		 "'1'",
		 "");
	g.admin = admin_connect("postgres");
	g.records = json_pack("[i]", 0);
	assert_int_equal(fetch_with(&x, &g, kill_backend), -1);
	expect_msg(&x.err, PX_EXIT_UNAVAILABLE,
		   "source lms: collection e: lost the connection to "
		   "PostgreSQL (host ");
	expect_msg(&x.err, PX_EXIT_UNAVAILABLE, "database px_unit)");
	PQfinish(g.admin);
	json_decref(g.records);
	src_close(&x);
}

static void test_one_connection_and_snapshot_per_source(void **state)
{
	struct src x;
	struct got g = {0};

	(void)state;
	open_one(&x, "SELECT pg_backend_pid() AS pid, now() AS t", "");
	assert_int_equal(fetch_with(&x, &g, sink), 0);
	assert_int_equal(fetch_with(&x, &g, sink), 0);
	assert_int_equal(json_array_size(g.records), 2);
	assert_true(json_equal(json_array_get(g.records, 0),
			       json_array_get(g.records, 1)));
	json_decref(g.records);
	src_close(&x);
}

/* The state of the backend whose pid the first record holds. */
static const char *backend_state(struct got *g, char *buf, size_t size)
{
	char sql[200];
	PGconn *c = admin_connect("postgres");
	PGresult *r;

	snprintf(sql, sizeof(sql),
		 "SELECT state FROM pg_stat_activity WHERE pid = %lld",
		 json_integer_value(
		     json_object_get(json_array_get(g->records, 0), "pid")));
	r = PQexec(c, sql);
	snprintf(buf, size, "%s",
		 PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "(gone)");
	PQclear(r);
	PQfinish(c);
	return buf;
}

/* Bulk: between subjects the connection holds no transaction ("idle",
 * not "idle in transaction" with a snapshot that keeps VACUUM from
 * cleaning up), and the next subject gets a fresh snapshot. Before,
 * the transaction stayed open until the next subject began. */
static void test_no_transaction_held_between_subjects(void **state)
{
	struct src x;
	struct got g = {0};
	char st[64];

	(void)state;
	open_one(&x, "SELECT pg_backend_pid() AS pid, now() AS t", "");
	assert_int_equal(fetch_with(&x, &g, sink), 0);
	assert_string_equal(backend_state(&g, st, sizeof(st)),
			    "idle in transaction");
	assert_non_null(px_connector_postgres.end);
	px_connector_postgres.end(x.s);
	assert_string_equal(backend_state(&g, st, sizeof(st)), "idle");
	px_connector_postgres.end(x.s); /* twice is harmless */
	assert_int_equal(px_connector_postgres.reset(x.s, &x.err), 0);
	assert_int_equal(fetch_with(&x, &g, sink), 0);
	assert_int_equal(json_array_size(g.records), 2);
	/* one connection, another snapshot */
	assert_true(
	    json_equal(json_object_get(json_array_get(g.records, 0), "pid"),
		       json_object_get(json_array_get(g.records, 1), "pid")));
	assert_false(
	    json_equal(json_object_get(json_array_get(g.records, 0), "t"),
		       json_object_get(json_array_get(g.records, 1), "t")));
	json_decref(g.records);
	src_close(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolve_binds_the_key_and_finds_one_subject),
	    cmocka_unit_test(test_empty_conninfo_uses_the_libpq_environment),
	    cmocka_unit_test(test_resolve_unknown_subject_is_not_found),
	    cmocka_unit_test(test_resolve_refuses_two_subjects),
	    cmocka_unit_test(test_placeholders_skip_literals_and_casts),
	    cmocka_unit_test(test_values_keep_exact_types),
	    cmocka_unit_test(test_bytea_outside_content_is_refused),
	    cmocka_unit_test(
		test_invalid_utf8_from_an_sql_ascii_database_is_refused),
	    cmocka_unit_test(test_queries_that_write_fail_and_rows_remain),
	    cmocka_unit_test(test_query_cannot_end_the_read_only_transaction),
	    cmocka_unit_test(test_statement_timeout_says_so),
	    cmocka_unit_test(test_bad_statement_timeout_is_a_config_error),
	    cmocka_unit_test(test_unreachable_server_names_host_and_database),
	    cmocka_unit_test(test_wrong_password_never_shows_the_password),
	    cmocka_unit_test(test_bad_conninfo_is_a_config_error),
	    cmocka_unit_test(test_rows_stream_while_the_query_runs),
	    cmocka_unit_test(test_sink_error_stops_the_fetch),
	    cmocka_unit_test(test_server_gone_mid_way_is_unavailable),
	    cmocka_unit_test(test_one_connection_and_snapshot_per_source),
	    cmocka_unit_test(test_no_transaction_held_between_subjects),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
