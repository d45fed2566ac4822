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
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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

struct sender {
	const px_lrs *lrs;
	CURL *curl;
	char url[1024];
	char curl_err[CURL_ERROR_SIZE];
	px_buf answer;
	char version[32];
	long status;
	long backoff_ms;
	px_lrs_report *r;
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct sender *s = ctx;
	size_t len = size * n;

	if (s->answer.len + len > MAX_ANSWER)
		return len; /* the rest is not needed to judge the answer */
	return px_buf_add(&s->answer, p, len) ? 0 : len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct sender *s = ctx;
	size_t len = size * n;
	static const char name[] = "x-experience-api-version:";

	if (len > sizeof(name) - 1 && !strncasecmp(p, name, sizeof(name) - 1)) {
		const char *v = p + sizeof(name) - 1;
		size_t vn = len - (sizeof(name) - 1);

		while (vn && (*v == ' ' || *v == '\t'))
			v++, vn--;
		while (vn && isspace((unsigned char)v[vn - 1]))
			vn--;
		if (vn >= sizeof(s->version))
			vn = sizeof(s->version) - 1;
		memcpy(s->version, v, vn);
		s->version[vn] = '\0';
	}
	return len;
}

/* A printable excerpt of the answer, with the password (should an LRS
 * echo it) masked. */
static void snippet(const struct sender *s, char *out, size_t n)
{
	size_t j = 0;
	const char *pw = s->lrs->password;

	for (size_t i = 0; i < s->answer.len && j + 4 < n; i++) {
		unsigned char c = (unsigned char)s->answer.data[i];

		if (pw && *pw && s->answer.len - i >= strlen(pw) &&
		    !memcmp(s->answer.data + i, pw, strlen(pw))) {
			memcpy(out + j, "***", 3);
			j += 3;
			i += strlen(pw) - 1;
			continue;
		}
		out[j++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	out[j] = '\0';
	if (!j)
		snprintf(out, n, "(empty body)");
}

static int setup(struct sender *s, px_error *err)
{
	CURL *c = s->curl = curl_easy_init();
	const char *ca = s->lrs->ca_file;

	if (!c)
		return px_error_oom(err);
	if (!ca && (ca = getenv("CURL_CA_BUNDLE")) && !*ca)
		ca = NULL;
	if (!ca && (ca = getenv("SSL_CERT_FILE")) && !*ca)
		ca = NULL;
	snprintf(s->url, sizeof(s->url), "%sstatements", s->lrs->endpoint);
	if (curl_easy_setopt(c, CURLOPT_URL, s->url) ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") ||
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
	    (ca && curl_easy_setopt(c, CURLOPT_CAINFO, ca)))
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "libcurl refused an option");
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

/* POSTs body to <endpoint>statements, or with body NULL GETs the
 * statement `get_id`; returns the HTTP status (retrying transient
 * failures and 429/5xx), or -1 with err. */
static long exchange(struct sender *s, const px_buf *body, const char *get_id,
		     const char *what, px_error *err)
{
	const char *method = body ? "POST" : "GET";
	char url[1100];
	struct curl_slist *h = NULL, *t;
	char why[CURL_ERROR_SIZE + 64] = "", body_txt[300];
	long wait = s->backoff_ms, status = -1;

	static const char *const headers[] = {
	    "Content-Type: application/json; charset=utf-8",
	    "X-Experience-API-Version: 1.0.3", "Expect:", NULL};
	for (int i = 0; headers[i]; i++) {
		if (!(t = curl_slist_append(h, headers[i]))) {
			curl_slist_free_all(h);
			return px_error_oom(err);
		}
		h = t;
	}
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, h);
	if (body) {
		snprintf(url, sizeof(url), "%s", s->url);
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body->data);
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)body->len);
	} else {
		snprintf(url, sizeof(url), "%s?statementId=%s", s->url, get_id);
		curl_easy_setopt(s->curl, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	for (long n = 1;; n++) {
		CURLcode rc;

		s->answer.len = 0;
		s->version[0] = s->curl_err[0] = '\0';
		rc = curl_easy_perform(s->curl);
		if (rc == CURLE_OK) {
			curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE,
					  &status);
			if (status != 429 && status < 500)
				break;
			snippet(s, body_txt, sizeof(body_txt));
			snprintf(why, sizeof(why), "HTTP %ld: %s", status,
				 body_txt);
		} else {
			snprintf(why, sizeof(why), "%s",
				 s->curl_err[0] ? s->curl_err
						: curl_easy_strerror(rc));
			if (!transient(rc)) {
				status = -1;
				px_error_set(err, PX_EXIT_UNAVAILABLE,
					     "LRS %s: %s %s (%s): %s",
					     s->lrs->name, method, url, what,
					     why);
				break;
			}
		}
		if (n >= s->lrs->attempts) {
			status = -1;
			px_error_set(err, PX_EXIT_UNAVAILABLE,
				     "LRS %s: %s %s (%s): %s (gave up after "
				     "%ld attempts)",
				     s->lrs->name, method, url, what, why, n);
			break;
		}
		pause_ms(wait);
		wait = wait * 2 > 8000 ? 8000 : wait * 2;
	}
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	if (status >= 0)
		s->r->status = status;
	return status;
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
		return px_error_set(err, PX_EXIT_CONFIG,
				    "LRS %s: POST %s: HTTP %ld: credentials "
				    "refused (%s): check the LRS's username "
				    "and password: %s",
				    s->lrs->name, s->url, s->status,
				    s->lrs->username ? "Basic, as configured"
						     : "none were given",
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
	px_buf_free(&s.answer);
	px_buf_free(&b.body);
	px_buf_free(&st);
	free(b.start);
	free(b.len);
	free(b.id);
	return rc;
}
