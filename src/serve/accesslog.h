/*
 * accesslog.h - serve's diagnostics: one JSON object per line on stderr,
 * for requests and for the service's own events. A line never holds an
 * identity key, a token, a signature or a query string: requests are
 * logged by route template and request id only.
 */
#ifndef PX_SERVE_ACCESSLOG_H
#define PX_SERVE_ACCESSLOG_H

#include <jansson.h>
#include <stdint.h>

typedef struct px_access {
	const char *method;
	const char *route; /* "/v1/exports/{id}", "unmatched" */
	long id;	   /* request id in the path, 0 when none */
	unsigned status;
	uint64_t bytes; /* body bytes sent */
	double ms;	/* from the first byte read to the last sent */
} px_access;

void px_log_access(const px_access *a);

/* {"at", "level", "event", ...fields}: fields (may be NULL) is borrowed;
 * the caller keeps secrets and identities out of it. */
void px_log_event(const char *level, const char *event, json_t *fields);

#endif
