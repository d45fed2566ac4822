/* grow.h - room for one more element in a growing array. */
#ifndef PX_GROW_H
#define PX_GROW_H

#include <stddef.h>

void *px_grow_realloc(void *items, size_t *cap, size_t elem, size_t first);

/* items (*cap elements of elem bytes, n of them used) when n < *cap;
 * else items reallocated to twice *cap (first when *cap is 0), *cap set.
 * NULL on out of memory: items is unchanged and still the caller's.
 * Inline: record loops call it for every member. */
static inline void *px_grow(void *items, size_t *cap, size_t n, size_t elem,
			    size_t first)
{
	return n < *cap ? items : px_grow_realloc(items, cap, elem, first);
}

#endif
