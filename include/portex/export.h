/*
 * export.h - one subject, all sources, one package. The whole pipeline:
 * config -> identity resolution -> connectors -> normaliser -> packager ->
 * signer. Used by `portex export`, `portex request export` and bulk.
 */
#ifndef PORTEX_EXPORT_H
#define PORTEX_EXPORT_H

#include <jansson.h>
#include <stdint.h>

#include "portex/config.h"
#include "portex/error.h"

typedef enum px_scope {
	PX_SCOPE_PORTABILITY, /* Art. 20: provided + observed */
	PX_SCOPE_ACCESS,      /* Art. 15: provided + observed + derived */
} px_scope;

typedef struct px_export_opts {
	const px_config *config;
	const json_t *subject; /* identity keys given: {"email": "..."} */
	px_scope scope;
	const char *out_path;	/* the .zip to create */
	const char *request_id; /* written into manifest.json, or NULL */
	int force;		/* replace an existing out_path */
	int unsigned_ok;	/* allow a package without signature */
	const char *sign_key;	/* override config "signing.key", or NULL */
	const char *sign_cert;	/* override config "signing.cert", or NULL */
	const char *password;	/* encrypt data entries (AES-256), or NULL */
	int progress;		/* print progress on stderr */
} px_export_opts;

typedef struct px_export_result {
	char sha256[65];  /* of the package file, hex */
	uint64_t size;	  /* bytes */
	uint64_t records; /* records written, all entities */
	unsigned files;	  /* entries in the package */
} px_export_result;

/* Returns 0 with res filled, or -1 with err set (its code is the exit
 * code). On failure nothing is left at out_path or beside it. */
int px_export(const px_export_opts *opts, px_export_result *res, px_error *err);

/* "portability" / "access" -> scope; -1 when neither. */
int px_scope_parse(const char *s, px_scope *out);
const char *px_scope_name(px_scope s);

#endif
