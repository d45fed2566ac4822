/*
 * rest_http.c - HTTP for the REST driver: one libcurl handle per source
 * (so one kept-alive connection), TLS always verified, and the retry
 * policy: 5xx, connection errors and timeouts are retried with capped
 * exponential backoff and jitter, 429 and 503 wait as long as Retry-After
 * says, all within a bound on attempts and on total time. Everything that
 * reaches a message goes through rest_redact() first.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "rest.h"

#define MAX_BODY	(64L << 20) /* one page; more is not a page */
#define BACKOFF_BASE_MS 250
#define BACKOFF_CAP_MS	8000
#define SNIPPET		120
#define RETRY_AFTER_MAX (366.0 * 86400)

struct xfer {
	rest_resp *r;
	long max_body;
	int too_big, oom;
};

long rest_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void rest_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (ms > 0 && nanosleep(&ts, &ts))
		;
}

static uint64_t next_rand(px_source *s)
{
	/* xorshift64: jitter only needs to differ between clients. */
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

void rest_resp_free(rest_resp *r)
{
	free(r->body.data);
	free(r->link_next);
	free(r->location);
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	r->rl_limit = r->rl_remaining = r->rl_reset = -1;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;

	n *= size;
	if (x->r->body.len + n > (size_t)x->max_body) {
		x->too_big = 1;
		return 0;
	}
	return px_buf_add(&x->r->body, p, n) ? 0 : n;
}

/* Retry-After: delay-seconds or an HTTP-date (RFC 9110 10.2.3). A
 * partner's number is capped (a year; beyond any retry budget) so that
 * "1e300" or "inf" never reaches a conversion to long. */
static double parse_retry_after(const char *v)
{
	char *e;
	double d;
	time_t t;

	/* digits only: strtod would also take "nan", "inf", hex */
	if (*v && v[strspn(v, "0123456789.eE+")] == '\0') {
		d = strtod(v, &e);
		if (e != v && !*e)
			return isfinite(d) && d < RETRY_AFTER_MAX
				   ? d
				   : RETRY_AFTER_MAX;
	}
	t = curl_getdate(v, NULL);
	if (t == -1)
		return -1;
	d = difftime(t, time(NULL));
	return d > 0 ? (d < RETRY_AFTER_MAX ? d : RETRY_AFTER_MAX) : 0;
}

/* Link: <url>; rel="next", <url>; rel="prev" (RFC 8288). Returns the next
 * link (malloc'd) or NULL; *bad is set when the value is not a list of
 * <uri-reference>; params, so that paging never ends on a header it could
 * not read. */
static char *parse_link_next(const char *v, int *bad)
{
	const char *p = v;

	while (*p) {
		const char *e, *params, *end, *rel;

		p += strspn(p, " \t,");
		if (!*p)
			break;
		if (*p != '<' || !(e = strchr(p, '>'))) {
			*bad = 1;
			return NULL;
		}
		params = e + 1;
		end = strchr(params, '<');
		end = end ? end : params + strlen(params);
		for (rel = params; (rel = strstr(rel, "rel=")) && rel < end;
		     rel += 4) {
			const char *t = rel + 4;
			int q = *t == '"';

			t += q;
			/* rel may list several types: rel="next last" */
			while (t < end && *t != ';' && *t != ',' &&
			       !(q && *t == '"')) {
				size_t n = strcspn(t, " \";,");
				if (n == 4 && !strncasecmp(t, "next", 4))
					return strndup(p + 1,
						       (size_t)(e - p - 1));
				t += n ? n : 1;
			}
		}
		p = end;
	}
	return NULL;
}

/* Is the header line p (name n bytes long) the header `name`? */
static int header_is(const char *p, size_t n, const char *name)
{
	return n == strlen(name) && !strncasecmp(p, name, n);
}

/* Headers of any length libcurl accepts (its own cap is 100 KiB): only the
 * ones the driver reads are copied, each to its exact size. */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	rest_resp *r = x->r;
	size_t len = size * n, nl = len, name;
	const char *colon;
	char *v;

	while (nl && (p[nl - 1] == '\r' || p[nl - 1] == '\n'))
		nl--;
	if (nl >= 5 && !strncmp(p, "HTTP/", 5)) {
		/* A new response (after a 100 Continue, say). */
		char *keep = r->body.data;
		size_t keep_len = r->body.len, keep_cap = r->body.cap;

		r->body.data = NULL;
		rest_resp_free(r);
		r->body.data = keep;
		r->body.len = keep_len;
		r->body.cap = keep_cap;
		return len;
	}
	if (!(colon = memchr(p, ':', nl)))
		return len;
	name = (size_t)(colon - p);
	if (!header_is(p, name, "Retry-After") && !header_is(p, name, "Link") &&
	    !header_is(p, name, "Location") && !rest_ratelimit_header(p, name))
		return len;
	colon++;
	while (colon < p + nl && (*colon == ' ' || *colon == '\t'))
		colon++;
	if (!(v = strndup(colon, (size_t)(p + nl - colon)))) {
		x->oom = 1;
		return 0;
	}
	if (header_is(p, name, "Retry-After")) {
		r->retry_after = parse_retry_after(v);
	} else if (header_is(p, name, "Location")) {
		free(r->location);
		r->location = v;
		return len;
	} else if (header_is(p, name, "Link")) {
		if (!r->link_next)
			r->link_next = parse_link_next(v, &r->link_bad);
	} else {
		rest_ratelimit_read(r, p, name, v);
	}
	free(v);
	return len;
}

/* The CA bundle: the source's ca_file, else the one curl's users name in
 * CURL_CA_BUNDLE or OpenSSL's in SSL_CERT_FILE, else libcurl's own. */
static const char *ca_bundle(const px_source *s)
{
	const char *e = getenv("CURL_CA_BUNDLE");

	if (s->ca_file)
		return s->ca_file;
	if (!e || !*e)
		e = getenv("SSL_CERT_FILE");
	return e && *e ? e : NULL;
}

int rest_http_init(px_source *s, px_error *err)
{
	CURL *c;

	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "source %s: cannot initialise libcurl",
				    s->cfg->name);
	if (!(c = s->curl = curl_easy_init())) {
		curl_global_cleanup(); /* rest_http_free() will not */
		return px_error_oom(err);
	}
	s->rng = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32 ^
		 (uint64_t)(uintptr_t)s;
	s->rng = s->rng ? s->rng : 88172645463325252ULL;
	/* Set once: the handle and its connection serve every request. */
	if (curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->curl_err) ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s->connect_ms) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s->timeout_ms) ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L) ||
	    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "") ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "portex/" PX_VERSION) ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) ||
	    (ca_bundle(s) && curl_easy_setopt(c, CURLOPT_CAINFO, ca_bundle(s))) ||
	    (s->client_cert &&
	     curl_easy_setopt(c, CURLOPT_SSLCERT, s->client_cert)) ||
	    (s->client_key &&
	     curl_easy_setopt(c, CURLOPT_SSLKEY, s->client_key)))
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "source %s: libcurl lacks an option portex "
				    "needs (TLS verification, protocols)",
				    s->cfg->name);
	return 0;
}

void rest_http_free(px_source *s)
{
	curl_slist_free_all(s->static_headers);
	s->static_headers = NULL;
	if (s->curl) {
		curl_easy_cleanup(s->curl);
		curl_global_cleanup();
	}
	s->curl = NULL;
}

static int credential_name(const char *name, size_t n)
{
	static const char *const words[] = {"key",   "token",	  "secret",
					    "passw", "signature", "sig",
					    "auth",  "credential"};
	char low[64];

	if (n >= sizeof(low))
		n = sizeof(low) - 1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[n] = '\0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(low, words[i]))
			return 1;
	return 0;
}

static void append(char *out, size_t n, size_t *o, const char *p, size_t len)
{
	while (len-- && *o + 1 < n)
		out[(*o)++] = *p++;
	out[*o] = '\0';
}

void rest_redact(const px_source *s, const char *in, char *out, size_t n)
{
	/* Look at a bounded window: enough to fill out many times over. */
	size_t win = strnlen(in, n * 8 + 4096), o = 0, i = 0;
	const char *query = NULL;

	if (!n)
		return;
	out[0] = '\0';
	while (i < win && o + 1 < n) {
		size_t hit = 0;

		for (size_t k = 0; k <= s->n_secrets && !hit; k++) {
			const char *sec =
			    k < s->n_secrets ? s->secrets[k] : s->token;
			size_t sl = sec ? strlen(sec) : 0;
			size_t m = sl < win - i ? sl : win - i;
			/* A secret cut by the window's end still counts. */
			if (sl >= 4 && m >= 4 && !strncmp(in + i, sec, m))
				hit = m;
		}
		if (hit) {
			append(out, n, &o, "***", 3);
			i += hit;
			continue;
		}
		if (in[i] == '?' && !query &&
		    (!strncmp(in, "http://", 7) || !strncmp(in, "https://", 8)))
			query = in + i;
		if (query && (in[i] == '?' || in[i] == '&')) {
			size_t nl = strcspn(in + i + 1, "=&# ");
			append(out, n, &o, in + i, nl + 1);
			i += nl + 1;
			if (in[i] == '=' && credential_name(in + i - nl, nl)) {
				append(out, n, &o, "=***", 4);
				i += 1 + strcspn(in + i + 1, "&# ");
			}
			continue;
		}
		/* user:password@ in a URL */
		if (!strncmp(in + i, "://", 3)) {
			size_t at = strcspn(in + i + 3, "@/?# ");
			append(out, n, &o, "://", 3);
			i += 3;
			if (in[i + at] == '@') {
				append(out, n, &o, "***@", 4);
				i += at + 1;
			}
			continue;
		}
		append(out, n, &o, in + i, 1);
		i++;
	}
}

void rest_snippet(const px_source *s, const rest_resp *r, char *out, size_t n)
{
	rest_redact(s, r->body.data ? r->body.data : "", out, n);
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	if (!*out)
		snprintf(out, n, "(empty)");
}

struct req {
	const char *method, *what;
	CURLU *url;	    /* owned by the caller */
	const char *form;   /* POST body, or NULL for GET */
	const char *header; /* an extra header (Basic for the token), or NULL */
	int auth;	    /* data request: apply the source's auth */
	int allow_404;
	const rest_call *call; /* or NULL */
};

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

/* One attempt. Returns the CURLcode; r holds the response. */
static CURLcode attempt(px_source *s, const struct req *q, rest_resp *r,
			char *url_out, size_t url_n, int *too_big,
			px_error *err, int *auth_failed)
{
	struct curl_slist *h = NULL, *t;
	const rest_call *c = q->call;
	struct xfer x = {r, c && c->max_body ? c->max_body : MAX_BODY, 0, 0};
	CURLU *u = curl_url_dup(q->url);
	char *url = NULL;
	CURLcode rc = CURLE_OUT_OF_MEMORY;

	*auth_failed = 0;
	rest_resp_free(r);
	if (!u ||
	    !(t = curl_slist_append(
		  h, c && c->accept ? c->accept : "Accept: application/json")))
		goto out;
	h = t;
	if (q->header) {
		if (!(t = curl_slist_append(h, q->header)))
			goto out;
		h = t;
	}
	if (c && c->content_type) {
		if (!(t = curl_slist_append(h, c->content_type)))
			goto out;
		h = t;
	}
	/* the profile's headers go where its credentials go */
	for (const struct curl_slist *e = q->auth ? s->static_headers : NULL; e;
	     e = e->next) {
		if (!(t = curl_slist_append(h, e->data)))
			goto out;
		h = t;
	}
	for (const struct curl_slist *e = c ? c->headers : NULL; e;
	     e = e->next) {
		if (!(t = curl_slist_append(h, e->data)))
			goto out;
		h = t;
	}
	if (q->auth && rest_auth_apply(s, &h, u, err)) {
		*auth_failed = 1;
		goto out;
	}
	if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK)
		goto out;
	rest_redact(s, url, url_out, url_n);
	s->curl_err[0] = '\0';
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, &x);
	if (q->form) {
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, q->form);
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE,
				 (long)strlen(q->form));
	} else {
		curl_easy_setopt(s->curl, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST,
			 q->form && strcmp(q->method, "POST") ? q->method
							      : NULL);
	rest_pace(s);
	rc = curl_easy_perform(s->curl);
	if (x.oom)
		rc = CURLE_OUT_OF_MEMORY;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &r->status);
	/* The header list may hold a secret: the handle must not keep
	 * pointing at it once it is freed. */
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, NULL);
out:
	*too_big = x.too_big ? (int)(x.max_body == MAX_BODY ? 1 : 2) : 0;
	curl_free(url);
	curl_url_cleanup(u);
	curl_slist_free_all(h);
	return rc;
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

static int perform(px_source *s, const struct req *q, rest_resp *r,
		   px_error *err)
{
	long start = rest_now_ms(), wait;
	int refreshed = 0, n, too_big, auth_failed;
	char url[512], body[SNIPPET + 1], why[CURL_ERROR_SIZE + 64];
	CURLcode rc;

	for (n = 1;; n++) {
		rc = attempt(s, q, r, url, sizeof(url), &too_big, err,
			     &auth_failed);
		if (auth_failed)
			goto fail;
		if (rc == CURLE_OUT_OF_MEMORY) {
			px_error_oom(err);
			goto fail;
		}
		if (too_big == 1) {
			px_error_set(err, PX_EXIT_DATA,
				     "source %s: %s: %s %s: the response is "
				     "larger than %ld MiB; not a page",
				     s->cfg->name, q->what, q->method, url,
				     MAX_BODY >> 20);
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
		    rest_ratelimit_check(s, r, q->what, url, err))
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
			snprintf(why, sizeof(why), "%s",
				 s->curl_err[0] ? s->curl_err
						: curl_easy_strerror(rc));
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
			rest_snippet(s, r, body, sizeof(body));
			px_error_set(err, PX_EXIT_DATA,
				     "source %s: %s: %s %s: HTTP %ld%s: %s",
				     s->cfg->name, q->what, q->method, url,
				     r->status,
				     r->status == 401 || r->status == 403
					 ? " (credentials refused)"
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

int rest_request(px_source *s, const char *url, const char *what,
		 const rest_call *c, rest_resp *r, px_error *err)
{
	struct req q = {c && c->method ? c->method : "GET",
			what,
			curl_url(),
			c ? c->body : NULL,
			NULL,
			!(c && c->no_auth),
			c ? c->allow_404 : 0,
			c};
	int rc;

	r->retry_after = -1;
	if (!q.url || curl_url_set(q.url, CURLUPART_URL, url, 0)) {
		curl_url_cleanup(q.url);
		return px_error_set(err, PX_EXIT_DATA,
				    "source %s: %s: not a URL", s->cfg->name,
				    what);
	}
	if (rest_source_time_left(s) <= 0) {
		curl_url_cleanup(q.url);
		return px_error_set(err, PX_EXIT_UNAVAILABLE,
				    "source %s: %s: the source's time budget "
				    "of %.0f s (max_source_seconds) is spent "
				    "after %ld requests",
				    s->cfg->name, what,
				    s->source_budget_ms / 1000.0, s->requests);
	}
	s->requests++;
	rc = perform(s, &q, r, err);
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
	struct req q = {"POST", what, curl_url(), form, NULL, 0, 0, NULL};
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
	rc = perform(s, &q, r, err);
out:
	if (hdr) {
		explicit_bzero(hdr, strlen(hdr));
		free(hdr);
	}
	curl_url_cleanup(q.url);
	return rc;
}
