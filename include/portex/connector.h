/*
 * connector.h - the interface between portex and a source driver.
 *
 * A driver knows how to talk to one kind of source (SQLite, PostgreSQL, a
 * REST API). It knows nothing of packages: it resolves identity keys and
 * pushes one subject's records, one at a time, into a sink.
 *
 * Life of a source during one export:
 *   open(cfg)         -> a px_source and its plan (below)
 *   resolve(step i)   -> for each resolve step, once its keys are known
 *   fetch(coll j)     -> for each collection, once its keys are known
 *   end()             -> the subject's reads are over (ABI 5)
 *   close()
 * In bulk, one source serves many subjects: open, then for each subject
 * [reset() but before the first], resolve, fetch, end(); close at last.
 *
 * The plan a driver returns from open() tells the pipeline what each step
 * needs and gives, so that sources run in the order their keys allow:
 *   {"resolve":     [{"provides": "lms_user_id", "needs": ["email"]}, ...],
 *    "collections": [{"entity": "score", "category": "observed",
 *                     "needs": ["lms_user_id"]}, ...]}
 * Indices into those arrays are what resolve() and fetch() receive.
 *
 * Third-party drivers are shared objects exporting
 *   const px_connector *px_connector_entry(void);
 * whose result has PX_CONNECTOR_ABI_MIN <= abi <= PX_CONNECTOR_ABI.
 */
#ifndef PORTEX_CONNECTOR_H
#define PORTEX_CONNECTOR_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "portex/config.h"
#include "portex/error.h"

/* 2 added config_keys, 3 reset, 4 px_record.content_file, 5 end; drivers
 * built for 1 to 4 still load (their records are read without
 * content_file, and nothing is ended between subjects). */
#define PX_CONNECTOR_ABI     5
#define PX_CONNECTOR_ABI_MIN 1

typedef struct px_source px_source; /* driver-private state */

/* One record as a driver hands it over. Everything is borrowed for the
 * duration of the emit call only: a sink that keeps anything copies it.
 * The sink may change `fields` (portex coerces values in place), so a
 * driver builds a fresh object per record or clears it after emit. */
typedef struct px_record {
	json_t *fields;		      /* column alias -> value; no nulls */
	const unsigned char *content; /* a document's bytes, or NULL */
	size_t content_len;
	/* ABI 4: or the bytes in a file (content NULL), content_len of them
	 * from its start, so that a document never has to fit in memory.
	 * Still the driver's: portex reads it during emit, never closes it.
	 * px_connector_file() makes one. */
	FILE *content_file;
} px_record;

/* The sink. Returns 0, or -1 with err set to stop the fetch; the driver
 * then returns -1 and leaves err as the sink filled it. */
typedef int (*px_emit_fn)(void *ctx, const px_record *rec, px_error *err);

/* A source's configuration as the driver receives it. All of it is valid
 * until close(). */
typedef struct px_source_cfg {
	const char *name;	 /* the source's name, "lms" */
	const json_t *json;	 /* its object; ${VAR} already substituted */
	const char *config_file; /* for error messages */
	const char *json_path;	 /* "/sources/2", for error messages */
	const char *base_dir;	 /* folder of the config file, no trailing / */
} px_source_cfg;

typedef struct px_connector {
	int abi;	  /* PX_CONNECTOR_ABI */
	const char *name; /* the config's "connector" value */

	/* Opens the source. On success *out is the driver's state (freed by
	 * close()) and *plan a new JSON reference (caller json_decref()s). A
	 * source that cannot be reached fails with PX_EXIT_UNAVAILABLE; a
	 * config problem with PX_EXIT_CONFIG naming file and JSON path. */
	int (*open)(const px_source_cfg *cfg, px_source **out, json_t **plan,
		    px_error *err);

	/* Runs resolve step `step` with the identity keys known so far
	 * (object: name -> string). Returns 1 and sets *value (a malloc'd
	 * string, caller frees) when the subject is known, 0 when not, -1 on
	 * error. More than one distinct value is an error (PX_EXIT_DATA):
	 * exporting another person's data is worse than exporting none. */
	int (*resolve)(px_source *src, size_t step, const json_t *keys,
		       char **value, px_error *err);

	/* Pushes every record of collection `coll` for the subject into emit,
	 * one at a time. Returns 0 or -1. */
	int (*fetch)(px_source *src, size_t coll, const json_t *keys,
		     px_emit_fn emit, void *ctx, px_error *err);

	void (*close)(px_source *src);

	/* ABI 2. The keys a source object of this driver may hold, rows
	 * relative to the source object ("" itself, "/collections/" "*"),
	 * on top of the common "name", "connector" and "timezone". NULL, or
	 * a driver built for ABI 1: the source's keys are not checked (the
	 * driver checks them itself or accepts anything). */
	const px_config_keys *config_keys;

	/* ABI 3, may be NULL. A source stays open across the
	 * subjects of a bulk run; before each subject but the first, reset()
	 * drops what belongs to the previous one (a read-only snapshot, an
	 * aborted transaction). Returns 0, or -1 when the source must be
	 * opened afresh (closed and opened again). */
	int (*reset)(px_source *src, px_error *err);

	/* ABI 5, may be NULL. Called once a subject's last statement has
	 * run (the export goes on to package and sign), or it failed: the
	 * driver releases what the subject held (its read transaction, the
	 * locks that come with it), so that nothing is held between
	 * subjects, however long a worker waits for the next one. reset()
	 * is still called before the next subject. Never fails: a source
	 * that cannot end cleanly fails its next reset(). */
	void (*end)(px_source *src);
} px_connector;

/* Built-in drivers and plugins. The result is static or lives as long as
 * the process (plugins are never unloaded). NULL when unknown. */
const px_connector *px_connector_find(const char *name);

/* A nameless work file in $TMPDIR (gone with its last descriptor, even on
 * a crash), open "w+", for a document on its way (px_record.content_file).
 * The caller fclose()s it. NULL with err set (PX_EXIT_CANTCREAT naming
 * `what`). */
FILE *px_connector_file(const char *what, px_error *err);

/* Loads a plugin and registers its driver. Checks the ABI version. */
int px_connector_load(const char *so_path, px_error *err);

/* Helpers for drivers. */

/* A number whose exact digits must survive (PostgreSQL numeric, a money
 * amount). The normaliser writes it as the same digits: a decimal string
 * for a string field ("19.90"), a JSON number for a number field, never
 * through a double. digits: -?[0-9]+(.[0-9]+)?([eE][+-]?[0-9]+)?
 * Returns a new reference, or NULL when digits is not such a literal. */
json_t *px_decimal_new(const char *digits);

/* 1 when digits is such a literal, 0 when not. */
int px_decimal_literal(const char *digits);

/* The digits of a value made by px_decimal_new(), or NULL for any other
 * value. Borrowed from v. */
const char *px_decimal_digits(const json_t *v);

/* Sets a config error "FILE: /json/path: message". Returns -1. */
int px_cfg_error(px_error *err, const px_source_cfg *cfg, const char *subpath,
		 const char *fmt, ...) PX_PRINTF(4, 5);

/* Returns a malloc'd absolute path: `path` if absolute, else joined to
 * cfg->base_dir. NULL on out of memory. */
char *px_cfg_resolve_path(const px_source_cfg *cfg, const char *path);

/* Scans SQL for :name placeholders (outside string literals, quoted
 * identifiers, comments and :: casts). Calls fn for each, with the byte
 * offset and length of the whole ":name" token. Returns 0, or fn's first
 * non-zero result. Drivers rewrite placeholders to their own syntax. */
int px_sql_placeholders(const char *sql,
			int (*fn)(void *ctx, size_t off, size_t len,
				  const char *name, size_t name_len),
			void *ctx);

/* A new JSON array of the distinct placeholder names in sql, in order of
 * first appearance (a plan's "needs"). NULL on out of memory. */
json_t *px_sql_needs(const char *sql);

/* The rows the SQL drivers share: "/resolve/" "*" and "/collections/" "*".
 * A SQL driver's table is {"", its own keys}, PX_SQL_CONFIG_KEYS, {NULL}. */
extern const char *const px_sql_resolve_keys[];
extern const char *const px_sql_collection_keys[];
#define PX_SQL_CONFIG_KEYS                                                     \
	{"/resolve/*", px_sql_resolve_keys},                                   \
	{                                                                      \
		"/collections/*", px_sql_collection_keys                       \
	}

/* Builds the plan of a SQL source from its "resolve" and "collections"
 * arrays (config entries with "query"). Shared by the SQL drivers. */
int px_sql_plan(const px_source_cfg *cfg, json_t **plan, px_error *err);

#endif
