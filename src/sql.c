/*
 * sql.c - what the SQL drivers share: finding :name placeholders and
 * turning a source's "resolve"/"collections" config into a plan.
 *
 * The scanner skips string literals ('...' with '' escapes, E'...' with
 * backslashes), quoted identifiers ("..."), comments (-- and / * * /),
 * dollar-quoted strings ($tag$...$tag$) and :: casts, so that only real
 * placeholders are bound; nothing from a subject ever enters SQL text.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "portex/connector.h"

static int ident_start(int c)
{
	return isalpha(c) || c == '_';
}

static int ident_char(int c)
{
	return isalnum(c) || c == '_';
}

/* Returns the index just past a quoted run starting at s[i] == q. */
static size_t skip_quoted(const char *s, size_t i, char q, int backslash)
{
	for (i++; s[i]; i++) {
		if (backslash && s[i] == '\\' && s[i + 1]) {
			i++;
		} else if (s[i] == q) {
			if (s[i + 1] != q)
				return i + 1;
			i++;
		}
	}
	return i;
}

/* $tag$ ... $tag$ ; returns i unchanged when s[i] does not open one. */
static size_t skip_dollar(const char *s, size_t i)
{
	size_t j = i + 1, tag;
	const char *end;

	while (ident_char((unsigned char)s[j]))
		j++;
	if (s[j] != '$' || (j > i + 1 && isdigit((unsigned char)s[i + 1])))
		return i;
	tag = j + 1 - i;
	end = s + j + 1;
	while ((end = strchr(end, '$'))) {
		if (!strncmp(end, s + i, tag))
			return (size_t)(end - s) + tag;
		end++;
	}
	return strlen(s);
}

int px_sql_placeholders(const char *s,
			int (*fn)(void *ctx, size_t off, size_t len,
				  const char *name, size_t name_len),
			void *ctx)
{
	size_t i = 0, j;
	int rc;

	while (s[i]) {
		char c = s[i];
		if (c == '\'') {
			int bs = i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e');
			i = skip_quoted(s, i, '\'', bs);
		} else if (c == '"') {
			i = skip_quoted(s, i, '"', 0);
		} else if (c == '-' && s[i + 1] == '-') {
			while (s[i] && s[i] != '\n')
				i++;
		} else if (c == '/' && s[i + 1] == '*') {
			const char *e = strstr(s + i + 2, "*/");
			i = e ? (size_t)(e - s) + 2 : strlen(s);
		} else if (c == '$' && (j = skip_dollar(s, i)) != i) {
			i = j;
		} else if (c == ':' && s[i + 1] == ':') {
			i += 2;
		} else if (c == ':' && ident_start((unsigned char)s[i + 1]) &&
			   (i == 0 || !ident_char((unsigned char)s[i - 1]))) {
			j = i + 1;
			while (ident_char((unsigned char)s[j]))
				j++;
			rc = fn(ctx, i, j - i, s + i + 1, j - i - 1);
			if (rc)
				return rc;
			i = j;
		} else {
			i++;
		}
	}
	return 0;
}

static int add_need(void *ctx, size_t off, size_t len, const char *name,
		    size_t name_len)
{
	json_t *needs = ctx, *v;
	size_t k;

	(void)off;
	(void)len;
	json_array_foreach (needs, k, v) {
		if (json_string_length(v) == name_len &&
		    !memcmp(json_string_value(v), name, name_len))
			return 0;
	}
	return json_array_append_new(needs, json_stringn(name, name_len));
}

json_t *px_sql_needs(const char *sql)
{
	json_t *needs = json_array();

	if (needs && px_sql_placeholders(sql, add_need, needs)) {
		json_decref(needs);
		return NULL;
	}
	return needs;
}

const char *const px_sql_resolve_keys[] = {"provides", "query", NULL};
const char *const px_sql_collection_keys[] = {
    "entity", "category", "query", "json", "timezone", "minor_units", NULL};

static const char *const categories[] = {"provided", "observed", "derived"};

static int plan_steps(const px_source_cfg *cfg, const char *member,
		      json_t *plan, px_error *err)
{
	json_t *arr = json_object_get(cfg->json, member), *step, *out;
	char where[64];
	size_t i;

	out = json_array();
	if (!out || json_object_set_new(plan, member, out))
		return px_error_oom(err);
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return px_cfg_error(err, cfg, "", "\"%s\": expected an array",
				    member);
	json_array_foreach (arr, i, step) {
		json_t *q = json_object_get(step, "query"), *o;
		const char *key =
		    !strcmp(member, "resolve") ? "provides" : "entity";
		json_t *k = json_object_get(step, key);

		snprintf(where, sizeof(where), "/%s/%zu", member, i);
		if (!json_is_object(step))
			return px_cfg_error(err, cfg, where,
					    "expected an object");
		if (!json_is_string(q) || !json_string_length(q))
			return px_cfg_error(
			    err, cfg, where,
			    "\"query\": expected an SQL string");
		if (!json_is_string(k) || !json_string_length(k))
			return px_cfg_error(err, cfg, where,
					    "\"%s\": expected a name", key);
		o = json_pack("{s:O, s:o}", key, k, "needs",
			      px_sql_needs(json_string_value(q)));
		if (!o || json_array_append_new(out, o))
			return px_error_oom(err);
		if (!strcmp(key, "entity")) {
			json_t *c = json_object_get(step, "category");
			int ok = 0;
			for (size_t n = 0; n < 3 && json_is_string(c); n++)
				ok |= !strcmp(json_string_value(c),
					      categories[n]);
			if (!ok)
				return px_cfg_error(
				    err, cfg, where,
				    "\"category\": expected \"provided\", "
				    "\"observed\" or \"derived\"");
			json_object_set(o, "category", c);
			if (json_object_get(step, "json"))
				json_object_set(o, "json",
						json_object_get(step, "json"));
		}
	}
	return 0;
}

int px_sql_plan(const px_source_cfg *cfg, json_t **plan, px_error *err)
{
	json_t *p = json_object();

	if (!p)
		return px_error_oom(err);
	if (plan_steps(cfg, "resolve", p, err) ||
	    plan_steps(cfg, "collections", p, err)) {
		json_decref(p);
		return -1;
	}
	*plan = p;
	return 0;
}
