/* jsonout.h - compact JSON text of a record, exact decimals included. */
#ifndef PX_JSONOUT_H
#define PX_JSONOUT_H

#include <jansson.h>
#include <stddef.h>

/* A growable byte buffer, reused across records to avoid churn. */
typedef struct px_buf {
	char *data;
	size_t len, cap;
} px_buf;

int px_buf_add(px_buf *b, const void *p, size_t n);
void px_buf_free(px_buf *b);

/* Appends v as compact JSON (keys in insertion order) to b. A decimal
 * from px_decimal_new() is written as a bare number with its digits.
 * Returns 0, or -1 on out of memory. */
int px_json_append(px_buf *b, const json_t *v);

/* The shortest text ("%g" style) that reads back as the same double,
 * into buf (32 bytes are always enough). */
void px_real_text(double d, char *buf, size_t n);

/* Appends "key":value to an object being written; *first is 1 before the
 * first member and is cleared here. Returns 0 or -1. */
int px_json_append_member(px_buf *b, const char *key, const json_t *v,
			  int *first);

/* Appends text (valid UTF-8) as a JSON string, and an integer, exactly
 * as px_json_append() writes a string or integer value. 0 or -1. */
int px_json_append_text(px_buf *b, const char *s, size_t n);
int px_json_append_int(px_buf *b, long long n);

/* n in decimal, NUL-terminated, somewhere in buf; returns where. By hand
 * rather than printf: the integers of every record come here. */
#define PX_INT_TEXT 24
const char *px_int_text(long long n, char buf[PX_INT_TEXT]);

/* Appends a finite double as px_json_append() writes a JSON real (that
 * is, as jansson does at 17 digits), without a jansson value. 0 or -1. */
int px_json_append_real(px_buf *b, double d);

/* Parses JSON text (n bytes; text may be NULL when n is 0) like
 * json_loadb(text, n, flags), except that every number with a fraction,
 * an exponent or more than 18 digits becomes a px_decimal_new() value with
 * its exact digits. Returns a new reference, or NULL with jerr filled;
 * *nul (when not NULL) is set to 1 when the text was refused because a
 * string holds "\u0000", which only decimals may start with. */
json_t *px_json_load_exact(const char *text, size_t n, size_t flags,
			   json_error_t *jerr, int *nul);

#endif
