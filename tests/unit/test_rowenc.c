/* test_rowenc.c - the row encoder writes the bytes of the generic path
 * (cells -> JSON record -> normaliser -> record validator -> text), and
 * only for rows the generic path accepts. */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode/jsoncopy.h"
#include "encode/rowenc.h"
#include "jsonout.h"
#include "normalise.h"
#include "portex/schema.h"
#include "rows.h"

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

/* The generic path, as export.c and package.c take it. Returns 1 and the
 * members' text in out when the record is valid, 0 when not. */
static int generic(const char *entity, px_normaliser *n,
		   const char *const *names, const px_cell *cells, size_t ncol,
		   px_buf *out)
{
	const json_t *props =
	    json_object_get(px_schemas_record(schemas, entity), "properties");
	json_t *rec = json_object(), *v;
	px_error err = PX_ERROR_INIT;
	const char *k;
	int first = 1, ok = 1;

	out->len = 0;
	for (size_t c = 0; c < ncol && ok; c++) {
		if (cells[c].type == PX_CELL_NULL)
			continue;
		v = px_cell_json(&cells[c]);
		ok = v != NULL; /* the driver refuses the row */
		if (v)
			json_object_set_new(rec, names[c], v);
	}
	ok = ok && !px_normaliser_apply(n, rec, &err) &&
	     px_validator_check(px_schemas_record_validator(schemas, entity),
				rec, NULL);
	json_object_foreach ((json_t *)props, k, v) {
		json_t *m = json_object_get(rec, k);
		if (ok && m)
			assert_int_equal(
			    px_json_append_member(out, k, m, &first), 0);
	}
	json_decref(rec);
	return ok;
}

struct tally {
	int fast, handed_back;
};

/* Runs one row both ways and compares. */
static void both(const char *entity, px_normaliser *n, px_rowenc *e,
		 const char *const *names, const px_cell *cells, size_t ncol,
		 struct tally *t)
{
	px_buf fast = {0}, ref = {0};
	int rc = px_rowenc_row(e, cells, ncol, &fast);
	int ok = generic(entity, n, names, cells, ncol, &ref);

	assert_true(rc == 0 || rc == 1);
	if (rc == 0) {
		if (!ok)
			fail_msg("%s: encoder accepted a row the validator "
				 "refuses: %s",
				 entity, fast.data);
		if (fast.len != ref.len || memcmp(fast.data, ref.data, ref.len))
			fail_msg("%s: encoder wrote\n  %.*s\ngeneric path "
				 "wrote\n  %.*s",
				 entity, (int)fast.len, fast.data, (int)ref.len,
				 ref.data);
		t->fast++;
	} else {
		t->handed_back++;
	}
	px_buf_free(&fast);
	px_buf_free(&ref);
}

static px_cell I(long long i)
{
	return (px_cell){.type = PX_CELL_INTEGER, .i = i};
}
static px_cell R(double d)
{
	return (px_cell){.type = PX_CELL_REAL, .d = d};
}
static px_cell T(const char *s)
{
	return (px_cell){.type = PX_CELL_TEXT, .text = s, .len = strlen(s)};
}
static px_cell B(int b)
{
	return (px_cell){.type = PX_CELL_BOOL, .i = b};
}
static px_cell D(const char *s)
{
	return (px_cell){.type = PX_CELL_DECIMAL, .text = s, .len = strlen(s)};
}
static px_cell J(const char *s)
{
	return (px_cell){.type = PX_CELL_JSON, .text = s, .len = strlen(s)};
}
static const px_cell NUL = {.type = PX_CELL_NULL};

/* Awkward values, each tried in every column. */
static px_cell pool(size_t i)
{
	static const char *texts[] = {
	    "",
	    "a",
	    "Quiz n° 3 — révisions",
	    "emoji \xf0\x9f\x98\x80",
	    "quote \" back \\ nl \n tab \t ctl \x01 del \x7f",
	    "\xc3\x28",		/* invalid UTF-8 */
	    "\xed\xa0\x80",	/* a surrogate */
	    "\xe0\x80\xaf",	/* overlong */
	    "\xf4\x90\x80\x80", /* beyond U+10FFFF */
	    "2026-01-05T09:00:00Z",
	    "2026-01-05T09:00:00.123456789Z",
	    "2026-01-05T09:00:00.1234567890Z",
	    "2026-01-05 10:00:00",
	    "2026-03-29 02:30:00", /* not in Paris: the spring gap */
	    "2026-10-25 02:30:00", /* twice in Paris */
	    "2026-01-05 10:00",
	    "2026-01-05 10:00:00.5",
	    "2026-02-30 10:00:00",
	    "2026-01-05 10:00:00+01",
	    "2026-01-05T10:00:00+01:00",
	    "2026-13-45T99:00:00Z",
	    "2026-01-05",
	    "05/01/2026",
	    "19.90",
	    "-0.5",
	    "1e400",
	    "99999999999999999999",
	    "12",
	    "-7",
	    "true",
	    "false",
	    "t",
	    "f",
	    "{\"a\":[1,2.50,\"x\"]}",
	    "[1,2]",
	    "\"s\"",
	    "{bad json",
	    "completed",
	    "in_progress",
	    "not_started",
	    "done",
	    "provided",
	    "observed",
	    "EUR",
	    "eur",
	    "login",
	    "a@example.org",
	    "not an email",
	    "a@b",
	    "10.0.0.1",
	    "256.1.1.1",
	    "2001:db8::1",
	    "2001:db8:::1",
	    "::ffff:10.0.0.1",
	};
	static const long long ints[] = {0,
					 1,
					 2,
					 -1,
					 42,
					 1700000000,
					 9223372036854775807LL,
					 -9223372036854775807LL - 1,
					 100,
					 101};
	static const double reals[] = {0.0,  0.25,  1.0,   0.1,
				       -0.0, 2.5,   1e300, -1e-300,
				       17.5, 100.0, 100.5, 1e16};
	/* what the PostgreSQL driver hands over: bool, numeric, json */
	static const char *digits[] = {
	    "19.90", "-0.5", "1e400", "0",  "99999999999999999999",
	    "NaN",   "20",   "1.0",   "-1", "0.25"};
	static const char *jsons[] = {"[1,2]",
				      "{\"a\":1.50,\"b\":\"é\"}",
				      "bad",
				      "12345678901234567890123",
				      "\"text\"",
				      "null",
				      "3",
				      "{\"t\": \"r\u00e9\", \"x\": [1, -0]}",
				      " [ \"a\" , 7 , {\"k\": true} ] "};
	size_t nt = sizeof(texts) / sizeof(*texts),
	       ni = sizeof(ints) / sizeof(*ints),
	       nr = sizeof(reals) / sizeof(*reals),
	       nd = sizeof(digits) / sizeof(*digits),
	       nj = sizeof(jsons) / sizeof(*jsons);

	i %= nt + ni + nr + nd + nj + 2 + 1;
	if (i < nt)
		return T(texts[i]);
	i -= nt;
	if (i < ni)
		return I(ints[i]);
	i -= ni;
	if (i < nr)
		return R(reals[i]);
	i -= nr;
	if (i < nd)
		return D(digits[i]);
	i -= nd;
	if (i < nj)
		return J(jsons[i]);
	i -= nj;
	if (i < 2)
		return B((int)i);
	return NUL;
}

/* Every value of the pool in every column, the other columns holding a
 * valid row, then random rows; for one collection, its times without an
 * offset read in zone (NULL: UTC). */
static void run_entity_in(const char *zone, const char *entity,
			  const char *const *names, size_t ncol,
			  const px_cell *good, const char *json_cols,
			  int want_fast)
{
	json_t *cols = json_cols ? json_loads(json_cols, 0, NULL) : NULL;
	px_normaliser *n = px_normaliser_new(px_schemas_record(schemas, entity),
					     cols, "lms", "observed");
	px_error err = PX_ERROR_INIT;
	px_rowenc *e;
	struct tally t = {0, 0};
	px_cell row[16];
	unsigned seed = 12345;

	assert_non_null(n);
	if (zone)
		assert_int_equal(px_normaliser_set_zone(n, zone, &err), 0);
	e = px_rowenc_new(px_schemas_entity(schemas, entity),
			  px_schemas_record_validator(schemas, entity), n);
	assert_non_null(e);
	assert_int_equal(px_rowenc_columns(e, names, ncol), 1);
	memcpy(row, good, ncol * sizeof(*row));
	both(entity, n, e, names, row, ncol, &t);
	if (want_fast)
		assert_int_equal(t.fast, 1); /* the good row is written */
	for (size_t c = 0; c < ncol; c++)
		for (size_t i = 0; i < 120; i++) {
			memcpy(row, good, ncol * sizeof(*row));
			row[c] = pool(i);
			both(entity, n, e, names, row, ncol, &t);
		}
	for (int r = 0; r < 3000; r++) {
		for (size_t c = 0; c < ncol; c++) {
			seed = seed * 1103515245u + 12345u;
			row[c] = (seed >> 16) % 3 ? good[c] : pool(seed >> 8);
		}
		both(entity, n, e, names, row, ncol, &t);
	}
	if (want_fast)
		assert_true(t.fast > 100);
	assert_true(t.handed_back > 0);
	px_rowenc_free(e);
	px_normaliser_free(n);
	json_decref(cols);
}

static void run_entity(const char *entity, const char *const *names,
		       size_t ncol, const px_cell *good, const char *json_cols,
		       int want_fast)
{
	run_entity_in(NULL, entity, names, ncol, good, json_cols, want_fast);
}

static void test_answer_rows_match_the_generic_path(void **state)
{
	static const char *const names[] = {
	    "id",      "question", "assessment", "prompt",	"response",
	    "correct", "score",	   "attempt",	 "submitted_at"};
	const px_cell good[] = {
	    I(7), T("Q1"), T("QCM-1"), T("Que vaut f(3) ?"),	T("[\"a\",2]"),
	    I(1), R(0.25), I(3),       T("2024-09-02 09:00:10")};
	(void)state;
	run_entity("answer", names, 9, good, "[\"response\"]", 1);
	run_entity("answer", names, 9, good, NULL, 1);
	/* A platform's zone: its times without offset are its wall clock. */
	run_entity_in("Europe/Paris", "answer", names, 9, good, NULL, 1);
}

/* The bench's answers as PostgreSQL gives them. */
static void test_postgres_cells_match_the_generic_path(void **state)
{
	static const char *const names[] = {
	    "id",      "question", "assessment", "prompt",	"response",
	    "correct", "score",	   "attempt",	 "submitted_at"};
	const px_cell good[] = {I(7),
				T("Q1"),
				T("QCM-1"),
				T("Que vaut ?"),
				J("{\"text\":\"réponse\",\"draft\":false}"),
				B(1),
				D("0.25"),
				I(3),
				T("2024-09-02T07:00:10Z")};
	(void)state;
	run_entity("answer", names, 9, good, NULL, 1);
}

static void test_score_progress_purchase_rows_match(void **state)
{
	static const char *const score[] = {
	    "id",	 "assessment", "assessment_title", "score",
	    "max_score", "passed",     "attempt",	   "taken_at"};
	const px_cell sgood[] = {
	    I(1),  T("QCM-1"), T("Quiz — 1"), R(17.5),
	    I(20), I(0),       I(1),	      T("2026-01-05T09:00:00Z")};
	static const char *const progress[] = {
	    "course",  "course_title",	     "module",	   "status",
	    "percent", "time_spent_seconds", "started_at", "updated_at"};
	const px_cell pgood[] = {
	    T("EN-1"), T("Anglais"), T("Module 1"), T("completed"),
	    R(100.0),  I(3600),	     I(1700000000), T("2026-01-05T09:00:00Z")};
	static const char *const purchase[] = {
	    "order",	"product",	"quantity", "amount",
	    "currency", "purchased_at", "status",   "invoice"};
	const px_cell ugood[] = {T("CMD-1"), T("Livre"),
				 I(1),	     T("49.90"),
				 T("EUR"),   T("2026-01-05 10:00:00"),
				 T("paid"),  NUL};
	static const char *const consent[] = {"purpose", "given", "at", "by",
					      "withdrawn_at"};
	const px_cell cgood[] = {T("newsletter"), I(1),
				 T("2026-01-05T09:00:00Z"), T("self"), NUL};
	(void)state;
	run_entity("score", score, 8, sgood, NULL, 1);
	run_entity("progress", progress, 8, pgood, NULL, 1);
	run_entity("purchase", purchase, 8, ugood, NULL, 1);
	run_entity("consent", consent, 5, cgood, NULL, 1);
}

/* Fields whose format the validator asserts (email; ipv4 or ipv6 through
 * anyOf): the encoder writes what the validator accepts, and only that.
 * Before, it skipped the format and wrote "not an email" into a package
 * that exported with exit 0; and every connection row (ip's anyOf) took
 * the generic path. */
static void test_asserted_formats_match_the_generic_path(void **state)
{
	static const char *const profile[] = {"id", "given_name", "email",
					      "created_at"};
	const px_cell pgood[] = {I(1), T("Ann"), T("ann@example.org"),
				 T("2026-01-05T09:00:00Z")};
	static const char *const account[] = {"username", "email", "status"};
	const px_cell agood[] = {T("ann"), T("ann@example.org"), T("active")};
	static const char *const connection[] = {"at", "ip", "event",
						 "duration_seconds"};
	const px_cell cgood[] = {T("2026-01-05T09:00:00Z"), T("10.0.0.1"),
				 T("login"), I(60)};
	const px_cell cgood6[] = {T("2026-01-05T09:00:00Z"), T("2001:db8::1"),
				  T("login"), I(60)};
	(void)state;
	run_entity("profile", profile, 4, pgood, NULL, 1);
	run_entity("account", account, 3, agood, NULL, 1);
	run_entity("connection", connection, 4, cgood, NULL, 1);
	run_entity("connection", connection, 4, cgood6, NULL, 1);
}

/* A column the schema does not know, or a required field no column
 * gives: every row takes the generic path, which names the problem. */
static void test_unknown_column_or_missing_required_is_generic(void **state)
{
	static const char *const extra[] = {"question", "response",
					    "submitted_at", "colour"};
	static const char *const missing[] = {"question", "response"};
	static const char *const twice[] = {"question", "question"};
	px_normaliser *n = px_normaliser_new(
	    px_schemas_record(schemas, "answer"), NULL, "lms", "observed");
	px_rowenc *e =
	    px_rowenc_new(px_schemas_entity(schemas, "answer"),
			  px_schemas_record_validator(schemas, "answer"), n);
	(void)state;
	assert_non_null(e);
	assert_int_equal(px_rowenc_columns(e, extra, 4), 0);
	assert_int_equal(px_rowenc_columns(e, missing, 2), 0);
	assert_int_equal(px_rowenc_columns(e, twice, 2), 0);
	px_rowenc_free(e);
	px_normaliser_free(n);
}

/* JSON text copied compactly is what reading it exactly and writing it
 * gives, or is left to that path. */
static void test_json_copy_matches_reading_and_writing(void **state)
{
	static const char *const cases[] = {
	    "[1,2]", " { \"a\" : [ 1 , 2.50 , \"x\" ] , \"b\": {} } ",
	    "{\"text\": \"réponse 2\", \"draft\": false}", "\"has lived\"",
	    "12345678901234567890123", "1e400", "-0", "-0.0", "0", "-12",
	    "1E+5", "[true,false,null]", "null", "{\"a\":1,\"a\":2}",
	    "{\"b\":1,\"a\":2,\"c\":{\"z\":[],\"y\":{}}}", "\"esc\\n\"",
	    "\"\\u00e9\"", "[1,]", "{\"a\"}", "01", "1.", ".5", "[", "", "  ",
	    "tru", "[1] x", "\"\xc3\x28\"", "\"tab\there\"",
	    /* one deep array, split only to fit the line */
	    ("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
	     "]"
	     "]]"),
	    "{\"emoji\":\"\xf0\x9f\x98\x80\"}", "[1e5,-1.5E-3,0.0]"};
	int copied = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		px_buf got = {0}, want = {0};
		json_error_t jerr;
		json_t *v = px_json_load_exact(cases[i], strlen(cases[i]),
					       JSON_DECODE_ANY, &jerr, NULL);
		int rc = px_json_copy(cases[i], strlen(cases[i]), &got);

		assert_true(rc == 0 || rc == 1);
		if (rc == 0) {
			if (!v)
				fail_msg("copied what does not parse: %s",
					 cases[i]);
			assert_int_equal(px_json_append(&want, v), 0);
			if (got.len != want.len ||
			    memcmp(got.data, want.data, want.len))
				fail_msg("%s: copied %s, written %s", cases[i],
					 got.data, want.data);
			copied++;
		} else {
			assert_int_equal(got.len, 0);
		}
		json_decref(v);
		px_buf_free(&got);
		px_buf_free(&want);
	}
	assert_true(copied >= 12);
}

/* Doubles as jansson writes them (json_dumps at 17 digits): the encoder
 * writes reals without a jansson value, so it must keep every byte of
 * jansson's form, exponents and ".0" included, for any bit pattern. */
static void test_real_text_is_janssons(void **state)
{
	static const double fixed[] = {
	    0.0,      -0.0,   1.0,     -1.0,  0.1,
	    1e16,     1e17,   1e21,    1e22,  1e-5,
	    1e-7,     5e-324, 1.5e300, 1e308, -2.5e-300,
	    123456.0, 0.3,    17.5,    1e100, 9007199254740993.0};
	uint64_t x = 88172645463325252ULL;
	int tried = 0;

	(void)state;
	for (int i = 0; i < 60000; i++) {
		double d;
		if (i < (int)(sizeof(fixed) / sizeof(*fixed))) {
			d = fixed[i];
		} else {
			x ^= x << 13; /* xorshift: every exponent, every sign */
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(&d, &x, sizeof(d));
			if (!isfinite(d))
				continue;
		}
		json_t *r = json_real(d);
		char *want = json_dumps(r, JSON_ENCODE_ANY | JSON_COMPACT |
					       JSON_REAL_PRECISION(17));
		px_buf got = {0};
		assert_non_null(want);
		assert_int_equal(px_json_append_real(&got, d), 0);
		if (got.len != strlen(want) || memcmp(got.data, want, got.len))
			fail_msg("%a: wrote %.*s, jansson %s", d, (int)got.len,
				 got.data, want);
		free(want);
		json_decref(r);
		px_buf_free(&got);
		tried++;
	}
	assert_true(tried > 55000);
}

static void test_utf8_check_is_janssons(void **state)
{
	static const char *const cases[] = {"",
					    "abc",
					    "é",
					    "\xe2\x82\xac",
					    "\xf0\x9f\x98\x80",
					    "\xc3",
					    "\xc3\x28",
					    "\xc0\xaf",
					    "\xe0\x80\xaf",
					    "\xed\xa0\x80",
					    "\xed\x9f\xbf",
					    "\xee\x80\x80",
					    "\xf4\x8f\xbf\xbf",
					    "\xf4\x90\x80\x80",
					    "\xf8\x88\x80\x80\x80",
					    "\x80",
					    "\xbf",
					    "a\xe2\x82",
					    "\xef\xbf\xbf",
					    "\xf0\x80\x80\x80"};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		json_t *j = json_stringn(cases[i], strlen(cases[i]));
		if (px_utf8_ok(cases[i], strlen(cases[i])) != (j != NULL))
			fail_msg("case %zu: encoder and jansson disagree", i);
		json_decref(j);
	}
	assert_false(px_utf8_ok("a\0b", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_answer_rows_match_the_generic_path),
	    cmocka_unit_test(test_score_progress_purchase_rows_match),
	    cmocka_unit_test(test_asserted_formats_match_the_generic_path),
	    cmocka_unit_test(test_postgres_cells_match_the_generic_path),
	    cmocka_unit_test(
		test_unknown_column_or_missing_required_is_generic),
	    cmocka_unit_test(test_real_text_is_janssons),
	    cmocka_unit_test(test_utf8_check_is_janssons),
	    cmocka_unit_test(test_json_copy_matches_reading_and_writing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
