/* manifest_read.h - reading manifest.json back out of a written package. */
#ifndef PX_MANIFEST_READ_H
#define PX_MANIFEST_READ_H

#include <jansson.h>

#include "portex/error.h"

/* The manifest.json of the package at path: a new reference, or NULL with
 * err set (PX_EXIT_DATA naming the file: not a ZIP, no manifest, over
 * 64 MiB, not JSON). It does not verify the package: px_verify() does. */
json_t *px_package_manifest(const char *path, px_error *err);

#endif
