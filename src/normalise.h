/* normalise.h - a source's row -> a record that follows its schema. */
#ifndef PX_NORMALISE_H
#define PX_NORMALISE_H

#include <jansson.h>

#include "portex/error.h"

/* A normaliser for one collection: field kinds are worked out from the
 * record schema once, here, not per record. It coerces a driver's row to
 * the common rules: RFC 3339 UTC timestamps, YYYY-MM-DD dates, decimal
 * strings for money, string ids, 0/1 booleans, JSON text parsed for array
 * and object fields and for the columns named in json_cols. Fields the
 * schema does not know are kept for the validator to name. Borrows
 * record_schema (it must outlive the normaliser). NULL on out of memory. */
typedef struct px_normaliser px_normaliser;

px_normaliser *px_normaliser_new(const json_t *record_schema,
				 const json_t *json_cols, const char *source,
				 const char *category);

/* Coerces fields in place (values replaced, nulls removed) and sets
 * "source" and "category". Returns 0, or -1 with err set to "field F:
 * what was expected" (code PX_EXIT_DATA). */
int px_normaliser_apply(px_normaliser *n, json_t *fields, px_error *err);

void px_normaliser_free(px_normaliser *n);

#endif
