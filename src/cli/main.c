/*
 * main.c - the dispatch table. Adding a command is adding a file
 * (src/cmd_<name>.c) and a row here. Only main prints errors and picks the
 * exit code.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/argv_secret.h"
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
    {"bulk", cmd_bulk, "export a list or cohort, one package per subject"},
    {"worker", cmd_worker, "export the jobs of the ledger's queue"},
    {"purge", cmd_purge, "delete bulk packages past their retrievable date"},
    {"profile", cmd_profile, "check a REST partner profile offline"},
    {"transmit", cmd_transmit, "send a package's xAPI statements to an LRS"},
    {"sources", cmd_sources,
     "check the sources: connections, resolve order, counts"},
    {"schema", cmd_schema, "list each entity's fields (what aliases may use)"},
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

/* Output nobody could read is a failure, not a success: a full disk or a
 * closed pipe behind stdout ends with 74 (EX_IOERR), whatever the
 * command. */
static int finish(int rc)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);

	bad |= fclose(stdout) != 0;
	if (bad && !rc) {
		fprintf(stderr, "portex: cannot write to standard output: %s\n",
			strerror(errno ? errno : EIO));
		return PX_EXIT_IOERR;
	}
	return rc;
}

int main(int argc, char **argv)
{
	px_error err = PX_ERROR_INIT;

	px_argv_hide_secrets(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return PX_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return finish(PX_OK);
	}
	if (!strcmp(argv[1], "--version")) {
		printf("portex %s\n", PX_VERSION);
		return finish(PX_OK);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		int rc = commands[i].fn(argc - 1, argv + 1, &err);
		if (rc < 0) /* `return px_error_set(...)` */
			rc = err.code ? err.code : PX_EXIT_SOFTWARE;
		if (rc && err.msg[0])
			fprintf(stderr, "portex %s: %s\n", argv[1], err.msg);
		return finish(rc);
	}
	fprintf(stderr, "portex: unknown command '%s' (see 'portex --help')\n",
		argv[1]);
	return PX_EXIT_USAGE;
}
