/*
 * cmd_audit.c - `portex audit verify|checkpoint|log`: check the ledger's
 * hash chain against its signed checkpoints and witnesses, sign a
 * checkpoint, show the entries.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "cli/commands.h"
#include "interrupt.h"
#include "digest.h"
#include "ledger/checkpoint_sign.h"
#include "portex/config.h"
#include "portex/ledger.h"
#include "portex/verify.h"

static const char usage[] =
    "usage: portex audit verify [--config F | --ledger URI] [--cert F]\n"
    "                           [--ca F] [--witness FILE]... [--json]\n"
    "       portex audit checkpoint --config F [--ledger URI] [--json]\n"
    "       portex audit log    [--config F | --ledger URI]\n"
    "                           [--request ID] [--json]\n"
    "\n"
    "verify walks the ledger's audit trail: each entry's SHA-256 covers\n"
    "its content and the previous entry's hash, and each request must\n"
    "match the state its last entry recorded. The chain, recomputed from\n"
    "the entries' content, must also agree with every signed checkpoint\n"
    "and every witness: a trail edited and re-hashed, cut short or\n"
    "reordered is named by its first entry that disagrees.\n"
    "checkpoint signs the trail's head with the config's signing key\n"
    "(request export does it after recording a package); --json prints\n"
    "the head as a witness file {\"entries\": N, \"head\": HEX}.\n"
    "log prints the entries, oldest first.\n"
    "\n"
    "  --config F     deployment config; its \"ledger\" names the ledger,\n"
    "                 its signing.cert checks the checkpoints\n"
    "  --ledger URI   sqlite:FILE or postgresql://... (overrides --config)\n"
    "  --cert F       PEM certificate the checkpoints must be signed by\n"
    "                 (overrides the config's)\n"
    "  --witness FILE a package (its manifest.json \"audit\") or a JSON\n"
    "                 file {\"entries\": N, \"head\": HEX}; repeatable.\n"
    "                 A package must verify as `portex verify --ca`\n"
    "                 with the certificates of --ca, else --cert, else\n"
    "                 the config's signing.cert: a forged or unsigned\n"
    "                 one is refused (65)\n"
    "  --ca F         PEM trust anchors for the witness packages' signer\n"
    "  --request ID   log: only this request's entries\n"
    "  --json         print JSON\n"
    "\n"
    "exit: 0 the trail is intact, 1 it is broken (tampered with),\n"
    "64 usage, 65 corrupt ledger or witness, 69 ledger locked or\n"
    "unreachable, 78 config error\n";

#define MAX_WITNESSES 64

/* A witness as given on the command line, with its storage. */
struct witness {
	char head[65];
	char source[512];
};

/* manifest.json of the package at path, or NULL when it is not a ZIP
 * (err untouched) or has none (err set). */
static json_t *package_manifest(const char *path, px_error *err)
{
	zip_t *za = zip_open(path, ZIP_RDONLY, NULL);
	zip_stat_t st;
	zip_file_t *f = NULL;
	char *buf = NULL;
	json_t *m = NULL;

	if (!za)
		return NULL;
	if (zip_stat(za, "manifest.json", 0, &st) ||
	    !(st.valid & ZIP_STAT_SIZE) || st.size > (16u << 20) ||
	    !(buf = malloc(st.size + 1)) ||
	    !(f = zip_fopen(za, "manifest.json", 0)) ||
	    zip_fread(f, buf, st.size) != (zip_int64_t)st.size ||
	    !(m = json_loadb(buf, st.size, 0, NULL)))
		px_error_set(err, PX_EXIT_DATA,
			     "witness %s: a ZIP without a readable "
			     "manifest.json",
			     path);
	if (f)
		zip_fclose(f);
	free(buf);
	zip_discard(za);
	return m;
}

static int is_head(const char *s)
{
	return px_is_hex(s, 64) && !s[64];
}

/* A package is a witness only if it is what its signer sent, signed by
 * a certificate chaining to ca: else anyone could make one that accuses
 * an honest trail. The same check as `portex verify --ca`. */
static int check_witness_package(const char *path, const char *ca,
				 px_error *err)
{
	px_verify_opts o = {.path = path, .ca_path = ca};
	px_verify_result r = {0};
	int rc = 0;

	if (!ca)
		return px_error_set(err, PX_EXIT_USAGE,
				    "witness %s: a package witnesses only once "
				    "its signature is checked: give --ca or "
				    "--cert (or --config with signing.cert)",
				    path);
	if (px_verify(&o, &r, err)) {
		px_verify_result_free(&r);
		return px_error_prefix(err, "witness %s", path);
	}
	if (!r.is_signed)
		rc = px_error_set(err, PX_EXIT_DATA,
				  "witness %s: an unsigned package cannot "
				  "witness the trail",
				  path);
	else if (!r.valid || !r.signature_ok || !r.chain_checked)
		rc = px_error_set(err, PX_EXIT_DATA,
				  "witness %s: the package does not verify "
				  "against %s: %s",
				  path, ca,
				  r.n_problems ? r.problems[0]
					       : "its signer is not trusted");
	px_verify_result_free(&r);
	return rc;
}

/* Reads the head a package (checked against ca) or a JSON file records. */
static int read_witness(const char *path, const char *ca, struct witness *w,
			px_audit_witness *aw, px_error *err)
{
	json_error_t je;
	json_t *root = package_manifest(path, err), *a, *n;
	int zip = root != NULL;

	if (err->code)
		return -1;
	if (zip && check_witness_package(path, ca, err)) {
		json_decref(root);
		return -1;
	}
	if (!root && !(root = json_load_file(path, 0, &je)))
		return px_error_set(err, PX_EXIT_DATA,
				    "witness %s: neither a package nor JSON "
				    "(line %d: %s)",
				    path, je.line, je.text);
	a = json_object_get(root, "audit");
	if (!a && !zip)
		a = root;
	n = json_object_get(a, "entries");
	if (!a) {
		json_decref(root);
		return px_error_set(err, PX_EXIT_DATA,
				    "witness %s: its manifest.json has no "
				    "\"audit\" (the package was made without "
				    "a ledger)",
				    path);
	}
	if (json_object_size(a) != 2 || !json_is_integer(n) ||
	    json_integer_value(n) < 0 ||
	    !is_head(json_string_value(json_object_get(a, "head")))) {
		json_decref(root);
		return px_error_set(err, PX_EXIT_DATA,
				    "witness %s: \"audit\": expected "
				    "{\"entries\": N, \"head\": 64 lowercase "
				    "hex digits}",
				    path);
	}
	snprintf(w->head, sizeof(w->head), "%s",
		 json_string_value(json_object_get(a, "head")));
	snprintf(w->source, sizeof(w->source), "%s %s",
		 zip ? "package" : "file", path);
	aw->entries = (long)json_integer_value(n);
	aw->head = w->head;
	aw->source = w->source;
	json_decref(root);
	return 0;
}

static int checkpoint(px_ledger *l, const px_config *cfg, int json,
		      px_error *err)
{
	long n = 0;

	if (!cfg)
		return px_usage_error(err, "audit",
				      "checkpoint needs --config F (the "
				      "signing key)");
	if (px_audit_checkpoint_with(l, &(px_export_opts){.config = cfg}, &n,
				     err))
		return -1;
	if (json) {
		/* The head as a witness file: kept away from the ledger, it
		 * covers the entries after the last package's head. */
		json_t *w = px_audit_witness_new(l, err);

		if (!w)
			return -1;
		json_dumpf(w, stdout, 0);
		putchar('\n');
		json_decref(w);
	} else
		printf("audit trail checkpoint signed: %ld entries\n", n);
	return PX_OK;
}

static int verify(px_ledger *l, const px_audit_verify_opts *vo, int json,
		  px_error *err)
{
	px_audit_result r;

	if (px_audit_verify_with(l, vo, &r, err))
		return -1;
	if (json) {
		json_t *o = json_pack(
		    "{s:b, s:I, s:s, s:I, s:b, s:I}", "valid", r.valid,
		    "entries", (json_int_t)r.entries, "ledger",
		    px_ledger_name(l), "checkpoints", (json_int_t)r.checkpoints,
		    "checkpoints_authenticated", r.authenticated, "witnesses",
		    (json_int_t)r.witnesses);

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
		printf("audit trail intact: %ld entries", r.entries);
		if (r.checkpoints)
			printf(", %ld signed checkpoints%s", r.checkpoints,
			       r.authenticated
				   ? " (signatures checked against the "
				     "certificate given)"
				   : " (signatures checked only against "
				     "their own certificate: give --cert or "
				     "--config)");
		if (r.witnesses)
			printf(", %ld witnesses", r.witnesses);
		putchar('\n');
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

/* The certificate checkpoints must be signed by: --cert, else the
 * config's signing.cert. *owned: what to free. */
static const char *checkpoint_cert(const char *cert, const px_config *cfg,
				   char **owned)
{
	const char *c = cfg ? px_config_str(cfg, "signing.cert") : NULL;

	*owned = NULL;
	if (cert || !c)
		return cert;
	return *owned = px_config_path(cfg, c);
}

int cmd_audit(int argc, char **argv, px_error *err)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"ledger", required_argument, NULL, 'l'},
	    {"request", required_argument, NULL, 'r'},
	    {"cert", required_argument, NULL, 'C'},
	    {"ca", required_argument, NULL, 'a'},
	    {"witness", required_argument, NULL, 'w'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	const char *config = NULL, *uri = NULL, *cert = NULL, *ca = NULL, *sub;
	const char *wpath[MAX_WITNESSES];
	struct witness *w = NULL;
	px_audit_witness aw[MAX_WITNESSES];
	px_audit_verify_opts vo = {.witnesses = aw};
	size_t nw = 0;
	long request = 0;
	int json = 0, c, rc = -1;
	char *end, *owned = NULL;
	px_config *cfg = NULL;
	px_ledger *l;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? PX_EXIT_USAGE : PX_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "verify") && strcmp(sub, "log") &&
	    strcmp(sub, "checkpoint"))
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
		case 'C':
		case 'a':
		case 'w':
			if (strcmp(sub, "verify"))
				return px_usage_error(err, "audit",
						      "--%s: only with verify",
						      c == 'C'	 ? "cert"
						      : c == 'a' ? "ca"
								 : "witness");
			if (c == 'C')
				cert = optarg;
			else if (c == 'a')
				ca = optarg;
			else if (nw == MAX_WITNESSES)
				return px_usage_error(err, "audit",
						      "more than %d witnesses",
						      MAX_WITNESSES);
			else
				wpath[nw++] = optarg;
			break;
		case 'r':
			request = strtol(optarg, &end, 10);
			if (*end || request <= 0 || strcmp(sub, "log"))
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
	if (nw && !(w = calloc(nw, sizeof(*w))))
		return px_error_oom(err);
	/* SIGINT/SIGTERM end a wait on the ledger's server (exit 130; its
	 * transaction is rolled back). */
	px_interrupt_install();
	l = px_cli_open_ledger("audit", config, uri, &cfg, err);
	if (!l)
		goto out;
	vo.cert_path = checkpoint_cert(cert, cfg, &owned);
	for (size_t i = 0; i < nw; i++)
		if (read_witness(wpath[i], ca ? ca : vo.cert_path, &w[i],
				 &aw[i], err)) {
			px_ledger_close(l);
			goto out;
		}
	vo.n_witnesses = nw;
	if (!strcmp(sub, "verify"))
		rc = verify(l, &vo, json, err);
	else if (!strcmp(sub, "checkpoint"))
		rc = checkpoint(l, cfg, json, err);
	else
		rc = log_entries(l, request, json, err);
	px_ledger_close(l);
out:
	free(owned);
	free(w);
	px_config_free(cfg);
	return rc;
}
