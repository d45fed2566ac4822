/*
 * ledger_lifecycle.c - what a request may become, and when. Pure edits of
 * a request object (see ledger.h); the ledger stores the result.
 */
#include <stdio.h>
#include <string.h>

#include "portex/ledger.h"

static const struct {
	const char *from;
	const char *to[5];
} transitions[] = {
    {"received", {"awaiting_identity", "ready", "rejected", "withdrawn"}},
    {"awaiting_identity", {"ready", "rejected", "withdrawn"}},
    {"ready", {"exported", "rejected", "withdrawn"}},
    /* Exporting again replaces the package (a source was corrected). */
    {"exported", {"exported", "delivered", "rejected", "withdrawn"}},
    {"delivered", {NULL}},
    {"rejected", {NULL}},
    {"withdrawn", {NULL}},
};

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int one_of(const char *v, const char *const *set)
{
	for (; v && *set; set++)
		if (!strcmp(v, *set))
			return 1;
	return 0;
}

static long req_id(const json_t *req)
{
	return (long)json_integer_value(json_object_get(req, "id"));
}

int px_request_is_open(const json_t *req)
{
	static const char *const closed[] = {"delivered", "rejected",
					     "withdrawn", NULL};

	return !one_of(str(req, "status"), closed);
}

int px_request_transition(json_t *req, const char *to, px_error *err)
{
	const char *from = str(req, "status");
	char allowed[128] = "";
	size_t len = 0;

	for (size_t i = 0;
	     from && i < sizeof(transitions) / sizeof(*transitions); i++) {
		if (strcmp(from, transitions[i].from))
			continue;
		if (one_of(to, transitions[i].to))
			return json_object_set_new(req, "status",
						   json_string(to))
				   ? px_error_oom(err)
				   : 0;
		for (int k = 0; transitions[i].to[k]; k++)
			len += (size_t)snprintf(
			    allowed + len, sizeof(allowed) - len, "%s%s",
			    k ? ", " : "", transitions[i].to[k]);
		break;
	}
	return px_error_set(
	    err, PX_EXIT_DATA, "request %ld is %s: it cannot become %s (%s%s)",
	    req_id(req), from ? from : "(no status)", to,
	    len ? "allowed from there: " : "", len ? allowed : "it is closed");
}

const char *px_request_effective_due(const json_t *req)
{
	return str(req, json_object_get(req, "extension_reason")
			    ? "extended_due"
			    : "due");
}

static int field_date(const json_t *o, const char *key, const char *what,
		      px_day *out, px_error *err)
{
	if (px_date_parse(str(o, key), out, err))
		return px_error_prefix(err, "%s", what);
	return 0;
}

int px_request_recompute(json_t *req, px_day today, px_error *err)
{
	const px_calendar *cal;
	px_day received, asked, answered;
	px_deadline dl;
	long suspended = 0;
	char due[11], ext[11];
	size_t i;
	json_t *s;

	if (field_date(req, "received", "received", &received, err) ||
	    px_calendar_parse(str(req, "calendar"), &cal, err))
		return -1;
	json_array_foreach (json_object_get(req, "suspensions"), i, s) {
		if (field_date(s, "asked", "suspension asked", &asked, err))
			return -1;
		answered = today;
		if (str(s, "answered") &&
		    field_date(s, "answered", "suspension answered", &answered,
			       err))
			return -1;
		if (answered > asked)
			suspended += answered - asked;
	}
	px_deadline_compute(cal, received, suspended, &dl);
	px_date_format(dl.due, due);
	px_date_format(dl.extended, ext);
	if (json_object_set_new(req, "due", json_string(due)) ||
	    json_object_set_new(req, "extended_due", json_string(ext)))
		return px_error_oom(err);
	return 0;
}

static int need(const json_t *o, const char *key, const char *what,
		px_error *err)
{
	const char *v = str(o, key);

	if (!v || !*v)
		return px_error_set(err, PX_EXIT_USAGE, "%s is required", what);
	return 0;
}

int px_request_check(const json_t *req, px_day today, px_error *err)
{
	static const char *const types[] = {"portability", "access", NULL};
	static const char *const relations[] = {"self", "parent", "guardian",
						"heir", "agent",  NULL};
	/* portal: asked through a learner portal (`portex serve`), which
	 * vouches for who is logged in. */
	static const char *const channels[] = {
	    "mail", "email", "web", "phone", "in_person", "portal", NULL};
	const px_calendar *cal;
	const char *k;
	json_t *subject = json_object_get(req, "subject"), *v;
	px_day received;
	char t[11];

	if (!one_of(str(req, "type"), types))
		return px_error_set(err, PX_EXIT_USAGE,
				    "type '%s': expected portability or access",
				    str(req, "type") ? str(req, "type") : "");
	if (!json_is_object(subject) || !json_object_size(subject))
		return px_error_set(err, PX_EXIT_USAGE,
				    "the subject's identity keys are required "
				    "(--subject email=...)");
	json_object_foreach (subject, k, v)
		if (!json_string_length(v))
			return px_error_set(err, PX_EXIT_USAGE,
					    "subject key '%s' has no value", k);
	if (need(req, "requester", "the requester", err))
		return -1;
	if (!one_of(str(req, "relation"), relations))
		return px_error_set(err, PX_EXIT_USAGE,
				    "relation '%s': expected self, parent, "
				    "guardian, heir or agent",
				    str(req, "relation") ? str(req, "relation")
							 : "");
	if (!one_of(str(req, "channel"), channels))
		return px_error_set(err, PX_EXIT_USAGE,
				    "channel '%s': expected mail, email, web, "
				    "phone, in_person or portal",
				    str(req, "channel") ? str(req, "channel")
							: "");
	if (px_calendar_parse(str(req, "calendar"), &cal, err))
		return -1;
	if (field_date(req, "received", "received", &received, err))
		return -1;
	if (received > today) {
		px_date_format(today, t);
		return px_error_set(err, PX_EXIT_DATA,
				    "received %s is in the future (today is "
				    "%s): a request is recorded once it has "
				    "reached the controller",
				    str(req, "received"), t);
	}
	return 0;
}

/* The action's date: args.date or today, not before receipt nor after
 * today. */
static int action_date(const json_t *req, const json_t *args, px_day today,
		       const char *what, px_day *out, char *buf, px_error *err)
{
	px_day received;
	char t[11];

	*out = today;
	if (str(args, "date") && field_date(args, "date", what, out, err))
		return -1;
	if (field_date(req, "received", "received", &received, err))
		return -1;
	px_date_format(*out, buf);
	if (*out > today) {
		px_date_format(today, t);
		return px_error_set(err, PX_EXIT_DATA,
				    "%s %s is in the future (today is %s)",
				    what, buf, t);
	}
	if (*out < received)
		return px_error_set(err, PX_EXIT_DATA,
				    "%s %s is before the request was "
				    "received (%s)",
				    what, buf, str(req, "received"));
	return 0;
}

static int set_str(json_t *o, const char *key, const char *v, px_error *err)
{
	if (json_object_set_new(o, key, json_string(v)))
		return px_error_oom(err);
	return 0;
}

static int identity(json_t *req, int verified, const json_t *args, px_day today,
		    px_error *err)
{
	json_t *susp = json_object_get(req, "suspensions");
	json_t *last = json_array_get(susp, json_array_size(susp) - 1);
	px_day d, asked;
	char buf[11];

	if (action_date(req, args, today,
			verified ? "identity confirmed on"
				 : "identity asked on",
			&d, buf, err))
		return -1;
	if (px_request_transition(req, verified ? "ready" : "awaiting_identity",
				  err))
		return -1;
	if (!verified) {
		json_array_append_new(susp, json_pack("{s:s}", "asked", buf));
		return set_str(req, "identity", "requested", err);
	}
	if (last && !str(last, "answered")) {
		if (field_date(last, "asked", "suspension", &asked, err))
			return -1;
		if (d < asked)
			return px_error_set(err, PX_EXIT_DATA,
					    "identity confirmed on %s, before "
					    "it was asked for (%s)",
					    buf, str(last, "asked"));
		if (set_str(last, "answered", buf, err))
			return -1;
	}
	if (set_str(req, "identity", "verified", err))
		return -1;
	return px_request_recompute(req, today, err);
}

static int extend(json_t *req, const json_t *args, px_day today, px_error *err)
{
	px_day d, due;
	char buf[11];

	if (need(args, "reason", "the reason for the extension (--reason)",
		 err))
		return -1;
	if (!px_request_is_open(req) || !strcmp(str(req, "status"), "exported"))
		return px_error_set(err, PX_EXIT_DATA,
				    "request %ld is %s: only a request not "
				    "yet answered can be extended",
				    req_id(req), str(req, "status"));
	if (json_object_get(req, "extension_reason"))
		return px_error_set(err, PX_EXIT_DATA,
				    "request %ld was already extended on %s "
				    "(to %s)",
				    req_id(req), str(req, "extension_notified"),
				    str(req, "extended_due"));
	if (action_date(req, args, today, "extension notified on", &d, buf,
			err) ||
	    field_date(req, "due", "due", &due, err))
		return -1;
	if (d > due)
		return px_error_set(err, PX_EXIT_DATA,
				    "extension notified on %s, after the "
				    "first limit (%s): GDPR Art. 12(3) "
				    "requires notice within the first month",
				    buf, str(req, "due"));
	if (set_str(req, "extension_reason", str(args, "reason"), err) ||
	    set_str(req, "extension_notified", buf, err))
		return -1;
	return 0;
}

static int close_as(json_t *req, const char *to, const json_t *args,
		    px_day today, px_error *err)
{
	px_day d;
	char buf[11];

	if (action_date(req, args, today,
			!strcmp(to, "rejected") ? "rejected on"
						: "withdrawn on",
			&d, buf, err) ||
	    px_request_transition(req, to, err))
		return -1;
	if (!strcmp(to, "rejected") &&
	    (need(args, "reason", "the reason for the rejection (--reason)",
		  err) ||
	     set_str(req, "rejection_reason", str(args, "reason"), err)))
		return -1;
	return set_str(req, "closed", buf, err);
}

/* The package is recorded: nothing is pending any more. */
static int clear_pending(json_t *req)
{
	json_object_del(req, "package_pending"); /* -1 when absent: fine */
	return 0;
}

int px_request_apply(json_t *req, const char *action, const json_t *args,
		     px_day today, json_t *details, px_error *err)
{
	static const char *const methods[] = {
	    "email", "mail", "download", "in_person", "transmission", NULL};
	const char *from = str(req, "status");
	px_day d;
	char buf[11];
	int rc;

	if (json_object_set_new(details, "from", json_string(from ? from : "")))
		return px_error_oom(err);
	if (!strcmp(action, "identity-ask"))
		rc = identity(req, 0, args, today, err);
	else if (!strcmp(action, "identity-verified"))
		rc = identity(req, 1, args, today, err);
	else if (!strcmp(action, "extend"))
		rc = extend(req, args, today, err);
	else if (!strcmp(action, "exported"))
		rc = need(args, "path", "the package path", err) ||
		     need(args, "sha256", "the package digest", err) ||
		     px_request_transition(req, "exported", err) ||
		     set_str(req, "package_path", str(args, "path"), err) ||
		     set_str(req, "package_sha256", str(args, "sha256"), err) ||
		     clear_pending(req);
	else if (!strcmp(action, "deliver")) {
		if (!one_of(str(args, "method"), methods))
			return px_error_set(
			    err, PX_EXIT_USAGE,
			    "delivery method '%s': expected "
			    "email, mail, download, in_person or "
			    "transmission",
			    str(args, "method") ? str(args, "method") : "");
		rc =
		    action_date(req, args, today, "delivered on", &d, buf,
				err) ||
		    px_request_transition(req, "delivered", err) ||
		    set_str(req, "delivery_method", str(args, "method"), err) ||
		    set_str(req, "delivered", buf, err);
	} else if (!strcmp(action, "reject"))
		rc = close_as(req, "rejected", args, today, err);
	else if (!strcmp(action, "withdraw"))
		rc = close_as(req, "withdrawn", args, today, err);
	else
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "unknown request action '%s'", action);
	if (rc)
		return -1;
	if (json_object_set_new(details, "to", json_string(str(req, "status"))))
		return px_error_oom(err);
	return 0;
}
