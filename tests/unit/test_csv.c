/*
 * test_csv.c - csv/<entity>.csv as a spreadsheet reads it: BOM, header in
 * the schema's order, RFC 4180 quoting, nested values as JSON text, and no
 * value ever dropped silently.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package/csv.h"
#include "portex/connector.h"

static json_t *props(void)
{
	return json_pack("{s:{}, s:{}, s:{}, s:{}}", "question", "prompt",
			 "response", "correct");
}

/* rec as one CSV line (header skipped), from its text as the data file
 * holds it (jsonout, split by jsonscan); the caller frees it. */
static char *row(const json_t *p, const json_t *rec, int *rc, px_error *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&text, &len);
	px_buf b = {0}, s = {0};
	px_jfields f = {0};

	assert_int_equal(px_json_append(&b, rec), 0);
	assert_int_equal(px_jfields_scan(&f, b.data + 1, b.len - 2), 0);
	*rc = px_csv_row(o, p, &f, "answer", 7, &s, err);
	fclose(o);
	px_buf_free(&b);
	px_buf_free(&s);
	px_jfields_free(&f);
	return text;
}

static void test_header_has_bom_and_schema_order(void **state)
{
	json_t *p = props();
	char *text = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&text, &len);
	px_error err = PX_ERROR_INIT;

	(void)state;
	assert_int_equal(px_csv_header(o, p, &err), 0);
	fclose(o);
	assert_string_equal(text,
			    "\xEF\xBB\xBFquestion,prompt,response,correct\r\n");
	free(text);
	json_decref(p);
}

static void test_fields_are_quoted_only_when_needed(void **state)
{
	json_t *p = props();
	json_t *rec = json_pack("{s:s, s:s, s:s, s:b}", "question", "q1",
				"prompt", "Say \"yes\", twice\r\nor not",
				"response", "été", "correct", 1);
	px_error err = PX_ERROR_INIT;
	int rc;
	char *text = row(p, rec, &rc, &err);

	(void)state;
	assert_int_equal(rc, 0);
	assert_string_equal(
	    text, "q1,\"Say \"\"yes\"\", twice\r\nor not\",été,true\r\n");
	free(text);
	json_decref(rec);
	json_decref(p);
}

static void test_nested_values_are_json_and_absent_ones_empty(void **state)
{
	json_t *p = props();
	json_t *rec = json_pack("{s:s, s:[i,s], s:b}", "question", "q2",
				"response", 10, "b", "correct", 0);
	px_error err = PX_ERROR_INIT;
	int rc;
	char *text = row(p, rec, &rc, &err);

	(void)state;
	assert_int_equal(rc, 0);
	assert_string_equal(text, "q2,,\"[10,\"\"b\"\"]\",false\r\n");
	free(text);
	json_decref(rec);
	/* a double: the digits the data file holds, so both agree */
	json_object_set_new(rec = json_object(), "response", json_real(0.1));
	text = row(p, rec, &rc, &err);
	assert_string_equal(text, ",,0.10000000000000001,\r\n");
	free(text);
	json_decref(rec);
	/* an exact decimal keeps its digits, trailing zero included */
	json_object_set_new(rec = json_object(), "response",
			    px_decimal_new("19.90"));
	text = row(p, rec, &rc, &err);
	assert_string_equal(text, ",,19.90,\r\n");
	free(text);
	json_decref(rec);
	json_decref(p);
}

static void test_a_field_without_column_fails(void **state)
{
	json_t *p = props();
	json_t *rec =
	    json_pack("{s:s, s:s}", "question", "q3", "secret", "kept");
	px_error err = PX_ERROR_INIT;
	int rc;
	char *text = row(p, rec, &rc, &err);

	(void)state;
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, PX_EXIT_SOFTWARE);
	assert_string_equal(err.msg, "csv/answer.csv: record 7: field secret "
				     "has no column in the schema");
	free(text);
	json_decref(rec);
	json_decref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_header_has_bom_and_schema_order),
	    cmocka_unit_test(test_fields_are_quoted_only_when_needed),
	    cmocka_unit_test(test_nested_values_are_json_and_absent_ones_empty),
	    cmocka_unit_test(test_a_field_without_column_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
