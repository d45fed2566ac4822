/* embedded.c - lookup in the table tools/embed.c generates. */
#include "embedded.h"

#include <string.h>

const px_embedded *px_embedded_find(const char *name)
{
	for (const px_embedded *e = px_embedded_files; e->name; e++)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}
