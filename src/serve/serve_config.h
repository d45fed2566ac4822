/*
 * serve_config.h - the config's "serve" section (docs/portex.1, SERVE):
 * what `portex serve` listens on, whom it trusts, how much it takes on.
 */
#ifndef PX_SERVE_CONFIG_H
#define PX_SERVE_CONFIG_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "portex/config.h"
#include "portex/error.h"

typedef struct px_serve_config {
	/* Where to listen: parsed from "listen" or --listen. */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char listen[128]; /* as given, "127.0.0.1:8080" */
	int loopback;	  /* addr is 127.0.0.0/8 or ::1 */
	unsigned port;	  /* the one bound (listen may say 0) */
	/* Secrets: borrowed from the config tree (already substituted from
	 * ${VAR}); never printed. */
	const char *token;    /* the portal's bearer token */
	const char *link_key; /* HMAC key of download links */
	char *public_url;     /* links and Location; no trailing slash;
				 NULL until bound when not configured */
	char *out_dir;	      /* packages, absolute */
	char *tls_cert;	      /* PEM files, absolute, or NULL */
	char *tls_key;
	int allow_plain_http;  /* plain HTTP on a non-loopback address */
	long workers;	       /* export threads */
	long queue;	       /* exports waiting, at most */
	long link_seconds;     /* download-link lifetime */
	long interval_seconds; /* one request per subject per ... */
	long max_connections;
	long timeout_seconds; /* idle connection */
	long http_threads;
	long purge_seconds;	 /* how often expired packages are purged */
	const char *webhook_url; /* or NULL */
	const char *webhook_secret;
	long webhook_attempts;
} px_serve_config;

/* Reads cfg's "serve" section; `listen` (may be NULL) overrides
 * serve.listen. Checks what can be checked before binding: a plain HTTP
 * listener off loopback without allow_plain_http, TLS files readable,
 * secrets long enough. Returns 0, or -1 with err (PX_EXIT_CONFIG, the
 * file and JSON path; PX_EXIT_USAGE for a bad --listen). Free the
 * result's strings with px_serve_config_clear(). */
int px_serve_config_load(const px_config *cfg, const char *listen,
			 px_serve_config *out, px_error *err);
void px_serve_config_clear(px_serve_config *c);

/* "HOST:PORT" or "[V6]:PORT" -> address; 0 or -1. */
int px_serve_parse_listen(const char *s, struct sockaddr_storage *addr,
			  socklen_t *len, int *loopback);

#endif
