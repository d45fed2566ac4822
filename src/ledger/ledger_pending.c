/*
 * ledger_pending.c - the ledger and the package file on disk agree after
 * any crash (see ledger.h, "Package publishing"): a package is recorded as
 * pending before it is published, and a pending record whose owner died is
 * settled from what the file at its path holds.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "digest.h"
#include "ledger/ledger_backend.h"

/* A process is named by host, pid and its start time (field 22 of
 * /proc/PID/stat, clock ticks since boot), so a pid reused after a crash
 * is not taken for the exporter that died. "" when unknown. */
static void start_time(pid_t pid, char *out, size_t n)
{
	char path[64], buf[1024];
	FILE *f;
	size_t len;
	char *p;

	*out = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (!(f = fopen(path, "re")))
		return;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	/* The command name (field 2) may hold spaces: count after its ')'. */
	if (!(p = strrchr(buf, ')')))
		return;
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		snprintf(out, n, "%.*s", (int)strcspn(p + 1, " "), p + 1);
}

static void host_name(char *out, size_t n)
{
	if (gethostname(out, n))
		snprintf(out, n, "?");
	out[n - 1] = '\0';
}

/* Is the process that recorded `pending` still running? Another host's
 * process cannot be checked: it is taken as running (its own next
 * `request` command, or one run there, settles it). */
static int owner_running(const json_t *pending)
{
	const char *host = json_string_value(json_object_get(pending, "host"));
	const char *started =
	    json_string_value(json_object_get(pending, "started"));
	pid_t pid = (pid_t)json_integer_value(json_object_get(pending, "pid"));
	char here[256], now[32];

	host_name(here, sizeof(here));
	if (!host || strcmp(host, here))
		return 1;
	if (pid <= 0 || pid == getpid())
		return 0;
	if (kill(pid, 0) && errno != EPERM)
		return 0;
	start_time(pid, now, sizeof(now));
	return !started || !*started || !*now || !strcmp(started, now);
}

struct pending_ctx {
	json_t *pending; /* to record, or as read before settling */
	int on_disk;	 /* settling: the file holds the pending SHA-256 */
	int stale;	 /* settling: another process settled it first */
	const char *action;
};

static int record_fn(void *ctx, json_t *req, json_t *details, px_error *err)
{
	struct pending_ctx *c = ctx;
	json_t *probe = json_deep_copy(req);
	int bad;

	if (!probe)
		return px_error_oom(err);
	bad = px_request_transition(probe, "exported", err);
	json_decref(probe);
	if (bad || json_object_set(req, "package_pending", c->pending) ||
	    json_object_set(details, "pending", c->pending))
		return bad ? -1 : px_error_oom(err);
	return 0;
}

int px_ledger_export_pending(px_ledger *l, long id, const char *actor,
			     const char *path, const char *sha256_hex,
			     px_error *err)
{
	char host[256], started[32];
	struct pending_ctx c = {0};
	int rc;

	host_name(host, sizeof(host));
	start_time(getpid(), started, sizeof(started));
	c.pending = json_pack("{s:s, s:s, s:I, s:s, s:s}", "path", path,
			      "sha256", sha256_hex, "pid", (json_int_t)getpid(),
			      "host", host, "started", started);
	if (!c.pending)
		return px_error_oom(err);
	rc = px_ledger_change(l, id, "request.export-pending", actor, record_fn,
			      &c, NULL, err);
	json_decref(c.pending);
	return rc ? px_error_prefix(err, "recording the package as pending")
		  : 0;
}

static int settle_fn(void *ctx, json_t *req, json_t *details, px_error *err)
{
	struct pending_ctx *c = ctx;
	json_t *now = json_object_get(req, "package_pending");
	json_t *args;
	px_error why = {0};

	if (!now || !json_equal(now, c->pending)) {
		c->stale = 1;
		return -1; /* settled (or replaced) by another process */
	}
	if (json_object_set(details, "pending", c->pending))
		return px_error_oom(err);
	c->action = "abandoned";
	if (c->on_disk) {
		args = json_pack("{s:O, s:O}", "path",
				 json_object_get(c->pending, "path"), "sha256",
				 json_object_get(c->pending, "sha256"));
		if (!args)
			return px_error_oom(err);
		/* The request may have moved on (withdrawn) meanwhile: then
		 * the file is not its package, and only the pending goes. */
		if (!px_request_apply(req, "exported", args, px_today(),
				      details, &why))
			c->action = "recovered";
		else
			json_object_set_new(details, "not_recorded",
					    json_string(why.msg));
		json_decref(args);
	}
	json_object_del(req, "package_pending");
	if (json_object_set_new(details, "outcome", json_string(c->action)))
		return px_error_oom(err);
	return 0;
}

/* Settles one pending package; adds what was done to settled. */
static int settle(px_ledger *l, long id, json_t *pending, const char *actor,
		  json_t *settled, px_error *err)
{
	const char *path = json_string_value(json_object_get(pending, "path"));
	const char *want =
	    json_string_value(json_object_get(pending, "sha256"));
	struct pending_ctx c = {.pending = pending};
	unsigned char sha[32];
	char hex[65] = "";
	char action[64];

	if (owner_running(pending))
		return 0;
	if (path && !px_sha256_file(path, sha, NULL))
		px_hex(sha, 32, hex);
	c.on_disk = want && !strcmp(hex, want);
	/* The audit action is known only inside the transaction; both
	 * outcomes are recorded under one name with details saying which. */
	snprintf(action, sizeof(action), "request.export-%s",
		 c.on_disk ? "recovered" : "abandoned");
	if (px_ledger_change(l, id, action, actor, settle_fn, &c, NULL, err))
		return c.stale ? 0 : -1;
	if (json_array_append_new(settled,
				  json_pack("{s:I, s:s, s:s?, s:s?}", "id",
					    (json_int_t)id, "action", c.action,
					    "path", path, "sha256", want)))
		return px_error_oom(err);
	return 0;
}

int px_ledger_reconcile(px_ledger *l, const char *actor, json_t **settled,
			px_error *err)
{
	json_t *rows = NULL, *done = json_array(), *row;
	size_t i;
	int rc = 0;

	if (settled)
		*settled = NULL;
	if (!done)
		return px_error_oom(err);
	if (px_ledger_begin(l, 0, err)) {
		json_decref(done);
		return -1;
	}
	rc = px_ledger_query(l,
			     "SELECT id, package_pending FROM px_requests "
			     "WHERE package_pending IS NOT NULL ORDER BY id",
			     0, NULL, &rows, err);
	px_ledger_rollback(l);
	json_array_foreach (rows, i, row) {
		const char *id = json_string_value(json_array_get(row, 0));
		const char *text = json_string_value(json_array_get(row, 1));
		json_t *pending = json_loads(text, 0, NULL);

		if (!pending) {
			rc = px_error_set(err, PX_EXIT_DATA,
					  "%s: request %s: column "
					  "package_pending is not JSON",
					  l->desc, id);
			break;
		}
		rc = settle(l, atol(id), pending, actor, done, err);
		json_decref(pending);
		if (rc)
			break;
	}
	json_decref(rows);
	if (rc || !settled)
		json_decref(done);
	else
		*settled = done;
	return rc ? px_error_prefix(err, "settling a pending package") : 0;
}
