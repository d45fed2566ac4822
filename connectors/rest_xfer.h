/*
 * rest_xfer.h - private to rest_http.c (transfers: handles, callbacks, the
 * multi loop) and rest_retry.c (the retry policy, first attempts made
 * ahead). Not for the other rest_*.c files: they use rest.h.
 */
#ifndef PORTEX_REST_XFER_H
#define PORTEX_REST_XFER_H

#include "rest.h"

#define REST_MAX_BODY (64L << 20) /* one page; more is not a page */

/* A request as the transfer layer sends it. */
struct rest_req {
	const char *method, *what;
	CURLU *url;	    /* owned by the caller */
	const char *form;   /* POST body, or NULL for GET */
	const char *header; /* an extra header (Basic for the token), or NULL */
	int auth;	    /* data request: apply the source's auth */
	int allow_404;
	const rest_call *call; /* or NULL */
};

/* How one attempt ended, for the retry policy. */
struct rest_outcome {
	CURLcode rc;
	int too_big;	 /* 1: past the page cap, 2: past call->max_body */
	int auth_failed; /* the error is set already */
	char url[512];	 /* the URL sent, redacted */
	char why[CURL_ERROR_SIZE];
};

/* One transfer on one easy handle; lives from rest_xfer_start() to
 * rest_xfer_finish() at a fixed address (libcurl points at it). */
struct rest_xfer {
	rest_resp *r;
	long max_body;
	int too_big, oom, io, started, added;
	FILE *sink; /* the call's, or NULL */
	CURLcode rc;
	struct curl_slist *hdrs;
	CURLU *u;
	char *url;
	char err[CURL_ERROR_SIZE];
};

/* Sets up handle h for q, the response going to r (released first).
 * Returns 0, or -1 with o filled (out of memory, or auth_failed with err
 * set); rest_xfer_finish() is due either way. */
int rest_xfer_start(px_source *s, const struct rest_req *q, CURL *h,
		    struct rest_xfer *x, rest_resp *r, struct rest_outcome *o,
		    px_error *err);
/* Runs the started transfers x[0..n) on handles h[0..n) at once, through
 * the source's multi handle (its connections, its connection bound). */
void rest_xfer_run(px_source *s, CURL *const *h, struct rest_xfer *x, size_t n);
/* Fills o from the ended transfer, unhooks h from x's memory, frees x. */
void rest_xfer_finish(CURL *h, struct rest_xfer *x, struct rest_outcome *o);
/* A copy of s->curl for the i-th transfer of a batch (made on first use,
 * freed by rest_http_free()); NULL on out of memory. */
CURL *rest_xfer_handle(px_source *s, size_t i);

#endif
