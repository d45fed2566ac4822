/*
 * index_html_esc.c - text, links and values safe to put in index.html.
 *
 * Everything shown on the page passes through here, so the page is valid
 * UTF-8 and no value from a source can open a tag or an attribute.
 */
#include "html/index_html.h"
#include "encode/jsoncopy.h"
#include "jsonout.h"
#include "jsonscan.h"
#include "portex/connector.h"

#include <stdlib.h>
#include <string.h>

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (left < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

/* Characters HTML and XML both refuse or call parse errors: C0 and C1
 * controls (but tab, newline), DEL, U+FFFE and U+FFFF. */
static int forbidden(const unsigned char *s, size_t n)
{
	if (n == 1)
		return (s[0] < 0x20 && s[0] != '\t' && s[0] != '\n') ||
		       s[0] == 0x7F;
	if (n == 2)
		return s[0] == 0xC2 && s[1] <= 0x9F;
	return n == 3 && s[0] == 0xEF && s[1] == 0xBF && s[2] >= 0xBE;
}

static const char *entity_of(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

void px_html_textn(FILE *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t run = 0, i = 0; /* s[run..i) is copied as is */

	while (i < len) {
		size_t n = utf8_len(s + i, len - i);
		const char *sub = n == 1 ? entity_of(s[i]) : NULL;

		if (n && !sub && !forbidden(s + i, n)) {
			i += n;
			continue;
		}
		fwrite(s + run, 1, i - run, out);
		fputs(sub ? sub : replacement, out);
		i += n ? n : 1;
		run = i;
	}
	fwrite(s + run, 1, i - run, out);
}

void px_html_text(FILE *out, const char *s)
{
	if (s)
		px_html_textn(out, s, strlen(s));
}

void px_html_href(FILE *out, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
			fputc(*p, out);
		else
			fprintf(out, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
}

void px_html_value(FILE *out, px_lang lang, const json_t *v)
{
	const char *digits = px_decimal_digits(v);
	px_buf b = {0};

	if (!v)
		return;
	if (digits) { /* an exact number, read back by px_json_load_exact */
		px_html_text(out, digits);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		px_html_textn(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		/* 15 digits: 0.1 reads 0.1, not 0.10000000000000001 */
		fprintf(out, "%.15g", json_real_value(v));
		break;
	case JSON_TRUE:
		px_html_text(out, px_i18n(lang, PX_MSG_YES));
		break;
	case JSON_FALSE:
		px_html_text(out, px_i18n(lang, PX_MSG_NO));
		break;
	case JSON_NULL:
		break;
	default: /* arrays, objects */
		/* jsonout, not json_dumps: nested decimals keep digits */
		fputs("<code>", out);
		if (!px_json_append(&b, v))
			px_html_textn(out, b.data, b.len);
		fputs("</code>", out);
		px_buf_free(&b);
	}
}

void px_html_member(FILE *out, px_lang lang, const px_jmember *m, px_buf *s)
{
	json_error_t jerr;
	json_t *v;

	if (!m)
		return;
	switch (m->kind) {
	case PX_JK_STRING:
		if (!px_jstring_decode(m->val, m->vlen, s))
			px_html_textn(out, s->data, s->len);
		break;
	case PX_JK_INTEGER:
		fprintf(out, "%" JSON_INTEGER_FORMAT, px_jinteger(m));
		break;
	case PX_JK_DECIMAL: /* its exact digits */
		px_html_textn(out, m->val, m->vlen);
		break;
	case PX_JK_TRUE:
		px_html_text(out, px_i18n(lang, PX_MSG_YES));
		break;
	case PX_JK_FALSE:
		px_html_text(out, px_i18n(lang, PX_MSG_NO));
		break;
	case PX_JK_NULL:
		break;
	case PX_JK_CONTAINER:
		/* as jsonout writes it back: the CSV's text, nested decimals
		 * with their digits; copied when that is sure to be the same
		 * bytes (jsoncopy.h), else parsed and written */
		s->len = 0;
		if (!px_json_copy(m->val, m->vlen, s)) {
			fputs("<code>", out);
			px_html_textn(out, s->data, s->len);
			fputs("</code>", out);
			break;
		}
		v = px_json_load_exact(m->val, m->vlen, 0, &jerr, NULL);
		px_html_value(out, lang, v);
		json_decref(v);
		break;
	}
}
