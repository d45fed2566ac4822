/*
 * rest_json.c - JSON and URL helpers of the REST driver: parsing a body
 * without losing a number's digits, RFC 6901 pointers, path templates,
 * base64.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpshare.h"
#include "rest.h"

/* Formatted text may hold a secret (a form body): wiped after use. */
int rest_buf_printf(rest_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *tmp;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(tmp = malloc((size_t)n + 1)))
		return -1;
	va_start(ap, fmt);
	vsnprintf(tmp, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = px_buf_add(b, tmp, (size_t)n);
	explicit_bzero(tmp, (size_t)n);
	free(tmp);
	return rc;
}

json_t *rest_json_parse(px_source *s, const rest_resp *r, const char *what,
			const char *url, px_error *err)
{
	json_error_t je;
	json_t *doc;
	char red[512], snip[121];
	int nul;

	doc = px_json_load_exact(r->body.data, r->body.len, 0, &je, &nul);
	if (!doc && nul) {
		rest_redact(s, url, red, sizeof(red));
		px_error_set(err, PX_EXIT_DATA,
			     "source %s: %s: GET %s: HTTP %ld: the JSON holds "
			     "a NUL character (\\u0000); refusing it",
			     s->cfg->name, what, red, r->status);
		return NULL;
	}
	if (!doc) {
		/* Redacting is for messages only: not on every page. */
		rest_redact(s, url, red, sizeof(red));
		rest_snippet(s, r, snip, sizeof(snip));
		px_error_set(err, PX_EXIT_DATA,
			     "source %s: %s: GET %s: HTTP %ld: malformed JSON "
			     "(line %d: %s); body: %s",
			     s->cfg->name, what, red, r->status, je.line,
			     je.text, snip);
	}
	return doc;
}

json_t *rest_pointer(json_t *doc, const char *ptr)
{
	char tok[256];

	if (!ptr || !*ptr)
		return doc;
	if (*ptr != '/')
		return NULL;
	while (doc && *ptr == '/') {
		size_t n = 0;

		for (ptr++; *ptr && *ptr != '/'; ptr++) {
			char c = *ptr;

			if (c == '~' && (ptr[1] == '0' || ptr[1] == '1'))
				c = *++ptr == '0' ? '~' : '/';
			if (n + 1 >= sizeof(tok))
				return NULL;
			tok[n++] = c;
		}
		tok[n] = '\0';
		if (json_is_object(doc)) {
			doc = json_object_get(doc, tok);
		} else if (json_is_array(doc)) {
			char *e;
			unsigned long i;

			errno = 0;
			i = strtoul(tok, &e, 10);
			if (!n || *e || errno || !isdigit((unsigned char)*tok))
				return NULL;
			doc = json_array_get(doc, i);
		} else {
			return NULL;
		}
	}
	return doc;
}

/* Calls fn for each {name} in tmpl; returns fn's first non-zero result. */
static int each_var(const char *tmpl, int (*fn)(void *, const char *, size_t),
		    void *ctx)
{
	const char *p = tmpl, *e;
	int rc;

	while ((p = strchr(p, '{')) && (e = strchr(p, '}'))) {
		if ((rc = fn(ctx, p + 1, (size_t)(e - p - 1))))
			return rc;
		p = e + 1;
	}
	return 0;
}

static int add_need(void *ctx, const char *name, size_t n)
{
	json_t *needs = ctx, *v;
	size_t i;

	json_array_foreach (needs, i, v) {
		if (json_string_length(v) == n &&
		    !memcmp(json_string_value(v), name, n))
			return 0;
	}
	return json_array_append_new(needs, json_stringn(name, n));
}

json_t *rest_template_needs(const json_t *step)
{
	json_t *needs = json_array(), *q = json_object_get(step, "query"), *v;
	const char *path = json_string_value(json_object_get(step, "path"));
	const char *k;

	if (!needs)
		return NULL;
	if (path && each_var(path, add_need, needs))
		goto oom;
	json_object_foreach (q, k, v) {
		if (json_is_string(v) &&
		    each_var(json_string_value(v), add_need, needs))
			goto oom;
	}
	return needs;
oom:
	json_decref(needs);
	return NULL;
}

char *rest_expand(const char *tmpl, const json_t *keys, int escape,
		  char *missing)
{
	rest_buf b = {0};
	const char *p = tmpl, *o, *e;
	char name[128];

	while ((o = strchr(p, '{')) && (e = strchr(o, '}'))) {
		size_t n = (size_t)(e - o - 1);
		const char *v;
		char *x = NULL;
		int bad;

		if (px_buf_add(&b, p, (size_t)(o - p)))
			goto oom;
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, o + 1, n);
		name[n] = '\0';
		v = json_string_value(json_object_get(keys, name));
		if (!v) {
			memcpy(missing, name, n + 1);
			free(b.data);
			return NULL;
		}
		if (escape && !(x = curl_easy_escape(NULL, v, 0)))
			goto oom;
		bad = px_buf_add(&b, x ? x : v, strlen(x ? x : v));
		curl_free(x);
		if (bad)
			goto oom;
		p = e + 1;
	}
	if (px_buf_add(&b, p, strlen(p)))
		goto oom;
	return b.data;
oom:
	free(b.data);
	return NULL;
}

int rest_url_add_query(CURLU *url, const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 2;
	char *q = malloc(n);
	CURLUcode rc;

	if (!q)
		return -1;
	snprintf(q, n, "%s=%s", name, value);
	rc = curl_url_set(url, CURLUPART_QUERY, q,
			  CURLU_APPENDQUERY | CURLU_URLENCODE);
	free(q);
	return rc == CURLUE_OK ? 0 : -1;
}

CURLU *rest_url_build(px_source *s, const json_t *step, const json_t *keys,
		      const char *what, px_error *err)
{
	const char *path = json_string_value(json_object_get(step, "path"));
	char missing[128] = "";
	const char *k;
	json_t *q = json_object_get(step, "query"), *v;
	CURLU *u = curl_url();
	char *p = NULL, *full = NULL;
	size_t n;

	if (!u)
		goto oom;
	p = rest_expand(path ? path : "", keys, 1, missing);
	if (!p)
		goto fail;
	n = strlen(s->base_url) + strlen(p) + 1;
	if (!(full = malloc(n)))
		goto oom;
	snprintf(full, n, "%s%s", s->base_url, p);
	if (curl_url_set(u, CURLUPART_URL, full, 0) != CURLUE_OK) {
		px_error_set(err, PX_EXIT_DATA,
			     "source %s: %s: cannot build a URL from the "
			     "profile's path \"%s\"",
			     s->cfg->name, what, path ? path : "");
		goto out;
	}
	json_object_foreach (q, k, v) {
		char *val = rest_expand(json_string_value(v), keys, 0, missing);
		int bad;

		if (!val)
			goto fail;
		bad = rest_url_add_query(u, k, val);
		free(val);
		if (bad)
			goto oom;
	}
	free(p);
	free(full);
	return u;
fail:
	if (*missing) {
		px_error_set(err, PX_EXIT_SOFTWARE,
			     "source %s: %s: the URL needs identity key "
			     "\"%s\", not known yet",
			     s->cfg->name, what, missing);
		goto out;
	}
oom:
	px_error_oom(err);
out:
	curl_url_cleanup(u);
	free(p);
	free(full);
	return NULL;
}

int rest_json_int(const json_t *v, long long *out)
{
	return px_json_int(v, out);
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

unsigned char *rest_base64_decode(const char *in, size_t n, size_t *len)
{
	unsigned char *out = malloc(n / 4 * 3 + 3);
	unsigned acc = 0, bits = 0, pad = 0;
	size_t o = 0, sym = 0;

	*len = 1;
	if (!out)
		return NULL;
	*len = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		const char *k;

		if (isspace(c))
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || !c || !(k = strchr(b64, c)))
			goto bad;
		acc = acc << 6 | (unsigned)(k - b64);
		bits += 6;
		sym++;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* A lone trailing symbol, or padding that does not fit, is not
	 * base64 but a truncated or mangled value. */
	if (sym % 4 == 1 || (pad && (sym + pad) % 4) || pad > 2)
		goto bad;
	*len = o;
	return out;
bad:
	free(out);
	return NULL;
}

char *rest_base64_encode(const char *in, size_t n)
{
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
	const unsigned char *p = (const unsigned char *)in;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = p[i] << 16;

		if (i + 1 < n)
			v |= p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}
