/*
 * rest_retry.c - the REST driver's retry policy: 5xx, connection errors
 * and timeouts are retried with capped exponential backoff and jitter, 429
 * and 503 wait as long as Retry-After says, all within a bound on attempts
 * and on total time. Everything that reaches a message goes through
 * rest_redact() first. Also the first attempts of fan-out requests made
 * several at once (rest_prefetch), each then judged by the same policy
 * when its request is made.
 */
#include <stdlib.h>
#include <string.h>

#include "interrupt.h"
#include "rest_xfer.h"

#define BACKOFF_BASE_MS 250
#define BACKOFF_CAP_MS	8000
#define SNIPPET		120

/* A first attempt made ahead, waiting for its request. */
struct rest_ready {
	char *key; /* call_key() */
	struct rest_outcome o;
	rest_resp r;
};

static uint64_t next_rand(px_source *s)
{
	/* xorshift64: jitter only needs to differ between clients. */
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

/* What makes two requests the same: method, URL, body, headers. */
static char *call_key(const char *url, const rest_call *c)
{
	rest_buf b = {0};
	int bad = rest_buf_printf(&b, "%s\n%s\n%s",
				  c && c->method ? c->method : "GET", url,
				  c && c->body ? c->body : "");

	for (const struct curl_slist *e = c ? c->headers : NULL; e && !bad;
	     e = e->next)
		bad = rest_buf_printf(&b, "\n%s", e->data);
	if (bad) {
		free(b.data);
		return NULL;
	}
	return b.data;
}

static void ready_free(struct rest_ready *rd)
{
	if (!rd)
		return;
	free(rd->key);
	rest_resp_free(&rd->r);
	free(rd);
}

void rest_prefetch_drop(px_source *s)
{
	for (size_t i = 0; i < s->n_ready; i++)
		ready_free(s->ready[i]);
	s->n_ready = 0;
}

/* The answer made ahead for this request, taken out of the list; NULL when
 * there is none. */
static struct rest_ready *take_ready(px_source *s, const char *url,
				     const rest_call *c)
{
	struct rest_ready *rd = NULL;
	char *key;
	size_t i;

	if (!s->n_ready || !(key = call_key(url, c)))
		return NULL;
	for (i = 0; i < s->n_ready && !rd; i++)
		if (!strcmp(s->ready[i]->key, key))
			rd = s->ready[i];
	free(key);
	if (rd) {
		memmove(&s->ready[i - 1], &s->ready[i],
			(s->n_ready - i) * sizeof(s->ready[0]));
		s->n_ready--;
	}
	return rd;
}

static int transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* One attempt on the source's own handle. */
static void attempt(px_source *s, const struct rest_req *q, rest_resp *r,
		    struct rest_outcome *o, px_error *err)
{
	struct rest_xfer x;

	if (!rest_xfer_start(s, q, s->curl, &x, r, o, err)) {
		rest_pace(s);
		rest_xfer_run(s, &s->curl, &x, 1);
	}
	rest_xfer_finish(s->curl, &x, o);
}

static long backoff_ms(px_source *s, int n)
{
	long d = BACKOFF_BASE_MS;

	while (--n > 0 && d < BACKOFF_CAP_MS)
		d *= 2;
	if (d > BACKOFF_CAP_MS)
		d = BACKOFF_CAP_MS;
	/* Equal jitter: half fixed, half random, so clients spread out
	 * yet never hammer. */
	return d / 2 + (long)(next_rand(s) % (uint64_t)(d / 2 + 1));
}

/* The retry policy around attempts; the first one is pre's when a
 * rest_prefetch() made it. */
static int perform(px_source *s, const struct rest_req *q,
		   struct rest_ready *pre, rest_resp *r, px_error *err)
{
	long start = rest_now_ms(), wait;
	int refreshed = 0, n, too_big;
	char *url, body[SNIPPET + 1], why[CURL_ERROR_SIZE + 64];
	struct rest_outcome o;
	CURLcode rc;

	for (n = 1;; n++) {
		if (n == 1 && pre) {
			o = pre->o;
			rest_resp_free(r);
			*r = pre->r;
			memset(&pre->r, 0, sizeof(pre->r));
		} else {
			attempt(s, q, r, &o, err);
		}
		rc = o.rc;
		too_big = o.too_big;
		url = o.url;
		if (o.auth_failed)
			goto fail;
		if (rc == CURLE_OUT_OF_MEMORY) {
			px_error_oom(err);
			goto fail;
		}
		if (rc == CURLE_ABORTED_BY_CALLBACK) {
			px_interrupt_check(err, "no package written");
			goto fail;
		}
		if (too_big == 1) {
			px_error_set(err, PX_EXIT_DATA,
				     "source %s: %s: %s %s: the response is "
				     "larger than %ld MiB; not a page",
				     s->cfg->name, q->what, q->method, url,
				     REST_MAX_BODY >> 20);
			goto fail;
		}
		if (too_big) {
			px_error_set(err, PX_EXIT_DATA,
				     "source %s: %s: %s %s: larger than the "
				     "size cap of %ld bytes",
				     s->cfg->name, q->what, q->method, url,
				     q->call->max_body);
			goto fail;
		}
		if (rc == CURLE_OK && r->status >= 200 && r->status < 300 &&
		    rest_ratelimit_check(s, r, q->what, url, !(n == 1 && pre),
					 err))
			goto fail;
		if (rc == CURLE_PARTIAL_FILE) {
			rest_snippet(s, r, body, sizeof(body));
			px_error_set(
			    err, PX_EXIT_DATA,
			    "source %s: %s: %s %s: HTTP %ld: truncated "
			    "body (%zu bytes received, fewer than "
			    "announced): %s",
			    s->cfg->name, q->what, q->method, url, r->status,
			    r->body.len, body);
			goto fail;
		}
		if (rc != CURLE_OK) {
			snprintf(why, sizeof(why), "%s", o.why);
			if (!transient(rc)) {
				px_error_set(err, PX_EXIT_UNAVAILABLE,
					     "source %s: %s: %s %s: %s",
					     s->cfg->name, q->what, q->method,
					     url, why);
				goto fail;
			}
			wait = -1;
		} else if (r->status == 202 && q->call && q->call->accept_202) {
			return 0;
		} else if ((r->status >= 200 && r->status < 300) ||
			   (r->status == 404 && q->allow_404)) {
			return 0;
		} else if (r->status == 401 && q->auth && !refreshed &&
			   rest_auth_invalidate(s)) {
			/* An expired or revoked token: one fresh token,
			 * then a 401 is final. */
			refreshed = 1;
			n--;
			continue;
		} else if (r->status == 429 || r->status >= 500) {
			rest_snippet(s, r, body, sizeof(body));
			snprintf(why, sizeof(why), "HTTP %ld: %s", r->status,
				 body);
			wait = r->status == 429 || r->status == 503
				   ? r->retry_after
				   : -1;
		} else {
			/* Refused credentials are the operator's to fix in
			 * the config or its ${VAR}s: 78, as portex transmit
			 * (DESIGN.md's exit codes); other 4xx are the
			 * partner's data: 65. */
			int refused = r->status == 401 || r->status == 403;

			rest_snippet(s, r, body, sizeof(body));
			px_error_set(
			    err, refused ? PX_EXIT_CONFIG : PX_EXIT_DATA,
			    "source %s: %s: %s %s: HTTP %ld%s: %s",
			    s->cfg->name, q->what, q->method, url, r->status,
			    refused ? " (credentials refused: check "
				      "the source's auth in the "
				      "config)"
				    : "",
			    body);
			goto fail;
		}
		if (n >= s->max_attempts) {
			px_error_set(err, PX_EXIT_UNAVAILABLE,
				     "source %s: %s: %s %s: %s (gave up after "
				     "%d attempts)",
				     s->cfg->name, q->what, q->method, url, why,
				     n);
			goto fail;
		}
		wait = wait >= 0 ? (long)(wait * 1000) : backoff_ms(s, n);
		if (rest_source_time_left(s) < wait) {
			px_error_set(err, PX_EXIT_UNAVAILABLE,
				     "source %s: %s: %s %s: %s (waiting %.1f s "
				     "more would pass the source's %.0f s "
				     "time budget, max_source_seconds)",
				     s->cfg->name, q->what, q->method, url, why,
				     wait / 1000.0,
				     s->source_budget_ms / 1000.0);
			goto fail;
		}
		if (rest_now_ms() + wait - start > s->budget_ms) {
			px_error_set(err, PX_EXIT_UNAVAILABLE,
				     "source %s: %s: %s %s: %s (gave up after "
				     "%d attempts: waiting %.1f s more would "
				     "pass the %.0f s retry budget)",
				     s->cfg->name, q->what, q->method, url, why,
				     n, wait / 1000.0, s->budget_ms / 1000.0);
			goto fail;
		}
		rest_sleep_ms(wait);
	}
fail:
	rest_resp_free(r);
	return -1;
}

/* The request a data call makes (its URL to be set). */
static struct rest_req data_req(const char *what, const rest_call *c)
{
	struct rest_req q = {c && c->method ? c->method : "GET",
			     what,
			     curl_url(),
			     c ? c->body : NULL,
			     NULL,
			     !(c && c->no_auth),
			     c ? c->allow_404 : 0,
			     c};
	return q;
}

int rest_request(px_source *s, const char *url, const char *what,
		 const rest_call *c, rest_resp *r, px_error *err)
{
	struct rest_req q = data_req(what, c);
	struct rest_ready *pre = take_ready(s, url, c);
	int rc;

	r->retry_after = -1;
	if (!q.url || curl_url_set(q.url, CURLUPART_URL, url, 0)) {
		curl_url_cleanup(q.url);
		ready_free(pre);
		return px_error_set(err, PX_EXIT_DATA,
				    "source %s: %s: not a URL", s->cfg->name,
				    what);
	}
	if (!pre && rest_source_time_left(s) <= 0) {
		curl_url_cleanup(q.url);
		return px_error_set(err, PX_EXIT_UNAVAILABLE,
				    "source %s: %s: the source's time budget "
				    "of %.0f s (max_source_seconds) is spent "
				    "after %ld requests",
				    s->cfg->name, what,
				    s->source_budget_ms / 1000.0, s->requests);
	}
	s->requests += !pre;
	rc = perform(s, &q, pre, r, err);
	ready_free(pre);
	curl_url_cleanup(q.url);
	return rc;
}

int rest_get(px_source *s, const char *url, const char *what, int allow_404,
	     rest_resp *r, px_error *err)
{
	rest_call c = {0};

	c.allow_404 = allow_404;
	return rest_request(s, url, what, &c, r, err);
}

int rest_post_form(px_source *s, const char *url, const char *form,
		   const char *basic_user, const char *basic_pass,
		   const char *what, rest_resp *r, px_error *err)
{
	struct rest_req q = {"POST", what, curl_url(), form, NULL, 0, 0, NULL};
	char *hdr = NULL;
	int rc = -1;

	r->retry_after = -1;
	if (!q.url || curl_url_set(q.url, CURLUPART_URL, url, 0)) {
		curl_url_cleanup(q.url);
		return px_error_set(err, PX_EXIT_CONFIG,
				    "source %s: %s: not a URL", s->cfg->name,
				    what);
	}
	if (basic_user) {
		if (!(hdr = rest_basic_header(basic_user, basic_pass))) {
			px_error_oom(err);
			goto out;
		}
		q.header = hdr;
	}
	rc = perform(s, &q, NULL, r, err);
out:
	if (hdr) {
		explicit_bzero(hdr, strlen(hdr));
		free(hdr);
	}
	curl_url_cleanup(q.url);
	return rc;
}

/* One batch of k <= s->concurrency first attempts, on the pool's handles
 * (never s->curl: a token request while the batch is set up uses it). */
static int batch(px_source *s, size_t k, char *const *urls,
		 const rest_call *const *calls, const char *what, px_error *err)
{
	struct rest_req q[REST_MAX_CONCURRENCY];
	struct rest_xfer x[REST_MAX_CONCURRENCY];
	struct rest_ready *rd[REST_MAX_CONCURRENCY] = {0};
	CURL *h[REST_MAX_CONCURRENCY] = {0};
	long least = -1;
	size_t i;
	int rc = 0;

	memset(x, 0, sizeof(x));
	for (i = 0; i < k; i++)
		q[i] = data_req(what, calls[i]);
	for (i = 0; i < k && !rc; i++) {
		if (!q[i].url || !(rd[i] = calloc(1, sizeof(*rd[i]))) ||
		    !(rd[i]->key = call_key(urls[i], calls[i])) ||
		    !(h[i] = rest_xfer_handle(s, i))) {
			rc = px_error_oom(err);
			break;
		}
		if (curl_url_set(q[i].url, CURLUPART_URL, urls[i], 0))
			continue; /* rest_request() will say so */
		if (rest_xfer_start(s, &q[i], h[i], &x[i], &rd[i]->r, &rd[i]->o,
				    err))
			rc = rd[i]->o.auth_failed ? -1 : px_error_oom(err);
	}
	if (!rc) {
		rest_xfer_run(s, h, x, k);
		s->requests += (long)k;
	}
	for (i = 0; i < k; i++) {
		if (h[i])
			rest_xfer_finish(h[i], &x[i], &rd[i]->o);
		curl_url_cleanup(q[i].url);
		if (rc || !x[i].started) {
			ready_free(rd[i]);
			continue;
		}
		if (rd[i]->o.rc == CURLE_OK && rd[i]->r.status >= 200 &&
		    rd[i]->r.status < 300) {
			rest_ratelimit_note(s, &rd[i]->r);
			if (rd[i]->r.rl_remaining >= 0 &&
			    (least < 0 || rd[i]->r.rl_remaining < least))
				least = rd[i]->r.rl_remaining;
		}
		s->ready[s->n_ready++] = rd[i];
	}
	if (least >= 0)
		s->rl_left = least;
	return rc;
}

int rest_prefetch(px_source *s, size_t n, char *const *urls,
		  const rest_call *const *calls, const char *what,
		  px_error *err)
{
	size_t done = 0, k;

	rest_prefetch_drop(s);
	if (n > REST_MAX_CONCURRENCY)
		n = REST_MAX_CONCURRENCY;
	while (done < n) {
		rest_pace(s);
		k = n - done;
		if (k > (size_t)s->concurrency)
			k = (size_t)s->concurrency;
		if (s->rl_left >= 0 && k > (size_t)s->rl_left)
			k = (size_t)s->rl_left;
		/* no quota, no time: the rest one at a time, where the
		 * reason is told */
		if (!k || rest_source_time_left(s) <= 0)
			return 0;
		if (batch(s, k, urls + done, calls + done, what, err))
			return -1;
		done += k;
	}
	return 0;
}
