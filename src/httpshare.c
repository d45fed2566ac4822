/*
 * httpshare.c - Retry-After, OAuth2 token answers and redaction, for the
 * REST connector and portex transmit alike (httpshare.h).
 */
#include "httpshare.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "portex/connector.h"

double px_retry_after(const char *v)
{
	char *e;
	double d;
	time_t t;

	/* digits only: strtod would also take "nan", "inf", hex */
	if (*v && v[strspn(v, "0123456789.eE+")] == '\0') {
		d = strtod(v, &e);
		if (e != v && !*e)
			return isfinite(d) && d < PX_RETRY_AFTER_MAX
				   ? d
				   : PX_RETRY_AFTER_MAX;
	}
	t = curl_getdate(v, NULL);
	if (t == -1)
		return -1;
	d = difftime(t, time(NULL));
	return d > 0 ? (d < PX_RETRY_AFTER_MAX ? d : PX_RETRY_AFTER_MAX) : 0;
}

int px_json_int(const json_t *v, long long *out)
{
	const char *t = px_decimal_digits(v);
	char *e;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (!t && json_is_string(v))
		t = json_string_value(v);
	if (!t || !*t)
		return -1;
	errno = 0;
	*out = strtoll(t, &e, 10);
	return *e || errno ? -1 : 0;
}

int px_oauth2_answer(const json_t *doc, char **token, long long *ttl,
		     const char **why)
{
	const json_t *tok = json_object_get(doc, "access_token");
	const json_t *type = json_object_get(doc, "token_type");
	const json_t *exp = json_object_get(doc, "expires_in");

	*token = NULL;
	*ttl = -1;
	*why = NULL;
	if (!json_is_string(tok) || !json_string_length(tok))
		*why = "no \"access_token\" string";
	else if (type && (!json_is_string(type) ||
			  strcasecmp(json_string_value(type), "bearer")))
		*why = "a \"token_type\" other than \"bearer\"";
	else if (exp && (px_json_int(exp, ttl) || *ttl < 0))
		*why = "an \"expires_in\" that is not a whole number of "
		       "seconds";
	if (*why) {
		*ttl = -1;
		return -1;
	}
	if (!(*token = strdup(json_string_value(tok)))) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

long px_oauth2_refresh_at(long now, long long ttl)
{
	long long margin;

	if (ttl < 0)
		return 0;
	if (ttl > PX_RETRY_AFTER_MAX * 100) /* centuries: as good as never */
		ttl = (long long)(PX_RETRY_AFTER_MAX * 100);
	margin = ttl / 2 < 60 ? ttl / 2 : 60;
	return now + (long)(ttl - margin);
}

static int credential_name(const char *name, size_t n)
{
	static const char *const words[] = {"key",   "token",	  "secret",
					    "passw", "signature", "sig",
					    "auth",  "credential"};
	char low[64];

	if (n >= sizeof(low))
		n = sizeof(low) - 1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[n] = '\0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(low, words[i]))
			return 1;
	return 0;
}

static void append(char *out, size_t n, size_t *o, const char *p, size_t len)
{
	while (len-- && *o + 1 < n)
		out[(*o)++] = *p++;
	out[*o] = '\0';
}

void px_redact(const char *const *secrets, size_t n_secrets, const char *in,
	       char *out, size_t n)
{
	/* Look at a bounded window: enough to fill out many times over. */
	size_t win = strnlen(in, n * 8 + 4096), o = 0, i = 0;
	const char *query = NULL;

	if (!n)
		return;
	out[0] = '\0';
	while (i < win && o + 1 < n) {
		size_t hit = 0;

		for (size_t k = 0; k < n_secrets && !hit; k++) {
			const char *sec = secrets[k];
			size_t sl = sec ? strlen(sec) : 0;
			size_t m = sl < win - i ? sl : win - i;
			/* A secret cut by the window's end still counts. */
			if (sl >= 4 && m >= 4 && !strncmp(in + i, sec, m))
				hit = m;
		}
		if (hit) {
			append(out, n, &o, "***", 3);
			i += hit;
			continue;
		}
		if (in[i] == '?' && !query &&
		    (!strncmp(in, "http://", 7) || !strncmp(in, "https://", 8)))
			query = in + i;
		if (query && (in[i] == '?' || in[i] == '&')) {
			size_t nl = strcspn(in + i + 1, "=&# ");
			append(out, n, &o, in + i, nl + 1);
			i += nl + 1;
			if (in[i] == '=' && credential_name(in + i - nl, nl)) {
				append(out, n, &o, "=***", 4);
				i += 1 + strcspn(in + i + 1, "&# ");
			}
			continue;
		}
		/* user:password@ in a URL */
		if (!strncmp(in + i, "://", 3)) {
			size_t at = strcspn(in + i + 3, "@/?# ");
			append(out, n, &o, "://", 3);
			i += 3;
			if (in[i + at] == '@') {
				append(out, n, &o, "***@", 4);
				i += at + 1;
			}
			continue;
		}
		append(out, n, &o, in + i, 1);
		i++;
	}
}
