/*
 * test_ledger.c - the lifecycle rules and the ledger on a real SQLite file:
 * transitions, suspension and extension arithmetic, migrations, and the
 * audit chain catching edits made behind portex's back.
 */
#include "unit.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "portex/ledger.h"

static px_day day(const char *s)
{
	px_day d = 0;

	assert_int_equal(px_date_parse(s, &d, NULL), 0);
	return d;
}

static json_t *request(const char *received)
{
	return json_pack("{s:i, s:s, s:{s:s}, s:s, s:s, s:s, s:s, s:s, s:s,"
			 " s:[]}",
			 "id", 7, "type", "access", "subject", "email",
			 "a@example.org", "requester", "A", "relation", "self",
			 "channel", "mail", "received", received, "calendar",
			 "FR", "status", "received", "suspensions");
}

static void test_transitions_follow_the_lifecycle(void **state)
{
	json_t *req = request("2026-01-31");
	px_error err = PX_ERROR_INIT;

	(void)state;
	assert_int_equal(px_request_transition(req, "delivered", &err), -1);
	assert_int_equal(err.code, PX_EXIT_DATA);
	assert_string_equal(err.msg,
			    "request 7 is received: it cannot become "
			    "delivered (allowed from there: awaiting_identity, "
			    "ready, rejected, withdrawn)");
	assert_int_equal(px_request_transition(req, "ready", &err), 0);
	assert_int_equal(px_request_transition(req, "exported", &err), 0);
	assert_int_equal(px_request_transition(req, "exported", &err), 0);
	assert_int_equal(px_request_transition(req, "delivered", &err), 0);
	assert_false(px_request_is_open(req));
	assert_int_equal(px_request_transition(req, "withdrawn", &err), -1);
	assert_non_null(strstr(err.msg, "it is closed"));
	json_decref(req);
}

static void test_identity_wait_suspends_the_clock(void **state)
{
	json_t *req = request("2026-01-31"), *args, *details = json_object();
	px_error err = PX_ERROR_INIT;
	px_day today = day("2026-03-20");

	(void)state;
	assert_int_equal(px_request_recompute(req, today, &err), 0);
	assert_string_equal(json_string_value(json_object_get(req, "due")),
			    "2026-03-02");
	args = json_pack("{s:s}", "date", "2026-02-03");
	assert_int_equal(
	    px_request_apply(req, "identity-ask", args, today, details, &err),
	    0);
	json_decref(args);
	/* Answered 9 days later: 28 Feb + 9 = Mon 9 March. */
	args = json_pack("{s:s}", "date", "2026-02-12");
	assert_int_equal(px_request_apply(req, "identity-verified", args, today,
					  details, &err),
			 0);
	json_decref(args);
	assert_string_equal(json_string_value(json_object_get(req, "due")),
			    "2026-03-09");
	/* 30 April + 9 = Sat 9 May -> Mon 11 May. */
	assert_string_equal(
	    json_string_value(json_object_get(req, "extended_due")),
	    "2026-05-11");
	assert_string_equal(json_string_value(json_object_get(details, "to")),
			    "ready");
	json_decref(req);
	json_decref(details);
}

static void test_identity_answer_before_question_is_refused(void **state)
{
	json_t *req = request("2026-01-31"), *args, *details = json_object();
	px_error err = PX_ERROR_INIT;
	px_day today = day("2026-03-20");

	(void)state;
	args = json_pack("{s:s}", "date", "2026-02-10");
	assert_int_equal(
	    px_request_apply(req, "identity-ask", args, today, details, &err),
	    0);
	json_decref(args);
	args = json_pack("{s:s}", "date", "2026-02-05");
	assert_int_equal(px_request_apply(req, "identity-verified", args, today,
					  details, &err),
			 -1);
	assert_non_null(strstr(err.msg, "before it was asked for"));
	json_decref(args);
	json_decref(req);
	json_decref(details);
}

static void test_extension_must_be_notified_within_the_first_limit(void **state)
{
	json_t *req = request("2026-01-31"), *args, *details = json_object();
	px_error err = PX_ERROR_INIT;
	px_day today = day("2026-03-20");

	(void)state;
	assert_int_equal(px_request_recompute(req, today, &err), 0);
	args = json_pack("{s:s, s:s}", "reason", "many sources", "date",
			 "2026-03-03");
	assert_int_equal(
	    px_request_apply(req, "extend", args, today, details, &err), -1);
	assert_non_null(strstr(err.msg, "after the first limit (2026-03-02)"));
	json_object_set_new(args, "date", json_string("2026-03-02"));
	assert_int_equal(
	    px_request_apply(req, "extend", args, today, details, &err), 0);
	assert_string_equal(px_request_effective_due(req), "2026-04-30");
	assert_int_equal(
	    px_request_apply(req, "extend", args, today, details, &err), -1);
	assert_non_null(strstr(err.msg, "already extended"));
	json_decref(args);
	json_decref(req);
	json_decref(details);
}

static void test_request_check_refuses_future_and_impossible(void **state)
{
	json_t *req = request("2026-02-30");
	px_error err = PX_ERROR_INIT;

	(void)state;
	assert_int_equal(px_request_check(req, day("2026-03-20"), &err), -1);
	assert_int_equal(err.code, PX_EXIT_DATA);
	assert_non_null(strstr(err.msg, "February 2026 has 28 days"));
	json_object_set_new(req, "received", json_string("2026-03-21"));
	assert_int_equal(px_request_check(req, day("2026-03-20"), &err), -1);
	assert_non_null(strstr(err.msg, "is in the future (today is "
					"2026-03-20)"));
	json_object_set_new(req, "received", json_string("2026-03-20"));
	assert_int_equal(px_request_check(req, day("2026-03-20"), &err), 0);
	json_object_set_new(req, "relation", json_string("friend"));
	assert_int_equal(px_request_check(req, day("2026-03-20"), &err), -1);
	assert_int_equal(err.code, PX_EXIT_USAGE);
	json_decref(req);
}

/* ---- on a real SQLite file ---- */

struct fixture {
	char dir[64];
	char path[96];
	char uri[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/px_test_ledger.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/l.db", f->dir);
	snprintf(f->uri, sizeof(f->uri), "sqlite:%s", f->path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char j[128];

	unlink(f->path);
	snprintf(j, sizeof(j), "%s-journal", f->path);
	unlink(j);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void run_sql(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int withdraw(void *ctx, json_t *req, json_t *details, px_error *err)
{
	(void)ctx;
	return px_request_apply(req, "withdraw", NULL, px_today(), details,
				err);
}

static px_ledger *filled(const struct fixture *f)
{
	px_error err = PX_ERROR_INIT;
	px_ledger *l = px_ledger_open(f->uri, NULL, &err);
	json_t *req = request("2026-01-31"), *out = NULL;

	assert_non_null(l);
	json_object_del(req, "id");
	assert_int_equal(px_ledger_add(l, req, "tester", &out, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "id")), 1);
	json_decref(out);
	assert_int_equal(px_ledger_add(l, req, "tester", NULL, &err), 0);
	assert_int_equal(px_ledger_change(l, 1, "request.withdraw", "tester",
					  withdraw, NULL, NULL, &err),
			 0);
	json_decref(req);
	return l;
}

static void test_chain_is_valid_then_catches_an_edit(void **state)
{
	struct fixture *f = *state;
	px_ledger *l = filled(f);
	px_error err = PX_ERROR_INIT;
	px_audit_result r;

	assert_int_equal(px_audit_verify(l, &r, &err), 0);
	assert_true(r.valid);
	assert_int_equal(r.entries, 3);
	px_ledger_close(l);
	run_sql(f->path, "UPDATE px_audit SET at = '2020-01-01T00:00:00Z' "
			 "WHERE seq = 2");
	l = px_ledger_open(f->uri, NULL, &err);
	assert_int_equal(px_audit_verify(l, &r, &err), 0);
	assert_false(r.valid);
	assert_int_equal(r.bad_seq, 2);
	assert_string_equal(r.problem, "edited");
	px_ledger_close(l);
}

static void test_failed_change_leaves_no_trace(void **state)
{
	struct fixture *f = *state;
	px_ledger *l = filled(f);
	px_error err = PX_ERROR_INIT;
	json_t *list = NULL;
	px_audit_result r;

	/* Request 1 is withdrawn: withdrawing again must fail whole. */
	assert_int_equal(px_ledger_change(l, 1, "request.withdraw", "tester",
					  withdraw, NULL, NULL, &err),
			 -1);
	assert_int_equal(err.code, PX_EXIT_DATA);
	assert_int_equal(px_audit_list(l, 0, &list, &err), 0);
	assert_int_equal(json_array_size(list), 3);
	json_decref(list);
	assert_int_equal(px_ledger_change(l, 99, "request.withdraw", "tester",
					  withdraw, NULL, NULL, &err),
			 -1);
	assert_non_null(strstr(err.msg, "no request 99"));
	assert_int_equal(px_audit_verify(l, &r, &err), 0);
	assert_true(r.valid);
	px_ledger_close(l);
}

static void test_newer_schema_is_refused(void **state)
{
	struct fixture *f = *state;
	px_error err = PX_ERROR_INIT;

	px_ledger_close(filled(f));
	run_sql(f->path, "INSERT INTO px_schema (version) VALUES (99)");
	assert_null(px_ledger_open(f->uri, NULL, &err));
	assert_int_equal(err.code, PX_EXIT_CONFIG);
	assert_non_null(strstr(err.msg, "schema version 99, newer than"));
}

static int make_ready(void *ctx, json_t *req, json_t *details, px_error *err)
{
	(void)ctx;
	(void)details;
	return px_request_transition(req, "ready", err);
}

static const char *field(px_ledger *l, long id, const char *name, char *buf,
			 size_t n)
{
	px_error err = PX_ERROR_INIT;
	json_t *req = NULL;
	const char *v;

	assert_int_equal(px_ledger_get(l, id, &req, &err), 0);
	v = json_string_value(json_object_get(req, name));
	snprintf(buf, n, "%s", v ? v : "(none)");
	if (!strcmp(name, "package_pending"))
		snprintf(buf, n, "%s",
			 json_object_get(req, name) ? "pending" : "(none)");
	json_decref(req);
	return buf;
}

/* A ledger of schema version 5 (before package_pending) is migrated; a
 * package left pending is recorded when the file holds it, dropped
 * otherwise, and the audit chain stays whole. */
static void
test_older_ledger_migrates_and_settles_pending_packages(void **state)
{
	struct fixture *f = *state;
	px_error err = PX_ERROR_INIT;
	px_audit_result r;
	px_ledger *l;
	json_t *done = NULL;
	char zip[128], buf[128], hex[65];
	unsigned char sha[32];
	FILE *out;

	px_ledger_close(filled(f));
	run_sql(f->path, "ALTER TABLE px_requests DROP COLUMN package_pending;"
			 "UPDATE px_schema SET version = 5");
	assert_non_null(l = px_ledger_open(f->uri, NULL, &err));
	assert_int_equal(px_ledger_change(l, 2, "request.ready", "tester",
					  make_ready, NULL, NULL, &err),
			 0);
	snprintf(zip, sizeof(zip), "%s/p.zip", f->dir);
	assert_non_null(out = fopen(zip, "w"));
	fputs("the new package", out);
	fclose(out);
	assert_int_equal(px_sha256_file(zip, sha, NULL), 0);
	px_hex(sha, 32, hex);

	/* Published, not recorded: the file holds the pending digest. */
	assert_int_equal(
	    px_ledger_export_pending(l, 2, "tester", zip, hex, &err), 0);
	assert_string_equal(field(l, 2, "package_pending", buf, sizeof(buf)),
			    "pending");
	assert_int_equal(px_ledger_reconcile(l, "tester", &done, &err), 0);
	assert_int_equal(json_array_size(done), 1);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(done, 0), "action")),
			    "recovered");
	json_decref(done);
	assert_string_equal(field(l, 2, "status", buf, sizeof(buf)),
			    "exported");
	assert_string_equal(field(l, 2, "package_sha256", buf, sizeof(buf)),
			    hex);
	assert_string_equal(field(l, 2, "package_pending", buf, sizeof(buf)),
			    "(none)");

	/* Recorded as pending, never published: dropped, the old stays. */
	assert_int_equal(px_ledger_export_pending(
			     l, 2, "tester", zip,
			     "0000000000000000000000000000000000000000000000000"
			     "000000000000000",
			     &err),
			 0);
	assert_int_equal(px_ledger_reconcile(l, "tester", &done, &err), 0);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(done, 0), "action")),
			    "abandoned");
	json_decref(done);
	assert_string_equal(field(l, 2, "package_sha256", buf, sizeof(buf)),
			    hex);
	assert_string_equal(field(l, 2, "package_pending", buf, sizeof(buf)),
			    "(none)");
	/* Nothing pending: nothing to do. */
	assert_int_equal(px_ledger_reconcile(l, "tester", &done, &err), 0);
	assert_int_equal(json_array_size(done), 0);
	json_decref(done);
	/* A withdrawn request cannot take a package. */
	assert_int_equal(
	    px_ledger_export_pending(l, 1, "tester", zip, hex, &err), -1);
	assert_int_equal(err.code, PX_EXIT_DATA);
	assert_int_equal(px_audit_verify(l, &r, &err), 0);
	assert_true(r.valid);
	px_ledger_close(l);
	unlink(zip);
}

static void test_unknown_ledger_kind_is_a_config_error(void **state)
{
	px_error err = PX_ERROR_INIT;

	(void)state;
	assert_null(px_ledger_open("mysql://h/db", NULL, &err));
	assert_int_equal(err.code, PX_EXIT_CONFIG);
	assert_null(px_ledger_open("sqlite:", NULL, &err));
	assert_int_equal(err.code, PX_EXIT_CONFIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_transitions_follow_the_lifecycle),
	    cmocka_unit_test(test_identity_wait_suspends_the_clock),
	    cmocka_unit_test(test_identity_answer_before_question_is_refused),
	    cmocka_unit_test(
		test_extension_must_be_notified_within_the_first_limit),
	    cmocka_unit_test(test_request_check_refuses_future_and_impossible),
	    cmocka_unit_test_setup_teardown(
		test_chain_is_valid_then_catches_an_edit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_change_leaves_no_trace,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_newer_schema_is_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_older_ledger_migrates_and_settles_pending_packages, setup,
		teardown),
	    cmocka_unit_test(test_unknown_ledger_kind_is_a_config_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
