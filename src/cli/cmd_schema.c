/*
 * cmd_schema.c - `portex schema [ENTITY]`: the fields of each entity, as
 * the schemas compiled into portex (schemas/) define them: what a config's
 * column aliases and a REST profile's field map may name.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "html/i18n.h"
#include "portex/config.h"
#include "portex/schema.h"

static const char usage[] =
    "usage: portex schema [ENTITY] [--json] [--lang en|fr]\n"
    "\n"
    "Lists the fields of each entity a package holds (or of ENTITY alone):\n"
    "name, type, whether it is required and what it holds, from the JSON\n"
    "Schemas compiled into portex (schemas/<entity>.schema.json). A\n"
    "config's column aliases (\"SELECT last_name AS family_name\") and a\n"
    "REST profile's field map use these names. Fields marked 'portex' are\n"
    "set by portex, not by a source.\n"
    "\n"
    "  --json       one JSON object {\"entities\": [...]}, each with its\n"
    "               fields in the schema's order\n"
    "  --lang L     the descriptions in English (en, the schemas' own,\n"
    "               default) or French (fr, as the package's page says them)\n"
    "\n"
    "exit: 0 ok, 64 usage or unknown entity\n";

/* Fields a source does not give: portex sets them (a document's size,
 * digest and path come from the bytes of its "content" column). */
static int set_by_portex(const char *entity, const char *field)
{
	static const char *const doc[] = {"size", "sha256", "path"};

	if (!strcmp(field, "source") || !strcmp(field, "category"))
		return 1;
	for (size_t i = 0; !strcmp(entity, "document") && i < 3; i++)
		if (!strcmp(field, doc[i]))
			return 1;
	return 0;
}

static int is_required(const json_t *item, const char *field)
{
	const json_t *v;
	size_t i;

	json_array_foreach (json_object_get(item, "required"), i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), field))
			return 1;
	return 0;
}

/* The description in lang: the schema's (English), or the page's. */
static const char *describe(px_lang lang, const char *entity, const char *field,
			    const json_t *prop)
{
	const char *fr =
	    lang == PX_LANG_FR ? px_i18n_column(lang, entity, field) : NULL;
	const char *d = json_string_value(json_object_get(prop, "description"));

	return fr ? fr : d ? d : "";
}

/* "string (date-time)", "string: a|b|c", "any" (a field with no type). */
static void type_text(const json_t *prop, char *out, size_t n)
{
	const char *type = json_string_value(json_object_get(prop, "type"));
	const char *format = json_string_value(json_object_get(prop, "format"));
	const json_t *en = json_object_get(prop, "enum"), *v;
	size_t i, len;

	snprintf(out, n, "%s", type ? type : "any");
	len = strlen(out);
	if (format)
		snprintf(out + len, n - len, " (%s)", format);
	json_array_foreach (en, i, v) {
		len = strlen(out);
		snprintf(out + len, n - len, "%s%s", i ? "|" : ": ",
			 json_string_value(v) ? json_string_value(v) : "?");
	}
}

static json_t *entity_json(const px_schemas *s, const char *entity,
			   px_lang lang)
{
	const json_t *root = px_schemas_entity(s, entity);
	const json_t *item = px_schemas_record(s, entity), *prop;
	json_t *fields = json_array(), *e;
	const char *name;

	json_object_foreach ((json_t *)json_object_get(item, "properties"),
			     name, prop) {
		json_t *f = json_pack(
		    "{s:s, s:s, s:b, s:s, s:s}", "name", name, "type",
		    json_string_value(json_object_get(prop, "type"))
			? json_string_value(json_object_get(prop, "type"))
			: "any",
		    "required", is_required(item, name), "description",
		    describe(lang, entity, name, prop), "set_by",
		    set_by_portex(entity, name) ? "portex" : "source");
		if (!f)
			break;
		if (json_object_get(prop, "format"))
			json_object_set(f, "format",
					json_object_get(prop, "format"));
		if (json_object_get(prop, "enum"))
			json_object_set(f, "enum",
					json_object_get(prop, "enum"));
		json_array_append_new(fields, f);
	}
	e = json_pack(
	    "{s:s, s:s, s:s, s:o}", "entity", entity, "schema",
	    px_schemas_file(s, entity), "description",
	    json_string_value(json_object_get(root, "description"))
		? json_string_value(json_object_get(root, "description"))
		: "",
	    "fields", fields);
	return e;
}

static void print_text(const json_t *e, int first)
{
	const json_t *f;
	size_t i;

	printf("%s%s (%s)\n  %s\n\n", first ? "" : "\n",
	       json_string_value(json_object_get(e, "entity")),
	       json_string_value(json_object_get(e, "schema")),
	       json_string_value(json_object_get(e, "description")));
	json_array_foreach (json_object_get(e, "fields"), i, f) {
		char type[256];

		/* f holds the schema's type, format and enum. */
		type_text(f, type, sizeof(type));
		printf("  %-20s %-26s %-8s %s%s\n",
		       json_string_value(json_object_get(f, "name")), type,
		       json_is_true(json_object_get(f, "required")) ? "required"
								    : "",
		       strcmp(json_string_value(json_object_get(f, "set_by")),
			      "portex")
			   ? ""
			   : "[portex] ",
		       json_string_value(json_object_get(f, "description")));
	}
	if (!strcmp(json_string_value(json_object_get(e, "entity")),
		    "document"))
		printf("  (a document collection also returns a \"content\" "
		       "column: the bytes, which portex writes under "
		       "files/<source>/)\n");
}

/* Unknown entity: exit 64 naming the known ones, the nearest first. */
static int unknown(const px_schemas *s, const char *entity, px_error *err)
{
	const char *names[64], *sorted[64];
	size_t n = 0, m = 0;
	char list[1024];

	for (size_t i = 0; n < 64 && px_schemas_name(s, i); i++)
		if (px_schemas_record(s, px_schemas_name(s, i)))
			names[n++] = px_schemas_name(s, i);
	/* The close ones first, nearest first, then the rest as sorted. */
	for (;;) {
		const char *near = px_nearest(entity, names, n);
		size_t k;

		if (!near)
			break;
		sorted[m++] = near;
		for (k = 0; names[k] != near; k++)
			;
		memmove(&names[k], &names[k + 1], (n - k - 1) * sizeof(*names));
		n--;
	}
	memcpy(&sorted[m], names, n * sizeof(*names));
	px_list_join(sorted, m + n, list, sizeof(list));
	if (m)
		return px_usage_error(err, "schema",
				      "unknown entity \"%s\"; did you mean "
				      "\"%s\"? The entities, nearest first: %s",
				      entity, sorted[0], list);
	return px_usage_error(err, "schema",
			      "unknown entity \"%s\"; the entities are: %s",
			      entity, list);
}

int cmd_schema(int argc, char **argv, px_error *err)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"lang", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	px_lang lang = PX_LANG_EN;
	int as_json = 0, c, rc = -1;
	const char *entity = NULL;
	px_schemas *s;
	json_t *all;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			as_json = 1;
			break;
		case 'l':
			if (strcmp(optarg, "en") && strcmp(optarg, "fr"))
				return px_usage_error(err, "schema",
						      "--lang %s: expected en "
						      "or fr",
						      optarg);
			lang = px_i18n_lang(optarg);
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return px_usage_error(err, "schema", "unknown option");
		}
	}
	if (optind < argc)
		entity = argv[optind++];
	if (optind < argc)
		return px_usage_error(err, "schema", "unexpected argument '%s'",
				      argv[optind]);
	if (!(s = px_schemas_load(err)))
		return -1;
	if (entity && !px_schemas_record(s, entity)) {
		unknown(s, entity, err);
		goto out;
	}
	if (!(all = json_array())) {
		px_error_oom(err);
		goto out;
	}
	for (size_t i = 0; px_schemas_name(s, i); i++) {
		const char *name = px_schemas_name(s, i);

		if (!px_schemas_record(s, name) ||
		    (entity && strcmp(entity, name)))
			continue;
		json_array_append_new(all, entity_json(s, name, lang));
	}
	if (as_json) {
		json_t *o = json_pack("{s:o}", "entities", all);
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else {
		json_t *e;
		size_t i;

		json_array_foreach (all, i, e)
			print_text(e, !i);
		json_decref(all);
	}
	rc = 0;
out:
	px_schemas_free(s);
	return rc;
}
