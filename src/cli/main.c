/*
 * main.c - the dispatch table. Adding a command is adding a file
 * (src/cmd_<name>.c) and a row here. Only main prints errors and picks the
 * exit code.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static const struct {
	const char *name;
	px_cmd_fn fn;
	const char *summary;
} commands[] = {
    {"export", cmd_export, "export one subject's data as a signed package"},
    {"verify", cmd_verify, "check a package's signature and digests"},
    {"keygen", cmd_keygen, "create a signing key and its certificate"},
    {"request", cmd_request, "record and follow data-subject requests"},
    {"audit", cmd_audit, "verify the ledger's tamper-evident audit trail"},
    {"due", cmd_due, "compute the legal due date of a request"},
    {"serve", cmd_serve, "HTTP service: exports and links for a portal"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: portex <command> [options]\n"
		     "       portex --version\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "\n'portex <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	px_error err = PX_ERROR_INIT;

	if (argc < 2) {
		usage(stderr);
		return PX_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return PX_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("portex %s\n", PX_VERSION);
		return PX_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		int rc = commands[i].fn(argc - 1, argv + 1, &err);
		if (rc < 0) /* `return px_error_set(...)` */
			rc = err.code ? err.code : PX_EXIT_SOFTWARE;
		if (rc && err.msg[0])
			fprintf(stderr, "portex %s: %s\n", argv[1], err.msg);
		return rc;
	}
	fprintf(stderr, "portex: unknown command '%s' (see 'portex --help')\n",
		argv[1]);
	return PX_EXIT_USAGE;
}
