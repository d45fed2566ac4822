/*
 * decimal.c - exact numbers in a jansson tree.
 *
 * jansson keeps reals as doubles, which would turn numeric 0.1 or a
 * 20-digit amount into something else. A decimal is carried as a string
 * value whose first byte is NUL followed by its digits: no text from a
 * source can look like that (drivers reject NUL in text), and the
 * normaliser replaces every decimal before a record leaves it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "portex/connector.h"

int px_decimal_literal(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return *p == '\0';
}

json_t *px_decimal_new(const char *digits)
{
	size_t n;
	char *buf;
	json_t *v;

	if (!px_decimal_literal(digits))
		return NULL;
	n = strlen(digits);
	buf = malloc(n + 1);
	if (!buf)
		return NULL;
	buf[0] = '\0';
	memcpy(buf + 1, digits, n);
	v = json_stringn_nocheck(buf, n + 1);
	free(buf);
	return v;
}

const char *px_decimal_digits(const json_t *v)
{
	const char *s;

	if (!json_is_string(v) || json_string_length(v) < 2)
		return NULL;
	s = json_string_value(v);
	return s[0] == '\0' ? s + 1 : NULL;
}
