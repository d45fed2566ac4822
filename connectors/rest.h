/*
 * rest.h - private to the REST driver (connectors/rest*.c); not installed.
 *
 * The driver is split by concern:
 *   rest.c          the px_connector table: open, resolve, fetch, close
 *   rest_profile.c  loading and checking a partner profile, the plan
 *   rest_auth.c     OAuth2 client credentials, bearer, API key, basic
 *   rest_http.c     libcurl handles, transfers one or several at once
 *   rest_retry.c    retries, error messages, first attempts made ahead
 *   rest_redact.c   secrets out of URLs and snippets
 *   rest_page.c     pagination: page, offset, cursor, Link header
 *   rest_json.c     exact-number JSON parsing, JSON pointers, URL templates
 *   rest_map.c      items -> records: field maps and conversions
 *   rest_export.c   asynchronous export jobs
 *   rest_rows.c     the rows of an export's file (json, ndjson, csv, zip)
 */
#ifndef PORTEX_REST_H
#define PORTEX_REST_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>
#include <time.h>

#include "jsonout.h"
#include "portex/config.h"
#include "portex/connector.h"

enum rest_auth_type {
	REST_AUTH_NONE,
	REST_AUTH_OAUTH2, /* client credentials */
	REST_AUTH_BEARER,
	REST_AUTH_API_KEY,
	REST_AUTH_BASIC,
};

#define REST_MAX_SECRETS     32
#define REST_MAX_CONCURRENCY 16 /* the "concurrency" source key's bound */

struct rest_ready; /* rest_retry.c */

/* Byte buffers are the core's px_buf (data NUL-terminated when non-NULL). */
typedef px_buf rest_buf;

/* One HTTP response as the driver keeps it: a single page at most. */
typedef struct rest_resp {
	long status;
	rest_buf body;
	char *link_next;    /* Link: <...>; rel="next", as sent, or NULL */
	int link_bad;	    /* a Link header that could not be read */
	double retry_after; /* seconds from Retry-After, or -1 */
	char *location;	    /* Location (an async job's status), or NULL */
	long rl_limit, rl_remaining, rl_reset; /* RateLimit-*, or -1 */
	size_t sunk; /* bytes of a 2xx body written to the call's sink */
} rest_resp;

/* What a request sends besides the URL (all borrowed; zero = a GET of a
 * JSON page). */
typedef struct rest_call {
	const char *method;	  /* "GET" when NULL */
	const char *body;	  /* request body, or NULL */
	const char *content_type; /* "Content-Type: ..." header, or NULL */
	const char *accept;	  /* "Accept: ..." header, or NULL */
	const struct curl_slist *headers; /* the profile's static headers */
	long max_body;			  /* a cap below the page cap, or 0 */
	int allow_404, accept_202;
	int no_auth; /* a file on another server: no credentials sent */
	FILE *sink;  /* a 2xx body goes here (from its start), not to
			memory; max_body still caps it */
} rest_call;

struct px_source {
	const px_source_cfg *cfg;
	json_t *profile; /* owned */
	char *profile_path;
	json_t *plan;	/* owned */
	char *base_url; /* no trailing slash */

	/* HTTP */
	CURL *curl;   /* the handle of requests one at a time */
	CURLM *multi; /* every transfer: one connection pool, bounded */
	CURL *pool[REST_MAX_CONCURRENCY]; /* copies, for rest_prefetch() */
	struct rest_ready *ready[REST_MAX_CONCURRENCY]; /* rest_prefetch() */
	size_t n_ready;
	long timeout_ms, connect_ms, budget_ms;
	long source_budget_ms, source_deadline_ms; /* 0: no overall budget */
	long pace_until_ms, paced_ms, requests;	   /* rate-limit pacing */
	long rl_left, rl_limit; /* last RateLimit-Remaining/-Limit, or -1 */
	int max_attempts;
	char *ca_file;
	char *client_cert, *client_key;	   /* mutual TLS, or NULL */
	int concurrency;		   /* fan-out requests at once */
	struct curl_slist *static_headers; /* the profile's "headers" */
	FILE *download; /* documents' bytes on their way (px_connector_file) */
	/* lookups whose first requests were sent ahead (rest.c) */
	size_t lookups_ahead[REST_MAX_CONCURRENCY], n_lookups_ahead;
	/* documents fetched ahead (rest_map.c): work files, their URLs */
	FILE *doc_files[REST_MAX_CONCURRENCY];
	char *doc_urls[REST_MAX_CONCURRENCY];
	size_t n_docs_ahead;
	FILE *export_file; /* the last async export's file (rest_export.c) */
	char *export_key;  /* the job it came from: start request + subject */
	char *export_url;  /* where it was downloaded from */
	uint64_t export_size;
	uint64_t rng; /* jitter */

	/* auth */
	enum rest_auth_type auth;
	char *auth_header; /* "Authorization: Basic ..." etc., or NULL */
	char *key_param;   /* API key in the query: its parameter name */
	char *key_value;   /* ... and value; or the bearer token (secrets) */
	char *client_id;   /* OAuth2 */
	char *client_secret;
	void *jwt_key; /* EVP_PKEY of private_key_jwt, or NULL */
	char *jwt_kid; /* its key id (the JWT header's kid), or NULL */
	char *token_url;
	char *token; /* cached access token */
	time_t token_expiry;
	/* Every secret value, to redact from URLs and body snippets. */
	const char *secrets[REST_MAX_SECRETS];
	size_t n_secrets;
	char *owned[REST_MAX_SECRETS]; /* forms made here (URL-encoded...) */
	size_t n_owned;
};

/* rest.c: 1 for https://, and for http:// to 127.0.0.0/8, ::1 or
 * localhost (the test server); 0 otherwise. */
int rest_url_safe(const char *url);

/* rest_keys.c: the keys each object of a profile may hold. */
extern const px_config_keys rest_profile_keys[];

/* rest_profile.c */
int rest_profile_load(px_source *s, px_error *err);
/* Reads and checks the profile at s->profile_path; fills s->profile and
 * s->plan. */
int rest_profile_parse(px_source *s, px_error *err);
/* A profile error: "FILE: WHERE: source NAME: ...", PX_EXIT_CONFIG. */
int rest_perr(px_source *s, px_error *err, const char *where, const char *fmt,
	      ...) PX_PRINTF(4, 5);
/* check_step() for other files: a path, query, items, pagination... */
int rest_check_step(px_source *s, const json_t *st, const char *where,
		    px_error *err);

/* rest_auth.c: reads the config's "auth" for the profile's auth type. */
int rest_auth_init(px_source *s, px_error *err);
/* Makes sure an OAuth2 token is at hand (fetched or refreshed when
 * needed); nothing to do for the other types. */
int rest_auth_ready(px_source *s, px_error *err);
/* Adds what a data request needs: a header to *hdrs, or the API key to the
 * query of url (a CURLU). Fetches or refreshes an OAuth2 token first when
 * needed. */
int rest_auth_apply(px_source *s, struct curl_slist **hdrs, CURLU *url,
		    px_error *err);
/* Drops a cached token; returns 1 when a fresh one can be asked for. */
int rest_auth_invalidate(px_source *s);
void rest_auth_free(px_source *s);
/* Registers a secret (borrowed: it must live until rest_auth_free()) and
 * the forms portex sends it in (URL-encoded; JSON-escaped), for rest_redact. */
void rest_add_secret(px_source *s, const char *secret);
/* "Authorization: Basic <base64 of user:pass>", malloc'd; the caller wipes
 * and frees it. NULL on out of memory. */
char *rest_basic_header(const char *user, const char *pass);

/* rest_jwt.c: private_key_jwt. Loads the PEM RSA key at path into
 * s->jwt_key, decrypted with passphrase (or NULL), and kid (or NULL) into
 * s->jwt_kid (both freed by rest_auth_free()); -1 with a config error. */
int rest_jwt_load_key(px_source *s, const char *path, const char *passphrase,
		      const char *kid, px_error *err);
/* A fresh signed client assertion for the token request, malloc'd; NULL
 * with err set. */
char *rest_jwt_assertion(px_source *s, px_error *err);

/* rest_http.c */
int rest_http_init(px_source *s, px_error *err);
void rest_http_free(px_source *s);
/* A GET with auth, retries and the error policy of DESIGN.md. Returns 0
 * with r filled for a 2xx, and for a 404 when allow_404; -1 with err set
 * (r released) otherwise. `what` names the step in messages. */
int rest_get(px_source *s, const char *url, const char *what, int allow_404,
	     rest_resp *r, px_error *err);
/* A form POST without data-request auth (the OAuth2 token request), with
 * the same retries. Returns 0 for a 2xx; -1 otherwise. */
int rest_post_form(px_source *s, const char *url, const char *form,
		   const char *basic_user, const char *basic_pass,
		   const char *what, rest_resp *r, px_error *err);
void rest_resp_free(rest_resp *r);
/* A printable one-line start of r's body (n - 1 bytes at most), secrets
 * redacted, "(empty)" when there is none. */
void rest_snippet(const px_source *s, const rest_resp *r, char *out, size_t n);
/* url with every secret and credential-like query value replaced by ***,
 * into out (always terminated). */
void rest_redact(const px_source *s, const char *in, char *out, size_t n);

/* A request with the options of c (NULL: a GET), with auth, retries and
 * the error policy of rest_get(). A 202 is returned only when
 * c->accept_202. */
int rest_request(px_source *s, const char *url, const char *what,
		 const rest_call *c, rest_resp *r, px_error *err);
/* Sends the first attempt of n requests (n <= REST_MAX_CONCURRENCY) at
 * once, at most s->concurrency in flight and no more than the partner's
 * RateLimit-Remaining allows, and keeps the answers: rest_request() with
 * the same URL and call (method, body, headers) then takes its answer
 * instead of sending it again, and goes on from there with the retry
 * policy (a 429, 5xx or timeout is retried as if it had been its own
 * first attempt). Answers not taken are dropped by the next
 * rest_prefetch() or rest_http_free(). A request that cannot be sent
 * ahead is simply left to rest_request(). Returns 0, or -1 with err on
 * out of memory or an auth failure. */
int rest_prefetch(px_source *s, size_t n, char *const *urls,
		  const rest_call *const *calls, const char *what,
		  px_error *err);
/* Drops the answers made ahead that no request took. */
void rest_prefetch_drop(px_source *s);
long rest_now_ms(void);
void rest_sleep_ms(long ms);

/* rest_step.c: the call a step makes (headers, method, body), with its
 * templates filled from keys. Release with rest_step_release(). */
typedef struct rest_step_req {
	rest_call call;
	struct curl_slist *hdrs; /* owned */
	char *body;		 /* owned */
} rest_step_req;
int rest_step_prepare(px_source *s, const json_t *step, const json_t *keys,
		      const char *what, rest_step_req *out, px_error *err);
void rest_step_release(rest_step_req *r);
/* The profile's "headers" (constants) -> s->static_headers. */
int rest_static_headers(px_source *s, px_error *err);
/* Adds the {key}s of a step's body and headers to needs (a JSON array). */
void rest_step_needs(const json_t *step, json_t *needs);

/* rest_rate.c */
int rest_ratelimit_header(const char *name, size_t n);
void rest_ratelimit_read(rest_resp *r, const char *name, size_t n,
			 const char *value);
/* After a response: 0, or -1 with err when the limit cannot be paced.
 * With note, also what the response says of the quota left (see
 * rest_ratelimit_note). */
int rest_ratelimit_check(px_source *s, const rest_resp *r, const char *what,
			 const char *url, int note, px_error *err);
/* Takes the quota left from a response: s->rl_left, and a pause until the
 * reset when none is left. */
void rest_ratelimit_note(px_source *s, const rest_resp *r);
/* Waits out a rate-limit reset announced by the last response. */
void rest_pace(px_source *s);
/* Milliseconds left of the source's max_source_seconds (LONG_MAX: none). */
long rest_source_time_left(const px_source *s);

/* rest_json.c */
int rest_buf_printf(rest_buf *b, const char *fmt, ...) PX_PRINTF(2, 3);
/* Parses a body keeping every non-integer number's exact digits (as a
 * px_decimal_new() value). Errors are PX_EXIT_DATA naming `what` and url. */
json_t *rest_json_parse(px_source *s, const rest_resp *r, const char *what,
			const char *url, px_error *err);
/* RFC 6901 pointer; "" is the whole document. Borrowed, or NULL. */
json_t *rest_pointer(json_t *doc, const char *ptr);
/* base_url + path template with {key} filled (URL-encoded) + query
 * template object. Returns a CURLU the caller frees, or NULL with err. */
CURLU *rest_url_build(px_source *s, const json_t *step, const json_t *keys,
		      const char *what, px_error *err);
/* tmpl with each {name} replaced by keys[name] (URL-encoded when escape),
 * malloc'd; NULL when out of memory, or when a key is missing: its name
 * (up to 127 bytes) is then in missing[128]. */
char *rest_expand(const char *tmpl, const json_t *keys, int escape,
		  char *missing);
/* Appends name=value (value URL-encoded) to url's query. */
int rest_url_add_query(CURLU *url, const char *name, const char *value);
/* The template variables ({name}) of a step's path and query, as a new
 * JSON array. */
json_t *rest_template_needs(const json_t *step);
/* An integer, or a decimal / numeric string that is one; -1 otherwise. */
int rest_json_int(const json_t *v, long long *out);
/* Base64 (standard alphabet, padding optional, whitespace ignored). Returns
 * a malloc'd buffer, or NULL when the text is not base64 (*len = 0) or on
 * out of memory (*len = 1). */
unsigned char *rest_base64_decode(const char *in, size_t n, size_t *len);
char *rest_base64_encode(const char *in, size_t n);

/* rest_page.c: fetches every page of a step (a lookup or an endpoint of
 * the profile), calling fn with each page's items (borrowed) before
 * fetching the next. Returns 0, 1 when allow_404 and the first page is a
 * 404 (a lookup's "not known here"), or -1. */
typedef int (*rest_items_fn)(void *ctx, json_t *items, px_error *err);
int rest_paginate(px_source *s, const json_t *step, const json_t *keys,
		  const char *what, int allow_404, rest_items_fn fn, void *ctx,
		  px_error *err);

/* The URL and call of a step's first page (what rest_paginate() asks
 * first, with the same allow_404), for rest_prefetch(). *url is malloc'd;
 * release sr with rest_step_release(). */
int rest_first_request(px_source *s, const json_t *step, const json_t *keys,
		       const char *what, int allow_404, char **url,
		       rest_step_req *sr, px_error *err);

/* The text of an identifier (a string, an integer, an integer past
 * int64), malloc'd; NULL for anything else (or out of memory). */
char *rest_id_text(const json_t *v);
/* 1 when a and b have the same scheme, host and port. */
int rest_same_origin(const char *a, const char *b);

/* rest_export.c: an asynchronous export job (the endpoint's "export"):
 * started, polled until done, its file downloaded and its rows handed to
 * fn a page at a time. */
int rest_export_check(px_source *s, const json_t *ex, const char *where,
		      px_error *err);
int rest_export_run(px_source *s, const json_t *step, const json_t *keys,
		    const char *what, rest_items_fn fn, void *ctx,
		    px_error *err);
/* Drops the export file kept for the next endpoint of the same job. */
void rest_export_free(px_source *s);

/* rest_rows.c: the rows of an export's file f (size bytes, any position)
 * in the endpoint's "export" format, handed to fn a batch at a time.
 * Errors name `what` and url (the file's, for messages). */
int rest_rows_file(px_source *s, const json_t *ex, FILE *f, uint64_t size,
		   const char *what, const char *url, rest_items_fn fn,
		   void *ctx, px_error *err);

/* rest_map.c: one item -> one record, emitted. `n` is the record's number
 * in the collection (1-based) for messages. */
int rest_map_emit(px_source *s, const json_t *step, json_t *item, size_t n,
		  px_emit_fn emit, void *ctx, px_error *err);
/* With a "content" field converted by "download": the documents of items
 * [from, from + k) (k <= REST_MAX_CONCURRENCY) fetched at once, each into
 * a work file of its own, within rest_prefetch()'s bounds; mapping those
 * items then takes them. Returns 0, or -1 with err. */
int rest_map_docs_ahead(px_source *s, const json_t *step, json_t *items,
			size_t from, size_t k, px_error *err);
/* Frees what rest_map_docs_ahead() keeps. */
void rest_map_free(px_source *s);
/* Checks a step's "fields" map at load time. */
int rest_map_check(px_source *s, const json_t *fields, const char *where,
		   px_error *err);

#endif
