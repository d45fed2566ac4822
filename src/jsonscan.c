/*
 * jsonscan.c - members of a compact JSON record text (jsonscan.h).
 */
#include "jsonscan.h"
#include "grow.h"

#include <stdlib.h>
#include <string.h>

/* After the closing quote of the string at p, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* After the value at p, or NULL when it does not end inside [p, end). */
static const char *skip_value(const char *p, const char *end)
{
	const char *q = p;
	int depth = 0;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[') {
		while (q < end && *q != ',' && *q != '}' && *q != ']' &&
		       *q != '"' && *q != ':')
			q++;
		return q > p ? q : NULL;
	}
	while (q < end) {
		if (*q == '"') {
			if (!(q = skip_string(q, end)))
				return NULL;
			continue;
		}
		if (*q == '{' || *q == '[')
			depth++;
		else if ((*q == '}' || *q == ']') && --depth == 0)
			return q + 1;
		q++;
	}
	return NULL;
}

static px_jkind kind_of(const char *v, size_t n)
{
	size_t digits = 0;

	switch (*v) {
	case '"':
		return PX_JK_STRING;
	case 't':
		return PX_JK_TRUE;
	case 'f':
		return PX_JK_FALSE;
	case 'n':
		return PX_JK_NULL;
	case '{':
	case '[':
		return PX_JK_CONTAINER;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '.' || v[i] == 'e' || v[i] == 'E')
			return PX_JK_DECIMAL;
		digits += v[i] >= '0' && v[i] <= '9';
	}
	return digits > 18 ? PX_JK_DECIMAL : PX_JK_INTEGER;
}

int px_jfields_scan(px_jfields *f, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *q;

	f->n = 0;
	while (p < end) {
		px_jmember *m = px_grow(f->m, &f->cap, f->n, sizeof(*m), 32);

		if (!m)
			return -1;
		f->m = m;
		m += f->n;
		if (*p != '"' || !(q = skip_string(p, end)) || q >= end ||
		    *q != ':')
			return 1;
		m->key = p + 1;
		m->klen = (size_t)(q - p - 2);
		p = q + 1;
		if (!(q = skip_value(p, end)))
			return 1;
		m->val = p;
		m->vlen = (size_t)(q - p);
		m->kind = kind_of(p, m->vlen);
		f->n++;
		if (q < end && *q != ',')
			return 1;
		p = q < end ? q + 1 : q;
		if (q < end && p == end)
			return 1; /* a trailing comma */
	}
	return 0;
}

const px_jmember *px_jfields_get(const px_jfields *f, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = f->n; i-- > 0;)
		if (f->m[i].klen == kl && !memcmp(f->m[i].key, key, kl))
			return &f->m[i];
	return NULL;
}

void px_jfields_free(px_jfields *f)
{
	free(f->m);
	f->m = NULL;
	f->n = f->cap = 0;
}

int px_jkind_number(px_jkind k)
{
	return k == PX_JK_INTEGER || k == PX_JK_DECIMAL;
}

static int hex4(const char *p, unsigned *u)
{
	*u = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		*u <<= 4;
		if (c >= '0' && c <= '9')
			*u |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*u |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*u |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static int put_utf8(px_buf *out, unsigned u)
{
	char b[4];
	size_t n;

	if (u < 0x80) {
		b[0] = (char)u;
		n = 1;
	} else if (u < 0x800) {
		b[0] = (char)(0xC0 | (u >> 6));
		b[1] = (char)(0x80 | (u & 0x3F));
		n = 2;
	} else if (u < 0x10000) {
		b[0] = (char)(0xE0 | (u >> 12));
		b[1] = (char)(0x80 | ((u >> 6) & 0x3F));
		b[2] = (char)(0x80 | (u & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | (u >> 18));
		b[1] = (char)(0x80 | ((u >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((u >> 6) & 0x3F));
		b[3] = (char)(0x80 | (u & 0x3F));
		n = 4;
	}
	return px_buf_add(out, b, n);
}

int px_jstring_decode(const char *tok, size_t n, px_buf *out)
{
	const char *p = tok + 1, *end = tok + n - 1;

	out->len = 0;
	if (n < 2 || tok[0] != '"' || tok[n - 1] != '"')
		return 1;
	if (px_buf_add(out, "", 0))
		return -1;
	while (p < end) {
		const char *run = p;
		unsigned u, lo;
		char c;

		while (p < end && *p != '\\')
			p++;
		if (p > run && px_buf_add(out, run, (size_t)(p - run)))
			return -1;
		if (p >= end)
			break;
		if (end - p < 2)
			return 1;
		switch ((c = p[1])) {
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			if (end - p < 6 || hex4(p + 2, &u))
				return 1;
			p += 6;
			if (u >= 0xD800 && u < 0xDC00 && end - p >= 6 &&
			    p[0] == '\\' && p[1] == 'u' && !hex4(p + 2, &lo) &&
			    lo >= 0xDC00 && lo < 0xE000) {
				u = 0x10000 + ((u - 0xD800) << 10) +
				    (lo - 0xDC00);
				p += 6;
			}
			if (put_utf8(out, u))
				return -1;
			continue;
		}
		if (px_buf_add(out, &c, 1))
			return -1;
		p += 2;
	}
	return 0;
}

double px_jnumber(const px_jmember *m)
{
	char small[64], *t = small;
	double d;

	if (!m || !px_jkind_number(m->kind))
		return 0;
	/* The token is not NUL-terminated inside its record. */
	if (m->vlen >= sizeof(small) && !(t = malloc(m->vlen + 1)))
		return 0;
	memcpy(t, m->val, m->vlen);
	t[m->vlen] = 0;
	d = m->kind == PX_JK_INTEGER ? (double)strtoll(t, NULL, 10)
				     : strtod(t, NULL);
	if (t != small)
		free(t);
	return d;
}

const char *px_jkey(const px_jmember *m, px_buf *b)
{
	b->len = 0;
	if (!memchr(m->key, '\\', m->klen))
		return px_buf_add(b, m->key, m->klen) ? NULL : b->data;
	/* the key's token, quotes included, lies around it */
	return px_jstring_decode(m->key - 1, m->klen + 2, b) ? NULL : b->data;
}

json_int_t px_jinteger(const px_jmember *m)
{
	char t[32];

	/* at most 18 digits and a sign: jansson's own range */
	if (!m || m->kind != PX_JK_INTEGER || m->vlen >= sizeof(t))
		return 0;
	memcpy(t, m->val, m->vlen);
	t[m->vlen] = 0;
	return (json_int_t)strtoll(t, NULL, 10);
}

const char *px_jtext(const px_jmember *m, px_buf *b)
{
	b->len = 0;
	return px_buf_add(b, m->val, m->vlen) ? NULL : b->data;
}

int px_jescapes_canonical(const char *text, size_t n)
{
	const char *p = text, *end = text + n;

	while ((p = memchr(p, '\\', (size_t)(end - p)))) {
		unsigned u;

		if (end - p < 2)
			return 0;
		if (strchr("\"\\nrtbf", p[1]) && p[1]) {
			p += 2;
			continue;
		}
		/* \u00xx, lower-case hex, only where no short form exists */
		if (p[1] != 'u' || end - p < 6 || hex4(p + 2, &u) ||
		    u >= 0x20 || strchr("\n\r\t\b\f", (int)u) ||
		    (p[4] >= 'A' && p[4] <= 'F') ||
		    (p[5] >= 'A' && p[5] <= 'F'))
			return 0;
		p += 6;
	}
	return 1;
}
