/*
 * scalar.h - a record schema's checks run on a value that has no JSON
 * object: the row encoder (encode/rowenc.h) writes most values straight
 * from a database's row and asks here whether they fit.
 *
 * The answers are conservative: 1 means the value is sure to pass the
 * property's schema exactly as px_validator_check() would judge it; 0
 * means it fails, or that this cannot be told without a JSON value (a
 * $ref, anyOf, a numeric enum, multipleOf ...). On 0 the caller takes the
 * generic path, which gives the precise answer and message.
 */
#ifndef PX_SCHEMA_SCALAR_H
#define PX_SCHEMA_SCALAR_H

#include <stddef.h>

#include "portex/schema.h"

/* The compiled schema of one property. Borrowed from its validator. */
typedef struct px_snode px_scalar;

/* 1 when the validator's schema is an object schema whose only keywords
 * are type, properties, required and additionalProperties (absent, true
 * or false): a record is then valid exactly when each member fits its
 * property and the required members are present. */
int px_validator_plain_object(const px_validator *v);

/* The schema of property `name`, or NULL when there is none. */
const px_scalar *px_validator_property(const px_validator *v, const char *name);

/* The required member names of a plain object schema (a JSON array of
 * strings, borrowed), or NULL when there are none. */
const json_t *px_validator_required(const px_validator *v);

/* A validator of property `name` of an entity's record schema (at
 * /properties/records/items of entity_schema, "$ref"s resolved against
 * it), for one value checked on its own. Free with px_validator_free(). */
px_validator *px_validator_new_property(const json_t *entity_schema,
					const char *name, px_error *err);

/* 1 when the property's schema accepts any value (no keyword but
 * annotations), so a nested value needs no check. */
int px_scalar_any(const px_scalar *p);

/* s: len bytes of valid UTF-8 without NUL, NUL-terminated. */
int px_scalar_string_ok(const px_scalar *p, const char *s, size_t len);
int px_scalar_integer_ok(const px_scalar *p, long long v);
int px_scalar_real_ok(const px_scalar *p, double d);
int px_scalar_boolean_ok(const px_scalar *p, int b);
/* digits: a decimal literal (px_decimal_literal()), a number here. */
int px_scalar_decimal_ok(const px_scalar *p, const char *digits);

#endif
