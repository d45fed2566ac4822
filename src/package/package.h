/*
 * package.h - writes the package: records spooled per entity, documents,
 * schemas, index.html, manifest.json, then the signature, into a ZIP that
 * appears at its target only when complete.
 */
#ifndef PX_PACKAGE_H
#define PX_PACKAGE_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "portex/asic.h"
#include "portex/error.h"
#include "portex/schema.h"

typedef struct px_package px_package;

typedef struct px_package_opts {
	const char *target; /* the .zip to create */
	int force;	    /* replace an existing target */
	const char
	    *password;	     /* AES-256 for entries outside META-INF, or NULL */
	px_signer *signer;   /* NULL: unsigned */
	px_schemas *schemas; /* borrowed; outlives the package */
	/* Called with the finished archive's SHA-256 (hex) just before it
	 * is published, or NULL: a failure (err set) publishes nothing. */
	int (*before_publish)(void *ctx, const char *sha256_hex, px_error *err);
	void *before_publish_ctx;
	/* 1: the caller swept the target's folder and the spool folder of
	 * what crashed runs left (px_workfile_sweep) a moment ago; the
	 * package does not read them again. A bulk run of thousands of
	 * packages in one folder would otherwise read the whole folder
	 * for each one. */
	int swept;
	/* What the csv/ and html/ views, made while the records pass, need
	 * of the manifest: its "locale" (NULL: French), the controller's
	 * name for the pages' titles, its "timezone" (NULL: UTC). Borrowed;
	 * they outlive the package. */
	const char *locale, *controller, *timezone;
} px_package_opts;

/* Checks the target can be written (folder exists and is writable, no
 * file there unless force) before any source is read. Errors:
 * PX_EXIT_CANTCREAT. Free with px_package_abort() or px_package_finish(). */
px_package *px_package_new(const px_package_opts *opts, px_error *err);

/* Appends one normalised record to data/<entity>.json. It is validated
 * against the entity's schema and written out on another thread, so the
 * call takes the reference and the caller must not touch the record
 * afterwards. A record that breaks its schema fails this call or a later
 * one (or px_package_finish()) with PX_EXIT_DATA: "source SOURCE: entity
 * ENTITY: record N: field F: ...". source must outlive the package. */
int px_package_record(px_package *p, const char *entity, json_t *record,
		      const char *source, uint64_t n, px_error *err);

/* Appends one record already written as JSON text by a row encoder
 * (encode/rowenc.h): the members of one object, without the braces, in
 * the schema's order, already checked against the schema. The text is
 * copied. Same errors as px_package_record() but for the schema. */
int px_package_text(px_package *p, const char *entity, const char *text,
		    size_t len, const char *source, uint64_t n, px_error *err);

/* Stores a document's bytes under files/<source>/<safe name> and sets
 * "size", "sha256" and "path" in record. The bytes are data, or when data
 * is NULL the first len bytes of f (read from its start, borrowed). */
int px_package_document(px_package *p, const char *source, json_t *record,
			const unsigned char *data, size_t len, FILE *f,
			px_error *err);

/* Adds the whole of f (an unlinked temporary file) as entry
 * `name`, listed in the manifest with media_type and `records` (-1: not a
 * data file). It is deflated at the views' level: what is streamed (xAPI)
 * is made from the records. The package owns f from here, on success or
 * not. */
int px_package_stream(px_package *p, const char *name, FILE *f,
		      const char *media_type, int64_t records, px_error *err);

/* Completes the package: manifest is everything but "files" (added here);
 * index.html is rendered from it. On success the package is at its target
 * and *sha256_hex / *size describe it, *entries counts its files but
 * mimetype and META-INF/ (the files the signature covers: verify's
 * "files"); on failure nothing is left behind.
 * Frees p either way. */
int px_package_finish(px_package *p, json_t *manifest, char sha256_hex[65],
		      uint64_t *size, unsigned *entries, px_error *err);

/* Drops everything written so far. NULL is fine. */
void px_package_abort(px_package *p);

/* "relevé 2024/../x.pdf" -> a name safe in any file system and archive:
 * no path separators, no "..", no control characters, at most `max`
 * bytes (keeping the extension). Writes into out (max+1 bytes). */
void px_safe_name(const char *name, char *out, size_t max);

#endif
