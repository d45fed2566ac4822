/*
 * views.c - csv/<entity>.csv and html/<entity>-NNNN.html from a finished
 * data file, in one read of it: each record's text is split into its
 * members (jsonscan.h) and written to the CSV and to its page without a
 * JSON object. See views.h.
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
#include "jsonscan.h"

/* A file written, waiting to be handed to add. */
struct written {
	uint64_t off, size;
	unsigned char sha[32];
};

struct pass {
	const px_views_opts *o;
	px_views_add_fn add;
	void *ctx;
	unsigned long pages, page;
	px_html_rows chunk;   /* the current page's records */
	struct written *done; /* the pages written, in order */
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

/* Where the file written since start ends in out, and its SHA-256. */
static int written(FILE *out, off_t start, const char *name, struct written *w,
		   px_error *err)
{
	off_t end;

	if (fflush(out) || ferror(out) || (end = ftello(out)) < 0)
		return cantcreat(err, name);
	w->off = (uint64_t)start;
	w->size = (uint64_t)(end - start);
	if (sha256_range(fileno(out), w->off, w->size, w->sha))
		return px_error_set(err, PX_EXIT_IOERR,
				    "%s: cannot read it back: %s", name,
				    strerror(errno));
	return 0;
}

static int flush_page(struct pass *ps, px_error *err)
{
	FILE *out = ps->o->out;
	px_html_page pg = {ps->o->lang,	  ps->o->entity, ps->o->controller,
			   ps->o->tz,	  ps->page + 1,	 ps->pages,
			   ps->o->records};
	off_t start = ftello(out);
	char page[160], name[200];

	px_html_page_name(page, sizeof(page), ps->o->entity, pg.page);
	snprintf(name, sizeof(name), "html/%s", page);
	if (ps->page == ps->pages)
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "html/%s: more records than %lu pages "
				    "hold",
				    ps->o->entity, ps->pages);
	if (start < 0)
		return cantcreat(err, name);
	if (px_html_page_write(out, &pg, &ps->chunk, ps->o->schemas, err) ||
	    written(out, start, name, &ps->done[ps->page], err))
		return -1;
	ps->page++;
	px_html_rows_clear(&ps->chunk);
	return 0;
}

/* One record: its CSV line, and into the current page. */
static int view_record(struct pass *ps, const json_t *props,
		       const px_jfields *f, px_buf *s, const char *text,
		       size_t len, unsigned long n, px_error *err)
{
	if (px_csv_row(ps->o->csv_out, props, f, ps->o->entity, n, s, err))
		return -1;
	if (!ps->pages)
		return 0;
	if (px_html_rows_add(&ps->chunk, text, len))
		return px_error_oom(err);
	return ps->chunk.n == PX_HTML_MAX_ROWS ? flush_page(ps, err) : 0;
}

/* Reads the data file through once, writing the CSV and the pages as its
 * records go by. */
static int one_pass(struct pass *ps, struct written *csv, px_error *err)
{
	const px_views_opts *o = ps->o;
	const json_t *props = json_object_get(
	    px_schemas_record(o->schemas, o->entity), "properties");
	px_datafile *d = px_datafile_open(o->entity, o->data_name, o->data_fd,
					  1, o->records, err);
	off_t start = ftello(o->csv_out);
	px_jfields f = {0};
	px_buf s = {0};
	const char *text;
	size_t len;
	char name[160];
	int got = -1;

	snprintf(name, sizeof(name), "csv/%s.csv", o->entity);
	if (!d)
		return -1;
	if (start < 0) {
		cantcreat(err, name);
		goto out;
	}
	if (px_csv_header(o->csv_out, props, err))
		goto out;
	while ((got = px_datafile_next(d, &text, &len, &f, err)) > 0)
		if (view_record(ps, props, &f, &s, text, len,
				px_datafile_count(d), err)) {
			got = -1;
			break;
		}
	if (!got && ps->chunk.n && flush_page(ps, err))
		got = -1;
	if (!got && written(o->csv_out, start, name, csv, err))
		got = -1;
out:
	px_datafile_close(d);
	px_jfields_free(&f);
	px_buf_free(&s);
	return got < 0 ? -1 : 0;
}

int px_views_write(const px_views_opts *o, px_views_add_fn add, void *ctx,
		   px_error *err)
{
	struct pass ps = {.o = o, .add = add, .ctx = ctx};
	struct written csv;
	char page[160], name[200];
	int rc = -1;

	ps.pages = px_html_pages(o->records);
	if (ps.pages && !(ps.done = calloc(ps.pages, sizeof(*ps.done))))
		return px_error_oom(err);
	if (one_pass(&ps, &csv, err))
		goto out;
	if (ps.page != ps.pages) {
		px_error_set(err, PX_EXIT_SOFTWARE,
			     "html/%s: wrote %lu pages, expected %lu",
			     o->entity, ps.page, ps.pages);
		goto out;
	}
	/* The CSV first, then the pages, as a reader lists them. */
	snprintf(name, sizeof(name), "csv/%s.csv", o->entity);
	if (add(ctx, name, o->csv_out != o->out, csv.off, csv.size, csv.sha,
		"text/csv", err))
		goto out;
	for (unsigned long i = 0; i < ps.pages; i++) {
		px_html_page_name(page, sizeof(page), o->entity, i + 1);
		snprintf(name, sizeof(name), "html/%s", page);
		if (add(ctx, name, 0, ps.done[i].off, ps.done[i].size,
			ps.done[i].sha, "text/html", err))
			goto out;
	}
	rc = 0;
out:
	free(ps.done);
	px_html_rows_free(&ps.chunk);
	return rc;
}
