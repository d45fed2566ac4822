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

#endif
