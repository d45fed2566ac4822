/*
 * schema.h - JSON Schema 2020-12 validation, for the keywords portex's
 * schemas use, and the registry of the schemas compiled into portex.
 *
 * Schema conventions the normaliser relies on (schemas/*.schema.json):
 *   - an entity schema describes a whole data file
 *     {"entity": ..., "schema": ..., "records": [...]}; the schema of one
 *     record is at /properties/records/items (px_schemas_record()).
 *   - timestamps: "type": "string", "format": "date-time" (RFC 3339, UTC,
 *     with Z; enforced by "pattern"); dates: "format": "date";
 *     money: "type": "string", "format": "decimal".
 */
#ifndef PORTEX_SCHEMA_H
#define PORTEX_SCHEMA_H

#include <jansson.h>

#include "portex/error.h"

/* Where and why an instance failed. */
typedef struct px_schema_fail {
	char path[256]; /* JSON pointer into the instance, "" for the root */
	char msg[512];  /* "expected string matching ^...$", "required" ... */
} px_schema_fail;

typedef struct px_validator px_validator;

/* Compiles schema (takes its own reference). Patterns are compiled once
 * here, not per instance. Fails with PX_EXIT_SOFTWARE on an unusable
 * schema. Free with px_validator_free(). */
px_validator *px_validator_new(const json_t *schema, px_error *err);
void px_validator_free(px_validator *v);

/* 1 when valid, 0 when not (fail filled with the first problem). */
int px_validator_check(px_validator *v, const json_t *instance,
		       px_schema_fail *fail);

/* The schemas compiled into portex (schemas/). */
typedef struct px_schemas px_schemas;

px_schemas *px_schemas_load(px_error *err);
void px_schemas_free(px_schemas *s);

/* The whole schema of an entity ("score"), or NULL if no such entity.
 * Borrowed; valid until px_schemas_free(). */
const json_t *px_schemas_entity(const px_schemas *s, const char *entity);

/* The schema of one record of that entity, or NULL. Borrowed. */
const json_t *px_schemas_record(const px_schemas *s, const char *entity);

/* A validator for one record of that entity, or NULL. Borrowed. */
px_validator *px_schemas_record_validator(px_schemas *s, const char *entity);

/* The schema file's text as compiled in, and its name inside a package
 * ("schemas/score.schema.json"). NULL when unknown. */
const char *px_schemas_text(const px_schemas *s, const char *entity,
			    size_t *len);

#endif
