/* pattern_fast.c - see pattern_fast.h. Each function is the pattern above
 * it, spelled out; they search like regexec (the patterns are anchored). */
#include "schema/pattern_fast.h"

#include <arpa/inet.h>
#include <string.h>

static int digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ */
static int date(const char *s)
{
	return digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' &&
	       digits(s + 8, 2) && s[10] == '\0';
}

/* ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$ */
static int timestamp(const char *s)
{
	const char *p = s + 19;
	int n = 0;

	if (!(digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' &&
	      digits(s + 8, 2) && s[10] == 'T' && digits(s + 11, 2) &&
	      s[13] == ':' && digits(s + 14, 2) && s[16] == ':' &&
	      digits(s + 17, 2)))
		return 0;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			n++;
		if (n < 1 || n > 9)
			return 0;
	}
	return p[0] == 'Z' && p[1] == '\0';
}

/* ^-?[0-9]+(\.[0-9]+)?$ */
static int decimal(const char *s)
{
	const char *p = s + (*s == '-');
	const char *start = p;

	while (*p >= '0' && *p <= '9')
		p++;
	if (p == start)
		return 0;
	if (*p == '.') {
		start = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == start)
			return 0;
	}
	return *p == '\0';
}

static const struct {
	const char *pattern;
	px_pattern_fn fn;
} known[] = {
    {"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", date},
    {"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
     "(\\.[0-9]{1,9})?Z$",
     timestamp},
    {PX_DECIMAL_PATTERN, decimal},
};

px_pattern_fn px_pattern_fast(const char *pattern)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(pattern, known[i].pattern))
			return known[i].fn;
	return NULL;
}

/* ajv-formats' email: ^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[...]+)*@
 * (?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$
 * case-insensitively. */
static int alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static int email(const char *s)
{
	const char *p = s, *label;

	/* dot-separated atoms, none empty */
	for (;;) {
		const char *start = p;
		while (*p && (alnum(*p) || strchr("!#$%&'*+/=?^_`{|}~-", *p)))
			p++;
		if (p == start)
			return 0;
		if (*p != '.')
			break;
		p++;
	}
	if (*p++ != '@')
		return 0;
	/* two or more labels: alphanumeric at both ends, '-' inside */
	for (int labels = 0;; labels++) {
		label = p;
		while (alnum(*p) || *p == '-')
			p++;
		if (p == label || label[0] == '-' || p[-1] == '-')
			return 0;
		if (*p == '.') {
			p++;
			continue;
		}
		return *p == '\0' && labels >= 1;
	}
}

/* ajv-formats' ipv4: four decimal octets 0-255, no leading zeros, which
 * is what inet_pton() accepts. */
static int ipv4(const char *s)
{
	unsigned char a[4];

	return inet_pton(AF_INET, s, a) == 1;
}

static int ipv6(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET6, s, a) == 1;
}

px_pattern_fn px_format_check(const char *format)
{
	if (!format)
		return NULL;
	if (!strcmp(format, "email"))
		return email;
	if (!strcmp(format, "ipv4"))
		return ipv4;
	if (!strcmp(format, "ipv6"))
		return ipv6;
	return NULL;
}
