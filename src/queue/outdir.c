/*
 * outdir.c - a bulk output folder (outdir.h): opaque subject ids, the
 * append-only index, per-subject locks, and what killed runs left behind.
 */
#include "queue/outdir.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "interrupt.h"
#include "package/package.h"
#include "package/manifest_read.h"
#include "package/workfile.h"
#include "path.h"
#include "portex/verify.h"
#include "secret.h"

#define INDEX	  "index.ndjson"
#define LOCK_BASE (1LL << 40) /* lock offsets lie far beyond any index */

struct px_outdir {
	char *dir;
	int fd; /* index.ndjson, O_APPEND; its fcntl locks are the subjects' */
	pthread_mutex_t mu;
};

/* ---- ids ---- */

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int px_subject_id(const unsigned char *salt, size_t salt_len,
		  const json_t *keys, char out[PX_SUBJECT_ID_LEN + 1],
		  px_error *err)
{
	size_t n = json_object_size(keys), i = 0, len = 0, cap = 64;
	const char **names = calloc(n + 1, sizeof(*names));
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *msg = malloc(cap);
	const char *k;
	json_t *v;

	if (!names || !msg) {
		free(names);
		free(msg);
		return px_error_oom(err);
	}
	json_object_foreach ((json_t *)keys, k, v)
		names[i++] = k;
	qsort(names, n, sizeof(*names), key_cmp);
	len = (size_t)snprintf(msg, cap, "portex-subject-1\n");
	for (i = 0; i < n; i++) {
		const char *s =
		    json_string_value(json_object_get(keys, names[i]));
		size_t vlen, need;
		char *grown;

		if (!s) {
			px_error_set(err, PX_EXIT_DATA,
				     "subject key %s: expected a string",
				     names[i]);
			goto fail;
		}
		while (isspace((unsigned char)*s))
			s++;
		vlen = strlen(s);
		while (vlen && isspace((unsigned char)s[vlen - 1]))
			vlen--;
		need = len + strlen(names[i]) + vlen + 3;
		if (need > cap) {
			cap = 2 * need;
			if (!(grown = realloc(msg, cap))) {
				px_error_oom(err);
				goto fail;
			}
			msg = grown;
		}
		len += (size_t)snprintf(msg + len, cap - len, "%s=%.*s\n",
					names[i], (int)vlen, s);
		/* An email's case does not make another person. */
		if (!strcmp(names[i], "email"))
			for (char *c = msg + len - 1 - vlen; c < msg + len; c++)
				*c = (char)tolower((unsigned char)*c);
	}
	if (!HMAC(EVP_sha256(), salt, (int)salt_len, (unsigned char *)msg, len,
		  md, &mdlen)) {
		px_error_set(err, PX_EXIT_SOFTWARE, "HMAC-SHA-256 failed");
		goto fail;
	}
	for (i = 0; i < PX_SUBJECT_ID_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	free(names);
	free(msg);
	return 0;
fail:
	free(names);
	free(msg);
	return -1;
}

int px_bulk_salt(const px_config *cfg, unsigned char *buf, size_t cap,
		 px_error *err)
{
	const char *file = px_config_str(cfg, "bulk.salt_file");
	const char *var = px_config_str(cfg, "bulk.salt_env");
	int n;

	if (var) {
		const char *v = getenv(var);
		if (!v || strlen(v) < 16)
			return px_error_set(err, PX_EXIT_CONFIG,
					    "%s: /bulk/salt_env: variable %s "
					    "is %s (at least 16 characters)",
					    cfg->path, var,
					    v ? "too short" : "not set");
		n = (int)(strlen(v) < cap ? strlen(v) : cap);
		memcpy(buf, v, (size_t)n);
		return n;
	}
	if (!file)
		return px_error_set(
		    err, PX_EXIT_CONFIG,
		    "%s: /bulk/salt_file: missing; bulk names packages by "
		    "an HMAC of the subject's keys under a secret salt: "
		    "create one (head -c 32 /dev/urandom > bulk.salt) and set "
		    "\"bulk\": {\"salt_file\": \"bulk.salt\"}",
		    cfg->path);
	{
		char *path = px_config_path(cfg, file);
		FILE *fp;

		if (!path)
			return px_error_oom(err);
		fp = fopen(path, "rb");
		if (!fp) {
			px_error_set(err, PX_EXIT_CONFIG,
				     "%s: /bulk/salt_file: cannot read %s: %s",
				     cfg->path, path, strerror(errno));
			free(path);
			return -1;
		}
		n = (int)fread(buf, 1, cap, fp);
		fclose(fp);
		if (n < 16) {
			px_error_set(err, PX_EXIT_CONFIG,
				     "%s: /bulk/salt_file: %s holds %d bytes; "
				     "a salt needs at least 16",
				     cfg->path, path, n);
			free(path);
			return -1;
		}
		free(path);
	}
	return n;
}

/* ---- the folder and its index ---- */

px_outdir *px_outdir_open(const char *dir, px_error *err)
{
	px_outdir *d = calloc(1, sizeof(*d));
	struct stat st;
	char *path;

	if (!d) {
		px_error_oom(err);
		return NULL;
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		px_error_set(err, PX_EXIT_CANTCREAT,
			     "--out-dir %s: not a folder (create it first)",
			     dir);
		free(d);
		return NULL;
	}
	d->dir = strdup(dir);
	path = px_path_join(dir, INDEX);
	if (!d->dir || !path) {
		free(path);
		free(d->dir);
		free(d);
		px_error_oom(err);
		return NULL;
	}
	d->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (d->fd < 0) {
		px_error_set(err, PX_EXIT_CANTCREAT, "cannot write %s: %s",
			     path, strerror(errno));
		free(path);
		free(d->dir);
		free(d);
		return NULL;
	}
	free(path);
	pthread_mutex_init(&d->mu, NULL);
	px_sweep_temporaries(dir);
	return d;
}

void px_outdir_close(px_outdir *d)
{
	if (!d)
		return;
	/* Again at the end: a worker that died meanwhile left its files. */
	px_sweep_temporaries(d->dir);
	close(d->fd);
	pthread_mutex_destroy(&d->mu);
	free(d->dir);
	free(d);
}

const char *px_outdir_path(const px_outdir *d)
{
	return d->dir;
}

int px_outdir_append(px_outdir *d, const json_t *entry, px_error *err)
{
	char *line = json_dumps(entry, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t n;
	ssize_t w;

	if (!line)
		return px_error_oom(err);
	n = strlen(line);
	line[n] = '\n'; /* the NUL becomes the newline: one write() */
	pthread_mutex_lock(&d->mu);
	w = write(d->fd, line, n + 1);
	pthread_mutex_unlock(&d->mu);
	free(line);
	if (w != (ssize_t)(n + 1))
		return px_error_set(err, PX_EXIT_IOERR,
				    "cannot append to %s/" INDEX ": %s", d->dir,
				    w < 0 ? strerror(errno) : "short write");
	return 0;
}

int px_outdir_read(const char *dir, json_t **out, px_error *err)
{
	char *path = px_path_join(dir, INDEX), *line = NULL;
	json_t *all = json_object();
	size_t cap = 0;
	long no = 0;
	FILE *fp;

	if (!path || !all) {
		free(path);
		json_decref(all);
		return px_error_oom(err);
	}
	fp = fopen(path, "r");
	if (!fp && errno != ENOENT) {
		px_error_set(err, PX_EXIT_IOERR, "cannot read %s: %s", path,
			     strerror(errno));
		goto fail;
	}
	while (fp && getline(&line, &cap, fp) > 0) {
		json_error_t je;
		json_t *e;
		const char *id;

		no++;
		if (line[0] == '\n')
			continue;
		e = json_loads(line, 0, &je);
		id = json_string_value(json_object_get(e, "id"));
		if (!e || !id) {
			json_decref(e);
			px_error_set(err, PX_EXIT_DATA, "%s: line %ld: %s",
				     path, no, e ? "no \"id\"" : je.text);
			goto fail;
		}
		json_object_set_new(all, id, e);
	}
	if (fp)
		fclose(fp);
	free(line);
	free(path);
	*out = all;
	return 0;
fail:
	if (fp)
		fclose(fp);
	free(line);
	free(path);
	json_decref(all);
	return -1;
}

static off_t lock_offset(const char *id)
{
	char hex[11];

	memcpy(hex, id, 10);
	hex[10] = '\0';
	return (off_t)(LOCK_BASE + strtoll(hex, NULL, 16));
}

int px_outdir_lock(px_outdir *d, const char *id, px_error *err)
{
	struct flock fl = {.l_type = F_WRLCK,
			   .l_whence = SEEK_SET,
			   .l_start = lock_offset(id),
			   .l_len = 1};

	/* Polled, not F_SETLKW: a process holding several subjects while
	 * it waits for another could deadlock with a second run. */
	while (fcntl(d->fd, F_SETLK, &fl)) {
		struct timespec ts = {0, 20 * 1000 * 1000};

		if (errno != EACCES && errno != EAGAIN)
			return px_error_set(
			    err, PX_EXIT_IOERR,
			    "cannot lock subject %s in %s/" INDEX ": %s", id,
			    d->dir, strerror(errno));
		if (px_interrupt_check(err, "waiting for another run"))
			return -1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

void px_outdir_unlock(px_outdir *d, const char *id)
{
	struct flock fl = {.l_type = F_UNLCK,
			   .l_whence = SEEK_SET,
			   .l_start = lock_offset(id),
			   .l_len = 1};

	fcntl(d->fd, F_SETLK, &fl);
}

/* ---- existing packages ---- */

static json_t *manifest_entities(const char *path)
{
	px_error ignored = PX_ERROR_INIT;
	json_t *m = px_package_manifest(path, &ignored), *all, *src;
	size_t i;

	all = m ? json_object() : NULL;
	json_array_foreach (json_object_get(m, "sources"), i, src) {
		const char *k;
		json_t *v;

		json_object_foreach (json_object_get(src, "counts"), k, v) {
			json_int_t n =
			    json_integer_value(json_object_get(all, k));
			json_object_set_new(
			    all, k, json_integer(n + json_integer_value(v)));
		}
	}
	json_decref(m);
	return all;
}

/* The package's SHA-256 as hex, and its size. */
static int sha256_file(const char *path, char hex[65], unsigned long long *size)
{
	unsigned char md[32];
	uint64_t n = 0;

	if (px_sha256_file(path, md, &n))
		return -1;
	px_hex(md, 32, hex);
	*size = n;
	return 0;
}

int px_package_check(const char *path, char sha256[65],
		     unsigned long long *size, unsigned long long *records,
		     json_t **entities, const char **why, px_error *err)
{
	px_verify_opts vo = {.path = path};
	px_verify_result vr;
	struct stat st;
	int rc;

	*entities = NULL;
	if (lstat(path, &st)) {
		*why = "absent";
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		return 0;
	}
	memset(&vr, 0, sizeof(vr));
	if (px_verify(&vo, &vr, err)) {
		px_verify_result_free(&vr);
		return -1;
	}
	rc = vr.valid;
	*records = vr.records;
	px_verify_result_free(&vr);
	if (!rc) {
		*why = "does not verify";
		return 0;
	}
	if (sha256_file(path, sha256, size))
		return px_error_set(err, PX_EXIT_IOERR, "cannot read %s: %s",
				    path, strerror(errno));
	*entities = manifest_entities(path);
	*why = "verifies";
	return 1;
}

/* ---- leftovers of killed runs ---- */

/* The packager's own sweep (package/workfile.c): only this user's files,
 * only when no living portex holds them. */
int px_sweep_temporaries(const char *dir)
{
	return px_workfile_sweep(dir, PX_WORKFILE_PREFIX) +
	       px_workfile_sweep(px_tmpdir(), PX_SPOOL_PREFIX);
}
