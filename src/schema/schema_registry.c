/*
 * schema_registry.c - the schemas compiled into portex (schemas/, see
 * tools/embed.c), indexed by entity, with each record validator built on
 * first use and kept.
 */
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "portex/schema.h"

#define PREFIX	       "schemas/"
#define SUFFIX	       ".schema.json"
#define RECORD_POINTER "/properties/records/items"

struct entry {
	char *entity;		 /* "score", "manifest" */
	const px_embedded *file; /* "schemas/score.schema.json" */
	json_t *schema;
	px_validator *record; /* NULL until first asked for */
};

struct px_schemas {
	struct entry *e;
	size_t n;
};

/* "schemas/score.schema.json" -> "score", or NULL for another file. */
static char *entity_of(const char *name)
{
	size_t n = strlen(name), pre = strlen(PREFIX), suf = strlen(SUFFIX);

	if (n <= pre + suf || strncmp(name, PREFIX, pre) ||
	    strcmp(name + n - suf, SUFFIX) || strchr(name + pre, '/'))
		return NULL;
	return strndup(name + pre, n - pre - suf);
}

static int load_one(struct entry *e, const px_embedded *f, px_error *err)
{
	json_error_t jerr;

	e->file = f;
	e->schema = json_loadb((const char *)f->data, f->size,
			       JSON_REJECT_DUPLICATES, &jerr);
	if (!e->schema)
		return px_error_set(err, PX_EXIT_SOFTWARE, "%s:%d:%d: %s",
				    f->name, jerr.line, jerr.column, jerr.text);
	if (!json_is_object(e->schema))
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "%s: expected a JSON object", f->name);
	return 0;
}

px_schemas *px_schemas_load(px_error *err)
{
	px_schemas *s = calloc(1, sizeof(*s));
	size_t count = 0;

	if (!s) {
		px_error_oom(err);
		return NULL;
	}
	for (const px_embedded *f = px_embedded_files; f->name; f++)
		count++;
	s->e = calloc(count + 1, sizeof(*s->e));
	if (!s->e) {
		px_error_oom(err);
		goto fail;
	}
	for (const px_embedded *f = px_embedded_files; f->name; f++) {
		struct entry *e = &s->e[s->n];

		e->entity = entity_of(f->name);
		if (!e->entity)
			continue;
		s->n++;
		if (load_one(e, f, err))
			goto fail;
	}
	return s;
fail:
	px_schemas_free(s);
	return NULL;
}

void px_schemas_free(px_schemas *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->e[i].entity);
		json_decref(s->e[i].schema);
		px_validator_free(s->e[i].record);
	}
	free(s->e);
	free(s);
}

static struct entry *find(const px_schemas *s, const char *entity)
{
	for (size_t i = 0; entity && i < s->n; i++)
		if (!strcmp(s->e[i].entity, entity))
			return &s->e[i];
	return NULL;
}

const char *px_schemas_name(const px_schemas *s, size_t i)
{
	return i < s->n ? s->e[i].entity : NULL;
}

const json_t *px_schemas_entity(const px_schemas *s, const char *entity)
{
	struct entry *e = find(s, entity);

	return e ? e->schema : NULL;
}

const json_t *px_schemas_record(const px_schemas *s, const char *entity)
{
	const json_t *j = px_schemas_entity(s, entity);

	j = json_object_get(json_object_get(j, "properties"), "records");
	return json_object_get(j, "items");
}

px_validator *px_schemas_record_validator(px_schemas *s, const char *entity)
{
	struct entry *e = find(s, entity);
	px_error err = PX_ERROR_INIT;

	if (!e || !px_schemas_record(s, entity))
		return NULL;
	/* compiled from the whole file, so a "#/$defs/..." in a record
	 * schema resolves where its author meant */
	if (!e->record)
		e->record =
		    px_validator_new_at(e->schema, RECORD_POINTER, &err);
	return e->record;
}

const char *px_schemas_text(const px_schemas *s, const char *entity,
			    size_t *len)
{
	struct entry *e = find(s, entity);

	if (!e)
		return NULL;
	if (len)
		*len = e->file->size;
	return (const char *)e->file->data;
}

const char *px_schemas_file(const px_schemas *s, const char *entity)
{
	struct entry *e = find(s, entity);

	return e ? e->file->name : NULL;
}
