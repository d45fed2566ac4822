/*
 * rest.c - the REST driver: a partner API described by a JSON profile
 * (docs/profiles.md), reached with libcurl. This file is the px_connector
 * table; the work is in rest_*.c (see rest.h).
 *
 * Source config: {"name", "connector": "rest", "profile", "base_url",
 * "auth": {...secrets...}, "ca_file"?, "timeout_seconds"?,
 * "connect_timeout_seconds"?, "max_attempts"?, "max_total_seconds"?}.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "portex/rest.h"
#include "rest.h"

/* Plain HTTP would send the partner's secrets in clear: only to this
 * machine (the test server), never across a network. */
int rest_url_safe(const char *url)
{
	struct in_addr v4;
	CURLU *u;
	char *host = NULL;
	int ok = 0;

	if (!strncmp(url, "https://", 8))
		return 1;
	if (strncmp(url, "http://", 7) || !(u = curl_url()))
		return 0;
	if (!curl_url_set(u, CURLUPART_URL, url, 0) &&
	    !curl_url_get(u, CURLUPART_HOST, &host, 0))
		ok = !strcasecmp(host, "localhost") || !strcmp(host, "[::1]") ||
		     (inet_pton(AF_INET, host, &v4) == 1 &&
		      ((const unsigned char *)&v4)[0] == 127);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

static int read_base_url(px_source *s, px_error *err)
{
	const char *b =
	    json_string_value(json_object_get(s->cfg->json, "base_url"));
	size_t n;

	if (!b || (strncmp(b, "https://", 8) && strncmp(b, "http://", 7)))
		return px_cfg_error(err, s->cfg, "/base_url",
				    "expected the partner's https:// URL");
	if (!rest_url_safe(b))
		return px_cfg_error(err, s->cfg, "/base_url",
				    "plain http:// is allowed only to "
				    "127.0.0.1 or localhost; use https://");
	if (strchr(b, '?') || strchr(b, '#'))
		return px_cfg_error(err, s->cfg, "/base_url",
				    "expected a URL without query or fragment");
	if (!(s->base_url = strdup(b)))
		return px_error_oom(err);
	n = strlen(s->base_url);
	while (n && s->base_url[n - 1] == '/')
		s->base_url[--n] = '\0';
	return 0;
}

/* An optional positive number of seconds (or a count) -> *out. */
static int read_num(px_source *s, const char *key, double min, double dflt,
		    double *out, px_error *err)
{
	json_t *v = json_object_get(s->cfg->json, key);
	char where[64];

	*out = dflt;
	if (!v)
		return 0;
	snprintf(where, sizeof(where), "/%s", key);
	if (!json_is_number(v) || json_number_value(v) < min ||
	    json_number_value(v) > 86400)
		return px_cfg_error(err, s->cfg, where,
				    "expected a number from %g to 86400", min);
	*out = json_number_value(v);
	return 0;
}

/* An optional readable file named by the source config's key -> *out. */
static int read_file_opt(px_source *s, const char *key, const char *what,
			 char **out, px_error *err)
{
	json_t *v = json_object_get(s->cfg->json, key);
	char where[64];

	if (!v)
		return 0;
	snprintf(where, sizeof(where), "/%s", key);
	if (!json_is_string(v) || !json_string_length(v))
		return px_cfg_error(err, s->cfg, where,
				    "expected the path of %s", what);
	if (!(*out = px_cfg_resolve_path(s->cfg, json_string_value(v))))
		return px_error_oom(err);
	if (access(*out, R_OK))
		return px_cfg_error(err, s->cfg, where, "cannot read %s", *out);
	return 0;
}

static int read_options(px_source *s, px_error *err)
{
	double timeout, connect, attempts, total, source_total, conc;

	if (read_num(s, "timeout_seconds", 0.1, 30, &timeout, err) ||
	    read_num(s, "connect_timeout_seconds", 0.1,
		     timeout < 10 ? timeout : 10, &connect, err) ||
	    read_num(s, "max_attempts", 1, 4, &attempts, err) ||
	    read_num(s, "max_total_seconds", 0.1, 120, &total, err) ||
	    read_num(s, "max_source_seconds", 0, 0, &source_total, err) ||
	    read_num(s, "concurrency", 1, 1, &conc, err))
		return -1;
	if (conc != (int)conc || conc > REST_MAX_CONCURRENCY)
		return px_cfg_error(err, s->cfg, "/concurrency",
				    "expected a whole number from 1 to %d",
				    REST_MAX_CONCURRENCY);
	s->timeout_ms = (long)(timeout * 1000);
	s->connect_ms = (long)(connect * 1000);
	s->max_attempts = (int)attempts;
	s->budget_ms = (long)(total * 1000);
	s->source_budget_ms = (long)(source_total * 1000);
	/* The budget counts from open: the token request is part of it. */
	s->source_deadline_ms =
	    s->source_budget_ms ? rest_now_ms() + s->source_budget_ms : 0;
	s->concurrency = (int)conc;
	return read_file_opt(s, "ca_file", "a PEM CA file", &s->ca_file, err) ||
		       read_file_opt(s, "client_cert",
				     "a PEM client certificate (mutual TLS)",
				     &s->client_cert, err) ||
		       read_file_opt(s, "client_key",
				     "the PEM key of client_cert",
				     &s->client_key, err)
		   ? -1
		   : 0;
}

static void close_rest(px_source *s)
{
	if (!s)
		return;
	rest_http_free(s);
	rest_auth_free(s);
	if (s->download)
		fclose(s->download);
	rest_export_free(s);
	rest_map_free(s);
	json_decref(s->profile);
	json_decref(s->plan);
	free(s->profile_path);
	free(s->base_url);
	free(s->ca_file);
	free(s->client_cert);
	free(s->client_key);
	free(s);
}

static int open_rest(const px_source_cfg *cfg, px_source **out, json_t **plan,
		     px_error *err)
{
	px_source *s = calloc(1, sizeof(*s));

	if (!s)
		return px_error_oom(err);
	s->cfg = cfg;
	/* With OAuth2 the token is asked for now: a partner that is down or
	 * refuses the credentials fails at open, as connector.h says, before
	 * any other source has done its work. */
	if (read_base_url(s, err) || read_options(s, err) ||
	    rest_profile_load(s, err) || rest_auth_init(s, err) ||
	    rest_http_init(s, err) || rest_static_headers(s, err) ||
	    rest_auth_ready(s, err)) {
		close_rest(s);
		return -1;
	}
	*plan = json_incref(s->plan);
	*out = s;
	return 0;
}

struct lookup {
	px_source *s;
	const json_t *step;
	const char *what;
	char *found;
};

static int on_lookup(void *ctx, json_t *items, px_error *err)
{
	struct lookup *l = ctx;
	const char *ptr = json_string_value(json_object_get(l->step, "value"));
	json_t *item;
	size_t i;

	json_array_foreach (items, i, item) {
		json_t *v = rest_pointer(item, ptr);
		char num[32];
		const char *t = json_string_value(v);
		const char *dig = px_decimal_digits(v);

		if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld",
				 (long long)json_integer_value(v));
			t = num;
		}
		/* an integer id past int64 keeps its digits; a fraction is
		 * no identifier */
		if (dig)
			t = dig[strspn(dig, "0123456789")] ? NULL : dig;
		if (!t || !*t)
			return px_error_set(err, PX_EXIT_DATA,
					    "source %s: %s: no string or "
					    "integer identifier at \"%s\" in a "
					    "match",
					    l->s->cfg->name, l->what, ptr);
		if (l->found && strcmp(l->found, t))
			return px_error_set(err, PX_EXIT_DATA,
					    "source %s: %s: the identity "
					    "matches more than one record; "
					    "refusing to guess",
					    l->s->cfg->name, l->what);
		if (!l->found && !(l->found = strdup(t)))
			return px_error_oom(err);
	}
	return 0;
}

static void lookup_what(const json_t *step, char *what, size_t n)
{
	snprintf(what, n, "resolve %s",
		 json_string_value(json_object_get(step, "provides")));
}

/* 1 when keys hold every {key} the step's requests use. */
static int keys_known(const json_t *step, const json_t *keys)
{
	json_t *needs = rest_template_needs(step), *k;
	size_t i;
	int ok = needs != NULL;

	rest_step_needs(step, needs);
	json_array_foreach (needs, i, k) {
		ok &= json_object_get(keys, json_string_value(k)) != NULL;
	}
	json_decref(needs);
	return ok;
}

/* Lookup i is asked for. When it was not sent ahead, the first requests of
 * the lookups from i on whose keys are known now (up to concurrency of
 * them) go out at once: the core asks for them next (export.c runs a
 * step as soon as its keys are known), and each takes its answer. */
static int lookups_ahead(px_source *s, size_t i, const json_t *keys,
			 px_error *err)
{
	json_t *steps = json_object_get(s->profile, "lookups");
	char *urls[REST_MAX_CONCURRENCY] = {0};
	rest_step_req sr[REST_MAX_CONCURRENCY];
	const rest_call *calls[REST_MAX_CONCURRENCY];
	size_t made = 0, j;
	char what[160];
	int rc = 0;

	for (j = 0; j < s->n_lookups_ahead; j++)
		if (s->lookups_ahead[j] == i) {
			s->lookups_ahead[j] =
			    s->lookups_ahead[--s->n_lookups_ahead];
			return 0; /* its answer is waiting */
		}
	s->n_lookups_ahead = 0;
	if (s->concurrency < 2)
		return 0;
	for (j = i;
	     j < json_array_size(steps) && made < (size_t)s->concurrency && !rc;
	     j++) {
		json_t *st = json_array_get(steps, j);

		if (!keys_known(st, keys))
			continue;
		lookup_what(st, what, sizeof(what));
		if (rest_first_request(s, st, keys, what, 1, &urls[made],
				       &sr[made], err)) {
			rc = -1;
			break;
		}
		calls[made] = &sr[made].call;
		if (j != i)
			s->lookups_ahead[s->n_lookups_ahead++] = j;
		made++;
	}
	if (made < 2)
		s->n_lookups_ahead = 0;
	else if (!rc)
		rc = rest_prefetch(s, made, urls, calls, "resolve", err);
	for (j = 0; j < made; j++) {
		free(urls[j]);
		rest_step_release(&sr[j]);
	}
	return rc;
}

static int resolve_rest(px_source *s, size_t i, const json_t *keys,
			char **value, px_error *err)
{
	json_t *step =
	    json_array_get(json_object_get(s->profile, "lookups"), i);
	char what[160];
	struct lookup l = {s, step, what, NULL};
	int rc;

	lookup_what(step, what, sizeof(what));
	if (lookups_ahead(s, i, keys, err))
		return -1;
	rc = rest_paginate(s, step, keys, what, 1, on_lookup, &l, err);
	if (rc) {
		free(l.found);
		return rc > 0 ? 0 : -1; /* 404: not known to this partner */
	}
	*value = l.found;
	return l.found != NULL;
}

struct collect {
	px_source *s;
	const json_t *step;
	const json_t *keys;
	json_t *parent; /* the for_each item the items belong to, or NULL */
	px_emit_fn emit;
	void *ctx;
	size_t n, parents;
	const char *what;
};

/* One item, or each element of its "unnest" array, mapped and emitted;
 * "$parent" in an element (and in a fan-out's item) is the item above. */
static int emit_item(struct collect *c, json_t *item, px_error *err)
{
	const char *un = json_string_value(json_object_get(c->step, "unnest"));
	json_t *arr, *el;
	size_t i;

	if (c->parent && json_is_object(item) &&
	    json_object_set(item, "$parent", c->parent))
		return px_error_oom(err);
	if (!un)
		return rest_map_emit(c->s, c->step, item, ++c->n, c->emit,
				     c->ctx, err);
	arr = rest_pointer(item, un);
	if (!arr || json_is_null(arr))
		return 0; /* no lines */
	if (!json_is_array(arr))
		return px_error_set(
		    err, PX_EXIT_DATA,
		    "source %s: %s: no array at \"%s\" (unnest) "
		    "in an item",
		    c->s->cfg->name, c->what, un);
	json_array_foreach (arr, i, el) {
		int rc;

		if (json_is_object(el) && json_object_set(el, "$parent", item))
			return px_error_oom(err);
		rc = rest_map_emit(c->s, c->step, el, ++c->n, c->emit, c->ctx,
				   err);
		/* the element must not keep its parent (a cycle) */
		if (json_is_object(el))
			json_object_del(el, "$parent");
		if (rc)
			return -1;
	}
	return 0;
}

/* Documents by URL: with a concurrency above 1, those of as many items go
 * out at once (not while a fan-out's answers wait: rest_prefetch() would
 * drop them, nor with "unnest"); the records still come in the
 * partner's order. */
static int on_items(void *ctx, json_t *items, px_error *err)
{
	struct collect *c = ctx;
	size_t n = json_array_size(items), w = n;
	int ahead = c->s->concurrency > 1 && !c->s->n_ready &&
		    !json_object_get(c->step, "unnest");

	if (ahead)
		w = (size_t)c->s->concurrency;
	for (size_t from = 0; from < n; from += w) {
		size_t k = n - from < w ? n - from : w;

		if (ahead &&
		    rest_map_docs_ahead(c->s, c->step, items, from, k, err))
			return -1;
		for (size_t i = from; i < from + k; i++) {
			json_t *item = json_array_get(items, i);
			int rc = emit_item(c, item, err);

			if (json_is_object(item))
				json_object_del(item, "$parent");
			if (rc)
				return -1;
		}
	}
	if (ahead)
		rest_prefetch_drop(c->s);
	return 0;
}

/* The identity keys plus, for each {item.a.b} the step's templates use,
 * the text of /a/b in the parent item. */
static json_t *parent_keys(struct collect *c, json_t *parent, px_error *err)
{
	json_t *k = json_deep_copy(c->keys), *needs, *v;
	size_t i;

	needs = k ? rest_template_needs(c->step) : NULL;
	if (!needs) {
		json_decref(k);
		px_error_oom(err);
		return NULL;
	}
	json_array_foreach (needs, i, v) {
		const char *name = json_string_value(v);
		char ptr[256], *p;
		json_t *f;
		char *t;

		if (strncmp(name, "item.", 5))
			continue;
		snprintf(ptr, sizeof(ptr), "/%s", name + 5);
		for (p = ptr; *p; p++)
			*p = *p == '.' ? '/' : *p;
		f = rest_pointer(parent, ptr);
		if (!(t = rest_id_text(f))) {
			px_error_set(err, PX_EXIT_DATA,
				     "source %s: %s: parent item %zu has no "
				     "string or integer at \"%s\" for "
				     "{%s}",
				     c->s->cfg->name, c->what, c->parents, ptr,
				     name);
			goto fail;
		}
		if (json_object_set_new(k, name, json_string(t))) {
			free(t);
			px_error_oom(err);
			goto fail;
		}
		free(t);
	}
	json_decref(needs);
	return k;
fail:
	json_decref(needs);
	json_decref(k);
	return NULL;
}

/* The first requests of parents [from, from + n) sent at once; their
 * keys go to keys[] (the caller releases them). */
static int prefetch_parents(struct collect *c, json_t *items, size_t from,
			    size_t n, json_t **keys, px_error *err)
{
	char *urls[REST_MAX_CONCURRENCY] = {0};
	rest_step_req sr[REST_MAX_CONCURRENCY];
	const rest_call *calls[REST_MAX_CONCURRENCY];
	size_t i, made = 0;
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		c->parents++;
		if (!(keys[i] = parent_keys(c, json_array_get(items, from + i),
					    err)) ||
		    rest_first_request(c->s, c->step, keys[i], c->what, 0,
				       &urls[i], &sr[i], err))
			rc = -1;
		else
			calls[made++] = &sr[i].call;
	}
	if (!rc)
		rc = rest_prefetch(c->s, made, urls, calls, c->what, err);
	for (i = 0; i < made; i++) {
		free(urls[i]);
		rest_step_release(&sr[i]);
	}
	return rc;
}

/* for_each: each item of the parent list is fetched below (sub-resources,
 * per-item details). With a concurrency above 1, the first requests of as
 * many parents go out at once; their items are still handed on parent
 * after parent, in the partner's order, so the package is the same. Memory
 * is one page of each request in flight. */
static int on_parents(void *ctx, json_t *items, px_error *err)
{
	struct collect *c = ctx;
	size_t n = json_array_size(items), step = (size_t)c->s->concurrency;

	for (size_t from = 0; from < n; from += step) {
		json_t *keys[REST_MAX_CONCURRENCY] = {0};
		size_t m = n - from < step ? n - from : step, i;
		int rc = 0;

		if (m > 1)
			rc = prefetch_parents(c, items, from, m, keys, err);
		for (i = 0; i < m && !rc; i++) {
			if (m == 1) {
				c->parents++;
				if (!(keys[0] = parent_keys(
					  c, json_array_get(items, from), err)))
					rc = -1;
			}
			c->parent = json_array_get(items, from + i);
			if (!rc)
				rc =
				    rest_paginate(c->s, c->step, keys[i],
						  c->what, 0, on_items, c, err);
			c->parent = NULL;
		}
		for (i = 0; i < m; i++)
			json_decref(keys[i]);
		rest_prefetch_drop(c->s);
		if (rc)
			return -1;
	}
	return 0;
}

static int fetch_rest(px_source *s, size_t i, const json_t *keys,
		      px_emit_fn emit, void *ctx, px_error *err)
{
	json_t *step =
	    json_array_get(json_object_get(s->profile, "endpoints"), i);
	json_t *each = json_object_get(step, "for_each");
	char what[160];
	struct collect c = {s, step, keys, NULL, emit, ctx, 0, 0, what};

	snprintf(what, sizeof(what), "collection %s",
		 json_string_value(json_object_get(step, "entity")));
	/* lookups sent ahead that the core did not ask for */
	s->n_lookups_ahead = 0;
	rest_prefetch_drop(s);
	if (json_object_get(step, "export"))
		return rest_export_run(s, step, keys, what, on_items, &c, err);
	if (each)
		return rest_paginate(s, each, keys, what, 0, on_parents, &c,
				     err)
			   ? -1
			   : 0;
	return rest_paginate(s, step, keys, what, 0, on_items, &c, err) ? -1
									: 0;
}

static const char *const source_keys[] = {"profile",
					  "base_url",
					  "auth",
					  "ca_file",
					  "timeout_seconds",
					  "connect_timeout_seconds",
					  "max_attempts",
					  "max_total_seconds",
					  "max_source_seconds",
					  "concurrency",
					  "client_cert",
					  "client_key",
					  NULL};
/* Every secret some auth type reads (rest_auth.c). */
static const char *const auth_keys[] = {"client_id",   "client_secret",
					"username",    "password",
					"token",       "api_key",
					"private_key", "private_key_passphrase",
					"key_id",      NULL};
static const px_config_keys config_keys[] = {
    {"", source_keys},
    {"/auth", auth_keys},
    {NULL, NULL},
};

int px_rest_profile_check(const char *path, json_t **plan, px_error *err)
{
	json_t *none = json_object();
	px_source_cfg cfg = {"(profile check)", none, path, "", "."};
	px_source s = {0};
	int rc = -1;

	s.cfg = &cfg;
	if (!none || !(s.profile_path = strdup(path))) {
		px_error_oom(err);
	} else if (!rest_profile_parse(&s, err)) {
		*plan = json_incref(s.plan);
		rc = 0;
	}
	json_decref(s.profile);
	json_decref(s.plan);
	free(s.profile_path);
	json_decref(none);
	return rc;
}

const px_connector px_connector_rest = {
    .abi = PX_CONNECTOR_ABI,
    .name = "rest",
    .open = open_rest,
    .resolve = resolve_rest,
    .fetch = fetch_rest,
    .close = close_rest,
    .config_keys = config_keys,
};
