/*
 * spool.c - compressing spool files on a worker thread, and the two ways
 * they are read back: raw into the archive, inflated for index.html.
 */
#define _GNU_SOURCE /* fopencookie */
#include "package/spool.h"

#include "grow.h"
#include "io.h"
#include "package/deflate.h"
#include "package/workfile.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h> /* inflate: reading a spool back */

#define CHUNK (64 * 1024)
#define BATCH 256 /* records handed over at once */
/* Records given as text go in batches of this many bytes or more (or
 * TEXT_BATCH records): the worker then only deflates, CRCs and hashes.
 * Under 64 KB by a margin so that a batch's text and its formatted form
 * each stay in a 64 KB buffer: an entity has three spools, each with
 * QUEUE batches. */
#define TEXT_BYTES (48 * 1024)
#define TEXT_BATCH 1024
#define QUEUE	   4 /* batches in flight: bounds memory whatever the history */
/* The first batch's slots until the worker starts: most entities of a
 * small export hold a few records, and 40 spools of 48 KB each were a
 * quarter of a small export's fresh pages. */
#define FIRST_SLOTS 32
#define KEEP	    4 /* streams a px_zkeep holds */

struct px_zkeep {
	struct kept {
		px_deflater *d; /* NULL: a free slot */
		int busy;
	} s[KEEP];
	int fd;	      /* the small files, one after the other; -1: none yet */
	uint64_t end; /* where the next one goes */
};

struct px_spool {
	FILE *fp;   /* on a duplicate of the caller's descriptor */
	char *path; /* names the spool in messages */
	int fd;	    /* the caller's, or the spool's own (own_fd) */
	/* px_spool_open_later(): a file of its own in dir when the worker
	 * starts, else the bytes in mem, then in keep's file. */
	int later, own_fd;
	char *dir, *what;
	px_buf mem;
	px_spool_format_fn fmt;
	void *ctx;
	pthread_t worker;
	int started; /* the worker runs: a small file never starts one */
	pthread_mutex_t mu;
	pthread_cond_t changed;
	/* A ring of batches, filled by the writer, drained by the worker.
	 * `fill` is the writer's current batch. */
	px_spool_item *batch[QUEUE];
	size_t len[QUEUE];
	size_t slots;	      /* of batch[0] while the worker has not started */
	px_buf btext[QUEUE];  /* the text of a batch's text items */
	unsigned head, count; /* next to drain, how many are full */
	unsigned fill;
	int closing, failed;
	int fail_errno; /* 0: see fail, set by the formatter */
	px_error fail;
	/* The worker's own. */
	int all_here;	      /* no worker: the caller's thread writes it all */
	px_deflater *own, *z; /* z: own, or one of keep's */
	px_zkeep *keep;
	struct kept *kept;
	EVP_MD_CTX *md;
	px_buf text;
	px_spool_info info;
};

px_zkeep *px_zkeep_new(void)
{
	px_zkeep *k = calloc(1, sizeof(px_zkeep));

	if (k)
		k->fd = -1;
	return k;
}

void px_zkeep_free(px_zkeep *k)
{
	if (!k)
		return;
	for (int i = 0; i < KEEP; i++)
		px_deflater_free(k->s[i].d);
	if (k->fd >= 0)
		close(k->fd);
	free(k);
}

/* A kept stream, reset, or a new one kept from now on; NULL
 * when there is no room (s then makes its own). */
static px_deflater *take_kept(px_spool *s)
{
	struct kept *free_slot = NULL;

	for (int i = 0; i < KEEP; i++) {
		struct kept *k = &s->keep->s[i];
		if (k->d && !k->busy) {
			px_deflater_reset(k->d);
			k->busy = 1;
			s->kept = k;
			return k->d;
		}
		if (!k->d && !free_slot)
			free_slot = k;
	}
	if (!free_slot || !(free_slot->d = px_deflater_new(0)))
		return NULL;
	free_slot->busy = 1;
	s->kept = free_slot;
	return free_slot->d;
}

/* The deflate stream, made with the first bytes to deflate. A file that
 * never started the worker is all there (but its tail): it takes a kept
 * stream (a small export has three such files per entity, and a fresh
 * stream's pages cost more than their deflate), or one whose output
 * buffer is its size. */
static int zinit(px_spool *s, size_t n)
{
	if (s->all_here && s->keep)
		s->z = take_kept(s);
	if (!s->z)
		s->z = s->own = px_deflater_new(s->all_here ? n : 0);
	return s->z ? 0 : ENOMEM;
}

/* A later spool closed on its writer's thread: its bytes go after the
 * others in keep's file, made in the first such spool's folder, as they
 * come (nothing else writes there until this spool is done). Returns 0
 * or an errno. */
static int flush_shared(px_spool *s)
{
	px_zkeep *k = s->keep;

	if (k->fd < 0) {
		px_error e = PX_ERROR_INIT;
		if ((k->fd = px_workfile_anon(s->dir, "work files", &e)) < 0)
			return errno ? errno : EIO;
	}
	if (s->info.fd < 0) { /* its first bytes */
		s->info.fd = k->fd;
		s->info.off = k->end;
	}
	if (px_pwrite_all(k->fd, s->mem.data, s->mem.len, k->end))
		return errno;
	k->end += s->mem.len;
	s->mem.len = 0;
	return 0;
}

/* Where the deflated bytes go: the spool's file, or memory until there
 * is a chunk for keep's file. */
static int spool_sink(void *ctx, const unsigned char *p, size_t n)
{
	px_spool *s = ctx;

	if (s->fp)
		return fwrite(p, 1, n, s->fp) == n ? 0 : errno ? errno : EIO;
	if (px_buf_add(&s->mem, p, n))
		return ENOMEM;
	return s->mem.len >= CHUNK ? flush_shared(s) : 0;
}

/* Worker side: hash and deflate bytes (or finish the stream). */
static int deflate_some(px_spool *s, const unsigned char *p, size_t n,
			int finish)
{
	int e;

	if (!s->fp && !s->later) /* no file: its formatter's output */
		return 0;
	if (!s->z && zinit(s, n))
		return ENOMEM;
	if (n) {
		EVP_DigestUpdate(s->md, p, n);
		s->info.size += n;
	}
	e = px_deflater_put(s->z, p, n, finish, spool_sink, s);
	s->info.crc32 = px_deflater_crc32(s->z);
	s->info.comp_size = px_deflater_comp_size(s->z);
	return e;
}

/* Formats a batch into text and deflates it. The worker only reads the
 * records: the writer frees them when it reuses the batch, so memory goes
 * back to the arena it came from instead of being fought over by both
 * threads. Returns 0, an errno, or -1 (s->fail says why). */
static int drain(px_spool *s, const px_spool_item *items, size_t n,
		 const px_buf *btext)
{
	int e = 0;

	s->text.len = 0;
	for (size_t i = 0; i < n && !e; i++) {
		px_spool_item it = items[i];
		if (!it.rec)
			it.text = btext->data + it.off;
		if (s->fmt(s->ctx, &it, &s->text, &s->fail))
			e = -1;
	}
	if (!e && s->text.len)
		e = deflate_some(s, (unsigned char *)s->text.data, s->text.len,
				 0);
	return e;
}

static void *work(void *arg)
{
	px_spool *s = arg;
	int e = 0;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->count && !s->closing)
			pthread_cond_wait(&s->changed, &s->mu);
		if (!s->count)
			break;
		unsigned i = s->head;
		pthread_mutex_unlock(&s->mu);

		/* After a failure the rest is only released, not written. */
		e = s->failed ? 0
			      : drain(s, s->batch[i], s->len[i], &s->btext[i]);

		pthread_mutex_lock(&s->mu);
		if (e && !s->failed) {
			s->failed = 1;
			s->fail_errno = e > 0 ? e : 0;
		}
		s->head = (s->head + 1) % QUEUE;
		s->count--;
		pthread_cond_broadcast(&s->changed);
	}
	int failed = s->failed;
	pthread_mutex_unlock(&s->mu);
	if (!failed) {
		s->text.len = 0;
		e = s->fmt(s->ctx, NULL, &s->text, &s->fail) ? -1 : 0;
		if (!e)
			e = deflate_some(s, (unsigned char *)s->text.data,
					 s->text.len, 1);
		if (!e && s->fp && fflush(s->fp))
			e = errno;
		if (!e && !s->fp && s->later)
			e = flush_shared(s);
		if (e) {
			s->failed = 1;
			s->fail_errno = e > 0 ? e : 0;
		}
	}
	return NULL;
}

/* A FILE on a duplicate of fd, which stays the caller's. */
static int open_fp(px_spool *s, int fd, px_error *err)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	s->fp = dup_fd < 0 ? NULL : fdopen(dup_fd, "wb");
	if (s->fp)
		return 0;
	if (dup_fd >= 0)
		close(dup_fd);
	return px_error_set(err, PX_EXIT_CANTCREAT, "cannot write %s: %s",
			    s->path, strerror(errno));
}

static px_spool *spool_new(const char *path, px_spool_format_fn fmt, void *ctx,
			   px_error *err)
{
	px_spool *s = calloc(1, sizeof(*s));

	if (!s) {
		px_error_oom(err);
		return NULL;
	}
	s->fd = s->own_fd = -1;
	s->fmt = fmt;
	s->ctx = ctx;
	s->info.fd = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->changed, NULL);
	/* The others when the worker starts: a small file fills one. */
	s->slots = FIRST_SLOTS;
	s->batch[0] = malloc(s->slots * sizeof(*s->batch[0]));
	s->md = EVP_MD_CTX_new();
	s->path = strdup(path);
	if (!s->batch[0] || !s->md || !s->path ||
	    !EVP_DigestInit_ex(s->md, EVP_sha256(), NULL)) {
		px_error_oom(err);
		px_spool_free(s);
		return NULL;
	}
	return s;
}

px_spool *px_spool_open(int fd, const char *path, px_spool_format_fn fmt,
			void *ctx, px_error *err)
{
	px_spool *s = spool_new(path, fmt, ctx, err);

	if (!s || fd < 0) /* fd < 0: only a worker for the formatter */
		return s;
	s->fd = fd;
	if (open_fp(s, fd, err)) {
		px_spool_free(s);
		return NULL;
	}
	return s;
}

px_spool *px_spool_open_later(const char *dir, const char *what,
			      px_spool_format_fn fmt, void *ctx, px_zkeep *keep,
			      px_error *err)
{
	char path[4096];
	px_spool *s;

	snprintf(path, sizeof(path), "%s in %s", what, dir);
	if (!(s = spool_new(path, fmt, ctx, err)))
		return NULL;
	s->later = 1;
	s->keep = keep;
	s->dir = strdup(dir);
	s->what = strdup(what);
	if (!s->dir || !s->what) {
		px_error_oom(err);
		px_spool_free(s);
		return NULL;
	}
	return s;
}

int px_zkeep_deflate(px_zkeep *k, const char *dir, const char *what, int fd,
		     uint64_t off, const void *data, uint64_t len,
		     px_spool_info *info, px_error *err)
{
	px_spool *s = px_spool_open_later(dir, what, NULL, NULL, k, err);
	unsigned char *buf = NULL;
	uint64_t done = 0;
	int e = 0, rc = 0;

	if (!s)
		return -1;
	s->all_here = 1; /* this thread deflates it all, now */
	if (!data && !(buf = malloc(CHUNK)))
		e = ENOMEM;
	while (!e && done < len) {
		size_t n = len - done > CHUNK ? CHUNK : (size_t)(len - done);
		const unsigned char *p = buf;
		if (data) {
			p = (const unsigned char *)data + done;
		} else {
			ssize_t got = pread(fd, buf, n, (off_t)(off + done));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				rc = px_error_set(err, PX_EXIT_IOERR,
						  "cannot read back %s: %s",
						  what,
						  got ? strerror(errno)
						      : "shorter than it was");
				break;
			}
			n = (size_t)got;
		}
		e = deflate_some(s, p, n, 0);
		done += n;
	}
	if (!rc && !e)
		e = deflate_some(s, NULL, 0, 1);
	if (!rc && !e)
		e = flush_shared(s);
	if (!rc && e == ENOMEM)
		rc = px_error_oom(err);
	else if (!rc && e)
		rc = px_error_set(err, PX_EXIT_CANTCREAT, "cannot write %s: %s",
				  s->path, strerror(e));
	if (!rc) {
		EVP_DigestFinal_ex(s->md, s->info.sha256, NULL);
		*info = s->info;
	}
	free(buf);
	px_spool_free(s);
	return rc;
}

static int spool_failed(px_spool *s, px_error *err)
{
	if (!s->fail_errno) {
		if (err)
			*err = s->fail;
		return -1;
	}
	return px_error_set(err, PX_EXIT_CANTCREAT, "cannot write %s: %s",
			    s->path, strerror(s->fail_errno));
}

static void release(px_spool *s, unsigned i)
{
	for (size_t k = 0; k < s->len[i]; k++)
		json_decref(s->batch[i][k].rec);
	s->len[i] = 0;
	s->btext[i].len = 0;
}

/* Hands the batch being filled to the worker, started with the first
 * full batch; waits for a free one. */
static int hand_over(px_spool *s, px_error *err)
{
	if (!s->started) {
		px_spool_item *b0 =
		    realloc(s->batch[0], TEXT_BATCH * sizeof(*b0));
		if (!b0)
			return px_error_oom(err);
		s->batch[0] = b0;
		/* Too big to stay in memory: its own file, now. */
		if (s->later && s->own_fd < 0) {
			s->own_fd = px_workfile_anon(s->dir, s->what, err);
			if (s->own_fd < 0)
				return -1;
			s->fd = s->own_fd;
			if (open_fp(s, s->fd, err))
				return -1;
		}
		for (unsigned i = 1; i < QUEUE; i++)
			if (!(s->batch[i] =
				  malloc(TEXT_BATCH * sizeof(*s->batch[i]))))
				return px_error_oom(err);
		if (pthread_create(&s->worker, NULL, work, s))
			return px_error_set(err, PX_EXIT_OSERR,
					    "cannot start a thread");
		s->started = 1;
	}
	pthread_mutex_lock(&s->mu);
	s->count++;
	s->fill = (s->fill + 1) % QUEUE;
	pthread_cond_broadcast(&s->changed);
	while (s->count == QUEUE && !s->failed)
		pthread_cond_wait(&s->changed, &s->mu);
	int failed = s->failed;
	pthread_mutex_unlock(&s->mu);
	release(s, s->fill); /* drained by the worker already */
	return failed ? spool_failed(s, err) : 0;
}

/* Room for one more item in the batch being filled: only the first batch
 * of a spool whose worker has not started may be short of it. */
static int room(px_spool *s, px_error *err)
{
	if (s->started || s->len[0] < s->slots)
		return 0;
	px_spool_item *b =
	    px_grow(s->batch[0], &s->slots, s->len[0], sizeof(*b), FIRST_SLOTS);
	if (!b)
		return px_error_oom(err);
	s->batch[0] = b;
	return 0;
}

int px_spool_put(px_spool *s, const px_spool_item *item, px_error *err)
{
	size_t *len = &s->len[s->fill];

	if (room(s, err))
		return -1;
	s->batch[s->fill][(*len)++] = *item;
	return *len >= BATCH ? hand_over(s, err) : 0;
}

int px_spool_put_text(px_spool *s, const void *origin, uint64_t n,
		      const char *text, size_t len, px_error *err)
{
	px_buf *b = &s->btext[s->fill];
	px_spool_item it = {NULL, origin, n, NULL, b->len, len};
	size_t *count = &s->len[s->fill];

	if (room(s, err))
		return -1;
	if (px_buf_add(b, text, len))
		return px_error_oom(err);
	s->batch[s->fill][(*count)++] = it;
	return *count == TEXT_BATCH || b->len >= TEXT_BYTES ? hand_over(s, err)
							    : 0;
}

static void stop(px_spool *s, int finish)
{
	pthread_mutex_lock(&s->mu);
	if (s->len[s->fill]) /* the partly filled batch goes too */
		s->count++;
	s->closing = 1;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->mu);
	/* A file that never filled a batch is written here, on this thread:
	 * a thread per small entity costs more than its deflate. */
	if (s->started)
		pthread_join(s->worker, NULL);
	else if (finish) {
		s->all_here = 1;
		work(s);
	}
	s->started = 0;
}

static void destroy(px_spool *s)
{
	if (s->kept)
		s->kept->busy = 0;
	px_deflater_free(s->own);
	if (s->fp)
		fclose(s->fp);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->changed);
	for (unsigned i = 0; i < QUEUE; i++) {
		release(s, i);
		free(s->batch[i]);
		px_buf_free(&s->btext[i]);
	}
	EVP_MD_CTX_free(s->md);
	px_buf_free(&s->text);
	px_buf_free(&s->mem);
	if (s->own_fd >= 0)
		close(s->own_fd);
	free(s->path);
	free(s->dir);
	free(s->what);
	free(s);
}

int px_spool_close(px_spool *s, px_spool_info *info, px_error *err)
{
	int rc = 0;

	stop(s, 1);
	if (s->fp && fclose(s->fp) && !s->failed) {
		s->failed = 1;
		s->fail_errno = errno;
	}
	s->fp = NULL;
	if (s->failed) {
		rc = spool_failed(s, err);
	} else {
		EVP_DigestFinal_ex(s->md, s->info.sha256, NULL);
		if (s->own_fd >= 0) { /* handed over */
			s->info.fd = s->own_fd;
			s->info.fd_owned = 1;
			s->own_fd = -1;
		} else if (!s->later) {
			s->info.fd = s->fd;
		}
		*info = s->info;
	}
	destroy(s);
	return rc;
}

void px_spool_free(px_spool *s)
{
	if (!s)
		return;
	stop(s, 0);
	destroy(s);
}

/* The archive source: len bytes at off of a descriptor, read with
 * pread so that several sources can share one descriptor; with info, raw
 * deflate data whose stat says so. */
struct zsrc {
	int fd;
	const unsigned char *mem; /* instead of fd */
	uint64_t off, len, pos;
	int deflated;
	px_spool_info info;
	zip_error_t error;
};

static zip_int64_t zsrc_read(struct zsrc *z, void *data, zip_uint64_t len)
{
	uint64_t left = z->len - z->pos;
	ssize_t n;

	if (len > left)
		len = left;
	if (z->mem) {
		memcpy(data, z->mem + z->pos, len);
		z->pos += len;
		return (zip_int64_t)len;
	}
	do
		n = pread(z->fd, data, len, (off_t)(z->off + z->pos));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		zip_error_set(&z->error, ZIP_ER_READ, errno);
		return -1;
	}
	if (n == 0 && len) { /* the file is shorter than it was */
		zip_error_set(&z->error, ZIP_ER_READ, EIO);
		return -1;
	}
	z->pos += (uint64_t)n;
	return n;
}

static zip_int64_t zsrc_cb(void *ud, void *data, zip_uint64_t len,
			   zip_source_cmd_t cmd)
{
	struct zsrc *z = ud;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
		z->pos = 0;
		return 0;
	case ZIP_SOURCE_READ:
		return zsrc_read(z, data, len);
	case ZIP_SOURCE_CLOSE:
		return 0;
	case ZIP_SOURCE_STAT: {
		zip_stat_t *st = data;
		zip_stat_init(st);
		st->mtime = time(NULL);
		st->encryption_method = ZIP_EM_NONE;
		st->valid = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE |
			    ZIP_STAT_COMP_METHOD | ZIP_STAT_ENCRYPTION_METHOD |
			    ZIP_STAT_MTIME;
		if (z->deflated) {
			st->size = z->info.size;
			st->comp_size = z->info.comp_size;
			st->crc = z->info.crc32;
			st->comp_method = ZIP_CM_DEFLATE;
			st->valid |= ZIP_STAT_CRC;
		} else {
			st->size = st->comp_size = z->len;
			st->comp_method = ZIP_CM_STORE;
		}
		return sizeof(*st);
	}
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&z->error, data, len);
	case ZIP_SOURCE_FREE:
		zip_error_fini(&z->error);
		free(z);
		return 0;
	case ZIP_SOURCE_SUPPORTS:
		return zip_source_make_command_bitmap(
		    ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
		    ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
	default:
		zip_error_set(&z->error, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

static zip_source_t *zsrc_new(zip_t *za, int fd, const void *mem, uint64_t off,
			      uint64_t len, const px_spool_info *info)
{
	struct zsrc *z = calloc(1, sizeof(*z));
	zip_source_t *src;

	if (!z)
		return NULL;
	z->fd = fd;
	z->mem = mem;
	z->off = off;
	z->len = info ? info->comp_size : len;
	z->deflated = info != NULL;
	if (info)
		z->info = *info;
	zip_error_init(&z->error);
	src = zip_source_function(za, zsrc_cb, z);
	if (!src) {
		zip_error_fini(&z->error);
		free(z);
	}
	return src;
}

zip_source_t *px_spool_zip_source(zip_t *za, int fd, uint64_t off, uint64_t len,
				  const px_spool_info *info)
{
	return zsrc_new(za, fd, NULL, off, len, info);
}

zip_source_t *px_zip_source_deflated(zip_t *za, const void *data,
				     const px_spool_info *info)
{
	return zsrc_new(za, -1, data, 0, 0, info);
}

/* Reading back inflated, through a stdio cookie. */
struct inflater {
	int fd;
	off_t pos;
	z_stream z;
	unsigned char in[CHUNK];
	int done;
};

static ssize_t inflater_read(void *cookie, char *buf, size_t size)
{
	struct inflater *f = cookie;

	f->z.next_out = (unsigned char *)buf;
	f->z.avail_out = (uInt)size;
	while (f->z.avail_out && !f->done) {
		if (!f->z.avail_in) {
			ssize_t n;
			do
				n = pread(f->fd, f->in, sizeof(f->in), f->pos);
			while (n < 0 && errno == EINTR);
			if (n < 0)
				return -1;
			if (n == 0) {
				errno = EIO; /* truncated stream */
				return -1;
			}
			f->pos += n;
			f->z.avail_in = (uInt)n;
			f->z.next_in = f->in;
		}
		int rc = inflate(&f->z, 0);
		if (rc == Z_STREAM_END)
			f->done = 1;
		else if (rc != Z_OK) {
			errno = EIO;
			return -1;
		}
	}
	return (ssize_t)(size - f->z.avail_out);
}

static int inflater_close(void *cookie)
{
	struct inflater *f = cookie;

	inflateEnd(&f->z);
	free(f);
	return 0;
}

FILE *px_spool_read(int fd, uint64_t off)
{
	static const cookie_io_functions_t io = {
	    .read = inflater_read,
	    .close = inflater_close,
	};
	struct inflater *f = calloc(1, sizeof(*f));
	FILE *out;

	if (!f)
		return NULL;
	f->fd = fd;
	f->pos = (off_t)off;
	if (inflateInit2(&f->z, -15) != Z_OK) {
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	out = fopencookie(f, "r", io);
	if (!out)
		inflater_close(f);
	return out;
}
