/*
 * test_ledger_pg.c - a PostgreSQL ledger whose server stops answering, in
 * a process that goes on (serve, worker): the wait ends by its deadline,
 * and the next transaction gets a new connection instead of failing for
 * ever.
 *
 * Needs PGHOST and PX_PG_DIR from tests/pg/cluster.sh (tests/run-unit.sh
 * starts one).
 */
#include "unit.h"
#include "unit_pg.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger/ledger_backend.h"

#define DB "px_unit_ledger"

static char *scalar(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	char *v = NULL;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = strdup(PQgetvalue(r, 0, 0));
	else if (PQresultStatus(r) != PGRES_TUPLES_OK)
		print_error("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	return v;
}

static long backend_pid(px_ledger *l)
{
	json_t *rows = NULL;
	px_error err = PX_ERROR_INIT;
	long pid;

	if (px_ledger_query(l, "SELECT pg_backend_pid()", 0, NULL, &rows,
			    &err)) {
		print_error("%s", err.msg);
		fail();
	}
	pid =
	    atol(json_string_value(json_array_get(json_array_get(rows, 0), 0)));
	json_decref(rows);
	return pid;
}

/* Once the ledger's backend waits for the write lock `holder` has, it is
 * stopped, and the lock let go: only the stopped server is left. */
struct stopper {
	long pid;
	PGconn *holder;
	int stopped;
};

static void *stop_when_waiting(void *arg)
{
	struct stopper *st = arg;
	PGconn *w = admin_connect(DB);
	char sql[200];

	snprintf(sql, sizeof(sql),
		 "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %ld",
		 st->pid);
	for (int i = 0; i < 400 && !st->stopped; i++) {
		char *ev = scalar(w, sql);
		struct timespec ts = {0, 10 * 1000 * 1000};

		if (ev && !strcmp(ev, "Lock")) {
			kill((pid_t)st->pid, SIGSTOP);
			st->stopped = 1;
		}
		free(ev);
		nanosleep(&ts, NULL);
	}
	free(scalar(st->holder, "SELECT pg_advisory_unlock(28792)::text"));
	PQfinish(w);
	return NULL;
}

static void
test_a_stopped_server_is_given_up_on_then_connected_to_afresh(void **state)
{
	px_error err = PX_ERROR_INIT;
	px_ledger *l;
	struct stopper st = {0};
	pthread_t t;
	long again;

	(void)state;
	l = px_ledger_open("postgresql:///" DB
			   "?options=-c%20statement_timeout%3D2000",
			   NULL, &err);
	if (!l) {
		print_error("%s", err.msg);
		fail();
	}
	st.pid = backend_pid(l);
	st.holder = admin_connect(DB);
	free(scalar(st.holder, "SELECT pg_advisory_lock(28792)::text"));
	assert_int_equal(pthread_create(&t, NULL, stop_when_waiting, &st), 0);
	assert_int_equal(px_ledger_begin(l, 1, &err), -1);
	pthread_join(t, NULL);
	kill((pid_t)st.pid, SIGCONT);
	assert_true(st.stopped);
	assert_int_equal(err.code, PX_EXIT_UNAVAILABLE);
	assert_non_null(strstr(err.msg,
			       "no answer within 4000 ms "
			       "(statement_timeout 2000 ms + 2000 ms) "
			       "while taking the ledger's write lock"));
	/* The next transaction is on a new connection. */
	px_error_clear(&err);
	assert_int_equal(px_ledger_begin(l, 1, &err), 0);
	again = backend_pid(l);
	assert_true(again != st.pid);
	assert_int_equal(px_ledger_commit(l, &err), 0);
	PQfinish(st.holder);
	px_ledger_close(l);
}

static char *setting(px_ledger *l, const char *sql)
{
	json_t *rows = NULL;
	px_error err = PX_ERROR_INIT;
	char *v;

	if (px_ledger_query(l, sql, 0, NULL, &rows, &err)) {
		print_error("%s", err.msg);
		fail();
	}
	v = strdup(
	    json_string_value(json_array_get(json_array_get(rows, 0), 0)));
	json_decref(rows);
	return v;
}

/* portex's own deadline follows the session's statement_timeout: 30 s
 * when it has none, the URI's (options=-c ...) when it says one. */
static void test_statement_timeout_is_30s_unless_the_uri_sets_one(void **state)
{
	px_error err = PX_ERROR_INIT;
	px_ledger *l;
	char *v;

	(void)state;
	assert_non_null(l = px_ledger_open("postgresql:///" DB, NULL, &err));
	v = setting(l, "SHOW statement_timeout");
	assert_string_equal(v, "30s");
	free(v);
	v = setting(l, "SHOW lock_timeout");
	assert_string_equal(v, "5s");
	free(v);
	px_ledger_close(l);
	assert_non_null(
	    l = px_ledger_open("postgresql:///" DB
			       "?options=-c%20statement_timeout%3D7s",
			       NULL, &err));
	v = setting(l, "SHOW statement_timeout");
	assert_string_equal(v, "7s");
	free(v);
	px_ledger_close(l);
}

static int group_setup(void **state)
{
	PGconn *c;
	PGresult *r;

	(void)state;
	if (!getenv("PGHOST") || !getenv("PX_PG_DIR")) {
		fprintf(stderr, "test_ledger_pg: PGHOST and PX_PG_DIR are not "
				"set: run it under tests/run-unit.sh\n");
		return -1;
	}
	c = admin_connect("postgres");
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	PQclear(PQexec(c, "DROP DATABASE IF EXISTS " DB));
	r = PQexec(c, "CREATE DATABASE " DB);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "test_ledger_pg: %s", PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
		return -1;
	}
	PQclear(r);
	PQfinish(c);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_statement_timeout_is_30s_unless_the_uri_sets_one),
	    cmocka_unit_test(
		test_a_stopped_server_is_given_up_on_then_connected_to_afresh),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
