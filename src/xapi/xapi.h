/*
 * xapi.h - xAPI 1.0.3 statements made from a subject's activity records
 * (progress, score, answer, connection), for xapi/statements.json and for
 * `portex transmit`. The mapping is documented in docs/xapi.md.
 *
 * Statements are written one per line into an unlinked temporary file as
 * records arrive, so memory does not grow with the subject's history. A
 * record that cannot be mapped without guessing (no timestamp, an event
 * with no verb, a score above its maximum) is counted per entity and
 * reason, never invented.
 */
#ifndef PX_XAPI_H
#define PX_XAPI_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "portex/config.h"
#include "portex/error.h"

typedef struct px_xapi px_xapi;

/* A writer for one subject. The actor comes from the subject's "email"
 * (mbox) or, with the config's xapi.home_page, an account named by the
 * subject's first key. Returns NULL with err set (PX_EXIT_CONFIG for a bad
 * "xapi" section). */
px_xapi *px_xapi_new(const px_config *cfg, const json_t *subject,
		     px_error *err);

/* 1 for the entities the mapping knows. */
int px_xapi_maps(const char *entity);

/* Maps one normalised record of `entity` from `source` (its config at
 * /sources/N, for xapi.activity_base) and writes its statement. The
 * record is borrowed. */
int px_xapi_add(px_xapi *x, const char *entity, const json_t *source_cfg,
		const json_t *record, px_error *err);

/* The same from a record as JSON text (the members without braces, as a
 * row encoder writes them). */
int px_xapi_add_text(px_xapi *x, const char *entity, const json_t *source_cfg,
		     const char *text, size_t len, px_error *err);

/* Closes the JSON array and hands over the file, rewound (the caller
 * closes it), with the number of statements; *summary gets a new object
 * {"statements": N, "unmapped": {entity: {reason: n}}, "mapping": ...}.
 * *file is NULL when no statement was made. */
int px_xapi_finish(px_xapi *x, FILE **file, uint64_t *statements,
		   json_t **summary, px_error *err);
void px_xapi_free(px_xapi *x);

/* The statement id: a UUID version 5 (RFC 4122, SHA-1) over name in
 * portex's namespace, "xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx" into out (37
 * bytes). */
void px_uuid5(const char *name, size_t len, char out[37]);

#endif
