/*
 * schema_node.h - a JSON Schema compiled into a graph of nodes. Private to
 * the validator: schema.c builds it, schema_check.c walks it.
 *
 * Compiling once turns keyword lookups, regcomp() and message building
 * into work done per schema, not per record: px_validator_check() then
 * runs without allocating. A "$ref" is a pointer to the node it names, so
 * recursive schemas are cycles in the graph, not infinite trees.
 */
#ifndef PX_SCHEMA_NODE_H
#define PX_SCHEMA_NODE_H

#include "schema/pattern_fast.h"
#include <jansson.h>
#include <regex.h>
#include <stddef.h>

/* Instance types, as bits; an integer instance is also a number. */
enum {
	PX_T_NULL = 1,
	PX_T_BOOLEAN = 2,
	PX_T_OBJECT = 4,
	PX_T_ARRAY = 8,
	PX_T_NUMBER = 16,
	PX_T_STRING = 32,
	PX_T_INTEGER = 64,
};

#define PX_NO_LIMIT ((size_t)-1)

struct px_snode;

struct px_sprop { /* properties: sorted by name for bsearch */
	const char *name;
	struct px_snode *schema;
};

struct px_spattern { /* patternProperties */
	regex_t re;
	const char *src;
	struct px_snode *schema;
};

struct px_sbound { /* minimum, maximum, exclusive* */
	int set;
	long double v;
	char text[48]; /* the bound as written, for messages */
};

struct px_slist { /* allOf, anyOf, oneOf, prefixItems */
	struct px_snode **at;
	size_t n;
};

struct px_sdep { /* dependentRequired / dependentSchemas */
	const char *name;
	const json_t *required;	 /* array of names, or NULL */
	struct px_snode *schema; /* or NULL */
};

typedef struct px_snode {
	int always;	/* -1: a schema object; 1: true; 0: false */
	unsigned types; /* PX_T_* bits; 0 when "type" is absent */
	const char *format;
	px_pattern_fn format_check; /* asserted formats only, else NULL */

	/* objects */
	struct px_sprop *props;
	size_t nprops;
	const json_t *required; /* array of strings, or NULL */
	struct px_spattern *pprops;
	size_t npprops;
	struct px_snode *additional;
	struct px_snode *property_names;
	size_t min_props, max_props;
	struct px_sdep *deps;
	size_t ndeps;

	/* arrays */
	struct px_slist prefix;
	struct px_snode *items;
	size_t min_items, max_items;
	int unique;
	struct px_snode *contains;
	size_t min_contains, max_contains;

	/* strings */
	size_t min_len, max_len; /* in code points */
	int has_pattern;
	regex_t pattern; /* compiled only when pattern_fast is NULL */
	const char *pattern_src;
	px_pattern_fn pattern_fast; /* answers as regexec would, or NULL */

	/* numbers */
	struct px_sbound min, max, xmin, xmax, multiple_of;

	/* any type */
	const json_t *enum_values;
	const json_t *const_value;
	char *enum_msg, *const_msg;
	struct px_slist all_of, any_of, one_of;
	struct px_snode *not_schema;
	struct px_snode *ref;
	struct px_snode *if_schema, *then_schema, *else_schema;

	struct px_snode *next; /* every node of a validator, for freeing */
} px_snode;

struct px_validator {
	json_t *root; /* our reference: names and patterns point into it */
	px_snode *start;
	px_snode *nodes;
};

/* Deep equality where 1 == 1.0 (and a px_decimal equals its number). */
int px_json_equal(const json_t *a, const json_t *b);

/* The PX_T_* bits of an instance (a px_decimal counts as a number). */
unsigned px_json_types(const json_t *v);

/* 1 and *out set when v is a number (integer, real or px_decimal). */
int px_json_number(const json_t *v, long double *out);

#endif
