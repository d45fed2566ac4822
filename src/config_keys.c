/*
 * config_keys.c - strict keys: every object of a config (or of a profile,
 * or of a plugin's source) may hold only the keys declared for it, so a
 * typo ("colections") fails loudly instead of silently exporting nothing.
 *
 * Tables are rows {pattern, keys}; a pattern is a JSON pointer relative to
 * the checked object whose "*" segments match any array index or key. An
 * object covered by several rows may hold the union of their keys; an
 * object no row covers is free-form and not checked.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portex/config.h"

/* Optimal string alignment distance (Damerau-Levenshtein where no
 * substring is edited twice), case-insensitive: "Email" is one typo from
 * nothing. Words longer than 63 bytes are never near anything. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[64][64];

	if (la >= 64 || lb >= 64)
		return (size_t)-1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]);
			int cb = tolower((unsigned char)b[j - 1]);
			size_t cost = ca != cb, best = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 &&
			    ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

const char *px_nearest(const char *word, const char *const *candidates,
		       size_t n)
{
	size_t len = strlen(word), limit = len < 3 ? 1 : len / 3 + 1;
	size_t best = (size_t)-1;
	const char *found = NULL;

	if (limit > 3)
		limit = 3;
	for (size_t i = 0; i < n && candidates[i]; i++) {
		size_t d = distance(word, candidates[i]);
		if (d < best) {
			best = d;
			found = candidates[i];
		}
	}
	return best <= limit ? found : NULL;
}

void px_list_join(const char *const *items, size_t n, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && items[i] && len < size; i++) {
		int w = snprintf(out + len, size - len, "%s%s", i ? ", " : "",
				 items[i]);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

/* 1 when pattern ("/sources/ *" with the space removed) matches the
 * relative pointer rel. */
static int matches(const char *pattern, const char *rel)
{
	while (*pattern && *rel) {
		if (*pattern != '/' || *rel != '/')
			return 0;
		pattern++;
		rel++;
		size_t pn = strcspn(pattern, "/"), rn = strcspn(rel, "/");
		if (!(pn == 1 && *pattern == '*') &&
		    (pn != rn || strncmp(pattern, rel, pn)))
			return 0;
		pattern += pn;
		rel += rn;
	}
	return !*pattern && !*rel;
}

#define MAX_ALLOWED 128

/* The union of the keys of every row covering rel; 0 when none does. */
static size_t allowed_at(const px_config_keys *const *tables, const char *rel,
			 const char **out)
{
	size_t n = 0;
	int covered = 0;

	for (size_t t = 0; tables[t]; t++)
		for (const px_config_keys *row = tables[t]; row->where; row++) {
			if (!matches(row->where, rel))
				continue;
			covered = 1;
			for (size_t k = 0; row->keys[k] && n < MAX_ALLOWED; k++)
				out[n++] = row->keys[k];
		}
	return covered ? n : (size_t)-1;
}

static int is_allowed(const char *key, const char *const *allowed, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(key, allowed[i]))
			return 1;
	return 0;
}

static int unknown_key(px_error *err, const char *file, const char *base,
		       const char *rel, const char *key,
		       const char *const *allowed, size_t n)
{
	const char *near = px_nearest(key, allowed, n);
	char list[1024], hint[160] = "";

	px_list_join(allowed, n, list, sizeof(list));
	if (near)
		snprintf(hint, sizeof(hint), "; did you mean \"%s\"?", near);
	return px_error_set(err, PX_EXIT_CONFIG,
			    "%s: %s%s/%s: unknown key \"%.64s\"%s (expected "
			    "one of: %s)",
			    file, base, rel, key, key, hint,
			    n ? list : "no keys");
}

static int walk(const json_t *node, const px_config_keys *const *tables,
		const char *file, const char *base, char *rel, size_t relsz,
		px_error *err)
{
	size_t len = strlen(rel), i, n;
	const char *allowed[MAX_ALLOWED], *key;
	const json_t *v;
	int rc = 0;

	if (json_is_object(node) &&
	    (n = allowed_at(tables, rel, allowed)) != (size_t)-1) {
		json_object_foreach ((json_t *)node, key, v) {
			if (!is_allowed(key, allowed, n))
				return unknown_key(err, file, base, rel, key,
						   allowed, n);
		}
	}
	json_object_foreach ((json_t *)node, key, v) {
		snprintf(rel + len, relsz - len, "/%s", key);
		if ((rc = walk(v, tables, file, base, rel, relsz, err)))
			break;
	}
	json_array_foreach (node, i, v) {
		snprintf(rel + len, relsz - len, "/%zu", i);
		if ((rc = walk(v, tables, file, base, rel, relsz, err)))
			break;
	}
	rel[len] = '\0';
	return rc;
}

int px_config_check_keys(const json_t *obj, const px_config_keys *const *tables,
			 const char *file, const char *json_path, px_error *err)
{
	char rel[512] = "";

	return walk(obj, tables, file, json_path ? json_path : "", rel,
		    sizeof(rel), err);
}
