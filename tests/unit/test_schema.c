/*
 * test_schema.c - portex's own schemas, as compiled in, and what the
 * validator says about records that do and do not fit them.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "portex/connector.h"
#include "portex/schema.h"

#define TS_PATTERN                                                             \
	"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9}" \
	")?Z$"

static const char *const entities[] = {
    "profile",	"account", "licence",	 "progress",   "score",	   "answer",
    "purchase", "claim",   "connection", "annotation", "document", "consent",
};
#define N_ENTITIES (sizeof(entities) / sizeof(entities[0]))

/* One complete, valid record per entity (every field filled). */
static const char *const good[] = {
    "{\"given_name\":\"Alice\",\"family_name\":\"Martin\","
    "\"email\":\"alice@example.org\",\"phone\":\"+33 1 23 45 67 89\","
    "\"birth_date\":\"2009-04-30\",\"locale\":\"fr-FR\","
    "\"address\":\"1 rue de la Paix, 75002 Paris\","
    "\"created_at\":\"2023-09-01T08:00:00Z\","
    "\"source\":\"lms\",\"category\":\"provided\"}",

    "{\"id\":\"42\",\"username\":\"amartin\",\"email\":\"a@example.org\","
    "\"role\":\"learner\",\"organisation\":\"Lycee Hugo\",\"status\":"
    "\"active\",\"created_at\":\"2023-09-01T08:00:00Z\","
    "\"last_login_at\":\"2024-05-02T17:45:12.123Z\","
    "\"source\":\"lms\",\"category\":\"provided\"}",

    "{\"product\":\"Maths 2nde\",\"organisation\":\"Lycee Hugo\","
    "\"starts_at\":\"2023-09-01T00:00:00Z\",\"ends_at\":"
    "\"2024-08-31T23:59:59Z\",\"status\":\"expired\","
    "\"source\":\"lms\",\"category\":\"observed\"}",

    "{\"course\":\"m2\",\"course_title\":\"Maths\",\"module\":\"ch1\","
    "\"status\":\"in_progress\",\"percent\":42.5,"
    "\"time_spent_seconds\":3600,\"started_at\":\"2023-09-02T10:00:00Z\","
    "\"updated_at\":\"2023-09-03T10:00:00Z\","
    "\"source\":\"lms\",\"category\":\"observed\"}",

    "{\"assessment\":\"q1\",\"assessment_title\":\"Quiz 1\",\"score\":"
    "12.5,\"max_score\":20,\"passed\":true,\"attempt\":1,"
    "\"taken_at\":\"2024-01-15T09:30:00Z\","
    "\"source\":\"lms\",\"category\":\"observed\"}",

    "{\"question\":\"q1-3\",\"assessment\":\"q1\",\"prompt\":\"2+2?\","
    "\"response\":{\"choices\":[\"a\",\"c\"]},\"correct\":false,"
    "\"score\":0,\"attempt\":2,\"submitted_at\":\"2024-01-15T09:31:00Z\","
    "\"source\":\"lms\",\"category\":\"observed\"}",

    "{\"order\":\"o-17\",\"product\":\"Maths 2nde\",\"quantity\":1,"
    "\"amount\":\"19.90\",\"currency\":\"EUR\",\"purchased_at\":"
    "\"2023-08-20T12:00:00Z\",\"status\":\"paid\",\"invoice\":\"F-1\","
    "\"source\":\"shop\",\"category\":\"observed\"}",

    "{\"reference\":\"C-9\",\"subject\":\"Cannot log in\","
    "\"description\":\"Since Monday\",\"opened_at\":"
    "\"2024-02-01T08:00:00Z\",\"status\":\"closed\",\"closed_at\":"
    "\"2024-02-02T08:00:00Z\",\"messages\":[{\"at\":"
    "\"2024-02-01T08:00:00Z\",\"from\":\"learner\",\"text\":\"Help\"},"
    "{\"at\":\"2024-02-02T08:00:00Z\",\"from\":\"support\",\"text\":"
    "\"Fixed\"}],\"source\":\"crm\",\"category\":\"provided\"}",

    "{\"at\":\"2024-03-01T07:59:00Z\",\"event\":\"login\",\"ip\":"
    "\"203.0.113.7\",\"user_agent\":\"Firefox\",\"duration_seconds\":"
    "600,\"source\":\"lms\",\"category\":\"observed\"}",

    "{\"target\":\"book/p12\",\"text\":\"revoir\",\"created_at\":"
    "\"2024-03-01T08:00:00Z\",\"updated_at\":\"2024-03-02T08:00:00Z\","
    "\"source\":\"reader\",\"category\":\"provided\"}",

    "{\"name\":\"devoir.pdf\",\"media_type\":\"application/pdf\","
    "\"size\":1234,\"sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649"
    "b934ca495991b7852b855\",\"path\":\"files/lms/devoir.pdf\","
    "\"uploaded_at\":\"2024-03-01T08:00:00Z\","
    "\"source\":\"lms\",\"category\":\"provided\"}",

    "{\"purpose\":\"newsletter\",\"given\":true,\"at\":"
    "\"2023-09-01T08:00:00Z\",\"by\":\"parent\",\"withdrawn_at\":"
    "\"2024-01-01T00:00:00Z\",\"source\":\"lms\",\"category\":"
    "\"provided\"}",
};

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	if (!j)
		fail_msg("bad test JSON: %s: %s", jerr.text, text);
	return j;
}

static const char *good_of(const char *entity)
{
	for (size_t i = 0; i < N_ENTITIES; i++)
		if (!strcmp(entities[i], entity))
			return good[i];
	fail_msg("no good record for %s", entity);
	return NULL;
}

/* A good record of `entity`, changed by `patch` (members set; a member
 * set to the string "DELETE" is removed). */
static json_t *record(const char *entity, const char *patch)
{
	json_t *r = parse(good_of(entity)), *p = parse(patch), *v;
	const char *k;

	json_object_foreach (p, k, v) {
		if (json_is_string(v) &&
		    !strcmp(json_string_value(v), "DELETE"))
			json_object_del(r, k);
		else
			json_object_set(r, k, v);
	}
	json_decref(p);
	return r;
}

/* The record does not fit: at `path`, with a message starting `msg`. */
static void expect_misfit(px_schemas *s, const char *entity, json_t *r,
			  const char *path, const char *msg)
{
	px_validator *v = px_schemas_record_validator(s, entity);
	px_schema_fail fail;

	assert_non_null(v);
	assert_int_equal(px_validator_check(v, r, &fail), 0);
	assert_string_equal(fail.path, path);
	if (strncmp(fail.msg, msg, strlen(msg)))
		fail_msg("message \"%s\" does not start with \"%s\"", fail.msg,
			 msg);
	json_decref(r);
}

static void expect_fits(px_schemas *s, const char *entity, json_t *r)
{
	px_validator *v = px_schemas_record_validator(s, entity);
	px_schema_fail fail;

	assert_non_null(v);
	if (!px_validator_check(v, r, &fail))
		fail_msg("%s record rejected at %s: %s", entity, fail.path,
			 fail.msg);
	json_decref(r);
}

static int load(void **state)
{
	px_error err = PX_ERROR_INIT;

	*state = px_schemas_load(&err);
	if (!*state)
		fprintf(stderr, "px_schemas_load: %s\n", err.msg);
	return *state ? 0 : -1;
}

static int unload(void **state)
{
	px_schemas_free(*state);
	return 0;
}

static void test_all_thirteen_schemas_are_compiled_in(void **state)
{
	px_schemas *s = *state;
	size_t n = 0, len;
	char id[64], file[64];

	while (px_schemas_name(s, n))
		n++;
	assert_int_equal(n, N_ENTITIES + 1);
	for (size_t i = 0; i <= N_ENTITIES; i++) {
		const char *e = i < N_ENTITIES ? entities[i] : "manifest";
		const json_t *j = px_schemas_entity(s, e);
		const char *text = px_schemas_text(s, e, &len);
		json_t *reparsed;
		px_error err = PX_ERROR_INIT;
		px_validator *v;

		assert_non_null(j);
		snprintf(id, sizeof(id), "urn:portex:schema:v1:%s", e);
		snprintf(file, sizeof(file), "schemas/%s.schema.json", e);
		assert_string_equal(
		    json_string_value(json_object_get(j, "$schema")),
		    "https://json-schema.org/draft/2020-12/schema");
		assert_string_equal(
		    json_string_value(json_object_get(j, "$id")), id);
		assert_true(json_string_length(json_object_get(j, "title")) >
			    5);
		assert_true(
		    json_string_length(json_object_get(j, "description")) > 20);
		assert_string_equal(px_schemas_file(s, e), file);
		/* the text a package carries is the schema we validate with */
		assert_non_null(text);
		assert_int_equal(strlen(text), len);
		reparsed = json_loadb(text, len, 0, NULL);
		assert_true(json_equal(reparsed, (json_t *)j));
		json_decref(reparsed);
		v = px_validator_new(j, &err);
		if (!v)
			fail_msg("%s: %s", e, err.msg);
		px_validator_free(v);
	}
	assert_null(px_schemas_entity(s, "nosuch"));
	assert_null(px_schemas_record_validator(s, "nosuch"));
	assert_null(px_schemas_record_validator(s, "manifest"));
	assert_null(px_schemas_text(s, "nosuch", &len));
	assert_null(px_schemas_name(s, n));
}

/* A data file: entity and schema are fixed, records inline (no $ref). */
static void test_entity_schema_describes_a_whole_data_file(void **state)
{
	px_schemas *s = *state;

	for (size_t i = 0; i < N_ENTITIES; i++) {
		const json_t *j = px_schemas_entity(s, entities[i]);
		const json_t *p = json_object_get(j, "properties");
		const json_t *rec = px_schemas_record(s, entities[i]);
		char file[64];

		snprintf(file, sizeof(file), "schemas/%s.schema.json",
			 entities[i]);
		assert_string_equal(json_string_value(json_object_get(
					json_object_get(p, "entity"), "const")),
				    entities[i]);
		assert_string_equal(json_string_value(json_object_get(
					json_object_get(p, "schema"), "const")),
				    file);
		assert_true(
		    json_is_false(json_object_get(j, "additionalProperties")));
		assert_int_equal(
		    json_array_size(json_object_get(j, "required")), 3);
		assert_ptr_equal(
		    rec,
		    json_object_get(json_object_get(p, "records"), "items"));
		assert_true(json_is_false(
		    json_object_get(rec, "additionalProperties")));
		assert_null(json_object_get(rec, "$ref"));
	}
}

static const char *const known_keywords[] = {
    "$schema",
    "$id",
    "title",
    "description",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "minLength",
    "minItems",
    "uniqueItems",
    "anyOf",
    "$defs",
    "$ref",
    "minProperties",
    "patternProperties",
    NULL,
};

/* Every keyword is one the validator implements (or an annotation), every
 * property says what it is, and patterns mean the same in POSIX ERE and
 * in ECMA-262 (python's jsonschema). */
static void walk(const json_t *sch, const char *where)
{
	const char *k, *name;
	const json_t *v, *prop;

	json_object_foreach ((json_t *)sch, k, v) {
		size_t i = 0;

		while (known_keywords[i] && strcmp(known_keywords[i], k))
			i++;
		if (!known_keywords[i])
			fail_msg("%s: keyword %s", where, k);
	}
	v = json_object_get(sch, "pattern");
	if (v && (strstr(json_string_value(v), "\\d") ||
		  strstr(json_string_value(v), "\\w") ||
		  strstr(json_string_value(v), "\\s")))
		fail_msg("%s: pattern uses an ECMA-only escape", where);
	json_object_foreach (json_object_get(sch, "properties"), name, prop) {
		char sub[512];

		snprintf(sub, sizeof(sub), "%s/properties/%s", where, name);
		if (json_string_length(json_object_get(prop, "description")) <
		    5)
			fail_msg("%s: no description", sub);
		walk(prop, sub);
	}
	if (json_is_object(json_object_get(sch, "items")))
		walk(json_object_get(sch, "items"), where);
	if (json_is_object(json_object_get(sch, "additionalProperties")))
		walk(json_object_get(sch, "additionalProperties"), where);
}

static void
test_schemas_use_implemented_keywords_and_describe_fields(void **state)
{
	px_schemas *s = *state;
	const char *e;

	for (size_t i = 0; (e = px_schemas_name(s, i)); i++)
		walk(px_schemas_entity(s, e), e);
}

/* The conventions the normaliser relies on, field by field. */
static void test_record_fields_follow_the_common_rules(void **state)
{
	px_schemas *s = *state;
	json_t *ts = json_pack("{s:s,s:s,s:s}", "type", "string", "format",
			       "date-time", "pattern", TS_PATTERN);

	for (size_t i = 0; i < N_ENTITIES; i++) {
		const json_t *rec = px_schemas_record(s, entities[i]);
		const json_t *props = json_object_get(rec, "properties"), *p;
		const json_t *req = json_object_get(rec, "required");
		const char *name;
		json_t *copy;
		int has_source = 0, has_category = 0;
		size_t j;

		json_object_foreach ((json_t *)props, name, p) {
			size_t n = strlen(name);

			if (!strcmp(name, "at") ||
			    (n > 3 && !strcmp(name + n - 3, "_at"))) {
				copy = json_deep_copy(p);
				json_object_del(copy, "description");
				if (!json_equal(copy, ts))
					fail_msg("%s.%s is not a timestamp",
						 entities[i], name);
				json_decref(copy);
			}
		}
		json_array_foreach (req, j, p) {
			has_source |= !strcmp(json_string_value(p), "source");
			has_category |=
			    !strcmp(json_string_value(p), "category");
			assert_non_null(
			    json_object_get(props, json_string_value(p)));
		}
		assert_true(has_source && has_category);
		assert_string_equal(json_string_value(json_object_get(
					json_object_get(props, "id"), "type")),
				    "string");
	}
	json_decref(ts);
}

static void test_good_records_of_every_entity_fit(void **state)
{
	for (size_t i = 0; i < N_ENTITIES; i++)
		expect_fits(*state, entities[i], parse(good[i]));
	/* only required fields */
	expect_fits(*state, "score",
		    parse("{\"assessment\":\"a\",\"score\":3,\"taken_at\":"
			  "\"2024-01-15T09:30:00.123456789Z\",\"source\":"
			  "\"s\",\"category\":\"derived\"}"));
	expect_fits(*state, "profile",
		    parse("{\"source\":\"s\",\"category\":\"provided\"}"));
}

/* A good record of `entity` changed by `patch` (see record()) does not
 * fit: at `path`, with a message starting `msg`. */
struct misfit {
	const char *entity, *patch, *path, *msg;
};

static void expect_misfits(px_schemas *s, const struct misfit *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_misfit(s, m[i].entity, record(m[i].entity, m[i].patch),
			      m[i].path, m[i].msg);
}

#define EXPECT_MISFITS(s, table)                                               \
	expect_misfits(s, table, sizeof(table) / sizeof(table[0]))

static void test_missing_required_field_is_named(void **state)
{
	static const struct misfit m[] = {
	    {"score", "{\"taken_at\":\"DELETE\"}", "/taken_at",
	     "required field missing"},
	    {"purchase", "{\"source\":\"DELETE\"}", "/source",
	     "required field missing"},
	    {"claim",
	     "{\"messages\":[{\"at\":\"2024-02-01T08:00:00Z\",\"text\":\"x\"}]"
	     "}",
	     "/messages/0/from", "required field missing"},
	};
	EXPECT_MISFITS(*state, m);
}

static void test_field_not_in_schema_is_refused(void **state)
{
	static const struct misfit m[] = {
	    {"score", "{\"foo\":1}", "/foo",
	     "not allowed: field \"foo\" is not in the schema"},
	    /* the pointer escapes "/" and "~" in a name */
	    {"consent", "{\"a/b~c\":1}", "/a~1b~0c",
	     "not allowed: field \"a/b~c\" is not in the schema"},
	};
	EXPECT_MISFITS(*state, m);
}

static void test_wrong_type_says_what_was_expected_and_found(void **state)
{
	static const struct misfit m[] = {
	    {"score", "{\"score\":\"ten\"}", "/score",
	     "expected a number, found a string"},
	    /* money is a decimal string, never a float */
	    {"purchase", "{\"amount\":19.9}", "/amount",
	     "expected a string, found a number"},
	    /* absent values are left out, not null */
	    {"profile", "{\"phone\":null}", "/phone",
	     "expected a string, found null"},
	    {"score", "{\"attempt\":1.5}", "/attempt",
	     "expected an integer, found a number"},
	    {"consent", "{\"given\":1}", "/given",
	     "expected a boolean, found an integer"},
	    {"account", "{\"id\":42}", "/id",
	     "expected a string, found an integer"},
	};
	EXPECT_MISFITS(*state, m);
}

static void
test_timestamps_dates_and_codes_must_match_their_pattern(void **state)
{
	static const struct misfit m[] = {
	    {"score", "{\"taken_at\":\"2024-01-15 09:30:00\"}", "/taken_at",
	     "expected a string matching " TS_PATTERN " (date-time)"},
	    /* UTC with Z only: converting an offset is the normaliser's
	     * job */
	    {"score", "{\"taken_at\":\"2024-01-15T09:30:00+02:00\"}",
	     "/taken_at", "expected a string matching"},
	    {"profile", "{\"birth_date\":\"30/04/2009\"}", "/birth_date",
	     "expected a string matching ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ (date)"},
	    {"purchase", "{\"amount\":\"19,90\"}", "/amount",
	     "expected a string matching ^-?[0-9]+(\\.[0-9]+)?$"},
	    {"purchase", "{\"currency\":\"eur\"}", "/currency",
	     "expected a string matching ^[A-Z]{3}$"},
	    {"document", "{\"sha256\":\"ABC\"}", "/sha256",
	     "expected a string matching ^[0-9a-f]{64}$"},
	    {"document", "{\"path\":\"/etc/passwd\"}", "/path",
	     "expected a string matching ^files/"},
	    {"claim",
	     "{\"messages\":[{\"at\":\"yesterday\",\"from\":\"x\",\"text\":"
	     "\"y\"}]}",
	     "/messages/0/at", "expected a string matching"},
	    /* asserted as ajv-formats does, so ajv accepts what portex
	     * writes */
	    {"profile", "{\"email\":\"alice@localhost\"}", "/email",
	     "expected a string of format email"},
	    {"account", "{\"email\":\"alice martin@example.org\"}", "/email",
	     "expected a string of format email"},
	    {"connection", "{\"ip\":\"203.0.113.300\"}", "/ip", "expected"},
	};
	EXPECT_MISFITS(*state, m);
}

static void test_enums_list_the_values_allowed(void **state)
{
	static const struct misfit m[] = {
	    {"progress", "{\"status\":\"done\"}", "/status",
	     "expected one of: not_started, in_progress, completed"},
	    {"consent", "{\"by\":\"friend\"}", "/by",
	     "expected one of: self, parent, guardian, agent, heir"},
	    {"score", "{\"category\":\"other\"}", "/category",
	     "expected one of: provided, observed, derived"},
	};
	EXPECT_MISFITS(*state, m);
}

static void test_numbers_outside_their_range_are_refused(void **state)
{
	static const struct misfit m[] = {
	    {"progress", "{\"percent\":100.5}", "/percent",
	     "expected a number <= 100"},
	    {"progress", "{\"percent\":-1}", "/percent",
	     "expected a number >= 0"},
	    {"document", "{\"size\":-1}", "/size", "expected a number >= 0"},
	    {"score", "{\"attempt\":0}", "/attempt", "expected a number >= 1"},
	};
	EXPECT_MISFITS(*state, m);
}

static void test_any_value_is_a_valid_answer_response(void **state)
{
	static const char *const responses[] = {
	    "{\"response\":\"42\"}",
	    "{\"response\":42}",
	    "{\"response\":[1,\"b\"]}",
	    "{\"response\":true}",
	    "{\"response\":{\"x\":{\"y\":[]}}}",
	};

	for (size_t i = 0; i < sizeof(responses) / sizeof(*responses); i++)
		expect_fits(*state, "answer", record("answer", responses[i]));
	expect_misfit(*state, "answer",
		      record("answer", "{\"response\":\"DELETE\"}"),
		      "/response", "required field missing");
}

/* Drivers hand exact numbers over as px_decimal: they are numbers here. */
static void test_exact_decimals_count_as_numbers(void **state)
{
	json_t *r = record("score", "{}");

	json_object_set_new(r, "score", px_decimal_new("12.50"));
	json_object_set_new(r, "attempt", px_decimal_new("2"));
	expect_fits(*state, "score", r);
	r = record("progress", "{}");
	json_object_set_new(r, "percent", px_decimal_new("100.01"));
	expect_misfit(*state, "progress", r, "/percent",
		      "expected a number <= 100");
	r = record("score", "{}");
	json_object_set_new(r, "attempt", px_decimal_new("2.5"));
	expect_misfit(*state, "score", r, "/attempt",
		      "expected an integer, found a number");
	r = record("purchase", "{}");
	json_object_set_new(r, "amount", px_decimal_new("19.90"));
	expect_misfit(*state, "purchase", r, "/amount",
		      "expected a string, found a number");
}

static void test_integer_fields_accept_whole_reals(void **state)
{
	expect_fits(*state, "score", record("score", "{\"attempt\":2.0}"));
	expect_fits(*state, "document", record("document", "{\"size\":0}"));
}

static void test_a_data_file_reports_the_record_number(void **state)
{
	px_schemas *s = *state;
	px_error err = PX_ERROR_INIT;
	px_validator *v = px_validator_new(px_schemas_entity(s, "score"), &err);
	json_t *file = json_pack("{s:s,s:s,s:[o,o]}", "entity", "score",
				 "schema", "schemas/score.schema.json",
				 "records", record("score", "{}"),
				 record("score", "{\"taken_at\":\"DELETE\"}"));
	px_schema_fail fail;

	assert_non_null(v);
	assert_int_equal(px_validator_check(v, file, &fail), 0);
	assert_string_equal(fail.path, "/records/1/taken_at");
	json_array_remove(json_object_get(file, "records"), 1);
	assert_int_equal(px_validator_check(v, file, &fail), 1);
	json_object_set_new(file, "entity", json_string("scores"));
	assert_int_equal(px_validator_check(v, file, &fail), 0);
	assert_string_equal(fail.path, "/entity");
	assert_string_equal(fail.msg, "expected exactly: score");
	json_decref(file);
	px_validator_free(v);
}

static const char *const good_manifest =
    "{\"format\":\"portex-package/1\",\"generator\":{\"name\":\"portex\","
    "\"version\":\"0.1.0\"},\"created_at\":\"2024-05-02T10:00:00Z\","
    "\"request\":\"R-2024-001\",\"controller\":{\"name\":\"SEJER\","
    "\"contact\":\"dpo@example.org\"},\"subject\":{\"given\":{\"email\":"
    "\"alice@example.org\"},\"resolved\":{\"email\":\"alice@example.org\","
    "\"lms_user_id\":\"17\"}},\"scope\":\"portability\",\"categories\":"
    "[\"provided\",\"observed\"],\"locale\":\"fr\",\"signed\":true,"
    "\"signer\":\"CN=portex\",\"encrypted\":false,\"sources\":[{\"name\":"
    "\"lms\",\"connector\":\"sqlite\",\"status\":\"found\",\"counts\":"
    "{\"score\":2,\"profile\":1}},{\"name\":\"crm\",\"connector\":"
    "\"postgres\",\"status\":\"not_found\",\"counts\":{}}],\"files\":"
    "[{\"path\":\"data/score.json\",\"size\":512,\"sha256\":"
    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
    "\"media_type\":\"application/json\",\"records\":2},{\"path\":"
    "\"index.html\",\"size\":9,\"sha256\":"
    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
    "\"media_type\":\"text/html\"}]}";

static void manifest_case(px_validator *v, const char *patch, int want,
			  const char *path)
{
	json_t *m = parse(good_manifest), *p = parse(patch), *e;
	const char *k;
	px_schema_fail fail;

	json_object_foreach (p, k, e) {
		if (json_is_string(e) &&
		    !strcmp(json_string_value(e), "DELETE"))
			json_object_del(m, k);
		else
			json_object_set(m, k, e);
	}
	if (px_validator_check(v, m, &fail) != want)
		fail_msg("manifest %s: expected %s (%s: %s)", patch,
			 want ? "valid" : "invalid", fail.path, fail.msg);
	if (!want)
		assert_string_equal(fail.path, path);
	json_decref(p);
	json_decref(m);
}

static void test_manifest_schema_is_the_packagers_contract(void **state)
{
	px_error err = PX_ERROR_INIT;
	px_validator *v =
	    px_validator_new(px_schemas_entity(*state, "manifest"), &err);

	assert_non_null(v);
	manifest_case(v, "{}", 1, NULL);
	/* optional members may be left out */
	manifest_case(v,
		      "{\"request\":\"DELETE\",\"signer\":\"DELETE\","
		      "\"encrypted\":\"DELETE\",\"categories\":[\"provided\","
		      "\"observed\",\"derived\"],\"scope\":\"access\"}",
		      1, NULL);
	manifest_case(v, "{\"format\":\"portex-package/2\"}", 0, "/format");
	manifest_case(v, "{\"scope\":\"everything\"}", 0, "/scope");
	manifest_case(v, "{\"locale\":\"de\"}", 0, "/locale");
	manifest_case(v, "{\"signed\":\"DELETE\"}", 0, "/signed");
	manifest_case(v, "{\"categories\":[\"provided\",\"provided\"]}", 0,
		      "/categories");
	manifest_case(v, "{\"categories\":[]}", 0, "/categories");
	manifest_case(v, "{\"created_at\":\"2024-05-02\"}", 0, "/created_at");
	manifest_case(v, "{\"extra\":1}", 0, "/extra");
	manifest_case(v,
		      "{\"subject\":{\"given\":{\"email\":1},\"resolved\":{}}}",
		      0, "/subject/given/email");
	manifest_case(v,
		      "{\"sources\":[{\"name\":\"x\",\"connector\":\"rest\","
		      "\"status\":\"gone\",\"counts\":{}}]}",
		      0, "/sources/0/status");
	manifest_case(v,
		      "{\"sources\":[{\"name\":\"x\",\"connector\":\"rest\","
		      "\"status\":\"found\",\"counts\":{\"scores\":1}}]}",
		      0, "/sources/0/counts/scores");
	manifest_case(
	    v,
	    "{\"files\":[{\"path\":\"a\",\"size\":1,\"sha256\":\"00\","
	    "\"media_type\":\"text/plain\"}]}",
	    0, "/files/0/sha256");
	px_validator_free(v);
}

/* Schemas the validator must refuse rather than half-check. */
static void refused(const char *schema, const char *msg)
{
	json_t *j = parse(schema);
	px_error err = PX_ERROR_INIT;
	px_validator *v = px_validator_new(j, &err);

	json_decref(j);
	assert_null(v);
	assert_int_equal(err.code, PX_EXIT_SOFTWARE);
	if (!strstr(err.msg, msg))
		fail_msg("\"%s\" lacks \"%s\"", err.msg, msg);
}

static void test_unusable_schemas_are_refused_with_their_location(void **state)
{
	(void)state;
	refused("{\"properties\":{\"a\":{\"pattern\":\"(\"}}}",
		"schema #/properties/a/pattern: invalid pattern (");
	refused("{\"items\":{\"$dynamicRef\":\"#x\"}}",
		"schema #/items: keyword $dynamicRef is not supported");
	refused("{\"unevaluatedProperties\":false}",
		"keyword unevaluatedProperties is not supported");
	refused("{\"$ref\":\"https://example.org/s.json\"}",
		"only local references");
	refused("{\"$ref\":\"#/$defs/nothing\"}", "names nothing");
	refused("{\"type\":\"text\"}", "schema #/type: expected a type name");
	refused("{\"minLength\":-1}",
		"schema #/minLength: expected a non-negative");
	refused("{\"$schema\":\"http://json-schema.org/draft-07/schema#\"}",
		"only JSON Schema 2020-12");
	refused("{\"properties\":{\"a\":3}}",
		"schema #/properties/a: expected a schema");
	/* the bad one of the two dependent* keywords is the one named */
	refused("{\"dependentRequired\":{},\"dependentSchemas\":[]}",
		"schema #/dependentSchemas: expected an object");
	refused("{\"dependentRequired\":3,\"dependentSchemas\":{}}",
		"schema #/dependentRequired: expected an object");
	refused("{\"dependentRequired\":{\"a\":[1]}}",
		"schema #/dependentRequired/a: expected an array of names");
}

static void test_reference_loops_end_with_an_error(void **state)
{
	json_t *j = parse("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},"
			  "\"b\":{\"$ref\":\"#/$defs/a\"}},"
			  "\"$ref\":\"#/$defs/a\"}");
	px_error err = PX_ERROR_INIT;
	px_validator *v = px_validator_new(j, &err);
	json_t *one = json_integer(1);
	px_schema_fail fail;

	(void)state;
	assert_non_null(v);
	assert_int_equal(px_validator_check(v, one, &fail), 0);
	assert_string_equal(fail.msg, "schema too deeply nested or recursive");
	json_decref(one);
	json_decref(j);
	px_validator_free(v);
}

/* A recursive schema through $defs validates a tree of any depth. */
static void test_recursive_schema_checks_nested_instances(void **state)
{
	json_t *j =
	    parse("{\"$defs\":{\"node\":{\"type\":\"object\","
		  "\"properties\":{\"kids\":{\"type\":\"array\","
		  "\"items\":{\"$ref\":\"#/$defs/node\"}},\"n\":{"
		  "\"type\":\"integer\"}},\"additionalProperties\":false}},"
		  "\"$ref\":\"#/$defs/node\"}");
	json_t *ok = parse("{\"n\":1,\"kids\":[{\"kids\":[{\"n\":3}]}]}");
	json_t *bad = parse("{\"n\":1,\"kids\":[{\"kids\":[{\"n\":\"3\"}]}]}");
	px_error err = PX_ERROR_INIT;
	px_validator *v = px_validator_new(j, &err);
	px_schema_fail fail;

	(void)state;
	assert_non_null(v);
	assert_int_equal(px_validator_check(v, ok, &fail), 1);
	assert_int_equal(px_validator_check(v, bad, &fail), 0);
	assert_string_equal(fail.path, "/kids/0/kids/0/n");
	assert_string_equal(fail.msg, "expected an integer, found a string");
	json_decref(ok);
	json_decref(bad);
	json_decref(j);
	px_validator_free(v);
}

static void test_lengths_count_characters_not_bytes(void **state)
{
	json_t *j = parse("{\"minLength\":3,\"maxLength\":3}");
	json_t *ete = json_string("\xc3\xa9t\xc3\xa9"); /* "été": 5 bytes */
	json_t *two = json_string("\xc3\xa9t");
	px_error err = PX_ERROR_INIT;
	px_validator *v = px_validator_new(j, &err);
	px_schema_fail fail;

	(void)state;
	assert_int_equal(px_validator_check(v, ete, &fail), 1);
	assert_int_equal(px_validator_check(v, two, &fail), 0);
	assert_string_equal(fail.msg, "expected at least 3 characters");
	json_decref(ete);
	json_decref(two);
	json_decref(j);
	px_validator_free(v);
}

/* The normaliser checks every record: a million must stay cheap. */
static void test_checking_a_record_is_fast(void **state)
{
	px_validator *v = px_schemas_record_validator(*state, "claim");
	json_t *r = parse(good_of("claim"));
	struct timespec t0, t1;
	px_schema_fail fail;
	double secs;
	int n = 100000, ok = 1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++)
		ok &= px_validator_check(v, r, &fail);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("  %d claim records checked in %.3f s (%.2f us each)\n", n, secs,
	       secs * 1e6 / n);
	assert_true(ok);
	/* generous: sanitizers and valgrind run this too */
	assert_true(secs < 60);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all_thirteen_schemas_are_compiled_in),
	    cmocka_unit_test(test_entity_schema_describes_a_whole_data_file),
	    cmocka_unit_test(
		test_schemas_use_implemented_keywords_and_describe_fields),
	    cmocka_unit_test(test_record_fields_follow_the_common_rules),
	    cmocka_unit_test(test_good_records_of_every_entity_fit),
	    cmocka_unit_test(test_missing_required_field_is_named),
	    cmocka_unit_test(test_field_not_in_schema_is_refused),
	    cmocka_unit_test(test_wrong_type_says_what_was_expected_and_found),
	    cmocka_unit_test(
		test_timestamps_dates_and_codes_must_match_their_pattern),
	    cmocka_unit_test(test_enums_list_the_values_allowed),
	    cmocka_unit_test(test_numbers_outside_their_range_are_refused),
	    cmocka_unit_test(test_any_value_is_a_valid_answer_response),
	    cmocka_unit_test(test_exact_decimals_count_as_numbers),
	    cmocka_unit_test(test_integer_fields_accept_whole_reals),
	    cmocka_unit_test(test_a_data_file_reports_the_record_number),
	    cmocka_unit_test(test_manifest_schema_is_the_packagers_contract),
	    cmocka_unit_test(
		test_unusable_schemas_are_refused_with_their_location),
	    cmocka_unit_test(test_reference_loops_end_with_an_error),
	    cmocka_unit_test(test_recursive_schema_checks_nested_instances),
	    cmocka_unit_test(test_lengths_count_characters_not_bytes),
	    cmocka_unit_test(test_checking_a_record_is_fast),
	};
	return cmocka_run_group_tests(tests, load, unload);
}
