/*
 * lrs_config.c - the receiving LRS from the config's xapi.lrs (lrs.h).
 *
 * "xapi": {"lrs": {"NAME": {"endpoint": "https://lrs.example/xapi/",
 *          "username": "${LRS_KEY}", "password": "${LRS_SECRET}",
 *          "batch_size": 100, "timeout_seconds": 60, "ca_file": "ca.pem",
 *          "max_wait_seconds": 300}}}
 * or, instead of username and password, OAuth2 client credentials:
 *          "oauth2": {"token_url": "https://lrs.example/oauth/token",
 *                     "client_id": "${LRS_ID}", "client_secret":
 * "${LRS_SECRET}", "scope": "statements/write"} Credentials live in the
 * environment (${VAR}); they are never printed.
 */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xapi/lrs.h"

#define LRS_DEFAULT_BATCH   100
#define LRS_MAX_BATCH	    1000
#define LRS_DEFAULT_TIMEOUT 60
#define LRS_ATTEMPTS	    4
#define LRS_DEFAULT_WAIT    300
#define LRS_MAX_WAIT	    86400

static int cfg_fail(const px_config *cfg, px_error *err, const char *name,
		    const char *key, const char *what)
{
	return px_error_set(err, PX_EXIT_CONFIG, "%s: /xapi/lrs/%s%s%s: %s",
			    cfg ? cfg->path : "environment", name,
			    key ? "/" : "", key ? key : "", what);
}

static int is_loopback(const char *host, size_t n)
{
	return (n == 9 && !strncmp(host, "127.0.0.1", 9)) ||
	       (n == 9 && !strncasecmp(host, "localhost", 9)) ||
	       (n == 5 && !strncmp(host, "[::1]", 5));
}

/* NULL when url is an endpoint portex may send personal data to. */
static const char *endpoint_problem(const char *url)
{
	const char *host, *end;
	int plain = !strncmp(url, "http://", 7);

	if (!plain && strncmp(url, "https://", 8))
		return "expected an https:// URL (http:// only to 127.0.0.1)";
	host = url + (plain ? 7 : 8);
	end = host + strcspn(host, "/?#");
	if (end == host)
		return "the URL names no host";
	if (memchr(host, '@', (size_t)(end - host)))
		return "credentials do not belong in the URL: use username "
		       "and password (from ${VAR})";
	if (strpbrk(url, "?# \r\n"))
		return "expected the LRS endpoint, without query or fragment";
	if (plain) {
		const char *colon = host;
		size_t n;

		if (*host == '[')
			colon =
			    strchr(host, ']') ? strchr(host, ']') + 1 : host;
		colon = memchr(colon, ':', (size_t)(end - colon));
		n = (size_t)((colon ? colon : end) - host);
		if (!is_loopback(host, n))
			return "http:// sends learners' records in clear: "
			       "use https:// (http:// only to 127.0.0.1)";
	}
	return NULL;
}

static char *with_slash(const char *url)
{
	size_t n = strlen(url);
	char *s = malloc(n + 2);

	if (s) {
		memcpy(s, url, n);
		s[n] = '/';
		s[n + (n && url[n - 1] != '/')] = '\0';
	}
	return s;
}

static int opt_str(const px_config *cfg, const json_t *e, const char *name,
		   const char *key, const char **out, px_error *err)
{
	const char *last = strrchr(key, '/');
	const json_t *v = json_object_get(e, last ? last + 1 : key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v) || !*json_string_value(v))
		return cfg_fail(cfg, err, name, key,
				"expected a non-empty string");
	*out = json_string_value(v);
	return 0;
}

static int opt_long(const px_config *cfg, const json_t *e, const char *name,
		    const char *key, long def, long max, long *out,
		    px_error *err)
{
	const json_t *v = json_object_get(e, key);
	char what[64];

	*out = def;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > max) {
		snprintf(what, sizeof(what), "expected an integer 1..%ld", max);
		return cfg_fail(cfg, err, name, key, what);
	}
	*out = (long)json_integer_value(v);
	return 0;
}

static int dup_or_null(const char *s, char **out)
{
	*out = s ? strdup(s) : NULL;
	return s && !*out ? -1 : 0;
}

/* "oauth2": {token_url, client_id, client_secret[, scope]}. */
static int oauth2_entry(const px_config *cfg, const char *name, const json_t *o,
			px_lrs *lrs, px_error *err)
{
	const char *url, *id, *secret, *scope, *why;

	if (!json_is_object(o))
		return cfg_fail(cfg, err, name, "oauth2",
				"expected an object {token_url, client_id, "
				"client_secret, scope}");
	if (opt_str(cfg, o, name, "oauth2/token_url", &url, err) ||
	    opt_str(cfg, o, name, "oauth2/client_id", &id, err) ||
	    opt_str(cfg, o, name, "oauth2/client_secret", &secret, err) ||
	    opt_str(cfg, o, name, "oauth2/scope", &scope, err))
		return -1;
	if (!url || !id || !secret)
		return cfg_fail(cfg, err, name,
				!url  ? "oauth2/token_url"
				: !id ? "oauth2/client_id"
				      : "oauth2/client_secret",
				"missing (OAuth2 client credentials need "
				"token_url, client_id and client_secret, the "
				"last two from ${VAR})");
	/* The client secret goes there: never in clear over a network. */
	if ((why = endpoint_problem(url)))
		return cfg_fail(cfg, err, name, "oauth2/token_url", why);
	if (dup_or_null(url, &lrs->token_url) ||
	    dup_or_null(id, &lrs->client_id) ||
	    dup_or_null(secret, &lrs->client_secret) ||
	    dup_or_null(scope, &lrs->scope))
		return px_error_oom(err);
	return 0;
}

static int from_entry(const px_config *cfg, const char *name, const json_t *e,
		      px_lrs *lrs, px_error *err)
{
	const char *url, *user, *pw, *ca, *why;
	const json_t *o2 = json_object_get(e, "oauth2");

	if (!json_is_object(e))
		return cfg_fail(cfg, err, name, NULL, "expected an object");
	if (opt_str(cfg, e, name, "endpoint", &url, err) ||
	    opt_str(cfg, e, name, "username", &user, err) ||
	    opt_str(cfg, e, name, "password", &pw, err) ||
	    opt_str(cfg, e, name, "ca_file", &ca, err) ||
	    opt_long(cfg, e, name, "batch_size", LRS_DEFAULT_BATCH,
		     LRS_MAX_BATCH, &lrs->batch, err) ||
	    opt_long(cfg, e, name, "timeout_seconds", LRS_DEFAULT_TIMEOUT, 3600,
		     &lrs->timeout, err) ||
	    opt_long(cfg, e, name, "max_wait_seconds", LRS_DEFAULT_WAIT,
		     LRS_MAX_WAIT, &lrs->max_wait, err))
		return -1;
	if (!url)
		return cfg_fail(cfg, err, name, "endpoint",
				"missing (the LRS's xAPI endpoint, "
				"https://.../xapi/)");
	if ((why = endpoint_problem(url)))
		return cfg_fail(cfg, err, name, "endpoint", why);
	if (!user != !pw)
		return cfg_fail(cfg, err, name, user ? "password" : "username",
				"username and password go together");
	if (o2 && user)
		return cfg_fail(cfg, err, name, "oauth2",
				"either username and password (Basic) or "
				"oauth2, not both");
	if (o2 && oauth2_entry(cfg, name, o2, lrs, err))
		return -1;
	if (dup_or_null(name, &lrs->name) ||
	    !(lrs->endpoint = with_slash(url)) ||
	    dup_or_null(user, &lrs->username) ||
	    dup_or_null(pw, &lrs->password))
		return px_error_oom(err);
	if (ca && !(lrs->ca_file = px_config_path(cfg, ca)))
		return px_error_oom(err);
	return 0;
}

static int same_endpoint(const json_t *e, const char *url)
{
	const char *v = json_string_value(json_object_get(e, "endpoint"));
	size_t a, b;

	if (!v)
		return 0;
	a = strlen(v) - (*v && v[strlen(v) - 1] == '/');
	b = strlen(url) - (*url && url[strlen(url) - 1] == '/');
	return a == b && !strncmp(v, url, a);
}

static int from_env(const char *url, px_lrs *lrs, px_error *err)
{
	const char *user = getenv("PORTEX_LRS_USERNAME");
	const char *pw = getenv("PORTEX_LRS_PASSWORD");
	const char *why = endpoint_problem(url);

	if (why)
		return px_error_set(err, PX_EXIT_USAGE, "--to %s: %s", url,
				    why);
	if ((user && *user) != (pw && *pw))
		return px_error_set(err, PX_EXIT_CONFIG,
				    "PORTEX_LRS_USERNAME and "
				    "PORTEX_LRS_PASSWORD go together");
	lrs->batch = LRS_DEFAULT_BATCH;
	lrs->timeout = LRS_DEFAULT_TIMEOUT;
	lrs->max_wait = LRS_DEFAULT_WAIT;
	if (dup_or_null(url, &lrs->name) ||
	    !(lrs->endpoint = with_slash(url)) ||
	    dup_or_null(user && *user ? user : NULL, &lrs->username) ||
	    dup_or_null(pw && *pw ? pw : NULL, &lrs->password))
		return px_error_oom(err);
	return 0;
}

int px_lrs_from_config(const px_config *cfg, const char *to, px_lrs *lrs,
		       px_error *err)
{
	const json_t *xapi = cfg ? json_object_get(cfg->root, "xapi") : NULL;
	const json_t *all = json_object_get(xapi, "lrs"), *e;
	const char *name;
	int rc;

	memset(lrs, 0, sizeof(*lrs));
	lrs->attempts = LRS_ATTEMPTS;
	if (all && !json_is_object(all))
		return px_error_set(err, PX_EXIT_CONFIG,
				    "%s: /xapi/lrs: expected an object of "
				    "named LRSs",
				    cfg->path);
	if ((e = json_object_get(all, to)))
		rc = from_entry(cfg, to, e, lrs, err);
	else if (strstr(to, "://")) {
		rc = -2;
		json_object_foreach ((json_t *)all, name, e)
			if (same_endpoint(e, to)) {
				rc = from_entry(cfg, name, e, lrs, err);
				break;
			}
		if (rc == -2)
			rc = from_env(to, lrs, err);
	} else
		rc = px_error_set(err, PX_EXIT_USAGE,
				  "--to %s: no LRS of that name in %s "
				  "(xapi.lrs), and not a URL",
				  to,
				  cfg ? cfg->path : "the config (none given)");
	if (rc)
		px_lrs_clear(lrs);
	return rc ? -1 : 0;
}

static void wipe(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void px_lrs_clear(px_lrs *lrs)
{
	wipe(lrs->password);
	wipe(lrs->client_secret);
	wipe(lrs->client_id);
	free(lrs->token_url);
	free(lrs->scope);
	free(lrs->name);
	free(lrs->endpoint);
	free(lrs->username);
	free(lrs->ca_file);
	memset(lrs, 0, sizeof(*lrs));
}
