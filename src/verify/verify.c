/*
 * verify.c - portex verify's checks, in the order a hostile file meets
 * them: the archive's directory alone (entry count, declared sizes,
 * names) decides whether anything is read at all; then mimetype, the
 * ASiC manifest, every entry's digest (streamed), manifest.json, and the
 * CMS signature. The archive is read in place, never extracted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <zip.h>

#include "digest.h"
#include "portex/asic.h"
#include "portex/verify.h"
#include "package/readme.h"

#define MAX_XML	      (64u << 20)
#define MAX_SIG	      (1u << 20)
#define MAX_JSON      (64u << 20)
#define BOMB_MIN_SIZE (1u << 20) /* small entries may compress oddly */
/* The whole archive: JSON and HTML compress 5-20:1; a package expanding
 * past BOMB_MIN_TOTAL at more than this is refused before it is read
 * (3,900 entries of 1 MiB of zeros stay under the per-entry ratio). */
#define BOMB_MIN_TOTAL (64u << 20)
#define MAX_RATIO_ALL  100
#define MIMETYPE       "mimetype"
#define MANIFEST_JSON  "manifest.json"

typedef struct entry {
	const char *name; /* libzip's, valid while the archive is open */
	zip_uint64_t index, size;
	int encrypted, hashed, listed;
	unsigned char sha256[32];
	unsigned char digest[64]; /* by the manifest's algorithm for it */
} entry;

typedef struct verifier {
	const px_verify_opts *o;
	px_verify_result *res;
	px_error *err;
	int fd;
	uint64_t file_size;
	zip_t *za;
	entry *ents; /* sorted by name */
	size_t n;
	char *xml, *json;
	size_t xml_len, json_len;
	unsigned char *sig;
	size_t sig_len;
	px_asic_manifest m;
	int wrong_password;
	int xml_ok; /* the manifest parsed: m is filled */
} verifier;

int px_verify_problem(px_verify_result *res, const char *fmt, ...)
{
	char line[PX_ERROR_MAX];
	char **p;
	va_list ap;

	res->valid = 0;
	if (res->n_problems >= PX_VERIFY_MAX_PROBLEMS) {
		res->n_problems++;
		return 0;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* names come from a hostile file: keep them off the terminal's
	 * control channel */
	for (unsigned char *c = (unsigned char *)line; *c;) {
		size_t n = px_verify_utf8_len(c);
		if (!n || *c < 0x20 || *c == 0x7f) {
			*c++ = '?'; /* and valid UTF-8 for the JSON report */
			continue;
		}
		c += n;
	}
	p = realloc(res->problems, (res->n_problems + 1) * sizeof(*p));
	if (!p)
		return -1;
	res->problems = p;
	if (!(p[res->n_problems] = strdup(line)))
		return -1;
	res->n_problems++;
	return 0;
}

void px_verify_result_free(px_verify_result *res)
{
	size_t n = res->n_problems < PX_VERIFY_MAX_PROBLEMS
		       ? res->n_problems
		       : PX_VERIFY_MAX_PROBLEMS;

	for (size_t i = 0; i < n && res->problems; i++)
		free(res->problems[i]);
	free(res->problems);
	res->problems = NULL;
	res->n_problems = 0;
}

#define PROBLEM(v, ...)                                                        \
	do {                                                                   \
		if (px_verify_problem((v)->res, __VA_ARGS__))                  \
			return px_error_oom((v)->err);                         \
	} while (0)

static int by_name(const void *a, const void *b)
{
	return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

static int ref_by_name(const void *a, const void *b)
{
	return strcmp(((const px_asic_ref *)a)->name,
		      ((const px_asic_ref *)b)->name);
}

static entry *find(verifier *v, const char *name)
{
	entry key = {.name = name};
	return bsearch(&key, v->ents, v->n, sizeof(entry), by_name);
}

/* Why an entry is not a plain file or folder once extracted (a symbolic
 * link, a device...), from its Unix mode; NULL when it is one. Info-ZIP
 * unzip and most extractors honour these modes. */
static const char *not_regular(verifier *v, zip_uint64_t i, const char *name)
{
	zip_uint8_t opsys;
	zip_uint32_t attr, type;
	size_t len = strlen(name);

	if (zip_file_get_external_attributes(v->za, i, 0, &opsys, &attr) ||
	    opsys != ZIP_OPSYS_UNIX)
		return NULL;
	type = (attr >> 16) & S_IFMT;
	if (!type || type == S_IFREG)
		return NULL;
	if (type == S_IFDIR && len && name[len - 1] == '/')
		return NULL;
	return type == S_IFLNK	 ? "a symbolic link"
	       : type == S_IFDIR ? "a folder"
				 : "a device, socket or FIFO";
}

/* Everything the central directory tells, checked before any entry is
 * decompressed. Returns 1 when the archive is refused unread. */
static int check_directory(verifier *v, int *refused)
{
	uint64_t total = 0, max_total = v->o->max_total ? v->o->max_total
							: PX_VERIFY_MAX_TOTAL;
	const char *why;
	zip_stat_t st;

	for (size_t i = 0; i < v->n; i++) {
		if (zip_stat_index(v->za, i, ZIP_FL_ENC_RAW, &st) ||
		    !(st.valid & ZIP_STAT_NAME) ||
		    !(st.valid & ZIP_STAT_SIZE) ||
		    !(st.valid & ZIP_STAT_COMP_SIZE)) {
			PROBLEM(v, "entry %zu: unreadable directory record", i);
			*refused = 1;
			continue;
		}
		v->ents[i].name = st.name;
		v->ents[i].index = i;
		v->ents[i].size = st.size;
		v->ents[i].encrypted =
		    (st.valid & ZIP_STAT_ENCRYPTION_METHOD) &&
		    st.encryption_method != ZIP_EM_NONE;
		v->res->encrypted |= v->ents[i].encrypted;
		if ((why = px_verify_bad_name(st.name))) {
			PROBLEM(v, "entry \"%.200s\": unsafe name (%s)",
				st.name, why);
			*refused = 1;
		}
		if ((why = not_regular(v, i, st.name))) {
			PROBLEM(v,
				"%.200s: not a regular file but %s (changed "
				"after signing?)",
				st.name, why);
			*refused = 1;
		}
		if (st.size > BOMB_MIN_SIZE &&
		    (st.comp_size == 0 ||
		     st.size / st.comp_size > PX_VERIFY_MAX_RATIO)) {
			PROBLEM(v,
				"%.200s: expands %llu bytes to %llu, more than "
				"%d:1 (a zip bomb?)",
				st.name, (unsigned long long)st.comp_size,
				(unsigned long long)st.size,
				PX_VERIFY_MAX_RATIO);
			*refused = 1;
		}
		total += st.size < max_total ? st.size : max_total;
	}
	if (total > max_total) {
		PROBLEM(v,
			"the archive expands to more than %llu bytes (a zip "
			"bomb?)",
			(unsigned long long)max_total);
		*refused = 1;
	} else if (total > BOMB_MIN_TOTAL &&
		   total / (v->file_size ? v->file_size : 1) > MAX_RATIO_ALL) {
		PROBLEM(v,
			"the archive expands %llu bytes to %llu, more than "
			"%d:1 overall (a zip bomb?)",
			(unsigned long long)v->file_size,
			(unsigned long long)total, MAX_RATIO_ALL);
		*refused = 1;
	}
	if (*refused)
		return 0;
	qsort(v->ents, v->n, sizeof(entry), by_name);
	for (size_t i = 1; i < v->n; i++)
		if (!strcmp(v->ents[i - 1].name, v->ents[i].name)) {
			PROBLEM(v, "%.200s: more than one entry of that name",
				v->ents[i].name);
			*refused = 1;
		}
	return 0;
}

/* Reads a whole entry of at most max bytes, for the small files that are
 * parsed: the manifest, the signature. NULL when absent (no problem
 * added) or unreadable (problem added; *bad set). */
static char *read_small(verifier *v, const char *name, size_t max, size_t *len,
			int *bad)
{
	entry *e = find(v, name);
	zip_file_t *f;
	char *buf;
	zip_int64_t r = 0;

	*bad = 0;
	if (!e)
		return NULL;
	*bad = 1;
	if (e->size > max) {
		if (px_verify_problem(v->res, "%s: %llu bytes, more than %zu",
				      name, (unsigned long long)e->size, max))
			px_error_oom(v->err);
		return NULL;
	}
	buf = malloc(e->size + 1);
	f = buf ? zip_fopen_index(v->za, e->index, 0) : NULL;
	if (f)
		r = zip_fread(f, buf, e->size);
	if (!f || r < 0 || (zip_uint64_t)r != e->size) {
		if (!buf)
			px_error_oom(v->err);
		else if (px_verify_problem(
			     v->res, "%s: cannot read it (%s)", name,
			     f ? zip_file_strerror(f) : zip_strerror(v->za)))
			px_error_oom(v->err);
		if (f)
			zip_fclose(f);
		free(buf);
		return NULL;
	}
	zip_fclose(f);
	buf[e->size] = '\0';
	*len = e->size;
	*bad = 0;
	return buf;
}

/* ASiC readers identify the container by its first local header:
 * "mimetype", stored, no extra field, the media type right after it. */
static int check_mimetype(verifier *v)
{
	static const char want[] = PX_ASIC_MIMETYPE;
	unsigned char h[30 + 8];
	entry *e = find(v, MIMETYPE);
	const char *first = zip_get_name(v->za, 0, ZIP_FL_ENC_RAW);
	char got[sizeof(want)];
	zip_file_t *f;
	zip_stat_t st;
	int at_start;

	if (!e) {
		PROBLEM(v, "mimetype: missing");
		return 0;
	}
	/* first in the directory and first in the file, at offset 0 */
	at_start = pread(v->fd, h, sizeof(h), 0) == (ssize_t)sizeof(h) &&
		   !memcmp(h, "PK\3\4", 4) && h[26] == 8 && h[27] == 0 &&
		   !memcmp(h + 30, MIMETYPE, 8);
	if (!at_start || !first || strcmp(first, MIMETYPE))
		PROBLEM(v, "mimetype: not the first entry of the archive");
	else if (h[28] || h[29])
		PROBLEM(v, "mimetype: has an extra field; it must have none");
	if (zip_stat_index(v->za, e->index, 0, &st) == 0 &&
	    (st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method != ZIP_CM_STORE)
		PROBLEM(v, "mimetype: compressed; it must be stored");
	if (e->encrypted) {
		PROBLEM(v, "mimetype: encrypted; it must be clear");
		return 0;
	}
	f = e->size == sizeof(want) - 1 ? zip_fopen_index(v->za, e->index, 0)
					: NULL;
	if (!f ||
	    zip_fread(f, got, sizeof(want) - 1) !=
		(zip_int64_t)sizeof(want) - 1 ||
	    memcmp(got, want, sizeof(want) - 1))
		PROBLEM(v, "mimetype: content is not \"%s\"", want);
	if (f)
		zip_fclose(f);
	return 0;
}

/* Streams an entry through SHA-256 (manifest.json's digest) and, when
 * the ASiC manifest uses another, through alg too (NULL: none); never
 * more bytes than declared. A copy is kept in *keep when asked
 * (manifest.json, bounded by MAX_JSON). */
static int hash_entry(verifier *v, entry *e, const char *alg, char **keep,
		      size_t *keep_len)
{
	EVP_MD *other = NULL;
	EVP_MD_CTX *md2 = NULL;
	unsigned char buf[65536];
	EVP_MD_CTX *md = NULL;
	zip_file_t *f;
	zip_int64_t r;
	uint64_t total = 0;
	int rc = 0;

	if (e->encrypted && (!v->o->password || v->wrong_password))
		return 0; /* reported once, by check_encryption() */
	f = zip_fopen_index(v->za, e->index, 0);
	if (!f) {
		zip_error_t *ze = zip_get_error(v->za);
		if (zip_error_code_zip(ze) == ZIP_ER_WRONGPASSWD) {
			v->wrong_password = 1;
			PROBLEM(v, "wrong password for the encrypted entries "
				   "(--password-file)");
		} else {
			PROBLEM(v, "%.200s: cannot read it (%s)", e->name,
				zip_strerror(v->za));
		}
		return 0;
	}
	if (keep && e->size <= MAX_JSON && !(*keep = malloc(e->size + 1))) {
		zip_fclose(f);
		return px_error_oom(v->err);
	}
	if (alg && strcmp(alg, "SHA256") &&
	    (!(other = EVP_MD_fetch(NULL, alg, NULL)) ||
	     !(md2 = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(md2, other, NULL)))
		rc = -1;
	if (rc || !(md = EVP_MD_CTX_new()) ||
	    !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		zip_fclose(f);
		EVP_MD_CTX_free(md);
		EVP_MD_CTX_free(md2);
		EVP_MD_free(other);
		return px_error_oom(v->err);
	}
	while ((r = zip_fread(f, buf, sizeof(buf))) > 0) {
		if (total + (uint64_t)r > e->size)
			break;
		if (keep && *keep)
			memcpy(*keep + total, buf, (size_t)r);
		EVP_DigestUpdate(md, buf, (size_t)r);
		if (md2)
			EVP_DigestUpdate(md2, buf, (size_t)r);
		total += (uint64_t)r;
	}
	if (r < 0)
		rc = px_verify_problem(v->res, "%.200s: cannot read it (%s)",
				       e->name, zip_file_strerror(f));
	else if (r > 0 || total != e->size)
		rc = px_verify_problem(v->res,
				       "%.200s: holds more or less data than "
				       "its declared %llu bytes",
				       e->name, (unsigned long long)e->size);
	else {
		EVP_DigestFinal_ex(md, e->sha256, NULL);
		if (md2)
			EVP_DigestFinal_ex(md2, e->digest, NULL);
		else
			memcpy(e->digest, e->sha256, 32);
		e->hashed = 1;
		v->res->bytes += total;
		if (keep && *keep) {
			(*keep)[total] = '\0';
			*keep_len = total;
		}
	}
	EVP_MD_CTX_free(md);
	EVP_MD_CTX_free(md2);
	EVP_MD_free(other);
	zip_fclose(f);
	if (!e->hashed && keep) {
		free(*keep);
		*keep = NULL;
	}
	return rc ? px_error_oom(v->err) : 0;
}

/* Without a password, encrypted entries cannot be checked: one line says
 * so rather than one per entry. */
static int check_encryption(verifier *v)
{
	size_t n = 0;

	for (size_t i = 0; i < v->n; i++)
		n += v->ents[i].encrypted;
	/* Encrypted packages keep only the container's files and the readme
	 * in clear: personal data in clear beside them is a leak. */
	for (size_t i = 0; n && i < v->n; i++) {
		const char *name = v->ents[i].name;

		if (!v->ents[i].encrypted && strcmp(name, MIMETYPE) &&
		    strncmp(name, "META-INF/", 9) &&
		    strcmp(name, PX_README_NAME))
			PROBLEM(v,
				"%.200s: not encrypted, in a package whose "
				"other files are",
				name);
	}
	if (n && !v->o->password)
		PROBLEM(v,
			"%zu entr%s encrypted and cannot be checked; give "
			"--password-file",
			n, n == 1 ? "y is" : "ies are");
	return 0;
}

static int is_signature_file(const char *name)
{
	return !strcmp(name, PX_ASIC_MANIFEST_NAME) ||
	       !strcmp(name, PX_ASIC_SIG_NAME);
}

/* Every entry is either the container's own (mimetype, META-INF) or a
 * data file the manifest lists with its digest. */
static int check_entries(verifier *v)
{
	px_asic_ref key, *r;
	size_t len;

	for (size_t i = 0; i < v->n; i++) {
		entry *e = &v->ents[i];

		len = strlen(e->name);
		if (!strcmp(e->name, MIMETYPE) || is_signature_file(e->name) ||
		    (len && e->name[len - 1] == '/' && !e->size))
			continue;
		if (!strncmp(e->name, "META-INF/", 9)) {
			PROBLEM(v,
				"%.200s: unexpected entry in META-INF/, "
				"not covered by the signature",
				e->name);
			continue;
		}
		key.name = (char *)e->name;
		r = v->xml_ok ? bsearch(&key, v->m.refs, v->m.n, sizeof(*r),
					ref_by_name)
			      : NULL;
		if (hash_entry(v, e, r ? r->md : NULL,
			       strcmp(e->name, MANIFEST_JSON) ? NULL : &v->json,
			       &v->json_len))
			return -1;
		if (!v->xml_ok)
			continue;
		if (!r) {
			PROBLEM(v,
				"%.200s: not listed in %s (added after "
				"signing?)",
				e->name, PX_ASIC_MANIFEST_NAME);
			continue;
		}
		e->listed = 1;
		if (e->hashed && memcmp(e->digest, r->digest, r->digest_len))
			PROBLEM(v,
				"%.200s: %s differs from %s (the file "
				"was changed)",
				e->name, r->label, PX_ASIC_MANIFEST_NAME);
	}
	for (size_t i = 0; v->xml_ok && i < v->m.n; i++) {
		entry *e = find(v, v->m.refs[i].name);
		if (!e || !strcmp(e->name, MIMETYPE) ||
		    !strncmp(e->name, "META-INF/", 9))
			PROBLEM(v, "%.200s: listed in %s but %s",
				v->m.refs[i].name, PX_ASIC_MANIFEST_NAME,
				e ? "not a data file"
				  : "missing from the package (removed?)");
	}
	return 0;
}

/* The ASiC manifest: parsed, one reference per name, pointing at the
 * signature. Sorted by name for check_entries(). */
static int load_manifest(verifier *v)
{
	char why[512];
	int bad;

	v->xml =
	    read_small(v, PX_ASIC_MANIFEST_NAME, MAX_XML, &v->xml_len, &bad);
	if (v->err->code)
		return -1;
	if (!v->xml) {
		if (!bad)
			PROBLEM(v, "%s: missing; the package is not signed",
				PX_ASIC_MANIFEST_NAME);
		return 0;
	}
	if (px_asic_manifest_parse(v->xml, v->xml_len, v->n, &v->m, why,
				   sizeof(why))) {
		PROBLEM(v, "%s: %s", PX_ASIC_MANIFEST_NAME, why);
		return 0; /* its bytes are still checked against the signature
			   */
	}
	v->xml_ok = 1;
	if (strcmp(v->m.sig_uri, PX_ASIC_SIG_NAME))
		PROBLEM(v, "%s: SigReference names %.200s, not %s",
			PX_ASIC_MANIFEST_NAME, v->m.sig_uri, PX_ASIC_SIG_NAME);
	v->res->files = v->m.n;
	qsort(v->m.refs, v->m.n, sizeof(px_asic_ref), ref_by_name);
	for (size_t i = 1; i < v->m.n; i++)
		if (!strcmp(v->m.refs[i - 1].name, v->m.refs[i].name))
			PROBLEM(v, "%.200s: listed twice in %s",
				v->m.refs[i].name, PX_ASIC_MANIFEST_NAME);
	return 0;
}

static int hex_sha256(const char *s, unsigned char out[32])
{
	unsigned v;

	if (!s || strlen(s) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		if (!strchr("0123456789abcdef", s[2 * i]) ||
		    !strchr("0123456789abcdef", s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

static int check_manifest_file(verifier *v, json_t *f, size_t i)
{
	const char *path = json_string_value(json_object_get(f, "path"));
	json_t *size = json_object_get(f, "size");
	json_t *records = json_object_get(f, "records");
	unsigned char sha[32];
	entry *e;

	if (!path ||
	    hex_sha256(json_string_value(json_object_get(f, "sha256")), sha) ||
	    !json_is_integer(size)) {
		PROBLEM(v,
			"manifest.json: files[%zu]: expected path, size "
			"and sha256",
			i);
		return 0;
	}
	if (json_is_integer(records) && json_integer_value(records) > 0)
		v->res->records += (uint64_t)json_integer_value(records);
	e = find(v, path);
	if (!e) {
		PROBLEM(v,
			"%.200s: listed in manifest.json but missing from "
			"the package",
			path);
		return 0;
	}
	if ((json_int_t)e->size != json_integer_value(size))
		PROBLEM(v, "%.200s: %llu bytes, manifest.json says %lld", path,
			(unsigned long long)e->size,
			(long long)json_integer_value(size));
	else if (e->hashed && memcmp(e->sha256, sha, 32))
		PROBLEM(v, "%.200s: SHA-256 differs from manifest.json", path);
	return 0;
}

/* "audit", the ledger's head a package witnesses, is either absent or
 * exactly {"entries": N >= 0, "head": 64 lowercase hex digits}. */
static int check_audit_head(verifier *v, const json_t *a)
{
	const char *head = json_string_value(json_object_get(a, "head"));
	const json_t *n = json_object_get(a, "entries");
	if (a &&
	    (json_object_size(a) != 2 || !json_is_integer(n) ||
	     json_integer_value(n) < 0 || !px_is_hex(head, 64) || head[64]))
		PROBLEM(v, "manifest.json: \"audit\": expected {\"entries\": "
			   "N, \"head\": 64 lowercase hex digits}");
	return 0;
}

/* manifest.json repeats every data file's digest for readers without
 * ASiC tools; it must agree, and gives the record counts. */
static int check_manifest_json(verifier *v)
{
	json_error_t je;
	json_t *root, *files, *f, *signer;
	entry *e = find(v, MANIFEST_JSON);
	size_t i;

	if (!e) {
		PROBLEM(v, "manifest.json: missing");
		return 0;
	}
	if (!v->json) {
		if (e->size > MAX_JSON)
			PROBLEM(v, "manifest.json: larger than %u bytes",
				MAX_JSON);
		return 0; /* otherwise unreadable: reported by hash_entry */
	}
	root = json_loadb(v->json, v->json_len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		PROBLEM(v, "manifest.json: not JSON (line %d: %s)", je.line,
			je.text);
		return 0;
	}
	files = json_object_get(root, "files");
	if (!json_is_array(files))
		PROBLEM(v, "manifest.json: no \"files\" array");
	for (i = 0; i < json_array_size(files); i++) {
		f = json_array_get(files, i);
		if (check_manifest_file(v, f, i)) {
			json_decref(root);
			return -1;
		}
	}
	if (check_audit_head(v, json_object_get(root, "audit"))) {
		json_decref(root);
		return -1;
	}
	signer = json_object_get(root, "signer");
	if (json_is_string(signer) && v->res->signer[0] &&
	    strcmp(json_string_value(signer), v->res->signer))
		PROBLEM(v,
			"manifest.json names the signer \"%.200s\" but the "
			"signature is by \"%.200s\"",
			json_string_value(signer), v->res->signer);
	json_decref(root);
	return 0;
}

static int check_signature(verifier *v)
{
	int bad;

	v->sig = (unsigned char *)read_small(v, PX_ASIC_SIG_NAME, MAX_SIG,
					     &v->sig_len, &bad);
	if (v->err->code)
		return -1;
	if (!v->sig) {
		if (!bad)
			PROBLEM(v, "%s: missing; the package is not signed",
				PX_ASIC_SIG_NAME);
		return 0;
	}
	v->res->is_signed = 1;
	if (!v->xml)
		return 0;
	return px_verify_cms(v->sig, v->sig_len, v->xml, v->xml_len,
			     v->o->ca_path, v->o->tsa_ca_path, v->res, v->err);
}

static int open_archive(verifier *v)
{
	uint64_t n,
	    max = v->o->max_entries ? v->o->max_entries : PX_VERIFY_MAX_ENTRIES;
	struct stat st;
	char why[256];
	zip_error_t ze;
	int zerr = 0, fd;

	v->fd = open(v->o->path, O_RDONLY | O_CLOEXEC);
	if (v->fd < 0)
		return px_error_set(v->err, PX_EXIT_IOERR, "cannot open %s: %s",
				    v->o->path, strerror(errno));
	if (fstat(v->fd, &st) || !S_ISREG(st.st_mode))
		return px_error_set(v->err, PX_EXIT_IOERR,
				    "%s: not a regular file", v->o->path);
	v->file_size = (uint64_t)st.st_size;
	if (px_verify_zip_directory(v->fd, (uint64_t)st.st_size, max, &n, why,
				    sizeof(why))) {
		PROBLEM(v, "%s: %s", v->o->path, why);
		return 1;
	}
	if (n > max) {
		PROBLEM(v, "%s: %llu entries, more than %llu; not read",
			v->o->path, (unsigned long long)n,
			(unsigned long long)max);
		return 1;
	}
	fd = dup(v->fd);
	if (fd < 0)
		return px_error_set(v->err, PX_EXIT_OSERR, "dup: %s",
				    strerror(errno));
	v->za = zip_fdopen(fd, ZIP_CHECKCONS, &zerr);
	if (!v->za) {
		close(fd);
		if (zerr == ZIP_ER_EXISTS) { /* libzip's word for it */
			PROBLEM(v, "%s: two entries have the same name",
				v->o->path);
			return 1;
		}
		zip_error_init_with_code(&ze, zerr);
		PROBLEM(v, "%s: not a valid ZIP archive (%s)", v->o->path,
			zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return 1;
	}
	v->n = (size_t)zip_get_num_entries(v->za, 0);
	if (v->n > max) {
		PROBLEM(v, "%s: more than %llu entries; not read", v->o->path,
			(unsigned long long)max);
		return 1;
	}
	v->ents = calloc(v->n ? v->n : 1, sizeof(entry));
	if (!v->ents)
		return px_error_oom(v->err);
	if (v->o->password &&
	    zip_set_default_password(v->za, v->o->password) < 0)
		return px_error_oom(v->err);
	return 0;
}

static int run(verifier *v)
{
	int refused = 0, rc = open_archive(v);

	if (rc)
		return rc < 0 ? -1 : 0;
	if (check_directory(v, &refused))
		return -1;
	if (refused)
		return 0;
	if (check_mimetype(v) || check_encryption(v) || load_manifest(v) ||
	    check_entries(v))
		return -1;
	/* the signer is known before manifest.json's "signer" is compared */
	if (check_signature(v) || check_manifest_json(v))
		return -1;
	return 0;
}

int px_verify(const px_verify_opts *opts, px_verify_result *res, px_error *err)
{
	verifier v = {.o = opts, .res = res, .err = err, .fd = -1};
	int rc;

	memset(res, 0, sizeof(*res));
	res->valid = 1;
	rc = run(&v);
	if (v.za)
		zip_discard(v.za);
	if (v.fd >= 0)
		close(v.fd);
	px_asic_manifest_free(&v.m);
	free(v.ents);
	free(v.xml);
	free(v.json);
	free(v.sig);
	if (rc)
		res->valid = 0;
	return rc;
}
