/* normalise.h - a source's row -> a record that follows its schema. */
#ifndef PX_NORMALISE_H
#define PX_NORMALISE_H

#include <jansson.h>

#include "portex/error.h"

/* Builds a new record for `fields` (column alias -> value) against the
 * record schema: fields in the schema's order, values coerced to the common
 * rules (RFC 3339 UTC timestamps, YYYY-MM-DD dates, decimal strings for
 * money, string ids, 0/1 booleans, JSON text parsed for array and object
 * fields and for the columns named in json_cols), then "source" and
 * "category". Fields the schema does not know are kept, at the end, for
 * the validator to name. Returns a new object or NULL with err set to
 * "field F: what was expected" (code PX_EXIT_DATA). */
json_t *px_normalise(const json_t *record_schema, const json_t *fields,
		     const json_t *json_cols, const char *source,
		     const char *category, px_error *err);

/* The same, compiled once for a collection: field kinds are worked out
 * from the schema here, not per record. Borrows record_schema (it must
 * outlive the normaliser). NULL on out of memory. */
typedef struct px_normaliser px_normaliser;

px_normaliser *px_normaliser_new(const json_t *record_schema,
				 const json_t *json_cols, const char *source,
				 const char *category);
/* Coerces fields in place (values replaced, nulls removed) and sets
 * "source" and "category". Returns 0, or -1 with err "field F: ...". */
int px_normaliser_apply(px_normaliser *n, json_t *fields, px_error *err);

void px_normaliser_free(px_normaliser *n);

#endif
