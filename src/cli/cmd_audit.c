/*
 * cmd_audit.c - `portex audit verify|log`: check the ledger's hash chain
 * and show its entries.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "portex/config.h"
#include "portex/ledger.h"

static const char usage[] =
    "usage: portex audit verify [--config F | --ledger URI] [--json]\n"
    "       portex audit log    [--config F | --ledger URI]\n"
    "                           [--request ID] [--json]\n"
    "\n"
    "verify walks the ledger's audit trail: each entry's SHA-256 covers\n"
    "its content and the previous entry's hash, and each request must\n"
    "match the state its last entry recorded. It names the first entry\n"
    "edited, removed or reordered.\n"
    "log prints the entries, oldest first.\n"
    "\n"
    "  --config F     deployment config; its \"ledger\" names the ledger\n"
    "  --ledger URI   sqlite:FILE or postgresql://... (overrides --config)\n"
    "  --request ID   log: only this request's entries\n"
    "  --json         print JSON\n"
    "\n"
    "exit: 0 the trail is intact, 1 it is broken (tampered with),\n"
    "64 usage, 65 corrupt ledger, 69 ledger locked or unreachable,\n"
    "78 config error\n";

static int verify(px_ledger *l, int json, px_error *err)
{
	px_audit_result r;

	if (px_audit_verify(l, &r, err))
		return -1;
	if (json) {
		json_t *o = json_pack("{s:b, s:I, s:s}", "valid", r.valid,
				      "entries", (json_int_t)r.entries,
				      "ledger", px_ledger_name(l));

		if (o && !r.valid) {
			json_object_set_new(o, "first_bad_entry",
					    json_integer(r.bad_seq));
			json_object_set_new(o, "problem",
					    json_string(r.problem));
			json_object_set_new(o, "message",
					    json_string(r.message));
		}
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else if (r.valid) {
		printf("audit trail intact: %ld entries\n", r.entries);
	} else {
		printf("audit trail BROKEN: %s\n", r.message);
	}
	if (!r.valid)
		px_error_set(err, PX_EXIT_INVALID, "%s: %s", px_ledger_name(l),
			     r.message);
	return r.valid ? PX_OK : PX_EXIT_INVALID;
}

static void print_entry(const json_t *e)
{
	json_t *req = json_object_get(e, "request");
	json_t *d = json_object_get(e, "details");

	printf("#%-5" JSON_INTEGER_FORMAT " %s %-24s by %-12s",
	       json_integer_value(json_object_get(e, "seq")),
	       json_string_value(json_object_get(e, "at")),
	       json_string_value(json_object_get(e, "action")),
	       json_string_value(json_object_get(e, "actor")));
	if (json_is_integer(req))
		printf(" request %" JSON_INTEGER_FORMAT,
		       json_integer_value(req));
	if (json_object_get(d, "to"))
		printf(" %s -> %s",
		       json_string_value(json_object_get(d, "from")),
		       json_string_value(json_object_get(d, "to")));
	putchar('\n');
}

static int log_entries(px_ledger *l, long request, int json, px_error *err)
{
	json_t *list = NULL, *e;
	size_t i;

	if (px_audit_list(l, request, &list, err))
		return -1;
	if (json) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		json_array_foreach (list, i, e)
			print_entry(e);
	}
	json_decref(list);
	return PX_OK;
}

int cmd_audit(int argc, char **argv, px_error *err)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"ledger", required_argument, NULL, 'l'},
	    {"request", required_argument, NULL, 'r'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	const char *config = NULL, *uri = NULL, *sub;
	long request = 0;
	int json = 0, c, rc;
	char *end;
	px_ledger *l;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? PX_EXIT_USAGE : PX_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "verify") && strcmp(sub, "log"))
		return px_usage_error(err, "audit", "unknown command '%s'",
				      sub);
	optind = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'l':
			uri = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'r':
			request = strtol(optarg, &end, 10);
			if (*end || request <= 0 || !strcmp(sub, "verify"))
				return px_usage_error(
				    err, "audit",
				    "--request %s: expected a request ID, "
				    "with log",
				    optarg);
			break;
		case 'h':
			fputs(usage, stdout);
			return PX_OK;
		default:
			return px_usage_error(err, "audit", "unknown option");
		}
	}
	if (optind != argc - 1)
		return px_usage_error(err, "audit", "unexpected argument '%s'",
				      argv[optind + 1]);
	l = px_cli_open_ledger("audit", config, uri, NULL, err);
	if (!l)
		return -1;
	rc = !strcmp(sub, "verify") ? verify(l, json, err)
				    : log_entries(l, request, json, err);
	px_ledger_close(l);
	return rc;
}
