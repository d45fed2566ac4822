/* test_xapi.c - xAPI statements come from the record's text in one pass:
 * the same statement whether the record arrives as a jansson object (the
 * generic path) or as the row encoder's text, and the values a user
 * checks (score max/scaled, response, activity ids, titles) are right. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"
#include "jsonscan.h"
#include "xapi/xapi.h"

static const char *cfg_json = "{\"name\": \"lms\", \"xapi\": "
			      "{\"activity_base\": \"https://x.example/\"}}";

/* The statements file of the records (entity, JSON text each), written
 * through the text path (text = 1) or the object path; malloc'd. */
static char *statements(const char *entity, const char *const *recs, size_t n,
			int text)
{
	px_config cfg = {"t.json", "/", json_object()};
	json_t *subject = json_pack("{s:s}", "email", "a@example.org");
	json_t *src = json_loads(cfg_json, 0, NULL);
	px_error err = PX_ERROR_INIT;
	px_xapi *x = px_xapi_new(&cfg, subject, &err);
	json_t *summary = NULL;
	uint64_t count;
	FILE *f;
	char *out = calloc(1, 1 << 20);
	size_t got = 0;

	assert_non_null(x);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(recs[i]);
		if (text) {
			/* the encoder hands the members without braces */
			assert_int_equal(px_xapi_add_text(x, entity, src,
							  recs[i] + 1, len - 2,
							  &err),
					 0);
		} else {
			json_t *r = px_json_load_exact(
			    recs[i], len, 0, &(json_error_t){0}, NULL);
			assert_non_null(r);
			assert_int_equal(px_xapi_add(x, entity, src, r, &err),
					 0);
			json_decref(r);
		}
	}
	assert_int_equal(px_xapi_finish(x, &f, &count, &summary, &err), 0);
	if (f) {
		got = fread(out, 1, (1 << 20) - 1, f);
		fclose(f);
	}
	out[got] = 0;
	px_xapi_free(x);
	json_decref(summary);
	json_decref(src);
	json_decref(subject);
	json_decref(cfg.root);
	return out;
}

static const char *scores[] = {
    "{\"id\":\"s1\",\"assessment\":\"Q 1/é\",\"assessment_title\":"
    "\"Quiz \\\"1\\\" \\u00e9\\n\",\"score\":17.5,\"max_score\":20.0,"
    "\"passed\":true,\"taken_at\":\"2025-10-01T09:00:00Z\"}",
    "{\"id\":\"s2\",\"assessment\":\"Q2\",\"score\":-2,\"max_score\":10,"
    "\"passed\":false,\"taken_at\":\"2025-10-01T09:00:00Z\"}",
    "{\"assessment\":\"Q3\",\"score\":12345678901234567890.5,"
    "\"taken_at\":\"2025-10-01T09:00:00Z\"}",
    "{\"id\":\"s4\",\"assessment\":\"Q4\",\"score\":30,\"max_score\":20.0,"
    "\"taken_at\":\"2025-10-01T09:00:00Z\"}",
};

/* Regression: a REAL max_score from SQLite reached the text path as an
 * exact decimal and lost result.score.max and .scaled. */
static void test_decimal_max_score_gives_max_and_scaled(void **state)
{
	char *s = statements("score", scores, 4, 1);
	(void)state;
	assert_non_null(strstr(
	    s, "\"result\":{\"score\":{\"raw\":17.5,\"max\":20.0,\"scaled\":"
	       "0.875},\"success\":true,\"completion\":true}"));
	assert_non_null(strstr(s, "{\"raw\":-2,\"max\":10,\"min\":-10.0,"
				  "\"scaled\":-0.20000000000000001}"));
	assert_non_null(strstr(s, "{\"raw\":12345678901234567890.5}"));
	/* the score above its maximum is not stated */
	assert_null(strstr(s, "Q4"));
	assert_non_null(strstr(s, "/assessment/Q%201%2F%C3%A9\""));
	assert_non_null(
	    strstr(s, "\"name\":{\"und\":\"Quiz \\\"1\\\" \xc3\xa9\\n\"}"));
	free(s);
}

static void test_text_and_object_paths_agree(void **state)
{
	static const char *answers[] = {
	    "{\"id\":\"a1\",\"question\":\"q1\",\"assessment\":\"A\","
	    "\"prompt\":\"P\",\"response\":\"b\",\"correct\":true,"
	    "\"score\":1,\"submitted_at\":\"2025-10-01T09:00:00Z\"}",
	    "{\"question\":\"q2\",\"response\":{\"c\":[1,2.5,\"\\u2028\"]},"
	    "\"score\":0.5,\"submitted_at\":\"2025-10-01T09:00:00Z\"}",
	    "{\"question\":\"q3\",\"response\":42.5,"
	    "\"submitted_at\":\"2025-10-01T09:00:00Z\"}",
	    "{\"question\":\"q4\",\"response\":null}"};
	static const char *progress[] = {
	    "{\"course\":\"c\",\"module\":\"m 1\",\"status\":\"completed\","
	    "\"percent\":99.9,\"time_spent_seconds\":61,"
	    "\"completed_at\":\"2025-10-02T00:00:00Z\"}",
	    "{\"course\":\"c\",\"status\":\"in_progress\",\"percent\":5,"
	    "\"time_spent_seconds\":-1,\"started_at\":\"2025-10-02T00:00:"
	    "00Z\"}",
	    "{\"course\":\"c\",\"status\":\"not_started\"}"};
	static const char *conns[] = {
	    "{\"id\":\"c1\",\"event\":\"login\",\"at\":\"2025-10-02T00:00:"
	    "00Z\"}",
	    "{\"id\":\"c2\",\"event\":\"logout\",\"duration_seconds\":30,"
	    "\"at\":\"2025-10-02T00:00:00Z\"}",
	    "{\"id\":\"c3\",\"event\":\"password\",\"at\":\"2025-10-02\"}"};
	struct {
		const char *entity;
		const char *const *recs;
		size_t n;
	} sets[] = {{"score", scores, 4},
		    {"answer", answers, 4},
		    {"progress", progress, 3},
		    {"connection", conns, 3}};
	(void)state;
	for (size_t i = 0; i < sizeof(sets) / sizeof(*sets); i++) {
		char *t =
		    statements(sets[i].entity, sets[i].recs, sets[i].n, 1);
		char *o =
		    statements(sets[i].entity, sets[i].recs, sets[i].n, 0);
		assert_string_equal(t, o);
		assert_true(strlen(t) > 10);
		/* the file is one JSON array jansson reads */
		json_t *j = json_loads(t, 0, NULL);
		assert_non_null(j);
		assert_int_equal(json_array_size(j), sets[i].n - 1);
		json_decref(j);
		free(t);
		free(o);
	}
	char *a = statements("answer", answers, 4, 1);
	/* xAPI's response is a string: other values as their JSON text */
	assert_non_null(strstr(a, "\"response\":\"42.5\""));
	assert_non_null(strstr(a, "\"response\":\"{\\\"c\\\":[1,2.5,"));
	assert_non_null(strstr(a, "\"context\":{\"contextActivities\":"
				  "{\"parent\":[{\"objectType\":\"Activity\","
				  "\"id\":\"https://x.example/assessment/A\""));
	free(a);
	char *p = statements("progress", progress, 3, 1);
	assert_non_null(strstr(
	    p, "\"result\":{\"completion\":true,\"extensions\":"
	       "{\"https://w3id.org/xapi/cmi5/result/extensions/progress\":"
	       "99},\"duration\":\"PT61S\"}"));
	assert_non_null(strstr(p, "/course/c/module/m%201\""));
	free(p);
}

static void test_scan_refuses_what_is_not_members(void **state)
{
	static const char *bad[] = {"\"a\"",	 "\"a\":",   "\"a\":1,",
				    "\"a\":\"x", "\"a\" :1", "\"a\":{\"b\":1"};
	px_jfields f = {0};
	px_buf b = {0};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (px_jfields_scan(&f, bad[i], strlen(bad[i])) != 1)
			fail_msg("accepted: %s", bad[i]);
	assert_int_equal(px_jfields_scan(&f,
					 "\"a\":1,\"a\":[\"]\"],\"b\":"
					 "\"\\ud83d\\ude00\"",
					 34),
			 0);
	assert_int_equal(f.n, 3);
	assert_int_equal(px_jfields_get(&f, "a")->kind, PX_JK_CONTAINER);
	assert_int_equal(px_jstring_decode(px_jfields_get(&f, "b")->val,
					   px_jfields_get(&f, "b")->vlen, &b),
			 0);
	assert_string_equal(b.data, "\xf0\x9f\x98\x80");
	px_buf_free(&b);
	px_jfields_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decimal_max_score_gives_max_and_scaled),
	    cmocka_unit_test(test_text_and_object_paths_agree),
	    cmocka_unit_test(test_scan_refuses_what_is_not_members),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
