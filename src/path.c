/* path.c - see path.h. */
#include "path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *px_path_join(const char *dir, const char *path)
{
	size_t n;
	char *out;

	if (path[0] == '/' || !dir || !*dir)
		return strdup(path);
	n = strlen(dir) + strlen(path) + 2;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s/%s", dir, path);
	return out;
}
