/* test_normalise.c - a source's row becomes a record of its schema. */
#include "unit.h"

#include <string.h>

#include "jsonout.h"
#include "normalise.h"
#include "package/package.h"
#include "portex/connector.h"
#include "portex/schema.h"

static px_schemas *schemas;

static int setup(void **state)
{
	px_error err = PX_ERROR_INIT;
	(void)state;
	schemas = px_schemas_load(&err);
	return schemas ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	px_schemas_free(schemas);
	return 0;
}

/* Normalises fields (JSON text) for entity and returns compact output. */
static char *norm(const char *entity, const char *fields_json,
		  const char *json_cols, px_error *err)
{
	json_t *fields = json_loads(fields_json, 0, NULL);
	json_t *cols = json_cols ? json_loads(json_cols, 0, NULL) : NULL;
	px_normaliser *n;
	char *text = NULL;

	assert_non_null(fields);
	/* As an export does it: compiled once, applied in place. */
	n = px_normaliser_new(px_schemas_record(schemas, entity), cols, "lms",
			      "observed");
	assert_non_null(n);
	if (px_normaliser_apply(n, fields, err) == 0)
		text = json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS);
	px_normaliser_free(n);
	json_decref(fields);
	json_decref(cols);
	return text;
}

static void expect_norm(const char *entity, const char *in, const char *want)
{
	px_error err = PX_ERROR_INIT;
	char *got = norm(entity, in, NULL, &err);
	json_t *g, *w = json_loads(want, 0, NULL);

	if (!got)
		fail_msg("%s: %s", in, err.msg);
	g = json_loads(got, 0, NULL);
	assert_non_null(w);
	if (!json_equal(g, w))
		fail_msg("got %s, want %s", got, want);
	json_decref(g);
	json_decref(w);
	free(got);
}

static void
test_fields_are_coerced_and_marked_with_source_and_category(void **state)
{
	(void)state;
	expect_norm("score",
		    "{\"taken_at\":\"2026-01-05 10:00:00\",\"score\":17,"
		    "\"assessment\":\"Q1\"}",
		    "{\"assessment\":\"Q1\",\"score\":17,"
		    "\"taken_at\":\"2026-01-05T10:00:00Z\",\"source\":\"lms\","
		    "\"category\":\"observed\"}");
}

static void test_ids_become_strings_and_booleans_from_integers(void **state)
{
	(void)state;
	expect_norm("score",
		    "{\"id\":42,\"assessment\":7,\"score\":1,\"passed\":1,"
		    "\"taken_at\":\"2026-01-05T10:00:00+01:00\"}",
		    "{\"id\":\"42\",\"assessment\":\"7\",\"score\":1,"
		    "\"passed\":true,\"taken_at\":\"2026-01-05T09:00:00Z\","
		    "\"source\":\"lms\",\"category\":\"observed\"}");
}

/* Applies the entity's normaliser to fields in place; returns a new
 * reference to them, or NULL with err set. */
static json_t *apply(const char *entity, json_t *fields, const char *category,
		     px_error *err)
{
	px_normaliser *n = px_normaliser_new(px_schemas_record(schemas, entity),
					     NULL, "lms", category);
	int rc;

	assert_non_null(n);
	rc = px_normaliser_apply(n, fields, err);
	px_normaliser_free(n);
	return rc ? NULL : json_incref(fields);
}

static void test_money_keeps_its_exact_digits(void **state)
{
	json_t *fields = json_object(), *out;
	px_error err = PX_ERROR_INIT;
	px_buf b = {0};
	(void)state;

	json_object_set_new(fields, "order", json_string("A1"));
	json_object_set_new(fields, "product", json_string("P"));
	json_object_set_new(fields, "amount", px_decimal_new("19.90"));
	json_object_set_new(fields, "currency", json_string("EUR"));
	json_object_set_new(fields, "purchased_at",
			    json_string("2026-01-05 10:00:00"));
	/* A number field keeps all digits too: no trip through a double. */
	json_object_set_new(fields, "quantity", json_integer(3));
	out = apply("purchase", fields, "provided", &err);
	assert_non_null(out);
	assert_string_equal(json_string_value(json_object_get(out, "amount")),
			    "19.90");
	json_decref(out);
	json_decref(fields);

	fields = json_pack("{s:s, s:o, s:s}", "assessment", "Q", "score",
			   px_decimal_new("12345678901234567.25"), "taken_at",
			   "2026-01-05 10:00:00");
	out = apply("score", fields, "observed", &err);
	assert_non_null(out);
	assert_int_equal(px_json_append(&b, out), 0);
	assert_non_null(strstr(b.data, "\"score\":12345678901234567.25,"));
	px_buf_free(&b);
	json_decref(out);
	json_decref(fields);
}

/* strtoll once clamped these to 9223372036854775807 without a word. */
static void test_integers_past_64_bits_are_never_clamped(void **state)
{
	static const char *const inputs[] = {"99999999999999999999",
					     "-99999999999999999999"};
	px_error err = PX_ERROR_INIT;
	(void)state;

	for (size_t i = 0; i < 2; i++) {
		json_t *fields = json_pack(
		    "{s:s, s:s, s:s, s:s}", "assessment", "Q", "score", "1",
		    "attempt", inputs[i], "taken_at", "2026-01-05 10:00:00");
		json_t *out = apply("score", fields, "observed", &err);
		px_buf b = {0};

		assert_non_null(out);
		assert_int_equal(px_json_append(&b, out), 0);
		char want[64];
		snprintf(want, sizeof(want), "\"attempt\":%s,", inputs[i]);
		assert_non_null(strstr(b.data, want));
		px_buf_free(&b);
		json_decref(out);
		json_decref(fields);
	}
}

static void test_float_money_from_sqlite_reads_as_cents(void **state)
{
	(void)state;
	expect_norm("purchase",
		    "{\"order\":\"A\",\"product\":\"P\",\"amount\":19.9,"
		    "\"currency\":\"EUR\",\"purchased_at\":\"2026-01-05 "
		    "10:00:00\"}",
		    "{\"order\":\"A\",\"product\":\"P\",\"amount\":\"19.90\","
		    "\"currency\":\"EUR\",\"purchased_at\":\"2026-01-05T10:00:"
		    "00Z\",\"source\":\"lms\",\"category\":\"observed\"}");
}

static void test_json_text_is_parsed_for_arrays_and_listed_columns(void **state)
{
	px_error err = PX_ERROR_INIT;
	char *got;
	(void)state;

	got = norm("answer",
		   "{\"question\":\"q\",\"response\":\"[1,2]\","
		   "\"submitted_at\":\"2026-01-05 10:00:00\"}",
		   "[\"response\"]", &err);
	assert_non_null(got);
	assert_non_null(strstr(got, "\"response\":[1,2]"));
	free(got);
	/* Not listed: the text stays text. */
	got = norm("answer",
		   "{\"question\":\"q\",\"response\":\"[1,2]\","
		   "\"submitted_at\":\"2026-01-05 10:00:00\"}",
		   NULL, &err);
	assert_non_null(strstr(got, "\"response\":\"[1,2]\""));
	free(got);
	got = norm("claim",
		   "{\"reference\":\"R\",\"subject\":\"S\",\"opened_at\":"
		   "\"2026-01-05 10:00:00\",\"messages\":\"[{\\\"at\\\":"
		   "\\\"2026-01-05 11:00:00+01\\\",\\\"from\\\":\\\"me\\\","
		   "\\\"text\\\":\\\"hi\\\"}]\"}",
		   NULL, &err);
	assert_non_null(got);
	assert_non_null(strstr(got, "\"at\":\"2026-01-05T10:00:00Z\""));
	free(got);
}

static void test_bad_values_name_the_field(void **state)
{
	px_error err = PX_ERROR_INIT;
	(void)state;

	assert_null(norm("score",
			 "{\"assessment\":\"Q\",\"score\":1,\"taken_at\":"
			 "\"yesterday\"}",
			 NULL, &err));
	assert_non_null(
	    strstr(err.msg, "field taken_at: expected a timestamp"));
	assert_int_equal(err.code, PX_EXIT_DATA);
	assert_null(norm("claim",
			 "{\"reference\":\"R\",\"subject\":\"S\",\"opened_at\":"
			 "\"2026-01-05 10:00:00\",\"messages\":\"[{\\\"at\\\":"
			 "\\\"soon\\\"}]\"}",
			 NULL, &err));
	assert_non_null(strstr(err.msg, "field messages/0/at: expected"));
	assert_null(norm("claim",
			 "{\"reference\":\"R\",\"subject\":\"S\",\"opened_at\":"
			 "\"2026-01-05 10:00:00\",\"messages\":\"[oops\"}",
			 NULL, &err));
	assert_non_null(strstr(err.msg, "field messages: expected JSON text"));
}

static void test_safe_names(void **state)
{
	char out[64];
	(void)state;
	px_safe_name("../../etc/passwd", out, 40);
	assert_string_equal(out, "passwd");
	px_safe_name("/abs/path/rapport final.pdf", out, 40);
	assert_string_equal(out, "rapport_final.pdf");
	px_safe_name("C:\\Users\\x\\relevé.pdf", out, 40);
	assert_string_equal(out, "relevé.pdf");
	px_safe_name("..", out, 40);
	assert_string_equal(out, "document");
	px_safe_name("a\x01\x1b[31mb.txt", out, 40);
	assert_string_equal(out, "a__[31mb.txt");
	px_safe_name("bad\xff\xfeutf8.txt", out, 40);
	assert_string_equal(out, "bad__utf8.txt");
	memset(out, 0, sizeof(out));
	px_safe_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.pdf",
		     out, 20);
	assert_int_equal(strlen(out), 20);
	assert_string_equal(out + 16, ".pdf");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_fields_are_coerced_and_marked_with_source_and_category),
	    cmocka_unit_test(
		test_ids_become_strings_and_booleans_from_integers),
	    cmocka_unit_test(test_money_keeps_its_exact_digits),
	    cmocka_unit_test(test_float_money_from_sqlite_reads_as_cents),
	    cmocka_unit_test(test_integers_past_64_bits_are_never_clamped),
	    cmocka_unit_test(
		test_json_text_is_parsed_for_arrays_and_listed_columns),
	    cmocka_unit_test(test_bad_values_name_the_field),
	    cmocka_unit_test(test_safe_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
