/*
 * datafile.c - reading back data/<entity>.json line by line. See
 * datafile.h.
 */
#include "package/datafile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "package/spool.h"

struct px_datafile {
	const char *entity, *path;
	FILE *f;
	char *line;
	size_t cap;
	unsigned long line_no, count, expected;
	int done;
};

static int bad_layout(px_error *err, const px_datafile *d, const char *what)
{
	return px_error_set(err, PX_EXIT_SOFTWARE,
			    "data/%s.json (%s): line %lu: %s", d->entity,
			    d->path, d->line_no, what);
}

/* The next line without its line end into d->line: its length, or -1 at
 * the end of the file (or on a read error, told apart by ferror()). */
static ssize_t next_line(px_datafile *d)
{
	ssize_t got = getline(&d->line, &d->cap, d->f);

	if (got < 0)
		return -1;
	d->line_no++;
	while (got && (d->line[got - 1] == '\n' || d->line[got - 1] == '\r'))
		d->line[--got] = '\0';
	return got;
}

static int read_error(px_datafile *d, px_error *err)
{
	return px_error_set(err, PX_EXIT_IOERR, "data/%s.json: reading %s: %s",
			    d->entity, d->path, strerror(errno));
}

px_datafile *px_datafile_open(const char *entity, const char *path, int fd,
			      uint64_t off, int deflated, unsigned long records,
			      px_error *err)
{
	px_datafile *d = calloc(1, sizeof(*d));
	ssize_t len;

	if (!d) {
		px_error_oom(err);
		return NULL;
	}
	d->entity = entity;
	d->path = path;
	d->expected = records;
	d->f = deflated ? px_spool_read(fd, off) : fopen(path, "r");
	if (!d->f) {
		px_error_set(err, PX_EXIT_IOERR,
			     "data/%s.json: cannot read %s: %s", entity, path,
			     strerror(errno));
		free(d);
		return NULL;
	}
	len = next_line(d);
	if (len < 0 && ferror(d->f)) {
		read_error(d, err);
		goto fail;
	}
	if (len < 0) {
		d->line_no = 1;
		bad_layout(err, d, "file ends before the closing ]}");
		goto fail;
	}
	if (!len || d->line[0] != '{' || d->line[len - 1] != '[') {
		d->line_no = 1;
		bad_layout(err, d, "expected {\"entity\":...,\"records\":[");
		goto fail;
	}
	return d;
fail:
	px_datafile_close(d);
	return NULL;
}

/* The closing line was reached (or the file ended): checks how. */
static int finish(px_datafile *d, ssize_t len, px_error *err)
{
	char what[128];

	if (len < 0 && ferror(d->f))
		return read_error(d, err);
	if (len < 0) {
		d->line_no++;
		return bad_layout(err, d, "file ends before the closing ]}");
	}
	d->done = 1;
	if (d->count != d->expected) {
		snprintf(what, sizeof(what), "%lu records, expected %lu",
			 d->count, d->expected);
		return bad_layout(err, d, what);
	}
	return 0;
}

int px_datafile_holds_nul(const char *text, size_t n)
{
	const char *p = text, *end = text + n;

	while ((p = memchr(p, '\\', (size_t)(end - p)))) {
		if (end - p >= 6 && !memcmp(p, "\\u0000", 6))
			return 1;
		p += 2;
		if (p >= end)
			break;
	}
	return 0;
}

int px_datafile_next(px_datafile *d, const char **text, size_t *len,
		     px_jfields *f, px_error *err)
{
	ssize_t got;
	int rc;

	*text = NULL;
	*len = 0;
	if (d->done)
		return 0;
	got = next_line(d);
	if (got < 0 || !strcmp(d->line, "]}"))
		return finish(d, got, err) ? -1 : 0;
	if (got && d->line[got - 1] == ',')
		d->line[--got] = '\0';
	if (got < 2 || d->line[0] != '{' || d->line[got - 1] != '}')
		return bad_layout(err, d, "expected one JSON object");
	/* What px_json_load_exact() refuses, so that no reader is shown a
	 * NUL the others would not be: decimals alone start with one. */
	if (px_datafile_holds_nul(d->line, (size_t)got))
		return bad_layout(err, d,
				  "expected one JSON object: the JSON holds "
				  "a NUL character (\\u0000)");
	*text = d->line + 1;
	*len = (size_t)got - 2;
	if ((rc = px_jfields_scan(f, *text, *len)) < 0)
		return px_error_oom(err);
	if (rc)
		return bad_layout(err, d, "expected one compact JSON object");
	d->count++;
	return 1;
}

int px_datafile_skip_rest(px_datafile *d, px_error *err)
{
	ssize_t len = 0;

	while (!d->done) {
		len = next_line(d);
		if (len < 0 || !strcmp(d->line, "]}"))
			return finish(d, len, err);
		d->count++;
	}
	return 0;
}

unsigned long px_datafile_count(const px_datafile *d)
{
	return d->count;
}

void px_datafile_close(px_datafile *d)
{
	if (!d)
		return;
	if (d->f)
		fclose(d->f);
	free(d->line);
	free(d);
}
