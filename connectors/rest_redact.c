/*
 * rest_redact.c - what the REST driver lets reach a message: URLs and body
 * snippets with every registered secret (and its URL-encoded and
 * JSON-escaped forms), credential-like query values and user:password@
 * replaced by ***.
 */
#include <ctype.h>
#include <string.h>

#include "rest.h"

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

void rest_redact(const px_source *s, const char *in, char *out, size_t n)
{
	/* Look at a bounded window: enough to fill out many times over. */
	size_t win = strnlen(in, n * 8 + 4096), o = 0, i = 0;
	const char *query = NULL;

	if (!n)
		return;
	out[0] = '\0';
	while (i < win && o + 1 < n) {
		size_t hit = 0;

		for (size_t k = 0; k <= s->n_secrets && !hit; k++) {
			const char *sec =
			    k < s->n_secrets ? s->secrets[k] : s->token;
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

void rest_snippet(const px_source *s, const rest_resp *r, char *out, size_t n)
{
	rest_redact(s, r->body.data ? r->body.data : "", out, n);
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	if (!*out)
		snprintf(out, n, "(empty)");
}
