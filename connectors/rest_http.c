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

#include "httpshare.h"
#include "interrupt.h"
#include "rest_xfer.h"

long rest_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void rest_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (ms > 0 && nanosleep(&ts, &ts) && !px_interrupted())
		;
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
	struct rest_xfer *x = ud;

	n *= size;
	if (x->sink && x->r->status >= 200 && x->r->status < 300) {
		if (x->r->sunk + n > (size_t)x->max_body) {
			x->too_big = 1;
			return 0;
		}
		if (fwrite(p, 1, n, x->sink) != n) {
			x->io = 1;
			return 0;
		}
		x->r->sunk += n;
		return n;
	}
	if (x->r->body.len + n > (size_t)x->max_body) {
		x->too_big = 1;
		return 0;
	}
	return px_buf_add(&x->r->body, p, n) ? 0 : n;
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
	struct rest_xfer *x = ud;
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
		/* the status decides where the body goes (a sink takes 2xx) */
		r->status = strtol(p + strcspn(p, " "), NULL, 10);
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
		r->retry_after = px_retry_after(v);
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
	s->rl_left = s->rl_limit = -1;
	/* Set once; the handles of requests at once are copies. */
	if (!(s->multi = curl_multi_init()))
		return px_error_oom(err);
	/* Every transfer, one at a time or several at once, goes through
	 * the multi handle: one pool of kept-alive connections, never more
	 * of them than the source's concurrency. */
	if (curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
			      (long)s->concurrency) ||
	    curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
			      (long)s->concurrency) ||
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
	    (ca_bundle(s) &&
	     curl_easy_setopt(c, CURLOPT_CAINFO, ca_bundle(s))) ||
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
	rest_prefetch_drop(s);
	curl_slist_free_all(s->static_headers);
	s->static_headers = NULL;
	for (size_t i = 0; i < REST_MAX_CONCURRENCY; i++) {
		if (s->pool[i])
			curl_easy_cleanup(s->pool[i]);
		s->pool[i] = NULL;
	}
	if (s->curl) {
		curl_easy_cleanup(s->curl);
		curl_global_cleanup();
	}
	s->curl = NULL;
	if (s->multi)
		curl_multi_cleanup(s->multi);
	s->multi = NULL;
}

CURL *rest_xfer_handle(px_source *s, size_t i)
{
	if (i >= REST_MAX_CONCURRENCY)
		return NULL;
	if (!s->pool[i])
		s->pool[i] = curl_easy_duphandle(s->curl);
	return s->pool[i];
}

static int add_header(struct rest_xfer *x, const char *line)
{
	struct curl_slist *t = curl_slist_append(x->hdrs, line);

	if (!t)
		return -1;
	x->hdrs = t;
	return 0;
}

int rest_xfer_start(px_source *s, const struct rest_req *q, CURL *h,
		    struct rest_xfer *x, rest_resp *r, struct rest_outcome *o,
		    px_error *err)
{
	const rest_call *c = q->call;
	int bad = 0;

	memset(x, 0, sizeof(*x));
	memset(o, 0, sizeof(*o));
	x->r = r;
	x->max_body = c && c->max_body ? c->max_body : REST_MAX_BODY;
	o->rc = CURLE_OUT_OF_MEMORY;
	rest_resp_free(r);
	if (!(x->u = curl_url_dup(q->url)) ||
	    add_header(x, c && c->accept ? c->accept
					 : "Accept: application/json") ||
	    (q->header && add_header(x, q->header)) ||
	    (c && c->content_type && add_header(x, c->content_type)))
		return -1;
	/* the profile's headers go where its credentials go */
	for (const struct curl_slist *e = q->auth ? s->static_headers : NULL;
	     e && !bad; e = e->next)
		bad = add_header(x, e->data);
	for (const struct curl_slist *e = c ? c->headers : NULL; e && !bad;
	     e = e->next)
		bad = add_header(x, e->data);
	if (bad)
		return -1;
	/* every attempt writes the sink from its start */
	if (c && c->sink) {
		x->sink = c->sink;
		if (fflush(x->sink) || fseeko(x->sink, 0, SEEK_SET) ||
		    ftruncate(fileno(x->sink), 0)) {
			o->rc = CURLE_WRITE_ERROR;
			snprintf(o->why, sizeof(o->why),
				 "cannot rewind the download's work file");
			return -1;
		}
	}
	if (q->auth && rest_auth_apply(s, &x->hdrs, x->u, err)) {
		o->auth_failed = 1;
		return -1;
	}
	if (curl_url_get(x->u, CURLUPART_URL, &x->url, 0) != CURLUE_OK)
		return -1;
	rest_redact(s, x->url, o->url, sizeof(o->url));
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->err);
	curl_easy_setopt(h, CURLOPT_URL, x->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	if (q->form) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->form);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE,
				 (long)strlen(q->form));
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
			 q->form && strcmp(q->method, "POST") ? q->method
							      : NULL);
	x->started = 1;
	o->rc = CURLE_OK;
	return 0;
}

void rest_xfer_run(px_source *s, CURL *const *h, struct rest_xfer *x, size_t n)
{
	int running = 1, left;
	size_t i;
	CURLMsg *m;

	for (i = 0; i < n; i++) {
		x[i].rc = CURLE_OUT_OF_MEMORY;
		x[i].added = x[i].started &&
			     curl_multi_add_handle(s->multi, h[i]) == CURLM_OK;
	}
	while (running) {
		if (curl_multi_perform(s->multi, &running) != CURLM_OK)
			break;
		while ((m = curl_multi_info_read(s->multi, &left)))
			for (i = 0; i < n; i++)
				if (m->msg == CURLMSG_DONE &&
				    m->easy_handle == h[i])
					x[i].rc = m->data.result;
		/* An interrupted export must not wait for a partner that
		 * hangs: the poll wakes at least once a second. */
		if (running && px_interrupted()) {
			for (i = 0; i < n; i++)
				if (x[i].rc ==
				    CURLE_OUT_OF_MEMORY) /* not done */
					x[i].rc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		if (running &&
		    curl_multi_poll(s->multi, NULL, 0, 1000, NULL) != CURLM_OK)
			break;
	}
	for (i = 0; i < n; i++)
		if (x[i].added)
			curl_multi_remove_handle(s->multi, h[i]);
}

void rest_xfer_finish(CURL *h, struct rest_xfer *x, struct rest_outcome *o)
{
	if (x->sink && fflush(x->sink))
		x->io = 1;
	if (x->started) {
		o->rc = x->oom ? CURLE_OUT_OF_MEMORY : x->rc;
		if (x->io)
			o->rc = CURLE_WRITE_ERROR;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x->r->status);
		snprintf(o->why, sizeof(o->why), "%s",
			 x->err[0] ? x->err : curl_easy_strerror(o->rc));
		/* The header list may hold a secret: the handle must not
		 * keep pointing at it, nor at x, once they are gone. */
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, NULL);
	}
	o->too_big = x->too_big ? (x->max_body == REST_MAX_BODY ? 1 : 2) : 0;
	curl_free(x->url);
	curl_url_cleanup(x->u);
	curl_slist_free_all(x->hdrs);
	x->url = NULL;
	x->u = NULL;
	x->hdrs = NULL;
}
