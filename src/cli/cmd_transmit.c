/*
 * cmd_transmit.c - portex transmit: a package's xAPI statements sent
 * directly to the receiving controller's LRS (GDPR Art. 20(2)), recorded
 * as the delivery of the request.
 *
 * The ledger holds the receipt and the progress: "sending" before the
 * first POST, "progress" after each batch the LRS confirmed (how many),
 * "failed" with the error, "sent" (the request becomes delivered, method
 * transmission). A rerun over the same package and LRS starts after the
 * last confirmed statement; resending a few is harmless (stable ids).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "cli/commands.h"
#include "cli/delivery.h"
#include "package/workfile.h"
#include "portex/config.h"
#include "portex/ledger.h"
#include "progress.h"
#include "timefmt.h"
#include "xapi/lrs.h"

static const char usage_text[] =
    "usage: portex transmit PACKAGE.zip --to NAME|URL --request ID\n"
    "                       [--config F] [--ledger URI] [--actor NAME]\n"
    "                       [--batch-size N] [--restart] [--json]\n"
    "\n"
    "Sends the package's xapi/statements.json to a Learning Record Store\n"
    "(xAPI 1.0.3: POST statements in batches, Basic credentials or an\n"
    "OAuth2 client-credentials token; 429/503 wait for Retry-After) and\n"
    "records the receipt in the ledger as the request's delivery (method\n"
    "transmission). The package must be the one the ledger recorded for\n"
    "the request (same SHA-256) and the request must be exported.\n"
    "\n"
    "  --to NAME|URL    an LRS named in the config's xapi.lrs (endpoint,\n"
    "                   username and password, or oauth2, from ${VAR}),\n"
    "                   or its endpoint\n"
    "                   URL (credentials then from the matching xapi.lrs\n"
    "                   entry, else PORTEX_LRS_USERNAME and\n"
    "                   PORTEX_LRS_PASSWORD)\n"
    "  --request ID     the request this transmission delivers (required:\n"
    "                   Art. 20(2) transmits at the person's request)\n"
    "  --config F       deployment config (xapi.lrs, its \"ledger\")\n"
    "  --ledger URI     sqlite:FILE or postgresql://... (overrides it)\n"
    "  --actor NAME     who acts, for the audit trail\n"
    "  --batch-size N   statements per POST (default: the entry's\n"
    "                   batch_size, else 100; at most 1000)\n"
    "  --restart        send from the first statement, even when an\n"
    "                   earlier run was interrupted after some batches\n"
    "  --json           print the request as stored, with its receipt\n"
    "\n"
    "A rerun after an interruption resends only what the LRS had not\n"
    "confirmed. Statement ids are stable: the LRS keeps one copy. On a\n"
    "terminal, stderr shows the statements confirmed so far.\n"
    "\n"
    "Exit status: 0 delivered, 64 usage, 65 the request or package does\n"
    "not allow it, or the LRS refuses statements (400, or 409: it holds\n"
    "a different statement with the same id), 69 LRS or ledger\n"
    "unreachable, an answer no LRS gives, or a Retry-After beyond\n"
    "max_wait_seconds, 78 config error or credentials refused (401/403).\n";

struct opts {
	const char *package, *to, *config, *ledger, *actor;
	long id, batch;
	int restart, json;
};

enum {
	O_TO = 256,
	O_REQUEST,
	O_CONFIG,
	O_LEDGER,
	O_ACTOR,
	O_BATCH,
	O_RESTART,
	O_JSON,
	O_HELP
};

static const struct option long_opts[] = {
    {"to", required_argument, NULL, O_TO},
    {"request", required_argument, NULL, O_REQUEST},
    {"config", required_argument, NULL, O_CONFIG},
    {"ledger", required_argument, NULL, O_LEDGER},
    {"actor", required_argument, NULL, O_ACTOR},
    {"batch-size", required_argument, NULL, O_BATCH},
    {"restart", no_argument, NULL, O_RESTART},
    {"json", no_argument, NULL, O_JSON},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

static int positive(const char *s, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse(int argc, char **argv, struct opts *o, px_error *err)
{
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case O_TO:
			o->to = optarg;
			break;
		case O_CONFIG:
			o->config = optarg;
			break;
		case O_LEDGER:
			o->ledger = optarg;
			break;
		case O_ACTOR:
			o->actor = optarg;
			break;
		case O_RESTART:
			o->restart = 1;
			break;
		case O_JSON:
			o->json = 1;
			break;
		case O_REQUEST:
			if (positive(optarg, 1L << 50, &o->id))
				return px_usage_error(err, "transmit",
						      "--request %s: expected "
						      "a request id",
						      optarg);
			break;
		case O_BATCH:
			if (positive(optarg, 1000, &o->batch))
				return px_usage_error(err, "transmit",
						      "--batch-size %s: "
						      "expected 1..1000",
						      optarg);
			break;
		case 'h':
		case O_HELP:
			fputs(usage_text, stdout);
			return 1;
		default:
			return px_usage_error(
			    err, "transmit",
			    "unknown option or missing value: "
			    "%s",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		o->package = argv[optind++];
	if (optind < argc)
		return px_usage_error(err, "transmit",
				      "unexpected argument '%s'", argv[optind]);
	if (!o->package || !o->to)
		return px_usage_error(err, "transmit",
				      "give PACKAGE.zip, --to NAME|URL and "
				      "--request ID");
	/* A transmission to another controller is a disclosure: lawful as
	 * the person's Art. 20(2) request, and recorded as its delivery. */
	if (!o->id)
		return px_usage_error(
		    err, "transmit",
		    "--request ID is required: GDPR Art. "
		    "20(2) transmits a person's data to "
		    "another controller at that person's "
		    "request, and the ledger records the "
		    "transmission as the request's delivery; "
		    "record the request first (portex request "
		    "add, identity, export) and transmit the "
		    "package its export made");
	return 0;
}

static const char *str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

/* The package's xapi/statements.json in a nameless work file, rewound. */
static FILE *statements(const char *path, px_error *err)
{
	int zerr = 0;
	zip_t *za = zip_open(path, ZIP_RDONLY, &zerr);
	zip_file_t *zf = NULL;
	FILE *f = NULL;
	char buf[65536];
	zip_int64_t n;

	if (!za) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, zerr);
		px_error_set(err, PX_EXIT_DATA, "package %s: not a ZIP (%s)",
			     path, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return NULL;
	}
	if (!(zf = zip_fopen(za, "xapi/statements.json", 0))) {
		px_error_set(
		    err, PX_EXIT_DATA,
		    "package %s: no xapi/statements.json to send (%s): "
		    "the subject has no activity records, or the "
		    "export left xAPI out (--format none)",
		    path, zip_strerror(za));
		goto out;
	}
	if (!(f = px_workfile_stream("xAPI statements", err)))
		goto out;
	while ((n = zip_fread(zf, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, f) != (size_t)n) {
			n = -2;
			break;
		}
	if (n < 0 || fflush(f) || fseek(f, 0, SEEK_SET)) {
		px_error_set(err, n == -1 ? PX_EXIT_DATA : PX_EXIT_IOERR,
			     "package %s: xapi/statements.json: %s", path,
			     n == -1 ? zip_file_strerror(zf) : strerror(errno));
		fclose(f);
		f = NULL;
	}
out:
	if (zf)
		zip_fclose(zf);
	zip_discard(za);
	return f;
}

struct run {
	px_ledger *l;
	long id;
	const char *actor;
	json_t *delivery;
	px_progress *progress; /* on a terminal, or NULL */
	px_export_step step;   /* what it shows: <lrs>/statements */
};

/* The statements confirmed so far, on the terminal (progress.h). */
static void show(struct run *u, px_step_kind kind, uint64_t confirmed)
{
	if (!u->progress)
		return;
	u->step.kind = kind;
	u->step.records = confirmed;
	px_progress_step(u->progress, &u->step);
}

static void stamp(json_t *delivery, const char *key)
{
	char at[40];

	px_rfc3339_from_epoch((int64_t)time(NULL), 0, at, sizeof(at));
	json_object_set_new(delivery, key, json_string(at));
}

static void counts(json_t *d, const px_lrs_report *r)
{
	json_object_set_new(d, "confirmed",
			    json_integer((json_int_t)r->confirmed));
	json_object_set_new(d, "already_held",
			    json_integer((json_int_t)r->held));
	json_object_set_new(d, "batches", json_integer(r->batches));
	if (r->version[0])
		json_object_set_new(d, "lrs_version", json_string(r->version));
}

static int on_progress(void *ctx, const px_lrs_report *r, px_error *err)
{
	struct run *u = ctx;

	counts(u->delivery, r);
	show(u, PX_STEP_RECORDS, r->confirmed);
	return px_delivery_record(u->l, u->id, u->actor, "transmission",
				  "progress", u->delivery, NULL, err);
}

/* Statements an earlier, unfinished run over the same package and LRS
 * had confirmed. */
static uint64_t resumable(const json_t *req, const px_lrs *lrs,
			  const char *sha256)
{
	const json_t *prev = json_object_get(req, "delivery");
	const char *state = str(prev, "state");

	if (strcmp(str(prev, "method"), "transmission") ||
	    strcmp(str(prev, "to"), lrs->endpoint) ||
	    strcmp(str(prev, "sha256"), sha256) || !strcmp(state, "sent"))
		return 0;
	return (uint64_t)json_integer_value(json_object_get(prev, "confirmed"));
}

static void print_receipt(const json_t *req, const px_lrs *lrs,
			  const px_lrs_report *r, uint64_t resumed)
{
	printf("request %ld delivered by xAPI transmission to %s (%s)\n",
	       (long)json_integer_value(json_object_get(req, "id")), lrs->name,
	       lrs->endpoint);
	printf("  statements  %llu, all confirmed by the LRS",
	       (unsigned long long)r->statements);
	if (resumed)
		printf(" (%llu in an earlier run)",
		       (unsigned long long)resumed);
	printf("\n  this run    %ld batches, %llu statements already held\n",
	       r->batches, (unsigned long long)r->held);
	printf("  lrs         X-Experience-API-Version %s\n",
	       r->version[0] ? r->version : "(no batch sent)");
}

static int transmit(px_ledger *l, const px_config *cfg, const struct opts *o,
		    const char *actor, px_error *err)
{
	json_t *req = NULL, *out = NULL;
	struct px_package_facts pkg = {0};
	px_lrs lrs = {0};
	px_lrs_report r = {0};
	struct run u = {l, o->id, actor, NULL, NULL, {0}};
	uint64_t from;
	FILE *f = NULL;
	int rc = -1;

	if (px_lrs_from_config(cfg, o->to, &lrs, err) ||
	    px_ledger_get(l, o->id, &req, err) ||
	    px_delivery_possible(req, err) ||
	    px_delivery_package(req, o->package, &pkg, err) ||
	    !(f = statements(o->package, err)))
		goto out;
	if (o->batch)
		lrs.batch = o->batch;
	from = o->restart ? 0 : resumable(req, &lrs, pkg.sha256);
	if (from)
		fprintf(stderr,
			"portex transmit: resuming after the %llu statements "
			"%s confirmed in an earlier run\n",
			(unsigned long long)from, lrs.name);
	u.delivery =
	    json_pack("{s:s, s:s, s:s, s:s, s:I}", "method", "transmission",
		      "to", lrs.endpoint, "lrs", lrs.name, "sha256", pkg.sha256,
		      "confirmed", (json_int_t)from);
	if (!u.delivery) {
		px_error_oom(err);
		goto out;
	}
	if (from)
		json_object_set_new(u.delivery, "resumed_from",
				    json_integer((json_int_t)from));
	stamp(u.delivery, "started_at");
	if (px_delivery_record(l, o->id, actor, "transmission", "sending",
			       u.delivery, NULL, err))
		goto out;
	if (!o->json && isatty(2) && (u.progress = px_progress_new(stderr))) {
		u.step.source = lrs.name;
		u.step.entity = "statements";
		show(&u, PX_STEP_RECORDS, 0);
	}
	if (px_lrs_send(&lrs, f, from, on_progress, &u, &r, err)) {
		px_error failure = *err;

		counts(u.delivery, &r);
		json_object_set_new(u.delivery, "statements",
				    json_integer((json_int_t)r.statements));
		json_object_set_new(u.delivery, "error",
				    json_string(failure.msg));
		if (r.conflict[0])
			json_object_set_new(u.delivery, "conflict",
					    json_string(r.conflict));
		px_error_clear(err);
		stamp(u.delivery, "failed_at");
		if (px_delivery_record(l, o->id, actor, "transmission",
				       "failed", u.delivery, NULL, err))
			px_error_prefix(err, "recording the failure of: %s",
					failure.msg);
		else
			*err = failure;
		goto out;
	}
	show(&u, PX_STEP_FETCHED, r.confirmed);
	px_progress_free(u.progress);
	u.progress = NULL;
	counts(u.delivery, &r);
	json_object_set_new(u.delivery, "statements",
			    json_integer((json_int_t)r.statements));
	if (r.status)
		json_object_set_new(u.delivery, "reply",
				    json_sprintf("HTTP %ld", r.status));
	stamp(u.delivery, "sent_at");
	if (px_delivery_record(l, o->id, actor, "transmission", "sent",
			       u.delivery, &out, err)) {
		px_error_prefix(err,
				"the LRS confirmed all %llu statements but "
				"recording the delivery failed",
				(unsigned long long)r.statements);
		goto out;
	}
	if (o->json) {
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	} else {
		print_receipt(out, &lrs, &r, from);
	}
	rc = PX_OK;
out:
	px_progress_free(u.progress); /* ends its line before an error */
	if (f)
		fclose(f);
	json_decref(u.delivery);
	json_decref(out);
	json_decref(req);
	px_lrs_clear(&lrs);
	return rc;
}

int cmd_transmit(int argc, char **argv, px_error *err)
{
	struct opts o;
	px_config *cfg = NULL;
	px_ledger *l;
	char buf[64];
	int rc = parse(argc, argv, &o, err);

	if (rc)
		return rc > 0 ? PX_OK : -1;
	l = px_cli_open_ledger("transmit", o.config, o.ledger, &cfg, err);
	if (!l) {
		px_config_free(cfg);
		return -1;
	}
	rc = transmit(l, cfg, &o, px_cli_actor(o.actor, buf, sizeof(buf)), err);
	px_ledger_close(l);
	px_config_free(cfg);
	return rc;
}
