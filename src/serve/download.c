/*
 * download.c - GET /v1/exports/{id}/package?expires=&sig=: the package
 * itself, for whoever holds the signed link (the learner's browser). The
 * file is streamed from disk (libmicrohttpd sends it with sendfile where
 * it can), with a strong ETag (the package's SHA-256) and single-range
 * requests, so an interrupted download resumes. Every download is an
 * audit entry; the first one delivers the request.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "serve/http.h"
#include "serve/link.h"
#include "serve/range.h"
#include "serve/serve.h"

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

int64_t px_serve_package_expiry(const px_serve *s, const json_t *req)
{
	const char *path = str(req, "package_path");
	struct stat st;

	if (!path || stat(path, &st) || !S_ISREG(st.st_mode))
		return -1;
	return (int64_t)st.st_mtime + s->sc.link_seconds;
}

struct downloaded {
	uint64_t from, to, size;
	int partial;
};

static int downloaded_fn(void *ctx, json_t *req, json_t *details, px_error *err)
{
	struct downloaded *d = ctx;
	json_t *args;
	int rc = 0;

	json_object_set_new(details, "bytes",
			    json_integer((json_int_t)(d->to - d->from + 1)));
	if (d->partial)
		json_object_set_new(details, "range",
				    json_pack("[I, I]", (json_int_t)d->from,
					      (json_int_t)d->to));
	json_object_set_new(details, "by", json_string("signed link"));
	if (strcmp(str(req, "status"), "exported"))
		return 0; /* delivered already: the trail notes it again */
	args = json_pack("{s:s}", "method", "download");
	rc = args ? px_request_apply(req, "deliver", args, px_today(), details,
				     err)
		  : px_error_oom(err);
	json_decref(args);
	return rc;
}

/* Before a byte leaves: a download the trail does not show must not
 * happen. */
static int audit(px_serve *s, px_call *c, struct downloaded *d)
{
	px_error err = PX_ERROR_INIT;
	int rc;

	pthread_mutex_lock(&s->ledger_mu);
	rc = px_ledger_change(s->ledger, c->id, "package.download", "learner",
			      downloaded_fn, d, NULL, &err);
	pthread_mutex_unlock(&s->ledger_mu);
	if (rc)
		px_serve_ledger_problem(c, &err);
	return rc;
}

static int send_file(px_serve *s, px_call *c, const json_t *req, int fd,
		     uint64_t size)
{
	struct downloaded d = {0, size ? size - 1 : 0, size, 0};
	const char *range = px_http_header(c, "Range");
	const char *if_range = px_http_header(c, "If-Range");
	const char *inm = px_http_header(c, "If-None-Match");
	char etag[72], disp[96], cr[96];
	struct MHD_Response *r;
	int pr;

	snprintf(etag, sizeof(etag), "\"%s\"", str(req, "package_sha256"));
	if (inm && (strstr(inm, etag) || !strcmp(inm, "*"))) {
		close(fd);
		r = MHD_create_response_from_buffer(0, NULL,
						    MHD_RESPMEM_PERSISTENT);
		px_http_set(r, "ETag", etag);
		return px_http_send(c, 304, r);
	}
	/* A Range is for the same file only: a re-exported package is a
	 * different one. */
	if (if_range && strcmp(if_range, etag))
		range = NULL;
	pr = px_http_range(range, size, &d.from, &d.to);
	if (pr < 0) {
		close(fd);
		snprintf(cr, sizeof(cr), "bytes */%" PRIu64, size);
		r = MHD_create_response_from_buffer(0, NULL,
						    MHD_RESPMEM_PERSISTENT);
		px_http_set(r, "Content-Range", cr);
		return px_http_send(c, 416, r);
	}
	d.partial = pr == 0;
	if (strcmp(c->method, "HEAD") && audit(s, c, &d)) {
		close(fd);
		return MHD_YES;
	}
	r = MHD_create_response_from_fd_at_offset64(
	    size ? d.to - d.from + 1 : 0, fd, d.from);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	snprintf(disp, sizeof(disp),
		 "attachment; filename=\"portex-export-%ld.zip\"", c->id);
	px_http_set(r, "Content-Type", "application/vnd.etsi.asic-e+zip");
	px_http_set(r, "Content-Disposition", disp);
	px_http_set(r, "ETag", etag);
	px_http_set(r, "Accept-Ranges", "bytes");
	if (d.partial) {
		snprintf(cr, sizeof(cr),
			 "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, d.from, d.to,
			 size);
		px_http_set(r, "Content-Range", cr);
	}
	c->bytes = size ? d.to - d.from + 1 : 0;
	return px_http_send(c, d.partial ? 206 : 200, r);
}

int px_api_package(px_serve *s, px_call *c)
{
	int64_t now = (int64_t)time(NULL);
	json_t *req;
	const char *st, *path;
	struct stat sb;
	int fd, rc;

	switch (px_link_check(s->sc.link_key, c->id, px_http_arg(c, "expires"),
			      px_http_arg(c, "sig"), now)) {
	case PX_LINK_ALTERED:
		return px_http_problem(c, 403, "bad_signature",
				       "this link is not one portex signed for "
				       "export %ld",
				       c->id);
	case PX_LINK_EXPIRED:
		return px_http_problem(c, 410, "link_expired",
				       "this download link has expired; ask "
				       "for a new export");
	case PX_LINK_OK:
		break;
	}
	if (px_serve_load_linked(s, c, &req, 1))
		return MHD_YES;
	st = str(req, "status");
	path = str(req, "package_path");
	if (strcmp(st, "exported") && strcmp(st, "delivered")) {
		json_decref(req);
		return px_http_problem(c, 404, "not_ready",
				       "export %ld has no package (it is %s)",
				       c->id, st);
	}
	fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode) ||
	    (int64_t)sb.st_mtime + s->sc.link_seconds < now) {
		if (fd >= 0)
			close(fd);
		json_decref(req);
		return px_http_problem(c, 410, "package_gone",
				       "the package of export %ld has expired "
				       "and was deleted",
				       c->id);
	}
	rc = send_file(s, c, req, fd, (uint64_t)sb.st_size);
	json_decref(req);
	return rc;
}
