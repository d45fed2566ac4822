/*
 * test_schema_suite.c - the official JSON-Schema-Test-Suite (draft
 * 2020-12), as Debian ships it in libtest-json-schema-acceptance-perl, run
 * against portex's validator for every keyword it implements.
 *
 * Every case must pass except those in `skips` below, each named with its
 * reason. A skip that no longer matches anything fails the run, so the
 * list cannot rot. Set PX_SCHEMA_SUITE to use another copy of the suite.
 * optional/bignum.json is left out: jansson cannot read integers beyond
 * 64 bits, so those cases never reach the validator.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portex/schema.h"

#define SUITE                                                                  \
	"/usr/share/perl5/auto/share/dist/Test-JSON-Schema-Acceptance/tests/"  \
	"draft2020-12"

struct skip {
	const char *file;
	const char *group; /* a test group's "description" */
	const char *why;
	int used;
};

#define URI    "needs $id base URIs (portex's schemas use local #/ refs only)"
#define UNEVAL "needs unevaluatedProperties (not implemented)"
#define REMOTE "needs a remote $ref to the 2020-12 meta-schema"

static struct skip skips[] = {
    {"defs.json", "validate definition against metaschema", REMOTE, 0},
    {"ref.json", "remote ref, containing refs itself", REMOTE, 0},
    {"ref.json", "Recursive references between schemas", URI, 0},
    {"ref.json", "ref creates new scope when adjacent to keywords", UNEVAL, 0},
    {"ref.json", "refs with relative uris and defs", URI, 0},
    {"ref.json", "relative refs with absolute uris and defs", URI, 0},
    {"ref.json",
     "$id must be resolved against nearest parent, not just immediate "
     "parent",
     URI, 0},
    {"ref.json", "order of evaluation: $id and $ref", URI, 0},
    {"ref.json", "order of evaluation: $id and $anchor and $ref", URI, 0},
    {"ref.json", "simple URN base URI with $ref via the URN", URI, 0},
    {"ref.json", "simple URN base URI with JSON pointer", URI, 0},
    {"ref.json", "URN base URI with NSS", URI, 0},
    {"ref.json", "URN base URI with r-component", URI, 0},
    {"ref.json", "URN base URI with q-component", URI, 0},
    {"ref.json", "URN base URI with f-component", REMOTE, 0},
    {"ref.json", "URN base URI with URN and JSON pointer ref", URI, 0},
    {"ref.json", "URN base URI with URN and anchor ref", URI, 0},
    {"ref.json", "URN ref with nested pointer ref", URI, 0},
    {"ref.json", "ref to if", URI, 0},
    {"ref.json", "ref to then", URI, 0},
    {"ref.json", "ref to else", URI, 0},
    {"ref.json", "ref with absolute-path-reference", URI, 0},
    {"not.json",
     "collect annotations inside a 'not', even if collection is "
     "disabled",
     UNEVAL, 0},
};

static const char *const files[] = {
    "additionalProperties.json",
    "allOf.json",
    "anyOf.json",
    "boolean_schema.json",
    "const.json",
    "contains.json",
    "default.json",
    "defs.json",
    "dependentRequired.json",
    "dependentSchemas.json",
    "enum.json",
    "exclusiveMaximum.json",
    "exclusiveMinimum.json",
    "format.json",
    "if-then-else.json",
    "infinite-loop-detection.json",
    "items.json",
    "maxContains.json",
    "maxItems.json",
    "maxLength.json",
    "maxProperties.json",
    "maximum.json",
    "minContains.json",
    "minItems.json",
    "minLength.json",
    "minProperties.json",
    "minimum.json",
    "multipleOf.json",
    "not.json",
    "oneOf.json",
    "pattern.json",
    "patternProperties.json",
    "prefixItems.json",
    "properties.json",
    "propertyNames.json",
    "ref.json",
    "required.json",
    "type.json",
    "uniqueItems.json",
    "optional/float-overflow.json",
    NULL,
};

static int passed, skipped, failed;

static struct skip *find_skip(const char *file, const char *group)
{
	for (size_t i = 0; i < sizeof(skips) / sizeof(skips[0]); i++)
		if (!strcmp(skips[i].file, file) &&
		    !strcmp(skips[i].group, group))
			return &skips[i];
	return NULL;
}

static void run_group(const char *file, const json_t *group)
{
	const char *desc =
	    json_string_value(json_object_get(group, "description"));
	const json_t *tests = json_object_get(group, "tests"), *t;
	struct skip *skip = find_skip(file, desc);
	px_error err = PX_ERROR_INIT;
	px_validator *v;
	size_t i;

	if (skip) {
		skip->used = 1;
		skipped += (int)json_array_size(tests);
		printf("  skip %s: %s (%zu cases): %s\n", file, desc,
		       json_array_size(tests), skip->why);
		return;
	}
	v = px_validator_new(json_object_get(group, "schema"), &err);
	json_array_foreach (tests, i, t) {
		const char *name =
		    json_string_value(json_object_get(t, "description"));
		int want = json_is_true(json_object_get(t, "valid")), got;
		px_schema_fail fail;

		if (!v) {
			failed++;
			printf("  FAIL %s: %s: schema refused: %s\n", file,
			       desc, err.msg);
			continue;
		}
		got = px_validator_check(v, json_object_get(t, "data"), &fail);
		if (got == want) {
			passed++;
			continue;
		}
		failed++;
		printf("  FAIL %s: %s: %s: expected %s%s%s\n", file, desc, name,
		       want ? "valid" : "invalid", want ? ", got: " : "",
		       want ? fail.msg : "");
	}
	px_validator_free(v);
}

static void test_official_suite_passes(void **state)
{
	const char *dir = getenv("PX_SCHEMA_SUITE");
	char path[1024];

	(void)state;
	if (!dir)
		dir = SUITE;
	for (size_t f = 0; files[f]; f++) {
		json_error_t jerr;
		json_t *groups, *g;
		size_t i;

		snprintf(path, sizeof(path), "%s/%s", dir, files[f]);
		groups = json_load_file(path, JSON_ALLOW_NUL, &jerr);
		if (!groups)
			fail_msg("%s: %s (install libtest-json-schema-"
				 "acceptance-perl)",
				 path, jerr.text);
		json_array_foreach (groups, i, g)
			run_group(files[f], g);
		json_decref(groups);
	}
	for (size_t i = 0; i < sizeof(skips) / sizeof(skips[0]); i++)
		if (!skips[i].used) {
			printf("  stale skip: %s: %s\n", skips[i].file,
			       skips[i].group);
			failed++;
		}
	printf("JSON-Schema-Test-Suite draft2020-12: %d passed, %d skipped, "
	       "%d failed\n",
	       passed, skipped, failed);
	assert_int_equal(failed, 0);
	assert_true(passed > 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_official_suite_passes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
