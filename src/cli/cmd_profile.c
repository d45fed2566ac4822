/*
 * cmd_profile.c - `portex profile check FILE`: a partner profile checked
 * offline, as the REST driver will read it, before any deployment uses it.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "portex/rest.h"

static const char usage[] =
    "usage: portex profile check FILE [--json]\n"
    "\n"
    "Checks a REST partner profile (docs/profiles.md) without sending any\n"
    "request: its JSON, every key (an unknown one is named with the\n"
    "nearest valid key), every step, pagination, field map and\n"
    "conversion. Prints what each lookup provides and each endpoint\n"
    "yields, with the identity keys they need.\n"
    "\n"
    "  --json   the plan as one JSON object\n"
    "\n"
    "Exit: 0 valid, 64 usage, 78 the profile has an error (file, JSON\n"
    "path and what was expected on stderr), 74 cannot write stdout.\n";

static void print_needs(const json_t *step)
{
	json_t *v;
	size_t i;

	json_array_foreach (json_object_get(step, "needs"), i, v)
		printf("%s%s", i ? ", " : " (needs ", json_string_value(v));
	printf("%s\n",
	       json_array_size(json_object_get(step, "needs")) ? ")" : "");
}

int cmd_profile(int argc, char **argv, px_error *err)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	json_t *plan = NULL, *v;
	int json = 0, c;
	size_t i;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return fflush(stdout) || ferror(stdout)
				   ? px_error_set(err, PX_EXIT_IOERR,
						  "cannot write stdout")
				   : 0;
		default:
			return px_usage_error(err, "profile", "unknown option");
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "check"))
		return px_usage_error(err, "profile",
				      "expected: portex profile check FILE");
	if (px_rest_profile_check(argv[optind + 1], &plan, err))
		return -1;
	if (json) {
		json_dumpf(plan, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		printf("%s: valid\n", argv[optind + 1]);
		json_array_foreach (json_object_get(plan, "resolve"), i, v) {
			printf(
			    "  lookup   provides %s",
			    json_string_value(json_object_get(v, "provides")));
			print_needs(v);
		}
		json_array_foreach (json_object_get(plan, "collections"), i,
				    v) {
			printf(
			    "  endpoint %s (%s)",
			    json_string_value(json_object_get(v, "entity")),
			    json_string_value(json_object_get(v, "category")));
			print_needs(v);
		}
	}
	json_decref(plan);
	if (fflush(stdout) || ferror(stdout))
		return px_error_set(err, PX_EXIT_IOERR, "cannot write stdout");
	return 0;
}
