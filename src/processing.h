/*
 * processing.h - the config's "processing" section: the controller's
 * record of processing (GDPR Art. 30) in the form a package carries it, so
 * that an access package says what Art. 15(1) and 15(2) require besides
 * the data (purposes, legal bases, recipients, transfers, retention,
 * automated decisions, rights, supervisory authority). Its shape is
 * manifest.schema.json's $defs/processing.
 */
#ifndef PX_PROCESSING_H
#define PX_PROCESSING_H

#include <jansson.h>

#include "portex/config.h"
#include "portex/error.h"
#include "portex/export.h"
#include "portex/schema.h"

/* Checks cfg's "processing" (absent is fine) against the schema and each
 * "covers" entry against the sources and collections the config has.
 * Errors: PX_EXIT_CONFIG, "FILE: /processing/purposes/0/covers/2: ...". */
int px_processing_check(const px_config *cfg, px_schemas *schemas,
			px_error *err);

/* What a package of that scope carries: all of it for access; for
 * portability only what concerns the person's rights (rights, dpo,
 * minors, authority). NULL when the config has no "processing" (or out
 * of memory). Returns a new reference; json_decref() it. */
json_t *px_processing_manifest(const px_config *cfg, px_scope scope);

#endif
