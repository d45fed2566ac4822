/* embedded.h - files compiled into the binary (schemas/), see tools/embed.c */
#ifndef PX_EMBEDDED_H
#define PX_EMBEDDED_H
#include <stddef.h>

typedef struct px_embedded {
	const char
	    *name; /* path in the source tree: "schemas/score.schema.json" */
	const unsigned char *data; /* NUL-terminated for convenience */
	size_t size;
	/* The same bytes as raw deflate data (a ZIP entry's), and data's
	 * CRC-32: packages store them as they are. */
	const unsigned char *deflated;
	size_t deflated_size;
	unsigned long crc32;
} px_embedded;

/* Terminated by an entry whose name is NULL. Static storage. */
extern const px_embedded px_embedded_files[];

/* The embedded file at `name`, or NULL. */
const px_embedded *px_embedded_find(const char *name);
#endif
