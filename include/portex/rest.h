/*
 * rest.h - what the REST driver offers besides its px_connector table.
 */
#ifndef PORTEX_REST_PUBLIC_H
#define PORTEX_REST_PUBLIC_H

#include <jansson.h>

#include "portex/error.h"

/* Checks the partner profile at path offline (no request is sent): JSON,
 * every key (strict), every step, pagination, field map and conversion.
 * Returns 0 with *plan a new reference ({"resolve": [...], "collections":
 * [...]}, what each step provides and needs; the caller json_decref()s),
 * or -1 with err (PX_EXIT_CONFIG naming the file and the JSON path). */
int px_rest_profile_check(const char *path, json_t **plan, px_error *err);

#endif
