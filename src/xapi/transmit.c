/*
 * transmit.c - xAPI statements to an LRS, one batch per POST (lrs.h).
 *
 * Statements are read one at a time from the array and sent as the bytes
 * the package holds (exact numbers stay exact); only the batch in flight
 * is in memory. A batch is confirmed by 204, or by 200 with ids from that
 * batch (one it does not name is read back with GET ?statementId=);
 * anything else an LRS would not say (no version header, an id list that
 * is not the batch's) is a failure, not a success. A 409 is
 * narrowed down by sending that batch's statements one by one, so the
 * error names the statement the LRS holds differently.
 *
 * OAuth2: a bearer token from the client-credentials grant, asked for
 * before the first request and again shortly before it expires or once
 * after a 401 (an LRS may revoke it early). Every credential, its
 * encoded forms and the token are redacted from what reaches a message
 * (px_redact, shared with the REST connector).
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "httpshare.h"
#include "jsonout.h"
#include "xapi/lrs.h"

#define MAX_STATEMENT (1u << 20) /* bytes; portex writes far smaller */
#define MAX_ANSWER    (1u << 20)

/* ---- reading the statement array ------------------------------------- */

struct reader {
	FILE *in;
	int started, done;
	uint64_t n; /* statements read */
};

static int skip_ws(FILE *in)
{
	int c;

	while ((c = getc(in)) != EOF &&
	       (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
		;
	return c;
}

static int bad_file(const struct reader *rd, px_error *err, const char *what)
{
	return px_error_set(err, PX_EXIT_DATA,
			    "xapi/statements.json: after statement %llu: %s",
			    (unsigned long long)rd->n, what);
}

/* The next statement's JSON text into b: 1, or 0 at the end, or -1. */
static int next_statement(struct reader *rd, px_buf *b, px_error *err)
{
	int c, depth = 0, in_str = 0, esc = 0;

	b->len = 0;
	if (rd->done)
		return 0;
	c = skip_ws(rd->in);
	if (!rd->started) {
		if (c != '[')
			return bad_file(rd, err, "not a JSON array");
		rd->started = 1;
		c = skip_ws(rd->in);
		if (c == ']')
			goto end;
	} else if (c == ']') {
		goto end;
	} else if (c != ',') {
		return bad_file(rd, err, "expected ',' or ']'");
	} else {
		c = skip_ws(rd->in);
	}
	if (c != '{')
		return bad_file(rd, err, "expected a statement (an object)");
	do {
		char ch = (char)c;

		if (px_buf_add(b, &ch, 1))
			return px_error_oom(err);
		if (b->len > MAX_STATEMENT)
			return bad_file(rd, err, "statement over 1 MB");
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			depth--;
		}
		if (!depth)
			break;
	} while ((c = getc(rd->in)) != EOF);
	if (depth)
		return bad_file(rd, err,
				ferror(rd->in) ? strerror(errno)
					       : "truncated statement");
	rd->n++;
	return 1;
end:
	rd->done = 1;
	if (skip_ws(rd->in) != EOF)
		return bad_file(rd, err, "text after the array");
	return 0;
}

/* The statement's id (a UUID, as portex writes them) into id. */
static int statement_id(const struct reader *rd, const px_buf *b, char id[37],
			px_error *err)
{
	json_error_t jerr;
	json_t *st = px_json_load_exact(b->data, b->len, 0, &jerr, NULL);
	const char *v = json_string_value(json_object_get(st, "id"));
	int ok = v && strlen(v) == 36;

	if (ok)
		memcpy(id, v, 37);
	json_decref(st);
	if (!st)
		return px_error_set(err, PX_EXIT_DATA,
				    "xapi/statements.json: statement %llu: "
				    "not JSON (%s)",
				    (unsigned long long)rd->n, jerr.text);
	if (!ok)
		return px_error_set(err, PX_EXIT_DATA,
				    "xapi/statements.json: statement %llu: "
				    "no \"id\" (a UUID): it could be stored "
				    "twice",
				    (unsigned long long)rd->n);
	return 0;
}

/* ---- one POST ---------------------------------------------------------- */

struct batch {
	px_buf body;	/* "[s1,s2,...]" */
	size_t *start;	/* offset of each statement in body */
	size_t *len;	/* its length */
	char (*id)[37]; /* its id */
	uint64_t first; /* number (1-based) of the first in the file */
	long n;
};

#define MAX_FORMS 6

struct sender {
	const px_lrs *lrs;
	CURL *curl;  /* the Statement API */
	CURL *tcurl; /* the token endpoint, made on first use */
	char url[1024];
	char curl_err[CURL_ERROR_SIZE];
	px_buf answer;
	char version[32];
	char retry_after[64]; /* the last answer's Retry-After, or "" */
	long status;
	long backoff_ms;
	char *token;		/* OAuth2 access token, or NULL */
	long refresh_at;	/* monotonic seconds; 0: no expiry */
	char *forms[MAX_FORMS]; /* encoded forms of the secrets, to redact */
	px_lrs_report *r;
};

/* One HTTP request: a POST of body (len bytes) or, body NULL, a GET. */
struct call {
	CURL *curl;
	const char *url, *what;
	const char *body;
	size_t len;
	const char *ctype; /* the POST's Content-Type */
	int lrs;	   /* to the LRS: version header, credentials */
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct sender *s = ctx;
	size_t len = size * n;

	if (s->answer.len + len > MAX_ANSWER)
		return len; /* the rest is not needed to judge the answer */
	return px_buf_add(&s->answer, p, len) ? 0 : len;
}

/* The value of header `name` (lower case, with ':') in p, into out. */
static void header_value(const char *p, size_t len, const char *name, char *out,
			 size_t n)
{
	size_t nn = strlen(name), vn;
	const char *v;

	if (len <= nn || strncasecmp(p, name, nn))
		return;
	v = p + nn;
	vn = len - nn;
	while (vn && (*v == ' ' || *v == '\t'))
		v++, vn--;
	while (vn && isspace((unsigned char)v[vn - 1]))
		vn--;
	if (vn >= n)
		vn = n - 1;
	memcpy(out, v, vn);
	out[vn] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct sender *s = ctx;
	size_t len = size * n;

	header_value(p, len, "x-experience-api-version:", s->version,
		     sizeof(s->version));
	header_value(p, len, "retry-after:", s->retry_after,
		     sizeof(s->retry_after));
	return len;
}

static void wipe(char **p)
{
	if (*p) {
		OPENSSL_cleanse(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

/* A secret's forms as portex sends it: base64 of id:secret (Basic),
 * URL-encoded (a form). An LRS or token endpoint echoing a request must
 * not put them in a message either. */
static int add_basic_form(struct sender *s, int k, const char *user,
			  const char *pw)
{
	size_t n = strlen(user) + strlen(pw) + 1;
	char *pair = malloc(n + 1);
	unsigned char *b64 = malloc(4 * ((n + 2) / 3) + 1);
	int rc = pair && b64 ? 0 : -1;

	if (!rc) {
		snprintf(pair, n + 1, "%s:%s", user, pw);
		EVP_EncodeBlock(b64, (const unsigned char *)pair, (int)n);
		s->forms[k] = (char *)b64;
		b64 = NULL;
	}
	wipe(&pair);
	free(b64);
	return rc;
}

static int make_forms(struct sender *s, px_error *err)
{
	const px_lrs *l = s->lrs;
	char *esc;

	if (l->username && add_basic_form(s, 0, l->username, l->password))
		return px_error_oom(err);
	if (l->token_url) {
		if (add_basic_form(s, 1, l->client_id, l->client_secret))
			return px_error_oom(err);
		if (!(esc = curl_easy_escape(NULL, l->client_secret, 0)))
			return px_error_oom(err);
		s->forms[2] = strdup(esc);
		OPENSSL_cleanse(esc, strlen(esc));
		curl_free(esc);
		if (!s->forms[2])
			return px_error_oom(err);
	}
	return 0;
}

/* text with every credential and the token masked (px_redact). */
static void redact(const struct sender *s, const char *text, char *out,
		   size_t n)
{
	const char *all[MAX_FORMS + 3] = {s->lrs->password,
					  s->lrs->client_secret, s->token};
	size_t k = 3;

	for (int i = 0; i < MAX_FORMS; i++)
		all[k++] = s->forms[i];
	px_redact(all, k, text, out, n);
}

/* A printable excerpt of the answer, with every credential masked. */
static void snippet(const struct sender *s, char *out, size_t n)
{
	char *text = malloc(s->answer.len + 1);

	if (!text) {
		snprintf(out, n, "(body not shown: out of memory)");
		return;
	}
	memcpy(text, s->answer.data ? s->answer.data : "", s->answer.len);
	text[s->answer.len] = '\0';
	redact(s, text, out, n);
	free(text);
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	if (!*out)
		snprintf(out, n, "(empty body)");
}

static CURL *new_handle(struct sender *s, px_error *err)
{
	CURL *c = curl_easy_init();
	const char *ca = s->lrs->ca_file;

	if (!c) {
		px_error_oom(err);
		return NULL;
	}
	if (!ca && (ca = getenv("CURL_CA_BUNDLE")) && !*ca)
		ca = NULL;
	if (!ca && (ca = getenv("SSL_CERT_FILE")) && !*ca)
		ca = NULL;
	if (curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->curl_err) ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, s) ||
	    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) ||
	    curl_easy_setopt(c, CURLOPT_HEADERDATA, s) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, s->lrs->timeout) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
			     s->lrs->timeout < 30 ? s->lrs->timeout : 30L) ||
	    (ca && curl_easy_setopt(c, CURLOPT_CAINFO, ca))) {
		curl_easy_cleanup(c);
		px_error_set(err, PX_EXIT_SOFTWARE,
			     "libcurl refused an option");
		return NULL;
	}
	return c;
}

static int setup(struct sender *s, px_error *err)
{
	CURL *c;

	if (make_forms(s, err) || !(c = s->curl = new_handle(s, err)))
		return -1;
	snprintf(s->url, sizeof(s->url), "%sstatements", s->lrs->endpoint);
	if (s->lrs->username &&
	    (curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) ||
	     curl_easy_setopt(c, CURLOPT_USERNAME, s->lrs->username) ||
	     curl_easy_setopt(c, CURLOPT_PASSWORD, s->lrs->password)))
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "libcurl refused the credentials option");
	return 0;
}

static int transient(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
	       rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ||
	       rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE ||
	       rc == CURLE_COULDNT_RESOLVE_HOST;
}

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static long now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec;
}

static int fetch_token(struct sender *s, px_error *err);

/* The headers of one attempt (the bearer token may have changed). */
static struct curl_slist *headers_for(const struct sender *s,
				      const struct call *q)
{
	struct curl_slist *h = NULL, *t;
	char ctype[96], bearer[4096];
	const char *lines[5] = {"Expect:", NULL, NULL, NULL, NULL};
	int k = 1;

	if (q->body) {
		snprintf(ctype, sizeof(ctype), "Content-Type: %s", q->ctype);
		lines[k++] = ctype;
	}
	if (q->lrs)
		lines[k++] = "X-Experience-API-Version: 1.0.3";
	else
		lines[k++] = "Accept: application/json";
	if (q->lrs && s->token) {
		if ((size_t)snprintf(bearer, sizeof(bearer),
				     "Authorization: Bearer %s",
				     s->token) >= sizeof(bearer))
			return NULL; /* refused by fetch_token already */
		lines[k++] = bearer;
	}
	for (int i = 0; i < k; i++) {
		if (!(t = curl_slist_append(h, lines[i]))) {
			curl_slist_free_all(h);
			h = NULL;
			break;
		}
		h = t;
	}
	OPENSSL_cleanse(bearer, sizeof(bearer));
	return h;
}

/* Sends q; returns the HTTP status (retrying transient failures, 429
 * and 5xx, waiting as Retry-After says; with OAuth2 a 401 once more
 * with a fresh token), or -1 with err. */
static long perform(struct sender *s, const struct call *q, px_error *err)
{
	const char *method = q->body ? "POST" : "GET";
	struct curl_slist *h = NULL;
	char why[CURL_ERROR_SIZE + 64] = "", body_txt[300], url[1100];
	long wait = s->backoff_ms, status = -1;
	int oauth2 = q->lrs && s->lrs->token_url, refreshed = 0;

	redact(s, q->url, url, sizeof(url));
	if (q->body) {
		curl_easy_setopt(q->curl, CURLOPT_POSTFIELDS, q->body);
		curl_easy_setopt(q->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)q->len);
	} else {
		curl_easy_setopt(q->curl, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(q->curl, CURLOPT_URL, q->url);
	for (long n = 1;; n++) {
		CURLcode rc;
		double after = -1;

		if (oauth2 && (!s->token ||
			       (s->refresh_at && now_s() >= s->refresh_at))) {
			if (fetch_token(s, err)) {
				status = -1;
				break;
			}
		}
		curl_slist_free_all(h);
		if (!(h = headers_for(s, q))) {
			status = px_error_oom(err);
			break;
		}
		curl_easy_setopt(q->curl, CURLOPT_HTTPHEADER, h);
		s->answer.len = 0;
		s->version[0] = s->curl_err[0] = s->retry_after[0] = '\0';
		rc = curl_easy_perform(q->curl);
		if (rc == CURLE_OK) {
			curl_easy_getinfo(q->curl, CURLINFO_RESPONSE_CODE,
					  &status);
			if (status == 401 && oauth2 && !refreshed) {
				/* An expired or revoked token: one fresh
				 * token, then a 401 is final. */
				refreshed = 1;
				wipe(&s->token);
				n--;
				continue;
			}
			if (status != 429 && status < 500)
				break;
			snippet(s, body_txt, sizeof(body_txt));
			snprintf(why, sizeof(why), "HTTP %ld: %s", status,
				 body_txt);
			/* Unreadable: the usual backoff, as the REST
			 * connector does. */
			if ((status == 429 || status == 503) &&
			    s->retry_after[0])
				after = px_retry_after(s->retry_after);
			if (after > (double)s->lrs->max_wait) {
				status = px_error_set(
				    err, PX_EXIT_UNAVAILABLE,
				    "LRS %s: %s %s (%s): HTTP %ld: the LRS "
				    "asks to wait %.0f s (Retry-After: %s), "
				    "more than max_wait_seconds (%ld): try "
				    "again later; nothing after the statements "
				    "confirmed so far was sent",
				    s->lrs->name, method, url, q->what, status,
				    after, s->retry_after, s->lrs->max_wait);
				break;
			}
		} else {
			snprintf(why, sizeof(why), "%s",
				 s->curl_err[0] ? s->curl_err
						: curl_easy_strerror(rc));
			if (!transient(rc)) {
				status = px_error_set(err, PX_EXIT_UNAVAILABLE,
						      "LRS %s: %s %s (%s): %s",
						      s->lrs->name, method, url,
						      q->what, why);
				break;
			}
		}
		if (n >= s->lrs->attempts) {
			status = px_error_set(
			    err, PX_EXIT_UNAVAILABLE,
			    "LRS %s: %s %s (%s): %s (gave up after %ld "
			    "attempts)",
			    s->lrs->name, method, url, q->what, why, n);
			break;
		}
		/* after <= max_wait (a day at most): in range of a long */
		pause_ms(after >= 0 ? (long)(after * 1000) : wait);
		wait = wait * 2 > 8000 ? 8000 : wait * 2;
	}
	curl_easy_setopt(q->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	if (status >= 0 && q->lrs)
		s->r->status = status;
	return status;
}

/* The client-credentials grant (RFC 6749 4.4), the client authenticated
 * with HTTP Basic (2.3.1). */
static int fetch_token(struct sender *s, px_error *err)
{
	const px_lrs *l = s->lrs;
	px_buf form = {0};
	struct call q = {0};
	char body[300], url[1100], *esc = NULL;
	const char *why;
	json_error_t jerr;
	json_t *doc = NULL;
	long long ttl;
	long status;
	int rc = -1;

	wipe(&s->token);
	if (!s->tcurl &&
	    (!(s->tcurl = new_handle(s, err)) ||
	     curl_easy_setopt(s->tcurl, CURLOPT_HTTPAUTH,
			      (long)CURLAUTH_BASIC) ||
	     curl_easy_setopt(s->tcurl, CURLOPT_USERNAME, l->client_id) ||
	     curl_easy_setopt(s->tcurl, CURLOPT_PASSWORD, l->client_secret)))
		return s->tcurl ? px_error_set(err, PX_EXIT_SOFTWARE,
					       "libcurl refused the "
					       "credentials option")
				: -1;
	static const char grant[] = "grant_type=client_credentials";
	if (px_buf_add(&form, grant, sizeof(grant) - 1) ||
	    (l->scope && (!(esc = curl_easy_escape(NULL, l->scope, 0)) ||
			  px_buf_add(&form, "&scope=", 7) ||
			  px_buf_add(&form, esc, strlen(esc)))) ||
	    px_buf_add(&form, "", 1)) {
		curl_free(esc);
		px_buf_free(&form);
		return px_error_oom(err);
	}
	curl_free(esc);
	q.curl = s->tcurl;
	q.url = l->token_url;
	q.what = "OAuth2 token, client credentials";
	q.body = form.data;
	q.len = form.len - 1;
	q.ctype = "application/x-www-form-urlencoded";
	redact(s, l->token_url, url, sizeof(url));
	if ((status = perform(s, &q, err)) < 0)
		goto out;
	snippet(s, body, sizeof(body));
	if (status != 200) {
		int refused = status == 400 || status == 401 || status == 403;

		px_error_set(err,
			     refused ? PX_EXIT_CONFIG : PX_EXIT_UNAVAILABLE,
			     "LRS %s: OAuth2 token: POST %s: HTTP %ld: %s: %s",
			     l->name, url, status,
			     refused ? "client credentials refused: check "
				       "oauth2.client_id, client_secret and "
				       "scope"
				     : "not what a token endpoint answers to "
				       "the client-credentials grant",
			     body);
		goto out;
	}
	/* A broken answer may hold a token that is not redacted yet: its
	 * body is not shown. */
	doc = json_loadb(s->answer.data ? s->answer.data : "", s->answer.len, 0,
			 &jerr);
	if (!doc || px_oauth2_answer(doc, &s->token, &ttl, &why)) {
		px_error_set(err, PX_EXIT_UNAVAILABLE,
			     "LRS %s: OAuth2 token: POST %s: HTTP 200: the "
			     "answer is %s%s (body not shown)",
			     l->name, url, doc ? "not a token: it has " : "",
			     doc ? why : "not JSON");
		goto out;
	}
	if (strlen(s->token) > 3000) {
		wipe(&s->token);
		px_error_set(err, PX_EXIT_UNAVAILABLE,
			     "LRS %s: OAuth2 token: POST %s: the access "
			     "token is over 3000 bytes",
			     l->name, url);
		goto out;
	}
	s->refresh_at = px_oauth2_refresh_at(now_s(), ttl);
	rc = 0;
out:
	json_decref(doc);
	if (s->answer.data)
		OPENSSL_cleanse(s->answer.data, s->answer.len);
	s->answer.len = 0;
	px_buf_free(&form);
	return rc;
}

/* POSTs body to <endpoint>statements, or with body NULL GETs the
 * statement `get_id`: perform() on the Statement API. */
static long exchange(struct sender *s, const px_buf *body, const char *get_id,
		     const char *what, px_error *err)
{
	char url[1100];
	struct call q = {0};

	q.curl = s->curl;
	q.what = what;
	q.lrs = 1;
	q.url = url;
	if (body) {
		snprintf(url, sizeof(url), "%s", s->url);
		q.body = body->data;
		q.len = body->len;
		q.ctype = "application/json; charset=utf-8";
	} else {
		snprintf(url, sizeof(url), "%s?statementId=%s", s->url, get_id);
	}
	return perform(s, &q, err);
}

/* ---- judging the answer ---------------------------------------------- */

static int bad_answer(struct sender *s, const char *what, const char *why,
		      px_error *err)
{
	char body[300];

	snippet(s, body, sizeof(body));
	return px_error_set(err, PX_EXIT_UNAVAILABLE,
			    "LRS %s: POST %s (%s): HTTP %ld: %s, which no "
			    "xAPI 1.0.3 LRS answers: %s",
			    s->lrs->name, s->url, what, s->status, why, body);
}

/* A statement the 200 did not name: confirmed only when the LRS returns
 * it (GET ?statementId=), so a batch is never taken as stored on an
 * answer that leaves some of it out. */
static int held_by_lrs(struct sender *s, const struct batch *b, long k,
		       px_error *err)
{
	char what[96], body[300];
	long status;

	snprintf(what, sizeof(what),
		 "statement %llu, id %s, not named in the answer to its POST",
		 (unsigned long long)(b->first + (uint64_t)k), b->id[k]);
	if ((status = exchange(s, NULL, b->id[k], what, err)) < 0)
		return -1;
	if (status == 200)
		return 0;
	snippet(s, body, sizeof(body));
	return px_error_set(err, PX_EXIT_UNAVAILABLE,
			    "LRS %s: GET %s?statementId=%s (%s): HTTP %ld: "
			    "the LRS answered 200 to the POST but does not "
			    "return the statement: %s",
			    s->lrs->name, s->url, b->id[k], what, status, body);
}

/* 200: the body lists ids of the batch's statements; any it leaves out
 * must be readable from the LRS. */
static int ids_are_the_batch(struct sender *s, const struct batch *b,
			     const char *what, px_error *err)
{
	json_error_t jerr;
	json_t *a = json_loadb(s->answer.data ? s->answer.data : "",
			       s->answer.len, 0, &jerr);
	char *named = calloc((size_t)b->n, 1);
	size_t i;
	json_t *v;
	int ok = json_is_array(a) && json_array_size(a) <= (size_t)b->n;
	int rc = 0;

	if (!named) {
		json_decref(a);
		return px_error_oom(err);
	}
	json_array_foreach (a, i, v) {
		const char *id = json_string_value(v);
		long k;

		for (k = 0; id && k < b->n; k++)
			if (!strcasecmp(id, b->id[k]))
				break;
		if (!id || k == b->n)
			ok = 0;
		else
			named[k] = 1;
	}
	json_decref(a);
	if (!ok)
		rc = bad_answer(s, what,
				"its body is not the list of the statement ids "
				"sent",
				err);
	for (long k = 0; !rc && k < b->n; k++)
		if (!named[k])
			rc = held_by_lrs(s, b, k, err);
	free(named);
	return rc;
}

static int send_batch(struct sender *s, struct batch *b, px_error *err);

/* 409 on a batch: one POST per statement finds which one conflicts. */
static int narrow_conflict(struct sender *s, const struct batch *b,
			   px_error *err)
{
	struct batch one = {0};
	size_t start = 0, len = 0;
	int rc = 0;

	one.start = &start;
	one.len = &len;
	one.n = 1;
	for (long k = 0; k < b->n && !rc; k++) {
		one.body.len = 0;
		one.id = &b->id[k];
		one.first = b->first + (uint64_t)k;
		start = 1;
		len = b->len[k];
		if (px_buf_add(&one.body, "[", 1) ||
		    px_buf_add(&one.body, b->body.data + b->start[k],
			       b->len[k]) ||
		    px_buf_add(&one.body, "]", 1))
			rc = px_error_oom(err);
		else
			rc = send_batch(s, &one, err);
	}
	px_buf_free(&one.body);
	return rc;
}

static int send_batch(struct sender *s, struct batch *b, px_error *err)
{
	char what[96], body[300];

	if (b->n == 1)
		snprintf(what, sizeof(what), "statement %llu, id %s",
			 (unsigned long long)b->first, b->id[0]);
	else
		snprintf(what, sizeof(what), "statements %llu-%llu",
			 (unsigned long long)b->first,
			 (unsigned long long)(b->first + (uint64_t)b->n - 1));
	if ((s->status = exchange(s, &b->body, NULL, what, err)) < 0)
		return -1;
	snippet(s, body, sizeof(body));
	switch (s->status) {
	case 200:
	case 204:
		if (!s->version[0])
			return bad_answer(
			    s, what, "no X-Experience-API-Version header", err);
		if (s->status == 200 && ids_are_the_batch(s, b, what, err))
			return -1;
		if (s->status == 204)
			s->r->held += (uint64_t)b->n;
		snprintf(s->r->version, sizeof(s->r->version), "%s",
			 s->version);
		return 0;
	case 409:
		if (b->n > 1)
			return narrow_conflict(s, b, err);
		snprintf(s->r->conflict, sizeof(s->r->conflict), "%s",
			 b->id[0]);
		return px_error_set(err, PX_EXIT_DATA,
				    "LRS %s: POST %s (%s): HTTP 409 Conflict: "
				    "the LRS holds a different statement with "
				    "this id (sent from another package, or "
				    "changed since); nothing after it was "
				    "sent: %s",
				    s->lrs->name, s->url, what, body);
	case 400:
		return px_error_set(err, PX_EXIT_DATA,
				    "LRS %s: POST %s (%s): HTTP 400: the LRS "
				    "refuses the statements: %s",
				    s->lrs->name, s->url, what, body);
	case 401:
	case 403:
		return px_error_set(
		    err, PX_EXIT_CONFIG,
		    "LRS %s: POST %s: HTTP %ld: credentials "
		    "refused (%s): %s: %s",
		    s->lrs->name, s->url, s->status,
		    s->lrs->token_url  ? "an OAuth2 bearer token, refreshed "
					 "once"
		    : s->lrs->username ? "Basic, as configured"
				       : "none were given",
		    s->lrs->token_url ? "check the client's rights at the "
					"LRS (oauth2.scope)"
				      : "check the LRS's username and "
					"password",
		    body);
	case 404:
	case 405:
		return px_error_set(err, PX_EXIT_CONFIG,
				    "LRS %s: POST %s: HTTP %ld: no xAPI "
				    "Statement API there: check the endpoint "
				    "(it ends before \"statements\"): %s",
				    s->lrs->name, s->url, s->status, body);
	case 413:
		return px_error_set(err, PX_EXIT_CONFIG,
				    "LRS %s: POST %s (%s): HTTP 413: batch too "
				    "large for this LRS: lower batch_size "
				    "(%ld now)",
				    s->lrs->name, s->url, what, s->lrs->batch);
	default:
		return bad_answer(s, what, "an unexpected status", err);
	}
}

/* ---- the whole file ------------------------------------------------------ */

static int add_to_batch(struct batch *b, const px_buf *st, px_error *err)
{
	if (px_buf_add(&b->body, b->n ? "," : "[", 1))
		return px_error_oom(err);
	b->start[b->n] = b->body.len;
	b->len[b->n] = st->len;
	if (px_buf_add(&b->body, st->data, st->len))
		return px_error_oom(err);
	b->n++;
	return 0;
}

static int flush(struct sender *s, struct batch *b, px_lrs_progress_fn fn,
		 void *ctx, px_error *err)
{
	if (!b->n)
		return 0;
	if (px_buf_add(&b->body, "]", 1))
		return px_error_oom(err);
	if (send_batch(s, b, err))
		return -1;
	s->r->batches++;
	s->r->confirmed += (uint64_t)b->n;
	b->first += (uint64_t)b->n;
	b->n = 0;
	b->body.len = 0;
	return fn ? fn(ctx, s->r, err) : 0;
}

int px_lrs_send(const px_lrs *lrs, FILE *in, uint64_t resume_from,
		px_lrs_progress_fn progress, void *ctx, px_lrs_report *r,
		px_error *err)
{
	struct reader rd = {in, 0, 0, 0};
	struct sender s = {0};
	struct batch b = {0};
	const char *env = getenv("PORTEX_BACKOFF_MS");
	px_buf st = {0};
	int rc, got;

	memset(r, 0, sizeof(*r));
	r->confirmed = resume_from;
	s.lrs = lrs;
	s.r = r;
	s.backoff_ms = env && atol(env) > 0 ? atol(env) : 500;
	b.first = resume_from + 1;
	b.start = calloc((size_t)lrs->batch, sizeof(*b.start));
	b.len = calloc((size_t)lrs->batch, sizeof(*b.len));
	b.id = calloc((size_t)lrs->batch, sizeof(*b.id));
	rc = !b.start || !b.len || !b.id ? px_error_oom(err) : setup(&s, err);
	while (!rc && (got = next_statement(&rd, &st, err)) != 0) {
		if (got < 0) {
			rc = -1;
			break;
		}
		r->statements = rd.n;
		if (rd.n <= resume_from)
			continue;
		rc = statement_id(&rd, &st, b.id[b.n], err) ||
		     add_to_batch(&b, &st, err);
		if (!rc && b.n == lrs->batch)
			rc = flush(&s, &b, progress, ctx, err);
	}
	if (!rc && rd.n < resume_from)
		rc = px_error_set(err, PX_EXIT_DATA,
				  "xapi/statements.json holds %llu statements, "
				  "fewer than the %llu an earlier run had "
				  "confirmed: not the same file",
				  (unsigned long long)rd.n,
				  (unsigned long long)resume_from);
	if (!rc)
		rc = flush(&s, &b, progress, ctx, err);
	curl_easy_cleanup(s.curl);
	curl_easy_cleanup(s.tcurl);
	wipe(&s.token);
	for (int i = 0; i < MAX_FORMS; i++)
		wipe(&s.forms[i]);
	px_buf_free(&s.answer);
	px_buf_free(&b.body);
	px_buf_free(&st);
	free(b.start);
	free(b.len);
	free(b.id);
	return rc;
}
