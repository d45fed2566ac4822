/*
 * webhook.h - tells the portal a package is ready: POST of a JSON body to
 * the configured URL, with
 *   X-Portex-Timestamp: <Unix seconds>
 *   X-Portex-Signature: v1=<hex HMAC-SHA-256(secret, "<timestamp>.<body>")>
 *   X-Portex-Delivery: <request id>
 * signed afresh at each attempt, so the portal can refuse stale ones. A
 * failed attempt (transport error or a status other than 2xx) is retried
 * with exponential backoff and jitter, up to the configured attempts.
 * Deliveries run on their own thread: a slow portal never holds up an
 * export or a request.
 */
#ifndef PX_SERVE_WEBHOOK_H
#define PX_SERVE_WEBHOOK_H

#include <jansson.h>

typedef struct px_webhook px_webhook;

/* How a delivery ended, told on the delivery thread: delivered 1 (a 2xx
 * answer, status) or 0 (given up after every attempt). */
typedef void (*px_webhook_done_fn)(void *ctx, long id, int delivered,
				   long status, long attempts);

/* url and secret are borrowed and must outlive px_webhook_stop(). done
 * (may be NULL) is told of each delivery's end. NULL on failure (out of
 * memory, no thread). */
px_webhook *px_webhook_start(const char *url, const char *secret, long attempts,
			     px_webhook_done_fn done, void *done_ctx);
/* Queues body (borrowed; serialised now) as delivery id, sent with the
 * header X-Portex-Delivery: <id> so that the portal can drop a repeat.
 * Returns 1 when queued, 0 when delivery id is pending or under way
 * already (nothing queued) or the hook is NULL, -1 (out of memory, too
 * many pending: logged). */
int px_webhook_send(px_webhook *h, long id, const json_t *body);
/* Gives up what is still pending (logged), joins the thread, frees. */
void px_webhook_stop(px_webhook *h);

/* The signature header's value for (timestamp, body) into out (at least
 * 68 bytes): "v1=" and 64 hex digits. */
void px_webhook_signature(const char *secret, long long timestamp,
			  const char *body, char *out);

#endif
