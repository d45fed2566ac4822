/*
 * rest_auth.c - how the REST driver authenticates, as the profile's
 * "auth" says, with the secrets from the source config's "auth":
 *   oauth2_client_credentials  client_id + client_secret -> a bearer token,
 *                              cached, refreshed before it expires and
 *                              once more after a 401
 *   bearer                     token
 *   api_key                    api_key, in a header or a query parameter
 *   basic                      username + password
 * Every secret is registered for redaction and wiped on close.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "httpshare.h"
#include "rest.h"

static long now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec;
}

static void wipe(char **p)
{
	if (*p) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

static void add_one(px_source *s, const char *secret)
{
	if (secret && s->n_secrets < REST_MAX_SECRETS)
		s->secrets[s->n_secrets++] = secret;
}

/* A form of a secret made here: kept for redaction until close. */
static int add_owned(px_source *s, char *form)
{
	if (!form)
		return -1;
	for (size_t i = 0; i < s->n_secrets; i++)
		if (!strcmp(s->secrets[i], form)) {
			wipe(&form);
			return 0;
		}
	if (s->n_owned >= REST_MAX_SECRETS) {
		wipe(&form);
		return 0;
	}
	s->owned[s->n_owned++] = form;
	add_one(s, form);
	return 0;
}

/* The secret's text as a URL or form carries it (curl_easy_escape, what
 * portex sends), and as a JSON string carries it (a partner echoing it in
 * an error body). */
static int add_forms(px_source *s, const char *secret)
{
	char *esc = curl_easy_escape(NULL, secret, 0), *dup;
	json_t *j = json_string(secret);
	char *js = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_ENSURE_ASCII |
					 JSON_ESCAPE_SLASH)
		     : NULL;
	int rc = 0;

	dup = esc ? strdup(esc) : NULL;
	if (esc)
		explicit_bzero(esc, strlen(esc));
	curl_free(esc);
	rc |= add_owned(s, dup);
	if (js && strlen(js) >= 2) {
		js[strlen(js) - 1] = '\0';
		rc |= add_owned(s, strdup(js + 1));
	} else {
		rc = -1;
	}
	if (js)
		explicit_bzero(js, strlen(js));
	free(js);
	json_decref(j);
	return rc;
}

void rest_add_secret(px_source *s, const char *secret)
{
	if (!secret)
		return;
	add_one(s, secret);
	/* Out of memory here only loses extra forms; the raw one is in. */
	(void)add_forms(s, secret);
}

/* A non-empty string from the config's "auth" object, duplicated. */
static int secret_from_cfg(px_source *s, const char *key, char **out,
			   px_error *err)
{
	json_t *auth = json_object_get(s->cfg->json, "auth");
	json_t *v = json_object_get(auth, key);
	char where[64];

	snprintf(where, sizeof(where), "/auth/%s", key);
	if (!json_is_string(v) || !json_string_length(v))
		return px_cfg_error(
		    err, s->cfg, where,
		    "expected a non-empty string (the "
		    "profile's auth type \"%s\" needs it; "
		    "write it as ${VARIABLE}, never inline)",
		    json_string_value(json_object_get(
			json_object_get(s->profile, "auth"), "type")));
	if (!(*out = strdup(json_string_value(v))))
		return px_error_oom(err);
	rest_add_secret(s, *out);
	return 0;
}

static int set_header(px_source *s, const char *name, const char *scheme,
		      const char *value, px_error *err)
{
	size_t n = strlen(name) + strlen(scheme) + strlen(value) + 4;

	if (!(s->auth_header = malloc(n)))
		return px_error_oom(err);
	snprintf(s->auth_header, n, "%s: %s%s", name, scheme, value);
	return 0;
}

char *rest_basic_header(const char *user, const char *pass)
{
	size_t n = strlen(user) + strlen(pass) + 2;
	char *pair = malloc(n), *b64 = NULL, *hdr = NULL;

	if (!pair)
		return NULL;
	snprintf(pair, n, "%s:%s", user, pass);
	b64 = rest_base64_encode(pair, n - 1);
	wipe(&pair);
	n = b64 ? strlen(b64) + sizeof("Authorization: Basic ") : 0;
	if (b64 && (hdr = malloc(n)))
		snprintf(hdr, n, "Authorization: Basic %s", b64);
	wipe(&b64);
	return hdr;
}

static int init_basic(px_source *s, px_error *err)
{
	if (secret_from_cfg(s, "username", &s->client_id, err) ||
	    secret_from_cfg(s, "password", &s->client_secret, err))
		return -1;
	if (!(s->auth_header =
		  rest_basic_header(s->client_id, s->client_secret)))
		return px_error_oom(err);
	/* The base64 form is a secret of its own. */
	rest_add_secret(s, s->auth_header + strlen("Authorization: Basic "));
	return 0;
}

/* private_key_jwt: the config's auth.private_key names the PEM file. */
static int jwt_key_from_cfg(px_source *s, px_error *err)
{
	json_t *v = json_object_get(json_object_get(s->cfg->json, "auth"),
				    "private_key");
	char *path;
	int rc;

	if (!json_is_string(v) || !json_string_length(v))
		return px_cfg_error(err, s->cfg, "/auth/private_key",
				    "expected the path of the PEM RSA key "
				    "(the profile's client_auth is "
				    "\"private_key_jwt\")");
	const json_t *a = json_object_get(s->cfg->json, "auth");
	const json_t *pass = json_object_get(a, "private_key_passphrase");
	const json_t *kid = json_object_get(a, "key_id");

	if ((pass && (!json_is_string(pass) || !json_string_length(pass))) ||
	    (kid && (!json_is_string(kid) || !json_string_length(kid))))
		return px_cfg_error(err, s->cfg,
				    pass && !json_string_length(pass)
					? "/auth/private_key_passphrase"
					: "/auth/key_id",
				    "expected a non-empty string");
	if (pass) /* borrowed from the config, which outlives the source */
		rest_add_secret(s, json_string_value(pass));
	if (!(path = px_cfg_resolve_path(s->cfg, json_string_value(v))))
		return px_error_oom(err);
	rc = rest_jwt_load_key(s, path, json_string_value(pass),
			       json_string_value(kid), err);
	free(path);
	return rc;
}

static int init_oauth2(px_source *s, const json_t *a, px_error *err)
{
	const char *url = json_string_value(json_object_get(a, "token_url"));
	const char *path = json_string_value(json_object_get(a, "token_path"));
	const char *how = json_string_value(json_object_get(a, "client_auth"));
	size_t n;

	char *basic;

	if (secret_from_cfg(s, "client_id", &s->client_id, err))
		return -1;
	if (how && !strcmp(how, "private_key_jwt")) {
		if (jwt_key_from_cfg(s, err))
			return -1;
	} else {
		if (secret_from_cfg(s, "client_secret", &s->client_secret, err))
			return -1;
		/* client_secret_basic sends base64(id:secret): a token
		 * endpoint that echoes the request must not print it
		 * either. */
		if (!(basic =
			  rest_basic_header(s->client_id, s->client_secret)))
			return px_error_oom(err);
		n = strlen("Authorization: Basic ");
		memmove(basic, basic + n, strlen(basic + n) + 1);
		if (add_owned(s, basic))
			return px_error_oom(err);
	}
	if (url) {
		/* The client secret goes there: never in clear over a
		 * network. */
		if (!rest_url_safe(url))
			return px_error_set(
			    err, PX_EXIT_CONFIG,
			    "%s: /auth/token_url: source %s: expected an "
			    "https:// URL (http:// only to localhost)",
			    s->profile_path, s->cfg->name);
		s->token_url = strdup(url);
	} else {
		n = strlen(s->base_url) + strlen(path) + 1;
		if ((s->token_url = malloc(n)))
			snprintf(s->token_url, n, "%s%s", s->base_url, path);
	}
	return s->token_url ? 0 : px_error_oom(err);
}

int rest_auth_init(px_source *s, px_error *err)
{
	const json_t *a = json_object_get(s->profile, "auth");
	const char *type = json_string_value(json_object_get(a, "type"));

	/* The profile's auth was checked by rest_profile_load(). */
	if (!strcmp(type, "none")) {
		s->auth = REST_AUTH_NONE;
		return 0;
	}
	if (!strcmp(type, "oauth2_client_credentials")) {
		s->auth = REST_AUTH_OAUTH2;
		return init_oauth2(s, a, err);
	}
	if (!strcmp(type, "bearer")) {
		/* Kept like an API key: registered, and wiped on close. */
		s->auth = REST_AUTH_BEARER;
		return secret_from_cfg(s, "token", &s->key_value, err) ||
			       set_header(s, "Authorization", "Bearer ",
					  s->key_value, err)
			   ? -1
			   : 0;
	}
	if (!strcmp(type, "api_key")) {
		const char *in = json_string_value(json_object_get(a, "in"));
		const char *name =
		    json_string_value(json_object_get(a, "name"));

		s->auth = REST_AUTH_API_KEY;
		if (secret_from_cfg(s, "api_key", &s->key_value, err))
			return -1;
		if (!strcmp(in, "query"))
			return (s->key_param = strdup(name))
				   ? 0
				   : px_error_oom(err);
		return set_header(s, name, "", s->key_value, err);
	}
	/* basic */
	s->auth = REST_AUTH_BASIC;
	return init_basic(s, err);
}

/* Appends &name=<value, URL-encoded> when value is set. */
static int form_param(rest_buf *form, const char *name, const char *value)
{
	char *e;
	int bad;

	if (!value)
		return 0;
	e = curl_easy_escape(NULL, value, 0);
	bad = !e || rest_buf_printf(form, "&%s=%s", name, e);
	curl_free(e);
	return bad ? -1 : 0;
}

/* POSTs the client credentials to the token endpoint (RFC 6749 4.4). */
static int fetch_token(px_source *s, px_error *err)
{
	const json_t *a = json_object_get(s->profile, "auth");
	const char *scope = json_string_value(json_object_get(a, "scope"));
	const char *how = json_string_value(json_object_get(a, "client_auth"));
	const char *aud = json_string_value(json_object_get(a, "audience"));
	int in_body =
	    how && (!strcmp(how, "body") || !strcmp(how, "client_secret_post"));
	rest_resp r = {0};
	rest_buf form = {0};
	json_t *doc;
	char *id = NULL, *sec = NULL;
	const char *why;
	long long ttl;
	int rc = -1;

	id = curl_easy_escape(NULL, s->client_id, 0);
	sec = s->client_secret ? curl_easy_escape(NULL, s->client_secret, 0)
			       : NULL;
	if (!id || (s->client_secret && !sec))
		goto oom;
	if (rest_buf_printf(&form, "grant_type=client_credentials"))
		goto oom;
	if (form_param(&form, "scope", scope) ||
	    form_param(&form, "audience", aud))
		goto oom;
	if (s->jwt_key) {
		/* RFC 7523 2.2: the assertion instead of any secret */
		char *jwt = rest_jwt_assertion(s, err);
		int bad;

		if (!jwt)
			goto out;
		bad = rest_buf_printf(
		    &form,
		    "&client_id=%s&client_assertion_type=urn%%3Aietf%%"
		    "3Aparams%%3Aoauth%%3Aclient-assertion-type%%"
		    "3Ajwt-bearer&client_assertion=%s",
		    id, jwt);
		explicit_bzero(jwt, strlen(jwt));
		free(jwt);
		if (bad)
			goto oom;
		in_body = 1;
	} else if (in_body &&
		   rest_buf_printf(&form, "&client_id=%s&client_secret=%s", id,
				   sec)) {
		goto oom;
	}
	if (rest_post_form(
		s, s->token_url, form.data, in_body ? NULL : s->client_id,
		in_body ? NULL : s->client_secret, "OAuth2 token", &r, err))
		goto out;
	if (!(doc =
		  rest_json_parse(s, &r, "OAuth2 token", s->token_url, err))) {
		/* Not the usual snippet: a broken answer may still hold a
		 * token that is not registered for redaction yet. */
		char red[512];

		rest_redact(s, s->token_url, red, sizeof(red));
		px_error_set(err, PX_EXIT_DATA,
			     "source %s: OAuth2 token: POST %s: HTTP %ld: "
			     "malformed JSON (body not shown)",
			     s->cfg->name, red, r.status);
		goto out;
	}
	wipe(&s->token);
	if (px_oauth2_answer(doc, &s->token, &ttl, &why)) {
		px_error_set(err, PX_EXIT_DATA,
			     "source %s: OAuth2 token: the token endpoint's "
			     "answer has %s",
			     s->cfg->name, why);
	} else {
		s->token_expiry = (time_t)px_oauth2_refresh_at(now_s(), ttl);
		rc = 0;
	}
	json_decref(doc);
	goto out;
oom:
	px_error_oom(err);
out:
	if (r.body.data)
		explicit_bzero(r.body.data, r.body.len);
	rest_resp_free(&r);
	if (form.data)
		explicit_bzero(form.data, form.len);
	free(form.data);
	if (id) /* registered as a secret too */
		explicit_bzero(id, strlen(id));
	if (sec)
		explicit_bzero(sec, strlen(sec));
	curl_free(id);
	curl_free(sec);
	return rc;
}

int rest_auth_ready(px_source *s, px_error *err)
{
	if (s->auth != REST_AUTH_OAUTH2 ||
	    (s->token && (!s->token_expiry || now_s() < s->token_expiry)))
		return 0;
	return fetch_token(s, err);
}

int rest_auth_apply(px_source *s, struct curl_slist **hdrs, CURLU *url,
		    px_error *err)
{
	struct curl_slist *t;
	char *h;
	size_t n;

	switch (s->auth) {
	case REST_AUTH_NONE:
		return 0;
	case REST_AUTH_OAUTH2:
		if (rest_auth_ready(s, err))
			return -1;
		n = strlen(s->token) + 32;
		if (!(h = malloc(n)))
			return px_error_oom(err);
		snprintf(h, n, "Authorization: Bearer %s", s->token);
		t = curl_slist_append(*hdrs, h);
		wipe(&h);
		break;
	case REST_AUTH_API_KEY:
		if (s->key_param)
			return rest_url_add_query(url, s->key_param,
						  s->key_value)
				   ? px_error_oom(err)
				   : 0;
		t = curl_slist_append(*hdrs, s->auth_header);
		break;
	default:
		t = curl_slist_append(*hdrs, s->auth_header);
	}
	if (!t)
		return px_error_oom(err);
	*hdrs = t;
	return 0;
}

int rest_auth_invalidate(px_source *s)
{
	if (s->auth != REST_AUTH_OAUTH2)
		return 0;
	wipe(&s->token);
	return 1;
}

void rest_auth_free(px_source *s)
{
	wipe(&s->auth_header);
	wipe(&s->key_param);
	wipe(&s->key_value);
	wipe(&s->client_id);
	wipe(&s->client_secret);
	wipe(&s->token);
	EVP_PKEY_free(s->jwt_key);
	s->jwt_key = NULL;
	free(s->jwt_kid);
	s->jwt_kid = NULL;
	free(s->token_url);
	s->token_url = NULL;
	for (size_t i = 0; i < s->n_owned; i++)
		wipe(&s->owned[i]);
	s->n_owned = 0;
	s->n_secrets = 0;
}
