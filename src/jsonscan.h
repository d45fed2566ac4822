/*
 * jsonscan.h - the top-level members of a record already written as
 * compact JSON text (by px_json_append() or a row encoder), read without
 * building a jansson object: consumers that only need a few values of
 * every record (xAPI statements) take them from the text in one pass.
 *
 * Values keep px_json_load_exact()'s meaning: a number with a fraction, an
 * exponent or more than 18 digits is a decimal, any other an integer.
 */
#ifndef PX_JSONSCAN_H
#define PX_JSONSCAN_H

#include <stddef.h>

#include "jsonout.h"

typedef enum px_jkind {
	PX_JK_STRING,
	PX_JK_INTEGER, /* fits json_int_t: jansson would read an integer */
	PX_JK_DECIMAL, /* exact digits: px_decimal_new() on load */
	PX_JK_TRUE,
	PX_JK_FALSE,
	PX_JK_NULL,
	PX_JK_CONTAINER /* object or array */
} px_jkind;

typedef struct px_jmember {
	const char *key; /* the key's text between its quotes, escapes kept */
	size_t klen;
	const char *val; /* the value's JSON text, borrowed from the record */
	size_t vlen;
	px_jkind kind;
} px_jmember;

/* Members of one record; reused across records (scan resets it). */
typedef struct px_jfields {
	px_jmember *m;
	size_t n, cap;
} px_jfields;

/* Splits text (an object's members without the braces, compact: no
 * whitespace between tokens) into f; the members point into text.
 * Returns 0, -1 on out of memory, 1 when text is not in that form. */
int px_jfields_scan(px_jfields *f, const char *text, size_t len);

/* The member named key (the last one when a key repeats, as jansson
 * keeps it), or NULL. */
const px_jmember *px_jfields_get(const px_jfields *f, const char *key);

void px_jfields_free(px_jfields *f);

/* 1 for an integer or a decimal. */
int px_jkind_number(px_jkind k);

/* A string value's text decoded (escapes resolved, UTF-8) into out,
 * replacing its content, NUL-terminated. 0, -1 on out of memory, 1 when
 * tok is not a JSON string. */
int px_jstring_decode(const char *tok, size_t n, px_buf *out);

/* 1 when every escape in the JSON text is the one px_json_append() would
 * write (\" \\ \n \r \t \b \f, \u00xx in lower case for the other
 * control characters), so the text is its writer's byte for byte. */
int px_jescapes_canonical(const char *text, size_t n);

/* A number value as a double (json_number_value() of what
 * px_json_load_exact() would make of it; 0 for any other kind). */
double px_jnumber(const px_jmember *m);

/* m's key decoded (escapes resolved), NUL-terminated, in b (replacing
 * its content), or NULL on out of memory or a bad escape. */
const char *px_jkey(const px_jmember *m, px_buf *b);

/* An integer value as json_integer_value() of what px_json_load_exact()
 * would make of it (0 for any other kind). */
json_int_t px_jinteger(const px_jmember *m);

/* The value's text NUL-terminated in b (replacing its content), or NULL
 * on out of memory. */
const char *px_jtext(const px_jmember *m, px_buf *b);

#endif
