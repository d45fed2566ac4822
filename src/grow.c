/* grow.c - room for one more element in a growing array (grow.h). */
#include "grow.h"

#include <stdint.h>
#include <stdlib.h>

void *px_grow_realloc(void *items, size_t *cap, size_t elem, size_t first)
{
	size_t want = *cap ? 2 * *cap : first;
	void *p;

	if (want > SIZE_MAX / elem)
		return NULL;
	if (!(p = realloc(items, want * elem)))
		return NULL;
	*cap = want;
	return p;
}
