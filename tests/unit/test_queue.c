/*
 * test_queue.c - the job queue on a real SQLite ledger: enqueue is
 * idempotent, a claim takes a lease, a dead worker's job is taken over
 * after its lease, the old owner can no longer record it, transient
 * failures come back after a backoff and die after max_attempts, bad data
 * fails at once, and finishing marks the ledger request exported with an
 * audit trail that still verifies. Also the opaque subject id.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portex/ledger.h"
#include "queue/outdir.h"
#include "queue/queue.h"

struct fixture {
	char dir[64];
	char uri[128];
	px_ledger *l;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	px_error err = PX_ERROR_INIT;

	strcpy(f->dir, "/tmp/px_test_queue.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->uri, sizeof(f->uri), "sqlite:%s/l.db", f->dir);
	f->l = px_ledger_open(f->uri, NULL, &err);
	if (!f->l)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char p[128];

	px_ledger_close(f->l);
	snprintf(p, sizeof(p), "%s/l.db", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/l.db-journal", f->dir);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* The clock the tests claim with. The queue stamps enqueue and release with
 * the real clock, so "now" is taken a minute ahead: a run slow enough to
 * cross a second (valgrind) must not find its own jobs not yet available. */
static int64_t test_now(void)
{
	return px_queue_now() + 60;
}

static long enqueue(px_ledger *l, const char *email, int with_request,
		    int *created)
{
	json_t *subject = json_pack("{s:s}", "email", email);
	char pkg[128];
	px_job_spec s = {.batch = "t",
			 .subject = subject,
			 .package = pkg,
			 .max_attempts = 3,
			 .with_request = with_request,
			 .retrievable_until = "2026-11-16"};
	px_error err = PX_ERROR_INIT;
	long id = 0;

	snprintf(pkg, sizeof(pkg), "/out/%s.zip", email);
	assert_int_equal(px_queue_enqueue(l, &s, &id, created, &err), 0);
	json_decref(subject);
	return id;
}

static const char *state_of(px_ledger *l, long id)
{
	static char buf[32];
	json_t *list = NULL, *j;
	px_error err = PX_ERROR_INIT;
	size_t i;

	assert_int_equal(px_queue_list(l, NULL, &list, &err), 0);
	buf[0] = '\0';
	json_array_foreach (list, i, j)
		if (json_integer_value(json_object_get(j, "id")) == id)
			snprintf(
			    buf, sizeof(buf), "%s",
			    json_string_value(json_object_get(j, "state")));
	json_decref(list);
	return buf;
}

static void test_enqueue_twice_adds_one_job(void **state)
{
	struct fixture *f = *state;
	int created = -1;
	long a = enqueue(f->l, "a@example.org", 0, &created);

	assert_int_equal(created, 1);
	assert_int_equal(enqueue(f->l, "a@example.org", 0, &created), a);
	assert_int_equal(created, 0);
	assert_int_not_equal(enqueue(f->l, "b@example.org", 0, &created), a);
	assert_int_equal(created, 1);
}

static void test_claim_takes_a_lease_and_expiry_hands_over(void **state)
{
	struct fixture *f = *state;
	px_error err = PX_ERROR_INIT;
	px_job *j = NULL, *k = NULL;
	px_job_outcome out = {.sha256 = "00", .size = 1, .records = 1};
	int64_t t = test_now();
	int renewed = 0;

	enqueue(f->l, "a@example.org", 0, NULL);
	assert_int_equal(px_queue_claim(f->l, "w1", 30, t, &j, &err), 1);
	assert_string_equal(j->retrievable_until, "2026-11-16");
	assert_int_equal(j->attempts, 1);
	/* Leased: nobody else gets it, even a little later. */
	assert_int_equal(px_queue_claim(f->l, "w2", 30, t + 29, &k, &err), 0);
	assert_int_equal(px_queue_renew(f->l, "w1", 30, t + 20, &renewed, &err),
			 0);
	assert_int_equal(renewed, 1);
	assert_int_equal(px_queue_claim(f->l, "w2", 30, t + 49, &k, &err), 0);
	/* w1 died: after its lease, w2 takes the job over. */
	assert_int_equal(px_queue_claim(f->l, "w2", 30, t + 51, &k, &err), 1);
	assert_int_equal(k->id, j->id);
	assert_int_equal(k->attempts, 2);
	/* w1 comes back: its result is not recorded. */
	assert_int_equal(px_queue_finish(f->l, j, "w1", &out, &err), 1);
	assert_int_equal(px_queue_finish(f->l, k, "w2", &out, &err), 0);
	assert_string_equal(state_of(f->l, k->id), "done");
	assert_int_equal(px_queue_finish(f->l, k, "w2", &out, &err), 1);
	px_job_free(j);
	px_job_free(k);
}

static void test_transient_failures_back_off_then_die(void **state)
{
	struct fixture *f = *state;
	px_error err = PX_ERROR_INIT;
	px_job *j = NULL;
	px_job_state st;
	int64_t t = test_now();
	long id = enqueue(f->l, "a@example.org", 0, NULL);

	assert_int_equal(px_queue_claim(f->l, "w", 30, t, &j, &err), 1);
	assert_int_equal(px_queue_fail(f->l, j, "w", PX_EXIT_UNAVAILABLE,
				       "source lms: cannot connect", t, &st,
				       &err),
			 0);
	assert_int_equal(st, PX_JOB_QUEUED);
	px_job_free(j);
	/* Not before its backoff (2 s after a first failure). */
	assert_int_equal(px_queue_claim(f->l, "w", 30, t + 1, &j, &err), 0);
	assert_int_equal(px_queue_claim(f->l, "w", 30, t + 2, &j, &err), 1);
	assert_string_equal(j->last_error, "source lms: cannot connect");
	assert_int_equal(j->attempts, 2);
	assert_int_equal(
	    px_queue_fail(f->l, j, "w", 69, "again", t + 2, &st, &err), 0);
	px_job_free(j);
	assert_int_equal(px_queue_claim(f->l, "w", 30, t + 100, &j, &err), 1);
	assert_int_equal(
	    px_queue_fail(f->l, j, "w", 69, "third", t + 100, &st, &err), 0);
	assert_int_equal(st, PX_JOB_DEAD); /* max_attempts 3 */
	assert_string_equal(state_of(f->l, id), "dead");
	px_job_free(j);
	assert_int_equal(px_queue_claim(f->l, "w", 30, t + 9999, &j, &err), 0);
}

static void test_bad_data_fails_at_once_and_release_keeps_attempts(void **state)
{
	struct fixture *f = *state;
	px_error err = PX_ERROR_INIT;
	px_job *j = NULL;
	px_job_state st;
	int64_t t = test_now();
	long a = enqueue(f->l, "a@example.org", 0, NULL);

	enqueue(f->l, "b@example.org", 0, NULL);
	assert_int_equal(px_queue_claim(f->l, "w", 30, t, &j, &err), 1);
	assert_int_equal(px_queue_release(f->l, j, "w", &err), 0);
	px_job_free(j);
	assert_int_equal(px_queue_claim(f->l, "w", 30, t, &j, &err), 1);
	assert_int_equal(j->id, a);
	assert_int_equal(j->attempts, 1); /* the release did not count */
	assert_int_equal(px_queue_fail(f->l, j, "w", PX_EXIT_DATA,
				       "record 3: field taken_at", t, &st,
				       &err),
			 0);
	assert_int_equal(st, PX_JOB_FAILED);
	px_job_free(j);
	assert_int_equal(px_queue_claim(f->l, "w", 30, t, &j, &err), 1);
	assert_int_not_equal(j->id, a);
	px_job_free(j);
}

static void test_finish_marks_the_request_exported(void **state)
{
	struct fixture *f = *state;
	px_error err = PX_ERROR_INIT;
	px_job *j = NULL;
	px_job_outcome out = {.sha256 = "ab12", .size = 10, .records = 3};
	px_audit_result ar;
	json_t *req = NULL;

	enqueue(f->l, "a@example.org", 1, NULL);
	assert_int_equal(
	    px_queue_claim(f->l, "w", 30, px_queue_now(), &j, &err), 1);
	assert_true(j->request_id > 0);
	assert_int_equal(px_ledger_get(f->l, j->request_id, &req, &err), 0);
	assert_string_equal(json_string_value(json_object_get(req, "status")),
			    "ready");
	json_decref(req);
	assert_int_equal(px_queue_finish(f->l, j, "w", &out, &err), 0);
	assert_int_equal(px_ledger_get(f->l, j->request_id, &req, &err), 0);
	assert_string_equal(json_string_value(json_object_get(req, "status")),
			    "exported");
	assert_string_equal(
	    json_string_value(json_object_get(req, "package_sha256")), "ab12");
	json_decref(req);
	assert_int_equal(px_audit_verify(f->l, &ar, &err), 0);
	assert_true(ar.valid);
	assert_int_equal(ar.entries, 3); /* add, identity, exported */
	px_job_free(j);
}

/* serve records its own request (channel "portal") and attaches it: no
 * second request appears, and the job is found from the request. */
static void test_an_existing_request_is_attached_and_found_by_id(void **state)
{
	struct fixture *f = *state;
	px_error err = PX_ERROR_INIT;
	json_t *subject = json_pack("{s:s}", "email", "p@example.org");
	json_t *req =
	    json_pack("{s:s, s:O, s:s, s:s, s:s, s:s, s:s}", "type",
		      "portability", "subject", subject, "requester",
		      "p@example.org", "relation", "self", "channel", "portal",
		      "received", "2026-11-02", "calendar", "FR");
	json_t *stored = NULL, *all = NULL;
	px_job_spec s = {.batch = "portal",
			 .subject = subject,
			 .package = "/out/portal-1.zip",
			 .with_request = 1};
	px_job *j = NULL, *claimed = NULL;
	px_job_state st;
	long rid, jid = 0;

	assert_int_equal(px_ledger_add(f->l, req, "portal", &stored, &err), 0);
	rid = (long)json_integer_value(json_object_get(stored, "id"));
	s.request_id = rid;
	assert_int_equal(px_queue_get_by_request(f->l, rid, &j, &err), 0);
	assert_null(j);
	assert_int_equal(px_queue_enqueue(f->l, &s, &jid, NULL, &err), 0);
	assert_int_equal(px_ledger_list(f->l, &all, &err), 0);
	assert_int_equal(json_array_size(all), 1); /* with_request ignored */
	assert_int_equal(px_queue_get_by_request(f->l, rid, &j, &err), 1);
	assert_int_equal(j->id, jid);
	assert_int_equal(j->request_id, rid);
	assert_int_equal(j->state, PX_JOB_QUEUED);
	px_job_free(j);
	assert_int_equal(px_queue_get_by_request(f->l, rid + 1, &j, &err), 0);
	/* A failure shows with its code. */
	assert_int_equal(
	    px_queue_claim(f->l, "w", 30, px_queue_now(), &claimed, &err), 1);
	assert_int_equal(px_queue_fail(f->l, claimed, "w", PX_EXIT_NOUSER,
				       "found in no source", px_queue_now(),
				       &st, &err),
			 0);
	assert_int_equal(px_queue_get_by_request(f->l, rid, &j, &err), 1);
	assert_int_equal(j->state, PX_JOB_FAILED);
	assert_int_equal(j->last_code, PX_EXIT_NOUSER);
	assert_string_equal(j->last_error, "found in no source");
	px_job_free(j);
	px_job_free(claimed);
	json_decref(all);
	json_decref(stored);
	json_decref(req);
	json_decref(subject);
}

static void test_subject_id_is_stable_opaque_and_salted(void **state)
{
	const unsigned char s1[] = "0123456789abcdef",
			    s2[] = "fedcba9876543210";
	json_t *a =
	    json_pack("{s:s, s:s}", "email", " Alice@Example.org ", "org", "x");
	json_t *b =
	    json_pack("{s:s, s:s}", "org", "x", "email", "alice@example.org");
	json_t *c =
	    json_pack("{s:s, s:s}", "org", "y", "email", "alice@example.org");
	char ia[33], ib[33], ic[33], id[33];
	px_error err = PX_ERROR_INIT;

	(void)state;
	assert_int_equal(px_subject_id(s1, 16, a, ia, &err), 0);
	assert_int_equal(px_subject_id(s1, 16, b, ib, &err), 0);
	assert_int_equal(px_subject_id(s1, 16, c, ic, &err), 0);
	assert_int_equal(px_subject_id(s2, 16, b, id, &err), 0);
	assert_string_equal(ia, ib); /* order, case and blanks do not count */
	assert_string_not_equal(ia, ic);
	assert_string_not_equal(ia, id); /* another deployment, another id */
	assert_int_equal(strlen(ia), PX_SUBJECT_ID_LEN);
	assert_null(strstr(ia, "alice"));
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

static void test_backoff_doubles_and_is_capped(void **state)
{
	(void)state;
	assert_int_equal(px_queue_backoff(0), 1);
	assert_int_equal(px_queue_backoff(1), 2);
	assert_int_equal(px_queue_backoff(3), 8);
	assert_int_equal(px_queue_backoff(40), 300);
	assert_true(px_queue_transient(PX_EXIT_UNAVAILABLE));
	assert_false(px_queue_transient(PX_EXIT_DATA));
	assert_false(px_queue_transient(PX_EXIT_NOUSER));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_enqueue_twice_adds_one_job,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_claim_takes_a_lease_and_expiry_hands_over, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_transient_failures_back_off_then_die, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_bad_data_fails_at_once_and_release_keeps_attempts, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_finish_marks_the_request_exported, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_an_existing_request_is_attached_and_found_by_id, setup,
		teardown),
	    cmocka_unit_test(test_subject_id_is_stable_opaque_and_salted),
	    cmocka_unit_test(test_backoff_doubles_and_is_capped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
