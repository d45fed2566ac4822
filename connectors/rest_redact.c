/*
 * rest_redact.c - what the REST driver lets reach a message: URLs and body
 * snippets with every registered secret (and its URL-encoded and
 * JSON-escaped forms), credential-like query values and user:password@
 * replaced by ***
 * (px_redact, shared with portex transmit).
 */
#include <stdio.h>

#include "httpshare.h"
#include "rest.h"

void rest_redact(const px_source *s, const char *in, char *out, size_t n)
{
	const char *all[REST_MAX_SECRETS + 1];
	size_t k = 0;

	for (; k < s->n_secrets && k < REST_MAX_SECRETS; k++)
		all[k] = s->secrets[k];
	all[k++] = s->token;
	px_redact(all, k, in, out, n);
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
