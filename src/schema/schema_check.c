/*
 * schema_check.c - evaluates an instance against a compiled schema
 * (schema_node.h), and says where and why it does not fit.
 *
 * Called once per record, so it allocates nothing: the JSON pointer of the
 * current location grows and shrinks in a fixed buffer, and messages are
 * written straight into the caller's px_schema_fail. Subschemas whose
 * failure is not itself an error (anyOf, oneOf, not, if, contains) run in
 * "quiet" mode, with no fail to fill.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portex/config.h"
#include "portex/connector.h"
#include "portex/schema.h"
#include "schema/schema_node.h"

/* $ref chains that loop without consuming the instance stop here. */
#define MAX_DEPTH 512

/* One step of the JSON pointer to where we are: a member name, or an
 * array index when key is NULL. Kept as pointers and written out only
 * when something fails: most records fail nothing. */
struct seg {
	const char *key;
	size_t len; /* of key, or the index */
};

#define MAX_SEGS 64

struct state {
	px_schema_fail *fail; /* NULL in quiet mode */
	struct seg seg[MAX_SEGS];
	size_t len; /* steps pushed; those past MAX_SEGS are not kept */
	int depth;
};

static int check(struct state *st, const px_snode *n, const json_t *v);

/* Writes the pointer of the current location into fail->path. */
static void render_path(const struct state *st, char *out, size_t size)
{
	size_t n = 0, steps = st->len < MAX_SEGS ? st->len : MAX_SEGS;

	for (size_t s = 0; s < steps && n + 1 < size; s++) {
		const struct seg *g = &st->seg[s];

		if (!g->key) {
			n +=
			    (size_t)snprintf(out + n, size - n, "/%zu", g->len);
			continue;
		}
		out[n++] = '/';
		for (size_t i = 0; i < g->len && n + 2 < size; i++) {
			if (g->key[i] == '~' || g->key[i] == '/') {
				out[n++] = '~';
				out[n++] = g->key[i] == '~' ? '0' : '1';
			} else {
				out[n++] = g->key[i];
			}
		}
	}
	out[n < size ? n : size - 1] = '\0';
}

static int failf(struct state *st, const char *fmt, ...) PX_PRINTF(2, 3);
static int failf(struct state *st, const char *fmt, ...)
{
	va_list ap;

	if (!st->fail)
		return 0;
	render_path(st, st->fail->path, sizeof(st->fail->path));
	va_start(ap, fmt);
	vsnprintf(st->fail->msg, sizeof(st->fail->msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* Steps into member `key`; returns the depth to restore. */
static size_t push(struct state *st, const char *key, size_t klen)
{
	if (st->len < MAX_SEGS) {
		st->seg[st->len].key = key;
		st->seg[st->len].len = klen;
	}
	return st->len++;
}

static size_t push_index(struct state *st, size_t i)
{
	return push(st, NULL, i);
}

/* Runs n on a child value at path + "/key". */
static int check_at(struct state *st, const px_snode *n, const json_t *v,
		    size_t old)
{
	int ok = check(st, n, v);

	st->len = old;
	return ok;
}

/* Runs n without reporting: for anyOf, oneOf, not, if, contains. */
static int quietly(struct state *st, const px_snode *n, const json_t *v)
{
	px_schema_fail *fail = st->fail;
	size_t len = st->len;
	int ok;

	st->fail = NULL;
	ok = check(st, n, v);
	st->fail = fail;
	st->len = len;
	return ok;
}

static const char *type_name(unsigned bit)
{
	switch (bit) {
	case PX_T_NULL:
		return "null";
	case PX_T_BOOLEAN:
		return "a boolean";
	case PX_T_OBJECT:
		return "an object";
	case PX_T_ARRAY:
		return "an array";
	case PX_T_NUMBER:
		return "a number";
	case PX_T_STRING:
		return "a string";
	default:
		return "an integer";
	}
}

static const char *found_name(const json_t *v)
{
	unsigned t = px_json_types(v);

	return type_name(t & PX_T_INTEGER ? PX_T_INTEGER : t & ~PX_T_INTEGER);
}

static int check_type(struct state *st, const px_snode *n, const json_t *v)
{
	char want[160];
	size_t len = 0;

	if (!n->types || (n->types & px_json_types(v)))
		return 1;
	for (unsigned bit = 1; bit <= PX_T_INTEGER; bit <<= 1)
		if (n->types & bit)
			len += (size_t)snprintf(want + len, sizeof(want) - len,
						"%s%s", len ? " or " : "",
						type_name(bit));
	return failf(st, "expected %s, found %s", want, found_name(v));
}

/* Integers divide exactly; otherwise the quotient must be whole within a
 * relative 1e-9, since 0.0075 / 0.0001 is not 75 in binary floating point
 * (and is for a reader). fmodl() is exact, so 1e308 is a multiple of 0.5;
 * a quotient too large to have a fraction is otherwise not taken as whole.
 */
static int multiple(const json_t *v, long double x, long double d)
{
	long double q = x / d;

	if (json_is_integer(v) && d == floorl(d) && d < 0x1p63L)
		return json_integer_value(v) % (json_int_t)d == 0;
	if (fmodl(x, d) == 0) /* exact, however large */
		return 1;
	/* beyond 2^64 a long double has no fraction left to judge by */
	return fabsl(q) < 0x1p64L && fabsl(q - roundl(q)) <= fabsl(q) * 1e-9L;
}

static int check_number(struct state *st, const px_snode *n, const json_t *v)
{
	long double x;

	if (!px_json_number(v, &x))
		return 1;
	if (n->min.set && !(x >= n->min.v))
		return failf(st, "expected a number >= %s", n->min.text);
	if (n->max.set && !(x <= n->max.v))
		return failf(st, "expected a number <= %s", n->max.text);
	if (n->xmin.set && !(x > n->xmin.v))
		return failf(st, "expected a number > %s", n->xmin.text);
	if (n->xmax.set && !(x < n->xmax.v))
		return failf(st, "expected a number < %s", n->xmax.text);
	if (n->multiple_of.set && !multiple(v, x, n->multiple_of.v))
		return failf(st, "expected a multiple of %s",
			     n->multiple_of.text);
	return 1;
}

/* Length in Unicode code points: jansson strings are valid UTF-8, so
 * count the bytes that do not continue a sequence. */
static size_t code_points(const char *s, size_t bytes)
{
	size_t n = 0;

	for (size_t i = 0; i < bytes; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

static int check_string(struct state *st, const px_snode *n, const json_t *v)
{
	const char *s;
	size_t len;

	if (!(px_json_types(v) & PX_T_STRING))
		return 1;
	s = json_string_value(v);
	if (n->min_len || n->max_len != PX_NO_LIMIT) {
		len = code_points(s, json_string_length(v));
		if (len < n->min_len)
			return failf(st, "expected at least %zu character%s",
				     n->min_len, n->min_len == 1 ? "" : "s");
		if (len > n->max_len)
			return failf(st, "expected at most %zu character%s",
				     n->max_len, n->max_len == 1 ? "" : "s");
	}
	if (n->has_pattern &&
	    (n->pattern_fast ? !n->pattern_fast(s)
			     : regexec(&n->pattern, s, 0, NULL, 0) != 0))
		return failf(st, "expected a string matching %s%s%s%s",
			     n->pattern_src, n->format ? " (" : "",
			     n->format ? n->format : "", n->format ? ")" : "");
	if (n->format_check && !n->format_check(s))
		return failf(st, "expected a string of format %s", n->format);
	return 1;
}

static int check_items(struct state *st, const px_snode *n, const json_t *v)
{
	size_t size = json_array_size(v), i, j, matches = 0;

	if (size < n->min_items)
		return failf(st, "expected at least %zu item%s", n->min_items,
			     n->min_items == 1 ? "" : "s");
	if (size > n->max_items)
		return failf(st, "expected at most %zu item%s", n->max_items,
			     n->max_items == 1 ? "" : "s");
	for (i = 0; i < size; i++) {
		const px_snode *s =
		    i < n->prefix.n ? n->prefix.at[i] : n->items;

		if (s &&
		    !check_at(st, s, json_array_get(v, i), push_index(st, i)))
			return 0;
	}
	for (i = 0; n->unique && i < size; i++)
		for (j = i + 1; j < size; j++)
			if (px_json_equal(json_array_get(v, i),
					  json_array_get(v, j)))
				return failf(st,
					     "expected unique items: items %zu "
					     "and %zu are equal",
					     i, j);
	if (!n->contains)
		return 1;
	for (i = 0; i < size; i++)
		matches += quietly(st, n->contains, json_array_get(v, i));
	if (matches < n->min_contains)
		return failf(st,
			     "expected at least %zu item%s matching "
			     "\"contains\"",
			     n->min_contains, n->min_contains == 1 ? "" : "s");
	if (matches > n->max_contains)
		return failf(st,
			     "expected at most %zu item%s matching "
			     "\"contains\"",
			     n->max_contains, n->max_contains == 1 ? "" : "s");
	return 1;
}

static int cmp_name(const void *key, const void *p)
{
	return strcmp(key, ((const struct px_sprop *)p)->name);
}

static int check_member(struct state *st, const px_snode *n, const char *k,
			const json_t *e)
{
	const struct px_sprop *p =
	    n->nprops ? bsearch(k, n->props, n->nprops, sizeof(*p), cmp_name)
		      : NULL;
	size_t klen = strlen(k);
	int matched = p != NULL;

	if (p && !check_at(st, p->schema, e, push(st, k, klen)))
		return 0;
	for (size_t i = 0; i < n->npprops; i++) {
		if (regexec(&n->pprops[i].re, k, 0, NULL, 0))
			continue;
		matched = 1;
		if (!check_at(st, n->pprops[i].schema, e, push(st, k, klen)))
			return 0;
	}
	if (matched || !n->additional)
		return 1;
	if (!n->additional->always) {
		size_t old = push(st, k, klen);

		const char *names[64], *near;
		char list[512];
		size_t nn = 0;

		/* A misspelt column alias: name the field it probably is. */
		for (size_t i = 0; i < n->nprops && nn < 64; i++)
			if (strcmp(n->props[i].name, "source") &&
			    strcmp(n->props[i].name, "category"))
				names[nn++] = n->props[i].name;
		near = px_nearest(k, names, nn);
		px_list_join(names, nn, list, sizeof(list));
		failf(st,
		      "not allowed: field \"%s\" is not in the schema%s%s%s; "
		      "valid fields: %s",
		      k, near ? " (did you mean \"" : "", near ? near : "",
		      near ? "\"?)" : "", nn ? list : "none");
		st->len = old;
		return 0;
	}
	return check_at(st, n->additional, e, push(st, k, klen));
}

/* Each name of `names` (array of strings) must be a member of v. */
static int check_required(struct state *st, const json_t *names,
			  const json_t *v)
{
	const json_t *name;
	size_t i;

	json_array_foreach (names, i, name) {
		if (!json_object_get(v, json_string_value(name))) {
			size_t old = push(st, json_string_value(name),
					  json_string_length(name));

			failf(st, "required field missing");
			st->len = old;
			return 0;
		}
	}
	return 1;
}

static int check_object(struct state *st, const px_snode *n, const json_t *v)
{
	const char *k;
	const json_t *e;
	size_t size = json_object_size(v);

	if (n->required && !check_required(st, n->required, v))
		return 0;
	if (size < n->min_props)
		return failf(st, "expected at least %zu field%s", n->min_props,
			     n->min_props == 1 ? "" : "s");
	if (size > n->max_props)
		return failf(st, "expected at most %zu field%s", n->max_props,
			     n->max_props == 1 ? "" : "s");
	json_object_foreach ((json_t *)v, k, e) {
		if (!check_member(st, n, k, e))
			return 0;
		if (n->property_names) {
			json_t *name = json_string(k); /* rare: allocates */
			int ok = name && check_at(st, n->property_names, name,
						  push(st, k, strlen(k)));

			json_decref(name);
			if (!ok)
				return 0;
		}
	}
	for (size_t i = 0; i < n->ndeps; i++) {
		if (!json_object_get(v, n->deps[i].name))
			continue;
		if (n->deps[i].required &&
		    !check_required(st, n->deps[i].required, v))
			return 0;
		if (n->deps[i].schema && !check(st, n->deps[i].schema, v))
			return 0;
	}
	return 1;
}

static int check_enum_const(struct state *st, const px_snode *n,
			    const json_t *v)
{
	const json_t *e;
	size_t i;

	if (n->const_value && !px_json_equal(n->const_value, v))
		return failf(st, "%s", n->const_msg);
	if (!n->enum_values)
		return 1;
	json_array_foreach (n->enum_values, i, e) {
		if (px_json_equal(e, v))
			return 1;
	}
	return failf(st, "%s", n->enum_msg);
}

static int check_applicators(struct state *st, const px_snode *n,
			     const json_t *v)
{
	size_t i, hits = 0, first = 0;

	for (i = 0; i < n->all_of.n; i++)
		if (!check(st, n->all_of.at[i], v))
			return 0;
	for (i = 0; i < n->any_of.n; i++)
		if (quietly(st, n->any_of.at[i], v))
			break;
	if (n->any_of.n && i == n->any_of.n)
		return failf(st,
			     "expected a value matching at least one of "
			     "the %zu forms allowed (anyOf)",
			     n->any_of.n);
	for (i = 0; i < n->one_of.n; i++) {
		if (!quietly(st, n->one_of.at[i], v))
			continue;
		if (hits++)
			return failf(st,
				     "expected a value matching exactly "
				     "one form (oneOf), but it matches "
				     "forms %zu and %zu",
				     first, i);
		first = i;
	}
	if (n->one_of.n && !hits)
		return failf(st,
			     "expected a value matching one of the %zu "
			     "forms allowed (oneOf)",
			     n->one_of.n);
	if (n->not_schema && quietly(st, n->not_schema, v))
		return failf(st, "expected a value that does not match the "
				 "form forbidden here (not)");
	if (n->if_schema) {
		const px_snode *branch = quietly(st, n->if_schema, v)
					     ? n->then_schema
					     : n->else_schema;

		if (branch && !check(st, branch, v))
			return 0;
	}
	return 1;
}

static int check(struct state *st, const px_snode *n, const json_t *v)
{
	int ok;

	if (n->always >= 0)
		return n->always ? 1 : failf(st, "no value is allowed here");
	if (++st->depth > MAX_DEPTH) {
		st->depth--;
		return failf(st, "schema too deeply nested or recursive");
	}
	ok = check_type(st, n, v) && check_enum_const(st, n, v) &&
	     check_number(st, n, v) && check_string(st, n, v) &&
	     (!json_is_array(v) || check_items(st, n, v)) &&
	     (!json_is_object(v) || check_object(st, n, v)) &&
	     (!n->ref || check(st, n->ref, v)) && check_applicators(st, n, v);
	st->depth--;
	return ok;
}

int px_validator_check(px_validator *v, const json_t *instance,
		       px_schema_fail *fail)
{
	struct state st;

	st.fail = fail;
	st.len = 0;
	st.depth = 0;
	if (fail) {
		fail->path[0] = '\0';
		fail->msg[0] = '\0';
	}
	return check(&st, v->start, instance);
}
