/* range.c - the Range request header (RFC 9110 section 14), one range. */
#include "serve/range.h"

#include <stdlib.h>
#include <string.h>

int px_http_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
	unsigned long long a = 0, b = 0;
	char *end;

	if (!h || strncmp(h, "bytes=", 6) || strchr(h, ','))
		return 1;
	h += 6;
	if (*h == '-') {
		if (h[1] < '0' || h[1] > '9') /* strtoull would take " +-" */
			return 1;
		b = strtoull(h + 1, &end, 10);
		if (end == h + 1 || *end)
			return 1;
		if (!b || !size)
			return -1;
		*from = b >= size ? 0 : size - b;
		*to = size - 1;
		return 0;
	}
	if (*h < '0' || *h > '9')
		return 1;
	a = strtoull(h, &end, 10);
	if (*end != '-')
		return 1;
	h = end + 1;
	if (*h) {
		if (*h < '0' || *h > '9')
			return 1;
		b = strtoull(h, &end, 10);
		if (*end || b < a)
			return 1;
	} else {
		b = size ? size - 1 : 0;
	}
	if (a >= size)
		return -1;
	*from = a;
	*to = b >= size ? size - 1 : b;
	return 0;
}
