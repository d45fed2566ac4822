/*
 * cmd_request.c - `portex request add|list|show|identity|extend|export|
 * deliver|reject|withdraw`: record a data-subject request and follow it to
 * delivery against its legal limit. Every change goes through the ledger,
 * which appends an audit entry in the same transaction.
 */
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "interrupt.h"
#include "cli/request_mail.h"
#include "ledger/checkpoint_sign.h"
#include "portex/config.h"
#include "portex/export.h"
#include "portex/ledger.h"

#define NEAR_DUE_DAYS 7

static const char usage[] =
    "usage: portex request COMMAND [ID] [options]\n"
    "\n"
    "  add --subject K=V [--subject K=V...] --received DATE\n"
    "      [--type portability|access] [--requester NAME]\n"
    "      [--relation self|parent|guardian|heir|agent]\n"
    "      [--channel mail|email|web|phone|in_person] [--calendar NAME]\n"
    "  list [--status S] [--due-within DAYS] [--overdue]\n"
    "  show ID                         the request and its audit entries\n"
    "  identity ID --ask|--verified [--date D]\n"
    "                                  asking for proof of identity\n"
    "                                  suspends the clock until verified\n"
    "  extend ID --reason TEXT [--date D]\n"
    "                                  extended limit: 3 months, notified\n"
    "                                  within the first limit\n"
    "  export ID [--out F.zip] [--force]\n"
    "                                  runs the export (needs --config)\n"
    "  deliver ID --method email|mail|download|in_person|transmission\n"
    "      [--date D]\n"
    "      --method email sends the package to the requester through\n"
    "      the config's smtp section and records the server's answer:\n"
    "      [--to ADDRESS] [--lang fr|en] [--password-file F (sent in a\n"
    "      second message)] [--resend (after an unknown outcome)];\n"
    "      --sent-elsewhere records an email (or an xAPI transmission)\n"
    "      sent by other means\n"
    "  remind [--within DAYS] [--to ADDRESS] [--dry-run]\n"
    "                                  digest of requests overdue, due\n"
    "                                  within DAYS (7), or awaiting\n"
    "                                  identity longer; mailed to\n"
    "                                  smtp.officer; exit 1 if overdue\n"
    "  reject ID --reason TEXT [--date D]\n"
    "  withdraw ID [--date D]\n"
    "\n"
    "Every command takes:\n"
    "  --config F     deployment config; its \"ledger\" names the ledger\n"
    "  --ledger URI   sqlite:FILE or postgresql://... (overrides --config)\n"
    "  --actor NAME   who acts, for the audit trail (default: user name)\n"
    "  --json         print JSON\n"
    "\n"
    "Lifecycle: received -> awaiting_identity -> ready -> exported ->\n"
    "delivered; rejected or withdrawn from any open state. Dates are\n"
    "YYYY-MM-DD, default today. `list` sorts by the limit in force and,\n"
    "on a terminal, shows overdue rows in red and rows due within 7 days\n"
    "in yellow; --due-within N keeps open requests due within N days,\n"
    "overdue ones included.\n"
    "\n"
    "exit: 0 ok, 64 usage, 65 bad data (impossible or future date,\n"
    "transition not allowed, unknown request id, corrupt ledger),\n"
    "69 ledger locked or unreachable, 73 cannot write, 78 config error\n";

struct opts {
	const char *config, *ledger, *actor, *date, *reason, *method, *out;
	const char *status, *type, *requester, *relation, *channel;
	const char *calendar, *received;
	const char *to, *password_file, *lang;
	json_t *subject;
	int json, ask, verified, overdue, force;
	int resend, dry_run, sent_elsewhere;
	long within;
	long due_within; /* -1: no filter */
	long id;
};

enum {
	O_CONFIG = 256,
	O_LEDGER,
	O_ACTOR,
	O_JSON,
	O_DATE,
	O_REASON,
	O_METHOD,
	O_OUT,
	O_FORCE,
	O_STATUS,
	O_DUE_WITHIN,
	O_OVERDUE,
	O_ASK,
	O_VERIFIED,
	O_SUBJECT,
	O_TYPE,
	O_REQUESTER,
	O_RELATION,
	O_CHANNEL,
	O_CALENDAR,
	O_RECEIVED,
	O_TO,
	O_PASSWORD_FILE,
	O_LANG,
	O_RESEND,
	O_SENT_ELSEWHERE,
	O_WITHIN,
	O_DRY_RUN,
	O_HELP
};

static const struct option long_opts[] = {
    {"config", required_argument, NULL, O_CONFIG},
    {"ledger", required_argument, NULL, O_LEDGER},
    {"actor", required_argument, NULL, O_ACTOR},
    {"json", no_argument, NULL, O_JSON},
    {"date", required_argument, NULL, O_DATE},
    {"reason", required_argument, NULL, O_REASON},
    {"method", required_argument, NULL, O_METHOD},
    {"out", required_argument, NULL, O_OUT},
    {"force", no_argument, NULL, O_FORCE},
    {"status", required_argument, NULL, O_STATUS},
    {"due-within", required_argument, NULL, O_DUE_WITHIN},
    {"overdue", no_argument, NULL, O_OVERDUE},
    {"ask", no_argument, NULL, O_ASK},
    {"verified", no_argument, NULL, O_VERIFIED},
    {"subject", required_argument, NULL, O_SUBJECT},
    {"type", required_argument, NULL, O_TYPE},
    {"requester", required_argument, NULL, O_REQUESTER},
    {"relation", required_argument, NULL, O_RELATION},
    {"channel", required_argument, NULL, O_CHANNEL},
    {"calendar", required_argument, NULL, O_CALENDAR},
    {"received", required_argument, NULL, O_RECEIVED},
    {"to", required_argument, NULL, O_TO},
    {"password-file", required_argument, NULL, O_PASSWORD_FILE},
    {"lang", required_argument, NULL, O_LANG},
    {"resend", no_argument, NULL, O_RESEND},
    {"sent-elsewhere", no_argument, NULL, O_SENT_ELSEWHERE},
    {"within", required_argument, NULL, O_WITHIN},
    {"dry-run", no_argument, NULL, O_DRY_RUN},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0}};

/* Which options each command accepts beyond the common ones. */
static const struct sub {
	const char *name;
	int takes_id;
	int opts[10];
} subs[] = {
    {"add",
     0,
     {O_SUBJECT, O_TYPE, O_REQUESTER, O_RELATION, O_CHANNEL, O_CALENDAR,
      O_RECEIVED}},
    {"list", 0, {O_STATUS, O_DUE_WITHIN, O_OVERDUE}},
    {"show", 1, {0}},
    {"identity", 1, {O_ASK, O_VERIFIED, O_DATE}},
    {"extend", 1, {O_REASON, O_DATE}},
    {"export", 1, {O_OUT, O_FORCE}},
    {"deliver",
     1,
     {O_METHOD, O_DATE, O_TO, O_PASSWORD_FILE, O_LANG, O_RESEND,
      O_SENT_ELSEWHERE}},
    {"reject", 1, {O_REASON, O_DATE}},
    {"withdraw", 1, {O_DATE}},
    {"remind", 0, {O_WITHIN, O_TO, O_DRY_RUN}},
};

static int accepts(const struct sub *s, int opt)
{
	if (opt <= O_JSON || opt == O_HELP)
		return 1;
	for (int i = 0; s->opts[i]; i++)
		if (s->opts[i] == opt)
			return 1;
	return 0;
}

static const char *opt_name(int c)
{
	for (const struct option *p = long_opts; p->name; p++)
		if (p->val == c)
			return p->name;
	return "?";
}

static int add_subject(json_t *subject, const char *arg, px_error *err)
{
	const char *eq = strchr(arg, '=');
	char *key;
	int rc;

	if (!eq || eq == arg || !eq[1])
		return px_usage_error(err, "request",
				      "--subject %s: expected KEY=VALUE", arg);
	key = strndup(arg, (size_t)(eq - arg));
	if (!key)
		return px_error_oom(err);
	rc = json_object_set_new(subject, key, json_string(eq + 1));
	free(key);
	return rc ? px_usage_error(err, "request", "--subject %s: not UTF-8",
				   arg)
		  : 0;
}

static int parse(int argc, char **argv, const struct sub *s, struct opts *o,
		 px_error *err)
{
	int c;
	char *end;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (c == 'h')
			c = O_HELP;
		if (c == '?')
			return px_usage_error(err, "request", "unknown option");
		if (!accepts(s, c))
			return px_usage_error(err, "request",
					      "--%s does not apply to '%s'",
					      opt_name(c), s->name);
		switch (c) {
		case O_HELP:
			fputs(usage, stdout);
			return 1;
		case O_CONFIG:
			o->config = optarg;
			break;
		case O_LEDGER:
			o->ledger = optarg;
			break;
		case O_ACTOR:
			o->actor = optarg;
			break;
		case O_JSON:
			o->json = 1;
			break;
		case O_DATE:
			o->date = optarg;
			break;
		case O_REASON:
			o->reason = optarg;
			break;
		case O_METHOD:
			o->method = optarg;
			break;
		case O_OUT:
			o->out = optarg;
			break;
		case O_FORCE:
			o->force = 1;
			break;
		case O_STATUS:
			o->status = optarg;
			break;
		case O_OVERDUE:
			o->overdue = 1;
			break;
		case O_ASK:
			o->ask = 1;
			break;
		case O_VERIFIED:
			o->verified = 1;
			break;
		case O_TYPE:
			o->type = optarg;
			break;
		case O_REQUESTER:
			o->requester = optarg;
			break;
		case O_RELATION:
			o->relation = optarg;
			break;
		case O_CHANNEL:
			o->channel = optarg;
			break;
		case O_CALENDAR:
			o->calendar = optarg;
			break;
		case O_RECEIVED:
			o->received = optarg;
			break;
		case O_TO:
			o->to = optarg;
			break;
		case O_PASSWORD_FILE:
			o->password_file = optarg;
			break;
		case O_LANG:
			if (strcmp(optarg, "fr") && strcmp(optarg, "en"))
				return px_usage_error(err, "request",
						      "--lang %s: expected fr "
						      "or en",
						      optarg);
			o->lang = optarg;
			break;
		case O_RESEND:
			o->resend = 1;
			break;
		case O_SENT_ELSEWHERE:
			o->sent_elsewhere = 1;
			break;
		case O_DRY_RUN:
			o->dry_run = 1;
			break;
		case O_WITHIN:
			o->within = strtol(optarg, &end, 10);
			if (*end || end == optarg || o->within < 0 ||
			    o->within > 3650)
				return px_usage_error(
				    err, "request",
				    "--within %s: expected a number of days, "
				    "0-3650",
				    optarg);
			break;
		case O_SUBJECT:
			if (add_subject(o->subject, optarg, err))
				return -1;
			break;
		case O_DUE_WITHIN:
			o->due_within = strtol(optarg, &end, 10);
			if (*end || end == optarg || o->due_within < 0 ||
			    o->due_within > 3650)
				return px_usage_error(
				    err, "request",
				    "--due-within %s: expected a number "
				    "of days, 0-3650",
				    optarg);
			break;
		}
	}
	if (s->takes_id) {
		if (optind != argc - 1)
			return px_usage_error(err, "request",
					      "%s expects one request ID",
					      s->name);
		o->id = strtol(argv[optind], &end, 10);
		if (*end || end == argv[optind] || o->id <= 0 ||
		    o->id == LONG_MAX)
			return px_error_set(err, PX_EXIT_DATA,
					    "'%s' is not a request ID "
					    "(a positive number)",
					    argv[optind]);
	} else if (optind != argc) {
		return px_usage_error(err, "request",
				      "unexpected argument '%s'", argv[optind]);
	}
	return 0;
}

/* Days from today to the limit in force; INT_MIN when the clock is
 * suspended or the request closed. */
static long days_left(const json_t *req, px_day today)
{
	const char *status = json_string_value(json_object_get(req, "status"));
	px_day due;

	if (!px_request_is_open(req) || !strcmp(status, "awaiting_identity") ||
	    px_date_parse(px_request_effective_due(req), &due, NULL))
		return LONG_MIN;
	return due - today;
}

/* The request with what a reader wants at a glance. New reference. */
static json_t *annotated(const json_t *req, px_day today)
{
	json_t *o = json_deep_copy(req);
	long left = days_left(req, today);

	if (!o)
		return NULL;
	json_object_set_new(o, "effective_due",
			    json_string(px_request_effective_due(req)));
	if (left != LONG_MIN)
		json_object_set_new(o, "days_left", json_integer(left));
	json_object_set_new(o, "overdue",
			    json_boolean(left != LONG_MIN && left < 0));
	return o;
}

static void print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	putchar('\n');
}

static const char *s(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

static void print_subject(const json_t *req, FILE *f)
{
	const char *k;
	json_t *v;
	int first = 1;

	json_object_foreach (json_object_get(req, "subject"), k, v) {
		fprintf(f, "%s%s=%s", first ? "" : ",", k,
			json_string_value(v));
		first = 0;
	}
}

static void print_request(const json_t *req, px_day today)
{
	static const char *const fields[] = {"type",
					     "requester",
					     "relation",
					     "channel",
					     "received",
					     "calendar",
					     "identity",
					     "due",
					     "extended_due",
					     "extension_reason",
					     "extension_notified",
					     "package_path",
					     "package_sha256",
					     "delivery_method",
					     "delivered",
					     "rejection_reason",
					     "closed",
					     "created_at",
					     "updated_at",
					     NULL};
	long left = days_left(req, today);
	size_t i;
	json_t *sp;

	printf("request %" JSON_INTEGER_FORMAT ": %s",
	       json_integer_value(json_object_get(req, "id")),
	       s(req, "status"));
	if (left != LONG_MIN)
		printf(left < 0 ? " (overdue by %ld days)" : " (%ld days left)",
		       left < 0 ? -left : left);
	else if (!strcmp(s(req, "status"), "awaiting_identity"))
		printf(" (clock suspended)");
	printf("\n  %-19s ", "subject");
	print_subject(req, stdout);
	putchar('\n');
	for (int f = 0; fields[f]; f++)
		if (*s(req, fields[f]))
			printf("  %-19s %s\n", fields[f], s(req, fields[f]));
	json_array_foreach (json_object_get(req, "suspensions"), i, sp) {
		printf("  %-19s asked %s, answered %s\n", "suspension",
		       s(sp, "asked"),
		       *s(sp, "answered") ? s(sp, "answered") : "(waiting)");
	}
}

static int do_list(px_ledger *l, const struct opts *o, px_error *err)
{
	px_day today = px_today();
	json_t *all = NULL, *out = json_array(), *req;
	int colour = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	size_t i;

	if (!out || px_ledger_list(l, &all, err)) {
		json_decref(out);
		return out ? -1 : px_error_oom(err);
	}
	if (!o->json)
		printf("%-6s %-17s %-11s %-10s %-10s %6s  %s\n", "ID", "STATUS",
		       "TYPE", "RECEIVED", "DUE", "DAYS", "SUBJECT");
	json_array_foreach (all, i, req) {
		long left = days_left(req, today);
		const char *on = "", *off = "";

		if (o->status && strcmp(o->status, s(req, "status")))
			continue;
		if (o->overdue && !(left != LONG_MIN && left < 0))
			continue;
		if (o->due_within >= 0 &&
		    !(left != LONG_MIN && left <= o->due_within))
			continue;
		if (o->json) {
			json_array_append_new(out, annotated(req, today));
			continue;
		}
		if (colour && left != LONG_MIN && left < 0)
			on = "\033[31m", off = "\033[0m";
		else if (colour && left != LONG_MIN && left <= NEAR_DUE_DAYS)
			on = "\033[33m", off = "\033[0m";
		printf("%s%-6" JSON_INTEGER_FORMAT " %-17s %-11s %-10s %-10s ",
		       on, json_integer_value(json_object_get(req, "id")),
		       s(req, "status"), s(req, "type"), s(req, "received"),
		       px_request_effective_due(req));
		if (left != LONG_MIN)
			printf("%6ld  ", left);
		else
			printf("%6s  ", "-");
		print_subject(req, stdout);
		printf("%s\n", off);
	}
	if (o->json)
		print_json(out);
	json_decref(all);
	json_decref(out);
	return PX_OK;
}

static int do_show(px_ledger *l, const struct opts *o, px_error *err)
{
	px_day today = px_today();
	json_t *req = NULL, *trail = NULL, *e;
	size_t i;

	if (px_ledger_get(l, o->id, &req, err) ||
	    px_audit_list(l, o->id, &trail, err)) {
		json_decref(req);
		return -1;
	}
	if (o->json) {
		json_t *j = annotated(req, today);

		json_object_set(j, "audit", trail);
		print_json(j);
		json_decref(j);
	} else {
		print_request(req, today);
		printf("audit:\n");
		json_array_foreach (trail, i, e)
			printf("  #%-5" JSON_INTEGER_FORMAT " %s %-22s by %s\n",
			       json_integer_value(json_object_get(e, "seq")),
			       s(e, "at"), s(e, "action"), s(e, "actor"));
	}
	json_decref(req);
	json_decref(trail);
	return PX_OK;
}

static int do_add(px_ledger *l, const px_config *cfg, const struct opts *o,
		  const char *actor, px_error *err)
{
	json_t *req, *out = NULL;
	const char *cal = o->calendar;
	const char *first = NULL, *k;
	json_t *v;
	int rc;

	if (!o->received)
		return px_usage_error(err, "request",
				      "add: --received DATE is required");
	json_object_foreach (o->subject, k, v)
		if (!first)
			first = json_string_value(v);
	if (o->relation && strcmp(o->relation, "self") && !o->requester)
		return px_usage_error(err, "request",
				      "add: --relation %s needs --requester "
				      "NAME (who asks for the subject)",
				      o->relation);
	if (!cal && cfg)
		cal = px_config_str(cfg, "deadline.calendar");
	req =
	    json_pack("{s:s, s:O, s:s?, s:s, s:s, s:s, s:s}", "type",
		      o->type ? o->type : "portability", "subject", o->subject,
		      "requester", o->requester ? o->requester : first,
		      "relation", o->relation ? o->relation : "self", "channel",
		      o->channel ? o->channel : "email", "received",
		      o->received, "calendar", cal ? cal : "FR");
	if (!req)
		return px_error_oom(err);
	if (px_request_check(req, px_today(), err)) {
		json_decref(req);
		return err->code == PX_EXIT_USAGE
			   ? px_usage_error(err, "request", "add: %s", err->msg)
			   : -1;
	}
	rc = px_ledger_add(l, req, actor, &out, err);
	json_decref(req);
	if (rc)
		return -1;
	if (o->json) {
		json_t *j = annotated(out, px_today());

		print_json(j);
		json_decref(j);
	} else {
		printf("request %" JSON_INTEGER_FORMAT
		       " recorded: due %s (extended limit %s)\n",
		       json_integer_value(json_object_get(out, "id")),
		       s(out, "due"), s(out, "extended_due"));
	}
	json_decref(out);
	return PX_OK;
}

struct apply_ctx {
	const char *action;
	json_t *args;
};

static int apply_fn(void *ctx, json_t *req, json_t *details, px_error *err)
{
	struct apply_ctx *a = ctx;

	return px_request_apply(req, a->action, a->args, px_today(), details,
				err);
}

static int change(px_ledger *l, const struct opts *o, const char *actor,
		  const char *action, json_t *args, px_error *err)
{
	struct apply_ctx a = {action, args};
	char audit_action[64];
	json_t *out = NULL;
	int rc;

	snprintf(audit_action, sizeof(audit_action), "request.%s", action);
	rc = px_ledger_change(l, o->id, audit_action, actor, apply_fn, &a, &out,
			      err);
	json_decref(args);
	if (rc)
		return err->code == PX_EXIT_USAGE
			   ? px_usage_error(err, "request", "%s", err->msg)
			   : -1;
	if (o->json) {
		json_t *j = annotated(out, px_today());

		print_json(j);
		json_decref(j);
	} else {
		print_request(out, px_today());
	}
	json_decref(out);
	return PX_OK;
}

int px_cli_reconcile(px_ledger *l, const char *actor, px_error *err)
{
	json_t *done = NULL, *d;
	size_t i;

	if (px_ledger_reconcile(l, actor, &done, err))
		return -1;
	json_array_foreach (done, i, d) {
		const char *action = s(d, "action");

		if (!strcmp(action, "recovered"))
			fprintf(stderr,
				"portex: request %" JSON_INTEGER_FORMAT
				": %s was published by an export that "
				"stopped before recording it; recorded now "
				"(sha256 %s)\n",
				json_integer_value(json_object_get(d, "id")),
				s(d, "path"), s(d, "sha256"));
		else
			fprintf(stderr,
				"portex: request %" JSON_INTEGER_FORMAT
				": an export of %s stopped before "
				"publishing it; the ledger keeps the package "
				"it had\n",
				json_integer_value(json_object_get(d, "id")),
				s(d, "path"));
	}
	json_decref(done);
	return 0;
}

/* out_path made absolute without needing the file to exist: the path the
 * ledger records before and after publishing. malloc'ed, or NULL. */
static char *absolute_target(const char *out_path)
{
	const char *slash = strrchr(out_path, '/');
	const char *base = slash ? slash + 1 : out_path;
	char *dir = slash ? strndup(out_path, (size_t)(slash - out_path + 1))
			  : strdup(".");
	char *real = dir ? realpath(dir, NULL) : NULL, *out = NULL;

	if (real && *base) {
		size_t n = strlen(real) + strlen(base) + 2;

		if ((out = malloc(n)))
			snprintf(out, n, "%s%s%s", real,
				 strcmp(real, "/") ? "/" : "", base);
	}
	free(dir);
	free(real);
	return out;
}

struct pending_hook {
	px_ledger *l;
	long id;
	const char *actor, *path;
};

static int before_publish(void *ctx, const char *sha256_hex, px_error *err)
{
	struct pending_hook *h = ctx;

	return px_ledger_export_pending(h->l, h->id, h->actor, h->path,
					sha256_hex, err);
}

static int do_export(px_ledger *l, const px_config *cfg, const struct opts *o,
		     const char *actor, px_error *err)
{
	json_t *req = NULL, *args;
	px_export_opts eo = {0};
	px_export_result res;
	struct pending_hook hook = {l, o->id, actor, NULL};
	char id[24], def[64], *path;
	json_t *audit;
	px_scope scope;
	px_error ignored = {0};
	int rc;

	if (!cfg)
		return px_usage_error(err, "request",
				      "export needs --config F (the sources)");
	if (px_ledger_get(l, o->id, &req, err))
		return -1;
	/* Refuse early, before minutes of export, when the state is wrong;
	 * the ledger checks again when it records the package. */
	{
		json_t *probe = json_deep_copy(req);
		int bad = px_request_transition(probe, "exported", err);

		json_decref(probe);
		if (bad) {
			json_decref(req);
			return -1;
		}
	}
	snprintf(id, sizeof(id), "%ld", o->id);
	snprintf(def, sizeof(def), "portex-request-%ld.zip", o->id);
	if (px_scope_parse(s(req, "type"), &scope)) {
		json_decref(req);
		return px_error_set(err, PX_EXIT_DATA,
				    "request %ld has type '%s'", o->id,
				    s(req, "type"));
	}
	eo.config = cfg;
	eo.subject = json_object_get(req, "subject");
	eo.scope = scope;
	eo.out_path = o->out ? o->out : def;
	eo.request_id = id;
	eo.force = o->force;
	eo.progress = 1;
	/* The package witnesses the trail as it stands before its entry. */
	if (!(eo.audit = audit = px_audit_witness_new(l, err))) {
		json_decref(req);
		return -1;
	}
	/* The ledger hears of the package before it replaces the old one. */
	if (!(path = absolute_target(eo.out_path))) {
		json_decref(audit);
		json_decref(req);
		return px_error_set(err, PX_EXIT_CANTCREAT,
				    "request %ld: %s: cannot resolve its "
				    "folder",
				    o->id, eo.out_path);
	}
	hook.path = path;
	eo.before_publish = before_publish;
	eo.before_publish_ctx = &hook;
	rc = px_export(&eo, &res, err);
	json_decref(audit);
	json_decref(req);
	if (rc) {
		free(path);
		/* Publishing failed after the pending record was written:
		 * drop it now rather than at the next command. Not when
		 * something was unavailable: sources are read before that
		 * record, and a ledger that stopped answering is not asked
		 * again (the next command settles it). */
		if (err->code != PX_EXIT_UNAVAILABLE &&
		    px_ledger_reconcile(l, actor, NULL, &ignored))
			fprintf(stderr, "portex: %s\n", ignored.msg);
		return px_error_prefix(err, "request %ld", o->id);
	}
	args = json_pack("{s:s, s:s}", "path", path, "sha256", res.sha256);
	free(path);
	rc = change(l, o, actor, "exported", args, err);
	/* Then the head with the package's entry is signed. */
	if (!rc && px_audit_checkpoint_with(l, &(px_export_opts){.config = cfg},
					    NULL, err))
		return px_error_prefix(err,
				       "request %ld: the package is recorded "
				       "but its audit checkpoint is not",
				       o->id);
	return rc;
}

static int run(const struct sub *sub, px_ledger *l, const px_config *cfg,
	       const struct opts *o, px_error *err)
{
	char buf[32];
	const char *actor = px_cli_actor(o->actor, buf, sizeof(buf));
	const char *name = sub->name;

	if (!strcmp(name, "add"))
		return do_add(l, cfg, o, actor, err);
	if (!strcmp(name, "list"))
		return do_list(l, o, err);
	if (!strcmp(name, "show"))
		return do_show(l, o, err);
	if (!strcmp(name, "export"))
		return do_export(l, cfg, o, actor, err);
	if (!strcmp(name, "identity"))
		return change(l, o, actor,
			      o->verified ? "identity-verified"
					  : "identity-ask",
			      json_pack("{s:s?}", "date", o->date), err);
	if (!strcmp(name, "extend"))
		return change(l, o, actor, "extend",
			      json_pack("{s:s?, s:s?}", "reason", o->reason,
					"date", o->date),
			      err);
	if (!strcmp(name, "remind")) {
		struct px_remind_opts r = {o->within, o->to, o->dry_run,
					   o->json};

		return px_request_remind(l, cfg, &r, err);
	}
	if (!strcmp(name, "deliver") && o->method &&
	    !strcmp(o->method, "email") && !o->sent_elsewhere) {
		struct px_deliver_opts d = {o->id,   o->to, o->password_file,
					    o->lang, actor, o->resend,
					    o->json};

		if (o->date)
			return px_usage_error(err, "request",
					      "deliver --method email sends "
					      "now: --date applies to "
					      "--sent-elsewhere");
		return px_request_deliver_email(l, cfg, &d, err);
	}
	if (!strcmp(name, "deliver") && o->method &&
	    !strcmp(o->method, "transmission") && !o->sent_elsewhere)
		return px_usage_error(err, "request",
				      "deliver --method transmission: "
				      "'portex transmit' sends the xAPI "
				      "statements and records the delivery; "
				      "--sent-elsewhere records a "
				      "transmission made without portex");
	if (!strcmp(name, "deliver") &&
	    (o->to || o->password_file || o->lang || o->resend))
		return px_usage_error(err, "request",
				      "--to, --lang, --password-file and "
				      "--resend apply to --method email");
	if (!strcmp(name, "deliver"))
		return change(l, o, actor, "deliver",
			      json_pack("{s:s?, s:s?}", "method", o->method,
					"date", o->date),
			      err);
	if (!strcmp(name, "reject"))
		return change(l, o, actor, "reject",
			      json_pack("{s:s?, s:s?}", "reason", o->reason,
					"date", o->date),
			      err);
	return change(l, o, actor, "withdraw",
		      json_pack("{s:s?}", "date", o->date), err);
}

int cmd_request(int argc, char **argv, px_error *err)
{
	struct opts o = {.due_within = -1, .within = 7};
	const struct sub *sub = NULL;
	px_config *cfg = NULL;
	px_ledger *l;
	char buf[32];
	int rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? PX_EXIT_USAGE : PX_OK;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(*subs); i++)
		if (!strcmp(argv[1], subs[i].name))
			sub = &subs[i];
	if (!sub)
		return px_usage_error(err, "request", "unknown command '%s'",
				      argv[1]);
	o.subject = json_object();
	if (!o.subject)
		return px_error_oom(err);
	rc = parse(argc - 1, argv + 1, sub, &o, err);
	if (rc) {
		json_decref(o.subject);
		return rc < 0 ? -1 : PX_OK;
	}
	if (!strcmp(sub->name, "identity") && o.ask == o.verified) {
		json_decref(o.subject);
		return px_usage_error(err, "request",
				      "identity: give --ask or --verified");
	}
	/* SIGINT/SIGTERM end a wait on the ledger's server (exit 130; its
	 * transaction is rolled back). */
	px_interrupt_install();
	l = px_cli_open_ledger("request", o.config, o.ledger, &cfg, err);
	rc = l ? px_cli_reconcile(l, px_cli_actor(o.actor, buf, sizeof(buf)),
				  err)
	       : -1;
	if (!rc)
		rc = run(sub, l, cfg, &o, err);
	px_ledger_close(l);
	px_config_free(cfg);
	json_decref(o.subject);
	return rc;
}
