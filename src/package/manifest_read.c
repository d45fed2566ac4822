/*
 * manifest_read.c - manifest.json of a package, read back (for what a
 * bulk index or a delivery email says about a package already written).
 */
#include "package/manifest_read.h"

#include <stdlib.h>
#include <zip.h>

#define MANIFEST_MAX (64u << 20)

json_t *px_package_manifest(const char *path, px_error *err)
{
	int zerr;
	zip_t *za = zip_open(path, ZIP_RDONLY, &zerr);
	zip_stat_t st;
	zip_file_t *f = NULL;
	char *buf = NULL;
	json_t *m = NULL;
	json_error_t jerr;

	if (!za) {
		px_error_set(err, PX_EXIT_DATA, "%s: not a readable ZIP", path);
		return NULL;
	}
	if (zip_stat(za, "manifest.json", 0, &st) || st.size > MANIFEST_MAX)
		px_error_set(err, PX_EXIT_DATA,
			     "%s: no manifest.json (or over 64 MiB)", path);
	else if (!(buf = malloc(st.size + 1)))
		px_error_oom(err);
	else if (!(f = zip_fopen(za, "manifest.json", 0)) ||
		 zip_fread(f, buf, st.size) != (zip_int64_t)st.size)
		px_error_set(err, PX_EXIT_DATA,
			     "%s: manifest.json cannot be read", path);
	else if (!(m = json_loadb(buf, st.size, 0, &jerr)))
		px_error_set(err, PX_EXIT_DATA,
			     "%s: manifest.json: line %d: %s", path, jerr.line,
			     jerr.text);
	if (f)
		zip_fclose(f);
	free(buf);
	zip_close(za);
	return m;
}
