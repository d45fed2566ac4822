/*
 * ledger.h - the request ledger: each data-subject request with its legal
 * clock and lifecycle, and a tamper-evident audit trail of every change.
 *
 * Where it lives: "sqlite:PATH" (or a bare PATH) is an SQLite file, a
 * relative PATH taken from base_dir; "postgresql://..." or "postgres://..."
 * is a PostgreSQL database (libpq URI). Both behave the same; portex
 * creates the schema and migrates it (table px_schema holds the version).
 *
 * A request is a JSON object (all dates "YYYY-MM-DD"):
 *   id (integer), type ("portability"|"access"), subject (identity keys,
 *   {"email": "..."}), requester, relation ("self"|"parent"|"guardian"|
 *   "heir"|"agent"), channel ("mail"|"email"|"web"|"phone"|"in_person"),
 *   received, calendar, identity ("unverified"|"requested"|"verified"),
 *   suspensions ([{"asked": D, "answered": D}]), extension_reason,
 *   extension_notified, due, extended_due, status, package_path,
 *   package_sha256, delivery_method, delivered, rejection_reason, closed,
 *   created_at, updated_at (RFC 3339 UTC), delivery (when portex sent the
 *   package itself: {method, state "sending"|"sent"|"failed", to,
 *   message_id, started_at, sent_at, reply, attached, error}),
 *   package_pending (an export about to publish its package: {path,
 *   sha256, pid, host, started}; see px_ledger_export_pending()). Absent
 *   values are left out.
 *
 * Lifecycle: received -> awaiting_identity (clock suspended) -> ready ->
 * exported -> delivered; received -> ready when identity is not in doubt;
 * rejected and withdrawn from any open state (all but delivered, rejected,
 * withdrawn). A transition not allowed is PX_EXIT_DATA, naming both states.
 *
 * Errors: an unknown request id is PX_EXIT_DATA; a ledger locked by
 * another process beyond the busy timeout (5 s) or a server that cannot be
 * reached is PX_EXIT_UNAVAILABLE (a malformed PostgreSQL URI is
 * PX_EXIT_CONFIG); a file that is not a database is
 * PX_EXIT_DATA. A failed change leaves the ledger as it was.
 */
#ifndef PORTEX_LEDGER_H
#define PORTEX_LEDGER_H

#include <jansson.h>

#include "portex/config.h"
#include "portex/deadline.h"
#include "portex/error.h"

#define PX_LEDGER_SCHEMA_VERSION 6

typedef struct px_ledger px_ledger;

/* Opens the ledger, creating or migrating its schema. base_dir: folder
 * for a relative SQLite path (NULL: the current directory). Returns a
 * handle to free with px_ledger_close(), or NULL with err set. */
px_ledger *px_ledger_open(const char *uri, const char *base_dir, px_error *err);
/* The ledger named by uri when given, else by cfg's "ledger" (a relative
 * SQLite path is taken from the config's folder). cfg may be NULL. When
 * neither names one: PX_EXIT_USAGE (no config) or PX_EXIT_CONFIG. */
px_ledger *px_ledger_open_config(const px_config *cfg, const char *uri,
				 px_error *err);
void px_ledger_close(px_ledger *l);
/* "SQLite ledger /srv/portex.db": for messages. Valid until close. */
const char *px_ledger_name(const px_ledger *l);

/* Records a new request. req holds type, subject, requester, relation,
 * channel, received and calendar (already checked by the caller with
 * px_request_check()); the ledger assigns id, status, due dates. *out: a
 * new reference to the stored request (json_decref). */
int px_ledger_add(px_ledger *l, const json_t *req, const char *actor,
		  json_t **out, px_error *err);
/* *out: new reference; unknown id is PX_EXIT_DATA. */
int px_ledger_get(px_ledger *l, long id, json_t **out, px_error *err);
/* *out: new array of every request, earliest effective due date first. */
int px_ledger_list(px_ledger *l, json_t **out, px_error *err);
/* *out: new array of the requests whose identity keys are exactly
 * `subject`'s (same keys, same values), newest first. */
int px_ledger_find_subject(px_ledger *l, const json_t *subject, json_t **out,
			   px_error *err);

/* A change to one request: fn edits req in place (it is the current
 * state, read inside the write transaction) and fills details with what
 * the audit entry should say; returns 0, or -1 with err to abandon. */
typedef int (*px_request_change_fn)(void *ctx, json_t *req, json_t *details,
				    px_error *err);
/* Applies fn and appends the audit entry `action`, atomically. *out (may
 * be NULL): new reference to the request as stored. */
int px_ledger_change(px_ledger *l, long id, const char *action,
		     const char *actor, px_request_change_fn fn, void *ctx,
		     json_t **out, px_error *err);

/* Package publishing (ledger_pending.c). `request export` replaces a
 * package and then records it: a kill between the two would leave the
 * ledger naming the old file. So, before publishing, the export records
 * the new package as pending (committed, audited "request.export-pending");
 * "exported" clears it. A pending package left by a process that died is
 * settled by px_ledger_reconcile(): the file at its path has the pending
 * SHA-256 -> recorded as exported ("request.export-recovered"); otherwise
 * the pending record is dropped ("request.export-abandoned"). Either way
 * the ledger then names what is on disk. */

/* Records {path, sha256_hex} as request id's pending package, with this
 * process as its owner. The request must be able to become exported
 * (PX_EXIT_DATA otherwise). */
int px_ledger_export_pending(px_ledger *l, long id, const char *actor,
			     const char *path, const char *sha256_hex,
			     px_error *err);
/* Settles every pending package whose owner is not running (this process
 * counts as not running: call it when no export of its own is under way).
 * *settled (may be NULL): new array of {id, action ("recovered" or
 * "abandoned"), path, sha256}; json_decref(). */
int px_ledger_reconcile(px_ledger *l, const char *actor, json_t **settled,
			px_error *err);

/* Today's date on the local clock (the controller's day). */
px_day px_today(void);

/* Lifecycle (ledger_lifecycle.c): pure edits of a request object. */
int px_request_check(const json_t *req, px_day today, px_error *err);
int px_request_transition(json_t *req, const char *to, px_error *err);
int px_request_is_open(const json_t *req);
/* One lifecycle action on req, as of `today`, with its arguments:
 *   "identity-ask"      {"date"}          received -> awaiting_identity
 *   "identity-verified" {"date"}          -> ready, closes the suspension
 *   "extend"            {"reason", "date"} (notified within the first
 *                                          limit; once)
 *   "exported"          {"path", "sha256"} ready|exported -> exported
 *   "deliver"           {"method", "date"} exported -> delivered
 *   "reject"            {"reason", "date"} open -> rejected
 *   "withdraw"          {"date"}          open -> withdrawn
 * "date" defaults to today. Adds what the audit should say to details.
 * Returns 0, or -1 with err (PX_EXIT_DATA for a state or date refused,
 * PX_EXIT_USAGE for a missing argument). */
int px_request_apply(json_t *req, const char *action, const json_t *args,
		     px_day today, json_t *details, px_error *err);
/* The limit in force: extended_due once extended, else due. Static or
 * owned by req. */
const char *px_request_effective_due(const json_t *req);
/* Recomputes due and extended_due from received, calendar, suspensions
 * (an open suspension counts up to `today`). */
int px_request_recompute(json_t *req, px_day today, px_error *err);

/* The audit trail (audit.c). */
typedef struct px_audit_result {
	long entries;	     /* entries read */
	int valid;	     /* 1 when the whole chain checks */
	long bad_seq;	     /* first entry at fault (0 when valid) */
	const char *problem; /* "edited", "removed", "reordered", "inserted",
				"rewritten", "request-edited",
				"checkpoint-forged"; static; NULL when
				valid */
	char message[512];   /* one sentence naming the entry */
	long checkpoints;    /* signed checkpoints compared */
	int authenticated;   /* their signatures checked against a
				certificate given (not only their own) */
	long witnesses;	     /* witnesses compared */
} px_audit_result;

/* Walks the chain; fills res. Returns -1 only when the ledger cannot be
 * read (a broken chain is a result, not an error). */
int px_audit_verify(px_ledger *l, px_audit_result *res, px_error *err);

/* A head of the trail recorded outside the ledger (a package's manifest
 * "audit"): the first `entries` entries hash to `head`. */
typedef struct px_audit_witness {
	long entries;
	const char *head;   /* 64 lowercase hex digits */
	const char *source; /* "package alice.zip", for messages */
} px_audit_witness;

typedef struct px_audit_verify_opts {
	/* PEM certificate the checkpoints must be signed by, or NULL: then
	 * each is checked only against the certificate it carries. */
	const char *cert_path;
	const px_audit_witness *witnesses;
	size_t n_witnesses;
} px_audit_verify_opts;

/* px_audit_verify, and the chain recomputed from the entries' content
 * compared with every signed checkpoint and each witness: a trail edited
 * and re-hashed, cut short or reordered is named by its first entry that
 * disagrees. o may be NULL. A certificate that cannot be read is
 * PX_EXIT_CONFIG. */
int px_audit_verify_with(px_ledger *l, const px_audit_verify_opts *o,
			 px_audit_result *res, px_error *err);

/* The trail's head now: *entries and head (65 bytes, hex; 64 zeros for
 * an empty trail). */
int px_audit_head(px_ledger *l, long *entries, char *head, px_error *err);

/* The trail's head now as each package made from the ledger records it
 * (manifest.json "audit", px_export_opts.audit), its learner's witness:
 * new {"entries": N, "head": HEX}, or NULL with err. */
json_t *px_audit_witness_new(px_ledger *l, px_error *err);

/* Signs data (detached CMS, DER, malloc'ed into *der). */
typedef int (*px_checkpoint_sign_fn)(void *ctx, const char *data, size_t len,
				     unsigned char **der, size_t *der_len,
				     px_error *err);
/* Verifies the trail (refusing a broken one, PX_EXIT_INVALID), then
 * stores a signed checkpoint of its head listing the hashes of the
 * entries since the previous checkpoint. *entries (may be NULL): the
 * entries it covers; nothing is written when no entry is new. */
int px_audit_checkpoint(px_ledger *l, px_checkpoint_sign_fn sign, void *ctx,
			long *entries, px_error *err);
/* *out: new array of entries {seq, at, actor, action, request, details,
 * hash}, for one request or all (request_id 0). */
int px_audit_list(px_ledger *l, long request_id, json_t **out, px_error *err);

#endif
