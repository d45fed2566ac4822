/*
 * json_exact.c - parses JSON text without losing a number's digits.
 *
 * jansson keeps reals as doubles and refuses integers past 64 bits, so a
 * 25-digit id or 1e400 would fail or change. Every such literal becomes a
 * px_decimal (connector.h) first; writers (jsonout.c) print its digits.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"
#include "portex/connector.h"

/* Length of a JSON number token at p (strict grammar), 0 when there is
 * none; *real says whether it has a fraction or an exponent. */
static size_t number_token(const char *p, const char *end, int *real)
{
	const char *q = p;
	size_t int_digits = 0;

	*real = 0;
	if (q < end && *q == '-')
		q++;
	if (q < end && *q == '0') {
		q++;
		int_digits = 1;
	} else {
		while (q < end && isdigit((unsigned char)*q)) {
			q++;
			int_digits++;
		}
	}
	if (!int_digits)
		return 0;
	if (q < end && *q == '.') {
		if (q + 1 >= end || !isdigit((unsigned char)q[1]))
			return 0;
		for (q++; q < end && isdigit((unsigned char)*q); q++)
			;
		*real = 1;
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if (q >= end || !isdigit((unsigned char)*q))
			return 0;
		while (q < end && isdigit((unsigned char)*q))
			q++;
		*real = 1;
	}
	if (q < end && (isalnum((unsigned char)*q) || *q == '.'))
		return 0; /* "01", "1x": let the parser report it */
	/* Integers past int64 are kept exact too. */
	if (int_digits > 18)
		*real = 1;
	return (size_t)(q - p);
}

/*
 * jansson keeps non-integers as doubles. Rewrite each such literal into
 * the string "\u0000<digits>", which is exactly what px_decimal_new()
 * makes, so "19.90" reaches the normaliser as 19.90. A real "\u0000" in the
 * body is refused: decimals must be the only strings that start with NUL.
 * Returns 1 when the body holds a NUL escape, -1 on out of memory.
 */
static int rewrite_numbers(const char *in, size_t n, px_buf *out)
{
	const char *p = in, *end = in + n;
	int in_str = 0, real;
	size_t t;

	while (p < end) {
		const char *run = p;

		/* Copy everything up to the next interesting byte at once. */
		while (p < end && (in_str ? (*p != '\\' && *p != '"')
					  : (*p != '"' && *p != '-' &&
					     !isdigit((unsigned char)*p))))
			p++;
		if (p > run && px_buf_add(out, run, (size_t)(p - run)))
			return -1;
		if (p >= end)
			break;
		if (in_str && *p == '\\') {
			if (end - p >= 6 && !memcmp(p, "\\u0000", 6))
				return 1;
			t = p + 1 < end ? 2 : 1;
			if (px_buf_add(out, p, t))
				return -1;
			p += t;
		} else if (*p == '"') {
			in_str = !in_str;
			if (px_buf_add(out, p++, 1))
				return -1;
		} else if ((t = number_token(p, end, &real)) && real) {
			if (px_buf_add(out, "\"\\u0000", 7) ||
			    px_buf_add(out, p, t) || px_buf_add(out, "\"", 1))
				return -1;
			p += t;
		} else {
			t = t ? t : 1;
			if (px_buf_add(out, p, t))
				return -1;
			p += t;
		}
	}
	return out->data ? 0 : px_buf_add(out, "", 0);
}

json_t *px_json_load_exact(const char *text, size_t n, size_t flags,
			   json_error_t *jerr, int *nul)
{
	px_buf b = {0};
	json_t *doc = NULL;
	int rc = rewrite_numbers(text ? text : "", n, &b);

	if (nul)
		*nul = rc > 0;
	if (rc) {
		memset(jerr, 0, sizeof(*jerr));
		snprintf(jerr->text, sizeof(jerr->text), "%s",
			 rc > 0 ? "the JSON holds a NUL character (\\u0000)"
				: "out of memory");
	} else {
		doc = json_loadb(b.data, b.len, flags | JSON_ALLOW_NUL, jerr);
	}
	free(b.data);
	return doc;
}
