/*
 * http.c - libmicrohttpd underneath: the route table, what every request
 * goes through before its handler (route, method, token, body size and
 * type), JSON answers, /healthz and /metrics, the access log line.
 *
 * A request is refused as early as its headers allow: a wrong token or
 * an announced body over the limit is answered before any of the body is
 * read, so nothing past the headers is ever buffered for it.
 */
#include "serve/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "serve/accesslog.h"
#include "serve/auth.h"
#include "serve/serve.h"

struct px_route {
	const char *method; /* GET answers HEAD too */
	const char *pattern;
	int auth; /* needs the portal's bearer token */
	int body; /* takes a JSON body */
	int (*fn)(px_serve *s, px_call *c);
};

static int healthz(px_serve *s, px_call *c);
static int metrics(px_serve *s, px_call *c);

static const struct px_route routes[] = {
    {"POST", "/v1/exports", 1, 1, px_api_create},
    {"GET", "/v1/exports/{id}", 1, 0, px_api_status},
    /* The signed link is the credential: the learner's browser has no
     * token. */
    {"GET", "/v1/exports/{id}/package", 0, 0, px_api_package},
    {"GET", "/healthz", 0, 0, healthz},
    {"GET", "/metrics", 0, 0, metrics},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Matches url against pattern; {id} is a request id (1-18 digits, no
 * leading zero). */
static int match(const char *pattern, const char *url, long *id)
{
	while (*pattern) {
		if (!strncmp(pattern, "{id}", 4)) {
			const char *p = url;
			if (*p < '1' || *p > '9')
				return 0;
			while (*p >= '0' && *p <= '9')
				p++;
			if (p - url > 18)
				return 0;
			*id = strtol(url, NULL, 10);
			url = p;
			pattern += 4;
			continue;
		}
		if (*pattern++ != *url++)
			return 0;
	}
	return *url == '\0';
}

const char *px_http_header(px_call *c, const char *name)
{
	return MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, name);
}

const char *px_http_arg(px_call *c, const char *name)
{
	return MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND,
					   name);
}

void px_http_set(struct MHD_Response *r, const char *name, const char *value)
{
	if (r && value)
		MHD_add_response_header(r, name, value);
}

int px_http_send(px_call *c, unsigned status, struct MHD_Response *r)
{
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	px_http_set(r, "X-Content-Type-Options", "nosniff");
	/* A download link carries its signature in the query string. */
	px_http_set(r, "Referrer-Policy", "no-referrer");
	if (!MHD_get_response_header(r, "Cache-Control"))
		px_http_set(r, "Cache-Control", "no-store");
	c->status = status;
	c->answered = 1;
	rc = MHD_queue_response(c->conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static int send_text(px_call *c, unsigned status, const char *type, char *text,
		     size_t len)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);

	if (!r) {
		free(text);
		return MHD_NO;
	}
	px_http_set(r, "Content-Type", type);
	c->bytes = len;
	return px_http_send(c, status, r);
}

int px_http_json(px_call *c, unsigned status, json_t *body)
{
	char *text =
	    body ? json_dumps(body, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
		 : NULL;

	json_decref(body);
	if (!text)
		return px_http_problem(c, 500, "out_of_memory",
				       "out of memory");
	return send_text(c, status, "application/json", text, strlen(text));
}

static const char *reason(unsigned status)
{
	const char *r = MHD_get_reason_phrase_for(status);

	return r && *r ? r : "Error";
}

/* An RFC 9457 problem as a response; *len gets its size. NULL on out of
 * memory. */
static struct MHD_Response *problem(unsigned status, const char *code,
				    const char *detail, size_t *len)
{
	json_t *p = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type",
			      "about:blank", "title", reason(status), "status",
			      (int)status, "detail", detail, "code", code);
	char *text =
	    p ? json_dumps(p, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	struct MHD_Response *r = NULL;

	json_decref(p);
	if (text && !(r = MHD_create_response_from_buffer(
			  strlen(text), text, MHD_RESPMEM_MUST_FREE)))
		free(text);
	if (!r)
		return NULL;
	*len = strlen(text);
	px_http_set(r, "Content-Type", "application/problem+json");
	return r;
}

static int send_problem(px_call *c, unsigned status, const char *code,
			const char *header, const char *value, const char *fmt,
			va_list ap)
{
	char detail[PX_ERROR_MAX];
	struct MHD_Response *r;

	vsnprintf(detail, sizeof(detail), fmt, ap);
	if (!(r = problem(status, code, detail, &c->bytes)))
		return MHD_NO;
	px_http_set(r, header, value);
	return px_http_send(c, status, r);
}

int px_http_problem(px_call *c, unsigned status, const char *code,
		    const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = send_problem(c, status, code, NULL, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

/* The same with one more header (Allow, WWW-Authenticate). */
static int problem_with(px_call *c, unsigned status, const char *code,
			const char *header, const char *value, const char *fmt,
			...) PX_PRINTF(6, 7);
static int problem_with(px_call *c, unsigned status, const char *code,
			const char *header, const char *value, const char *fmt,
			...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = send_problem(c, status, code, header, value, fmt, ap);
	va_end(ap);
	return rc;
}

int px_http_problem_retry(px_call *c, unsigned status, const char *code,
			  long seconds, const char *fmt, ...)
{
	char after[24];
	va_list ap;
	int rc;

	snprintf(after, sizeof(after), "%ld", seconds);
	va_start(ap, fmt);
	rc = send_problem(c, status, code, "Retry-After", after, fmt, ap);
	va_end(ap);
	return rc;
}

/* serve's jobs in the ledger's queue; a failure goes to the log. */
static int counts(px_serve *s, long *queued, long *running)
{
	px_error err = PX_ERROR_INIT;
	int rc;

	pthread_mutex_lock(&s->ledger_mu);
	rc = px_serve_counts(s, queued, running, &err);
	pthread_mutex_unlock(&s->ledger_mu);
	if (rc)
		px_serve_log_ledger_error(&err);
	return rc;
}

static int healthz(px_serve *s, px_call *c)
{
	long queued = 0, running = 0;

	if (counts(s, &queued, &running))
		return px_http_problem(c, 503, "ledger_unavailable",
				       "the ledger cannot be read");
	return px_http_json(c, s->draining ? 503 : 200,
			    json_pack("{s:s, s:I, s:I}", "status",
				      s->draining ? "stopping" : "ok", "queued",
				      (json_int_t)queued, "running",
				      (json_int_t)running));
}

static int metrics(px_serve *s, px_call *c)
{
	px_buf b = {0};
	long queued = 0, running = 0;

	if (counts(s, &queued, &running))
		return px_http_problem(c, 503, "ledger_unavailable",
				       "the ledger cannot be read");
	if (px_metrics_render(s->metrics, queued, running, &b)) {
		px_buf_free(&b);
		return px_http_problem(c, 500, "out_of_memory",
				       "out of memory");
	}
	return send_text(c, 200, "text/plain; version=0.0.4; charset=utf-8",
			 b.data, b.len);
}

/* Finds the route; answers 404/405 itself when there is none. */
static int route(px_call *c, const char *url, const char *method)
{
	const char *m = strcmp(method, "HEAD") ? method : "GET";
	char allow[64] = "";
	long id = 0;

	for (size_t i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, url, &id))
			continue;
		if (!strcmp(routes[i].method, m)) {
			c->route = &routes[i];
			c->id = id;
			return 0;
		}
		snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow),
			 "%s%s%s", *allow ? ", " : "", routes[i].method,
			 strcmp(routes[i].method, "GET") ? "" : ", HEAD");
	}
	if (*allow) {
		c->id = id;
		problem_with(c, 405, "method_not_allowed", "Allow", allow,
			     "%s is not allowed here (allowed: %s)", method,
			     allow);
		return 1;
	}
	px_http_problem(c, 404, "not_found",
			"no such endpoint (see docs/openapi.yaml)");
	return 1;
}

/* Checks made on the headers alone. 1 when already answered. */
static int before_body(px_serve *s, px_call *c)
{
	const char *len = px_http_header(c, "Content-Length");
	const char *type = px_http_header(c, "Content-Type");

	if (c->route->auth &&
	    !px_serve_auth_ok(px_http_header(c, "Authorization"),
			      s->sc.token)) {
		problem_with(c, 401, "unauthorized", "WWW-Authenticate",
			     "Bearer realm=\"portex\"",
			     "expected the portal's token: Authorization: "
			     "Bearer <token>");
		return 1;
	}
	if (len && strtoull(len, NULL, 10) > PX_SERVE_MAX_BODY) {
		c->too_large = 1;
		px_http_problem(c, 413, "body_too_large",
				"the body has %s bytes; at most %d are taken",
				len, PX_SERVE_MAX_BODY);
		return 1;
	}
	if (c->route->body &&
	    (!type || strncasecmp(type, "application/json", 16) ||
	     (type[16] && type[16] != ';' && type[16] != ' '))) {
		px_http_problem(c, 415, "unsupported_media_type",
				"expected Content-Type: application/json");
		return 1;
	}
	return 0;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn,
				 const char *url, const char *method,
				 const char *version, const char *upload,
				 size_t *upload_size, void **req_cls)
{
	px_serve *s = cls;
	px_call *c = *req_cls;

	(void)version;
	if (!c) {
		if (!(c = calloc(1, sizeof(*c))))
			return MHD_NO;
		c->conn = conn;
		c->method = method;
		clock_gettime(CLOCK_MONOTONIC, &c->t0);
		*req_cls = c;
		if (route(c, url, method) || before_body(s, c))
			return MHD_YES;
		return MHD_YES; /* the body, if any, comes next */
	}
	if (c->answered) {
		/* Answered on the headers: whatever body follows is not
		 * read into memory. */
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		/* A body without Content-Length (chunked) that outgrows the
		 * limit: libmicrohttpd takes no answer while it is still
		 * reading, so the rest is read and dropped, up to a bound
		 * after which the connection is simply closed. */
		c->received += *upload_size;
		if (c->received > PX_SERVE_MAX_BODY) {
			c->too_large = 1;
			*upload_size = 0;
			return c->received > 16 * PX_SERVE_MAX_BODY ? MHD_NO
								    : MHD_YES;
		}
		if (px_buf_add(&c->body, upload, *upload_size))
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	if (c->too_large)
		return px_http_problem(c, 413, "body_too_large",
				       "the body is over %d bytes",
				       PX_SERVE_MAX_BODY);
	return c->route->fn(s, c);
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	px_serve *s = cls;
	px_call *c = *req_cls;
	struct timespec t1;
	px_access a = {0};

	(void)conn;
	(void)toe;
	if (!c)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	a.method = c->method;
	a.route = c->route ? c->route->pattern : "unmatched";
	a.id = c->id;
	a.status = c->status;
	a.bytes = c->bytes;
	a.ms = (double)(t1.tv_sec - c->t0.tv_sec) * 1e3 +
	       (double)(t1.tv_nsec - c->t0.tv_nsec) / 1e6;
	px_log_access(&a);
	if (c->status)
		px_metrics_request(s->metrics, c->status);
	px_buf_free(&c->body);
	free(c);
	*req_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;
	json_t *f;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	f = json_pack("{s:s}", "message", msg);
	px_log_event("warning", "http", f);
	json_decref(f);
}

static char *slurp(const char *path, px_error *err)
{
	FILE *f = fopen(path, "rb");
	px_buf b = {0};
	char chunk[4096];
	size_t n;

	if (!f) {
		px_error_set(err, PX_EXIT_CONFIG, "cannot read %s", path);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (px_buf_add(&b, chunk, n)) {
			fclose(f);
			px_buf_free(&b);
			px_error_oom(err);
			return NULL;
		}
	fclose(f);
	if (!b.data && px_buf_add(&b, "", 0)) {
		px_error_oom(err);
		return NULL;
	}
	return b.data; /* px_buf keeps a NUL after the data */
}

/* The listening socket is made here rather than by libmicrohttpd, so the
 * port (port 0 picks one) is known before the first request is taken:
 * links and Location headers name it. */
static int listen_socket(px_serve *s, px_error *err)
{
	px_serve_config *sc = &s->sc;
	int fd = socket(sc->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_storage got;
	socklen_t len = sizeof(got);
	char *colon;

	if (fd < 0)
		return px_error_set(err, PX_EXIT_OSERR, "socket: %s",
				    strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sc->addr, sc->addr_len) ||
	    listen(fd, 128) || getsockname(fd, (struct sockaddr *)&got, &len)) {
		px_error_set(err, PX_EXIT_UNAVAILABLE,
			     "cannot listen on %s: %s", sc->listen,
			     strerror(errno));
		close(fd);
		return -1;
	}
	sc->port = ntohs(got.ss_family == AF_INET6
			     ? ((struct sockaddr_in6 *)&got)->sin6_port
			     : ((struct sockaddr_in *)&got)->sin_port);
	/* "127.0.0.1:0" becomes "127.0.0.1:43127" wherever it is shown. */
	if ((colon = strrchr(sc->listen, ':')))
		snprintf(colon + 1,
			 sizeof(sc->listen) - (size_t)(colon + 1 - sc->listen),
			 "%u", sc->port);
	if (!sc->public_url) {
		char url[200];
		snprintf(url, sizeof(url), "%s://%s",
			 sc->tls_cert ? "https" : "http", sc->listen);
		if (!(sc->public_url = strdup(url))) {
			close(fd);
			return px_error_oom(err);
		}
	}
	return fd;
}

struct MHD_Daemon *px_http_start(px_serve *s, px_error *err)
{
	px_serve_config *sc = &s->sc;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
			 MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem opts[12];
	struct MHD_Daemon *d;
	char *key = NULL, *cert = NULL;
	int n = 0, fd;

	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER,
					    (intptr_t)mhd_log, NULL};
	if (sc->addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (sc->tls_cert) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
			return px_error_set(err, PX_EXIT_CONFIG,
					    "%s: /serve/tls: this "
					    "libmicrohttpd has no TLS support",
					    s->cfg->path),
			       NULL;
		if (!(cert = slurp(sc->tls_cert, err)) ||
		    !(key = slurp(sc->tls_key, err))) {
			free(cert);
			return NULL;
		}
		flags |= MHD_USE_TLS;
		opts[n++] =
		    (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, cert};
		opts[n++] =
		    (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, key};
	}
	if ((fd = listen_socket(s, err)) < 0) {
		free(cert);
		free(key);
		return NULL;
	}
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, fd, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
					    sc->http_threads, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
					    sc->max_connections, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
					    sc->timeout_seconds, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
					    (intptr_t)completed_cb, s};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	d = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, s,
			     MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	/* Kept until the daemon stops: libmicrohttpd holds the pointers. */
	s->tls_key_pem = key;
	s->tls_cert_pem = cert;
	if (!d) {
		close(fd);
		px_error_set(err, PX_EXIT_CONFIG,
			     "%s: /serve/tls: libmicrohttpd cannot start with "
			     "this certificate and key (see the log above)",
			     s->cfg->path);
	}
	return d;
}

void px_http_quiesce(struct MHD_Daemon *d)
{
	MHD_socket fd = MHD_quiesce_daemon(d);

	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

unsigned px_http_connections(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *i =
	    MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

	return i ? i->num_connections : 0;
}
