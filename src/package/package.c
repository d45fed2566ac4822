/*
 * package.c - the packager. Records go to one spool per entity as they
 * arrive, where a writer thread validates, writes and deflates them
 * (spool.c; memory stays flat whatever the subject's history). At the end
 * everything goes into a ZIP written beside the target. Every working
 * file has no name (workfile.h): the spools in $TMPDIR, documents and
 * index.html, and the archive itself until it is complete, fsync'ed and
 * linked into place. No reader ever sees half a package, and no crash
 * leaves a subject's records lying about.
 */
#include "package/package.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "digest.h"
#include "embedded.h"
#include "interrupt.h"
#include "io.h"
#include "html/index_html.h"
#include "jsonout.h"
#include "path.h"
#include "package/spool.h"
#include "package/workfile.h"
#include "package/zipfd.h"
#include "package/zipmeta.h"
#include "timefmt.h"
#include "package/readme.h"
#include "package/views.h"

#define MIMETYPE     "application/vnd.etsi.asic-e+zip"
#define MAX_ENTITIES 64
#define DOC_NAME_MAX 100

/* A field of an entity's records, in the schema's order, with its key
 * as written ("name":) worked out once. */
struct member {
	const char *name; /* borrowed from the schema */
	char *text;
	size_t len;
};

/* One data/<entity>.json being written, compressed as it goes. */
struct spool {
	char *entity;
	char *path;   /* "data of <entity>": names it in messages */
	int fd;	      /* its bytes, once closed: off in fd (spool.h) */
	int fd_owned; /* fd is its own file, to close */
	uint64_t off;
	px_spool *sp;
	uint64_t records;
	struct member *members;
	size_t n_members;
	px_validator *validator; /* used by the worker thread only */
	int started;		 /* the worker wrote the file's head */
	px_views *views;	 /* fed by the worker thread */
};

/* A file waiting to go into the archive. */
struct entry {
	char *name;	  /* inside the package */
	int fd;		  /* a nameless file holding it, or -1 for `data` */
	uint64_t off;	  /* where it starts in fd */
	const void *data; /* static bytes (embedded schemas: deflated) */
	uint64_t size;
	unsigned char sha256[32];
	const char *media_type;
	int64_t records;       /* -1 when not a data file */
	int deflated;	       /* fd or data holds raw deflate data */
	px_spool_info spooled; /* its sizes and CRC, when deflated */
	int clear;	       /* never encrypted (the readme) */
};

struct px_package {
	char *target, *tmpdir;
	px_workfile zip; /* the archive, beside the target */
	int docs_fd;	 /* every document, one after the other */
	uint64_t docs_end;
	int force;
	int (*before_publish)(void *, const char *, px_error *);
	void *before_publish_ctx;
	char *password;
	px_signer *signer;
	px_schemas *schemas;
	px_lang lang;	  /* the views' */
	char *controller; /* the pages' titles; may be NULL */
	const px_tz *tz;  /* the views' dates; NULL: UTC */
	struct spool spools[MAX_ENTITIES];
	size_t n_spools;
	px_zkeep *zkeep; /* for the spools this thread writes itself */
	struct entry *entries;
	size_t n_entries, cap_entries;
	json_t *doc_names; /* "source/name" already used */
	unsigned n_docs;
	char *manifest_text; /* lives until zip_close() has read it */
};

static int exists_error(px_error *err, const char *target)
{
	return px_error_set(err, PX_EXIT_CANTCREAT,
			    "%s already exists; portex never replaces a "
			    "package unless --force is given",
			    target);
}

static int cantcreat(px_error *err, const char *what, const char *path)
{
	return px_error_set(err, PX_EXIT_CANTCREAT, "cannot write %s %s: %s",
			    what, path, strerror(errno));
}

px_package *px_package_new(const px_package_opts *o, px_error *err)
{
	char *copy = strdup(o->target), *dir;
	const char *tmpdir = px_tmpdir();
	px_package *p = calloc(1, sizeof(*p));
	struct stat st;

	if (!p || !copy) {
		free(p);
		free(copy);
		px_error_oom(err);
		return NULL;
	}
	p->zip.fd = p->docs_fd = -1;
	dir = dirname(copy);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		px_error_set(err, PX_EXIT_CANTCREAT,
			     "cannot write %s: folder %s does not exist",
			     o->target, dir);
		goto fail;
	}
	if (access(dir, W_OK)) {
		px_error_set(err, PX_EXIT_CANTCREAT,
			     "cannot write %s: folder %s is not writable",
			     o->target, dir);
		goto fail;
	}
	if (!o->force && !lstat(o->target, &st)) {
		exists_error(err, o->target);
		goto fail;
	}
	/* What a crash of an older portex left: its temporary archive, its
	 * spool folder with the records in clear. */
	if (!o->swept) {
		px_workfile_sweep(dir, PX_WORKFILE_PREFIX);
		px_workfile_sweep(tmpdir, PX_SPOOL_PREFIX);
	}
	/* The archive is written next to its target so that publishing is
	 * a link() within one file system. */
	if (px_workfile_new(&p->zip, dir, "the package", err))
		goto fail;
	p->tmpdir = strdup(tmpdir);
	p->target = strdup(o->target);
	p->password = o->password ? strdup(o->password) : NULL;
	p->doc_names = json_object();
	p->force = o->force;
	p->before_publish = o->before_publish;
	p->before_publish_ctx = o->before_publish_ctx;
	p->signer = o->signer;
	p->schemas = o->schemas;
	p->lang = px_i18n_lang(o->locale);
	p->controller = o->controller ? strdup(o->controller) : NULL;
	p->tz = o->timezone ? px_tz_shared(o->timezone) : NULL;
	p->zkeep = px_zkeep_new();
	free(copy);
	if (!p->tmpdir || !p->target || !p->doc_names || !p->zkeep ||
	    (o->password && !p->password) ||
	    (o->controller && !p->controller)) {
		px_package_abort(p);
		px_error_oom(err);
		return NULL;
	}
	return p;
fail:
	px_workfile_drop(&p->zip);
	free(copy);
	free(p);
	return NULL;
}

static int members_of(struct spool *s, px_schemas *schemas, px_error *err)
{
	const json_t *props = json_object_get(
	    px_schemas_record(schemas, s->entity), "properties");
	const char *k;
	json_t *v;

	s->members = calloc(json_object_size(props) + 1, sizeof(*s->members));
	if (!s->members)
		return px_error_oom(err);
	json_object_foreach ((json_t *)props, k, v) {
		struct member *m = &s->members[s->n_members];
		px_buf b = {0};
		int first = 1;

		if (px_json_append_member(&b, k, json_null(), &first)) {
			px_buf_free(&b);
			return px_error_oom(err);
		}
		m->name = k;
		m->text = b.data;
		m->len = b.len - 4; /* without the null */
		s->n_members++;
	}
	return 0;
}

/* The spool's formatter, on its worker thread: validates a record
 * against its schema, then writes it. The file is one JSON document with
 * one record per line, so readers (index.html) can stream it; fields go
 * in the schema's order (one the schema does not know was refused). */
static int format_record(void *ctx, const px_spool_item *it, px_buf *out,
			 px_error *err)
{
	struct spool *s = ctx;
	px_schema_fail fail;
	size_t from;
	int first = 1;

	if (!it)
		return px_buf_add(out, "\n]}\n", 4) ? px_error_oom(err) : 0;
	if (it->rec && !px_validator_check(s->validator, it->rec, &fail))
		return px_error_set(
		    err, PX_EXIT_DATA,
		    "source %s: entity %s: record %llu: %s%s%s%s",
		    (const char *)it->origin, s->entity,
		    (unsigned long long)it->n, fail.path[0] ? "field " : "",
		    fail.path[0] ? fail.path + 1 : "", fail.path[0] ? ": " : "",
		    fail.msg);
	if (!s->started) {
		s->started = 1;
		if (px_buf_add(out, "{\"entity\":\"", 11) ||
		    px_buf_add(out, s->entity, strlen(s->entity)) ||
		    px_buf_add(out, "\",\"schema\":\"schemas/", 20) ||
		    px_buf_add(out, s->entity, strlen(s->entity)) ||
		    px_buf_add(out, ".schema.json\",\"records\":[\n{", 27))
			return px_error_oom(err);
	} else if (px_buf_add(out, ",\n{", 3)) {
		return px_error_oom(err);
	}
	/* The views take the record's text as the data file has it. */
	if (!it->rec) /* written and checked by a row encoder already */
		return px_buf_add(out, it->text, it->len) ||
			       px_buf_add(out, "}", 1)
			   ? px_error_oom(err)
			   : px_views_put(s->views, it->text, it->len, err);
	from = out->len;
	for (size_t i = 0; i < s->n_members; i++) {
		const struct member *m = &s->members[i];
		json_t *v = json_object_get(it->rec, m->name);
		if (!v)
			continue;
		if ((!first && px_buf_add(out, ",", 1)) ||
		    px_buf_add(out, m->text, m->len) || px_json_append(out, v))
			return px_error_oom(err);
		first = 0;
	}
	if (px_views_put(s->views, out->data + from, out->len - from, err))
		return -1;
	return px_buf_add(out, "}", 1) ? px_error_oom(err) : 0;
}

static struct spool *spool_for(px_package *p, const char *entity, px_error *err)
{
	struct spool *s;
	char name[128];

	for (size_t i = 0; i < p->n_spools; i++)
		if (!strcmp(p->spools[i].entity, entity))
			return &p->spools[i];
	if (p->n_spools == MAX_ENTITIES) {
		px_error_set(err, PX_EXIT_SOFTWARE, "too many entities");
		return NULL;
	}
	s = &p->spools[p->n_spools];
	snprintf(name, sizeof(name), "data of %s", entity);
	s->entity = strdup(entity);
	s->path = strdup(name);
	s->fd = -1;
	p->n_spools++;
	if (!s->entity || !s->path) {
		px_error_oom(err);
		return NULL;
	}
	/* Built here, on the export's thread, before the writer thread that
	 * alone uses it starts: px_schemas builds validators lazily. */
	s->validator = px_schemas_record_validator(p->schemas, entity);
	if (!s->validator) {
		px_error_set(err, PX_EXIT_SOFTWARE,
			     "entity %s: no usable schema compiled in", entity);
		return NULL;
	}
	if (members_of(s, p->schemas, err))
		return NULL;
	px_views_opts vo = {s->entity, p->schemas, p->lang, p->controller,
			    p->tz,     p->tmpdir,  p->zkeep};
	if (!(s->views = px_views_open(&vo, err)))
		return NULL;
	s->sp = px_spool_open_later(p->tmpdir, name, format_record, s, p->zkeep,
				    err);
	return s->sp ? s : NULL;
}

/* data/<entity>.json holds one record per line so that readers (and
 * index.html) can stream it; it is still one JSON document. */
int px_package_record(px_package *p, const char *entity, json_t *record,
		      const char *source, uint64_t n, px_error *err)
{
	struct spool *s = spool_for(p, entity, err);
	px_spool_item it = {.rec = record, .origin = source, .n = n};

	if (!s) {
		json_decref(record);
		return -1;
	}
	s->records++;
	return px_spool_put(s->sp, &it, err);
}

int px_package_text(px_package *p, const char *entity, const char *text,
		    size_t len, const char *source, uint64_t n, px_error *err)
{
	struct spool *s = spool_for(p, entity, err);

	if (!s)
		return -1;
	s->records++;
	return px_spool_put_text(s->sp, source, n, text, len, err);
}

static struct entry *entry_new(px_package *p, const char *name, px_error *err)
{
	struct entry *e;

	if (p->n_entries == p->cap_entries) {
		size_t cap = p->cap_entries ? p->cap_entries * 2 : 32;
		e = realloc(p->entries, cap * sizeof(*e));
		if (!e) {
			px_error_oom(err);
			return NULL;
		}
		p->entries = e;
		p->cap_entries = cap;
	}
	e = &p->entries[p->n_entries];
	memset(e, 0, sizeof(*e));
	e->fd = -1;
	e->records = -1;
	e->name = strdup(name);
	if (!e->name) {
		px_error_oom(err);
		return NULL;
	}
	p->n_entries++;
	return e;
}

void px_safe_name(const char *name, char *out, size_t max)
{
	const char *base = name, *ext;
	size_t n = 0, extlen;

	/* Only the last path component is a name; the rest is a claim about
	 * folders we do not honour. */
	for (const char *c = name; *c; c++)
		if (*c == '/' || *c == '\\')
			base = c + 1;
	while (*base == '.' || *base == ' ')
		base++;
	ext = strrchr(base, '.');
	extlen = ext ? strlen(ext) : 0;
	if (extlen > 16 || extlen < 2)
		ext = NULL, extlen = 0;
	for (const char *c = base; *c && c != ext && n + extlen < max; c++) {
		unsigned char ch = (unsigned char)*c;
		int ok = (ch >= 0x80) ||
			 (ch > 0x20 && ch != 0x7f && !strchr("\"*:<>?|", ch));
		if (ch >= 0x80) {
			/* Keep a whole UTF-8 sequence or none of it. */
			size_t len = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : 2;
			size_t k = 1;
			while (k < len && ((unsigned char)c[k] & 0xc0) == 0x80)
				k++;
			if (k == len && ch >= 0xc2 && ch < 0xf5 &&
			    n + extlen + len <= max) {
				memcpy(out + n, c, len);
				n += len;
				c += len - 1;
				continue;
			}
			ok = 0;
		}
		out[n++] = ok ? (char)ch : '_';
	}
	if (n == 0) {
		memcpy(out, "document", 8);
		n = 8;
	}
	if (ext) {
		for (size_t i = 0; i < extlen && n < max; i++) {
			unsigned char ch = (unsigned char)ext[i];
			out[n++] = (ch > 0x20 && ch < 0x7f &&
				    !strchr("\"*:<>?|/\\", ch))
				       ? (char)ch
				       : '_';
		}
	}
	out[n] = '\0';
}

/* The document's bytes (data, or len bytes of f from its start) appended
 * to the documents' work file, hashed on the way: a chunk at a time, so a
 * document from a file never sits in memory whole. */
static int put_document(px_package *p, const unsigned char *data, size_t len,
			FILE *f, unsigned char sha256[32], px_error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char chunk[64 * 1024];
	size_t left = len;
	int rc = -1;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return px_error_oom(err);
	}
	if (f && fseeko(f, 0, SEEK_SET)) {
		px_error_set(err, PX_EXIT_IOERR,
			     "cannot read a document's work file: %s",
			     strerror(errno));
		goto out;
	}
	while (left) {
		size_t n = left < sizeof(chunk) ? left : sizeof(chunk);
		const unsigned char *b = data ? data + (len - left) : chunk;

		if (f && fread(chunk, 1, n, f) != n) {
			px_error_set(err, PX_EXIT_IOERR,
				     "a document's work file ends before its "
				     "%zu bytes",
				     len);
			goto out;
		}
		if (px_pwrite_all(p->docs_fd, b, n, p->docs_end)) {
			cantcreat(err, "documents in", p->tmpdir);
			goto out;
		}
		EVP_DigestUpdate(md, b, n);
		p->docs_end += n;
		left -= n;
	}
	EVP_DigestFinal_ex(md, sha256, NULL);
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

int px_package_document(px_package *p, const char *source, json_t *record,
			const unsigned char *data, size_t len, FILE *f,
			px_error *err)
{
	const char *name = json_string_value(json_object_get(record, "name"));
	char safe[DOC_NAME_MAX + 1], unique[DOC_NAME_MAX + 16];
	char zipname[DOC_NAME_MAX + 96], shahex[65];
	struct entry *e;

	px_safe_name(name ? name : "document", safe, DOC_NAME_MAX);
	/* Two documents may share a name: the second becomes name-2.ext. */
	snprintf(unique, sizeof(unique), "%s", safe);
	for (unsigned k = 2;; k++) {
		snprintf(zipname, sizeof(zipname), "files/%s/%s", source,
			 unique);
		if (!json_object_get(p->doc_names, zipname))
			break;
		const char *dot = strrchr(safe, '.');
		int stem =
		    dot && dot != safe ? (int)(dot - safe) : (int)strlen(safe);
		snprintf(unique, sizeof(unique), "%.*s-%u%s", stem, safe, k,
			 dot && dot != safe ? dot : "");
	}
	if (json_object_set_new(p->doc_names, zipname, json_true()))
		return px_error_oom(err);
	p->n_docs++;
	e = entry_new(p, zipname, err);
	if (!e)
		return -1;
	if (p->docs_fd < 0 &&
	    (p->docs_fd = px_workfile_anon(p->tmpdir, "documents", err)) < 0)
		return -1;
	/* One file for all documents: a subject may have thousands, and a
	 * nameless file lives only as long as its descriptor. */
	e->fd = p->docs_fd;
	e->off = p->docs_end;
	if (put_document(p, data, len, f, e->sha256, err))
		return -1;
	e->size = len;
	e->media_type = "application/octet-stream";
	px_hex(e->sha256, 32, shahex);
	if (json_object_set_new(record, "size",
				json_integer((json_int_t)len)) ||
	    json_object_set_new(record, "sha256", json_string(shahex)) ||
	    json_object_set_new(record, "path", json_string(zipname)))
		return px_error_oom(err);
	return 0;
}

/* Deflates e (size bytes at off of fd, or at data) into the package's
 * work file now, which also gives its digest: a plain file is read once. */
static int deflate_entry(px_package *p, struct entry *e, px_error *err)
{
	if (px_zkeep_deflate(p->zkeep, p->tmpdir, e->name, e->fd, e->off,
			     e->fd >= 0 ? NULL : e->data, e->size, &e->spooled,
			     err))
		return -1;
	e->deflated = 1;
	e->fd = e->spooled.fd;
	e->off = e->spooled.off;
	memcpy(e->sha256, e->spooled.sha256, 32);
	return 0;
}

/* Deflates the whole of the plain file fd (its writer has flushed it) as
 * e. */
static int deflate_plain_file(px_package *p, struct entry *e, int fd,
			      px_error *err)
{
	struct stat st;

	if (fstat(fd, &st))
		return px_error_set(err, PX_EXIT_IOERR,
				    "cannot read back %s: %s", e->name,
				    strerror(errno));
	e->fd = fd;
	e->off = 0;
	e->size = (uint64_t)st.st_size;
	return deflate_entry(p, e, err);
}

int px_package_stream(px_package *p, const char *name, FILE *f,
		      const char *media_type, int64_t records, px_error *err)
{
	struct entry *e = entry_new(p, name, err);
	int rc;

	if (!e) {
		fclose(f);
		return -1;
	}
	e->media_type = media_type;
	e->records = records;
	if (fflush(f))
		rc = px_error_set(err, PX_EXIT_CANTCREAT,
				  "cannot write %s in %s: %s", name, p->tmpdir,
				  strerror(errno));
	else
		rc = deflate_plain_file(p, e, fileno(f), err);
	fclose(f); /* its bytes are in the package's work file now */
	return rc;
}

/* A file already deflated at off in fd, e.g. a view. */
static int add_view(void *ctx, const char *name, int fd, uint64_t off,
		    const px_spool_info *info, const char *media_type,
		    px_error *err)
{
	struct entry *e = entry_new(ctx, name, err);

	if (!e)
		return -1;
	e->fd = fd;
	e->off = off;
	e->size = info->size;
	memcpy(e->sha256, info->sha256, 32);
	e->media_type = media_type;
	e->deflated = 1;
	e->spooled = *info;
	return 0;
}

static int close_spools(px_package *p, px_error *err)
{
	for (size_t i = 0; i < p->n_spools; i++) {
		struct spool *s = &p->spools[i];
		px_spool_info info;
		struct entry *e;
		char name[128];
		int rc;

		rc = px_spool_close(s->sp, &info, err);
		s->sp = NULL;
		if (rc)
			return -1;
		snprintf(name, sizeof(name), "data/%s.json", s->entity);
		if (!(e = entry_new(p, name, err)))
			return -1;
		s->fd = info.fd;
		s->fd_owned = info.fd_owned;
		s->off = info.off;
		e->fd = s->fd;
		e->off = s->off;
		e->size = info.size;
		memcpy(e->sha256, info.sha256, 32);
		e->media_type = "application/json";
		e->records = (int64_t)s->records;
		e->deflated = 1;
		e->spooled = info;
		/* The data file's thread has stopped: the views had their last
		 * record. */
		if (px_views_finish(s->views, add_view, p, err))
			return -1;
	}
	return 0;
}

static int add_schema(px_package *p, const char *entity, px_error *err)
{
	char name[128];
	const px_embedded *emb;
	struct entry *e;

	snprintf(name, sizeof(name), "schemas/%s.schema.json", entity);
	emb = px_embedded_find(name);
	if (!emb)
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "no schema compiled in for %s", entity);
	if (!(e = entry_new(p, name, err)))
		return -1;
	/* Deflated at build time: the same 58 KB of schemas, and a libzip
	 * deflate stream each, cost every export ~2 ms otherwise. */
	e->data = emb->deflated;
	e->size = emb->size;
	e->media_type = "application/schema+json";
	EVP_Digest(emb->data, emb->size, e->sha256, NULL, EVP_sha256(), NULL);
	e->deflated = 1;
	e->spooled.size = emb->size;
	e->spooled.comp_size = emb->deflated_size;
	e->spooled.crc32 = (uint32_t)emb->crc32;
	memcpy(e->spooled.sha256, e->sha256, 32);
	return 0;
}

/* An encrypted package says in clear what it is and how to open it. */
static int add_readme(px_package *p, px_error *err)
{
	struct entry *e;
	size_t n;

	if (!p->password)
		return 0;
	if (!(e = entry_new(p, PX_README_NAME, err)))
		return -1;
	e->data = px_readme_text(&n);
	e->size = n;
	e->media_type = "text/plain";
	e->clear = 1;
	EVP_Digest(e->data, e->size, e->sha256, NULL, EVP_sha256(), NULL);
	return 0;
}

static json_t *files_json(px_package *p)
{
	json_t *files = json_array();
	char shahex[65];

	for (size_t i = 0; files && i < p->n_entries; i++) {
		struct entry *e = &p->entries[i];
		json_t *f;
		px_hex(e->sha256, 32, shahex);
		f = json_pack("{s:s, s:I, s:s, s:s}", "path", e->name, "size",
			      (json_int_t)e->size, "sha256", shahex,
			      "media_type", e->media_type);
		if (f && e->records >= 0)
			json_object_set_new(f, "records",
					    json_integer(e->records));
		if (!f || json_array_append_new(files, f)) {
			json_decref(files);
			return NULL;
		}
	}
	return files;
}

static int render_index(px_package *p, json_t *manifest, px_error *err)
{
	px_html_entity ents[MAX_ENTITIES];
	struct entry *e = entry_new(p, "index.html", err);
	FILE *fp;
	int rc, fd, plain;

	if (!e)
		return -1;
	e->media_type = "text/html";
	for (size_t i = 0; i < p->n_spools; i++) {
		ents[i].entity = p->spools[i].entity;
		ents[i].path = p->spools[i].path;
		ents[i].fd = p->spools[i].fd;
		ents[i].off = p->spools[i].off;
		ents[i].records = p->spools[i].records;
		ents[i].deflated = 1;
	}
	if ((plain = px_workfile_anon(p->tmpdir, "index.html", err)) < 0)
		return -1;
	fd = fcntl(plain, F_DUPFD_CLOEXEC, 0);
	if (fd < 0 || !(fp = fdopen(fd, "wb"))) {
		if (fd >= 0)
			close(fd);
		close(plain);
		return cantcreat(err, "index.html in", p->tmpdir);
	}
	rc = px_index_html_write(fp, manifest, ents, p->n_spools, p->schemas,
				 err);
	if (fclose(fp) && !rc)
		rc = cantcreat(err, "index.html in", p->tmpdir);
	if (!rc)
		rc = deflate_plain_file(p, e, plain, err);
	close(plain);
	return rc ? -1 : 0;
}

static int zip_fail(px_error *err, zip_t *za, const char *what)
{
	return px_error_set(err, PX_EXIT_CANTCREAT,
			    "cannot write package: %s: %s", what,
			    zip_strerror(za));
}

/* mimetype first, stored, no extra field: what ASiC readers sniff. */
static int add_mimetype(zip_t *za, px_error *err)
{
	zip_source_t *src =
	    zip_source_buffer(za, MIMETYPE, sizeof(MIMETYPE) - 1, 0);
	zip_int64_t idx;

	if (!src)
		return zip_fail(err, za, "mimetype");
	idx = zip_file_add(za, "mimetype", src, ZIP_FL_ENC_UTF_8);
	if (idx < 0) {
		zip_source_free(src);
		return zip_fail(err, za, "mimetype");
	}
	if (zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0))
		return zip_fail(err, za, "mimetype");
	return 0;
}

static int add_entry(px_package *p, zip_t *za, struct entry *e, px_error *err)
{
	zip_source_t *src;
	zip_int64_t idx;

	/* A plain file is deflated here, through the streams the small files
	 * used, not by libzip with a fresh stream (~600 KB of zlib state)
	 * for each: libzip then copies every entry as it is. */
	if (!e->deflated && deflate_entry(p, e, err))
		return -1;
	if (e->fd >= 0)
		src = px_spool_zip_source(za, e->fd, e->off, e->size,
					  &e->spooled);
	else /* an embedded schema, deflated at build time */
		src = px_zip_source_deflated(za, e->data, &e->spooled);
	if (!src)
		return zip_fail(err, za, e->name);
	idx = zip_file_add(za, e->name, src, ZIP_FL_ENC_UTF_8);
	if (idx < 0) {
		zip_source_free(src);
		return zip_fail(err, za, e->name);
	}
	if (p->password && !e->clear &&
	    zip_file_set_encryption(za, (zip_uint64_t)idx, ZIP_EM_AES_256,
				    p->password))
		return zip_fail(err, za, e->name);
	return 0;
}

/* manifest.json goes in like any entry; it is listed for the signature,
 * not in its own "files". */
static int add_manifest(px_package *p, zip_t *za, json_t *manifest,
			px_error *err)
{
	struct entry *e;
	size_t n;

	p->manifest_text =
	    json_dumps(manifest, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!p->manifest_text || !(e = entry_new(p, "manifest.json", err)))
		return err->code ? -1 : px_error_oom(err);
	/* The text ends with a newline: its NUL becomes one. */
	n = strlen(p->manifest_text);
	p->manifest_text[n] = '\n';
	e->data = p->manifest_text;
	e->size = n + 1;
	e->media_type = "application/json";
	EVP_Digest(e->data, e->size, e->sha256, NULL, EVP_sha256(), NULL);
	return add_entry(p, za, e, err);
}

static int sign(px_package *p, zip_t *za, px_error *err)
{
	px_digest_entry *d = calloc(p->n_entries, sizeof(*d));
	int rc;

	if (!d)
		return px_error_oom(err);
	for (size_t i = 0; i < p->n_entries; i++) {
		d[i].name = p->entries[i].name;
		memcpy(d[i].sha256, p->entries[i].sha256, 32);
		d[i].size = p->entries[i].size;
	}
	rc = px_asic_sign(za, d, p->n_entries, p->signer, err);
	free(d);
	return rc;
}

static int entry_rank(const struct entry *e)
{
	if (!strcmp(e->name, "manifest.json"))
		return -1; /* added on its own */
	if (!strcmp(e->name, "index.html") || e->clear)
		return 0;
	if (!strncmp(e->name, "data/", 5))
		return 1;
	if (!strncmp(e->name, "csv/", 4))
		return 2;
	if (!strncmp(e->name, "html/", 5))
		return 3;
	if (!strncmp(e->name, "files/", 6))
		return 4;
	return 5;
}

static int build_zip(px_package *p, json_t *manifest, px_error *err)
{
	zip_error_t ze;
	zip_t *za = px_zip_open_fd(p->zip.fd, &ze);

	if (!za) {
		px_error_set(err, PX_EXIT_CANTCREAT, "cannot write %s: %s",
			     p->target, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return -1;
	}
	zip_error_fini(&ze);
	/* A person listing the archive sees what to open first. */
	if (add_mimetype(za, err) || add_manifest(p, za, manifest, err))
		goto fail;
	for (int rank = 0; rank < 6; rank++)
		for (size_t i = 0; i < p->n_entries; i++)
			if (entry_rank(&p->entries[i]) == rank &&
			    add_entry(p, za, &p->entries[i], err))
				goto fail;
	if (p->signer && sign(p, za, err))
		goto fail;
	if (px_zip_set_entry_meta(za, px_now(), err))
		goto fail;
	if (zip_close(za)) {
		zip_fail(err, za, p->target);
		goto fail;
	}
	return 0;
fail:
	zip_discard(za);
	return -1;
}

/* Puts the finished archive at its target. Without force, the link
 * fails if a file appeared there meanwhile: a package is never replaced
 * by accident, even by a concurrent export. */
static int publish(px_package *p, px_error *err)
{
	int eexist;

	if (!px_workfile_publish(&p->zip, p->target, p->force, &eexist, err))
		return 0;
	return eexist ? exists_error(err, p->target) : -1;
}

/* The signing certificate's SHA-256 (of its DER), for manifest.json and
 * the page: what a learner compares with the controller's published one. */
static int signer_fingerprint(px_package *p, json_t *manifest, px_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char shahex[65];

	if (!p->signer)
		return 0;
	if (!X509_digest(px_signer_cert(p->signer), EVP_sha256(), md, &n) ||
	    n != 32)
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "cannot digest the signing certificate");
	px_hex(md, 32, shahex);
	if (json_object_set_new(manifest, "signer_sha256", json_string(shahex)))
		return px_error_oom(err);
	return 0;
}

int px_package_finish(px_package *p, json_t *manifest, char sha256_hex[65],
		      uint64_t *size, unsigned *entries, px_error *err)
{
	unsigned char sha[32];
	json_t *files;

	if (close_spools(p, err) || signer_fingerprint(p, manifest, err))
		goto fail;
	for (size_t i = 0; i < p->n_spools; i++)
		if (add_schema(p, p->spools[i].entity, err))
			goto fail;
	if (add_schema(p, "manifest", err) || add_readme(p, err))
		goto fail;
	if (!(files = files_json(p)) ||
	    json_object_set_new(manifest, "files", files)) {
		px_error_oom(err);
		goto fail;
	}
	/* The page shows the list without itself; the manifest lists it. */
	if (render_index(p, manifest, err))
		goto fail;
	/* Dropped before the new list is made: a long entity has a file per
	 * page, and two lists at once would double their memory. */
	json_object_del(manifest, "files");
	if (!(files = files_json(p)) ||
	    json_object_set_new(manifest, "files", files)) {
		px_error_oom(err);
		goto fail;
	}
	if (build_zip(p, manifest, err) ||
	    px_interrupt_check(err, "no package written"))
		goto fail;
	if (px_sha256_fd(p->zip.fd, sha, size)) {
		cantcreat(err, "package", p->target);
		goto fail;
	}
	px_hex(sha, 32, sha256_hex);
	/* What verify counts too: the files the signature covers. */
	*entries = (unsigned)p->n_entries;
	if (p->before_publish &&
	    p->before_publish(p->before_publish_ctx, sha256_hex, err))
		goto fail;
	if (publish(p, err))
		goto fail;
	px_package_abort(p); /* the archive is in place: drop the spool */
	return 0;
fail:
	px_package_abort(p);
	return -1;
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

void px_package_abort(px_package *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_spools; i++)
		px_spool_free(p->spools[i].sp); /* writers stop first */
	for (size_t i = 0; i < p->n_spools; i++)
		px_views_free(p->spools[i].views); /* fed by those writers */
	px_zkeep_free(p->zkeep); /* after the spools that used it */
	/* Closing is removing: the files have no names. */
	px_workfile_drop(&p->zip);
	close_fd(p->docs_fd);
	for (size_t i = 0; i < p->n_spools; i++) {
		if (p->spools[i].fd_owned)
			close_fd(p->spools[i].fd);
		for (size_t m = 0; m < p->spools[i].n_members; m++)
			free(p->spools[i].members[m].text);
		free(p->spools[i].members);
		free(p->spools[i].entity);
		free(p->spools[i].path);
	}
	for (size_t i = 0; i < p->n_entries; i++) {
		free(p->entries[i].name);
	}
	free(p->entries);
	json_decref(p->doc_names);
	free(p->manifest_text);

	if (p->password) {
		OPENSSL_cleanse(p->password, strlen(p->password));
		free(p->password);
	}
	free(p->controller);
	free(p->tmpdir);
	free(p->target);
	free(p);
}
