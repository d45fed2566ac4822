/*
 * schema_value.c - how the validator sees JSON values: their types, their
 * numeric value, and equality in the JSON Schema sense (1 == 1.0).
 *
 * A px_decimal (exact digits from a driver, see connector.h) is a number
 * here, not a string, so that a record can be checked before the
 * normaliser turns its decimals into their final form.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "portex/connector.h"
#include "schema/schema_node.h"

int px_json_number(const json_t *v, long double *out)
{
	const char *digits;

	if (json_is_integer(v)) {
		/* long double holds every 64-bit integer exactly on x86-64;
		 * elsewhere equality falls back to integers (px_json_equal) */
		*out = (long double)json_integer_value(v);
		return 1;
	}
	if (json_is_real(v)) {
		*out = json_real_value(v);
		return 1;
	}
	digits = px_decimal_digits(v);
	if (!digits)
		return 0;
	*out = strtold(digits, NULL);
	return 1;
}

unsigned px_json_types(const json_t *v)
{
	long double x;

	switch (json_typeof(v)) {
	case JSON_NULL:
		return PX_T_NULL;
	case JSON_TRUE:
	case JSON_FALSE:
		return PX_T_BOOLEAN;
	case JSON_OBJECT:
		return PX_T_OBJECT;
	case JSON_ARRAY:
		return PX_T_ARRAY;
	case JSON_INTEGER:
		return PX_T_NUMBER | PX_T_INTEGER;
	case JSON_STRING:
		if (!px_decimal_digits(v))
			return PX_T_STRING;
		break;
	case JSON_REAL:
		break;
	}
	px_json_number(v, &x);
	return PX_T_NUMBER | (isfinite(x) && floorl(x) == x ? PX_T_INTEGER : 0);
}

static int objects_equal(const json_t *a, const json_t *b)
{
	const char *k;
	const json_t *e, *f;

	if (json_object_size(a) != json_object_size(b))
		return 0;
	json_object_foreach ((json_t *)a, k, e) {
		f = json_object_getn(
		    b, k, json_object_iter_key_len(json_object_key_to_iter(k)));
		if (!f || !px_json_equal(e, f))
			return 0;
	}
	return 1;
}

int px_json_equal(const json_t *a, const json_t *b)
{
	long double x, y;
	size_t i;

	if (px_json_number(a, &x)) {
		if (!px_json_number(b, &y))
			return 0;
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		return x == y;
	}
	if (px_json_number(b, &y) || json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       !memcmp(json_string_value(a), json_string_value(b),
			       json_string_length(a));
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++)
			if (!px_json_equal(json_array_get(a, i),
					   json_array_get(b, i)))
				return 0;
		return 1;
	case JSON_OBJECT:
		return objects_equal(a, b);
	default: /* true, false, null: same type is same value */
		return 1;
	}
}
