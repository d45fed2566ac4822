/*
 * rowenc.c - see rowenc.h. The fast cases are those where the value is
 * already what the normaliser would leave: then the output is the same
 * bytes as the generic path's by construction (the same writers of
 * jsonout.c), and only the schema's checks remain (schema/scalar.h).
 * Whatever a declared conversion may change (money, dates, JSON text)
 * goes through the normaliser's JSON path; zone-less times through its
 * px_normaliser_timestamp(), the conversion that path makes.
 */
#include "encode/rowenc.h"

#include <stdlib.h>
#include <string.h>

#include "encode/jsoncopy.h"
#include "schema/scalar.h"
#include "timefmt.h"

struct slot {
	const char *name; /* borrowed from the schema */
	char *key;	  /* "name": as written; for a constant, with value */
	size_t keylen;
	int col; /* the statement's column, or -1 for source and category */
	px_nkind kind;
	const px_scalar *check;
	px_validator *whole; /* the field's own validator, built on need */
	int whole_failed;
	int required;
};

struct px_rowenc {
	const json_t *entity_schema, *props;
	px_validator *v;
	const px_normaliser *norm;
	struct slot *slots;
	size_t n_slots;
	px_error scratch;
};

int px_utf8_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned c = *p, v;
		size_t n;

		if (c < 0x80) {
			if (!c)
				return 0;
			p++;
			continue;
		}
		if (c < 0xC2 || c > 0xF4)
			return 0;
		n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
		if ((size_t)(end - p) < n)
			return 0;
		v = c & (0x7F >> n);
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return 0;
			v = (v << 6) | (p[i] & 0x3F);
		}
		if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
		    v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
			return 0;
		p += n;
	}
	return 1;
}

px_rowenc *px_rowenc_new(const json_t *entity_schema, px_validator *v,
			 const px_normaliser *norm)
{
	const json_t *items = json_object_get(
	    json_object_get(json_object_get(entity_schema, "properties"),
			    "records"),
	    "items");
	px_rowenc *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->entity_schema = entity_schema;
	e->props = json_object_get(items, "properties");
	e->v = v;
	e->norm = norm;
	e->slots = calloc(json_object_size(e->props) + 1, sizeof(*e->slots));
	if (!e->slots) {
		px_rowenc_free(e);
		return NULL;
	}
	return e;
}

static void clear_slots(px_rowenc *e)
{
	for (size_t i = 0; i < e->n_slots; i++) {
		free(e->slots[i].key);
		px_validator_free(e->slots[i].whole);
	}
	memset(e->slots, 0, e->n_slots * sizeof(*e->slots));
	e->n_slots = 0;
}

void px_rowenc_free(px_rowenc *e)
{
	if (!e)
		return;
	clear_slots(e);
	free(e->slots);
	free(e);
}

static int column_of(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return -1;
}

/* "name": (and the value, for a constant) as the generic path writes. */
static int key_text(struct slot *s, const json_t *constant)
{
	px_buf b = {0};
	int first = 1;

	if (px_json_append_member(&b, s->name,
				  constant ? constant : json_null(), &first)) {
		px_buf_free(&b);
		return -1;
	}
	s->key = b.data;
	s->keylen = constant ? b.len : b.len - 4; /* without the null */
	return 0;
}

/* 1 when every column is a field of the schema, once. */
static int columns_known(const px_rowenc *e, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (px_normaliser_kind(e->norm, names[i]) == PX_NK_NONE ||
		    !px_validator_property(e->v, names[i]) ||
		    column_of(names, i, names[i]) >= 0)
			return 0;
	}
	return 1;
}

static int mark_required(px_rowenc *e)
{
	const json_t *req = px_validator_required(e->v), *r;
	size_t i;

	json_array_foreach (req, i, r) {
		size_t k = 0;
		while (k < e->n_slots &&
		       strcmp(e->slots[k].name, json_string_value(r)))
			k++;
		if (k == e->n_slots)
			return 0; /* every row would fail: the generic path
				     says so */
		e->slots[k].required = 1;
	}
	return 1;
}

int px_rowenc_columns(px_rowenc *e, const char *const *names, size_t n)
{
	const char *k;
	json_t *ps;

	clear_slots(e);
	if (!px_validator_plain_object(e->v) || !columns_known(e, names, n))
		return 0;
	json_object_foreach ((json_t *)e->props, k, ps) {
		struct slot *s = &e->slots[e->n_slots];
		const json_t *constant =
		    !strcmp(k, "source")     ? px_normaliser_source(e->norm)
		    : !strcmp(k, "category") ? px_normaliser_category(e->norm)
					     : NULL;

		s->name = k;
		s->col = constant ? -1 : column_of(names, n, k);
		if (!constant && s->col < 0)
			continue; /* absent from every record */
		s->kind = px_normaliser_kind(e->norm, k);
		s->check = px_validator_property(e->v, k);
		e->n_slots++;
		if (key_text(s, constant))
			return -1;
		if (constant &&
		    !px_scalar_string_ok(s->check, json_string_value(constant),
					 json_string_length(constant)))
			return 0;
	}
	return mark_required(e);
}

static px_validator *field_validator(px_rowenc *e, struct slot *s)
{
	if (!s->whole && !s->whole_failed) {
		s->whole = px_validator_new_property(e->entity_schema, s->name,
						     &e->scratch);
		s->whole_failed = !s->whole;
	}
	return s->whole;
}

/* A value the normaliser converts: one JSON value, coerced and checked
 * against the field's schema. */
static int slow_value(px_rowenc *e, struct slot *s, const px_cell *c,
		      px_buf *out)
{
	json_t *v = px_cell_json(c), *cv;
	px_validator *fv;
	int rc = 1;

	if (!v)
		return 1;
	cv = px_normaliser_coerce(e->norm, s->name, v, &e->scratch);
	json_decref(v);
	if (!cv)
		return 1;
	fv = field_validator(e, s);
	if (fv && !json_is_null(cv) && px_validator_check(fv, cv, NULL))
		rc = px_json_append(out, cv) ? -1 : 0;
	json_decref(cv);
	return rc;
}

/* A time written without an offset ("2024-09-02 07:00:10", how SQLite
 * applications store it), read in the normaliser's zone. */
static int zoneless_value(px_rowenc *e, struct slot *s, const px_cell *c,
			  px_buf *out)
{
	char in[64], utc[48];
	size_t n;

	if (c->len >= sizeof(in))
		return slow_value(e, s, c, out);
	memcpy(in, c->text, c->len);
	in[c->len] = '\0';
	if (px_normaliser_timestamp(e->norm, in, utc, sizeof(utc)))
		return slow_value(e, s, c, out); /* which says why */
	n = strlen(utc);
	if (!px_scalar_string_ok(s->check, utc, n))
		return 1;
	return px_json_append_text(out, utc, n) ? -1 : 0;
}

static int text_value(px_rowenc *e, struct slot *s, const px_cell *c,
		      px_buf *out)
{
	if (!px_utf8_ok(c->text, c->len))
		return 1; /* the generic path names the column */
	switch (s->kind) {
	case PX_NK_JSON: /* JSON text, for a field that takes any value */
		if (px_scalar_any(s->check)) {
			int rc = px_json_copy(c->text, c->len, out);
			if (rc <= 0)
				return rc;
		}
		break;
	case PX_NK_TIMESTAMP:
		if (!px_is_rfc3339_utc(c->text, c->len))
			return zoneless_value(e, s, c, out);
		/* fall through */
	case PX_NK_ANY:
	case PX_NK_STRING:
		if (!px_scalar_string_ok(s->check, c->text, c->len))
			return 1;
		return px_json_append_text(out, c->text, c->len) ? -1 : 0;
	default:
		break;
	}
	return slow_value(e, s, c, out);
}

static int integer_value(px_rowenc *e, struct slot *s, const px_cell *c,
			 px_buf *out)
{
	char buf[PX_INT_TEXT];
	const char *text;
	size_t n;

	switch (s->kind) {
	case PX_NK_ANY:
	case PX_NK_INTEGER:
	case PX_NK_NUMBER:
		if (!px_scalar_integer_ok(s->check, c->i))
			return 1;
		return px_json_append_int(out, c->i) ? -1 : 0;
	case PX_NK_STRING: /* an identifier in an integer column */
		text = px_int_text(c->i, buf);
		n = strlen(text);
		if (!px_scalar_string_ok(s->check, text, n))
			return 1;
		return px_json_append_text(out, text, n) ? -1 : 0;
	case PX_NK_BOOLEAN:
		if ((c->i != 0 && c->i != 1) ||
		    !px_scalar_boolean_ok(s->check, (int)c->i))
			break;
		return px_buf_add(out, c->i ? "true" : "false", c->i ? 4 : 5)
			   ? -1
			   : 0;
	default:
		break;
	}
	return slow_value(e, s, c, out);
}

static int real_value(px_rowenc *e, struct slot *s, const px_cell *c,
		      px_buf *out)
{
	if ((s->kind == PX_NK_ANY || s->kind == PX_NK_NUMBER) &&
	    px_scalar_real_ok(s->check, c->d)) /* finite, then */
		return px_json_append_real(out, c->d) ? -1 : 0;
	return slow_value(e, s, c, out);
}

static int boolean_value(px_rowenc *e, struct slot *s, const px_cell *c,
			 px_buf *out)
{
	if ((s->kind == PX_NK_ANY || s->kind == PX_NK_BOOLEAN) &&
	    px_scalar_boolean_ok(s->check, (int)c->i))
		return px_buf_add(out, c->i ? "true" : "false", c->i ? 4 : 5)
			   ? -1
			   : 0;
	return slow_value(e, s, c, out);
}

/* Exact digits: a number as they are, a string of them for a string. */
static int decimal_value(px_rowenc *e, struct slot *s, const px_cell *c,
			 px_buf *out)
{
	if (!px_decimal_literal(c->text))
		return 1;
	if ((s->kind == PX_NK_ANY || s->kind == PX_NK_NUMBER) &&
	    px_scalar_decimal_ok(s->check, c->text))
		return px_buf_add(out, c->text, c->len) ? -1 : 0;
	if (s->kind == PX_NK_STRING &&
	    px_scalar_string_ok(s->check, c->text, c->len))
		return px_json_append_text(out, c->text, c->len) ? -1 : 0;
	return slow_value(e, s, c, out);
}

int px_rowenc_row(px_rowenc *e, const px_cell *cells, size_t n, px_buf *out)
{
	int first = 1, rc = 0;

	out->len = 0;
	for (size_t i = 0; i < e->n_slots && !rc; i++) {
		struct slot *s = &e->slots[i];
		const px_cell *c =
		    s->col >= 0 && (size_t)s->col < n ? &cells[s->col] : NULL;

		if (s->col >= 0 && (!c || c->type == PX_CELL_NULL)) {
			if (s->required)
				return 1;
			continue;
		}
		if ((!first && px_buf_add(out, ",", 1)) ||
		    px_buf_add(out, s->key, s->keylen))
			return -1;
		first = 0;
		if (!c)
			continue; /* a constant: written with its key */
		switch (c->type) {
		case PX_CELL_TEXT:
			rc = text_value(e, s, c, out);
			break;
		case PX_CELL_INTEGER:
			rc = integer_value(e, s, c, out);
			break;
		case PX_CELL_REAL:
			rc = real_value(e, s, c, out);
			break;
		case PX_CELL_BOOL:
			rc = boolean_value(e, s, c, out);
			break;
		case PX_CELL_DECIMAL:
			rc = decimal_value(e, s, c, out);
			break;
		case PX_CELL_JSON:
			rc = s->kind == PX_NK_ANY && px_scalar_any(s->check)
				 ? px_json_copy(c->text, c->len, out)
				 : 1;
			if (rc > 0)
				rc = slow_value(e, s, c, out);
			break;
		default:
			rc = 1; /* bytes: the generic path refuses them */
		}
	}
	return rc;
}
