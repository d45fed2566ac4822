/*
 * config.c - loads the deployment config: JSON, ${VAR} substitution, shape
 * checks. Every error names the file, the JSON path and what was expected.
 */
#include "portex/config.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "portex/connector.h"
#include "tz.h"

static int cfg_fail(px_error *err, const char *file, const char *path,
		    const char *what)
{
	return px_error_set(err, PX_EXIT_CONFIG, "%s: %s: %s", file,
			    *path ? path : "/", what);
}

/* Replaces ${NAME} in s from the environment. Returns a new string, or
 * NULL with err set. The value never appears in a message: it may be a
 * password. */
static char *substitute(const char *s, const char *file, const char *path,
			px_error *err)
{
	size_t cap = strlen(s) + 1, len = 0;
	char *out = malloc(cap);

	if (!out) {
		px_error_oom(err);
		return NULL;
	}
	while (*s) {
		const char *end, *val;
		char name[256];
		size_t n;

		if (s[0] != '$' || s[1] != '{') {
			out[len++] = *s++;
			continue;
		}
		end = strchr(s + 2, '}');
		n = end ? (size_t)(end - s - 2) : 0;
		if (!end || n == 0 || n >= sizeof(name)) {
			free(out);
			cfg_fail(err, file, path,
				 "unterminated or empty ${...}: expected "
				 "${NAME} with NAME an environment variable");
			return NULL;
		}
		memcpy(name, s + 2, n);
		name[n] = '\0';
		for (size_t i = 0; i < n; i++) {
			if (!(isalnum((unsigned char)name[i]) ||
			      name[i] == '_')) {
				free(out);
				px_error_set(err, PX_EXIT_CONFIG,
					     "%s: %s: ${%s}: expected a "
					     "variable name of letters, digits "
					     "and _",
					     file, path, name);
				return NULL;
			}
		}
		val = getenv(name);
		if (!val) {
			free(out);
			px_error_set(err, PX_EXIT_CONFIG,
				     "%s: %s: environment variable %s is not "
				     "set",
				     file, path, name);
			return NULL;
		}
		cap += strlen(val);
		char *grown = realloc(out, cap);
		if (!grown) {
			free(out);
			px_error_oom(err);
			return NULL;
		}
		out = grown;
		memcpy(out + len, val, strlen(val));
		len += strlen(val);
		s = end + 1;
	}
	out[len] = '\0';
	return out;
}

/* Strings are rewritten in place (json_string_set), so one walk serves
 * objects and arrays alike. path holds the JSON pointer of node. */
static int substitute_tree(json_t *node, const char *file, char *path,
			   size_t pathlen, px_error *err)
{
	size_t plen = strlen(path), i;
	const char *key;
	json_t *v;
	int rc = 0;

	if (json_is_string(node)) {
		char *s = substitute(json_string_value(node), file, path, err);
		if (!s)
			return -1;
		rc = json_string_set(node, s);
		free(s);
		return rc ? px_error_oom(err) : 0;
	}
	json_object_foreach (node, key, v) {
		snprintf(path + plen, pathlen - plen, "/%s", key);
		if ((rc = substitute_tree(v, file, path, pathlen, err)))
			break;
	}
	json_array_foreach (node, i, v) {
		snprintf(path + plen, pathlen - plen, "/%zu", i);
		if ((rc = substitute_tree(v, file, path, pathlen, err)))
			break;
	}
	path[plen] = '\0';
	return rc;
}

static int is_safe_name(const char *s)
{
	if (!*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* The keys of the deployment config (DESIGN.md "Deployment config"). A new
 * section or key is a new row or word here; sources are checked against
 * source_keys plus their driver's own table (connector.h). */
/* "processing" is checked whole against manifest.schema.json's
 * $defs/processing (src/processing.c), whose objects allow no other key. */
static const char *const root_keys[] = {
    "controller", "locale",  "ledger",	   "signing",  "deadline",
    "plugins",	  "sources", "smtp",	   "serve",    "cohorts",
    "bulk",	  "xapi",    "processing", "timezone", NULL};
static const char *const controller_keys[] = {"name", "contact", NULL};
static const char *const signing_keys[] = {
    "key", "cert", "passphrase_file", "passphrase_env", "tsa_url", NULL};
static const char *const deadline_keys[] = {"calendar", NULL};
static const char *const xapi_keys[] = {"home_page", "lrs", NULL};
/* portex transmit's receiving LRSs (src/xapi/lrs_config.c; names free). */
static const char *const xapi_lrs_keys[] = {
    "endpoint",	  "username",	     "password",	 "oauth2", "ca_file",
    "batch_size", "timeout_seconds", "max_wait_seconds", NULL};
static const char *const xapi_lrs_oauth2_keys[] = {
    "token_url", "client_id", "client_secret", "scope", NULL};
static const char *const smtp_keys[] = {"url",
					"username",
					"password",
					"from",
					"from_name",
					"reply_to",
					"ca_file",
					"officer",
					"attach_max_bytes",
					"timeout_seconds",
					"templates",
					NULL};
/* portex serve (src/serve/serve_config.c reads them). */
static const char *const serve_keys[] = {"listen",
					 "token",
					 "link_key",
					 "public_url",
					 "out_dir",
					 "workers",
					 "queue",
					 "link_days",
					 "interval_hours",
					 "max_connections",
					 "timeout_seconds",
					 "http_threads",
					 "purge_minutes",
					 "tls",
					 "allow_plain_http",
					 "webhook",
					 NULL};
static const char *const serve_tls_keys[] = {"cert", "key", NULL};
static const char *const serve_webhook_keys[] = {"url", "secret", "attempts",
						 NULL};
static const char *const smtp_template_langs[] = {"fr", "en", NULL};
static const char *const smtp_template_keys[] = {"subject", "text", NULL};
/* src/queue/subjects.h (cohorts: names are free) and outdir.h (bulk). */
static const char *const cohort_keys[] = {"source", "query", "retention_months",
					  NULL};
static const char *const bulk_keys[] = {"salt_file", "salt_env", NULL};
static const px_config_keys root_table[] = {
    {"", root_keys},
    {"/controller", controller_keys},
    {"/signing", signing_keys},
    {"/deadline", deadline_keys},
    {"/smtp", smtp_keys},
    {"/xapi", xapi_keys},
    {"/xapi/lrs/*", xapi_lrs_keys},
    {"/xapi/lrs/*/oauth2", xapi_lrs_oauth2_keys},
    {"/smtp/templates", smtp_template_langs},
    {"/smtp/templates/*", smtp_template_keys},
    {"/serve", serve_keys},
    {"/serve/tls", serve_tls_keys},
    {"/serve/webhook", serve_webhook_keys},
    {"/cohorts/*", cohort_keys},
    {"/bulk", bulk_keys},
    {NULL, NULL},
};

static const char *const source_keys[] = {"name",     "connector",   "xapi",
					  "timezone", "minor_units", NULL};
static const char *const source_xapi_keys[] = {"activity_base", NULL};
static const px_config_keys source_table[] = {
    {"", source_keys},
    {"/xapi", source_xapi_keys},
    {NULL, NULL},
};

/* A driver built for ABI 1 declares nothing: its sources go unchecked. */
static int check_source_keys(const px_config *cfg, const json_t *src,
			     const px_connector *c, const char *where,
			     px_error *err)
{
	const px_config_keys *tables[] = {source_table, NULL, NULL};

	if (c->abi < 2 || !c->config_keys)
		return 0;
	tables[1] = c->config_keys;
	return px_config_check_keys(src, tables, cfg->path, where, err);
}

static int check_shape(const px_config *cfg, px_error *err)
{
	const char *f = cfg->path;
	json_t *root = cfg->root, *c, *srcs, *src, *plugins, *p;
	const px_config_keys *tables[] = {root_table, NULL};
	const px_connector *driver;
	char where[64];
	size_t i, j;

	if (px_config_check_keys(root, tables, f, "", err))
		return -1;
	c = json_object_get(root, "controller");
	if (!json_is_object(c) || !json_is_string(json_object_get(c, "name")))
		return cfg_fail(err, f, "/controller",
				"expected an object with a \"name\" string");
	if ((p = json_object_get(root, "locale")) &&
	    !(json_is_string(p) && (!strcmp(json_string_value(p), "fr") ||
				    !strcmp(json_string_value(p), "en"))))
		return cfg_fail(err, f, "/locale", "expected \"fr\" or \"en\"");
	/* The page's dates are shown in it: a zone this machine cannot read
	 * would show them in UTC, silently. */
	if ((p = json_object_get(root, "timezone")) &&
	    !(json_is_string(p) && px_tz_shared(json_string_value(p))))
		return cfg_fail(err, f, "/timezone",
				"expected an IANA time zone this machine's "
				"zoneinfo has, such as \"Europe/Paris\"");
	if ((p = json_object_get(root, "ledger")) && !json_is_string(p))
		return cfg_fail(err, f, "/ledger",
				"expected \"sqlite:FILE\" or a PostgreSQL URI");
	if ((p = json_object_get(root, "signing")) && !json_is_object(p))
		return cfg_fail(err, f, "/signing",
				"expected an object with \"key\" and \"cert\"");
	plugins = json_object_get(root, "plugins");
	if (plugins && !json_is_array(plugins))
		return cfg_fail(err, f, "/plugins",
				"expected an array of shared-object paths");
	json_array_foreach (plugins, i, p) {
		char *so;
		snprintf(where, sizeof(where), "/plugins/%zu", i);
		if (!json_is_string(p))
			return cfg_fail(err, f, where, "expected a path");
		so = px_config_path(cfg, json_string_value(p));
		if (!so)
			return px_error_oom(err);
		if (px_connector_load(so, err)) {
			free(so);
			return px_error_prefix(err, "%s: %s", f, where);
		}
		free(so);
	}
	srcs = json_object_get(root, "sources");
	if (!json_is_array(srcs) || !json_array_size(srcs))
		return cfg_fail(err, f, "/sources",
				"expected a non-empty array of sources");
	json_array_foreach (srcs, i, src) {
		json_t *name = json_object_get(src, "name");
		json_t *conn = json_object_get(src, "connector");

		snprintf(where, sizeof(where), "/sources/%zu", i);
		if (!json_is_object(src))
			return cfg_fail(err, f, where, "expected an object");
		snprintf(where, sizeof(where), "/sources/%zu/name", i);
		if (!json_is_string(name) ||
		    !is_safe_name(json_string_value(name)))
			return cfg_fail(err, f, where,
					"expected a name of letters, digits, "
					"_ and - (at most 64)");
		for (j = 0; j < i; j++)
			if (json_equal(name,
				       json_object_get(json_array_get(srcs, j),
						       "name")))
				return cfg_fail(err, f, where,
						"two sources have this name");
		snprintf(where, sizeof(where), "/sources/%zu/connector", i);
		if (!json_is_string(conn))
			return cfg_fail(err, f, where,
					"expected a connector name (sqlite, "
					"postgres, rest)");
		if (!(driver = px_connector_find(json_string_value(conn))))
			return px_error_set(
			    err, PX_EXIT_CONFIG,
			    "%s: %s: unknown connector \"%s\"; expected "
			    "sqlite, postgres, rest or one from "
			    "\"plugins\"",
			    f, where, json_string_value(conn));
		snprintf(where, sizeof(where), "/sources/%zu", i);
		if (check_source_keys(cfg, src, driver, where, err))
			return -1;
	}
	return 0;
}

static char *folder_of(const char *path)
{
	char *copy = strdup(path), *dir, *abs = NULL;

	if (!copy)
		return NULL;
	dir = dirname(copy);
	abs = realpath(dir, NULL);
	free(copy);
	return abs;
}

px_config *px_config_load(const char *path, px_error *err)
{
	px_config *cfg;
	json_error_t jerr;
	char jpath[512] = "";
	FILE *fp;

	fp = fopen(path, "rb");
	if (!fp) {
		px_error_set(err, PX_EXIT_CONFIG, "cannot read config %s: %s",
			     path, strerror(errno));
		return NULL;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		fclose(fp);
		px_error_oom(err);
		return NULL;
	}
	cfg->root = json_loadf(fp, JSON_REJECT_DUPLICATES, &jerr);
	fclose(fp);
	cfg->path = strdup(path);
	cfg->base_dir = folder_of(path);
	if (!cfg->root) {
		px_error_set(err, PX_EXIT_CONFIG,
			     "%s: line %d, column %d: invalid JSON: %s", path,
			     jerr.line, jerr.column, jerr.text);
		px_config_free(cfg);
		return NULL;
	}
	if (!cfg->path || !cfg->base_dir) {
		px_error_oom(err);
		px_config_free(cfg);
		return NULL;
	}
	if (!json_is_object(cfg->root)) {
		cfg_fail(err, path, "/", "expected a JSON object");
		px_config_free(cfg);
		return NULL;
	}
	if (substitute_tree(cfg->root, path, jpath, sizeof(jpath), err) ||
	    check_shape(cfg, err)) {
		px_config_free(cfg);
		return NULL;
	}
	return cfg;
}

void px_config_free(px_config *cfg)
{
	if (!cfg)
		return;
	json_decref(cfg->root);
	free(cfg->path);
	free(cfg->base_dir);
	free(cfg);
}

char *px_config_path(const px_config *cfg, const char *path)
{
	return px_path_join(cfg->base_dir, path);
}

const char *px_config_str(const px_config *cfg, const char *dotted)
{
	char key[128];
	const char *dot;
	json_t *node = cfg->root;

	while (node && (dot = strchr(dotted, '.'))) {
		size_t n = (size_t)(dot - dotted);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, dotted, n);
		key[n] = '\0';
		node = json_object_get(node, key);
		dotted = dot + 1;
	}
	return json_string_value(json_object_get(node, dotted));
}
