/*
 * config.h - the deployment config (DESIGN.md "Deployment config").
 *
 * Loading reads the JSON, replaces every ${VAR} in string values from the
 * environment (an unset variable is an error naming it and where it is),
 * and checks the shape. Errors: PX_EXIT_CONFIG, "FILE: /json/path: what
 * was expected"; invalid JSON gives line and column.
 */
#ifndef PORTEX_CONFIG_H
#define PORTEX_CONFIG_H

#include <jansson.h>

#include "portex/error.h"

typedef struct px_config {
	char *path;	/* as given */
	char *base_dir; /* its folder, absolute, no trailing slash */
	json_t *root;	/* substituted tree; owned */
} px_config;

/* Returns a new config (free with px_config_free) or NULL. */
px_config *px_config_load(const char *path, px_error *err);
void px_config_free(px_config *cfg);

/* A malloc'd absolute path for a path found in the config: kept when
 * absolute, else joined to base_dir. NULL on out of memory. */
char *px_config_path(const px_config *cfg, const char *path);

/* The string at a dotted key ("signing.key"), or NULL when absent. Valid
 * until px_config_free(). */
const char *px_config_str(const px_config *cfg, const char *dotted);

/* Strict keys. A row declares the keys some objects may hold: `where` is a
 * JSON pointer relative to the checked object, "" for the object itself,
 * with "*" matching any one segment ("/collections/" "*" is every
 * collection). An object covered by several rows (of any table) may hold
 * the union of their keys; an object no row covers is free-form. A table
 * ends with a row whose `where` is NULL. Adding a config key or section
 * is adding it to a row (config.c for the deployment config, a driver's
 * px_connector.config_keys for a source). */
typedef struct px_config_keys {
	const char *where;
	const char *const *keys; /* NULL-terminated */
} px_config_keys;

/* Checks obj and every object below it against tables (a NULL-terminated
 * array of tables). file and json_path (the pointer of obj, "" for a root)
 * name the place in messages. Returns 0, or -1 with PX_EXIT_CONFIG:
 * "FILE: /sources/0/colections: unknown key "colections"; did you mean
 * "collections"? (expected one of: ...)". */
int px_config_check_keys(const json_t *obj, const px_config_keys *const *tables,
			 const char *file, const char *json_path,
			 px_error *err);

/* The one of the first n candidates (or fewer, up to a NULL) nearest to
 * word by case-insensitive Damerau-Levenshtein distance, or NULL when none
 * is close enough to be a typo of it. Borrowed from candidates. */
const char *px_nearest(const char *word, const char *const *candidates,
		       size_t n);

/* Writes "a, b, c" from the first n items (or up to a NULL) into out,
 * truncated to size. */
void px_list_join(const char *const *items, size_t n, char *out, size_t size);

#endif
