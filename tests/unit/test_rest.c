/*
 * test_rest.c - the REST driver, directly (open / resolve / fetch into a
 * recording sink), against the real mock partner server
 * (tests/mock/server.py, started here on 127.0.0.1 and stopped at the
 * end), plus its pure helpers: exact numbers, base64, redaction.
 */
#include "unit.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../connectors/rest.h"

extern const px_connector px_connector_rest;

#define GEN_USER  "gen-user"
#define GEN_PASS  "gen-pass-77aa0c1d"
#define GEN_TOKEN "gen-token-55bb9e2f"
#define GEN_KEY	  "gen-key-31cc8d4a"

static pid_t mock_pid;
static char url[64], tmpdir[64] = "/tmp/px-rest-XXXXXX";

/* ---- the mock server ------------------------------------------------ */

static size_t sink_body(char *p, size_t s, size_t n, void *ud)
{
	char *out = ud;
	size_t have = strlen(out), add = s * n;

	if (have + add < 4096) {
		memcpy(out + have, p, add);
		out[have + add] = '\0';
	}
	return s * n;
}

static void mock_call(const char *path, const char *post, char *out)
{
	CURL *c = curl_easy_init();
	char u[256], buf[4096] = "";

	snprintf(u, sizeof(u), "%s%s", url, path);
	curl_easy_setopt(c, CURLOPT_URL, u);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, buf);
	if (post)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_cleanup(c);
	if (out)
		strcpy(out, buf);
}

static long long mock_stat(const char *name)
{
	char buf[4096];
	json_t *j;
	long long v;

	mock_call("/_stats", NULL, buf);
	j = json_loads(buf, 0, NULL);
	assert_non_null(j);
	v = json_integer_value(json_object_get(j, name));
	json_decref(j);
	return v;
}

static int start_mock(void **state)
{
	char port_file[128], port[16] = "";
	FILE *f;

	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(port_file, sizeof(port_file), "%s/port", tmpdir);
	mock_pid = fork();
	if (mock_pid == 0) {
		/* the port goes to the file; keep the test's output clean */
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl("/usr/bin/python3", "python3", "tests/mock/server.py",
		      "--port-file", port_file, "--slow-seconds", "1.5",
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && !port[0]; i++) {
		struct timespec ts = {0, 25000000};
		if ((f = fopen(port_file, "r"))) {
			if (!fgets(port, sizeof(port), f))
				port[0] = '\0';
			fclose(f);
		}
		nanosleep(&ts, NULL);
	}
	if (!port[0])
		return -1;
	port[strcspn(port, "\n")] = '\0';
	snprintf(url, sizeof(url), "http://127.0.0.1:%s", port);
	return 0;
}

static int stop_mock(void **state)
{
	char cmd[128];

	(void)state;
	if (mock_pid > 0) {
		kill(mock_pid, SIGTERM);
		waitpid(mock_pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) ? -1 : 0;
}

static int reset_mock(void **state)
{
	(void)state;
	mock_call("/_reset", "", NULL);
	return 0;
}

/* ---- a source on a profile ------------------------------------------ */

struct src {
	px_source_cfg cfg;
	json_t *json;
	px_source *s;
	json_t *plan;
	char path[160];
};

/* Opens a source whose profile is `profile` (JSON text) and whose config
 * is `config` (JSON text; base_url and profile are filled in). Returns the
 * open() result; err holds the message on failure. */
static int open_src(struct src *x, const char *profile, const char *config,
		    px_error *err)
{
	FILE *f;

	memset(x, 0, sizeof(*x));
	snprintf(x->path, sizeof(x->path), "%s/profile.json", tmpdir);
	f = fopen(x->path, "w");
	assert_non_null(f);
	fputs(profile, f);
	fclose(f);
	x->json = json_loads(config, 0, NULL);
	assert_non_null(x->json);
	if (!json_object_get(x->json, "base_url"))
		json_object_set_new(x->json, "base_url", json_string(url));
	json_object_set_new(x->json, "profile", json_string("profile.json"));
	x->cfg.name = "gen";
	x->cfg.json = x->json;
	x->cfg.config_file = "test.json";
	x->cfg.json_path = "/sources/0";
	x->cfg.base_dir = tmpdir;
	return px_connector_rest.open(&x->cfg, &x->s, &x->plan, err);
}

static void close_src(struct src *x)
{
	if (x->s)
		px_connector_rest.close(x->s);
	json_decref(x->plan);
	json_decref(x->json);
}

struct rec {
	size_t n;
	json_t *all; /* copies of every record's fields */
	size_t content_len;
};

static int record(void *ctx, const px_record *r, px_error *err)
{
	struct rec *c = ctx;

	(void)err;
	c->n++;
	json_array_append_new(c->all, json_deep_copy(r->fields));
	if (r->content)
		c->content_len += r->content_len;
	return 0;
}

static int fetch(struct src *x, size_t coll, const char *keys, struct rec *out,
		 px_error *err)
{
	json_t *k = json_loads(keys, 0, NULL);
	int rc;

	out->n = 0;
	out->content_len = 0;
	out->all = json_array();
	rc = px_connector_rest.fetch(x->s, coll, k, record, out, err);
	json_decref(k);
	return rc;
}

#define GENERIC_PROFILE(AUTH, PAGINATION, PATH)                                \
	"{\"auth\": " AUTH ", \"pagination\": " PAGINATION ","                 \
	"\"lookups\": [{\"provides\": \"gid\", \"path\": \"/generic/users\","  \
	"  \"query\": {\"email\": \"{email}\"}, \"items\": \"/users\","        \
	"  \"value\": \"/id\"}],"                                              \
	"\"endpoints\": [{\"entity\": \"annotation\", \"category\": "          \
	"\"provided\", \"path\": \"" PATH "\", \"items\": \"/items\","         \
	"  \"fields\": {\"target\": {\"path\": \"/n\", \"convert\": "          \
	"\"string\"}, \"text\": \"/label\", \"created_at\": {\"path\": "       \
	"\"/at\", \"convert\": \"epoch_s\"}}}]}"

#define BASIC "{\"type\": \"basic\"}"
#define BASIC_CFG                                                              \
	"{\"auth\": {\"username\": \"" GEN_USER                                \
	"\", \"password\": \"" GEN_PASS "\"}}"

/* ---- pagination and auth against the mock --------------------------- */

/* Fetches collection 0 of a generic source; checks the outcome: `n`
 * records (or, when fail_text is set, an error holding it) after exactly
 * `requests` requests. Returns the records (caller json_decref()s). */
static json_t *fetch_generic(const char *profile, const char *config, size_t n,
			     const char *fail_text, long long requests)
{
	px_error err = PX_ERROR_INIT;
	struct src x;
	struct rec r;

	assert_int_equal(open_src(&x, profile, config, &err), 0);
	assert_int_equal(fetch(&x, 0, "{}", &r, &err), fail_text ? -1 : 0);
	if (fail_text) {
		assert_int_equal(err.code, PX_EXIT_DATA);
		if (!strstr(err.msg, fail_text))
			fail_msg("'%s' lacks '%s'", err.msg, fail_text);
	}
	assert_int_equal(r.n, n);
	assert_int_equal(mock_stat("requests"), requests);
	close_src(&x);
	return r.all;
}

static void test_page_pagination_stops_at_total_pages(void **state)
{
	json_t *all;

	(void)state;
	/* 3 pages, no empty fourth one: total_pages said 3 */
	all = fetch_generic(
	    GENERIC_PROFILE(BASIC,
			    "{\"type\": \"page\", \"size_param\": "
			    "\"size\", \"size\": 10, "
			    "\"total_pages\": \"/meta/total_pages\"}",
			    "/generic/page"),
	    BASIC_CFG, 25, NULL, 3);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(all, 24), "target")),
			    "25");
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(all, 0), "created_at")),
			    "2023-11-14T22:13:21Z");
	json_decref(all);
}

static void test_offset_pagination_with_bearer(void **state)
{
	(void)state;
	/* 10 + 10 + 5: a short page ends it */
	json_decref(fetch_generic(
	    GENERIC_PROFILE("{\"type\": \"bearer\"}",
			    "{\"type\": \"offset\", \"size_param\": "
			    "\"limit\", \"size\": 10}",
			    "/generic/offset"),
	    "{\"auth\": {\"token\": \"" GEN_TOKEN "\"}}", 25, NULL, 3));
}

static void test_api_key_in_query_is_redacted_in_errors(void **state)
{
	px_error err = PX_ERROR_INIT;
	struct src x;
	struct rec r;

	(void)state;
	assert_int_equal(
	    open_src(&x,
		     GENERIC_PROFILE("{\"type\": \"api_key\", \"in\": "
				     "\"query\", \"name\": \"api_key\"}",
				     "{\"type\": \"none\"}", "/generic/page"),
		     "{\"auth\": {\"api_key\": \"" GEN_KEY "\"}}", &err),
	    0);
	assert_int_equal(fetch(&x, 0, "{}", &r, &err), 0);
	assert_int_equal(r.n, 10);
	json_decref(r.all);
	/* Now make the server fail and look at the message. */
	mock_call("/_control", "{\"fault\": \"echo-secret\"}", NULL);
	assert_int_equal(fetch(&x, 0, "{}", &r, &err), -1);
	assert_int_equal(err.code, PX_EXIT_DATA);
	assert_non_null(strstr(err.msg, "api_key=***"));
	assert_non_null(strstr(err.msg, "HTTP 400"));
	assert_null(strstr(err.msg, GEN_KEY));
	json_decref(r.all);
	close_src(&x);
}

static void test_lookup_one_none_and_ambiguous(void **state)
{
	px_error err = PX_ERROR_INIT;
	struct src x;
	char *v = NULL;
	json_t *k;

	(void)state;
	assert_int_equal(open_src(&x,
				  GENERIC_PROFILE(BASIC, "{\"type\": \"none\"}",
						  "/generic/page"),
				  BASIC_CFG, &err),
			 0);
	assert_string_equal(
	    json_string_value(json_array_get(
		json_object_get(
		    json_array_get(json_object_get(x.plan, "resolve"), 0),
		    "needs"),
		0)),
	    "email");
	k = json_pack("{s:s}", "email", "solo@example.org");
	assert_int_equal(px_connector_rest.resolve(x.s, 0, k, &v, &err), 1);
	assert_string_equal(v, "s1");
	free(v);
	json_object_set_new(k, "email", json_string("dupe@example.org"));
	assert_int_equal(px_connector_rest.resolve(x.s, 0, k, &v, &err), 1);
	free(v);
	/* query values are URL-encoded: '+', '&', '=' and spaces arrive */
	json_object_set_new(k, "email",
			    json_string("o'hara+tag&x=y \xc3\xa9@example.org"));
	assert_int_equal(px_connector_rest.resolve(x.s, 0, k, &v, &err), 1);
	assert_string_equal(v, "odd");
	free(v);
	/* an integer id past int64 keeps its digits */
	json_object_set_new(k, "email", json_string("bigid@example.org"));
	assert_int_equal(px_connector_rest.resolve(x.s, 0, k, &v, &err), 1);
	assert_string_equal(v, "1234567890123456789012345");
	free(v);
	json_object_set_new(k, "email", json_string("nobody@example.org"));
	assert_int_equal(px_connector_rest.resolve(x.s, 0, k, &v, &err), 0);
	json_object_set_new(k, "email", json_string("twins@example.org"));
	assert_int_equal(px_connector_rest.resolve(x.s, 0, k, &v, &err), -1);
	assert_int_equal(err.code, PX_EXIT_DATA);
	assert_non_null(strstr(err.msg, "more than one"));
	json_decref(k);
	close_src(&x);
}

static void test_server_ignoring_the_page_is_a_loop(void **state)
{
	(void)state;
	json_decref(
	    fetch_generic(GENERIC_PROFILE(BASIC,
					  "{\"type\": \"page\", \"size\": 10, "
					  "\"size_param\": \"size\"}",
					  "/generic/ignores-page"),
			  BASIC_CFG, 10, "page loop", 2));
}

static void test_next_link_to_another_host_is_refused(void **state)
{
	(void)state;
	json_decref(fetch_generic(GENERIC_PROFILE(BASIC, "{\"type\": \"link\"}",
						  "/generic/foreign-link"),
				  BASIC_CFG, 2, "leaves the partner's server",
				  1));
}

/* Issue 9: a loop is judged by the request; equal bodies from three
 * different next links are three pages. */
static void test_equal_bodies_from_different_links_are_pages(void **state)
{
	(void)state;
	json_decref(fetch_generic(GENERIC_PROFILE(BASIC, "{\"type\": \"link\"}",
						  "/generic/same-body"),
				  BASIC_CFG, 3, NULL, 3));
}

/* Issue 9: paging that cannot be read is an error, never an end. */
static void test_unreadable_link_header_is_an_error(void **state)
{
	(void)state;
	json_decref(fetch_generic(
	    GENERIC_PROFILE(BASIC, "{\"type\": \"link\"}", "/generic/bad-link"),
	    BASIC_CFG, 2, "cannot read the Link header", 1));
}

static void test_unreadable_page_count_is_an_error(void **state)
{
	(void)state;
	json_decref(fetch_generic(
	    GENERIC_PROFILE(BASIC,
			    "{\"type\": \"page\", \"size\": 10, "
			    "\"total_pages\": \"/meta/total_pages\"}",
			    "/generic/bad-total"),
	    BASIC_CFG, 10, "no integer page count at \"/meta/total_pages\"",
	    1));
}

/* Issue 9: 1e400 and a 25-digit integer reach the record with their
 * digits (the normaliser takes them from there). */
static void test_huge_numbers_keep_their_digits(void **state)
{
	json_t *all, *rec;

	(void)state;
	all = fetch_generic(
	    "{\"auth\": " BASIC ", \"endpoints\": [{\"entity\": "
	    "\"annotation\", \"category\": \"provided\", \"path\": "
	    "\"/generic/huge\", \"items\": \"/items\", \"fields\": "
	    "{\"text\": \"/label\", \"big\": \"/big\", \"int25\": "
	    "\"/int25\", \"dec\": {\"path\": \"/big\", \"convert\": "
	    "\"decimal\"}}}]}",
	    BASIC_CFG, 1, NULL, 1);
	rec = json_array_get(all, 0);
	assert_string_equal(px_decimal_digits(json_object_get(rec, "big")),
			    "1e400");
	assert_string_equal(px_decimal_digits(json_object_get(rec, "dec")),
			    "1e400");
	assert_string_equal(px_decimal_digits(json_object_get(rec, "int25")),
			    "1234567890123456789012345");
	json_decref(all);
}

/* Issue 9: Retry-After: 1e300 was converted to long without a range
 * check (undefined behaviour; a negative wait and a retry storm). It is
 * a wait past the retry budget: one attempt, a clear error. */
static void test_retry_after_past_any_long_fails_at_once(void **state)
{
	px_error err = PX_ERROR_INIT;
	struct src x;
	struct rec r;

	(void)state;
	assert_int_equal(open_src(&x,
				  GENERIC_PROFILE(BASIC, "{\"type\": \"none\"}",
						  "/generic/page"),
				  BASIC_CFG, &err),
			 0);
	mock_call("/_control",
		  "{\"fault\": \"429-huge\", \"times\": -1, \"path\": "
		  "\"/generic/page\"}",
		  NULL);
	assert_int_equal(fetch(&x, 0, "{}", &r, &err), -1);
	assert_int_equal(err.code, PX_EXIT_UNAVAILABLE);
	if (!strstr(err.msg, "retry budget"))
		fail_msg("'%s' lacks 'retry budget'", err.msg);
	assert_int_equal(mock_stat("faults_served"), 1);
	json_decref(r.all);
	close_src(&x);
}

static void test_oauth2_token_refreshed_before_expiry(void **state)
{
	px_error err = PX_ERROR_INIT;
	struct src x;
	struct rec r;
	char prof[8192];
	FILE *f = fopen("connectors/polylearn.json", "r");
	size_t n;
	struct timespec ts = {1, 200000000};

	(void)state;
	assert_non_null(f);
	n = fread(prof, 1, sizeof(prof) - 1, f);
	prof[n] = '\0';
	fclose(f);
	/* A 2 s token: refreshed 1 s before it expires, never used late. */
	mock_call("/_control", "{\"token_ttl\": 2}", NULL);
	assert_int_equal(
	    open_src(&x, prof,
		     "{\"auth\": {\"client_id\": \"portex-test-client\", "
		     "\"client_secret\": \"pl-secret-9f8e7d6c5b4a3921\"}}",
		     &err),
	    0);
	assert_int_equal(
	    fetch(&x, 3, "{\"polylearn_id\": \"pl_7f3a\"}", &r, &err), 0);
	assert_int_equal(r.n, 2);
	json_decref(r.all);
	nanosleep(&ts, NULL);
	assert_int_equal(
	    fetch(&x, 3, "{\"polylearn_id\": \"pl_7f3a\"}", &r, &err), 0);
	json_decref(r.all);
	assert_int_equal(mock_stat("tokens_issued"), 2);
	assert_int_equal(mock_stat("unauthorized"), 0);
	/* Documents: base64 decoded into the record's content. */
	assert_int_equal(
	    fetch(&x, 5, "{\"polylearn_id\": \"pl_7f3a\"}", &r, &err), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.content_len,
			 strlen("%PDF-1.4\n% portex test certificate for "
				"Alice Martin\n%%EOF\n"));
	assert_null(json_object_get(json_array_get(r.all, 0), "content"));
	json_decref(r.all);
	close_src(&x);
}

/* ---- config and profile errors -------------------------------------- */

static void expect_open_error(const char *profile, const char *config, int code,
			      const char *text)
{
	px_error err = PX_ERROR_INIT;
	struct src x;

	assert_int_equal(open_src(&x, profile, config, &err), -1);
	if (err.code != code || !strstr(err.msg, text))
		fail_msg("got %d '%s', expected %d '%s'", err.code, err.msg,
			 code, text);
	close_src(&x);
}

static void test_profile_and_config_errors_name_where(void **state)
{
	(void)state;
	expect_open_error("{\"auth\": {\"type\": \"magic\"}}", "{}",
			  PX_EXIT_CONFIG,
			  "profile.json: /auth/type: source gen");
	expect_open_error("{\"profile\": 2}", "{}", PX_EXIT_CONFIG,
			  "profile.json: /profile: source gen: this portex "
			  "reads profile format 1 only");
	expect_open_error("{\"auth\": ", "{}", PX_EXIT_CONFIG,
			  "profile.json: line 1");
	expect_open_error(
	    GENERIC_PROFILE(BASIC, "{\"type\": \"pages\"}", "/generic/page"),
	    BASIC_CFG, PX_EXIT_CONFIG, "/pagination");
	expect_open_error(
	    GENERIC_PROFILE(BASIC, "{\"type\": \"cursor\"}", "/generic/page"),
	    BASIC_CFG, PX_EXIT_CONFIG, "\"param\"");
	expect_open_error(
	    GENERIC_PROFILE(BASIC, "{\"type\": \"none\"}", "generic/no-slash"),
	    BASIC_CFG, PX_EXIT_CONFIG, "/endpoints/0");
	expect_open_error(
	    GENERIC_PROFILE(BASIC, "{\"type\": \"none\"}", "/generic/page"),
	    "{\"auth\": {\"username\": \"u\"}}", PX_EXIT_CONFIG,
	    "test.json: /sources/0/auth/password");
	expect_open_error(
	    GENERIC_PROFILE(BASIC, "{\"type\": \"none\"}", "/generic/page"),
	    "{\"base_url\": \"ftp://x\"}", PX_EXIT_CONFIG,
	    "/sources/0/base_url");
	expect_open_error(
	    GENERIC_PROFILE(BASIC, "{\"type\": \"none\"}", "/generic/page"),
	    "{\"timeout_seconds\": -1, \"auth\": {}}", PX_EXIT_CONFIG,
	    "/sources/0/timeout_seconds");
}

/* ---- pure helpers ------------------------------------------------------ */

static void test_json_keeps_every_digit(void **state)
{
	px_source s = {0};
	px_source_cfg cfg = {0};
	rest_resp r = {0};
	px_error err = PX_ERROR_INIT;
	const char *body =
	    "{\"a\": 19.90, \"b\": 12345678901234567890123, "
	    "\"c\": -1.5e-3, \"d\": 7, \"e\": \"19.90 \\\" 1.5\","
	    " \"f\": [0.1, 2]}";
	json_t *doc;

	(void)state;
	cfg.name = "t";
	s.cfg = &cfg;
	r.body.data = (char *)body;
	r.body.len = strlen(body);
	r.status = 200;
	doc = rest_json_parse(&s, &r, "test", "http://x/", &err);
	assert_non_null(doc);
	assert_string_equal(px_decimal_digits(json_object_get(doc, "a")),
			    "19.90");
	assert_string_equal(px_decimal_digits(json_object_get(doc, "b")),
			    "12345678901234567890123");
	assert_string_equal(px_decimal_digits(json_object_get(doc, "c")),
			    "-1.5e-3");
	assert_int_equal(json_integer_value(json_object_get(doc, "d")), 7);
	assert_string_equal(json_string_value(json_object_get(doc, "e")),
			    "19.90 \" 1.5");
	assert_string_equal(
	    px_decimal_digits(json_array_get(json_object_get(doc, "f"), 0)),
	    "0.1");
	json_decref(doc);

	/* A NUL escape from a partner could pass for a decimal: refused. */
	body = "{\"a\": \"\\u0000 1\"}";
	r.body.data = (char *)body;
	r.body.len = strlen(body);
	assert_null(rest_json_parse(&s, &r, "test", "http://x/", &err));
	assert_int_equal(err.code, PX_EXIT_DATA);

	body = "{\"a\": 01}";
	r.body.data = (char *)body;
	r.body.len = strlen(body);
	assert_null(rest_json_parse(&s, &r, "test", "http://x/", &err));
	assert_non_null(strstr(err.msg, "malformed JSON"));
}

static int keep_one(void *ctx, const px_record *r, px_error *err)
{
	(void)err;
	*(json_t **)ctx = json_deep_copy(r->fields);
	return 0;
}

/* Maps `item` with `fields`; returns the record, or NULL with err set. */
static json_t *map(const char *fields, const char *item, px_error *err)
{
	px_source s = {0};
	px_source_cfg cfg = {0};
	json_t *step = json_pack("{s:s, s:o}", "entity", "score", "fields",
				 json_loads(fields, 0, NULL));
	json_t *it = json_loads(item, 0, NULL), *out = NULL;

	cfg.name = "t";
	s.cfg = &cfg;
	s.profile_path = "p.json";
	assert_int_equal(rest_map_check(&s, json_object_get(step, "fields"),
					"/endpoints/0/fields", err),
			 0);
	if (rest_map_emit(&s, step, it, 7, keep_one, &out, err))
		out = NULL;
	json_decref(step);
	json_decref(it);
	return out;
}

static void test_field_conversions(void **state)
{
	px_error err = PX_ERROR_INIT;
	json_t *r;

	(void)state;
	r = map("{\"a\": {\"path\": \"/t\", \"convert\": \"epoch_s\"},"
		" \"b\": {\"path\": \"/ms\", \"convert\": \"epoch_ms\"},"
		" \"c\": {\"path\": \"/n\", \"convert\": \"string\"},"
		" \"d\": {\"path\": \"/amt\", \"convert\": \"decimal\"},"
		" \"e\": {\"path\": \"/st\", \"values\": {\"OK\": \"ok\"}},"
		" \"f\": \"/missing\", \"g\": \"/nul\","
		" \"h\": {\"value\": \"EUR\"}, \"i\": \"/deep/0/x\"}",
		"{\"t\": \"0\", \"ms\": -1, \"n\": 42, \"amt\": \"12.30\","
		" \"st\": \"OK\", \"nul\": null, \"deep\": [{\"x\": true}]}",
		&err);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "a")),
			    "1970-01-01T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(r, "b")),
			    "1969-12-31T23:59:59.999Z");
	assert_string_equal(json_string_value(json_object_get(r, "c")), "42");
	assert_string_equal(px_decimal_digits(json_object_get(r, "d")),
			    "12.30");
	assert_string_equal(json_string_value(json_object_get(r, "e")), "ok");
	assert_null(json_object_get(r, "f"));
	assert_null(json_object_get(r, "g"));
	assert_string_equal(json_string_value(json_object_get(r, "h")), "EUR");
	assert_true(json_is_true(json_object_get(r, "i")));
	json_decref(r);

	/* bad values name source, entity, record and field */
	assert_null(map("{\"taken_at\": {\"path\": \"/t\", \"convert\": "
			"\"epoch_s\"}}",
			"{\"t\": \"nan\"}", &err));
	assert_int_equal(err.code, PX_EXIT_DATA);
	assert_string_equal(err.msg,
			    "source t: collection score: record 7: field "
			    "taken_at: expected Unix time in seconds, got "
			    "\"nan\"");
	assert_null(map("{\"x\": {\"path\": \"/t\", \"convert\": "
			"\"epoch_ms\"}}",
			"{\"t\": 1e30}", &err));
	assert_null(map("{\"x\": {\"path\": \"/t\", \"convert\": "
			"\"decimal\"}}",
			"{\"t\": \"12,30\"}", &err));
	assert_null(map("{\"content\": {\"path\": \"/t\", \"convert\": "
			"\"base64\"}}",
			"{\"t\": \"!!\"}", &err));
	assert_non_null(strstr(err.msg, "field content: expected base64"));
}

static void test_base64(void **state)
{
	size_t n;
	unsigned char *b;
	char *e;

	(void)state;
	b = rest_base64_decode("aGVs\nbG8=", 9, &n);
	assert_non_null(b);
	assert_int_equal(n, 5);
	assert_memory_equal(b, "hello", 5);
	free(b);
	b = rest_base64_decode("", 0, &n);
	assert_non_null(b);
	assert_int_equal(n, 0);
	free(b);
	assert_null(rest_base64_decode("aGVsbG8*", 8, &n));
	assert_int_equal(n, 0);
	assert_null(rest_base64_decode("aGVsb", 5, &n)); /* truncated */
	assert_null(rest_base64_decode("aG=VsbG8", 8, &n));
	e = rest_base64_encode("user:pa", 7);
	assert_string_equal(e, "dXNlcjpwYQ==");
	free(e);
}

static void test_redaction(void **state)
{
	px_source s = {0};
	char out[256];

	(void)state;
	rest_add_secret(&s, "s3cr3t-value");
	rest_redact(&s,
		    "https://u:pw@h.example/a?x=1&api_key=abc&Access_Token=t&"
		    "y=s3cr3t-value#f",
		    out, sizeof(out));
	assert_string_equal(out, "https://***@h.example/a?x=1&api_key=***&"
				 "Access_Token=***&y=***#f");
	/* a secret cut by the output's end is not half shown */
	rest_redact(&s, "body: s3cr3t-value s3cr3t-value", out, 12);
	assert_null(strstr(out, "s3c"));
	/* the start of a secret at the end of the input window */
	rest_redact(&s, "x s3cr3t", out, sizeof(out));
	assert_string_equal(out, "x ***");
	/* Issue 9: the forms portex sends a secret in are secrets too */
	rest_add_secret(&s, "p@ss/w\"rd &x");
	rest_redact(&s,
		    "form=p%40ss%2Fw%22rd%20%26x json=\"p@ss\\/w\\\"rd &x\"",
		    out, sizeof(out));
	assert_string_equal(out, "form=*** json=\"***\"");
	for (size_t i = 0; i < s.n_owned; i++)
		free(s.owned[i]);
}

int main(void)
{
	const struct CMUnitTest server[] = {
	    cmocka_unit_test_setup(test_page_pagination_stops_at_total_pages,
				   reset_mock),
	    cmocka_unit_test_setup(test_offset_pagination_with_bearer,
				   reset_mock),
	    cmocka_unit_test_setup(test_api_key_in_query_is_redacted_in_errors,
				   reset_mock),
	    cmocka_unit_test_setup(test_lookup_one_none_and_ambiguous,
				   reset_mock),
	    cmocka_unit_test_setup(test_server_ignoring_the_page_is_a_loop,
				   reset_mock),
	    cmocka_unit_test_setup(test_next_link_to_another_host_is_refused,
				   reset_mock),
	    cmocka_unit_test_setup(
		test_equal_bodies_from_different_links_are_pages, reset_mock),
	    cmocka_unit_test_setup(test_unreadable_link_header_is_an_error,
				   reset_mock),
	    cmocka_unit_test_setup(test_unreadable_page_count_is_an_error,
				   reset_mock),
	    cmocka_unit_test_setup(test_huge_numbers_keep_their_digits,
				   reset_mock),
	    cmocka_unit_test_setup(test_retry_after_past_any_long_fails_at_once,
				   reset_mock),
	    cmocka_unit_test_setup(test_oauth2_token_refreshed_before_expiry,
				   reset_mock),
	    cmocka_unit_test(test_profile_and_config_errors_name_where),
	};
	const struct CMUnitTest pure[] = {
	    cmocka_unit_test(test_json_keeps_every_digit),
	    cmocka_unit_test(test_field_conversions),
	    cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_redaction),
	};
	int failed;

	/* The mock is on loopback: a proxy from the environment must not
	 * stand in between. */
	setenv("no_proxy", "127.0.0.1,localhost", 1);
	failed = cmocka_run_group_tests(pure, NULL, NULL);

	return failed + cmocka_run_group_tests(server, start_mock, stop_mock);
}
