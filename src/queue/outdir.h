/*
 * outdir.h - a bulk output folder: packages named by an opaque subject id,
 * and D/index.ndjson, one JSON line per outcome, appended (a later line
 * about the same id supersedes an earlier one).
 *
 * Line: {"id", "package" (file name in D), "subject" (identity keys),
 *        "status" ("ok" | "failed" | "dead" | "purged"), "sha256", "size",
 *        "records", "entities" ({"entity": n}), "retrievable_until",
 *        "created_at", "error", "code", "job", "request"}
 *
 * Several processes (two bulk runs, workers on several machines writing to
 * one shared folder) may append at once: each line is one write() on an
 * O_APPEND descriptor. Two bulk runs on one folder never export a subject
 * twice at the same time: a subject is locked with an fcntl() byte lock
 * on index.ndjson (at an offset made of its id) while it is exported.
 */
#ifndef PX_OUTDIR_H
#define PX_OUTDIR_H

#include <jansson.h>
#include <stddef.h>

#include "portex/config.h"
#include "portex/error.h"

#define PX_SUBJECT_ID_LEN 32 /* hex characters */

/* The opaque id of a subject: HMAC-SHA-256 under the deployment's salt of
 * its identity keys, normalised (keys sorted; values trimmed; an email
 * lower-cased), first PX_SUBJECT_ID_LEN hex digits. Never reveals the
 * keys; the same keys give the same id, so reruns find their packages. */
int px_subject_id(const unsigned char *salt, size_t salt_len,
		  const json_t *keys, char out[PX_SUBJECT_ID_LEN + 1],
		  px_error *err);

/* The deployment's salt: config "bulk": {"salt_file": F} (its bytes; at
 * least 16) or {"salt_env": VAR}. Writes at most cap bytes into buf and
 * returns how many, or -1 (PX_EXIT_CONFIG naming what to set). */
int px_bulk_salt(const px_config *cfg, unsigned char *buf, size_t cap,
		 px_error *err);

typedef struct px_outdir px_outdir;

/* Opens D (which must exist) and its index (created when absent).
 * Removes temporary files this host's dead processes left in D. Returns
 * a handle (px_outdir_close()) or NULL (PX_EXIT_CANTCREAT). */
px_outdir *px_outdir_open(const char *dir, px_error *err);
void px_outdir_close(px_outdir *d);
const char *px_outdir_path(const px_outdir *d);

/* Appends one line (entry is borrowed). Thread-safe. */
int px_outdir_append(px_outdir *d, const json_t *entry, px_error *err);

/* The index as it stands: {id: last line about it}. *out: new reference.
 * A line that is not JSON is an error naming its number. */
int px_outdir_read(const char *dir, json_t **out, px_error *err);

/* Locks subject id against other processes (waits; checks
 * px_interrupted()). Returns 0, or -1. Threads of one process must not
 * lock the same id twice (a pool hands each id to one worker). */
int px_outdir_lock(px_outdir *d, const char *id, px_error *err);
void px_outdir_unlock(px_outdir *d, const char *id);

/* What an existing package holds, when it verifies: fills sha256 (hex),
 * size, records and *entities (new reference, may be NULL). Returns 1
 * when the package is there and verifies, 0 when absent or not valid
 * (*why says which, static), -1 on error. */
int px_package_check(const char *path, char sha256[65],
		     unsigned long long *size, unsigned long long *records,
		     json_t **entities, const char **why, px_error *err);

/* Removes ".portex-*" temporaries in dir (and TMPDIR's spool folders)
 * left by processes of this host that no longer run. Returns how many. */
int px_sweep_temporaries(const char *dir);

#endif
