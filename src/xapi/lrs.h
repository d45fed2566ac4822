/*
 * lrs.h - sending xAPI statements to a Learning Record Store (xAPI 1.0.3
 * Statement API: POST <endpoint>statements in batches, with the
 * X-Experience-API-Version header, and HTTP Basic credentials or an
 * OAuth2 bearer token got with the client-credentials grant).
 *
 * Statement ids are stable (xapi.h), so sending a statement again is
 * safe: an LRS that holds it answers 204 (or 200 with its id) and keeps
 * one copy; one that holds a different statement under that id answers
 * 409 Conflict, which is a failure naming the statement, never skipped.
 */
#ifndef PX_LRS_H
#define PX_LRS_H

#include <stdint.h>
#include <stdio.h>

#include "portex/config.h"
#include "portex/error.h"

typedef struct px_lrs {
	char *name;		   /* the config's name for it, or the URL */
	char *endpoint;		   /* ends with '/'; never holds credentials */
	char *username, *password; /* NULL: no Basic credentials */
	/* OAuth2 client credentials (RFC 6749 4.4), or token_url NULL: the
	 * client authenticates with HTTP Basic at token_url; scope may be
	 * NULL. */
	char *token_url, *client_id, *client_secret, *scope;
	char *ca_file;		   /* NULL: the system store */
	long batch;		   /* statements per POST */
	long timeout;		   /* seconds per request */
	long attempts;		   /* per batch, on transient failures */
	long max_wait;		   /* seconds: the longest Retry-After obeyed */
} px_lrs;

/* The receiving LRS `to`: a name under the config's xapi.lrs, or an
 * endpoint URL (credentials then from an xapi.lrs entry with that
 * endpoint, else from PORTEX_LRS_USERNAME and PORTEX_LRS_PASSWORD).
 * cfg may be NULL. http:// only to a loopback host. PX_EXIT_CONFIG for a
 * bad entry, PX_EXIT_USAGE for an unknown name. Clear with
 * px_lrs_clear(), which wipes the password and client secret. */
int px_lrs_from_config(const px_config *cfg, const char *to, px_lrs *lrs,
		       px_error *err);
void px_lrs_clear(px_lrs *lrs);

typedef struct px_lrs_report {
	uint64_t statements; /* read from the file so far */
	uint64_t confirmed;  /* the LRS holds them (includes resume_from) */
	uint64_t held;	     /* of which it already held (204) this run */
	long batches;	     /* POSTs answered this run */
	long status;	     /* the last HTTP status */
	char version[32];    /* the LRS's X-Experience-API-Version */
	char conflict[40];   /* the id of a statement refused with 409 */
} px_lrs_report;

/* Called after each batch the LRS confirmed (r->confirmed grew): the
 * caller records the progress. Non-zero stops the transmission. */
typedef int (*px_lrs_progress_fn)(void *ctx, const px_lrs_report *r,
				  px_error *err);

/* Sends the statements of `in` (a JSON array, as xapi/statements.json),
 * skipping the first resume_from (confirmed by an earlier run over the
 * same file). With OAuth2 a token is asked for before the first request,
 * again before it expires, and once more on a 401. 429 and 503 are
 * retried after their Retry-After (seconds or an HTTP-date), when it is
 * at most lrs->max_wait. Errors: PX_EXIT_CONFIG for credentials refused
 * (401/403 from the LRS; 400/401/403 from the token endpoint) or no
 * Statement API at the endpoint (404); PX_EXIT_DATA for statements
 * the LRS refuses (400, 409: r->conflict names the statement) or a file
 * that is not a statement array; PX_EXIT_UNAVAILABLE for an LRS that
 * cannot be reached, keeps failing (5xx, timeouts, after lrs->attempts),
 * asks to wait longer than lrs->max_wait, or answers what no LRS (or
 * token endpoint) would. r is filled in every case. */
int px_lrs_send(const px_lrs *lrs, FILE *in, uint64_t resume_from,
		px_lrs_progress_fn progress, void *ctx, px_lrs_report *r,
		px_error *err);

#endif
