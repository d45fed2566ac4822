/*
 * schema_scalar.c - see scalar.h. Each check mirrors the one of
 * schema_check.c for the same keyword; anything it does not mirror makes
 * the answer 0 ("ask the validator").
 */
#include "schema/scalar.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema_node.h"

/* Keywords that need the value itself (applicators, references). */
static int needs_value(const px_snode *n)
{
	return n->ref || n->all_of.n || n->any_of.n || n->one_of.n ||
	       n->not_schema || n->if_schema || n->multiple_of.set;
}

int px_validator_plain_object(const px_validator *v)
{
	const px_snode *n = v->start;

	return n->always < 0 && n->types == PX_T_OBJECT && !needs_value(n) &&
	       !n->npprops && !n->property_names && !n->min_props &&
	       n->max_props == PX_NO_LIMIT && !n->ndeps && !n->enum_values &&
	       !n->const_value &&
	       (!n->additional || n->additional->always >= 0);
}

const px_scalar *px_validator_property(const px_validator *v, const char *name)
{
	const px_snode *n = v->start;

	for (size_t i = 0; i < n->nprops; i++)
		if (!strcmp(n->props[i].name, name))
			return n->props[i].schema;
	return NULL;
}

const json_t *px_validator_required(const px_validator *v)
{
	return v->start->required;
}

int px_scalar_any(const px_scalar *p)
{
	const px_snode *n = p;

	if (n->always >= 0)
		return n->always;
	return !n->types && !needs_value(n) && !n->enum_values &&
	       !n->const_value && !n->nprops && !n->required && !n->npprops &&
	       !n->additional && !n->property_names && !n->min_props &&
	       n->max_props == PX_NO_LIMIT && !n->ndeps && !n->prefix.n &&
	       !n->items && !n->min_items && n->max_items == PX_NO_LIMIT &&
	       !n->unique && !n->contains && !n->min_len &&
	       n->max_len == PX_NO_LIMIT && !n->has_pattern && !n->min.set &&
	       !n->max.set && !n->xmin.set && !n->xmax.set && !n->format_check;
}

/* 1 when a value of type bits `t` passes "type", and nothing else of the
 * node needs more than the checks below. */
static int simple(const px_snode *n, unsigned t)
{
	if (n->always >= 0)
		return -1; /* true or false schema: decided by always */
	if (needs_value(n))
		return 0;
	return !n->types || (n->types & t);
}

static int decided(const px_snode *n, unsigned t, int *ok)
{
	int s = simple(n, t);

	if (s < 0)
		*ok = n->always;
	else if (!s)
		*ok = 0;
	return s <= 0;
}

static int bounds_ok(const px_snode *n, long double x)
{
	return (!n->min.set || x >= n->min.v) &&
	       (!n->max.set || x <= n->max.v) &&
	       (!n->xmin.set || x > n->xmin.v) &&
	       (!n->xmax.set || x < n->xmax.v);
}

/* The const and enum of n, when set, hold a value eq() says is ours. */
static int listed(const px_snode *n, int (*eq)(const json_t *, const void *),
		  const void *x)
{
	const json_t *e;
	size_t i;

	if (n->const_value && !eq(n->const_value, x))
		return 0;
	if (!n->enum_values)
		return 1;
	json_array_foreach (n->enum_values, i, e)
		if (eq(e, x))
			return 1;
	return 0;
}

struct text {
	const char *s;
	size_t len;
};

static int same_text(const json_t *e, const void *x)
{
	const struct text *t = x;

	return json_is_string(e) && json_string_length(e) == t->len &&
	       !memcmp(json_string_value(e), t->s, t->len);
}

static int same_boolean(const json_t *e, const void *x)
{
	return json_is_boolean(e) && json_is_true(e) == *(const int *)x;
}

/* A string passes the anyOf of n when it is sure to pass one branch
 * (anyOf [{"format": "ipv4"}, {"format": "ipv6"}]). */
static int any_of_string_ok(const px_snode *n, const char *s, size_t len)
{
	for (size_t i = 0; i < n->any_of.n; i++)
		if (px_scalar_string_ok(n->any_of.at[i], s, len) == 1)
			return 1;
	return 0;
}

int px_scalar_string_ok(const px_scalar *p, const char *s, size_t len)
{
	const px_snode *n = p;
	struct text t = {s, len};

	if (n->always >= 0)
		return n->always;
	/* anyOf is the one applicator mirrored, for strings. */
	if (n->ref || n->all_of.n || n->one_of.n || n->not_schema ||
	    n->if_schema || n->multiple_of.set)
		return 0;
	if (n->types && !(n->types & PX_T_STRING))
		return 0;
	if (n->any_of.n && !any_of_string_ok(n, s, len))
		return 0;
	if (!listed(n, same_text, &t))
		return 0;
	if (n->min_len || n->max_len != PX_NO_LIMIT) {
		size_t cp = 0;
		for (size_t i = 0; i < len; i++)
			cp += ((unsigned char)s[i] & 0xC0) != 0x80;
		if (cp < n->min_len || cp > n->max_len)
			return 0;
	}
	if (n->has_pattern &&
	    (n->pattern_fast ? !n->pattern_fast(s)
			     : regexec(&n->pattern, s, 0, NULL, 0) != 0))
		return 0;
	/* The formats the validator asserts (email, ipv4, ipv6). */
	if (n->format_check && !n->format_check(s))
		return 0;
	return 1;
}

/* Numbers: an enum or const of numbers compares 1 == 1.0; left to the
 * validator. */
static int number_ok(const px_snode *n, unsigned t, long double x)
{
	int ok;

	if (decided(n, t, &ok))
		return ok;
	if (n->const_value || n->enum_values)
		return 0;
	return bounds_ok(n, x);
}

int px_scalar_integer_ok(const px_scalar *p, long long v)
{
	return number_ok(p, PX_T_INTEGER | PX_T_NUMBER, (long double)v);
}

int px_scalar_real_ok(const px_scalar *p, double d)
{
	unsigned t = PX_T_NUMBER;

	if (!isfinite(d))
		return 0;
	if (d == floor(d))
		t |= PX_T_INTEGER; /* "integer" accepts 1.0 */
	return number_ok(p, t, (long double)d);
}

int px_scalar_decimal_ok(const px_scalar *p, const char *digits)
{
	long double x = strtold(digits, NULL);
	unsigned t = PX_T_NUMBER;

	if (isfinite(x) && floorl(x) == x)
		t |= PX_T_INTEGER;
	return number_ok(p, t, x);
}

int px_scalar_boolean_ok(const px_scalar *p, int b)
{
	const px_snode *n = p;
	int ok, v = !!b;

	if (decided(n, PX_T_BOOLEAN, &ok))
		return ok;
	return listed(n, same_boolean, &v);
}
