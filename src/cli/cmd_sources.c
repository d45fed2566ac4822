/*
 * cmd_sources.c - `portex sources check`: can an export run? Opens every
 * source of a config, shows the order the resolve steps run in and, for a
 * subject, how many records each collection would put in the package,
 * counted by the export's own pipeline (px_exporter_check: the rows the
 * drivers stream, normalised), with no package, no ledger entry.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "interrupt.h"
#include "portex/config.h"
#include "portex/export.h"
#include "progress.h"

static const char usage[] =
    "usage: portex sources check --config F [--subject KEY=VALUE ...]\n"
    "                            [--scope portability|access] [--json]\n"
    "\n"
    "Connects to every source of the config (databases opened, a REST\n"
    "partner's OAuth2 token asked for) and shows the order the resolve\n"
    "steps run in. With --subject, runs them for that person and reads\n"
    "every collection in scope, printing per collection how many records\n"
    "an export would hold. Writes no package and no ledger entry.\n"
    "\n"
    "  --config F       deployment config (JSON)\n"
    "  --subject K=V    an identity key, e.g. email=alice@example.org\n"
    "  --scope S        portability (the default) or access\n"
    "  --json           one JSON object: sources, resolve, collections,\n"
    "                   records\n"
    "\n"
    "exit: 0 ok, 64 usage (a key no source starts from), 65 bad data,\n"
    "67 subject found in no source, 69 source unavailable, 78 config\n"
    "error\n";

/* What px_exporter_check told, kept for the report. */
struct report {
	json_t *resolve;     /* [{"source", "provides", "found"}] */
	json_t *collections; /* [{"source", "entity", "category", "records"}] */
	px_progress *tty;    /* the terminal display too, or NULL */
};

static void on_step(void *ctx, const px_export_step *st)
{
	struct report *r = ctx;

	if (r->tty && st->kind != PX_STEP_RESOLVE)
		px_progress_step(r->tty, st);
	if (st->kind == PX_STEP_RESOLVE)
		json_array_append_new(r->resolve,
				      json_pack("{s:s, s:s, s:O?, s:b}",
						"source", st->source,
						"provides", st->key, "needs",
						st->needs, "found", st->found));
	else if (st->kind == PX_STEP_FETCHED)
		json_array_append_new(
		    r->collections,
		    json_pack("{s:s, s:s, s:s, s:I}", "source", st->source,
			      "entity", st->entity, "category", st->category,
			      "records", (json_int_t)st->records));
}

static json_t *source_list(const px_config *cfg)
{
	json_t *out = json_array(), *s;
	size_t i;

	json_array_foreach (json_object_get(cfg->root, "sources"), i, s)
		json_array_append_new(
		    out, json_pack("{s:O?, s:O?, s:s}", "name",
				   json_object_get(s, "name"), "connector",
				   json_object_get(s, "connector"), "status",
				   "opened"));
	return out;
}

static void print_text(const json_t *rep, int with_subject)
{
	const json_t *v;
	size_t i;

	printf("sources: %zu opened\n",
	       json_array_size(json_object_get(rep, "sources")));
	json_array_foreach (json_object_get(rep, "sources"), i, v)
		printf("  %s (%s)\n",
		       json_string_value(json_object_get(v, "name")),
		       json_string_value(json_object_get(v, "connector")));
	printf("resolve order%s:\n",
	       with_subject ? "" : " (when each step finds the subject)");
	if (!json_array_size(json_object_get(rep, "resolve")))
		printf("  (no resolve step)\n");
	json_array_foreach (json_object_get(rep, "resolve"), i, v) {
		const json_t *n;
		size_t k;

		printf("  %zu. %s: %s", i + 1,
		       json_string_value(json_object_get(v, "source")),
		       json_string_value(json_object_get(v, "provides")));
		json_array_foreach (json_object_get(v, "needs"), k, n)
			printf("%s%s", k ? ", " : " (from ",
			       json_string_value(n));
		if (json_array_size(json_object_get(v, "needs")))
			putchar(')');
		if (with_subject)
			printf(" %s", json_is_true(json_object_get(v, "found"))
					  ? "found"
					  : "not found");
		putchar('\n');
	}
	if (!with_subject)
		return;
	printf("records an export would hold (scope %s):\n",
	       json_string_value(json_object_get(rep, "scope")));
	json_array_foreach (json_object_get(rep, "collections"), i, v) {
		char name[256];

		snprintf(name, sizeof(name), "%s/%s",
			 json_string_value(json_object_get(v, "source")),
			 json_string_value(json_object_get(v, "entity")));
		printf("  %-28s %-9s %lld\n", name,
		       json_string_value(json_object_get(v, "category")),
		       (long long)json_integer_value(
			   json_object_get(v, "records")));
	}
	printf("total: %lld\n",
	       (long long)json_integer_value(json_object_get(rep, "records")));
}

static int check(const char *config_path, const json_t *subject, px_scope scope,
		 int as_json, px_error *err)
{
	struct report rep = {json_array(), json_array(), NULL};
	px_export_opts o = {.scope = scope, .unsigned_ok = 1};
	px_exporter *x = NULL;
	px_config *cfg = NULL;
	json_t *out = NULL;
	uint64_t records = 0;
	int rc = -1;

	if (!rep.resolve || !rep.collections) {
		px_error_oom(err);
		goto done;
	}
	if (!(cfg = px_config_load(config_path, err)))
		goto done;
	if (!as_json && subject && isatty(2))
		rep.tty = px_progress_new(stderr);
	o.config = cfg;
	o.no_xapi = 1;
	o.on_step = on_step;
	o.on_step_ctx = &rep;
	if (!(x = px_exporter_new(&o, err)) ||
	    px_exporter_check(x, subject, &records, err))
		goto done;
	out = json_pack("{s:s, s:o, s:O}", "config", cfg->path, "sources",
			source_list(cfg), "resolve", rep.resolve);
	if (subject) {
		json_object_set_new(out, "subject", json_deep_copy(subject));
		json_object_set_new(out, "scope",
				    json_string(px_scope_name(scope)));
		json_object_set(out, "collections", rep.collections);
		json_object_set_new(out, "records",
				    json_integer((json_int_t)records));
	}
	px_progress_free(rep.tty);
	rep.tty = NULL;
	if (as_json) {
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		print_text(out, json_object_get(out, "subject") != NULL);
	}
	rc = 0;
done:
	px_progress_free(rep.tty);
	px_exporter_free(x);
	px_config_free(cfg);
	json_decref(out);
	json_decref(rep.resolve);
	json_decref(rep.collections);
	return rc;
}

int cmd_sources(int argc, char **argv, px_error *err)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"subject", required_argument, NULL, 's'},
	    {"scope", required_argument, NULL, 'S'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	json_t *subject = json_object();
	const char *config_path = NULL;
	px_scope scope = PX_SCOPE_PORTABILITY;
	int c, as_json = 0, rc = -1;

	if (!subject)
		return px_error_oom(err);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 's':
			if (px_cli_add_subject(subject, optarg, "sources", err))
				goto out;
			break;
		case 'S':
			if (px_cli_scope(optarg, &scope, "sources", err))
				goto out;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			rc = 0;
			goto out;
		default:
			px_usage_error(err, "sources", "unknown option");
			goto out;
		}
	}
	if (optind >= argc || strcmp(argv[optind], "check")) {
		px_usage_error(err, "sources", "%s%s%s: expected 'check'",
			       optind < argc ? "'" : "",
			       optind < argc ? argv[optind] : "no subcommand",
			       optind < argc ? "'" : "");
		goto out;
	}
	if (++optind < argc) {
		px_usage_error(err, "sources", "unexpected argument '%s'",
			       argv[optind]);
		goto out;
	}
	if (!config_path) {
		px_usage_error(err, "sources", "--config is needed");
		goto out;
	}
	px_interrupt_install();
	rc = check(config_path, json_object_size(subject) ? subject : NULL,
		   scope, as_json, err);
out:
	json_decref(subject);
	return rc;
}
