/*
 * views.c - csv/<entity>.csv and html/<entity>-NNNN.html from a finished
 * data file. See views.h.
 */
#include "package/views.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "html/index_html.h"
#include "package/csv.h"
#include "package/datafile.h"

struct pass {
	const px_views_opts *o;
	px_views_add_fn add;
	void *ctx;
	unsigned long pages, page;
	json_t *chunk; /* the current page's records */
};

static int cantcreat(px_error *err, const char *name)
{
	return px_error_set(err, PX_EXIT_CANTCREAT, "cannot write %s: %s", name,
			    strerror(errno));
}

/* SHA-256 of [off, off+len) of fd, read back with pread. */
static int sha256_range(int fd, uint64_t off, uint64_t len,
			unsigned char sha[32])
{
	unsigned char buf[65536];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = md ? 0 : -1;

	if (md)
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (!rc && len) {
		size_t want = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		ssize_t n = pread(fd, buf, want, (off_t)off);
		if (n <= 0) {
			rc = -1;
			break;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	if (md)
		EVP_DigestFinal_ex(md, sha, NULL);
	EVP_MD_CTX_free(md);
	return rc;
}

/* Writes one file at the end of out with fn, then hands it to add. */
static int write_file(struct pass *ps, const char *name, const char *media_type,
		      int (*fn)(struct pass *, FILE *, px_error *),
		      px_error *err)
{
	FILE *out = ps->o->out;
	off_t start = ftello(out), end;
	unsigned char sha[32];

	if (start < 0)
		return cantcreat(err, name);
	if (fn(ps, out, err))
		return -1;
	if (fflush(out) || ferror(out) || (end = ftello(out)) < 0)
		return cantcreat(err, name);
	if (sha256_range(fileno(out), (uint64_t)start, (uint64_t)(end - start),
			 sha))
		return px_error_set(err, PX_EXIT_IOERR,
				    "%s: cannot read it back: %s", name,
				    strerror(errno));
	return ps->add(ps->ctx, name, (uint64_t)start, (uint64_t)(end - start),
		       sha, media_type, err);
}

static int page_body(struct pass *ps, FILE *f, px_error *err)
{
	px_html_page pg = {ps->o->lang,	ps->o->entity, ps->o->controller,
			   ps->o->tz,	ps->page,      ps->pages,
			   ps->o->records};

	return px_html_page_write(f, &pg, ps->chunk, ps->o->schemas, err);
}

static int flush_page(struct pass *ps, px_error *err)
{
	char page[160], name[200];

	ps->page++;
	px_html_page_name(page, sizeof(page), ps->o->entity, ps->page);
	snprintf(name, sizeof(name), "html/%s", page);
	if (write_file(ps, name, "text/html", page_body, err))
		return -1;
	json_array_clear(ps->chunk);
	return 0;
}

/* Reads the data file through, handing each record to fn (which takes
 * the reference). */
static int each_record(struct pass *ps, FILE *f,
		       int (*fn)(struct pass *, FILE *, json_t *, unsigned long,
				 px_error *),
		       px_error *err)
{
	px_datafile *d =
	    px_datafile_open(ps->o->entity, ps->o->data_name, ps->o->data_fd, 1,
			     ps->o->records, err);
	json_t *rec;
	int got = -1;

	if (!d)
		return -1;
	while ((got = px_datafile_next(d, &rec, err)) > 0)
		if (fn(ps, f, rec, px_datafile_count(d), err)) {
			got = -1;
			break;
		}
	px_datafile_close(d);
	return got < 0 ? -1 : 0;
}

static int csv_record(struct pass *ps, FILE *f, json_t *rec, unsigned long n,
		      px_error *err)
{
	const json_t *props = json_object_get(
	    px_schemas_record(ps->o->schemas, ps->o->entity), "properties");
	int rc = px_csv_row(f, props, rec, ps->o->entity, n, err);

	json_decref(rec);
	return rc;
}

static int csv_body(struct pass *ps, FILE *f, px_error *err)
{
	const json_t *props = json_object_get(
	    px_schemas_record(ps->o->schemas, ps->o->entity), "properties");

	if (px_csv_header(f, props, err))
		return -1;
	return each_record(ps, f, csv_record, err);
}

/* Pages fill one after the other; each is written once full. */
static int page_record(struct pass *ps, FILE *f, json_t *rec, unsigned long n,
		       px_error *err)
{
	(void)f;
	(void)n;
	if (json_array_append_new(ps->chunk, rec))
		return px_error_oom(err);
	if (json_array_size(ps->chunk) == PX_HTML_MAX_ROWS)
		return flush_page(ps, err);
	return 0;
}

static int write_pages(struct pass *ps, px_error *err)
{
	if (each_record(ps, ps->o->out, page_record, err))
		return -1;
	if (json_array_size(ps->chunk) && flush_page(ps, err))
		return -1;
	if (ps->page != ps->pages)
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "html/%s: wrote %lu pages, expected %lu",
				    ps->o->entity, ps->page, ps->pages);
	return 0;
}

int px_views_write(const px_views_opts *o, px_views_add_fn add, void *ctx,
		   px_error *err)
{
	struct pass ps = {o, add,	  ctx, px_html_pages(o->records),
			  0, json_array()};
	char name[160];
	int rc;

	if (!ps.chunk)
		return px_error_oom(err);
	snprintf(name, sizeof(name), "csv/%s.csv", o->entity);
	rc = write_file(&ps, name, "text/csv", csv_body, err);
	/* A second pass: each page is a file of its own in out. */
	if (!rc && ps.pages)
		rc = write_pages(&ps, err);
	json_decref(ps.chunk);
	return rc;
}
