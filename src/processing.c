/*
 * processing.c - the config's record of processing, checked and cut to a
 * package's scope. See processing.h.
 */
#include "processing.h"

#include <string.h>

/* 1 when the config has a source `name` with a collection of `entity`. */
static int collection_exists(const json_t *root, const char *name,
			     size_t name_len, const char *entity)
{
	const json_t *src, *coll;
	size_t i, j;

	json_array_foreach (json_object_get(root, "sources"), i, src) {
		const char *n = json_string_value(json_object_get(src, "name"));
		if (!n || strlen(n) != name_len || strncmp(n, name, name_len))
			continue;
		json_array_foreach (json_object_get(src, "collections"), j,
				    coll) {
			const char *e =
			    json_string_value(json_object_get(coll, "entity"));
			if (e && !strcmp(e, entity))
				return 1;
		}
	}
	return 0;
}

static int check_covers(const px_config *cfg, const json_t *proc, px_error *err)
{
	const json_t *purpose, *cover;
	size_t i, j;

	json_array_foreach (json_object_get(proc, "purposes"), i, purpose) {
		json_array_foreach (json_object_get(purpose, "covers"), j,
				    cover) {
			const char *c = json_string_value(cover);
			const char *slash = strchr(c, '/');
			if (collection_exists(cfg->root, c, (size_t)(slash - c),
					      slash + 1))
				continue;
			return px_error_set(
			    err, PX_EXIT_CONFIG,
			    "%s: /processing/purposes/%zu/covers/%zu: \"%s\": "
			    "no source of that name has a collection of that "
			    "entity",
			    cfg->path, i, j, c);
		}
	}
	return 0;
}

int px_processing_check(const px_config *cfg, px_schemas *schemas,
			px_error *err)
{
	const json_t *proc = json_object_get(cfg->root, "processing");
	px_validator *v;
	px_schema_fail fail;
	int ok;

	if (!proc)
		return 0;
	v = px_validator_new_at(px_schemas_entity(schemas, "manifest"),
				"/$defs/processing", err);
	if (!v)
		return -1;
	ok = px_validator_check(v, proc, &fail);
	px_validator_free(v);
	if (!ok)
		return px_error_set(err, PX_EXIT_CONFIG,
				    "%s: /processing%s: %s", cfg->path,
				    fail.path, fail.msg);
	return check_covers(cfg, proc, err);
}

json_t *px_processing_manifest(const px_config *cfg, px_scope scope)
{
	static const char *const portability[] = {"rights", "dpo", "minors",
						  "authority"};
	const json_t *proc = json_object_get(cfg->root, "processing");
	json_t *out;

	if (!proc)
		return NULL;
	if (scope == PX_SCOPE_ACCESS)
		return json_deep_copy(proc);
	out = json_object();
	for (size_t i = 0; out && i < 4; i++) {
		json_t *v = json_object_get(proc, portability[i]);
		if (v && json_object_set_new(out, portability[i],
					     json_deep_copy(v))) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}
