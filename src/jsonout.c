/*
 * jsonout.c - writes records as compact JSON. jansson's own dumper would
 * turn an exact decimal into a double, so containers are walked here and
 * only leaves go through jansson.
 */
#include "jsonout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portex/connector.h"

void px_real_text(double d, char *buf, size_t n)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
}

int px_buf_add(px_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

void px_buf_free(px_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static int dump_cb(const char *p, size_t n, void *ctx)
{
	return px_buf_add(ctx, p, n);
}

/* Strings are most of a record: escape them here rather than allocate a
 * jansson value per key. Text is UTF-8 already (jansson checked it). */
static int append_string(px_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	if (px_buf_add(b, "\"", 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = {'\\', 0};
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (px_buf_add(b, s + run, i - run))
			return -1;
		run = i + 1;
		switch (c) {
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		if (px_buf_add(b, esc, elen))
			return -1;
	}
	return px_buf_add(b, s + run, n - run) || px_buf_add(b, "\"", 1);
}

const char *px_int_text(long long n, char buf[PX_INT_TEXT])
{
	char *p = buf + PX_INT_TEXT;
	unsigned long long u =
	    n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;

	*--p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (n < 0)
		*--p = '-';
	return p;
}

static int append_integer(px_buf *b, json_int_t n)
{
	char buf[PX_INT_TEXT];
	const char *p = px_int_text((long long)n, buf);

	return px_buf_add(b, p, (size_t)(buf + PX_INT_TEXT - 1 - p));
}

static int leaf(px_buf *b, const json_t *v)
{
	if (json_is_integer(v))
		return append_integer(b, json_integer_value(v));
	if (json_is_true(v))
		return px_buf_add(b, "true", 4);
	if (json_is_false(v))
		return px_buf_add(b, "false", 5);
	if (json_is_string(v))
		return append_string(b, json_string_value(v),
				     json_string_length(v));
	return json_dump_callback(v, dump_cb, b,
				  JSON_ENCODE_ANY | JSON_COMPACT |
				      JSON_REAL_PRECISION(17));
}

int px_json_append_member(px_buf *b, const char *key, const json_t *v,
			  int *first)
{
	if ((!*first && px_buf_add(b, ",", 1)) ||
	    append_string(b, key, strlen(key)) || px_buf_add(b, ":", 1) ||
	    px_json_append(b, v))
		return -1;
	*first = 0;
	return 0;
}

int px_json_append(px_buf *b, const json_t *v)
{
	const char *digits = px_decimal_digits(v);
	size_t i;
	json_t *e;

	if (digits)
		return px_buf_add(b, digits, strlen(digits));
	if (json_is_object(v)) {
		const char *k;
		int first = 1;
		if (px_buf_add(b, "{", 1))
			return -1;
		json_object_foreach ((json_t *)v, k, e) {
			if (px_json_append_member(b, k, e, &first))
				return -1;
		}
		return px_buf_add(b, "}", 1);
	}
	if (json_is_array(v)) {
		if (px_buf_add(b, "[", 1))
			return -1;
		json_array_foreach (v, i, e) {
			if ((i && px_buf_add(b, ",", 1)) ||
			    px_json_append(b, e))
				return -1;
		}
		return px_buf_add(b, "]", 1);
	}
	return leaf(b, v);
}

int px_json_append_text(px_buf *b, const char *s, size_t n)
{
	return append_string(b, s, n);
}

int px_json_append_int(px_buf *b, long long n)
{
	return append_integer(b, (json_int_t)n);
}

/* jansson's rules: %.17g; ".0" when that reads as an integer; no "+" and
 * no leading zeros in the exponent. */
int px_json_append_real(px_buf *b, double d)
{
	char buf[48], *e;
	int n = snprintf(buf, sizeof(buf), "%.17g", d);

	if (n < 0 || (size_t)n + 3 > sizeof(buf))
		return -1;
	if (!strchr(buf, '.') && !strchr(buf, 'e')) {
		memcpy(buf + n, ".0", 3);
		n += 2;
	}
	if ((e = strchr(buf, 'e'))) {
		char *start = e + 1, *end = start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, (size_t)(buf + n - end) + 1);
			n -= (int)(end - start);
		}
	}
	return px_buf_add(b, buf, (size_t)n);
}
