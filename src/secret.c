/* secret.c - one way to read a secret from a file. */
#include "secret.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int px_secret_read_file(const char *path, char *buf, size_t n, int code,
			px_error *err)
{
	FILE *f = fopen(path, "re");
	size_t len;

	if (!f)
		return px_error_set(err, code, "cannot read %s: %s", path,
				    strerror(errno));
	if (!fgets(buf, (int)n, f))
		buf[0] = '\0';
	fclose(f);
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	return (int)len;
}
