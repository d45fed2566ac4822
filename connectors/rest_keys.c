/*
 * rest_keys.c - every key a profile may hold, in one table, checked at
 * load with the core's strict-keys checker: "pagnation" is exit 78 naming
 * the profile file, the JSON path and "did you mean pagination?". The
 * JSON Schema schemas/rest-profile.schema.json says the same for editors
 * (tests/unit/test_rest.c checks that the two agree).
 */
#include "rest.h"

#define STEP_KEYS                                                              \
	"path", "query", "items", "pagination", "headers", "method", "body"

static const char *const top[] = {
    "$schema",	  "profile", "name",	"description", "auth",
    "pagination", "headers", "lookups", "endpoints",   NULL};
static const char *const auth[] = {"type",  "token_path", "token_url",
				   "scope", "audience",	  "client_auth",
				   "in",    "name",	  NULL};
static const char *const pagination[] = {
    "type",	   "param", "size_param", "size", "start", "max_pages",
    "total_pages", "next",  "has_more",	  "id",	  NULL};
static const char *const lookup[] = {STEP_KEYS, "provides", "value", NULL};
static const char *const endpoint[] = {STEP_KEYS, "entity",   "category",
				       "fields",  "for_each", "unnest",
				       "export",  NULL};
static const char *const for_each[] = {STEP_KEYS, NULL};
static const char *const field[] = {"path",	 "value",  "convert",
				    "values",	 "scale",  "timezone",
				    "max_bytes", "format", NULL};
static const char *const export_[] = {"start",
				      "status_url",
				      "state",
				      "done",
				      "failed",
				      "result",
				      "format",
				      "items",
				      "poll_seconds",
				      "max_wait_seconds",
				      "max_bytes",
				      "member",
				      "member_format",
				      "max_unzipped_bytes",
				      NULL};
static const char *const export_start[] = {STEP_KEYS, NULL};

const px_config_keys rest_profile_keys[] = {
    {"", top},
    {"/auth", auth},
    {"/pagination", pagination},
    {"/lookups/*", lookup},
    {"/lookups/*/pagination", pagination},
    {"/endpoints/*", endpoint},
    {"/endpoints/*/pagination", pagination},
    {"/endpoints/*/fields/*", field},
    {"/endpoints/*/for_each", for_each},
    {"/endpoints/*/for_each/pagination", pagination},
    {"/endpoints/*/export", export_},
    {"/endpoints/*/export/start", export_start},
    {NULL, NULL},
};
