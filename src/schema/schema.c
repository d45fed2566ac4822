/*
 * schema.c - compiles a JSON Schema (2020-12) into the node graph of
 * schema_node.h; schema_check.c evaluates it.
 *
 * Everything costly happens here, once per schema: keywords are looked up,
 * patterns regcomp()'d, "$ref"s resolved to nodes, messages for enum and
 * const written. A keyword of 2020-12 that this validator does not
 * implement makes the schema unusable rather than silently ignored: a
 * schema that asks for a check we would skip must not pass records.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "jsonout.h"
#include "portex/schema.h"
#include "schema/scalar.h"
#include "schema/schema_node.h"

#define WHERE_MAX 256

struct memo {
	const json_t *json;
	px_snode *node;
};

struct compiler {
	const json_t *root;
	px_validator *v;
	px_error *err;
	struct memo *memo; /* schema JSON -> its node: $ref cycles, reuse */
	size_t nmemo, cap;
};

/* Known 2020-12 keywords that would change the result, but that portex
 * does not implement. */
static const char *const unsupported[] = {
    "$anchor",
    "$dynamicAnchor",
    "$dynamicRef",
    "$recursiveRef",
    "$recursiveAnchor",
    "unevaluatedItems",
    "unevaluatedProperties",
    NULL,
};

static px_snode *compile(struct compiler *c, const json_t *s,
			 const char *where);

static int bad(struct compiler *c, const char *where, const char *what)
{
	return px_error_set(c->err, PX_EXIT_SOFTWARE, "schema #%s: %s", where,
			    what);
}

/* where + "/" + key, escaped as a JSON pointer token. */
static void join(char *out, const char *where, const char *key)
{
	size_t n = strlen(where);

	if (n >= WHERE_MAX - 1) {
		snprintf(out, WHERE_MAX, "%s", where);
		return;
	}
	memcpy(out, where, n);
	out[n++] = '/';
	for (; *key && n < WHERE_MAX - 3; key++) {
		if (*key == '~' || *key == '/') {
			out[n++] = '~';
			out[n++] = *key == '~' ? '0' : '1';
		} else {
			out[n++] = *key;
		}
	}
	out[n] = '\0';
}

static void join_index(char *out, const char *where, size_t i)
{
	char idx[24];

	snprintf(idx, sizeof(idx), "%zu", i);
	join(out, where, idx);
}

static px_snode *child(struct compiler *c, const json_t *s, const char *where,
		       const char *key)
{
	char w[WHERE_MAX];

	join(w, where, key);
	return compile(c, s, w);
}

/* Non-negative integer keyword (2.0 counts as 2). */
static int get_count(struct compiler *c, const json_t *s, const char *key,
		     const char *where, size_t *out)
{
	const json_t *j = json_object_get(s, key);
	long double x;

	if (!j)
		return 0;
	if (!px_json_number(j, &x) || x < 0 || floorl(x) != x ||
	    x > (long double)(PX_NO_LIMIT / 2)) {
		char w[WHERE_MAX];

		join(w, where, key);
		return bad(c, w, "expected a non-negative integer");
	}
	*out = (size_t)x;
	return 0;
}

static void number_text(const json_t *j, char *out, size_t size)
{
	if (json_is_integer(j)) {
		snprintf(out, size, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(j));
		return;
	}
	px_real_text(json_real_value(j), out, size);
}

static int get_bound(struct compiler *c, const json_t *s, const char *key,
		     const char *where, struct px_sbound *b)
{
	const json_t *j = json_object_get(s, key);

	if (!j)
		return 0;
	if (!json_is_number(j)) {
		char w[WHERE_MAX];

		join(w, where, key);
		return bad(c, w, "expected a number");
	}
	b->set = 1;
	px_json_number(j, &b->v);
	number_text(j, b->text, sizeof(b->text));
	return 0;
}

static int get_schema(struct compiler *c, const json_t *s, const char *key,
		      const char *where, px_snode **out)
{
	const json_t *j = json_object_get(s, key);

	if (!j)
		return 0;
	*out = child(c, j, where, key);
	return *out ? 0 : -1;
}

static int get_list(struct compiler *c, const json_t *s, const char *key,
		    const char *where, struct px_slist *l)
{
	const json_t *j = json_object_get(s, key), *e;
	char w[WHERE_MAX], wi[WHERE_MAX];
	size_t i;

	if (!j)
		return 0;
	join(w, where, key);
	if (!json_is_array(j) ||
	    (!json_array_size(j) && strcmp(key, "prefixItems")))
		return bad(c, w, "expected a non-empty array of schemas");
	l->n = json_array_size(j);
	l->at = calloc(l->n ? l->n : 1, sizeof(*l->at));
	if (!l->at)
		return px_error_oom(c->err);
	json_array_foreach (j, i, e) {
		join_index(wi, w, i);
		l->at[i] = compile(c, e, wi);
		if (!l->at[i])
			return -1;
	}
	return 0;
}

static int get_types(struct compiler *c, const json_t *s, const char *where,
		     px_snode *n)
{
	static const char *const names[] = {"null",   "boolean", "object",
					    "array",  "number",	 "string",
					    "integer"};
	const json_t *t = json_object_get(s, "type"), *e;
	size_t i, k, count = json_is_array(t) ? json_array_size(t) : 1;
	char w[WHERE_MAX];

	if (!t)
		return 0;
	join(w, where, "type");
	for (i = 0; i < count; i++) {
		e = json_is_array(t) ? json_array_get(t, i) : t;
		for (k = 0; k < 7; k++)
			if (json_is_string(e) &&
			    !strcmp(json_string_value(e), names[k]))
				break;
		if (k == 7)
			return bad(c, w,
				   "expected a type name or an array "
				   "of them");
		n->types |= 1u << k;
	}
	return 0;
}

/* s[key], which must be an object when present (*out NULL when absent);
 * w receives its location. */
static int object_kw(struct compiler *c, const json_t *s, const char *key,
		     const char *where, char *w, const json_t **out)
{
	*out = json_object_get(s, key);
	join(w, where, key);
	if (*out && !json_is_object(*out))
		return bad(c, w, "expected an object of schemas");
	return 0;
}

static int cmp_prop(const void *a, const void *b)
{
	return strcmp(((const struct px_sprop *)a)->name,
		      ((const struct px_sprop *)b)->name);
}

static int get_properties(struct compiler *c, const json_t *s,
			  const char *where, px_snode *n)
{
	const json_t *j, *e;
	char w[WHERE_MAX];
	const char *k;

	if (object_kw(c, s, "properties", where, w, &j))
		return -1;
	if (!j)
		return 0;
	n->props = calloc(json_object_size(j) + 1, sizeof(*n->props));
	if (!n->props)
		return px_error_oom(c->err);
	json_object_foreach ((json_t *)j, k, e) {
		n->props[n->nprops].name = k;
		n->props[n->nprops].schema = child(c, e, w, k);
		if (!n->props[n->nprops++].schema)
			return -1;
	}
	qsort(n->props, n->nprops, sizeof(*n->props), cmp_prop);
	return 0;
}

static int compile_regex(struct compiler *c, regex_t *re, const char *src,
			 const char *where)
{
	char msg[160], buf[320];
	int rc = regcomp(re, src, REG_EXTENDED | REG_NOSUB);

	if (!rc)
		return 0;
	regerror(rc, re, msg, sizeof(msg));
	snprintf(buf, sizeof(buf), "invalid pattern %s: %s", src, msg);
	return bad(c, where, buf);
}

static int get_pattern_properties(struct compiler *c, const json_t *s,
				  const char *where, px_snode *n)
{
	const json_t *j, *e;
	char w[WHERE_MAX];
	const char *k;

	if (object_kw(c, s, "patternProperties", where, w, &j))
		return -1;
	if (!j)
		return 0;
	n->pprops = calloc(json_object_size(j) + 1, sizeof(*n->pprops));
	if (!n->pprops)
		return px_error_oom(c->err);
	json_object_foreach ((json_t *)j, k, e) {
		struct px_spattern *p = &n->pprops[n->npprops];

		if (compile_regex(c, &p->re, k, w))
			return -1;
		n->npprops++; /* compiled: px_validator_free() regfree()s it */
		p->src = k;
		p->schema = child(c, e, w, k);
		if (!p->schema)
			return -1;
	}
	return 0;
}

static int names_array(const json_t *a)
{
	const json_t *e;
	size_t i;

	if (!json_is_array(a))
		return 0;
	json_array_foreach (a, i, e) {
		if (!json_is_string(e))
			return 0;
	}
	return 1;
}

static int get_deps(struct compiler *c, const json_t *s, const char *where,
		    px_snode *n)
{
	const json_t *req = json_object_get(s, "dependentRequired");
	const json_t *sch, *e;
	char wr[WHERE_MAX], ws[WHERE_MAX], wk[WHERE_MAX];
	const char *k;

	/* each keyword named in its own error, whichever of the two is bad */
	join(wr, where, "dependentRequired");
	if (req && !json_is_object(req))
		return bad(c, wr, "expected an object");
	if (object_kw(c, s, "dependentSchemas", where, ws, &sch))
		return -1;
	if (!req && !sch)
		return 0;
	n->deps = calloc(json_object_size(req) + json_object_size(sch) + 1,
			 sizeof(*n->deps));
	if (!n->deps)
		return px_error_oom(c->err);
	json_object_foreach ((json_t *)req, k, e) {
		join(wk, wr, k);
		if (!names_array(e))
			return bad(c, wk, "expected an array of names");
		n->deps[n->ndeps].name = k;
		n->deps[n->ndeps++].required = e;
	}
	json_object_foreach ((json_t *)sch, k, e) {
		n->deps[n->ndeps].name = k;
		n->deps[n->ndeps].schema = child(c, e, ws, k);
		if (!n->deps[n->ndeps++].schema)
			return -1;
	}
	return 0;
}

/* "expected one of: a, b" - strings bare, other values as JSON. */
static char *values_msg(const char *lead, const json_t *values)
{
	char buf[480];
	size_t len = 0, i;
	const json_t *e;

	len = (size_t)snprintf(buf, sizeof(buf), "%s", lead);
	json_array_foreach (values, i, e) {
		char *text = NULL;
		const char *show;

		if (json_is_string(e)) {
			show = json_string_value(e);
		} else {
			text = json_dumps(e, JSON_ENCODE_ANY | JSON_COMPACT);
			show = text ? text : "?";
		}
		if (len < sizeof(buf))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						"%s%s", i ? ", " : "", show);
		free(text);
	}
	if (len >= sizeof(buf))
		memcpy(buf + sizeof(buf) - 4, "...", 4);
	return strdup(buf);
}

static int get_enum_const(struct compiler *c, const json_t *s,
			  const char *where, px_snode *n)
{
	const json_t *e = json_object_get(s, "enum");
	const json_t *k = json_object_get(s, "const");
	char w[WHERE_MAX];

	if (e) {
		join(w, where, "enum");
		if (!json_is_array(e))
			return bad(c, w, "expected an array");
		n->enum_values = e;
		n->enum_msg = values_msg("expected one of: ", e);
		if (!n->enum_msg)
			return px_error_oom(c->err);
	}
	if (k) {
		json_t *one = json_pack("[O]", k);

		n->const_value = k;
		n->const_msg =
		    one ? values_msg("expected exactly: ", one) : NULL;
		json_decref(one);
		if (!n->const_msg)
			return px_error_oom(c->err);
	}
	return 0;
}

/* Resolves "#/a/b" (a URI fragment holding a JSON pointer) in root. */
static const json_t *resolve_ref(const json_t *root, const char *ref)
{
	char tok[WHERE_MAX];
	const json_t *at = root;
	const char *p = ref + 1;

	while (*p == '/' && at) {
		size_t n = 0;

		for (p++; *p && *p != '/'; p++) {
			char ch = *p;

			if (ch == '%' && p[1] && p[2]) {
				char hex[3] = {p[1], p[2], 0};

				ch = (char)strtol(hex, NULL, 16);
				p += 2;
			}
			if (ch == '~' && (p[1] == '0' || p[1] == '1'))
				ch = *++p == '0' ? '~' : '/';
			if (n + 1 >= sizeof(tok))
				return NULL;
			tok[n++] = ch;
		}
		tok[n] = '\0';
		if (json_is_object(at)) {
			at = json_object_getn(at, tok, n);
		} else if (json_is_array(at) && n &&
			   strspn(tok, "0123456789") == n &&
			   (tok[0] != '0' || n == 1)) {
			at = json_array_get(at, strtoul(tok, NULL, 10));
		} else {
			at = NULL;
		}
	}
	return *p ? NULL : at;
}

static int get_ref(struct compiler *c, const json_t *s, const char *where,
		   px_snode *n)
{
	const json_t *r = json_object_get(s, "$ref"), *target;
	char w[WHERE_MAX], buf[WHERE_MAX + 64];

	if (!r)
		return 0;
	join(w, where, "$ref");
	if (!json_is_string(r))
		return bad(c, w, "expected a string");
	if (json_string_value(r)[0] != '#') {
		snprintf(buf, sizeof(buf),
			 "only local references (#/...) are supported, not %s",
			 json_string_value(r));
		return bad(c, w, buf);
	}
	target = resolve_ref(c->root, json_string_value(r));
	if (!target) {
		snprintf(buf, sizeof(buf), "%s names nothing in the schema",
			 json_string_value(r));
		return bad(c, w, buf);
	}
	n->ref = compile(c, target, json_string_value(r) + 1);
	return n->ref ? 0 : -1;
}

/* $defs are compiled even when unused, so a broken one is found now. */
static int get_defs(struct compiler *c, const json_t *s, const char *where)
{
	const json_t *d, *e;
	char w[WHERE_MAX];
	const char *k;

	if (object_kw(c, s, "$defs", where, w, &d))
		return -1;
	json_object_foreach ((json_t *)d, k, e) {
		if (!child(c, e, w, k))
			return -1;
	}
	return 0;
}

static int check_keywords(struct compiler *c, const json_t *s,
			  const char *where)
{
	const json_t *sch = json_object_get(s, "$schema");
	char buf[160];

	for (size_t i = 0; unsupported[i]; i++) {
		if (json_object_get(s, unsupported[i])) {
			snprintf(buf, sizeof(buf),
				 "keyword %s is not supported", unsupported[i]);
			return bad(c, where, buf);
		}
	}
	if (s != c->root && json_object_get(s, "$id"))
		return bad(c, where, "$id is supported at the root only");
	if (sch &&
	    (!json_is_string(sch) ||
	     strncmp(json_string_value(sch),
		     "https://json-schema.org/draft/2020-12/schema", 44) ||
	     strspn(json_string_value(sch) + 44, "#") !=
		 strlen(json_string_value(sch) + 44)))
		return bad(c, where, "only JSON Schema 2020-12 is supported");
	return 0;
}

static int compile_object(struct compiler *c, const json_t *s,
			  const char *where, px_snode *n)
{
	const json_t *req = json_object_get(s, "required");
	const json_t *fmt = json_object_get(s, "format");
	char w[WHERE_MAX];

	if (check_keywords(c, s, where) || get_types(c, s, where, n) ||
	    get_enum_const(c, s, where, n))
		return -1;
	if (req) {
		join(w, where, "required");
		if (!names_array(req))
			return bad(c, w, "expected an array of names");
		n->required = req;
	}
	n->format = json_is_string(fmt) ? json_string_value(fmt) : NULL;
	n->format_check = px_format_check(n->format);
	if (get_properties(c, s, where, n) ||
	    get_pattern_properties(c, s, where, n) ||
	    get_schema(c, s, "additionalProperties", where, &n->additional) ||
	    get_schema(c, s, "propertyNames", where, &n->property_names) ||
	    get_count(c, s, "minProperties", where, &n->min_props) ||
	    get_count(c, s, "maxProperties", where, &n->max_props) ||
	    get_deps(c, s, where, n))
		return -1;
	if (get_list(c, s, "prefixItems", where, &n->prefix) ||
	    get_schema(c, s, "items", where, &n->items) ||
	    get_count(c, s, "minItems", where, &n->min_items) ||
	    get_count(c, s, "maxItems", where, &n->max_items) ||
	    get_schema(c, s, "contains", where, &n->contains) ||
	    get_count(c, s, "minContains", where, &n->min_contains) ||
	    get_count(c, s, "maxContains", where, &n->max_contains))
		return -1;
	n->unique = json_is_true(json_object_get(s, "uniqueItems"));
	if (get_count(c, s, "minLength", where, &n->min_len) ||
	    get_count(c, s, "maxLength", where, &n->max_len) ||
	    get_bound(c, s, "minimum", where, &n->min) ||
	    get_bound(c, s, "maximum", where, &n->max) ||
	    get_bound(c, s, "exclusiveMinimum", where, &n->xmin) ||
	    get_bound(c, s, "exclusiveMaximum", where, &n->xmax) ||
	    get_bound(c, s, "multipleOf", where, &n->multiple_of))
		return -1;
	if (n->multiple_of.set && !(n->multiple_of.v > 0)) {
		join(w, where, "multipleOf");
		return bad(c, w, "expected a number > 0");
	}
	if (json_is_string(json_object_get(s, "pattern"))) {
		n->pattern_src =
		    json_string_value(json_object_get(s, "pattern"));
		join(w, where, "pattern");
		/* A pattern with a matcher of its own needs no regex: the
		 * timestamps' one alone was compiled ~20 times per export. */
		n->pattern_fast = px_pattern_fast(n->pattern_src);
		if (!n->pattern_fast &&
		    compile_regex(c, &n->pattern, n->pattern_src, w))
			return -1;
		n->has_pattern = 1;
	}
	return get_list(c, s, "allOf", where, &n->all_of) ||
		       get_list(c, s, "anyOf", where, &n->any_of) ||
		       get_list(c, s, "oneOf", where, &n->one_of) ||
		       get_schema(c, s, "not", where, &n->not_schema) ||
		       get_schema(c, s, "if", where, &n->if_schema) ||
		       get_schema(c, s, "then", where, &n->then_schema) ||
		       get_schema(c, s, "else", where, &n->else_schema) ||
		       get_ref(c, s, where, n) || get_defs(c, s, where)
		   ? -1
		   : 0;
}

static px_snode *compile(struct compiler *c, const json_t *s, const char *where)
{
	px_snode *n;

	for (size_t i = 0; i < c->nmemo; i++)
		if (c->memo[i].json == s)
			return c->memo[i].node;
	if (!json_is_object(s) && !json_is_boolean(s)) {
		bad(c, where, "expected a schema (an object or a boolean)");
		return NULL;
	}
	struct memo *m = px_grow(c->memo, &c->cap, c->nmemo, sizeof(*m), 32);
	if (!m) {
		px_error_oom(c->err);
		return NULL;
	}
	c->memo = m;
	n = calloc(1, sizeof(*n));
	if (!n) {
		px_error_oom(c->err);
		return NULL;
	}
	/* linked and remembered before its children: a $ref back to it
	 * finds it instead of compiling it again, forever */
	n->next = c->v->nodes;
	c->v->nodes = n;
	c->memo[c->nmemo].json = s;
	c->memo[c->nmemo++].node = n;
	n->max_props = n->max_items = n->max_contains = n->max_len =
	    PX_NO_LIMIT;
	n->min_contains = 1;
	if (json_is_boolean(s)) {
		n->always = json_is_true(s);
		return n;
	}
	n->always = -1;
	return compile_object(c, s, where, n) ? NULL : n;
}

px_validator *px_validator_new_at(const json_t *root, const char *pointer,
				  px_error *err)
{
	struct compiler c = {root, NULL, err, NULL, 0, 0};
	const json_t *start;
	char ref[WHERE_MAX + 2];

	snprintf(ref, sizeof(ref), "#%s", pointer);
	start = resolve_ref(root, ref);
	if (!start) {
		px_error_set(err, PX_EXIT_SOFTWARE,
			     "schema #%s: no such location", pointer);
		return NULL;
	}
	c.v = calloc(1, sizeof(*c.v));
	if (!c.v) {
		px_error_oom(err);
		return NULL;
	}
	c.v->root = json_incref((json_t *)root);
	c.v->start = compile(&c, start, pointer);
	free(c.memo);
	if (!c.v->start) {
		px_validator_free(c.v);
		return NULL;
	}
	return c.v;
}

px_validator *px_validator_new_property(const json_t *entity_schema,
					const char *name, px_error *err)
{
	char where[WHERE_MAX];

	join(where, "/properties/records/items/properties", name);
	return px_validator_new_at(entity_schema, where, err);
}

px_validator *px_validator_new(const json_t *schema, px_error *err)
{
	return px_validator_new_at(schema, "", err);
}

static void free_node(px_snode *n)
{
	for (size_t i = 0; i < n->npprops; i++)
		regfree(&n->pprops[i].re);
	if (n->has_pattern && !n->pattern_fast)
		regfree(&n->pattern);
	free(n->props);
	free(n->pprops);
	free(n->deps);
	free(n->prefix.at);
	free(n->all_of.at);
	free(n->any_of.at);
	free(n->one_of.at);
	free(n->enum_msg);
	free(n->const_msg);
	free(n);
}

void px_validator_free(px_validator *v)
{
	if (!v)
		return;
	while (v->nodes) {
		px_snode *next = v->nodes->next;

		free_node(v->nodes);
		v->nodes = next;
	}
	json_decref(v->root);
	free(v);
}
