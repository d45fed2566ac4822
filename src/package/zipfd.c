/*
 * zipfd.c - a libzip source that reads and writes a descriptor with
 * pread/pwrite (zipfd.h says why).
 *
 * libzip writes an archive in pieces of a few bytes (each header, each
 * name) to 8 KB (entry data): a small package took 312 pwrite()s. Writes
 * go through a buffer instead, which also takes libzip's seeks back to a
 * header it has just written, while that header is still in it.
 */
#include "package/zipfd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"

#define WBUF (64 * 1024)

struct zfd {
	int fd;
	zip_uint64_t rpos, wpos, wlen; /* wlen counts what is buffered */
	/* Bytes [bstart, bstart + blen) of the file, not written yet. */
	unsigned char *buf;
	zip_uint64_t bstart;
	size_t blen;
	zip_error_t error;
};

static zip_int64_t io_error(struct zfd *z, int code)
{
	zip_error_set(&z->error, code, errno);
	return -1;
}

static int write_at(struct zfd *z, const void *data, size_t len,
		    zip_uint64_t at)
{
	if (px_pwrite_all(z->fd, data, len, at)) {
		io_error(z, ZIP_ER_WRITE);
		return -1;
	}
	return 0;
}

/* Writes the buffer out; before anything reads the file or it ends. */
static int flush(struct zfd *z)
{
	size_t n = z->blen;

	z->blen = 0;
	return n ? write_at(z, z->buf, n, z->bstart) : 0;
}

static zip_int64_t do_read(struct zfd *z, void *data, zip_uint64_t len)
{
	if (flush(z))
		return -1;
	for (;;) {
		ssize_t n = pread(z->fd, data, len, (off_t)z->rpos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return io_error(z, ZIP_ER_READ);
		z->rpos += (zip_uint64_t)n;
		return n;
	}
}

static zip_int64_t do_write(struct zfd *z, const void *data, zip_uint64_t len)
{
	zip_uint64_t end = z->bstart + z->blen;

	if (!z->buf && !(z->buf = malloc(WBUF))) {
		zip_error_set(&z->error, ZIP_ER_MEMORY, 0);
		return -1;
	}
	/* Inside or right after what is buffered, and it fits: keep it. */
	if (z->blen &&
	    (z->wpos < z->bstart || z->wpos > end ||
	     z->wpos - z->bstart + len > WBUF) &&
	    flush(z))
		return -1;
	if (!z->blen)
		z->bstart = z->wpos;
	if (z->wpos - z->bstart + len <= WBUF) {
		size_t at = (size_t)(z->wpos - z->bstart);
		memcpy(z->buf + at, data, (size_t)len);
		if (at + len > z->blen)
			z->blen = at + (size_t)len;
	} else if (write_at(z, data, (size_t)len, z->wpos)) {
		return -1;
	}
	z->wpos += len;
	if (z->wpos > z->wlen)
		z->wlen = z->wpos;
	return (zip_int64_t)len;
}

static zip_int64_t truncate_all(struct zfd *z)
{
	z->blen = 0;
	if (ftruncate(z->fd, 0))
		return io_error(z, ZIP_ER_WRITE);
	z->wpos = z->wlen = 0;
	return 0;
}

static zip_int64_t seek(struct zfd *z, zip_uint64_t *pos, zip_uint64_t end,
			void *data, zip_uint64_t len)
{
	zip_int64_t to =
	    zip_source_seek_compute_offset(*pos, end, data, len, &z->error);
	if (to < 0)
		return -1;
	*pos = (zip_uint64_t)to;
	return 0;
}

static zip_int64_t stat_fd(struct zfd *z, void *data)
{
	zip_stat_t *st = data;
	struct stat sb;

	if (flush(z))
		return -1;
	if (fstat(z->fd, &sb))
		return io_error(z, ZIP_ER_READ);
	zip_stat_init(st);
	st->size = (zip_uint64_t)sb.st_size;
	st->mtime = sb.st_mtime;
	st->valid = ZIP_STAT_SIZE | ZIP_STAT_MTIME;
	return sizeof(*st);
}

static zip_int64_t cb(void *ud, void *data, zip_uint64_t len,
		      zip_source_cmd_t cmd)
{
	struct zfd *z = ud;
	struct stat sb;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
		z->rpos = 0;
		return 0;
	case ZIP_SOURCE_READ:
		return do_read(z, data, len);
	case ZIP_SOURCE_CLOSE:
		return 0;
	case ZIP_SOURCE_STAT:
		return stat_fd(z, data);
	case ZIP_SOURCE_SEEK:
		if (flush(z))
			return -1;
		if (fstat(z->fd, &sb))
			return io_error(z, ZIP_ER_SEEK);
		return seek(z, &z->rpos, (zip_uint64_t)sb.st_size, data, len);
	case ZIP_SOURCE_TELL:
		return (zip_int64_t)z->rpos;
	case ZIP_SOURCE_BEGIN_WRITE:
	case ZIP_SOURCE_ROLLBACK_WRITE:
	case ZIP_SOURCE_REMOVE:
		return truncate_all(z);
	case ZIP_SOURCE_WRITE:
		return do_write(z, data, len);
	case ZIP_SOURCE_SEEK_WRITE:
		return seek(z, &z->wpos, z->wlen, data, len);
	case ZIP_SOURCE_TELL_WRITE:
		return (zip_int64_t)z->wpos;
	case ZIP_SOURCE_COMMIT_WRITE:
		/* durability is the publisher's (fsync) */
		return flush(z) ? -1 : 0;
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&z->error, data, len);
	case ZIP_SOURCE_FREE:
		zip_error_fini(&z->error);
		free(z->buf);
		free(z);
		return 0;
	case ZIP_SOURCE_SUPPORTS:
		return zip_source_make_command_bitmap(
		    ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
		    ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
		    ZIP_SOURCE_SEEK, ZIP_SOURCE_TELL, ZIP_SOURCE_SUPPORTS,
		    ZIP_SOURCE_BEGIN_WRITE, ZIP_SOURCE_COMMIT_WRITE,
		    ZIP_SOURCE_ROLLBACK_WRITE, ZIP_SOURCE_WRITE,
		    ZIP_SOURCE_SEEK_WRITE, ZIP_SOURCE_TELL_WRITE,
		    ZIP_SOURCE_REMOVE, -1);
	default:
		zip_error_set(&z->error, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

zip_t *px_zip_open_fd(int fd, zip_error_t *ze)
{
	struct zfd *z = calloc(1, sizeof(*z));
	zip_source_t *src;
	zip_t *za;

	zip_error_init(ze);
	if (!z) {
		zip_error_set(ze, ZIP_ER_MEMORY, 0);
		return NULL;
	}
	z->fd = fd;
	zip_error_init(&z->error);
	if (!(src = zip_source_function_create(cb, z, ze))) {
		zip_error_fini(&z->error);
		free(z);
		return NULL;
	}
	if (!(za = zip_open_from_source(src, ZIP_CREATE | ZIP_TRUNCATE, ze)))
		zip_source_free(src); /* frees z */
	return za;
}
