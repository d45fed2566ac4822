/*
 * views.c - csv/<entity>.csv and html/<entity>-NNNN.html while the
 * records pass, each on a spool's worker thread of its own (spool.h):
 * the CSV's formatter writes each record's line, which its spool
 * deflates; the pages' formatter keeps each record for its page and,
 * once the page is full, renders it into a deflate stream of its own at
 * the end of the pages' file (a page is several MB of HTML: it is never
 * held whole). Two threads, because rendering the pages costs as much as
 * everything else an export does. See views.h.
 */
#define _GNU_SOURCE /* fopencookie */
#include "package/views.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "html/index_html.h"
#include "jsonout.h"
#include "jsonscan.h"
#include "package/csv.h"
#include "package/datafile.h"
#include "package/deflate.h"
#include "package/workfile.h"

#define ZCHUNK (64 * 1024)

/* A stdio stream appending to a buffer: the CSV writer writes to a FILE,
 * its spool wants the bytes. */
struct sink {
	px_buf *to;
	int oom;
};

/* A page written to the pages' file. */
struct page {
	uint64_t off;
	px_spool_info info;
};

struct px_views {
	px_views_opts o;
	const json_t *props; /* the schema's "properties": the columns */
	char csv_what[160], pages_what[160];
	int csv_fd, pages_fd;
	px_spool *csv, *paging;
	uint64_t put; /* records handed over */
	/* The CSV's formatter's (its spool's thread). */
	int headed;
	px_jfields f;
	px_buf scratch;
	struct sink csv_sink;
	/* The pages' formatter's (the other spool's thread). */
	FILE *csv_fp, *page_fp; /* page_fp: page_write() */
	px_html_rows chunk;	/* the page being filled */
	/* The page before it, rendered a row for each record that arrives
	 * (a whole page at once would stall the records for a page's time). */
	px_html_rows ready;
	px_html_page ready_pg;
	px_html_table *table; /* NULL: no page being rendered */
	uint64_t paged;	      /* records the pages' formatter has seen */
	struct page *pages;
	size_t n_pages, cap_pages;
	FILE *pages_out; /* on a duplicate of pages_fd */
	uint64_t pages_end;
	px_deflater *z; /* the page being written */
	EVP_MD_CTX *md;
	struct page *pg;
	int page_errno; /* page_write() failed: ENOMEM, EIO or the disk's */
};

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
	struct sink *s = cookie;

	if (!s->to || px_buf_add(s->to, buf, n)) {
		s->oom = 1;
		errno = ENOMEM;
		return -1;
	}
	return (ssize_t)n;
}

static FILE *sink_open(struct sink *s)
{
	static const cookie_io_functions_t io = {.write = sink_write};
	FILE *f = fopencookie(s, "w", io);

	/* One thread at a time writes it (views.h): no lock per fputc. */
	if (f)
		__fsetlocking(f, FSETLOCKING_BYCALLER);
	return f;
}

/* Flushes f into its sink: -1 with err set when the bytes did not all
 * get there. */
static int sink_flush(FILE *f, struct sink *s, px_error *err)
{
	if (fflush(f) || s->oom)
		return px_error_oom(err);
	return 0;
}

static int cantcreat(px_error *err, const char *what, const char *dir)
{
	return px_error_set(err, PX_EXIT_CANTCREAT, "cannot write %s in %s: %s",
			    what, dir, strerror(errno));
}

static int pages_file(px_views *v, px_error *err)
{
	int fd;

	v->pages_fd = px_workfile_anon(v->o.tmpdir, v->pages_what, err);
	if (v->pages_fd < 0)
		return -1;
	fd = fcntl(v->pages_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0 || !(v->pages_out = fdopen(fd, "wb"))) {
		if (fd >= 0)
			close(fd);
		return cantcreat(err, v->pages_what, v->o.tmpdir);
	}
	if (!(v->z = px_deflater_new(0)))
		return px_error_oom(err);
	return 0;
}

static int pages_sink(void *ctx, const unsigned char *p, size_t n)
{
	px_views *v = ctx;

	return fwrite(p, 1, n, v->pages_out) == n ? 0 : errno ? errno : EIO;
}

/* Deflates n bytes of the page being written (finish: its end) onto the
 * end of the pages' file. Returns 0 or an errno. */
static int page_deflate(px_views *v, const char *buf, size_t n, int finish)
{
	struct page *pg = v->pg;
	int e;

	if (n) {
		if (!EVP_DigestUpdate(v->md, buf, n))
			return ENOMEM;
		pg->info.size += n;
	}
	e = px_deflater_put(v->z, buf, n, finish, pages_sink, v);
	pg->info.crc32 = px_deflater_crc32(v->z);
	pg->info.comp_size = px_deflater_comp_size(v->z);
	return e;
}

/* page_fp's writer: the rendered page goes straight to deflate. */
static ssize_t page_write(void *cookie, const char *buf, size_t n)
{
	px_views *v = cookie;
	int e = v->pg ? page_deflate(v, buf, n, 0) : EIO;

	if (e) {
		if (!v->page_errno)
			v->page_errno = e;
		errno = e;
		return -1;
	}
	return (ssize_t)n;
}

/* Starts page pg at the end of the pages' file. */
static int page_begin(px_views *v, struct page *pg, px_error *err)
{
	if (!v->pages_out && pages_file(v, err))
		return -1;
	if (v->n_pages)
		px_deflater_reset(v->z);
	if (!EVP_DigestInit_ex(v->md, EVP_sha256(), NULL))
		return px_error_oom(err);
	memset(pg, 0, sizeof(*pg));
	pg->off = v->pages_end;
	v->pg = pg;
	return 0;
}

/* The error for page_deflate()'s e: the disk's names the pages' file, as
 * the CSV's and the data's name theirs. */
static int page_failed(px_views *v, int e, px_error *err)
{
	if (e == ENOMEM)
		return px_error_oom(err);
	if (e == EIO)
		return px_error_set(err, PX_EXIT_SOFTWARE, "%s: deflate failed",
				    v->pages_what);
	errno = e;
	return cantcreat(err, v->pages_what, v->o.tmpdir);
}

/* Ends the page page_begin() started: what stdio holds of it, then the
 * stream's end. */
static int page_end(px_views *v, px_error *err)
{
	struct page *pg = v->pg;
	int e = fflush(v->page_fp) ? (v->page_errno ? v->page_errno : EIO) : 0;

	if (!e)
		e = page_deflate(v, NULL, 0, 1);
	v->pg = NULL;
	if (e)
		return page_failed(v, e, err);
	if (!EVP_DigestFinal_ex(v->md, pg->info.sha256, NULL))
		return px_error_oom(err);
	v->pages_end += pg->info.comp_size;
	return 0;
}

/* The page being filled becomes the page being rendered, its head
 * written; next: another page follows. */
static int start_page(px_views *v, int next, px_error *err)
{
	px_html_rows full = v->chunk;

	if (v->n_pages == v->cap_pages) {
		size_t cap = v->cap_pages ? v->cap_pages * 2 : 16;
		struct page *p = realloc(v->pages, cap * sizeof(*p));
		if (!p)
			return px_error_oom(err);
		v->pages = p;
		v->cap_pages = cap;
	}
	v->chunk = v->ready; /* its buffers, reused */
	px_html_rows_clear(&v->chunk);
	v->ready = full;
	v->ready_pg = (px_html_page){v->o.lang, v->o.entity,	v->o.controller,
				     v->o.tz,	v->n_pages + 1, next};
	if (page_begin(v, &v->pages[v->n_pages], err))
		return -1;
	v->table = px_html_page_begin(v->page_fp, &v->ready_pg, &v->ready,
				      v->o.schemas, err);
	if (!v->table)
		return v->page_errno ? page_failed(v, v->page_errno, err) : -1;
	return 0;
}

/* The rest of the page being rendered, and its end. */
static int end_page(px_views *v, px_error *err)
{
	px_html_table *t = v->table;

	v->table = NULL;
	if (px_html_page_end(v->page_fp, &v->ready_pg, t, err)) {
		v->pg = NULL; /* a record's fault, or the writer's */
		return v->page_errno ? page_failed(v, v->page_errno, err) : -1;
	}
	if (page_end(v, err))
		return -1;
	v->n_pages++;
	return 0;
}

static int bad_record(px_views *v, uint64_t n, const char *why, px_error *err)
{
	return px_error_set(err, PX_EXIT_SOFTWARE,
			    "csv/%s.csv: record %llu: expected one compact "
			    "JSON object%s",
			    v->o.entity, (unsigned long long)n, why);
}

/* The CSV spool's formatter: a record's line; item NULL at the end. */
static int csv_record(void *ctx, const px_spool_item *it, px_buf *out,
		      px_error *err)
{
	px_views *v = ctx;
	int rc;

	v->csv_sink.to = out;
	if (!v->headed) {
		v->headed = 1;
		if (px_csv_header(v->csv_fp, v->props, err))
			return -1;
	}
	if (!it)
		return sink_flush(v->csv_fp, &v->csv_sink, err);
	/* What the data file's readers refuse, so that no view shows a NUL
	 * the others would not. */
	if (px_datafile_holds_nul(it->text, it->len))
		return bad_record(v, it->n,
				  ": the JSON holds a NUL character (\\u0000)",
				  err);
	if ((rc = px_jfields_scan(&v->f, it->text, it->len)) < 0)
		return px_error_oom(err);
	if (rc)
		return bad_record(v, it->n, "", err);
	if (px_csv_row(v->csv_fp, v->props, &v->f, v->o.entity,
		       (unsigned long)it->n, &v->scratch, err))
		return -1;
	return sink_flush(v->csv_fp, &v->csv_sink, err);
}

/* The pages' formatter: the record into its page; item NULL at the end.
 * A page is rendered only once the record after it arrives, so that it
 * knows whether a next one exists. It writes nothing to out: each page
 * is deflated on its own. The CSV's formatter checks each record's form;
 * the page's table checks it again as it is rendered. */
static int page_record(void *ctx, const px_spool_item *it, px_buf *out,
		       px_error *err)
{
	px_views *v = ctx;

	(void)out;
	if (!it) {
		if (v->table && end_page(v, err))
			return -1;
		/* index.html alone shows an entity it holds whole */
		if (v->paged <= PX_HTML_MAX_ROWS || !v->chunk.n)
			return 0;
		return start_page(v, 0, err) || end_page(v, err) ? -1 : 0;
	}
	if (v->chunk.n == PX_HTML_PAGE_ROWS &&
	    ((v->table && end_page(v, err)) || start_page(v, 1, err)))
		return -1;
	v->paged++;
	if (px_html_rows_add(&v->chunk, it->text, it->len))
		return px_error_oom(err);
	/* The page being rendered is done when this one is full; what it
	 * has written makes room for this one. */
	if (!v->table)
		return 0;
	if (px_html_table_rows(v->table, v->chunk.n, err))
		return -1;
	px_html_rows_pass(&v->ready, px_html_table_spent(v->table), &v->chunk);
	return 0;
}

px_views *px_views_open(const px_views_opts *o, px_error *err)
{
	px_views *v = calloc(1, sizeof(*v));

	if (!v) {
		px_error_oom(err);
		return NULL;
	}
	v->o = *o;
	v->csv_fd = v->pages_fd = -1;
	snprintf(v->csv_what, sizeof(v->csv_what), "csv of %s", o->entity);
	snprintf(v->pages_what, sizeof(v->pages_what), "pages of %s",
		 o->entity);
	v->props = json_object_get(px_schemas_record(o->schemas, o->entity),
				   "properties");
	if (!v->props) {
		px_error_set(err, PX_EXIT_SOFTWARE,
			     "entity %s: no usable schema compiled in",
			     o->entity);
		goto fail;
	}
	static const cookie_io_functions_t page_io = {.write = page_write};
	if (!(v->csv_fp = sink_open(&v->csv_sink)) ||
	    !(v->page_fp = fopencookie(v, "w", page_io)) ||
	    !(v->md = EVP_MD_CTX_new())) {
		px_error_oom(err);
		goto fail;
	}
	__fsetlocking(v->page_fp, FSETLOCKING_BYCALLER);
	/* Deflate sees the page in pieces of this size, not of BUFSIZ. */
	setvbuf(v->page_fp, NULL, _IOFBF, ZCHUNK);
	v->csv = px_spool_open_later(o->tmpdir, v->csv_what, csv_record, v,
				     o->zkeep, err);
	if (!v->csv)
		goto fail;
	v->paging = px_spool_open(-1, v->pages_what, page_record, v, err);
	if (!v->paging)
		goto fail;
	return v;
fail:
	px_views_free(v);
	return NULL;
}

int px_views_put(px_views *v, const char *text, size_t len, px_error *err)
{
	v->put++;
	if (px_spool_put_text(v->csv, NULL, v->put, text, len, err))
		return -1;
	return px_spool_put_text(v->paging, NULL, v->put, text, len, err);
}

int px_views_finish(px_views *v, px_views_add_fn add, void *ctx, px_error *err)
{
	px_spool_info info, none;
	char name[200], page[160];
	int rc = px_spool_close(v->csv, &info, err);

	v->csv = NULL;
	if (!rc && info.fd_owned)
		v->csv_fd = info.fd; /* closed with the views */
	if (!rc)
		rc = px_spool_close(v->paging, &none, err);
	else
		px_spool_free(v->paging);
	v->paging = NULL;
	if (rc)
		return -1;
	if (v->pages_out) {
		FILE *f = v->pages_out;
		v->pages_out = NULL;
		if (fclose(f))
			return cantcreat(err, v->pages_what, v->o.tmpdir);
	}
	/* The CSV first, then the pages, as a reader lists them. */
	snprintf(name, sizeof(name), "csv/%s.csv", v->o.entity);
	if (add(ctx, name, info.fd, info.off, &info, "text/csv", err))
		return -1;
	for (size_t i = 0; i < v->n_pages; i++) {
		px_html_page_name(page, sizeof(page), v->o.entity, i + 1);
		snprintf(name, sizeof(name), "html/%s", page);
		if (add(ctx, name, v->pages_fd, v->pages[i].off,
			&v->pages[i].info, "text/html", err))
			return -1;
	}
	return 0;
}

void px_views_free(px_views *v)
{
	if (!v)
		return;
	px_spool_free(v->csv); /* the threads stop first */
	px_spool_free(v->paging);
	v->csv_sink.to = NULL; /* the spool's buffer is gone */
	if (v->csv_fp)
		fclose(v->csv_fp);
	if (v->page_fp)
		fclose(v->page_fp);
	if (v->pages_out)
		fclose(v->pages_out);
	px_deflater_free(v->z);
	if (v->csv_fd >= 0)
		close(v->csv_fd);
	if (v->pages_fd >= 0)
		close(v->pages_fd);
	px_jfields_free(&v->f);
	px_buf_free(&v->scratch);
	EVP_MD_CTX_free(v->md);
	px_html_table_free(v->table);
	px_html_rows_free(&v->chunk);
	px_html_rows_free(&v->ready);
	free(v->pages);
	free(v);
}
