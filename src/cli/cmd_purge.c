/* cmd_purge.c - `portex purge`: deletes the bulk packages whose time is up. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "interrupt.h"
#include "portex/config.h"
#include "portex/ledger.h"
#include "queue/purge.h"

static const char usage[] =
    "usage: portex purge --out-dir D (--expired | --older-than Nd)\n"
    "                    (--config F | --ledger URI) [--dry-run] [--json]\n"
    "\n"
    "Deletes the packages of a bulk out-dir that are past their\n"
    "retrievable-until date (--expired) or were written more than N days\n"
    "ago. Only packages D/index.ndjson lists as written by portex, with\n"
    "the same SHA-256, are deleted: anything else in D is left alone.\n"
    "Each deletion is recorded in the ledger's audit trail.\n"
    "\n"
    "  --out-dir D      the bulk folder\n"
    "  --expired        past their retrievable-until date\n"
    "  --older-than Nd  written more than N days ago (e.g. 90d)\n"
    "  --config F       the config naming the ledger, or\n"
    "  --ledger URI     the ledger itself (not needed with --dry-run)\n"
    "  --dry-run        list what would be deleted, delete nothing\n"
    "  --json           print the list as JSON\n"
    "\n"
    "exit: 0 ok, 64 usage, 69 ledger unavailable, 74 cannot delete\n";

static int parse_age(const char *s, long *days)
{
	char *end;

	*days = strtol(s, &end, 10);
	return (end == s || (*end && strcmp(end, "d")) || *days < 1 ||
		*days > 36500)
		   ? -1
		   : 0;
}

int cmd_purge(int argc, char **argv, px_error *err)
{
	static const struct option longopts[] = {
	    {"out-dir", required_argument, NULL, 'o'},
	    {"expired", no_argument, NULL, 'e'},
	    {"older-than", required_argument, NULL, 'a'},
	    {"config", required_argument, NULL, 'c'},
	    {"ledger", required_argument, NULL, 'l'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'J'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	px_purge_opts o = {0};
	const char *config = NULL, *uri = NULL;
	json_t *list = NULL, *r;
	px_ledger *l = NULL;
	int c, as_json = 0, rc;
	size_t i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.dir = optarg;
			break;
		case 'e':
			o.expired = 1;
			break;
		case 'a':
			if (parse_age(optarg, &o.older_than_days))
				return px_usage_error(err, "purge",
						      "--older-than %s: "
						      "expected days, e.g. 90d",
						      optarg);
			break;
		case 'c':
			config = optarg;
			break;
		case 'l':
			uri = optarg;
			break;
		case 'n':
			o.dry_run = 1;
			break;
		case 'J':
			as_json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return px_usage_error(err, "purge", "unknown option");
		}
	}
	if (optind < argc)
		return px_usage_error(err, "purge", "unexpected argument '%s'",
				      argv[optind]);
	if (!o.dir || (!o.expired == !o.older_than_days))
		return px_usage_error(err, "purge",
				      "--out-dir and one of --expired or "
				      "--older-than are needed");
	/* SIGINT/SIGTERM end a wait on the ledger's server (exit 130; its
	 * transaction is rolled back). */
	px_interrupt_install();
	if (!o.dry_run &&
	    !(l = px_cli_open_ledger("purge", config, uri, NULL, err)))
		return -1;
	o.ledger = l;
	rc = px_purge(&o, &list, err);
	px_ledger_close(l);
	if (rc)
		return -1;
	if (as_json) {
		json_dumpf(list, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		json_array_foreach (list, i, r)
			printf("%s  %s (%s)\n",
			       json_string_value(json_object_get(r, "action")),
			       json_string_value(json_object_get(r, "package")),
			       json_string_value(json_object_get(r, "reason")));
		if (!json_array_size(list))
			printf("nothing to purge\n");
	}
	json_decref(list);
	return 0;
}
