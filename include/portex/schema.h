/*
 * schema.h - JSON Schema 2020-12 validation, for the keywords portex's
 * schemas use, and the registry of the schemas compiled into portex.
 *
 * Schema conventions the normaliser relies on (schemas/NAME.schema.json):
 *   - an entity schema describes a whole data file
 *     {"entity": ..., "schema": ..., "records": [...]}; the schema of one
 *     record is at /properties/records/items (px_schemas_record()).
 *   - timestamps: "type": "string", "format": "date-time" (RFC 3339, UTC,
 *     with Z; enforced by "pattern"); dates: "format": "date";
 *     money: "type": "string", "format": "decimal".
 *
 * The validator implements: type, enum, const, properties, required,
 * additionalProperties, patternProperties, propertyNames, min/maxProperties,
 * dependentRequired, dependentSchemas, items, prefixItems, min/maxItems,
 * uniqueItems, contains, min/maxContains, minimum, maximum,
 * exclusiveMinimum, exclusiveMaximum, multipleOf (exact, or within a
 * relative 1e-9 for reals), min/maxLength (in code points),
 * pattern (POSIX ERE, unanchored), allOf, anyOf, oneOf, not,
 * if/then/else, $defs and local "$ref": "#/..." (JSON pointer). "format"
 * is an annotation only, as 2020-12 says by default. A schema that uses a
 * 2020-12 keyword it does not implement ($anchor, $dynamicRef,
 * unevaluated*, a nested $id, a remote $ref) is refused by
 * px_validator_new() rather than half-checked.
 *
 * Numbers: "integer" accepts 1.0; const and enum compare 1 == 1.0; a
 * px_decimal (connector.h) is a number (not a string) for type, bounds,
 * const and enum.
 */
#ifndef PORTEX_SCHEMA_H
#define PORTEX_SCHEMA_H

#include <jansson.h>

#include "portex/error.h"

/* Where and why an instance failed. */
typedef struct px_schema_fail {
	char path[256]; /* JSON pointer into the instance, "" for the root */
	char msg[512];	/* "expected string matching ^...$", "required" ... */
} px_schema_fail;

typedef struct px_validator px_validator;

/* Compiles schema (takes its own reference). Patterns are compiled once
 * here, not per instance. Fails with PX_EXIT_SOFTWARE on an unusable
 * schema. Free with px_validator_free(). */
px_validator *px_validator_new(const json_t *schema, px_error *err);

/* The same for the subschema at JSON pointer `pointer` inside `root`
 * ("/properties/records/items"); "$ref"s resolve against root. */
px_validator *px_validator_new_at(const json_t *root, const char *pointer,
				  px_error *err);
void px_validator_free(px_validator *v);

/* 1 when valid, 0 when not (fail, if not NULL, filled with the first
 * problem). Allocates nothing except for "propertyNames". Safe to call
 * from several threads at once on the same validator. */
int px_validator_check(px_validator *v, const json_t *instance,
		       px_schema_fail *fail);

/* The schemas compiled into portex (schemas/), by entity: the name of
 * the file less ".schema.json" ("score", ..., and "manifest"). Not safe
 * to share between threads (record validators are built on first use). */
typedef struct px_schemas px_schemas;

/* Fails with PX_EXIT_SOFTWARE when an embedded schema is not valid JSON.
 * Free with px_schemas_free(). */
px_schemas *px_schemas_load(px_error *err);
void px_schemas_free(px_schemas *s);

/* The i-th entity name (sorted by file name), or NULL when i is past the
 * end. Borrowed; valid until px_schemas_free(). */
const char *px_schemas_name(const px_schemas *s, size_t i);

/* The whole schema of an entity ("score"), or NULL if no such entity.
 * Borrowed; valid until px_schemas_free(). */
const json_t *px_schemas_entity(const px_schemas *s, const char *entity);

/* The schema of one record of that entity, or NULL. Borrowed. */
const json_t *px_schemas_record(const px_schemas *s, const char *entity);

/* A validator for one record of that entity, or NULL (no such entity, or
 * no records in it: "manifest"). Borrowed; valid until px_schemas_free(). */
px_validator *px_schemas_record_validator(px_schemas *s, const char *entity);

/* The schema file's text as compiled in (*len bytes, NUL-terminated).
 * NULL when unknown. Static storage. */
const char *px_schemas_text(const px_schemas *s, const char *entity,
			    size_t *len);

/* The schema file's name inside a package and in the source tree
 * ("schemas/score.schema.json"). NULL when unknown. Static storage. */
const char *px_schemas_file(const px_schemas *s, const char *entity);

#endif
