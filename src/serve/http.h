/*
 * http.h - one HTTP exchange as the route handlers see it, and the ways
 * they answer. Every answer goes through px_http_send(), which adds the
 * common headers and notes the status for the access log and /metrics.
 */
#ifndef PX_SERVE_HTTP_H
#define PX_SERVE_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "jsonout.h"
#include "portex/error.h"

struct px_serve;

typedef struct px_call {
	struct MHD_Connection *conn;
	const char *method;
	const struct px_route *route;
	long id;	   /* {id} in the path, 0 when none */
	px_buf body;	   /* request body, at most PX_SERVE_MAX_BODY */
	uint64_t received; /* body bytes read, kept or not */
	int too_large;	   /* the body went past the limit: 413 */
	int answered;	   /* a response was queued */
	unsigned status;   /* of the response, for the log */
	uint64_t bytes;	   /* body bytes of the response */
	struct timespec t0;
} px_call;

/* A header of the request, or NULL. */
const char *px_http_header(px_call *c, const char *name);
/* A query argument of the request, or NULL. */
const char *px_http_arg(px_call *c, const char *name);

/* Queues r with status; r is destroyed here whatever happens. Returns
 * MHD_YES or MHD_NO, what the access handler returns. */
int px_http_send(px_call *c, unsigned status, struct MHD_Response *r);
/* body (stolen) as application/json. */
int px_http_json(px_call *c, unsigned status, json_t *body);
/* An error as application/problem+json (RFC 9457):
 * {"type", "title", "status", "detail", "code"}; code is a stable
 * machine-readable word ("malformed_json"), detail a sentence. */
int px_http_problem(px_call *c, unsigned status, const char *code,
		    const char *fmt, ...) PX_PRINTF(4, 5);
/* A problem with Retry-After: seconds (503 queue full, 429). */
int px_http_problem_retry(px_call *c, unsigned status, const char *code,
			  long seconds, const char *fmt, ...) PX_PRINTF(5, 6);
/* An MHD response, NULL-safe header setting. */
void px_http_set(struct MHD_Response *r, const char *name, const char *value);

/* Starts listening as s->sc says. NULL with err (address in use, TLS). */
struct MHD_Daemon *px_http_start(struct px_serve *s, px_error *err);
/* Stops accepting new connections; the listening socket is closed. */
void px_http_quiesce(struct MHD_Daemon *d);
/* Connections still open. */
unsigned px_http_connections(struct MHD_Daemon *d);

#endif
