/*
 * serve_config.c - the "serve" section, read once at start. Every error
 * names the file and the JSON path; a secret's value never appears.
 */
#include "serve/serve_config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIN_SECRET 16

static int fail(px_error *err, const px_config *cfg, const char *where,
		const char *what)
{
	return px_error_set(err, PX_EXIT_CONFIG, "%s: /serve%s: %s", cfg->path,
			    where, what);
}

int px_serve_parse_listen(const char *s, struct sockaddr_storage *addr,
			  socklen_t *len, int *loopback)
{
	char host[96];
	const char *colon, *h = s;
	size_t n;
	char *end;
	long port;

	memset(addr, 0, sizeof(*addr));
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -1;
		h = s + 1;
		n = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		n = (size_t)(colon - s);
	}
	if (!n || n >= sizeof(host))
		return -1;
	/* An IPv6 address without brackets cannot be told from its port. */
	if (*s != '[' && memchr(h, ':', n))
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || port < 0 || port > 65535)
		return -1;
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof(*v4);
		*loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*v6);
		*loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
		return 0;
	}
	return -1;
}

/* An optional whole number in [lo, hi], default def. */
static int number(const px_config *cfg, const json_t *sec, const char *key,
		  long def, long lo, long hi, long *out, px_error *err)
{
	const json_t *v = json_object_get(sec, key);
	char where[64], what[96];

	*out = def;
	if (!v)
		return 0;
	snprintf(where, sizeof(where), "/%s", key);
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		snprintf(what, sizeof(what),
			 "expected a whole number from "
			 "%ld to %ld",
			 lo, hi);
		return fail(err, cfg, where, what);
	}
	*out = (long)json_integer_value(v);
	return 0;
}

/* An optional string; required ones say so. */
static int string(const px_config *cfg, const json_t *sec, const char *key,
		  int required, const char **out, px_error *err)
{
	const json_t *v = json_object_get(sec, key);
	char where[64];

	*out = NULL;
	snprintf(where, sizeof(where), "/%s", key);
	if (!v && !required)
		return 0;
	if (!json_is_string(v) || !json_string_length(v))
		return fail(err, cfg, where,
			    required ? "required: expected a non-empty string"
				     : "expected a non-empty string");
	*out = json_string_value(v);
	return 0;
}

/* A secret: from ${VAR}, long enough that guessing is hopeless. */
static int secret(const px_config *cfg, const json_t *sec, const char *key,
		  const char **out, px_error *err)
{
	char where[64], what[160];

	if (string(cfg, sec, key, 1, out, err))
		return -1;
	if (strlen(*out) < MIN_SECRET) {
		snprintf(where, sizeof(where), "/%s", key);
		snprintf(what, sizeof(what),
			 "too short (%zu characters; at least %d, e.g. "
			 "`openssl rand -hex 32`)",
			 strlen(*out), MIN_SECRET);
		return fail(err, cfg, where, what);
	}
	return 0;
}

static int readable(const px_config *cfg, const char *where, const char *path,
		    char **out, px_error *err)
{
	char what[PX_ERROR_MAX / 2];

	if (!(*out = px_config_path(cfg, path)))
		return px_error_oom(err);
	if (access(*out, R_OK)) {
		snprintf(what, sizeof(what), "cannot read %s", *out);
		return fail(err, cfg, where, what);
	}
	return 0;
}

static int tls_section(const px_config *cfg, const json_t *sec,
		       px_serve_config *c, px_error *err)
{
	const json_t *tls = json_object_get(sec, "tls");
	const char *cert, *key;

	if (!tls)
		return 0;
	if (!json_is_object(tls))
		return fail(err, cfg, "/tls",
			    "expected {\"cert\": FILE, \"key\": FILE}");
	cert = json_string_value(json_object_get(tls, "cert"));
	key = json_string_value(json_object_get(tls, "key"));
	if (!cert || !key)
		return fail(err, cfg, "/tls",
			    "expected both \"cert\" and \"key\" (PEM files)");
	return readable(cfg, "/tls/cert", cert, &c->tls_cert, err) ||
		       readable(cfg, "/tls/key", key, &c->tls_key, err)
		   ? -1
		   : 0;
}

static int webhook_section(const px_config *cfg, const json_t *sec,
			   px_serve_config *c, px_error *err)
{
	const json_t *wh = json_object_get(sec, "webhook");

	if (!wh)
		return 0;
	if (!json_is_object(wh))
		return fail(err, cfg, "/webhook",
			    "expected {\"url\": URL, \"secret\": \"${VAR}\"}");
	c->webhook_url = json_string_value(json_object_get(wh, "url"));
	if (!c->webhook_url || (strncmp(c->webhook_url, "https://", 8) &&
				strncmp(c->webhook_url, "http://", 7)))
		return fail(err, cfg, "/webhook/url",
			    "expected an http:// or https:// URL");
	if (secret(cfg, wh, "secret", &c->webhook_secret, err))
		return px_error_prefix(err, "webhook");
	return number(cfg, wh, "attempts", 6, 1, 20, &c->webhook_attempts, err);
}

static int listen_address(const px_config *cfg, const json_t *sec,
			  const char *listen, px_serve_config *c, px_error *err)
{
	const char *s = listen;

	if (!s && string(cfg, sec, "listen", 0, &s, err))
		return -1;
	if (!s)
		s = "127.0.0.1:8080";
	snprintf(c->listen, sizeof(c->listen), "%s", s);
	if (px_serve_parse_listen(s, &c->addr, &c->addr_len, &c->loopback)) {
		if (listen)
			return px_error_set(
			    err, PX_EXIT_USAGE,
			    "--listen %s: expected ADDRESS:PORT "
			    "(127.0.0.1:8080, [::1]:8080)",
			    listen);
		return fail(err, cfg, "/listen",
			    "expected ADDRESS:PORT (127.0.0.1:8080, "
			    "[::1]:8080)");
	}
	return 0;
}

/* Plain HTTP carries the portal's token and the learners' packages in
 * clear: only where nobody else can listen, unless the operator says a
 * proxy on the same host terminates TLS. */
static int check_transport(const px_config *cfg, px_serve_config *c,
			   px_error *err)
{
	char what[320];

	if (c->tls_cert || c->loopback || c->allow_plain_http)
		return 0;
	snprintf(what, sizeof(what),
		 "listening on %s without TLS: plain HTTP is only served on "
		 "loopback; give \"tls\" {\"cert\", \"key\"}, or set "
		 "\"allow_plain_http\": true when a proxy terminates TLS",
		 c->listen);
	return fail(err, cfg, "/tls", what);
}

static int urls(const px_config *cfg, const json_t *sec, px_serve_config *c,
		px_error *err)
{
	const char *url, *out;
	size_t n;

	if (string(cfg, sec, "public_url", 0, &url, err) ||
	    string(cfg, sec, "out_dir", 0, &out, err))
		return -1;
	if (url && strncmp(url, "https://", 8) && strncmp(url, "http://", 7))
		return fail(err, cfg, "/public_url",
			    "expected an http:// or https:// URL");
	if (url) { /* else the address bound (http.c) */
		if (!(c->public_url = strdup(url)))
			return px_error_oom(err);
		n = strlen(c->public_url);
		while (n > 8 && c->public_url[n - 1] == '/')
			c->public_url[--n] = '\0';
	}
	c->out_dir = px_config_path(cfg, out ? out : "packages");
	return c->out_dir ? 0 : px_error_oom(err);
}

int px_serve_config_load(const px_config *cfg, const char *listen,
			 px_serve_config *c, px_error *err)
{
	const json_t *sec = json_object_get(cfg->root, "serve"), *v;
	long hours = 0, days = 0, minutes = 0;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(sec))
		return px_error_set(err, PX_EXIT_CONFIG,
				    "%s: /serve: required by `portex serve`: "
				    "expected an object with at least "
				    "\"token\" and \"link_key\"",
				    cfg->path);
	v = json_object_get(sec, "allow_plain_http");
	if (v && !json_is_boolean(v))
		return fail(err, cfg, "/allow_plain_http",
			    "expected true or false");
	c->allow_plain_http = json_is_true(v);
	if (listen_address(cfg, sec, listen, c, err) ||
	    secret(cfg, sec, "token", &c->token, err) ||
	    secret(cfg, sec, "link_key", &c->link_key, err) ||
	    tls_section(cfg, sec, c, err) || check_transport(cfg, c, err) ||
	    urls(cfg, sec, c, err) ||
	    number(cfg, sec, "workers", 2, 0, 64, &c->workers, err) ||
	    number(cfg, sec, "queue", 100, 1, 100000, &c->queue, err) ||
	    number(cfg, sec, "link_days", 7, 1, 365, &days, err) ||
	    number(cfg, sec, "interval_hours", 24, 0, 24 * 366, &hours, err) ||
	    number(cfg, sec, "max_connections", 256, 1, 100000,
		   &c->max_connections, err) ||
	    number(cfg, sec, "timeout_seconds", 30, 1, 3600,
		   &c->timeout_seconds, err) ||
	    number(cfg, sec, "http_threads", 4, 1, 256, &c->http_threads,
		   err) ||
	    number(cfg, sec, "purge_minutes", 60, 1, 24 * 60, &minutes, err) ||
	    webhook_section(cfg, sec, c, err)) {
		px_serve_config_clear(c);
		return -1;
	}
	c->link_seconds = days * 86400;
	c->interval_seconds = hours * 3600;
	c->purge_seconds = minutes * 60;
	return 0;
}

void px_serve_config_clear(px_serve_config *c)
{
	free(c->public_url);
	free(c->out_dir);
	free(c->tls_cert);
	free(c->tls_key);
	memset(c, 0, sizeof(*c));
}
