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

/* What an export is doing, told to px_export_opts.on_step as it happens:
 * for a progress display (progress.h) and `portex sources check`. */
typedef enum px_step_kind {
	PX_STEP_RESOLVE, /* a resolve step ran: key (provided), found */
	PX_STEP_RECORDS, /* a collection is being read: records so far
			  * (0 when it starts, then every 256th) */
	PX_STEP_FETCHED, /* a collection is read: records, all of them */
} px_step_kind;

typedef struct px_export_step {
	px_step_kind kind;
	const char *source;   /* the source's name */
	const char *entity;   /* RECORDS, FETCHED: the collection's entity */
	const char *key;      /* RESOLVE: the identity key the step provides */
	const char *category; /* RECORDS, FETCHED: the collection's */
	uint64_t records;     /* RECORDS, FETCHED */
	int found;	      /* RESOLVE: the step found the subject */
	const json_t *needs;  /* RESOLVE: the keys it needs (array of
			       * strings); borrowed */
} px_export_step;

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
	int progress; /* on_step NULL: progress.h's display on stderr when
		       * stderr is a terminal */
	/* Told every step (px_export_step), or NULL. Borrowed: ctx. */
	void (*on_step)(void *ctx, const px_export_step *step);
	void *on_step_ctx;
	int no_xapi; /* leave xapi/statements.json out */
	/* The ledger's audit trail head when the export starts, for
	 * manifest.json ({"entries": N, "head": hex}), or NULL: borrowed. */
	const json_t *audit;
	/* Called with the package's SHA-256 (hex) once it is complete and
	 * just before it appears at out_path, or NULL. Returning -1 (err
	 * set) publishes nothing. A caller that records the package
	 * elsewhere (the ledger) writes its intent here, so that a kill
	 * between publishing and recording can be settled later. */
	int (*before_publish)(void *ctx, const char *sha256_hex, px_error *err);
	void *before_publish_ctx;
} px_export_opts;

typedef struct px_export_result {
	char sha256[65];  /* of the package file, hex */
	uint64_t size;	  /* bytes */
	uint64_t records; /* records written, all entities */
	unsigned files;	  /* files but mimetype and META-INF/: what
			   * the signature covers, verify's "files" */
} px_export_result;

/* Returns 0 with res filled, or -1 with err set (its code is the exit
 * code). On failure nothing is left at out_path or beside it. */
int px_export(const px_export_opts *opts, px_export_result *res, px_error *err);

/* ---- Many subjects, one set-up (bulk, worker, serve) ----
 * An exporter holds what does not change from one subject to the next:
 * the schemas, the signing key, and one open handle per source (its
 * connection and prepared statements), opened at the first subject and
 * reused. One exporter is used by one thread at a time; a worker pool
 * makes one per worker. */
typedef struct px_exporter px_exporter;

/* What changes per subject. */
typedef struct px_export_subject {
	const json_t *subject;	/* identity keys given */
	const char *out_path;	/* the .zip to create */
	const char *request_id; /* into manifest.json, or NULL */
	int force;		/* replace an existing out_path */
	/* "YYYY-MM-DD": the package's retrievable-until date, written into
	 * manifest.json and index.html; NULL for none. */
	const char *retrievable_until;
	const char *scope;   /* "portability"/"access"; NULL: the exporter's */
	const json_t *audit; /* as px_export_opts.audit */
	/* As in px_export_opts, for this subject; NULL: the exporter's. */
	int (*before_publish)(void *ctx, const char *sha256_hex, px_error *err);
	void *before_publish_ctx;
} px_export_subject;

typedef struct px_signer px_signer;

/* The signer opts name (sign_key/sign_cert, else the config's "signing"
 * with its passphrase and TSA) into *out (px_signer_free()); *out is NULL
 * without error only when unsigned_ok and no key is named. Returns 0 or
 * -1 with err set. */
int px_export_signer(const px_export_opts *opts, px_signer **out,
		     px_error *err);

/* Loads schemas and signer from opts (its subject, out_path, request_id
 * and force are ignored; opts->config must outlive the exporter; the
 * password is copied). Returns a new exporter (px_exporter_free()), or
 * NULL with err set. */
px_exporter *px_exporter_new(const px_export_opts *opts, px_error *err);

/* Exports one subject, as px_export() does. A failure never poisons the
 * next subject: a source lost (exit 69) is opened again next time. */
int px_exporter_run(px_exporter *x, const px_export_subject *s,
		    px_export_result *res, px_error *err);

/* Runs only the identity resolution of an export of subject (no fetch,
 * no package): the sources' resolve steps, in rounds. Returns 1 when the
 * subject may be found (a resolve step found them, or some collection in
 * scope can be read with the keys given, so only an export can tell),
 * with *keys (may be NULL; new reference) every key known; 0 when an
 * export would surely end "found in no source" (67); -1 with err: a key
 * no source starts from (64), a source unavailable (69), a config error
 * (78). scope NULL: the exporter's. Uses x like px_exporter_run(). */
int px_exporter_resolve(px_exporter *x, const json_t *subject,
			const char *scope, json_t **keys, px_error *err);

/* `portex sources check`: opens every source (a database connection, a
 * REST partner's OAuth2 token), checks the plans, then with subject:
 * runs the resolve steps and reads every collection in scope, counting
 * the records an export would hold (told as PX_STEP_FETCHED, *records
 * the total) and validating each against its schema as the packager
 * does (a document's bytes aside), without writing anything; without subject
 * (NULL): tells the resolve steps (PX_STEP_RESOLVE, found 1) in the order they
 * run when each finds the subject, starting from every key no step provides,
 * and runs none. Returns 0 or -1 with err, the codes of px_exporter_run(). */
int px_exporter_check(px_exporter *x, const json_t *subject, uint64_t *records,
		      px_error *err);

/* {"entity": records, ...} of the last successful run, all sources
 * together; NULL after a failure. Valid until the next run or free. */
const json_t *px_exporter_entities(const px_exporter *x);

void px_exporter_free(px_exporter *x);

/* "portability" / "access" -> scope; -1 when neither. */
int px_scope_parse(const char *s, px_scope *out);
const char *px_scope_name(px_scope s);

#endif
