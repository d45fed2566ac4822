/*
 * rest_rows.c - the rows of an asynchronous export's file (rest_export.c
 * downloads it to a nameless work file), read from the file a buffer at a
 * time and handed on BATCH rows at once, so memory does not follow the
 * file's size:
 *   json    the items at "items" (one JSON document, parsed whole: at most
 *           REST_ROWS_MAX_JSON bytes)
 *   ndjson  one JSON object per line
 *   csv     RFC 4180 with a header row; every value a string
 *   zip     the members whose names match "member" (a glob, fnmatch with
 *           FNM_PATHNAME), in the archive's order, each read as
 *           "member_format" (one of the three above). The archive is
 *           checked from its central directory before any member is
 *           inflated, with the limits of portex verify: entry count,
 *           unsafe names, encryption, ratio, total size.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "portex/verify.h"
#include "rest.h"

#define BATCH	 100	     /* rows handed on at once */
#define MAX_LINE (64L << 20) /* one NDJSON line or CSV record */
#define BOMB_MIN_SIZE                                                          \
	(1u << 20) /* as portex verify: small members                          \
		      may compress oddly */
#define REST_ROWS_MAX_JSON (64L << 20)

/* Where the bytes come from: the work file, or a ZIP member. */
typedef struct reader {
	FILE *f;
	zip_file_t *zf;
	const char *what;    /* "collection X: the export file" ... */
	const char *name;    /* the member's name, or NULL */
	uint64_t got, limit; /* bytes read; a member's declared size */
	size_t pos, len;
	int eof, failed;
	char buf[1 << 16];
} reader;

struct rows {
	px_source *s;
	rest_items_fn fn;
	void *ctx;
	json_t *batch;
	px_error *err;
};

static int rd_fail(px_source *s, reader *r, px_error *err)
{
	r->failed = 1;
	if (r->zf)
		return px_error_set(err, PX_EXIT_DATA,
				    "source %s: %s: %.200s: cannot be read "
				    "(%s)",
				    s->cfg->name, r->what, r->name,
				    zip_file_strerror(r->zf));
	return px_error_set(err, PX_EXIT_IOERR,
			    "source %s: %s: cannot read the export's work "
			    "file: %s",
			    s->cfg->name, r->what, strerror(errno));
}

/* Refills r->buf; 0 at the end (r->eof) or on an error (r->failed). */
static size_t rd_fill(px_source *s, reader *r, px_error *err)
{
	if (r->eof || r->failed)
		return 0;
	r->pos = 0;
	if (r->zf) {
		zip_int64_t n = zip_fread(r->zf, r->buf, sizeof(r->buf));
		if (n < 0)
			return rd_fail(s, r, err), 0;
		r->len = (size_t)n;
	} else {
		r->len = fread(r->buf, 1, sizeof(r->buf), r->f);
		if (!r->len && ferror(r->f))
			return rd_fail(s, r, err), 0;
	}
	r->got += r->len;
	if (r->zf && r->got > r->limit) {
		r->failed = 1;
		px_error_set(err, PX_EXIT_DATA,
			     "source %s: %s: %.200s: holds more than the "
			     "%llu bytes the archive's directory says",
			     s->cfg->name, r->what, r->name,
			     (unsigned long long)r->limit);
		return 0;
	}
	if (!r->len)
		r->eof = 1;
	return r->len;
}

/* The next byte, or EOF (at the end, or on an error: see r->failed). */
static int rd_getc(px_source *s, reader *r, px_error *err)
{
	if (r->pos == r->len && !rd_fill(s, r, err))
		return EOF;
	return (unsigned char)r->buf[r->pos++];
}

static int rd_peek(px_source *s, reader *r, px_error *err)
{
	int c = rd_getc(s, r, err);

	if (c != EOF)
		r->pos--;
	return c;
}

static int flush(struct rows *w)
{
	int rc = 0;

	if (json_array_size(w->batch))
		rc = w->fn(w->ctx, w->batch, w->err);
	json_array_clear(w->batch);
	return rc;
}

static int add_row(struct rows *w, json_t *row)
{
	if (!row || json_array_append_new(w->batch, row))
		return px_error_oom(w->err);
	return json_array_size(w->batch) >= BATCH ? flush(w) : 0;
}

static int too_long(px_source *s, const reader *r, const char *unit,
		    size_t line, px_error *err)
{
	return px_error_set(err, PX_EXIT_DATA,
			    "source %s: %s%s%s: %s %zu is longer than %ld "
			    "bytes",
			    s->cfg->name, r->what, r->name ? ": " : "",
			    r->name ? r->name : "", unit, line, MAX_LINE);
}

static int ndjson_rows(struct rows *w, reader *r, const char *url)
{
	px_source *s = w->s;
	rest_buf b = {0};
	size_t line = 0;
	char what[400];
	int c, rc = -1;

	for (;;) {
		json_t *row;
		rest_resp one = {0};

		b.len = 0;
		c = EOF;
		while (r->pos < r->len || rd_fill(s, r, w->err)) {
			const char *p = r->buf + r->pos,
				   *nl = memchr(p, '\n', r->len - r->pos);
			size_t n = nl ? (size_t)(nl - p) : r->len - r->pos;

			if (b.len + n > (size_t)MAX_LINE) {
				too_long(s, r, "line", line + 1, w->err);
				goto out;
			}
			if (px_buf_add(&b, p, n)) {
				px_error_oom(w->err);
				goto out;
			}
			r->pos += n;
			if (nl) {
				r->pos++;
				c = '\n';
				break;
			}
		}
		if (r->failed)
			goto out;
		line++;
		if (b.len && !b.data[strspn(b.data, " \t\r")])
			b.len = 0; /* a blank line */
		if (b.len) {
			one.status = 200;
			one.body = b;
			snprintf(what, sizeof(what), "%s%s%s: line %zu",
				 r->what, r->name ? ": " : "",
				 r->name ? r->name : "", line);
			row = rest_json_parse(s, &one, what, url, w->err);
			if (!row || add_row(w, row))
				goto out;
		}
		if (c == EOF)
			break;
	}
	rc = 0;
out:
	px_buf_free(&b);
	return rc;
}

/* One RFC 4180 field into b; *end is set at the end of a record (or of
 * the file: *end = 2). Returns 0, or -1 with err. */
static int csv_field(px_source *s, reader *r, rest_buf *b, int *end,
		     size_t line, px_error *err)
{
	int c = rd_getc(s, r, err), quoted = c == '"';

	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
	*end = 0;
	if (quoted)
		c = rd_getc(s, r, err);
	for (;; c = rd_getc(s, r, err)) {
		char ch = (char)c;

		if (r->failed)
			return -1;
		if (quoted && c == EOF)
			return px_error_set(err, PX_EXIT_DATA,
					    "source %s: %s%s%s: CSV: a quoted "
					    "field is not closed (line %zu)",
					    s->cfg->name, r->what,
					    r->name ? ": " : "",
					    r->name ? r->name : "", line);
		if (quoted && c == '"') {
			if (rd_peek(s, r, err) != '"') {
				quoted = 0;
				c = rd_getc(s, r, err);
				if (c != ',' && c != '\r' && c != '\n' &&
				    c != EOF)
					return px_error_set(
					    err, PX_EXIT_DATA,
					    "source %s: %s%s%s: CSV line %zu: "
					    "text after a closing quote",
					    s->cfg->name, r->what,
					    r->name ? ": " : "",
					    r->name ? r->name : "", line);
				if (r->failed)
					return -1;
			} else {
				rd_getc(s, r, err);
				ch = '"';
			}
		}
		if (!quoted && (c == ',' || c == '\r' || c == '\n' || c == EOF))
			break;
		if (b->len >= (size_t)MAX_LINE)
			return too_long(s, r, "CSV line", line, err);
		if (px_buf_add(b, &ch, 1))
			return px_error_oom(err);
	}
	if (c == '\r' && rd_peek(s, r, err) == '\n')
		rd_getc(s, r, err);
	if (c == EOF || (c != ',' && rd_peek(s, r, err) == EOF))
		*end = 2;
	else if (c != ',')
		*end = 1;
	if (!b->data && px_buf_add(b, "", 0))
		return px_error_oom(err);
	return r->failed ? -1 : 0;
}

/* b's text as a JSON string; NULL with err set when it is not UTF-8. */
static json_t *csv_text(px_source *s, const reader *r, const rest_buf *b,
			size_t line, px_error *err)
{
	json_t *v = json_stringn(b->data, b->len);

	if (!v)
		px_error_set(err, PX_EXIT_DATA,
			     "source %s: %s%s%s: CSV line %zu: a field is not "
			     "UTF-8 text (or holds a NUL byte)",
			     s->cfg->name, r->what, r->name ? ": " : "",
			     r->name ? r->name : "", line);
	return v;
}

static int csv_rows(struct rows *w, reader *r)
{
	px_source *s = w->s;
	json_t *head = json_array(), *row = NULL;
	rest_buf b = {0};
	size_t col = 0, line = 1;
	int end = 0, rc = -1;

	if (!head)
		return px_error_oom(w->err);
	if (rd_peek(s, r, w->err) == EOF) {
		rc = r->failed ? -1 : 0; /* an empty file: no rows */
		goto out;
	}
	while (!end) {
		if (csv_field(s, r, &b, &end, line, w->err))
			goto out;
		json_t *v = csv_text(s, r, &b, line, w->err);

		if (!v)
			goto out;
		if (json_array_append_new(head, v)) {
			px_error_oom(w->err);
			goto out;
		}
	}
	while (end != 2) {
		line++;
		col = 0;
		end = 0;
		if (!(row = json_object())) {
			px_error_oom(w->err);
			goto out;
		}
		while (!end) {
			if (csv_field(s, r, &b, &end, line, w->err))
				goto out;
			if (col >= json_array_size(head)) {
				px_error_set(w->err, PX_EXIT_DATA,
					     "source %s: %s%s%s: CSV line %zu: "
					     "more fields than the %zu in the "
					     "header",
					     s->cfg->name, r->what,
					     r->name ? ": " : "",
					     r->name ? r->name : "", line,
					     json_array_size(head));
				goto out;
			}
			json_t *v = csv_text(s, r, &b, line, w->err);

			if (!v)
				goto out;
			if (json_object_set_new(
				row,
				json_string_value(json_array_get(head, col)),
				v)) {
				px_error_oom(w->err);
				goto out;
			}
			col++;
		}
		/* a blank line is no record */
		if (col == 1 && !*b.data) {
			json_decref(row);
		} else if (add_row(w, row)) {
			row = NULL;
			goto out;
		}
		row = NULL;
	}
	rc = 0;
out:
	px_buf_free(&b);
	json_decref(row);
	json_decref(head);
	return rc;
}

static int json_rows(struct rows *w, reader *r, const json_t *ex,
		     const char *url)
{
	px_source *s = w->s;
	const char *ip = json_string_value(json_object_get(ex, "items"));
	rest_resp all = {0};
	char what[400];
	json_t *doc, *items;
	int rc = -1;

	all.status = 200;
	for (;;) {
		if (r->pos == r->len && !rd_fill(s, r, w->err))
			break;
		if (all.body.len + (r->len - r->pos) > REST_ROWS_MAX_JSON) {
			px_error_set(w->err, PX_EXIT_DATA,
				     "source %s: %s%s%s: a \"json\" export "
				     "file is parsed whole, and this one is "
				     "over %ld bytes (ask the partner for "
				     "ndjson or csv)",
				     s->cfg->name, r->what, r->name ? ": " : "",
				     r->name ? r->name : "",
				     REST_ROWS_MAX_JSON);
			goto out;
		}
		if (px_buf_add(&all.body, r->buf + r->pos, r->len - r->pos)) {
			px_error_oom(w->err);
			goto out;
		}
		r->pos = r->len;
	}
	if (r->failed)
		goto out;
	snprintf(what, sizeof(what), "%s%s%s", r->what, r->name ? ": " : "",
		 r->name ? r->name : "");
	if (!(doc = rest_json_parse(s, &all, what, url, w->err)))
		goto out;
	items = rest_pointer(doc, ip ? ip : "");
	if (!json_is_array(items))
		px_error_set(w->err, PX_EXIT_DATA,
			     "source %s: %s: the export file has no array at "
			     "\"%s\"",
			     s->cfg->name, what, ip ? ip : "");
	else
		rc = w->fn(w->ctx, items, w->err);
	json_decref(doc);
out:
	px_buf_free(&all.body);
	return rc;
}

static int rows_of(struct rows *w, reader *r, const json_t *ex,
		   const char *format, const char *url)
{
	if (!strcmp(format, "ndjson"))
		return ndjson_rows(w, r, url);
	if (!strcmp(format, "csv"))
		return csv_rows(w, r);
	return json_rows(w, r, ex, url);
}

static int zip_bad(px_source *s, const char *what, px_error *err,
		   const char *fmt, ...) PX_PRINTF(4, 5);
static int zip_bad(px_source *s, const char *what, px_error *err,
		   const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return px_error_set(err, PX_EXIT_DATA,
			    "source %s: %s: the export's ZIP archive is "
			    "refused: %s",
			    s->cfg->name, what, msg);
}

/* Everything the central directory tells, before any member is read:
 * the same limits as portex verify. Fills match[] with the members to
 * read (in the archive's order). */
static int zip_check(px_source *s, zip_t *za, zip_int64_t n, const char *pat,
		     uint64_t max_total, const char *what, size_t *match,
		     size_t *n_match, px_error *err)
{
	uint64_t total = 0;
	zip_stat_t st;
	const char *why;

	*n_match = 0;
	for (zip_int64_t i = 0; i < n; i++) {
		if (zip_stat_index(za, (zip_uint64_t)i, ZIP_FL_ENC_RAW, &st) ||
		    !(st.valid & ZIP_STAT_NAME) ||
		    !(st.valid & ZIP_STAT_SIZE) ||
		    !(st.valid & ZIP_STAT_COMP_SIZE))
			return zip_bad(s, what, err,
				       "entry %lld: unreadable directory "
				       "record",
				       (long long)i);
		if ((why = px_verify_bad_name(st.name)))
			return zip_bad(s, what, err,
				       "entry \"%.200s\": unsafe name (%s)",
				       st.name, why);
		if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) &&
		    st.encryption_method != ZIP_EM_NONE)
			return zip_bad(s, what, err, "%.200s: encrypted",
				       st.name);
		if (st.size > BOMB_MIN_SIZE &&
		    (st.comp_size == 0 ||
		     st.size / st.comp_size > PX_VERIFY_MAX_RATIO))
			return zip_bad(
			    s, what, err,
			    "%.200s: expands %llu bytes to %llu, "
			    "more than %d:1 (a zip bomb?)",
			    st.name, (unsigned long long)st.comp_size,
			    (unsigned long long)st.size, PX_VERIFY_MAX_RATIO);
		total += st.size < max_total ? st.size : max_total;
		if (total > max_total)
			return zip_bad(s, what, err,
				       "its members expand to more than %llu "
				       "bytes (max_unzipped_bytes)",
				       (unsigned long long)max_total);
		if (!fnmatch(pat, st.name, FNM_PATHNAME))
			match[(*n_match)++] = (size_t)i;
	}
	return 0;
}

/* The member names of za, for a message: "a, b, c" (at most n bytes). */
static void zip_names(zip_t *za, zip_int64_t n, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (zip_int64_t i = 0; i < n && used + 1 < size; i++) {
		const char *nm = zip_get_name(za, (zip_uint64_t)i, 0);
		int k = snprintf(out + used, size - used, "%s%s", i ? ", " : "",
				 nm ? nm : "?");
		used += k > 0 ? (size_t)k : 0;
	}
	if (!n)
		snprintf(out, size, "none");
}

static int zip_rows(struct rows *w, FILE *f, uint64_t size, const json_t *ex,
		    const char *what, const char *url)
{
	px_source *s = w->s;
	const char *pat = json_string_value(json_object_get(ex, "member"));
	const char *mf =
	    json_string_value(json_object_get(ex, "member_format"));
	json_t *cap = json_object_get(ex, "max_unzipped_bytes");
	uint64_t max_total = json_is_integer(cap) && json_integer_value(cap) > 0
				 ? (uint64_t)json_integer_value(cap)
				 : PX_VERIFY_MAX_TOTAL;
	uint64_t entries = 0;
	size_t *match = NULL, n_match = 0;
	char why[256], names[400], mwhat[240];
	zip_error_t ze;
	zip_t *za = NULL;
	int fd, zerr = 0, rc = -1;

	if (px_verify_zip_directory(fileno(f), size, PX_VERIFY_MAX_ENTRIES,
				    &entries, why, sizeof(why)))
		return px_error_set(w->err, PX_EXIT_DATA,
				    "source %s: %s: the export file is not a "
				    "sound ZIP archive (%s)",
				    s->cfg->name, what, why);
	if (entries > PX_VERIFY_MAX_ENTRIES)
		return zip_bad(s, what, w->err, "%llu entries, more than %llu",
			       (unsigned long long)entries,
			       (unsigned long long)PX_VERIFY_MAX_ENTRIES);
	if ((fd = dup(fileno(f))) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		if (fd >= 0)
			close(fd);
		return px_error_set(w->err, PX_EXIT_OSERR, "dup: %s",
				    strerror(errno));
	}
	if (!(za = zip_fdopen(fd, ZIP_CHECKCONS, &zerr))) {
		close(fd);
		zip_error_init_with_code(&ze, zerr);
		px_error_set(w->err, PX_EXIT_DATA,
			     "source %s: %s: the export file is not a valid "
			     "ZIP archive (%s)",
			     s->cfg->name, what, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return -1;
	}
	if (!(match = calloc(entries ? entries : 1, sizeof(*match)))) {
		px_error_oom(w->err);
		goto out;
	}
	if (zip_check(s, za, (zip_int64_t)entries, pat, max_total, what, match,
		      &n_match, w->err))
		goto out;
	if (!n_match) {
		zip_names(za, (zip_int64_t)entries, names, sizeof(names));
		px_error_set(w->err, PX_EXIT_DATA,
			     "source %s: %s: the export's ZIP archive has no "
			     "member matching \"%s\" (members: %s)",
			     s->cfg->name, what, pat, names);
		goto out;
	}
	snprintf(mwhat, sizeof(mwhat), "%s: the export's ZIP member", what);
	for (size_t k = 0; k < n_match; k++) {
		reader r = {0};
		zip_stat_t st;
		int bad;

		zip_stat_index(za, match[k], ZIP_FL_ENC_RAW, &st);
		r.what = mwhat;
		r.name = st.name;
		r.limit = st.size;
		if (!(r.zf = zip_fopen_index(za, match[k], 0))) {
			px_error_set(w->err, PX_EXIT_DATA,
				     "source %s: %s: ZIP member %.200s cannot "
				     "be opened (%s)",
				     s->cfg->name, what, st.name,
				     zip_strerror(za));
			goto out;
		}
		bad = rows_of(w, &r, ex, mf, url);
		zip_fclose(r.zf);
		if (bad)
			goto out;
	}
	rc = 0;
out:
	free(match);
	zip_discard(za);
	return rc;
}

int rest_rows_file(px_source *s, const json_t *ex, FILE *f, uint64_t size,
		   const char *what, const char *url, rest_items_fn fn,
		   void *ctx, px_error *err)
{
	const char *format = json_string_value(json_object_get(ex, "format"));
	struct rows w = {s, fn, ctx, json_array(), err};
	char in[200];
	int rc;

	if (!w.batch)
		return px_error_oom(err);
	snprintf(in, sizeof(in), "%s: the export file", what);
	if (fflush(f) || fseeko(f, 0, SEEK_SET)) {
		rc = px_error_set(err, PX_EXIT_IOERR,
				  "source %s: %s: cannot rewind its work "
				  "file: %s",
				  s->cfg->name, in, strerror(errno));
	} else if (!strcmp(format, "zip")) {
		rc = zip_rows(&w, f, size, ex, what, url);
	} else {
		reader r = {0};

		r.f = f;
		r.what = in;
		rc = rows_of(&w, &r, ex, format, url);
	}
	if (!rc)
		rc = flush(&w);
	json_decref(w.batch);
	return rc;
}
