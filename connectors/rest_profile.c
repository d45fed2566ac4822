/*
 * rest_profile.c - a partner profile (docs/profiles.md): found, loaded and
 * checked once at open, so that a mistake in it is a config error naming
 * the profile file and the JSON path, never a surprise mid-export; and the
 * plan the pipeline sees, built from its lookups and endpoints.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "rest.h"

#ifndef PX_DATADIR
#define PX_DATADIR "/usr/local/share/portex"
#endif

#define perr rest_perr

int rest_perr(px_source *s, px_error *err, const char *where, const char *fmt,
	      ...)
{
	char msg[PX_ERROR_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return px_error_set(err, PX_EXIT_CONFIG, "%s: %s: source %s: %s",
			    s->profile_path, *where ? where : "/", s->cfg->name,
			    msg);
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int one_of(const char *v, const char *const *set)
{
	for (; v && *set; set++)
		if (!strcmp(v, *set))
			return 1;
	return 0;
}

/* Optional (or required) member k of o: a JSON pointer string. */
static int check_pointer(px_source *s, const json_t *o, const char *k,
			 const char *where, int required, px_error *err)
{
	json_t *v = json_object_get(o, k);

	if (!v && !required)
		return 0;
	if (!json_is_string(v) ||
	    (json_string_length(v) && json_string_value(v)[0] != '/'))
		return perr(s, err, where,
			    "\"%s\": expected a JSON pointer (\"\" for the "
			    "whole body, or \"/data\")",
			    k);
	return 0;
}

static int check_auth(px_source *s, px_error *err)
{
	static const char *const types[] = {
	    "none", "oauth2_client_credentials", "bearer", "api_key", "basic",
	    NULL};
	static const char *const ins[] = {"header", "query", NULL};
	static const char *const how[] = {"basic",
					  "body",
					  "client_secret_basic",
					  "client_secret_post",
					  "private_key_jwt",
					  NULL};
	json_t *a = json_object_get(s->profile, "auth");
	const char *t = str(a, "type");
	const char *path = str(a, "token_path"), *url = str(a, "token_url");

	if (!json_is_object(a) || !one_of(t, types))
		return perr(s, err, "/auth/type",
			    "expected \"oauth2_client_credentials\", "
			    "\"bearer\", \"api_key\", \"basic\" or \"none\"");
	if (!strcmp(t, "oauth2_client_credentials")) {
		if (!(path && path[0] == '/') &&
		    !(url && (!strncmp(url, "https://", 8) ||
			      !strncmp(url, "http://", 7))))
			return perr(
			    s, err, "/auth",
			    "expected \"token_path\" (\"/oauth/token\", "
			    "below base_url) or \"token_url\"");
		if (json_object_get(a, "client_auth") &&
		    !one_of(str(a, "client_auth"), how))
			return perr(s, err, "/auth/client_auth",
				    "expected \"client_secret_basic\" (or "
				    "\"basic\"), \"client_secret_post\" (or "
				    "\"body\") or \"private_key_jwt\"");
	}
	if (!strcmp(t, "api_key")) {
		if (!one_of(str(a, "in"), ins))
			return perr(s, err, "/auth/in",
				    "expected \"header\" or \"query\"");
		if (!str(a, "name") || !*str(a, "name") ||
		    strpbrk(str(a, "name"), ":\r\n&=#"))
			return perr(s, err, "/auth/name",
				    "expected the header or parameter name");
	}
	return 0;
}

static int check_size(px_source *s, const json_t *pg, const char *k,
		      long long min, const char *where, px_error *err)
{
	json_t *v = json_object_get(pg, k);

	if (v && (!json_is_integer(v) || json_integer_value(v) < min))
		return perr(s, err, where,
			    "\"%s\": expected an integer >= %lld", k, min);
	return 0;
}

static int check_param(px_source *s, const json_t *pg, const char *k,
		       int required, const char *where, px_error *err)
{
	json_t *v = json_object_get(pg, k);

	if ((!v && !required) || (json_is_string(v) && json_string_length(v)))
		return 0;
	return perr(s, err, where, "\"%s\": expected a query parameter name",
		    k);
}

static int check_pagination(px_source *s, const json_t *pg, const char *where,
			    px_error *err)
{
	static const char *const types[] = {
	    "none", "page",	"offset",	  "cursor",
	    "link", "next_url", "starting_after", NULL};
	const char *t = str(pg, "type");

	if (!pg)
		return 0;
	if (!json_is_object(pg) || !one_of(t, types))
		return perr(s, err, where,
			    "\"type\": expected \"none\", \"page\", "
			    "\"offset\", \"cursor\", \"link\", "
			    "\"next_url\" or \"starting_after\"");
	if (check_param(s, pg, "param", !strcmp(t, "cursor"), where, err) ||
	    check_param(s, pg, "size_param", 0, where, err) ||
	    check_size(s, pg, "size", 1, where, err) ||
	    check_size(s, pg, "start", 0, where, err) ||
	    check_size(s, pg, "max_pages", 1, where, err) ||
	    check_pointer(s, pg, "total_pages", where, 0, err) ||
	    check_pointer(s, pg, "next", where,
			  !strcmp(t, "cursor") || !strcmp(t, "next_url"),
			  err) ||
	    check_pointer(s, pg, "has_more", where, 0, err) ||
	    check_pointer(s, pg, "id", where, 0, err))
		return -1;
	return 0;
}

static const char *const methods[] = {"GET", "POST", NULL};

/* Static headers: {"Api-Version": "2024-01", "X-Tenant": "{tenant}"}. */
static int check_headers(px_source *s, const json_t *h, const char *where,
			 px_error *err)
{
	const char *k;
	json_t *v;

	if (!h)
		return 0;
	if (!json_is_object(h))
		return perr(s, err, where,
			    "\"headers\": expected an object of header "
			    "templates");
	json_object_foreach ((json_t *)h, k, v) {
		if (!json_is_string(v) || !*k || strpbrk(k, ":\r\n ") ||
		    strpbrk(json_string_value(v), "\r\n") ||
		    !strcasecmp(k, "Authorization"))
			return perr(s, err, where,
				    "\"headers\": \"%s\": expected a header "
				    "name and a one-line string (auth has its "
				    "own section)",
				    k);
	}
	return 0;
}

/* What lookups and endpoints share: a path, a query, items, pagination. */
static int check_step(px_source *s, const json_t *st, const char *where,
		      px_error *err)
{
	const char *path = str(st, "path"), *k;
	json_t *q = json_object_get(st, "query"), *v;
	char sub[96];

	if (!json_is_object(st))
		return perr(s, err, where, "expected an object");
	/* an export job's requests are in its "start" */
	if ((!path || path[0] != '/') && !json_object_get(st, "export"))
		return perr(s, err, where,
			    "\"path\": expected a path below base_url, "
			    "\"/v1/learners/{polylearn_id}\"");
	if (q && !json_is_object(q))
		return perr(s, err, where,
			    "\"query\": expected an object of parameter "
			    "templates");
	json_object_foreach (q, k, v) {
		if (!json_is_string(v))
			return perr(s, err, where,
				    "\"query\": \"%s\": expected a string "
				    "template",
				    k);
	}
	if (json_object_get(st, "method") &&
	    !one_of(str(st, "method"), methods))
		return perr(s, err, where,
			    "\"method\": expected \"GET\" or \"POST\"");
	if (check_headers(s, json_object_get(st, "headers"), where, err))
		return -1;
	snprintf(sub, sizeof(sub), "%s/pagination", where);
	return check_pointer(s, st, "items", where, 0, err) ||
		       check_pagination(s, json_object_get(st, "pagination"),
					sub, err)
		   ? -1
		   : 0;
}

/* The identity keys an endpoint needs: its templates', its parent list's
 * and its export job's, less the {item.x} a parent item fills. */
static json_t *plan_needs(const json_t *st)
{
	const json_t *parts[] = {
	    st, json_object_get(st, "for_each"),
	    json_object_get(json_object_get(st, "export"), "start")};
	json_t *all = json_array(), *v;
	size_t i, j;

	for (j = 0; all && j < 3; j++) {
		json_t *n = parts[j] ? rest_template_needs(parts[j]) : NULL;

		if (n)
			rest_step_needs(parts[j], n);

		json_array_foreach (n, i, v) {
			const char *name = json_string_value(v);
			json_t *w;
			size_t k;
			int dup = 0;

			if (!strncmp(name, "item.", 5))
				continue;
			json_array_foreach (all, k, w)
				dup |= json_equal(v, w);
			if (!dup)
				json_array_append(all, v);
		}
		json_decref(n);
	}
	return all;
}

int rest_check_step(px_source *s, const json_t *st, const char *where,
		    px_error *err)
{
	return check_step(s, st, where, err);
}

static int plan_lookups(px_source *s, json_t *out, px_error *err)
{
	json_t *arr = json_object_get(s->profile, "lookups"), *st;
	char where[64];
	size_t i;

	if (arr && !json_is_array(arr))
		return perr(s, err, "/lookups", "expected an array");
	json_array_foreach (arr, i, st) {
		const char *p = str(st, "provides");
		json_t *o;

		snprintf(where, sizeof(where), "/lookups/%zu", i);
		if (check_step(s, st, where, err) ||
		    check_pointer(s, st, "value", where, 1, err))
			return -1;
		if (!p || !*p)
			return perr(s, err, where,
				    "\"provides\": expected the identity key "
				    "it finds, \"polylearn_id\"");
		o = json_pack("{s:s, s:o*}", "provides", p, "needs",
			      plan_needs(st));
		if (!o || json_array_append_new(out, o))
			return px_error_oom(err);
	}
	return 0;
}

/* for_each, unnest and export, when an endpoint has them. */
static int check_fanout(px_source *s, const json_t *st, const char *where,
			px_error *err)
{
	json_t *each = json_object_get(st, "for_each");
	json_t *ex = json_object_get(st, "export");
	char sub[96];
	json_t *needs = rest_template_needs(st), *v;
	size_t i;
	int uses_item = 0;

	json_array_foreach (needs, i, v)
		uses_item |= !strncmp(json_string_value(v), "item.", 5);
	json_decref(needs);
	snprintf(sub, sizeof(sub), "%s/for_each", where);
	if (each && check_step(s, each, sub, err))
		return -1;
	if (uses_item && !each)
		return perr(s, err, where,
			    "a template uses {item.…}, which only a "
			    "\"for_each\" parent item fills");
	if (check_pointer(s, st, "unnest", where, 0, err))
		return -1;
	if (ex && (each || !json_is_object(ex)))
		return perr(s, err, where,
			    "\"export\": expected an object, and no "
			    "\"for_each\" beside it");
	return ex ? rest_export_check(s, ex, where, err) : 0;
}

static int plan_endpoints(px_source *s, json_t *out, px_error *err)
{
	static const char *const cats[] = {"provided", "observed", "derived",
					   NULL};
	json_t *arr = json_object_get(s->profile, "endpoints"), *st;
	char where[64], sub[96];
	size_t i;

	if (!json_is_array(arr) || !json_array_size(arr))
		return perr(s, err, "/endpoints",
			    "expected an array of endpoints");
	json_array_foreach (arr, i, st) {
		const char *e = str(st, "entity"), *c = str(st, "category");
		json_t *o;

		snprintf(where, sizeof(where), "/endpoints/%zu", i);
		snprintf(sub, sizeof(sub), "%s/fields", where);
		if (check_step(s, st, where, err))
			return -1;
		if (!e || !*e)
			return perr(s, err, where,
				    "\"entity\": expected an entity name, "
				    "\"score\"");
		if (!one_of(c, cats))
			return perr(s, err, where,
				    "\"category\": expected \"provided\", "
				    "\"observed\" or \"derived\"");
		if (rest_map_check(s, json_object_get(st, "fields"), sub, err))
			return -1;
		if (check_fanout(s, st, where, err))
			return -1;
		o = json_pack("{s:s, s:s, s:o*}", "entity", e, "category", c,
			      "needs", plan_needs(st));
		if (!o || json_array_append_new(out, o))
			return px_error_oom(err);
	}
	return 0;
}

/* "profile": absolute, else beside the config, else installed with
 * portex (PX_DATADIR/connectors/<file name>). */
static char *find_profile(const px_source_cfg *cfg, const char *name)
{
	const char *base = strrchr(name, '/');
	char *p = px_cfg_resolve_path(cfg, name);
	size_t n;

	if (!p || name[0] == '/' || !access(p, R_OK))
		return p;
	base = base ? base + 1 : name;
	n = strlen(PX_DATADIR) + strlen(base) + 16;
	free(p);
	if ((p = malloc(n)))
		snprintf(p, n, "%s/connectors/%s", PX_DATADIR, base);
	if (p && access(p, R_OK)) {
		free(p);
		p = px_cfg_resolve_path(cfg, name); /* report the first */
	}
	return p;
}

int rest_profile_load(px_source *s, px_error *err)
{
	const char *name =
	    json_string_value(json_object_get(s->cfg->json, "profile"));

	if (!name || !*name)
		return px_cfg_error(err, s->cfg, "/profile",
				    "expected the path of a partner profile, "
				    "\"connectors/polylearn.json\"");
	if (!(s->profile_path = find_profile(s->cfg, name)))
		return px_error_oom(err);
	return rest_profile_parse(s, err);
}

int rest_profile_parse(px_source *s, px_error *err)
{
	json_error_t je;
	json_t *res, *col, *ver;
	const px_config_keys *tables[2] = {NULL, NULL};

	s->profile =
	    json_load_file(s->profile_path, JSON_REJECT_DUPLICATES, &je);
	if (!s->profile) {
		if (access(s->profile_path, R_OK) &&
		    !json_object_get(s->cfg->json, "profile"))
			return px_error_set(err, PX_EXIT_CONFIG,
					    "%s: cannot read the profile",
					    s->profile_path);
		if (access(s->profile_path, R_OK))
			return px_cfg_error(
			    err, s->cfg, "/profile",
			    "cannot read profile %s (nor %s/connectors/)",
			    s->profile_path, PX_DATADIR);
		return px_error_set(err, PX_EXIT_CONFIG,
				    "%s: line %d, column %d: source %s: "
				    "invalid JSON: %s",
				    s->profile_path, je.line, je.column,
				    s->cfg->name, je.text);
	}
	if (!json_is_object(s->profile))
		return perr(s, err, "", "expected a JSON object");
	tables[0] = rest_profile_keys;
	if (px_config_check_keys(s->profile, tables, s->profile_path, "", err))
		return -1;
	/* A later format gets a new number; this driver reads format 1. */
	ver = json_object_get(s->profile, "profile");
	if (ver && !(json_is_integer(ver) && json_integer_value(ver) == 1))
		return perr(s, err, "/profile",
			    "this portex reads profile format 1 only");
	res = json_array();
	col = json_array();
	s->plan = json_pack("{s:o, s:o}", "resolve", res, "collections", col);
	if (!res || !col || !s->plan)
		return px_error_oom(err);
	if (check_auth(s, err) ||
	    check_headers(s, json_object_get(s->profile, "headers"), "", err) ||
	    check_pagination(s, json_object_get(s->profile, "pagination"),
			     "/pagination", err) ||
	    plan_lookups(s, res, err) || plan_endpoints(s, col, err))
		return -1;
	return 0;
}
