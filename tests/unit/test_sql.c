/* test_sql.c - finding :name placeholders without touching SQL text. */
#include "unit.h"

#include <string.h>

#include "portex/connector.h"

static void expect_needs(const char *sql, const char *want_json)
{
	json_t *needs = px_sql_needs(sql);
	json_t *want = json_loads(want_json, 0, NULL);
	char *got = json_dumps(needs, JSON_COMPACT);

	if (!json_equal(needs, want))
		fail_msg("%s: got %s, want %s", sql, got, want_json);
	free(got);
	json_decref(needs);
	json_decref(want);
}

static void test_placeholders_are_found_once_each(void **state)
{
	(void)state;
	expect_needs("SELECT * FROM u WHERE id = :uid OR parent = :uid",
		     "[\"uid\"]");
	expect_needs("SELECT * FROM u WHERE a=:a AND b=(:b)", "[\"a\",\"b\"]");
	expect_needs(":first", "[\"first\"]");
}

static void test_casts_strings_and_comments_are_not_placeholders(void **state)
{
	(void)state;
	expect_needs(
	    "SELECT x::text, ':nope', \":nope2\" FROM t WHERE y = :yes",
	    "[\"yes\"]");
	expect_needs("SELECT 1 -- :nope\n, 2 /* :nope */ WHERE a = :a",
		     "[\"a\"]");
	expect_needs("SELECT 'it''s :nope' WHERE a = :a", "[\"a\"]");
	expect_needs("SELECT E'\\' :nope' WHERE a = :a", "[\"a\"]");
	expect_needs("SELECT $$ :nope $$, $t$ :nope $t$ WHERE a = :a",
		     "[\"a\"]");
	expect_needs("SELECT ts::timestamptz AT TIME ZONE 'UTC' FROM t", "[]");
	expect_needs("SELECT a[1:2] FROM t", "[]");
}

static int record_offsets(void *ctx, size_t off, size_t len, const char *name,
			  size_t name_len)
{
	char *buf = ctx;
	size_t n = strlen(buf);
	(void)name;
	snprintf(buf + n, 64 - n, "%zu+%zu/%zu;", off, len, name_len);
	return 0;
}

static void test_offsets_cover_the_whole_token(void **state)
{
	char got[64] = "";
	(void)state;
	px_sql_placeholders("id = :uid", record_offsets, got);
	assert_string_equal(got, "5+4/3;");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_placeholders_are_found_once_each),
	    cmocka_unit_test(
		test_casts_strings_and_comments_are_not_placeholders),
	    cmocka_unit_test(test_offsets_cover_the_whole_token),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
