/* cmd_export.c - `portex export`: one subject's data as one package. */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cli/commands.h"
#include "interrupt.h"
#include "secret.h"
#include "portex/config.h"
#include "portex/export.h"

static const char usage[] =
    "usage: portex export --config F --subject KEY=VALUE [--subject ...]\n"
    "                     [--scope portability|access] [--out F.zip]\n"
    "                     [--request ID] [--force] [--json]\n"
    "                     [--sign-key F --sign-cert F | --unsigned]\n"
    "                     [--password-file F] [--format LIST]\n"
    "\n"
    "Pulls everything the sources hold about one person and writes one\n"
    "signed package (ZIP, ETSI ASiC-E).\n"
    "\n"
    "  --config F         deployment config (JSON)\n"
    "  --subject K=V      an identity key, e.g. email=alice@example.org\n"
    "  --scope S          portability (Art. 20: provided and observed\n"
    "                     data, the default) or access (Art. 15: also\n"
    "                     derived data)\n"
    "  --out F.zip        the package to create (default:\n"
    "                     portex-export-<UTC time>.zip here)\n"
    "  --request ID       the ledger request this export answers\n"
    "  --force            replace an existing package\n"
    "  --sign-key F       signing key (PEM), overrides the config\n"
    "  --sign-cert F      its certificate (PEM)\n"
    "  --unsigned         write a package without signature\n"
    "  --password-file F  encrypt data entries with AES-256; the password\n"
    "                     is the file's first line\n"
    "  --format LIST      what the package holds besides data/*.json,\n"
    "                     comma-separated: xapi (xAPI statements,\n"
    "                     xapi/statements.json; the default) or none\n"
    "  --json             print the result as JSON\n"
    "\n"
    "exit: 0 ok, 64 usage, 65 bad data, 67 subject found in no source,\n"
    "69 source unavailable, 73 cannot write output, 78 config error,\n"
    "130 interrupted (Ctrl-C, SIGTERM): nothing written\n";

static char *read_password(const char *path, px_error *err)
{
	char buf[1024];
	int len =
	    px_secret_read_file(path, buf, sizeof(buf), PX_EXIT_USAGE, err);
	char *p = NULL;

	if (len < 0)
		px_error_prefix(err, "--password-file");
	else if (!len)
		px_error_set(err, PX_EXIT_USAGE,
			     "--password-file %s: the first line is empty",
			     path);
	else if (!(p = strdup(buf)))
		px_error_oom(err);
	OPENSSL_cleanse(buf, sizeof(buf));
	return p;
}

static void print_result(const px_export_opts *o, const px_export_result *r,
			 int as_json)
{
	if (as_json) {
		json_t *j = json_pack(
		    "{s:s, s:s, s:I, s:I, s:i, s:s}", "package", o->out_path,
		    "sha256", r->sha256, "size", (json_int_t)r->size, "records",
		    (json_int_t)r->records, "files", (int)r->files, "scope",
		    px_scope_name(o->scope));
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
		return;
	}
	printf("package: %s\nsha256:  %s\nsize:    %llu bytes\n"
	       "records: %llu\nfiles:   %u\nscope:   %s\n",
	       o->out_path, r->sha256, (unsigned long long)r->size,
	       (unsigned long long)r->records, r->files,
	       px_scope_name(o->scope));
}

/* --format json,xapi: the data files are always there; xapi can be left
 * out. */
static int parse_format(const char *arg, px_export_opts *o, px_error *err)
{
	char buf[128], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	o->no_xapi = 1;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "xapi"))
			o->no_xapi = 0;
		else if (strcmp(tok, "none") && strcmp(tok, "json"))
			return px_usage_error(err, "export",
					      "--format %s: '%s' is not a "
					      "format (expected xapi, json or "
					      "none)",
					      arg, tok);
	}
	return 0;
}

int cmd_export(int argc, char **argv, px_error *err)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"subject", required_argument, NULL, 's'},
	    {"scope", required_argument, NULL, 'S'},
	    {"out", required_argument, NULL, 'o'},
	    {"request", required_argument, NULL, 'r'},
	    {"force", no_argument, NULL, 'f'},
	    {"json", no_argument, NULL, 'j'},
	    {"sign-key", required_argument, NULL, 'k'},
	    {"sign-cert", required_argument, NULL, 'C'},
	    {"unsigned", no_argument, NULL, 'u'},
	    {"password-file", required_argument, NULL, 'p'},
	    {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	px_export_opts o = {.scope = PX_SCOPE_PORTABILITY, .progress = 1};
	px_export_result res;
	json_t *subject = json_object();
	const char *config_path = NULL, *password_file = NULL;
	px_config *cfg = NULL;
	char defname[64], *password = NULL;
	int c, as_json = 0, rc = -1;

#ifdef M_ARENA_MAX
	/* One export's threads (a reader, and per entity a data, a CSV and
	 * a pages writer) hand buffers along and allocate rarely: one malloc
	 * arena, not one per thread, keeps the peak memory ~2 MB lower. Set
	 * before any thread starts. */
	mallopt(M_ARENA_MAX, 1);
#endif

	if (!subject)
		return px_error_oom(err);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 's':
			if (px_cli_add_subject(subject, optarg, "export", err))
				goto out;
			break;
		case 'S':
			if (px_cli_scope(optarg, &o.scope, "export", err))
				goto out;
			break;
		case 'o':
			o.out_path = optarg;
			break;
		case 'r':
			o.request_id = optarg;
			break;
		case 'f':
			o.force = 1;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'k':
			o.sign_key = optarg;
			break;
		case 'C':
			o.sign_cert = optarg;
			break;
		case 'u':
			o.unsigned_ok = 1;
			break;
		case 'p':
			password_file = optarg;
			break;
		case 'F':
			if (parse_format(optarg, &o, err))
				goto out;
			break;
		case 'h':
			fputs(usage, stdout);
			rc = 0;
			goto out;
		default:
			px_usage_error(err, "export", "unknown option");
			goto out;
		}
	}
	if (optind < argc) {
		px_usage_error(err, "export", "unexpected argument '%s'",
			       argv[optind]);
		goto out;
	}
	if (!config_path || !json_object_size(subject)) {
		px_usage_error(err, "export",
			       "--config and at least one --subject are "
			       "needed");
		goto out;
	}
	if (!o.sign_key != !o.sign_cert) {
		px_usage_error(err, "export",
			       "--sign-key and --sign-cert go together");
		goto out;
	}
	if (!o.out_path) {
		time_t now = time(NULL);
		strftime(defname, sizeof(defname),
			 "portex-export-%Y%m%dT%H%M%SZ.zip", gmtime(&now));
		o.out_path = defname;
	}
	if (password_file && !(password = read_password(password_file, err)))
		goto out;
	o.password = password;
	if (!(cfg = px_config_load(config_path, err)))
		goto out;
	o.config = cfg;
	o.subject = subject;
	/* on a terminal only (px_exporter_new checks), never beside --json */
	o.progress = !as_json;
	px_interrupt_install();
	if (px_export(&o, &res, err) == 0) {
		print_result(&o, &res, as_json);
		rc = 0;
	}
out:
	if (password) {
		OPENSSL_cleanse(password, strlen(password));
		free(password);
	}
	px_config_free(cfg);
	json_decref(subject);
	return rc;
}
