/*
 * purge.c - expired packages out of a bulk out-dir (purge.h).
 */
#include "queue/purge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ledger/ledger_backend.h"
#include "path.h"
#include "portex/deadline.h"
#include "queue/outdir.h"
#include "timefmt.h"

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Why entry e is due for purging, or NULL. */
static const char *due(const px_purge_opts *o, const json_t *e,
		       const char *today, const char *cutoff)
{
	const char *until = str(e, "retrievable_until"), *at = str(e, "at");

	if (o->expired && until && strcmp(until, today) < 0)
		return "expired";
	if (o->older_than_days > 0 && at && strncmp(at, cutoff, 10) < 0)
		return "older";
	return NULL;
}

static int add(json_t *out, const json_t *e, const char *reason,
	       const char *action, px_error *err)
{
	json_t *r =
	    json_pack("{s:s, s:s, s:s, s:s}", "package", str(e, "package"),
		      "id", str(e, "id"), "reason", reason, "action", action);

	return !r || json_array_append_new(out, r) ? px_error_oom(err) : 0;
}

/* Audit entry and deletion in one transaction: the entry is stored only
 * if the file went. */
static int delete_one(const px_purge_opts *o, const json_t *e, const char *path,
		      const char *reason, px_error *err)
{
	json_t *d =
	    json_pack("{s:s, s:s, s:s, s:s, s:s?}", "package", path, "id",
		      str(e, "id"), "sha256", str(e, "sha256"), "reason",
		      reason, "retrievable_until", str(e, "retrievable_until"));
	long req = (long)json_integer_value(json_object_get(e, "request"));

	if (!d)
		return px_error_oom(err);
	if (px_ledger_begin(o->ledger, 1, err)) {
		json_decref(d);
		return -1;
	}
	if (px_audit_append(o->ledger, o->actor ? o->actor : "portex purge",
			    "package.purge", req, d, err))
		goto fail;
	if (unlink(path)) {
		px_error_set(err, PX_EXIT_IOERR, "cannot delete %s: %s", path,
			     strerror(errno));
		goto fail;
	}
	json_decref(d);
	return px_ledger_commit(o->ledger, err);
fail:
	px_ledger_rollback(o->ledger);
	json_decref(d);
	return -1;
}

int px_purge(const px_purge_opts *o, json_t **out, px_error *err)
{
	json_t *idx = NULL, *e, *list = json_array();
	px_outdir *d = NULL;
	const char *k;
	char today[11], cutoff[11];
	int rc = -1;

	if (!list)
		return px_error_oom(err);
	px_date_format(px_today(), today);
	px_date_format(px_today() - o->older_than_days, cutoff);
	if (px_outdir_read(o->dir, &idx, err))
		goto out;
	if (!o->dry_run && !(d = px_outdir_open(o->dir, err)))
		goto out;
	json_object_foreach (idx, k, e) {
		const char *reason = due(o, e, today, cutoff), *name;
		char sha[65], *path;
		unsigned long long size;
		json_t *ent = NULL, *line;
		const char *why;
		int ok;

		if (!reason ||
		    strcmp(str(e, "status") ? str(e, "status") : "", "ok"))
			continue;
		name = str(e, "package");
		/* Only a plain name in D, as portex writes it. */
		if (!name || strchr(name, '/') || name[0] == '.') {
			if (add(list, e, reason, "kept: not a package name",
				err))
				goto out;
			continue;
		}
		if (!(path = px_path_join(o->dir, name))) {
			px_error_oom(err);
			goto out;
		}
		ok = px_package_check(path, sha, &size, &size, &ent, &why, err);
		json_decref(ent);
		if (ok < 0) {
			free(path);
			goto out;
		}
		if (!ok || !str(e, "sha256") || strcmp(sha, str(e, "sha256"))) {
			rc = add(list, e, reason,
				 !ok && !strcmp(why, "absent")
				     ? "kept: gone already"
				     : "kept: not the file portex wrote",
				 err);
			free(path);
			if (rc)
				goto out;
			rc = -1;
			continue;
		}
		if (o->dry_run) {
			free(path);
			if (add(list, e, reason, "would delete", err))
				goto out;
			continue;
		}
		if (delete_one(o, e, path, reason, err)) {
			free(path);
			goto out;
		}
		free(path);
		line = json_deep_copy(e);
		if (!line) {
			px_error_oom(err);
			goto out;
		}
		json_object_set_new(line, "status", json_string("purged"));
		json_object_set_new(line, "reason", json_string(reason));
		{
			char now[48];
			px_rfc3339_from_epoch((int64_t)time(NULL), 0, now,
					      sizeof(now));
			json_object_set_new(line, "at", json_string(now));
		}
		rc = px_outdir_append(d, line, err);
		json_decref(line);
		if (rc || add(list, e, reason, "deleted", err))
			goto out;
		rc = -1;
	}
	rc = 0;
	*out = list;
	list = NULL;
out:
	px_outdir_close(d);
	json_decref(idx);
	json_decref(list);
	return rc;
}
