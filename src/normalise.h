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

/* Declared conversions (a source's or collection's "timezone" and
 * "minor_units"). Zone: timestamps written without an offset are read as
 * wall-clock times there (IANA name, DST-correct; a time in the spring gap
 * is an error), instead of UTC. Minor units: field (money) holds a whole
 * count of 10^-scale units, 1990 with scale 2 -> "19.90". Both return 0, or
 * -1 with err (PX_EXIT_CONFIG: unknown zone, a field that is not money or
 * not in the schema, scale not 0..30); the caller adds the config path. */
int px_normaliser_set_zone(px_normaliser *n, const char *zone, px_error *err);
int px_normaliser_set_minor_units(px_normaliser *n, const char *field,
				  int scale, px_error *err);

/* For a row encoder (encode/rowenc.h), which writes most values without
 * a JSON object and hands the rest to the normaliser one by one: what a
 * field of the schema is coerced to. */
typedef enum px_nkind {
	PX_NK_NONE,	 /* not a field of the schema, or set by portex */
	PX_NK_ANY,	 /* kept as it is */
	PX_NK_JSON,	 /* text parsed as JSON ("json" of the collection) */
	PX_NK_TIMESTAMP, /* RFC 3339 UTC text */
	PX_NK_DATE,
	PX_NK_STRING,
	PX_NK_DECIMAL,
	PX_NK_BOOLEAN,
	PX_NK_INTEGER,
	PX_NK_NUMBER,
	PX_NK_CONTAINER, /* array or object */
} px_nkind;

px_nkind px_normaliser_kind(const px_normaliser *n, const char *field);

/* Coerces one value of field `field` as px_normaliser_apply() would (v
 * not null). Returns a new reference (v itself when unchanged), or NULL
 * with err set as px_normaliser_apply() sets it. */
json_t *px_normaliser_coerce(const px_normaliser *n, const char *field,
			     json_t *v, px_error *err);

/* A timestamp field's text value s (NUL-terminated) as RFC 3339 UTC in
 * out, as px_normaliser_coerce() would write it: 0, or 1 when it would
 * refuse s (it then says why). */
int px_normaliser_timestamp(const px_normaliser *n, const char *s, char *out,
			    size_t outsz);

/* The "source" and "category" values every record gets. Borrowed. */
const json_t *px_normaliser_source(const px_normaliser *n);
const json_t *px_normaliser_category(const px_normaliser *n);

#endif
