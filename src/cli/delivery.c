/* delivery.c - a delivery's steps in the ledger (delivery.h). */
#include <errno.h>
#include <string.h>

#include "cli/delivery.h"
#include "digest.h"

static const char *str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

struct change {
	const char *method, *step;
	json_t *delivery;
};

int px_delivery_possible(const json_t *req, px_error *err)
{
	json_t *probe = json_deep_copy(req);
	int bad = !probe || px_request_transition(probe, "delivered", err);

	json_decref(probe);
	if (!probe)
		return px_error_oom(err);
	return bad ? -1 : 0;
}

static int change_fn(void *ctx, json_t *req, json_t *details, px_error *err)
{
	struct change *c = ctx;

	if (!strcmp(c->step, "sent")) {
		json_t *args = json_pack("{s:s}", "method", c->method);
		int bad = !args || px_request_apply(req, "deliver", args,
						    px_today(), details, err);

		json_decref(args);
		if (bad)
			return args ? -1 : px_error_oom(err);
	} else if (px_delivery_possible(req, err)) {
		return -1;
	}
	if (json_object_set(req, "delivery", c->delivery) ||
	    json_object_update(details, c->delivery))
		return px_error_oom(err);
	return 0;
}

int px_delivery_record(px_ledger *l, long id, const char *actor,
		       const char *method, const char *step, json_t *delivery,
		       json_t **out, px_error *err)
{
	struct change c = {method, step, delivery};
	const char *action =
	    !strcmp(step, "sent")	? "request.deliver"
	    : !strcmp(step, "sending")	? "request.delivery-started"
	    : !strcmp(step, "progress") ? "request.delivery-progress"
					: "request.delivery-failed";

	if (json_object_set_new(delivery, "state", json_string(step)))
		return px_error_oom(err);
	return px_ledger_change(l, id, action, actor, change_fn, &c, out, err);
}

int px_delivery_package(const json_t *req, const char *path,
			struct px_package_facts *p, px_error *err)
{
	unsigned char sha[32];
	const char *slash;

	p->path = path ? path : str(req, "package_path");
	if (!*p->path)
		return px_error_set(err, PX_EXIT_DATA,
				    "request has no package to send");
	if (px_sha256_file(p->path, sha, &p->bytes))
		return px_error_set(err, PX_EXIT_DATA,
				    "package %s: cannot read it (%s)", p->path,
				    strerror(errno));
	px_hex(sha, 32, p->sha256);
	if (strcmp(p->sha256, str(req, "package_sha256")))
		return px_error_set(err, PX_EXIT_DATA,
				    "package %s has SHA-256 %s, not the %s the "
				    "ledger recorded: it changed since the "
				    "export%s",
				    p->path, p->sha256,
				    str(req, "package_sha256"),
				    path ? ", or it is another request's "
					   "package"
					 : "; export again");
	snprintf(p->size, sizeof(p->size), "%llu",
		 (unsigned long long)p->bytes);
	slash = strrchr(p->path, '/');
	p->name = slash ? slash + 1 : p->path;
	return 0;
}
